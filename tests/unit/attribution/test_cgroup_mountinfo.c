/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include <limits.h>

#include "cgroup_resolver.h"

/* cgroup2_mount_from_mountinfo() on text: returns its result, the mount point in buf. */
static int parse(const char *text, char *buf, size_t size)
{
        FILE *f = fmemopen((void *)text, strlen(text), "r");
        int k;

        assert_non_null(f);
        k = cgroup2_mount_from_mountinfo(f, buf, size);
        fclose(f);
        return k;
}

static void test_unified(void **state)
{
        char buf[PATH_MAX];

        (void)state;
        assert_int_equal(parse("22 28 0:21 / /proc rw,nosuid - proc proc rw\n"
                               "25 23 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 "
                               "cgroup2 rw,nsdelegate,memory_recursiveprot\n",
                               buf, sizeof(buf)),
                         (int)strlen("/sys/fs/cgroup"));
        assert_string_equal(buf, "/sys/fs/cgroup");
}

static void test_hybrid(void **state)
{
        char buf[PATH_MAX];

        (void)state;
        /* this build machine's: a tmpfs, v1 hierarchies, then the unified one */
        assert_int_equal(parse("10:31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
                               "11:32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
                               "19:40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
                               "20:41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n",
                               buf, sizeof(buf)),
                         (int)strlen("/sys/fs/cgroup/unified"));
        assert_string_equal(buf, "/sys/fs/cgroup/unified");
}

static void test_skips_subtree_mounts_and_unescapes(void **state)
{
        char buf[PATH_MAX];

        (void)state;
        /* a bind mount of a subtree is not the root; a mount point with a space and a tab */
        assert_int_equal(parse("30 25 0:23 /system.slice /mnt/sys rw - cgroup2 cgroup2 rw\n"
                               "31 25 0:23 / /mnt/my\\040cg\\011x rw shared:9 master:2 - cgroup2 none rw\n",
                               buf, sizeof(buf)),
                         (int)strlen("/mnt/my cg\tx"));
        assert_string_equal(buf, "/mnt/my cg\tx");
}

static void test_none(void **state)
{
        char buf[PATH_MAX];

        (void)state;
        assert_int_equal(parse("", buf, sizeof(buf)), -ENOMEDIUM);
        assert_int_equal(parse("garbage without a separator\n- cgroup2\n", buf, sizeof(buf)), -ENOMEDIUM);
        assert_int_equal(parse("1 2 0:1 / /x rw - cgroup cgroup rw\n", buf, sizeof(buf)), -ENOMEDIUM);
        assert_int_equal(parse("1 2 0:1 / - cgroup2 cgroup2 rw\n", buf, sizeof(buf)), -ENOMEDIUM);
        assert_int_equal(parse("20 41 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n", buf, 8), -ENAMETOOLONG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unified),
                cmocka_unit_test(test_hybrid),
                cmocka_unit_test(test_skips_subtree_mounts_and_unescapes),
                cmocka_unit_test(test_none),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
