/* SPDX-License-Identifier: MIT */
/* Attaching the loaded programs to the kernel's events, and taking them down. */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "probe-internal.h"

#include "clock.h"
#include "kernel_env.h"
#include "kprobe_events.h"
#include "sysfs.h"

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

/* func: the program's function; NULL for libbcc's tracepoint__CATEGORY__NAME (TRACEPOINT_PROBE) */
static int attach_tracepoint(struct probe *p, const char *category, const char *name, const char *func_name)
{
        char path[256], func[96], point[64];
        struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr), .sample_period = 1 };
        uint64_t id;
        int r;

        snprintf(point, sizeof(point), "%s:%s", category, name);
        snprintf(path, sizeof(path), TRACEFS_DIR "/events/%s/%s/id", category, name);
        r = sysfs_read_u64(path, &id);
        if (r < 0) {
                set_error(p, "attaching tracepoint %s: reading %s: %s", point, path, strerror(-r));
                return r;
        }
        attr.config = id;
        if (func_name)
                snprintf(func, sizeof(func), "%s", func_name);
        else
                snprintf(func, sizeof(func), "tracepoint__%s__%s", category, name);
        return attach_event(p, &attr, func, point);
}

/*
 * A BPF link made by BPF_RAW_TRACEPOINT_OPEN: to a raw tracepoint (4.17+),
 * which hands the program the tracepoint's arguments, or, with no name, to
 * the kernel function a tracing program was loaded for (a trampoline, 5.5+).
 * The fd is the link: closing it detaches the program; the ioctl of a perf
 * event fails harmlessly on it.
 */
static int attach_link(struct probe *p, const char *name, const char *func, const char *point)
{
        struct link *l = &p->links[p->nlinks];
        uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
        int fd = prog_fd(p, func), lfd, r;

        if (fd < 0)
                return -EINVAL;
        lfd = bpf_raw_tracepoint_open(name, fd);
        if (lfd < 0) {
                r = -errno;
                set_error(p, "attaching %s: %s", point, strerror(-r));
                return r;
        }
        p->attach_ns += clock_ns(CLOCK_MONOTONIC) - t0;
        l->perf_fd = lfd;
        snprintf(l->point, sizeof(l->point), "%s", point);
        p->nlinks++;
        return 0;
}

static int attach_raw_tracepoint(struct probe *p, const char *name, const char *func)
{
        char point[64];

        snprintf(point, sizeof(point), "raw:%s", name);
        return attach_link(p, name, func, point);
}

/*
 * A trampoline on a kernel function's entry (fentry) or exit (fexit): libbcc
 * loaded the program for the function its name gives, so it attaches to
 * nothing else. The program's fd is kept too, for the calls its recursion
 * guard made it miss (probe_read_stats()).
 */
static int attach_trampoline(struct probe *p, const char *func, const char *point)
{
        int r, kept;

        if (p->ntrampolines == MAX_TRAMPOLINES) {
                set_error(p, "attaching %s: more than %d trampolines", point, MAX_TRAMPOLINES);
                return -E2BIG;
        }
        r = attach_link(p, NULL, func, point);
        if (r < 0)
                return r;
        kept = fcntl(prog_fd(p, func), F_DUPFD_CLOEXEC, 3);
        if (kept < 0) {
                r = -errno;
                close(p->links[--p->nlinks].perf_fd);
                set_error(p, "attaching %s: keeping its program: %s", point, strerror(-r));
                return r;
        }
        p->trampolines[p->ntrampolines++] = kept;
        return 0;
}

/* A pair of trampolines on function: its exit first, so that no entry is stashed without its exit being seen. */
static int attach_fentry_pair(struct probe *p, const char *function)
{
        char func[96], point[96];
        int r;

        snprintf(func, sizeof(func), "kretfunc__%s", function);
        snprintf(point, sizeof(point), "fexit %s", function);
        r = attach_trampoline(p, func, point);
        if (r < 0)
                return r;
        snprintf(func, sizeof(func), "kfunc__%s", function);
        snprintf(point, sizeof(point), "fentry %s", function);
        return attach_trampoline(p, func, point);
}

/* Fentry mode: the open function's pair, then each route's of its own (routes.def). */
static int attach_fentries(struct probe *p)
{
        unsigned planned = probe_plan_fentry_routes(&p->plan);
        int r = attach_fentry_pair(p, p->plan.open_function);
        size_t len = (size_t)snprintf(p->points, sizeof(p->points), "%s", p->plan.open_function);

        for (int i = 0; i < ROUTES && r == 0; i++) {
                if (!(planned & (1u << i)))
                        continue;
                r = attach_fentry_pair(p, routes[i].function);
                len += (size_t)snprintf(p->points + len, sizeof(p->points) - len, " %s", routes[i].function);
        }
        if (r == 0)
                p->mode = PROBE_MODE_FENTRY;
        return r;
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
        r = attach_pair(p, which++, p->plan.open_function, "", "kprobe_open_entry", "kprobe_open_return");
        len = (size_t)snprintf(p->points, sizeof(p->points), "%s", p->plan.open_function);
        for (int i = 0; i < ROUTES && r == 0; i++) {
                char suffix[32], entry[64];

                if (!(planned & (1u << i)))
                        continue;
                snprintf(suffix, sizeof(suffix), "_%s", routes[i].kprobe_tag);
                snprintf(entry, sizeof(entry), "kprobe_%s_entry", routes[i].kprobe_tag);
                r = attach_pair(p, which++, routes[i].function, suffix, entry, routes[i].kprobe_return);
                len += (size_t)snprintf(p->points + len, sizeof(p->points) - len, " %s", routes[i].function);
        }
        if (r == 0)
                p->mode = PROBE_MODE_KPROBE;
        return r;
}

/* Adds what became of one route to the attach points: its events, or why it is missing (p->error). */
static void note_route(struct probe *p, int r, const char *attached, const char *missing)
{
        size_t len = strlen(p->points);

        if (r == 0)
                snprintf(p->points + len, sizeof(p->points) - len, " %s", attached);
        else
                snprintf(p->points + len, sizeof(p->points) - len, " (%s: %s)", missing, p->error);
}

/* The tracepoint io_uring's submission of a request is seen at, after its prep copied the name. */
static const char *io_uring_submit_event(const struct probe_plan *plan)
{
        return plan->io_uring.submit == 2 ? "io_uring_submit_req" : "io_uring_submit_sqe";
}

/*
 * In both modes, the routes to an open that no system call's probe sees:
 * the program file exec opened, and io_uring's opens. Completions first, so
 * that no submission is kept without its completion being seen. One that
 * cannot be attached does not stop the rest: the attach points (the startup
 * line, STATUS=) say it is missing, and why.
 */
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

/* Adds p->error to the failures seen so far (earlier), so that a fallback that fails too shows them all. */
static void keep_failure(struct probe *p, char *earlier, size_t size)
{
        size_t len = strlen(earlier);

        /* cut short if need be: the first failures are the ones that say most */
        if (snprintf(earlier + len, size - len, "%s%s", len ? "; " : "", p->error) >= (int)(size - len))
                earlier[size - 1] = '\0';
}

/* The planned modes in order, each the next's fallback: fentry, kprobe, tracepoint. */
int probe_attach(struct probe *p)
{
        static int (*const attach_mode[])(struct probe *) = { attach_fentries, attach_kprobes, attach_tracepoints };
        const bool planned[] = { p->plan.fentry, p->plan.kprobe, p->plan.tracepoint };
        char failures[sizeof(p->error)] = "";
        int r = -EINVAL;

        for (size_t i = 0; i < sizeof(planned) / sizeof(planned[0]); i++) {
                if (!planned[i])
                        continue;
                r = attach_mode[i](p);
                if (r == 0)
                        goto done;
                probe_detach(p);
                keep_failure(p, failures, sizeof(failures));
        }
        set_error(p, "%s", failures);
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
        for (int i = 0; i < p->ntrampolines; i++)
                close(p->trampolines[i]);
        p->ntrampolines = 0;
        p->cgroup_names = false;
        for (int i = 0; i < RETURN_EVENTS; i++)
                if (p->return_event[i][0]) {
                        (void)kprobe_event_remove(p->return_event[i]);
                        p->return_event[i][0] = '\0';
                }
}
