/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bpf_src/event.h"
#include "../bpf_src/filter.h"

#define CONFIG_FILE_MAX (1u << 20)

/* Where we are in the file, for error messages. */
struct parse_ctx {
        const char *filename;
        unsigned line;
        const char *key;
        struct config_errors *errs;
};

__attribute__((format(printf, 2, 3))) static void error_at(struct parse_ctx *p, const char *fmt, ...)
{
        char *text = NULL, *msg = NULL, **grown;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                text = NULL;
        va_end(ap);
        if (!text)
                return;
        if (p->line > 0)
                (void)!asprintf(&msg, "%s:%u: %s", p->filename, p->line, text);
        else
                (void)!asprintf(&msg, "%s: %s", p->filename, text);
        free(text);
        if (!msg)
                return;
        grown = realloc(p->errs->msg, (p->errs->n + 1) * sizeof(*grown));
        if (!grown) {
                free(msg);
                return;
        }
        p->errs->msg = grown;
        p->errs->msg[p->errs->n++] = msg;
}

void config_init(struct config *c)
{
        *c = (struct config){
                .mode = PROBE_MODE_AUTO,
                .perf_buffer_pages = 256,
                .wakeup_events = 32,
                .max_in_flight = 16384,
                .access = ACCESS_ANY,
                .target = OUTPUT_JOURNAL,
                .priority = 6,
                .failure_priority = 5,
                .queue_size = 32u << 20,
        };
}

static void str_list_clear(struct str_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

static void id_list_clear(struct id_list *l)
{
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

void config_done(struct config *c)
{
        if (!c)
                return;
        free(c->kernel_source);
        id_list_clear(&c->pids);
        id_list_clear(&c->uids);
        str_list_clear(&c->commands);
        str_list_clear(&c->exclude_commands);
        str_list_clear(&c->path_prefixes);
        str_list_clear(&c->exclude_path_prefixes);
        c->kernel_source = NULL;
}

void config_errors_done(struct config_errors *errs)
{
        if (!errs)
                return;
        for (size_t i = 0; i < errs->n; i++)
                free(errs->msg[i]);
        free(errs->msg);
        errs->msg = NULL;
        errs->n = 0;
}

/* ---- value parsers: each reports its own error and returns 0 or -EINVAL ---- */

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
        char *end;
        unsigned long long v;

        if (!isdigit((unsigned char)s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || *end || v > max)
                return -EINVAL;
        *out = v;
        return 0;
}

static int parse_bounded(struct parse_ctx *p, const char *value, uint64_t min, uint64_t max,
                         bool power_of_two, unsigned *out)
{
        uint64_t v;

        if (parse_uint(value, UINT32_MAX, &v) < 0 || v < min || v > max ||
            (power_of_two && (v & (v - 1)))) {
                error_at(p, "%s=%s: must be %s from %" PRIu64 " to %" PRIu64, p->key, value,
                         power_of_two ? "a power of two" : "a whole number", min, max);
                return -EINVAL;
        }
        *out = (unsigned)v;
        return 0;
}

static int parse_bool(struct parse_ctx *p, const char *value, bool *out)
{
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < 4; i++) {
                if (strcasecmp(value, yes[i]) == 0)
                        return *out = true, 0;
                if (strcasecmp(value, no[i]) == 0)
                        return *out = false, 0;
        }
        error_at(p, "%s=%s: not a boolean (use yes or no)", p->key, value);
        return -EINVAL;
}

/* One of names[]; its index in *out. */
static int parse_choice(struct parse_ctx *p, const char *value, const char *const names[], size_t n,
                        int *out)
{
        char expected[128] = "";

        for (size_t i = 0; i < n; i++) {
                if (strcmp(value, names[i]) == 0)
                        return *out = (int)i, 0;
                strncat(expected, names[i], sizeof(expected) - strlen(expected) - 1);
                strncat(expected, i + 2 < n ? ", " : i + 1 < n ? " or " : "",
                        sizeof(expected) - strlen(expected) - 1);
        }
        error_at(p, "%s=%s: must be %s", p->key, value, expected);
        return -EINVAL;
}

static int parse_priority(struct parse_ctx *p, const char *value, int *out)
{
        static const char *const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };
        uint64_t v;

        for (int i = 0; i < 8; i++)
                if (strcasecmp(value, names[i]) == 0)
                        return *out = i, 0;
        if (parse_uint(value, 7, &v) == 0)
                return *out = (int)v, 0;
        error_at(p, "%s=%s: must be a syslog priority, 0-7 or emerg…debug", p->key, value);
        return -EINVAL;
}

static int parse_size(struct parse_ctx *p, const char *value, size_t *out)
{
        char *end;
        unsigned long long v, mult = 1;

        errno = 0;
        v = isdigit((unsigned char)value[0]) ? strtoull(value, &end, 10) : 0;
        if (isdigit((unsigned char)value[0]) && !errno) {
                if (strcasecmp(end, "K") == 0)
                        mult = 1ull << 10, end++;
                else if (strcasecmp(end, "M") == 0)
                        mult = 1ull << 20, end++;
                else if (strcasecmp(end, "G") == 0)
                        mult = 1ull << 30, end++;
                if (*end == '\0' && v <= CONFIG_QUEUE_SIZE_MAX / mult && v * mult >= CONFIG_QUEUE_SIZE_MIN) {
                        *out = (size_t)(v * mult);
                        return 0;
                }
        }
        error_at(p, "%s=%s: must be a size from 64K to 1G (bytes, or with K, M or G)", p->key, value);
        return -EINVAL;
}

/*
 * Splits a list value into words at white space; "double" or 'single' quotes
 * keep spaces inside a word. Calls add() for each word. An empty value is the
 * systemd convention for "forget what earlier lines said": reset() is called.
 */
static int split_words(struct parse_ctx *p, const char *value, void *list, void (*reset)(void *),
                       int (*add)(struct parse_ctx *, void *, const char *))
{
        char word[OPEN_PATH_MAX + 1];
        int r = 0;

        if (*value == '\0') {
                reset(list);
                return 0;
        }
        for (const char *s = value; *s;) {
                size_t n = 0;
                char quote = 0;

                while (isspace((unsigned char)*s))
                        s++;
                if (!*s)
                        break;
                for (; *s && (quote || !isspace((unsigned char)*s)); s++) {
                        if (!quote && (*s == '"' || *s == '\'')) {
                                quote = *s;
                                continue;
                        }
                        if (quote && *s == quote) {
                                quote = 0;
                                continue;
                        }
                        if (n < sizeof(word) - 1)
                                word[n] = *s;
                        n++;
                }
                if (quote) {
                        error_at(p, "%s=%s: unterminated quote", p->key, value);
                        return -EINVAL;
                }
                if (n >= sizeof(word) - 1) {
                        error_at(p, "%s=: a word is longer than %d bytes", p->key, OPEN_PATH_MAX - 1);
                        r = -EINVAL;
                        continue;
                }
                word[n] = '\0';
                if (add(p, list, word) < 0)
                        r = -EINVAL;
        }
        return r;
}

static void reset_ids(void *l)
{
        id_list_clear(l);
}

static void reset_strs(void *l)
{
        str_list_clear(l);
}

static int push_id(struct parse_ctx *p, struct id_list *l, uint64_t v, size_t max)
{
        uint32_t *grown;

        for (size_t i = 0; i < l->n; i++)
                if (l->v[i] == v)
                        return 0;
        if (l->n >= max) {
                error_at(p, "%s=: more than %zu entries", p->key, max);
                return -EINVAL;
        }
        grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        l->v = grown;
        l->v[l->n++] = (uint32_t)v;
        return 0;
}

static int add_pid(struct parse_ctx *p, void *list, const char *word)
{
        uint64_t v;

        /* 4194304 is PID_MAX_LIMIT, the largest pid any kernel hands out. */
        if (parse_uint(word, 4194304, &v) < 0 || v == 0) {
                error_at(p, "%s=%s: not a process id", p->key, word);
                return -EINVAL;
        }
        return push_id(p, list, v, FILTER_MAX_PIDS);
}

static int add_uid(struct parse_ctx *p, void *list, const char *word)
{
        uint64_t v;

        if (parse_uint(word, UINT32_MAX - 1, &v) < 0) {
                error_at(p, "%s=%s: not a numeric user id", p->key, word);
                return -EINVAL;
        }
        return push_id(p, list, v, FILTER_MAX_UIDS);
}

static int push_str(struct parse_ctx *p, struct str_list *l, const char *word, size_t max)
{
        char **grown;

        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i], word) == 0)
                        return 0;
        if (l->n >= max) {
                error_at(p, "%s=: more than %zu entries", p->key, max);
                return -EINVAL;
        }
        grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        l->v = grown;
        l->v[l->n] = strdup(word);
        if (!l->v[l->n])
                return -ENOMEM;
        l->n++;
        return 0;
}

static int add_comm(struct parse_ctx *p, void *list, const char *word)
{
        if (strlen(word) > OPEN_COMM_LEN - 1) {
                error_at(p, "%s=%s: longer than %d bytes, the kernel's limit for a command name", p->key,
                         word, OPEN_COMM_LEN - 1);
                return -EINVAL;
        }
        return push_str(p, list, word, FILTER_MAX_COMMS);
}

static int add_prefix(struct parse_ctx *p, void *list, const char *word)
{
        if (strlen(word) > FILTER_PREFIX_MAX) {
                error_at(p, "%s=%.40s…: longer than %d bytes", p->key, word, FILTER_PREFIX_MAX);
                return -EINVAL;
        }
        return push_str(p, list, word, FILTER_MAX_PREFIXES);
}

/* ---- the keys ---- */

static int set_key(struct parse_ctx *p, struct config *c, const char *section, const char *value)
{
        static const char *const modes[] = { "auto", "kprobe", "tracepoint" };
        static const char *const targets[] = { "journal", "json", "text" };
        static const char *const access[] = { "any", "write" };
        const char *k = p->key;
        int v, r;

        if (strcmp(section, "Probe") == 0) {
                if (strcmp(k, "Mode") == 0) {
                        r = parse_choice(p, value, modes, 3, &v);
                        if (r == 0)
                                c->mode = (enum probe_mode)v;
                        return r;
                }
                if (strcmp(k, "PerfBufferPages") == 0)
                        return parse_bounded(p, value, 1, CONFIG_PERF_PAGES_MAX, true, &c->perf_buffer_pages);
                if (strcmp(k, "WakeupEvents") == 0)
                        return parse_bounded(p, value, 1, CONFIG_WAKEUP_EVENTS_MAX, false, &c->wakeup_events);
                if (strcmp(k, "MaxInFlight") == 0)
                        return parse_bounded(p, value, CONFIG_MAX_IN_FLIGHT_MIN, CONFIG_MAX_IN_FLIGHT_MAX,
                                             false, &c->max_in_flight);
                if (strcmp(k, "KernelSource") == 0) {
                        if (*value && *value != '/') {
                                error_at(p, "KernelSource=%s: must be an absolute path", value);
                                return -EINVAL;
                        }
                        free(c->kernel_source);
                        c->kernel_source = *value ? strdup(value) : NULL;
                        return 0;
                }
        } else if (strcmp(section, "Filter") == 0) {
                if (strcmp(k, "PIDs") == 0)
                        return split_words(p, value, &c->pids, reset_ids, add_pid);
                if (strcmp(k, "UIDs") == 0)
                        return split_words(p, value, &c->uids, reset_ids, add_uid);
                if (strcmp(k, "Commands") == 0)
                        return split_words(p, value, &c->commands, reset_strs, add_comm);
                if (strcmp(k, "ExcludeCommands") == 0)
                        return split_words(p, value, &c->exclude_commands, reset_strs, add_comm);
                if (strcmp(k, "PathPrefixes") == 0)
                        return split_words(p, value, &c->path_prefixes, reset_strs, add_prefix);
                if (strcmp(k, "ExcludePathPrefixes") == 0)
                        return split_words(p, value, &c->exclude_path_prefixes, reset_strs, add_prefix);
                if (strcmp(k, "FailedOnly") == 0)
                        return parse_bool(p, value, &c->failed_only);
                if (strcmp(k, "Access") == 0) {
                        r = parse_choice(p, value, access, 2, &v);
                        if (r == 0)
                                c->access = (enum access_filter)v;
                        return r;
                }
        } else if (strcmp(section, "Output") == 0) {
                if (strcmp(k, "Target") == 0) {
                        r = parse_choice(p, value, targets, 3, &v);
                        if (r == 0)
                                c->target = (enum output_target)v;
                        return r;
                }
                if (strcmp(k, "Priority") == 0)
                        return parse_priority(p, value, &c->priority);
                if (strcmp(k, "FailurePriority") == 0)
                        return parse_priority(p, value, &c->failure_priority);
                if (strcmp(k, "QueueSize") == 0)
                        return parse_size(p, value, &c->queue_size);
        }
        error_at(p, "unknown key '%s' in [%s]", k, section);
        return -EINVAL;
}

static bool known_section(const char *name)
{
        return strcmp(name, "Probe") == 0 || strcmp(name, "Filter") == 0 || strcmp(name, "Output") == 0;
}

static char *trim(char *s)
{
        char *end;

        while (isspace((unsigned char)*s))
                s++;
        end = s + strlen(s);
        while (end > s && isspace((unsigned char)end[-1]))
                *--end = '\0';
        return s;
}

/* A word may not be kept and dropped at once: the kernel map holds one verdict. */
static void check_conflicts(struct parse_ctx *p, const struct str_list *in, const struct str_list *out,
                            const char *in_key, const char *out_key)
{
        for (size_t i = 0; i < in->n; i++)
                for (size_t j = 0; j < out->n; j++)
                        if (strcmp(in->v[i], out->v[j]) == 0)
                                error_at(p, "'%s' is in both %s= and %s=", in->v[i], in_key, out_key);
}

int config_parse(const char *text, size_t len, const char *filename, struct config *c,
                 struct config_errors *errs)
{
        struct parse_ctx p = { .filename = filename, .errs = errs };
        size_t errors_before = errs->n;
        char section[64] = "";
        bool skip_section = false;

        for (size_t at = 0; at < len;) {
                const char *nl = memchr(text + at, '\n', len - at);
                size_t line_len = (nl ? (size_t)(nl - (text + at)) : len - at);
                char *line, *s, *eq;

                p.line++;
                p.key = NULL;
                line = strndup(text + at, line_len);
                at += line_len + 1;
                if (!line)
                        return -ENOMEM;
                if (strlen(line) != line_len) {
                        error_at(&p, "line contains a NUL byte");
                        free(line);
                        continue;
                }
                s = trim(line);
                if (*s == '\0' || *s == '#' || *s == ';') {
                        free(line);
                        continue;
                }
                if (*s == '[') {
                        char *close = strchr(s, ']');

                        if (!close || close[1] != '\0' || close == s + 1) {
                                error_at(&p, "'%s': not a [Section] line", s);
                                skip_section = true;
                        } else {
                                *close = '\0';
                                snprintf(section, sizeof(section), "%s", s + 1);
                                skip_section = !known_section(section);
                                if (skip_section)
                                        error_at(&p, "unknown section [%s]", section);
                        }
                        free(line);
                        continue;
                }
                eq = strchr(s, '=');
                if (!eq) {
                        error_at(&p, "'%s': not a Key=Value line", s);
                } else if (!skip_section) {
                        *eq = '\0';
                        p.key = trim(s);
                        if (section[0] == '\0')
                                error_at(&p, "%s= is outside any section", p.key);
                        else if (set_key(&p, c, section, trim(eq + 1)) == -ENOMEM) {
                                free(line);
                                return -ENOMEM;
                        }
                }
                free(line);
        }

        p.line = 0;
        check_conflicts(&p, &c->commands, &c->exclude_commands, "Commands", "ExcludeCommands");
        check_conflicts(&p, &c->path_prefixes, &c->exclude_path_prefixes, "PathPrefixes",
                        "ExcludePathPrefixes");
        return errs->n > errors_before ? -EINVAL : 0;
}

int config_load(const char *path, bool missing_ok, struct config *c, struct config_errors *errs)
{
        struct parse_ctx p = { .filename = path, .errs = errs };
        struct stat st;
        char *text = NULL;
        size_t len = 0;
        ssize_t n;
        int fd, r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT && missing_ok)
                        return 0;
                r = -errno;
                error_at(&p, "cannot open: %s", strerror(errno));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                error_at(&p, "cannot stat: %s", strerror(errno));
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                error_at(&p, "not a regular file");
                r = -EINVAL;
                goto out;
        }
        if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
                error_at(&p, "refusing a configuration owned by uid %u with mode %04o: it must be owned "
                             "by root and not writable by group or others (chown root; chmod go-w)",
                         (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
                r = -EPERM;
                goto out;
        }
        if (st.st_size > CONFIG_FILE_MAX) {
                error_at(&p, "larger than 1 MiB: not a configuration file");
                r = -EFBIG;
                goto out;
        }
        text = malloc((size_t)st.st_size + 1);
        if (!text) {
                r = -ENOMEM;
                goto out;
        }
        while (len < (size_t)st.st_size && (n = read(fd, text + len, (size_t)st.st_size - len)) != 0) {
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        error_at(&p, "cannot read: %s", strerror(errno));
                        goto out;
                }
                len += (size_t)n;
        }
        r = config_parse(text, len, path, c, errs);
out:
        free(text);
        close(fd);
        return r;
}

static bool ids_equal(const struct id_list *a, const struct id_list *b)
{
        return a->n == b->n && (a->n == 0 || memcmp(a->v, b->v, a->n * sizeof(*a->v)) == 0);
}

static bool strs_equal(const struct str_list *a, const struct str_list *b)
{
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->v[i], b->v[i]) != 0)
                        return false;
        return true;
}

static void note_key(char *buf, size_t size, bool differs, const char *key)
{
        size_t len = strlen(buf);

        if (differs)
                snprintf(buf + len, size - len, "%s%s=", len ? " " : "", key);
}

void config_diff(const struct config *a, const struct config *b, char *restart_only, size_t rsize,
                 char *applied, size_t asize)
{
        const char *ka = a->kernel_source ? a->kernel_source : "", *kb = b->kernel_source ? b->kernel_source : "";

        restart_only[0] = applied[0] = '\0';
        note_key(restart_only, rsize, a->mode != b->mode, "Mode");
        note_key(restart_only, rsize, a->perf_buffer_pages != b->perf_buffer_pages, "PerfBufferPages");
        note_key(restart_only, rsize, a->wakeup_events != b->wakeup_events, "WakeupEvents");
        note_key(restart_only, rsize, a->max_in_flight != b->max_in_flight, "MaxInFlight");
        note_key(restart_only, rsize, strcmp(ka, kb) != 0, "KernelSource");
        note_key(restart_only, rsize, a->target != b->target, "Target");
        note_key(restart_only, rsize, a->queue_size != b->queue_size, "QueueSize");
        note_key(applied, asize, !ids_equal(&a->pids, &b->pids), "PIDs");
        note_key(applied, asize, !ids_equal(&a->uids, &b->uids), "UIDs");
        note_key(applied, asize, !strs_equal(&a->commands, &b->commands), "Commands");
        note_key(applied, asize, !strs_equal(&a->exclude_commands, &b->exclude_commands), "ExcludeCommands");
        note_key(applied, asize, !strs_equal(&a->path_prefixes, &b->path_prefixes), "PathPrefixes");
        note_key(applied, asize, !strs_equal(&a->exclude_path_prefixes, &b->exclude_path_prefixes),
                 "ExcludePathPrefixes");
        note_key(applied, asize, a->failed_only != b->failed_only, "FailedOnly");
        note_key(applied, asize, a->access != b->access, "Access");
        note_key(applied, asize, a->priority != b->priority, "Priority");
        note_key(applied, asize, a->failure_priority != b->failure_priority, "FailurePriority");
}

static void print_ids(FILE *f, const char *key, const struct id_list *l)
{
        fprintf(f, "%s=", key);
        for (size_t i = 0; i < l->n; i++)
                fprintf(f, "%s%" PRIu32, i ? " " : "", l->v[i]);
        fputc('\n', f);
}

static void print_strs(FILE *f, const char *key, const struct str_list *l)
{
        fprintf(f, "%s=", key);
        for (size_t i = 0; i < l->n; i++) {
                bool quote = strpbrk(l->v[i], " \t") != NULL;

                fprintf(f, "%s%s%s%s", i ? " " : "", quote ? "\"" : "", l->v[i], quote ? "\"" : "");
        }
        fputc('\n', f);
}

void config_print(const struct config *c, FILE *f)
{
        fprintf(f, "[Probe]\nMode=%s\nPerfBufferPages=%u\nWakeupEvents=%u\nMaxInFlight=%u\nKernelSource=%s\n\n",
                probe_mode_name(c->mode), c->perf_buffer_pages, c->wakeup_events, c->max_in_flight,
                c->kernel_source ? c->kernel_source : "");
        fprintf(f, "[Filter]\n");
        print_ids(f, "PIDs", &c->pids);
        print_ids(f, "UIDs", &c->uids);
        print_strs(f, "Commands", &c->commands);
        print_strs(f, "ExcludeCommands", &c->exclude_commands);
        print_strs(f, "PathPrefixes", &c->path_prefixes);
        print_strs(f, "ExcludePathPrefixes", &c->exclude_path_prefixes);
        fprintf(f, "FailedOnly=%s\nAccess=%s\n\n", c->failed_only ? "yes" : "no",
                c->access == ACCESS_WRITE ? "write" : "any");
        fprintf(f, "[Output]\nTarget=%s\nPriority=%d\nFailurePriority=%d\nQueueSize=%zu\n",
                output_target_name(c->target), c->priority, c->failure_priority, c->queue_size);
}

const char *probe_mode_name(enum probe_mode m)
{
        return m == PROBE_MODE_KPROBE ? "kprobe" : m == PROBE_MODE_TRACEPOINT ? "tracepoint" : "auto";
}

const char *output_target_name(enum output_target t)
{
        return t == OUTPUT_JSON ? "json" : t == OUTPUT_TEXT ? "text" : "journal";
}

int output_target_from_string(const char *s, enum output_target *t)
{
        if (strcmp(s, "journal") == 0)
                *t = OUTPUT_JOURNAL;
        else if (strcmp(s, "json") == 0)
                *t = OUTPUT_JSON;
        else if (strcmp(s, "text") == 0)
                *t = OUTPUT_TEXT;
        else
                return -EINVAL;
        return 0;
}
