/* audit_book: the audit destinations the stream names (DESIGN §4), kept in stream order on the
 * router's thread, and the deletions of them. The parser has read each event's names and
 * target into hashes (tw_event.audit_names, audit_target; ingest_audit.h): the book touches no
 * string.
 *
 * A successful CreateTrail, UpdateTrail, CreateFlowLogs, PutModelInvocationLoggingConfiguration,
 * CreateResolverQueryLogConfig (... ingest_audit.h) makes the log groups and buckets it names
 * audit destinations, from then on. A logs:DeleteLogGroup or s3:DeleteBucket whose target is
 * not one by name arrives marked TW_EV_AUDIT_CANDIDATE, with the rules it matches if it is one
 * (the parser evaluated both); when the book holds its target, the event becomes
 * logging-control and takes those rules, before any worker sees it. Destinations are never
 * forgotten (a trail's bucket outlives the trail) and stay few: a set of 64-bit hashes, of the
 * bucket's name, or of the account and name of a log group. */
#ifndef AUDIT_BOOK_H
#define AUDIT_BOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "detect_stream.h"
#include "tw_err.h"
#include "tw_event.h"
#include "tw_wire.h"

typedef struct tw_audit_book tw_audit_book;

typedef struct tw_audit_stats {
    uint64_t destinations; /* named by the stream */
    uint64_t deletions;    /* candidate deletions that hit one */
} tw_audit_stats;

tw_audit_book *tw_audit_book_new(void);        /* NULL when out of memory */
void tw_audit_book_destroy(tw_audit_book *ab); /* NULL-safe */

/* One event in stream order: decides a candidate deletion (ev's classes and rules change when
 * its target is a destination), then learns what a successful naming call names. */
void tw_audit_book_event(tw_audit_book *ab, tw_event *ev);

void tw_audit_book_get_stats(const tw_audit_book *ab, tw_audit_stats *out);

/* Checkpoints: the destinations, and back into an empty book (TW_ERR_CORRUPT when damaged). */
void tw_audit_book_save(const tw_audit_book *ab, tw_buf *out);
tw_err tw_audit_book_load(tw_audit_book *ab, tw_wire_reader *in);

/* consume --state-topic: the destinations follow the partition whose records named them. fn
 * gets each source (partition + 1) that named a new one since the last call; save_source
 * appends that source's destinations; merge_source adds a partition's destinations restored
 * from its changelog to what the book holds (TW_ERR_CORRUPT when damaged). */
void tw_audit_book_changed_sources(tw_audit_book *ab, void (*fn)(void *ud, uint16_t source),
                                   void *ud);
void tw_audit_book_save_source(const tw_audit_book *ab, uint16_t source, tw_buf *out);
tw_err tw_audit_book_merge_source(tw_audit_book *ab, uint16_t source, tw_wire_reader *in);

/* The book as a stream detector (detect_stream.h), named "audit-destinations": it raises
 * nothing itself, it changes the events the rules then read. */
tw_stream_detector tw_audit_book_stream(tw_audit_book *ab);

#endif
