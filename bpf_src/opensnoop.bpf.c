/* SPDX-License-Identifier: MIT */
/*
 * opensnoopd's kernel side, in BCC's dialect of C. libbcc compiles it when
 * the daemon starts; the build embeds it, with opensnoop.h in front.
 *
 * Each open is seen twice: on entry the arguments are stashed under the
 * thread id, on return the stash is looked up, the event is built in a
 * per-CPU scratch buffer (a 4 KiB path does not fit on the BPF stack) and
 * only the bytes in use are submitted.
 *
 * -D values set by user space (src/probe.c):
 *   OPENSNOOPD_KPROBE          compile the do_sys_openat2/do_sys_open pair
 *   OPENSNOOPD_KPROBE_OPENAT2  ... and the symbol is do_sys_openat2 (5.6+)
 *   OPENSNOOPD_KPROBE_BY_HANDLE ... and a pair on __x64_sys_open_by_handle_at
 *   OPENSNOOPD_TP_EXEC         the program file exec opened (sched:sched_process_exec)
 *   OPENSNOOPD_EXEC_INTERPRETERS
 *                              ... and the interpreters it opened (its raw tracepoint), with
 *                              the KOFF_BPRM_*, _MM_*, _MAPLE_*, _MR64_*, _MA64_* and _VMA_*
 *   OPENSNOOPD_KPROBE_EXEC     kprobe mode: pairs on __x64_sys_execve/execveat, for failed execs
 *   OPENSNOOPD_TP_CGROUP       each cgroup2 cgroup's name, made and removed
 *                              (cgroup:cgroup_mkdir, cgroup:cgroup_rmdir)
 *   OPENSNOOPD_IO_URING        io_uring's opens; with OPENSNOOPD_IO_URING_ENTRIES,
 *                              _IORING_OP_OPENAT, _IORING_OP_OPENAT2, the KOFF_IO_* and
 *                              TP_URING_*, where its tracepoints' records hold the fields
 *   OPENSNOOPD_TP_EXECVE, _TP_EXECVEAT
 *                              exec's syscall tracepoints, for failed execs (tracepoint mode)
 *   OPENSNOOPD_TP_OPEN, _TP_OPENAT, _TP_OPENAT2, _TP_CREAT
 *                              compile the syscall tracepoints that exist
 *   OPENSNOOPD_TP_OPEN_BY_HANDLE_AT
 *                              ... and open_by_handle_at's (tracepoint mode)
 *   OPENSNOOPD_TASK_STASH      keep opens in flight in task-local storage (5.11+)
 *   OPENSNOOPD_STASH_ENTRIES   without it: opens in flight at once, machine-wide
 *   OPENSNOOPD_NR_OPEN, _NR_OPENAT, _NR_OPENAT2, _NR_CREAT
 *                              syscall numbers, to name the syscall in kprobe mode
 *   OPENSNOOPD_X86_64          the kernel is x86-64 (pt_regs layout is known)
 *   OPENSNOOPD_RINGBUF_PAGES   submit to one BPF ring buffer of this many pages
 *                              shared by all CPUs (5.8+); without it, to a perf
 *                              buffer per CPU
 *   OPENSNOOPD_WAKEUP_EVENTS   ring buffer: wake the reader every this many
 *                              records per CPU (the perf buffers do it themselves)
 *   OPENSNOOPD_ABS_PATHS       build the absolute path of relative opens; with it
 *                              KOFF_*, the offsets of the fields the walk reads in
 *                              this kernel's structures (src/kernel_layout.c, from
 *                              its BTF: the headers libbcc compiles against may be
 *                              another kernel's), and OPENSNOOPD_RENAME_LOCK, the
 *                              address of the kernel's rename seqlock, if known
 */
#include <uapi/linux/fcntl.h> /* not linux/fcntl.h: that one costs half a second of parsing */
#ifdef OPENSNOOPD_KPROBE
/* pt_regs and task_struct: large headers, parsed only where they are used */
#include <linux/sched.h>
#include <uapi/linux/ptrace.h>
#endif
#if defined(OPENSNOOPD_TP_OPENAT2) || defined(OPENSNOOPD_KPROBE_OPENAT2)
#include <uapi/linux/openat2.h>
#endif
#include "opensnoop.h"

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
/* The record is built here; the slack takes the absolute path's bounded copies (see add_abs_path()). */
struct scratch_event {
        struct open_event e;
        char slack[OPEN_PATH_MAX];
};

BPF_PERCPU_ARRAY(scratch, struct scratch_event, 1);
BPF_PERCPU_ARRAY(stats, __u64, OPEN_STAT_MAX);

/* The last name an open's entry read on this CPU, to check a failed open's name against (see on_entry()). */
struct entry_name {
        __u64 seq;
        char name[OPEN_PATH_MAX + 8]; /* + 8: see word_at() */
};
BPF_PERCPU_ARRAY(entry_names, struct entry_name, 1);
BPF_ARRAY(settings, struct filter_settings, 1);
BPF_HASH(filter_pids, __u32, __u8, FILTER_MAX_PIDS);
BPF_HASH(filter_uids, __u32, __u8, FILTER_MAX_UIDS);
BPF_HASH(filter_comms, struct filter_comm_key, __u8, FILTER_MAX_COMMS);
BPF_LPM_TRIE(filter_prefixes, struct filter_prefix_key, __u8, FILTER_MAX_PREFIXES);
BPF_TABLE("lru_hash", __u64, __u8, filter_cgroups, FILTER_MAX_CGROUPS);
BPF_LPM_TRIE(self_noise, struct filter_prefix_key, __u8, FILTER_MAX_SELF_NOISE);
BPF_PERCPU_ARRAY(prefix_scratch, struct filter_prefix_key, 1);
BPF_HASH(lost_uids, __u32, __u64, LOST_UIDS_MAX);
#ifdef OPENSNOOPD_RINGBUF_PAGES
BPF_RINGBUF_OUTPUT(events, OPENSNOOPD_RINGBUF_PAGES);
BPF_PERCPU_ARRAY(unwoken, __u32, 1); /* records this CPU submitted since it last woke the reader */
BPF_ARRAY(ring_pos, __u64, 2);
BPF_TABLE("lru_hash", __u32, struct ring_reserve_use, ring_reserve, RING_RESERVE_USERS);
#else
BPF_PERF_OUTPUT(events);
#endif

static __always_inline void count(__u32 stat)
{
        __u64 *n = stats.lookup(&stat);

        if (n)
                *n += 1;
}

/*
 * A record of uid's the kernel side could not send (as stat): counted in the
 * total and, an open's, by user too (a cgroup's record is not an open).
 */
static __always_inline void count_lost(__u32 stat, __u32 uid)
{
        __u64 one = 1, *n;

        count(stat);
        if (stat == OPEN_STAT_CGROUP_FULL)
                return;
        n = lost_uids.lookup(&uid);
        if (n) {
                __sync_fetch_and_add(n, 1);
                return;
        }
        /* another CPU may have added the user meanwhile; a full table leaves it to the total */
        if (lost_uids.insert(&uid, &one) != 0) {
                n = lost_uids.lookup(&uid);
                if (n)
                        __sync_fetch_and_add(n, 1);
        }
}

static __always_inline int may_write(__u64 flags)
{
        return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}

/* An include/exclude list's verdict on one value: excluded, or not included while only included ones pass. */
static __always_inline int allowed(int include_only, __u8 *verdict)
{
        if (verdict && *verdict == FILTER_EXCLUDE)
                return 0;
        return !include_only || (verdict && *verdict == FILTER_INCLUDE);
}

/*
 * A path as an LPM trie key, in a per-CPU scratch buffer (260 bytes do not
 * belong on the stack): the path as passed, or (absolute) the absolute path
 * the kernel side built, which follows it in e->path.
 */
static __always_inline struct filter_prefix_key *path_key(struct open_event *e, int absolute)
{
        __u32 zero = 0, len = e->path_len, start = 0;
        struct filter_prefix_key *key = prefix_scratch.lookup(&zero);

        if (!key)
                return NULL;
        if (absolute) {
                start = e->path_len + 1;
                len = e->abs_len;
        }
        if (len > sizeof(key->data))
                len = sizeof(key->data);
        key->prefixlen = len * 8;
        bpf_probe_read_kernel(&key->data, sizeof(key->data), &e->path[start & (OPEN_PATH_MAX - 1)]);
        return key;
}

/*
 * Path prefixes are matched in an LPM trie: the longest stored prefix of the
 * path decides, so PathPrefixes=/home and ExcludePathPrefixes=/home/cache
 * combine as an operator would expect. Matching is on bytes. A relative
 * path is matched by the absolute path the kernel side built. An absolute
 * one that the walk of the opened file names differently (a symlink, "..",
 * a name changed in memory during the call) is kept if either form passes:
 * no name in user memory can then hide an open the filters keep, since it
 * passes by what was opened, and a symlink the operator named by its link
 * still matches.
 */
static __always_inline int prefix_allowed(struct filter_settings *cfg, struct open_event *e)
{
        int has_abs = e->event_flags & OPEN_EVENT_ABS;
        struct filter_prefix_key *key;

        /* a relative path as passed says nothing of where it is: only its absolute form counts */
        if (!has_abs || e->path[0] == '/') {
                key = path_key(e, 0);
                if (!key || allowed(cfg->active & FILTER_PREFIXES, filter_prefixes.lookup(key)))
                        return 1;
        }
        if (!has_abs)
                return 0;
        key = path_key(e, 1);
        return !key || allowed(cfg->active & FILTER_PREFIXES, filter_prefixes.lookup(key));
}

/*
 * journald or PID 1, as root, opening what the daemon's own writing made them
 * open (see opensnoop.h). The comm alone could be anyone's; with uid 0 it
 * can only be root's, who could hide from us anyway.
 */
static __always_inline int self_noise_caused(struct open_event *e)
{
        struct filter_prefix_key *key;
        __u64 head = 0, tail = 0;

        if (e->uid != 0)
                return 0;
        if (e->pid != 1) {
                /* "systemd-journal\0" as two little-endian words */
                bpf_probe_read_kernel(&head, sizeof(head), &e->comm[0]);
                bpf_probe_read_kernel(&tail, sizeof(tail), &e->comm[8]);
                if (head != 0x2d646d6574737973ULL || tail != 0x006c616e72756f6aULL)
                        return 0;
        }
        key = path_key(e, 0);
        return key && self_noise.lookup(key) != NULL;
}

/* A pointer in kernel memory; NULL where it cannot be read. */
static __always_inline void *read_ptr(const void *base, long offset)
{
        void *value = NULL;

        bpf_probe_read_kernel(&value, sizeof(value), (const char *)base + offset);
        return value;
}

/*
 * A failed open's name as read at return (e->path, len bytes with its NUL)
 * against the same name as read at entry: OPEN_EVENT_PATH_CHANGED if they
 * differ, OPEN_EVENT_PATH_UNCHECKED if the entry reading is gone or never
 * was. Only up to the NUL: the bytes after it are stale.
 *
 * 64 bytes a step, then the last whole words, then the 8 bytes that end at
 * the NUL: few steps, since the verifier keeps every step's state to compare
 * with the next. The length is read from the record (map memory) afresh
 * wherever it is compared, and nothing a loop's exit narrows is used after
 * it: otherwise the verifier would follow the rest of the program once per
 * exit.
 */
/* 8 bytes at any offset below OPEN_PATH_MAX: both buffers have 8 bytes of room after it. */
static __always_inline __u64 word_at(const char *p, __u32 at)
{
        return *(const __u64 *)(p + (at & (OPEN_PATH_MAX - 1)));
}

static __always_inline __u16 check_entry_name(struct open_event *e, const struct stash *s)
{
        volatile __u16 *path_len = &e->path_len;
        __u32 zero = 0, done, len;
        struct entry_name *n = entry_names.lookup(&zero);
        __u64 diff = 0;

        if (!n || !s->entry_cpu || s->entry_cpu != bpf_get_smp_processor_id() + 1 || n->seq != s->entry_seq)
                return OPEN_EVENT_PATH_UNCHECKED;
        if ((__u32)*path_len + 1 != s->entry_len)
                return OPEN_EVENT_PATH_CHANGED;
#pragma clang loop unroll(disable)
        for (__u32 i = 0; i < OPEN_PATH_MAX / 64; i++) {
                __u32 at = i * 64;

                if (at + 64 > (__u32)*path_len + 1)
                        break;
#pragma unroll
                for (__u32 j = 0; j < 8; j++)
                        diff |= word_at(e->path, at + j * 8) ^ word_at(n->name, at + j * 8);
        }
        done = (((__u32)*path_len + 1) / 64) * 64;
#pragma clang loop unroll(disable)
        for (__u32 k = 0; k < 8; k++) {
                __u32 at = done + k * 8;

                if (at + 8 > (__u32)*path_len + 1)
                        break;
                diff |= word_at(e->path, at) ^ word_at(n->name, at);
        }
        len = (__u32)*path_len + 1; /* with its NUL */
        if (len >= 8)
                diff |= word_at(e->path, len - 8) ^ word_at(n->name, len - 8);
        else
                diff |= (word_at(e->path, 0) ^ word_at(n->name, 0)) & ((1ULL << (len * 8)) - 1);
        return diff ? OPEN_EVENT_PATH_CHANGED : 0;
}


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
                count_lost(OPEN_STAT_STASH_FULL, (__u32)bpf_get_current_uid_gid());
        return 0;
}

#ifdef OPENSNOOPD_ABS_PATHS
/*
 * The absolute path, walked from a dentry and its mount up to the task's
 * root the way the kernel's d_path() does, but bounded and without its
 * locks: names are read as they are; a rename during the walk is detected
 * with the rename seqlock where its address is known. Fields are read at
 * the offsets user space found in this kernel's BTF.
 */
struct walk_buf {
        char buf[OPEN_PATH_MAX * 2];
        /* Where the path starts in buf. Kept here, not in a register: the verifier does not
         * follow map memory, so every iteration starts in the same state whichever way the
         * last one went, and it prunes them, rather than following each of 2^64 paths. */
        __u32 pos;
        __u32 arrived; /* the walk reached the root (same reason: not the loop counter) */
};

BPF_PERCPU_ARRAY(walk_scratch, struct walk_buf, 1);

struct where {
        void *dentry;
        void *mnt; /* struct vfsmount *, inside a struct mount */
};

static __always_inline void read_path(struct where *w, const void *path)
{
        w->dentry = read_ptr(path, KOFF_PATH_DENTRY);
        w->mnt = read_ptr(path, KOFF_PATH_MNT);
}

/*
 * Writes the path of at, as seen from root, into w->buf so that it ends just
 * before w->buf[OPEN_PATH_MAX], and returns where it starts. Names are
 * written right to left; every offset is masked so the verifier can see it
 * stays inside the buffer.
 */
/*
 * A dentry's parent and name (its length and where its bytes are): one read
 * where the fields are close together, as in every kernel so far, since each
 * read costs more than the rest of a step.
 */
struct step {
        void *parent;
        const char *name;
        __u32 len;
};

static __always_inline void read_step(void *dentry, struct step *st)
{
#if KOFF_DENTRY_NAME >= KOFF_DENTRY_PARENT + 8 && KOFF_DENTRY_NAME + 16 - KOFF_DENTRY_PARENT <= 40
        char span[40] __attribute__((aligned(8))) = {};

        bpf_probe_read_kernel(span, KOFF_DENTRY_NAME + 16 - KOFF_DENTRY_PARENT, (char *)dentry + KOFF_DENTRY_PARENT);
        st->parent = *(void **)span;
        st->len = *(__u32 *)(span + KOFF_DENTRY_NAME - KOFF_DENTRY_PARENT + KOFF_QSTR_LEN);
        st->name = *(const char **)(span + KOFF_DENTRY_NAME - KOFF_DENTRY_PARENT + KOFF_QSTR_NAME);
#else
        st->parent = read_ptr(dentry, KOFF_DENTRY_PARENT);
        st->len = 0;
        bpf_probe_read_kernel(&st->len, sizeof(st->len), (char *)dentry + KOFF_DENTRY_NAME + KOFF_QSTR_LEN);
        st->name = read_ptr(dentry, KOFF_DENTRY_NAME + KOFF_QSTR_NAME);
#endif
}

static __always_inline int walk_to_root(struct walk_buf *w, struct where at, const struct where *root, __u16 *flags)
{
        void *dentry = at.dentry, *vfsmnt = at.mnt;
        void *mount = (char *)vfsmnt - KOFF_MOUNT_MNT;
        void *mount_root = read_ptr(vfsmnt, KOFF_VFSMOUNT_ROOT);
        __u32 pos;
        int i;
#ifdef OPENSNOOPD_RENAME_LOCK
        __u32 seq_before = 0, seq_after = 0;

        bpf_probe_read_kernel(&seq_before, sizeof(seq_before), (void *)OPENSNOOPD_RENAME_LOCK);
#endif
        if (!read_ptr(dentry, KOFF_DENTRY_HASH_PPREV) && read_ptr(dentry, KOFF_DENTRY_PARENT) != dentry)
                *flags |= OPEN_EVENT_ABS_DELETED;
        w->pos = OPEN_PATH_MAX;
        w->arrived = 0;
        for (i = 0; i < OPEN_ABS_MAX_DEPTH; i++) {
                struct step st;
                __u32 len;

                if (dentry == root->dentry && vfsmnt == root->mnt) {
                        w->arrived = 1;
                        break;
                }
                if (dentry == mount_root) {
                        void *up = read_ptr(mount, KOFF_MOUNT_PARENT);

                        if (!up || up == mount) {
                                *flags |= OPEN_EVENT_ABS_UNREACHABLE;
                                w->arrived = 1;
                                break;
                        }
                        dentry = read_ptr(mount, KOFF_MOUNT_MOUNTPOINT);
                        mount = up;
                        vfsmnt = (char *)up + KOFF_MOUNT_MNT;
                        mount_root = read_ptr(vfsmnt, KOFF_VFSMOUNT_ROOT);
                        continue;
                }
                read_step(dentry, &st);
                if (!st.parent || st.parent == dentry) {
                        *flags |= OPEN_EVENT_ABS_UNREACHABLE;
                        w->arrived = 1;
                        break;
                }
                len = st.len;
                pos = w->pos;
                if (len > 255 || pos > OPEN_PATH_MAX || len + 1 > pos) {
                        *flags |= OPEN_EVENT_ABS_TOO_LONG;
                        return -1;
                }
                pos -= len + 1;
                bpf_probe_read_kernel(&w->buf[(pos + 1) & (OPEN_PATH_MAX - 1)], len & 255, st.name);
                w->buf[pos & (OPEN_PATH_MAX - 1)] = '/';
                w->pos = pos;
                dentry = st.parent;
        }
        if (!w->arrived) {
                *flags |= OPEN_EVENT_ABS_TOO_DEEP;
                return -1;
        }
#ifdef OPENSNOOPD_RENAME_LOCK
        bpf_probe_read_kernel(&seq_after, sizeof(seq_after), (void *)OPENSNOOPD_RENAME_LOCK);
        if ((seq_before & 1) || seq_before != seq_after)
                *flags |= OPEN_EVENT_ABS_RENAMED;
#endif
        pos = w->pos;
        if (pos >= OPEN_PATH_MAX) { /* the root itself */
                w->buf[OPEN_PATH_MAX - 1] = '/';
                return OPEN_PATH_MAX - 1;
        }
        return pos;
}

/* The file behind a new fd, from the task's fd table; 0 if it is not there (any more). */
static __always_inline int file_of_fd(void *task, long fd, struct where *at)
{
        void *fdt = read_ptr(read_ptr(task, KOFF_TASK_FILES), KOFF_FILES_FDT);
        __u32 max_fds = 0;
        void *file;

        bpf_probe_read_kernel(&max_fds, sizeof(max_fds), (char *)fdt + KOFF_FDT_MAX_FDS);
        if (fd < 0 || fd >= max_fds)
                return 0;
        file = read_ptr(read_ptr(fdt, KOFF_FDT_FD), fd * sizeof(void *));
        if (!file)
                return 0;
        read_path(at, (char *)file + KOFF_FILE_PATH);
        return at->dentry && at->mnt;
}

/*
 * exec: whether the last component of the name (e->path) is the name of the
 * file the process now runs (dentry). It is not for a #! script, whose
 * process runs its interpreter, nor for a name that is a symlink: the walk
 * of that file would then name another file than the name did, and is not
 * made. Compared 8 bytes a step over at most 255 bytes, in w->buf.
 */
static __always_inline int names_the_file(struct open_event *e, struct walk_buf *w, void *dentry)
{
        volatile __u16 *path_len = &e->path_len;
        struct step st;
        __u64 diff = 0;
        __u32 n, len;

        read_step(dentry, &st);
        n = st.len;
        len = *path_len;
        if (n == 0 || n > 255 || n > len)
                return 0;
        if (n < len && e->path[(len - n - 1) & (OPEN_PATH_MAX - 1)] != '/')
                return 0;
        asm volatile("" : "+r"(n)); /* keeps the mask below, which the checks above make a no-op to clang */
        bpf_probe_read_kernel(w->buf, n & 255, st.name);
#pragma clang loop unroll(disable)
        for (__u32 i = 0; i < 32; i++) {
                __u32 at = i * 8, left = (__u32)st.len - at;
                __u64 mask = ~0ULL;

                if (at >= (__u32)st.len)
                        break;
                if (left < 8)
                        mask = (1ULL << (left * 8)) - 1;
                diff |= (word_at(e->path, (__u32)*path_len - (__u32)st.len + at) ^ word_at(w->buf, at)) & mask;
        }
        return diff == 0;
}

/* The open made an fd that names the file opened (not exec's, nor io_uring's fixed slot or unreported one). */
static __always_inline int opened_fd(const struct open_event *e)
{
        return e->result >= 0 && !(e->event_flags & (OPEN_EVENT_NO_FD | OPEN_EVENT_RESULT_UNREPORTED));
}

/*
 * A relative open's absolute path, after the path's NUL in e->path: the
 * file's, if it was opened (by its new fd, or s->file: exec's); else its
 * directory's joined with the path as passed (a failure, or an io_uring open
 * whose file no fd names). Sets OPEN_EVENT_ABS when it is there.
 */
static __always_inline void add_abs_path(struct open_event *e, const struct stash *s, int exec)
{
        __s32 dirfd = s->dirfd;
        void *task = (void *)bpf_get_current_task();
        void *fs = read_ptr(task, KOFF_TASK_FS);
        struct where root, at;
        struct walk_buf *w;
        __u32 zero = 0, abs_len, start = e->path_len + 1;
        int pos;

        w = walk_scratch.lookup(&zero);
        if (!w || !fs)
                return;
        read_path(&root, (char *)fs + KOFF_FS_ROOT);
        if (s->file) {
                read_path(&at, (char *)s->file + KOFF_FILE_PATH);
                if (!at.dentry || !at.mnt || (exec && !names_the_file(e, w, at.dentry)))
                        return;
        } else if (opened_fd(e)) {
                if (!file_of_fd(task, e->result, &at)) {
                        e->event_flags |= OPEN_EVENT_ABS_NO_FILE;
                        return;
                }
        } else if (dirfd == AT_FDCWD) {
                read_path(&at, (char *)fs + KOFF_FS_PWD);
        } else if (!file_of_fd(task, dirfd, &at)) {
                e->event_flags |= OPEN_EVENT_ABS_NO_FILE;
                return;
        }
        pos = walk_to_root(w, at, &root, &e->event_flags);
        if (pos < 0 || pos >= OPEN_PATH_MAX)
                return;
        abs_len = OPEN_PATH_MAX - pos;
        if (!s->file && !opened_fd(e)) {
                /* the directory, a slash unless it is "/", the path as passed */
                __u32 tail = OPEN_PATH_MAX;

                if (abs_len > 1) {
                        w->buf[OPEN_PATH_MAX] = '/';
                        tail++;
                        abs_len++;
                }
                bpf_probe_read_kernel(&w->buf[tail], e->path_len & (OPEN_PATH_MAX - 1), e->path);
                abs_len += e->path_len;
        }
        if (start + abs_len + 1 > OPEN_PATH_MAX) {
                e->event_flags |= OPEN_EVENT_ABS_TOO_LONG;
                return;
        }
        /* clang 19 (Debian 13's libbcc) drops the masks below, which the check above makes no-ops to
         * it, and 6.12's verifier then sees an offset and a size of up to 64 KiB: keep them */
        asm volatile("" : "+r"(start), "+r"(abs_len));
        bpf_probe_read_kernel(&e->path[start & (OPEN_PATH_MAX - 1)], abs_len & (OPEN_PATH_MAX - 1),
                              &w->buf[pos & (OPEN_PATH_MAX - 1)]);
        e->path[(start + abs_len) & (OPEN_PATH_MAX * 2 - 1)] = '\0';
        e->abs_len = abs_len;
        e->event_flags |= OPEN_EVENT_ABS;
}
#endif

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

/*
 * The open has returned: finish the event from the stash, apply the late
 * filters, submit. who: the opener, if not the current task.
 */
static __always_inline int emit(void *ctx, const struct stash *s, long result, const struct who *who, int exec)
{
        __u32 zero = 0;
        struct filter_settings *cfg;
        struct scratch_event *scratch_event;
        struct open_event *e;
        long len;
        __u32 size;

        cfg = settings.lookup(&zero);
        scratch_event = scratch.lookup(&zero);
        if (!cfg || !scratch_event)
                return 0;
        e = &scratch_event->e;

        if ((cfg->active & FILTER_FAILED_ONLY) && result >= 0) {
                count(OPEN_STAT_FILTERED);
                return 0;
        }

        e->boot_ns = bpf_ktime_get_boot_ns();
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
                        return 0;
                }
        }
        e->abs_len = 0;
        e->interpreter = s->interpreter;
        e->kind = OPEN_RECORD_OPEN;
        __builtin_memset(e->reserved, 0, sizeof(e->reserved));

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

        size = OPEN_EVENT_HEADER_SIZE + (__u32)len;
        if (e->event_flags & OPEN_EVENT_ABS)
                size += e->abs_len + 1; /* add_abs_path() kept it within path[] */
        if (size > sizeof(*e))
                size = sizeof(*e);
        /* A bound the verifier can see (the clamp above is lost in a register copy); the empty asm
         * keeps the compiler from dropping it as a no-op, which it is: size <= sizeof(*e). */
        asm volatile("" : "+r"(size));
        size &= 2 * OPEN_PATH_MAX - 1;
        submit(ctx, e, size, OPEN_STAT_BUFFER_FULL);
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

#ifdef OPENSNOOPD_KPROBE
/*
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
#ifdef OPENSNOOPD_KPROBE_OPENAT2
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

#ifdef OPENSNOOPD_KPROBE_OPENAT2
int kprobe_open_entry(struct pt_regs *ctx, int dfd, const char __user *filename, struct open_how *how)
{
        struct open_how h = {};
        struct user_call c;

        bpf_probe_read_kernel(&h, sizeof(h), how);
        read_user_call(&c, h.flags);
        return on_entry(filename, c.flags, (__u32)h.mode, dfd, c.syscall, NULL);
}
#else
int kprobe_open_entry(struct pt_regs *ctx, int dfd, const char __user *filename, int flags, umode_t mode)
{
        struct user_call c;

        read_user_call(&c, (__u64)(__u32)flags);
        return on_entry(filename, c.flags, mode, dfd, c.syscall, NULL);
}
#endif

int kprobe_open_return(struct pt_regs *ctx)
{
        return on_return(ctx, PT_REGS_RC(ctx));
}

#if defined(OPENSNOOPD_KPROBE_BY_HANDLE) && defined(OPENSNOOPD_X86_64)
/*
 * open_by_handle_at(mount_fd, handle, flags), which no do_sys_open* call
 * serves, at its system call function: its one argument is the task's saved
 * user registers. A file handle, not a path: the walk names the file.
 */
int kprobe_by_handle_entry(struct pt_regs *ctx)
{
        const struct pt_regs *regs = (const struct pt_regs *)PT_REGS_PARM1(ctx);
        unsigned long dfd = 0, flags = 0;

        bpf_probe_read_kernel(&dfd, sizeof(dfd), &regs->di);
        bpf_probe_read_kernel(&flags, sizeof(flags), &regs->dx);
        return on_entry(NULL, (__u32)flags, 0, (__s32)dfd, OPEN_SYSCALL_OPEN_BY_HANDLE_AT, NULL);
}

int kprobe_by_handle_return(struct pt_regs *ctx)
{
        return on_return(ctx, PT_REGS_RC(ctx));
}
#endif

static __always_inline int on_exec_return(void *ctx, long result);

#if defined(OPENSNOOPD_KPROBE_EXECVE) && defined(OPENSNOOPD_X86_64)
/* execve(filename, argv, envp), at its system call function, for a failed exec: see on_exec_return() */
int kprobe_execve_entry(struct pt_regs *ctx)
{
        const struct pt_regs *regs = (const struct pt_regs *)PT_REGS_PARM1(ctx);
        unsigned long filename = 0;

        bpf_probe_read_kernel(&filename, sizeof(filename), &regs->di);
        return on_entry((const char *)filename, O_RDONLY, 0, AT_FDCWD, OPEN_SYSCALL_EXEC, NULL);
}
#endif

#if defined(OPENSNOOPD_KPROBE_EXECVEAT) && defined(OPENSNOOPD_X86_64)
/* execveat(dfd, filename, argv, envp, flags) */
int kprobe_execveat_entry(struct pt_regs *ctx)
{
        const struct pt_regs *regs = (const struct pt_regs *)PT_REGS_PARM1(ctx);
        unsigned long dfd = 0, filename = 0;

        bpf_probe_read_kernel(&dfd, sizeof(dfd), &regs->di);
        bpf_probe_read_kernel(&filename, sizeof(filename), &regs->si);
        return on_entry((const char *)filename, O_RDONLY, 0, (__s32)dfd, OPEN_SYSCALL_EXEC, NULL);
}
#endif

#if (defined(OPENSNOOPD_KPROBE_EXECVE) || defined(OPENSNOOPD_KPROBE_EXECVEAT)) && defined(OPENSNOOPD_X86_64)
/* both pairs' return: what exec's syscall tracepoints do in tracepoint mode */
int kprobe_exec_return(struct pt_regs *ctx)
{
        return on_exec_return(ctx, PT_REGS_RC(ctx));
}
#endif
#endif /* OPENSNOOPD_KPROBE */

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

#ifdef OPENSNOOPD_TP_EXEC
/*
 * The program file execve() opened, after the exec succeeded: the name is
 * the kernel's copy (bprm->filename) and the walk starts from the file the
 * process now runs (mm->exe_file). A failed exec is not seen here. The comm
 * is already the new program's.
 */
TRACEPOINT_PROBE(sched, sched_process_exec)
{
        __u32 zero = 0;
        struct filter_settings *cfg = settings.lookup(&zero);
        struct stash s = {};

        if (!cfg)
                return 0;
        s.flags = O_RDONLY;
        s.dirfd = AT_FDCWD;
        s.syscall = OPEN_SYSCALL_EXEC;
        s.event_flags = OPEN_EVENT_NO_FD;
        if (filter_opener(cfg, &s, NULL) != 0)
                return 0;
        s.path = (const char *)args + (args->data_loc_filename & 0xFFFF);
        s.path_in_kernel = 1;
#ifdef OPENSNOOPD_ABS_PATHS
        s.file = read_ptr(read_ptr((void *)bpf_get_current_task(), KOFF_TASK_MM), KOFF_MM_EXE_FILE);
#endif
        return emit(args, &s, 0, NULL, 1);
}

#ifdef OPENSNOOPD_EXEC_INTERPRETERS
/*
 * The interpreters a successful exec opened, which the kernel opens itself
 * (open_exec()), through no open system call, on its way to the
 * sched_process_exec tracepoint: read there, from its raw form, which
 * carries the exec's struct linux_binprm. By then the kernel has closed the
 * ELF interpreter's file and kept only its mapping, and a #! line's
 * interpreter is the file the process runs:
 *   - a #! line's (or binfmt_misc's): bprm->interp, the kernel's copy of the
 *     name it read, where it is not the name exec was given; the walk starts
 *     from bprm->file. Of nested #! lines, the last one's.
 *   - the ELF interpreter (PT_INTERP): the file mapped at AT_BASE, which the
 *     kernel wrote into mm->saved_auxv (0 for a static program), found by a
 *     walk down the process's tree of mappings; its name as the program
 *     wrote it is gone, the walk names the file. The process is the exec's
 *     alone by now (its other threads are gone) and no user code has run.
 * Every offset is from the running kernel's BTF.
 */
#define EXEC_AT_BASE    7  /* AT_BASE */
#define EXEC_AUXV_PAIRS 24 /* AT_BASE comes within the first ten on every architecture */
#define MAPLE_LEAF_64   1  /* enum maple_type: a leaf, its slots are the mappings */
#define MAPLE_RANGE_64  2  /* ... an inner node, 16 slots */
#define MAPLE_ARANGE_64 3  /* ... an inner node of an allocation tree (mm's), 10 slots */
#define MAPLE_MAX_DEPTH 8

struct exec_scratch {
        __u64 word[64]; /* saved_auxv's first pairs, or one maple node (256 bytes) */
};
BPF_PERCPU_ARRAY(exec_scratch, struct exec_scratch, 1);

static __always_inline __u64 exec_at_base(void *mm, struct exec_scratch *x)
{
        if (bpf_probe_read_kernel(x->word, EXEC_AUXV_PAIRS * 16, (char *)mm + KOFF_MM_SAVED_AUXV) != 0)
                return 0;
#pragma unroll
        for (int i = 0; i < EXEC_AUXV_PAIRS; i++) {
                if (x->word[2 * i] == 0) /* AT_NULL */
                        return 0;
                if (x->word[2 * i] == EXEC_AT_BASE)
                        return x->word[2 * i + 1];
        }
        return 0;
}

/*
 * The file mapped at addr in mm, down its maple tree as mtree_lookup() goes:
 * in each node, the first slot whose pivot (the last address it covers) is
 * at or past addr, the last used one (its pivot 0: the node's end) else.
 * The mapping found must hold addr, or there is none: NULL.
 */
static __always_inline void *exec_file_at(void *mm, __u64 addr, struct exec_scratch *x)
{
        unsigned long entry = (unsigned long)read_ptr(mm, KOFF_MM_MT + KOFF_MAPLE_TREE_ROOT);
        __u64 start = 0, end = 0;
        void *vma = NULL;

        if ((entry & 3) != 2 || entry <= 4096) /* not a node: an empty tree, or a single mapping at 0 */
                return NULL;
#pragma clang loop unroll(disable)
        for (int depth = 0; depth < MAPLE_MAX_DEPTH; depth++) {
                __u32 type = (entry >> 3) & 15, pivots, slots, pivot_at, slot_at, i;

                if (type == MAPLE_ARANGE_64) {
                        pivots = 9;
                        pivot_at = KOFF_MA64_PIVOT / 8;
                        slot_at = KOFF_MA64_SLOT / 8;
                } else if (type == MAPLE_RANGE_64 || type == MAPLE_LEAF_64) {
                        pivots = 15;
                        pivot_at = KOFF_MR64_PIVOT / 8;
                        slot_at = KOFF_MR64_SLOT / 8;
                } else {
                        return NULL;
                }
                if (bpf_probe_read_kernel(x->word, 256, (void *)(entry & ~255UL)) != 0)
                        return NULL;
                slots = pivots;
#pragma unroll
                for (i = 0; i < 15; i++) {
                        __u64 pivot = x->word[(pivot_at + i) & 31];

                        if (i < pivots && (pivot >= addr || pivot == 0)) {
                                slots = i;
                                break;
                        }
                }
                entry = x->word[(slot_at + slots) & 31];
                if (type == MAPLE_LEAF_64) {
                        vma = (void *)entry;
                        break;
                }
        }
        if (!vma)
                return NULL;
        bpf_probe_read_kernel(&start, sizeof(start), (char *)vma + KOFF_VMA_START);
        bpf_probe_read_kernel(&end, sizeof(end), (char *)vma + KOFF_VMA_END);
        if (addr < start || addr >= end)
                return NULL;
        return read_ptr(vma, KOFF_VMA_FILE);
}

/* One interpreter's record: path, the kernel's copy of its name (or NULL); file, what the walk starts from. */
static __always_inline void exec_interpreter(void *ctx, struct filter_settings *cfg, __u8 kind, const char *path,
                                             void *file)
{
        struct stash s = {};

        s.flags = O_RDONLY;
        s.dirfd = AT_FDCWD;
        s.syscall = OPEN_SYSCALL_EXEC;
        s.interpreter = kind;
        s.event_flags = OPEN_EVENT_NO_FD;
        if (filter_opener(cfg, &s, NULL) != 0)
                return;
        s.path = path;
        s.path_in_kernel = 1;
        s.file = file;
        emit(ctx, &s, 0, NULL, 0);
}

RAW_TRACEPOINT_PROBE(sched_process_exec)
{
        void *bprm = (void *)ctx->args[2]; /* TP_PROTO(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) */
        void *mm = read_ptr((void *)bpf_get_current_task(), KOFF_TASK_MM);
        const char *interp = read_ptr(bprm, KOFF_BPRM_INTERP);
        __u32 zero = 0;
        struct filter_settings *cfg = settings.lookup(&zero);
        struct exec_scratch *x = exec_scratch.lookup(&zero);
        __u64 base;

        if (!cfg || !x || !mm)
                return 0;
        if (interp && interp != read_ptr(bprm, KOFF_BPRM_FILENAME))
                exec_interpreter(ctx, cfg, OPEN_INTERPRETER_SCRIPT, interp, read_ptr(bprm, KOFF_BPRM_FILE));
        base = exec_at_base(mm, x);
        if (base)
                exec_interpreter(ctx, cfg, OPEN_INTERPRETER_ELF, NULL, exec_file_at(mm, base, x));
        return 0;
}
#endif
#endif

#ifdef OPENSNOOPD_IO_URING
/*
 * io_uring's opens run in the kernel without a system call of their own.
 * When a request is submitted (after its prep copied the name), the name,
 * flags and opener are kept under the request's address; when it completes,
 * the record is made with its result and the entry deleted.
 *
 * The table is shared by every user, and an open may stay in flight as long
 * as its ring lives (a FIFO with no writer): so no user holds more than
 * URING_SHARE_MAX of its entries (uring_shares counts them, by the
 * submitter's uid), and nothing pushes an entry out. A submission past its
 * user's share, or with the table full, is not kept: its open is recorded at
 * completion without its name (OPEN_EVENT_PATH_UNSEEN), never dropped.
 * An entry leaves at its request's completion, which io_uring posts for
 * every request, cancelled ones and those of a ring being closed included;
 * one whose completion was not seen (the kernel skipped our program, as it
 * counts in the program's misses) is replaced when its request's memory is
 * reused for another request, and holds only its own user's share meanwhile.
 */
struct uring_open {
        struct stash s;
        struct who who;
        char path[OPEN_PATH_MAX];
};

BPF_HASH(uring_opens, __u64, struct uring_open, OPENSNOOPD_IO_URING_ENTRIES);
BPF_PERCPU_ARRAY(uring_scratch, struct uring_open, 1);

/* uid -> entries of uring_opens it holds; URING_SHARE_CLOSED while the last one's is being deleted */
#define URING_SHARE_MAX    (OPENSNOOPD_IO_URING_ENTRIES * 3 / 4)
#define URING_SHARE_CLOSED (-1LL)
BPF_HASH(uring_shares, __u32, __s64, OPENSNOOPD_IO_URING_ENTRIES * 2);

/*
 * One more entry for uid: 0, or -1 past its share. Compare-and-swap (5.12+),
 * not a plain add: the count that reaches 0 is deleted, and an add racing
 * with that deletion would be lost, leaving an entry no count holds.
 */
static __always_inline int uring_share_take(__u32 uid)
{
#pragma clang loop unroll(disable)
        for (int i = 0; i < 4; i++) {
                __s64 *n = uring_shares.lookup(&uid), one = 1, old;

                if (!n) {
                        if (uring_shares.insert(&uid, &one) == 0)
                                return 0;
                        continue; /* another CPU made it first */
                }
                old = *n;
                if (old == URING_SHARE_CLOSED)
                        continue; /* its deletion is under way */
                if (old < 0 || old >= URING_SHARE_MAX)
                        return -1;
                if (__sync_val_compare_and_swap(n, old, old + 1) == old)
                        return 0;
        }
        return -1;
}

/* One entry of uid's less; the last one's count is closed, then deleted. */
static __always_inline void uring_share_give(__u32 uid)
{
#pragma clang loop unroll(disable)
        for (int i = 0; i < 4; i++) {
                __s64 *n = uring_shares.lookup(&uid), old;

                if (!n)
                        return;
                old = *n;
                if (old <= 0)
                        return;
                if (old == 1) {
                        if (__sync_val_compare_and_swap(n, 1, URING_SHARE_CLOSED) == 1) {
                                uring_shares.delete(&uid);
                                return;
                        }
                } else if (__sync_val_compare_and_swap(n, old, old - 1) == old) {
                        return;
                }
        }
}

/* Deletes the entry of key, if there is one, and gives its user's share back. */
static __always_inline void uring_forget(__u64 key, struct uring_open *u)
{
        __u32 uid = u->who.uid;

        if (uring_opens.delete(&key) == 0)
                uring_share_give(uid);
}

#define REQ_F_CQE_SKIP (1ULL << 6) /* IOSQE_CQE_SKIP_SUCCESS_BIT: req->flags mirrors the sqe's flags */

static __always_inline __u8 uring_syscall(__u8 opcode)
{
        if (opcode == OPENSNOOPD_IORING_OP_OPENAT)
                return OPEN_SYSCALL_IO_URING_OPENAT;
        if (opcode == OPENSNOOPD_IORING_OP_OPENAT2)
                return OPEN_SYSCALL_IO_URING_OPENAT2;
        return OPEN_SYSCALL_UNKNOWN;
}

#ifndef PF_IO_WORKER /* linux/sched.h has it in kprobe mode */
#define PF_IO_WORKER 0x10 /* task_struct.flags: one of io_uring's threads (io-wq's workers, SQPOLL's) */
#endif

/*
 * The opener of an io_uring request: the current task, except that the
 * threads io_uring runs requests on ("iou-wrk-PID", "iou-sqp-PID") are
 * named by their process's main thread, as the program the user ran.
 */
static __always_inline void who_uring(struct who *w)
{
        void *task = (void *)bpf_get_current_task();
        __u32 flags = 0;

        who_current(w);
        bpf_probe_read_kernel(&flags, sizeof(flags), (char *)task + KOFF_TASK_FLAGS);
        if (flags & PF_IO_WORKER)
                bpf_probe_read_kernel(&w->comm, sizeof(w->comm),
                                      (char *)read_ptr(task, KOFF_TASK_GROUP_LEADER) + KOFF_TASK_COMM);
}

/*
 * What a request says of its open, from its struct io_open (the request's
 * first bytes, its cmd data): still there at completion. -1: it is no open.
 */
static __always_inline int uring_request(const char *req, __u8 opcode, struct stash *s)
{
        struct {
                __u64 flags, mode, resolve;
        } how = {};
        __u32 file_slot = 0;

        s->syscall = uring_syscall(opcode);
        if (s->syscall == OPEN_SYSCALL_UNKNOWN)
                return -1;
        bpf_probe_read_kernel(&how, sizeof(how), req + KOFF_IO_OPEN_HOW);
        bpf_probe_read_kernel(&s->dirfd, sizeof(s->dirfd), req + KOFF_IO_OPEN_DFD);
        bpf_probe_read_kernel(&file_slot, sizeof(file_slot), req + KOFF_IO_OPEN_FILE_SLOT);
        s->flags = how.flags;
        s->mode = (__u32)how.mode;
        if (file_slot)
                s->event_flags |= OPEN_EVENT_NO_FD;
        return 0;
}

/* Keeps the request's open, with the kernel's copy of its name; the filters decide once, when it is recorded. */
static __always_inline int uring_submitted(void *ctx, void *req, __u8 opcode, __u64 req_flags)
{
        __u32 zero = 0;
        struct filter_settings *cfg = settings.lookup(&zero);
        struct uring_open *u = uring_scratch.lookup(&zero), *stale;
        __u64 key = (__u64)req;

        if (!cfg || !u)
                return 0;
        __builtin_memset(&u->s, 0, sizeof(u->s));
        if (uring_request(req, opcode, &u->s) != 0)
                return 0;
        who_uring(&u->who);
        if (bpf_probe_read_kernel_str(u->path, sizeof(u->path),
                                      read_ptr(read_ptr(req, KOFF_IO_OPEN_FILENAME), KOFF_FILENAME_NAME)) < 0)
                u->path[0] = '\0';
        u->s.path = u->path;
        u->s.path_in_kernel = 1;
        /* a request at this address whose completion went unseen: its entry is stale */
        stale = uring_opens.lookup(&key);
        if (stale)
                uring_forget(key, stale);
        if (req_flags & REQ_F_CQE_SKIP) {
                /* no completion comes for a success: record it now */
                u->s.event_flags |= OPEN_EVENT_RESULT_UNREPORTED;
                if (filter_opener(cfg, &u->s, &u->who) == 0)
                        emit(ctx, &u->s, 0, &u->who, 0);
                return 0;
        }
        /* past its user's share, or the table full: recorded at completion, unnamed */
        if (uring_share_take(u->who.uid) != 0)
                return 0;
        if (uring_opens.insert(&key, u) != 0)
                uring_share_give(u->who.uid);
        return 0;
}

static __always_inline int uring_completed(void *ctx, void *req, long result)
{
        __u64 key = (__u64)req;
        struct uring_open *u = uring_opens.lookup(&key);
        __u32 zero = 0;
        struct filter_settings *cfg = settings.lookup(&zero);
        struct stash s = {};
        struct who who;
        __u8 opcode = 0;

        if (!cfg)
                return 0;
        if (u) {
                u->s.path = u->path; /* the map value's own copy, wherever it was made */
                if (filter_opener(cfg, &u->s, &u->who) == 0)
                        emit(ctx, &u->s, result, &u->who, 0);
                uring_forget(key, u);
                return 0;
        }
        /* not seen at submission: is it an open at all? Its name is gone by now, not the rest */
        bpf_probe_read_kernel(&opcode, sizeof(opcode), (const char *)req + KOFF_IO_KIOCB_OPCODE);
        if (uring_request(req, opcode, &s) != 0)
                return 0;
        s.event_flags |= OPEN_EVENT_PATH_UNSEEN;
        who_uring(&who);
        if (filter_opener(cfg, &s, &who) != 0)
                return 0;
        return emit(ctx, &s, result, &who, 0);
}

/*
 * The fields are read at the offsets user space found in the tracepoints'
 * format files (TP_URING_*), not through TRACEPOINT_PROBE's generated struct:
 * the records differ between kernels (the submission's tracepoint was renamed
 * in 5.19, its flags grew from 32 to 64 bits), and one program serves them all.
 */
static __always_inline __u64 tp_field(void *ctx, int offset, int size)
{
        __u64 value = 0;

        bpf_probe_read_kernel(&value, size, (char *)ctx + offset);
        return value;
}

/* io_uring:io_uring_submit_req (5.19+) or io_uring_submit_sqe */
int io_uring_submitted(void *ctx)
{
        return uring_submitted(ctx, (void *)tp_field(ctx, TP_URING_SUBMIT_REQ, 8),
                               (__u8)tp_field(ctx, TP_URING_SUBMIT_OPCODE, 1), tp_field(ctx, TP_URING_SUBMIT_FLAGS, 4));
}

/* io_uring:io_uring_complete */
int io_uring_completed(void *ctx)
{
        return uring_completed(ctx, (void *)tp_field(ctx, TP_URING_COMPLETE_REQ, 8),
                               (int)tp_field(ctx, TP_URING_COMPLETE_RES, 4));
}
#endif

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
        submit(ctx, e, size, OPEN_STAT_CGROUP_FULL);
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
