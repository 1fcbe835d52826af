/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_COMPILE_ARGS_H
#define OPENSNOOPD_COMPILE_ARGS_H

/*
 * What the compiler helper is given for a plan: the -D flags and the
 * programs to load. Pure (no kernel, no libbpf), so that they are unit-tested;
 * compile.c adds the kernel layout's flags and runs the helper.
 */
#include "probe.h"

/* The most flags probe_cflags() writes, and the most programs probe_programs() does. */
#define PROBE_CFLAGS_MAX   (30 + 3 * ROUTES)
#define PROBE_PROGRAMS_MAX (14 + 4 * ROUTES)

/*
 * The plan as it is compiled: io_uring's opens only with the request's
 * offsets from the kernel's BTF (params->layout), exec's interpreters only
 * where the layout found them.
 */
struct probe_plan probe_compiled_plan(const struct probe_params *params);

/*
 * The -D values but the kernel layout's: which probes exist on this kernel
 * (params->plan, as kernel_env_plan() chose it), and sizes from the
 * configuration. Each out[] is allocated. Returns how many, -ENOBUFS if max
 * is below PROBE_CFLAGS_MAX, or -ENOMEM (what was allocated is in out[]).
 */
int probe_cflags(const struct probe_params *params, char **out, int max);

/*
 * The programs to load for plan (probe_compiled_plan()'s), as the helper
 * takes them, "type:function", return programs before their entries'
 * attach; each once. Returns how many, or -ENOBUFS if max is below
 * PROBE_PROGRAMS_MAX.
 */
int probe_programs(const struct probe_plan *plan, char progs[][64], int max);

#endif
