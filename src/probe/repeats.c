/* SPDX-License-Identifier: MIT */
/*
 * Repeats counted in the kernel (struct repeat_slot, opensnoop.h): the slots
 * are mapped here, and what they count is taken, as a record of kind
 * OPEN_RECORD_REPEATS like those the kernel side sends when it remakes a
 * slot, and handed on with the buffer's records.
 */
#include <bpf/bpf.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "probe-internal.h"

/* An mmap'd array's values are 8-byte aligned, one after the other: the slots index as a C array. */
_Static_assert(sizeof(struct repeat_slot) % 8 == 0, "struct repeat_slot must be a multiple of 8 bytes");

/* The records are the kernel side's: the header and an empty name. */
#define REPEAT_RECORD_BYTES (OPEN_EVENT_HEADER_SIZE + 1)

int probe_map_repeats(struct probe *p)
{
        struct bpf_map_info info = { 0 };
        uint32_t len = sizeof(info);
        int fd = find_map_fd(p, "repeat_slots");
        void *slots;

        if (fd < 0)
                return 0; /* not compiled in: every open is a record */
        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
                set_error(p, "reading the repeat slots' map: %s", strerror(errno));
                return -errno;
        }
        if (info.value_size != sizeof(struct repeat_slot) || info.max_entries == 0 ||
            info.max_entries > UINT16_MAX) {
                set_error(p, "the repeat slots' map is not what this daemon was built for");
                return -EPROTO;
        }
        p->repeat_map_bytes = (size_t)info.max_entries * sizeof(struct repeat_slot);
        slots = mmap(NULL, p->repeat_map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (slots == MAP_FAILED) {
                set_error(p, "mapping the repeat slots: %s", strerror(errno));
                return -errno;
        }
        p->repeat_known = calloc(info.max_entries, sizeof(*p->repeat_known));
        if (!p->repeat_known) {
                munmap(slots, p->repeat_map_bytes);
                return -ENOMEM;
        }
        p->repeat_slots = slots;
        p->repeat_nslots = info.max_entries;
        return 0;
}

void probe_unmap_repeats(struct probe *p)
{
        if (p->repeat_slots)
                munmap(p->repeat_slots, p->repeat_map_bytes);
        p->repeat_slots = NULL;
        free(p->repeat_known);
        p->repeat_known = NULL;
        p->repeat_nslots = 0;
}

void probe_note_repeat(struct probe *p, const void *raw, size_t size)
{
        struct open_event h; /* the header is enough: only its first bytes are written */
        uint16_t slot;

        if (!p->repeat_known || size < OPEN_EVENT_HEADER_SIZE)
                return;
        memcpy(&h, raw, OPEN_EVENT_HEADER_SIZE);
        slot = h.repeat_slot;
        if (h.kind != OPEN_RECORD_OPEN || slot == 0 || slot > p->repeat_nslots)
                return;
        /* the slot's count is this record's repeats from now on: it may be taken */
        p->repeat_known[slot - 1] = (struct repeat_known){ h.repeat_gen, h.pid, h.uid, h.gid, h.cgroup_id };
}

/*
 * Takes each slot's count, where it counts repeats of a record already
 * handed on (the slot's generation is known), with the slot's own
 * compare-and-exchange: a repeat the kernel side counts meanwhile is taken
 * now or next time, never twice, never lost.
 */
void probe_take_repeats(struct probe *p)
{
        unsigned char raw[REPEAT_RECORD_BYTES] = { 0 };
        struct open_event h;

        for (size_t i = 0; i < p->repeat_nslots; i++) {
                struct repeat_slot *slot = &p->repeat_slots[i];
                const struct repeat_known *known = &p->repeat_known[i];
                uint64_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE), first, last;

                if (!state || (state & REPEAT_BUSY) || REPEAT_COUNT(state) == 0 || REPEAT_GEN(state) != known->gen)
                        continue;
                /* the times before the count: the kernel side writes them before it counts */
                first = __atomic_load_n(&slot->first_ns, __ATOMIC_RELAXED);
                last = __atomic_load_n(&slot->last_ns, __ATOMIC_RELAXED);
                if (!__atomic_compare_exchange_n(&slot->state, &state, state & ~(uint64_t)UINT32_MAX, false,
                                                 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                        continue; /* it changed: next time */
                memset(&h, 0, OPEN_EVENT_HEADER_SIZE);
                h.boot_ns = last;
                h.flags = first;
                h.cgroup_id = known->cgroup_id;
                h.result = REPEAT_COUNT(state);
                h.pid = known->pid;
                h.uid = known->uid;
                h.gid = known->gid;
                h.kind = OPEN_RECORD_REPEATS;
                h.repeat_slot = (uint16_t)(i + 1);
                h.repeat_gen = known->gen;
                memcpy(raw, &h, OPEN_EVENT_HEADER_SIZE);
                p->on_event(p->cookie, raw, REPEAT_RECORD_BYTES);
        }
}
