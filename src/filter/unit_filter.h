/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_UNIT_FILTER_H
#define OPENSNOOPD_UNIT_FILTER_H

#include <stdint.h>

#include "filter_maps.h"

/*
 * Units= and ExcludeUnits= where the kernel cannot decide: the first opens
 * of a cgroup it has no verdict for (OPEN_EVENT_UNIT_UNDECIDED). The writer
 * decides them from the cgroup's path (unit_match.c) and stores the verdict
 * in the kernel's filter_cgroups map, so the later opens of that cgroup are
 * decided there. A reload that changes the lists clears the map under the
 * same lock, so no verdict of the old lists is stored after it.
 * Thread-safe: the writer decides, the main thread reloads. No logging.
 */
struct unit_filter;

/* Where the verdicts go: the kernel's map (probe.c), behind two calls. */
struct unit_verdict_store {
        int (*store)(void *cookie, uint64_t cgroup_id, uint8_t verdict);
        int (*clear)(void *cookie);
        void *cookie;
};

int unit_filter_new(const struct unit_verdict_store *store, struct unit_filter **ret);

/* Takes c's lists (copied); when they changed, forgets every stored verdict. 0 or -errno. */
int unit_filter_set(struct unit_filter *u, const struct filter_config *c);

/*
 * The verdict on an open from cgroup_id, whose path is path (NULL: it could
 * not be resolved, the cgroup is gone: recorded, and nothing is stored).
 * Returns FILTER_INCLUDE (record it) or FILTER_EXCLUDE (drop it).
 */
uint8_t unit_filter_decide(struct unit_filter *u, uint64_t cgroup_id, const char *path);

/* Accepts NULL; returns NULL. */
struct unit_filter *unit_filter_free(struct unit_filter *u);

#endif
