/* SPDX-License-Identifier: MIT */
/*
 * The kernel side's counters, summed over CPUs, with the returns our kprobes
 * and the calls our trampolines missed; its losses by user.
 */
#include <bpf/bpf.h>
#include <stdbool.h>
#include <stdlib.h>

#include "probe-internal.h"

#include "kprobe_events.h"

int probe_read_stats(struct probe *p, uint64_t out[OPEN_STAT_MAX])
{
        uint64_t *values = p->percpu_values;
        int fd = table_fd(p, "stats");

        if (fd < 0)
                return -ENOENT;
        for (uint32_t stat = 0; stat < OPEN_STAT_MAX; stat++) {
                out[stat] = 0;
                if (bpf_map_lookup_elem(fd, &stat, values) < 0)
                        return -errno;
                for (int cpu = 0; cpu < p->ncpus_possible; cpu++)
                        out[stat] += values[cpu];
        }
        /* Returns the probe never saw: those opens are lost like any the stash had no room for.
         * Kept once read, so a count does not go down when the event is removed at a stop. */
        for (int i = 0; i < RETURN_EVENTS; i++) {
                if (p->return_event[i][0])
                        (void)kprobe_event_missed(p->return_event[i], &p->missed_returns[i]);
                out[OPEN_STAT_STASH_FULL] += p->missed_returns[i];
        }
        /* A trampoline whose program is already running on its CPU lets the call pass unseen
         * (5.12+ count them): an entry or an exit missed is an open lost. */
        for (int i = 0; i < MAX_TRAMPOLINES; i++) {
                if (i < p->ntrampolines) {
                        struct bpf_prog_info info = { 0 };
                        uint32_t len = sizeof(info);

                        if (bpf_obj_get_info_by_fd(p->trampolines[i], &info, &len) == 0)
                                p->missed_trampolines[i] = info.recursion_misses;
                }
                out[OPEN_STAT_STASH_FULL] += p->missed_trampolines[i];
        }
        return 0;
}

static int by_uid(const void *a, const void *b)
{
        const struct probe_lost_uid *x = a, *y = b;

        return (x->uid > y->uid) - (x->uid < y->uid);
}

int probe_read_lost_uids(struct probe *p, struct probe_lost_uid *out, size_t max, size_t *n)
{
        int fd = find_map_fd(p, "lost_uids");
        uint32_t key, next;
        uint64_t count;
        bool first = true;

        *n = 0;
        if (fd < 0)
                return -ENOENT;
        /* the kernel side only adds users and counts: a walk sees every one there was before it */
        while (*n < max && bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
                first = false;
                key = next;
                if (bpf_map_lookup_elem(fd, &key, &count) == 0)
                        out[(*n)++] = (struct probe_lost_uid){ key, count };
        }
        qsort(out, *n, sizeof(*out), by_uid);
        return 0;
}
