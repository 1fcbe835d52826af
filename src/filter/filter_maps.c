/* SPDX-License-Identifier: MIT */
#include "filter_maps.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const access_filter_names[] = { "any", "write", NULL };

static void add_ids(uint32_t *ids, uint8_t *verdicts, size_t *n, const struct id_list *l, uint8_t verdict)
{
        for (size_t i = 0; i < l->n; i++, (*n)++) {
                ids[*n] = l->v[i];
                verdicts[*n] = verdict;
        }
}

static void add_comms(struct filter_maps *s, const struct str_list *l, uint8_t verdict)
{
        for (size_t i = 0; i < l->n; i++, s->ncomms++) {
                memset(&s->comms[s->ncomms], 0, sizeof(s->comms[0]));
                /* the kernel's comm is NUL-padded to 16 bytes: so is the key */
                strncpy(s->comms[s->ncomms].comm, l->v[i], sizeof(s->comms[0].comm) - 1);
                s->comm_verdicts[s->ncomms] = verdict;
        }
}

static void set_prefix(struct filter_prefix_key *k, const char *prefix)
{
        size_t len = strlen(prefix);

        if (len > FILTER_PREFIX_MAX)
                len = FILTER_PREFIX_MAX; /* config_parse() refuses longer ones */
        memset(k, 0, sizeof(*k));
        memcpy(k->data, prefix, len);
        k->prefixlen = (uint32_t)len * 8;
}

static void add_prefixes(struct filter_maps *s, const struct str_list *l, uint8_t verdict)
{
        for (size_t i = 0; i < l->n; i++, s->nprefixes++) {
                set_prefix(&s->prefixes[s->nprefixes], l->v[i]);
                s->prefix_verdicts[s->nprefixes] = verdict;
        }
}

/* What journald and PID 1 open because we write and notify (see opensnoop.h). */
static void add_self_noise(struct filter_maps *s, const struct filter_self *self)
{
        char prefix[FILTER_PREFIX_MAX + 1];

        snprintf(prefix, sizeof(prefix), "/proc/%" PRIu32 "/", self->pid);
        set_prefix(&s->self_noise[s->nself_noise], prefix);
        s->self_noise_verdicts[s->nself_noise++] = FILTER_EXCLUDE;
        if (!self->unit)
                return;
        snprintf(prefix, sizeof(prefix), "/run/systemd/units/log-extra-fields:%s", self->unit);
        set_prefix(&s->self_noise[s->nself_noise], prefix);
        s->self_noise_verdicts[s->nself_noise++] = FILTER_EXCLUDE;
}

int filter_maps_build(const struct filter_config *c, const struct filter_self *self, struct filter_maps *s)
{
        size_t npids = c->pids.n + c->exclude_pids.n, nuids = c->uids.n + c->exclude_uids.n;
        size_t ncomms = c->commands.n + c->exclude_commands.n;
        size_t nprefixes = c->path_prefixes.n + c->exclude_path_prefixes.n;
        uint32_t active = 0;

        *s = (struct filter_maps){ 0 };
        /* one element at least: calloc(0) may return NULL */
        s->pids = calloc(npids + 1, sizeof(*s->pids));
        s->pid_verdicts = calloc(npids + 1, 1);
        s->uids = calloc(nuids + 1, sizeof(*s->uids));
        s->uid_verdicts = calloc(nuids + 1, 1);
        s->comms = calloc(ncomms + 1, sizeof(*s->comms));
        s->comm_verdicts = calloc(ncomms + 1, 1);
        s->prefixes = calloc(nprefixes + 1, sizeof(*s->prefixes));
        s->prefix_verdicts = calloc(nprefixes + 1, 1);
        if (!s->pids || !s->pid_verdicts || !s->uids || !s->uid_verdicts || !s->comms || !s->comm_verdicts ||
            !s->prefixes || !s->prefix_verdicts) {
                filter_maps_done(s);
                return -ENOMEM;
        }
        add_ids(s->pids, s->pid_verdicts, &s->npids, &c->pids, FILTER_INCLUDE);
        add_ids(s->pids, s->pid_verdicts, &s->npids, &c->exclude_pids, FILTER_EXCLUDE);
        add_ids(s->uids, s->uid_verdicts, &s->nuids, &c->uids, FILTER_INCLUDE);
        add_ids(s->uids, s->uid_verdicts, &s->nuids, &c->exclude_uids, FILTER_EXCLUDE);
        add_comms(s, &c->commands, FILTER_INCLUDE);
        add_comms(s, &c->exclude_commands, FILTER_EXCLUDE);
        add_prefixes(s, &c->path_prefixes, FILTER_INCLUDE);
        add_prefixes(s, &c->exclude_path_prefixes, FILTER_EXCLUDE);
        add_self_noise(s, self);

        if (c->pids.n)
                active |= FILTER_PIDS;
        if (c->exclude_pids.n)
                active |= FILTER_EXCLUDE_PIDS;
        if (c->uids.n)
                active |= FILTER_UIDS;
        if (c->exclude_uids.n)
                active |= FILTER_EXCLUDE_UIDS;
        if (c->commands.n)
                active |= FILTER_COMMS;
        if (c->exclude_commands.n)
                active |= FILTER_EXCLUDE_COMMS;
        if (c->path_prefixes.n)
                active |= FILTER_PREFIXES;
        if (nprefixes)
                active |= FILTER_ANY_PREFIX;
        if (c->units.n)
                active |= FILTER_UNITS;
        if (c->exclude_units.n)
                active |= FILTER_EXCLUDE_UNITS;
        if (c->failed_only)
                active |= FILTER_FAILED_ONLY;
        if (c->access == ACCESS_WRITE)
                active |= FILTER_WRITE_ONLY;
        s->settings.active = active;
        s->settings.self_pid = self->pid;
        return 0;
}

void filter_maps_done(struct filter_maps *s)
{
        if (!s)
                return;
        free(s->pids);
        free(s->pid_verdicts);
        free(s->uids);
        free(s->uid_verdicts);
        free(s->comms);
        free(s->comm_verdicts);
        free(s->prefixes);
        free(s->prefix_verdicts);
        *s = (struct filter_maps){ 0 };
}
