/* SPDX-License-Identifier: MIT */
#include "heap_trim.h"

bool heap_trim_due(struct heap_trim *t, size_t held)
{
        if (held > t->high)
                t->high = held;
        if (t->high < HEAP_TRIM_ABOVE || held > t->high / 4)
                return false;
        t->high = held;
        return true;
}
