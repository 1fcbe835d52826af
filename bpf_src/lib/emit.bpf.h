/* SPDX-License-Identifier: MIT */
/* Who opened: the current task, or who (the opener, where it is not the current task). */
static __always_inline void fill_opener(struct open_event *e, const struct who *who)
{
        if (who) {
                e->cgroup_id = who->cgroup_id;
                e->pid = who->pid;
                e->tid = who->tid;
                e->uid = who->uid;
                e->gid = who->gid;
                bpf_probe_read_kernel(&e->comm, sizeof(e->comm), who->comm);
        } else {
                __u64 pid_tgid = bpf_get_current_pid_tgid(), uid_gid = bpf_get_current_uid_gid();

                e->cgroup_id = bpf_get_current_cgroup_id();
                e->pid = pid_tgid >> 32;
                e->tid = (__u32)pid_tgid;
                e->uid = (__u32)uid_gid;
                e->gid = uid_gid >> 32;
                bpf_get_current_comm(&e->comm, sizeof(e->comm));
        }
}

/*
 * What the entry stashed, and the result. Returns -1 where the write-only
 * filter drops the open now that openat2's flags are known (counted).
 */
static __always_inline int fill_call(struct filter_settings *cfg, struct open_event *e, const struct stash *s,
                                     long result)
{
        e->flags = s->flags;
        e->result = result;
        e->mode = s->mode;
        e->dirfd = s->dirfd;
        e->syscall = s->syscall;
        e->event_flags = s->event_flags;
        if (s->how) {
                /* openat2's struct open_how, paged in by the kernel's copy by now (see on_entry()) */
                struct {
                        __u64 flags, mode, resolve;
                } how = {};

                if (bpf_probe_read_user(&how, sizeof(how), s->how) == 0) {
                        e->flags = how.flags;
                        e->mode = (__u32)how.mode;
                }
                if ((cfg->active & FILTER_WRITE_ONLY) && !may_write(e->flags)) {
                        count(OPEN_STAT_FILTERED);
                        return -1;
                }
        }
        e->abs_len = 0;
        e->interpreter = s->interpreter;
        e->kind = OPEN_RECORD_OPEN;
        e->reserved = 0;
        e->repeat_slot = 0;
        e->repeat_gen = 0;
        return 0;
}

/*
 * The name the call was given, into e->path: from the caller's memory, or
 * the kernel's copy. Returns its length with the NUL (1 for none, flagged).
 */
static __always_inline long read_name(struct open_event *e, const struct stash *s)
{
        long len;

        /* The length counts the NUL; kernels before 6.x return 0, not 1, for "". */
        if (!s->path)
                len = 0;
        else if (s->path_in_kernel)
                len = bpf_probe_read_kernel_str(&e->path, sizeof(e->path), s->path);
        else
                len = bpf_probe_read_user_str(&e->path, sizeof(e->path), s->path);
        if (!s->path) {
                e->path[0] = '\0';
                e->event_flags |= OPEN_EVENT_NO_PATH;
                len = 1;
        } else if (len < 0) {
                e->path[0] = '\0';
                e->event_flags |= OPEN_EVENT_PATH_FAULT;
                len = 1;
        } else if (len == 0) {
                e->path[0] = '\0';
                len = 1;
        } else if (len == sizeof(e->path)) {
                e->event_flags |= OPEN_EVENT_PATH_TRUNCATED;
        }
        e->path_len = len - 1;
        return len;
}

/* The bytes of e to send: its header, the name (len with its NUL) and the walked path, if any. */
static __always_inline __u32 record_size(const struct open_event *e, long len)
{
        __u32 size = OPEN_EVENT_HEADER_SIZE + (__u32)len;

        if (e->event_flags & OPEN_EVENT_ABS)
                size += e->abs_len + 1; /* add_abs_path() kept it within path[] */
        if (size > sizeof(*e))
                size = sizeof(*e);
        /* A bound the verifier can see (the clamp above is lost in a register copy); the empty asm
         * keeps the compiler from dropping it as a no-op, which it is: size <= sizeof(*e). */
        asm volatile("" : "+r"(size));
        return size & (2 * OPEN_PATH_MAX - 1);
}

/*
 * The open has returned: finish the event from the stash, apply the late
 * filters, submit. who: the opener, if not the current task.
 */
static __always_inline int emit(void *ctx, const struct stash *s, long result, const struct who *who, int exec)
{
        __u32 zero = 0;
        struct filter_settings *cfg = settings.lookup(&zero);
        struct scratch_event *scratch_event = scratch.lookup(&zero);
        struct open_event *e;
        long len;
#ifdef OPENSNOOPD_REPEAT_SLOTS
        struct repeat_slot *slot;
        struct repeat_file file;
        __u32 index = 0;
#endif

        if (!cfg || !scratch_event)
                return 0;
        e = &scratch_event->e;
        if ((cfg->active & FILTER_FAILED_ONLY) && result >= 0) {
                count(OPEN_STAT_FILTERED);
                return 0;
        }
        e->boot_ns = bpf_ktime_get_boot_ns();
        fill_opener(e, who);
        if (fill_call(cfg, e, s, result) != 0)
                return 0;
        len = read_name(e, s);
        if (result < 0 && s->path && !s->path_in_kernel)
                e->event_flags |= check_entry_name(e, s);
#ifdef OPENSNOOPD_REPEAT_SLOTS
        /* a repeat of what this CPU just sent: counted, and done (repeat.bpf.h) */
        slot = repeat_slot_of(cfg, e, s, who, exec, &file, &index);
        if (slot && repeat_hit(cfg, slot, e, &file))
                return 0;
#endif
#ifdef OPENSNOOPD_ABS_PATHS
        /* relative, by handle, or a successful open: the file the kernel opened, whatever the name
         * in memory says (user space drops the walked path where it equals an absolute OPEN_PATH);
         * an absolute name whose file no fd names is the kernel's copy already (io_uring) */
        if ((len > 1 && e->path[0] != '/') || s->file || opened_fd(e))
                add_abs_path(e, s, exec);
#endif
        if (((cfg->active & FILTER_ANY_PREFIX) && !prefix_allowed(cfg, e)) || self_noise_caused(e)) {
                count(OPEN_STAT_FILTERED);
                return 0;
        }
#ifdef OPENSNOOPD_REPEAT_SLOTS
        if (slot && repeat_claim(ctx, cfg, slot, index, e, &file) == 0) {
                repeat_publish(slot, e, submit(ctx, e, record_size(e, len), OPEN_STAT_BUFFER_FULL, 1) == 0);
                return 0;
        }
#endif
        submit(ctx, e, record_size(e, len), OPEN_STAT_BUFFER_FULL, 1);
        return 0;
}

/* A system call's open has returned: its stash is the current thread's. */
static __always_inline int on_return(void *ctx, long result)
{
        __u32 tid = (__u32)bpf_get_current_pid_tgid();
        struct stash *s = stash_take(tid);

        if (!s)
                return 0; /* missed entry: the probe was attached mid-open, or filtered */
        emit(ctx, s, result, NULL, 0);
        stash_drop(tid);
        return 0;
}
