/* SPDX-License-Identifier: MIT */
#ifdef OPENSNOOPD_TP_OPEN
TRACEPOINT_PROBE(syscalls, sys_enter_open)
{
        return on_entry(args->filename, (__u32)args->flags, (__u32)args->mode, AT_FDCWD, OPEN_SYSCALL_OPEN, NULL);
}

TRACEPOINT_PROBE(syscalls, sys_exit_open)
{
        return on_return(args, args->ret);
}
#endif

#ifdef OPENSNOOPD_TP_OPENAT
TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
        return on_entry(args->filename, (__u32)args->flags, (__u32)args->mode, (__s32)args->dfd, OPEN_SYSCALL_OPENAT,
                        NULL);
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
        return on_return(args, args->ret);
}
#endif

#ifdef OPENSNOOPD_TP_CREAT
TRACEPOINT_PROBE(syscalls, sys_enter_creat)
{
        return on_entry(args->pathname, O_CREAT | O_WRONLY | O_TRUNC, (__u32)args->mode, AT_FDCWD,
                        OPEN_SYSCALL_CREAT, NULL);
}

TRACEPOINT_PROBE(syscalls, sys_exit_creat)
{
        return on_return(args, args->ret);
}
#endif

#ifdef OPENSNOOPD_TP_OPEN_BY_HANDLE_AT
/* A file handle, not a path: the record names the file from the walk (OPEN_EVENT_ABS). */
TRACEPOINT_PROBE(syscalls, sys_enter_open_by_handle_at)
{
        return on_entry(NULL, (__u32)args->flags, 0, (__s32)args->mountdirfd, OPEN_SYSCALL_OPEN_BY_HANDLE_AT, NULL);
}

TRACEPOINT_PROBE(syscalls, sys_exit_open_by_handle_at)
{
        return on_return(args, args->ret);
}
#endif

