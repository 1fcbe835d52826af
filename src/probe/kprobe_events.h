/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_KPROBE_EVENTS_H
#define OPENSNOOPD_KPROBE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Return probes made through tracefs (kprobe_events), not the kprobe PMU:
 * only there can a return probe say how many calls it follows at once
 * (maxactive). The PMU's default is max(10, 2 × CPUs): past that many opens
 * blocked at once (FIFOs, slow or hung file systems, or an ordinary user's
 * parked threads), returns go unseen. Events live in the "opensnoopd" group,
 * named after the process, and are removed when it detaches; those of a
 * process that died are removed by the next one.
 */
#define KPROBE_EVENTS_GROUP     "opensnoopd"
#define KPROBE_EVENTS_MAXACTIVE 4096 /* the kernel's limit (KRETPROBE_MAXACTIVE_MAX) */

/* Adds "r<maxactive>:opensnoopd/<name> <symbol>"; *id receives the event's tracepoint id. */
int kprobe_event_add_return(const char *name, const char *symbol, unsigned maxactive, uint64_t *id);

/* Removes the event (after its perf event is closed); a missing one is not an error. */
int kprobe_event_remove(const char *name);

/* How many calls the probe missed, from kprobe_profile. */
int kprobe_event_missed(const char *name, uint64_t *missed);

/* Removes the events of our group whose process (the number in their name) is gone. */
void kprobe_events_remove_stale(void);

#endif
