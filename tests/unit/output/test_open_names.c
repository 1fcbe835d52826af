/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include <fcntl.h>

#include "open_names.h"

static void flags_are(uint64_t flags, const char *expected)
{
        char buf[OPEN_FLAGS_TEXT_MAX];

        open_flags_text(flags, buf, sizeof(buf));
        assert_string_equal(buf, expected);
}

static void test_flags_text(void **state)
{
        (void)state;
        flags_are(O_RDONLY, "O_RDONLY");
        flags_are(O_RDONLY | O_CLOEXEC, "O_RDONLY|O_CLOEXEC");
        flags_are(O_WRONLY | O_CREAT | O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC");
        flags_are(O_RDWR | O_APPEND | O_NONBLOCK, "O_RDWR|O_APPEND|O_NONBLOCK");
        flags_are(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_PATH, "O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_PATH");
        /* composites are named as such, not as their parts */
        flags_are(O_WRONLY | O_SYNC, "O_WRONLY|O_SYNC");
        flags_are(O_WRONLY | O_DSYNC, "O_WRONLY|O_DSYNC");
        flags_are(O_RDWR | O_TMPFILE, "O_RDWR|O_TMPFILE");
        flags_are(O_RDONLY | O_DIRECTORY, "O_RDONLY|O_DIRECTORY");
        flags_are(0100000, "O_RDONLY|O_LARGEFILE");
        /* bits without a name are kept, as hex */
        flags_are(O_RDONLY | 0x40000000, "O_RDONLY|0x40000000");
        flags_are(3, "O_ACCMODE");
}

static void test_flags_text_never_overflows(void **state)
{
        char buf[OPEN_FLAGS_TEXT_MAX];

        (void)state;
        assert_true(open_flags_text(UINT64_MAX, buf, sizeof(buf)) < sizeof(buf));
        assert_non_null(strstr(buf, "O_CLOEXEC"));
}

static void test_mode_relevance(void **state)
{
        (void)state;
        assert_true(open_flags_use_mode(O_WRONLY | O_CREAT));
        assert_true(open_flags_use_mode(O_RDWR | O_TMPFILE));
        assert_false(open_flags_use_mode(O_RDONLY | O_DIRECTORY));
        assert_false(open_flags_use_mode(O_RDONLY));
}

static void test_errno_names(void **state)
{
        char buf[16];

        (void)state;
        assert_string_equal(open_errno_name(ENOENT, buf), "ENOENT");
        assert_string_equal(open_errno_name(EACCES, buf), "EACCES");
        assert_string_equal(open_errno_name(ENAMETOOLONG, buf), "ENAMETOOLONG");
        assert_string_equal(open_errno_name(4000, buf), "E4000");
        /* the kernel's own, which no C library names */
        assert_string_equal(open_errno_name(512, buf), "ERESTARTSYS");
        assert_string_equal(open_errno_name(513, buf), "ERESTARTNOINTR");
        assert_string_equal(open_errno_name(514, buf), "ERESTARTNOHAND");
        assert_string_equal(open_errno_name(515, buf), "ENOIOCTLCMD");
        assert_string_equal(open_errno_name(516, buf), "ERESTART_RESTARTBLOCK");
        assert_string_equal(open_errno_name(517, buf), "E517");
        assert_true(open_result_interrupted(-512) && open_result_interrupted(-516));
        assert_false(open_result_interrupted(-511) || open_result_interrupted(-517) || open_result_interrupted(-EINTR));
}

static void test_syscall_names(void **state)
{
        (void)state;
        assert_string_equal(open_syscall_name(1), "open");
        assert_string_equal(open_syscall_name(2), "openat");
        assert_string_equal(open_syscall_name(3), "openat2");
        assert_string_equal(open_syscall_name(0), "unknown");
        assert_string_equal(open_syscall_name(99), "unknown");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_flags_text),     cmocka_unit_test(test_flags_text_never_overflows),
                cmocka_unit_test(test_mode_relevance), cmocka_unit_test(test_errno_names),
                cmocka_unit_test(test_syscall_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
