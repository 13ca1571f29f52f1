/* libFuzzer target: one input is one chunk of lines (or a document) through the parser and
 * the normalizer, exactly as a parser thread runs it. Nothing may crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema_catalog.h"
#include "schema_json.h"
#include "ingest_parse.h"

static tw_catalog *catalog;
static tw_normalize_conf conf;
static tw_parser *parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!catalog) {
        char err[128];
        if (tw_catalog_new(&catalog, err, sizeof err) != TW_OK)
            abort();
        conf.catalog = catalog;
        parser = tw_parser_new(&conf);
    }
    tw_chunk *chunk = tw_chunk_new(size);
    if (!chunk)
        return 0;
    memcpy(chunk->buf, data, size);
    chunk->len = size;
    memset(chunk->buf + size, ' ', TW_JSON_PADDING);
    chunk->first_line = 1;
    chunk->document = size && data[0] == '[';
    tw_batch *batch = tw_batch_new(16);
    if (batch) {
        tw_parser_run(parser, chunk, batch);
        /* every record is accounted for */
        uint64_t rejected = 0;
        for (int i = 0; i < TW_REJ_COUNT_; i++)
            rejected += batch->counts.rejected[i];
        if (batch->counts.events + batch->counts.skipped + rejected != batch->counts.records)
            abort();
        tw_batch_destroy(batch);
    }
    tw_chunk_destroy(chunk);
    return 0;
}
