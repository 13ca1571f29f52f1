/* ingest_source_kafka: what only a Kafka source (tw_source_kafka, ingest_source.h) answers:
 * its partitions (by the source's index), what the cluster knows of their offsets, its
 * counters, and the properties it guards. consume (app/app_kafka.c) keys its commit log and
 * checkpoints by these partitions; route (app/app_route.c) its offsets and --stats. Every
 * call takes a source opened with &tw_source_kafka. */
#ifndef INGEST_SOURCE_KAFKA_H
#define INGEST_SOURCE_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest_source.h"
#include "tw_kafka_conf.h"

/* The consumer properties at-least-once rests on, with --exit-at-end's partition ends: set
 * after -X when tw_source_conf.guarded, and what tw_kafka_conf_check refuses a -X to change.
 * Static; *n gets their number. */
const tw_kafka_guard *tw_source_kafka_guards(bool exit_at_end, size_t *n);

typedef struct tw_source_part {
    const char *topic; /* the source's, valid until it is destroyed */
    int32_t partition;
    bool assigned;     /* to this member now */
    bool eof;          /* read to its end (--exit-at-end), nothing since */
    uint64_t messages; /* read from it */
} tw_source_part;

/* The index of topic[partition], made if it is new (a checkpoint's partitions are made before
 * start); UINT32_MAX when out of memory. Any thread. */
uint32_t tw_source_kafka_part(tw_source *src, const char *topic, int32_t partition);
/* A partition's facts, now. Any thread. */
void tw_source_kafka_part_get(tw_source *src, uint32_t part, tw_source_part *out);
bool tw_source_kafka_assigned(tw_source *src, uint32_t part);
/* The partition's first and next offsets as the client last heard them (no request); false
 * when it has not. */
bool tw_source_kafka_watermarks(tw_source *src, uint32_t part, int64_t *lo, int64_t *hi);
/* The group's committed offsets of parts, asked of its coordinator (up to timeout_ms):
 * offsets[i] < 0 when none is. TW_ERR_IO (offsets untouched) when the answer does not come. */
tw_err tw_source_kafka_committed(tw_source *src, const uint32_t *parts, size_t n, int64_t *offsets,
                                 int timeout_ms);

/* Holds an assigned partition (from the on_assign hook, or after): it stays paused whatever
 * pause and resume do, nothing of it is handed over, until it is released; then it goes on
 * from the first record not handed over. Its revocation ends the hold. Source's thread. */
void tw_source_kafka_hold(tw_source *src, uint32_t part);
void tw_source_kafka_release(tw_source *src, uint32_t part);

typedef struct tw_source_kafka_stats {
    uint64_t messages, bytes;
    uint64_t offset_stores; /* commits that stored offsets */
    uint64_t pauses, assignments, revocations, errors;
} tw_source_kafka_stats;
void tw_source_kafka_get_stats(tw_source *src, tw_source_kafka_stats *st); /* any thread */

#endif
