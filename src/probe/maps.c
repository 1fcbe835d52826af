/* SPDX-License-Identifier: MIT */
/* The filter maps, kept in step with the configuration; the cgroup verdicts Units= caches. */
#include <bpf/bpf.h>
#include <stdlib.h>

#include "probe-internal.h"

static bool in_keys(const void *keys, size_t key_size, size_t n, const void *key)
{
        for (size_t i = 0; i < n; i++)
                if (memcmp((const char *)keys + i * key_size, key, key_size) == 0)
                        return true;
        return false;
}

/*
 * Deletes the entries whose keys are not in keys[]. The keys are collected
 * first: deleting while walking would restart the walk after every delete.
 */
static int sync_map_prune(struct probe *p, const char *name, const void *keys, size_t key_size, size_t n,
                          size_t max_entries)
{
        char *found = calloc(max_entries + 1, key_size);
        size_t nfound = 0;
        int fd = table_fd(p, name), r = 0;

        if (fd < 0 || !found) {
                free(found);
                return fd < 0 ? -ENOENT : -ENOMEM;
        }
        if (bpf_map_get_next_key(fd, NULL, found) == 0) {
                nfound = 1;
                while (nfound <= max_entries &&
                       bpf_map_get_next_key(fd, found + (nfound - 1) * key_size, found + nfound * key_size) == 0)
                        nfound++;
        }
        for (size_t i = 0; i < nfound; i++) {
                const char *key = found + i * key_size;

                if (!in_keys(keys, key_size, n, key) && bpf_map_delete_elem(fd, key) < 0 && errno != ENOENT) {
                        r = -errno;
                        set_error(p, "pruning map %s", name);
                }
        }
        free(found);
        return r;
}

static int update_all(int fd, const void *keys, size_t key_size, const uint8_t *verdicts, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const void *key = (const char *)keys + i * key_size;

                if (bpf_map_update_elem(fd, key, &verdicts[i], BPF_ANY) < 0)
                        return -errno;
        }
        return 0;
}

/* Puts every key of keys[] in the map; a map too full for them loses its stale entries first. */
static int sync_map_add(struct probe *p, const char *name, const void *keys, size_t key_size, const uint8_t *verdicts,
                        size_t n, size_t max_entries)
{
        int fd = table_fd(p, name), r;

        if (fd < 0)
                return -ENOENT;
        r = update_all(fd, keys, key_size, verdicts, n);
        if (r == -E2BIG || r == -ENOSPC || r == -ENOMEM) {
                r = sync_map_prune(p, name, keys, key_size, n, max_entries);
                if (r == 0)
                        r = update_all(fd, keys, key_size, verdicts, n);
        }
        if (r < 0)
                set_error(p, "filling map %s", name);
        return r;
}

/* One map's wanted contents, for the add-settings-prune order of probe_set_filter(). */
struct map_contents {
        const char *name;
        const void *keys;
        size_t key_size;
        const uint8_t *verdicts;
        size_t n;
        size_t max_entries;
};

int probe_set_filter(struct probe *p, const struct filter_maps *m)
{
        const struct map_contents maps[] = {
                { "filter_pids", m->pids, sizeof(*m->pids), m->pid_verdicts, m->npids, FILTER_MAX_PIDS },
                { "filter_uids", m->uids, sizeof(*m->uids), m->uid_verdicts, m->nuids, FILTER_MAX_UIDS },
                { "filter_comms", m->comms, sizeof(*m->comms), m->comm_verdicts, m->ncomms, FILTER_MAX_COMMS },
                { "filter_prefixes", m->prefixes, sizeof(*m->prefixes), m->prefix_verdicts, m->nprefixes,
                  FILTER_MAX_PREFIXES },
                { "self_noise", m->self_noise, sizeof(*m->self_noise), m->self_noise_verdicts, m->nself_noise,
                  FILTER_MAX_SELF_NOISE },
        };
        int zero = 0, fd, r = 0;

        for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]) && r == 0; i++)
                r = sync_map_add(p, maps[i].name, maps[i].keys, maps[i].key_size, maps[i].verdicts, maps[i].n,
                                 maps[i].max_entries);
        if (r < 0)
                return r;
        fd = table_fd(p, "settings");
        if (fd < 0)
                return -ENOENT;
        if (bpf_map_update_elem(fd, &zero, &m->settings, BPF_ANY) < 0) {
                r = -errno;
                set_error(p, "writing the filter settings");
                return r;
        }
        for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]) && r == 0; i++)
                r = sync_map_prune(p, maps[i].name, maps[i].keys, maps[i].key_size, maps[i].n, maps[i].max_entries);
        return r;
}

int probe_store_cgroup_verdict(struct probe *p, uint64_t cgroup_id, uint8_t verdict)
{
        int fd = find_map_fd(p, "filter_cgroups");

        if (fd < 0)
                return fd;
        return bpf_map_update_elem(fd, &cgroup_id, &verdict, BPF_ANY) < 0 ? -errno : 0;
}

int probe_clear_cgroup_verdicts(struct probe *p)
{
        uint64_t key;
        int fd = find_map_fd(p, "filter_cgroups");

        if (fd < 0)
                return fd;
        /* only user space adds entries, under unit_filter's lock: this ends */
        while (bpf_map_get_next_key(fd, NULL, &key) == 0)
                if (bpf_map_delete_elem(fd, &key) < 0 && errno != ENOENT)
                        return -errno;
        return 0;
}
