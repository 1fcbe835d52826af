/* SPDX-License-Identifier: MIT */
#include "session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "counters.h"
#include "enrich.h"
#include "filter_maps.h"
#include "journal_watch.h"
#include "kernel_env.h"
#include "kernel_layout.h"
#include "pending_loss.h"
#include "pipeline.h"
#include "probe.h"
#include "queue.h"
#include "reader.h"
#include "sink.h"
#include "unit_filter.h"
#include "writer.h"

struct session {
        struct counters counters;
        struct probe *probe;
        struct queue *queue;
        struct reader *reader;
        struct sink *sink;
        struct enrich *enrich;
        struct pipeline *pipeline;
        struct unit_filter *units; /* Units=/ExcludeUnits= for the cgroups the kernel has no verdict on */
        struct writer *writer;
        struct journal_watch *watch; /* journal: journald's own drops */
        uint32_t repeat_epoch;       /* the kernel's repeat slots made under another are stale (opensnoop.h) */
        enum output_target target;
        bool mounted_tracefs;
        bool writer_stuck;
        double compile_s;
        char last_status[1024];
        char journal_note[512];
        char hook_note[256]; /* Mode=fentry's warning on a kernel that preempts kernel code; "" */
        char abs_paths[256]; /* "on", "off", or why they are off against the configuration */
        char repeats[160];   /* which repeats the kernel counts, while folding is on */
        char error[512];
        enum session_failure failure;
        char state_dir[4096];        /* where a loss report journald did not take waits (pending_loss.h) */
        uint64_t start_usec;         /* CLOCK_REALTIME at the start: the earliest an open of ours was made */
        struct pending_loss carried; /* an earlier daemon's, sent first; empty: none */
        char carry_note[4800];
        char stop_note[4800];
        struct probe_lost_uid lost_seen[LOST_UIDS_MAX]; /* the kernel's losses by user as last read, by uid */
        size_t n_lost_seen;
};

/* At a stop, how long we wait at most for journald to say what it dropped in its last interval. */
#define SUPPRESSION_WAIT_MS 45000

__attribute__((format(printf, 2, 3))) static void set_error(struct session *s, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(s->error, sizeof(s->error), fmt, ap);
        va_end(ap);
}

/* A failing step of session_start(): which part failed, for main's exit status. */
static int failed(struct session *s, enum session_failure kind, int r)
{
        s->failure = kind;
        return r;
}

int session_new(const char *state_dir, struct session **ret)
{
        struct session *s;

        if (strlen(state_dir) >= sizeof(s->state_dir))
                return -ENAMETOOLONG;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        strcpy(s->state_dir, state_dir);
        uid_losses_init(&s->counters.undelivered_by_uid);
        uid_losses_init(&s->counters.lost_by_uid);
        *ret = s;
        return 0;
}

/*
 * The daemon's pid as the kernel side sees it (the root namespace's). In a
 * PID namespace getpid() is another number; /proc/self/status's NSpid starts
 * with the pid in the namespace of whoever mounted /proc (the host's, where
 * /proc is the host's).
 */
static uint32_t own_kernel_pid(void)
{
        char line[256];
        unsigned long pid = (unsigned long)getpid();
        FILE *f = fopen("/proc/self/status", "re");

        if (!f)
                return (uint32_t)pid;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "NSpid: %lu", &pid) == 1)
                        break;
        fclose(f);
        return (uint32_t)pid;
}

/* Our systemd unit, from our cgroup ("0::/system.slice/opensnoopd.service"), or NULL outside one. */
static char *own_unit(void)
{
        char line[512], *unit = NULL;
        FILE *f = fopen("/proc/self/cgroup", "re");

        if (!f)
                return NULL;
        while (!unit && fgets(line, sizeof(line), f)) {
                char *last;

                line[strcspn(line, "\n")] = '\0';
                last = strrchr(line, '/');
                if (strncmp(line, "0::", 3) == 0 && last && strlen(last) > 9 &&
                    strcmp(last + strlen(last) - 8, ".service") == 0)
                        unit = strdup(last + 1);
        }
        fclose(f);
        return unit;
}

static int store_verdict(void *cookie, uint64_t cgroup_id, uint8_t verdict)
{
        return probe_store_cgroup_verdict(cookie, cgroup_id, verdict);
}

static int clear_verdicts(void *cookie)
{
        return probe_clear_cgroup_verdicts(cookie);
}

static int apply_filter(struct session *s, const struct config *c)
{
        struct filter_maps maps;
        char *unit = own_unit();
        struct filter_self self = { .pid = own_kernel_pid(), .unit = unit };
        int r = filter_maps_build(&c->filter, &self, &maps);

        free(unit);

        if (r < 0)
                return r;
        if (!s->enrich && (c->filter.units.n || c->filter.exclude_units.n)) {
                /* no cgroup path to match: every open would be recorded, and silently */
                filter_maps_done(&maps);
                set_error(s, "applying Units= and ExcludeUnits=: they need a cgroup2 mount, and there is none");
                return -ENOMEDIUM;
        }
        /* the new unit lists, and no verdict of the old ones, before the kernel acts on the new settings */
        r = unit_filter_set(s->units, &c->filter);
        if (r < 0) {
                filter_maps_done(&maps);
                set_error(s, "clearing the cached unit verdicts");
                return r;
        }
        /* Repeats are counted in the kernel while folding is on: each filter gets an epoch of its own,
         * so that no open the new one would judge otherwise is counted under the old one's verdict. */
        if (c->coalesce_usec) {
                if (++s->repeat_epoch == 0)
                        s->repeat_epoch = 1;
                maps.settings.repeats = s->repeat_epoch;
        }
        r = probe_set_filter(s->probe, &maps);
        filter_maps_done(&maps);
        if (r < 0)
                set_error(s, "%s", probe_error(s->probe));
        return r;
}

/*
 * The kernel's layout, which the absolute-path walk (AbsolutePaths=) and
 * io_uring's opens need. A kernel without BTF still traces, without either:
 * the startup line says so.
 */
static int session_layout(struct session *s, const struct config *c, const struct kallsyms *ksyms,
                          struct kernel_layout *layout)
{
        char why[200];
        int r = kernel_layout_load(layout, ksyms, why, sizeof(why));

        if (!c->absolute_paths)
                snprintf(s->abs_paths, sizeof(s->abs_paths), "off");
        else if (r < 0)
                snprintf(s->abs_paths, sizeof(s->abs_paths), "off (%s)", why);
        else
                snprintf(s->abs_paths, sizeof(s->abs_paths), "on%s",
                         layout->rename_lock ? ""
                                             : " (renames during a walk go unnoticed: no rename_lock in kallsyms)");
        return r;
}

/* Which repeats the kernel side counts (repeat.bpf.h says why those), for the startup line. */
static void describe_repeats(struct session *s, const struct probe_params *params)
{
        const struct kernel_layout *l = params->layout;

        if (!probe_counts_repeats(s->probe))
                snprintf(s->repeats, sizeof(s->repeats), "in user space (the kernel's need the ring buffer and 5.12)");
        else if (l && params->abs_paths && (!l->rename_lock || !l->mount_lock))
                snprintf(s->repeats, sizeof(s->repeats),
                         "in the kernel for failed opens (successful ones need rename_lock and mount_lock in "
                         "kallsyms)");
        else
                snprintf(s->repeats, sizeof(s->repeats), "in the kernel");
}

/*
 * A loss report an earlier daemon kept because journald did not take it
 * (pending_loss.h): into *carry, for the writer to send first. A file we
 * cannot trust or read is left alone, and said once in the note.
 */
static bool load_carried(struct session *s, struct writer_carry *carry)
{
        char why[512];
        int r = pending_loss_read(s->state_dir, &s->carried, why, sizeof(why));

        if (r == -ENOENT)
                return false;
        if (r < 0) {
                s->carried = (struct pending_loss){ 0 };
                snprintf(s->carry_note, sizeof(s->carry_note), "ignoring the pending loss report in %s: %s",
                         s->state_dir, why);
                return false;
        }
        pending_loss_to_report(&s->carried, &carry->report);
        (void)pending_loss_path(s->state_dir, carry->path, sizeof(carry->path));
        snprintf(s->carry_note, sizeof(s->carry_note),
                 "opensnoopd[%ld] stopped before journald took its loss report (%" PRIu64 " lost, %" PRIu64
                 " undelivered): writing it first",
                 (long)s->carried.pid, s->carried.lost, s->carried.undelivered);
        return true;
}

int session_start(struct session *s, const struct config *c)
{
        struct probe_params params = { .max_in_flight = c->max_in_flight,
                                       .wakeup_events = c->wakeup_events,
                                       .ring_buffer_size = c->ring_buffer_size };
        static const struct sink_ops *const sink_for_target[] = {
                [OUTPUT_JOURNAL] = &sink_journal_ops,
                [OUTPUT_JSON] = &sink_json_ops,
                [OUTPUT_TEXT] = &sink_text_ops,
        };
        struct sink_options so = {
                .priority = c->priority,
                .failure_priority = c->failure_priority,
                .stream = stdout,
                .start_boot_ns = clock_ns(CLOCK_BOOTTIME),
        };
        uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
        struct kernel_layout layout;
        struct writer_carry *carry;
        struct kallsyms ksyms;
        int r;

        s->target = c->target;
        s->start_usec = clock_ns(CLOCK_REALTIME) / 1000;
        kallsyms_read(&ksyms); /* once, for the layout and the plan */
        r = session_layout(s, c, &ksyms, &layout);
        if (r == 0) {
                params.layout = &layout;
                params.abs_paths = c->absolute_paths;
        }
        r = kernel_env_plan(c->mode, c->buffer, c->kernel_source, &ksyms, &params.plan, &s->mounted_tracefs, s->error,
                            sizeof(s->error));
        if (r < 0)
                return failed(s, SESSION_FAILED_KERNEL, r);
        snprintf(s->hook_note, sizeof(s->hook_note), "%s", params.plan.fentry_warning);
        r = queue_new(c->queue_size, &s->queue);
        if (r < 0) {
                set_error(s, "allocating a %zu-byte queue", c->queue_size);
                return r;
        }
        r = probe_compile(&params, &s->probe, s->error, sizeof(s->error));
        if (r < 0)
                return failed(s, SESSION_FAILED_KERNEL, r);
        s->compile_s = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;

        r = unit_filter_new(&(struct unit_verdict_store){ store_verdict, clear_verdicts, s->probe }, &s->units);
        if (r < 0)
                return r;
        /* no cgroup2 mount (or none we can read): entries carry no attribution, and Units= cannot be used */
        if (enrich_new(&s->enrich) < 0)
                s->enrich = NULL;
        /* Filter first (it excludes ourselves), buffers and the reader second, attach third, the
         * writer last: no open is missed or mis-filtered between the steps, and the queue holds
         * the records until the writer knows every cgroup's name. */
        r = apply_filter(s, c);
        if (r < 0) /* -ENOMEDIUM: Units= on a machine with no cgroup2 mount, the configuration's to mend */
                return failed(s, r == -ENOMEDIUM ? SESSION_FAILED_CONFIG : SESSION_FAILED_KERNEL, r);
        r = reader_new(s->queue, &s->counters, &s->reader);
        if (r < 0)
                return r;
        r = probe_open_buffers(s->probe, c->perf_buffer_pages, c->wakeup_events, reader_on_event, s->reader);
        if (r < 0) {
                set_error(s, "%s", probe_error(s->probe));
                return failed(s, SESSION_FAILED_KERNEL, r);
        }
        describe_repeats(s, &params);
        r = sink_new(sink_for_target[c->target], &so, &s->sink);
        if (r < 0)
                return r;
        r = pipeline_new(s->sink, s->enrich, &s->counters,
                         &(struct coalesce){ c->coalesce_usec * 1000, c->coalesce_by, c->coalesce_names }, &s->pipeline);
        if (r < 0)
                return r;
        pipeline_set_unit_filter(s->pipeline, s->units);
        sink_header(s->sink);
        if (c->target == OUTPUT_JOURNAL) {
                /* systemd sets $LOG_NAMESPACE with LogNamespace=: the journal we write to is that one */
                r = journal_watch_start(getenv("LOG_NAMESPACE"), &s->counters.suppressed, s->journal_note,
                                        sizeof(s->journal_note), &s->watch);
                if (r < 0) {
                        set_error(s, "starting the journal watch thread");
                        return failed(s, SESSION_FAILED_JOURNAL, r);
                }
        }
        r = reader_start(s->reader, s->probe);
        if (r < 0) {
                set_error(s, "starting the reader thread");
                return r;
        }
        r = probe_attach(s->probe);
        if (r < 0) {
                set_error(s, "%s", probe_error(s->probe));
                return failed(s, SESSION_FAILED_KERNEL, r);
        }
        /* After the attach, a cgroup made is reported; the scan finds those there before. The
         * writer starts after it, so the first record is looked up with every name known;
         * the queue holds what comes meanwhile. A scan cut short: the rest are asked of the kernel. */
        if (probe_learns_cgroups(s->probe))
                (void)pipeline_learn_cgroups(s->pipeline);
        carry = calloc(1, sizeof(*carry));
        if (!carry)
                return -ENOMEM;
        r = writer_start(s->queue, s->pipeline, s->sink, &s->counters, load_carried(s, carry) ? carry : NULL,
                         &s->writer);
        free(carry);
        if (r < 0) {
                set_error(s, "starting the writer thread");
                return r;
        }
        return 0;
}

enum session_failure session_failure(const struct session *s)
{
        return s->failure;
}

uint64_t session_writer_alive_ns(const struct session *s)
{
        return s->writer ? writer_alive_ns(s->writer) : 0;
}

int session_apply(struct session *s, const struct config *c)
{
        int r = apply_filter(s, c);

        if (r < 0)
                return r;
        sink_set_priorities(s->sink, c->priority, c->failure_priority);
        /* the writer writes what is pending in fold windows first, then folds per c */
        pipeline_set_coalesce(s->pipeline, &(struct coalesce){ c->coalesce_usec * 1000, c->coalesce_by, c->coalesce_names });
        return 0;
}

/*
 * The kernel's losses by user, read again: what each user lost since the
 * last read is added to ours (the kernel's counts only grow; its table's
 * order does not hold from one read to the next, so they are matched by uid).
 */
static void refresh_lost_by_uid(struct session *s)
{
        struct probe_lost_uid now[LOST_UIDS_MAX];
        size_t n, j = 0;

        if (probe_read_lost_uids(s->probe, now, LOST_UIDS_MAX, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                uint64_t before = 0;

                while (j < s->n_lost_seen && s->lost_seen[j].uid < now[i].uid)
                        j++;
                if (j < s->n_lost_seen && s->lost_seen[j].uid == now[i].uid)
                        before = s->lost_seen[j].count;
                if (now[i].count > before)
                        uid_losses_add(&s->counters.lost_by_uid, now[i].uid, now[i].count - before);
        }
        memcpy(s->lost_seen, now, n * sizeof(now[0]));
        s->n_lost_seen = n;
}

/* The kernel keeps its own counters: copy them into ours. */
static void refresh_counters(struct session *s)
{
        uint64_t stats[OPEN_STAT_MAX];

        if (!s->probe)
                return;
        /* by user first: a loss counted between the two reads is then in the total, not missing from it */
        refresh_lost_by_uid(s);
        if (probe_read_stats(s->probe, stats) == 0) {
                atomic_store(&s->counters.filtered, stats[OPEN_STAT_FILTERED]);
                atomic_store(&s->counters.lost_kernel, stats[OPEN_STAT_STASH_FULL] + stats[OPEN_STAT_BUFFER_FULL]);
                atomic_store(&s->counters.names_lost_kernel, stats[OPEN_STAT_CGROUP_FULL]);
        }
}

bool session_status(struct session *s, char *buf, size_t size)
{
        char counts[768];
        bool changed;

        refresh_counters(s);
        counters_format(&s->counters, counts, sizeof(counts));
        snprintf(buf, size, "Tracing with %s (%s): %s%s", probe_mode_names[probe_mode(s->probe)],
                 probe_attach_points(s->probe), counts,
                 atomic_load(&s->counters.sink_down) ? "; journald unreachable, queueing" : "");
        changed = strcmp(buf, s->last_status) != 0;
        snprintf(s->last_status, sizeof(s->last_status), "%s", buf);
        return changed;
}

void session_describe(struct session *s, char *buf, size_t size)
{
        uint64_t load_ns, attach_ns;

        probe_timings(s->probe, &load_ns, &attach_ns);
        snprintf(buf, size,
                 "tracing opens with %s on %s through %s (compiled in %.3f s, loaded in %.3f s, attached in %.3f s), "
                 "absolute paths %s, repeats counted %s while folding, writing to %s",
                 probe_mode_names[probe_mode(s->probe)], probe_attach_points(s->probe),
                 probe_buffer_description(s->probe), s->compile_s, (double)load_ns / 1e9, (double)attach_ns / 1e9,
                 s->abs_paths, s->repeats, output_target_names[s->target]);
}

const char *session_journal_note(const struct session *s)
{
        return s->journal_note;
}

const char *session_hook_note(const struct session *s)
{
        return s->hook_note;
}

const char *session_carry_note(const struct session *s)
{
        return s->carry_note;
}

const char *session_stop_note(const struct session *s)
{
        return s->stop_note;
}

bool session_mounted_tracefs(const struct session *s)
{
        return s->mounted_tracefs;
}

/*
 * After the writer: journald says what it dropped in an interval only when
 * our next entry comes after it. Let it say so, count it, and report it.
 */
static void settle_suppressed(struct session *s)
{
        struct uid_loss_counts said_by_uid, said_lost_by_uid, by_uid;
        struct loss_report said, news;

        journal_watch_settle(s->watch, sink_journal_history(s->sink), SUPPRESSION_WAIT_MS);
        s->watch = journal_watch_free(s->watch);
        writer_reported(s->writer, &said, &said_by_uid, &said_lost_by_uid);
        news = (struct loss_report){ .lost = counters_lost(&s->counters) - said.lost,
                                     .undelivered = atomic_load(&s->counters.undelivered) - said.undelivered,
                                     .suppressed = atomic_load(&s->counters.suppressed) - said.suppressed };
        uid_losses_snapshot(&s->counters.undelivered_by_uid, &by_uid);
        uid_losses_format_news(&by_uid, &said_by_uid, news.by_uid, sizeof(news.by_uid));
        uid_losses_snapshot(&s->counters.lost_by_uid, &by_uid);
        uid_losses_format_news(&by_uid, &said_lost_by_uid, news.lost_by_uid, sizeof(news.lost_by_uid));
        if (news.lost || news.undelivered || news.suppressed)
                (void)sink_write_loss(s->sink, &news);
}

/*
 * After the writer: what its last loss report could not say (journald did
 * not take it before the stop's deadline), with the earlier daemon's report
 * if that was not taken either, is kept in the state directory for the next
 * start. Returns whether anything was left to keep.
 */
static bool keep_unreported(struct session *s)
{
        struct pending_loss left = { .pid = getpid(),
                                     .since_usec = s->start_usec,
                                     .until_usec = clock_ns(CLOCK_REALTIME) / 1000 };
        struct uid_loss_counts said_by_uid, said_lost_by_uid, by_uid;
        struct loss_report said;
        char why[512] = "";
        int r;

        writer_reported(s->writer, &said, &said_by_uid, &said_lost_by_uid);
        uid_losses_snapshot(&s->counters.undelivered_by_uid, &by_uid);
        uid_losses_news(&by_uid, &said_by_uid, &left.by_uid);
        uid_losses_snapshot(&s->counters.lost_by_uid, &by_uid);
        uid_losses_news(&by_uid, &said_lost_by_uid, &left.lost_by_uid);
        left.lost = counters_lost(&s->counters) - said.lost;
        left.undelivered = atomic_load(&s->counters.undelivered) - said.undelivered;
        left.suppressed = atomic_load(&s->counters.suppressed) - said.suppressed;
        r = writer_carry_removed(s->writer);
        if (r < 0)
                snprintf(s->stop_note, sizeof(s->stop_note),
                         "journald took the earlier loss report, but removing it from %s failed (%s): the next "
                         "start will report it again",
                         s->state_dir, strerror(-r));
        if (pending_loss_empty(&left))
                return false;
        if (!pending_loss_empty(&s->carried) && writer_carry_pending(s->writer))
                pending_loss_merge(&left, &s->carried);
        r = pending_loss_write(s->state_dir, &left, why, sizeof(why));
        if (r < 0)
                snprintf(s->stop_note, sizeof(s->stop_note),
                         "journald did not take the last loss report (%" PRIu64 " lost, %" PRIu64
                         " undelivered), and keeping it for the next start failed: %s",
                         left.lost, left.undelivered, why[0] ? why : strerror(-r));
        else
                snprintf(s->stop_note, sizeof(s->stop_note),
                         "journald did not take the last loss report (%" PRIu64 " lost, %" PRIu64
                         " undelivered): kept in %s/" PENDING_LOSS_NAME " for the next start",
                         left.lost, left.undelivered, s->state_dir);
        return true;
}

/*
 * A stuck writer's queue (closed, so it no longer changes): each record is
 * counted as undelivered, in the opens it stands for, by its user. Returns
 * how many records there were.
 */
static size_t abandon_queued(struct session *s)
{
        struct queue_item *items = NULL;
        size_t n = 0;

        if (queue_list(s->queue, &items, &n) < 0) {
                n = queue_count(s->queue);
                atomic_fetch_add(&s->counters.undelivered, n);
                return n;
        }
        for (size_t i = 0; i < n; i++)
                pipeline_abandon_record(s->pipeline, items[i].data, items[i].len);
        free(items);
        return n;
}

int session_stop(struct session *s, char *summary, size_t size)
{
        int r;

        /* Detach first, so nothing new arrives; then read what the buffers still hold. */
        probe_detach(s->probe);
        reader_stop(s->reader);
        probe_drain(s->probe);
        refresh_counters(s);
        r = writer_stop(s->writer, SESSION_DRAIN_TIMEOUT_MS);
        if (r == -ETIMEDOUT) {
                /* one record may be inside the stuck write: the rest never left */
                s->writer_stuck = true;
                set_error(s,
                          "the writer did not end within %d ms, even interrupted; %zu queued events are counted as "
                          "undelivered",
                          3 * SESSION_DRAIN_TIMEOUT_MS, abandon_queued(s));
        } else if (!keep_unreported(s) && s->watch) {
                /* journald took our last report: let it say what it dropped */
                settle_suppressed(s);
        }
        counters_format(&s->counters, summary, size);
        return r;
}

const char *session_error(const struct session *s)
{
        return s && s->error[0] ? s->error : "unknown step";
}

struct session *session_free(struct session *s)
{
        if (!s)
                return NULL;
        /* A stuck writer still uses the queue, the pipeline and the sink: leave them to exit. */
        if (s->writer_stuck)
                return NULL;
        s->reader = reader_free(s->reader); /* it polls the probe */
        if (writer_stop(s->writer, SESSION_DRAIN_TIMEOUT_MS) == -ETIMEDOUT)
                return NULL;
        s->writer = writer_free(s->writer);
        s->probe = probe_free(s->probe); /* after the writer: it stores unit verdicts in the probe's map */
        s->watch = journal_watch_free(s->watch);
        s->pipeline = pipeline_free(s->pipeline);
        s->units = unit_filter_free(s->units);
        s->enrich = enrich_free(s->enrich);
        s->sink = sink_free(s->sink);
        s->queue = queue_free(s->queue);
        uid_losses_done(&s->counters.undelivered_by_uid);
        uid_losses_done(&s->counters.lost_by_uid);
        free(s);
        return NULL;
}
