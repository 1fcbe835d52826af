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

/* The time ms from now on clock, as the absolute deadline the timed waits of pthreads take. */
static inline struct timespec clock_in_ms(clockid_t clock, int ms)
{
        struct timespec ts;

        clock_gettime(clock, &ts);
        ts.tv_sec += ms / 1000;
        ts.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
        }
        return ts;
}

#endif
