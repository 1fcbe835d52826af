/* SPDX-License-Identifier: MIT */
/*
 * opensnoopd: every file open on the machine, as a structured journal entry.
 *
 * The data path: bpf_src/ (kernel side) → probe.c (libbcc, perf buffers) →
 * on_event() here → queue.c → writer.c → fields.c → journal.c or stream.c.
 * This file owns the edges: arguments, configuration, signals, the main loop,
 * readiness and status. It is the only place that exits.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "counters.h"
#include "event.h"
#include "filter_spec.h"
#include "kernel_env.h"
#include "log.h"
#include "probe.h"
#include "queue.h"
#include "status.h"
#include "stream.h"
#include "writer.h"

#ifndef OPENSNOOPD_VERSION
#define OPENSNOOPD_VERSION "0"
#endif

/* SIGTERM must end us well inside systemd's stop timeout, even with journald stuck. */
#define DRAIN_TIMEOUT_MS 1500
#define SWEEP_INTERVAL_NS 100000000ull /* read every buffer at least this often (batched wake-ups) */

struct args {
        const char *config_path;
        bool config_explicit;
        const char *output;
        unsigned long duration;
        bool check_config;
        bool print_bpf;
};

struct daemon {
        struct args args;
        struct config config;
        struct counters counters;
        struct queue *queue;
        struct writer *writer;
        struct probe *probe;
        int signal_fd;
        int timer_fd;
        uint64_t started_ns;
};

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: opensnoopd [OPTION]...\n"
                "Trace every file open on this machine and record it in the journal.\n\n"
                "  -c, --config=FILE     configuration file (default " CONFIG_DEFAULT_PATH ")\n"
                "      --output=TARGET   journal, json (one object a line on stdout) or text\n"
                "                        (opensnoop's columns); overrides [Output] Target=\n"
                "      --duration=SECS   stop after SECS seconds\n"
                "      --check-config    parse the configuration, print it, and exit\n"
                "      --print-bpf       print the BPF program as it will be compiled, and exit\n"
                "      --version         print the version and exit\n"
                "  -h, --help            print this help and exit\n\n"
                "Query what it recorded with, e.g.: journalctl OPEN_COMM=nginx -o json\n");
}

/* 0 to run, 1 to exit successfully (help, version), -EINVAL for bad arguments. */
static int parse_args(int argc, char **argv, struct args *a)
{
        enum { OPT_OUTPUT = 256, OPT_DURATION, OPT_CHECK, OPT_PRINT_BPF, OPT_VERSION };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "output", required_argument, NULL, OPT_OUTPUT },
                { "duration", required_argument, NULL, OPT_DURATION },
                { "check-config", no_argument, NULL, OPT_CHECK },
                { "print-bpf", no_argument, NULL, OPT_PRINT_BPF },
                { "version", no_argument, NULL, OPT_VERSION },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        enum output_target unused;
        char *end;
        int c;

        *a = (struct args){ .config_path = CONFIG_DEFAULT_PATH };
        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        a->config_path = optarg;
                        a->config_explicit = true;
                        break;
                case OPT_OUTPUT:
                        if (output_target_from_string(optarg, &unused) < 0) {
                                log_error("--output=%s: must be journal, json or text", optarg);
                                return -EINVAL;
                        }
                        a->output = optarg;
                        break;
                case OPT_DURATION:
                        errno = 0;
                        a->duration = strtoul(optarg, &end, 10);
                        if (errno || *end || optarg[0] == '-' || a->duration == 0 || a->duration > 31536000) {
                                log_error("--duration=%s: must be a number of seconds from 1 to 31536000", optarg);
                                return -EINVAL;
                        }
                        break;
                case OPT_CHECK:
                        a->check_config = true;
                        break;
                case OPT_PRINT_BPF:
                        a->print_bpf = true;
                        break;
                case OPT_VERSION:
                        printf("opensnoopd %s\n", OPENSNOOPD_VERSION);
                        return 1;
                case 'h':
                        usage(stdout);
                        return 1;
                default:
                        usage(stderr);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("unexpected argument '%s' (see --help)", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

/* Reads the file into c, logging every error in it. The default path may be missing. */
static int load_config(const struct args *a, struct config *c)
{
        struct config_errors errs = { 0 };
        enum output_target target;
        int r;

        config_init(c);
        r = config_load(a->config_path, !a->config_explicit, c, &errs);
        for (size_t i = 0; i < errs.n; i++)
                log_error("%s", errs.msg[i]);
        if (r < 0 && errs.n == 0)
                log_error_errno(r, "%s", a->config_path);
        if (r < 0 && errs.n > 1)
                log_error("%s: %zu errors", a->config_path, errs.n);
        config_errors_done(&errs);
        if (r < 0) {
                config_done(c);
                return r;
        }
        if (a->output && output_target_from_string(a->output, &target) == 0)
                c->target = target;
        return 0;
}

/* Root, or the capabilities BPF tracing needs (CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON). */
static bool may_trace(void)
{
        unsigned long long caps = 0;
        char line[256];
        FILE *f;

        if (geteuid() == 0)
                return true;
        f = fopen("/proc/self/status", "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "CapEff: %llx", &caps) == 1)
                        break;
        fclose(f);
        return (caps & (1ull << 21)) || ((caps & (1ull << 39)) && (caps & (1ull << 38)));
}

/* Everything that must hold before the (slow) compile, each failure one actionable line. */
static int prepare_kernel(const struct config *c, struct probe_params *params)
{
        char where[512], release[128];
        struct kernel_features features;
        bool mounted;
        int r;

        r = kernel_env_ensure_tracefs(&mounted);
        if (r < 0)
                return log_error_errno(r, "tracefs is not mounted at %s and mounting it failed; run "
                                          "'mount -t tracefs nodev %s'", TRACEFS_DIR, TRACEFS_DIR);
        if (mounted)
                log_notice("mounted tracefs at %s", TRACEFS_DIR);

        r = kernel_env_find_headers(c->kernel_source, where, sizeof(where), release, sizeof(release));
        if (r < 0) {
                log_error("kernel headers for %s not usable in %s (%s): install linux-headers-%s (or set "
                          "KernelSource= in [Probe] of the configuration)", release, where, strerror(-r), release);
                return r;
        }

        r = kernel_env_detect(&features);
        if (r < 0)
                return log_error_errno(r, "reading /proc/kallsyms");
        r = probe_plan_choose(c->mode, &features, &params->plan);
        if (r == -EOPNOTSUPP) {
                log_error("Mode=kprobe: this kernel has no kprobes (CONFIG_KPROBES); use Mode=tracepoint or auto");
                return r;
        }
        if (r < 0) {
                log_error("Mode=%s: the kernel has none of the attach points it needs (%s)", probe_mode_name(c->mode),
                          c->mode == PROBE_MODE_KPROBE ? "do_sys_openat2, do_sys_open"
                                                       : "syscalls:sys_enter_openat/sys_exit_openat");
                return r;
        }
        params->max_in_flight = c->max_in_flight;
        params->kernel_source = c->kernel_source;
        return 0;
}

/* Perf reader callback: runs in the main thread; must not block or print. */
static void on_event(void *cookie, void *raw, int size)
{
        struct daemon *d = cookie;
        int n = size > 0 ? open_event_size(raw, (size_t)size) : -EBADMSG;

        if (n < 0) {
                atomic_fetch_add(&d->counters.lost_perf, 1);
                return;
        }
        if (queue_push(d->queue, raw, (size_t)n) < 0)
                atomic_fetch_add(&d->counters.undelivered, 1);
}

static void on_lost(void *cookie, uint64_t lost)
{
        struct daemon *d = cookie;

        atomic_fetch_add(&d->counters.lost_perf, lost);
}

static void update_status(struct daemon *d)
{
        uint64_t stats[OPEN_STAT_MAX];
        char status[512];

        if (probe_read_stats(d->probe, stats) == 0) {
                atomic_store(&d->counters.filtered, stats[OPEN_STAT_FILTERED]);
                atomic_store(&d->counters.lost_kernel, stats[OPEN_STAT_STASH_FULL]);
        }
        snprintf(status, sizeof(status),
                 "Tracing with %s (%s): %" PRIu64 " written, %" PRIu64 " filtered, %" PRIu64 " lost, %" PRIu64
                 " undelivered%s",
                 probe_mode(d->probe), probe_attach_points(d->probe), atomic_load(&d->counters.written),
                 atomic_load(&d->counters.filtered), counters_lost(&d->counters),
                 atomic_load(&d->counters.undelivered),
                 atomic_load(&d->counters.journal_down) ? "; journald unreachable, queueing" : "");
        /* never sd_notify() here: it blocks when the receiver lags, and we are the perf reader */
        (void)status_notify(status);
}

static int apply_filter(struct daemon *d, const struct config *c)
{
        struct filter_spec spec;
        int r = filter_spec_build(c, (uint32_t)getpid(), &spec);

        if (r < 0)
                return r;
        r = probe_set_filter(d->probe, &spec);
        filter_spec_done(&spec);
        return r;
}

/* SIGHUP: a good new configuration replaces the filter; a bad one changes nothing. */
static void reload(struct daemon *d)
{
        char restart_only[256], applied[256];
        struct config fresh;
        int r;

        sd_notify(0, "RELOADING=1");
        if (load_config(&d->args, &fresh) < 0) {
                log_error("reloading %s failed: still running with the previous configuration", d->args.config_path);
                sd_notify(0, "READY=1");
                return;
        }
        config_diff(&d->config, &fresh, restart_only, sizeof(restart_only), applied, sizeof(applied));
        r = apply_filter(d, &fresh);
        if (r < 0) {
                log_error_errno(r, "reloading: %s failed; the filter may be partly updated, reload again",
                                probe_error(d->probe));
                /* keep the old configuration for the next diff, so the next reload retries everything */
                config_done(&fresh);
                sd_notify(0, "READY=1");
                return;
        }
        writer_set_priorities(d->writer, fresh.priority, fresh.failure_priority);
        if (restart_only[0]) {
                log_warning("reload: %s changed; these take effect after a restart, ignoring", restart_only);
                /* keep running with the old values of those keys */
                fresh.mode = d->config.mode;
                fresh.perf_buffer_pages = d->config.perf_buffer_pages;
                fresh.wakeup_events = d->config.wakeup_events;
                fresh.max_in_flight = d->config.max_in_flight;
                fresh.target = d->config.target;
                fresh.queue_size = d->config.queue_size;
                free(fresh.kernel_source);
                fresh.kernel_source = d->config.kernel_source ? strdup(d->config.kernel_source) : NULL;
        }
        log_notice("configuration reloaded from %s: %s", d->args.config_path,
                   applied[0] ? applied : "no filter or priority changed");
        config_done(&d->config);
        d->config = fresh;
        sd_notify(0, "READY=1");
}

static int setup_signals_and_timer(struct daemon *d)
{
        struct itimerspec every_second = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        d->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (d->signal_fd < 0)
                return -errno;
        d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (d->timer_fd < 0)
                return -errno;
        if (timerfd_settime(d->timer_fd, 0, &every_second, NULL) < 0)
                return -errno;
        return 0;
}

/* Polls perf buffers, signals and the status timer until asked to stop. */
static int run_loop(struct daemon *d)
{
        size_t nbuf = probe_buffer_count(d->probe);
        struct pollfd *fds = calloc(nbuf + 2, sizeof(*fds));
        uint64_t last_sweep = clock_ns(CLOCK_MONOTONIC);
        bool stop = false;

        if (!fds)
                return -ENOMEM;
        fds[0] = (struct pollfd){ .fd = d->signal_fd, .events = POLLIN };
        fds[1] = (struct pollfd){ .fd = d->timer_fd, .events = POLLIN };
        for (size_t i = 0; i < nbuf; i++)
                fds[i + 2] = (struct pollfd){ .fd = probe_buffer_fd(d->probe, i), .events = POLLIN };

        while (!stop) {
                int n = poll(fds, nbuf + 2, 100);

                if (n < 0 && errno != EINTR) {
                        free(fds);
                        return log_error_errno(-errno, "poll");
                }
                /* Wake-ups are batched (WakeupEvents=): sweep every buffer now and then so a
                 * quiet CPU's last few events are not held back. */
                if (clock_ns(CLOCK_MONOTONIC) - last_sweep >= SWEEP_INTERVAL_NS) {
                        probe_read_all(d->probe);
                        last_sweep = clock_ns(CLOCK_MONOTONIC);
                } else {
                        for (size_t i = 0; i < nbuf; i++)
                                if (fds[i + 2].revents & POLLIN)
                                        probe_read(d->probe, i);
                }
                if (fds[1].revents & POLLIN) {
                        uint64_t ticks;

                        (void)!read(d->timer_fd, &ticks, sizeof(ticks));
                        update_status(d);
                        if (d->args.duration && clock_ns(CLOCK_MONOTONIC) - d->started_ns >= d->args.duration * 1000000000ull)
                                stop = true;
                }
                if (fds[0].revents & POLLIN) {
                        struct signalfd_siginfo si;

                        while (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo == SIGHUP)
                                        reload(d);
                                else
                                        stop = true;
                        }
                }
        }
        free(fds);
        return 0;
}

static int start(struct daemon *d)
{
        struct probe_params params = { 0 };
        struct writer_options wo;
        uint64_t t0 = clock_ns(CLOCK_MONOTONIC), t1, load_ns, attach_ns;
        int r;

        r = prepare_kernel(&d->config, &params);
        if (r < 0)
                return r;
        r = queue_new(d->config.queue_size, &d->queue);
        if (r < 0)
                return log_error_errno(r, "allocating a %zu-byte queue", d->config.queue_size);

        r = probe_compile(&params, &d->probe);
        if (r < 0)
                return log_error_errno(r, "compiling the BPF program failed (clang's messages are above)");
        t1 = clock_ns(CLOCK_MONOTONIC);

        /* Filter first (it excludes ourselves), buffers second, attach last: no event is missed
         * or mis-filtered between the steps. */
        r = apply_filter(d, &d->config);
        if (r < 0)
                return log_error_errno(r, "%s", probe_error(d->probe));
        r = probe_open_buffers(d->probe, d->config.perf_buffer_pages, d->config.wakeup_events, on_event,
                               on_lost, d);
        if (r < 0)
                return log_error_errno(r, "%s", probe_error(d->probe));

        wo = (struct writer_options){
                .target = d->config.target,
                .priority = d->config.priority,
                .failure_priority = d->config.failure_priority,
                .stream = stdout,
                .start_boot_ns = clock_ns(CLOCK_BOOTTIME),
        };
        if (d->config.target == OUTPUT_TEXT)
                stream_text_header(stdout);
        r = writer_start(&wo, d->queue, &d->counters, &d->writer);
        if (r < 0)
                return log_error_errno(r, "starting the writer thread");

        r = probe_attach(d->probe);
        if (r < 0)
                return log_error_errno(r, "%s", probe_error(d->probe));
        r = probe_release_compiler(d->probe);
        if (r < 0)
                return log_error_errno(r, "%s", probe_error(d->probe));

        probe_timings(d->probe, &load_ns, &attach_ns);
        log_info("tracing opens with %s on %s (compiled in %.3f s, loaded in %.3f s, attached in %.3f s), "
                 "writing to %s",
                 probe_mode(d->probe), probe_attach_points(d->probe), (double)(t1 - t0) / 1e9,
                 (double)load_ns / 1e9, (double)attach_ns / 1e9, output_target_name(d->config.target));
        return 0;
}

/* Returns -ETIMEDOUT if the writer thread is stuck: see writer_stop(). */
static int stop_and_report(struct daemon *d)
{
        int r;

        /* Detach first, so nothing new arrives; then drain what the buffers hold. */
        probe_detach(d->probe);
        probe_read_all(d->probe);
        update_status(d);
        r = writer_stop(d->writer, DRAIN_TIMEOUT_MS);
        if (r < 0) {
                /* one event may be inside the stuck write: the rest never left */
                atomic_fetch_add(&d->counters.undelivered, queue_count(d->queue));
                log_error("journald did not take an event within %d ms; %zu queued events are counted as "
                          "undelivered", DRAIN_TIMEOUT_MS, queue_count(d->queue));
        }
        log_info("stopped: %" PRIu64 " written, %" PRIu64 " filtered, %" PRIu64 " lost, %" PRIu64 " undelivered",
                 atomic_load(&d->counters.written), atomic_load(&d->counters.filtered),
                 counters_lost(&d->counters), atomic_load(&d->counters.undelivered));
        return r;
}

static void daemon_free(struct daemon *d)
{
        d->probe = probe_free(d->probe);
        if (writer_stop(d->writer, DRAIN_TIMEOUT_MS) == 0) {
                d->writer = writer_free(d->writer);
                d->queue = queue_free(d->queue);
        }
        if (d->signal_fd >= 0)
                close(d->signal_fd);
        if (d->timer_fd >= 0)
                close(d->timer_fd);
        config_done(&d->config);
}

int main(int argc, char **argv)
{
        struct daemon d = { .signal_fd = -1, .timer_fd = -1 };
        int r;

        log_setup();
        d.started_ns = clock_ns(CLOCK_MONOTONIC);
        r = parse_args(argc, argv, &d.args);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        if (load_config(&d.args, &d.config) < 0)
                return EXIT_FAILURE;

        if (d.args.check_config) {
                config_print(&d.config, stdout);
                fprintf(stderr, "%s: configuration OK\n", d.args.config_path);
                config_done(&d.config);
                return EXIT_SUCCESS;
        }
        if (!may_trace()) {
                log_error("must run as root (or with CAP_BPF and CAP_PERFMON) to load BPF programs");
                config_done(&d.config);
                return EXIT_FAILURE;
        }
        if (d.args.print_bpf) {
                struct probe_params params = { 0 };

                r = prepare_kernel(&d.config, &params);
                if (r == 0)
                        probe_print_source(&params, stdout);
                config_done(&d.config);
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }

        /* A closed stdout (json/text piped to head) must end us cleanly, not by SIGPIPE. */
        signal(SIGPIPE, SIG_IGN);
        r = setup_signals_and_timer(&d);
        if (r < 0) {
                log_error_errno(r, "setting up signal handling");
                goto out;
        }
        r = start(&d);
        if (r < 0)
                goto out;

        update_status(&d);
        sd_notify(0, "READY=1");
        r = run_loop(&d);
        sd_notify(0, "STOPPING=1");
        if (stop_and_report(&d) < 0) {
                /* The writer thread is blocked in journald's socket and still owns the
                 * queue: leave without freeing or running exit-time destructors under it. */
                fflush(stderr);
                _exit(EXIT_FAILURE);
        }
out:
        daemon_free(&d);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
