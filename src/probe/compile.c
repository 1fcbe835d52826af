/* SPDX-License-Identifier: MIT */
/* The probe is made here: the compiler helper runs, and hands back every map and program. */
#include <bpf/libbpf.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "probe-internal.h"

#include "bpf_program.h"
#include "compile_args.h"
#include "cpulist.h"
#include "handoff.h"

#define COMPILER_NAME "opensnoopd-compile"

extern char **environ;

/* The -D values: probe_cflags()'s, then the kernel layout's. */
static int build_cflags(const struct probe_params *params, char **out)
{
        int n = probe_cflags(params, out, MAX_CFLAGS - 1);

        if (n >= 0 && params->layout) {
                int m = kernel_layout_cflags(params->layout, params->abs_paths, out + n, MAX_CFLAGS - 1 - n);

                if (m < 0)
                        return m;
                n += m;
        }
        return n;
}

/* Frees what build_cflags() allocated, whether it succeeded or not. */
static void probe_free_cflags(char **flags)
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
        probe_free_cflags(flags);
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

/* The helper's arguments: the -D flags, then each program to load, "type:function". */
static int compiler_argv(struct probe *p, const char *path, char **argv, char progs[][64])
{
        int n = 0, np = probe_programs(&p->plan, progs, MAX_PROGS);

        argv[n++] = (char *)path;
        for (int i = 0; i < n_cflags(p); i++)
                argv[n++] = p->cflags[i];
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
        p->ring_pos_fd = -1;
        p->plan = probe_compiled_plan(params);
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

/* The probe is made here, by probe_compile(), and unmade here. */
struct probe *probe_free(struct probe *p)
{
        if (!p)
                return NULL;
        probe_detach(p);
        ring_buffer__free(p->ring);
        perf_buffer__free(p->perf);
        probe_unmap_repeats(p);
        close_programs(p);
        for (int i = 0; i < p->nmaps; i++)
                if (p->maps[i].fd >= 0)
                        close(p->maps[i].fd);
        probe_free_cflags(p->cflags);
        free(p->percpu_values);
        free(p);
        return NULL;
}
