/* SPDX-License-Identifier: MIT */
#include "journald_limits.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ini.h"
#include "sysfs.h"
#include "timespan.h"

#define DEFAULT_INTERVAL_USEC 30000000ull /* journald's own defaults */
#define DEFAULT_BURST         10000

static bool ends_with(const char *s, size_t len, const char *suffix)
{
        size_t n = strlen(suffix);

        return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* A unit name as journald accepts one from a cgroup: NAME.TYPE, NAME of unit-name characters. */
static bool is_unit_name(const char *s, size_t len)
{
        static const char *const types[] = { ".service", ".scope", ".socket", ".mount",  ".swap",
                                             ".timer",   ".path",  ".target", ".device", ".automount" };
        const char *dot = NULL;

        for (size_t i = 0; i < len; i++) {
                if (!isalnum((unsigned char)s[i]) && !strchr(":-_.\\@", s[i]))
                        return false;
                if (s[i] == '.')
                        dot = s + i;
        }
        if (!dot || dot == s)
                return false;
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                if (ends_with(s, len, types[i]))
                        return true;
        return false;
}

void journald_unit_of_cgroup(const char *path, char *unit, size_t size)
{
        unit[0] = '\0';
        for (const char *p = path; *p;) {
                size_t n;

                while (*p == '/')
                        p++;
                n = strcspn(p, "/");
                if (n == 0)
                        return;
                if (!ends_with(p, n, ".slice")) {
                        if (is_unit_name(p, n) && n < size) {
                                memcpy(unit, p, n);
                                unit[n] = '\0';
                        }
                        return;
                }
                p += n;
        }
}

void journald_cgroup_of(const char *proc_cgroup, char *path, size_t size)
{
        static const char named_key[] = ":name=systemd:";
        char unified[512] = "", named[512] = "";

        /* the unified hierarchy ("0::") where processes are placed there; else the name=systemd one */
        for (const char *line = proc_cgroup; line && *line;) {
                const char *end = strchr(line, '\n');
                int len = (int)(end ? (size_t)(end - line) : strlen(line));
                const char *named_at = strstr(line, named_key);

                if (len > 3 && strncmp(line, "0::", 3) == 0)
                        snprintf(unified, sizeof(unified), "%.*s", len - 3, line + 3);
                else if (named_at && named_at < line + len)
                        snprintf(named, sizeof(named), "%.*s", (int)(line + len - named_at) - (int)strlen(named_key),
                                 named_at + strlen(named_key));
                line = end ? end + 1 : NULL;
        }
        snprintf(path, size, "%s", unified[0] && strcmp(unified, "/") != 0 ? unified : named[0] ? named : unified);
}

long journald_suppressed_count(const char *message, size_t len, const char *unit)
{
        static const char prefix[] = "Suppressed ", middle[] = " messages from ";
        size_t i = sizeof(prefix) - 1, unit_len = strlen(unit);
        long n = 0;

        if (len < i || memcmp(message, prefix, i) != 0 || i >= len || !isdigit((unsigned char)message[i]))
                return -1;
        for (; i < len && isdigit((unsigned char)message[i]); i++) {
                if (n > (LONG_MAX - 9) / 10)
                        return -1;
                n = n * 10 + (message[i] - '0');
        }
        if (len - i != sizeof(middle) - 1 + unit_len || memcmp(message + i, middle, sizeof(middle) - 1) != 0 ||
            memcmp(message + i + sizeof(middle) - 1, unit, unit_len) != 0)
                return -1;
        return n;
}

/* What one journald.conf sets of the two keys we read; ini.c lexes it, as it does ours. */
struct journald_conf {
        uint64_t *interval, *burst;
        bool any;
};

static bool conf_section(void *userdata, const char *name, unsigned line)
{
        (void)userdata;
        (void)line;
        return strcmp(name, "Journal") == 0;
}

static int conf_assignment(void *userdata, const char *section, const char *key, const char *value, unsigned line)
{
        struct journald_conf *j = userdata;
        uint64_t v;

        (void)section;
        (void)line;
        if (strcmp(key, "RateLimitIntervalSec") == 0 || strcmp(key, "RateLimitInterval") == 0) {
                if (timespan_parse(value, &v) == 0)
                        *j->interval = v, j->any = true;
        } else if (strcmp(key, "RateLimitBurst") == 0) {
                char *num_end;

                errno = 0;
                v = strtoull(value, &num_end, 10);
                if (!errno && num_end != value && !*num_end)
                        *j->burst = v, j->any = true;
        }
        return 0;
}

/* journald's file to complain about, not ours: a line it cannot read sets nothing */
static void conf_syntax_error(void *userdata, unsigned line, const char *text)
{
        (void)userdata;
        (void)line;
        (void)text;
}

/* Reads [Journal] RateLimitIntervalSec= (or RateLimitInterval=) and RateLimitBurst= from one file. */
static bool read_journald_conf(const char *path, uint64_t *interval, uint64_t *burst)
{
        static const struct ini_handler handler = { conf_section, conf_assignment, conf_syntax_error };
        struct journald_conf j = { .interval = interval, .burst = burst };
        char *text = NULL;
        size_t size = 0, len;
        FILE *f = fopen(path, "re");

        if (!f)
                return false;
        len = getdelim(&text, &size, '\0', f) > 0 ? strlen(text) : 0; /* the whole file: it holds no NUL */
        fclose(f);
        if (len > 0)
                (void)ini_parse(text, len, &handler, &j);
        free(text);
        return j.any;
}

/* journald.conf, then its drop-ins by file name (a name in /etc hides the same name in /run and /usr/lib). */
static void read_journald_config(const char *root, const char *name, struct journald_limits *l)
{
        static const char *const dirs[] = { "/etc/systemd", "/run/systemd", "/usr/lib/systemd" };
        char path[PATH_MAX], *names[256];
        size_t n = 0;

        snprintf(path, sizeof(path), "%s/etc/systemd/%s", root, name);
        if (read_journald_conf(path, &l->interval_usec, &l->burst))
                snprintf(l->source, sizeof(l->source), "/etc/systemd/%.200s", name);
        for (size_t d = 0; d < 3; d++) {
                DIR *dir;
                struct dirent *de;

                snprintf(path, sizeof(path), "%s%s/%s.d", root, dirs[d], name);
                dir = opendir(path);
                if (!dir)
                        continue;
                while ((de = readdir(dir)) && n < 256) {
                        size_t len = strlen(de->d_name);
                        bool seen = false;

                        if (!ends_with(de->d_name, len, ".conf"))
                                continue;
                        for (size_t i = 0; i < n; i++)
                                seen |= strcmp(strrchr(names[i], '/') + 1, de->d_name) == 0;
                        if (seen)
                                continue;
                        if (asprintf(&names[n], "%s/%s.d/%s", dirs[d], name, de->d_name) >= 0)
                                n++;
                }
                closedir(dir);
        }
        /* by file name, whatever the directory */
        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                        if (strcmp(strrchr(names[j], '/'), strrchr(names[i], '/')) < 0) {
                                char *t = names[i];

                                names[i] = names[j];
                                names[j] = t;
                        }
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s%s", root, names[i]);
                if (read_journald_conf(path, &l->interval_usec, &l->burst))
                        snprintf(l->source, sizeof(l->source), "%s", names[i]);
                free(names[i]);
        }
}

/* The unit's LogRateLimit*=, as systemd passes them to journald: a symlink whose target is the value. */
static bool read_unit_setting(const char *root, const char *what, const char *unit, char *value, size_t size)
{
        char path[PATH_MAX];
        ssize_t n;

        snprintf(path, sizeof(path), "%s/run/systemd/units/%s:%s", root, what, unit);
        n = readlink(path, value, size - 1);
        if (n < 0)
                return false;
        value[n] = '\0';
        return true;
}

int journald_limits_detect(const char *root, const char *namespace, struct journald_limits *l)
{
        char path[PATH_MAX], text[4096], conf[300], value[64];
        uint64_t v;

        *l = (struct journald_limits){ .interval_usec = DEFAULT_INTERVAL_USEC, .burst = DEFAULT_BURST };
        snprintf(l->source, sizeof(l->source), "journald's defaults");
        snprintf(path, sizeof(path), "%s/proc/self/cgroup", root);
        (void)sysfs_read(path, text, sizeof(text)); /* none: no cgroup, no unit, never rate-limited */
        journald_cgroup_of(text, l->cgroup, sizeof(l->cgroup));
        journald_unit_of_cgroup(l->cgroup, l->unit, sizeof(l->unit));

        if (namespace && *namespace)
                snprintf(conf, sizeof(conf), "journald@%s.conf", namespace);
        else
                snprintf(conf, sizeof(conf), "journald.conf");
        read_journald_config(root, conf, l);
        if (!l->unit[0])
                return 0;
        if (read_unit_setting(root, "log-rate-limit-interval", l->unit, value, sizeof(value)) &&
            timespan_parse(value, &v) == 0) {
                l->interval_usec = v;
                snprintf(l->source, sizeof(l->source), "%s's LogRateLimitIntervalSec=", l->unit);
        }
        if (read_unit_setting(root, "log-rate-limit-burst", l->unit, value, sizeof(value)) &&
            sscanf(value, "%" SCNu64, &v) == 1) {
                l->burst = v;
                snprintf(l->source, sizeof(l->source), "%s's LogRateLimitBurst=", l->unit);
        }
        return 0;
}

void journald_limits_describe(const struct journald_limits *l, char *buf, size_t size)
{
        if (!l->unit[0])
                snprintf(buf, size, "journald does not rate-limit this process: its cgroup (%s) names no unit",
                         l->cgroup);
        else if (!journald_limits_apply(l))
                snprintf(buf, size, "journald does not rate-limit %s (rate limit off in %s)", l->unit, l->source);
        else
                snprintf(buf, size,
                         "journald rate-limits %s: %" PRIu64 " entries per %" PRIu64
                         " ms per priority, raised with free disk space (from %s); entries it drops are counted "
                         "as suppressed",
                         l->unit, l->burst, l->interval_usec / 1000, l->source);
}
