/* SPDX-License-Identifier: MIT */
/*
 * --output=json: one JSON object a line on stdout, with the journal's field
 * names. A value that is not valid UTF-8 becomes an array of byte values, as
 * journalctl -o json does.
 */
#include "sink.h"

#include <errno.h>
#include <stdbool.h>

#include "json_value.h"

/* Whether field i's name came before i. */
static bool named_before(const struct fields *f, size_t i, size_t name_len)
{
        for (size_t k = 0; k < i; k++)
                if (fields_name_is(f, k, f->iov[i].iov_base, name_len))
                        return true;
        return false;
}

int sink_json_write_fields(FILE *out, const struct fields *f)
{
        bool first = true;

        fputc('{', out);
        for (size_t i = 0; i < f->n; i++) {
                size_t name_len, len, more = 0;
                const char *value = fields_value(f, i, &name_len, &len);

                if (named_before(f, i, name_len))
                        continue; /* in the array of its first */
                for (size_t k = i + 1; k < f->n; k++)
                        more += fields_name_is(f, k, f->iov[i].iov_base, name_len);
                if (!first)
                        fputc(',', out);
                first = false;
                json_string(out, f->iov[i].iov_base, name_len);
                fputc(':', out);
                if (!more) {
                        json_bytes(out, value, len);
                        continue;
                }
                fputc('[', out);
                json_bytes(out, value, len);
                for (size_t k = i + 1; k < f->n; k++) {
                        size_t kn, kl;
                        const char *v = fields_value(f, k, &kn, &kl);

                        if (fields_name_is(f, k, f->iov[i].iov_base, name_len)) {
                                fputc(',', out);
                                json_bytes(out, v, kl);
                        }
                }
                fputc(']', out);
        }
        fputs("}\n", out);
        return ferror(out) ? -EIO : 0;
}

static int json_write_event(struct sink *s, const struct open_event *ev, const struct open_context *ctx)
{
        int r = sink_fields_from_event(s, ev, ctx);

        return r < 0 ? r : sink_json_write_fields(s->stream, &s->fields);
}

static int json_write_names(struct sink *s, const struct open_names *names, const struct open_context *ctx)
{
        int r = sink_fields_from_names(s, names, ctx);

        return r < 0 ? r : sink_json_write_fields(s->stream, &s->fields);
}

static int json_write_loss(struct sink *s, const struct loss_report *report)
{
        int r = fields_loss_report(&s->fields, report);

        return r < 0 ? r : sink_json_write_fields(s->stream, &s->fields);
}

const struct sink_ops sink_json_ops = {
        .write_event = json_write_event,
        .write_names = json_write_names,
        .write_loss = json_write_loss,
        .flush = sink_stream_flush,
};
