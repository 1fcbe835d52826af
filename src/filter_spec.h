/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_FILTER_SPEC_H
#define OPENSNOOPD_FILTER_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "../bpf_src/filter.h"
#include "config.h"

/* [Filter] translated into the contents of the kernel's filter maps. */
struct filter_spec {
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

/* self_pid: the daemon, whose own opens are never traced. */
int filter_spec_build(const struct config *c, uint32_t self_pid, struct filter_spec *spec);
void filter_spec_done(struct filter_spec *spec);

#endif
