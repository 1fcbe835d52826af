/* SPDX-License-Identifier: MIT */
#include "report_group.h"

#include <errno.h>
#include <string.h>

#include "report_path.h"

const char *const report_field_names[_REPORT_FIELD_MAX] = {
        [REPORT_FIELD_COMM] = "OPEN_COMM",
        [REPORT_FIELD_UID] = "OPEN_UID",
        [REPORT_FIELD_UNIT] = "OPEN_UNIT",
        [REPORT_FIELD_PATH] = "OPEN_PATH",
        [REPORT_FIELD_ABS_PATH] = "OPEN_ABS_PATH",
        [REPORT_FIELD_COUNT] = "OPEN_COUNT",
        [REPORT_FIELD_TIMESTAMP] = "OPEN_TIMESTAMP_USEC",
};

static const struct report_grouping groupings[_REPORT_BY_MAX] = {
        [REPORT_BY_UNIT] = { "unit", "units", 1, { { "UNIT", "unit", REPORT_VALUE_TEXT } } },
        [REPORT_BY_COMMAND] = { "command", "commands", 1, { { "COMMAND", "command", REPORT_VALUE_TEXT } } },
        [REPORT_BY_USER] = { "user", "users", 1, { { "USER", "uid", REPORT_VALUE_UID } } },
        [REPORT_BY_PATH] = { "path", "paths", 1, { { "PATH", "path", REPORT_VALUE_TEXT } } },
        [REPORT_BY_PREFIX] = { "prefix", "prefixes", 1, { { "PREFIX", "prefix", REPORT_VALUE_TEXT } } },
        [REPORT_BY_WHO] = { "who",
                            "openers",
                            3,
                            { { "COMMAND", "command", REPORT_VALUE_TEXT },
                              { "USER", "uid", REPORT_VALUE_UID },
                              { "UNIT", "unit", REPORT_VALUE_TEXT } } },
};

const struct report_grouping *report_grouping(enum report_by by)
{
        return by < _REPORT_BY_MAX ? &groupings[by] : NULL;
}

int report_by_from_string(const char *name)
{
        for (int by = 0; by < _REPORT_BY_MAX; by++)
                if (by != REPORT_BY_WHO && strcmp(groupings[by].name, name) == 0)
                        return by;
        return -EINVAL;
}

const char *report_entry_path(const struct report_entry *e, size_t *len)
{
        enum report_field f = e->value[REPORT_FIELD_ABS_PATH] ? REPORT_FIELD_ABS_PATH : REPORT_FIELD_PATH;

        *len = e->len[f];
        return e->value[f];
}

static int add_field(const struct report_entry *e, enum report_field f, struct report_key *k)
{
        return report_key_add(k, e->value[f], e->len[f]);
}

int report_entry_key(const struct report_entry *e, enum report_by by, unsigned depth, struct report_key *k)
{
        const char *path;
        size_t len;
        int r = 0;

        report_key_reset(k);
        switch (by) {
        case REPORT_BY_UNIT:
                return add_field(e, REPORT_FIELD_UNIT, k);
        case REPORT_BY_COMMAND:
                return add_field(e, REPORT_FIELD_COMM, k);
        case REPORT_BY_USER:
                return add_field(e, REPORT_FIELD_UID, k);
        case REPORT_BY_PATH:
        case REPORT_BY_PREFIX:
                path = report_entry_path(e, &len);
                if (path && by == REPORT_BY_PREFIX)
                        len = report_path_cut(path, len, depth);
                return report_key_add(k, path, len);
        case REPORT_BY_WHO:
                r = add_field(e, REPORT_FIELD_COMM, k);
                if (r == 0)
                        r = add_field(e, REPORT_FIELD_UID, k);
                if (r == 0)
                        r = add_field(e, REPORT_FIELD_UNIT, k);
                return r;
        default:
                return -EINVAL;
        }
}

int report_parse_decimal(const char *s, size_t len, uint64_t max, uint64_t *ret)
{
        uint64_t n = 0;

        if (len == 0 || len > 19)
                return -EBADMSG;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EBADMSG;
                n = n * 10 + (uint64_t)(s[i] - '0');
        }
        if (n > max)
                return -EBADMSG;
        *ret = n;
        return 0;
}

int report_entry_count(const struct report_entry *e, uint64_t *ret)
{
        uint64_t n;
        int r;

        if (!e->value[REPORT_FIELD_COUNT]) {
                *ret = 1;
                return 0;
        }
        r = report_parse_decimal(e->value[REPORT_FIELD_COUNT], e->len[REPORT_FIELD_COUNT], UINT64_MAX, &n);
        if (r < 0 || n == 0)
                return -EBADMSG;
        *ret = n;
        return 0;
}

bool report_entry_under(const struct report_entry *e, const char *prefix, size_t prefix_len)
{
        const char *abs = e->value[REPORT_FIELD_ABS_PATH], *path = e->value[REPORT_FIELD_PATH];

        return (abs && report_path_under(abs, e->len[REPORT_FIELD_ABS_PATH], prefix, prefix_len)) ||
               (path && e->len[REPORT_FIELD_PATH] > 0 && path[0] == '/' &&
                report_path_under(path, e->len[REPORT_FIELD_PATH], prefix, prefix_len));
}

int report_entry_time(const struct report_entry *e, int64_t *ret)
{
        uint64_t n;
        int r;

        if (!e->value[REPORT_FIELD_TIMESTAMP])
                return -EBADMSG;
        r = report_parse_decimal(e->value[REPORT_FIELD_TIMESTAMP], e->len[REPORT_FIELD_TIMESTAMP], INT64_MAX, &n);
        if (r < 0)
                return -EBADMSG;
        *ret = (int64_t)n;
        return 0;
}

unsigned report_fields_needed(enum report_by by, bool path_prefix, bool time_range)
{
        unsigned bits = 1u << REPORT_FIELD_COUNT;

        switch (by) {
        case REPORT_BY_UNIT:
                bits |= 1u << REPORT_FIELD_UNIT;
                break;
        case REPORT_BY_COMMAND:
                bits |= 1u << REPORT_FIELD_COMM;
                break;
        case REPORT_BY_USER:
                bits |= 1u << REPORT_FIELD_UID;
                break;
        case REPORT_BY_PATH:
        case REPORT_BY_PREFIX:
                bits |= 1u << REPORT_FIELD_PATH | 1u << REPORT_FIELD_ABS_PATH;
                break;
        case REPORT_BY_WHO:
                bits |= 1u << REPORT_FIELD_COMM | 1u << REPORT_FIELD_UID | 1u << REPORT_FIELD_UNIT;
                break;
        default:
                break;
        }
        if (path_prefix)
                bits |= 1u << REPORT_FIELD_PATH | 1u << REPORT_FIELD_ABS_PATH;
        if (time_range)
                bits |= 1u << REPORT_FIELD_TIMESTAMP;
        return bits;
}
