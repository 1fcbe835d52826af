/* SPDX-License-Identifier: MIT */
#include "routes.h"

#include <stddef.h>

#include "opensnoop.h"

/* routes.def's rows, for the probe (detection, plan, flags, programs) and for OPEN_SYSCALL='s names. */
const struct route routes[ROUTES] = {
#define ROUTE(id, name, record, record_name, function, kprobe_tag, kprobe_return) \
        [ROUTE_##id] = { name, "-DOPENSNOOPD_TP_" #id, record, record_name, function, kprobe_tag, kprobe_return },
#include "routes.def"
#undef ROUTE
};
