/* gen_replies: what CloudTrail records of a call's answer and context: responseElements
 * (null for reads, an object for most writes), additionalEventData (S3 transfer details,
 * Bedrock's callWithBearerToken, sign-in details) and resources. */
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"
#include "tw_time.h"

void gen_put_arn_head(tw_buf *b, const char *service, const gen_call *c)
{
    GEN_PUT(b, "arn:aws:");
    tw_buf_puts(b, service);
    tw_buf_putc(b, ':');
    tw_buf_puts(b, c->region);
    tw_buf_putc(b, ':');
    tw_buf_puts(b, c->id->account);
}

void gen_put_console_time(tw_buf *b, int64_t ms)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char iso[32];
    tw_time_format_iso(ms - ms % TW_MS_SECOND, iso, sizeof iso);
    int month = (iso[5] - '0') * 10 + (iso[6] - '0'), day = (iso[8] - '0') * 10 + (iso[9] - '0');
    int hour = (iso[11] - '0') * 10 + (iso[12] - '0');
    tw_buf_put(b, months + 3 * (month - 1), 3);
    tw_buf_putc(b, ' ');
    tw_buf_put_i64(b, day);
    GEN_PUT(b, ", ");
    tw_buf_put(b, iso, 4);
    GEN_PUT(b, ", ");
    tw_buf_put_i64(b, hour % 12 ? hour % 12 : 12);
    tw_buf_put(b, iso + 13, 6); /* ":MM:SS" */
    tw_buf_puts(b, hour < 12 ? " AM" : " PM");
}

void gen_put_stack_arn(const gen_call *c, tw_buf *b)
{
    gen_put_arn_head(b, "cloudformation", c);
    GEN_PUT(b, ":stack/");
    tw_buf_puts(b, c->res);
    tw_buf_putc(b, '/');
    gen_put_uuid(b, tw_hash_mix(c->id->h ^ 0x57));
}

void gen_put_lambda_config(const gen_call *c, const gen_ident *run_as, bool created, tw_buf *b)
{
    GEN_PUT(b, "{\"functionName\":\"");
    tw_buf_puts(b, c->res);
    GEN_PUT(b, "\",\"functionArn\":\"");
    gen_put_arn_head(b, "lambda", c);
    GEN_PUT(b, ":function:");
    tw_buf_puts(b, c->res);
    GEN_PUT(b, "\",\"runtime\":\"python3.12\",\"role\":\"");
    gen_put_run_role(c, run_as, "service-role/lambda-exec", b);
    GEN_PUT(b, "\",\"handler\":\"app.handler\",\"codeSize\":");
    tw_buf_put_i64(b, 1048576 + (int64_t)((c->r >> 10) % 4000000));
    GEN_PUT(b, ",\"timeout\":30,\"memorySize\":");
    tw_buf_puts(b, created ? "512" : "1024"); /* what CreateFunction or the update asked for */
    GEN_PUT(b, ",\"lastModified\":\"");
    tw_buf_puts(b, c->time_iso);
    if (created)
        GEN_PUT(b, "\",\"version\":\"1\",\"state\":\"Pending\"");
    else
        GEN_PUT(
            b,
            "\",\"version\":\"$LATEST\",\"state\":\"Active\",\"lastUpdateStatus\":\"InProgress\"");
    GEN_PUT(b, ",\"architectures\":[\"arm64\"]}");
}

void gen_params_response(const gen_call *c, tw_buf *b)
{
    const gen_action *act = c->act;
    if (c->act_id == GEN_ACT_STS_ASSUME_ROLE_BY_SERVICE) {
        GEN_PUT(b, "{\"credentials\":{\"accessKeyId\":\"");
        tw_buf_puts(b, c->ss->access_key);
        GEN_PUT(b, "\",\"expiration\":\"");
        gen_put_console_time(b, c->t_ms + TW_MS_HOUR);
        GEN_PUT(b, "\"},\"assumedRoleUser\":{\"assumedRoleId\":\"");
        tw_buf_puts(b, c->id->unique_id);
        tw_buf_putc(b, ':');
        tw_buf_puts(b, c->ss->name);
        GEN_PUT(b, "\",\"arn\":\"");
        tw_buf_puts(b, c->caller_arn);
        GEN_PUT(b, "\"}}");
        return;
    }
    if (act->kind == GEN_K_READ) {
        GEN_PUT(b, "null");
        return;
    }
    switch (c->act_id) {
    case GEN_ACT_SIGNIN_CONSOLE_LOGIN:
        GEN_PUT(b, "{\"ConsoleLogin\":\"Success\"}");
        return;
    case GEN_ACT_S3_PUT_OBJECT:
        GEN_PUT(b, "{\"x-amz-server-side-encryption-aws-kms-key-id\":\"");
        gen_put_arn_head(b, "kms", c);
        GEN_PUT(b, ":key/");
        gen_put_uuid(b, tw_hash_mix(c->id->account_ix + 7u));
        GEN_PUT(b, "\",\"x-amz-server-side-encryption\":\"aws:kms\",\"x-amz-version-id\":\"");
        gen_put_hex(b, c->r, 16, false);
        GEN_PUT(b, "\"}");
        return;
    case GEN_ACT_EC2_TERMINATE_INSTANCES:
    case GEN_ACT_EC2_STOP_INSTANCES:
    case GEN_ACT_EC2_START_INSTANCES: {
        static const char *const states[][2] = {
            { "32,\"name\":\"shutting-down\"", "16,\"name\":\"running\"" },
            { "64,\"name\":\"stopping\"", "16,\"name\":\"running\"" },
            { "0,\"name\":\"pending\"", "80,\"name\":\"stopped\"" },
        };
        int s = c->act_id == GEN_ACT_EC2_TERMINATE_INSTANCES ? 0
                : c->act_id == GEN_ACT_EC2_STOP_INSTANCES    ? 1
                                                             : 2;
        GEN_PUT(b, "{\"requestId\":\"");
        gen_put_uuid(b, c->r ^ 0x77);
        GEN_PUT(b, "\",\"instancesSet\":{\"items\":[{\"instanceId\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"currentState\":{\"code\":");
        tw_buf_puts(b, states[s][0]);
        GEN_PUT(b, "},\"previousState\":{\"code\":");
        tw_buf_puts(b, states[s][1]);
        GEN_PUT(b, "}}]}}");
        return;
    }
    case GEN_ACT_EC2_RUN_INSTANCES:
        GEN_PUT(b, "{\"requestId\":\"");
        gen_put_uuid(b, c->r ^ 0x77);
        GEN_PUT(b, "\",\"reservationId\":\"r-0");
        gen_put_hex(b, c->r >> 3, 16, false);
        GEN_PUT(b, "\",\"ownerId\":\"");
        tw_buf_puts(b, c->id->account);
        GEN_PUT(b, "\",\"groupSet\":{},\"instancesSet\":{\"items\":[{\"instanceId\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"instanceType\":\"m7g.large\",\"instanceState\":{\"code\":0,\"name\":"
                   "\"pending\"}}]}}");
        return;
    case GEN_ACT_EC2_CREATE_TAGS:
        GEN_PUT(b, "{\"requestId\":\"");
        gen_put_uuid(b, c->r ^ 0x77);
        GEN_PUT(b, "\",\"_return\":true}");
        return;
    case GEN_ACT_BR_CREATE_CUSTOMIZATION_JOB:
        GEN_PUT(b, "{\"jobArn\":\"");
        gen_put_arn_head(b, "bedrock", c);
        GEN_PUT(b, ":model-customization-job/amazon.nova-micro-v1:0:128k/");
        gen_put_hex(b, c->r, 12, false);
        GEN_PUT(b, "\"}");
        return;
    case GEN_ACT_MANTLE_CREATE_FINE_TUNING_JOB:
        GEN_PUT(b, "{\"id\":\"ftjob-");
        gen_put_hex(b, c->r, 16, false);
        GEN_PUT(b, "\",\"object\":\"fine_tuning.job\",\"status\":\"validating_files\"}");
        return;
    case GEN_ACT_SM_CREATE_TRAINING_JOB:
        GEN_PUT(b, "{\"trainingJobArn\":\"");
        gen_put_arn_head(b, "sagemaker", c);
        GEN_PUT(b, ":training-job/");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}");
        return;
    case GEN_ACT_DDB_DELETE_TABLE:
        GEN_PUT(b, "{\"tableDescription\":{\"tableName\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"tableStatus\":\"DELETING\",\"tableArn\":\"");
        gen_put_arn_head(b, "dynamodb", c);
        GEN_PUT(b, ":table/");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\",\"billingModeSummary\":{\"billingMode\":\"PAY_PER_REQUEST\"}}}");
        return;
    case GEN_ACT_RDS_DELETE_DB_INSTANCE:
        GEN_PUT(b, "{\"dBInstanceIdentifier\":\"");
        tw_buf_puts(b, c->res);
        GEN_PUT(
            b,
            "\",\"dBInstanceClass\":\"db.r6g.large\",\"engine\":\"postgres\",\"dBInstanceStatus\":"
            "\"deleting\",\"engineVersion\":\"16.4\",\"multiAZ\":true,\"dBInstanceArn\":\"");
        gen_put_arn_head(b, "rds", c);
        GEN_PUT(b, ":db:");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}");
        return;
    case GEN_ACT_LAMBDA_UPDATE_CODE:
    case GEN_ACT_LAMBDA_UPDATE_CONFIG:
        gen_put_lambda_config(c, NULL, false, b);
        return;
    case GEN_ACT_CFN_CREATE_CHANGE_SET:
        GEN_PUT(b, "{\"id\":\"");
        gen_put_arn_head(b, "cloudformation", c);
        GEN_PUT(b, ":changeSet/");
        tw_buf_puts(b, c->sub);
        tw_buf_putc(b, '/');
        gen_put_uuid(b, c->r ^ 0xC5);
        GEN_PUT(b, "\",\"stackId\":\"");
        gen_put_stack_arn(c, b);
        GEN_PUT(b, "\"}");
        return;
    case GEN_ACT_S3_CREATE_BUCKET:
        GEN_PUT(b, "{\"location\":\"http://");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, ".s3.amazonaws.com/\"}");
        return;
    case GEN_ACT_LOGS_CREATE_LOG_STREAM:
    case GEN_ACT_IAM_ATTACH_ROLE_POLICY:
    case GEN_ACT_S3_DELETE_OBJECT:
    case GEN_ACT_S3_DELETE_BUCKET:
    case GEN_ACT_DDB_PUT_ITEM:
    case GEN_ACT_DDB_UPDATE_ITEM:
    case GEN_ACT_DDB_DELETE_ITEM:
    case GEN_ACT_KMS_DECRYPT:
    case GEN_ACT_KMS_GENERATE_DATA_KEY:
        /* These APIs answer with nothing CloudTrail records. */
        GEN_PUT(b, "null");
        return;
    default:
        break;
    }
    GEN_PUT(b, "{\"requestId\":\"");
    gen_put_uuid(b, c->r ^ 0x77);
    GEN_PUT(b, "\"}");
}

void gen_put_login_details(const gen_call *c, bool mfa, tw_buf *b)
{
    GEN_PUT(b, ",\"additionalEventData\":{\"LoginTo\":\"https://console.aws.amazon.com/console/"
               "home?region=");
    tw_buf_puts(b, gen_regions[c->id->region]);
    GEN_PUT(b, "&state=hashArgs%23&isauthcode=true\",\"MobileVersion\":\"No\",\"MFAUsed\":\"");
    tw_buf_puts(b, mfa ? "Yes" : "No");
    GEN_PUT(b, "\"}");
}

void gen_params_additional(const gen_call *c, tw_buf *b)
{
    const gen_action *act = c->act;
    if (act->flags & GEN_AF_LOGIN) {
        gen_put_login_details(c, true, b);
        return;
    }
    if (gen_act_is_s3(c->act_id)) { /* every S3 call, data or management */
        uint64_t out = 0, in = 0;
        if (c->act_id == GEN_ACT_S3_GET_OBJECT && !c->error)
            out = 4096 + (c->r >> 12) % 67108864;
        else if (c->act_id == GEN_ACT_S3_PUT_OBJECT && !c->error)
            in = 4096 + (c->r >> 12) % 33554432;
        else if (act->kind == GEN_K_READ)
            out = 300 + (c->r >> 12) % 4000;
        GEN_PUT(b, ",\"additionalEventData\":{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_"
                   "AES_128_GCM_SHA256\",\"bytesTransferredIn\":");
        tw_buf_put_i64(b, (int64_t)in);
        GEN_PUT(b, ",\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"");
        /* 76 base64 characters and a pad, like S3's host ids. */
        static const char b64[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char id2[76];
        uint64_t h = 0;
        for (size_t i = 0; i < sizeof id2; i++) {
            if (i % 10 == 0)
                h = tw_hash_mix(c->r + i);
            id2[i] = b64[h & 63];
            h >>= 6;
        }
        tw_buf_put(b, id2, sizeof id2);
        GEN_PUT(b, "=\",\"bytesTransferredOut\":");
        tw_buf_put_i64(b, (int64_t)out);
        tw_buf_putc(b, '}');
        return;
    }
    bool bedrock_call = act->par == GEN_PAR_BEDROCK_INVOKE || act->par == GEN_PAR_BEDROCK_CONVERSE;
    if (bedrock_call) {
        GEN_PUT(b, ",\"additionalEventData\":{");
        if (c->id->bearer)
            GEN_PUT(b, "\"callWithBearerToken\":true,");
        GEN_PUT(b, "\"inferenceRegion\":\"");
        tw_buf_puts(b, c->region);
        GEN_PUT(b, "\"}");
        return;
    }
    if (c->id->bearer && act->source[0] == 'b') {
        GEN_PUT(b, ",\"additionalEventData\":{\"callWithBearerToken\":true}");
        return;
    }
    if (act->par == GEN_PAR_KMS) { /* KMS names the key material it used */
        GEN_PUT(b, ",\"additionalEventData\":{\"keyMaterialId\":\"");
        gen_put_hex(b, tw_hash_mix(c->id->account_ix + 11u), 16, false);
        gen_put_hex(b, tw_hash_mix(c->id->account_ix + 13u), 16, false);
        GEN_PUT(b, "\"}");
    }
}

void gen_params_resources(const gen_call *c, tw_buf *b)
{
    switch ((gen_par)c->act->par) {
    case GEN_PAR_S3_OBJECT:
    case GEN_PAR_S3_LIST:
        GEN_PUT(b, ",\"resources\":[{\"type\":\"AWS::S3::Object\",");
        if (c->act->par == GEN_PAR_S3_OBJECT)
            GEN_PUT(b, "\"ARN\":\"arn:aws:s3:::");
        else
            GEN_PUT(b, "\"ARNPrefix\":\"arn:aws:s3:::");
        tw_buf_puts(b, c->res);
        tw_buf_putc(b, '/');
        tw_buf_puts(b, c->sub);
        GEN_PUT(b, "\"},{\"accountId\":\"");
        tw_buf_puts(b, c->id->account);
        GEN_PUT(b, "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}]");
        return;
    case GEN_PAR_S3_BUCKET:
    case GEN_PAR_S3_POLICY:
        GEN_PUT(b, ",\"resources\":[{\"accountId\":\"");
        tw_buf_puts(b, c->id->account);
        GEN_PUT(b, "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}]");
        return;
    case GEN_PAR_DDB_TABLE:
    case GEN_PAR_DDB_ITEM:
    case GEN_PAR_DDB_QUERY:
    case GEN_PAR_DDB_BATCH:
        GEN_PUT(b, ",\"resources\":[{\"accountId\":\"");
        tw_buf_puts(b, c->id->account);
        GEN_PUT(b, "\",\"type\":\"AWS::DynamoDB::Table\",\"ARN\":\"");
        gen_put_arn_head(b, "dynamodb", c);
        GEN_PUT(b, ":table/");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}]");
        return;
    case GEN_PAR_KMS:
        GEN_PUT(b, ",\"resources\":[{\"accountId\":\"");
        tw_buf_puts(b, c->id->account);
        GEN_PUT(b, "\",\"type\":\"AWS::KMS::Key\",\"ARN\":\"");
        gen_put_arn_head(b, "kms", c);
        GEN_PUT(b, ":key/");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}]");
        return;
    case GEN_PAR_BEDROCK_INVOKE:
    case GEN_PAR_BEDROCK_CONVERSE:
        GEN_PUT(b, ",\"resources\":[{\"accountId\":\"");
        tw_buf_puts(b, c->id->account);
        if (c->res[2] == '.') { /* "us.": a cross-region inference profile */
            GEN_PUT(b, "\",\"type\":\"AWS::Bedrock::InferenceProfile\",\"ARN\":\"");
            gen_put_arn_head(b, "bedrock", c);
            GEN_PUT(b, ":inference-profile/");
        } else {
            GEN_PUT(b, "\",\"type\":\"AWS::Bedrock::Model\",\"ARN\":\"arn:aws:bedrock:");
            tw_buf_puts(b, c->region);
            GEN_PUT(b, "::foundation-model/");
        }
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "\"}]");
        return;
    case GEN_PAR_STS_ASSUME:
        GEN_PUT(b, ",\"resources\":[{\"accountId\":\"");
        tw_buf_puts(b, c->id->account);
        GEN_PUT(b, "\",\"type\":\"AWS::IAM::Role\",\"ARN\":\"");
        gen_put_issuer_arn(c, b);
        GEN_PUT(b, "\"}]");
        return;
    default:
        return;
    }
}
