/* tw_event: one normalized CloudTrail / Bedrock event. Every string is a view into the batch
 * that carries the event (or into the catalog, which lives for the whole run); a stage that
 * keeps anything beyond the batch copies it. */
#ifndef TW_EVENT_H
#define TW_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "tw_str.h"

/* Action classes (DESIGN §4). An action can hold several. */
enum {
    TW_CLASS_READ = 1u << 0,
    TW_CLASS_WRITE = 1u << 1,
    TW_CLASS_DESTRUCTIVE = 1u << 2,
    TW_CLASS_PERMISSIONS = 1u << 3,
    TW_CLASS_MODEL_TRAINING = 1u << 4,
    TW_CLASS_TELEMETRY = 1u << 5,
    TW_CLASS_LOGGING_CONTROL = 1u << 6,
    TW_CLASS_GUARDRAIL = 1u << 7,
    TW_CLASS_CREDENTIAL = 1u << 8,
    TW_CLASS_PASSROLE = 1u << 9,         /* iam:PassRole: privileged, but no other class */
    TW_CLASS_IDENTITY = 1u << 10,        /* principals, groups, trust, instance profiles */
    TW_CLASS_CODE_EXECUTION = 1u << 11,  /* runs code with a role, or changes what runs */
    TW_CLASS_ACCOUNT = 1u << 12,         /* organization and account control */
    TW_CLASS_KEY_DESTRUCTION = 1u << 13, /* disables or deletes encryption keys */
    TW_CLASS_ESCALATION = 1u << 14,      /* on a published privilege-escalation list */
    TW_CLASS_COUNT_ = 15,
};
/* DESIGN §4. A call the record says changed nothing (readOnly) holds none of these, whatever
 * its action (ingest_normalize: sts:AssumeRole is on the escalation lists, but a session it
 * opens changes no permission). */
#define TW_CLASS_PRIVILEGED                                                             \
    (TW_CLASS_PERMISSIONS | TW_CLASS_MODEL_TRAINING | TW_CLASS_LOGGING_CONTROL |        \
     TW_CLASS_GUARDRAIL | TW_CLASS_CREDENTIAL | TW_CLASS_PASSROLE | TW_CLASS_IDENTITY | \
     TW_CLASS_CODE_EXECUTION | TW_CLASS_ACCOUNT | TW_CLASS_KEY_DESTRUCTION | TW_CLASS_ESCALATION)

/* IAM access levels, from AWS's service authorization data. */
enum {
    TW_LEVEL_READ = 1u << 0,
    TW_LEVEL_LIST = 1u << 1,
    TW_LEVEL_WRITE = 1u << 2,
    TW_LEVEL_PERMISSIONS = 1u << 3,
    TW_LEVEL_TAGGING = 1u << 4,
};

/* Identity kinds (DESIGN §3), weakest first: an identity's kind is the strongest its events
 * show, and a stronger marker seen once sticks. */
typedef enum tw_kind {
    TW_KIND_SERVICE = 0,     /* any other non-human identity */
    TW_KIND_AWS_SERVICE = 1, /* AWS itself: an AWSService principal, a service-linked role */
    TW_KIND_HUMAN = 2,
    TW_KIND_AGENT = 3,
    TW_KIND_ROOT = 4,
    TW_KIND_COUNT_ = 5,
} tw_kind;

const char *tw_kind_name(tw_kind kind);
const char *tw_class_name(uint32_t class_bit);

/* Event flags. */
enum {
    TW_EV_FAILED = 1u << 0,          /* errorCode present */
    TW_EV_DENIED = 1u << 1,          /* errorCode is an authorization denial */
    TW_EV_BEARER_TOKEN = 1u << 2,    /* additionalEventData.callWithBearerToken */
    TW_EV_ACTION_KNOWN = 1u << 3,    /* action found in the catalog (else classed by verb) */
    TW_EV_LATE = 1u << 4,            /* arrived more than --lateness behind the stream */
    TW_EV_CONSOLE = 1u << 5,         /* session credentials from the console */
    TW_EV_INVOCATION_LOG = 1u << 6,  /* came from a Bedrock model invocation log record */
    TW_EV_PASSES_ROLE = 1u << 7,     /* the call hands a role to a service (uses iam:PassRole) */
    TW_EV_ON_BEHALF = 1u << 8,       /* made by an AWS service for the identity (DESIGN §3):
                                      invokedBy, or a source of AWS Internal or a service host */
    TW_EV_AUDIT_CANDIDATE = 1u << 9, /* deletes a log group or bucket (audit_target) that is an
                                        audit destination if the stream named it one (the
                                        router decides: detect/audit_book.h) */
    TW_EV_AUDIT_NAMES = 1u << 10,    /* names audit destinations (audit_names): the router reads
                                      the hashes only then (they lie lines away from the
                                      fields it touches anyway) */
    TW_EV_GRANT_COPY = 1u << 11,     /* consume: a copy of an IAM grant call that route wrote to
                                        every partition (TW_KAFKA_COPY_HEADER); only the grant
                                        book of each partition reads it (detect/grants.h) */
};

/* Top-level record fields that the event holds as strings (tw_event.str_fields, .odd_fields):
 * which were present, so that a rule tells an empty string from an absent field or a null. */
enum {
    TW_EVF_EVENT_NAME = 1u << 0,
    TW_EVF_EVENT_SOURCE = 1u << 1,
    TW_EVF_REGION = 1u << 2,
    TW_EVF_ERROR_CODE = 1u << 3,
    TW_EVF_SOURCE_IP = 1u << 4,
    TW_EVF_USER_AGENT = 1u << 5,
    TW_EVF_EVENT_ID = 1u << 6,
};

/* Where a record came from: orders ties, names the place in errors, and (Kafka) commits. */
typedef struct tw_origin {
    uint32_t input; /* index of the input (file order) or partition */
    uint32_t pad_;
    uint64_t record; /* record index within the input, or Kafka offset */
} tw_origin;

typedef struct tw_event {
    int64_t time_ms;        /* eventTime, UTC */
    uint64_t identity_hash; /* shard key, hash of identity */
    uint64_t seq;           /* position in the merged stream, set by the router */
    tw_origin origin;
    uint32_t action_id; /* catalog index, or TW_ACTION_UNKNOWN */
    uint32_t classes;   /* TW_CLASS_* */
    uint16_t level;     /* TW_LEVEL_* */
    uint8_t kind;       /* tw_kind */
    uint16_t flags;     /* TW_EV_* */
    uint8_t str_fields; /* TW_EVF_*: present as a JSON string, "" included */
    uint8_t odd_fields; /* TW_EVF_*: present as null or another type (its string is empty:
                         * rules read such a field from the record's JSON) */
    tw_str identity;    /* the identity key (DESIGN §3) */
    tw_str action;      /* "service:Name" */
    tw_str event_id;
    tw_str event_name;
    tw_str event_source;
    tw_str account; /* recipientAccountId, else userIdentity.accountId */
    tw_str region;
    tw_str user_type;     /* userIdentity.type */
    tw_str principal_arn; /* userIdentity.arn as given (the session ARN for roles) */
    tw_str session_name;
    tw_str access_key;
    tw_str source_ip;
    tw_str user_agent;
    tw_str error_code;
    tw_str request_params; /* raw JSON text of requestParameters */
    tw_str model_id;       /* Bedrock modelId, when present */
    const uint32_t *rules; /* detection rules the event matched (rule indices, ascending), */
    uint32_t n_rules;      /* set on the parser's thread by the rule evaluator */
    const struct tw_corr_value *corr_values; /* correlations with fields it feeds (the
                                              * detections' own type: detect/rules.h) */
    uint32_t n_corr_values;
    const struct tw_grant_op *grant_op; /* an IAM call that grants or revokes (detect/grants.h) */
    /* Audit destinations (DESIGN §4), as ingest_audit.h's hashes, so the router touches no
     * string: what a successful naming call names, and what a candidate deletion deletes
     * with the rules it matches if that is a destination (logging-control). */
    const uint64_t *audit_names;
    uint64_t audit_target;
    const uint32_t *rules_if_audit;
    uint32_t n_rules_if_audit;
    uint32_t n_audit_names;
    uint16_t source; /* consume: the partition it came from (+1; 0 none), set by the router */
    int64_t stream_start_ms; /* the event time its stream covers from (replay: the stream's
                              * first record, or the restored state's; consume: its
                              * partition's), set by the router (INT64_MIN: unknown) */
} tw_event;

#define TW_ACTION_UNKNOWN UINT32_MAX

#endif
