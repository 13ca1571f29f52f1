/* app_kafka: consume's source, and its at-least-once bookkeeping (DESIGN §6, issue 5).
 *
 * The source thread is a consumer group member (librdkafka's high-level consumer,
 * cooperative-sticky). It packs message values into chunks for the parser threads, as the
 * reader does with files: single-line JSON values become the lines of one chunk; anything else
 * (a {"Records":[...]} body, a pretty-printed record, gzip or zstd) goes whole into a chunk of
 * its own, decompressed and split by a parser. Each chunk's highest offset per partition goes
 * into a commit log. The router says when a chunk's events are numbered (they all come before
 * a sequence number), the output stage says up to which sequence number every finding is
 * written; once the sinks are flushed, the offsets of the chunks wholly behind that point are
 * stored, and librdkafka commits stored offsets. So an offset is committed only after every
 * record before it is processed and its findings are out: a crash repeats, never loses.
 *
 * Backpressure: when the parsers' rings are full, the assigned partitions are paused and poll
 * keeps being called (a member that stops polling is evicted from the group); they resume once
 * the chunk is taken. On a revocation the chunks in flight are finished, flushed and committed
 * before the partitions are let go. */
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "app_checkpoint.h"
#include "app_pipeline.h"
#include "tw_time.h"
#include "output_kafka_conf.h"
#include "tw_log.h"

#define CHUNK_BYTES (256u << 10)  /* a chunk of lines is handed over at this size... */
#define CHUNK_AGE_MS 4            /* ...or this age, or when poll has nothing more at hand,
                                   * whichever comes first (latency) */
#define AGE_CHECK_EVERY 32
#define STORE_EVERY_MS 200        /* sinks flushed and offsets stored at most this often */
#define REVOKE_WAIT_MS 60000      /* how long a revocation waits for the chunks in flight */

atomic_int tw_stop_requested; /* lock-free: safe from a signal handler and between threads */
atomic_int tw_stats_requested;

typedef struct kpart {
    char *topic;
    int32_t partition;
    int64_t done;         /* highest offset whose record and findings are all out, or -1 */
    int64_t stored;       /* highest offset stored for commit, or -1 */
    bool assigned, eof;
    uint64_t messages;
    int64_t open_max;     /* its highest offset in the open chunk, -1 none (source thread) */
    /* after an assignment: where reading must start for this instance to hold the history of
     * the partition's identities (past what it did, or its restored checkpoint; -1: the
     * partition's start), looked at on the first message (source thread) */
    int64_t history_from;
    bool await_first;
    bool offsets_only;    /* it starts at a checkpoint's offset whose state was not restored */
    /* --state-dir: the next offset of this partition in the restored checkpoint, kept until a
     * record of it is done in this run: every assignment meanwhile starts there and every
     * checkpoint carries it on, assigned or not (a restart that is not assigned the partition
     * in time, or not at all, must not write a checkpoint that forgets where the state of the
     * partition's identities ends) */
    int64_t resume;
    bool has_resume;
    int64_t start_ms;          /* the restored checkpoint's start of its stream */
} kpart;

typedef struct part_off {
    uint32_t part;
    int64_t offset;
} part_off;

typedef struct commit_entry {
    uint64_t chunk;
    uint64_t seq_end;     /* the chunk's events are numbered below this */
    bool routed;
    part_off *offs;
    uint32_t n_offs;
} commit_entry;

struct tw_kafka {
    tw_pipeline *pl;
    const tw_app_conf *conf;
    rd_kafka_t *rk;
    pthread_mutex_t mu;   /* the log and parts' done/stored, shared with router and output */
    pthread_cond_t cond;  /* the log got shorter */
    commit_entry *log;
    size_t head, n, cap;  /* a ring of entries, in chunk order */
    kpart *parts;
    uint32_t n_parts, cap_parts;
    /* the chunk being filled with the messages of every partition, in arrival order, each
     * line's partition beside it (source thread only): one chunk for all, so it fills to
     * CHUNK_BYTES as fast as records come, however many partitions they are spread over */
    tw_chunk *open;
    double open_started;
    uint32_t open_messages; /* lines in it */
    /* a test knob (TRAILWARDEN_TEST_CHUNK_MESSAGES=N, tests/kafka/README.md): a chunk of lines
     * is handed over at N messages, or when poll has nothing at hand, never for its age or an
     * idle parser; so a test can cut the same records into chunks of many sizes (0: off) */
    uint32_t test_chunk_messages;
    uint32_t *open_parts; /* the partitions it holds messages of */
    uint32_t n_open_parts, cap_open_parts;
    size_t cap_line_source;
    uint32_t age_check;
    int32_t last_partition; /* the partition of the last message, and its index */
    uint32_t last_pi;
    uint64_t next_chunk;
    uint64_t messages_total; /* numbering for problems: "message N" */
    /* backpressure: the chunk waiting for room, and messages poll returned meanwhile */
    tw_chunk *pushing;
    tw_ring *pushing_ring;
    rd_kafka_message_t **stash;
    size_t n_stash, cap_stash, stash_head;
    double last_store;
    bool failed;          /* a fatal consumer error */
    /* --state-dir */
    uint64_t fingerprint; /* of the rules: what saved state means */
    uint64_t ckpt_written; /* checkpoints written (under mu; the source waits on it) */
    double last_ckpt;
    bool pipeline_done;   /* the stages have stopped: no barrier can pass any more */
    bool closed;          /* rd_kafka_consumer_close done */
    /* librdkafka 2.0.2's issue 4312 (see await_first_assignment) */
    bool subscribed;
    bool joined;          /* a JoinGroup was answered (we had a member id) */
    bool abandoned;       /* not destroyed: it would abort */
    double last_join_check;
    int session_ms;       /* session.timeout.ms */
    bool ckpt_due;        /* a partition was assigned: checkpoint where its reading starts */
    struct restore_off { char *topic; int32_t partition; int64_t offset; } *snap;
    uint32_t n_snap;      /* the offsets of the barrier in flight (under mu) */
    uint64_t ckpt_mark;   /* next_chunk after the last checkpoint: nothing new while equal */
    /* counters (read by --stats on SIGUSR1, from the output stage) */
    atomic_uint_fast64_t bytes, commits, pauses, revocations, assignments, errors;
    atomic_uint_fast64_t chunks; /* handed to the parsers (bytes / chunks: their mean size) */
    atomic_uint_fast64_t history_gaps; /* partitions read from past where our state ends */
    bool state_restored;  /* the checkpoint's state was restored (not only its offsets) */
};

/* ---- partitions ------------------------------------------------------------------------- */

static uint32_t part_index(tw_kafka *k, const char *topic, int32_t partition)
{
    for (uint32_t i = 0; i < k->n_parts; i++)
        if (k->parts[i].partition == partition && !strcmp(k->parts[i].topic, topic))
            return i;
    if (k->n_parts == k->cap_parts) {
        uint32_t cap = k->cap_parts ? k->cap_parts * 2 : 16;
        kpart *v = realloc(k->parts, cap * sizeof *v);
        if (!v)
            return UINT32_MAX;
        k->parts = v;
        k->cap_parts = cap;
    }
    char *t = strdup(topic);
    if (!t)
        return UINT32_MAX;
    k->parts[k->n_parts] = (kpart){ .topic = t, .partition = partition, .done = -1,
                                    .stored = -1, .open_max = -1, .history_from = -1 };
    return k->n_parts++;
}

/* ---- the commit log --------------------------------------------------------------------- */

static bool log_append(tw_kafka *k, uint64_t chunk, part_off *offs, uint32_t n)
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

void tw_kafka_routed(tw_kafka *k, uint64_t chunk, uint64_t seq_end)
{
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

/* Stores for commit the offsets of the chunks wholly written below released_upto; the sinks
 * are flushed first. force: now, else at most every STORE_EVERY_MS. False if a sink failed. */
bool tw_kafka_progress(tw_kafka *k, uint64_t released_upto, tw_sink *sinks, size_t n_sinks,
                       bool force)
{
    double t = tw_now_s();
    if (!force && t - k->last_store < STORE_EVERY_MS / 1000.0)
        return true;
    pthread_mutex_lock(&k->mu);
    bool any = false;
    while (k->n) {
        commit_entry *e = &k->log[k->head];
        if (!e->routed || e->seq_end > released_upto)
            break;
        for (uint32_t i = 0; i < e->n_offs; i++) {
            kpart *p = &k->parts[e->offs[i].part];
            if (e->offs[i].offset > p->done) {
                p->done = e->offs[i].offset;
                any = true;
            }
        }
        free(e->offs);
        k->head = (k->head + 1) % k->cap;
        k->n--;
    }
    bool store = false;
    for (uint32_t i = 0; i < k->n_parts; i++)
        store |= k->parts[i].done > k->parts[i].stored;
    pthread_mutex_unlock(&k->mu);
    k->last_store = t;
    if (!store) {
        if (any)
            pthread_cond_broadcast(&k->cond);
        return true;
    }
    /* the findings of those records must be durable before their offsets may be committed */
    for (size_t s = 0; s < n_sinks; s++)
        if (tw_sink_flush(&sinks[s]) != TW_SINK_OK) {
            tw_log("output %s: flush failed: %s; offsets not committed",
                    sinks[s].spec, tw_sink_error(&sinks[s]));
            return false;
        }
    pthread_mutex_lock(&k->mu);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)k->n_parts);
    for (uint32_t i = 0; list && i < k->n_parts; i++) {
        kpart *p = &k->parts[i];
        if (p->done > p->stored && p->assigned)
            rd_kafka_topic_partition_list_add(list, p->topic, p->partition)->offset = p->done + 1;
        p->stored = p->done;
    }
    pthread_mutex_unlock(&k->mu);
    if (list && list->cnt) {
        rd_kafka_resp_err_t err = rd_kafka_offsets_store(k->rk, list);
        if (err && err != RD_KAFKA_RESP_ERR__STATE)
            tw_log("kafka: storing offsets: %s", rd_kafka_err2str(err));
        atomic_fetch_add(&k->commits, 1);
    }
    if (list)
        rd_kafka_topic_partition_list_destroy(list);
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

/* Pauses or resumes every assigned partition. */
static void set_paused(tw_kafka *k, bool pause)
{
    rd_kafka_topic_partition_list_t *assigned = NULL;
    if (rd_kafka_assignment(k->rk, &assigned) || !assigned)
        return;
    if (pause)
        rd_kafka_pause_partitions(k->rk, assigned);
    else
        rd_kafka_resume_partitions(k->rk, assigned);
    rd_kafka_topic_partition_list_destroy(assigned);
}

/* Keeps a message poll returned while a chunk waits for room: it is read afterwards, in
 * order, by the main loop. */
static void stash(tw_kafka *k, rd_kafka_message_t *m)
{
    if (k->n_stash == k->cap_stash) {
        size_t cap = k->cap_stash ? k->cap_stash * 2 : 64;
        rd_kafka_message_t **v = realloc(k->stash, cap * sizeof *v);
        if (!v) {
            k->failed = true; /* never drop a record silently */
            rd_kafka_message_destroy(m);
            return;
        }
        k->stash = v;
        k->cap_stash = cap;
    }
    k->stash[k->n_stash++] = m;
}

/* The ring of the parser that reads chunk number seq (dealt round-robin, as in replay). */
static tw_ring *parser_ring(tw_kafka *k, uint64_t seq)
{
    return k->pl->chunk_rings[seq % (uint64_t)k->pl->n_parsers];
}

/* Hands a chunk to its parser. While the parsers are full the partitions are paused and poll
 * keeps serving the group (a member that stops polling is evicted); what poll still returns is
 * stashed. A revocation meanwhile pushes the chunk itself (drain). */
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
    atomic_fetch_add(&k->pauses, 1);
    k->pushing = chunk;
    k->pushing_ring = ring;
    set_paused(k, true);
    while (k->pushing && !atomic_load(&pl->failed)) {
        err = tw_ring_push_timed(ring, chunk, 50);
        if (err != TW_ERR_AGAIN) {
            if (err != TW_OK)
                tw_chunk_destroy(chunk);
            k->pushing = NULL;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, 0);
        if (m)
            stash(k, m);
    }
    if (k->pushing) { /* the pipeline failed */
        tw_chunk_destroy(k->pushing);
        k->pushing = NULL;
    }
    set_paused(k, false);
    return !atomic_load(&pl->failed);
}

/* Hands a chunk over with the offsets it covers (offs: owned by the commit log after). */
static bool emit_chunk(tw_kafka *k, tw_chunk *chunk, part_off *offs, uint32_t n_offs)
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

static inline uint16_t source_of(uint32_t pi)
{
    return (uint16_t)(pi + 1 <= UINT16_MAX ? pi + 1 : 0);
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
    part_off *offs = malloc((k->n_open_parts ? k->n_open_parts : 1) * sizeof *offs);
    uint32_t n = 0;
    for (uint32_t i = 0; i < k->n_open_parts; i++) {
        kpart *p = &k->parts[k->open_parts[i]];
        if (offs)
            offs[n++] = (part_off){ k->open_parts[i], p->open_max };
        p->open_max = -1;
    }
    k->n_open_parts = 0;
    if (!offs) {
        tw_chunk_destroy(chunk);
        return false;
    }
    /* one partition's lines only (the common case with few partitions): no list needed */
    if (n == 1) {
        chunk->source = source_of(offs[0].part);
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
static bool emit_whole(tw_kafka *k, const void *data, size_t len, uint32_t pi, int64_t offset)
{
    if (!emit_open_chunk(k))
        return false;
    part_off *offs = malloc(sizeof *offs);
    if (!offs)
        return false;
    *offs = (part_off){ pi, offset };
    tw_chunk *chunk = tw_chunk_new(len + TW_JSON_PADDING);
    if (!chunk) {
        free(offs);
        return false;
    }
    PAYLOAD_READS_BEGIN();
    memcpy(chunk->buf, data, len);
    PAYLOAD_READS_END();
    chunk->len = len;
    chunk->whole_input = true;
    chunk->first_line = k->messages_total;
    chunk->source = source_of(pi);
    return emit_chunk(k, chunk, offs, 1);
}

/* Whether the value is one line of JSON (the common case: one record a message). */
static bool single_line_json(const char *p, size_t len)
{
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
        i++;
    return i < len && p[i] == '{' && !memchr(p + i, '\n', len - i);
}

/* The first message after an assignment: when reading starts past where this instance's
 * state of the partition ends (another member read what came before, or an earlier run
 * without --state-dir), its identities start here without their history. Said once a
 * partition and counted: state does not move between members. */
static void check_history(tw_kafka *k, kpart *p, int64_t offset)
{
    p->await_first = false;
    int64_t from = p->history_from;
    if (from < 0) {
        int64_t lo = 0, hi = 0;
        if (rd_kafka_get_watermark_offsets(k->rk, p->topic, p->partition, &lo, &hi) ||
            lo < 0)
            lo = 0;
        from = lo;
    }
    if (offset <= from)
        return;
    if (p->history_from < 0 && !p->offsets_only) {
        /* nothing read here before: a gap only if the group read it (a committed offset),
         * not when a new group starts at the end (auto.offset.reset=latest) */
        rd_kafka_topic_partition_list_t *ask = rd_kafka_topic_partition_list_new(1);
        bool committed = false;
        if (ask) {
            rd_kafka_topic_partition_list_add(ask, p->topic, p->partition);
            committed = rd_kafka_committed(k->rk, ask, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                        ask->elems[0].offset >= 0;
            rd_kafka_topic_partition_list_destroy(ask);
        }
        if (!committed)
            return;
    }
    atomic_fetch_add(&k->history_gaps, 1);
    tw_log("kafka: %s[%" PRId32 "]: reading starts at offset %" PRId64
            "; the records from offset %" PRId64 " on were read by another member of the "
            "group or by an earlier run, and their state is not here: this partition's "
            "identities start without their history (windows, baselines, values seen); "
            "state moves between runs with --state-dir, not between members",
            p->topic, p->partition, offset, from);
}

static void handle_message(tw_kafka *k, rd_kafka_message_t *m)
{
    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->rkt) {
                pthread_mutex_lock(&k->mu);
                uint32_t i = part_index(k, rd_kafka_topic_name(m->rkt), m->partition);
                if (i != UINT32_MAX)
                    k->parts[i].eof = true;
                pthread_mutex_unlock(&k->mu);
            }
        } else {
            atomic_fetch_add(&k->errors, 1);
            tw_log("kafka: %s", rd_kafka_message_errstr(m));
            if (rd_kafka_fatal_error(k->rk, NULL, 0))
                k->failed = true;
        }
        rd_kafka_message_destroy(m);
        return;
    }
    pthread_mutex_lock(&k->mu);
    /* messages come in runs of one partition: the last one's index, else a look-up */
    const char *topic = rd_kafka_topic_name(m->rkt);
    uint32_t pi = k->n_parts && m->partition == k->last_partition &&
                          !strcmp(k->parts[k->last_pi].topic, topic)
                      ? k->last_pi
                      : part_index(k, topic, m->partition);
    if (pi != UINT32_MAX) {
        k->parts[pi].eof = false;
        k->parts[pi].messages++;
        k->last_partition = m->partition;
        k->last_pi = pi;
    }
    pthread_mutex_unlock(&k->mu);
    if (pi == UINT32_MAX) {
        k->failed = true;
        rd_kafka_message_destroy(m);
        return;
    }
    k->messages_total++;
    atomic_fetch_add(&k->bytes, m->len);
    if (k->parts[pi].await_first)
        check_history(k, &k->parts[pi], m->offset);
    const char *v = m->payload;
    size_t len = v ? m->len : 0;
    PAYLOAD_READS_BEGIN();
    bool one_line = !len || single_line_json(v, len);
    PAYLOAD_READS_END();
    if (!one_line) {
        if (!emit_whole(k, v, len, pi, m->offset))
            k->failed = true;
    } else if (!open_reserve(k, pi, len + 1)) {
        k->failed = true;
    } else {
        /* one line of JSON; or an empty value (a tombstone): an empty line, nothing to read,
         * its offset still moves on (a line a message: problems name lines as messages) */
        tw_chunk *c = k->open;
        kpart *p = &k->parts[pi];
        if (len) {
            PAYLOAD_READS_BEGIN();
            memcpy(c->buf + c->len, v, len);
            PAYLOAD_READS_END();
            c->len += len;
        }
        c->buf[c->len++] = '\n';
        c->line_source[c->n_line_source++] = source_of(pi);
        if (p->open_max < 0)
            k->open_parts[k->n_open_parts++] = pi;
        if (m->offset > p->open_max)
            p->open_max = m->offset;
        bool full = c->len >= CHUNK_BYTES ||
                    (k->test_chunk_messages && ++k->open_messages >= k->test_chunk_messages);
        if (full && !emit_open_chunk(k))
            k->failed = true;
    }
    rd_kafka_message_destroy(m);
}

/* ---- the group -------------------------------------------------------------------------- */

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
 * it. Under no lock: it asks the cluster. */
static void snapshot_offsets(tw_kafka *k)
{
    rd_kafka_topic_partition_list_t *ask = rd_kafka_topic_partition_list_new(4);
    pthread_mutex_lock(&k->mu);
    struct restore_off *snap = calloc(k->n_parts ? k->n_parts : 1, sizeof *snap);
    uint32_t n = 0;
    for (uint32_t i = 0; snap && i < k->n_parts; i++) {
        const kpart *p = &k->parts[i];
        if (p->done < 0 && !p->has_resume && !p->assigned)
            continue;
        int64_t offset = p->done >= 0 ? p->done + 1
                         : p->has_resume ? p->resume
                                         : RD_KAFKA_OFFSET_INVALID;
        snap[n++] = (struct restore_off){ strdup(p->topic), p->partition, offset };
        if (offset == RD_KAFKA_OFFSET_INVALID && ask)
            rd_kafka_topic_partition_list_add(ask, p->topic, p->partition);
    }
    pthread_mutex_unlock(&k->mu);
    if (ask && ask->cnt && rd_kafka_committed(k->rk, ask, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int a = 0; a < ask->cnt; a++)
            for (uint32_t i = 0; i < n; i++)
                if (snap[i].offset == RD_KAFKA_OFFSET_INVALID && snap[i].topic &&
                    snap[i].partition == ask->elems[a].partition &&
                    !strcmp(snap[i].topic, ask->elems[a].topic))
                    snap[i].offset = ask->elems[a].offset;
    }
    for (uint32_t i = 0; i < n; i++)
        if (snap[i].offset < 0)
            snap[i].offset = RD_KAFKA_OFFSET_BEGINNING; /* never committed: from the start */
    if (ask)
        rd_kafka_topic_partition_list_destroy(ask);
    pthread_mutex_lock(&k->mu);
    for (uint32_t i = 0; i < k->n_snap; i++)
        free(k->snap[i].topic);
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
    if (!k->conf->state_dir || k->pipeline_done || atomic_load(&k->pl->failed))
        return;
    if (!k->ckpt_due && !k->open && !k->pushing && k->next_chunk == k->ckpt_mark) {
        k->last_ckpt = tw_now_s();
        return;
    }
    k->ckpt_due = false;
    drain(k);
    snapshot_offsets(k); /* nothing is handed over until the barrier is written */
    tw_chunk *chunk = tw_chunk_new(TW_JSON_PADDING + 1);
    if (!chunk)
        return;
    chunk->checkpoint = true;
    chunk->seq = k->next_chunk++;
    pthread_mutex_lock(&k->mu);
    uint64_t before = k->ckpt_written;
    pthread_mutex_unlock(&k->mu);
    if (!log_append(k, chunk->seq, NULL, 0)) {
        tw_chunk_destroy(chunk);
        return;
    }
    if (!push_chunk(k, chunk))
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

void tw_kafka_write_checkpoint(tw_kafka *k, tw_buf *const *states, int n)
{
    if (!k || !k->conf->state_dir)
        return;
    tw_pipeline *pl = k->pl;
    pthread_mutex_lock(&k->mu);
    tw_ckpt_part *parts = calloc(k->n_snap ? k->n_snap : 1, sizeof *parts);
    for (uint32_t i = 0; parts && i < k->n_snap; i++) {
        uint32_t pi = part_index(k, k->snap[i].topic ? k->snap[i].topic : "",
                                 k->snap[i].partition);
        parts[i] = (tw_ckpt_part){ k->snap[i].topic, k->snap[i].partition, k->snap[i].offset,
                                   INT64_MIN };
        /* where the partition's stream starts: the router's (it set it before the barrier) */
        pthread_mutex_lock(&pl->src_start_mu);
        if (pi != UINT32_MAX && pi + 1 < pl->n_src_start)
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
        tw_log("--state-dir %s: out of memory writing the checkpoint",
                k->conf->state_dir);
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
    uint32_t pi = part_index(k, cp->topic, cp->partition);
    if (pi == UINT32_MAX)
        return TW_ERR_NOMEM;
    k->parts[pi].resume = cp->offset;
    k->parts[pi].has_resume = true;
    k->parts[pi].start_ms = cp->start_ms;
    return TW_OK;
}

tw_err tw_kafka_restore(tw_kafka *k, char *errstr, size_t errstr_size)
{
    const char *dir = k->conf->state_dir;
    if (!dir)
        return TW_OK;
    tw_ckpt_read got;
    tw_err err = tw_ckpt_restore(dir, k->pl, k->fingerprint, restore_part, k, &got, errstr,
                                 errstr_size);
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
        if (k->parts[pi].has_resume && !tw_pipeline_set_src_start(pl, pi + 1,
                                                                   k->parts[pi].start_ms)) {
            snprintf(errstr, errstr_size, "--state-dir %s: out of memory restoring", dir);
            return TW_ERR_NOMEM;
        }
    return TW_OK;
}



static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    tw_kafka *k = opaque;
    const char *protocol = rd_kafka_rebalance_protocol(rk); /* NULL while terminating */
    bool cooperative = protocol && !strcmp(protocol, "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        atomic_fetch_add(&k->assignments, 1);
        pthread_mutex_lock(&k->mu);
        for (int i = 0; i < parts->cnt; i++) {
            uint32_t pi = part_index(k, parts->elems[i].topic, parts->elems[i].partition);
            if (pi != UINT32_MAX) {
                kpart *p = &k->parts[pi];
                p->assigned = true;
                p->eof = false;
                p->await_first = true;
                p->history_from = p->done >= 0 ? p->done + 1 : -1;
                p->offsets_only = false;
                if (p->done < 0 && p->has_resume) {
                    /* nothing read here yet in this run: start where the restored state of
                     * the partition ends (its history is here), not at the group's offset */
                    parts->elems[i].offset = p->resume;
                    if (k->state_restored)
                        p->history_from = p->resume;
                    else
                        p->offsets_only = true;
                }
            }
        }
        pthread_mutex_unlock(&k->mu);
        k->ckpt_due = k->conf->state_dir != NULL; /* where these partitions start, saved */
        rd_kafka_error_t *e = cooperative ? rd_kafka_incremental_assign(rk, parts) : NULL;
        if (!cooperative)
            rd_kafka_assign(rk, parts);
        if (e) {
            tw_log("kafka: assign: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        return;
    }
    /* revoked (or lost): finish what is in flight, flush, commit, then let go */
    atomic_fetch_add(&k->revocations, 1);
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && !rd_kafka_assignment_lost(rk) &&
        !k->pipeline_done) {
        drain(k);
        checkpoint(k); /* the state of what is let go, with its offsets */
        rd_kafka_resp_err_t ce = rd_kafka_commit(rk, NULL, 0);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
            tw_log("kafka: commit on revocation: %s", rd_kafka_err2str(ce));
    }
    pthread_mutex_lock(&k->mu);
    for (int i = 0; i < parts->cnt; i++) {
        uint32_t pi = part_index(k, parts->elems[i].topic, parts->elems[i].partition);
        if (pi != UINT32_MAX)
            k->parts[pi].assigned = false;
    }
    pthread_mutex_unlock(&k->mu);
    if (cooperative) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e) {
            tw_log("kafka: unassign: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

/* The properties that carry consume's guarantees, set by trailwarden whatever -X says; a -X
 * that would change one is refused before anything starts (tw_kafka_check_props). The
 * producer ones reach kafka: outputs, which share consume's -X (output_sink_kafka.c sets them
 * again). */
static const struct guarded_prop {
    const char *name;
    const char *why;
} guarded_props[] = {
    { "enable.auto.offset.store",
      "consume stores a record's offset itself, once the record is processed and its findings "
      "are written (at-least-once); librdkafka storing offsets as it hands records over would "
      "commit records a crash then loses" },
    { "auto.offset.reset",
      "a partition with no committed offset (a new group) or with one out of range is read "
      "from its start (earliest), so nothing is skipped silently" },
    { "enable.partition.eof", "--exit-at-end sets it: the ends of the partitions tell it when "
                              "to stop" },
    { "enable.idempotence", "findings written to Kafka (-o kafka:) are sent by an idempotent "
                            "producer: retried without loss, duplicates or reordering" },
    { "acks", "findings written to Kafka (-o kafka:) count as written once every in-sync "
              "replica has them (acks=all), and only then are offsets committed" },
};
#define N_GUARDED (sizeof guarded_props / sizeof guarded_props[0])
#define N_GUARDED_CONSUMER 3 /* the first ones; then the producer's */

/* The guarded properties as name=value, in guarded_props' order. */
static void guarded_settings(const tw_app_conf *conf, const char *out[N_GUARDED])
{
    out[0] = "enable.auto.offset.store=false";
    out[1] = "auto.offset.reset=earliest";
    out[2] = conf->exit_at_end ? "enable.partition.eof=true" : "enable.partition.eof=false";
    out[3] = "enable.idempotence=true";
    out[4] = "acks=all";
}

tw_err tw_kafka_check_props(const tw_app_conf *conf, char *errstr, size_t errstr_size)
{
    const char *guarded[N_GUARDED];
    guarded_settings(conf, guarded);
    char scratch[256];
    /* what librdkafka makes of them: the values to compare with, in its own spelling */
    char want[N_GUARDED][64];
    rd_kafka_conf_t *ref = rd_kafka_conf_new();
    if (!ref || tw_kafka_conf_apply(ref, guarded, N_GUARDED, scratch, sizeof scratch)) {
        rd_kafka_conf_destroy(ref);
        snprintf(errstr, errstr_size, "kafka: %s", ref ? scratch : "out of memory");
        return TW_ERR_INVALID;
    }
    for (size_t g = 0; g < N_GUARDED; g++) {
        size_t len = sizeof want[g];
        if (rd_kafka_conf_get(ref, guarded_props[g].name, want[g], &len) != RD_KAFKA_CONF_OK)
            want[g][0] = '\0';
    }
    rd_kafka_conf_destroy(ref);
    /* each -X alone over the guarded values: librdkafka's own parsing says what it changes, so
     * an alias, a synonym (latest, largest, end) or another spelling (1, T) is caught too */
    for (size_t i = 0; i < conf->n_kafka_props; i++) {
        rd_kafka_conf_t *c = rd_kafka_conf_new();
        if (!c || tw_kafka_conf_apply(c, guarded, N_GUARDED, scratch, sizeof scratch)) {
            rd_kafka_conf_destroy(c);
            snprintf(errstr, errstr_size, "out of memory");
            return TW_ERR_NOMEM;
        }
        /* one librdkafka refuses is said by tw_kafka_new, in librdkafka's words */
        if (tw_kafka_conf_apply(c, &conf->kafka_props[i], 1, scratch, sizeof scratch)) {
            rd_kafka_conf_destroy(c);
            continue;
        }
        for (size_t g = 0; g < N_GUARDED; g++) {
            char got[64];
            size_t len = sizeof got;
            if (rd_kafka_conf_get(c, guarded_props[g].name, got, &len) != RD_KAFKA_CONF_OK ||
                !strcmp(got, want[g]))
                continue;
            const char *prop = conf->kafka_props[i];
            int name_len = (int)(strchr(prop, '=') - prop); /* the parser saw a '=' */
            const char *name = guarded_props[g].name;
            bool same = strlen(name) == (size_t)name_len && !strncmp(prop, name, (size_t)name_len);
            /* the value is not echoed (-X values may be secrets; this one is not, but the
             * rule is simpler kept); the property it changes and what it must stay are */
            snprintf(errstr, errstr_size, "-X %.*s is refused: %s%s%s stays %s: %s", name_len,
                     prop, same ? "" : "it sets ", name, same ? "" : ", which",
                     strchr(guarded[g], '=') + 1, guarded_props[g].why);
            rd_kafka_conf_destroy(c);
            return TW_ERR_INVALID;
        }
        rd_kafka_conf_destroy(c);
    }
    return TW_OK;
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
    k->last_partition = -1; /* no message yet (partitions are numbered from 0) */
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
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    /* defaults that only shape behaviour: the user's -X may change them (README.md) */
    const char *const defaults[] = {
        "partition.assignment.strategy=cooperative-sticky", "enable.auto.commit=true",
    };
    const char *guarded[N_GUARDED];
    guarded_settings(conf, guarded);
    /* the guarded ones last: tw_kafka_check_props refused any -X that changes them already
     * (the consumer's only: librdkafka warns about a producer property given to a consumer) */
    bool ok = !tw_kafka_conf_set(c, "bootstrap.servers", conf->brokers, errstr, errstr_size) &&
              !tw_kafka_conf_set(c, "group.id", conf->group, errstr, errstr_size) &&
              !tw_kafka_conf_apply(c, defaults, sizeof defaults / sizeof defaults[0], errstr,
                                   errstr_size) &&
              !tw_kafka_conf_apply(c, conf->kafka_props, conf->n_kafka_props, errstr,
                                   errstr_size) &&
              !tw_kafka_conf_apply(c, guarded, N_GUARDED_CONSUMER, errstr, errstr_size);
    if (!ok) {
        rd_kafka_conf_destroy(c);
        tw_kafka_destroy(k);
        return TW_ERR_INVALID;
    }
    char session[32];
    size_t session_len = sizeof session;
    if (rd_kafka_conf_get(c, "session.timeout.ms", session, &session_len) == RD_KAFKA_CONF_OK)
        k->session_ms = atoi(session);
    rd_kafka_conf_set_opaque(c, k);
    rd_kafka_conf_set_rebalance_cb(c, rebalance);
    char err[512];
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    if (!k->rk) {
        snprintf(errstr, errstr_size, "kafka: %s", err);
        rd_kafka_conf_destroy(c);
        tw_kafka_destroy(k);
        return TW_ERR_INVALID;
    }
    rd_kafka_poll_set_consumer(k->rk);
    *out = k;
    return TW_OK;
}

tw_err tw_kafka_subscribe(tw_kafka *k, char *errstr, size_t errstr_size)
{
    const tw_app_conf *conf = k->conf;
    rd_kafka_topic_partition_list_t *topics =
        rd_kafka_topic_partition_list_new((int)conf->n_topics);
    for (size_t i = 0; i < conf->n_topics; i++)
        rd_kafka_topic_partition_list_add(topics, conf->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(k->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    k->subscribed = !se;
    if (se) {
        snprintf(errstr, errstr_size, "kafka: subscribe: %s", rd_kafka_err2str(se));
        return TW_ERR_INVALID;
    }
    return TW_OK;
}

/* Whether a JoinGroup was answered: the consumer then has a member id. Polled while nothing is
 * assigned (a request to librdkafka's main thread, every 100 ms at most). */
static void check_joined(tw_kafka *k)
{
    k->last_join_check = tw_now_s();
    char *id = rd_kafka_memberid(k->rk);
    if (id && *id)
        k->joined = true;
    if (id)
        rd_kafka_mem_free(k->rk, id);
}

/* librdkafka 2.0.2 aborts (an assert in rd_kafka_sticky_assignor_state_destroy: its issue
 * 4312, fixed upstream in 2.2.x) when a consumer is destroyed after the group answered its
 * JoinGroup with the cooperative-sticky protocol and before the assignment that follows: the
 * assignor's state is made by the assignment and must exist by then. A SIGTERM (or a failure)
 * while the group is forming falls in that window easily (the group waits for a dead member's
 * session to expire before it assigns anything). So a consumer that was answered and has had no
 * assignment yet serves the group until the assignment comes (its messages are not read: they
 * will be read again) and is closed after it, up to its session timeout (10 s at least). One
 * never answered has no assignor and goes at once. If the assignment never comes, the handle is
 * left to the process's exit rather than destroyed: nothing of it is committed either way. */
static void await_first_assignment(tw_kafka *k)
{
    if (!k->rk || !k->subscribed || k->abandoned || atomic_load(&k->assignments))
        return;
    if (!k->joined)
        check_joined(k);
    if (!k->joined)
        return;
    tw_log("kafka: stopping while the group assigns partitions: waiting "
                    "for the assignment, to leave the group after it (librdkafka 2.0.2 aborts "
                    "a consumer destroyed in between: its issue 4312)");
    double until = tw_now_s() + (k->session_ms > 10000 ? k->session_ms : 10000) / 1000.0;
    while (!atomic_load(&k->assignments) && tw_now_s() < until) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, 100);
        if (m)
            rd_kafka_message_destroy(m); /* not read: not stored, read again after */
    }
    if (!atomic_load(&k->assignments)) {
        tw_log("kafka: no assignment came; the consumer is left to the "
                        "process's exit, and the group drops it after session.timeout.ms");
        k->abandoned = true;
    }
}

/* Every assigned partition read to its end (--exit-at-end). */
static bool all_at_end(tw_kafka *k)
{
    bool any = false;
    pthread_mutex_lock(&k->mu);
    for (uint32_t i = 0; i < k->n_parts; i++) {
        if (!k->parts[i].assigned)
            continue;
        any = true;
        if (!k->parts[i].eof) {
            pthread_mutex_unlock(&k->mu);
            return false;
        }
    }
    pthread_mutex_unlock(&k->mu);
    return any;
}

void *tw_kafka_main(void *arg)
{
    tw_pipeline *pl = arg;
    tw_kafka *k = pl->kafka;
    while (!tw_stop_requested && !atomic_load(&pl->failed) && !k->failed) {
        rd_kafka_message_t *m = NULL;
        if (k->stash_head < k->n_stash) {
            m = k->stash[k->stash_head++];
            if (k->stash_head == k->n_stash)
                k->stash_head = k->n_stash = 0;
        } else {
            /* with chunks open, only what librdkafka holds already: a record waits in an
             * open chunk while more are at hand, never for more to come */
            m = rd_kafka_consumer_poll(k->rk, k->open ? 0 : 100);
        }
        if (m)
            handle_message(k, m);
        /* nothing at hand, or the parser next in turn idle: everything goes (a record never
         * waits while a parser could read it; a busy pipeline gathers full chunks); else what
         * is older than CHUNK_AGE_MS (looked at every AGE_CHECK_EVERY messages: the clock
         * costs more than a message's copy) */
        bool now = !m || (k->open && !k->test_chunk_messages &&
                          tw_ring_consumer_idle(parser_ring(k, k->next_chunk)));
        bool aged = !k->test_chunk_messages && ++k->age_check % AGE_CHECK_EVERY == 0;
        if (k->open && (now || aged) && !emit_open(k, now))
            break;
        if (k->conf->exit_at_end && !m && !k->open && all_at_end(k))
            break;
        if (k->conf->state_dir &&
            (k->ckpt_due || tw_now_s() - k->last_ckpt >= k->conf->checkpoint_ms / 1000.0))
            checkpoint(k);
        if (!k->joined && !atomic_load(&k->assignments) && tw_now_s() - k->last_join_check > 0.1)
            check_joined(k);
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
    if (!k || !k->rk)
        return;
    k->pipeline_done = true; /* the revocation that closing brings has nothing in flight */
    await_first_assignment(k);
    if (k->abandoned)
        return;
    if (!k->failed) {
        rd_kafka_resp_err_t ce = rd_kafka_commit(k->rk, NULL, 0);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
            tw_log("kafka: commit: %s", rd_kafka_err2str(ce));
    }
    rd_kafka_consumer_close(k->rk); /* leaves the group */
    k->closed = true;
}

void tw_kafka_print_stats(tw_kafka *k, FILE *o)
{
    uint64_t messages = 0;
    pthread_mutex_lock(&k->mu);
    for (uint32_t i = 0; i < k->n_parts; i++)
        messages += k->parts[i].messages;
    fprintf(o, "  kafka.messages               %" PRIu64 "\n", messages);
    fprintf(o, "  kafka.bytes                  %" PRIu64 "\n", (uint64_t)atomic_load(&k->bytes));
    fprintf(o, "  kafka.offset_stores          %" PRIu64 "\n", (uint64_t)atomic_load(&k->commits));
    fprintf(o, "  kafka.chunks                 %" PRIu64 "\n", (uint64_t)atomic_load(&k->chunks));
    fprintf(o, "  kafka.partitions_without_history %" PRIu64 "\n",
            (uint64_t)atomic_load(&k->history_gaps));
    fprintf(o, "  kafka.pauses                 %" PRIu64 "\n", (uint64_t)atomic_load(&k->pauses));
    fprintf(o, "  kafka.assignments            %" PRIu64 "\n", (uint64_t)atomic_load(&k->assignments));
    fprintf(o, "  kafka.revocations            %" PRIu64 "\n", (uint64_t)atomic_load(&k->revocations));
    fprintf(o, "  kafka.errors                 %" PRIu64 "\n", (uint64_t)atomic_load(&k->errors));
    for (uint32_t i = 0; i < k->n_parts; i++) {
        const kpart *p = &k->parts[i];
        int64_t lo = 0, hi = 0, lag = -1;
        if (k->rk && rd_kafka_get_watermark_offsets(k->rk, p->topic, p->partition, &lo, &hi) ==
                         RD_KAFKA_RESP_ERR_NO_ERROR && hi >= 0)
            lag = hi - (p->done + 1);
        fprintf(o, "  kafka.partition.%s[%" PRId32 "]  messages %" PRIu64 " done %" PRId64
                   " lag %" PRId64 "%s\n",
                p->topic, p->partition, p->messages, p->done, lag,
                p->assigned ? "" : " (not assigned)");
    }
    pthread_mutex_unlock(&k->mu);
}

void tw_kafka_destroy(tw_kafka *k)
{
    if (!k)
        return;
    /* the pipeline is gone (or never ran): the revocation that closing brings must not push a
     * checkpoint barrier into its freed rings */
    k->pipeline_done = true;
    /* not closed (a failure): no close on the way out either. Closing runs the revocation,
     * whose unassign was seen to wait forever in a consumer that never polled; and nothing
     * failed may be committed. The group drops the member after session.timeout.ms. */
    if (k->rk && !k->closed)
        await_first_assignment(k);
    if (k->abandoned)
        k->rk = NULL; /* left to the process's exit (await_first_assignment) */
    if (k->rk && !k->closed)
        rd_kafka_destroy_flags(k->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    else if (k->rk)
        rd_kafka_destroy(k->rk);
    for (size_t i = 0; i < k->n; i++)
        free(k->log[(k->head + i) % k->cap].offs);
    free(k->log);
    for (uint32_t i = 0; i < k->n_parts; i++)
        free(k->parts[i].topic);
    free(k->parts);
    tw_chunk_destroy(k->open);
    free(k->open_parts);
    for (uint32_t i = 0; i < k->n_snap; i++)
        free(k->snap[i].topic);
    free(k->snap);
    for (size_t i = k->stash_head; i < k->n_stash; i++)
        rd_kafka_message_destroy(k->stash[i]);
    free(k->stash);
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->cond);
    free(k);
}
