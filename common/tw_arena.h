/* tw_arena: a bump allocator in blocks, for the strings a batch carries. Reset keeps the
 * first block, so a reused batch allocates nothing in steady state. Not thread-safe: one
 * owner at a time (the batch's). */
#ifndef TW_ARENA_H
#define TW_ARENA_H

#include <stddef.h>

#include "tw_str.h"

typedef struct tw_arena_block tw_arena_block;

typedef struct tw_arena {
    tw_arena_block *head; /* current block; older ones chained behind */
    size_t block_size;    /* of the next block */
    size_t max_block;     /* block_size doubles up to this with each block */
    size_t used_total;    /* bytes handed out since the last reset */
} tw_arena;

void tw_arena_init(tw_arena *arena, size_t block_size);
/* Blocks of first_block bytes, doubling up to max_block: an arena that may hold a few hundred
 * bytes or megabytes (a parsed batch of one small file, or of a 1 MiB chunk) costs about what
 * it holds (at most twice), not a large block. */
void tw_arena_init_growing(tw_arena *arena, size_t first_block, size_t max_block);
void tw_arena_free(tw_arena *arena);
void tw_arena_reset(tw_arena *arena);
void *tw_arena_alloc(tw_arena *arena, size_t n); /* NULL when out of memory */

/* Copies s into the arena; an empty or NULL string stays empty without allocating.
 * On allocation failure the result is empty and *failed is set. */
tw_str tw_arena_dup(tw_arena *arena, tw_str s, int *failed);

#endif
