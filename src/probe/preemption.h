/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_PREEMPTION_H
#define OPENSNOOPD_PREEMPTION_H

#include <stddef.h>

/*
 * Whether the running kernel may preempt a task in the middle of kernel code,
 * and so in the middle of a BPF program a trampoline runs (a trampoline
 * disables migration, not preemption). There, a trampoline entered on a CPU
 * where another task's run of the same program is preempted lets the call
 * pass (its recursion guard counts it): an open made meanwhile is lost.
 * A kprobe's program runs with preemption off. So Mode=fentry warns unless
 * preemption is known to be voluntary or none.
 */
enum preemption {
        PREEMPTION_UNKNOWN,
        PREEMPTION_VOLUNTARY, /* none or voluntary: kernel code is preempted only where it offers */
        PREEMPTION_FULL,      /* full, lazy or RT */
};

/*
 * The model in force, from what the kernel says, each source NULL where it
 * could not be read: debugfs's sched/preempt ("none (voluntary) full", the
 * model in force in parentheses), the command line (its preempt= applies to
 * a kernel built with PREEMPT_DYNAMIC), and the kernel's build configuration
 * (/boot/config-RELEASE: its CONFIG_PREEMPT* lines, the default model).
 */
enum preemption preemption_model(const char *debugfs, const char *cmdline, const char *config);

/* "voluntary", "full", "unknown". */
const char *preemption_name(enum preemption p);

/* preemption_model() of this kernel: reads the three sources. */
enum preemption preemption_of_running_kernel(void);

#endif
