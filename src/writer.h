/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_WRITER_H
#define OPENSNOOPD_WRITER_H

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

int writer_start(struct queue *q, struct pipeline *p, struct sink *loss_sink, struct counters *c, struct writer **ret);

/*
 * Closes the queue and lets the thread deliver what is queued, then what is
 * pending in fold windows, for three quarters of timeout_ms; what is left
 * then is counted as undelivered (a folded entry: all the opens it holds),
 * and a last loss report is sent. Returns 0 once the thread has ended, or
 * -ETIMEDOUT if it is stuck in a write (journald hung): it is then still
 * running, and the caller must not free anything it uses, nor run exit-time
 * destructors under it.
 */
int writer_stop(struct writer *w, int timeout_ms);

/* When the thread last went round its loop (CLOCK_MONOTONIC ns): at least every 100 ms unless it is stuck. */
uint64_t writer_alive_ns(struct writer *w);

/* The totals the loss reports have said so far (after writer_stop(): all it will say). */
void writer_reported(struct writer *w, struct loss_report *total);

/* Accepts NULL; leaves a stuck thread's memory alone (see writer_stop()). */
struct writer *writer_free(struct writer *w);

#endif
