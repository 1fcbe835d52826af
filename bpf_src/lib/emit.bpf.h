/* SPDX-License-Identifier: MIT */
#ifdef OPENSNOOPD_RINGBUF_PAGES
/*
 * May uid put need more bytes into the ring? Below the reserve, anyone may
 * (the common case: two array lookups); in it, only a user under its share
 * (see opensnoop.h). Counts the bytes as produced when it says yes. Two CPUs
 * may both say yes to the last room: the ring then refuses one, which is
 * counted as lost like any record it has no room for.
 */
static __always_inline __u64 *ring_admit(__u32 uid, __u64 need)
{
        __u32 produced_key = RING_POS_PRODUCED, consumed_key = RING_POS_CONSUMED;
        __u64 *produced = ring_pos.lookup(&produced_key), *consumed = ring_pos.lookup(&consumed_key);
        struct ring_reserve_use fresh = {}, *use;
        __u64 prod, cons, unread;

        if (!produced || !consumed)
                return NULL;
        prod = *(volatile __u64 *)produced;
        cons = *(volatile __u64 *)consumed;
        unread = prod > cons ? prod - cons : 0;
        if (unread + need + OPENSNOOPD_RING_BYTES / RING_RESERVE_PART <= OPENSNOOPD_RING_BYTES)
                goto admit;
        use = ring_reserve.lookup(&uid);
        if (!use) {
                ring_reserve.update(&uid, &fresh);
                use = ring_reserve.lookup(&uid);
                if (!use)
                        return NULL;
        }
        if (cons >= use->until)
                use->bytes = 0; /* user space has read all this user had in the reserve */
        if (use->bytes + need > OPENSNOOPD_RING_BYTES / RING_SHARE_PART)
                return NULL;
        use->bytes += need;
        use->until = prod + need;
admit:
        __sync_fetch_and_add(produced, need);
        return produced;
}
#endif

/*
 * Sends size bytes of e to user space. Both buffers fail, rather than block,
 * when they are full: counting each failure (as stat, by e's user) here makes
 * the loss count exact, with no lost-sample record to wait for. The ring
 * buffer also refuses a user's record that would take more than its share of
 * the ring's reserve (ring_admit()).
 */
static __always_inline void submit(void *ctx, struct open_event *e, __u32 size, __u32 stat)
{
#ifdef OPENSNOOPD_RINGBUF_PAGES
        /* Waking the reader for every record costs more than the record (an irq_work and
         * a wake-up each time the reader has caught up): wake it every
         * OPENSNOOPD_WAKEUP_EVENTS records, as the perf buffers do; it also reads every 100 ms. */
        __u32 zero = 0;
        __u32 *n;
        __u64 flags = BPF_RB_NO_WAKEUP, need = RING_RECORD_BYTES(size);
        __u64 *produced = ring_admit(e->uid, need);

        if (!produced) {
                count_lost(stat, e->uid);
                return;
        }
        n = unwoken.lookup(&zero);
        if (n && ++*n >= OPENSNOOPD_WAKEUP_EVENTS) {
                *n = 0;
                flags = BPF_RB_FORCE_WAKEUP;
        }
        if (events.ringbuf_output(e, size, flags) != 0) {
                __sync_fetch_and_add(produced, -need);
                count_lost(stat, e->uid);
        }
#else
        if (events.perf_submit(ctx, e, size) != 0)
                count_lost(stat, e->uid);
#endif
}

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
        __builtin_memset(e->reserved, 0, sizeof(e->reserved));
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
        submit(ctx, e, record_size(e, len), OPEN_STAT_BUFFER_FULL);
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
