/* app_changelog: consume --state-topic, the identities' state in a compacted Kafka topic
 * co-partitioned with the input (as Kafka Streams keeps a store's changelog), so that a
 * partition's identities follow it to whichever member of the group owns it.
 *
 * Writing: at each checkpoint barrier the changed identities of each partition go to the
 * changelog partition with the same number, as state records keyed by identity key
 * (app_checkpoint.h), an expired or evicted one as a tombstone; the barrier's input offsets
 * are stored for commit only once every record is acknowledged (acks=all, idempotent).
 * A record over the size bound is refused, counted and said, never cut.
 *
 * Restoring: when a partition is assigned, a thread of its own reads its changelog partition
 * from the beginning to the high watermark (a consumer outside the group, by assignment),
 * while the other partitions keep flowing; the reader thread then hands the records to the
 * workers in stream order (tw_state_op) and, once no restore is under way, lets the restored
 * partitions go on together (app_kafka.c).
 *
 * At start the changelog topic must exist with the input topic's partition count (else a
 * usage error, exit 2); that it is compacted is checked (DescribeConfigs) and warned about
 * when it cannot be confirmed. */
#ifndef APP_CHANGELOG_H
#define APP_CHANGELOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "app.h"
#include "tw_buf.h"
#include "tw_err.h"
#include "tw_str.h"

typedef struct tw_changelog tw_changelog;
typedef struct tw_restored tw_restored;

/* Checks the topics and opens the producer and the restore reader. TW_ERR_INVALID (usage:
 * missing topic, partition counts differ, more than one input topic), TW_ERR_IO (no broker
 * answered within the broker timeout), TW_ERR_NOMEM; errstr says which. */
tw_err tw_changelog_open(const tw_app_conf *conf, tw_changelog **out, char *errstr,
                         size_t errstr_size);
void tw_changelog_destroy(tw_changelog *cl); /* NULL-safe; stops the restore thread */
/* The input topic's partition count (the changelog's, checked at open). */
int tw_changelog_partitions(const tw_changelog *cl);
/* The partition route's producer gives a key among n (librdkafka's default partitioner,
 * consistent_random: CRC32 of the key); UINT32_MAX for an empty key or no partitions. */
uint32_t tw_changelog_partition_of(tw_str key, int n);

/* For `trailwarden state`: a writer and reader of an existing topic, no checks against an
 * input and no restore thread; *n_partitions its count. Errors as tw_changelog_open. */
tw_err tw_changelog_open_tool(const char *brokers, const char *const *props, size_t n_props,
                              const char *topic, int64_t timeout_ms, int *n_partitions,
                              tw_changelog **out, char *errstr, size_t errstr_size);
/* Reads one partition from its start to its high watermark, here and now. */
void tw_changelog_read(tw_changelog *cl, int32_t partition, tw_restored *out);

/* ---- writing (the output stage's thread) ---- */

/* Queues one record (value NULL: a tombstone) for changelog partition `partition` (-1: the
 * partition the producer's partitioner gives its key, as route's records of that key). False when
 * it is refused: over the size bound (counted, said), or the producer refused it. */
bool tw_changelog_put(tw_changelog *cl, int32_t partition, tw_str key, const void *value,
                      size_t len);
/* Waits until every record queued is acknowledged. TW_OK, or TW_ERR_IO with errstr (some were
 * not: the barrier's offsets must not be committed). */
tw_err tw_changelog_flush(tw_changelog *cl, char *errstr, size_t errstr_size);

/* ---- restoring ---- */

/* Asks for changelog partition `partition` to be read (for the source's partition part;
 * ticket: the caller's, to tell a stale answer). Any order; one at a time, in turn. */
bool tw_changelog_restore(tw_changelog *cl, uint32_t part, int32_t partition, uint64_t ticket);

struct tw_restored {
    uint32_t part;
    int32_t partition;
    uint64_t ticket;
    tw_buf records; /* tw_ckpt_rec records, in changelog order (the caller owns it now) */
    uint64_t n_records, bytes;
    uint64_t damaged; /* records that are not state records: skipped (said once a partition) */
    double seconds;
    bool failed; /* the partition could not be read to its end (said): its records as far as
                  * they go */
};

/* A finished restore, if any (its records are the caller's). Any thread; never waits. */
bool tw_changelog_take(tw_changelog *cl, tw_restored *out);

/* The restore in progress, if any: its partition, records and bytes so far, seconds since it
 * started (SIGUSR1). */
bool tw_changelog_progress(tw_changelog *cl, int32_t *partition, uint64_t *records, uint64_t *bytes,
                           double *seconds);

/* Counters, for --stats. */
typedef struct tw_changelog_stats {
    uint64_t records;    /* state records acknowledged */
    uint64_t tombstones; /* of them, tombstones */
    uint64_t bytes;      /* keys and values written */
    uint64_t too_large;  /* refused: over the size bound */
    uint64_t failed;     /* not acknowledged */
    uint64_t flushes;    /* barriers written */
} tw_changelog_stats;
void tw_changelog_get_stats(tw_changelog *cl, tw_changelog_stats *st);

const char *tw_changelog_topic(const tw_changelog *cl);

#endif
