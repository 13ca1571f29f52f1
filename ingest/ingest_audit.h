/* ingest_audit: audit destinations (DESIGN §4), the log groups and buckets that audit logging
 * delivers to: deleting one is logging-control, deleting any other is housekeeping. What can be
 * known from one record lives here: which calls delete a possible destination (and which one),
 * which calls name destinations, and the names that are destinations by AWS's defaults or the
 * user's patterns (--audit-log-group, --audit-bucket). What the stream names as destinations is
 * account-wide state, kept in stream order by detect/audit_book.c on the router's thread.
 * Pure functions of their arguments: any thread. */
#ifndef INGEST_AUDIT_H
#define INGEST_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "schema_resource.h"
#include "tw_str.h"

typedef enum tw_audit_kind {
    TW_AUDIT_NONE = 0,
    TW_AUDIT_LOG_GROUP = 1, /* a CloudWatch Logs log group, per account */
    TW_AUDIT_BUCKET = 2,    /* an S3 bucket (names are global) */
} tw_audit_kind;

/* The user's patterns: `*` matches any run, everything else itself (names are compared with
 * their case, as AWS does). */
typedef struct tw_audit_patterns {
    const char *const *log_groups;
    size_t n_log_groups;
    const char *const *buckets;
    size_t n_buckets;
} tw_audit_patterns;

/* What a call deletes that could be an audit destination: logs:DeleteLogGroup its log group,
 * s3:DeleteBucket its bucket (the name into buf, TW_RESOURCE_MAX bytes, and *name); NONE for
 * every other call, or when the record does not say which. */
tw_audit_kind tw_audit_deletion(tw_str event_source, tw_str event_name, tw_str request_params,
                                char *buf, tw_str *name);

/* Whether name is an audit destination by AWS's default names (CloudTrail's console defaults
 * aws-cloudtrail-logs-*, CloudTrail/..., Bedrock's /aws/bedrock/modelinvocations, Route 53's
 * /aws/route53/..., Config's config-bucket-*, Control Tower's aws-controltower-logs-*) or one of
 * the patterns (NULL: none). */
bool tw_audit_named(const tw_audit_patterns *pt, tw_audit_kind kind, tw_str name);

/* The destinations a call names (CreateTrail, UpdateTrail, CreateFlowLogs,
 * PutModelInvocationLoggingConfiguration, CreateResolverQueryLogConfig, Route 53's
 * CreateQueryLoggingConfig, Config's PutDeliveryChannel, GuardDuty's
 * CreatePublishingDestination): fn is called once for each, with the log group's or bucket's
 * name and, for a log group, the account its ARN names (empty when given by name). Whether the
 * call succeeded is the caller's to check. Returns whether the call is one of these. */
typedef void (*tw_audit_dest_fn)(void *ud, tw_audit_kind kind, tw_str name, tw_str account);
bool tw_audit_destinations(tw_str event_source, tw_str event_name, tw_str request_params,
                           tw_audit_dest_fn fn, void *ud);

/* The hash a destination is known by: a bucket by its name (names are global), a log group by
 * its account and name. Never 0. */
uint64_t tw_audit_dest_hash(tw_audit_kind kind, tw_str account, tw_str name);

/* `*` globs: whether s matches pattern (exact bytes otherwise). */
bool tw_audit_glob(const char *pattern, tw_str s);

#endif
