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
 * opens "x" there (which fails);
 * "routes": creat() of DIR/by-creat, open_by_handle_at() of DIR/by-handle
 * (made first) and of a handle the kernel rejects;
 * "race N": N openat() of a name another thread keeps rewriting between
 * DIR/a and DIR/b (both made first), each fd kept open; each line says
 * which file the fd really is ("opened": "a" or "b", by inode) and what the
 * name said right after the call ("after");
 * "race-missing N": the same with DIR/m/a and DIR/m/b, which do not exist:
 * each line has the result and the name's letter right before ("before")
 * and right after ("after") the call;
 * "cold-how": openat2() of DIR/cold with its struct open_how (O_WRONLY|O_CREAT|
 * O_TRUNC, 0640) in a page of a file mapping no one has touched yet;
 * "park N FIFO": N threads each open FIFO for reading, which blocks until a
 * writer comes; prints {"parked":N} once all are started, then one line per
 * open as each returns.
 * "uring": through io_uring (raw system calls, no liburing): IORING_OP_OPENAT
 * of DIR/by-uring, of DIR/uring-missing, of "by-uring" relative to an fd of
 * DIR, IORING_OP_OPENAT2 of DIR/by-uring2 (O_WRONLY|O_CREAT, 0640), and
 * IORING_OP_OPENAT of DIR/by-uring with IOSQE_CQE_SKIP_SUCCESS ("result":
 * "unreported": io_uring reports no success for it).
 * "uring-park FIFO": an io_uring open of FIFO for reading, which blocks in
 * io_uring's worker; prints {"parked":1} once submitted, then its line.
 * "uring-park-many N FIFO": N such opens on one ring, all submitted at once
 * (most wait in io_uring's queue behind its few workers: submitted, not
 * complete); prints {"parked":N}, then {"completed":N} once all are done.
 * "exec": copies /bin/true to DIR/COMM and runs it as "./COMM" from DIR
 * (so that the new program's comm is COMM), runs the #! script DIR/s/COMM
 * as "s/COMM" ("script": true), then execve() of DIR/missing-exec.
 * Every open made after prctl() is reported or counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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
        } else if (strcmp(syscall_name, "creat") == 0) {
                r = syscall(SYS_creat, path, mode);
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

/* n rounds of opening each of the names (hex), in turn: repeats that interleave. Returns the opens made. */
static long again(long n, char **hex, int names)
{
        static char paths[64][4096];
        long done = 0;

        if (names > 64)
                return -1;
        for (int i = 0; i < names; i++)
                if (from_hex(hex[i], paths[i], sizeof(paths[i])) < 0)
                        return -1;
        for (long round = 0; round < n; round++)
                for (int i = 0; i < names; i++) {
                        int fd = open(paths[i], O_RDONLY);

                        done++;
                        if (fd >= 0)
                                close(fd);
                }
        return done;
}

/*
 * n opens of "x" in DIR/A, then A is renamed B (the working directory moves
 * with it) and n more of "x": the same name, the same file, but a path that
 * changed between. Returns the opens made, or -1.
 */
static long renamed_cwd(const char *dir, long n)
{
        char a[4096], b[4096];
        int fd;

        snprintf(a, sizeof(a), "%s/A", dir);
        snprintf(b, sizeof(b), "%s/B", dir);
        if (mkdir(a, 0755) < 0 || chdir(a) < 0 || (fd = open("x", O_CREAT | O_WRONLY, 0600)) < 0)
                return -1;
        close(fd);
        for (long i = 0; i < 2 * n; i++) {
                if (i == n && rename(a, b) < 0)
                        return -1;
                fd = open("x", O_RDONLY);
                if (fd >= 0)
                        close(fd);
        }
        return 2 * n;
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

/* Distinct names (DIR/f<pid>-<i>, missing) for seconds, as fast as it can: a flood nothing folds. */
static long distinct_for(const char *dir, double seconds)
{
        char path[4096];
        struct timespec start, now;
        long done = 0;

        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                if ((done & 255) == 0) {
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 >=
                            seconds)
                                break;
                }
                snprintf(path, sizeof(path), "%s/f%d-%ld", dir, (int)getpid(), done);
                int fd = open(path, O_RDONLY);

                done++;
                if (fd >= 0)
                        close(fd);
        }
        return done;
}

/* n opens of distinct names (DIR/p<i>, missing), rate a second: a user's steady opens. */
static long paced(const char *dir, long n, double rate)
{
        char path[4096];
        struct timespec start, at;
        long done;

        clock_gettime(CLOCK_MONOTONIC, &start);
        for (done = 0; done < n; done++) {
                double t = (double)done / rate;

                at.tv_sec = start.tv_sec + (time_t)t;
                at.tv_nsec = start.tv_nsec + (long)((t - (double)(time_t)t) * 1e9);
                if (at.tv_nsec >= 1000000000L) {
                        at.tv_sec++;
                        at.tv_nsec -= 1000000000L;
                }
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
                        ;
                snprintf(path, sizeof(path), "%s/p%ld", dir, done);
                int fd = open(path, O_RDONLY);

                if (fd >= 0)
                        close(fd);
        }
        return done;
}

static char race_name[4096];
static size_t race_flip_at; /* the byte that tells a from b */
static atomic_bool race_done;

static void *race_writer(void *arg)
{
        (void)arg;
        while (!atomic_load_explicit(&race_done, memory_order_relaxed)) {
                *(volatile char *)&race_name[race_flip_at] = 'b';
                *(volatile char *)&race_name[race_flip_at] = 'a';
        }
        return NULL;
}

static void scenario_race(const char *dir, long n)
{
        struct stat a, b, st;
        char path[4096];
        pthread_t writer;

        snprintf(path, sizeof(path), "%s/a", dir);
        close(open(path, O_CREAT | O_WRONLY, 0600));
        stat(path, &a);
        snprintf(path, sizeof(path), "%s/b", dir);
        close(open(path, O_CREAT | O_WRONLY, 0600));
        stat(path, &b);
        snprintf(race_name, sizeof(race_name), "%s/a", dir);
        race_flip_at = strlen(dir) + 1;
        pthread_create(&writer, NULL, race_writer, NULL);
        for (long i = 0; i < n; i++) {
                long fd = syscall(SYS_openat, AT_FDCWD, race_name, O_RDONLY, 0);
                char after = race_name[race_flip_at];

                if (fd < 0 || fstat((int)fd, &st) < 0)
                        continue;
                printf("{\"fd\":%ld,\"opened\":\"%s\",\"after\":\"%c\"}\n", fd,
                       st.st_ino == a.st_ino   ? "a"
                       : st.st_ino == b.st_ino ? "b"
                                               : "?",
                       after);
        }
        atomic_store(&race_done, true);
        pthread_join(writer, NULL);
}

/* openat2's struct open_how in a mapped page nothing has read or written: the kernel faults it in. */
static void scenario_cold_how(const char *dir)
{
        struct open_how how = { .flags = O_WRONLY | O_CREAT | O_TRUNC, .mode = 0640 };
        char path[4096];
        void *page;
        long r;
        int fd;

        snprintf(path, sizeof(path), "%s/how.bin", dir);
        fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600); /* reported like any other open */
        if (fd < 0 || write(fd, &how, sizeof(how)) != (ssize_t)sizeof(how))
                return;
        page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (page == MAP_FAILED)
                return;
        snprintf(path, sizeof(path), "%s/cold", dir);
        r = syscall(SYS_openat2, AT_FDCWD, path, page, sizeof(how));
        printf("{\"syscall\":\"openat2\",\"result\":%ld,\"path_hex\":\"", r < 0 ? -errno : r);
        print_hex(path);
        printf("\"}\n");
        munmap(page, 4096);
}

static const char *park_fifo;

static void *park_one(void *arg)
{
        long fd = syscall(SYS_openat, AT_FDCWD, park_fifo, O_RDONLY, 0);

        (void)arg;
        return (void *)fd;
}

static void scenario_park(long n, const char *fifo)
{
        pthread_attr_t attr;
        pthread_t *threads = calloc((size_t)n, sizeof(*threads));
        long started = 0, opened = 0;

        park_fifo = fifo;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 64 << 10);
        for (long i = 0; i < n && threads; i++)
                if (pthread_create(&threads[i], &attr, park_one, NULL) == 0)
                        started++;
        printf("{\"parked\":%ld}\n", started);
        fflush(stdout);
        for (long i = 0; i < started; i++) {
                void *fd;

                pthread_join(threads[i], &fd);
                opened += (long)fd >= 0;
        }
        printf("{\"opened\":%ld}\n", opened);
        free(threads);
}

/* open_by_handle_at() of DIR/by-handle, and of the same handle made invalid. */
static void scenario_routes(const char *dir)
{
        struct {
                struct file_handle h;
                unsigned char bytes[MAX_HANDLE_SZ];
        } handle = { .h.handle_bytes = MAX_HANDLE_SZ };
        char path[4096];
        int mount_id, mount_fd, fd;
        int64_t before, after;
        long r;

        snprintf(path, sizeof(path), "%s/by-creat", dir);
        r = do_open("creat", AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
        if (r >= 0)
                close((int)r);
        snprintf(path, sizeof(path), "%s/by-handle", dir);
        fd = open(path, O_CREAT | O_WRONLY, 0600); /* reported as an openat like any other */
        printf("{\"syscall\":\"openat\",\"dirfd\":%d,\"flags\":%d,\"mode\":384,\"result\":%d,"
               "\"before_us\":0,\"after_us\":%lld,\"path_hex\":\"",
               AT_FDCWD, O_CREAT | O_WRONLY, fd, (long long)realtime_us());
        print_hex(path);
        printf("\"}\n");
        close(fd);
        mount_fd = open(dir, O_RDONLY | O_DIRECTORY);
        if (name_to_handle_at(AT_FDCWD, path, &handle.h, &mount_id, 0) < 0 || mount_fd < 0)
                return;
        for (int bad = 0; bad < 2; bad++) {
                if (bad) /* an empty handle: refused (EINVAL) on every file system; a type no file
                          * system knows is not (tmpfs, Debian 13's /tmp, ignores the type) */
                        handle.h.handle_bytes = 0;
                before = realtime_us();
                r = syscall(SYS_open_by_handle_at, mount_fd, &handle.h, O_RDONLY);
                if (r < 0)
                        r = -errno;
                after = realtime_us();
                printf("{\"syscall\":\"open_by_handle_at\",\"dirfd\":%d,\"flags\":%d,\"mode\":0,\"result\":%ld,"
                       "\"before_us\":%lld,\"after_us\":%lld,\"path_hex\":\"\",\"file_hex\":\"",
                       mount_fd, O_RDONLY, r, (long long)before, (long long)after);
                print_hex(path);
                printf("\"}\n");
                if (r >= 0)
                        close((int)r);
        }
        close(mount_fd);
}

/* One io_uring, by its system calls: what liburing does, without the dependency. */
struct uring {
        int fd;
        unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
        struct io_uring_sqe *sqes;
        struct io_uring_cqe *cqes;
};

static int uring_setup(struct uring *u, unsigned entries)
{
        struct io_uring_params p = { 0 };
        char *sq, *cq;

        u->fd = (int)syscall(SYS_io_uring_setup, entries, &p);
        if (u->fd < 0)
                return -errno;
        sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE, MAP_SHARED, u->fd,
                  IORING_OFF_SQ_RING);
        cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe), PROT_READ | PROT_WRITE, MAP_SHARED,
                  u->fd, IORING_OFF_CQ_RING);
        u->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED, u->fd,
                       IORING_OFF_SQES);
        if (sq == MAP_FAILED || cq == MAP_FAILED || u->sqes == MAP_FAILED)
                return -errno;
        u->sq_tail = (unsigned *)(sq + p.sq_off.tail);
        u->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
        u->sq_array = (unsigned *)(sq + p.sq_off.array);
        u->cq_head = (unsigned *)(cq + p.cq_off.head);
        u->cq_tail = (unsigned *)(cq + p.cq_off.tail);
        u->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
        u->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
        return 0;
}

/* Submits one request; returns 0 or -errno. */
static long uring_submit(struct uring *u, int op, int dfd, const char *path, int flags, mode_t mode, uint8_t sqe_flags)
{
        unsigned tail = *u->sq_tail, index = tail & *u->sq_mask;
        struct io_uring_sqe *sqe = &u->sqes[index];
        static struct open_how how;

        memset(sqe, 0, sizeof(*sqe));
        sqe->opcode = (uint8_t)op;
        sqe->fd = dfd;
        sqe->addr = (uint64_t)(uintptr_t)path;
        if (op == IORING_OP_OPENAT2) {
                how = (struct open_how){ .flags = (uint64_t)flags, .mode = mode };
                sqe->addr2 = (uint64_t)(uintptr_t)&how;
                sqe->len = sizeof(how);
        } else {
                sqe->open_flags = (uint32_t)flags;
                sqe->len = mode;
        }
        sqe->flags = sqe_flags;
        u->sq_array[index] = index;
        __atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
        return syscall(SYS_io_uring_enter, u->fd, 1, 0, 0, NULL, 0) < 0 ? -errno : 0;
}

/* Waits for the next completion; returns its result. */
static long uring_wait(struct uring *u)
{
        long r;

        while (__atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE) == *u->cq_head)
                if (syscall(SYS_io_uring_enter, u->fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 && errno != EINTR)
                        return -errno;
        r = u->cqes[*u->cq_head & *u->cq_mask].res;
        __atomic_store_n(u->cq_head, *u->cq_head + 1, __ATOMIC_RELEASE);
        return r;
}

/* Submits one request and, unless skip, waits for its completion; returns its result. */
static long uring_open(struct uring *u, int op, int dfd, const char *path, int flags, mode_t mode, bool skip)
{
        long r = uring_submit(u, op, dfd, path, flags, mode, skip ? IOSQE_CQE_SKIP_SUCCESS : 0);

        return r < 0 || skip ? r : uring_wait(u);
}

static void print_uring(const char *name, int dfd, int flags, mode_t mode, long r, const char *path, bool skip)
{
        printf("{\"syscall\":\"%s\",\"dirfd\":%d,\"flags\":%d,\"mode\":%u,\"result\":", name, dfd, flags,
               (unsigned)mode);
        if (skip)
                printf("\"unreported\"");
        else
                printf("%ld", r);
        printf(",\"path_hex\":\"");
        print_hex(path);
        printf("\"}\n");
}

static void scenario_uring(const char *dir)
{
        static const struct {
                int op;
                const char *name;
                bool at_dir; /* relative to an fd of DIR */
                int flags;
                mode_t mode;
                bool skip;
        } opens[] = {
                { IORING_OP_OPENAT, "by-uring", false, O_RDONLY, 0, false },
                { IORING_OP_OPENAT, "uring-missing", false, O_RDONLY, 0, false },
                { IORING_OP_OPENAT, "by-uring", true, O_RDONLY, 0, false },
                { IORING_OP_OPENAT2, "by-uring2", false, O_WRONLY | O_CREAT, 0640, false },
                { IORING_OP_OPENAT, "by-uring", false, O_RDONLY, 0, true },
        };
        char path[4096];
        struct uring u = { .fd = -1 };
        int dfd = open(dir, O_RDONLY | O_DIRECTORY), fd;

        snprintf(path, sizeof(path), "%s/by-uring", dir);
        fd = open(path, O_CREAT | O_WRONLY, 0600);
        if (fd < 0 || dfd < 0 || uring_setup(&u, 8) < 0) {
                fprintf(stderr, "opener: io_uring: %s\n", strerror(errno));
                exit(2);
        }
        close(fd);
        for (size_t i = 0; i < sizeof(opens) / sizeof(opens[0]); i++) {
                int at = opens[i].at_dir ? dfd : AT_FDCWD;
                long r;

                if (opens[i].at_dir)
                        snprintf(path, sizeof(path), "%s", opens[i].name);
                else
                        snprintf(path, sizeof(path), "%s/%s", dir, opens[i].name);
                r = uring_open(&u, opens[i].op, at, path, opens[i].flags, opens[i].mode, opens[i].skip);
                print_uring(opens[i].op == IORING_OP_OPENAT2 ? "io_uring_openat2" : "io_uring_openat", at,
                            opens[i].flags, opens[i].mode, r, path, opens[i].skip);
        }
        fflush(stdout);
}

/*
 * N openat() of a name another thread keeps rewriting between DIR/m/a and
 * DIR/m/b, neither of which exists: every open fails, and only the caller's
 * memory says what it was. Each line says what the name was right before and
 * right after the call.
 */
static void scenario_race_missing(const char *dir, long n)
{
        pthread_t writer;

        snprintf(race_name, sizeof(race_name), "%s/m", dir);
        mkdir(race_name, 0755);
        snprintf(race_name, sizeof(race_name), "%s/m/a", dir);
        race_flip_at = strlen(dir) + 3;
        pthread_create(&writer, NULL, race_writer, NULL);
        for (long i = 0; i < n; i++) {
                char before = race_name[race_flip_at];
                long r = syscall(SYS_openat, AT_FDCWD, race_name, O_RDONLY, 0);
                char after = race_name[race_flip_at];

                printf("{\"result\":%ld,\"before\":\"%c\",\"after\":\"%c\"}\n", r < 0 ? -errno : r, before, after);
        }
        atomic_store(&race_done, true);
        pthread_join(writer, NULL);
}

/*
 * An io_uring open of FIFO, which blocks in io_uring's worker until a writer
 * comes: IOSQE_ASYNC sends it there at once (tried inline first, it would be
 * made non-blocking, and a FIFO opened so for reading does not wait).
 */
static void scenario_uring_park(const char *fifo)
{
        struct uring u = { .fd = -1 };
        long r;

        if (uring_setup(&u, 8) < 0 ||
            uring_submit(&u, IORING_OP_OPENAT, AT_FDCWD, fifo, O_RDONLY, 0, IOSQE_ASYNC) < 0) {
                fprintf(stderr, "opener: io_uring: %s\n", strerror(errno));
                exit(2);
        }
        printf("{\"parked\":1}\n");
        fflush(stdout);
        r = uring_wait(&u);
        print_uring("io_uring_openat", AT_FDCWD, O_RDONLY, 0, r, fifo, false);
}

/* N parked opens of FIFO on one ring of 2N entries: submitted together, completed as a writer comes. */
static void scenario_uring_park_many(long n, const char *fifo)
{
        struct uring u = { .fd = -1 };
        long done = 0;

        if (n < 1 || n > 4096 || uring_setup(&u, (unsigned)(2 * n)) < 0) {
                fprintf(stderr, "opener: io_uring: %s\n", strerror(errno));
                exit(2);
        }
        for (long i = 0; i < n; i++)
                if (uring_submit(&u, IORING_OP_OPENAT, AT_FDCWD, fifo, O_RDONLY, 0, IOSQE_ASYNC) < 0) {
                        fprintf(stderr, "opener: io_uring: submitting %ld: %s\n", i, strerror(errno));
                        exit(2);
                }
        printf("{\"parked\":%ld}\n", n);
        fflush(stdout);
        while (done < n) {
                long r = uring_wait(&u);

                if (r >= 0)
                        close((int)r);
                done++;
        }
        printf("{\"completed\":%ld}\n", done);
}

/* Runs the program at path in a child; returns its pid, and in *ok 0 if it exited 0, else -1. */
static pid_t run_program(const char *path, int *ok)
{
        int status = 0;
        pid_t child;

        fflush(stdout);
        child = fork();
        if (child == 0) {
                execl(path, path, (char *)NULL);
                _exit(127);
        }
        waitpid(child, &status, 0);
        *ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
        return child;
}

/* Runs DIR/COMM (a copy of /bin/true) as "./COMM" from DIR, then fails to exec DIR/missing-exec. */
static void scenario_exec(const char *dir, const char *comm)
{
        char prog[4096], missing[4096], rel[256];
        int status = 0;
        pid_t child;

        snprintf(prog, sizeof(prog), "%s/%s", dir, comm);
        snprintf(missing, sizeof(missing), "%s/missing-exec", dir);
        snprintf(rel, sizeof(rel), "./%s", comm);
        if (system(NULL) == 0 || chdir(dir) < 0)
                exit(2);
        {
                char cmd[8300];

                snprintf(cmd, sizeof(cmd), "cp /bin/true '%s'", prog);
                if (system(cmd) != 0)
                        exit(2);
        }
        child = run_program(rel, &status);
        printf("{\"syscall\":\"exec\",\"pid\":%d,\"result\":%d,\"path_hex\":\"", (int)child, status);
        print_hex(rel);
        printf("\",\"file_hex\":\"");
        print_hex(prog);
        printf("\"}\n");
        /* a #! script, DIR/s/COMM, run as "s/COMM": its process runs /bin/sh */
        {
                char cmd[8400];

                snprintf(cmd, sizeof(cmd), "mkdir -p s && printf '#!/bin/sh\\nexit 0\\n' >'s/%s' && chmod +x 's/%s'",
                         comm, comm);
                if (system(cmd) != 0)
                        exit(2);
        }
        snprintf(rel, sizeof(rel), "s/%s", comm);
        child = run_program(rel, &status);
        printf("{\"syscall\":\"exec\",\"script\":true,\"pid\":%d,\"result\":%d,\"path_hex\":\"", (int)child, status);
        print_hex(rel);
        printf("\"}\n");
        execl(missing, missing, (char *)NULL);
        printf("{\"syscall\":\"exec\",\"pid\":%d,\"result\":%d,\"path_hex\":\"", (int)getpid(), -errno);
        print_hex(missing);
        printf("\"}\n");
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
        } else if (strcmp(argv[3], "distinct-for") == 0 && argc == 5) {
                printf("{\"opens\":%ld}\n", distinct_for(argv[2], strtod(argv[4], NULL)));
        } else if (strcmp(argv[3], "paced") == 0 && argc == 6) {
                printf("{\"opens\":%ld}\n", paced(argv[2], strtol(argv[4], NULL, 10), strtod(argv[5], NULL)));
        } else if (strcmp(argv[3], "again") == 0 && argc >= 6) {
                printf("{\"opens\":%ld}\n", again(strtol(argv[4], NULL, 10), argv + 5, argc - 5));
        } else if (strcmp(argv[3], "renamed-cwd") == 0 && argc == 5) {
                printf("{\"opens\":%ld}\n", renamed_cwd(argv[2], strtol(argv[4], NULL, 10)));
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
        } else if (strcmp(argv[3], "cold-how") == 0) {
                scenario_cold_how(argv[2]);
        } else if (strcmp(argv[3], "park") == 0 && argc == 6) {
                scenario_park(strtol(argv[4], NULL, 10), argv[5]);
        } else if (strcmp(argv[3], "race") == 0 && argc == 5) {
                scenario_race(argv[2], strtol(argv[4], NULL, 10));
        } else if (strcmp(argv[3], "routes") == 0) {
                scenario_routes(argv[2]);
        } else if (strcmp(argv[3], "race-missing") == 0 && argc == 5) {
                scenario_race_missing(argv[2], strtol(argv[4], NULL, 10));
        } else if (strcmp(argv[3], "uring") == 0) {
                scenario_uring(argv[2]);
        } else if (strcmp(argv[3], "uring-park") == 0 && argc == 5) {
                scenario_uring_park(argv[4]);
        } else if (strcmp(argv[3], "uring-park-many") == 0 && argc == 6) {
                scenario_uring_park_many(strtol(argv[4], NULL, 10), argv[5]);
        } else if (strcmp(argv[3], "exec") == 0) {
                scenario_exec(argv[2], argv[1]);
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
