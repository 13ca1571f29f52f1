/* training-telemetry-combined (DESIGN §5): within 24 h, one identity successfully uses a
 * model-training action and a telemetry read, in either order. Once per identity per 24 h.
 * Failed calls (any errorCode) are not uses. The window is inclusive: 24 h apart still counts.
 *
 * State: the last successful training call and the last successful telemetry read (kept as
 * evidence), and the last firing. */
#include <inttypes.h>
#include <stdio.h>

#include "detect.h"
#include "detect_evidence.h"
#include "detect_params.h"

const tw_read_destructive_params tw_read_destructive_defaults = {
    .min_events = 10,
    .window_ms = 24 * 3600 * 1000LL,
    .suppress_ms = 24 * 3600 * 1000LL,
};

const tw_training_telemetry_params tw_training_telemetry_defaults = {
    .window_ms = 24 * 3600 * 1000LL,
    .suppress_ms = 24 * 3600 * 1000LL,
};

typedef struct tt_state {
    tw_kept_event training;
    tw_kept_event telemetry;
    int64_t last_fired_ms;
    uint8_t has_fired;
} tt_state;

static const char *const k_types[] = { "Scope Drift", "Model Training", NULL };

static const tw_rule_meta k_meta = {
    .id = "training-telemetry-combined",
    .title = "Model training combined with deep telemetry access",
    .description = "One identity used a model-training action (fine-tuning, customization, "
                   "import) and a deep telemetry read within the window: training rights "
                   "should not travel with broad access to logs, metrics and traces.",
    .type = "correlation",
    .severity = TW_SEV_HIGH,
    .types = k_types,
};

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

static void on_event(const tw_detector *det, void *state, const tw_ident *ident,
                     const tw_event *ev, const tw_emit *emit)
{
    const tw_training_telemetry_params *p = det->params;
    tt_state *st = state;
    if (ev->flags & TW_EV_FAILED)
        return;
    int64_t t = ev->time_ms;
    bool is_training = ev->classes & TW_CLASS_MODEL_TRAINING;
    bool is_telemetry = ev->classes & TW_CLASS_TELEMETRY;
    const tw_kept_event *other = NULL;
    if (is_training && st->telemetry.set && abs64(t - st->telemetry.time_ms) <= p->window_ms)
        other = &st->telemetry;
    else if (is_telemetry && st->training.set &&
             abs64(t - st->training.time_ms) <= p->window_ms)
        other = &st->training;
    if (other && (!st->has_fired || t - st->last_fired_ms >= p->suppress_ms)) {
        tw_finding f = { 0 };
        f.rule = &k_meta;
        f.ev = ev;
        f.kind = (tw_kind)ident->kind;
        f.evidence[f.n_evidence++] = tw_kept_event_evidence(other);
        f.evidence[f.n_evidence++] = tw_event_evidence(ev);
        f.first_seen_ms = other->time_ms < t ? other->time_ms : t;
        int64_t gap = abs64(t - other->time_ms);
        snprintf(f.summary, sizeof f.summary,
                 "%.*s and %.*s by the same identity %" PRId64 " min apart",
                 (int)other->action_len, other->action, (int)ev->action.len, ev->action.p,
                 gap / 60000);
        emit->fn(emit->ud, &f, det->index);
        st->has_fired = 1;
        st->last_fired_ms = t;
    }
    if (is_training && (!st->training.set || t >= st->training.time_ms))
        tw_kept_event_set(&st->training, ev);
    if (is_telemetry && (!st->telemetry.set || t >= st->telemetry.time_ms))
        tw_kept_event_set(&st->telemetry, ev);
}

const tw_detector_ops tw_detect_training_telemetry = {
    .meta = &k_meta,
    .state_bytes = sizeof(tt_state),
    .interest = TW_CLASS_MODEL_TRAINING | TW_CLASS_TELEMETRY,
    .horizon_ms = 24 * 3600 * 1000LL,
    .on_event = on_event,
};
