/* SPDX-License-Identifier: MIT */
#include "counters.h"

#include <inttypes.h>
#include <stdio.h>

void counters_format(struct counters *c, char *buf, size_t size)
{
        uint64_t unkept = atomic_load(&c->names_unkept) + atomic_load(&c->names_lost_kernel);
        int n;

        n = snprintf(buf, size,
                     "%" PRIu64 " written, %" PRIu64 " filtered, %" PRIu64 " lost, %" PRIu64 " undelivered, %" PRIu64
                     " suppressed, %" PRIu64 " unnamed",
                     atomic_load(&c->written), counters_filtered(c), counters_lost(c), atomic_load(&c->undelivered),
                     atomic_load(&c->suppressed), atomic_load(&c->unnamed));
        if (unkept && n >= 0 && (size_t)n < size)
                snprintf(buf + n, size - (size_t)n, " (%" PRIu64 " cgroup names not kept)", unkept);
}
