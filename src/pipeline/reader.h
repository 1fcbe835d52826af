/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_READER_H
#define OPENSNOOPD_READER_H

#include "counters.h"
#include "probe.h"
#include "queue.h"

/*
 * The reader thread: moves records from the probe's buffers onto the queue.
 * It never blocks on anything but the buffers: a record that does not fit on
 * the queue is counted as undelivered, a malformed one as lost (records the
 * kernel had no room for are counted by the kernel side). Reloads and status updates happen on other threads.
 */
struct reader;

int reader_new(struct queue *q, struct counters *c, struct reader **ret);

/* The probe's callback, with the reader as its cookie (probe_open_buffers()). */
void reader_on_event(void *reader, void *raw, int size);

/* Starts polling the probe's buffers on a thread of its own. */
int reader_start(struct reader *r, struct probe *p);

/* Ends the thread (within 100 ms) and waits for it; the buffers keep what it did not read. */
int reader_stop(struct reader *r);

/* Stops the thread if it runs; accepts NULL. */
struct reader *reader_free(struct reader *r);

#endif
