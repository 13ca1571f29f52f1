/* state_sparse: entries stacked in one block, each a header then its bytes (rounded to 8).
 * Blocks hold a handful of entries, so a linear scan finds one faster than any index. */
#include "state_sparse.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    uint64_t key;
    uint32_t bytes;          /* rounded to 8 */
    uint32_t pad_;
} entry;

struct tw_sparse {
    uint32_t used;           /* bytes of entries after the header */
    uint32_t cap;
};

static inline unsigned char *base(tw_sparse *sp)
{
    return (unsigned char *)(sp + 1);
}

static entry *lookup(tw_sparse *sp, uint64_t key)
{
    if (!sp)
        return NULL;
    for (uint32_t off = 0; off < sp->used;) {
        entry *e = (entry *)(base(sp) + off);
        if (e->key == key)
            return e;
        off += (uint32_t)sizeof *e + e->bytes;
    }
    return NULL;
}

void *tw_sparse_find(tw_sparse *sp, uint64_t key, uint32_t *bytes)
{
    entry *e = lookup(sp, key);
    if (!e)
        return NULL;
    if (bytes)
        *bytes = e->bytes;
    return e + 1;
}

/* Room for `more` bytes of entries; false when out of memory or over the cap. */
static bool reserve(tw_sparse **sp, uint32_t more)
{
    uint32_t used = *sp ? (*sp)->used : 0, cap = *sp ? (*sp)->cap : 0;
    if ((uint64_t)used + more + sizeof(tw_sparse) > TW_SPARSE_MAX_BYTES)
        return false;
    if (used + more <= cap)
        return true;
    uint32_t want = cap ? cap * 2 : 128;
    while (want < used + more)
        want *= 2;
    if (want + sizeof(tw_sparse) > TW_SPARSE_MAX_BYTES)
        want = TW_SPARSE_MAX_BYTES - (uint32_t)sizeof(tw_sparse);
    tw_sparse *n = realloc(*sp, sizeof(tw_sparse) + want);
    if (!n)
        return false;
    if (!*sp)
        n->used = 0;
    n->cap = want;
    *sp = n;
    return true;
}

void *tw_sparse_get(tw_sparse **sp, uint64_t key, uint32_t bytes, bool *created)
{
    entry *e = lookup(*sp, key);
    *created = false;
    if (e)
        return e + 1;
    bytes = (bytes + 7) & ~7u;
    if (!reserve(sp, (uint32_t)sizeof *e + bytes))
        return NULL;
    e = (entry *)(base(*sp) + (*sp)->used);
    e->key = key;
    e->bytes = bytes;
    e->pad_ = 0;
    memset(e + 1, 0, bytes);
    (*sp)->used += (uint32_t)sizeof *e + bytes;
    *created = true;
    return e + 1;
}

void *tw_sparse_resize(tw_sparse **sp, uint64_t key, uint32_t bytes)
{
    entry *e = lookup(*sp, key);
    if (!e)
        return NULL;
    bytes = (bytes + 7) & ~7u;
    if (bytes <= e->bytes)
        return e + 1;
    uint32_t grow = bytes - e->bytes;
    size_t at = (size_t)((unsigned char *)e - base(*sp));
    if (!reserve(sp, grow))
        return NULL;
    e = (entry *)(base(*sp) + at); /* the block may have moved */
    unsigned char *end = (unsigned char *)(e + 1) + e->bytes;
    size_t tail = (size_t)(base(*sp) + (*sp)->used - end);
    memmove(end + grow, end, tail);
    memset(end, 0, grow);
    e->bytes = bytes;
    (*sp)->used += grow;
    return e + 1;
}

size_t tw_sparse_bytes(const tw_sparse *sp)
{
    return sp ? sizeof *sp + sp->cap : 0;
}

void tw_sparse_free(tw_sparse **sp)
{
    free(*sp);
    *sp = NULL;
}

void tw_sparse_foreach(const tw_sparse *sp, void (*fn)(void *ud, uint64_t key, const void *data,
                                                       uint32_t bytes), void *ud)
{
    if (!sp)
        return;
    const unsigned char *b = (const unsigned char *)(sp + 1);
    for (uint32_t off = 0; off < sp->used;) {
        const entry *e = (const entry *)(b + off);
        fn(ud, e->key, e + 1, e->bytes);
        off += (uint32_t)sizeof *e + e->bytes;
    }
}
