#include "ingest_normalize.h"

#include <stdio.h>
#include <string.h>

#include "tw_hash.h"
#include "tw_time.h"

/* ARN fields: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE */
typedef struct arn_parts {
    tw_str partition, service, account, resource;
} arn_parts;

static bool split_arn(tw_str arn, arn_parts *out)
{
    if (!tw_str_starts(arn, "arn:"))
        return false;
    tw_str f[6];
    const char *p = arn.p, *end = arn.p + arn.len;
    for (int i = 0; i < 5; i++) {
        const char *c = memchr(p, ':', (size_t)(end - p));
        if (!c)
            return false;
        f[i] = (tw_str){ p, (uint32_t)(c - p) };
        p = c + 1;
    }
    f[5] = (tw_str){ p, (uint32_t)(end - p) };
    out->partition = f[1];
    out->service = f[2];
    out->account = f[4];
    out->resource = f[5];
    return true;
}

/* The last path segment of "role/path/to/NAME" after the type prefix. */
static tw_str last_segment(tw_str s)
{
    for (uint32_t i = s.len; i > 0; i--)
        if (s.p[i - 1] == '/')
            return (tw_str){ s.p + i, s.len - i };
    return s;
}

/* "arn:PARTITION:iam::ACCOUNT:TYPENAME", cut to size (runs once per event: no printf). */
static size_t write_key(char *out, size_t size, tw_str partition, tw_str account, const char *type,
                        tw_str name)
{
    tw_str parts[] = {
        TW_STR_LIT("arn:"), partition, TW_STR_LIT(":iam::"), account, TW_STR_LIT(":"),
        tw_str_c(type),     name
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        size_t k = parts[i].len < size - 1 - n ? parts[i].len : size - 1 - n;
        if (k)
            memcpy(out + n, parts[i].p, k);
        n += k;
    }
    out[n] = '\0';
    return n;
}

static size_t copy_key(char *out, size_t size, tw_str s)
{
    size_t n = s.len < size - 1 ? s.len : size - 1;
    memcpy(out, s.p, n);
    out[n] = '\0';
    return n;
}

size_t tw_identity_key(const tw_raw_record *raw, char *out, size_t size)
{
    arn_parts a;
    /* the session issuer names the role whose permissions were used */
    if (raw->issuer_arn.len && split_arn(raw->issuer_arn, &a) && tw_str_eq_c(a.service, "iam")) {
        if (tw_str_starts(a.resource, "role/"))
            return write_key(out, size, a.partition, a.account, "role/",
                             last_segment((tw_str){ a.resource.p + 5, a.resource.len - 5 }));
        if (tw_str_starts(a.resource, "user/"))
            return write_key(out, size, a.partition, a.account, "user/",
                             last_segment((tw_str){ a.resource.p + 5, a.resource.len - 5 }));
        if (tw_str_eq_c(a.resource, "root"))
            return write_key(out, size, a.partition, a.account, "root", TW_STR_LIT(""));
    }
    if (tw_str_eq_c(raw->ui_type, "AWSService") && raw->ui_invoked_by.len) {
        /* AWS itself, per account: SERVICE@ACCOUNT (one service's calls in two accounts are two
         * identities; DESIGN §3) */
        tw_str account = raw->recipient_account.len ? raw->recipient_account : raw->ui_account_id;
        size_t n = copy_key(out, size, raw->ui_invoked_by);
        if (account.len && n + 1 + account.len < size) {
            out[n++] = '@';
            memcpy(out + n, account.p, account.len);
            n += account.len;
            out[n] = '\0';
        }
        return n;
    }
    if (tw_str_eq_c(raw->ui_type, "Root")) {
        tw_str account = raw->ui_account_id;
        tw_str partition = TW_STR_LIT("aws");
        if (raw->ui_arn.len && split_arn(raw->ui_arn, &a)) {
            partition = a.partition;
            if (!account.len)
                account = a.account;
        }
        if (!account.len)
            account = raw->recipient_account;
        return write_key(out, size, partition, account, "root", TW_STR_LIT(""));
    }
    if (raw->ui_arn.len && split_arn(raw->ui_arn, &a)) {
        if (tw_str_eq_c(a.service, "sts") && tw_str_starts(a.resource, "assumed-role/")) {
            tw_str rest = { a.resource.p + 13, a.resource.len - 13 };
            const char *slash = memchr(rest.p, '/', rest.len);
            tw_str role = slash ? (tw_str){ rest.p, (uint32_t)(slash - rest.p) } : rest;
            return write_key(out, size, a.partition, a.account, "role/", role);
        }
        if (tw_str_eq_c(a.service, "iam") && tw_str_starts(a.resource, "user/"))
            return write_key(out, size, a.partition, a.account, "user/",
                             last_segment((tw_str){ a.resource.p + 5, a.resource.len - 5 }));
        if (tw_str_eq_c(a.service, "iam") && tw_str_starts(a.resource, "role/"))
            return write_key(out, size, a.partition, a.account, "role/",
                             last_segment((tw_str){ a.resource.p + 5, a.resource.len - 5 }));
        return copy_key(out, size, raw->ui_arn);
    }
    if (tw_str_eq_c(raw->ui_type, "IAMUser") && raw->ui_user_name.len) {
        tw_str account = raw->ui_account_id.len ? raw->ui_account_id : raw->recipient_account;
        if (account.len)
            return write_key(out, size, TW_STR_LIT("aws"), account, "user/", raw->ui_user_name);
    }
    if (raw->ui_arn.len)
        return copy_key(out, size, raw->ui_arn);
    if (raw->ui_invoked_by.len)
        return copy_key(out, size, raw->ui_invoked_by);
    if (raw->ui_principal_id.len)
        return copy_key(out, size, raw->ui_principal_id);
    if (raw->ui_type.len)
        return copy_key(out, size, raw->ui_type); /* e.g. "AWSService" with nothing else */
    return copy_key(out, size, TW_STR_LIT("unknown"));
}

/* Agent frameworks and MCP clients, as they name themselves in user agents. */
static const char *const k_agent_markers[] = {
    "strands-agents",    "strands-agent", "langchain",       "langgraph",
    "bedrock-agentcore", "agentcore",     "openai-agents",   "crewai",
    "autogen",           "llama-index",   "llamaindex",      "modelcontextprotocol",
    "mcp-client",        "mcp-server",    "semantic-kernel", "pydantic-ai",
};

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* "mcp" as a word of its own ("mcp/1.0", "awslabs.mcp", "aws-mcp"): too short for a plain
 * substring test. */
static bool has_mcp_token(tw_str ua)
{
    for (uint32_t i = 0; i + 3 <= ua.len; i++) {
        char a = ua.p[i] | 32, b = ua.p[i + 1] | 32, c = ua.p[i + 2] | 32;
        if (a != 'm' || b != 'c' || c != 'p')
            continue;
        bool left = i == 0 || !is_alnum(ua.p[i - 1]);
        bool right = i + 3 == ua.len || !is_alnum(ua.p[i + 3]);
        if (left && right)
            return true;
    }
    return false;
}

/* The role's name: the issuer's userName, the last segment of its ARN (role paths such as
 * aws-reserved/sso.amazonaws.com/ come first), or the segment after assumed-role/. */
static tw_str role_name_of(const tw_raw_record *raw)
{
    if (raw->issuer_user_name.len)
        return raw->issuer_user_name;
    if (raw->issuer_arn.len)
        return last_segment(raw->issuer_arn);
    const char *hit =
        raw->ui_arn.len ? memmem(raw->ui_arn.p, raw->ui_arn.len, ":assumed-role/", 14) : NULL;
    if (!hit)
        return TW_STR_NULL;
    tw_str rest = { hit + 14, (uint32_t)(raw->ui_arn.p + raw->ui_arn.len - hit - 14) };
    const char *slash = memchr(rest.p, '/', rest.len);
    return slash ? (tw_str){ rest.p, (uint32_t)(slash - rest.p) } : rest;
}

/* A person's client: a browser, the console's own front ends, CloudShell. */
static bool ua_names_person_uncached(tw_str ua)
{
    tw_str u = ua;
    if (u.len && u.p[0] == '[') /* "[Mozilla/5.0 ...]", "[S3Console/0.4, ...]" */
        u = (tw_str){ u.p + 1, u.len - 1 };
    return tw_str_starts(u, "Mozilla/") || tw_str_starts(u, "console.") ||
           tw_str_eq_c(u, "signin.amazonaws.com") || tw_str_contains_ci(u, "console/") ||
           tw_str_contains_ci(u, "consolefrontend") || tw_str_contains_ci(u, "exec-env/cloudshell");
}

static bool ua_names_agent_uncached(tw_str ua)
{
    char low[512];
    uint32_t n = ua.len < sizeof low ? ua.len : (uint32_t)sizeof low;
    for (uint32_t i = 0; i < n; i++) {
        char c = ua.p[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    for (size_t i = 0; i < sizeof k_agent_markers / sizeof *k_agent_markers; i++)
        if (memmem(low, n, k_agent_markers[i], strlen(k_agent_markers[i])))
            return true;
    return has_mcp_token((tw_str){ low, n });
}

/* User agents repeat endlessly in a trail: each parser thread remembers its recent verdicts
 * in a small direct-mapped cache (hash and length must both match). */
#define UA_CACHE 1024
enum { UA_AGENT = 1, UA_PERSON = 2 };
typedef struct ua_entry {
    uint64_t hash;
    uint32_t len;
    uint8_t valid, verdict;
} ua_entry;
static _Thread_local ua_entry ua_cache[UA_CACHE];

/* UA_AGENT, UA_PERSON (a user agent naming an agent framework is an agent's, whatever else
 * it says), or 0. */
static unsigned ua_verdict(tw_str ua)
{
    if (!ua.len)
        return 0;
    uint64_t h = tw_hash64(ua.p, ua.len, 0x75a);
    ua_entry *e = &ua_cache[h % UA_CACHE];
    if (e->valid && e->hash == h && e->len == ua.len)
        return e->verdict;
    unsigned verdict = ua_names_agent_uncached(ua)    ? UA_AGENT
                       : ua_names_person_uncached(ua) ? UA_PERSON
                                                      : 0;
    *e = (ua_entry){ h, ua.len, 1, (uint8_t)verdict };
    return verdict;
}

/* AWS itself: an AWSService principal, or a service-linked role, which only its service can
 * assume (AWS names every one AWSServiceRoleFor..., under the path /aws-service-role/). */
static bool is_aws_service(const tw_raw_record *raw, tw_str role)
{
    return tw_str_eq_c(raw->ui_type, "AWSService") || tw_str_starts(role, "AWSServiceRoleFor");
}

tw_kind tw_identity_kind(const tw_normalize_conf *conf, const tw_raw_record *raw)
{
    if (tw_str_eq_c(raw->ui_type, "Root"))
        return TW_KIND_ROOT;
    tw_str role = role_name_of(raw);
    if (is_aws_service(raw, role))
        return TW_KIND_AWS_SERVICE; /* its user agent is the service's: no marker can apply */
    tw_str ua = raw->user_agent;
    unsigned verdict = ua_verdict(ua);
    if (verdict == UA_AGENT || tw_str_contains_ci(raw->ui_invoked_by, "agentcore") ||
        tw_str_starts(role, "AmazonBedrockExecutionRoleForAgents_") ||
        tw_str_contains_ci(raw->source_identity, "agentcore"))
        return TW_KIND_AGENT;
    for (size_t i = 0; conf && i < conf->n_agent_patterns; i++)
        if (tw_str_contains_ci(ua, conf->agent_patterns[i]) ||
            tw_str_contains_ci(raw->ui_arn, conf->agent_patterns[i]) ||
            tw_str_contains_ci(raw->issuer_arn, conf->agent_patterns[i]))
            return TW_KIND_AGENT;
    /* machines rarely present MFA or a browser */
    if (verdict == UA_PERSON || raw->mfa == TW_RAW_TRUE ||
        tw_str_eq_c(raw->session_from_console, "true") || tw_str_starts(role, "AWSReservedSSO_") ||
        tw_str_eq_c(raw->ui_type, "IdentityCenterUser") || tw_str_eq_c(raw->ui_type, "SAMLUser") ||
        tw_str_eq_c(raw->ui_invoked_by, "signin.amazonaws.com") ||
        tw_str_eq_c(raw->event_source, "signin.amazonaws.com"))
        return TW_KIND_HUMAN;
    return TW_KIND_SERVICE;
}

bool tw_on_behalf(const tw_raw_record *raw)
{
    /* the console's sign-in service relays a person's own clicks: that is no service acting */
    if (raw->ui_invoked_by.len && !tw_str_eq_c(raw->ui_invoked_by, "signin.amazonaws.com"))
        return true;
    tw_str ip = raw->source_ip;
    return tw_str_eq_c(ip, "AWS Internal") ||
           (ip.len > 14 && !memcmp(ip.p + ip.len - 14, ".amazonaws.com", 14) &&
            !tw_str_eq_c(ip, "signin.amazonaws.com"));
}

uint32_t tw_classes_of_record(uint32_t classes, uint8_t read_only)
{
    /* AWS's own word on whether the call changed state (DESIGN §4): a call that changed
     * nothing is read, and no privileged call whatever its action (sts:AssumeRole, a
     * kms:Decrypt); one that changed something is no read. Destructive stays the catalog's. */
    if (read_only == TW_RAW_TRUE)
        return (classes & ~(TW_CLASS_WRITE | TW_CLASS_PRIVILEGED)) | TW_CLASS_READ;
    if (read_only == TW_RAW_FALSE && (classes & TW_CLASS_READ))
        return (classes & ~TW_CLASS_READ) | TW_CLASS_WRITE;
    return classes;
}

bool tw_error_is_denial(tw_str code)
{
    if (!code.len)
        return false;
    return tw_str_contains_ci(code, "accessdenied") || tw_str_contains_ci(code, "unauthorized") ||
           tw_str_contains_ci(code, "notauthorized") || tw_str_contains_ci(code, "forbidden") ||
           tw_str_contains_ci(code, "authorizationerror") ||
           tw_str_contains_ci(code, "authorizationfailure");
}

/* The destinations a naming call names, as hashes (a handful at most). */
typedef struct audit_names {
    uint64_t h[8];
    uint32_t n;
    tw_str account; /* the record's, for a log group named without an ARN */
} audit_names;

static void name_destination(void *ud, tw_audit_kind kind, tw_str name, tw_str account)
{
    audit_names *an = ud;
    if (an->n < sizeof an->h / sizeof an->h[0])
        an->h[an->n++] = tw_audit_dest_hash(kind, account.len ? account : an->account, name);
}

tw_norm_result tw_normalize(const tw_normalize_conf *conf, const tw_raw_record *raw,
                            tw_batch *batch, tw_reject *reason, char *why, size_t why_size)
{
    if (raw->bad_types & (TW_RAW_BAD_EVENT_TIME | TW_RAW_BAD_EVENT_NAME | TW_RAW_BAD_EVENT_SOURCE |
                          TW_RAW_BAD_USER_IDENTITY)) {
        *reason = TW_REJ_WRONG_TYPE;
        snprintf(why, why_size, "%s has the wrong JSON type",
                 raw->bad_types & TW_RAW_BAD_EVENT_TIME     ? "eventTime"
                 : raw->bad_types & TW_RAW_BAD_EVENT_NAME   ? "eventName"
                 : raw->bad_types & TW_RAW_BAD_EVENT_SOURCE ? "eventSource"
                                                            : "userIdentity");
        return TW_NORM_REJECTED;
    }
    if (raw->bad_types & TW_RAW_BAD_OTHER && !raw->event_name.len && !raw->event_time.len) {
        *reason = TW_REJ_NOT_OBJECT;
        snprintf(why, why_size, "not a JSON object where a record was expected");
        return TW_NORM_REJECTED;
    }
    if (raw->size > TW_MAX_RECORD) {
        *reason = TW_REJ_TOO_LARGE;
        snprintf(why, why_size, "record of %llu bytes exceeds the %u KiB limit",
                 (unsigned long long)raw->size, TW_MAX_RECORD >> 10);
        return TW_NORM_REJECTED;
    }
    if (!raw->event_name.len) {
        if (tw_str_eq_c(raw->event_type, "AwsCloudTrailInsight"))
            return TW_NORM_SKIPPED;
        *reason = TW_REJ_MISSING_FIELD;
        snprintf(why, why_size, "not a CloudTrail record: no eventName");
        return TW_NORM_REJECTED;
    }
    if (!raw->event_source.len) {
        *reason = TW_REJ_MISSING_FIELD;
        snprintf(why, why_size, "not a CloudTrail record: no eventSource");
        return TW_NORM_REJECTED;
    }
    if (!raw->event_time.len) {
        *reason = TW_REJ_MISSING_FIELD;
        snprintf(why, why_size, "no eventTime");
        return TW_NORM_REJECTED;
    }
    int64_t ms;
    if (tw_time_parse_iso(raw->event_time.p, raw->event_time.len, &ms) != TW_OK) {
        *reason = TW_REJ_BAD_TIME;
        snprintf(why, why_size, "eventTime \"%.*s\" is not an ISO-8601 time",
                 (int)(raw->event_time.len > 40 ? 40 : raw->event_time.len), raw->event_time.p);
        return TW_NORM_REJECTED;
    }

    char key[512];
    size_t key_len = tw_identity_key(raw, key, sizeof key);
    char action_buf[256];
    tw_action act;
    tw_catalog_resolve(conf->catalog, raw->event_source, raw->event_name, action_buf,
                       sizeof action_buf, &act);

    tw_event *ev = tw_batch_push(batch);
    if (!ev) {
        *reason = TW_REJ_TOO_LARGE;
        snprintf(why, why_size, "out of memory");
        return TW_NORM_REJECTED;
    }
    int failed = 0;
    tw_arena *ar = &batch->arena;
    ev->time_ms = ms;
    ev->identity = tw_arena_dup(ar, (tw_str){ key, (uint32_t)key_len }, &failed);
    ev->identity_hash = tw_hash64(key, key_len, 0);
    ev->action_id = act.id;
    ev->classes = tw_classes_of_record(act.classes, raw->read_only);
    /* deleting an audit destination is logging-control (DESIGN §4): by its name now, or by
     * what the stream named before, which the router knows */
    char target_buf[TW_RESOURCE_MAX];
    tw_str target;
    tw_audit_kind audit = tw_audit_deletion(raw->event_source, raw->event_name, raw->request_params,
                                            target_buf, &target);
    bool audit_candidate = false;
    if (audit && tw_audit_named(conf->audit, audit, target))
        ev->classes |= TW_CLASS_LOGGING_CONTROL;
    else if (audit)
        audit_candidate = true;
    ev->level = act.level;
    ev->action = act.known ? act.name : tw_arena_dup(ar, act.name, &failed);
    ev->kind = (uint8_t)tw_identity_kind(conf, raw);
    uint16_t flags = act.known ? TW_EV_ACTION_KNOWN : 0;
    if (raw->error_code.len)
        flags |= TW_EV_FAILED;
    if (tw_error_is_denial(raw->error_code))
        flags |= TW_EV_DENIED;
    if (raw->bearer_token)
        flags |= TW_EV_BEARER_TOKEN;
    if (tw_str_eq_c(raw->session_from_console, "true"))
        flags |= TW_EV_CONSOLE;
    if (raw->shape == TW_RAW_INVOCATION_LOG)
        flags |= TW_EV_INVOCATION_LOG;
    if (tw_on_behalf(raw))
        flags |= TW_EV_ON_BEHALF;
    if (audit_candidate)
        flags |= TW_EV_AUDIT_CANDIDATE;
    ev->flags = flags;
    ev->str_fields = raw->str_fields;
    ev->odd_fields = raw->odd_fields;
    ev->event_id = tw_arena_dup(ar, raw->event_id, &failed);
    ev->event_name = tw_arena_dup(ar, raw->event_name, &failed);
    ev->event_source = tw_arena_dup(ar, raw->event_source, &failed);
    ev->account = tw_arena_dup(
        ar, raw->recipient_account.len ? raw->recipient_account : raw->ui_account_id, &failed);
    ev->region = tw_arena_dup(ar, raw->aws_region, &failed);
    ev->user_type = tw_arena_dup(ar, raw->ui_type, &failed);
    ev->principal_arn = tw_arena_dup(ar, raw->ui_arn, &failed);
    tw_str session = TW_STR_NULL;
    if (tw_str_starts(raw->ui_arn, "arn:") &&
        memmem(raw->ui_arn.p, raw->ui_arn.len, ":assumed-role/", 14))
        session = last_segment(raw->ui_arn);
    ev->session_name = tw_arena_dup(ar, session, &failed);
    ev->access_key = tw_arena_dup(ar, raw->ui_access_key_id, &failed);
    ev->source_ip = tw_arena_dup(ar, raw->source_ip, &failed);
    ev->user_agent = tw_arena_dup(ar, raw->user_agent, &failed);
    ev->error_code = tw_arena_dup(ar, raw->error_code, &failed);
    ev->request_params = tw_arena_dup(ar, raw->request_params, &failed);
    ev->model_id = tw_arena_dup(ar, raw->model_id, &failed);
    ev->audit_target = audit_candidate ? tw_audit_dest_hash(audit, ev->account, target) : 0;
    if (!(flags & TW_EV_FAILED)) {
        /* the destinations a successful CreateTrail, CreateFlowLogs, ... names: their hashes,
         * for the router's book (ingest_audit.h) */
        audit_names names = { { 0 }, 0, ev->account };
        if (tw_audit_destinations(raw->event_source, raw->event_name, raw->request_params,
                                  name_destination, &names) &&
            names.n) {
            uint64_t *keep = tw_arena_alloc(ar, names.n * sizeof *keep);
            if (keep) {
                memcpy(keep, names.h, names.n * sizeof *keep);
                ev->audit_names = keep;
                ev->n_audit_names = names.n;
                ev->flags |= TW_EV_AUDIT_NAMES;
            } else {
                failed = 1;
            }
        }
    }
    if (failed) {
        batch->n--;
        *reason = TW_REJ_TOO_LARGE;
        snprintf(why, why_size, "out of memory while copying the record");
        return TW_NORM_REJECTED;
    }
    return TW_NORM_EVENT;
}
