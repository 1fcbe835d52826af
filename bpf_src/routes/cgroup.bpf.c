/* SPDX-License-Identifier: MIT */
#ifdef OPENSNOOPD_TP_CGROUP
/*
 * A cgroup of the cgroup2 hierarchy (hierarchy id 0: cgroup v1's have their
 * own) was made or removed: its id and path go to user space in the same
 * buffer as the opens, so that a cgroup removed before its opens' records are
 * written is still named on them (see enum open_record_kind). No filter
 * applies: they are few, and the opens they name may be anyone's. The kernel
 * formats the path only while a program is attached to the tracepoint.
 */
static __always_inline int emit_cgroup(void *ctx, __u8 kind, int root, __u64 id, const char *path)
{
        __u32 zero = 0;
        struct scratch_event *scratch_event = scratch.lookup(&zero);
        struct open_event *e;
        __u64 pid_tgid = bpf_get_current_pid_tgid(), uid_gid = bpf_get_current_uid_gid();
        long len;
        __u32 size;

        if (root != 0 || !scratch_event)
                return 0;
        e = &scratch_event->e;
        __builtin_memset(e, 0, OPEN_EVENT_HEADER_SIZE);
        e->boot_ns = bpf_ktime_get_boot_ns();
        e->cgroup_id = id;
        e->pid = pid_tgid >> 32;
        e->tid = (__u32)pid_tgid;
        e->uid = (__u32)uid_gid;
        e->gid = uid_gid >> 32;
        e->kind = kind;
        bpf_get_current_comm(&e->comm, sizeof(e->comm));
        len = bpf_probe_read_kernel_str(&e->path, OPEN_CGROUP_PATH_MAX, path);
        if (len <= 0) {
                e->path[0] = '\0';
                len = 1;
        }
        e->path_len = len - 1;
        size = OPEN_EVENT_HEADER_SIZE + (__u32)len;
        /* the bound the verifier needs, kept from clang's folding as in emit() */
        asm volatile("" : "+r"(size));
        size &= 2 * OPEN_PATH_MAX - 1;
        submit(ctx, e, size, OPEN_STAT_CGROUP_FULL, 1);
        return 0;
}

TRACEPOINT_PROBE(cgroup, cgroup_mkdir)
{
        return emit_cgroup(args, OPEN_RECORD_CGROUP_MKDIR, args->root, args->id,
                           (const char *)args + (args->data_loc_path & 0xFFFF));
}

TRACEPOINT_PROBE(cgroup, cgroup_rmdir)
{
        return emit_cgroup(args, OPEN_RECORD_CGROUP_RMDIR, args->root, args->id,
                           (const char *)args + (args->data_loc_path & 0xFFFF));
}
#endif
