/* Unit tests of schema_catalog: the embedded catalog and exception table, the resolver's steps
 * (prefix renames, exception rows, version suffixes, prefix rules, verb fallback), the loader's
 * errors, and the share of real CloudTrail records that resolve to a known action. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_test.h"

#include "schema_catalog.h"

static tw_catalog *cat_embedded(void)
{
    char errstr[256];
    tw_catalog *cat = NULL;
    tw_err err = tw_catalog_new(&cat, errstr, sizeof errstr);
    if (err != TW_OK)
        fail_msg("tw_catalog_new: %s", errstr);
    assert_non_null(cat);
    return cat;
}

/* Resolves eventSource/eventName and checks the action's name and known flag. */
static tw_action resolve_expect(const tw_catalog *cat, const char *src, const char *name,
                                const char *want_action, bool want_known)
{
    char buf[256];
    tw_action act;
    tw_catalog_resolve(cat, tw_str_c(src), tw_str_c(name), buf, sizeof buf, &act);
    if (!tw_str_eq_c(act.name, want_action) || act.known != want_known)
        fail_msg("%s %s: got %.*s (known %d), want %s (known %d)", src, name, (int)act.name.len,
                 act.name.p, act.known, want_action, want_known);
    return act;
}

static tw_action find_expect(const tw_catalog *cat, const char *action)
{
    tw_action act;
    if (!tw_catalog_find(cat, tw_str_c(action), &act))
        fail_msg("%s: not in the catalog", action);
    return act;
}

static void embedded_catalog_loads(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    uint32_t n = tw_catalog_size(cat);
    print_message("catalog: %u actions\n", n);
    assert_true(n > 20000);
    assert_int_equal(tw_catalog_name(cat, n).len, 0);
    /* Every id names itself. */
    for (uint32_t id = 0; id < n; id += 997) {
        tw_str name = tw_catalog_name(cat, id);
        char key[300];
        snprintf(key, sizeof key, "%.*s", (int)name.len, name.p);
        tw_action act = find_expect(cat, key);
        assert_int_equal(act.id, id);
    }
    tw_catalog_destroy(cat);
}

static void read_actions(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act = resolve_expect(cat, "s3.amazonaws.com", "GetObject", "s3:GetObject", true);
    assert_int_equal(act.classes, TW_CLASS_READ);
    assert_int_equal(act.level, TW_LEVEL_READ);
    assert_int_not_equal(act.id, TW_ACTION_UNKNOWN);
    assert_true(tw_str_eq_c(tw_catalog_name(cat, act.id), "s3:GetObject"));
    act = resolve_expect(cat, "ec2.amazonaws.com", "DescribeInstances", "ec2:DescribeInstances",
                         true);
    assert_int_equal(act.classes, TW_CLASS_READ);
    act = resolve_expect(cat, "s3.amazonaws.com", "ListBucket", "s3:ListBucket", true);
    assert_int_equal(act.classes, TW_CLASS_READ);
    assert_int_equal(act.level, TW_LEVEL_LIST);
    tw_catalog_destroy(cat);
}

static void destructive_actions(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act =
        resolve_expect(cat, "s3.amazonaws.com", "DeleteBucket", "s3:DeleteBucket", true);
    assert_int_equal(act.classes, TW_CLASS_DESTRUCTIVE | TW_CLASS_WRITE);
    act = resolve_expect(cat, "ec2.amazonaws.com", "TerminateInstances", "ec2:TerminateInstances",
                         true);
    assert_true(act.classes & TW_CLASS_DESTRUCTIVE);
    act =
        resolve_expect(cat, "rds.amazonaws.com", "DeleteDBInstance", "rds:DeleteDBInstance", true);
    assert_true(act.classes & TW_CLASS_DESTRUCTIVE);
    /* Describe is not Delete; Put is write only. */
    act = find_expect(cat, "ec2:DescribeSnapshots");
    assert_false(act.classes & TW_CLASS_DESTRUCTIVE);
    act = find_expect(cat, "s3:PutObject");
    assert_int_equal(act.classes, TW_CLASS_WRITE);
    act = find_expect(cat, "kms:ScheduleKeyDeletion");
    assert_true(act.classes & TW_CLASS_DESTRUCTIVE);
    tw_catalog_destroy(cat);
}

static void ssm_terminate_session_not_destructive(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act =
        resolve_expect(cat, "ssm.amazonaws.com", "TerminateSession", "ssm:TerminateSession", true);
    assert_int_equal(act.classes, TW_CLASS_WRITE);
    act = find_expect(cat, "athena:StopQueryExecution");
    assert_false(act.classes & TW_CLASS_DESTRUCTIVE);
    act = find_expect(cat, "logs:StopQuery");
    assert_false(act.classes & TW_CLASS_DESTRUCTIVE);
    tw_catalog_destroy(cat);
}

static void permissions_actions(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act =
        resolve_expect(cat, "iam.amazonaws.com", "AttachRolePolicy", "iam:AttachRolePolicy", true);
    /* on both published privilege-escalation lists too */
    assert_int_equal(act.classes, TW_CLASS_PERMISSIONS | TW_CLASS_WRITE | TW_CLASS_ESCALATION);
    assert_int_equal(act.level, TW_LEVEL_PERMISSIONS | TW_LEVEL_WRITE);
    act = find_expect(cat, "iam:PutRolePolicy");
    assert_true(act.classes & TW_CLASS_PERMISSIONS);
    act = find_expect(cat, "iam:DeleteRolePolicy"); /* not on a list */
    assert_int_equal(act.classes, TW_CLASS_PERMISSIONS | TW_CLASS_WRITE | TW_CLASS_DESTRUCTIVE);
    /* a policy read is no privilege, even where AWS files it under Permissions management */
    const char *reads[] = { "billing:GetResourcePolicy", "ssm-sap:GetResourcePermission",
                            "backup:ListIndexedRecoveryPointsForSearch",
                            "quicksight:DescribeTopicPermissions" };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        act = find_expect(cat, reads[i]);
        assert_true(act.level & TW_LEVEL_PERMISSIONS);
        if (act.classes & TW_CLASS_PRIVILEGED)
            fail_msg("%s is privileged", reads[i]);
    }
    tw_catalog_destroy(cat);
}

static void model_training_actions(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act = resolve_expect(cat, "bedrock.amazonaws.com", "CreateModelCustomizationJob",
                                   "bedrock:CreateModelCustomizationJob", true);
    assert_int_equal(act.classes, TW_CLASS_MODEL_TRAINING | TW_CLASS_WRITE);
    act = resolve_expect(cat, "bedrock-mantle.amazonaws.com", "CreateFineTuningJob",
                         "bedrock-mantle:CreateFineTuningJob", true);
    assert_true(act.classes & TW_CLASS_MODEL_TRAINING);
    const char *more[] = {
        "bedrock:CreateModelImportJob", "bedrock:CreateModelCopyJob",
        "sagemaker:CreateTrainingJob",  "sagemaker:CreateHyperParameterTuningJob",
        "sagemaker:CreateAutoMLJob",    "sagemaker:CreateAutoMLJobV2"
    };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        assert_true(find_expect(cat, more[i]).classes & TW_CLASS_MODEL_TRAINING);
    assert_false(find_expect(cat, "bedrock:InvokeModel").classes & TW_CLASS_MODEL_TRAINING);
    tw_catalog_destroy(cat);
}

static void telemetry_actions(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act =
        resolve_expect(cat, "logs.amazonaws.com", "FilterLogEvents", "logs:FilterLogEvents", true);
    assert_int_equal(act.classes, TW_CLASS_TELEMETRY | TW_CLASS_READ);
    const char *more[] = { "logs:GetLogEvents",
                           "logs:StartQuery",
                           "logs:GetQueryResults",
                           "xray:BatchGetTraces",
                           "xray:GetTraceSummaries",
                           "cloudwatch:GetMetricStatistics",
                           "bedrock:GetModelInvocationLoggingConfiguration" };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        assert_true(find_expect(cat, more[i]).classes & TW_CLASS_TELEMETRY);
    assert_false(find_expect(cat, "logs:DescribeLogGroups").classes & TW_CLASS_TELEMETRY);
    tw_catalog_destroy(cat);
}

static void monitoring_is_cloudwatch(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act = resolve_expect(cat, "monitoring.amazonaws.com", "GetMetricData",
                                   "cloudwatch:GetMetricData", true);
    assert_true(act.classes & TW_CLASS_TELEMETRY);
    /* Unknown names of a renamed source carry the IAM prefix. */
    resolve_expect(cat, "monitoring.amazonaws.com", "FrobnicateAlarms",
                   "cloudwatch:FrobnicateAlarms", false);
    resolve_expect(cat, "rdsdata.amazonaws.com", "ExecuteStatement", "rds-data:ExecuteStatement",
                   true);
    tw_catalog_destroy(cat);
}

static void logging_control_actions(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act = resolve_expect(cat, "cloudtrail.amazonaws.com", "StopLogging",
                                   "cloudtrail:StopLogging", true);
    assert_true(act.classes & TW_CLASS_LOGGING_CONTROL);
    assert_true(act.classes & TW_CLASS_DESTRUCTIVE);
    act = resolve_expect(cat, "bedrock.amazonaws.com", "DeleteModelInvocationLoggingConfiguration",
                         "bedrock:DeleteModelInvocationLoggingConfiguration", true);
    assert_true(act.classes & TW_CLASS_LOGGING_CONTROL);
    const char *more[] = { "cloudtrail:DeleteTrail",
                           "cloudtrail:UpdateTrail",
                           "cloudtrail:PutEventSelectors",
                           "ec2:DeleteFlowLogs",
                           "guardduty:DeleteDetector",
                           "config:StopConfigurationRecorder",
                           "route53resolver:DeleteResolverQueryLogConfig" };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        assert_true(find_expect(cat, more[i]).classes & TW_CLASS_LOGGING_CONTROL);
    assert_false(find_expect(cat, "cloudtrail:StartLogging").classes & TW_CLASS_LOGGING_CONTROL);
    tw_catalog_destroy(cat);
}

static void guardrail_actions(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act = resolve_expect(cat, "bedrock.amazonaws.com", "UpdateGuardrail",
                                   "bedrock:UpdateGuardrail", true);
    assert_int_equal(act.classes, TW_CLASS_GUARDRAIL | TW_CLASS_WRITE);
    act = resolve_expect(cat, "bedrock.amazonaws.com", "DeleteGuardrail", "bedrock:DeleteGuardrail",
                         true);
    assert_int_equal(act.classes, TW_CLASS_GUARDRAIL | TW_CLASS_WRITE | TW_CLASS_DESTRUCTIVE);
    assert_true(act.classes & TW_CLASS_PRIVILEGED);
    assert_false(find_expect(cat, "bedrock:ApplyGuardrail").classes & TW_CLASS_GUARDRAIL);
    tw_catalog_destroy(cat);
}

static void credential_actions(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act =
        resolve_expect(cat, "iam.amazonaws.com", "CreateAccessKey", "iam:CreateAccessKey", true);
    assert_int_equal(act.classes, TW_CLASS_CREDENTIAL | TW_CLASS_WRITE | TW_CLASS_ESCALATION);
    const char *more[] = { "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
                           "iam:CreateServiceSpecificCredential", "iam:UploadSSHPublicKey",
                           "sts:GetFederationToken" };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        assert_true(find_expect(cat, more[i]).classes & TW_CLASS_CREDENTIAL);
    assert_false(find_expect(cat, "sts:AssumeRole").classes & TW_CLASS_CREDENTIAL);
    tw_catalog_destroy(cat);
}

static void passrole_action(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act = resolve_expect(cat, "iam.amazonaws.com", "PassRole", "iam:PassRole", true);
    assert_int_equal(act.classes, TW_CLASS_PASSROLE | TW_CLASS_WRITE | TW_CLASS_ESCALATION);
    assert_true(act.classes & TW_CLASS_PRIVILEGED);
    tw_catalog_destroy(cat);
}

/* DESIGN §4's new classes, with the examples the design names. */
static void identity_code_account_key_actions(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    static const struct {
        const char *action;
        uint32_t cls;
    } want[] = {
        { "iam:CreateUser", TW_CLASS_IDENTITY },
        { "iam:CreateRole", TW_CLASS_IDENTITY },
        { "iam:AddUserToGroup", TW_CLASS_IDENTITY },
        { "iam:UpdateAssumeRolePolicy", TW_CLASS_IDENTITY },
        { "iam:AddRoleToInstanceProfile", TW_CLASS_IDENTITY },
        { "iam:CreateOpenIDConnectProvider", TW_CLASS_IDENTITY },
        { "lambda:CreateFunction", TW_CLASS_CODE_EXECUTION },
        { "lambda:UpdateFunctionCode", TW_CLASS_CODE_EXECUTION },
        { "ssm:SendCommand", TW_CLASS_CODE_EXECUTION },
        { "ssm:StartSession", TW_CLASS_CODE_EXECUTION },
        { "ec2:ModifyInstanceAttribute", TW_CLASS_CODE_EXECUTION },
        { "glue:CreateDevEndpoint", TW_CLASS_CODE_EXECUTION },
        { "cloudformation:CreateStack", TW_CLASS_CODE_EXECUTION },
        { "sagemaker:CreatePresignedNotebookInstanceUrl", TW_CLASS_CODE_EXECUTION },
        { "organizations:LeaveOrganization", TW_CLASS_ACCOUNT },
        { "organizations:CreateAccount", TW_CLASS_ACCOUNT },
        { "account:PutAlternateContact", TW_CLASS_ACCOUNT },
        { "kms:ScheduleKeyDeletion", TW_CLASS_KEY_DESTRUCTION | TW_CLASS_DESTRUCTIVE },
        { "kms:DisableKey", TW_CLASS_KEY_DESTRUCTION | TW_CLASS_DESTRUCTIVE },
        /* the escalation lists: privileged whatever else they are */
        { "cloudformation:UpdateStack", TW_CLASS_ESCALATION },
        { "lambda:InvokeFunction", TW_CLASS_ESCALATION },
        { "ec2:RunInstances", TW_CLASS_ESCALATION },
        { "sts:AssumeRole", TW_CLASS_ESCALATION },
        { "codebuild:StartBuild", TW_CLASS_ESCALATION },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        tw_action act = find_expect(cat, want[i].action);
        if ((act.classes & want[i].cls) != want[i].cls || !(act.classes & TW_CLASS_PRIVILEGED))
            fail_msg("%s: classes 0x%x, want 0x%x and privileged", want[i].action, act.classes,
                     want[i].cls);
    }
    /* reads of the escalation lists grant nothing: not privileged */
    assert_false(find_expect(cat, "ec2:DescribeInstances").classes & TW_CLASS_PRIVILEGED);
    assert_false(find_expect(cat, "glue:GetDevEndpoint").classes & TW_CLASS_PRIVILEGED);
    /* routine runs of what is defined: privileged through the lists only */
    assert_false(find_expect(cat, "lambda:InvokeFunction").classes & TW_CLASS_CODE_EXECUTION);
    tw_catalog_destroy(cat);
}

/* Audit logging only (DESIGN §4): deleting a log stream is housekeeping; deleting a log group
 * or a bucket is logging-control only for an audit destination, which the stream decides. */
static void logging_control_is_audit_logging(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    const char *in[] = { "cloudtrail:StopLogging",
                         "cloudtrail:DeleteTrail",
                         "cloudtrail:PutEventSelectors",
                         "cloudtrail:DeleteEventDataStore",
                         "bedrock:DeleteModelInvocationLoggingConfiguration",
                         "ec2:DeleteFlowLogs",
                         "route53resolver:DeleteResolverQueryLogConfig",
                         "guardduty:DeleteDetector",
                         "config:StopConfigurationRecorder",
                         "securityhub:DisableSecurityHub" };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        if (!(find_expect(cat, in[i]).classes & TW_CLASS_LOGGING_CONTROL))
            fail_msg("%s is not logging-control", in[i]);
    const char *out[] = {
        "logs:DeleteLogStream",    "logs:DeleteLogGroup", "logs:DeleteSubscriptionFilter",
        "logs:PutRetentionPolicy", "s3:DeleteBucket",     "s3:PutBucketLogging"
    };
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
        if (find_expect(cat, out[i]).classes & TW_CLASS_LOGGING_CONTROL)
            fail_msg("%s is logging-control", out[i]);
    tw_catalog_destroy(cat);
}

static void version_suffixes(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    resolve_expect(cat, "lambda.amazonaws.com", "UpdateFunctionCode20150331v2",
                   "lambda:UpdateFunctionCode", true);
    resolve_expect(cat, "lambda.amazonaws.com", "CreateFunction20150331", "lambda:CreateFunction",
                   true);
    resolve_expect(cat, "lambda.amazonaws.com", "GetFunction20150331v2", "lambda:GetFunction",
                   true);
    resolve_expect(cat, "lambda.amazonaws.com", "ListFunctions20150331", "lambda:ListFunctions",
                   true);
    resolve_expect(cat, "lambda.amazonaws.com", "UpdateFunctionCode", "lambda:UpdateFunctionCode",
                   true);
    resolve_expect(cat, "lambda.amazonaws.com", "Invoke", "lambda:InvokeFunction", true);
    resolve_expect(cat, "cloudfront.amazonaws.com", "CreateFunction2020_05_31",
                   "cloudfront:CreateFunction", true);
    /* Not a date: the name is kept whole. */
    resolve_expect(cat, "lambda.amazonaws.com", "Frob2015033", "lambda:Frob2015033", false);
    resolve_expect(cat, "lambda.amazonaws.com", "Frob120150331", "lambda:Frob120150331", false);
    resolve_expect(cat, "lambda.amazonaws.com", "20150331", "lambda:20150331", false);
    resolve_expect(cat, "lambda.amazonaws.com", "Frobv2", "lambda:Frobv2", false);
    /* An unknown name loses its suffix too. */
    resolve_expect(cat, "lambda.amazonaws.com", "Frob20150331v2", "lambda:Frob", false);
    tw_catalog_destroy(cat);
}

static void s3_name_exceptions(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    static const char *const pairs[][2] = {
        { "ListObjects", "s3:ListBucket" },
        { "ListObjectsV2", "s3:ListBucket" },
        { "HeadBucket", "s3:ListBucket" },
        { "ListObjectVersions", "s3:ListBucketVersions" },
        { "HeadObject", "s3:GetObject" },
        { "ListBuckets", "s3:ListAllMyBuckets" },
        { "DeleteObjects", "s3:DeleteObject" },
        { "CopyObject", "s3:PutObject" },
        { "CreateMultipartUpload", "s3:PutObject" },
        { "UploadPart", "s3:PutObject" },
        { "UploadPartCopy", "s3:PutObject" },
        { "CompleteMultipartUpload", "s3:PutObject" },
        { "GetBucketEncryption", "s3:GetEncryptionConfiguration" },
        { "PutBucketLifecycle", "s3:PutLifecycleConfiguration" },
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        resolve_expect(cat, "s3.amazonaws.com", pairs[i][0], pairs[i][1], true);
    tw_action act = resolve_expect(cat, "s3.amazonaws.com", "HeadObject", "s3:GetObject", true);
    assert_int_equal(act.classes, TW_CLASS_READ);
    assert_int_equal(act.id, find_expect(cat, "s3:GetObject").id);
    act = resolve_expect(cat, "s3.amazonaws.com", "DeleteObjects", "s3:DeleteObject", true);
    assert_true(act.classes & TW_CLASS_DESTRUCTIVE);
    /* Deleting a bucket's encryption is authorized as Put..., but stays destructive. */
    act = resolve_expect(cat, "s3.amazonaws.com", "DeleteBucketEncryption",
                         "s3:PutEncryptionConfiguration", true);
    assert_int_equal(act.classes, TW_CLASS_WRITE | TW_CLASS_DESTRUCTIVE);
    assert_int_equal(find_expect(cat, "s3:PutEncryptionConfiguration").classes, TW_CLASS_WRITE);
    /* Case differs from IAM: found case-insensitively, named as IAM spells it. */
    resolve_expect(cat, "s3.amazonaws.com", "PutBucketCors", "s3:PutBucketCORS", true);
    tw_catalog_destroy(cat);
}

static void bedrock_runtime_names(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act =
        resolve_expect(cat, "bedrock.amazonaws.com", "InvokeModel", "bedrock:InvokeModel", true);
    assert_int_equal(act.classes, TW_CLASS_READ);
    resolve_expect(cat, "bedrock.amazonaws.com", "Converse", "bedrock:InvokeModel", true);
    resolve_expect(cat, "bedrock.amazonaws.com", "ConverseStream",
                   "bedrock:InvokeModelWithResponseStream", true);
    resolve_expect(cat, "bedrock.amazonaws.com", "InvokeModelWithResponseStream",
                   "bedrock:InvokeModelWithResponseStream", true);
    tw_catalog_destroy(cat);
}

static void apigateway_verbs(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act =
        resolve_expect(cat, "apigateway.amazonaws.com", "CreateRestApi", "apigateway:POST", true);
    assert_int_equal(act.classes, TW_CLASS_WRITE);
    act = resolve_expect(cat, "apigateway.amazonaws.com", "GetRestApis", "apigateway:GET", true);
    assert_int_equal(act.classes, TW_CLASS_READ);
    act = resolve_expect(cat, "apigateway.amazonaws.com", "DeleteStage", "apigateway:DELETE", true);
    assert_true(act.classes & TW_CLASS_DESTRUCTIVE);
    /* Named API Gateway actions are found under their own names first. */
    resolve_expect(cat, "apigateway.amazonaws.com", "CreatePortal", "apigateway:CreatePortal",
                   true);
    resolve_expect(cat, "apigateway.amazonaws.com", "FrobApi", "apigateway:FrobApi", false);
    tw_catalog_destroy(cat);
}

static void signin_events_have_no_class(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act =
        resolve_expect(cat, "signin.amazonaws.com", "ConsoleLogin", "signin:ConsoleLogin", true);
    assert_int_equal(act.classes, 0);
    assert_int_equal(act.level, 0);
    assert_true(act.id < tw_catalog_size(cat));
    assert_true(tw_str_eq_c(tw_catalog_name(cat, act.id), "signin:ConsoleLogin"));
    act = resolve_expect(cat, "signin.amazonaws.com", "CheckMfa", "signin:CheckMfa", true);
    assert_int_equal(act.classes, 0);
    act = resolve_expect(cat, "sso.amazonaws.com", "GetRoleCredentials", "sso:GetRoleCredentials",
                         true);
    assert_int_equal(act.classes, 0);
    tw_catalog_destroy(cat);
}

static void unknown_action_classed_by_verb(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    char buf[256];
    tw_action act;
    tw_catalog_resolve(cat, TW_STR_LIT("s3.amazonaws.com"), TW_STR_LIT("GetFrobnication"), buf,
                       sizeof buf, &act);
    assert_false(act.known);
    assert_int_equal(act.id, TW_ACTION_UNKNOWN);
    assert_int_equal(act.classes, TW_CLASS_READ);
    assert_int_equal(act.level, 0);
    assert_true(tw_str_eq_c(act.name, "s3:GetFrobnication"));
    assert_ptr_equal(act.name.p, buf);
    assert_string_equal(buf, "s3:GetFrobnication");

    tw_catalog_resolve(cat, TW_STR_LIT("newsvc.amazonaws.com"), TW_STR_LIT("DeleteWidget"), buf,
                       sizeof buf, &act);
    assert_false(act.known);
    assert_int_equal(act.classes, TW_CLASS_DESTRUCTIVE | TW_CLASS_WRITE);
    assert_true(tw_str_eq_c(act.name, "newsvc:DeleteWidget"));

    tw_catalog_resolve(cat, TW_STR_LIT("newsvc.amazonaws.com"), TW_STR_LIT("FooWidget"), buf,
                       sizeof buf, &act);
    assert_int_equal(act.classes, TW_CLASS_WRITE);
    assert_true(tw_str_eq_c(act.name, "newsvc:FooWidget"));

    /* A source without the AWS suffix is its own prefix; a short buffer cuts the name. */
    char small[8];
    tw_catalog_resolve(cat, TW_STR_LIT("custom"), TW_STR_LIT("DescribeThings"), small, sizeof small,
                       &act);
    assert_int_equal(act.classes, TW_CLASS_READ);
    assert_string_equal(small, "custom:");
    assert_int_equal(act.name.len, 7);
    /* Empty fields do not crash. */
    tw_catalog_resolve(cat, TW_STR_NULL, TW_STR_NULL, buf, sizeof buf, &act);
    assert_false(act.known);
    assert_true(tw_str_eq_c(act.name, ":"));
    tw_catalog_destroy(cat);
}

static void verb_fallback(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint32_t classes;
    } cases[] = {
        { "GetThing", TW_CLASS_READ },
        { "Get", TW_CLASS_READ },
        { "ListThings", TW_CLASS_READ },
        { "DescribeThing", TW_CLASS_READ },
        { "HeadThing", TW_CLASS_READ },
        { "Getaway", TW_CLASS_WRITE },
        { "Listen", TW_CLASS_WRITE },
        { "DeleteThing", TW_CLASS_DESTRUCTIVE | TW_CLASS_WRITE },
        { "TerminateThing", TW_CLASS_DESTRUCTIVE | TW_CLASS_WRITE },
        { "RemoveThing", TW_CLASS_DESTRUCTIVE | TW_CLASS_WRITE },
        { "DetachThing", TW_CLASS_DESTRUCTIVE | TW_CLASS_WRITE },
        { "DisableThing", TW_CLASS_DESTRUCTIVE | TW_CLASS_WRITE },
        { "StopThing", TW_CLASS_DESTRUCTIVE | TW_CLASS_WRITE },
        { "RevokeThing", TW_CLASS_DESTRUCTIVE | TW_CLASS_WRITE },
        { "PurgeQueue", TW_CLASS_DESTRUCTIVE | TW_CLASS_WRITE },
        { "Stopwatch", TW_CLASS_WRITE },
        { "Deleted", TW_CLASS_WRITE },
        { "FooThing", TW_CLASS_WRITE },
        { "", TW_CLASS_WRITE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t got = tw_catalog_classes_by_verb(tw_str_c(cases[i].name));
        if (got != cases[i].classes)
            fail_msg("%s: classes 0x%x, want 0x%x", cases[i].name, got, cases[i].classes);
    }
}

static void find_is_case_insensitive(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    tw_action act = find_expect(cat, "S3:getobject");
    assert_true(act.known);
    assert_true(tw_str_eq_c(act.name, "s3:GetObject"));
    assert_int_equal(act.id, find_expect(cat, "s3:GetObject").id);
    act = find_expect(cat, "IAM:PASSROLE");
    assert_true(act.classes & TW_CLASS_PASSROLE);
    assert_false(tw_catalog_find(cat, TW_STR_LIT("s3:NoSuchAction"), &act));
    assert_false(act.known);
    assert_int_equal(act.id, TW_ACTION_UNKNOWN);
    assert_false(tw_catalog_find(cat, TW_STR_NULL, &act));
    /* Case-insensitive resolve too, keyed by the catalog's spelling. */
    resolve_expect(cat, "S3.AMAZONAWS.COM", "getobject", "s3:GetObject", true);
    tw_catalog_destroy(cat);
}

#define TEXT(s) (s), (sizeof(s) - 1)

static void expect_load_error(const char *catalog, size_t catalog_len, const char *exceptions,
                              size_t exceptions_len, const char *want)
{
    char errstr[256];
    tw_catalog *cat = NULL;
    tw_err err = tw_catalog_new_from_text(catalog, catalog_len, exceptions, exceptions_len, &cat,
                                          errstr, sizeof errstr);
    assert_int_equal(err, TW_ERR_PARSE);
    assert_null(cat);
    if (!strstr(errstr, want))
        fail_msg("error '%s' does not contain '%s'", errstr, want);
}

static void malformed_text_names_the_line(void **state)
{
    (void)state;
    const char *good = "# header\ns3:GetObject\tR\tread\ns3:DeleteBucket\tW\twrite,destructive\n";
    expect_load_error(TEXT("# header\ns3:GetObject\tR\tread\nthis is not a catalog line\n"),
                      TEXT(""), "actions.catalog:3:");
    expect_load_error(TEXT("s3:GetObject\tR\tread\ns3:PutObject\tW\twrite,shiny\n"), TEXT(""),
                      "actions.catalog:2: unknown class 'shiny'");
    expect_load_error(TEXT("s3:GetObject\tR\tread\n\ns3:PutObject\tX\twrite\n"), TEXT(""),
                      "actions.catalog:3: bad access levels 'X'");
    expect_load_error(TEXT("s3:GetObject\tR\tread\nS3:GETOBJECT\tR\tread\n"), TEXT(""),
                      "actions.catalog:2: 'S3:GETOBJECT' listed twice");
    expect_load_error(TEXT("GetObject\tR\tread\n"), TEXT(""), "actions.catalog:1: bad action");
    expect_load_error(good, strlen(good), TEXT("# x\ns3.amazonaws.com\tHeadObject\ts3:GetObjekt\n"),
                      "event_actions.tsv:2: 's3:GetObjekt' is not in the catalog");
    expect_load_error(good, strlen(good), TEXT("s3.amazonaws.com\tHeadObject\n"),
                      "event_actions.tsv:1:");
    expect_load_error(
        good, strlen(good),
        TEXT("s3.amazonaws.com\tA\ts3:GetObject\ns3.amazonaws.com\ta\ts3:GetObject\n"),
        "event_actions.tsv:2: 's3.amazonaws.com a' listed twice");
    expect_load_error(good, strlen(good), TEXT("monitoring.amazonaws.com\t*\tcloudwatch\n"),
                      "event_actions.tsv:1: a '*' row renames");
    expect_load_error(good, strlen(good), TEXT("s3.amazonaws.com\tX\ts3:GetObject\tbogus\n"),
                      "event_actions.tsv:1: unknown class 'bogus'");
    /* Renaming a prefix that IAM uses itself would hide its actions. */
    expect_load_error(good, strlen(good), TEXT("# x\n\ns3.amazonaws.com\t*\tother:*\n"),
                      "event_actions.tsv:3: 's3' is an IAM prefix of its own");
}

static void small_catalog_from_text(void **state)
{
    (void)state;
    static const char catalog[] = "# test catalog\r\n"
                                  "svc:GetThing\tR\tread\r\n"
                                  "svc:DeleteThing\tW\twrite,destructive\n"
                                  "svc:POST\tW\twrite\n"
                                  "svc:Train\tW\twrite,model-training";
    static const char exceptions[] = "# test\n"
                                     "old.amazonaws.com\t*\tsvc:*\n"
                                     "old.amazonaws.com\tFetchThing\tsvc:GetThing\n"
                                     "old.amazonaws.com\tCreate*\tsvc:POST\n"
                                     "old.amazonaws.com\tCreateSpecial*\tsvc:Train\n"
                                     "old.amazonaws.com\tLogin\tsvc:Login\tnone\n"
                                     "x.amazonaws.com\tDrop\tsvc:DeleteThing\twrite\n";
    char errstr[256] = "untouched";
    tw_catalog *cat = NULL;
    tw_err err = tw_catalog_new_from_text(catalog, sizeof catalog - 1, exceptions,
                                          sizeof exceptions - 1, &cat, errstr, sizeof errstr);
    if (err != TW_OK)
        fail_msg("%s", errstr);
    assert_int_equal(tw_catalog_size(cat), 5);
    tw_action act = resolve_expect(cat, "old.amazonaws.com", "GetThing", "svc:GetThing", true);
    assert_int_equal(act.classes, TW_CLASS_READ);
    resolve_expect(cat, "old.amazonaws.com", "FetchThing", "svc:GetThing", true);
    /* First matching prefix rule in file order. */
    resolve_expect(cat, "old.amazonaws.com", "CreateSpecialThing", "svc:POST", true);
    resolve_expect(cat, "old.amazonaws.com", "Login", "svc:Login", true);
    act = resolve_expect(cat, "x.amazonaws.com", "Drop", "svc:DeleteThing", true);
    assert_int_equal(act.classes, TW_CLASS_WRITE);
    act = resolve_expect(cat, "svc.amazonaws.com", "DeleteThing", "svc:DeleteThing", true);
    assert_int_equal(act.classes, TW_CLASS_WRITE | TW_CLASS_DESTRUCTIVE);
    act = resolve_expect(cat, "svc.amazonaws.com", "Train", "svc:Train", true);
    assert_int_equal(act.classes, TW_CLASS_WRITE | TW_CLASS_MODEL_TRAINING);
    /* Prefix rules belong to their source only. */
    resolve_expect(cat, "svc.amazonaws.com", "CreateThing", "svc:CreateThing", false);
    tw_catalog_destroy(cat);

    /* Empty texts make an empty catalog. */
    assert_int_equal(tw_catalog_new_from_text(NULL, 0, NULL, 0, &cat, errstr, sizeof errstr),
                     TW_OK);
    assert_int_equal(tw_catalog_size(cat), 0);
    resolve_expect(cat, "s3.amazonaws.com", "GetObject", "s3:GetObject", false);
    tw_catalog_destroy(cat);
}

static void destroy_null(void **state)
{
    (void)state;
    tw_catalog_destroy(NULL);
}

/* ---- concurrency and speed ---- */

static const char *const sample[][2] = {
    { "s3.amazonaws.com", "GetObject" },
    { "s3.amazonaws.com", "ListObjects" },
    { "ec2.amazonaws.com", "DescribeInstances" },
    { "sts.amazonaws.com", "AssumeRole" },
    { "kms.amazonaws.com", "Decrypt" },
    { "lambda.amazonaws.com", "UpdateFunctionCode20150331v2" },
    { "monitoring.amazonaws.com", "GetMetricData" },
    { "bedrock.amazonaws.com", "InvokeModel" },
    { "dynamodb.amazonaws.com", "GetItem" },
    { "newsvc.amazonaws.com", "FrobWidget" },
};
#define N_SAMPLE (sizeof sample / sizeof sample[0])

typedef struct resolver_arg {
    const tw_catalog *cat;
    uint32_t want[N_SAMPLE];
    int bad;
} resolver_arg;

static void *resolver_thread(void *p)
{
    resolver_arg *arg = p;
    char buf[256];
    tw_action act;
    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < N_SAMPLE; i++) {
            tw_catalog_resolve(arg->cat, tw_str_c(sample[i][0]), tw_str_c(sample[i][1]), buf,
                               sizeof buf, &act);
            if (act.id != arg->want[i])
                arg->bad++;
        }
    }
    return NULL;
}

static void resolve_from_threads(void **state)
{
    (void)state;
    tw_catalog *cat = cat_embedded();
    resolver_arg arg[4];
    pthread_t th[4];
    for (int t = 0; t < 4; t++) {
        arg[t] = (resolver_arg){ .cat = cat };
        for (size_t i = 0; i < N_SAMPLE; i++) {
            char buf[256];
            tw_action act;
            tw_catalog_resolve(cat, tw_str_c(sample[i][0]), tw_str_c(sample[i][1]), buf, sizeof buf,
                               &act);
            arg[t].want[i] = act.id;
        }
        assert_int_equal(pthread_create(&th[t], NULL, resolver_thread, &arg[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_int_equal(arg[t].bad, 0);
    }
    tw_catalog_destroy(cat);
}

/* ---- real records ---- */

/* The string value of the first "key": in a JSON line (a plain scan, no escapes expected). */
static tw_str json_scan(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    if (!p)
        return TW_STR_NULL;
    p += strlen(key);
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != ':')
        return TW_STR_NULL;
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '"')
        return TW_STR_NULL;
    const char *s = ++p;
    while (*p && *p != '"')
        p++;
    return *p == '"' ? (tw_str){ s, (uint32_t)(p - s) } : TW_STR_NULL;
}

typedef struct miss {
    char name[256];
    unsigned count;
} miss;

static int miss_cmp(const void *a, const void *b)
{
    const miss *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void fixture_records_resolve(void **state)
{
    (void)state;
    const char *path = TW_SHARED_DATA "/derived-fixtures/all_cloudtrail_events.ndjson";
    TW_NEED_FILE(path);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    tw_catalog *cat = cat_embedded();
    char *line = NULL;
    size_t cap = 0;
    unsigned lines = 0, with_fields = 0, known = 0, by_verb = 0;
    miss *misses = NULL;
    size_t n_miss = 0;
    while (getline(&line, &cap, fp) > 0) {
        lines++;
        tw_str src = json_scan(line, "\"eventSource\"");
        tw_str name = json_scan(line, "\"eventName\"");
        if (!src.len || !name.len)
            continue;
        with_fields++;
        char buf[256];
        tw_action act;
        tw_catalog_resolve(cat, src, name, buf, sizeof buf, &act);
        if (act.known) {
            known++;
            continue;
        }
        by_verb++;
        size_t i = 0;
        while (i < n_miss && strcmp(misses[i].name, buf) != 0)
            i++;
        if (i == n_miss) {
            miss *grown = realloc(misses, (n_miss + 1) * sizeof *misses);
            assert_non_null(grown);
            misses = grown;
            snprintf(misses[n_miss].name, sizeof misses[n_miss].name, "%s", buf);
            misses[n_miss++].count = 0;
        }
        misses[i].count++;
    }
    free(line);
    fclose(fp);
    qsort(misses, n_miss, sizeof *misses, miss_cmp);
    print_message("%u lines, %u with eventSource and eventName: %u known (%.1f%%), %u by verb "
                  "(%zu distinct)\n",
                  lines, with_fields, known, with_fields ? 100.0 * known / with_fields : 0.0,
                  by_verb, n_miss);
    for (size_t i = 0; i < n_miss && i < 15; i++)
        print_message("  unknown %3u  %s\n", misses[i].count, misses[i].name);
    free(misses);
    assert_true(with_fields > 1000);
    assert_true(known * 10 >= with_fields * 9);
    tw_catalog_destroy(cat);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(embedded_catalog_loads),
    cmocka_unit_test(read_actions),
    cmocka_unit_test(destructive_actions),
    cmocka_unit_test(ssm_terminate_session_not_destructive),
    cmocka_unit_test(permissions_actions),
    cmocka_unit_test(model_training_actions),
    cmocka_unit_test(telemetry_actions),
    cmocka_unit_test(monitoring_is_cloudwatch),
    cmocka_unit_test(logging_control_actions),
    cmocka_unit_test(guardrail_actions),
    cmocka_unit_test(credential_actions),
    cmocka_unit_test(passrole_action),
    cmocka_unit_test(identity_code_account_key_actions),
    cmocka_unit_test(logging_control_is_audit_logging),
    cmocka_unit_test(version_suffixes),
    cmocka_unit_test(s3_name_exceptions),
    cmocka_unit_test(bedrock_runtime_names),
    cmocka_unit_test(apigateway_verbs),
    cmocka_unit_test(signin_events_have_no_class),
    cmocka_unit_test(unknown_action_classed_by_verb),
    cmocka_unit_test(verb_fallback),
    cmocka_unit_test(find_is_case_insensitive),
    cmocka_unit_test(malformed_text_names_the_line),
    cmocka_unit_test(small_catalog_from_text),
    cmocka_unit_test(destroy_null),
    cmocka_unit_test(resolve_from_threads),
    cmocka_unit_test(fixture_records_resolve),
};

TW_TEST_MAIN(tests)
