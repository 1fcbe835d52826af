/* SPDX-License-Identifier: MIT */
/* The record is built here; the slack takes the absolute path's bounded copies (see add_abs_path()). */
struct scratch_event {
        struct open_event e;
        char slack[OPEN_PATH_MAX];
};

BPF_PERCPU_ARRAY(scratch, struct scratch_event, 1);
BPF_PERCPU_ARRAY(stats, __u64, OPEN_STAT_MAX);

/* The last name an open's entry read on this CPU, to check a failed open's name against (see on_entry()). */
struct entry_name {
        __u64 seq;
        char name[OPEN_PATH_MAX + 8]; /* + 8: see word_at() */
};
BPF_PERCPU_ARRAY(entry_names, struct entry_name, 1);
BPF_ARRAY(settings, struct filter_settings, 1);
BPF_HASH(filter_pids, __u32, __u8, FILTER_MAX_PIDS);
BPF_HASH(filter_uids, __u32, __u8, FILTER_MAX_UIDS);
BPF_HASH(filter_comms, struct filter_comm_key, __u8, FILTER_MAX_COMMS);
BPF_LPM_TRIE(filter_prefixes, struct filter_prefix_key, __u8, FILTER_MAX_PREFIXES);
BPF_TABLE("lru_hash", __u64, __u8, filter_cgroups, FILTER_MAX_CGROUPS);
BPF_LPM_TRIE(self_noise, struct filter_prefix_key, __u8, FILTER_MAX_SELF_NOISE);
BPF_PERCPU_ARRAY(prefix_scratch, struct filter_prefix_key, 1);
BPF_HASH(lost_uids, __u32, __u64, LOST_UIDS_MAX);
#ifdef OPENSNOOPD_RINGBUF_PAGES
BPF_RINGBUF_OUTPUT(events, OPENSNOOPD_RINGBUF_PAGES);
BPF_PERCPU_ARRAY(unwoken, __u32, 1); /* records this CPU submitted since it last woke the reader */
BPF_ARRAY(ring_pos, __u64, 2);
BPF_TABLE("lru_hash", __u32, struct ring_reserve_use, ring_reserve, RING_RESERVE_USERS);
#else
BPF_PERF_OUTPUT(events);
#endif
#ifdef OPENSNOOPD_REPEAT_SLOTS
/* Repeats counted in the kernel (opensnoop.h): user space maps the slots to take their counts. */
BPF_F_TABLE("array", __u32, struct repeat_slot, repeat_slots, OPENSNOOPD_REPEAT_SLOTS, BPF_F_MMAPABLE);
/* A record of the repeats a slot held, sent when it is taken for another key: the header alone. */
struct repeat_record {
        char bytes[OPEN_EVENT_HEADER_SIZE + 8];
};
BPF_PERCPU_ARRAY(repeat_out, struct repeat_record, 1);
#endif

