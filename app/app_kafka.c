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

#include "app_pipeline.h"

#define CHUNK_BYTES (256u << 10)  /* a chunk of lines is handed over at this size... */
#define CHUNK_AGE_MS 20           /* ...or this age, whichever comes first */
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
    /* the chunk being filled (source thread only) */
    tw_chunk *cur;
    part_off *cur_offs;
    uint32_t n_cur_offs, cap_cur_offs;
    uint64_t cur_messages;
    double cur_started;
    uint64_t next_chunk;
    uint64_t messages_total; /* numbering for problems: "message N" */
    /* backpressure: the chunk waiting for room, and messages poll returned meanwhile */
    tw_chunk *pushing;
    tw_ring *pushing_ring;
    rd_kafka_message_t **stash;
    size_t n_stash, cap_stash, stash_head;
    double last_store;
    bool failed;          /* a fatal consumer error */
    /* counters (read by --stats on SIGUSR1, from the output stage) */
    atomic_uint_fast64_t bytes, commits, pauses, revocations, assignments, errors;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
    k->parts[k->n_parts] = (kpart){ t, partition, -1, -1, false, false, 0 };
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
    double t = now_s();
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
            fprintf(stderr, "trailwarden: output %s: flush failed; offsets not committed\n",
                    sinks[s].spec);
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
            fprintf(stderr, "trailwarden: kafka: storing offsets: %s\n", rd_kafka_err2str(err));
        atomic_fetch_add(&k->commits, 1);
    }
    if (list)
        rd_kafka_topic_partition_list_destroy(list);
    pthread_cond_broadcast(&k->cond);
    return true;
}

/* ---- chunks ----------------------------------------------------------------------------- */

static bool cur_reserve(tw_kafka *k, size_t more)
{
    if (!k->cur) {
        size_t cap = CHUNK_BYTES + more + TW_JSON_PADDING;
        if (!(k->cur = tw_chunk_new(cap)))
            return false;
        k->cur->input = 0;
        k->cur->first_line = k->messages_total + 1;
        k->cur_started = now_s();
        return true;
    }
    if (k->cur->len + more + TW_JSON_PADDING <= k->cur->cap)
        return true;
    size_t cap = (k->cur->len + more + TW_JSON_PADDING) * 2;
    char *buf = realloc(k->cur->buf, cap);
    if (!buf)
        return false;
    k->cur->buf = buf;
    k->cur->cap = cap;
    return true;
}

static void cur_note_offset(tw_kafka *k, uint32_t part, int64_t offset)
{
    for (uint32_t i = 0; i < k->n_cur_offs; i++)
        if (k->cur_offs[i].part == part) {
            if (offset > k->cur_offs[i].offset)
                k->cur_offs[i].offset = offset;
            return;
        }
    if (k->n_cur_offs == k->cap_cur_offs) {
        uint32_t cap = k->cap_cur_offs ? k->cap_cur_offs * 2 : 8;
        part_off *v = realloc(k->cur_offs, cap * sizeof *v);
        if (!v)
            return; /* that offset is then committed with a later chunk of its partition */
        k->cur_offs = v;
        k->cap_cur_offs = cap;
    }
    k->cur_offs[k->n_cur_offs++] = (part_off){ part, offset };
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

/* Hands a chunk to its parser. While the parsers are full the partitions are paused and poll
 * keeps serving the group (a member that stops polling is evicted); what poll still returns is
 * stashed. A revocation meanwhile pushes the chunk itself (drain). */
static bool push_chunk(tw_kafka *k, tw_chunk *chunk)
{
    tw_pipeline *pl = k->pl;
    tw_ring *ring = pl->chunk_rings[chunk->seq % (uint64_t)pl->n_parsers];
    tw_err err = tw_ring_try_push(ring, chunk);
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
        err = tw_ring_try_push(ring, chunk);
        if (err != TW_ERR_AGAIN) {
            if (err != TW_OK)
                tw_chunk_destroy(chunk);
            k->pushing = NULL;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, 20);
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

/* Hands over the chunk being filled (with its offsets in the commit log). */
static bool emit_cur(tw_kafka *k)
{
    if (!k->cur)
        return true;
    tw_chunk *chunk = k->cur;
    part_off *offs = k->cur_offs;
    uint32_t n_offs = k->n_cur_offs;
    k->cur = NULL;
    k->cur_offs = NULL;
    k->n_cur_offs = k->cap_cur_offs = 0;
    k->cur_messages = 0;
    chunk->seq = k->next_chunk++;
    memset(chunk->buf + chunk->len, ' ', TW_JSON_PADDING);
    if (!log_append(k, chunk->seq, offs, n_offs)) {
        free(offs);
        tw_chunk_destroy(chunk);
        return false;
    }
    return push_chunk(k, chunk);
}

/* A whole value that is not one line of JSON: a chunk of its own for a parser to decompress
 * and split (the current chunk goes first, to keep the order). */
static bool emit_whole(tw_kafka *k, const void *data, size_t len, uint32_t part, int64_t offset)
{
    if (!emit_cur(k))
        return false;
    tw_chunk *chunk = tw_chunk_new(len + TW_JSON_PADDING);
    if (!chunk)
        return false;
    memcpy(chunk->buf, data, len);
    chunk->len = len;
    chunk->whole_input = true;
    chunk->first_line = k->messages_total;
    k->cur = chunk;
    cur_note_offset(k, part, offset);
    return emit_cur(k);
}

/* Whether the value is one line of JSON (the common case: one record a message). */
static bool single_line_json(const char *p, size_t len)
{
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
        i++;
    return i < len && p[i] == '{' && !memchr(p + i, '\n', len - i);
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
            fprintf(stderr, "trailwarden: kafka: %s\n", rd_kafka_message_errstr(m));
            if (rd_kafka_fatal_error(k->rk, NULL, 0))
                k->failed = true;
        }
        rd_kafka_message_destroy(m);
        return;
    }
    pthread_mutex_lock(&k->mu);
    uint32_t pi = part_index(k, rd_kafka_topic_name(m->rkt), m->partition);
    if (pi != UINT32_MAX) {
        k->parts[pi].eof = false;
        k->parts[pi].messages++;
    }
    pthread_mutex_unlock(&k->mu);
    if (pi == UINT32_MAX) {
        k->failed = true;
        rd_kafka_message_destroy(m);
        return;
    }
    k->messages_total++;
    atomic_fetch_add(&k->bytes, m->len);
    const char *v = m->payload;
    size_t len = v ? m->len : 0;
    if (len && single_line_json(v, len)) {
        if (!cur_reserve(k, len + 1)) {
            k->failed = true;
        } else {
            memcpy(k->cur->buf + k->cur->len, v, len);
            k->cur->len += len;
            k->cur->buf[k->cur->len++] = '\n';
            k->cur_messages++;
            cur_note_offset(k, pi, m->offset);
        }
    } else if (len) {
        if (!emit_whole(k, v, len, pi, m->offset))
            k->failed = true;
    } else {
        /* an empty value (a tombstone): nothing to read, its offset still moves on */
        if (!cur_reserve(k, 1))
            k->failed = true;
        else
            cur_note_offset(k, pi, m->offset);
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
    emit_cur(k);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += REVOKE_WAIT_MS / 1000;
    pthread_mutex_lock(&k->mu);
    while (k->n && !atomic_load(&k->pl->failed))
        if (pthread_cond_timedwait(&k->cond, &k->mu, &until))
            break;
    pthread_mutex_unlock(&k->mu);
}

static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    tw_kafka *k = opaque;
    bool cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        atomic_fetch_add(&k->assignments, 1);
        pthread_mutex_lock(&k->mu);
        for (int i = 0; i < parts->cnt; i++) {
            uint32_t pi = part_index(k, parts->elems[i].topic, parts->elems[i].partition);
            if (pi != UINT32_MAX) {
                k->parts[pi].assigned = true;
                k->parts[pi].eof = false;
            }
        }
        pthread_mutex_unlock(&k->mu);
        rd_kafka_error_t *e = cooperative ? rd_kafka_incremental_assign(rk, parts) : NULL;
        if (!cooperative)
            rd_kafka_assign(rk, parts);
        if (e) {
            fprintf(stderr, "trailwarden: kafka: assign: %s\n", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        return;
    }
    /* revoked (or lost): finish what is in flight, flush, commit, then let go */
    atomic_fetch_add(&k->revocations, 1);
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && !rd_kafka_assignment_lost(rk)) {
        drain(k);
        rd_kafka_resp_err_t ce = rd_kafka_commit(rk, NULL, 0);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
            fprintf(stderr, "trailwarden: kafka: commit on revocation: %s\n", rd_kafka_err2str(ce));
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
            fprintf(stderr, "trailwarden: kafka: unassign: %s\n", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

static bool set_prop(rd_kafka_conf_t *c, const char *name, const char *value, char *errstr,
                     size_t errstr_size)
{
    char err[256];
    if (rd_kafka_conf_set(c, name, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "-X %s=%s: %s", name, value, err);
        return false;
    }
    return true;
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
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cond, NULL);
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    bool ok = set_prop(c, "bootstrap.servers", conf->brokers, errstr, errstr_size) &&
              set_prop(c, "group.id", conf->group, errstr, errstr_size) &&
              set_prop(c, "partition.assignment.strategy", "cooperative-sticky", errstr, errstr_size) &&
              set_prop(c, "enable.auto.offset.store", "false", errstr, errstr_size) &&
              set_prop(c, "enable.auto.commit", "true", errstr, errstr_size) &&
              set_prop(c, "auto.offset.reset", "earliest", errstr, errstr_size) &&
              set_prop(c, "enable.partition.eof", conf->exit_at_end ? "true" : "false", errstr,
                       errstr_size);
    /* the user's -X last: they may override any of the above */
    for (size_t i = 0; ok && i < conf->n_kafka_props; i++) {
        char name[256];
        const char *eq = strchr(conf->kafka_props[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - conf->kafka_props[i]), conf->kafka_props[i]);
        ok = set_prop(c, name, eq + 1, errstr, errstr_size);
    }
    if (!ok) {
        rd_kafka_conf_destroy(c);
        tw_kafka_destroy(k);
        return TW_ERR_INVALID;
    }
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
    rd_kafka_topic_partition_list_t *topics =
        rd_kafka_topic_partition_list_new((int)conf->n_topics);
    for (size_t i = 0; i < conf->n_topics; i++)
        rd_kafka_topic_partition_list_add(topics, conf->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(k->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (se) {
        snprintf(errstr, errstr_size, "kafka: subscribe: %s", rd_kafka_err2str(se));
        tw_kafka_destroy(k);
        return TW_ERR_INVALID;
    }
    *out = k;
    return TW_OK;
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
            m = rd_kafka_consumer_poll(k->rk, k->cur ? 5 : 100);
        }
        if (m)
            handle_message(k, m);
        bool due = k->cur && (!m || k->cur->len >= CHUNK_BYTES ||
                              now_s() - k->cur_started >= CHUNK_AGE_MS / 1000.0);
        if (due && !emit_cur(k))
            break;
        if (k->conf->exit_at_end && !m && !k->cur && all_at_end(k))
            break;
    }
    emit_cur(k);
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
    if (!k->failed) {
        rd_kafka_resp_err_t ce = rd_kafka_commit(k->rk, NULL, 0);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
            fprintf(stderr, "trailwarden: kafka: commit: %s\n", rd_kafka_err2str(ce));
    }
    rd_kafka_consumer_close(k->rk); /* leaves the group */
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
    if (k->rk)
        rd_kafka_destroy(k->rk);
    for (size_t i = 0; i < k->n; i++)
        free(k->log[(k->head + i) % k->cap].offs);
    free(k->log);
    for (uint32_t i = 0; i < k->n_parts; i++)
        free(k->parts[i].topic);
    free(k->parts);
    tw_chunk_destroy(k->cur);
    free(k->cur_offs);
    for (size_t i = k->stash_head; i < k->n_stash; i++)
        rd_kafka_message_destroy(k->stash[i]);
    free(k->stash);
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->cond);
    free(k);
}
