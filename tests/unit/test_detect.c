/* detect/: the shipped rules agent-read-to-destructive and training-telemetry-combined
 * (rules/sigma), run by the rules' detector over the engine and the state store, event by
 * event with time injected. The harness plays the parser's part: it evaluates each detection
 * rule on the event (virtual fields and errorCode) and marks the matches on it. */
#include <stdio.h>
#include <string.h>

#include "tw_test.h"

#include "detect.h"
#include "rules_run.h"
#include "state_sparse.h"
#include "tw_hash.h"
#include "tw_time.h"

#define H (3600 * 1000LL)

typedef struct harness {
    tw_engine *eng;
    tw_state *st;
    tw_rules_rt *rt;
    int fired_r2d, fired_tt, n;
    char last_rule[64];
    char last_summary[320];
    uint32_t last_evidence;
    tw_severity last_severity;
} harness;

static void capture(void *ud, const tw_finding *f, uint32_t det)
{
    harness *h = ud;
    (void)det;
    h->n++;
    if (!strcmp(f->rule->id, "agent-read-to-destructive"))
        h->fired_r2d++;
    if (!strcmp(f->rule->id, "training-telemetry-combined"))
        h->fired_tt++;
    snprintf(h->last_rule, sizeof h->last_rule, "%s", f->rule->id);
    snprintf(h->last_summary, sizeof h->last_summary, "%s", f->summary);
    h->last_evidence = f->n_evidence;
    h->last_severity = f->rule->severity;
}

static void setup(harness *h)
{
    memset(h, 0, sizeof *h);
    tw_ruleset *rs = tw_ruleset_new();
    assert_non_null(rs);
    assert_int_equal(
        tw_ruleset_add_path(rs, TW_SOURCE_DIR "/rules/sigma/agent-read-to-destructive.yml"), TW_OK);
    assert_int_equal(
        tw_ruleset_add_path(rs, TW_SOURCE_DIR "/rules/sigma/training-telemetry-combined.yml"),
        TW_OK);
    assert_int_equal(tw_ruleset_finish(rs), TW_OK);
    assert_int_equal(tw_rules_rt_new(rs, NULL, &h->rt), TW_OK);
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

/* The field values of the event being fed, for the rules' evaluator. */
static uint32_t source_get(void *ctx, const tw_field *field, const tw_field_value **values)
{
    const tw_event *ev = ctx;
    static tw_field_value v;
    memset(&v, 0, sizeof v);
    switch (field->kind) {
    case TW_FIELD_ACTION_CLASS:
        v.type = TW_FV_BITS;
        v.bits = ev->classes;
        break;
    case TW_FIELD_IDENTITY_KIND:
        v.type = TW_FV_BITS;
        v.bits = 1u << ev->kind;
        break;
    case TW_FIELD_CALL_ON_BEHALF:
        v.type = TW_FV_BOOL;
        v.boolean = (ev->flags & TW_EV_ON_BEHALF) != 0;
        break;
    case TW_FIELD_RECORD:
        if (field->n_path == 1 && tw_str_eq_c(field->path[0], "errorCode") && ev->error_code.len) {
            v.type = TW_FV_STRING;
            v.text = ev->error_code;
            break;
        }
        return 0;
    default:
        return 0;
    }
    *values = &v;
    return 1;
}

/* One event: flags TW_EV_*, error its errorCode (or NULL). */
static void feed_ex(harness *h, const char *who, tw_kind kind, int64_t t, const char *action,
                    uint32_t classes, uint16_t flags, const char *error)
{
    static int id;
    char eid[40];
    snprintf(eid, sizeof eid, "ev-%d", ++id);
    tw_event ev = { 0 };
    ev.time_ms = t;
    ev.identity = tw_str_c(who);
    ev.identity_hash = tw_hash64(who, strlen(who), 0);
    ev.action = tw_str_c(action);
    ev.event_id = tw_str_c(eid);
    ev.classes = classes;
    ev.kind = (uint8_t)kind;
    ev.flags = flags;
    ev.error_code = error ? tw_str_c(error) : TW_STR_LIT("");
    uint32_t matched[64], n = 0;
    tw_field_source src = { source_get, &ev, NULL };
    for (uint32_t r = 0; r < h->rt->n_rules; r++) {
        const tw_rule *rule = tw_ruleset_rule(h->rt->rs, r);
        if (!rule->correlation && tw_rules_eval_rule(h->rt->eval, rule, &src, NULL))
            matched[n++] = r;
    }
    ev.rules = matched;
    ev.n_rules = n;
    bool created;
    tw_ident *ident = tw_state_get(h->st, ev.identity_hash, ev.identity, t, &created);
    assert_non_null(ident);
    if (ev.kind > ident->kind)
        ident->kind = ev.kind;
    tw_emit emit = { .fn = capture, .ud = h };
    tw_engine_run(h->eng, ident, &ev, &emit);
}

/* A call, or one denied (AccessDenied). */
static void feed(harness *h, const char *who, tw_kind kind, int64_t t, const char *action,
                 uint32_t classes, bool failed)
{
    feed_ex(h, who, kind, t, action, classes, failed ? TW_EV_FAILED | TW_EV_DENIED : 0,
            failed ? "AccessDenied" : NULL);
}

#define READ TW_CLASS_READ
#define DEL (TW_CLASS_WRITE | TW_CLASS_DESTRUCTIVE)
#define WRITE TW_CLASS_WRITE
#define TRAIN (TW_CLASS_WRITE | TW_CLASS_MODEL_TRAINING)
#define TELE (TW_CLASS_READ | TW_CLASS_TELEMETRY)

static void reads(harness *h, const char *who, tw_kind kind, int n, int64_t start, int64_t step)
{
    for (int i = 0; i < n; i++)
        feed(h, who, kind, start + i * step, "s3:GetObject", READ, false);
}

static void ten_reads_then_delete_fires_once(void **state)
{
    (void)state;
    harness h;
    setup(&h);
    reads(&h, "agent", TW_KIND_AGENT, 10, 0, H / 2);
    feed(&h, "agent", TW_KIND_AGENT, 6 * H, "s3:DeleteBucket", DEL, false);
    assert_int_equal(h.fired_r2d, 1);
    assert_string_equal(h.last_rule, "agent-read-to-destructive");
    assert_true(h.last_evidence >= 2);
    /* a second destructive call within 24 h: suppressed (and the baseline is broken anyway) */
    reads(&h, "agent", TW_KIND_AGENT, 10, 7 * H, H / 10);
    feed(&h, "agent", TW_KIND_AGENT, 9 * H, "s3:DeleteBucket", DEL, false);
    assert_int_equal(h.fired_r2d, 1);
    teardown(&h);
}

static void attempted_delete_counts(void **state)
{
    (void)state;
    harness h;
    setup(&h);
    reads(&h, "svc", TW_KIND_SERVICE, 12, 0, 60000);
    feed(&h, "svc", TW_KIND_SERVICE, H, "ec2:TerminateInstances", DEL, true);
    assert_int_equal(h.fired_r2d, 1);
    teardown(&h);
}

/* Calls AWS services make on the identity's behalf (CloudFormation acting for it, S3's
 * kms:Decrypt) neither fill nor break the read-only window. */
static void on_behalf_calls_neither_fill_nor_break(void **state)
{
    (void)state;
    harness h;
    setup(&h);
    /* nine own reads and five reads made on its behalf: not ten of its own */
    reads(&h, "agent", TW_KIND_AGENT, 9, 0, 60000);
    for (int i = 0; i < 5; i++)
        feed_ex(&h, "agent", TW_KIND_SERVICE, 20 * 60000 + i, "kms:Decrypt", READ, TW_EV_ON_BEHALF,
                NULL);
    feed(&h, "agent", TW_KIND_AGENT, H, "s3:DeleteBucket", DEL, false);
    assert_int_equal(h.n, 0);
    teardown(&h);
    /* ten own reads with writes made on its behalf among them: still all of class read */
    setup(&h);
    reads(&h, "agent", TW_KIND_AGENT, 10, 0, 60000);
    feed_ex(&h, "agent", TW_KIND_SERVICE, 15 * 60000, "iam:CreateRole", WRITE, TW_EV_ON_BEHALF,
            NULL);
    feed(&h, "agent", TW_KIND_AGENT, H, "s3:DeleteObject", DEL, false);
    assert_int_equal(h.fired_r2d, 1);
    /* and a deletion made on its behalf is no trigger */
    teardown(&h);
    setup(&h);
    reads(&h, "agent", TW_KIND_AGENT, 10, 0, 60000);
    feed_ex(&h, "agent", TW_KIND_SERVICE, H, "s3:DeleteObject", DEL, TW_EV_ON_BEHALF, NULL);
    assert_int_equal(h.n, 0);
    teardown(&h);
}

/* An identity whose events showed a person (an IAM user at the console, then at the CLI
 * without MFA) is human: the rule for non-human identities never fires on it, though its CLI
 * events are the kind service one by one. */
static void never_on_an_identity_seen_as_a_person(void **state)
{
    (void)state;
    harness h;
    setup(&h);
    feed(&h, "user/maria", TW_KIND_HUMAN, 0, "signin:ConsoleLogin", 0, false);
    reads(&h, "user/maria", TW_KIND_SERVICE, 12, 60000, 60000);
    feed(&h, "user/maria", TW_KIND_SERVICE, H, "ec2:StopInstances", DEL, false);
    assert_int_equal(h.n, 0);
    /* AWS itself neither */
    reads(&h, "lambda.amazonaws.com@1", TW_KIND_AWS_SERVICE, 12, 0, 60000);
    feed(&h, "lambda.amazonaws.com@1", TW_KIND_AWS_SERVICE, H, "ec2:DeleteNetworkInterface", DEL,
         false);
    assert_int_equal(h.n, 0);
    teardown(&h);
}

/* A destructive call that failed for a reason other than a denial changed nothing: the
 * finding is Low and says so; a denied one is the rule's level (no denied_level). */
static void failed_delete_is_low(void **state)
{
    (void)state;
    harness h;
    setup(&h);
    reads(&h, "svc", TW_KIND_SERVICE, 12, 0, 60000);
    feed_ex(&h, "svc", TW_KIND_SERVICE, H, "s3:DeleteBucket", DEL, TW_EV_FAILED, "NoSuchBucket");
    assert_int_equal(h.fired_r2d, 1);
    assert_int_equal(h.last_severity, TW_SEV_LOW);
    assert_non_null(strstr(h.last_summary, "failed: NoSuchBucket"));
    teardown(&h);
    setup(&h);
    reads(&h, "svc", TW_KIND_SERVICE, 12, 0, 60000);
    feed(&h, "svc", TW_KIND_SERVICE, H, "s3:DeleteBucket", DEL, true);
    assert_int_equal(h.last_severity, TW_SEV_HIGH);
    assert_non_null(strstr(h.last_summary, "denied: AccessDenied"));
    teardown(&h);
}

static void nine_reads_is_not_enough(void **state)
{
    (void)state;
    harness h;
    setup(&h);
    reads(&h, "agent", TW_KIND_AGENT, 9, 0, 60000);
    feed(&h, "agent", TW_KIND_AGENT, H, "s3:DeleteBucket", DEL, false);
    assert_int_equal(h.n, 0);
    teardown(&h);
}

static void window_boundary_is_exclusive(void **state)
{
    (void)state;
    harness h;
    setup(&h);
    /* the first of ten reads lies exactly 24 h before the delete: only nine are inside */
    reads(&h, "agent", TW_KIND_AGENT, 10, 0, 60000);
    feed(&h, "agent", TW_KIND_AGENT, 24 * H, "s3:DeleteBucket", DEL, false);
    assert_int_equal(h.n, 0);
    teardown(&h);
    setup(&h);
    reads(&h, "agent", TW_KIND_AGENT, 10, 0, 60000);
    feed(&h, "agent", TW_KIND_AGENT, 24 * H - 1, "s3:DeleteBucket", DEL, false);
    assert_int_equal(h.n, 1);
    teardown(&h);
}

static void a_write_breaks_the_baseline(void **state)
{
    (void)state;
    harness h;
    setup(&h);
    reads(&h, "agent", TW_KIND_AGENT, 20, 0, 60000);
    feed(&h, "agent", TW_KIND_AGENT, 30 * 60000, "s3:PutObject", WRITE, false);
    reads(&h, "agent", TW_KIND_AGENT, 20, 31 * 60000, 60000);
    feed(&h, "agent", TW_KIND_AGENT, 2 * H, "s3:DeleteObject", DEL, false);
    assert_int_equal(h.n, 0);
    /* 24 h after the write, a clean baseline again */
    reads(&h, "agent", TW_KIND_AGENT, 10, 25 * H, 60000);
    feed(&h, "agent", TW_KIND_AGENT, 26 * H, "s3:DeleteObject", DEL, false);
    assert_int_equal(h.n, 1);
    teardown(&h);
}

static void humans_and_root_are_not_flagged(void **state)
{
    (void)state;
    harness h;
    setup(&h);
    reads(&h, "alice", TW_KIND_HUMAN, 15, 0, 60000);
    feed(&h, "alice", TW_KIND_HUMAN, H, "s3:DeleteBucket", DEL, false);
    reads(&h, "root", TW_KIND_ROOT, 15, 0, 60000);
    feed(&h, "root", TW_KIND_ROOT, H, "s3:DeleteBucket", DEL, false);
    assert_int_equal(h.n, 0);
    teardown(&h);
}

static void training_and_telemetry_either_order(void **state)
{
    (void)state;
    harness h;
    setup(&h);
    feed(&h, "ml", TW_KIND_SERVICE, 0, "bedrock:CreateModelCustomizationJob", TRAIN, false);
    feed(&h, "ml", TW_KIND_SERVICE, H, "logs:FilterLogEvents", TELE, false);
    assert_int_equal(h.fired_tt, 1);
    feed(&h, "ml", TW_KIND_SERVICE, 2 * H, "logs:GetLogEvents", TELE, false);
    assert_int_equal(h.fired_tt, 1); /* once per 24 h */
    feed(&h, "ops", TW_KIND_SERVICE, 0, "cloudwatch:GetMetricData", TELE, false);
    feed(&h, "ops", TW_KIND_SERVICE, 24 * H, "bedrock-mantle:CreateFineTuningJob", TRAIN, false);
    assert_int_equal(h.fired_tt, 2); /* exactly 24 h apart: inside */
    teardown(&h);
}

static void training_telemetry_negatives(void **state)
{
    (void)state;
    harness h;
    setup(&h);
    feed(&h, "a", TW_KIND_SERVICE, 0, "sagemaker:CreateTrainingJob", TRAIN, false);
    feed(&h, "a", TW_KIND_SERVICE, 24 * H + 1, "logs:FilterLogEvents", TELE, false);
    feed(&h, "b", TW_KIND_SERVICE, 0, "sagemaker:CreateTrainingJob", TRAIN, false);
    feed(&h, "c", TW_KIND_SERVICE, H, "logs:FilterLogEvents", TELE, false);
    feed(&h, "d", TW_KIND_SERVICE, 0, "sagemaker:CreateTrainingJob", TRAIN, true);
    feed(&h, "d", TW_KIND_SERVICE, H, "logs:FilterLogEvents", TELE, false);
    assert_int_equal(h.n, 0);
    teardown(&h);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ten_reads_then_delete_fires_once),
        cmocka_unit_test(attempted_delete_counts),
        cmocka_unit_test(nine_reads_is_not_enough),
        cmocka_unit_test(on_behalf_calls_neither_fill_nor_break),
        cmocka_unit_test(never_on_an_identity_seen_as_a_person),
        cmocka_unit_test(failed_delete_is_low),
        cmocka_unit_test(window_boundary_is_exclusive),
        cmocka_unit_test(a_write_breaks_the_baseline),
        cmocka_unit_test(humans_and_root_are_not_flagged),
        cmocka_unit_test(training_and_telemetry_either_order),
        cmocka_unit_test(training_telemetry_negatives),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
