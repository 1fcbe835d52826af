/* SPDX-License-Identifier: MIT */
/*
 * The contract between the kernel side (opensnoop.bpf.c, compiled by libbcc
 * at run time) and user space: the record one open produces, the limits that
 * size it, the counters the kernel keeps, and the layout of the filter maps
 * user space fills. Nothing else belongs here.
 *
 * This file is embedded into the BPF source at build time, so it may only use
 * what both a kernel-header build and a glibc build have: <linux/types.h>.
 */
#ifndef OPENSNOOPD_OPENSNOOP_H
#define OPENSNOOPD_OPENSNOOP_H

#include <linux/types.h>

#define OPEN_COMM_LEN 16   /* TASK_COMM_LEN */
#define OPEN_PATH_MAX 4096 /* PATH_MAX, the kernel's own limit for a path */

/* Which system call the open came through. */
enum open_syscall {
        OPEN_SYSCALL_UNKNOWN = 0,
        OPEN_SYSCALL_OPEN = 1,
        OPEN_SYSCALL_OPENAT = 2,
        OPEN_SYSCALL_OPENAT2 = 3,
        OPEN_SYSCALL_CREAT = 4,
        OPEN_SYSCALL_OPEN_BY_HANDLE_AT = 5, /* no path: a file handle; OPEN_EVENT_ABS names the file */
        /* Opens no system call's probe sees (sched:sched_process_exec, io_uring's tracepoints): */
        OPEN_SYSCALL_EXEC = 6,             /* the program file execve()/execveat() opened: OPEN_EVENT_NO_FD */
        OPEN_SYSCALL_IO_URING_OPENAT = 7,  /* io_uring's IORING_OP_OPENAT */
        OPEN_SYSCALL_IO_URING_OPENAT2 = 8, /* io_uring's IORING_OP_OPENAT2 */
};

/*
 * What an exec opened besides its program file (OPEN_SYSCALL_EXEC), recorded
 * once the exec succeeded, from sched:sched_process_exec's raw tracepoint.
 */
enum open_interpreter {
        OPEN_INTERPRETER_NONE = 0,   /* the program file */
        OPEN_INTERPRETER_ELF = 1,    /* the ELF interpreter its PT_INTERP named: no path, the walk names it */
        OPEN_INTERPRETER_SCRIPT = 2, /* the interpreter a #! line (or binfmt_misc) named: path[] is that name */
};

/*
 * What a record is. Most are opens. The others tell user space a cgroup's
 * name while the cgroup exists (cgroup:cgroup_mkdir, cgroup:cgroup_rmdir on
 * the cgroup2 hierarchy), so that a cgroup removed before its opens' records
 * are written is still named on them: cgroup_id is the cgroup's, uid, gid,
 * pid, tid and comm its maker's, path[] its path below the cgroup2 root (as
 * the kernel's tracepoint has it: at most OPEN_CGROUP_PATH_MAX - 1 bytes, a
 * longer one cut), result 0, everything else zero. They travel the same
 * buffer as the opens: a cgroup's mkdir record is reserved in the ring buffer
 * before any open of a process in it, its rmdir record after all of them.
 */
enum open_record_kind {
        OPEN_RECORD_OPEN = 0,
        OPEN_RECORD_CGROUP_MKDIR = 1,
        OPEN_RECORD_CGROUP_RMDIR = 2,
        OPEN_RECORD_REPEATS = 3, /* repeats of an earlier open, counted in the kernel: see struct repeat_slot */
};

#define OPEN_CGROUP_PATH_MAX 1024 /* the kernel's TRACE_CGROUP_PATH_LEN */

/* Bits of open_event.event_flags. */
#define OPEN_EVENT_PATH_FAULT        0x1 /* the path could not be read from user memory */
#define OPEN_EVENT_PATH_TRUNCATED    0x2 /* the path filled the whole buffer */
#define OPEN_EVENT_NO_PATH           0x4 /* the call takes no path (open_by_handle_at), or it was not seen */
/* No fd: the kernel opened the file for itself (exec) or into io_uring's fixed file table; result 0 is success. */
#define OPEN_EVENT_NO_FD             0x8
/*
 * An io_uring open whose submission was not seen (it was submitted before
 * the daemon attached, or pushed out of the table of io_uring opens in
 * flight by newer ones): the result is known, the name is not (NO_PATH too).
 */
#define OPEN_EVENT_PATH_UNSEEN       0x10
/*
 * An io_uring open submitted with IOSQE_CQE_SKIP_SUCCESS, recorded when it
 * was submitted: io_uring reports no success then, only a failure, which is
 * recorded as an open of its own (with OPEN_EVENT_PATH_UNSEEN).
 */
#define OPEN_EVENT_RESULT_UNREPORTED 0x20
/*
 * A failed open's name comes from the caller's memory alone (no file was
 * opened to walk): it is read at the call's entry too, and the two readings
 * compared. CHANGED: they differ (another thread rewrote the name during the
 * call; path[] is what it said at return). UNCHECKED: no entry reading to
 * compare with (the page was not in memory at entry, or the thread moved to
 * another CPU, or another open on its CPU came between).
 */
#define OPEN_EVENT_PATH_CHANGED    0x40
#define OPEN_EVENT_PATH_UNCHECKED  0x8000
/* Units=/ExcludeUnits= are on and the kernel has no verdict for this cgroup yet: user space decides. */
#define OPEN_EVENT_UNIT_UNDECIDED    0x80
/*
 * The absolute path of a relative open (OPEN_ABS_PATH), built in the kernel
 * by walking dentries and mounts up to the task's root: of the file opened,
 * or, for a failed open, of the directory it was relative to, joined with
 * the path as passed. It follows the path's NUL in path[], abs_len bytes
 * and a NUL; both fit in OPEN_PATH_MAX or the absolute path is left out.
 * A successful open of an absolute path is walked too, and carries the
 * walked path only where it differs from the path as passed (a symlink,
 * "..", a name changed in memory during the call): the record names the file
 * opened from the kernel's own data, never from user memory alone.
 */
#define OPEN_EVENT_ABS               0x100  /* path[] holds the absolute path too */
#define OPEN_EVENT_ABS_DELETED       0x200  /* the file or directory was unlinked: the path is where it was */
#define OPEN_EVENT_ABS_TOO_DEEP      0x400  /* the walk stopped at OPEN_ABS_MAX_DEPTH steps: no OPEN_EVENT_ABS */
#define OPEN_EVENT_ABS_TOO_LONG      0x800  /* it would not fit: no OPEN_EVENT_ABS */
#define OPEN_EVENT_ABS_RENAMED       0x1000 /* a rename ran during the walk: the path may mix old and new names */
/* Not below the task's root (a detached mount): the path is from the top of what was reachable. */
#define OPEN_EVENT_ABS_UNREACHABLE   0x2000
/* The fd was gone from the table when the walk looked (another thread closed it): no OPEN_EVENT_ABS. */
#define OPEN_EVENT_ABS_NO_FILE       0x4000

#define OPEN_ABS_MAX_DEPTH 64 /* dentries and mount crossings the walk takes at most */

/*
 * One open, as the kernel side submits it. Only the first
 * OPEN_EVENT_HEADER_SIZE + path_len + 1 bytes cross the buffer: most
 * paths are short, and copying 4 KiB per event would cost more than the open.
 */
struct open_event {
        __u64 boot_ns;   /* CLOCK_BOOTTIME of the return from the open */
        __u64 cgroup_id; /* cgroup v2 id of the task */
        __u64 flags;     /* open flags as the program passed them */
        __s64 result;    /* the new fd, or -errno (from -4095, MAX_ERRNO, to -1) */
        __u32 pid;       /* tgid: what user space calls the pid */
        __u32 tid;
        __u32 uid;
        __u32 gid;
        __u32 mode;        /* creation mode, meaningful with O_CREAT or O_TMPFILE */
        __s32 dirfd;       /* directory fd for relative paths, AT_FDCWD (-100) for open() */
        __u16 path_len;    /* bytes of path[] before its NUL */
        __u16 abs_len;     /* with OPEN_EVENT_ABS: bytes of the absolute path after the path's NUL */
        __u16 event_flags; /* OPEN_EVENT_* */
        __u8 syscall;      /* enum open_syscall */
        __u8 interpreter;  /* OPEN_SYSCALL_EXEC: enum open_interpreter; else zero */
        __u8 kind;         /* enum open_record_kind */
        __u8 reserved;     /* zero */
        __u16 repeat_slot; /* 1 + the repeat slot this open made (its repeats follow), or 0; see below */
        __u32 repeat_gen;  /* ... and the slot's generation then */
        char comm[OPEN_COMM_LEN];
        char path[OPEN_PATH_MAX]; /* NUL-terminated; then the absolute path, see OPEN_EVENT_ABS */
};

#define OPEN_EVENT_HEADER_SIZE 88 /* offsetof(struct open_event, path) */

_Static_assert(sizeof(struct open_event) == OPEN_EVENT_HEADER_SIZE + OPEN_PATH_MAX,
               "open_event layout changed: update OPEN_EVENT_HEADER_SIZE");

/*
 * Repeats counted in the kernel. An open that is the same as one the kernel
 * side has just sent, as the fold would key it (the same process, user,
 * group, cgroup, command, name, flags, mode, system call and outcome) and,
 * for a successful open, the same file (dentry, mount and inode) seen from the
 * same root with no rename or mount change between, is only counted, in a
 * slot of the repeat_slots map: its record would say nothing new. Each CPU
 * has REPEAT_SLOTS_PER_CPU slots. The record of the open that made a slot
 * names it (repeat_slot, repeat_gen); its count reaches user space in a
 * record of kind OPEN_RECORD_REPEATS when another open takes the slot, or
 * when user space takes it from the map (mmap'd), whichever comes first.
 * An OPEN_RECORD_REPEATS record has the header only and an empty path:
 * repeat_slot and repeat_gen say whose repeats, result how many, flags when
 * the first of them was and boot_ns when the last was, pid and uid whose.
 *
 * state is the slot's generation << 32 | the repeats not yet taken; 0 for
 * an empty slot, REPEAT_BUSY while the kernel side rewrites it. Every change
 * of state is an atomic compare-and-exchange, by the kernel side and user
 * space alike: a repeat is counted once, into the generation whose key it
 * matched, or not at all (and then sent as an open of its own).
 */
#define REPEAT_SLOT_BITS 4
#define REPEAT_SLOTS_PER_CPU (1u << REPEAT_SLOT_BITS)
#define REPEAT_PATH_MAX      256 /* names longer (with their NUL) are not counted in the kernel */
#define REPEAT_BUSY          (1ull << 63)
#define REPEAT_COUNT_MAX     0x7fffffffu
#define REPEAT_GEN(state)    ((__u32)((state) >> 32) & 0x7fffffffu)
#define REPEAT_COUNT(state)  ((__u32)(state))

struct repeat_slot {
        __u64 state;
        __u64 first_ns, last_ns; /* boot_ns of the first repeat not yet taken, and of the latest */
        /* the key: only the kernel side reads what follows */
        __u64 cgroup_id;
        __u64 flags;
        __s64 outcome;  /* 0 (success), or the error */
        __u64 file[6];  /* a successful open's dentry, mount, inode and inode number, and the root's dentry and mount */
        __u32 seq[2];   /* the rename and mount seqlocks' sequences when they were seen */
        __u32 pid, uid, gid, mode;
        __u32 epoch;    /* filter_settings.repeats when the slot was made */
        __u32 next_gen; /* the last generation given out: they only grow */
        __u16 path_len;
        __u16 event_flags;
        __u8 syscall;
        __u8 pad[3];
        char comm[OPEN_COMM_LEN];
        char path[REPEAT_PATH_MAX * 2]; /* the name and its NUL; room for masked offsets */
};

/* Per-CPU counters in the "stats" map. */
enum open_stat {
        OPEN_STAT_FILTERED = 0,    /* opens dropped by the filter */
        OPEN_STAT_STASH_FULL = 1,  /* opens missed: too many in flight at once */
        OPEN_STAT_BUFFER_FULL = 2, /* opens missed: the ring or perf buffer had no room */
        OPEN_STAT_CGROUP_FULL = 3, /* cgroup records (not opens) the buffer had no room for */
        OPEN_STAT_MAX = 4,
};

/*
 * Kernel-side losses by user: lost_uids maps a uid to how many of its opens
 * the kernel could not record (OPEN_STAT_STASH_FULL, OPEN_STAT_BUFFER_FULL).
 * A user past the first LOST_UIDS_MAX is counted in the totals alone.
 */
#define LOST_UIDS_MAX 1024

/*
 * A fair share of the ring buffer for every user. ring_pos holds the bytes
 * the kernel side has put into the ring (RING_POS_PRODUCED) and the bytes
 * user space has read from it (RING_POS_CONSUMED, written after each read):
 * their difference bounds what is unread (user space's count lags, never
 * leads). Anyone may fill the ring up to its last 1/RING_RESERVE_PART; in
 * that reserve, each user may have 1/RING_SHARE_PART of the ring unread, so
 * that a flood, which fills the ring up to the reserve, leaves room for
 * every other user's opens. ring_reserve_use tracks each user's bytes in the
 * reserve, until user space has read past the user's last record there.
 */
#define RING_POS_PRODUCED 0
#define RING_POS_CONSUMED 1
#define RING_RESERVE_PART 4
#define RING_SHARE_PART   32
#define RING_RESERVE_USERS 4096
/* What one record of len bytes takes in the ring: its 8-byte header, rounded up to 8 (BPF_RINGBUF_HDR_SZ). */
#define RING_RECORD_BYTES(len) (((__u64)(len) + 8 + 7) & ~7ull)

struct ring_reserve_use {
        __u64 bytes; /* in the reserve, since user space last read past until */
        __u64 until; /* RING_POS_PRODUCED after this user's last record in the reserve */
};

/*
 * The in-kernel filter. Values live in maps, not in -D constants, so a reload
 * changes them without recompiling. The sizes bound what [Filter] may hold:
 * a list that does not fit is a configuration error where it is parsed.
 */
#define FILTER_MAX_PIDS       1024 /* PIDs= and ExcludePIDs= together */
#define FILTER_MAX_UIDS       1024 /* UIDs= and ExcludeUIDs= together */
#define FILTER_MAX_COMMS      256  /* Commands= and ExcludeCommands= together */
#define FILTER_MAX_PREFIXES   256  /* PathPrefixes= and ExcludePathPrefixes= together */
#define FILTER_PREFIX_MAX     255  /* bytes in a prefix, as the docs say; one more is an LPM trie's most, 256 */
#define FILTER_MAX_SELF_NOISE 4    /* prefixes in self_noise */

/* Units= and ExcludeUnits= together (matched in user space); cgroups with a cached verdict (an LRU). */
#define FILTER_MAX_UNITS   256
#define FILTER_MAX_CGROUPS 16384

/* Bits of filter_settings.active. */
#define FILTER_PIDS          0x01  /* only pids marked FILTER_INCLUDE */
#define FILTER_UIDS          0x02  /* only uids marked FILTER_INCLUDE */
#define FILTER_COMMS         0x04  /* only comms marked FILTER_INCLUDE */
#define FILTER_EXCLUDE_COMMS 0x08  /* filter_comms holds FILTER_EXCLUDE entries */
#define FILTER_PREFIXES      0x10  /* only paths whose longest prefix is FILTER_INCLUDE */
#define FILTER_ANY_PREFIX    0x20  /* filter_prefixes is not empty: look it up */
#define FILTER_FAILED_ONLY   0x40  /* only opens that failed */
#define FILTER_WRITE_ONLY    0x80  /* only opens that may write */
#define FILTER_EXCLUDE_PIDS  0x100 /* filter_pids holds FILTER_EXCLUDE entries */
#define FILTER_EXCLUDE_UIDS  0x200 /* filter_uids holds FILTER_EXCLUDE entries */
#define FILTER_UNITS         0x400 /* only cgroups whose filter_cgroups verdict is FILTER_INCLUDE */
#define FILTER_EXCLUDE_UNITS 0x800 /* ExcludeUnits= is set: filter_cgroups may say FILTER_EXCLUDE */

/* Values of filter_pids, filter_uids, filter_comms, filter_prefixes and filter_cgroups. */
#define FILTER_INCLUDE 1
#define FILTER_EXCLUDE 2

struct filter_settings {
        __u32 active;
        __u32 self_pid; /* the daemon's own opens are never traced */
        __u32 repeats;  /* nonzero: count repeats in the kernel; a slot made under another value is stale */
        __u32 pad;
};

/*
 * self_noise: paths under which the opens of journald (comm "systemd-journal")
 * and PID 1, both as root, are not traced, because the daemon's own writing
 * and notifying caused them: journald describing its client
 * (/proc/<daemon>/comm, cgroup, ...; /run/systemd/units/log-extra-fields:<unit>)
 * and PID 1 reading /proc/<daemon>/ on each notification. Same key as
 * filter_prefixes; values are FILTER_EXCLUDE.
 */

/*
 * filter_cgroups: cgroup id (bpf_get_current_cgroup_id()) -> the verdict of
 * Units= and ExcludeUnits= on that cgroup, written by user space once it has
 * resolved the cgroup's path (ids are never reused while the system runs, so
 * a verdict never goes stale). An id not in it goes to user space with
 * OPEN_EVENT_UNIT_UNDECIDED.
 */

struct filter_comm_key {
        char comm[OPEN_COMM_LEN];
};

struct filter_prefix_key {
        __u32 prefixlen; /* in bits, as BPF_MAP_TYPE_LPM_TRIE wants */
        __u8 data[FILTER_PREFIX_MAX + 1];
};

#endif
