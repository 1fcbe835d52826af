/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cgroup_names.h"
#include "filter_maps.h"
#include "fold.h"
#include "ini.h"
#include "opensnoop.h"
#include "probe_plan.h"
#include "sink.h"
#include "timespan.h"
#include "trusted_file.h"
#include "unit_match.h"

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
        bool (*equal)(const void *a, const void *b); /* NULL: compare the bytes */
        void (*print)(FILE *f, const void *field, const struct config_key *k);
        void (*clear)(void *field); /* NULL: nothing to free */
};

/* One row per key, from keys.def: the table parse, diff and print walk (systemd's gperf tables are the model). */
struct config_key {
        const char *section;
        const char *name;
        const char *default_text; /* parsed by config_init() */
        const char *doc;          /* one line */
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

static void print_unsigned(FILE *f, const void *field, const struct config_key *k)
{
        (void)k;
        fprintf(f, "%u", *(const unsigned *)field);
}

static const struct value_type type_unsigned = { parse_unsigned, NULL, print_unsigned, NULL };

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

static void print_size(FILE *f, const void *field, const struct config_key *k)
{
        (void)k;
        fprintf(f, "%zu", *(const size_t *)field);
}

static const struct value_type type_size = { parse_size, NULL, print_size, NULL };

/* k->min and k->max bound a span that is not 0, in µs. */
static int parse_timespan(struct parse_ctx *p, const struct config_key *k, const char *value, void *field)
{
        uint64_t v;

        if (timespan_parse(value, &v) < 0 || (v != 0 && (v < k->min || v > k->max))) {
                error_at(p,
                         "%s=%s: must be 0 or no, or a time span from %" PRIu64 "ms to %" PRIu64
                         "min (\"500ms\", \"10s\", \"1min\")",
                         k->name, value, k->min / 1000, k->max / 60000000);
                return -EINVAL;
        }
        *(uint64_t *)field = v;
        return 0;
}

static bool u64_equal(const void *a, const void *b)
{
        return *(const uint64_t *)a == *(const uint64_t *)b;
}

static void print_timespan(FILE *f, const void *field, const struct config_key *k)
{
        (void)k;
        timespan_print(f, *(const uint64_t *)field);
}

static const struct value_type type_timespan = { parse_timespan, u64_equal, print_timespan, NULL };

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

static void print_bool(FILE *f, const void *field, const struct config_key *k)
{
        (void)k;
        fputs(*(const bool *)field ? "yes" : "no", f);
}

static const struct value_type type_bool = { parse_bool, NULL, print_bool, NULL };

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

static void print_choice(FILE *f, const void *field, const struct config_key *k)
{
        fputs(k->choices[*(const int *)field], f);
}

static const struct value_type type_choice = { parse_choice, NULL, print_choice, NULL };

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

static const struct value_type type_priority = { parse_priority, NULL, print_priority, NULL };

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
                if (n == 0) {
                        /* "" would match every command or path, or none: never what was meant */
                        error_at(p, "%s=%s: an empty word; write %s= alone to clear the list", k->name, value, k->name);
                        r = -EINVAL;
                        continue;
                }
                /* a word cut to fit is still longer than any key takes: add() refuses it by that key's limit */
                word[n < sizeof(word) - 1 ? n : sizeof(word) - 1] = '\0';
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

/* A numeric uid, or a user name looked up now (at every load and reload: the kernel compares numbers). */
static int add_uid(struct parse_ctx *p, const struct config_key *k, void *list, const char *word)
{
        struct passwd *pw;
        uint64_t v;

        if (parse_uint(word, UINT32_MAX - 1, &v) == 0)
                return push_id(p, k, list, v);
        errno = 0;
        pw = isdigit((unsigned char)word[0]) ? NULL : getpwnam(word);
        if (!pw) {
                error_at(p, "%s=%s: not a user name or numeric user id", k->name, word);
                return -EINVAL;
        }
        return push_id(p, k, list, pw->pw_uid);
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
        str_list_clear(field);
}

static int add_word(struct parse_ctx *p, const struct config_key *k, void *list, const char *word)
{
        struct str_list *l = list;
        char *copy;

        if (strlen(word) > k->max_len) {
                if (k->max_len == OPEN_COMM_LEN - 1)
                        error_at(p, "%s=%s: longer than %zu bytes, the kernel's limit for a command name", k->name,
                                 word, k->max_len);
                else
                        error_at(p, "%s=%.40s…: longer than %zu bytes", k->name, word, k->max_len);
                return -EINVAL;
        }
        if (str_list_has(l, word))
                return 0;
        if (l->n >= k->max) {
                error_at(p, "%s=: more than %" PRIu64 " entries", k->name, k->max);
                return -EINVAL;
        }
        copy = strdup(word);
        return copy ? str_list_add(l, copy) : -ENOMEM;
}

static int parse_words(struct parse_ctx *p, const struct config_key *k, const char *value, void *field)
{
        return split_words(p, k, value, field, clear_words, add_word);
}

static bool words_equal(const void *a, const void *b)
{
        return str_list_equal(a, b);
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

/* ---- lists of systemd unit names ---- */

static int add_unit(struct parse_ctx *p, const struct config_key *k, void *list, const char *word)
{
        int r = unit_name_check(word);

        if (r == -EMEDIUMTYPE)
                error_at(p,
                         "%s=%s: this unit type has no cgroup; name a .service, .scope, .slice, .socket, .mount or "
                         ".swap unit",
                         k->name, word);
        else if (r < 0)
                error_at(p,
                         "%s=%.40s: not a unit name; write one as systemctl shows it (\"nginx.service\", "
                         "\"user.slice\", \"getty@tty1.service\")",
                         k->name, word);
        return r < 0 ? -EINVAL : add_word(p, k, list, word);
}

static int parse_units(struct parse_ctx *p, const struct config_key *k, const char *value, void *field)
{
        return split_words(p, k, value, field, clear_words, add_unit);
}

static const struct value_type type_units = { parse_units, words_equal, print_words, clear_words };

/* ---- the keys ---- */

static const struct config_key keys[] = {
#define KEY(sec, key, value_type, member, default_value, doc_line, ...) \
        { .section = #sec,                                              \
          .name = #key,                                                 \
          .default_text = (default_value),                              \
          .doc = (doc_line),                                            \
          .type = &type_##value_type,                                   \
          .offset = offsetof(struct config, member),                    \
          .size = sizeof(((struct config *)0)->member),                 \
          __VA_ARGS__ },
#include "keys.def"
#undef KEY
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
        struct config_errors errs = { 0 };
        struct parse_ctx p = { .filename = "keys.def", .errs = &errs };

        *c = (struct config){ 0 };
        /* The rows' defaults are tested to parse (test_config.c); none allocates (no list or path has one). */
        for (size_t i = 0; i < NKEYS; i++)
                (void)keys[i].type->parse(&p, &keys[i], keys[i].default_text, field_of(c, &keys[i]));
        config_errors_done(&errs);
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

/* An include and an exclude list share one kernel map: one verdict per value, one size for both. */
static void check_shared_map(struct parse_ctx *p, const char *in_key, size_t nin, const char *out_key, size_t nout,
                             size_t map_size, bool (*same)(const void *, size_t, const void *, size_t), const void *in,
                             const void *out, void (*name)(const void *, size_t, char *, size_t))
{
        char text[64];

        for (size_t i = 0; i < nin; i++)
                for (size_t j = 0; j < nout; j++)
                        if (same(in, i, out, j)) {
                                name(in, i, text, sizeof(text));
                                error_at(p, "'%s' is in both %s= and %s=", text, in_key, out_key);
                        }
        if (nin + nout > map_size)
                error_at(p, "%s= and %s= hold %zu entries together; the kernel's map holds %zu", in_key, out_key,
                         nin + nout, map_size);
}

static bool same_word(const void *a, size_t i, const void *b, size_t j)
{
        return strcmp(((const struct str_list *)a)->v[i], ((const struct str_list *)b)->v[j]) == 0;
}

static void name_word(const void *l, size_t i, char *buf, size_t size)
{
        snprintf(buf, size, "%s", ((const struct str_list *)l)->v[i]);
}

static bool same_id(const void *a, size_t i, const void *b, size_t j)
{
        return ((const struct id_list *)a)->v[i] == ((const struct id_list *)b)->v[j];
}

static void name_id(const void *l, size_t i, char *buf, size_t size)
{
        snprintf(buf, size, "%" PRIu32, ((const struct id_list *)l)->v[i]);
}

static void check_words(struct parse_ctx *p, const char *in_key, const struct str_list *in, const char *out_key,
                        const struct str_list *out, size_t map_size)
{
        check_shared_map(p, in_key, in->n, out_key, out->n, map_size, same_word, in, out, name_word);
}

static void check_ids(struct parse_ctx *p, const char *in_key, const struct id_list *in, const char *out_key,
                      const struct id_list *out, size_t map_size)
{
        check_shared_map(p, in_key, in->n, out_key, out->n, map_size, same_id, in, out, name_id);
}

/* The lines of one file, over what c holds: no checks that need the whole configuration yet. */
static int parse_text(const char *text, size_t len, const char *filename, struct config *c, struct config_errors *errs)
{
        static const struct ini_handler handler = { on_section, on_assignment, on_syntax_error };
        struct parse_state s = { .ctx = { .filename = filename, .errs = errs }, .c = c };

        return ini_parse(text, len, &handler, &s);
}

/* What only the final values can say: an include and an exclude list share one kernel map. */
static void check_whole(const char *filename, struct config *c, struct config_errors *errs)
{
        struct parse_ctx p = { .filename = filename, .errs = errs };

        check_ids(&p, "PIDs", &c->filter.pids, "ExcludePIDs", &c->filter.exclude_pids, FILTER_MAX_PIDS);
        check_ids(&p, "UIDs", &c->filter.uids, "ExcludeUIDs", &c->filter.exclude_uids, FILTER_MAX_UIDS);
        check_words(&p, "Commands", &c->filter.commands, "ExcludeCommands", &c->filter.exclude_commands,
                    FILTER_MAX_COMMS);
        check_words(&p, "PathPrefixes", &c->filter.path_prefixes, "ExcludePathPrefixes",
                    &c->filter.exclude_path_prefixes, FILTER_MAX_PREFIXES);
        check_words(&p, "Units", &c->filter.units, "ExcludeUnits", &c->filter.exclude_units, FILTER_MAX_UNITS);
}

int config_parse(const char *text, size_t len, const char *filename, struct config *c, struct config_errors *errs)
{
        size_t errors_before = errs->n;
        int r;

        r = parse_text(text, len, filename, c, errs);
        if (r < 0)
                return r;
        check_whole(filename, c, errs);
        return errs->n > errors_before ? -EINVAL : 0;
}

/* One file, trusted or refused with one error. */
static int load_file(const char *path, bool missing_ok, struct config *c, struct config_errors *errs)
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
        r = parse_text(text, len, path, c, errs);
        free(text);
        return r;
}

static int compare_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dropin_name(const char *name)
{
        size_t len = strlen(name);

        /* hidden files are editors' and dpkg's leftovers, as systemd's drop-in lists skip them */
        return name[0] != '.' && len > strlen(CONFIG_DROPIN_SUFFIX) &&
               strcmp(name + len - strlen(CONFIG_DROPIN_SUFFIX), CONFIG_DROPIN_SUFFIX) == 0;
}

static void free_names(char **names, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

/*
 * The drop-ins' paths, in the order they apply: "DIR/NAME.conf", sorted by
 * NAME as strcmp() does. *n = 0 when there is no directory. The directory
 * decides what is read, so it is trusted as the files are.
 */
static int list_dropins(const char *dir, char ***paths, size_t *n, struct config_errors *errs)
{
        struct parse_ctx p = { .filename = dir, .errs = errs };
        struct dirent *de;
        char why[512];
        char **v = NULL;
        size_t count = 0;
        DIR *d;
        int r;

        *paths = NULL;
        *n = 0;
        d = opendir(dir);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                r = -errno;
                error_at(&p, "cannot read the drop-in directory: %s", strerror(errno));
                return r;
        }
        r = trusted_path_check(dir, "a drop-in directory", why, sizeof(why));
        if (r < 0) {
                error_at(&p, "%s", why);
                closedir(d);
                return r;
        }
        while ((de = readdir(d))) {
                char **grown;

                if (!is_dropin_name(de->d_name))
                        continue;
                grown = realloc(v, (count + 1) * sizeof(*v));
                if (!grown)
                        goto oom;
                v = grown;
                if (asprintf(&v[count], "%s/%s", dir, de->d_name) < 0)
                        goto oom;
                count++;
        }
        closedir(d);
        qsort(v, count, sizeof(*v), compare_names);
        *paths = v;
        *n = count;
        return 0;
oom:
        closedir(d);
        free_names(v, count);
        return -ENOMEM;
}

int config_load(const char *path, bool missing_ok, struct config *c, struct config_errors *errs)
{
        struct parse_ctx p = { .filename = path, .errs = errs };
        size_t errors_before = errs->n, ndropins = 0;
        char **dropins = NULL, *dir = NULL;
        char why[512];
        int r, q;

        /* every file is read and every error reported in one run; the first failure is returned */
        r = load_file(path, missing_ok, c, errs);
        if (r == -ENOMEM)
                return r;
        if (asprintf(&dir, "%s" CONFIG_DROPIN_DIR_SUFFIX, path) < 0)
                return -ENOMEM;
        q = list_dropins(dir, &dropins, &ndropins, errs);
        free(dir);
        if (q == -ENOMEM)
                return q;
        if (r == 0)
                r = q;
        for (size_t i = 0; i < ndropins; i++) {
                q = load_file(dropins[i], false, c, errs);
                if (q == -ENOMEM)
                        break;
                if (r == 0)
                        r = q;
        }
        free_names(dropins, ndropins);
        if (q == -ENOMEM)
                return q;
        check_whole(path, c, errs);
        if (r == 0 && errs->n > errors_before)
                r = -EINVAL;
        if (r < 0 || !c->kernel_source)
                return r;
        /* clang compiles these headers into root's BPF program: trusted as this file is, here, so that
         * --check-config refuses what a start would */
        r = trusted_path_check(c->kernel_source, "the kernel headers", why, sizeof(why));
        if (r < 0)
                error_at(&p, "KernelSource=%s: %s", c->kernel_source, why);
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

                const void *va = const_field_of(a, k), *vb = const_field_of(b, k);

                if (k->type->equal ? k->type->equal(va, vb) : memcmp(va, vb, k->size) == 0)
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

/* Each key in the table's order, its section's header before the first: the file's own layout. */
static void print_keys(FILE *f, void (*print_key)(FILE *f, const struct config_key *k, const void *cookie),
                       const void *cookie)
{
        const char *section = NULL;

        for (size_t i = 0; i < NKEYS; i++) {
                const struct config_key *k = &keys[i];

                if (!section || strcmp(section, k->section) != 0) {
                        fprintf(f, "%s[%s]\n", section ? "\n" : "", k->section);
                        section = k->section;
                }
                print_key(f, k, cookie);
        }
}

static void print_value(FILE *f, const struct config_key *k, const void *c)
{
        fprintf(f, "%s=", k->name);
        k->type->print(f, const_field_of(c, k), k);
        fputc('\n', f);
}

void config_print(const struct config *c, FILE *f)
{
        print_keys(f, print_value, c);
}

static void print_default(FILE *f, const struct config_key *k, const void *unused)
{
        (void)unused;
        fprintf(f, "# %s\n#%s=%s\n", k->doc, k->name, k->default_text);
}

void config_print_defaults(FILE *f)
{
        print_keys(f, print_default, NULL);
}
