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

/* Lists of words: free every word (the list is then empty), compare, copy (0 or -ENOMEM). */
void str_list_clear(struct str_list *l);
bool str_list_equal(const struct str_list *a, const struct str_list *b);
int str_list_copy(const struct str_list *from, struct str_list *to);

/* The [Filter] section of the configuration, as parsed (config.c owns its memory). */
struct filter_config {
        struct id_list pids, exclude_pids;
        struct id_list uids, exclude_uids;
        struct str_list commands, exclude_commands;
        struct str_list path_prefixes, exclude_path_prefixes;
        struct str_list units, exclude_units; /* decided by unit_filter.c, cached in filter_cgroups */
        bool failed_only;
        enum access_filter access;
};

/* Who the daemon is, for the filters that keep it out of its own record. */
struct filter_self {
        uint32_t pid;     /* as the kernel's root PID namespace numbers it */
        const char *unit; /* its systemd unit ("opensnoopd.service"), or NULL */
};

/*
 * [Filter] translated into the contents of the kernel's filter maps: what
 * probe_set_filter() writes into settings, filter_pids, filter_uids,
 * filter_comms, filter_prefixes and self_noise. Each list holds every value
 * of its include and exclude keys, with a verdict each.
 */
struct filter_maps {
        struct filter_settings settings;
        uint32_t *pids;
        uint8_t *pid_verdicts;
        size_t npids;
        uint32_t *uids;
        uint8_t *uid_verdicts;
        size_t nuids;
        struct filter_comm_key *comms;
        uint8_t *comm_verdicts;
        size_t ncomms;
        struct filter_prefix_key *prefixes;
        uint8_t *prefix_verdicts;
        size_t nprefixes;
        struct filter_prefix_key self_noise[FILTER_MAX_SELF_NOISE];
        uint8_t self_noise_verdicts[FILTER_MAX_SELF_NOISE];
        size_t nself_noise;
};

int filter_maps_build(const struct filter_config *c, const struct filter_self *self, struct filter_maps *maps);
void filter_maps_done(struct filter_maps *maps);

#endif
