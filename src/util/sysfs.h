/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_SYSFS_H
#define OPENSNOOPD_SYSFS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The small files of sysfs, tracefs and procfs that hold one value ("42\n",
 * "config:62\n", "0-3\n"): one read each.
 */

/* Reads the file into buf (NUL-terminated, cut to size - 1 bytes). 0, or -errno (-EIO: empty). */
int sysfs_read(const char *path, char *buf, size_t size);

/* A file that holds one decimal number (a tracepoint's id, a PMU's type). 0, -errno, or -EINVAL. */
int sysfs_read_u64(const char *path, uint64_t *v);

#endif
