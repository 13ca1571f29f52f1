/* policy_facts: see policy_facts.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_facts.h"

#define FACTS_MAX_DEPTH 32
#define FACTS_MAX_UNWRAP 2 /* a document in a string in a string, no deeper */

typedef struct facts {
    tw_policy_facts *out;
    tw_str own;          /* 12 digits, or empty */
    bool open_any;       /* an Allow to anyone that its condition does not hold in */
    bool held_any;       /* an Allow to anyone that its condition holds in */
    bool deny_restricts; /* a Deny that restricts every Allow to anyone */
    char *errstr;
    size_t errstr_size;
} facts;

/* What a Principal or NotPrincipal names. */
typedef struct principal {
    bool present, negated;
    bool star; /* "*", {"AWS":"*"}, a list holding "*", a wildcard account */
    bool aws, whole, other, service, federated, canonical;
} principal;

/* What a Condition does for this reader. */
typedef struct cond {
    bool present;           /* at least one (operator, key) entry */
    bool restricts_allow;   /* an entry that holds an Allow to anyone in */
    bool restricts_as_deny; /* every entry holds outsiders in a Deny (and there is one) */
} cond;

static tw_err fail(facts *f, const tw_jnode *at, const char *what)
{
    if (f->errstr && f->errstr_size)
        snprintf(f->errstr, f->errstr_size, "policy document: %s (byte %llu of the document)", what,
                 (unsigned long long)(at ? at->offset : 0));
    return TW_ERR_PARSE;
}

static bool is_key(const tw_jnode *n, const char *key)
{
    return tw_str_eq_c(n->key, key);
}

static bool key_ieq(tw_str a, tw_str b)
{
    if (a.len != b.len)
        return false;
    for (uint32_t i = 0; i < a.len; i++)
        if (tolower((unsigned char)a.p[i]) != tolower((unsigned char)b.p[i]))
            return false;
    return true;
}

static bool str_ieq_c(tw_str a, const char *b)
{
    return key_ieq(a, tw_str_c(b));
}

static bool is_star(tw_str s)
{
    return s.len == 1 && s.p[0] == '*';
}

static bool has_wildcard(tw_str s)
{
    return memchr(s.p ? s.p : "", '*', s.len) || memchr(s.p ? s.p : "", '?', s.len);
}

static bool has_variable(tw_str s)
{
    for (uint32_t i = 0; i + 1 < s.len; i++)
        if (s.p[i] == '$' && s.p[i + 1] == '{')
            return true;
    return false;
}

static bool is_account(tw_str s)
{
    if (s.len != 12)
        return false;
    for (uint32_t i = 0; i < 12; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

/* The n-th colon-separated field of an ARN (0 is "arn"); the last (5) runs to the end. */
static bool arn_field(tw_str arn, int n, tw_str *out)
{
    uint32_t start = 0;
    for (int k = 0; k < n; k++) {
        const char *c = memchr(arn.p + start, ':', arn.len - start);
        if (!c)
            return false;
        start = (uint32_t)(c - arn.p) + 1;
    }
    uint32_t end = arn.len;
    if (n < 5) {
        const char *c = memchr(arn.p + start, ':', arn.len - start);
        if (!c)
            return false;
        end = (uint32_t)(c - arn.p);
    }
    *out = (tw_str){ arn.p + start, end - start };
    return true;
}

/* ---- principals ------------------------------------------------------------------------ */

static void aws_value(facts *f, tw_str v, principal *p)
{
    p->aws = true;
    if (is_star(v)) {
        p->star = true;
        return;
    }
    tw_str account = TW_STR_NULL;
    if (is_account(v)) {
        account = v;
        p->whole = true;
    } else if (tw_str_starts(v, "arn:")) {
        tw_str acct, service, resource;
        if (arn_field(v, 4, &acct) && arn_field(v, 2, &service) && arn_field(v, 5, &resource)) {
            if (has_wildcard(acct)) {
                p->star = true;
                return;
            }
            if (is_account(acct)) {
                account = acct;
                if (tw_str_eq_c(service, "iam") && tw_str_eq_c(resource, "root"))
                    p->whole = true;
            }
        } else if (has_wildcard(v)) {
            p->star = true; /* "arn:aws:iam::*": no account to read, meant every one */
            return;
        }
    } else if (has_wildcard(v)) {
        p->star = true; /* "1111*": meant to be every account */
        return;
    }
    if (account.len && (!f->own.len || !tw_str_eq(account, f->own)))
        p->other = true;
}

static tw_err principal_values(facts *f, const tw_jnode *v, principal *p, int type)
{
    if (v->type != TW_JV_STRING && v->type != TW_JV_ARRAY)
        return fail(f, v, "a principal is neither a string nor a list of strings");
    const tw_jnode *one = v->type == TW_JV_STRING ? v : v->child;
    for (const tw_jnode *e = one; e; e = v->type == TW_JV_STRING ? NULL : e->next) {
        if (e->type != TW_JV_STRING)
            return fail(f, e, "a principal list holds something other than a string");
        switch (type) {
        case 0:
            aws_value(f, e->text, p);
            break;
        case 1:
            p->service = true;
            break;
        case 2:
            p->federated = true;
            break;
        default:
            p->canonical = true;
            break;
        }
    }
    return TW_OK;
}

static tw_err principal_read(facts *f, const tw_jnode *v, principal *p)
{
    static const char *const types[] = { "AWS", "Service", "Federated", "CanonicalUser" };
    p->present = true;
    if (v->type == TW_JV_STRING) {
        if (!is_star(v->text))
            return fail(f, v, "a Principal given as a string is not \"*\"");
        p->star = true;
        return TW_OK;
    }
    if (v->type != TW_JV_OBJECT)
        return fail(f, v, "a Principal is neither \"*\" nor an object");
    bool seen[4] = { false, false, false, false };
    for (const tw_jnode *m = v->child; m; m = m->next) {
        int type = -1;
        for (int k = 0; k < 4; k++)
            if (is_key(m, types[k]))
                type = k;
        if (type < 0)
            return fail(f, m, "a Principal key is none of AWS, Service, Federated, CanonicalUser");
        if (seen[type])
            return fail(f, m, "a Principal names the same principal type twice");
        seen[type] = true;
        tw_err err = principal_values(f, m, p, type);
        if (err)
            return err;
    }
    return TW_OK;
}

/* ---- conditions ------------------------------------------------------------------------ */

typedef enum key_kind {
    KEY_NONE = 0,
    KEY_PLAIN,  /* fixed: no wildcard */
    KEY_ARN,    /* wildcards allowed in the resource part behind a 12-digit account */
    KEY_PATH,   /* wildcards allowed after a fixed first segment (the organization) */
    KEY_USERID, /* "ID:*" allowed */
    KEY_IP,     /* an address or a CIDR no wider than /8 (IPv4), /32 (IPv6) */
} key_kind;

/* The keys this reader judges: those of S3's and Access Analyzer's list, then the carve-out. */
static const struct {
    const char *name; /* lower case */
    key_kind kind;
} judged_keys[] = {
    { "aws:principalorgid", KEY_PLAIN },   { "aws:principalorgpaths", KEY_PATH },
    { "aws:principalaccount", KEY_PLAIN }, { "aws:principalarn", KEY_ARN },
    { "aws:sourceorgid", KEY_PLAIN },      { "aws:sourceorgpaths", KEY_PATH },
    { "aws:sourceaccount", KEY_PLAIN },    { "aws:sourcearn", KEY_ARN },
    { "aws:sourceowner", KEY_PLAIN },      { "aws:sourcevpc", KEY_PLAIN },
    { "aws:sourcevpce", KEY_PLAIN },       { "aws:sourceip", KEY_IP },
    { "aws:userid", KEY_USERID },          { "aws:resourceorgid", KEY_PLAIN },
    { "aws:resourceaccount", KEY_PLAIN },  { "s3:dataaccesspointaccount", KEY_PLAIN },
    { "s3:dataaccesspointarn", KEY_ARN },  { "kms:calleraccount", KEY_PLAIN },
    { "kms:viaservice", KEY_PLAIN },       { "aws:principalisawsservice", KEY_NONE },
};
#define N_JUDGED_KEYS (sizeof judged_keys / sizeof judged_keys[0])
#define CARVE_OUT_KEY (N_JUDGED_KEYS - 1)
_Static_assert(N_JUDGED_KEYS <= 32, "cond_read marks the keys seen in a uint32_t");

/* The index of a judged key, or -1 (keys compare case-insensitively). */
static int judged_key(tw_str key)
{
    for (size_t i = 0; i < N_JUDGED_KEYS; i++)
        if (str_ieq_c(key, judged_keys[i].name))
            return (int)i;
    return -1;
}

typedef enum op_kind { OP_OTHER = 0, OP_POSITIVE, OP_NEGATED, OP_BOOL } op_kind;

typedef struct op_info {
    op_kind kind;
    bool ip;       /* IpAddress / NotIpAddress */
    bool any, all; /* ForAnyValue: / ForAllValues: */
    bool if_exists;
    int id; /* a known operator as written, 0 .. N_OP_IDS - 1; -1 for others */
} op_info;

#define N_BASE_OPS 13
#define N_OP_IDS (N_BASE_OPS * 3 * 2) /* base x (bare, ForAnyValue:, ForAllValues:) x IfExists */

static op_info op_parse(tw_str name)
{
    static const struct {
        const char *base;
        op_kind kind;
        bool ip;
    } ops[N_BASE_OPS] = {
        { "StringEquals", OP_POSITIVE, false },
        { "StringEqualsIgnoreCase", OP_POSITIVE, false },
        { "StringLike", OP_POSITIVE, false },
        { "ArnEquals", OP_POSITIVE, false },
        { "ArnLike", OP_POSITIVE, false },
        { "IpAddress", OP_POSITIVE, true },
        { "StringNotEquals", OP_NEGATED, false },
        { "StringNotEqualsIgnoreCase", OP_NEGATED, false },
        { "StringNotLike", OP_NEGATED, false },
        { "ArnNotEquals", OP_NEGATED, false },
        { "ArnNotLike", OP_NEGATED, false },
        { "NotIpAddress", OP_NEGATED, true },
        { "Bool", OP_BOOL, false },
    };
    op_info op = { .id = -1 };
    if (tw_str_starts(name, "ForAnyValue:")) {
        op.any = true;
        name.p += 12;
        name.len -= 12;
    } else if (tw_str_starts(name, "ForAllValues:")) {
        op.all = true;
        name.p += 13;
        name.len -= 13;
    }
    if (tw_str_ends(name, "IfExists")) {
        op.if_exists = true;
        name.len -= 8;
    }
    for (int i = 0; i < N_BASE_OPS; i++)
        if (tw_str_eq_c(name, ops[i].base)) {
            op.kind = ops[i].kind;
            op.ip = ops[i].ip;
            op.id = (i * 3 + (op.any ? 1 : op.all ? 2 : 0)) * 2 + (op.if_exists ? 1 : 0);
        }
    return op;
}

/* "a.b.c.d/NN" or an IPv6 form: an address, or a prefix at least /8 (IPv4), /32 (IPv6). */
static bool ip_fixed(tw_str v)
{
    const char *slash = memchr(v.p, '/', v.len);
    if (!slash)
        return v.len > 0;
    bool v6 = memchr(v.p, ':', (size_t)(slash - v.p)) != NULL;
    uint32_t i = (uint32_t)(slash - v.p) + 1, prefix = 0;
    if (i == v.len || i + 3 < v.len)
        return false;
    for (; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
        prefix = prefix * 10 + (uint32_t)(v.p[i] - '0');
    }
    return v6 ? prefix >= 32 && prefix <= 128 : prefix >= 8 && prefix <= 32;
}

static bool value_fixed(key_kind kind, tw_str v)
{
    if (!v.len || has_variable(v))
        return false;
    if (!has_wildcard(v))
        return kind != KEY_IP || ip_fixed(v);
    switch (kind) {
    case KEY_ARN: {
        tw_str acct, head;
        /* arn:PARTITION:SERVICE:REGION: without wildcards, then a 12-digit account */
        if (!arn_field(v, 4, &acct) || !is_account(acct))
            return false;
        head = (tw_str){ v.p, (uint32_t)(acct.p - v.p) };
        return !has_wildcard(head);
    }
    case KEY_PATH: {
        const char *slash = memchr(v.p, '/', v.len);
        return slash && slash > v.p && !has_wildcard((tw_str){ v.p, (uint32_t)(slash - v.p) });
    }
    case KEY_USERID:
        return v.len > 2 && v.p[v.len - 1] == '*' && v.p[v.len - 2] == ':' &&
               !has_wildcard((tw_str){ v.p, v.len - 2 });
    default:
        return false;
    }
}

static bool scalar(const tw_jnode *v)
{
    return v->type == TW_JV_STRING || v->type == TW_JV_NUMBER || v->type == TW_JV_BOOL;
}

/* One (operator, key): its values checked, then judged. */
static tw_err cond_entry(facts *f, const op_info *op, const tw_jnode *k, int key, bool *allow_hold,
                         bool *deny_hold, bool *carve_out)
{
    if (!scalar(k) && k->type != TW_JV_ARRAY)
        return fail(f, k, "a condition value is neither a string, number, boolean nor a list");
    key_kind kind = key >= 0 ? judged_keys[key].kind : KEY_NONE;
    bool fixed = true, all_false = true;
    uint32_t n = 0;
    const tw_jnode *one = k->type == TW_JV_ARRAY ? k->child : k;
    for (const tw_jnode *e = one; e; e = k->type == TW_JV_ARRAY ? e->next : NULL) {
        if (!scalar(e))
            return fail(f, e, "a condition value list holds something other than a scalar");
        n++;
        fixed = fixed && value_fixed(kind, e->text);
        all_false = all_false && str_ieq_c(e->text, "false");
    }
    fixed = fixed && n > 0;
    bool kind_fits = kind != KEY_NONE && op->ip == (kind == KEY_IP);
    *allow_hold = kind_fits && fixed && op->kind == OP_POSITIVE && !op->if_exists && !op->all;
    *deny_hold = kind_fits && fixed && op->kind == OP_NEGATED && !op->any;
    *carve_out = op->kind == OP_BOOL && !op->any && !op->all && n > 0 && all_false &&
                 key == (int)CARVE_OUT_KEY;
    return TW_OK;
}

static tw_err cond_read(facts *f, const tw_jnode *c, cond *out)
{
    if (c->type != TW_JV_OBJECT)
        return fail(f, c, "a Condition is not an object");
    bool every_deny_holds = true, one_deny_holds = false;
    /* duplicates are looked for among what is judged only, so a large document stays linear;
     * a duplicate of anything else changes nothing read here */
    bool op_seen[N_OP_IDS] = { false };
    for (const tw_jnode *o = c->child; o; o = o->next) {
        if (o->type != TW_JV_OBJECT)
            return fail(f, o, "a condition operator's value is not an object");
        op_info op = op_parse(o->key);
        if (op.id >= 0) {
            if (op_seen[op.id])
                return fail(f, o, "a Condition names the same operator twice");
            op_seen[op.id] = true;
        }
        uint32_t key_seen = 0;
        for (const tw_jnode *k = o->child; k; k = k->next) {
            int key = judged_key(k->key);
            if (key >= 0) {
                if (key_seen & (1u << key))
                    return fail(f, k, "a condition operator names the same key twice");
                key_seen |= 1u << key;
            }
            bool allow_hold, deny_hold, carve_out;
            tw_err err = cond_entry(f, &op, k, key, &allow_hold, &deny_hold, &carve_out);
            if (err)
                return err;
            out->present = true;
            out->restricts_allow |= allow_hold;
            one_deny_holds |= deny_hold;
            every_deny_holds = every_deny_holds && (deny_hold || carve_out);
        }
    }
    out->restricts_as_deny = one_deny_holds && every_deny_holds;
    return TW_OK;
}

/* ---- statements ------------------------------------------------------------------------ */

/* Action, NotAction, Resource, NotResource: a string or a list of strings. *star: one is "*"
 * (or "*:*" when star_colon). */
static tw_err strings_read(facts *f, const tw_jnode *v, bool star_colon, bool *star,
                           const char *what)
{
    char msg[96];
    *star = false;
    if (v->type != TW_JV_STRING && v->type != TW_JV_ARRAY) {
        snprintf(msg, sizeof msg, "%s is neither a string nor a list of strings", what);
        return fail(f, v, msg);
    }
    const tw_jnode *one = v->type == TW_JV_STRING ? v : v->child;
    for (const tw_jnode *e = one; e; e = v->type == TW_JV_STRING ? NULL : e->next) {
        if (e->type != TW_JV_STRING) {
            snprintf(msg, sizeof msg, "a %s list holds something other than a string", what);
            return fail(f, e, msg);
        }
        if (is_star(e->text) || (star_colon && tw_str_eq_c(e->text, "*:*")))
            *star = true;
    }
    return TW_OK;
}

static tw_err statement(facts *f, const tw_jnode *st)
{
    static const char *const names[] = { "Effect",      "Action",    "NotAction",    "Resource",
                                         "NotResource", "Principal", "NotPrincipal", "Condition" };
    enum {
        EFFECT,
        ACTION,
        NOT_ACTION,
        RESOURCE,
        NOT_RESOURCE,
        PRINCIPAL,
        NOT_PRINCIPAL,
        CONDITION
    };
    const tw_jnode *el[8] = { NULL };
    if (st->type != TW_JV_OBJECT)
        return fail(f, st, "a Statement is not an object");
    for (const tw_jnode *m = st->child; m; m = m->next)
        for (int k = 0; k < 8; k++)
            if (is_key(m, names[k])) {
                if (el[k]) {
                    char msg[64];
                    snprintf(msg, sizeof msg, "a Statement has %s twice", names[k]);
                    return fail(f, m, msg);
                }
                el[k] = m;
            }
    if (!el[EFFECT] || el[EFFECT]->type != TW_JV_STRING)
        return fail(f, el[EFFECT] ? el[EFFECT] : st, "a Statement without a string Effect");
    bool allow;
    if (tw_str_eq_c(el[EFFECT]->text, "Allow"))
        allow = true;
    else if (tw_str_eq_c(el[EFFECT]->text, "Deny"))
        allow = false;
    else
        return fail(f, el[EFFECT], "Effect is neither Allow nor Deny");
    if (!el[ACTION] == !el[NOT_ACTION])
        return fail(f, st, "a Statement needs exactly one of Action and NotAction");
    if (el[RESOURCE] && el[NOT_RESOURCE])
        return fail(f, el[NOT_RESOURCE], "a Statement has both Resource and NotResource");
    if (el[PRINCIPAL] && el[NOT_PRINCIPAL])
        return fail(f, el[NOT_PRINCIPAL], "a Statement has both Principal and NotPrincipal");
    bool every_action = false, every_resource = !el[NOT_RESOURCE], star;
    tw_err err = el[ACTION] ? strings_read(f, el[ACTION], true, &every_action, "Action")
                            : strings_read(f, el[NOT_ACTION], false, &star, "NotAction");
    if (!err && el[RESOURCE])
        err = strings_read(f, el[RESOURCE], false, &every_resource, "Resource");
    if (!err && el[NOT_RESOURCE])
        err = strings_read(f, el[NOT_RESOURCE], false, &star, "NotResource");
    principal p = { 0 };
    const tw_jnode *pn = el[PRINCIPAL] ? el[PRINCIPAL] : el[NOT_PRINCIPAL];
    if (!err && pn) {
        err = principal_read(f, pn, &p);
        p.negated = pn == el[NOT_PRINCIPAL];
    }
    cond c = { 0 };
    if (!err && el[CONDITION])
        err = cond_read(f, el[CONDITION], &c);
    if (err)
        return err;

    tw_policy_facts *out = f->out;
    if (allow) {
        out->allows = true;
        bool to_anyone = false;
        if (p.present && p.negated) {
            to_anyone = !p.star; /* NotPrincipal "*": nobody */
            out->aws_principal |= to_anyone;
        } else if (p.present) {
            to_anyone = p.star;
            out->aws_principal |= p.aws || p.star; /* "*" lets in every AWS principal */
            out->whole_account |= p.whole;
            out->other_account |= p.other;
            out->service_principal |= p.service;
            out->federated |= p.federated;
            out->canonical_user |= p.canonical;
        }
        if (to_anyone) {
            if (c.restricts_allow)
                f->held_any = true;
            else
                f->open_any = true;
        }
        return TW_OK;
    }
    /* a Deny to everyone, or to all but some (NotPrincipal), with a condition that holds
     * outsiders; a NotPrincipal Deny without condition holds everyone but those */
    bool to_everyone = p.present && !p.negated && p.star;
    bool all_but_some = p.present && p.negated && !p.star;
    if ((to_everyone || all_but_some) && c.restricts_as_deny)
        f->deny_restricts = true;
    if (all_but_some && !c.present)
        f->deny_restricts = true;
    if (!c.present && el[ACTION] && every_action && every_resource && (!p.present || to_everyone))
        out->denies_all = true;
    return TW_OK;
}

static tw_err facts_doc(facts *f, tw_json *js, const tw_jnode *doc, int unwrap);

/* A padded, URL-decoded (when it starts with '%') copy of text, parsed and read. */
static tw_err facts_text(facts *f, tw_json *js, tw_str text, int unwrap)
{
    if (text.len > TW_POLICY_FACTS_MAX_BYTES) {
        if (f->errstr && f->errstr_size)
            snprintf(f->errstr, f->errstr_size,
                     "policy document of %lu bytes: over the limit of %u, at byte %u (AWS "
                     "caps policies at 20 KB)",
                     (unsigned long)text.len, TW_POLICY_FACTS_MAX_BYTES, TW_POLICY_FACTS_MAX_BYTES);
        return TW_ERR_PARSE;
    }
    char *buf = malloc((size_t)text.len + TW_JSON_PADDING + 1);
    if (!buf)
        return TW_ERR_NOMEM;
    uint32_t i = 0;
    while (i < text.len && isspace((unsigned char)text.p[i]))
        i++;
    bool encoded = i < text.len && text.p[i] == '%';
    size_t n = 0;
    for (uint32_t k = 0; k < text.len; k++) {
        char ch = text.p[k];
        int hi = encoded && ch == '%' && k + 2 < text.len
                     ? tw_hex_digit((unsigned char)text.p[k + 1])
                     : -1;
        int lo = hi >= 0 ? tw_hex_digit((unsigned char)text.p[k + 2]) : -1;
        if (lo >= 0) {
            buf[n++] = (char)(hi * 16 + lo);
            k += 2;
        } else {
            buf[n++] = encoded && ch == '+' ? ' ' : ch;
        }
    }
    memset(buf + n, ' ', TW_JSON_PADDING);
    buf[n + TW_JSON_PADDING] = '\0';
    tw_arena arena;
    tw_arena_init(&arena, 4096);
    tw_json_error jerr = { 0 };
    tw_err err;
    tw_jnode *root = tw_jdom_parse(js, &arena, buf, n, n + TW_JSON_PADDING, FACTS_MAX_DEPTH, &jerr);
    if (!root) {
        if (jerr.reason && !strcmp(jerr.reason, "nomem")) {
            err = TW_ERR_NOMEM;
        } else {
            if (f->errstr && f->errstr_size)
                snprintf(f->errstr, f->errstr_size, "policy document: %s (byte %llu)",
                         jerr.message[0] ? jerr.message : "not JSON",
                         (unsigned long long)jerr.offset);
            err = TW_ERR_PARSE;
        }
    } else {
        err = facts_doc(f, js, root, unwrap);
    }
    tw_arena_free(&arena);
    free(buf);
    return err;
}

static tw_err facts_doc(facts *f, tw_json *js, const tw_jnode *doc, int unwrap)
{
    if (doc && doc->type == TW_JV_STRING) {
        if (unwrap >= FACTS_MAX_UNWRAP)
            return fail(f, doc, "a document in a string in a string: nested too deep");
        return facts_text(f, js, doc->text, unwrap + 1);
    }
    if (!doc || doc->type != TW_JV_OBJECT)
        return fail(f, doc, "the policy document is not an object");
    const tw_jnode *stmts = NULL;
    for (const tw_jnode *m = doc->child; m; m = m->next)
        if (is_key(m, "Statement")) {
            if (stmts)
                return fail(f, m, "the policy document has Statement twice");
            stmts = m;
        }
    if (!stmts)
        return fail(f, doc, "the policy document has no Statement");
    if (stmts->type == TW_JV_OBJECT)
        return statement(f, stmts);
    if (stmts->type != TW_JV_ARRAY)
        return fail(f, stmts, "Statement is neither an object nor a list");
    for (const tw_jnode *s = stmts->child; s; s = s->next) {
        tw_err err = statement(f, s);
        if (err)
            return err;
    }
    return TW_OK;
}

static tw_err facts_run(tw_json *js, const tw_jnode *doc, tw_str text, bool from_text,
                        tw_str own_account, tw_policy_facts *out, char *errstr, size_t errstr_size)
{
    memset(out, 0, sizeof *out);
    if (errstr && errstr_size)
        errstr[0] = '\0';
    facts f = { .out = out,
                .own = is_account(own_account) ? own_account : TW_STR_NULL,
                .errstr = errstr,
                .errstr_size = errstr_size };
    tw_err err = from_text ? facts_text(&f, js, text, 0) : facts_doc(&f, js, doc, 0);
    if (err) {
        memset(out, 0, sizeof *out);
        return err;
    }
    /* a Deny that restricts, or a deny-all of everyone, holds in every Allow to anyone */
    bool held_by_deny = f.deny_restricts || out->denies_all;
    out->anyone = f.open_any && !held_by_deny;
    out->anyone_restricted = f.held_any || (f.open_any && held_by_deny);
    return TW_OK;
}

tw_err tw_policy_facts_text(tw_json *js, tw_str text, tw_str own_account, tw_policy_facts *out,
                            char *errstr, size_t errstr_size)
{
    return facts_run(js, NULL, text, true, own_account, out, errstr, errstr_size);
}

tw_err tw_policy_facts_node(tw_json *js, const tw_jnode *doc, tw_str own_account,
                            tw_policy_facts *out, char *errstr, size_t errstr_size)
{
    return facts_run(js, doc, TW_STR_NULL, false, own_account, out, errstr, errstr_size);
}
