/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_DECODE_H
#define OPENSNOOPD_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "opensnoop.h"

/*
 * The first stage: raw bytes from the kernel's buffer → one struct open_event.
 *
 * decode_size() checks that the bytes hold one whole record, with a result
 * the kernel can return (an fd, or -errno down to -4095), and returns how many
 * of them it uses (header, path and its NUL), or -EBADMSG. Perf pads samples,
 * so size may exceed what the record uses. The reader calls it before
 * queueing, so the queue holds only the bytes in use.
 */
int decode_size(const void *raw, size_t size);

/*
 * Copies a record that decode_size() accepts into *ev (buffer data is not
 * aligned). The path is NUL-terminated at path_len whatever the bytes. An
 * absolute path equal to the path as passed is dropped (OPEN_EVENT_ABS
 * cleared): the kernel side walks every successful open, and the walk only
 * tells something where it names the file differently.
 */
int decode_record(const void *raw, size_t size, struct open_event *ev);

/* The uid of a record decode_size() accepted, read in place (the bytes need not be aligned). */
static inline uint32_t open_record_uid(const void *raw)
{
        uint32_t uid;

        memcpy(&uid, (const char *)raw + offsetof(struct open_event, uid), sizeof(uid));
        return uid;
}

/* What a record decode_size() accepted is (enum open_record_kind), read in place. */
static inline uint8_t record_kind(const void *raw)
{
        uint8_t kind;

        memcpy(&kind, (const char *)raw + offsetof(struct open_event, kind), sizeof(kind));
        return kind;
}

/*
 * How many opens a record decode_size() accepted stands for: an open's 1, a
 * slot's repeats (OPEN_RECORD_REPEATS) their count, a cgroup's record none.
 */
static inline uint64_t record_opens(const void *raw)
{
        int64_t count;

        switch (record_kind(raw)) {
        case OPEN_RECORD_OPEN:
                return 1;
        case OPEN_RECORD_REPEATS:
                memcpy(&count, (const char *)raw + offsetof(struct open_event, result), sizeof(count));
                return (uint64_t)count;
        default:
                return 0;
        }
}

/* The bytes of path[] a decoded event uses before its last NUL: the path, and its absolute form if any. */
static inline size_t open_event_path_bytes(const struct open_event *ev)
{
        return ev->path_len + ((ev->event_flags & OPEN_EVENT_ABS) ? 1 + (size_t)ev->abs_len : 0);
}

#endif
