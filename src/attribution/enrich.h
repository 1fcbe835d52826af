/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_ENRICH_H
#define OPENSNOOPD_ENRICH_H

#include <stdint.h>

#include "cgroup_names.h"

/*
 * The enrich stage: who an open belongs to, from the cgroup id the kernel
 * side captured. cgroup_resolver.c turns the id into the cgroup's path
 * without reading /proc (cached; a cgroup is stable for its life),
 * cgroup_names.c turns the path into the systemd unit, the user unit and a
 * container id.
 *
 * Where the kernel side reports cgroups as they are made and removed
 * (OPEN_RECORD_CGROUP_*), their names are learned then, and those of the
 * cgroups there already by one scan of the mount (cgroup_table.c): a cgroup
 * removed before its opens are written is named on them all the same. Its
 * name is kept until the caller releases it. A cgroup neither learned nor
 * there when its open is looked up (a pool full, a record lost, no such
 * tracepoints) has no names: OPEN_CGROUP_ID stays, and the caller counts it.
 */
struct enrich;

/* What one lookup found; valid until the next enrich_lookup(). */
struct attribution {
        const char *cgroup; /* path below the cgroup2 mount; NULL if unknown */
        struct cgroup_names names;
};

/* -ENOMEDIUM: the machine has no cgroup2 mount (no attribution then). */
int enrich_new(struct enrich **ret);
struct enrich *enrich_free(struct enrich *e);

/*
 * Looks the id up (and remembers it): 0 with *a filled, or -errno with *a
 * empty. The writer calls it as soon as a record is decoded, so that a
 * short-lived unit is resolved before it goes, and again when the entry is
 * written, which then finds it cached.
 */
int enrich_lookup(struct enrich *e, uint64_t cgroup_id, struct attribution *a);

/* How long (CLOCK_BOOTTIME) a removed cgroup's name outlives its removal at least, for any record late. */
#define ENRICH_REMOVED_GRACE_NS 1000000000ull

struct open_event;

/*
 * A cgroup record (OPEN_RECORD_CGROUP_MKDIR, _RMDIR): a cgroup made is
 * learned (in the pool of its maker: root's or everyone else's); a cgroup
 * removed is forgotten once enrich_release() has reached mark, and a record
 * time of ENRICH_REMOVED_GRACE_NS after its removal. 0, or -ENOSPC (its pool
 * is full), -ENAMETOOLONG (the kernel cut its path), -ENOMEM: not learned.
 */
int enrich_learn(struct enrich *e, const struct open_event *rec, uint64_t mark);

/* mark: the caller's count of records written; boot_ns: the newest record's time. */
void enrich_release(struct enrich *e, uint64_t mark, uint64_t boot_ns);

/* Learns every cgroup of the mount: once, after the cgroup records have begun to come. */
int enrich_scan(struct enrich *e);

#endif
