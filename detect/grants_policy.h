/* grants_policy: IAM policy documents at action level, over the privileged actions of the
 * catalog (DESIGN §4: permissions, model-training, logging-control, guardrail, credential,
 * iam:PassRole) and its telemetry reads (for training-versus-telemetry rights). A grant's
 * actions are a bitset over this table (tw_privtab), so an identity's grants stay compact
 * whatever the policy's size.
 *
 * Expansion: each statement's Action (or NotAction: every privileged action but those) is
 * matched against the table, wildcards `*` and `?` included, case-insensitively; Allow adds,
 * an unconditional Deny on every resource subtracts. An Allow with a Condition or on some
 * resources only, or an action a conditional Deny may remove, is marked conditional: granted,
 * but maybe not everywhere. */
#ifndef GRANTS_POLICY_H
#define GRANTS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema_catalog.h"
#include "schema_jdom.h"
#include "tw_err.h"
#include "tw_str.h"

#define TW_PRIV_NONE UINT32_MAX

typedef struct tw_privtab tw_privtab;

/* The privileged and telemetry actions of the catalog, with those CloudTrail never records
 * (the embedded rules/unobservable-actions.txt). */
tw_err tw_privtab_new(const tw_catalog *cat, tw_privtab **out);
/* The same over a given unobservable list (tests). */
tw_err tw_privtab_new_from_text(const tw_catalog *cat, const char *unobservable, size_t len,
                                tw_privtab **out);
void tw_privtab_destroy(tw_privtab *pt); /* NULL-safe */

uint32_t tw_privtab_count(const tw_privtab *pt);
uint32_t tw_privtab_words(const tw_privtab *pt); /* uint64_t words of one set */
/* The table index of a catalog action id, or TW_PRIV_NONE. */
uint32_t tw_privtab_index(const tw_privtab *pt, uint32_t action_id);
/* By name, "service:Name" (case-insensitive), or TW_PRIV_NONE. */
uint32_t tw_privtab_find(const tw_privtab *pt, tw_str name);
tw_str tw_privtab_name(const tw_privtab *pt, uint32_t i);
bool tw_privtab_unobservable(const tw_privtab *pt, uint32_t i);
uint32_t tw_privtab_classes(const tw_privtab *pt, uint32_t i); /* TW_CLASS_* */
uint32_t tw_privtab_passrole(const tw_privtab *pt);            /* iam:PassRole's index */

/* What a policy grants, as sets of tw_privtab_words words each. */
typedef struct tw_policy_grant {
    uint64_t *allowed;     /* granted */
    uint64_t *conditional; /* of those, granted only under a condition or on some resources */
    uint64_t *denied;      /* denied on every resource without condition: removed from what
                              * the identity's other policies grant (DESIGN §5); NULL: not
                              * wanted */
} tw_policy_grant;

/* Expands a policy document: an object, or a string holding one (JSON, or URL-encoded JSON as
 * older CLIs and inventories give it). The sets must be zeroed by the caller. TW_ERR_PARSE
 * with errstr when it is no policy (not JSON, no Statement, an Effect other than Allow or
 * Deny, an Action that is not a string or list of strings...); TW_ERR_NOMEM. */
tw_err tw_policy_expand_node(const tw_privtab *pt, tw_json *js, const tw_jnode *doc,
                             tw_policy_grant *out, char *errstr, size_t errstr_size);
tw_err tw_policy_expand_text(const tw_privtab *pt, tw_json *js, tw_str text, tw_policy_grant *out,
                             char *errstr, size_t errstr_size);

/* Bitset helpers over n words. */
static inline bool tw_bits_test(const uint64_t *b, uint32_t i)
{
    return (b[i / 64] >> (i % 64)) & 1u;
}
static inline void tw_bits_set(uint64_t *b, uint32_t i)
{
    b[i / 64] |= 1ull << (i % 64);
}
uint32_t tw_bits_count(const uint64_t *b, uint32_t words);

#endif
