/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "report_path.h"

static size_t cut(const char *path, unsigned depth)
{
        return report_path_cut(path, strlen(path), depth);
}

static bool under(const char *path, const char *prefix)
{
        return report_path_under(path, strlen(path), prefix, report_path_trim(prefix, strlen(prefix)));
}

static void test_cut_keeps_the_first_components(void **state)
{
        (void)state;
        assert_int_equal(cut("/etc/ssh/sshd_config", 1), strlen("/etc"));
        assert_int_equal(cut("/etc/ssh/sshd_config", 2), strlen("/etc/ssh"));
        assert_int_equal(cut("/etc/ssh/sshd_config", 3), strlen("/etc/ssh/sshd_config"));
        assert_int_equal(cut("/etc/ssh/sshd_config", 9), strlen("/etc/ssh/sshd_config"));
        assert_int_equal(cut("/etc/hostname", 2), strlen("/etc/hostname"));
        assert_int_equal(cut("//etc//ssh/x", 2), strlen("//etc//ssh"));
        assert_int_equal(cut("/etc/ssh/", 2), strlen("/etc/ssh"));
        assert_int_equal(cut("/", 2), 1);
        assert_int_equal(cut("", 2), 0);
        assert_int_equal(cut("conf/app/x.yaml", 1), strlen("conf"));
        assert_int_equal(cut("../x/y", 2), strlen("../x"));
}

static void test_under_is_a_subtree(void **state)
{
        (void)state;
        assert_true(under("/etc", "/etc"));
        assert_true(under("/etc/ssh/sshd_config", "/etc"));
        assert_true(under("/etc/ssh/sshd_config", "/etc/"));
        assert_true(under("/etc/ssh/sshd_config", "/etc///"));
        assert_false(under("/etcetera", "/etc"));
        assert_false(under("/etcetera", "/etc/"));
        assert_false(under("/et", "/etc"));
        assert_true(under("/anything", "/"));
        assert_true(under("/", "/"));
        assert_false(under("relative/etc", "/"));
        assert_true(under("/srv/app", "/srv/app"));
        assert_false(under("/srv/application", "/srv/app"));
}

static void test_trim(void **state)
{
        (void)state;
        assert_int_equal(report_path_trim("/", 1), 1);
        assert_int_equal(report_path_trim("///", 3), 1);
        assert_int_equal(report_path_trim("/etc/", 5), 4);
        assert_int_equal(report_path_trim("/etc", 4), 4);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cut_keeps_the_first_components),
                cmocka_unit_test(test_under_is_a_subtree),
                cmocka_unit_test(test_trim),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
