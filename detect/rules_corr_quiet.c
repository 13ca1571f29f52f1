/* rules_corr_quiet: quiet_then_trigger (trailwarden's): an event matching its rules after at
 * least `quiet` without one (whatever else the identity did), or the first after at least
 * `quiet` of the identity's own history. */
#include "rules_corr_kind.h"

/* quiet_then_trigger: holds when its rules last matched at least quiet before (or never, in
 * at least quiet of the identity's own history). t[0] the last time (set bit 0). */
static void step_quiet(const tw_corr *corr, corr_state *st, const corr_event *ce, corr_result *res)
{
    int64_t t = ce->ev->time_ms;
    bool before = st->set & 1u;
    int64_t since = before ? st->t[0] : ce->ident ? ce->ident->first_seen : t;
    res->holds = t - since >= corr->quiet_ms;
    if (!before || t > st->t[0]) {
        st->t[0] = t;
        st->set |= 1u;
    }
    if (!res->holds)
        return;
    char quiet[24];
    rules_duration_text(corr->quiet_ms, quiet, sizeof quiet);
    if (before)
        snprintf(res->detail, sizeof res->detail,
                 "after %" PRId64 " days without one (quiet period %s)", (t - since) / 86400000,
                 quiet);
    else
        snprintf(res->detail, sizeof res->detail,
                 "the first in %" PRId64 " days of this identity's own history (quiet period %s)",
                 (t - since) / 86400000, quiet);
}

static bool plan_quiet(tw_rules_rt *rt, tw_corr_plan *plan, const tw_corr *corr, uint32_t *t_slots)
{
    (void)rt;
    (void)corr;
    *t_slots = 1; /* the last time its rules matched (set bit 0) */
    plan->n_kept = 0;
    return true;
}

static void step(corr_step *cs, corr_result *res)
{
    step_quiet(cs->corr, cs->st, cs->ce, res);
}

/* a quiet period is only seen while the identity is remembered: three of them */
static int64_t horizon(const tw_corr *corr)
{
    return 3 * corr->quiet_ms;
}

const corr_kind rules_corr_quiet_then_trigger = {
    .name = "quiet_then_trigger",
    .keys = K_TYPE | K_RULES | K_GROUP_BY | K_QUIET,
    .required = K_QUIET,
    .per_identity = true,
    .drift = true,
    .plan = plan_quiet,
    .step = step,
    .period = rules_period_none,
    .horizon = horizon,
};
