/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "cgroup_names.h"

#define ID64     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID64B    "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define POD      "pod7d3f6a1e-1b2c-4d5e-8f90-a1b2c3d4e5f6"
#define PODSLICE "kubepods-burstable-pod7d3f6a1e_1b2c_4d5e_8f90_a1b2c3d4e5f6.slice"

/* The three names of path, "" where there is none. */
static void names_are(const char *path, const char *unit, const char *user_unit, const char *container_id)
{
        struct cgroup_names n;

        memset(&n, 'x', sizeof(n));
        assert_int_equal(cgroup_names_from_path(path, &n), 0);
        if (strcmp(n.unit, unit) || strcmp(n.user_unit, user_unit) || strcmp(n.container_id, container_id))
                fail_msg("\"%s\": unit \"%s\" user unit \"%s\" container \"%s\"; expected \"%s\" \"%s\" \"%s\"", path,
                         n.unit, n.user_unit, n.container_id, unit, user_unit, container_id);
}

static void rejected(const char *path)
{
        struct cgroup_names n;

        memset(&n, 'x', sizeof(n));
        assert_int_equal(cgroup_names_from_path(path, &n), -EINVAL);
        assert_string_equal(n.unit, "");
        assert_string_equal(n.user_unit, "");
        assert_string_equal(n.container_id, "");
}

static void test_system_units(void **state)
{
        (void)state;
        names_are("/system.slice/nginx.service", "nginx.service", "", "");
        names_are("/system.slice/foo.service/sub", "foo.service", "", "");
        names_are("/system.slice/foo.service/sub/bar.service", "foo.service", "", "");
        names_are("/system.slice/foo.service/", "foo.service", "", "");
        names_are("/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service", "", "");
        names_are("/system.slice/system-waldo.slice/_cpu.service/x", "cpu.service", "", "");
        names_are("/system.slice/var-lib-x.mount", "var-lib-x.mount", "", "");
        names_are("/system.slice/systemd-fsck@dev-disk-by\\x2duuid-1234.service",
                  "systemd-fsck@dev-disk-by\\x2duuid-1234.service", "", "");
        names_are("/init.scope", "init.scope", "", "");
        names_are("/test.slice/x-abc123.service", "x-abc123.service", "", "");
        names_are("//system.slice//foo.service//sub", "foo.service", "", "");
}

static void test_no_unit(void **state)
{
        (void)state;
        names_are("/", "", "", "");
        names_are("/system.slice", "", "", "");
        names_are("/user.slice/user-1000.slice", "", "", "");
        names_are("/foobar", "", "", "");
        names_are("/.service", "", "", "");
        names_are("/system.slice/.service", "", "", "");
        names_are("/system.slice/foo.", "", "", "");
        names_are("/system.slice/foo.bogus", "", "", "");
        names_are("/system.slice/getty@.service", "", "", ""); /* a template */
        names_are("/system.slice/@tty1.service", "", "", "");
        names_are("/system.slice/getty####@tty6.service/x", "", "", "");
        names_are("/system.slice/foo@bar.slice/x.service", "", "", ""); /* not a slice, not a unit */
        names_are("/system.slice/a.s", "", "", "");
}

static void test_user_units(void **state)
{
        (void)state;
        names_are("/user.slice/user-1000.slice/user@1000.service", "user@1000.service", "", "");
        names_are("/user.slice/user-1000.slice/user@1000.service/app.slice/y-abc.service", "user@1000.service",
                  "y-abc.service", "");
        names_are("/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome.slice/z.scope/sub",
                  "user@1000.service", "z.scope", "");
        names_are("/user.slice/user-1000.slice/user@1000.service/init.scope", "user@1000.service", "init.scope", "");
        names_are("/user.slice/user-1000.slice/user@1000.service/app.slice", "user@1000.service", "", "");
        names_are("/user.slice/user-0.slice/user@0.service/a.service", "user@0.service", "a.service", "");
        /* not a user manager: a template, a bad uid */
        names_are("/user.slice/user-1000.slice/user@.service/a.service", "", "", "");
        names_are("/user.slice/user-1000.slice/user@abc.service/a.service", "user@abc.service", "", "");
        names_are("/user.slice/user-1000.slice/user@01000.service/a.service", "user@01000.service", "", "");
        names_are("/user.slice/user@4294967295.service/a.service", "user@4294967295.service", "", "");
        names_are("/user.slice/user@65535.service/a.service", "user@65535.service", "", "");
        names_are("/user.slice/user@4294967294.service/a.service", "user@4294967294.service", "a.service", "");
}

static void test_sessions(void **state)
{
        (void)state;
        names_are("/user.slice/user-1000.slice/session-3.scope", "session-3.scope", "", "");
        names_are("/user.slice/user-1000.slice/session-c2.scope/foo.service", "session-c2.scope", "foo.service", "");
        names_are("/session-2.scope/x.slice/foo@pie.service/a/b", "session-2.scope", "foo@pie.service", "");
        names_are("/user.slice/user-1000.slice/session-.scope/foo.service", "session-.scope", "", "");
        names_are("/user.slice/user-1000.slice/session-a_b.scope/foo.service", "session-a_b.scope", "", "");
}

static void test_containers(void **state)
{
        (void)state;
        names_are("/system.slice/docker-" ID64 ".scope", "docker-" ID64 ".scope", "", ID64);
        names_are("/system.slice/docker-" ID64 ".scope/init.scope", "docker-" ID64 ".scope", "", ID64);
        names_are("/docker/" ID64, "", "", ID64);
        names_are("/docker/" ID64 "/docker/" ID64B, "", "", ID64B); /* innermost */
        names_are("/kubepods/burstable/" POD "/" ID64, "", "", ID64);
        names_are("/kubepods/" POD "/" ID64, "", "", ID64);
        names_are("/kubepods/besteffort/" POD "/crio-" ID64, "", "", ID64);
        names_are("/kubepods.slice/kubepods-burstable.slice/" PODSLICE "/cri-containerd-" ID64 ".scope",
                  "cri-containerd-" ID64 ".scope", "", ID64);
        names_are("/kubepods.slice/kubepods-burstable.slice/" PODSLICE "/crio-" ID64 ".scope/container",
                  "crio-" ID64 ".scope", "", ID64);
        names_are("/machine.slice/libpod-" ID64 ".scope", "libpod-" ID64 ".scope", "", ID64);
        names_are("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope", "user@1000.service",
                  "libpod-" ID64 ".scope", ID64);
        names_are("/libpod_parent/libpod-" ID64, "", "", ID64);
        /* conmon is the monitor, not the container */
        names_are("/machine.slice/libpod-conmon-" ID64 ".scope", "libpod-conmon-" ID64 ".scope", "", "");
        names_are("/kubepods.slice/crio-conmon-" ID64 ".scope", "crio-conmon-" ID64 ".scope", "", "");
}

static void test_not_container_ids(void **state)
{
        static const char id63[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";
        static const char id65[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0";
        static const char upper[] = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";
        static const char nonhex[] = "0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef";
        char path[512];

        (void)state;
        snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", id63);
        names_are(path, path + strlen("/system.slice/"), "", "");
        snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", id65);
        names_are(path, path + strlen("/system.slice/"), "", "");
        snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", upper);
        names_are(path, path + strlen("/system.slice/"), "", "");
        snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", nonhex);
        names_are(path, path + strlen("/system.slice/"), "", "");
        snprintf(path, sizeof(path), "/docker/%s", id63);
        names_are(path, "", "", "");
        snprintf(path, sizeof(path), "/docker/%s", nonhex);
        names_are(path, "", "", "");
        /* a 64-hex name in the wrong place, or a runtime without the id */
        names_are("/" ID64, "", "", "");
        names_are("/system.slice/" ID64, "", "", "");
        names_are("/pod1/" ID64, "", "", "");
        names_are("/kubepods/burstable/" ID64, "", "", "");
        names_are("/system.slice/rkt-" ID64 ".scope", "rkt-" ID64 ".scope", "", "");
        names_are("/system.slice/docker-.scope", "docker-.scope", "", "");
        names_are("/system.slice/docker-" ID64 ".service", "docker-" ID64 ".service", "", "");
}

static void test_hostile(void **state)
{
        char *p;
        size_t n;

        (void)state;
        rejected(NULL);
        rejected("");
        rejected("system.slice/foo.service");
        rejected("/system.slice/../foo.service");
        rejected("/..");
        rejected("/system.slice/./foo.service");
        rejected("/docker/" ID64 "/..");
        names_are("/...", "", "", "");
        names_are("/system.slice/..foo.service", "..foo.service", "", ""); /* not "..": systemd allows dots */

        /* very long: components past a unit's 255 bytes are not units; nothing overflows */
        n = 100000;
        p = malloc(n + 1);
        assert_non_null(p);
        p[0] = '/';
        memset(p + 1, 'a', n - 1);
        memcpy(p + n - 8, ".service", 8);
        p[n] = '\0';
        names_are(p, "", "", "");
        /* a unit name of exactly 255 bytes is valid, 256 is not */
        memset(p, 'a', 300);
        p[0] = '/';
        memcpy(p + 1 + 255 - 8, ".service", 9);
        names_are(p, p + 1, "", "");
        memset(p, 'a', 300);
        p[0] = '/';
        memcpy(p + 1 + 256 - 8, ".service", 9);
        names_are(p, "", "", "");
        /* a session scope too long to be a unit has no user unit either (found by fuzzing) */
        for (size_t len = 255; len <= 256; len++) {
                char session[300];

                memset(session, '7', sizeof(session));
                memcpy(session, "session-", 8);
                memcpy(session + len - 6, ".scope", 7);
                snprintf(p, 1000, "/user.slice/%s/foo.service", session);
                if (len == 255)
                        names_are(p, session, "foo.service", "");
                else
                        names_are(p, "", "", "");
        }
        /* many slices */
        {
                size_t used = 0;

                for (int i = 0; i < 5000; i++)
                        used += (size_t)sprintf(p + used, "/a.slice");
                sprintf(p + used, "/deep.service/x");
                names_are(p, "deep.service", "", "");
        }
        free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_system_units), cmocka_unit_test(test_no_unit),
                cmocka_unit_test(test_user_units),   cmocka_unit_test(test_sessions),
                cmocka_unit_test(test_containers),   cmocka_unit_test(test_not_container_ids),
                cmocka_unit_test(test_hostile),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
