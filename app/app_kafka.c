/* app_kafka: consume's reader over the Kafka source (ingest/ingest_source_kafka.c), and its
 * at-least-once bookkeeping (DESIGN §6, issue 5).
 *
 * The reader thread takes the source's messages and packs their values into chunks for the
 * parser threads, as replay's reader does with files: single-line JSON values become the lines
 * of one chunk; anything else (a {"Records":[...]} body, a pretty-printed record, gzip or zstd)
 * goes whole into a chunk of its own, decompressed and split by a parser. Each chunk's highest
 * offset per partition goes into a commit log. The router says when a chunk's events are
 * numbered (they all come before a sequence number), the output stage says up to which sequence
 * number every finding is written; once the sinks are flushed, the offsets of the chunks wholly
 * behind that point are committed through the source (tw_source_commit stores them, librdkafka
 * commits stored offsets). So an offset is committed only after every record before it is
 * processed and its findings are out: a crash repeats, never loses.
 *
 * Backpressure: when the parsers' rings are full, the source is paused and keeps serving the
 * group (tw_source_next while paused); it resumes once the chunk is taken. On a revocation (the
 * source's on_revoke hook) the chunks in flight are finished, flushed and committed, and a
 * checkpoint written, before the partitions are let go; on an assignment (on_assign) a
 * partition of the restored checkpoint starts where its saved state ends. */
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app_changelog.h"
#include "app_checkpoint.h"
#include "app_pipeline.h"
#include "ingest_source_kafka.h"
#include "tw_log.h"
#include "tw_time.h"

#define CHUNK_BYTES (256u << 10) /* a chunk of lines is handed over at this size... */
#define CHUNK_AGE_MS \
    4 /* ...or this age, or when poll has nothing more at hand,
                                   * whichever comes first (latency) */
#define AGE_CHECK_EVERY 32
#define STORE_EVERY_MS 200             /* sinks flushed and offsets stored at most this often */
#define REVOKE_WAIT_MS 60000           /* how long a revocation waits for the chunks in flight */
#define BROKER_TIMEOUT_AT_END_MS 60000 /* --broker-timeout's default with --exit-at-end */

atomic_int tw_stop_requested; /* lock-free: safe from a signal handler and between threads */
atomic_int tw_stats_requested;

/* What consume keeps of a partition, by the source's index of it (its topic, number,
 * assignment and counts are the source's). */
typedef struct kpart {
    int64_t done;     /* highest offset whose record and findings are all out, or -1 */
    int64_t stored;   /* highest offset stored for commit, or -1 */
    int64_t open_max; /* its highest offset in the open chunk, -1 none (reader thread) */
    /* after an assignment: where reading must start for this instance to hold the history of
     * the partition's identities (past what it did, or its restored checkpoint; -1: the
     * partition's start), looked at on the first message (reader thread) */
    int64_t history_from;
    bool await_first;
    bool offsets_only; /* it starts at a checkpoint's offset whose state was not restored */
    /* --state-dir: the next offset of this partition in the restored checkpoint, kept until a
     * record of it is done in this run: every assignment meanwhile starts there and every
     * checkpoint carries it on, assigned or not (a restart that is not assigned the partition
     * in time, or not at all, must not write a checkpoint that forgets where the state of the
     * partition's identities ends) */
    int64_t resume;
    bool has_resume;
    int64_t start_ms; /* the restored checkpoint's start of its stream */
    /* --state-topic: held while its changelog is read (ticket tells the answer of this
     * assignment from a stale one), and the last restore's figures */
    bool restoring;
    bool restored; /* its state is in the pipeline; it goes on once no restore is under way */
    uint64_t ticket;
    double assigned_at;
    uint64_t restores, rs_records, rs_bytes, rs_damaged, rs_identities, rs_foreign;
    double rs_seconds, rs_paused;
} kpart;

typedef struct commit_entry {
    uint64_t chunk;
    uint64_t seq_end; /* the chunk's events are numbered below this */
    bool routed;
    tw_source_pos *offs;
    uint32_t n_offs;
} commit_entry;

struct tw_kafka {
    tw_pipeline *pl;
    const tw_app_conf *conf;
    tw_source *src;      /* pl->source: opened here, destroyed by tw_kafka_destroy */
    pthread_mutex_t mu;  /* the log and parts' done/stored, shared with router and output */
    pthread_cond_t cond; /* the log got shorter */
    commit_entry *log;
    size_t head, n, cap; /* a ring of entries, in chunk order */
    kpart *parts;        /* grown on the reader thread (or before it starts), under mu */
    uint32_t n_parts, cap_parts;
    /* the chunk being filled with the messages of every partition, in arrival order, each
     * line's partition beside it (reader thread only): one chunk for all, so it fills to
     * CHUNK_BYTES as fast as records come, however many partitions they are spread over */
    tw_chunk *open;
    double open_started;
    uint32_t open_messages; /* lines in it */
    bool open_copies;       /* one of them is a copy of a grant call (TW_LINE_GRANT_COPY) */
    /* a test knob (TRAILWARDEN_TEST_CHUNK_MESSAGES=N, tests/kafka/README.md): a chunk of lines
     * is handed over at N messages, or when poll has nothing at hand, never for its age or an
     * idle parser; so a test can cut the same records into chunks of many sizes (0: off) */
    uint32_t test_chunk_messages;
    uint32_t *open_parts; /* the partitions it holds messages of */
    uint32_t n_open_parts, cap_open_parts;
    size_t cap_line_source;
    uint32_t age_check;
    uint64_t next_chunk;
    uint64_t messages_total; /* numbering for problems: "message N" */
    /* backpressure: the chunk waiting for room */
    tw_chunk *pushing;
    tw_ring *pushing_ring;
    double last_store;
    bool failed; /* the source failed, or out of memory */
    /* --state-dir */
    uint64_t fingerprint;  /* of the rules: what saved state means */
    uint64_t ckpt_written; /* checkpoints written (under mu; the reader waits on it) */
    double last_ckpt;
    bool pipeline_done; /* the stages have stopped: no barrier can pass any more */
    bool ckpt_due;      /* a partition was assigned: checkpoint where its reading starts */
    tw_source_pos *snap;
    uint32_t n_snap;    /* the offsets of the barrier in flight (under mu) */
    uint64_t ckpt_mark; /* next_chunk after the last checkpoint: nothing new while equal */
    /* counters (read by --stats on SIGUSR1, from the output stage) */
    atomic_uint_fast64_t chunks;       /* handed to the parsers (bytes / chunks: their mean size) */
    atomic_uint_fast64_t history_gaps; /* partitions read from past where our state ends */
    bool state_restored;          /* the checkpoint's state was restored (not only its offsets) */
    tw_changelog *cl;             /* --state-topic (app_changelog.c), or NULL */
    atomic_uint_fast64_t dropped; /* identities let go with their partitions */
};

/* ---- partitions ------------------------------------------------------------------------- */

/* The bookkeeping of the source's partition pi, made if new. Under mu, on the reader thread
 * or before it starts (the array may move). NULL when out of memory. */
static kpart *part_at(tw_kafka *k, uint32_t pi)
{
    if (pi == UINT32_MAX)
        return NULL;
    if (pi >= k->cap_parts) {
        uint32_t cap = k->cap_parts ? k->cap_parts * 2 : 16;
        while (cap <= pi)
            cap *= 2;
        kpart *v = realloc(k->parts, cap * sizeof *v);
        if (!v)
            return NULL;
        k->parts = v;
        k->cap_parts = cap;
    }
    for (; k->n_parts <= pi; k->n_parts++)
        k->parts[k->n_parts] =
            (kpart){ .done = -1, .stored = -1, .open_max = -1, .history_from = -1 };
    return &k->parts[pi];
}

/* ---- the commit log --------------------------------------------------------------------- */

static bool log_append(tw_kafka *k, uint64_t chunk, tw_source_pos *offs, uint32_t n)
{
    pthread_mutex_lock(&k->mu);
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 64;
        commit_entry *v = malloc(cap * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&k->mu);
            return false;
        }
        for (size_t i = 0; i < k->n; i++)
            v[i] = k->log[(k->head + i) % k->cap];
        free(k->log);
        k->log = v;
        k->head = 0;
        k->cap = cap;
    }
    k->log[(k->head + k->n) % k->cap] = (commit_entry){ chunk, 0, false, offs, n };
    k->n++;
    pthread_mutex_unlock(&k->mu);
    return true;
}

void tw_kafka_routed(void *ud, uint64_t chunk, uint64_t seq_end)
{
    tw_kafka *k = ud;
    pthread_mutex_lock(&k->mu);
    for (size_t i = 0; i < k->n; i++) {
        commit_entry *e = &k->log[(k->head + i) % k->cap];
        if (e->chunk == chunk) {
            e->routed = true;
            e->seq_end = seq_end;
            break;
        }
    }
    pthread_mutex_unlock(&k->mu);
}

/* Flushes every sink: the findings written so far are durable. False (said) if one failed:
 * no offset may be committed then. */
static bool flush_sinks(tw_sink *sinks, size_t n_sinks)
{
    for (size_t s = 0; s < n_sinks; s++)
        if (tw_sink_flush(&sinks[s]) != TW_SINK_OK) {
            tw_log("output %s: flush failed: %s; offsets not committed", sinks[s].spec,
                   tw_sink_error(&sinks[s]));
            return false;
        }
    return true;
}

/* Stores for commit the offsets of the chunks wholly written below released_upto; the sinks
 * are flushed first. force: now, else at most every STORE_EVERY_MS. False if a sink failed. */
bool tw_kafka_progress(tw_kafka *k, uint64_t released_upto, tw_sink *sinks, size_t n_sinks,
                       bool force)
{
    double t = tw_now_s();
    if (!force && t - k->last_store < STORE_EVERY_MS / 1000.0)
        return true;
    pthread_mutex_lock(&k->mu);
    bool any = false; /* an entry left the log: drain waits for that */
    while (k->n) {
        commit_entry *e = &k->log[k->head];
        if (!e->routed || e->seq_end > released_upto)
            break;
        any = true; /* a barrier's or a state operation's entry has no offsets, and counts */
        for (uint32_t i = 0; i < e->n_offs; i++) {
            kpart *p = &k->parts[e->offs[i].part];
            if (e->offs[i].offset > p->done)
                p->done = e->offs[i].offset;
        }
        free(e->offs);
        k->head = (k->head + 1) % k->cap;
        k->n--;
    }
    bool store = false;
    for (uint32_t i = 0; i < k->n_parts; i++)
        store |= k->parts[i].done > k->parts[i].stored;
    /* --state-topic: offsets are stored at barriers only, once the changelog holds the state
     * they lead to (tw_kafka_write_checkpoint) */
    store &= k->cl == NULL;
    pthread_mutex_unlock(&k->mu);
    k->last_store = t;
    if (!store) {
        if (any)
            pthread_cond_broadcast(&k->cond);
        return true;
    }
    /* the findings of those records must be durable before their offsets may be committed */
    if (!flush_sinks(sinks, n_sinks))
        return false;
    pthread_mutex_lock(&k->mu);
    tw_source_pos *done = malloc((k->n_parts ? k->n_parts : 1) * sizeof *done);
    uint32_t n = 0;
    for (uint32_t i = 0; done && i < k->n_parts; i++) {
        kpart *p = &k->parts[i];
        if (p->done > p->stored)
            done[n++] = (tw_source_pos){ i, p->done };
        p->stored = p->done;
    }
    pthread_mutex_unlock(&k->mu);
    if (n)
        tw_source_commit(k->src, done, n); /* of the partitions still assigned */
    free(done);
    pthread_cond_broadcast(&k->cond);
    return true;
}

/* ---- chunks ----------------------------------------------------------------------------- */

/* Room for a line of `more` bytes from partition pi in the open chunk. */
static bool open_reserve(tw_kafka *k, uint32_t pi, size_t more)
{
    if (!k->open) {
        if (!(k->open = tw_chunk_new(CHUNK_BYTES + more + TW_JSON_PADDING)))
            return false;
        k->open->input = 0;
        k->open->first_line = k->messages_total;
        k->open_started = tw_now_s();
    }
    tw_chunk *c = k->open;
    if (c->n_line_source == k->cap_line_source) {
        size_t cap = k->cap_line_source ? k->cap_line_source * 2 : 256;
        uint16_t *v = realloc(c->line_source, cap * sizeof *v);
        if (!v)
            return false;
        c->line_source = v;
        k->cap_line_source = cap;
    }
    if (k->parts[pi].open_max < 0 && k->n_open_parts == k->cap_open_parts) {
        uint32_t cap = k->cap_open_parts ? k->cap_open_parts * 2 : 16;
        uint32_t *v = realloc(k->open_parts, cap * sizeof *v);
        if (!v)
            return false;
        k->open_parts = v;
        k->cap_open_parts = cap;
    }
    if (c->len + more + TW_JSON_PADDING <= c->cap)
        return true;
    size_t cap = (c->len + more + TW_JSON_PADDING) * 2;
    char *buf = realloc(c->buf, cap);
    if (!buf)
        return false;
    c->buf = buf;
    c->cap = cap;
    return true;
}

/* The ring of the parser that reads chunk number seq (dealt round-robin, as in replay). */
static tw_ring *parser_ring(tw_kafka *k, uint64_t seq)
{
    return k->pl->chunk_rings[seq % (uint64_t)k->pl->n_parsers];
}

/* Hands a chunk to its parser. While the parsers are full the source is paused and keeps
 * serving the group (a member that stops polling is evicted); what comes meanwhile it keeps
 * for after. A revocation meanwhile pushes the chunk itself (drain). */
static bool push_chunk(tw_kafka *k, tw_chunk *chunk)
{
    tw_pipeline *pl = k->pl;
    tw_ring *ring = parser_ring(k, chunk->seq);
    /* a full ring is mostly a parser a moment behind: wait a little before pausing */
    tw_err err = tw_ring_push_timed(ring, chunk, 100);
    if (err == TW_OK)
        return true;
    if (err != TW_ERR_AGAIN) {
        tw_chunk_destroy(chunk);
        return false;
    }
    k->pushing = chunk;
    k->pushing_ring = ring;
    tw_source_pause(k->src);
    while (k->pushing && !atomic_load(&pl->failed)) {
        err = tw_ring_push_timed(ring, chunk, 50);
        if (err != TW_ERR_AGAIN) {
            if (err != TW_OK)
                tw_chunk_destroy(chunk);
            k->pushing = NULL;
            break;
        }
        tw_raw raw;
        if (tw_source_next(k->src, &raw, 0) == TW_ERR_IO) /* paused: kept, not handed over */
            k->failed = true;
    }
    if (k->pushing) { /* the pipeline failed */
        tw_chunk_destroy(k->pushing);
        k->pushing = NULL;
    }
    tw_source_resume(k->src);
    return !atomic_load(&pl->failed);
}

/* Hands a chunk over with the offsets it covers (offs: owned by the commit log after). */
static bool emit_chunk(tw_kafka *k, tw_chunk *chunk, tw_source_pos *offs, uint32_t n_offs)
{
    chunk->seq = k->next_chunk++;
    atomic_fetch_add(&k->chunks, 1);
    memset(chunk->buf + chunk->len, ' ', TW_JSON_PADDING);
    if (!log_append(k, chunk->seq, offs, n_offs)) {
        free(offs);
        tw_chunk_destroy(chunk);
        return false;
    }
    return push_chunk(k, chunk);
}

/* Hands over the open chunk, with the highest offset of each partition it holds. */
static bool emit_open_chunk(tw_kafka *k)
{
    if (!k->open)
        return true;
    tw_chunk *chunk = k->open;
    k->open = NULL;
    k->open_messages = 0;
    k->cap_line_source = 0;
    tw_source_pos *offs = malloc((k->n_open_parts ? k->n_open_parts : 1) * sizeof *offs);
    uint32_t n = 0;
    for (uint32_t i = 0; i < k->n_open_parts; i++) {
        kpart *p = &k->parts[k->open_parts[i]];
        if (offs)
            offs[n++] = (tw_source_pos){ k->open_parts[i], p->open_max };
        p->open_max = -1;
    }
    k->n_open_parts = 0;
    if (!offs) {
        tw_chunk_destroy(chunk);
        return false;
    }
    /* one partition's lines only (the common case with few partitions): no list needed, unless
     * one is a copy of a grant call */
    bool copies = k->open_copies;
    k->open_copies = false;
    if (n == 1 && !copies) {
        chunk->source = tw_source_of_part(offs[0].part);
        free(chunk->line_source);
        chunk->line_source = NULL;
        chunk->n_line_source = 0;
    }
    return emit_chunk(k, chunk, offs, n);
}

/* Hands over the open chunk (all: else only when older than CHUNK_AGE_MS). */
static bool emit_open(tw_kafka *k, bool all)
{
    if (!k->open || (!all && tw_now_s() - k->open_started < CHUNK_AGE_MS / 1000.0))
        return true;
    return emit_open_chunk(k);
}

/* A whole value that is not one line of JSON: a chunk of its own for a parser to decompress
 * and split (the open chunk goes first, to keep the order). */
static bool emit_whole(tw_kafka *k, const void *data, size_t len, uint32_t pi, int64_t offset,
                       bool grant_copy)
{
    if (!emit_open_chunk(k))
        return false;
    tw_source_pos *offs = malloc(sizeof *offs);
    if (!offs)
        return false;
    *offs = (tw_source_pos){ pi, offset };
    tw_chunk *chunk = tw_chunk_new(len + TW_JSON_PADDING);
    if (!chunk) {
        free(offs);
        return false;
    }
    TW_SOURCE_READS_BEGIN();
    memcpy(chunk->buf, data, len);
    TW_SOURCE_READS_END();
    chunk->len = len;
    chunk->whole_input = true;
    chunk->first_line = k->messages_total;
    chunk->source = tw_source_of_part(pi);
    chunk->grant_copy = grant_copy;
    return emit_chunk(k, chunk, offs, 1);
}

/* The first message after an assignment: when reading starts past where this instance's
 * state of the partition ends (another member read what came before, or an earlier run
 * without --state-dir), its identities start here without their history. Said once a
 * partition and counted: state does not move between members. */
static void check_history(tw_kafka *k, uint32_t pi, kpart *p, int64_t offset)
{
    p->await_first = false;
    int64_t from = p->history_from;
    if (from < 0) {
        int64_t lo = 0, hi = 0;
        if (!tw_source_kafka_watermarks(k->src, pi, &lo, &hi) || lo < 0)
            lo = 0;
        from = lo;
    }
    if (offset <= from)
        return;
    if (p->history_from < 0 && !p->offsets_only) {
        /* nothing read here before: a gap only if the group read it (a committed offset),
         * not when a new group starts at the end (auto.offset.reset=latest) */
        int64_t committed = -1;
        if (tw_source_kafka_committed(k->src, &pi, 1, &committed, 2000) != TW_OK || committed < 0)
            return;
    }
    tw_source_part sp;
    tw_source_kafka_part_get(k->src, pi, &sp);
    atomic_fetch_add(&k->history_gaps, 1);
    tw_log("kafka: %s[%" PRId32 "]: reading starts at offset %" PRId64
           "; the records from offset %" PRId64 " on were read by another member of the "
           "group or by an earlier run, and their state is not here: this partition's "
           "identities start without their history (windows, baselines, values seen); "
           "state moves between runs with --state-dir, not between members",
           sp.topic, sp.partition, offset, from);
}

/* One message the source handed over. */
static void handle_message(tw_kafka *k, const tw_raw *raw)
{
    uint32_t pi = raw->pos.part;
    /* the array grows on this thread only: a partition it has needs no lock to be found */
    kpart *p = pi < k->n_parts ? &k->parts[pi] : NULL;
    if (!p) {
        pthread_mutex_lock(&k->mu);
        p = part_at(k, pi);
        pthread_mutex_unlock(&k->mu);
    }
    if (!p) {
        k->failed = true;
        return;
    }
    k->messages_total++;
    if (p->await_first)
        check_history(k, pi, p, raw->pos.offset);
    const char *v = raw->p;
    size_t len = raw->len;
    if (!raw->one_line) {
        if (!emit_whole(k, v, len, pi, raw->pos.offset, raw->grant_copy))
            k->failed = true;
        return;
    }
    if (!open_reserve(k, pi, len + 1)) {
        k->failed = true;
        return;
    }
    /* one line of JSON; or an empty value (a tombstone): an empty line, nothing to read, its
     * offset still moves on (a line a message: problems name lines as messages) */
    p = &k->parts[pi];
    tw_chunk *c = k->open;
    if (len) {
        TW_SOURCE_READS_BEGIN();
        memcpy(c->buf + c->len, v, len);
        TW_SOURCE_READS_END();
        c->len += len;
    }
    c->buf[c->len++] = '\n';
    /* a copy of a grant call is marked on its line (for the grant books only): copies come in
     * every partition, a chunk of their own would cut the chunks short */
    c->line_source[c->n_line_source++] =
        (uint16_t)(tw_source_of_part(pi) | (raw->grant_copy ? TW_LINE_GRANT_COPY : 0));
    k->open_copies |= raw->grant_copy;
    if (p->open_max < 0)
        k->open_parts[k->n_open_parts++] = pi;
    if (raw->pos.offset > p->open_max)
        p->open_max = raw->pos.offset;
    bool full = c->len >= CHUNK_BYTES ||
                (k->test_chunk_messages && ++k->open_messages >= k->test_chunk_messages);
    if (full && !emit_open_chunk(k))
        k->failed = true;
}

/* ---- the group -------------------------------------------------------------------------- */

/* An empty chunk that carries a checkpoint barrier or a state operation through the pipeline, in
 * stream order after everything handed over (the open chunk goes first). False when out of
 * memory or the pipeline failed; op (may be NULL) is freed when it never got in. */
static bool emit_marker(tw_kafka *k, bool barrier, tw_state_op *op)
{
    tw_chunk *chunk = emit_open_chunk(k) ? tw_chunk_new(TW_JSON_PADDING + 1) : NULL;
    if (chunk) {
        chunk->checkpoint = barrier;
        chunk->state_op = op;
        chunk->seq = k->next_chunk++;
        if (log_append(k, chunk->seq, NULL, 0))
            return push_chunk(k, chunk);
        tw_chunk_destroy(chunk);
    }
    if (op) {
        tw_buf_free(&op->records);
        free(op);
    }
    return false;
}

/* Waits until every chunk handed over so far is processed, written and its offsets stored. */
static void drain(tw_kafka *k)
{
    if (k->pushing) { /* a revocation while a chunk waited for room: it goes in first */
        if (!tw_ring_push(k->pushing_ring, k->pushing))
            tw_chunk_destroy(k->pushing);
        k->pushing = NULL;
    }
    emit_open(k, true);
    struct timespec until = tw_deadline_after_ms(REVOKE_WAIT_MS);
    pthread_mutex_lock(&k->mu);
    while (k->n && !atomic_load(&k->pl->failed))
        if (pthread_cond_timedwait(&k->cond, &k->mu, &until))
            break;
    pthread_mutex_unlock(&k->mu);
}

/* ---- checkpoints (--state-dir) ----------------------------------------------------------- */

/* Where each partition's reading resumes from this barrier: past the last record done; else,
 * for a partition of the restored checkpoint, the checkpoint's offset (whether it is assigned
 * yet or not: the restored state ends there); else, for an assigned partition nothing was read
 * from, where the group had it (committed, else the beginning): the state holds nothing of
 * it. Reader thread; it asks the cluster under no lock. */
static void snapshot_offsets(tw_kafka *k)
{
    uint32_t n_src = tw_source_n_parts(k->src);
    pthread_mutex_lock(&k->mu);
    bool ok = n_src == 0 || part_at(k, n_src - 1);
    uint32_t n_parts = k->n_parts;
    tw_source_pos *snap = ok ? calloc(n_parts ? n_parts : 1, sizeof *snap) : NULL;
    uint32_t *ask = snap ? calloc(n_parts ? n_parts : 1, sizeof *ask) : NULL;
    uint32_t n = 0, n_ask = 0;
    for (uint32_t i = 0; ask && i < n_parts; i++) {
        const kpart *p = &k->parts[i];
        bool assigned = tw_source_kafka_assigned(k->src, i);
        if (p->done < 0 && !p->has_resume && !assigned)
            continue;
        if (p->done < 0 && k->cl) /* --state-topic: only what was read here is committed */
            continue;
        int64_t offset = p->done >= 0    ? p->done + 1
                         : p->has_resume ? p->resume
                                         : TW_SOURCE_OFFSET_GROUP;
        snap[n++] = (tw_source_pos){ i, offset };
        if (offset == TW_SOURCE_OFFSET_GROUP)
            ask[n_ask++] = i;
    }
    pthread_mutex_unlock(&k->mu);
    int64_t *committed = n_ask ? malloc(n_ask * sizeof *committed) : NULL;
    if (committed && tw_source_kafka_committed(k->src, ask, n_ask, committed, 10000) == TW_OK) {
        for (uint32_t a = 0; a < n_ask; a++)
            for (uint32_t i = 0; i < n; i++)
                if (snap[i].part == ask[a] && snap[i].offset == TW_SOURCE_OFFSET_GROUP)
                    snap[i].offset = committed[a];
    }
    for (uint32_t i = 0; i < n; i++)
        if (snap[i].offset < 0)
            snap[i].offset = TW_SOURCE_OFFSET_BEGINNING; /* never committed: from the start */
    free(committed);
    free(ask);
    pthread_mutex_lock(&k->mu);
    free(k->snap);
    k->snap = snap;
    k->n_snap = snap ? n : 0;
    pthread_mutex_unlock(&k->mu);
}

/* A barrier through the pipeline: once everything handed over so far is done (drain), an
 * empty chunk marked checkpoint goes in; the router saves the grant book, every worker its
 * shard, and the output stage writes them with the offsets done (tw_kafka_write_checkpoint).
 * Nothing is handed over meanwhile, so the offsets are exactly those the state covers.
 * Skipped when nothing was handed over since the last one (or since the start) and no
 * partition was assigned: the checkpoint on disk says the same already (a restart waiting for
 * its assignment, or stopped before it, has nothing to add: rewriting a checkpoint of millions
 * of identities for nothing costs seconds of I/O). */
static void checkpoint(tw_kafka *k)
{
    if ((!k->conf->state_dir && !k->cl) || k->pipeline_done || atomic_load(&k->pl->failed))
        return;
    if (!k->ckpt_due && !k->open && !k->pushing && k->next_chunk == k->ckpt_mark) {
        k->last_ckpt = tw_now_s();
        return;
    }
    k->ckpt_due = false;
    drain(k);
    snapshot_offsets(k); /* nothing is handed over until the barrier is written */
    pthread_mutex_lock(&k->mu);
    uint64_t before = k->ckpt_written;
    pthread_mutex_unlock(&k->mu);
    if (!emit_marker(k, true, NULL))
        return;
    struct timespec until = tw_deadline_after_ms(REVOKE_WAIT_MS);
    pthread_mutex_lock(&k->mu);
    while (k->ckpt_written == before && !atomic_load(&k->pl->failed))
        if (pthread_cond_timedwait(&k->cond, &k->mu, &until))
            break;
    pthread_mutex_unlock(&k->mu);
    k->last_ckpt = tw_now_s();
    k->ckpt_mark = k->next_chunk;
}

/* --state-topic at a barrier: each worker's changed identities and tombstones to the changelog
 * partition of their input partition; once all are acknowledged and the findings before the
 * barrier flushed, the barrier's offsets are stored for commit. A failure stops the run with
 * nothing stored: a restart reads again from the last barrier the changelog holds. */
static void write_changelog(tw_kafka *k, tw_buf *const *states, int n_states, tw_sink *sinks,
                            size_t n_sinks)
{
    tw_pipeline *pl = k->pl;
    for (int w = 0; w < n_states; w++)
        if (!states[w] || states[w]->failed) {
            tw_log("kafka: --state-topic %s: out of memory saving the state of a barrier; "
                   "offsets not committed, stopping",
                   tw_changelog_topic(k->cl));
            tw_pipeline_abort(pl);
            return;
        }
    for (int w = 0; w < n_states; w++) {
        tw_wire_reader r = { (const unsigned char *)states[w]->p,
                             (const unsigned char *)states[w]->p + states[w]->len, false };
        uint64_t n = tw_wire_get_u64(&r);
        tw_ckpt_rec rec;
        for (uint64_t i = 0; i < n && tw_ckpt_get_rec(&r, &rec); i++) {
            if (!rec.source) /* a group record across identities: no partition of its own */
                continue;
            tw_source_part sp;
            tw_source_kafka_part_get(k->src, rec.source - 1, &sp);
            if (!sp.assigned) /* lost meanwhile: its new owner writes it now */
                continue;
            tw_changelog_put(k->cl, sp.partition, rec.key, rec.has_value ? rec.value.p : NULL,
                             rec.value.len);
        }
    }
    char errstr[512];
    if (tw_changelog_flush(k->cl, errstr, sizeof errstr) != TW_OK) {
        tw_log("%s; offsets not committed, stopping (a restart goes on from the last barrier "
               "the changelog holds)",
               errstr);
        tw_pipeline_abort(pl);
        return;
    }
    if (!flush_sinks(sinks, n_sinks)) {
        tw_pipeline_abort(pl);
        return;
    }
    pthread_mutex_lock(&k->mu);
    tw_source_pos *done = malloc((k->n_snap ? k->n_snap : 1) * sizeof *done);
    uint32_t n = 0;
    for (uint32_t i = 0; done && i < k->n_snap; i++)
        if (k->snap[i].offset > 0) /* where reading resumes: the record before it is done */
            done[n++] = (tw_source_pos){ k->snap[i].part, k->snap[i].offset - 1 };
    pthread_mutex_unlock(&k->mu);
    if (n)
        tw_source_commit(k->src, done, n); /* of the partitions still assigned */
    free(done);
}

void tw_kafka_write_checkpoint(tw_kafka *k, tw_buf *const *states, int n, tw_sink *sinks,
                               size_t n_sinks)
{
    if (k && k->cl) {
        write_changelog(k, states, n, sinks, n_sinks); /* the workers', the router's */
        pthread_mutex_lock(&k->mu);
        k->ckpt_written++;
        pthread_cond_broadcast(&k->cond);
        pthread_mutex_unlock(&k->mu);
        return;
    }
    if (!k || !k->conf->state_dir)
        return;
    tw_pipeline *pl = k->pl;
    pthread_mutex_lock(&k->mu);
    tw_ckpt_part *parts = calloc(k->n_snap ? k->n_snap : 1, sizeof *parts);
    for (uint32_t i = 0; parts && i < k->n_snap; i++) {
        uint32_t pi = k->snap[i].part;
        tw_source_part sp;
        tw_source_kafka_part_get(k->src, pi, &sp);
        parts[i] = (tw_ckpt_part){ sp.topic, sp.partition, k->snap[i].offset, INT64_MIN };
        /* where the partition's stream starts: the router's (it set it before the barrier) */
        pthread_mutex_lock(&pl->src_start_mu);
        if (pi + 1 < pl->n_src_start)
            parts[i].start_ms = pl->src_start[pi + 1];
        pthread_mutex_unlock(&pl->src_start_mu);
    }
    /* the router's state (its stream detectors': audit destinations, grant book) is the last
     * producer's */
    bool router = pl->n_streams > 0;
    char errstr[512];
    tw_err err = parts ? tw_ckpt_write(k->conf->state_dir, k->fingerprint, INT64_MIN, parts,
                                       k->n_snap, router ? states[n - 1] : NULL, states,
                                       (uint32_t)(router ? n - 1 : n), errstr, sizeof errstr)
                       : TW_ERR_NOMEM;
    pthread_mutex_unlock(&k->mu);
    free(parts);
    if (err == TW_ERR_NOMEM)
        tw_log("--state-dir %s: out of memory writing the checkpoint", k->conf->state_dir);
    else if (err)
        tw_log("%s", errstr);
    pthread_mutex_lock(&k->mu);
    k->ckpt_written++;
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->mu);
}

/* A partition of the checkpoint: where its reading resumes, and its stream's start. */
static tw_err restore_part(void *ud, const tw_ckpt_part *cp)
{
    tw_kafka *k = ud;
    pthread_mutex_lock(&k->mu);
    kpart *p = part_at(k, tw_source_kafka_part(k->src, cp->topic, cp->partition));
    if (p) {
        p->resume = cp->offset;
        p->has_resume = true;
        p->start_ms = cp->start_ms;
    }
    pthread_mutex_unlock(&k->mu);
    return p ? TW_OK : TW_ERR_NOMEM;
}

tw_err tw_kafka_restore(tw_kafka *k, char *errstr, size_t errstr_size)
{
    const char *dir = k->conf->state_dir;
    if (!dir)
        return TW_OK;
    tw_ckpt_read got;
    tw_err err =
        tw_ckpt_restore(dir, k->pl, k->fingerprint, restore_part, k, &got, errstr, errstr_size);
    if (err)
        return err;
    if (got.foreign) {
        /* The records from the checkpoint's offsets on are read again into a fresh state. */
        tw_log("--state-dir %s/checkpoint: written with other rules or "
               "another build; its state is not restored, reading from its offsets",
               dir);
        return TW_OK;
    }
    k->state_restored = got.restored;
    /* each partition's stream start, for the router (its sources are the partitions + 1) */
    tw_pipeline *pl = k->pl;
    for (uint32_t pi = 0; got.restored && pi < k->n_parts; pi++)
        if (k->parts[pi].has_resume &&
            !tw_pipeline_set_src_start(pl, pi + 1, k->parts[pi].start_ms)) {
            snprintf(errstr, errstr_size, "--state-dir %s: out of memory restoring", dir);
            return TW_ERR_NOMEM;
        }
    return TW_OK;
}

/* ---- the changelog (--state-topic) ------------------------------------------------------ */

/* An assigned partition is held while its changelog partition is read: its reading starts at
 * the group's committed offset, where the changelog's state ends. */
static void assign_changelog(tw_kafka *k, uint32_t pi)
{
    pthread_mutex_lock(&k->mu);
    kpart *p = part_at(k, pi);
    if (p) {
        p->await_first = false; /* its history comes from the changelog */
        p->restoring = true;
        p->ticket++;
        p->assigned_at = tw_now_s();
    }
    uint64_t ticket = p ? p->ticket : 0;
    pthread_mutex_unlock(&k->mu);
    tw_source_part sp;
    tw_source_kafka_part_get(k->src, pi, &sp);
    if (!p || !tw_changelog_restore(k->cl, pi, sp.partition, ticket)) {
        k->failed = true;
        return;
    }
    tw_source_kafka_hold(k->src, pi);
}

/* The partitions whose state is in the pipeline go on together, once no restore is under way:
 * what the router keeps across partitions (the audit destinations one partition's records
 * named, that another's deletions hit) is then whole before any of their records, whichever
 * restore ended first. A partition waits for the longest restore of its assignment. */
static void release_restored(tw_kafka *k)
{
    pthread_mutex_lock(&k->mu);
    bool waiting = false, any = false;
    for (uint32_t i = 0; i < k->n_parts; i++) {
        waiting |= k->parts[i].restoring;
        any |= k->parts[i].restored;
    }
    pthread_mutex_unlock(&k->mu);
    if (waiting || !any)
        return;
    double now = tw_now_s();
    for (uint32_t i = 0; i < k->n_parts; i++) {
        pthread_mutex_lock(&k->mu);
        kpart *p = &k->parts[i];
        bool go = p->restored;
        p->restored = false;
        if (go)
            p->rs_paused = now - p->assigned_at;
        pthread_mutex_unlock(&k->mu);
        if (go)
            tw_source_kafka_release(k->src, i);
    }
}

/* The restores done: their records to the workers (in stream order, before any record of their
 * partitions, which are held), then the partitions go on (release_restored). */
static void deliver_restores(tw_kafka *k)
{
    tw_restored r;
    while (tw_changelog_take(k->cl, &r)) {
        pthread_mutex_lock(&k->mu);
        kpart *p = r.part < k->n_parts ? &k->parts[r.part] : NULL;
        bool current = p && p->restoring && p->ticket == r.ticket;
        if (current) {
            p->restoring = false;
            p->restores++;
            p->rs_records = r.n_records;
            p->rs_bytes = r.bytes;
            p->rs_damaged = r.damaged;
            p->rs_seconds = r.seconds;
        }
        pthread_mutex_unlock(&k->mu);
        if (!current) { /* revoked meanwhile: a later assignment reads it again */
            tw_buf_free(&r.records);
            continue;
        }
        if (r.failed)
            atomic_fetch_add(&k->history_gaps, 1);
        tw_state_op *op = calloc(1, sizeof *op);
        if (!op) {
            tw_buf_free(&r.records);
            k->failed = true;
            return;
        }
        op->part = r.part;
        op->records = r.records;
        op->n_records = r.n_records;
        if (!emit_marker(k, false, op)) {
            k->failed = true;
            return;
        }
        pthread_mutex_lock(&k->mu);
        k->parts[r.part].restored = true;
        pthread_mutex_unlock(&k->mu);
        if (k->conf->verbosity > 0) {
            tw_source_part sp;
            tw_source_kafka_part_get(k->src, r.part, &sp);
            tw_log("kafka: %s[%" PRId32 "]: %" PRIu64 " state records (%" PRIu64
                   " bytes) restored from %s in %.3f s",
                   sp.topic, r.partition, r.n_records, r.bytes, tw_changelog_topic(k->cl),
                   r.seconds);
        }
    }
    release_restored(k);
}

void tw_kafka_state_op_done(tw_kafka *k, tw_state_op *op)
{
    pthread_mutex_lock(&k->mu);
    if (op->part < k->n_parts && !op->drop) {
        kpart *p = &k->parts[op->part];
        p->rs_identities = atomic_load(&op->applied);
        p->rs_foreign = atomic_load(&op->foreign);
        p->rs_damaged += atomic_load(&op->damaged);
    }
    pthread_mutex_unlock(&k->mu);
    atomic_fetch_add(&k->dropped, atomic_load(&op->dropped));
    if (atomic_load(&op->foreign) && k->conf->verbosity >= 0)
        tw_log("kafka: --state-topic: %" PRIu64 " state records written with other rules or "
               "another build were not restored: their identities start afresh",
               (uint64_t)atomic_load(&op->foreign));
    if (atomic_load(&op->failed))
        tw_log("kafka: --state-topic: out of memory restoring %" PRIu64 " identities",
               (uint64_t)atomic_load(&op->failed));
    tw_buf_free(&op->records);
    free(op);
}

/* The source's on_revoked hook: the partition's identities leave this consumer (a revocation
 * wrote them to the changelog first, at its barrier; a lost partition's new owner restores
 * what the last barrier wrote). A restore under way is forgotten. */
static void on_revoked(void *ud, uint32_t pi, bool lost)
{
    tw_kafka *k = ud;
    (void)lost;
    if (!k->cl || k->pipeline_done)
        return;
    pthread_mutex_lock(&k->mu);
    kpart *p = part_at(k, pi);
    if (p) {
        p->restoring = false;
        p->restored = false;
        p->ticket++;
    }
    pthread_mutex_unlock(&k->mu);
    tw_state_op *op = calloc(1, sizeof *op);
    if (!op || !p) {
        free(op);
        k->failed = true;
        return;
    }
    op->part = pi;
    op->drop = true;
    tw_buf_init(&op->records);
    if (!emit_marker(k, false, op))
        k->failed = true;
}

/* The source's on_assign hook (reader thread, inside tw_source_next): where the partition's
 * reading starts, and what its first message is checked against. */
static void on_assign(void *ud, uint32_t pi, int64_t *offset)
{
    tw_kafka *k = ud;
    if (k->cl) {
        assign_changelog(k, pi);
        return;
    }
    pthread_mutex_lock(&k->mu);
    kpart *p = part_at(k, pi);
    if (p) {
        p->await_first = true;
        p->history_from = p->done >= 0 ? p->done + 1 : -1;
        p->offsets_only = false;
        if (p->done < 0 && p->has_resume) {
            /* nothing read here yet in this run: start where the restored state of the
             * partition ends (its history is here), not at the group's offset */
            *offset = p->resume;
            if (k->state_restored)
                p->history_from = p->resume;
            else
                p->offsets_only = true;
        }
    }
    pthread_mutex_unlock(&k->mu);
    if (!p)
        k->failed = true;
    k->ckpt_due = k->conf->state_dir != NULL; /* where these partitions start, saved */
}

/* The source's on_revoke hook: finish what is in flight, flush, store, checkpoint; then the
 * source commits and lets the partitions go. Nothing to do once the stages have stopped. */
static bool on_revoke(void *ud)
{
    tw_kafka *k = ud;
    if (k->pipeline_done)
        return false;
    drain(k);
    checkpoint(k); /* the state of what is let go, with its offsets */
    return true;
}

/* ---- the properties, the life ----------------------------------------------------------- */

tw_err tw_kafka_check_props(const tw_app_conf *conf, char *errstr, size_t errstr_size)
{
    /* the consumer's (the source's) and the kafka: sink's producer's: consume's -X reach both */
    size_t n_source;
    const tw_kafka_guard *source = tw_source_kafka_guards(conf->exit_at_end, &n_source);
    tw_kafka_guard guards[8];
    size_t n = 0;
    for (size_t i = 0; i < n_source && n < 8; i++)
        guards[n++] = source[i];
    for (size_t i = 0; i < tw_sink_kafka_n_guards && n < 8; i++)
        guards[n++] = tw_sink_kafka_guards[i];
    return tw_kafka_conf_check(conf->kafka_props, conf->n_kafka_props, guards, n, errstr,
                               errstr_size);
}

tw_err tw_kafka_new(tw_pipeline *pl, const tw_app_conf *conf, tw_kafka **out, char *errstr,
                    size_t errstr_size)
{
    *out = NULL;
    tw_kafka *k = calloc(1, sizeof *k);
    if (!k)
        return TW_ERR_NOMEM;
    k->pl = pl;
    k->conf = conf;
    k->fingerprint = pl->rules ? tw_rules_fingerprint(pl->rules) : 0;
    k->last_ckpt = tw_now_s();
    const char *knob = getenv("TRAILWARDEN_TEST_CHUNK_MESSAGES");
    if (knob && *knob) {
        char *end;
        unsigned long n = strtoul(knob, &end, 10);
        if (*end || n < 1 || n > UINT32_MAX) {
            snprintf(errstr, errstr_size,
                     "TRAILWARDEN_TEST_CHUNK_MESSAGES needs a number of messages, not '%s'", knob);
            free(k);
            return TW_ERR_INVALID;
        }
        k->test_chunk_messages = (uint32_t)n;
    }
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cond, NULL);
    int64_t timeout_ms = conf->broker_timeout_ms >= 0 ? conf->broker_timeout_ms
                         : conf->exit_at_end          ? BROKER_TIMEOUT_AT_END_MS
                                                      : 0;
    /* the guarded properties last: tw_kafka_check_props refused any -X that changes them
     * already (the consumer's only: librdkafka warns about a producer property given to a
     * consumer) */
    const tw_source_conf sc = {
        .verbosity = conf->verbosity,
        .brokers = conf->brokers,
        .group = conf->group,
        .topics = conf->topics,
        .n_topics = conf->n_topics,
        .props = conf->kafka_props,
        .n_props = conf->n_kafka_props,
        .exit_at_end = conf->exit_at_end,
        .guarded = true,
        .broker_timeout_ms = timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms,
        .hook_ud = k,
        .on_assign = on_assign,
        .on_revoke = on_revoke,
        .on_revoked = on_revoked,
    };
    tw_err err = conf->state_topic ? tw_changelog_open(conf, &k->cl, errstr, errstr_size) : TW_OK;
    if (err) {
        tw_kafka_destroy(k);
        return err;
    }
    if (k->cl)
        pl->input_partitions = tw_changelog_partitions(k->cl);
    err = tw_source_open(&tw_source_kafka, &sc, &k->src, errstr, errstr_size);
    if (err) {
        tw_kafka_destroy(k);
        return err == TW_ERR_NOMEM ? err : TW_ERR_INVALID;
    }
    pl->source = k->src;
    pl->source_flags = tw_source_flags(k->src);
    pl->chunk_routed = tw_kafka_routed;
    pl->chunk_routed_ud = k;
    *out = k;
    return TW_OK;
}

tw_err tw_kafka_subscribe(tw_kafka *k, char *errstr, size_t errstr_size)
{
    return tw_source_start(k->src, errstr, errstr_size);
}

void *tw_kafka_main(void *arg)
{
    tw_pipeline *pl = arg;
    tw_kafka *k = pl->kafka;
    while (!tw_stop_requested && !atomic_load(&pl->failed) && !k->failed) {
        /* with chunks open, only what the source holds already: a record waits in an open
         * chunk while more are at hand, never for more to come */
        tw_raw raw;
        tw_err err = tw_source_next(k->src, &raw, k->open ? 0 : 100);
        bool got = err == TW_OK;
        if (got)
            handle_message(k, &raw);
        else if (err != TW_ERR_AGAIN && err != TW_ERR_EOF)
            k->failed = true; /* the source failed: said on stderr */
        if (k->failed)
            break;
        /* nothing at hand, or the parser next in turn idle: everything goes (a record never
         * waits while a parser could read it; a busy pipeline gathers full chunks); else what
         * is older than CHUNK_AGE_MS (looked at every AGE_CHECK_EVERY messages: the clock
         * costs more than a message's copy) */
        bool now = !got || (k->open && !k->test_chunk_messages &&
                            tw_ring_consumer_idle(parser_ring(k, k->next_chunk)));
        bool aged = !k->test_chunk_messages && ++k->age_check % AGE_CHECK_EVERY == 0;
        if (k->open && (now || aged) && !emit_open(k, now))
            break;
        if (err == TW_ERR_EOF && !k->open) /* --exit-at-end: every partition at its end */
            break;
        if (k->cl)
            deliver_restores(k);
        if ((k->conf->state_dir || k->cl) &&
            (k->ckpt_due || tw_now_s() - k->last_ckpt >= k->conf->checkpoint_ms / 1000.0))
            checkpoint(k);
    }
    emit_open(k, true);
    checkpoint(k); /* at shutdown */
    if (k->failed && !atomic_load(&pl->failed))
        tw_pipeline_abort(pl);
    for (int i = 0; i < pl->n_parsers; i++)
        tw_ring_close(pl->chunk_rings[i]);
    return NULL;
}

bool tw_kafka_failed(const tw_kafka *k)
{
    return k->failed;
}

void tw_kafka_close(tw_kafka *k)
{
    if (!k || !k->src)
        return;
    k->pipeline_done = true; /* the revocation that closing brings has nothing in flight */
    tw_source_close(k->src, !k->failed);
}

void tw_kafka_print_stats(tw_kafka *k, FILE *o)
{
    tw_source_kafka_stats st;
    tw_source_kafka_get_stats(k->src, &st);
    fprintf(o, "  kafka.messages               %" PRIu64 "\n", st.messages);
    fprintf(o, "  kafka.bytes                  %" PRIu64 "\n", st.bytes);
    fprintf(o, "  kafka.offset_stores          %" PRIu64 "\n", st.offset_stores);
    fprintf(o, "  kafka.chunks                 %" PRIu64 "\n", (uint64_t)atomic_load(&k->chunks));
    fprintf(o, "  kafka.partitions_without_history %" PRIu64 "\n",
            (uint64_t)atomic_load(&k->history_gaps));
    fprintf(o, "  kafka.pauses                 %" PRIu64 "\n", st.pauses);
    fprintf(o, "  kafka.assignments            %" PRIu64 "\n", st.assignments);
    fprintf(o, "  kafka.revocations            %" PRIu64 "\n", st.revocations);
    fprintf(o, "  kafka.errors                 %" PRIu64 "\n", st.errors);
    if (k->cl) {
        tw_changelog_stats cs;
        tw_changelog_get_stats(k->cl, &cs);
        fprintf(o, "  kafka.changelog.records      %" PRIu64 "\n", cs.records);
        fprintf(o, "  kafka.changelog.tombstones   %" PRIu64 "\n", cs.tombstones);
        fprintf(o, "  kafka.changelog.bytes        %" PRIu64 "\n", cs.bytes);
        fprintf(o, "  kafka.changelog.barriers     %" PRIu64 "\n", cs.flushes);
        fprintf(o, "  kafka.changelog.too_large    %" PRIu64 "\n", cs.too_large);
        fprintf(o, "  kafka.changelog.failed       %" PRIu64 "\n", cs.failed);
        fprintf(o, "  kafka.identities_let_go      %" PRIu64 "\n",
                (uint64_t)atomic_load(&k->dropped));
        int32_t partition;
        uint64_t records, bytes;
        double seconds;
        if (tw_changelog_progress(k->cl, &partition, &records, &bytes, &seconds))
            fprintf(o,
                    "  kafka.restoring              %s[%" PRId32 "] records %" PRIu64
                    " bytes %" PRIu64 " seconds %.3f\n",
                    tw_changelog_topic(k->cl), partition, records, bytes, seconds);
    }
    pthread_mutex_lock(&k->mu);
    for (uint32_t i = 0; i < k->n_parts; i++) {
        tw_source_part sp;
        tw_source_kafka_part_get(k->src, i, &sp);
        const kpart *p = &k->parts[i];
        int64_t lo = 0, hi = 0, lag = -1;
        /* nothing done here yet: the lag is the group's to say, not this instance's */
        if (p->done >= 0 && tw_source_kafka_watermarks(k->src, i, &lo, &hi) && hi >= 0)
            lag = hi - (p->done + 1);
        fprintf(o,
                "  kafka.partition.%s[%" PRId32 "]  messages %" PRIu64 " done %" PRId64
                " lag %" PRId64 "%s\n",
                sp.topic, sp.partition, sp.messages, p->done, lag,
                sp.assigned ? (p->restoring ? " (restoring)" : "") : " (not assigned)");
        if (k->cl && p->restores)
            fprintf(o,
                    "  kafka.restore.%s[%" PRId32 "]  records %" PRIu64 " bytes %" PRIu64
                    " identities %" PRIu64 " damaged %" PRIu64 " foreign %" PRIu64
                    " seconds %.3f paused %.3f\n",
                    sp.topic, sp.partition, p->rs_records, p->rs_bytes, p->rs_identities,
                    p->rs_damaged, p->rs_foreign, p->rs_seconds, p->rs_paused);
    }
    pthread_mutex_unlock(&k->mu);
}

void tw_kafka_destroy(tw_kafka *k)
{
    if (!k)
        return;
    /* the pipeline is gone (or never ran): a revocation while the source goes must not push a
     * checkpoint barrier into its freed rings */
    k->pipeline_done = true;
    if (k->src && k->pl->source == k->src)
        k->pl->source = NULL;
    tw_source_destroy(k->src); /* its hooks reach k: before k goes */
    tw_changelog_destroy(k->cl);
    for (size_t i = 0; i < k->n; i++)
        free(k->log[(k->head + i) % k->cap].offs);
    free(k->log);
    free(k->parts);
    tw_chunk_destroy(k->open);
    free(k->open_parts);
    free(k->snap);
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->cond);
    free(k);
}
