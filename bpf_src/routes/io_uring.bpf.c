/* SPDX-License-Identifier: MIT */
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

