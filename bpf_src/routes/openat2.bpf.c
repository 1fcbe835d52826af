/* SPDX-License-Identifier: MIT */
#ifdef OPENSNOOPD_TP_OPENAT2
TRACEPOINT_PROBE(syscalls, sys_enter_openat2)
{
        struct open_how h = {};

        /* not paged in yet: read on return, once the kernel has copied it */
        if (bpf_probe_read_user(&h, sizeof(h), args->how) != 0)
                return on_entry(args->filename, 0, 0, (__s32)args->dfd, OPEN_SYSCALL_OPENAT2, args->how);
        return on_entry(args->filename, h.flags, (__u32)h.mode, (__s32)args->dfd, OPEN_SYSCALL_OPENAT2, NULL);
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat2)
{
        return on_return(args, args->ret);
}
#endif

