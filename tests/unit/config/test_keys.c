/* SPDX-License-Identifier: MIT */
/*
 * keys.def is the one list of keys: the shipped configuration and
 * opensnoopd.conf(5) must list the same keys, in the same sections and
 * order, and the file must give each its default.
 */
#include "test_helpers.h"

#include <ctype.h>
#include <stdbool.h>

#include "config.h"

/* The source tree, where conf/ and man/ are: CMake tells. */
#ifndef OPENSNOOPD_SOURCE_DIR
#error "OPENSNOOPD_SOURCE_DIR must name the source tree"
#endif

static char *read_all(const char *path)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = fopen(path, "re"), *out = open_memstream(&text, &size);
        int c;

        assert_non_null(f);
        assert_non_null(out);
        while ((c = fgetc(f)) != EOF)
                fputc(c, out);
        fclose(f);
        fclose(out);
        return text;
}

/* The lines of text that are a section or a commented-out key ("[Probe]", "#Mode=auto"), each with its newline. */
static char *key_lines(const char *text)
{
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        assert_non_null(f);
        for (const char *line = text; *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                size_t name = 1;

                /* "#Key=": a capital, then letters and digits, then '=' */
                if (len > 1 && line[0] == '#' && isupper((unsigned char)line[1]))
                        while (name < len && isalnum((unsigned char)line[name]))
                                name++;
                if ((len > 0 && line[0] == '[') || (name > 1 && name < len && line[name] == '='))
                        fprintf(f, "%.*s\n", (int)len, line);
                line += len + (end ? 1 : 0);
        }
        fclose(f);
        return out;
}

static char *printed_defaults(void)
{
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        assert_non_null(f);
        config_print_defaults(f);
        fclose(f);
        return out;
}

/* The shipped file's key lines are --print-defaults' key lines: each key, in order, at its default. */
static void test_shipped_file_lists_every_key(void **state)
{
        char *conf = read_all(OPENSNOOPD_SOURCE_DIR "/conf/opensnoopd.conf");
        char *printed = printed_defaults();
        char *want = key_lines(printed), *got = key_lines(conf);

        (void)state;
        assert_string_equal(got, want);
        free(conf);
        free(printed);
        free(want);
        free(got);
}

/*
 * The man page describes each key as ".TP" then ".B Key=", under ".SH [Section] SECTION":
 * "[Section]" and "Key" lines, as from the table's "[Section]" and "#Key=default" lines.
 */
static char *man_keys(const char *man)
{
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        bool after_tp = false, in_section = false;

        assert_non_null(f);
        for (const char *line = man; *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);

                if (len > 4 && strncmp(line, ".SH ", 4) == 0) {
                        in_section = len > 13 && line[4] == '[' && strncmp(line + len - 8, " SECTION", 8) == 0;
                        if (in_section)
                                fprintf(f, "%.*s\n", (int)(len - 12), line + 4);
                } else if (in_section && after_tp && len > 4 && strncmp(line, ".B ", 3) == 0 && line[len - 1] == '=') {
                        fprintf(f, "%.*s\n", (int)(len - 4), line + 3);
                }
                after_tp = len == 3 && strncmp(line, ".TP", 3) == 0;
                line += len + (end ? 1 : 0);
        }
        fclose(f);
        return out;
}

static char *table_keys(void)
{
        char *printed = printed_defaults(), *lines = key_lines(printed), *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        assert_non_null(f);
        for (char *line = strtok(lines, "\n"); line; line = strtok(NULL, "\n")) {
                if (line[0] == '[')
                        fprintf(f, "%s\n", line);
                else
                        fprintf(f, "%.*s\n", (int)(strchr(line, '=') - line - 1), line + 1);
        }
        fclose(f);
        free(printed);
        free(lines);
        return out;
}

static void test_man_page_lists_every_key(void **state)
{
        char *man = read_all(OPENSNOOPD_SOURCE_DIR "/man/opensnoopd.conf.5");
        char *got = man_keys(man), *want = table_keys();

        (void)state;
        assert_string_equal(got, want);
        free(man);
        free(got);
        free(want);
}

/* Every row's default parses: config_init() would otherwise leave a field at zero, silently. */
static void test_defaults_parse(void **state)
{
        char *printed = printed_defaults(), *lines = key_lines(printed), *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        struct config_errors errs = { 0 };
        struct config c, init;
        char *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        FILE *fa, *fb;

        (void)state;
        assert_non_null(f);
        /* the defaults, uncommented, written over zeroes */
        for (char *line = strtok(lines, "\n"); line; line = strtok(NULL, "\n"))
                fprintf(f, "%s\n", line[0] == '#' ? line + 1 : line);
        fclose(f);
        c = (struct config){ 0 };
        assert_int_equal(config_parse(text, strlen(text), "defaults", &c, &errs), 0);
        assert_int_equal(errs.n, 0);
        config_init(&init);
        fa = open_memstream(&a, &na);
        fb = open_memstream(&b, &nb);
        config_print(&c, fa);
        config_print(&init, fb);
        fclose(fa);
        fclose(fb);
        assert_string_equal(a, b);
        config_done(&c);
        config_done(&init);
        free(a);
        free(b);
        free(text);
        free(printed);
        free(lines);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shipped_file_lists_every_key),
                cmocka_unit_test(test_man_page_lists_every_key),
                cmocka_unit_test(test_defaults_parse),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
