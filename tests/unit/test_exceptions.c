/* detect/exceptions: --exceptions FILE: which findings an entry matches (rule, identity,
 * fields, wildcards, lists, requestParameters paths), expiry against an injected clock, the
 * counters, and every problem of a malformed file as "file:line: message". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_test.h"

#include "exceptions.h"
#include "tw_time.h"

/* ---- helpers ---- */

static int64_t fake_now;
static int64_t fake_clock(void)
{
    return fake_now;
}

static const char *const k_ids[] = {
    "model-customization",     "logging-tampered",       "llm-jacking",      "agent-new-service",
    "unused-privileged-grant", "dormant-privilege-used", "ssm-shell-command"
};

static tw_exc_conf conf_at(const char *iso, FILE *warn)
{
    assert_int_equal(tw_time_parse_iso(iso, strlen(iso), &fake_now), TW_OK);
    return (tw_exc_conf){ .rule_ids = k_ids,
                          .n_rule_ids = sizeof k_ids / sizeof k_ids[0],
                          .n_threads = 2,
                          .clock_ms = fake_clock,
                          .warn = warn };
}

static void print_diags(const tw_exceptions *ex)
{
    for (size_t i = 0; i < tw_exceptions_diag_count(ex); i++)
        fprintf(stderr, "  diag: %s\n", tw_exceptions_diag(ex, i));
}

static tw_exceptions *load_ok(const char *yaml)
{
    tw_exc_conf conf = conf_at("2026-09-01T00:00:00Z", NULL);
    tw_exceptions *ex = NULL;
    tw_err err = tw_exceptions_load_buffer("x.yml", yaml, strlen(yaml), &conf, &ex);
    assert_non_null(ex);
    if (err != TW_OK)
        print_diags(ex);
    assert_int_equal(err, TW_OK);
    return ex;
}

/* The problems are exactly these, in order. */
static void expect_diags(const char *yaml, const char *const *want)
{
    tw_exc_conf conf = conf_at("2026-09-01T00:00:00Z", NULL);
    tw_exceptions *ex = NULL;
    tw_err err = tw_exceptions_load_buffer("x.yml", yaml, strlen(yaml), &conf, &ex);
    assert_non_null(ex);
    size_t n = 0;
    while (want[n])
        n++;
    bool same = tw_exceptions_diag_count(ex) == n;
    for (size_t i = 0; same && i < n; i++)
        same = !strcmp(tw_exceptions_diag(ex, i), want[i]);
    if (!same) {
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "  want: %s\n", want[i]);
        print_diags(ex);
    }
    assert_true(same);
    assert_int_equal(err, TW_ERR_INVALID);
    tw_exceptions_destroy(ex);
}

static void expect_one(const char *yaml, const char *diag)
{
    const char *want[] = { diag, NULL };
    expect_diags(yaml, want);
}

/* A finding of rule `rule` on an event of `identity` (a bedrock fine-tuning job unless the
 * test changes it). */
typedef struct fixture {
    tw_rule_meta meta;
    tw_event ev;
    tw_finding f;
} fixture;

static void fixture_init(fixture *fx, const char *rule, const char *identity)
{
    memset(fx, 0, sizeof *fx);
    fx->meta.id = rule;
    fx->ev.identity = tw_str_c(identity);
    fx->ev.event_source = tw_str_c("bedrock.amazonaws.com");
    fx->ev.event_name = tw_str_c("CreateModelCustomizationJob");
    fx->ev.action = tw_str_c("bedrock:CreateModelCustomizationJob");
    fx->ev.region = tw_str_c("us-east-1");
    fx->ev.account = tw_str_c("111122223333");
    fx->ev.source_ip = tw_str_c("10.0.3.7");
    fx->ev.user_agent = tw_str_c("Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0");
    fx->ev.request_params = tw_str_c(
        "{\"jobName\":\"nightly-ft-0901\",\"baseModelIdentifier\":\"amazon.titan-text-express-v1\","
        "\"trainingDataConfig\":{\"s3Uri\":\"s3://ml-data/train.jsonl\"},"
        "\"hyperParameters\":{\"epochCount\":2},\"vpcConfig\":{\"subnetIds\":[\"subnet-1\","
        "\"subnet-2\"]},\"customModelKmsKeyId\":null}");
    fx->f.rule = &fx->meta;
    fx->f.ev = &fx->ev;
    fx->f.kind = TW_KIND_SERVICE;
}

#define PIPELINE "arn:aws:iam::111122223333:role/ml-pipeline-nightly"

/* ---- matching ---- */

static void match_rule_identity_fields(void **state)
{
    (void)state;
    tw_exceptions *ex = load_ok(
        "exceptions:\n"
        "  - rule: model-customization\n"
        "    identity: \"arn:aws:iam::*:role/ml-pipeline-*\"\n"
        "    fields:\n"
        "      eventSource: bedrock.amazonaws.com\n"
        "      requestParameters.baseModelIdentifier: [\"amazon.titan-*\", \"meta.llama3*\"]\n"
        "    until: 2027-03-31\n"
        "    reason: nightly fine-tuning pipeline, owner ml-platform\n");
    assert_int_equal(tw_exceptions_entry_count(ex), 1);
    fixture fx;
    fixture_init(&fx, "model-customization", PIPELINE);
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    assert_true(tw_exceptions_match(ex, 1, &fx.f));
    assert_int_equal(tw_exceptions_suppressed(ex, -1, NULL), 2);
    assert_int_equal(tw_exceptions_suppressed(ex, 0, NULL), 1);
    assert_int_equal(tw_exceptions_suppressed(ex, -1, "model-customization"), 2);
    assert_int_equal(tw_exceptions_suppressed(ex, -1, "llm-jacking"), 0);
    tw_exceptions_destroy(ex);
}

static void no_match_rule_identity_or_field(void **state)
{
    (void)state;
    tw_exceptions *ex = load_ok("exceptions:\n"
                                "  - rule: model-customization\n"
                                "    identity: \"arn:aws:iam::*:role/ml-pipeline-*\"\n"
                                "    fields:\n"
                                "      eventSource: bedrock.amazonaws.com\n"
                                "      requestParameters.baseModelIdentifier: meta.llama3*\n"
                                "    reason: nightly fine-tuning pipeline\n");
    fixture fx;
    /* another rule */
    fixture_init(&fx, "llm-jacking", PIPELINE);
    fx.ev.request_params = tw_str_c("{\"baseModelIdentifier\":\"meta.llama3-8b\"}");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    /* another identity: a role that is no pipeline, and a user named like one */
    fixture_init(&fx, "model-customization", "arn:aws:iam::111122223333:role/observability");
    fx.ev.request_params = tw_str_c("{\"baseModelIdentifier\":\"meta.llama3-8b\"}");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    fx.ev.identity = tw_str_c("arn:aws:iam::111122223333:user/ml-pipeline-x");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    /* a field that does not hold: the base model, then the event source */
    fixture_init(&fx, "model-customization", PIPELINE);
    assert_false(tw_exceptions_match(ex, 0, &fx.f)); /* amazon.titan */
    fx.ev.request_params = tw_str_c("{\"baseModelIdentifier\":\"meta.llama3-8b\"}");
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    fx.ev.event_source = tw_str_c("sagemaker.amazonaws.com");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    assert_int_equal(tw_exceptions_suppressed(ex, -1, NULL), 1);
    tw_exceptions_destroy(ex);
}

static void wildcards_lists_and_case(void **state)
{
    (void)state;
    tw_exceptions *ex = load_ok(
        "exceptions:\n"
        "  - rule: [logging-tampered, 'llm-*']\n"
        "    identity: [\"ARN:AWS:IAM::1111222233?3:ROLE/BREAK-GLASS\", \"*:user/admin-*\"]\n"
        "    fields:\n"
        "      awsRegion: [eu-west-1, US-EAST-?]\n"
        "      userAgent: '*botocore*'\n"
        "    reason: break-glass\n"
        "  - rule: agent-new-service\n"
        "    identity: 'arn:aws:iam::111122223333:role/lit\\*eral'\n"
        "    reason: a star that is a star\n");
    fixture fx;
    fixture_init(&fx, "llm-jacking", "arn:aws:iam::111122223333:role/break-glass");
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    fx.meta.id = "logging-tampered";
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    fx.ev.identity = tw_str_c("arn:aws:iam::444455556666:user/admin-jo");
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    fx.ev.region = tw_str_c("us-east-10"); /* '?' is one character */
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    fx.ev.region = tw_str_c("eu-west-1");
    fx.ev.user_agent = tw_str_c("aws-cli/2.15.0");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    fx.ev.user_agent = tw_str_c("Boto3/1.34.0 md/Botocore#1.34.0");
    fx.meta.id = "model-customization"; /* not in the list */
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    /* '\*' is the character itself */
    fixture_init(&fx, "agent-new-service", "arn:aws:iam::111122223333:role/lit*eral");
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    fx.ev.identity = tw_str_c("arn:aws:iam::111122223333:role/litXeral");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    tw_exceptions_destroy(ex);
}

static void request_parameters_paths(void **state)
{
    (void)state;
    tw_exceptions *ex = load_ok("exceptions:\n"
                                "  - rule: model-customization\n"
                                "    fields:\n"
                                "      requestParameters.trainingDataConfig.s3Uri: s3://ml-data/*\n"
                                "      requestParameters.hyperParameters.epochCount: 2\n"
                                "      requestParameters.vpcConfig.subnetIds: subnet-2\n"
                                "      requestParameters.customModelKmsKeyId: null\n"
                                "      requestParameters.outputDataConfig: ~\n"
                                "    reason: training data from the governed bucket only\n");
    fixture fx;
    fixture_init(&fx, "model-customization", PIPELINE);
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    /* each path failing in turn */
    fx.ev.request_params = tw_str_c("{\"trainingDataConfig\":{\"s3Uri\":\"s3://other/x\"},"
                                    "\"hyperParameters\":{\"epochCount\":2},"
                                    "\"vpcConfig\":{\"subnetIds\":[\"subnet-2\"]}}");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    fx.ev.request_params = tw_str_c("{\"trainingDataConfig\":{\"s3Uri\":\"s3://ml-data/x\"},"
                                    "\"hyperParameters\":{\"epochCount\":3},"
                                    "\"vpcConfig\":{\"subnetIds\":[\"subnet-2\"]}}");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    fx.ev.request_params = tw_str_c("{\"trainingDataConfig\":{\"s3Uri\":\"s3://ml-data/x\"},"
                                    "\"hyperParameters\":{\"epochCount\":2},"
                                    "\"vpcConfig\":{\"subnetIds\":[\"subnet-1\"]}}");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    /* null means absent: a key given a value breaks it */
    fx.ev.request_params = tw_str_c("{\"trainingDataConfig\":{\"s3Uri\":\"s3://ml-data/x\"},"
                                    "\"hyperParameters\":{\"epochCount\":2},"
                                    "\"vpcConfig\":{\"subnetIds\":[\"subnet-2\"]},"
                                    "\"outputDataConfig\":{\"s3Uri\":\"s3://out/\"}}");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    fx.ev.request_params = tw_str_c("{\"trainingDataConfig\":{\"s3Uri\":\"s3://ml-data/x\"},"
                                    "\"hyperParameters\":{\"epochCount\":2},"
                                    "\"vpcConfig\":{\"subnetIds\":[\"subnet-2\"]}}");
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    /* no requestParameters at all, or not JSON: the paths are absent */
    fx.ev.request_params = TW_STR_NULL;
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    fx.ev.request_params = tw_str_c("{\"trainingDataConfig\":");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    tw_exceptions_destroy(ex);
}

static void event_fields(void **state)
{
    (void)state;
    tw_exceptions *ex = load_ok("exceptions:\n"
                                "  - rule: '*'\n"
                                "    fields:\n"
                                "      identity.kind: agent\n"
                                "      errorCode: null\n"
                                "      recipientAccountId: '1111*'\n"
                                "      action: bedrock:*\n"
                                "      modelId: anthropic.*\n"
                                "      eventName: InvokeModel\n"
                                "      sourceIPAddress: 10.0.*\n"
                                "      userIdentity.type: AssumedRole\n"
                                "      userIdentity.arn: '*/agent-session'\n"
                                "      userIdentity.accessKeyId: ASIA*\n"
                                "    reason: the support agent's own model\n");
    fixture fx;
    fixture_init(&fx, "llm-jacking", "arn:aws:iam::111122223333:role/support-agent");
    fx.f.kind = TW_KIND_AGENT;
    fx.ev.action = tw_str_c("bedrock:InvokeModel");
    fx.ev.event_name = tw_str_c("InvokeModel");
    fx.ev.model_id = tw_str_c("anthropic.claude-3-haiku");
    fx.ev.user_type = tw_str_c("AssumedRole");
    fx.ev.principal_arn =
        tw_str_c("arn:aws:sts::111122223333:assumed-role/support-agent/agent-session");
    fx.ev.access_key = tw_str_c("ASIAEXAMPLE");
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    fx.f.kind = TW_KIND_SERVICE;
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    fx.f.kind = TW_KIND_AGENT;
    fx.ev.error_code = tw_str_c("AccessDenied");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    fx.ev.error_code = TW_STR_NULL;
    fx.ev.model_id = TW_STR_NULL; /* absent: only null matches it */
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    tw_exceptions_destroy(ex);
}

/* unused-privileged-grant's event is no call (no eventName): entries with fields never match
 * it, entries without fields do. */
static void finding_without_a_call(void **state)
{
    (void)state;
    tw_exceptions *ex = load_ok("exceptions:\n"
                                "  - rule: unused-privileged-grant\n"
                                "    identity: '*:role/ci-*'\n"
                                "    fields: {identity.kind: service}\n"
                                "    reason: fields never hold without a call\n"
                                "  - rule: unused-privileged-grant\n"
                                "    identity: '*:role/deploy-*'\n"
                                "    reason: CI deploy roles hold standing grants by design\n");
    fixture fx;
    fixture_init(&fx, "unused-privileged-grant", "arn:aws:iam::111122223333:role/ci-builder");
    tw_event grant_ev = { .identity = fx.ev.identity, .account = fx.ev.account };
    fx.f.ev = &grant_ev;
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    grant_ev.identity = tw_str_c("arn:aws:iam::111122223333:role/deploy-prod");
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    tw_exceptions_destroy(ex);
}

/* The update of a finding (its repeats, raised on the same worker) follows that finding: kept
 * out when it was, written when it was, and not counted as a finding. */
static void updates_follow_their_finding(void **state)
{
    (void)state;
    tw_exceptions *ex = load_ok("exceptions:\n"
                                "  - rule: '*'\n"
                                "    identity: '*:role/break-glass*'\n"
                                "    fields: {awsRegion: us-east-1}\n"
                                "    reason: INC-5120\n");
    const char *bg = "arn:aws:iam::111122223333:role/break-glass";
    fixture fx;
    fixture_init(&fx, "ssm-shell-command", bg);
    tw_finding upd = { .rule = &fx.meta, .update = true, .count = 3, .identity = tw_str_c(bg) };
    /* nothing kept out yet */
    assert_false(tw_exceptions_match(ex, 0, &upd));
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    assert_true(tw_exceptions_match(ex, 0, &upd));  /* its fields cannot be read: it follows */
    assert_false(tw_exceptions_match(ex, 1, &upd)); /* another thread raised nothing */
    assert_int_equal(tw_exceptions_suppressed(ex, -1, NULL), 1);
    /* the next finding of the pair is written (another region): so is its update */
    fx.ev.region = tw_str_c("eu-west-1");
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    assert_false(tw_exceptions_match(ex, 0, &upd));
    /* pairs are per rule and identity */
    fx.ev.region = tw_str_c("us-east-1");
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    tw_finding other = upd;
    static const tw_rule_meta denied = { .id = "access-denied-burst" };
    other.rule = &denied;
    assert_false(tw_exceptions_match(ex, 0, &other));
    other.rule = &fx.meta;
    other.identity = tw_str_c("arn:aws:iam::111122223333:role/other");
    assert_false(tw_exceptions_match(ex, 0, &other));
    /* many pairs (the set grows and deletes) */
    char keys[600][64];
    for (int i = 0; i < 600; i++) {
        snprintf(keys[i], sizeof keys[i], "arn:aws:iam::1:role/break-glass-%d", i);
        fixture_init(&fx, "ssm-shell-command", keys[i]);
        assert_true(tw_exceptions_match(ex, 0, &fx.f));
    }
    for (int i = 0; i < 600; i += 2) {
        fixture_init(&fx, "ssm-shell-command", keys[i]);
        fx.ev.region = tw_str_c("eu-west-1");
        assert_false(tw_exceptions_match(ex, 0, &fx.f));
    }
    static const tw_rule_meta ssm = { .id = "ssm-shell-command" };
    upd.rule = &ssm;
    for (int i = 0; i < 600; i++) {
        upd.identity = tw_str_c(keys[i]);
        if (tw_exceptions_match(ex, 0, &upd) != (i % 2 == 1))
            fail_msg("pair %d", i);
    }
    tw_exceptions_destroy(ex);

    /* an entry without fields needs no memory of the finding (a consume restarted from its
     * checkpoint updates findings kept out before): it holds for the update as it held then */
    ex = load_ok("exceptions:\n"
                 "  - rule: ssm-shell-command\n"
                 "    identity: '*:role/break-glass'\n"
                 "    reason: INC-5120\n");
    upd.identity = tw_str_c(bg);
    assert_true(tw_exceptions_match(ex, 1, &upd));
    upd.identity = tw_str_c("arn:aws:iam::111122223333:role/oncall");
    assert_false(tw_exceptions_match(ex, 1, &upd));
    assert_int_equal(tw_exceptions_suppressed(ex, -1, NULL), 0);
    tw_exceptions_destroy(ex);
}

/* ---- until ---- */

static void expired_entry_ignored_with_warning(void **state)
{
    (void)state;
    const char *yaml = "exceptions:\n"
                       "  - rule: '*'\n"
                       "    identity: '*:role/break-glass'\n"
                       "    until: 2026-08-31\n"
                       "    reason: incident 4711 clean-up\n"
                       "  - rule: '*'\n"
                       "    identity: '*:role/break-glass'\n"
                       "    until: 2026-09-01\n"
                       "    reason: the whole day of the 1st\n"
                       "  - rule: logging-tampered\n"
                       "    identity: '*:role/log-admin'\n"
                       "    until: 2026-09-01T12:00:00Z\n"
                       "    reason: trail migration window\n";
    tw_exc_conf conf = conf_at("2026-09-01T00:00:00Z", NULL);
    tw_exceptions *ex = NULL;
    assert_int_equal(tw_exceptions_load_buffer("tuning.yml", yaml, strlen(yaml), &conf, &ex),
                     TW_OK);
    assert_int_equal(tw_exceptions_warning_count(ex), 1);
    assert_string_equal(tw_exceptions_warning(ex, 0),
                        "tuning.yml:2: exception expired on 2026-08-31 (reason: incident 4711 "
                        "clean-up): ignored");
    assert_int_equal(tw_exceptions_entry_count(ex), 2);
    tw_exceptions_destroy(ex);

    /* an entry that expires during the run stops applying, said once */
    FILE *warn = tmpfile();
    assert_non_null(warn);
    conf = conf_at("2026-09-01T11:00:00Z", warn);
    assert_int_equal(tw_exceptions_load_buffer("tuning.yml", yaml, strlen(yaml), &conf, &ex),
                     TW_OK);
    fixture fx;
    fixture_init(&fx, "logging-tampered", "arn:aws:iam::111122223333:role/log-admin");
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    fake_now += 3 * TW_MS_HOUR; /* 14:00 */
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    assert_false(tw_exceptions_match(ex, 1, &fx.f));
    /* the date holds through its day, UTC */
    fx.ev.identity = tw_str_c("arn:aws:iam::111122223333:role/break-glass");
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    fake_now += 10 * TW_MS_HOUR; /* the 2nd, 00:00 */
    assert_false(tw_exceptions_match(ex, 0, &fx.f));
    char text[1024] = { 0 };
    rewind(warn);
    size_t got = fread(text, 1, sizeof text - 1, warn);
    text[got] = '\0';
    assert_string_equal(text,
                        "trailwarden: warning: tuning.yml:10: exception expired on "
                        "2026-09-01T12:00:00Z during the run (reason: trail migration window): "
                        "its findings are written from now on\n"
                        "trailwarden: warning: tuning.yml:6: exception expired on 2026-09-01 "
                        "during the run (reason: the whole day of the 1st): its findings are "
                        "written from now on\n");
    fclose(warn);
    tw_exceptions_destroy(ex);
}

/* The forms `until` takes, and the instant each ends at. */
static void until_forms(void **state)
{
    (void)state;
    static const struct {
        const char *until;
        const char *last_ok; /* still holds then */
    } cases[] = {
        { "2026-09-30", "2026-09-30T23:59:59.999Z" },
        { "2028-02-29", "2028-02-29T23:59:59.999Z" }, /* a leap day */
        { "2026-09-30T18:00:00Z", "2026-09-30T18:00:00Z" },
        { "2026-09-30T18:00:00", "2026-09-30T18:00:00Z" }, /* no zone: UTC */
        { "2026-09-30T20:00:00+02:00", "2026-09-30T18:00:00Z" },
        { "2026-09-30T18:00:00.250Z", "2026-09-30T18:00:00.250Z" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[256];
        snprintf(yaml, sizeof yaml,
                 "exceptions:\n  - {rule: llm-jacking, until: '%s', reason: r}\n", cases[i].until);
        tw_exceptions *ex = load_ok(yaml);
        fixture fx;
        fixture_init(&fx, "llm-jacking", PIPELINE);
        assert_int_equal(tw_time_parse_iso(cases[i].last_ok, strlen(cases[i].last_ok), &fake_now),
                         TW_OK);
        assert_true(tw_exceptions_match(ex, 0, &fx.f));
        fake_now += 1;
        assert_false(tw_exceptions_match(ex, 0, &fx.f));
        tw_exceptions_destroy(ex);
    }
    expect_one("exceptions:\n  - {rule: llm-jacking, until: 2027-02-29, reason: r}\n",
               "x.yml:2: until '2027-02-29' is not a date (2027-03-31) or an RFC 3339 time "
               "(2027-03-31T18:00:00Z)");
    expect_one("exceptions:\n  - {rule: llm-jacking, until: '2027-03-31 18:00:00', reason: r}\n",
               "x.yml:2: until '2027-03-31 18:00:00' is not a date (2027-03-31) or an RFC 3339 "
               "time (2027-03-31T18:00:00Z)");
    expect_one("exceptions:\n  - {rule: llm-jacking, until: 30d, reason: r}\n",
               "x.yml:2: until '30d' is not a date (2027-03-31) or an RFC 3339 time "
               "(2027-03-31T18:00:00Z)");
}

/* ---- counters ---- */

static void stats_and_hits(void **state)
{
    (void)state;
    tw_exceptions *ex = load_ok("exceptions:\n"
                                "  - rule: [model-customization, llm-jacking]\n"
                                "    identity: '*:role/ml-*'\n"
                                "    reason: ML platform\n"
                                "  - rule: llm-jacking\n"
                                "    identity: '*:role/app-*'\n"
                                "    reason: Bedrock applications\n");
    fixture fx;
    fixture_init(&fx, "model-customization", "arn:aws:iam::1:role/ml-a");
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    assert_true(tw_exceptions_match(ex, 1, &fx.f));
    fx.meta.id = "llm-jacking";
    assert_true(tw_exceptions_match(ex, 1, &fx.f));
    fx.ev.identity = tw_str_c("arn:aws:iam::1:role/app-b");
    assert_true(tw_exceptions_match(ex, 0, &fx.f));
    FILE *o = tmpfile();
    assert_non_null(o);
    tw_exceptions_print_stats(ex, o);
    tw_exceptions_print_hits(ex, o);
    char text[1024] = { 0 };
    rewind(o);
    size_t got = fread(text, 1, sizeof text - 1, o);
    text[got] = '\0';
    fclose(o);
    assert_string_equal(text,
                        "  suppressed.exception         4\n"
                        "  suppressed.exception.model-customization 2\n"
                        "  suppressed.exception.llm-jacking      2\n"
                        "trailwarden: x.yml:2: exception suppressed 3 findings (reason: ML "
                        "platform)\n"
                        "trailwarden: x.yml:5: exception suppressed 1 finding (reason: Bedrock "
                        "applications)\n");
    tw_exceptions_destroy(ex);
}

/* ---- malformed files ---- */

static void malformed_entries(void **state)
{
    (void)state;
    const char *want[] = {
        "x.yml:2: unknown key 'rules' (did you mean 'rule'?)",
        "x.yml:2: an exception needs 'rule' (a rule id or a list of ids; '*' for every rule)",
        "x.yml:6: until '2027-02-30' is not a date (2027-03-31) or an RFC 3339 time "
        "(2027-03-31T18:00:00Z)",
        "x.yml:8: 'rule' is an empty list",
        "x.yml:11: 'identity' must be a string or a list of strings, not a map",
        "x.yml:14: field 'eventNmae' is not supported (did you mean 'eventName'?)",
        "x.yml:15: field 'requestParameter.bucketName' is not supported (did you mean "
        "'requestParameters.bucketName'?)",
        "x.yml:16: field 'responseElements.x' is not supported (eventSource, eventName, "
        "awsRegion, sourceIPAddress, userAgent, errorCode, recipientAccountId, action, "
        "identity.kind, modelId, userIdentity.type, userIdentity.arn, userIdentity.accessKeyId, "
        "requestParameters.PATH)",
        "x.yml:19: rule 'model-customisation': no loaded rule has this id (did you mean "
        "'model-customization'?)",
        "x.yml:19: rule 'guardrail-*' matches no loaded rule",
        "x.yml:22: an exception for every rule needs 'identity' or 'fields': alone it would "
        "suppress every finding",
        "x.yml:25: identity.kind 'robot' is no kind (service, aws-service, human, agent, root)",
        "x.yml:26: 'reason' is empty",
        "x.yml:28: 'fields' must be a map of field names to values, not a list",
        "x.yml:29: until must be a date (2027-03-31) or an RFC 3339 time, not a list",
        NULL,
    };
    expect_diags("exceptions:\n"                                 /* 1 */
                 "  - rules: model-customization\n"              /* 2 */
                 "    reason: typo in the key\n"                 /* 3 */
                 "  - rule: llm-jacking\n"                       /* 4 */
                 "    identity: '*'\n"                           /* 5 */
                 "    until: 2027-02-30\n"                       /* 6 */
                 "    reason: no such day\n"                     /* 7 */
                 "  - rule: []\n"                                /* 8 */
                 "    reason: nothing\n"                         /* 9 */
                 "  - rule: llm-jacking\n"                       /* 10 */
                 "    identity: {arn: x}\n"                      /* 11 */
                 "    reason: a map\n"                           /* 12 */
                 "  - rule: llm-jacking\n"                       /* 13 */
                 "    fields: {eventNmae: X,\n"                  /* 14 */
                 "      requestParameter.bucketName: b,\n"       /* 15 */
                 "      responseElements.x: y}\n"                /* 16 */
                 "    reason: fields\n"                          /* 17 */
                 "  - rule:\n"                                   /* 18 */
                 "      [model-customisation, 'guardrail-*']\n"  /* 19 */
                 "    identity: x\n"                             /* 20 */
                 "    reason: ids\n"                             /* 21 */
                 "  - rule: '*'\n"                               /* 22 */
                 "    reason: everything\n"                      /* 23 */
                 "  - rule: llm-jacking\n"                       /* 24 */
                 "    fields: {identity.kind: [agent, robot]}\n" /* 25 */
                 "    reason: '  '\n"                            /* 26 */
                 "  - rule: llm-jacking\n"                       /* 27 */
                 "    fields: [eventName]\n"                     /* 28 */
                 "    until: [2027-01-01]\n"                     /* 29 */
                 "    reason: types\n",                          /* 30 */
                 want);
}

static void malformed_documents(void **state)
{
    (void)state;
    expect_one("", "x.yml:1: empty (an exceptions file holds 'exceptions:' and a list of "
                   "entries)");
    expect_one("- rule: x\n", "x.yml:1: an exceptions file is a map with the key 'exceptions' "
                              "(a list of entries), not a list");
    const char *typo[] = { "x.yml:1: unknown key 'exception' (did you mean 'exceptions'?)",
                           "x.yml:1: missing 'exceptions' (a list of entries)", NULL };
    expect_diags("exception:\n  - rule: x\n", typo);
    expect_one("exceptions: yes\n",
               "x.yml:1: 'exceptions' must be a list of entries, not a string");
    expect_one("exceptions:\n  - llm-jacking\n",
               "x.yml:2: an exception must be a map (rule, identity, fields, until, reason), not "
               "a string");
    expect_one("exceptions:\n  - rule: llm-jacking\n    reason: a\n    reason: b\n",
               "x.yml:4: duplicate key 'reason' (first at line 3)");
    expect_one("exceptions:\n  - rule: [llm-jacking\n    reason: a\n",
               "x.yml:3: YAML: did not find expected ',' or ']' (while parsing a flow sequence "
               "at line 2)");
    expect_one("exceptions: []\n---\nexceptions: []\n",
               "x.yml:3: a second YAML document (a file holds one 'exceptions:' list)");
    expect_one("exceptions:\n  - &a {rule: llm-jacking, reason: r}\n  - *a\n",
               "x.yml:3: YAML aliases (*a) are not supported");
    expect_one("exceptions:\n  - rule: llm-jacking\n    identity: ''\n    reason: r\n",
               "x.yml:3: 'identity' holds an empty string");
    expect_one("exceptions:\n  - rule: llm-jacking\n    fields: {errorCode: ''}\n    reason: r\n",
               "x.yml:3: 'errorCode' holds an empty string (write null for an absent field)");
    expect_one("exceptions:\n  - rule: llm-jacking\n    fields: {requestParameters.a..b: x}\n"
               "    reason: r\n",
               "x.yml:3: field 'requestParameters.a..b': an empty name in the path");
    expect_one("exceptions:\n  - rule: llm-jacking\n    fields: {requestParameters.*: x}\n"
               "    reason: r\n",
               "x.yml:3: field 'requestParameters.*': a requestParameters path has no wildcards");
    expect_one("exceptions:\n  - rule: llm-jacking\n    fields: {}\n    reason: r\n",
               "x.yml:3: 'fields' is empty (leave it out to match any event)");
    /* an empty list is fine: every entry commented out */
    tw_exceptions *ex = load_ok("exceptions:\n#  - rule: llm-jacking\n");
    assert_int_equal(tw_exceptions_entry_count(ex), 0);
    tw_exceptions_destroy(ex);
}

static void hostile_sizes(void **state)
{
    (void)state;
    size_t len = TW_EXC_MAX_FILE_BYTES + 1;
    char *big = malloc(len + 1);
    assert_non_null(big);
    memset(big, '#', len);
    big[len] = '\0';
    expect_one(big, "x.yml:1: larger than 1024 KiB, the limit for an exceptions file");
    free(big);

    /* more entries than the cap: one problem, nothing built */
    size_t n = TW_EXC_MAX_ENTRIES + 1, cap = 32 + n * 40;
    char *many = malloc(cap), *p = many;
    assert_non_null(many);
    p += sprintf(p, "exceptions:\n");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "- {rule: llm-jacking, reason: r}\n");
    expect_one(many, "x.yml:2: more than 10000 exceptions");
    free(many);

    /* nesting past the YAML tree's depth */
    char deep[400];
    p = deep;
    p += sprintf(p, "exceptions: ");
    for (int i = 0; i < 40; i++)
        *p++ = '[';
    *p = '\0';
    expect_one(deep, "x.yml:1: YAML nested deeper than 32 levels");
}

static void unreadable_file(void **state)
{
    (void)state;
    tw_exc_conf conf = conf_at("2026-09-01T00:00:00Z", NULL);
    tw_exceptions *ex = NULL;
    assert_int_equal(tw_exceptions_load("/nonexistent/tuning.yml", &conf, &ex), TW_ERR_INVALID);
    assert_int_equal(tw_exceptions_diag_count(ex), 1);
    assert_string_equal(tw_exceptions_diag(ex, 0),
                        "/nonexistent/tuning.yml: cannot read: No such file or directory");
    tw_exceptions_destroy(ex);
    assert_int_equal(tw_exceptions_load(TW_SOURCE_DIR "/tests", &conf, &ex), TW_ERR_INVALID);
    assert_string_equal(tw_exceptions_diag(ex, 0),
                        TW_SOURCE_DIR "/tests: cannot read: Is a directory");
    tw_exceptions_destroy(ex);
    tw_exceptions_destroy(NULL);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(match_rule_identity_fields),
        cmocka_unit_test(no_match_rule_identity_or_field),
        cmocka_unit_test(wildcards_lists_and_case),
        cmocka_unit_test(request_parameters_paths),
        cmocka_unit_test(event_fields),
        cmocka_unit_test(finding_without_a_call),
        cmocka_unit_test(updates_follow_their_finding),
        cmocka_unit_test(expired_entry_ignored_with_warning),
        cmocka_unit_test(until_forms),
        cmocka_unit_test(stats_and_hits),
        cmocka_unit_test(malformed_entries),
        cmocka_unit_test(malformed_documents),
        cmocka_unit_test(hostile_sizes),
        cmocka_unit_test(unreadable_file),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
