/* SPDX-License-Identifier: MIT */
/*
 * journald's "Suppressed N messages from UNIT" notices about our own unit,
 * read back from the journal we write to. With the journal sink, the only
 * file besides sink_journal.c that uses sd-journal.
 */
#include "journal_watch.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "journald_limits.h"

/* SD_MESSAGE_JOURNAL_DROPPED: journald's notice that it suppressed a unit's messages. */
#define DROPPED_MESSAGE_ID "a596d6fe7bfa4994828e72309e95d61e"
#define WAIT_USEC          200000
#define MARKER_TIMEOUT_MS  5000
#define REOPEN_NS          1000000000ull

struct journal_watch {
        struct journald_limits limits;
        char namespace[256];
        char marker[96]; /* OPENSNOOPD_MARKER=…, unique to this run */
        _Atomic uint64_t *suppressed;
        uint64_t start_usec; /* CLOCK_REALTIME: notices from before us are not ours */
        pthread_t thread;
        bool started;
        _Atomic bool stop;
        _Atomic bool saw_suppression;
        _Atomic bool reading; /* the thread has the journal open */
        _Atomic unsigned markers_seen;
};

static void sleep_ms(long ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static void on_entry(struct journal_watch *w, sd_journal *j)
{
        const void *data;
        size_t len;
        long n;

        if (sd_journal_get_data(j, "MESSAGE_ID", &data, &len) >= 0) {
                if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0 || len < 8)
                        return;
                n = journald_suppressed_count((const char *)data + 8, len - 8, w->limits.unit);
                if (n > 0) {
                        atomic_fetch_add(w->suppressed, (uint64_t)n);
                        atomic_store(&w->saw_suppression, true);
                }
                return;
        }
        /* one of our markers (journal_watch_settle()) */
        atomic_fetch_add(&w->markers_seen, 1);
}

/*
 * Opens the journal with the watch's matches, just after the entry at cursor
 * (the last one read), or at the watch's start when none was read yet.
 */
static int watch_open(struct journal_watch *w, const char *cursor, sd_journal **ret)
{
        sd_journal *j = NULL;
        int r;

        r = w->namespace[0] ? sd_journal_open_namespace(&j, w->namespace, SD_JOURNAL_LOCAL_ONLY)
                            : sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        /* journald's own notices, or our markers */
        if ((r = sd_journal_add_match(j, "MESSAGE_ID=" DROPPED_MESSAGE_ID, 0)) < 0 ||
            (r = sd_journal_add_match(j, "_TRANSPORT=driver", 0)) < 0 || (r = sd_journal_add_disjunction(j)) < 0 ||
            (r = sd_journal_add_match(j, w->marker, 0)) < 0) {
                sd_journal_close(j);
                return r;
        }
        if (!cursor) {
                r = sd_journal_seek_realtime_usec(j, w->start_usec);
        } else {
                /* the read pointer lands before the cursor's entry: step over it, or, where it is
                 * gone (vacuumed), back before what came after it */
                r = sd_journal_seek_cursor(j, cursor);
                if (r >= 0 && sd_journal_next(j) > 0 && sd_journal_test_cursor(j, cursor) <= 0)
                        (void)sd_journal_previous(j);
        }
        if (r < 0) {
                sd_journal_close(j);
                return r;
        }
        *ret = j;
        return 0;
}

static void *watch_main(void *arg)
{
        struct journal_watch *w = arg;
        sd_journal *j = NULL;
        char *cursor = NULL, *c;
        uint64_t opened_ns;
        bool changed = false;
        int r;

        (void)pthread_setname_np(pthread_self(), "journal-watch"); /* for top -H */
        if (watch_open(w, NULL, &j) < 0)
                return NULL;
        opened_ns = clock_ns(CLOCK_MONOTONIC);
        atomic_store(&w->reading, true);
        while (!atomic_load(&w->stop)) {
                while ((r = sd_journal_next(j)) > 0) {
                        on_entry(w, j);
                        if (sd_journal_get_cursor(j, &c) >= 0) {
                                free(cursor);
                                cursor = c;
                        }
                }
                if (r < 0 && r != -EBADMSG)
                        break;
                /* sd-journal keeps mapped what it has read of the files, and that grows with what
                 * we write (in the VM: 35 MB of the journal resident in the daemon after 166,000
                 * entries in 30 s): once a second, while the journal changes, start afresh */
                if (changed && clock_ns(CLOCK_MONOTONIC) - opened_ns >= REOPEN_NS) {
                        sd_journal_close(j);
                        j = NULL;
                        if (watch_open(w, cursor, &j) < 0)
                                break;
                        opened_ns = clock_ns(CLOCK_MONOTONIC);
                        changed = false;
                        continue;
                }
                r = sd_journal_wait(j, WAIT_USEC);
                if (r < 0)
                        break;
                /* every entry we write changes the journal: read at most five times a second */
                if (r != SD_JOURNAL_NOP) {
                        changed = true;
                        sleep_ms(WAIT_USEC / 1000);
                }
        }
        atomic_store(&w->reading, false);
        sd_journal_close(j);
        free(cursor);
        return NULL;
}

int journal_watch_start(const char *namespace, _Atomic uint64_t *suppressed, char *note, size_t note_size,
                        struct journal_watch **ret)
{
        struct journal_watch *w = calloc(1, sizeof(*w));
        int r;

        if (!w)
                return -ENOMEM;
        w->suppressed = suppressed;
        w->start_usec = clock_ns(CLOCK_REALTIME) / 1000;
        snprintf(w->namespace, sizeof(w->namespace), "%s", namespace ? namespace : "");
        snprintf(w->marker, sizeof(w->marker), "OPENSNOOPD_MARKER=%d-%" PRIu64, (int)getpid(), w->start_usec);
        journald_limits_detect("", namespace, &w->limits);
        journald_limits_describe(&w->limits, note, note_size);
        *ret = w;
        if (!w->limits.unit[0])
                return 0; /* never rate-limited: nothing to watch */
        r = pthread_create(&w->thread, NULL, watch_main, w);
        if (r != 0)
                return -r;
        w->started = true;
        return 0;
}

bool journal_watch_saw_suppression(struct journal_watch *w)
{
        return w && atomic_load(&w->saw_suppression);
}

long journal_watch_settle(struct journal_watch *w, const struct send_history *history, long max_wait_ms)
{
        uint64_t last_send_ns = history ? atomic_load(&history->last_send_ns) : 0, interval_ns, sent;
        uint64_t start = clock_ns(CLOCK_MONOTONIC), now;
        unsigned priorities = history ? atomic_load(&history->priorities) : 0, sent_markers = 0, want;
        long wait_ms;

        if (!w || !w->started || !atomic_load(&w->reading) || last_send_ns == 0 || priorities == 0)
                return 0;
        if (!journald_limits_apply(&w->limits) && !atomic_load(&w->saw_suppression))
                return 0;
        interval_ns = (w->limits.interval_usec ? w->limits.interval_usec : 30000000ull) * 1000ull;
        /* fewer entries than a burst within an interval: journald dropped none of them */
        sent = send_history_between(history, last_send_ns > interval_ns ? last_send_ns - interval_ns : 0, last_send_ns);
        if (w->limits.burst && sent < w->limits.burst)
                return 0;
        /* the interval our last entry fell in ends within one interval of it */
        now = clock_ns(CLOCK_MONOTONIC);
        if (last_send_ns + interval_ns + 500000000ull > now) {
                wait_ms = (long)((last_send_ns + interval_ns + 500000000ull - now) / 1000000ull);
                sleep_ms(wait_ms < max_wait_ms ? wait_ms : max_wait_ms);
        }
        want = atomic_load(&w->markers_seen);
        for (int p = 0; p < 8; p++) {
                if (!(priorities & (1u << p)))
                        continue;
                if (sd_journal_send("MESSAGE=opensnoopd: stopping; this entry closes journald's rate-limit interval",
                                    "PRIORITY=%d", p, "SYSLOG_IDENTIFIER=opensnoopd", "%s", w->marker, NULL) >= 0)
                        sent_markers++;
        }
        want += sent_markers;
        /* journald writes its notice before the entry that caused it: once the markers are in, so are the notices */
        for (long waited = 0; atomic_load(&w->markers_seen) < want && waited < MARKER_TIMEOUT_MS; waited += 20)
                sleep_ms(20);
        return (long)((clock_ns(CLOCK_MONOTONIC) - start) / 1000000ull);
}

struct journal_watch *journal_watch_free(struct journal_watch *w)
{
        if (!w)
                return NULL;
        if (w->started) {
                atomic_store(&w->stop, true);
                pthread_join(w->thread, NULL);
        }
        free(w);
        return NULL;
}
