/* ingest_inventory: see ingest_inventory.h. */
#include "ingest_inventory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema_jstream.h"
#include "tw_arena.h"
#include "tw_array.h"
#include "tw_buf.h"

/* A document nests about 6 levels (document, statement, condition, operator, key, values);
 * the file around it 4 more; the tokenizer stops the whole at 64. */
#define INV_DOC_DEPTH 64
#define INV_ARENA_BLOCK (16 * 1024)

#define EXPECTED_OBJECT                          \
    "expected an object (the output of aws iam " \
    "get-account-authorization-details)"

enum { L_USERS, L_GROUPS, L_ROLES, L_POLICIES, L_COUNT };
static const char *const list_keys[L_COUNT] = { "UserDetailList", "GroupDetailList",
                                                "RoleDetailList", "Policies" };

/* A policy of the entity being read, kept until the entity's end (its name and Arn may come
 * after its policies), or of a group, kept to the end of the file. */
typedef struct inv_pol {
    bool attached;
    tw_str name; /* inline: PolicyName */
    tw_str arn;  /* attached: PolicyArn */
    tw_str doc;  /* inline: the PolicyDocument's JSON text; empty: none */
    tw_jpos doc_at;
    uint64_t refused;     /* its size when over TW_INV_DOC_MAX (doc then empty), else 0 */
    const tw_jnode *node; /* a group's document, parsed once */
} inv_pol;

typedef struct inv_group {
    tw_str name;
    inv_pol *pols;
    size_t n_pols;
    size_t order; /* first-listed wins on duplicates */
} inv_group;

/* A user read before GroupDetailList: what its groups grant comes when the groups do. */
typedef struct inv_user {
    tw_str identity, who;
    tw_str *groups;
    size_t n_groups;
} inv_user;

/* A version of the policy being read (Policies[].PolicyVersionList[]). */
typedef struct inv_version {
    tw_str id, doc;
    tw_jpos doc_at;
    uint64_t refused; /* as inv_pol's */
    bool flagged;
} inv_version;

/* The entry (user, role, group or policy) being read; strings in ent_arena. */
typedef struct entity {
    const char *at; /* "UserDetailList[3]", in messages */
    tw_jpos start;
    tw_str name, arn, default_id;
    tw_jpos arn_at;
    unsigned seen; /* members read (a repeated key: the first counts) */
    inv_pol *pols;
    size_t n_pols, cap_pols;
    tw_str *groups;
    size_t n_groups, cap_groups;
    inv_version *versions;
    size_t n_versions, cap_versions;
} entity;

typedef struct loader {
    const char *name; /* the path, in messages */
    tw_jstream *js;
    const tw_inv_sink *sink;
    tw_inv_counts counts;
    char *errstr;
    size_t errstr_size;
    bool err_set;       /* errstr holds the message already */
    tw_json *json;      /* parses one document at a time */
    tw_buf cap;         /* a captured document */
    tw_buf pad;         /* the same, padded for the parser */
    tw_buf source;      /* a grant's source */
    tw_arena doc_arena; /* one document's tree */
    tw_arena ent_arena; /* the entry's strings */
    entity ent;
    tw_arena grp_arena; /* the groups, to the end */
    inv_group *groups;
    size_t n_groups, cap_groups;
    bool groups_done;   /* GroupDetailList read (or known absent): users resolve at once */
    tw_arena usr_arena; /* users waiting for their groups */
    inv_user *users;
    size_t n_users, cap_users;
    unsigned lists_seen;
} loader;

/* "NAME:LINE:COL: message". */
static tw_err fail_at(loader *ld, tw_jpos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static tw_err fail_at(loader *ld, tw_jpos at, const char *fmt, ...)
{
    ld->err_set = true;
    if (!ld->errstr || !ld->errstr_size)
        return TW_ERR_PARSE;
    int n = snprintf(ld->errstr, ld->errstr_size, "%s:%llu:%llu: ", ld->name,
                     (unsigned long long)at.line, (unsigned long long)at.col);
    if (n >= 0 && (size_t)n < ld->errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ld->errstr + n, ld->errstr_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return TW_ERR_PARSE;
}

static const char *tok_name(tw_jtok t)
{
    switch (t) {
    case TW_JT_NULL:
        return "null";
    case TW_JT_TRUE:
    case TW_JT_FALSE:
        return "a boolean";
    case TW_JT_NUMBER:
        return "a number";
    case TW_JT_STRING:
        return "a string";
    case TW_JT_OBJECT:
        return "an object";
    case TW_JT_ARRAY:
        return "an array";
    default:
        return "a value";
    }
}

static tw_err dup_str(tw_arena *arena, tw_str s, tw_str *out)
{
    int failed = 0;
    *out = tw_arena_dup(arena, s, &failed);
    return failed ? TW_ERR_NOMEM : TW_OK;
}

/* Concatenates parts into the arena. */
static tw_err join(tw_arena *arena, const tw_str *parts, size_t n_parts, tw_str *out)
{
    size_t total = 0;
    for (size_t i = 0; i < n_parts; i++)
        total += parts[i].len;
    if (total > UINT32_MAX)
        return TW_ERR_NOMEM;
    char *p = tw_arena_alloc(arena, total ? total : 1);
    if (!p)
        return TW_ERR_NOMEM;
    size_t at = 0;
    for (size_t i = 0; i < n_parts; i++) {
        if (parts[i].len)
            memcpy(p + at, parts[i].p, parts[i].len);
        at += parts[i].len;
    }
    *out = (tw_str){ p, (uint32_t)total };
    return TW_OK;
}

/* "arn:PARTITION:iam::ACCOUNT:..." -> partition and account. */
static bool split_iam_arn(tw_str arn, tw_str *partition, tw_str *account)
{
    tw_str f[5];
    const char *p = arn.p, *end = arn.p + arn.len;
    for (int i = 0; i < 5; i++) {
        const char *c = memchr(p, ':', (size_t)(end - p));
        if (!c)
            return false;
        f[i] = (tw_str){ p, (uint32_t)(c - p) };
        p = c + 1;
    }
    if (!tw_str_eq_c(f[0], "arn") || !f[1].len || !tw_str_eq_c(f[2], "iam") || !f[4].len)
        return false;
    *partition = f[1];
    *account = f[4];
    return true;
}

/* ---- reading values ------------------------------------------------------------------- */

/* The next value must be an array (*present) or null (absent: AWS leaves out what is empty,
 * other tools write null). where.key names it in messages. */
static tw_err want_list(loader *ld, const char *where, const char *key, bool *present)
{
    tw_jtok t;
    tw_err rc = tw_jstream_next(ld->js, &t);
    *present = t == TW_JT_ARRAY;
    if (rc || t == TW_JT_ARRAY || t == TW_JT_NULL)
        return rc;
    return fail_at(ld, tw_jstream_pos(ld->js), "%s%s%s: expected an array, found %s", where,
                   *where ? "." : "", key, tok_name(t));
}

/* The next value must be a string (into arena), non-empty if required; null is absent
 * (out->p NULL) when optional. */
static tw_err want_string(loader *ld, const char *where, const char *key, bool required,
                          tw_str *out)
{
    tw_jtok t;
    tw_err rc = tw_jstream_next(ld->js, &t);
    *out = TW_STR_NULL;
    if (rc || (t == TW_JT_NULL && !required))
        return rc;
    tw_str text = tw_jstream_text(ld->js);
    if (t != TW_JT_STRING || (required && !text.len))
        return fail_at(ld, tw_jstream_pos(ld->js), "%s.%s: expected a non-empty string, found %s",
                       where, key, t == TW_JT_STRING ? "an empty string" : tok_name(t));
    if ((rc = dup_str(&ld->ent_arena, text, out)))
        return rc;
    if (!out->p)
        *out = (tw_str){ "", 0 }; /* present, empty */
    return TW_OK;
}

/* The next value is a policy document: an object or a string, its JSON text into *out (empty
 * when null); *at its place. One over TW_INV_DOC_MAX is not kept: *refused gets its size. */
static tw_err want_document(loader *ld, const char *where, const char *key, tw_str *out,
                            tw_jpos *at, uint64_t *refused)
{
    tw_jtok t = TW_JT_EOF;
    int c;
    uint64_t size = 0;
    *out = (tw_str){ "", 0 };
    *refused = 0;
    tw_err rc = tw_jstream_peek(ld->js, &c);
    /* only an object or a string is kept: anything else is read as a token (and refused,
     * but for null) rather than captured whole */
    if (!rc && c != '{' && c != '"') {
        rc = tw_jstream_next(ld->js, &t);
    } else if (!rc) {
        tw_buf_reset(&ld->cap);
        rc = tw_jstream_capture(ld->js, &ld->cap, TW_INV_DOC_MAX, &t, &size);
    }
    *at = tw_jstream_pos(ld->js);
    if (rc || t == TW_JT_NULL)
        return rc;
    if (t != TW_JT_OBJECT && t != TW_JT_STRING)
        return fail_at(ld, *at, "%s.%s: expected an object or a string, found %s", where, key,
                       tok_name(t));
    if (size > TW_INV_DOC_MAX) {
        *refused = size;
        return TW_OK;
    }
    return dup_str(&ld->ent_arena, (tw_str){ ld->cap.p, (uint32_t)ld->cap.len }, out);
}

/* The next key of the object being read (*key NULL at its end). A key already read in this
 * object (bit in *seen) is skipped with its value: the first one counts. keys[i] is bit i. */
static tw_err next_member(loader *ld, const char *const *keys, size_t n_keys, unsigned *seen,
                          int *which)
{
    for (;;) {
        tw_jtok t;
        tw_err rc = tw_jstream_next(ld->js, &t);
        *which = -1;
        if (rc || t == TW_JT_OBJECT_END)
            return rc;
        tw_str key = tw_jstream_text(ld->js);
        for (size_t i = 0; i < n_keys; i++) {
            if (keys[i] && tw_str_eq_c(key, keys[i]) && !(*seen & 1u << i)) {
                *seen |= 1u << i;
                *which = (int)i;
                return TW_OK;
            }
        }
        if ((rc = tw_jstream_skip(ld->js, NULL)))
            return rc;
    }
}

/* The next element of the array being read must be an object (*more), or the array ends. */
static tw_err next_object(loader *ld, const char *at, bool *more, tw_jpos *start)
{
    tw_jtok t;
    tw_err rc = tw_jstream_next(ld->js, &t);
    *more = t == TW_JT_OBJECT;
    *start = tw_jstream_pos(ld->js);
    if (rc || t == TW_JT_OBJECT || t == TW_JT_ARRAY_END)
        return rc;
    return fail_at(ld, *start, "%s: expected an object, found %s", at, tok_name(t));
}

static tw_err missing(loader *ld, tw_jpos start, const char *at, const char *key)
{
    return fail_at(ld, start, "%s: missing \"%s\" (a non-empty string)", at, key);
}

/* ---- documents and grants ------------------------------------------------------------- */

/* The tree of a document's JSON text (checked by the tokenizer already), in arena. */
static tw_err parse_doc(loader *ld, tw_arena *arena, tw_str text, tw_jpos at, const tw_jnode **out)
{
    *out = NULL;
    if (!text.len)
        return TW_OK;
    tw_buf_reset(&ld->pad);
    if (!tw_buf_reserve(&ld->pad, text.len + TW_JSON_PADDING))
        return TW_ERR_NOMEM;
    memcpy(ld->pad.p, text.p, text.len);
    memset(ld->pad.p + text.len, ' ', TW_JSON_PADDING);
    tw_json_error err = { 0 };
    *out = tw_jdom_parse(ld->json, arena, ld->pad.p, text.len, text.len + TW_JSON_PADDING,
                         INV_DOC_DEPTH, &err);
    if (*out)
        return TW_OK;
    if (err.reason && !strcmp(err.reason, "nomem"))
        return TW_ERR_NOMEM;
    /* what the tokenizer lets through and simdjson does not (a number out of range) */
    return fail_at(ld, at, "not JSON: %s", err.message[0] ? err.message : "a policy document");
}

static tw_err sink_failed(loader *ld, tw_err rc)
{
    if (rc != TW_ERR_NOMEM && ld->errstr && ld->errstr_size) {
        snprintf(ld->errstr, ld->errstr_size, "%s: %s", ld->name, tw_err_str(rc));
        ld->err_set = true;
    }
    return rc;
}

static tw_err emit(loader *ld, tw_str identity, tw_str who, tw_str via, const inv_pol *pol,
                   const tw_jnode *doc)
{
    tw_buf *b = &ld->source;
    tw_buf_reset(b);
    tw_buf_puts(b, "inventory ");
    tw_buf_put(b, who.p, who.len);
    if (via.len) {
        tw_buf_puts(b, " via group/");
        tw_buf_put(b, via.p, via.len);
    }
    tw_buf_puts(b, pol->attached ? " " : " inline ");
    tw_str what = pol->attached ? pol->arn : pol->name;
    tw_buf_put(b, what.p, what.len);
    if (b->failed)
        return TW_ERR_NOMEM;
    tw_inv_grant g = { .identity = identity,
                       .source = { b->p, (uint32_t)b->len },
                       .policy_arn = pol->attached ? pol->arn : (tw_str){ "", 0 },
                       .document = doc,
                       .document_refused = pol->refused,
                       .via_group = via.len ? via : (tw_str){ "", 0 } };
    ld->counts.n_grants++;
    tw_err rc = ld->sink && ld->sink->grant ? ld->sink->grant(ld->sink->ud, &g) : TW_OK;
    return rc ? sink_failed(ld, rc) : TW_OK;
}

/* pols[0..n): the inline ones first, then the attached ones, each in file order. A group's
 * documents are parsed already; an entity's are parsed here, one at a time. */
static tw_err emit_pols(loader *ld, tw_str identity, tw_str who, tw_str via, const inv_pol *pols,
                        size_t n, bool parsed)
{
    tw_err rc = TW_OK;
    for (int attached = 0; attached < 2; attached++) {
        for (size_t i = 0; !rc && i < n; i++) {
            if (pols[i].attached != (attached == 1))
                continue;
            const tw_jnode *doc = pols[i].node;
            if (!parsed && (rc = parse_doc(ld, &ld->doc_arena, pols[i].doc, pols[i].doc_at, &doc)))
                break;
            rc = emit(ld, identity, who, via, &pols[i], doc);
            if (!parsed)
                tw_arena_reset(&ld->doc_arena);
        }
    }
    return rc;
}

static int group_cmp(const void *a, const void *b)
{
    const inv_group *x = a, *y = b;
    int c = tw_str_cmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The first-listed group named name, or NULL (groups sorted). */
static const inv_group *group_find(const loader *ld, tw_str name)
{
    size_t lo = 0, hi = ld->n_groups;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tw_str_cmp(ld->groups[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ld->n_groups && tw_str_eq(ld->groups[lo].name, name) ? &ld->groups[lo] : NULL;
}

/* What a user's groups grant it (the groups are all read). */
static tw_err emit_via_groups(loader *ld, tw_str identity, tw_str who, const tw_str *names,
                              size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const inv_group *g = group_find(ld, names[i]);
        if (!g) {
            ld->counts.n_unresolved_groups++;
            continue;
        }
        tw_err rc = emit_pols(ld, identity, who, g->name, g->pols, g->n_pols, true);
        if (rc)
            return rc;
    }
    return TW_OK;
}

/* GroupDetailList is read (or absent): the users waiting get their groups' grants. */
static tw_err groups_complete(loader *ld)
{
    if (ld->groups_done)
        return TW_OK;
    ld->groups_done = true;
    if (ld->n_groups)
        qsort(ld->groups, ld->n_groups, sizeof *ld->groups, group_cmp);
    tw_err rc = TW_OK;
    for (size_t i = 0; !rc && i < ld->n_users; i++) {
        const inv_user *u = &ld->users[i];
        rc = emit_via_groups(ld, u->identity, u->who, u->groups, u->n_groups);
    }
    free(ld->users);
    ld->users = NULL;
    ld->n_users = ld->cap_users = 0;
    tw_arena_free(&ld->usr_arena);
    return rc;
}

/* Keeps a user read before GroupDetailList, with its group names. */
static tw_err wait_for_groups(loader *ld, tw_str identity, tw_str who)
{
    entity *e = &ld->ent;
    if (!tw_array_grow((void **)&ld->users, &ld->cap_users, ld->n_users, sizeof *ld->users))
        return TW_ERR_NOMEM;
    inv_user u = { .n_groups = e->n_groups };
    u.groups = tw_arena_alloc(&ld->usr_arena, e->n_groups * sizeof *u.groups);
    tw_err rc = u.groups ? TW_OK : TW_ERR_NOMEM;
    if (!rc && !(rc = dup_str(&ld->usr_arena, identity, &u.identity)))
        rc = dup_str(&ld->usr_arena, who, &u.who);
    for (size_t i = 0; !rc && i < e->n_groups; i++)
        rc = dup_str(&ld->usr_arena, e->groups[i], &u.groups[i]);
    if (!rc)
        ld->users[ld->n_users++] = u;
    return rc;
}

/* ---- the four lists' entries ---------------------------------------------------------- */

/* One inline (attached false) or attached policy of a policy list, its '{' read. */
static tw_err read_pol(loader *ld, const char *at, tw_jpos start, bool attached)
{
    static const char *const keys[] = { "PolicyName", "PolicyDocument", "PolicyArn" };
    entity *e = &ld->ent;
    inv_pol p = { .attached = attached };
    unsigned seen = attached ? 3u : 4u; /* the other kind's keys are ignored */
    int which;
    tw_err rc;
    while (!(rc = next_member(ld, keys, 3, &seen, &which)) && which >= 0) {
        if (which == 0)
            rc = want_string(ld, at, "PolicyName", true, &p.name);
        else if (which == 1)
            rc = want_document(ld, at, "PolicyDocument", &p.doc, &p.doc_at, &p.refused);
        else
            rc = want_string(ld, at, "PolicyArn", true, &p.arn);
        if (rc)
            return rc;
    }
    if (rc)
        return rc;
    if (!attached && !p.name.p)
        return missing(ld, start, at, "PolicyName");
    if (attached && !p.arn.p)
        return missing(ld, start, at, "PolicyArn");
    if (!tw_array_grow((void **)&e->pols, &e->cap_pols, e->n_pols, sizeof *e->pols))
        return TW_ERR_NOMEM;
    e->pols[e->n_pols++] = p;
    return TW_OK;
}

/* UserPolicyList and the like (attached false), or AttachedManagedPolicies. */
static tw_err read_pol_list(loader *ld, const char *key, bool attached)
{
    char at[192];
    bool present, more;
    tw_jpos start;
    tw_err rc = want_list(ld, ld->ent.at, key, &present);
    for (size_t i = 0; !rc && present; i++) {
        snprintf(at, sizeof at, "%s.%s[%zu]", ld->ent.at, key, i);
        if ((rc = next_object(ld, at, &more, &start)) || !more)
            break;
        rc = read_pol(ld, at, start, attached);
    }
    return rc;
}

/* A user's GroupList: names. */
static tw_err read_group_names(loader *ld)
{
    entity *e = &ld->ent;
    bool present;
    tw_err rc = want_list(ld, e->at, "GroupList", &present);
    for (size_t i = 0; !rc && present; i++) {
        tw_jtok t;
        if ((rc = tw_jstream_next(ld->js, &t)) || t == TW_JT_ARRAY_END)
            break;
        tw_str name = tw_jstream_text(ld->js);
        if (t != TW_JT_STRING || !name.len)
            return fail_at(ld, tw_jstream_pos(ld->js),
                           "%s.GroupList[%zu]: expected a group name, found %s", e->at, i,
                           t == TW_JT_STRING ? "an empty string" : tok_name(t));
        if (!tw_array_grow((void **)&e->groups, &e->cap_groups, e->n_groups, sizeof *e->groups))
            return TW_ERR_NOMEM;
        rc = dup_str(&ld->ent_arena, name, &e->groups[e->n_groups++]);
    }
    return rc;
}

static void entity_reset(loader *ld, const char *at, tw_jpos start)
{
    entity *e = &ld->ent;
    tw_arena_reset(&ld->ent_arena);
    e->at = at;
    e->start = start;
    e->name = e->arn = e->default_id = TW_STR_NULL;
    e->seen = 0;
    e->n_pols = e->n_groups = e->n_versions = 0;
}

/* ---- repeats -------------------------------------------------------------------------- */

typedef struct keyed {
    tw_str key;
    size_t at;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = tw_str_cmp(x->key, y->key);
    return c ? c : x->at < y->at ? -1 : x->at > y->at;
}

/* keep[i]: keys[i] is the first of its value (a name listed twice grants once: AWS's own
 * lists never repeat one). n log n, for a hostile file that repeats a name a million times. */
static tw_err mark_firsts(const tw_str *keys, size_t n, bool *keep)
{
    keyed *k = malloc((n ? n : 1) * sizeof *k);
    if (!k)
        return TW_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed){ keys[i], i };
    qsort(k, n, sizeof *k, keyed_cmp);
    for (size_t i = 0; i < n; i++)
        keep[k[i].at] = i == 0 || !tw_str_eq(k[i].key, k[i - 1].key);
    free(k);
    return TW_OK;
}

/* The entity's group names and policies, each once, in file order: an inline policy by its
 * name, an attached one by its ARN (an inline name holds no ':', an ARN always does). */
static tw_err drop_repeats(entity *e)
{
    size_t n = e->n_groups > e->n_pols ? e->n_groups : e->n_pols;
    if (n < 2)
        return TW_OK;
    tw_str *keys = malloc(n * sizeof *keys);
    bool *keep = malloc(n * sizeof *keep);
    tw_err rc = keys && keep ? TW_OK : TW_ERR_NOMEM;
    if (!rc && e->n_groups > 1 && !(rc = mark_firsts(e->groups, e->n_groups, keep))) {
        size_t k = 0;
        for (size_t i = 0; i < e->n_groups; i++)
            if (keep[i])
                e->groups[k++] = e->groups[i];
        e->n_groups = k;
    }
    if (!rc && e->n_pols > 1) {
        for (size_t i = 0; i < e->n_pols; i++)
            keys[i] = e->pols[i].attached ? e->pols[i].arn : e->pols[i].name;
        if (!(rc = mark_firsts(keys, e->n_pols, keep))) {
            size_t k = 0;
            for (size_t i = 0; i < e->n_pols; i++)
                if (keep[i])
                    e->pols[k++] = e->pols[i];
            e->n_pols = k;
        }
    }
    free(keys);
    free(keep);
    return rc;
}

/* A user's or role's grants, its members all read. */
static tw_err finish_identity(loader *ld, bool is_user)
{
    entity *e = &ld->ent;
    const char *name_key = is_user ? "UserName" : "RoleName";
    if (!e->name.p)
        return missing(ld, e->start, e->at, name_key);
    if (!e->arn.p)
        return missing(ld, e->start, e->at, "Arn");
    tw_str partition, account;
    if (!split_iam_arn(e->arn, &partition, &account))
        return fail_at(ld, e->arn_at,
                       "%s.Arn: expected an IAM ARN (arn:PARTITION:iam::ACCOUNT:...)", e->at);
    tw_str type = is_user ? TW_STR_LIT("user/") : TW_STR_LIT("role/");
    tw_str key[] = {
        TW_STR_LIT("arn:"), partition, TW_STR_LIT(":iam::"), account, TW_STR_LIT(":"), type, e->name
    };
    tw_str who_parts[] = { type, e->name };
    tw_str identity, who;
    tw_err rc;
    if ((rc = drop_repeats(e)) ||
        (rc = join(&ld->ent_arena, key, sizeof key / sizeof *key, &identity)) ||
        (rc = join(&ld->ent_arena, who_parts, 2, &who)) ||
        (rc = emit_pols(ld, identity, who, TW_STR_NULL, e->pols, e->n_pols, false)))
        return rc;
    if (!is_user || !e->n_groups)
        return TW_OK;
    if (ld->groups_done)
        return emit_via_groups(ld, identity, who, e->groups, e->n_groups);
    return wait_for_groups(ld, identity, who);
}

/* A user (UserDetailList) or role (RoleDetailList), its '{' read. */
static tw_err read_identity(loader *ld, bool is_user)
{
    static const char *const user_keys[] = { "UserName", "Arn", "UserPolicyList",
                                             "AttachedManagedPolicies", "GroupList" };
    static const char *const role_keys[] = { "RoleName", "Arn", "RolePolicyList",
                                             "AttachedManagedPolicies", NULL };
    const char *const *keys = is_user ? user_keys : role_keys;
    entity *e = &ld->ent;
    int which;
    tw_err rc;
    while (!(rc = next_member(ld, keys, 5, &e->seen, &which)) && which >= 0) {
        switch (which) {
        case 0:
            rc = want_string(ld, e->at, keys[0], true, &e->name);
            break;
        case 1:
            rc = want_string(ld, e->at, "Arn", true, &e->arn);
            e->arn_at = tw_jstream_pos(ld->js);
            break;
        case 2:
            rc = read_pol_list(ld, keys[2], false);
            break;
        case 3:
            rc = read_pol_list(ld, keys[3], true);
            break;
        default:
            rc = read_group_names(ld);
            break;
        }
        if (rc)
            return rc;
    }
    return rc ? rc : finish_identity(ld, is_user);
}

/* A group (GroupDetailList), its '{' read: kept, documents parsed, to the end. */
static tw_err read_group(loader *ld, size_t order)
{
    static const char *const keys[] = { "GroupName", "GroupPolicyList", "AttachedManagedPolicies" };
    entity *e = &ld->ent;
    int which;
    tw_err rc;
    while (!(rc = next_member(ld, keys, 3, &e->seen, &which)) && which >= 0) {
        if (which == 0)
            rc = want_string(ld, e->at, keys[0], true, &e->name);
        else
            rc = read_pol_list(ld, keys[which], which == 2);
        if (rc)
            return rc;
    }
    if (rc)
        return rc;
    if (!e->name.p)
        return missing(ld, e->start, e->at, "GroupName");
    if ((rc = drop_repeats(e)))
        return rc;
    if (!tw_array_grow((void **)&ld->groups, &ld->cap_groups, ld->n_groups, sizeof *ld->groups))
        return TW_ERR_NOMEM;
    inv_group g = { .n_pols = e->n_pols, .order = order };
    g.pols = tw_arena_alloc(&ld->grp_arena, (e->n_pols ? e->n_pols : 1) * sizeof *g.pols);
    if (!g.pols || (rc = dup_str(&ld->grp_arena, e->name, &g.name)))
        return rc ? rc : TW_ERR_NOMEM;
    for (size_t i = 0; i < e->n_pols; i++) {
        inv_pol *p = &g.pols[i];
        *p = e->pols[i];
        if ((rc = dup_str(&ld->grp_arena, e->pols[i].name, &p->name)) ||
            (rc = dup_str(&ld->grp_arena, e->pols[i].arn, &p->arn)) ||
            (rc = parse_doc(ld, &ld->grp_arena, e->pols[i].doc, e->pols[i].doc_at, &p->node)))
            return rc;
        p->doc = TW_STR_NULL; /* its tree is what is kept */
    }
    ld->groups[ld->n_groups++] = g;
    return TW_OK;
}

/* One version of a policy, its '{' read. */
static tw_err read_version(loader *ld, const char *at)
{
    static const char *const keys[] = { "Document", "IsDefaultVersion", "VersionId" };
    entity *e = &ld->ent;
    inv_version v = { .doc = { "", 0 } };
    unsigned seen = 0;
    int which;
    tw_err rc;
    while (!(rc = next_member(ld, keys, 3, &seen, &which)) && which >= 0) {
        if (which == 0) {
            rc = want_document(ld, at, "Document", &v.doc, &v.doc_at, &v.refused);
        } else if (which == 2) {
            rc = want_string(ld, at, "VersionId", false, &v.id);
        } else {
            tw_jtok t;
            if (!(rc = tw_jstream_next(ld->js, &t)) && t != TW_JT_TRUE && t != TW_JT_FALSE &&
                t != TW_JT_NULL)
                rc = fail_at(ld, tw_jstream_pos(ld->js),
                             "%s.IsDefaultVersion: expected a boolean, found %s", at, tok_name(t));
            v.flagged = t == TW_JT_TRUE;
        }
        if (rc)
            return rc;
    }
    if (rc || (!v.doc.len && !v.refused))
        return rc; /* a version without a document cannot be the one read */
    if (!tw_array_grow((void **)&e->versions, &e->cap_versions, e->n_versions, sizeof *e->versions))
        return TW_ERR_NOMEM;
    e->versions[e->n_versions++] = v;
    return TW_OK;
}

/* The default version's document: the first flagged, else the one DefaultVersionId names. */
static const inv_version *default_version(const entity *e)
{
    for (size_t i = 0; i < e->n_versions; i++)
        if (e->versions[i].flagged)
            return &e->versions[i];
    for (size_t i = 0; e->default_id.p && i < e->n_versions; i++)
        if (e->versions[i].id.p && tw_str_eq(e->versions[i].id, e->default_id))
            return &e->versions[i];
    return NULL;
}

/* A managed policy (Policies), its '{' read: to the sink's policy callback. */
static tw_err read_policy(loader *ld)
{
    static const char *const keys[] = { "Arn", "DefaultVersionId", "PolicyVersionList" };
    entity *e = &ld->ent;
    char at[192];
    int which;
    tw_err rc;
    while (!(rc = next_member(ld, keys, 3, &e->seen, &which)) && which >= 0) {
        if (which == 0) {
            rc = want_string(ld, e->at, "Arn", true, &e->arn);
        } else if (which == 1) {
            rc = want_string(ld, e->at, "DefaultVersionId", false, &e->default_id);
        } else {
            bool present, more;
            tw_jpos start;
            rc = want_list(ld, e->at, "PolicyVersionList", &present);
            for (size_t i = 0; !rc && present; i++) {
                snprintf(at, sizeof at, "%s.PolicyVersionList[%zu]", e->at, i);
                if ((rc = next_object(ld, at, &more, &start)) || !more)
                    break;
                rc = read_version(ld, at);
            }
        }
        if (rc)
            return rc;
    }
    if (rc)
        return rc;
    if (!e->arn.p)
        return missing(ld, e->start, e->at, "Arn");
    const inv_version *v = default_version(e);
    const tw_jnode *doc = NULL;
    if (v && (rc = parse_doc(ld, &ld->doc_arena, v->doc, v->doc_at, &doc)))
        return rc;
    if (ld->sink && ld->sink->policy)
        rc = ld->sink->policy(ld->sink->ud, e->arn, doc, v ? v->refused : 0);
    tw_arena_reset(&ld->doc_arena);
    return rc ? sink_failed(ld, rc) : TW_OK;
}

/* One of the four lists, its key read. */
static tw_err read_list(loader *ld, int list)
{
    const char *key = list_keys[list];
    char at[64];
    bool present, more;
    tw_jpos start;
    size_t *count[L_COUNT] = { &ld->counts.n_users, &ld->counts.n_groups, &ld->counts.n_roles,
                               &ld->counts.n_policies };
    tw_err rc = want_list(ld, "", key, &present);
    for (size_t i = 0; !rc && present; i++) {
        snprintf(at, sizeof at, "%s[%zu]", key, i);
        if ((rc = next_object(ld, at, &more, &start)) || !more)
            break;
        entity_reset(ld, at, start);
        if (list == L_USERS || list == L_ROLES)
            rc = read_identity(ld, list == L_USERS);
        else if (list == L_GROUPS)
            rc = read_group(ld, i);
        else
            rc = read_policy(ld);
        (*count[list])++;
    }
    if (!rc && list == L_GROUPS)
        rc = groups_complete(ld);
    return rc;
}

/* The whole text: an object, its four lists in any order, nothing after it. */
static tw_err read_root(loader *ld)
{
    int c;
    tw_err rc = tw_jstream_peek(ld->js, &c);
    if (rc)
        return rc;
    if (c < 0) {
        ld->err_set = true;
        if (ld->errstr && ld->errstr_size)
            snprintf(ld->errstr, ld->errstr_size,
                     "%s: empty file (expected the JSON of aws iam "
                     "get-account-authorization-details)",
                     ld->name);
        return TW_ERR_PARSE;
    }
    if (c != '{') {
        const char *found = c == '['                           ? "an array"
                            : c == '"'                         ? "a string"
                            : c && strchr("-0123456789tfn", c) ? "a number, boolean or null"
                                                               : "text that is not JSON";
        return fail_at(ld, tw_jstream_pos(ld->js), EXPECTED_OBJECT ", found %s", found);
    }
    tw_jtok t;
    int which;
    if ((rc = tw_jstream_next(ld->js, &t)))
        return rc;
    while (!(rc = next_member(ld, list_keys, L_COUNT, &ld->lists_seen, &which)) && which >= 0)
        if ((rc = read_list(ld, which)))
            return rc;
    if (rc || (rc = tw_jstream_next(ld->js, &t))) /* TW_JT_EOF, or trailing content */
        return rc;
    return groups_complete(ld); /* no GroupDetailList: the users' groups are unknown */
}

static tw_err stream(const char *name, tw_jstream *js, const tw_inv_sink *sink,
                     tw_inv_counts *counts, char *errstr, size_t errstr_size)
{
    loader ld = {
        .name = name, .js = js, .sink = sink, .errstr = errstr, .errstr_size = errstr_size
    };
    tw_buf_init(&ld.cap);
    tw_buf_init(&ld.pad);
    tw_buf_init(&ld.source);
    tw_arena_init(&ld.doc_arena, INV_ARENA_BLOCK);
    tw_arena_init(&ld.ent_arena, INV_ARENA_BLOCK);
    tw_arena_init(&ld.grp_arena, INV_ARENA_BLOCK);
    tw_arena_init(&ld.usr_arena, INV_ARENA_BLOCK);
    tw_err rc = (ld.json = tw_json_new()) ? read_root(&ld) : TW_ERR_NOMEM;
    if (rc && !ld.err_set && errstr && errstr_size) {
        tw_jpos at;
        bool placed;
        const char *msg = tw_jstream_error(js, &at, &placed);
        if (rc == TW_ERR_NOMEM)
            snprintf(errstr, errstr_size, "%s: out of memory", name);
        else if (placed)
            snprintf(errstr, errstr_size, "%s:%llu:%llu: %s", name, (unsigned long long)at.line,
                     (unsigned long long)at.col, msg);
        else
            snprintf(errstr, errstr_size, "%s: %s", name, msg);
    }
    if (counts)
        *counts = ld.counts;
    tw_json_destroy(ld.json);
    tw_buf_free(&ld.cap);
    tw_buf_free(&ld.pad);
    tw_buf_free(&ld.source);
    tw_arena_free(&ld.doc_arena);
    tw_arena_free(&ld.ent_arena);
    tw_arena_free(&ld.grp_arena);
    tw_arena_free(&ld.usr_arena);
    free(ld.ent.pols);
    free(ld.ent.groups);
    free(ld.ent.versions);
    free(ld.groups);
    free(ld.users);
    return rc;
}

tw_err tw_inventory_stream_text(const char *name, const char *text, size_t len,
                                const tw_inv_sink *sink, tw_inv_counts *counts, char *errstr,
                                size_t errstr_size)
{
    tw_jstream *js;
    if (counts)
        memset(counts, 0, sizeof *counts);
    if (tw_jstream_open_mem(text, len, 0, &js) != TW_OK) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "%s: out of memory", name);
        return TW_ERR_NOMEM;
    }
    tw_err rc = stream(name, js, sink, counts, errstr, errstr_size);
    tw_jstream_destroy(js);
    return rc;
}

tw_err tw_inventory_stream(const char *path, const tw_inv_sink *sink, tw_inv_counts *counts,
                           char *errstr, size_t errstr_size)
{
    tw_err rc = TW_ERR_IO;
    tw_jstream *js = NULL;
    struct stat st;
    if (counts)
        memset(counts, 0, sizeof *counts);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size,
                     "%s: is a directory (expected the JSON file of aws iam "
                     "get-account-authorization-details)",
                     path);
    } else if ((rc = tw_jstream_open_fd(fd, 0, &js)) != TW_OK) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "%s: out of memory", path);
    } else {
        rc = stream(path, js, sink, counts, errstr, errstr_size);
    }
    tw_jstream_destroy(js);
    if (fd >= 0)
        close(fd);
    return rc;
}
