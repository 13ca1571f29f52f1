/* rules_run: the rules' runtime; rule findings and correlations on the worker that owns the
 * identity.
 *
 * The parser's thread has marked on each event the detection rules it matched (and, for the
 * correlations that read fields, the hashed values: rules_match.c). Here, in event time
 * order per identity, a detection rule raises a finding (once per `suppress` period), and
 * the correlations run:
 *   event_count, value_count  lower bounds (gt, gte): a ring of the last N matching times, or
 *                             the N most recently seen distinct values with their times
 *   temporal                  the last time each named rule matched
 *   temporal_ordered          per step, the start of the latest chain that reached it
 *   baseline_then_trigger     a ring of the last min_events times and the last event outside
 *                             the baseline classes (agent-read-to-destructive as a rule)
 *   first_seen                the identity's baseline (state/baseline.h) when its field is one
 *                             the baseline holds (eventSource, awsRegion, sourceIPAddress's
 *                             network, the model id, action.class); else the values seen
 *                             since the group's first event (up to 64)
 *   quiet_then_trigger        the last time its rules matched
 * grouped by identity, or by identity and other fields (a group hash from the parser), or by
 * other fields alone: then the state spans identities, and lives in a record of the state
 * store keyed by the rule and group, in the worker that owns that key; the router delivers
 * the event there too (on_group_event). Such a correlation names detection rules only.
 * Correlations may name correlations: they run first, and one that holds counts as matched
 * for those that name it.
 *
 * Drift rules (first_seen and quiet_then_trigger by default, trailwarden.learning) hold only
 * once the identity's past is known (DESIGN §5: --learn, tw_baseline_known_from) and its own
 * history is long enough (trailwarden.history); what they hold back is counted.
 *
 * State is sparse: an identity's record holds one pointer (and the baseline, when a rule
 * reads it); a rule's state is created in the block it points at on the first event that
 * needs it, so identities that never match a rule pay nothing for it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_run.h"

#include "baseline.h"
#include "detect_evidence.h"
#include "model_change.h"
#include "rules_internal.h"
#include "state_sparse.h"
#include "tw_hash.h"

/* Bumped when what saved state means changes without a rule changing (2: identity kinds
 * renumbered, aws-service added; kept events hold the resource; 3: the baseline, quiet
 * periods of the rules' own events) */
#define TW_RULES_STATE_FORMAT 3
#define CORR_MAX_RULES 32    /* named rules of a temporal correlation */
#define CORR_MAX_RING 128    /* count thresholds: the ring holds that many times */
#define CORR_MAX_KEPT 4      /* evidence events a correlation keeps */
#define FIRST_SEEN_START 4   /* values a first_seen remembers at first, and grows by, up to */
#define FIRST_SEEN_MAX 64

/* What every identity's record holds for the rules. */
typedef struct rules_slot {
    tw_sparse *sp;
} rules_slot;

/* The identity's baseline (uses_baseline) is an entry of its sparse state, sized to what it
 * does (state/baseline.h): a key no rule's state has. */
#define BASELINE_KEY (((uint64_t)0x7fffu << 32) | 0xffffffffu)

/* The baseline as it is (NULL: none yet). A pointer into the block: valid until the next
 * get or resize on it. */
static inline const tw_baseline *find_baseline(const rules_slot *slot)
{
    return tw_sparse_find(slot->sp, BASELINE_KEY, NULL);
}

/* Learns ev into the identity's baseline, made or grown as it needs. */
static void learn_baseline(rules_slot *slot, const tw_event *ev)
{
    bool created;
    tw_baseline *b = tw_sparse_get(&slot->sp, BASELINE_KEY, TW_BASELINE_INITIAL, &created);
    if (b && created)
        tw_baseline_init(b);
    while (b && !tw_baseline_learn(b, ev)) {
        uint32_t bytes = tw_baseline_grown_size(b);
        if (!(b = tw_sparse_resize(&slot->sp, BASELINE_KEY, bytes)))
            return; /* no memory, or the block is full: what does not fit is not learnt */
        tw_baseline_grown(b, bytes);
    }
}

/* A detection rule's suppression. */
typedef struct suppress_slot {
    int64_t last_ms;
    int64_t fired;
} suppress_slot;

/* One correlation's state for one group: then t[] (ring, times per rule, or first_seen's
 * start then its value hashes), then the kept evidence events at plan->kept_off. Small: an
 * identity holds one per correlation it has met. */
typedef struct corr_state {
    int64_t last_fired_ms;
    uint32_t set;            /* temporal kinds: bit k = step/rule k has a time */
    uint8_t ring_pos;        /* rings hold at most CORR_MAX_RING, value sets FIRST_SEEN_MAX */
    uint8_t ring_count;
    uint8_t fired;
    uint8_t pad_;
    int64_t t[];
} corr_state;
_Static_assert(sizeof(corr_state) == 16, "the state header stays small");
_Static_assert(CORR_MAX_RING <= 255 && FIRST_SEEN_MAX <= 255, "ring positions fit a byte");

static inline uint64_t sparse_key(uint32_t rule, uint32_t group)
{
    return ((uint64_t)rule << 32) | group;
}

/* A finding raised under a suppression period, and the matching events the period has held
 * back since: they update the finding (tw_finding.update) when the next finding of the rule
 * and group is raised, or at the end of a replay. Its own sparse entry, beside the rule's. */
#define REPEAT_KEY_BIT 0x8000u /* in the rule half of the key (rules < TW_RULES_MAX) */
_Static_assert(TW_RULES_MAX <= REPEAT_KEY_BIT, "repeat keys stay apart from rule keys");

typedef struct repeat_slot {
    uint64_t seq;            /* the finding's event (where its update goes at the end) */
    int64_t fired_ms;
    int64_t last_ms;         /* the last repeat */
    uint32_t repeats;
    uint8_t severity;
    uint8_t kind;
    uint8_t pad_[2];
    char uid[32];
} repeat_slot;

static inline uint64_t repeat_key(uint32_t rule, uint32_t group)
{
    return sparse_key(rule | REPEAT_KEY_BIT, group);
}

static inline tw_kept_event *kept(const tw_corr_plan *plan, corr_state *st, uint32_t i)
{
    return (tw_kept_event *)((unsigned char *)st + plan->kept_off) + i;
}

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

/* The baseline's part a first_seen on field reads, or 0 when the baseline holds no such
 * values (the correlation keeps its own). */
static uint8_t baseline_of(const tw_field *field)
{
    static const struct { const char *name; tw_baseline_kind kind; } map[] = {
        { "eventSource", TW_BASELINE_SERVICE },   { "awsRegion", TW_BASELINE_REGION },
        { "sourceIPAddress", TW_BASELINE_NETWORK }, { "modelId", TW_BASELINE_MODEL },
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
    /* across identities: no previous event of an identity, no baseline of one */
    if (plan->shared && (corr->type == TW_CORR_BASELINE_THEN_TRIGGER ||
                         corr->type == TW_CORR_QUIET_THEN_TRIGGER))
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
    switch (corr->type) {
    case TW_CORR_EVENT_COUNT:
    case TW_CORR_VALUE_COUNT:
        if (!corr->has_count || corr->count_max != UINT64_MAX || corr->count_min == 0 ||
            corr->count_min > CORR_MAX_RING || corr->n_rules == 0 ||
            (corr->type == TW_CORR_VALUE_COUNT && !corr->field))
            return false;
        plan->ring = (uint32_t)corr->count_min;
        t_slots = corr->type == TW_CORR_EVENT_COUNT ? plan->ring : 2 * plan->ring;
        plan->n_kept = 1; /* the previous matching event */
        break;
    case TW_CORR_TEMPORAL:
    case TW_CORR_TEMPORAL_ORDERED: {
        if (corr->n_rules > CORR_MAX_RULES || corr->n_rules == 0)
            return false;
        t_slots = corr->n_rules;
        /* ordered: the last step is the event that completes the chain, never kept */
        uint32_t keep = corr->type == TW_CORR_TEMPORAL ? corr->n_rules : corr->n_rules - 1;
        plan->n_kept = keep < CORR_MAX_KEPT ? keep : CORR_MAX_KEPT;
        break;
    }
    case TW_CORR_BASELINE_THEN_TRIGGER:
        if (corr->baseline.min_events == 0 || corr->baseline.min_events > CORR_MAX_RING ||
            (corr->trigger.rule && corr->trigger.rule->correlation))
            return false;
        if (corr->trigger.rule)
            plan->deps[corr->trigger.rule->index / 64] |= 1ull << (corr->trigger.rule->index % 64);
        plan->ring = corr->baseline.min_events;
        t_slots = plan->ring + 1; /* + the last event outside the baseline classes */
        plan->n_kept = 2;         /* the baseline's first and last events */
        break;
    case TW_CORR_FIRST_SEEN:
        if (!corr->field)
            return false;
        plan->baseline = plan->shared || plan->extra_group ? 0 : baseline_of(corr->field);
        plan->class_mask = selected_classes(corr);
        if (plan->baseline) {
            rt->uses_baseline = true;
            t_slots = 0; /* the values are the baseline's */
        } else {
            plan->ring = FIRST_SEEN_START;
            t_slots = 1 + FIRST_SEEN_START; /* the group's start, then the values */
        }
        plan->n_kept = 0;
        break;
    case TW_CORR_QUIET_THEN_TRIGGER:
        t_slots = 1; /* the last time its rules matched (set bit 0) */
        plan->n_kept = 0;
        break;
    }
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

static tw_err rules_plan(tw_rules_rt *rt)
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

static void rules_plan_free(tw_rules_rt *rt)
{
    for (uint32_t i = 0; rt->plan && i < rt->n_rules; i++)
        free(rt->plan[i].deps);
    free(rt->plan);
    free(rt->corr_order);
    free(rt->field_corrs);
}

/* ---- the runtime ---------------------------------------------------------------------- */

tw_err tw_rules_rt_new(tw_ruleset *rs, const tw_catalog *cat, tw_rules_rt **out)
{
    *out = NULL;
    tw_rules_rt *rt = calloc(1, sizeof *rt);
    if (!rt) {
        tw_ruleset_destroy(rs);
        return TW_ERR_NOMEM;
    }
    rt->rs = rs;
    rt->catalog = cat;
    rt->n_rules = (uint32_t)tw_ruleset_count(rs);
    if (rt->n_rules > TW_RULES_MAX || tw_rules_eval_new(rs, &rt->eval) != TW_OK ||
        tw_rules_index_new(rs, &rt->index) != TW_OK)
        goto fail;
    rt->meta = calloc(rt->n_rules ? rt->n_rules : 1, sizeof *rt->meta);
    rt->types = calloc(rt->n_rules ? rt->n_rules : 1, sizeof *rt->types);
    rt->match_limit = calloc(rt->n_rules ? rt->n_rules : 1, sizeof *rt->match_limit);
    if (!rt->meta || !rt->types || !rt->match_limit)
        goto fail;
    for (uint32_t i = 0; i < rt->n_rules; i++) {
        const tw_rule *rule = tw_ruleset_rule(rs, i);
        if (rule->correlation)
            rt->n_correlations++;
        else if (rule->level)
            rt->n_detections++;
        /* OCSF types: the rule's own, else none (NULL-terminated copy) */
        rt->types[i] = calloc(rule->n_finding_types + 1, sizeof *rt->types[i]);
        if (!rt->types[i])
            goto fail;
        for (uint32_t k = 0; k < rule->n_finding_types; k++)
            rt->types[i][k] = rule->finding_types[k];
        rt->meta[i] = (tw_rule_meta){
            .id = rule->id,
            .title = rule->title,
            .description = rule->description ? rule->description : rule->title,
            .type = tw_rule_type_name(rule),
            .severity = rule->level,
            .types = rt->types[i],
        };
    }
    if (rules_plan(rt) != TW_OK)
        goto fail;
    *out = rt;
    return TW_OK;
fail:
    tw_rules_rt_destroy(rt);
    return TW_ERR_NOMEM;
}

void tw_rules_rt_destroy(tw_rules_rt *rt)
{
    if (!rt)
        return;
    for (uint32_t i = 0; rt->types && i < rt->n_rules; i++)
        free(rt->types[i]);
    free(rt->types);
    free(rt->meta);
    free((void *)rt->match_limit);
    rules_plan_free(rt);
    tw_rules_index_destroy(rt->index);
    tw_rules_eval_destroy(rt->eval);
    tw_ruleset_destroy(rt->rs);
    free(rt);
}

bool tw_rules_raises(const tw_rules_rt *rt, uint32_t i)
{
    const tw_rule *rule = tw_ruleset_rule(rt->rs, i);
    return rule->level && (!rule->correlation || rt->plan[i].run);
}

/* ---- findings ------------------------------------------------------------------------- */

/* Once per period of event time: false while the last firing is less than period before t
 * (a late event, older than the last firing, is let through). */
static bool once_per(int64_t t, int64_t period, bool fired_before, int64_t *last_ms)
{
    if (fired_before && t - *last_ms < period && t >= *last_ms)
        return false;
    *last_ms = t;
    return true;
}

/* "90s", "15m", "24h", "7d": the largest unit that divides the duration. */
static const char *duration_text(int64_t ms, char *buf, size_t size)
{
    static const struct { int64_t ms; char unit; } units[] = {
        { 86400000, 'd' }, { 3600000, 'h' }, { 60000, 'm' }, { 1000, 's' },
    };
    if (ms == 0)
        return "0s";
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms >= units[i].ms && ms % units[i].ms == 0 && (i || ms >= 2 * units[0].ms)) {
            snprintf(buf, size, "%" PRId64 "%c", ms / units[i].ms, units[i].unit);
            return buf;
        }
    snprintf(buf, size, "%" PRId64 "ms", ms);
    return buf;
}

/* Evidence in time order, the triggering event last among equals. */
static void sort_evidence(tw_finding *f)
{
    for (uint32_t i = 1; i < f->n_evidence; i++)
        for (uint32_t j = i; j > 0 && f->evidence[j - 1].time_ms > f->evidence[j].time_ms; j--) {
            tw_evidence e = f->evidence[j];
            f->evidence[j] = f->evidence[j - 1];
            f->evidence[j - 1] = e;
        }
}

static bool event_matched(const tw_event *ev, const tw_rule *rule)
{
    for (uint32_t k = 0; k < ev->n_rules; k++)
        if (ev->rules[k] == rule->index)
            return true;
    return false;
}

tw_severity tw_rules_severity(const tw_rule *rule, const tw_event *ev)
{
    tw_severity level = rule->level;
    for (uint32_t i = 0; i < rule->n_level_if; i++)
        if (rule->level_if[i].rule && event_matched(ev, rule->level_if[i].rule)) {
            level = rule->level_if[i].level;
            break;
        }
    /* severity follows what happened (DESIGN §5): a denial at denied_level; a call that failed
     * otherwise changed nothing: failed_level, else at most low */
    if (ev->flags & TW_EV_DENIED)
        return rule->denied_level ? rule->denied_level : level;
    if (ev->flags & TW_EV_FAILED) {
        if (rule->failed_level)
            return rule->failed_level;
        return level < TW_SEV_LOW ? level : TW_SEV_LOW;
    }
    return level;
}

bool tw_rules_learns(const tw_rule *rule)
{
    if (rule->learning != TW_LEARNING_DEFAULT)
        return rule->learning == TW_LEARNING_ON;
    return rule->correlation && (rule->correlation->type == TW_CORR_FIRST_SEEN ||
                                 rule->correlation->type == TW_CORR_QUIET_THEN_TRIGGER);
}

/* Whether a drift rule may hold for this identity at ev (DESIGN §5): its past known, its own
 * history long enough. Counts what it holds back. */
static bool drift_allowed(const tw_rule *rule, uint32_t detector, const tw_ident *ident,
                          const tw_event *ev, const tw_emit *emit)
{
    if (!ident || !tw_rules_learns(rule))
        return true;
    const tw_stream_info *si = emit->stream;
    bool known = !si || ev->stream_start_ms == INT64_MIN ||
                 ev->time_ms >= tw_baseline_known_from(ident->first_seen, ev->stream_start_ms,
                                                       si->learn_ms);
    if (known && ev->time_ms - ident->first_seen >= rule->history_ms)
        return true;
    if (emit->held_learning)
        emit->held_learning[detector]++;
    return false;
}

/* "called s3:DeleteBucket", "attempted s3:DeleteBucket (denied: AccessDenied)", "attempted
 * cloudtrail:UpdateTrail (failed: TrailNotFoundException; it changed nothing)". */
static const char *call_words(const tw_event *ev, char *buf, size_t size)
{
    int n = (int)ev->action.len, e = (int)(ev->error_code.len > 64 ? 64 : ev->error_code.len);
    if (!(ev->flags & TW_EV_FAILED))
        snprintf(buf, size, "called %.*s", n, ev->action.p);
    else if (ev->flags & TW_EV_DENIED)
        snprintf(buf, size, "attempted %.*s (denied: %.*s)", n, ev->action.p, e,
                 ev->error_code.p);
    else
        snprintf(buf, size, "attempted %.*s (failed: %.*s; it changed nothing)", n,
                 ev->action.p, e, ev->error_code.p);
    return buf;
}

/* Whether rule r raises findings for an identity of this kind (trailwarden.kinds). */
static bool kind_applies(const tw_rule *rule, tw_kind kind)
{
    return !rule->kinds || (rule->kinds & (1u << kind));
}

/* The update of the finding a repeat slot holds, when repeats were held back. */
static void emit_update(const tw_rules_rt *rt, uint32_t r, uint32_t detector, tw_str identity,
                        const repeat_slot *rs, bool at_end, const tw_emit *emit)
{
    if (!rs->repeats)
        return;
    tw_rule_meta meta = rt->meta[r];
    meta.severity = (tw_severity)rs->severity;
    char uid[33];
    memcpy(uid, rs->uid, 32);
    uid[32] = '\0';
    tw_finding f = { 0 };
    f.rule = &meta;
    f.kind = (tw_kind)rs->kind;
    f.update = true;
    f.count = rs->repeats + 1;
    f.first_seen_ms = rs->fired_ms;
    f.last_seen_ms = rs->last_ms;
    f.uid = uid;
    f.identity = identity;
    /* at the end: after every event's findings, in the order of the findings they update */
    f.has_order = at_end;
    f.order_seq = (1ull << 63) | rs->seq;
    emit->fn(emit->ud, &f, detector);
}

/* A finding of rule r (and group) is being raised at ev: the previous one's repeats go out
 * first (found, not created: a pointer into the block must not move before the finding is
 * raised from it). */
static void repeats_flush_previous(const tw_rules_rt *rt, rules_slot *slot, uint32_t r,
                                   uint32_t group, uint32_t detector, tw_str identity,
                                   const tw_emit *emit)
{
    uint32_t bytes;
    repeat_slot *rs = tw_sparse_find(slot->sp, repeat_key(r, group), &bytes);
    if (rs && bytes >= sizeof *rs)
        emit_update(rt, r, detector, identity, rs, false, emit);
}

/* ...and, raised, it is the one later repeats count for. */
static void repeats_start(rules_slot *slot, uint32_t r, uint32_t group, const char *rule_id,
                          tw_str identity, const tw_event *ev, tw_severity sev, tw_kind kind)
{
    bool created;
    repeat_slot *rs = tw_sparse_get(&slot->sp, repeat_key(r, group), sizeof *rs, &created);
    if (!rs)
        return; /* no memory: its repeats go uncounted */
    char uid[33];
    tw_finding_uid(rule_id, identity, ev->event_id, uid);
    *rs = (repeat_slot){ .seq = ev->seq, .fired_ms = ev->time_ms, .last_ms = ev->time_ms,
                         .severity = (uint8_t)sev, .kind = (uint8_t)kind };
    memcpy(rs->uid, uid, 32);
}

/* A matching event the suppression period held back. */
static void repeats_held(rules_slot *slot, uint32_t r, uint32_t group, uint32_t detector,
                         const tw_event *ev, const tw_emit *emit)
{
    uint32_t bytes;
    repeat_slot *rs = tw_sparse_find(slot->sp, repeat_key(r, group), &bytes);
    if (emit->held_repeats)
        emit->held_repeats[detector]++;
    if (!rs || bytes < sizeof *rs)
        return;
    rs->repeats++;
    if (ev->time_ms > rs->last_ms)
        rs->last_ms = ev->time_ms;
}

/* The finding of rule r at severity sev, cited by the event ev, with the kept events as
 * earlier evidence. */
static void raise_finding(const tw_rules_rt *rt, uint32_t r, uint32_t detector, tw_severity sev,
                          tw_kind kind, const tw_event *ev, const tw_emit *emit,
                          const tw_kept_event *const *earlier, uint32_t n_earlier,
                          const char *summary)
{
    tw_rule_meta meta = rt->meta[r];
    meta.severity = sev;
    tw_finding f = { 0 };
    f.rule = &meta;
    f.ev = ev;
    f.kind = kind;
    char ids[TW_FINDING_MAX_EVIDENCE][TW_KEPT_ID_CHARS];
    for (uint32_t i = 0; i < n_earlier && f.n_evidence < TW_FINDING_MAX_EVIDENCE - 1; i++) {
        const tw_kept_event *k = earlier[i];
        if (!k->set)
            continue;
        tw_evidence e = tw_kept_event_evidence(k, rt->catalog, ids[f.n_evidence]);
        bool dup = e.time_ms == ev->time_ms && tw_str_eq(e.event_id, ev->event_id);
        for (uint32_t j = 0; j < f.n_evidence && !dup; j++)
            dup = f.evidence[j].time_ms == e.time_ms &&
                  tw_str_eq(f.evidence[j].event_id, e.event_id);
        if (!dup)
            f.evidence[f.n_evidence++] = e;
    }
    char res_buf[TW_RESOURCE_MAX];
    f.evidence[f.n_evidence++] = tw_event_evidence(ev, res_buf);
    sort_evidence(&f);
    f.first_seen_ms = f.evidence[0].time_ms;
    snprintf(f.summary, sizeof f.summary, "%s", summary);
    /* a model-training call: its provenance, the model-change record (DESIGN §5) */
    tw_buf details;
    tw_buf_init(&details);
    tw_model_change_details(ev, &details);
    if (details.len && !details.failed)
        f.details = (tw_str){ details.p, details.len };
    emit->fn(emit->ud, &f, detector);
    tw_buf_free(&details);
}

static void detection_finding(const tw_rules_rt *rt, uint32_t r, uint32_t detector,
                              rules_slot *slot, const tw_ident *ident, const tw_event *ev,
                              const tw_emit *emit)
{
    const tw_rule *rule = tw_ruleset_rule(rt->rs, r);
    if (!kind_applies(rule, (tw_kind)ident->kind) || !drift_allowed(rule, detector, ident, ev, emit))
        return;
    tw_str who = { ident->key, ident->key_len };
    if (rule->suppress_ms > 0) {
        bool created;
        suppress_slot *s = tw_sparse_get(&slot->sp, sparse_key(r, 0), sizeof *s, &created);
        if (s) { /* without memory for it, the finding is raised unsuppressed */
            if (!once_per(ev->time_ms, rule->suppress_ms, s->fired, &s->last_ms)) {
                repeats_held(slot, r, 0, detector, ev, emit);
                return;
            }
            s->fired = 1;
        }
        repeats_flush_previous(rt, slot, r, 0, detector, who, emit);
    }
    char summary[320], call[200];
    snprintf(summary, sizeof summary, "%s: %s", call_words(ev, call, sizeof call), rule->title);
    tw_severity sev = tw_rules_severity(rule, ev);
    raise_finding(rt, r, detector, sev, (tw_kind)ident->kind, ev, emit, NULL, 0, summary);
    if (rule->suppress_ms > 0)
        repeats_start(slot, r, 0, rule->id, who, ev, sev, (tw_kind)ident->kind);
}

/* ---- correlations --------------------------------------------------------------------- */

/* What one event brings to the correlations: the detection rules it matched, and the
 * correlations that held on it so far (those named run first). */
typedef struct corr_event {
    const tw_event *ev;
    uint64_t *held;          /* bitset by rule index */
    const tw_ident *ident;   /* the identity (NULL for a group across identities) */
    const rules_slot *slot;  /* its state: its baseline is learnt after the correlations */
    const tw_catalog *cat;   /* for kept events */
} corr_event;

static bool matched(const corr_event *ce, const tw_rule *rule)
{
    if (rule->correlation)
        return (ce->held[rule->index / 64] >> (rule->index % 64)) & 1u;
    return event_matched(ce->ev, rule);
}

static bool any_matched(const corr_event *ce, const tw_corr *corr)
{
    for (uint32_t k = 0; k < corr->n_rules; k++)
        if (matched(ce, corr->rules[k]))
            return true;
    return false;
}

static const tw_corr_value *corr_value_of(const tw_event *ev, uint32_t rule)
{
    for (uint32_t k = 0; k < ev->n_corr_values; k++)
        if (ev->corr_values[k].rule == rule)
            return &ev->corr_values[k];
    return NULL;
}

/* The result of one step: whether the condition holds, and what to say. */
typedef struct corr_result {
    bool holds;
    bool routine;            /* first_seen: the value was there already (routine_level) */
    const tw_kept_event *earlier[CORR_MAX_KEPT];
    uint32_t n_earlier;
    char detail[200];
} corr_result;

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
             duration_text(corr->timespan_ms, span, sizeof span));
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
    snprintf(res->detail, sizeof res->detail, "%" PRIu64 " distinct %s values within %s",
             distinct, corr->field->name, duration_text(corr->timespan_ms, span, sizeof span));
}

/* "read", "read or write": the names of class bits. */
static void class_names(uint32_t bits, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; rules_class_names[i]; i++) {
        uint32_t bit;
        if (!rules_class_lookup(rules_class_names[i], &bit) || (bits & bit) != bit)
            continue;
        int w = snprintf(buf + len, size - len, "%s%s", len ? " or " : "", rules_class_names[i]);
        if (w < 0 || (size_t)w >= size - len)
            break;
        len += (size_t)w;
    }
}

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
                   (!corr->trigger.rule || matched(ce, corr->trigger.rule));
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
        class_names(corr->baseline.classes, classes, sizeof classes);
        snprintf(res->detail, sizeof res->detail,
                 "after at least %u events in the preceding %s, all of class %s", inside,
                 duration_text(w, win, sizeof win), classes);
    }
    st->t[st->ring_pos] = t;
    st->ring_pos = (uint8_t)((st->ring_pos + 1) % n);
    if (st->ring_count < n)
        st->ring_count++;
    if (ev->classes & corr->baseline.classes) {
        /* the first baseline event after a break (or after the window emptied) opens one */
        if (!last->set || last->time_ms <= t - w ||
            ((st->set & 1u) && st->t[n] >= first->time_ms))
            tw_kept_event_set(first, ev, ce->cat);
        tw_kept_event_set(last, ev, ce->cat);
    } else if (!(st->set & 1u) || t > st->t[n]) {
        st->t[n] = t;
        st->set |= 1u;
    }
}

static void step_temporal(const tw_corr_plan *plan, const tw_corr *corr, corr_state *st,
                          const corr_event *ce, corr_result *res)
{
    int64_t t = ce->ev->time_ms;
    for (uint32_t k = 0; k < corr->n_rules; k++) {
        if (!matched(ce, corr->rules[k]))
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
             corr->n_rules, duration_text(corr->timespan_ms, span, sizeof span));
}

static void step_temporal_ordered(const tw_corr_plan *plan, const tw_corr *corr,
                                  corr_state *st, const corr_event *ce, corr_result *res)
{
    /* t[k]: the start of the latest chain that reached step k. Later steps first, so one
     * event does not climb two steps; except that a step after a named correlation that
     * held on this very event chains from it (the correlation is "at" this event too). */
    int64_t t = ce->ev->time_ms, span = corr->timespan_ms;
    bool done = false;
    for (uint32_t k = corr->n_rules; k-- > 0;) {
        if (!matched(ce, corr->rules[k]))
            continue;
        if (k == 0) {
            st->t[0] = t;
            st->set |= 1u;
        } else {
            const tw_rule *prev = corr->rules[k - 1];
            bool chained = (st->set & (1u << (k - 1))) && t - st->t[k - 1] <= span;
            int64_t start = st->t[k - 1];
            if (!chained && k == 1 && prev->correlation && matched(ce, prev)) {
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
             duration_text(span, span_text, sizeof span_text));
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
        uint32_t grown = cap + FIRST_SEEN_START > FIRST_SEEN_MAX ? FIRST_SEEN_MAX
                                                                 : cap + FIRST_SEEN_START;
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
             duration_text(corr->first_seen_baseline_ms, base, sizeof base));
    return st;
}

/* The class names of bits, "model-training" or "read, write". */
static void class_list(uint32_t bits, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < TW_CLASS_COUNT_ && len < size; i++)
        if (bits & (1u << i)) {
            int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
                             tw_class_name(1u << i));
            if (w < 0)
                break;
            len += (size_t)w;
        }
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
            class_list(fresh, names, sizeof names);
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

/* quiet_then_trigger: holds when its rules last matched at least quiet before (or never, in
 * at least quiet of the identity's own history). t[0] the last time (set bit 0). */
static void step_quiet(const tw_corr *corr, corr_state *st, const corr_event *ce,
                       corr_result *res)
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
    duration_text(corr->quiet_ms, quiet, sizeof quiet);
    if (before)
        snprintf(res->detail, sizeof res->detail,
                 "after %" PRId64 " days without one (quiet period %s)", (t - since) / 86400000,
                 quiet);
    else
        snprintf(res->detail, sizeof res->detail,
                 "the first in %" PRId64 " days of this identity's own history (quiet period %s)",
                 (t - since) / 86400000, quiet);
}

/* "this identity", "this identity and F", or "this F" (across identities). */
static const char *group_words(const tw_corr *corr, bool shared, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "this %s", shared ? "" : "identity");
    bool first = true;
    for (uint32_t g = 0; g < corr->n_group_by && len < size; g++) {
        if (corr->group_by[g]->kind == TW_FIELD_IDENTITY_KEY)
            continue;
        len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                shared && first ? "" : " and ", corr->group_by[g]->name);
        first = false;
    }
    return buf;
}

/* Steps correlation r on one event, in the state of one group of the slot; raises its
 * finding when it holds (kind: the actor's, for the finding). True when it held. */
static bool run_correlation(const tw_detector *det, rules_slot *slot, uint32_t r,
                            const corr_event *ce, tw_kind kind, const tw_emit *emit)
{
    const tw_rules_rt *rt = det->params;
    const tw_corr_plan *plan = &rt->plan[r];
    const tw_rule *rule = tw_ruleset_rule(rt->rs, r);
    const tw_corr *corr = rule->correlation;
    const tw_event *ev = ce->ev;
    corr_result res = { 0 };
    tw_kept_event prev = { 0 };
    const tw_corr_value *cv = plan->needs_values ? corr_value_of(ev, r) : NULL;
    if (plan->needs_values && !cv)
        return false; /* the parser gathered nothing (out of memory, or over 32 a record) */
    /* a shared group has its record to itself: the group is in the record's key */
    uint32_t group = cv && !plan->shared ? (uint32_t)(cv->group ^ (cv->group >> 32)) : 0;
    uint64_t key = sparse_key(r, group);
    bool created;
    corr_state *st = tw_sparse_get(&slot->sp, key, plan->bytes, &created);
    if (!st)
        return false; /* no memory, or the block is full: the event is not counted */
    switch (corr->type) {
    case TW_CORR_EVENT_COUNT:
    case TW_CORR_VALUE_COUNT:
        /* evidence: the previous matching event, then this one */
        prev = *kept(plan, st, 0);
        if (corr->type == TW_CORR_EVENT_COUNT)
            step_event_count(plan, corr, st, ev, &res);
        else
            step_value_count(plan, corr, st, ev, cv, &res);
        tw_kept_event_set(kept(plan, st, 0), ev, ce->cat);
        if (prev.set)
            res.earlier[res.n_earlier++] = &prev;
        break;
    case TW_CORR_TEMPORAL: step_temporal(plan, corr, st, ce, &res); break;
    case TW_CORR_TEMPORAL_ORDERED: step_temporal_ordered(plan, corr, st, ce, &res); break;
    case TW_CORR_BASELINE_THEN_TRIGGER: step_baseline(plan, corr, st, ce, &res); break;
    case TW_CORR_FIRST_SEEN:
        if (plan->baseline) {
            step_first_seen_baseline(plan, corr, ce, &res);
        } else {
            char words[96];
            st = step_first_seen(corr, st, created, slot, key, ev, cv,
                                 group_words(corr, plan->shared, words, sizeof words), &res);
        }
        break;
    case TW_CORR_QUIET_THEN_TRIGGER: step_quiet(corr, st, ce, &res); break;
    }
    uint32_t detector = det->index + r;
    const char *held_why = NULL;
    if (res.holds && !drift_allowed(rule, detector, ce->ident, ev, emit)) {
        /* drift, but the past it drifts from is not known yet: held back, and recorded at
         * the routine level when the rule has one */
        res.holds = false;
        res.routine = true;
        held_why = "its past is not known yet (learning)";
    }
    if (!res.holds) {
        if (res.routine && rule->routine_level && kind_applies(rule, kind)) {
            char summary[320], call[200];
            snprintf(summary, sizeof summary, "%s: recorded, not alerted: %s (%s, %s)",
                     rule->title, held_why ? held_why : "routine for this identity (its "
                                                        "baseline holds it)",
                     call_words(ev, call, sizeof call), tw_kind_name(kind));
            raise_finding(rt, r, detector, rule->routine_level, kind, ev, emit, NULL, 0,
                          summary);
        }
        return false;
    }
    if (!rule->level)
        return true; /* a building block of other correlations */
    if (!kind_applies(rule, kind))
        return false; /* not meant for this identity: it holds for nothing */
    int64_t period = rule->suppress_ms;
    if (!period && corr->type != TW_CORR_FIRST_SEEN && corr->type != TW_CORR_QUIET_THEN_TRIGGER)
        period = corr->type == TW_CORR_BASELINE_THEN_TRIGGER ? corr->baseline.window_ms
                                                              : corr->timespan_ms;
    /* repeats are counted per identity (a group across identities has no one to update) */
    bool counted = period > 0 && ce->ident;
    tw_str who = ce->ident ? (tw_str){ ce->ident->key, ce->ident->key_len } : TW_STR_NULL;
    if (!once_per(ev->time_ms, period, st->fired, &st->last_fired_ms)) {
        if (counted)
            repeats_held(slot, r, group, detector, ev, emit);
        return true;
    }
    st->fired = 1;
    if (counted)
        repeats_flush_previous(rt, slot, r, group, detector, who, emit);
    char summary[320], call[200];
    snprintf(summary, sizeof summary, "%s: %s (%s, %s)", rule->title, res.detail,
             call_words(ev, call, sizeof call), tw_kind_name(kind));
    tw_severity sev = tw_rules_severity(rule, ev);
    raise_finding(rt, r, detector, sev, kind, ev, emit, res.earlier, res.n_earlier, summary);
    if (counted) /* after: the evidence pointed into the block, which this may move */
        repeats_start(slot, r, group, rule->id, who, ev, sev, kind);
    return true;
}

static void correlations_on_event(const tw_detector *det, rules_slot *slot,
                                  const tw_ident *ident, const tw_event *ev, const tw_emit *emit)
{
    const tw_rules_rt *rt = det->params;
    uint64_t held[(TW_RULES_MAX + 63) / 64];
    memset(held, 0, ((rt->n_rules + 63) / 64) * sizeof held[0]);
    corr_event ce = { ev, held, ident, slot, rt->catalog };
    for (uint32_t o = 0; o < rt->n_corr_run; o++) {
        uint32_t r = rt->corr_order[o];
        const tw_corr *corr = tw_ruleset_rule(rt->rs, r)->correlation;
        bool considered = rt->plan[r].every_event || any_matched(&ce, corr) ||
                          (corr->type == TW_CORR_BASELINE_THEN_TRIGGER && corr->trigger.rule &&
                           matched(&ce, corr->trigger.rule));
        if (considered && run_correlation(det, slot, r, &ce, (tw_kind)ident->kind, emit))
            held[r / 64] |= 1ull << (r % 64);
    }
}

/* ---- the detector --------------------------------------------------------------------- */

static void rules_on_event(const tw_detector *det, void *state, const tw_ident *ident,
                           const tw_event *ev, const tw_emit *emit)
{
    const tw_rules_rt *rt = det->params;
    rules_slot *slot = state;
    for (uint32_t k = 0; k < ev->n_rules; k++) {
        uint32_t r = ev->rules[k];
        if (tw_ruleset_rule(rt->rs, r)->level) /* else a building block of correlations */
            detection_finding(rt, r, det->index + r, slot, ident, ev, emit);
    }
    if ((ev->n_rules || rt->corr_every_event) && rt->n_corr_run)
        correlations_on_event(det, slot, ident, ev, emit);
    if (rt->uses_baseline) /* after the rules: they compare with the past, not this event */
        learn_baseline(slot, ev);
}

/* An event delivered to the record of a group across identities (arg: which of its
 * tw_corr_values). Only the one correlation runs; the actor is the event's identity. */
static void rules_on_group_event(const tw_detector *det, void *state, const tw_event *ev,
                                 uint32_t arg, const tw_emit *emit)
{
    const tw_rules_rt *rt = det->params;
    if (arg >= ev->n_corr_values || !rt->plan[ev->corr_values[arg].rule].shared)
        return;
    uint64_t held[(TW_RULES_MAX + 63) / 64]; /* stays empty: it names detection rules only */
    memset(held, 0, ((rt->n_rules + 63) / 64) * sizeof held[0]);
    corr_event ce = { ev, held, NULL, NULL, rt->catalog };
    run_correlation(det, state, ev->corr_values[arg].rule, &ce, (tw_kind)ev->kind, emit);
}

tw_str tw_rules_group_key(uint32_t rule, uint64_t group, char *buf, uint64_t *hash)
{
    /* \x01 starts no identity key (DESIGN §3: they are printable) */
    int n = snprintf(buf, TW_RULES_GROUP_KEY, "\x01group:%" PRIu32 ":%016" PRIx64, rule, group);
    *hash = tw_hash64(buf, (size_t)n, 0x6772);
    return (tw_str){ buf, (size_t)n };
}

/* The end of a replay: the updates still owed, in the order of the findings they update. */
typedef struct flush_ctx {
    const tw_detector *det;
    tw_str identity;
    const tw_emit *emit;
} flush_ctx;

static void flush_entry(void *ud, uint64_t key, const void *data, uint32_t bytes)
{
    flush_ctx *fc = ud;
    uint32_t rule = (uint32_t)(key >> 32);
    if (!(rule & REPEAT_KEY_BIT) || bytes < sizeof(repeat_slot))
        return;
    rule &= ~REPEAT_KEY_BIT;
    const tw_rules_rt *rt = fc->det->params;
    repeat_slot *rs = (repeat_slot *)data; /* the block is this identity's own */
    if (rule < rt->n_rules)
        emit_update(rt, rule, fc->det->index + rule, fc->identity, rs, true, fc->emit);
    rs->repeats = 0; /* owed no more (a flush at the end, then the teardown's, write it once) */
}

static void rules_flush(const tw_detector *det, void *state, const tw_ident *ident,
                        const tw_emit *emit)
{
    rules_slot *slot = state;
    flush_ctx fc = { det, { ident->key, ident->key_len }, emit };
    tw_sparse_foreach(slot->sp, flush_entry, &fc);
}

static void rules_release(const tw_detector *det, void *state)
{
    (void)det;
    rules_slot *slot = state;
    tw_sparse_free(&slot->sp);
}

/* Checkpoints: the slot's times, then its sparse entries as they are (plain bytes: times,
 * counts, hashes and kept events, no pointers). */
static void save_entry(void *ud, uint64_t key, const void *data, uint32_t bytes)
{
    tw_buf *out = ud;
    tw_wire_u64(out, key);
    tw_wire_bytes(out, data, bytes);
}

static void count_entry(void *ud, uint64_t key, const void *data, uint32_t bytes)
{
    (void)key;
    (void)data;
    (void)bytes;
    (*(uint32_t *)ud)++;
}

static void rules_save(const tw_detector *det, const void *state, tw_buf *out)
{
    (void)det;
    const rules_slot *slot = state;
    uint32_t n = 0;
    tw_sparse_foreach(slot->sp, count_entry, &n);
    tw_wire_u32(out, n);
    tw_sparse_foreach(slot->sp, save_entry, out);
}

static bool rules_load(const tw_detector *det, void *state, tw_wire_reader *in)
{
    (void)det;
    rules_slot *slot = state;
    uint32_t n = tw_wire_get_u32(in);
    for (uint32_t i = 0; i < n && !in->failed; i++) {
        uint64_t key = tw_wire_get_u64(in);
        tw_str data = tw_wire_get_str(in);
        bool created;
        void *e = in->failed ? NULL : tw_sparse_get(&slot->sp, key, (uint32_t)data.len, &created);
        if (!e || !created)
            return false; /* no memory, or a key twice: a damaged checkpoint */
        memcpy(e, data.p, data.len);
        if (key == BASELINE_KEY && !tw_baseline_valid(e, (uint32_t)data.len))
            return false; /* its counts would read past its bytes */
    }
    return !in->failed;
}

static uint32_t rules_state_size(const void *params)
{
    (void)params;
    return sizeof(rules_slot);
}

/* State must outlive the longest period, timespan, baseline or history; a quiet period is
 * only seen while the identity is remembered, so it keeps identities three quiet periods. An
 * identity is remembered a day at least, whatever the rules: its sticky kind (an agent seen
 * once stays an agent) must not depend on which rules are loaded; 30 days when a rule reads
 * the baseline. */
static int64_t rules_horizon(const void *params)
{
    const tw_rules_rt *rt = params;
    int64_t h = 86400000;
    /* a baseline is worth keeping through a monthly job's quiet weeks */
    if (rt->uses_baseline)
        h = 30 * h;
    for (uint32_t i = 0; i < rt->n_rules; i++) {
        const tw_rule *rule = tw_ruleset_rule(rt->rs, i);
        int64_t span = rule->suppress_ms > rule->history_ms ? rule->suppress_ms : rule->history_ms;
        if (rule->correlation && rt->plan[i].run) {
            const tw_corr *corr = rule->correlation;
            int64_t c = corr->timespan_ms;
            if (corr->type == TW_CORR_BASELINE_THEN_TRIGGER)
                c = corr->baseline.window_ms;
            else if (corr->type == TW_CORR_FIRST_SEEN)
                c = corr->first_seen_baseline_ms > 86400000 ? corr->first_seen_baseline_ms
                                                            : 86400000;
            else if (corr->type == TW_CORR_QUIET_THEN_TRIGGER)
                c = 3 * corr->quiet_ms;
            if (c > span)
                span = c;
        }
        if (span > h)
            h = span;
    }
    return h;
}

const tw_detector_ops tw_detect_rules = {
    .meta = NULL, /* each rule brings its own */
    .state_size = rules_state_size,
    .interest = 0,
    .horizon = rules_horizon,
    .on_event = rules_on_event,
    .release = rules_release,
    .on_group_event = rules_on_group_event,
    .save = rules_save,
    .load = rules_load,
    .flush = rules_flush,
};

uint64_t tw_rules_fingerprint(const tw_rules_rt *rt)
{
    /* what a saved state means: the catalog, each rule's id, kind and state layout, in load
     * order */
    uint64_t h = tw_hash64(TW_VERSION, sizeof TW_VERSION - 1, 0x636b);
    h = tw_hash_mix(h ^ TW_RULES_STATE_FORMAT);
    h = tw_hash_mix(h ^ tw_kept_event_fingerprint(rt->catalog)); /* kept events' indices */
    for (uint32_t i = 0; i < rt->n_rules; i++) {
        const tw_rule *rule = tw_ruleset_rule(rt->rs, i);
        h = tw_hash_mix(h ^ tw_hash64(rule->id, strlen(rule->id), i));
        if (rule->correlation) {
            const tw_corr_plan *plan = &rt->plan[i];
            h = tw_hash_mix(h ^ ((uint64_t)rule->correlation->type << 40) ^
                            ((uint64_t)plan->bytes << 8) ^ plan->run ^ ((uint64_t)plan->shared << 1));
        }
    }
    return h;
}
