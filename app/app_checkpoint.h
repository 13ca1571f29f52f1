/* app_checkpoint: identity state as records, and a run's state on disk (--state-dir DIR),
 * written and read here side by side. replay restores it at its start and saves it at its end;
 * consume writes it at each barrier with the offsets it covers and restores it at its start
 * (app_kafka.c); consume --state-topic writes the same records to a Kafka changelog
 * (app_changelog.c), and `trailwarden state` moves them between the two (app_state_cmd.c).
 *
 * A state record is a key, the identity key, and a value (none: a tombstone, the identity is
 * gone):
 *   "TWS1"  u64 fingerprint (what the state means: rules, catalog, build)
 *           u64 hash of the key, i64 first seen, i64 last seen, u32 kind,
 *           the detectors' state (tw_engine_save)
 *
 * DIR/checkpoint, written whole or not at all (a temporary file, fsync, rename, fsync of DIR):
 *   "TWCKPT05"
 *   u64  fingerprint   what the state means (tw_rules_fingerprint)
 *   i64  stream start  the event time replay's stream covers from (INT64_MIN: none)
 *   u32  n, then n x { str topic, u32 partition, i64 offset, i64 start }
 *                      consume: where each partition resumes, and the event time its stream
 *                      covers from (learning, DESIGN §5); replay writes none
 *   u32  router state present (the grant book and audit destinations), u32 shards
 *   [u64 length, u32 n, then n x { str name, u64 length, bytes }] of the router's state: each
 *        stream detector's under its name
 *   then each shard's: u64 length, u64 count, then count x
 *        { u32 source, str key, u32 has value, [str value] } (tw_ckpt_rec: the state records)
 *   u32  CRC-32 of all before it
 * Integers are little-endian (tw_wire.h); str is u32 length and bytes. "TWCKPT04" to "TWCKPT02"
 * (their identities in a layout of their own) and "TWCKPT01" (no CRC either) are read for
 * their offsets only. */
#ifndef APP_CHECKPOINT_H
#define APP_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app_pipeline.h"
#include "tw_buf.h"
#include "tw_err.h"
#include "tw_wire.h"

typedef struct tw_ckpt_part {
    const char *topic;
    int32_t partition;
    int64_t offset;   /* where reading resumes */
    int64_t start_ms; /* the event time its stream covers from (INT64_MIN: none) */
} tw_ckpt_part;

#define TW_STATE_RECORD_MAGIC "TWS1"
#define TW_STREAM_RECORD_MAGIC "TWSD"

/* One state record as it travels: source is consume's partition (+1) it belongs to, 0 none. */
typedef struct tw_ckpt_rec {
    uint32_t source;
    tw_str key;
    bool has_value; /* false: a tombstone */
    tw_str value;
} tw_ckpt_rec;

/* Appends the value of ident's state record. */
void tw_ckpt_value(const tw_engine *eng, uint64_t fingerprint, const tw_ident *ident, tw_buf *out);
/* Applies a record to the store: its state replaces what st had of the key, a tombstone removes
 * it; the identity's source becomes source. TW_OK, TW_ERR_INVALID (written with another
 * fingerprint: not applied), TW_ERR_CORRUPT (not a state record, or damaged: not applied),
 * TW_ERR_NOMEM. */
tw_err tw_ckpt_apply(const tw_engine *eng, tw_state *st, uint64_t fingerprint,
                     const tw_ckpt_rec *rec, uint16_t source);
/* consume --state-topic: the router's stream detectors' state that follows a partition, as
 * records keyed by NUL and the detector's name, valued "TWSD", u64 fingerprint, the
 * detector's part (save_source): those whose part changed since the last call, count first
 * (NULL when out of memory). And one back, merged into the running detector (errors as
 * tw_ckpt_apply). Router's thread. */
tw_buf *tw_ckpt_stream_records(tw_pipeline *pl);
tw_err tw_ckpt_apply_stream(tw_pipeline *pl, const tw_ckpt_rec *rec, uint16_t source);

/* A record in the framing of shards and barriers, and back (false: cut short). */
void tw_ckpt_put_rec(tw_buf *out, const tw_ckpt_rec *rec);
bool tw_ckpt_get_rec(tw_wire_reader *in, tw_ckpt_rec *rec);

/* One worker's identities as records, the count first (NULL when out of memory): every one,
 * or those changed since the last call (changed_only: consume --state-topic), after the
 * tombstones (records framed as above; may be NULL). */
tw_buf *tw_ckpt_shard(const tw_engine *eng, tw_state *st, uint64_t fingerprint, bool changed_only,
                      const tw_buf *tombstones);
/* The router's state: the grant book, then the audit destinations (NULL: out of memory). */
tw_buf *tw_ckpt_router(tw_pipeline *pl);

/* Writes DIR/checkpoint (router may be NULL: none). TW_OK, or TW_ERR_IO with errstr. */
tw_err tw_ckpt_write(const char *dir, uint64_t fingerprint, int64_t stream_start_ms,
                     const tw_ckpt_part *parts, uint32_t n_parts, const tw_buf *router,
                     tw_buf *const *shards, uint32_t n_shards, char *errstr, size_t errstr_size);

/* Calls fn with each state record of DIR/checkpoint (the stream detectors' state is not
 * records: passed over); *fingerprint: the file's. TW_ERR_IO (missing, unreadable),
 * TW_ERR_CORRUPT (damaged), TW_ERR_INVALID (an older layout), or fn's error; errstr says which. */
tw_err tw_ckpt_each_record(const char *dir, tw_err (*fn)(void *ud, const tw_ckpt_rec *rec),
                           void *ud, uint64_t *fingerprint, char *errstr, size_t errstr_size);

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
