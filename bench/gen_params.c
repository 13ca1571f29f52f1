/* gen_params: the resources a call names, and its requestParameters, shaped like the real
 * ones of each API (the answer side is gen_replies.c).
 *
 * Resource names derive from the identity and a small per-record choice, so one identity
 * keeps touching the same few buckets, tables and functions (an agent that read a bucket for
 * hours deletes that bucket), and identities of one account share them. */
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"
#include "tw_time.h"

static const char *const orgs[] = { "acme",     "globex", "initech", "umbrella", "hooli",
                                    "vandelay", "wonka",  "stark",   "tyrell",   "cyberdyne" };
static const char *const data_names[] = { "orders",    "clickstream",     "billing",
                                          "inventory", "customers",       "payments",
                                          "shipments", "ledger",          "sessions",
                                          "catalog",   "support-tickets", "reports" };
static const char *const bucket_kinds[] = { "raw", "curated", "exports" };
static const char *const models[] = {
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.amazon.nova-pro-v1:0",
    "amazon.nova-lite-v1:0",
    "meta.llama3-1-70b-instruct-v1:0",
    "amazon.titan-embed-text-v2:0",
    "cohere.embed-english-v3",
    "mistral.mistral-large-2407-v1:0",
    "us.anthropic.claude-opus-4-1-20250805-v1:0",
};

static const char *pick_dataset(uint64_t h)
{
    return data_names[h % GEN_N_OF(data_names)];
}

void gen_org_name(char *buf, size_t size, uint32_t account_ix)
{
    if (account_ix < GEN_N_OF(orgs))
        snprintf(buf, size, "%s", orgs[account_ix]);
    else
        snprintf(buf, size, "%s%u", orgs[account_ix % GEN_N_OF(orgs)],
                 (unsigned)(account_ix / GEN_N_OF(orgs)));
}

static const char *choose_model(const gen_call *c)
{
    /* Each identity favours two models. */
    uint64_t h = c->id->h >> 17;
    return models[(h + ((c->r >> 40) & 1) * 3) % GEN_N_OF(models)];
}

void gen_params_s3_names(const gen_ident *id, uint64_t r, const char *time_iso, bool object,
                         char *bucket, size_t bucket_size, char *key, size_t key_size)
{
    uint32_t variant = (uint32_t)((r >> 24) % 3);
    uint64_t ds = variant == 2 ? id->h >> 28 : id->h >> 20;
    char org[24];
    gen_org_name(org, sizeof org, id->account_ix);
    snprintf(bucket, bucket_size, "%s-%s-%s", org, pick_dataset(ds), bucket_kinds[variant]);
    if (object)
        snprintf(key, key_size, "%s/dt=%.10s/part-%05u.parquet", pick_dataset(ds), time_iso,
                 (unsigned)((r >> 32) % 4096));
    else
        snprintf(key, key_size, "%s/dt=%.10s/", pick_dataset(ds), time_iso);
}

void gen_params_prepare(gen_call *c)
{
    const gen_ident *id = c->id;
    uint32_t variant = (uint32_t)((c->r >> 24) % 3);
    uint64_t ds = variant == 2 ? id->h >> 28 : id->h >> 20;
    char org[24];
    c->res[0] = c->sub[0] = '\0';
    switch ((gen_par)c->act->par) {
    case GEN_PAR_S3_OBJECT:
    case GEN_PAR_S3_LIST:
    case GEN_PAR_S3_BUCKET:
        gen_params_s3_names(id, c->r, c->time_iso, c->act->par == GEN_PAR_S3_OBJECT, c->res,
                            sizeof c->res, c->sub, sizeof c->sub);
        break;
    case GEN_PAR_EC2_DESCRIBE:
    case GEN_PAR_EC2_INSTANCES:
    case GEN_PAR_EC2_RUN:
    case GEN_PAR_EC2_TAGS:
    case GEN_PAR_ALARMS:
    case GEN_PAR_METRICS:
        snprintf(c->res, sizeof c->res, "i-0%016llx",
                 (unsigned long long)(tw_hash_mix(id->h ^ variant) >> 4));
        break;
    case GEN_PAR_IAM_ROLE:
    case GEN_PAR_IAM_ROLE_POLICY:
        snprintf(c->res, sizeof c->res, "%s-api-task-role", pick_dataset(ds));
        break;
    case GEN_PAR_LOGS_GROUP:
    case GEN_PAR_LOGS_FILTER:
    case GEN_PAR_LOGS_QUERY:
        if (variant == 2)
            snprintf(c->res, sizeof c->res, "/aws/bedrock/modelinvocations");
        else
            snprintf(c->res, sizeof c->res, "/aws/lambda/%s-%s", pick_dataset(ds),
                     variant ? "api" : "worker");
        snprintf(c->sub, sizeof c->sub, "%.4s/%.2s/%.2s/[$LATEST]%016llx", c->time_iso,
                 c->time_iso + 5, c->time_iso + 8, (unsigned long long)(c->r >> 8));
        break;
    case GEN_PAR_BEDROCK_MODEL:
    case GEN_PAR_BEDROCK_INVOKE:
    case GEN_PAR_BEDROCK_CONVERSE:
        snprintf(c->res, sizeof c->res, "%s", choose_model(c));
        break;
    case GEN_PAR_BEDROCK_CUSTOMIZE:
    case GEN_PAR_BEDROCK_JOB:
    case GEN_PAR_MANTLE_FINETUNE:
    case GEN_PAR_SM_TRAINING:
    case GEN_PAR_SM_JOB:
        snprintf(c->res, sizeof c->res, "%s-finetune-%.4s%.2s%.2s-%04x", pick_dataset(ds),
                 c->time_iso, c->time_iso + 5, c->time_iso + 8,
                 (unsigned)(tw_hash_mix(id->h) & 0xFFFF));
        gen_org_name(org, sizeof org, id->account_ix);
        snprintf(c->sub, sizeof c->sub, "%s-ml-training-data", org);
        break;
    case GEN_PAR_DDB_TABLE:
    case GEN_PAR_DDB_ITEM:
    case GEN_PAR_DDB_QUERY:
    case GEN_PAR_DDB_BATCH:
        snprintf(c->res, sizeof c->res, "%s-%s", pick_dataset(ds), variant ? "prod" : "state");
        break;
    case GEN_PAR_LAMBDA_FN:
    case GEN_PAR_LAMBDA_CODE:
        snprintf(c->res, sizeof c->res, "%s-%s-handler", pick_dataset(ds),
                 variant ? "api" : "worker");
        gen_org_name(org, sizeof org, id->account_ix);
        snprintf(c->sub, sizeof c->sub, "%s-build-artifacts", org);
        break;
    case GEN_PAR_KMS:
        snprintf(c->res, sizeof c->res, "%08x-%04x-4%03x-a%03x-%012llx",
                 (unsigned)(tw_hash_mix(id->account_ix + 7u) >> 32), (unsigned)(ds & 0xFFFF),
                 (unsigned)((ds >> 16) & 0xFFF), (unsigned)((ds >> 28) & 0xFFF),
                 (unsigned long long)(tw_hash_mix(ds) & 0xFFFFFFFFFFFFULL));
        gen_org_name(org, sizeof org, id->account_ix);
        snprintf(c->sub, sizeof c->sub, "%s-%s-raw", org, pick_dataset(ds));
        break;
    case GEN_PAR_CFN_STACK:
    case GEN_PAR_CFN_CHANGESET:
        snprintf(c->res, sizeof c->res, "%s-service-prod", pick_dataset(ds));
        snprintf(c->sub, sizeof c->sub, "deploy-%08llx",
                 (unsigned long long)(gen_mix(id->h, (uint64_t)c->t_ms / TW_MS_HOUR) >> 32));
        break;
    case GEN_PAR_RDS_INSTANCE:
        snprintf(c->res, sizeof c->res, "%s-db-%s", pick_dataset(ds), variant ? "prod" : "replica");
        break;
    case GEN_PAR_TRAIL:
    case GEN_PAR_TRAIL_LOOKUP:
        snprintf(c->res, sizeof c->res, "organization-trail");
        break;
    case GEN_PAR_NONE:
    case GEN_PAR_S3_SERVICE:
    case GEN_PAR_IAM_LIST:
    case GEN_PAR_SM_LIST:
    case GEN_PAR_LAMBDA_LIST:
    case GEN_PAR_LOGIN:
    case GEN_PAR_STS_ASSUME:
        break;
    default: /* the realistic profile's shapes: gen_real_params.c */
        break;
    }
}

static void put_iso(tw_buf *b, int64_t ms)
{
    char t[32];
    tw_time_format_iso(ms, t, sizeof t);
    tw_buf_puts(b, t);
}

void gen_put_role_arn(const gen_call *c, tw_buf *b, const char *role)
{
    GEN_PUT(b, "arn:aws:iam::");
    tw_buf_puts(b, c->id->account);
    GEN_PUT(b, ":role/");
    tw_buf_puts(b, role);
}

void gen_put_ident_role_arn(tw_buf *b, const gen_ident *role)
{
    GEN_PUT(b, "arn:aws:iam::");
    tw_buf_puts(b, role->account);
    GEN_PUT(b, ":role");
    tw_buf_puts(b, role->path);
    tw_buf_puts(b, role->name);
}

void gen_put_issuer_arn(const gen_call *c, tw_buf *b)
{
    gen_put_ident_role_arn(b, c->id);
}

void gen_put_run_role(const gen_call *c, const gen_ident *run_as, const char *fallback, tw_buf *b)
{
    if (run_as)
        gen_put_ident_role_arn(b, run_as);
    else
        gen_put_role_arn(c, b, fallback);
}

void gen_put_name_only(tw_buf *b, const char *key, const char *value)
{
    GEN_PUT(b, "{\"");
    tw_buf_puts(b, key);
    GEN_PUT(b, "\":\"");
    tw_buf_puts(b, value);
    GEN_PUT(b, "\"}");
}

void gen_put_s3_host(const gen_call *c, tw_buf *b)
{
    tw_buf_puts(b, c->res);
    GEN_PUT(b, ".s3.");
    tw_buf_puts(b, c->region);
    GEN_PUT(b, ".amazonaws.com");
}

void gen_put_code_location(const gen_call *c, tw_buf *b)
{
    GEN_PUT(b, "\"s3Bucket\":\"");
    tw_buf_puts(b, c->sub);
    GEN_PUT(b, "\",\"s3Key\":\"builds/");
    tw_buf_puts(b, c->res);
    tw_buf_putc(b, '/');
    gen_put_hex(b, c->r, 12, false);
    GEN_PUT(b, ".zip\"");
}

static void put_s3(const gen_call *c, tw_buf *b)
{
    switch (c->act_id) {
    case GEN_ACT_S3_LIST_OBJECTS:
        GEN_PUT(b, "{\"list-type\":\"2\",\"bucketName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"encoding-type\":\"url\",\"prefix\":\"");
        tw_buf_puts(b, c->sub);
        GEN_PUT(b, "\",\"Host\":\"");
        break;
    case GEN_ACT_S3_GET_BUCKET_POLICY:
        GEN_PUT(b, "{\"bucketName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"policy\":\"\",\"Host\":\"");
        break;
    case GEN_ACT_S3_GET_BUCKET_LOCATION:
        GEN_PUT(b, "{\"bucketName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"location\":\"\",\"Host\":\"");
        break;
    case GEN_ACT_S3_CREATE_BUCKET:
        GEN_PUT(b, "{\"CreateBucketConfiguration\":{\"LocationConstraint\":\"");
        tw_buf_puts(b, c->region);
        GEN_PUT(b, "\",\"xmlns\":\"http://s3.amazonaws.com/doc/2006-03-01/\"},\"bucketName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"Host\":\"");
        break;
    default:
        GEN_PUT(b, "{\"bucketName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"Host\":\"");
    }
    gen_put_s3_host(c, b);
    tw_buf_putc(b, '"');
    if (c->act->par == GEN_PAR_S3_OBJECT) {
        GEN_PUT(b, ",\"key\":\"");
        tw_buf_puts(b, c->sub);
        tw_buf_putc(b, '"');
        if (c->act_id == GEN_ACT_S3_PUT_OBJECT)
            GEN_PUT(b, ",\"x-amz-server-side-encryption\":\"aws:kms\"");
    }
    tw_buf_putc(b, '}');
}

static void put_ec2(const gen_call *c, tw_buf *b)
{
    switch (c->act_id) {
    case GEN_ACT_EC2_DESCRIBE_INSTANCES:
        GEN_PUT(b, "{\"instancesSet\":{},\"filterSet\":{\"items\":[{\"name\":\"instance-state-"
                   "name\",\"valueSet\":{\"items\":[{\"value\":\"running\"}]}}]}}");
        return;
    case GEN_ACT_EC2_DESCRIBE_SECURITY_GROUPS:
        GEN_PUT(b, "{\"securityGroupSet\":{},\"securityGroupIdSet\":{},\"filterSet\":{}}");
        return;
    case GEN_ACT_EC2_DESCRIBE_VOLUMES:
        GEN_PUT(b, "{\"volumeSet\":{},\"filterSet\":{\"items\":[{\"name\":\"attachment.instance-"
                   "id\",\"valueSet\":{\"items\":[{\"value\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}]}}]}}");
        return;
    case GEN_ACT_EC2_RUN_INSTANCES:
        GEN_PUT(b, "{\"instancesSet\":{\"items\":[{\"imageId\":\"ami-0");
        gen_put_hex(b, tw_hash_mix(c->id->h ^ 0xA1), 16, false);
        GEN_PUT(b, "\",\"minCount\":1,\"maxCount\":1}]},\"instanceType\":\"m7g.large\","
                   "\"blockDeviceMapping\":{},\"monitoring\":{\"enabled\":false},"
                   "\"disableApiTermination\":false,\"disableApiStop\":false,\"clientToken\":\"");
        gen_put_uuid(b, c->r ^ 0xC7);
        GEN_PUT(b, "\"}");
        return;
    case GEN_ACT_EC2_CREATE_TAGS:
        GEN_PUT(b, "{\"resourcesSet\":{\"items\":[{\"resourceId\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b,
                "\"}]},\"tagSet\":{\"items\":[{\"key\":\"cost-center\",\"value\":\"cc-1042\"}]}}");
        return;
    default:
        GEN_PUT(b, "{\"instancesSet\":{\"items\":[{\"instanceId\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}]}");
        if (c->act_id == GEN_ACT_EC2_STOP_INSTANCES)
            GEN_PUT(b, ",\"force\":false");
        tw_buf_putc(b, '}');
    }
}

static void put_logs(const gen_call *c, tw_buf *b)
{
    switch (c->act_id) {
    case GEN_ACT_LOGS_DESCRIBE_LOG_GROUPS:
        GEN_PUT(b, "{\"logGroupNamePrefix\":\"/aws/lambda/\",\"limit\":50}");
        return;
    case GEN_ACT_LOGS_FILTER_LOG_EVENTS:
        GEN_PUT(b, "{\"logGroupName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"startTime\":");
        tw_buf_put_i64(b, c->t_ms - TW_MS_HOUR);
        GEN_PUT(b, ",\"endTime\":");
        tw_buf_put_i64(b, c->t_ms);
        GEN_PUT(b, ",\"filterPattern\":\"?ERROR ?Exception ?Timeout\",\"interleaved\":true}");
        return;
    case GEN_ACT_LOGS_START_QUERY:
        GEN_PUT(b, "{\"logGroupNames\":[\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"],\"startTime\":");
        tw_buf_put_i64(b, c->t_ms / TW_MS_SECOND - 3600);
        GEN_PUT(b, ",\"endTime\":");
        tw_buf_put_i64(b, c->t_ms / TW_MS_SECOND);
        GEN_PUT(b, ",\"queryString\":\"fields @timestamp, @message | filter @message like /ERROR/ "
                   "| sort @timestamp desc | limit 100\"}");
        return;
    case GEN_ACT_LOGS_GET_QUERY_RESULTS:
        GEN_PUT(b, "{\"queryId\":\"");
        gen_put_uuid(b, c->r ^ 0x9D);
        GEN_PUT(b, "\"}");
        return;
    default: /* DescribeLogStreams, GetLogEvents, CreateLogStream */
        GEN_PUT(b, "{\"logGroupName\":\"");
        tw_buf_puts(b, c->res);
        if (c->act_id == GEN_ACT_LOGS_DESCRIBE_LOG_STREAMS) {
            GEN_PUT(b, "\",\"orderBy\":\"LastEventTime\",\"descending\":true,\"limit\":50}");
            return;
        }
        GEN_PUT(b, "\",\"logStreamName\":\"");
        tw_buf_puts(b, c->sub);
        if (c->act_id == GEN_ACT_LOGS_GET_LOG_EVENTS)
            GEN_PUT(b, "\",\"startFromHead\":false}");
        else
            GEN_PUT(b, "\"}");
    }
}

static void put_metrics(const gen_call *c, tw_buf *b)
{
    switch (c->act_id) {
    case GEN_ACT_CW_LIST_METRICS:
        GEN_PUT(b, "{\"namespace\":\"AWS/Lambda\",\"metricName\":\"Errors\"}");
        return;
    case GEN_ACT_CW_GET_METRIC_STATISTICS:
        GEN_PUT(b, "{\"namespace\":\"AWS/"
                   "EC2\",\"metricName\":\"CPUUtilization\",\"dimensions\":[{\"name\":"
                   "\"InstanceId\",\"value\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}],\"startTime\":\"");
        put_iso(b, c->t_ms - 3 * TW_MS_HOUR);
        GEN_PUT(b, "\",\"endTime\":\"");
        tw_buf_puts(b, c->time_iso);
        GEN_PUT(b, "\",\"period\":300,\"statistics\":[\"Average\",\"Maximum\"]}");
        return;
    default: /* GetMetricData */
        GEN_PUT(b, "{\"metricDataQueries\":[{\"id\":\"m1\",\"metricStat\":{\"metric\":{"
                   "\"namespace\":\"AWS/"
                   "EC2\",\"metricName\":\"CPUUtilization\",\"dimensions\":[{\"name\":"
                   "\"InstanceId\",\"value\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b,
                "\"}]},\"period\":60,\"stat\":\"Average\"},\"returnData\":true}],\"startTime\":\"");
        put_iso(b, c->t_ms - TW_MS_HOUR);
        GEN_PUT(b, "\",\"endTime\":\"");
        tw_buf_puts(b, c->time_iso);
        GEN_PUT(b, "\"}");
    }
}

static void put_ddb(const gen_call *c, tw_buf *b)
{
    GEN_PUT(b, "{\"tableName\":\"");
    tw_buf_puts(b, c->res);
    tw_buf_putc(b, '"');
    switch (c->act->par) {
    case GEN_PAR_DDB_ITEM:
        /* CloudTrail redacts key values of data events. */
        GEN_PUT(b, ",\"key\":{\"pk\":\"HIDDEN_DUE_TO_SECURITY_REASONS\",\"sk\":\"HIDDEN_DUE_TO_"
                   "SECURITY_REASONS\"}");
        break;
    case GEN_PAR_DDB_QUERY:
        GEN_PUT(b, ",\"keyConditionExpression\":\"pk = :pk AND begins_with(sk, "
                   ":prefix)\",\"limit\":50,\"consistentRead\":false,\"scanIndexForward\":false");
        break;
    case GEN_PAR_DDB_BATCH:
        GEN_PUT(b, ",\"requestItems\":[{\"operation\":\"Put\",\"key\":{\"pk\":\"HIDDEN_DUE_TO_"
                   "SECURITY_REASONS\"}},{\"operation\":\"Put\",\"key\":{\"pk\":\"HIDDEN_DUE_TO_"
                   "SECURITY_REASONS\"}}]");
        break;
    default:
        if (c->act_id == GEN_ACT_DDB_SCAN)
            GEN_PUT(b, ",\"limit\":100");
    }
    tw_buf_putc(b, '}');
}

static void put_training(const gen_call *c, tw_buf *b)
{
    switch (c->act_id) {
    case GEN_ACT_BR_CREATE_CUSTOMIZATION_JOB:
        GEN_PUT(b, "{\"jobName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"customModelName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "-model\",\"roleArn\":\"");
        gen_put_role_arn(c, b, "service-role/AmazonBedrockCustomizationRole");
        GEN_PUT(b,
                "\",\"baseModelIdentifier\":\"amazon.nova-micro-v1:0:128k\",\"customizationType\":"
                "\"FINE_TUNING\",\"trainingDataConfig\":{\"s3Uri\":\"s3://");
        tw_buf_puts(b, c->sub);
        GEN_PUT(b, "/train.jsonl\"},\"outputDataConfig\":{\"s3Uri\":\"s3://");
        tw_buf_puts(b, c->sub);
        GEN_PUT(b, "/output/"
                   "\"},\"hyperParameters\":{\"epochCount\":\"2\",\"batchSize\":\"1\","
                   "\"learningRate\":\"0.00001\"}}");
        return;
    case GEN_ACT_MANTLE_CREATE_FINE_TUNING_JOB:
        GEN_PUT(b, "{\"model\":\"openai.gpt-oss-20b-1:0\",\"training_file\":\"file-");
        gen_put_hex(b, c->r, 16, false);
        GEN_PUT(b, "\",\"suffix\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"method\":{\"type\":\"supervised\"}}");
        return;
    case GEN_ACT_SM_CREATE_TRAINING_JOB:
        GEN_PUT(b, "{\"trainingJobName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"algorithmSpecification\":{\"trainingImage\":\"763104351884.dkr.ecr.");
        tw_buf_puts(b, c->region);
        GEN_PUT(
            b, ".amazonaws.com/"
               "pytorch-training:2.5.1-gpu-py311\",\"trainingInputMode\":\"File\"},\"roleArn\":\"");
        gen_put_role_arn(c, b, "service-role/AmazonSageMaker-TrainingRole");
        GEN_PUT(b, "\",\"inputDataConfig\":[{\"channelName\":\"train\",\"dataSource\":{"
                   "\"s3DataSource\":{\"s3DataType\":\"S3Prefix\",\"s3Uri\":\"s3://");
        tw_buf_puts(b, c->sub);
        GEN_PUT(b, "/train/\"}}}],\"outputDataConfig\":{\"s3OutputPath\":\"s3://");
        tw_buf_puts(b, c->sub);
        GEN_PUT(b,
                "/models/"
                "\"},\"resourceConfig\":{\"instanceType\":\"ml.g5.2xlarge\",\"instanceCount\":1,"
                "\"volumeSizeInGB\":100},\"stoppingCondition\":{\"maxRuntimeInSeconds\":86400}}");
        return;
    case GEN_ACT_BR_GET_CUSTOMIZATION_JOB:
        gen_put_name_only(b, "jobIdentifier", c->res);
        return;
    case GEN_ACT_SM_DESCRIBE_ENDPOINT:
        GEN_PUT(b, "{\"endpointName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "-endpoint\"}");
        return;
    default: /* DescribeTrainingJob */
        gen_put_name_only(b, "trainingJobName", c->res);
    }
}

void gen_params_request(const gen_call *c, tw_buf *b)
{
    switch ((gen_par)c->act->par) {
    case GEN_PAR_S3_OBJECT:
    case GEN_PAR_S3_LIST:
    case GEN_PAR_S3_BUCKET:
        put_s3(c, b);
        return;
    case GEN_PAR_S3_SERVICE:
        GEN_PUT(b, "{\"Host\":\"s3.");
        tw_buf_puts(b, c->region);
        GEN_PUT(b, ".amazonaws.com\"}");
        return;
    case GEN_PAR_EC2_DESCRIBE:
    case GEN_PAR_EC2_INSTANCES:
    case GEN_PAR_EC2_RUN:
    case GEN_PAR_EC2_TAGS:
        put_ec2(c, b);
        return;
    case GEN_PAR_IAM_ROLE:
        gen_put_name_only(b, "roleName", c->res);
        return;
    case GEN_PAR_IAM_ROLE_POLICY: {
        /* Read-only managed policies: CI grants that are not privileged (DESIGN §4). */
        static const char *const policies[] = {
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
            "arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess",
            "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
        };
        GEN_PUT(b, "{\"roleName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"policyArn\":\"");
        tw_buf_puts(b, policies[(c->r >> 33) % GEN_N_OF(policies)]);
        GEN_PUT(b, "\"}");
        return;
    }
    case GEN_PAR_LOGS_GROUP:
    case GEN_PAR_LOGS_FILTER:
    case GEN_PAR_LOGS_QUERY:
        put_logs(c, b);
        return;
    case GEN_PAR_METRICS:
        put_metrics(c, b);
        return;
    case GEN_PAR_ALARMS:
        GEN_PUT(b, "{\"stateValue\":\"ALARM\",\"maxRecords\":100}");
        return;
    case GEN_PAR_BEDROCK_MODEL:
        gen_put_name_only(b, "modelIdentifier", c->res);
        return;
    case GEN_PAR_BEDROCK_INVOKE:
    case GEN_PAR_BEDROCK_CONVERSE:
        gen_put_name_only(b, "modelId", c->res);
        return;
    case GEN_PAR_BEDROCK_CUSTOMIZE:
    case GEN_PAR_BEDROCK_JOB:
    case GEN_PAR_MANTLE_FINETUNE:
    case GEN_PAR_SM_TRAINING:
    case GEN_PAR_SM_JOB:
        put_training(c, b);
        return;
    case GEN_PAR_SM_LIST:
        GEN_PUT(b, "{\"maxResults\":50,\"sortBy\":\"CreationTime\",\"sortOrder\":\"Descending\"}");
        return;
    case GEN_PAR_DDB_TABLE:
    case GEN_PAR_DDB_ITEM:
    case GEN_PAR_DDB_QUERY:
    case GEN_PAR_DDB_BATCH:
        put_ddb(c, b);
        return;
    case GEN_PAR_LAMBDA_FN:
        GEN_PUT(b, "{\"functionName\":\"");
        tw_buf_puts(b, c->res);
        if (c->act_id == GEN_ACT_LAMBDA_UPDATE_CONFIG)
            GEN_PUT(b, "\",\"timeout\":30,\"memorySize\":1024}");
        else
            GEN_PUT(b, "\"}");
        return;
    case GEN_PAR_LAMBDA_CODE:
        GEN_PUT(b, "{\"functionName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"publish\":true,\"dryRun\":false,");
        gen_put_code_location(c, b);
        tw_buf_putc(b, '}');
        return;
    case GEN_PAR_KMS:
        GEN_PUT(b, "{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"keyId\":\"");
        gen_put_arn_head(b, "kms", c);
        GEN_PUT(b, ":key/");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"encryptionContext\":{\"aws:s3:arn\":\"arn:aws:s3:::");
        tw_buf_puts(b, c->sub);
        GEN_PUT(b, "\"}");
        if (c->act_id == GEN_ACT_KMS_GENERATE_DATA_KEY)
            GEN_PUT(b, ",\"keySpec\":\"AES_256\"");
        tw_buf_putc(b, '}');
        return;
    case GEN_PAR_CFN_STACK:
        gen_put_name_only(b, "stackName", c->res);
        return;
    case GEN_PAR_CFN_CHANGESET:
        GEN_PUT(b, "{\"stackName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"changeSetName\":\"");
        tw_buf_puts(b, c->sub);
        if (c->act_id == GEN_ACT_CFN_CREATE_CHANGE_SET)
            GEN_PUT(b, "\",\"changeSetType\":\"UPDATE\",\"capabilities\":[\"CAPABILITY_IAM\"]}");
        else
            GEN_PUT(b, "\"}");
        return;
    case GEN_PAR_RDS_INSTANCE:
        GEN_PUT(b, "{\"dBInstanceIdentifier\":\"");
        tw_buf_puts(b, c->res);
        if (c->act_id == GEN_ACT_RDS_DELETE_DB_INSTANCE)
            GEN_PUT(b, "\",\"skipFinalSnapshot\":true,\"deleteAutomatedBackups\":true}");
        else
            GEN_PUT(b, "\"}");
        return;
    case GEN_PAR_TRAIL:
        GEN_PUT(b, "{\"name\":\"arn:aws:cloudtrail:us-east-1:");
        tw_buf_puts(b, c->id->account);
        GEN_PUT(b, ":trail/");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}");
        return;
    case GEN_PAR_TRAIL_LOOKUP:
        GEN_PUT(b, "{\"lookupAttributes\":[{\"attributeKey\":\"EventName\",\"attributeValue\":"
                   "\"ConsoleLogin\"}],\"startTime\":\"");
        put_iso(b, c->t_ms - TW_MS_DAY);
        GEN_PUT(b, "\",\"endTime\":\"");
        tw_buf_puts(b, c->time_iso);
        GEN_PUT(b, "\",\"maxResults\":50}");
        return;
    case GEN_PAR_STS_ASSUME:
        GEN_PUT(b, "{\"roleArn\":\"");
        gen_put_issuer_arn(c, b);
        GEN_PUT(b, "\",\"roleSessionName\":\"");
        tw_buf_puts(b, c->ss->name);
        GEN_PUT(b, "\",\"durationSeconds\":3600}");
        return;
    case GEN_PAR_NONE:
    case GEN_PAR_IAM_LIST:
    case GEN_PAR_LAMBDA_LIST:
    case GEN_PAR_LOGIN:
        GEN_PUT(b, "null");
        return;
    default: /* the realistic profile's shapes: gen_real_params.c */
        break;
    }
    GEN_PUT(b, "null");
}
