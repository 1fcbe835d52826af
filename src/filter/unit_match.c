/* SPDX-License-Identifier: MIT */
#include "unit_match.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "cgroup_names.h"

int unit_name_check(const char *name)
{
        /* the unit types with a cgroup of their own (systemd's units with a CGroupContext) */
        static const char *const with_cgroup[] = { ".service", ".scope", ".slice", ".socket", ".mount", ".swap" };
        size_t len = strlen(name);

        if (!cgroup_unit_name_valid(name))
                return -EINVAL;
        for (size_t i = 0; i < sizeof(with_cgroup) / sizeof(with_cgroup[0]); i++) {
                size_t l = strlen(with_cgroup[i]);

                if (len > l && strcmp(name + len - l, with_cgroup[i]) == 0)
                        return 0;
        }
        return -EMEDIUMTYPE;
}

static bool listed(const struct str_list *l, const char *p, size_t n)
{
        for (size_t i = 0; i < l->n; i++)
                if (strlen(l->v[i]) == n && memcmp(l->v[i], p, n) == 0)
                        return true;
        return false;
}

uint8_t unit_match_verdict(const char *path, const struct str_list *units, const struct str_list *exclude_units)
{
        uint8_t verdict = units->n ? FILTER_EXCLUDE : FILTER_INCLUDE;

        if (!path)
                return FILTER_INCLUDE;
        while (*path) {
                size_t n;

                path += strspn(path, "/");
                n = strcspn(path, "/");
                if (n > 1 && path[0] == '_') {
                        /* systemd's cg_escape(): "_cpu.service" is cpu.service */
                        path++;
                        n--;
                }
                /* the innermost match decides: later components overwrite earlier ones */
                if (listed(units, path, n))
                        verdict = FILTER_INCLUDE;
                else if (listed(exclude_units, path, n))
                        verdict = FILTER_EXCLUDE;
                path += n;
        }
        return verdict;
}
