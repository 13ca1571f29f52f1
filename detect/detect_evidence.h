/* detect_evidence: a compact copy of one event kept in identity state, so a later finding can
 * cite it (eventID, time, action). Fixed size: it lives in the per-identity budget. */
#ifndef DETECT_EVIDENCE_H
#define DETECT_EVIDENCE_H

#include <stdint.h>
#include <string.h>

#include "tw_event.h"
#include "tw_finding.h"

typedef struct tw_kept_event {
    int64_t time_ms;
    uint8_t set;           /* 0: nothing kept yet */
    uint8_t id_len;
    uint8_t action_len;
    uint8_t error_len;
    char id[37];           /* CloudTrail eventIDs are 36-byte UUIDs; longer ones are cut */
    char action[64];       /* "service:Name"; the rare longer name is cut */
    char error[40];        /* errorCode, cut likewise; empty for a successful call */
} tw_kept_event;

static inline void tw_kept_event_set(tw_kept_event *k, const tw_event *ev)
{
    k->time_ms = ev->time_ms;
    k->set = 1;
    k->id_len = (uint8_t)(ev->event_id.len < sizeof k->id ? ev->event_id.len : sizeof k->id);
    memcpy(k->id, ev->event_id.p, k->id_len);
    k->action_len =
        (uint8_t)(ev->action.len < sizeof k->action ? ev->action.len : sizeof k->action);
    memcpy(k->action, ev->action.p, k->action_len);
    k->error_len = (uint8_t)(ev->error_code.len < sizeof k->error ? ev->error_code.len
                                                                  : sizeof k->error);
    memcpy(k->error, ev->error_code.p, k->error_len);
}

static inline tw_evidence tw_kept_event_evidence(const tw_kept_event *k)
{
    tw_evidence e = { k->time_ms, { k->id, k->id_len }, { k->action, k->action_len },
                      { k->error_len ? k->error : NULL, k->error_len } };
    return e;
}

static inline tw_evidence tw_event_evidence(const tw_event *ev)
{
    tw_evidence e = { ev->time_ms, ev->event_id, ev->action, ev->error_code };
    return e;
}

#endif
