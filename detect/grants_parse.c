/* grants_parse: see grants_parse.h. */
#include <stdlib.h>
#include <string.h>

#include "grants_parse.h"

#include "schema_jdom.h"

struct tw_grants_ctx {
    const tw_privtab *pt;
    tw_arena arena;       /* the requestParameters tree of one event */
    uint64_t unparseable; /* never read: counted by the tracker from the op */
};

tw_grants_ctx *tw_grants_ctx_new(const tw_privtab *pt)
{
    tw_grants_ctx *cx = calloc(1, sizeof *cx);
    if (!cx)
        return NULL;
    cx->pt = pt;
    tw_arena_init(&cx->arena, 8192);
    return cx;
}

void tw_grants_ctx_destroy(tw_grants_ctx *cx)
{
    if (!cx)
        return;
    tw_arena_free(&cx->arena);
    free(cx);
}

typedef struct iam_call {
    const char *name;
    tw_grant_opcode op;
    tw_grant_target target;
} iam_call;

static const iam_call iam_calls[] = {
    { "AttachRolePolicy", TW_GOP_ATTACH, TW_GT_ROLE },
    { "AttachUserPolicy", TW_GOP_ATTACH, TW_GT_USER },
    { "AttachGroupPolicy", TW_GOP_ATTACH, TW_GT_GROUP },
    { "DetachRolePolicy", TW_GOP_DETACH, TW_GT_ROLE },
    { "DetachUserPolicy", TW_GOP_DETACH, TW_GT_USER },
    { "DetachGroupPolicy", TW_GOP_DETACH, TW_GT_GROUP },
    { "PutRolePolicy", TW_GOP_PUT_INLINE, TW_GT_ROLE },
    { "PutUserPolicy", TW_GOP_PUT_INLINE, TW_GT_USER },
    { "PutGroupPolicy", TW_GOP_PUT_INLINE, TW_GT_GROUP },
    { "DeleteRolePolicy", TW_GOP_DELETE_INLINE, TW_GT_ROLE },
    { "DeleteUserPolicy", TW_GOP_DELETE_INLINE, TW_GT_USER },
    { "DeleteGroupPolicy", TW_GOP_DELETE_INLINE, TW_GT_GROUP },
    { "AddUserToGroup", TW_GOP_ADD_MEMBER, TW_GT_GROUP },
    { "RemoveUserFromGroup", TW_GOP_REMOVE_MEMBER, TW_GT_GROUP },
    { "CreatePolicy", TW_GOP_CREATE_POLICY, TW_GT_POLICY },
    { "CreatePolicyVersion", TW_GOP_CREATE_VERSION, TW_GT_POLICY },
    { "SetDefaultPolicyVersion", TW_GOP_SET_DEFAULT, TW_GT_POLICY },
    { "DeleteRole", TW_GOP_DELETE_PRINCIPAL, TW_GT_ROLE },
    { "DeleteUser", TW_GOP_DELETE_PRINCIPAL, TW_GT_USER },
    { "DeleteGroup", TW_GOP_DELETE_PRINCIPAL, TW_GT_GROUP },
};

static const iam_call *iam_call_of(tw_str name)
{
    for (size_t i = 0; i < sizeof iam_calls / sizeof iam_calls[0]; i++)
        if (tw_str_eq_c(name, iam_calls[i].name))
            return &iam_calls[i];
    return NULL;
}

/* A string member of the tree, or empty. */
static tw_str member(const tw_jnode *obj, const char *key)
{
    const tw_jnode *n = tw_jnode_get(obj, key);
    return n && n->type == TW_JV_STRING ? n->text : TW_STR_NULL;
}

/* "arn:aws:iam::ACCOUNT:KIND/NAME" in the batch's arena. */
static tw_str iam_arn(tw_arena *arena, tw_str account, const char *kind, tw_str name)
{
    size_t len = 13 + account.len + 1 + strlen(kind) + 1 + name.len;
    char *p = tw_arena_alloc(arena, len + 1);
    if (!p)
        return TW_STR_NULL;
    int n = snprintf(p, len + 1, "arn:aws:iam::%.*s:%s/%.*s", (int)account.len, account.p, kind,
                     (int)name.len, name.p);
    return (tw_str){ p, (size_t)n };
}

static tw_str keep(tw_arena *arena, tw_str s)
{
    int failed = 0;
    return s.len ? tw_arena_dup(arena, s, &failed) : TW_STR_NULL;
}

/* A string in the record outside requestParameters (responseElements...). */
typedef struct found_str {
    tw_arena *arena;
    tw_str value;
} found_str;

static void on_str(void *ud, const tw_json_value *v)
{
    found_str *f = ud;
    if (v->type == TW_JV_STRING && !f->value.len)
        f->value = keep(f->arena, v->text);
}

static tw_str record_str(tw_json *js, const tw_raw_record *rec, tw_arena *arena, const char *a,
                         const char *b, const char *c)
{
    tw_str path[3] = { tw_str_c(a), tw_str_c(b), tw_str_c(c) };
    found_str f = { arena, TW_STR_NULL };
    if (rec->raw.len)
        tw_json_lookup(js, rec->raw.p, rec->raw.len, rec->raw.len + TW_JSON_PADDING, path, 3,
                       on_str, &f);
    return f.value;
}

static void read_grant_op(tw_grants_ctx *cx, tw_event *ev, const tw_raw_record *rec, tw_json *js,
                          tw_arena *arena, const iam_call *call)
{
    tw_arena_reset(&cx->arena);
    tw_json_error jerr;
    const tw_jnode *params = NULL;
    if (rec->request_params.len)
        params = tw_jdom_parse(js, &cx->arena, rec->request_params.p, rec->request_params.len,
                               rec->request_params.len + TW_JSON_PADDING, 16, &jerr);
    if (!params || params->type != TW_JV_OBJECT)
        return; /* no parameters: nothing to learn */
    tw_grant_op *op = tw_arena_alloc(arena, sizeof *op);
    if (!op)
        return;
    memset(op, 0, sizeof *op);
    op->op = call->op;
    op->target_type = call->target;
    tw_str account = rec->recipient_account.len ? rec->recipient_account : ev->account;
    tw_str role = member(params, "roleName"), user = member(params, "userName"),
           group = member(params, "groupName");
    switch (call->target) {
    case TW_GT_ROLE:
        op->target = role.len ? iam_arn(arena, account, "role", role) : TW_STR_NULL;
        break;
    case TW_GT_USER:
        op->target = user.len ? iam_arn(arena, account, "user", user) : TW_STR_NULL;
        break;
    case TW_GT_GROUP:
        op->target = group.len ? iam_arn(arena, account, "group", group) : TW_STR_NULL;
        break;
    case TW_GT_POLICY:
        break;
    }
    if (call->op == TW_GOP_ADD_MEMBER || call->op == TW_GOP_REMOVE_MEMBER)
        op->member = user.len ? iam_arn(arena, account, "user", user) : TW_STR_NULL;
    op->policy_arn = keep(arena, member(params, "policyArn"));
    op->policy_name = keep(arena, member(params, "policyName"));
    op->version_id = keep(arena, member(params, "versionId"));
    const tw_jnode *def = tw_jnode_get(params, "setAsDefault");
    op->set_default = def && ((def->type == TW_JV_BOOL && def->boolean) ||
                              (def->type == TW_JV_STRING && tw_str_eq_c(def->text, "true")));
    if (call->op == TW_GOP_CREATE_POLICY) {
        op->policy_arn = record_str(js, rec, arena, "responseElements", "policy", "arn");
        if (!op->policy_arn.len && op->policy_name.len) {
            /* the response may be cut: the ARN follows from the account, path and name */
            tw_str path = member(params, "path");
            char name[600];
            snprintf(name, sizeof name, "%.*s%.*s", (int)(path.len > 1 ? path.len - 1 : 0),
                     path.len > 1 ? path.p + 1 : "", (int)op->policy_name.len, op->policy_name.p);
            op->policy_arn = iam_arn(arena, account, "policy", tw_str_c(name));
        }
        op->version_id = TW_STR_LIT("v1");
    } else if (call->op == TW_GOP_CREATE_VERSION) {
        op->version_id =
            record_str(js, rec, arena, "responseElements", "policyVersion", "versionId");
    }
    const tw_jnode *doc = tw_jnode_get(params, "policyDocument");
    if (doc) {
        uint32_t words = tw_privtab_words(cx->pt) ? tw_privtab_words(cx->pt) : 1;
        uint64_t *sets = tw_arena_alloc(arena, 3 * words * sizeof *sets);
        if (!sets)
            return;
        memset(sets, 0, 3 * words * sizeof *sets);
        op->set = (tw_policy_grant){ sets, sets + words, sets + 2 * words };
        op->has_document = true;
        char err[160];
        if (tw_policy_expand_node(cx->pt, js, doc, &op->set, err, sizeof err) != TW_OK)
            op->unparseable = true;
    }
    if (call->target != TW_GT_POLICY && !op->target.len)
        return;
    if ((call->op == TW_GOP_ADD_MEMBER || call->op == TW_GOP_REMOVE_MEMBER) && !op->member.len)
        return;
    ev->grant_op = op;
}

/* Top-level requestParameters keys that hand a role to the service called. */
static bool passes_role_key(tw_str k)
{
    static const char *const exact[] = { "role",
                                         "Role",
                                         "serviceRole",
                                         "ServiceRole",
                                         "iamInstanceProfile",
                                         "IamInstanceProfile",
                                         "executionRole",
                                         "instanceProfileName" };
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (tw_str_eq_c(k, exact[i]))
            return true;
    return tw_str_ends(k, "RoleArn") || tw_str_ends(k, "roleArn") || tw_str_ends(k, "RoleARN");
}

typedef struct role_scan {
    bool found;
} role_scan;

static int on_role_item(void *ud, const tw_json_walk_item *it)
{
    role_scan *rs = ud;
    if (it->depth == 1 && it->has_key && passes_role_key(it->key) &&
        !(it->value.type == TW_JV_NULL) &&
        !(it->value.type == TW_JV_STRING && !it->value.text.len)) {
        rs->found = true;
        return 1;
    }
    return 0;
}

static bool passes_role(const tw_event *ev, const tw_raw_record *rec, tw_json *js)
{
    tw_str p = rec->request_params;
    if (!p.len || tw_str_eq_c(ev->event_source, "sts.amazonaws.com") ||
        tw_str_eq_c(ev->event_source, "iam.amazonaws.com") || !(ev->classes & TW_CLASS_WRITE))
        return false;
    /* most parameters name no role: a plain scan spares the walk */
    if (!memmem(p.p, p.len, "ole", 3) && !memmem(p.p, p.len, "nstanceProfile", 14))
        return false;
    role_scan rs = { false };
    tw_json_walk(js, p.p, p.len, p.len + TW_JSON_PADDING, 64, on_role_item, &rs, NULL);
    return rs.found;
}

bool tw_grants_is_grant_call(const tw_event *ev)
{
    return !(ev->flags & (TW_EV_FAILED | TW_EV_INVOCATION_LOG)) &&
           tw_str_eq_c(ev->event_source, "iam.amazonaws.com") && iam_call_of(ev->event_name);
}

void tw_grants_hook(void *ud, tw_event *ev, const tw_raw_record *rec, tw_json *js, tw_arena *arena)
{
    tw_grants_ctx *cx = ud;
    if (ev->flags & (TW_EV_FAILED | TW_EV_INVOCATION_LOG))
        return; /* a denied grant is no grant, a failed call no use */
    if (tw_str_eq_c(ev->event_source, "iam.amazonaws.com")) {
        const iam_call *call = iam_call_of(ev->event_name);
        if (call)
            read_grant_op(cx, ev, rec, js, arena, call);
        return;
    }
    if (passes_role(ev, rec, js))
        ev->flags |= TW_EV_PASSES_ROLE;
}
