/* SPDX-License-Identifier: MIT */
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

