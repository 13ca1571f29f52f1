/* detect_evidence: a compact copy of one event kept in identity state, so a later finding can
 * cite it (eventID, time, action, errorCode, the resource acted on). Fixed size, 64 bytes:
 * correlations keep up to a few per identity and rule, the grant tracker one per grant, all
 * inside the per-identity memory budget. It holds no pointer (checkpoints save it as bytes),
 * so:
 *   - an action the catalog knows is kept as its catalog index;
 *   - a common errorCode (denials, not-found, throttling, ...) as its index in a table;
 * and the eventID and whatever is not (an unknown action, a rare errorCode), then the resource
 * (schema_resource.h), as text, in that order, in 45 bytes; when they do not fit, a canonical
 * UUID eventID (CloudTrail's form) is packed into 16 bytes, leaving 29 for the rest. Text that
 * still does not fit is cut on a UTF-8 boundary: each keeps 12 bytes at least (all of it when
 * shorter), the id the most of the rest, then the action, the errorCode and the resource; a
 * resource keeps its end (the name in an ARN), the others their start. */
#ifndef DETECT_EVIDENCE_H
#define DETECT_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "schema_catalog.h"
#include "schema_resource.h"
#include "tw_event.h"
#include "tw_finding.h"

#define TW_KEPT_TEXT 45

typedef struct tw_kept_event {
    int64_t time_ms;
    uint32_t action_id; /* the catalog's; TW_ACTION_UNKNOWN: the action is kept as text */
    uint8_t set;        /* 0: nothing kept yet */
    uint8_t id_form;    /* TW_KEPT_ID_* */
    uint8_t error;      /* 0 none, else 1 + its index among the common codes, or
                              TW_KEPT_ERROR_TEXT */
    uint8_t id_len;     /* the lengths of the texts in text[], in this order */
    uint8_t action_len;
    uint8_t error_len;
    uint8_t resource_len;
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

/* The evidence an event gives, whole; its resource is written in res_buf (TW_RESOURCE_MAX
 * bytes). */
tw_evidence tw_event_evidence(const tw_event *ev, char res_buf[TW_RESOURCE_MAX]);

#endif
