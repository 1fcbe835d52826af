/* SPDX-License-Identifier: MIT */
/*
 * opensnoopd: every file open on the machine, as a structured journal entry.
 *
 * The edges: arguments, configuration, signals, readiness and status, the
 * loop. The data path lives in session.c and the files it names. This is the
 * only file that exits.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "kernel_env.h"
#include "log.h"
#include "notify.h"
#include "probe.h"
#include "session.h"

#ifndef OPENSNOOPD_VERSION
#define OPENSNOOPD_VERSION "0"
#endif

struct args {
        const char *config_path;
        bool config_explicit;
        const char *output;
        unsigned long duration;
        bool check_config;
        bool print_bpf;
};

static void usage(FILE *f)
{
        fprintf(f, "Usage: opensnoopd [OPTION]...\n"
                   "Trace every file open on this machine and record it in the journal.\n\n"
                   "  -c, --config=FILE     configuration file (default " CONFIG_DEFAULT_PATH ")\n"
                   "      --output=TARGET   journal, json (one object a line on stdout) or text\n"
                   "                        (opensnoop's columns); overrides [Output] Target=\n"
                   "      --duration=SECS   stop after SECS seconds of tracing (from READY=1)\n"
                   "      --check-config    parse the configuration, print it, and exit\n"
                   "      --print-bpf       print the BPF program as it will be compiled, and exit\n"
                   "      --version         print the version and exit\n"
                   "  -h, --help            print this help and exit\n\n"
                   "Query what the service recorded with, e.g.:\n"
                   "  journalctl --namespace=opensnoopd OPEN_COMM=nginx -o json\n");
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

/*
 * libbcc finds kernel headers only through the environment. Set it here, at
 * the edge, before anything compiles: no library code changes our environment.
 */
static int export_kernel_source(const struct config *c)
{
        if (c->kernel_source && setenv("BCC_KERNEL_SOURCE", c->kernel_source, 1) < 0)
                return -errno;
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

static int print_bpf(const struct config *c)
{
        struct probe_params params = { .max_in_flight = c->max_in_flight,
                                       .wakeup_events = c->wakeup_events,
                                       .ring_buffer_size = c->ring_buffer_size };
        struct kernel_layout layout;
        char why[512];
        bool mounted;
        int r;

        if (kernel_layout_load(&layout, why, sizeof(why)) == 0) {
                params.layout = &layout;
                params.abs_paths = c->absolute_paths;
        }
        r = kernel_env_plan(c->mode, c->buffer, c->kernel_source, &params.plan, &mounted, why, sizeof(why));
        if (r < 0) {
                log_error("%s", why);
                return r;
        }
        return probe_print_source(&params, stdout);
}

/* SIGHUP: a good new configuration replaces the filter; a bad one changes nothing. */
static void reload(const struct args *a, struct session *s, struct config *running)
{
        char restart_only[256], applied[256];
        struct config fresh;
        int r;

        (void)notify_reloading();
        if (load_config(a, &fresh) < 0) {
                log_error("reloading %s failed: still running with the previous configuration", a->config_path);
                (void)notify_ready();
                return;
        }
        config_diff(running, &fresh, restart_only, sizeof(restart_only), applied, sizeof(applied));
        r = session_apply(s, &fresh);
        if (r < 0) {
                log_error_errno(r, "reloading: %s failed; the filter may be partly updated, reload again",
                                session_error(s));
                /* keep the old configuration for the next diff, so the next reload retries everything */
                config_done(&fresh);
                (void)notify_ready();
                return;
        }
        if (restart_only[0])
                log_warning("reload: %s changed; these take effect after a restart, ignoring", restart_only);
        config_keep_restart_only(&fresh, running);
        log_notice("configuration reloaded from %s: %s", a->config_path,
                   applied[0] ? applied : "no filter or priority changed");
        config_done(running);
        *running = fresh;
        (void)notify_ready();
}

static int setup_signals(int *signal_fd, int *timer_fd)
{
        struct itimerspec every_second = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
        sigset_t mask;

        /* A closed stdout (json/text piped to head) must end writes with EPIPE, not us. */
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGALRM); /* --duration */
        /* before any thread starts: they inherit the mask, so only the signalfd sees these */
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        *signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (*signal_fd < 0)
                return -errno;
        *timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (*timer_fd < 0 || timerfd_settime(*timer_fd, 0, &every_second, NULL) < 0)
                return -errno;
        return 0;
}

static void update_status(struct session *s)
{
        char status[1024];

        if (session_status(s, status, sizeof(status)))
                (void)notify_status(status);
}

/* Signals and the status timer, until asked to stop (SIGALRM: --duration ran out). */
static int run_loop(const struct args *a, struct session *s, struct config *running, int signal_fd, int timer_fd)
{
        struct pollfd fds[2] = { { .fd = signal_fd, .events = POLLIN }, { .fd = timer_fd, .events = POLLIN } };

        for (;;) {
                if (poll(fds, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(-errno, "poll");
                }
                if (fds[1].revents & POLLIN) {
                        uint64_t ticks;

                        (void)!read(timer_fd, &ticks, sizeof(ticks));
                        update_status(s);
                }
                if (fds[0].revents & POLLIN) {
                        struct signalfd_siginfo si;

                        while (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo != SIGHUP)
                                        return 0;
                                reload(a, s, running);
                        }
                }
        }
}

static int run(const struct args *a, struct config *config)
{
        struct session *s = NULL;
        char line[512];
        int signal_fd = -1, timer_fd = -1, r;

        r = setup_signals(&signal_fd, &timer_fd);
        if (r < 0) {
                log_error_errno(r, "setting up signal handling");
                goto out;
        }
        r = export_kernel_source(config);
        if (r < 0) {
                log_error_errno(r, "setting BCC_KERNEL_SOURCE");
                goto out;
        }
        r = session_new(&s);
        if (r < 0) {
                log_error_errno(r, "allocating the session");
                goto out;
        }
        r = session_start(s, config);
        if (session_mounted_tracefs(s))
                log_notice("mounted tracefs at %s", TRACEFS_DIR);
        if (r < 0) {
                log_error_errno(r, "%s", session_error(s));
                goto out;
        }
        session_describe(s, line, sizeof(line));
        log_info("%s", line);
        if (session_journal_note(s)[0])
                log_info("%s", session_journal_note(s));

        update_status(s);
        (void)notify_ready();
        /* a deadline of its own, from READY=1: the status timer has ticked since before the compile */
        if (a->duration)
                alarm((unsigned)a->duration);
        r = run_loop(a, s, config, signal_fd, timer_fd);
        /* room for the drain and for journald to say what it dropped (session_stop()) */
        (void)notify_stopping(SESSION_STOP_MAX_MS);
        if (session_stop(s, line, sizeof(line)) == -ETIMEDOUT) {
                log_error("%s", session_error(s));
                log_info("stopped: %s", line);
                /* The writer thread is blocked in journald's socket and still owns the queue:
                 * leave without freeing or running exit-time destructors under it. Every open
                 * is accounted for above, so this is still an orderly stop. */
                fflush(stderr);
                _exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
        }
        log_info("stopped: %s", line);
out:
        s = session_free(s);
        if (signal_fd >= 0)
                close(signal_fd);
        if (timer_fd >= 0)
                close(timer_fd);
        return r;
}

int main(int argc, char **argv)
{
        struct args args;
        struct config config;
        int r;

        log_setup();
        r = parse_args(argc, argv, &args);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        if (load_config(&args, &config) < 0)
                return EXIT_FAILURE;

        if (args.check_config) {
                config_print(&config, stdout);
                fprintf(stderr, "%s: configuration OK\n", args.config_path);
                r = 0;
        } else if (!may_trace()) {
                log_error("must run as root (or with CAP_BPF and CAP_PERFMON) to load BPF programs");
                r = -EPERM;
        } else if (args.print_bpf) {
                r = print_bpf(&config);
        } else {
                r = run(&args, &config);
        }
        config_done(&config);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
