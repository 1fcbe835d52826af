/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include <sys/stat.h>
#include <unistd.h>

#include "pending_loss.h"

static const struct pending_loss sample = {
        .pid = 4242,
        .since_usec = 1767225600000000ull,
        .until_usec = 1767225660000000ull,
        .lost = 3,
        .undelivered = 992,
        .by_uid = { .users = { { 65534, 990 }, { 0, 1 } }, .n = 2, .others = 1 },
};

static void test_round_trip(void **state)
{
        struct pending_loss out;
        char text[PENDING_LOSS_MAX_BYTES], why[200];

        (void)state;
        assert_true(pending_loss_format(&sample, text, sizeof(text)) > 0);
        assert_string_equal(text, "opensnoopd-pending-loss 1\npid 4242\nsince_usec 1767225600000000\n"
                                  "until_usec 1767225660000000\nlost 3\nundelivered 992\nsuppressed 0\n"
                                  "uid 65534 990\nuid 0 1\nother 1\nend\n");
        assert_int_equal(pending_loss_parse(text, &out, why, sizeof(why)), 0);
        assert_memory_equal(&out, &sample, sizeof(out));
}

/* The kernel's losses by user ride along as optional lines; a file without them (an earlier version's) is read. */
static void test_lost_by_user_round_trip(void **state)
{
        struct pending_loss with = sample, out;
        char text[PENDING_LOSS_MAX_BYTES], why[200];

        (void)state;
        with.lost_by_uid = (struct uid_loss_counts){ .users = { { 65534, 2 } }, .n = 1, .others = 1 };
        assert_true(pending_loss_format(&with, text, sizeof(text)) > 0);
        assert_non_null(strstr(text, "other 1\nlost_uid 65534 2\nlost_other 1\nend\n"));
        assert_int_equal(pending_loss_parse(text, &out, why, sizeof(why)), 0);
        assert_memory_equal(&out, &with, sizeof(out));
        /* more lost by user than lost: refused */
        with.lost_by_uid.users[0].count = 3;
        assert_true(pending_loss_format(&with, text, sizeof(text)) > 0);
        assert_int_equal(pending_loss_parse(text, &out, why, sizeof(why)), -EBADMSG);
        assert_string_equal(why, "its counts or its window do not add up");
}

/* One fault of each kind in an otherwise good record: each is refused, and says why. */
static void test_refuses_what_it_did_not_write(void **state)
{
        static const char *const bad[] = {
                "",
                "opensnoopd-pending-loss 2\npid 1\nsince_usec 0\nuntil_usec 0\nlost 0\nundelivered 0\nsuppressed 0\n"
                "other 0\nend\n",
                /* cut short */
                "opensnoopd-pending-loss 1\npid 1\nsince_usec 0\nuntil_usec 0\nlost 0\nundelivered 5\n",
                "opensnoopd-pending-loss 1\npid 1\nsince_usec 0\nuntil_usec 0\nlost 0\nundelivered 5\nsuppressed 0\n"
                "other 0\nend",
                /* a key missing, repeated, unknown, or a number that is not one */
                "opensnoopd-pending-loss 1\npid 1\nsince_usec 0\nuntil_usec 0\nundelivered 0\nsuppressed 0\n"
                "other 0\nend\n",
                "opensnoopd-pending-loss 1\npid 1\npid 2\nsince_usec 0\nuntil_usec 0\nlost 0\nundelivered 0\n"
                "suppressed 0\nother 0\nend\n",
                "opensnoopd-pending-loss 1\npid 1\nsince_usec 0\nuntil_usec 0\nlost 0\nundelivered 0\n"
                "suppressed 0\nother 0\nextra 1\nend\n",
                "opensnoopd-pending-loss 1\npid 1\nsince_usec 0\nuntil_usec 0\nlost -1\nundelivered 0\n"
                "suppressed 0\nother 0\nend\n",
                "opensnoopd-pending-loss 1\npid 1\nsince_usec 0\nuntil_usec 0\nlost 18446744073709551616\n"
                "undelivered 0\nsuppressed 0\nother 0\nend\n",
                "opensnoopd-pending-loss 1\npid 0\nsince_usec 0\nuntil_usec 0\nlost 0\nundelivered 0\n"
                "suppressed 0\nother 0\nend\n",
                /* users that add up to more than undelivered, a uid twice, a uid out of range */
                "opensnoopd-pending-loss 1\npid 1\nsince_usec 0\nuntil_usec 0\nlost 0\nundelivered 5\n"
                "suppressed 0\nuid 1 3\nuid 2 3\nother 0\nend\n",
                "opensnoopd-pending-loss 1\npid 1\nsince_usec 0\nuntil_usec 0\nlost 0\nundelivered 5\n"
                "suppressed 0\nuid 1 1\nuid 1 1\nother 0\nend\n",
                "opensnoopd-pending-loss 1\npid 1\nsince_usec 0\nuntil_usec 0\nlost 0\nundelivered 5\n"
                "suppressed 0\nuid 4294967296 1\nother 0\nend\n",
                "opensnoopd-pending-loss 1\npid 1\nsince_usec 0\nuntil_usec 0\nlost 0\nundelivered "
                "18446744073709551615\n"
                "suppressed 0\nuid 1 18446744073709551615\nother 1\nend\n",
                /* a window that ends before it starts, something after the end */
                "opensnoopd-pending-loss 1\npid 1\nsince_usec 9\nuntil_usec 8\nlost 0\nundelivered 0\n"
                "suppressed 0\nother 0\nend\n",
                "opensnoopd-pending-loss 1\npid 1\nsince_usec 0\nuntil_usec 0\nlost 0\nundelivered 0\n"
                "suppressed 0\nother 0\nend\nlost 7\n",
        };
        struct pending_loss out;
        char why[200];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                why[0] = '\0';
                assert_int_equal(pending_loss_parse(bad[i], &out, why, sizeof(why)), -EBADMSG);
                assert_true(why[0] != '\0');
        }
}

/* Two stops in a row without journald: one record that says both, the older daemon's window first. */
static void test_merge_adds_by_user(void **state)
{
        struct pending_loss into = { .pid = 5000,
                                     .since_usec = 2000,
                                     .until_usec = 3000,
                                     .undelivered = 4,
                                     .by_uid = { .users = { { 0, 4 } }, .n = 1 } };
        struct pending_loss older = { .pid = 4000,
                                      .since_usec = 1000,
                                      .until_usec = 1500,
                                      .lost = 1,
                                      .undelivered = 7,
                                      .by_uid = { .users = { { 65534, 5 }, { 0, 2 } }, .n = 2 } };
        struct loss_report report;

        (void)state;
        pending_loss_merge(&into, &older);
        assert_int_equal(into.pid, 4000);
        assert_true(into.since_usec == 1000 && into.until_usec == 3000);
        assert_true(into.lost == 1 && into.undelivered == 11);
        pending_loss_to_report(&into, &report);
        assert_string_equal(report.by_uid, "0:6 65534:5"); /* most first */
        assert_int_equal(report.from_pid, 4000);
        into = (struct pending_loss){ 0 };
        pending_loss_merge(&into, &older);
        assert_memory_equal(&into, &older, sizeof(into));
}

/* The file: written 0600 and read back; a file others could have written is refused. */
static void test_file(void **state)
{
        char dir[] = "/tmp/test-pending-loss-XXXXXX", path[4200], why[600];
        struct pending_loss out;
        struct stat st;

        (void)state;
        assert_non_null(mkdtemp(dir));
        assert_int_equal(pending_loss_read(dir, &out, why, sizeof(why)), -ENOENT);
        if (geteuid() != 0) {
                /* a directory of ours is no root's: writing is refused, as reading would be */
                assert_int_equal(pending_loss_write(dir, &sample, why, sizeof(why)), -EPERM);
                rmdir(dir);
                return;
        }
        assert_int_equal(pending_loss_write(dir, &sample, why, sizeof(why)), 0);
        assert_int_equal(pending_loss_path(dir, path, sizeof(path)), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(pending_loss_read(dir, &out, why, sizeof(why)), 0);
        assert_memory_equal(&out, &sample, sizeof(out));
        assert_int_equal(chmod(path, 0622), 0);
        assert_int_equal(pending_loss_read(dir, &out, why, sizeof(why)), -EPERM);
        unlink(path);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_lost_by_user_round_trip),
                cmocka_unit_test(test_refuses_what_it_did_not_write),
                cmocka_unit_test(test_merge_adds_by_user),
                cmocka_unit_test(test_file),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
