/* SPDX-License-Identifier: MIT */
#include "probe.h"

#include <bpf/libbpf.h>
#include <stdlib.h>

#include "probe-internal.h"

enum probe_mode probe_mode(const struct probe *p)
{
        return p->mode;
}

const char *probe_attach_points(const struct probe *p)
{
        return p->points;
}

const char *probe_buffer_description(const struct probe *p)
{
        return p->buffer_desc;
}

void probe_timings(const struct probe *p, uint64_t *load_ns, uint64_t *attach_ns)
{
        *load_ns = p->load_ns;
        *attach_ns = p->attach_ns;
}

const char *probe_error(const struct probe *p)
{
        return p && p->error[0] ? p->error : "unknown step";
}

struct probe *probe_free(struct probe *p)
{
        if (!p)
                return NULL;
        probe_detach(p);
        ring_buffer__free(p->ring);
        perf_buffer__free(p->perf);
        close_programs(p);
        for (int i = 0; i < p->nmaps; i++)
                if (p->maps[i].fd >= 0)
                        close(p->maps[i].fd);
        probe_free_cflags(p->cflags);
        free(p->percpu_values);
        free(p);
        return NULL;
}
