/* rules_corr_baseline: baseline_then_trigger (trailwarden's): a ring of the last min_events
 * times and the last event outside the baseline classes; a trigger after at least min_events
 * events of those classes alone in the window (agent-read-to-destructive as a rule). The
 * evidence is the baseline's first and last events, then the trigger. */
#include "rules_corr_kind.h"

static void step_baseline(const tw_corr_plan *plan, const tw_corr *corr, corr_state *st,
                          const corr_event *ce, corr_result *res)
{
    /* at least n events in the window (t - w, t) before the trigger, every one of them of a
     * baseline class; st->t[n] the last event outside the baseline classes (set bit 0) */
    const tw_event *ev = ce->ev;
    uint32_t n = plan->ring;
    int64_t t = ev->time_ms, w = corr->baseline.window_ms;
    bool trigger = (corr->trigger.classes || corr->trigger.rule) &&
                   (!corr->trigger.classes || (ev->classes & corr->trigger.classes)) &&
                   (!corr->trigger.rule || rules_matched(ce, corr->trigger.rule));
    res->holds = trigger && st->ring_count == n && st->t[st->ring_pos] > t - w &&
                 (!(st->set & 1u) || st->t[n] <= t - w);
    tw_kept_event *first = kept(plan, st, 0), *last = kept(plan, st, 1);
    if (res->holds) {
        if (first->set && first->time_ms > t - w && first->time_ms != last->time_ms)
            res->earlier[res->n_earlier++] = first;
        if (last->set)
            res->earlier[res->n_earlier++] = last;
        char win[24];
        uint32_t inside = 0;
        for (uint32_t i = 0; i < st->ring_count; i++)
            inside += st->t[i] > t - w;
        char classes[96];
        rules_class_words(corr->baseline.classes, classes, sizeof classes);
        snprintf(res->detail, sizeof res->detail,
                 "after at least %u events in the preceding %s, all of class %s", inside,
                 rules_duration_text(w, win, sizeof win), classes);
    }
    st->t[st->ring_pos] = t;
    st->ring_pos = (uint8_t)((st->ring_pos + 1) % n);
    if (st->ring_count < n)
        st->ring_count++;
    if (ev->classes & corr->baseline.classes) {
        /* the first baseline event after a break (or after the window emptied) opens one */
        if (!last->set || last->time_ms <= t - w || ((st->set & 1u) && st->t[n] >= first->time_ms))
            tw_kept_event_set(first, ev, ce->cat);
        tw_kept_event_set(last, ev, ce->cat);
    } else if (!(st->set & 1u) || t > st->t[n]) {
        st->t[n] = t;
        st->set |= 1u;
    }
}

static bool plan_baseline(tw_rules_rt *rt, tw_corr_plan *plan, const tw_corr *corr,
                          uint32_t *t_slots)
{
    (void)rt;
    if (corr->baseline.min_events == 0 || corr->baseline.min_events > CORR_MAX_RING ||
        (corr->trigger.rule && corr->trigger.rule->correlation))
        return false;
    if (corr->trigger.rule)
        plan->deps[corr->trigger.rule->index / 64] |= 1ull << (corr->trigger.rule->index % 64);
    plan->ring = corr->baseline.min_events;
    *t_slots = plan->ring + 1; /* + the last event outside the baseline classes */
    plan->n_kept = 2;          /* the baseline's first and last events */
    return true;
}

static void step(corr_step *cs, corr_result *res)
{
    step_baseline(cs->plan, cs->corr, cs->st, cs->ce, res);
}

static int64_t window(const tw_corr *corr)
{
    return corr->baseline.window_ms;
}

const corr_kind rules_corr_baseline_then_trigger = {
    .name = "baseline_then_trigger",
    .keys = K_TYPE | K_RULES | K_GROUP_BY | K_BASELINE | K_TRIGGER,
    .required = K_BASELINE | K_TRIGGER,
    .per_identity = true,
    .plan = plan_baseline,
    .step = step,
    .period = window,
    .horizon = window,
};
