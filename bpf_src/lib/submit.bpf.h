/* SPDX-License-Identifier: MIT */
#ifdef OPENSNOOPD_RINGBUF_PAGES
/*
 * May uid put need more bytes into the ring? Below the reserve, anyone may
 * (the common case: two array lookups); in it, only a user under its share
 * (see opensnoop.h). Counts the bytes as produced when it says yes. Two CPUs
 * may both say yes to the last room: the ring then refuses one, which is
 * counted as lost like any record it has no room for.
 */
static __always_inline __u64 *ring_admit(__u32 uid, __u64 need)
{
        __u32 produced_key = RING_POS_PRODUCED, consumed_key = RING_POS_CONSUMED;
        __u64 *produced = ring_pos.lookup(&produced_key), *consumed = ring_pos.lookup(&consumed_key);
        struct ring_reserve_use fresh = {}, *use;
        __u64 prod, cons, unread;

        if (!produced || !consumed)
                return NULL;
        prod = *(volatile __u64 *)produced;
        cons = *(volatile __u64 *)consumed;
        unread = prod > cons ? prod - cons : 0;
        if (unread + need + OPENSNOOPD_RING_BYTES / RING_RESERVE_PART <= OPENSNOOPD_RING_BYTES)
                goto admit;
        use = ring_reserve.lookup(&uid);
        if (!use) {
                ring_reserve.update(&uid, &fresh);
                use = ring_reserve.lookup(&uid);
                if (!use)
                        return NULL;
        }
        if (cons >= use->until)
                use->bytes = 0; /* user space has read all this user had in the reserve */
        if (use->bytes + need > OPENSNOOPD_RING_BYTES / RING_SHARE_PART)
                return NULL;
        use->bytes += need;
        use->until = prod + need;
admit:
        __sync_fetch_and_add(produced, need);
        return produced;
}
#endif

/*
 * Sends size bytes of e to user space: 0, or -1 if it was lost. e stands for
 * opens opens (1; a slot's repeats, more; a cgroup's record, none: 1 is
 * counted under its own stat). Both buffers fail, rather than block, when
 * they are full: counting each failure (as stat, by e's user) here makes the
 * loss count exact, with no lost-sample record to wait for. The ring buffer
 * also refuses a user's record that would take more than its share of the
 * ring's reserve (ring_admit()).
 */
static __always_inline int submit(void *ctx, struct open_event *e, __u32 size, __u32 stat, __u32 opens)
{
#ifdef OPENSNOOPD_RINGBUF_PAGES
        /* Waking the reader for every record costs more than the record (an irq_work and
         * a wake-up each time the reader has caught up): wake it every
         * OPENSNOOPD_WAKEUP_EVENTS records, as the perf buffers do; it also reads every 100 ms. */
        __u32 zero = 0;
        __u32 *n;
        __u64 flags = BPF_RB_NO_WAKEUP, need = RING_RECORD_BYTES(size);
        __u64 *produced = ring_admit(e->uid, need);

        if (!produced) {
                count_lost(stat, e->uid, opens);
                return -1;
        }
        n = unwoken.lookup(&zero);
        if (n && ++*n >= OPENSNOOPD_WAKEUP_EVENTS) {
                *n = 0;
                flags = BPF_RB_FORCE_WAKEUP;
        }
        if (events.ringbuf_output(e, size, flags) != 0) {
                __sync_fetch_and_add(produced, -need);
                count_lost(stat, e->uid, opens);
                return -1;
        }
#else
        if (events.perf_submit(ctx, e, size) != 0) {
                count_lost(stat, e->uid, opens);
                return -1;
        }
#endif
        return 0;
}

