/* rules_prefilter: a cheap necessary condition for a detection rule that the index cannot key
 * by a name (it requires no action, eventName or eventSource): literals of which at least one
 * must occur in the record's JSON text, ASCII case aside, for the rule to match. A lookup looks
 * for them in the record once, and the rule is evaluated only when one is there; a rule
 * that meets every event without one reads fields out of the record's JSON (a parse of it
 * each), which a scan for a few bytes costs a fraction of.
 *
 * What a rule requires (built like rules_index.h's requirements, and as conservatively):
 * - a value of a record field requires its literal: EQ, CONTAINS, PREFIX, SUFFIX their text,
 *   GLOB its longest literal piece, a case-sensitive REGEX the longest literal run that every
 *   match of it holds (a pattern with alternation, groups or letter escapes gives none); no
 *   other op gives one (null, exists, numbers, booleans, cidr, fieldref, virtual fields);
 * - a literal is cut at the bytes a JSON string may only write as an escape (`"`, `\`,
 *   control bytes), and kept when 3 bytes or more remain; a record holding a `\u` escape
 *   may write any byte of a value as one: it passes always; one holding `\/` passes every
 *   literal with a '/';
 * - a match requires the literals of its values (of any one with `all`), a group the best
 *   of its matches', a selection (or an OR) the union of its groups', an AND the best of
 *   its kids'; NOT, and any branch of an OR that requires nothing, require nothing.
 * - a group with a literal test on a field the normalized event holds (eventName,
 *   userAgent, errorCode, ...) is cheap to evaluate: such a rule gets no prefilter.
 *
 * Who calls it: rules_index.c, when it builds (tw_rules_prefilter_derive, rules_prefilter.c)
 * and per event (tw_rules_prefilter_find, tw_rules_prefilter_escapes: rules_prefilter_scan.c). */
#ifndef RULES_PREFILTER_H
#define RULES_PREFILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"
#include "tw_arena.h"
#include "tw_str.h"

#define TW_PREFILTER_RULE_MAX 8 /* literals one rule may require (any of them) */

/* The literals (lower case, copied into arena) of which rule requires one: true and *n > 0
 * when it has a prefilter; false with *n 0 when it has none. *nomem is set when arena ran out
 * (no prefilter then). */
bool tw_rules_prefilter_derive(const tw_rule *rule, tw_arena *arena,
                               tw_str lits[TW_PREFILTER_RULE_MAX], uint32_t *n, bool *nomem);

/* A literal ready to be looked for: the two of its bytes a scan compares first (the rarest
 * in CloudTrail text), chosen once. */
typedef struct tw_prefilter_lit {
    tw_str text; /* lower case; not copied */
    uint32_t p0, p1;
} tw_prefilter_lit;
void tw_rules_prefilter_lit_init(tw_prefilter_lit *pl, tw_str lit);

/* Whether the literal occurs in text, ASCII case aside. */
bool tw_rules_prefilter_find(tw_str text, const tw_prefilter_lit *pl);

/* The JSON escapes in text that may write a literal's bytes: `\u` any byte, `\/` a '/'. */
enum { TW_PREFILTER_ESC_U = 1, TW_PREFILTER_ESC_SLASH = 2 };
unsigned tw_rules_prefilter_escapes(tw_str text);

#endif
