/* SPDX-License-Identifier: MIT */
#include "probe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf_program.h"
#include "clock.h"
#include "cpulist.h"
#include "handoff.h"
#include "kernel_env.h"
#include "kprobe_events.h"

#define MAX_CFLAGS        96
#define MAX_MAPS          24
#define MAX_PROGS         32
#define MAX_LINKS         32
#define RETURN_EVENTS     (1 + ROUTES) /* the open function's, and one per route with a pair of its own */
#define SWEEP_INTERVAL_NS 100000000ull /* read every buffer at least this often */
#define COMPILER_NAME     "opensnoopd-compile"

extern char **environ;

/* A map or a loaded program the helper handed over. */
struct handed {
        char name[64];
        int fd;           /* -1: a program that did not load */
        uint64_t load_ns; /* programs: time in the verifier */
        char error[256];  /* programs that did not load: why */
};

/* One program attached to one point: closing perf_fd detaches it. */
struct link {
        int perf_fd;
        char point[64];
};

struct probe {
        struct probe_plan plan;
        char *cflags[MAX_CFLAGS];     /* NULL past the last */
        struct handed maps[MAX_MAPS]; /* all kept open: the kernel empties a perf event array when its
                                       * last user-space fd closes, and nothing would be delivered */
        int nmaps;
        struct handed progs[MAX_PROGS];
        int nprogs;
        struct link links[MAX_LINKS];
        int nlinks;
        enum probe_mode mode;
        bool cgroup_names; /* cgroup:cgroup_mkdir and cgroup_rmdir are attached */
        char points[512];
        char buffer_desc[64];
        /* Read with libbpf's ring_buffer or perf_buffer: they do the memory ordering of the
         * mmap'd rings, which is easy to get subtly wrong, in a few kB of code, and each
         * keeps its own epoll set. */
        struct ring_buffer *ring;
        struct perf_buffer *perf;
        probe_event_fn on_event;
        void *cookie;
        uint64_t last_sweep_ns;
        int ncpus_possible;
        uint64_t *percpu_values;     /* ncpus_possible of them: one per-CPU map value */
        uint64_t load_ns, attach_ns; /* time spent in the kernel's verifier, and attaching */
        /* The tracefs return probes of ours, if any (kprobe_events.h): the open function's, then
         * each kprobe route's (routes.def); and what each missed, as last read. */
        char return_event[RETURN_EVENTS][64];
        uint64_t missed_returns[RETURN_EVENTS];
        char error[256];
};

__attribute__((format(printf, 2, 3))) static void set_error(struct probe *p, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(p->error, sizeof(p->error), fmt, ap);
        va_end(ap);
}

/*
 * io_uring's opens are found in its requests at offsets from the kernel's
 * BTF: without them, io_uring's tracepoints are not used (0).
 */
static int io_uring_route(const struct probe_params *params)
{
        return params->layout && params->layout->io_uring ? params->plan.io_uring.submit : 0;
}

/* io_uring opens in flight at once, machine-wide, whose names are kept (a 4 KiB name each) */
#define IO_URING_OPENS_IN_FLIGHT 256

/* -DOPENSNOOPD_KPROBE_TAG for a route's kprobe pair: its tag in upper case. */
static char *kprobe_cflag(const char *tag)
{
        static const char prefix[] = "-DOPENSNOOPD_KPROBE_";
        char *flag;

        if (asprintf(&flag, "%s%s", prefix, tag) < 0)
                return NULL;
        for (char *c = flag + sizeof(prefix) - 1; *c; c++)
                *c = (char)toupper((unsigned char)*c);
        return flag;
}

/* The -D values: which probes exist on this kernel, and sizes from the config. */
static int build_cflags(const struct probe_params *params, char **out)
{
        const struct probe_plan *plan = &params->plan;
        int n = 0;

        if (plan->kprobe) {
                out[n++] = strdup("-DOPENSNOOPD_KPROBE");
                if (strcmp(plan->kprobe_symbol, "do_sys_openat2") == 0)
                        out[n++] = strdup("-DOPENSNOOPD_KPROBE_OPENAT2");
                for (int i = 0; i < ROUTES; i++)
                        if (probe_plan_kprobe_routes(plan) & (1u << i))
                                out[n++] = kprobe_cflag(routes[i].kprobe_tag);
#ifdef __x86_64__
                out[n++] = strdup("-DOPENSNOOPD_X86_64");
#endif
        }
        for (int i = 0; i < ROUTES; i++)
                if (probe_plan_tp_routes(plan) & (1u << i))
                        out[n++] = strdup(routes[i].tp_cflag);
        if (plan->tp_exec)
                out[n++] = strdup("-DOPENSNOOPD_TP_EXEC");
        if (plan->tp_cgroup)
                out[n++] = strdup("-DOPENSNOOPD_TP_CGROUP");
        if (io_uring_route(params)) {
                const struct io_uring_tracepoints *t = &plan->io_uring;

                out[n++] = strdup("-DOPENSNOOPD_IO_URING");
                (void)!asprintf(&out[n++], "-DTP_URING_SUBMIT_REQ=%d", t->submit_req);
                (void)!asprintf(&out[n++], "-DTP_URING_SUBMIT_OPCODE=%d", t->submit_opcode);
                (void)!asprintf(&out[n++], "-DTP_URING_SUBMIT_FLAGS=%d", t->submit_flags);
                (void)!asprintf(&out[n++], "-DTP_URING_COMPLETE_REQ=%d", t->complete_req);
                (void)!asprintf(&out[n++], "-DTP_URING_COMPLETE_RES=%d", t->complete_res);
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_IO_URING_ENTRIES=%d", IO_URING_OPENS_IN_FLIGHT);
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_IORING_OP_OPENAT=%d", IORING_OP_OPENAT);
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_IORING_OP_OPENAT2=%d", IORING_OP_OPENAT2);
        }
        if (plan->buffer == PROBE_BUFFER_RING) {
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_RINGBUF_PAGES=%zu",
                                params->ring_buffer_size / (size_t)sysconf(_SC_PAGESIZE));
                (void)!asprintf(&out[n++], "-DOPENSNOOPD_WAKEUP_EVENTS=%u", params->wakeup_events);
        }
        if (plan->task_stash)
                out[n++] = strdup("-DOPENSNOOPD_TASK_STASH");
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_STASH_ENTRIES=%u", params->max_in_flight);
        /* User space knows its syscall numbers; -1 where one does not exist. */
#ifdef SYS_open
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_NR_OPEN=%d", SYS_open);
#else
        out[n++] = strdup("-DOPENSNOOPD_NR_OPEN=-1");
#endif
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_NR_OPENAT=%d", SYS_openat);
#ifdef SYS_creat
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_NR_CREAT=%d", SYS_creat);
#else
        out[n++] = strdup("-DOPENSNOOPD_NR_CREAT=-1");
#endif
#ifdef SYS_openat2
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_NR_OPENAT2=%d", SYS_openat2);
#else
        out[n++] = strdup("-DOPENSNOOPD_NR_OPENAT2=437");
#endif
        for (int i = 0; i < n; i++)
                if (!out[i])
                        return -ENOMEM;
        if (params->layout) {
                int m = kernel_layout_cflags(params->layout, params->abs_paths, out + n, MAX_CFLAGS - 1 - n);

                if (m < 0)
                        return m;
                n += m;
        }
        return n;
}

/* Frees what build_cflags() allocated, whether it succeeded or not. */
static void free_cflags(char **flags)
{
        for (int i = 0; i < MAX_CFLAGS; i++) {
                free(flags[i]);
                flags[i] = NULL;
        }
}

int probe_print_source(const struct probe_params *params, FILE *f)
{
        char *flags[MAX_CFLAGS] = { 0 };
        int n = build_cflags(params, flags);

        if (n >= 0) {
                fprintf(f, "/* compiled by libbcc with:");
                for (int i = 0; i < n; i++)
                        fprintf(f, " %s", flags[i]);
                fprintf(f, " */\n%s", bpf_program_text);
        }
        free_cflags(flags);
        return n < 0 ? n : 0;
}

static int n_cflags(const struct probe *p)
{
        int n = 0;

        while (n < MAX_CFLAGS && p->cflags[n])
                n++;
        return n;
}

/*
 * The helper: beside this executable first (a build tree, or both installed
 * in one directory), else where the build installs it.
 */
static int find_compiler(char *path, size_t size)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n > 0) {
                char *slash;

                self[n] = '\0';
                slash = strrchr(self, '/');
                if (slash) {
                        *slash = '\0';
                        if (snprintf(path, size, "%.*s/" COMPILER_NAME, (int)(size - sizeof(COMPILER_NAME) - 1), self) <
                                    (int)size &&
                            access(path, X_OK) == 0)
                                return 0;
                }
        }
        snprintf(path, size, "%s/" COMPILER_NAME, OPENSNOOPD_LIBEXECDIR);
        return access(path, X_OK) == 0 ? 0 : -errno;
}

/* The tracepoint io_uring's submission of a request is seen at, after its prep copied the name. */
static const char *io_uring_submit_event(const struct probe_plan *plan)
{
        return plan->io_uring.submit == 2 ? "io_uring_submit_req" : "io_uring_submit_sqe";
}

/* The helper's arguments: the -D flags, then each program to load, "type:function". */
static int compiler_argv(struct probe *p, const char *path, char **argv, char progs[][64])
{
        unsigned kprobe_routes = probe_plan_kprobe_routes(&p->plan), tp_routes = probe_plan_tp_routes(&p->plan);
        int n = 0, np = 0;

        argv[n++] = (char *)path;
        for (int i = 0; i < n_cflags(p); i++)
                argv[n++] = p->cflags[i];
        if (p->plan.kprobe) {
                snprintf(progs[np++], 64, "kprobe:kprobe_open_entry");
                snprintf(progs[np++], 64, "kprobe:kprobe_open_return");
        }
        for (int i = 0; i < ROUTES; i++) {
                bool shared = false;

                if (!(kprobe_routes & (1u << i)))
                        continue;
                snprintf(progs[np++], 64, "kprobe:kprobe_%s_entry", routes[i].kprobe_tag);
                /* exec's two pairs share one return program: loaded once */
                for (int j = 0; j < i; j++)
                        shared |= (kprobe_routes & (1u << j)) &&
                                  strcmp(routes[j].kprobe_return, routes[i].kprobe_return) == 0;
                if (!shared)
                        snprintf(progs[np++], 64, "kprobe:%s", routes[i].kprobe_return);
        }
        for (int i = 0; i < ROUTES; i++) {
                if (!(tp_routes & (1u << i)))
                        continue;
                snprintf(progs[np++], 64, "tracepoint:tracepoint__syscalls__sys_enter_%s", routes[i].name);
                snprintf(progs[np++], 64, "tracepoint:tracepoint__syscalls__sys_exit_%s", routes[i].name);
        }
        if (p->plan.tp_exec)
                snprintf(progs[np++], 64, "tracepoint:tracepoint__sched__sched_process_exec");
        if (p->plan.exec_interpreters)
                snprintf(progs[np++], 64, "raw_tracepoint:raw_tracepoint__sched_process_exec");
        if (p->plan.tp_cgroup) {
                snprintf(progs[np++], 64, "tracepoint:tracepoint__cgroup__cgroup_mkdir");
                snprintf(progs[np++], 64, "tracepoint:tracepoint__cgroup__cgroup_rmdir");
        }
        if (p->plan.io_uring.submit) {
                snprintf(progs[np++], 64, "tracepoint:io_uring_submitted");
                snprintf(progs[np++], 64, "tracepoint:io_uring_completed");
        }
        for (int i = 0; i < np; i++)
                argv[n++] = progs[i];
        argv[n] = NULL;
        return n;
}

/* Keeps what one message brought; takes the fd. */
static int keep(struct probe *p, const struct handoff_msg *m, int fd)
{
        bool map = m->kind == HANDOFF_MAP;
        struct handed *h;

        if (map ? p->nmaps == MAX_MAPS : p->nprogs == MAX_PROGS) {
                if (fd >= 0)
                        close(fd);
                return -E2BIG;
        }
        h = map ? &p->maps[p->nmaps++] : &p->progs[p->nprogs++];
        *h = (struct handed){ .fd = fd, .load_ns = m->load_ns };
        snprintf(h->name, sizeof(h->name), "%s", m->name);
        snprintf(h->error, sizeof(h->error), "%s", m->text);
        p->load_ns += m->load_ns;
        return 0;
}

/*
 * Reads the helper's messages to the end. Returns 0 on HANDOFF_DONE, the
 * helper's error on HANDOFF_FAILED (its text in why), -EPIPE if the socket
 * ended first (the helper died).
 */
static int receive(struct probe *p, int sock, char *why, size_t why_size)
{
        for (;;) {
                struct handoff_msg m;
                int fd, r = handoff_recv(sock, &m, &fd);

                if (r < 0)
                        return r;
                switch (m.kind) {
                case HANDOFF_MAP:
                case HANDOFF_PROG:
                case HANDOFF_PROG_FAILED:
                        if ((m.kind == HANDOFF_PROG_FAILED) != (fd < 0)) {
                                if (fd >= 0)
                                        close(fd);
                                return -EBADMSG;
                        }
                        r = keep(p, &m, fd);
                        if (r < 0)
                                return r;
                        break;
                case HANDOFF_DONE:
                        return 0;
                case HANDOFF_FAILED:
                        snprintf(why, why_size, "%s", m.text);
                        return m.error < 0 ? m.error : -EINVAL;
                default:
                        if (fd >= 0)
                                close(fd);
                        return -EBADMSG;
                }
        }
}

/* Runs the helper and waits for it; every fd it hands over ends up in p. */
static int run_compiler(struct probe *p, char *why, size_t why_size)
{
        char path[PATH_MAX], progs[MAX_PROGS][64], *argv[MAX_CFLAGS + MAX_PROGS + 2];
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        sigset_t none, all;
        int sv[2], status = 0, r;
        pid_t pid;

        r = find_compiler(path, sizeof(path));
        if (r < 0) {
                snprintf(why, why_size, "the BPF compiler helper %s is not installed beside %s or in %s (%s)",
                         COMPILER_NAME, "this executable", OPENSNOOPD_LIBEXECDIR, strerror(-r));
                return r;
        }
        compiler_argv(p, path, argv, progs);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                r = -errno;
                snprintf(why, why_size, "creating the socket for the BPF compiler: %s", strerror(-r));
                return r;
        }
        /* fd 3 is the socket (dup2 clears close-on-exec); stdout may be our event stream: clang's
         * messages and anything else the helper prints go to stderr. Signals as at a fresh exec. */
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, sv[1], 3);
        posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        r = -posix_spawn(&pid, path, &actions, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        close(sv[1]);
        if (r < 0) {
                close(sv[0]);
                snprintf(why, why_size, "starting the BPF compiler %s: %s", path, strerror(-r));
                return r;
        }

        why[0] = '\0';
        r = receive(p, sv[0], why, why_size);
        close(sv[0]); /* a helper still writing gets EPIPE and exits */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (why[0])
                return r < 0 ? r : -EINVAL;
        if (WIFSIGNALED(status)) {
                snprintf(why, why_size, "the BPF compiler %s was killed by signal %d (%s) before it finished", path,
                         WTERMSIG(status), strsignal(WTERMSIG(status)));
                return -ECANCELED;
        }
        if (r < 0 && r != -EPIPE) {
                snprintf(why, why_size, "reading from the BPF compiler %s: %s", path, strerror(-r));
                return r;
        }
        snprintf(why, why_size, "the BPF compiler %s exited with status %d before it finished", path,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -ECANCELED;
}

int probe_compile(const struct probe_params *params, struct probe **ret, char *why, size_t why_size)
{
        struct probe *p = calloc(1, sizeof(*p));
        int *cpus = NULL;
        int n;

        if (!p) {
                snprintf(why, why_size, "allocating the probe");
                return -ENOMEM;
        }
        /* libbpf's own warnings would be a second, less precise line: our errors say it all */
        libbpf_set_print(NULL);
        p->plan = params->plan;
        p->plan.io_uring.submit = io_uring_route(params);
        p->plan.exec_interpreters = p->plan.tp_exec && params->layout && params->layout->exec_interpreters;
        n = build_cflags(params, p->cflags);
        if (n < 0) {
                snprintf(why, why_size, "allocating the compiler flags");
                goto fail;
        }
        /* per-CPU map values come one per possible CPU: size them from the machine, not a constant */
        n = cpulist_read("/sys/devices/system/cpu/possible", &cpus);
        free(cpus);
        if (n < 0) {
                snprintf(why, why_size, "reading the possible CPUs: %s", strerror(-n));
                goto fail;
        }
        p->ncpus_possible = n;
        p->percpu_values = calloc((size_t)n, sizeof(*p->percpu_values));
        if (!p->percpu_values) {
                n = -ENOMEM;
                snprintf(why, why_size, "allocating the per-CPU values");
                goto fail;
        }
        n = run_compiler(p, why, why_size);
        if (n < 0)
                goto fail;
        *ret = p;
        return 0;
fail:
        probe_free(p);
        return n;
}

/* Leaves p->error alone: callable from any thread. */
static int find_map_fd(const struct probe *p, const char *name)
{
        for (int i = 0; i < p->nmaps; i++)
                if (strcmp(p->maps[i].name, name) == 0)
                        return p->maps[i].fd;
        return -ENOENT;
}

static int table_fd(struct probe *p, const char *name)
{
        int fd = find_map_fd(p, name);

        if (fd < 0)
                set_error(p, "finding map %s", name);
        return fd < 0 ? -1 : fd;
}

static bool in_keys(const void *keys, size_t key_size, size_t n, const void *key)
{
        for (size_t i = 0; i < n; i++)
                if (memcmp((const char *)keys + i * key_size, key, key_size) == 0)
                        return true;
        return false;
}

/*
 * Deletes the entries whose keys are not in keys[]. The keys are collected
 * first: deleting while walking would restart the walk after every delete.
 */
static int sync_map_prune(struct probe *p, const char *name, const void *keys, size_t key_size, size_t n,
                          size_t max_entries)
{
        char *found = calloc(max_entries + 1, key_size);
        size_t nfound = 0;
        int fd = table_fd(p, name), r = 0;

        if (fd < 0 || !found) {
                free(found);
                return fd < 0 ? -ENOENT : -ENOMEM;
        }
        if (bpf_map_get_next_key(fd, NULL, found) == 0) {
                nfound = 1;
                while (nfound <= max_entries &&
                       bpf_map_get_next_key(fd, found + (nfound - 1) * key_size, found + nfound * key_size) == 0)
                        nfound++;
        }
        for (size_t i = 0; i < nfound; i++) {
                const char *key = found + i * key_size;

                if (!in_keys(keys, key_size, n, key) && bpf_map_delete_elem(fd, key) < 0 && errno != ENOENT) {
                        r = -errno;
                        set_error(p, "pruning map %s", name);
                }
        }
        free(found);
        return r;
}

static int update_all(int fd, const void *keys, size_t key_size, const uint8_t *verdicts, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const void *key = (const char *)keys + i * key_size;

                if (bpf_map_update_elem(fd, key, &verdicts[i], BPF_ANY) < 0)
                        return -errno;
        }
        return 0;
}

/* Puts every key of keys[] in the map; a map too full for them loses its stale entries first. */
static int sync_map_add(struct probe *p, const char *name, const void *keys, size_t key_size, const uint8_t *verdicts,
                        size_t n, size_t max_entries)
{
        int fd = table_fd(p, name), r;

        if (fd < 0)
                return -ENOENT;
        r = update_all(fd, keys, key_size, verdicts, n);
        if (r == -E2BIG || r == -ENOSPC || r == -ENOMEM) {
                r = sync_map_prune(p, name, keys, key_size, n, max_entries);
                if (r == 0)
                        r = update_all(fd, keys, key_size, verdicts, n);
        }
        if (r < 0)
                set_error(p, "filling map %s", name);
        return r;
}

/* One map's wanted contents, for the add-settings-prune order of probe_set_filter(). */
struct map_contents {
        const char *name;
        const void *keys;
        size_t key_size;
        const uint8_t *verdicts;
        size_t n;
        size_t max_entries;
};

int probe_set_filter(struct probe *p, const struct filter_maps *m)
{
        const struct map_contents maps[] = {
                { "filter_pids", m->pids, sizeof(*m->pids), m->pid_verdicts, m->npids, FILTER_MAX_PIDS },
                { "filter_uids", m->uids, sizeof(*m->uids), m->uid_verdicts, m->nuids, FILTER_MAX_UIDS },
                { "filter_comms", m->comms, sizeof(*m->comms), m->comm_verdicts, m->ncomms, FILTER_MAX_COMMS },
                { "filter_prefixes", m->prefixes, sizeof(*m->prefixes), m->prefix_verdicts, m->nprefixes,
                  FILTER_MAX_PREFIXES },
                { "self_noise", m->self_noise, sizeof(*m->self_noise), m->self_noise_verdicts, m->nself_noise,
                  FILTER_MAX_SELF_NOISE },
        };
        int zero = 0, fd, r = 0;

        for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]) && r == 0; i++)
                r = sync_map_add(p, maps[i].name, maps[i].keys, maps[i].key_size, maps[i].verdicts, maps[i].n,
                                 maps[i].max_entries);
        if (r < 0)
                return r;
        fd = table_fd(p, "settings");
        if (fd < 0)
                return -ENOENT;
        if (bpf_map_update_elem(fd, &zero, &m->settings, BPF_ANY) < 0) {
                r = -errno;
                set_error(p, "writing the filter settings");
                return r;
        }
        for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]) && r == 0; i++)
                r = sync_map_prune(p, maps[i].name, maps[i].keys, maps[i].key_size, maps[i].n, maps[i].max_entries);
        return r;
}

static int on_ring_record(void *ctx, void *data, size_t size)
{
        struct probe *p = ctx;

        p->on_event(p->cookie, data, size > INT_MAX ? -1 : (int)size);
        return 0;
}

/* A perf sample is its header, a u32 size and the record; lost-record notices are ignored:
 * every record the kernel could not store was counted by the program itself. */
static enum bpf_perf_event_ret on_perf_record(void *ctx, int cpu, struct perf_event_header *h)
{
        struct probe *p = ctx;

        (void)cpu;
        if (h->type == PERF_RECORD_SAMPLE) {
                uint32_t size;

                memcpy(&size, (char *)h + sizeof(*h), sizeof(size));
                if (sizeof(*h) + sizeof(size) + size > h->size)
                        p->on_event(p->cookie, NULL, -1);
                else
                        p->on_event(p->cookie, (char *)h + sizeof(*h) + sizeof(size), (int)size);
        }
        return LIBBPF_PERF_EVENT_CONT;
}

int probe_open_buffers(struct probe *p, unsigned perf_pages, unsigned wakeup_events, probe_event_fn on_event,
                       void *cookie)
{
        int fd = table_fd(p, "events");

        if (fd < 0)
                return -ENOENT;
        p->on_event = on_event;
        p->cookie = cookie;
        if (p->plan.buffer == PROBE_BUFFER_RING) {
                struct bpf_map_info info = { 0 };
                uint32_t len = sizeof(info);

                p->ring = ring_buffer__new(fd, on_ring_record, p, NULL);
                if (!p->ring) {
                        int r = -errno;

                        set_error(p, "opening the ring buffer: %s", strerror(-r));
                        return r;
                }
                if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
                        snprintf(p->buffer_desc, sizeof(p->buffer_desc), "a ring buffer of %u %s",
                                 info.max_entries >= (1u << 20) ? info.max_entries >> 20 : info.max_entries >> 10,
                                 info.max_entries >= (1u << 20) ? "MiB" : "KiB");
        } else {
                struct perf_event_attr attr = {
                        .type = PERF_TYPE_SOFTWARE,
                        .size = sizeof(attr),
                        .config = PERF_COUNT_SW_BPF_OUTPUT,
                        .sample_type = PERF_SAMPLE_RAW,
                        .sample_period = 1,
                        .wakeup_events = wakeup_events,
                };
                int *cpus = NULL, n;

                p->perf = perf_buffer__new_raw(fd, perf_pages, &attr, on_perf_record, p, NULL);
                if (!p->perf) {
                        int r = -errno;

                        set_error(p, "opening the perf buffers (%u pages per CPU): %s", perf_pages, strerror(-r));
                        return r;
                }
                n = cpulist_read("/sys/devices/system/cpu/online", &cpus);
                free(cpus);
                snprintf(p->buffer_desc, sizeof(p->buffer_desc), "perf buffers of %u pages on %d CPUs", perf_pages, n);
        }
        p->last_sweep_ns = clock_ns(CLOCK_MONOTONIC);
        return 0;
}

static int prog_fd(struct probe *p, const char *func)
{
        for (int i = 0; i < p->nprogs; i++) {
                if (strcmp(p->progs[i].name, func) != 0)
                        continue;
                if (p->progs[i].fd < 0)
                        set_error(p, "%s", p->progs[i].error);
                return p->progs[i].fd;
        }
        set_error(p, "the BPF compiler did not load %s", func);
        return -1;
}

static int perf_event_open(struct perf_event_attr *attr)
{
        /* any CPU will do: a BPF program on a kprobe or tracepoint runs on every CPU */
        return (int)syscall(SYS_perf_event_open, attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Opens the event, gives it the program and enables it; the link keeps both. */
static int attach_event(struct probe *p, struct perf_event_attr *attr, const char *func, const char *point)
{
        struct link *l = &p->links[p->nlinks];
        uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
        int fd = prog_fd(p, func), pfd, r;

        if (fd < 0)
                return -EINVAL;
        pfd = perf_event_open(attr);
        if (pfd < 0) {
                r = -errno;
                set_error(p, "attaching %s: perf_event_open: %s", point, strerror(-r));
                return r;
        }
        if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, fd) < 0 || ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
                r = -errno;
                close(pfd);
                set_error(p, "attaching %s: %s", point, strerror(-r));
                return r;
        }
        p->attach_ns += clock_ns(CLOCK_MONOTONIC) - t0;
        l->perf_fd = pfd;
        snprintf(l->point, sizeof(l->point), "%s", point);
        p->nlinks++;
        return 0;
}

static int read_file(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC), r;
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        r = n < 0 ? -errno : 0;
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        return r;
}

/* func: the program's function; NULL for libbcc's tracepoint__CATEGORY__NAME (TRACEPOINT_PROBE) */
static int attach_tracepoint(struct probe *p, const char *category, const char *name, const char *func_name)
{
        char path[256], buf[32], func[96], point[64];
        struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr), .sample_period = 1 };
        int r;

        snprintf(point, sizeof(point), "%s:%s", category, name);
        snprintf(path, sizeof(path), TRACEFS_DIR "/events/%s/%s/id", category, name);
        r = read_file(path, buf, sizeof(buf));
        if (r < 0) {
                set_error(p, "attaching tracepoint %s: reading %s: %s", point, path, strerror(-r));
                return r;
        }
        attr.config = strtoull(buf, NULL, 10);
        if (func_name)
                snprintf(func, sizeof(func), "%s", func_name);
        else
                snprintf(func, sizeof(func), "tracepoint__%s__%s", category, name);
        return attach_event(p, &attr, func, point);
}

/* A raw tracepoint (4.17+), which hands the program the tracepoint's arguments: the fd is the link. */
static int attach_raw_tracepoint(struct probe *p, const char *name, const char *func)
{
        struct link *l = &p->links[p->nlinks];
        uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
        int fd = prog_fd(p, func), lfd, r;

        if (fd < 0)
                return -EINVAL;
        lfd = bpf_raw_tracepoint_open(name, fd);
        if (lfd < 0) {
                r = -errno;
                set_error(p, "attaching raw tracepoint %s: %s", name, strerror(-r));
                return r;
        }
        p->attach_ns += clock_ns(CLOCK_MONOTONIC) - t0;
        l->perf_fd = lfd; /* closing it detaches the program; the ioctl of a perf event fails harmlessly on it */
        snprintf(l->point, sizeof(l->point), "raw:%s", name);
        p->nlinks++;
        return 0;
}

/*
 * Through the kprobe PMU (4.17+): the event names the symbol itself, and
 * closing it removes the probe; nothing is left in kprobe_events.
 */
static int attach_kprobe(struct probe *p, const char *func, const char *symbol, bool retprobe)
{
        struct perf_event_attr attr;
        char point[64];
        int r;

        snprintf(point, sizeof(point), "%s %s", retprobe ? "kretprobe" : "kprobe", symbol);
        r = kernel_env_kprobe_attr(symbol, retprobe, &attr);
        if (r < 0) {
                set_error(p,
                          "attaching %s: this kernel's kprobe PMU (/sys/bus/event_source/devices/kprobe) is "
                          "missing or unreadable: %s",
                          point, strerror(-r));
                return r;
        }
        return attach_event(p, &attr, func, point);
}
/* Tracepoint mode: the enter and exit tracepoints of every planned route. */
static int attach_tracepoints(struct probe *p)
{
        unsigned planned = probe_plan_tp_routes(&p->plan);
        char exit_name[32], enter_name[32];
        size_t len = 0;
        int r = 0;

        p->points[0] = '\0';
        for (size_t i = 0; i < ROUTES && r == 0; i++) {
                if (!(planned & (1u << i)))
                        continue;
                snprintf(exit_name, sizeof(exit_name), "sys_exit_%s", routes[i].name);
                snprintf(enter_name, sizeof(enter_name), "sys_enter_%s", routes[i].name);
                r = attach_tracepoint(p, "syscalls", exit_name, NULL);
                if (r == 0)
                        r = attach_tracepoint(p, "syscalls", enter_name, NULL);
                if (r == 0)
                        len += (size_t)snprintf(p->points + len, sizeof(p->points) - len, "%ssyscalls:sys_*_%s",
                                                len ? " " : "", routes[i].name);
        }
        if (r == 0)
                p->mode = PROBE_MODE_TRACEPOINT;
        return r;
}

/*
 * The return probe through tracefs, following up to KPROBE_EVENTS_MAXACTIVE
 * calls at once (the PMU's follows max(10, 2 × CPUs): past them, blocked
 * opens' returns go unseen); the calls it still misses are counted as lost
 * (probe_read_stats()). Without a writable tracefs, the PMU's.
 */
static int attach_return_probe(struct probe *p, int which, const char *symbol, const char *suffix, const char *func)
{
        struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr), .sample_period = 1 };
        char *event = p->return_event[which], point[128];
        uint64_t id = 0;
        int r;

        snprintf(event, sizeof(p->return_event[0]), "ret_%d%s", (int)getpid(), suffix);
        (void)kprobe_event_remove(event); /* a leftover of ours, if this pid ran before */
        r = kprobe_event_add_return(event, symbol, KPROBE_EVENTS_MAXACTIVE, &id);
        attr.config = id;
        if (r < 0) {
                event[0] = '\0';
                return attach_kprobe(p, func, symbol, true);
        }
        snprintf(point, sizeof(point), "kretprobe %s (" KPROBE_EVENTS_GROUP "/%s)", symbol, event);
        r = attach_event(p, &attr, func, point);
        if (r < 0) {
                (void)kprobe_event_remove(event);
                event[0] = '\0';
        }
        return r;
}

/* A pair: its return probe first, so that no entry is stashed without its return being seen. */
static int attach_pair(struct probe *p, int which, const char *symbol, const char *suffix, const char *entry,
                       const char *ret)
{
        int r = attach_return_probe(p, which, symbol, suffix, ret);

        return r == 0 ? attach_kprobe(p, entry, symbol, false) : r;
}

/* The open function's pair, then each route's of its own (routes.def): open_by_handle_at's, exec's. */
static int attach_kprobes(struct probe *p)
{
        unsigned planned = probe_plan_kprobe_routes(&p->plan);
        size_t len;
        int r, which = 0;

        kprobe_events_remove_stale();
        r = attach_pair(p, which++, p->plan.kprobe_symbol, "", "kprobe_open_entry", "kprobe_open_return");
        len = (size_t)snprintf(p->points, sizeof(p->points), "%s", p->plan.kprobe_symbol);
        for (int i = 0; i < ROUTES && r == 0; i++) {
                char suffix[32], entry[64];

                if (!(planned & (1u << i)))
                        continue;
                snprintf(suffix, sizeof(suffix), "_%s", routes[i].kprobe_tag);
                snprintf(entry, sizeof(entry), "kprobe_%s_entry", routes[i].kprobe_tag);
                r = attach_pair(p, which++, routes[i].kprobe_symbol, suffix, entry, routes[i].kprobe_return);
                len += (size_t)snprintf(p->points + len, sizeof(p->points) - len, " %s", routes[i].kprobe_symbol);
        }
        if (r == 0)
                p->mode = PROBE_MODE_KPROBE;
        return r;
}

/*
 * In both modes, the routes to an open that no system call's probe sees:
 * the program file exec opened, and io_uring's opens. Completions first, so
 * that no submission is kept without its completion being seen. One that
 * cannot be attached does not stop the rest: the attach points (the startup
 * line, STATUS=) say it is missing, and why.
 */
/* Adds what became of one route to the attach points: its events, or why it is missing (p->error). */
static void note_route(struct probe *p, int r, const char *attached, const char *missing)
{
        size_t len = strlen(p->points);

        if (r == 0)
                snprintf(p->points + len, sizeof(p->points) - len, " %s", attached);
        else
                snprintf(p->points + len, sizeof(p->points) - len, " (%s: %s)", missing, p->error);
}

static void attach_kernel_routes(struct probe *p)
{
        char events[128];
        int r;

        if (p->plan.io_uring.submit) {
                const char *submit = io_uring_submit_event(&p->plan);

                r = attach_tracepoint(p, "io_uring", "io_uring_complete", "io_uring_completed");
                if (r == 0)
                        r = attach_tracepoint(p, "io_uring", submit, "io_uring_submitted");
                snprintf(events, sizeof(events), "io_uring:%s,io_uring_complete", submit);
                note_route(p, r, events, "io_uring's opens are not recorded");
        }
        if (p->plan.tp_exec)
                note_route(p, attach_tracepoint(p, "sched", "sched_process_exec", NULL), "sched:sched_process_exec",
                           "exec's program files are not recorded");
        /* after the program file's, so that its record comes first */
        if (p->plan.exec_interpreters)
                note_route(p, attach_raw_tracepoint(p, "sched_process_exec", "raw_tracepoint__sched_process_exec"),
                           "raw:sched_process_exec", "exec's interpreters are not recorded");
        /* Removals first: a name learned at mkdir whose removal went unseen would be kept for good. */
        if (p->plan.tp_cgroup) {
                r = attach_tracepoint(p, "cgroup", "cgroup_rmdir", NULL);
                if (r == 0)
                        r = attach_tracepoint(p, "cgroup", "cgroup_mkdir", NULL);
                p->cgroup_names = r == 0;
                note_route(p, r, "cgroup:cgroup_mkdir,cgroup_rmdir",
                           "a cgroup removed before its opens are written is not named");
        }
}

bool probe_learns_cgroups(const struct probe *p)
{
        return p->cgroup_names;
}

/* The attached events hold their programs: our fds of them only keep unused ones loaded. */
static void close_programs(struct probe *p)
{
        for (int i = 0; i < p->nprogs; i++) {
                if (p->progs[i].fd >= 0)
                        close(p->progs[i].fd);
                p->progs[i].fd = -1;
        }
}

int probe_attach(struct probe *p)
{
        int r = -EINVAL;

        if (p->plan.kprobe) {
                r = attach_kprobes(p);
                if (r == 0)
                        goto done;
                probe_detach(p);
        }
        if (p->plan.tracepoint) {
                char kprobe_error[256];

                /* keep the kprobe failure visible if the fallback fails too */
                snprintf(kprobe_error, sizeof(kprobe_error), "%s", p->error);
                r = attach_tracepoints(p);
                if (r == 0)
                        goto done;
                probe_detach(p);
                if (p->plan.kprobe)
                        set_error(p, "%s; %s", kprobe_error, p->error);
        }
        return r;
done:
        attach_kernel_routes(p);
        close_programs(p);
        return 0;
}

void probe_detach(struct probe *p)
{
        /* Entry probes were attached last: take them down first. */
        for (int i = p->nlinks - 1; i >= 0; i--) {
                if (p->links[i].perf_fd >= 0) {
                        (void)ioctl(p->links[i].perf_fd, PERF_EVENT_IOC_DISABLE, 0);
                        close(p->links[i].perf_fd);
                }
                p->links[i] = (struct link){ .perf_fd = -1 };
        }
        p->nlinks = 0;
        p->cgroup_names = false;
        for (int i = 0; i < RETURN_EVENTS; i++)
                if (p->return_event[i][0]) {
                        (void)kprobe_event_remove(p->return_event[i]);
                        p->return_event[i][0] = '\0';
                }
}

enum probe_mode probe_mode(const struct probe *p)
{
        return p->mode;
}

const char *probe_attach_points(const struct probe *p)
{
        return p->points;
}

const char *probe_buffer_description(const struct probe *p)
{
        return p->buffer_desc;
}

void probe_timings(const struct probe *p, uint64_t *load_ns, uint64_t *attach_ns)
{
        *load_ns = p->load_ns;
        *attach_ns = p->attach_ns;
}

const char *probe_error(const struct probe *p)
{
        return p && p->error[0] ? p->error : "unknown step";
}

void probe_drain(struct probe *p)
{
        if (p->ring)
                (void)ring_buffer__consume(p->ring);
        if (p->perf)
                (void)perf_buffer__consume(p->perf);
        p->last_sweep_ns = clock_ns(CLOCK_MONOTONIC);
}

int probe_poll(struct probe *p, int timeout_ms)
{
        int n = p->ring ? ring_buffer__poll(p->ring, timeout_ms) : perf_buffer__poll(p->perf, timeout_ms);

        if (n < 0)
                return n;
        if (clock_ns(CLOCK_MONOTONIC) - p->last_sweep_ns >= SWEEP_INTERVAL_NS)
                probe_drain(p);
        return 0;
}

int probe_read_stats(struct probe *p, uint64_t out[OPEN_STAT_MAX])
{
        uint64_t *values = p->percpu_values;
        int fd = table_fd(p, "stats");

        if (fd < 0)
                return -ENOENT;
        for (uint32_t stat = 0; stat < OPEN_STAT_MAX; stat++) {
                out[stat] = 0;
                if (bpf_map_lookup_elem(fd, &stat, values) < 0)
                        return -errno;
                for (int cpu = 0; cpu < p->ncpus_possible; cpu++)
                        out[stat] += values[cpu];
        }
        /* Returns the probe never saw: those opens are lost like any the stash had no room for.
         * Kept once read, so a count does not go down when the event is removed at a stop. */
        for (int i = 0; i < RETURN_EVENTS; i++) {
                if (p->return_event[i][0])
                        (void)kprobe_event_missed(p->return_event[i], &p->missed_returns[i]);
                out[OPEN_STAT_STASH_FULL] += p->missed_returns[i];
        }
        return 0;
}

int probe_store_cgroup_verdict(struct probe *p, uint64_t cgroup_id, uint8_t verdict)
{
        int fd = find_map_fd(p, "filter_cgroups");

        if (fd < 0)
                return fd;
        return bpf_map_update_elem(fd, &cgroup_id, &verdict, BPF_ANY) < 0 ? -errno : 0;
}

int probe_clear_cgroup_verdicts(struct probe *p)
{
        uint64_t key;
        int fd = find_map_fd(p, "filter_cgroups");

        if (fd < 0)
                return fd;
        /* only user space adds entries, under unit_filter's lock: this ends */
        while (bpf_map_get_next_key(fd, NULL, &key) == 0)
                if (bpf_map_delete_elem(fd, &key) < 0 && errno != ENOENT)
                        return -errno;
        return 0;
}

struct probe *probe_free(struct probe *p)
{
        if (!p)
                return NULL;
        probe_detach(p);
        ring_buffer__free(p->ring);
        perf_buffer__free(p->perf);
        close_programs(p);
        for (int i = 0; i < p->nmaps; i++)
                if (p->maps[i].fd >= 0)
                        close(p->maps[i].fd);
        free_cflags(p->cflags);
        free(p->percpu_values);
        free(p);
        return NULL;
}
