/* SPDX-License-Identifier: MIT */
static __always_inline void who_current(struct who *w)
{
        __u64 pid_tgid = bpf_get_current_pid_tgid(), uid_gid = bpf_get_current_uid_gid();

        w->cgroup_id = bpf_get_current_cgroup_id();
        w->pid = pid_tgid >> 32;
        w->tid = (__u32)pid_tgid;
        w->uid = (__u32)uid_gid;
        w->gid = uid_gid >> 32;
        bpf_get_current_comm(&w->comm, sizeof(w->comm));
}

/*
 * The filters that need only the opener and the flags: 0 to go on (with
 * OPEN_EVENT_UNIT_UNDECIDED in s->event_flags where user space decides the
 * unit), -1 when filtered out (counted). The write-only filter waits for
 * flags that are not known yet (s->how). who: the opener, where it is not
 * the current task (NULL: it is).
 */
static __always_inline int filter_opener(struct filter_settings *cfg, struct stash *s, const struct who *who)
{
        __u32 pid = who ? who->pid : bpf_get_current_pid_tgid() >> 32;

        if (pid == cfg->self_pid)
                return -1; /* not counted: the daemon's own opens are not traced at all */
        if ((cfg->active & (FILTER_PIDS | FILTER_EXCLUDE_PIDS)) &&
            !allowed(cfg->active & FILTER_PIDS, filter_pids.lookup(&pid)))
                goto filtered;
        if (cfg->active & (FILTER_UIDS | FILTER_EXCLUDE_UIDS)) {
                __u32 uid = who ? who->uid : (__u32)bpf_get_current_uid_gid();

                if (!allowed(cfg->active & FILTER_UIDS, filter_uids.lookup(&uid)))
                        goto filtered;
        }
        if (cfg->active & (FILTER_COMMS | FILTER_EXCLUDE_COMMS)) {
                struct filter_comm_key key = {};

                if (who)
                        bpf_probe_read_kernel(&key.comm, sizeof(key.comm), who->comm);
                else
                        bpf_get_current_comm(&key.comm, sizeof(key.comm));
                if (!allowed(cfg->active & FILTER_COMMS, filter_comms.lookup(&key)))
                        goto filtered;
        }
        if ((cfg->active & FILTER_WRITE_ONLY) && !s->how && !may_write(s->flags))
                goto filtered;
        if (cfg->active & (FILTER_UNITS | FILTER_EXCLUDE_UNITS)) {
                /* a cgroup user space has seen is decided here; a new one, by user space (see opensnoop.h) */
                __u64 cgroup_id = who ? who->cgroup_id : bpf_get_current_cgroup_id();
                __u8 *verdict = filter_cgroups.lookup(&cgroup_id);

                if (!verdict)
                        s->event_flags |= OPEN_EVENT_UNIT_UNDECIDED;
                else if (*verdict != FILTER_INCLUDE)
                        goto filtered;
        }
        return 0;
filtered:
        count(OPEN_STAT_FILTERED);
        return -1;
}

/* Decide what can be decided before the open runs; stash the rest. */
/*
 * how: openat2's struct open_how in user memory when it could not be read at
 * entry (a page not yet faulted in, which a BPF program cannot do): its flags
 * are then read on return, when the kernel has copied it, and the write-only
 * filter waits until then.
 */
static __always_inline int on_entry(const char *path, __u64 flags, __u32 mode, __s32 dirfd, __u8 syscall,
                                    const void *how)
{
        __u32 tid = (__u32)bpf_get_current_pid_tgid();
        __u32 zero = 0;
        struct filter_settings *cfg = settings.lookup(&zero);
        struct stash s = {};

        if (!cfg)
                return 0;
        s.path = path;
        s.how = how;
        s.flags = flags;
        s.mode = mode;
        s.dirfd = dirfd;
        s.syscall = syscall;
        if (filter_opener(cfg, &s, NULL) != 0) {
                /* an earlier open whose return went unseen must not pass for this one */
                stash_drop(tid);
                return 0;
        }
        if (path) {
                /* The name as it is now, before the kernel copies it: if the open fails, no file
                 * tells what was opened, and the name read at return is checked against this. */
                struct entry_name *n = entry_names.lookup(&zero);
                long len;

                if (n) {
                        n->seq++;
                        len = bpf_probe_read_user_str(n->name, OPEN_PATH_MAX, path);
                        if (len > 0) {
                                s.entry_len = len;
                                s.entry_cpu = bpf_get_smp_processor_id() + 1;
                                s.entry_seq = n->seq;
                        }
                }
        }
        if (stash_put(tid, &s) != 0)
                count_lost(OPEN_STAT_STASH_FULL, (__u32)bpf_get_current_uid_gid(), 1);
        return 0;
}

