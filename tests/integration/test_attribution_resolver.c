/* SPDX-License-Identifier: MIT */
/*
 * cgroup_resolver and cgroup_names against the real cgroup2 mount: cgroups
 * this test creates (and removes) are resolved from their ids, by handle and
 * by scan, and named. Needs root.
 *
 *   test_attribution_resolver           the tests
 *   test_attribution_resolver --bench N per-lookup cost over N fresh cgroups
 *   test_attribution_resolver --each-process
 *       for every process: PID, /proc/PID/cgroup's path, the resolver's path
 *       for that cgroup's id, unit, user unit, container id ("-": none), one
 *       tab-separated line each; to hold against `ps -o unit,uunit` (systemd's
 *       own reading) on a systemd system
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>

#include "cgroup_names.h"
#include "cgroup_resolver.h"

static char mount_point[PATH_MAX];
static char tag[17];
static char hex64[65];

/* Every directory this run created, removed in reverse at the end. */
static char **created;
static size_t n_created;

static uint64_t monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* mkdir -p of rel under the mount, remembering what it made. */
static void make_cgroup(const char *rel)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s%s", mount_point, rel);
        for (char *q = path + strlen(mount_point) + 1;; q++) {
                if (*q != '/' && *q != '\0')
                        continue;
                char c = *q;

                *q = '\0';
                if (mkdir(path, 0755) == 0) {
                        created = realloc(created, (n_created + 1) * sizeof(*created));
                        assert_non_null(created);
                        created[n_created++] = strdup(path);
                } else if (errno != EEXIST)
                        fail_msg("mkdir %s: %s", path, strerror(errno));
                *q = c;
                if (!c)
                        break;
        }
}

static void remove_created(void)
{
        /* Parents another test also uses may be busy: theirs to remove. */
        while (n_created > 0) {
                char *p = created[--n_created];

                if (rmdir(p) < 0 && errno != ENOTEMPTY && errno != EBUSY && errno != ENOENT)
                        fprintf(stderr, "rmdir %s: %s\n", p, strerror(errno));
                free(p);
        }
}

static uint64_t cgroup_id(const char *rel)
{
        char path[PATH_MAX];
        union {
                struct file_handle fh;
                unsigned char buf[sizeof(struct file_handle) + 64];
        } h;
        struct stat st;
        uint64_t handle_id;
        int mnt;

        snprintf(path, sizeof(path), "%s%s", mount_point, rel);
        assert_int_equal(stat(path, &st), 0);
        /* The inode is the id: the kernel's own file handle for the directory says so. */
        h.fh.handle_bytes = 64;
        assert_int_equal(name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0), 0);
        assert_int_equal(h.fh.handle_type, 0xfe);
        assert_int_equal(h.fh.handle_bytes, 8);
        memcpy(&handle_id, h.fh.f_handle, 8);
        assert_int_equal(handle_id, st.st_ino);
        return st.st_ino;
}

struct shape {
        char path[PATH_MAX];
        char unit[CGROUP_UNIT_NAME_MAX];
        char user_unit[CGROUP_UNIT_NAME_MAX];
        const char *container_id;
};

static struct shape shapes[3];

static void shapes_init(void)
{
        snprintf(shapes[0].path, PATH_MAX, "/test.slice/x-%s.service", tag);
        snprintf(shapes[0].unit, CGROUP_UNIT_NAME_MAX, "x-%s.service", tag);
        shapes[0].container_id = "";
        snprintf(shapes[1].path, PATH_MAX, "/system.slice/docker-%s.scope", hex64);
        snprintf(shapes[1].unit, CGROUP_UNIT_NAME_MAX, "docker-%s.scope", hex64);
        shapes[1].container_id = hex64;
        snprintf(shapes[2].path, PATH_MAX, "/user.slice/user-1000.slice/user@1000.service/app.slice/y-%s.service", tag);
        snprintf(shapes[2].unit, CGROUP_UNIT_NAME_MAX, "user@1000.service");
        snprintf(shapes[2].user_unit, CGROUP_UNIT_NAME_MAX, "y-%s.service", tag);
        shapes[2].container_id = "";
}

/* Each shape, resolved from its id and named. */
static void check_shapes(struct cgroup_resolver *r)
{
        for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
                struct cgroup_names n;
                const char *path = NULL;

                assert_int_equal(cgroup_resolver_lookup(r, cgroup_id(shapes[i].path), &path), 0);
                assert_string_equal(path, shapes[i].path);
                assert_int_equal(cgroup_names_from_path(path, &n), 0);
                assert_string_equal(n.unit, shapes[i].unit);
                assert_string_equal(n.user_unit, shapes[i].user_unit);
                assert_string_equal(n.container_id, shapes[i].container_id);
        }
}

static int group_setup(void **state)
{
        unsigned char rnd[40];
        FILE *f;
        int k;

        (void)state;
        f = fopen("/proc/self/mountinfo", "re");
        assert_non_null(f);
        k = cgroup2_mount_from_mountinfo(f, mount_point, sizeof(mount_point));
        fclose(f);
        if (k < 0) {
                fprintf(stderr, "no cgroup2 mount: %s\n", strerror(-k));
                return -1;
        }
        assert_int_equal(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
        for (int i = 0; i < 8; i++)
                sprintf(tag + 2 * i, "%02x", rnd[i]);
        for (int i = 0; i < 32; i++)
                sprintf(hex64 + 2 * i, "%02x", rnd[8 + i]);
        shapes_init();
        for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
                make_cgroup(shapes[i].path);
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        remove_created();
        return 0;
}

static void test_by_handle(void **state)
{
        struct cgroup_resolver *r = NULL;
        struct cgroup_resolver_stats st;
        const char *path;
        struct stat root;

        (void)state;
        assert_int_equal(cgroup_resolver_new(&r), 0);
        assert_string_equal(cgroup_resolver_mount(r), mount_point);
        check_shapes(r);
        cgroup_resolver_get_stats(r, &st);
        assert_false(st.scan_only); /* root has CAP_DAC_READ_SEARCH */
        assert_int_equal(st.by_handle, 3);
        assert_int_equal(st.scans, 0);

        /* again: from the cache, no system call */
        check_shapes(r);
        cgroup_resolver_get_stats(r, &st);
        assert_int_equal(st.by_handle, 3);
        assert_int_equal(st.cached, 3);
        assert_int_equal(st.entries, 3);

        assert_int_equal(stat(mount_point, &root), 0);
        assert_int_equal(cgroup_resolver_lookup(r, root.st_ino, &path), 0);
        assert_string_equal(path, "/");
        r = cgroup_resolver_free(r);
        assert_null(r);
}

static void test_by_scan(void **state)
{
        struct cgroup_resolver *r = NULL;
        struct cgroup_resolver_stats st;

        (void)state;
        assert_int_equal(cgroup_resolver_new_full(NULL, CGROUP_RESOLVER_SCAN_ONLY, &r), 0);
        check_shapes(r);
        cgroup_resolver_get_stats(r, &st);
        assert_true(st.scan_only);
        assert_int_equal(st.by_handle, 0);
        /* the first scan cached the others on its way */
        assert_int_equal(st.scans, 1);
        assert_int_equal(st.cached, 2);
        cgroup_resolver_free(r);
}

/* The kernel's own path for a process in the cgroup is the resolver's. */
static void test_matches_member_process(void **state)
{
        struct cgroup_resolver *r = NULL;
        char procs[2 * PATH_MAX + 16], file[64], line[PATH_MAX + 8], want[PATH_MAX + 8];
        const char *path;
        int pipefd[2], status;
        pid_t pid;
        FILE *f;
        bool seen = false;

        (void)state;
        assert_int_equal(pipe(pipefd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;

                close(pipefd[1]);
                _exit(read(pipefd[0], &c, 1) < 0);
        }
        close(pipefd[0]);
        snprintf(procs, sizeof(procs), "%s%s/cgroup.procs", mount_point, shapes[2].path);
        f = fopen(procs, "we");
        assert_non_null(f);
        fprintf(f, "%d\n", (int)pid);
        assert_int_equal(fclose(f), 0);

        assert_int_equal(cgroup_resolver_new(&r), 0);
        assert_int_equal(cgroup_resolver_lookup(r, cgroup_id(shapes[2].path), &path), 0);
        snprintf(want, sizeof(want), "0::%s\n", path);
        snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
        f = fopen(file, "re");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f))
                if (strcmp(line, want) == 0)
                        seen = true;
        fclose(f);
        close(pipefd[1]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_true(seen);
        cgroup_resolver_free(r);
}

static void check_gone(unsigned flags)
{
        struct cgroup_resolver *r = NULL;
        struct cgroup_resolver_stats st, st2;
        char rel[PATH_MAX], abs[2 * PATH_MAX];
        const char *path = NULL;
        uint64_t id;

        snprintf(rel, sizeof(rel), "/test.slice/gone-%s.service", tag);
        make_cgroup(rel);
        id = cgroup_id(rel);
        snprintf(abs, sizeof(abs), "%s%s", mount_point, rel);
        assert_int_equal(rmdir(abs), 0);
        n_created--;
        free(created[n_created]);

        assert_int_equal(cgroup_resolver_new_full(NULL, flags, &r), 0);
        assert_int_equal(cgroup_resolver_lookup(r, id, &path), -ENOENT);
        cgroup_resolver_get_stats(r, &st);
        assert_int_equal(st.gone, 1);
        /* remembered: no second handle or scan */
        assert_int_equal(cgroup_resolver_lookup(r, id, &path), -ENOENT);
        cgroup_resolver_get_stats(r, &st2);
        assert_int_equal(st2.by_handle, st.by_handle);
        assert_int_equal(st2.scans, st.scans);
        assert_int_equal(st2.cached, st.cached + 1);
        cgroup_resolver_free(r);
}

static void test_removed_by_handle(void **state)
{
        (void)state;
        check_gone(0);
}

static void test_removed_by_scan(void **state)
{
        (void)state;
        check_gone(CGROUP_RESOLVER_SCAN_ONLY);
}

/* Resolved, then removed: still named from the cache (ids are never reused). */
static void test_removed_after_lookup(void **state)
{
        struct cgroup_resolver *r = NULL;
        char rel[PATH_MAX], abs[2 * PATH_MAX];
        const char *path = NULL;
        uint64_t id;

        (void)state;
        snprintf(rel, sizeof(rel), "/test.slice/later-%s.service", tag);
        make_cgroup(rel);
        id = cgroup_id(rel);
        assert_int_equal(cgroup_resolver_new(&r), 0);
        assert_int_equal(cgroup_resolver_lookup(r, id, &path), 0);
        snprintf(abs, sizeof(abs), "%s%s", mount_point, rel);
        assert_int_equal(rmdir(abs), 0);
        n_created--;
        free(created[n_created]);
        assert_int_equal(cgroup_resolver_lookup(r, id, &path), 0);
        assert_string_equal(path, rel);
        cgroup_resolver_free(r);
}

/* Ids no cgroup has: the cache stays bounded, and a hot entry survives the evictions. */
static void test_cache_bounded(void **state)
{
        struct cgroup_resolver *r = NULL;
        struct cgroup_resolver_stats st;
        const char *path;
        uint64_t hot = cgroup_id(shapes[0].path);

        (void)state;
        assert_int_equal(cgroup_resolver_new(&r), 0);
        for (uint64_t i = 0; i < 3 * CGROUP_RESOLVER_CACHE_MAX; i++) {
                assert_int_equal(cgroup_resolver_lookup(r, (UINT64_C(1) << 62) + i, &path), -ENOENT);
                if (i % 500 == 0) {
                        assert_int_equal(cgroup_resolver_lookup(r, hot, &path), 0);
                        assert_string_equal(path, shapes[0].path);
                }
                cgroup_resolver_get_stats(r, &st);
                assert_true(st.entries <= CGROUP_RESOLVER_CACHE_MAX);
        }
        assert_int_equal(st.entries, CGROUP_RESOLVER_CACHE_MAX);
        assert_int_equal(st.evictions, 3 * CGROUP_RESOLVER_CACHE_MAX + 1 - CGROUP_RESOLVER_CACHE_MAX);
        assert_int_equal(st.gone, 3 * CGROUP_RESOLVER_CACHE_MAX);
        /* the hot id was resolved once, and only ever found in the cache after that */
        assert_int_equal(st.by_handle, 3 * CGROUP_RESOLVER_CACHE_MAX + 1);
        cgroup_resolver_free(r);
}

/* Unknown ids cannot make the scanner walk the tree more often than its budget allows. */
static void test_scan_budget(void **state)
{
        struct cgroup_resolver *r = NULL;
        struct cgroup_resolver_stats st;
        const char *path;
        uint64_t start, elapsed;

        (void)state;
        assert_int_equal(cgroup_resolver_new_full(NULL, CGROUP_RESOLVER_SCAN_ONLY, &r), 0);
        start = monotonic_ns();
        for (uint64_t i = 0; i < 20; i++) {
                int k = cgroup_resolver_lookup(r, (UINT64_C(1) << 61) + i, &path);

                assert_true(k == -ENOENT || k == -EAGAIN);
        }
        elapsed = monotonic_ns() - start;
        cgroup_resolver_get_stats(r, &st);
        assert_int_equal(st.scans + st.scans_refused, 20);
        assert_int_equal(st.gone, st.scans);
        assert_true(st.scans >= 1);
        /* one scan, then at most one per gap (and the gap is never shorter than the minimum) */
        assert_true(st.scans <= 1 + elapsed / ((uint64_t)CGROUP_RESOLVER_SCAN_GAP_MS * 1000000u));
        assert_true(st.scan_ns > 0);
        cgroup_resolver_free(r);
}

/*
 * Without CAP_DAC_READ_SEARCH: the kernel either refuses open_by_handle_at()
 * (the resolver then scans) or, on kernels that relaxed the check, allows it.
 * The answer must be right either way.
 */
static void test_without_dac_read_search(void **state)
{
        int status;
        pid_t pid;

        (void)state;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
                struct __user_cap_data_struct data[2];
                struct cgroup_resolver *r = NULL;
                struct cgroup_resolver_stats st;
                const char *path = NULL;

                if (syscall(SYS_capget, &hdr, data) < 0)
                        _exit(10);
                data[CAP_DAC_READ_SEARCH / 32].effective &= ~(1u << (CAP_DAC_READ_SEARCH % 32));
                if (syscall(SYS_capset, &hdr, data) < 0)
                        _exit(11);
                if (cgroup_resolver_new(&r) < 0)
                        _exit(12);
                if (cgroup_resolver_lookup(r, cgroup_id(shapes[1].path), &path) < 0)
                        _exit(13);
                if (strcmp(path, shapes[1].path) != 0)
                        _exit(14);
                cgroup_resolver_get_stats(r, &st);
                printf("without CAP_DAC_READ_SEARCH: %s\n",
                       st.scan_only ? "open_by_handle_at refused, resolved by scan" : "open_by_handle_at allowed");
                fflush(stdout);
                cgroup_resolver_free(r);
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* Lookups of ids[0..n) (offset: ids no cgroup has), ns each; failures counted. */
static double timed_lookups(struct cgroup_resolver *r, const uint64_t *ids, unsigned n, unsigned rounds,
                            unsigned *failed)
{
        uint64_t start = monotonic_ns();
        const char *path;

        *failed = 0;
        for (unsigned k = 0; k < rounds; k++)
                for (unsigned i = 0; i < n; i++)
                        *failed += cgroup_resolver_lookup(r, ids[i], &path) < 0;
        return (double)(monotonic_ns() - start) / ((double)n * rounds);
}

static int bench(unsigned n)
{
        struct cgroup_resolver *r = NULL;
        uint64_t *ids, *unknown, start;
        char rel[PATH_MAX];
        const char *path;
        unsigned failed;
        double t;

        if (n == 0 || group_setup(NULL) < 0)
                return 1;
        ids = calloc(n, sizeof(*ids));
        unknown = calloc(n, sizeof(*unknown));
        assert_true(ids && unknown);
        for (unsigned i = 0; i < n; i++) {
                snprintf(rel, sizeof(rel), "/test.slice/bench-%s.slice/c%u.service", tag, i);
                make_cgroup(rel);
                ids[i] = cgroup_id(rel);
                unknown[i] = (UINT64_C(1) << 60) + i;
        }
        printf("%u cgroups, cache of %d\n", n, CGROUP_RESOLVER_CACHE_MAX);

        assert_int_equal(cgroup_resolver_new(&r), 0);
        t = timed_lookups(r, ids, n, 1, &failed);
        printf("uncached, open_by_handle_at: %.0f ns/lookup (%u failed)\n", t, failed);
        t = timed_lookups(r, ids, n, 100, &failed);
        printf("cached: %.1f ns/lookup (%u failed)\n", t, failed);
        r = cgroup_resolver_free(r);

        assert_int_equal(cgroup_resolver_new(&r), 0);
        t = timed_lookups(r, unknown, n, 1, &failed);
        printf("unknown id, uncached: %.0f ns/lookup (%u gone)\n", t, failed);
        t = timed_lookups(r, unknown, n, 100, &failed);
        printf("unknown id, cached: %.1f ns/lookup (%u gone)\n", t, failed);
        r = cgroup_resolver_free(r);

        assert_int_equal(cgroup_resolver_new_full(NULL, CGROUP_RESOLVER_SCAN_ONLY, &r), 0);
        start = monotonic_ns();
        failed = cgroup_resolver_lookup(r, ids[n - 1], &path) < 0;
        printf("scan-only, first lookup (walks the tree, caches what it passes): %.0f us (%u failed)\n",
               (double)(monotonic_ns() - start) / 1000, failed);
        t = timed_lookups(r, ids, n, 1, &failed);
        printf("scan-only, then: %.1f ns/lookup (%u refused or failed)\n", t, failed);
        cgroup_resolver_free(r);

        free(ids);
        free(unknown);
        remove_created();
        free(created);
        return 0;
}

static int each_process(void)
{
        struct cgroup_resolver *r = NULL;
        struct dirent *de;
        DIR *proc;
        int k;

        k = cgroup_resolver_new(&r);
        if (k < 0) {
                fprintf(stderr, "cgroup_resolver_new: %s\n", strerror(-k));
                return 1;
        }
        snprintf(mount_point, sizeof(mount_point), "%s", cgroup_resolver_mount(r));
        proc = opendir("/proc");
        if (!proc)
                return 1;
        while ((de = readdir(proc))) {
                char file[300], line[PATH_MAX + 8], abs[2 * PATH_MAX + 16];
                const char *path = NULL, *own = NULL;
                struct cgroup_names n = { 0 };
                struct stat st;
                FILE *f;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(file, sizeof(file), "/proc/%s/cgroup", de->d_name);
                f = fopen(file, "re");
                if (!f)
                        continue;
                while (fgets(line, sizeof(line), f))
                        if (strncmp(line, "0::", 3) == 0) {
                                line[strcspn(line, "\n")] = '\0';
                                own = line + 3;
                                break;
                        }
                fclose(f);
                if (!own)
                        continue;
                snprintf(abs, sizeof(abs), "%s%s", mount_point, own);
                if (stat(abs, &st) < 0)
                        continue; /* gone meanwhile */
                k = cgroup_resolver_lookup(r, st.st_ino, &path);
                if (k == 0)
                        cgroup_names_from_path(path, &n);
                printf("%s\t%s\t%s\t%s\t%s\t%s\n", de->d_name, own, k == 0 ? path : strerror(-k),
                       n.unit[0] ? n.unit : "-", n.user_unit[0] ? n.user_unit : "-",
                       n.container_id[0] ? n.container_id : "-");
        }
        closedir(proc);
        cgroup_resolver_free(r);
        return 0;
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_by_handle),
                cmocka_unit_test(test_by_scan),
                cmocka_unit_test(test_matches_member_process),
                cmocka_unit_test(test_removed_by_handle),
                cmocka_unit_test(test_removed_by_scan),
                cmocka_unit_test(test_removed_after_lookup),
                cmocka_unit_test(test_cache_bounded),
                cmocka_unit_test(test_scan_budget),
                cmocka_unit_test(test_without_dac_read_search),
        };
        int k;

        signal(SIGPIPE, SIG_IGN); /* a closed pipe must not skip the clean-up */
        if (geteuid() != 0) {
                fprintf(stderr, "SKIPPED LOUDLY: needs root (creates cgroups)\n");
                return 77;
        }
        if (argc == 2 && strcmp(argv[1], "--each-process") == 0)
                return each_process();
        if (argc == 3 && strcmp(argv[1], "--bench") == 0)
                return bench((unsigned)strtoul(argv[2], NULL, 10));
        k = cmocka_run_group_tests(tests, group_setup, group_teardown);
        free(created);
        return k;
}
