/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_CGROUP_SCAN_H
#define OPENSNOOPD_CGROUP_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * One walk of a cgroup2 mount, depth first, to CGROUP_SCAN_DEPTH levels:
 * visit() is called for every cgroup below the root with its id (the
 * directory's inode number, which is the kernfs id
 * bpf_get_current_cgroup_id() returns), its path relative to the mount
 * ("/system.slice/x.service", len bytes) and its directory's owner (a
 * delegated subtree is chowned to its user). A cgroup removed during the walk
 * is skipped. No logging.
 *
 * visit() returns 0 to go on, a negative errno to stop (cgroup_scan() returns
 * it). Returns 0, or a negative errno (-EMFILE, -ENOMEM, ...).
 */
#define CGROUP_SCAN_DEPTH 64

typedef int (*cgroup_scan_visit)(void *cookie, uint64_t id, const char *path, size_t len, uid_t owner);

int cgroup_scan(int mount_fd, cgroup_scan_visit visit, void *cookie);

#endif
