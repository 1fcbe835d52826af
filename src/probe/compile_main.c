/* SPDX-License-Identifier: MIT */
/*
 * opensnoopd-compile: the short-lived half of opensnoopd. libbcc compiles
 * the embedded BPF program with the -D flags on the command line, creates its
 * maps and loads the functions named there; every map and program fd then
 * goes back to the daemon over fd 3 (see handoff.h), and the process exits.
 *
 * Why a separate executable and not fork() + dlopen("libbcc.so.0"): linking
 * libbcc at all maps LLVM and Clang (about 80 MB) into a process at exec,
 * before anything compiles, and nothing unmaps them again. An executable of
 * its own keeps the daemon free of libbcc at link time, needs no function
 * pointer table for bcc's API, and starts from a clean address space instead
 * of a fork of a process that may have threads.
 *
 *   opensnoopd-compile [-DNAME[=VALUE]]... [TYPE:FUNCTION]...
 *
 * TYPE is kprobe, tracepoint, raw_tracepoint, fentry or fexit; the last two
 * are BPF trampolines, whose kernel function libbcc reads from the program's
 * name (kfunc__NAME, kretfunc__NAME) in the kernel's BTF. The daemon always
 * asks for, and is told back, that spelling; newer libbcc (0.31, Debian 13)
 * names KFUNC_PROBE(NAME)'s program kfunc__vmlinux__NAME, and that is the
 * function loaded there.
 *
 * clang's messages go to stderr, which is the daemon's. Exit status 0 when
 * everything was sent, 1 otherwise (the reason was sent too, if it could be).
 */
#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "bpf_program.h"
#include "handoff.h"

#define SOCK 3

__attribute__((format(printf, 3, 4))) static void fail(int error, struct handoff_msg *m, const char *fmt, ...)
{
        va_list ap;

        *m = (struct handoff_msg){ .kind = HANDOFF_FAILED, .error = error };
        va_start(ap, fmt);
        vsnprintf(m->text, sizeof(m->text), fmt, ap);
        va_end(ap);
        (void)handoff_send(SOCK, m, -1);
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The function libbcc compiled for a trampoline program the daemon names
 * kfunc__NAME or kretfunc__NAME: under that name (libbcc 0.26, Debian 12),
 * or module-qualified as kfunc__vmlinux__NAME (libbcc 0.31, Debian 13, whose
 * loader reads the module's BTF from the name: vmlinux's here).
 */
static const char *trampoline_function(void *module, const char *func, char *buf, size_t size)
{
        const char *name = strstr(func, "__");

        if (bpf_function_start(module, func) || !name)
                return func;
        name += 2;
        snprintf(buf, size, "%.*svmlinux__%s", (int)(name - func), func, name);
        return buf;
}

/* Loads one function, reported as name; on failure m says why, in the verifier's last line. */
static int load(void *module, int type, const char *func, const char *name, struct handoff_msg *m)
{
        char log[4096] = "";
        void *start = bpf_function_start(module, func);
        uint64_t t0 = now_ns();
        char *last;
        int fd;

        *m = (struct handoff_msg){ .kind = HANDOFF_PROG };
        snprintf(m->name, sizeof(m->name), "%s", name);
        if (!start) {
                m->kind = HANDOFF_PROG_FAILED;
                m->error = -ENOENT;
                snprintf(m->text, sizeof(m->text), "finding BPF function %s", func);
                return -ENOENT;
        }
        fd = bcc_func_load(module, type, func, start, (int)bpf_function_size(module, func), bpf_module_license(module),
                           bpf_module_kern_version(module), 0, log, sizeof(log), NULL, -1);
        m->load_ns = now_ns() - t0;
        if (fd >= 0)
                return fd;
        m->kind = HANDOFF_PROG_FAILED;
        m->error = fd < -1 ? fd : -errno;
        if (m->error >= 0)
                m->error = -EINVAL;
        last = strrchr(log, '\n');
        while (last && last > log && last[1] == '\0') {
                *last = '\0';
                last = strrchr(log, '\n');
        }
        snprintf(m->text, sizeof(m->text), "loading %s%s%.200s", name, log[0] ? ": " : "", last ? last + 1 : log);
        return m->error;
}

int main(int argc, char **argv)
{
        const char **cflags = calloc((size_t)argc, sizeof(*cflags));
        struct handoff_msg m;
        void *module;
        int ncflags = 0;

        /* Nobody to hand anything to once the daemon is gone. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
                return 1;
        if (!cflags) {
                fail(-ENOMEM, &m, "allocating the compiler's arguments");
                return 1;
        }
        for (int i = 1; i < argc; i++)
                if (strncmp(argv[i], "-D", 2) == 0)
                        cflags[ncflags++] = argv[i];

        module = bpf_module_create_c_from_string(bpf_program_text, 0, cflags, ncflags, true, NULL);
        if (!module) {
                fail(-EINVAL, &m, "compiling the BPF program failed (clang's messages are above)");
                return 1;
        }
        for (size_t i = 0; i < bpf_num_tables(module); i++) {
                m = (struct handoff_msg){ .kind = HANDOFF_MAP };
                snprintf(m.name, sizeof(m.name), "%s", bpf_table_name(module, i));
                if (handoff_send(SOCK, &m, bpf_table_fd_id(module, i)) < 0)
                        return 1;
        }
        for (int i = 1; i < argc; i++) {
                char qualified[128];
                const char *func, *name;
                int type, fd;

                if (strncmp(argv[i], "kprobe:", 7) == 0) {
                        type = BPF_PROG_TYPE_KPROBE;
                        func = argv[i] + 7;
                } else if (strncmp(argv[i], "tracepoint:", 11) == 0) {
                        type = BPF_PROG_TYPE_TRACEPOINT;
                        func = argv[i] + 11;
                } else if (strncmp(argv[i], "raw_tracepoint:", 15) == 0) {
                        type = BPF_PROG_TYPE_RAW_TRACEPOINT;
                        func = argv[i] + 15;
                } else if (strncmp(argv[i], "fentry:", 7) == 0 || strncmp(argv[i], "fexit:", 6) == 0) {
                        type = BPF_PROG_TYPE_TRACING;
                        func = strchr(argv[i], ':') + 1;
                } else {
                        continue;
                }
                name = func;
                if (type == BPF_PROG_TYPE_TRACING)
                        func = trampoline_function(module, func, qualified, sizeof(qualified));
                /* A program that does not load is reported, not fatal: the daemon may fall back. */
                fd = load(module, type, func, name, &m);
                if (handoff_send(SOCK, &m, fd) < 0)
                        return 1;
                if (fd >= 0)
                        close(fd);
        }
        m = (struct handoff_msg){ .kind = HANDOFF_DONE };
        if (handoff_send(SOCK, &m, -1) < 0)
                return 1;
        /* The daemon waits for this exit: skip bpf_module_destroy() and LLVM's exit-time
         * destructors, which only spend time; the kernel frees it all. */
        _exit(0);
}
