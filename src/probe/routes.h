/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_ROUTES_H
#define OPENSNOOPD_ROUTES_H

/* The system calls that open a file, declared once in routes.def. */
enum route_id {
#define ROUTE(id, ...) ROUTE_##id,
#include "routes.def"
#undef ROUTE
        ROUTES
};

/* A set of routes: bit ROUTE_ID is ROUTE_BIT(ID). */
#define ROUTE_BIT(id) (1u << ROUTE_##id)

struct route {
        const char *name;          /* the system call: syscalls:sys_{enter,exit}_NAME */
        const char *tp_cflag;      /* -DOPENSNOOPD_TP_ID */
        unsigned record;           /* the OPEN_SYSCALL_* of its records */
        const char *record_name;   /* ... as OPEN_SYSCALL= names it */
        const char *function;      /* a pair of its own (kprobe or fentry) on it; NULL: the open function serves it */
        const char *kprobe_tag;    /* -DOPENSNOOPD_KPROBE_TAG, kprobe_TAG_entry, ret_PID_TAG */
        const char *kprobe_return; /* the pair's return program */
};

/* Indexed by enum route_id, in routes.def's order. */
extern const struct route routes[ROUTES];

#endif
