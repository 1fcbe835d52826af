/* SPDX-License-Identifier: MIT */
/*
 * What a hook on the kernel's open path costs by itself: kprobes against
 * fentry/fexit (BPF trampolines), on do_sys_openat2, where opensnoopd's
 * kprobe mode hooks. N open()+close() of one file, untraced, with an empty
 * program on the function's kprobe and kretprobe, and with one on its fentry
 * and fexit; the variants alternate over ROUNDS rounds. Prints one JSON
 * object: each variant's median ns per open with its min and max, and the
 * median of each round's ratio to the untraced loop of the same round; a
 * variant that cannot attach says why instead. The programs are empty, so
 * that what differs is the hook alone: opensnoopd's own work is the same
 * whichever hook runs it.
 *
 *   hookcost PATH N ROUNDS
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FUNCTION   "do_sys_openat2"
#define MAX_ROUNDS 32

enum variant { UNTRACED, KPROBE, FENTRY, VARIANTS };

static const char *const variant_names[] = { "untraced", "kprobe+kretprobe", "fentry+fexit" };

struct hooks {
        int fds[4]; /* programs and the perf events or links that attach them; -1 unused */
};

static const struct bpf_insn empty[] = {
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
        { .code = BPF_JMP | BPF_EXIT },
};

static void unhook(struct hooks *h)
{
        for (int i = 0; i < 4; i++)
                if (h->fds[i] >= 0)
                        close(h->fds[i]);
}

/* A number from a sysfs file such as ".../kprobe/type", or "config:0" for a format bit. */
static int read_sysfs_number(const char *path, const char *prefix)
{
        char buf[64] = "";
        FILE *f = fopen(path, "r");
        int v = -1;

        if (!f)
                return -errno;
        if (fgets(buf, sizeof(buf), f) && strncmp(buf, prefix, strlen(prefix)) == 0)
                v = atoi(buf + strlen(prefix));
        fclose(f);
        return v < 0 ? -EINVAL : v;
}

/* One kprobe (or kretprobe) on FUNCTION through the kprobe PMU, running prog. Returns the event's fd. */
static int attach_kprobe(int prog, int retprobe)
{
        int type = read_sysfs_number("/sys/bus/event_source/devices/kprobe/type", "");
        int bit = read_sysfs_number("/sys/bus/event_source/devices/kprobe/format/retprobe", "config:");
        struct perf_event_attr attr = { .size = sizeof(attr) };
        int fd;

        if (type < 0 || bit < 0)
                return type < 0 ? type : bit;
        attr.type = (uint32_t)type;
        attr.config = retprobe ? 1ull << bit : 0;
        attr.config1 = (uint64_t)(uintptr_t)FUNCTION;
        fd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) < 0 || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

static int hook_kprobe(struct hooks *h, char *why, size_t size)
{
        for (int ret = 0; ret < 2; ret++) {
                int prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "hookcost", "GPL", empty, 2, NULL), event;

                if (prog < 0) {
                        snprintf(why, size, "loading a kprobe program: %s", strerror(errno));
                        return -1;
                }
                h->fds[2 * ret] = prog;
                event = attach_kprobe(prog, ret);
                if (event < 0) {
                        snprintf(why, size, "attaching a %s on %s: %s", ret ? "kretprobe" : "kprobe", FUNCTION,
                                 strerror(-event));
                        return -1;
                }
                h->fds[2 * ret + 1] = event;
        }
        return 0;
}

static int hook_fentry(struct hooks *h, char *why, size_t size)
{
        static const enum bpf_attach_type types[] = { BPF_TRACE_FENTRY, BPF_TRACE_FEXIT };

        for (int i = 0; i < 2; i++) {
                int id = libbpf_find_vmlinux_btf_id(FUNCTION, types[i]), prog, link;
                LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = types[i]);

                if (id < 0) {
                        snprintf(why, size, "%s in the kernel's BTF: %s", FUNCTION, strerror(-id));
                        return -1;
                }
                opts.attach_btf_id = (uint32_t)id;
                prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "hookcost", "GPL", empty, 2, &opts);
                if (prog < 0) {
                        snprintf(why, size, "loading an %s program: %s", i ? "fexit" : "fentry", strerror(errno));
                        return -1;
                }
                h->fds[2 * i] = prog;
                link = bpf_raw_tracepoint_open(NULL, prog);
                if (link < 0) {
                        snprintf(why, size, "attaching %s to %s: %s", i ? "fexit" : "fentry", FUNCTION,
                                 strerror(errno));
                        return -1;
                }
                h->fds[2 * i + 1] = link;
        }
        return 0;
}

static double ns_per_open(const char *path, long n)
{
        struct timespec a, b;

        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++) {
                int fd = open(path, O_RDONLY);

                if (fd >= 0)
                        close(fd);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
}

static int by_value(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
        double s[MAX_ROUNDS];

        memcpy(s, v, (size_t)n * sizeof(*s));
        qsort(s, (size_t)n, sizeof(*s), by_value);
        return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

int main(int argc, char **argv)
{
        double ns[VARIANTS][MAX_ROUNDS], ratio[VARIANTS][MAX_ROUNDS];
        char why[VARIANTS][256] = { "" };
        long n;
        int rounds;

        if (argc != 4 || (n = strtol(argv[2], NULL, 10)) <= 0 || (rounds = atoi(argv[3])) <= 0 ||
            rounds > MAX_ROUNDS) {
                fprintf(stderr, "usage: hookcost PATH N ROUNDS (ROUNDS at most %d)\n", MAX_ROUNDS);
                return 2;
        }
        (void)ns_per_open(argv[1], n / 10 + 1); /* warm the caches and the dentry */
        for (int r = 0; r < rounds; r++) {
                for (int v = 0; v < VARIANTS; v++) {
                        struct hooks h = { { -1, -1, -1, -1 } };
                        int hooked = v == KPROBE   ? hook_kprobe(&h, why[v], sizeof(why[v]))
                                     : v == FENTRY ? hook_fentry(&h, why[v], sizeof(why[v]))
                                                   : 0;

                        ns[v][r] = hooked == 0 ? ns_per_open(argv[1], n) : 0;
                        unhook(&h);
                }
                for (int v = 0; v < VARIANTS; v++)
                        ratio[v][r] = ns[v][r] / ns[UNTRACED][r];
        }
        printf("{\"function\":\"%s\",\"opens\":%ld,\"rounds\":%d", FUNCTION, n, rounds);
        for (int v = 0; v < VARIANTS; v++) {
                if (why[v][0]) {
                        printf(",\"%s\":{\"unavailable\":\"%s\"}", variant_names[v], why[v]);
                        continue;
                }
                double lo = ns[v][0], hi = ns[v][0];

                for (int r = 1; r < rounds; r++) {
                        lo = ns[v][r] < lo ? ns[v][r] : lo;
                        hi = ns[v][r] > hi ? ns[v][r] : hi;
                }
                printf(",\"%s\":{\"ns_per_open\":%.0f,\"min\":%.0f,\"max\":%.0f,\"x_untraced\":%.3f}", variant_names[v],
                       median(ns[v], rounds), lo, hi, median(ratio[v], rounds));
        }
        printf("}\n");
        return 0;
}
