/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "opensnoop.h"
#include "probe_plan.h"

static const struct kernel_features debian = {
        .kprobes = true,
        .sym_openat2 = true,
        .sym_open = true,
        .tp_routes = ROUTE_BIT(OPEN) | ROUTE_BIT(OPENAT) | ROUTE_BIT(OPENAT2),
};
/* This project's build machines: a 6.18 kernel without CONFIG_KPROBES. */
static const struct kernel_features no_kprobes = {
        .sym_openat2 = true,
        .sym_open = true,
        .tp_routes = ROUTE_BIT(OPEN) | ROUTE_BIT(OPENAT) | ROUTE_BIT(OPENAT2),
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
        assert_string_equal(p.open_function, "do_sys_openat2");
        assert_true(p.tracepoint);
}

/* Auto takes trampolines where they were tried and attached, alone (they were just shown to attach);
 * where they were not, the kprobe alone where it attaches, else with the tracepoints behind it. */
static void test_auto_plans_fentry_where_trampolines_attach(void **state)
{
        struct kernel_features k = debian;
        struct probe_plan p;

        (void)state;
        k.fentry = true;
        k.sym_routes = ROUTE_BIT(OPEN_BY_HANDLE_AT) | ROUTE_BIT(EXECVE);
        assert_int_equal(probe_plan_choose(PROBE_MODE_AUTO, &k, &p), 0);
        assert_true(p.fentry);
        assert_false(p.kprobe || p.tracepoint);
        assert_string_equal(p.open_function, "do_sys_openat2");
        assert_int_equal(probe_plan_fentry_routes(&p), k.sym_routes);
        assert_int_equal(probe_plan_kprobe_routes(&p), 0);
        assert_int_equal(probe_plan_tp_routes(&p), 0);
        /* trampolines that attach need do_sys_openat2 too (5.6+) */
        k.sym_openat2 = false;
        assert_int_equal(probe_plan_choose(PROBE_MODE_AUTO, &k, &p), 0);
        assert_false(p.fentry);
        assert_true(p.kprobe && p.tracepoint);
        k = debian;
        assert_int_equal(probe_plan_choose(PROBE_MODE_AUTO, &k, &p), 0);
        assert_false(p.fentry);
        probe_plan_trim(&p, true);
        assert_true(p.kprobe && !p.tracepoint);
        assert_int_equal(probe_plan_choose(PROBE_MODE_AUTO, &k, &p), 0);
        probe_plan_trim(&p, false);
        assert_true(p.kprobe && p.tracepoint);
}

/* Mode=fentry needs the trampolines and do_sys_openat2 (5.6+); it plans nothing else. */
static void test_fentry_mode(void **state)
{
        struct kernel_features k = debian;
        struct probe_plan p;

        (void)state;
        assert_int_equal(probe_plan_choose(PROBE_MODE_FENTRY, &k, &p), -EOPNOTSUPP);
        k.fentry = true;
        assert_int_equal(probe_plan_choose(PROBE_MODE_FENTRY, &k, &p), 0);
        assert_true(p.fentry);
        assert_false(p.kprobe || p.tracepoint);
        assert_string_equal(p.open_function, "do_sys_openat2");
        k.sym_routes = ROUTE_BIT(EXECVEAT);
        assert_int_equal(probe_plan_choose(PROBE_MODE_FENTRY, &k, &p), 0);
        assert_int_equal(probe_plan_fentry_routes(&p), ROUTE_BIT(EXECVEAT));
        assert_int_equal(probe_plan_kprobe_routes(&p), 0);
        k.sym_openat2 = false;
        assert_int_equal(probe_plan_choose(PROBE_MODE_FENTRY, &k, &p), -ENOENT);
}

/* A failed exec never reaches sched_process_exec: kprobe mode has pairs on exec's system call functions. */
static void test_kprobe_mode_sees_failed_execs(void **state)
{
        struct kernel_features x86 = debian;
        struct probe_plan p;

        (void)state;
        x86.sym_routes = ROUTE_BIT(EXECVE) | ROUTE_BIT(EXECVEAT);
        assert_int_equal(probe_plan_choose(PROBE_MODE_KPROBE, &x86, &p), 0);
        assert_int_equal(probe_plan_kprobe_routes(&p), ROUTE_BIT(EXECVE) | ROUTE_BIT(EXECVEAT));
        assert_int_equal(probe_plan_tp_routes(&p), 0);
        assert_int_equal(probe_plan_choose(PROBE_MODE_KPROBE, &debian, &p), 0);
        assert_int_equal(probe_plan_kprobe_routes(&p), 0);
}

static void test_auto_without_kprobes_uses_tracepoints(void **state)
{
        struct probe_plan p;

        (void)state;
        assert_int_equal(probe_plan_choose(PROBE_MODE_AUTO, &no_kprobes, &p), 0);
        assert_false(p.kprobe);
        assert_true(p.tracepoint);
        assert_int_equal(probe_plan_tp_routes(&p), ROUTE_BIT(OPEN) | ROUTE_BIT(OPENAT) | ROUTE_BIT(OPENAT2));
}

static void test_old_kernel_uses_do_sys_open(void **state)
{
        struct kernel_features k = debian;
        struct probe_plan p;

        (void)state;
        k.sym_openat2 = false;
        k.tp_routes &= ~ROUTE_BIT(OPENAT2);
        assert_int_equal(probe_plan_choose(PROBE_MODE_KPROBE, &k, &p), 0);
        assert_string_equal(p.open_function, "do_sys_open");
        assert_false(p.tracepoint);
        assert_int_equal(probe_plan_choose(PROBE_MODE_TRACEPOINT, &k, &p), 0);
        assert_false(probe_plan_tp_routes(&p) & ROUTE_BIT(OPENAT2));
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
        k.tp_routes &= ~ROUTE_BIT(OPEN);
        assert_int_equal(probe_plan_choose(PROBE_MODE_AUTO, &k, &p), 0);
        assert_int_equal(probe_plan_tp_routes(&p), ROUTE_BIT(OPENAT) | ROUTE_BIT(OPENAT2));
}

/* Route selection: a mode's routes only, whatever else the kernel has. */
static void test_routes_follow_the_mode(void **state)
{
        struct kernel_features k = debian;
        struct probe_plan p;

        (void)state;
        k.sym_routes = ROUTE_BIT(OPEN_BY_HANDLE_AT) | ROUTE_BIT(EXECVE);
        k.tp_routes |= ROUTE_BIT(OPEN_BY_HANDLE_AT) | ROUTE_BIT(EXECVE);
        assert_int_equal(probe_plan_choose(PROBE_MODE_TRACEPOINT, &k, &p), 0);
        assert_int_equal(probe_plan_kprobe_routes(&p), 0);
        assert_int_equal(probe_plan_tp_routes(&p), k.tp_routes);
        assert_int_equal(probe_plan_choose(PROBE_MODE_KPROBE, &k, &p), 0);
        assert_int_equal(probe_plan_kprobe_routes(&p), k.sym_routes);
        assert_int_equal(probe_plan_tp_routes(&p), 0);
        /* auto keeps both until the kprobes are known to attach (kernel_env_plan()) */
        assert_int_equal(probe_plan_choose(PROBE_MODE_AUTO, &k, &p), 0);
        assert_int_equal(probe_plan_kprobe_routes(&p), k.sym_routes);
        assert_int_equal(probe_plan_tp_routes(&p), k.tp_routes);
        p.tracepoint = false;
        assert_int_equal(probe_plan_tp_routes(&p), 0);
}

/* routes.def: every row names its tracepoints and flag; a kprobe pair has all three of its names. */
static void test_routes_table(void **state)
{
        (void)state;
        assert_int_equal(ROUTES, 7);
        assert_string_equal(routes[ROUTE_OPENAT].name, "openat");
        assert_string_equal(routes[ROUTE_OPEN_BY_HANDLE_AT].tp_cflag, "-DOPENSNOOPD_TP_OPEN_BY_HANDLE_AT");
        assert_int_equal(routes[ROUTE_OPENAT2].record, OPEN_SYSCALL_OPENAT2);
        assert_string_equal(routes[ROUTE_EXECVEAT].record_name, "exec");
        for (int i = 0; i < ROUTES; i++) {
                assert_non_null(routes[i].name);
                assert_non_null(routes[i].tp_cflag);
                assert_true(!routes[i].function == !routes[i].kprobe_tag);
                assert_true(!routes[i].function == !routes[i].kprobe_return);
        }
        assert_string_equal(routes[ROUTE_OPEN_BY_HANDLE_AT].function, "__x64_sys_open_by_handle_at");
        assert_null(routes[ROUTE_OPENAT].function);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_buffer_auto_is_ring_where_the_kernel_has_it),
                cmocka_unit_test(test_auto_prefers_kprobe_and_keeps_fallback),
                cmocka_unit_test(test_auto_plans_fentry_where_trampolines_attach),
                cmocka_unit_test(test_fentry_mode),
                cmocka_unit_test(test_auto_without_kprobes_uses_tracepoints),
                cmocka_unit_test(test_kprobe_mode_sees_failed_execs),
                cmocka_unit_test(test_old_kernel_uses_do_sys_open),
                cmocka_unit_test(test_explicit_modes_fail_clearly),
                cmocka_unit_test(test_routes_follow_the_mode),
                cmocka_unit_test(test_routes_table),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
