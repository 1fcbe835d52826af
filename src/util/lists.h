/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_LISTS_H
#define OPENSNOOPD_LISTS_H

/* The configuration's lists: of ids (pids, uids) and of words (commands, prefixes, units). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct id_list {
        uint32_t *v;
        size_t n;
};

struct str_list {
        char **v;
        size_t n;
};

/* Lists of words: free every word (the list is then empty), compare, copy (0 or -ENOMEM). */
void str_list_clear(struct str_list *l);
bool str_list_equal(const struct str_list *a, const struct str_list *b);
int str_list_copy(const struct str_list *from, struct str_list *to);
/* Whether word is in l. */
bool str_list_has(const struct str_list *l, const char *word);
/* Adds word (malloc'd: l owns it from here, freed on failure too); v stays NULL-terminated. 0 or -ENOMEM. */
int str_list_add(struct str_list *l, char *word);

#endif
