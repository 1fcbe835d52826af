/* SPDX-License-Identifier: MIT */
#include "kallsyms.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "routes.h"

void kallsyms_note_line(struct kallsyms *k, const char *line)
{
        unsigned long address;
        char type, name[128];

        if (sscanf(line, "%lx %c %127s", &address, &type, name) != 3)
                return;
        if (strcmp(name, "do_sys_openat2") == 0)
                k->do_sys_openat2 = true;
        else if (strcmp(name, "do_sys_open") == 0)
                k->do_sys_open = true;
        else if (strcmp(name, "rename_lock") == 0 && !k->rename_lock)
                k->rename_lock = address;
        else if (strcmp(name, "mount_lock") == 0 && !k->mount_lock)
                k->mount_lock = address;
#ifdef __x86_64__ /* the kernel side reads its arguments from x86-64's pt_regs */
        else
                for (int i = 0; i < ROUTES; i++)
                        if (routes[i].function && strcmp(name, routes[i].function) == 0)
                                k->routes |= 1u << i;
#endif
}

void kallsyms_read(struct kallsyms *k)
{
        char line[512];
        FILE *f = fopen("/proc/kallsyms", "re");

        *k = (struct kallsyms){ 0 };
        if (!f) {
                k->error = -errno;
                return;
        }
        while (fgets(line, sizeof(line), f))
                kallsyms_note_line(k, line);
        fclose(f);
}
