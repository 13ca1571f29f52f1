/* schema_jdom: see schema_jdom.h. */
#include <stdio.h>
#include <string.h>

#include "schema_jdom.h"

typedef struct build {
    tw_arena *arena;
    tw_jdom_skip_fn skip;
    void *skip_ud;
    uint32_t skipping; /* inside a skipped container: its nesting so far */
    tw_jnode *root;
    tw_jnode *stack[257]; /* open containers */
    tw_jnode *last[257];  /* their last child, to append in order */
    uint32_t depth;
    bool nomem;
} build;

static int on_item(void *ud, const tw_json_walk_item *it)
{
    build *b = ud;
    if (b->skipping) {
        if (it->end)
            b->skipping--;
        else if (it->value.type == TW_JV_OBJECT || it->value.type == TW_JV_ARRAY)
            b->skipping++;
        return 0;
    }
    if (!it->end && it->has_key && b->skip && b->skip(b->skip_ud, it->key, it->depth)) {
        if (it->value.type == TW_JV_OBJECT || it->value.type == TW_JV_ARRAY)
            b->skipping = 1;
        return 0;
    }
    if (it->end) {
        if (b->depth)
            b->depth--;
        return 0;
    }
    tw_jnode *n = tw_arena_alloc(b->arena, sizeof *n);
    if (!n) {
        b->nomem = true;
        return 1;
    }
    memset(n, 0, sizeof *n);
    int failed = 0;
    n->type = it->value.type;
    n->offset = it->offset;
    n->number = it->value.number;
    n->boolean = it->value.boolean;
    if (it->has_key)
        n->key = tw_arena_dup(b->arena, it->key, &failed);
    if (it->value.text.len)
        n->text = tw_arena_dup(b->arena, it->value.text, &failed);
    if (failed) {
        b->nomem = true;
        return 1;
    }
    if (!b->root) {
        b->root = n;
    } else if (b->depth) {
        tw_jnode *parent = b->stack[b->depth - 1];
        if (b->last[b->depth - 1])
            b->last[b->depth - 1]->next = n;
        else
            parent->child = n;
        b->last[b->depth - 1] = n;
        parent->n_children++;
    }
    if (n->type == TW_JV_OBJECT || n->type == TW_JV_ARRAY) {
        if (b->depth == sizeof b->stack / sizeof b->stack[0])
            return 1; /* the walk's max_depth keeps below this */
        b->stack[b->depth] = n;
        b->last[b->depth] = NULL;
        b->depth++;
    }
    return 0;
}

tw_jnode *tw_jdom_parse(tw_json *js, tw_arena *arena, const char *text, size_t len, size_t capacity,
                        uint32_t max_depth, tw_json_error *err)
{
    return tw_jdom_parse_filtered(js, arena, text, len, capacity, max_depth, NULL, NULL, err);
}

tw_jnode *tw_jdom_parse_filtered(tw_json *js, tw_arena *arena, const char *text, size_t len,
                                 size_t capacity, uint32_t max_depth, tw_jdom_skip_fn skip,
                                 void *skip_ud, tw_json_error *err)
{
    build b = { .arena = arena, .skip = skip, .skip_ud = skip_ud };
    if (max_depth > 256)
        max_depth = 256;
    tw_err rc = tw_json_walk(js, text, len, capacity, max_depth, on_item, &b, err);
    if (b.nomem) {
        if (err) {
            err->reason = "nomem";
            snprintf(err->message, sizeof err->message, "out of memory");
            err->offset = 0;
        }
        return NULL;
    }
    return rc == TW_OK ? b.root : NULL;
}

const tw_jnode *tw_jnode_get(const tw_jnode *obj, const char *key)
{
    if (!obj || obj->type != TW_JV_OBJECT)
        return NULL;
    size_t n = strlen(key);
    for (const tw_jnode *c = obj->child; c; c = c->next)
        if (c->key.len == n && !memcmp(c->key.p, key, n))
            return c;
    return NULL;
}

void tw_text_position(const char *text, size_t len, uint64_t offset, uint64_t *line,
                      uint64_t *column)
{
    uint64_t l = 1, c = 1;
    for (size_t i = 0; i < len && i < offset; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *column = c;
}
