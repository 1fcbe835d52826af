/* SPDX-License-Identifier: MIT */
#include "probe_plan.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "opensnoop.h"

const char *const probe_mode_names[] = { "auto", "fentry", "kprobe", "tracepoint", NULL };
const char *const probe_buffer_names[] = { "auto", "ring", "perf", NULL };

static int plan_kprobe(const struct kernel_features *f, struct probe_plan *plan)
{
        if (!f->kprobes)
                return -EOPNOTSUPP;
        /* do_sys_openat2 serves open, openat and openat2 alike; before 5.6 do_sys_open did. */
        if (f->sym_openat2)
                plan->open_function = "do_sys_openat2";
        else if (f->sym_open)
                plan->open_function = "do_sys_open";
        else
                return -ENOENT;
        plan->kprobe = true;
        /* the routes neither serves (open_by_handle_at, exec's) have pairs of their own (routes.def) */
        plan->function_routes = f->sym_routes;
        return 0;
}

/* Trampolines on do_sys_openat2 (5.6+), and on the routes' system call functions, as kprobe mode's pairs. */
static int plan_fentry(const struct kernel_features *f, struct probe_plan *plan)
{
        if (!f->fentry)
                return -EOPNOTSUPP;
        if (!f->sym_openat2)
                return -ENOENT;
        plan->fentry = true;
        plan->open_function = "do_sys_openat2";
        plan->function_routes = f->sym_routes;
        return 0;
}

static int plan_tracepoint(const struct kernel_features *f, struct probe_plan *plan)
{
        /* openat is what the C library uses for open(3) on every current
         * architecture; without it there is nothing worth attaching. */
        if (!(f->tp_routes & ROUTE_BIT(OPENAT)))
                return -ENOENT;
        plan->tracepoint = true;
        plan->tp_routes = f->tp_routes;
        return 0;
}

int probe_plan_choose(enum probe_mode mode, const struct kernel_features *f, struct probe_plan *plan)
{
        int rk, rt;

        *plan = (struct probe_plan){
                .task_stash = f->task_storage, .tp_exec = f->tp_exec, .tp_cgroup = f->tp_cgroup, .io_uring = f->io_uring
        };
        switch (mode) {
        case PROBE_MODE_KPROBE:
                return plan_kprobe(f, plan);
        case PROBE_MODE_TRACEPOINT:
                return plan_tracepoint(f, plan);
        case PROBE_MODE_FENTRY:
                return plan_fentry(f, plan);
        case PROBE_MODE_AUTO:
        default:
                /* the cheapest hook first: trampolines, where they were tried and attached (probe_plan.h) */
                if (plan_fentry(f, plan) == 0)
                        return 0;
                rk = plan_kprobe(f, plan);
                rt = plan_tracepoint(f, plan);
                if (rk < 0 && rt < 0)
                        return rt;
                return 0;
        }
}

void probe_plan_trim(struct probe_plan *plan, bool kprobe_works)
{
        if (plan->kprobe && kprobe_works)
                plan->tracepoint = false;
}

int probe_plan_choose_buffer(enum probe_buffer want, const struct kernel_features *f, struct probe_plan *plan)
{
        if (want == PROBE_BUFFER_RING && !f->ringbuf)
                return -EOPNOTSUPP;
        if (want == PROBE_BUFFER_AUTO)
                want = f->ringbuf ? PROBE_BUFFER_RING : PROBE_BUFFER_PERF;
        plan->buffer = want;
        plan->repeat_cpus = 0;
        /* the slots' index is 16 bits in a record (opensnoop.h) */
        if (want == PROBE_BUFFER_RING && f->atomics && f->cpus_possible > 0 &&
            (unsigned)f->cpus_possible * REPEAT_SLOTS_PER_CPU <= UINT16_MAX)
                plan->repeat_cpus = (unsigned)f->cpus_possible;
        return 0;
}

unsigned probe_plan_tp_routes(const struct probe_plan *plan)
{
        return plan->tracepoint ? plan->tp_routes : 0;
}

unsigned probe_plan_kprobe_routes(const struct probe_plan *plan)
{
        return plan->kprobe ? plan->function_routes : 0;
}

unsigned probe_plan_fentry_routes(const struct probe_plan *plan)
{
        return plan->fentry ? plan->function_routes : 0;
}
