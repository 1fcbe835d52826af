/* SPDX-License-Identifier: MIT */
/* A pointer in kernel memory; NULL where it cannot be read. */
static __always_inline void *read_ptr(const void *base, long offset)
{
        void *value = NULL;

        bpf_probe_read_kernel(&value, sizeof(value), (const char *)base + offset);
        return value;
}

/*
 * A failed open's name as read at return (e->path, len bytes with its NUL)
 * against the same name as read at entry: OPEN_EVENT_PATH_CHANGED if they
 * differ, OPEN_EVENT_PATH_UNCHECKED if the entry reading is gone or never
 * was. Only up to the NUL: the bytes after it are stale.
 *
 * 64 bytes a step, then the last whole words, then the 8 bytes that end at
 * the NUL: few steps, since the verifier keeps every step's state to compare
 * with the next. The length is read from the record (map memory) afresh
 * wherever it is compared, and nothing a loop's exit narrows is used after
 * it: otherwise the verifier would follow the rest of the program once per
 * exit.
 */
/* 8 bytes at any offset below OPEN_PATH_MAX: both buffers have 8 bytes of room after it. */
static __always_inline __u64 word_at(const char *p, __u32 at)
{
        return *(const __u64 *)(p + (at & (OPEN_PATH_MAX - 1)));
}

static __always_inline __u16 check_entry_name(struct open_event *e, const struct stash *s)
{
        volatile __u16 *path_len = &e->path_len;
        __u32 zero = 0, done, len;
        struct entry_name *n = entry_names.lookup(&zero);
        __u64 diff = 0;

        if (!n || !s->entry_cpu || s->entry_cpu != bpf_get_smp_processor_id() + 1 || n->seq != s->entry_seq)
                return OPEN_EVENT_PATH_UNCHECKED;
        if ((__u32)*path_len + 1 != s->entry_len)
                return OPEN_EVENT_PATH_CHANGED;
#pragma clang loop unroll(disable)
        for (__u32 i = 0; i < OPEN_PATH_MAX / 64; i++) {
                __u32 at = i * 64;

                if (at + 64 > (__u32)*path_len + 1)
                        break;
#pragma unroll
                for (__u32 j = 0; j < 8; j++)
                        diff |= word_at(e->path, at + j * 8) ^ word_at(n->name, at + j * 8);
        }
        done = (((__u32)*path_len + 1) / 64) * 64;
#pragma clang loop unroll(disable)
        for (__u32 k = 0; k < 8; k++) {
                __u32 at = done + k * 8;

                if (at + 8 > (__u32)*path_len + 1)
                        break;
                diff |= word_at(e->path, at) ^ word_at(n->name, at);
        }
        len = (__u32)*path_len + 1; /* with its NUL */
        if (len >= 8)
                diff |= word_at(e->path, len - 8) ^ word_at(n->name, len - 8);
        else
                diff |= (word_at(e->path, 0) ^ word_at(n->name, 0)) & ((1ULL << (len * 8)) - 1);
        return diff ? OPEN_EVENT_PATH_CHANGED : 0;
}


