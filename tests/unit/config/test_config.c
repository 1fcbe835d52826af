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
#include "fold.h"
#include "opensnoop.h"
#include "probe_plan.h"
#include "sink.h"

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
        assert_false(c.filter.failed_only);
        assert_null(c.kernel_source);
        /* folding is on by default: 10 s windows, by command (docs/folding.md) */
        assert_int_equal(c.coalesce_usec, 10000000);
        assert_int_equal(c.coalesce_by, COALESCE_BY_COMMAND);
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
        assert_int_equal(c.filter.pids.n, 3);
        assert_int_equal(c.filter.pids.v[2], 3);
        assert_int_equal(c.filter.uids.n, 2);
        assert_int_equal(c.filter.uids.v[1], 1000);
        assert_int_equal(c.filter.commands.n, 2);
        assert_string_equal(c.filter.commands.v[1], "my app");
        assert_string_equal(c.filter.exclude_commands.v[0], "cron");
        assert_int_equal(c.filter.path_prefixes.n, 2);
        assert_string_equal(c.filter.exclude_path_prefixes.v[0], "/home/cache");
        assert_true(c.filter.failed_only);
        assert_int_equal(c.filter.access, ACCESS_WRITE);
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
        assert_int_equal(c.filter.commands.n, 1);
        assert_string_equal(c.filter.commands.v[0], "c");
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
                "test.conf:2: Mode=kprobes: must be auto, fentry, kprobe or tracepoint",
                "test.conf:3: PerfBufferPages=3: must be a power of two from 2 to 1024",
                "test.conf:4: PerfBufferPages=2048: must be a power of two from 2 to 1024",
                "test.conf:5: PerfBufferPages=1: must be a power of two from 2 to 1024",
                "test.conf:6: MaxInFlight=12x: must be a whole number from 64 to 1048576",
                "test.conf:7: RingBufferSize=3M: must be a power-of-two size from 64K to 256M (bytes, or with K, M or "
                "G)",
                "test.conf:8: RingBufferSize=512M: must be a power-of-two size from 64K to 256M (bytes, or with K, M "
                "or G)",
                "test.conf:9: Buffer=mmap: must be auto, ring or perf",
                "test.conf:11: FailedOnly=maybe: not a boolean (use yes or no)",
                "test.conf:12: PIDs=-4: not a process id",
                "test.conf:13: UIDs=no-such-user-here: not a user name or numeric user id",
                "test.conf:14: Commands=averyveryverylongname: longer than 15 bytes, the kernel's limit for a command "
                "name",
                "test.conf:15: Access=read: must be any or write",
                "test.conf:17: Priority=loud: must be a syslog priority, 0-7 or emerg…debug",
                "test.conf:18: QueueSize=1K: must be a size from 64K to 1G (bytes, or with K, M or G)",
                "test.conf:19: Target=syslog: must be journal, json or text",
        };

        (void)state;
        expect_errors("[Probe]\n"
                      "Mode=kprobes\n"
                      "PerfBufferPages=3\n"
                      "PerfBufferPages=2048\n"
                      "PerfBufferPages=1\n"
                      "MaxInFlight=12x\n"
                      "RingBufferSize=3M\n"
                      "RingBufferSize=512M\n"
                      "Buffer=mmap\n"
                      "[Filter]\n"
                      "FailedOnly=maybe\n"
                      "PIDs=-4\n"
                      "UIDs=no-such-user-here\n"
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

/* One limit for a path prefix, FILTER_PREFIX_MAX (what the kernel's trie key holds), whatever the word's length. */
static void test_path_prefix_limit(void **state)
{
        static const size_t lengths[] = { FILTER_PREFIX_MAX + 1, OPEN_PATH_MAX, OPEN_PATH_MAX + 1000 };
        static char text[OPEN_PATH_MAX * 2];
        char expected[128];
        struct config c;
        struct config_errors e;
        int len;

        (void)state;
        snprintf(text, sizeof(text), "[Filter]\nPathPrefixes=/%0*d\n", FILTER_PREFIX_MAX - 1, 0);
        assert_int_equal(parse(text, &c, &e), 0);
        assert_int_equal(strlen(c.filter.path_prefixes.v[0]), FILTER_PREFIX_MAX);
        config_done(&c);

        for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
                len = snprintf(text, sizeof(text), "[Filter]\nExcludePathPrefixes=/%0*d\n", (int)lengths[i] - 1, 0);
                assert_true(len > 0 && (size_t)len < sizeof(text));
                snprintf(expected, sizeof(expected), "test.conf:2: ExcludePathPrefixes=/%039d…: longer than %d bytes",
                         0, FILTER_PREFIX_MAX);
                expect_errors(text, 1, (const char *const[]){ expected });
        }
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
                assert_true(c.filter.failed_only);
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

/* --check-config and a start load the configuration alike: what a start refuses, the check refuses. */
static void test_load_refuses_untrusted_kernel_source(void **state)
{
        char dir[] = "/tmp/opensnoopd-test-XXXXXX", path[64], headers[64], text[128];
        struct config c;
        struct config_errors e = { 0 };
        FILE *f;

        (void)state;
        if (geteuid() != 0)
                skip(); /* only root's files are trusted: the configuration itself would be refused */
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/opensnoopd.conf", dir);
        snprintf(headers, sizeof(headers), "%s/headers", dir);
        snprintf(text, sizeof(text), "[Probe]\nKernelSource=%s\n", headers);
        assert_non_null(f = fopen(path, "w"));
        fputs(text, f);
        fclose(f);
        assert_int_equal(mkdir(headers, 0755), 0);
        assert_int_equal(chmod(headers, 0777), 0);

        config_init(&c);
        assert_int_equal(config_load(path, false, &c, &e), -EPERM);
        assert_int_equal(e.n, 1);
        print_message("  got: %s\n", e.msg[0]);
        assert_non_null(strstr(e.msg[0], "KernelSource="));
        assert_non_null(strstr(e.msg[0], "with mode 0777"));
        config_errors_done(&e);
        config_done(&c);

        config_init(&c);
        assert_int_equal(chmod(headers, 0755), 0);
        assert_int_equal(config_load(path, false, &c, &e), 0);
        assert_string_equal(c.kernel_source, headers);
        config_done(&c);

        /* a start could not compile from a directory that is not there either */
        config_init(&c);
        assert_int_equal(rmdir(headers), 0);
        assert_int_equal(config_load(path, false, &c, &e), -ENOENT);
        assert_int_equal(e.n, 1);
        config_errors_done(&e);
        config_done(&c);

        unlink(path);
        rmdir(dir);
}

static void write_file(const char *dir, const char *name, const char *text)
{
        char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        assert_non_null(f = fopen(path, "w"));
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static void remove_file(const char *dir, const char *name)
{
        char path[256];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        unlink(path);
}

/* PATH.d/NAME.conf after PATH, in the order of NAME, each over the last: journald.conf.d/'s rules. */
static void test_dropins(void **state)
{
        char dir[] = "/tmp/opensnoopd-test-XXXXXX", path[128], dropins[64];
        struct config c;
        struct config_errors e = { 0 };

        (void)state;
        if (geteuid() != 0)
                skip(); /* only root's files are trusted */
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/opensnoopd.conf", dir);
        snprintf(dropins, sizeof(dropins), "%s/opensnoopd.conf.d", dir);
        write_file(dir, "opensnoopd.conf",
                   "[Filter]\nCommands=bash\nExcludeUIDs=7\nFailedOnly=yes\n[Output]\nPriority=debug\n");
        assert_int_equal(mkdir(dropins, 0755), 0);
        /* written out of order: 20- applies after 10- whatever the directory's order */
        write_file(dropins, "20-second.conf", "[Output]\nPriority=notice\n[Filter]\nExcludeUIDs=\nUIDs=0\n");
        write_file(dropins, "10-first.conf", "[Output]\nPriority=warning\n[Filter]\nCommands=cat\nFailedOnly=no\n");
        /* not drop-ins: hidden, or not ending in .conf */
        write_file(dropins, ".hidden.conf", "[Filter]\nFailedOnly=yes\n");
        write_file(dropins, "30-old.conf.dpkg-old", "[Filter]\nFailedOnly=yes\n");
        write_file(dropins, "README", "not a configuration\n");

        config_init(&c);
        assert_int_equal(config_load(path, false, &c, &e), 0);
        assert_int_equal(e.n, 0);
        assert_int_equal(c.priority, 5);          /* the last drop-in's */
        assert_false(c.filter.failed_only);       /* 10-first.conf's over the main file's */
        assert_int_equal(c.filter.commands.n, 2); /* a list grows across files */
        assert_string_equal(c.filter.commands.v[0], "bash");
        assert_string_equal(c.filter.commands.v[1], "cat");
        assert_int_equal(c.filter.exclude_uids.n, 0); /* an empty assignment resets it */
        assert_int_equal(c.filter.uids.n, 1);
        config_done(&c);

        /* the main file may be missing where that is allowed: its drop-ins still apply */
        remove_file(dir, "opensnoopd.conf");
        config_init(&c);
        assert_int_equal(config_load(path, true, &c, &e), 0);
        assert_int_equal(c.priority, 5);
        assert_int_equal(c.filter.commands.n, 1);
        config_done(&c);
        config_init(&c);
        assert_int_equal(config_load(path, false, &c, &e), -ENOENT);
        assert_int_equal(e.n, 1);
        config_errors_done(&e);
        config_done(&c);

        /* every file's errors in one run, each as FILE:LINE; the lists' checks see the final values */
        write_file(dir, "opensnoopd.conf", "[Filter]\nPIDs=1\nFoo=1\n");
        write_file(dropins, "10-first.conf", "[Filter]\nExcludePIDs=1\n[Output]\nPriority=loud\n");
        config_init(&c);
        assert_int_equal(config_load(path, false, &c, &e), -EINVAL);
        for (size_t i = 0; i < e.n; i++)
                print_message("  got: %s\n", e.msg[i]);
        assert_int_equal(e.n, 3);
        assert_non_null(strstr(e.msg[0], "/opensnoopd.conf:3: unknown key 'Foo' in [Filter]"));
        assert_non_null(strstr(e.msg[1], "/opensnoopd.conf.d/10-first.conf:4: Priority=loud"));
        assert_non_null(strstr(e.msg[2], "'1' is in both PIDs= and ExcludePIDs="));
        config_errors_done(&e);
        config_done(&c);

        write_file(dir, "opensnoopd.conf", "[Filter]\nPIDs=1\n");
        write_file(dropins, "10-first.conf", "[Filter]\nPIDs=\nExcludePIDs=1\n");
        config_init(&c);
        assert_int_equal(config_load(path, false, &c, &e), 0);
        assert_int_equal(c.filter.pids.n, 0);
        assert_int_equal(c.filter.exclude_pids.n, 1);
        config_done(&c);

        /* a drop-in, and the directory, are trusted as the main file is */
        write_file(dropins, "10-first.conf", "[Filter]\nFailedOnly=yes\n");
        snprintf(path, sizeof(path), "%s/10-first.conf", dropins);
        assert_int_equal(chmod(path, 0664), 0);
        snprintf(path, sizeof(path), "%s/opensnoopd.conf", dir);
        config_init(&c);
        assert_int_equal(config_load(path, false, &c, &e), -EPERM);
        assert_int_equal(e.n, 1);
        print_message("  got: %s\n", e.msg[0]);
        assert_non_null(strstr(e.msg[0], "10-first.conf: refusing a configuration owned by uid 0 with mode 0664"));
        config_errors_done(&e);
        config_done(&c);

        remove_file(dropins, "10-first.conf");
        assert_int_equal(chmod(dropins, 0777), 0);
        config_init(&c);
        assert_int_equal(config_load(path, false, &c, &e), -EPERM);
        assert_int_equal(e.n, 1);
        print_message("  got: %s\n", e.msg[0]);
        assert_non_null(
                strstr(e.msg[0], "opensnoopd.conf.d: refusing a drop-in directory owned by uid 0 with mode 0777"));
        config_errors_done(&e);
        config_done(&c);

        remove_file(dropins, "20-second.conf");
        remove_file(dropins, ".hidden.conf");
        remove_file(dropins, "30-old.conf.dpkg-old");
        remove_file(dropins, "README");
        rmdir(dropins);
        remove_file(dir, "opensnoopd.conf");
        rmdir(dir);
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
        assert_int_equal(again.filter.commands.n, 2);
        assert_string_equal(again.filter.commands.v[0], "my app");
        assert_int_equal(again.filter.pids.v[0], 7);
        assert_int_equal(again.target, OUTPUT_TEXT);
        free(text);
        config_done(&c);
        config_done(&again);
}

/* [Output] Coalesce=: time spans as systemd writes them, 0 or no for off, bounded. */
static void test_coalesce(void **state)
{
        static const struct {
                const char *text;
                uint64_t usec;
        } good[] = {
                { "0", 0 },
                { "no", 0 },
                { "500ms", 500000 },
                { "1s", 1000000 },
                { "10", 10000000 },
                { "1min", 60000000 },
                { "1min 30s", 90000000 },
                { "1.5s", 1500000 },
                { "2500us", 2500 },
                { "10min", 600000000 },
        };
        static const char *const bad[] = {
                "test.conf:2: Coalesce=-1s: must be 0 or no, or a time span from 1ms to 10min (\"500ms\", \"10s\", "
                "\"1min\")",
                "test.conf:3: Coalesce=1fortnight: must be 0 or no, or a time span from 1ms to 10min (\"500ms\", "
                "\"10s\", \"1min\")",
                "test.conf:4: Coalesce=11min: must be 0 or no, or a time span from 1ms to 10min (\"500ms\", \"10s\", "
                "\"1min\")",
                "test.conf:5: Coalesce=500us: must be 0 or no, or a time span from 1ms to 10min (\"500ms\", \"10s\", "
                "\"1min\")",
                "test.conf:6: Coalesce=s: must be 0 or no, or a time span from 1ms to 10min (\"500ms\", \"10s\", "
                "\"1min\")",
                "test.conf:7: Coalesce=99999999999999999999s: must be 0 or no, or a time span from 1ms to 10min "
                "(\"500ms\", \"10s\", \"1min\")",
                "test.conf:8: CoalesceBy=thread: must be process or command",
        };
        struct config c;
        struct config_errors e;
        char text[128];

        (void)state;
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                snprintf(text, sizeof(text), "[Output]\nCoalesce=%s\nCoalesceBy=process\n", good[i].text);
                assert_int_equal(parse(text, &c, &e), 0);
                assert_int_equal(c.coalesce_usec, good[i].usec);
                assert_int_equal(c.coalesce_by, COALESCE_BY_PROCESS);
                config_done(&c);
        }
        expect_errors("[Output]\nCoalesce=-1s\nCoalesce=1fortnight\nCoalesce=11min\nCoalesce=500us\nCoalesce=s\n"
                      "Coalesce=99999999999999999999s\nCoalesceBy=thread\n",
                      sizeof(bad) / sizeof(bad[0]), bad);
}

/* Printed spans parse back to the same value; a reload applies both keys. */
static void test_coalesce_print_and_diff(void **state)
{
        static const char *const spans[] = { "no", "1500ms", "90s", "2min", "2500us" };
        struct config c, again;
        struct config_errors e;
        char text[128], restart[256], applied[256], *printed = NULL;
        size_t size = 0;
        FILE *f;

        (void)state;
        for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
                snprintf(text, sizeof(text), "[Output]\nCoalesce=%s\nCoalesceBy=command\n", spans[i]);
                assert_int_equal(parse(text, &c, &e), 0);
                f = open_memstream(&printed, &size);
                config_print(&c, f);
                fclose(f);
                assert_non_null(strstr(printed, spans[i]));
                assert_int_equal(parse(printed, &again, &e), 0);
                assert_int_equal(again.coalesce_usec, c.coalesce_usec);
                assert_int_equal(again.coalesce_by, COALESCE_BY_COMMAND);
                free(printed);
                printed = NULL;
                config_done(&c);
                config_done(&again);
        }
        assert_int_equal(parse("[Output]\nCoalesce=1s\n", &c, &e), 0);
        assert_int_equal(parse("[Output]\nCoalesce=10s\nCoalesceBy=process\n", &again, &e), 0);
        config_diff(&c, &again, restart, sizeof(restart), applied, sizeof(applied));
        assert_string_equal(restart, "");
        assert_string_equal(applied, "Coalesce= CoalesceBy=");
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

/* An include and an exclude list share one kernel map, and its size: checked where parsed. */
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

        {
                static const char *const expected_ids[] = {
                        "test.conf: '5' is in both PIDs= and ExcludePIDs=",
                        "test.conf: '0' is in both UIDs= and ExcludeUIDs=",
                };

                expect_errors("[Filter]\nPIDs=5 6\nExcludePIDs=5\nUIDs=0\nExcludeUIDs=0 1000\n", 2, expected_ids);
        }
}

/* What --check-config prints for c parses back to a configuration no different from c. */
static void assert_print_round_trips(const struct config *c)
{
        struct config again;
        struct config_errors e;
        char restart[256], applied[256], *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        config_print(c, f);
        fclose(f);
        assert_int_equal(parse(text, &again, &e), 0);
        config_diff(c, &again, restart, sizeof(restart), applied, sizeof(applied));
        assert_string_equal(restart, "");
        assert_string_equal(applied, "");
        free(text);
        config_done(&again);
}

/* What --check-config prints parses back to the same configuration, quotes and spaces included. */
static void test_print_round_trip_of_awkward_words(void **state)
{
        struct config c;
        struct config_errors e;

        (void)state;
        assert_int_equal(parse("[Filter]\nPathPrefixes=\"/a b\" '/q\"uote' \"/both'\"'\"'\n", &c, &e), 0);
        assert_int_equal(c.filter.path_prefixes.n, 3);
        assert_string_equal(c.filter.path_prefixes.v[1], "/q\"uote");
        assert_string_equal(c.filter.path_prefixes.v[2], "/both'\"");
        assert_print_round_trips(&c);
        config_done(&c);
}

/* UIDs= and ExcludeUIDs= take user names, resolved when the file is read. */
static void test_user_names(void **state)
{
        struct config c;
        struct config_errors e;

        (void)state;
        assert_int_equal(parse("[Filter]\nUIDs=root 1000\nExcludeUIDs=nobody\n", &c, &e), 0);
        assert_int_equal(c.filter.uids.n, 2);
        assert_int_equal(c.filter.uids.v[0], 0);
        assert_int_equal(c.filter.uids.v[1], 1000);
        assert_int_equal(c.filter.exclude_uids.n, 1);
        assert_int_equal(c.filter.exclude_uids.v[0], 65534);
        config_done(&c);
}

/* Units= and ExcludeUnits=: unit names with a cgroup, checked when read, printed back as read. */
static void test_units(void **state)
{
        static const char *const expected[] = {
                "test.conf:2: Units=multi-user.target: this unit type has no cgroup; name a .service, .scope, "
                ".slice, .socket, .mount or .swap unit",
                "test.conf:2: Units=nginx: not a unit name; write one as systemctl shows it (\"nginx.service\", "
                "\"user.slice\", \"getty@tty1.service\")",
                "test.conf:2: Units=getty@.service: not a unit name; write one as systemctl shows it "
                "(\"nginx.service\", \"user.slice\", \"getty@tty1.service\")",
                "test.conf:3: ExcludeUnits=\"\" cron.service: an empty word; write ExcludeUnits= alone to clear the "
                "list",
                "test.conf: 'cron.service' is in both Units= and ExcludeUnits=",
        };
        struct config c;
        struct config_errors e;
        char *text = NULL;
        size_t size = 0;
        FILE *f;

        (void)state;
        assert_int_equal(parse("[Filter]\nUnits=system.slice getty@tty1.service\nExcludeUnits=cron.service "
                               "session-3.scope\n",
                               &c, &e),
                         0);
        assert_int_equal(c.filter.units.n, 2);
        assert_string_equal(c.filter.units.v[1], "getty@tty1.service");
        assert_int_equal(c.filter.exclude_units.n, 2);
        assert_string_equal(c.filter.exclude_units.v[1], "session-3.scope");
        f = open_memstream(&text, &size);
        config_print(&c, f);
        fclose(f);
        assert_non_null(strstr(text, "Units=system.slice getty@tty1.service\n"));
        assert_non_null(strstr(text, "ExcludeUnits=cron.service session-3.scope\n"));
        free(text);
        assert_print_round_trips(&c);
        config_done(&c);

        expect_errors("[Filter]\nUnits=multi-user.target nginx getty@.service cron.service\n"
                      "ExcludeUnits=\"\" cron.service\n",
                      5, expected);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_empty_value_resets_list),
                cmocka_unit_test(test_user_names),
                cmocka_unit_test(test_units),
                cmocka_unit_test(test_unknown_key_and_section),
                cmocka_unit_test(test_bad_values_all_reported),
                cmocka_unit_test(test_syntax_errors),
                cmocka_unit_test(test_conflicts_and_limits),
                cmocka_unit_test(test_shared_maps_and_empty_words),
                cmocka_unit_test(test_print_round_trip_of_awkward_words),
                cmocka_unit_test(test_path_prefix_limit),
                cmocka_unit_test(test_nul_byte),
                cmocka_unit_test(test_load_refuses_untrusted_file),
                cmocka_unit_test(test_load_refuses_untrusted_kernel_source),
                cmocka_unit_test(test_dropins),
                cmocka_unit_test(test_print_round_trip),
                cmocka_unit_test(test_diff),
                cmocka_unit_test(test_coalesce),
                cmocka_unit_test(test_coalesce_print_and_diff),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
