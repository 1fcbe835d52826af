/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_OPEN_NAMES_H
#define OPENSNOOPD_OPEN_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* Longest text open_flags_text() can produce, with its NUL. */
#define OPEN_FLAGS_TEXT_MAX 256

/*
 * "O_WRONLY|O_CREAT|O_TRUNC". Bits with no name are shown as one hex number at
 * the end ("O_RDONLY|0x40000000"), so nothing the kernel saw is hidden.
 * Returns the length written, always less than size; size must be at least
 * OPEN_FLAGS_TEXT_MAX.
 */
size_t open_flags_text(uint64_t flags, char *buf, size_t size);

/* True when the flags make the kernel use the mode argument. */
int open_flags_use_mode(uint64_t flags);

/*
 * "ENOENT", "ERESTARTSYS", or "E<n>" for a number nobody has a name for.
 * 512-516 are the kernel's own: they never reach a program (see
 * open_result_interrupted()), and the C library does not name them.
 */
const char *open_errno_name(int err, char buf[static 16]);

/*
 * True for -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ENOIOCTLCMD and
 * -ERESTART_RESTARTBLOCK (-512 to -516): a signal interrupted the open, and
 * after the tracepoint or kretprobe saw this result the kernel either
 * restarted the call (its own record follows) or turned it into EINTR.
 */
int open_result_interrupted(int64_t result);

/* "open", "openat", "openat2", or "unknown". */
const char *open_syscall_name(unsigned syscall);

#endif
