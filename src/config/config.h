/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_CONFIG_H
#define OPENSNOOPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "filter_config.h"

#define CONFIG_DEFAULT_PATH      "/etc/opensnoopd/opensnoopd.conf"
/* Drop-ins: FILE.d/NAME.conf, as journald.conf.d/ beside journald.conf. */
#define CONFIG_DROPIN_DIR_SUFFIX ".d"
#define CONFIG_DROPIN_SUFFIX     ".conf"

/*
 * /etc/opensnoopd/opensnoopd.conf. Every key is one row of keys.def, which
 * parse, defaults, diff and print all walk: a new key is a new field here and
 * a new row there (and its lines in the shipped file and the man page, which
 * a test holds to the rows). A choice is stored as its enum's value, an int
 * here: the layers that own those enums are not this header's to include.
 */
struct config {
        /* [Probe] */
        int mode;   /* enum probe_mode (probe_plan.h) */
        int buffer; /* enum probe_buffer (probe_plan.h) */
        size_t ring_buffer_size;
        unsigned perf_buffer_pages;
        unsigned wakeup_events;
        unsigned max_in_flight;
        char *kernel_source;         /* NULL: /lib/modules/$(uname -r)/build */
        bool absolute_paths;         /* OPEN_ABS_PATH for relative opens */
        struct filter_config filter; /* [Filter] */
        /* [Output] */
        int target; /* enum output_target (sink.h) */
        int priority, failure_priority;
        size_t queue_size;
        uint64_t coalesce_usec; /* 0: no folding */
        int coalesce_by;        /* enum coalesce_by (fold.h) */
        bool coalesce_names;    /* an entry of many names (fold_gather()) */
};

/* Every problem found in one pass, each "FILE:LINE: message". */
struct config_errors {
        char **msg;
        size_t n;
};

/* Every key at its default, parsed from its row's text. */
void config_init(struct config *c);
void config_done(struct config *c);
void config_errors_done(struct config_errors *errs);

/*
 * Parses text (len bytes, need not be NUL-terminated) over the values already
 * in c. Returns 0, or -EINVAL with every problem appended to errs; c is then
 * partly updated and must not be used.
 */
int config_parse(const char *text, size_t len, const char *filename, struct config *c, struct config_errors *errs);

/*
 * Reads and parses a file, then its drop-ins: every PATH.d/NAME.conf (hidden
 * names skipped), in the lexical order of their names, each over what came
 * before, as journald reads journald.conf.d/ (a later value wins; an empty
 * assignment resets a list). Like sshd's StrictModes, each file must be a
 * regular file owned by root that group and others may not write, in
 * directories (symlinks resolved) that only root may change, and so must the
 * drop-in directory: otherwise one error in errs and -EPERM. It decides what
 * a root daemon does. So does the KernelSource= directory it names (clang
 * compiles from it), checked alike: one error and -errno. Every file is read
 * and every error reported; the first failure is returned. missing_ok: a
 * missing PATH leaves the defaults (its drop-ins still apply).
 */
int config_load(const char *path, bool missing_ok, struct config *c, struct config_errors *errs);

/*
 * Names the keys whose values differ ("Commands= FailedOnly="), for the
 * reload message: restart_only receives those only a restart applies,
 * applied those a reload applies.
 */
void config_diff(const struct config *old, const struct config *new, char *restart_only, size_t rsize, char *applied,
                 size_t asize);

/*
 * A reload applies what it can: the keys only a restart applies take their
 * running values back from running (the values are swapped, so config_done()
 * on running frees what the reload brought).
 */
void config_keep_restart_only(struct config *fresh, struct config *running);

/* The effective configuration, in the file's own syntax: parsing it gives c back. */
void config_print(const struct config *c, FILE *f);

/* The shipped file's key lines: each section, and each key commented out at its default ("#Mode=auto"). */
void config_print_defaults(FILE *f);

#endif
