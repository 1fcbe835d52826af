/* SPDX-License-Identifier: MIT */
/*
 * What attribution costs the writer, per entry, measured on the real cgroup2
 * mount in one run: the enrich stage's lookup of a cgroup it has seen (the
 * common case: a cache hit), of one it has not (open_by_handle_at() on the
 * mount, then the unit names), of one learned when it was made or by the
 * scan at start (the table of names, cgroup_table.c), what that one scan of
 * the mount costs, and building an entry's fields with and without
 * OPEN_CGROUP/OPEN_UNIT/... Prints one JSON object.
 *
 *   attribution N
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "enrich.h"
#include "fields.h"

#define FRESH 200 /* cgroups made for the first-lookup figure */

static double now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The cgroup2 mount, from mountinfo. */
static int cgroup2_mount(char *out, size_t size)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[1024];
        int r = -ENOENT;

        if (!f)
                return -errno;
        while (r < 0 && fgets(line, sizeof(line), f)) {
                char mnt[512], fstype[64];
                const char *sep = strstr(line, " - ");

                if (sep && sscanf(sep, " - %63s", fstype) == 1 && strcmp(fstype, "cgroup2") == 0 &&
                    sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1) {
                        snprintf(out, size, "%s", mnt);
                        r = 0;
                }
        }
        fclose(f);
        return r;
}

int main(int argc, char **argv)
{
        static struct fields f;
        static struct open_event ev;
        struct fields_options o = { .priority = 6, .failure_priority = 5 };
        struct attribution who;
        struct open_context ctx = { 0 };
        char mount[512], dir[768];
        long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
        struct enrich *e;
        struct stat st;
        double t0, hit_ns, first_ns = 0, with_ns, without_ns, learned_ns, scan_ns;
        int made = 0;

        if (cgroup2_mount(mount, sizeof(mount)) < 0 || enrich_new(&e) < 0) {
                fprintf(stderr, "attribution: no cgroup2 mount\n");
                return 1;
        }
        /* a cache hit: this process's own cgroup, looked up once before */
        snprintf(dir, sizeof(dir), "%s/opensnoopd-bench-%d", mount, getpid());
        if (mkdir(dir, 0755) < 0 || stat(dir, &st) < 0)
                return 1;
        enrich_lookup(e, st.st_ino, &who);
        t0 = now_ns();
        for (long i = 0; i < n; i++)
                enrich_lookup(e, st.st_ino, &who);
        hit_ns = (now_ns() - t0) / (double)n;

        /* learned: the scan at start finds it, as the cgroup:cgroup_mkdir record would */
        t0 = now_ns();
        enrich_scan(e);
        scan_ns = now_ns() - t0;
        t0 = now_ns();
        for (long i = 0; i < n; i++)
                enrich_lookup(e, st.st_ino, &who);
        learned_ns = (now_ns() - t0) / (double)n;

        /* the first lookup of a cgroup: fresh ones, one lookup each */
        for (int i = 0; i < FRESH; i++) {
                char sub[800];
                struct stat s;

                snprintf(sub, sizeof(sub), "%s/unit-%d.service", dir, i);
                if (mkdir(sub, 0755) < 0 || stat(sub, &s) < 0)
                        break;
                t0 = now_ns();
                enrich_lookup(e, s.st_ino, &who);
                first_ns += now_ns() - t0;
                made++;
                rmdir(sub);
        }

        /* an entry's fields, with and without what attribution adds */
        ev.pid = ev.tid = 1234;
        ev.result = 3;
        ev.dirfd = AT_FDCWD;
        ev.syscall = 2;
        ev.cgroup_id = st.st_ino;
        memcpy(ev.comm, "nginx", 6);
        ev.path_len = (unsigned short)snprintf(ev.path, sizeof(ev.path), "/srv/www/static/index.html");
        enrich_lookup(e, st.st_ino, &who);
        ctx.who = &who;
        t0 = now_ns();
        for (long i = 0; i < n; i++)
                fields_from_event(&f, &ev, &ctx, &o);
        with_ns = (now_ns() - t0) / (double)n;
        ctx.who = NULL;
        t0 = now_ns();
        for (long i = 0; i < n; i++)
                fields_from_event(&f, &ev, &ctx, &o);
        without_ns = (now_ns() - t0) / (double)n;

        rmdir(dir);
        enrich_free(e);
        printf("{\"lookups\":%ld,\"cached_lookup_ns\":%.1f,\"learned_lookup_ns\":%.1f,\"scan_ms\":%.2f,"
               "\"first_lookup_ns\":%.0f,\"fresh_cgroups\":%d,"
               "\"fields_with_attribution_ns\":%.1f,\"fields_without_attribution_ns\":%.1f}\n",
               n, hit_ns, learned_ns, scan_ns / 1e6, made ? first_ns / made : 0.0, made, with_ns, without_ns);
        return 0;
}
