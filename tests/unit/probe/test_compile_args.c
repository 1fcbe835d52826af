/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include <unistd.h>

#include "compile_args.h"

/* The flags joined by spaces, as --print-bpf's first line shows them. */
static void joined_cflags(const struct probe_params *params, char *buf, size_t size)
{
        char *flags[PROBE_CFLAGS_MAX] = { 0 };
        int n = probe_cflags(params, flags, PROBE_CFLAGS_MAX);
        size_t len = 0;

        assert_true(n > 0);
        buf[0] = '\0';
        for (int i = 0; i < n; i++)
                len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "", flags[i]);
        for (int i = 0; i < PROBE_CFLAGS_MAX; i++)
                free(flags[i]);
}

static struct probe_params params_for(const struct probe_plan *plan)
{
        return (struct probe_params){
                .plan = *plan,
                .max_in_flight = 16384,
                .wakeup_events = 32,
                .ring_buffer_size = 64 * (size_t)sysconf(_SC_PAGESIZE),
        };
}

/* A kernel with kprobes on x86-64: each route's own pair in routes.def's order, then the rest. */
static void test_kprobe_cflags(void **state)
{
        struct probe_plan plan = { .kprobe = true,
                                   .open_function = "do_sys_openat2",
                                   .function_routes =
                                           ROUTE_BIT(OPEN_BY_HANDLE_AT) | ROUTE_BIT(EXECVE) | ROUTE_BIT(EXECVEAT),
                                   .tp_routes = ROUTE_BIT(OPENAT), /* planned, but not in kprobe mode */
                                   .tp_exec = true,
                                   .tp_cgroup = true,
                                   .buffer = PROBE_BUFFER_RING,
                                   .task_stash = true };
        struct probe_params params = params_for(&plan);
        char buf[2048];

        (void)state;
        joined_cflags(&params, buf, sizeof(buf));
#ifdef __x86_64__
        assert_string_equal(buf, "-DOPENSNOOPD_KPROBE -DOPENSNOOPD_DO_SYS_OPENAT2 -DOPENSNOOPD_KPROBE_BY_HANDLE "
                                 "-DOPENSNOOPD_KPROBE_EXECVE -DOPENSNOOPD_KPROBE_EXECVEAT -DOPENSNOOPD_X86_64 "
                                 "-DOPENSNOOPD_TP_EXEC -DOPENSNOOPD_TP_CGROUP -DOPENSNOOPD_RINGBUF_PAGES=64 -DOPENSNOOPD_RING_BYTES=262144ull "
                                 "-DOPENSNOOPD_WAKEUP_EVENTS=32 -DOPENSNOOPD_TASK_STASH "
                                 "-DOPENSNOOPD_STASH_ENTRIES=16384 -DOPENSNOOPD_NR_OPEN=2 -DOPENSNOOPD_NR_OPENAT=257 "
                                 "-DOPENSNOOPD_NR_CREAT=85 -DOPENSNOOPD_NR_OPENAT2=437");
#endif
        assert_null(strstr(buf, "TP_OPENAT"));
}

/* Fentry mode: the same functions as kprobe mode, its own flags, no kprobe's. */
static void test_fentry_cflags(void **state)
{
        struct probe_plan plan = { .fentry = true,
                                   .open_function = "do_sys_openat2",
                                   .function_routes = ROUTE_BIT(OPEN_BY_HANDLE_AT) | ROUTE_BIT(EXECVEAT),
                                   .buffer = PROBE_BUFFER_RING };
        struct probe_params params = params_for(&plan);
        char buf[2048];

        (void)state;
        joined_cflags(&params, buf, sizeof(buf));
#ifdef __x86_64__
        assert_non_null(strstr(buf, "-DOPENSNOOPD_FENTRY -DOPENSNOOPD_DO_SYS_OPENAT2 -DOPENSNOOPD_FENTRY_BY_HANDLE "
                                    "-DOPENSNOOPD_FENTRY_EXECVEAT -DOPENSNOOPD_X86_64 "));
#endif
        assert_null(strstr(buf, "KPROBE"));
        assert_null(strstr(buf, "FENTRY_EXECVE "));
}

/* Tracepoint mode, perf buffers, a kernel before 5.11 (no task storage) and without io_uring's offsets. */
static void test_tracepoint_cflags(void **state)
{
        struct probe_plan plan = { .tracepoint = true,
                                   .tp_routes =
                                           ROUTE_BIT(OPEN) | ROUTE_BIT(OPENAT) | ROUTE_BIT(CREAT) | ROUTE_BIT(EXECVEAT),
                                   .io_uring = { .submit = 2 },
                                   .buffer = PROBE_BUFFER_PERF };
        struct probe_params params = params_for(&plan);
        char buf[2048];

        (void)state;
        params.max_in_flight = 64;
        joined_cflags(&params, buf, sizeof(buf));
        assert_non_null(strstr(buf, "-DOPENSNOOPD_TP_OPEN -DOPENSNOOPD_TP_OPENAT -DOPENSNOOPD_TP_CREAT "
                                    "-DOPENSNOOPD_TP_EXECVEAT -DOPENSNOOPD_STASH_ENTRIES=64 "));
        assert_null(strstr(buf, "KPROBE"));
        assert_null(strstr(buf, "RINGBUF"));
        assert_null(strstr(buf, "IO_URING"));
        assert_null(strstr(buf, "TASK_STASH"));
}

/* io_uring's opens need the request's offsets from BTF: with a layout that has them, its flags come. */
static void test_io_uring_needs_the_layout(void **state)
{
        struct kernel_layout layout = { .io_uring = true };
        struct probe_plan plan = { .tracepoint = true,
                                   .tp_routes = ROUTE_BIT(OPENAT),
                                   .tp_exec = true,
                                   .io_uring = { .submit = 2,
                                                 .submit_req = 16,
                                                 .submit_opcode = 32,
                                                 .submit_flags = 40,
                                                 .complete_req = 16,
                                                 .complete_res = 32 },
                                   .buffer = PROBE_BUFFER_RING };
        struct probe_params params = params_for(&plan);
        struct probe_plan compiled;
        char buf[2048];

        (void)state;
        compiled = probe_compiled_plan(&params);
        assert_int_equal(compiled.io_uring.submit, 0);
        assert_false(compiled.exec_interpreters);
        params.layout = &layout;
        compiled = probe_compiled_plan(&params);
        assert_int_equal(compiled.io_uring.submit, 2);
        assert_false(compiled.exec_interpreters);
        layout.exec_interpreters = true;
        assert_true(probe_compiled_plan(&params).exec_interpreters);
        joined_cflags(&params, buf, sizeof(buf));
        assert_non_null(strstr(buf, " -DOPENSNOOPD_IO_URING -DTP_URING_SUBMIT_REQ=16 -DTP_URING_SUBMIT_OPCODE=32 "
                                    "-DTP_URING_SUBMIT_FLAGS=40 -DTP_URING_COMPLETE_REQ=16 "
                                    "-DTP_URING_COMPLETE_RES=32 -DOPENSNOOPD_IO_URING_ENTRIES=256 "));
}

static void test_too_small_is_refused(void **state)
{
        struct probe_plan plan = { .tracepoint = true, .tp_routes = ROUTE_BIT(OPENAT) };
        struct probe_params params = params_for(&plan);
        char *flags[4] = { 0 }, progs[4][64];

        (void)state;
        assert_int_equal(probe_cflags(&params, flags, 4), -ENOBUFS);
        assert_int_equal(probe_programs(&plan, progs, 4), -ENOBUFS);
}

/* Each program once, return programs beside their entries: exec's two kprobe pairs share one return;
 * fentry's are named after their functions, which is how libbcc finds where they attach. */
static void test_programs(void **state)
{
        struct probe_plan plan = { .fentry = true,
                                   .kprobe = true,
                                   .open_function = "do_sys_openat2",
                                   .function_routes =
                                           ROUTE_BIT(OPEN_BY_HANDLE_AT) | ROUTE_BIT(EXECVE) | ROUTE_BIT(EXECVEAT),
                                   .tracepoint = true,
                                   .tp_routes = ROUTE_BIT(OPENAT) | ROUTE_BIT(OPENAT2),
                                   .tp_exec = true,
                                   .exec_interpreters = true,
                                   .tp_cgroup = true,
                                   .io_uring = { .submit = 1 } };
        static const char *const want[] = {
                "fentry:kfunc__do_sys_openat2",
                "fexit:kretfunc__do_sys_openat2",
                "fentry:kfunc____x64_sys_open_by_handle_at",
                "fexit:kretfunc____x64_sys_open_by_handle_at",
                "fentry:kfunc____x64_sys_execve",
                "fexit:kretfunc____x64_sys_execve",
                "fentry:kfunc____x64_sys_execveat",
                "fexit:kretfunc____x64_sys_execveat",
                "kprobe:kprobe_open_entry",
                "kprobe:kprobe_open_return",
                "kprobe:kprobe_by_handle_entry",
                "kprobe:kprobe_by_handle_return",
                "kprobe:kprobe_execve_entry",
                "kprobe:kprobe_exec_return",
                "kprobe:kprobe_execveat_entry",
                "tracepoint:tracepoint__syscalls__sys_enter_openat",
                "tracepoint:tracepoint__syscalls__sys_exit_openat",
                "tracepoint:tracepoint__syscalls__sys_enter_openat2",
                "tracepoint:tracepoint__syscalls__sys_exit_openat2",
                "tracepoint:tracepoint__sched__sched_process_exec",
                "raw_tracepoint:raw_tracepoint__sched_process_exec",
                "tracepoint:tracepoint__cgroup__cgroup_mkdir",
                "tracepoint:tracepoint__cgroup__cgroup_rmdir",
                "tracepoint:io_uring_submitted",
                "tracepoint:io_uring_completed",
        };
        char progs[PROBE_PROGRAMS_MAX][64];
        int n = probe_programs(&plan, progs, PROBE_PROGRAMS_MAX);

        (void)state;
        assert_int_equal(n, sizeof(want) / sizeof(want[0]));
        for (int i = 0; i < n; i++)
                assert_string_equal(progs[i], want[i]);
        /* kprobe mode alone: no tracepoint pair, no trampoline */
        plan.tracepoint = false;
        plan.fentry = false;
        n = probe_programs(&plan, progs, PROBE_PROGRAMS_MAX);
        for (int i = 0; i < n; i++) {
                assert_null(strstr(progs[i], "syscalls"));
                assert_null(strstr(progs[i], "func__"));
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kprobe_cflags),
                cmocka_unit_test(test_fentry_cflags),
                cmocka_unit_test(test_tracepoint_cflags),
                cmocka_unit_test(test_io_uring_needs_the_layout),
                cmocka_unit_test(test_too_small_is_refused),
                cmocka_unit_test(test_programs),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
