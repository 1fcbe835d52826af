/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include <pthread.h>

#include "queue.h"
#include "uid_losses.h"

static void test_fifo_and_full(void **state)
{
        struct queue *q;
        const void *data;
        size_t len;

        (void)state;
        assert_int_equal(queue_new(64, &q), 0);
        assert_int_equal(queue_push(q, "abc", 3), 0);               /* 16 bytes */
        assert_int_equal(queue_push(q, "0123456789", 10), 0);       /* 24 bytes */
        assert_int_equal(queue_push(q, "0123456789abcdef", 16), 0); /* 24 bytes: full */
        assert_int_equal(queue_push(q, "x", 1), -ENOSPC);
        assert_int_equal(queue_push(q, "x", 40), -EMSGSIZE);
        assert_int_equal(queue_count(q), 3);

        assert_int_equal(queue_peek(q, &data, &len, 0), 0);
        assert_int_equal(len, 3);
        assert_memory_equal(data, "abc", 3);
        /* peeking again without popping returns the same record: delivery can be retried */
        assert_int_equal(queue_peek(q, &data, &len, 0), 0);
        assert_int_equal(len, 3);
        queue_pop(q);
        assert_int_equal(queue_peek(q, &data, &len, 0), 0);
        assert_int_equal(len, 10);
        queue_pop(q);
        queue_pop(q);
        assert_int_equal(queue_peek(q, &data, &len, 10), -EAGAIN);
        queue_free(q);
}

static void test_wraps_around(void **state)
{
        struct queue *q;
        const void *data;
        size_t len;
        char rec[24];

        (void)state;
        assert_int_equal(queue_new(96, &q), 0);
        /* keep the ring partly full so records must wrap, and check each comes out whole */
        for (int i = 0; i < 100; i++) {
                memset(rec, 'a' + i % 26, sizeof(rec));
                assert_int_equal(queue_push(q, rec, (size_t)(i % 3) * 8 + 1), 0);
                if (i % 2) {
                        assert_int_equal(queue_peek(q, &data, &len, 0), 0);
                        assert_int_equal(((const char *)data)[0], 'a' + (i - 1) % 26);
                        queue_pop(q);
                        assert_int_equal(queue_peek(q, &data, &len, 0), 0);
                        assert_int_equal(((const char *)data)[0], 'a' + i % 26);
                        queue_pop(q);
                }
        }
        assert_int_equal(queue_count(q), 0);
        queue_free(q);
}

struct producer_args {
        struct queue *q;
        int n;
        int refused;
};

static void *producer(void *arg)
{
        struct producer_args *a = arg;

        for (int i = 0; i < a->n; i++)
                if (queue_push(a->q, &i, sizeof(i)) < 0)
                        a->refused++;
        queue_close(a->q);
        return NULL;
}

/* Two threads: every record pushed is either refused (counted) or consumed, in order. */
static void test_threads_lose_nothing_silently(void **state)
{
        struct producer_args a = { .n = 200000 };
        const void *data;
        size_t len;
        pthread_t t;
        int got = 0, last = -1, v, r;

        (void)state;
        assert_int_equal(queue_new(4096, &a.q), 0);
        assert_int_equal(pthread_create(&t, NULL, producer, &a), 0);
        while ((r = queue_peek(a.q, &data, &len, 1000)) != -ESHUTDOWN) {
                if (r == -EAGAIN)
                        continue;
                assert_int_equal(len, sizeof(int));
                memcpy(&v, data, sizeof(v));
                assert_true(v > last);
                last = v;
                got++;
                queue_pop(a.q);
        }
        pthread_join(t, NULL);
        assert_int_equal(got + a.refused, a.n);
        assert_int_equal(queue_push(a.q, "x", 1), -ESHUTDOWN);
        queue_free(a.q);
        assert_null(queue_free(NULL));
}

/* One owner holds at most three quarters of the queue; the others' records still fit. */
static void test_one_owner_leaves_room_for_the_others(void **state)
{
        struct queue *q;
        const void *data;
        size_t len;
        int pushed = 0;

        (void)state;
        assert_int_equal(queue_new(1024, &q), 0); /* 64 records of 16 bytes */
        while (queue_push_owned(q, "flood", 5, 1000) == 0)
                pushed++;
        assert_int_equal(pushed, 48); /* 768 bytes: three quarters */
        assert_int_equal(queue_push_owned(q, "flood", 5, 1000), -EDQUOT);
        for (int i = 0; i < 16; i++)
                assert_int_equal(queue_push_owned(q, "root", 4, 0), 0);
        assert_int_equal(queue_push_owned(q, "root", 4, 0), -ENOSPC); /* full, not over its share */
        /* what the writer takes gives the flooder its room back */
        assert_int_equal(queue_peek(q, &data, &len, 0), 0);
        queue_pop(q);
        assert_int_equal(queue_push_owned(q, "flood", 5, 1000), 0);
        assert_int_equal(queue_push(q, "any", 3), -ENOSPC);
        queue_free(q);
}

static void test_uid_losses_name_the_flooder_first(void **state)
{
        struct uid_losses u;
        struct uid_loss_counts then = { 0 }, now;
        char buf[256];

        (void)state;
        uid_losses_init(&u);
        for (int i = 0; i < 5; i++)
                uid_losses_add(&u, 65534, 1);
        uid_losses_add(&u, 0, 1);
        uid_losses_snapshot(&u, &now);
        uid_losses_format_news(&now, &then, buf, sizeof(buf));
        assert_string_equal(buf, "65534:5 0:1");
        then = now;
        uid_losses_add(&u, 0, 1);
        for (uint32_t uid = 1; uid <= UID_LOSSES_MAX; uid++)
                uid_losses_add(&u, 100000 + uid, 1); /* past the named users: counted together */
        uid_losses_snapshot(&u, &now);
        uid_losses_format_news(&now, &then, buf, sizeof(buf));
        assert_int_equal(strncmp(buf, "0:1 100001:1 ", 13), 0);
        assert_non_null(strstr(buf, " other:2"));
        then = now;
        uid_losses_format_news(&now, &then, buf, sizeof(buf));
        assert_string_equal(buf, "");
        uid_losses_done(&u);
}

/* After close: every record listed in order with its owner, across a wrap; then cleared. */
static void test_list_after_close(void **state)
{
        struct queue_item *items;
        struct queue *q;
        const void *data;
        size_t n, len;
        char rec[24];

        (void)state;
        assert_int_equal(queue_new(128, &q), 0);
        assert_int_equal(queue_list(q, &items, &n), -EBUSY);
        /* two records, one popped: the next ones wrap */
        for (int i = 0; i < 2; i++) {
                memset(rec, 'a' + i, sizeof(rec));
                assert_int_equal(queue_push_owned(q, rec, 24, 10 + (uint32_t)i), 0);
        }
        assert_int_equal(queue_peek(q, &data, &len, 0), 0);
        queue_pop(q);
        for (int i = 2; i < 5; i++) {
                memset(rec, 'a' + i, sizeof(rec));
                assert_int_equal(queue_push_owned(q, rec, (size_t)(i == 4 ? 8 : 24), 10 + (uint32_t)i), 0);
        }
        queue_close(q);
        assert_int_equal(queue_list(q, &items, &n), 0);
        assert_int_equal(n, 4);
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(items[i].owner, 11 + i);
                assert_int_equal(((const char *)items[i].data)[0], 'b' + (int)i);
                assert_int_equal(items[i].len, i == 3 ? 8 : 24);
        }
        free(items);
        queue_clear(q);
        assert_int_equal(queue_count(q), 0);
        assert_int_equal(queue_peek(q, &data, &len, 0), -ESHUTDOWN);
        assert_int_equal(queue_list(q, &items, &n), 0);
        assert_int_equal(n, 0);
        assert_null(items);
        queue_free(q);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_one_owner_leaves_room_for_the_others),
                cmocka_unit_test(test_uid_losses_name_the_flooder_first),
                cmocka_unit_test(test_fifo_and_full),
                cmocka_unit_test(test_wraps_around),
                cmocka_unit_test(test_list_after_close),
                cmocka_unit_test(test_threads_lose_nothing_silently),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
