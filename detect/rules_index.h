/* rules_index: which detection rules an event can meet. Built once from a finished ruleset:
 * from each rule's condition, the set of values of `action`, `eventName` or `eventSource`
 * that the rule requires (case aside); the rule is listed under each of them, and a rule
 * that requires none is a candidate for every event of its log source. A lookup merges the
 * lists an event's three names hit, so the candidates come out in rule load order and the
 * findings deterministically.
 *
 * What a condition requires: a match on one of those fields whose values are all plain
 * equalities (EQ) requires those values; a group (a map) requires what any of its matches
 * requires (the intersection when several do); a selection, an OR, requires the union of
 * what every branch requires, and nothing when one branch requires nothing; an AND the
 * intersection of what its kids require. NOT requires nothing, nor do other ops (wildcards,
 * `re`, `null`, ...) or `all` over several values. A rule is listed under the first of
 * action, eventName, eventSource that yields a requirement. A requirement that no value meets
 * (`eventName: A` and `eventName: B`) makes a rule that no event meets.
 *
 * A rule that requires no name is prefiltered when it can be (rules_prefilter.h): it requires
 * one of a few literals in the record's JSON text, and tw_rules_index_lookup_event lists it
 * only for a record that holds one. Without the record (tw_rules_index_lookup) it is listed
 * for every event, as a rule that requires nothing is.
 *
 * Who calls it: the detect engine, per event, before tw_rules_eval_rule on each candidate.
 * Read-only once built: share it between workers. */
#ifndef RULES_INDEX_H
#define RULES_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"
#include "tw_err.h"
#include "tw_event.h"
#include "tw_str.h"

#define TW_RULES_INDEX_ATOMS 64 /* distinct prefilter literals a log source may have */

typedef struct tw_rules_index tw_rules_index;

/* Indexes every detection rule of rs (finished); correlation rules are left out. TW_OK or
 * TW_ERR_NOMEM (*ix NULL). The index copies what it keeps: rs may go first. */
tw_err tw_rules_index_new(const tw_ruleset *rs, tw_rules_index **ix);
/* The same, with prefilter false: no rule is prefiltered (tests compare the two). */
tw_err tw_rules_index_new_ex(const tw_ruleset *rs, bool prefilter, tw_rules_index **ix);
void tw_rules_index_destroy(tw_rules_index *ix); /* NULL-safe */

/* The size of a lookup's `out`: the most candidates it can return, and room for its work. */
uint32_t tw_rules_index_capacity(const tw_rules_index *ix);

/* The detection rules (indices into the ruleset, ascending) that an event of `source`
 * (TW_SOURCE_CLOUDTRAIL or TW_SOURCE_BEDROCK) with these names can match; any name may be
 * empty (absent). Writes them to out (tw_rules_index_capacity entries) and returns how many.
 * Allocates nothing. */
uint32_t tw_rules_index_lookup(const tw_rules_index *ix, tw_rule_source source, tw_str event_name,
                               tw_str event_source, tw_str action, uint32_t *out);

/* The candidates for the event ev whose record's JSON text is raw: as tw_rules_index_lookup
 * for ev's names and log source, but a prefiltered rule only when raw holds one of its
 * literals (or a \u escape; or raw is empty). Adds to *skipped (may be NULL) the prefiltered
 * rules left out. */
uint32_t tw_rules_index_lookup_event(const tw_rules_index *ix, const tw_event *ev, tw_str raw,
                                     uint32_t *out, uint32_t *skipped);

typedef struct tw_rules_index_stats {
    uint32_t rules;       /* detection rules */
    uint32_t indexed;     /* candidates only for the names they require */
    uint32_t always;      /* candidates for every event of their log source... */
    uint32_t prefiltered; /* ...of which these, only for records holding a literal of theirs */
    uint32_t never;       /* require what no event has: never candidates */
    uint32_t keys;        /* distinct (log source, field, name) keys */
} tw_rules_index_stats;

void tw_rules_index_stats_get(const tw_rules_index *ix, tw_rules_index_stats *stats);

#endif
