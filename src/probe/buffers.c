/* SPDX-License-Identifier: MIT */
/* The records' way out of the kernel: the ring buffer or the perf buffers, read by probe_poll(). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdlib.h>

#include "probe-internal.h"

#include "clock.h"
#include "cpulist.h"

static int on_ring_record(void *ctx, void *data, size_t size)
{
        struct probe *p = ctx;

        p->ring_consumed += RING_RECORD_BYTES(size);
        probe_note_repeat(p, data, size);
        p->on_event(p->cookie, data, size > INT_MAX ? -1 : (int)size);
        return 0;
}

/* After a read: tells the kernel side how much of the ring is free again, for its fair shares. */
static void publish_consumed(struct probe *p)
{
        uint32_t key = RING_POS_CONSUMED;

        if (p->ring_pos_fd < 0 || p->ring_consumed == p->ring_published)
                return;
        if (bpf_map_update_elem(p->ring_pos_fd, &key, &p->ring_consumed, BPF_ANY) == 0)
                p->ring_published = p->ring_consumed;
}

/* A perf sample is its header, a u32 size and the record; lost-record notices are ignored:
 * every record the kernel could not store was counted by the program itself. */
static enum bpf_perf_event_ret on_perf_record(void *ctx, int cpu, struct perf_event_header *h)
{
        struct probe *p = ctx;

        (void)cpu;
        if (h->type == PERF_RECORD_SAMPLE) {
                uint32_t size;

                memcpy(&size, (char *)h + sizeof(*h), sizeof(size));
                if (sizeof(*h) + sizeof(size) + size > h->size)
                        p->on_event(p->cookie, NULL, -1);
                else
                        p->on_event(p->cookie, (char *)h + sizeof(*h) + sizeof(size), (int)size);
        }
        return LIBBPF_PERF_EVENT_CONT;
}

int probe_open_buffers(struct probe *p, unsigned perf_pages, unsigned wakeup_events, probe_event_fn on_event,
                       void *cookie)
{
        int fd = table_fd(p, "events");

        if (fd < 0)
                return -ENOENT;
        p->on_event = on_event;
        p->cookie = cookie;
        if (p->plan.buffer == PROBE_BUFFER_RING) {
                struct bpf_map_info info = { 0 };
                uint32_t len = sizeof(info);
                int r;

                p->ring_pos_fd = find_map_fd(p, "ring_pos");
                r = probe_map_repeats(p);
                if (r < 0)
                        return r;
                p->ring = ring_buffer__new(fd, on_ring_record, p, NULL);
                if (!p->ring) {
                        r = -errno;
                        set_error(p, "opening the ring buffer: %s", strerror(-r));
                        return r;
                }
                if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
                        snprintf(p->buffer_desc, sizeof(p->buffer_desc), "a ring buffer of %u %s",
                                 info.max_entries >= (1u << 20) ? info.max_entries >> 20 : info.max_entries >> 10,
                                 info.max_entries >= (1u << 20) ? "MiB" : "KiB");
        } else {
                struct perf_event_attr attr = {
                        .type = PERF_TYPE_SOFTWARE,
                        .size = sizeof(attr),
                        .config = PERF_COUNT_SW_BPF_OUTPUT,
                        .sample_type = PERF_SAMPLE_RAW,
                        .sample_period = 1,
                        .wakeup_events = wakeup_events,
                };
                int *cpus = NULL, n;

                p->perf = perf_buffer__new_raw(fd, perf_pages, &attr, on_perf_record, p, NULL);
                if (!p->perf) {
                        int r = -errno;

                        set_error(p, "opening the perf buffers (%u pages per CPU): %s", perf_pages, strerror(-r));
                        return r;
                }
                n = cpulist_read("/sys/devices/system/cpu/online", &cpus);
                free(cpus);
                snprintf(p->buffer_desc, sizeof(p->buffer_desc), "perf buffers of %u pages on %d CPUs", perf_pages, n);
        }
        p->last_sweep_ns = clock_ns(CLOCK_MONOTONIC);
        return 0;
}

void probe_drain(struct probe *p)
{
        if (p->ring) {
                (void)ring_buffer__consume(p->ring);
                publish_consumed(p);
                /* after the records: each count follows the record it repeats */
                probe_take_repeats(p);
        }
        if (p->perf)
                (void)perf_buffer__consume(p->perf);
        p->last_sweep_ns = clock_ns(CLOCK_MONOTONIC);
}

int probe_poll(struct probe *p, int timeout_ms)
{
        int n = p->ring ? ring_buffer__poll(p->ring, timeout_ms) : perf_buffer__poll(p->perf, timeout_ms);

        if (n < 0)
                return n;
        if (p->ring)
                publish_consumed(p);
        if (clock_ns(CLOCK_MONOTONIC) - p->last_sweep_ns >= SWEEP_INTERVAL_NS)
                probe_drain(p);
        return 0;
}
