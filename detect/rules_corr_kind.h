/* rules_corr_kind: what the rules' runtime files share (rules_run.c runs the detector,
 * rules_plan.c plans the correlations, one rules_corr_<kind>.c a correlation kind): the state
 * an identity holds for the rules, and the table of correlation kinds, one row a kind with
 * what the loader checks (its keys) and what the runtime does (its plan, its step, its
 * periods). A new kind is an enum value (rules.h), a file with its row, and its place in
 * rules_corr_kinds.c. Not for other modules: they read rules_run.h. */
#ifndef RULES_CORR_KIND_H
#define RULES_CORR_KIND_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "detect_evidence.h"
#include "rules_internal.h"
#include "rules_run.h"
#include "state_sparse.h"

/* Bumped when what saved state means changes without a rule changing (2: identity kinds
 * renumbered, aws-service added; kept events hold the resource; 3: the baseline, quiet
 * periods of the rules' own events) */
#define TW_RULES_STATE_FORMAT 3
#define CORR_MAX_RULES 32  /* named rules of a temporal correlation */
#define CORR_MAX_RING 128  /* count thresholds: the ring holds that many times */
#define CORR_MAX_KEPT 4    /* evidence events a correlation keeps */
#define FIRST_SEEN_START 4 /* values a first_seen remembers at first, and grows by, up to */
#define FIRST_SEEN_MAX 64

/* What every identity's record holds for the rules. */
typedef struct rules_slot {
    tw_sparse *sp;
} rules_slot;

/* The identity's baseline (uses_baseline) is an entry of its sparse state, sized to what it
 * does (state/baseline.h): a key no rule's state has. */
#define BASELINE_KEY (((uint64_t)0x7fffu << 32) | 0xffffffffu)

/* The baseline as it is (NULL: none yet). A pointer into the block: valid until the next
 * get or resize on it. */
static inline const tw_baseline *find_baseline(const rules_slot *slot)
{
    return tw_sparse_find(slot->sp, BASELINE_KEY, NULL);
}

/* A detection rule's suppression. */
typedef struct suppress_slot {
    int64_t last_ms;
    int64_t fired;
} suppress_slot;

/* One correlation's state for one group: then t[] (ring, times per rule, or first_seen's
 * start then its value hashes), then the kept evidence events at plan->kept_off. Small: an
 * identity holds one per correlation it has met. */
typedef struct corr_state {
    int64_t last_fired_ms;
    uint32_t set;     /* temporal kinds: bit k = step/rule k has a time */
    uint8_t ring_pos; /* rings hold at most CORR_MAX_RING, value sets FIRST_SEEN_MAX */
    uint8_t ring_count;
    uint8_t fired;
    uint8_t pad_;
    int64_t t[];
} corr_state;
_Static_assert(sizeof(corr_state) == 16, "the state header stays small");
_Static_assert(CORR_MAX_RING <= 255 && FIRST_SEEN_MAX <= 255, "ring positions fit a byte");

static inline uint64_t sparse_key(uint32_t rule, uint32_t group)
{
    return ((uint64_t)rule << 32) | group;
}

/* A finding raised under a suppression period, and the matching events the period has held
 * back since: they update the finding (tw_finding.update) when the next finding of the rule
 * and group is raised, or at the end of a replay. Its own sparse entry, beside the rule's. */
#define REPEAT_KEY_BIT 0x8000u /* in the rule half of the key (rules < TW_RULES_MAX) */
_Static_assert(TW_RULES_MAX <= REPEAT_KEY_BIT, "repeat keys stay apart from rule keys");

typedef struct repeat_slot {
    uint64_t seq; /* the finding's event (where its update goes at the end) */
    int64_t fired_ms;
    int64_t last_ms; /* the last repeat */
    uint32_t repeats;
    uint8_t severity;
    uint8_t kind;
    uint8_t pad_[2];
    char uid[32];
} repeat_slot;

static inline uint64_t repeat_key(uint32_t rule, uint32_t group)
{
    return sparse_key(rule | REPEAT_KEY_BIT, group);
}

static inline tw_kept_event *kept(const tw_corr_plan *plan, corr_state *st, uint32_t i)
{
    return (tw_kept_event *)((unsigned char *)st + plan->kept_off) + i;
}

/* What one event brings to the correlations: the detection rules it matched, and the
 * correlations that held on it so far (those named run first). */
typedef struct corr_event {
    const tw_event *ev;
    uint64_t *held;         /* bitset by rule index */
    const tw_ident *ident;  /* the identity (NULL for a group across identities) */
    const rules_slot *slot; /* its state: its baseline is learnt after the correlations */
    const tw_catalog *cat;  /* for kept events */
} corr_event;

/* The result of one step: whether the condition holds, and what to say. */
typedef struct corr_result {
    bool holds;
    bool routine; /* first_seen: the value was there already (routine_level) */
    const tw_kept_event *earlier[CORR_MAX_KEPT];
    uint32_t n_earlier;
    char detail[200];
    tw_kept_event prev; /* a copy the evidence may point at (the counts' previous event) */
} corr_result;

/* One step of a correlation on one event, in the state of one group. */
typedef struct corr_step {
    const tw_corr_plan *plan;
    const tw_corr *corr;
    corr_state *st;   /* a kind that grows its state puts the new address here */
    bool created;     /* the state was made for this event */
    rules_slot *slot; /* the identity's (or the group record's) */
    uint64_t key;     /* the state's key in slot */
    const corr_event *ce;
    const tw_corr_value *cv; /* the parser's hashed values, when plan->needs_values */
    bool shared;             /* the group spans identities */
} corr_step;

/* The keys of a `correlation:` block, as bits (the loader, rules_corr.c). */
enum {
    K_TYPE = 1u << 0,
    K_RULES = 1u << 1,
    K_GROUP_BY = 1u << 2,
    K_TIMESPAN = 1u << 3,
    K_CONDITION = 1u << 4,
    K_GENERATE = 1u << 5,
    K_FIELD = 1u << 6,
    K_BASELINE = 1u << 7,
    K_TRIGGER = 1u << 8,
    K_ALIASES = 1u << 9,
    K_QUIET = 1u << 10,
};

typedef struct corr_kind {
    const char *name;        /* as a rule writes it */
    unsigned keys, required; /* the K_* keys it takes, and those it needs */
    bool per_identity;       /* its state is an identity's (no group across identities) */
    bool drift;              /* compares with the identity's past: trailwarden.learning's
                              * default is on */
    /* Fills what a group's state needs (plan->ring, plan->n_kept, ...) and *t_slots, the
     * int64 words after the state's header; false when replay cannot evaluate it. */
    bool (*plan)(tw_rules_rt *rt, tw_corr_plan *plan, const tw_corr *corr, uint32_t *t_slots);
    /* One event: res->holds, res->detail, res->earlier; routine for a value already seen. */
    void (*step)(corr_step *cs, corr_result *res);
    /* The once-per period when the rule gives no suppress (0: every time it holds). */
    int64_t (*period)(const tw_corr *corr);
    /* How long its state must outlive an identity's last event. */
    int64_t (*horizon)(const tw_corr *corr);
} corr_kind;

/* The plan of every correlation of rt (rules_plan.c): rt->plan, corr_order, field_corrs. */
tw_err rules_plan(tw_rules_rt *rt);
void rules_plan_free(tw_rules_rt *rt);

/* The row of a kind (NULL outside the enum). */
const corr_kind *rules_corr_kind(tw_corr_type type);

extern const corr_kind rules_corr_event_count, rules_corr_value_count, rules_corr_temporal,
    rules_corr_temporal_ordered, rules_corr_baseline_then_trigger, rules_corr_first_seen,
    rules_corr_quiet_then_trigger;

/* ---- helpers of the kinds (rules_corr_kinds.c) ---- */

/* Whether the event (or, for a correlation, this very event's run) matched rule. */
bool rules_event_matched(const tw_event *ev, const tw_rule *rule);
bool rules_matched(const corr_event *ce, const tw_rule *rule);
bool rules_any_matched(const corr_event *ce, const tw_corr *corr);
/* "90s", "15m", "24h", "7d": the largest unit that divides the duration. */
const char *rules_duration_text(int64_t ms, char *buf, size_t size);
/* "read or write" (every bit named), "read, write" (list) */
void rules_class_words(uint32_t bits, char *buf, size_t size);
void rules_class_list(uint32_t bits, char *buf, size_t size);
int64_t rules_period_timespan(const tw_corr *corr);
int64_t rules_period_none(const tw_corr *corr);

#endif
