/* SPDX-License-Identifier: MIT */
#include "writer.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "heap_trim.h"
#include "pipeline.h"

#define RETRY_MS           100
#define REPORT_INTERVAL_NS 1000000000ull
/* Past the delivery deadline, how often a write the sink does not return from is interrupted. */
#define INTERRUPT_MS       50
/*
 * What interrupts it: a signal whose handler does nothing and does not ask
 * for the call to be restarted, so a send blocked on a frozen journald's full
 * socket returns EINTR, having sent nothing (a datagram is all or nothing),
 * which the sink reports as "away". SIGURG: ignored by default, so one that
 * comes before the handler is in place does nothing either.
 */
#define INTERRUPT_SIGNAL   SIGURG

enum { CARRY_NONE, CARRY_PENDING, CARRY_TAKEN, CARRY_REFUSED };

struct writer {
        struct queue *q;
        struct pipeline *pipeline;
        struct sink *sink; /* for loss reports and flushing */
        struct counters *c;
        pthread_t thread;
        bool started;
        bool joined;
        _Atomic uint64_t stop_deadline_ns;      /* 0: running; past it, nothing more is written */
        _Atomic uint64_t report_deadline_ns;    /* past it, the last loss report is no longer offered */
        _Atomic uint64_t alive_ns;              /* the loop's last turn: the watchdog's heartbeat */
        struct loss_report reported;            /* totals already reported */
        struct uid_loss_counts reported_by_uid; /* the same, by user: undelivered */
        struct uid_loss_counts reported_lost_by_uid; /* and lost */
        uint64_t last_report_ns;
        struct writer_carry carry; /* an earlier daemon's report, sent first */
        _Atomic int carry_state;
        int carry_removed; /* 0, or why its file could not be removed */
        bool fair_tried;   /* the stop's queue was written in its fair order (or could not be) */
        struct heap_trim trim;
};

static void sleep_ms(int ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/*
 * Reports new losses, at most once a second (force: now). 0: reported, or
 * nothing to report (or not yet due); else the sink's error: it is retried.
 */
static int report_losses(struct writer *w, bool force)
{
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        struct loss_report total = { .lost = counters_lost(w->c),
                                     .undelivered = atomic_load(&w->c->undelivered),
                                     .suppressed = atomic_load(&w->c->suppressed) };
        struct loss_report news = { .lost = total.lost - w->reported.lost,
                                    .undelivered = total.undelivered - w->reported.undelivered,
                                    .suppressed = total.suppressed - w->reported.suppressed };
        struct uid_loss_counts by_uid, lost_by_uid;
        int r;

        if ((news.lost == 0 && news.undelivered == 0 && news.suppressed == 0) ||
            (!force && now - w->last_report_ns < REPORT_INTERVAL_NS))
                return 0;
        w->last_report_ns = now;
        /* the users after the totals: an open counted between the two reads waits for the next report */
        uid_losses_snapshot(&w->c->undelivered_by_uid, &by_uid);
        uid_losses_format_news(&by_uid, &w->reported_by_uid, news.by_uid, sizeof(news.by_uid));
        uid_losses_snapshot(&w->c->lost_by_uid, &lost_by_uid);
        uid_losses_format_news(&lost_by_uid, &w->reported_lost_by_uid, news.lost_by_uid, sizeof(news.lost_by_uid));
        r = sink_write_loss(w->sink, &news);
        if (r == 0) {
                w->reported = total;
                w->reported_by_uid = by_uid;
                w->reported_lost_by_uid = lost_by_uid;
        }
        return r;
}

/*
 * The report an earlier daemon could not deliver, before anything else. Once
 * the sink has taken it, its file goes: the next start must not send it
 * again. -EAGAIN: the sink is away; offer it again.
 */
static int send_carried(struct writer *w)
{
        int r = sink_write_loss(w->sink, &w->carry.report);

        if (r == -EAGAIN)
                return r;
        /* refused for good (it cannot be encoded): the file stays for an operator to read */
        if (r == 0 && unlink(w->carry.path) < 0 && errno != ENOENT)
                w->carry_removed = -errno;
        atomic_store(&w->carry_state, r == 0 ? CARRY_TAKEN : CARRY_REFUSED);
        return 0;
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

/* Out of time at a stop: what is still queued is counted, by user, not written. */
static void abandon_queued(struct writer *w)
{
        const void *data;
        size_t len;

        while (queue_peek(w->q, &data, &len, 0) == 0) {
                pipeline_abandon_record(w->pipeline, data, len);
                queue_pop(w->q);
        }
}

/*
 * A stop: what is queued is written in the order pipeline_stop_order()
 * gives, fair to every user, while there is time; the rest is counted as
 * undelivered, by user. 0: the queue is done with; -EBUSY (not closed yet)
 * or -ENOMEM: it is left to the oldest-first loop.
 */
static int deliver_fairly(struct writer *w)
{
        struct queue_item *items;
        size_t n, i = 0, *order;
        int r = queue_list(w->q, &items, &n);

        if (r < 0)
                return r;
        order = malloc((n ? n : 1) * sizeof(*order));
        r = order ? pipeline_stop_order(w->pipeline, items, n, order) : -ENOMEM;
        while (r == 0 && i < n) {
                const struct queue_item *it = &items[order[i]];

                atomic_store(&w->alive_ns, clock_ns(CLOCK_MONOTONIC));
                if (past_deadline(w)) {
                        pipeline_abandon_record(w->pipeline, it->data, it->len);
                        i++;
                } else if (pipeline_push(w->pipeline, it->data, it->len, clock_ns(CLOCK_MONOTONIC)) == -EAGAIN) {
                        sink_away(w); /* and offer the same record again */
                } else {
                        atomic_store(&w->c->sink_down, 0);
                        report_losses(w, false);
                        i++;
                }
        }
        if (r == 0)
                queue_clear(w->q);
        free(order);
        free(items);
        return r;
}

/*
 * The stop: the queue is empty; write what is pending in fold windows while
 * there is time, then count the rest as undelivered.
 */
static void flush_pending(struct writer *w)
{
        /* in the stop's fair order, the entries the queue's records made too */
        pipeline_order_pending(w->pipeline);
        while (pipeline_pending(w->pipeline) > 0) {
                if (past_deadline(w)) {
                        pipeline_abandon(w->pipeline);
                        break;
                }
                /* one at a time: the deadline is checked between two entries */
                if (pipeline_emit_one(w->pipeline, UINT64_MAX) == -EAGAIN)
                        sink_away(w);
                else
                        atomic_store(&w->alive_ns, clock_ns(CLOCK_MONOTONIC));
        }
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
                if (atomic_load(&w->carry_state) == CARRY_PENDING && send_carried(w) == -EAGAIN) {
                        if (past_deadline(w))
                                break;
                        sink_away(w);
                        continue;
                }
                /* a reload: pending windows are written first, then the new settings apply */
                if (pipeline_reconfigure(w->pipeline) == -EAGAIN ||
                    pipeline_emit(w->pipeline, clock_ns(CLOCK_MONOTONIC)) == -EAGAIN) {
                        if (past_deadline(w))
                                break;
                        sink_away(w);
                        continue;
                }
                /* the fold table has drained after a peak: its freed memory goes back to the kernel */
                if (heap_trim_due(&w->trim, pipeline_held_bytes(w->pipeline)))
                        malloc_trim(0);
                if (atomic_load(&w->stop_deadline_ns) && !w->fair_tried) {
                        w->fair_tried = deliver_fairly(w) != -EBUSY;
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
                        abandon_queued(w);
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
        abandon_queued(w);
        flush_pending(w);
        /* the last report, offered until its own deadline: journald may come back in time */
        while (report_losses(w, true) != 0 && clock_ns(CLOCK_MONOTONIC) < atomic_load(&w->report_deadline_ns))
                sleep_ms(RETRY_MS);
        sink_flush(w->sink);
        return NULL;
}

static void on_interrupt(int sig)
{
        (void)sig;
}

int writer_start(struct queue *q, struct pipeline *p, struct sink *loss_sink, struct counters *c,
                 const struct writer_carry *carry, struct writer **ret)
{
        /* no SA_RESTART: the interrupted call returns EINTR */
        struct sigaction sa = { .sa_handler = on_interrupt };
        struct writer *w = calloc(1, sizeof(*w));
        int r;

        if (!w)
                return -ENOMEM;
        w->q = q;
        w->pipeline = p;
        w->sink = loss_sink;
        w->c = c;
        w->alive_ns = clock_ns(CLOCK_MONOTONIC);
        if (carry) {
                w->carry = *carry;
                w->carry_state = CARRY_PENDING;
        }
        sigemptyset(&sa.sa_mask);
        if (sigaction(INTERRUPT_SIGNAL, &sa, NULL) < 0) {
                r = -errno;
                free(w);
                return r;
        }
        r = pthread_create(&w->thread, NULL, writer_main, w);
        if (r != 0) {
                free(w);
                return -r;
        }
        w->started = true;
        *ret = w;
        return 0;
}

/* Waits up to ms for the thread to end. */
static bool joined_within(struct writer *w, int ms)
{
        struct timespec limit = clock_in_ms(CLOCK_REALTIME, ms);

        return pthread_timedjoin_np(w->thread, NULL, &limit) == 0;
}

int writer_stop(struct writer *w, int timeout_ms)
{
        uint64_t start = clock_ns(CLOCK_MONOTONIC), deliver_until, give_up;

        if (!w || !w->started || w->joined)
                return 0;
        /* Deliver for three quarters of the time, then count the rest; the margin
         * covers counting them. The last loss report is offered until twice the time. */
        deliver_until = start + (uint64_t)timeout_ms * 750000ull;
        give_up = start + (uint64_t)timeout_ms * 3000000ull;
        atomic_store(&w->report_deadline_ns, start + (uint64_t)timeout_ms * 2000000ull);
        atomic_store(&w->stop_deadline_ns, deliver_until);
        queue_close(w->q);
        while (!joined_within(w, INTERRUPT_MS)) {
                uint64_t now = clock_ns(CLOCK_MONOTONIC);

                /* a thread that ignores even this (a write that cannot be interrupted) is left to exit */
                if (now > give_up)
                        return -ETIMEDOUT;
                if (now > deliver_until)
                        pthread_kill(w->thread, INTERRUPT_SIGNAL);
        }
        w->joined = true;
        return 0;
}

uint64_t writer_alive_ns(struct writer *w)
{
        return atomic_load(&w->alive_ns);
}

void writer_reported(struct writer *w, struct loss_report *total, struct uid_loss_counts *by_uid,
                     struct uid_loss_counts *lost_by_uid)
{
        *total = w->reported;
        *by_uid = w->reported_by_uid;
        *lost_by_uid = w->reported_lost_by_uid;
}

bool writer_carry_pending(struct writer *w)
{
        return atomic_load(&w->carry_state) == CARRY_PENDING;
}

int writer_carry_removed(struct writer *w)
{
        return w->carry_removed;
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
