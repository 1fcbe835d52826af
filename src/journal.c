/* SPDX-License-Identifier: MIT */
#include "journal.h"

/* CODE_FILE=journal.c on every entry would tell the reader nothing. */
#define SD_JOURNAL_SUPPRESS_LOCATION

#include <errno.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

int journal_send(const struct fields *f)
{
        return sd_journal_sendv(f->iov, (int)f->n);
}

int journal_reachable(void)
{
        return access(JOURNAL_SOCKET, W_OK) == 0;
}
