/* SPDX-License-Identifier: MIT */
/*
 * Whether journald rate-limits us, worked out from files laid out as on a
 * real system under a temporary root; and the notices it writes.
 */
#include "test_helpers.h"

#include <sys/stat.h>
#include <unistd.h>

#include "journald_limits.h"

static void test_unit_of_cgroup(void **state)
{
        static const struct {
                const char *path, *unit;
        } cases[] = {
                { "/system.slice/opensnoopd.service", "opensnoopd.service" },
                { "/opensnoopd.service", "opensnoopd.service" },
                { "/user.slice/user-0.slice/session-3.scope", "session-3.scope" },
                { "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service", "user@1000.service" },
                { "/", "" },
                { "", "" },
                { "/process_api/e06ed89a2726", "" },
                { "/system.slice", "" },
                { "/system.slice/.service", "" },
        };
        char unit[256];

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                journald_unit_of_cgroup(cases[i].path, unit, sizeof(unit));
                assert_string_equal(unit, cases[i].unit);
        }
}

static void test_cgroup_of(void **state)
{
        char path[512];

        (void)state;
        journald_cgroup_of("0::/system.slice/opensnoopd.service\n", path, sizeof(path));
        assert_string_equal(path, "/system.slice/opensnoopd.service");
        /* hybrid, processes placed only in the named hierarchy */
        journald_cgroup_of("9:name=systemd:/system.slice/x.service\n8:pids:/\n0::/\n", path, sizeof(path));
        assert_string_equal(path, "/system.slice/x.service");
        journald_cgroup_of("9:name=systemd:/\n0::/osd.service\n", path, sizeof(path));
        assert_string_equal(path, "/osd.service");
        journald_cgroup_of("0::/\n", path, sizeof(path));
        assert_string_equal(path, "/");
}

static void test_suppressed_count(void **state)
{
        static const char m[] = "Suppressed 68084 messages from opensnoopd.service";

        (void)state;
        assert_int_equal(journald_suppressed_count(m, strlen(m), "opensnoopd.service"), 68084);
        assert_int_equal(journald_suppressed_count(m, strlen(m), "opensnoopd.servic"), -1);
        assert_int_equal(journald_suppressed_count(m, strlen(m), "other.service"), -1);
        assert_int_equal(journald_suppressed_count(m, strlen(m) - 1, "opensnoopd.service"), -1);
        assert_int_equal(journald_suppressed_count("Suppressed  messages from a.service", 35, "a.service"), -1);
        assert_int_equal(journald_suppressed_count("Suppressed 99999999999999999999999 messages from a.service", 58,
                                                   "a.service"),
                         -1);
}

static char root[64];

static void put(const char *path, const char *text)
{
        char full[512];
        FILE *f;

        snprintf(full, sizeof(full), "%s%s", root, path);
        f = fopen(full, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void dir(const char *path)
{
        char full[512];

        snprintf(full, sizeof(full), "%s%s", root, path);
        assert_int_equal(mkdir(full, 0755), 0);
}

static void test_detect(void **state)
{
        struct journald_limits l;
        char line[1024], cmd[128];

        (void)state;
        snprintf(root, sizeof(root), "/tmp/opensnoopd-jl-XXXXXX");
        assert_non_null(mkdtemp(root));
        dir("/proc");
        dir("/proc/self");
        dir("/etc");
        dir("/etc/systemd");
        dir("/run");
        dir("/run/systemd");
        dir("/run/systemd/units");
        dir("/usr");
        dir("/usr/lib");
        dir("/usr/lib/systemd");

        /* not in a unit: never limited */
        put("/proc/self/cgroup", "0::/\n");
        assert_int_equal(journald_limits_detect(root, NULL, &l), 0);
        assert_false(journald_limits_apply(&l));
        journald_limits_describe(&l, line, sizeof(line));
        assert_string_equal(line, "journald does not rate-limit this process: its cgroup (/) names no unit");

        /* in a unit, no configuration: journald's defaults */
        put("/proc/self/cgroup", "0::/system.slice/opensnoopd.service\n");
        assert_int_equal(journald_limits_detect(root, NULL, &l), 0);
        assert_true(journald_limits_apply(&l));
        assert_int_equal(l.interval_usec, 30000000);
        assert_int_equal(l.burst, 10000);
        assert_string_equal(l.source, "journald's defaults");

        /* journald.conf, then drop-ins by name across directories; /etc hides the same name elsewhere */
        put("/etc/systemd/journald.conf", "[Journal]\n#RateLimitBurst=1\nRateLimitIntervalSec=10s\n");
        dir("/etc/systemd/journald.conf.d");
        dir("/usr/lib/systemd/journald.conf.d");
        put("/usr/lib/systemd/journald.conf.d/10-a.conf", "[Journal]\nRateLimitBurst=500\n");
        put("/usr/lib/systemd/journald.conf.d/20-b.conf", "[Journal]\nRateLimitBurst=0\n");
        put("/etc/systemd/journald.conf.d/20-b.conf", "[Journal]\nRateLimitBurst = 700\n");
        assert_int_equal(journald_limits_detect(root, NULL, &l), 0);
        assert_int_equal(l.interval_usec, 10000000);
        assert_int_equal(l.burst, 700);
        assert_string_equal(l.source, "/etc/systemd/journald.conf.d/20-b.conf");
        journald_limits_describe(&l, line, sizeof(line));
        assert_string_equal(line, "journald rate-limits opensnoopd.service: 700 entries per 10000 ms per priority, "
                                  "raised with free disk space (from /etc/systemd/journald.conf.d/20-b.conf); "
                                  "entries it drops are counted as suppressed");

        /* RateLimitIntervalSec=0 turns it off */
        put("/etc/systemd/journald.conf.d/30-off.conf", "[Journal]\nRateLimitIntervalSec=0\n");
        assert_int_equal(journald_limits_detect(root, NULL, &l), 0);
        assert_false(journald_limits_apply(&l));

        /* a namespace reads journald@NAME.conf instead */
        put("/etc/systemd/journald@osd.conf", "[Journal]\nRateLimitIntervalSec=30s\nRateLimitBurst=100\n");
        assert_int_equal(journald_limits_detect(root, "osd", &l), 0);
        assert_true(journald_limits_apply(&l));
        assert_int_equal(l.burst, 100);

        /* the unit's own LogRateLimit*= win */
        snprintf(line, sizeof(line), "%s/run/systemd/units/log-rate-limit-interval:opensnoopd.service", root);
        assert_int_equal(symlink("1s", line), 0);
        snprintf(line, sizeof(line), "%s/run/systemd/units/log-rate-limit-burst:opensnoopd.service", root);
        assert_int_equal(symlink("1000000", line), 0);
        assert_int_equal(journald_limits_detect(root, NULL, &l), 0);
        assert_true(journald_limits_apply(&l));
        assert_int_equal(l.interval_usec, 1000000);
        assert_int_equal(l.burst, 1000000);

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unit_of_cgroup),
                cmocka_unit_test(test_cgroup_of),
                cmocka_unit_test(test_suppressed_count),
                cmocka_unit_test(test_detect),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
