/* SPDX-License-Identifier: MIT */
#include "enrich.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_resolver.h"

struct enrich {
        struct cgroup_resolver *cgroups;
};

int enrich_new(struct enrich **ret)
{
        struct enrich *e = calloc(1, sizeof(*e));
        int r;

        if (!e)
                return -ENOMEM;
        r = cgroup_resolver_new(&e->cgroups);
        if (r < 0) {
                free(e);
                return r;
        }
        *ret = e;
        return 0;
}

struct enrich *enrich_free(struct enrich *e)
{
        if (!e)
                return NULL;
        cgroup_resolver_free(e->cgroups);
        free(e);
        return NULL;
}

int enrich_lookup(struct enrich *e, uint64_t cgroup_id, struct attribution *a)
{
        const char *path = NULL;
        int r;

        memset(a, 0, sizeof(*a));
        r = cgroup_resolver_lookup(e->cgroups, cgroup_id, &path);
        if (r < 0)
                return r;
        a->cgroup = path;
        /* a path that names no unit (the root, a hand-made cgroup) still has its path */
        (void)cgroup_names_from_path(path, &a->names);
        return 0;
}
