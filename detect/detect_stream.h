/* detect_stream: detectors that see the whole stream in its one order, on the router's
 * thread, before the events go to the identities' workers: what one identity's calls do to
 * another's (the grant tracker: a grant, then its use or its disuse) or to every later event
 * (the audit book: a log group named as a trail's destination makes its deletion
 * logging-control). The router and the checkpoints drive them through this one interface,
 * whatever they are.
 *
 * They run in order, each on every event; one may change the event (its classes, its rules)
 * for the detectors after it and for the workers. */
#ifndef DETECT_STREAM_H
#define DETECT_STREAM_H

#include <stdbool.h>

#include "detect.h"
#include "tw_buf.h"
#include "tw_err.h"
#include "tw_event.h"
#include "tw_wire.h"

typedef struct tw_stream_detector {
    const char *name; /* its section of a checkpoint */
    void *self;
    /* Optional: what it raises at the stream's start, before the first event (first: a copy
     * of it under a seq of its own), once; started is true when that is done or needs no
     * doing (a restored checkpoint held it). */
    void (*start)(void *self, const tw_event *first, const tw_emit *emit);
    bool (*started)(const void *self);
    /* Every event, in stream order. */
    void (*on_event)(void *self, tw_event *ev, const tw_emit *emit);
    /* Checkpoints: appends its state; reads it back into a new detector (TW_ERR_CORRUPT for
     * damaged bytes), before any event. */
    void (*save)(const void *self, tw_buf *out);
    tw_err (*load)(void *self, tw_wire_reader *in);
    /* Optional (consume --state-topic): the state a partition's events built, to follow the
     * partition. changed_sources calls fn with each source (partition + 1) whose part changed
     * since its last call; save_source appends that part; merge_source adds a part restored
     * from the changelog to what the running detector holds. */
    void (*changed_sources)(void *self, void (*fn)(void *ud, uint16_t source), void *ud);
    void (*save_source)(const void *self, uint16_t source, tw_buf *out);
    tw_err (*merge_source)(void *self, uint16_t source, tw_wire_reader *in);
    /* Optional (consume --state-topic): the partition left this instance; what it built
     * goes. */
    void (*drop_source)(void *self, uint16_t source);
    /* Optional: copies of grant calls (TW_EV_GRANT_COPY) that route wrote to every partition;
     * a detector without it never sees one (nor do the workers). */
    void (*on_copy)(void *self, tw_event *ev, const tw_emit *emit);
} tw_stream_detector;

#endif
