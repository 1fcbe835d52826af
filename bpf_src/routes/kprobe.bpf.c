/* SPDX-License-Identifier: MIT */
#ifdef OPENSNOOPD_KPROBE
/*
 * Kprobe mode: a kprobe and a kretprobe on each function (lib/function_entry.bpf.h
 * does the work). A kprobe's program gets the registers at the function's
 * entry, so the arguments are declared here and libbcc reads them from there.
 */
#ifdef OPENSNOOPD_DO_SYS_OPENAT2
int kprobe_open_entry(struct pt_regs *ctx, int dfd, const char __user *filename, struct open_how *how)
{
        return open_function_entry(dfd, filename, how);
}
#else
int kprobe_open_entry(struct pt_regs *ctx, int dfd, const char __user *filename, int flags, umode_t mode)
{
        return open_function_entry(dfd, filename, flags, mode);
}
#endif

int kprobe_open_return(struct pt_regs *ctx)
{
        return on_return(ctx, PT_REGS_RC(ctx));
}

#if defined(OPENSNOOPD_KPROBE_BY_HANDLE) && defined(OPENSNOOPD_X86_64)
int kprobe_by_handle_entry(struct pt_regs *ctx)
{
        return by_handle_entry((const struct pt_regs *)PT_REGS_PARM1(ctx));
}

int kprobe_by_handle_return(struct pt_regs *ctx)
{
        return on_return(ctx, PT_REGS_RC(ctx));
}
#endif

static __always_inline int on_exec_return(void *ctx, long result);

#if defined(OPENSNOOPD_KPROBE_EXECVE) && defined(OPENSNOOPD_X86_64)
int kprobe_execve_entry(struct pt_regs *ctx)
{
        return execve_entry((const struct pt_regs *)PT_REGS_PARM1(ctx));
}
#endif

#if defined(OPENSNOOPD_KPROBE_EXECVEAT) && defined(OPENSNOOPD_X86_64)
int kprobe_execveat_entry(struct pt_regs *ctx)
{
        return execveat_entry((const struct pt_regs *)PT_REGS_PARM1(ctx));
}
#endif

#if (defined(OPENSNOOPD_KPROBE_EXECVE) || defined(OPENSNOOPD_KPROBE_EXECVEAT)) && defined(OPENSNOOPD_X86_64)
/* both pairs' return: what exec's syscall tracepoints do in tracepoint mode */
int kprobe_exec_return(struct pt_regs *ctx)
{
        return on_exec_return(ctx, PT_REGS_RC(ctx));
}
#endif
#endif /* OPENSNOOPD_KPROBE */
