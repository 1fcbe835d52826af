/* SPDX-License-Identifier: MIT */
#include "pipeline.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "enrich.h"

/*
 * The open that made a repeat slot, as it was pushed (decoded, its unit
 * decided): the repeats the kernel counted in the slot are more of it.
 */
struct repeat_origin {
        uint32_t gen;  /* the slot's generation it made; 0: none */
        bool dropped;  /* Units= dropped it: its repeats go the same way */
        size_t bytes;  /* of event */
        struct open_event *event;
};

struct pipeline {
        struct sink *sink;
        struct counters *c;
        struct enrich *enrich;     /* NULL: no cgroup2 mount, no attribution */
        struct unit_filter *units; /* NULL: Units= is decided in the kernel only */
        struct attribution who;
        struct fold *fold;
        bool folding;
        bool names; /* CoalesceNames= */
        unsigned applied; /* the generation of the settings in use */
        _Atomic unsigned requested;
        struct backlog *stop_backlog; /* pipeline_stop_order()'s; while set, names are no longer released */
        uint64_t newest_ns;          /* the newest record's CLOCK_BOOTTIME */
        _Atomic uint64_t want_window_ns;
        _Atomic int want_by;
        _Atomic bool want_names;
        struct open_event event; /* 4 KiB: too large for the stack of every call */
        struct open_event folded;
        struct open_event name; /* one of an entry's many names, as the sink reads them */
        struct repeat_origin *origins; /* by repeat slot, less one; grown to the highest seen */
        size_t n_origins;
};

int pipeline_new(struct sink *sink, struct enrich *enrich, struct counters *c, const struct coalesce *co,
                 struct pipeline **ret)
{
        struct pipeline *p = calloc(1, sizeof(*p));
        int r;

        if (!p)
                return -ENOMEM;
        p->sink = sink;
        p->enrich = enrich;
        p->c = c;
        p->folding = co->window_ns > 0;
        p->names = co->names;
        atomic_store(&p->want_window_ns, co->window_ns);
        atomic_store(&p->want_by, (int)co->by);
        atomic_store(&p->want_names, co->names);
        r = fold_new(co->by, co->window_ns, FOLD_MAX_KEYS, FOLD_MAX_BYTES, &p->fold);
        if (r < 0) {
                free(p);
                return r;
        }
        *ret = p;
        return 0;
}

struct pipeline *pipeline_free(struct pipeline *p)
{
        if (!p)
                return NULL;
        fold_free(p->fold);
        backlog_free(p->stop_backlog);
        for (size_t i = 0; i < p->n_origins; i++)
                free(p->origins[i].event);
        free(p->origins);
        free(p);
        return NULL;
}

void pipeline_set_unit_filter(struct pipeline *p, struct unit_filter *units)
{
        p->units = units;
}

/* Units=/ExcludeUnits= on a cgroup the kernel had no verdict for: whether to drop the open. */
static bool unit_filtered(struct pipeline *p, int resolved)
{
        struct open_event *ev = &p->event;

        if (!(ev->event_flags & OPEN_EVENT_UNIT_UNDECIDED))
                return false;
        ev->event_flags = (__u16)(ev->event_flags & ~OPEN_EVENT_UNIT_UNDECIDED);
        /* unresolved (the cgroup is gone): recorded; an audit trail errs on the side of recording */
        return p->units &&
               unit_filter_decide(p->units, ev->cgroup_id, resolved == 0 ? p->who.cgroup : NULL) == FILTER_EXCLUDE;
}

/* What became of n opens of uid that the sink was offered: written (r 0), or never to be. */
static void count_outcome(struct pipeline *p, int r, uint32_t uid, uint64_t n)
{
        if (r == 0)
                atomic_fetch_add(&p->c->written, n);
        else
                counters_undelivered(p->c, uid, n);
}

/* The last stages for one entry: enrich (who made the open), then the sink. */
static int write_entry(struct pipeline *p, const struct open_event *ev, const struct open_fold *fold)
{
        struct open_context ctx = { .fold = fold };
        int r;

        if (p->enrich && enrich_lookup(p->enrich, ev->cgroup_id, &p->who) == 0)
                ctx.who = &p->who;
        r = sink_write_event(p->sink, ev, &ctx);
        /* what cannot be named is said: the entry has only OPEN_CGROUP_ID */
        if (r == 0 && p->enrich && !ctx.who)
                atomic_fetch_add(&p->c->unnamed, fold ? fold->count : 1);
        return r;
}

/*
 * A cgroup made or removed. Every record of an open in it came before its
 * removal's (the kernel side's ring buffer keeps that order), so all of them
 * are written, or pending in the fold, by now: its name goes once the entries
 * pending now have been written, and a grace period has passed for a record
 * that is late (the perf buffers keep each CPU's order only).
 */
static void learn_cgroup(struct pipeline *p)
{
        int r;

        if (!p->enrich)
                return;
        r = enrich_learn(p->enrich, &p->event, fold_made(p->fold));
        if (r < 0)
                atomic_fetch_add(&p->c->names_unkept, 1);
        if (!p->stop_backlog)
                enrich_release(p->enrich, fold_done(p->fold), p->newest_ns);
}

static void gathered_name(const void *fold, size_t i, struct open_event *ev, struct open_fold *info)
{
        fold_gathered(fold, i, ev, info);
}

/* An entry of the n names fold_gather() took; *opens: how many opens they stand for. */
static int write_names(struct pipeline *p, size_t n, uint64_t *opens)
{
        struct open_names names = { .n = n, .name = gathered_name, .src = p->fold, .ev = &p->name };
        struct open_context ctx = { 0 };
        struct open_fold info;
        int r;

        *opens = 0;
        for (size_t i = 0; i < n; i++) {
                fold_gathered(p->fold, i, &p->name, &info);
                *opens += info.count;
        }
        r = fold_gathered_pids(p->fold, &names.pids);
        if (r < 0)
                return -EAGAIN; /* no memory for the pids now: the names wait, as the sink's refusal makes them */
        if (p->enrich && enrich_lookup(p->enrich, p->folded.cgroup_id, &p->who) == 0)
                ctx.who = &p->who;
        r = sink_write_names(p->sink, &names, &ctx);
        if (r == 0 && p->enrich && !ctx.who)
                atomic_fetch_add(&p->c->unnamed, *opens);
        return r;
}

/* Writes the oldest entry if it is due, with the other names of its key if CoalesceNames=. 1: written (or
 * counted), 0: none due, -EAGAIN. */
static int emit_oldest(struct pipeline *p, uint64_t now_ns)
{
        struct open_fold info;
        uint64_t opens = 0;
        size_t n = 1;
        int r;

        if (!fold_oldest(p->fold, now_ns, &p->folded, &info))
                return 0;
        if (p->names)
                n = fold_gather(p->fold);
        r = n > 1 ? write_names(p, n, &opens) : write_entry(p, &p->folded, &info);
        if (r == -EAGAIN)
                return r;
        if (n > 1) {
                fold_pop_gathered(p->fold);
        } else {
                fold_pop(p->fold);
                opens = info.count;
        }
        if (p->enrich && !p->stop_backlog)
                enrich_release(p->enrich, fold_done(p->fold), p->newest_ns);
        count_outcome(p, r, p->folded.uid, opens);
        return 1;
}

int pipeline_emit_one(struct pipeline *p, uint64_t now_ns)
{
        return emit_oldest(p, now_ns);
}

int pipeline_emit(struct pipeline *p, uint64_t now_ns)
{
        int r;

        while ((r = emit_oldest(p, now_ns)) > 0)
                ;
        return r;
}

/* n opens like p->event, the first at first_ns: into the fold, or an entry now when folding is off. */
static int count_in(struct pipeline *p, uint64_t n, uint64_t first_ns, uint64_t now_ns)
{
        const struct open_fold alone = { n, first_ns, p->event.boot_ns, 0 };
        int r;

        if (!p->folding) {
                r = write_entry(p, &p->event, n > 1 ? &alone : NULL);
                if (r == -EAGAIN)
                        return r;
                count_outcome(p, r, p->event.uid, n);
                return 0;
        }
        /* At the bounds, the oldest entries leave early: nothing is dropped. */
        while ((r = fold_add_n(p->fold, &p->event, n, first_ns, now_ns)) < 0) {
                int e = emit_oldest(p, UINT64_MAX);

                if (e < 0)
                        return e;
                if (e == 0) {
                        /* nothing pending and still no room: no memory for one entry */
                        r = write_entry(p, &p->event, &alone);
                        if (r == -EAGAIN)
                                return r;
                        count_outcome(p, r, p->event.uid, n);
                        return 0;
                }
        }
        return 0;
}

/* Keeps the open p->event, which made a repeat slot, for the repeats to come; dropped: Units= dropped it. */
static void remember_origin(struct pipeline *p, bool dropped)
{
        size_t slot = p->event.repeat_slot, bytes = OPEN_EVENT_HEADER_SIZE + open_event_path_bytes(&p->event) + 1;
        struct repeat_origin *o;

        if (slot > p->n_origins) {
                struct repeat_origin *grown = realloc(p->origins, slot * sizeof(*grown));

                if (!grown)
                        return; /* its repeats will find no origin: they are counted as undelivered */
                memset(grown + p->n_origins, 0, (slot - p->n_origins) * sizeof(*grown));
                p->origins = grown;
                p->n_origins = slot;
        }
        o = &p->origins[slot - 1];
        if (o->bytes < bytes) {
                free(o->event);
                *o = (struct repeat_origin){ 0 };
                o->event = malloc(bytes);
                if (!o->event)
                        return;
        }
        memcpy(o->event, &p->event, bytes);
        o->bytes = bytes;
        o->gen = p->event.repeat_gen;
        o->dropped = dropped;
}

/*
 * A slot's repeats (OPEN_RECORD_REPEATS in p->event): more of the open that
 * made the slot, counted like it. Their origin is gone only where its record
 * never reached us (the queue refused it): they are then undelivered as it was.
 */
static int push_repeats(struct pipeline *p, uint64_t now_ns)
{
        uint64_t n = (uint64_t)p->event.result, first_ns = p->event.flags, last_ns = p->event.boot_ns;
        size_t slot = p->event.repeat_slot;
        const struct repeat_origin *o = slot && slot <= p->n_origins ? &p->origins[slot - 1] : NULL;
        int r;

        if (!o || !o->event || o->gen != p->event.repeat_gen) {
                counters_undelivered(p->c, p->event.uid, n);
                return 0;
        }
        if (o->dropped) {
                atomic_fetch_add(&p->c->filtered_user, n);
                return 0;
        }
        memcpy(&p->event, o->event, o->bytes);
        p->event.boot_ns = last_ns;
        r = count_in(p, n, first_ns, now_ns);
        if (r == 0)
                atomic_fetch_add(&p->c->repeats, n);
        return r;
}

int pipeline_push(struct pipeline *p, const void *record, size_t len, uint64_t now_ns)
{
        int r = decode_record(record, len, &p->event);

        if (r < 0) {
                pipeline_abandon_record(p, record, len);
                return 0;
        }
        if (p->event.boot_ns > p->newest_ns)
                p->newest_ns = p->event.boot_ns;
        if (p->event.kind == OPEN_RECORD_REPEATS)
                return push_repeats(p, now_ns);
        if (p->event.kind != OPEN_RECORD_OPEN) {
                learn_cgroup(p);
                return 0;
        }
        /* Resolve the cgroup now, while it surely exists: a folded entry is written
         * up to Coalesce= later, when a short-lived unit may be gone (it is cached). */
        r = p->enrich ? enrich_lookup(p->enrich, p->event.cgroup_id, &p->who) : -ENOMEDIUM;
        if (unit_filtered(p, r)) {
                if (p->event.repeat_slot)
                        remember_origin(p, true);
                atomic_fetch_add(&p->c->filtered_user, 1);
                return 0;
        }
        if (p->event.repeat_slot)
                remember_origin(p, false);
        return count_in(p, 1, p->event.boot_ns, now_ns);
}

uint64_t pipeline_pending(const struct pipeline *p)
{
        return fold_opens(p->fold);
}

size_t pipeline_held_bytes(const struct pipeline *p)
{
        return fold_bytes(p->fold);
}

struct pending_count {
        struct backlog *b;
        int r;
};

static void count_pending(uint32_t uid, uint64_t opens, void *ctx)
{
        struct pending_count *c = ctx;

        if (c->r == 0)
                c->r = backlog_add(c->b, uid, opens);
}

static uint64_t backlog_rank(uint32_t uid, void *backlog)
{
        return backlog_of(backlog, uid);
}

/* A queued record's place at a stop: cgroups made, then opens by their users' backlog, then cgroups removed. */
struct stop_place {
        size_t index;
        unsigned phase;
        uint64_t rank;
};

static int by_place(const void *a, const void *b)
{
        const struct stop_place *x = a, *y = b;

        if (x->phase != y->phase)
                return x->phase < y->phase ? -1 : 1;
        if (x->rank != y->rank)
                return x->rank < y->rank ? -1 : 1;
        return (x->index > y->index) - (x->index < y->index);
}

/* 0: a cgroup made; 1: an open (or what no one can tell: it is counted as one); 2: a cgroup removed. */
static unsigned stop_phase(const struct queue_item *it)
{
        uint8_t kind;

        if (it->len < offsetof(struct open_event, kind) + 1)
                return 1;
        kind = record_kind(it->data);
        return kind == OPEN_RECORD_CGROUP_MKDIR ? 0 : kind == OPEN_RECORD_CGROUP_RMDIR ? 2 : 1;
}

/* The opens a queued record stands for (1 where no one can tell). */
static uint64_t item_opens(const struct queue_item *it)
{
        return it->len >= offsetof(struct open_event, kind) + 1 ? record_opens(it->data) : 1;
}

/* Whose a queued record is (UINT32_MAX: no one's, a record too short to tell). */
static uint32_t item_uid(const struct queue_item *it)
{
        return it->len >= offsetof(struct open_event, uid) + sizeof(uint32_t) ? open_record_uid(it->data) : UINT32_MAX;
}

int pipeline_stop_order(struct pipeline *p, const struct queue_item *items, size_t n, size_t *order)
{
        struct pending_count pending = { NULL, 0 };
        struct stop_place *places = NULL;
        int r = backlog_new(&pending.b);

        for (size_t i = 0; i < n && r == 0; i++)
                if (stop_phase(&items[i]) == 1)
                        r = backlog_add(pending.b, item_uid(&items[i]), item_opens(&items[i]));
        if (r == 0) {
                fold_each_pending(p->fold, count_pending, &pending);
                r = pending.r;
        }
        if (r == 0 && n > 0 && !(places = malloc(n * sizeof(*places))))
                r = -ENOMEM;
        if (r < 0) {
                backlog_free(pending.b);
                return r;
        }
        backlog_seal(pending.b);
        for (size_t i = 0; i < n; i++)
                places[i] = (struct stop_place){ i, stop_phase(&items[i]), backlog_of(pending.b, item_uid(&items[i])) };
        qsort(places, n, sizeof(*places), by_place);
        for (size_t i = 0; i < n; i++)
                order[i] = places[i].index;
        free(places);
        backlog_free(p->stop_backlog);
        p->stop_backlog = pending.b;
        pipeline_order_pending(p);
        return 0;
}

void pipeline_order_pending(struct pipeline *p)
{
        /* without memory for it, the entries stay in the order their windows opened */
        if (p->stop_backlog)
                (void)fold_reorder(p->fold, backlog_rank, p->stop_backlog);
}

void pipeline_abandon(struct pipeline *p)
{
        struct open_fold info;

        while (fold_oldest(p->fold, UINT64_MAX, &p->folded, &info)) {
                counters_undelivered(p->c, p->folded.uid, info.count);
                fold_pop(p->fold);
        }
}

void pipeline_abandon_record(struct pipeline *p, const void *record, size_t len)
{
        /* the queue holds only what decode_size() accepted; a shorter one would be no one's */
        uint32_t uid =
                len >= offsetof(struct open_event, uid) + sizeof(uint32_t) ? open_record_uid(record) : UINT32_MAX;
        /* a cgroup's record tells no open: nothing is undelivered; a slot's repeats, their count */
        uint64_t opens = len >= offsetof(struct open_event, kind) + 1 ? record_opens(record) : 1;

        if (opens)
                counters_undelivered(p->c, uid, opens);
}

int pipeline_learn_cgroups(struct pipeline *p)
{
        return p->enrich ? enrich_scan(p->enrich) : 0;
}

void pipeline_set_coalesce(struct pipeline *p, const struct coalesce *co)
{
        atomic_store(&p->want_window_ns, co->window_ns);
        atomic_store(&p->want_by, (int)co->by);
        atomic_store(&p->want_names, co->names);
        atomic_fetch_add(&p->requested, 1);
}

int pipeline_reconfigure(struct pipeline *p)
{
        unsigned requested = atomic_load(&p->requested);
        uint64_t window_ns;
        int r;

        if (requested == p->applied)
                return 0;
        r = pipeline_emit(p, UINT64_MAX);
        if (r < 0)
                return r;
        window_ns = atomic_load(&p->want_window_ns);
        (void)fold_configure(p->fold, (enum coalesce_by)atomic_load(&p->want_by), window_ns);
        p->folding = window_ns > 0;
        p->names = atomic_load(&p->want_names);
        p->applied = requested;
        return 0;
}
