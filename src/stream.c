/* SPDX-License-Identifier: MIT */
#include "stream.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

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

int stream_write_json(FILE *out, const struct fields *f)
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

void stream_text_header(FILE *out)
{
        fprintf(out, "%-14s %-16s %-7s %4s %3s %s\n", "TIME(s)", "COMM", "PID", "FD", "ERR", "PATH");
}

int stream_write_text(FILE *out, const struct open_event *ev, uint64_t start_boot_ns)
{
        char comm[ESCAPE_MAX(OPEN_COMM_LEN)], path[ESCAPE_MAX(OPEN_PATH_MAX)];
        double t = ev->boot_ns >= start_boot_ns ? (double)(ev->boot_ns - start_boot_ns) / 1e9 : 0.0;

        escape_for_display(ev->comm, strnlen(ev->comm, OPEN_COMM_LEN), comm);
        escape_for_display(ev->path, ev->path_len, path);
        fprintf(out, "%-14.6f %-16s %-7" PRIu32 " %4" PRId64 " %3" PRId64 " %s\n", t, comm, ev->pid,
                (int64_t)(ev->result >= 0 ? ev->result : -1), (int64_t)(ev->result >= 0 ? 0 : -ev->result), path);
        return ferror(out) ? -EIO : 0;
}
