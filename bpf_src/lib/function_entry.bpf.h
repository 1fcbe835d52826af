/* SPDX-License-Identifier: MIT */
#if defined(OPENSNOOPD_KPROBE) || defined(OPENSNOOPD_FENTRY)
/*
 * What a hook on a kernel function sees, whichever hook it is (a kprobe, or
 * an fentry trampoline): the function's arguments. The entries below take
 * those and are shared by both modes; routes/kprobe.bpf.c and
 * routes/fentry.bpf.c only unpack the arguments their hook hands over.
 *
 * The kernel's open implementation does not know which system call it serves,
 * and it has already added O_LARGEFILE to the flags (on 64-bit kernels, for
 * every open). Both are in the task's saved user registers, which the kernel
 * copied at syscall entry and no user thread can change: orig_ax holds the
 * number, the argument registers the flags as the program passed them.
 * Only the x86-64 layout is known here; elsewhere the syscall is "unknown"
 * and the flags are the kernel's.
 */
struct user_call {
        __u8 syscall;
        __u64 flags;
};

static __always_inline void read_user_call(struct user_call *c, __u64 kernel_flags)
{
        c->syscall = OPEN_SYSCALL_UNKNOWN;
        c->flags = kernel_flags;
#ifdef OPENSNOOPD_X86_64
        struct task_struct *task = (struct task_struct *)bpf_get_current_task();
        struct pt_regs *regs;
        char *stack = NULL;
        long nr = -1;
        unsigned long arg = 0;

        bpf_probe_read_kernel(&stack, sizeof(stack), &task->stack);
        if (!stack)
                return;
        regs = (struct pt_regs *)(stack + THREAD_SIZE) - 1;
        bpf_probe_read_kernel(&nr, sizeof(nr), &regs->orig_ax);
        if (nr == OPENSNOOPD_NR_OPEN) {
                c->syscall = OPEN_SYSCALL_OPEN;
                bpf_probe_read_kernel(&arg, sizeof(arg), &regs->si); /* open(path, flags, mode) */
                c->flags = (__u32)arg;
        } else if (nr == OPENSNOOPD_NR_CREAT) {
                c->syscall = OPEN_SYSCALL_CREAT; /* creat(path, mode): the flags are implied */
                c->flags = O_CREAT | O_WRONLY | O_TRUNC;
        } else if (nr == OPENSNOOPD_NR_OPENAT) {
                c->syscall = OPEN_SYSCALL_OPENAT;
                bpf_probe_read_kernel(&arg, sizeof(arg), &regs->dx); /* openat(dfd, path, flags, mode) */
                c->flags = (__u32)arg;
        }
#ifdef OPENSNOOPD_DO_SYS_OPENAT2
        else if (nr == OPENSNOOPD_NR_OPENAT2) {
                /* openat2's flags are 64 bits in user memory, copied by the kernel already: keep
                 * the kernel's copy, and take only the O_LARGEFILE bit from the caller's. */
                struct open_how user_how = {};

                c->syscall = OPEN_SYSCALL_OPENAT2;
                bpf_probe_read_kernel(&arg, sizeof(arg), &regs->dx);
                if (bpf_probe_read_user(&user_how, sizeof(user_how), (void *)arg) == 0)
                        c->flags = (kernel_flags & ~(__u64)O_LARGEFILE) | (user_how.flags & O_LARGEFILE);
        }
#endif
#endif
}

#ifdef OPENSNOOPD_DO_SYS_OPENAT2
/* do_sys_openat2(dfd, filename, how): open, openat, openat2 and creat (5.6+) */
static __always_inline int open_function_entry(int dfd, const char *filename, const struct open_how *how)
{
        struct open_how h = {};
        struct user_call c;

        bpf_probe_read_kernel(&h, sizeof(h), how);
        read_user_call(&c, h.flags);
        return on_entry(filename, c.flags, (__u32)h.mode, dfd, c.syscall, NULL);
}
#else
/* do_sys_open(dfd, filename, flags, mode), before 5.6 */
static __always_inline int open_function_entry(int dfd, const char *filename, int flags, umode_t mode)
{
        struct user_call c;

        read_user_call(&c, (__u64)(__u32)flags);
        return on_entry(filename, c.flags, mode, dfd, c.syscall, NULL);
}
#endif

#ifdef OPENSNOOPD_X86_64
/*
 * The system call functions (__x64_sys_NAME) take one argument, the task's
 * saved user registers: the call's arguments are read there.
 */

/* open_by_handle_at(mount_fd, handle, flags), which no do_sys_open* call serves. A file handle,
 * not a path: the walk names the file. */
static __always_inline int by_handle_entry(const struct pt_regs *regs)
{
        unsigned long dfd = 0, flags = 0;

        bpf_probe_read_kernel(&dfd, sizeof(dfd), &regs->di);
        bpf_probe_read_kernel(&flags, sizeof(flags), &regs->dx);
        return on_entry(NULL, (__u32)flags, 0, (__s32)dfd, OPEN_SYSCALL_OPEN_BY_HANDLE_AT, NULL);
}

/* execve(filename, argv, envp), for a failed exec: see on_exec_return() */
static __always_inline int execve_entry(const struct pt_regs *regs)
{
        unsigned long filename = 0;

        bpf_probe_read_kernel(&filename, sizeof(filename), &regs->di);
        return on_entry((const char *)filename, O_RDONLY, 0, AT_FDCWD, OPEN_SYSCALL_EXEC, NULL);
}

/* execveat(dfd, filename, argv, envp, flags) */
static __always_inline int execveat_entry(const struct pt_regs *regs)
{
        unsigned long dfd = 0, filename = 0;

        bpf_probe_read_kernel(&dfd, sizeof(dfd), &regs->di);
        bpf_probe_read_kernel(&filename, sizeof(filename), &regs->si);
        return on_entry((const char *)filename, O_RDONLY, 0, (__s32)dfd, OPEN_SYSCALL_EXEC, NULL);
}
#endif
#endif /* OPENSNOOPD_KPROBE || OPENSNOOPD_FENTRY */
