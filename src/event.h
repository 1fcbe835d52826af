/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_EVENT_DECODE_H
#define OPENSNOOPD_EVENT_DECODE_H

#include <stddef.h>

#include "../bpf_src/event.h"

/*
 * Checks that raw bytes from the perf buffer hold one whole open_event, with a
 * result the kernel can return (an fd, or -errno down to -4095), and returns
 * how many of them do (header, path and its NUL), or -EBADMSG. Perf pads
 * samples, so size may exceed what the event uses.
 */
int open_event_size(const void *raw, size_t size);

/*
 * Copies a record that open_event_size() accepted into *ev (perf buffer data
 * is not aligned). The path is NUL-terminated at path_len whatever the bytes.
 */
int open_event_decode(const void *raw, size_t size, struct open_event *ev);

#endif
