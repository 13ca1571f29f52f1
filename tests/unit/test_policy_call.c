/* detect/policy_call: the policy a call writes or attaches, found by the call's table row and
 * read (the policy.* fields): inline identity policies, trust policies, AWS managed policies by
 * ARN, resource policies (an object for S3, strings elsewhere, SNS's attribute pair). */
#include <stdlib.h>
#include <string.h>

#include "tw_test.h"

#include "schema_catalog.h"
#include "policy_call.h"

typedef struct fixture {
    tw_catalog *cat;
    tw_privtab *pt;
    tw_managed *mg;
    tw_policy_reader *pr;
    tw_json *js;
    tw_arena arena;
    char *buf;
} fixture;

static void fx_init(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    char errstr[256] = "";
    assert_int_equal(tw_catalog_new(&fx->cat, errstr, sizeof errstr), TW_OK);
    assert_int_equal(tw_privtab_new(fx->cat, &fx->pt), TW_OK);
    assert_int_equal(tw_managed_new(&fx->mg, errstr, sizeof errstr), TW_OK);
    fx->pr = tw_policy_reader_new(fx->pt, fx->mg);
    assert_non_null(fx->pr);
    fx->js = tw_json_new();
    tw_arena_init(&fx->arena, 4096);
}

static void fx_free(fixture *fx)
{
    free(fx->buf);
    tw_arena_free(&fx->arena);
    tw_json_destroy(fx->js);
    tw_policy_reader_destroy(fx->pr);
    tw_managed_destroy(fx->mg);
    tw_privtab_destroy(fx->pt);
    tw_catalog_destroy(fx->cat);
}

/* Reads the policy of a call source/name with requestParameters params, in account 111122223333. */
static tw_call_policy read(fixture *fx, const char *source, const char *name, const char *params)
{
    tw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.event_source = tw_str_c(source);
    ev.event_name = tw_str_c(name);
    ev.account = tw_str_c("111122223333");
    size_t len = strlen(params);
    free(fx->buf);
    fx->buf = malloc(len + TW_JSON_PADDING);
    memcpy(fx->buf, params, len);
    memset(fx->buf + len, ' ', TW_JSON_PADDING);
    tw_arena_reset(&fx->arena);
    tw_call_policy cp;
    tw_policy_reader_read(fx->pr, fx->js, &fx->arena, &ev, (tw_str){ fx->buf, (uint32_t)len }, &cp);
    return cp;
}

static void inline_identity_policies(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    tw_call_policy cp = read(&fx, "iam.amazonaws.com", "PutRolePolicy",
                             "{\"roleName\":\"r\",\"policyName\":\"p\",\"policyDocument\":"
                             "\"{\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Action\\\":"
                             "\\\"*\\\",\\\"Resource\\\":\\\"*\\\"}]}\"}");
    assert_int_equal(cp.state, TW_CALL_POLICY_READ);
    assert_true(cp.facts.allows && cp.admin && cp.privileged);
    /* a quarantine */
    cp = read(&fx, "iam.amazonaws.com", "PutUserPolicy",
              "{\"userName\":\"u\",\"policyDocument\":\"{\\\"Statement\\\":{\\\"Effect\\\":"
              "\\\"Deny\\\",\\\"Action\\\":\\\"*\\\",\\\"Resource\\\":\\\"*\\\"}}\"}");
    assert_int_equal(cp.state, TW_CALL_POLICY_READ);
    assert_false(cp.facts.allows || cp.admin || cp.privileged);
    assert_true(cp.facts.denies_all);
    /* reads only: allows, nothing privileged */
    cp = read(&fx, "iam.amazonaws.com", "CreatePolicy",
              "{\"policyName\":\"p\",\"policyDocument\":\"{\\\"Statement\\\":[{\\\"Effect\\\":"
              "\\\"Allow\\\",\\\"Action\\\":[\\\"s3:GetObject\\\",\\\"s3:ListBucket\\\"],"
              "\\\"Resource\\\":\\\"*\\\"}]}\"}");
    assert_true(cp.facts.allows);
    assert_false(cp.privileged || cp.admin);
    /* iam:* held to some resources: privileged, not admin */
    cp = read(
        &fx, "iam.amazonaws.com", "PutGroupPolicy",
        "{\"policyDocument\":\"{\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\","
        "\\\"Action\\\":\\\"iam:*\\\",\\\"Resource\\\":\\\"arn:aws:iam::1:role/app-*\\\"}]}\"}");
    assert_true(cp.privileged);
    assert_false(cp.admin);
    /* not JSON: refused */
    cp = read(&fx, "iam.amazonaws.com", "PutRolePolicy", "{\"policyDocument\":\"{not json\"}");
    assert_int_equal(cp.state, TW_CALL_POLICY_REFUSED);
    /* no document in the call, or a call the table does not know */
    assert_int_equal(read(&fx, "iam.amazonaws.com", "PutRolePolicy", "{\"roleName\":\"r\"}").state,
                     TW_CALL_POLICY_NONE);
    assert_int_equal(
        read(&fx, "iam.amazonaws.com", "GetRolePolicy", "{\"policyDocument\":\"{}\"}").state,
        TW_CALL_POLICY_NONE);
    fx_free(&fx);
}

static void managed_policies_by_arn(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    tw_call_policy cp = read(&fx, "iam.amazonaws.com", "AttachRolePolicy",
                             "{\"roleName\":\"r\",\"policyArn\":\"arn:aws:iam::aws:policy/"
                             "AdministratorAccess\"}");
    assert_int_equal(cp.state, TW_CALL_POLICY_READ);
    assert_true(cp.admin);
    cp = read(&fx, "iam.amazonaws.com", "AttachGroupPolicy",
              "{\"policyArn\":\"arn:aws:iam::aws:policy/IAMFullAccess\"}");
    assert_true(cp.admin);
    cp = read(&fx, "iam.amazonaws.com", "AttachUserPolicy",
              "{\"policyArn\":\"arn:aws:iam::aws:policy/PowerUserAccess\"}");
    assert_true(cp.privileged);
    assert_false(cp.admin);
    /* reads (telemetry ones included: logs:GetLogEvents) are no privilege */
    cp = read(&fx, "iam.amazonaws.com", "AttachRolePolicy",
              "{\"policyArn\":\"arn:aws:iam::aws:policy/ReadOnlyAccess\"}");
    assert_true(cp.facts.allows);
    assert_false(cp.privileged);
    cp = read(&fx, "iam.amazonaws.com", "AttachRolePolicy",
              "{\"policyArn\":\"arn:aws:iam::aws:policy/AWSDenyAll\"}");
    assert_false(cp.facts.allows);
    /* a customer managed policy, even one named like an AWS one: its document is not here */
    cp = read(&fx, "iam.amazonaws.com", "AttachRolePolicy",
              "{\"policyArn\":\"arn:aws:iam::111122223333:policy/AdministratorAccess\"}");
    assert_int_equal(cp.state, TW_CALL_POLICY_NONE);
    fx_free(&fx);
}

static void resource_and_trust_policies(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    /* S3 gives the policy as an object */
    tw_call_policy cp = read(&fx, "s3.amazonaws.com", "PutBucketPolicy",
                             "{\"bucketName\":\"b\",\"bucketPolicy\":{\"Statement\":[{\"Effect\":"
                             "\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                             "\"Resource\":\"arn:aws:s3:::b/*\",\"Condition\":{\"StringEquals\":"
                             "{\"aws:PrincipalOrgID\":\"o-abc123def4\"}}}]}}");
    assert_int_equal(cp.state, TW_CALL_POLICY_READ);
    assert_false(cp.facts.anyone);
    assert_true(cp.facts.anyone_restricted);
    /* SQS's attribute map, SNS's attribute pair */
    cp = read(&fx, "sqs.amazonaws.com", "SetQueueAttributes",
              "{\"attributes\":{\"Policy\":\"{\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\","
              "\\\"Principal\\\":{\\\"AWS\\\":\\\"*\\\"},\\\"Action\\\":\\\"sqs:*\\\"}]}\"}}");
    assert_true(cp.facts.anyone);
    cp = read(&fx, "sns.amazonaws.com", "SetTopicAttributes",
              "{\"attributeName\":\"Policy\",\"attributeValue\":\"{\\\"Statement\\\":[{"
              "\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":\\\"*\\\",\\\"Action\\\":"
              "\\\"sns:Publish\\\"}]}\"}");
    assert_true(cp.facts.anyone);
    cp = read(&fx, "sns.amazonaws.com", "SetTopicAttributes",
              "{\"attributeName\":\"DisplayName\",\"attributeValue\":\"x\"}");
    assert_int_equal(cp.state, TW_CALL_POLICY_NONE);
    /* a trust to another account's root, and to the own one */
    cp = read(&fx, "iam.amazonaws.com", "CreateRole",
              "{\"roleName\":\"r\",\"assumeRolePolicyDocument\":\"{\\\"Statement\\\":[{"
              "\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":{\\\"AWS\\\":\\\"arn:aws:iam::"
              "444455556666:root\\\"},\\\"Action\\\":\\\"sts:AssumeRole\\\"}]}\"}");
    assert_true(cp.facts.other_account && cp.facts.whole_account);
    cp = read(&fx, "iam.amazonaws.com", "UpdateAssumeRolePolicy",
              "{\"policyDocument\":\"{\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\","
              "\\\"Principal\\\":{\\\"AWS\\\":\\\"arn:aws:iam::111122223333:root\\\"},"
              "\\\"Action\\\":\\\"sts:AssumeRole\\\"}]}\"}");
    assert_true(cp.facts.whole_account);
    assert_false(cp.facts.other_account);
    /* a KMS key policy, a secret's, an ECR repository's */
    cp = read(&fx, "kms.amazonaws.com", "PutKeyPolicy",
              "{\"keyId\":\"k\",\"policy\":\"{\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\","
              "\\\"Principal\\\":{\\\"AWS\\\":\\\"*\\\"},\\\"Action\\\":\\\"kms:Decrypt\\\","
              "\\\"Resource\\\":\\\"*\\\"}]}\"}");
    assert_true(cp.facts.anyone);
    cp = read(
        &fx, "secretsmanager.amazonaws.com", "PutResourcePolicy",
        "{\"resourcePolicy\":\"{\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\","
        "\\\"Principal\\\":{\\\"AWS\\\":\\\"arn:aws:iam::444455556666:role/r\\\"},"
        "\\\"Action\\\":\\\"secretsmanager:GetSecretValue\\\",\\\"Resource\\\":\\\"*\\\"}]}\"}");
    assert_true(cp.facts.other_account);
    assert_false(cp.facts.anyone);
    cp = read(&fx, "ecr.amazonaws.com", "SetRepositoryPolicy", "{\"policyText\":null}");
    assert_int_equal(cp.state, TW_CALL_POLICY_NONE);
    fx_free(&fx);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inline_identity_policies),
        cmocka_unit_test(managed_policies_by_arn),
        cmocka_unit_test(resource_and_trust_policies),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
