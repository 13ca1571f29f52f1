/* gen_actions: the API calls the generator emits, and what each estate profile does.
 *
 * A profile is a cycle of steps; an identity's k-th event takes step k mod length and one of
 * the step's four candidates. The cycles are built so that the estate alone never fires a
 * shipped rule (DESIGN §5): a profile that deletes does so in a cycle of at most 10 steps that
 * holds a step of writes only, so its last 10 events are never all reads; nobody in the
 * estate both trains models and reads telemetry, or touches audit logging. Scenarios inject
 * the positives on top (gen_script.c). */
#include <assert.h>

#include "gen_internal.h"

#define R GEN_K_READ
#define W GEN_K_WRITE
#define X GEN_K_DESTRUCTIVE

#define A(id, src, nm, iam_name, k, p, f)              \
    [GEN_ACT_##id] = { .source = src ".amazonaws.com", \
                       .name = nm,                     \
                       .iam = iam_name,                \
                       .kind = k,                      \
                       .par = GEN_PAR_##p,             \
                       .flags = f }

const gen_action gen_actions[GEN_ACT_COUNT] = {
    A(S3_GET_OBJECT, "s3", "GetObject", "s3:GetObject", R, S3_OBJECT, GEN_AF_DATA),
    A(S3_HEAD_OBJECT, "s3", "HeadObject", "s3:GetObject", R, S3_OBJECT, GEN_AF_DATA),
    A(S3_LIST_OBJECTS, "s3", "ListObjects", "s3:ListBucket", R, S3_LIST, GEN_AF_DATA),
    A(S3_PUT_OBJECT, "s3", "PutObject", "s3:PutObject", W, S3_OBJECT, GEN_AF_DATA),
    A(S3_DELETE_OBJECT, "s3", "DeleteObject", "s3:DeleteObject", X, S3_OBJECT, GEN_AF_DATA),
    A(S3_LIST_BUCKETS, "s3", "ListBuckets", "s3:ListAllMyBuckets", R, S3_SERVICE, 0),
    A(S3_GET_BUCKET_POLICY, "s3", "GetBucketPolicy", "s3:GetBucketPolicy", R, S3_BUCKET, 0),
    A(S3_GET_BUCKET_LOCATION, "s3", "GetBucketLocation", "s3:GetBucketLocation", R, S3_BUCKET, 0),
    A(S3_CREATE_BUCKET, "s3", "CreateBucket", "s3:CreateBucket", W, S3_BUCKET, 0),
    A(S3_PUT_BUCKET_POLICY, "s3", "PutBucketPolicy", "s3:PutBucketPolicy", W, S3_POLICY, 0),
    A(S3_DELETE_BUCKET, "s3", "DeleteBucket", "s3:DeleteBucket", X, S3_BUCKET, 0),

    A(EC2_DESCRIBE_INSTANCES, "ec2", "DescribeInstances", "ec2:DescribeInstances", R, EC2_DESCRIBE,
      0),
    A(EC2_DESCRIBE_SECURITY_GROUPS, "ec2", "DescribeSecurityGroups", "ec2:DescribeSecurityGroups",
      R, EC2_DESCRIBE, 0),
    A(EC2_DESCRIBE_VOLUMES, "ec2", "DescribeVolumes", "ec2:DescribeVolumes", R, EC2_DESCRIBE, 0),
    A(EC2_RUN_INSTANCES, "ec2", "RunInstances", "ec2:RunInstances", W, EC2_RUN, 0),
    A(EC2_START_INSTANCES, "ec2", "StartInstances", "ec2:StartInstances", W, EC2_INSTANCES, 0),
    A(EC2_STOP_INSTANCES, "ec2", "StopInstances", "ec2:StopInstances", X, EC2_INSTANCES, 0),
    A(EC2_TERMINATE_INSTANCES, "ec2", "TerminateInstances", "ec2:TerminateInstances", X,
      EC2_INSTANCES, 0),
    A(EC2_CREATE_TAGS, "ec2", "CreateTags", "ec2:CreateTags", W, EC2_TAGS, 0),

    A(IAM_GET_ROLE, "iam", "GetRole", "iam:GetRole", R, IAM_ROLE, GEN_AF_GLOBAL),
    A(IAM_LIST_ROLES, "iam", "ListRoles", "iam:ListRoles", R, IAM_LIST, GEN_AF_GLOBAL),
    A(IAM_LIST_ATTACHED_ROLE_POLICIES, "iam", "ListAttachedRolePolicies",
      "iam:ListAttachedRolePolicies", R, IAM_ROLE, GEN_AF_GLOBAL),
    A(IAM_ATTACH_ROLE_POLICY, "iam", "AttachRolePolicy", "iam:AttachRolePolicy", W, IAM_ROLE_POLICY,
      GEN_AF_GLOBAL),

    A(STS_GET_CALLER_IDENTITY, "sts", "GetCallerIdentity", "sts:GetCallerIdentity", R, NONE, 0),

    A(LOGS_DESCRIBE_LOG_GROUPS, "logs", "DescribeLogGroups", "logs:DescribeLogGroups", R,
      LOGS_GROUP, 0),
    A(LOGS_DESCRIBE_LOG_STREAMS, "logs", "DescribeLogStreams", "logs:DescribeLogStreams", R,
      LOGS_GROUP, 0),
    A(LOGS_FILTER_LOG_EVENTS, "logs", "FilterLogEvents", "logs:FilterLogEvents", R, LOGS_FILTER, 0),
    A(LOGS_GET_LOG_EVENTS, "logs", "GetLogEvents", "logs:GetLogEvents", R, LOGS_FILTER, 0),
    A(LOGS_START_QUERY, "logs", "StartQuery", "logs:StartQuery", R, LOGS_QUERY, 0),
    A(LOGS_GET_QUERY_RESULTS, "logs", "GetQueryResults", "logs:GetQueryResults", R, LOGS_QUERY, 0),
    A(LOGS_CREATE_LOG_STREAM, "logs", "CreateLogStream", "logs:CreateLogStream", W, LOGS_GROUP, 0),

    A(CW_GET_METRIC_DATA, "monitoring", "GetMetricData", "cloudwatch:GetMetricData", R, METRICS, 0),
    A(CW_LIST_METRICS, "monitoring", "ListMetrics", "cloudwatch:ListMetrics", R, METRICS, 0),
    A(CW_DESCRIBE_ALARMS, "monitoring", "DescribeAlarms", "cloudwatch:DescribeAlarms", R, ALARMS,
      0),
    A(CW_GET_METRIC_STATISTICS, "monitoring", "GetMetricStatistics",
      "cloudwatch:GetMetricStatistics", R, METRICS, 0),

    A(BR_INVOKE_MODEL, "bedrock", "InvokeModel", "bedrock:InvokeModel", R, BEDROCK_INVOKE, 0),
    A(BR_INVOKE_MODEL_STREAM, "bedrock", "InvokeModelWithResponseStream",
      "bedrock:InvokeModelWithResponseStream", R, BEDROCK_INVOKE, 0),
    A(BR_CONVERSE, "bedrock", "Converse", "bedrock:InvokeModel", R, BEDROCK_CONVERSE, 0),
    A(BR_CONVERSE_STREAM, "bedrock", "ConverseStream", "bedrock:InvokeModelWithResponseStream", R,
      BEDROCK_CONVERSE, 0),
    A(BR_LIST_FOUNDATION_MODELS, "bedrock", "ListFoundationModels", "bedrock:ListFoundationModels",
      R, NONE, 0),
    A(BR_GET_FOUNDATION_MODEL, "bedrock", "GetFoundationModel", "bedrock:GetFoundationModel", R,
      BEDROCK_MODEL, 0),
    A(BR_CREATE_CUSTOMIZATION_JOB, "bedrock", "CreateModelCustomizationJob",
      "bedrock:CreateModelCustomizationJob", W, BEDROCK_CUSTOMIZE, 0),
    A(BR_GET_CUSTOMIZATION_JOB, "bedrock", "GetModelCustomizationJob",
      "bedrock:GetModelCustomizationJob", R, BEDROCK_JOB, 0),
    A(BR_LIST_CUSTOM_MODELS, "bedrock", "ListCustomModels", "bedrock:ListCustomModels", R, NONE, 0),
    A(MANTLE_CREATE_FINE_TUNING_JOB, "bedrock-mantle", "CreateFineTuningJob",
      "bedrock-mantle:CreateFineTuningJob", W, MANTLE_FINETUNE, 0),

    A(SM_LIST_TRAINING_JOBS, "sagemaker", "ListTrainingJobs", "sagemaker:ListTrainingJobs", R,
      SM_LIST, 0),
    A(SM_DESCRIBE_TRAINING_JOB, "sagemaker", "DescribeTrainingJob", "sagemaker:DescribeTrainingJob",
      R, SM_JOB, 0),
    A(SM_CREATE_TRAINING_JOB, "sagemaker", "CreateTrainingJob", "sagemaker:CreateTrainingJob", W,
      SM_TRAINING, 0),
    A(SM_DESCRIBE_ENDPOINT, "sagemaker", "DescribeEndpoint", "sagemaker:DescribeEndpoint", R,
      SM_JOB, 0),
    A(SM_LIST_MODELS, "sagemaker", "ListModels", "sagemaker:ListModels", R, SM_LIST, 0),

    A(DDB_DESCRIBE_TABLE, "dynamodb", "DescribeTable", "dynamodb:DescribeTable", R, DDB_TABLE, 0),
    A(DDB_LIST_TABLES, "dynamodb", "ListTables", "dynamodb:ListTables", R, NONE, 0),
    A(DDB_GET_ITEM, "dynamodb", "GetItem", "dynamodb:GetItem", R, DDB_ITEM, GEN_AF_DATA),
    A(DDB_QUERY, "dynamodb", "Query", "dynamodb:Query", R, DDB_QUERY, GEN_AF_DATA),
    A(DDB_SCAN, "dynamodb", "Scan", "dynamodb:Scan", R, DDB_TABLE, GEN_AF_DATA),
    A(DDB_PUT_ITEM, "dynamodb", "PutItem", "dynamodb:PutItem", W, DDB_ITEM, GEN_AF_DATA),
    A(DDB_UPDATE_ITEM, "dynamodb", "UpdateItem", "dynamodb:UpdateItem", W, DDB_ITEM, GEN_AF_DATA),
    A(DDB_BATCH_WRITE_ITEM, "dynamodb", "BatchWriteItem", "dynamodb:BatchWriteItem", W, DDB_BATCH,
      GEN_AF_DATA),
    A(DDB_DELETE_ITEM, "dynamodb", "DeleteItem", "dynamodb:DeleteItem", X, DDB_ITEM, GEN_AF_DATA),
    A(DDB_DELETE_TABLE, "dynamodb", "DeleteTable", "dynamodb:DeleteTable", X, DDB_TABLE, 0),

    A(LAMBDA_LIST_FUNCTIONS, "lambda", "ListFunctions20150331", "lambda:ListFunctions", R,
      LAMBDA_LIST, 0),
    A(LAMBDA_GET_FUNCTION, "lambda", "GetFunction20150331v2", "lambda:GetFunction", R, LAMBDA_FN,
      0),
    A(LAMBDA_UPDATE_CODE, "lambda", "UpdateFunctionCode20150331v2", "lambda:UpdateFunctionCode", W,
      LAMBDA_CODE, 0),
    A(LAMBDA_UPDATE_CONFIG, "lambda", "UpdateFunctionConfiguration20150331v2",
      "lambda:UpdateFunctionConfiguration", W, LAMBDA_FN, 0),
    A(LAMBDA_DELETE_FUNCTION, "lambda", "DeleteFunction20150331", "lambda:DeleteFunction", X,
      LAMBDA_FN, 0),

    A(KMS_DECRYPT, "kms", "Decrypt", "kms:Decrypt", W, KMS, GEN_AF_RO),
    A(KMS_GENERATE_DATA_KEY, "kms", "GenerateDataKey", "kms:GenerateDataKey", W, KMS, GEN_AF_RO),

    A(CFN_DESCRIBE_STACKS, "cloudformation", "DescribeStacks", "cloudformation:DescribeStacks", R,
      CFN_STACK, 0),
    A(CFN_CREATE_CHANGE_SET, "cloudformation", "CreateChangeSet", "cloudformation:CreateChangeSet",
      W, CFN_CHANGESET, 0),
    A(CFN_DESCRIBE_CHANGE_SET, "cloudformation", "DescribeChangeSet",
      "cloudformation:DescribeChangeSet", R, CFN_CHANGESET, 0),
    A(CFN_EXECUTE_CHANGE_SET, "cloudformation", "ExecuteChangeSet",
      "cloudformation:ExecuteChangeSet", W, CFN_CHANGESET, 0),
    A(CFN_DELETE_STACK, "cloudformation", "DeleteStack", "cloudformation:DeleteStack", X, CFN_STACK,
      0),

    A(RDS_DESCRIBE_DB_INSTANCES, "rds", "DescribeDBInstances", "rds:DescribeDBInstances", R,
      RDS_INSTANCE, 0),
    A(RDS_DELETE_DB_INSTANCE, "rds", "DeleteDBInstance", "rds:DeleteDBInstance", X, RDS_INSTANCE,
      0),

    A(CT_LOOKUP_EVENTS, "cloudtrail", "LookupEvents", "cloudtrail:LookupEvents", R, TRAIL_LOOKUP,
      0),
    A(CT_DESCRIBE_TRAILS, "cloudtrail", "DescribeTrails", "cloudtrail:DescribeTrails", R, NONE, 0),
    A(CT_GET_TRAIL_STATUS, "cloudtrail", "GetTrailStatus", "cloudtrail:GetTrailStatus", R, TRAIL,
      0),

    A(SIGNIN_CONSOLE_LOGIN, "signin", "ConsoleLogin", "signin:ConsoleLogin", W, LOGIN,
      GEN_AF_GLOBAL | GEN_AF_LOGIN),
    A(STS_ASSUME_ROLE_BY_SERVICE, "sts", "AssumeRole", "sts:AssumeRole", R, STS_ASSUME,
      GEN_AF_SERVICE),

    A(SECRETS_GET_SECRET_VALUE, "secretsmanager", "GetSecretValue", "secretsmanager:GetSecretValue",
      R, SECRET, 0),
    A(SECRETS_DESCRIBE_SECRET, "secretsmanager", "DescribeSecret", "secretsmanager:DescribeSecret",
      R, SECRET, 0),
    A(LOGS_DELETE_LOG_STREAM, "logs", "DeleteLogStream", "logs:DeleteLogStream", X, LOGS_STREAM, 0),
    A(LOGS_PUT_RETENTION_POLICY, "logs", "PutRetentionPolicy", "logs:PutRetentionPolicy", W,
      LOGS_RETENTION, 0),
    A(LOGS_CREATE_LOG_GROUP, "logs", "CreateLogGroup", "logs:CreateLogGroup", W, LOGS_GROUP_ONLY,
      0),
    A(LOGS_DELETE_LOG_GROUP, "logs", "DeleteLogGroup", "logs:DeleteLogGroup", X, LOGS_GROUP_ONLY,
      0),
    A(XRAY_BATCH_GET_TRACES, "xray", "BatchGetTraces", "xray:BatchGetTraces", R, XRAY, 0),
    A(XRAY_GET_TRACE_SUMMARIES, "xray", "GetTraceSummaries", "xray:GetTraceSummaries", R, XRAY, 0),
    A(BR_GET_MODEL_AVAILABILITY, "bedrock", "GetFoundationModelAvailability",
      "bedrock:GetFoundationModelAvailability", R, BEDROCK_AVAILABILITY, 0),
    A(BR_PUT_USE_CASE, "bedrock", "PutUseCaseForModelAccess", "bedrock:PutUseCaseForModelAccess", W,
      BEDROCK_USE_CASE, 0),
    A(BR_LIST_CUSTOMIZATION_JOBS, "bedrock", "ListModelCustomizationJobs",
      "bedrock:ListModelCustomizationJobs", R, SM_LIST, 0),
    A(CFN_CREATE_STACK, "cloudformation", "CreateStack", "cloudformation:CreateStack", W,
      CFN_DEPLOY, 0),
    A(CFN_UPDATE_STACK, "cloudformation", "UpdateStack", "cloudformation:UpdateStack", W,
      CFN_DEPLOY, 0),
    A(CFN_DESCRIBE_STACK_EVENTS, "cloudformation", "DescribeStackEvents",
      "cloudformation:DescribeStackEvents", R, CFN_STACK, 0),
    A(LAMBDA_CREATE_FUNCTION, "lambda", "CreateFunction20150331", "lambda:CreateFunction", W,
      LAMBDA_CREATE, 0),
    A(ECS_REGISTER_TASK_DEFINITION, "ecs", "RegisterTaskDefinition", "ecs:RegisterTaskDefinition",
      W, ECS_TASKDEF, 0),
    A(ECS_UPDATE_SERVICE, "ecs", "UpdateService", "ecs:UpdateService", W, ECS_SERVICE, 0),
    A(ECS_DESCRIBE_SERVICES, "ecs", "DescribeServices", "ecs:DescribeServices", R, ECS_SERVICE, 0),
    A(IAM_CREATE_ROLE, "iam", "CreateRole", "iam:CreateRole", W, IAM_CREATE_ROLE, GEN_AF_GLOBAL),
    A(IAM_PUT_ROLE_POLICY, "iam", "PutRolePolicy", "iam:PutRolePolicy", W, IAM_INLINE,
      GEN_AF_GLOBAL),
    A(IAM_PUT_USER_POLICY, "iam", "PutUserPolicy", "iam:PutUserPolicy", W, IAM_INLINE,
      GEN_AF_GLOBAL),
    A(IAM_CREATE_USER, "iam", "CreateUser", "iam:CreateUser", W, IAM_USER, GEN_AF_GLOBAL),
    A(IAM_LIST_USERS, "iam", "ListUsers", "iam:ListUsers", R, IAM_LIST, GEN_AF_GLOBAL),
    A(STS_GET_SESSION_TOKEN, "sts", "GetSessionToken", "sts:GetSessionToken", R, STS_SESSION,
      GEN_AF_GLOBAL),
    A(CT_STOP_LOGGING, "cloudtrail", "StopLogging", "cloudtrail:StopLogging", X, TRAIL, 0),
    A(CT_UPDATE_TRAIL, "cloudtrail", "UpdateTrail", "cloudtrail:UpdateTrail", W, TRAIL_UPDATE, 0),
    A(EC2_DELETE_FLOW_LOGS, "ec2", "DeleteFlowLogs", "ec2:DeleteFlowLogs", X, EC2_FLOW_LOGS, 0),
    A(EC2_DESCRIBE_NETWORK_INTERFACES, "ec2", "DescribeNetworkInterfaces",
      "ec2:DescribeNetworkInterfaces", R, EC2_DESCRIBE, 0),
    A(ELB_REGISTER_TARGETS, "elasticloadbalancing", "RegisterTargets",
      "elasticloadbalancing:RegisterTargets", W, ELB_TARGETS, 0),
    A(ELB_DEREGISTER_TARGETS, "elasticloadbalancing", "DeregisterTargets",
      "elasticloadbalancing:DeregisterTargets", W, ELB_TARGETS, 0),
    A(ELB_DESCRIBE_TARGET_HEALTH, "elasticloadbalancing", "DescribeTargetHealth",
      "elasticloadbalancing:DescribeTargetHealth", R, ELB_TARGETS, 0),
    A(GLUE_GET_TABLE, "glue", "GetTable", "glue:GetTable", R, GLUE_TABLE, 0),
    A(GLUE_BATCH_CREATE_PARTITION, "glue", "BatchCreatePartition", "glue:BatchCreatePartition", W,
      GLUE_TABLE, 0),
};

#undef A

/* Steps of four candidates; a candidate repeated is a candidate weighted. */
typedef gen_act gen_step[4];

#define S(a, b, c, d)                                      \
    {                                                      \
        GEN_ACT_##a, GEN_ACT_##b, GEN_ACT_##c, GEN_ACT_##d \
    }
#define S1(a) S(a, a, a, a)

static const gen_step cycle_agent_ro[] = {
    S(BR_CONVERSE, BR_CONVERSE, BR_INVOKE_MODEL, BR_CONVERSE_STREAM),
    S(S3_GET_OBJECT, S3_GET_OBJECT, S3_LIST_OBJECTS, S3_HEAD_OBJECT),
    S(EC2_DESCRIBE_INSTANCES, EC2_DESCRIBE_INSTANCES, EC2_DESCRIBE_SECURITY_GROUPS,
      EC2_DESCRIBE_VOLUMES),
    S(BR_CONVERSE, BR_INVOKE_MODEL, BR_CONVERSE, BR_CONVERSE_STREAM),
    S(DDB_QUERY, DDB_GET_ITEM, DDB_DESCRIBE_TABLE, DDB_SCAN),
    S(STS_GET_CALLER_IDENTITY, S3_LIST_BUCKETS, IAM_GET_ROLE, LAMBDA_LIST_FUNCTIONS),
    S(BR_CONVERSE, BR_CONVERSE, BR_CONVERSE_STREAM, BR_INVOKE_MODEL),
    S(LOGS_FILTER_LOG_EVENTS, CT_LOOKUP_EVENTS, CW_DESCRIBE_ALARMS, RDS_DESCRIBE_DB_INSTANCES),
    S(S3_GET_OBJECT, S3_GET_OBJECT, DDB_QUERY, LAMBDA_GET_FUNCTION),
};

static const gen_step cycle_agent_rw[] = {
    S(BR_CONVERSE, BR_CONVERSE, BR_INVOKE_MODEL, BR_CONVERSE_STREAM),
    S(S3_GET_OBJECT, S3_GET_OBJECT, S3_LIST_OBJECTS, S3_HEAD_OBJECT),
    S(DDB_QUERY, DDB_GET_ITEM, DDB_QUERY, DDB_GET_ITEM),
    S(DDB_PUT_ITEM, DDB_UPDATE_ITEM, DDB_PUT_ITEM, DDB_UPDATE_ITEM),
    S(BR_CONVERSE, BR_CONVERSE, BR_CONVERSE_STREAM, BR_INVOKE_MODEL),
    S(S3_PUT_OBJECT, S3_PUT_OBJECT, DDB_PUT_ITEM, S3_PUT_OBJECT),
    S(S3_GET_OBJECT, S3_LIST_OBJECTS, STS_GET_CALLER_IDENTITY, S3_GET_OBJECT),
    S(BR_CONVERSE, BR_CONVERSE, BR_INVOKE_MODEL, BR_CONVERSE),
};

static const gen_step cycle_etl[] = {
    S1(S3_LIST_OBJECTS),
    S1(S3_GET_OBJECT),
    S(S3_GET_OBJECT, S3_GET_OBJECT, S3_HEAD_OBJECT, S3_GET_OBJECT),
    S(KMS_DECRYPT, KMS_GENERATE_DATA_KEY, S3_GET_OBJECT, S3_GET_OBJECT),
    S1(S3_PUT_OBJECT),
    S1(S3_DELETE_OBJECT),
    S(DDB_BATCH_WRITE_ITEM, DDB_PUT_ITEM, DDB_UPDATE_ITEM, DDB_BATCH_WRITE_ITEM),
    S(DDB_QUERY, DDB_GET_ITEM, S3_GET_OBJECT, S3_GET_OBJECT),
    S(DDB_DELETE_ITEM, S3_DELETE_OBJECT, DDB_QUERY, S3_GET_OBJECT),
    S(S3_PUT_OBJECT, S3_PUT_OBJECT, LOGS_CREATE_LOG_STREAM, S3_PUT_OBJECT),
};

static const gen_step cycle_ci[] = {
    S1(STS_GET_CALLER_IDENTITY),
    S1(CFN_DESCRIBE_STACKS),
    S1(S3_PUT_OBJECT),
    S1(CFN_CREATE_CHANGE_SET),
    S1(CFN_DESCRIBE_CHANGE_SET),
    S1(CFN_EXECUTE_CHANGE_SET),
    S(LAMBDA_UPDATE_CODE, LAMBDA_UPDATE_CONFIG, LAMBDA_UPDATE_CODE, EC2_CREATE_TAGS),
    S(LAMBDA_GET_FUNCTION, IAM_GET_ROLE, IAM_LIST_ATTACHED_ROLE_POLICIES, CFN_DESCRIBE_STACKS),
    S(IAM_ATTACH_ROLE_POLICY, EC2_RUN_INSTANCES, LAMBDA_UPDATE_CONFIG, EC2_CREATE_TAGS),
    S(LAMBDA_DELETE_FUNCTION, EC2_TERMINATE_INSTANCES, CFN_DELETE_STACK, CFN_DESCRIBE_STACKS),
};

/* Humans are exempt from the agent rule, so their cycle deliberately deletes after a long run
 * of reads: the near-miss "human console sessions that delete". */
static const gen_step cycle_human[] = {
    S(EC2_DESCRIBE_INSTANCES, EC2_DESCRIBE_INSTANCES, EC2_DESCRIBE_SECURITY_GROUPS,
      EC2_DESCRIBE_VOLUMES),
    S(S3_LIST_BUCKETS, S3_LIST_BUCKETS, S3_GET_BUCKET_LOCATION, S3_GET_BUCKET_POLICY),
    S(CW_DESCRIBE_ALARMS, CW_GET_METRIC_DATA, LOGS_DESCRIBE_LOG_GROUPS, LOGS_FILTER_LOG_EVENTS),
    S(IAM_LIST_ROLES, IAM_GET_ROLE, IAM_LIST_ATTACHED_ROLE_POLICIES, IAM_LIST_ROLES),
    S(EC2_DESCRIBE_INSTANCES, RDS_DESCRIBE_DB_INSTANCES, DDB_LIST_TABLES, LAMBDA_LIST_FUNCTIONS),
    S(S3_LIST_OBJECTS, S3_GET_BUCKET_POLICY, S3_LIST_BUCKETS, S3_GET_OBJECT),
    S(CT_LOOKUP_EVENTS, CT_DESCRIBE_TRAILS, CT_GET_TRAIL_STATUS, CW_DESCRIBE_ALARMS),
    S(EC2_DESCRIBE_SECURITY_GROUPS, EC2_DESCRIBE_INSTANCES, EC2_DESCRIBE_VOLUMES,
      DDB_DESCRIBE_TABLE),
    S(BR_LIST_FOUNDATION_MODELS, SM_LIST_TRAINING_JOBS, LAMBDA_GET_FUNCTION, CFN_DESCRIBE_STACKS),
    S(LOGS_DESCRIBE_LOG_GROUPS, LOGS_GET_LOG_EVENTS, CW_GET_METRIC_DATA, CW_LIST_METRICS),
    S(EC2_DESCRIBE_INSTANCES, S3_LIST_BUCKETS, IAM_LIST_ROLES, RDS_DESCRIBE_DB_INSTANCES),
    S(DDB_DESCRIBE_TABLE, LAMBDA_LIST_FUNCTIONS, EC2_DESCRIBE_VOLUMES, S3_LIST_OBJECTS),
    S(EC2_TERMINATE_INSTANCES, EC2_STOP_INSTANCES, S3_DELETE_BUCKET, DDB_DELETE_TABLE),
    S(EC2_CREATE_TAGS, S3_CREATE_BUCKET, EC2_START_INSTANCES, EC2_CREATE_TAGS),
    S(EC2_DESCRIBE_INSTANCES, CW_DESCRIBE_ALARMS, S3_LIST_BUCKETS, EC2_DESCRIBE_INSTANCES),
};

static const gen_step cycle_iam_user[] = {
    S1(S3_LIST_OBJECTS),
    S(S3_GET_OBJECT, S3_GET_OBJECT, S3_GET_OBJECT, S3_HEAD_OBJECT),
    S1(S3_PUT_OBJECT),
    S(EC2_DESCRIBE_INSTANCES, EC2_DESCRIBE_VOLUMES, STS_GET_CALLER_IDENTITY, S3_LIST_BUCKETS),
    S1(S3_GET_OBJECT),
    S(KMS_GENERATE_DATA_KEY, KMS_DECRYPT, KMS_GENERATE_DATA_KEY, KMS_DECRYPT),
    S1(S3_PUT_OBJECT),
    S(S3_DELETE_OBJECT, S3_GET_OBJECT, S3_DELETE_OBJECT, S3_GET_OBJECT),
};

static const gen_step cycle_bedrock_key[] = {
    S(BR_INVOKE_MODEL, BR_INVOKE_MODEL, BR_CONVERSE, BR_INVOKE_MODEL_STREAM),
    S(BR_CONVERSE, BR_CONVERSE, BR_CONVERSE_STREAM, BR_INVOKE_MODEL),
    S(BR_CONVERSE_STREAM, BR_INVOKE_MODEL, BR_CONVERSE, BR_LIST_FOUNDATION_MODELS),
};

/* ML roles train now and then but never read telemetry: training alone must stay quiet. */
static const gen_step cycle_ml[] = {
    S(BR_INVOKE_MODEL, BR_CONVERSE, BR_INVOKE_MODEL, BR_CONVERSE),
    S(BR_LIST_FOUNDATION_MODELS, BR_GET_FOUNDATION_MODEL, BR_LIST_CUSTOM_MODELS,
      BR_LIST_FOUNDATION_MODELS),
    S1(SM_LIST_TRAINING_JOBS),
    S1(SM_DESCRIBE_TRAINING_JOB),
    S(S3_GET_OBJECT, S3_GET_OBJECT, S3_LIST_OBJECTS, S3_GET_OBJECT),
    S(BR_CONVERSE, BR_CONVERSE_STREAM, BR_INVOKE_MODEL, BR_CONVERSE),
    S(SM_DESCRIBE_ENDPOINT, SM_LIST_MODELS, SM_DESCRIBE_ENDPOINT, SM_LIST_MODELS),
    S1(S3_PUT_OBJECT),
    S(BR_GET_FOUNDATION_MODEL, BR_INVOKE_MODEL, BR_CONVERSE, BR_GET_FOUNDATION_MODEL),
    S(SM_LIST_MODELS, SM_LIST_MODELS, SM_LIST_MODELS, SM_CREATE_TRAINING_JOB),
};

static const gen_step cycle_monitor[] = {
    S1(LOGS_FILTER_LOG_EVENTS),
    S1(CW_GET_METRIC_DATA),
    S(LOGS_DESCRIBE_LOG_GROUPS, LOGS_DESCRIBE_LOG_STREAMS, LOGS_DESCRIBE_LOG_GROUPS,
      LOGS_DESCRIBE_LOG_STREAMS),
    S1(LOGS_GET_LOG_EVENTS),
    S(CW_LIST_METRICS, CW_GET_METRIC_STATISTICS, CW_LIST_METRICS, CW_GET_METRIC_DATA),
    S1(LOGS_START_QUERY),
    S1(LOGS_GET_QUERY_RESULTS),
    S(CT_LOOKUP_EVENTS, CT_GET_TRAIL_STATUS, CT_DESCRIBE_TRAILS, CT_LOOKUP_EVENTS),
    S1(CW_DESCRIBE_ALARMS),
    S(CW_GET_METRIC_DATA, CW_GET_METRIC_DATA, LOGS_FILTER_LOG_EVENTS, CW_GET_METRIC_STATISTICS),
};

#undef S
#undef S1
#undef R
#undef W
#undef X

typedef struct gen_cycle {
    const gen_step *step;
    uint32_t len;
} gen_cycle;

#define CYCLE(c)                                \
    {                                           \
        c, (uint32_t)(sizeof(c) / sizeof(c[0])) \
    }

static const gen_cycle cycles[GEN_PROF_COUNT] = {
    [GEN_PROF_AGENT_RO] = CYCLE(cycle_agent_ro),
    [GEN_PROF_AGENT_RW] = CYCLE(cycle_agent_rw),
    [GEN_PROF_ETL] = CYCLE(cycle_etl),
    [GEN_PROF_CI] = CYCLE(cycle_ci),
    [GEN_PROF_HUMAN] = CYCLE(cycle_human),
    [GEN_PROF_IAM_USER] = CYCLE(cycle_iam_user),
    [GEN_PROF_BEDROCK_KEY] = CYCLE(cycle_bedrock_key),
    [GEN_PROF_ML] = CYCLE(cycle_ml),
    [GEN_PROF_MONITOR] = CYCLE(cycle_monitor),
};

#undef CYCLE

gen_act gen_profile_action(uint8_t profile, uint32_t k, uint64_t h)
{
    assert(profile < GEN_PROF_COUNT);
    const gen_cycle *cy = &cycles[profile];
    /* Identities start at different points of their cycle, so the estate is not in step. */
    uint32_t pos = (uint32_t)((k + (h >> 40)) % cy->len);
    uint64_t pick = gen_mix(h, k) >> 62;
    return cy->step[pos][pick];
}
