/* rules_prefilter: what a rule requires (rules_prefilter.h); the scan per event is in
 * rules_prefilter_scan.c. */
#include "rules_prefilter.h"

#include <string.h>

#define LIT_MIN 3 /* shorter literals are in most records: not worth a scan */

static inline unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Bytes a literal does not span: those a JSON string may hold only as an escape (a value
 * holding one need not show it in the record's text; '/' may be written `\/` too: a literal
 * keeps it, and a record with that escape passes every literal holding a '/'), and JSON's
 * structural characters: a string matcher reads an object-valued field as its compact JSON
 * text, which the record may write with spaces between the tokens (`[1, true]` for
 * `[1,true]`). A run without them is one token, or a piece of one string: the record's text
 * holds it as it is. */
static bool escaped_byte(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c == '{' || c == '}' || c == '[' || c == ']' ||
           c == ':' || c == ',';
}

/* The longest run of p[0..len) without escaped bytes, lower-cased into arena; empty when
 * shorter than LIT_MIN. */
static tw_str clean_lit(tw_arena *arena, const char *p, uint32_t len, bool *nomem)
{
    uint32_t best = 0, best_len = 0;
    for (uint32_t i = 0; i < len;) {
        uint32_t j = i;
        while (j < len && !escaped_byte((unsigned char)p[j]))
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j + 1;
    }
    if (best_len < LIT_MIN)
        return TW_STR_NULL;
    char *out = tw_arena_alloc(arena, best_len + 1);
    if (!out) {
        *nomem = true;
        return TW_STR_NULL;
    }
    for (uint32_t i = 0; i < best_len; i++)
        out[i] = (char)fold((unsigned char)p[best + i]);
    out[best_len] = '\0';
    return (tw_str){ out, best_len };
}

/* ---- the literal every match of a regular expression holds ---- */

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A quantifier at pat[i]: its length (with a lazy or possessive suffix) and whether it allows
 * zero repetitions; 0 when there is none; -1 for a '{' that is not {n}, {n,} or {n,m} (PCRE2
 * reads some of those as literal text, others as quantifiers: beyond this reader). */
static int quantifier(const char *pat, uint32_t len, uint32_t i, bool *zero)
{
    if (i >= len)
        return 0;
    uint32_t j = i;
    if (pat[j] == '?' || pat[j] == '*' || pat[j] == '+') {
        *zero = pat[j] != '+';
        j++;
    } else if (pat[j] == '{') {
        j++;
        uint32_t n = 0, digits = 0;
        while (j < len && pat[j] >= '0' && pat[j] <= '9') {
            n = n * 10 + (uint32_t)(pat[j++] - '0');
            if (++digits > 6)
                return -1;
        }
        if (!digits)
            return -1;
        if (j < len && pat[j] == ',') {
            j++;
            while (j < len && pat[j] >= '0' && pat[j] <= '9')
                j++;
        }
        if (j >= len || pat[j] != '}')
            return -1;
        j++;
        *zero = n == 0;
    } else {
        return 0;
    }
    if (j < len && (pat[j] == '?' || pat[j] == '+'))
        j++;
    return (int)(j - i);
}

/* The end of the character class that starts at pat[i] ('['), or len when unterminated or
 * beyond this reader. It may be read as ending later than PCRE2's (fewer literals), never
 * earlier (class members read as literal text). */
static uint32_t class_end(const char *pat, uint32_t len, uint32_t i)
{
    uint32_t j = i + 1;
    if (j < len && pat[j] == '^')
        j++;
    if (j < len && pat[j] == ']')
        j++; /* a ']' first is a member */
    while (j < len && pat[j] != ']') {
        if (pat[j] == '\\') {
            if (j + 1 < len && (pat[j + 1] == 'Q' || pat[j + 1] == 'E'))
                return len;                                /* \Q...\E quotes a ']' */
            j += j + 1 < len && pat[j + 1] == 'c' ? 2 : 1; /* \c] is one character */
        } else if (pat[j] == '[' && j + 1 < len && pat[j + 1] == ':') {
            const char *end = memchr(pat + j + 2, ']', len - j - 2);
            if (!end)
                return len;
            j = (uint32_t)(end - pat);
        }
        j++;
    }
    return j;
}

/* The longest run of literal bytes that every match of pat (PCRE2, case-sensitive, not
 * extended) holds, lower-cased into arena; empty when pat is beyond this simple reader
 * (alternation, groups and inline options, escapes of letters and digits, odd braces) or has
 * no run of LIT_MIN bytes. */
static tw_str regex_literal(tw_arena *arena, tw_str pat, bool *nomem)
{
    char *buf = tw_arena_alloc(arena, pat.len + 1);
    if (!buf) {
        *nomem = true;
        return TW_STR_NULL;
    }
    uint32_t run = 0, n = 0; /* the current run is buf[run..n) */
    uint32_t best = 0, best_len = 0;
#define END_RUN()                 \
    do {                          \
        if (n - run > best_len) { \
            best = run;           \
            best_len = n - run;   \
        }                         \
        run = n;                  \
    } while (0)
    const char *p = pat.p;
    uint32_t len = pat.len;
    for (uint32_t i = 0; i < len;) {
        unsigned char c = (unsigned char)p[i];
        bool zero = false;
        int q;
        switch (c) {
        case '|':
        case '(':
        case ')':
        case '?':
        case '*':
        case '+':
        case '{':
            return TW_STR_NULL; /* alternation, groups, or a quantifier of nothing read here */
        case '[':
        case '.':
        case '^':
        case '$':
            END_RUN();
            i = c == '[' ? class_end(p, len, i) + 1 : i + 1;
            if (i > len)
                return TW_STR_NULL;
            q = quantifier(p, len, i, &zero);
            if (q < 0)
                return TW_STR_NULL;
            i += (uint32_t)q;
            continue;
        case '\\':
            if (i + 1 >= len || is_alnum((unsigned char)p[i + 1]) ||
                (unsigned char)p[i + 1] >= 0x80)
                return TW_STR_NULL; /* \d \w \Q \x41 \1 ...: read no further */
            c = (unsigned char)p[i + 1];
            i += 2;
            break;
        default:
            i++;
            break;
        }
        if (c >= 0x80) {
            /* a character of several bytes: a quantifier would repeat all of them */
            END_RUN();
            while (i < len && ((unsigned char)p[i] & 0xc0) == 0x80)
                i++;
            q = quantifier(p, len, i, &zero);
            if (q < 0)
                return TW_STR_NULL;
            i += (uint32_t)q;
            continue;
        }
        q = quantifier(p, len, i, &zero);
        if (q < 0)
            return TW_STR_NULL;
        if (escaped_byte(c) || (q > 0 && zero)) {
            END_RUN(); /* not in the record's text as such, or maybe absent */
        } else {
            buf[n++] = (char)fold(c);
            if (q > 0)
                END_RUN(); /* repeated: what follows is not next to it */
        }
        i += (uint32_t)q;
    }
    END_RUN();
#undef END_RUN
    if (best_len < LIT_MIN)
        return TW_STR_NULL;
    return (tw_str){ buf + best, best_len };
}

/* Whether the match's key carries the regex modifier 'i' (PCRE2's caseless matching folds
 * beyond ASCII: the record's text need not hold the literal in any ASCII case). */
static bool caseless_regex(const char *key)
{
    for (const char *s = strchr(key, '|'); s; s = strchr(s + 1, '|'))
        if (s[1] == 'i' && (s[2] == '\0' || s[2] == '|'))
            return true;
    return false;
}

static tw_str value_lit(const tw_rule_match *m, const tw_rule_value *v, tw_arena *arena,
                        bool *nomem)
{
    switch (v->op) {
    case TW_MATCH_EQ:
    case TW_MATCH_CONTAINS:
    case TW_MATCH_PREFIX:
    case TW_MATCH_SUFFIX:
        return clean_lit(arena, v->text.p, v->text.len, nomem);
    case TW_MATCH_GLOB: {
        tw_str best = TW_STR_NULL;
        for (uint32_t t = 0; t < v->n_glob; t++) {
            if (v->glob[t].kind != TW_GLOB_LIT || v->glob[t].lit.len <= best.len)
                continue;
            tw_str lit = clean_lit(arena, v->glob[t].lit.p, v->glob[t].lit.len, nomem);
            if (lit.len > best.len)
                best = lit;
        }
        return best;
    }
    case TW_MATCH_REGEX:
        if (!m->key || caseless_regex(m->key))
            return TW_STR_NULL;
        return regex_literal(arena, v->text, nomem);
    default:
        return TW_STR_NULL; /* null, exists, numbers, booleans, cidr, fieldref, bits */
    }
}

/* ---- what a condition requires ---- */

enum { REQ_NONE = 0, REQ_LITS, REQ_CHEAP }; /* in order of preference */

typedef struct req {
    int kind;
    uint32_t n;
    tw_str lit[TW_PREFILTER_RULE_MAX];
} req;

/* Fields the normalized event holds: a test on one costs no parse (as rules_eval.c orders
 * them first). */
static bool held_field(const tw_field *f)
{
    static const char *const held[] = { "eventName",       "eventSource", "awsRegion", "errorCode",
                                        "sourceIPAddress", "userAgent",   "eventID" };
    if (f->n_path != 1)
        return false;
    for (size_t i = 0; i < sizeof held / sizeof held[0]; i++)
        if (tw_str_eq_c(f->path[0], held[i]))
            return true;
    return false;
}

static uint32_t min_len(const req *r)
{
    uint32_t m = UINT32_MAX;
    for (uint32_t i = 0; i < r->n; i++)
        m = r->lit[i].len < m ? r->lit[i].len : m;
    return m;
}

/* Whether a narrows the events more cheaply than b. */
static bool better(const req *a, const req *b)
{
    if (a->kind != b->kind)
        return a->kind > b->kind;
    if (a->kind != REQ_LITS)
        return false;
    if (a->n != b->n)
        return a->n < b->n;
    return min_len(a) > min_len(b);
}

static bool add_lit(req *r, tw_str lit)
{
    for (uint32_t i = 0; i < r->n; i++)
        if (tw_str_eq(r->lit[i], lit))
            return true;
    if (r->n == TW_PREFILTER_RULE_MAX)
        return false;
    r->lit[r->n++] = lit;
    return true;
}

/* a = a OR b. `first`: a holds nothing yet. */
static void req_or(req *a, const req *b, bool first)
{
    if (first) {
        *a = *b;
        return;
    }
    if (a->kind == REQ_NONE || b->kind == REQ_NONE || a->kind != b->kind) {
        a->kind = REQ_NONE; /* a cheap branch and one that is not: no literal covers both */
        return;
    }
    if (a->kind == REQ_LITS)
        for (uint32_t i = 0; i < b->n; i++)
            if (!add_lit(a, b->lit[i])) {
                a->kind = REQ_NONE;
                return;
            }
}

static req match_req(const tw_rule_match *m, tw_arena *arena, bool *nomem)
{
    req r = { .kind = REQ_NONE };
    if (m->field->kind != TW_FIELD_RECORD || m->n_values == 0)
        return r;
    req lits = { .kind = REQ_LITS };
    for (uint32_t i = 0; i < m->n_values; i++) {
        tw_str lit = value_lit(m, &m->values[i], arena, nomem);
        if (m->all) {
            /* every value holds: any one's literal is required; the longest */
            if (lit.len > (lits.n ? lits.lit[0].len : 0)) {
                lits.lit[0] = lit;
                lits.n = 1;
            }
        } else if (!lit.len || !add_lit(&lits, lit)) {
            return r; /* a value without a literal: the match requires none */
        }
    }
    if (!lits.n)
        return r;
    if (held_field(m->field))
        lits.kind = REQ_CHEAP;
    return lits;
}

static req sel_req(const tw_rule_selection *sel, tw_arena *arena, bool *nomem)
{
    req out = { .kind = REQ_NONE };
    for (uint32_t g = 0; g < sel->n_groups; g++) {
        const tw_rule_group *grp = &sel->groups[g];
        req best = { .kind = REQ_NONE };
        for (uint32_t m = 0; m < grp->n_matches; m++) {
            req r = match_req(&grp->matches[m], arena, nomem);
            if (better(&r, &best))
                best = r;
        }
        req_or(&out, &best, g == 0);
        if (out.kind == REQ_NONE)
            break;
    }
    return out;
}

static req cond_req(const tw_rule *rule, const tw_cond *c, tw_arena *arena, bool *nomem)
{
    req out = { .kind = REQ_NONE };
    switch (c->op) {
    case TW_COND_SEL:
        return sel_req(&rule->selections[c->sel], arena, nomem);
    case TW_COND_NOT:
        return out; /* NOT of anything may hold on a record without the literal */
    case TW_COND_AND:
        for (uint32_t i = 0; i < c->n_kids; i++) {
            req r = cond_req(rule, c->kids[i], arena, nomem);
            if (better(&r, &out))
                out = r;
        }
        return out;
    case TW_COND_OR:
        for (uint32_t i = 0; i < c->n_kids; i++) {
            req r = cond_req(rule, c->kids[i], arena, nomem);
            req_or(&out, &r, i == 0);
            if (out.kind == REQ_NONE)
                break;
        }
        return out;
    }
    return out;
}

bool tw_rules_prefilter_derive(const tw_rule *rule, tw_arena *arena,
                               tw_str lits[TW_PREFILTER_RULE_MAX], uint32_t *n, bool *nomem)
{
    *n = 0;
    if (!rule->condition || rule->correlation)
        return false;
    req r = cond_req(rule, rule->condition, arena, nomem);
    if (*nomem || r.kind != REQ_LITS || r.n == 0)
        return false;
    for (uint32_t i = 0; i < r.n; i++)
        lits[i] = r.lit[i];
    *n = r.n;
    return true;
}
