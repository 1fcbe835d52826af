/* SPDX-License-Identifier: MIT */
#include "json_value.h"

#include "escape.h"

void json_string(FILE *out, const char *s, size_t len)
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

void json_bytes(FILE *out, const char *s, size_t len)
{
        if (utf8_is_valid(s, len)) {
                json_string(out, s, len);
                return;
        }
        fputc('[', out);
        for (size_t k = 0; k < len; k++)
                fprintf(out, "%s%u", k ? "," : "", (unsigned char)s[k]);
        fputc(']', out);
}
