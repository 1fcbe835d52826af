/* SPDX-License-Identifier: MIT */
/*
 * --output=json: one JSON object a line on stdout, with the journal's field
 * names. A value that is not valid UTF-8 becomes an array of byte values, as
 * journalctl -o json does.
 */
#include "sink.h"

#include <errno.h>

#include "json_value.h"

int sink_json_write_fields(FILE *out, const struct fields *f)
{
        fputc('{', out);
        for (size_t i = 0; i < f->n; i++) {
                size_t name_len, len;
                const char *value = fields_value(f, i, &name_len, &len);

                if (i)
                        fputc(',', out);
                json_string(out, f->iov[i].iov_base, name_len);
                fputc(':', out);
                json_bytes(out, value, len);
        }
        fputs("}\n", out);
        return ferror(out) ? -EIO : 0;
}

static int json_write_event(struct sink *s, const struct open_event *ev, const struct open_context *ctx)
{
        int r = sink_fields_from_event(s, ev, ctx);

        return r < 0 ? r : sink_json_write_fields(s->stream, &s->fields);
}

static int json_write_loss(struct sink *s, const struct loss_report *report)
{
        int r = fields_loss_report(&s->fields, report);

        return r < 0 ? r : sink_json_write_fields(s->stream, &s->fields);
}

const struct sink_ops sink_json_ops = {
        .write_event = json_write_event,
        .write_loss = json_write_loss,
        .flush = sink_stream_flush,
};
