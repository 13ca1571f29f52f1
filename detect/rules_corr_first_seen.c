/* rules_corr_first_seen: first_seen (trailwarden's): a value the group has not shown before.
 * On a field the identity's baseline holds (eventSource, awsRegion, sourceIPAddress's network,
 * the model id, action.class), grouped by the identity alone, the baseline is the memory
 * (state/baseline.h: every own call of the identity); on any other field the correlation keeps
 * the values of its own events (up to FIRST_SEEN_MAX), learnt from the group's first event for
 * `baseline`. A value already seen is routine (trailwarden.routine_level). */
#include "rules_corr_kind.h"

/* The baseline's part a first_seen on field reads, or 0 when the baseline holds no such
 * values (the correlation keeps its own). */
static uint8_t baseline_of(const tw_field *field)
{
    static const struct {
        const char *name;
        tw_baseline_kind kind;
    } map[] = {
        { "eventSource", TW_BASELINE_SERVICE },
        { "awsRegion", TW_BASELINE_REGION },
        { "sourceIPAddress", TW_BASELINE_NETWORK },
        { "modelId", TW_BASELINE_MODEL },
        { "requestParameters.modelId", TW_BASELINE_MODEL },
    };
    if (field->kind == TW_FIELD_ACTION_CLASS)
        return PLAN_BASELINE_CLASSES;
    if (field->kind != TW_FIELD_RECORD)
        return 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(field->name, map[i].name))
            return (uint8_t)(PLAN_BASELINE_KIND + map[i].kind);
    return 0;
}

/* The classes the detection rules a correlation names select on (action.class matches),
 * or every class when none does: what "first call of a class" compares (model-customization
 * asks about model-training, not about the first write that comes with it). */
static uint32_t selected_classes(const tw_corr *corr)
{
    uint32_t mask = 0;
    for (uint32_t k = 0; k < corr->n_rules; k++) {
        const tw_rule *rule = corr->rules[k];
        for (uint32_t s = 0; !rule->correlation && s < rule->n_selections; s++)
            for (uint32_t g = 0; g < rule->selections[s].n_groups; g++) {
                const tw_rule_group *grp = &rule->selections[s].groups[g];
                for (uint32_t m = 0; m < grp->n_matches; m++) {
                    const tw_rule_match *mt = &grp->matches[m];
                    if (mt->field->kind != TW_FIELD_ACTION_CLASS)
                        continue;
                    for (uint32_t v = 0; v < mt->n_values; v++)
                        if (mt->values[v].op == TW_MATCH_BITS)
                            mask |= mt->values[v].bits;
                }
            }
    }
    return mask ? mask : (1u << TW_CLASS_COUNT_) - 1;
}

/* first_seen: true when the value is new for the group and the group has been known for at
 * least the baseline. t[0] is the group's first considered event, then the values' hashes.
 * The value set grows a few at a time (the state is looked up again). */
static corr_state *step_first_seen(const tw_corr *corr, corr_state *st, bool created,
                                   rules_slot *slot, uint64_t key, const tw_event *ev,
                                   const tw_corr_value *cv, const char *group_words,
                                   corr_result *res)
{
    int64_t t = ev->time_ms;
    if (created)
        st->t[0] = t;
    if (!cv || !cv->has_value)
        return st;
    if (t < st->t[0])
        st->t[0] = t; /* a late event: the group was known earlier */
    int64_t *vals = st->t + 1;
    for (uint32_t i = 0; i < st->ring_count; i++)
        if ((uint64_t)vals[i] == cv->hash) {
            res->routine = true;
            return st;
        }
    /* with no learning period (baseline 0) the group's first value fires too */
    res->holds = t - st->t[0] >= corr->first_seen_baseline_ms;
    uint32_t bytes;
    tw_sparse_find(slot->sp, key, &bytes);
    uint32_t cap = (uint32_t)((bytes - sizeof(corr_state)) / sizeof(int64_t)) - 1;
    if (st->ring_count == cap && cap < FIRST_SEEN_MAX) {
        uint32_t grown =
            cap + FIRST_SEEN_START > FIRST_SEEN_MAX ? FIRST_SEEN_MAX : cap + FIRST_SEEN_START;
        corr_state *g = tw_sparse_resize(
            &slot->sp, key, (uint32_t)(sizeof(corr_state) + (1 + grown) * sizeof(int64_t)));
        if (g) {
            st = g;
            vals = st->t + 1;
            cap = grown;
        }
    }
    if (st->ring_count < cap) {
        vals[st->ring_count++] = (int64_t)cv->hash;
    } else {
        vals[st->ring_pos] = (int64_t)cv->hash; /* full: the oldest learnt value goes */
        st->ring_pos = (uint8_t)((st->ring_pos + 1) % cap);
    }
    if (!res->holds)
        return st;
    char base[24];
    snprintf(res->detail, sizeof res->detail, "first %s '%.*s' for %s (baseline %s)",
             corr->field->name, (int)(cv->text.len > 80 ? 80 : cv->text.len),
             cv->text.p ? cv->text.p : "", group_words,
             rules_duration_text(corr->first_seen_baseline_ms, base, sizeof base));
    return st;
}

/* first_seen on a field the identity's baseline holds: new when the baseline (as it was
 * before this event) does not hold the event's value, routine when it does. */
static void step_first_seen_baseline(const tw_corr_plan *plan, const tw_corr *corr,
                                     const corr_event *ce, corr_result *res)
{
    const tw_event *ev = ce->ev;
    const tw_baseline *b = ce->slot ? find_baseline(ce->slot) : NULL; /* may be none yet */
    if (plan->baseline == PLAN_BASELINE_CLASSES) {
        uint32_t classes = ev->classes & plan->class_mask;
        uint32_t fresh = classes & ~(b ? b->classes : 0);
        if (!classes)
            return;
        res->holds = fresh != 0;
        res->routine = !fresh;
        if (res->holds) {
            char names[120]; /* the detail holds it and 60 bytes of words */
            rules_class_list(fresh, names, sizeof names);
            snprintf(res->detail, sizeof res->detail,
                     "the first %s call of this identity (its baseline has none)", names);
        }
        return;
    }
    tw_baseline_kind kind = (tw_baseline_kind)(plan->baseline - PLAN_BASELINE_KIND);
    uint32_t v;
    if (!tw_baseline_value(kind, ev, &v))
        return;
    res->holds = !tw_baseline_has(b, kind, v);
    res->routine = !res->holds;
    if (!res->holds)
        return;
    tw_str text = kind == TW_BASELINE_SERVICE  ? ev->event_source
                  : kind == TW_BASELINE_REGION ? ev->region
                  : kind == TW_BASELINE_MODEL  ? ev->model_id
                                               : ev->source_ip;
    snprintf(res->detail, sizeof res->detail, "first %s '%.*s' for this identity%s",
             corr->field->name, (int)(text.len > 80 ? 80 : text.len), text.p ? text.p : "",
             kind == TW_BASELINE_NETWORK ? " (a network it never called from)" : "");
}

/* "this identity", "this identity and F", or "this F" (across identities). */
static const char *group_words(const tw_corr *corr, bool shared, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "this %s", shared ? "" : "identity");
    bool first = true;
    for (uint32_t g = 0; g < corr->n_group_by && len < size; g++) {
        if (corr->group_by[g]->kind == TW_FIELD_IDENTITY_KEY)
            continue;
        len += (size_t)snprintf(buf + len, size - len, "%s%s", shared && first ? "" : " and ",
                                corr->group_by[g]->name);
        first = false;
    }
    return buf;
}

static bool plan_first_seen(tw_rules_rt *rt, tw_corr_plan *plan, const tw_corr *corr,
                            uint32_t *t_slots)
{
    if (!corr->field)
        return false;
    plan->baseline = plan->shared || plan->extra_group ? 0 : baseline_of(corr->field);
    plan->class_mask = selected_classes(corr);
    if (plan->baseline) {
        rt->uses_baseline = true;
        *t_slots = 0; /* the values are the baseline's */
    } else {
        plan->ring = FIRST_SEEN_START;
        *t_slots = 1 + FIRST_SEEN_START; /* the group's start, then the values */
    }
    plan->n_kept = 0;
    return true;
}

static void step(corr_step *cs, corr_result *res)
{
    if (cs->plan->baseline) {
        step_first_seen_baseline(cs->plan, cs->corr, cs->ce, res);
        return;
    }
    char words[96];
    cs->st = step_first_seen(cs->corr, cs->st, cs->created, cs->slot, cs->key, cs->ce->ev, cs->cv,
                             group_words(cs->corr, cs->shared, words, sizeof words), res);
}

static int64_t horizon(const tw_corr *corr)
{
    return corr->first_seen_baseline_ms > 86400000 ? corr->first_seen_baseline_ms : 86400000;
}

const corr_kind rules_corr_first_seen = {
    .name = "first_seen",
    .keys = K_TYPE | K_RULES | K_GROUP_BY | K_FIELD | K_BASELINE,
    .required = K_FIELD,
    .drift = true,
    .plan = plan_first_seen,
    .step = step,
    .period = rules_period_none,
    .horizon = horizon,
};
