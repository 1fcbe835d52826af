/* SPDX-License-Identifier: MIT */
/*
 * A failed exec, which sched:sched_process_exec never sees: from exec's
 * syscall tracepoints in tracepoint mode, from kprobe pairs on its system
 * call functions in kprobe mode (which attaches no syscall tracepoint). Its
 * error may be the open's (ENOENT, EACCES, ...) or a later step's (ENOEXEC,
 * E2BIG): the record says "failed to exec". A successful one is
 * sched_process_exec's, so its return (in the new program) only drops the
 * stash.
 */
static __always_inline int on_exec_return(void *ctx, long result)
{
        if (result >= 0) {
                stash_drop((__u32)bpf_get_current_pid_tgid());
                return 0;
        }
        return on_return(ctx, result);
}

#ifdef OPENSNOOPD_TP_EXECVE
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
        return on_entry(args->filename, O_RDONLY, 0, AT_FDCWD, OPEN_SYSCALL_EXEC, NULL);
}

TRACEPOINT_PROBE(syscalls, sys_exit_execve)
{
        return on_exec_return(args, args->ret);
}
#endif

#ifdef OPENSNOOPD_TP_EXECVEAT
TRACEPOINT_PROBE(syscalls, sys_enter_execveat)
{
        return on_entry(args->filename, O_RDONLY, 0, (__s32)args->fd, OPEN_SYSCALL_EXEC, NULL);
}

TRACEPOINT_PROBE(syscalls, sys_exit_execveat)
{
        return on_exec_return(args, args->ret);
}
#endif

