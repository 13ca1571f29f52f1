/* gen_real_params: requestParameters, responseElements and additionalEventData of the calls
 * only the realistic profile makes, and of the realistic variants of shared calls (an
 * on-behalf Decrypt, a policy attached to a named role). Every other call, and every call's
 * resources, goes to the shared shapes of gen_params.c and gen_replies.c.
 *
 * The shapes are CloudTrail's: policy documents of IAM calls are JSON strings, S3's
 * bucketPolicy is an object, Lambda's event names carry their API version, an on-behalf
 * Decrypt names the object (aws:s3:arn) or the secret (SecretARN) in its encryption context
 * and the key in its resources. */
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"
#include "tw_time.h"

static const char *const secret_kinds[] = { "db-credentials", "api-key", "oauth-client",
                                            "stripe-webhook" };
static const char *const models[] = {
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "amazon.nova-pro-v1:0",
    "meta.llama3-1-70b-instruct-v1:0",
    "mistral.mistral-large-2407-v1:0",
    "amazon.nova-lite-v1:0",
};
static const char *const retention_groups[] = { "/aws/lambda/%s-api-handler",
                                                "/ecs/%s-api",
                                                "/aws/codebuild/%s-build",
                                                "/aws/apigateway/%s-api-access",
                                                "/aws/rds/instance/%s-db/postgresql",
                                                "/aws/lambda/%s-worker-handler" };

static const char *dataset_of(const gen_ident *id)
{
    return GEN_PICK(gen_datasets, id->h >> 20);
}

/* A key id shaped like KMS's (a UUID), from a name. */
static void key_id(char *out, size_t size, const char *name)
{
    uint64_t h = tw_hash64(name, strlen(name), 0x6B6D73u), h2 = tw_hash_mix(h);
    snprintf(out, size, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(h >> 32),
             (unsigned)(h >> 16) & 0xFFFF, (unsigned)h & 0xFFF,
             (unsigned)(0x8000 | ((h2 >> 48) & 0x3FFF)),
             (unsigned long long)(h2 & 0xFFFFFFFFFFFFULL));
}

/* The secret an application reads (one of a few of its own), for the link r. */
static void secret_name(const gen_ident *id, uint64_t r, char *out, size_t size)
{
    snprintf(out, size, "prod/%s/%s", dataset_of(id),
             secret_kinds[(id->h >> 36) % 2 + ((r >> 30) & 1) * 2]);
}

/* Log groups a pipeline writes (and cleans), or that a retention job looks after. */
static void log_group(const gen_ident *id, uint64_t r, char *out, size_t size)
{
    const char *ds = dataset_of(id);
    if (id->rclass == GEN_RC_LOG_RETENTION) {
        const char *d2 = GEN_PICK(gen_datasets, r >> 12);
        if ((r >> 20) % 8 == 7) { /* CloudTrail's own log group: its old streams go too */
            snprintf(out, size, "aws-cloudtrail-logs-%s-%08x", id->account,
                     (unsigned)(tw_hash_mix(id->account_ix + 0xC7u) >> 32));
            return;
        }
        snprintf(out, size, retention_groups[(r >> 20) % GEN_N_OF(retention_groups)], d2);
        return;
    }
    switch (id->ua_family % 4) { /* where the pipeline runs: Glue, Lambda, ECS, EC2 */
    case 0:
        snprintf(out, size, (r >> 20) & 1 ? "/aws-glue/jobs/error" : "/aws-glue/jobs/output");
        break;
    case 1:
        snprintf(out, size, "/aws/lambda/%.60s", id->name);
        break;
    case 2:
        snprintf(out, size, "/ecs/%s-pipeline", ds);
        break;
    default:
        snprintf(out, size, "/%s/pipeline/app", ds);
    }
}

/* The revision of an ECS task definition: it grows with the hour, as deploys add them. */
static int64_t task_revision(const gen_call *c)
{
    return 100 + (int64_t)((c->t_ms / TW_MS_HOUR) % 900);
}

static bool is_kms(int act)
{
    return act == GEN_ACT_KMS_DECRYPT || act == GEN_ACT_KMS_GENERATE_DATA_KEY;
}

void gen_real_params_prepare(gen_call *c, const gen_event *ev, const gen_ident *target)
{
    const gen_ident *id = c->id;
    char org[24], bucket[48], key[72];
    c->res[0] = c->sub[0] = '\0';
    if (is_kms(c->act_id) && ev->via == GEN_VIA_S3) {
        /* the object its GetObject or PutObject named, and the bucket's key */
        gen_params_s3_names(id, c->r, c->time_iso, true, bucket, sizeof bucket, key, sizeof key);
        key_id(c->res, sizeof c->res, bucket);
        snprintf(c->sub, sizeof c->sub, "%s/%s", bucket, key);
        return;
    }
    if (is_kms(c->act_id) && ev->via == GEN_VIA_SECRETS) {
        secret_name(id, c->r, c->sub, sizeof c->sub);
        char alias[48];
        snprintf(alias, sizeof alias, "secrets-%s", id->account);
        key_id(c->res, sizeof c->res, alias);
        return;
    }
    switch (c->act_id) {
    case GEN_ACT_SECRETS_GET_SECRET_VALUE:
    case GEN_ACT_SECRETS_DESCRIBE_SECRET:
        secret_name(id, c->r, c->res, sizeof c->res);
        return;
    case GEN_ACT_LOGS_DELETE_LOG_STREAM:
    case GEN_ACT_LOGS_PUT_RETENTION_POLICY:
    case GEN_ACT_LOGS_DESCRIBE_LOG_STREAMS:
        if (c->act_id == GEN_ACT_LOGS_DESCRIBE_LOG_STREAMS && id->rclass != GEN_RC_ETL &&
            id->rclass != GEN_RC_LOG_RETENTION)
            break;
        log_group(id, c->r, c->res, sizeof c->res);
        if (c->act_id == GEN_ACT_LOGS_DELETE_LOG_STREAM &&
            strncmp(c->res, "aws-cloudtrail-logs-", 20) == 0) {
            /* CloudTrail names a stream by account and region: that of a region no longer
             * logged */
            snprintf(c->sub, sizeof c->sub, "%s_CloudTrail_%s_%u", id->account,
                     gen_regions[(c->r >> 8) % 6], (unsigned)(1 + (c->r >> 16) % 3));
        } else if (c->act_id == GEN_ACT_LOGS_DELETE_LOG_STREAM) {
            /* a stream of 35 to 120 days ago: what retention leaves behind */
            char day[32];
            int64_t age = (int64_t)(35 + (c->r >> 8) % 86) * TW_MS_DAY;
            tw_time_format_iso(c->t_ms - age, day, sizeof day);
            snprintf(c->sub, sizeof c->sub, "%.4s/%.2s/%.2s/[$LATEST]%016llx%016llx", day, day + 5,
                     day + 8, (unsigned long long)tw_hash_mix(c->r),
                     (unsigned long long)tw_hash_mix(c->r + 1));
        }
        return;
    case GEN_ACT_LOGS_CREATE_LOG_GROUP:
    case GEN_ACT_LOGS_DELETE_LOG_GROUP:
        snprintf(c->res, sizeof c->res, "/aws/lambda/%s-%s-handler",
                 dataset_of(target ? target : id), (c->r >> 24) & 1 ? "api" : "worker");
        return;
    case GEN_ACT_BR_GET_MODEL_AVAILABILITY:
        snprintf(c->res, sizeof c->res, "%s", models[(c->r >> 24) % GEN_N_OF(models)]);
        return;
    case GEN_ACT_CFN_CREATE_STACK:
    case GEN_ACT_CFN_UPDATE_STACK:
        snprintf(c->res, sizeof c->res, "%s-service-prod", dataset_of(id));
        gen_org_name(org, sizeof org, id->account_ix);
        snprintf(c->sub, sizeof c->sub, "%s-cfn-templates", org);
        return;
    case GEN_ACT_LAMBDA_CREATE_FUNCTION:
        snprintf(c->res, sizeof c->res, "%s-%s-handler", dataset_of(target ? target : id),
                 (c->r >> 24) & 1 ? "api" : "events");
        gen_org_name(org, sizeof org, id->account_ix);
        snprintf(c->sub, sizeof c->sub, "%s-build-artifacts", org);
        return;
    case GEN_ACT_ECS_REGISTER_TASK_DEFINITION:
    case GEN_ACT_ECS_UPDATE_SERVICE:
    case GEN_ACT_ECS_DESCRIBE_SERVICES:
        snprintf(c->res, sizeof c->res, "%s-api", dataset_of(target ? target : id));
        return;
    case GEN_ACT_IAM_CREATE_ROLE:
        snprintf(c->res, sizeof c->res, "%s-%s-exec-%04x", dataset_of(target ? target : id),
                 (c->r >> 24) & 1 ? "lambda" : "task", (unsigned)(c->r >> 40) & 0xFFFF);
        return;
    case GEN_ACT_IAM_ATTACH_ROLE_POLICY:
    case GEN_ACT_IAM_PUT_ROLE_POLICY:
    case GEN_ACT_IAM_GET_ROLE:
        if (!target)
            break;
        snprintf(c->res, sizeof c->res, "%s", target->name);
        snprintf(c->sub, sizeof c->sub,
                 ev->variant == GEN_VAR_DENY_ALL ? "QuarantineDenyAll" : "%s-app-access",
                 dataset_of(target));
        return;
    case GEN_ACT_IAM_PUT_USER_POLICY:
        snprintf(c->res, sizeof c->res, "%s", target ? target->name : id->name);
        snprintf(c->sub, sizeof c->sub, "%s",
                 ev->variant == GEN_VAR_SELF_LOCK ? "DenyDestructiveActions" : "QuarantineDenyAll");
        return;
    case GEN_ACT_IAM_CREATE_USER:
        snprintf(c->res, sizeof c->res, "svc-%s-integration", dataset_of(id));
        return;
    case GEN_ACT_CT_STOP_LOGGING:
    case GEN_ACT_CT_UPDATE_TRAIL:
        snprintf(c->res, sizeof c->res, "arn:aws:cloudtrail:%s:%s:trail/%s", c->region, id->account,
                 c->act_id == GEN_ACT_CT_UPDATE_TRAIL ? "legacy-audit-trail" : "management-events");
        return;
    case GEN_ACT_EC2_DELETE_FLOW_LOGS:
        snprintf(c->res, sizeof c->res, "fl-0%016llx",
                 (unsigned long long)(tw_hash_mix(id->h ^ 0xF10) >> 4));
        return;
    case GEN_ACT_EC2_DESCRIBE_NETWORK_INTERFACES:
        snprintf(c->res, sizeof c->res, "i-0%016llx",
                 (unsigned long long)(tw_hash_mix(c->r ^ 0xE1) >> 4));
        return;
    case GEN_ACT_ELB_REGISTER_TARGETS:
    case GEN_ACT_ELB_DEREGISTER_TARGETS:
    case GEN_ACT_ELB_DESCRIBE_TARGET_HEALTH:
        snprintf(c->res, sizeof c->res, "targetgroup/%s-api-tg/%016llx",
                 GEN_PICK(gen_datasets, c->r >> 24),
                 (unsigned long long)tw_hash_mix((c->r >> 24) % GEN_N_OF(gen_datasets) +
                                                 id->account_ix));
        snprintf(c->sub, sizeof c->sub, "10.%u.%u.%u", (unsigned)(c->r >> 8) & 255,
                 (unsigned)(c->r >> 16) & 255, 1 + (unsigned)(c->r >> 32) % 254);
        return;
    case GEN_ACT_GLUE_GET_TABLE:
    case GEN_ACT_GLUE_BATCH_CREATE_PARTITION:
        snprintf(c->res, sizeof c->res, "%s_lake", dataset_of(id));
        snprintf(c->sub, sizeof c->sub, "%s_events", dataset_of(id));
        return;
    case GEN_ACT_S3_PUT_BUCKET_POLICY:
        gen_params_s3_names(id, c->r, c->time_iso, false, c->res, sizeof c->res, c->sub,
                            sizeof c->sub);
        return;
    default:
        break;
    }
    gen_params_prepare(c);
}

/* ---- policy documents ---------------------------------------------------------------- */

static void put_policy_doc(tw_buf *b, const gen_call *c, const gen_event *ev,
                           const gen_ident *target)
{
    char doc[1024], org[24];
    switch (ev->variant) {
    case GEN_VAR_DENY_ALL:
        snprintf(doc, sizeof doc,
                 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":"
                 "\"QuarantineDenyAll\",\"Effect\":\"Deny\",\"Action\":\"*\","
                 "\"Resource\":\"*\"}]}");
        break;
    case GEN_VAR_SELF_LOCK:
        snprintf(doc, sizeof doc,
                 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"NoDestructiveCalls\","
                 "\"Effect\":\"Deny\",\"Action\":[\"s3:DeleteBucket\",\"s3:DeleteObject\","
                 "\"ec2:TerminateInstances\",\"rds:DeleteDBInstance\",\"dynamodb:DeleteTable\"],"
                 "\"Resource\":\"*\"}]}");
        break;
    default: {
        /* what the application (the target) then uses: its buckets and their key */
        const gen_ident *t = target ? target : c->id;
        gen_org_name(org, sizeof org, t->account_ix);
        snprintf(doc, sizeof doc,
                 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                 "[\"s3:GetObject\",\"s3:ListBucket\",\"s3:PutObject\"],\"Resource\":["
                 "\"arn:aws:s3:::%s-%s-*\",\"arn:aws:s3:::%s-%s-*/*\"]},{\"Effect\":\"Allow\","
                 "\"Action\":[\"kms:Decrypt\",\"kms:GenerateDataKey\"],\"Resource\":\"arn:aws:"
                 "kms:*:%s:key/*\",\"Condition\":{\"StringLike\":{\"kms:ViaService\":"
                 "\"s3.*.amazonaws.com\"}}},{\"Effect\":\"Allow\",\"Action\":[\"dynamodb:GetItem\","
                 "\"dynamodb:Query\",\"dynamodb:PutItem\",\"dynamodb:UpdateItem\"],\"Resource\":"
                 "\"arn:aws:dynamodb:*:%s:table/%s-*\"}]}",
                 org, dataset_of(t), org, dataset_of(t), t->account, t->account, dataset_of(t));
    }
    }
    tw_buf_put_json_cstr(b, doc);
}

/* A statement's Resource list: the ARNs of the bucket and of every object in it. */
static void put_bucket_resources(tw_buf *b, const gen_call *c)
{
    GEN_PUT(b, "\"arn:aws:s3:::");
    tw_buf_puts(b, c->res);
    GEN_PUT(b, "\",\"arn:aws:s3:::");
    tw_buf_puts(b, c->res);
    GEN_PUT(b, "/*\"");
}

static void put_bucket_policy(tw_buf *b, const gen_call *c, bool org_share)
{
    GEN_PUT(b, "{\"Version\":\"2012-10-17\",\"Statement\":[");
    if (org_share) {
        GEN_PUT(b, "{\"Sid\":\"AllowOrganizationRead\",\"Effect\":\"Allow\",\"Principal\":\"*\","
                   "\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":[");
        put_bucket_resources(b, c);
        GEN_PUT(b, "],\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgID\":\"");
        tw_buf_puts(b, c->org_id);
        GEN_PUT(b, "\"}}},");
    }
    GEN_PUT(b, "{\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\","
               "\"Action\":\"s3:*\",\"Resource\":[");
    put_bucket_resources(b, c);
    GEN_PUT(b, "],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}");
}

static const char *managed_policy(const gen_call *c, const gen_event *ev)
{
    static const char *const readonly[] = {
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        "arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess",
        "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    };
    if (ev->variant == GEN_VAR_ADMIN)
        return "arn:aws:iam::aws:policy/AdministratorAccess";
    if (ev->variant == GEN_VAR_READONLY)
        return "arn:aws:iam::aws:policy/ReadOnlyAccess";
    if ((c->r >> 33) % 4 == 0)
        return NULL; /* a customer managed policy: the caller writes it */
    return readonly[(c->r >> 36) % GEN_N_OF(readonly)];
}

void gen_real_params_request(const gen_call *c, const gen_event *ev, const gen_ident *target,
                             tw_buf *b)
{
    const gen_ident *id = c->id;
    if (is_kms(c->act_id) && ev->via == GEN_VIA_S3) {
        if (c->act_id == GEN_ACT_KMS_GENERATE_DATA_KEY) {
            GEN_PUT(b, "{\"keyId\":\"");
            gen_put_arn_head(b, "kms", c);
            GEN_PUT(b, ":key/");
            tw_buf_puts(b, c->res);
            GEN_PUT(b, "\",\"encryptionContext\":{\"aws:s3:arn\":\"arn:aws:s3:::");
            tw_buf_puts(b, c->sub);
            GEN_PUT(b, "\"},\"keySpec\":\"AES_256\"}");
        } else {
            GEN_PUT(b, "{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"encryptionContext\":{"
                       "\"aws:s3:arn\":\"arn:aws:s3:::");
            tw_buf_puts(b, c->sub);
            GEN_PUT(b, "\"}}");
        }
        return;
    }
    if (is_kms(c->act_id) && ev->via == GEN_VIA_SECRETS) {
        GEN_PUT(b, "{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"encryptionContext\":{"
                   "\"SecretARN\":\"");
        gen_put_arn_head(b, "secretsmanager", c);
        GEN_PUT(b, ":secret:");
        tw_buf_puts(b, c->sub);
        tw_buf_putc(b, '-');
        gen_put_hex(b, tw_hash_mix(id->h ^ (c->r >> 30 & 1)), 6, false);
        GEN_PUT(b, "\",\"SecretVersionId\":\"");
        gen_put_uuid(b, id->h ^ (c->r >> 30 & 1) ^ (uint64_t)(c->t_ms / (7 * TW_MS_DAY)));
        GEN_PUT(b, "\"}}");
        return;
    }
    switch (c->act_id) {
    case GEN_ACT_SECRETS_GET_SECRET_VALUE:
    case GEN_ACT_SECRETS_DESCRIBE_SECRET:
        gen_put_name_only(b, "secretId", c->res);
        return;
    case GEN_ACT_LOGS_DELETE_LOG_STREAM:
        GEN_PUT(b, "{\"logGroupName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"logStreamName\":\"");
        tw_buf_puts(b, c->sub);
        GEN_PUT(b, "\"}");
        return;
    case GEN_ACT_LOGS_PUT_RETENTION_POLICY:
        GEN_PUT(b, "{\"logGroupName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"retentionInDays\":");
        static const int days[] = { 7, 14, 30, 90, 365 };
        tw_buf_put_i64(b, days[(c->r >> 18) % GEN_N_OF(days)]);
        tw_buf_putc(b, '}');
        return;
    case GEN_ACT_LOGS_DESCRIBE_LOG_STREAMS:
        if (id->rclass != GEN_RC_ETL && id->rclass != GEN_RC_LOG_RETENTION)
            break; /* the shared shape */
        GEN_PUT(b, "{\"logGroupName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"orderBy\":\"LastEventTime\",\"descending\":false,\"limit\":50}");
        return;
    case GEN_ACT_LOGS_CREATE_LOG_GROUP:
    case GEN_ACT_LOGS_DELETE_LOG_GROUP:
        gen_put_name_only(b, "logGroupName", c->res);
        return;
    case GEN_ACT_XRAY_BATCH_GET_TRACES:
        GEN_PUT(b, "{\"traceIds\":[\"1-");
        gen_put_hex(b, (uint64_t)(c->t_ms / TW_MS_SECOND - 60), 8, false);
        tw_buf_putc(b, '-');
        gen_put_hex(b, tw_hash_mix(c->r), 16, false);
        gen_put_hex(b, tw_hash_mix(c->r + 1), 8, false);
        GEN_PUT(b, "\"]}");
        return;
    case GEN_ACT_XRAY_GET_TRACE_SUMMARIES:
        GEN_PUT(b, "{\"startTime\":");
        tw_buf_put_i64(b, c->t_ms / TW_MS_SECOND - 900);
        GEN_PUT(b, ",\"endTime\":");
        tw_buf_put_i64(b, c->t_ms / TW_MS_SECOND);
        GEN_PUT(b, ",\"timeRangeType\":\"Event\",\"sampling\":false,\"filterExpression\":\"fault = "
                   "true OR error = true\"}");
        return;
    case GEN_ACT_BR_GET_MODEL_AVAILABILITY:
        gen_put_name_only(b, "modelId", c->res);
        return;
    case GEN_ACT_BR_PUT_USE_CASE:
        GEN_PUT(b, "{\"formData\":\"HIDDEN_DUE_TO_SECURITY_REASONS\"}");
        return;
    case GEN_ACT_CFN_CREATE_STACK:
    case GEN_ACT_CFN_UPDATE_STACK:
        GEN_PUT(b, "{\"stackName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"templateURL\":\"https://");
        tw_buf_puts(b, c->sub);
        GEN_PUT(b, ".s3.amazonaws.com/");
        tw_buf_puts(b, c->res);
        tw_buf_putc(b, '/');
        gen_put_hex(b, c->r, 12, false);
        GEN_PUT(b, ".yaml\",\"parameters\":[{\"parameterKey\":\"Environment\",\"parameterValue\":"
                   "\"prod\"}],\"capabilities\":[\"CAPABILITY_NAMED_IAM\"]");
        if (c->act_id == GEN_ACT_CFN_CREATE_STACK)
            GEN_PUT(b, ",\"onFailure\":\"ROLLBACK\"");
        tw_buf_putc(b, '}');
        return;
    case GEN_ACT_LAMBDA_CREATE_FUNCTION:
        GEN_PUT(b, "{\"functionName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"runtime\":\"python3.12\",\"role\":\"");
        gen_put_run_role(c, target, "service-role/lambda-exec", b);
        GEN_PUT(b, "\",\"handler\":\"app.handler\",\"code\":{");
        gen_put_code_location(c, b);
        GEN_PUT(
            b,
            "},\"timeout\":30,\"memorySize\":512,\"publish\":true,\"architectures\":[\"arm64\"]}");
        return;
    case GEN_ACT_ECS_REGISTER_TASK_DEFINITION:
        GEN_PUT(b, "{\"family\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"taskRoleArn\":\"");
        gen_put_run_role(c, target, "ecsTaskRole", b);
        GEN_PUT(b, "\",\"executionRoleArn\":\"");
        gen_put_role_arn(c, b, "ecsTaskExecutionRole");
        GEN_PUT(b, "\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":[{\"name\":\"app\","
                   "\"image\":\"");
        tw_buf_puts(b, id->account);
        GEN_PUT(b, ".dkr.ecr.");
        tw_buf_puts(b, c->region);
        GEN_PUT(b, ".amazonaws.com/");
        tw_buf_puts(b, c->res);
        tw_buf_putc(b, ':');
        gen_put_hex(b, c->r, 12, false);
        GEN_PUT(
            b,
            "\",\"essential\":true,\"portMappings\":[{\"containerPort\":8080,\"protocol\":\"tcp\"}]"
            "}],\"requiresCompatibilities\":[\"FARGATE\"],\"cpu\":\"512\",\"memory\":\"1024\"}");
        return;
    case GEN_ACT_ECS_UPDATE_SERVICE:
        GEN_PUT(b, "{\"cluster\":\"prod\",\"service\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"taskDefinition\":\"");
        tw_buf_puts(b, c->res);
        tw_buf_putc(b, ':');
        tw_buf_put_i64(b, task_revision(c));
        GEN_PUT(b, "\",\"forceNewDeployment\":false}");
        return;
    case GEN_ACT_ECS_DESCRIBE_SERVICES:
        GEN_PUT(b, "{\"cluster\":\"prod\",\"services\":[\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"]}");
        return;
    case GEN_ACT_IAM_CREATE_ROLE:
        GEN_PUT(b, "{\"roleName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"path\":\"/\",\"assumeRolePolicyDocument\":");
        tw_buf_put_json_cstr(
            b,
            (c->r >> 24) & 1
                ? "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{"
                  "\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"
                : "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{"
                  "\"Service\":\"ecs-tasks.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}");
        tw_buf_putc(b, '}');
        return;
    case GEN_ACT_IAM_ATTACH_ROLE_POLICY:
        if (!target && ev->variant == GEN_VAR_APP)
            break;
        {
            const char *pol = managed_policy(c, ev);
            GEN_PUT(b, "{\"roleName\":\"");
            tw_buf_puts(b, c->res);
            GEN_PUT(b, "\",\"policyArn\":\"");
            if (pol) {
                tw_buf_puts(b, pol);
            } else {
                GEN_PUT(b, "arn:aws:iam::");
                tw_buf_puts(b, id->account);
                GEN_PUT(b, ":policy/");
                tw_buf_puts(b, c->sub);
            }
            GEN_PUT(b, "\"}");
        }
        return;
    case GEN_ACT_IAM_PUT_ROLE_POLICY:
    case GEN_ACT_IAM_PUT_USER_POLICY:
        tw_buf_puts(b, c->act_id == GEN_ACT_IAM_PUT_ROLE_POLICY ? "{\"roleName\":\""
                                                                : "{\"userName\":\"");
        tw_buf_puts(b, c->res[0] ? c->res : "app-role");
        GEN_PUT(b, "\",\"policyName\":\"");
        tw_buf_puts(b, c->sub[0] ? c->sub : "app-access");
        GEN_PUT(b, "\",\"policyDocument\":");
        put_policy_doc(b, c, ev, target);
        tw_buf_putc(b, '}');
        return;
    case GEN_ACT_IAM_CREATE_USER:
        gen_put_name_only(b, "userName", c->res);
        return;
    case GEN_ACT_STS_GET_SESSION_TOKEN:
        GEN_PUT(b, "{\"durationSeconds\":43200,\"serialNumber\":\"arn:aws:iam::");
        tw_buf_puts(b, id->account);
        GEN_PUT(b, ":mfa/");
        tw_buf_puts(b, id->name);
        GEN_PUT(b, "\"}");
        return;
    case GEN_ACT_CT_STOP_LOGGING:
        gen_put_name_only(b, "name", c->res);
        return;
    case GEN_ACT_CT_UPDATE_TRAIL:
        GEN_PUT(b, "{\"name\":\"legacy-audit-trail\",\"s3BucketName\":\"");
        {
            char org[24];
            gen_org_name(org, sizeof org, id->account_ix);
            tw_buf_puts(b, org);
        }
        GEN_PUT(
            b,
            "-cloudtrail-logs\",\"isMultiRegionTrail\":true,\"includeGlobalServiceEvents\":true}");
        return;
    case GEN_ACT_EC2_DELETE_FLOW_LOGS:
        GEN_PUT(b, "{\"DeleteFlowLogsRequest\":{\"FlowLogId\":{\"content\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"tag\":1}}}");
        return;
    case GEN_ACT_EC2_DESCRIBE_NETWORK_INTERFACES:
        GEN_PUT(b, "{\"networkInterfaceIdSet\":{},\"filterSet\":{\"items\":[{\"name\":\"attachment."
                   "instance-id\",\"valueSet\":{\"items\":[{\"value\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}]}}]}}");
        return;
    case GEN_ACT_ELB_REGISTER_TARGETS:
    case GEN_ACT_ELB_DEREGISTER_TARGETS:
    case GEN_ACT_ELB_DESCRIBE_TARGET_HEALTH:
        GEN_PUT(b, "{\"targetGroupArn\":\"");
        gen_put_arn_head(b, "elasticloadbalancing", c);
        tw_buf_putc(b, ':');
        tw_buf_puts(b, c->res);
        tw_buf_putc(b, '"');
        if (c->act_id != GEN_ACT_ELB_DESCRIBE_TARGET_HEALTH) {
            GEN_PUT(b, ",\"targets\":[{\"id\":\"");
            tw_buf_puts(b, c->sub);
            GEN_PUT(b, "\",\"port\":8080}]");
        }
        tw_buf_putc(b, '}');
        return;
    case GEN_ACT_GLUE_GET_TABLE:
        GEN_PUT(b, "{\"databaseName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"name\":\"");
        tw_buf_puts(b, c->sub);
        GEN_PUT(b, "\"}");
        return;
    case GEN_ACT_GLUE_BATCH_CREATE_PARTITION:
        GEN_PUT(b, "{\"databaseName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"tableName\":\"");
        tw_buf_puts(b, c->sub);
        GEN_PUT(b, "\",\"partitionInputList\":[{\"values\":[\"");
        tw_buf_put(b, c->time_iso, 10);
        GEN_PUT(b, "\"]}]}");
        return;
    case GEN_ACT_S3_PUT_BUCKET_POLICY:
        GEN_PUT(b, "{\"bucketPolicy\":");
        put_bucket_policy(b, c, ev->variant == GEN_VAR_ORG_SHARE);
        GEN_PUT(b, ",\"bucketName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"Host\":\"");
        gen_put_s3_host(c, b);
        GEN_PUT(b, "\",\"policy\":\"\"}");
        return;
    default:
        break;
    }
    gen_params_request(c, b);
}

void gen_real_params_response(const gen_call *c, const gen_event *ev, const gen_ident *target,
                              tw_buf *b)
{
    const gen_ident *id = c->id;
    (void)ev;
    switch (c->act_id) {
    case GEN_ACT_STS_GET_SESSION_TOKEN:
        GEN_PUT(b, "{\"credentials\":{\"accessKeyId\":\"");
        tw_buf_puts(b, c->ss->access_key);
        GEN_PUT(b, "\",\"expiration\":\"");
        gen_put_console_time(b, c->t_ms + 12 * TW_MS_HOUR);
        GEN_PUT(b, "\"}}");
        return;
    case GEN_ACT_IAM_CREATE_ROLE:
    case GEN_ACT_IAM_CREATE_USER: {
        bool role = c->act_id == GEN_ACT_IAM_CREATE_ROLE;
        tw_buf_puts(b, role ? "{\"role\":{\"path\":\"/\",\"roleName\":\""
                            : "{\"user\":{\"path\":\"/\",\"userName\":\"");
        tw_buf_puts(b, c->res);
        tw_buf_puts(b, role ? "\",\"roleId\":\"AROA" : "\",\"userId\":\"AIDA");
        gen_put_hex(b, tw_hash_mix(c->r ^ 0x1D), 16, true);
        GEN_PUT(b, "\",\"arn\":\"arn:aws:iam::");
        tw_buf_puts(b, id->account);
        tw_buf_puts(b, role ? ":role/" : ":user/");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"createDate\":\"");
        gen_put_console_time(b, c->t_ms);
        GEN_PUT(b, "\"}}");
        return;
    }
    case GEN_ACT_LAMBDA_CREATE_FUNCTION:
        gen_put_lambda_config(c, target, true, b);
        return;
    case GEN_ACT_ECS_REGISTER_TASK_DEFINITION:
        GEN_PUT(b, "{\"taskDefinition\":{\"taskDefinitionArn\":\"");
        gen_put_arn_head(b, "ecs", c);
        GEN_PUT(b, ":task-definition/");
        tw_buf_puts(b, c->res);
        tw_buf_putc(b, ':');
        tw_buf_put_i64(b, task_revision(c));
        GEN_PUT(b, "\",\"family\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"revision\":");
        tw_buf_put_i64(b, task_revision(c));
        GEN_PUT(b, ",\"status\":\"ACTIVE\"}}");
        return;
    case GEN_ACT_ECS_UPDATE_SERVICE:
        GEN_PUT(b, "{\"service\":{\"serviceArn\":\"");
        gen_put_arn_head(b, "ecs", c);
        GEN_PUT(b, ":service/prod/");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"serviceName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"desiredCount\":2,\"runningCount\":2,\"status\":\"ACTIVE\"}}");
        return;
    case GEN_ACT_CFN_CREATE_STACK:
    case GEN_ACT_CFN_UPDATE_STACK:
        GEN_PUT(b, "{\"stackId\":\"");
        gen_put_stack_arn(c, b);
        GEN_PUT(b, "\"}");
        return;
    case GEN_ACT_EC2_DELETE_FLOW_LOGS:
        GEN_PUT(b, "{\"DeleteFlowLogsResponse\":{\"requestId\":\"");
        gen_put_uuid(b, c->r_own ^ 0x77);
        GEN_PUT(
            b, "\",\"unsuccessful\":\"\",\"xmlns\":\"http://ec2.amazonaws.com/doc/2016-11-15/\"}}");
        return;
    case GEN_ACT_CT_UPDATE_TRAIL:
        GEN_PUT(b, "{\"name\":\"legacy-audit-trail\",\"trailARN\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}");
        return;
    case GEN_ACT_GLUE_BATCH_CREATE_PARTITION:
        GEN_PUT(b, "{\"errors\":[]}");
        return;
    case GEN_ACT_LOGS_DELETE_LOG_STREAM:
    case GEN_ACT_LOGS_PUT_RETENTION_POLICY:
    case GEN_ACT_LOGS_CREATE_LOG_GROUP:
    case GEN_ACT_LOGS_DELETE_LOG_GROUP:
    case GEN_ACT_IAM_PUT_ROLE_POLICY:
    case GEN_ACT_IAM_PUT_USER_POLICY:
    case GEN_ACT_CT_STOP_LOGGING:
    case GEN_ACT_BR_PUT_USE_CASE:
    case GEN_ACT_S3_PUT_BUCKET_POLICY:
    case GEN_ACT_ELB_REGISTER_TARGETS:
    case GEN_ACT_ELB_DEREGISTER_TARGETS:
        GEN_PUT(b, "null");
        return;
    default:
        break;
    }
    gen_params_response(c, b);
}

void gen_real_params_additional(const gen_call *c, const gen_event *ev, tw_buf *b)
{
    if (c->act->flags & GEN_AF_LOGIN) {
        /* IAM users answer the MFA challenge at sign-in; SSO users at their identity provider */
        gen_put_login_details(c, c->id->iam_user && c->id->mfa, b);
        return;
    }
    if (ev->via || c->act->par >= GEN_PAR_S3_POLICY) {
        if (gen_act_is_s3(c->act_id))
            gen_params_additional(c, b);
        return;
    }
    gen_params_additional(c, b);
}
