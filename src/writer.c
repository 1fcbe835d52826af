/* SPDX-License-Identifier: MIT */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "decode.h"
#include "pipeline.h"

#define RETRY_MS           100
#define REPORT_INTERVAL_NS 1000000000ull

struct writer {
        struct queue *q;
        struct pipeline *pipeline;
        struct sink *sink; /* for loss reports and flushing */
        struct counters *c;
        pthread_t thread;
        bool started;
        bool joined;
        _Atomic uint64_t stop_deadline_ns;      /* 0: running */
        _Atomic uint64_t alive_ns;              /* the loop's last turn: the watchdog's heartbeat */
        struct loss_report reported;            /* totals already reported */
        struct uid_loss_counts reported_by_uid; /* the same, by user */
        uint64_t last_report_ns;
};

static void sleep_ms(int ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Reports new losses, at most once a second (force: now); a report that cannot be sent is retried. */
static void report_losses(struct writer *w, bool force)
{
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        struct loss_report total = { .lost = counters_lost(w->c),
                                     .undelivered = atomic_load(&w->c->undelivered),
                                     .suppressed = atomic_load(&w->c->suppressed) };
        struct loss_report news = { .lost = total.lost - w->reported.lost,
                                    .undelivered = total.undelivered - w->reported.undelivered,
                                    .suppressed = total.suppressed - w->reported.suppressed };
        struct uid_loss_counts by_uid;

        if ((news.lost == 0 && news.undelivered == 0 && news.suppressed == 0) ||
            (!force && now - w->last_report_ns < REPORT_INTERVAL_NS))
                return;
        w->last_report_ns = now;
        uid_losses_snapshot(&w->c->undelivered_by_uid, &by_uid);
        uid_losses_format_news(&by_uid, &w->reported_by_uid, news.by_uid, sizeof(news.by_uid));
        if (sink_write_loss(w->sink, &news) == 0) {
                w->reported = total;
                w->reported_by_uid = by_uid;
        }
}

static bool past_deadline(struct writer *w)
{
        uint64_t deadline = atomic_load(&w->stop_deadline_ns);

        return deadline && clock_ns(CLOCK_MONOTONIC) > deadline;
}

/* The sink is away: wait a little before offering the same entry again. */
static void sink_away(struct writer *w)
{
        atomic_store(&w->c->sink_down, 1);
        sink_flush(w->sink);
        sleep_ms(RETRY_MS);
}

/*
 * The stop: the queue is empty; write what is pending in fold windows while
 * there is time, then count the rest as undelivered.
 */
static void flush_pending(struct writer *w)
{
        while (pipeline_pending(w->pipeline) > 0) {
                if (past_deadline(w)) {
                        pipeline_abandon(w->pipeline);
                        break;
                }
                if (pipeline_emit(w->pipeline, UINT64_MAX) == -EAGAIN)
                        sink_away(w);
        }
}

/* A queued record left at a stop: an open is undelivered; a cgroup's record tells no open. */
static void count_unwritten(struct writer *w, const void *record)
{
        if (record_is_open(record))
                atomic_fetch_add(&w->c->undelivered, 1);
}

static void *writer_main(void *arg)
{
        struct writer *w = arg;

        for (;;) {
                const void *data;
                size_t len;
                int r;

                /* every turn: at least each RETRY_MS, idle or not; a write journald never returns from stops it */
                atomic_store(&w->alive_ns, clock_ns(CLOCK_MONOTONIC));
                /* a reload: pending windows are written first, then the new settings apply */
                if (pipeline_reconfigure(w->pipeline) == -EAGAIN ||
                    pipeline_emit(w->pipeline, clock_ns(CLOCK_MONOTONIC)) == -EAGAIN) {
                        if (past_deadline(w))
                                break;
                        sink_away(w);
                        continue;
                }
                r = queue_peek(w->q, &data, &len, RETRY_MS);
                if (r == -ESHUTDOWN)
                        break;
                if (r == -EAGAIN) {
                        sink_flush(w->sink);
                        if (!atomic_load(&w->c->sink_down))
                                report_losses(w, false);
                        continue;
                }
                if (past_deadline(w)) {
                        /* Stopping, and out of time: what is left is counted, not written. */
                        count_unwritten(w, data);
                        queue_pop(w->q);
                        continue;
                }
                r = pipeline_push(w->pipeline, data, len, clock_ns(CLOCK_MONOTONIC));
                if (r == -EAGAIN) {
                        /* the sink is away: keep the record, let the queue absorb the rest */
                        sink_away(w);
                        continue;
                }
                /* written, pending in a window, or counted as undelivered by the pipeline */
                queue_pop(w->q);
                atomic_store(&w->c->sink_down, 0);
                report_losses(w, false);
        }
        /* out of time with records still queued: count them */
        for (const void *data; queue_peek(w->q, &data, &(size_t){ 0 }, 0) == 0;) {
                count_unwritten(w, data);
                queue_pop(w->q);
        }
        flush_pending(w);
        report_losses(w, true);
        sink_flush(w->sink);
        return NULL;
}

int writer_start(struct queue *q, struct pipeline *p, struct sink *loss_sink, struct counters *c, struct writer **ret)
{
        struct writer *w = calloc(1, sizeof(*w));
        int r;

        if (!w)
                return -ENOMEM;
        w->q = q;
        w->pipeline = p;
        w->sink = loss_sink;
        w->c = c;
        w->alive_ns = clock_ns(CLOCK_MONOTONIC);
        r = pthread_create(&w->thread, NULL, writer_main, w);
        if (r != 0) {
                free(w);
                return -r;
        }
        w->started = true;
        *ret = w;
        return 0;
}

int writer_stop(struct writer *w, int timeout_ms)
{
        struct timespec limit;

        if (!w || !w->started || w->joined)
                return 0;
        /* Deliver for three quarters of the time, then count the rest; the margin
         * covers counting them and one last loss report. */
        atomic_store(&w->stop_deadline_ns, clock_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 750000ull);
        queue_close(w->q);
        clock_gettime(CLOCK_REALTIME, &limit);
        limit.tv_sec += timeout_ms / 1000 + 2;
        if (pthread_timedjoin_np(w->thread, NULL, &limit) != 0)
                return -ETIMEDOUT;
        w->joined = true;
        return 0;
}

uint64_t writer_alive_ns(struct writer *w)
{
        return atomic_load(&w->alive_ns);
}

void writer_reported(struct writer *w, struct loss_report *total)
{
        *total = w->reported;
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
