/* SPDX-License-Identifier: MIT */
/*
 * The fold stage: which opens share an entry under each key, when a window
 * closes, the bounds on pending keys (the oldest leave early, nothing is
 * dropped), and the pipeline's exact counts through a sink that is away.
 */
#include "test_helpers.h"

#include <fcntl.h>

#include "counters.h"
#include "fold.h"
#include "pipeline.h"
#include "sink.h"

#define MS 1000000ull

static struct open_event make(uint32_t pid, const char *comm, const char *path, int64_t result)
{
        struct open_event ev = { .pid = pid, .tid = pid, .uid = 1000, .gid = 1000, .cgroup_id = 7, .result = result };

        strncpy(ev.comm, comm, sizeof(ev.comm) - 1);
        ev.path_len = (uint16_t)strlen(path);
        memcpy(ev.path, path, ev.path_len + 1);
        return ev;
}

/* Pops every entry due by now_ns; returns how many, and adds their counts to *opens. */
static size_t drain(struct fold *f, uint64_t now_ns, uint64_t *opens)
{
        static struct open_event out;
        struct open_fold info;
        size_t n = 0;

        while (fold_oldest(f, now_ns, &out, &info)) {
                *opens += info.count;
                fold_pop(f);
                n++;
        }
        return n;
}

static void test_process_key(void **state)
{
        struct open_event a = make(10, "cat", "/etc/passwd", 3), ev;
        struct open_fold info;
        struct fold *f;
        uint64_t opens = 0;

        (void)state;
        assert_int_equal(fold_new(COALESCE_BY_PROCESS, 1000 * MS, 16, 1 << 20, &f), 0);
        a.boot_ns = 100;
        assert_int_equal(fold_add(f, &a, 0), 0);
        a.result = 4; /* another fd: the same outcome */
        a.boot_ns = 300;
        assert_int_equal(fold_add(f, &a, 1 * MS), 0);
        assert_int_equal(fold_keys(f), 1);
        a.pid = 11; /* another process */
        assert_int_equal(fold_add(f, &a, 2 * MS), 0);
        a.pid = 10;
        a.result = -ENOENT; /* another outcome */
        assert_int_equal(fold_add(f, &a, 3 * MS), 0);
        a.result = -EACCES;
        assert_int_equal(fold_add(f, &a, 3 * MS), 0);
        a.result = -ENOENT; /* the same errno again */
        assert_int_equal(fold_add(f, &a, 3 * MS), 0);
        a.result = 3;
        a.flags = O_WRONLY; /* other flags */
        assert_int_equal(fold_add(f, &a, 4 * MS), 0);
        a.flags = 0;
        memcpy(a.path, "/etc/passwe", 12); /* other path bytes, same length */
        assert_int_equal(fold_add(f, &a, 5 * MS), 0);
        assert_int_equal(fold_keys(f), 6);
        assert_int_equal(fold_opens(f), 8);

        /* nothing is due before the first window closes; then the oldest first */
        assert_false(fold_oldest(f, 999 * MS, &ev, &info));
        assert_true(fold_oldest(f, 1000 * MS, &ev, &info));
        assert_int_equal(info.count, 2);
        assert_int_equal(info.first_ns, 100);
        assert_int_equal(info.last_ns, 300);
        assert_int_equal(info.pids, 0);
        assert_int_equal(ev.result, 3); /* the first open's fields */
        assert_string_equal(ev.path, "/etc/passwd");
        fold_pop(f);
        assert_int_equal(drain(f, 1002 * MS, &opens), 1); /* pid 11's */
        assert_int_equal(drain(f, UINT64_MAX, &opens), 4);
        assert_int_equal(opens, 6);
        assert_int_equal(fold_keys(f), 0);
        assert_int_equal(fold_opens(f), 0);
        assert_int_equal(fold_bytes(f), 0);
        f = fold_free(f);
}

static void test_command_key_counts_processes(void **state)
{
        struct open_event a = make(20, "cc1", "/usr/lib/libc.so.6", 3), ev;
        struct open_fold info;
        struct fold *f;

        (void)state;
        assert_int_equal(fold_new(COALESCE_BY_COMMAND, 10 * MS, 16, 1 << 20, &f), 0);
        for (uint32_t pid = 20; pid < 30; pid++) {
                a.pid = pid;
                assert_int_equal(fold_add(f, &a, 0), 0);
                assert_int_equal(fold_add(f, &a, 0), 0);
        }
        assert_int_equal(fold_keys(f), 1);
        a.uid = 0; /* another user */
        assert_int_equal(fold_add(f, &a, 0), 0);
        a.uid = 1000;
        a.cgroup_id = 8; /* another cgroup */
        assert_int_equal(fold_add(f, &a, 0), 0);
        a.cgroup_id = 7;
        strcpy(a.comm, "as"); /* another command */
        assert_int_equal(fold_add(f, &a, 0), 0);
        assert_int_equal(fold_keys(f), 4);
        assert_true(fold_oldest(f, 10 * MS, &ev, &info));
        assert_int_equal(info.count, 20);
        assert_int_equal(info.pids, 10);
        assert_int_equal(ev.pid, 20); /* OPEN_PID: the first */
        fold_pop(f);
        assert_true(fold_oldest(f, 10 * MS, &ev, &info));
        assert_int_equal(info.count, 1);
        assert_int_equal(info.pids, 1);
        f = fold_free(f);
}

/* A window is fixed from its first open: a steady stream makes one entry per window. */
static void test_windows_close(void **state)
{
        struct open_event a = make(10, "poller", "/proc/stat", 3);
        struct fold *f;
        uint64_t opens = 0;
        size_t entries = 0;

        (void)state;
        assert_int_equal(fold_new(COALESCE_BY_PROCESS, 100 * MS, 16, 1 << 20, &f), 0);
        for (uint64_t t = 0; t < 1000 * MS; t += 10 * MS) {
                entries += drain(f, t, &opens);
                assert_int_equal(fold_add(f, &a, t), 0);
        }
        entries += drain(f, UINT64_MAX, &opens);
        assert_int_equal(opens, 100);
        assert_int_equal(entries, 10);
        f = fold_free(f);
}

/* After a burst has drained, the table's pages are given back: it still folds, from empty buckets. */
static void test_folds_after_a_drained_burst(void **state)
{
        struct fold *f;
        uint64_t opens = 0;
        char path[32];

        (void)state;
        assert_int_equal(fold_new(COALESCE_BY_COMMAND, 100 * MS, FOLD_MAX_KEYS, FOLD_MAX_BYTES, &f), 0);
        for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 20000; i++) {
                        struct open_event ev;

                        snprintf(path, sizeof(path), "/d%d", i);
                        ev = make(10, "burst", path, -2);
                        assert_int_equal(fold_add(f, &ev, 0), 0);
                        assert_int_equal(fold_add(f, &ev, 0), 0);
                }
                assert_int_equal(fold_keys(f), 20000);
                assert_int_equal(drain(f, UINT64_MAX, &opens), 20000);
                assert_int_equal(fold_keys(f), 0);
                assert_int_equal(fold_bytes(f), 0);
        }
        assert_int_equal(opens, 80000);
        f = fold_free(f);
}

static void test_bounds_refuse_new_keys(void **state)
{
        struct open_event a = make(10, "find", "/a", 3);
        struct fold *f;
        uint64_t opens = 0;

        (void)state;
        assert_int_equal(fold_new(COALESCE_BY_PROCESS, 1000 * MS, 4, 1 << 20, &f), 0);
        for (int i = 0; i < 4; i++) {
                a.path[1] = (char)('a' + i);
                assert_int_equal(fold_add(f, &a, 0), 0);
        }
        a.path[1] = 'z';
        assert_int_equal(fold_add(f, &a, 0), -ENOSPC);
        a.path[1] = 'b'; /* a pending key still counts */
        assert_int_equal(fold_add(f, &a, 0), 0);
        assert_int_equal(fold_opens(f), 5);
        assert_int_equal(drain(f, UINT64_MAX, &opens), 4);
        assert_int_equal(opens, 5);
        f = fold_free(f);

        /* the byte bound: paths are what make keys large */
        assert_int_equal(fold_new(COALESCE_BY_PROCESS, 1000 * MS, 1000, 3 * (200 + 4096), &f), 0);
        memset(a.path, 'p', 4000);
        a.path_len = 4000;
        a.path[4000] = '\0';
        assert_int_equal(fold_add(f, &a, 0), 0);
        a.path[0] = 'q';
        assert_int_equal(fold_add(f, &a, 0), 0);
        a.path[0] = 'r';
        assert_int_equal(fold_add(f, &a, 0), 0);
        a.path[0] = 's';
        assert_int_equal(fold_add(f, &a, 0), -ENOSPC);
        assert_true(fold_bytes(f) <= 3 * (200 + 4096));
        f = fold_free(f);
}

/* A command entry holds at most FOLD_MAX_PIDS pids: the next pid starts a new entry, counts stay exact. */
static void test_pid_set_bound(void **state)
{
        struct open_event a = make(1, "sh", "/etc/ld.so.cache", 3), ev;
        struct open_fold info;
        struct fold *f;

        (void)state;
        assert_int_equal(fold_new(COALESCE_BY_COMMAND, 1000 * MS, 16, 64 << 20, &f), 0);
        for (uint32_t pid = 1; pid <= FOLD_MAX_PIDS + 10; pid++) {
                a.pid = pid;
                assert_int_equal(fold_add(f, &a, 0), 0);
        }
        assert_int_equal(fold_keys(f), 2);
        assert_true(fold_oldest(f, UINT64_MAX, &ev, &info));
        assert_int_equal(info.count, FOLD_MAX_PIDS);
        assert_int_equal(info.pids, FOLD_MAX_PIDS);
        fold_pop(f);
        assert_true(fold_oldest(f, UINT64_MAX, &ev, &info));
        assert_int_equal(info.count, 10);
        assert_int_equal(ev.pid, FOLD_MAX_PIDS + 1);
        f = fold_free(f);
}

/* An entry of many names: the oldest's key but the name, in the order they came, each name's counts its own. */
static void test_gather_takes_the_names_of_a_key(void **state)
{
        static struct open_event ev;
        struct open_event a = make(30, "make", "/usr/include/stdio.h", 3);
        struct open_fold info;
        struct fold *f;

        (void)state;
        assert_int_equal(fold_new(COALESCE_BY_COMMAND, 100 * MS, 64, 1 << 20, &f), 0);
        assert_int_equal(fold_made(f), 0);
        assert_int_equal(fold_done(f), 0);
        a.boot_ns = 1;
        assert_int_equal(fold_add(f, &a, 0), 0);
        assert_int_equal(fold_add(f, &a, 0), 0);
        a.pid = 31; /* another process of the command: the same key but the name */
        strcpy(a.path, "/etc/ld.so.cache");
        a.path_len = (uint16_t)strlen(a.path);
        assert_int_equal(fold_add(f, &a, 10 * MS), 0);
        strcpy(a.comm, "cc1"); /* another command: another entry */
        assert_int_equal(fold_add(f, &a, 20 * MS), 0);
        strcpy(a.comm, "make");
        a.result = -ENOENT; /* another outcome of a name the key has: a name of its own */
        assert_int_equal(fold_add(f, &a, 30 * MS), 0);
        assert_int_equal(fold_keys(f), 4);
        assert_int_equal(fold_made(f), 4);

        assert_false(fold_oldest(f, 99 * MS, &ev, &info));
        assert_true(fold_oldest(f, 100 * MS, &ev, &info));
        assert_int_equal(fold_gather(f), 3);
        fold_gathered(f, 0, &ev, &info);
        assert_string_equal(ev.path, "/usr/include/stdio.h");
        assert_int_equal(info.count, 2);
        fold_gathered(f, 1, &ev, &info);
        assert_string_equal(ev.path, "/etc/ld.so.cache");
        assert_int_equal(ev.result, 3);
        assert_int_equal(info.count, 1);
        fold_gathered(f, 2, &ev, &info);
        assert_int_equal(ev.result, -ENOENT);
        uint32_t pids;
        assert_int_equal(fold_gathered_pids(f, &pids), 0);
        assert_int_equal(pids, 2);
        fold_pop_gathered(f);
        assert_int_equal(fold_keys(f), 1);
        assert_int_equal(fold_opens(f), 1);
        /* the cc1 entry, made third, is the oldest now: the two before it are done, the one after it too */
        assert_int_equal(fold_done(f), 2);
        assert_true(fold_oldest(f, UINT64_MAX, &ev, &info));
        assert_string_equal(ev.comm, "cc1");
        assert_int_equal(fold_gather(f), 1);
        fold_pop_gathered(f);
        assert_int_equal(fold_keys(f), 0);
        assert_int_equal(fold_bytes(f), 0);
        assert_int_equal(fold_done(f), 4);
        f = fold_free(f);

        /* by process: the pid is the key; another process's names wait for their own entry */
        assert_int_equal(fold_new(COALESCE_BY_PROCESS, 100 * MS, 64, 1 << 20, &f), 0);
        a = make(40, "sh", "/a", 3);
        assert_int_equal(fold_add(f, &a, 0), 0);
        a.pid = 41;
        assert_int_equal(fold_add(f, &a, 0), 0);
        a.pid = 40;
        strcpy(a.path, "/b");
        assert_int_equal(fold_add(f, &a, 0), 0);
        assert_true(fold_oldest(f, UINT64_MAX, &ev, &info));
        assert_int_equal(fold_gather(f), 2);
        assert_int_equal(fold_gathered_pids(f, &pids), 0);
        assert_int_equal(pids, 0);
        fold_pop_gathered(f);
        assert_true(fold_oldest(f, UINT64_MAX, &ev, &info));
        assert_int_equal(ev.pid, 41);
        f = fold_free(f);
}

/* At most FOLD_NAMES_MAX names an entry, and no more than fields.h's room for their paths: the rest wait. */
static void test_gather_bounds(void **state)
{
        static struct open_event ev;
        struct open_event a = make(50, "find", "/", 3);
        struct open_fold info;
        struct fold *f;
        size_t taken = 0, entries = 0;

        (void)state;
        assert_int_equal(fold_new(COALESCE_BY_COMMAND, 100 * MS, 4096, 64 << 20, &f), 0);
        for (int i = 0; i < FOLD_NAMES_MAX + 5; i++) {
                snprintf(a.path, sizeof(a.path), "/usr/share/doc/%d", i);
                a.path_len = (uint16_t)strlen(a.path);
                assert_int_equal(fold_add(f, &a, 0), 0);
        }
        assert_true(fold_oldest(f, UINT64_MAX, &ev, &info));
        assert_int_equal(fold_gather(f), FOLD_NAMES_MAX);
        fold_pop_gathered(f);
        assert_true(fold_oldest(f, UINT64_MAX, &ev, &info));
        assert_int_equal(fold_gather(f), 5);
        fold_pop_gathered(f);
        assert_int_equal(fold_keys(f), 0);

        /* long paths with a newline: each takes 4 iovecs of sendv and up to 5 times its bytes */
        memset(a.path, 'x', 4000);
        a.path[10] = '\n';
        a.path_len = 4000;
        a.path[4000] = '\0';
        for (int i = 0; i < 100; i++) {
                snprintf(a.path, 12, "/%09d", i);
                a.path[10] = '\n';
                assert_int_equal(fold_add(f, &a, 0), 0);
        }
        while (fold_oldest(f, UINT64_MAX, &ev, &info)) {
                struct fields_cost c, all = { 0, 0 };
                size_t n = fold_gather(f);

                for (size_t i = 0; i < n; i++) {
                        fold_gathered(f, i, &ev, &info);
                        fields_name_cost(ev.path, ev.path_len, NULL, 0, &c);
                        all.iovs += c.iovs;
                        all.bytes += c.bytes;
                }
                assert_true(n == 1 || (all.iovs <= FIELDS_NAMES_IOVS && all.bytes <= FIELDS_NAMES_BYTES));
                taken += n;
                entries++;
                fold_pop_gathered(f);
        }
        assert_int_equal(taken, 100);
        assert_true(entries > 1);
        f = fold_free(f);
}

/* Many opens at once (a repeat slot's count): counted n times, the earliest and latest kept. */
static void test_add_n(void **state)
{
        static struct open_event out;
        struct open_event ev = make(10, "cat", "/etc/x", 3);
        struct open_fold info;
        struct fold *f;

        (void)state;
        assert_int_equal(fold_new(COALESCE_BY_COMMAND, 100 * MS, 16, 1 << 20, &f), 0);
        ev.boot_ns = 50 * MS;
        assert_int_equal(fold_add_n(f, &ev, 9, 20 * MS, 0), 0);
        ev.boot_ns = 60 * MS;
        assert_int_equal(fold_add(f, &ev, 0), 0);
        assert_int_equal(fold_opens(f), 10);
        assert_true(fold_oldest(f, UINT64_MAX, &out, &info));
        assert_int_equal(info.count, 10);
        assert_int_equal(info.first_ns, 20 * MS);
        assert_int_equal(info.last_ns, 60 * MS);
        assert_int_equal(info.pids, 1);
        fold_free(f);
}

/* ---- the pipeline: counts in opens, early emission, retries, reconfiguration ---- */

static uint64_t sink_entries, sink_opens, sink_names;
static int away_left;

static int count_write_event(struct sink *s, const struct open_event *ev, const struct open_context *ctx)
{
        const struct open_fold *fold = ctx->fold;

        (void)s;
        (void)ev;
        if (away_left > 0) {
                away_left--;
                return -EAGAIN;
        }
        assert_non_null(fold);
        sink_entries++;
        sink_opens += fold->count;
        return 0;
}

static int count_write_names(struct sink *s, const struct open_names *names, const struct open_context *ctx)
{
        static struct open_event ev;
        struct open_fold fold;

        (void)s;
        (void)ctx;
        if (away_left > 0) {
                away_left--;
                return -EAGAIN;
        }
        assert_true(names->n >= 2);
        sink_entries++;
        sink_names += names->n;
        for (size_t i = 0; i < names->n; i++) {
                names->name(names->src, i, &ev, &fold);
                sink_opens += fold.count;
        }
        return 0;
}

static int count_write_loss(struct sink *s, const struct loss_report *report)
{
        (void)s;
        (void)report;
        return 0;
}

static const struct sink_ops count_ops = { .write_event = count_write_event,
                                           .write_names = count_write_names,
                                           .write_loss = count_write_loss };

static void push(struct pipeline *p, const struct open_event *ev, uint64_t now_ns, int expect)
{
        assert_int_equal(pipeline_push(p, ev, OPEN_EVENT_HEADER_SIZE + ev->path_len + 1, now_ns), expect);
}

static void test_pipeline_counts_opens(void **state)
{
        struct sink_options so = { .priority = 6, .failure_priority = 5 };
        struct counters c = { 0 };
        struct open_event a = make(10, "cat", "/k00000", 3);
        struct sink *sink;
        struct pipeline *p;

        (void)state;
        sink_entries = sink_opens = 0;
        away_left = 0;
        assert_int_equal(sink_new(&count_ops, &so, &sink), 0);
        assert_int_equal(pipeline_new(sink, NULL, &c, &(struct coalesce){ 1000 * MS, COALESCE_BY_PROCESS, false }, &p), 0);
        /* 200,000 distinct keys, three opens each, through a table of FOLD_MAX_KEYS: early emission */
        for (int round = 0; round < 3; round++)
                for (int i = 0; i < 200000; i++) {
                        snprintf(a.path, sizeof(a.path), "/k%05d", i);
                        push(p, &a, 0, 0);
                }
        assert_true(pipeline_pending(p) <= FOLD_MAX_KEYS * 3);
        assert_int_equal(atomic_load(&c.written) + pipeline_pending(p), 600000);
        /* the sink is away: the flush is refused, nothing is counted, then it all arrives */
        away_left = 3;
        assert_int_equal(pipeline_emit(p, UINT64_MAX), -EAGAIN);
        assert_int_equal(atomic_load(&c.written) + pipeline_pending(p), 600000);
        while (pipeline_emit(p, UINT64_MAX) == -EAGAIN)
                ;
        assert_int_equal(pipeline_pending(p), 0);
        assert_int_equal(atomic_load(&c.written), 600000);
        assert_int_equal(sink_opens, 600000);
        assert_int_equal(atomic_load(&c.undelivered), 0);

        /* a record the sink refuses with -EAGAIN while the table is full is offered again, not counted */
        for (int i = 0; i < FOLD_MAX_KEYS; i++) {
                snprintf(a.path, sizeof(a.path), "/k%05d", i);
                push(p, &a, 0, 0);
        }
        away_left = 1;
        snprintf(a.path, sizeof(a.path), "/new");
        push(p, &a, 0, -EAGAIN);
        push(p, &a, 0, 0);
        assert_int_equal(atomic_load(&c.written) + pipeline_pending(p), 600000 + FOLD_MAX_KEYS + 1);

        /* a reload changes the key: what is pending is written first */
        pipeline_set_coalesce(p, &(struct coalesce){ 10 * MS, COALESCE_BY_COMMAND, false });
        assert_int_equal(pipeline_reconfigure(p), 0);
        assert_int_equal(pipeline_pending(p), 0);
        assert_int_equal(atomic_load(&c.written), 600000 + FOLD_MAX_KEYS + 1);

        /* a stop out of time: the pending opens are undelivered, every one */
        for (int i = 0; i < 5; i++)
                push(p, &a, 0, 0);
        pipeline_abandon(p);
        assert_int_equal(atomic_load(&c.undelivered), 5);
        assert_int_equal(pipeline_pending(p), 0);

        /* folding off: no fold info, one entry an open */
        pipeline_set_coalesce(p, &(struct coalesce){ 0, COALESCE_BY_PROCESS, false });
        assert_int_equal(pipeline_reconfigure(p), 0);
        p = pipeline_free(p);
        sink = sink_free(sink);
}

/* CoalesceNames=yes: entries of many names, every open counted once, the sink away or not. */
static void test_pipeline_names(void **state)
{
        struct sink_options so = { .priority = 6, .failure_priority = 5 };
        struct counters c = { 0 };
        struct open_event a = make(10, "cat", "/k00000", 3);
        struct sink *sink;
        struct pipeline *p;

        (void)state;
        sink_entries = sink_opens = sink_names = 0;
        away_left = 0;
        assert_int_equal(sink_new(&count_ops, &so, &sink), 0);
        assert_int_equal(pipeline_new(sink, NULL, &c, &(struct coalesce){ 1000 * MS, COALESCE_BY_COMMAND, true }, &p),
                         0);
        /* 100,000 names of one command, twice each, through a table of FOLD_MAX_KEYS: early emission */
        for (int round = 0; round < 2; round++)
                for (int i = 0; i < 100000; i++) {
                        snprintf(a.path, sizeof(a.path), "/k%05d", i);
                        a.path_len = (uint16_t)strlen(a.path);
                        push(p, &a, 0, 0);
                }
        away_left = 2;
        assert_int_equal(pipeline_emit(p, UINT64_MAX), -EAGAIN);
        while (pipeline_emit(p, UINT64_MAX) == -EAGAIN)
                ;
        assert_int_equal(pipeline_pending(p), 0);
        assert_int_equal(atomic_load(&c.written), 200000);
        assert_int_equal(sink_opens, 200000);
        assert_true(sink_entries * FOLD_NAMES_MAX >= sink_names);
        assert_true(sink_entries < 200000 / 64); /* many names an entry */
        p = pipeline_free(p);
        sink = sink_free(sink);
}

/* A repeat slot's count (OPEN_RECORD_REPEATS) is more of the open that made the slot, or undelivered as it. */
static struct open_event repeats_of(uint16_t slot, uint32_t gen, int64_t n, uint64_t first_ns, uint64_t last_ns)
{
        struct open_event r = { .kind = OPEN_RECORD_REPEATS, .repeat_slot = slot, .repeat_gen = gen, .result = n,
                                .pid = 10, .uid = 1000, .gid = 1000, .boot_ns = last_ns, .flags = first_ns };

        return r;
}

static void test_pipeline_repeats(void **state)
{
        struct sink_options so = { .priority = 6, .failure_priority = 5 };
        struct counters c = { 0 };
        struct open_event a = make(10, "cat", "/etc/x", 3), r;
        struct sink *sink;
        struct pipeline *p;

        (void)state;
        sink_entries = sink_opens = 0;
        away_left = 0;
        assert_int_equal(sink_new(&count_ops, &so, &sink), 0);
        assert_int_equal(pipeline_new(sink, NULL, &c, &(struct coalesce){ 1000 * MS, COALESCE_BY_PROCESS, false }, &p), 0);
        a.boot_ns = 5 * MS;
        a.repeat_slot = 2;
        a.repeat_gen = 5;
        push(p, &a, 0, 0);
        r = repeats_of(2, 5, 41, 6 * MS, 9 * MS);
        push(p, &r, 0, 0);
        /* one key: one entry of 42 opens */
        assert_int_equal(pipeline_pending(p), 42);
        assert_int_equal(atomic_load(&c.repeats), 41);
        /* the sink away: offered again, counted once */
        away_left = 1;
        assert_int_equal(pipeline_emit(p, UINT64_MAX), -EAGAIN);
        assert_int_equal(pipeline_emit(p, UINT64_MAX), 0);
        assert_int_equal(sink_entries, 1);
        assert_int_equal(atomic_load(&c.written), 42);
        /* after the window: a new entry of the same open, from the same origin */
        r = repeats_of(2, 5, 3, 20 * MS, 21 * MS);
        push(p, &r, 0, 0);
        assert_int_equal(pipeline_pending(p), 3);
        /* another generation of the slot, or a slot no record named: their origin never arrived */
        r = repeats_of(2, 6, 7, 0, 0);
        push(p, &r, 0, 0);
        r = repeats_of(9, 1, 11, 0, 0);
        push(p, &r, 0, 0);
        assert_int_equal(atomic_load(&c.undelivered), 18);
        /* the slot made again by another open: its repeats are that one's */
        a.repeat_gen = 6;
        snprintf(a.path, sizeof(a.path), "/etc/y");
        a.path_len = 6;
        push(p, &a, 0, 0);
        r = repeats_of(2, 6, 100, 30 * MS, 31 * MS);
        push(p, &r, 0, 0);
        assert_int_equal(pipeline_emit(p, UINT64_MAX), 0);
        assert_int_equal(atomic_load(&c.written), 42 + 3 + 101);
        assert_int_equal(sink_opens, 42 + 3 + 101);
        assert_int_equal(atomic_load(&c.repeats), 41 + 3 + 100);
        /* a queued count abandoned at a stop is undelivered whole */
        r = repeats_of(2, 6, 13, 0, 0);
        pipeline_abandon_record(p, &r, OPEN_EVENT_HEADER_SIZE + 1);
        assert_int_equal(atomic_load(&c.undelivered), 18 + 13);
        p = pipeline_free(p);
        sink = sink_free(sink);
}

static uint64_t rank_by_table(uint32_t uid, void *ctx)
{
        const uint64_t *ranks = ctx;

        return ranks[uid];
}

static void add_opens(uint32_t uid, uint64_t n, void *ctx)
{
        uint64_t *opens = ctx;

        opens[uid] += n;
}

/* A stop's order: by rank, lowest first, the order within one rank kept; the opens by user before it. */
static void test_reorder_for_a_stop(void **state)
{
        static const uint32_t uids[] = { 2, 1, 2, 0, 1, 2 };
        static const char *const names[] = { "/a", "/b", "/c", "/d", "/e", "/f" };
        static const char *const order[] = { "/d", "/b", "/e", "/a", "/c", "/f" };
        uint64_t ranks[3] = { 1, 2, 3 }, opens[3] = { 0 };
        static struct open_event out;
        struct open_fold info;
        struct fold *f;
        size_t n = 0;

        (void)state;
        assert_int_equal(fold_new(COALESCE_BY_PROCESS, 1000 * MS, 16, 1 << 20, &f), 0);
        for (size_t i = 0; i < 6; i++) {
                struct open_event ev = make(100, "x", names[i], 0);

                ev.uid = uids[i];
                assert_int_equal(fold_add(f, &ev, i * MS), 0);
                if (i == 5) /* twice: one entry of two opens */
                        assert_int_equal(fold_add(f, &ev, i * MS), 0);
        }
        fold_each_pending(f, add_opens, opens);
        assert_int_equal(opens[0], 1);
        assert_int_equal(opens[1], 2);
        assert_int_equal(opens[2], 4);
        assert_int_equal(fold_reorder(f, rank_by_table, ranks), 0);
        for (; fold_oldest(f, UINT64_MAX, &out, &info); n++) {
                assert_string_equal(out.path, order[n]);
                fold_pop(f);
        }
        assert_int_equal(n, 6);
        /* entries added after a reorder come last, and leave in order */
        fold_free(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_process_key),        cmocka_unit_test(test_command_key_counts_processes),
                cmocka_unit_test(test_windows_close),      cmocka_unit_test(test_bounds_refuse_new_keys),
                cmocka_unit_test(test_pid_set_bound),      cmocka_unit_test(test_pipeline_counts_opens),
                cmocka_unit_test(test_reorder_for_a_stop), cmocka_unit_test(test_folds_after_a_drained_burst),
                cmocka_unit_test(test_gather_takes_the_names_of_a_key), cmocka_unit_test(test_gather_bounds),
                cmocka_unit_test(test_pipeline_names),     cmocka_unit_test(test_pipeline_repeats),
                cmocka_unit_test(test_add_n),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
