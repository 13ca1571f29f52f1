/* exceptions_match: findings against the loaded exceptions (exceptions.h), on the threads that
 * raise them, and the counters --stats reads. Findings are rare, so matching favours
 * simplicity: the entries that can match a rule id are listed once at load
 * (exceptions.c), and requestParameters is parsed only when an entry that got that far
 * names one of its paths. */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "exceptions_internal.h"
#include "tw_hash.h"

/* ---- patterns: Sigma's wildcards, ASCII case-insensitive ---- */

static bool escaped(tw_str pat, uint32_t i)
{
    return pat.p[i] == '\\' && i + 1 < pat.len &&
           (pat.p[i + 1] == '*' || pat.p[i + 1] == '?' || pat.p[i + 1] == '\\');
}

/* pat (lower-cased) against s, remembering only the last '*': when a later token fails, that
 * star takes one more character and the rest is tried again (enough for '*' and '?'). */
bool exc_glob_match(tw_str pat, tw_str s)
{
    uint32_t pi = 0, si = 0, star_pi = UINT32_MAX, star_si = 0;
    for (;;) {
        if (pi < pat.len) {
            char c = pat.p[pi];
            if (c == '*') {
                star_pi = ++pi;
                star_si = si;
                continue;
            }
            if (c == '?') {
                if (si < s.len) {
                    si += tw_utf8_len(s.p + si, s.len - si);
                    pi++;
                    continue;
                }
            } else {
                uint32_t step = escaped(pat, pi) ? 2 : 1;
                if (step == 2)
                    c = pat.p[pi + 1];
                if (si < s.len && exc_lower((unsigned char)s.p[si]) == (unsigned char)c) {
                    si++;
                    pi += step;
                    continue;
                }
            }
        } else if (si == s.len) {
            return true;
        }
        if (star_pi == UINT32_MAX || star_si >= s.len)
            return false;
        star_si += tw_utf8_len(s.p + star_si, s.len - star_si);
        si = star_si;
        pi = star_pi;
    }
}

bool exc_any_match(const exc_pat *v, uint32_t n, tw_str s)
{
    for (uint32_t i = 0; i < n; i++)
        if (exc_glob_match(v[i].s, s))
            return true;
    return false;
}

bool exc_has_wildcard(tw_str pat)
{
    for (uint32_t i = 0; i < pat.len; i++) {
        if (escaped(pat, i))
            i++;
        else if (pat.p[i] == '*' || pat.p[i] == '?')
            return true;
    }
    return false;
}

uint32_t exc_find_id(const tw_exceptions *ex, const char *id)
{
    uint32_t lo = 0, hi = ex->n_ids;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ex->by_name[mid].id, id);
        if (c == 0)
            return ex->by_name[mid].index;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return ex->n_ids;
}

/* ---- fields ---- */

typedef struct params_probe {
    const exc_field *fd;
    bool present; /* a value other than null */
    bool hit;
} params_probe;

static void params_value(void *ud, const tw_json_value *v)
{
    params_probe *pp = ud;
    if (v->type == TW_JV_NULL)
        return;
    pp->present = true;
    if (!pp->hit)
        pp->hit = exc_any_match(pp->fd->vals, pp->fd->n_vals,
                                v->type == TW_JV_OBJECT ? TW_STR_LIT("") : v->text);
}

/* requestParameters.<path> of the event: any value there matches, or none is there and the
 * field allows absence. */
static bool params_hold(exc_scratch *sc, const exc_field *fd, tw_str params)
{
    params_probe pp = { fd, false, false };
    if (params.len) {
        size_t need = (size_t)params.len + TW_JSON_PADDING;
        if (need > sc->cap) {
            char *nb = realloc(sc->buf, need);
            if (!nb)
                return false; /* out of memory: the finding is written */
            sc->buf = nb;
            sc->cap = need;
        }
        if (!sc->js && !(sc->js = tw_json_new()))
            return false;
        memcpy(sc->buf, params.p, params.len);
        memset(sc->buf + params.len, 0, TW_JSON_PADDING);
        tw_json_lookup(sc->js, sc->buf, params.len, need, fd->path, fd->n_path, params_value, &pp);
    }
    return pp.present ? pp.hit : fd->absent;
}

static tw_str event_field(const exc_field *fd, const tw_finding *f)
{
    const tw_event *ev = f->ev;
    switch (fd->kind) {
    case XF_EVENT_SOURCE:
        return ev->event_source;
    case XF_EVENT_NAME:
        return ev->event_name;
    case XF_REGION:
        return ev->region;
    case XF_SOURCE_IP:
        return ev->source_ip;
    case XF_USER_AGENT:
        return ev->user_agent;
    case XF_ERROR_CODE:
        return ev->error_code;
    case XF_ACCOUNT:
        return ev->account;
    case XF_ACTION:
        return ev->action;
    case XF_KIND:
        return tw_str_c(tw_kind_name(f->kind));
    case XF_MODEL_ID:
        return ev->model_id;
    case XF_USER_TYPE:
        return ev->user_type;
    case XF_PRINCIPAL_ARN:
        return ev->principal_arn;
    case XF_ACCESS_KEY:
        return ev->access_key;
    case XF_PARAMS:
        break;
    }
    return TW_STR_NULL;
}

static bool fields_hold(exc_scratch *sc, const exc_entry *e, const tw_finding *f)
{
    if (!e->n_fields)
        return true;
    /* no call behind it (unused-privileged-grant's event only carries the identity) */
    if (!f->ev || !f->ev->event_name.len)
        return false;
    for (uint32_t i = 0; i < e->n_fields; i++) {
        const exc_field *fd = &e->fields[i];
        bool holds;
        if (fd->kind == XF_PARAMS) {
            holds = params_hold(sc, fd, f->ev->request_params);
        } else {
            tw_str v = event_field(fd, f);
            holds = v.len ? exc_any_match(fd->vals, fd->n_vals, v) : fd->absent;
        }
        if (!holds)
            return false;
    }
    return true;
}

static void say_expired(const tw_exceptions *ex, size_t i)
{
    if (!ex->warn || atomic_exchange(&ex->expiry_said[i], true))
        return;
    const exc_entry *e = &ex->entries[i];
    fprintf(ex->warn,
            "trailwarden: warning: %s:%u: exception expired on %s during the run "
            "(reason: %.1024s): its findings are written from now on\n",
            ex->file, e->line, e->until, e->reason);
}

/* ---- findings kept out, for their updates ---- */

static uint64_t pair_key(const char *rule_id, tw_str identity)
{
    uint64_t h = tw_hash64(identity.p, identity.len, tw_hash64(rule_id, strlen(rule_id), 0));
    return h ? h : 1;
}

static uint32_t kept_slot(const exc_scratch *sc, uint64_t key)
{
    uint32_t mask = sc->kept_cap - 1, i = (uint32_t)tw_hash_mix(key) & mask;
    while (sc->kept[i] && sc->kept[i] != key)
        i = (i + 1) & mask;
    return i;
}

static bool kept_has(const exc_scratch *sc, uint64_t key)
{
    return sc->kept_n && sc->kept[kept_slot(sc, key)] == key;
}

/* Out of memory: the pair is not remembered, and an update of its finding may be written. */
static void kept_add(exc_scratch *sc, uint64_t key)
{
    if ((sc->kept_n + 1) * 2 > sc->kept_cap) {
        uint32_t cap = sc->kept_cap ? sc->kept_cap * 2 : 64;
        uint64_t *v = calloc(cap, sizeof *v);
        if (!v)
            return;
        exc_scratch grown = { .kept = v, .kept_cap = cap };
        for (uint32_t i = 0; i < sc->kept_cap; i++)
            if (sc->kept[i])
                v[kept_slot(&grown, sc->kept[i])] = sc->kept[i];
        free(sc->kept);
        sc->kept = v;
        sc->kept_cap = cap;
    }
    uint32_t i = kept_slot(sc, key);
    if (!sc->kept[i]) {
        sc->kept[i] = key;
        sc->kept_n++;
    }
}

/* Linear probing's deletion: the entries after the hole that belong before it move back. */
static void kept_del(exc_scratch *sc, uint64_t key)
{
    if (!kept_has(sc, key))
        return;
    uint32_t mask = sc->kept_cap - 1, hole = kept_slot(sc, key);
    sc->kept[hole] = 0;
    sc->kept_n--;
    for (uint32_t i = (hole + 1) & mask; sc->kept[i]; i = (i + 1) & mask) {
        uint32_t home = (uint32_t)tw_hash_mix(sc->kept[i]) & mask;
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            sc->kept[hole] = sc->kept[i];
            sc->kept[i] = 0;
            hole = i;
        }
    }
}

/* ---- matching ---- */

/* The first entry in force that f matches (by identity), or SIZE_MAX. */
static size_t match_entry(const tw_exceptions *ex, exc_scratch *sc, uint32_t r, const tw_finding *f,
                          tw_str identity)
{
    tw_str id = tw_str_c(f->rule->id);
    const uint32_t *cand = NULL;
    size_t n = ex->n_entries;
    if (ex->cand && r < ex->n_ids) {
        cand = ex->cand + ex->cand_start[r];
        n = ex->cand_start[r + 1] - ex->cand_start[r];
    }
    int64_t now = INT64_MIN;
    for (size_t k = 0; k < n; k++) {
        size_t i = cand ? cand[k] : k;
        const exc_entry *e = &ex->entries[i];
        if (!cand && !exc_any_match(e->rules, e->n_rules, id))
            continue;
        if (e->n_idents && !exc_any_match(e->idents, e->n_idents, identity))
            continue;
        if (!fields_hold(sc, e, f))
            continue;
        if (e->until_ms != INT64_MAX) {
            if (now == INT64_MIN)
                now = ex->clock_ms();
            if (now > e->until_ms) {
                say_expired(ex, i);
                continue;
            }
        }
        return i;
    }
    return SIZE_MAX;
}

bool tw_exceptions_match(const tw_exceptions *ex, uint32_t thread, const tw_finding *f)
{
    if (!ex || !ex->n_entries)
        return false;
    assert(thread < ex->n_threads);
    exc_scratch *sc = &ex->scratch[thread];
    uint32_t r = ex->ids ? exc_find_id(ex, f->rule->id) : 0;
    if (f->update) {
        /* No event: it follows the finding it updates. An entry without fields that holds
         * now held for that finding too (entries only lapse), which also covers a finding
         * kept out before a consume restarted from its checkpoint (the pairs are not saved). */
        return kept_has(sc, pair_key(f->rule->id, f->identity)) ||
               match_entry(ex, sc, r, f, f->identity) != SIZE_MAX;
    }
    tw_str identity = f->ev ? f->ev->identity : TW_STR_NULL;
    size_t i = match_entry(ex, sc, r, f, identity);
    if (i == SIZE_MAX) {
        if (sc->kept_n)
            kept_del(sc, pair_key(f->rule->id, identity));
        return false;
    }
    kept_add(sc, pair_key(f->rule->id, identity));
    atomic_fetch_add_explicit(&sc->by_rule[ex->ids ? r : 0], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sc->by_entry[i], 1, memory_order_relaxed);
    return true;
}

/* ---- counts ---- */

static uint64_t count_of(const tw_exceptions *ex, int thread, uint32_t slot)
{
    uint64_t n = 0;
    for (uint32_t t = 0; t < ex->n_threads; t++)
        if (thread < 0 || (uint32_t)thread == t)
            n += atomic_load_explicit(&ex->scratch[t].by_rule[slot], memory_order_relaxed);
    return n;
}

uint64_t tw_exceptions_suppressed(const tw_exceptions *ex, int thread, const char *rule_id)
{
    if (!ex)
        return 0;
    uint64_t n = 0;
    if (rule_id) {
        uint32_t r = ex->ids ? exc_find_id(ex, rule_id) : 0;
        return ex->ids && r == ex->n_ids ? 0 : count_of(ex, thread, r);
    }
    for (uint32_t r = 0; r <= ex->n_ids; r++)
        n += count_of(ex, thread, r);
    return n;
}

void tw_exceptions_print_stats(const tw_exceptions *ex, FILE *o)
{
    uint64_t total = tw_exceptions_suppressed(ex, -1, NULL);
    fprintf(o, "  suppressed.exception         %" PRIu64 "\n", total);
    for (uint32_t r = 0; total && r < ex->n_ids; r++) {
        uint64_t n = count_of(ex, -1, r);
        if (n)
            fprintf(o, "  suppressed.exception.%-16s %" PRIu64 "\n", ex->ids[r], n);
    }
}

void tw_exceptions_print_hits(const tw_exceptions *ex, FILE *o)
{
    for (size_t i = 0; i < ex->n_entries; i++) {
        uint64_t n = 0;
        for (uint32_t t = 0; t < ex->n_threads; t++)
            n += atomic_load_explicit(&ex->scratch[t].by_entry[i], memory_order_relaxed);
        fprintf(o,
                "trailwarden: %s:%u: exception suppressed %" PRIu64 " finding%s (reason: "
                "%.200s)\n",
                ex->file, ex->entries[i].line, n, n == 1 ? "" : "s", ex->entries[i].reason);
    }
}
