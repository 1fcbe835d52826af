/* SPDX-License-Identifier: MIT */
#include "report_path.h"

#include <string.h>

size_t report_path_trim(const char *prefix, size_t len)
{
        while (len > 1 && prefix[len - 1] == '/')
                len--;
        return len;
}

bool report_path_under(const char *path, size_t len, const char *prefix, size_t prefix_len)
{
        if (prefix_len == 0 || len < prefix_len || memcmp(path, prefix, prefix_len) != 0)
                return false;
        return len == prefix_len || prefix[prefix_len - 1] == '/' || path[prefix_len] == '/';
}

size_t report_path_cut(const char *path, size_t len, unsigned depth)
{
        unsigned seen = 0;
        size_t i = 0;

        while (i < len) {
                while (i < len && path[i] == '/')
                        i++;
                if (i == len)
                        break;
                while (i < len && path[i] != '/')
                        i++;
                if (++seen == depth)
                        return i;
        }
        return len;
}
