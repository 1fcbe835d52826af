/* SPDX-License-Identifier: MIT */
#include "probe.h"

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <bcc/perf_reader.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf_program.h"
#include "clock.h"
#include "cpulist.h"

#define MAX_CFLAGS        16
#define MAX_LINKS         6
#define SWEEP_INTERVAL_NS 100000000ull /* read every buffer at least this often */

/*
 * The maps user space keeps an fd of once the program runs: those it writes
 * or reads, and "events", because the kernel empties a perf event array when
 * its last user-space fd closes, and nothing would be delivered.
 */
static const char *const kept_maps[] = { "settings",        "filter_pids", "filter_uids", "filter_comms",
                                         "filter_prefixes", "self_noise",  "stats",       "events" };
#define NKEPT (sizeof(kept_maps) / sizeof(kept_maps[0]))

/* One loaded program attached to one point. */
struct link {
        int prog_fd;
        int perf_fd;
        char kprobe_event[64]; /* non-empty for kprobes: removed from kprobe_events on detach */
        char point[64];
};

struct probe {
        void *module;
        char *cflags[MAX_CFLAGS]; /* NULL past the last */
        struct probe_plan plan;
        struct link links[MAX_LINKS];
        int nlinks;
        enum probe_mode mode;
        char points[256];
        struct perf_reader **readers;
        size_t nreaders;
        int epoll_fd; /* every reader's fd */
        uint64_t last_sweep_ns;
        int ncpus_possible;
        uint64_t *percpu_values;     /* ncpus_possible of them: one per-CPU map value */
        uint64_t load_ns, attach_ns; /* time spent in the kernel's verifier, and attaching */
        int kept_fds[NKEPT];         /* after probe_release_compiler(): our own fds of kept_maps */
        char error[256];
};

__attribute__((format(printf, 2, 3))) static void set_error(struct probe *p, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(p->error, sizeof(p->error), fmt, ap);
        va_end(ap);
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
#ifdef __x86_64__
                out[n++] = strdup("-DOPENSNOOPD_X86_64");
#endif
        }
        if (plan->tracepoint && plan->tp_open)
                out[n++] = strdup("-DOPENSNOOPD_TP_OPEN");
        if (plan->tracepoint && plan->tp_openat)
                out[n++] = strdup("-DOPENSNOOPD_TP_OPENAT");
        if (plan->tracepoint && plan->tp_openat2)
                out[n++] = strdup("-DOPENSNOOPD_TP_OPENAT2");
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_STASH_ENTRIES=%u", params->max_in_flight);
        /* User space knows its syscall numbers; -1 where one does not exist. */
#ifdef SYS_open
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_NR_OPEN=%d", SYS_open);
#else
        out[n++] = strdup("-DOPENSNOOPD_NR_OPEN=-1");
#endif
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_NR_OPENAT=%d", SYS_openat);
#ifdef SYS_openat2
        (void)!asprintf(&out[n++], "-DOPENSNOOPD_NR_OPENAT2=%d", SYS_openat2);
#else
        out[n++] = strdup("-DOPENSNOOPD_NR_OPENAT2=437");
#endif
        for (int i = 0; i < n; i++)
                if (!out[i])
                        return -ENOMEM;
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

int probe_compile(const struct probe_params *params, struct probe **ret)
{
        struct probe *p = calloc(1, sizeof(*p));
        int *cpus = NULL;
        int n;

        if (!p)
                return -ENOMEM;
        p->plan = params->plan;
        p->epoll_fd = -1;
        for (size_t i = 0; i < NKEPT; i++)
                p->kept_fds[i] = -1;
        for (int i = 0; i < MAX_LINKS; i++)
                p->links[i].prog_fd = p->links[i].perf_fd = -1;
        n = build_cflags(params, p->cflags);
        if (n < 0)
                goto fail;
        /* per-CPU map values come one per possible CPU: size them from the machine, not a constant */
        n = cpulist_read("/sys/devices/system/cpu/possible", &cpus);
        free(cpus);
        if (n < 0) {
                set_error(p, "reading the possible CPUs");
                goto fail;
        }
        p->ncpus_possible = n;
        p->percpu_values = calloc((size_t)n, sizeof(*p->percpu_values));
        if (!p->percpu_values) {
                n = -ENOMEM;
                goto fail;
        }
        p->module =
                bpf_module_create_c_from_string(bpf_program_text, 0, (const char **)p->cflags, n_cflags(p), true, NULL);
        if (!p->module) {
                n = -EINVAL;
                goto fail;
        }
        *ret = p;
        return 0;
fail:
        probe_free(p);
        return n;
}

static int table_fd(struct probe *p, const char *name)
{
        int fd = -1;

        if (p->module) {
                fd = bpf_table_fd(p->module, name);
        } else {
                for (size_t i = 0; i < NKEPT; i++)
                        if (strcmp(kept_maps[i], name) == 0)
                                fd = p->kept_fds[i];
        }

        if (fd < 0)
                set_error(p, "finding map %s", name);
        return fd;
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
        if (bpf_get_first_key(fd, found, key_size) == 0) {
                nfound = 1;
                while (nfound <= max_entries &&
                       bpf_get_next_key(fd, found + (nfound - 1) * key_size, found + nfound * key_size) == 0)
                        nfound++;
        }
        for (size_t i = 0; i < nfound; i++) {
                const char *key = found + i * key_size;

                if (!in_keys(keys, key_size, n, key) && bpf_delete_elem(fd, (void *)key) < 0 && errno != ENOENT) {
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

                if (bpf_update_elem(fd, (void *)key, (void *)&verdicts[i], BPF_ANY) < 0)
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
        if (bpf_update_elem(fd, &zero, (void *)&m->settings, BPF_ANY) < 0) {
                r = -errno;
                set_error(p, "writing the filter settings");
                return r;
        }
        for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]) && r == 0; i++)
                r = sync_map_prune(p, maps[i].name, maps[i].keys, maps[i].key_size, maps[i].n, maps[i].max_entries);
        return r;
}

int probe_open_buffers(struct probe *p, unsigned pages, unsigned wakeup_events, probe_event_fn on_event,
                       probe_lost_fn on_lost, void *cookie)
{
        int *cpus = NULL;
        int n, r = 0, fd = table_fd(p, "events");

        if (fd < 0)
                return -ENOENT;
        n = cpulist_read("/sys/devices/system/cpu/online", &cpus);
        if (n < 0) {
                set_error(p, "reading the online CPUs");
                return n;
        }
        p->readers = calloc((size_t)n, sizeof(*p->readers));
        p->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (!p->readers || p->epoll_fd < 0) {
                r = p->readers ? -errno : -ENOMEM;
                set_error(p, "setting up the perf buffers");
                goto out;
        }
        for (int i = 0; i < n; i++) {
                struct bcc_perf_buffer_opts opts = { .pid = -1, .cpu = cpus[i], .wakeup_events = (int)wakeup_events };
                struct perf_reader *reader;
                struct epoll_event ev = { .events = EPOLLIN };
                int reader_fd;

                reader = bpf_open_perf_buffer_opts(on_event, on_lost, cookie, (int)pages, &opts);
                if (!reader) {
                        r = errno ? -errno : -ENOMEM;
                        set_error(p, "opening the perf buffer of CPU %d (%u pages)", cpus[i], pages);
                        goto out;
                }
                p->readers[p->nreaders++] = reader;
                reader_fd = perf_reader_fd(reader);
                ev.data.ptr = reader;
                if (bpf_update_elem(fd, &cpus[i], &reader_fd, BPF_ANY) < 0 ||
                    epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, reader_fd, &ev) < 0) {
                        r = -errno;
                        set_error(p, "storing the perf buffer of CPU %d", cpus[i]);
                        goto out;
                }
        }
out:
        free(cpus);
        return r;
}

static int load(struct probe *p, const char *func, enum bpf_prog_type type)
{
        char log[4096] = "";
        void *start = bpf_function_start(p->module, func);
        uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
        int fd;

        if (!start) {
                set_error(p, "finding BPF function %s", func);
                return -ENOENT;
        }
        fd = bcc_func_load(p->module, type, func, start, (int)bpf_function_size(p->module, func),
                           bpf_module_license(p->module), bpf_module_kern_version(p->module), 0, log, sizeof(log), NULL,
                           -1);
        p->load_ns += clock_ns(CLOCK_MONOTONIC) - t0;
        if (fd < 0) {
                int r = fd < -1 ? fd : -errno;
                char *last = strrchr(log, '\n');

                /* the verifier's last line says why; keep it short */
                while (last && last > log && last[1] == '\0') {
                        *last = '\0';
                        last = strrchr(log, '\n');
                }
                set_error(p, "loading %s%s%s", func, log[0] ? ": " : "", last ? last + 1 : log);
                return r < 0 ? r : -EINVAL;
        }
        return fd;
}

static int attach_tracepoint(struct probe *p, const char *name)
{
        char func[96];
        struct link *l = &p->links[p->nlinks];
        uint64_t t0;
        int fd;

        snprintf(func, sizeof(func), "tracepoint__syscalls__%s", name);
        fd = load(p, func, BPF_PROG_TYPE_TRACEPOINT);
        if (fd < 0)
                return fd;
        l->prog_fd = fd;
        p->nlinks++;
        t0 = clock_ns(CLOCK_MONOTONIC);
        l->perf_fd = bpf_attach_tracepoint(fd, "syscalls", name);
        p->attach_ns += clock_ns(CLOCK_MONOTONIC) - t0;
        if (l->perf_fd < 0) {
                int r = errno ? -errno : -EINVAL;

                set_error(p, "attaching tracepoint syscalls:%s", name);
                return r;
        }
        snprintf(l->point, sizeof(l->point), "syscalls:%s", name);
        return 0;
}

static int attach_kprobe(struct probe *p, const char *func, enum bpf_probe_attach_type type)
{
        struct link *l = &p->links[p->nlinks];
        int fd = load(p, func, BPF_PROG_TYPE_KPROBE);
        uint64_t t0;

        if (fd < 0)
                return fd;
        l->prog_fd = fd;
        p->nlinks++;
        /* The event name only matters where libbcc falls back to kprobe_events. */
        snprintf(l->kprobe_event, sizeof(l->kprobe_event), "opensnoopd_%d_%s", getpid(),
                 type == BPF_PROBE_ENTRY ? "entry" : "return");
        t0 = clock_ns(CLOCK_MONOTONIC);
        l->perf_fd = bpf_attach_kprobe(fd, type, l->kprobe_event, p->plan.kprobe_symbol, 0, 0);
        p->attach_ns += clock_ns(CLOCK_MONOTONIC) - t0;
        if (l->perf_fd < 0) {
                int r = errno ? -errno : -EINVAL;

                set_error(p, "attaching %s to %s", type == BPF_PROBE_ENTRY ? "kprobe" : "kretprobe",
                          p->plan.kprobe_symbol);
                return r;
        }
        snprintf(l->point, sizeof(l->point), "%s%s", p->plan.kprobe_symbol, type == BPF_PROBE_ENTRY ? "" : " (return)");
        return 0;
}

static int attach_kprobes(struct probe *p)
{
        int r = attach_kprobe(p, "kprobe_open_return", BPF_PROBE_RETURN);

        if (r == 0)
                r = attach_kprobe(p, "kprobe_open_entry", BPF_PROBE_ENTRY);
        if (r == 0) {
                p->mode = PROBE_MODE_KPROBE;
                snprintf(p->points, sizeof(p->points), "%s", p->plan.kprobe_symbol);
        }
        return r;
}

static int attach_tracepoints(struct probe *p)
{
        static const char *const names[] = { "open", "openat", "openat2" };
        const bool planned[] = { p->plan.tp_open, p->plan.tp_openat, p->plan.tp_openat2 };
        char exit_name[32], enter_name[32];
        size_t len = 0;
        int r = 0;

        p->points[0] = '\0';
        for (size_t i = 0; i < 3 && r == 0; i++) {
                if (!planned[i])
                        continue;
                snprintf(exit_name, sizeof(exit_name), "sys_exit_%s", names[i]);
                snprintf(enter_name, sizeof(enter_name), "sys_enter_%s", names[i]);
                r = attach_tracepoint(p, exit_name);
                if (r == 0)
                        r = attach_tracepoint(p, enter_name);
                if (r == 0)
                        len += (size_t)snprintf(p->points + len, sizeof(p->points) - len, "%ssyscalls:sys_*_%s",
                                                len ? " " : "", names[i]);
        }
        if (r == 0)
                p->mode = PROBE_MODE_TRACEPOINT;
        return r;
}

int probe_attach(struct probe *p)
{
        int r = -EINVAL;

        if (p->plan.kprobe) {
                r = attach_kprobes(p);
                if (r == 0)
                        return 0;
                probe_detach(p);
        }
        if (p->plan.tracepoint) {
                char kprobe_error[256];

                /* keep the kprobe failure visible if the fallback fails too */
                snprintf(kprobe_error, sizeof(kprobe_error), "%s", p->error);
                r = attach_tracepoints(p);
                if (r == 0)
                        return 0;
                probe_detach(p);
                if (p->plan.kprobe)
                        set_error(p, "%s; %s", kprobe_error, p->error);
        }
        return r;
}

int probe_release_compiler(struct probe *p)
{
        if (!p->module)
                return 0;
        for (size_t i = 0; i < NKEPT; i++) {
                int fd = bpf_table_fd(p->module, kept_maps[i]);

                p->kept_fds[i] = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
                if (p->kept_fds[i] < 0) {
                        int r = -errno;

                        set_error(p, "keeping map %s", kept_maps[i]);
                        return r;
                }
        }
        bpf_module_destroy(p->module);
        p->module = NULL;
        malloc_trim(0);
        return 0;
}

void probe_detach(struct probe *p)
{
        /* Entry probes were attached last: take them down first. */
        for (int i = p->nlinks - 1; i >= 0; i--) {
                struct link *l = &p->links[i];

                if (l->perf_fd >= 0)
                        bpf_close_perf_event_fd(l->perf_fd);
                if (l->kprobe_event[0])
                        bpf_detach_kprobe(l->kprobe_event);
                if (l->prog_fd >= 0)
                        close(l->prog_fd);
                *l = (struct link){ .prog_fd = -1, .perf_fd = -1 };
        }
        p->nlinks = 0;
}

enum probe_mode probe_mode(const struct probe *p)
{
        return p->mode;
}

const char *probe_attach_points(const struct probe *p)
{
        return p->points;
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
        for (size_t i = 0; i < p->nreaders; i++)
                perf_reader_event_read(p->readers[i]);
        p->last_sweep_ns = clock_ns(CLOCK_MONOTONIC);
}

int probe_poll(struct probe *p, int timeout_ms)
{
        struct epoll_event events[64];
        int n = epoll_wait(p->epoll_fd, events, 64, timeout_ms);

        if (n < 0)
                return -errno;
        if (clock_ns(CLOCK_MONOTONIC) - p->last_sweep_ns >= SWEEP_INTERVAL_NS) {
                probe_drain(p);
                return 0;
        }
        for (int i = 0; i < n; i++)
                perf_reader_event_read(events[i].data.ptr);
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
                if (bpf_lookup_elem(fd, &stat, values) < 0)
                        return -errno;
                for (int cpu = 0; cpu < p->ncpus_possible; cpu++)
                        out[stat] += values[cpu];
        }
        return 0;
}

struct probe *probe_free(struct probe *p)
{
        if (!p)
                return NULL;
        probe_detach(p);
        for (size_t i = 0; i < p->nreaders; i++)
                perf_reader_free(p->readers[i]);
        free(p->readers);
        if (p->module)
                bpf_module_destroy(p->module);
        for (size_t i = 0; i < NKEPT; i++)
                if (p->kept_fds[i] >= 0)
                        close(p->kept_fds[i]);
        if (p->epoll_fd >= 0)
                close(p->epoll_fd);
        free_cflags(p->cflags);
        free(p->percpu_values);
        free(p);
        return NULL;
}
