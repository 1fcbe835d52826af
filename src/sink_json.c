/* SPDX-License-Identifier: MIT */
/*
 * --output=json: one JSON object a line on stdout, with the journal's field
 * names. A value that is not valid UTF-8 becomes an array of byte values, as
 * journalctl -o json does.
 */
#include "sink.h"

#include <errno.h>

#include "escape.h"

static void json_string(FILE *out, const char *s, size_t len)
{
        fputc('"', out);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '"' || c == '\\')
                        fprintf(out, "\\%c", c);
                else if (c == '\n')
                        fputs("\\n", out);
                else if (c < 0x20 || c == 0x7f)
                        fprintf(out, "\\u%04x", c);
                else
                        fputc(c, out);
        }
        fputc('"', out);
}

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
                if (utf8_is_valid(value, len)) {
                        json_string(out, value, len);
                } else {
                        fputc('[', out);
                        for (size_t k = 0; k < len; k++)
                                fprintf(out, "%s%u", k ? "," : "", (unsigned char)value[k]);
                        fputc(']', out);
                }
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
