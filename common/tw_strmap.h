/* tw_strmap: a map from string keys (copied) to pointers: open addressing, linear probing,
 * filled to 3/4, never shrinks. One slot holds what a probe compares (32 bits of the hash, the
 * length) beside the key and value pointers, so a look-up touches one slot, then the key once:
 * 24 bytes a slot, about 40 bytes an entry. Keys are hashed with tw_hash64(key, len, 0), the
 * identity hash the normalizer computes already (tw_strmap_get_hashed takes it). */
#ifndef TW_STRMAP_H
#define TW_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_str.h"

typedef struct tw_strslot {
    uint32_t hash; /* the low 32 bits of tw_hash64(key, len, 0) */
    uint32_t len;
    char *key; /* NULL: free */
    void *val;
} tw_strslot;

typedef struct tw_strmap {
    tw_strslot *slots;
    size_t cap, n;
} tw_strmap; /* zeroed: empty */

void *tw_strmap_get(const tw_strmap *m, tw_str key);
/* The same with the key's tw_hash64(key, len, 0) given. */
void *tw_strmap_get_hashed(const tw_strmap *m, tw_str key, uint64_t hash);
/* The map's own copy of a key it holds (NULL if it holds none). */
const char *tw_strmap_key(const tw_strmap *m, tw_str key);
/* Inserts or replaces key -> val (key copied); false when out of memory. */
bool tw_strmap_put(tw_strmap *m, tw_str key, void *val);
/* Frees the keys (and each value with free_val, when given) and the slots. */
void tw_strmap_free(tw_strmap *m, void (*free_val)(void *));

#endif
