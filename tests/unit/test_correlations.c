/* detect/: every correlation type the rules' runtime evaluates (event_count, value_count,
 * temporal, temporal_ordered, baseline_then_trigger, first_seen, quiet_then_trigger), with
 * small synthetic rules written inline, run by the rules' detector over the engine and the
 * state store, event by event with time injected. Each test pins a window in event time and
 * its bounds as README.md "Rules" documents them ("Timespans include their bounds";
 * baseline_then_trigger's window is (t - DUR, t); first_seen fires once the group has been
 * known for the baseline; quiet_then_trigger after at least `quiet`), the once-per-timespan
 * and `suppress` periods, grouping by identity.key plus another field, and that identities
 * never share state.
 *
 * The harness plays the parser's part (detect/rules_match.c): it evaluates each detection rule
 * on the event (virtual fields and the record fields the test gives) and marks the matches on
 * it, and for the correlations that read fields it hashes their group-by and field values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_test.h"

#include "detect.h"
#include "rules_match.h"
#include "rules_run.h"
#include "state_sparse.h"
#include "tw_hash.h"
#include "tw_time.h"
#include "tw_wire.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

#define MAX_FINDINGS 64

typedef struct finding_rec {
    char rule[64];
    char identity[32];
    int64_t time_ms;
    tw_severity severity;
    bool details;
} finding_rec;

typedef struct update_rec {
    uint32_t count;
    int64_t first_ms, last_ms;
    bool at_end;
} update_rec;

typedef struct harness {
    tw_engine *eng;
    tw_state *st;
    tw_rules_rt *rt;
    int n;
    finding_rec f[MAX_FINDINGS];
    tw_stream_info stream; /* learning: used when learn is set (the stream starts at 0) */
    bool learn;
    uint64_t held[64];    /* held back while learning, by detector index (= rule index) */
    uint64_t repeats[64]; /* held back by suppression periods */
    int n_updates;
    update_rec u[MAX_FINDINGS];
} harness;

static void capture(void *ud, const tw_finding *f, uint32_t det)
{
    harness *h = ud;
    (void)det;
    if (f->update) { /* the repeats of an earlier finding: kept apart */
        assert_true(h->n_updates < MAX_FINDINGS);
        h->u[h->n_updates++] =
            (update_rec){ f->count, f->first_seen_ms, f->last_seen_ms, f->has_order };
        return;
    }
    assert_true(h->n < MAX_FINDINGS);
    finding_rec *r = &h->f[h->n++];
    snprintf(r->rule, sizeof r->rule, "%s", f->rule->id);
    snprintf(r->identity, sizeof r->identity, "%.*s", (int)f->ev->identity.len, f->ev->identity.p);
    r->time_ms = f->ev->time_ms;
    r->severity = f->rule->severity;
    r->details = f->details.len > 0;
}

/* Findings of one rule (NULL: any), of one identity (NULL: any). */
static int fired(const harness *h, const char *rule, const char *identity)
{
    int n = 0;
    for (int i = 0; i < h->n; i++)
        n += (!rule || !strcmp(h->f[i].rule, rule)) &&
             (!identity || !strcmp(h->f[i].identity, identity));
    return n;
}

static void setup(harness *h, const char *yaml)
{
    memset(h, 0, sizeof *h);
    tw_ruleset *rs = tw_ruleset_new();
    assert_non_null(rs);
    tw_err add = tw_ruleset_add_buffer(rs, "corr.yml", yaml, strlen(yaml));
    tw_err fin = tw_ruleset_finish(rs);
    for (size_t i = 0; i < tw_ruleset_diag_count(rs); i++)
        fprintf(stderr, "%s\n", tw_ruleset_diag(rs, i));
    assert_int_equal(add, TW_OK);
    assert_int_equal(fin, TW_OK);
    assert_int_equal(tw_rules_rt_new(rs, NULL, &h->rt), TW_OK);
    /* every correlation of the test must run (none left out as unsupported) */
    for (uint32_t i = 0; i < h->rt->n_rules; i++)
        if (tw_ruleset_rule(h->rt->rs, i)->correlation)
            assert_true(h->rt->plan[i].run);
    h->eng = tw_engine_new();
    assert_int_equal(tw_engine_add(h->eng, &tw_detect_rules, h->rt), TW_OK);
    assert_int_equal(tw_engine_compile(h->eng), TW_OK);
    tw_state_conf conf = { .idle_ms = tw_engine_horizon(h->eng),
                           .slot_bytes = tw_engine_state_bytes(h->eng),
                           .seed = 1,
                           .release = tw_engine_release,
                           .release_ud = h->eng };
    char err[64];
    h->st = tw_state_new(&conf, err, sizeof err);
    assert_non_null(h->st);
}

static void teardown(harness *h)
{
    tw_state_destroy(h->st);
    tw_engine_destroy(h->eng);
    tw_rules_rt_destroy(h->rt);
}

/* ---- the parser's part ---------------------------------------------------------------- */

/* The event being fed, with the record fields the test gives ("name", "value", ..., NULL). */
typedef struct fed_event {
    tw_event ev;
    const char *const *record;
    tw_field_value vals[64]; /* by field index: FIELDREF may hold two at once */
} fed_event;

static uint32_t source_get(void *ctx, const tw_field *field, const tw_field_value **values)
{
    fed_event *fe = ctx;
    const tw_event *ev = &fe->ev;
    assert_true(field->index < 64);
    tw_field_value *v = &fe->vals[field->index];
    memset(v, 0, sizeof *v);
    switch (field->kind) {
    case TW_FIELD_ACTION:
        v->type = TW_FV_STRING;
        v->text = ev->action;
        break;
    case TW_FIELD_IDENTITY_KEY:
        v->type = TW_FV_STRING;
        v->text = ev->identity;
        break;
    case TW_FIELD_ACTION_CLASS:
        v->type = TW_FV_BITS;
        v->bits = ev->classes;
        break;
    case TW_FIELD_IDENTITY_KIND:
        v->type = TW_FV_BITS;
        v->bits = 1u << ev->kind;
        break;
    case TW_FIELD_ERROR_DENIED:
        v->type = TW_FV_BOOL;
        v->boolean = (ev->flags & TW_EV_DENIED) != 0;
        break;
    case TW_FIELD_RECORD: {
        const char *const *r = fe->record;
        for (; r && r[0]; r += 2)
            if (!strcmp(r[0], field->name))
                break;
        if (!r || !r[0])
            return 0;
        v->type = TW_FV_STRING;
        v->text = tw_str_c(r[1]);
        break;
    }
    default:
        return 0;
    }
    *values = v;
    return 1;
}

/* As the parser's hook does (detect/rules_match.c): the hashes of the values of the
 * correlations the event feeds. */
static uint32_t collect_corr_values(const tw_rules_rt *rt, fed_event *fe, tw_corr_value *out)
{
    const tw_field_source src = { source_get, fe, NULL };
    return tw_rules_corr_values(rt, &fe->ev, &src, NULL, out, 32);
}

static void feed_full(harness *h, const char *who, tw_kind kind, int64_t t, const char *action,
                      uint32_t classes, const char *const *record)
{
    static int id;
    char eid[40];
    snprintf(eid, sizeof eid, "ev-%d", ++id);
    fed_event fe;
    memset(&fe, 0, sizeof fe);
    tw_event *ev = &fe.ev;
    fe.record = record;
    ev->time_ms = t;
    ev->identity = tw_str_c(who);
    ev->identity_hash = tw_hash64(who, strlen(who), 0);
    ev->action = tw_str_c(action);
    ev->event_id = tw_str_c(eid);
    ev->error_code = TW_STR_LIT(""); /* as the parser gives it: never a NULL pointer */
    ev->classes = classes;
    ev->kind = (uint8_t)kind;
    ev->stream_start_ms = h->learn ? 0 : INT64_MIN; /* as the router stamps it */
    /* the fields the parser also puts on the event (the baseline reads them there) */
    for (const char *const *r = record; r && r[0]; r += 2) {
        tw_str v = tw_str_c(r[1]);
        if (!strcmp(r[0], "awsRegion"))
            ev->region = v;
        else if (!strcmp(r[0], "eventSource"))
            ev->event_source = v;
        else if (!strcmp(r[0], "sourceIPAddress"))
            ev->source_ip = v;
        else if (!strcmp(r[0], "modelId"))
            ev->model_id = v;
    }
    uint32_t matched[64], n = 0;
    tw_field_source src = { source_get, &fe, NULL };
    for (uint32_t r = 0; r < h->rt->n_rules; r++) {
        const tw_rule *rule = tw_ruleset_rule(h->rt->rs, r);
        if (!rule->correlation && tw_rules_eval_rule(h->rt->eval, rule, &src, NULL))
            matched[n++] = r;
    }
    ev->rules = matched;
    ev->n_rules = n;
    tw_corr_value cvs[32];
    ev->n_corr_values = collect_corr_values(h->rt, &fe, cvs);
    ev->corr_values = cvs;
    bool created;
    tw_ident *ident = tw_state_get(h->st, ev->identity_hash, ev->identity, t, &created);
    assert_non_null(ident);
    if (ev->kind > ident->kind)
        ident->kind = ev->kind;
    tw_emit emit = { capture, h, h->learn ? &h->stream : NULL, h->held, h->repeats };
    tw_engine_run(h->eng, ident, ev, &emit);
}

/* An event of a human identity with the action (and classes) only. */
static void feed(harness *h, const char *who, int64_t t, const char *action)
{
    feed_full(h, who, TW_KIND_HUMAN, t, action, TW_CLASS_WRITE, NULL);
}

static void feed_class(harness *h, const char *who, int64_t t, const char *action, uint32_t classes)
{
    feed_full(h, who, TW_KIND_AGENT, t, action, classes, NULL);
}

/* An event with one record field. */
static void feed_field(harness *h, const char *who, int64_t t, const char *action,
                       const char *field, const char *value)
{
    const char *const record[] = { field, value, NULL };
    feed_full(h, who, TW_KIND_HUMAN, t, action, TW_CLASS_WRITE, record);
}

/* ---- the rules ------------------------------------------------------------------------ */

#define DETECTION(id_, action_)                        \
    "title: " id_ "\n"                                 \
    "id: " id_ "\n"                                    \
    "logsource: {product: aws, service: cloudtrail}\n" \
    "detection:\n"                                     \
    "  sel:\n"                                         \
    "    action: '" action_ "'\n"                      \
    "  condition: sel\n"                               \
    "---\n"

/* ---- event_count ---------------------------------------------------------------------- */

#define EC_GTE3_10S                   \
    DETECTION("hit", "test:Hit")      \
    "title: Three hits within 10 s\n" \
    "id: ec-gte\n"                    \
    "level: medium\n"                 \
    "correlation:\n"                  \
    "  type: event_count\n"           \
    "  rules: [hit]\n"                \
    "  timespan: 10s\n"               \
    "  condition: {gte: 3}\n"

static void event_count_gte_fires_at_threshold(void **state)
{
    (void)state;
    harness h;
    setup(&h, EC_GTE3_10S);
    feed(&h, "alice", 0, "test:Hit");
    feed(&h, "alice", 1 * SEC, "test:Other"); /* matches no rule: not counted */
    feed(&h, "alice", 2 * SEC, "test:Hit");
    assert_int_equal(h.n, 0);
    feed(&h, "alice", 3 * SEC, "test:Hit");
    assert_int_equal(h.n, 1);
    assert_string_equal(h.f[0].rule, "ec-gte");
    assert_string_equal(h.f[0].identity, "alice");
    assert_true(h.f[0].time_ms == 3 * SEC);
    teardown(&h);
}

static void event_count_gt_needs_one_more(void **state)
{
    (void)state;
    harness h;
    setup(&h, DETECTION("hit", "test:Hit") "title: More than three hits within 10 s\n"
                                           "id: ec-gt\n"
                                           "level: medium\n"
                                           "correlation:\n"
                                           "  type: event_count\n"
                                           "  rules: [hit]\n"
                                           "  group-by: [identity.key]\n"
                                           "  timespan: 10s\n"
                                           "  condition: {gt: 3}\n");
    for (int i = 0; i < 3; i++)
        feed(&h, "alice", i * SEC, "test:Hit");
    assert_int_equal(h.n, 0); /* 3 is not more than 3 */
    feed(&h, "alice", 3 * SEC, "test:Hit");
    assert_int_equal(fired(&h, "ec-gt", "alice"), 1);
    assert_int_equal(h.n, 1);
    teardown(&h);
}

/* The oldest of the three lies exactly 10 s before the third: inside; 10 s + 1 ms: outside. */
static void event_count_window_edge_inclusive(void **state)
{
    (void)state;
    harness h;
    setup(&h, EC_GTE3_10S);
    feed(&h, "edge", 0, "test:Hit");
    feed(&h, "edge", 5 * SEC, "test:Hit");
    feed(&h, "edge", 10 * SEC, "test:Hit");
    assert_int_equal(fired(&h, "ec-gte", "edge"), 1);
    feed(&h, "past", 0, "test:Hit");
    feed(&h, "past", 5 * SEC, "test:Hit");
    feed(&h, "past", 10 * SEC + 1, "test:Hit");
    assert_int_equal(fired(&h, "ec-gte", "past"), 0);
    assert_int_equal(h.n, 1);
    teardown(&h);
}

/* Old events drop out as the window slides: two early hits and two late ones are not three
 * within 10 s; the third late one is. */
static void event_count_window_slides(void **state)
{
    (void)state;
    harness h;
    setup(&h, EC_GTE3_10S);
    feed(&h, "alice", 0, "test:Hit");
    feed(&h, "alice", 1 * SEC, "test:Hit");
    feed(&h, "alice", 11 * SEC + 1, "test:Hit"); /* 0 and 1 s: 11.001 s and 10.001 s before */
    assert_int_equal(h.n, 0);
    feed(&h, "alice", 12 * SEC, "test:Hit"); /* 1 s is 11 s before: out */
    assert_int_equal(h.n, 0);
    feed(&h, "alice", 13 * SEC, "test:Hit");
    assert_int_equal(h.n, 1);
    assert_true(h.f[0].time_ms == 13 * SEC);
    teardown(&h);
}

/* Once fired, not again within the timespan (counted from the firing), again after it. */
static void event_count_once_per_timespan(void **state)
{
    (void)state;
    harness h;
    setup(&h, EC_GTE3_10S);
    for (int64_t t = 0; t <= 20 * SEC; t += SEC)
        feed(&h, "alice", t, "test:Hit");
    feed(&h, "alice", 22 * SEC - 1, "test:Hit"); /* 9.999 s after the second firing */
    assert_int_equal(h.n, 2);
    assert_true(h.f[0].time_ms == 2 * SEC);
    assert_true(h.f[1].time_ms == 12 * SEC);
    feed(&h, "alice", 22 * SEC, "test:Hit");
    assert_int_equal(h.n, 3);
    teardown(&h);
}

/* `suppress` on a correlation: one finding per identity per period, the next period fires. */
static void event_count_suppress_period(void **state)
{
    (void)state;
    harness h;
    setup(&h, DETECTION("hit", "test:Hit") "title: Two hits within a minute\n"
                                           "id: ec-suppressed\n"
                                           "level: medium\n"
                                           "correlation:\n"
                                           "  type: event_count\n"
                                           "  rules: [hit]\n"
                                           "  timespan: 1m\n"
                                           "  condition: {gte: 2}\n"
                                           "trailwarden:\n"
                                           "  suppress: 1h\n");
    feed(&h, "alice", 0, "test:Hit");
    feed(&h, "alice", SEC, "test:Hit");
    assert_int_equal(h.n, 1);
    feed(&h, "alice", 30 * MIN, "test:Hit");
    feed(&h, "alice", 30 * MIN + SEC, "test:Hit"); /* holds, within the hour: suppressed */
    feed(&h, "alice", HOUR - 2 * SEC, "test:Hit");
    feed(&h, "alice", SEC + HOUR - 1, "test:Hit"); /* holds, 1 ms short of the hour */
    assert_int_equal(h.n, 1);
    feed(&h, "alice", SEC + HOUR, "test:Hit"); /* the next period */
    assert_int_equal(h.n, 2);
    assert_string_equal(h.f[1].rule, "ec-suppressed");
    assert_true(h.f[1].time_ms == SEC + HOUR);
    /* another identity is not suppressed by alice's finding */
    feed(&h, "bob", 30 * MIN, "test:Hit");
    feed(&h, "bob", 30 * MIN + SEC, "test:Hit");
    assert_int_equal(fired(&h, "ec-suppressed", "bob"), 1);
    teardown(&h);
}

/* `suppress` on a detection rule: one finding per identity per period. */
static void detection_suppress_period(void **state)
{
    (void)state;
    harness h;
    setup(&h, "title: Shell command\n"
              "id: det-suppressed\n"
              "level: low\n"
              "logsource: {product: aws, service: cloudtrail}\n"
              "detection:\n"
              "  sel:\n"
              "    action: 'ssm:SendCommand'\n"
              "  condition: sel\n"
              "trailwarden:\n"
              "  suppress: 1h\n");
    feed(&h, "alice", 0, "ssm:SendCommand");
    feed(&h, "alice", 10 * MIN, "ssm:SendCommand");
    feed(&h, "alice", HOUR - 1, "ssm:SendCommand");
    assert_int_equal(h.n, 1);
    feed(&h, "bob", 10 * MIN, "ssm:SendCommand");
    assert_int_equal(fired(&h, "det-suppressed", "bob"), 1);
    feed(&h, "alice", HOUR, "ssm:SendCommand");
    assert_int_equal(fired(&h, "det-suppressed", "alice"), 2);
    assert_int_equal(h.n, 3);
    teardown(&h);
}

/* A finding says how many matching events its suppression period held back (DESIGN §5): an
 * update of it (same uid, count), written when the next finding of the rule and identity is
 * raised, before that finding, or at the end of the replay (after every event's findings). A
 * finding with no repeat gets no update. */
static void repeats_update_the_finding(void **state)
{
    (void)state;
    harness h;
    setup(&h, "title: Shell command\n"
              "id: det-suppressed\n"
              "level: low\n"
              "logsource: {product: aws, service: cloudtrail}\n"
              "detection:\n"
              "  sel:\n"
              "    action: 'ssm:SendCommand'\n"
              "  condition: sel\n"
              "trailwarden:\n"
              "  suppress: 1h\n");
    feed(&h, "alice", 0, "ssm:SendCommand");
    feed(&h, "alice", 10 * MIN, "ssm:SendCommand");
    feed(&h, "alice", 20 * MIN, "ssm:SendCommand");
    feed(&h, "bob", 5 * MIN, "ssm:SendCommand");
    assert_int_equal(h.n, 2);
    assert_int_equal(h.n_updates, 0);
    assert_int_equal(h.repeats[0], 2);
    /* the next finding: the update first (3 events: the finding and 2 held back) */
    feed(&h, "alice", 2 * HOUR, "ssm:SendCommand");
    assert_int_equal(h.n, 3);
    assert_int_equal(h.n_updates, 1);
    assert_int_equal(h.u[0].count, 3);
    assert_true(h.u[0].first_ms == 0 && h.u[0].last_ms == 20 * MIN && !h.u[0].at_end);
    feed(&h, "alice", 2 * HOUR + MIN, "ssm:SendCommand");
    /* the end: what is still owed, once (bob's finding had no repeat: no update) */
    tw_emit emit = { capture, &h, NULL, h.held, h.repeats };
    bool created;
    tw_ident *alice = tw_state_get(h.st, tw_hash64("alice", 5, 0), tw_str_c("alice"), 0, &created);
    tw_ident *bob = tw_state_get(h.st, tw_hash64("bob", 3, 0), tw_str_c("bob"), 0, &created);
    tw_engine_flush(h.eng, bob, &emit);
    tw_engine_flush(h.eng, alice, &emit);
    tw_engine_flush(h.eng, alice, &emit);
    assert_int_equal(h.n_updates, 2);
    assert_int_equal(h.u[1].count, 2);
    assert_true(h.u[1].first_ms == 2 * HOUR && h.u[1].last_ms == 2 * HOUR + MIN && h.u[1].at_end);
    teardown(&h);
}

/* ---- value_count ---------------------------------------------------------------------- */

#define VC_GTE3_10M                                            \
    DETECTION("push", "ec2-instance-connect:SendSSHPublicKey") \
    "title: Keys pushed to three instances\n"                  \
    "id: vc-fanout\n"                                          \
    "level: medium\n"                                          \
    "correlation:\n"                                           \
    "  type: value_count\n"                                    \
    "  rules: [push]\n"                                        \
    "  group-by: [identity.key]\n"                             \
    "  timespan: 10m\n"                                        \
    "  condition:\n"                                           \
    "    field: requestParameters.instanceId\n"                \
    "    gte: 3\n"

#define PUSH "ec2-instance-connect:SendSSHPublicKey"
#define INST "requestParameters.instanceId"

static void value_count_distinct_values(void **state)
{
    (void)state;
    harness h;
    setup(&h, VC_GTE3_10M);
    /* one instance many times is one value */
    for (int i = 0; i < 6; i++)
        feed_field(&h, "alice", i * SEC, PUSH, INST, "i-1");
    assert_int_equal(h.n, 0);
    /* repeated values are not counted twice */
    feed_field(&h, "alice", 10 * SEC, PUSH, INST, "i-2");
    feed_field(&h, "alice", 11 * SEC, PUSH, INST, "i-2");
    feed_field(&h, "alice", 12 * SEC, PUSH, INST, "i-1");
    feed(&h, "alice", 13 * SEC, PUSH); /* no instanceId: no value */
    assert_int_equal(h.n, 0);
    feed_field(&h, "alice", 14 * SEC, PUSH, INST, "i-3");
    assert_int_equal(h.n, 1);
    assert_string_equal(h.f[0].rule, "vc-fanout");
    assert_true(h.f[0].time_ms == 14 * SEC);
    teardown(&h);
}

static void value_count_window_edge_inclusive(void **state)
{
    (void)state;
    harness h;
    setup(&h, VC_GTE3_10M);
    feed_field(&h, "edge", 0, PUSH, INST, "i-1");
    feed_field(&h, "edge", 5 * MIN, PUSH, INST, "i-2");
    feed_field(&h, "edge", 10 * MIN, PUSH, INST, "i-3");
    assert_int_equal(fired(&h, "vc-fanout", "edge"), 1);
    feed_field(&h, "past", 0, PUSH, INST, "i-1");
    feed_field(&h, "past", 5 * MIN, PUSH, INST, "i-2");
    feed_field(&h, "past", 10 * MIN + 1, PUSH, INST, "i-3");
    assert_int_equal(fired(&h, "vc-fanout", "past"), 0);
    assert_int_equal(h.n, 1);
    teardown(&h);
}

/* A value drops out when it was last seen longer than the timespan ago; seeing it again
 * brings it back (its last time counts, not its first). */
static void value_count_window_slides(void **state)
{
    (void)state;
    harness h;
    setup(&h, VC_GTE3_10M);
    feed_field(&h, "alice", 0, PUSH, INST, "i-1");
    feed_field(&h, "alice", 5 * MIN, PUSH, INST, "i-2");
    feed_field(&h, "alice", 11 * MIN, PUSH, INST, "i-3"); /* i-1 is 11 min old */
    assert_int_equal(h.n, 0);
    feed_field(&h, "alice", 12 * MIN, PUSH, INST, "i-1"); /* i-1 again: i-2, i-3, i-1 */
    assert_int_equal(h.n, 1);
    assert_true(h.f[0].time_ms == 12 * MIN);

    feed_field(&h, "bob", 0, PUSH, INST, "i-1");
    feed_field(&h, "bob", 9 * MIN, PUSH, INST, "i-1"); /* last seen at 9 min */
    feed_field(&h, "bob", 12 * MIN, PUSH, INST, "i-2");
    feed_field(&h, "bob", 19 * MIN, PUSH, INST, "i-3"); /* i-1 10 min before: inside */
    assert_int_equal(fired(&h, "vc-fanout", "bob"), 1);

    feed_field(&h, "carol", 0, PUSH, INST, "i-1");
    feed_field(&h, "carol", 12 * MIN, PUSH, INST, "i-2");
    feed_field(&h, "carol", 15 * MIN, PUSH, INST, "i-3");
    feed_field(&h, "carol", 20 * MIN, PUSH, INST, "i-2");
    feed_field(&h, "carol", 21 * MIN, PUSH, INST, "i-3");
    assert_int_equal(fired(&h, "vc-fanout", "carol"), 0); /* i-1 never comes back */
    assert_int_equal(h.n, 2);
    teardown(&h);
}

/* ---- temporal ------------------------------------------------------------------------- */

#define THREE_DETECTIONS     \
    DETECTION("a", "test:A") \
    DETECTION("b", "test:B") \
    DETECTION("c", "test:C")

static void temporal_any_order_within_timespan(void **state)
{
    (void)state;
    harness h;
    setup(&h, THREE_DETECTIONS "title: A, B and C within an hour\n"
                               "id: temporal-abc\n"
                               "level: high\n"
                               "correlation:\n"
                               "  type: temporal\n"
                               "  rules: [a, b, c]\n"
                               "  timespan: 1h\n");
    /* reverse order, the first exactly an hour before the last: inside */
    feed(&h, "alice", 0, "test:C");
    feed(&h, "alice", 10 * MIN, "test:B");
    assert_int_equal(h.n, 0);
    feed(&h, "alice", HOUR, "test:A");
    assert_int_equal(h.n, 1);
    assert_string_equal(h.f[0].rule, "temporal-abc");
    assert_string_equal(h.f[0].identity, "alice");
    /* mixed order, one of them 1 h + 1 ms before the last: outside */
    feed(&h, "bob", 0, "test:B");
    feed(&h, "bob", 30 * MIN, "test:A");
    feed(&h, "bob", HOUR + 1, "test:C");
    assert_int_equal(fired(&h, NULL, "bob"), 0);
    /* B seen again: now all three within the hour */
    feed(&h, "bob", HOUR + 2, "test:B");
    assert_int_equal(fired(&h, "temporal-abc", "bob"), 1);
    /* two of three never fire */
    feed(&h, "carol", 0, "test:A");
    feed(&h, "carol", MIN, "test:B");
    feed(&h, "carol", 2 * MIN, "test:A");
    assert_int_equal(fired(&h, NULL, "carol"), 0);
    assert_int_equal(h.n, 2);
    teardown(&h);
}

/* A count condition: 2 of the 3 rules are enough; once per timespan after that. */
static void temporal_count_condition(void **state)
{
    (void)state;
    harness h;
    setup(&h, THREE_DETECTIONS "title: Two of A, B, C within 10 min\n"
                               "id: temporal-two\n"
                               "level: high\n"
                               "correlation:\n"
                               "  type: temporal\n"
                               "  rules: [a, b, c]\n"
                               "  timespan: 10m\n"
                               "  condition: {gte: 2}\n");
    feed(&h, "alice", 0, "test:A");
    feed(&h, "alice", MIN, "test:A"); /* the same rule twice is one rule */
    assert_int_equal(h.n, 0);
    feed(&h, "alice", 2 * MIN, "test:C");
    assert_int_equal(h.n, 1);
    feed(&h, "alice", 3 * MIN, "test:B"); /* within 10 min of the firing */
    assert_int_equal(h.n, 1);
    feed(&h, "alice", 12 * MIN, "test:B"); /* C 10 min before: inside; the next period */
    assert_int_equal(h.n, 2);
    teardown(&h);
}

/* ---- temporal_ordered ----------------------------------------------------------------- */

#define ORDERED_ABC_1H                        \
    THREE_DETECTIONS                          \
    "title: A then B then C within an hour\n" \
    "id: ordered-abc\n"                       \
    "level: high\n"                           \
    "correlation:\n"                          \
    "  type: temporal_ordered\n"              \
    "  rules: [a, b, c]\n"                    \
    "  timespan: 1h\n"

static void temporal_ordered_in_order_fires(void **state)
{
    (void)state;
    harness h;
    setup(&h, ORDERED_ABC_1H);
    feed(&h, "alice", 0, "test:A");
    feed(&h, "alice", 10 * MIN, "test:B");
    assert_int_equal(h.n, 0);
    feed(&h, "alice", HOUR, "test:C"); /* exactly an hour after A: inside */
    assert_int_equal(h.n, 1);
    assert_string_equal(h.f[0].rule, "ordered-abc");
    assert_true(h.f[0].time_ms == HOUR);
    teardown(&h);
}

static void temporal_ordered_out_of_order_does_not_fire(void **state)
{
    (void)state;
    harness h;
    setup(&h, ORDERED_ABC_1H);
    feed(&h, "rev", 0, "test:C");
    feed(&h, "rev", MIN, "test:B");
    feed(&h, "rev", 2 * MIN, "test:A");
    feed(&h, "swap", 0, "test:A");
    feed(&h, "swap", MIN, "test:C");
    feed(&h, "swap", 2 * MIN, "test:B");
    feed(&h, "late", 0, "test:B");
    feed(&h, "late", MIN, "test:A");
    feed(&h, "late", 2 * MIN, "test:C");
    assert_int_equal(h.n, 0);
    /* the chain completes once C comes after B */
    feed(&h, "swap", 3 * MIN, "test:C");
    assert_int_equal(fired(&h, "ordered-abc", "swap"), 1);
    assert_int_equal(h.n, 1);
    teardown(&h);
}

static void temporal_ordered_window(void **state)
{
    (void)state;
    harness h;
    setup(&h, ORDERED_ABC_1H);
    /* C 1 h + 1 ms after the start of the chain */
    feed(&h, "slow", 0, "test:A");
    feed(&h, "slow", 30 * MIN, "test:B");
    feed(&h, "slow", HOUR + 1, "test:C");
    /* B too late after A: B does not chain, C neither */
    feed(&h, "gap", 0, "test:A");
    feed(&h, "gap", HOUR + 1, "test:B");
    feed(&h, "gap", HOUR + 2, "test:C");
    assert_int_equal(h.n, 0);
    /* a later A restarts the chain: C within an hour of it fires */
    feed(&h, "restart", 0, "test:A");
    feed(&h, "restart", 50 * MIN, "test:A");
    feed(&h, "restart", HOUR + 10 * MIN, "test:B");
    feed(&h, "restart", HOUR + 40 * MIN, "test:C"); /* 50 min after the second A */
    assert_int_equal(fired(&h, "ordered-abc", "restart"), 1);
    assert_int_equal(h.n, 1);
    teardown(&h);
}

/* ---- baseline_then_trigger ------------------------------------------------------------ */

#define BASELINE_3_1H                                            \
    "title: Reads, then destroys\n"                              \
    "id: read-then-destroy\n"                                    \
    "level: high\n"                                              \
    "correlation:\n"                                             \
    "  type: baseline_then_trigger\n"                            \
    "  baseline: {min_events: 3, window: 1h, classes: [read]}\n" \
    "  trigger: {classes: [destructive]}\n"

#define RD TW_CLASS_READ
#define DEL (TW_CLASS_WRITE | TW_CLASS_DESTRUCTIVE)
#define WR TW_CLASS_WRITE

static void baseline_then_trigger_window(void **state)
{
    (void)state;
    harness h;
    setup(&h, BASELINE_3_1H);
    feed_class(&h, "ok", 10 * MIN, "s3:GetObject", RD);
    feed_class(&h, "ok", 20 * MIN, "s3:GetObject", RD);
    feed_class(&h, "ok", 30 * MIN, "s3:GetObject", RD);
    feed_class(&h, "ok", 40 * MIN, "s3:DeleteBucket", DEL);
    assert_int_equal(fired(&h, "read-then-destroy", "ok"), 1);
    /* two reads are not enough */
    feed_class(&h, "two", 20 * MIN, "s3:GetObject", RD);
    feed_class(&h, "two", 30 * MIN, "s3:GetObject", RD);
    feed_class(&h, "two", 40 * MIN, "s3:DeleteBucket", DEL);
    /* the window (t - 1h, t) excludes its lower bound: a read exactly 1 h before is out */
    feed_class(&h, "edge", 0, "s3:GetObject", RD);
    feed_class(&h, "edge", 20 * MIN, "s3:GetObject", RD);
    feed_class(&h, "edge", 30 * MIN, "s3:GetObject", RD);
    feed_class(&h, "edge", HOUR, "s3:DeleteBucket", DEL);
    assert_int_equal(h.n, 1);
    /* ... 1 ms later it is in */
    feed_class(&h, "inside", 1, "s3:GetObject", RD);
    feed_class(&h, "inside", 20 * MIN, "s3:GetObject", RD);
    feed_class(&h, "inside", 30 * MIN, "s3:GetObject", RD);
    feed_class(&h, "inside", HOUR, "s3:DeleteBucket", DEL);
    assert_int_equal(fired(&h, "read-then-destroy", "inside"), 1);
    /* a trigger of another class does not fire */
    feed_class(&h, "write", 10 * MIN, "s3:GetObject", RD);
    feed_class(&h, "write", 20 * MIN, "s3:GetObject", RD);
    feed_class(&h, "write", 30 * MIN, "s3:GetObject", RD);
    feed_class(&h, "write", 40 * MIN, "s3:PutObject", WR);
    assert_int_equal(h.n, 2);
    teardown(&h);
}

/* Every event in the window must be of a baseline class: a write inside breaks it, a write
 * exactly at the window's (excluded) lower bound does not. */
static void baseline_then_trigger_break(void **state)
{
    (void)state;
    harness h;
    setup(&h, BASELINE_3_1H);
    feed_class(&h, "broken", 10 * MIN, "s3:GetObject", RD);
    feed_class(&h, "broken", 15 * MIN, "s3:PutObject", WR);
    feed_class(&h, "broken", 20 * MIN, "s3:GetObject", RD);
    feed_class(&h, "broken", 30 * MIN, "s3:GetObject", RD);
    feed_class(&h, "broken", 40 * MIN, "s3:GetObject", RD);
    feed_class(&h, "broken", 50 * MIN, "s3:DeleteBucket", DEL);
    assert_int_equal(h.n, 0);
    feed_class(&h, "healed", 0, "s3:PutObject", WR);
    feed_class(&h, "healed", 10 * MIN, "s3:GetObject", RD);
    feed_class(&h, "healed", 20 * MIN, "s3:GetObject", RD);
    feed_class(&h, "healed", 30 * MIN, "s3:GetObject", RD);
    feed_class(&h, "healed", HOUR, "s3:DeleteBucket", DEL);
    assert_int_equal(fired(&h, "read-then-destroy", "healed"), 1);
    assert_int_equal(h.n, 1);
    teardown(&h);
}

/* A trigger rule: the trigger must match it (and the trigger classes, when given). */
static void baseline_then_trigger_rule(void **state)
{
    (void)state;
    harness h;
    setup(&h,
          DETECTION("bucket-delete",
                    "s3:DeleteBucket") "title: Reads, then deletes a bucket\n"
                                       "id: read-then-bucket-delete\n"
                                       "level: high\n"
                                       "correlation:\n"
                                       "  type: baseline_then_trigger\n"
                                       "  baseline: {min_events: 3, window: 1h, classes: [read]}\n"
                                       "  trigger: {rule: bucket-delete}\n");
    feed_class(&h, "other", 10 * MIN, "s3:GetObject", RD);
    feed_class(&h, "other", 20 * MIN, "s3:GetObject", RD);
    feed_class(&h, "other", 30 * MIN, "s3:GetObject", RD);
    feed_class(&h, "other", 40 * MIN, "ec2:TerminateInstances", DEL);
    assert_int_equal(h.n, 0);
    feed_class(&h, "match", 10 * MIN, "s3:GetObject", RD);
    feed_class(&h, "match", 20 * MIN, "s3:GetObject", RD);
    feed_class(&h, "match", 30 * MIN, "s3:GetObject", RD);
    feed_class(&h, "match", 40 * MIN, "s3:DeleteBucket", DEL);
    assert_int_equal(fired(&h, "read-then-bucket-delete", "match"), 1);
    assert_int_equal(h.n, 1);
    teardown(&h);
}

/* `rules` narrows the events considered: an event that matches none of them (even if it
 * matches another rule) neither counts in the baseline nor breaks it (identity.kind is the
 * event's own kind). */
static void baseline_then_trigger_rules_narrow(void **state)
{
    (void)state;
    harness h;
    setup(&h, "title: Agent call\n"
              "id: agent-call\n"
              "logsource: {product: aws, service: cloudtrail}\n"
              "detection:\n"
              "  sel:\n"
              "    identity.kind: agent\n"
              "  condition: sel\n"
              "---\n"
              "title: Object written\n"
              "id: object-written\n"
              "level: low\n"
              "logsource: {product: aws, service: cloudtrail}\n"
              "detection:\n"
              "  sel:\n"
              "    action: 's3:PutObject'\n"
              "  condition: sel\n"
              "---\n"
              "title: Agent reads, then destroys\n"
              "id: agent-read-then-destroy\n"
              "level: high\n"
              "correlation:\n"
              "  type: baseline_then_trigger\n"
              "  rules: [agent-call]\n"
              "  baseline: {min_events: 3, window: 1h, classes: [read]}\n"
              "  trigger: {classes: [destructive]}\n");
    const char *who[] = { "mixed", "agent" };
    for (int i = 0; i < 2; i++) {
        feed_full(&h, who[i], TW_KIND_AGENT, 10 * MIN, "s3:GetObject", RD, NULL);
        feed_full(&h, who[i], TW_KIND_HUMAN, 15 * MIN, "s3:GetObject", RD, NULL);
        feed_full(&h, who[i], TW_KIND_AGENT, 20 * MIN, "s3:GetObject", RD, NULL);
        /* "mixed": the write is a human's call, not considered; "agent": it breaks */
        tw_kind writer = i ? TW_KIND_AGENT : TW_KIND_HUMAN;
        feed_full(&h, who[i], writer, 25 * MIN, "s3:PutObject", WR, NULL);
        feed_full(&h, who[i], TW_KIND_AGENT, 30 * MIN, "s3:GetObject", RD, NULL);
        feed_full(&h, who[i], TW_KIND_AGENT, 40 * MIN, "s3:DeleteBucket", DEL, NULL);
    }
    assert_int_equal(fired(&h, "agent-read-then-destroy", "mixed"), 1);
    assert_int_equal(fired(&h, "agent-read-then-destroy", "agent"), 0);
    /* a human's destructive call is not considered either: nothing more */
    feed_full(&h, "human", TW_KIND_AGENT, 10 * MIN, "s3:GetObject", RD, NULL);
    feed_full(&h, "human", TW_KIND_AGENT, 20 * MIN, "s3:GetObject", RD, NULL);
    feed_full(&h, "human", TW_KIND_AGENT, 30 * MIN, "s3:GetObject", RD, NULL);
    feed_full(&h, "human", TW_KIND_HUMAN, 40 * MIN, "s3:DeleteBucket", DEL, NULL);
    assert_int_equal(fired(&h, "agent-read-then-destroy", NULL), 1);
    /* the writes matched another rule (so the correlations ran on them): its own findings */
    assert_int_equal(fired(&h, "object-written", NULL), 2);
    assert_int_equal(h.n, 3);
    teardown(&h);
}

/* ---- first_seen ----------------------------------------------------------------------- */

#define REGION "awsRegion"
#define BUCKET "requestParameters.bucketName" /* a field the baseline does not hold */

/* first_seen on a field of its own (not the baseline's): the values of the rule's events,
 * learnt from the group's first considered event for `baseline`. */
static void first_seen_after_baseline(void **state)
{
    (void)state;
    harness h;
    setup(&h, DETECTION("call", "test:Call") "title: New bucket\n"
                                             "id: new-region\n"
                                             "level: medium\n"
                                             "correlation:\n"
                                             "  type: first_seen\n"
                                             "  rules: [call]\n"
                                             "  group-by: [identity.key]\n"
                                             "  field: requestParameters.bucketName\n"
                                             "  baseline: 1h\n");
    feed_field(&h, "alice", 0, "test:Other", BUCKET, "xx-north-9");      /* not considered */
    feed_field(&h, "alice", 10 * MIN, "test:Call", BUCKET, "us-east-1"); /* the group starts */
    feed_field(&h, "alice", 30 * MIN, "test:Call", BUCKET, "eu-west-1");
    feed_field(&h, "alice", HOUR + 10 * MIN - 1, "test:Call", BUCKET, "ap-south-1");
    assert_int_equal(h.n, 0); /* learnt during the baseline */
    feed_field(&h, "alice", HOUR + 10 * MIN, "test:Call", BUCKET, "sa-east-1");
    assert_int_equal(h.n, 1); /* known for exactly the baseline: new values fire */
    assert_string_equal(h.f[0].rule, "new-region");
    assert_true(h.f[0].time_ms == HOUR + 10 * MIN);
    feed_field(&h, "alice", 2 * HOUR, "test:Call", BUCKET, "us-east-1");
    feed_field(&h, "alice", 2 * HOUR, "test:Call", BUCKET, "ap-south-1");
    feed_field(&h, "alice", 2 * HOUR, "test:Call", BUCKET, "sa-east-1");
    feed(&h, "alice", 2 * HOUR, "test:Call"); /* no region: nothing */
    assert_int_equal(h.n, 1);
    /* every new value fires (no suppress) */
    feed_field(&h, "alice", 2 * HOUR + 1, "test:Call", BUCKET, "ca-central-1");
    feed_field(&h, "alice", 2 * HOUR + 2, "test:Call", BUCKET, "xx-north-9");
    assert_int_equal(fired(&h, "new-region", "alice"), 3);
    assert_int_equal(h.n, 3);
    teardown(&h);
}

static void first_seen_baseline_zero(void **state)
{
    (void)state;
    harness h;
    setup(&h, DETECTION("call", "test:Call") "title: New region, no learning\n"
                                             "id: new-region-now\n"
                                             "level: medium\n"
                                             "correlation:\n"
                                             "  type: first_seen\n"
                                             "  rules: [call]\n"
                                             "  field: awsRegion\n"
                                             "  baseline: 0\n");
    feed_field(&h, "alice", 0, "test:Call", REGION, "us-east-1");
    assert_int_equal(h.n, 1); /* the group's first value fires too */
    feed_field(&h, "alice", 1, "test:Call", REGION, "us-east-1");
    assert_int_equal(h.n, 1);
    feed_field(&h, "alice", 2, "test:Call", REGION, "eu-west-1");
    assert_int_equal(h.n, 2);
    assert_string_equal(h.f[1].rule, "new-region-now");
    teardown(&h);
}

/* ---- quiet_then_trigger --------------------------------------------------------------- */

static void quiet_then_trigger_boundary(void **state)
{
    (void)state;
    harness h;
    setup(&h, DETECTION("priv",
                        "iam:AttachRolePolicy") "title: Privileged call after an hour of silence\n"
                                                "id: quiet-priv\n"
                                                "level: medium\n"
                                                "correlation:\n"
                                                "  type: quiet_then_trigger\n"
                                                "  rules: [priv]\n"
                                                "  quiet: 1h\n");
    /* exactly the quiet period: at least 1 h, fires */
    feed(&h, "exact", 0, "s3:ListBuckets");
    feed(&h, "exact", HOUR, "iam:AttachRolePolicy");
    assert_int_equal(fired(&h, "quiet-priv", "exact"), 1);
    /* 1 ms over fires, 1 ms under does not */
    feed(&h, "over", 0, "s3:ListBuckets");
    feed(&h, "over", HOUR + 1, "iam:AttachRolePolicy");
    assert_int_equal(fired(&h, "quiet-priv", "over"), 1);
    feed(&h, "under", 0, "s3:ListBuckets");
    feed(&h, "under", HOUR - 1, "iam:AttachRolePolicy");
    assert_int_equal(fired(&h, "quiet-priv", "under"), 0);
    /* an identity's first event has no history before it */
    feed(&h, "fresh", 0, "iam:AttachRolePolicy");
    assert_int_equal(fired(&h, "quiet-priv", "fresh"), 0);
    /* only the rule's own events end the silence: an identity that kept reading still wakes
     * a dormant privilege (DESIGN §5) */
    feed(&h, "busy", 0, "s3:ListBuckets");
    feed(&h, "busy", 30 * MIN, "s3:GetObject");
    feed(&h, "busy", HOUR + 10 * MIN, "iam:AttachRolePolicy");
    assert_int_equal(fired(&h, "quiet-priv", "busy"), 1);
    /* ...a matching call does: 50 min after it, no */
    feed(&h, "busy", 2 * HOUR, "iam:AttachRolePolicy");
    assert_int_equal(fired(&h, "quiet-priv", "busy"), 1);
    /* a silence ending with an event that does not match raises nothing */
    feed(&h, "busy", 4 * HOUR, "s3:GetObject");
    assert_int_equal(h.n, 3);
    /* every wake-up fires (no suppress) */
    feed(&h, "exact", 3 * HOUR, "iam:AttachRolePolicy");
    assert_int_equal(fired(&h, "quiet-priv", "exact"), 2);
    assert_int_equal(h.n, 4);
    teardown(&h);
}

/* Without `rules`, any event after the quiet period fires; `suppress` keeps one finding per
 * period. */
static void quiet_then_trigger_any_event_suppressed(void **state)
{
    (void)state;
    harness h;
    setup(&h, "title: Back after an hour of silence\n"
              "id: quiet-any\n"
              "level: low\n"
              "correlation:\n"
              "  type: quiet_then_trigger\n"
              "  quiet: 1h\n"
              "trailwarden:\n"
              "  suppress: 6h\n");
    feed(&h, "alice", 0, "s3:ListBuckets");
    feed(&h, "alice", HOUR, "s3:GetObject");
    assert_int_equal(h.n, 1);
    feed(&h, "alice", HOUR + 30 * MIN, "s3:GetObject"); /* not after a quiet hour */
    feed(&h, "alice", 3 * HOUR, "s3:GetObject");        /* quiet, but suppressed */
    assert_int_equal(h.n, 1);
    feed(&h, "alice", 7 * HOUR, "s3:GetObject"); /* quiet, 6 h after the finding */
    assert_int_equal(h.n, 2);
    assert_string_equal(h.f[1].rule, "quiet-any");
    assert_true(h.f[1].time_ms == 7 * HOUR);
    teardown(&h);
}

/* ---- correlations naming correlations ------------------------------------------------- */

/* A building-block first_seen that holds counts as a match of the temporal_ordered step that
 * names it, and the next step chains from it on the very same event (llm-jacking: the first
 * call may itself be the probe). The building block raises nothing itself. */
static void ordered_over_first_seen(void **state)
{
    (void)state;
    harness h;
    setup(&h, THREE_DETECTIONS "title: First region use\n"
                               "id: first-region\n"
                               "correlation:\n"
                               "  type: first_seen\n"
                               "  rules: [a, b]\n"
                               "  field: awsRegion\n"
                               "  baseline: 0\n"
                               "---\n"
                               "title: First use, B, then C\n"
                               "id: ordered-first\n"
                               "level: high\n"
                               "correlation:\n"
                               "  type: temporal_ordered\n"
                               "  rules: [first-region, b, c]\n"
                               "  timespan: 1h\n");
    /* first use by A, then B, then C */
    feed_field(&h, "x", 0, "test:A", REGION, "us-east-1");
    feed_field(&h, "x", 5 * MIN, "test:B", REGION, "us-east-1");
    feed(&h, "x", 10 * MIN, "test:C");
    assert_int_equal(fired(&h, "ordered-first", "x"), 1);
    /* the first use is B itself */
    feed_field(&h, "y", 0, "test:B", REGION, "us-east-1");
    feed(&h, "y", 10 * MIN, "test:C");
    assert_int_equal(fired(&h, "ordered-first", "y"), 1);
    /* B that is not a first use, after a first use more than an hour old */
    feed_field(&h, "z", 0, "test:A", REGION, "us-east-1");
    feed_field(&h, "z", 2 * HOUR, "test:B", REGION, "us-east-1");
    feed(&h, "z", 2 * HOUR + MIN, "test:C");
    assert_int_equal(fired(&h, NULL, "z"), 0);
    assert_int_equal(fired(&h, "first-region", NULL), 0);
    assert_int_equal(h.n, 2);
    teardown(&h);
}

/* ---- grouping and identities ---------------------------------------------------------- */

/* group-by identity.key plus a field: one state (count and once-per period) per value. */
static void group_by_identity_and_field(void **state)
{
    (void)state;
    harness h;
    setup(&h, DETECTION("hit", "test:Hit") "title: Three hits in one region within 10 min\n"
                                           "id: ec-region\n"
                                           "level: medium\n"
                                           "correlation:\n"
                                           "  type: event_count\n"
                                           "  rules: [hit]\n"
                                           "  group-by: [identity.key, awsRegion]\n"
                                           "  timespan: 10m\n"
                                           "  condition: {gte: 3}\n");
    feed_field(&h, "alice", 0, "test:Hit", REGION, "us-east-1");
    feed_field(&h, "alice", 1 * MIN, "test:Hit", REGION, "eu-west-1");
    feed_field(&h, "alice", 2 * MIN, "test:Hit", REGION, "us-east-1");
    feed_field(&h, "alice", 3 * MIN, "test:Hit", REGION, "eu-west-1");
    feed(&h, "alice", 4 * MIN, "test:Hit"); /* no region: a group of its own */
    assert_int_equal(h.n, 0);               /* four hits, but two in each region */
    feed_field(&h, "alice", 5 * MIN, "test:Hit", REGION, "us-east-1");
    assert_int_equal(h.n, 1);
    /* eu-west-1 is another group: its own count, not suppressed by us-east-1's finding */
    feed_field(&h, "alice", 6 * MIN, "test:Hit", REGION, "eu-west-1");
    assert_int_equal(h.n, 2);
    assert_string_equal(h.f[1].rule, "ec-region");
    assert_true(h.f[1].time_ms == 6 * MIN);
    /* us-east-1 again within its timespan: once per timespan per group */
    feed_field(&h, "alice", 7 * MIN, "test:Hit", REGION, "us-east-1");
    assert_int_equal(h.n, 2);
    teardown(&h);
}

/* Two identities never share state: counts, chains, values and once-per periods. */
static void identities_never_share_state(void **state)
{
    (void)state;
    harness h;
    setup(&h, THREE_DETECTIONS "title: Three A within 10 min\n"
                               "id: ec-a\n"
                               "level: medium\n"
                               "correlation:\n"
                               "  type: event_count\n"
                               "  rules: [a]\n"
                               "  timespan: 10m\n"
                               "  condition: {gte: 3}\n"
                               "---\n"
                               "title: B then C\n"
                               "id: ordered-bc\n"
                               "level: medium\n"
                               "correlation:\n"
                               "  type: temporal_ordered\n"
                               "  rules: [b, c]\n"
                               "  timespan: 10m\n"
                               "---\n"
                               "title: New region at once\n"
                               "id: fs-region\n"
                               "level: low\n"
                               "correlation:\n"
                               "  type: first_seen\n"
                               "  rules: [a]\n"
                               "  field: awsRegion\n"
                               "  baseline: 0\n");
    feed(&h, "alice", 0, "test:A");
    feed(&h, "bob", 1 * SEC, "test:A");
    feed(&h, "alice", 2 * SEC, "test:A");
    feed(&h, "bob", 3 * SEC, "test:A");
    feed(&h, "alice", 4 * SEC, "test:B");
    feed(&h, "bob", 5 * SEC, "test:C");
    assert_int_equal(h.n, 0); /* together: four A, and B then C */
    feed(&h, "alice", 6 * SEC, "test:A");
    assert_int_equal(fired(&h, "ec-a", "alice"), 1);
    feed(&h, "bob", 7 * SEC, "test:A"); /* bob's own count and once-per period */
    assert_int_equal(fired(&h, "ec-a", "bob"), 1);
    feed(&h, "alice", 8 * SEC, "test:C");
    assert_int_equal(fired(&h, "ordered-bc", "alice"), 1);
    assert_int_equal(fired(&h, "ordered-bc", "bob"), 0);
    /* a value one identity has shown is still new for the other */
    feed_field(&h, "alice", 9 * SEC, "test:A", REGION, "us-east-1");
    feed_field(&h, "bob", 10 * SEC, "test:A", REGION, "us-east-1");
    assert_int_equal(fired(&h, "fs-region", "alice"), 1);
    assert_int_equal(fired(&h, "fs-region", "bob"), 1);
    assert_int_equal(h.n, 5);
    teardown(&h);
}

/* ---- drift: the baseline, learning, history, routine and level_if (DESIGN §5) ----------- */

#define SERVICE "eventSource"

static const char *const drift_rules = "title: call\n"
                                       "id: call\n"
                                       "logsource: {product: aws, service: cloudtrail}\n"
                                       "detection:\n"
                                       "  sel:\n"
                                       "    action|startswith: 'test:'\n"
                                       "  condition: sel\n"
                                       "---\n"
                                       "title: New service\n"
                                       "id: new-service\n"
                                       "level: medium\n"
                                       "correlation:\n"
                                       "  type: first_seen\n"
                                       "  rules: [call]\n"
                                       "  field: eventSource\n";

/* An identity first seen in the stream's first --learn has an unknown past until observed
 * that long: its first uses are learnt, held back and counted; one first seen after the
 * stream's first --learn is new, its past known at once. */
static void learning_holds_back_until_the_past_is_known(void **state)
{
    (void)state;
    harness h;
    setup(&h, drift_rules);
    h.learn = true;
    h.stream = (tw_stream_info){ 7 * DAY };
    feed_field(&h, "early", 0, "test:A", SERVICE, "s3.amazonaws.com");
    feed_field(&h, "early", 6 * DAY, "test:A", SERVICE, "sqs.amazonaws.com");
    feed_field(&h, "late-start", 6 * DAY, "test:A", SERVICE, "s3.amazonaws.com");
    assert_int_equal(h.n, 0);
    assert_int_equal(h.held[1], 3); /* new-service is rule 1 */
    /* known at 7 days: a new service fires, a learnt one does not */
    feed_field(&h, "early", 7 * DAY, "test:A", SERVICE, "sqs.amazonaws.com");
    feed_field(&h, "early", 7 * DAY, "test:A", SERVICE, "iam.amazonaws.com");
    assert_int_equal(fired(&h, "new-service", "early"), 1);
    /* first seen at day 6: observed 7 days only at day 13 */
    feed_field(&h, "late-start", 12 * DAY, "test:A", SERVICE, "kms.amazonaws.com");
    assert_int_equal(fired(&h, "new-service", "late-start"), 0);
    feed_field(&h, "late-start", 13 * DAY, "test:A", SERVICE, "lambda.amazonaws.com");
    assert_int_equal(fired(&h, "new-service", "late-start"), 1);
    /* first seen after the stream's first 7 days: new, its first call is already drift */
    feed_field(&h, "newcomer", 8 * DAY, "test:A", SERVICE, "s3.amazonaws.com");
    assert_int_equal(fired(&h, "new-service", "newcomer"), 1);
    assert_int_equal(h.held[1], 4);
    teardown(&h);
}

/* trailwarden.history: the identity's own history, whatever the stream (--learn 0 here). */
static void history_of_its_own(void **state)
{
    (void)state;
    harness h;
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "%strailwarden:\n  history: 7d\n", drift_rules);
    setup(&h, yaml);
    h.learn = true;
    h.stream = (tw_stream_info){ 0 };
    feed_field(&h, "a", 10 * DAY, "test:A", SERVICE, "s3.amazonaws.com");
    feed_field(&h, "a", 17 * DAY - 1, "test:A", SERVICE, "sqs.amazonaws.com");
    assert_int_equal(h.n, 0);
    assert_int_equal(h.held[1], 2);
    feed_field(&h, "a", 17 * DAY, "test:A", SERVICE, "iam.amazonaws.com");
    assert_int_equal(fired(&h, "new-service", "a"), 1);
    teardown(&h);
}

/* The baseline is the identity's own calls, whatever rule they match: a service it called
 * outside the rule's events is known; failed calls are learnt too (reported once). */
static void baseline_is_every_own_call(void **state)
{
    (void)state;
    harness h;
    setup(&h, drift_rules);
    feed_field(&h, "a", 0, "other:X", SERVICE, "s3.amazonaws.com"); /* matches no rule */
    feed_field(&h, "a", 1, "test:A", SERVICE, "s3.amazonaws.com");
    assert_int_equal(h.n, 0);
    feed_field(&h, "a", 2, "test:A", SERVICE, "iam.amazonaws.com");
    feed_field(&h, "a", 3, "test:A", SERVICE, "iam.amazonaws.com");
    assert_int_equal(fired(&h, "new-service", "a"), 1);
    teardown(&h);
}

/* first_seen of action.class: the classes its rules select (model-training), not the write
 * that comes with it; a value the baseline holds is routine: recorded at routine_level, also
 * while the past is not known; the finding carries the model-change provenance. */
static void routine_work_is_recorded_not_alerted(void **state)
{
    (void)state;
    harness h;
    setup(&h, "title: train\n"
              "id: train\n"
              "logsource: {product: aws, service: cloudtrail}\n"
              "detection:\n"
              "  sel:\n"
              "    action.class: model-training\n"
              "  condition: sel\n"
              "---\n"
              "title: First training\n"
              "id: first-training\n"
              "level: high\n"
              "correlation:\n"
              "  type: first_seen\n"
              "  rules: [train]\n"
              "  field: action.class\n"
              "trailwarden:\n"
              "  routine_level: informational\n");
    h.learn = true;
    h.stream = (tw_stream_info){ 7 * DAY };
    const uint32_t training = TW_CLASS_MODEL_TRAINING | TW_CLASS_WRITE;
    /* the nightly pipeline, from the stream's start: recorded while learning, then routine */
    feed_class(&h, "pipeline", 0, "bedrock:CreateModelCustomizationJob", training);
    feed_class(&h, "pipeline", 8 * DAY, "bedrock:CreateModelCustomizationJob", training);
    assert_int_equal(fired(&h, "first-training", "pipeline"), 2);
    assert_int_equal(h.f[0].severity, TW_SEV_INFO);
    assert_int_equal(h.f[1].severity, TW_SEV_INFO);
    assert_int_equal(h.held[1], 1);
    /* an identity that wrote before, its first training at day 9: drift, High */
    feed_class(&h, "observer", 0, "s3:PutObject", TW_CLASS_WRITE);
    feed_class(&h, "observer", 9 * DAY, "bedrock:CreateModelCustomizationJob", training);
    assert_int_equal(fired(&h, "first-training", "observer"), 1);
    assert_int_equal(h.f[2].severity, TW_SEV_HIGH);
    assert_true(h.f[2].details); /* the model-change record */
    /* its second: routine */
    feed_class(&h, "observer", 10 * DAY, "sagemaker:CreateTrainingJob", training);
    assert_int_equal(h.f[3].severity, TW_SEV_INFO);
    teardown(&h);
}

/* trailwarden.level_if: the level of the first named detection rule the event matched. */
static void level_if_raises_for_sensitive_values(void **state)
{
    (void)state;
    harness h;
    setup(&h, "title: call\n"
              "id: call\n"
              "logsource: {product: aws, service: cloudtrail}\n"
              "detection:\n"
              "  sel:\n"
              "    action|startswith: 'test:'\n"
              "  condition: sel\n"
              "---\n"
              "title: sensitive\n"
              "id: sensitive\n"
              "logsource: {product: aws, service: cloudtrail}\n"
              "detection:\n"
              "  sel:\n"
              "    eventSource: iam.amazonaws.com\n"
              "  condition: sel\n"
              "---\n"
              "title: New service\n"
              "id: new-service\n"
              "level: low\n"
              "correlation:\n"
              "  type: first_seen\n"
              "  rules: [call]\n"
              "  field: eventSource\n"
              "trailwarden:\n"
              "  level_if:\n"
              "    - rule: sensitive\n"
              "      level: medium\n");
    feed_field(&h, "a", 0, "test:A", SERVICE, "s3.amazonaws.com");
    feed_field(&h, "a", 1, "test:A", SERVICE, "iam.amazonaws.com");
    assert_int_equal(h.n, 2);
    assert_int_equal(h.f[0].severity, TW_SEV_LOW);
    assert_int_equal(h.f[1].severity, TW_SEV_MEDIUM);
    teardown(&h);
}

/* The baseline travels with the rules' state through a checkpoint: a restored identity knows
 * what it learnt. */
static void baseline_survives_a_checkpoint(void **state)
{
    (void)state;
    harness h;
    setup(&h, drift_rules);
    feed_field(&h, "a", 0, "test:A", SERVICE, "s3.amazonaws.com");
    assert_int_equal(h.n, 1);
    bool created;
    tw_ident *ident = tw_state_get(h.st, tw_hash64("a", 1, 0), tw_str_c("a"), 1, &created);
    assert_false(created);
    tw_buf b;
    tw_buf_init(&b);
    tw_engine_save(h.eng, ident, &b);
    assert_false(b.failed);
    harness h2;
    setup(&h2, drift_rules);
    tw_ident *fresh = tw_state_get(h2.st, tw_hash64("a", 1, 0), tw_str_c("a"), 0, &created);
    assert_true(created);
    tw_wire_reader in = { (const unsigned char *)b.p, (const unsigned char *)b.p + b.len, false };
    assert_true(tw_engine_load(h2.eng, fresh, &in));
    feed_field(&h2, "a", 2, "test:A", SERVICE, "s3.amazonaws.com");
    assert_int_equal(h2.n, 0); /* known from before the checkpoint */
    feed_field(&h2, "a", 3, "test:A", SERVICE, "sqs.amazonaws.com");
    assert_int_equal(h2.n, 1);
    /* a baseline whose counts exceed its room is a damaged checkpoint: one entry, the
     * baseline's key (0x7fff, 0xffffffff), a 32-byte baseline claiming 9 values in room for 4 */
    tw_ident *other = tw_state_get(h2.st, tw_hash64("b", 1, 0), tw_str_c("b"), 0, &created);
    unsigned char forged[32] = { 0 };
    forged[8] = 9;  /* n */
    forged[10] = 4; /* cap */
    tw_buf bad;
    tw_buf_init(&bad);
    tw_wire_u32(&bad, 1);
    tw_wire_u64(&bad, ((uint64_t)0x7fff << 32) | 0xffffffffu);
    tw_wire_bytes(&bad, forged, sizeof forged);
    tw_wire_reader in2 = { (const unsigned char *)bad.p, (const unsigned char *)bad.p + bad.len,
                           false };
    assert_false(tw_engine_load(h2.eng, other, &in2));
    tw_buf_free(&bad);
    tw_buf_free(&b);
    teardown(&h2);
    teardown(&h);
}

/* A rules state read back from a checkpoint: distinct entries load; an entry named twice (a
 * damaged or forged checkpoint) is refused rather than copied over the first one's smaller
 * block. */
static void saved_state_with_an_entry_twice_is_refused(void **state)
{
    (void)state;
    harness h;
    setup(&h, THREE_DETECTIONS "title: Three of A, B, C within 10 min\n"
                               "id: ec-abc\n"
                               "level: medium\n"
                               "correlation:\n"
                               "  type: event_count\n"
                               "  rules: [a, b, c]\n"
                               "  timespan: 10m\n"
                               "  condition: {gte: 3}\n");
    const tw_detector *det = tw_engine_detector(h.eng, 0);
    unsigned char small[16] = { 1 }, large[64] = { 2 };
    for (int twice = 0; twice < 2; twice++) {
        tw_buf b;
        tw_buf_init(&b);
        tw_wire_u32(&b, 2); /* entries (no baseline: no rule reads one) */
        tw_wire_u64(&b, 7);
        tw_wire_bytes(&b, small, sizeof small);
        tw_wire_u64(&b, twice ? 7 : 8);
        tw_wire_bytes(&b, large, sizeof large);
        assert_false(b.failed);
        unsigned char slot[64] = { 0 };
        assert_true(det->ops->state_size(det->params) <= sizeof slot);
        tw_wire_reader in = { (const unsigned char *)b.p, (const unsigned char *)b.p + b.len,
                              false };
        assert_int_equal(det->ops->load(det, slot, &in), !twice);
        det->ops->release(det, slot);
        tw_buf_free(&b);
    }
    teardown(&h);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(event_count_gte_fires_at_threshold),
        cmocka_unit_test(event_count_gt_needs_one_more),
        cmocka_unit_test(event_count_window_edge_inclusive),
        cmocka_unit_test(event_count_window_slides),
        cmocka_unit_test(event_count_once_per_timespan),
        cmocka_unit_test(event_count_suppress_period),
        cmocka_unit_test(detection_suppress_period),
        cmocka_unit_test(repeats_update_the_finding),
        cmocka_unit_test(value_count_distinct_values),
        cmocka_unit_test(value_count_window_edge_inclusive),
        cmocka_unit_test(value_count_window_slides),
        cmocka_unit_test(temporal_any_order_within_timespan),
        cmocka_unit_test(temporal_count_condition),
        cmocka_unit_test(temporal_ordered_in_order_fires),
        cmocka_unit_test(temporal_ordered_out_of_order_does_not_fire),
        cmocka_unit_test(temporal_ordered_window),
        cmocka_unit_test(baseline_then_trigger_window),
        cmocka_unit_test(baseline_then_trigger_break),
        cmocka_unit_test(baseline_then_trigger_rule),
        cmocka_unit_test(baseline_then_trigger_rules_narrow),
        cmocka_unit_test(first_seen_after_baseline),
        cmocka_unit_test(first_seen_baseline_zero),
        cmocka_unit_test(quiet_then_trigger_boundary),
        cmocka_unit_test(quiet_then_trigger_any_event_suppressed),
        cmocka_unit_test(ordered_over_first_seen),
        cmocka_unit_test(group_by_identity_and_field),
        cmocka_unit_test(identities_never_share_state),
        cmocka_unit_test(saved_state_with_an_entry_twice_is_refused),
        cmocka_unit_test(learning_holds_back_until_the_past_is_known),
        cmocka_unit_test(history_of_its_own),
        cmocka_unit_test(baseline_is_every_own_call),
        cmocka_unit_test(routine_work_is_recorded_not_alerted),
        cmocka_unit_test(level_if_raises_for_sensitive_values),
        cmocka_unit_test(baseline_survives_a_checkpoint),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
