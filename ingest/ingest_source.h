/* ingest_source: where records come from, behind one interface (a struct of callbacks, as the
 * sinks are). Two sources:
 *
 *   tw_source_file   (ingest_source_file.c)   files, directories, stdin and other streams, in
 *                    the order ingest_inputs.c gives, decompressed and cut into chunks ready
 *                    for a parser (small regular files whole, for a parser to decompress);
 *   tw_source_kafka  (ingest_source_kafka.c)  a consumer group member: one message at a time,
 *                    with its partition and offset; offsets stored for commit when the caller
 *                    says the records are done.
 *
 * A source is driven by one thread (next, pause, resume; the Kafka source's hooks run inside
 * next). commit may be called from another thread. What the pipeline needs to know of a source
 * it asks through tw_source_flags, never by testing which source it is.
 *
 * Callers: replay's reader (app/app_stages.c), consume's source thread (app/app_kafka.c: the
 * messages packed into chunks, the commit log, checkpoints), route (app/app_route.c). */
#ifndef INGEST_SOURCE_H
#define INGEST_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest_batch.h"
#include "tw_err.h"

/* A position in a source: a Kafka partition (the source's index of it, dense from 0 and stable
 * for the source's life) and an offset in it. */
typedef struct tw_source_pos {
    uint32_t part;
    int64_t offset;
} tw_source_pos;

/* What next hands over. */
typedef struct tw_raw {
    tw_chunk *chunk; /* file: a chunk of one input, ready for a parser; the caller owns it */
    uint32_t input;  /* file: the input it is of (also on TW_ERR_NOMEM: the one being read) */
    /* Kafka: one message's value (NULL and 0 when empty), readable until next hands over
     * another message, or close; read it between TW_SOURCE_READS_BEGIN and _END */
    const char *p;
    size_t len;
    bool one_line;     /* Kafka: the value is one line of JSON, or empty: it can share a chunk
                          * with other messages' lines; anything else (several records, a
                          * pretty-printed one, gzip, zstd) is a whole input of its own */
    tw_source_pos pos; /* Kafka: its partition and offset */
    bool grant_copy;   /* Kafka: the message has TW_KAFKA_COPY_HEADER: a copy route wrote of a
                        * grant call to every partition */
} tw_raw;

/* What the pipeline asks of a source (tw_source_flags). */
enum {
    /* Records are applied as they arrive, never reordered by event time: the router bypasses
     * its reorder heap and routes each as it comes, and what is routed goes to the workers
     * whenever input is quiet (a live stream never ends). Without it (files) the router
     * restores event-time order within --lateness and the stream has an end. */
    TW_SOURCE_ARRIVAL_ORDER = 1 << 0,
    /* Records come in partitions whose event times run apart: each chunk carries its
     * partition (tw_chunk.source, its index + 1), and lateness, a stream's start and
     * identities' expiry are judged by the partition's own progress. */
    TW_SOURCE_PARTITIONED = 1 << 1,
};

typedef struct tw_source_conf {
    int verbosity; /* -1 quiet, 0 normal, 1 verbose */
    /* file */
    const char *const *paths; /* files, directories, "-" for stdin */
    size_t n_paths;
    bool whole_inputs; /* small regular files go whole into one chunk (parsers
                                     * decompress them in parallel: replay); else every input is
                                     * cut by the reader (route) */
    /* Kafka */
    const char *brokers;
    const char *group;
    const char *const *topics;
    size_t n_topics;
    const char *const *props; /* -X name=value, as given */
    size_t n_props;
    bool exit_at_end;       /* partitions' ends are reported: next says TW_ERR_EOF once
                                     * every assigned partition is read to its end */
    bool guarded;           /* the properties at-least-once rests on are set after -X
                                     * (the caller refused a -X that changes one:
                                     * tw_source_kafka_guards); else they are defaults -X may
                                     * change */
    const char *log_prefix; /* before "kafka: " in messages ("route: "), or NULL */
    /* How long after start next waits for a first answer from a broker (metadata, the
     * group's, a message) before it gives up: TW_ERR_IO, said on stderr. 0: forever (a live
     * consumer waits for its cluster to come up). Once one answered, it no longer applies:
     * brokers that go down later are waited for, as librdkafka does. */
    int broker_timeout_ms;
    /* Kafka rebalances, called inside next on the source's thread (ud: hook_ud). on_assign:
     * a partition is assigned; *offset is where reading starts (TW_SOURCE_OFFSET_GROUP: where
     * the group has it) and may be changed. on_revoke: partitions are about to go: finish what
     * is in flight and commit it (tw_source_commit); false: nothing to commit now. */
    void *hook_ud;
    void (*on_assign)(void *ud, uint32_t part, int64_t *offset);
    bool (*on_revoke)(void *ud);
    /* Optional: each partition once it is let go (revoked, after the commit; or lost: another
     * member may have it already) */
    void (*on_revoked)(void *ud, uint32_t part, bool lost);
} tw_source_conf;

/* Offsets a hook may set or find (librdkafka's values): where the group has the partition
 * (RD_KAFKA_OFFSET_INVALID: what an assignment starts with), and the partition's start. */
#define TW_SOURCE_OFFSET_GROUP (-1001)
#define TW_SOURCE_OFFSET_BEGINNING (-2)

typedef struct tw_source_ops {
    const char *name; /* "file", "kafka" */
    unsigned flags;   /* TW_SOURCE_* */
    /* Opens (files: lists the inputs; Kafka: makes the consumer); reads nothing yet. */
    tw_err (*open)(const tw_source_conf *conf, void **ctx, char *errstr, size_t errstr_size);
    /* Starts reading (Kafka: joins the group), once the caller has restored what it needs. */
    tw_err (*start)(void *ctx, char *errstr, size_t errstr_size);
    /* The next piece: TW_OK (raw filled), TW_ERR_AGAIN (nothing within timeout_ms, or paused),
     * TW_ERR_EOF (the end: files read, or --exit-at-end's partitions at their ends),
     * TW_ERR_NOMEM, TW_ERR_IO (the source failed: a fatal consumer error, or no broker answered
     * within broker_timeout_ms). */
    tw_err (*next)(void *ctx, tw_raw *raw, int timeout_ms);
    /* Backpressure: while paused, next keeps the session alive (a consumer that stops polling
     * is evicted from its group) and hands nothing over; what comes meanwhile is kept, in
     * order, for after resume. */
    void (*pause)(void *ctx);
    void (*resume)(void *ctx);
    /* Every record at or before done[i].offset in partition done[i].part is processed and its
     * findings are durable: those offsets are stored for commit (of the partitions still
     * assigned). Any thread. */
    tw_err (*commit)(void *ctx, const tw_source_pos *done, size_t n);
    /* Stops: commits what is stored (when commit is set) and leaves the group. Counters and
     * partitions stay readable until destroy. */
    void (*close)(void *ctx, bool commit);
    void (*destroy)(void *ctx);
    /* The inputs chunks are numbered by (tw_chunk.input), for problems: paths, or "kafka". */
    uint32_t (*n_inputs)(void *ctx);
    const char *(*input_name)(void *ctx, uint32_t input);
    /* Partitions seen so far (indices 0..n-1); 0 for a source without partitions. Any thread. */
    uint32_t (*n_parts)(void *ctx);
} tw_source_ops;

extern const tw_source_ops tw_source_file;
extern const tw_source_ops tw_source_kafka;

typedef struct tw_source {
    const tw_source_ops *ops;
    void *ctx;
} tw_source;

tw_err tw_source_open(const tw_source_ops *ops, const tw_source_conf *conf, tw_source **src,
                      char *errstr, size_t errstr_size);
void tw_source_destroy(tw_source *src); /* NULL-safe; closes without commit if not closed */

static inline unsigned tw_source_flags(const tw_source *src)
{
    return src->ops->flags;
}
static inline tw_err tw_source_start(tw_source *src, char *errstr, size_t errstr_size)
{
    return src->ops->start ? src->ops->start(src->ctx, errstr, errstr_size) : TW_OK;
}
static inline tw_err tw_source_next(tw_source *src, tw_raw *raw, int timeout_ms)
{
    return src->ops->next(src->ctx, raw, timeout_ms);
}
static inline void tw_source_pause(tw_source *src)
{
    if (src->ops->pause)
        src->ops->pause(src->ctx);
}
static inline void tw_source_resume(tw_source *src)
{
    if (src->ops->resume)
        src->ops->resume(src->ctx);
}
static inline tw_err tw_source_commit(tw_source *src, const tw_source_pos *done, size_t n)
{
    return src->ops->commit ? src->ops->commit(src->ctx, done, n) : TW_OK;
}
static inline void tw_source_close(tw_source *src, bool commit)
{
    if (src->ops->close)
        src->ops->close(src->ctx, commit);
}
static inline uint32_t tw_source_n_inputs(tw_source *src)
{
    return src->ops->n_inputs(src->ctx);
}
static inline const char *tw_source_input_name(tw_source *src, uint32_t input)
{
    return src->ops->input_name(src->ctx, input);
}
static inline uint32_t tw_source_n_parts(tw_source *src)
{
    return src->ops->n_parts ? src->ops->n_parts(src->ctx) : 0;
}

/* Reading a message's value. It is librdkafka's: one of its threads frees it after the source
 * drops the message, ordered by reference counts inside the library, which is not
 * instrumented. ThreadSanitizer cannot see that order and takes our earlier reads for a race
 * with the free; it is told to ignore these reads only (writes around them are still
 * checked). */
#ifdef __SANITIZE_THREAD__
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define TW_SOURCE_READS_BEGIN() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define TW_SOURCE_READS_END() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define TW_SOURCE_READS_BEGIN() ((void)0)
#define TW_SOURCE_READS_END() ((void)0)
#endif

#endif
