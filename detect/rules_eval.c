/* rules_eval: the evaluator of detection rules. Compiling mirrors the model's selections into
 * compact arrays (one per rule) so the hot path walks only what it tests: literals of
 * case-insensitive values lower-cased once (the event side is folded eight bytes at a time),
 * and each group's matches ordered cheapest first, since a group fails at its first failing
 * match and conditions are free of side effects. The condition tree is the model's own. */
#include "rules_eval.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "tw_arena.h"
#include "tw_event.h"

typedef struct cval {
    tw_match_op op;
    bool cased;
    uint32_t len;    /* lit */
    const char *lit; /* string ops and NUMBER: the text, lower-cased unless cased */
    uint32_t n_glob;
    const tw_glob_tok *glob; /* GLOB: literals lower-cased unless cased */
    const tw_rule_value *v;  /* the rest: regex, network, number, boolean, bits, ref */
} cval;

typedef struct cmatch {
    const tw_field *field;
    bool all;
    uint32_t n_values;
    const cval *values;
} cmatch;

typedef struct cgroup {
    uint32_t n_matches;
    const cmatch *matches;
} cgroup;

typedef struct csel {
    uint32_t n_groups;
    const cgroup *groups;
} csel;

typedef struct crule {
    const tw_cond *cond; /* NULL: a correlation rule */
    const csel *sels;
} crule;

struct tw_rules_eval {
    tw_arena arena;
    const tw_ruleset *rs;
    size_t n_rules;
    crule *rules;
};

/* ---- case folding ---- */

static inline unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Eight bytes lower-cased at once: a byte below 0x80 in 'A'..'Z' gains 0x20. No carry crosses
 * a byte: each sum stays below 0x100. */
static inline uint64_t lower8(uint64_t x)
{
    const uint64_t high = 0x8080808080808080ULL;
    uint64_t h = x & 0x7f7f7f7f7f7f7f7fULL;
    uint64_t ge_a = h + 0x3f3f3f3f3f3f3f3fULL; /* 'A' + 0x3f = 0x80 */
    uint64_t gt_z = h + 0x2525252525252525ULL; /* 'Z' + 1 + 0x25 = 0x80 */
    uint64_t upper = ge_a & ~gt_z & ~x & high;
    return x | (upper >> 2);
}

/* s (any case) equals lower (already lower case), n bytes. */
static bool eq_fold(const char *s, const char *lower, uint32_t n)
{
    while (n >= 8) {
        if (lower8(load64(s)) != load64(lower))
            return false;
        s += 8, lower += 8, n -= 8;
    }
    while (n--)
        if (fold((unsigned char)*s++) != (unsigned char)*lower++)
            return false;
    return true;
}

static inline bool eq_bytes(const char *s, const char *lit, uint32_t n, bool cased)
{
    if (n == 0)
        return true; /* s may be NULL then */
    return cased ? memcmp(s, lit, n) == 0 : eq_fold(s, lit, n);
}

/* Case-insensitive text equality of two event values (FIELDREF): neither side is lowered. */
static bool eq_fold2(tw_str a, tw_str b)
{
    if (a.len != b.len)
        return false;
    uint32_t i = 0;
    for (; i + 8 <= a.len; i += 8)
        if (lower8(load64(a.p + i)) != lower8(load64(b.p + i)))
            return false;
    for (; i < a.len; i++)
        if (fold((unsigned char)a.p[i]) != fold((unsigned char)b.p[i]))
            return false;
    return true;
}

/* Case-insensitive search for lit (lower case, n >= 1): eight start positions at a time are
 * screened for the first byte (a zero byte of lower8(word) ^ first; the screen may flag a
 * byte too many, never too few), and each flagged one is compared whole. */
static bool contains_fold(tw_str s, const char *lit, uint32_t n)
{
    const unsigned char first = (unsigned char)lit[0];
    const uint32_t last = s.len - n; /* the last start position */
    uint32_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    const uint64_t pat = ones * first;
    for (; i + 8 <= s.len && i + 7 <= last; i += 8) {
        uint64_t x = lower8(load64(s.p + i)) ^ pat;
        for (uint64_t z = (x - ones) & ~x & high; z; z &= z - 1)
            if (eq_fold(s.p + i + (uint32_t)__builtin_ctzll(z) / 8, lit, n))
                return true;
    }
#endif
    for (; i <= last; i++)
        if (fold((unsigned char)s.p[i]) == first && eq_fold(s.p + i + 1, lit + 1, n - 1))
            return true;
    return false;
}

static bool contains(tw_str s, const char *lit, uint32_t n, bool cased)
{
    if (n > s.len)
        return false;
    if (n == 0)
        return true;
    return cased ? memmem(s.p, s.len, lit, n) != NULL : contains_fold(s, lit, n);
}

/* ---- globs ---- */

/* Tokens against s, remembering only the last '*': when a later token fails, that star takes
 * one more character and the rest is tried again. Enough for '*' and '?', since what follows
 * the last star never needs an earlier star to change. */
static bool glob_match(const tw_glob_tok *tok, uint32_t n, tw_str s, bool cased)
{
    uint32_t ti = 0, si = 0, star_ti = UINT32_MAX, star_si = 0;
    for (;;) {
        if (ti < n) {
            const tw_glob_tok *t = &tok[ti];
            if (t->kind == TW_GLOB_ANY) {
                star_ti = ti++;
                star_si = si;
                continue;
            }
            if (t->kind == TW_GLOB_ONE && si < s.len) {
                si += tw_utf8_len(s.p + si, s.len - si);
                ti++;
                continue;
            }
            if (t->kind == TW_GLOB_LIT && s.len - si >= t->lit.len &&
                eq_bytes(s.p + si, t->lit.p, t->lit.len, cased)) {
                si += t->lit.len;
                ti++;
                continue;
            }
        } else if (si == s.len) {
            return true;
        }
        if (star_ti == UINT32_MAX || star_si >= s.len)
            return false;
        star_si += tw_utf8_len(s.p + star_si, s.len - star_si);
        si = star_si;
        ti = star_ti + 1;
    }
}

/* ---- networks ---- */

/* The address in text, as 16 bytes of IPv6 (IPv4 mapped: ::ffff:a.b.c.d); false when text is
 * no address. */
static bool parse_ip(tw_str text, uint8_t addr[16])
{
    char buf[INET6_ADDRSTRLEN + 1];
    if (text.len == 0 || text.len >= sizeof buf)
        return false;
    memcpy(buf, text.p, text.len);
    buf[text.len] = '\0';
    if (memchr(buf, ':', text.len))
        return inet_pton(AF_INET6, buf, addr) == 1;
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    memcpy(addr, mapped, sizeof mapped);
    return inet_pton(AF_INET, buf, addr + 12) == 1;
}

static bool cidr_match(const tw_cidr *cidr, tw_str text)
{
    uint8_t addr[16];
    if (!parse_ip(text, addr))
        return false;
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    const uint8_t *a = addr;
    if (cidr->family == 4) {
        if (memcmp(addr, mapped, sizeof mapped))
            return false;
        a = addr + 12;
    }
    unsigned full = cidr->prefix / 8, rest = cidr->prefix % 8;
    if (memcmp(a, cidr->addr, full))
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (a[full] & mask) == cidr->addr[full];
}

/* ---- one value ---- */

static bool fv_text(const tw_field_value *fv, tw_str *out)
{
    switch (fv->type) {
    case TW_FV_STRING:
    case TW_FV_NUMBER:
        *out = fv->text;
        return true;
    case TW_FV_BOOL:
        *out = fv->boolean ? TW_STR_LIT("true") : TW_STR_LIT("false");
        return true;
    case TW_FV_OBJECT: /* its compact JSON text, when the source gives it */
        *out = fv->text;
        return fv->text.p != NULL;
    default:
        return false;
    }
}

static bool value_test(const cval *cv, const tw_field_value *fv, tw_regex_scratch *scratch)
{
    tw_str s;
    switch (cv->op) {
    case TW_MATCH_EQ:
        return fv_text(fv, &s) && s.len == cv->len && eq_bytes(s.p, cv->lit, cv->len, cv->cased);
    case TW_MATCH_PREFIX:
        return fv_text(fv, &s) && s.len >= cv->len && eq_bytes(s.p, cv->lit, cv->len, cv->cased);
    case TW_MATCH_SUFFIX:
        return fv_text(fv, &s) && s.len >= cv->len &&
               eq_bytes(s.p + s.len - cv->len, cv->lit, cv->len, cv->cased);
    case TW_MATCH_CONTAINS:
        return fv_text(fv, &s) && contains(s, cv->lit, cv->len, cv->cased);
    case TW_MATCH_GLOB:
        return fv_text(fv, &s) && glob_match(cv->glob, cv->n_glob, s, cv->cased);
    case TW_MATCH_REGEX:
        return fv_text(fv, &s) && tw_regex_match(cv->v->re, s, scratch);
    case TW_MATCH_CIDR:
        return fv->type == TW_FV_STRING && cidr_match(&cv->v->cidr, fv->text);
    case TW_MATCH_NUMBER:
        if (fv->type == TW_FV_NUMBER)
            return fv->number == cv->v->number;
        return fv->type == TW_FV_STRING && fv->text.len == cv->len &&
               eq_fold(fv->text.p, cv->lit, cv->len);
    case TW_MATCH_BOOL:
        if (fv->type == TW_FV_BOOL)
            return fv->boolean == cv->v->boolean;
        if (fv->type != TW_FV_STRING)
            return false;
        s = cv->v->boolean ? TW_STR_LIT("true") : TW_STR_LIT("false");
        return fv->text.len == s.len && eq_fold(fv->text.p, s.p, s.len);
    case TW_MATCH_BITS:
        return fv->type == TW_FV_BITS && (fv->bits & cv->v->bits) != 0;
    case TW_MATCH_NULL:
        return fv->type == TW_FV_NULL;
    case TW_MATCH_EXISTS:
    case TW_MATCH_FIELDREF:
        break; /* whole-field tests: value_holds */
    }
    return false;
}

static bool fv_equal(const tw_field_value *a, const tw_field_value *b)
{
    if (a->type == TW_FV_OBJECT || b->type == TW_FV_OBJECT)
        return false;
    if (a->type == TW_FV_NUMBER && b->type == TW_FV_NUMBER)
        return a->number == b->number;
    if (a->type == TW_FV_BITS || b->type == TW_FV_BITS)
        return a->type == b->type && a->bits == b->bits;
    tw_str sa, sb;
    return fv_text(a, &sa) && fv_text(b, &sb) && eq_fold2(sa, sb);
}

/* One rule value against every value of the field. */
static bool value_holds(const cval *cv, const tw_field_value *vals, uint32_t n,
                        const tw_field_source *src, tw_regex_scratch *scratch)
{
    switch (cv->op) {
    case TW_MATCH_EXISTS:
        return (n > 0) == cv->v->boolean;
    case TW_MATCH_NULL:
        if (n == 0)
            return true;
        break;
    case TW_MATCH_FIELDREF: {
        if (n == 0)
            return false;
        const tw_field_value *refs = NULL;
        uint32_t n_refs = src->get(src->ctx, cv->v->ref, &refs);
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t k = 0; k < n_refs; k++)
                if (fv_equal(&vals[i], &refs[k]))
                    return true;
        return false;
    }
    default:
        break;
    }
    for (uint32_t i = 0; i < n; i++)
        if (value_test(cv, &vals[i], scratch))
            return true;
    return false;
}

/* A virtual field the event holds itself (tw_field_source.ev), into *one; false for any other
 * field. */
static bool event_value(const tw_event *ev, const tw_field *field, tw_field_value *one)
{
    switch (field->kind) {
    case TW_FIELD_ACTION_CLASS:
        one->type = TW_FV_BITS;
        one->bits = ev->classes;
        return true;
    case TW_FIELD_ACTION_LEVEL:
        one->type = TW_FV_BITS;
        one->bits = ev->level;
        return true;
    case TW_FIELD_IDENTITY_KIND:
        one->type = TW_FV_BITS;
        one->bits = 1u << ev->kind;
        return true;
    case TW_FIELD_ERROR_DENIED:
    case TW_FIELD_CALL_ON_BEHALF:
        one->type = TW_FV_BOOL;
        one->boolean = (ev->flags & (field->kind == TW_FIELD_ERROR_DENIED ? TW_EV_DENIED
                                                                          : TW_EV_ON_BEHALF)) != 0;
        one->text = one->boolean ? TW_STR_LIT("true") : TW_STR_LIT("false");
        return true;
    default:
        return false;
    }
}

static bool match_holds(const cmatch *cm, const tw_field_source *src, tw_regex_scratch *scratch)
{
    const tw_field_value *vals = NULL;
    tw_field_value one;
    uint32_t n;
    if (src->ev && event_value(src->ev, cm->field, &one)) {
        vals = &one;
        n = 1;
    } else {
        n = src->get(src->ctx, cm->field, &vals);
    }
    for (uint32_t i = 0; i < cm->n_values; i++) {
        bool hold = value_holds(&cm->values[i], vals, n, src, scratch);
        if (hold != cm->all)
            return hold; /* any: the first that holds; all: the first that fails */
    }
    return cm->all;
}

static bool sel_holds(const csel *cs, const tw_field_source *src, tw_regex_scratch *scratch)
{
    for (uint32_t g = 0; g < cs->n_groups; g++) {
        const cgroup *cg = &cs->groups[g];
        uint32_t m = 0;
        while (m < cg->n_matches && match_holds(&cg->matches[m], src, scratch))
            m++;
        if (m == cg->n_matches)
            return true;
    }
    return false;
}

/* One evaluation: selections are memoized (the first 64), since `1 of`/`all of` and hand
 * written conditions may name a selection more than once. */
typedef struct run {
    const crule *cr;
    const tw_field_source *src;
    tw_regex_scratch *scratch;
    uint64_t done, val;
} run;

static bool cond_holds(run *r, const tw_cond *c)
{
    switch (c->op) {
    case TW_COND_SEL: {
        uint64_t bit = c->sel < 64 ? 1ULL << c->sel : 0;
        if (r->done & bit)
            return (r->val & bit) != 0;
        bool hold = sel_holds(&r->cr->sels[c->sel], r->src, r->scratch);
        r->done |= bit;
        if (hold)
            r->val |= bit;
        return hold;
    }
    case TW_COND_NOT:
        return !cond_holds(r, c->kids[0]);
    case TW_COND_AND:
        for (uint32_t i = 0; i < c->n_kids; i++)
            if (!cond_holds(r, c->kids[i]))
                return false;
        return true;
    case TW_COND_OR:
        for (uint32_t i = 0; i < c->n_kids; i++)
            if (cond_holds(r, c->kids[i]))
                return true;
        return false;
    }
    return false;
}

bool tw_rules_eval_rule(const tw_rules_eval *rev, const tw_rule *rule, const tw_field_source *src,
                        tw_regex_scratch *scratch)
{
    assert(rule->index < rev->n_rules && tw_ruleset_rule(rev->rs, rule->index) == rule);
    const crule *cr = &rev->rules[rule->index];
    if (!cr->cond)
        return false;
    run r = { cr, src, scratch, 0, 0 };
    return cond_holds(&r, cr->cond);
}

/* ---- compiling ---- */

/* Rough relative cost of testing a value: cheap tests first in a group. */
static unsigned op_cost(tw_match_op op)
{
    switch (op) {
    case TW_MATCH_EXISTS:
    case TW_MATCH_NULL:
    case TW_MATCH_BITS:
    case TW_MATCH_BOOL:
        return 0;
    case TW_MATCH_EQ:
    case TW_MATCH_NUMBER:
        return 1;
    case TW_MATCH_PREFIX:
    case TW_MATCH_SUFFIX:
        return 2;
    case TW_MATCH_CONTAINS:
        return 3;
    case TW_MATCH_GLOB:
    case TW_MATCH_CIDR:
        return 4;
    case TW_MATCH_FIELDREF:
        return 5;
    case TW_MATCH_REGEX:
        return 6;
    }
    return 6;
}

/* n elements of size bytes (one at least, so an empty list is not an error); NULL and
 * *nomem when out of memory. */
static void *arena_array(tw_arena *arena, size_t n, size_t size, bool *nomem)
{
    void *p = tw_arena_alloc(arena, (n ? n : 1) * size);
    if (!p)
        *nomem = true;
    return p;
}

static char *lower_dup(tw_arena *arena, tw_str s, bool *nomem)
{
    char *p = tw_arena_alloc(arena, s.len + 1);
    if (!p) {
        *nomem = true;
        return NULL;
    }
    for (uint32_t i = 0; i < s.len; i++)
        p[i] = (char)fold((unsigned char)s.p[i]);
    p[s.len] = '\0';
    return p;
}

static void compile_value(tw_arena *arena, const tw_rule_value *v, cval *cv, bool *nomem)
{
    *cv = (cval){ .op = v->op, .cased = v->cased, .len = v->text.len, .lit = v->text.p, .v = v };
    switch (v->op) {
    case TW_MATCH_EQ:
    case TW_MATCH_CONTAINS:
    case TW_MATCH_PREFIX:
    case TW_MATCH_SUFFIX:
    case TW_MATCH_NUMBER:
        if (!cv->cased)
            cv->lit = lower_dup(arena, v->text, nomem);
        break;
    case TW_MATCH_GLOB: {
        cv->n_glob = v->n_glob;
        cv->glob = v->glob;
        if (cv->cased)
            break;
        tw_glob_tok *tok = arena_array(arena, v->n_glob, sizeof *tok, nomem);
        if (!tok)
            break;
        for (uint32_t i = 0; i < v->n_glob; i++) {
            tok[i] = v->glob[i];
            if (tok[i].kind == TW_GLOB_LIT)
                tok[i].lit.p = lower_dup(arena, v->glob[i].lit, nomem);
        }
        cv->glob = tok;
        break;
    }
    default:
        break;
    }
}

/* Rough cost of fetching a field's values: the normalized event holds the virtual fields
 * and a few top-level ones; the rest is a lookup in the record's JSON, requestParameters'
 * span being smaller than the whole record's; a policy.* field parses the call's policy. */
static unsigned field_cost(const tw_field *f)
{
    static const char *const held[] = { "eventName",       "eventSource", "awsRegion", "errorCode",
                                        "sourceIPAddress", "userAgent",   "eventID" };
    if (tw_field_is_policy(f->kind))
        return 30; /* the call's policy document parsed and read: after everything else */
    if (f->kind != TW_FIELD_RECORD)
        return 0;
    if (f->n_path == 1)
        for (size_t i = 0; i < sizeof held / sizeof held[0]; i++)
            if (tw_str_eq_c(f->path[0], held[i]))
                return 0;
    return f->n_path > 1 && tw_str_eq_c(f->path[0], "requestParameters") ? 10 : 20;
}

/* Cheap tests first in a group: those of fields the event holds, then by operator. */
static unsigned match_cost(const cmatch *cm)
{
    unsigned cost = 0;
    for (uint32_t i = 0; i < cm->n_values; i++) {
        unsigned c = op_cost(cm->values[i].op);
        cost = c > cost ? c : cost;
    }
    return field_cost(cm->field) * 10 + cost;
}

static void compile_group(tw_arena *arena, const tw_rule_group *g, cgroup *cg, bool *nomem)
{
    cmatch *ms = arena_array(arena, g->n_matches, sizeof *ms, nomem);
    if (!ms)
        return;
    for (uint32_t m = 0; m < g->n_matches; m++) {
        const tw_rule_match *match = &g->matches[m];
        cval *vals = arena_array(arena, match->n_values, sizeof *vals, nomem);
        if (!vals)
            return;
        for (uint32_t i = 0; i < match->n_values; i++)
            compile_value(arena, &match->values[i], &vals[i], nomem);
        cmatch cm = { match->field, match->all, match->n_values, vals };
        /* insertion, stable: equal costs keep the order written */
        uint32_t at = m;
        unsigned cost = match_cost(&cm);
        while (at > 0 && match_cost(&ms[at - 1]) > cost) {
            ms[at] = ms[at - 1];
            at--;
        }
        ms[at] = cm;
    }
    cg->n_matches = g->n_matches;
    cg->matches = ms;
}

static void compile_rule(tw_arena *arena, const tw_rule *rule, crule *cr, bool *nomem)
{
    if (!rule->condition || rule->correlation)
        return;
    csel *sels = arena_array(arena, rule->n_selections, sizeof *sels, nomem);
    if (!sels)
        return;
    for (uint32_t s = 0; s < rule->n_selections; s++) {
        const tw_rule_selection *sel = &rule->selections[s];
        cgroup *groups = arena_array(arena, sel->n_groups, sizeof *groups, nomem);
        if (!groups)
            return;
        for (uint32_t g = 0; g < sel->n_groups && !*nomem; g++)
            compile_group(arena, &sel->groups[g], &groups[g], nomem);
        sels[s] = (csel){ sel->n_groups, groups };
    }
    cr->sels = sels;
    cr->cond = rule->condition;
}

tw_err tw_rules_eval_new(const tw_ruleset *rs, tw_rules_eval **out)
{
    *out = NULL;
    tw_rules_eval *rev = calloc(1, sizeof *rev);
    if (!rev)
        return TW_ERR_NOMEM;
    tw_arena_init(&rev->arena, 64 * 1024);
    rev->rs = rs;
    rev->n_rules = tw_ruleset_count(rs);
    rev->rules = calloc(rev->n_rules ? rev->n_rules : 1, sizeof *rev->rules);
    bool nomem = rev->rules == NULL;
    for (size_t i = 0; i < rev->n_rules && !nomem; i++)
        compile_rule(&rev->arena, tw_ruleset_rule(rs, i), &rev->rules[i], &nomem);
    if (nomem) {
        tw_rules_eval_destroy(rev);
        return TW_ERR_NOMEM;
    }
    *out = rev;
    return TW_OK;
}

void tw_rules_eval_destroy(tw_rules_eval *rev)
{
    if (!rev)
        return;
    tw_arena_free(&rev->arena);
    free(rev->rules);
    free(rev);
}
