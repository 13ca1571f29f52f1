/* grants_save: the books in a checkpoint, and back (grants_internal.h). */
#include "grants_internal.h"

/* ---- checkpoints (consume --state-dir) ---------------------------------------------------- */

static void put_cstr(tw_buf *b, const char *s)
{
    tw_wire_u32(b, s ? 1 : 0);
    if (s)
        tw_wire_str(b, tw_str_c(s));
}

static void put_sets(tw_buf *b, const uint64_t *sets, uint32_t words)
{
    tw_wire_u32(b, sets ? 1 : 0);
    if (sets)
        tw_wire_bytes(b, sets, words * (uint32_t)sizeof *sets);
}

static void put_kept(tw_buf *b, const tw_kept_event *k)
{
    tw_wire_u32(b, k ? 1 : 0);
    if (k)
        tw_wire_bytes(b, k, (uint32_t)sizeof *k);
}

/* The books; keep (NULL: all) says which principals go in. */
static void save_books(const tw_grants *g, bool (*keep)(void *ud, tw_str key), void *ud,
                       tw_buf *out)
{
    tw_wire_u32(out, g->words);
    tw_wire_u32(out, g->started);
    uint64_t n = 0;
    for (size_t s = 0; s < g->principals.cap; s++) {
        const principal *p = g->principals.slots[s].key ? g->principals.slots[s].val : NULL;
        n += p && (!keep || keep(ud, tw_str_c(p->key)));
    }
    tw_wire_u64(out, n);
    for (size_t s = 0; s < g->principals.cap; s++) {
        const principal *p = g->principals.slots[s].key ? g->principals.slots[s].val : NULL;
        if (!p || (keep && !keep(ud, tw_str_c(p->key))))
            continue;
        tw_wire_str(out, tw_str_c(p->key));
        tw_wire_u32(out, (uint32_t)p->type | (uint32_t)p->kind << 8 | (uint32_t)p->seen << 16 |
                             (uint32_t)p->training_telemetry_raised << 17);
        tw_wire_u32(out, p->n_used);
        for (uint32_t i = 0; i < p->n_used; i++) {
            tw_wire_u32(out, p->used_idx[i]);
            tw_wire_u64(out, (uint64_t)p->used_ms[i]);
        }
        tw_wire_u32(out, p->n_groups);
        for (uint32_t i = 0; i < p->n_groups; i++)
            tw_wire_str(out, tw_str_c(p->groups[i]));
        tw_wire_u32(out, p->n);
        for (uint32_t i = 0; i < p->n; i++) {
            const grant *gr = &p->g[i];
            tw_wire_u32(out, (uint32_t)gr->active | (uint32_t)gr->reported << 1 |
                                 (uint32_t)gr->dormant_raised << 2 |
                                 (uint32_t)gr->fresh_raised << 3 | (uint32_t)gr->unresolved << 4);
            tw_wire_u64(out, (uint64_t)gr->granted_ms);
            tw_wire_u32(out, gr->gen);
            char srcbuf[1024];
            put_cstr(out, grants_grant_source(p, gr, srcbuf, sizeof srcbuf));
            put_cstr(out, gr->policy_arn);
            put_cstr(out, grant_policy_name(gr));
            put_cstr(out, grant_via_group(gr));
            put_cstr(out, gr->call ? gr->call->event_id : NULL);
            put_sets(out, gr->own ? grants_own_sets(g, gr->own) : NULL, HALVES * g->words);
            put_sets(out, gr->unused_at_report, g->words);
            put_kept(out, gr->call ? &gr->call->event : NULL);
        }
    }
    tw_wire_u64(out, g->groups.n);
    for (size_t s = 0; s < g->groups.cap; s++) {
        const group *grp = g->groups.slots[s].key ? g->groups.slots[s].val : NULL;
        if (!grp)
            continue;
        tw_wire_str(out, tw_str_c(grp->key));
        tw_wire_u32(out, grp->n);
        for (uint32_t i = 0; i < grp->n; i++) {
            const group_policy *gp = &grp->p[i];
            put_cstr(out, gp->policy_arn);
            put_cstr(out, gp->policy_name);
            put_sets(out, gp->own, HALVES * g->words);
            put_kept(out, &gp->event);
        }
        tw_wire_u32(out, grp->n_members);
        for (uint32_t i = 0; i < grp->n_members; i++)
            tw_wire_str(out, tw_str_c(grp->members[i]));
    }
    tw_wire_u64(out, g->policies.n);
    for (size_t s = 0; s < g->policies.cap; s++) {
        const customer_policy *cp = g->policies.slots[s].key ? g->policies.slots[s].val : NULL;
        if (!cp)
            continue;
        tw_wire_str(out, tw_str_c(g->policies.slots[s].key));
        tw_wire_u32(out, cp->def | (uint32_t)cp->has_default << 31);
        tw_wire_u32(out, cp->n);
        for (uint32_t i = 0; i < cp->n; i++) {
            tw_wire_str(out, tw_str_c(cp->v[i].id));
            put_sets(out, cp->v[i].sets, HALVES * g->words);
        }
    }
}

void tw_grants_save(const tw_grants *g, tw_buf *out)
{
    save_books(g, NULL, NULL, out);
}

tw_grants *tw_grants_clone_owned(const tw_grants *g, bool (*owns)(void *ud, tw_str key), void *ud)
{
    tw_grants *c = tw_grants_new(&g->conf);
    if (!c)
        return NULL;
    tw_grants_set_owner(c, owns, ud);
    tw_buf b;
    tw_buf_init(&b);
    save_books(g, owns, ud, &b);
    tw_wire_reader r = { (const unsigned char *)b.p, (const unsigned char *)b.p + b.len, false };
    bool ok = !b.failed && tw_grants_load(c, &r) == TW_OK;
    tw_buf_free(&b);
    if (!ok) {
        tw_grants_destroy(c);
        return NULL;
    }
    c->stats.grants_inventory = 0; /* the inventory's book counts them */
    return c;
}

/* A string written by put_cstr: a fresh copy, or NULL; *bad on a damaged record. */
static char *get_cstr(tw_wire_reader *in, bool *bad)
{
    if (!tw_wire_get_u32(in))
        return NULL;
    tw_str s = tw_wire_get_str(in);
    char *c = in->failed ? NULL : grants_dup_str(s);
    if (!c)
        *bad = true;
    return c;
}

static uint64_t *get_sets(tw_wire_reader *in, uint32_t words, bool *bad)
{
    if (!tw_wire_get_u32(in))
        return NULL;
    tw_str s = tw_wire_get_str(in);
    uint64_t *v = NULL;
    if (!in->failed && s.len == words * sizeof *v && (v = malloc(s.len)))
        memcpy(v, s.p, s.len);
    else
        *bad = true;
    return v;
}

static bool get_kept(tw_wire_reader *in, tw_kept_event *out)
{
    if (!tw_wire_get_u32(in))
        return false;
    tw_str s = tw_wire_get_str(in);
    if (in->failed || s.len != sizeof *out) {
        in->failed = true;
        return false;
    }
    memcpy(out, s.p, sizeof *out);
    return true;
}

bool tw_grants_started(const tw_grants *g)
{
    return g->started;
}

bool tw_grants_restored(const tw_grants *g)
{
    return g->restored;
}

tw_err tw_grants_load(tw_grants *g, tw_wire_reader *in)
{
    if (tw_wire_get_u32(in) != g->words)
        return TW_ERR_CORRUPT; /* another catalog: the sets mean other actions */
    g->restored = true;
    g->started = tw_wire_get_u32(in) != 0;
    bool bad = false;
    uint64_t n = tw_wire_get_u64(in);
    for (uint64_t k = 0; k < n && !in->failed && !bad; k++) {
        tw_str key = tw_wire_get_str(in);
        uint32_t bits = tw_wire_get_u32(in);
        principal *p =
            in->failed ? NULL : grants_principal_of(g, key, (tw_grant_target)(bits & 0xff), true);
        if (!p)
            return in->failed ? TW_ERR_CORRUPT : TW_ERR_NOMEM;
        p->kind = (uint8_t)(bits >> 8);
        p->seen = (bits >> 16) & 1;
        p->training_telemetry_raised = (bits >> 17) & 1;
        uint32_t n_used = tw_wire_get_u32(in);
        for (uint32_t i = 0; i < n_used && !in->failed; i++) {
            uint32_t idx = tw_wire_get_u32(in);
            int64_t ms = (int64_t)tw_wire_get_u64(in);
            if (idx >= tw_privtab_count(g->conf.privtab))
                return TW_ERR_CORRUPT;
            tw_event ev = { .time_ms = ms };
            uint64_t before = g->stats.uses;
            grants_mark_use(g, p, &ev, idx,
                            &(tw_emit){ .fn = NULL }); /* no grant is reported yet */
            g->stats.uses = before;
        }
        uint32_t n_groups = tw_wire_get_u32(in);
        for (uint32_t i = 0; i < n_groups && !in->failed; i++) {
            char buf[600];
            tw_str gk = tw_wire_get_str(in);
            snprintf(buf, sizeof buf, "%.*s", (int)gk.len, gk.p);
            if (!in->failed && !grants_str_add(&p->groups, &p->n_groups, buf))
                return TW_ERR_NOMEM;
        }
        uint32_t n_grants = tw_wire_get_u32(in);
        for (uint32_t i = 0; i < n_grants && !in->failed && !bad; i++) {
            uint32_t f = tw_wire_get_u32(in);
            int64_t granted = (int64_t)tw_wire_get_u64(in);
            grant *gr = grants_add_grant(g, p, granted);
            if (!gr)
                return TW_ERR_NOMEM;
            gr->active = f & 1;
            gr->reported = (f >> 1) & 1;
            gr->dormant_raised = (f >> 2) & 1;
            gr->fresh_raised = (f >> 3) & 1;
            gr->unresolved = (f >> 4) & 1;
            gr->gen = tw_wire_get_u32(in);
            gr->source = get_cstr(in, &bad);
            char *arn = get_cstr(in, &bad);
            gr->policy_arn = arn ? grants_intern_arn(g, arn) : NULL;
            free(arn);
            grant_call call = { .policy_name = get_cstr(in, &bad) };
            call.via_group = get_cstr(in, &bad);
            call.event_id = get_cstr(in, &bad);
            uint64_t *own = get_sets(in, HALVES * g->words, &bad);
            if (own && !(gr->own = grants_intern_sets(g, own)))
                bad = true;
            free(own);
            gr->unused_at_report = get_sets(in, g->words, &bad);
            bool has_event = get_kept(in, &call.event);
            /* a grant from the stream has its call's id and event; the inventory's neither */
            if (has_event != (call.event_id != NULL) ||
                (!has_event && (call.policy_name || call.via_group)))
                bad = true;
            if (has_event && !bad && (gr->call = malloc(sizeof *gr->call)))
                *gr->call = call;
            else {
                grants_free_call_strings(&call);
                bad = bad || has_event; /* out of memory */
            }
            if (gr->active && !gr->reported)
                grants_schedule(g, p, p->n - 1);
        }
    }
    n = tw_wire_get_u64(in);
    for (uint64_t k = 0; k < n && !in->failed && !bad; k++) {
        group *grp = grants_group_of(g, tw_wire_get_str(in));
        if (!grp)
            return in->failed ? TW_ERR_CORRUPT : TW_ERR_NOMEM;
        uint32_t np = tw_wire_get_u32(in);
        for (uint32_t i = 0; i < np && !in->failed && !bad; i++) {
            if (grp->n == grp->cap) {
                uint32_t cap = grp->cap ? grp->cap * 2 : 4;
                group_policy *v = realloc(grp->p, cap * sizeof *v);
                if (!v)
                    return TW_ERR_NOMEM;
                grp->p = v;
                grp->cap = cap;
            }
            group_policy *gp = &grp->p[grp->n++];
            memset(gp, 0, sizeof *gp);
            gp->policy_arn = get_cstr(in, &bad);
            gp->policy_name = get_cstr(in, &bad);
            gp->own = get_sets(in, HALVES * g->words, &bad);
            get_kept(in, &gp->event);
        }
        uint32_t nm = tw_wire_get_u32(in);
        for (uint32_t i = 0; i < nm && !in->failed; i++) {
            char buf[600];
            tw_str m = tw_wire_get_str(in);
            snprintf(buf, sizeof buf, "%.*s", (int)m.len, m.p);
            if (!in->failed && !grants_str_add(&grp->members, &grp->n_members, buf))
                return TW_ERR_NOMEM;
        }
    }
    n = tw_wire_get_u64(in);
    for (uint64_t k = 0; k < n && !in->failed && !bad; k++) {
        customer_policy *cp = grants_policy_of(g, tw_wire_get_str(in));
        if (!cp)
            return in->failed ? TW_ERR_CORRUPT : TW_ERR_NOMEM;
        uint32_t d = tw_wire_get_u32(in);
        uint32_t nv = tw_wire_get_u32(in);
        for (uint32_t i = 0; i < nv && !in->failed && !bad; i++) {
            tw_str id = tw_wire_get_str(in);
            uint64_t *sets = get_sets(in, HALVES * g->words, &bad);
            tw_grant_op op = { .set = { sets, sets ? sets + g->words : NULL,
                                        sets ? sets + 2 * g->words : NULL } };
            if (sets && !in->failed)
                grants_add_version(g, cp, id, &op, false);
            free(sets);
        }
        cp->def = d & 0x7fffffffu;
        cp->has_default = (d >> 31) && cp->def < cp->n;
    }
    if (in->failed)
        return TW_ERR_CORRUPT;
    return bad ? TW_ERR_NOMEM : TW_OK;
}
