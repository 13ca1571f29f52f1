/* tw_finding: what a detector reports, before encoding. Views point into the triggering
 * event's batch or the identity's state: a finding is encoded (outputs/) right where it is
 * raised, by the worker that raised it, and not kept. */
#ifndef TW_FINDING_H
#define TW_FINDING_H

#include <stdint.h>

#include "tw_event.h"
#include "tw_str.h"

#define TW_FINDING_MAX_EVIDENCE 8

/* OCSF severity_id */
typedef enum tw_severity {
    TW_SEV_INFO = 1,
    TW_SEV_LOW = 2,
    TW_SEV_MEDIUM = 3,
    TW_SEV_HIGH = 4,
    TW_SEV_CRITICAL = 5,
} tw_severity;

const char *tw_severity_name(tw_severity sev);

typedef struct tw_rule_meta {
    const char *id; /* the contract: DESIGN §5 */
    const char *title;
    const char *description;
    const char *author; /* the rule's `author` (credited in OCSF findings), or NULL */
    const char *type;   /* "correlation", "baseline", ... (rules list) */
    tw_severity severity;
    const char *const *types; /* OCSF finding_info.types, NULL-terminated */
} tw_rule_meta;

typedef struct tw_evidence {
    int64_t time_ms;
    tw_str event_id;
    tw_str action;
    tw_str error_code;
    tw_str resource; /* what the call acted on (schema_resource.h), or empty */
} tw_evidence;

typedef struct tw_finding {
    const tw_rule_meta *rule;
    const tw_event *ev;    /* the triggering event */
    tw_kind kind;          /* the identity's kind */
    int64_t first_seen_ms; /* earliest evidence */
    tw_evidence evidence[TW_FINDING_MAX_EVIDENCE];
    uint32_t n_evidence;
    char summary[320]; /* one sentence: what happened */
    tw_str details;    /* optional: a JSON object of the detection's own facts (OCSF
                                `unmapped`, compact `details`) */
    /* An update of an earlier finding (OCSF activity Update): how many matching events there
     * were in all, the earlier finding's and those its suppression period held back. ev is
     * then NULL; these say what the record needs. */
    bool update;
    uint32_t count;
    int64_t last_seen_ms; /* the last event held back (first_seen_ms: the finding's) */
    const char *uid;      /* the earlier finding's uid */
    tw_str identity;      /* its identity key */
    bool has_order;       /* order_seq places it in the output instead of the current event */
    uint64_t order_seq;
} tw_finding;

/* finding_info.uid: hash of (rule id, identity key, triggering eventID), 32 hex digits. */
void tw_finding_uid(const char *rule_id, tw_str identity, tw_str event_id, char out[33]);

#endif
