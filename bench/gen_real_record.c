/* gen_real_record: one CloudTrail record of the realistic profile.
 *
 * The frame is the default profile's (gen_record.c), with what the realistic estate needs on
 * top, written as CloudTrail writes it:
 * - readOnly as AWS sets it: true for reads and also for kms:Decrypt and GenerateDataKey
 *   (whose IAM access level is Write), false for writes;
 * - on-behalf records: the caller's userIdentity with "invokedBy" (S3, Secrets Manager,
 *   CloudFormation; a service-linked role's service), the service's host as source and user
 *   agent (S3 sometimes gives "AWS Internal" as source), no tlsDetails;
 * - IAM users on session credentials (the console, GetSessionToken after MFA): an ASIA key
 *   and sessionContext.attributes.mfaAuthenticated;
 * - errors of several kinds: denials in each service's spelling, and failures that are not
 *   denials (NoSuchKey, ValidationError, ...NotFoundException, ConditionalCheckFailed...).
 * It is a file of its own so that the default profile's bytes never move. */
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"
#include "tw_time.h"

/* About 2% of an identity's own calls fail, as in a real estate. */
#define ERROR_PER_MILLE 20

static const char *via_host(uint8_t via)
{
    switch (via) {
    case GEN_VIA_S3:
        return "s3.amazonaws.com";
    case GEN_VIA_SECRETS:
        return "secretsmanager.amazonaws.com";
    case GEN_VIA_CFN:
        return "cloudformation.amazonaws.com";
    default:
        return NULL;
    }
}

static void put_user_identity(const gen_call *c, bool login, const char *invoked_by,
                              const char *created, tw_buf *b)
{
    const gen_ident *id = c->id;
    if (c->act->flags & GEN_AF_SERVICE) {
        GEN_PUT(b, "{\"type\":\"AWSService\",\"invokedBy\":\"");
        tw_buf_puts(b, id->assumed_by);
        GEN_PUT(b, "\"}");
        return;
    }
    if (id->iam_user) {
        GEN_PUT(b, "{\"type\":\"IAMUser\",\"principalId\":\"");
        tw_buf_puts(b, id->unique_id);
        GEN_PUT(b, "\",\"arn\":\"");
        tw_buf_puts(b, c->caller_arn);
        GEN_PUT(b, "\",\"accountId\":\"");
        tw_buf_puts(b, id->account);
        tw_buf_putc(b, '"');
        if (!login) { /* a console sign-in is made with a password, not a key */
            bool session = id->user_session && c->act_id != GEN_ACT_STS_GET_SESSION_TOKEN;
            GEN_PUT(b, ",\"accessKeyId\":\"");
            tw_buf_puts(b, session ? c->ss->access_key : id->access_key);
            tw_buf_putc(b, '"');
        }
        GEN_PUT(b, ",\"userName\":\"");
        tw_buf_puts(b, id->name);
        tw_buf_putc(b, '"');
        if (!login && id->user_session && c->act_id != GEN_ACT_STS_GET_SESSION_TOKEN) {
            GEN_PUT(b, ",\"sessionContext\":{\"sessionIssuer\":{},\"webIdFederationData\":{},"
                       "\"attributes\":{\"creationDate\":\"");
            tw_buf_puts(b, created);
            GEN_PUT(b, "\",\"mfaAuthenticated\":\"");
            tw_buf_puts(b, id->mfa ? "true" : "false");
            GEN_PUT(b, "\"}}");
        }
        if (invoked_by) {
            GEN_PUT(b, ",\"invokedBy\":\"");
            tw_buf_puts(b, invoked_by);
            tw_buf_putc(b, '"');
        }
        tw_buf_putc(b, '}');
        return;
    }
    GEN_PUT(b, "{\"type\":\"AssumedRole\",\"principalId\":\"");
    tw_buf_puts(b, id->unique_id);
    tw_buf_putc(b, ':');
    tw_buf_puts(b, c->ss->name);
    GEN_PUT(b, "\",\"arn\":\"");
    tw_buf_puts(b, c->caller_arn);
    GEN_PUT(b, "\",\"accountId\":\"");
    tw_buf_puts(b, id->account);
    if (!login) {
        GEN_PUT(b, "\",\"accessKeyId\":\"");
        tw_buf_puts(b, c->ss->access_key);
    }
    GEN_PUT(b, "\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"");
    tw_buf_puts(b, id->unique_id);
    GEN_PUT(b, "\",\"arn\":\"");
    gen_put_issuer_arn(c, b);
    GEN_PUT(b, "\",\"accountId\":\"");
    tw_buf_puts(b, id->account);
    GEN_PUT(b, "\",\"userName\":\"");
    tw_buf_puts(b, id->name);
    GEN_PUT(b, "\"},\"webIdFederationData\":{},\"attributes\":{\"creationDate\":\"");
    tw_buf_puts(b, created);
    GEN_PUT(b, "\",\"mfaAuthenticated\":\"false\"}}");
    if (invoked_by) {
        GEN_PUT(b, ",\"invokedBy\":\"");
        tw_buf_puts(b, invoked_by);
        tw_buf_putc(b, '"');
    }
    tw_buf_putc(b, '}');
}

static bool prefix_is(const char *iam, const char *svc)
{
    size_t n = strlen(svc);
    return strncmp(iam, svc, n) == 0 && iam[n] == ':';
}

static void put_code(tw_buf *b, const char *code, const char *message)
{
    GEN_PUT(b, ",\"errorCode\":\"");
    tw_buf_puts(b, code);
    GEN_PUT(b, "\",\"errorMessage\":\"");
    tw_buf_puts(b, message);
    tw_buf_putc(b, '"');
}

static void put_denial(const gen_call *c, tw_buf *b)
{
    const char *iam = c->act->iam;
    if (gen_act_is_s3(c->act_id)) {
        put_code(b, "AccessDenied", "Access Denied");
        return;
    }
    if (prefix_is(iam, "ec2"))
        GEN_PUT(b, ",\"errorCode\":\"Client.UnauthorizedOperation\",\"errorMessage\":\"You are "
                   "not authorized to perform this operation. User: ");
    else if (prefix_is(iam, "iam") || prefix_is(iam, "sts") || prefix_is(iam, "cloudformation"))
        GEN_PUT(b, ",\"errorCode\":\"AccessDenied\",\"errorMessage\":\"User: ");
    else
        GEN_PUT(b, ",\"errorCode\":\"AccessDeniedException\",\"errorMessage\":\"User: ");
    tw_buf_puts(b, c->caller_arn);
    GEN_PUT(b, " is not authorized to perform: ");
    tw_buf_puts(b, iam);
    GEN_PUT(b, " because no identity-based policy allows the ");
    tw_buf_puts(b, iam);
    GEN_PUT(b, " action\"");
}

/* A failure that is not a denial, in the spelling of the service that answers. */
static void put_failure(const gen_call *c, tw_buf *b)
{
    const char *iam = c->act->iam;
    const gen_action *act = c->act;
    unsigned which = (unsigned)((c->r_own >> 28) % 2);
    switch (c->act_id) {
    case GEN_ACT_S3_GET_OBJECT:
    case GEN_ACT_S3_HEAD_OBJECT:
        put_code(b, "NoSuchKey", "The specified key does not exist.");
        return;
    case GEN_ACT_S3_GET_BUCKET_POLICY:
        put_code(b, "NoSuchBucketPolicy", "The bucket policy does not exist");
        return;
    case GEN_ACT_DDB_PUT_ITEM:
    case GEN_ACT_DDB_UPDATE_ITEM:
    case GEN_ACT_DDB_DELETE_ITEM:
        put_code(b, "ConditionalCheckFailedException", "The conditional request failed");
        return;
    case GEN_ACT_CFN_UPDATE_STACK:
    case GEN_ACT_CFN_CREATE_CHANGE_SET:
    case GEN_ACT_CFN_EXECUTE_CHANGE_SET:
        put_code(b, "ValidationError", "No updates are to be performed.");
        return;
    case GEN_ACT_CT_UPDATE_TRAIL:
    case GEN_ACT_CT_STOP_LOGGING:
    case GEN_ACT_CT_GET_TRAIL_STATUS:
        GEN_PUT(b, ",\"errorCode\":\"TrailNotFoundException\",\"errorMessage\":\"Unknown trail: ");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, " for the user: ");
        tw_buf_puts(b, c->id->account);
        tw_buf_putc(b, '"');
        return;
    case GEN_ACT_EC2_STOP_INSTANCES:
    case GEN_ACT_EC2_START_INSTANCES:
        GEN_PUT(b, ",\"errorCode\":\"Client.IncorrectInstanceState\",\"errorMessage\":\"The "
                   "instance '");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "' is not in a state from which it can be stopped.\"");
        return;
    case GEN_ACT_EC2_TERMINATE_INSTANCES:
    case GEN_ACT_EC2_CREATE_TAGS:
        GEN_PUT(b, ",\"errorCode\":\"Client.InvalidInstanceID.NotFound\",\"errorMessage\":\"The "
                   "instance ID '");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "' does not exist\"");
        return;
    case GEN_ACT_IAM_CREATE_ROLE:
    case GEN_ACT_IAM_CREATE_USER:
        GEN_PUT(b, ",\"errorCode\":\"EntityAlreadyExistsException\",\"errorMessage\":\"");
        tw_buf_puts(b, c->act_id == GEN_ACT_IAM_CREATE_ROLE ? "Role" : "User");
        GEN_PUT(b, " with name ");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, " already exists.\"");
        return;
    default:
        break;
    }
    if (prefix_is(iam, "logs")) {
        put_code(b, "ResourceNotFoundException", "The specified log group does not exist.");
    } else if (prefix_is(iam, "secretsmanager")) {
        put_code(b, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    } else if (prefix_is(iam, "lambda")) {
        if (act->kind == GEN_K_READ)
            put_code(b, "ResourceNotFoundException", "Function not found");
        else
            put_code(b, "ResourceConflictException",
                     "The operation cannot be performed at this time. An update is in progress "
                     "for resource");
    } else if (prefix_is(iam, "iam")) {
        GEN_PUT(b, ",\"errorCode\":\"NoSuchEntityException\",\"errorMessage\":\"The role with "
                   "name ");
        tw_buf_puts(b, c->res[0] ? c->res : "unknown");
        GEN_PUT(b, " cannot be found.\"");
    } else if (prefix_is(iam, "bedrock") || prefix_is(iam, "bedrock-mantle")) {
        if (which && act->kind == GEN_K_READ)
            put_code(b, "ThrottlingException", "Too many requests, please wait before trying again.");
        else
            put_code(b, "ValidationException", "The provided request is not valid");
    } else if (prefix_is(iam, "cloudformation")) {
        put_code(b, "ValidationError", "Stack with id does not exist");
    } else if (prefix_is(iam, "dynamodb")) {
        put_code(b, "ProvisionedThroughputExceededException",
                 "The level of configured provisioned throughput for the table was exceeded.");
    } else if (prefix_is(iam, "glue")) {
        put_code(b, "EntityNotFoundException", "Table not found");
    } else if (prefix_is(iam, "ecs")) {
        put_code(b, "ServiceNotFoundException", "Service not found.");
    } else if (prefix_is(iam, "ec2")) {
        put_code(b, "Client.RequestLimitExceeded", "Request limit exceeded.");
    } else if (gen_act_is_s3(c->act_id)) {
        put_code(b, "SlowDown", "Please reduce your request rate.");
    } else {
        put_code(b, "ThrottlingException", "Rate exceeded");
    }
}

static void put_forced(const gen_call *c, uint8_t err, tw_buf *b)
{
    if (err == GEN_ERR_TRAIL_NOT_FOUND) {
        GEN_PUT(b, ",\"errorCode\":\"TrailNotFoundException\",\"errorMessage\":\"Unknown trail: ");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, " for the user: ");
        tw_buf_puts(b, c->id->account);
        tw_buf_putc(b, '"');
    } else {
        GEN_PUT(b, ",\"errorCode\":\"Client.InvalidParameterValue\",\"errorMessage\":\"Flow log "
                   "ID '");
        tw_buf_puts(b, c->res);
        GEN_PUT(b, "' is not a valid flow log ID\"");
    }
}

/* The host name the client asked for, for tlsDetails. */
static void put_host(const gen_call *c, tw_buf *b)
{
    const gen_action *act = c->act;
    if (act->flags & GEN_AF_LOGIN) {
        GEN_PUT(b, "signin.aws.amazon.com");
        return;
    }
    if (gen_act_is_s3(c->act_id) && c->res[0]) {
        gen_put_s3_host(c, b);
        return;
    }
    const char *dot = strchr(act->source, '.');
    size_t slen = dot ? (size_t)(dot - act->source) : strlen(act->source);
    if (slen == 3 && memcmp(act->source, "iam", 3) == 0) {
        GEN_PUT(b, "iam.amazonaws.com");
        return;
    }
    if (c->act_id == GEN_ACT_STS_GET_SESSION_TOKEN) {
        GEN_PUT(b, "sts.amazonaws.com");
        return;
    }
    if (act->par == GEN_PAR_BEDROCK_INVOKE || act->par == GEN_PAR_BEDROCK_CONVERSE)
        GEN_PUT(b, "bedrock-runtime");
    else if (slen == 10 && memcmp(act->source, "monitoring", 10) == 0)
        GEN_PUT(b, "monitoring");
    else
        tw_buf_put(b, act->source, slen);
    tw_buf_putc(b, '.');
    tw_buf_puts(b, c->region);
    if (c->act_id == GEN_ACT_MANTLE_CREATE_FINE_TUNING_JOB)
        GEN_PUT(b, ".api.aws");
    else
        GEN_PUT(b, ".amazonaws.com");
}

bool gen_real_record_write(const gen_real_estate *re, const gen_actor *ac, const gen_ident *target,
                           const gen_event *ev, uint64_t serial, gen_clock *clk, tw_buf *b)
{
    const gen_estate *es = &re->es;
    gen_call call;
    gen_call *c = &call;
    const gen_ident *id = &ac->id;
    memset(c, 0, sizeof *c);
    c->es = es;
    c->id = id;
    c->ss = &ac->ss;
    c->caller_arn = ac->caller_arn;
    c->act_id = ev->action;
    c->act = &gen_actions[ev->action];
    c->t_ms = ev->time_ms - ev->time_ms % TW_MS_SECOND;
    c->r_own = gen_record_rand(es->seed, serial);
    c->r = ev->link ? ev->link : c->r_own; /* an on-behalf record names its cause's resource */
    c->region = (c->act->flags & GEN_AF_GLOBAL) ? gen_regions[GEN_REGION_US_EAST_1]
                                                : gen_regions[id->region];
    c->org_id = re->org_id;
    const gen_action *act = c->act;
    bool login = act->flags & GEN_AF_LOGIN;
    bool service = act->flags & GEN_AF_SERVICE;
    const char *invoked_by = service ? NULL : ev->via ? via_host(ev->via) : id->invoked_by;
    bool drawn_error = !(ev->flags & GEN_EV_NO_ERROR) && !login && !service && !invoked_by &&
                       c->r_own % 1000 < ERROR_PER_MILLE;
    c->error = ev->err != GEN_ERR_DRAW || drawn_error;
    gen_clock_format(clk, c->t_ms, c->time_iso);
    gen_real_params_prepare(c, ev, target);

    char created[32] = "";
    if (!service)
        gen_clock_format(clk, c->ss->start_ms, created);
    /* People at the console: the console's back end makes some calls ("AWS Internal" as the
     * user agent, now and then as the source too); most console calls say which credentials
     * they used (sessionCredentialFromConsole). */
    bool console = c->ss->console && !login && !invoked_by;
    unsigned internal = console && !(ev->flags & GEN_EV_BROWSER) ? (unsigned)((c->r_own >> 50) % 20)
                                                                 : 99;
    bool console_flag = console && !(ev->flags & GEN_EV_NO_CONSOLE_FLAG) &&
                        (c->r_own >> 45) % 5 != 0;
    const char *ua = c->ss->user_agent ? c->ss->user_agent : id->user_agent;
    const char *ip = id->ip;
    if (service) {
        ip = ua = id->assumed_by;
    } else if (invoked_by) {
        ua = invoked_by;
        ip = (ev->flags & GEN_EV_INTERNAL) ? "AWS Internal" : invoked_by;
    } else if (internal == 0) {
        ip = ua = "AWS Internal";
    } else if (internal < 5) {
        ua = "AWS Internal";
    }
    bool from_aws = service || invoked_by || internal == 0;

    GEN_PUT(b, "{\"eventVersion\":\"1.11\",\"userIdentity\":");
    put_user_identity(c, login, service ? NULL : invoked_by, created, b);
    GEN_PUT(b, ",\"eventTime\":\"");
    tw_buf_puts(b, c->time_iso);
    GEN_PUT(b, "\",\"eventSource\":\"");
    tw_buf_puts(b, act->source);
    GEN_PUT(b, "\",\"eventName\":\"");
    tw_buf_puts(b, act->name);
    GEN_PUT(b, "\",\"awsRegion\":\"");
    tw_buf_puts(b, c->region);
    GEN_PUT(b, "\",\"sourceIPAddress\":\"");
    tw_buf_puts(b, ip);
    GEN_PUT(b, "\",\"userAgent\":\"");
    tw_buf_puts(b, ua);
    tw_buf_putc(b, '"');
    if (ev->err != GEN_ERR_DRAW)
        put_forced(c, ev->err, b);
    else if (c->error && (c->r_own >> 20) % 100 < 45)
        put_denial(c, b);
    else if (c->error)
        put_failure(c, b);
    GEN_PUT(b, ",\"requestParameters\":");
    gen_real_params_request(c, ev, target, b);
    GEN_PUT(b, ",\"responseElements\":");
    if (c->error)
        GEN_PUT(b, "null");
    else
        gen_real_params_response(c, ev, target, b);
    gen_real_params_additional(c, ev, b);
    GEN_PUT(b, ",\"requestID\":\"");
    if (gen_act_is_s3(c->act_id))
        gen_put_hex(b, tw_hash_mix(c->r_own ^ 0x12u), 16, true);
    else
        gen_put_uuid(b, tw_hash_mix(c->r_own ^ 0x12u));
    GEN_PUT(b, "\",\"eventID\":\"");
    gen_put_uuid(b, c->r_own);
    GEN_PUT(b, "\",\"readOnly\":");
    tw_buf_puts(b, act->kind == GEN_K_READ || (act->flags & GEN_AF_RO) ? "true" : "false");
    gen_params_resources(c, b); /* the same in both profiles */
    if (login)
        GEN_PUT(b, ",\"eventType\":\"AwsConsoleSignIn\"");
    else
        GEN_PUT(b, ",\"eventType\":\"AwsApiCall\"");
    if (act->flags & GEN_AF_DATA)
        GEN_PUT(b, ",\"managementEvent\":false");
    else
        GEN_PUT(b, ",\"managementEvent\":true");
    GEN_PUT(b, ",\"recipientAccountId\":\"");
    tw_buf_puts(b, id->account);
    tw_buf_putc(b, '"');
    if (act->flags & GEN_AF_DATA)
        GEN_PUT(b, ",\"eventCategory\":\"Data\"");
    else
        GEN_PUT(b, ",\"eventCategory\":\"Management\"");
    if (!from_aws) {
        if (id->tls12)
            GEN_PUT(b, ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.2\",\"cipherSuite\":\"ECDHE-RSA-AES128-GCM-SHA256\",\"clientProvidedHostHeader\":\"");
        else
            GEN_PUT(b, ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":\"");
        put_host(c, b);
        GEN_PUT(b, "\"}");
    }
    if (console_flag)
        GEN_PUT(b, ",\"sessionCredentialFromConsole\":\"true\"");
    tw_buf_putc(b, '}');
    return c->error;
}
