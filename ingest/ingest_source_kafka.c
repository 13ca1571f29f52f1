/* ingest_source_kafka: the Kafka source (ingest_source.h, ingest_source_kafka.h), the one
 * consumer of consume and route. A consumer group member (librdkafka's high-level consumer,
 * cooperative-sticky unless -X says otherwise) with enable.auto.offset.store=false: an offset
 * is stored only when the caller says every record up to it is done (commit), and librdkafka
 * commits stored offsets (enable.auto.commit), on revocation and at close.
 *
 * Here: the partitions (dense indices, their assignment, ends and counts), messages handed over
 * one at a time with whether each is one line of JSON, the rebalance callback (the caller's
 * hooks decide where an assigned partition starts and finish what is in flight before a
 * revocation), pause and resume (poll keeps serving the group meanwhile; what it returns is kept
 * in order), the ends of the partitions (--exit-at-end), and librdkafka 2.0.2's issue 4312
 * (destroy_would_abort). What the records become (chunks for the pipeline's parsers, a
 * commit log, checkpoints; or routed records) is the caller's. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "ingest_source_kafka.h"
#include "tw_kafka_conf.h"
#include "tw_log.h"
#include "tw_time.h"

/* --exit-at-end: seconds without a partition after the group's last rebalance (idle_member) */
#define IDLE_MEMBER_S 10.0

typedef struct kpart {
    char *topic;
    int32_t partition;
    bool assigned, eof;
    /* held by the caller (tw_source_kafka_hold): paused whatever pause and resume say, its
     * messages not handed over; one that came anyway is read again from held_from */
    bool held;
    int64_t held_from;
    /* the offset after the last record that came (-1: none since the assignment), and an end
     * reported ahead of it (-1: none): an end is taken only once the records before it came,
     * so one reported before a hold's records were dropped, or before a seek back, waits for
     * them to come again (--exit-at-end would stop short of them) */
    int64_t next, end_at;
    uint64_t messages;
} kpart;

typedef struct stashed {
    rd_kafka_message_t *m;
    uint32_t part;
} stashed;

typedef struct kafka_source {
    tw_source_conf conf; /* its strings and lists are the caller's, for the source's life */
    const char *prefix;  /* before "kafka: " in messages */
    rd_kafka_t *rk;
    pthread_mutex_t mu; /* parts: commit and the accessors come from other threads */
    kpart *parts;
    uint32_t n_parts, cap_parts;
    int32_t last_partition; /* the partition of the last message, and its index (source's
                             * thread): messages come in runs of one partition */
    uint32_t last_pi;
    rd_kafka_message_t *held; /* handed over last: its value is read until the next */
    /* while paused (and after, until the caller has taken them): messages poll returned */
    stashed *stash;
    size_t n_stash, cap_stash, stash_head;
    /* paused: how many pauses are not resumed yet. Pauses nest: a caller waiting for room
     * (paused) can be called back from inside next (a revocation) and pause and resume in
     * turn; the source stays paused until the outer resume, so the message poll returned
     * meanwhile is kept, not handed over to a caller that does not expect one. */
    unsigned paused;
    bool failed; /* a fatal consumer error, or out of memory: nothing more is read */
    /* librdkafka 2.0.2's issue 4312 (see destroy_would_abort) */
    bool subscribed;
    bool joined;    /* a JoinGroup was answered (we had a member id) */
    bool abandoned; /* not destroyed: it would abort */
    bool closed;    /* rd_kafka_consumer_close done */
    double last_join_check;
    double last_rebalance; /* --exit-at-end: when the group last assigned or revoked */
    bool said_idle;
    /* broker_timeout_ms: whether a broker answered yet, since when we wait, when last asked */
    bool answered;
    double started_at, last_answer_check;
    atomic_uint_fast64_t bytes, stores, pauses, assignments, revocations, errors;
} kafka_source;

/* ---- the guarded properties ------------------------------------------------------------- */

#define GUARD_OFFSET_STORE                                                                      \
    {                                                                                           \
        "enable.auto.offset.store", "false",                                                    \
            "consume stores a record's offset itself, once the record is processed and its "    \
            "findings "                                                                         \
            "are written (at-least-once); librdkafka storing offsets as it hands records over " \
            "would "                                                                            \
            "commit records a crash then loses"                                                 \
    }
#define GUARD_OFFSET_RESET                                                                         \
    {                                                                                              \
        "auto.offset.reset", "earliest",                                                           \
            "a partition with no committed offset (a new group) or with one out of range is read " \
            "from its start (earliest), so nothing is skipped silently"                            \
    }
#define GUARD_EOF(value)                                                             \
    {                                                                                \
        "enable.partition.eof", value,                                               \
            "--exit-at-end sets it: the ends of the partitions tell it when to stop" \
    }

static const tw_kafka_guard guards_at_end[] = { GUARD_OFFSET_STORE, GUARD_OFFSET_RESET,
                                                GUARD_EOF("true") };
static const tw_kafka_guard guards_endless[] = { GUARD_OFFSET_STORE, GUARD_OFFSET_RESET,
                                                 GUARD_EOF("false") };

const tw_kafka_guard *tw_source_kafka_guards(bool exit_at_end, size_t *n)
{
    *n = sizeof guards_at_end / sizeof guards_at_end[0];
    return exit_at_end ? guards_at_end : guards_endless;
}

/* ---- partitions ------------------------------------------------------------------------- */

/* Under mu. */
static uint32_t part_index(kafka_source *ks, const char *topic, int32_t partition)
{
    for (uint32_t i = 0; i < ks->n_parts; i++)
        if (ks->parts[i].partition == partition && !strcmp(ks->parts[i].topic, topic))
            return i;
    if (ks->n_parts == ks->cap_parts) {
        uint32_t cap = ks->cap_parts ? ks->cap_parts * 2 : 16;
        kpart *v = realloc(ks->parts, cap * sizeof *v);
        if (!v)
            return UINT32_MAX;
        ks->parts = v;
        ks->cap_parts = cap;
    }
    char *t = strdup(topic);
    if (!t)
        return UINT32_MAX;
    ks->parts[ks->n_parts] =
        (kpart){ .topic = t, .partition = partition, .held_from = -1, .next = -1, .end_at = -1 };
    return ks->n_parts++;
}

static kafka_source *kafka_of(tw_source *src)
{
    return src->ctx;
}

uint32_t tw_source_kafka_part(tw_source *src, const char *topic, int32_t partition)
{
    kafka_source *ks = kafka_of(src);
    pthread_mutex_lock(&ks->mu);
    uint32_t pi = part_index(ks, topic, partition);
    pthread_mutex_unlock(&ks->mu);
    return pi;
}

void tw_source_kafka_part_get(tw_source *src, uint32_t part, tw_source_part *out)
{
    kafka_source *ks = kafka_of(src);
    pthread_mutex_lock(&ks->mu);
    const kpart *p = &ks->parts[part];
    *out = (tw_source_part){ p->topic, p->partition, p->assigned, p->eof, p->messages };
    pthread_mutex_unlock(&ks->mu);
}

bool tw_source_kafka_assigned(tw_source *src, uint32_t part)
{
    kafka_source *ks = kafka_of(src);
    pthread_mutex_lock(&ks->mu);
    bool assigned = part < ks->n_parts && ks->parts[part].assigned;
    pthread_mutex_unlock(&ks->mu);
    return assigned;
}

bool tw_source_kafka_watermarks(tw_source *src, uint32_t part, int64_t *lo, int64_t *hi)
{
    kafka_source *ks = kafka_of(src);
    tw_source_part p;
    tw_source_kafka_part_get(src, part, &p);
    return ks->rk && rd_kafka_get_watermark_offsets(ks->rk, p.topic, p.partition, lo, hi) ==
                         RD_KAFKA_RESP_ERR_NO_ERROR;
}

tw_err tw_source_kafka_committed(tw_source *src, const uint32_t *parts, size_t n, int64_t *offsets,
                                 int timeout_ms)
{
    kafka_source *ks = kafka_of(src);
    rd_kafka_topic_partition_list_t *ask = rd_kafka_topic_partition_list_new((int)n);
    if (!ask)
        return TW_ERR_NOMEM;
    pthread_mutex_lock(&ks->mu);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(ask, ks->parts[parts[i]].topic,
                                          ks->parts[parts[i]].partition);
    pthread_mutex_unlock(&ks->mu);
    tw_err err = TW_ERR_IO;
    if (rd_kafka_committed(ks->rk, ask, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (size_t i = 0; i < n; i++)
            offsets[i] = ask->elems[i].offset;
        err = TW_OK;
    }
    rd_kafka_topic_partition_list_destroy(ask);
    return err;
}

void tw_source_kafka_get_stats(tw_source *src, tw_source_kafka_stats *st)
{
    kafka_source *ks = kafka_of(src);
    uint64_t messages = 0;
    pthread_mutex_lock(&ks->mu);
    for (uint32_t i = 0; i < ks->n_parts; i++)
        messages += ks->parts[i].messages;
    pthread_mutex_unlock(&ks->mu);
    *st = (tw_source_kafka_stats){
        .messages = messages,
        .bytes = atomic_load(&ks->bytes),
        .offset_stores = atomic_load(&ks->stores),
        .pauses = atomic_load(&ks->pauses),
        .assignments = atomic_load(&ks->assignments),
        .revocations = atomic_load(&ks->revocations),
        .errors = atomic_load(&ks->errors),
    };
}

static uint32_t kafka_n_parts(void *ctx)
{
    kafka_source *ks = ctx;
    pthread_mutex_lock(&ks->mu);
    uint32_t n = ks->n_parts;
    pthread_mutex_unlock(&ks->mu);
    return n;
}

/* ---- the group -------------------------------------------------------------------------- */

static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    kafka_source *ks = opaque;
    const tw_source_conf *conf = &ks->conf;
    const char *protocol = rd_kafka_rebalance_protocol(rk); /* NULL while terminating */
    bool cooperative = protocol && !strcmp(protocol, "COOPERATIVE");
    ks->last_rebalance = tw_now_s(); /* (this runs inside poll, on next's thread) */
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        atomic_fetch_add(&ks->assignments, 1);
        for (int i = 0; i < parts->cnt; i++) {
            pthread_mutex_lock(&ks->mu);
            uint32_t pi = part_index(ks, parts->elems[i].topic, parts->elems[i].partition);
            if (pi != UINT32_MAX) {
                ks->parts[pi].assigned = true;
                ks->parts[pi].eof = false;
                ks->parts[pi].next = ks->parts[pi].end_at = -1;
            }
            pthread_mutex_unlock(&ks->mu);
            if (pi == UINT32_MAX)
                ks->failed = true;
            else if (conf->on_assign) /* where it starts: the group's offset, or the caller's */
                conf->on_assign(conf->hook_ud, pi, &parts->elems[i].offset);
        }
        rd_kafka_error_t *e = cooperative ? rd_kafka_incremental_assign(rk, parts) : NULL;
        if (!cooperative)
            rd_kafka_assign(rk, parts);
        if (e) {
            tw_log("%skafka: assign: %s", ks->prefix, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        /* what the hook held (or the caller's pause covers) starts paused */
        rd_kafka_topic_partition_list_t *hold = rd_kafka_topic_partition_list_new(parts->cnt);
        pthread_mutex_lock(&ks->mu);
        for (int i = 0; hold && i < parts->cnt; i++) {
            uint32_t pi = part_index(ks, parts->elems[i].topic, parts->elems[i].partition);
            if (pi != UINT32_MAX && (ks->parts[pi].held || ks->paused))
                rd_kafka_topic_partition_list_add(hold, parts->elems[i].topic,
                                                  parts->elems[i].partition);
        }
        pthread_mutex_unlock(&ks->mu);
        if (hold && hold->cnt)
            rd_kafka_pause_partitions(rk, hold);
        if (hold)
            rd_kafka_topic_partition_list_destroy(hold);
        return;
    }
    /* revoked: the caller finishes what is in flight and stores its offsets, then they are
     * committed before the partitions go; lost: another member may have them already, nothing
     * is stored */
    atomic_fetch_add(&ks->revocations, 1);
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && !rd_kafka_assignment_lost(rk) &&
        (!conf->on_revoke || conf->on_revoke(conf->hook_ud))) {
        rd_kafka_resp_err_t ce = rd_kafka_commit(rk, NULL, 0);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
            tw_log("%skafka: commit on revocation: %s", ks->prefix, rd_kafka_err2str(ce));
    }
    bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk);
    for (int i = 0; i < parts->cnt; i++) {
        pthread_mutex_lock(&ks->mu);
        uint32_t pi = part_index(ks, parts->elems[i].topic, parts->elems[i].partition);
        if (pi != UINT32_MAX) {
            ks->parts[pi].assigned = false;
            ks->parts[pi].held = false;
            ks->parts[pi].held_from = -1;
        }
        pthread_mutex_unlock(&ks->mu);
        if (pi != UINT32_MAX && conf->on_revoked)
            conf->on_revoked(conf->hook_ud, pi, lost);
    }
    if (cooperative) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e) {
            tw_log("%skafka: unassign: %s", ks->prefix, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

/* Whether a JoinGroup was answered: the consumer then has a member id. Polled while nothing is
 * assigned (a request to librdkafka's main thread, every 100 ms at most). */
static void check_joined(kafka_source *ks)
{
    ks->last_join_check = tw_now_s();
    char *id = rd_kafka_memberid(ks->rk);
    if (id && *id)
        ks->joined = true;
    if (id)
        rd_kafka_mem_free(ks->rk, id);
}

/* Whether destroying the handle could abort: librdkafka 2.0.2's issue 4312 (fixed upstream by
 * its PR 4381, in 2.3.0; Debian 12 has 2.0.2). rd_kafka_destroy ends in
 * rd_kafka_cgrp_destroy_final, which has the group's assignor free its state, and the
 * cooperative-sticky assignor's destructor asserts that state is not NULL (range and roundrobin
 * keep none). The assignor is set when a JoinGroup is answered, with the member id; its state
 * only when a SyncGroup is answered (an empty assignment too), just before that assignment
 * reaches the rebalance callback; a SyncGroup answer that comes once the close began is
 * discarded. So a member answered and not yet assigned can be closed but not destroyed. How long
 * that lasts is up to the group's leader: milliseconds, or session.timeout.ms when the leader is
 * dead or stuck. ks->joined is asked before the close (the group answers no query once closed):
 * a JoinGroup answered in the microseconds between that question and the close goes unseen.
 * Brokers since Kafka 2.2 hand the member id out in an earlier answer (KIP-394), so only older
 * ones and the mock cluster leave that gap, which the wait for the assignment this replaced
 * had too. */
static bool destroy_would_abort(kafka_source *ks)
{
    if (!ks->rk || !ks->subscribed || !ks->joined || atomic_load(&ks->assignments))
        return false;
    char strategy[256];
    size_t size = sizeof strategy;
    return rd_kafka_conf_get(rd_kafka_conf(ks->rk), "partition.assignment.strategy", strategy,
                             &size) != RD_KAFKA_CONF_OK ||
           strstr(strategy, "cooperative-sticky");
}

/* Consumers left to the process's exit (destroy_would_abort) stay reachable from here: they are
 * not leaks, and LeakSanitizer would say so when none of librdkafka's threads holds one. */
static rd_kafka_t *left_to_exit[4];
static atomic_uint n_left_to_exit;

static void leave_to_exit(kafka_source *ks)
{
    unsigned i = atomic_fetch_add(&n_left_to_exit, 1);
    if (i < sizeof left_to_exit / sizeof left_to_exit[0])
        left_to_exit[i] = ks->rk;
    ks->rk = NULL;
}

/* Whether any broker answered since start: the client has the cluster's metadata (its id or
 * its controller; asked of the client's cache, no request), the group assigned something, or a
 * message came. Looked at every 100 ms until it did. */
static bool broker_answered(kafka_source *ks)
{
    if (ks->answered)
        return true;
    double now = tw_now_s();
    if (now - ks->last_answer_check < 0.1)
        return false;
    ks->last_answer_check = now;
    char *id = rd_kafka_clusterid(ks->rk, 0);
    if (id) {
        rd_kafka_mem_free(ks->rk, id);
        ks->answered = true;
    } else if (rd_kafka_controllerid(ks->rk, 0) >= 0 || ks->joined ||
               atomic_load(&ks->assignments) || atomic_load(&ks->bytes)) {
        ks->answered = true;
    }
    return ks->answered;
}

/* broker_timeout_ms ran out with no broker answering: said once, and the source fails. */
static bool broker_timed_out(kafka_source *ks)
{
    if (!ks->conf.broker_timeout_ms || !ks->subscribed || broker_answered(ks))
        return false;
    double waited = tw_now_s() - ks->started_at;
    if (waited * 1000.0 < ks->conf.broker_timeout_ms)
        return false;
    tw_log("%skafka: no broker answered within %.0f s (-b %s); giving up (--broker-timeout "
           "sets the wait, 0 waits forever)",
           ks->prefix, ks->conf.broker_timeout_ms / 1000.0, ks->conf.brokers);
    ks->failed = true;
    return true;
}

/* ---- messages --------------------------------------------------------------------------- */

/* Whether a value is one line of JSON (the common case: one record a message). */
static bool single_line_json(const char *p, size_t len)
{
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
        i++;
    return i < len && p[i] == '{' && !memchr(p + i, '\n', len - i);
}

/* Every assigned partition read to its end (--exit-at-end). */
static bool all_at_end(kafka_source *ks)
{
    bool any = false, all = true;
    pthread_mutex_lock(&ks->mu);
    for (uint32_t i = 0; i < ks->n_parts && all; i++) {
        if (!ks->parts[i].assigned)
            continue;
        any = true;
        all = ks->parts[i].eof;
    }
    pthread_mutex_unlock(&ks->mu);
    return any && all;
}

/* --exit-at-end, a member the group gave nothing (more members than partitions): once the
 * group has been quiet for IDLE_MEMBER_S since its last rebalance, there is nothing to read.
 * Not sooner: a first empty assignment is normal in a cooperative join (the partitions come
 * in a second round, once their owner let them go). Leaving early loses nothing: the
 * partitions it would have got stay with, or go back to, the members that read them. */
static bool idle_member(kafka_source *ks)
{
    if (!atomic_load(&ks->assignments) || tw_now_s() - ks->last_rebalance < IDLE_MEMBER_S)
        return false;
    bool any = false;
    pthread_mutex_lock(&ks->mu);
    for (uint32_t i = 0; i < ks->n_parts && !any; i++)
        any = ks->parts[i].assigned;
    pthread_mutex_unlock(&ks->mu);
    if (!any && !ks->said_idle) {
        ks->said_idle = true;
        tw_log("%skafka: --exit-at-end: no partition assigned %.0f s after the group's last "
               "rebalance: nothing to read",
               ks->prefix, IDLE_MEMBER_S);
    }
    return !any;
}

/* What poll returned that is no record: a partition's end, or an error. */
static void handle_event(kafka_source *ks, rd_kafka_message_t *m)
{
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (m->rkt) {
            pthread_mutex_lock(&ks->mu);
            uint32_t pi = part_index(ks, rd_kafka_topic_name(m->rkt), m->partition);
            kpart *p = pi != UINT32_MAX ? &ks->parts[pi] : NULL;
            if (p && (p->held || (p->next >= 0 && m->offset > p->next)))
                p->end_at = m->offset; /* records before it are still to come */
            else if (p)
                p->eof = true;
            pthread_mutex_unlock(&ks->mu);
        }
        return;
    }
    atomic_fetch_add(&ks->errors, 1);
    tw_log("%skafka: %s", ks->prefix, rd_kafka_message_errstr(m));
    if (rd_kafka_fatal_error(ks->rk, NULL, 0))
        ks->failed = true;
}

/* A record's partition, counted when poll returns it (a partition's end that comes after it
 * is then seen after it, whenever the record is handed over). UINT32_MAX: out of memory. */
static uint32_t arrived(kafka_source *ks, const rd_kafka_message_t *m)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    pthread_mutex_lock(&ks->mu);
    uint32_t pi = ks->n_parts && m->partition == ks->last_partition &&
                          !strcmp(ks->parts[ks->last_pi].topic, topic)
                      ? ks->last_pi
                      : part_index(ks, topic, m->partition);
    if (pi != UINT32_MAX) {
        kpart *p = &ks->parts[pi];
        if (!p->held) { /* a held partition's record is dropped: it comes again (drop_held) */
            p->next = m->offset + 1;
            p->eof = p->end_at >= 0 && p->next >= p->end_at; /* the end reported ahead */
            if (p->eof)
                p->end_at = -1;
        }
        ks->parts[pi].messages++;
        ks->last_partition = m->partition;
        ks->last_pi = pi;
    }
    pthread_mutex_unlock(&ks->mu);
    atomic_fetch_add(&ks->bytes, m->len);
    return pi;
}

static bool stash(kafka_source *ks, rd_kafka_message_t *m, uint32_t pi)
{
    if (ks->n_stash == ks->cap_stash) {
        size_t cap = ks->cap_stash ? ks->cap_stash * 2 : 64;
        stashed *v = realloc(ks->stash, cap * sizeof *v);
        if (!v) {
            ks->failed = true; /* never drop a record silently */
            rd_kafka_message_destroy(m);
            return false;
        }
        ks->stash = v;
        ks->cap_stash = cap;
    }
    ks->stash[ks->n_stash++] = (stashed){ m, pi };
    return true;
}

/* A message of a held partition (fetched before the pause took): not handed over, read again
 * from the first such offset when the partition is let go. */
static bool drop_held(kafka_source *ks, rd_kafka_message_t *m, uint32_t pi)
{
    pthread_mutex_lock(&ks->mu);
    kpart *p = &ks->parts[pi];
    bool held = p->held;
    if (held && (p->held_from < 0 || m->offset < p->held_from))
        p->held_from = m->offset;
    if (held)
        p->messages--;
    pthread_mutex_unlock(&ks->mu);
    if (held)
        rd_kafka_message_destroy(m);
    return held;
}

void tw_source_kafka_hold(tw_source *src, uint32_t part)
{
    kafka_source *ks = kafka_of(src);
    pthread_mutex_lock(&ks->mu);
    if (part < ks->n_parts) {
        ks->parts[part].held = true;
        ks->parts[part].held_from = -1;
    }
    pthread_mutex_unlock(&ks->mu);
}

void tw_source_kafka_release(tw_source *src, uint32_t part)
{
    kafka_source *ks = kafka_of(src);
    pthread_mutex_lock(&ks->mu);
    if (part >= ks->n_parts || !ks->parts[part].held) {
        pthread_mutex_unlock(&ks->mu);
        return;
    }
    kpart *p = &ks->parts[part];
    p->held = false;
    int64_t from = p->held_from;
    p->held_from = -1;
    bool assigned = p->assigned;
    if (from >= 0)
        p->next = from; /* read again from there: an end reported before is ahead of it */
    else if (p->end_at >= 0) {
        p->eof = true; /* nothing dropped: the end reported while held is where it stands */
        p->end_at = -1;
    }
    rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
    if (one)
        rd_kafka_topic_partition_list_add(one, p->topic, p->partition)->offset = from;
    pthread_mutex_unlock(&ks->mu);
    if (!one)
        return;
    if (assigned && from >= 0) {
        rd_kafka_error_t *e = rd_kafka_seek_partitions(ks->rk, one, 5000);
        if (e) {
            tw_log("%skafka: %s[%" PRId32 "]: seek to offset %" PRId64 ": %s", ks->prefix,
                   one->elems[0].topic, one->elems[0].partition, from, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            ks->failed = true; /* a record would be skipped: never silently */
        }
    }
    if (assigned && !ks->paused)
        rd_kafka_resume_partitions(ks->rk, one);
    rd_kafka_topic_partition_list_destroy(one);
}

static void hand_over(kafka_source *ks, rd_kafka_message_t *m, uint32_t pi, tw_raw *raw)
{
    if (ks->held)
        rd_kafka_message_destroy(ks->held);
    ks->held = m;
    const char *v = m->payload;
    size_t len = v ? m->len : 0;
    TW_SOURCE_READS_BEGIN();
    bool one_line = !len || single_line_json(v, len);
    TW_SOURCE_READS_END();
    *raw =
        (tw_raw){ .p = len ? v : NULL, .len = len, .one_line = one_line, .pos = { pi, m->offset } };
    rd_kafka_headers_t *hdrs = NULL;
    const void *hv = NULL;
    size_t hlen = 0;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(hdrs, TW_KAFKA_COPY_HEADER, &hv, &hlen) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        hv && hlen == strlen(TW_KAFKA_COPY_GRANTS) && !memcmp(hv, TW_KAFKA_COPY_GRANTS, hlen))
        raw->grant_copy = true;
}

static tw_err kafka_next(void *ctx, tw_raw *raw, int timeout_ms)
{
    kafka_source *ks = ctx;
    for (;;) {
        if (ks->failed)
            return TW_ERR_IO;
        if (!ks->paused && ks->stash_head < ks->n_stash) {
            stashed s = ks->stash[ks->stash_head++];
            if (ks->stash_head == ks->n_stash)
                ks->stash_head = ks->n_stash = 0;
            hand_over(ks, s.m, s.part, raw);
            return TW_OK;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(ks->rk, timeout_ms);
        if (!ks->joined && !atomic_load(&ks->assignments) && tw_now_s() - ks->last_join_check > 0.1)
            check_joined(ks);
        if (!m) {
            if (!ks->answered && broker_timed_out(ks))
                return TW_ERR_IO;
            if (ks->conf.exit_at_end && !ks->paused && ks->stash_head == ks->n_stash &&
                (all_at_end(ks) || idle_member(ks)))
                return TW_ERR_EOF;
            return TW_ERR_AGAIN;
        }
        if (m->err) {
            handle_event(ks, m);
            rd_kafka_message_destroy(m);
            continue;
        }
        uint32_t pi = arrived(ks, m);
        if (pi == UINT32_MAX) {
            ks->failed = true;
            rd_kafka_message_destroy(m);
            continue;
        }
        if (drop_held(ks, m, pi))
            continue;
        /* what came before it goes first: kept while paused, or polled inside a rebalance
         * hook that paused (the hook's caller is still reading the stash) */
        if (ks->paused || ks->stash_head < ks->n_stash) {
            if (!stash(ks, m, pi) || ks->paused)
                return ks->failed ? TW_ERR_IO : TW_ERR_AGAIN;
            continue;
        }
        hand_over(ks, m, pi, raw);
        return TW_OK;
    }
}

/* Pauses or resumes every assigned partition. */
static void set_paused(kafka_source *ks, bool pause)
{
    rd_kafka_topic_partition_list_t *assigned = NULL;
    if (rd_kafka_assignment(ks->rk, &assigned) || !assigned)
        return;
    if (pause) {
        rd_kafka_pause_partitions(ks->rk, assigned);
    } else {
        /* a held partition stays paused until it is let go */
        rd_kafka_topic_partition_list_t *go = rd_kafka_topic_partition_list_new(assigned->cnt);
        pthread_mutex_lock(&ks->mu);
        for (int i = 0; go && i < assigned->cnt; i++) {
            uint32_t pi = part_index(ks, assigned->elems[i].topic, assigned->elems[i].partition);
            if (pi == UINT32_MAX || !ks->parts[pi].held)
                rd_kafka_topic_partition_list_add(go, assigned->elems[i].topic,
                                                  assigned->elems[i].partition);
        }
        pthread_mutex_unlock(&ks->mu);
        if (go) {
            rd_kafka_resume_partitions(ks->rk, go);
            rd_kafka_topic_partition_list_destroy(go);
        }
    }
    rd_kafka_topic_partition_list_destroy(assigned);
}

static void kafka_pause(void *ctx)
{
    kafka_source *ks = ctx;
    atomic_fetch_add(&ks->pauses, 1);
    if (ks->paused++ == 0)
        set_paused(ks, true);
}

static void kafka_resume(void *ctx)
{
    kafka_source *ks = ctx;
    if (ks->paused && --ks->paused == 0)
        set_paused(ks, false);
}

static tw_err kafka_commit(void *ctx, const tw_source_pos *done, size_t n)
{
    kafka_source *ks = ctx;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n);
    if (!list)
        return TW_ERR_NOMEM;
    pthread_mutex_lock(&ks->mu);
    for (size_t i = 0; i < n; i++) {
        const kpart *p = &ks->parts[done[i].part];
        if (p->assigned)
            rd_kafka_topic_partition_list_add(list, p->topic, p->partition)->offset =
                done[i].offset + 1;
    }
    pthread_mutex_unlock(&ks->mu);
    if (list->cnt) {
        rd_kafka_resp_err_t err = rd_kafka_offsets_store(ks->rk, list);
        if (err && err != RD_KAFKA_RESP_ERR__STATE)
            tw_log("%skafka: storing offsets: %s", ks->prefix, rd_kafka_err2str(err));
        atomic_fetch_add(&ks->stores, 1);
    }
    rd_kafka_topic_partition_list_destroy(list);
    return TW_OK;
}

/* ---- life ------------------------------------------------------------------------------- */

static void kafka_destroy(void *ctx);

static tw_err kafka_open(const tw_source_conf *conf, void **ctx, char *errstr, size_t errstr_size)
{
    kafka_source *ks = calloc(1, sizeof *ks);
    if (!ks)
        return TW_ERR_NOMEM;
    ks->conf = *conf;
    ks->prefix = conf->log_prefix ? conf->log_prefix : "";
    ks->last_partition = -1; /* no message yet (partitions are numbered from 0) */
    pthread_mutex_init(&ks->mu, NULL);
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    /* defaults that only shape behaviour: the user's -X may change them (README.md) */
    static const char *const defaults[] = {
        "partition.assignment.strategy=cooperative-sticky",
        "enable.auto.commit=true",
        /* librdkafka backs a partition off for this long at each end of it it reaches, errors
         * or not (500 ms by default): a live partition's next record waited up to that, and a
         * backlog's reading stalled half a second at a time (bench/run_consume_vs_replay.sh);
         * the fetch that follows waits at the broker for data (fetch.wait.max.ms) anyway */
        "fetch.error.backoff.ms=20",
        /* when its queue of fetched records reaches this, librdkafka 2.0.2 stops fetching for
         * about 0.7 s (a fixed backoff: fetch.queue.backoff.ms came in 2.2), so a backlog read
         * faster than it is processed stalled 0.7 s every 64 MB (the default) once the queue
         * ran dry; 256 MB lasts through the backoff at consume's rate */
        "queued.max.messages.kbytes=262144",
    };
    size_t n_guards;
    const tw_kafka_guard *guards = tw_source_kafka_guards(conf->exit_at_end, &n_guards);
    /* guarded: last, so that no -X can change them (the caller refused any -X that would,
     * before anything started); else defaults, -X after them */
    bool ok = c && !tw_kafka_conf_set(c, "bootstrap.servers", conf->brokers, errstr, errstr_size) &&
              !tw_kafka_conf_set(c, "group.id", conf->group, errstr, errstr_size) &&
              !tw_kafka_conf_apply(c, defaults, sizeof defaults / sizeof defaults[0], errstr,
                                   errstr_size) &&
              (conf->guarded || !tw_kafka_conf_guard(c, guards, n_guards, errstr, errstr_size)) &&
              !tw_kafka_conf_apply(c, conf->props, conf->n_props, errstr, errstr_size) &&
              (!conf->guarded || !tw_kafka_conf_guard(c, guards, n_guards, errstr, errstr_size));
    if (!ok) {
        if (!c)
            snprintf(errstr, errstr_size, "out of memory");
        else
            rd_kafka_conf_destroy(c);
        kafka_destroy(ks);
        return c ? TW_ERR_INVALID : TW_ERR_NOMEM;
    }
    rd_kafka_conf_set_opaque(c, ks);
    rd_kafka_conf_set_rebalance_cb(c, rebalance);
    char err[512];
    ks->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    if (!ks->rk) {
        snprintf(errstr, errstr_size, "kafka: %s", err);
        rd_kafka_conf_destroy(c);
        kafka_destroy(ks);
        return TW_ERR_IO;
    }
    rd_kafka_poll_set_consumer(ks->rk);
    *ctx = ks;
    return TW_OK;
}

static tw_err kafka_start(void *ctx, char *errstr, size_t errstr_size)
{
    kafka_source *ks = ctx;
    const tw_source_conf *conf = &ks->conf;
    rd_kafka_topic_partition_list_t *topics =
        rd_kafka_topic_partition_list_new((int)conf->n_topics);
    for (size_t i = 0; i < conf->n_topics; i++)
        rd_kafka_topic_partition_list_add(topics, conf->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(ks->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    ks->subscribed = !se;
    ks->started_at = tw_now_s();
    if (se) {
        snprintf(errstr, errstr_size, "kafka: subscribe: %s", rd_kafka_err2str(se));
        return TW_ERR_INVALID;
    }
    return TW_OK;
}

static void kafka_close(void *ctx, bool commit)
{
    kafka_source *ks = ctx;
    if (!ks->rk || ks->closed)
        return;
    if (!ks->joined && !atomic_load(&ks->assignments))
        check_joined(ks); /* for destroy_would_abort: the group answers no query once closed */
    if (commit) {
        rd_kafka_resp_err_t ce = rd_kafka_commit(ks->rk, NULL, 0);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
            tw_log("%skafka: commit: %s", ks->prefix, rd_kafka_err2str(ce));
    }
    rd_kafka_consumer_close(ks->rk); /* leaves the group (its revocation runs the hooks) */
    ks->closed = true;
    /* Stopped before the first assignment (an assignment served by the close counts): the
     * consumer has left the group and nothing of it was read, but destroying it could abort
     * (destroy_would_abort). It is left to the process's exit. Waiting for the assignment
     * instead, as before issue 16, kept a SIGTERM up to session.timeout.ms (45 s by default)
     * when the group's leader was stuck: longer than service managers wait before a SIGKILL. */
    if (destroy_would_abort(ks)) {
        tw_log("%skafka: stopped before the group's assignment: left the group; the consumer is "
               "left to the process's exit (librdkafka 2.0.2 aborts destroying it: its issue "
               "4312)",
               ks->prefix);
        ks->abandoned = true;
    }
}

static void kafka_destroy(void *ctx)
{
    kafka_source *ks = ctx;
    /* not closed (a failure): no close on the way out either. Closing runs the revocation,
     * whose unassign was seen to wait forever in a consumer that never polled; and nothing
     * failed may be committed. The group drops the member after session.timeout.ms. Before the
     * first assignment it is not destroyed either (destroy_would_abort). */
    if (ks->rk && !ks->closed && ks->subscribed && !ks->joined && !atomic_load(&ks->assignments))
        check_joined(ks);
    if (ks->rk && !ks->closed && destroy_would_abort(ks))
        ks->abandoned = true;
    if (ks->held)
        rd_kafka_message_destroy(ks->held);
    for (size_t i = ks->stash_head; i < ks->n_stash; i++)
        rd_kafka_message_destroy(ks->stash[i].m);
    free(ks->stash);
    if (ks->abandoned)
        leave_to_exit(ks); /* no callback of it runs without a poll: ks may go */
    if (ks->rk && !ks->closed)
        rd_kafka_destroy_flags(ks->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    else if (ks->rk)
        rd_kafka_destroy(ks->rk);
    for (uint32_t i = 0; i < ks->n_parts; i++)
        free(ks->parts[i].topic);
    free(ks->parts);
    pthread_mutex_destroy(&ks->mu);
    free(ks);
}

static uint32_t kafka_n_inputs(void *ctx)
{
    (void)ctx;
    return 1;
}

static const char *kafka_input_name(void *ctx, uint32_t input)
{
    (void)ctx;
    (void)input;
    return "kafka"; /* problems name the message: "kafka: message N: ..." */
}

const tw_source_ops tw_source_kafka = {
    .name = "kafka",
    .flags = TW_SOURCE_ARRIVAL_ORDER | TW_SOURCE_PARTITIONED,
    .open = kafka_open,
    .start = kafka_start,
    .next = kafka_next,
    .pause = kafka_pause,
    .resume = kafka_resume,
    .commit = kafka_commit,
    .close = kafka_close,
    .destroy = kafka_destroy,
    .n_inputs = kafka_n_inputs,
    .input_name = kafka_input_name,
    .n_parts = kafka_n_parts,
};
