/* tw_array: growing a plain C array (a pointer, a count, a capacity) one element at a time,
 * doubling, as the loaders keep their lists. */
#ifndef TW_ARRAY_H
#define TW_ARRAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Makes room in *v (n elements of size used, *cap allocated) for one more: *v and *cap are
 * updated when it grows. false when out of memory (or the size would overflow); *v is then
 * untouched and still owned by the caller. */
static inline bool tw_array_grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    if (ncap < *cap || ncap > SIZE_MAX / size)
        return false;
    void *nv = realloc(*v, ncap * size);
    if (!nv)
        return false;
    *v = nv;
    *cap = ncap;
    return true;
}

#endif
