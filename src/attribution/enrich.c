/* SPDX-License-Identifier: MIT */
#include "enrich.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_resolver.h"
#include "cgroup_scan.h"
#include "cgroup_table.h"
#include "opensnoop.h"

struct enrich {
        struct cgroup_table *names;     /* learned at mkdir and by the scan: first */
        struct cgroup_resolver *cgroups; /* asked of the kernel: for the rest */
};

int enrich_new(struct enrich **ret)
{
        static const struct cgroup_table_limits limits = {
                .entries = { CGROUP_TABLE_SYSTEM_ENTRIES, CGROUP_TABLE_DELEGATED_ENTRIES },
                .bytes = { CGROUP_TABLE_SYSTEM_BYTES, CGROUP_TABLE_DELEGATED_BYTES },
        };
        struct enrich *e = calloc(1, sizeof(*e));
        int r;

        if (!e)
                return -ENOMEM;
        r = cgroup_resolver_new(&e->cgroups);
        if (r == 0)
                r = cgroup_table_new(&limits, &e->names);
        if (r < 0) {
                enrich_free(e);
                return r;
        }
        *ret = e;
        return 0;
}

struct enrich *enrich_free(struct enrich *e)
{
        if (!e)
                return NULL;
        cgroup_table_free(e->names);
        cgroup_resolver_free(e->cgroups);
        free(e);
        return NULL;
}

/* Root's cgroups (PID 1's units) are counted apart from what users make in their delegated subtrees. */
static enum cgroup_pool pool_of(uid_t maker)
{
        return maker == 0 ? CGROUP_POOL_SYSTEM : CGROUP_POOL_DELEGATED;
}

int enrich_lookup(struct enrich *e, uint64_t cgroup_id, struct attribution *a)
{
        const char *path;
        int r;

        memset(a, 0, sizeof(*a));
        path = cgroup_table_lookup(e->names, cgroup_id);
        if (!path) {
                r = cgroup_resolver_lookup(e->cgroups, cgroup_id, &path);
                if (r < 0)
                        return r;
        }
        a->cgroup = path;
        /* a path that names no unit (the root, a hand-made cgroup) still has its path */
        (void)cgroup_names_from_path(path, &a->names);
        return 0;
}

int enrich_learn(struct enrich *e, const struct open_event *rec, uint64_t mark)
{
        if (rec->kind == OPEN_RECORD_CGROUP_RMDIR) {
                cgroup_table_remove(e->names, rec->cgroup_id, mark, rec->boot_ns + ENRICH_REMOVED_GRACE_NS);
                return 0;
        }
        /* the tracepoint's buffer cut it: a wrong name is worse than none (the kernel is asked instead) */
        if (rec->path_len >= OPEN_CGROUP_PATH_MAX - 1 || rec->path[0] != '/')
                return -ENAMETOOLONG;
        return cgroup_table_add(e->names, rec->cgroup_id, rec->path, rec->path_len, pool_of(rec->uid));
}

void enrich_release(struct enrich *e, uint64_t mark, uint64_t boot_ns)
{
        cgroup_table_release(e->names, mark, boot_ns);
}

static int scan_visit(void *cookie, uint64_t id, const char *path, size_t len, uid_t owner)
{
        struct enrich *e = cookie;
        int r = cgroup_table_add(e->names, id, path, len, pool_of(owner));

        /* a full pool is counted by the table; the walk goes on for the other pool */
        return r == -ENOSPC ? 0 : r;
}

int enrich_scan(struct enrich *e)
{
        int fd = open(cgroup_resolver_mount(e->cgroups), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (fd < 0)
                return -errno;
        r = cgroup_scan(fd, scan_visit, e);
        close(fd);
        return r;
}
