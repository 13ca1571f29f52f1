/* agent-read-to-destructive (DESIGN §5): a non-human identity whose events in the preceding
 * window (24 h) number at least N (10) and are all of class read makes a destructive call,
 * attempted or successful. Once per identity per window.
 *
 * State: the times of the last N events (a ring: the N-th most recent event inside the
 * window means at least N events in it), the time of the last event that was not a read,
 * the last read (evidence) and the last firing. The window is (t - 24h, t): an event exactly
 * 24 h before the destructive call is outside it. */
#include <inttypes.h>
#include <stdio.h>

#include "detect.h"
#include "detect_evidence.h"
#include "detect_params.h"

typedef struct rd_state {
    uint32_t ring_pos;
    uint32_t ring_count;
    int64_t last_nonread_ms; /* INT64_MIN-like: 0 with has_nonread = 0 */
    int64_t last_fired_ms;
    uint8_t has_nonread;
    uint8_t has_fired;
    tw_kept_event last_read;
    tw_kept_event first_read; /* the read that opened the current baseline (evidence) */
    int64_t ring[];          /* times of the last min_events events */
} rd_state;

static const char *const k_types[] = { "Scope Drift", "Destructive Action", NULL };

static const tw_rule_meta k_meta = {
    .id = "agent-read-to-destructive",
    .title = "Read-only non-human identity made a destructive call",
    .description = "A non-human identity whose every event in the preceding window was a read "
                   "made a destructive call (attempted or successful): its scope drifted from "
                   "reading to deleting.",
    .type = "baseline",
    .severity = TW_SEV_HIGH,
    .types = k_types,
};

static void on_event(const tw_detector *det, void *state, const tw_ident *ident,
                     const tw_event *ev, const tw_emit *emit)
{
    const tw_read_destructive_params *p = det->params;
    rd_state *st = state;
    int64_t t = ev->time_ms;
    uint32_t n = p->min_events;

    if ((ev->classes & TW_CLASS_DESTRUCTIVE) &&
        (ident->kind == TW_KIND_AGENT || ident->kind == TW_KIND_SERVICE)) {
        /* the n-th most recent event: ring[(pos - n) mod n] == ring[pos] for a full ring */
        bool enough = st->ring_count >= n && st->ring[st->ring_pos % n] > t - p->window_ms;
        bool all_read = !st->has_nonread || st->last_nonread_ms <= t - p->window_ms;
        bool quiet = !st->has_fired || t - st->last_fired_ms >= p->suppress_ms;
        if (enough && all_read && quiet) {
            tw_finding f = { 0 };
            f.rule = &k_meta;
            f.ev = ev;
            f.kind = (tw_kind)ident->kind;
            uint32_t reads = 0;
            for (uint32_t i = 0; i < st->ring_count && i < n; i++)
                reads += st->ring[i] > t - p->window_ms;
            if (st->first_read.set && st->first_read.time_ms > t - p->window_ms &&
                st->first_read.time_ms != st->last_read.time_ms)
                f.evidence[f.n_evidence++] = tw_kept_event_evidence(&st->first_read);
            if (st->last_read.set)
                f.evidence[f.n_evidence++] = tw_kept_event_evidence(&st->last_read);
            f.evidence[f.n_evidence++] = tw_event_evidence(ev);
            f.first_seen_ms = f.evidence[0].time_ms;
            snprintf(f.summary, sizeof f.summary,
                     "%s %.*s (%s) after only reads in the preceding %" PRId64
                     " h (at least %u events)",
                     (ev->flags & TW_EV_FAILED) ? "attempted" : "called", (int)ev->action.len,
                     ev->action.p, tw_kind_name((tw_kind)ident->kind),
                     p->window_ms / 3600000, reads);
            emit->fn(emit->ud, &f, det->index);
            st->has_fired = 1;
            st->last_fired_ms = t;
        }
    }

    /* remember this event */
    st->ring[st->ring_pos % n] = t;
    st->ring_pos = (st->ring_pos + 1) % n;
    if (st->ring_count < n)
        st->ring_count++;
    if (ev->classes & TW_CLASS_READ) {
        /* the first read after a non-read (or of a window that emptied) opens a baseline */
        if (!st->last_read.set || st->last_read.time_ms <= t - p->window_ms ||
            (st->has_nonread && st->last_nonread_ms >= st->first_read.time_ms))
            tw_kept_event_set(&st->first_read, ev);
        tw_kept_event_set(&st->last_read, ev);
    } else {
        if (!st->has_nonread || t > st->last_nonread_ms)
            st->last_nonread_ms = t;
        st->has_nonread = 1;
    }
}

static uint32_t state_size(const void *params)
{
    const tw_read_destructive_params *p = params;
    return (uint32_t)(sizeof(rd_state) + p->min_events * sizeof(int64_t));
}

const tw_detector_ops tw_detect_read_to_destructive = {
    .meta = &k_meta,
    .state_size = state_size,
    .interest = 0, /* every event: a single non-read breaks the baseline */
    .horizon_ms = 24 * 3600 * 1000LL,
    .on_event = on_event,
};
