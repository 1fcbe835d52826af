/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "kallsyms.h"
#include "routes.h"

/* The symbols of the plan and of the path walk, from one pass over the lines. */
static void test_lines(void **state)
{
        static const char *const lines[] = {
                "ffffffff81234560 T do_sys_openat2\n",
                "ffffffff81234000 T do_sys_open_something_else\n",
                "ffffffff82a00040 b rename_lock\n",
                "ffffffff82a00080 b rename_lock\n", /* the first is kept */
                "ffffffff81300000 T __x64_sys_execve\n",
                "ffffffffc0001000 t some_function\t[some_module]\n",
                "garbage\n",
        };
        struct kallsyms k = { 0 };

        (void)state;
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
                kallsyms_note_line(&k, lines[i]);
        assert_true(k.do_sys_openat2);
        assert_false(k.do_sys_open);
        assert_int_equal(k.rename_lock, 0xffffffff82a00040ul);
#ifdef __x86_64__
        assert_int_equal(k.routes, ROUTE_BIT(EXECVE));
#else
        assert_int_equal(k.routes, 0);
#endif
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
