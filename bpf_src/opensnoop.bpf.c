/* SPDX-License-Identifier: MIT */
/*
 * opensnoopd's kernel side, in BCC's dialect of C. libbcc compiles it when
 * the daemon starts; the build embeds it, with opensnoop.h in front.
 *
 * Each open is seen twice: on entry the arguments are stashed under the
 * thread id, on return the stash is looked up, the event is built in a
 * per-CPU scratch buffer (a 4 KiB path does not fit on the BPF stack) and
 * only the bytes in use are submitted.
 *
 * -D values set by user space (src/probe/compile_args.c):
 *   OPENSNOOPD_FENTRY          fentry mode: compile the fentry/fexit pair on do_sys_openat2
 *   OPENSNOOPD_FENTRY_BY_HANDLE, _EXECVE, _EXECVEAT
 *                              ... and pairs on their __x64_sys_* functions
 *   OPENSNOOPD_KPROBE          kprobe mode: compile the do_sys_openat2/do_sys_open pair
 *   OPENSNOOPD_DO_SYS_OPENAT2  ... and the open function is do_sys_openat2 (5.6+; always in fentry mode)
 *   OPENSNOOPD_KPROBE_BY_HANDLE ... and a pair on __x64_sys_open_by_handle_at
 *   OPENSNOOPD_TP_EXEC         the program file exec opened (sched:sched_process_exec)
 *   OPENSNOOPD_EXEC_INTERPRETERS
 *                              ... and the interpreters it opened (its raw tracepoint), with
 *                              the KOFF_BPRM_*, _MM_*, _MAPLE_*, _MR64_*, _MA64_* and _VMA_*
 *   OPENSNOOPD_KPROBE_EXECVE, _EXECVEAT
 *                              kprobe mode: pairs on __x64_sys_execve/execveat, for failed execs
 *   OPENSNOOPD_TP_CGROUP       each cgroup2 cgroup's name, made and removed
 *                              (cgroup:cgroup_mkdir, cgroup:cgroup_rmdir)
 *   OPENSNOOPD_IO_URING        io_uring's opens; with OPENSNOOPD_IO_URING_ENTRIES,
 *                              _IORING_OP_OPENAT, _IORING_OP_OPENAT2, the KOFF_IO_* and
 *                              TP_URING_*, where its tracepoints' records hold the fields
 *   OPENSNOOPD_TP_EXECVE, _TP_EXECVEAT
 *                              exec's syscall tracepoints, for failed execs (tracepoint mode)
 *   OPENSNOOPD_TP_OPEN, _TP_OPENAT, _TP_OPENAT2, _TP_CREAT
 *                              compile the syscall tracepoints that exist
 *   OPENSNOOPD_TP_OPEN_BY_HANDLE_AT
 *                              ... and open_by_handle_at's (tracepoint mode)
 *   OPENSNOOPD_TASK_STASH      keep opens in flight in task-local storage (5.11+)
 *   OPENSNOOPD_STASH_ENTRIES   without it: opens in flight at once, machine-wide
 *   OPENSNOOPD_NR_OPEN, _NR_OPENAT, _NR_OPENAT2, _NR_CREAT
 *                              syscall numbers, to name the syscall in kprobe mode
 *   OPENSNOOPD_X86_64          the kernel is x86-64 (pt_regs layout is known)
 *   OPENSNOOPD_RINGBUF_PAGES   submit to one BPF ring buffer of this many pages
 *                              shared by all CPUs (5.8+); without it, to a perf
 *                              buffer per CPU
 *   OPENSNOOPD_WAKEUP_EVENTS   ring buffer: wake the reader every this many
 *                              records per CPU (the perf buffers do it themselves)
 *   OPENSNOOPD_REPEAT_SLOTS    count repeats in the kernel (lib/repeat.bpf.h): this many slots,
 *                              REPEAT_SLOTS_PER_CPU for each of OPENSNOOPD_REPEAT_CPUS CPUs
 *                              (ring buffer only); with OPENSNOOPD_MOUNT_LOCK, the address of
 *                              the kernel's mount seqlock, successful opens too
 *   OPENSNOOPD_ABS_PATHS       build the absolute path of relative opens; with it
 *                              KOFF_*, the offsets of the fields the walk reads in
 *                              this kernel's structures (src/probe/kernel_layout.c, from
 *                              its BTF: the headers libbcc compiles against may be
 *                              another kernel's), and OPENSNOOPD_RENAME_LOCK, the
 *                              address of the kernel's rename seqlock, if known
 */
#include <uapi/linux/fcntl.h> /* not linux/fcntl.h: that one costs half a second of parsing */
#if defined(OPENSNOOPD_KPROBE) || defined(OPENSNOOPD_FENTRY)
/* pt_regs and task_struct: large headers, parsed only where they are used */
#include <linux/sched.h>
#include <uapi/linux/ptrace.h>
#endif
#if defined(OPENSNOOPD_TP_OPENAT2) || defined(OPENSNOOPD_DO_SYS_OPENAT2)
#include <uapi/linux/openat2.h>
#endif
#include "opensnoop.h"

#include "lib/stash.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/filter.bpf.h"
#include "lib/entry_name.bpf.h"
#include "lib/entry.bpf.h"
#include "lib/function_entry.bpf.h"
#include "lib/path_walk.bpf.h"
#include "lib/submit.bpf.h"
#include "lib/repeat.bpf.h"
#include "lib/emit.bpf.h"
#include "routes/fentry.bpf.c"
#include "routes/kprobe.bpf.c"
#include "routes/syscalls.bpf.c"
#include "routes/execve.bpf.c"
#include "routes/openat2.bpf.c"
#include "routes/exec.bpf.c"
#include "routes/io_uring.bpf.c"
#include "routes/cgroup.bpf.c"
