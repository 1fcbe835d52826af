/* SPDX-License-Identifier: MIT */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "event.h"
#include "fields.h"
#include "journal.h"
#include "stream.h"

#define RETRY_MS 100
#define REPORT_INTERVAL_NS 1000000000ull

struct writer {
        struct writer_options o;
        struct queue *q;
        struct counters *c;
        pthread_t thread;
        bool started;
        bool joined;
        _Atomic int priority;
        _Atomic int failure_priority;
        _Atomic uint64_t stop_deadline_ns; /* 0: running */
        uint64_t reported_lost;
        uint64_t reported_undelivered;
        uint64_t last_report_ns;
        struct open_event event;
        struct fields fields;
};

static void sleep_ms(int ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Delivers one record. -EAGAIN: try again later (journald away); other errors drop it. */
static int deliver(struct writer *w, const void *data, size_t len)
{
        struct fields_options fo;
        int r = open_event_decode(data, len, &w->event);

        if (r < 0)
                return r;
        if (w->o.target == OUTPUT_TEXT)
                return stream_write_text(w->o.stream, &w->event, w->o.start_boot_ns);
        /* read per event: a clock step or a reload applies from the next one */
        fo = (struct fields_options){
                .priority = atomic_load(&w->priority),
                .failure_priority = atomic_load(&w->failure_priority),
                .boot_to_realtime_ns = (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME)),
        };
        r = fields_from_event(&w->fields, &w->event, &fo);
        if (r < 0)
                return r;
        if (w->o.target == OUTPUT_JSON)
                return stream_write_json(w->o.stream, &w->fields);
        r = journal_send(&w->fields);
        /* ECONNREFUSED: the socket outlived journald; EAGAIN/ENOBUFS: it is overloaded. */
        return r < 0 ? -EAGAIN : 0;
}

/* Reports new losses, at most once a second; a report that cannot be sent is retried. */
static void report_losses(struct writer *w, bool force)
{
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        uint64_t lost = counters_lost(w->c), undelivered = atomic_load(&w->c->undelivered);
        uint64_t new_lost = lost - w->reported_lost, new_undelivered = undelivered - w->reported_undelivered;
        int r;

        if ((new_lost == 0 && new_undelivered == 0) || (!force && now - w->last_report_ns < REPORT_INTERVAL_NS))
                return;
        w->last_report_ns = now;
        if (w->o.target == OUTPUT_TEXT) {
                fprintf(stderr, "opensnoopd: %llu events lost in the kernel, %llu could not be delivered\n",
                        (unsigned long long)new_lost, (unsigned long long)new_undelivered);
                r = 0;
        } else {
                fields_loss_report(&w->fields, new_lost, new_undelivered);
                if (w->o.target == OUTPUT_JSON)
                        r = stream_write_json(w->o.stream, &w->fields);
                else
                        r = journal_reachable() ? journal_send(&w->fields) : -ENOTCONN;
        }
        if (r == 0) {
                w->reported_lost = lost;
                w->reported_undelivered = undelivered;
        }
}

static bool past_deadline(struct writer *w)
{
        uint64_t deadline = atomic_load(&w->stop_deadline_ns);

        return deadline && clock_ns(CLOCK_MONOTONIC) > deadline;
}

static void flush_stream(struct writer *w)
{
        if (w->o.stream)
                fflush(w->o.stream);
}

static void *writer_main(void *arg)
{
        struct writer *w = arg;

        for (;;) {
                const void *data;
                size_t len;
                int r = queue_peek(w->q, &data, &len, RETRY_MS);

                if (r == -ESHUTDOWN)
                        break;
                if (r == -EAGAIN) {
                        flush_stream(w);
                        if (!atomic_load(&w->c->journal_down))
                                report_losses(w, false);
                        continue;
                }
                if (past_deadline(w)) {
                        /* Stopping, and out of time: what is left is counted, not written. */
                        queue_pop(w->q);
                        atomic_fetch_add(&w->c->undelivered, 1);
                        continue;
                }
                /* sd_journal_sendv() "succeeds" without a socket: check before every send
                 * (well under a microsecond, against ~20 for the send itself). */
                if (w->o.target == OUTPUT_JOURNAL && !journal_reachable())
                        r = -EAGAIN;
                else
                        r = deliver(w, data, len);
                if (r == -EAGAIN) {
                        /* journald is away: keep the record, let the queue absorb the rest */
                        atomic_store(&w->c->journal_down, 1);
                        flush_stream(w);
                        sleep_ms(RETRY_MS);
                        continue;
                }
                queue_pop(w->q);
                if (r == 0) {
                        atomic_fetch_add(&w->c->written, 1);
                        atomic_store(&w->c->journal_down, 0);
                } else {
                        atomic_fetch_add(&w->c->undelivered, 1);
                }
                if (!atomic_load(&w->c->journal_down))
                        report_losses(w, false);
        }
        report_losses(w, true);
        flush_stream(w);
        return NULL;
}

int writer_start(const struct writer_options *o, struct queue *q, struct counters *c, struct writer **ret)
{
        struct writer *w = calloc(1, sizeof(*w));
        int r;

        if (!w)
                return -ENOMEM;
        w->o = *o;
        w->q = q;
        w->c = c;
        atomic_store(&w->priority, o->priority);
        atomic_store(&w->failure_priority, o->failure_priority);
        r = pthread_create(&w->thread, NULL, writer_main, w);
        if (r != 0) {
                free(w);
                return -r;
        }
        w->started = true;
        *ret = w;
        return 0;
}

void writer_set_priorities(struct writer *w, int priority, int failure_priority)
{
        atomic_store(&w->priority, priority);
        atomic_store(&w->failure_priority, failure_priority);
}

int writer_stop(struct writer *w, int timeout_ms)
{
        struct timespec limit;
        int r;

        if (!w || !w->started || w->joined)
                return 0;
        /* Deliver for three quarters of the time, then count the rest; the margin
         * covers counting them and one last loss report. */
        atomic_store(&w->stop_deadline_ns, clock_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 750000ull);
        queue_close(w->q);
        clock_gettime(CLOCK_REALTIME, &limit);
        limit.tv_sec += timeout_ms / 1000 + 2;
        r = pthread_timedjoin_np(w->thread, NULL, &limit);
        if (r != 0)
                return -ETIMEDOUT;
        w->joined = true;
        return 0;
}

struct writer *writer_free(struct writer *w)
{
        if (!w)
                return NULL;
        /* A thread stuck in a write still uses w: leave it to process exit. */
        if (w->started && !w->joined)
                return NULL;
        free(w);
        return NULL;
}
