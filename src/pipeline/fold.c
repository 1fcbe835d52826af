/* SPDX-License-Identifier: MIT */
#include "fold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "decode.h"

/*
 * Keys added since the bucket array's pages were last given back past which,
 * once the table is empty again, they are given back: a burst touches all of
 * them (1 MiB at FOLD_MAX_KEYS), and nothing else would return them.
 */
#define RELEASE_AFTER_KEYS 4096

const char *const coalesce_by_names[] = { "process", "command", NULL };

struct fold_entry {
        struct fold_entry *chain;       /* the next entry in this hash bucket */
        struct fold_entry *next, *prev; /* in window order */
        struct fold_group *group;       /* the entries of its key but the name */
        struct fold_entry *gnext, *gprev;
        uint64_t hash;
        uint64_t number; /* in the order entries were made: fold_made(), fold_done() */
        uint64_t deadline_ns;
        uint64_t count;
        uint64_t first_ns, last_ns; /* CLOCK_BOOTTIME of the first and the last open */
        uint32_t *pids;             /* command: distinct pids, sorted */
        uint32_t n_pids, pids_cap;
        bool in_table; /* false once closed early: still pending, no longer matched */
        size_t bytes;
        unsigned char head[OPEN_EVENT_HEADER_SIZE]; /* the first open, without its path */
        char path[];                                /* open_event_path_bytes() and a NUL */
};

/* The pending entries of one key but the name (fold_gather()), in the order they were made. */
struct fold_group {
        struct fold_group *chain; /* the next group in this hash bucket */
        uint64_t hash;
        struct fold_entry *first, *last;
        size_t n;
};

struct fold {
        enum coalesce_by by;
        uint64_t window_ns;
        size_t max_keys, max_bytes;
        struct fold_entry **buckets; /* mmap'd, with groups': their pages can be given back */
        struct fold_group **groups;  /* the second half of the same mapping */
        size_t n_buckets;            /* a power of two, of each */
        size_t added;                /* keys added since the buckets' pages were last given back */
        struct fold_entry *oldest, *newest;
        size_t keys, bytes;
        uint64_t opens;
        uint64_t made; /* entries made: the next one's number */
        struct fold_entry *gathered[FOLD_NAMES_MAX];
        size_t n_gathered;
};

static size_t round_up_pow2(size_t v)
{
        size_t p = 1;

        while (p < v)
                p <<= 1;
        return p;
}

/* The names' buckets, then the groups': one mapping. */
static size_t buckets_size(const struct fold *f)
{
        return f->n_buckets * (sizeof(*f->buckets) + sizeof(*f->groups));
}

int fold_new(enum coalesce_by by, uint64_t window_ns, size_t max_keys, size_t max_bytes, struct fold **ret)
{
        struct fold *f = calloc(1, sizeof(*f));

        if (!f)
                return -ENOMEM;
        f->by = by;
        f->window_ns = window_ns;
        f->max_keys = max_keys ? max_keys : 1;
        f->max_bytes = max_bytes;
        f->n_buckets = round_up_pow2(f->max_keys * 2);
        f->buckets = mmap(NULL, buckets_size(f), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (f->buckets == MAP_FAILED) {
                free(f);
                return -ENOMEM;
        }
        f->groups = (struct fold_group **)(f->buckets + f->n_buckets);
        *ret = f;
        return 0;
}

struct fold *fold_free(struct fold *f)
{
        if (!f)
                return NULL;
        fold_discard(f);
        munmap(f->buckets, buckets_size(f));
        free(f);
        return NULL;
}

int fold_configure(struct fold *f, enum coalesce_by by, uint64_t window_ns)
{
        if (f->keys)
                return -EBUSY;
        f->by = by;
        f->window_ns = window_ns;
        return 0;
}

/* What the outcome of an open is for folding: success (any fd), or its errno. */
static int64_t outcome(const struct open_event *ev)
{
        return ev->result >= 0 ? 0 : ev->result;
}

/* FNV-1a, 64 bits. */
static uint64_t mix(uint64_t h, const void *data, size_t len)
{
        const unsigned char *p = data;

        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= 0x100000001b3ull;
        }
        return h;
}

/* The key but the name: by process, the pid; by command, the command and cgroup; and the uid and gid. */
static uint64_t group_hash(const struct fold *f, const struct open_event *ev)
{
        uint64_t h = 0xcbf29ce484222325ull;

        if (f->by == COALESCE_BY_PROCESS) {
                h = mix(h, &ev->pid, sizeof(ev->pid));
        } else {
                h = mix(h, ev->comm, strnlen(ev->comm, OPEN_COMM_LEN));
                h = mix(h, &ev->cgroup_id, sizeof(ev->cgroup_id));
        }
        h = mix(h, &ev->uid, sizeof(ev->uid));
        return mix(h, &ev->gid, sizeof(ev->gid));
}

static uint64_t key_hash(const struct fold *f, const struct open_event *ev)
{
        int64_t out = outcome(ev);
        uint64_t h = group_hash(f, ev);

        h = mix(h, &ev->flags, sizeof(ev->flags));
        h = mix(h, &out, sizeof(out));
        return mix(h, ev->path, open_event_path_bytes(ev));
}

static bool group_equal(const struct fold *f, const struct open_event *a, const struct open_event *ev)
{
        if (f->by == COALESCE_BY_PROCESS) {
                if (a->pid != ev->pid)
                        return false;
        } else if (a->cgroup_id != ev->cgroup_id || strncmp(a->comm, ev->comm, OPEN_COMM_LEN) != 0) {
                return false;
        }
        return a->uid == ev->uid && a->gid == ev->gid;
}

static bool key_equal(const struct fold *f, const struct fold_entry *e, const struct open_event *ev)
{
        struct open_event a; /* the header only: head is not aligned for the struct */

        memcpy(&a, e->head, OPEN_EVENT_HEADER_SIZE);
        return group_equal(f, &a, ev) && a.flags == ev->flags && a.mode == ev->mode &&
               outcome(&a) == outcome(ev) && a.syscall == ev->syscall && a.interpreter == ev->interpreter &&
               a.event_flags == ev->event_flags && a.path_len == ev->path_len && a.abs_len == ev->abs_len &&
               memcmp(e->path, ev->path, open_event_path_bytes(ev)) == 0;
}

static struct fold_entry **bucket_of(struct fold *f, uint64_t hash)
{
        return &f->buckets[hash & (f->n_buckets - 1)];
}

static void unlink_from_table(struct fold *f, struct fold_entry *e)
{
        if (!e->in_table)
                return;
        for (struct fold_entry **pp = bucket_of(f, e->hash); *pp; pp = &(*pp)->chain) {
                if (*pp == e) {
                        *pp = e->chain;
                        break;
                }
        }
        e->in_table = false;
}

/* Adds pid to e's sorted set. 0, or -ENOSPC when the set is full, -ENOMEM. */
static int add_pid(struct fold *f, struct fold_entry *e, uint32_t pid)
{
        size_t lo = 0, hi = e->n_pids;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (e->pids[mid] == pid)
                        return 0;
                if (e->pids[mid] < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (e->n_pids == e->pids_cap) {
                uint32_t cap = e->pids_cap ? e->pids_cap * 2 : 4;
                uint32_t *grown;

                if (e->n_pids >= FOLD_MAX_PIDS || f->bytes + (cap - e->pids_cap) * sizeof(uint32_t) > f->max_bytes)
                        return -ENOSPC;
                grown = realloc(e->pids, cap * sizeof(uint32_t));
                if (!grown)
                        return -ENOMEM;
                f->bytes += (cap - e->pids_cap) * sizeof(uint32_t);
                e->bytes += (cap - e->pids_cap) * sizeof(uint32_t);
                e->pids = grown;
                e->pids_cap = cap;
        }
        memmove(e->pids + lo + 1, e->pids + lo, (e->n_pids - lo) * sizeof(uint32_t));
        e->pids[lo] = pid;
        e->n_pids++;
        return 0;
}

/* Puts e last in its group, which is made if it has no entry pending. 0 or -ENOSPC, -ENOMEM. */
static int join_group(struct fold *f, struct fold_entry *e, const struct open_event *ev)
{
        uint64_t hash = group_hash(f, ev);
        struct fold_group **bucket = &f->groups[hash & (f->n_buckets - 1)], *g;

        for (g = *bucket; g; g = g->chain) {
                struct open_event a;

                if (g->hash != hash)
                        continue;
                memcpy(&a, g->first->head, OPEN_EVENT_HEADER_SIZE);
                if (group_equal(f, &a, ev))
                        break;
        }
        if (!g) {
                if (f->bytes + sizeof(*g) > f->max_bytes)
                        return -ENOSPC;
                g = calloc(1, sizeof(*g));
                if (!g)
                        return -ENOMEM;
                g->hash = hash;
                g->chain = *bucket;
                *bucket = g;
                f->bytes += sizeof(*g);
        }
        e->group = g;
        e->gprev = g->last;
        if (g->last)
                g->last->gnext = e;
        else
                g->first = e;
        g->last = e;
        g->n++;
        return 0;
}

static void leave_group(struct fold *f, struct fold_entry *e)
{
        struct fold_group *g = e->group;

        if (e->gprev)
                e->gprev->gnext = e->gnext;
        else
                g->first = e->gnext;
        if (e->gnext)
                e->gnext->gprev = e->gprev;
        else
                g->last = e->gprev;
        if (--g->n > 0)
                return;
        for (struct fold_group **pp = &f->groups[g->hash & (f->n_buckets - 1)]; *pp; pp = &(*pp)->chain) {
                if (*pp == g) {
                        *pp = g->chain;
                        break;
                }
        }
        f->bytes -= sizeof(*g);
        free(g);
}

static int new_entry(struct fold *f, const struct open_event *ev, uint64_t n, uint64_t first_ns, uint64_t hash,
                     uint64_t now_ns)
{
        size_t bytes = sizeof(struct fold_entry) + open_event_path_bytes(ev) + 1;
        struct fold_entry *e;
        int r;

        if (f->keys >= f->max_keys || f->bytes + bytes > f->max_bytes)
                return -ENOSPC;
        e = calloc(1, bytes);
        if (!e)
                return -ENOMEM;
        e->hash = hash;
        e->deadline_ns = now_ns + f->window_ns;
        e->count = n;
        e->first_ns = first_ns;
        e->last_ns = ev->boot_ns;
        e->bytes = bytes;
        memcpy(e->head, ev, OPEN_EVENT_HEADER_SIZE);
        memcpy(e->path, ev->path, open_event_path_bytes(ev));
        f->bytes += bytes;
        r = f->by == COALESCE_BY_COMMAND ? add_pid(f, e, ev->pid) : 0;
        if (r == 0)
                r = join_group(f, e, ev);
        if (r < 0) {
                f->bytes -= e->bytes;
                free(e->pids);
                free(e);
                return r;
        }
        e->number = f->made++;
        e->in_table = true;
        e->chain = *bucket_of(f, hash);
        *bucket_of(f, hash) = e;
        e->prev = f->newest;
        if (f->newest)
                f->newest->next = e;
        else
                f->oldest = e;
        f->newest = e;
        f->keys++;
        f->added++;
        f->opens += n;
        return 0;
}

int fold_add(struct fold *f, const struct open_event *ev, uint64_t now_ns)
{
        return fold_add_n(f, ev, 1, ev->boot_ns, now_ns);
}

int fold_add_n(struct fold *f, const struct open_event *ev, uint64_t n, uint64_t first_ns, uint64_t now_ns)
{
        uint64_t hash = key_hash(f, ev);

        for (struct fold_entry *e = *bucket_of(f, hash); e; e = e->chain) {
                int r;

                if (e->hash != hash || !key_equal(f, e, ev))
                        continue;
                if (f->by == COALESCE_BY_COMMAND) {
                        r = add_pid(f, e, ev->pid);
                        if (r == -ENOSPC) {
                                /* this entry is full: it waits for its time, a new one takes the key */
                                unlink_from_table(f, e);
                                break;
                        }
                        if (r < 0)
                                return r;
                }
                e->count += n;
                if (ev->boot_ns > e->last_ns)
                        e->last_ns = ev->boot_ns;
                if (first_ns < e->first_ns)
                        e->first_ns = first_ns;
                f->opens += n;
                return 0;
        }
        return new_entry(f, ev, n, first_ns, hash, now_ns);
}

static void copy_out(const struct fold *f, const struct fold_entry *e, struct open_event *ev, struct open_fold *info)
{
        memcpy(ev, e->head, OPEN_EVENT_HEADER_SIZE);
        memcpy(ev->path, e->path, open_event_path_bytes(ev));
        ev->path[ev->path_len] = '\0';
        ev->path[open_event_path_bytes(ev)] = '\0';
        *info = (struct open_fold){
                .count = e->count,
                .first_ns = e->first_ns,
                .last_ns = e->last_ns,
                .pids = f->by == COALESCE_BY_COMMAND ? e->n_pids : 0,
        };
}

bool fold_oldest(struct fold *f, uint64_t now_ns, struct open_event *ev, struct open_fold *info)
{
        struct fold_entry *e = f->oldest;

        if (!e || e->deadline_ns > now_ns)
                return false;
        copy_out(f, e, ev, info);
        return true;
}

/* Forgets e, wherever it is in the window order. */
static void remove_entry(struct fold *f, struct fold_entry *e)
{
        unlink_from_table(f, e);
        leave_group(f, e);
        if (e->prev)
                e->prev->next = e->next;
        else
                f->oldest = e->next;
        if (e->next)
                e->next->prev = e->prev;
        else
                f->newest = e->prev;
        f->keys--;
        f->bytes -= e->bytes;
        f->opens -= e->count;
        free(e->pids);
        free(e);
        if (f->keys == 0 && f->added > RELEASE_AFTER_KEYS) {
                /* every bucket is empty (NULL): the kernel's zero pages say the same */
                (void)madvise(f->buckets, buckets_size(f), MADV_DONTNEED);
                f->added = 0;
        }
}

void fold_pop(struct fold *f)
{
        f->n_gathered = 0;
        if (f->oldest)
                remove_entry(f, f->oldest);
}

/* What a name takes of an entry of many names, at most (fields.h): its path's, and its absolute path's. */
static void name_cost(const struct fold_entry *e, struct fields_cost *c)
{
        struct open_event a;

        memcpy(&a, e->head, OPEN_EVENT_HEADER_SIZE);
        fields_name_cost(e->path, a.path_len, (a.event_flags & OPEN_EVENT_ABS) ? e->path + a.path_len + 1 : NULL,
                         a.abs_len, c);
}

size_t fold_gather(struct fold *f)
{
        struct fold_entry *oldest = f->oldest;
        struct fields_cost room = { FIELDS_NAMES_IOVS, FIELDS_NAMES_BYTES };

        f->n_gathered = 0;
        if (!oldest)
                return 0;
        struct fields_cost c;

        f->gathered[f->n_gathered++] = oldest; /* whatever its cost: a name always fits an entry of its own */
        name_cost(oldest, &c);
        room.iovs -= c.iovs < room.iovs ? c.iovs : room.iovs;
        room.bytes -= c.bytes < room.bytes ? c.bytes : room.bytes;
        for (struct fold_entry *e = oldest->group->first; e && f->n_gathered < FOLD_NAMES_MAX; e = e->gnext) {
                if (e == oldest)
                        continue;
                name_cost(e, &c);
                if (c.iovs > room.iovs || c.bytes > room.bytes)
                        break; /* the rest wait for an entry of their own, in order */
                room.iovs -= c.iovs;
                room.bytes -= c.bytes;
                f->gathered[f->n_gathered++] = e;
        }
        return f->n_gathered;
}

void fold_gathered(const struct fold *f, size_t i, struct open_event *ev, struct open_fold *info)
{
        copy_out(f, f->gathered[i], ev, info);
}

static int by_value(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

        return (x > y) - (x < y);
}

int fold_gathered_pids(const struct fold *f, uint32_t *ret)
{
        size_t total = 0, n = 0, distinct = 0;
        uint32_t *all;

        *ret = 0;
        if (f->by != COALESCE_BY_COMMAND)
                return 0;
        for (size_t i = 0; i < f->n_gathered; i++)
                total += f->gathered[i]->n_pids;
        all = malloc(total * sizeof(*all) + 1);
        if (!all)
                return -ENOMEM;
        for (size_t i = 0; i < f->n_gathered; i++) {
                memcpy(all + n, f->gathered[i]->pids, f->gathered[i]->n_pids * sizeof(*all));
                n += f->gathered[i]->n_pids;
        }
        qsort(all, n, sizeof(*all), by_value);
        for (size_t i = 0; i < n; i++)
                if (i == 0 || all[i] != all[i - 1])
                        distinct++;
        free(all);
        *ret = (uint32_t)distinct;
        return 0;
}

void fold_pop_gathered(struct fold *f)
{
        for (size_t i = 0; i < f->n_gathered; i++)
                remove_entry(f, f->gathered[i]);
        f->n_gathered = 0;
}

uint64_t fold_made(const struct fold *f)
{
        return f->made;
}

uint64_t fold_done(const struct fold *f)
{
        return f->oldest ? f->oldest->number : f->made;
}

size_t fold_keys(const struct fold *f)
{
        return f->keys;
}

uint64_t fold_opens(const struct fold *f)
{
        return f->opens;
}

size_t fold_bytes(const struct fold *f)
{
        return f->bytes;
}

static uint32_t entry_uid(const struct fold_entry *e)
{
        uint32_t uid;

        memcpy(&uid, e->head + offsetof(struct open_event, uid), sizeof(uid));
        return uid;
}

void fold_each_pending(const struct fold *f, void (*fn)(uint32_t uid, uint64_t opens, void *ctx), void *ctx)
{
        for (const struct fold_entry *e = f->oldest; e; e = e->next)
                fn(entry_uid(e), e->count, ctx);
}

struct ranked {
        struct fold_entry *e;
        uint64_t rank;
        size_t age; /* its place before: keeps the order within a rank (qsort is not stable) */
};

static int by_rank(const void *a, const void *b)
{
        const struct ranked *x = a, *y = b;

        if (x->rank != y->rank)
                return x->rank < y->rank ? -1 : 1;
        return (x->age > y->age) - (x->age < y->age);
}

int fold_reorder(struct fold *f, uint64_t (*rank)(uint32_t uid, void *ctx), void *ctx)
{
        struct ranked *all;
        size_t n = 0;

        if (f->keys < 2)
                return 0;
        all = malloc(f->keys * sizeof(*all));
        if (!all)
                return -ENOMEM;
        for (struct fold_entry *e = f->oldest; e; e = e->next, n++)
                all[n] = (struct ranked){ e, rank(entry_uid(e), ctx), n };
        qsort(all, n, sizeof(*all), by_rank);
        for (size_t i = 0; i < n; i++) {
                all[i].e->prev = i > 0 ? all[i - 1].e : NULL;
                all[i].e->next = i + 1 < n ? all[i + 1].e : NULL;
        }
        f->oldest = all[0].e;
        f->newest = all[n - 1].e;
        free(all);
        return 0;
}

uint64_t fold_discard(struct fold *f)
{
        uint64_t opens = f->opens;

        while (f->oldest)
                fold_pop(f);
        return opens;
}
