/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include <errno.h>
#include <stdlib.h>

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

/* Characters that change how a line reads without showing themselves are shown as code points. */
static void test_invisible_escaped(void **state)
{
        char out[ESCAPE_QUOTED_MAX(64)];

        (void)state;
        check("a\xe2\x80\xae"
              "b",
              5,
              "a\\u202e"
              "b");                          /* RIGHT-TO-LEFT OVERRIDE */
        check("\xe2\x80\xa8", 3, "\\u2028"); /* LINE SEPARATOR */
        check("\xe2\x80\x8b", 3, "\\u200b"); /* ZERO WIDTH SPACE */
        check("\xef\xbb\xbf", 3, "\\ufeff"); /* BYTE ORDER MARK */
        check("\xc2\xad", 2, "\\u00ad");     /* SOFT HYPHEN */
        check("\xe2\x81\xa6"
              "x",
              4, "\\u2066x");                        /* LEFT-TO-RIGHT ISOLATE */
        check("\xf3\xa0\x80\x81", 4, "\\U000e0001"); /* LANGUAGE TAG */
        check("\xe2\x80\x90", 3, "\xe2\x80\x90");    /* a visible HYPHEN stays */
        /* quoted: a quote inside cannot end the value early */
        assert_int_equal(escape_quoted("a\"b", 3, out), 6);
        assert_string_equal(out, "\"a\\\"b\"");
        assert_int_equal(escape_quoted("", 0, out), 2);
        assert_string_equal(out, "\"\"");
}

/* Every byte string comes back from its escape, exactly: random bytes, and the hard cases. */
static void test_unescape_undoes_escape(void **state)
{
        static const char *const hard[] = { "\\", "\\x41", "a\tb\nc", "\xff\xfe", "\xe2\x80\xae", "\xc2\x80",
                                            "\xf3\xa0\x80\x81", "\"q\"", "" };
        char in[64], esc[ESCAPE_MAX(64)], back[ESCAPE_MAX(64)];
        size_t len, back_len;
        unsigned seed = 7;

        (void)state;
        for (size_t h = 0; h < sizeof(hard) / sizeof(hard[0]); h++) {
                len = strlen(hard[h]);
                assert_int_equal(unescape_display(esc, escape_for_display(hard[h], len, esc), back, &back_len), 0);
                assert_int_equal(back_len, len);
                assert_memory_equal(back, hard[h], len);
        }
        for (int round = 0; round < 20000; round++) {
                len = (size_t)(rand_r(&seed) % 64);
                for (size_t i = 0; i < len; i++)
                        in[i] = (char)(rand_r(&seed) % 4 ? rand_r(&seed) % 128 : rand_r(&seed) % 256);
                assert_int_equal(unescape_display(esc, escape_for_display(in, len, esc), back, &back_len), 0);
                assert_int_equal(back_len, len);
                assert_memory_equal(back, in, len);
        }
        /* what escape_for_display() never makes */
        assert_int_equal(unescape_display("a\\", 2, back, &back_len), -EBADMSG);
        assert_int_equal(unescape_display("\\q", 2, back, &back_len), -EBADMSG);
        assert_int_equal(unescape_display("\\x4", 3, back, &back_len), -EBADMSG);
        assert_int_equal(unescape_display("\\xZZ", 4, back, &back_len), -EBADMSG);
        assert_int_equal(unescape_display("\\U00110000", 10, back, &back_len), -EBADMSG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain_and_utf8_kept),  cmocka_unit_test(test_controls_escaped),
                cmocka_unit_test(test_invalid_utf8_escaped), cmocka_unit_test(test_invisible_escaped),
                cmocka_unit_test(test_worst_case_fits),      cmocka_unit_test(test_utf8_is_valid),
                cmocka_unit_test(test_unescape_undoes_escape),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
