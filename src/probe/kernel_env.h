/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_KERNEL_ENV_H
#define OPENSNOOPD_KERNEL_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "kallsyms.h"
#include "probe_plan.h"

struct perf_event_attr;

#define TRACEFS_DIR "/sys/kernel/tracing"

/*
 * libbcc needs tracefs to compile TRACEPOINT_PROBE and to attach. systemd
 * mounts it; elsewhere we mount it ourselves, as perf does. Returns 0 (and
 * *mounted tells whether we did), or -errno if it is missing and cannot be
 * mounted.
 */
int kernel_env_ensure_tracefs(bool *mounted);

/* Reads tracefs, takes ksyms' symbols, and creates (and closes) a one-page ring buffer map. */
int kernel_env_detect(const struct kallsyms *ksyms, struct kernel_features *f);

/*
 * The perf_event_attr of a kprobe (or kretprobe) on symbol through the
 * kernel's kprobe PMU (4.17+), which names the symbol itself: closing the
 * event removes the probe. symbol must outlive the attr's use. Returns 0, or
 * -errno when the PMU or its retprobe format is missing or unreadable.
 */
int kernel_env_kprobe_attr(const char *symbol, bool retprobe, struct perf_event_attr *attr);

/*
 * Finds kernel headers where libbcc looks for them: kernel_source if set,
 * else /lib/modules/$(uname -r)/build, else the kernel's built-in
 * /sys/kernel/kheaders.tar.xz. Returns 0, or -errno of the last place it
 * looked (in where[]), with the running release in release[].
 */
int kernel_env_find_headers(const char *kernel_source, char *where, size_t where_size, char *release,
                            size_t release_size);

/*
 * Everything that must hold before the (slow) compile: tracefs mounted
 * (*mounted_tracefs says whether we did it), kernel headers present (that
 * KernelSource= is only root's to change, config_load() checked), attach
 * points for the mode (ksyms: kallsyms_read()'s), and the buffer (Buffer=)
 * the kernel can give (Mode=fentry: whether its trampolines attach, tried).
 * Returns 0 with the plan, or -errno with one actionable line in why[].
 */
int kernel_env_plan(enum probe_mode mode, enum probe_buffer buffer, const char *kernel_source,
                    const struct kallsyms *ksyms, struct probe_plan *plan, bool *mounted_tracefs, char *why,
                    size_t why_size);

#endif
