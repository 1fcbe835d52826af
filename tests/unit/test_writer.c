/* SPDX-License-Identifier: MIT */
/*
 * The writer thread with the real queue, pipeline and decoder, and sinks
 * that stand for a destination's two kinds of failure: one that is away for
 * a while (-EAGAIN, retried) and one that refuses an entry for good (counted
 * as undelivered, so it cannot block the records behind it).
 */
#include "test_helpers.h"

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

static int fake_write_event(struct sink *s, const struct open_event *ev, const struct open_fold *fold)
{
        (void)s;
        (void)fold;
        if (away_left > 0) {
                away_left--;
                return -EAGAIN;
        }
        if (ev->result == refused_fd)
                return -EINVAL;
        written[ev->result]++;
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

static void push_record(struct queue *q, int fd)
{
        struct open_event ev = { .pid = 1, .result = fd, .path_len = 1 };

        memcpy(ev.path, "x", 2);
        assert_int_equal(queue_push(q, &ev, OPEN_EVENT_HEADER_SIZE + 2), 0);
}

static void run_writer(int records, int away, int refused, struct counters *c)
{
        struct sink_options so = { .priority = 6, .failure_priority = 5 };
        struct queue *q;
        struct sink *sink;
        struct pipeline *p;
        struct writer *w;

        memset(written, 0, sizeof(written));
        away_left = away;
        refused_fd = refused;
        loss_reports = 0;
        assert_int_equal(queue_new(1 << 20, &q), 0);
        assert_int_equal(sink_new(&fake_ops, &so, &sink), 0);
        assert_int_equal(pipeline_new(sink, c, &(struct coalesce){ 0, COALESCE_BY_PROCESS }, &p), 0);
        for (int i = 0; i < records; i++)
                push_record(q, i);
        assert_int_equal(writer_start(q, p, sink, c, &w), 0);
        assert_int_equal(writer_stop(w, 4000), 0);
        w = writer_free(w);
        p = pipeline_free(p);
        sink = sink_free(sink);
        q = queue_free(q);
}

static void test_permanent_refusal_is_counted_and_skipped(void **state)
{
        struct counters c = { 0 };

        (void)state;
        run_writer(10, 0, 3, &c);
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
        run_writer(10, 3, -1, &c);
        assert_int_equal(atomic_load(&c.written), 10);
        assert_int_equal(atomic_load(&c.undelivered), 0);
        for (int i = 0; i < 10; i++)
                assert_int_equal(written[i], 1);
        assert_int_equal(loss_reports, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_permanent_refusal_is_counted_and_skipped),
                cmocka_unit_test(test_away_is_retried_without_loss),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
