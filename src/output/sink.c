/* SPDX-License-Identifier: MIT */
#include "sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

const char *const output_target_names[] = { "journal", "json", "text", NULL };

int output_target_from_string(const char *s, enum output_target *t)
{
        for (int i = 0; output_target_names[i]; i++) {
                if (strcmp(s, output_target_names[i]) == 0) {
                        *t = (enum output_target)i;
                        return 0;
                }
        }
        return -EINVAL;
}

int sink_new(const struct sink_ops *ops, const struct sink_options *o, struct sink **ret)
{
        struct sink *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->ops = ops;
        s->stream = o->stream;
        s->start_boot_ns = o->start_boot_ns;
        atomic_store(&s->priority, o->priority);
        atomic_store(&s->failure_priority, o->failure_priority);
        if (ops->open) {
                int r = ops->open(s);

                if (r < 0) {
                        free(s);
                        return r;
                }
        }
        *ret = s;
        return 0;
}

struct sink *sink_free(struct sink *s)
{
        if (!s)
                return NULL;
        if (s->ops->close)
                s->ops->close(s);
        free(s);
        return NULL;
}

void sink_header(struct sink *s)
{
        if (s->ops->header)
                s->ops->header(s);
}

int sink_write_event(struct sink *s, const struct open_event *ev, const struct open_context *ctx)
{
        return s->ops->write_event(s, ev, ctx);
}

int sink_write_names(struct sink *s, const struct open_names *names, const struct open_context *ctx)
{
        return s->ops->write_names(s, names, ctx);
}

int sink_write_loss(struct sink *s, const struct loss_report *report)
{
        return s->ops->write_loss(s, report);
}

void sink_flush(struct sink *s)
{
        if (s->ops->flush)
                s->ops->flush(s);
}

void sink_set_priorities(struct sink *s, int priority, int failure_priority)
{
        atomic_store(&s->priority, priority);
        atomic_store(&s->failure_priority, failure_priority);
}

/* Read per entry: a clock step or a reload applies from the next one. */
static struct fields_options fields_options_now(struct sink *s)
{
        return (struct fields_options){
                .priority = atomic_load(&s->priority),
                .failure_priority = atomic_load(&s->failure_priority),
                .boot_to_realtime_ns = (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME)),
        };
}

int sink_fields_from_event(struct sink *s, const struct open_event *ev, const struct open_context *ctx)
{
        struct fields_options fo = fields_options_now(s);

        return fields_from_event(&s->fields, ev, ctx, &fo);
}

int sink_fields_from_names(struct sink *s, const struct open_names *names, const struct open_context *ctx)
{
        struct fields_options fo = fields_options_now(s);

        return fields_from_names(&s->fields, names, ctx->who, &fo);
}

void sink_stream_flush(struct sink *s)
{
        fflush(s->stream);
}
