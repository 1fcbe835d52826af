/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_PIPELINE_H
#define OPENSNOOPD_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backlog.h"
#include "counters.h"
#include "enrich.h"
#include "fold.h"
#include "queue.h"
#include "sink.h"
#include "unit_filter.h"

/*
 * What the writer thread does with one queued record, stage by stage:
 * decode (decode.c: bytes → struct open_event) → enrich (enrich.c: the
 * cgroup id → its path, unit and container, resolved at once and looked up
 * again, cached, when the entry is written) → fold (fold.c: repeated opens
 * within a window → one entry with OPEN_COUNT=; only while folding is on) →
 * sink (sink_*.c: the destination).
 *
 * The pipeline counts what leaves it, in opens: counters->written for every
 * open an entry that the sink took stands for, counters->undelivered for
 * those it can never write. Not thread-safe, except pipeline_set_coalesce().
 */
struct pipeline;

/* What [Output] Coalesce=, CoalesceBy= and CoalesceNames= say. window_ns 0: folding is off. */
struct coalesce {
        uint64_t window_ns;
        enum coalesce_by by;
        bool names; /* an entry for the names of a key opened in the window (fold_gather()) */
};

/* The pipeline writes to sink, which it does not own. */
/* enrich may be NULL (no attribution). */
int pipeline_new(struct sink *sink, struct enrich *enrich, struct counters *c, const struct coalesce *co,
                 struct pipeline **ret);
struct pipeline *pipeline_free(struct pipeline *p);

/*
 * Before the writer starts: the records the kernel could not decide for
 * Units=/ExcludeUnits= (OPEN_EVENT_UNIT_UNDECIDED) are decided by units,
 * right after enrich, and those it drops are counted in counters->filtered_user.
 */
void pipeline_set_unit_filter(struct pipeline *p, struct unit_filter *units);

/*
 * Runs one record through every stage, at now_ns (CLOCK_MONOTONIC). 0: the
 * record is done with (written, pending in a window, or counted as
 * undelivered: a malformed record, or one the sink refused for good).
 * -EAGAIN: the sink cannot take an entry now; offer the same record again
 * later (nothing of it was counted).
 */
int pipeline_push(struct pipeline *p, const void *record, size_t len, uint64_t now_ns);

/*
 * Writes the folded entries whose window has closed by now_ns (all of them
 * with UINT64_MAX: a stop, a reload). 0, or -EAGAIN when the sink cannot take
 * one now: it stays pending, call again later.
 */
int pipeline_emit(struct pipeline *p, uint64_t now_ns);

/* The same, for one entry at most: 1 (written, or counted), 0 (none due), -EAGAIN. */
int pipeline_emit_one(struct pipeline *p, uint64_t now_ns);

/* Opens pending in windows. */
uint64_t pipeline_pending(const struct pipeline *p);

/* The bytes the pending windows hold (fold_bytes()). */
size_t pipeline_held_bytes(const struct pipeline *p);

/*
 * A stop, with the queue's records in items: the order to push them in, as
 * indexes into items, in order[] (n of them). Fair to every user: the opens
 * of the users with the smallest backlog (queued, and pending in windows)
 * come first, so that one user's flood, queued ahead of everyone else's
 * opens, cannot use up the time a stop has for all of them. Cgroups'
 * records keep their place around the opens: the cgroups made come first,
 * the cgroups removed last, so every open is written while its cgroup's
 * name is known; and names are no longer released (the order their release
 * counts on no longer holds). The pending entries are put in the same
 * order. 0, or -ENOMEM (nothing changed).
 */
int pipeline_stop_order(struct pipeline *p, const struct queue_item *items, size_t n, size_t *order);

/* After pipeline_stop_order(): puts the entries pending now in its order (those added since, too). */
void pipeline_order_pending(struct pipeline *p);

/* Out of time at a stop: counts every pending open as undelivered, by its uid, and forgets them. */
void pipeline_abandon(struct pipeline *p);

/* Out of time at a stop: counts a record that will not be pushed as undelivered, by its uid (a cgroup's, nothing). */
void pipeline_abandon_record(struct pipeline *p, const void *record, size_t len);

/*
 * Learns the names of the cgroups there are, in one scan of the mount: once
 * the kernel side reports the cgroups made and removed, and before the writer
 * starts (it owns the pipeline then), so that no record is looked up before.
 * A scan that fails part way (-EMFILE, ...) has learned what it passed.
 */
int pipeline_learn_cgroups(struct pipeline *p);

/*
 * A reload, from any thread: the next pipeline_reconfigure() (in the writer)
 * writes every pending entry, then folds per co.
 */
void pipeline_set_coalesce(struct pipeline *p, const struct coalesce *co);

/* In the writer: applies what pipeline_set_coalesce() asked. 0, or -EAGAIN (the flush is not done yet). */
int pipeline_reconfigure(struct pipeline *p);

#endif
