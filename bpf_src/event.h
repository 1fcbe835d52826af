/* SPDX-License-Identifier: MIT */
/*
 * The contract between the kernel side (opensnoop.bpf.c, compiled by libbcc
 * at run time) and user space (src/event.c): the record one open produces,
 * and the limits that size it.
 *
 * This file is embedded into the BPF source at build time, so it may only use
 * what both a kernel-header build and a glibc build have: <linux/types.h>.
 */
#ifndef OPENSNOOPD_EVENT_H
#define OPENSNOOPD_EVENT_H

#include <linux/types.h>

#define OPEN_COMM_LEN 16   /* TASK_COMM_LEN */
#define OPEN_PATH_MAX 4096 /* PATH_MAX, the kernel's own limit for a path */

/* Which system call the open came through. */
enum open_syscall {
        OPEN_SYSCALL_UNKNOWN = 0,
        OPEN_SYSCALL_OPEN = 1,
        OPEN_SYSCALL_OPENAT = 2,
        OPEN_SYSCALL_OPENAT2 = 3,
};

/* Bits of open_event.event_flags. */
#define OPEN_EVENT_PATH_FAULT 0x1     /* the path could not be read from user memory */
#define OPEN_EVENT_PATH_TRUNCATED 0x2 /* the path filled the whole buffer */

/*
 * One open, as the kernel side submits it. Only the first
 * OPEN_EVENT_HEADER_SIZE + path_len + 1 bytes cross the perf buffer: most
 * paths are short, and copying 4 KiB per event would cost more than the open.
 */
struct open_event {
        __u64 boot_ns;   /* CLOCK_BOOTTIME of the return from the open */
        __u64 cgroup_id; /* cgroup v2 id of the task */
        __u64 flags;     /* open flags as requested (O_LARGEFILE added by the kernel removed) */
        __s64 result;    /* the new fd, or -errno (from -4095, MAX_ERRNO, to -1) */
        __u32 pid;       /* tgid: what user space calls the pid */
        __u32 tid;
        __u32 uid;
        __u32 gid;
        __u32 mode;   /* creation mode, meaningful with O_CREAT or O_TMPFILE */
        __s32 dirfd;  /* directory fd for relative paths, AT_FDCWD (-100) for open() */
        __u16 path_len; /* bytes of path[] before its NUL */
        __u8 syscall;   /* enum open_syscall */
        __u8 event_flags;
        __u32 reserved; /* zero; keeps path[] 8-byte aligned */
        char comm[OPEN_COMM_LEN];
        char path[OPEN_PATH_MAX]; /* NUL-terminated */
};

#define OPEN_EVENT_HEADER_SIZE 80 /* offsetof(struct open_event, path) */

_Static_assert(sizeof(struct open_event) == OPEN_EVENT_HEADER_SIZE + OPEN_PATH_MAX,
               "open_event layout changed: update OPEN_EVENT_HEADER_SIZE");

#endif
