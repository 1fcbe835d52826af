/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_FILTER_MAPS_H
#define OPENSNOOPD_FILTER_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opensnoop.h"

/* [Filter] Access=. */
enum access_filter { ACCESS_ANY, ACCESS_WRITE };

/* "any", "write", indexed by the enum; NULL-terminated. */
extern const char *const access_filter_names[];

struct id_list {
        uint32_t *v;
        size_t n;
};

struct str_list {
        char **v;
        size_t n;
};

/* The [Filter] section of the configuration, as parsed (config.c owns its memory). */
struct filter_config {
        struct id_list pids, uids;
        struct str_list commands, exclude_commands;
        struct str_list path_prefixes, exclude_path_prefixes;
        bool failed_only;
        enum access_filter access;
};

/*
 * [Filter] translated into the contents of the kernel's filter maps: what
 * probe_set_filter() writes into settings, filter_pids, filter_uids,
 * filter_comms and filter_prefixes.
 */
struct filter_maps {
        struct filter_settings settings;
        uint32_t *pids;
        size_t npids;
        uint32_t *uids;
        size_t nuids;
        struct filter_comm_key *comms;
        uint8_t *comm_verdicts;
        size_t ncomms;
        struct filter_prefix_key *prefixes;
        uint8_t *prefix_verdicts;
        size_t nprefixes;
};

/* self_pid: the daemon (its pid as the kernel's root namespace sees it), whose own opens are never traced. */
int filter_maps_build(const struct filter_config *c, uint32_t self_pid, struct filter_maps *maps);
void filter_maps_done(struct filter_maps *maps);

#endif
