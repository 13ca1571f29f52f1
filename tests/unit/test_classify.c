/* Classifying what AWS recorded (DESIGN §3, §4; issue 12): records of real shape, parsed by the
 * JSON wrapper and normalized, give the classes the record's readOnly says, the on-behalf flag
 * of calls AWS services make for an identity, the identity's kind and key; the resource a call
 * acted on is read from its requestParameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_test.h"

#include "ingest_batch.h"
#include "schema_catalog.h"
#include "schema_json.h"
#include "ingest_normalize.h"
#include "ingest_audit.h"
#include "schema_resource.h"

typedef struct one {
    const tw_normalize_conf *conf;
    tw_batch *batch;
    int n;
} one;

static int normalize_one(void *ud, const tw_raw_record *raw)
{
    one *o = ud;
    tw_reject reason;
    char why[200];
    assert_int_equal(tw_normalize(o->conf, raw, o->batch, &reason, why, sizeof why), TW_NORM_EVENT);
    o->n++;
    return 0;
}

typedef struct fixture {
    tw_catalog *cat;
    tw_normalize_conf conf;
    tw_json *js;
    tw_batch *batch;
    char *buf;
} fixture;

static void fx_init(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    char errstr[256] = "";
    if (tw_catalog_new(&fx->cat, errstr, sizeof errstr) != TW_OK)
        fail_msg("catalog: %s", errstr);
    fx->conf.catalog = fx->cat;
    fx->js = tw_json_new();
    assert_non_null(fx->js);
}

static void fx_free(fixture *fx)
{
    tw_batch_destroy(fx->batch);
    free(fx->buf);
    tw_json_destroy(fx->js);
    tw_catalog_destroy(fx->cat);
}

/* The event of one record (valid until the next call). */
static const tw_event *event_of(fixture *fx, const char *record)
{
    tw_batch_destroy(fx->batch);
    free(fx->buf);
    fx->batch = tw_batch_new(4);
    assert_non_null(fx->batch);
    size_t len = strlen(record);
    fx->buf = malloc(len + TW_JSON_PADDING);
    assert_non_null(fx->buf);
    memcpy(fx->buf, record, len);
    memset(fx->buf + len, ' ', TW_JSON_PADDING);
    one o = { &fx->conf, fx->batch, 0 };
    tw_json_error err = { 0 };
    assert_int_equal(
        tw_json_parse(fx->js, fx->buf, len, len + TW_JSON_PADDING, normalize_one, &o, &err), TW_OK);
    assert_int_equal(o.n, 1);
    return &fx->batch->ev[0];
}

static void assert_str(tw_str s, const char *want)
{
    if (!tw_str_eq_c(s, want))
        fail_msg("got '%.*s', want '%s'", (int)s.len, s.p ? s.p : "", want);
}

/* A kms:Decrypt that S3 made for a reader of an SSE-KMS object: the reader's own assumed-role
 * identity, invokedBy and source s3.amazonaws.com, readOnly true. kms:Decrypt's access level
 * is Write; the record says it changed nothing. */
static const char k_decrypt_by_s3[] =
    "{\"eventVersion\":\"1.10\",\"userIdentity\":{\"type\":\"AssumedRole\","
    "\"principalId\":\"AROAEXAMPLEID:reader-agent\",\"arn\":\"arn:aws:sts::111122223333:"
    "assumed-role/report-reader/reader-agent\",\"accountId\":\"111122223333\","
    "\"accessKeyId\":\"ASIAEXAMPLEKEY\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","
    "\"principalId\":\"AROAEXAMPLEID\",\"arn\":\"arn:aws:iam::111122223333:role/report-reader\","
    "\"accountId\":\"111122223333\",\"userName\":\"report-reader\"},\"attributes\":{"
    "\"creationDate\":\"2026-09-01T08:00:00Z\",\"mfaAuthenticated\":\"false\"}},"
    "\"invokedBy\":\"s3.amazonaws.com\"},\"eventTime\":\"2026-09-01T08:15:00Z\","
    "\"eventSource\":\"kms.amazonaws.com\",\"eventName\":\"Decrypt\",\"awsRegion\":\"eu-west-1\","
    "\"sourceIPAddress\":\"s3.amazonaws.com\",\"userAgent\":\"s3.amazonaws.com\","
    "\"requestParameters\":{\"encryptionContext\":{\"aws:s3:arn\":\"arn:aws:s3:::reports/q3.csv\"},"
    "\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"},\"responseElements\":null,"
    "\"requestID\":\"r-1\",\"eventID\":\"e-1\",\"readOnly\":true,\"resources\":[{\"accountId\":"
    "\"111122223333\",\"type\":\"AWS::KMS::Key\",\"ARN\":\"arn:aws:kms:eu-west-1:111122223333:"
    "key/1234abcd-12ab-34cd-56ef-1234567890ab\"}],\"eventType\":\"AwsApiCall\","
    "\"managementEvent\":true,\"recipientAccountId\":\"111122223333\","
    "\"eventCategory\":\"Management\"}";

static void decrypt_by_s3_is_a_read_made_on_behalf(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    const tw_event *ev = event_of(&fx, k_decrypt_by_s3);
    assert_str(ev->action, "kms:Decrypt");
    assert_int_equal(ev->classes, TW_CLASS_READ);
    assert_true(ev->flags & TW_EV_ON_BEHALF);
    assert_str(ev->identity, "arn:aws:iam::111122223333:role/report-reader");
    assert_int_equal(ev->kind, TW_KIND_SERVICE);
    fx_free(&fx);
}

/* The same call without readOnly (an older record): the catalog decides, Write. */
static void without_read_only_the_catalog_decides(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    char rec[sizeof k_decrypt_by_s3];
    memcpy(rec, k_decrypt_by_s3, sizeof rec);
    char *ro = strstr(rec, "\"readOnly\":true,");
    assert_non_null(ro);
    memmove(ro, ro + 16, strlen(ro + 16) + 1);
    const tw_event *ev = event_of(&fx, rec);
    assert_true(ev->classes & TW_CLASS_WRITE);
    assert_false(ev->classes & TW_CLASS_READ);
    fx_free(&fx);
}

/* sts:AssumeRole is on the privilege-escalation lists, but a session it opens changes no
 * permission: with readOnly true it is a read and no privileged call. readOnly as a string,
 * as some exports write it, counts the same. A readOnly false on a Read-level action makes
 * it a write. */
static void assume_role_is_read_and_not_privileged(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    const tw_event *ev = event_of(
        &fx, "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":"
             "\"arn:aws:sts::111122223333:assumed-role/ci-deployer/build-77\",\"sessionContext\":"
             "{\"sessionIssuer\":{\"type\":\"Role\",\"arn\":\"arn:aws:iam::111122223333:role/"
             "ci-deployer\",\"userName\":\"ci-deployer\"}}},\"eventTime\":\"2026-09-01T08:15:00Z\","
             "\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"AssumeRole\",\"awsRegion\":"
             "\"us-east-1\",\"sourceIPAddress\":\"203.0.113.7\",\"userAgent\":\"aws-cli/2.15.0\","
             "\"requestParameters\":{\"roleArn\":\"arn:aws:iam::444455556666:role/deploy\","
             "\"roleSessionName\":\"build-77\"},\"eventID\":\"e-2\",\"readOnly\":\"true\","
             "\"recipientAccountId\":\"111122223333\"}");
    assert_str(ev->action, "sts:AssumeRole");
    assert_int_equal(ev->classes & (TW_CLASS_READ | TW_CLASS_WRITE), TW_CLASS_READ);
    assert_false(ev->classes & TW_CLASS_PRIVILEGED);
    assert_false(ev->flags & TW_EV_ON_BEHALF);
    /* the catalog alone (no readOnly) keeps it privileged: escalation list */
    assert_true(tw_classes_of_record(TW_CLASS_WRITE | TW_CLASS_ESCALATION, TW_RAW_UNSET) &
                TW_CLASS_PRIVILEGED);
    /* a read that the record says changed something is a write; destructive stays */
    assert_int_equal(tw_classes_of_record(TW_CLASS_READ, TW_RAW_FALSE), TW_CLASS_WRITE);
    assert_int_equal(tw_classes_of_record(TW_CLASS_WRITE | TW_CLASS_DESTRUCTIVE, TW_RAW_TRUE),
                     TW_CLASS_READ | TW_CLASS_DESTRUCTIVE);
    fx_free(&fx);
}

/* A call from "AWS Internal" (the console's back end, a service) is on behalf; a person's call
 * through the console's sign-in service (invokedBy signin.amazonaws.com) is the person's. */
static void aws_internal_and_signin_relay(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    const tw_event *ev = event_of(
        &fx, "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":"
             "\"arn:aws:sts::111122223333:assumed-role/ops/jane\"},\"eventTime\":"
             "\"2026-09-01T08:15:00Z\",\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":"
             "\"CreateImage\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"AWS Internal\","
             "\"userAgent\":\"AWS Internal\",\"readOnly\":false,\"eventID\":\"e-3\"}");
    assert_true(ev->flags & TW_EV_ON_BEHALF);
    ev = event_of(
        &fx, "{\"eventVersion\":\"1.04\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":"
             "\"arn:aws:iam::111111111111:user/janedoe\",\"accountId\":\"111111111111\","
             "\"userName\":\"janedoe\",\"sessionContext\":{\"attributes\":{\"mfaAuthenticated\":"
             "\"false\",\"creationDate\":\"2016-04-13T17:51:37Z\"}},\"invokedBy\":"
             "\"signin.amazonaws.com\"},\"eventTime\":\"2016-04-13T18:05:53Z\",\"eventSource\":"
             "\"support.amazonaws.com\",\"eventName\":\"CreateCase\",\"awsRegion\":\"us-east-1\","
             "\"sourceIPAddress\":\"198.51.100.4\",\"userAgent\":\"signin.amazonaws.com\","
             "\"eventID\":\"e-4\"}");
    assert_false(ev->flags & TW_EV_ON_BEHALF);
    assert_int_equal(ev->kind, TW_KIND_HUMAN); /* the console relayed a person's click */
    fx_free(&fx);
}

/* People: an IAM user at the console without sessionCredentialFromConsole (a browser user
 * agent), an IAM user at the CLI after MFA, CloudShell. Machines rarely present either. */
static void people_by_browser_and_mfa(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    const tw_event *ev = event_of(
        &fx, "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":"
             "\"AIDAEXAMPLE\",\"arn\":\"arn:aws:iam::111122223333:user/maria\",\"accountId\":"
             "\"111122223333\",\"accessKeyId\":\"ASIAEXAMPLE\",\"userName\":\"maria\"},"
             "\"eventTime\":\"2026-09-01T09:00:00Z\",\"eventSource\":\"ec2.amazonaws.com\","
             "\"eventName\":\"StopInstances\",\"awsRegion\":\"eu-west-1\",\"sourceIPAddress\":"
             "\"198.51.100.9\",\"userAgent\":\"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
             "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\",\"readOnly\":"
             "false,\"eventID\":\"e-5\"}");
    assert_int_equal(ev->kind, TW_KIND_HUMAN);
    assert_str(ev->identity, "arn:aws:iam::111122223333:user/maria");
    ev = event_of(
        &fx, "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":"
             "\"arn:aws:iam::111122223333:user/maria\",\"userName\":\"maria\",\"sessionContext\":"
             "{\"attributes\":{\"creationDate\":\"2026-09-01T08:00:00Z\",\"mfaAuthenticated\":"
             "\"true\"}}},\"eventTime\":\"2026-09-01T09:00:00Z\",\"eventSource\":"
             "\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",\"awsRegion\":\"us-east-1\","
             "\"sourceIPAddress\":\"198.51.100.9\",\"userAgent\":\"aws-cli/2.15.0 Python/3.11\","
             "\"readOnly\":true,\"eventID\":\"e-6\"}");
    assert_int_equal(ev->kind, TW_KIND_HUMAN);
    /* the same without MFA: a program's access key, as far as the record shows */
    ev = event_of(
        &fx, "{\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/"
             "etl\",\"userName\":\"etl\",\"sessionContext\":{\"attributes\":{"
             "\"mfaAuthenticated\":\"false\"}}},\"eventTime\":\"2026-09-01T09:00:00Z\","
             "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",\"userAgent\":"
             "\"aws-cli/2.15.0 Python/3.11\",\"eventID\":\"e-7\"}");
    assert_int_equal(ev->kind, TW_KIND_SERVICE);
    ev = event_of(
        &fx, "{\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/"
             "ana\",\"userName\":\"ana\"},\"eventTime\":\"2026-09-01T09:00:00Z\",\"eventSource\":"
             "\"ec2.amazonaws.com\",\"eventName\":\"StopInstances\",\"userAgent\":\"aws-cli/2.13.0 "
             "Python/3.11.4 Linux/4.14.255 exec-env/CloudShell exe/x86_64.amzn.2 prompt/off "
             "command/ec2.stop-instances\",\"eventID\":\"e-8\"}");
    assert_int_equal(ev->kind, TW_KIND_HUMAN);
    /* an agent framework wins over a browser: an agent driving a browser session */
    ev = event_of(
        &fx, "{\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::1:assumed-role/"
             "AWSReservedSSO_Dev_ab12/dev\"},\"eventTime\":\"2026-09-01T09:00:00Z\","
             "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",\"userAgent\":"
             "\"Boto3/1.34 strands-agents/1.2\",\"eventID\":\"e-9\"}");
    assert_int_equal(ev->kind, TW_KIND_AGENT);
    fx_free(&fx);
}

/* AWS itself: an AWSService principal assuming a workload's role is keyed by its service in
 * the account the record names, and is kind aws-service; AgentCore as that service is AWS,
 * not an agent. A service-linked role's session is AWS too. */
static void aws_service_principals(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    const tw_event *ev = event_of(
        &fx, "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":"
             "\"lambda.amazonaws.com\"},\"eventTime\":\"2026-09-01T09:00:00Z\",\"eventSource\":"
             "\"sts.amazonaws.com\",\"eventName\":\"AssumeRole\",\"awsRegion\":\"eu-west-1\","
             "\"sourceIPAddress\":\"lambda.amazonaws.com\",\"userAgent\":\"lambda.amazonaws.com\","
             "\"requestParameters\":{\"roleArn\":\"arn:aws:iam::111122223333:role/orders-fn\","
             "\"roleSessionName\":\"orders-fn\"},\"readOnly\":true,\"eventID\":\"e-10\","
             "\"recipientAccountId\":\"111122223333\",\"sharedEventID\":\"s-1\"}");
    assert_str(ev->identity, "lambda.amazonaws.com@111122223333");
    assert_int_equal(ev->kind, TW_KIND_AWS_SERVICE);
    assert_true(ev->flags & TW_EV_ON_BEHALF);
    ev = event_of(
        &fx, "{\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":"
             "\"bedrock-agentcore.amazonaws.com\"},\"eventTime\":\"2026-09-01T09:00:00Z\","
             "\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"AssumeRole\",\"readOnly\":true,"
             "\"eventID\":\"e-11\",\"recipientAccountId\":\"444455556666\"}");
    assert_str(ev->identity, "bedrock-agentcore.amazonaws.com@444455556666");
    assert_int_equal(ev->kind, TW_KIND_AWS_SERVICE);
    ev = event_of(&fx,
                  "{\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::123412341234:"
                  "assumed-role/AWSServiceRoleForSSO/AWS-SSO\",\"invokedBy\":\"sso.amazonaws.com\","
                  "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"arn\":\"arn:aws:iam::"
                  "123412341234:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO\","
                  "\"userName\":\"AWSServiceRoleForSSO\"}}},\"eventTime\":\"2022-12-12T21:46:17Z\","
                  "\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateSAMLProvider\","
                  "\"sourceIPAddress\":\"sso.amazonaws.com\",\"userAgent\":\"sso.amazonaws.com\","
                  "\"eventID\":\"e-12\"}");
    assert_int_equal(ev->kind, TW_KIND_AWS_SERVICE);
    assert_str(ev->identity, "arn:aws:iam::123412341234:role/AWSServiceRoleForSSO");
    /* an assumed-role session that AgentCore runs (its execution role) is an agent */
    ev = event_of(
        &fx, "{\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::1:assumed-role/"
             "support-bot/s\",\"invokedBy\":\"bedrock-agentcore.amazonaws.com\"},\"eventTime\":"
             "\"2026-09-01T09:00:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":"
             "\"GetObject\",\"eventID\":\"e-13\"}");
    assert_int_equal(ev->kind, TW_KIND_AGENT);
    fx_free(&fx);
}

/* Audit destinations are read on the parser's thread into hashes (ingest_audit.h): what a
 * successful naming call names, what a deletion deletes; a default name is logging-control at
 * once. */
static void audit_destinations_read_by_the_parser(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    static const char trail[] =
        "{\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::111122223333:"
        "assumed-role/admin/a\"},\"eventTime\":\"2026-09-01T08:00:00Z\",\"eventSource\":"
        "\"cloudtrail.amazonaws.com\",\"eventName\":\"CreateTrail\",\"requestParameters\":{"
        "\"name\":\"t\",\"s3BucketName\":\"org-audit\",\"cloudWatchLogsLogGroupArn\":"
        "\"arn:aws:logs:us-east-1:111122223333:log-group:org-events:*\"},\"eventID\":\"e\","
        "\"recipientAccountId\":\"111122223333\"%s}";
    char rec[sizeof trail + 64];
    snprintf(rec, sizeof rec, trail, "");
    const tw_event *ev = event_of(&fx, rec);
    assert_int_equal(ev->n_audit_names, 2);
    assert_true(ev->audit_names[0] ==
                tw_audit_dest_hash(TW_AUDIT_BUCKET, TW_STR_NULL, tw_str_c("org-audit")));
    assert_true(ev->audit_names[1] == tw_audit_dest_hash(TW_AUDIT_LOG_GROUP,
                                                         tw_str_c("111122223333"),
                                                         tw_str_c("org-events")));
    snprintf(rec, sizeof rec, trail, ",\"errorCode\":\"InsufficientS3BucketPolicyException\"");
    ev = event_of(&fx, rec);
    assert_int_equal(ev->n_audit_names, 0); /* a failed call names nothing */
    static const char del[] =
        "{\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::111122223333:"
        "assumed-role/cleanup/j\"},\"eventTime\":\"2026-09-01T09:00:00Z\",\"eventSource\":"
        "\"logs.amazonaws.com\",\"eventName\":\"DeleteLogGroup\",\"requestParameters\":{"
        "\"logGroupName\":\"%s\"},\"eventID\":\"e\",\"readOnly\":false,"
        "\"recipientAccountId\":\"111122223333\"}";
    snprintf(rec, sizeof rec, del, "org-events");
    ev = event_of(&fx, rec);
    assert_true(ev->flags & TW_EV_AUDIT_CANDIDATE);
    assert_false(ev->classes & TW_CLASS_LOGGING_CONTROL); /* the router decides */
    assert_true(ev->audit_target == tw_audit_dest_hash(TW_AUDIT_LOG_GROUP, tw_str_c("111122223333"),
                                                       tw_str_c("org-events")));
    snprintf(rec, sizeof rec, del, "aws-cloudtrail-logs-111122223333-ab12");
    ev = event_of(&fx, rec);
    assert_false(ev->flags & TW_EV_AUDIT_CANDIDATE);
    assert_true(ev->classes & TW_CLASS_LOGGING_CONTROL); /* AWS's default name */
    fx_free(&fx);
}

/* The resource a call acted on, by the service's keys, unescaped, first key that is there. */
static void resources_from_request_parameters(void **state)
{
    (void)state;
    char buf[TW_RESOURCE_MAX];
    static const struct {
        const char *source, *params, *want;
    } cases[] = {
        { "cloudtrail.amazonaws.com", "{\"name\":\"management-events\"}", "management-events" },
        { "logs.amazonaws.com", "{\"logGroupName\": \"/aws/lambda/orders\"}",
          "/aws/lambda/orders" },
        { "s3.amazonaws.com", "{\"Host\":\"b.s3.amazonaws.com\",\"bucketName\":\"b\"}", "b" },
        { "ec2.amazonaws.com",
          "{\"snapshotId\":\"snap-0123\",\"attributeType\":\"CREATE_VOLUME_PERMISSION\"}",
          "snap-0123" },
        { "kms.amazonaws.com", "{\"keyId\":\"alias\\/payments\"}", "alias/payments" },
        { "bedrock.amazonaws.com",
          "{\"jobName\":\"nightly\",\"baseModelIdentifier\":\"amazon.titan-text-lite-v1\"}",
          "amazon.titan-text-lite-v1" },
        { "organizations.amazonaws.com", "{\"accountId\":\"444455556666\"}", "444455556666" },
        { "iam.amazonaws.com", "{\"policyArn\":\"arn:aws:iam::aws:policy/X\",\"roleName\":\"app\"}",
          "app" },
        /* a value that equals a key's name is no key; a non-string value is skipped */
        { "s3.amazonaws.com", "{\"x\":\"bucketName\",\"bucketName\":{\"a\":1},\"Bucket\":\"y\"}",
          "y" },
        { "s3.amazonaws.com", "{\"x\":1}", "" },
        { "unknown.amazonaws.com", "{\"name\":\"thing\"}", "" }, /* no row: no guess */
        { "route53resolver.amazonaws.com", "{\"resolverQueryLogConfigId\":\"rqlc-1\"}", "rqlc-1" },
        { "route53.amazonaws.com", "{\"id\":\"Z123\"}", "Z123" }, /* a prefix of another row */
        { "s3.amazonaws.com", "", "" },
        { "s3.amazonaws.com", "{\"bucketName\":\"cut", "cut" }, /* truncated text */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tw_str r = tw_resource_of(tw_str_c(cases[i].source), tw_str_c(cases[i].params), buf);
        if (!tw_str_eq_c(r, cases[i].want))
            fail_msg("case %zu: got '%.*s', want '%s'", i, (int)r.len, r.p, cases[i].want);
    }
    /* a long name is cut to fit, never inside a character */
    char params[600] = "{\"bucketName\":\"";
    for (int i = 0; i < 100; i++)
        strcat(params, "\xe2\x82\xac"); /* 3-byte characters */
    strcat(params, "\"}");
    tw_str r = tw_resource_of(tw_str_c("s3.amazonaws.com"), tw_str_c(params), buf);
    assert_int_equal(r.len, 126); /* 127 bytes of room, 42 whole characters */
    assert_int_equal((unsigned char)r.p[125], 0xac);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decrypt_by_s3_is_a_read_made_on_behalf),
        cmocka_unit_test(without_read_only_the_catalog_decides),
        cmocka_unit_test(assume_role_is_read_and_not_privileged),
        cmocka_unit_test(aws_internal_and_signin_relay),
        cmocka_unit_test(people_by_browser_and_mfa),
        cmocka_unit_test(aws_service_principals),
        cmocka_unit_test(audit_destinations_read_by_the_parser),
        cmocka_unit_test(resources_from_request_parameters),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
