/* gen_real_record: one CloudTrail record of the realistic profile.
 *
 * The frame is the default profile's (its parts are gen_record.c's), with what the realistic
 * estate needs on top, written as CloudTrail writes it:
 * - readOnly as AWS sets it: true for reads and also for kms:Decrypt and GenerateDataKey
 *   (whose IAM access level is Write), false for writes;
 * - on-behalf records: the caller's userIdentity with "invokedBy" (S3, Secrets Manager,
 *   CloudFormation; a service-linked role's service), the service's host as source and user
 *   agent (S3 sometimes gives "AWS Internal" as source), no tlsDetails;
 * - IAM users on session credentials (the console, GetSessionToken after MFA): an ASIA key
 *   and sessionContext.attributes.mfaAuthenticated;
 * - errors of several kinds: denials in each service's spelling, and failures that are not
 *   denials (NoSuchKey, ValidationError, ...NotFoundException, ConditionalCheckFailed...).
 * What only the realistic profile writes is here, so that the default profile's bytes never
 * move. */
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"
#include "tw_time.h"

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

/* ,"errorCode":code,"errorMessage":"BEFORE NAME AFTER": a message that names a resource. */
static void put_error_naming(tw_buf *b, const char *code, const char *before, const char *name,
                             const char *after)
{
    GEN_PUT(b, ",\"errorCode\":\"");
    tw_buf_puts(b, code);
    GEN_PUT(b, "\",\"errorMessage\":\"");
    tw_buf_puts(b, before);
    tw_buf_puts(b, name);
    tw_buf_puts(b, after);
    tw_buf_putc(b, '"');
}

static void put_trail_not_found(const gen_call *c, tw_buf *b)
{
    GEN_PUT(b, ",\"errorCode\":\"TrailNotFoundException\",\"errorMessage\":\"Unknown trail: ");
    tw_buf_puts(b, c->res);
    GEN_PUT(b, " for the user: ");
    tw_buf_puts(b, c->id->account);
    tw_buf_putc(b, '"');
}

/* The failure each service answers most (throttling, a missing resource), in its spelling. */
static void put_service_failure(const gen_call *c, tw_buf *b)
{
    static const struct {
        const char *service, *code, *message;
    } failures[] = {
        { "logs", "ResourceNotFoundException", "The specified log group does not exist." },
        { "secretsmanager", "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret." },
        { "cloudformation", "ValidationError", "Stack with id does not exist" },
        { "dynamodb", "ProvisionedThroughputExceededException",
          "The level of configured provisioned throughput for the table was exceeded." },
        { "glue", "EntityNotFoundException", "Table not found" },
        { "ecs", "ServiceNotFoundException", "Service not found." },
        { "ec2", "Client.RequestLimitExceeded", "Request limit exceeded." },
    };
    for (size_t i = 0; i < sizeof failures / sizeof failures[0]; i++)
        if (gen_iam_service_is(c->act->iam, failures[i].service)) {
            gen_put_error(b, failures[i].code, failures[i].message);
            return;
        }
    if (gen_act_is_s3(c->act_id))
        gen_put_error(b, "SlowDown", "Please reduce your request rate.");
    else
        gen_put_error(b, "ThrottlingException", "Rate exceeded");
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
        gen_put_error(b, "NoSuchKey", "The specified key does not exist.");
        return;
    case GEN_ACT_S3_GET_BUCKET_POLICY:
        gen_put_error(b, "NoSuchBucketPolicy", "The bucket policy does not exist");
        return;
    case GEN_ACT_DDB_PUT_ITEM:
    case GEN_ACT_DDB_UPDATE_ITEM:
    case GEN_ACT_DDB_DELETE_ITEM:
        gen_put_error(b, "ConditionalCheckFailedException", "The conditional request failed");
        return;
    case GEN_ACT_CFN_UPDATE_STACK:
    case GEN_ACT_CFN_CREATE_CHANGE_SET:
    case GEN_ACT_CFN_EXECUTE_CHANGE_SET:
        gen_put_error(b, "ValidationError", "No updates are to be performed.");
        return;
    case GEN_ACT_CT_UPDATE_TRAIL:
    case GEN_ACT_CT_STOP_LOGGING:
    case GEN_ACT_CT_GET_TRAIL_STATUS:
        put_trail_not_found(c, b);
        return;
    case GEN_ACT_EC2_STOP_INSTANCES:
    case GEN_ACT_EC2_START_INSTANCES:
        put_error_naming(b, "Client.IncorrectInstanceState", "The instance '", c->res,
                         "' is not in a state from which it can be stopped.");
        return;
    case GEN_ACT_EC2_TERMINATE_INSTANCES:
    case GEN_ACT_EC2_CREATE_TAGS:
        put_error_naming(b, "Client.InvalidInstanceID.NotFound", "The instance ID '", c->res,
                         "' does not exist");
        return;
    case GEN_ACT_IAM_CREATE_ROLE:
    case GEN_ACT_IAM_CREATE_USER:
        put_error_naming(b, "EntityAlreadyExistsException",
                         c->act_id == GEN_ACT_IAM_CREATE_ROLE ? "Role with name "
                                                              : "User with name ",
                         c->res, " already exists.");
        return;
    default:
        break;
    }
    if (gen_iam_service_is(iam, "lambda")) {
        if (act->kind == GEN_K_READ)
            gen_put_error(b, "ResourceNotFoundException", "Function not found");
        else
            gen_put_error(b, "ResourceConflictException",
                          "The operation cannot be performed at this time. An update is in "
                          "progress for resource");
    } else if (gen_iam_service_is(iam, "iam")) {
        put_error_naming(b, "NoSuchEntityException", "The role with name ",
                         c->res[0] ? c->res : "unknown", " cannot be found.");
    } else if (gen_iam_service_is(iam, "bedrock") || gen_iam_service_is(iam, "bedrock-mantle")) {
        if (which && act->kind == GEN_K_READ)
            gen_put_error(b, "ThrottlingException",
                          "Too many requests, please wait before trying again.");
        else
            gen_put_error(b, "ValidationException", "The provided request is not valid");
    } else {
        put_service_failure(c, b);
    }
}

static void put_forced(const gen_call *c, uint8_t err, tw_buf *b)
{
    if (err == GEN_ERR_TRAIL_NOT_FOUND) {
        put_trail_not_found(c, b);
    } else {
        put_error_naming(b, "Client.InvalidParameterValue", "Flow log ID '", c->res,
                         "' is not a valid flow log ID");
    }
}

/* The caller's userIdentity (realistic): IAM users on session credentials, keyless console
 * sign-ins, the service that calls for the identity. */
static void fill_principal(const gen_call *c, bool login, const char *invoked_by,
                           const char *created, gen_principal *pr)
{
    const gen_ident *id = c->id;
    bool session = id->user_session && c->act_id != GEN_ACT_STS_GET_SESSION_TOKEN;
    *pr = (gen_principal){ .created = created,
                           .key = id->iam_user && !session ? id->access_key : c->ss->access_key,
                           .mfa = id->iam_user && id->mfa,
                           .user_session = !login && session,
                           .web_id = true,
                           .invoked_by = invoked_by };
    if (login) /* a console sign-in is made with a password, not a key */
        pr->key = NULL;
}

bool gen_real_record_write(const gen_real_estate *re, const gen_actor *ac, const gen_ident *target,
                           const gen_event *ev, uint64_t serial, gen_clock *clk, tw_buf *b)
{
    const gen_estate *es = &re->es;
    gen_call call;
    gen_call *c = &call;
    const gen_ident *id = &ac->id;
    gen_call_init(c, es, ac, ev, serial);
    c->r = ev->link ? ev->link : c->r_own; /* an on-behalf record names its cause's resource */
    c->org_id = re->org_id;
    const gen_action *act = c->act;
    bool login = act->flags & GEN_AF_LOGIN;
    bool service = act->flags & GEN_AF_SERVICE;
    const char *invoked_by = service ? NULL : ev->via ? via_host(ev->via) : id->invoked_by;
    bool drawn_error = !(ev->flags & GEN_EV_NO_ERROR) && !login && !service && !invoked_by &&
                       c->r_own % 1000 < GEN_ERROR_PER_MILLE;
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
    unsigned internal =
        console && !(ev->flags & GEN_EV_BROWSER) ? (unsigned)((c->r_own >> 50) % 20) : 99;
    bool console_flag =
        console && !(ev->flags & GEN_EV_NO_CONSOLE_FLAG) && (c->r_own >> 45) % 5 != 0;
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
    gen_principal pr;
    fill_principal(c, login, invoked_by, created, &pr);

    GEN_PUT(b, "{\"eventVersion\":\"1.11\",\"userIdentity\":");
    gen_put_user_identity(c, &pr, b);
    gen_put_call_head(c, ip, ua, b);
    if (ev->err != GEN_ERR_DRAW)
        put_forced(c, ev->err, b);
    else if (c->error && (c->r_own >> 20) % 100 < 45)
        gen_put_denial(c, "cloudformation", b);
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
    gen_put_ids(c, act->kind == GEN_K_READ || (act->flags & GEN_AF_RO), b);
    gen_params_resources(c, b); /* the same in both profiles */
    gen_put_event_type(c, b);
    gen_put_category(c, b);
    if (!from_aws)
        gen_put_tls(c, b);
    if (console_flag)
        GEN_PUT(b, ",\"sessionCredentialFromConsole\":\"true\"");
    tw_buf_putc(b, '}');
    return c->error;
}
