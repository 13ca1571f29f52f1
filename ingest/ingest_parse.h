/* ingest_parse: a parser thread's work, a chunk of raw bytes into a batch of events.
 * Each parser owns one tw_json (simdjson parser and buffers) and shares only the read-only
 * normalize configuration. */
#ifndef INGEST_PARSE_H
#define INGEST_PARSE_H

#include "ingest_batch.h"
#include "schema_json.h"
#include "ingest_normalize.h"

typedef struct tw_parser tw_parser;

tw_parser *tw_parser_new(const tw_normalize_conf *conf);
void tw_parser_destroy(tw_parser *ps); /* NULL-safe */

/* Called for each event right after it is normalized, while its record is still in memory:
 * rec's spans (rec->raw, the record's own JSON text; rec->request_params) are readable for
 * TW_JSON_PADDING bytes past their end, so tw_json_lookup (on js) can read fields the event
 * does not carry: the place for rule evaluation. It may write the event and allocate from
 * arena, the batch's (what it allocates lives as long as the event). Runs on the parser's
 * thread. */
typedef void (*tw_event_hook)(void *ud, tw_event *ev, const tw_raw_record *rec, tw_json *js,
                              tw_arena *arena);
void tw_parser_set_hook(tw_parser *ps, tw_event_hook hook, void *ud);

/* Parses every record of chunk into batch (which must be reset); the chunk's own problems
 * move to the batch, followed by those of its records, in input order. A whole-input chunk
 * is decompressed and split here first. */
void tw_parser_run(tw_parser *ps, tw_chunk *chunk, tw_batch *batch);

#endif
