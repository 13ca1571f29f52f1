/* ingest_parse: a parser thread's work, a chunk of raw bytes into a batch of events.
 * Each parser owns one tw_json (simdjson parser and buffers) and shares only the read-only
 * normalize configuration. */
#ifndef INGEST_PARSE_H
#define INGEST_PARSE_H

#include "ingest_batch.h"
#include "ingest_normalize.h"

typedef struct tw_parser tw_parser;

tw_parser *tw_parser_new(const tw_normalize_conf *conf);
void tw_parser_destroy(tw_parser *ps); /* NULL-safe */

/* Parses every record of chunk into batch (which must be reset); the chunk's own problems
 * move to the batch, followed by those of its records, in input order. A whole-input chunk
 * is decompressed and split here first. */
void tw_parser_run(tw_parser *ps, tw_chunk *chunk, tw_batch *batch);

#endif
