/* SPDX-License-Identifier: MIT */
/*
 * The in-kernel filter: the layout of the maps user space fills from
 * [Filter] and the kernel side reads on every open. Values live in maps, not
 * in -D constants, so a reload changes them without recompiling.
 */
#ifndef OPENSNOOPD_FILTER_H
#define OPENSNOOPD_FILTER_H

#include <linux/types.h>

/* Upper bounds of the filter maps; larger lists are configuration errors. */
#define FILTER_MAX_PIDS 1024
#define FILTER_MAX_UIDS 1024
#define FILTER_MAX_COMMS 256
#define FILTER_MAX_PREFIXES 256
#define FILTER_PREFIX_MAX 255 /* bytes; an LPM trie key holds at most 256 */

/* Bits of filter_settings.active. */
#define FILTER_PIDS 0x01          /* only pids in filter_pids */
#define FILTER_UIDS 0x02          /* only uids in filter_uids */
#define FILTER_COMMS 0x04         /* only comms marked FILTER_INCLUDE */
#define FILTER_EXCLUDE_COMMS 0x08 /* filter_comms holds FILTER_EXCLUDE entries */
#define FILTER_PREFIXES 0x10      /* only paths whose longest prefix is FILTER_INCLUDE */
#define FILTER_ANY_PREFIX 0x20    /* filter_prefixes is not empty: look it up */
#define FILTER_FAILED_ONLY 0x40   /* only opens that failed */
#define FILTER_WRITE_ONLY 0x80    /* only opens that may write */

/* Values of filter_comms and filter_prefixes. */
#define FILTER_INCLUDE 1
#define FILTER_EXCLUDE 2

struct filter_settings {
        __u32 active;
        __u32 self_pid; /* the daemon's own opens are never traced */
};

struct filter_comm_key {
        char comm[16];
};

struct filter_prefix_key {
        __u32 prefixlen; /* in bits, as BPF_MAP_TYPE_LPM_TRIE wants */
        __u8 data[FILTER_PREFIX_MAX + 1];
};

/* Per-CPU counters in the "stats" map. */
enum open_stat {
        OPEN_STAT_FILTERED = 0,  /* opens dropped by the filter */
        OPEN_STAT_STASH_FULL = 1, /* opens missed: too many in flight at once */
        OPEN_STAT_MAX = 2,
};

#endif
