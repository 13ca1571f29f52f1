/* ingest_audit: see ingest_audit.h. */
#include "ingest_audit.h"

#include <string.h>

#include "tw_hash.h"

uint64_t tw_audit_dest_hash(tw_audit_kind kind, tw_str account, tw_str name)
{
    uint64_t h = tw_hash64(name.p, name.len, kind == TW_AUDIT_BUCKET ? 0x62 : 0x67);
    if (kind == TW_AUDIT_LOG_GROUP)
        h = tw_hash_mix(h ^ tw_hash64(account.p, account.len, 0x61));
    return h ? h : 1;
}

/* AWS's own names for audit destinations: the consoles' defaults and required prefixes. */
static const char *const k_default_log_groups[] = {
    "aws-cloudtrail-logs-*",          /* CloudTrail console, trail to CloudWatch Logs */
    "CloudTrail/*",                   /* CloudTrail's older default (CloudTrail/DefaultLogGroup) */
    "/aws/bedrock/modelinvocations*", /* Bedrock model invocation logging */
    "/aws/route53/*",                 /* Route 53 query logging */
    "/aws/vendedlogs/cloudtrail*",
};
static const char *const k_default_buckets[] = {
    "aws-cloudtrail-logs-*",   /* CloudTrail console */
    "cloudtrail-awslogs-*",    /* CloudTrail console, older */
    "config-bucket-*",         /* AWS Config console */
    "aws-controltower-logs-*", /* Control Tower's log archive */
};

bool tw_audit_glob(const char *pattern, tw_str s)
{
    /* '*' is the only wildcard: remember the last star and let it take one more byte when a
     * later literal fails */
    const char *p = pattern, *star = NULL;
    uint32_t i = 0, mark = 0;
    while (i < s.len) {
        if (*p == '*') {
            star = p++;
            mark = i;
        } else if (*p && *p == s.p[i]) {
            p++;
            i++;
        } else if (star) {
            p = star + 1;
            i = ++mark;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

static bool any_glob(const char *const *patterns, size_t n, tw_str name)
{
    for (size_t i = 0; i < n; i++)
        if (tw_audit_glob(patterns[i], name))
            return true;
    return false;
}

bool tw_audit_named(const tw_audit_patterns *pt, tw_audit_kind kind, tw_str name)
{
    if (!name.len)
        return false;
    if (kind == TW_AUDIT_LOG_GROUP)
        return any_glob(k_default_log_groups,
                        sizeof k_default_log_groups / sizeof k_default_log_groups[0], name) ||
               (pt && any_glob(pt->log_groups, pt->n_log_groups, name));
    if (kind == TW_AUDIT_BUCKET)
        return any_glob(k_default_buckets, sizeof k_default_buckets / sizeof k_default_buckets[0],
                        name) ||
               (pt && any_glob(pt->buckets, pt->n_buckets, name));
    return false;
}

tw_audit_kind tw_audit_deletion(tw_str event_source, tw_str event_name, tw_str request_params,
                                char *buf, tw_str *name)
{
    *name = (tw_str){ buf, 0 };
    buf[0] = '\0';
    tw_audit_kind kind = TW_AUDIT_NONE;
    const char *key = NULL;
    if (event_name.len < 12 || event_name.p[0] != 'D') /* DeleteBucket, DeleteLogGroup */
        return TW_AUDIT_NONE;
    if (tw_str_eq_c(event_name, "DeleteLogGroup") &&
        tw_str_eq_c(event_source, "logs.amazonaws.com")) {
        kind = TW_AUDIT_LOG_GROUP;
        key = "logGroupName";
    } else if (tw_str_eq_c(event_name, "DeleteBucket") &&
               tw_str_eq_c(event_source, "s3.amazonaws.com")) {
        kind = TW_AUDIT_BUCKET;
        key = "bucketName";
    }
    if (!kind)
        return TW_AUDIT_NONE;
    *name = tw_resource_key(request_params, key, buf);
    return name->len ? kind : TW_AUDIT_NONE;
}

/* ---- calls that name destinations -------------------------------------------------------- */

/* How a key's value names a destination. */
enum { AS_LOG_GROUP = 1, AS_BUCKET, AS_ARN };

typedef struct naming_call {
    const char *source, *name;
    uint32_t name_len;
    struct {
        const char *key;
        int as;
    } keys[4];
} naming_call;

static const naming_call k_naming[] = {
    { "cloudtrail.amazonaws.com",
      "CreateTrail",
      11,
      { { "s3BucketName", AS_BUCKET }, { "cloudWatchLogsLogGroupArn", AS_ARN } } },
    { "cloudtrail.amazonaws.com",
      "UpdateTrail",
      11,
      { { "s3BucketName", AS_BUCKET }, { "cloudWatchLogsLogGroupArn", AS_ARN } } },
    { "ec2.amazonaws.com",
      "CreateFlowLogs",
      14,
      { { "LogGroupName", AS_LOG_GROUP },
        { "logGroupName", AS_LOG_GROUP },
        { "LogDestination", AS_ARN },
        { "logDestination", AS_ARN } } },
    { "bedrock.amazonaws.com",
      "PutModelInvocationLoggingConfiguration",
      38,
      { { "logGroupName", AS_LOG_GROUP }, { "bucketName", AS_BUCKET } } },
    { "route53resolver.amazonaws.com",
      "CreateResolverQueryLogConfig",
      28,
      { { "DestinationArn", AS_ARN }, { "destinationArn", AS_ARN } } },
    { "route53.amazonaws.com",
      "CreateQueryLoggingConfig",
      24,
      { { "CloudWatchLogsLogGroupArn", AS_ARN }, { "cloudWatchLogsLogGroupArn", AS_ARN } } },
    { "config.amazonaws.com", "PutDeliveryChannel", 18, { { "s3BucketName", AS_BUCKET } } },
    { "guardduty.amazonaws.com",
      "CreatePublishingDestination",
      27,
      { { "destinationArn", AS_ARN }, { "DestinationArn", AS_ARN } } },
};

/* The n-th ':'-separated field of an ARN (0: "arn"). */
static tw_str arn_field(tw_str arn, int n)
{
    const char *p = arn.p, *end = arn.p + arn.len;
    for (int i = 0; i < n; i++) {
        const char *c = memchr(p, ':', (size_t)(end - p));
        if (!c)
            return TW_STR_NULL;
        p = c + 1;
    }
    const char *c = memchr(p, ':', (size_t)(end - p));
    return (tw_str){ p, (uint32_t)((c ? c : end) - p) };
}

/* arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*] and arn:aws:s3:::BUCKET[/PREFIX]. */
static void name_arn(tw_str arn, tw_audit_dest_fn fn, void *ud)
{
    if (!tw_str_starts(arn, "arn:"))
        return;
    tw_str service = arn_field(arn, 2);
    if (tw_str_eq_c(service, "logs") && tw_str_eq_c(arn_field(arn, 5), "log-group")) {
        tw_str name = arn_field(arn, 6);
        if (name.len)
            fn(ud, TW_AUDIT_LOG_GROUP, name, arn_field(arn, 4));
    } else if (tw_str_eq_c(service, "s3")) {
        tw_str rest = arn_field(arn, 5); /* arn:aws:s3:::bucket/prefix */
        if (!rest.len)
            return;
        const char *slash = memchr(rest.p, '/', rest.len);
        tw_str bucket = { rest.p, (uint32_t)(slash ? slash - rest.p : rest.len) };
        if (bucket.len)
            fn(ud, TW_AUDIT_BUCKET, bucket, TW_STR_NULL);
    }
}

bool tw_audit_destinations(tw_str event_source, tw_str event_name, tw_str request_params,
                           tw_audit_dest_fn fn, void *ud)
{
    /* every event comes here (the router's thread): the name's length and first byte first */
    const naming_call *call = NULL;
    for (size_t i = 0; i < sizeof k_naming / sizeof k_naming[0] && !call; i++)
        if (event_name.len == k_naming[i].name_len && event_name.p[0] == k_naming[i].name[0] &&
            !memcmp(event_name.p, k_naming[i].name, event_name.len) &&
            tw_str_eq_c(event_source, k_naming[i].source))
            call = &k_naming[i];
    if (!call)
        return false;
    char buf[TW_RESOURCE_MAX];
    for (size_t k = 0; k < sizeof call->keys / sizeof call->keys[0] && call->keys[k].key; k++) {
        uint32_t at = 0;
        for (;;) { /* every occurrence: Bedrock names a bucket twice (logs, large data) */
            tw_str v = tw_resource_key_next(request_params, call->keys[k].key, buf, &at);
            if (!v.len)
                break;
            switch (call->keys[k].as) {
            case AS_LOG_GROUP:
                fn(ud, TW_AUDIT_LOG_GROUP, v, TW_STR_NULL);
                break;
            case AS_BUCKET:
                fn(ud, TW_AUDIT_BUCKET, v, TW_STR_NULL);
                break;
            default:
                name_arn(v, fn, ud);
                break;
            }
        }
    }
    return true;
}
