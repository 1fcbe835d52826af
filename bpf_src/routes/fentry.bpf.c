/* SPDX-License-Identifier: MIT */
#ifdef OPENSNOOPD_FENTRY
/*
 * Fentry mode: BPF trampolines on the same functions as kprobe mode
 * (lib/function_entry.bpf.h does the work), entered by a direct call, not a
 * breakpoint. libbcc attaches kfunc__NAME to NAME's entry and kretfunc__NAME
 * to its exit, where the arguments are still there and the return value
 * follows them. An exit is never missed, however many calls block at once:
 * no kretprobe's table of instances runs out.
 */
KFUNC_PROBE(do_sys_openat2, int dfd, const char __user *filename, struct open_how *how)
{
        return open_function_entry(dfd, filename, how);
}

KRETFUNC_PROBE(do_sys_openat2, int dfd, const char __user *filename, struct open_how *how, long ret)
{
        return on_return(ctx, ret);
}

/* A pair on a system call function (x86-64), whose one argument is the task's saved user registers. */
#define SYSCALL_FUNCTION_PAIR(function, on_entry_regs, on_exit)        \
        KFUNC_PROBE(function, const struct pt_regs *regs)              \
        {                                                              \
                return on_entry_regs(regs);                            \
        }                                                              \
        KRETFUNC_PROBE(function, const struct pt_regs *regs, long ret) \
        {                                                              \
                return on_exit(ctx, ret);                              \
        }

static __always_inline int on_exec_return(void *ctx, long result);

#if defined(OPENSNOOPD_FENTRY_BY_HANDLE) && defined(OPENSNOOPD_X86_64)
SYSCALL_FUNCTION_PAIR(__x64_sys_open_by_handle_at, by_handle_entry, on_return)
#endif
#if defined(OPENSNOOPD_FENTRY_EXECVE) && defined(OPENSNOOPD_X86_64)
SYSCALL_FUNCTION_PAIR(__x64_sys_execve, execve_entry, on_exec_return)
#endif
#if defined(OPENSNOOPD_FENTRY_EXECVEAT) && defined(OPENSNOOPD_X86_64)
SYSCALL_FUNCTION_PAIR(__x64_sys_execveat, execveat_entry, on_exec_return)
#endif
#endif /* OPENSNOOPD_FENTRY */
