/* app_rules_run: Sigma detection rules (-r) in the replay pipeline.
 *
 * Where the work happens: a rule's condition reads record fields that the event does not
 * carry, and the record's JSON text is only in memory while its chunk is parsed. So each
 * parser thread evaluates, in its event hook, the candidate rules the index gives for the
 * event (the field values it reads come from the normalized event when it has them, else
 * from a lookup in the record's own JSON span), and writes the indices of the rules that
 * matched on the event. The worker that owns the identity turns them into findings: there,
 * per-identity state applies the `trailwarden: suppress` extension, and findings take their
 * place in the deterministic output order (seq, then detector: the built-in detections first,
 * then the rules in load order).
 *
 * Correlation rules grouped by identity (no group-by, or identity.key) run in the same
 * worker, on the rules each event matched: event_count with a lower bound (gt, gte: a ring of
 * the last N matching times, as agent-read-to-destructive keeps), value_count with a lower
 * bound (the N most recently seen distinct values of the field, by hash, with their times:
 * the field is read and hashed on the parser thread), temporal and temporal_ordered (the last
 * time each referenced rule matched; for the ordered kind, the start of the latest chain that
 * reached each step). A correlation fires once per timespan (or per its `suppress`). Other
 * correlations (other groupings, the extensions, correlations of correlations) are loaded and
 * checked; replay says on stderr that it does not evaluate them yet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_pipeline.h"
#include "detect_evidence.h"
#include "tw_hash.h"

/* ---- correlations: which run, and their state ------------------------------------------ */

#define CORR_MAX_RULES 32    /* referenced rules of a temporal correlation */
#define CORR_MAX_RING 128    /* event_count thresholds: every identity record carries the ring */

/* The state of one correlation for one identity: when it last fired, then per type either a
 * ring of times (event_count) or a time per referenced rule (temporal kinds). */
typedef struct corr_state {
    int64_t last_fired_ms;
    uint32_t fired;
    uint32_t ring_pos;
    uint32_t ring_count;
    uint32_t set;            /* temporal: bit j = referenced rule j has a time */
    int64_t t[];             /* ring, or one time per referenced rule */
} corr_state;

static bool grouped_by_identity(const tw_corr *corr)
{
    for (uint32_t g = 0; g < corr->n_group_by; g++)
        if (corr->group_by[g]->kind != TW_FIELD_IDENTITY_KEY)
            return false;
    return true;
}

/* Bytes of state a correlation needs, or 0 when replay does not evaluate it. */
static uint32_t corr_state_bytes(tw_rules_rt *rt, const tw_rule *rule)
{
    const tw_corr *corr = rule->correlation;
    if (!corr || !rule->level || !grouped_by_identity(corr) || corr->n_rules == 0)
        return 0;
    for (uint32_t k = 0; k < corr->n_rules; k++)
        if (corr->rules[k]->correlation)
            return 0; /* a correlation of correlations */
    switch (corr->type) {
    case TW_CORR_EVENT_COUNT:
        if (!corr->has_count || corr->count_max != UINT64_MAX || corr->count_min == 0 ||
            corr->count_min > CORR_MAX_RING)
            return 0;
        rt->ring[rule->index] = (uint32_t)corr->count_min;
        return (uint32_t)(sizeof(corr_state) + corr->count_min * sizeof(int64_t));
    case TW_CORR_VALUE_COUNT:
        /* pairs (time, value hash) */
        if (!corr->field || !corr->has_count || corr->count_max != UINT64_MAX ||
            corr->count_min == 0 || corr->count_min > CORR_MAX_RING)
            return 0;
        rt->ring[rule->index] = (uint32_t)corr->count_min;
        return (uint32_t)(sizeof(corr_state) + corr->count_min * 2 * sizeof(int64_t));
    case TW_CORR_TEMPORAL:
    case TW_CORR_TEMPORAL_ORDERED:
        if (corr->n_rules > CORR_MAX_RULES)
            return 0;
        return (uint32_t)(sizeof(corr_state) + corr->n_rules * sizeof(int64_t));
    case TW_CORR_BASELINE_THEN_TRIGGER:
        /* a ring of the last min_events times, then the last event outside the baseline
         * classes */
        if (corr->baseline.min_events == 0 || corr->baseline.min_events > CORR_MAX_RING ||
            (corr->trigger.rule && corr->trigger.rule->correlation))
            return 0;
        rt->ring[rule->index] = corr->baseline.min_events;
        if (corr->n_rules == 0)
            rt->corr_every_event = true;
        return (uint32_t)(sizeof(corr_state) + (corr->baseline.min_events + 1) * sizeof(int64_t));
    default:
        return 0;
    }
}

/* How long a correlation's state matters, and its default once-per period. */
static int64_t corr_span(const tw_corr *corr)
{
    return corr->type == TW_CORR_BASELINE_THEN_TRIGGER ? corr->baseline.window_ms
                                                       : corr->timespan_ms;
}

/* ---- loading -------------------------------------------------------------------------- */

tw_err tw_rules_rt_new(const char *const *paths, size_t n_paths, tw_rules_rt **out)
{
    *out = NULL;
    tw_rules_rt *rt = calloc(1, sizeof *rt);
    if (!rt)
        return TW_ERR_NOMEM;
    tw_err err = tw_ruleset_load(paths, n_paths, &rt->rs);
    if (err == TW_ERR_NOMEM || !rt->rs) {
        free(rt);
        return TW_ERR_NOMEM;
    }
    *out = rt;
    if (err != TW_OK || tw_ruleset_diag_count(rt->rs))
        return TW_ERR_INVALID; /* the caller prints the diagnostics */
    if (tw_rules_eval_new(rt->rs, &rt->eval) != TW_OK ||
        tw_rules_index_new(rt->rs, &rt->index) != TW_OK)
        return TW_ERR_NOMEM;
    rt->n_rules = (uint32_t)tw_ruleset_count(rt->rs);
    rt->meta = calloc(rt->n_rules ? rt->n_rules : 1, sizeof *rt->meta);
    rt->suppress_off = calloc(rt->n_rules ? rt->n_rules : 1, sizeof *rt->suppress_off);
    rt->corr_off = calloc(rt->n_rules ? rt->n_rules : 1, sizeof *rt->corr_off);
    rt->ring = calloc(rt->n_rules ? rt->n_rules : 1, sizeof *rt->ring);
    rt->value_counts = calloc(rt->n_rules ? rt->n_rules : 1, sizeof *rt->value_counts);
    rt->types = calloc(rt->n_rules ? rt->n_rules : 1, sizeof *rt->types);
    if (!rt->meta || !rt->suppress_off || !rt->corr_off || !rt->ring || !rt->value_counts ||
        !rt->types)
        return TW_ERR_NOMEM;
    uint32_t off = 0;
    for (uint32_t i = 0; i < rt->n_rules; i++) {
        const tw_rule *rule = tw_ruleset_rule(rt->rs, i);
        if (rule->correlation) {
            rt->n_correlations++;
        } else if (rule->level) {
            rt->n_detections++;
        }
        /* OCSF types: the rule's own, else none (NULL-terminated copy) */
        rt->types[i] = calloc(rule->n_finding_types + 1, sizeof *rt->types[i]);
        if (!rt->types[i])
            return TW_ERR_NOMEM;
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
        rt->suppress_off[i] = UINT32_MAX;
        rt->corr_off[i] = UINT32_MAX;
        if (rule->suppress_ms > 0 && !rule->correlation) {
            rt->suppress_off[i] = off;
            off += (uint32_t)sizeof(int64_t) * 2; /* last firing, and whether there was one */
        }
        uint32_t bytes = corr_state_bytes(rt, rule);
        if (bytes) {
            rt->corr_off[i] = off;
            off += (bytes + 7) & ~7u;
            rt->n_corr_run++;
            if (rule->correlation->type == TW_CORR_VALUE_COUNT)
                rt->value_counts[rt->n_value_counts++] = i;
        }
    }
    rt->state_bytes = off;
    return TW_OK;
}

void tw_rules_rt_destroy(tw_rules_rt *rt)
{
    if (!rt)
        return;
    for (uint32_t i = 0; rt->types && i < rt->n_rules; i++)
        free(rt->types[i]);
    free(rt->types);
    free(rt->meta);
    free(rt->suppress_off);
    free(rt->corr_off);
    free(rt->ring);
    free(rt->value_counts);
    tw_rules_index_destroy(rt->index);
    tw_rules_eval_destroy(rt->eval);
    tw_ruleset_destroy(rt->rs);
    free(rt);
}

/* ---- evaluation on the parser thread --------------------------------------------------- */

struct tw_rules_ctx {
    const tw_rules_rt *rt;
    tw_regex_scratch *scratch;
    tw_arena arena;          /* this event's field values and copied strings */
    uint32_t epoch;          /* bumped per event: a field's cache entry is valid for one */
    uint32_t *seen;          /* per field: the epoch its values were fetched in */
    uint32_t *n_vals;
    const tw_field_value **vals;
    tw_field_value *single;  /* per field: the value, when there is exactly one (no arena) */
    uint32_t *candidates;
    /* the event being evaluated */
    const tw_event *ev;
    tw_str raw;              /* the record's JSON text */
    tw_str params;           /* its requestParameters: most rule fields live there */
    tw_json *js;
    /* a lookup's values, gathered before they are copied */
    tw_field_value *gather;
    uint32_t n_gather, cap_gather;
    bool failed;
};

tw_rules_ctx *tw_rules_ctx_new(const tw_rules_rt *rt)
{
    tw_rules_ctx *cx = calloc(1, sizeof *cx);
    if (!cx)
        return NULL;
    size_t n_fields = tw_ruleset_field_count(rt->rs);
    cx->rt = rt;
    cx->scratch = tw_regex_scratch_new();
    cx->seen = calloc(n_fields + 1, sizeof *cx->seen);
    cx->n_vals = calloc(n_fields + 1, sizeof *cx->n_vals);
    cx->vals = calloc(n_fields + 1, sizeof *cx->vals);
    cx->single = calloc(n_fields + 1, sizeof *cx->single);
    cx->candidates = calloc(tw_rules_index_capacity(rt->index) + 1, sizeof *cx->candidates);
    cx->cap_gather = 64;
    cx->gather = calloc(cx->cap_gather, sizeof *cx->gather);
    tw_arena_init(&cx->arena, 16384);
    if (!cx->scratch || !cx->seen || !cx->n_vals || !cx->vals || !cx->single || !cx->candidates ||
        !cx->gather) {
        tw_rules_ctx_destroy(cx);
        return NULL;
    }
    return cx;
}

void tw_rules_ctx_destroy(tw_rules_ctx *cx)
{
    if (!cx)
        return;
    tw_regex_scratch_destroy(cx->scratch);
    tw_arena_free(&cx->arena);
    free(cx->seen);
    free(cx->n_vals);
    free(cx->vals);
    free(cx->single);
    free(cx->candidates);
    free(cx->gather);
    free(cx);
}

static void gather_value(void *ud, const tw_json_value *v)
{
    tw_rules_ctx *cx = ud;
    if (cx->n_gather == cx->cap_gather)
        return; /* more than 64 values in one field: the rest are not looked at */
    tw_field_value *fv = &cx->gather[cx->n_gather++];
    memset(fv, 0, sizeof *fv);
    int failed = 0;
    switch (v->type) {
    case TW_JV_NULL: fv->type = TW_FV_NULL; break;
    case TW_JV_BOOL:
        fv->type = TW_FV_BOOL;
        fv->boolean = v->boolean;
        fv->text = v->text;
        break;
    case TW_JV_NUMBER:
        fv->type = TW_FV_NUMBER;
        fv->number = v->number;
        fv->text = tw_arena_dup(&cx->arena, v->text, &failed); /* the parser reuses its buffer */
        break;
    case TW_JV_STRING:
        fv->type = TW_FV_STRING;
        fv->text = tw_arena_dup(&cx->arena, v->text, &failed);
        break;
    case TW_JV_OBJECT: fv->type = TW_FV_OBJECT; break;
    }
    if (failed)
        cx->failed = true;
}

/* Record fields the normalized event already holds, with the same meaning. */
static bool event_field(const tw_event *ev, const tw_field *field, tw_str *out)
{
    if (field->n_path == 1) {
        tw_str k = field->path[0];
        if (tw_str_eq_c(k, "eventName"))
            *out = ev->event_name;
        else if (tw_str_eq_c(k, "eventSource"))
            *out = ev->event_source;
        else if (tw_str_eq_c(k, "awsRegion"))
            *out = ev->region;
        else if (tw_str_eq_c(k, "errorCode"))
            *out = ev->error_code;
        else if (tw_str_eq_c(k, "sourceIPAddress"))
            *out = ev->source_ip;
        else if (tw_str_eq_c(k, "userAgent"))
            *out = ev->user_agent;
        else if (tw_str_eq_c(k, "eventID"))
            *out = ev->event_id;
        else
            return false;
        return !(ev->flags & TW_EV_INVOCATION_LOG);
    }
    return false;
}

static uint32_t source_get(void *ctx, const tw_field *field, const tw_field_value **values)
{
    tw_rules_ctx *cx = ctx;
    uint32_t i = field->index;
    if (cx->seen[i] == cx->epoch) {
        *values = cx->vals[i];
        return cx->n_vals[i];
    }
    const tw_event *ev = cx->ev;
    tw_field_value one;
    memset(&one, 0, sizeof one);
    cx->n_gather = 0;
    tw_str s;
    switch (field->kind) {
    case TW_FIELD_ACTION:
        one.type = TW_FV_STRING;
        one.text = ev->action;
        cx->gather[cx->n_gather++] = one;
        break;
    case TW_FIELD_IDENTITY_KEY:
        one.type = TW_FV_STRING;
        one.text = ev->identity;
        cx->gather[cx->n_gather++] = one;
        break;
    case TW_FIELD_ACTION_LEVEL:
        one.type = TW_FV_BITS;
        one.bits = ev->level;
        cx->gather[cx->n_gather++] = one;
        break;
    case TW_FIELD_ACTION_CLASS:
        one.type = TW_FV_BITS;
        one.bits = ev->classes;
        cx->gather[cx->n_gather++] = one;
        break;
    case TW_FIELD_IDENTITY_KIND:
        one.type = TW_FV_BITS;
        one.bits = 1u << ev->kind;
        cx->gather[cx->n_gather++] = one;
        break;
    case TW_FIELD_ERROR_DENIED:
        one.type = TW_FV_BOOL;
        one.boolean = (ev->flags & TW_EV_DENIED) != 0;
        one.text = one.boolean ? TW_STR_LIT("true") : TW_STR_LIT("false");
        cx->gather[cx->n_gather++] = one;
        break;
    case TW_FIELD_RECORD:
        if (event_field(ev, field, &s)) {
            if (s.len) {
                one.type = TW_FV_STRING;
                one.text = s;
                cx->gather[cx->n_gather++] = one;
            }
        } else if (field->n_path > 1 && tw_str_eq_c(field->path[0], "requestParameters")) {
            /* a few hundred bytes to parse rather than the whole record */
            if (cx->params.len)
                tw_json_lookup(cx->js, cx->params.p, cx->params.len,
                               cx->params.len + TW_JSON_PADDING, field->path + 1,
                               field->n_path - 1, gather_value, cx);
        } else if (cx->raw.len) {
            tw_json_lookup(cx->js, cx->raw.p, cx->raw.len, cx->raw.len + TW_JSON_PADDING,
                           field->path, field->n_path, gather_value, cx);
        }
        break;
    }
    tw_field_value *kept = NULL;
    if (cx->n_gather == 1) {
        kept = &cx->single[i];
        *kept = cx->gather[0];
    } else if (cx->n_gather) {
        kept = tw_arena_alloc(&cx->arena, cx->n_gather * sizeof *kept);
        if (kept)
            memcpy(kept, cx->gather, cx->n_gather * sizeof *kept);
        else
            cx->failed = true;
    }
    cx->seen[i] = cx->epoch;
    cx->vals[i] = kept;
    cx->n_vals[i] = kept ? cx->n_gather : 0;
    *values = kept;
    return cx->n_vals[i];
}

/* Whether the event matched detection rule rule_index (the parser's evaluation). */
static bool matched(const tw_event *ev, uint32_t rule_index)
{
    for (uint32_t k = 0; k < ev->n_rules; k++)
        if (ev->rules[k] == rule_index)
            return true;
    return false;
}

/* For each value_count correlation that a rule the event matched feeds: the hash of the
 * field's first value (an event without the field gives none). */
static void collect_corr_values(tw_rules_ctx *cx, tw_event *ev, const tw_field_source *src,
                                tw_batch *batch)
{
    const tw_rules_rt *rt = cx->rt;
    tw_corr_value found[16];
    uint32_t n = 0;
    for (uint32_t v = 0; v < rt->n_value_counts && n < 16; v++) {
        const tw_rule *rule = tw_ruleset_rule(rt->rs, rt->value_counts[v]);
        const tw_corr *corr = rule->correlation;
        bool feeds = false;
        for (uint32_t k = 0; k < corr->n_rules && !feeds; k++)
            feeds = matched(ev, corr->rules[k]->index);
        if (!feeds)
            continue;
        const tw_field_value *vals;
        if (!src->get(src->ctx, corr->field, &vals))
            continue;
        tw_str text = vals[0].text;
        uint64_t h = vals[0].type == TW_FV_BITS ? tw_hash_mix(vals[0].bits)
                                                : tw_hash64_lower(text.p, text.len, 0x7661);
        found[n++] = (tw_corr_value){ rule->index, h };
    }
    if (!n)
        return;
    tw_corr_value *keep = tw_arena_alloc(&batch->arena, n * sizeof *keep);
    if (!keep)
        return;
    memcpy(keep, found, n * sizeof *keep);
    ev->corr_values = keep;
    ev->n_corr_values = n;
}

void tw_rules_hook(void *ud, tw_event *ev, const tw_raw_record *rec, tw_json *js,
                   tw_batch *batch)
{
    tw_rules_ctx *cx = ud;
    const tw_rules_rt *rt = cx->rt;
    tw_rule_source source = (ev->flags & TW_EV_INVOCATION_LOG) ? TW_SOURCE_BEDROCK
                                                                : TW_SOURCE_CLOUDTRAIL;
    uint32_t n = tw_rules_index_lookup(rt->index, source, ev->event_name, ev->event_source,
                                       ev->action, cx->candidates);
    if (!n)
        return;
    if (++cx->epoch == 0) {
        memset(cx->seen, 0, (tw_ruleset_field_count(rt->rs) + 1) * sizeof *cx->seen);
        cx->epoch = 1;
    }
    tw_arena_reset(&cx->arena);
    cx->ev = ev;
    cx->raw = rec->raw;
    cx->params = rec->request_params;
    cx->js = js;
    const tw_field_source src = { source_get, cx };
    uint32_t matched = 0;
    for (uint32_t k = 0; k < n; k++) {
        const tw_rule *rule = tw_ruleset_rule(rt->rs, cx->candidates[k]);
        if (tw_rules_eval_rule(rt->eval, rule, &src, cx->scratch))
            cx->candidates[matched++] = cx->candidates[k];
    }
    if (!matched)
        return;
    uint32_t *keep = tw_arena_alloc(&batch->arena, matched * sizeof *keep);
    if (!keep)
        return; /* out of memory: the matches are lost for this event, nothing else */
    memcpy(keep, cx->candidates, matched * sizeof *keep);
    ev->rules = keep;
    ev->n_rules = matched;
    if (rt->n_value_counts)
        collect_corr_values(cx, ev, &src, batch);
}

/* ---- findings on the worker ---------------------------------------------------------- */

typedef struct suppress_slot {
    int64_t last_ms;
    int64_t fired;
} suppress_slot;

static void correlations_on_event(const tw_detector *det, unsigned char *state,
                                  const tw_ident *ident, const tw_event *ev, const tw_emit *emit);

/* Once per period of event time: false while the last firing is less than period before t
 * (a late event, older than the last firing, is let through). */
static bool once_per(int64_t t, int64_t period, bool fired_before, int64_t *last_ms)
{
    if (fired_before && t - *last_ms < period && t >= *last_ms)
        return false;
    *last_ms = t;
    return true;
}

/* The finding of rule r (a detection or a correlation), cited by the event ev. */
static void raise_finding(const tw_rules_rt *rt, uint32_t r, uint32_t detector,
                          const tw_ident *ident, const tw_event *ev, const tw_emit *emit,
                          const char *summary)
{
    const tw_rule *rule = tw_ruleset_rule(rt->rs, r);
    tw_rule_meta meta = rt->meta[r];
    if ((ev->flags & TW_EV_DENIED) && rule->denied_level)
        meta.severity = rule->denied_level;
    tw_finding f = { 0 };
    f.rule = &meta;
    f.ev = ev;
    f.kind = (tw_kind)ident->kind;
    f.first_seen_ms = ev->time_ms;
    f.evidence[f.n_evidence++] = tw_event_evidence(ev);
    snprintf(f.summary, sizeof f.summary, "%s", summary);
    emit->fn(emit->ud, &f, detector);
}

static void rules_on_event(const tw_detector *det, void *state, const tw_ident *ident,
                           const tw_event *ev, const tw_emit *emit)
{
    const tw_rules_rt *rt = det->params;
    for (uint32_t k = 0; k < ev->n_rules; k++) {
        uint32_t r = ev->rules[k];
        const tw_rule *rule = tw_ruleset_rule(rt->rs, r);
        if (!rule->level)
            continue; /* a building block: it only feeds correlations */
        if (rt->suppress_off[r] != UINT32_MAX) {
            suppress_slot *slot = (suppress_slot *)((unsigned char *)state + rt->suppress_off[r]);
            if (!once_per(ev->time_ms, rule->suppress_ms, slot->fired, &slot->last_ms))
                continue;
            slot->fired = 1;
        }
        char summary[320];
        snprintf(summary, sizeof summary, "%s %.*s: %s",
                 (ev->flags & TW_EV_FAILED) ? "attempted" : "called", (int)ev->action.len,
                 ev->action.p, rule->title);
        raise_finding(rt, r, det->index + r, ident, ev, emit, summary);
    }
    if ((ev->n_rules || rt->corr_every_event) && rt->n_corr_run)
        correlations_on_event(det, (unsigned char *)state, ident, ev, emit);
}

/* Updates one correlation's state with the event; true when its condition holds now. */
static bool corr_step(const tw_rules_rt *rt, const tw_rule *rule, corr_state *st,
                      const tw_event *ev)
{
    const tw_corr *corr = rule->correlation;
    int64_t t = ev->time_ms, span = corr->timespan_ms;
    switch (corr->type) {
    case TW_CORR_EVENT_COUNT: {
        bool any = false;
        for (uint32_t k = 0; k < corr->n_rules && !any; k++)
            any = matched(ev, corr->rules[k]->index);
        if (!any)
            return false;
        uint32_t n = rt->ring[rule->index];
        st->t[st->ring_pos] = t;
        st->ring_pos = (st->ring_pos + 1) % n;
        if (st->ring_count < n)
            st->ring_count++;
        /* the oldest of the last n matching events, the current one included */
        return st->ring_count == n && st->t[st->ring_pos] >= t - span;
    }
    case TW_CORR_VALUE_COUNT: {
        const tw_corr_value *cv = NULL;
        for (uint32_t k = 0; k < ev->n_corr_values && !cv; k++)
            if (ev->corr_values[k].rule == rule->index)
                cv = &ev->corr_values[k];
        if (!cv)
            return false;
        /* t[2i] the last time value i was seen, t[2i+1] its hash: the n most recently seen
         * distinct values, so "n distinct within the timespan" is exact */
        uint32_t n = rt->ring[rule->index], slot = st->ring_count, oldest = 0;
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
            distinct += st->t[2 * i] >= t - span;
        return distinct >= corr->count_min;
    }
    case TW_CORR_BASELINE_THEN_TRIGGER: {
        /* agent-read-to-destructive as a rule: at least n events in the window (t - w, t)
         * before the trigger, every one of them of a baseline class */
        bool considered = corr->n_rules == 0;
        for (uint32_t k = 0; k < corr->n_rules && !considered; k++)
            considered = matched(ev, corr->rules[k]->index);
        if (!considered)
            return false;
        uint32_t n = rt->ring[rule->index];
        int64_t w = corr->baseline.window_ms;
        bool trigger = (!corr->trigger.classes || (ev->classes & corr->trigger.classes)) &&
                       (!corr->trigger.rule || matched(ev, corr->trigger.rule->index)) &&
                       (corr->trigger.classes || corr->trigger.rule);
        bool holds = trigger && st->ring_count == n && st->t[st->ring_pos] > t - w &&
                     (!(st->set & 1u) || st->t[n] <= t - w);
        st->t[st->ring_pos] = t;
        st->ring_pos = (st->ring_pos + 1) % n;
        if (st->ring_count < n)
            st->ring_count++;
        if (!(ev->classes & corr->baseline.classes) && (!(st->set & 1u) || t > st->t[n])) {
            st->t[n] = t;
            st->set |= 1u;
        }
        return holds;
    }
    case TW_CORR_TEMPORAL: {
        bool any = false;
        for (uint32_t k = 0; k < corr->n_rules; k++) {
            if (matched(ev, corr->rules[k]->index)) {
                st->t[k] = t;
                st->set |= 1u << k;
                any = true;
            }
        }
        if (!any)
            return false;
        uint64_t distinct = 0;
        for (uint32_t k = 0; k < corr->n_rules; k++)
            distinct += (st->set & (1u << k)) && st->t[k] >= t - span;
        return distinct >= corr->count_min && distinct <= corr->count_max;
    }
    case TW_CORR_TEMPORAL_ORDERED: {
        /* t[k]: the start of the latest chain that reached step k; later steps first, so one
         * event does not climb two steps */
        bool done = false;
        for (uint32_t k = corr->n_rules; k-- > 0;) {
            if (!matched(ev, corr->rules[k]->index))
                continue;
            if (k == 0) {
                st->t[0] = t;
                st->set |= 1u;
            } else if ((st->set & (1u << (k - 1))) && t - st->t[k - 1] <= span) {
                st->t[k] = st->t[k - 1];
                st->set |= 1u << k;
                if (k == corr->n_rules - 1)
                    done = true;
            }
        }
        return done || (corr->n_rules == 1 && matched(ev, corr->rules[0]->index));
    }
    default:
        return false;
    }
}

static void correlations_on_event(const tw_detector *det, unsigned char *state,
                                  const tw_ident *ident, const tw_event *ev, const tw_emit *emit)
{
    const tw_rules_rt *rt = det->params;
    for (uint32_t r = 0; r < rt->n_rules; r++) {
        if (rt->corr_off[r] == UINT32_MAX)
            continue;
        const tw_rule *rule = tw_ruleset_rule(rt->rs, r);
        corr_state *st = (corr_state *)(state + rt->corr_off[r]);
        if (!corr_step(rt, rule, st, ev))
            continue;
        int64_t period = rule->suppress_ms ? rule->suppress_ms : corr_span(rule->correlation);
        if (!once_per(ev->time_ms, period, st->fired, &st->last_fired_ms))
            continue;
        st->fired = 1;
        char summary[320];
        snprintf(summary, sizeof summary, "%s (%s within %lld min), at %.*s", rule->title,
                 tw_corr_type_name(rule->correlation->type),
                 (long long)(corr_span(rule->correlation) / 60000), (int)ev->action.len,
                 ev->action.p);
        raise_finding(rt, r, det->index + r, ident, ev, emit, summary);
    }
}

static uint32_t rules_state_size(const void *params)
{
    const tw_rules_rt *rt = params;
    return rt->state_bytes;
}

/* Suppression and correlation state must outlive the longest period or timespan. */
static int64_t rules_horizon(const void *params)
{
    const tw_rules_rt *rt = params;
    int64_t h = 0;
    for (uint32_t i = 0; i < rt->n_rules; i++) {
        const tw_rule *rule = tw_ruleset_rule(rt->rs, i);
        if (rule->suppress_ms > h)
            h = rule->suppress_ms;
        if (rt->corr_off[i] != UINT32_MAX && corr_span(rule->correlation) > h)
            h = corr_span(rule->correlation);
    }
    return h;
}

const tw_detector_ops tw_detect_rules = {
    .meta = NULL, /* each rule brings its own */
    .state_size = rules_state_size,
    .interest = 0,
    .horizon = rules_horizon,
    .on_event = rules_on_event,
};
