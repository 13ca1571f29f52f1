/* grants_parts: one grant book per partition, for consume --state-topic (grants.h). Each book is
 * a tracker of its own, limited to the principals route keys to its partition; the template
 * (the inventory's tracker) is cloned into a book when its partition first shows up, and a
 * book restored from the changelog replaces it.
 *
 * A book goes to the changelog zstd-compressed: its policies' action sets are bitsets over the
 * privileged actions, mostly zero (10,000 principals of an inventory: 6.2 MB raw), and a
 * partition's book is one record, bounded by message.max.bytes. */
#include <zstd.h>

#include "grants_internal.h"
#include "tw_log.h"

#define BOOK_LEVEL 3
#define BOOK_MAX_RAW (1ull << 31) /* a restored book's stated size, at most */

typedef struct part_book {
    tw_grant_parts *gp;
    uint16_t source;
    tw_grants *g;
    uint64_t saved; /* its changes when it was last saved */
} part_book;

struct tw_grant_parts {
    tw_grants *tmpl;
    tw_owner_fn owner;
    void *ud;
    part_book **books; /* by source (partition + 1) */
    uint32_t cap;
    tw_grants_stats gone; /* what the books dropped had counted */
    bool said_nomem;
};

static bool owns(void *ud, tw_str key)
{
    const part_book *pb = ud;
    return pb->gp->owner(pb->gp->ud, pb->source, key);
}

tw_grant_parts *tw_grant_parts_new(tw_grants *tmpl, tw_owner_fn owner, void *ud)
{
    tw_grant_parts *gp = calloc(1, sizeof *gp);
    if (gp) {
        gp->tmpl = tmpl;
        gp->owner = owner;
        gp->ud = ud;
    }
    return gp;
}

static void add_stats(tw_grants_stats *to, const tw_grants_stats *s)
{
    to->grants_stream += s->grants_stream;
    to->grants_inventory += s->grants_inventory;
    to->revoked += s->revoked;
    to->unparseable += s->unparseable;
    to->principals += s->principals;
    to->unresolved += s->unresolved;
    to->uses += s->uses;
    to->findings_unused += s->findings_unused;
    to->findings_dormant += s->findings_dormant;
    to->findings_training_telemetry += s->findings_training_telemetry;
}

static void drop_book(tw_grant_parts *gp, uint16_t source)
{
    part_book *pb = source < gp->cap ? gp->books[source] : NULL;
    if (!pb)
        return;
    tw_grants_stats s;
    tw_grants_get_stats(pb->g, &s);
    s.principals = 0; /* held no more */
    add_stats(&gp->gone, &s);
    tw_grants_destroy(pb->g);
    free(pb);
    gp->books[source] = NULL;
}

void tw_grant_parts_destroy(tw_grant_parts *gp)
{
    if (!gp)
        return;
    for (uint32_t s = 0; s < gp->cap; s++)
        drop_book(gp, (uint16_t)s);
    free(gp->books);
    free(gp);
}

void tw_grant_parts_get_stats(const tw_grant_parts *gp, tw_grants_stats *out)
{
    tw_grants_get_stats(gp->tmpl, out);
    out->principals = 0; /* the books hold them */
    add_stats(out, &gp->gone);
    for (uint32_t s = 0; s < gp->cap; s++) {
        if (!gp->books[s])
            continue;
        tw_grants_stats b;
        tw_grants_get_stats(gp->books[s]->g, &b);
        add_stats(out, &b);
    }
}

/* The slot of source's book, grown as needed (NULL when out of memory). */
static part_book **slot_of(tw_grant_parts *gp, uint16_t source)
{
    if (source >= gp->cap) {
        uint32_t cap = (uint32_t)source + 16u;
        part_book **v = realloc(gp->books, cap * sizeof *v);
        if (!v)
            return NULL;
        memset(v + gp->cap, 0, (cap - gp->cap) * sizeof *v);
        gp->books = v;
        gp->cap = cap;
    }
    return &gp->books[source];
}

/* A new book for source: g given (restored), or the template's principals of it. */
static part_book *new_book(tw_grant_parts *gp, uint16_t source, tw_wire_reader *in, tw_err *err)
{
    *err = TW_ERR_NOMEM;
    part_book **slot = slot_of(gp, source);
    part_book *pb = slot ? calloc(1, sizeof *pb) : NULL;
    if (!pb)
        return NULL;
    pb->gp = gp;
    pb->source = source;
    if (in) {
        if ((pb->g = tw_grants_new(&gp->tmpl->conf)) != NULL) {
            tw_grants_set_owner(pb->g, owns, pb);
            *err = tw_grants_load(pb->g, in);
        }
    } else if ((pb->g = tw_grants_clone_owned(gp->tmpl, owns, pb)) != NULL) {
        *err = TW_OK;
    }
    if (*err) {
        tw_grants_destroy(pb->g);
        free(pb);
        return NULL;
    }
    pb->saved = tw_grants_changes(pb->g);
    drop_book(gp, source); /* a restored book replaces what was there */
    *slot_of(gp, source) = pb;
    return pb;
}

static tw_grants *book_of(tw_grant_parts *gp, uint16_t source)
{
    if (source < gp->cap && gp->books[source])
        return gp->books[source]->g;
    tw_err err;
    part_book *pb = new_book(gp, source, NULL, &err);
    if (!pb && !gp->said_nomem) { /* said once: it is tried again at each event */
        gp->said_nomem = true;
        tw_log("grants: out of memory making a partition's book (source %u): its grants go "
               "unwatched",
               (unsigned)source);
    }
    return pb ? pb->g : NULL;
}

/* ---- as a stream detector ---------------------------------------------------------------- */

static void parts_event(void *self, tw_event *ev, const tw_emit *emit)
{
    tw_grants *g = ev->source ? book_of(self, ev->source) : NULL;
    if (g)
        tw_grants_use_event(g, ev, emit);
}

static void parts_copy(void *self, tw_event *ev, const tw_emit *emit)
{
    tw_grants *g = ev->source ? book_of(self, ev->source) : NULL;
    if (g)
        tw_grants_copy_event(g, ev, emit);
}

static void parts_changed(void *self, void (*fn)(void *ud, uint16_t source), void *ud)
{
    tw_grant_parts *gp = self;
    for (uint32_t s = 0; s < gp->cap; s++) {
        part_book *pb = gp->books[s];
        if (!pb || tw_grants_changes(pb->g) == pb->saved)
            continue;
        pb->saved = tw_grants_changes(pb->g);
        fn(ud, (uint16_t)s);
    }
}

/* A book's record: its raw size, then the book as one zstd frame. */
static void parts_save_source(const void *self, uint16_t source, tw_buf *out)
{
    const tw_grant_parts *gp = self;
    if (source >= gp->cap || !gp->books[source])
        return;
    tw_buf raw;
    tw_buf_init(&raw);
    tw_grants_save(gp->books[source]->g, &raw);
    size_t bound = ZSTD_compressBound(raw.len);
    if (raw.failed || !tw_buf_reserve(out, 8 + bound)) {
        out->failed = true;
        tw_buf_free(&raw);
        return;
    }
    tw_wire_u64(out, raw.len);
    size_t n = ZSTD_compress(out->p + out->len, bound, raw.p, raw.len, BOOK_LEVEL);
    if (ZSTD_isError(n))
        out->failed = true;
    else
        out->len += n;
    tw_buf_free(&raw);
}

static tw_err parts_merge_source(void *self, uint16_t source, tw_wire_reader *in)
{
    uint64_t size = tw_wire_get_u64(in);
    if (in->failed || size > BOOK_MAX_RAW)
        return TW_ERR_CORRUPT;
    size_t frame = (size_t)(in->end - in->p);
    unsigned long long stated = ZSTD_getFrameContentSize(in->p, frame);
    if (stated != size)
        return TW_ERR_CORRUPT; /* unknown, an error, or not what the record says */
    char *raw = malloc(size ? size : 1);
    if (!raw)
        return TW_ERR_NOMEM;
    size_t got = ZSTD_decompress(raw, size, in->p, frame);
    tw_err err = TW_ERR_CORRUPT;
    if (!ZSTD_isError(got) && got == size) {
        tw_wire_reader book = { (const unsigned char *)raw, (const unsigned char *)raw + size,
                                false };
        new_book(self, source, &book, &err);
    }
    free(raw);
    in->p = in->end;
    return err;
}

static void parts_drop_source(void *self, uint16_t source)
{
    drop_book(self, source);
}

/* A whole save (a stream detector's contract; consume --state-topic writes sources): every
 * book, by source. */
static void parts_save(const void *self, tw_buf *out)
{
    const tw_grant_parts *gp = self;
    uint32_t n = 0;
    for (uint32_t s = 0; s < gp->cap; s++)
        n += gp->books[s] != NULL;
    tw_wire_u32(out, n);
    for (uint32_t s = 0; s < gp->cap; s++) {
        if (!gp->books[s])
            continue;
        tw_wire_u32(out, s);
        tw_grants_save(gp->books[s]->g, out);
    }
}

static tw_err parts_load(void *self, tw_wire_reader *in)
{
    uint32_t n = tw_wire_get_u32(in);
    for (uint32_t i = 0; i < n && !in->failed; i++) {
        uint32_t s = tw_wire_get_u32(in);
        if (in->failed || s == 0 || s > UINT16_MAX)
            return TW_ERR_CORRUPT;
        tw_err err;
        new_book(self, (uint16_t)s, in, &err);
        if (err)
            return err;
    }
    return in->failed ? TW_ERR_CORRUPT : TW_OK;
}

tw_stream_detector tw_grant_parts_stream(tw_grant_parts *gp)
{
    return (tw_stream_detector){ .name = "grants",
                                 .self = gp,
                                 .on_event = parts_event,
                                 .save = parts_save,
                                 .load = parts_load,
                                 .changed_sources = parts_changed,
                                 .save_source = parts_save_source,
                                 .merge_source = parts_merge_source,
                                 .drop_source = parts_drop_source,
                                 .on_copy = parts_copy };
}
