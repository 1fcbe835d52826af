/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any bytes as a configuration file. The parser must never
 * crash, leak or read out of bounds, and an accepted file must survive a
 * print/parse round trip unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
        struct config c, again;
        struct config_errors errs = { 0 };
        char *text = NULL;
        size_t len = 0;
        FILE *f;

        config_init(&c);
        if (config_parse((const char *)data, size, "fuzz.conf", &c, &errs) == 0) {
                char restart[256], applied[256];

                f = open_memstream(&text, &len);
                config_print(&c, f);
                fclose(f);
                config_init(&again);
                if (config_parse(text, len, "printed.conf", &again, &errs) != 0)
                        abort(); /* what we print, we must read back */
                config_diff(&c, &again, restart, sizeof(restart), applied, sizeof(applied));
                if (restart[0] || applied[0])
                        abort(); /* ... and it must mean the same */
                config_done(&again);
                free(text);
        }
        config_errors_done(&errs);
        config_done(&c);
        return 0;
}
