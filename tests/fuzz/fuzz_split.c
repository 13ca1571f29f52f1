/* libFuzzer target: bytes as a whole input (maybe gzip or zstd, maybe corrupt) through the
 * decompressing splitter. Nothing may crash or leak, and the last chunk is always marked. */
#include <stdint.h>
#include <stdlib.h>

#include "ingest_split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool take(void *ud, tw_chunk *chunk)
{
    int *last = ud;
    *last = chunk->last;
    tw_chunk_destroy(chunk);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tw_split_conf conf = { 256, 1 << 16 }; /* small, so the edge cases are reached */
    uint64_t seq = 0;
    int last = 0;
    if (tw_split_mem(data, size, 0, &conf, &seq, take, &last) == TW_OK && !last)
        abort();
    return 0;
}
