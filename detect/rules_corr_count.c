/* rules_corr_count: event_count and value_count (Sigma), lower bounds (gt, gte): a ring of the
 * last N matching times, or the N most recently seen distinct values with their times. The
 * evidence is the previous matching event, then this one. */
#include "rules_corr_kind.h"

static void step_event_count(const tw_corr_plan *plan, const tw_corr *corr, corr_state *st,
                             const tw_event *ev, corr_result *res)
{
    uint32_t n = plan->ring;
    int64_t t = ev->time_ms;
    st->t[st->ring_pos] = t;
    st->ring_pos = (uint8_t)((st->ring_pos + 1) % n);
    if (st->ring_count < n)
        st->ring_count++;
    /* the oldest of the last n matching events, the current one included */
    res->holds = st->ring_count == n && st->t[st->ring_pos] >= t - corr->timespan_ms;
    if (!res->holds)
        return;
    char span[24];
    snprintf(res->detail, sizeof res->detail, "%u matching events within %s", n,
             rules_duration_text(corr->timespan_ms, span, sizeof span));
}

static void step_value_count(const tw_corr_plan *plan, const tw_corr *corr, corr_state *st,
                             const tw_event *ev, const tw_corr_value *cv, corr_result *res)
{
    if (!cv || !cv->has_value)
        return;
    /* t[2i] the last time value i was seen, t[2i+1] its hash: the n most recently seen
     * distinct values, so "n distinct within the timespan" is exact */
    int64_t t = ev->time_ms;
    uint32_t n = plan->ring, slot = st->ring_count, oldest = 0;
    for (uint32_t i = 0; i < st->ring_count; i++) {
        if ((uint64_t)st->t[2 * i + 1] == cv->hash) {
            slot = i;
            break;
        }
        if (st->t[2 * i] < st->t[2 * oldest])
            oldest = i;
    }
    if (slot == st->ring_count) {
        if (st->ring_count < n)
            st->ring_count++;
        else
            slot = oldest;
    }
    st->t[2 * slot] = t;
    st->t[2 * slot + 1] = (int64_t)cv->hash;
    uint64_t distinct = 0;
    for (uint32_t i = 0; i < st->ring_count; i++)
        distinct += st->t[2 * i] >= t - corr->timespan_ms;
    res->holds = distinct >= corr->count_min;
    if (!res->holds)
        return;
    char span[24];
    snprintf(res->detail, sizeof res->detail, "%" PRIu64 " distinct %s values within %s", distinct,
             corr->field->name, rules_duration_text(corr->timespan_ms, span, sizeof span));
}

static bool plan_count(tw_rules_rt *rt, tw_corr_plan *plan, const tw_corr *corr, uint32_t *t_slots)
{
    (void)rt;
    if (!corr->has_count || corr->count_max != UINT64_MAX || corr->count_min == 0 ||
        corr->count_min > CORR_MAX_RING || corr->n_rules == 0 ||
        (corr->type == TW_CORR_VALUE_COUNT && !corr->field))
        return false;
    plan->ring = (uint32_t)corr->count_min;
    *t_slots = corr->type == TW_CORR_EVENT_COUNT ? plan->ring : 2 * plan->ring;
    plan->n_kept = 1; /* the previous matching event */
    return true;
}

static void step_count(corr_step *cs, corr_result *res)
{
    res->prev = *kept(cs->plan, cs->st, 0);
    if (cs->corr->type == TW_CORR_EVENT_COUNT)
        step_event_count(cs->plan, cs->corr, cs->st, cs->ce->ev, res);
    else
        step_value_count(cs->plan, cs->corr, cs->st, cs->ce->ev, cs->cv, res);
    tw_kept_event_set(kept(cs->plan, cs->st, 0), cs->ce->ev, cs->ce->cat);
    if (res->prev.set)
        res->earlier[res->n_earlier++] = &res->prev;
}

static int64_t horizon_timespan(const tw_corr *corr)
{
    return corr->timespan_ms;
}

const corr_kind rules_corr_event_count = {
    .name = "event_count",
    .keys = K_TYPE | K_RULES | K_GROUP_BY | K_TIMESPAN | K_CONDITION | K_GENERATE | K_ALIASES,
    .required = K_RULES | K_TIMESPAN | K_CONDITION,
    .plan = plan_count,
    .step = step_count,
    .period = rules_period_timespan,
    .horizon = horizon_timespan,
};

const corr_kind rules_corr_value_count = {
    .name = "value_count",
    .keys =
        K_TYPE | K_RULES | K_GROUP_BY | K_TIMESPAN | K_CONDITION | K_GENERATE | K_FIELD | K_ALIASES,
    .required = K_RULES | K_TIMESPAN | K_CONDITION,
    .plan = plan_count,
    .step = step_count,
    .period = rules_period_timespan,
    .horizon = horizon_timespan,
};
