/* SPDX-License-Identifier: MIT */
/*
 * The benchmarks' load: N open()+close() of one path, as fast as possible or
 * paced to RATE opens a second. Prints {"opens":N,"seconds":S,"ns_per_open":X}.
 * Its comm is "openloop" from the first of those opens on, and not before, so
 * filters on that name see exactly N opens.
 *
 *   openloop PATH N [RATE]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        long n, rate;
        double start, elapsed;

        if (argc < 3) {
                fprintf(stderr, "usage: openloop PATH N [RATE]\n");
                return 2;
        }
        prctl(PR_SET_NAME, "openloop");
        n = strtol(argv[2], NULL, 10);
        rate = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
        start = now();
        for (long i = 0; i < n; i++) {
                int fd;

                /* paced: wait until this open is due (checked every 16 opens) */
                if (rate > 0 && (i & 15) == 0)
                        while (now() - start < (double)i / (double)rate)
                                ;
                fd = open(argv[1], O_RDONLY);
                if (fd >= 0)
                        close(fd);
        }
        elapsed = now() - start;
        printf("{\"opens\":%ld,\"seconds\":%.6f,\"ns_per_open\":%.1f}\n", n, elapsed, elapsed * 1e9 / (double)n);
        return 0;
}
