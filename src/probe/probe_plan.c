/* SPDX-License-Identifier: MIT */
#include "probe_plan.h"

#include <errno.h>
#include <stddef.h>

const char *const probe_mode_names[] = { "auto", "kprobe", "tracepoint", NULL };
const char *const probe_buffer_names[] = { "auto", "ring", "perf", NULL };

static int plan_kprobe(const struct kernel_features *f, struct probe_plan *plan)
{
        if (!f->kprobes)
                return -EOPNOTSUPP;
        /* do_sys_openat2 serves open, openat and openat2 alike; before 5.6 do_sys_open did. */
        if (f->sym_openat2)
                plan->kprobe_symbol = "do_sys_openat2";
        else if (f->sym_open)
                plan->kprobe_symbol = "do_sys_open";
        else
                return -ENOENT;
        plan->kprobe = true;
        /* open_by_handle_at is served by neither: its system call function has a pair of its own */
        plan->kprobe_by_handle = f->sym_by_handle;
        /* a failed exec never reaches sched_process_exec: exec's system call functions have pairs too */
        plan->kprobe_execve = f->sym_execve;
        plan->kprobe_execveat = f->sym_execveat;
        return 0;
}

static int plan_tracepoint(const struct kernel_features *f, struct probe_plan *plan)
{
        /* openat is what the C library uses for open(3) on every current
         * architecture; without it there is nothing worth attaching. */
        if (!f->tp_openat)
                return -ENOENT;
        plan->tracepoint = true;
        plan->tp_open = f->tp_open;
        plan->tp_openat = true;
        plan->tp_openat2 = f->tp_openat2;
        plan->tp_creat = f->tp_creat;
        plan->tp_open_by_handle_at = f->tp_open_by_handle_at;
        plan->tp_execve = f->tp_execve;
        plan->tp_execveat = f->tp_execveat;
        return 0;
}

int probe_plan_choose(enum probe_mode mode, const struct kernel_features *f, struct probe_plan *plan)
{
        int rk, rt;

        *plan = (struct probe_plan){ .task_stash = f->task_storage,
                                     .tp_exec = f->tp_exec,
                                     .tp_cgroup = f->tp_cgroup,
                                     .io_uring = f->io_uring };
        switch (mode) {
        case PROBE_MODE_KPROBE:
                return plan_kprobe(f, plan);
        case PROBE_MODE_TRACEPOINT:
                return plan_tracepoint(f, plan);
        case PROBE_MODE_AUTO:
        default:
                rk = plan_kprobe(f, plan);
                rt = plan_tracepoint(f, plan);
                if (rk < 0 && rt < 0)
                        return rt;
                return 0;
        }
}

int probe_plan_choose_buffer(enum probe_buffer want, const struct kernel_features *f, struct probe_plan *plan)
{
        if (want == PROBE_BUFFER_RING && !f->ringbuf)
                return -EOPNOTSUPP;
        if (want == PROBE_BUFFER_AUTO)
                want = f->ringbuf ? PROBE_BUFFER_RING : PROBE_BUFFER_PERF;
        plan->buffer = want;
        return 0;
}
