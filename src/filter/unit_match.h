/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_UNIT_MATCH_H
#define OPENSNOOPD_UNIT_MATCH_H

#include <stdint.h>

#include "filter_maps.h"

/*
 * [Filter] Units= and ExcludeUnits= on one cgroup path (relative to the
 * cgroup2 mount, "/system.slice/nginx.service/worker"). Pure string work.
 *
 * A unit covers its own cgroup and every cgroup below it, so a slice covers
 * every unit in it: a unit name matches a path when it is one of the path's
 * components (systemd's escape, one leading '_', removed). This also covers
 * the units of a user manager ("app.service" in
 * "/user.slice/user-1000.slice/user@1000.service/app.slice/app.service").
 * When both lists name components of one path, the innermost one decides
 * (Units=system.slice with ExcludeUnits=cron.service records every system
 * service but cron), as the longest prefix does for PathPrefixes=. A path no
 * name matches is recorded unless Units= is set.
 */

/*
 * Whether name may be in Units=: 0; -EINVAL, not a unit name (a template
 * "foo@.service" is none either: its instances are); -EMEDIUMTYPE, a unit
 * type that has no cgroup of its own (.target, .timer, .path, .device,
 * .automount).
 */
int unit_name_check(const char *name);

/* FILTER_INCLUDE (record) or FILTER_EXCLUDE (drop) for path; NULL: an unknown path is recorded. */
uint8_t unit_match_verdict(const char *path, const struct str_list *units, const struct str_list *exclude_units);

#endif
