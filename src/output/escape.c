/* SPDX-License-Identifier: MIT */
#include "escape.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

/* Length of the well-formed UTF-8 sequence at s (1–4), or 0 if there is none. */
static size_t utf8_sequence(const unsigned char *s, size_t avail, uint32_t *cp)
{
        size_t n;
        uint32_t c, min;

        if (s[0] < 0x80) {
                *cp = s[0];
                return 1;
        }
        if ((s[0] & 0xe0) == 0xc0)
                n = 2, c = s[0] & 0x1f, min = 0x80;
        else if ((s[0] & 0xf0) == 0xe0)
                n = 3, c = s[0] & 0x0f, min = 0x800;
        else if ((s[0] & 0xf8) == 0xf0)
                n = 4, c = s[0] & 0x07, min = 0x10000;
        else
                return 0;
        if (n > avail)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *cp = c;
        return n;
}

bool utf8_is_valid(const char *in, size_t len)
{
        const unsigned char *s = (const unsigned char *)in;
        uint32_t cp;

        for (size_t i = 0; i < len;) {
                size_t n = utf8_sequence(s + i, len - i, &cp);

                if (n == 0)
                        return false;
                i += n;
        }
        return true;
}

static size_t put_hex(char *out, unsigned char byte)
{
        static const char hex[] = "0123456789abcdef";

        out[0] = '\\';
        out[1] = 'x';
        out[2] = hex[byte >> 4];
        out[3] = hex[byte & 0xf];
        return 4;
}

/*
 * Code points that change how the text around them reads without showing
 * themselves: bidirectional controls (Trojan Source), line and paragraph
 * separators, zero-width and other default-ignorable characters.
 */
static bool invisible(uint32_t cp)
{
        return cp == 0x00ad || cp == 0x034f || cp == 0x061c || cp == 0x115f || cp == 0x1160 || cp == 0x17b4 ||
               cp == 0x17b5 || (cp >= 0x180b && cp <= 0x180f) || (cp >= 0x200b && cp <= 0x200f) ||
               (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) || cp == 0x3164 ||
               (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff || cp == 0xffa0 || (cp >= 0xfff0 && cp <= 0xfffb) ||
               (cp >= 0x1bca0 && cp <= 0x1bca3) || (cp >= 0x1d173 && cp <= 0x1d17a) || (cp >= 0xe0000 && cp <= 0xe0fff);
}

static size_t put_code_point(char *out, uint32_t cp)
{
        /* at most 10 bytes for a 4-byte sequence, 6 for a 2- or 3-byte one: within ESCAPE_MAX */
        return (size_t)(cp > 0xffff ? sprintf(out, "\\U%08x", (unsigned)cp) : sprintf(out, "\\u%04x", (unsigned)cp));
}

static size_t escape(const char *in, size_t len, char *out, bool quoted)
{
        const unsigned char *s = (const unsigned char *)in;
        size_t o = 0;

        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_sequence(s + i, len - i, &cp);

                if (n == 1 && (cp == '\\' || (quoted && cp == '"'))) {
                        out[o++] = '\\';
                        out[o++] = (char)cp;
                } else if (n == 1 && cp == '\n') {
                        out[o++] = '\\';
                        out[o++] = 'n';
                } else if (n == 1 && cp == '\t') {
                        out[o++] = '\\';
                        out[o++] = 't';
                } else if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
                        /* control or invalid: escape every byte of it */
                        size_t bytes = n ? n : 1;

                        for (size_t k = 0; k < bytes; k++)
                                o += put_hex(out + o, s[i + k]);
                        i += bytes;
                        continue;
                } else if (invisible(cp)) {
                        o += put_code_point(out + o, cp);
                } else {
                        for (size_t k = 0; k < n; k++)
                                out[o++] = (char)s[i + k];
                }
                i += n;
        }
        out[o] = '\0';
        return o;
}

size_t escape_for_display(const char *in, size_t len, char *out)
{
        return escape(in, len, out, false);
}

size_t escape_quoted(const char *in, size_t len, char *out)
{
        size_t o;

        out[0] = '"';
        o = 1 + escape(in, len, out + 1, true);
        out[o++] = '"';
        out[o] = '\0';
        return o;
}

/* n hex digits at in as a number; -1 if one is not. */
static long hex_value(const char *in, size_t n)
{
        long v = 0;

        for (size_t i = 0; i < n; i++) {
                char c = in[i];
                int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

                if (d < 0)
                        return -1;
                v = v * 16 + d;
        }
        return v;
}

static size_t put_utf8(char *out, uint32_t cp)
{
        if (cp < 0x80) {
                out[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char)(0xc0 | cp >> 6);
                out[1] = (char)(0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char)(0xe0 | cp >> 12);
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char)(0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char)(0xf0 | cp >> 18);
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        return 4;
}

int unescape_display(const char *in, size_t len, char *out, size_t *out_len)
{
        size_t o = 0;

        for (size_t i = 0; i < len;) {
                size_t digits;
                long v;

                if (in[i] != '\\') {
                        out[o++] = in[i++];
                        continue;
                }
                if (i + 1 >= len)
                        return -EBADMSG;
                switch (in[i + 1]) {
                case '\\':
                        out[o++] = '\\';
                        i += 2;
                        continue;
                case 'n':
                        out[o++] = '\n';
                        i += 2;
                        continue;
                case 't':
                        out[o++] = '\t';
                        i += 2;
                        continue;
                case 'x':
                        digits = 2;
                        break;
                case 'u':
                        digits = 4;
                        break;
                case 'U':
                        digits = 8;
                        break;
                default:
                        return -EBADMSG;
                }
                if (i + 2 + digits > len || (v = hex_value(in + i + 2, digits)) < 0 || v > 0x10ffff)
                        return -EBADMSG;
                if (digits == 2)
                        out[o++] = (char)v;
                else
                        o += put_utf8(out + o, (uint32_t)v); /* never longer than its escape */
                i += 2 + digits;
        }
        *out_len = o;
        return 0;
}
