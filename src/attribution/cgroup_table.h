/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_CGROUP_TABLE_H
#define OPENSNOOPD_CGROUP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The cgroups the daemon has learned the names of: id → path below the
 * cgroup2 root, as the kernel said it when the cgroup was made
 * (cgroup:cgroup_mkdir) or as one scan of the mount found it at start. A
 * name learned this way outlives the cgroup: a removed cgroup's name is kept
 * until the caller says that every record that may name it has been written
 * (cgroup_table_release()), so a cgroup that lived a millisecond is named on
 * its records like any other.
 *
 * Why two pools: a user with a delegated subtree (systemd's Delegate=, a
 * user manager, rootless containers) may make cgroups as fast as it likes.
 * The cgroups made by root (PID 1's units, root's container runtimes) and
 * those made by anyone else are counted against separate bounds, so a flood
 * of the latter can fill only its own pool: a system service's name is never
 * refused for it. What does not fit is refused and counted, never evicted:
 * the caller falls back to asking the kernel while the cgroup exists.
 *
 * Pure bookkeeping: no file system, no clock, no logging. Not thread-safe.
 */

enum cgroup_pool {
        CGROUP_POOL_SYSTEM,    /* made by root */
        CGROUP_POOL_DELEGATED, /* made by any other user */
        _CGROUP_POOL_MAX,
};

/* Per pool: live and removed-but-kept cgroups, and the bytes of their paths. */
struct cgroup_table_limits {
        size_t entries[_CGROUP_POOL_MAX];
        size_t bytes[_CGROUP_POOL_MAX];
};

/* The daemon's: 32768 cgroups (8 MiB of paths) made by root, 8192 (2 MiB) by everyone else. */
#define CGROUP_TABLE_SYSTEM_ENTRIES    32768
#define CGROUP_TABLE_SYSTEM_BYTES      (8u << 20)
#define CGROUP_TABLE_DELEGATED_ENTRIES 8192
#define CGROUP_TABLE_DELEGATED_BYTES   (2u << 20)

struct cgroup_table_stats {
        size_t entries[_CGROUP_POOL_MAX]; /* now, removed ones waiting for release included */
        size_t bytes[_CGROUP_POOL_MAX];
        size_t removed;                   /* of entries: removed, kept until released */
        uint64_t refused[_CGROUP_POOL_MAX]; /* names not kept: their pool was full */
};

struct cgroup_table;

int cgroup_table_new(const struct cgroup_table_limits *limits, struct cgroup_table **ret);

/* Accepts NULL; returns NULL. */
struct cgroup_table *cgroup_table_free(struct cgroup_table *t);

/*
 * Learns id's path (len bytes, not NUL-terminated) in pool. 0: kept (or
 * known already: the first name stays), -ENOSPC: the pool is full (counted),
 * -ENOMEM.
 */
int cgroup_table_add(struct cgroup_table *t, uint64_t id, const char *path, size_t len, enum cgroup_pool pool);

/* The path, NUL-terminated, valid until the entry is released; NULL if unknown. */
const char *cgroup_table_lookup(const struct cgroup_table *t, uint64_t id);

/*
 * The cgroup is gone: its name is kept until cgroup_table_release() is called
 * with a mark of at least `mark` and a time of at least `time` (the caller's
 * units, both non-decreasing across calls; a later removal never waits less
 * than an earlier one, which keeps the release in order). Unknown ids are
 * ignored.
 */
void cgroup_table_remove(struct cgroup_table *t, uint64_t id, uint64_t mark, uint64_t time);

/* Forgets the removed cgroups whose mark and time have both been reached. */
void cgroup_table_release(struct cgroup_table *t, uint64_t mark, uint64_t time);

void cgroup_table_get_stats(const struct cgroup_table *t, struct cgroup_table_stats *ret);

#endif
