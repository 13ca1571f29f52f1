/* policy_call: the policy document a call writes or attaches, read (DESIGN §5: policies are
 * read, not grepped), for the rules' virtual fields policy.* (rules_fields.c).
 *
 * Which calls carry which document is one table (policy_call.c): IAM identity policies
 * (Put{Role,User,Group}Policy, CreatePolicy, CreatePolicyVersion: policyDocument), trust
 * policies (CreateRole: assumeRolePolicyDocument; UpdateAssumeRolePolicy: policyDocument), AWS
 * managed policies attached by ARN (Attach{Role,User,Group}Policy: the embedded copy; a
 * customer managed policy's document is not in the call, so nothing is known of it), and
 * resource policies of buckets, keys, queues, topics, secrets, repositories, file systems, Glue
 * catalogs, backup vaults, OpenSearch domains and event buses. What a document says comes from
 * grant tracking's evaluator (grants_policy.h: the privileged actions it grants after its own
 * Denies) and from policy_facts.h (who it lets in, under which conditions).
 *
 * Called on a parser's thread, for the events whose candidate rules read a policy.* field;
 * the reader is read-only and shared, the arena and JSON parser are the caller's. */
#ifndef POLICY_CALL_H
#define POLICY_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "grants_managed.h"
#include "grants_policy.h"
#include "policy_facts.h"
#include "tw_arena.h"
#include "tw_event.h"

typedef struct tw_policy_reader tw_policy_reader;

/* pt and mg must outlive the reader. NULL when out of memory. */
tw_policy_reader *tw_policy_reader_new(const tw_privtab *pt, const tw_managed *mg);
void tw_policy_reader_destroy(tw_policy_reader *pr); /* NULL-safe */

typedef enum tw_call_policy_state {
    TW_CALL_POLICY_NONE = 0, /* the call carries no document the table knows (or an unknown
                                 customer managed policy): every policy.* field is absent */
    TW_CALL_POLICY_READ,     /* read: the fields below hold */
    TW_CALL_POLICY_REFUSED,  /* there, but no policy (not JSON, wrong types, too large,
                                 duplicate members): only policy.unreadable is true */
} tw_call_policy_state;

typedef struct tw_call_policy {
    tw_call_policy_state state;
    tw_policy_facts facts; /* who it lets in (resource and trust policies) */
    bool privileged;       /* it grants a privileged action (DESIGN §4), after its Denies,
                                conditionally or not */
    bool admin;            /* it grants every privileged action of IAM (iam:* or *) on every
                                resource without condition: administrator, or one step from it */
} tw_call_policy;

/* Reads the policy of ev's call from its requestParameters text params (padded: capacity
 * params.len + TW_JSON_PADDING readable, as a record's span is); account: the account of the
 * resource (the record's recipientAccountId). */
void tw_policy_reader_read(const tw_policy_reader *pr, tw_json *js, tw_arena *arena,
                           const tw_event *ev, tw_str params, tw_call_policy *out);

#endif
