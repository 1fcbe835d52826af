/* SPDX-License-Identifier: MIT */
#include "compile_args.h"

#include <ctype.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* io_uring opens in flight at once, machine-wide, whose names are kept (a 4 KiB name each) */
#define IO_URING_OPENS_IN_FLIGHT 256

/*
 * io_uring's opens are found in its requests at offsets from the kernel's
 * BTF: without them, io_uring's tracepoints are not used (0).
 */
static int io_uring_route(const struct probe_params *params)
{
        return params->layout && params->layout->io_uring ? params->plan.io_uring.submit : 0;
}

/* -DOPENSNOOPD_KPROBE_TAG or -DOPENSNOOPD_FENTRY_TAG for a route's pair: its tag in upper case. */
static char *route_cflag(const char *hook, const char *tag)
{
        char *flag, *c;

        if (asprintf(&flag, "-DOPENSNOOPD_%s_%s", hook, tag) < 0)
                return NULL;
        for (c = flag + strlen(flag) - strlen(tag); *c; c++)
                *c = (char)toupper((unsigned char)*c);
        return flag;
}

struct probe_plan probe_compiled_plan(const struct probe_params *params)
{
        struct probe_plan plan = params->plan;

        plan.io_uring.submit = io_uring_route(params);
        plan.exec_interpreters = plan.tp_exec && params->layout && params->layout->exec_interpreters;
        return plan;
}

int probe_cflags(const struct probe_params *params, char **out, int max)
{
        const struct probe_plan *plan = &params->plan;
        int n = 0;

        if (max < PROBE_CFLAGS_MAX)
                return -ENOBUFS;
        if (plan->fentry || plan->kprobe) {
                if (plan->fentry)
                        out[n++] = strdup("-DOPENSNOOPD_FENTRY");
                if (plan->kprobe)
                        out[n++] = strdup("-DOPENSNOOPD_KPROBE");
                if (strcmp(plan->open_function, "do_sys_openat2") == 0)
                        out[n++] = strdup("-DOPENSNOOPD_DO_SYS_OPENAT2");
                for (int i = 0; i < ROUTES; i++) {
                        if (probe_plan_fentry_routes(plan) & (1u << i))
                                out[n++] = route_cflag("FENTRY", routes[i].kprobe_tag);
                        if (probe_plan_kprobe_routes(plan) & (1u << i))
                                out[n++] = route_cflag("KPROBE", routes[i].kprobe_tag);
                }
#ifdef __x86_64__
                out[n++] = strdup("-DOPENSNOOPD_X86_64");
#endif
        }
        for (int i = 0; i < ROUTES; i++)
                if (probe_plan_tp_routes(plan) & (1u << i))
                        out[n++] = strdup(routes[i].tp_cflag);
        if (plan->tp_exec)
                out[n++] = strdup("-DOPENSNOOPD_TP_EXEC");
        if (plan->tp_cgroup)
                out[n++] = strdup("-DOPENSNOOPD_TP_CGROUP");
        if (io_uring_route(params)) {
                const struct io_uring_tracepoints *t = &plan->io_uring;

                out[n++] = strdup("-DOPENSNOOPD_IO_URING");
                (void)!asprintf(&out[n++], "-DTP_URING_SUBMIT_REQ=%d", t->submit_req);
                (void)!asprintf(&out[n++], "-DTP_URING_SUBMIT_OPCODE=%d", t->submit_opcode);
                (void)!asprintf(&out[n++], "-DTP_URING_SUBMIT_FLAGS=%d", t->submit_flags);
                (void)!asprintf(&out[n++], "-DTP_URING_COMPLETE_REQ=%d", t->complete_req);
                (void)!asprintf(&out[n++], "-DTP_URING_COMPLETE_RES=%d", t->complete_res);
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_IO_URING_ENTRIES=%d", IO_URING_OPENS_IN_FLIGHT);
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_IORING_OP_OPENAT=%d", IORING_OP_OPENAT);
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_IORING_OP_OPENAT2=%d", IORING_OP_OPENAT2);
        }
        if (plan->buffer == PROBE_BUFFER_RING) {
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_RINGBUF_PAGES=%zu",
                                params->ring_buffer_size / (size_t)sysconf(_SC_PAGESIZE));
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_RING_BYTES=%zuull", params->ring_buffer_size);
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_WAKEUP_EVENTS=%u", params->wakeup_events);
        }
        if (plan->buffer == PROBE_BUFFER_RING && plan->repeat_cpus) {
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_REPEAT_CPUS=%u", plan->repeat_cpus);
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_REPEAT_SLOTS=%u", plan->repeat_cpus * REPEAT_SLOTS_PER_CPU);
        }
        if (plan->task_stash)
                out[n++] = strdup("-DOPENSNOOPD_TASK_STASH");
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_STASH_ENTRIES=%u", params->max_in_flight);
        /* User space knows its syscall numbers; -1 where one does not exist. */
#ifdef SYS_open
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_NR_OPEN=%d", SYS_open);
#else
        out[n++] = strdup("-DOPENSNOOPD_NR_OPEN=-1");
#endif
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_NR_OPENAT=%d", SYS_openat);
#ifdef SYS_creat
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_NR_CREAT=%d", SYS_creat);
#else
        out[n++] = strdup("-DOPENSNOOPD_NR_CREAT=-1");
#endif
#ifdef SYS_openat2
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_NR_OPENAT2=%d", SYS_openat2);
#else
        out[n++] = strdup("-DOPENSNOOPD_NR_OPENAT2=437");
#endif
        for (int i = 0; i < n; i++)
                if (!out[i])
                        return -ENOMEM;
        return n;
}

int probe_programs(const struct probe_plan *plan, char progs[][64], int max)
{
        unsigned kprobe_routes = probe_plan_kprobe_routes(plan), tp_routes = probe_plan_tp_routes(plan);
        unsigned fentry_routes = probe_plan_fentry_routes(plan);
        int np = 0;

        if (max < PROBE_PROGRAMS_MAX)
                return -ENOBUFS;
        /* fentry's: libbcc finds the function a kfunc__/kretfunc__ program attaches to in its name */
        if (plan->fentry) {
                snprintf(progs[np++], 64, "fentry:kfunc__%s", plan->open_function);
                snprintf(progs[np++], 64, "fexit:kretfunc__%s", plan->open_function);
        }
        for (int i = 0; i < ROUTES; i++) {
                if (!(fentry_routes & (1u << i)))
                        continue;
                snprintf(progs[np++], 64, "fentry:kfunc__%s", routes[i].function);
                snprintf(progs[np++], 64, "fexit:kretfunc__%s", routes[i].function);
        }
        if (plan->kprobe) {
                snprintf(progs[np++], 64, "kprobe:kprobe_open_entry");
                snprintf(progs[np++], 64, "kprobe:kprobe_open_return");
        }
        for (int i = 0; i < ROUTES; i++) {
                bool shared = false;

                if (!(kprobe_routes & (1u << i)))
                        continue;
                snprintf(progs[np++], 64, "kprobe:kprobe_%s_entry", routes[i].kprobe_tag);
                /* exec's two pairs share one return program: loaded once */
                for (int j = 0; j < i; j++)
                        shared |= (kprobe_routes & (1u << j)) &&
                                  strcmp(routes[j].kprobe_return, routes[i].kprobe_return) == 0;
                if (!shared)
                        snprintf(progs[np++], 64, "kprobe:%s", routes[i].kprobe_return);
        }
        for (int i = 0; i < ROUTES; i++) {
                if (!(tp_routes & (1u << i)))
                        continue;
                snprintf(progs[np++], 64, "tracepoint:tracepoint__syscalls__sys_enter_%s", routes[i].name);
                snprintf(progs[np++], 64, "tracepoint:tracepoint__syscalls__sys_exit_%s", routes[i].name);
        }
        if (plan->tp_exec)
                snprintf(progs[np++], 64, "tracepoint:tracepoint__sched__sched_process_exec");
        if (plan->exec_interpreters)
                snprintf(progs[np++], 64, "raw_tracepoint:raw_tracepoint__sched_process_exec");
        if (plan->tp_cgroup) {
                snprintf(progs[np++], 64, "tracepoint:tracepoint__cgroup__cgroup_mkdir");
                snprintf(progs[np++], 64, "tracepoint:tracepoint__cgroup__cgroup_rmdir");
        }
        if (plan->io_uring.submit) {
                snprintf(progs[np++], 64, "tracepoint:io_uring_submitted");
                snprintf(progs[np++], 64, "tracepoint:io_uring_completed");
        }
        return np;
}
