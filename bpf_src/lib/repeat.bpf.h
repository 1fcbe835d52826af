/* SPDX-License-Identifier: MIT */
#ifdef OPENSNOOPD_REPEAT_SLOTS
/*
 * Repeats counted in the kernel (struct repeat_slot, opensnoop.h): an open
 * that its CPU has just recorded, again, costs a few reads and one
 * compare-and-exchange here instead of the walk, a record and its way
 * through user space. Its count still reaches user space, exactly, in the
 * name of the record that made the slot.
 *
 * Which opens may be counted so: the current task's system calls (not
 * exec's, io_uring's, nor by handle), with a name read whole and checked, of
 * at most REPEAT_PATH_MAX bytes; a failure only where its name is absolute
 * or nothing is walked (a relative failure's absolute path is its working
 * directory's, which may have changed); a success only where the file can
 * be told the same without the walk: its dentry, mount and inode, the task's
 * root, and no rename nor mount change since (the rename and mount seqlocks,
 * where /proc/kallsyms lists them). Without those, every success is sent.
 */

/* A successful open's file, as the key has it (struct repeat_slot's file[] and seq[]); zero for a failure. */
struct repeat_file {
        __u64 id[6];
        __u32 seq[2];
};

#if defined(OPENSNOOPD_ABS_PATHS) && defined(OPENSNOOPD_RENAME_LOCK) && defined(OPENSNOOPD_MOUNT_LOCK)
#define REPEAT_SUCCESSES 1

static __always_inline __u32 read_seq(unsigned long address)
{
        __u32 seq = 1; /* odd, as if a writer held it, if it cannot be read */

        bpf_probe_read_kernel(&seq, sizeof(seq), (void *)address);
        return seq;
}

/* The file behind the new fd and the root it is seen from; 0 where it cannot be told. */
static __always_inline int repeat_file_of(const struct open_event *e, struct repeat_file *f)
{
        void *task = (void *)bpf_get_current_task();
        void *fs, *inode;
        struct where at, root;
        __u64 ino = 0;

        /* first, as a seqlock's reader does: a change after this read shows in the claim or the hit */
        f->seq[0] = read_seq(OPENSNOOPD_RENAME_LOCK);
        f->seq[1] = read_seq(OPENSNOOPD_MOUNT_LOCK);
        if ((f->seq[0] | f->seq[1]) & 1)
                return 0;
        fs = read_ptr(task, KOFF_TASK_FS);
        if (!fs || !file_of_fd(task, e->result, &at))
                return 0;
        read_path(&root, (char *)fs + KOFF_FS_ROOT);
        inode = read_ptr(at.dentry, KOFF_DENTRY_INODE);
        if (!inode)
                return 0;
        bpf_probe_read_kernel(&ino, sizeof(ino), (char *)inode + KOFF_INODE_INO);
        f->id[0] = (__u64)at.dentry;
        f->id[1] = (__u64)at.mnt;
        f->id[2] = (__u64)inode;
        f->id[3] = ino;
        f->id[4] = (__u64)root.dentry;
        f->id[5] = (__u64)root.mnt;
        return 1;
}
#endif

/* A 64-bit finalizer (MurmurHash3's): each bit of x moves about half of the result's. */
static __always_inline __u64 mix64(__u64 x)
{
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdull;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ull;
        return x ^ (x >> 33);
}

/* 8 bytes of a slot's name at any offset below REPEAT_PATH_MAX: it has room after it. */
static __always_inline __u64 slot_word(const char *p, __u32 at)
{
        return *(const __u64 *)(p + (at & (REPEAT_PATH_MAX - 1)));
}

/*
 * The slot e's key hashes to on this CPU, if e may be counted as a repeat;
 * *f: its file, *index the slot's. NULL: e goes out as a record of its own.
 */
static __always_inline struct repeat_slot *repeat_slot_of(const struct filter_settings *cfg, struct open_event *e,
                                                          const struct stash *s, const struct who *who, int exec,
                                                          struct repeat_file *f, __u32 *index)
{
        __u32 len = (__u32)e->path_len + 1, cpu = bpf_get_smp_processor_id();
        __u64 h;

        if (!cfg->repeats || who || exec || s->file || s->path_in_kernel || !s->path)
                return NULL;
        /* only what the fold keys on: no fault, cut, change, nor anything but a plain fd or error */
        if ((e->event_flags & ~OPEN_EVENT_UNIT_UNDECIDED) || len > REPEAT_PATH_MAX || cpu >= OPENSNOOPD_REPEAT_CPUS)
                return NULL;
        __builtin_memset(f, 0, sizeof(*f));
        if (e->result >= 0) {
#ifdef OPENSNOOPD_ABS_PATHS
#ifdef REPEAT_SUCCESSES
                if (!repeat_file_of(e, f))
                        return NULL;
#else
                return NULL;
#endif
#endif
        } else {
#ifdef OPENSNOOPD_ABS_PATHS
                if (e->path[0] != '/')
                        return NULL;
#endif
        }
        /* names in one directory share their first bytes and often their length: every input is
         * mixed through all 64 bits, and the slot is taken from the top ones */
        h = mix64((__u64)e->pid << 32 | len);
        h = mix64(h ^ word_at(e->path, 0));
        h = mix64(h ^ (len >= 8 ? word_at(e->path, len - 8) : 0));
        h = mix64(h ^ f->id[0]);
        *index = cpu * REPEAT_SLOTS_PER_CPU + (__u32)(h >> (64 - REPEAT_SLOT_BITS));
        return repeat_slots.lookup(index);
}

/* Whether slot holds e's key: everything the fold keys on, the file, and this configuration's epoch. */
static __always_inline int repeat_key_equal(const struct filter_settings *cfg, const struct repeat_slot *slot,
                                            const struct open_event *e, const struct repeat_file *f)
{
        __u32 len = (__u32)e->path_len + 1;
        __u64 diff = 0;

        if (slot->epoch != cfg->repeats || slot->pid != e->pid || slot->uid != e->uid || slot->gid != e->gid ||
            slot->cgroup_id != e->cgroup_id || slot->flags != e->flags || slot->mode != e->mode ||
            slot->syscall != e->syscall || slot->event_flags != e->event_flags || slot->path_len != e->path_len ||
            slot->outcome != (e->result < 0 ? e->result : 0))
                return 0;
        diff |= word_at(e->comm, 0) ^ *(const __u64 *)&slot->comm[0];
        diff |= word_at(e->comm, 8) ^ *(const __u64 *)&slot->comm[8];
#pragma unroll
        for (int i = 0; i < 6; i++)
                diff |= f->id[i] ^ slot->file[i];
        diff |= (f->seq[0] ^ slot->seq[0]) | (f->seq[1] ^ slot->seq[1]);
#pragma clang loop unroll(disable)
        for (__u32 i = 0; i < REPEAT_PATH_MAX / 8; i++) {
                __u32 at = i * 8, left = len - at;
                __u64 mask = ~0ULL;

                if (at >= len)
                        break;
                if (left < 8)
                        mask = (1ULL << (left * 8)) - 1;
                diff |= (word_at(e->path, at) ^ slot_word(slot->path, at)) & mask;
        }
        return diff == 0;
}

/* Counts e as a repeat of the open that made slot. 1: counted, nothing more to do; 0: send e. */
static __always_inline int repeat_hit(const struct filter_settings *cfg, struct repeat_slot *slot,
                                      const struct open_event *e, const struct repeat_file *f)
{
        __u64 state = *(volatile __u64 *)&slot->state;

        if (!state || (state & REPEAT_BUSY) || REPEAT_COUNT(state) >= REPEAT_COUNT_MAX ||
            !repeat_key_equal(cfg, slot, e, f))
                return 0;
        /* the times first: whoever takes the count reads them before it takes it */
        if (REPEAT_COUNT(state) == 0)
                slot->first_ns = e->boot_ns;
        slot->last_ns = e->boot_ns;
        /* fails if the slot changed since state was read: taken, remade, or counted by a task that
         * preempted this one; e is then sent as it is */
        return __sync_val_compare_and_swap(&slot->state, state, state + 1) == state;
}

/* The repeats a slot held when it was taken for another key: a record of their own (repeat_out's). */
static __always_inline void repeat_flush(void *ctx, const struct repeat_slot *slot, __u32 index, __u64 state)
{
        __u32 zero = 0, n = REPEAT_COUNT(state);
        struct repeat_record *out = repeat_out.lookup(&zero);
        struct open_event *r;

        if (!out) {
                count_lost(OPEN_STAT_BUFFER_FULL, slot->uid, n);
                return;
        }
        __builtin_memset(out, 0, sizeof(*out));
        r = (struct open_event *)out;
        r->boot_ns = slot->last_ns;
        r->flags = slot->first_ns;
        r->cgroup_id = slot->cgroup_id;
        r->result = n;
        r->pid = slot->pid;
        r->uid = slot->uid;
        r->gid = slot->gid;
        r->kind = OPEN_RECORD_REPEATS;
        r->repeat_slot = index + 1;
        r->repeat_gen = REPEAT_GEN(state);
        submit(ctx, r, OPEN_EVENT_HEADER_SIZE + 1, OPEN_STAT_BUFFER_FULL, n);
}

/*
 * Makes slot e's, for its repeats to come: e's record will name it. The
 * repeats it held for another key go out first. 0, or -1 (e is sent
 * without a slot: another task is remaking it, user space is taking its
 * count, or the walk saw a rename or a mount change).
 */
static __always_inline int repeat_claim(void *ctx, const struct filter_settings *cfg, struct repeat_slot *slot,
                                        __u32 index, struct open_event *e, const struct repeat_file *f)
{
        __u64 old = *(volatile __u64 *)&slot->state;
        __u32 len = (__u32)e->path_len + 1, gen;

        if (e->event_flags & (OPEN_EVENT_ABS_DELETED | OPEN_EVENT_ABS_TOO_DEEP | OPEN_EVENT_ABS_TOO_LONG |
                              OPEN_EVENT_ABS_RENAMED | OPEN_EVENT_ABS_UNREACHABLE | OPEN_EVENT_ABS_NO_FILE))
                return -1;
#ifdef REPEAT_SUCCESSES
        if (e->result >= 0 && (read_seq(OPENSNOOPD_RENAME_LOCK) != f->seq[0] ||
                               read_seq(OPENSNOOPD_MOUNT_LOCK) != f->seq[1]))
                return -1;
#endif
        if ((old & REPEAT_BUSY) || __sync_val_compare_and_swap(&slot->state, old, REPEAT_BUSY) != old)
                return -1;
        if (REPEAT_COUNT(old))
                repeat_flush(ctx, slot, index, old);
        slot->epoch = cfg->repeats;
        slot->pid = e->pid;
        slot->uid = e->uid;
        slot->gid = e->gid;
        slot->cgroup_id = e->cgroup_id;
        slot->flags = e->flags;
        slot->mode = e->mode;
        slot->syscall = e->syscall;
        slot->event_flags = e->event_flags & OPEN_EVENT_UNIT_UNDECIDED;
        slot->path_len = e->path_len;
        slot->outcome = e->result < 0 ? e->result : 0;
        __builtin_memcpy(slot->comm, e->comm, sizeof(slot->comm));
#pragma unroll
        for (int i = 0; i < 6; i++)
                slot->file[i] = f->id[i];
        slot->seq[0] = f->seq[0];
        slot->seq[1] = f->seq[1];
        asm volatile("" : "+r"(len)); /* keeps the mask: the verifier needs the bound */
        bpf_probe_read_kernel(slot->path, len & (REPEAT_PATH_MAX * 2 - 1), e->path);
        gen = slot->next_gen + 1;
        if (gen > REPEAT_COUNT_MAX)
                gen = 1;
        slot->next_gen = gen;
        e->repeat_slot = index + 1;
        e->repeat_gen = gen;
        return 0;
}

/* After e's record went (sent) or did not: the slot takes repeats, or stays empty. */
static __always_inline void repeat_publish(struct repeat_slot *slot, const struct open_event *e, int sent)
{
        __sync_lock_test_and_set(&slot->state, sent ? (__u64)e->repeat_gen << 32 : 0);
}
#endif
