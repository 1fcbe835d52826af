/* SPDX-License-Identifier: MIT */
#include "decode.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

_Static_assert(offsetof(struct open_event, path) == OPEN_EVENT_HEADER_SIZE,
               "OPEN_EVENT_HEADER_SIZE does not match struct open_event");

/* The most negative result a system call returns: -MAX_ERRNO. */
#define RESULT_MIN (-4095)

int decode_size(const void *raw, size_t size)
{
        uint16_t path_len, abs_len, flags;
        int64_t result;
        size_t need;

        if (!raw || size < OPEN_EVENT_HEADER_SIZE + 1)
                return -EBADMSG;
        memcpy(&path_len, (const char *)raw + offsetof(struct open_event, path_len), sizeof(path_len));
        if (path_len >= OPEN_PATH_MAX)
                return -EBADMSG;
        memcpy(&result, (const char *)raw + offsetof(struct open_event, result), sizeof(result));
        if (result < RESULT_MIN)
                return -EBADMSG;
        /* a slot's repeats: at least one, no more than a slot counts */
        if (record_kind(raw) == OPEN_RECORD_REPEATS && (result < 1 || result > REPEAT_COUNT_MAX))
                return -EBADMSG;
        need = OPEN_EVENT_HEADER_SIZE + (size_t)path_len + 1;
        memcpy(&flags, (const char *)raw + offsetof(struct open_event, event_flags), sizeof(flags));
        if (flags & OPEN_EVENT_ABS) {
                memcpy(&abs_len, (const char *)raw + offsetof(struct open_event, abs_len), sizeof(abs_len));
                if (abs_len == 0 || (size_t)path_len + 1 + abs_len + 1 > OPEN_PATH_MAX)
                        return -EBADMSG;
                need += (size_t)abs_len + 1;
        }
        if (size < need)
                return -EBADMSG;
        return (int)need;
}

int decode_record(const void *raw, size_t size, struct open_event *ev)
{
        int n = decode_size(raw, size);

        if (n < 0)
                return n;
        memcpy(ev, raw, (size_t)n);
        ev->path[ev->path_len] = '\0';
        if (ev->event_flags & OPEN_EVENT_ABS)
                ev->path[ev->path_len + 1 + ev->abs_len] = '\0';
        /* The kernel side walks every successful open; the walk of an absolute path only says
         * something when it names the file differently. */
        if ((ev->event_flags & OPEN_EVENT_ABS) && ev->abs_len == ev->path_len &&
            memcmp(ev->path, ev->path + ev->path_len + 1, ev->path_len) == 0)
                ev->event_flags &= (uint16_t)~OPEN_EVENT_ABS;
        if (!(ev->event_flags & OPEN_EVENT_ABS))
                ev->abs_len = 0;
        ev->comm[OPEN_COMM_LEN - 1] = '\0';
        return 0;
}
