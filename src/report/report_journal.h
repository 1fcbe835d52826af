/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_REPORT_JOURNAL_H
#define OPENSNOOPD_REPORT_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report_files.h"
#include "report_group.h"
#include "report_table.h"

/*
 * opensnoopd-report's reading of the journal: the only file of it with
 * sd-journal. Every filter that journald indexes is a match (MESSAGE_ID=,
 * OPEN_UNIT=, the exact path, OPEN_ERRNO=), so that only the entries
 * selected are read at all; of those, only the fields the report needs.
 */

/* How far an entry's journal time may be from its first open: a fold's window (at most 10 min) and a delay. */
#define REPORT_TIME_SLACK_USEC (3600LL * 1000000)

struct report_query {
        const char *namespace;    /* the journal namespace read when there is no directory nor file */
        const char *directory;    /* or the journal files in this directory */
        const char *const *files; /* or these journal files (NULL-terminated), if not NULL */
        enum report_by by;
        unsigned depth;          /* REPORT_BY_PREFIX */
        const char *unit;        /* OPEN_UNIT= exactly, or NULL */
        const char *path;        /* OPEN_PATH= or OPEN_ABS_PATH= exactly, or NULL */
        const char *path_prefix; /* OPEN_ABS_PATH= or an absolute OPEN_PATH= at or below it, or NULL */
        size_t path_prefix_len;  /* report_path_trim()med */
        bool failed;             /* only entries with OPEN_ERRNO= */
        bool since_set, until_set;
        int64_t since, until; /* first open in [since, until), µs since the epoch */
};

struct report_stats {
        uint64_t unreadable;           /* entries selected but skipped: a field unreadable, OPEN_COUNT= not a count */
        struct report_skipped skipped; /* a directory's or a namespace's files that would not open */
};

/*
 * Adds every open entry (MESSAGE_ID=e0c0158e...) the query selects to t.
 * Returns 0, or a negative errno with *step saying what failed ("open the
 * journal", ...). -ENODATA: the journal has no file this user can read.
 * stats->skipped: the files left out (report_skipped_clear() it).
 */
int report_journal_read(const struct report_query *q, struct report_table *t, struct report_stats *stats,
                        const char **step);

#endif
