/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "decode.h"

/* Lays out a record as the kernel submits it: header, path, NUL, then perf's padding. */
static size_t make_record(unsigned char *buf, size_t bufsize, const char *path, size_t path_len, size_t pad)
{
        struct open_event ev = { .pid = 42, .result = 3, .path_len = (uint16_t)path_len };

        memcpy(ev.comm, "cat", 4);
        memset(buf, 0xee, bufsize);
        memcpy(buf, &ev, OPEN_EVENT_HEADER_SIZE);
        memcpy(buf + OPEN_EVENT_HEADER_SIZE, path, path_len);
        buf[OPEN_EVENT_HEADER_SIZE + path_len] = '\0';
        return OPEN_EVENT_HEADER_SIZE + path_len + 1 + pad;
}

static void test_decode_short_path_unaligned(void **state)
{
        static unsigned char storage[OPEN_EVENT_HEADER_SIZE + 64];
        unsigned char *buf = storage + 1; /* perf data is not aligned */
        struct open_event ev;
        size_t n = make_record(buf, sizeof(storage) - 1, "/etc/hostname", 13, 4);

        (void)state;
        assert_int_equal(decode_size(buf, n), OPEN_EVENT_HEADER_SIZE + 14);
        assert_int_equal(decode_record(buf, n, &ev), 0);
        assert_int_equal(ev.pid, 42);
        assert_int_equal(ev.result, 3);
        assert_string_equal(ev.comm, "cat");
        assert_int_equal(ev.path_len, 13);
        assert_string_equal(ev.path, "/etc/hostname");
}

static void test_longest_path(void **state)
{
        static unsigned char buf[OPEN_EVENT_HEADER_SIZE + OPEN_PATH_MAX];
        static char path[OPEN_PATH_MAX];
        static struct open_event ev;
        size_t n;

        (void)state;
        memset(path, 'a', OPEN_PATH_MAX - 1);
        n = make_record(buf, sizeof(buf), path, OPEN_PATH_MAX - 1, 0);
        assert_int_equal(decode_record(buf, n, &ev), 0);
        assert_int_equal(ev.path_len, OPEN_PATH_MAX - 1);
        assert_int_equal(strlen(ev.path), OPEN_PATH_MAX - 1);
}

static void test_rejects_malformed(void **state)
{
        static unsigned char buf[OPEN_EVENT_HEADER_SIZE + 64];
        struct open_event ev;
        size_t n = make_record(buf, sizeof(buf), "/x", 2, 0);
        uint16_t huge = OPEN_PATH_MAX;

        (void)state;
        assert_int_equal(decode_size(NULL, 100), -EBADMSG);
        assert_int_equal(decode_size(buf, OPEN_EVENT_HEADER_SIZE), -EBADMSG);
        assert_int_equal(decode_record(buf, n - 1, &ev), -EBADMSG); /* path cut short */
        memcpy(buf + offsetof(struct open_event, path_len), &huge, sizeof(huge));
        assert_int_equal(decode_size(buf, sizeof(buf)), -EBADMSG);
}

/* Found by fuzz_fields: a result no system call returns made fields.c negate INT64_MIN. */
static void test_rejects_results_no_syscall_returns(void **state)
{
        static unsigned char buf[OPEN_EVENT_HEADER_SIZE + 64];
        size_t n = make_record(buf, sizeof(buf), "/x", 2, 0);
        int64_t results[] = { INT64_MIN, -4096 }, ok[] = { -4095, -1, 0, INT32_MAX };

        (void)state;
        for (size_t i = 0; i < 2; i++) {
                memcpy(buf + offsetof(struct open_event, result), &results[i], sizeof(results[i]));
                assert_int_equal(decode_size(buf, n), -EBADMSG);
        }
        for (size_t i = 0; i < 4; i++) {
                memcpy(buf + offsetof(struct open_event, result), &ok[i], sizeof(ok[i]));
                assert_int_equal(decode_size(buf, n), (int)n);
        }
}

static void test_path_is_terminated_at_path_len(void **state)
{
        static unsigned char buf[OPEN_EVENT_HEADER_SIZE + 64];
        struct open_event ev;
        size_t n = make_record(buf, sizeof(buf), "/abc", 4, 8);

        (void)state;
        buf[OPEN_EVENT_HEADER_SIZE + 4] = 'X'; /* the kernel's NUL overwritten */
        assert_int_equal(decode_record(buf, n, &ev), 0);
        assert_string_equal(ev.path, "/abc");
}

/* A relative open's record: "../g", NUL, its absolute path "/srv/g", NUL. */
static size_t make_abs_record(unsigned char *buf, uint16_t abs_len, uint16_t flags)
{
        size_t n = make_record(buf, OPEN_EVENT_HEADER_SIZE + 64, "../g", 4, 0);

        memcpy(buf + offsetof(struct open_event, abs_len), &abs_len, sizeof(abs_len));
        memcpy(buf + offsetof(struct open_event, event_flags), &flags, sizeof(flags));
        memcpy(buf + n, "/srv/g", 7);
        return n + 7;
}

static void test_absolute_path_follows_the_path(void **state)
{
        static unsigned char buf[OPEN_EVENT_HEADER_SIZE + 64];
        static struct open_event ev;
        size_t n = make_abs_record(buf, 6, OPEN_EVENT_ABS);

        (void)state;
        assert_int_equal(decode_size(buf, n), OPEN_EVENT_HEADER_SIZE + 5 + 7);
        assert_int_equal(decode_record(buf, n, &ev), 0);
        assert_string_equal(ev.path, "../g");
        assert_string_equal(ev.path + ev.path_len + 1, "/srv/g");
        assert_int_equal(open_event_path_bytes(&ev), 4 + 1 + 6);
        /* cut short, empty, or past OPEN_PATH_MAX: malformed */
        assert_int_equal(decode_size(buf, n - 1), -EBADMSG);
        assert_int_equal(decode_size(buf, make_abs_record(buf, 0, OPEN_EVENT_ABS)), -EBADMSG);
        assert_int_equal(decode_size(buf, make_abs_record(buf, OPEN_PATH_MAX - 5, OPEN_EVENT_ABS)), -EBADMSG);
        /* without the flag, abs_len means nothing */
        n = make_abs_record(buf, 6, 0);
        assert_int_equal(decode_record(buf, n, &ev), 0);
        assert_int_equal(ev.abs_len, 0);
        assert_int_equal(open_event_path_bytes(&ev), 4);
}

/* The record's kind and exec's interpreter are bytes of their own: one never reads as the other. */
static void test_kind_is_not_the_interpreter(void **state)
{
        static unsigned char storage[OPEN_EVENT_HEADER_SIZE + 64];
        unsigned char *buf = storage + 1; /* read in place, unaligned */
        static struct open_event ev;
        size_t n = make_record(buf, sizeof(storage) - 1, "/usr/bin/dash", 13, 0);
        uint8_t interpreter = OPEN_INTERPRETER_SCRIPT, kind = OPEN_RECORD_CGROUP_MKDIR;

        (void)state;
        assert_true(offsetof(struct open_event, path) % 8 == 0);
        memcpy(buf + offsetof(struct open_event, interpreter), &interpreter, 1);
        assert_int_equal(record_opens(buf), 1);
        assert_int_equal(decode_record(buf, n, &ev), 0);
        assert_int_equal(ev.kind, OPEN_RECORD_OPEN);
        assert_int_equal(ev.interpreter, OPEN_INTERPRETER_SCRIPT);
        memcpy(buf + offsetof(struct open_event, kind), &kind, 1);
        assert_int_equal(record_opens(buf), 0);
        assert_int_equal(open_record_uid(buf), 0);
        assert_int_equal(decode_record(buf, n, &ev), 0);
        assert_int_equal(ev.kind, OPEN_RECORD_CGROUP_MKDIR);
        assert_int_equal(ev.interpreter, OPEN_INTERPRETER_SCRIPT);
}

/* A repeat slot's count: the header alone, standing for its count of opens, which is at least one. */
static void test_repeats_record(void **state)
{
        static unsigned char buf[OPEN_EVENT_HEADER_SIZE + 8];
        static struct open_event ev;
        size_t n = make_record(buf, sizeof(buf), "", 0, 0);
        uint8_t kind = OPEN_RECORD_REPEATS;
        int64_t counts[] = { 0, -1, (int64_t)REPEAT_COUNT_MAX + 1, 1, 37, REPEAT_COUNT_MAX };

        (void)state;
        memcpy(buf + offsetof(struct open_event, kind), &kind, 1);
        for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
                memcpy(buf + offsetof(struct open_event, result), &counts[i], sizeof(counts[i]));
                if (i < 3) {
                        assert_int_equal(decode_size(buf, n), -EBADMSG);
                        continue;
                }
                assert_int_equal(decode_size(buf, n), OPEN_EVENT_HEADER_SIZE + 1);
                assert_int_equal(record_opens(buf), counts[i]);
                assert_int_equal(decode_record(buf, n, &ev), 0);
                assert_int_equal(ev.kind, OPEN_RECORD_REPEATS);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decode_short_path_unaligned),
                cmocka_unit_test(test_longest_path),
                cmocka_unit_test(test_rejects_malformed),
                cmocka_unit_test(test_rejects_results_no_syscall_returns),
                cmocka_unit_test(test_path_is_terminated_at_path_len),
                cmocka_unit_test(test_absolute_path_follows_the_path),
                cmocka_unit_test(test_kind_is_not_the_interpreter),
                cmocka_unit_test(test_repeats_record),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
