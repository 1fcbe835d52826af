/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_REPORT_GROUP_H
#define OPENSNOOPD_REPORT_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report_table.h"

/*
 * What opensnoopd-report groups by, which fields of an entry that needs, and
 * the group key and filters an entry's fields give. The journal is read in
 * report_journal.c; everything here is pure.
 */
enum report_by {
        REPORT_BY_UNIT,    /* OPEN_UNIT= */
        REPORT_BY_COMMAND, /* OPEN_COMM= */
        REPORT_BY_USER,    /* OPEN_UID= */
        REPORT_BY_PATH,    /* the path opened (report_entry_path) */
        REPORT_BY_PREFIX,  /* its first N components */
        REPORT_BY_WHO,     /* command, user and unit together */
        _REPORT_BY_MAX,
};

/* The fields of an entry opensnoopd-report reads; as bits, which a query needs. */
enum report_field {
        REPORT_FIELD_COMM,
        REPORT_FIELD_UID,
        REPORT_FIELD_UNIT,
        REPORT_FIELD_PATH,
        REPORT_FIELD_ABS_PATH,
        REPORT_FIELD_COUNT,
        REPORT_FIELD_TIMESTAMP,
        _REPORT_FIELD_MAX,
};

/* The journal field names, "OPEN_COMM" ...; index enum report_field. */
extern const char *const report_field_names[_REPORT_FIELD_MAX];

/* What one column of a report holds. */
enum report_value {
        REPORT_VALUE_TEXT, /* bytes, shown escaped */
        REPORT_VALUE_UID,  /* a decimal uid, shown with its user's name */
};

struct report_column {
        const char *heading; /* text output: "UNIT" */
        const char *json;    /* JSON output: "unit" */
        enum report_value value;
};

struct report_grouping {
        const char *name;   /* --by=: "unit" */
        const char *plural; /* the total line: "units" */
        unsigned columns;
        struct report_column column[REPORT_KEY_PARTS];
};

const struct report_grouping *report_grouping(enum report_by by);
/* The grouping --by=NAME names (not "who", which is the verb's), or -EINVAL. */
int report_by_from_string(const char *name);

/* One entry's fields, as read: value and length, value NULL where absent. */
struct report_entry {
        const char *value[_REPORT_FIELD_MAX];
        size_t len[_REPORT_FIELD_MAX];
};

/*
 * The path an entry opened: OPEN_ABS_PATH= where there is one (a relative
 * path's absolute form, or the file an absolute path named through a
 * symlink or ".."), else OPEN_PATH=; NULL if neither.
 */
const char *report_entry_path(const struct report_entry *e, size_t *len);

/* The group key of e, grouped by by (depth: for REPORT_BY_PREFIX). 0 or -E2BIG. */
int report_entry_key(const struct report_entry *e, enum report_by by, unsigned depth, struct report_key *k);

/*
 * How many opens e stands for: OPEN_COUNT=, 1 where absent. 0 or -EBADMSG
 * for a value that is not a number from 1 up.
 */
int report_entry_count(const struct report_entry *e, uint64_t *ret);

/*
 * --path-prefix=: whether OPEN_ABS_PATH= or an absolute OPEN_PATH= is the
 * prefix (trimmed) or below it; either counts.
 */
bool report_entry_under(const struct report_entry *e, const char *prefix, size_t prefix_len);

/*
 * Where e's first open falls: OPEN_TIMESTAMP_USEC= (on a folded entry, the
 * first open's time). 0 or -EBADMSG if absent or not a number.
 */
int report_entry_time(const struct report_entry *e, int64_t *ret);

/* A field's decimal value (up to 19 digits, nothing else, at most max): 0, or -EBADMSG. */
int report_parse_decimal(const char *s, size_t len, uint64_t max, uint64_t *ret);

/* The bits (1 << enum report_field) a query reads of each entry. */
unsigned report_fields_needed(enum report_by by, bool path_prefix, bool time_range);

#endif
