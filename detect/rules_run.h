/* rules_run: the compiled rules at run time. One tw_rules_rt is built from a loaded ruleset
 * and shared, read-only, by every thread: the parser threads evaluate detection rules through
 * `eval` and `index` (detect/rules_match.c holds that hook, next to the record's JSON), and
 * each worker runs tw_detect_rules, the detector that turns matched rules into findings and
 * runs the correlations in per-identity state (rules_run.c). */
#ifndef RULES_RUN_H
#define RULES_RUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "detect.h"
#include "schema_catalog.h"
#include "rules.h"
#include "rules_eval.h"
#include "rules_index.h"

#define TW_RULES_MAX 4096 /* rules in one run */

/* How one correlation rule runs (rules_run.c). */
typedef struct tw_corr_plan {
    bool run;            /* replay evaluates it */
    bool every_event;    /* it considers every event of the group (no `rules`) */
    bool deps_every;     /* ...or does through a correlation it names */
    bool extra_group;    /* group-by names fields besides identity.key */
    bool shared;         /* ...and not identity.key: one state per group, across
                                identities, in a record of its own (tw_rules_group_key) */
    bool needs_values;   /* the parser gathers a tw_corr_value for it */
    uint32_t ring;       /* count threshold, baseline min_events, first_seen capacity */
    uint32_t n_kept;     /* evidence events kept in its state */
    uint32_t kept_off;   /* their offset in the state */
    uint32_t bytes;      /* state bytes, per identity (and group) that needs them */
    uint8_t baseline;    /* first_seen read from the identity's baseline (no value set
                                of its own): 0 no, PLAN_BASELINE_CLASSES, or
                                PLAN_BASELINE_KIND + tw_baseline_kind */
    uint32_t class_mask; /* first_seen on action.class: the classes it compares (those
                                its rules select on; every class when they select none) */
    uint64_t *deps;      /* detection rules feeding it, transitively (bitset by index) */
} tw_corr_plan;

enum { PLAN_BASELINE_CLASSES = 1, PLAN_BASELINE_KIND = 2 };

typedef struct tw_rules_rt {
    tw_ruleset *rs;
    const tw_catalog *catalog; /* what kept evidence events name actions by (may be NULL) */
    tw_rules_eval *eval;
    tw_rules_index *index;
    uint32_t n_rules;
    uint32_t n_detections;   /* detection rules that raise findings */
    uint32_t n_correlations; /* correlation rules loaded */
    tw_rule_meta *meta;      /* per rule */
    const char ***types;     /* per rule: OCSF finding types, NULL-terminated */
    tw_corr_plan *plan;      /* per rule (correlations only) */
    uint32_t *corr_order;    /* the correlations that run, those they name first */
    uint32_t n_corr_run;     /* (those grouped by identity) */
    uint32_t n_shared_run;   /* correlations grouped across identities that run */
    uint32_t *field_corrs;   /* the runs that read fields on the parser's thread */
    uint32_t n_field_corrs;
    bool corr_every_event; /* some correlation reads every event, matched or not */
    bool uses_baseline;    /* a first_seen reads the identity's baseline: every identity's
                                record holds one (state/baseline.h), learnt from each event */
    /* per rule: evaluations in which a regular expression hit PCRE2's limits (counted as no
     * match; --stats rules.match_limit.ID), from every parser thread */
    _Atomic uint64_t *match_limit;
} tw_rules_rt;

/* Whether rule i raises findings in replay (a detection with a level, or a correlation that
 * runs and has one). */
bool tw_rules_raises(const tw_rules_rt *rt, uint32_t i);

/* The severity of rule's finding triggered by ev: level (or that of the first level_if rule
 * the event matched), denied_level for a denial, failed_level (default: at most low) for a
 * call that failed otherwise (DESIGN §5). */
tw_severity tw_rules_severity(const tw_rule *rule, const tw_event *ev);

/* Whether rule waits for an identity's past to be known (trailwarden.learning, DESIGN §5). */
bool tw_rules_learns(const tw_rule *rule);

/* The state store's key for the group `group` of correlation `rule` grouped across
 * identities, written in buf (TW_RULES_GROUP_KEY bytes at least), and its hash. Such a
 * group's state is a record of the store like an identity's; the key cannot be one. */
#define TW_RULES_GROUP_KEY 48
tw_str tw_rules_group_key(uint32_t rule, uint64_t group, char *buf, uint64_t *hash);

/* A hash of what saved rule state means (rule ids, kinds, state layouts, the build): a
 * checkpoint written under another is not restored. */
uint64_t tw_rules_fingerprint(const tw_rules_rt *rt);

/* Takes a finished ruleset with no problem (it is destroyed with the runtime, also on
 * failure). cat: the catalog events are resolved with, which must outlive the runtime (kept
 * evidence names actions by its index; NULL keeps them as text). TW_ERR_NOMEM, or TW_OK. */
tw_err tw_rules_rt_new(tw_ruleset *rs, const tw_catalog *cat, tw_rules_rt **out);
void tw_rules_rt_destroy(tw_rules_rt *rt); /* NULL-safe */

/* The detector of every rule: findings and correlations (params: the runtime). Its
 * findings carry detector index det->index + rule index. */
extern const tw_detector_ops tw_detect_rules;

#endif
