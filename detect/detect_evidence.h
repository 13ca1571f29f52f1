/* detect_evidence: a compact copy of one event kept in identity state, so a later finding can
 * cite it (eventID, time, action, errorCode). Fixed size, 64 bytes: correlations keep up to
 * a few per identity and rule, the grant tracker one per grant, all inside the per-identity
 * memory budget. It holds no pointer (checkpoints save it as bytes), so:
 *   - an action the catalog knows is kept as its catalog index;
 *   - a common errorCode (denials, not-found, throttling, ...) as its index in a table;
 * and the eventID and whatever is not (an unknown action, a rare errorCode) as text, in that
 * order, in 46 bytes; when they do not fit, a canonical UUID eventID (CloudTrail's form) is
 * packed into 16 bytes, leaving 30 for the rest. Text that still does not fit is cut: each
 * keeps its first 12 bytes at least (all of it when shorter), the id the most of the rest,
 * then the action. */
#ifndef DETECT_EVIDENCE_H
#define DETECT_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "ingest_catalog.h"
#include "tw_event.h"
#include "tw_finding.h"

#define TW_KEPT_TEXT 46

typedef struct tw_kept_event {
    int64_t time_ms;
    uint32_t action_id;    /* the catalog's; TW_ACTION_UNKNOWN: the action is kept as text */
    uint8_t set;           /* 0: nothing kept yet */
    uint8_t id_form;       /* TW_KEPT_ID_* */
    uint8_t error;         /* 0 none, else 1 + its index among the common codes, or
                              TW_KEPT_ERROR_TEXT */
    uint8_t id_len;        /* the lengths of the texts in text[], in this order */
    uint8_t action_len;
    uint8_t error_len;
    char text[TW_KEPT_TEXT]; /* a UUID's 16 bytes first when id_form says so */
} tw_kept_event;

enum { TW_KEPT_ID_TEXT = 0, TW_KEPT_ID_UUID_LOWER = 1, TW_KEPT_ID_UUID_UPPER = 2 };
#define TW_KEPT_ERROR_TEXT 255
#define TW_KEPT_ID_CHARS 37 /* a UUID's 36 characters and a NUL: the caller's id buffer */

/* Keeps ev in k. cat: the catalog the event was resolved with (NULL: keep the action as text). */
void tw_kept_event_set(tw_kept_event *k, const tw_event *ev, const tw_catalog *cat);

/* The evidence a kept event gives; views into k, the catalog, static text, or id_buf (the
 * caller's, TW_KEPT_ID_CHARS bytes) for a UUID; valid while all of those are. */
tw_evidence tw_kept_event_evidence(const tw_kept_event *k, const tw_catalog *cat,
                                   char id_buf[TW_KEPT_ID_CHARS]);

/* A hash of what kept events' indices mean: the catalog's action names and the table of
 * common errorCodes (checkpoints fold it into their fingerprint, so state saved under another
 * catalog is not restored). */
uint64_t tw_kept_event_fingerprint(const tw_catalog *cat);

static inline tw_evidence tw_event_evidence(const tw_event *ev)
{
    tw_evidence e = { ev->time_ms, ev->event_id, ev->action, ev->error_code };
    return e;
}

#endif
