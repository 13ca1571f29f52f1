/* ingest_split: reads one input to its end and cuts its decompressed bytes into chunks:
 * whole lines (NDJSON, and single-line {"Records":[...]} files), or the whole document when
 * the input is one multi-line JSON value (a pretty-printed file, a top-level array).
 * The file source (ingest_source_file.c) pulls chunks from a tw_splitter one at a time; a
 * parser cutting a whole input it was handed (and the tests) use tw_split_mem, which hands each
 * chunk to a callback. Either way the chunks come in order, the last one marked. */
#ifndef INGEST_SPLIT_H
#define INGEST_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "ingest_batch.h"
#include "tw_err.h"

#define TW_CHUNK_SIZE (1u << 20)       /* target chunk of lines */
#define TW_MAX_DOCUMENT (256ull << 20) /* largest line or document read whole */

typedef struct tw_split_conf {
    size_t chunk_size;     /* TW_CHUNK_SIZE unless testing */
    uint64_t max_document; /* TW_MAX_DOCUMENT unless testing */
} tw_split_conf;

/* One input being cut. */
typedef struct tw_splitter tw_splitter;

/* Opens path ("-" for stdin) as input number `input` (conf NULL: the defaults); chunks are
 * numbered from *chunk_seq on, which must outlive the splitter. Only TW_ERR_NOMEM fails:
 * problems (unreadable, corrupt, truncated, over-long) are attached to the chunks, and an
 * input that cannot be opened gives one chunk naming why. */
tw_err tw_splitter_open(const char *path, uint32_t input, const tw_split_conf *conf,
                        uint64_t *chunk_seq, tw_splitter **sp);
/* The next chunk (the caller owns it): TW_OK, TW_ERR_EOF after the last one (chunk->last set;
 * there is always at least one), or TW_ERR_NOMEM. */
tw_err tw_splitter_next(tw_splitter *sp, tw_chunk **chunk);
void tw_splitter_close(tw_splitter *sp); /* NULL-safe */

/* Small regular files (CloudTrail delivers thousands of them) are not cut by the reader:
 * their stored bytes go whole into one chunk (whole_input) for a parser thread to
 * decompress and split, so decompression runs in parallel. Returns TW_ERR_TOO_LARGE, having
 * made nothing, when path is not a regular file of at most max_bytes (cut it then). */
#define TW_WHOLE_INPUT_MAX (4u << 20)
tw_err tw_split_whole_input(const char *path, uint32_t input, size_t max_bytes, uint64_t *chunk_seq,
                            tw_chunk **chunk);

/* Bytes in memory (a whole input a parser was handed, tests), cut and each chunk handed to
 * emit in order; emit takes ownership of the chunk and returns false to stop (the result is
 * then TW_ERR_AGAIN). Else TW_OK or TW_ERR_NOMEM. */
typedef bool (*tw_split_emit)(void *ud, tw_chunk *chunk);
tw_err tw_split_mem(const void *data, size_t len, uint32_t input, const tw_split_conf *conf,
                    uint64_t *chunk_seq, tw_split_emit emit, void *ud);

#endif
