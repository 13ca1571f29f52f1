/* schema_jdom: a small document tree, built from tw_json_walk into an arena, for JSON that is
 * read whole and navigated rather than streamed: IAM policy documents and the inventory of
 * `aws iam get-account-authorization-details` (--grants). Nodes keep their byte offset, so a
 * reader can say where in the text a value of the wrong type was. */
#ifndef INGEST_JDOM_H
#define INGEST_JDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema_json.h"
#include "tw_arena.h"

typedef struct tw_jnode tw_jnode;
struct tw_jnode {
    tw_json_vtype type; /* TW_JV_NULL ... TW_JV_ARRAY */
    tw_str key;         /* as a member of an object; else empty */
    tw_str text;        /* strings (unescaped), numbers as written, booleans */
    double number;
    bool boolean;
    uint64_t offset;     /* in the text */
    uint32_t n_children; /* objects and arrays */
    tw_jnode *child;     /* the first member or element */
    tw_jnode *next;      /* the next sibling */
};

/* Parses text[0..len) (padded as for tw_json_parse) into nodes allocated in arena (the text
 * is copied where needed: the tree does not point into it). Returns the root, or NULL with
 * err filled (err->reason "nomem" when out of memory). */
tw_jnode *tw_jdom_parse(tw_json *js, tw_arena *arena, const char *text, size_t len, size_t capacity,
                        uint32_t max_depth, tw_json_error *err);

/* The same, leaving out the members for which skip(ud, key, depth) is true (with all they
 * hold; depth 1 is the root's members): a reader that needs a few members of a large file
 * builds no tree for the rest. The text is still checked whole. */
typedef bool (*tw_jdom_skip_fn)(void *ud, tw_str key, uint32_t depth);
tw_jnode *tw_jdom_parse_filtered(tw_json *js, tw_arena *arena, const char *text, size_t len,
                                 size_t capacity, uint32_t max_depth, tw_jdom_skip_fn skip,
                                 void *skip_ud, tw_json_error *err);

/* The member `key` of an object (first match), or NULL (also when obj is not an object). */
const tw_jnode *tw_jnode_get(const tw_jnode *obj, const char *key);

/* Line and column (1-based) of a byte offset in text, for messages. */
void tw_text_position(const char *text, size_t len, uint64_t offset, uint64_t *line,
                      uint64_t *column);

#endif
