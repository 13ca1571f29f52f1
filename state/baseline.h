/* baseline: an identity's profile of its own calls (DESIGN §5), what drift is measured
 * against: the services, action classes and privileged actions it used, and the regions,
 * Bedrock models and source networks it used them from.
 *
 * Sized to what the identity does: a header and its values, growing 4 values at a time (the
 * caller grows it: it lives in the identity's sparse state, state_sparse.h), so an identity
 * that made one kind of call costs 32 bytes. Values are 29-bit hashes (catalog indices for
 * privileged actions) tagged with their kind, held exactly up to TW_BASELINE_MAX_VALUES; past
 * it, values go to a 512-bit Bloom sketch. Membership is exact while the values fit (up to a
 * hash collision, one in 500 million a pair) and approximate after: a value never seen may read
 * as seen (a false "routine": a missed first use, about 2% with 50 values in the sketch), never
 * the other way round. Classes are exact always (a bit each). When its past becomes known
 * follows from its first-seen time and the stream's start (tw_baseline_known_from).
 *
 * What is learnt (tw_baseline_learn): the identity's own calls (not those an AWS service makes
 * on its behalf). Services, regions, models and networks from every such call, failed or not
 * (an attempt already shows the scope it reaches for: reported once, not at every retry);
 * classes and privileged actions from calls that succeeded only (a denied fine-tuning attempt
 * does not make a later successful one routine). */
#ifndef BASELINE_H
#define BASELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "tw_event.h"

typedef enum tw_baseline_kind {
    TW_BASELINE_SERVICE = 0, /* eventSource */
    TW_BASELINE_PRIVILEGED,  /* the catalog index of a privileged action */
    TW_BASELINE_REGION,      /* awsRegion */
    TW_BASELINE_MODEL,       /* a Bedrock model id */
    TW_BASELINE_NETWORK,     /* the source's /24 (IPv4) or /48 (IPv6), else its text */
    TW_BASELINE_KINDS_,
} tw_baseline_kind;

#define TW_BASELINE_MAX_VALUES 40 /* held exactly; then the sketch */
#define TW_BASELINE_GROWTH 4
#define TW_BASELINE_SKETCH_BYTES 64

typedef struct tw_baseline {
    uint32_t classes; /* TW_CLASS_* of its successful calls */
    uint32_t last;    /* the values of its last call, hashed: the same again learns
                              * nothing new (most calls repeat the one before) */
    uint16_t n, cap;  /* values held, room for values */
    uint8_t overflow; /* bit per kind: some of its values are in the sketch only */
    uint8_t sketch;   /* the sketch follows the values */
    uint16_t pad_;
    uint32_t v[]; /* kind << 29 | 29-bit value; then the sketch */
} tw_baseline;

/* The bytes of a fresh baseline (zeroed: no value, room for TW_BASELINE_GROWTH). */
#define TW_BASELINE_INITIAL (sizeof(tw_baseline) + TW_BASELINE_GROWTH * sizeof(uint32_t))

/* Learning (DESIGN §5): from which event time an identity first seen at first_ms has a known
 * past, in a stream that has covered event time since start_ms (its first event, or that of
 * the state it restored): one first seen within the stream's first learn_ms is known once
 * observed that long; one first seen later is new, its empty past known at once. */
int64_t tw_baseline_known_from(int64_t first_ms, int64_t start_ms, int64_t learn_ms);

/* Makes zeroed bytes (TW_BASELINE_INITIAL of them) a baseline. */
void tw_baseline_init(tw_baseline *b);

/* The value of kind `kind` an event carries: false when it has none (no model id, no
 * source, an action outside the catalog or not privileged). */
bool tw_baseline_value(tw_baseline_kind kind, const tw_event *ev, uint32_t *value);

/* Whether the baseline (NULL: empty) holds value (of kind) / every one of the class bits. */
bool tw_baseline_has(const tw_baseline *b, tw_baseline_kind kind, uint32_t value);
static inline bool tw_baseline_has_classes(const tw_baseline *b, uint32_t classes)
{
    return b && (b->classes & classes) == classes;
}

/* Learns an event of the identity (see above for what counts). False when it needs more room
 * first: grow it to tw_baseline_grown_size bytes (the new bytes zeroed), tell it with
 * tw_baseline_grown, and learn the event again. */
bool tw_baseline_learn(tw_baseline *b, const tw_event *ev);
uint32_t tw_baseline_grown_size(const tw_baseline *b);
void tw_baseline_grown(tw_baseline *b, uint32_t bytes);

/* Its bytes. */
uint32_t tw_baseline_size(const tw_baseline *b);

/* How many values of a kind it holds exactly, and whether more went to the sketch. */
uint32_t tw_baseline_count(const tw_baseline *b, tw_baseline_kind kind, bool *overflow);

/* Whether saved bytes make a baseline (counts within its room, its size): checkpoints. */
bool tw_baseline_valid(const tw_baseline *b, uint32_t bytes);

#endif
