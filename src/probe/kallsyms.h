/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_KALLSYMS_H
#define OPENSNOOPD_KALLSYMS_H

#include <stdbool.h>

/*
 * The kernel symbols the start looks at, from one read of /proc/kallsyms
 * (a few MB of text): the plan's (kernel_env_detect()) and the path walk's
 * (kernel_layout_load()) alike.
 */
struct kallsyms {
        int error;                 /* 0, or -errno: /proc/kallsyms could not be read, and nothing was found */
        bool do_sys_openat2;       /* 5.6+ */
        bool do_sys_open;          /* before */
        unsigned routes;           /* ROUTE_BITs whose kprobe symbol is listed (routes.def; x86-64 only) */
        unsigned long rename_lock; /* its address; 0: not listed (data symbols need CONFIG_KALLSYMS_ALL) */
        unsigned long mount_lock;  /* the same */
};

/* Fills k; k->error says whether the file could be read. */
void kallsyms_read(struct kallsyms *k);

/* One line of /proc/kallsyms ("ffffffff8123 T do_sys_openat2\t[module]") into k. */
void kallsyms_note_line(struct kallsyms *k, const char *line);

#endif
