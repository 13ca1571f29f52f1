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

#include "ingest_json.h"

/* An inventory nests about 10 levels (list, entity, policy list, policy, document, statement,
 * condition, operator, key, values); 64 leaves room for AWS's growth, none for a bomb. */
#define INV_MAX_DEPTH 64
#define INV_ARENA_BLOCK (256 * 1024)

/* bit masks of the JSON types a member may have */
#define WANT(t) (1u << (t))
#define WANT_DOC (WANT(TW_JV_OBJECT) | WANT(TW_JV_STRING))

typedef struct named {
    tw_str key;            /* a group's name, a policy's ARN */
    const tw_jnode *node;  /* the group object; the policy's default document (may be NULL) */
    size_t order;          /* index in its list: messages, and first-listed wins on duplicates */
} named;

typedef struct loader {
    tw_inventory *inv;
    const char *name;      /* the path, in messages */
    const char *text;
    size_t len;
    char *errstr;
    size_t errstr_size;
    size_t cap_grants;
    named *groups;
    size_t n_groups;
    named *policies;
    size_t n_policies;
} loader;

/* Who a policy list belongs to, and how it is held. */
typedef struct holder {
    bool emit;             /* false: validate only (a group, checked once when indexed) */
    tw_str identity;
    tw_str who;            /* "user/NAME", "role/NAME" */
    tw_str via_group;
} holder;

static void set_err(loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(loader *ld, const char *fmt, ...)
{
    if (!ld->errstr || !ld->errstr_size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->errstr, ld->errstr_size, fmt, ap);
    va_end(ap);
}

/* "NAME:LINE:COL: message", at the node's place in the text. */
static tw_err fail_at(loader *ld, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static tw_err fail_at(loader *ld, uint64_t offset, const char *fmt, ...)
{
    if (!ld->errstr || !ld->errstr_size)
        return TW_ERR_PARSE;
    uint64_t line, col;
    tw_text_position(ld->text, ld->len, offset, &line, &col);
    int n = snprintf(ld->errstr, ld->errstr_size, "%s:%llu:%llu: ", ld->name,
                     (unsigned long long)line, (unsigned long long)col);
    if (n >= 0 && (size_t)n < ld->errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ld->errstr + n, ld->errstr_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return TW_ERR_PARSE;
}

static const char *type_name(const tw_jnode *n)
{
    switch (n->type) {
    case TW_JV_NULL: return "null";
    case TW_JV_BOOL: return "a boolean";
    case TW_JV_NUMBER: return "a number";
    case TW_JV_STRING: return "a string";
    case TW_JV_OBJECT: return "an object";
    case TW_JV_ARRAY: return "an array";
    }
    return "a value";
}

static const char *want_name(unsigned want)
{
    if (want == WANT_DOC)
        return "an object or a string";
    if (want == WANT(TW_JV_ARRAY))
        return "an array";
    if (want == WANT(TW_JV_OBJECT))
        return "an object";
    if (want == WANT(TW_JV_BOOL))
        return "a boolean";
    return "a non-empty string";
}

/* The member `key` of obj (where names obj in messages), of a type in want. Absent, or null
 * when optional, gives *out NULL: AWS leaves out what is empty, and other tools write null.
 * A required string must not be empty. */
static tw_err member(loader *ld, const tw_jnode *obj, const char *where, const char *key,
                     unsigned want, bool required, const tw_jnode **out)
{
    const tw_jnode *n = tw_jnode_get(obj, key);
    *out = NULL;
    if (!n || (n->type == TW_JV_NULL && !required)) {
        if (required)
            return fail_at(ld, obj->offset, "%s%smissing \"%s\" (%s)", where,
                           *where ? ": " : "", key, want_name(want));
        return TW_OK;
    }
    if (!(want & WANT(n->type)) ||
        (required && want == WANT(TW_JV_STRING) && n->text.len == 0))
        return fail_at(ld, n->offset, "%s%s%s: expected %s, found %s", where,
                       *where ? "." : "", key,
                       want_name(want),
                       (want & WANT(n->type)) ? "an empty string" : type_name(n));
    *out = n;
    return TW_OK;
}

static tw_str text_of(const tw_jnode *n)
{
    return n && n->text.len ? n->text : (tw_str){ "", 0 };
}

/* Concatenates parts into the arena. */
static tw_err join(loader *ld, const tw_str *parts, size_t n_parts, tw_str *out)
{
    size_t total = 0;
    for (size_t i = 0; i < n_parts; i++)
        total += parts[i].len;
    if (total > UINT32_MAX)
        return TW_ERR_NOMEM;
    char *p = tw_arena_alloc(&ld->inv->arena, total ? total : 1);
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

static int named_cmp(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int c = tw_str_cmp(x->key, y->key);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The first-listed entry named key, or NULL. */
static const named *named_find(const named *v, size_t n, tw_str key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tw_str_cmp(v[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && tw_str_eq(v[lo].key, key) ? &v[lo] : NULL;
}

static tw_err push_grant(loader *ld, const tw_inv_grant *g)
{
    tw_inventory *inv = ld->inv;
    if (inv->n_grants == ld->cap_grants) {
        size_t cap = ld->cap_grants ? ld->cap_grants * 2 : 64;
        tw_inv_grant *grants = realloc(inv->grants, cap * sizeof *grants);
        if (!grants)
            return TW_ERR_NOMEM;
        inv->grants = grants;
        ld->cap_grants = cap;
    }
    inv->grants[inv->n_grants++] = *g;
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

/* The inline policies (list_key) and attached managed policies of entity. */
static tw_err add_policies(loader *ld, const tw_jnode *entity, const char *where,
                           const char *list_key, const holder *h)
{
    char at[160];
    const tw_jnode *list, *n;
    tw_err rc = member(ld, entity, where, list_key, WANT(TW_JV_ARRAY), false, &list);
    if (rc)
        return rc;
    size_t i = 0;
    for (const tw_jnode *pol = list ? list->child : NULL; pol; pol = pol->next, i++) {
        snprintf(at, sizeof at, "%s.%s[%zu]", where, list_key, i);
        if (pol->type != TW_JV_OBJECT)
            return fail_at(ld, pol->offset, "%s: expected an object, found %s", at,
                           type_name(pol));
        const tw_jnode *name, *doc;
        if ((rc = member(ld, pol, at, "PolicyName", WANT(TW_JV_STRING), true, &name)) ||
            (rc = member(ld, pol, at, "PolicyDocument", WANT_DOC, false, &doc)))
            return rc;
        if (!h->emit)
            continue;
        tw_inv_grant g = { .identity = h->identity, .document = doc, .via_group = h->via_group,
                           .policy_arn = { "", 0 } };
        tw_str parts[] = { TW_STR_LIT("inventory "), h->who,
                           h->via_group.len ? TW_STR_LIT(" via group/") : TW_STR_NULL,
                           h->via_group, TW_STR_LIT(" inline "), text_of(name) };
        if ((rc = join(ld, parts, sizeof parts / sizeof *parts, &g.source)) ||
            (rc = push_grant(ld, &g)))
            return rc;
    }
    if ((rc = member(ld, entity, where, "AttachedManagedPolicies", WANT(TW_JV_ARRAY), false,
                     &list)))
        return rc;
    i = 0;
    for (const tw_jnode *pol = list ? list->child : NULL; pol; pol = pol->next, i++) {
        snprintf(at, sizeof at, "%s.AttachedManagedPolicies[%zu]", where, i);
        if (pol->type != TW_JV_OBJECT)
            return fail_at(ld, pol->offset, "%s: expected an object, found %s", at,
                           type_name(pol));
        if ((rc = member(ld, pol, at, "PolicyArn", WANT(TW_JV_STRING), true, &n)))
            return rc;
        if (!h->emit)
            continue;
        const named *found = named_find(ld->policies, ld->n_policies, n->text);
        tw_inv_grant g = { .identity = h->identity, .policy_arn = n->text,
                           .document = found ? found->node : NULL, .via_group = h->via_group };
        tw_str parts[] = { TW_STR_LIT("inventory "), h->who,
                           h->via_group.len ? TW_STR_LIT(" via group/") : TW_STR_NULL,
                           h->via_group, TW_STR_LIT(" "), n->text };
        if ((rc = join(ld, parts, sizeof parts / sizeof *parts, &g.source)) ||
            (rc = push_grant(ld, &g)))
            return rc;
    }
    return TW_OK;
}

/* Policies[]: each managed policy's ARN and default version's document. */
static tw_err index_policies(loader *ld, const tw_jnode *list)
{
    if (!list || !list->n_children)
        return TW_OK;
    ld->policies = calloc(list->n_children, sizeof *ld->policies);
    if (!ld->policies)
        return TW_ERR_NOMEM;
    char at[96], vat[128];
    tw_err rc;
    size_t i = 0;
    for (const tw_jnode *pol = list->child; pol; pol = pol->next, i++) {
        snprintf(at, sizeof at, "Policies[%zu]", i);
        if (pol->type != TW_JV_OBJECT)
            return fail_at(ld, pol->offset, "%s: expected an object, found %s", at,
                           type_name(pol));
        const tw_jnode *arn, *def_id, *versions;
        if ((rc = member(ld, pol, at, "Arn", WANT(TW_JV_STRING), true, &arn)) ||
            (rc = member(ld, pol, at, "DefaultVersionId", WANT(TW_JV_STRING), false, &def_id)) ||
            (rc = member(ld, pol, at, "PolicyVersionList", WANT(TW_JV_ARRAY), false, &versions)))
            return rc;
        const tw_jnode *flagged = NULL, *by_id = NULL;
        size_t j = 0;
        for (const tw_jnode *v = versions ? versions->child : NULL; v; v = v->next, j++) {
            snprintf(vat, sizeof vat, "%s.PolicyVersionList[%zu]", at, j);
            if (v->type != TW_JV_OBJECT)
                return fail_at(ld, v->offset, "%s: expected an object, found %s", vat,
                               type_name(v));
            const tw_jnode *doc, *is_def, *vid;
            if ((rc = member(ld, v, vat, "Document", WANT_DOC, false, &doc)) ||
                (rc = member(ld, v, vat, "IsDefaultVersion", WANT(TW_JV_BOOL), false, &is_def)) ||
                (rc = member(ld, v, vat, "VersionId", WANT(TW_JV_STRING), false, &vid)))
                return rc;
            if (is_def && is_def->boolean && !flagged)
                flagged = doc;
            if (def_id && vid && tw_str_eq(vid->text, def_id->text) && !by_id)
                by_id = doc;
        }
        ld->policies[ld->n_policies++] =
            (named){ .key = arn->text, .node = flagged ? flagged : by_id, .order = i };
    }
    qsort(ld->policies, ld->n_policies, sizeof *ld->policies, named_cmp);
    return TW_OK;
}

/* GroupDetailList[]: by name, each checked once here so a group no user is in still has to
 * be well-formed. */
static tw_err index_groups(loader *ld, const tw_jnode *list)
{
    if (!list || !list->n_children)
        return TW_OK;
    ld->groups = calloc(list->n_children, sizeof *ld->groups);
    if (!ld->groups)
        return TW_ERR_NOMEM;
    char at[64];
    tw_err rc;
    size_t i = 0;
    for (const tw_jnode *grp = list->child; grp; grp = grp->next, i++) {
        snprintf(at, sizeof at, "GroupDetailList[%zu]", i);
        if (grp->type != TW_JV_OBJECT)
            return fail_at(ld, grp->offset, "%s: expected an object, found %s", at,
                           type_name(grp));
        const tw_jnode *name;
        holder check = { .emit = false };
        if ((rc = member(ld, grp, at, "GroupName", WANT(TW_JV_STRING), true, &name)) ||
            (rc = add_policies(ld, grp, at, "GroupPolicyList", &check)))
            return rc;
        ld->groups[ld->n_groups++] = (named){ .key = name->text, .node = grp, .order = i };
    }
    qsort(ld->groups, ld->n_groups, sizeof *ld->groups, named_cmp);
    return TW_OK;
}

/* One user or role: its identity key, then its grants. */
static tw_err add_entity(loader *ld, const tw_jnode *ent, const char *where, bool is_user)
{
    if (ent->type != TW_JV_OBJECT)
        return fail_at(ld, ent->offset, "%s: expected an object, found %s", where,
                       type_name(ent));
    const tw_jnode *name, *arn;
    tw_err rc;
    if ((rc = member(ld, ent, where, is_user ? "UserName" : "RoleName", WANT(TW_JV_STRING), true,
                     &name)) ||
        (rc = member(ld, ent, where, "Arn", WANT(TW_JV_STRING), true, &arn)))
        return rc;
    tw_str partition, account;
    if (!split_iam_arn(arn->text, &partition, &account))
        return fail_at(ld, arn->offset,
                       "%s.Arn: expected an IAM ARN (arn:PARTITION:iam::ACCOUNT:...)",
                       where);
    holder h = { .emit = true, .via_group = { "", 0 } };
    tw_str type = is_user ? TW_STR_LIT("user/") : TW_STR_LIT("role/");
    tw_str key[] = { TW_STR_LIT("arn:"), partition, TW_STR_LIT(":iam::"), account,
                     TW_STR_LIT(":"), type, name->text };
    tw_str who[] = { type, name->text };
    if ((rc = join(ld, key, sizeof key / sizeof *key, &h.identity)) ||
        (rc = join(ld, who, sizeof who / sizeof *who, &h.who)) ||
        (rc = add_policies(ld, ent, where, is_user ? "UserPolicyList" : "RolePolicyList", &h)))
        return rc;
    if (!is_user)
        return TW_OK;
    const tw_jnode *groups;
    if ((rc = member(ld, ent, where, "GroupList", WANT(TW_JV_ARRAY), false, &groups)))
        return rc;
    size_t i = 0;
    for (const tw_jnode *gn = groups ? groups->child : NULL; gn; gn = gn->next, i++) {
        if (gn->type != TW_JV_STRING || !gn->text.len)
            return fail_at(ld, gn->offset, "%s.GroupList[%zu]: expected a group name, found %s",
                           where, i, gn->type == TW_JV_STRING ? "an empty string" : type_name(gn));
        const named *grp = named_find(ld->groups, ld->n_groups, gn->text);
        if (!grp) {
            ld->inv->n_unresolved_groups++;
            continue;
        }
        char at[64];
        snprintf(at, sizeof at, "GroupDetailList[%zu]", grp->order);
        h.via_group = grp->key;
        if ((rc = add_policies(ld, grp->node, at, "GroupPolicyList", &h)))
            return rc;
    }
    return TW_OK;
}

static tw_err add_entities(loader *ld, const tw_jnode *list, const char *list_key, bool is_user)
{
    char at[64];
    size_t i = 0;
    for (const tw_jnode *ent = list ? list->child : NULL; ent; ent = ent->next, i++) {
        snprintf(at, sizeof at, "%s[%zu]", list_key, i);
        tw_err rc = add_entity(ld, ent, at, is_user);
        if (rc)
            return rc;
    }
    return TW_OK;
}

static tw_err load_tree(loader *ld, const tw_jnode *root)
{
    tw_inventory *inv = ld->inv;
    if (root->type != TW_JV_OBJECT)
        return fail_at(ld, root->offset,
                       "expected an object (the output of aws iam "
                       "get-account-authorization-details), found %s",
                       type_name(root));
    const tw_jnode *users, *groups, *roles, *policies;
    tw_err rc;
    if ((rc = member(ld, root, "", "UserDetailList", WANT(TW_JV_ARRAY), false, &users)) ||
        (rc = member(ld, root, "", "GroupDetailList", WANT(TW_JV_ARRAY), false, &groups)) ||
        (rc = member(ld, root, "", "RoleDetailList", WANT(TW_JV_ARRAY), false, &roles)) ||
        (rc = member(ld, root, "", "Policies", WANT(TW_JV_ARRAY), false, &policies)))
        return rc;
    inv->n_users = users ? users->n_children : 0;
    inv->n_groups = groups ? groups->n_children : 0;
    inv->n_roles = roles ? roles->n_children : 0;
    inv->n_policies = policies ? policies->n_children : 0;
    if ((rc = index_policies(ld, policies)) || (rc = index_groups(ld, groups)) ||
        (rc = add_entities(ld, users, "UserDetailList", true)) ||
        (rc = add_entities(ld, roles, "RoleDetailList", false)))
        return rc;
    return TW_OK;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The offset of the first byte that does not start a valid UTF-8 sequence (overlong forms,
 * surrogates and code points past U+10FFFF included), or len. The parser only says "invalid
 * UTF-8"; a reader wants the place. */
static size_t utf8_bad_offset(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            min = 0x10000;
        } else {
            return i;
        }
        if (len - i <= n)
            return i;
        uint32_t cp = c & (0x3Fu >> n);
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return len;
}

/* Errors the parser finds before it walks (in its first pass over the bytes) come without a
 * place. Two of them can be placed by following the strings: the first raw control character
 * inside one (*ctl), and a string still open at the end of the text (*open: its opening quote,
 * typically in a file cut short). Each is len when there is none. */
static void scan_strings(const char *t, size_t len, size_t *ctl, size_t *open)
{
    bool in = false;
    size_t start = 0;
    *ctl = len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (!in) {
            if (c == '"') {
                in = true;
                start = i;
            }
        } else if (c == '\\') {
            i++;
        } else if (c == '"') {
            in = false;
        } else if (c < 0x20 && *ctl == len) {
            *ctl = i;
        }
    }
    *open = in ? start : len;
}

/* Checks done before parsing, for messages that say what the file is rather than how the
 * parser failed: empty, UTF-16 (PowerShell 5 redirection writes it), not an object. A UTF-8
 * byte order mark is skipped (*skip). */
static tw_err precheck(loader *ld, size_t *skip)
{
    const unsigned char *u = (const unsigned char *)ld->text;
    *skip = 0;
    if (ld->len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        set_err(ld, "%s: UTF-16 text (as PowerShell's > writes it): convert it to UTF-8", ld->name);
        return TW_ERR_PARSE;
    }
    if (ld->len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
        *skip = 3;
    size_t i = *skip;
    while (i < ld->len && is_space(ld->text[i]))
        i++;
    if (i == ld->len) {
        set_err(ld, "%s: empty file (expected the JSON of aws iam "
                    "get-account-authorization-details)",
                ld->name);
        return TW_ERR_PARSE;
    }
    char c = ld->text[i];
    if (c == '{')
        return TW_OK;
    const char *found = c == '[' ? "an array" : c == '"' ? "a string"
                      : c && strchr("-0123456789tfn", c) ? "a number, boolean or null"
                      : "text that is not JSON";
    return fail_at(ld, i, "expected an object (the output of aws iam "
                          "get-account-authorization-details), found %s", found);
}

/* Members of an entity that grant nothing and can be large (a role's trust policy, its
 * instance profiles, each holding the role again, tags): no tree is built for them. */
static bool not_a_grant(void *ud, tw_str key, uint32_t depth)
{
    (void)ud;
    static const char *const skipped[] = { "AssumeRolePolicyDocument", "InstanceProfileList",
                                           "Tags", "RoleLastUsed", "PermissionsBoundary" };
    if (depth != 3) /* root, list, entity: the entity's members */
        return false;
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++)
        if (tw_str_eq_c(key, skipped[i]))
            return true;
    return false;
}

/* Parses buf[0..len) (with TW_JSON_PADDING bytes after it) into a new inventory. */
static tw_err load_buffer(const char *name, const char *buf, size_t len, tw_inventory **out,
                          char *errstr, size_t errstr_size)
{
    *out = NULL;
    loader ld = { .name = name, .text = buf, .len = len, .errstr = errstr,
                  .errstr_size = errstr_size };
    size_t skip;
    tw_err rc = precheck(&ld, &skip);
    if (rc)
        return rc;
    /* offsets count from after a byte order mark, as an editor's columns do */
    ld.text += skip;
    ld.len -= skip;
    rc = TW_ERR_NOMEM;
    tw_json *js = tw_json_new();
    ld.inv = calloc(1, sizeof *ld.inv);
    if (!js || !ld.inv)
        goto out;
    tw_arena_init(&ld.inv->arena, INV_ARENA_BLOCK);
    tw_json_error err = { 0 };
    const tw_jnode *root = tw_jdom_parse_filtered(js, &ld.inv->arena, ld.text, ld.len,
                                                  ld.len + TW_JSON_PADDING, INV_MAX_DEPTH,
                                                  not_a_grant, NULL, &err);
    tw_json_destroy(js); /* the tree holds what is needed: simdjson's buffers go now */
    js = NULL;
    if (!root) {
        if (err.reason && !strcmp(err.reason, "nomem"))
            goto out;
        if (err.reason && !strcmp(err.reason, "utf8")) {
            size_t at = utf8_bad_offset((const unsigned char *)ld.text, ld.len);
            if (at < ld.len) {
                rc = fail_at(&ld, at, "invalid UTF-8 (byte 0x%02X)",
                             (unsigned)(unsigned char)ld.text[at]);
                goto out;
            }
        }
        /* precheck put a '{' first, so offset 0 means "no place given" */
        size_t ctl, open;
        if (err.offset == 0 && err.reason) {
            scan_strings(ld.text, ld.len, &ctl, &open);
            if (!strcmp(err.reason, "control_char") && ctl < ld.len) {
                rc = fail_at(&ld, ctl, "not JSON: a raw control character (0x%02X) in a string",
                             (unsigned)(unsigned char)ld.text[ctl]);
                goto out;
            }
            if (!strcmp(err.reason, "not_json") && open < ld.len) {
                rc = fail_at(&ld, open, "not JSON: the string that starts here is never closed "
                                        "(is the file cut short?)");
                goto out;
            }
        }
        rc = fail_at(&ld, err.offset, "%s", err.message[0] ? err.message : "not JSON");
        goto out;
    }
    rc = load_tree(&ld, root);
out:
    if (rc == TW_ERR_NOMEM)
        set_err(&ld, "%s: out of memory", name);
    free(ld.groups);
    free(ld.policies);
    tw_json_destroy(js);
    if (rc) {
        tw_inventory_destroy(ld.inv);
        return rc;
    }
    *out = ld.inv;
    return TW_OK;
}

tw_err tw_inventory_load_text(const char *name, const char *text, size_t len, tw_inventory **out,
                              char *errstr, size_t errstr_size)
{
    *out = NULL;
    char *buf = malloc(len + TW_JSON_PADDING);
    if (!buf) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "%s: out of memory", name);
        return TW_ERR_NOMEM;
    }
    if (len)
        memcpy(buf, text, len);
    memset(buf + len, ' ', TW_JSON_PADDING);
    tw_err rc = load_buffer(name, buf, len, out, errstr, errstr_size);
    free(buf);
    return rc;
}

tw_err tw_inventory_load(const char *path, tw_inventory **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    tw_err rc = TW_ERR_IO;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "%s: is a directory (expected the JSON file of aws iam "
                     "get-account-authorization-details)", path);
        goto out;
    }
    /* st_size is a hint (0 for a pipe); the loop reads whatever is there */
    cap = (S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536) +
          TW_JSON_PADDING;
    for (;;) {
        if (!buf || cap - len == TW_JSON_PADDING) {
            size_t ncap = buf ? cap * 2 : cap;
            char *nbuf = ncap > len ? realloc(buf, ncap) : NULL;
            if (!nbuf) {
                rc = TW_ERR_NOMEM;
                if (errstr && errstr_size)
                    snprintf(errstr, errstr_size, "%s: out of memory", path);
                goto out;
            }
            buf = nbuf;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len - TW_JSON_PADDING);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errstr && errstr_size)
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    memset(buf + len, ' ', TW_JSON_PADDING);
    rc = load_buffer(path, buf, len, out, errstr, errstr_size);
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

void tw_inventory_destroy(tw_inventory *inv)
{
    if (!inv)
        return;
    tw_arena_free(&inv->arena);
    free(inv->grants);
    free(inv);
}
