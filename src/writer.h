/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_WRITER_H
#define OPENSNOOPD_WRITER_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "counters.h"
#include "queue.h"

/*
 * The writer thread: takes events off the queue and delivers them to the
 * journal (or stdout), so a slow journald blocks this thread and never the
 * perf reader. A record is popped only once delivered; while journald is
 * unreachable the writer retries and the queue absorbs the backlog.
 */
struct writer;

struct writer_options {
        enum output_target target;
        int priority;
        int failure_priority;
        FILE *stream;           /* json and text */
        uint64_t start_boot_ns; /* text: TIME(s) counts from here */
};

int writer_start(const struct writer_options *o, struct queue *q, struct counters *c, struct writer **ret);

/* Takes effect from the next event (SIGHUP). */
void writer_set_priorities(struct writer *w, int priority, int failure_priority);

/*
 * Closes the queue and lets the thread deliver what is queued for most of
 * timeout_ms; what is left then is counted as undelivered, and a last loss
 * report is sent. Returns 0 once the thread has ended, or -ETIMEDOUT if it is
 * stuck in a write (journald hung): it is then still running, and the caller
 * must not free anything it uses, nor run exit-time destructors under it.
 */
int writer_stop(struct writer *w, int timeout_ms);

struct writer *writer_free(struct writer *w);

#endif
