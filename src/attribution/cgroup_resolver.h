/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_CGROUP_RESOLVER_H
#define OPENSNOOPD_CGROUP_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * cgroup id (bpf_get_current_cgroup_id(): the kernfs id, on 64-bit kernels
 * the inode number of the cgroup's directory) → its path relative to the
 * cgroup2 mount ("/system.slice/nginx.service", "/" for the root).
 *
 * Why open_by_handle_at(): the id is a kernfs file handle (type
 * FILEID_KERNFS, 8 bytes), so the kernel finds the directory in one call,
 * whatever the size of the tree, and readlink("/proc/self/fd/N") names it.
 * Nothing is read per event, and no /proc/PID/cgroup is needed (the process
 * may be gone by then). The alternatives are worse: /proc/PID/cgroup races
 * with exit and migration, and a walk of the tree costs O(cgroups). It needs
 * CAP_DAC_READ_SEARCH (in the service's bounding set); where the kernel
 * refuses it (EPERM, EOPNOTSUPP, ENOSYS, EINVAL), the resolver switches for
 * good to scanning the mount (readdir's d_ino is the id), and each scan fills
 * the cache with every cgroup it passes while the cache has room, so one scan
 * answers the next lookups too.
 *
 * Cache bounds: at most CGROUP_RESOLVER_CACHE_MAX entries (found or gone),
 * allocated up front with an index twice that size; when full, an entry not
 * used since the clock hand last passed it is evicted (CLOCK, an LRU
 * approximation), so the cgroups that keep opening files stay. Memory is
 * bounded: the entries, the index, and one path string (< PATH_MAX) each.
 * Ids are never reused while the system runs, so a found entry is never
 * stale: a removed cgroup's entry just ages out. An id that cannot be
 * resolved is remembered as gone for CGROUP_RESOLVER_GONE_TTL_MS, and after
 * a scan the next one waits until scanning has used at most
 * CGROUP_RESOLVER_SCAN_PERCENT of the time (and CGROUP_RESOLVER_SCAN_GAP_MS at
 * least), whatever the size of the tree, so unknown ids (cgroups created and
 * removed in a burst, by a privileged or delegated user) cannot cause a scan
 * storm. A scan caches what it passes, but only into free entries.
 *
 * Best effort: a cgroup removed before its first lookup cannot be named
 * (-ENOENT; the caller keeps the numeric id), and over the scan budget a
 * lookup fails with -EAGAIN. The path is the one at lookup time: a cgroup
 * renamed (cgroup v2 allows it within its parent) keeps its cached name.
 *
 * Not thread-safe: one resolver per thread (the writer's). No logging.
 */

#define CGROUP_RESOLVER_CACHE_MAX    4096
#define CGROUP_RESOLVER_GONE_TTL_MS  2000
#define CGROUP_RESOLVER_SCAN_PERCENT 10
#define CGROUP_RESOLVER_SCAN_GAP_MS  50
/* A scan does not descend below this depth: deeper cgroups are found by handle only. */
#define CGROUP_RESOLVER_SCAN_DEPTH   64

struct cgroup_resolver;

struct cgroup_resolver_stats {
        uint64_t lookups;
        uint64_t cached;        /* answered from the cache, found or gone */
        uint64_t by_handle;     /* open_by_handle_at() calls */
        uint64_t scans;         /* walks of the whole mount */
        uint64_t scans_refused; /* lookups failed with -EAGAIN: scan budget used up */
        uint64_t scan_ns;       /* time spent scanning */
        uint64_t gone;          /* lookups answered -ENOENT */
        uint64_t evictions;     /* entries dropped to make room */
        size_t entries;         /* cached ids, found or gone */
        bool scan_only;         /* open_by_handle_at() refused or disabled */
};

enum {
        /* Never try open_by_handle_at(): for tests, and to measure the fallback. */
        CGROUP_RESOLVER_SCAN_ONLY = 1 << 0,
};

/* The resolver for the cgroup2 mount found in /proc/self/mountinfo; -ENOMEDIUM if there is none. */
int cgroup_resolver_new(struct cgroup_resolver **ret);

/* The same on a given mount point (NULL: from mountinfo), with CGROUP_RESOLVER_* flags. */
int cgroup_resolver_new_full(const char *mount, unsigned flags, struct cgroup_resolver **ret);

/*
 * *path receives the cgroup's path relative to the mount, starting with '/';
 * it stays valid until the next lookup or cgroup_resolver_free(). Returns 0,
 * -ENOENT (no such cgroup: removed before it could be resolved), -EAGAIN (not
 * resolved: scan budget used up), or another negative errno (-ENOMEM,
 * -EMFILE, ...). Anything negative means "no attribution for this one".
 */
int cgroup_resolver_lookup(struct cgroup_resolver *r, uint64_t id, const char **path);

/* The mount point used ("/sys/fs/cgroup"), for the caller's log message. */
const char *cgroup_resolver_mount(const struct cgroup_resolver *r);

void cgroup_resolver_get_stats(const struct cgroup_resolver *r, struct cgroup_resolver_stats *ret);

/* Accepts NULL; returns NULL. */
struct cgroup_resolver *cgroup_resolver_free(struct cgroup_resolver *r);

/*
 * The mount point of the first cgroup2 file system mounted at its root ("/"
 * in mountinfo's fourth field) in mountinfo's text, unescaped ("\040" is a
 * space), into buf. Returns its length, -ENOMEDIUM if there is none, or
 * -ENAMETOOLONG.
 */
int cgroup2_mount_from_mountinfo(FILE *mountinfo, char *buf, size_t size);

#endif
