/* app_pipeline: the threads of replay and consume and what passes between them (DESIGN §1, §2).
 *
 *   reader ──chunks──► parser[0..P) ──batches──► router ──work──► worker[0..W) ──results──► output
 *   (decompress,        (simdjson,               (reorder by      (identity state,        (findings in
 *    split, in file      normalize)               event time,      detectors, encode)      stream order)
 *    order)                                       shard by key)
 *
 * Chunks are dealt to parsers round-robin by sequence number and collected in the same order,
 * so the merged stream is the same whatever P is. The router alone orders events (a bounded
 * reorder heap of --lateness) and numbers them (seq); workers own disjoint identity shards;
 * the output stage releases a finding once every worker has passed its seq, so output is
 * byte-identical for any -j. Rings are bounded: a slow stage back-pressures the ones before. */
#ifndef APP_PIPELINE_H
#define APP_PIPELINE_H

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "audit_book.h"
#include "detect.h"
#include "detect_stream.h"
#include "exceptions.h"
#include "policy_call.h"
#include "grants.h"
#include "ingest_batch.h"
#include "ingest_source.h"
#include "schema_catalog.h"
#include "ingest_normalize.h"
#include "ingest_parse.h"
#include "rules.h"
#include "rules_eval.h"
#include "rules_index.h"
#include "rules_run.h"
#include "rules_match.h"
#include "grants_parse.h"
#include "state.h"
#include "tw_buf.h"
#include "tw_ring.h"

#define TW_WORK_BATCH 1024            /* events per router→worker batch */
#define TW_MAX_DETECTORS TW_RULES_MAX /* the rules are the detectors */
#define TW_WORK_IDENTITY UINT32_MAX   /* a work entry for the event's identity */

typedef struct tw_pipeline tw_pipeline;

/* consume's reader and bookkeeping (app_kafka.c) over the Kafka source (ingest/
 * ingest_source_kafka.c): messages packed into chunks, the commit log the router and the output
 * stage feed, checkpoints. tw_kafka_new opens the source (pl->source) with its hooks; it is
 * destroyed by tw_kafka_destroy. */
typedef struct tw_kafka tw_kafka;
tw_err tw_kafka_new(tw_pipeline *pl, const tw_app_conf *conf, tw_kafka **out, char *errstr,
                    size_t errstr_size);
/* Joins the group (starts the source): after tw_kafka_restore, so a checkpoint that cannot be
 * restored stops the start before any partition is assigned. */
tw_err tw_kafka_subscribe(tw_kafka *k, char *errstr, size_t errstr_size);
void *tw_kafka_main(void *arg); /* the reader thread; arg: the pipeline */
void tw_kafka_routed(void *k, uint64_t chunk, uint64_t seq_end); /* pl->chunk_routed */
bool tw_kafka_progress(tw_kafka *k, uint64_t released_upto, tw_sink *sinks, size_t n_sinks,
                       bool force); /* output stage */
bool tw_kafka_failed(const tw_kafka *k);
/* --state-dir: writes the checkpoint of a barrier (--state-topic: the changed identities to
 * the changelog, then the offsets stored, sinks flushed first) (the producers' saved states, in producer
 * order, and the offsets they cover), atomically; the source waits for it. */
void tw_kafka_write_checkpoint(tw_kafka *k, tw_buf *const *states, int n, tw_sink *sinks,
                               size_t n_sinks);
/* --state-dir at start: the last checkpoint's state into the workers' stores and the grant
 * book, its offsets for the partitions' first assignment. Before any thread starts. */
tw_err tw_kafka_restore(tw_kafka *k, char *errstr, size_t errstr_size);
void tw_kafka_close(tw_kafka *k); /* final commit, leave the group */
void tw_kafka_print_stats(tw_kafka *k, FILE *o);
void tw_kafka_destroy(tw_kafka *k);
extern atomic_int tw_stop_requested;  /* SIGTERM, SIGINT */
extern atomic_int tw_stats_requested; /* SIGUSR1 */

/* consume --state-topic: what happens to the identities of one partition, carried through the
 * stages in stream order (chunk, batch, work) to every worker, which applies it to its shard
 * after the events before it: the partition's state restored from its changelog, or its
 * identities dropped (the partition left this consumer). The last worker done hands it back
 * (tw_kafka_state_op_done). */
typedef struct tw_state_op {
    atomic_int refs; /* workers still to apply it */
    uint32_t part;   /* the source's index of the partition */
    bool drop;       /* its identities go (else: restore) */
    tw_buf records;  /* restore: tw_ckpt_rec records in changelog order, the newest of a
                            * key last (tw_ckpt_apply: it replaces, a tombstone removes) */
    uint64_t n_records;
    atomic_uint_fast64_t applied, foreign, damaged, failed, dropped; /* by the workers */
} tw_state_op;
void tw_kafka_state_op_done(tw_kafka *k, tw_state_op *op); /* any worker's thread */

/* A run of consecutive events of one work batch that live in the same parsed batch: the
 * worker releases them together once it is done. */
typedef struct tw_work_run {
    tw_batch *batch;
    uint32_t count;
} tw_work_run;

/* router → worker: the events of one shard, in stream order, by pointer into the parsed
 * batches that own them. */
typedef struct tw_work {
    tw_event **ev;
    uint32_t *group; /* per event: TW_WORK_IDENTITY, or which of its tw_corr_values
                              is delivered to that group's record (a correlation grouped
                              across identities) */
    uint32_t n, cap;
    tw_work_run *runs;
    uint32_t n_runs;
    uint64_t upto_seq;    /* every event with seq < upto_seq has been routed */
    int64_t watermark_ms; /* newest event time routed so far */
    int64_t *source_wm;   /* consume: the newest of each partition (by source), for expiry:
                              an identity is idle by its own partition's progress */
    uint32_t n_source_wm, cap_source_wm;
    bool final;
    bool checkpoint;              /* save the shard's state into the result (consume --state-dir) */
    struct tw_state_op *state_op; /* applied after its events (consume --state-topic) */
} tw_work;

/* worker → output: the findings raised by one work batch, encoded. */
typedef struct tw_found {
    uint64_t seq; /* of the triggering event */
    uint32_t detector;
    uint32_t off, len; /* into text */
} tw_found;

typedef struct tw_result {
    tw_found *found;
    uint32_t n, cap;
    tw_buf text;
    uint64_t upto_seq;
    bool final;
    bool leading;       /* its findings come before every other not yet written (the grant
                            * tracker's start, at a sequence number of its own before the first
                            * event's): written as they arrive, never held */
    tw_buf *checkpoint; /* the producer's saved state, at a checkpoint barrier */
} tw_result;

typedef struct tw_worker_stats {
    uint64_t events;
    uint64_t group_events;               /* deliveries to groups across identities */
    uint64_t split_identities;           /* consume: identities seen in two partitions */
    uint64_t state_failures;             /* identities that could not be stored (out of memory) */
    uint64_t findings[TW_MAX_DETECTORS]; /* by detector index (rules after the built-ins) */
    uint64_t held_learning[TW_MAX_DETECTORS]; /* drift held back: past unknown, history short */
    uint64_t held_repeats[TW_MAX_DETECTORS];  /* matching events a suppression period held */
    uint64_t updates;                         /* updates written (the repeats of a finding) */
    tw_state_stats state;
    size_t record_size;
} tw_worker_stats;

typedef struct tw_router_stats {
    uint64_t late;
    uint64_t max_held; /* largest reorder buffer */
    tw_batch_counts ingest;
    uint64_t inputs;
    uint64_t inputs_with_problems;
    uint64_t problems;
    uint64_t grant_copies; /* consume: copies of grant calls, for the grant books only */
} tw_router_stats;

typedef struct tw_worker {
    tw_pipeline *pl;
    int index;
    tw_state *state;
    tw_result *res; /* being filled */
    uint64_t cur_seq;
    uint32_t group_entries; /* of the work batch being run */
    tw_worker_stats stats;
    tw_worker_stats pub; /* consume: stats as of its last work batch (under stats_mu) */
    const tw_emit *emit; /* while its thread runs: what an identity dropped still owes
                              * goes there (tw_worker_release) */
    tw_buf tombstones;   /* consume --state-topic: identities expired or evicted since the last
                          * barrier (tw_ckpt_rec records, no value) */
} tw_worker;

struct tw_pipeline {
    const tw_app_conf *conf;
    tw_source *source;     /* files (replay) or Kafka (consume): the reader's */
    unsigned source_flags; /* tw_source_flags(source): how the router and workers treat the
                              * stream (arrival order, partitions), never which source it is */
    /* told when every event of a chunk is numbered, below seq_end (router's thread): consume's
     * commit log (NULL in replay) */
    void (*chunk_routed)(void *ud, uint64_t chunk, uint64_t seq_end);
    void *chunk_routed_ud;
    int n_parsers, n_workers;
    tw_catalog *catalog;
    tw_normalize_conf norm;
    tw_engine *engine;
    tw_rules_rt *rules;      /* NULL without -r */
    uint32_t rules_detector; /* its index in the engine */
    tw_encode_opts encode;
    tw_ring **chunk_rings;           /* reader → parser i */
    tw_ring **batch_rings;           /* parser i → router */
    tw_ring **work_rings;            /* router → worker i */
    tw_ring **spare_rings;           /* worker i → router: emptied work batches, for reuse */
    tw_ring **result_rings;          /* worker i → output; [n_workers]: the router's (its stream
                              * detectors' findings and state) */
    int n_producers;                 /* result rings: n_workers, + 1 with stream detectors */
    tw_privtab *privtab;             /* grants: the privileged actions */
    tw_managed *managed;             /* grants, policy.* fields: AWS managed policies */
    tw_policy_reader *policy_reader; /* the rules' policy.* fields (NULL: no rule reads one) */
    tw_grants *grants;               /* grants: the tracker, run on the router's thread (or NULL) */
    tw_grant_parts *grant_parts;     /* consume --state-topic: a book per partition instead, each
                                  * taking its principals from grants (the template) */
    int input_partitions;            /* consume --state-topic: the input topic's partition count */
    tw_audit_book *audit;            /* audit destinations the stream names (router's thread) */
    /* The router's detectors, in the order they see each event: the audit book (it changes
     * the events the others read), then the grant tracker */
    tw_stream_detector streams[2];
    uint32_t n_streams;
    int64_t stream_start_ms; /* replay: the event time the stream covers from: restored from a
                              * checkpoint before the threads start, else set by the router
                              * at its first record (INT64_MIN until then) */
    /* consume: the same for each partition (by source): restored before the threads start,
     * then set by the router at a partition's first record, read by checkpoints */
    pthread_mutex_t src_start_mu;
    int64_t *src_start;
    uint32_t n_src_start;
    tw_exceptions *exceptions; /* --exceptions (or NULL): thread index = worker, n_workers the
                                router (grants) */
    tw_kafka *kafka;           /* consume: its commit log and checkpoints (NULL in replay) */
    uint64_t fingerprint;      /* what saved state means (tw_rules_fingerprint; 0 no rules) */
    bool changelog;            /* consume --state-topic: barriers save what changed */
    pthread_mutex_t grants_mu; /* --grants: the inventory is read while the pipeline starts */
    pthread_cond_t grants_cv;
    int grants_ready; /* 0 loading, 1 ready, -1 failed (under grants_mu) */
    tw_notify out_notify;
    tw_worker *workers;
    tw_router_stats router;
    /* consume: --stats on SIGUSR1 while the stages run. Each publishes a copy of its counters
     * after each batch (and the router when idle); the output stage prints the copies. */
    pthread_mutex_t stats_mu;
    tw_router_stats router_pub;
    tw_grants_stats grants_pub;
    tw_audit_stats audit_pub;
    uint32_t stats_slots; /* findings[] entries in use (the detectors) */
    atomic_uint_fast64_t progress_inputs;
    atomic_uint_fast64_t progress_events;
    atomic_bool failed;                 /* a fatal error: stages stop */
    atomic_uint_fast64_t before_report; /* --report-from: findings before it, not written */
};

/* The grant tracker's counts, one book or a book per partition (call on the router's thread,
 * or once it is done). */
static inline void tw_pipeline_grants_stats(const tw_pipeline *pl, tw_grants_stats *out)
{
    if (pl->grant_parts)
        tw_grant_parts_get_stats(pl->grant_parts, out);
    else
        tw_grants_get_stats(pl->grants, out);
}

/* The output stage (app_output.c), on the main thread: what producers sent, held until every
 * producer has passed its seq, then written in stream order to every healthy sink. */
typedef struct tw_output_pending {
    uint64_t seq;
    uint64_t arrival; /* ties of seq and detector (one producer's findings of one event,
                           * e.g. many grants passing their deadline at once) keep their order:
                           * qsort is not stable */
    uint32_t detector;
    char *text;
    uint32_t len;
} tw_output_pending;

typedef struct tw_output_stage {
    tw_pipeline *pl;
    tw_sink *sinks;
    bool *broken; /* the sink failed: nothing more goes to it */
    size_t n_sinks;
    tw_output_pending *v;
    size_t n, cap;
    uint64_t arrivals; /* findings kept so far: their arrival order */
    uint64_t *progress;
    bool *done;
    uint64_t written;
    uint64_t pushed; /* consume: written when the sinks were last pushed */
    bool sink_failed;
    uint64_t released_upto; /* every finding below this seq is written */
    tw_buf **ckpt;          /* consume --state-dir: each producer's saved state, at a barrier */
    int n_ckpt;
} tw_output_stage;

/* Runs the output stage until every producer is done (or the run fails: false). */
bool tw_output_run(tw_output_stage *os, double started);
/* A sink failed doing `doing` ("write", "flush"): named with its reason, no more findings go to
 * it, and the run stops after the finding being written (the other sinks still get it). */
void tw_output_sink_broke(tw_output_stage *os, size_t s, const char *doing);

/* --stats on stderr (app_stats.c); live: the stages run (consume's SIGUSR1), their published
 * copies are read; else the run is over and its threads joined. */
void tw_app_print_stats(tw_pipeline *pl, double wall, bool live);

/* --grants FILE into the grant tracker (app_inventory.c), while the pipeline starts: exit
 * status TW_EXIT_OK, or TW_EXIT_USAGE with the problem said. */
int tw_app_load_inventory(tw_pipeline *pl, const tw_app_conf *conf);

void *tw_reader_main(void *arg);
void *tw_parser_main(void *arg); /* arg: tw_parser_arg */
void *tw_router_main(void *arg);
void *tw_worker_main(void *arg); /* arg: tw_worker */
/* The state store's release hook (ud: the worker): an identity expired, evicted or started
 * afresh first gives what it owes (the updates of its suppressed findings; replay only), then
 * its state goes. */
void tw_worker_release(void *ud, tw_ident *ident);
/* consume --state-topic: the store's removed hook: the identity's tombstone, for the next
 * barrier. */
void tw_worker_removed(void *ud, const tw_ident *ident);

typedef struct tw_parser_arg {
    tw_pipeline *pl;
    int index;
} tw_parser_arg;

/* consume: the stream start of a source (a partition + 1), INT64_MIN when unknown; and its
 * setting (false: out of memory). Any thread. */
int64_t tw_pipeline_src_start(tw_pipeline *pl, uint32_t source);
bool tw_pipeline_set_src_start(tw_pipeline *pl, uint32_t source, int64_t start_ms);

/* Stops every stage (fatal error). */
void tw_pipeline_abort(tw_pipeline *pl);

tw_work *tw_work_new(void);
/* Releases the events it points to (their batches may go) and empties it. */
void tw_work_release(tw_work *work);
void tw_work_destroy(tw_work *work); /* releases too */
tw_result *tw_result_new(void);
/* Encodes a finding into a result (the seq of its event, its detector for ordering); false
 * (and the pipeline stopped) when out of memory. Workers and the router (grants) use it. */
bool tw_result_add(tw_pipeline *pl, tw_result *res, const tw_finding *f, uint64_t seq,
                   uint32_t detector);
void tw_result_destroy(tw_result *res);

#endif
