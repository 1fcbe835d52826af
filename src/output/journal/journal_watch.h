/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_JOURNAL_WATCH_H
#define OPENSNOOPD_JOURNAL_WATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "send_history.h"

/*
 * journald's own drops. journald rate-limits every unit that does not
 * exempt itself (journald.conf's RateLimitIntervalSec=/RateLimitBurst=, or
 * the unit's LogRateLimit*=): past the burst it drops entries, and logs only
 * "Suppressed N messages from UNIT" (MESSAGE_ID a596d6fe…, N_DROPPED=N), and
 * only when the unit's next entry arrives after the interval. This module
 * works out at startup whether the journal we write to rate-limits us,
 * reads those notices about our own unit from the journal (a thread, with
 * sd-journal), and adds N to *suppressed.
 *
 * The detection itself is journald_limits.c (no sd-journal there).
 */
struct journal_watch;

/*
 * Works out the rate limit and, when we are in a unit, starts the thread.
 * namespace: $LOG_NAMESPACE (systemd sets it with LogNamespace=), or NULL.
 * note receives one line for the startup log. Never fails for want of a
 * journal: the watch is then off, and note says so.
 */
int journal_watch_start(const char *namespace, _Atomic uint64_t *suppressed, char *note, size_t note_size,
                        struct journal_watch **ret);

/* Whether a notice about our unit has been counted. */
bool journal_watch_saw_suppression(struct journal_watch *w);

/*
 * Before a stop, once the writer has ended: journald reports what it dropped
 * in an interval only once the unit's next entry at that priority arrives
 * after it. If it may have dropped some of ours (it rate-limits us, and the
 * journal sink sent at least a burst's worth within the interval before its
 * last entry, as history says; NULL: another sink, nothing to do), waits until
 * that interval is surely over, at most max_wait_ms, sends one marker entry
 * at each priority it used, and waits until the markers are in the journal,
 * so that every notice they caused is counted. Returns the milliseconds it
 * waited.
 */
long journal_watch_settle(struct journal_watch *w, const struct send_history *history, long max_wait_ms);

/* Accepts NULL. */
struct journal_watch *journal_watch_free(struct journal_watch *w);

#endif
