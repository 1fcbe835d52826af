/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_REPORT_NAMES_H
#define OPENSNOOPD_REPORT_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opensnoop.h"

/*
 * An entry of many names (opensnoopd's CoalesceNames=yes) counts the opens of
 * all of them in OPEN_COUNT=; what each name stands for is its line of
 * OPEN_FILES= (fields.c, fields_from_names()): count, when its first open
 * returned (microseconds after the entry's OPEN_TIMESTAMP_USEC=), outcome,
 * flags, system call, path, absolute path and notes, tab-separated, the paths
 * escaped for display. A report counts such an entry a line at a time. Pure.
 */
struct report_name {
        uint64_t count;
        uint64_t first_usec; /* after the entry's first open */
        bool failed;   /* the outcome is an errno, not a descriptor, "-" nor an interrupted call */
        bool has_path; /* OPEN_PATH= (not so for a path unread, unseen, or an open by handle) */
        bool has_abs;  /* OPEN_ABS_PATH= */
        size_t path_len, abs_len;
        char path[OPEN_PATH_MAX + 1], abs[OPEN_PATH_MAX + 1]; /* as opened: unescaped, NUL-terminated */
};

/*
 * The line of table (len bytes) at *pos, *pos 0 for the first: 1 with *name
 * filled and *pos moved past it, 0 after the last, -EBADMSG for a line that
 * is not one opensnoopd writes.
 */
int report_name_next(const char *table, size_t len, size_t *pos, struct report_name *name);

#endif
