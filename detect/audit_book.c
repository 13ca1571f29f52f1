/* audit_book: see audit_book.h. */
#include "audit_book.h"

#include <stdlib.h>
#include <string.h>

#include "tw_hash.h"

#define BOOK_MAX (1u << 20) /* destinations kept at most: a large organization has hundreds */

struct tw_audit_book {
    uint64_t *slot;  /* open addressing; 0 is empty (a hash of 0 is stored as 1) */
    uint32_t cap, n; /* cap a power of two, filled to half at most */
    tw_audit_stats stats;
};

static bool contains(const tw_audit_book *ab, uint64_t h)
{
    if (!ab->cap)
        return false;
    for (uint32_t i = (uint32_t)h & (ab->cap - 1);; i = (i + 1) & (ab->cap - 1)) {
        if (ab->slot[i] == h)
            return true;
        if (!ab->slot[i])
            return false;
    }
}

static bool insert(tw_audit_book *ab, uint64_t h)
{
    if (contains(ab, h))
        return true;
    if (ab->n >= BOOK_MAX)
        return false;
    if (2 * (ab->n + 1) > ab->cap) {
        uint32_t cap = ab->cap ? ab->cap * 2 : 64;
        uint64_t *slot = calloc(cap, sizeof *slot);
        if (!slot)
            return false;
        for (uint32_t i = 0; i < ab->cap; i++) {
            if (!ab->slot[i])
                continue;
            uint32_t k = (uint32_t)ab->slot[i] & (cap - 1);
            while (slot[k])
                k = (k + 1) & (cap - 1);
            slot[k] = ab->slot[i];
        }
        free(ab->slot);
        ab->slot = slot;
        ab->cap = cap;
    }
    uint32_t k = (uint32_t)h & (ab->cap - 1);
    while (ab->slot[k])
        k = (k + 1) & (ab->cap - 1);
    ab->slot[k] = h;
    ab->n++;
    return true;
}

tw_audit_book *tw_audit_book_new(void)
{
    return calloc(1, sizeof(tw_audit_book));
}

void tw_audit_book_destroy(tw_audit_book *ab)
{
    if (!ab)
        return;
    free(ab->slot);
    free(ab);
}

void tw_audit_book_event(tw_audit_book *ab, tw_event *ev)
{
    if ((ev->flags & TW_EV_AUDIT_CANDIDATE) && contains(ab, ev->audit_target)) {
        ev->classes |= TW_CLASS_LOGGING_CONTROL;
        ev->rules = ev->rules_if_audit;
        ev->n_rules = ev->n_rules_if_audit;
        ab->stats.deletions++;
    }
    if (!(ev->flags & TW_EV_AUDIT_NAMES))
        return;
    for (uint32_t i = 0; i < ev->n_audit_names; i++)
        if (insert(ab, ev->audit_names[i]))
            ab->stats.destinations = ab->n;
}

void tw_audit_book_get_stats(const tw_audit_book *ab, tw_audit_stats *out)
{
    *out = ab->stats;
}

void tw_audit_book_save(const tw_audit_book *ab, tw_buf *out)
{
    tw_wire_u32(out, ab->n);
    tw_wire_u64(out, ab->stats.deletions);
    for (uint32_t i = 0; i < ab->cap; i++)
        if (ab->slot[i])
            tw_wire_u64(out, ab->slot[i]);
}

tw_err tw_audit_book_load(tw_audit_book *ab, tw_wire_reader *in)
{
    uint32_t n = tw_wire_get_u32(in);
    uint64_t deletions = tw_wire_get_u64(in);
    if (in->failed || n > BOOK_MAX || (uint64_t)(in->end - in->p) < (uint64_t)n * 8)
        return TW_ERR_CORRUPT;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t h = tw_wire_get_u64(in);
        if (!h)
            return TW_ERR_CORRUPT;
        if (!insert(ab, h))
            return TW_ERR_NOMEM;
    }
    if (ab->n != n)
        return TW_ERR_CORRUPT; /* a hash named twice */
    ab->stats.destinations = n;
    ab->stats.deletions = deletions;
    return TW_OK;
}

static void stream_event(void *self, tw_event *ev, const tw_emit *emit)
{
    (void)emit;
    tw_audit_book_event(self, ev);
}

static void stream_save(const void *self, tw_buf *out)
{
    tw_audit_book_save(self, out);
}

static tw_err stream_load(void *self, tw_wire_reader *in)
{
    return tw_audit_book_load(self, in);
}

tw_stream_detector tw_audit_book_stream(tw_audit_book *ab)
{
    return (tw_stream_detector){ .name = "audit-destinations",
                                 .self = ab,
                                 .on_event = stream_event,
                                 .save = stream_save,
                                 .load = stream_load };
}
