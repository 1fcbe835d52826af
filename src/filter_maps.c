/* SPDX-License-Identifier: MIT */
#include "filter_maps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const access_filter_names[] = { "any", "write", NULL };

static uint32_t *copy_ids(const struct id_list *l)
{
        uint32_t *v = malloc((l->n ? l->n : 1) * sizeof(*v));

        if (v && l->n)
                memcpy(v, l->v, l->n * sizeof(*v));
        return v;
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

static void add_prefixes(struct filter_maps *s, const struct str_list *l, uint8_t verdict)
{
        for (size_t i = 0; i < l->n; i++, s->nprefixes++) {
                struct filter_prefix_key *k = &s->prefixes[s->nprefixes];
                size_t len = strlen(l->v[i]);

                if (len > FILTER_PREFIX_MAX)
                        len = FILTER_PREFIX_MAX; /* config_parse() refuses longer ones */
                memset(k, 0, sizeof(*k));
                memcpy(k->data, l->v[i], len);
                k->prefixlen = (uint32_t)len * 8;
                s->prefix_verdicts[s->nprefixes] = verdict;
        }
}

int filter_maps_build(const struct filter_config *c, uint32_t self_pid, struct filter_maps *s)
{
        size_t ncomms = c->commands.n + c->exclude_commands.n;
        size_t nprefixes = c->path_prefixes.n + c->exclude_path_prefixes.n;
        uint32_t active = 0;

        *s = (struct filter_maps){ 0 };
        s->pids = copy_ids(&c->pids);
        s->uids = copy_ids(&c->uids);
        s->comms = calloc(ncomms ? ncomms : 1, sizeof(*s->comms));
        s->comm_verdicts = calloc(ncomms ? ncomms : 1, 1);
        s->prefixes = calloc(nprefixes ? nprefixes : 1, sizeof(*s->prefixes));
        s->prefix_verdicts = calloc(nprefixes ? nprefixes : 1, 1);
        if (!s->pids || !s->uids || !s->comms || !s->comm_verdicts || !s->prefixes || !s->prefix_verdicts) {
                filter_maps_done(s);
                return -ENOMEM;
        }
        s->npids = c->pids.n;
        s->nuids = c->uids.n;
        add_comms(s, &c->commands, FILTER_INCLUDE);
        add_comms(s, &c->exclude_commands, FILTER_EXCLUDE);
        add_prefixes(s, &c->path_prefixes, FILTER_INCLUDE);
        add_prefixes(s, &c->exclude_path_prefixes, FILTER_EXCLUDE);

        if (c->pids.n)
                active |= FILTER_PIDS;
        if (c->uids.n)
                active |= FILTER_UIDS;
        if (c->commands.n)
                active |= FILTER_COMMS;
        if (c->exclude_commands.n)
                active |= FILTER_EXCLUDE_COMMS;
        if (c->path_prefixes.n)
                active |= FILTER_PREFIXES;
        if (nprefixes)
                active |= FILTER_ANY_PREFIX;
        if (c->failed_only)
                active |= FILTER_FAILED_ONLY;
        if (c->access == ACCESS_WRITE)
                active |= FILTER_WRITE_ONLY;
        s->settings.active = active;
        s->settings.self_pid = self_pid;
        return 0;
}

void filter_maps_done(struct filter_maps *s)
{
        if (!s)
                return;
        free(s->pids);
        free(s->uids);
        free(s->comms);
        free(s->comm_verdicts);
        free(s->prefixes);
        free(s->prefix_verdicts);
        *s = (struct filter_maps){ 0 };
}
