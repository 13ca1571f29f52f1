/* grants_policy: see grants_policy.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grants_policy.h"

extern const char tw_unobservable_text[];
extern const char tw_unobservable_text_end[];

typedef struct priv_action {
    char *lower;        /* "service:name", lower-cased */
    size_t service_len; /* of "service" */
    tw_str name;        /* as the catalog spells it */
    uint32_t classes;   /* TW_CLASS_* */
    bool unobservable;
} priv_action;

struct tw_privtab {
    priv_action *act; /* sorted by lower name: a service's actions are contiguous */
    uint32_t n, words;
    uint32_t *by_id; /* catalog id -> privileged index */
    uint32_t n_ids;
    uint32_t passrole;
};

static int cmp_action(const void *a, const void *b)
{
    return strcmp(((const priv_action *)a)->lower, ((const priv_action *)b)->lower);
}

static char *lower_dup(tw_str s)
{
    char *p = malloc(s.len + 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i < s.len; i++)
        p[i] = (char)tolower((unsigned char)s.p[i]);
    p[s.len] = '\0';
    return p;
}

static uint32_t find_lower(const tw_privtab *pt, const char *lower)
{
    size_t lo = 0, hi = pt->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(pt->act[mid].lower, lower);
        if (!c)
            return (uint32_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return TW_PRIV_NONE;
}

tw_err tw_privtab_new_from_text(const tw_catalog *cat, const char *unobservable, size_t len,
                                tw_privtab **out)
{
    *out = NULL;
    tw_privtab *pt = calloc(1, sizeof *pt);
    if (!pt)
        return TW_ERR_NOMEM;
    pt->n_ids = tw_catalog_size(cat);
    pt->by_id = malloc((pt->n_ids ? pt->n_ids : 1) * sizeof *pt->by_id);
    pt->act = calloc(pt->n_ids ? pt->n_ids : 1, sizeof *pt->act);
    if (!pt->by_id || !pt->act)
        goto nomem;
    for (uint32_t id = 0; id < pt->n_ids; id++) {
        pt->by_id[id] = TW_PRIV_NONE;
        tw_str name = tw_catalog_name(cat, id);
        tw_action a;
        if (!tw_catalog_find(cat, name, &a) || a.id != id ||
            !(a.classes & (TW_CLASS_PRIVILEGED | TW_CLASS_TELEMETRY)))
            continue;
        priv_action *pa = &pt->act[pt->n++];
        pa->name = name;
        pa->classes = a.classes;
        if (!(pa->lower = lower_dup(name)))
            goto nomem;
        const char *colon = strchr(pa->lower, ':');
        pa->service_len = colon ? (size_t)(colon - pa->lower) : strlen(pa->lower);
    }
    qsort(pt->act, pt->n, sizeof *pt->act, cmp_action);
    for (uint32_t i = 0; i < pt->n; i++) {
        tw_action a;
        if (tw_catalog_find(cat, pt->act[i].name, &a) && a.id < pt->n_ids)
            pt->by_id[a.id] = i;
    }
    pt->words = (pt->n + 63) / 64;
    pt->passrole = find_lower(pt, "iam:passrole");
    /* the unobservable list: one "service:Name" a line, '#' comments */
    const char *p = unobservable, *end = unobservable + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (e > p && *p != '#') {
            char *l = lower_dup((tw_str){ p, (size_t)(e - p) });
            if (!l)
                goto nomem;
            uint32_t i = find_lower(pt, l);
            free(l);
            if (i != TW_PRIV_NONE)
                pt->act[i].unobservable = true;
        }
        p = e + 1;
    }
    *out = pt;
    return TW_OK;
nomem:
    tw_privtab_destroy(pt);
    return TW_ERR_NOMEM;
}

tw_err tw_privtab_new(const tw_catalog *cat, tw_privtab **out)
{
    return tw_privtab_new_from_text(cat, tw_unobservable_text,
                                    (size_t)(tw_unobservable_text_end - tw_unobservable_text), out);
}

void tw_privtab_destroy(tw_privtab *pt)
{
    if (!pt)
        return;
    for (uint32_t i = 0; i < pt->n; i++)
        free(pt->act[i].lower);
    free(pt->act);
    free(pt->by_id);
    free(pt);
}

uint32_t tw_privtab_count(const tw_privtab *pt)
{
    return pt->n;
}
uint32_t tw_privtab_words(const tw_privtab *pt)
{
    return pt->words;
}
uint32_t tw_privtab_passrole(const tw_privtab *pt)
{
    return pt->passrole;
}
tw_str tw_privtab_name(const tw_privtab *pt, uint32_t i)
{
    return pt->act[i].name;
}
bool tw_privtab_unobservable(const tw_privtab *pt, uint32_t i)
{
    return pt->act[i].unobservable;
}
uint32_t tw_privtab_classes(const tw_privtab *pt, uint32_t i)
{
    return pt->act[i].classes;
}

uint32_t tw_privtab_index(const tw_privtab *pt, uint32_t action_id)
{
    return action_id < pt->n_ids ? pt->by_id[action_id] : TW_PRIV_NONE;
}

uint32_t tw_privtab_find(const tw_privtab *pt, tw_str name)
{
    char buf[160];
    if (name.len >= sizeof buf)
        return TW_PRIV_NONE;
    for (size_t i = 0; i < name.len; i++)
        buf[i] = (char)tolower((unsigned char)name.p[i]);
    buf[name.len] = '\0';
    return find_lower(pt, buf);
}

uint32_t tw_bits_count(const uint64_t *b, uint32_t words)
{
    uint32_t n = 0;
    for (uint32_t w = 0; w < words; w++)
        n += (uint32_t)__builtin_popcountll(b[w]);
    return n;
}

/* ---- matching -------------------------------------------------------------------------- */

/* IAM's wildcards: '*' any run, '?' one character; both sides lower-case. */
static bool glob_match(const char *pat, size_t pn, const char *s)
{
    size_t p = 0, star = (size_t)-1, mark = 0;
    const char *t = s;
    while (*t) {
        if (p < pn && (pat[p] == '?' || pat[p] == *t)) {
            p++;
            t++;
        } else if (p < pn && pat[p] == '*') {
            star = p++;
            mark = (size_t)(t - s);
        } else if (star != (size_t)-1) {
            p = star + 1;
            t = s + ++mark;
        } else {
            return false;
        }
    }
    while (p < pn && pat[p] == '*')
        p++;
    return p == pn;
}

/* Sets in `bits` every privileged action the pattern matches. */
static void match_pattern(const tw_privtab *pt, tw_str pattern, uint64_t *bits)
{
    char pat[256];
    size_t n = pattern.len < sizeof pat ? pattern.len : sizeof pat - 1;
    for (size_t i = 0; i < n; i++)
        pat[i] = (char)tolower((unsigned char)pattern.p[i]);
    pat[n] = '\0';
    if (!memchr(pat, '*', n) && !memchr(pat, '?', n)) {
        uint32_t i = find_lower(pt, pat); /* an exact name: most policies list them */
        if (i != TW_PRIV_NONE)
            tw_bits_set(bits, i);
        return;
    }
    const char *colon = memchr(pat, ':', n);
    bool literal_service = colon && !memchr(pat, '*', (size_t)(colon - pat)) &&
                           !memchr(pat, '?', (size_t)(colon - pat));
    uint32_t lo = 0, hi = pt->n;
    if (literal_service) {
        /* the service's actions are contiguous in the sorted table */
        size_t sl = (size_t)(colon - pat);
        uint32_t a = 0, b = pt->n;
        while (a < b) {
            uint32_t m = (a + b) / 2;
            int c = strncmp(pt->act[m].lower, pat, sl + 1);
            if (c < 0)
                a = m + 1;
            else
                b = m;
        }
        lo = a;
        hi = lo;
        while (hi < pt->n && !strncmp(pt->act[hi].lower, pat, sl + 1))
            hi++;
    }
    for (uint32_t i = lo; i < hi; i++)
        if (glob_match(pat, n, pt->act[i].lower))
            tw_bits_set(bits, i);
}

/* ---- documents ------------------------------------------------------------------------- */

typedef struct expand {
    const tw_privtab *pt;
    uint64_t *allow_plain, *allow_cond, *deny_plain, *deny_cond, *scratch;
    char *errstr;
    size_t errstr_size;
} expand;

static tw_err fail(expand *x, const tw_jnode *at, const char *what)
{
    if (x->errstr && x->errstr_size)
        snprintf(x->errstr, x->errstr_size, "%s (byte %llu of the document)", what,
                 (unsigned long long)(at ? at->offset : 0));
    return TW_ERR_PARSE;
}

static bool is_key(const tw_jnode *n, const char *key)
{
    return n->key.len == strlen(key) && !memcmp(n->key.p, key, n->key.len);
}

/* Action or NotAction: a string or a list of strings, into x->scratch. */
static tw_err actions_of(expand *x, const tw_jnode *v)
{
    memset(x->scratch, 0, x->pt->words * sizeof(uint64_t));
    if (v->type == TW_JV_STRING) {
        match_pattern(x->pt, v->text, x->scratch);
        return TW_OK;
    }
    if (v->type != TW_JV_ARRAY)
        return fail(x, v, "Action is neither a string nor a list of strings");
    for (const tw_jnode *e = v->child; e; e = e->next) {
        if (e->type != TW_JV_STRING)
            return fail(x, e, "an Action list holds something other than a string");
        match_pattern(x->pt, e->text, x->scratch);
    }
    return TW_OK;
}

/* Resource "*" (alone or in a list) covers everything; anything else is some resources. */
static bool every_resource(const tw_jnode *v)
{
    if (v->type == TW_JV_STRING)
        return v->text.len == 1 && v->text.p[0] == '*';
    if (v->type == TW_JV_ARRAY)
        for (const tw_jnode *e = v->child; e; e = e->next)
            if (e->type == TW_JV_STRING && e->text.len == 1 && e->text.p[0] == '*')
                return true;
    return false;
}

static tw_err statement(expand *x, const tw_jnode *st)
{
    if (st->type != TW_JV_OBJECT)
        return fail(x, st, "a Statement is not an object");
    const tw_jnode *effect = NULL, *action = NULL, *not_action = NULL;
    bool restricted = false, conditional = false;
    for (const tw_jnode *m = st->child; m; m = m->next) {
        if (is_key(m, "Effect"))
            effect = m;
        else if (is_key(m, "Action"))
            action = m;
        else if (is_key(m, "NotAction"))
            not_action = m;
        else if (is_key(m, "Resource"))
            restricted = !every_resource(m);
        else if (is_key(m, "NotResource"))
            restricted = true;
        else if (is_key(m, "Condition"))
            conditional = true; /* its content does not matter here (the managed file keeps {}) */
    }
    if (!effect || effect->type != TW_JV_STRING)
        return fail(x, st, "a Statement without a string Effect");
    bool allow;
    if (tw_str_eq_c(effect->text, "Allow"))
        allow = true;
    else if (tw_str_eq_c(effect->text, "Deny"))
        allow = false;
    else
        return fail(x, effect, "Effect is neither Allow nor Deny");
    if (!action == !not_action)
        return fail(x, st, "a Statement needs exactly one of Action and NotAction");
    tw_err err = actions_of(x, action ? action : not_action);
    if (err)
        return err;
    uint32_t words = x->pt->words;
    if (not_action) {
        for (uint32_t w = 0; w < words; w++)
            x->scratch[w] = ~x->scratch[w];
        uint32_t tail = x->pt->n % 64;
        if (tail && words)
            x->scratch[words - 1] &= (1ull << tail) - 1;
    }
    uint64_t *to = allow ? (restricted || conditional ? x->allow_cond : x->allow_plain)
                         : (restricted || conditional ? x->deny_cond : x->deny_plain);
    for (uint32_t w = 0; w < words; w++)
        to[w] |= x->scratch[w];
    return TW_OK;
}

tw_err tw_policy_expand_node(const tw_privtab *pt, tw_json *js, const tw_jnode *doc,
                             tw_policy_grant *out, char *errstr, size_t errstr_size)
{
    if (doc && doc->type == TW_JV_STRING)
        return tw_policy_expand_text(pt, js, doc->text, out, errstr, errstr_size);
    uint32_t words = pt->words ? pt->words : 1;
    uint64_t *mem = calloc((size_t)words * 5, sizeof *mem);
    if (!mem)
        return TW_ERR_NOMEM;
    expand x = { pt,     mem,        mem + words, mem + 2 * words, mem + 3 * words, mem + 4 * words,
                 errstr, errstr_size };
    tw_err err = TW_OK;
    const tw_jnode *stmts = tw_jnode_get(doc, "Statement");
    if (!doc || doc->type != TW_JV_OBJECT)
        err = fail(&x, doc, "the policy document is not an object");
    else if (!stmts)
        err = fail(&x, doc, "the policy document has no Statement");
    else if (stmts->type == TW_JV_OBJECT)
        err = statement(&x, stmts);
    else if (stmts->type == TW_JV_ARRAY)
        for (const tw_jnode *s = stmts->child; s && !err; s = s->next)
            err = statement(&x, s);
    else
        err = fail(&x, stmts, "Statement is neither an object nor a list");
    if (!err) {
        for (uint32_t w = 0; w < pt->words; w++) {
            /* granted without condition somewhere wins over a conditional grant; a Deny
             * everywhere removes; a Deny that may apply leaves it granted, conditionally */
            uint64_t plain = x.allow_plain[w] & ~x.deny_plain[w];
            uint64_t cond =
                (x.allow_cond[w] & ~x.allow_plain[w] & ~x.deny_plain[w]) | (plain & x.deny_cond[w]);
            out->allowed[w] |= plain | cond;
            out->conditional[w] |= cond;
            if (out->denied)
                out->denied[w] |= x.deny_plain[w];
        }
    }
    free(mem);
    return err;
}

tw_err tw_policy_expand_text(const tw_privtab *pt, tw_json *js, tw_str text, tw_policy_grant *out,
                             char *errstr, size_t errstr_size)
{
    /* a padded copy, URL-decoded when it does not start like JSON ("%7B%22Version...") */
    char *buf = malloc(text.len + TW_JSON_PADDING + 1);
    if (!buf)
        return TW_ERR_NOMEM;
    size_t i = 0;
    while (i < text.len && isspace((unsigned char)text.p[i]))
        i++;
    bool encoded = i < text.len && text.p[i] == '%';
    size_t n = 0;
    for (size_t k = 0; k < text.len; k++) {
        char c = text.p[k];
        int hi = encoded && c == '%' && k + 2 < text.len
                     ? tw_hex_digit((unsigned char)text.p[k + 1])
                     : -1;
        int lo = hi >= 0 ? tw_hex_digit((unsigned char)text.p[k + 2]) : -1;
        if (lo >= 0) {
            buf[n++] = (char)(hi * 16 + lo);
            k += 2;
        } else if (encoded && c == '+') {
            buf[n++] = ' ';
        } else {
            buf[n++] = c;
        }
    }
    memset(buf + n, ' ', TW_JSON_PADDING);
    tw_arena arena;
    tw_arena_init(&arena, 4096);
    tw_json_error jerr = { 0 };
    tw_err err;
    tw_jnode *root = tw_jdom_parse(js, &arena, buf, n, n + TW_JSON_PADDING, 32, &jerr);
    if (!root) {
        if (jerr.reason && !strcmp(jerr.reason, "nomem")) {
            err = TW_ERR_NOMEM;
        } else {
            if (errstr && errstr_size)
                snprintf(errstr, errstr_size, "policy document: %s (byte %llu)", jerr.message,
                         (unsigned long long)jerr.offset);
            err = TW_ERR_PARSE;
        }
    } else if (root->type == TW_JV_STRING) {
        err = TW_ERR_PARSE; /* a string in a string: no policy */
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "policy document: a string, not an object");
    } else {
        err = tw_policy_expand_node(pt, js, root, out, errstr, errstr_size);
    }
    tw_arena_free(&arena);
    free(buf);
    return err;
}
