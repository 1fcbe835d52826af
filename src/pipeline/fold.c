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
        struct fold_entry *chain; /* the next entry in this hash bucket */
        struct fold_entry *next;  /* the next entry in window order */
        uint64_t hash;
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

struct fold {
        enum coalesce_by by;
        uint64_t window_ns;
        size_t max_keys, max_bytes;
        struct fold_entry **buckets; /* mmap'd: its pages can be given back */
        size_t n_buckets;            /* a power of two */
        size_t added;                /* keys added since the buckets' pages were last given back */
        struct fold_entry *oldest, *newest;
        size_t keys, bytes;
        uint64_t opens;
};

static size_t round_up_pow2(size_t v)
{
        size_t p = 1;

        while (p < v)
                p <<= 1;
        return p;
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
        f->buckets = mmap(NULL, f->n_buckets * sizeof(*f->buckets), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                          -1, 0);
        if (f->buckets == MAP_FAILED) {
                free(f);
                return -ENOMEM;
        }
        *ret = f;
        return 0;
}

struct fold *fold_free(struct fold *f)
{
        if (!f)
                return NULL;
        fold_discard(f);
        munmap(f->buckets, f->n_buckets * sizeof(*f->buckets));
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

static uint64_t key_hash(const struct fold *f, const struct open_event *ev)
{
        int64_t out = outcome(ev);
        uint64_t h = 0xcbf29ce484222325ull;

        if (f->by == COALESCE_BY_PROCESS) {
                h = mix(h, &ev->pid, sizeof(ev->pid));
        } else {
                h = mix(h, ev->comm, strnlen(ev->comm, OPEN_COMM_LEN));
                h = mix(h, &ev->cgroup_id, sizeof(ev->cgroup_id));
        }
        h = mix(h, &ev->uid, sizeof(ev->uid));
        h = mix(h, &ev->flags, sizeof(ev->flags));
        h = mix(h, &out, sizeof(out));
        return mix(h, ev->path, open_event_path_bytes(ev));
}

static bool key_equal(const struct fold *f, const struct fold_entry *e, const struct open_event *ev)
{
        struct open_event a; /* the header only: head is not aligned for the struct */

        memcpy(&a, e->head, OPEN_EVENT_HEADER_SIZE);
        if (f->by == COALESCE_BY_PROCESS) {
                if (a.pid != ev->pid)
                        return false;
        } else if (a.cgroup_id != ev->cgroup_id || strncmp(a.comm, ev->comm, OPEN_COMM_LEN) != 0) {
                return false;
        }
        return a.uid == ev->uid && a.gid == ev->gid && a.flags == ev->flags && a.mode == ev->mode &&
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

static int new_entry(struct fold *f, const struct open_event *ev, uint64_t hash, uint64_t now_ns)
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
        e->count = 1;
        e->first_ns = e->last_ns = ev->boot_ns;
        e->bytes = bytes;
        memcpy(e->head, ev, OPEN_EVENT_HEADER_SIZE);
        memcpy(e->path, ev->path, open_event_path_bytes(ev));
        f->bytes += bytes;
        if (f->by == COALESCE_BY_COMMAND) {
                r = add_pid(f, e, ev->pid);
                if (r < 0) {
                        f->bytes -= e->bytes;
                        free(e);
                        return r;
                }
        }
        e->in_table = true;
        e->chain = *bucket_of(f, hash);
        *bucket_of(f, hash) = e;
        if (f->newest)
                f->newest->next = e;
        else
                f->oldest = e;
        f->newest = e;
        f->keys++;
        f->added++;
        f->opens++;
        return 0;
}

int fold_add(struct fold *f, const struct open_event *ev, uint64_t now_ns)
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
                e->count++;
                if (ev->boot_ns > e->last_ns)
                        e->last_ns = ev->boot_ns;
                if (ev->boot_ns < e->first_ns)
                        e->first_ns = ev->boot_ns;
                f->opens++;
                return 0;
        }
        return new_entry(f, ev, hash, now_ns);
}

bool fold_oldest(struct fold *f, uint64_t now_ns, struct open_event *ev, struct open_fold *info)
{
        struct fold_entry *e = f->oldest;

        if (!e || e->deadline_ns > now_ns)
                return false;
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
        return true;
}

void fold_pop(struct fold *f)
{
        struct fold_entry *e = f->oldest;

        if (!e)
                return;
        unlink_from_table(f, e);
        f->oldest = e->next;
        if (!f->oldest)
                f->newest = NULL;
        f->keys--;
        f->bytes -= e->bytes;
        f->opens -= e->count;
        free(e->pids);
        free(e);
        if (f->keys == 0 && f->added > RELEASE_AFTER_KEYS) {
                /* every bucket is empty (NULL): the kernel's zero pages say the same */
                (void)madvise(f->buckets, f->n_buckets * sizeof(*f->buckets), MADV_DONTNEED);
                f->added = 0;
        }
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
        for (size_t i = 0; i + 1 < n; i++)
                all[i].e->next = all[i + 1].e;
        all[n - 1].e->next = NULL;
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
