/* SPDX-License-Identifier: MIT */
#include "send_history.h"

#include <stddef.h>

void send_history_note(struct send_history *h, int priority, uint64_t now_ns)
{
        uint64_t sec = now_ns / 1000000000ull;
        size_t i = sec % SEND_HISTORY_SECONDS;

        if (priority >= 0 && priority <= 7)
                atomic_fetch_or(&h->priorities, 1u << priority);
        if (h->second[i] != sec) {
                h->second[i] = sec;
                h->count[i] = 0;
        }
        if (h->count[i] < UINT32_MAX)
                h->count[i]++;
        atomic_store(&h->last_send_ns, now_ns);
}

uint64_t send_history_between(const struct send_history *h, uint64_t from_ns, uint64_t to_ns)
{
        uint64_t first = from_ns / 1000000000ull, last = to_ns / 1000000000ull, n = 0;

        if (last - first >= SEND_HISTORY_SECONDS)
                return UINT64_MAX;
        for (uint64_t sec = first; sec <= last; sec++) {
                size_t i = sec % SEND_HISTORY_SECONDS;

                if (h->second[i] == sec)
                        n += h->count[i];
        }
        return n;
}
