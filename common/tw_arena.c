#include "tw_arena.h"

#include <stdlib.h>

struct tw_arena_block {
    tw_arena_block *next;
    size_t size;
    size_t used;
    char data[];
};

void tw_arena_init(tw_arena *arena, size_t block_size)
{
    arena->head = NULL;
    arena->block_size = block_size ? block_size : 65536;
    arena->max_block = arena->block_size;
    arena->used_total = 0;
}

void tw_arena_init_growing(tw_arena *arena, size_t first_block, size_t max_block)
{
    tw_arena_init(arena, first_block);
    arena->max_block = max_block > arena->block_size ? max_block : arena->block_size;
}

void tw_arena_free(tw_arena *arena)
{
    if (!arena)
        return;
    tw_arena_block *b = arena->head;
    while (b) {
        tw_arena_block *next = b->next;
        free(b);
        b = next;
    }
    arena->head = NULL;
    arena->used_total = 0;
}

void tw_arena_reset(tw_arena *arena)
{
    tw_arena_block *b = arena->head;
    if (!b)
        return;
    /* keep the oldest block (the one at the tail of the chain), free the rest */
    while (b->next) {
        tw_arena_block *next = b->next;
        free(b);
        b = next;
    }
    b->used = 0;
    arena->head = b;
    arena->used_total = 0;
}

void *tw_arena_alloc(tw_arena *arena, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    tw_arena_block *b = arena->head;
    if (!b || b->size - b->used < n) {
        size_t size = arena->block_size;
        if (size < n)
            size = n;
        tw_arena_block *nb = malloc(sizeof *nb + size);
        if (!nb)
            return NULL;
        nb->size = size;
        nb->used = 0;
        nb->next = b;
        arena->head = b = nb;
        if (arena->block_size < arena->max_block)
            arena->block_size =
                arena->block_size * 2 < arena->max_block ? arena->block_size * 2 : arena->max_block;
    }
    void *p = b->data + b->used;
    b->used += n;
    arena->used_total += n;
    return p;
}

tw_str tw_arena_dup(tw_arena *arena, tw_str s, int *failed)
{
    if (!s.len)
        return (tw_str){ "", 0 };
    char *p = tw_arena_alloc(arena, s.len);
    if (!p) {
        *failed = 1;
        return (tw_str){ "", 0 };
    }
    memcpy(p, s.p, s.len);
    return (tw_str){ p, s.len };
}
