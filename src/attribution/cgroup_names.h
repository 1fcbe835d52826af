/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_CGROUP_NAMES_H
#define OPENSNOOPD_CGROUP_NAMES_H

#include <stdbool.h>

/*
 * Who made an open, read from the path of its cgroup v2 (relative to the
 * cgroup2 root, "/system.slice/nginx.service"): the unit of the system
 * manager, the unit inside a user manager, and a container id. Pure string
 * work: no allocation, no file system, no logging.
 *
 * The units are decided the way systemd itself decides them for
 * _SYSTEMD_UNIT= and _SYSTEMD_USER_UNIT= (cg_path_get_unit() and
 * cg_path_get_user_unit() in systemd's cgroup-util.c), so OPEN_UNIT= matches
 * what journalctl and systemctl call the unit:
 *   - unit: skip the leading slices ("x.slice" components); the next
 *     component is the unit if it is a valid unit name that is not a slice
 *     (any unit type: .service, .scope, and the .socket/.mount/.swap units that
 *     run processes too). Anything below it is the unit's own (delegated)
 *     business: "/system.slice/foo.service/sub/bar.service" is foo.service,
 *     and everything under user@1000.service is user@1000.service.
 *   - user unit: below the slices, a "user@UID.service" or "session-ID.scope"
 *     component, then the same rule again (skip slices, take the next unit).
 *   - a cgroup name starting with '_' is systemd's escape for a name that
 *     would clash with a kernel file ("_cpu.service" is cpu.service); that one
 *     underscore is dropped, as systemd does. Other characters are taken as
 *     they appear ("\x2d" stays: it is part of the unit's name).
 * The container id is the innermost component that names one:
 *   - "<runtime>-<64 hex>.scope" for runtime docker, cri-containerd, crio and
 *     libpod (systemd cgroup driver; "crio-conmon-<id>.scope" is conmon, not
 *     the container, and gives none);
 *   - cgroupfs drivers: "<64 hex>" directly below a "docker" component
 *     ("/docker/<id>"); "<64 hex>" or "crio-<64 hex>" directly below a "pod…"
 *     component under a "kubepods" component ("/kubepods/burstable/pod<uid>/<id>");
 *     "libpod-<64 hex>" directly below "libpod_parent" (podman).
 * Hex is lower case, exactly 64 digits, as the runtimes write it.
 */

/* systemd's UNIT_NAME_MAX: a unit name is at most 255 bytes. */
#define CGROUP_UNIT_NAME_MAX    256
#define CGROUP_CONTAINER_ID_LEN 64

struct cgroup_names {
        char unit[CGROUP_UNIT_NAME_MAX];                /* "" when there is none */
        char user_unit[CGROUP_UNIT_NAME_MAX];           /* "" when there is none */
        char container_id[CGROUP_CONTAINER_ID_LEN + 1]; /* "" when there is none */
};

/*
 * Fills *ret from path. Returns 0 (any of the three may be empty, e.g. for
 * "/"), or -EINVAL, with all three empty, when path is NULL, does not start
 * with '/', or has a "." or ".." component: the kernel never produces such a
 * cgroup path, so it is not one.
 */
int cgroup_names_from_path(const char *path, struct cgroup_names *ret);

/* systemd's unit_name_is_valid() for a plain or instance name ("foo.service", "foo@bar.service"). */
bool cgroup_unit_name_valid(const char *name);

#endif
