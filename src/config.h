/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_CONFIG_H
#define OPENSNOOPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_DEFAULT_PATH "/etc/opensnoopd/opensnoopd.conf"

/* Bounds of the numeric keys (documented in README.md and conf/opensnoopd.conf). */
#define CONFIG_PERF_PAGES_MAX 1024      /* 4 MiB per CPU */
#define CONFIG_WAKEUP_EVENTS_MAX 1024
#define CONFIG_MAX_IN_FLIGHT_MIN 64
#define CONFIG_MAX_IN_FLIGHT_MAX 1048576
#define CONFIG_QUEUE_SIZE_MIN (64u << 10)
#define CONFIG_QUEUE_SIZE_MAX (1024u << 20)

enum probe_mode { PROBE_MODE_AUTO, PROBE_MODE_KPROBE, PROBE_MODE_TRACEPOINT };
enum output_target { OUTPUT_JOURNAL, OUTPUT_JSON, OUTPUT_TEXT };
enum access_filter { ACCESS_ANY, ACCESS_WRITE };

struct id_list {
        uint32_t *v;
        size_t n;
};

struct str_list {
        char **v;
        size_t n;
};

struct config {
        /* [Probe] */
        enum probe_mode mode;
        unsigned perf_buffer_pages;
        unsigned wakeup_events;
        unsigned max_in_flight;
        char *kernel_source; /* NULL: /lib/modules/$(uname -r)/build */
        /* [Filter] */
        struct id_list pids, uids;
        struct str_list commands, exclude_commands;
        struct str_list path_prefixes, exclude_path_prefixes;
        bool failed_only;
        enum access_filter access;
        /* [Output] */
        enum output_target target;
        int priority, failure_priority;
        size_t queue_size;
};

/* Every problem found in one pass, each "FILE:LINE: message". */
struct config_errors {
        char **msg;
        size_t n;
};

void config_init(struct config *c);
void config_done(struct config *c);

/*
 * Parses text (len bytes, need not be NUL-terminated) over the values already
 * in c. Returns 0, or -EINVAL with every problem appended to errs; c is then
 * partly updated and must not be used.
 */
int config_parse(const char *text, size_t len, const char *filename, struct config *c,
                 struct config_errors *errs);

/*
 * Reads and parses a file. Like sshd's StrictModes, a file that is not a
 * regular file owned by root, or that group or others may write, is refused
 * (one error in errs, -EPERM): it decides what a root daemon does.
 * missing_ok: a missing file leaves the defaults (0).
 */
int config_load(const char *path, bool missing_ok, struct config *c, struct config_errors *errs);

void config_errors_done(struct config_errors *errs);

/*
 * Names the keys whose values differ ("Commands= FailedOnly="), for the
 * reload message. restart_only receives those that only a restart applies
 * ([Probe] and Target=), filters those a reload applies.
 */
void config_diff(const struct config *old, const struct config *new, char *restart_only, size_t rsize,
                 char *applied, size_t asize);

/* The effective configuration, in the file's own syntax. */
void config_print(const struct config *c, FILE *f);

const char *probe_mode_name(enum probe_mode m);
const char *output_target_name(enum output_target t);
int output_target_from_string(const char *s, enum output_target *t);

#endif
