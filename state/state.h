/* state: the per-identity store. One store per worker thread, never shared, never locked
 * (the worker owns the shard of identities whose hash maps to it).
 *
 * Records are fixed-size (header, inline key, the detectors' slots laid out by the detector
 * compiler) in pages, indexed by an open-addressing table. Memory is bounded: identities idle
 * for longer than idle_ms are expired a little at a time, and at max_identities the least
 * recently seen of a random sample is evicted (counted, never silent). An identity whose last
 * event is older than idle_ms when it is next seen starts afresh, whether or not the expiry
 * pass has removed it yet, so when expiry runs never changes a finding. */
#ifndef STATE_H
#define STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_err.h"
#include "tw_str.h"

#define TW_IDENT_INLINE_KEY 88

typedef struct tw_ident tw_ident;

enum {
    TW_IDENT_SPLIT = 1u << 0, /* consume: seen in two partitions (said once) */
    TW_IDENT_DIRTY = 1u << 1, /* consume --state-topic: changed since the last barrier */
};

typedef struct tw_state_conf {
    uint64_t max_identities;  /* cap on live identities in this store */
    int64_t idle_ms;          /* an identity unseen for longer has no state worth keeping */
    int64_t expire_margin_ms; /* extra grace before removal (the allowed lateness) */
    uint32_t slot_bytes;      /* detector state per identity */
    uint64_t seed;            /* eviction sampling */
    /* Called before an identity's slots are dropped (expiry, eviction, destroy) or zeroed
     * (an idle identity starting afresh): slots may own memory elsewhere (sparse rule state).
     * Optional. */
    void (*release)(void *ud, tw_ident *ident);
    void *release_ud;
    /* Called when expiry or eviction removes an identity (before release), not when the
     * owner removes it (tw_state_remove, tw_state_drop_sources) nor at destroy: the identity
     * is gone for good (consume --state-topic writes its tombstone). Optional. */
    void (*removed)(void *ud, const tw_ident *ident);
} tw_state_conf;

struct tw_ident {
    uint64_t hash;
    int64_t first_seen;
    int64_t last_seen;
    char *key; /* points at inline_key, or at a heap copy for long keys */
    uint32_t key_len;
    uint8_t kind;    /* strongest tw_kind seen */
    uint8_t flags;   /* TW_IDENT_* */
    uint16_t source; /* consume: the partition its records came from (+1; 0 none) */
    char inline_key[TW_IDENT_INLINE_KEY];
    unsigned char slots[]; /* slot_bytes, aligned to 8 */
};

typedef struct tw_state_stats {
    uint64_t live;
    uint64_t peak_live;
    uint64_t created;
    uint64_t expired;    /* removed after idle_ms */
    uint64_t evicted;    /* removed by the cap */
    uint64_t reset_idle; /* seen again after idle_ms: started afresh */
    uint64_t bytes;      /* memory held by the store */
} tw_state_stats;

typedef struct tw_state tw_state;

tw_state *tw_state_new(const tw_state_conf *conf, char *errstr, size_t errstr_size);
void tw_state_destroy(tw_state *st); /* NULL-safe */

/* Finds the identity, or creates it with zeroed slots (*created = true). now_ms is the
 * event's time. NULL only when memory runs out. */
tw_ident *tw_state_get(tw_state *st, uint64_t hash, tw_str key, int64_t now_ms, bool *created);

static inline void *tw_ident_slot(tw_ident *ident, uint32_t offset)
{
    return ident->slots + offset;
}

/* Removes identities idle at watermark_ms; scans at most budget table slots a call, resuming
 * where the last call stopped. Returns the number removed. */
uint32_t tw_state_expire(tw_state *st, int64_t watermark_ms, uint32_t budget);
/* The same with a watermark per source (tw_ident.source: a consume partition + 1, whose
 * records run apart from the others'): an identity is idle by its own partition's progress,
 * source_wm[source] when it has one (n_sources entries), else watermark_ms. */
uint32_t tw_state_expire_sources(tw_state *st, int64_t watermark_ms, const int64_t *source_wm,
                                 uint32_t n_sources, uint32_t budget);

/* Removes the identity if it is here (its slots released; no removed call). True if it was. */
bool tw_state_remove(tw_state *st, uint64_t hash, tw_str key);
/* Removes every identity whose source is flagged in drop (n_sources entries; an identity with
 * a source outside them stays): the partitions this consumer no longer owns. Returns the count
 * removed. No removed call: their state lives on where they went. */
uint64_t tw_state_drop_sources(tw_state *st, const bool *drop, uint32_t n_sources);

/* Visits every live identity (checkpoints, tests). */
void tw_state_foreach(tw_state *st, void (*fn)(void *ud, tw_ident *ident), void *ud);

void tw_state_get_stats(const tw_state *st, tw_state_stats *stats);

/* Bytes one identity costs in this store (record plus table share), for --stats. */
size_t tw_state_record_size(const tw_state *st);

#endif
