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
#include "rules_corr_kind.h"

#include "model_change.h"
#include "tw_hash.h"

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
            .author = rule->author,
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

tw_severity tw_rules_severity(const tw_rule *rule, const tw_event *ev)
{
    tw_severity level = rule->level;
    for (uint32_t i = 0; i < rule->n_level_if; i++)
        if (rule->level_if[i].rule && rules_event_matched(ev, rule->level_if[i].rule)) {
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
    const corr_kind *k = rule->correlation ? rules_corr_kind(rule->correlation->type) : NULL;
    return k && k->drift;
}

/* Whether a drift rule may hold for this identity at ev (DESIGN §5): its past known, its own
 * history long enough. Counts what it holds back. */
static bool drift_allowed(const tw_rule *rule, uint32_t detector, const tw_ident *ident,
                          const tw_event *ev, const tw_emit *emit)
{
    if (!ident || !tw_rules_learns(rule))
        return true;
    const tw_stream_info *si = emit->stream;
    bool known =
        !si || ev->stream_start_ms == INT64_MIN ||
        ev->time_ms >= tw_baseline_known_from(ident->first_seen, ev->stream_start_ms, si->learn_ms);
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
        snprintf(buf, size, "attempted %.*s (denied: %.*s)", n, ev->action.p, e, ev->error_code.p);
    else
        snprintf(buf, size, "attempted %.*s (failed: %.*s; it changed nothing)", n, ev->action.p, e,
                 ev->error_code.p);
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
    *rs = (repeat_slot){ .seq = ev->seq,
                         .fired_ms = ev->time_ms,
                         .last_ms = ev->time_ms,
                         .severity = (uint8_t)sev,
                         .kind = (uint8_t)kind };
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
            dup =
                f.evidence[j].time_ms == e.time_ms && tw_str_eq(f.evidence[j].event_id, e.event_id);
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
    if (!kind_applies(rule, (tw_kind)ident->kind) ||
        !drift_allowed(rule, detector, ident, ev, emit))
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

static const tw_corr_value *corr_value_of(const tw_event *ev, uint32_t rule)
{
    for (uint32_t k = 0; k < ev->n_corr_values; k++)
        if (ev->corr_values[k].rule == rule)
            return &ev->corr_values[k];
    return NULL;
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
    corr_step cs = { plan, corr, st, created, slot, key, ce, cv, plan->shared };
    rules_corr_kind(corr->type)->step(&cs, &res);
    st = cs.st; /* a kind may have grown it */
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
            snprintf(summary, sizeof summary, "%s: recorded, not alerted: %s (%s, %s)", rule->title,
                     held_why ? held_why
                              : "routine for this identity (its "
                                "baseline holds it)",
                     call_words(ev, call, sizeof call), tw_kind_name(kind));
            raise_finding(rt, r, detector, rule->routine_level, kind, ev, emit, NULL, 0, summary);
        }
        return false;
    }
    if (!rule->level)
        return true; /* a building block of other correlations */
    if (!kind_applies(rule, kind))
        return false; /* not meant for this identity: it holds for nothing */
    int64_t period =
        rule->suppress_ms ? rule->suppress_ms : rules_corr_kind(corr->type)->period(corr);
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

static void correlations_on_event(const tw_detector *det, rules_slot *slot, const tw_ident *ident,
                                  const tw_event *ev, const tw_emit *emit)
{
    const tw_rules_rt *rt = det->params;
    uint64_t held[(TW_RULES_MAX + 63) / 64];
    memset(held, 0, ((rt->n_rules + 63) / 64) * sizeof held[0]);
    corr_event ce = { ev, held, ident, slot, rt->catalog };
    for (uint32_t o = 0; o < rt->n_corr_run; o++) {
        uint32_t r = rt->corr_order[o];
        const tw_corr *corr = tw_ruleset_rule(rt->rs, r)->correlation;
        bool considered = rt->plan[r].every_event || rules_any_matched(&ce, corr) ||
                          (corr->type == TW_CORR_BASELINE_THEN_TRIGGER && corr->trigger.rule &&
                           rules_matched(&ce, corr->trigger.rule));
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
            int64_t c = rules_corr_kind(corr->type)->horizon(corr);
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
                            ((uint64_t)plan->bytes << 8) ^ plan->run ^
                            ((uint64_t)plan->shared << 1));
        }
    }
    return h;
}
