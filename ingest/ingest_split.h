/* ingest_split: reads one input to its end and cuts its decompressed bytes into chunks:
 * whole lines (NDJSON, and single-line {"Records":[...]} files), or the whole document when
 * the input is one multi-line JSON value (a pretty-printed file, a top-level array).
 * Called by the reader thread; each chunk is handed to emit in order, the last one marked. */
#ifndef INGEST_SPLIT_H
#define INGEST_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "ingest_batch.h"
#include "tw_err.h"

#define TW_CHUNK_SIZE (1u << 20)             /* target chunk of lines */
#define TW_MAX_DOCUMENT (256ull << 20)       /* largest line or document read whole */

typedef struct tw_split_conf {
    size_t chunk_size;     /* TW_CHUNK_SIZE unless testing */
    uint64_t max_document; /* TW_MAX_DOCUMENT unless testing */
} tw_split_conf;

/* emit takes ownership of the chunk; returns false to stop reading (shutdown). */
typedef bool (*tw_split_emit)(void *ud, tw_chunk *chunk);

/* Reads path ("-" for stdin) as input number `input`; problems (unreadable, corrupt,
 * truncated, over-long) are attached to the chunks. Always emits at least one chunk, the
 * last one with chunk->last set. Returns TW_ERR_NOMEM or TW_ERR_AGAIN (stopped) only. */
tw_err tw_split_input(const char *path, uint32_t input, const tw_split_conf *conf,
                      uint64_t *chunk_seq, tw_split_emit emit, void *ud);

/* Small regular files (CloudTrail delivers thousands of them) are not split by the reader:
 * their stored bytes go whole into one chunk (whole_input) for a parser thread to
 * decompress and split, so decompression runs in parallel. Returns TW_ERR_TOO_LARGE, having
 * emitted nothing, when path is not a regular file of at most max_bytes (stream it then). */
#define TW_WHOLE_INPUT_MAX (4u << 20)
tw_err tw_split_whole_input(const char *path, uint32_t input, size_t max_bytes,
                            uint64_t *chunk_seq, tw_split_emit emit, void *ud);

/* The same over bytes in memory (Kafka message values, tests). */
tw_err tw_split_mem(const void *data, size_t len, uint32_t input, const tw_split_conf *conf,
                    uint64_t *chunk_seq, tw_split_emit emit, void *ud);

#endif
