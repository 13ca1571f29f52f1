/* ingest_batch: what the ingest stages hand each other.
 *  - tw_chunk: raw decompressed bytes of one input (whole lines, or one whole document),
 *    made by the reader, parsed by a parser thread.
 *  - tw_batch: the normalized events of one chunk, with the problems found in it and its
 *    counters; made by a parser thread, consumed by the router.
 * Problems travel with the data so they are reported in input order, whatever thread found
 * them. */
#ifndef INGEST_BATCH_H
#define INGEST_BATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tw_arena.h"
#include "tw_event.h"

/* Why a record (or an input) was rejected; each is a counter "ingest.rejected.<name>". */
typedef enum tw_reject {
    TW_REJ_NOT_JSON = 0,
    TW_REJ_UTF8,
    TW_REJ_DEPTH,
    TW_REJ_CONTROL_CHAR,
    TW_REJ_TOO_LARGE,
    TW_REJ_NOT_OBJECT,
    TW_REJ_WRONG_TYPE,
    TW_REJ_MISSING_FIELD,
    TW_REJ_BAD_TIME,
    TW_REJ_TRUNCATED,  /* input cut short or corrupt: the rest of it was lost */
    TW_REJ_EMPTY,      /* an input with no records at all */
    TW_REJ_UNREADABLE, /* an input that could not be opened or read */
    TW_REJ_COUNT_
} tw_reject;

const char *tw_reject_name(tw_reject r);
tw_reject tw_reject_from_json_reason(const char *reason);

typedef struct tw_problem {
    tw_reject reason;
    char *text; /* "line 12: ..." or "offset 4096: ..." (without the path) */
} tw_problem;

typedef struct tw_problems {
    tw_problem *v;
    uint32_t n, cap;
} tw_problems;

/* Appends a formatted problem; out of memory drops the text but keeps the count. */
void tw_problems_add(tw_problems *pl, tw_reject reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tw_problems_clear(tw_problems *pl);

typedef struct tw_chunk {
    char *buf; /* cap >= len + TW_JSON_PADDING */
    size_t len, cap;
    uint32_t input;        /* index of the input in replay order */
    uint64_t seq;          /* global chunk sequence: the order of the merged stream */
    uint64_t first_line;   /* 1-based line number of buf[0] */
    uint64_t offset;       /* decompressed byte offset of buf[0] */
    bool document;         /* whole document (pretty-printed JSON, arrays) rather than lines */
    bool last;             /* the last chunk of its input */
    bool checkpoint;       /* consume: no data, a barrier: every stage saves its state here */
    void *state_op;        /* consume: no data, a state operation for the workers (a tw_state_op
                            * of app_pipeline.h), carried in stream order; not owned */
    uint16_t source;       /* consume: the partition its messages came from (+1; 0 none) */
    uint16_t *line_source; /* consume: ...or, when it holds several partitions' messages (or a
                           * copy of a grant call), each line's (one a line, in order, with
                           * TW_LINE_GRANT_COPY on a copy); owned, NULL otherwise */
    size_t n_line_source;
    bool grant_copy;  /* consume: a whole input that is a copy of a grant call (TW_EV_GRANT_COPY) */
    bool whole_input; /* buf holds a whole input as stored (maybe compressed): the parser
                           * decompresses and splits it, so small files decompress in parallel */
    tw_problems problems; /* found by the reader (decompression, limits) */
    uint64_t dropped;     /* bytes read before buf and not kept (an over-long line): they
                           * count in ingest.bytes all the same */
} tw_chunk;

/* line_source: the line is a copy of a grant call (TW_EV_GRANT_COPY); the rest is its source. */
#define TW_LINE_GRANT_COPY 0x8000u

/* consume: the source number of the source's partition index part (part + 1; 0, none, past
 * what a line's source can say): the chunks', the events' and the state operations' alike. */
static inline uint16_t tw_source_of_part(uint32_t part)
{
    return (uint16_t)(part + 1 < TW_LINE_GRANT_COPY ? part + 1 : 0);
}

tw_chunk *tw_chunk_new(size_t cap);
void tw_chunk_destroy(tw_chunk *chunk); /* NULL-safe */

typedef struct tw_batch_counts {
    uint64_t records; /* records seen: events + rejected + skipped */
    uint64_t events;
    uint64_t skipped;         /* valid JSON that is not an API call (e.g. Insights events) */
    uint64_t unknown_actions; /* events whose action the catalog does not know */
    uint64_t bytes;           /* decompressed bytes */
    uint64_t rejected[TW_REJ_COUNT_];       /* records rejected, by reason */
    uint64_t input_problems[TW_REJ_COUNT_]; /* whole-input problems: truncated, empty, unreadable */
} tw_batch_counts;

typedef struct tw_batch {
    tw_event *ev;
    uint32_t n, cap;
    tw_arena arena; /* the strings of ev[] */
    tw_problems problems;
    tw_batch_counts counts;
    uint32_t input;
    uint64_t seq; /* the chunk's */
    bool last_of_input;
    bool checkpoint; /* from a checkpoint chunk (no events) */
    void *state_op;  /* from a chunk carrying one (no events) */
    uint16_t source; /* the chunk's */
    /* events not yet done with: the router hands each event to a worker by pointer, and the
     * worker that releases the last one destroys the batch */
    atomic_uint refs;
} tw_batch;

/* cap: the events expected (slots grow past it). */
tw_batch *tw_batch_new(uint32_t cap);
/* Gives back the event slots not used, once the batch is filled: a batch lives as long as any
 * of its events waits (the reorder window, the workers' queues), so one file's few events must
 * not keep a thousand slots alive. Moves ev[]: only before anyone points into it. */
void tw_batch_fit(tw_batch *batch);
void tw_batch_reset(tw_batch *batch);
void tw_batch_destroy(tw_batch *batch); /* NULL-safe */
/* A new event slot (zeroed), or NULL when out of memory. */
tw_event *tw_batch_push(tw_batch *batch);
/* Releases n events of the batch; the last release destroys it. Any thread. */
void tw_batch_release(tw_batch *batch, uint32_t n);

#endif
