/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_FILTER_MAPS_H
#define OPENSNOOPD_FILTER_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter_config.h"
#include "opensnoop.h"

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
