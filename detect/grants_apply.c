/* grants_apply: IAM calls and the inventory applied to the books (grants_internal.h), uses
 * marked, deadlines passed. */
#include "grants_internal.h"

/* ---- applying grants --------------------------------------------------------------------- */

grant *grants_add_grant(tw_grants *g, principal *p, int64_t t)
{
    if (p->n == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 2;
        grant *v = realloc(p->g, cap * sizeof *v);
        if (!v)
            return NULL;
        p->g = v;
        p->cap = cap;
    }
    grant *gr = &p->g[p->n++];
    memset(gr, 0, sizeof *gr);
    gr->granted_ms = t;
    gr->active = true;
    (void)g;
    return gr;
}

void grants_schedule(tw_grants *g, principal *p, uint32_t i)
{
    grant *gr = &p->g[i];
    if (gr->granted_ms == INT64_MIN)
        return; /* an inventory grant, before the first event */
    grants_heap_push(g, (deadline){ gr->granted_ms + g->conf.unused_after_ms, p, i, gr->gen });
}

static void revoke(tw_grants *g, grant *gr)
{
    if (gr->active)
        g->stats.revoked++;
    gr->active = false;
    gr->gen++;
}

static char *source_text(const tw_event *ev, const char *what)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s %s", (int)ev->action.len, ev->action.p, what);
    return grants_dup_str(tw_str_c(buf));
}

/* A grant to principal p by event ev (the recipient of a policy, directly or via a group). */
static void grant_to(tw_grants *g, principal *p, const tw_event *ev, const char *policy_arn,
                     const char *policy_name, const uint64_t *own, const char *via_group,
                     const tw_emit *emit)
{
    /* the same policy granted again the same way: a fresh grant replaces the old */
    for (uint32_t i = 0; i < p->n; i++) {
        grant *o = &p->g[i];
        const char *o_name = grant_policy_name(o), *o_via = grant_via_group(o);
        bool same = o->active && !o->own == !own &&
                    ((policy_arn && o->policy_arn && !strcmp(o->policy_arn, policy_arn)) ||
                     (policy_name && o_name && !strcmp(o_name, policy_name))) &&
                    !o_via == !via_group && (!via_group || !strcmp(o_via, via_group));
        if (same)
            revoke(g, o);
    }
    grant *gr = grants_add_grant(g, p, ev->time_ms);
    if (!gr)
        return;
    char what[400];
    snprintf(what, sizeof what, "%s%s%s%s", policy_arn ? policy_arn : "inline policy ",
             policy_arn ? "" : (policy_name ? policy_name : "?"), via_group ? " via " : "",
             via_group ? via_group : "");
    gr->source = source_text(ev, what);
    gr->policy_arn = policy_arn ? grants_intern_arn(g, policy_arn) : NULL;
    if (own)
        gr->own = grants_intern_sets(g, own);
    grant_call *c = gr->call = calloc(1, sizeof *gr->call);
    if (c) {
        tw_kept_event_set(&c->event, ev, g->conf.catalog);
        c->event_id = grants_dup_str(ev->event_id);
        c->policy_name = policy_name ? grants_dup_str(tw_str_c(policy_name)) : NULL;
        c->via_group = via_group ? grants_dup_str(tw_str_c(via_group)) : NULL;
    }
    if (!gr->source || !c || !c->event_id || (policy_arn && !gr->policy_arn) ||
        (policy_name && !c->policy_name) || (via_group && !c->via_group) || (own && !gr->own)) {
        grants_free_grant(gr);
        p->n--;
        return;
    }
    g->stats.grants_stream++;
    grants_schedule(g, p, p->n - 1);
    grants_check_training_telemetry(g, p, ev, emit);
}

static void revoke_matching(tw_grants *g, principal *p, const char *policy_arn,
                            const char *policy_name, const char *via_group)
{
    for (uint32_t i = 0; i < p->n; i++) {
        grant *o = &p->g[i];
        if (!o->active)
            continue;
        const char *o_name = grant_policy_name(o), *o_via = grant_via_group(o);
        if (via_group && (!o_via || strcmp(o_via, via_group)))
            continue;
        if (!via_group && o_via)
            continue;
        if (policy_arn && (!o->policy_arn || strcmp(o->policy_arn, policy_arn)))
            continue;
        if (policy_name && (!o_name || strcmp(o_name, policy_name)))
            continue;
        revoke(g, o);
    }
}

group *grants_group_of(tw_grants *g, tw_str key)
{
    group *gr = tw_strmap_get(&g->groups, key);
    if (gr)
        return gr;
    gr = calloc(1, sizeof *gr);
    if (!gr || !(gr->key = grants_dup_str(key)) || !tw_strmap_put(&g->groups, key, gr)) {
        if (gr)
            free(gr->key);
        free(gr);
        return NULL;
    }
    return gr;
}

static bool str_in(char **v, uint32_t n, const char *s)
{
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(v[i], s))
            return true;
    return false;
}

static void str_remove(char **v, uint32_t *n, const char *s)
{
    for (uint32_t i = 0; i < *n; i++)
        if (!strcmp(v[i], s)) {
            free(v[i]);
            v[i] = v[--*n];
            return;
        }
}

bool grants_str_add(char ***v, uint32_t *n, const char *s)
{
    if (str_in(*v, *n, s))
        return true;
    char **g = realloc(*v, (*n + 1) * sizeof *g);
    if (!g)
        return false;
    *v = g;
    if (!(g[*n] = grants_dup_str(tw_str_c(s))))
        return false;
    (*n)++;
    return true;
}

static void group_policy_to_member(tw_grants *g, group *grp, const group_policy *gp, principal *u,
                                   const tw_event *ev, const tw_emit *emit)
{
    grant_to(g, u, ev, gp->policy_arn, gp->policy_name, gp->own, grp->key, emit);
}

customer_policy *grants_policy_of(tw_grants *g, tw_str arn)
{
    customer_policy *cp = tw_strmap_get(&g->policies, arn);
    if (cp)
        return cp;
    cp = calloc(1, sizeof *cp);
    if (!cp || !tw_strmap_put(&g->policies, arn, cp)) {
        free(cp);
        return NULL;
    }
    return cp;
}

void grants_add_version(tw_grants *g, customer_policy *cp, tw_str id, const tw_grant_op *op,
                        bool make_default)
{
    if (cp->n == cp->cap) {
        uint32_t cap = cp->cap ? cp->cap * 2 : 2;
        policy_version *v = realloc(cp->v, cap * sizeof *v);
        if (!v)
            return;
        cp->v = v;
        cp->cap = cap;
    }
    char synth[16];
    if (!id.len) {
        snprintf(synth, sizeof synth, "v%u", cp->n + 1);
        id = tw_str_c(synth);
    }
    policy_version *v = &cp->v[cp->n];
    v->id = grants_dup_str(id);
    v->sets = grants_copy_sets(g, &op->set);
    if (!v->id || !v->sets) {
        free(v->id);
        free(v->sets);
        return;
    }
    if (make_default) {
        cp->def = cp->n;
        cp->has_default = true;
    }
    cp->n++;
}

static char *cstr(tw_str s, char *buf, size_t size)
{
    if (!s.len)
        return NULL;
    snprintf(buf, size, "%.*s", (int)s.len, s.p);
    return buf;
}

/* An attachment or inline policy given to a user or role. */
static void apply_grant(tw_grants *g, const tw_event *ev, const tw_grant_op *op, const char *arn,
                        const char *name, const tw_emit *emit)
{
    if ((op->op == TW_GOP_ATTACH && !arn) ||
        (op->op == TW_GOP_PUT_INLINE && (!name || op->unparseable || !op->has_document)))
        return;
    principal *p = grants_principal_of(g, op->target, op->target_type, true);
    if (!p)
        return;
    if (op->op == TW_GOP_ATTACH) {
        grant_to(g, p, ev, arn, NULL, NULL, NULL, emit);
    } else {
        uint64_t *own = grants_copy_sets(g, &op->set);
        if (own)
            grant_to(g, p, ev, NULL, name, own, NULL, emit);
        free(own);
    }
}

/* An attachment detached, an inline policy deleted. */
static void apply_revoke(tw_grants *g, const tw_grant_op *op, const char *arn, const char *name)
{
    principal *p = grants_principal_of(g, op->target, op->target_type, false);
    if (p)
        revoke_matching(g, p, op->op == TW_GOP_DETACH ? arn : NULL,
                        op->op == TW_GOP_DELETE_INLINE ? name : NULL, NULL);
}

/* A user added to a group, or removed from it. */
static void apply_membership(tw_grants *g, const tw_event *ev, const tw_grant_op *op,
                             const tw_emit *emit)
{
    group *grp = grants_group_of(g, op->target);
    principal *u = grants_principal_of(g, op->member, TW_GT_USER, op->op == TW_GOP_ADD_MEMBER);
    if (!grp || !u)
        return;
    char key[512];
    snprintf(key, sizeof key, "%.*s", (int)op->member.len, op->member.p);
    if (op->op == TW_GOP_REMOVE_MEMBER) {
        str_remove(grp->members, &grp->n_members, key);
        str_remove(u->groups, &u->n_groups, grp->key);
        revoke_matching(g, u, NULL, NULL, grp->key);
        return;
    }
    if (str_in(grp->members, grp->n_members, key))
        return;
    if (!grants_str_add(&grp->members, &grp->n_members, key) ||
        !grants_str_add(&u->groups, &u->n_groups, grp->key))
        return;
    for (uint32_t i = 0; i < grp->n; i++)
        group_policy_to_member(g, grp, &grp->p[i], u, ev, emit);
}

/* A customer managed policy created, given a version, or a default version. */
static void apply_policy_version(tw_grants *g, const tw_grant_op *op, const char *arn)
{
    if (!arn)
        return;
    customer_policy *cp = grants_policy_of(g, op->policy_arn);
    if (!cp)
        return;
    if (op->op == TW_GOP_SET_DEFAULT) {
        for (uint32_t i = 0; i < cp->n; i++)
            if (tw_str_eq_c(op->version_id, cp->v[i].id)) {
                cp->def = i;
                cp->has_default = true;
            }
        return;
    }
    if (op->unparseable || !op->has_document)
        return;
    grants_add_version(g, cp, op->version_id, op,
                       op->op == TW_GOP_CREATE_POLICY || op->set_default);
}

/* A user or role deleted: its grants revoked, its groups left. */
static void apply_delete(tw_grants *g, const tw_grant_op *op)
{
    principal *p = grants_principal_of(g, op->target, op->target_type, false);
    for (uint32_t i = 0; p && i < p->n; i++)
        revoke(g, &p->g[i]);
    /* a deleted user leaves its groups: a policy attached to them later is not its */
    while (p && p->n_groups) {
        group *grp = tw_strmap_get(&g->groups, tw_str_c(p->groups[0]));
        if (grp)
            str_remove(grp->members, &grp->n_members, p->key);
        str_remove(p->groups, &p->n_groups, p->groups[0]);
    }
}

/* What a call does to a group's policies: its members get or lose them. */
static void apply_group_op(tw_grants *g, const tw_event *ev, const tw_grant_op *op, const char *arn,
                           const char *name, const tw_emit *emit)
{
    group *grp = grants_group_of(g, op->target);
    if (!grp)
        return;
    switch (op->op) {
    case TW_GOP_ATTACH:
    case TW_GOP_PUT_INLINE: {
        if (op->op == TW_GOP_PUT_INLINE && (!name || op->unparseable || !op->has_document))
            return;
        if (op->op == TW_GOP_ATTACH && !arn)
            return;
        if (grp->n == grp->cap) {
            uint32_t cap = grp->cap ? grp->cap * 2 : 4;
            group_policy *v = realloc(grp->p, cap * sizeof *v);
            if (!v)
                return;
            grp->p = v;
            grp->cap = cap;
        }
        group_policy *gp = &grp->p[grp->n];
        memset(gp, 0, sizeof *gp);
        gp->policy_arn = arn ? grants_dup_str(tw_str_c(arn)) : NULL;
        gp->policy_name = op->op == TW_GOP_PUT_INLINE ? grants_dup_str(tw_str_c(name)) : NULL;
        gp->own = op->op == TW_GOP_PUT_INLINE ? grants_copy_sets(g, &op->set) : NULL;
        tw_kept_event_set(&gp->event, ev, g->conf.catalog);
        grp->n++;
        for (uint32_t m = 0; m < grp->n_members; m++) {
            principal *u = grants_principal_of(g, tw_str_c(grp->members[m]), TW_GT_USER, true);
            if (u)
                group_policy_to_member(g, grp, gp, u, ev, emit);
        }
        return;
    }
    case TW_GOP_DETACH:
    case TW_GOP_DELETE_INLINE:
        for (uint32_t i = 0; i < grp->n; i++) {
            group_policy *gp = &grp->p[i];
            bool match = op->op == TW_GOP_DETACH
                             ? (arn && gp->policy_arn && !strcmp(gp->policy_arn, arn))
                             : (name && gp->policy_name && !strcmp(gp->policy_name, name));
            if (!match)
                continue;
            for (uint32_t m = 0; m < grp->n_members; m++) {
                principal *u = grants_principal_of(g, tw_str_c(grp->members[m]), TW_GT_USER, false);
                if (u)
                    revoke_matching(g, u, gp->policy_arn, gp->policy_name, grp->key);
            }
            free(gp->policy_arn);
            free(gp->policy_name);
            free(gp->own);
            grp->p[i--] = grp->p[--grp->n];
        }
        return;
    case TW_GOP_DELETE_PRINCIPAL:
        /* the group goes: its members lose what it gave, a new group of the same name
         * starts empty */
        for (uint32_t m = 0; m < grp->n_members; m++) {
            principal *u = grants_principal_of(g, tw_str_c(grp->members[m]), TW_GT_USER, false);
            if (u) {
                revoke_matching(g, u, NULL, NULL, grp->key);
                str_remove(u->groups, &u->n_groups, grp->key);
            }
            free(grp->members[m]);
        }
        grp->n_members = 0;
        for (uint32_t i = 0; i < grp->n; i++) {
            free(grp->p[i].policy_arn);
            free(grp->p[i].policy_name);
            free(grp->p[i].own);
        }
        grp->n = 0;
        return;
    default:
        return;
    }
}

static void apply_op(tw_grants *g, const tw_event *ev, const tw_grant_op *op, const tw_emit *emit)
{
    char arn_buf[512], name_buf[256];
    const char *arn = cstr(op->policy_arn, arn_buf, sizeof arn_buf);
    const char *name = cstr(op->policy_name, name_buf, sizeof name_buf);
    if (op->unparseable)
        g->stats.unparseable++;
    if (op->target_type == TW_GT_GROUP && op->op != TW_GOP_ADD_MEMBER &&
        op->op != TW_GOP_REMOVE_MEMBER) {
        apply_group_op(g, ev, op, arn, name, emit);
        return;
    }
    switch (op->op) {
    case TW_GOP_ATTACH:
    case TW_GOP_PUT_INLINE:
        apply_grant(g, ev, op, arn, name, emit);
        return;
    case TW_GOP_DETACH:
    case TW_GOP_DELETE_INLINE:
        apply_revoke(g, op, arn, name);
        return;
    case TW_GOP_ADD_MEMBER:
    case TW_GOP_REMOVE_MEMBER:
        apply_membership(g, ev, op, emit);
        return;
    case TW_GOP_CREATE_POLICY:
    case TW_GOP_CREATE_VERSION:
    case TW_GOP_SET_DEFAULT:
        apply_policy_version(g, op, arn);
        return;
    case TW_GOP_DELETE_PRINCIPAL:
        apply_delete(g, op);
        return;
    }
}

tw_err tw_grants_add_inventory(tw_grants *g, tw_str identity, tw_str source,
                               const tw_policy_grant *set, tw_str policy_arn)
{
    tw_grant_target type = memmem(identity.p, identity.len, ":user/", 6) ? TW_GT_USER : TW_GT_ROLE;
    if (g->owns && !g->owns(g->owns_ud, identity))
        return TW_OK; /* another partition's book holds it */
    principal *p = grants_principal_of(g, identity, type, true);
    if (!p)
        return TW_ERR_NOMEM;
    grant *gr = grants_add_grant(g, p, INT64_MIN); /* its period starts at the first event */
    if (!gr)
        return TW_ERR_NOMEM;
    char arn[512];
    snprintf(arn, sizeof arn, "%.*s", (int)policy_arn.len, policy_arn.p);
    if (set) {
        memcpy(g->scratch, set->allowed, g->words * sizeof *g->scratch);
        memcpy(g->scratch + g->words, set->conditional, g->words * sizeof *g->scratch);
        if (set->denied)
            memcpy(g->scratch + 2 * g->words, set->denied, g->words * sizeof *g->scratch);
        else
            memset(g->scratch + 2 * g->words, 0, g->words * sizeof *g->scratch);
        gr->own = grants_intern_sets(g, g->scratch);
    } else
        gr->policy_arn = grants_intern_arn(g, arn);
    /* the source is kept whole only when the principal and policy cannot say it again */
    char who[400], head[512];
    grants_principal_who(p, who, sizeof who);
    int n = snprintf(head, sizeof head, "inventory %s", who);
    if (n > 0 && (size_t)n < sizeof head && source.len >= (uint32_t)n &&
        !memcmp(source.p, head, (size_t)n)) {
        tw_str tail = { source.p + n, source.len - (uint32_t)n };
        gr->inv_tail = true;
        bool arn_only = gr->policy_arn && tail.len == policy_arn.len + 1 && tail.p[0] == ' ' &&
                        !memcmp(tail.p + 1, policy_arn.p, policy_arn.len);
        if (!arn_only && !(gr->source = grants_dup_str(tail)))
            gr->inv_tail = false;
    } else {
        gr->source = grants_dup_str(source);
    }
    if ((!gr->source && !gr->inv_tail) || (set && !gr->own) || (!set && !gr->policy_arn)) {
        grants_free_grant(gr);
        p->n--;
        return TW_ERR_NOMEM;
    }
    g->stats.grants_inventory++;
    return TW_OK;
}

tw_err tw_grants_define_policy(tw_grants *g, tw_str arn, const tw_policy_grant *set)
{
    customer_policy *cp = tw_strmap_get(&g->policies, arn);
    if (cp && cp->has_default)
        return TW_OK;
    if (!cp && !(cp = grants_policy_of(g, arn)))
        return TW_ERR_NOMEM;
    tw_grant_op op = { .set = *set };
    grants_add_version(g, cp, tw_str_c("inventory"), &op, true);
    return cp->has_default ? TW_OK : TW_ERR_NOMEM;
}

bool tw_grants_knows_policy(tw_grants *g, tw_str arn)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)arn.len, arn.p);
    return arn.len < sizeof buf && grants_managed_sets(g, buf) != NULL;
}

/* The first event: inventory grants start their period now. */
void tw_grants_start(tw_grants *g, const tw_event *ev, const tw_emit *emit)
{
    if (g->started)
        return;
    g->started = true;
    /* what the inventory holds is raised at the first event's time but is not of it: its
     * uid and its evidence name the inventory, so that it is the same whichever event came
     * first (a replay's, or each partition's in consume --state-topic) */
    tw_event inv = *ev;
    inv.event_id = TW_STR_LIT("inventory");
    inv.action = TW_STR_LIT("inventory");
    inv.error_code = TW_STR_LIT("");
    inv.request_params = TW_STR_LIT("");
    for (size_t s = 0; s < g->principals.cap; s++) {
        principal *p = g->principals.slots[s].key ? g->principals.slots[s].val : NULL;
        for (uint32_t i = 0; p && i < p->n; i++) {
            if (p->g[i].granted_ms != INT64_MIN)
                continue;
            p->g[i].granted_ms = ev->time_ms;
            grants_schedule(g, p, i);
        }
        if (p)
            grants_check_training_telemetry(g, p, &inv, emit);
    }
}

/* An event by a principal: its privileged action (and iam:PassRole when it passes a role) is
 * used, and a use of an action reported unused raises dormant-privilege-used. */
void grants_mark_use(tw_grants *g, principal *p, const tw_event *ev, uint32_t idx,
                     const tw_emit *emit)
{
    g->stats.uses++;
    uint32_t i = 0;
    for (; i < p->n_used && p->used_idx[i] != idx; i++)
        ;
    int64_t prev_use = i < p->n_used ? p->used_ms[i] : INT64_MIN;
    if (i == p->n_used) {
        if (p->n_used == p->cap_used) {
            uint32_t cap = p->cap_used ? p->cap_used * 2 : 4;
            uint32_t *vi = realloc(p->used_idx, cap * sizeof *vi);
            if (!vi)
                return;
            p->used_idx = vi;
            int64_t *vm = realloc(p->used_ms, cap * sizeof *vm);
            if (!vm)
                return;
            p->used_ms = vm;
            p->cap_used = cap;
        }
        p->used_idx[p->n_used] = idx;
        p->used_ms[p->n_used++] = ev->time_ms;
    } else if (ev->time_ms > p->used_ms[i]) {
        p->used_ms[i] = ev->time_ms;
    }
    for (uint32_t k = 0; k < p->n; k++) {
        grant *gr = &p->g[k];
        if (gr->active && gr->reported && !gr->dormant_raised && gr->unused_at_report &&
            tw_bits_test(gr->unused_at_report, idx)) {
            grants_report_dormant(g, p, gr, ev, idx, false, emit);
            continue;
        }
        /* right after receiving it: the first use of the action since a grant from the stream
         * made it, within the hour (escalate, then use) */
        if (!gr->active || gr->fresh_raised || !gr->call || prev_use >= gr->granted_ms ||
            ev->time_ms < gr->granted_ms || ev->time_ms - gr->granted_ms > FRESH_MS)
            continue;
        const uint64_t *sets = grants_grant_sets(g, gr);
        if (sets && tw_bits_test(sets, idx))
            grants_report_dormant(g, p, gr, ev, idx, true, emit);
    }
}

/* One event: ops, its grant call applied; uses, it counts as its identity's use. */
static void step(tw_grants *g, const tw_event *ev, const tw_emit *emit, bool ops, bool uses)
{
    if (!g->started)
        g->changes++;
    tw_grants_start(g, ev, emit);
    /* deadlines passed by this event's time: the grants' periods are over */
    while (g->n_heap && g->heap[0].at <= ev->time_ms) {
        deadline d = grants_heap_pop(g);
        g->changes++;
        grant *gr = &d.p->g[d.grant];
        if (gr->gen != d.gen || !gr->active || gr->reported)
            continue;
        grants_report_unused(g, d.p, gr, ev, d.at, emit);
    }
    if (ops && ev->grant_op && !(ev->flags & TW_EV_FAILED)) {
        g->changes++;
        apply_op(g, ev, ev->grant_op, emit);
    }
    if (!uses || !g->principals.n)
        return;
    principal *p = tw_strmap_get_hashed(&g->principals, ev->identity, ev->identity_hash);
    if (!p)
        return;
    g->changes++;
    if (!p->seen || ev->kind > p->kind)
        p->kind = ev->kind;
    p->seen = true;
    if (ev->flags & TW_EV_FAILED)
        return; /* a denied or failed attempt is no use */
    uint32_t idx = tw_privtab_index(g->conf.privtab, ev->action_id);
    if (idx != TW_PRIV_NONE && tw_bits_test(g->mask_priv, idx))
        grants_mark_use(g, p, ev, idx, emit);
    if ((ev->flags & TW_EV_PASSES_ROLE) && tw_privtab_passrole(g->conf.privtab) != TW_PRIV_NONE)
        grants_mark_use(g, p, ev, tw_privtab_passrole(g->conf.privtab), emit);
}

void tw_grants_event(tw_grants *g, const tw_event *ev, const tw_emit *emit)
{
    step(g, ev, emit, true, true);
}

void tw_grants_copy_event(tw_grants *g, const tw_event *ev, const tw_emit *emit)
{
    step(g, ev, emit, true, false);
}

void tw_grants_use_event(tw_grants *g, const tw_event *ev, const tw_emit *emit)
{
    step(g, ev, emit, false, true);
}

void tw_grants_set_owner(tw_grants *g, bool (*owns)(void *ud, tw_str key), void *ud)
{
    g->owns = owns;
    g->owns_ud = ud;
}

uint64_t tw_grants_changes(const tw_grants *g)
{
    return g->changes;
}

/* ---- as a stream detector ---------------------------------------------------------------- */

static void stream_start(void *self, const tw_event *first, const tw_emit *emit)
{
    tw_grants_start(self, first, emit);
}

static bool stream_started(const void *self)
{
    return tw_grants_started(self);
}

static void stream_event(void *self, tw_event *ev, const tw_emit *emit)
{
    tw_grants_event(self, ev, emit);
}

static void stream_save(const void *self, tw_buf *out)
{
    tw_grants_save(self, out);
}

static tw_err stream_load(void *self, tw_wire_reader *in)
{
    return tw_grants_load(self, in);
}

tw_stream_detector tw_grants_stream(tw_grants *g)
{
    return (tw_stream_detector){ .name = "grants",
                                 .self = g,
                                 .start = stream_start,
                                 .started = stream_started,
                                 .on_event = stream_event,
                                 .save = stream_save,
                                 .load = stream_load };
}
