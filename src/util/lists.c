/* SPDX-License-Identifier: MIT */
#include "lists.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void str_list_clear(struct str_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        *l = (struct str_list){ 0 };
}

bool str_list_equal(const struct str_list *a, const struct str_list *b)
{
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->v[i], b->v[i]) != 0)
                        return false;
        return true;
}

int str_list_copy(const struct str_list *from, struct str_list *to)
{
        *to = (struct str_list){ .v = calloc(from->n + 1, sizeof(char *)) };
        if (!to->v)
                return -ENOMEM;
        for (; to->n < from->n; to->n++)
                if (!(to->v[to->n] = strdup(from->v[to->n]))) {
                        str_list_clear(to);
                        return -ENOMEM;
                }
        return 0;
}

bool str_list_has(const struct str_list *l, const char *word)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i], word) == 0)
                        return true;
        return false;
}

int str_list_add(struct str_list *l, char *word)
{
        char **grown = realloc(l->v, (l->n + 2) * sizeof(*grown));

        if (!grown) {
                free(word);
                return -ENOMEM;
        }
        l->v = grown;
        l->v[l->n++] = word;
        l->v[l->n] = NULL;
        return 0;
}
