/* SPDX-License-Identifier: MIT */
#include "cgroup_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct name {
        struct name *chain; /* the next one in its bucket */
        struct name *later; /* removed: the next one removed after it */
        uint64_t id;
        uint64_t mark, time; /* removed: released once both are reached */
        size_t size;         /* what it costs its pool: the path and its NUL */
        enum cgroup_pool pool;
        bool removed;
        char path[];
};

struct cgroup_table {
        struct cgroup_table_limits limits;
        struct name **buckets;
        size_t mask;                  /* buckets - 1 */
        struct name *oldest, *newest; /* removed, in the order they were removed */
        uint64_t last_mark, last_time;
        struct cgroup_table_stats stats;
};

static size_t bucket_of(const struct cgroup_table *t, uint64_t id)
{
        /* ids are handed out in sequence; a multiplicative hash spreads them */
        return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 32) & t->mask;
}

static struct name **link_of(const struct cgroup_table *t, uint64_t id)
{
        struct name **l = &t->buckets[bucket_of(t, id)];

        while (*l && (*l)->id != id)
                l = &(*l)->chain;
        return l;
}

int cgroup_table_new(const struct cgroup_table_limits *limits, struct cgroup_table **ret)
{
        struct cgroup_table *t = calloc(1, sizeof(*t));
        size_t n = 1, total = 0;

        if (!t)
                return -ENOMEM;
        t->limits = *limits;
        for (int p = 0; p < _CGROUP_POOL_MAX; p++)
                total += limits->entries[p];
        while (n < total)
                n <<= 1;
        t->buckets = calloc(n, sizeof(*t->buckets));
        if (!t->buckets) {
                free(t);
                return -ENOMEM;
        }
        t->mask = n - 1;
        *ret = t;
        return 0;
}

int cgroup_table_add(struct cgroup_table *t, uint64_t id, const char *path, size_t len, enum cgroup_pool pool)
{
        struct name **l = link_of(t, id), *n;

        if (*l)
                return 0;
        if (t->stats.entries[pool] >= t->limits.entries[pool] || t->stats.bytes[pool] + len + 1 > t->limits.bytes[pool]) {
                t->stats.refused[pool]++;
                return -ENOSPC;
        }
        n = calloc(1, sizeof(*n) + len + 1);
        if (!n)
                return -ENOMEM;
        n->id = id;
        n->pool = pool;
        n->size = len + 1;
        memcpy(n->path, path, len);
        *l = n;
        t->stats.entries[pool]++;
        t->stats.bytes[pool] += n->size;
        return 0;
}

const char *cgroup_table_lookup(const struct cgroup_table *t, uint64_t id)
{
        struct name *n = *link_of(t, id);

        return n ? n->path : NULL;
}

void cgroup_table_remove(struct cgroup_table *t, uint64_t id, uint64_t mark, uint64_t time)
{
        struct name *n = *link_of(t, id);

        if (!n || n->removed)
                return;
        /* never earlier than the one before: the list stays in release order */
        if (mark < t->last_mark)
                mark = t->last_mark;
        if (time < t->last_time)
                time = t->last_time;
        t->last_mark = mark;
        t->last_time = time;
        n->removed = true;
        n->mark = mark;
        n->time = time;
        if (t->newest)
                t->newest->later = n;
        else
                t->oldest = n;
        t->newest = n;
        t->stats.removed++;
}

static void forget(struct cgroup_table *t, struct name *n)
{
        struct name **l = link_of(t, n->id);

        *l = n->chain;
        t->stats.entries[n->pool]--;
        t->stats.bytes[n->pool] -= n->size;
        free(n);
}

void cgroup_table_release(struct cgroup_table *t, uint64_t mark, uint64_t time)
{
        while (t->oldest && t->oldest->mark <= mark && t->oldest->time <= time) {
                struct name *n = t->oldest;

                t->oldest = n->later;
                if (!t->oldest)
                        t->newest = NULL;
                t->stats.removed--;
                forget(t, n);
        }
}

void cgroup_table_get_stats(const struct cgroup_table *t, struct cgroup_table_stats *ret)
{
        *ret = t->stats;
}

struct cgroup_table *cgroup_table_free(struct cgroup_table *t)
{
        if (!t)
                return NULL;
        if (t->buckets)
                for (size_t b = 0; b <= t->mask; b++)
                        while (t->buckets[b]) {
                                struct name *n = t->buckets[b];

                                t->buckets[b] = n->chain;
                                free(n);
                        }
        free(t->buckets);
        free(t);
        return NULL;
}
