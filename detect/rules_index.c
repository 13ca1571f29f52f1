/* rules_index: the candidate lists. One open-addressing table keyed by (log source, field,
 * lower-cased name), each slot a range of one flat array of rule indices; the rules are
 * listed in load order, so every list is ascending and a lookup is a merge of at most four
 * lists (the three names and the always-candidates of the log source). */
#include "rules_index.h"

#include <stdlib.h>
#include <string.h>

#include "rules_prefilter.h"
#include "tw_arena.h"
#include "tw_event.h"
#include "tw_hash.h"

enum { KEY_ACTION = 0, KEY_NAME, KEY_SOURCE, KEY_KINDS }; /* preference order */
enum { SRC_CLOUDTRAIL = 0, SRC_BEDROCK, SRC_KINDS };

typedef struct ix_slot {
    uint64_t hash;
    const char *key; /* lower case; NULL: empty slot */
    uint32_t len;
    uint8_t src, kind;
    uint32_t off, n; /* in lists */
} ix_slot;

/* A rule that requires no name but one of a few literals in the record (rules_prefilter.h). */
typedef struct ix_filtered {
    uint32_t rule;
    uint64_t atoms; /* bits of its literals in the log source's atoms[] */
} ix_filtered;

struct tw_rules_index {
    tw_arena arena;
    uint32_t capacity; /* rules, then room for the prefiltered rules' pass list */
    ix_slot *slots;
    uint32_t mask;
    uint32_t *lists;
    uint32_t *always[SRC_KINDS];
    uint32_t n_always[SRC_KINDS];
    uint32_t n_keys[SRC_KINDS][KEY_KINDS]; /* lets a lookup skip a field no rule is keyed by */
    /* the prefiltered rules of each log source (in load order) and their distinct literals */
    ix_filtered *filtered[SRC_KINDS];
    uint32_t n_filtered[SRC_KINDS];
    tw_prefilter_lit atoms[SRC_KINDS][TW_RULES_INDEX_ATOMS];
    uint64_t slashed[SRC_KINDS]; /* the atoms holding a '/' (which `\/` may write) */
    uint32_t n_atoms[SRC_KINDS];
    tw_rules_index_stats stats;
};

static inline unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool eq_ci(tw_str a, tw_str b)
{
    if (a.len != b.len)
        return false;
    for (uint32_t i = 0; i < a.len; i++)
        if (fold((unsigned char)a.p[i]) != fold((unsigned char)b.p[i]))
            return false;
    return true;
}

/* The lookup path works a word at a time: names are short, but every event has three. */
static inline uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Eight bytes lower-cased at once (as in rules_eval.c): a byte below 0x80 in 'A'..'Z' gains
 * 0x20; no sum carries into the next byte. */
static inline uint64_t lower8(uint64_t x)
{
    uint64_t h = x & 0x7f7f7f7f7f7f7f7fULL;
    uint64_t upper =
        (h + 0x3f3f3f3f3f3f3f3fULL) & ~(h + 0x2525252525252525ULL) & ~x & 0x8080808080808080ULL;
    return x | (upper >> 2);
}

/* s (any case) equals key (lower case). */
static bool eq_key(tw_str s, const char *key, uint32_t len)
{
    if (s.len != len)
        return false;
    uint32_t i = 0;
    for (; i + 8 <= len; i += 8)
        if (lower8(load64(s.p + i)) != load64(key + i))
            return false;
    for (; i < len; i++)
        if (fold((unsigned char)s.p[i]) != (unsigned char)key[i])
            return false;
    return true;
}

/* The hash of the lower-cased name; the index's own (nothing outside the process sees it). */
static uint64_t key_hash(unsigned src, unsigned kind, tw_str s)
{
    uint64_t h = (0x7477ULL + src * KEY_KINDS + kind) ^ (s.len * 0x9e3779b97f4a7c15ULL);
    uint32_t i = 0;
    for (; i + 8 <= s.len; i += 8)
        h = (h ^ lower8(load64(s.p + i))) * 0xbf58476d1ce4e5b9ULL;
    if (i < s.len) {
        uint64_t w = 0;
        memcpy(&w, s.p + i, s.len - i);
        h = (h ^ lower8(w)) * 0xbf58476d1ce4e5b9ULL;
    }
    return tw_hash_mix(h);
}

/* ---- what a condition requires: sets of names (case aside), or nothing ---- */

typedef struct keyset {
    bool all; /* no requirement: any name */
    uint32_t n, cap;
    tw_str *v;
} keyset;

static bool ks_add(keyset *k, tw_str s)
{
    for (uint32_t i = 0; i < k->n; i++)
        if (eq_ci(k->v[i], s))
            return true;
    if (k->n == k->cap) {
        uint32_t cap = k->cap ? k->cap * 2 : 8;
        tw_str *v = realloc(k->v, cap * sizeof *v);
        if (!v)
            return false;
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n++] = s;
    return true;
}

static bool ks_has(const keyset *k, tw_str s)
{
    for (uint32_t i = 0; i < k->n; i++)
        if (eq_ci(k->v[i], s))
            return true;
    return false;
}

/* a = a AND b, where either may be `all` (no requirement); b is consumed. */
static void ks_and(keyset *a, keyset *b)
{
    if (b->all) {
        free(b->v);
        return;
    }
    if (a->all) {
        free(a->v);
        *a = *b;
        return;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < a->n; i++)
        if (ks_has(b, a->v[i]))
            a->v[n++] = a->v[i];
    a->n = n;
    free(b->v);
}

/* a = a OR b; b is consumed. */
static bool ks_or(keyset *a, keyset *b)
{
    bool ok = true;
    if (b->all || a->all) {
        free(a->v);
        *a = (keyset){ .all = true };
    } else {
        for (uint32_t i = 0; i < b->n && ok; i++)
            ok = ks_add(a, b->v[i]);
    }
    free(b->v);
    return ok;
}

static int field_key(const tw_field *field)
{
    if (field->kind == TW_FIELD_ACTION)
        return KEY_ACTION;
    if (field->kind != TW_FIELD_RECORD)
        return -1;
    if (!strcmp(field->name, "eventName"))
        return KEY_NAME;
    if (!strcmp(field->name, "eventSource"))
        return KEY_SOURCE;
    return -1;
}

static bool derive_match(const tw_rule_match *m, int kind, keyset *out)
{
    *out = (keyset){ .all = true };
    if (field_key(m->field) != kind || (m->all && m->n_values > 1))
        return true;
    for (uint32_t i = 0; i < m->n_values; i++)
        if (m->values[i].op != TW_MATCH_EQ)
            return true;
    out->all = false;
    for (uint32_t i = 0; i < m->n_values; i++)
        if (!ks_add(out, m->values[i].text)) {
            free(out->v);
            return false;
        }
    return true;
}

static bool derive_sel(const tw_rule_selection *sel, int kind, keyset *out)
{
    *out = (keyset){ 0 };
    for (uint32_t g = 0; g < sel->n_groups; g++) {
        const tw_rule_group *grp = &sel->groups[g];
        keyset gk = { .all = true };
        for (uint32_t m = 0; m < grp->n_matches; m++) {
            keyset mk;
            if (!derive_match(&grp->matches[m], kind, &mk)) {
                free(gk.v);
                free(out->v);
                return false;
            }
            ks_and(&gk, &mk);
        }
        if (!ks_or(out, &gk)) {
            free(out->v);
            return false;
        }
        if (out->all)
            break;
    }
    return true;
}

/* On failure (out of memory) *out holds nothing to free. */
static bool derive(const tw_rule *rule, const tw_cond *c, int kind, keyset *out)
{
    switch (c->op) {
    case TW_COND_SEL:
        return derive_sel(&rule->selections[c->sel], kind, out);
    case TW_COND_NOT:
        *out = (keyset){ .all = true };
        return true;
    case TW_COND_AND:
        *out = (keyset){ .all = true };
        for (uint32_t i = 0; i < c->n_kids; i++) {
            keyset k;
            if (!derive(rule, c->kids[i], kind, &k)) {
                free(out->v);
                return false;
            }
            ks_and(out, &k);
        }
        return true;
    case TW_COND_OR:
        *out = (keyset){ 0 };
        for (uint32_t i = 0; i < c->n_kids && !out->all; i++) {
            keyset k;
            if (!derive(rule, c->kids[i], kind, &k)) {
                free(out->v);
                return false;
            }
            if (!ks_or(out, &k)) {
                free(out->v);
                return false;
            }
        }
        return true;
    }
    *out = (keyset){ .all = true };
    return true;
}

/* ---- building ---- */

typedef struct pending {
    uint32_t rule;
    uint8_t src, kind;
    tw_str key;
} pending;

static ix_slot *slot_find(const tw_rules_index *ix, unsigned src, unsigned kind, tw_str key,
                          uint64_t hash)
{
    for (uint32_t i = (uint32_t)hash & ix->mask;; i = (i + 1) & ix->mask) {
        ix_slot *sl = &ix->slots[i];
        if (!sl->key)
            return sl;
        if (sl->hash == hash && sl->src == src && sl->kind == kind && eq_key(key, sl->key, sl->len))
            return sl;
    }
}

/* Lists rule i among the prefiltered rules of src when it requires literals and they fit in
 * the source's atoms: true when it did. */
static bool add_filtered(tw_rules_index *ix, unsigned src, const tw_rule *rule, uint32_t i,
                         bool *nomem)
{
    tw_str lits[TW_PREFILTER_RULE_MAX];
    uint32_t n;
    if (!tw_rules_prefilter_derive(rule, &ix->arena, lits, &n, nomem))
        return false;
    uint64_t atoms = 0, slashed = 0;
    uint32_t n_atoms = ix->n_atoms[src]; /* the new ones count once the rule is listed */
    for (uint32_t j = 0; j < n; j++) {
        uint32_t a = 0;
        while (a < n_atoms && !tw_str_eq(ix->atoms[src][a].text, lits[j]))
            a++;
        if (a == TW_RULES_INDEX_ATOMS)
            return false; /* too many distinct literals: evaluated on every event */
        if (a == n_atoms) {
            tw_rules_prefilter_lit_init(&ix->atoms[src][n_atoms++], lits[j]);
            if (memchr(lits[j].p, '/', lits[j].len))
                slashed |= 1ull << a;
        }
        atoms |= 1ull << a;
    }
    ix->n_atoms[src] = n_atoms;
    ix->slashed[src] |= slashed;
    ix->filtered[src][ix->n_filtered[src]++] = (ix_filtered){ i, atoms };
    return true;
}

tw_err tw_rules_index_new(const tw_ruleset *rs, tw_rules_index **out)
{
    return tw_rules_index_new_ex(rs, true, out);
}

tw_err tw_rules_index_new_ex(const tw_ruleset *rs, bool prefilter, tw_rules_index **out)
{
    *out = NULL;
    tw_err err = TW_ERR_NOMEM;
    pending *pend = NULL;
    size_t n_pend = 0, cap_pend = 0;
    tw_rules_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return TW_ERR_NOMEM;
    tw_arena_init(&ix->arena, 16 * 1024);
    size_t n_rules = tw_ruleset_count(rs);
    for (unsigned s = 0; s < SRC_KINDS; s++)
        if (!(ix->always[s] = tw_arena_alloc(&ix->arena, (n_rules + 1) * sizeof(uint32_t))) ||
            !(ix->filtered[s] = tw_arena_alloc(&ix->arena, (n_rules + 1) * sizeof(ix_filtered))))
            goto out;

    for (size_t i = 0; i < n_rules; i++) {
        const tw_rule *rule = tw_ruleset_rule(rs, i);
        if (!rule->condition || rule->correlation)
            continue;
        unsigned src = rule->source == TW_SOURCE_BEDROCK ? SRC_BEDROCK : SRC_CLOUDTRAIL;
        ix->stats.rules++;
        keyset k = { .all = true };
        unsigned kind = 0;
        for (; kind < KEY_KINDS && k.all; kind++)
            if (!derive(rule, rule->condition, (int)kind, &k))
                goto out;
        kind--;
        if (k.all) {
            bool nomem = false;
            ix->stats.always++;
            if (prefilter && add_filtered(ix, src, rule, (uint32_t)i, &nomem))
                ix->stats.prefiltered++;
            else if (nomem)
                goto out;
            else
                ix->always[src][ix->n_always[src]++] = (uint32_t)i;
            continue;
        }
        if (k.n == 0)
            ix->stats.never++;
        else
            ix->stats.indexed++;
        for (uint32_t j = 0; j < k.n; j++) {
            if (n_pend == cap_pend) {
                size_t cap = cap_pend ? cap_pend * 2 : 64;
                pending *p = realloc(pend, cap * sizeof *p);
                if (!p) {
                    free(k.v);
                    goto out;
                }
                pend = p;
                cap_pend = cap;
            }
            pend[n_pend++] = (pending){ (uint32_t)i, (uint8_t)src, (uint8_t)kind, k.v[j] };
        }
        free(k.v);
    }
    /* the prefiltered rules that pass are listed past the rules (tw_rules_index_lookup_event) */
    ix->capacity = ix->stats.rules + ix->stats.prefiltered;

    /* a table at most half full */
    uint32_t size = 16;
    while (size < 2 * n_pend)
        size *= 2;
    ix->mask = size - 1;
    ix->slots = calloc(size, sizeof *ix->slots);
    ix->lists = malloc((n_pend ? n_pend : 1) * sizeof *ix->lists);
    if (!ix->slots || !ix->lists)
        goto out;
    for (size_t j = 0; j < n_pend; j++) {
        pending *p = &pend[j];
        uint64_t hash = key_hash(p->src, p->kind, p->key);
        ix_slot *sl = slot_find(ix, p->src, p->kind, p->key, hash);
        if (!sl->key) {
            char *key = tw_arena_alloc(&ix->arena, p->key.len + 1);
            if (!key)
                goto out;
            for (uint32_t b = 0; b < p->key.len; b++)
                key[b] = (char)fold((unsigned char)p->key.p[b]);
            key[p->key.len] = '\0';
            *sl = (ix_slot){ hash, key, p->key.len, p->src, p->kind, 0, 0 };
            ix->n_keys[p->src][p->kind]++;
            ix->stats.keys++;
        }
        sl->n++;
    }
    uint32_t off = 0;
    for (uint32_t i = 0; i < size; i++) {
        ix->slots[i].off = off;
        off += ix->slots[i].n;
        ix->slots[i].n = 0;
    }
    /* pend is in rule order: each list comes out ascending */
    for (size_t j = 0; j < n_pend; j++) {
        pending *p = &pend[j];
        ix_slot *sl = slot_find(ix, p->src, p->kind, p->key, key_hash(p->src, p->kind, p->key));
        ix->lists[sl->off + sl->n++] = p->rule;
    }
    err = TW_OK;
out:
    free(pend);
    if (err != TW_OK) {
        tw_rules_index_destroy(ix);
        return err;
    }
    *out = ix;
    return TW_OK;
}

void tw_rules_index_destroy(tw_rules_index *ix)
{
    if (!ix)
        return;
    tw_arena_free(&ix->arena);
    free(ix->slots);
    free(ix->lists);
    free(ix);
}

uint32_t tw_rules_index_capacity(const tw_rules_index *ix)
{
    return ix->capacity;
}

void tw_rules_index_stats_get(const tw_rules_index *ix, tw_rules_index_stats *stats)
{
    *stats = ix->stats;
}

/* ---- lookup ---- */

typedef struct run_list {
    const uint32_t *p, *end;
} run_list;

/* The prefiltered rules of src that the record's text may match, ascending, into pass; how
 * many. raw NULL: no text to look in, every one of them. *skipped: how many were left out. */
static uint32_t filter_pass(const tw_rules_index *ix, unsigned src, const tw_str *raw,
                            uint32_t *pass, uint32_t *skipped)
{
    uint32_t n = 0;
    const ix_filtered *fl = ix->filtered[src];
    uint32_t n_fl = ix->n_filtered[src];
    /* no text (nothing to look in), or a \u escape that may write any literal: every rule */
    unsigned esc = raw && raw->len ? tw_rules_prefilter_escapes(*raw) : TW_PREFILTER_ESC_U;
    if (esc & TW_PREFILTER_ESC_U) {
        for (uint32_t j = 0; j < n_fl; j++)
            pass[n++] = fl[j].rule;
        return n;
    }
    /* a literal with a '/' counts as there when the text writes one as `\/` */
    uint64_t found = (esc & TW_PREFILTER_ESC_SLASH) ? ix->slashed[src] : 0;
    uint64_t looked = found;
    for (uint32_t j = 0; j < n_fl; j++) {
        uint64_t want = fl[j].atoms;
        if (!(want & found)) {
            /* look for the literals not looked for yet, until one is there */
            for (uint64_t todo = want & ~looked; todo && !(want & found); todo &= todo - 1) {
                unsigned a = (unsigned)__builtin_ctzll(todo);
                looked |= 1ull << a;
                if (tw_rules_prefilter_find(*raw, &ix->atoms[src][a]))
                    found |= 1ull << a;
            }
        }
        if (want & found)
            pass[n++] = fl[j].rule;
    }
    *skipped += n_fl - n;
    return n;
}

static uint32_t lookup(const tw_rules_index *ix, unsigned src, const tw_str names[KEY_KINDS],
                       const tw_str *raw, uint32_t *out, uint32_t *skipped)
{
    run_list lists[KEY_KINDS + 2];
    unsigned n_lists = 0;
    if (ix->n_always[src])
        lists[n_lists++] = (run_list){ ix->always[src], ix->always[src] + ix->n_always[src] };
    if (ix->n_filtered[src]) {
        /* the pass list goes past the room of the rules a lookup may return */
        uint32_t *pass = out + ix->stats.rules;
        uint32_t n = filter_pass(ix, src, raw, pass, skipped);
        if (n)
            lists[n_lists++] = (run_list){ pass, pass + n };
    }
    for (unsigned kind = 0; kind < KEY_KINDS; kind++) {
        if (!ix->n_keys[src][kind])
            continue;
        const ix_slot *sl = slot_find(ix, src, kind, names[kind], key_hash(src, kind, names[kind]));
        if (sl->key && sl->n)
            lists[n_lists++] = (run_list){ ix->lists + sl->off, ix->lists + sl->off + sl->n };
    }
    if (n_lists == 0)
        return 0;
    if (n_lists == 1) {
        uint32_t n = (uint32_t)(lists[0].end - lists[0].p);
        memmove(out, lists[0].p, n * sizeof *out);
        return n;
    }
    /* A rule is listed under one field only (or among the always- or prefiltered rules), and
     * an event has one name of each: the lists are disjoint, and merging them keeps load
     * order. The pass list lies past out[ix->stats.rules - 1], where no output goes. */
    uint32_t n = 0;
    for (;;) {
        unsigned best = n_lists;
        for (unsigned l = 0; l < n_lists; l++)
            if (lists[l].p < lists[l].end && (best == n_lists || *lists[l].p < *lists[best].p))
                best = l;
        if (best == n_lists)
            return n;
        out[n++] = *lists[best].p++;
    }
}

static unsigned source_kind(tw_rule_source source)
{
    return source == TW_SOURCE_BEDROCK ? SRC_BEDROCK : SRC_CLOUDTRAIL;
}

uint32_t tw_rules_index_lookup(const tw_rules_index *ix, tw_rule_source source, tw_str event_name,
                               tw_str event_source, tw_str action, uint32_t *out)
{
    const tw_str names[KEY_KINDS] = {
        [KEY_ACTION] = action, [KEY_NAME] = event_name, [KEY_SOURCE] = event_source
    };
    uint32_t skipped = 0;
    return lookup(ix, source_kind(source), names, NULL, out, &skipped);
}

uint32_t tw_rules_index_lookup_event(const tw_rules_index *ix, const tw_event *ev, tw_str raw,
                                     uint32_t *out, uint32_t *skipped)
{
    unsigned src = (ev->flags & TW_EV_INVOCATION_LOG) ? SRC_BEDROCK : SRC_CLOUDTRAIL;
    const tw_str names[KEY_KINDS] = {
        [KEY_ACTION] = ev->action, [KEY_NAME] = ev->event_name, [KEY_SOURCE] = ev->event_source
    };
    uint32_t none = 0;
    return lookup(ix, src, names, &raw, out, skipped ? skipped : &none);
}
