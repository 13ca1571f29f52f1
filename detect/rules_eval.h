/* rules_eval: evaluation of one detection rule (its condition over its selections) against one
 * event. The evaluator is compiled once from a finished ruleset into a small read-only form
 * (literals lower-cased once, matches ordered cheapest first) and then shared by every worker;
 * evaluating allocates nothing, copies no string and parses nothing but an IP address.
 *
 * Values come through an accessor (tw_field_source), so the evaluator does not care where
 * they live: the parser's projection in a batch, a test's table.
 *
 * Who calls it: the detect engine, per event, for each candidate rule that tw_rules_index
 * returns; per-thread scratch (tw_regex_scratch) is the caller's.
 *
 * Semantics (Sigma's, as rules.h documents the model):
 * - a match holds when any of the field's values satisfies any rule value (every rule value
 *   with `all`; different values of the field may satisfy different rule values);
 * - a group holds when all its matches hold; a selection when any group holds; then the
 *   condition tree. NOT of a selection over an absent field is true.
 * - strings (EQ, CONTAINS, PREFIX, SUFFIX, GLOB, REGEX) apply to a value's text: a STRING's,
 *   a NUMBER's as written, a BOOL's "true"/"false", an OBJECT's compact JSON text (as SIEMs
 *   that keep the record as text do: `requestParameters|contains: Suspended`); never to NULL
 *   or BITS. They
 *   compare ASCII case-insensitively unless `cased`; GLOB's '?' is one UTF-8 character.
 * - CIDR: the text of a STRING is an IPv4 or IPv6 address inside the network (an IPv4-mapped
 *   IPv6 address counts as its IPv4 address and the other way round); anything else, "AWS
 *   Internal" or a host name included, does not match.
 * - NUMBER: a NUMBER of equal value, or a STRING equal to the rule's text (case aside).
 * - BOOL: a BOOL of equal value, or the STRING "true"/"false" (case aside).
 * - NULL: the field is absent or one of its values is null. EXISTS: the field has at least
 *   one value (null and objects included) or, with false, none.
 * - FIELDREF: some value of the field equals some value of the other field: two NUMBERs by
 *   value, two BITS by bits, otherwise by text (case aside); null and objects equal nothing.
 * - BITS: the event's bits and the rule's share a bit. */
#ifndef RULES_EVAL_H
#define RULES_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"
#include "tw_err.h"
#include "tw_str.h"

/* One value of a field in the current event. */
typedef enum tw_fv_type {
    TW_FV_NULL = 1, /* JSON null */
    TW_FV_BOOL,     /* boolean */
    TW_FV_NUMBER,   /* number, and text: the number as written ("1.08", "50") */
    TW_FV_STRING,   /* text: the string, unescaped */
    TW_FV_BITS,     /* bits: action.level, action.class, identity.kind (1u << tw_kind) */
    TW_FV_OBJECT,   /* a JSON object at the end of the path (text: its compact JSON, see
                       * schema_json.h; optional): present for EXISTS, string matchers read its
                       * text, no other matcher matches it */
} tw_fv_type;

typedef struct tw_field_value {
    tw_fv_type type;
    uint32_t bits;
    tw_str text;
    double number;
    bool boolean;
} tw_field_value;

/* The values of `field` in the current event, through *values (owned by the source): 0 when
 * the field is absent; several when the path crosses an array or ends at one (one value an
 * element; an empty array is absent). The array must stay valid, unchanged, until the source
 * moves to another event: FIELDREF holds two fields' values at once.
 *
 * What the integration gives for the virtual fields: ACTION and IDENTITY_KEY as STRING,
 * ACTION_LEVEL / ACTION_CLASS as BITS (TW_LEVEL_*, TW_CLASS_*), IDENTITY_KIND as BITS
 * (1u << tw_kind), ERROR_DENIED as BOOL. An action unknown to the catalog still has its
 * classes (by verb); a level of 0 may be given as BITS 0 (matches no level). */
typedef struct tw_field_source {
    uint32_t (*get)(void *ctx, const tw_field *field, const tw_field_value **values);
    void *ctx;
    /* Optional: the normalized event, whose own virtual fields (action.class, action.level,
     * identity.kind, error.denied, call.on_behalf) are then read from it directly, without get:
     * every event meets rules over them. NULL: everything through get. */
    const struct tw_event *ev;
} tw_field_source;

/* The compiled evaluator of a ruleset's detection rules. Read-only once built: share it. */
typedef struct tw_rules_eval tw_rules_eval;

/* Compiles every detection rule of rs (finished; it must outlive the evaluator). TW_OK or
 * TW_ERR_NOMEM (*rev NULL). */
tw_err tw_rules_eval_new(const tw_ruleset *rs, tw_rules_eval **rev);
void tw_rules_eval_destroy(tw_rules_eval *rev); /* NULL-safe */

/* Whether the detection rule `rule` (of the ruleset rev was built from) matches the event
 * that src reads. A correlation rule never matches here (its state lives elsewhere). scratch:
 * the calling thread's. */
bool tw_rules_eval_rule(const tw_rules_eval *rev, const tw_rule *rule, const tw_field_source *src,
                        tw_regex_scratch *scratch);

#endif
