/* SPDX-License-Identifier: MIT */
#include "cgroup_resolver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* include/linux/exportfs.h: a kernfs node id as a file handle. */
#define FILEID_KERNFS       0xfe
/* include/uapi/linux/magic.h */
#define CGROUP2_SUPER_MAGIC 0x63677270

#define CACHE_SLOTS (CGROUP_RESOLVER_CACHE_MAX * 2) /* the index: open addressing, at most half full */

enum entry_state { ENTRY_FREE, ENTRY_FOUND, ENTRY_GONE };

struct entry {
        uint64_t id;
        char *path;          /* ENTRY_FOUND: owned */
        uint64_t expires_ns; /* ENTRY_GONE: CLOCK_MONOTONIC */
        enum entry_state state;
        bool referenced; /* used since the clock hand last passed */
};

struct cgroup_resolver {
        int mount_fd;
        char *mount;
        size_t mount_len;
        uint64_t root_id;
        bool scan_only;
        struct entry *entries; /* CGROUP_RESOLVER_CACHE_MAX */
        uint32_t *index;       /* CACHE_SLOTS; entry number + 1, 0 = empty */
        size_t used;           /* entries[0..used) have been filled */
        size_t hand;           /* the clock hand */
        uint64_t next_scan_ns; /* no scan before this (CLOCK_MONOTONIC) */
        struct cgroup_resolver_stats stats;
};

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t home_slot(uint64_t id)
{
        /* splitmix64's finaliser: ids are sequential, slots should not be */
        id ^= id >> 30;
        id *= 0xbf58476d1ce4e5b9ULL;
        id ^= id >> 27;
        id *= 0x94d049bb133111ebULL;
        id ^= id >> 31;
        return (size_t)(id & (CACHE_SLOTS - 1));
}

/* The index slot holding id, or the empty one where it would go. */
static size_t slot_of(const struct cgroup_resolver *r, uint64_t id)
{
        size_t i = home_slot(id);

        while (r->index[i] && r->entries[r->index[i] - 1].id != id)
                i = (i + 1) & (CACHE_SLOTS - 1);
        return i;
}

static struct entry *entry_of(struct cgroup_resolver *r, uint64_t id)
{
        size_t i = slot_of(r, id);

        return r->index[i] ? &r->entries[r->index[i] - 1] : NULL;
}

/* Linear probing's deletion: move later members of the run back into the hole. */
static void index_remove(struct cgroup_resolver *r, uint64_t id)
{
        size_t hole = slot_of(r, id), j = hole;

        r->index[hole] = 0;
        for (;;) {
                size_t home;

                j = (j + 1) & (CACHE_SLOTS - 1);
                if (!r->index[j])
                        return;
                home = home_slot(r->entries[r->index[j] - 1].id);
                /* movable unless its home lies cyclically in (hole, j] */
                if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
                        r->index[hole] = r->index[j];
                        r->index[j] = 0;
                        hole = j;
                }
        }
}

static void entry_clear(struct entry *e)
{
        free(e->path);
        *e = (struct entry){ .state = ENTRY_FREE };
}

/*
 * An entry for id (not cached yet): a never-used one while there are, else
 * the first one the clock hand finds unused since its last pass (second
 * chance), evicted. With make_room false, only a never-used one, or NULL.
 */
static struct entry *entry_new(struct cgroup_resolver *r, uint64_t id, bool make_room)
{
        struct entry *e;
        size_t n;

        if (r->used < CGROUP_RESOLVER_CACHE_MAX)
                n = r->used++;
        else if (!make_room)
                return NULL;
        else {
                for (;;) {
                        e = &r->entries[r->hand];
                        if (!e->referenced)
                                break;
                        e->referenced = false;
                        r->hand = (r->hand + 1) % CGROUP_RESOLVER_CACHE_MAX;
                }
                n = r->hand;
                r->hand = (r->hand + 1) % CGROUP_RESOLVER_CACHE_MAX;
                index_remove(r, e->id);
                entry_clear(e);
                r->stats.evictions++;
        }
        e = &r->entries[n];
        e->id = id;
        r->index[slot_of(r, id)] = (uint32_t)n + 1;
        return e;
}

/* The entry to (re)fill for id: its own if cached, else a new one. */
static struct entry *entry_claim(struct cgroup_resolver *r, uint64_t id)
{
        struct entry *e = entry_of(r, id);

        if (e) {
                free(e->path);
                e->path = NULL;
                return e;
        }
        return entry_new(r, id, true);
}

static const char *remember_found(struct cgroup_resolver *r, uint64_t id, char *path)
{
        struct entry *e = entry_claim(r, id);

        e->state = ENTRY_FOUND;
        e->path = path;
        e->referenced = true;
        return path;
}

static void remember_gone(struct cgroup_resolver *r, uint64_t id, uint64_t now)
{
        struct entry *e = entry_claim(r, id);

        e->state = ENTRY_GONE;
        e->expires_ns = now + (uint64_t)CGROUP_RESOLVER_GONE_TTL_MS * 1000000u;
        e->referenced = false;
}

/* A scan's by-catch: cached only while never-used entries remain; evicts nothing. */
static int remember_passing(struct cgroup_resolver *r, uint64_t id, const char *path)
{
        struct entry *e;
        char *p;

        if (r->used >= CGROUP_RESOLVER_CACHE_MAX || entry_of(r, id))
                return 0;
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        e = entry_new(r, id, false);
        e->state = ENTRY_FOUND;
        e->path = p;
        return 0;
}

/* The kernel's name for the directory open as fd, relative to the mount. */
static int path_of_fd(struct cgroup_resolver *r, int fd, uint64_t id, char **ret)
{
        static const char deleted[] = " (deleted)";
        char link[32], buf[PATH_MAX];
        const char *rel;
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, buf, sizeof(buf));
        if (n < 0)
                return -errno;
        if ((size_t)n >= sizeof(buf))
                return -ENAMETOOLONG;
        buf[n] = '\0';

        if (r->mount_len == 1)
                rel = buf;
        else if (strncmp(buf, r->mount, r->mount_len) == 0 && (buf[r->mount_len] == '/' || !buf[r->mount_len]))
                rel = buf + r->mount_len;
        else
                return -EXDEV; /* not below our mount: a namespace we do not see */
        if (!*rel)
                rel = "/";

        /* Removed while we held it: d_path() says so. Unless a cgroup is really called that. */
        if ((size_t)n > strlen(deleted) && strcmp(buf + n - strlen(deleted), deleted) == 0) {
                struct stat st;

                if (fstatat(r->mount_fd, rel + 1, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_ino != id)
                        return -ENOENT;
        }

        *ret = strdup(rel);
        return *ret ? 0 : -ENOMEM;
}

static int resolve_by_handle(struct cgroup_resolver *r, uint64_t id, char **ret)
{
        union {
                struct file_handle fh;
                alignas(uint64_t) unsigned char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
        } h;
        int fd, k;

        h.fh.handle_bytes = sizeof(uint64_t);
        h.fh.handle_type = FILEID_KERNFS;
        memcpy(h.fh.f_handle, &id, sizeof(id));

        r->stats.by_handle++;
        fd = open_by_handle_at(r->mount_fd, &h.fh, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ESTALE || errno == ENOENT)
                        return -ENOENT;
                if (errno == EPERM || errno == EACCES || errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL)
                        return -EOPNOTSUPP;
                return -errno;
        }
        k = path_of_fd(r, fd, id, ret);
        close(fd);
        return k;
}

struct scan {
        struct cgroup_resolver *r;
        uint64_t id;
        char path[PATH_MAX];
        size_t len;
        char *found;
};

/* Depth-first through the directory open as fd (which it closes). */
static int scan_dir(struct scan *s, int fd, unsigned depth)
{
        struct dirent *de;
        DIR *d;
        int k = 0;

        d = fdopendir(fd);
        if (!d) {
                k = -errno;
                close(fd);
                return k;
        }
        while ((de = readdir(d))) {
                size_t len = s->len, nlen = strlen(de->d_name);
                uint64_t ino = de->d_ino;
                int sub;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (de->d_type == DT_UNKNOWN) {
                        struct stat st;

                        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                                continue;
                        ino = st.st_ino;
                } else if (de->d_type != DT_DIR)
                        continue;
                if (len + 1 + nlen >= sizeof(s->path))
                        continue;
                s->path[len] = '/';
                memcpy(s->path + len + 1, de->d_name, nlen + 1);
                s->len = len + 1 + nlen;

                if (ino == s->id && !s->found) {
                        s->found = strdup(s->path);
                        if (!s->found)
                                k = -ENOMEM;
                }
                if (k == 0)
                        k = remember_passing(s->r, ino, s->path);
                if (k == 0 && depth + 1 < CGROUP_RESOLVER_SCAN_DEPTH) {
                        sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                k = scan_dir(s, sub, depth + 1);
                        else if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
                                k = -errno; /* else removed under us, or not ours to read: skip it */
                }
                s->len = len;
                s->path[len] = '\0';
                if (k < 0)
                        break;
                /* Found, and no room left to cache the rest: stop early. */
                if (s->found && s->r->used >= CGROUP_RESOLVER_CACHE_MAX)
                        break;
        }
        closedir(d);
        return k;
}

/*
 * A scan that took d keeps the next one away for d * (100 / share - 1), and
 * at least the minimum gap: scanning gets at most that share of the time.
 */
static void scan_budget(struct cgroup_resolver *r, uint64_t start)
{
        uint64_t end = now_ns(), d = end - start, gap;

        r->stats.scan_ns += d;
        gap = d * (100 / CGROUP_RESOLVER_SCAN_PERCENT - 1);
        if (gap < (uint64_t)CGROUP_RESOLVER_SCAN_GAP_MS * 1000000u)
                gap = (uint64_t)CGROUP_RESOLVER_SCAN_GAP_MS * 1000000u;
        r->next_scan_ns = end + gap;
}

static int resolve_by_scan(struct cgroup_resolver *r, uint64_t id, uint64_t now, char **ret)
{
        struct scan *s;
        int fd, k;

        if (id == r->root_id) {
                *ret = strdup("/");
                return *ret ? 0 : -ENOMEM;
        }
        if (now < r->next_scan_ns) {
                r->stats.scans_refused++;
                return -EAGAIN;
        }
        r->stats.scans++;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->r = r;
        s->id = id;
        fd = openat(r->mount_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        k = fd < 0 ? -errno : scan_dir(s, fd, 0);
        scan_budget(r, now);
        if (s->found) /* even if the walk stopped short afterwards */
                k = 0;
        else if (k == 0)
                k = -ENOENT;
        if (k == 0)
                *ret = s->found;
        free(s);
        return k;
}

int cgroup_resolver_lookup(struct cgroup_resolver *r, uint64_t id, const char **path)
{
        struct entry *e;
        uint64_t now = 0;
        char *p = NULL;
        int k;

        if (!r || !path)
                return -EINVAL;
        r->stats.lookups++;

        e = entry_of(r, id);
        if (e && e->state == ENTRY_FOUND) {
                r->stats.cached++;
                e->referenced = true;
                *path = e->path;
                return 0;
        }
        if (e && e->state == ENTRY_GONE) {
                now = now_ns();
                if (now < e->expires_ns) {
                        r->stats.cached++;
                        r->stats.gone++;
                        return -ENOENT;
                }
        }

        k = -EOPNOTSUPP;
        if (!r->scan_only) {
                k = resolve_by_handle(r, id, &p);
                if (k == -EOPNOTSUPP)
                        r->scan_only = true;
        }
        if (k == -EOPNOTSUPP) {
                if (!now)
                        now = now_ns();
                k = resolve_by_scan(r, id, now, &p);
        }
        if (k == 0) {
                *path = remember_found(r, id, p);
                return 0;
        }
        if (k == -ENOENT) {
                r->stats.gone++;
                remember_gone(r, id, now ? now : now_ns());
        }
        return k;
}

static int unoctal(char *s)
{
        char *w = s;

        for (const char *q = s; *q;) {
                if (q[0] == '\\' && q[1] >= '0' && q[1] <= '3' && q[2] >= '0' && q[2] <= '7' && q[3] >= '0' &&
                    q[3] <= '7') {
                        *w++ = (char)((q[1] - '0') * 64 + (q[2] - '0') * 8 + (q[3] - '0'));
                        q += 4;
                } else
                        *w++ = *q++;
        }
        *w = '\0';
        return (int)(w - s);
}

int cgroup2_mount_from_mountinfo(FILE *mountinfo, char *buf, size_t size)
{
        char *line = NULL;
        size_t cap = 0;
        int k = -ENOMEDIUM;

        while (getline(&line, &cap, mountinfo) > 0) {
                char *save = NULL, *field[5], *t, *dash;
                int n = 0, len;

                /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
                dash = strstr(line, " - ");
                if (!dash)
                        continue;
                *dash = '\0';
                t = strtok_r(dash + 3, " \n", &save);
                if (!t || strcmp(t, "cgroup2") != 0)
                        continue;
                save = NULL;
                for (t = strtok_r(line, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
                        field[n++] = t;
                if (n < 5 || strcmp(field[3], "/") != 0)
                        continue;
                len = unoctal(field[4]);
                if ((size_t)len >= size) {
                        k = -ENAMETOOLONG;
                        break;
                }
                memcpy(buf, field[4], (size_t)len + 1);
                k = len;
                break;
        }
        free(line);
        return k;
}

static int find_mount(char **ret)
{
        char buf[PATH_MAX];
        FILE *f;
        int k;

        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return -errno;
        k = cgroup2_mount_from_mountinfo(f, buf, sizeof(buf));
        fclose(f);
        if (k < 0)
                return k;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int cgroup_resolver_new_full(const char *mount, unsigned flags, struct cgroup_resolver **ret)
{
        struct cgroup_resolver *r;
        struct statfs sfs;
        struct stat st;
        int k;

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->mount_fd = -1;
        r->scan_only = flags & CGROUP_RESOLVER_SCAN_ONLY;
        if (mount) {
                r->mount = strdup(mount);
                k = r->mount ? 0 : -ENOMEM;
        } else
                k = find_mount(&r->mount);
        if (k < 0)
                goto fail;
        r->mount_len = strlen(r->mount);
        /* "/sys/fs/cgroup/" and "/sys/fs/cgroup" are the same mount; readlink says the latter */
        while (r->mount_len > 1 && r->mount[r->mount_len - 1] == '/')
                r->mount[--r->mount_len] = '\0';

        r->mount_fd = open(r->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (r->mount_fd < 0) {
                k = -errno;
                goto fail;
        }
        if (fstat(r->mount_fd, &st) < 0 || fstatfs(r->mount_fd, &sfs) < 0) {
                k = -errno;
                goto fail;
        }
        if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
                k = -ENOMEDIUM;
                goto fail;
        }
        r->root_id = st.st_ino;
        r->entries = calloc(CGROUP_RESOLVER_CACHE_MAX, sizeof(*r->entries));
        r->index = calloc(CACHE_SLOTS, sizeof(*r->index));
        if (!r->entries || !r->index) {
                k = -ENOMEM;
                goto fail;
        }
        *ret = r;
        return 0;
fail:
        cgroup_resolver_free(r);
        return k;
}

int cgroup_resolver_new(struct cgroup_resolver **ret)
{
        return cgroup_resolver_new_full(NULL, 0, ret);
}

const char *cgroup_resolver_mount(const struct cgroup_resolver *r)
{
        return r->mount;
}

void cgroup_resolver_get_stats(const struct cgroup_resolver *r, struct cgroup_resolver_stats *ret)
{
        *ret = r->stats;
        ret->entries = r->used;
        ret->scan_only = r->scan_only;
}

struct cgroup_resolver *cgroup_resolver_free(struct cgroup_resolver *r)
{
        if (!r)
                return NULL;
        if (r->entries)
                for (size_t i = 0; i < r->used; i++)
                        entry_clear(&r->entries[i]);
        free(r->entries);
        free(r->index);
        if (r->mount_fd >= 0)
                close(r->mount_fd);
        free(r->mount);
        free(r);
        return NULL;
}
