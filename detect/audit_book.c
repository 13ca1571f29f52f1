/* audit_book: see audit_book.h. */
#include "audit_book.h"

#include <stdlib.h>
#include <string.h>

#include "tw_hash.h"

#define BOOK_MAX (1u << 20) /* destinations kept at most: a large organization has hundreds */

struct tw_audit_book {
    uint64_t *slot;  /* open addressing; 0 is empty (a hash of 0 is stored as 1) */
    uint16_t *src;   /* beside each slot: the source (consume: partition + 1) that named it */
    uint32_t cap, n; /* cap a power of two, filled to half at most */
    bool *changed;   /* sources that named a new destination since changed_sources last ran */
    uint32_t n_changed;
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

/* Notes that source named a new destination (false: out of memory, nothing noted). */
static bool note_changed(tw_audit_book *ab, uint16_t source)
{
    if (source >= ab->n_changed) {
        uint32_t n = (uint32_t)source + 16;
        bool *v = realloc(ab->changed, n * sizeof *v);
        if (!v)
            return false;
        memset(v + ab->n_changed, 0, (n - ab->n_changed) * sizeof *v);
        ab->changed = v;
        ab->n_changed = n;
    }
    ab->changed[source] = true;
    return true;
}

static bool insert(tw_audit_book *ab, uint64_t h, uint16_t source)
{
    if (contains(ab, h))
        return true;
    if (ab->n >= BOOK_MAX)
        return false;
    if (2 * (ab->n + 1) > ab->cap) {
        uint32_t cap = ab->cap ? ab->cap * 2 : 64;
        uint64_t *slot = calloc(cap, sizeof *slot);
        uint16_t *src = calloc(cap, sizeof *src);
        if (!slot || !src) {
            free(slot);
            free(src);
            return false;
        }
        for (uint32_t i = 0; i < ab->cap; i++) {
            if (!ab->slot[i])
                continue;
            uint32_t k = (uint32_t)ab->slot[i] & (cap - 1);
            while (slot[k])
                k = (k + 1) & (cap - 1);
            slot[k] = ab->slot[i];
            src[k] = ab->src[i];
        }
        free(ab->slot);
        free(ab->src);
        ab->slot = slot;
        ab->src = src;
        ab->cap = cap;
    }
    if (source && !note_changed(ab, source))
        return false;
    uint32_t k = (uint32_t)h & (ab->cap - 1);
    while (ab->slot[k])
        k = (k + 1) & (ab->cap - 1);
    ab->slot[k] = h;
    ab->src[k] = source;
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
    free(ab->src);
    free(ab->changed);
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
        if (insert(ab, ev->audit_names[i], ev->source))
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

/* n hashes from in into the book; one not from a source yet is from source from now on (0:
 * none). TW_ERR_CORRUPT when cut short or a hash is 0. */
static tw_err take_hashes(tw_audit_book *ab, tw_wire_reader *in, uint32_t n, uint16_t source)
{
    if (in->failed || n > BOOK_MAX || (uint64_t)(in->end - in->p) < (uint64_t)n * 8)
        return TW_ERR_CORRUPT;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t h = tw_wire_get_u64(in);
        if (!h)
            return TW_ERR_CORRUPT;
        if (!insert(ab, h, 0)) /* known here now, not news to write back */
            return TW_ERR_NOMEM;
        for (uint32_t k = (uint32_t)h & (ab->cap - 1); source && ab->slot[k];
             k = (k + 1) & (ab->cap - 1))
            if (ab->slot[k] == h) {
                if (!ab->src[k])
                    ab->src[k] = source;
                break;
            }
    }
    return TW_OK;
}

tw_err tw_audit_book_load(tw_audit_book *ab, tw_wire_reader *in)
{
    uint32_t n = tw_wire_get_u32(in);
    uint64_t deletions = tw_wire_get_u64(in);
    tw_err err = take_hashes(ab, in, n, 0);
    if (err)
        return err;
    if (ab->n != n)
        return TW_ERR_CORRUPT; /* a hash named twice */
    ab->stats.destinations = n;
    ab->stats.deletions = deletions;
    return TW_OK;
}

void tw_audit_book_changed_sources(tw_audit_book *ab, void (*fn)(void *ud, uint16_t source),
                                   void *ud)
{
    for (uint32_t s = 0; s < ab->n_changed; s++)
        if (ab->changed[s]) {
            ab->changed[s] = false;
            fn(ud, (uint16_t)s);
        }
}

void tw_audit_book_save_source(const tw_audit_book *ab, uint16_t source, tw_buf *out)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < ab->cap; i++)
        n += ab->slot[i] && ab->src[i] == source;
    tw_wire_u32(out, n);
    for (uint32_t i = 0; i < ab->cap; i++)
        if (ab->slot[i] && ab->src[i] == source)
            tw_wire_u64(out, ab->slot[i]);
}

tw_err tw_audit_book_merge_source(tw_audit_book *ab, uint16_t source, tw_wire_reader *in)
{
    uint32_t n = tw_wire_get_u32(in);
    tw_err err = take_hashes(ab, in, n, source); /* it follows that partition from now on */
    ab->stats.destinations = ab->n;
    return err;
}

static void stream_changed(void *self, void (*fn)(void *ud, uint16_t source), void *ud)
{
    tw_audit_book_changed_sources(self, fn, ud);
}

static void stream_save_source(const void *self, uint16_t source, tw_buf *out)
{
    tw_audit_book_save_source(self, source, out);
}

static tw_err stream_merge_source(void *self, uint16_t source, tw_wire_reader *in)
{
    return tw_audit_book_merge_source(self, source, in);
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
                                 .load = stream_load,
                                 .changed_sources = stream_changed,
                                 .save_source = stream_save_source,
                                 .merge_source = stream_merge_source };
}
