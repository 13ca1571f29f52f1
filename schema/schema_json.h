/* schema_json: the C ABI of the one C++ file, a thin wrapper around simdjson On Demand.
 *
 * It parses one JSON document (a line, or a whole file body) and hands each CloudTrail record
 * it holds to a callback as a tw_raw_record of string views. It knows the envelopes
 * (DESIGN §6): a bare record, {"Records":[...]}, a top-level array of records, an EventBridge
 * event ("detail-type" + "detail"), a CloudWatch Logs subscription batch ("logEvents", whose
 * messages are records as JSON strings) and a Bedrock model invocation log record
 * ("schemaType":"ModelInvocationLog"). Normalization (identity key, time, action) is C, in
 * ingest_normalize. One tw_json per thread; it is not shared. */
#ifndef INGEST_JSON_H
#define INGEST_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_err.h"
#include "tw_event.h"
#include "tw_str.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes that must be readable (any value) after a document's end: simdjson reads ahead. */
#define TW_JSON_PADDING 64

typedef enum tw_raw_shape {
    TW_RAW_CLOUDTRAIL = 0,    /* a CloudTrail record (possibly from inside an envelope) */
    TW_RAW_INVOCATION_LOG = 1 /* a Bedrock model invocation log record */
} tw_raw_shape;

/* Fields that were present with a JSON type other than the one expected. */
enum {
    TW_RAW_BAD_EVENT_TIME = 1u << 0,
    TW_RAW_BAD_EVENT_NAME = 1u << 1,
    TW_RAW_BAD_EVENT_SOURCE = 1u << 2,
    TW_RAW_BAD_USER_IDENTITY = 1u << 3,
    TW_RAW_BAD_OTHER = 1u << 4,
};

/* Views are valid only during the callback (they point into the parser's buffers). */
typedef struct tw_raw_record {
    tw_raw_shape shape;
    uint32_t bad_types;  /* TW_RAW_BAD_* */
    uint32_t envelope;   /* 0 bare, 1 Records, 2 array, 3 EventBridge, 4 CloudWatch Logs */
    uint64_t doc_offset; /* byte offset of the record within the document */
    uint64_t size;       /* bytes of the record's JSON text, when known (else 0) */
    tw_str event_time;   /* eventTime; "@timestamp" when eventTime is missing */
    tw_str event_source;
    tw_str event_name;
    tw_str event_type; /* eventType, e.g. AwsApiCall, AwsCloudTrailInsight */
    tw_str event_id;
    tw_str aws_region;
    tw_str recipient_account;
    tw_str source_ip;
    tw_str user_agent;
    tw_str error_code;
    tw_str session_from_console; /* top-level sessionCredentialFromConsole */
    /* userIdentity */
    tw_str ui_type;
    tw_str ui_arn;
    tw_str ui_principal_id;
    tw_str ui_account_id;
    tw_str ui_access_key_id;
    tw_str ui_user_name;
    tw_str ui_invoked_by;
    tw_str issuer_type; /* userIdentity.sessionContext.sessionIssuer.* */
    tw_str issuer_arn;
    tw_str issuer_user_name;
    tw_str source_identity; /* userIdentity.sessionContext.sourceIdentity */
    /* raw JSON text spans */
    tw_str raw;            /* the record's own JSON text, '{' to '}', inside the document */
    tw_str request_params; /* requestParameters */
    tw_str model_id;       /* the invocation log's modelId (the parser looks up
                             * requestParameters.modelId of Bedrock calls) */
    uint8_t bearer_token;  /* additionalEventData.callWithBearerToken is true */
    uint8_t read_only;     /* readOnly: TW_RAW_UNSET, TW_RAW_FALSE or TW_RAW_TRUE */
    uint8_t mfa;           /* userIdentity.sessionContext.attributes.mfaAuthenticated, the same */
    uint8_t str_fields;    /* tw_event.h's TW_EVF_*: top-level fields present as strings */
    uint8_t odd_fields;    /* TW_EVF_*: present as null or another JSON type */
} tw_raw_record;

/* A boolean that a record may leave out, as JSON true/false or the strings "true"/"false". */
enum { TW_RAW_UNSET = 0, TW_RAW_FALSE = 1, TW_RAW_TRUE = 2 };

/* A problem with a document: what, and where (byte offset within the document). */
typedef struct tw_json_error {
    const char *reason; /* counter-friendly: "not_json", "utf8", "depth", "not_object", ... */
    char message[160];  /* human-readable */
    uint64_t offset;
} tw_json_error;

typedef struct tw_json tw_json;

/* Return non-zero from the callback to stop iterating the document. */
typedef int (*tw_json_record_cb)(void *ud, const tw_raw_record *rec);

tw_json *tw_json_new(void);
void tw_json_destroy(tw_json *js); /* NULL-safe */

/* Parses buf[0..len); buf must have TW_JSON_PADDING readable bytes after len (capacity).
 * Records are passed to cb in document order. Returns TW_OK, or TW_ERR_PARSE with err filled
 * (records passed before the error still count: they were already handed over). */
tw_err tw_json_parse(tw_json *js, const char *buf, size_t len, size_t capacity,
                     tw_json_record_cb cb, void *ud, tw_json_error *err);

typedef enum tw_json_vtype {
    TW_JV_NULL = 1,
    TW_JV_BOOL,
    TW_JV_NUMBER,
    TW_JV_STRING,
    TW_JV_OBJECT, /* an object at the end of the path; text: its compact JSON (no blanks,
                   * strings and keys written again with only '"', '\\' and controls escaped) */
    TW_JV_ARRAY,  /* tw_json_walk only */
} tw_json_vtype;

/* One value found by tw_json_lookup; text is valid during the callback only. */
typedef struct tw_json_value {
    tw_json_vtype type;
    tw_str text; /* STRING: unescaped; NUMBER: as written; BOOL: "true"/"false" */
    double number;
    bool boolean;
} tw_json_value;

typedef void (*tw_json_value_cb)(void *ud, const tw_json_value *value);

/* The values at a dotted path (its segments in path[]) of the JSON text (padded as for
 * tw_json_parse), e.g. a record's raw span: arrays along the way are walked, each element
 * with the rest of the path, so "resources.ARN" yields every resource's ARN. An array at the
 * end yields its elements; an object there yields one TW_JV_OBJECT with its compact text. Keys
 * written with escapes match as their unescaped text (RFC 8259). Returns how many values were
 * found, or -1 when the text is not JSON. Safe to call from inside a tw_json_parse callback
 * on the same tw_json (it has a parser of its own). */
int tw_json_lookup(tw_json *js, const char *text, size_t len, size_t capacity, const tw_str *path,
                   uint32_t n_path, tw_json_value_cb cb, void *ud);

/* tw_json_walk: every value of a document in order, for readers of whole documents (an IAM
 * inventory, a policy document). An object or array is announced (value.type TW_JV_OBJECT or
 * TW_JV_ARRAY), then come its members, then an item with `end` set. Members of an object
 * carry their key (unescaped). Views are valid during the callback only. */
typedef struct tw_json_walk_item {
    tw_json_value value;
    bool end; /* the end of the innermost open object or array */
    bool has_key;
    tw_str key;
    uint64_t offset; /* of the value in the text */
    uint32_t depth;  /* 0 for the root */
} tw_json_walk_item;
typedef int (*tw_json_walk_cb)(void *ud, const tw_json_walk_item *item);
/* Walks text[0..len) (padded as for tw_json_parse), nesting at most max_depth. Returns TW_OK;
 * TW_ERR_PARSE with err filled (reason, message, offset) when the text is not one JSON value,
 * is invalid UTF-8 or nests deeper; TW_ERR_STOPPED when cb returned non-zero. */
tw_err tw_json_walk(tw_json *js, const char *text, size_t len, size_t capacity, uint32_t max_depth,
                    tw_json_walk_cb cb, void *ud, tw_json_error *err);

/* Whether this machine runs the AVX2 kernel (the bench's floor parses with the same one). */
bool tw_json_haswell(void);

#ifdef __cplusplus
}
#endif

#endif
