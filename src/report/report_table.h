/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_REPORT_TABLE_H
#define OPENSNOOPD_REPORT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * opensnoopd-report's sums: a hash table from a group's key (report_key) to
 * the opens its entries stand for (the sum of OPEN_COUNT=) and the number of
 * those entries.
 */

/* Three values (command, user, unit) of at most 64 KiB each (sd-journal's default data threshold). */
#define REPORT_KEY_PARTS 3
#define REPORT_KEY_MAX   (REPORT_KEY_PARTS * (4 + 65536))

/* A group's key: up to REPORT_KEY_PARTS byte strings, each present or absent, length-prefixed. */
struct report_key {
        size_t len;
        unsigned parts;
        char buf[REPORT_KEY_MAX];
};

void report_key_reset(struct report_key *k);
/* Appends one value; value NULL: the field was absent. -E2BIG past REPORT_KEY_PARTS or 64 KiB. */
int report_key_add(struct report_key *k, const void *value, size_t len);
/* Part i of an encoded key: true with *value, *len set if present; false if absent or past the end. */
bool report_key_part(const char *key, size_t key_len, unsigned i, const char **value, size_t *len);

struct report_row {
        uint64_t opens;   /* the sum of OPEN_COUNT= (1 where absent) */
        uint64_t entries; /* journal entries */
        uint64_t entry;   /* the last one counted (report_table_add()) */
        uint64_t hash;
        size_t key_len;
        char key[];
};

struct report_table;

struct report_table *report_table_new(void);
struct report_table *report_table_free(struct report_table *t);

/*
 * Opens of entry number entry (1 up, in the order read) in the group key. An
 * entry of many names may add to several groups, and to one group more than
 * once: each group, and the totals, count it once. 0, -ENOMEM or -EOVERFLOW.
 */
int report_table_add(struct report_table *t, const char *key, size_t key_len, uint64_t opens, uint64_t entry);

/* Over every group: opens, entries, and the number of groups. */
void report_table_totals(const struct report_table *t, uint64_t *opens, uint64_t *entries, size_t *groups);

/*
 * The groups, most opens first (then most entries, then by key's bytes), as
 * an array of *n pointers into the table, which the caller frees (free()).
 * 0 or -ENOMEM.
 */
int report_table_sorted(const struct report_table *t, const struct report_row ***ret, size_t *n);

#endif
