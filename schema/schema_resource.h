/* schema_resource: the resource a call acted on, named the way an analyst acts on it (a trail,
 * a log group, a bucket, a snapshot, a key, a model, a role, a target account), read from the
 * call's requestParameters text by a table of keys per service: what findings cite in their
 * evidence (DESIGN §5) and what the audit-destination check looks at (DESIGN §4).
 *
 * The text is scanned, not parsed: each key of the service's list is looked for as `"key":`
 * followed by a string, in list order, the first found wins. A nested key of the same name
 * can be taken for a top-level one; that is fine for what an analyst reads, and the keys of
 * the calls the audit check needs (logGroupName, bucketName) are top-level ones. Pure
 * functions: any thread. */
#ifndef INGEST_RESOURCE_H
#define INGEST_RESOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "tw_str.h"

#define TW_RESOURCE_MAX 128 /* a name longer than this is cut (on a UTF-8 boundary) */

/* The resource of a call of event_source ("s3.amazonaws.com") with these requestParameters
 * (the JSON text of the object), unescaped into buf (TW_RESOURCE_MAX bytes at least); an
 * empty string when the table names no key for the service or none is there. */
tw_str tw_resource_of(tw_str event_source, tw_str request_params, char *buf);

/* The value of the first `"key": "..."` in json, unescaped into buf (TW_RESOURCE_MAX bytes at
 * least), or empty. */
tw_str tw_resource_key(tw_str json, const char *key, char *buf);

/* The same from byte *at on; *at moves past the value found (or to the end): call again for
 * the next one. */
tw_str tw_resource_key_next(tw_str json, const char *key, char *buf, uint32_t *at);

#endif
