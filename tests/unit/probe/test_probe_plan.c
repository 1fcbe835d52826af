/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "probe_plan.h"

static const struct kernel_features debian = {
        .kprobes = true,
        .sym_openat2 = true,
        .sym_open = true,
        .tp_open = true,
        .tp_openat = true,
        .tp_openat2 = true,
};
/* This project's build machines: a 6.18 kernel without CONFIG_KPROBES. */
static const struct kernel_features no_kprobes = {
        .sym_openat2 = true,
        .sym_open = true,
        .tp_open = true,
        .tp_openat = true,
        .tp_openat2 = true,
};

static void test_buffer_auto_is_ring_where_the_kernel_has_it(void **state)
{
        struct kernel_features with_ring = debian, without_ring = debian;
        struct probe_plan p = { 0 };

        (void)state;
        with_ring.ringbuf = true;
        assert_int_equal(probe_plan_choose_buffer(PROBE_BUFFER_AUTO, &with_ring, &p), 0);
        assert_int_equal(p.buffer, PROBE_BUFFER_RING);
        assert_int_equal(probe_plan_choose_buffer(PROBE_BUFFER_AUTO, &without_ring, &p), 0);
        assert_int_equal(p.buffer, PROBE_BUFFER_PERF);
        assert_int_equal(probe_plan_choose_buffer(PROBE_BUFFER_PERF, &with_ring, &p), 0);
        assert_int_equal(p.buffer, PROBE_BUFFER_PERF);
        assert_int_equal(probe_plan_choose_buffer(PROBE_BUFFER_RING, &without_ring, &p), -EOPNOTSUPP);
}

static void test_auto_prefers_kprobe_and_keeps_fallback(void **state)
{
        struct probe_plan p;

        (void)state;
        assert_int_equal(probe_plan_choose(PROBE_MODE_AUTO, &debian, &p), 0);
        assert_true(p.kprobe);
        assert_string_equal(p.kprobe_symbol, "do_sys_openat2");
        assert_true(p.tracepoint);
}

/* A failed exec never reaches sched_process_exec: kprobe mode has pairs on exec's system call functions. */
static void test_kprobe_mode_sees_failed_execs(void **state)
{
        struct kernel_features x86 = debian;
        struct probe_plan p;

        (void)state;
        x86.sym_execve = x86.sym_execveat = true;
        assert_int_equal(probe_plan_choose(PROBE_MODE_KPROBE, &x86, &p), 0);
        assert_true(p.kprobe_execve && p.kprobe_execveat);
        assert_false(p.tp_execve || p.tp_execveat);
        assert_int_equal(probe_plan_choose(PROBE_MODE_KPROBE, &debian, &p), 0);
        assert_false(p.kprobe_execve || p.kprobe_execveat);
}

static void test_auto_without_kprobes_uses_tracepoints(void **state)
{
        struct probe_plan p;

        (void)state;
        assert_int_equal(probe_plan_choose(PROBE_MODE_AUTO, &no_kprobes, &p), 0);
        assert_false(p.kprobe);
        assert_true(p.tracepoint);
        assert_true(p.tp_open && p.tp_openat && p.tp_openat2);
}

static void test_old_kernel_uses_do_sys_open(void **state)
{
        struct kernel_features k = debian;
        struct probe_plan p;

        (void)state;
        k.sym_openat2 = false;
        k.tp_openat2 = false;
        assert_int_equal(probe_plan_choose(PROBE_MODE_KPROBE, &k, &p), 0);
        assert_string_equal(p.kprobe_symbol, "do_sys_open");
        assert_false(p.tracepoint);
        assert_int_equal(probe_plan_choose(PROBE_MODE_TRACEPOINT, &k, &p), 0);
        assert_false(p.tp_openat2);
        assert_false(p.kprobe);
}

static void test_explicit_modes_fail_clearly(void **state)
{
        struct kernel_features k = { 0 };
        struct probe_plan p;

        (void)state;
        assert_int_equal(probe_plan_choose(PROBE_MODE_KPROBE, &no_kprobes, &p), -EOPNOTSUPP);
        k.kprobes = true;
        assert_int_equal(probe_plan_choose(PROBE_MODE_KPROBE, &k, &p), -ENOENT);
        assert_int_equal(probe_plan_choose(PROBE_MODE_TRACEPOINT, &k, &p), -ENOENT);
        assert_int_equal(probe_plan_choose(PROBE_MODE_AUTO, &(struct kernel_features){ 0 }, &p), -ENOENT);
        /* arm64 has no open(2): its tracepoint is simply left out */
        k = no_kprobes;
        k.tp_open = false;
        assert_int_equal(probe_plan_choose(PROBE_MODE_AUTO, &k, &p), 0);
        assert_false(p.tp_open);
        assert_true(p.tp_openat);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_buffer_auto_is_ring_where_the_kernel_has_it),
                cmocka_unit_test(test_auto_prefers_kprobe_and_keeps_fallback),
                cmocka_unit_test(test_auto_without_kprobes_uses_tracepoints),
                cmocka_unit_test(test_kprobe_mode_sees_failed_execs),
                cmocka_unit_test(test_old_kernel_uses_do_sys_open),
                cmocka_unit_test(test_explicit_modes_fail_clearly),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
