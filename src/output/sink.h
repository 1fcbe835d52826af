/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_SINK_H
#define OPENSNOOPD_SINK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fields.h"
#include "opensnoop.h"

/* [Output] Target=: where the record goes. */
enum output_target { OUTPUT_JOURNAL, OUTPUT_JSON, OUTPUT_TEXT };

/* "journal", "json", "text", indexed by the enum; NULL-terminated. */
extern const char *const output_target_names[];
int output_target_from_string(const char *s, enum output_target *t);

struct sink;

/*
 * The last stage: one destination, behind one small interface. Writes return
 * 0; -EAGAIN when the destination is away or busy and the same event should
 * be offered again later; any other -errno when this event can never be
 * written (the caller counts it and moves on).
 */
struct sink_ops {
        int (*open)(struct sink *s);    /* sets s->state, if the sink keeps any; NULL: none */
        void (*close)(struct sink *s);  /* frees it; NULL: nothing to free */
        void (*header)(struct sink *s); /* once, before the first event; NULL: none */
        int (*write_event)(struct sink *s, const struct open_event *ev, const struct open_context *ctx);
        /* an entry of many names (fields.h); ctx->fold is NULL, ctx->who the first open's */
        int (*write_names)(struct sink *s, const struct open_names *names, const struct open_context *ctx);
        int (*write_loss)(struct sink *s, const struct loss_report *report);
        void (*flush)(struct sink *s); /* NULL: nothing buffered */
};

extern const struct sink_ops sink_journal_ops; /* sink_journal.c: sd_journal_sendv() */
extern const struct sink_ops sink_json_ops;    /* sink_json.c: one JSON object a line */
extern const struct sink_ops sink_text_ops;    /* sink_text.c: opensnoop's columns */

struct sink_options {
        int priority;           /* PRIORITY= of a successful open */
        int failure_priority;   /* PRIORITY= of a failed one */
        FILE *stream;           /* json and text */
        uint64_t start_boot_ns; /* text: TIME(s) counts from here */
};

struct sink {
        const struct sink_ops *ops;
        FILE *stream;
        uint64_t start_boot_ns;
        _Atomic int priority;
        _Atomic int failure_priority;
        struct fields fields; /* the entry being built (journal, json) */
        void *state;          /* what one kind of sink keeps of its own (its ops->open's) */
};

int sink_new(const struct sink_ops *ops, const struct sink_options *o, struct sink **ret);
struct sink *sink_free(struct sink *s);

void sink_header(struct sink *s);
/* ctx: what the stages before the sink found out (fields.h); never NULL. */
int sink_write_event(struct sink *s, const struct open_event *ev, const struct open_context *ctx);
int sink_write_names(struct sink *s, const struct open_names *names, const struct open_context *ctx);
int sink_write_loss(struct sink *s, const struct loss_report *report);
void sink_flush(struct sink *s);

/* From the next event on (a reload). Any thread. */
void sink_set_priorities(struct sink *s, int priority, int failure_priority);

/* For the sinks that write fields: s->fields from one open, with the current priorities and clock. */
int sink_fields_from_event(struct sink *s, const struct open_event *ev, const struct open_context *ctx);
int sink_fields_from_names(struct sink *s, const struct open_names *names, const struct open_context *ctx);

/* For the sinks that write to a stdio stream. */
void sink_stream_flush(struct sink *s);

/* One entry as a JSON object on a line, a field that repeats as an array of its values (sink_json.c). */
int sink_json_write_fields(FILE *out, const struct fields *f);

/* Whether sd_journal_sendv()'s error passes (journald away or busy): retry, not drop (sink_journal.c). */
int sink_journal_error_is_transient(int err);

struct send_history;
/* What the journal sink sent (send_history.h); NULL for any other sink (sink_journal.c). */
const struct send_history *sink_journal_history(const struct sink *s);

#endif
