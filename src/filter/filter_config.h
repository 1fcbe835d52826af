/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_FILTER_CONFIG_H
#define OPENSNOOPD_FILTER_CONFIG_H

/* What [Filter] says, as the configuration holds it; filter_maps.h turns it into the kernel's maps. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lists.h"

/* [Filter] Access=. */
enum access_filter { ACCESS_ANY, ACCESS_WRITE };

/* "any", "write", indexed by the enum; NULL-terminated. */
extern const char *const access_filter_names[];

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

#endif
