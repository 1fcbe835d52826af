/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any bytes as a cgroup path. cgroup_names_from_path() must
 * accept or refuse it without reading past it, and whatever it names must come
 * from the path: each unit a component of it (less systemd's one escaping
 * underscore), the container id 64 lower-case hex digits found in it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_names.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* A whole component of path, or one with a leading '_' dropped. */
static int is_component(const char *path, const char *name)
{
        size_t n = strlen(name);

        for (const char *p = path; (p = strstr(p, name)); p++) {
                const char *start = p > path && p[-1] == '_' ? p - 1 : p;

                if ((start == path || start[-1] == '/') && (p[n] == '/' || p[n] == '\0'))
                        return 1;
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
        struct cgroup_names names;
        char *path = malloc(size + 1);
        int r;

        if (!path)
                return 0;
        memcpy(path, data, size);
        path[size] = '\0'; /* a C string: stops at the first NUL */
        r = cgroup_names_from_path(path, &names);
        if (r != 0 && r != -EINVAL)
                abort();
        if (r == -EINVAL && (names.unit[0] || names.user_unit[0] || names.container_id[0]))
                abort();
        if (names.unit[0] && !is_component(path, names.unit))
                abort();
        if (names.user_unit[0] && !is_component(path, names.user_unit))
                abort();
        if (names.user_unit[0] && !names.unit[0])
                abort(); /* a user manager or session is itself a unit */
        if (names.container_id[0]) {
                if (strlen(names.container_id) != CGROUP_CONTAINER_ID_LEN ||
                    strspn(names.container_id, "0123456789abcdef") != CGROUP_CONTAINER_ID_LEN ||
                    !strstr(path, names.container_id))
                        abort();
        }
        free(path);
        return 0;
}
