/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ini.h"
#include "opensnoop.h"
#include "trusted_file.h"

#define CONFIG_FILE_MAX (1u << 20)

struct config_key;

/* Where we are in the file, for error messages. */
struct parse_ctx {
        const char *filename;
        unsigned line;
        const char *key;
        struct config_errors *errs;
};

/* What a kind of value is: how it is parsed, compared, printed and freed. */
struct value_type {
        int (*parse)(struct parse_ctx *p, const struct config_key *k, const char *value, void *field);
        bool (*equal)(const void *a, const void *b);
        void (*print)(FILE *f, const void *field, const struct config_key *k);
        void (*clear)(void *field); /* NULL: nothing to free */
};

/* One row per key: the table parse, diff and print walk (systemd's gperf tables are the model). */
struct config_key {
        const char *section;
        const char *name;
        const struct value_type *type;
        size_t offset;
        size_t size;
        bool restart_only; /* a reload keeps the running value */
        uint64_t min, max; /* numbers: bounds; lists: entries; words: bytes in max_len */
        size_t max_len;    /* lists of words: bytes per word */
        bool power_of_two;
        const char *const *choices; /* NULL-terminated, in the order of the enum */
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

/* ---- numbers ---- */

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

static int parse_unsigned(struct parse_ctx *p, const struct config_key *k, const char *value, void *field)
{
        uint64_t v;

        if (parse_uint(value, UINT32_MAX, &v) < 0 || v < k->min || v > k->max || (k->power_of_two && (v & (v - 1)))) {
                error_at(p, "%s=%s: must be %s from %" PRIu64 " to %" PRIu64, k->name, value,
                         k->power_of_two ? "a power of two" : "a whole number", k->min, k->max);
                return -EINVAL;
        }
        *(unsigned *)field = (unsigned)v;
        return 0;
}

static bool unsigned_equal(const void *a, const void *b)
{
        return *(const unsigned *)a == *(const unsigned *)b;
}

static void print_unsigned(FILE *f, const void *field, const struct config_key *k)
{
        (void)k;
        fprintf(f, "%u", *(const unsigned *)field);
}

static const struct value_type type_unsigned = { parse_unsigned, unsigned_equal, print_unsigned, NULL };

/* "64K", "1G": a bound as the error message shows it. */
static const char *size_text(uint64_t v, char buf[static 32])
{
        static const char units[] = "KMG";

        for (int i = 2; i >= 0; i--) {
                uint64_t unit = 1ull << (10 * (i + 1));

                if (v >= unit && v % unit == 0) {
                        snprintf(buf, 32, "%" PRIu64 "%c", v / unit, units[i]);
                        return buf;
                }
        }
        snprintf(buf, 32, "%" PRIu64, v);
        return buf;
}

static int parse_size(struct parse_ctx *p, const struct config_key *k, const char *value, void *field)
{
        char *end, lo[32], hi[32];
        unsigned long long v, mult = 1;

        errno = 0;
        if (isdigit((unsigned char)value[0])) {
                v = strtoull(value, &end, 10);
                if (strcasecmp(end, "K") == 0)
                        mult = 1ull << 10, end++;
                else if (strcasecmp(end, "M") == 0)
                        mult = 1ull << 20, end++;
                else if (strcasecmp(end, "G") == 0)
                        mult = 1ull << 30, end++;
                if (!errno && *end == '\0' && v <= k->max / mult && v * mult >= k->min &&
                    !(k->power_of_two && ((v * mult) & (v * mult - 1)))) {
                        *(size_t *)field = (size_t)(v * mult);
                        return 0;
                }
        }
        error_at(p, "%s=%s: must be %s from %s to %s (bytes, or with K, M or G)", k->name, value,
                 k->power_of_two ? "a power-of-two size" : "a size", size_text(k->min, lo), size_text(k->max, hi));
        return -EINVAL;
}

static bool size_equal(const void *a, const void *b)
{
        return *(const size_t *)a == *(const size_t *)b;
}

static void print_size(FILE *f, const void *field, const struct config_key *k)
{
        (void)k;
        fprintf(f, "%zu", *(const size_t *)field);
}

static const struct value_type type_size = { parse_size, size_equal, print_size, NULL };

/* ---- booleans, choices, priorities ---- */

static int parse_bool(struct parse_ctx *p, const struct config_key *k, const char *value, void *field)
{
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < 4; i++) {
                if (strcasecmp(value, yes[i]) == 0)
                        return *(bool *)field = true, 0;
                if (strcasecmp(value, no[i]) == 0)
                        return *(bool *)field = false, 0;
        }
        error_at(p, "%s=%s: not a boolean (use yes or no)", k->name, value);
        return -EINVAL;
}

static bool bool_equal(const void *a, const void *b)
{
        return *(const bool *)a == *(const bool *)b;
}

static void print_bool(FILE *f, const void *field, const struct config_key *k)
{
        (void)k;
        fputs(*(const bool *)field ? "yes" : "no", f);
}

static const struct value_type type_bool = { parse_bool, bool_equal, print_bool, NULL };

/* An enum whose names are k->choices; stored as an int. */
static int parse_choice(struct parse_ctx *p, const struct config_key *k, const char *value, void *field)
{
        char expected[128] = "";
        size_t n = 0;

        while (k->choices[n])
                n++;
        for (size_t i = 0; i < n; i++) {
                if (strcmp(value, k->choices[i]) == 0)
                        return *(int *)field = (int)i, 0;
                strncat(expected, k->choices[i], sizeof(expected) - strlen(expected) - 1);
                strncat(expected, i + 2 < n ? ", " : i + 1 < n ? " or " : "", sizeof(expected) - strlen(expected) - 1);
        }
        error_at(p, "%s=%s: must be %s", k->name, value, expected);
        return -EINVAL;
}

static bool int_equal(const void *a, const void *b)
{
        return *(const int *)a == *(const int *)b;
}

static void print_choice(FILE *f, const void *field, const struct config_key *k)
{
        fputs(k->choices[*(const int *)field], f);
}

static const struct value_type type_choice = { parse_choice, int_equal, print_choice, NULL };

static const char *const priority_names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };

static int parse_priority(struct parse_ctx *p, const struct config_key *k, const char *value, void *field)
{
        uint64_t v;

        for (int i = 0; i < 8; i++)
                if (strcasecmp(value, priority_names[i]) == 0)
                        return *(int *)field = i, 0;
        if (parse_uint(value, 7, &v) == 0)
                return *(int *)field = (int)v, 0;
        error_at(p, "%s=%s: must be a syslog priority, 0-7 or emerg…debug", k->name, value);
        return -EINVAL;
}

static void print_priority(FILE *f, const void *field, const struct config_key *k)
{
        (void)k;
        fputs(priority_names[*(const int *)field], f);
}

static const struct value_type type_priority = { parse_priority, int_equal, print_priority, NULL };

/* ---- an absolute path, or empty for "none" ---- */

static int parse_path(struct parse_ctx *p, const struct config_key *k, const char *value, void *field)
{
        char **s = field;

        if (*value && *value != '/') {
                error_at(p, "%s=%s: must be an absolute path", k->name, value);
                return -EINVAL;
        }
        free(*s);
        *s = NULL;
        if (*value && !(*s = strdup(value)))
                return -ENOMEM;
        return 0;
}

static bool path_equal(const void *a, const void *b)
{
        const char *sa = *(char *const *)a, *sb = *(char *const *)b;

        return strcmp(sa ? sa : "", sb ? sb : "") == 0;
}

static void print_path(FILE *f, const void *field, const struct config_key *k)
{
        const char *s = *(char *const *)field;

        (void)k;
        fputs(s ? s : "", f);
}

static void clear_path(void *field)
{
        char **s = field;

        free(*s);
        *s = NULL;
}

static const struct value_type type_path = { parse_path, path_equal, print_path, clear_path };

/* ---- lists ---- */

/*
 * Splits a list value into words at white space; "double" or 'single' quotes
 * keep spaces inside a word. Calls add() for each word. An empty value is the
 * systemd convention for "forget what earlier lines said": the list is cleared.
 */
static int split_words(struct parse_ctx *p, const struct config_key *k, const char *value, void *list,
                       void (*clear)(void *),
                       int (*add)(struct parse_ctx *, const struct config_key *, void *, const char *))
{
        char word[OPEN_PATH_MAX + 1];
        int r = 0, added;

        if (*value == '\0') {
                clear(list);
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
                        error_at(p, "%s=%s: unterminated quote", k->name, value);
                        return -EINVAL;
                }
                if (n >= sizeof(word) - 1) {
                        error_at(p, "%s=: a word is longer than %d bytes", k->name, OPEN_PATH_MAX - 1);
                        r = -EINVAL;
                        continue;
                }
                if (n == 0) {
                        /* "" would match every command or path, or none: never what was meant */
                        error_at(p, "%s=%s: an empty word; write %s= alone to clear the list", k->name, value, k->name);
                        r = -EINVAL;
                        continue;
                }
                word[n] = '\0';
                added = add(p, k, list, word);
                if (added == -ENOMEM)
                        return added;
                if (added < 0)
                        r = added;
        }
        return r;
}

static void clear_ids(void *field)
{
        struct id_list *l = field;

        free(l->v);
        *l = (struct id_list){ 0 };
}

static int push_id(struct parse_ctx *p, const struct config_key *k, struct id_list *l, uint64_t v)
{
        uint32_t *grown;

        for (size_t i = 0; i < l->n; i++)
                if (l->v[i] == v)
                        return 0;
        if (l->n >= k->max) {
                error_at(p, "%s=: more than %" PRIu64 " entries", k->name, k->max);
                return -EINVAL;
        }
        grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        l->v = grown;
        l->v[l->n++] = (uint32_t)v;
        return 0;
}

static int add_pid(struct parse_ctx *p, const struct config_key *k, void *list, const char *word)
{
        uint64_t v;

        /* 4194304 is PID_MAX_LIMIT, the largest pid any kernel hands out. */
        if (parse_uint(word, 4194304, &v) < 0 || v == 0) {
                error_at(p, "%s=%s: not a process id", k->name, word);
                return -EINVAL;
        }
        return push_id(p, k, list, v);
}

static int add_uid(struct parse_ctx *p, const struct config_key *k, void *list, const char *word)
{
        uint64_t v;

        if (parse_uint(word, UINT32_MAX - 1, &v) < 0) {
                error_at(p, "%s=%s: not a numeric user id", k->name, word);
                return -EINVAL;
        }
        return push_id(p, k, list, v);
}

static int parse_pids(struct parse_ctx *p, const struct config_key *k, const char *value, void *field)
{
        return split_words(p, k, value, field, clear_ids, add_pid);
}

static int parse_uids(struct parse_ctx *p, const struct config_key *k, const char *value, void *field)
{
        return split_words(p, k, value, field, clear_ids, add_uid);
}

static bool ids_equal(const void *a, const void *b)
{
        const struct id_list *la = a, *lb = b;

        return la->n == lb->n && (la->n == 0 || memcmp(la->v, lb->v, la->n * sizeof(*la->v)) == 0);
}

static void print_ids(FILE *f, const void *field, const struct config_key *k)
{
        const struct id_list *l = field;

        (void)k;
        for (size_t i = 0; i < l->n; i++)
                fprintf(f, "%s%" PRIu32, i ? " " : "", l->v[i]);
}

static const struct value_type type_pids = { parse_pids, ids_equal, print_ids, clear_ids };
static const struct value_type type_uids = { parse_uids, ids_equal, print_ids, clear_ids };

static void clear_words(void *field)
{
        struct str_list *l = field;

        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        *l = (struct str_list){ 0 };
}

static int add_word(struct parse_ctx *p, const struct config_key *k, void *list, const char *word)
{
        struct str_list *l = list;
        char **grown;

        if (strlen(word) > k->max_len) {
                if (k->max_len == OPEN_COMM_LEN - 1)
                        error_at(p, "%s=%s: longer than %zu bytes, the kernel's limit for a command name", k->name,
                                 word, k->max_len);
                else
                        error_at(p, "%s=%.40s…: longer than %zu bytes", k->name, word, k->max_len);
                return -EINVAL;
        }
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i], word) == 0)
                        return 0;
        if (l->n >= k->max) {
                error_at(p, "%s=: more than %" PRIu64 " entries", k->name, k->max);
                return -EINVAL;
        }
        grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        l->v = grown;
        if (!(l->v[l->n] = strdup(word)))
                return -ENOMEM;
        l->n++;
        return 0;
}

static int parse_words(struct parse_ctx *p, const struct config_key *k, const char *value, void *field)
{
        return split_words(p, k, value, field, clear_words, add_word);
}

static bool words_equal(const void *a, const void *b)
{
        const struct str_list *la = a, *lb = b;

        if (la->n != lb->n)
                return false;
        for (size_t i = 0; i < la->n; i++)
                if (strcmp(la->v[i], lb->v[i]) != 0)
                        return false;
        return true;
}

/* A word as split_words() reads it back: quoted when it holds white space or quotes. */
static void print_word(FILE *f, const char *w)
{
        if (!strpbrk(w, " \t\n\v\f\r\"'")) {
                fputs(w, f);
        } else if (!strchr(w, '"')) {
                fprintf(f, "\"%s\"", w);
        } else {
                for (const char *s = w; *s; s++) {
                        if (*s == '"')
                                fputs("'\"'", f);
                        else if (*s == '\'' || isspace((unsigned char)*s))
                                fprintf(f, "\"%c\"", *s);
                        else
                                fputc(*s, f);
                }
        }
}

static void print_words(FILE *f, const void *field, const struct config_key *k)
{
        const struct str_list *l = field;

        (void)k;
        for (size_t i = 0; i < l->n; i++) {
                if (i)
                        fputc(' ', f);
                print_word(f, l->v[i]);
        }
}

static const struct value_type type_words = { parse_words, words_equal, print_words, clear_words };

/* ---- the keys ---- */

#define KEY(sec, key, value_type, member, ...)                                                                     \
        {                                                                                                          \
                .section = (sec), .name = (key), .type = &(value_type), .offset = offsetof(struct config, member), \
                .size = sizeof(((struct config *)0)->member), __VA_ARGS__                                          \
        }

static const struct config_key keys[] = {
        KEY("Probe", "Mode", type_choice, mode, .restart_only = true, .choices = probe_mode_names),
        KEY("Probe", "Buffer", type_choice, buffer, .restart_only = true, .choices = probe_buffer_names),
        KEY("Probe", "RingBufferSize", type_size, ring_buffer_size, .restart_only = true, .min = 64u << 10,
            .max = 256u << 20, .power_of_two = true),
        KEY("Probe", "PerfBufferPages", type_unsigned, perf_buffer_pages, .restart_only = true, .min = 1, .max = 1024,
            .power_of_two = true),
        KEY("Probe", "WakeupEvents", type_unsigned, wakeup_events, .restart_only = true, .min = 1, .max = 1024),
        KEY("Probe", "MaxInFlight", type_unsigned, max_in_flight, .restart_only = true, .min = 64, .max = 1048576),
        KEY("Probe", "KernelSource", type_path, kernel_source, .restart_only = true),
        KEY("Filter", "PIDs", type_pids, pids, .max = FILTER_MAX_PIDS),
        KEY("Filter", "UIDs", type_uids, uids, .max = FILTER_MAX_UIDS),
        KEY("Filter", "Commands", type_words, commands, .max = FILTER_MAX_COMMS, .max_len = OPEN_COMM_LEN - 1),
        KEY("Filter", "ExcludeCommands", type_words, exclude_commands, .max = FILTER_MAX_COMMS,
            .max_len = OPEN_COMM_LEN - 1),
        KEY("Filter", "PathPrefixes", type_words, path_prefixes, .max = FILTER_MAX_PREFIXES,
            .max_len = FILTER_PREFIX_MAX),
        KEY("Filter", "ExcludePathPrefixes", type_words, exclude_path_prefixes, .max = FILTER_MAX_PREFIXES,
            .max_len = FILTER_PREFIX_MAX),
        KEY("Filter", "FailedOnly", type_bool, failed_only),
        KEY("Filter", "Access", type_choice, access, .choices = access_filter_names),
        KEY("Output", "Target", type_choice, target, .restart_only = true, .choices = output_target_names),
        KEY("Output", "Priority", type_priority, priority),
        KEY("Output", "FailurePriority", type_priority, failure_priority),
        KEY("Output", "QueueSize", type_size, queue_size, .restart_only = true, .min = 64u << 10, .max = 1024u << 20),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void *field_of(struct config *c, const struct config_key *k)
{
        return (char *)c + k->offset;
}

static const void *const_field_of(const struct config *c, const struct config_key *k)
{
        return (const char *)c + k->offset;
}

void config_init(struct config *c)
{
        *c = (struct config){
                .mode = PROBE_MODE_AUTO,
                .buffer = PROBE_BUFFER_AUTO,
                .ring_buffer_size = 4u << 20,
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

void config_done(struct config *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < NKEYS; i++)
                if (keys[i].type->clear)
                        keys[i].type->clear(field_of(c, &keys[i]));
}

void config_errors_done(struct config_errors *errs)
{
        if (!errs)
                return;
        for (size_t i = 0; i < errs->n; i++)
                free(errs->msg[i]);
        free(errs->msg);
        *errs = (struct config_errors){ 0 };
}

struct parse_state {
        struct parse_ctx ctx;
        struct config *c;
};

static bool on_section(void *userdata, const char *name, unsigned line)
{
        struct parse_state *s = userdata;

        for (size_t i = 0; i < NKEYS; i++)
                if (strcmp(keys[i].section, name) == 0)
                        return true;
        s->ctx.line = line;
        error_at(&s->ctx, "unknown section [%s]", name);
        return false;
}

static int on_assignment(void *userdata, const char *section, const char *key, const char *value, unsigned line)
{
        struct parse_state *s = userdata;

        s->ctx.line = line;
        s->ctx.key = key;
        for (size_t i = 0; i < NKEYS; i++) {
                const struct config_key *k = &keys[i];

                if (strcmp(k->section, section) == 0 && strcmp(k->name, key) == 0) {
                        int r = k->type->parse(&s->ctx, k, value, field_of(s->c, k));

                        return r == -ENOMEM ? r : 0;
                }
        }
        error_at(&s->ctx, "unknown key '%s' in [%s]", key, section);
        return 0;
}

static void on_syntax_error(void *userdata, unsigned line, const char *text)
{
        struct parse_state *s = userdata;

        s->ctx.line = line;
        error_at(&s->ctx, "%s", text);
}

/* An include and an exclude list share one kernel map: one verdict per word, one size for both. */
static void check_shared_map(struct parse_ctx *p, const struct str_list *in, const struct str_list *out,
                             const char *in_key, const char *out_key, size_t map_size)
{
        for (size_t i = 0; i < in->n; i++)
                for (size_t j = 0; j < out->n; j++)
                        if (strcmp(in->v[i], out->v[j]) == 0)
                                error_at(p, "'%s' is in both %s= and %s=", in->v[i], in_key, out_key);
        if (in->n + out->n > map_size)
                error_at(p, "%s= and %s= hold %zu entries together; the kernel's map holds %zu", in_key, out_key,
                         in->n + out->n, map_size);
}

int config_parse(const char *text, size_t len, const char *filename, struct config *c, struct config_errors *errs)
{
        static const struct ini_handler handler = { on_section, on_assignment, on_syntax_error };
        struct parse_state s = { .ctx = { .filename = filename, .errs = errs }, .c = c };
        size_t errors_before = errs->n;
        int r;

        r = ini_parse(text, len, &handler, &s);
        if (r < 0)
                return r;
        s.ctx.line = 0;
        check_shared_map(&s.ctx, &c->commands, &c->exclude_commands, "Commands", "ExcludeCommands", FILTER_MAX_COMMS);
        check_shared_map(&s.ctx, &c->path_prefixes, &c->exclude_path_prefixes, "PathPrefixes", "ExcludePathPrefixes",
                         FILTER_MAX_PREFIXES);
        return errs->n > errors_before ? -EINVAL : 0;
}

int config_load(const char *path, bool missing_ok, struct config *c, struct config_errors *errs)
{
        struct parse_ctx p = { .filename = path, .errs = errs };
        char why[512];
        char *text = NULL;
        size_t len = 0;
        int r;

        r = trusted_file_read(path, "a configuration", CONFIG_FILE_MAX, &text, &len, why, sizeof(why));
        if (r == -ENOENT && missing_ok)
                return 0;
        if (r < 0) {
                error_at(&p, "%s", why);
                return r;
        }
        r = config_parse(text, len, path, c, errs);
        free(text);
        return r;
}

static void note_key(char *buf, size_t size, const char *key)
{
        size_t len = strlen(buf);

        snprintf(buf + len, size - len, "%s%s=", len ? " " : "", key);
}

void config_diff(const struct config *a, const struct config *b, char *restart_only, size_t rsize, char *applied,
                 size_t asize)
{
        restart_only[0] = applied[0] = '\0';
        for (size_t i = 0; i < NKEYS; i++) {
                const struct config_key *k = &keys[i];

                if (k->type->equal(const_field_of(a, k), const_field_of(b, k)))
                        continue;
                if (k->restart_only)
                        note_key(restart_only, rsize, k->name);
                else
                        note_key(applied, asize, k->name);
        }
}

void config_keep_restart_only(struct config *fresh, struct config *running)
{
        for (size_t i = 0; i < NKEYS; i++) {
                const struct config_key *k = &keys[i];
                unsigned char tmp[sizeof(struct config)];

                if (!k->restart_only)
                        continue;
                memcpy(tmp, field_of(fresh, k), k->size);
                memcpy(field_of(fresh, k), field_of(running, k), k->size);
                memcpy(field_of(running, k), tmp, k->size);
        }
}

void config_print(const struct config *c, FILE *f)
{
        const char *section = NULL;

        for (size_t i = 0; i < NKEYS; i++) {
                const struct config_key *k = &keys[i];

                if (!section || strcmp(section, k->section) != 0) {
                        fprintf(f, "%s[%s]\n", section ? "\n" : "", k->section);
                        section = k->section;
                }
                fprintf(f, "%s=", k->name);
                k->type->print(f, const_field_of(c, k), k);
                fputc('\n', f);
        }
}
