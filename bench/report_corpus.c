/* SPDX-License-Identifier: MIT */
/*
 * A month of opensnoopd's record, made up, for timing opensnoopd-report:
 * ENTRIES open entries with exactly the fields opensnoopd writes (built by
 * the same src/output/fields.c, folded, with a unit), sent with sd_journal_sendv()
 * to whichever journald /run/systemd/journal/socket is. Each stands for 1 to
 * 19 opens (OPEN_COUNT=, 10 on average); OPEN_TIMESTAMP_USEC= spreads them
 * over the 30 days before now. 60 units (the first ones far busier), 300
 * commands, 25 users, 200,000 paths below /srv and /etc, one in five opened
 * by a relative name (OPEN_ABS_PATH=), one in twenty failed (ENOENT).
 * Deterministic (a fixed seed). Prints the truth the report must give:
 * {"entries":N,"opens":N,"failed":N,"unit_00":N,"etc":N}
 *
 *   report_corpus ENTRIES
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "fields.h"

static struct fields f;
static struct open_event ev;

static uint64_t state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: the same corpus on every run */
static uint64_t next(void)
{
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 0x2545f4914f6cdd1dULL;
}

/* 0 .. n-1, the low values far likelier (the square of a uniform draw) */
static unsigned skewed(unsigned n)
{
        double u = (double)(next() >> 11) / (double)(1ULL << 53);

        return (unsigned)(u * u * n);
}

int main(int argc, char **argv)
{
        const struct fields_options o = { .priority = 6, .failure_priority = 5 };
        long entries = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
        uint64_t opens = 0, failed = 0, unit0 = 0, etc = 0;
        struct timespec now;
        struct attribution who;
        struct open_fold fold;
        struct open_context ctx = { .fold = &fold, .who = &who };
        char cgroup[128];

        clock_gettime(CLOCK_REALTIME, &now);
        uint64_t end_ns = (uint64_t)now.tv_sec * 1000000000ULL, span_ns = 30ULL * 86400 * 1000000000ULL;

        for (long i = 0; i < entries; i++) {
                unsigned unit = skewed(60), comm = skewed(300), uid = skewed(25), path = (unsigned)(next() % 200000);
                bool relative = next() % 5 == 0, fail = next() % 20 == 0;
                int n;

                memset(&ev, 0, OPEN_EVENT_HEADER_SIZE);
                ev.boot_ns = end_ns - span_ns + span_ns / (uint64_t)entries * (uint64_t)i;
                ev.pid = ev.tid = 1000 + (uint32_t)(next() % 30000);
                ev.uid = ev.gid = uid ? 1000 + uid : 0;
                ev.flags = O_RDONLY | O_CLOEXEC;
                ev.result = fail ? -ENOENT : 3 + (int64_t)(next() % 60);
                ev.syscall = OPEN_SYSCALL_OPENAT;
                ev.dirfd = -100;
                ev.cgroup_id = 5000 + unit;
                snprintf(ev.comm, sizeof(ev.comm), "cmd%03u", comm);
                const char *abs_fmt = path % 10 == 0 ? "/etc/app%02u/conf%u.d/f%u" : "/srv/data/d%03u/s%02u/file%06u";
                char abs[256];

                snprintf(abs, sizeof(abs), abs_fmt, path % 500 / 5, path % 37, path);
                if (relative) {
                        const char *base = strrchr(abs, '/') + 1;

                        n = snprintf(ev.path, sizeof(ev.path), "%s", base);
                        ev.path_len = (uint16_t)n;
                        ev.abs_len = (uint16_t)strlen(abs);
                        memcpy(ev.path + n + 1, abs, ev.abs_len + 1);
                        ev.event_flags = OPEN_EVENT_ABS;
                } else {
                        ev.path_len = (uint16_t)snprintf(ev.path, sizeof(ev.path), "%s", abs);
                }
                fold.count = 1 + next() % 19;
                fold.first_ns = ev.boot_ns;
                fold.last_ns = ev.boot_ns + fold.count * 1000;
                fold.pids = 1;
                snprintf(cgroup, sizeof(cgroup), "/system.slice/unit-%02u.service", unit);
                who.cgroup = cgroup;
                memset(&who.names, 0, sizeof(who.names));
                snprintf(who.names.unit, sizeof(who.names.unit), "unit-%02u.service", unit);
                if (fields_from_event(&f, &ev, &ctx, &o) < 0)
                        return 1;
                int r = sd_journal_sendv(f.iov, (int)f.n);

                if (r < 0) {
                        fprintf(stderr, "report_corpus: sd_journal_sendv: %s\n", strerror(-r));
                        return 1;
                }
                opens += fold.count;
                failed += fail ? fold.count : 0;
                unit0 += unit == 0 ? fold.count : 0;
                etc += path % 10 == 0 ? fold.count : 0;
        }
        printf("{\"entries\":%ld,\"opens\":%llu,\"failed\":%llu,\"unit_00\":%llu,\"etc\":%llu}\n", entries,
               (unsigned long long)opens, (unsigned long long)failed, (unsigned long long)unit0,
               (unsigned long long)etc);
        return 0;
}
