/* rules_match: the rules' work on the parser's thread, while the record's JSON is in memory: a
 * rule's condition reads record fields the event does not carry, so each parser evaluates the
 * candidate rules the index gives for its events (field values from the normalized event when
 * it has them, else looked up in the record's own JSON span), and writes on the event the
 * indices of the rules that matched, with the hashed field values the correlations they feed
 * will need. The worker that owns the identity turns them into findings and runs the
 * correlations (rules_run.c). */
#ifndef RULES_MATCH_H
#define RULES_MATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "policy_call.h"
#include "rules_eval.h"
#include "rules_run.h"
#include "schema_json.h"
#include "tw_arena.h"
#include "tw_event.h"

/* A parser thread's evaluation context (its scratch: regex match data, field values). */
typedef struct tw_rules_ctx tw_rules_ctx;
/* pr: the reader of the policy.* fields (NULL when no rule reads one). */
tw_rules_ctx *tw_rules_ctx_new(const tw_rules_rt *rt, const tw_policy_reader *pr);
void tw_rules_ctx_destroy(tw_rules_ctx *cx); /* NULL-safe */

/* The parser's event hook (ingest_parse.h's tw_event_hook; ud: the context): evaluates the
 * event's candidate rules; what it writes on the event is allocated from arena. */
void tw_rules_hook(void *ud, tw_event *ev, const tw_raw_record *rec, tw_json *js, tw_arena *arena);

/* Whether the event feeds correlation c: it matched a detection rule that c names, directly
 * or through the correlations c names (or c reads every event). */
bool tw_rules_feeds(const tw_rules_rt *rt, const tw_event *ev, uint32_t c);
/* The hash a correlation keeps of a field value (case-insensitive for text). */
uint64_t tw_rules_value_hash(const tw_field_value *v);
/* For each correlation that reads fields and that the event feeds (at most cap): the hash of
 * its group-by values (other than the identity key) and of its field's first value, with the
 * value's text copied into arena (arena NULL: pointing into src's values). An event without
 * the field gives no value. Returns how many were written to out. */
uint32_t tw_rules_corr_values(const tw_rules_rt *rt, const tw_event *ev, const tw_field_source *src,
                              tw_arena *arena, tw_corr_value *out, uint32_t cap);

#endif
