/* SPDX-License-Identifier: MIT */
#include "kernel_env.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "preemption.h"
#include "sysfs.h"

static bool exists(const char *path)
{
        return access(path, F_OK) == 0;
}

int kernel_env_ensure_tracefs(bool *mounted)
{
        *mounted = false;
        if (exists(TRACEFS_DIR "/events"))
                return 0;
        if (mount("nodev", TRACEFS_DIR, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return -errno;
        *mounted = true;
        return 0;
}

static bool has_tracepoint_pair(const char *name)
{
        char path[256];

        snprintf(path, sizeof(path), TRACEFS_DIR "/events/syscalls/sys_enter_%s", name);
        if (!exists(path))
                return false;
        snprintf(path, sizeof(path), TRACEFS_DIR "/events/syscalls/sys_exit_%s", name);
        return exists(path);
}

/*
 * Where a tracepoint's record holds a field, from its format file
 * ("\tfield:void * req;\toffset:16;\tsize:8;..."); -1 if it has none.
 */
static int tracepoint_field_offset(const char *event, const char *name)
{
        char path[256], line[256];
        size_t len = strlen(name);
        int offset = -1;
        FILE *f;

        snprintf(path, sizeof(path), TRACEFS_DIR "/events/%s/format", event);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (offset < 0 && fgets(line, sizeof(line), f)) {
                char *semi = strchr(line, ';'), *at = strstr(line, "offset:");

                /* the name is the declaration's last word, just before its ';' */
                if (!strstr(line, "field:") || !semi || !at || (size_t)(semi - line) < len + 1 ||
                    memcmp(semi - len, name, len) != 0 || (semi[-(int)len - 1] != ' ' && semi[-(int)len - 1] != '*'))
                        continue;
                offset = atoi(at + strlen("offset:"));
        }
        fclose(f);
        return offset;
}

static void io_uring_tracepoints(struct io_uring_tracepoints *t)
{
        static const char *const submit[] = {
                [1] = "io_uring/io_uring_submit_sqe", [2] = "io_uring/io_uring_submit_req"
        };

        *t = (struct io_uring_tracepoints){ 0 };
        t->complete_req = tracepoint_field_offset("io_uring/io_uring_complete", "req");
        t->complete_res = tracepoint_field_offset("io_uring/io_uring_complete", "res");
        for (int which = 2; which >= 1; which--) {
                t->submit_req = tracepoint_field_offset(submit[which], "req");
                t->submit_opcode = tracepoint_field_offset(submit[which], "opcode");
                t->submit_flags = tracepoint_field_offset(submit[which], "flags");
                if (t->submit_req >= 0 && t->submit_opcode >= 0 && t->submit_flags >= 0) {
                        t->submit = which;
                        break;
                }
        }
        if (t->complete_req < 0 || t->complete_res < 0)
                t->submit = 0;
}

int kernel_env_kprobe_attr(const char *symbol, bool retprobe, struct perf_event_attr *attr)
{
        const char *pmu = "/sys/bus/event_source/devices/kprobe";
        char path[128], buf[64];
        uint64_t type = 0;
        unsigned bit = 64;
        int r;

        *attr = (struct perf_event_attr){ .size = sizeof(*attr), .sample_period = 1 };
        snprintf(path, sizeof(path), "%s/type", pmu);
        r = sysfs_read_u64(path, &type);
        if (r < 0)
                return r;
        if (!type || type > UINT32_MAX)
                return -EINVAL;
        attr->type = (uint32_t)type;
        if (retprobe) {
                snprintf(path, sizeof(path), "%s/format/retprobe", pmu);
                r = sysfs_read(path, buf, sizeof(buf));
                if (r < 0 && r != -EIO)
                        return r;
                if (sscanf(buf, "config:%u", &bit) != 1 || bit > 63)
                        return -EINVAL;
                attr->config = 1ull << bit;
        }
        attr->config1 = (uint64_t)(uintptr_t)symbol; /* kprobe_func; config2, probe_offset, 0 */
        return 0;
}

/*
 * Whether the kprobe PMU takes a kprobe and a kretprobe on symbol: made and
 * closed at once, with no program. Where it does, Mode=auto compiles the
 * kprobe programs alone: loading the tracepoint fallback too cost every
 * start the verifier's time for a dozen programs never attached (most of a
 * minute under emulation).
 */
static bool kprobe_pmu_takes(const char *symbol)
{
        for (int ret = 0; ret <= 1; ret++) {
                struct perf_event_attr attr;
                int fd;

                if (kernel_env_kprobe_attr(symbol, ret, &attr) < 0)
                        return false;
                fd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
                if (fd < 0)
                        return false;
                close(fd);
        }
        return true;
}

/*
 * Whether BPF trampolines attach to function's entry and exit: an empty
 * program on each, attached and taken down at once. The kernel's BTF must
 * name the function, and a kernel that does may still refuse (no trampolines
 * on its architecture, lockdown, a hypervisor's rules on patching its text):
 * only trying tells. Where they do not, Mode=fentry refuses to start, in one
 * line, before the compile.
 */
static bool trampolines_attach(const char *function)
{
        static const struct bpf_insn return_zero[] = {
                { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
                { .code = BPF_JMP | BPF_EXIT },
        };
        static const enum bpf_attach_type types[] = { BPF_TRACE_FENTRY, BPF_TRACE_FEXIT };
        struct btf *vmlinux = btf__load_vmlinux_btf();
        bool attached = true;
        int id;

        if (!vmlinux)
                return false;
        id = btf__find_by_name_kind(vmlinux, function, BTF_KIND_FUNC);
        btf__free(vmlinux);
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]) && attached; i++) {
                LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = types[i], .attach_btf_id = (__u32)id);
                int prog = id > 0 ? bpf_prog_load(BPF_PROG_TYPE_TRACING, "opensnoopd_try", "GPL", return_zero, 2, &opts)
                                  : -1;
                int link = prog >= 0 ? bpf_raw_tracepoint_open(NULL, prog) : -1;

                attached = link >= 0;
                if (link >= 0)
                        close(link);
                if (prog >= 0)
                        close(prog);
        }
        return attached;
}

/* Whether the running kernel's release is at least major.minor (false where it cannot be read). */
static bool release_at_least(unsigned want_major, unsigned want_minor)
{
        struct utsname u;
        unsigned major = 0, minor = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
                return false;
        return major > want_major || (major == want_major && minor >= want_minor);
}

/*
 * Task-local storage reaches kprobe and tracepoint programs in 5.11, with the
 * kernel's BTF (bpf_get_current_task_btf()). No map of that type can be made
 * to try it without BTF of our own, so the release decides.
 */
static bool has_task_storage(void)
{
        return release_at_least(5, 11) && exists("/sys/kernel/btf/vmlinux");
}

/* BPF_CMPXCHG and BPF_XCHG arrived in 5.12 (mmap'able arrays in 5.5): the release decides, as above. */
static bool has_atomics(void)
{
        return release_at_least(5, 12);
}

/* The ring buffer map type exists since 5.8: the only sure test is to create one. */
static bool has_ringbuf(void)
{
        union bpf_attr attr;
        int fd;

        memset(&attr, 0, sizeof(attr));
        attr.map_type = BPF_MAP_TYPE_RINGBUF;
        attr.max_entries = (uint32_t)sysconf(_SC_PAGESIZE);
        fd = (int)syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

int kernel_env_detect(const struct kallsyms *ksyms, struct kernel_features *f)
{
        *f = (struct kernel_features){ 0 };
        f->kprobes = exists("/sys/bus/event_source/devices/kprobe/type") || exists(TRACEFS_DIR "/kprobe_events");
        for (int i = 0; i < ROUTES; i++)
                if (has_tracepoint_pair(routes[i].name))
                        f->tp_routes |= 1u << i;
        f->tp_exec = exists(TRACEFS_DIR "/events/sched/sched_process_exec/id");
        f->tp_cgroup = exists(TRACEFS_DIR "/events/cgroup/cgroup_mkdir/id") &&
                       exists(TRACEFS_DIR "/events/cgroup/cgroup_rmdir/id");
        io_uring_tracepoints(&f->io_uring);
        f->ringbuf = has_ringbuf();
        f->task_storage = has_task_storage();
        f->atomics = has_atomics();
        f->cpus_possible = libbpf_num_possible_cpus();
        if (f->cpus_possible < 0)
                f->cpus_possible = 0;

        if (ksyms->error)
                return ksyms->error;
        f->sym_openat2 = ksyms->do_sys_openat2;
        f->sym_open = ksyms->do_sys_open;
        f->sym_routes = ksyms->routes;
        return 0;
}

int kernel_env_find_headers(const char *kernel_source, char *where, size_t where_size, char *release,
                            size_t release_size)
{
        struct utsname u;
        char path[512];
        int r;

        if (uname(&u) < 0)
                return -errno;
        snprintf(release, release_size, "%s", u.release);
        if (kernel_source)
                snprintf(where, where_size, "%s", kernel_source);
        else
                snprintf(where, where_size, "/lib/modules/%s/build", u.release);
        snprintf(path, sizeof(path), "%s/include", where);
        if (access(path, R_OK | X_OK) == 0)
                return 0;
        r = -errno;
        if (!kernel_source && exists("/sys/kernel/kheaders.tar.xz"))
                return 0;
        return r;
}

int kernel_env_plan(enum probe_mode mode, enum probe_buffer buffer, const char *kernel_source,
                    const struct kallsyms *ksyms, struct probe_plan *plan, bool *mounted_tracefs, char *why,
                    size_t why_size)
{
        char where[512], release[128];
        struct kernel_features features;
        enum preemption preemption;
        bool trampolines;
        int r;

        r = kernel_env_ensure_tracefs(mounted_tracefs);
        if (r < 0) {
                snprintf(why, why_size,
                         "tracefs is not mounted at %s and mounting it failed (%s); run 'mount -t tracefs nodev %s'",
                         TRACEFS_DIR, strerror(-r), TRACEFS_DIR);
                return r;
        }
        r = kernel_env_find_headers(kernel_source, where, sizeof(where), release, sizeof(release));
        if (r < 0) {
                snprintf(why, why_size,
                         "kernel headers for %s not usable in %s (%s): install linux-headers-%s (or set "
                         "KernelSource= in [Probe] of the configuration)",
                         release, where, strerror(-r), release);
                return r;
        }
        r = kernel_env_detect(ksyms, &features);
        if (r < 0) {
                snprintf(why, why_size, "reading /proc/kallsyms: %s", strerror(-r));
                return r;
        }
        /*
         * A trampoline's program can be preempted (preemption.h), so auto takes
         * trampolines only where the kernel does not preempt kernel code, and
         * Mode=fentry elsewhere is warned of what that costs. They are tried
         * only where they may be used: an attach and a detach cost a text patch.
         */
        trampolines = features.sym_openat2 && (mode == PROBE_MODE_FENTRY || mode == PROBE_MODE_AUTO);
        preemption = trampolines ? preemption_of_running_kernel() : PREEMPTION_VOLUNTARY;
        if (trampolines && (mode == PROBE_MODE_FENTRY || preemption == PREEMPTION_VOLUNTARY))
                features.fentry = trampolines_attach("do_sys_openat2");
        r = probe_plan_choose(mode, &features, plan);
        if (r == 0 && plan->fentry && preemption != PREEMPTION_VOLUNTARY)
                snprintf(plan->fentry_warning, sizeof(plan->fentry_warning),
                         "Mode=fentry on a kernel whose preemption is %s: a task preempted inside a trampoline's "
                         "program makes other tasks' opens on that CPU pass unseen (counted as lost)",
                         preemption_name(preemption));
        if (r == 0 && mode == PROBE_MODE_AUTO && !plan->fentry)
                probe_plan_trim(plan, plan->kprobe && kprobe_pmu_takes(plan->open_function));
        if (r == -EOPNOTSUPP && mode == PROBE_MODE_FENTRY)
                snprintf(why, why_size,
                         "Mode=fentry: this kernel does not attach BPF trampolines to do_sys_openat2 (it needs BTF "
                         "and Linux 5.6 or later); use Mode=kprobe, tracepoint or auto");
        else if (r == -EOPNOTSUPP)
                snprintf(why, why_size,
                         "Mode=kprobe: this kernel has no kprobes (CONFIG_KPROBES); use "
                         "Mode=tracepoint or auto");
        else if (r < 0)
                snprintf(why, why_size, "Mode=%s: the kernel has none of the attach points it needs (%s)",
                         probe_mode_names[mode],
                         mode == PROBE_MODE_KPROBE   ? "do_sys_openat2, do_sys_open"
                         : mode == PROBE_MODE_FENTRY ? "do_sys_openat2"
                                                     : "syscalls:sys_enter_openat/sys_exit_openat");
        if (r < 0)
                return r;
        r = probe_plan_choose_buffer(buffer, &features, plan);
        if (r < 0)
                snprintf(why, why_size,
                         "Buffer=ring: this kernel has no BPF ring buffer (Linux 5.8 or later); use Buffer=perf or "
                         "auto");
        return r;
}
