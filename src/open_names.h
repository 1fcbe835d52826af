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

/* "ENOENT", or "E<n>" for a number the C library has no name for. */
const char *open_errno_name(int err, char buf[static 16]);

/* "open", "openat", "openat2", or "unknown". */
const char *open_syscall_name(unsigned syscall);

#endif
