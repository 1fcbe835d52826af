/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include <unistd.h>

#include "sysfs.h"

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void test_numbers(void **state)
{
        char path[] = "/tmp/test_sysfs.XXXXXX", buf[8];
        int fd = mkstemp(path);
        uint64_t v = 0;

        (void)state;
        assert_true(fd >= 0);
        close(fd);
        write_file(path, "1234\n");
        assert_int_equal(sysfs_read_u64(path, &v), 0);
        assert_int_equal(v, 1234);
        write_file(path, "config:62\n");
        assert_int_equal(sysfs_read_u64(path, &v), -EINVAL);
        assert_int_equal(sysfs_read(path, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "config:"); /* cut to the buffer */
        write_file(path, "");
        assert_int_equal(sysfs_read_u64(path, &v), -EIO);
        unlink(path);
        assert_int_equal(sysfs_read_u64(path, &v), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_numbers),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
