/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_JOURNALD_LIMITS_H
#define OPENSNOOPD_JOURNALD_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Whether journald rate-limits us, worked out as journald does:
 *
 * - journald attributes a client to a unit by its cgroup (the first
 *   component below the slices, as cg_path_get_unit() does); a process whose
 *   cgroup names no unit ("/", or a cgroup another manager made) is never
 *   rate-limited.
 * - The unit's LogRateLimitIntervalSec=/LogRateLimitBurst=, when systemd
 *   passed them on (symlinks /run/systemd/units/log-rate-limit-interval:UNIT
 *   and log-rate-limit-burst:UNIT; systemd 252 passes none for 0), win.
 * - Otherwise journald.conf's [Journal] RateLimitIntervalSec= and
 *   RateLimitBurst= (journald@NAMESPACE.conf for a namespace), with the
 *   drop-ins in /etc, /run and /usr/lib/systemd/journald.conf.d/, default
 *   30s and 10000. 0 for either turns the limit off.
 *
 * journald raises the burst with the free space of the journal's file
 * system (×1 up to 1 MB, ×4 at 4 GB, ×6 at 1 TB); that is not worked out.
 */
struct journald_limits {
        char unit[256];         /* "" when our cgroup names no unit */
        char cgroup[512];       /* our cgroup, as journald reads it */
        uint64_t interval_usec; /* 0: no limit */
        uint64_t burst;         /* 0: no limit */
        char source[300];       /* where the values come from */
};

/* root prefixes every path ("" on a real system; a directory in tests). */
int journald_limits_detect(const char *root, const char *namespace, struct journald_limits *l);

static inline bool journald_limits_apply(const struct journald_limits *l)
{
        return l->unit[0] && l->interval_usec > 0 && l->burst > 0;
}

/* The one startup line. */
void journald_limits_describe(const struct journald_limits *l, char *buf, size_t size);

/* The unit journald attributes a cgroup path to; unit[0] is '\0' when none. */
void journald_unit_of_cgroup(const char *path, char *unit, size_t size);

/* Our cgroup as journald sees it, from the text of /proc/PID/cgroup. */
void journald_cgroup_of(const char *proc_cgroup, char *path, size_t size);

/* "Suppressed 68084 messages from opensnoopd.service": N if the notice is about unit, else -1. */
long journald_suppressed_count(const char *message, size_t len, const char *unit);

#endif
