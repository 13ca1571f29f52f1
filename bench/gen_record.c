/* gen_record: one CloudTrail record, written straight into the sink's buffer.
 *
 * The frame and field order follow what CloudTrail delivers (eventVersion 1.11): userIdentity,
 * time, source, name, region, caller, errors, parameters, ids, flags, category, TLS. The
 * action-specific parts (parameters, responses, resources) are in gen_params.c. The frame's
 * parts serve the realistic profile's records too (gen_real_record.c). */
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"
#include "tw_time.h"

void gen_put_hex(tw_buf *b, uint64_t v, int digits, bool upper)
{
    const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[16];
    for (int i = digits - 1; i >= 0; i--) {
        tmp[i] = hex[v & 15];
        v >>= 4;
    }
    tw_buf_put(b, tmp, (size_t)digits);
}

/* A version-4-shaped UUID from 64 bits (stretched; uniqueness is what matters). Mixed first,
 * so nearby inputs (r, r ^ 1) give unrelated ids. */
void gen_put_uuid(tw_buf *b, uint64_t v)
{
    uint64_t h = tw_hash_mix(v), h2 = tw_hash_mix(v ^ 0x5555555555555555ULL);
    gen_put_hex(b, h >> 32, 8, false);
    tw_buf_putc(b, '-');
    gen_put_hex(b, h >> 16, 4, false);
    GEN_PUT(b, "-4");
    gen_put_hex(b, h, 3, false);
    tw_buf_putc(b, '-');
    gen_put_hex(b, 8 | ((h2 >> 60) & 3), 1, false);
    gen_put_hex(b, h2 >> 48, 3, false);
    tw_buf_putc(b, '-');
    gen_put_hex(b, h2, 12, false);
}

/* userIdentity's sessionContext: a role session's issuer, or an IAM user's session. */
static void put_session_context(const gen_call *c, const gen_principal *pr, tw_buf *b)
{
    const gen_ident *id = c->id;
    GEN_PUT(b, ",\"sessionContext\":{\"sessionIssuer\":");
    if (id->iam_user) {
        GEN_PUT(b, "{}");
    } else {
        GEN_PUT(b, "{\"type\":\"Role\",\"principalId\":\"");
        tw_buf_puts(b, id->unique_id);
        GEN_PUT(b, "\",\"arn\":\"");
        gen_put_issuer_arn(c, b);
        GEN_PUT(b, "\",\"accountId\":\"");
        tw_buf_puts(b, id->account);
        GEN_PUT(b, "\",\"userName\":\"");
        tw_buf_puts(b, id->name);
        GEN_PUT(b, "\"}");
    }
    if (pr->web_id)
        GEN_PUT(b, ",\"webIdFederationData\":{}");
    GEN_PUT(b, ",\"attributes\":{\"creationDate\":\"");
    tw_buf_puts(b, pr->created);
    GEN_PUT(b, "\",\"mfaAuthenticated\":\"");
    tw_buf_puts(b, pr->mfa ? "true" : "false");
    GEN_PUT(b, "\"}}");
}

void gen_put_user_identity(const gen_call *c, const gen_principal *pr, tw_buf *b)
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
    } else {
        GEN_PUT(b, "{\"type\":\"AssumedRole\",\"principalId\":\"");
        tw_buf_puts(b, id->unique_id);
        tw_buf_putc(b, ':');
        tw_buf_puts(b, c->ss->name);
    }
    GEN_PUT(b, "\",\"arn\":\"");
    tw_buf_puts(b, c->caller_arn);
    GEN_PUT(b, "\",\"accountId\":\"");
    tw_buf_puts(b, id->account);
    tw_buf_putc(b, '"');
    if (pr->key) {
        GEN_PUT(b, ",\"accessKeyId\":\"");
        tw_buf_puts(b, pr->key);
        tw_buf_putc(b, '"');
    }
    if (id->iam_user) {
        GEN_PUT(b, ",\"userName\":\"");
        tw_buf_puts(b, id->name);
        tw_buf_putc(b, '"');
    }
    if (!id->iam_user || pr->user_session)
        put_session_context(c, pr, b);
    if (pr->invoked_by) {
        GEN_PUT(b, ",\"invokedBy\":\"");
        tw_buf_puts(b, pr->invoked_by);
        tw_buf_putc(b, '"');
    }
    tw_buf_putc(b, '}');
}

bool gen_iam_service_is(const char *iam, const char *svc)
{
    size_t n = strlen(svc);
    return strncmp(iam, svc, n) == 0 && iam[n] == ':';
}

void gen_put_error(tw_buf *b, const char *code, const char *message)
{
    GEN_PUT(b, ",\"errorCode\":\"");
    tw_buf_puts(b, code);
    GEN_PUT(b, "\",\"errorMessage\":\"");
    tw_buf_puts(b, message);
    tw_buf_putc(b, '"');
}

void gen_put_denial(const gen_call *c, const char *plain_too, tw_buf *b)
{
    const char *iam = c->act->iam;
    if (gen_act_is_s3(c->act_id)) {
        gen_put_error(b, "AccessDenied", "Access Denied");
        return;
    }
    if (gen_iam_service_is(iam, "ec2"))
        GEN_PUT(b, ",\"errorCode\":\"Client.UnauthorizedOperation\",\"errorMessage\":\"You are "
                   "not authorized to perform this operation. User: ");
    else if (gen_iam_service_is(iam, "iam") || gen_iam_service_is(iam, "sts") ||
             (plain_too && gen_iam_service_is(iam, plain_too)))
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

/* The default profile's failures: a missing key, throttling, and denials. */
static void put_error(const gen_call *c, tw_buf *b)
{
    unsigned which = (unsigned)((c->r >> 20) % 10);
    if (which == 0 && c->act_id == GEN_ACT_S3_GET_OBJECT)
        gen_put_error(b, "NoSuchKey", "The specified key does not exist.");
    else if (which == 1 && c->act->kind == GEN_K_READ)
        gen_put_error(b, "ThrottlingException", "Rate exceeded");
    else /* its bytes predate CloudFormation's AccessDenied (the realistic profile has it) */
        gen_put_denial(c, NULL, b);
}

/* The host name the client asked for: CloudTrail records it in tlsDetails. */
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
    if (c->act_id == GEN_ACT_STS_GET_SESSION_TOKEN) { /* the realistic profile's */
        GEN_PUT(b, "sts.amazonaws.com");
        return;
    }
    if (act->par == GEN_PAR_BEDROCK_INVOKE || act->par == GEN_PAR_BEDROCK_CONVERSE)
        GEN_PUT(b, "bedrock-runtime");
    else
        tw_buf_put(b, act->source, slen);
    tw_buf_putc(b, '.');
    tw_buf_puts(b, c->region);
    if (c->act_id == GEN_ACT_MANTLE_CREATE_FINE_TUNING_JOB)
        GEN_PUT(b, ".api.aws");
    else
        GEN_PUT(b, ".amazonaws.com");
}

void gen_put_tls(const gen_call *c, tw_buf *b)
{
    /* Old SDKs (Java v1, C++) still negotiate TLS 1.2. */
    if (c->id->tls12)
        GEN_PUT(b, ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.2\",\"cipherSuite\":\"ECDHE-RSA-AES128-"
                   "GCM-SHA256\",\"clientProvidedHostHeader\":\"");
    else
        GEN_PUT(b, ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_"
                   "SHA256\",\"clientProvidedHostHeader\":\"");
    put_host(c, b);
    GEN_PUT(b, "\"}");
}

void gen_clock_format(gen_clock *clk, int64_t ms, char *out)
{
    int64_t day = ms >= 0 ? ms / TW_MS_DAY : -((-ms + TW_MS_DAY - 1) / TW_MS_DAY);
    if (day != clk->day) {
        char tmp[32];
        tw_time_format_iso(day * TW_MS_DAY, tmp, sizeof tmp);
        memcpy(clk->date, tmp, 11);
        clk->date[11] = '\0';
        clk->day = day;
    }
    int s = (int)((ms - day * TW_MS_DAY) / TW_MS_SECOND);
    int hh = s / 3600, mm = s / 60 % 60, ss = s % 60;
    memcpy(out, clk->date, 11);
    out[11] = (char)('0' + hh / 10);
    out[12] = (char)('0' + hh % 10);
    out[13] = ':';
    out[14] = (char)('0' + mm / 10);
    out[15] = (char)('0' + mm % 10);
    out[16] = ':';
    out[17] = (char)('0' + ss / 10);
    out[18] = (char)('0' + ss % 10);
    out[19] = 'Z';
    out[20] = '\0';
}

void gen_call_init(gen_call *c, const gen_estate *es, const gen_actor *ac, const gen_event *ev,
                   uint64_t serial)
{
    c->es = es;
    c->id = &ac->id;
    c->ss = &ac->ss;
    c->caller_arn = ac->caller_arn;
    c->act_id = ev->action;
    c->act = &gen_actions[ev->action];
    c->t_ms = ev->time_ms - ev->time_ms % TW_MS_SECOND;
    c->r = c->r_own = gen_record_rand(es->seed, serial);
    c->region = (c->act->flags & GEN_AF_GLOBAL) ? gen_regions[GEN_REGION_US_EAST_1]
                                                : gen_regions[c->id->region];
    c->error = false;
    c->org_id = NULL;
}

void gen_put_call_head(const gen_call *c, const char *ip, const char *ua, tw_buf *b)
{
    GEN_PUT(b, ",\"eventTime\":\"");
    tw_buf_puts(b, c->time_iso);
    GEN_PUT(b, "\",\"eventSource\":\"");
    tw_buf_puts(b, c->act->source);
    GEN_PUT(b, "\",\"eventName\":\"");
    tw_buf_puts(b, c->act->name);
    GEN_PUT(b, "\",\"awsRegion\":\"");
    tw_buf_puts(b, c->region);
    GEN_PUT(b, "\",\"sourceIPAddress\":\"");
    tw_buf_puts(b, ip);
    GEN_PUT(b, "\",\"userAgent\":\"");
    tw_buf_puts(b, ua);
    tw_buf_putc(b, '"');
}

void gen_put_ids(const gen_call *c, bool read_only, tw_buf *b)
{
    GEN_PUT(b, ",\"requestID\":\"");
    if (gen_act_is_s3(c->act_id)) /* S3 request ids are 16 hex digits, not UUIDs */
        gen_put_hex(b, tw_hash_mix(c->r_own ^ 0x12u), 16, true);
    else
        gen_put_uuid(b, tw_hash_mix(c->r_own ^ 0x12u));
    GEN_PUT(b, "\",\"eventID\":\"");
    gen_put_uuid(b, c->r_own);
    GEN_PUT(b, "\",\"readOnly\":");
    tw_buf_puts(b, read_only ? "true" : "false");
}

void gen_put_event_type(const gen_call *c, tw_buf *b)
{
    if (c->act->flags & GEN_AF_LOGIN)
        GEN_PUT(b, ",\"eventType\":\"AwsConsoleSignIn\"");
    else
        GEN_PUT(b, ",\"eventType\":\"AwsApiCall\"");
    if (c->act->flags & GEN_AF_DATA)
        GEN_PUT(b, ",\"managementEvent\":false");
    else
        GEN_PUT(b, ",\"managementEvent\":true");
    GEN_PUT(b, ",\"recipientAccountId\":\"");
    tw_buf_puts(b, c->id->account);
    tw_buf_putc(b, '"');
}

void gen_put_category(const gen_call *c, tw_buf *b)
{
    if (c->act->flags & GEN_AF_DATA)
        GEN_PUT(b, ",\"eventCategory\":\"Data\"");
    else
        GEN_PUT(b, ",\"eventCategory\":\"Management\"");
}

void gen_record_write(const gen_estate *es, const gen_actor *ac, const gen_event *ev,
                      uint64_t serial, gen_clock *clk, tw_buf *b)
{
    gen_call call;
    gen_call *c = &call;
    const gen_ident *id = &ac->id;
    gen_call_init(c, es, ac, ev, serial);
    c->error = !(ev->flags & GEN_EV_NO_ERROR) && !(c->act->flags & GEN_AF_LOGIN) &&
               c->r % 1000 < GEN_ERROR_PER_MILLE;
    gen_clock_format(clk, c->t_ms, c->time_iso);
    gen_params_prepare(c);

    char created[32] = "";
    if (!id->iam_user && !(c->act->flags & GEN_AF_SERVICE))
        gen_clock_format(clk, c->ss->start_ms, created);
    const gen_action *act = c->act;
    bool login = act->flags & GEN_AF_LOGIN;
    bool service = act->flags & GEN_AF_SERVICE;
    /* The console's own back end makes many of a console session's calls. */
    bool internal = id->console && !login && ((c->r >> 50) & 1);
    const char *ip = service ? id->assumed_by : internal ? "AWS Internal" : id->ip;
    const char *ua = service ? id->assumed_by : internal ? "AWS Internal" : id->user_agent;
    gen_principal pr = { .created = created,
                         .key = id->iam_user ? id->access_key : c->ss->access_key,
                         .mfa = id->console };
    GEN_PUT(b, "{\"eventVersion\":\"1.11\",\"userIdentity\":");
    gen_put_user_identity(c, &pr, b);
    gen_put_call_head(c, ip, ua, b);
    if (c->error)
        put_error(c, b);
    GEN_PUT(b, ",\"requestParameters\":");
    gen_params_request(c, b);
    GEN_PUT(b, ",\"responseElements\":");
    if (c->error)
        GEN_PUT(b, "null");
    else
        gen_params_response(c, b);
    gen_params_additional(c, b);
    gen_put_ids(c, act->kind == GEN_K_READ, b);
    gen_params_resources(c, b);
    gen_put_event_type(c, b);
    if ((act->flags & GEN_AF_DATA) && id->profile == GEN_PROF_ETL && (id->h & 1)) {
        /* Pipelines in a VPC reach S3 and DynamoDB through gateway endpoints. */
        GEN_PUT(b, ",\"vpcEndpointId\":\"vpce-0");
        gen_put_hex(b, tw_hash_mix(id->h ^ 0x5E), 16, false);
        GEN_PUT(b, "\",\"vpcEndpointAccountId\":\"");
        tw_buf_puts(b, id->account);
        tw_buf_putc(b, '"');
    }
    gen_put_category(c, b);
    if (!service && !internal) /* calls from inside AWS carry no TLS details */
        gen_put_tls(c, b);
    if (id->console && !login)
        GEN_PUT(b, ",\"sessionCredentialFromConsole\":\"true\"");
    tw_buf_putc(b, '}');
}
