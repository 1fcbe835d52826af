/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include <fcntl.h>

#include "fields.h"
#include "sink.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct fields f;
static struct open_event ev;
static const struct fields_options opts = { .priority = 6,
                                            .failure_priority = 5,
                                            .boot_to_realtime_ns = 1000000000000 };

static void make_event(const char *comm, const char *path, size_t path_len, uint64_t flags, int64_t result)
{
        memset(&ev, 0, sizeof(ev));
        ev.boot_ns = 5000000;
        ev.cgroup_id = 77;
        ev.flags = flags;
        ev.result = result;
        ev.pid = 1234;
        ev.tid = 1235;
        ev.uid = 1000;
        ev.gid = 100;
        ev.mode = 0640;
        ev.dirfd = AT_FDCWD;
        ev.syscall = 2;
        strncpy(ev.comm, comm, sizeof(ev.comm) - 1);
        memcpy(ev.path, path, path_len);
        ev.path_len = (uint16_t)path_len;
}

/* The value of NAME, or NULL when the entry has no such field. */
static const char *field(const char *name, size_t *len)
{
        for (size_t i = 0; i < f.n; i++) {
                size_t name_len;
                const char *v = fields_value(&f, i, &name_len, len);

                if (name_len == strlen(name) && memcmp(f.iov[i].iov_base, name, name_len) == 0)
                        return v;
        }
        return NULL;
}

static void assert_field(const char *name, const char *expected)
{
        size_t len;
        const char *v = field(name, &len);

        if (!v)
                fail_msg("no field %s", name);
        if (len != strlen(expected) || memcmp(v, expected, len) != 0)
                fail_msg("%s=%.*s, expected %s", name, (int)len, v, expected);
}

static void test_successful_open(void **state)
{
        (void)state;
        make_event("cat", "/etc/hostname", 13, O_RDONLY | O_CLOEXEC, 3);
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE", "cat[1234] opened \"/etc/hostname\" O_RDONLY|O_CLOEXEC = 3");
        assert_field("MESSAGE_ID", OPENSNOOPD_MESSAGE_OPEN);
        assert_field("PRIORITY", "6");
        assert_field("SYSLOG_IDENTIFIER", "opensnoopd");
        assert_field("OPEN_PID", "1234");
        assert_field("OPEN_TID", "1235");
        assert_field("OPEN_UID", "1000");
        assert_field("OPEN_GID", "100");
        assert_field("OPEN_COMM", "cat");
        assert_field("OPEN_PATH", "/etc/hostname");
        assert_field("OPEN_FLAGS", "0x80000");
        assert_field("OPEN_FLAGS_TEXT", "O_RDONLY|O_CLOEXEC");
        assert_field("OPEN_FD", "3");
        assert_field("OPEN_SYSCALL", "openat");
        assert_field("OPEN_CGROUP_ID", "77");
        /* (5 ms of boot time + 1000 s offset) in microseconds */
        assert_field("OPEN_TIMESTAMP_USEC", "1000005000");
        assert_null(field("OPEN_MODE", &(size_t){ 0 }));
        assert_null(field("OPEN_ERRNO", &(size_t){ 0 }));
        assert_null(field("OPEN_DIRFD", &(size_t){ 0 }));
}

static void test_failed_open(void **state)
{
        (void)state;
        make_event("cat", "/nope", 5, O_RDONLY, -ENOENT);
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE", "cat[1234] failed to open \"/nope\" O_RDONLY: ENOENT");
        assert_field("PRIORITY", "5");
        assert_field("OPEN_ERRNO", "2");
        assert_field("OPEN_ERROR", "ENOENT");
        assert_null(field("OPEN_FD", &(size_t){ 0 }));
}

static void test_create_mode_and_dirfd(void **state)
{
        (void)state;
        make_event("touch", "rel/file", 8, O_WRONLY | O_CREAT | O_TRUNC, 4);
        ev.dirfd = 7;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("OPEN_MODE", "0640");
        assert_field("OPEN_FLAGS_TEXT", "O_WRONLY|O_CREAT|O_TRUNC");
        assert_field("OPEN_DIRFD", "7");
}

static void test_newline_path_exact_and_message_escaped(void **state)
{
        (void)state;
        make_event("cat", "/tmp/a\nb", 8, O_RDONLY, -ENOENT);
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("OPEN_PATH", "/tmp/a\nb");
        assert_field("MESSAGE", "cat[1234] failed to open \"/tmp/a\\nb\" O_RDONLY: ENOENT");
}

static void test_invalid_utf8_path_and_comm(void **state)
{
        size_t len;
        const char *v;

        (void)state;
        make_event("x\x1b[m", "/tmp/\xff\xfe", 7, O_RDONLY, 3);
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        v = field("OPEN_PATH", &len);
        assert_int_equal(len, 7);
        assert_memory_equal(v, "/tmp/\xff\xfe", 7);
        assert_field("OPEN_COMM", "x\x1b[m");
        assert_field("MESSAGE", "x\\x1b[m[1234] opened \"/tmp/\\xff\\xfe\" O_RDONLY = 3");
}

static void test_longest_path(void **state)
{
        static char path[OPEN_PATH_MAX];
        size_t len;
        const char *v;

        (void)state;
        memset(path, '\x01', sizeof(path)); /* worst case for MESSAGE: every byte escaped */
        make_event("cat", path, OPEN_PATH_MAX - 1, O_RDONLY, -ENAMETOOLONG);
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        v = field("OPEN_PATH", &len);
        assert_int_equal(len, OPEN_PATH_MAX - 1);
        assert_memory_equal(v, path, OPEN_PATH_MAX - 1);
        v = field("MESSAGE", &len);
        assert_non_null(v);
        assert_null(memchr(v, '\n', len));
        assert_null(field("OPEN_PATH_TRUNCATED", &len));

        /* a path that filled the kernel side's whole buffer says so */
        ev.event_flags = OPEN_EVENT_PATH_TRUNCATED;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("OPEN_PATH_TRUNCATED", "1");
}

static void test_empty_and_unreadable_path(void **state)
{
        size_t len;

        (void)state;
        make_event("cat", "", 0, O_RDONLY, -ENOENT);
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_non_null(field("OPEN_PATH", &len));
        assert_int_equal(len, 0);
        assert_field("MESSAGE", "cat[1234] failed to open \"\" O_RDONLY: ENOENT");

        ev.event_flags = OPEN_EVENT_PATH_FAULT;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_null(field("OPEN_PATH", &len));
        assert_field("OPEN_PATH_UNREADABLE", "1");
}

static void test_loss_report(void **state)
{
        (void)state;
        assert_int_equal(fields_loss_report(&f, &(struct loss_report){ .lost = 12 }), 0);
        assert_field("MESSAGE_ID", OPENSNOOPD_MESSAGE_LOSS);
        assert_field("OPEN_LOST", "12");
        assert_field("PRIORITY", "4");
        assert_null(field("OPEN_UNDELIVERED", &(size_t){ 0 }));
        assert_int_equal(fields_loss_report(&f, &(struct loss_report){ .undelivered = 5 }), 0);
        assert_field("OPEN_UNDELIVERED", "5");
        assert_null(field("OPEN_LOST", &(size_t){ 0 }));
        assert_null(field("OPEN_SUPPRESSED", &(size_t){ 0 }));
        assert_int_equal(fields_loss_report(&f, &(struct loss_report){ .suppressed = 7 }), 0);
        assert_field("OPEN_SUPPRESSED", "7");
        assert_null(field("OPEN_UNDELIVERED_UIDS", &(size_t){ 0 }));
        assert_int_equal(fields_loss_report(&f, &(struct loss_report){ .undelivered = 9, .by_uid = "1000:8 0:1" }), 0);
        assert_field("OPEN_UNDELIVERED_UIDS", "1000:8 0:1");
        assert_null(field("OPEN_LOST_UIDS", &(size_t){ 0 }));
        assert_int_equal(fields_loss_report(&f, &(struct loss_report){ .lost = 3, .lost_by_uid = "65534:3" }), 0);
        assert_field("OPEN_LOST_UIDS", "65534:3");
}

/* A folded entry: the first open's fields, plus how many it stands for and when. */
static void test_folded_entry(void **state)
{
        (void)state;
        make_event("cat", "/etc", 4, O_RDONLY, 3);
        ev.pid = 42;
        assert_int_equal(
                fields_from_event(&f, &ev,
                                  &(struct open_context){ .fold = &(struct open_fold){ 12, 5000000, 9000000, 0 } },
                                  &opts),
                0);
        assert_field("OPEN_COUNT", "12");
        assert_field("OPEN_FIRST_USEC", "1000005000");
        assert_field("OPEN_LAST_USEC", "1000009000");
        assert_field("OPEN_PID", "42");
        assert_null(field("OPEN_PIDS", &(size_t){ 0 }));
        assert_field("MESSAGE", "cat[42] opened \"/etc\" O_RDONLY = 3 (12 times)");
        assert_int_equal(
                fields_from_event(&f, &ev,
                                  &(struct open_context){ .fold = &(struct open_fold){ 12, 5000000, 9000000, 3 } },
                                  &opts),
                0);
        assert_field("OPEN_PIDS", "3");
        assert_field("MESSAGE", "cat[42] opened \"/etc\" O_RDONLY = 3 (12 times by 3 processes)");
        /* one open while folding is on still says OPEN_COUNT=1 */
        assert_int_equal(
                fields_from_event(&f, &ev,
                                  &(struct open_context){ .fold = &(struct open_fold){ 1, 5000000, 5000000, 0 } },
                                  &opts),
                0);
        assert_field("OPEN_COUNT", "1");
        assert_null(field("OPEN_FIRST_USEC", &(size_t){ 0 }));
        assert_null(field("OPEN_LAST_USEC", &(size_t){ 0 }));
        assert_field("MESSAGE", "cat[42] opened \"/etc\" O_RDONLY = 3");
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_null(field("OPEN_COUNT", &(size_t){ 0 }));
}

static void test_json_rendering(void **state)
{
        char *text = NULL;
        size_t size = 0;
        FILE *out;

        (void)state;
        make_event("cat", "/tmp/\"q\"\n\xff", 10, O_RDONLY, 3);
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        out = open_memstream(&text, &size);
        assert_int_equal(sink_json_write_fields(out, &f), 0);
        fclose(out);
        /* invalid UTF-8 becomes a byte array, as journalctl -o json does */
        assert_non_null(strstr(text, "\"OPEN_PATH\":[47,116,109,112,47,34,113,34,10,255]"));
        assert_non_null(strstr(text, "\"OPEN_COMM\":\"cat\""));
        assert_non_null(strstr(
                text, "\"MESSAGE\":\"cat[1234] opened \\\"/tmp/\\\\\\\"q\\\\\\\"\\\\n\\\\xff\\\" O_RDONLY = 3\""));
        assert_int_equal(text[size - 1], '\n');
        assert_null(memchr(text, '\n', size - 1));
        free(text);
}

/* ERESTARTSYS and friends never reach a program: not failures it saw, and named. */
static void test_interrupted_open_is_not_a_failure(void **state)
{
        (void)state;
        make_event("cat", "/run/fifo", 9, O_RDONLY, -512);
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE", "cat[1234] was interrupted opening \"/run/fifo\" O_RDONLY: ERESTARTSYS");
        assert_field("PRIORITY", "6");
        assert_field("OPEN_INTERRUPTED", "ERESTARTSYS");
        assert_null(field("OPEN_ERRNO", &(size_t){ 0 }));
        assert_null(field("OPEN_ERROR", &(size_t){ 0 }));
        assert_null(field("OPEN_FD", &(size_t){ 0 }));

        make_event("cat", "/run/fifo", 9, O_RDONLY, -516);
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("OPEN_INTERRUPTED", "ERESTART_RESTARTBLOCK");

        /* next to them, a real EINTR is a failure the program saw */
        make_event("cat", "/run/fifo", 9, O_RDONLY, -EINTR);
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("OPEN_ERROR", "EINTR");
        assert_field("PRIORITY", "5");
        assert_null(field("OPEN_INTERRUPTED", &(size_t){ 0 }));
}

/* A name cannot pass for more of the sentence, nor hide what it says. */
static void test_message_quotes_the_path(void **state)
{
        static const char forged[] = "/tmp/x\" O_RDONLY = 3; sshd[1] opened \"/etc/shadow";
        static const char bidi[] = "/tmp/\xe2\x80\xaegpj.exe";

        (void)state;
        make_event("cat", forged, sizeof(forged) - 1, O_RDONLY, 3);
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE",
                     "cat[1234] opened \"/tmp/x\\\" O_RDONLY = 3; sshd[1] opened \\\"/etc/shadow\" O_RDONLY = 3");
        assert_field("OPEN_PATH", forged);

        make_event("cat", bidi, sizeof(bidi) - 1, O_RDONLY, 3);
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE", "cat[1234] opened \"/tmp/\\u202egpj.exe\" O_RDONLY = 3");
        assert_field("OPEN_PATH", bidi);
}

/* Who made the open: the cgroup and the units the enrich stage found. */
static void test_attribution(void **state)
{
        struct attribution who = { .cgroup = "/system.slice/docker-" HEX64 ".scope" };

        (void)state;
        snprintf(who.names.unit, sizeof(who.names.unit), "docker-%s.scope", HEX64);
        snprintf(who.names.container_id, sizeof(who.names.container_id), "%s", HEX64);
        make_event("nginx", "/etc/nginx/nginx.conf", 21, O_RDONLY, 3);
        assert_int_equal(fields_from_event(&f, &ev, &(struct open_context){ .who = &who }, &opts), 0);
        assert_field("OPEN_CGROUP", "/system.slice/docker-" HEX64 ".scope");
        assert_field("OPEN_UNIT", "docker-" HEX64 ".scope");
        assert_field("OPEN_CONTAINER_ID", HEX64);
        assert_null(field("OPEN_USER_UNIT", &(size_t){ 0 }));
        assert_field("OPEN_CGROUP_ID", "77");

        /* a cgroup with no unit (a hand-made one): its path only */
        who = (struct attribution){ .cgroup = "/mine" };
        assert_int_equal(fields_from_event(&f, &ev, &(struct open_context){ .who = &who }, &opts), 0);
        assert_field("OPEN_CGROUP", "/mine");
        assert_null(field("OPEN_UNIT", &(size_t){ 0 }));

        /* not resolved: no attribution fields, the id stays */
        assert_int_equal(fields_from_event(&f, &ev, &(struct open_context){ 0 }, &opts), 0);
        assert_null(field("OPEN_CGROUP", &(size_t){ 0 }));
        assert_field("OPEN_CGROUP_ID", "77");
}

static void test_absolute_path(void **state)
{
        size_t len;

        (void)state;
        make_event("cat", "../g\0/srv/g", 11, O_RDONLY, 3);
        ev.path_len = 4;
        ev.abs_len = 6;
        ev.event_flags = OPEN_EVENT_ABS;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("OPEN_PATH", "../g");
        assert_field("OPEN_ABS_PATH", "/srv/g");
        assert_null(field("OPEN_ABS_PATH_DELETED", &len));
        assert_null(field("OPEN_ABS_PATH_INCOMPLETE", &len));

        ev.event_flags = OPEN_EVENT_ABS | OPEN_EVENT_ABS_DELETED | OPEN_EVENT_ABS_RENAMED;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("OPEN_ABS_PATH", "/srv/g");
        assert_field("OPEN_ABS_PATH_DELETED", "1");
        assert_field("OPEN_ABS_PATH_INCOMPLETE", "renamed-during-walk");

        /* a walk that gave up: no path, only why */
        ev.event_flags = OPEN_EVENT_ABS_TOO_DEEP;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_null(field("OPEN_ABS_PATH", &len));
        assert_field("OPEN_ABS_PATH_INCOMPLETE", "too-deep");
}

/* A failed open's name, read at entry and at return: changed, or not checkable. */
static void test_failed_open_name_check(void **state)
{
        size_t len;

        (void)state;
        make_event("cat", "/nope", 5, O_RDONLY, -ENOENT);
        ev.event_flags = OPEN_EVENT_PATH_CHANGED;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE", "cat[1234] failed to open \"/nope\" (name changed during the call) O_RDONLY: ENOENT");
        assert_field("OPEN_PATH_CHANGED", "1");
        assert_null(field("OPEN_PATH_UNCHECKED", &len));

        ev.event_flags = OPEN_EVENT_PATH_UNCHECKED;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE", "cat[1234] failed to open \"/nope\" O_RDONLY: ENOENT");
        assert_field("OPEN_PATH_UNCHECKED", "1");
        assert_null(field("OPEN_PATH_CHANGED", &len));

        ev.event_flags = 0;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_null(field("OPEN_PATH_CHANGED", &len));
        assert_null(field("OPEN_PATH_UNCHECKED", &len));
}

/* Routes without an fd (exec, io_uring's fixed table), or whose result or name io_uring did not show. */
static void test_routes_without_an_fd_or_a_name(void **state)
{
        size_t len;

        (void)state;
        make_event("ls", "/usr/bin/ls", 11, O_RDONLY, 0);
        ev.syscall = OPEN_SYSCALL_EXEC;
        ev.event_flags = OPEN_EVENT_NO_FD;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE", "ls[1234] opened \"/usr/bin/ls\" O_RDONLY (exec, no fd)");
        assert_field("OPEN_SYSCALL", "exec");
        assert_field("OPEN_PATH", "/usr/bin/ls");
        assert_null(field("OPEN_FD", &len));

        make_event("app", "/srv/f", 6, O_RDONLY | 0100000 /* the kernel's O_LARGEFILE: 0 in glibc's headers */, 0);
        ev.syscall = OPEN_SYSCALL_IO_URING_OPENAT;
        ev.event_flags = OPEN_EVENT_RESULT_UNREPORTED;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE", "app[1234] had io_uring open \"/srv/f\" O_RDONLY|O_LARGEFILE (success not reported)");
        assert_field("OPEN_RESULT_UNREPORTED", "1");
        assert_field("OPEN_SYSCALL", "io_uring_openat");
        assert_field("PRIORITY", "6");
        assert_null(field("OPEN_FD", &len));

        /* submitted before the daemon looked: the result and the file, not the name */
        make_event("app", "\0/srv/f", 7, O_RDONLY, 7);
        ev.path_len = 0;
        ev.abs_len = 6;
        ev.syscall = OPEN_SYSCALL_IO_URING_OPENAT2;
        ev.event_flags = OPEN_EVENT_PATH_UNSEEN | OPEN_EVENT_NO_PATH | OPEN_EVENT_ABS;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE", "app[1234] opened \"/srv/f\" (name not seen) O_RDONLY = 7");
        assert_field("OPEN_PATH_UNSEEN", "1");
        assert_field("OPEN_ABS_PATH", "/srv/f");
        assert_field("OPEN_FD", "7");
        assert_field("OPEN_SYSCALL", "io_uring_openat2");
        assert_null(field("OPEN_PATH", &len));
}

/* What an exec opened besides its program file: OPEN_EXEC_INTERPRETER says which. */
static void test_exec_interpreters(void **state)
{
        size_t len;

        (void)state;
        /* a #! line's: its name as the kernel read it, the file walked */
        make_event("script", "/bin/sh\0/usr/bin/dash", 21, O_RDONLY, 0);
        ev.path_len = 7;
        ev.abs_len = 13;
        ev.syscall = OPEN_SYSCALL_EXEC;
        ev.interpreter = OPEN_INTERPRETER_SCRIPT;
        ev.event_flags = OPEN_EVENT_NO_FD | OPEN_EVENT_ABS;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE",
                     "script[1234] opened \"/usr/bin/dash\" (as \"/bin/sh\") O_RDONLY (exec's interpreter, no fd)");
        assert_field("OPEN_EXEC_INTERPRETER", "script");
        assert_field("OPEN_SYSCALL", "exec");
        assert_field("OPEN_PATH", "/bin/sh");
        assert_null(field("OPEN_FD", &len));

        /* the ELF interpreter: no name, the file walked */
        make_event("ls", "\0/usr/lib/ld.so", 15, O_RDONLY, 0);
        ev.path_len = 0;
        ev.abs_len = 14;
        ev.syscall = OPEN_SYSCALL_EXEC;
        ev.interpreter = OPEN_INTERPRETER_ELF;
        ev.event_flags = OPEN_EVENT_NO_FD | OPEN_EVENT_NO_PATH | OPEN_EVENT_ABS;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE", "ls[1234] opened \"/usr/lib/ld.so\" O_RDONLY (exec's ELF interpreter, no fd)");
        assert_field("OPEN_EXEC_INTERPRETER", "elf");
        assert_field("OPEN_ABS_PATH", "/usr/lib/ld.so");
        assert_null(field("OPEN_PATH", &len));

        /* ... whose mapping was not found (or AbsolutePaths=no): said so, not "a file handle" */
        ev.abs_len = 0;
        ev.event_flags = OPEN_EVENT_NO_FD | OPEN_EVENT_NO_PATH;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_field("MESSAGE", "ls[1234] opened (file not found) O_RDONLY (exec's ELF interpreter, no fd)");

        /* the program file has none */
        ev.interpreter = OPEN_INTERPRETER_NONE;
        assert_int_equal(fields_from_event(&f, &ev, NULL, &opts), 0);
        assert_null(field("OPEN_EXEC_INTERPRETER", &len));
}

/* ---- an entry of many names ---- */

static struct open_event names_ev[4];
static struct open_fold names_fold[4];

static void name_at(const void *src, size_t i, struct open_event *out, struct open_fold *fold)
{
        (void)src;
        *out = names_ev[i];
        *fold = names_fold[i];
}

/* How many fields are named name; the values joined by '|' into out. */
static size_t values_of(const char *name, char *out, size_t room)
{
        size_t count = 0, used = 0;

        out[0] = '\0';
        for (size_t i = 0; i < f.n; i++) {
                size_t name_len, len;
                const char *v = fields_value(&f, i, &name_len, &len);

                if (name_len != strlen(name) || memcmp(f.iov[i].iov_base, name, name_len) != 0)
                        continue;
                used += (size_t)snprintf(out + used, room - used, "%s%.*s", count ? "|" : "", (int)len, v);
                count++;
        }
        return count;
}

static void test_many_names(void **state)
{
        static struct open_event scratch;
        struct open_names names = { .n = 4, .pids = 2, .name = name_at, .ev = &scratch };
        char values[512];

        (void)state;
        make_event("make", "/usr/include/stdio.h", 20, O_RDONLY | O_CLOEXEC, 3);
        names_ev[0] = ev;
        names_fold[0] = (struct open_fold){ 12, 5000000, 9000000, 2 };
        make_event("make", "../a\tb\nc", 8, O_RDONLY, -ENOENT); /* relative, a tab and a newline in it */
        memcpy(ev.path + 9, "/srv/a\tb\nc", 11);
        ev.abs_len = 10;
        ev.event_flags = OPEN_EVENT_ABS;
        ev.boot_ns = 6000000;
        names_ev[1] = ev;
        names_fold[1] = (struct open_fold){ 2, 6000000, 7000000, 1 };
        make_event("make", "/usr/include/stdio.h", 20, O_RDONLY | O_CLOEXEC, -EACCES); /* a path again */
        ev.boot_ns = 6500000;
        names_ev[2] = ev;
        names_fold[2] = (struct open_fold){ 1, 6500000, 6500000, 1 };
        make_event("make", "/tmp/out", 8, O_WRONLY | O_CREAT | O_TRUNC, 4);
        ev.boot_ns = 8000000;
        names_ev[3] = ev;
        names_fold[3] = (struct open_fold){ 1, 8000000, 8000000, 1 };
        assert_int_equal(fields_from_names(&f, &names, NULL, &opts), 0);

        assert_field("MESSAGE", "make[1234] made 16 opens of 4 names, 3 failed, by 2 processes: "
                                "\"/usr/include/stdio.h\", \"/srv/a\\tb\\nc\" (as \"../a\\tb\\nc\"), "
                                "\"/usr/include/stdio.h\", \"/tmp/out\"");
        assert_field("OPEN_COUNT", "16");
        assert_field("OPEN_NAMES", "4");
        assert_field("OPEN_PIDS", "2");
        assert_field("PRIORITY", "5"); /* some failed */
        assert_field("OPEN_TIMESTAMP_USEC", "1000005000");
        assert_field("OPEN_LAST_USEC", "1000009000");
        assert_null(field("OPEN_FIRST_USEC", &(size_t){ 0 }));
        assert_null(field("OPEN_FD", &(size_t){ 0 })); /* each name's is in its line */
        /* each value once, whatever the names that have it */
        assert_int_equal(values_of("OPEN_PATH", values, sizeof(values)), 3);
        assert_string_equal(values, "/usr/include/stdio.h|../a\tb\nc|/tmp/out");
        assert_int_equal(values_of("OPEN_ABS_PATH", values, sizeof(values)), 1);
        assert_int_equal(values_of("OPEN_ERROR", values, sizeof(values)), 2);
        assert_string_equal(values, "ENOENT|EACCES");
        assert_int_equal(values_of("OPEN_ERRNO", values, sizeof(values)), 2);
        assert_int_equal(values_of("OPEN_SYSCALL", values, sizeof(values)), 1);
        assert_int_equal(values_of("OPEN_MODE", values, sizeof(values)), 1);
        assert_int_equal(values_of("OPEN_COMM", values, sizeof(values)), 1);
        /* the table: a line each, tab-separated, the paths escaped so that a line splits one way */
        assert_field("OPEN_FILES", "12\t0\t3\tO_RDONLY|O_CLOEXEC\topenat\t/usr/include/stdio.h\t\t\n"
                                   "2\t1000\tENOENT\tO_RDONLY\topenat\t../a\\tb\\nc\t/srv/a\\tb\\nc\t\n"
                                   "1\t1500\tEACCES\tO_RDONLY|O_CLOEXEC\topenat\t/usr/include/stdio.h\t\t\n"
                                   "1\t3000\t4\tO_WRONLY|O_CREAT|O_TRUNC\topenat\t/tmp/out\t\tmode=0640");
        assert_true(f.sendv_iovs <= FIELDS_SENDV_IOVS);
}

/* MESSAGE= names the names while they fit in FIELDS_NAMES_MESSAGE_MAX bytes, the first always. */
static void test_many_names_message_is_bounded(void **state)
{
        static struct open_event scratch;
        static char path[4096];
        struct open_names names = { .n = 4, .name = name_at, .ev = &scratch };
        const char *v;
        size_t len;

        (void)state;
        for (int i = 0; i < 4; i++) {
                memset(path, 'a' + i, 600);
                path[0] = '/';
                make_event("find", path, 600, O_RDONLY, 3);
                names_ev[i] = ev;
                names_fold[i] = (struct open_fold){ 1, 5000000, 5000000, 0 };
        }
        assert_int_equal(fields_from_names(&f, &names, NULL, &opts), 0);
        v = field("MESSAGE", &len);
        assert_non_null(v);
        assert_true(len < FIELDS_NAMES_MESSAGE_MAX + 100);
        assert_non_null(memmem(v, len, "/aaa", 4));
        assert_null(memmem(v, len, "/bbb", 4));
        assert_true(len > 11 && memcmp(v + len - 11, " and 3 more", 11) == 0);
}

static void test_many_names_json_repeats_as_arrays(void **state)
{
        static struct open_event scratch;
        struct open_names names = { .n = 2, .name = name_at, .ev = &scratch };
        char *text = NULL;
        size_t size = 0;
        FILE *out;

        (void)state;
        make_event("sh", "/a", 2, O_RDONLY, 3);
        names_ev[0] = ev;
        names_fold[0] = (struct open_fold){ 1, 5000000, 5000000, 0 };
        make_event("sh", "/b", 2, O_RDONLY, 3);
        names_ev[1] = ev;
        names_fold[1] = (struct open_fold){ 1, 5000000, 5000000, 0 };
        assert_int_equal(fields_from_names(&f, &names, NULL, &opts), 0);
        assert_null(field("OPEN_PIDS", &(size_t){ 0 })); /* by process */
        assert_field("PRIORITY", "6");
        out = open_memstream(&text, &size);
        assert_int_equal(sink_json_write_fields(out, &f), 0);
        fclose(out);
        assert_non_null(strstr(text, "\"OPEN_PATH\":[\"/a\",\"/b\"]"));
        assert_null(strstr(text + (strstr(text, "\"OPEN_PATH\"") - text) + 1, "\"OPEN_PATH\""));
        assert_non_null(strstr(text, "\"OPEN_COMM\":\"sh\""));
        free(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_successful_open),
                cmocka_unit_test(test_failed_open),
                cmocka_unit_test(test_attribution),
                cmocka_unit_test(test_absolute_path),
                cmocka_unit_test(test_routes_without_an_fd_or_a_name),
                cmocka_unit_test(test_exec_interpreters),
                cmocka_unit_test(test_failed_open_name_check),
                cmocka_unit_test(test_message_quotes_the_path),
                cmocka_unit_test(test_interrupted_open_is_not_a_failure),
                cmocka_unit_test(test_create_mode_and_dirfd),
                cmocka_unit_test(test_newline_path_exact_and_message_escaped),
                cmocka_unit_test(test_invalid_utf8_path_and_comm),
                cmocka_unit_test(test_longest_path),
                cmocka_unit_test(test_empty_and_unreadable_path),
                cmocka_unit_test(test_loss_report),
                cmocka_unit_test(test_folded_entry),
                cmocka_unit_test(test_json_rendering),
                cmocka_unit_test(test_many_names),
                cmocka_unit_test(test_many_names_message_is_bounded),
                cmocka_unit_test(test_many_names_json_repeats_as_arrays),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
