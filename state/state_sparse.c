/* state_sparse: entries stacked in one block, each a header then its bytes (rounded to 8).
 * Blocks hold a handful of entries, so a linear scan finds one faster than any index. */
#include "state_sparse.h"

#include <stdlib.h>
#include <string.h>

/* An entry's header: its key in the high 48 bits, its size in 8-byte words in the low 16. */
typedef uint64_t entry;

struct tw_sparse {
    uint32_t used; /* bytes of entries after the header: the block's size */
    uint32_t pad_;
};

#define WORDS_MASK 0xffffu

static inline unsigned char *base(tw_sparse *sp)
{
    return (unsigned char *)(sp + 1);
}

static inline uint32_t entry_bytes(const entry *e)
{
    return (uint32_t)(*e & WORDS_MASK) * 8u;
}

static entry *lookup(tw_sparse *sp, uint64_t key)
{
    if (!sp || key >> TW_SPARSE_KEY_BITS)
        return NULL;
    for (uint32_t off = 0; off < sp->used;) {
        entry *e = (entry *)(base(sp) + off);
        if (*e >> 16 == key)
            return e;
        off += (uint32_t)sizeof *e + entry_bytes(e);
    }
    return NULL;
}

void *tw_sparse_find(tw_sparse *sp, uint64_t key, uint32_t *bytes)
{
    entry *e = lookup(sp, key);
    if (!e)
        return NULL;
    if (bytes)
        *bytes = entry_bytes(e);
    return e + 1;
}

/* Grows the block by `more` bytes of entries; false when out of memory or over the cap. */
static bool grow(tw_sparse **sp, uint32_t more)
{
    uint32_t used = *sp ? (*sp)->used : 0;
    if ((uint64_t)used + more + sizeof(tw_sparse) > TW_SPARSE_MAX_BYTES)
        return false;
    tw_sparse *n = realloc(*sp, sizeof(tw_sparse) + used + more);
    if (!n)
        return false;
    if (!*sp) {
        n->used = 0;
        n->pad_ = 0;
    }
    *sp = n;
    return true;
}

void *tw_sparse_get(tw_sparse **sp, uint64_t key, uint32_t bytes, bool *created)
{
    *created = false;
    if (key >> TW_SPARSE_KEY_BITS)
        return NULL;
    entry *e = lookup(*sp, key);
    if (e)
        return e + 1;
    if (bytes > WORDS_MASK * 8u)
        return NULL; /* (and rounding up would wrap) */
    bytes = (bytes + 7) & ~7u;
    if (!grow(sp, (uint32_t)sizeof *e + bytes))
        return NULL;
    e = (entry *)(base(*sp) + (*sp)->used);
    *e = key << 16 | bytes / 8;
    memset(e + 1, 0, bytes);
    (*sp)->used += (uint32_t)sizeof *e + bytes;
    *created = true;
    return e + 1;
}

void *tw_sparse_resize(tw_sparse **sp, uint64_t key, uint32_t bytes)
{
    entry *e = lookup(*sp, key);
    if (!e || bytes > WORDS_MASK * 8u)
        return NULL;
    bytes = (bytes + 7) & ~7u;
    uint32_t had = entry_bytes(e);
    if (bytes <= had)
        return e + 1;
    uint32_t more = bytes - had;
    size_t at = (size_t)((unsigned char *)e - base(*sp));
    if (!grow(sp, more))
        return NULL;
    e = (entry *)(base(*sp) + at); /* the block may have moved */
    unsigned char *end = (unsigned char *)(e + 1) + had;
    size_t tail = (size_t)(base(*sp) + (*sp)->used - end);
    memmove(end + more, end, tail);
    memset(end, 0, more);
    *e = (*e & ~(uint64_t)WORDS_MASK) | bytes / 8;
    (*sp)->used += more;
    return e + 1;
}

size_t tw_sparse_bytes(const tw_sparse *sp)
{
    return sp ? sizeof *sp + sp->used : 0;
}

void tw_sparse_free(tw_sparse **sp)
{
    free(*sp);
    *sp = NULL;
}

void tw_sparse_foreach(const tw_sparse *sp,
                       void (*fn)(void *ud, uint64_t key, const void *data, uint32_t bytes),
                       void *ud)
{
    if (!sp)
        return;
    const unsigned char *b = (const unsigned char *)(sp + 1);
    for (uint32_t off = 0; off < sp->used;) {
        const entry *e = (const entry *)(b + off);
        fn(ud, *e >> 16, e + 1, entry_bytes(e));
        off += (uint32_t)sizeof *e + entry_bytes(e);
    }
}
