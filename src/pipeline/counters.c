/* SPDX-License-Identifier: MIT */
#include "counters.h"

#include <inttypes.h>
#include <stdio.h>

void counters_format(struct counters *c, char *buf, size_t size)
{
        uint64_t unkept = atomic_load(&c->names_unkept) + atomic_load(&c->names_lost_kernel);
        struct uid_loss_counts by_uid;
        char undelivered_uids[512], lost_uids[512];
        int n;

        /* the uids first: an open counted between the two reads is then in the total, not missing from it */
        uid_losses_snapshot(&c->undelivered_by_uid, &by_uid);
        uid_losses_format(&by_uid, undelivered_uids, sizeof(undelivered_uids));
        uid_losses_snapshot(&c->lost_by_uid, &by_uid);
        uid_losses_format(&by_uid, lost_uids, sizeof(lost_uids));
        n = snprintf(buf, size,
                     "%" PRIu64 " written, %" PRIu64 " filtered, %" PRIu64 " lost, %" PRIu64 " undelivered, %" PRIu64
                     " suppressed, %" PRIu64 " unnamed",
                     atomic_load(&c->written), counters_filtered(c), counters_lost(c), atomic_load(&c->undelivered),
                     atomic_load(&c->suppressed), atomic_load(&c->unnamed));
        if (unkept && n >= 0 && (size_t)n < size)
                n += snprintf(buf + n, size - (size_t)n, " (%" PRIu64 " cgroup names not kept)", unkept);
        if (lost_uids[0] && n >= 0 && (size_t)n < size)
                n += snprintf(buf + n, size - (size_t)n, "; lost by uid %s", lost_uids);
        if (undelivered_uids[0] && n >= 0 && (size_t)n < size)
                n += snprintf(buf + n, size - (size_t)n, "; undelivered by uid %s", undelivered_uids);
        if (atomic_load(&c->repeats) && n >= 0 && (size_t)n < size)
                snprintf(buf + n, size - (size_t)n, "; %" PRIu64 " counted as repeats in the kernel",
                         atomic_load(&c->repeats));
}
