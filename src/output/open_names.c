/* SPDX-License-Identifier: MIT */
#include "open_names.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "opensnoop.h"
#include "routes.h"

/* Multi-bit names come first, so O_SYNC wins over the O_DSYNC inside it. */
static const struct {
        uint64_t bits;
        const char *name;
} open_flag_names[] = {
        { O_TMPFILE, "O_TMPFILE" },     { O_SYNC, "O_SYNC" },         { O_CREAT, "O_CREAT" },
        { O_EXCL, "O_EXCL" },           { O_NOCTTY, "O_NOCTTY" },     { O_TRUNC, "O_TRUNC" },
        { O_APPEND, "O_APPEND" },       { O_NONBLOCK, "O_NONBLOCK" }, { O_DSYNC, "O_DSYNC" },
        { O_ASYNC, "O_ASYNC" },         { O_DIRECT, "O_DIRECT" },     { 0100000, "O_LARGEFILE" },
        { O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" }, { O_NOATIME, "O_NOATIME" },
        { O_CLOEXEC, "O_CLOEXEC" },     { O_PATH, "O_PATH" },
};

size_t open_flags_text(uint64_t flags, char *buf, size_t size)
{
        static const char *const access_names[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
        uint64_t rest = flags & ~(uint64_t)O_ACCMODE;
        size_t len;

        len = (size_t)snprintf(buf, size, "%s", access_names[flags & O_ACCMODE]);
        for (size_t i = 0; i < sizeof(open_flag_names) / sizeof(open_flag_names[0]); i++) {
                uint64_t bits = open_flag_names[i].bits;

                if ((rest & bits) != bits)
                        continue;
                rest &= ~bits;
                len += (size_t)snprintf(buf + len, size - len, "|%s", open_flag_names[i].name);
        }
        if (rest)
                len += (size_t)snprintf(buf + len, size - len, "|0x%llx", (unsigned long long)rest);
        return len < size ? len : size - 1;
}

int open_flags_use_mode(uint64_t flags)
{
        return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* include/linux/errno.h: never seen by user space, so no C library names them. */
#define ERESTARTSYS           512
#define ERESTART_RESTARTBLOCK 516

static const char *const kernel_errno_names[] = {
        "ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD", "ERESTART_RESTARTBLOCK",
};

int open_result_interrupted(int64_t result)
{
        return result <= -ERESTARTSYS && result >= -ERESTART_RESTARTBLOCK;
}

const char *open_errno_name(int err, char buf[static 16])
{
        const char *name = err > 0 ? strerrorname_np(err) : NULL;

        if (err >= ERESTARTSYS && err <= ERESTART_RESTARTBLOCK)
                return kernel_errno_names[err - ERESTARTSYS];

        if (name)
                return name;
        snprintf(buf, 16, "E%d", err);
        return buf;
}

const char *open_syscall_name(unsigned syscall)
{
        for (int i = 0; i < ROUTES; i++)
                if (routes[i].record == syscall)
                        return routes[i].record_name;
        /* io_uring's opens come by its own tracepoints, not a system call's */
        switch (syscall) {
        case OPEN_SYSCALL_IO_URING_OPENAT:
                return "io_uring_openat";
        case OPEN_SYSCALL_IO_URING_OPENAT2:
                return "io_uring_openat2";
        default:
                return "unknown";
        }
}
