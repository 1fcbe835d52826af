/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_WRITER_H
#define OPENSNOOPD_WRITER_H

#include <stdbool.h>

#include "counters.h"
#include "pipeline.h"
#include "queue.h"
#include "sink.h"

/*
 * The writer thread: takes records off the queue and runs them through the
 * pipeline, so a slow journald blocks this thread and never the reader. A
 * record leaves the queue only once the pipeline is done with it: while the
 * sink is unreachable the writer retries and the queue absorbs the backlog.
 * It also reports new losses through the sink, at most once a second.
 * Nothing here knows what a record means or where it goes.
 */
struct writer;

/* A loss report an earlier daemon could not deliver (pending_loss.h), and the file that keeps it. */
struct writer_carry {
        struct loss_report report;
        char path[4096];
};

/*
 * carry (may be NULL) is sent before anything else, retried while the sink
 * is away, and its file removed once the sink has taken it.
 */
int writer_start(struct queue *q, struct pipeline *p, struct sink *loss_sink, struct counters *c,
                 const struct writer_carry *carry, struct writer **ret);

/*
 * Closes the queue and lets the thread deliver what is queued, then what is
 * pending in fold windows, for three quarters of timeout_ms; what is left
 * then is counted as undelivered by its uid (a folded entry: all the opens it
 * holds), and a last loss report is offered until twice timeout_ms. Past the
 * delivery deadline, a write the sink does not return from (a frozen
 * journald) is interrupted every 50 ms: it sends nothing, and what it held is
 * counted. Returns 0 once the thread has ended, or -ETIMEDOUT if it still
 * runs at three times timeout_ms: the caller must then not free anything it
 * uses, nor run exit-time destructors under it.
 */
int writer_stop(struct writer *w, int timeout_ms);

/* When the thread last went round its loop (CLOCK_MONOTONIC ns): at least every 100 ms unless it is stuck. */
uint64_t writer_alive_ns(struct writer *w);

/* The totals the loss reports have said so far, and by user: undelivered, lost (after writer_stop(): all it will say). */
void writer_reported(struct writer *w, struct loss_report *total, struct uid_loss_counts *by_uid,
                     struct uid_loss_counts *lost_by_uid);

/* Whether the carried report has not been taken yet (it is still in its file). */
bool writer_carry_pending(struct writer *w);

/* 0, or -errno when the carried report was taken but its file could not be removed. */
int writer_carry_removed(struct writer *w);

/* Accepts NULL; leaves a stuck thread's memory alone (see writer_stop()). */
struct writer *writer_free(struct writer *w);

#endif
