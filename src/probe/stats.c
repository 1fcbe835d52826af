/* SPDX-License-Identifier: MIT */
/* The kernel side's counters, summed over CPUs, with the returns our kprobes missed. */
#include <bpf/bpf.h>

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
        return 0;
}
