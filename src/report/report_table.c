/* SPDX-License-Identifier: MIT */
#include "report_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ABSENT UINT32_MAX

void report_key_reset(struct report_key *k)
{
        k->len = 0;
        k->parts = 0;
}

int report_key_add(struct report_key *k, const void *value, size_t len)
{
        uint32_t n = value ? (uint32_t)len : ABSENT;

        if (k->parts >= REPORT_KEY_PARTS || (value && len > 65536))
                return -E2BIG;
        memcpy(k->buf + k->len, &n, sizeof(n));
        k->len += sizeof(n);
        if (value) {
                memcpy(k->buf + k->len, value, len);
                k->len += len;
        }
        k->parts++;
        return 0;
}

bool report_key_part(const char *key, size_t key_len, unsigned i, const char **value, size_t *len)
{
        size_t at = 0;

        for (;;) {
                uint32_t n;

                if (key_len - at < sizeof(n))
                        return false;
                memcpy(&n, key + at, sizeof(n));
                at += sizeof(n);
                if (i == 0) {
                        if (n == ABSENT)
                                return false;
                        *value = key + at;
                        *len = n;
                        return true;
                }
                if (n != ABSENT)
                        at += n;
                i--;
        }
}

struct report_table {
        struct report_row **slots; /* open addressing, linear probing; a power of two */
        size_t capacity, groups;
        uint64_t opens, entries;
        uint64_t entry; /* the last entry counted */
};

/* FNV-1a, 64 bits. */
static uint64_t hash_bytes(const char *p, size_t len)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char)p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

struct report_table *report_table_new(void)
{
        struct report_table *t = calloc(1, sizeof(*t));

        if (!t)
                return NULL;
        t->capacity = 1024;
        t->slots = calloc(t->capacity, sizeof(*t->slots));
        if (!t->slots) {
                free(t);
                return NULL;
        }
        return t;
}

struct report_table *report_table_free(struct report_table *t)
{
        if (!t)
                return NULL;
        if (t->slots)
                for (size_t i = 0; i < t->capacity; i++)
                        free(t->slots[i]);
        free(t->slots);
        free(t);
        return NULL;
}

static int grow(struct report_table *t)
{
        size_t capacity = t->capacity * 2;
        struct report_row **slots = calloc(capacity, sizeof(*slots));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < t->capacity; i++) {
                struct report_row *row = t->slots[i];
                size_t at;

                if (!row)
                        continue;
                for (at = row->hash & (capacity - 1); slots[at]; at = (at + 1) & (capacity - 1))
                        ;
                slots[at] = row;
        }
        free(t->slots);
        t->slots = slots;
        t->capacity = capacity;
        return 0;
}

int report_table_add(struct report_table *t, const char *key, size_t key_len, uint64_t opens, uint64_t entry)
{
        uint64_t h = hash_bytes(key, key_len), total;
        struct report_row *row;
        size_t at;

        if (__builtin_add_overflow(t->opens, opens, &total))
                return -EOVERFLOW;
        for (at = h & (t->capacity - 1); (row = t->slots[at]); at = (at + 1) & (t->capacity - 1))
                if (row->hash == h && row->key_len == key_len && memcmp(row->key, key, key_len) == 0) {
                        row->opens += opens; /* at most total, which did not overflow */
                        row->entries += row->entry != entry;
                        row->entry = entry;
                        t->opens = total;
                        t->entries += t->entry != entry;
                        t->entry = entry;
                        return 0;
                }
        row = malloc(sizeof(*row) + key_len);
        if (!row)
                return -ENOMEM;
        row->opens = opens;
        row->entries = 1;
        row->entry = entry;
        row->hash = h;
        row->key_len = key_len;
        memcpy(row->key, key, key_len);
        t->slots[at] = row;
        t->groups++;
        t->opens = total;
        t->entries += t->entry != entry;
        t->entry = entry;
        /* at half full, twice the room; if that fails the row is in, and the table only fuller */
        return t->groups * 2 > t->capacity ? grow(t) : 0;
}

void report_table_totals(const struct report_table *t, uint64_t *opens, uint64_t *entries, size_t *groups)
{
        *opens = t->opens;
        *entries = t->entries;
        *groups = t->groups;
}

static int by_opens(const void *a, const void *b)
{
        const struct report_row *x = *(const struct report_row *const *)a, *y = *(const struct report_row *const *)b;
        size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
        int c;

        if (x->opens != y->opens)
                return x->opens > y->opens ? -1 : 1;
        if (x->entries != y->entries)
                return x->entries > y->entries ? -1 : 1;
        c = memcmp(x->key, y->key, n);
        if (c != 0)
                return c;
        return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

int report_table_sorted(const struct report_table *t, const struct report_row ***ret, size_t *n)
{
        const struct report_row **rows = malloc((t->groups ? t->groups : 1) * sizeof(*rows));
        size_t k = 0;

        if (!rows)
                return -ENOMEM;
        for (size_t i = 0; i < t->capacity; i++)
                if (t->slots[i])
                        rows[k++] = t->slots[i];
        qsort(rows, k, sizeof(*rows), by_opens);
        *ret = rows;
        *n = k;
        return 0;
}
