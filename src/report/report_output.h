/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_REPORT_OUTPUT_H
#define OPENSNOOPD_REPORT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report_group.h"
#include "report_table.h"

/* A finished report: the groups, sorted (report_table_sorted), and the totals over all of them. */
struct report_result {
        const struct report_grouping *grouping;
        unsigned depth; /* of REPORT_BY_PREFIX */
        const struct report_row *const *rows;
        size_t n_rows;
        size_t top; /* how many rows to show; 0: all */
        uint64_t opens, entries;
        bool resolve_users; /* show a uid's user name (getpwuid) */
};

/*
 * Aligned columns: a heading line, one line per group (OPENS, ENTRIES, then
 * the grouping's columns; an absent value is "-", an empty one ""), and a
 * total line over every group, shown or not. Values are escaped as in
 * MESSAGE= (escape.h). 0, -ENOMEM or -EIO.
 */
int report_print_text(FILE *f, const struct report_result *res);

/*
 * One JSON object on one line:
 * {"by":"unit","opens":N,"entries":N,"groups":N,"rows":[{"unit":"…","opens":N,"entries":N},…]}
 * ("depth":N after "by" for prefix). An absent value is null; a value that is
 * not UTF-8 is an array of its bytes, as journalctl -o json writes it; a
 * uid is a number, with "user" beside it (its name, or null). 0 or -EIO.
 */
int report_print_json(FILE *f, const struct report_result *res);

#endif
