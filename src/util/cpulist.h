/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_CPULIST_H
#define OPENSNOOPD_CPULIST_H

#include <stddef.h>

/*
 * Parses a kernel CPU list ("0-3,8,10-11\n", as in
 * /sys/devices/system/cpu/online) into ascending CPU numbers. Returns how
 * many there are (at most max are stored; cpus may be NULL to count), or
 * -EINVAL.
 */
int cpulist_parse(const char *text, int *cpus, size_t max);

/* Reads and parses such a file into a new array (*cpus, freed by the caller). Returns the count. */
int cpulist_read(const char *path, int **cpus);

#endif
