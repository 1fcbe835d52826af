/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "escape.h"

static void check(const char *in, size_t len, const char *expected)
{
        char out[ESCAPE_MAX(64)];

        assert_int_equal(escape_for_display(in, len, out), strlen(expected));
        assert_string_equal(out, expected);
        assert_true(utf8_is_valid(out, strlen(out)));
}

static void test_plain_and_utf8_kept(void **state)
{
        (void)state;
        check("/etc/hostname", 13, "/etc/hostname");
        check("/tmp/caf\xc3\xa9 \xe2\x82\xac", 14, "/tmp/caf\xc3\xa9 \xe2\x82\xac");
        check("", 0, "");
}

static void test_controls_escaped(void **state)
{
        (void)state;
        check("a\nb", 3, "a\\nb");
        check("a\tb", 3, "a\\tb");
        check("back\\slash", 10, "back\\\\slash");
        check("\x1b[31mred", 8, "\\x1b[31mred");
        check("\x01\x7f", 2, "\\x01\\x7f");
        /* U+009B (CSI in C1) is valid UTF-8 but a terminal control: escaped byte by byte */
        check("\xc2\x9b", 2, "\\xc2\\x9b");
}

static void test_invalid_utf8_escaped(void **state)
{
        (void)state;
        check("\xff", 1, "\\xff");
        check("a\xc3", 2, "a\\xc3");                          /* truncated sequence */
        check("\xc0\xaf", 2, "\\xc0\\xaf");                   /* overlong '/' */
        check("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");          /* surrogate */
        check("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
}

static void test_worst_case_fits(void **state)
{
        char in[64], out[ESCAPE_MAX(64)];

        (void)state;
        memset(in, 0xff, sizeof(in));
        assert_int_equal(escape_for_display(in, sizeof(in), out), 4 * sizeof(in));
}

static void test_utf8_is_valid(void **state)
{
        (void)state;
        assert_true(utf8_is_valid("abc", 3));
        assert_true(utf8_is_valid("\xf0\x9f\x98\x80", 4));
        assert_true(utf8_is_valid("a\nb", 3));
        assert_false(utf8_is_valid("\xff", 1));
        assert_false(utf8_is_valid("\xe2\x82", 2));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain_and_utf8_kept),  cmocka_unit_test(test_controls_escaped),
                cmocka_unit_test(test_invalid_utf8_escaped), cmocka_unit_test(test_worst_case_fits),
                cmocka_unit_test(test_utf8_is_valid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
