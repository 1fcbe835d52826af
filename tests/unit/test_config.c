/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static int parse(const char *text, struct config *c, struct config_errors *e)
{
        config_init(c);
        *e = (struct config_errors){ 0 };
        return config_parse(text, strlen(text), "test.conf", c, e);
}

static void expect_errors(const char *text, size_t n, const char *const *expected)
{
        struct config c;
        struct config_errors e;

        assert_int_equal(parse(text, &c, &e), -EINVAL);
        for (size_t i = 0; i < e.n; i++)
                print_message("  got: %s\n", e.msg[i]);
        assert_int_equal(e.n, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(e.msg[i], expected[i]);
        config_errors_done(&e);
        config_done(&c);
}

static void test_defaults(void **state)
{
        struct config c;
        struct config_errors e;

        (void)state;
        assert_int_equal(parse("", &c, &e), 0);
        assert_int_equal(c.mode, PROBE_MODE_AUTO);
        assert_int_equal(c.perf_buffer_pages, 256);
        assert_int_equal(c.target, OUTPUT_JOURNAL);
        assert_int_equal(c.priority, 6);
        assert_int_equal(c.failure_priority, 5);
        assert_false(c.failed_only);
        assert_null(c.kernel_source);
        config_done(&c);
}

static void test_every_key(void **state)
{
        static const char text[] = "# comment\n"
                                   "; also a comment\n"
                                   "[Probe]\n"
                                   "Mode = tracepoint\n"
                                   "Buffer=perf\n"
                                   "RingBufferSize=1M\n"
                                   "PerfBufferPages=64\r\n"
                                   "WakeupEvents=8\n"
                                   "MaxInFlight=4096\n"
                                   "KernelSource=/usr/src/linux\n"
                                   "\n"
                                   "[Filter]\n"
                                   "PIDs=1 2\n"
                                   "PIDs=3\n"
                                   "UIDs=0 1000\n"
                                   "Commands=nginx \"my app\"\n"
                                   "ExcludeCommands=cron\n"
                                   "PathPrefixes=/etc/ /home\n"
                                   "ExcludePathPrefixes=/home/cache\n"
                                   "FailedOnly=yes\n"
                                   "Access=write\n"
                                   "[Output]\n"
                                   "Target=json\n"
                                   "Priority=notice\n"
                                   "FailurePriority=3\n"
                                   "QueueSize=8M\n";
        struct config c;
        struct config_errors e;

        (void)state;
        assert_int_equal(parse(text, &c, &e), 0);
        assert_int_equal(e.n, 0);
        assert_int_equal(c.mode, PROBE_MODE_TRACEPOINT);
        assert_int_equal(c.buffer, PROBE_BUFFER_PERF);
        assert_int_equal(c.ring_buffer_size, 1u << 20);
        assert_int_equal(c.perf_buffer_pages, 64);
        assert_int_equal(c.wakeup_events, 8);
        assert_int_equal(c.max_in_flight, 4096);
        assert_string_equal(c.kernel_source, "/usr/src/linux");
        assert_int_equal(c.pids.n, 3);
        assert_int_equal(c.pids.v[2], 3);
        assert_int_equal(c.uids.n, 2);
        assert_int_equal(c.uids.v[1], 1000);
        assert_int_equal(c.commands.n, 2);
        assert_string_equal(c.commands.v[1], "my app");
        assert_string_equal(c.exclude_commands.v[0], "cron");
        assert_int_equal(c.path_prefixes.n, 2);
        assert_string_equal(c.exclude_path_prefixes.v[0], "/home/cache");
        assert_true(c.failed_only);
        assert_int_equal(c.access, ACCESS_WRITE);
        assert_int_equal(c.target, OUTPUT_JSON);
        assert_int_equal(c.priority, 5);
        assert_int_equal(c.failure_priority, 3);
        assert_int_equal(c.queue_size, 8u << 20);
        config_done(&c);
}

static void test_empty_value_resets_list(void **state)
{
        struct config c;
        struct config_errors e;

        (void)state;
        assert_int_equal(parse("[Filter]\nCommands=a b\nCommands=\nCommands=c\n", &c, &e), 0);
        assert_int_equal(c.commands.n, 1);
        assert_string_equal(c.commands.v[0], "c");
        config_done(&c);
}

static void test_unknown_key_and_section(void **state)
{
        static const char *const expected[] = {
                "test.conf:2: unknown key 'Foo' in [Filter]",
                "test.conf:3: unknown section [Bogus]",
                "test.conf:6: unknown key 'Mode' in [Output]",
        };

        (void)state;
        expect_errors("[Filter]\nFoo=1\n[Bogus]\nAnything=goes\n[Output]\nMode=auto\n", 3, expected);
}

static void test_bad_values_all_reported(void **state)
{
        static const char *const expected[] = {
                "test.conf:2: Mode=kprobes: must be auto, kprobe or tracepoint",
                "test.conf:3: PerfBufferPages=3: must be a power of two from 1 to 1024",
                "test.conf:4: PerfBufferPages=2048: must be a power of two from 1 to 1024",
                "test.conf:5: MaxInFlight=12x: must be a whole number from 64 to 1048576",
                "test.conf:6: RingBufferSize=3M: must be a power-of-two size from 64K to 256M (bytes, or with K, M or "
                "G)",
                "test.conf:7: RingBufferSize=512M: must be a power-of-two size from 64K to 256M (bytes, or with K, M "
                "or G)",
                "test.conf:8: Buffer=mmap: must be auto, ring or perf",
                "test.conf:10: FailedOnly=maybe: not a boolean (use yes or no)",
                "test.conf:11: PIDs=-4: not a process id",
                "test.conf:12: UIDs=www-data: not a numeric user id",
                "test.conf:13: Commands=averyveryverylongname: longer than 15 bytes, the kernel's limit for a command "
                "name",
                "test.conf:14: Access=read: must be any or write",
                "test.conf:16: Priority=loud: must be a syslog priority, 0-7 or emerg…debug",
                "test.conf:17: QueueSize=1K: must be a size from 64K to 1G (bytes, or with K, M or G)",
                "test.conf:18: Target=syslog: must be journal, json or text",
        };

        (void)state;
        expect_errors("[Probe]\n"
                      "Mode=kprobes\n"
                      "PerfBufferPages=3\n"
                      "PerfBufferPages=2048\n"
                      "MaxInFlight=12x\n"
                      "RingBufferSize=3M\n"
                      "RingBufferSize=512M\n"
                      "Buffer=mmap\n"
                      "[Filter]\n"
                      "FailedOnly=maybe\n"
                      "PIDs=-4\n"
                      "UIDs=www-data\n"
                      "Commands=averyveryverylongname\n"
                      "Access=read\n"
                      "[Output]\n"
                      "Priority=loud\n"
                      "QueueSize=1K\n"
                      "Target=syslog\n",
                      sizeof(expected) / sizeof(expected[0]), expected);
}

static void test_syntax_errors(void **state)
{
        static const char *const expected[] = {
                "test.conf:1: Mode= is outside any section",
                "test.conf:2: '[Probe': not a [Section] line",
                "test.conf:4: 'just words': not a Key=Value line",
                "test.conf:5: Commands=\"open: unterminated quote",
                "test.conf:7: KernelSource=relative/dir: must be an absolute path",
        };

        (void)state;
        expect_errors("Mode=auto\n[Probe\n[Filter]\njust words\nCommands=\"open\n[Probe]\nKernelSource=relative/dir\n",
                      5, expected);
}

static void test_conflicts_and_limits(void **state)
{
        static const char *const expected[] = {
                "test.conf: 'nginx' is in both Commands= and ExcludeCommands=",
        };
        char text[300 * 8 + 64];
        size_t len;
        struct config c;
        struct config_errors e;

        (void)state;
        expect_errors("[Filter]\nCommands=nginx\nExcludeCommands=nginx\n", 1, expected);

        /* 257 command names: one more than the kernel map holds */
        len = (size_t)snprintf(text, sizeof(text), "[Filter]\nCommands=");
        for (int i = 0; i < 257; i++)
                len += (size_t)snprintf(text + len, sizeof(text) - len, "c%d ", i);
        assert_int_equal(parse(text, &c, &e), -EINVAL);
        assert_int_equal(e.n, 1);
        assert_string_equal(e.msg[0], "test.conf:2: Commands=: more than 256 entries");
        config_errors_done(&e);
        config_done(&c);
}

static void test_nul_byte(void **state)
{
        static const char text[] = "[Filter]\nCommands=a\0b\n";
        struct config c;
        struct config_errors e = { 0 };

        (void)state;
        config_init(&c);
        assert_int_equal(config_parse(text, sizeof(text) - 1, "test.conf", &c, &e), -EINVAL);
        assert_int_equal(e.n, 1);
        assert_string_equal(e.msg[0], "test.conf:2: line contains a NUL byte");
        config_errors_done(&e);
        config_done(&c);
}

static void test_load_refuses_untrusted_file(void **state)
{
        char path[] = "/tmp/opensnoopd-test-XXXXXX";
        struct config c;
        struct config_errors e = { 0 };
        int fd = mkstemp(path);

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "[Filter]\nFailedOnly=yes\n", 24), 24);
        close(fd);

        config_init(&c);
        assert_int_equal(chmod(path, 0666), 0);
        if (geteuid() == 0) {
                assert_int_equal(config_load(path, false, &c, &e), -EPERM);
                assert_int_equal(e.n, 1);
                assert_non_null(strstr(e.msg[0], "refusing a configuration owned by uid 0 with mode 0666"));
                config_errors_done(&e);

                assert_int_equal(chmod(path, 0644), 0);
                assert_int_equal(chown(path, 1, 1), 0);
                assert_int_equal(config_load(path, false, &c, &e), -EPERM);
                assert_non_null(strstr(e.msg[0], "owned by uid 1 with mode 0644"));
                config_errors_done(&e);

                assert_int_equal(chown(path, 0, 0), 0);
                assert_int_equal(config_load(path, false, &c, &e), 0);
                assert_true(c.failed_only);
        } else {
                /* Not root: our own file is not root's, so it must be refused. */
                assert_int_equal(chmod(path, 0644), 0);
                assert_int_equal(config_load(path, false, &c, &e), -EPERM);
                config_errors_done(&e);
        }
        unlink(path);

        assert_int_equal(config_load(path, true, &c, &e), 0);
        assert_int_equal(config_load(path, false, &c, &e), -ENOENT);
        assert_int_equal(e.n, 1);
        config_errors_done(&e);
        config_done(&c);
}

static void test_print_round_trip(void **state)
{
        struct config c, again;
        struct config_errors e;
        char *text = NULL;
        size_t size = 0;
        FILE *f;

        (void)state;
        assert_int_equal(parse("[Filter]\nCommands=\"my app\" nginx\nPIDs=7\n[Output]\nTarget=text\n", &c, &e), 0);
        f = open_memstream(&text, &size);
        config_print(&c, f);
        fclose(f);
        assert_int_equal(parse(text, &again, &e), 0);
        assert_int_equal(again.commands.n, 2);
        assert_string_equal(again.commands.v[0], "my app");
        assert_int_equal(again.pids.v[0], 7);
        assert_int_equal(again.target, OUTPUT_TEXT);
        free(text);
        config_done(&c);
        config_done(&again);
}

static void test_diff(void **state)
{
        struct config a, b;
        struct config_errors e;
        char restart[256], applied[256];

        (void)state;
        assert_int_equal(parse("[Filter]\nCommands=a\n", &a, &e), 0);
        assert_int_equal(parse("[Filter]\nCommands=b\nFailedOnly=yes\n[Probe]\nMode=kprobe\n", &b, &e), 0);
        config_diff(&a, &b, restart, sizeof(restart), applied, sizeof(applied));
        assert_string_equal(restart, "Mode=");
        assert_string_equal(applied, "Commands= FailedOnly=");
        config_done(&a);
        config_done(&b);
}

/* Issue 8, bug 1: an include and an exclude list share one kernel map, and its size. */
static void test_shared_maps_and_empty_words(void **state)
{
        static const char *const expected_empty[] = {
                "test.conf:2: Commands=\"\": an empty word; write Commands= alone to clear the list",
                "test.conf:3: ExcludePathPrefixes=/tmp '': an empty word; write ExcludePathPrefixes= alone to clear "
                "the list",
        };
        char text[600 * 8 + 128];
        size_t len;
        struct config c;
        struct config_errors e;

        (void)state;
        /* 200 + 100 names: each list within 256, together past what the map holds */
        len = (size_t)snprintf(text, sizeof(text), "[Filter]\nCommands=");
        for (int i = 0; i < 200; i++)
                len += (size_t)snprintf(text + len, sizeof(text) - len, "c%d ", i);
        len += (size_t)snprintf(text + len, sizeof(text) - len, "\nExcludeCommands=");
        for (int i = 0; i < 100; i++)
                len += (size_t)snprintf(text + len, sizeof(text) - len, "x%d ", i);
        assert_int_equal(parse(text, &c, &e), -EINVAL);
        assert_int_equal(e.n, 1);
        assert_string_equal(e.msg[0], "test.conf: Commands= and ExcludeCommands= hold 300 entries together; the "
                                      "kernel's map holds 256");
        config_errors_done(&e);
        config_done(&c);

        len = (size_t)snprintf(text, sizeof(text), "[Filter]\nPathPrefixes=");
        for (int i = 0; i < 128; i++)
                len += (size_t)snprintf(text + len, sizeof(text) - len, "/p%d ", i);
        len += (size_t)snprintf(text + len, sizeof(text) - len, "\nExcludePathPrefixes=");
        for (int i = 0; i < 128; i++)
                len += (size_t)snprintf(text + len, sizeof(text) - len, "/x%d ", i);
        assert_int_equal(parse(text, &c, &e), 0); /* 256 together: exactly full */
        config_done(&c);

        expect_errors("[Filter]\nCommands=\"\"\nExcludePathPrefixes=/tmp ''\n", 2, expected_empty);
}

/* What --check-config prints parses back to the same configuration, quotes and spaces included. */
static void test_print_round_trip_of_awkward_words(void **state)
{
        struct config c, again;
        struct config_errors e;
        char restart[256], applied[256], *text = NULL;
        size_t size = 0;
        FILE *f;

        (void)state;
        assert_int_equal(parse("[Filter]\nPathPrefixes=\"/a b\" '/q\"uote' \"/both'\"'\"'\n", &c, &e), 0);
        assert_int_equal(c.path_prefixes.n, 3);
        assert_string_equal(c.path_prefixes.v[1], "/q\"uote");
        assert_string_equal(c.path_prefixes.v[2], "/both'\"");
        f = open_memstream(&text, &size);
        config_print(&c, f);
        fclose(f);
        assert_int_equal(parse(text, &again, &e), 0);
        config_diff(&c, &again, restart, sizeof(restart), applied, sizeof(applied));
        assert_string_equal(restart, "");
        assert_string_equal(applied, "");
        free(text);
        config_done(&c);
        config_done(&again);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_empty_value_resets_list),
                cmocka_unit_test(test_unknown_key_and_section),
                cmocka_unit_test(test_bad_values_all_reported),
                cmocka_unit_test(test_syntax_errors),
                cmocka_unit_test(test_conflicts_and_limits),
                cmocka_unit_test(test_shared_maps_and_empty_words),
                cmocka_unit_test(test_print_round_trip_of_awkward_words),
                cmocka_unit_test(test_nul_byte),
                cmocka_unit_test(test_load_refuses_untrusted_file),
                cmocka_unit_test(test_print_round_trip),
                cmocka_unit_test(test_diff),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
