/* SPDX-License-Identifier: MIT */
#include "cgroup_names.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* A path component: n bytes at p, no '/' inside. */
struct part {
        const char *p;
        size_t n;
};

static bool part_is(struct part c, const char *s)
{
        return c.n == strlen(s) && memcmp(c.p, s, c.n) == 0;
}

static bool part_starts(struct part c, const char *s)
{
        size_t l = strlen(s);

        return c.n >= l && memcmp(c.p, s, l) == 0;
}

static bool part_ends(struct part c, const char *s)
{
        size_t l = strlen(s);

        return c.n >= l && memcmp(c.p + c.n - l, s, l) == 0;
}

/* The component at *s (after any slashes); advances *s past it. Empty at the end. */
static struct part next_part(const char **s)
{
        struct part c;

        *s += strspn(*s, "/");
        c.p = *s;
        c.n = strcspn(*s, "/");
        *s += c.n;
        return c;
}

/* systemd's cg_unescape(): one leading '_' marks an escaped name. */
static struct part unescape(struct part c)
{
        if (c.n > 0 && c.p[0] == '_') {
                c.p++;
                c.n--;
        }
        return c;
}

static bool unit_type_valid(const char *s, size_t n)
{
        static const char *const types[] = {
                "service", "socket", "target", "device", "mount", "automount",
                "swap",    "timer",  "path",   "slice",  "scope",
        };

        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                if (strlen(types[i]) == n && memcmp(types[i], s, n) == 0)
                        return true;
        return false;
}

enum {
        NAME_PLAIN = 1 << 0,    /* "foo.service" */
        NAME_INSTANCE = 1 << 1, /* "foo@bar.service"; a template "foo@.service" is neither */
};

/* systemd's unit_name_is_valid(): prefix of [A-Za-z0-9:_.\-@], '.', a known type. */
static bool unit_name_valid(struct part c, unsigned kinds)
{
        const char *dot = NULL, *at = NULL;

        if (c.n == 0 || c.n >= CGROUP_UNIT_NAME_MAX)
                return false;
        for (size_t i = c.n; i > 0; i--)
                if (c.p[i - 1] == '.') {
                        dot = c.p + i - 1;
                        break;
                }
        if (!dot || dot == c.p || !unit_type_valid(dot + 1, c.n - (size_t)(dot + 1 - c.p)))
                return false;
        for (const char *q = c.p; q < dot; q++) {
                char ch = *q;

                if (ch == '@' && !at)
                        at = q;
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      strchr(":-_.\\@", ch)))
                        return false;
        }
        if (at == c.p)
                return false;
        if (!at)
                return kinds & NAME_PLAIN;
        return (kinds & NAME_INSTANCE) && dot > at + 1;
}

static bool is_slice(struct part c)
{
        return part_ends(c, ".slice") && unit_name_valid(unescape(c), NAME_PLAIN);
}

/* Past the leading slice components: s then points at the first other one (or the end). */
static const char *skip_slices(const char *s)
{
        for (;;) {
                const char *t = s;

                if (!is_slice(next_part(&t)))
                        return s;
                s = t;
        }
}

static void copy_part(char *dst, size_t size, struct part c)
{
        size_t n = c.n < size ? c.n : size - 1;

        memcpy(dst, c.p, n);
        dst[n] = '\0';
}

/* cg_path_get_unit(): the first component after the slices, if it is a unit and not a slice. */
static void unit_of(const char *s, char out[static CGROUP_UNIT_NAME_MAX])
{
        struct part c;

        s = skip_slices(s);
        c = next_part(&s);
        out[0] = '\0';
        if (c.n < 3)
                return;
        c = unescape(c);
        if (!unit_name_valid(c, NAME_PLAIN | NAME_INSTANCE) || part_ends(c, ".slice"))
                return;
        copy_part(out, CGROUP_UNIT_NAME_MAX, c);
}

/* systemd's parse_uid(): decimal, no sign, no leading zero, not (uid_t)-1 nor the 16-bit -1. */
static bool uid_valid(const char *s, size_t n)
{
        uint64_t v = 0;

        if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        return v < UINT32_MAX && v != 0xFFFF;
}

/* "user@UID.service": returns what follows it, or NULL. */
static const char *skip_user_manager(const char *s)
{
        struct part c = next_part(&s);

        if (c.n < strlen("user@x.service") || !part_starts(c, "user@") || !part_ends(c, ".service"))
                return NULL;
        if (!uid_valid(c.p + 5, c.n - 5 - 8))
                return NULL;
        return s;
}

/*
 * "session-ID.scope" (ID of letters and digits): returns what follows it, or
 * NULL. Unlike systemd, also no longer than a unit name, so that a session
 * is always a unit too (the kernel allows no longer name anyway).
 */
static const char *skip_session(const char *s)
{
        struct part c = next_part(&s);

        if (c.n < strlen("session-x.scope") || c.n >= CGROUP_UNIT_NAME_MAX || !part_starts(c, "session-") ||
            !part_ends(c, ".scope"))
                return NULL;
        for (size_t i = 8; i < c.n - 6; i++) {
                char ch = c.p[i];

                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
                        return NULL;
        }
        return s;
}

/* cg_path_get_user_unit(). */
static void user_unit_of(const char *s, char out[static CGROUP_UNIT_NAME_MAX])
{
        const char *t;

        out[0] = '\0';
        s = skip_slices(s);
        t = skip_user_manager(s);
        if (!t)
                t = skip_session(s);
        if (t)
                unit_of(t, out);
}

static bool is_hex64(const char *p, size_t n)
{
        if (n != CGROUP_CONTAINER_ID_LEN)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
                        return false;
        return true;
}

/* "<runtime>-<64 hex>.scope": the id, or NULL. */
static const char *scope_container_id(struct part c)
{
        static const char *const runtimes[] = { "docker-", "cri-containerd-", "crio-", "libpod-" };

        if (!part_ends(c, ".scope"))
                return NULL;
        for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
                size_t l = strlen(runtimes[i]);

                if (part_starts(c, runtimes[i]) && is_hex64(c.p + l, c.n - l - strlen(".scope")))
                        return c.p + l;
        }
        return NULL;
}

/* cgroupfs drivers: the id is a whole component, named by its parent. */
static const char *cgroupfs_container_id(struct part c, struct part parent, bool kubepods)
{
        if (is_hex64(c.p, c.n) && (part_is(parent, "docker") || (kubepods && part_starts(parent, "pod"))))
                return c.p;
        if (kubepods && part_starts(parent, "pod") && part_starts(c, "crio-") && is_hex64(c.p + 5, c.n - 5))
                return c.p + 5;
        if (part_is(parent, "libpod_parent") && part_starts(c, "libpod-") && is_hex64(c.p + 7, c.n - 7))
                return c.p + 7;
        return NULL;
}

static void container_id_of(const char *s, char out[static CGROUP_CONTAINER_ID_LEN + 1])
{
        struct part prev = { s, 0 };
        bool kubepods = false;

        out[0] = '\0';
        for (;;) {
                struct part c = next_part(&s);
                const char *id;

                if (c.n == 0)
                        return;
                id = scope_container_id(c);
                if (!id)
                        id = cgroupfs_container_id(c, prev, kubepods);
                if (id) {
                        memcpy(out, id, CGROUP_CONTAINER_ID_LEN);
                        out[CGROUP_CONTAINER_ID_LEN] = '\0';
                }
                if (part_is(c, "kubepods"))
                        kubepods = true;
                prev = c;
        }
}

static bool path_valid(const char *path)
{
        const char *s = path;

        if (!path || path[0] != '/')
                return false;
        for (;;) {
                struct part c = next_part(&s);

                if (c.n == 0)
                        return true;
                if (part_is(c, ".") || part_is(c, ".."))
                        return false;
        }
}

int cgroup_names_from_path(const char *path, struct cgroup_names *ret)
{
        ret->unit[0] = ret->user_unit[0] = ret->container_id[0] = '\0';
        if (!path_valid(path))
                return -EINVAL;
        unit_of(path, ret->unit);
        user_unit_of(path, ret->user_unit);
        container_id_of(path, ret->container_id);
        return 0;
}

bool cgroup_unit_name_valid(const char *name)
{
        return name && unit_name_valid((struct part){ name, strlen(name) }, NAME_PLAIN | NAME_INSTANCE);
}
