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
 * container id. Best effort: a cgroup removed before it was first looked up
 * has no names (OPEN_CGROUP_ID stays).
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

#endif
