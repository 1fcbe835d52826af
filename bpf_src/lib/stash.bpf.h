/* SPDX-License-Identifier: MIT */
/*
 * Who opened, where it is not the current task: an io_uring open completes
 * in whichever of the process's threads (or io-wq workers) ran it, so the
 * submitter is kept with the stash. (Map value types are defined before any
 * code: after code that does not compile, as with missing kernel headers,
 * libbcc 0.26 crashes laying out a map's value type, rather than report.)
 */
struct who {
        __u64 cgroup_id;
        __u32 pid, tid, uid, gid;
        char comm[OPEN_COMM_LEN];
};

struct stash {
        const char *path; /* user pointer, read on return when it is paged in; kernel memory with path_in_kernel */
        const void *how;  /* openat2's struct open_how, if it was not paged in at entry: read on return */
        const void *file; /* the struct file opened, where no fd names it (exec): what the walk starts from */
        __u64 flags;
        __u32 mode;
        __s32 dirfd;
        __u8 syscall;
        __u8 in_flight;    /* task storage: set at entry, cleared at return */
        __u16 event_flags; /* OPEN_EVENT_UNIT_UNDECIDED, from filter_opener(); OPEN_EVENT_NO_FD ... */
        __u8 path_in_kernel; /* path is the kernel's copy of the name (exec, io_uring) */
        __u8 interpreter;    /* exec: enum open_interpreter */
        __u16 entry_len;     /* with entry_cpu: bytes of the name read at entry, its NUL included */
        __u32 entry_cpu;     /* 1 + the CPU whose entry_names holds the name as read at entry; 0: none */
        __u64 entry_seq;     /* ... and that reading's number there (a later one replaces it) */
};

#ifdef OPENSNOOPD_TASK_STASH
/*
 * Opens in flight are kept with the task itself (task-local storage, 5.11+),
 * not in a table: no user's blocked opens can fill it for everyone else, and
 * nothing is left behind when a return is never seen (a kretprobe has a
 * bounded number of instances; past it, returns go unseen): the thread's
 * next open overwrites it, its exit frees it.
 */
struct task_struct;
BPF_TASK_STORAGE(stash, struct stash);

static __always_inline int stash_put(__u32 tid, const struct stash *s)
{
        struct stash *t = stash.task_storage_get(bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

        if (!t)
                return -1;
        *t = *s;
        t->in_flight = 1;
        return 0;
}

static __always_inline struct stash *stash_take(__u32 tid)
{
        struct stash *t = stash.task_storage_get(bpf_get_current_task_btf(), 0, 0);

        return t && t->in_flight ? t : NULL;
}

static __always_inline void stash_drop(__u32 tid)
{
        struct stash *t = stash.task_storage_get(bpf_get_current_task_btf(), 0, 0);

        if (t)
                t->in_flight = 0;
}
#else
/* Kernels before 5.11: a table of opens in flight, MaxInFlight= entries machine-wide. */
BPF_HASH(stash, __u32, struct stash, OPENSNOOPD_STASH_ENTRIES);

static __always_inline int stash_put(__u32 tid, const struct stash *s)
{
        return stash.update(&tid, s) == 0 ? 0 : -1;
}

static __always_inline struct stash *stash_take(__u32 tid)
{
        return stash.lookup(&tid);
}

static __always_inline void stash_drop(__u32 tid)
{
        stash.delete(&tid);
}
#endif
