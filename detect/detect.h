/* detect: the detection engine. Detectors are compiled once into an immutable engine (their
 * per-identity state laid out in the identity record, candidate lists by action class); each
 * worker runs the shared engine over its own shard's identities.
 *
 * A detector is a struct of callbacks and a state size. The shipped detections are rules
 * (rules/sigma), all run by one detector, tw_detect_rules (rules_run.h). */
#ifndef DETECT_H
#define DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"
#include "tw_event.h"
#include "tw_finding.h"
#include "tw_wire.h"

typedef struct tw_detector tw_detector;

/* What a detector knows of the stream it runs on (DESIGN §5, learning); where each event's
 * stream starts, the event says (tw_event.stream_start_ms). */
typedef struct tw_stream_info {
    int64_t learn_ms; /* --learn: how long an identity must be observed for its past to be
                        * known, when the stream's start may have cut it */
} tw_stream_info;

/* Where a detector sends findings (the worker's encoder), and what it knows of the stream. */
typedef struct tw_emit {
    void (*fn)(void *ud, const tw_finding *finding, uint32_t detector_index);
    void *ud;
    const tw_stream_info *stream; /* NULL: every identity's past is known */
    uint64_t *held_learning;      /* by detector index: findings a drift rule held back while
                                   * an identity's past was unknown or its history short;
                                   * NULL: not counted */
    uint64_t *held_repeats;       /* by detector index: matching events a suppression period
                                   * held back (their count updates the finding); NULL: not
                                   * counted */
} tw_emit;

typedef struct tw_detector_ops {
    const tw_rule_meta *meta;
    uint32_t state_bytes; /* per identity, zeroed when the identity is created */
    uint32_t (*state_size)(const void *params); /* instead of state_bytes when it varies */
    uint32_t interest;  /* TW_CLASS_* the detector looks at; 0: every event */
    int64_t horizon_ms; /* how long state stays meaningful after an identity's last event */
    int64_t (*horizon)(const void *params); /* instead of horizon_ms when it varies */
    /* Called for each event of interest, in stream order for that identity. */
    void (*on_event)(const tw_detector *det, void *state, const tw_ident *ident, const tw_event *ev,
                     const tw_emit *emit);
    /* Optional: frees what the state owns (it is dropped or zeroed next). */
    void (*release)(const tw_detector *det, void *state);
    /* Optional: an event delivered to the state of a group that spans identities (a record
     * of the state store keyed by the group, not by an identity), in stream order for that
     * group; arg is the detector's own (which of the event's groups). */
    void (*on_group_event)(const tw_detector *det, void *state, const tw_event *ev, uint32_t arg,
                           const tw_emit *emit);
    /* Optional (checkpoints, consume --state-dir): appends the state's bytes, and reads them
     * back into a zeroed state (false: damaged or out of memory). */
    void (*save)(const tw_detector *det, const void *state, tw_buf *out);
    bool (*load)(const tw_detector *det, void *state, tw_wire_reader *in);
    /* Optional: at the end of a replay, what the state still owes (the updates of findings
     * whose suppression periods held repeats back). */
    void (*flush)(const tw_detector *det, void *state, const tw_ident *ident, const tw_emit *emit);
} tw_detector_ops;

struct tw_detector {
    const tw_detector_ops *ops;
    uint32_t index;     /* position in the engine: orders findings of one event */
    uint32_t offset;    /* of its state within the identity's slots */
    const void *params; /* per-detector parameters (thresholds, windows) */
};

typedef struct tw_engine tw_engine;

tw_engine *tw_engine_new(void);
/* Adds a detector; params must outlive the engine. */
tw_err tw_engine_add(tw_engine *eng, const tw_detector_ops *ops, const void *params);
/* Lays out state and builds candidate lists. No adds after this. */
tw_err tw_engine_compile(tw_engine *eng);
void tw_engine_destroy(tw_engine *eng); /* NULL-safe */

uint32_t tw_engine_state_bytes(const tw_engine *eng);
int64_t tw_engine_horizon(const tw_engine *eng);
uint32_t tw_engine_count(const tw_engine *eng);
const tw_detector *tw_engine_detector(const tw_engine *eng, uint32_t index);

/* The state store's release hook (tw_state_conf.release, ud = the engine). */
void tw_engine_release(void *eng, tw_ident *ident);

/* Runs every candidate detector on one event of an identity. */
void tw_engine_run(const tw_engine *eng, tw_ident *ident, const tw_event *ev, const tw_emit *emit);

/* The end of a replay: every detector's flush, for one identity. */
void tw_engine_flush(const tw_engine *eng, tw_ident *ident, const tw_emit *emit);

/* Checkpoints: every detector's state of an identity (or group record), in engine order. */
void tw_engine_save(const tw_engine *eng, const tw_ident *ident, tw_buf *out);
bool tw_engine_load(const tw_engine *eng, tw_ident *ident, tw_wire_reader *in);

/* Delivers an event to the state of a group across identities (the record `group`), for
 * detector `detector` (on_group_event). */
void tw_engine_run_group(const tw_engine *eng, uint32_t detector, tw_ident *group,
                         const tw_event *ev, uint32_t arg, const tw_emit *emit);

#endif
