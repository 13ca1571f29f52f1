/* app_stages: the reader, parser and worker threads of the pipeline (app_pipeline.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app_checkpoint.h"
#include "app_pipeline.h"
#include "ingest_split.h"
#include "tw_hash.h"
#include "tw_log.h"

void tw_pipeline_abort(tw_pipeline *pl)
{
    atomic_store(&pl->failed, true);
    for (int i = 0; i < pl->n_parsers; i++) {
        tw_ring_abort(pl->chunk_rings[i]);
        tw_ring_abort(pl->batch_rings[i]);
    }
    for (int i = 0; i < pl->n_workers; i++) {
        tw_ring_abort(pl->work_rings[i]);
        tw_ring_abort(pl->spare_rings[i]);
    }
    for (int i = 0; i < pl->n_producers; i++)
        tw_ring_abort(pl->result_rings[i]);
}

tw_work *tw_work_new(void)
{
    tw_work *work = calloc(1, sizeof *work);
    if (!work)
        return NULL;
    work->cap = TW_WORK_BATCH;
    work->ev = malloc(work->cap * sizeof *work->ev);
    work->group = malloc(work->cap * sizeof *work->group);
    work->runs = malloc(work->cap * sizeof *work->runs);
    if (!work->ev || !work->group || !work->runs) {
        free(work->ev);
        free(work->group);
        free(work->runs);
        free(work);
        return NULL;
    }
    return work;
}

void tw_work_release(tw_work *work)
{
    for (uint32_t i = 0; i < work->n_runs; i++)
        tw_batch_release(work->runs[i].batch, work->runs[i].count);
    work->n_runs = 0;
    work->n = 0;
}

void tw_work_destroy(tw_work *work)
{
    if (!work)
        return;
    tw_work_release(work);
    free(work->ev);
    free(work->group);
    free(work->runs);
    free(work->source_wm);
    free(work);
}

tw_result *tw_result_new(void)
{
    tw_result *res = calloc(1, sizeof *res);
    if (res)
        tw_buf_init(&res->text);
    return res;
}

void tw_result_destroy(tw_result *res)
{
    if (!res)
        return;
    tw_buf_free(&res->text);
    if (res->checkpoint) {
        tw_buf_free(res->checkpoint);
        free(res->checkpoint);
    }
    free(res->found);
    free(res);
}

/* ---- reader: the file source's chunks, in order, dealt to the parsers ---- */

void *tw_reader_main(void *arg)
{
    tw_pipeline *pl = arg;
    while (!atomic_load(&pl->failed)) {
        tw_raw raw;
        tw_err err = tw_source_next(pl->source, &raw, -1);
        if (err == TW_ERR_EOF)
            break;
        if (err == TW_ERR_NOMEM) {
            tw_log("out of memory reading %s", tw_source_input_name(pl->source, raw.input));
            tw_pipeline_abort(pl);
            break;
        }
        if (err)
            break;
        tw_chunk *chunk = raw.chunk;
        if (!tw_ring_push(pl->chunk_rings[chunk->seq % (uint64_t)pl->n_parsers], chunk)) {
            tw_chunk_destroy(chunk);
            break; /* stopped */
        }
    }
    for (int i = 0; i < pl->n_parsers; i++)
        tw_ring_close(pl->chunk_rings[i]);
    return NULL;
}

/* ---- parsers: chunks into batches of normalized events ---- */

/* What a parser thread runs on each event while its record is in memory. */
typedef struct parser_hooks {
    tw_rules_ctx *rules;
    tw_grants_ctx *grants;
} parser_hooks;

static void parser_hook(void *ud, tw_event *ev, const tw_raw_record *rec, tw_json *js,
                        tw_arena *arena)
{
    parser_hooks *h = ud;
    /* a copy of a grant call is for the grant books alone: no rule meets it */
    if (h->rules && !(ev->flags & TW_EV_GRANT_COPY))
        tw_rules_hook(h->rules, ev, rec, js, arena);
    if (h->grants)
        tw_grants_hook(h->grants, ev, rec, js, arena);
}

/* About how many events a chunk holds: a record is about 1.5 KB of JSON, or about 150 bytes
 * of it gzip'd in a whole small file. A guess errs high, and the batch is fitted once filled. */
static uint32_t events_expected(const tw_chunk *chunk)
{
    size_t n = chunk->len / (chunk->whole_input ? 64 : 1024);
    return n < 8 ? 8 : n > 1024 ? 1024 : (uint32_t)n;
}

void *tw_parser_main(void *arg)
{
    tw_parser_arg *pa = arg;
    tw_pipeline *pl = pa->pl;
    tw_parser *ps = tw_parser_new(&pl->norm);
    tw_rules_ctx *rules = pl->rules ? tw_rules_ctx_new(pl->rules, pl->policy_reader) : NULL;
    tw_grants_ctx *grants = pl->grants ? tw_grants_ctx_new(pl->privtab) : NULL;
    parser_hooks hooks = { rules, grants };
    if (!ps || (pl->rules && !rules) || (pl->grants && !grants)) {
        tw_log("out of memory starting a parser");
        tw_parser_destroy(ps);
        tw_rules_ctx_destroy(rules);
        tw_grants_ctx_destroy(grants);
        tw_pipeline_abort(pl);
        tw_ring_close(pl->batch_rings[pa->index]);
        return NULL;
    }
    if (rules || grants)
        tw_parser_set_hook(ps, parser_hook, &hooks);
    tw_chunk *chunk;
    while ((chunk = tw_ring_pop(pl->chunk_rings[pa->index])) != NULL) {
        tw_batch *batch = tw_batch_new(events_expected(chunk));
        if (!batch) {
            tw_chunk_destroy(chunk);
            tw_log("out of memory parsing");
            tw_pipeline_abort(pl);
            break;
        }
        if (chunk->checkpoint || chunk->state_op) { /* an empty batch carries it on */
            batch->seq = chunk->seq;
            batch->input = chunk->input;
            batch->checkpoint = chunk->checkpoint;
            batch->state_op = chunk->state_op;
        } else {
            tw_parser_run(ps, chunk, batch);
            tw_batch_fit(batch);
        }
        batch->source = chunk->source;
        tw_chunk_destroy(chunk);
        if (!tw_ring_push(pl->batch_rings[pa->index], batch)) {
            tw_batch_destroy(batch);
            break;
        }
    }
    tw_ring_close(pl->batch_rings[pa->index]);
    tw_parser_destroy(ps);
    tw_rules_ctx_destroy(rules);
    tw_grants_ctx_destroy(grants);
    return NULL;
}

/* ---- workers: identity state, detectors, encoding ---- */

bool tw_result_add(tw_pipeline *pl, tw_result *res, const tw_finding *f, uint64_t seq,
                   uint32_t detector)
{
    if (res->n == res->cap) {
        uint32_t cap = res->cap ? res->cap * 2 : 8;
        tw_found *found = realloc(res->found, cap * sizeof *found);
        if (!found) {
            tw_log("out of memory keeping a finding");
            tw_pipeline_abort(pl);
            return false;
        }
        res->found = found;
        res->cap = cap;
    }
    size_t off = res->text.len;
    tw_encode_opts opts = pl->encode;
    if (opts.processed_time) { /* consume: when it was detected, beside the event's time */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        opts.processed_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    tw_finding_encode(&opts, f, &res->text);
    if (res->text.failed) {
        tw_log("out of memory encoding a finding");
        tw_pipeline_abort(pl);
        return false;
    }
    res->found[res->n++] =
        (tw_found){ seq, detector, (uint32_t)off, (uint32_t)(res->text.len - off) };
    return true;
}

static void worker_emit(void *ud, const tw_finding *f, uint32_t detector)
{
    tw_worker *wk = ud;
    if (!wk->res)
        return; /* between work batches (the store's teardown): nothing can be written */
    int64_t t = f->ev ? f->ev->time_ms : f->first_seen_ms; /* an update: its finding's */
    if (t < wk->pl->conf->report_from_ms) {
        if (!f->update)
            atomic_fetch_add(&wk->pl->before_report, 1); /* learnt from, not reported */
        return;
    }
    if (tw_exceptions_match(wk->pl->exceptions, (uint32_t)wk->index, f))
        return; /* --exceptions: counted there (suppressed.exception), not written; an
                 * update of a finding it kept out is not written either */
    uint64_t seq = f->has_order ? f->order_seq : wk->cur_seq;
    if (tw_result_add(wk->pl, wk->res, f, seq, detector) && detector < TW_MAX_DETECTORS) {
        if (f->update)
            wk->stats.updates++;
        else
            wk->stats.findings[detector]++;
    }
}

/* An event delivered to the record of one of its groups across identities (arg: which of
 * its tw_corr_values): the record is keyed by rule and group in this worker's store. */
static void run_group(tw_worker *wk, const tw_event *ev, uint32_t arg, const tw_emit *emit)
{
    tw_pipeline *pl = wk->pl;
    const tw_corr_value *cv = &ev->corr_values[arg];
    char buf[TW_RULES_GROUP_KEY];
    uint64_t hash;
    tw_str key = tw_rules_group_key(cv->rule, cv->group, buf, &hash);
    bool created;
    tw_ident *group = tw_state_get(wk->state, hash, key, ev->time_ms, &created);
    wk->group_entries++;
    if (!group) {
        wk->stats.state_failures++;
        return;
    }
    wk->stats.group_events++;
    wk->cur_seq = ev->seq;
    tw_engine_run_group(pl->engine, pl->rules_detector, group, ev, arg, emit);
}

/* consume: an identity's records must all come from one partition, or two instances of a
 * group each see part of it (docs/consume.md: route, then consume). Said once an identity. */
static void note_source(tw_worker *wk, tw_ident *ident, const tw_event *ev)
{
    if (!ident->source) {
        ident->source = ev->source;
        return;
    }
    ident->source = ev->source;
    if (ident->flags & TW_IDENT_SPLIT)
        return;
    ident->flags |= TW_IDENT_SPLIT;
    wk->stats.split_identities++;
    if (wk->pl->conf->verbosity >= 0)
        tw_log("identity %.*s arrives in more than one partition: its "
               "state is split between consumers (key the topic by identity: "
               "trailwarden route)",
               (int)ident->key_len, ident->key);
}

/* consume --state-dir: every identity (and group record) of the shard with its detectors'
 * state; the count goes first, patched in at the end. */
/* consume: a copy of this worker's counters for --stats on SIGUSR1 (the output stage must not
 * read counters another thread is writing). */
static void worker_publish(tw_worker *wk)
{
    tw_pipeline *pl = wk->pl;
    tw_state_get_stats(wk->state, &wk->stats.state);
    wk->stats.record_size = tw_state_record_size(wk->state);
    pthread_mutex_lock(&pl->stats_mu);
    wk->pub.events = wk->stats.events;
    wk->pub.group_events = wk->stats.group_events;
    wk->pub.split_identities = wk->stats.split_identities;
    wk->pub.state_failures = wk->stats.state_failures;
    memcpy(wk->pub.findings, wk->stats.findings, pl->stats_slots * sizeof *wk->pub.findings);
    memcpy(wk->pub.held_learning, wk->stats.held_learning,
           pl->stats_slots * sizeof *wk->pub.held_learning);
    memcpy(wk->pub.held_repeats, wk->stats.held_repeats,
           pl->stats_slots * sizeof *wk->pub.held_repeats);
    wk->pub.updates = wk->stats.updates;
    wk->pub.state = wk->stats.state;
    wk->pub.record_size = wk->stats.record_size;
    pthread_mutex_unlock(&pl->stats_mu);
}

static void flush_ident(void *ud, tw_ident *ident)
{
    tw_worker *wk = ud;
    tw_engine_flush(wk->pl->engine, ident, wk->emit);
}

void tw_worker_release(void *ud, tw_ident *ident)
{
    tw_worker *wk = ud;
    /* replay only: consume's drops depend on when its batches end, and what it writes must
     * not (its updates come with the next finding of the rule and identity) */
    if (wk->emit && !(wk->pl->source_flags & TW_SOURCE_ARRIVAL_ORDER))
        tw_engine_flush(wk->pl->engine, ident, wk->emit);
    tw_engine_release(wk->pl->engine, ident);
}

void tw_worker_removed(void *ud, const tw_ident *ident)
{
    tw_worker *wk = ud;
    if (!ident->source)
        return; /* a group record across identities: not in the changelog */
    tw_ckpt_rec rec = { ident->source, { ident->key, ident->key_len }, false, { NULL, 0 } };
    tw_ckpt_put_rec(&wk->tombstones, &rec);
}

/* consume --state-topic: a partition's changelog records into this shard (the records of its
 * identities: hash mod workers), or its identities out of it. */
static void apply_state_op(tw_worker *wk, tw_state_op *op)
{
    tw_pipeline *pl = wk->pl;
    uint16_t source = tw_source_of_part(op->part);
    if (op->drop) {
        bool *drop = calloc((size_t)source + 1, sizeof *drop);
        if (drop) {
            drop[source] = true;
            atomic_fetch_add(&op->dropped, tw_state_drop_sources(wk->state, drop, source + 1u));
            free(drop);
        }
    } else {
        tw_wire_reader r = { (const unsigned char *)op->records.p,
                             (const unsigned char *)op->records.p + op->records.len, false };
        uint64_t applied = 0, foreign = 0, damaged = 0, failed = 0;
        tw_ckpt_rec rec;
        while (r.p < r.end && tw_ckpt_get_rec(&r, &rec)) {
            if (rec.key.len && rec.key.p[0] == '\0')
                continue; /* a stream detector's: the router's */
            uint64_t hash = tw_hash64(rec.key.p, rec.key.len, 0);
            if (hash % (uint64_t)pl->n_workers != (uint64_t)wk->index)
                continue;
            tw_err err = tw_ckpt_apply(pl->engine, wk->state, pl->fingerprint, &rec, source);
            if (err == TW_OK)
                applied++;
            else if (err == TW_ERR_INVALID)
                foreign++;
            else if (err == TW_ERR_CORRUPT)
                damaged++;
            else
                failed++;
        }
        atomic_fetch_add(&op->applied, applied);
        atomic_fetch_add(&op->foreign, foreign);
        atomic_fetch_add(&op->damaged, damaged);
        atomic_fetch_add(&op->failed, failed);
    }
    if (atomic_fetch_sub(&op->refs, 1) == 1)
        tw_kafka_state_op_done(pl->kafka, op);
}

void *tw_worker_main(void *arg)
{
    tw_worker *wk = arg;
    tw_pipeline *pl = wk->pl;
    tw_stream_info stream = { pl->conf->learn_ms };
    const tw_emit emit = { worker_emit, wk, &stream, wk->stats.held_learning,
                           wk->stats.held_repeats };
    wk->emit = &emit;
    tw_work *work;
    while ((work = tw_ring_pop(pl->work_rings[wk->index])) != NULL) {
        wk->res = tw_result_new();
        if (!wk->res) {
            tw_work_destroy(work);
            tw_pipeline_abort(pl);
            break;
        }
        for (uint32_t i = 0; i < work->n; i++) {
            const tw_event *ev = work->ev[i];
            bool created;
            if (work->group[i] != TW_WORK_IDENTITY) {
                run_group(wk, ev, work->group[i], &emit);
                continue;
            }
            tw_ident *ident =
                tw_state_get(wk->state, ev->identity_hash, ev->identity, ev->time_ms, &created);
            if (!ident) {
                wk->stats.state_failures++;
                continue;
            }
            if (ev->kind > ident->kind)
                ident->kind = ev->kind;
            if (ev->source && ident->source != ev->source)
                note_source(wk, ident, ev);
            wk->cur_seq = ev->seq;
            tw_engine_run(pl->engine, ident, ev, &emit);
            ident->flags |= TW_IDENT_DIRTY; /* --state-topic: the next barrier writes it */
        }
        wk->stats.events += work->n - wk->group_entries;
        wk->group_entries = 0;
        /* incremental expiry, budgeted by the work just done */
        tw_state_expire_sources(wk->state, work->watermark_ms, work->source_wm, work->n_source_wm,
                                work->n * 2 + 64);
        /* a stream with an end (replay's files): the updates still owed */
        if (work->final && !(pl->source_flags & TW_SOURCE_ARRIVAL_ORDER))
            tw_state_foreach(wk->state, flush_ident, wk);
        if (pl->source_flags & TW_SOURCE_ARRIVAL_ORDER) /* live: --stats on SIGUSR1 */
            worker_publish(wk);
        tw_result *res = wk->res;
        wk->res = NULL;
        if (work->state_op)
            apply_state_op(wk, work->state_op);
        if (work->checkpoint && wk->tombstones.failed) {
            tw_log("out of memory keeping the identities removed since the last checkpoint");
            tw_pipeline_abort(pl); /* a tombstone lost would leave a stale state behind */
        }
        if (work->checkpoint &&
            !(res->checkpoint = tw_ckpt_shard(pl->engine, wk->state, pl->fingerprint, pl->changelog,
                                              &wk->tombstones))) {
            tw_log("out of memory saving a checkpoint");
            tw_pipeline_abort(pl);
        }
        if (work->checkpoint)
            wk->tombstones.len = 0; /* written with this barrier's state */
        res->upto_seq = work->upto_seq;
        res->final = work->final;
        bool final = work->final;
        if (!tw_ring_push(pl->result_rings[wk->index], res)) {
            tw_result_destroy(res);
            tw_work_destroy(work);
            break;
        }
        if (final) {
            tw_work_destroy(work);
            break;
        }
        tw_work_release(work);
        if (!tw_ring_push(pl->spare_rings[wk->index], work)) {
            tw_work_destroy(work);
            break;
        }
    }
    wk->emit = NULL; /* the store outlives this thread: its teardown writes nothing */
    tw_state_get_stats(wk->state, &wk->stats.state);
    wk->stats.record_size = tw_state_record_size(wk->state);
    tw_ring_close(pl->result_rings[wk->index]);
    return NULL;
}
