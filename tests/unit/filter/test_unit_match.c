/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "unit_match.h"

#define LIST(...) (&(struct str_list){ (char *[]){ __VA_ARGS__ }, sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *) })

static const struct str_list none = { 0 };

static void test_names(void **state)
{
        (void)state;
        assert_int_equal(unit_name_check("nginx.service"), 0);
        assert_int_equal(unit_name_check("session-3.scope"), 0);
        assert_int_equal(unit_name_check("user-1000.slice"), 0);
        assert_int_equal(unit_name_check("getty@tty1.service"), 0);
        assert_int_equal(unit_name_check("ssh.socket"), 0);
        assert_int_equal(unit_name_check("home.mount"), 0);
        assert_int_equal(unit_name_check("dev-sda2.swap"), 0);
        assert_int_equal(unit_name_check("multi-user.target"), -EMEDIUMTYPE);
        assert_int_equal(unit_name_check("apt-daily.timer"), -EMEDIUMTYPE);
        assert_int_equal(unit_name_check("dev-sda.device"), -EMEDIUMTYPE);
        assert_int_equal(unit_name_check("getty@.service"), -EINVAL); /* a template has no cgroup; its instances do */
        assert_int_equal(unit_name_check("nginx"), -EINVAL);
        assert_int_equal(unit_name_check("nginx.serv"), -EINVAL);
        assert_int_equal(unit_name_check("a/b.service"), -EINVAL);
        assert_int_equal(unit_name_check("*.service"), -EINVAL);
        assert_int_equal(unit_name_check(".service"), -EINVAL);
        assert_int_equal(unit_name_check(""), -EINVAL);
}

/* A unit covers its own cgroup and everything below it; a slice, every unit in it. */
static void test_include(void **state)
{
        const struct str_list *units = LIST("nginx.service", "user.slice");

        (void)state;
        assert_int_equal(unit_match_verdict("/system.slice/nginx.service", units, &none), FILTER_INCLUDE);
        assert_int_equal(unit_match_verdict("/system.slice/nginx.service/worker/x", units, &none), FILTER_INCLUDE);
        assert_int_equal(unit_match_verdict("/user.slice/user-1000.slice/session-3.scope", units, &none),
                         FILTER_INCLUDE);
        assert_int_equal(unit_match_verdict("/user.slice", units, &none), FILTER_INCLUDE);
        assert_int_equal(unit_match_verdict("/system.slice/nginx-old.service", units, &none), FILTER_EXCLUDE);
        assert_int_equal(unit_match_verdict("/system.slice/nginx.service.d", units, &none), FILTER_EXCLUDE);
        assert_int_equal(unit_match_verdict("/system.slice", units, &none), FILTER_EXCLUDE);
        assert_int_equal(unit_match_verdict("/", units, &none), FILTER_EXCLUDE);
        /* a name is a whole component, never a part of one */
        assert_int_equal(unit_match_verdict("/xnginx.service", units, &none), FILTER_EXCLUDE);
        /* a user manager's units are units too */
        assert_int_equal(unit_match_verdict("/x.slice/user@1000.service/app.slice/nginx.service", units, &none),
                         FILTER_INCLUDE);
        /* systemd's escape: "_cpu.service" is the cgroup of cpu.service */
        assert_int_equal(unit_match_verdict("/system.slice/_cpu.service", LIST("cpu.service"), &none), FILTER_INCLUDE);
        assert_int_equal(unit_match_verdict("/system.slice/cpu.service", LIST("_cpu.service"), &none), FILTER_EXCLUDE);
}

static void test_exclude(void **state)
{
        const struct str_list *out = LIST("cron.service", "user.slice");

        (void)state;
        assert_int_equal(unit_match_verdict("/system.slice/cron.service", &none, out), FILTER_EXCLUDE);
        assert_int_equal(unit_match_verdict("/system.slice/cron.service/sub", &none, out), FILTER_EXCLUDE);
        assert_int_equal(unit_match_verdict("/user.slice/user-0.slice/session-1.scope", &none, out), FILTER_EXCLUDE);
        assert_int_equal(unit_match_verdict("/system.slice/ssh.service", &none, out), FILTER_INCLUDE);
        assert_int_equal(unit_match_verdict("/", &none, out), FILTER_INCLUDE);
        /* nothing set: everything passes */
        assert_int_equal(unit_match_verdict("/system.slice/ssh.service", &none, &none), FILTER_INCLUDE);
}

/* Both lists on one path: the innermost named component decides. */
static void test_innermost_decides(void **state)
{
        const struct str_list *in = LIST("system.slice", "keep.service");
        const struct str_list *out = LIST("cron.service", "user.slice");

        (void)state;
        assert_int_equal(unit_match_verdict("/system.slice/cron.service", in, out), FILTER_EXCLUDE);
        assert_int_equal(unit_match_verdict("/system.slice/ssh.service", in, out), FILTER_INCLUDE);
        assert_int_equal(unit_match_verdict("/user.slice/user-1000.slice/user@1000.service/keep.service", in, out),
                         FILTER_INCLUDE);
        assert_int_equal(unit_match_verdict("/user.slice/user-1000.slice/session-2.scope", in, out), FILTER_EXCLUDE);
        assert_int_equal(unit_match_verdict("/init.scope", in, out), FILTER_EXCLUDE); /* Units= set, nothing named */
}

/* A path that could not be resolved is recorded: an audit trail errs on the side of recording. */
static void test_unknown_path(void **state)
{
        (void)state;
        assert_int_equal(unit_match_verdict(NULL, LIST("nginx.service"), &none), FILTER_INCLUDE);
        assert_int_equal(unit_match_verdict(NULL, &none, LIST("nginx.service")), FILTER_INCLUDE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),        cmocka_unit_test(test_include),
                cmocka_unit_test(test_exclude),      cmocka_unit_test(test_innermost_decides),
                cmocka_unit_test(test_unknown_path),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
