/* state_table: the identity table behind state.h. Linear probing with backward-shift
 * deletion (no tombstones, so expiry never degrades lookups); each slot holds a 32-bit hash
 * tag and a record index, so most misses never touch a record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "tw_rng.h"

#define PAGE_RECORDS 4096u
#define EVICT_SAMPLE 16

struct tw_state {
    tw_state_conf conf;
    size_t rec_size;
    unsigned char **pages; /* records, PAGE_RECORDS a page */
    uint32_t n_pages, cap_pages;
    uint32_t n_records;  /* records ever carved from pages */
    uint32_t *free_list; /* indices of released records */
    uint32_t n_free, cap_free;
    uint64_t *table;  /* (tag << 32) | (index + 1); 0 is empty */
    uint64_t mask;    /* table size - 1 */
    uint64_t cursor;  /* expiry resumes here */
    size_t heap_keys; /* bytes of long keys */
    tw_rng rng;
    tw_state_stats stats;
};

static inline tw_ident *record_at(const tw_state *st, uint32_t idx)
{
    return (tw_ident *)(st->pages[idx / PAGE_RECORDS] +
                        (size_t)(idx % PAGE_RECORDS) * st->rec_size);
}

static inline uint64_t slot_of(const tw_state *st, uint64_t hash)
{
    return (hash >> 7) & st->mask;
}

tw_state *tw_state_new(const tw_state_conf *conf, char *errstr, size_t errstr_size)
{
    tw_state *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    st->conf = *conf;
    if (st->conf.max_identities == 0)
        st->conf.max_identities = UINT32_MAX - 1;
    st->rec_size = (sizeof(tw_ident) + conf->slot_bytes + 7) & ~(size_t)7;
    st->mask = 1024 - 1;
    st->table = calloc(st->mask + 1, sizeof *st->table);
    if (!st->table) {
        free(st);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    tw_rng_seed(&st->rng, conf->seed ^ 0x5eed);
    return st;
}

void tw_state_destroy(tw_state *st)
{
    if (!st)
        return;
    for (uint64_t i = 0; i <= st->mask; i++) {
        if (!st->table[i])
            continue;
        tw_ident *ident = record_at(st, (uint32_t)(st->table[i] & 0xffffffffu) - 1);
        if (st->conf.release)
            st->conf.release(st->conf.release_ud, ident);
        if (ident->key != ident->inline_key)
            free(ident->key);
    }
    for (uint32_t i = 0; i < st->n_pages; i++)
        free(st->pages[i]);
    free(st->pages);
    free(st->free_list);
    free(st->table);
    free(st);
}

static bool grow_table(tw_state *st)
{
    uint64_t new_size = (st->mask + 1) * 2;
    uint64_t *t = calloc(new_size, sizeof *t);
    if (!t)
        return false;
    uint64_t new_mask = new_size - 1;
    for (uint64_t i = 0; i <= st->mask; i++) {
        uint64_t e = st->table[i];
        if (!e)
            continue;
        tw_ident *ident = record_at(st, (uint32_t)(e & 0xffffffffu) - 1);
        uint64_t s = (ident->hash >> 7) & new_mask;
        while (t[s])
            s = (s + 1) & new_mask;
        t[s] = e;
    }
    free(st->table);
    st->table = t;
    st->mask = new_mask;
    st->cursor = 0;
    return true;
}

static bool alloc_record(tw_state *st, uint32_t *idx)
{
    if (st->n_free) {
        *idx = st->free_list[--st->n_free];
        return true;
    }
    if (st->n_records % PAGE_RECORDS == 0) {
        if (st->n_pages == st->cap_pages) {
            uint32_t cap = st->cap_pages ? st->cap_pages * 2 : 16;
            unsigned char **p = realloc(st->pages, cap * sizeof *p);
            if (!p)
                return false;
            st->pages = p;
            st->cap_pages = cap;
        }
        unsigned char *page = malloc(PAGE_RECORDS * st->rec_size);
        if (!page)
            return false;
        st->pages[st->n_pages++] = page;
    }
    *idx = st->n_records++;
    return true;
}

static void free_record(tw_state *st, uint32_t idx)
{
    tw_ident *ident = record_at(st, idx);
    if (st->conf.release && ident->key)
        st->conf.release(st->conf.release_ud, ident);
    if (ident->key != ident->inline_key) {
        st->heap_keys -= ident->key_len;
        free(ident->key);
    }
    ident->key = NULL;
    if (st->n_free == st->cap_free) {
        uint32_t cap = st->cap_free ? st->cap_free * 2 : 1024;
        uint32_t *f = realloc(st->free_list, cap * sizeof *f);
        if (!f)
            return; /* the record leaks into the page until destroy: harmless */
        st->free_list = f;
        st->cap_free = cap;
    }
    st->free_list[st->n_free++] = idx;
}

/* Removes the table entry at slot s, shifting back the entries of its probe run. */
static void delete_slot(tw_state *st, uint64_t s)
{
    uint32_t idx = (uint32_t)(st->table[s] & 0xffffffffu) - 1;
    free_record(st, idx);
    st->stats.live--;
    uint64_t hole = s, i = s;
    for (;;) {
        i = (i + 1) & st->mask;
        uint64_t e = st->table[i];
        if (!e)
            break;
        tw_ident *ident = record_at(st, (uint32_t)(e & 0xffffffffu) - 1);
        uint64_t home = slot_of(st, ident->hash);
        /* move e into the hole if its home is not within (hole, i] cyclically */
        bool between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!between) {
            st->table[hole] = e;
            hole = i;
        }
    }
    st->table[hole] = 0;
}

static void evict_one(tw_state *st)
{
    uint64_t best = UINT64_MAX;
    int64_t best_seen = INT64_MAX;
    for (int n = 0, tries = 0; n < EVICT_SAMPLE && tries < EVICT_SAMPLE * 64; tries++) {
        uint64_t s = tw_rng_below(&st->rng, st->mask + 1);
        uint64_t e = st->table[s];
        if (!e)
            continue;
        n++;
        tw_ident *ident = record_at(st, (uint32_t)(e & 0xffffffffu) - 1);
        if (ident->last_seen < best_seen) {
            best_seen = ident->last_seen;
            best = s;
        }
    }
    if (best != UINT64_MAX) {
        if (st->conf.removed)
            st->conf.removed(st->conf.release_ud,
                             record_at(st, (uint32_t)(st->table[best] & 0xffffffffu) - 1));
        delete_slot(st, best);
        st->stats.evicted++;
    }
}

static void init_record(tw_state *st, tw_ident *ident, int64_t now_ms)
{
    ident->first_seen = now_ms;
    ident->last_seen = now_ms;
    ident->kind = 0;
    ident->flags = 0;
    ident->source = 0;
    memset(ident->slots, 0, st->conf.slot_bytes);
}

tw_ident *tw_state_get(tw_state *st, uint64_t hash, tw_str key, int64_t now_ms, bool *created)
{
    uint64_t tag = hash >> 32;
    uint64_t s = slot_of(st, hash);
    for (;;) {
        uint64_t e = st->table[s];
        if (!e)
            break;
        if ((e >> 32) == tag) {
            tw_ident *ident = record_at(st, (uint32_t)(e & 0xffffffffu) - 1);
            if (ident->hash == hash && ident->key_len == key.len &&
                memcmp(ident->key, key.p, key.len) == 0) {
                if (now_ms - ident->last_seen > st->conf.idle_ms) {
                    if (st->conf.release)
                        st->conf.release(st->conf.release_ud, ident);
                    init_record(st, ident, now_ms);
                    st->stats.reset_idle++;
                    *created = true;
                } else {
                    *created = false;
                    if (now_ms > ident->last_seen)
                        ident->last_seen = now_ms;
                }
                return ident;
            }
        }
        s = (s + 1) & st->mask;
    }
    /* new identity */
    if (st->stats.live >= st->conf.max_identities)
        evict_one(st);
    if ((st->stats.live + 1) * 4 > (st->mask + 1) * 3) {
        if (!grow_table(st))
            return NULL;
    }
    uint32_t idx;
    if (!alloc_record(st, &idx))
        return NULL;
    tw_ident *ident = record_at(st, idx);
    ident->hash = hash;
    ident->key_len = key.len;
    if (key.len <= TW_IDENT_INLINE_KEY) {
        ident->key = ident->inline_key;
    } else {
        ident->key = malloc(key.len);
        if (!ident->key) {
            ident->key = ident->inline_key;
            memset(ident->slots, 0, st->conf.slot_bytes); /* release sees zeroed slots */
            free_record(st, idx);
            return NULL;
        }
        st->heap_keys += key.len;
    }
    memcpy(ident->key, key.p, key.len);
    init_record(st, ident, now_ms);
    s = slot_of(st, hash);
    while (st->table[s])
        s = (s + 1) & st->mask;
    st->table[s] = (tag << 32) | ((uint64_t)idx + 1);
    st->stats.live++;
    st->stats.created++;
    if (st->stats.live > st->stats.peak_live)
        st->stats.peak_live = st->stats.live;
    *created = true;
    return ident;
}

uint32_t tw_state_expire(tw_state *st, int64_t watermark_ms, uint32_t budget)
{
    return tw_state_expire_sources(st, watermark_ms, NULL, 0, budget);
}

uint32_t tw_state_expire_sources(tw_state *st, int64_t watermark_ms, const int64_t *source_wm,
                                 uint32_t n_sources, uint32_t budget)
{
    uint32_t removed = 0;
    int64_t grace = st->conf.idle_ms + st->conf.expire_margin_ms;
    for (uint32_t n = 0; n < budget && st->stats.live; n++) {
        uint64_t s = st->cursor & st->mask;
        uint64_t e = st->table[s];
        if (e) {
            tw_ident *ident = record_at(st, (uint32_t)(e & 0xffffffffu) - 1);
            int64_t wm = source_wm && ident->source && ident->source < n_sources
                             ? source_wm[ident->source]
                             : watermark_ms;
            /* saturating: before any event the watermark is INT64_MIN */
            if (wm >= INT64_MIN + grace && ident->last_seen < wm - grace) {
                if (st->conf.removed)
                    st->conf.removed(st->conf.release_ud, ident);
                delete_slot(st, s);
                st->stats.expired++;
                removed++;
                continue; /* the shift may have moved an unvisited entry into s */
            }
        }
        st->cursor = (s + 1) & st->mask;
    }
    return removed;
}

bool tw_state_remove(tw_state *st, uint64_t hash, tw_str key)
{
    uint64_t tag = hash >> 32;
    for (uint64_t s = slot_of(st, hash);; s = (s + 1) & st->mask) {
        uint64_t e = st->table[s];
        if (!e)
            return false;
        if ((e >> 32) != tag)
            continue;
        const tw_ident *ident = record_at(st, (uint32_t)(e & 0xffffffffu) - 1);
        if (ident->hash == hash && ident->key_len == key.len &&
            memcmp(ident->key, key.p, key.len) == 0) {
            delete_slot(st, s);
            return true;
        }
    }
}

uint64_t tw_state_drop_sources(tw_state *st, const bool *drop, uint32_t n_sources)
{
    uint64_t removed = 0;
    for (uint64_t s = 0; s <= st->mask;) {
        uint64_t e = st->table[s];
        const tw_ident *ident = e ? record_at(st, (uint32_t)(e & 0xffffffffu) - 1) : NULL;
        if (ident && ident->source < n_sources && drop[ident->source]) {
            delete_slot(st, s); /* the shift may move an unvisited entry into s */
            removed++;
            continue;
        }
        s++;
    }
    return removed;
}

void tw_state_foreach(tw_state *st, void (*fn)(void *ud, tw_ident *ident), void *ud)
{
    for (uint64_t i = 0; i <= st->mask; i++)
        if (st->table[i])
            fn(ud, record_at(st, (uint32_t)(st->table[i] & 0xffffffffu) - 1));
}

void tw_state_get_stats(const tw_state *st, tw_state_stats *stats)
{
    *stats = st->stats;
    stats->bytes = (size_t)st->n_pages * PAGE_RECORDS * st->rec_size +
                   (st->mask + 1) * sizeof *st->table + st->cap_free * sizeof(uint32_t) +
                   st->heap_keys;
}

size_t tw_state_record_size(const tw_state *st)
{
    return st->rec_size;
}
