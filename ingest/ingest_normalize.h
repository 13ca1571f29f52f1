/* ingest_normalize: a raw record (string views from the JSON wrapper) becomes a tw_event:
 * event time in ms, the identity key and kind (DESIGN §3), the action and its classes
 * (DESIGN §4), the denial flag, and copies of the strings into the batch's arena.
 * Pure functions of the record and the read-only configuration: parser threads call them
 * concurrently. */
#ifndef INGEST_NORMALIZE_H
#define INGEST_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "ingest_audit.h"
#include "ingest_batch.h"
#include "schema_catalog.h"
#include "schema_json.h"

#define TW_MAX_RECORD (1u << 20) /* a bare record larger than this is rejected */

typedef struct tw_normalize_conf {
    const tw_catalog *catalog;
    const char *const *agent_patterns; /* extra user-agent / ARN substrings, lower case */
    size_t n_agent_patterns;
    const tw_audit_patterns *audit; /* --audit-log-group, --audit-bucket (NULL: none) */
} tw_normalize_conf;

typedef enum tw_norm_result {
    TW_NORM_EVENT = 0, /* an event was appended to the batch */
    TW_NORM_SKIPPED,   /* valid, but no API call (Insights events) */
    TW_NORM_REJECTED,  /* *reason and why[] say what is wrong */
} tw_norm_result;

tw_norm_result tw_normalize(const tw_normalize_conf *conf, const tw_raw_record *raw,
                            tw_batch *batch, tw_reject *reason, char *why, size_t why_size);

/* The identity key of DESIGN §3, written into out (NUL-terminated); returns its length.
 * Exposed for the unit tests and for the grants module. */
size_t tw_identity_key(const tw_raw_record *raw, char *out, size_t size);

/* The kind of identity the record shows (DESIGN §3). */
tw_kind tw_identity_kind(const tw_normalize_conf *conf, const tw_raw_record *raw);

/* Whether the record was made by an AWS service for the identity (DESIGN §3, on-behalf
 * events): userIdentity.invokedBy (but the console's signin.amazonaws.com, which relays a
 * person's own calls), or a sourceIPAddress of "AWS Internal" or a service host. */
bool tw_on_behalf(const tw_raw_record *raw);

/* The classes of an event: its action's, corrected by the record's readOnly (TW_RAW_*). */
uint32_t tw_classes_of_record(uint32_t action_classes, uint8_t read_only);

/* Whether an errorCode is an authorization denial. */
bool tw_error_is_denial(tw_str code);

#endif
