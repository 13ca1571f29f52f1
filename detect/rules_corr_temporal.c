/* rules_corr_temporal: temporal (Sigma: each named rule's last time, a count of those within
 * the timespan) and temporal_ordered (per step, the start of the latest chain that reached
 * it). */
#include "rules_corr_kind.h"

static void step_temporal(const tw_corr_plan *plan, const tw_corr *corr, corr_state *st,
                          const corr_event *ce, corr_result *res)
{
    int64_t t = ce->ev->time_ms;
    for (uint32_t k = 0; k < corr->n_rules; k++) {
        if (!rules_matched(ce, corr->rules[k]))
            continue;
        st->t[k] = t;
        st->set |= 1u << k;
        if (k < plan->n_kept)
            tw_kept_event_set(kept(plan, st, k), ce->ev, ce->cat);
    }
    uint64_t distinct = 0;
    for (uint32_t k = 0; k < corr->n_rules; k++) {
        bool in = (st->set & (1u << k)) && st->t[k] >= t - corr->timespan_ms;
        distinct += in;
        if (in && k < plan->n_kept)
            res->earlier[res->n_earlier++] = kept(plan, st, k);
    }
    res->holds = distinct >= corr->count_min && distinct <= corr->count_max;
    if (!res->holds)
        return;
    char span[24];
    snprintf(res->detail, sizeof res->detail, "%" PRIu64 " of %u rules within %s", distinct,
             corr->n_rules, rules_duration_text(corr->timespan_ms, span, sizeof span));
}

static void step_temporal_ordered(const tw_corr_plan *plan, const tw_corr *corr, corr_state *st,
                                  const corr_event *ce, corr_result *res)
{
    /* t[k]: the start of the latest chain that reached step k. Later steps first, so one
     * event does not climb two steps; except that a step after a named correlation that
     * held on this very event chains from it (the correlation is "at" this event too). */
    int64_t t = ce->ev->time_ms, span = corr->timespan_ms;
    bool done = false;
    for (uint32_t k = corr->n_rules; k-- > 0;) {
        if (!rules_matched(ce, corr->rules[k]))
            continue;
        if (k == 0) {
            st->t[0] = t;
            st->set |= 1u;
        } else {
            const tw_rule *prev = corr->rules[k - 1];
            bool chained = (st->set & (1u << (k - 1))) && t - st->t[k - 1] <= span;
            int64_t start = st->t[k - 1];
            if (!chained && k == 1 && prev->correlation && rules_matched(ce, prev)) {
                chained = true; /* step 0 is a correlation that held on this event */
                start = t;
            }
            if (!chained)
                continue;
            st->t[k] = start;
            st->set |= 1u << k;
            if (k == corr->n_rules - 1)
                done = true;
        }
        if (k < plan->n_kept)
            tw_kept_event_set(kept(plan, st, k), ce->ev, ce->cat);
    }
    res->holds = done;
    if (done)
        for (uint32_t k = 0; k + 1 < corr->n_rules && k < plan->n_kept; k++)
            res->earlier[res->n_earlier++] = kept(plan, st, k);
    if (!done)
        return;
    char span_text[24];
    snprintf(res->detail, sizeof res->detail, "%u steps in order within %s", corr->n_rules,
             rules_duration_text(span, span_text, sizeof span_text));
}

static bool plan_temporal(tw_rules_rt *rt, tw_corr_plan *plan, const tw_corr *corr,
                          uint32_t *t_slots)
{
    (void)rt;
    if (corr->n_rules > CORR_MAX_RULES || corr->n_rules == 0)
        return false;
    *t_slots = corr->n_rules;
    /* ordered: the last step is the event that completes the chain, never kept */
    uint32_t keep = corr->type == TW_CORR_TEMPORAL ? corr->n_rules : corr->n_rules - 1;
    plan->n_kept = keep < CORR_MAX_KEPT ? keep : CORR_MAX_KEPT;
    return true;
}

static void step_unordered(corr_step *cs, corr_result *res)
{
    step_temporal(cs->plan, cs->corr, cs->st, cs->ce, res);
}

static void step_ordered(corr_step *cs, corr_result *res)
{
    step_temporal_ordered(cs->plan, cs->corr, cs->st, cs->ce, res);
}

static int64_t horizon_timespan(const tw_corr *corr)
{
    return corr->timespan_ms;
}

const corr_kind rules_corr_temporal = {
    .name = "temporal",
    .keys = K_TYPE | K_RULES | K_GROUP_BY | K_TIMESPAN | K_CONDITION | K_GENERATE | K_ALIASES,
    .required = K_RULES | K_TIMESPAN,
    .plan = plan_temporal,
    .step = step_unordered,
    .period = rules_period_timespan,
    .horizon = horizon_timespan,
};

const corr_kind rules_corr_temporal_ordered = {
    .name = "temporal_ordered",
    .keys = K_TYPE | K_RULES | K_GROUP_BY | K_TIMESPAN | K_CONDITION | K_GENERATE | K_ALIASES,
    .required = K_RULES | K_TIMESPAN,
    .plan = plan_temporal,
    .step = step_ordered,
    .period = rules_period_timespan,
    .horizon = horizon_timespan,
};
