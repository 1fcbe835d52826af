/* SPDX-License-Identifier: MIT */
#include "counters.h"

#include <inttypes.h>
#include <stdio.h>

void counters_format(struct counters *c, char *buf, size_t size)
{
        snprintf(buf, size,
                 "%" PRIu64 " written, %" PRIu64 " filtered, %" PRIu64 " lost, %" PRIu64 " undelivered, %" PRIu64
                 " suppressed",
                 atomic_load(&c->written), counters_filtered(c), counters_lost(c), atomic_load(&c->undelivered),
                 atomic_load(&c->suppressed));
}
