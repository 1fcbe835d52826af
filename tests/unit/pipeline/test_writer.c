/* SPDX-License-Identifier: MIT */
/*
 * The writer thread with the real queue, pipeline and decoder, and sinks
 * that stand for a destination's two kinds of failure: one that is away for
 * a while (-EAGAIN, retried) and one that refuses an entry for good (counted
 * as undelivered, so it cannot block the records behind it).
 */
#include "test_helpers.h"

#include <unistd.h>

#include "counters.h"
#include "pipeline.h"
#include "queue.h"
#include "sink.h"
#include "writer.h"

/* What the test sinks saw, by the fd number each record carries. */
static int written[64];
static int away_left;  /* -EAGAIN this many times before taking entries */
static int refused_fd; /* the record whose fd is this can never be written */
static int loss_reports;
static struct loss_report reported; /* what the writer's loss reports said, after the stop */
static struct uid_loss_counts reported_by_uid;
static struct uid_loss_counts reported_lost_by_uid;
static uint64_t folded_opens; /* with folding: the OPEN_COUNT of the entries written */

static int fake_write_event(struct sink *s, const struct open_event *ev, const struct open_context *ctx)
{
        const struct open_fold *fold = ctx->fold;

        (void)s;
        if (away_left > 0) {
                away_left--;
                return -EAGAIN;
        }
        if (ev->result == refused_fd)
                return -EINVAL;
        written[ev->result]++;
        if (fold)
                folded_opens += fold->count;
        return 0;
}

static int fake_write_loss(struct sink *s, const struct loss_report *report)
{
        (void)s;
        (void)report;
        loss_reports++;
        return 0;
}

static const struct sink_ops fake_ops = { .write_event = fake_write_event, .write_loss = fake_write_loss };

/* A destination that never returns from a write (a frozen journald's full socket), unless interrupted. */
static int frozen_fds[2];

static int frozen_wait(void)
{
        char c;

        return read(frozen_fds[0], &c, 1) < 0 && errno == EINTR ? -EAGAIN : -EIO;
}

static int frozen_write_event(struct sink *s, const struct open_event *ev, const struct open_context *ctx)
{
        (void)s;
        (void)ev;
        (void)ctx;
        return frozen_wait();
}

static int frozen_write_loss(struct sink *s, const struct loss_report *report)
{
        (void)s;
        (void)report;
        loss_reports++;
        return frozen_wait();
}

static const struct sink_ops frozen_ops = { .write_event = frozen_write_event, .write_loss = frozen_write_loss };

static void push_record(struct queue *q, int fd)
{
        struct open_event ev = { .pid = 1, .uid = 1000, .result = fd, .path_len = 1 };

        memcpy(ev.path, "x", 2);
        assert_int_equal(queue_push(q, &ev, OPEN_EVENT_HEADER_SIZE + 2), 0);
}

/* A destination that takes an entry every 2 ms: a stop's deadline cuts its backlog short. */
static int slow_write_event(struct sink *s, const struct open_event *ev, const struct open_context *ctx)
{
        usleep(2000);
        return fake_write_event(s, ev, ctx);
}

static const struct sink_ops slow_ops = { .write_event = slow_write_event, .write_loss = fake_write_loss };

/* One open of uid's, of DIR/<name>, its fd the test's mark. */
static void push_open_of(struct queue *q, uint32_t uid, int fd, int name)
{
        struct open_event ev = { .pid = uid + 1, .uid = uid, .result = fd };

        ev.path_len = (__u16)snprintf(ev.path, sizeof(ev.path), "/d/%d", name);
        assert_int_equal(queue_push_owned(q, &ev, OPEN_EVENT_HEADER_SIZE + ev.path_len + 1, uid), 0);
}

/*
 * A stop with one user's flood queued ahead of another user's opens, and
 * too little time to write it all: the other user's opens are written first,
 * and what the deadline leaves is the flooder's alone, counted as its.
 * With folding too (every name distinct: nothing folds).
 */
static void test_stop_writes_the_small_backlog_first(void **state)
{
        struct sink_options so = { .priority = 6, .failure_priority = 5 };
        struct uid_loss_counts by_uid;
        struct counters c;

        (void)state;
        for (int folding = 0; folding < 2; folding++) {
                struct queue *q;
                struct sink *sink;
                struct pipeline *p;
                struct writer *w;

                memset(&c, 0, sizeof(c));
                memset(written, 0, sizeof(written));
                away_left = 0;
                refused_fd = -1;
                uid_losses_init(&c.undelivered_by_uid);
                uid_losses_init(&c.lost_by_uid);
                assert_int_equal(queue_new(1 << 20, &q), 0);
                assert_int_equal(sink_new(&slow_ops, &so, &sink), 0);
                assert_int_equal(
                        pipeline_new(sink, NULL, &c,
                                     &(struct coalesce){ folding ? 600000000000ull : 0, COALESCE_BY_PROCESS, false }, &p),
                        0);
                for (int i = 0; i < 600; i++)
                        push_open_of(q, 65534, 1, i);
                for (int i = 0; i < 20; i++)
                        push_open_of(q, 0, 2, i);
                assert_int_equal(writer_start(q, p, sink, &c, NULL, &w), 0);
                /* 300 ms to deliver: some 150 entries, not 620 */
                assert_int_equal(writer_stop(w, 400), 0);
                assert_int_equal(written[2], 20);
                assert_true(written[1] < 600);
                assert_int_equal(atomic_load(&c.written) + atomic_load(&c.undelivered), 620);
                uid_losses_snapshot(&c.undelivered_by_uid, &by_uid);
                assert_int_equal(by_uid.n, 1);
                assert_int_equal(by_uid.users[0].uid, 65534);
                assert_int_equal(by_uid.users[0].count, 600 - written[1]);
                w = writer_free(w);
                p = pipeline_free(p);
                sink = sink_free(sink);
                q = queue_free(q);
                uid_losses_done(&c.undelivered_by_uid);
                uid_losses_done(&c.lost_by_uid);
        }
}

static void run_writer_on(const struct sink_ops *ops, int records, int away, int refused, uint64_t window_ns,
                          int stop_ms, struct counters *c)
{
        struct sink_options so = { .priority = 6, .failure_priority = 5 };
        struct queue *q;
        struct sink *sink;
        struct pipeline *p;
        struct writer *w;

        uid_losses_init(&c->undelivered_by_uid);
        uid_losses_init(&c->lost_by_uid);
        memset(written, 0, sizeof(written));
        away_left = away;
        refused_fd = refused;
        loss_reports = 0;
        folded_opens = 0;
        assert_int_equal(queue_new(1 << 20, &q), 0);
        assert_int_equal(sink_new(ops, &so, &sink), 0);
        assert_int_equal(pipeline_new(sink, NULL, c, &(struct coalesce){ window_ns, COALESCE_BY_PROCESS, false }, &p), 0);
        for (int i = 0; i < records; i++)
                push_record(q, i % 64);
        assert_int_equal(writer_start(q, p, sink, c, NULL, &w), 0);
        assert_int_equal(writer_stop(w, stop_ms), 0);
        writer_reported(w, &reported, &reported_by_uid, &reported_lost_by_uid);
        w = writer_free(w);
        p = pipeline_free(p);
        sink = sink_free(sink);
        q = queue_free(q);
}

static void run_writer(int records, int away, int refused, uint64_t window_ns, int stop_ms, struct counters *c)
{
        run_writer_on(&fake_ops, records, away, refused, window_ns, stop_ms, c);
}

static void test_permanent_refusal_is_counted_and_skipped(void **state)
{
        struct counters c = { 0 };

        (void)state;
        run_writer(10, 0, 3, 0, 4000, &c);
        assert_int_equal(atomic_load(&c.written), 9);
        assert_int_equal(atomic_load(&c.undelivered), 1);
        for (int i = 0; i < 10; i++)
                assert_int_equal(written[i], i == 3 ? 0 : 1);
        assert_int_equal(loss_reports, 1); /* the last report, at stop */
}

static void test_away_is_retried_without_loss(void **state)
{
        struct counters c = { 0 };

        (void)state;
        run_writer(10, 3, -1, 0, 4000, &c);
        assert_int_equal(atomic_load(&c.written), 10);
        assert_int_equal(atomic_load(&c.undelivered), 0);
        for (int i = 0; i < 10; i++)
                assert_int_equal(written[i], 1);
        assert_int_equal(loss_reports, 0);
}

/* Folding: repeated opens wait in their window; a refusal (-EAGAIN) of the folded entry is retried. */
static void test_folded_entry_is_retried(void **state)
{
        struct counters c = { 0 };

        (void)state;
        run_writer(1000, 3, -1, 600000000000ull, 4000, &c);
        assert_int_equal(atomic_load(&c.written), 1000); /* opens, not entries */
        assert_int_equal(folded_opens, 1000);
        assert_int_equal(written[0], 1); /* one entry: the first open's */
        assert_int_equal(atomic_load(&c.undelivered), 0);
}

/* A stop with the sink away: the folded entry's whole count is undelivered, nothing is lost from the sums. */
static void test_folded_entry_undelivered_at_deadline(void **state)
{
        struct counters c = { 0 };

        (void)state;
        run_writer(1000, 1 << 30, -1, 600000000000ull, 400, &c);
        assert_int_equal(atomic_load(&c.written), 0);
        assert_int_equal(atomic_load(&c.undelivered), 1000);
        assert_int_equal(loss_reports, 1);
}

/*
 * A stop while the destination never returns from a write: past the delivery
 * deadline the write is interrupted, and every open, folded or queued, is
 * counted as undelivered by its uid; the last report, never taken, is not
 * counted as said (the session keeps it for the next start).
 */
static void test_frozen_sink_is_interrupted_and_counted(void **state)
{
        struct counters c = { 0 };
        struct uid_loss_counts by_uid;

        (void)state;
        for (int folding = 0; folding < 2; folding++) {
                memset(&c, 0, sizeof(c));
                assert_int_equal(pipe(frozen_fds), 0);
                run_writer_on(&frozen_ops, 100, 0, -1, folding ? 600000000000ull : 0, 200, &c);
                assert_int_equal(atomic_load(&c.written), 0);
                assert_int_equal(atomic_load(&c.undelivered), 100);
                uid_losses_snapshot(&c.undelivered_by_uid, &by_uid);
                assert_int_equal(by_uid.n, 1);
                assert_int_equal(by_uid.users[0].uid, 1000);
                assert_int_equal(by_uid.users[0].count, 100);
                assert_true(loss_reports >= 1); /* offered until the report deadline */
                assert_int_equal(reported.undelivered, 0);
                close(frozen_fds[0]);
                close(frozen_fds[1]);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_permanent_refusal_is_counted_and_skipped),
                cmocka_unit_test(test_away_is_retried_without_loss),
                cmocka_unit_test(test_folded_entry_is_retried),
                cmocka_unit_test(test_folded_entry_undelivered_at_deadline),
                cmocka_unit_test(test_frozen_sink_is_interrupted_and_counted),
                cmocka_unit_test(test_stop_writes_the_small_backlog_first),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
