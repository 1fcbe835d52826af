/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_CLOCK_H
#define OPENSNOOPD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* A clock's current value in nanoseconds. */
static inline uint64_t clock_ns(clockid_t clock)
{
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
