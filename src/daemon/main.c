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
#include <malloc.h>
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

#include "clock.h"
#include "config.h"
#include "exit_status.h"
#include "heap_trim.h"
#include "kernel_env.h"
#include "log.h"
#include "notify.h"
#include "pending_loss.h"
#include "probe.h"
#include "reload_report.h"
#include "session.h"
#include "sink.h"

#ifndef OPENSNOOPD_VERSION
#define OPENSNOOPD_VERSION "0"
#endif

struct args {
        const char *config_path;
        bool config_explicit;
        const char *output;
        unsigned long duration;
        bool check_config;
        bool print_config;
        bool print_bpf;
        pid_t reload_pid; /* --reload=PID: ask that daemon to reload, and wait */
};

/* Where systemd's RuntimeDirectory= is; the reload report lives there. */
#define RUNTIME_DIRECTORY_DEFAULT "/run/opensnoopd"
/* How long --reload waits for the daemon's verdict (a reload takes milliseconds; a busy writer, seconds). */
#define RELOAD_WAIT_MS            60000

static void usage(FILE *f)
{
        fprintf(f, "Usage: opensnoopd [OPTION]...\n"
                   "Trace every file open on this machine and record it in the journal.\n\n"
                   "  -c, --config=FILE     configuration file (default " CONFIG_DEFAULT_PATH ")\n"
                   "      --output=TARGET   journal, json (one object a line on stdout) or text\n"
                   "                        (opensnoop's columns); overrides [Output] Target=\n"
                   "      --duration=SECS   stop after SECS seconds of tracing (from READY=1)\n"
                   "      --check-config    check the configuration: silent if it is good, each error\n"
                   "                        as file:line if not (exit status 6)\n"
                   "      --print-config    print the configuration in force (defaults included)\n"
                   "      --print-defaults  print every key at its default, as the shipped file lists\n"
                   "                        them, and exit\n"
                   "      --reload=PID      make the daemon PID reread its configuration and wait\n"
                   "                        until it is in force (the unit's ExecReload=)\n"
                   "      --print-bpf       print the BPF program as it will be compiled, and exit\n"
                   "      --version         print the version and exit\n"
                   "  -h, --help            print this help and exit\n\n"
                   "Query what the service recorded with, e.g.:\n"
                   "  journalctl --namespace=opensnoopd OPEN_COMM=nginx -o json\n");
}

/* 0 to run, 1 to exit successfully (help, version), -EINVAL for bad arguments. */
static int parse_args(int argc, char **argv, struct args *a)
{
        enum {
                OPT_OUTPUT = 256,
                OPT_DURATION,
                OPT_CHECK,
                OPT_PRINT_CONFIG,
                OPT_PRINT_DEFAULTS,
                OPT_RELOAD,
                OPT_PRINT_BPF,
                OPT_VERSION
        };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "output", required_argument, NULL, OPT_OUTPUT },
                { "duration", required_argument, NULL, OPT_DURATION },
                { "check-config", no_argument, NULL, OPT_CHECK },
                { "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
                { "print-defaults", no_argument, NULL, OPT_PRINT_DEFAULTS },
                { "reload", required_argument, NULL, OPT_RELOAD },
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
                case OPT_PRINT_CONFIG:
                        a->print_config = true;
                        break;
                case OPT_PRINT_DEFAULTS:
                        /* the key table's, whatever a file says: no file is read */
                        config_print_defaults(stdout);
                        return 1;
                case OPT_RELOAD:
                        errno = 0;
                        a->reload_pid = (pid_t)strtol(optarg, &end, 10);
                        if (errno || *end || a->reload_pid <= 1) {
                                log_error("--reload=%s: must be the daemon's process id", optarg);
                                return -EINVAL;
                        }
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
        struct kallsyms ksyms;
        char why[512];
        bool mounted;
        int r;

        kallsyms_read(&ksyms);
        if (kernel_layout_load(&layout, &ksyms, why, sizeof(why)) == 0) {
                params.layout = &layout;
                params.abs_paths = c->absolute_paths;
        }
        r = kernel_env_plan(c->mode, c->buffer, c->kernel_source, &ksyms, &params.plan, &mounted, why,
                            sizeof(why));
        if (r < 0) {
                log_error("%s", why);
                return r;
        }
        return probe_print_source(&params, stdout);
}

/*
 * SIGHUP: a good new configuration replaces the filter; a bad one changes
 * nothing. Returns 0 once the new one is in force, or -errno; what (one line)
 * says what changed, or why nothing did.
 */
static int reload(const struct args *a, struct session *s, struct config *running, char *what, size_t size)
{
        char restart_only[256], applied[256];
        struct config fresh;
        int r;

        r = load_config(a, &fresh);
        if (r < 0) {
                snprintf(what, size, "reloading %s failed: still running with the previous configuration",
                         a->config_path);
                log_error("%s", what);
                return r;
        }
        config_diff(running, &fresh, restart_only, sizeof(restart_only), applied, sizeof(applied));
        r = session_apply(s, &fresh);
        if (r < 0) {
                snprintf(what, size, "reloading: %s failed (%s); the filter may be partly updated, reload again",
                         session_error(s), strerror(-r));
                log_error("%s", what);
                /* keep the old configuration for the next diff, so the next reload retries everything */
                config_done(&fresh);
                return r;
        }
        if (restart_only[0])
                log_warning("reload: %s changed; these take effect after a restart, ignoring", restart_only);
        config_keep_restart_only(&fresh, running);
        snprintf(what, size, "configuration reloaded from %s: %s", a->config_path,
                 applied[0] ? applied : "no filter or priority changed");
        log_notice("%s", what);
        config_done(running);
        *running = fresh;
        return 0;
}

/* A reload, told to the service manager and, under systemd, to the ExecReload= that asked for it. */
static void reload_and_report(const struct args *a, struct session *s, struct config *running)
{
        struct reload_report report = { .pid = getpid(), .started_usec = clock_ns(CLOCK_MONOTONIC) / 1000 };
        const char *dir = getenv("RUNTIME_DIRECTORY");
        int r;

        (void)notify_reloading();
        report.result = reload(a, s, running, report.message, sizeof(report.message));
        (void)notify_ready();
        /* READY=1 first: once the report is there, `systemctl reload` returns */
        if (dir) {
                r = reload_report_write(dir, &report);
                if (r < 0)
                        log_error_errno(r, "writing the reload's report into %s; `systemctl reload` will time out",
                                        dir);
        }
}

/* Signals, and a timer for STATUS= and the watchdog: once a second, or four times a watchdog interval. */
static int setup_signals(uint64_t watchdog_usec, int *signal_fd, int *timer_fd)
{
        struct itimerspec every = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
        sigset_t mask;

        if (watchdog_usec && watchdog_usec < 4000000)
                every.it_interval = every.it_value = (struct timespec){ 0, (long)(watchdog_usec / 4 * 1000) };
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
        if (*timer_fd < 0 || timerfd_settime(*timer_fd, 0, &every, NULL) < 0)
                return -errno;
        return 0;
}

/*
 * Where a loss report journald did not take before a stop waits for the next
 * start: systemd's StateDirectory= ($STATE_DIRECTORY, the first if it names
 * several), or the default.
 */
static const char *state_directory(char *buf, size_t size)
{
        const char *dir = getenv("STATE_DIRECTORY");

        if (!dir || !dir[0])
                return PENDING_LOSS_DIRECTORY;
        snprintf(buf, size, "%.*s", (int)strcspn(dir, ":"), dir);
        return buf;
}

static void update_status(struct session *s)
{
        char status[1024];

        if (session_status(s, status, sizeof(status)))
                (void)notify_status(status);
}

/*
 * WATCHDOG=1 while the writer goes round its loop. A writer stuck for half
 * the interval (in a write journald never returns from) misses the pings, and
 * the service manager restarts us: its WatchdogSec= outlasts journald's own.
 */
static void feed_watchdog(const struct session *s, uint64_t watchdog_usec)
{
        if (watchdog_usec && clock_ns(CLOCK_MONOTONIC) - session_writer_alive_ns(s) < watchdog_usec * 1000 / 2)
                (void)notify_watchdog();
}

/* Signals and the timer, until asked to stop (SIGALRM: --duration ran out). */
static int run_loop(const struct args *a, struct session *s, struct config *running, uint64_t watchdog_usec,
                    int signal_fd, int timer_fd)
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
                        feed_watchdog(s, watchdog_usec);
                }
                if (fds[0].revents & POLLIN) {
                        struct signalfd_siginfo si;

                        while (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo != SIGHUP)
                                        return 0;
                                reload_and_report(a, s, running);
                        }
                }
        }
}

/* What a failed start tells the service manager (opensnoopd(8), EXIT STATUS). */
static int start_failure_status(const struct session *s)
{
        switch (session_failure(s)) {
        case SESSION_FAILED_KERNEL:
                return EXIT_KERNEL;
        case SESSION_FAILED_JOURNAL:
                return EXIT_JOURNAL;
        case SESSION_FAILED_CONFIG:
                return EXIT_CONFIG;
        default:
                return EXIT_RUNTIME;
        }
}

/* The final counts, as the service manager shows them after the stop. */
static void stopped_status(const char *counts)
{
        char status[1100];

        snprintf(status, sizeof(status), "Stopped: %s", counts);
        (void)notify_status(status);
}

/* Traces until told to stop. Returns the exit status. */
static int run(const struct args *a, struct config *config)
{
        uint64_t watchdog_usec = notify_watchdog_usec();
        struct session *s = NULL;
        char line[1024], state_dir[4096];
        int signal_fd = -1, timer_fd = -1, r, status = EXIT_RUNTIME;

        /*
         * Before anything is allocated: glibc raises its trim threshold to twice
         * the largest mmap'd block freed so far, and the start frees the kernel's
         * BTF (5.2 MiB here), after which the free top of the writer's arena is
         * never given back. Set, it stays at its documented 128 KiB (and the mmap
         * threshold too): what the fold table held after a burst goes back as it
         * drains, and malloc_trim() returns the rest (heap_trim.h).
         */
        (void)mallopt(M_TRIM_THRESHOLD, HEAP_TRIM_THRESHOLD);
        r = setup_signals(watchdog_usec, &signal_fd, &timer_fd);
        if (r < 0) {
                log_error_errno(r, "setting up signal handling");
                goto out;
        }
        r = export_kernel_source(config);
        if (r < 0) {
                log_error_errno(r, "setting BCC_KERNEL_SOURCE");
                goto out;
        }
        r = session_new(state_directory(state_dir, sizeof(state_dir)), &s);
        if (r < 0) {
                log_error_errno(r, "allocating the session");
                goto out;
        }
        r = session_start(s, config);
        if (session_mounted_tracefs(s))
                log_notice("mounted tracefs at %s", TRACEFS_DIR);
        if (r < 0) {
                log_error_errno(r, "%s", session_error(s));
                status = start_failure_status(s);
                goto out;
        }
        if (session_hook_note(s)[0])
                log_warning("%s", session_hook_note(s));
        session_describe(s, line, sizeof(line));
        log_info("%s", line);
        if (session_journal_note(s)[0])
                log_info("%s", session_journal_note(s));
        if (session_carry_note(s)[0])
                log_warning("%s", session_carry_note(s));

        update_status(s);
        (void)notify_ready();
        /* a deadline of its own, from READY=1: the status timer has ticked since before the compile */
        if (a->duration)
                alarm((unsigned)a->duration);
        r = run_loop(a, s, config, watchdog_usec, signal_fd, timer_fd);
        status = r < 0 ? EXIT_RUNTIME : EXIT_OK;
        /* room for the drain and for journald to say what it dropped (session_stop()) */
        (void)notify_stopping(SESSION_STOP_MAX_MS);
        r = session_stop(s, line, sizeof(line));
        stopped_status(line);
        if (session_stop_note(s)[0])
                log_warning("%s", session_stop_note(s));
        if (r == -ETIMEDOUT) {
                log_error("%s", session_error(s));
                log_info("stopped: %s", line);
                /* The writer thread is blocked in journald's socket and still owns the queue:
                 * leave without freeing or running exit-time destructors under it. Every open
                 * is accounted for above, so this is still an orderly stop. */
                fflush(stderr);
                _exit(status);
        }
        log_info("stopped: %s", line);
out:
        s = session_free(s);
        if (signal_fd >= 0)
                close(signal_fd);
        if (timer_fd >= 0)
                close(timer_fd);
        return status;
}

/* --reload=PID: the configuration was checked (a bad one never reaches the daemon); now the daemon's verdict. */
static int request_reload(const struct args *a)
{
        const char *dir = getenv("RUNTIME_DIRECTORY");
        struct reload_report report;
        int r;

        if (!dir)
                dir = RUNTIME_DIRECTORY_DEFAULT;
        r = reload_report_request(a->reload_pid, dir, RELOAD_WAIT_MS, &report);
        if (r == -ETIMEDOUT) {
                log_error("opensnoopd (pid %ld) did not report the reload in %s within %d s", (long)a->reload_pid, dir,
                          RELOAD_WAIT_MS / 1000);
                return EXIT_RUNTIME;
        }
        if (r < 0) {
                log_error_errno(r, "asking opensnoopd (pid %ld) to reload", (long)a->reload_pid);
                return EXIT_RUNTIME;
        }
        if (report.result < 0) {
                log_error("%s", report.message);
                /* the file changed after our check, or the daemon could not apply it */
                return report.result == -EINVAL || report.result == -EPERM ? EXIT_CONFIG : EXIT_RUNTIME;
        }
        return EXIT_OK;
}

int main(int argc, char **argv)
{
        struct args args;
        struct config config;
        int r, status;

        log_setup();
        r = parse_args(argc, argv, &args);
        if (r != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        if (load_config(&args, &config) < 0)
                return EXIT_CONFIG;

        if (args.check_config) {
                status = EXIT_OK; /* quiet: the errors, if any, were the output */
        } else if (args.print_config) {
                config_print(&config, stdout);
                status = EXIT_OK;
        } else if (args.reload_pid) {
                status = request_reload(&args);
        } else if (!may_trace()) {
                log_error("must run as root (or with CAP_BPF and CAP_PERFMON) to load BPF programs");
                status = EXIT_PRIVILEGE;
        } else if (args.print_bpf) {
                status = print_bpf(&config) < 0 ? EXIT_KERNEL : EXIT_OK;
        } else {
                status = run(&args, &config);
        }
        config_done(&config);
        return status;
}
