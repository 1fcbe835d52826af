/* SPDX-License-Identifier: MIT */
/*
 * The physical limit opensnoopd works against: how many entries a second
 * journald accepts, sent with sd_journal_sendv() as fast as one process can,
 * with exactly the field set opensnoopd sends for an open (built by the same
 * src/output/fields.c). Prints {"entries":N,"seconds":S,"per_second":R}.
 *
 *   journal_ceiling SECONDS
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "fields.h"

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct fields f;
static struct open_event ev;

int main(int argc, char **argv)
{
        const struct fields_options o = { .priority = 6, .failure_priority = 5 };
        double seconds = argc > 1 ? strtod(argv[1], NULL) : 3.0, start = now(), elapsed;
        long n = 0;

        ev.pid = ev.tid = 4242;
        ev.flags = O_RDONLY;
        ev.result = 3;
        ev.syscall = 2;
        ev.dirfd = -100;
        strcpy(ev.comm, "openloop");
        strcpy(ev.path, "/tmp/opensnoopd-bench/file");
        ev.path_len = (unsigned short)strlen(ev.path);
        if (fields_from_event(&f, &ev, NULL, &o) < 0)
                return 1;
        /* identify these entries, so the run can be told apart in the journal */
        memcpy(f.buf + f.used, "OPEN_BENCH=ceiling", 18);
        f.iov[f.n].iov_base = f.buf + f.used;
        f.iov[f.n++].iov_len = 18;
        while ((elapsed = now() - start) < seconds) {
                for (int i = 0; i < 256; i++, n++)
                        if (sd_journal_sendv(f.iov, (int)f.n) < 0)
                                return 1;
        }
        printf("{\"entries\":%ld,\"seconds\":%.3f,\"per_second\":%.0f}\n", n, elapsed, (double)n / elapsed);
        return 0;
}
