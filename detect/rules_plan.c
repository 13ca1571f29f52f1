/* rules_plan: which correlations replay runs, the state each group of one holds, and their
 * order (a correlation that names others runs after them). Each kind fills its own part of
 * the plan (rules_corr_kind.h); what every kind shares is here: its grouping, the rules it
 * depends on, whether the parser hashes values for it, where its kept events go. */
#include "rules_corr_kind.h"

/* ---- the plan: which correlations run, their state, their order ------------------------ */

static bool grouped_with_identity(const tw_corr *corr, bool *extra)
{
    bool identity = corr->n_group_by == 0;
    *extra = false;
    for (uint32_t g = 0; g < corr->n_group_by; g++) {
        if (corr->group_by[g]->kind == TW_FIELD_IDENTITY_KEY)
            identity = true;
        else
            *extra = true;
    }
    return identity;
}

/* Fills the plan of correlation rule i: false when replay cannot evaluate it. */
static bool plan_one(tw_rules_rt *rt, uint32_t i, uint8_t *visiting)
{
    tw_corr_plan *plan = &rt->plan[i];
    if (plan->run || visiting[i] == 2)
        return plan->run;
    visiting[i] = 2; /* decided below (the loader rejected cycles) */
    const tw_rule *rule = tw_ruleset_rule(rt->rs, i);
    const tw_corr *corr = rule->correlation;
    plan->shared = !grouped_with_identity(corr, &plan->extra_group);
    const corr_kind *kind = rules_corr_kind(corr->type);
    /* across identities: no previous event of an identity, no baseline of one */
    if (!kind || (plan->shared && kind->per_identity))
        return false;
    for (uint32_t k = 0; k < corr->n_rules; k++) {
        const tw_rule *named = corr->rules[k];
        if (named->correlation) {
            /* a correlation holds in one worker's state, its namer may run in another's */
            if (plan->shared || !plan_one(rt, named->index, visiting) ||
                rt->plan[named->index].shared)
                return false;
            const tw_corr_plan *np = &rt->plan[named->index];
            for (uint32_t w = 0; w < (rt->n_rules + 63) / 64; w++)
                plan->deps[w] |= np->deps[w];
            plan->deps_every |= np->every_event || np->deps_every;
        } else {
            plan->deps[named->index / 64] |= 1ull << (named->index % 64);
        }
    }
    uint32_t t_slots = 0;
    if (!kind->plan(rt, plan, corr, &t_slots))
        return false;
    plan->every_event = corr->n_rules == 0;
    plan->needs_values = plan->extra_group || (corr->field && !plan->baseline) || plan->shared;
    /* kept events go last (a first_seen, which keeps none, grows its value set in place) */
    plan->kept_off = (uint32_t)(sizeof(corr_state) + t_slots * sizeof(int64_t));
    plan->bytes = plan->kept_off + plan->n_kept * (uint32_t)sizeof(tw_kept_event);
    plan->run = true;
    return true;
}

static void plan_order(tw_rules_rt *rt, uint32_t i, uint8_t *placed)
{
    if (placed[i])
        return;
    placed[i] = 1;
    const tw_corr *corr = tw_ruleset_rule(rt->rs, i)->correlation;
    for (uint32_t k = 0; k < corr->n_rules; k++)
        if (corr->rules[k]->correlation)
            plan_order(rt, corr->rules[k]->index, placed);
    if (rt->plan[i].needs_values)
        rt->field_corrs[rt->n_field_corrs++] = i;
    if (rt->plan[i].shared) {
        rt->n_shared_run++; /* runs on delivery to its group, not in the identity's order */
        return;
    }
    rt->corr_order[rt->n_corr_run++] = i;
    if (rt->plan[i].every_event)
        rt->corr_every_event = true;
}

tw_err rules_plan(tw_rules_rt *rt)
{
    uint32_t n = rt->n_rules ? rt->n_rules : 1, words = (n + 63) / 64;
    rt->plan = calloc(n, sizeof *rt->plan);
    rt->corr_order = calloc(n, sizeof *rt->corr_order);
    rt->field_corrs = calloc(n, sizeof *rt->field_corrs);
    uint8_t *mark = calloc(n, 1);
    if (!rt->plan || !rt->corr_order || !rt->field_corrs || !mark) {
        free(mark);
        return TW_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < rt->n_rules; i++) {
        if (!tw_ruleset_rule(rt->rs, i)->correlation)
            continue;
        rt->plan[i].deps = calloc(words, sizeof(uint64_t));
        if (!rt->plan[i].deps) {
            free(mark);
            return TW_ERR_NOMEM;
        }
    }
    for (uint32_t i = 0; i < rt->n_rules; i++)
        if (tw_ruleset_rule(rt->rs, i)->correlation)
            plan_one(rt, i, mark);
    memset(mark, 0, n);
    for (uint32_t i = 0; i < rt->n_rules; i++)
        if (rt->plan[i].run)
            plan_order(rt, i, mark);
    free(mark);
    return TW_OK;
}

void rules_plan_free(tw_rules_rt *rt)
{
    for (uint32_t i = 0; rt->plan && i < rt->n_rules; i++)
        free(rt->plan[i].deps);
    free(rt->plan);
    free(rt->corr_order);
    free(rt->field_corrs);
}
