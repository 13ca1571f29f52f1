/* baseline: an identity's profile of its own calls (DESIGN §5), what drift is measured
 * against: the services, action classes and privileged actions it used, and the regions,
 * Bedrock models and source networks it used them from.
 *
 * Fixed size (TW_BASELINE_BYTES), in the identity's record; when its past becomes known
 * follows from its first-seen time and the stream's start (tw_baseline_known_from). Each
 * kind of value has a small exact set (values kept as 32-bit hashes, or catalog indices for
 * actions); past it, values go to one 512-bit Bloom sketch shared by all kinds. Membership is
 * exact while a set has room (up to a hash collision, one in four billion a pair), and
 * approximate after: a value never seen may read as seen (false "routine": a missed first
 * use, about 2% with 50 values in the sketch), never the other way round. Classes are exact
 * always (a bit each).
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

#define TW_BASELINE_MAX_SERVICES 12
#define TW_BASELINE_MAX_PRIVILEGED 8
#define TW_BASELINE_MAX_REGIONS 6
#define TW_BASELINE_MAX_MODELS 6
#define TW_BASELINE_MAX_NETWORKS 8
#define TW_BASELINE_SKETCH_WORDS 8 /* 512 bits */

typedef struct tw_baseline {
    uint32_t classes;        /* TW_CLASS_* of its successful calls */
    uint8_t n[TW_BASELINE_KINDS_];
    uint8_t overflow;        /* bit per kind: some of its values are in the sketch only */
    uint16_t pad_;
    uint32_t services[TW_BASELINE_MAX_SERVICES];
    uint32_t privileged[TW_BASELINE_MAX_PRIVILEGED];
    uint32_t regions[TW_BASELINE_MAX_REGIONS];
    uint32_t models[TW_BASELINE_MAX_MODELS];
    uint32_t networks[TW_BASELINE_MAX_NETWORKS];
    uint64_t sketch[TW_BASELINE_SKETCH_WORDS];
} tw_baseline;

#define TW_BASELINE_BYTES sizeof(tw_baseline)

/* Learning (DESIGN §5): from which event time an identity first seen at first_ms has a known
 * past, in a stream that has covered event time since start_ms (its first event, or that of
 * the state it restored): one first seen within the stream's first learn_ms is known once
 * observed that long; one first seen later is new, its empty past known at once. */
int64_t tw_baseline_known_from(int64_t first_ms, int64_t start_ms, int64_t learn_ms);

/* The value of kind `kind` an event carries: false when it has none (no model id, no
 * source, an action outside the catalog or not privileged). */
bool tw_baseline_value(tw_baseline_kind kind, const tw_event *ev, uint32_t *value);

/* Whether the baseline holds value (of kind) / every one of the class bits. */
bool tw_baseline_has(const tw_baseline *b, tw_baseline_kind kind, uint32_t value);
static inline bool tw_baseline_has_classes(const tw_baseline *b, uint32_t classes)
{
    return (b->classes & classes) == classes;
}

/* Learns an event of the identity (see above for what counts). */
void tw_baseline_learn(tw_baseline *b, const tw_event *ev);

/* Whether saved bytes make a baseline (counts within their sets): checkpoints. */
bool tw_baseline_valid(const tw_baseline *b);

/* How many values of a kind it holds exactly, and whether more went to the sketch. */
static inline uint32_t tw_baseline_count(const tw_baseline *b, tw_baseline_kind kind,
                                         bool *overflow)
{
    *overflow = (b->overflow >> kind) & 1u;
    return b->n[kind];
}

#endif
