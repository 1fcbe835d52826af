/* SPDX-License-Identifier: MIT */
/*
 * Test helper: performs the opens the integration tests ask for, through the
 * exact system call named, and prints one JSON line per open with what the
 * kernel returned, so the test can compare the journal with the truth.
 *
 *   opener COMM DIR SCENARIO
 *
 * SCENARIO "fields": one open of every kind (existing, missing, O_CREAT 0640,
 * relative to a directory fd, newline in the name, 4000+ and 4095 bytes,
 * empty, openat2, open). "burst N": N opens of DIR/burst; "burst-for SECS":
 * as many as it can in SECS seconds; both print how many they attempted
 * (each is one event); "distinct N": N opens of missing DIR/d0, DIR/d1, ….
 * "paths HEX...": openat() of each hex-encoded path;
 * "create HEX...": the same with O_CREAT|O_WRONLY, mode 0600;
 * "at DIRHEX HEX...": openat() of each relative to an fd of that directory;
 * "gone-cwd NAME": makes DIR/NAME its working directory, removes it, and
 * opens "x" there (which fails).
 * Every open made after prctl() is reported or counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int64_t realtime_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void print_hex(const char *s)
{
        for (; *s; s++)
                printf("%02x", (unsigned char)*s);
}

/* Runs one open through the named system call and reports it. */
static long do_open(const char *syscall_name, int dirfd, const char *path, int flags, mode_t mode)
{
        int64_t before = realtime_us(), after;
        long r;

        if (strcmp(syscall_name, "open") == 0) {
                r = syscall(SYS_open, path, flags, mode);
        } else if (strcmp(syscall_name, "openat") == 0) {
                r = syscall(SYS_openat, dirfd, path, flags, mode);
        } else {
                struct open_how how = { .flags = (uint64_t)flags, .mode = mode };

                r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        }
        if (r < 0)
                r = -errno;
        after = realtime_us();
        printf("{\"syscall\":\"%s\",\"dirfd\":%d,\"flags\":%d,\"mode\":%u,\"result\":%ld,"
               "\"before_us\":%lld,\"after_us\":%lld,\"path_hex\":\"",
               syscall_name, dirfd, flags, (unsigned)mode, r, (long long)before, (long long)after);
        print_hex(path);
        printf("\"}\n");
        return r;
}

static char *long_path(const char *dir, size_t total)
{
        char *p = malloc(total + 1);
        size_t len = (size_t)snprintf(p, total + 1, "%s/", dir);

        /* components of 200 bytes: each under NAME_MAX, so the kernel walks them */
        while (len < total) {
                p[len] = (len % 201 == 200) ? '/' : 'L';
                len++;
        }
        p[total] = '\0';
        if (p[total - 1] == '/')
                p[total - 1] = 'L';
        return p;
}

static void scenario_fields(const char *dir)
{
        char path[4200];
        char *lp;
        long fd;
        int dfd;

        /* every open after prctl() is reported: the tracer sees them all */
        snprintf(path, sizeof(path), "%s/existing", dir);
        fd = do_open("openat", AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
        close((int)fd);
        fd = do_open("open", AT_FDCWD, path, O_RDONLY, 0);
        close((int)fd);
        snprintf(path, sizeof(path), "%s/missing", dir);
        do_open("openat", AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
        snprintf(path, sizeof(path), "%s/created", dir);
        fd = do_open("openat", AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, 0640);
        close((int)fd);
        dfd = (int)do_open("openat", AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0);
        fd = do_open("openat", dfd, "existing", O_RDONLY, 0);
        close((int)fd);
        close(dfd);
        snprintf(path, sizeof(path), "%s/new\nline", dir);
        fd = do_open("openat2", AT_FDCWD, path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
        close((int)fd);
        lp = long_path(dir, 4000);
        do_open("openat", AT_FDCWD, lp, O_RDONLY, 0);
        free(lp);
        lp = long_path(dir, 4095);
        do_open("openat", AT_FDCWD, lp, O_RDONLY, 0);
        free(lp);
        do_open("openat", AT_FDCWD, "", O_RDONLY, 0);
}

static int from_hex(const char *hex, char *out, size_t size)
{
        size_t n = strlen(hex) / 2;

        if (n >= size)
                return -1;
        for (size_t i = 0; i < n; i++) {
                unsigned v;

                if (sscanf(hex + 2 * i, "%2x", &v) != 1)
                        return -1;
                out[i] = (char)v;
        }
        out[n] = '\0';
        return 0;
}

/* Opens DIR/burst n times, or for seconds if n < 0; returns how many opens it attempted. */
static long burst(const char *dir, long n, double seconds)
{
        char path[4096];
        struct timespec start, now;
        long done = 0;

        snprintf(path, sizeof(path), "%s/burst", dir);
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                if (n >= 0 && done >= n)
                        break;
                if (n < 0 && (done & 1023) == 0) {
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 >=
                            seconds)
                                break;
                }
                int fd = open(path, O_RDONLY | O_CREAT, 0600);

                done++;
                if (fd >= 0)
                        close(fd);
        }
        return done;
}

/* Opens DIR/d0 … DIR/d<n-1>, which do not exist: n distinct paths, each failing with ENOENT. */
static long distinct(const char *dir, long n)
{
        char path[4096];
        long done;

        for (done = 0; done < n; done++) {
                snprintf(path, sizeof(path), "%s/d%ld", dir, done);
                int fd = open(path, O_RDONLY);

                if (fd >= 0)
                        close(fd);
        }
        return done;
}

int main(int argc, char **argv)
{
        if (argc < 4) {
                fprintf(stderr, "usage: opener COMM DIR fields|burst N\n");
                return 2;
        }
        prctl(PR_SET_NAME, argv[1]);
        printf("{\"pid\":%d,\"uid\":%u,\"gid\":%u}\n", getpid(), getuid(), getgid());
        if (strcmp(argv[3], "fields") == 0) {
                scenario_fields(argv[2]);
        } else if (strcmp(argv[3], "burst") == 0 && argc == 5) {
                printf("{\"opens\":%ld}\n", burst(argv[2], strtol(argv[4], NULL, 10), 0));
        } else if (strcmp(argv[3], "distinct") == 0 && argc == 5) {
                printf("{\"opens\":%ld}\n", distinct(argv[2], strtol(argv[4], NULL, 10)));
        } else if (strcmp(argv[3], "burst-for") == 0 && argc == 5) {
                printf("{\"opens\":%ld}\n", burst(argv[2], -1, strtod(argv[4], NULL)));
        } else if (strcmp(argv[3], "paths") == 0 || strcmp(argv[3], "create") == 0) {
                static char path[8192];
                int create = strcmp(argv[3], "create") == 0;

                for (int i = 4; i < argc; i++) {
                        if (from_hex(argv[i], path, sizeof(path)) < 0)
                                return 2;
                        long fd = do_open("openat", AT_FDCWD, path, create ? O_CREAT | O_WRONLY : O_RDONLY,
                                          create ? 0600 : 0);

                        if (fd >= 0)
                                close((int)fd);
                }
        } else if (strcmp(argv[3], "at") == 0 && argc >= 5) {
                static char path[8192];
                int dfd;

                if (from_hex(argv[4], path, sizeof(path)) < 0 || (dfd = open(path, O_RDONLY | O_DIRECTORY)) < 0)
                        return 2;
                for (int i = 5; i < argc; i++) {
                        if (from_hex(argv[i], path, sizeof(path)) < 0)
                                return 2;
                        long fd = do_open("openat", dfd, path, O_RDONLY, 0);

                        if (fd >= 0)
                                close((int)fd);
                }
                close(dfd);
        } else if (strcmp(argv[3], "gone-cwd") == 0 && argc == 5) {
                char dir[4096];

                snprintf(dir, sizeof(dir), "%s/%s", argv[2], argv[4]);
                if (mkdir(dir, 0755) < 0 || chdir(dir) < 0 || rmdir(dir) < 0)
                        return 2;
                do_open("openat", AT_FDCWD, "x", O_RDONLY, 0);
        } else {
                fprintf(stderr, "opener: unknown scenario '%s'\n", argv[3]);
                return 2;
        }
        return 0;
}
