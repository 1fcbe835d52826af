/* SPDX-License-Identifier: MIT */
/* What the probe says about itself once made: its mode, attach points, buffer, timings, last error. */
#include "probe.h"

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

bool probe_counts_repeats(const struct probe *p)
{
        return p->repeat_nslots > 0;
}

const char *probe_error(const struct probe *p)
{
        return p && p->error[0] ? p->error : "unknown step";
}
