/* app_checkpoint: a run's state on disk (--state-dir DIR), written and read here side by side.
 * replay restores it at its start and saves it at its end; consume writes it at each barrier
 * with the offsets it covers and restores it at its start (app_kafka.c).
 *
 * DIR/checkpoint, written whole or not at all (a temporary file, fsync, rename, fsync of DIR):
 *   "TWCKPT03"
 *   u64  fingerprint   what the state means (rules, catalog, build: tw_rules_fingerprint)
 *   i64  stream start  the event time replay's stream covers from (INT64_MIN: none)
 *   u32  n, then n x { str topic, u32 partition, i64 offset, i64 start }
 *                      consume: where each partition resumes, and the event time its stream
 *                      covers from (learning, DESIGN §5); replay writes none
 *   u32  router state present (the grant book and audit destinations), u32 shards
 *   [u64 length, bytes] of the router's state, then each shard's: u64 count, then per
 *        identity { str key, u64 hash, i64 first seen, i64 last seen, u32 kind | flags << 8,
 *        the detectors' state (tw_engine_save) }
 *   u32  CRC-32 of all before it
 * Integers are little-endian (tw_wire.h). "TWCKPT02" (no stream starts) and "TWCKPT01" (no
 * CRC either) are read for their offsets only: their state means something else. */
#ifndef APP_CHECKPOINT_H
#define APP_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app_pipeline.h"
#include "tw_buf.h"
#include "tw_err.h"

typedef struct tw_ckpt_part {
    const char *topic;
    int32_t partition;
    int64_t offset;   /* where reading resumes */
    int64_t start_ms; /* the event time its stream covers from (INT64_MIN: none) */
} tw_ckpt_part;

/* One worker's identities (NULL when out of memory). */
tw_buf *tw_ckpt_shard(const tw_engine *eng, tw_state *st);
/* The router's state: the grant book, then the audit destinations (NULL: out of memory). */
tw_buf *tw_ckpt_router(tw_pipeline *pl);

/* Writes DIR/checkpoint (router may be NULL: none). TW_OK, or TW_ERR_IO with errstr. */
tw_err tw_ckpt_write(const char *dir, uint64_t fingerprint, int64_t stream_start_ms,
                     const tw_ckpt_part *parts, uint32_t n_parts, const tw_buf *router,
                     tw_buf *const *shards, uint32_t n_shards, char *errstr, size_t errstr_size);

/* What reading found. */
typedef struct tw_ckpt_read {
    bool found;    /* DIR/checkpoint exists */
    bool restored; /* its state is in the pipeline now */
    bool foreign;  /* written by other rules or another build: its offsets were given,
                          * its state not restored (the caller says so) */
    int64_t stream_start_ms;
} tw_ckpt_read;

/* Reads DIR/checkpoint (DIR made when missing), before any thread starts: each partition to
 * part (may be NULL), and, when its fingerprint is this run's, the identities into the workers' stores (their shard of
 * this run: -j may differ) and the router's state into the grant book and audit book. A
 * missing file is a first start (TW_OK, found false). TW_ERR_IO (unreadable), TW_ERR_CORRUPT
 * (damaged: not a checkpoint, a checksum that does not match, cut short), TW_ERR_NOMEM, or
 * part's error; errstr says which, naming the file. */
tw_err tw_ckpt_restore(const char *dir, tw_pipeline *pl, uint64_t fingerprint,
                       tw_err (*part)(void *ud, const tw_ckpt_part *p), void *ud, tw_ckpt_read *out,
                       char *errstr, size_t errstr_size);

#endif
