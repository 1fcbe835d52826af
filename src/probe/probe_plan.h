/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_PROBE_PLAN_H
#define OPENSNOOPD_PROBE_PLAN_H

#include <stdbool.h>

#include "routes.h"

/* [Probe] Mode=: which attach points to use. */
enum probe_mode { PROBE_MODE_AUTO, PROBE_MODE_FENTRY, PROBE_MODE_KPROBE, PROBE_MODE_TRACEPOINT };

/* "auto", "fentry", "kprobe", "tracepoint", indexed by the enum; NULL-terminated. */
extern const char *const probe_mode_names[];

/* [Probe] Buffer=: how records reach user space. */
enum probe_buffer { PROBE_BUFFER_AUTO, PROBE_BUFFER_RING, PROBE_BUFFER_PERF };

/* "auto", "ring", "perf", indexed by the enum; NULL-terminated. */
extern const char *const probe_buffer_names[];

/*
 * io_uring's tracepoints that carry the request (the key from submission to
 * completion, 5.11+), and where their records hold the fields the kernel side
 * reads, from their format files: the records differ between kernels (the
 * submission's tracepoint was renamed in 5.19, its flags went from 32 to 64
 * bits), and one reading at these offsets serves them all.
 */
struct io_uring_tracepoints {
        int submit;        /* 2 io_uring_submit_req (5.19+), 1 io_uring_submit_sqe, 0 none */
        int submit_req;    /* offsets in the submission's record: req, */
        int submit_opcode; /* opcode (u8), */
        int submit_flags;  /* flags (its low 32 bits) */
        int complete_req;  /* in io_uring_complete's: req, */
        int complete_res;  /* res (int) */
};

/* What the running kernel offers; filled by kernel_env_detect(). */
struct kernel_features {
        bool kprobes;        /* the kprobe PMU or kprobe_events exists */
        bool fentry;         /* BPF trampolines load and attach on do_sys_openat2's entry and exit (tried) */
        bool sym_openat2;    /* do_sys_openat2 is in /proc/kallsyms (5.6+) */
        bool sym_open;       /* do_sys_open is */
        unsigned sym_routes; /* ROUTE_BITs whose kprobe symbol is (x86-64 4.17+) */
        unsigned tp_routes;  /* ROUTE_BITs whose syscalls:sys_{enter,exit}_<name> both exist */
        bool tp_exec;        /* sched:sched_process_exec */
        bool tp_cgroup;      /* cgroup:cgroup_mkdir and cgroup:cgroup_rmdir */
        struct io_uring_tracepoints io_uring;
        bool ringbuf;      /* BPF_MAP_TYPE_RINGBUF can be created (5.8+) */
        bool task_storage; /* task-local storage for kprobe and tracepoint programs (5.11+, with BTF) */
        bool atomics;      /* BPF's compare-and-exchange and exchange (5.12+), and mmap'd arrays (5.5+) */
        int cpus_possible; /* 0: unknown */
};

/*
 * What to compile and attach. With both kprobe and tracepoint set (auto
 * mode), the kprobe pair is tried first and the tracepoints are the fallback,
 * so a failed kprobe attach needs no second compile. Fentry goes alone: it is
 * planned only where an empty program's trampolines were just attached.
 */
struct probe_plan {
        bool fentry; /* trampolines on the open function (do_sys_openat2) and the routes' */
        bool kprobe;
        const char *open_function; /* fentry or kprobe: the open function, "do_sys_openat2" or "do_sys_open" */
        unsigned function_routes;  /* fentry or kprobe: ROUTE_BITs with a pair on their system call function */
        bool tracepoint;
        unsigned tp_routes; /* with tracepoint: ROUTE_BITs whose syscall tracepoints are attached */
        /* In both modes: routes to an open no system call's probe sees; not syscall tracepoints,
         * so they cost nothing to the rest of the machine's system calls. */
        bool tp_exec;           /* the program file exec opened (sched:sched_process_exec) */
        bool exec_interpreters; /* with tp_exec: its interpreters (its raw tracepoint; BTF) */
        /* Not a route: each cgroup's name when it is made and removed, so that a short-lived
         * unit is named on its opens (cgroup:cgroup_mkdir, cgroup:cgroup_rmdir). */
        bool tp_cgroup;
        struct io_uring_tracepoints io_uring; /* as in kernel_features; used only with the offsets from BTF */
        enum probe_buffer buffer;             /* PROBE_BUFFER_RING or PROBE_BUFFER_PERF */
        bool task_stash;                      /* opens in flight in task-local storage, not in a shared table */
        unsigned repeat_cpus; /* count repeats in the kernel (ring buffer, atomics): the CPUs' slots; 0: no */
        char fentry_warning[192]; /* Mode=fentry on a kernel that preempts kernel code: what that costs; "" */
};

/*
 * Chooses the attach points for a mode. Returns 0, -EOPNOTSUPP when the
 * kernel has no kprobes (kprobe mode) or cannot attach trampolines (fentry
 * mode), -ENOENT when it lacks the symbol or the tracepoints the mode needs.
 * Auto plans fentry where f->fentry says trampolines attach (the caller
 * tries them only where they are as exact as a kprobe: a kernel that does not
 * preempt kernel code), for they cost no more than a kprobe pair, and less in
 * most runs (Debian 12 and 13, docs/performance.md); else kprobe with the
 * tracepoints as fallback.
 */
int probe_plan_choose(enum probe_mode mode, const struct kernel_features *f, struct probe_plan *plan);

/*
 * Chooses plan->buffer: auto is the ring buffer where the kernel has it, else
 * the perf buffers. Returns 0, or -EOPNOTSUPP for ring on a kernel without it.
 * With the ring buffer, repeats are counted in the kernel where it can
 * (plan->repeat_cpus): their counts are sent in the same ring, in order.
 */
int probe_plan_choose_buffer(enum probe_buffer want, const struct kernel_features *f, struct probe_plan *plan);

/* The routes whose tracepoint pairs the plan compiles and attaches: none unless tracepoints are planned. */
unsigned probe_plan_tp_routes(const struct probe_plan *plan);

/* The routes with a kprobe pair of their own: none unless the kprobe is planned. */
unsigned probe_plan_kprobe_routes(const struct probe_plan *plan);

/* The routes with an fentry/fexit pair of their own: none unless fentry is planned. */
unsigned probe_plan_fentry_routes(const struct probe_plan *plan);

/*
 * Auto mode, once the kernel has shown what works: only what will be
 * attached is compiled, for each program costs the verifier's time at every
 * start (most of a minute for a dozen under emulation). A kprobe that works
 * (kprobe_works) goes alone; otherwise the tracepoints stay as its fallback.
 */
void probe_plan_trim(struct probe_plan *plan, bool kprobe_works);

#endif
