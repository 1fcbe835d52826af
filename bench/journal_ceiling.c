/* SPDX-License-Identifier: MIT */
/*
 * The physical limit opensnoopd works against: how many entries a second
 * journald accepts, sent with sd_journal_sendv() as fast as one process can,
 * with exactly the field set opensnoopd sends for an open (built by the same
 * src/output/fields.c). Prints {"entries":N,"seconds":S,"per_second":R}.
 *
 *   journal_ceiling SECONDS [distinct]
 *
 * With "distinct", every entry is of another missing file (d0, d1, ...) at
 * its own time, with the fields of an entry that folded nothing
 * (OPEN_COUNT=1, OPEN_PIDS=1), as the default folding writes a flood of
 * names: a journal entry's unique values (MESSAGE, OPEN_PATH,
 * OPEN_TIMESTAMP_USEC) cost journald more than the same entry sent again.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "fields.h"

/* The identifying field, after the open's own: these entries can be told apart in the journal. */
static void mark(struct fields *f)
{
        memcpy(f->buf + f->used, "OPEN_BENCH=ceiling", 18);
        f->iov[f->n].iov_base = f->buf + f->used;
        f->iov[f->n++].iov_len = 18;
}

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
        int distinct = argc > 2 && strcmp(argv[2], "distinct") == 0;
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
        mark(&f);
        while ((elapsed = now() - start) < seconds) {
                for (int i = 0; i < 256; i++, n++) {
                        if (distinct) {
                                struct open_fold one = { .count = 1, .pids = 1 };
                                struct open_context ctx = { .fold = &one };
                                struct timespec ts;

                                clock_gettime(CLOCK_BOOTTIME, &ts);
                                ev.boot_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
                                one.first_ns = one.last_ns = ev.boot_ns;
                                ev.result = -2; /* ENOENT */
                                ev.path_len = (unsigned short)snprintf(ev.path, sizeof(ev.path),
                                                                       "/tmp/opensnoopd-bench/d%ld", n);
                                if (fields_from_event(&f, &ev, &ctx, &o) < 0)
                                        return 1;
                                mark(&f);
                        }
                        if (sd_journal_sendv(f.iov, (int)f.n) < 0)
                                return 1;
                }
        }
        printf("{\"entries\":%ld,\"seconds\":%.3f,\"per_second\":%.0f}\n", n, elapsed, (double)n / elapsed);
        return 0;
}
