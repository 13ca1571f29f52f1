/* ingest_input: one input opened for reading: a file or stdin, its compression recognised by
 * magic bytes (gzip 1f 8b, zstd 28 b5 2f fd), whatever its name. Reads hand out decompressed
 * bytes. Multi-member gzip and multi-frame zstd are read to the end. Owned by one reader
 * thread. */
#ifndef INGEST_INPUT_H
#define INGEST_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "tw_err.h"

typedef enum tw_compression {
    TW_COMP_NONE = 0,
    TW_COMP_GZIP = 1,
    TW_COMP_ZSTD = 2,
} tw_compression;

typedef struct tw_input tw_input;

/* path "-" is stdin. On failure errstr says why (strerror). */
tw_err tw_input_open(const char *path, tw_input **in, char *errstr, size_t errstr_size);

/* Opens bytes already in memory (tests, Kafka message values); not copied: they must
 * outlive the input. */
tw_err tw_input_open_mem(const void *data, size_t len, tw_input **in, char *errstr,
                         size_t errstr_size);

/* Reads up to cap decompressed bytes into buf. *got = 0 means end of input.
 * TW_ERR_CORRUPT / TW_ERR_IO: errstr names the problem and the compressed byte offset;
 * what was read before stays valid. */
tw_err tw_input_read(tw_input *in, char *buf, size_t cap, size_t *got, char *errstr,
                     size_t errstr_size);

tw_compression tw_input_compression(const tw_input *in);
uint64_t tw_input_raw_offset(const tw_input *in); /* compressed bytes consumed */
void tw_input_close(tw_input *in);                /* NULL-safe */

#endif
