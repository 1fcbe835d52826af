/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_COUNTERS_H
#define OPENSNOOPD_COUNTERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "uid_losses.h"

/*
 * What happened to every open that was traced, shared by the reader, the
 * writer and the session. Every traced open ends in exactly one of: written,
 * lost (never reached user space), undelivered (reached us, could not be
 * written), filtered_user (reached us undecided for Units=, then dropped). Counts are of opens, not of entries: a folded entry counts its
 * OPEN_COUNT. suppressed is a part of written: entries journald took and
 * then dropped under its rate limit ("Suppressed N messages").
 */
struct counters {
        _Atomic uint64_t written;
        _Atomic uint64_t lost_malformed;      /* records user space could not decode */
        _Atomic uint64_t lost_kernel;         /* in-flight table or buffer full (from the stats map) */
        _Atomic uint64_t undelivered;         /* queue full, refused by the sink, or left at shutdown */
        _Atomic uint64_t suppressed;          /* of written: dropped by journald's rate limit */
        _Atomic uint64_t filtered;            /* dropped by the in-kernel filter (from the stats map) */
        _Atomic uint64_t filtered_user;       /* dropped by Units=/ExcludeUnits= in user space (a new cgroup's first opens) */
        /* Of written: opens whose cgroup could not be named (the entry has OPEN_CGROUP_ID alone). */
        _Atomic uint64_t unnamed;
        /* Of the opens that reached us: counted as repeats in the kernel (struct repeat_slot). */
        _Atomic uint64_t repeats;
        /* Not opens: cgroups whose names were not kept when they were made (a pool full, a path cut,
         * the record refused by the queue), and the kernel's count of such records it had no room for. */
        _Atomic uint64_t names_unkept;
        _Atomic uint64_t names_lost_kernel;
        _Atomic int sink_down;                /* the sink (journald) is unreachable right now */
        struct uid_losses undelivered_by_uid; /* undelivered, by user */
        struct uid_losses lost_by_uid;        /* of lost_kernel, by user (the kernel side's lost_uids) */
};

/* n of uid's opens that can never be written: every undelivered open is counted here, by its user. */
static inline void counters_undelivered(struct counters *c, uint32_t uid, uint64_t n)
{
        uid_losses_add(&c->undelivered_by_uid, uid, n);
        atomic_fetch_add(&c->undelivered, n);
}

/* Every open a filter dropped, in the kernel or (Units=, a cgroup's first opens) in user space. */
static inline uint64_t counters_filtered(struct counters *c)
{
        return atomic_load(&c->filtered) + atomic_load(&c->filtered_user);
}

static inline uint64_t counters_lost(struct counters *c)
{
        return atomic_load(&c->lost_malformed) + atomic_load(&c->lost_kernel);
}

/*
 * "12 written, 3 filtered, 2 lost, 5 undelivered, 0 suppressed, 0 unnamed; lost by uid 65534:2; undelivered
 * by uid 65534:5": the one way STATUS= and the logs say it (the uids only when something was lost or
 * undelivered);
 * "(2 cgroup names not kept)" follows the counts where any were not, and "; 9 counted as repeats in the
 * kernel" the rest where any were.
 */
void counters_format(struct counters *c, char *buf, size_t size);

#endif
