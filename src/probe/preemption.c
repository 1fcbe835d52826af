/* SPDX-License-Identifier: MIT */
#include "preemption.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "sysfs.h"

/* A model's name as debugfs and preempt= spell it. */
static enum preemption model_named(const char *name, size_t len)
{
        static const struct {
                const char *name;
                enum preemption model;
        } models[] = { { "none", PREEMPTION_VOLUNTARY },
                       { "voluntary", PREEMPTION_VOLUNTARY },
                       { "full", PREEMPTION_FULL },
                       { "lazy", PREEMPTION_FULL } };

        for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
                if (strlen(models[i].name) == len && strncmp(models[i].name, name, len) == 0)
                        return models[i].model;
        return PREEMPTION_UNKNOWN;
}

/* Whether config has the line "NAME=y". */
static bool config_set(const char *config, const char *name)
{
        size_t len = strlen(name);

        for (const char *p = config; (p = strstr(p, name)) != NULL; p += len)
                if ((p == config || p[-1] == '\n') && strncmp(p + len, "=y", 2) == 0 &&
                    (p[len + 2] == '\n' || p[len + 2] == '\0'))
                        return true;
        return false;
}

/* The last preempt= on the command line, a word of its own. */
static enum preemption cmdline_model(const char *cmdline)
{
        enum preemption model = PREEMPTION_UNKNOWN;

        for (const char *p = cmdline; (p = strstr(p, "preempt=")) != NULL; p += 8)
                if (p == cmdline || p[-1] == ' ')
                        model = model_named(p + 8, strcspn(p + 8, " \n"));
        return model;
}

enum preemption preemption_model(const char *debugfs, const char *cmdline, const char *config)
{
        const char *open = debugfs ? strchr(debugfs, '(') : NULL;
        enum preemption model;

        if (open && strchr(open, ')')) {
                model = model_named(open + 1, (size_t)(strchr(open, ')') - open - 1));
                if (model != PREEMPTION_UNKNOWN)
                        return model;
        }
        if (!config)
                return PREEMPTION_UNKNOWN;
        if (config_set(config, "CONFIG_PREEMPT_RT"))
                return PREEMPTION_FULL;
        if (config_set(config, "CONFIG_PREEMPT_DYNAMIC") && cmdline) {
                model = cmdline_model(cmdline);
                if (model != PREEMPTION_UNKNOWN)
                        return model;
        }
        if (config_set(config, "CONFIG_PREEMPT") || config_set(config, "CONFIG_PREEMPT_LAZY"))
                return PREEMPTION_FULL;
        if (config_set(config, "CONFIG_PREEMPT_VOLUNTARY") || config_set(config, "CONFIG_PREEMPT_NONE"))
                return PREEMPTION_VOLUNTARY;
        return PREEMPTION_UNKNOWN;
}

const char *preemption_name(enum preemption p)
{
        switch (p) {
        case PREEMPTION_VOLUNTARY:
                return "voluntary";
        case PREEMPTION_FULL:
                return "full";
        default:
                return "unknown";
        }
}

/* The CONFIG_PREEMPT lines of the kernel's build configuration: all the config this needs. */
static char *preempt_config(const char *release)
{
        char path[256], line[256];
        size_t len = 0;
        char *lines = calloc(1, 1024);
        FILE *f;

        if (!lines)
                return NULL;
        snprintf(path, sizeof(path), "/boot/config-%s", release);
        f = fopen(path, "re");
        if (!f) {
                free(lines);
                return NULL;
        }
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "CONFIG_PREEMPT", 14) == 0 && len + strlen(line) < 1024) {
                        memcpy(lines + len, line, strlen(line) + 1);
                        len += strlen(line);
                }
        fclose(f);
        return lines;
}

enum preemption preemption_of_running_kernel(void)
{
        char debugfs[128], cmdline[4096];
        bool has_debugfs = sysfs_read("/sys/kernel/debug/sched/preempt", debugfs, sizeof(debugfs)) >= 0;
        bool has_cmdline = sysfs_read("/proc/cmdline", cmdline, sizeof(cmdline)) >= 0;
        struct utsname u;
        char *config = uname(&u) == 0 ? preempt_config(u.release) : NULL;
        enum preemption model = preemption_model(has_debugfs ? debugfs : NULL, has_cmdline ? cmdline : NULL, config);

        free(config);
        return model;
}
