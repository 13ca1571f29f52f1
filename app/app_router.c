/* app_router: merges the parsed batches in input order, restores event-time order within
 * --lateness (replay: a min-heap keyed by eventTime, then eventID, then arrival; consume keeps
 * arrival order), numbers the events, and deals each to the worker that owns its identity. It
 * also reports the problems found upstream, in input order, so stderr reads the same for any
 * -j. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app_checkpoint.h"
#include "app_pipeline.h"
#include "tw_hash.h"
#include "tw_log.h"

#define PROBLEMS_PER_INPUT 20
#define GRANTS_RESULT_BYTES (256u << 10) /* the tracker's findings handed on at this size */

typedef struct held {
    int64_t time_ms;
    uint64_t id_hash; /* eventID: ties in time break the same way whatever the file layout */
    uint64_t arrival;
    tw_event *ev;
    tw_batch *batch;
} held;

typedef struct router {
    tw_pipeline *pl;
    held *heap;
    size_t n, cap;
    uint64_t arrival;
    uint64_t next_seq;
    int64_t max_seen;   /* newest event time arrived */
    int64_t *src_max;   /* consume: the newest a partition's records brought (by source),
                         * INT64_MIN none yet: partitions run apart, lateness is within one */
    int64_t *src_start; /* consume: the time of a partition's first record (by source): what
                         * its stream covers from (learning, DESIGN §5), whatever the other
                         * partitions' timing */
    uint32_t n_src;
    int64_t max_routed;   /* newest event time routed */
    int64_t stream_start; /* replay: the event time the stream covers from (its first
                           * record, or the restored state's): learning (DESIGN §5) */
    tw_work **cur;        /* per worker, being filled */
    tw_result *res;       /* the stream detectors' findings, being filled (with any) */
    bool leading;         /* ...at their start: they precede everything (tw_result.leading) */
    bool streams_started; /* their start is done (at the first event) */
    uint64_t pseudo;      /* sequence numbers that are no event (a stream detector's start) */
    uint32_t cur_input;   /* problems of the current input, for the per-input limit */
    uint64_t cur_input_problems;
    bool cur_input_had_problem;
} router;

static bool held_less(const held *a, const held *b)
{
    if (a->time_ms != b->time_ms)
        return a->time_ms < b->time_ms;
    if (a->id_hash != b->id_hash)
        return a->id_hash < b->id_hash;
    return a->arrival < b->arrival;
}

static bool heap_push(router *rt, held h)
{
    if (rt->n == rt->cap) {
        size_t cap = rt->cap ? rt->cap * 2 : 4096;
        held *v = realloc(rt->heap, cap * sizeof *v);
        if (!v)
            return false;
        rt->heap = v;
        rt->cap = cap;
    }
    size_t i = rt->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!held_less(&h, &rt->heap[parent]))
            break;
        rt->heap[i] = rt->heap[parent];
        i = parent;
    }
    rt->heap[i] = h;
    return true;
}

static held heap_pop(router *rt)
{
    held top = rt->heap[0];
    held last = rt->heap[--rt->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const held *best = &last;
        if (l < rt->n && held_less(&rt->heap[l], best)) {
            m = l;
            best = &rt->heap[l];
        }
        if (r < rt->n && held_less(&rt->heap[r], best))
            m = r;
        if (m == i)
            break;
        rt->heap[i] = rt->heap[m];
        i = m;
    }
    if (rt->n)
        rt->heap[i] = last;
    return top;
}

static tw_work *take_work(router *rt, int w)
{
    void *item;
    if (tw_ring_try_pop(rt->pl->spare_rings[w], &item) == TW_OK) {
        ((tw_work *)item)->checkpoint = false;
        ((tw_work *)item)->state_op = NULL;
        return item;
    }
    return tw_work_new();
}

/* The stream detectors' findings: encoded here, sent with the next flush. */
static bool flush_streams(router *rt, bool final);

static void router_emit(void *ud, const tw_finding *f, uint32_t detector)
{
    router *rt = ud;
    if (!rt->res)
        return;
    if (f->ev && f->ev->time_ms < rt->pl->conf->report_from_ms) {
        atomic_fetch_add(&rt->pl->before_report, 1); /* learnt from, not reported */
        return;
    }
    if (tw_exceptions_match(rt->pl->exceptions, (uint32_t)rt->pl->n_workers, f))
        return; /* --exceptions: counted there (suppressed.exception), not written */
    tw_result_add(rt->pl, rt->res, f, f->ev->seq, detector);
    /* one event can raise thousands (an inventory's grants at the first event): they go in
     * parts, so the router never holds them all at once */
    if (rt->res->text.len >= GRANTS_RESULT_BYTES && !flush_streams(rt, false))
        rt->res = NULL; /* the pipeline is failing: later findings are dropped with it */
}

/* Sends the stream detectors' findings with the progress mark upto. */
static bool flush_streams(router *rt, bool final)
{
    tw_pipeline *pl = rt->pl;
    if (!pl->n_streams)
        return true;
    if (!rt->res)
        return false; /* an earlier hand-over failed: the pipeline is failing */
    tw_result *res = rt->res;
    rt->res = NULL;
    res->upto_seq = rt->next_seq;
    res->final = final;
    res->leading = rt->leading;
    if (!tw_ring_push(pl->result_rings[pl->n_workers], res)) {
        tw_result_destroy(res);
        return false;
    }
    if (!final && !(rt->res = tw_result_new())) {
        tw_log("out of memory routing events");
        return false;
    }
    return true;
}

/* consume: each partition's progress into the work batch, for its identities' expiry. */
static bool copy_source_wm(router *rt, tw_work *work)
{
    if (work->cap_source_wm < rt->n_src) {
        int64_t *v = realloc(work->source_wm, rt->n_src * sizeof *v);
        if (!v) {
            tw_log("out of memory routing events");
            return false;
        }
        work->source_wm = v;
        work->cap_source_wm = rt->n_src;
    }
    memcpy(work->source_wm, rt->src_max, rt->n_src * sizeof *rt->src_max);
    work->n_source_wm = rt->n_src;
    return true;
}

/* Hands every worker its batch (empty ones carry the progress marks), so the output stage
 * can release findings up to upto_seq. */
static bool flush_all(router *rt, bool final)
{
    tw_pipeline *pl = rt->pl;
    if (!flush_streams(rt, final))
        return false;
    for (int w = 0; w < pl->n_workers; w++) {
        tw_work *work = rt->cur[w];
        work->upto_seq = rt->next_seq;
        work->watermark_ms = rt->max_routed;
        if ((pl->source_flags & TW_SOURCE_PARTITIONED) && rt->n_src && !copy_source_wm(rt, work))
            return false;
        work->final = final;
        rt->cur[w] = NULL;
        if (!tw_ring_push(pl->work_rings[w], work)) {
            tw_work_destroy(work);
            return false;
        }
        if (!final) {
            rt->cur[w] = take_work(rt, w);
            if (!rt->cur[w]) {
                tw_log("out of memory routing events");
                return false;
            }
        }
    }
    atomic_store(&pl->progress_events, rt->next_seq - rt->pseudo);
    return true;
}

/* Appends one entry for worker w; a full batch sends every worker its own. */
static bool deliver(router *rt, int w, held h, uint32_t group)
{
    tw_work *work = rt->cur[w];
    work->ev[work->n] = h.ev;
    work->group[work->n++] = group;
    if (work->n_runs && work->runs[work->n_runs - 1].batch == h.batch)
        work->runs[work->n_runs - 1].count++;
    else
        work->runs[work->n_runs++] = (tw_work_run){ h.batch, 1 };
    if (work->n == work->cap)
        return flush_all(rt, false);
    return true;
}

/* What the stream detectors raise at the start (the inventory's grants) comes at the first
 * event, under a sequence number of its own before it: nothing is routed yet, so those
 * findings (thousands with a large inventory) are first of all, and the output stage writes
 * them part by part as they come instead of holding them until every worker has passed the
 * first event. */
static bool start_streams(router *rt, const tw_event *first)
{
    rt->streams_started = true;
    for (uint32_t i = 0; i < rt->pl->n_streams; i++) {
        const tw_stream_detector *sd = &rt->pl->streams[i];
        if (!sd->start || sd->started(sd->self))
            continue;
        tw_event start = *first;
        start.seq = rt->next_seq++;
        rt->pseudo++;
        if (!flush_streams(rt, false)) /* what was raised before: not leading */
            return false;
        rt->leading = true;
        const tw_emit emit = { .fn = router_emit, .ud = rt };
        sd->start(sd->self, &start, &emit);
        bool ok = flush_streams(rt, false);
        rt->leading = false;
        if (!ok)
            return false;
    }
    return true;
}

/* Numbers the event and deals it to its identity's worker, and to the worker of each of its
 * groups across identities. next_seq moves past it last: a flush in between must not tell
 * the output stage that this event is done everywhere. */
static bool route(router *rt, held h)
{
    tw_pipeline *pl = rt->pl;
    uint64_t n = (uint64_t)pl->n_workers;
    if (!rt->streams_started && !start_streams(rt, h.ev))
        return false;
    h.ev->seq = rt->next_seq; /* (its source, the partition, the parser set) */
    const tw_emit emit = { .fn = router_emit, .ud = rt };
    if (h.ev->flags & TW_EV_GRANT_COPY) {
        /* a copy of a grant call for the grant books only (its original is routed as any
         * event): a number of its own for what they raise, no worker sees it */
        for (uint32_t i = 0; i < pl->n_streams; i++)
            if (pl->streams[i].on_copy)
                pl->streams[i].on_copy(pl->streams[i].self, h.ev, &emit);
        rt->next_seq++;
        rt->pseudo++;
        pl->router.grant_copies++;
        /* no record of the trail: counted as a copy, not as a record and an event */
        pl->router.ingest.records--;
        pl->router.ingest.events--;
        tw_batch_release(h.batch, 1);
        return true;
    }
    for (uint32_t i = 0; i < pl->n_streams; i++)
        pl->streams[i].on_event(pl->streams[i].self, h.ev, &emit);
    const tw_rules_rt *rules = pl->rules;
    for (uint32_t k = 0; rules && rules->n_shared_run && k < h.ev->n_corr_values; k++) {
        const tw_corr_value *cv = &h.ev->corr_values[k];
        if (!rules->plan[cv->rule].shared)
            continue;
        char buf[TW_RULES_GROUP_KEY];
        uint64_t hash;
        tw_rules_group_key(cv->rule, cv->group, buf, &hash);
        atomic_fetch_add(&h.batch->refs, 1); /* the event's own entry still holds one */
        if (!deliver(rt, (int)(hash % n), h, k))
            return false;
    }
    if (!deliver(rt, (int)(h.ev->identity_hash % n), h, TW_WORK_IDENTITY))
        return false;
    rt->next_seq++;
    if (h.time_ms > rt->max_routed)
        rt->max_routed = h.time_ms;
    return true;
}

/* Routes every held event at or before limit. */
static bool release(router *rt, int64_t limit)
{
    while (rt->n && rt->heap[0].time_ms <= limit)
        if (!route(rt, heap_pop(rt)))
            return false;
    return true;
}

int64_t tw_pipeline_src_start(tw_pipeline *pl, uint32_t source)
{
    pthread_mutex_lock(&pl->src_start_mu);
    int64_t v = source < pl->n_src_start ? pl->src_start[source] : INT64_MIN;
    pthread_mutex_unlock(&pl->src_start_mu);
    return v;
}

bool tw_pipeline_set_src_start(tw_pipeline *pl, uint32_t source, int64_t start_ms)
{
    pthread_mutex_lock(&pl->src_start_mu);
    bool ok = true;
    if (source >= pl->n_src_start) {
        uint32_t n = source + 64u;
        int64_t *v = realloc(pl->src_start, n * sizeof *v);
        if (v) {
            for (uint32_t i = pl->n_src_start; i < n; i++)
                v[i] = INT64_MIN;
            pl->src_start = v;
            pl->n_src_start = n;
        }
        ok = v != NULL;
    }
    if (ok)
        pl->src_start[source] = start_ms;
    pthread_mutex_unlock(&pl->src_start_mu);
    return ok;
}

/* Whether ev is more than lateness behind what came before it: behind the whole stream, or,
 * from a partitioned source (consume), behind its own partition (the partitions of a topic are
 * read side by side but need not be at the same time). */
static bool is_late(router *rt, tw_event *ev, int64_t lateness)
{
    uint16_t source = ev->source;
    int64_t *max = &rt->max_seen;
    if ((rt->pl->source_flags & TW_SOURCE_PARTITIONED) && source) {
        if (source >= rt->n_src) {
            uint32_t n = source + 64u;
            int64_t *v = realloc(rt->src_max, n * sizeof *v);
            if (v)
                rt->src_max = v;
            int64_t *w = v ? realloc(rt->src_start, n * sizeof *w) : NULL;
            if (!v || !w)
                return false; /* only a count: not worth failing for */
            for (uint32_t i = rt->n_src; i < n; i++) {
                v[i] = INT64_MIN;
                w[i] = tw_pipeline_src_start(rt->pl, i); /* restored, or none yet */
            }
            rt->src_start = w;
            rt->n_src = n;
        }
        max = &rt->src_max[source];
    }
    /* the stream's start, as the event's own stream (its partition in consume) saw it */
    int64_t *start = max == &rt->max_seen ? &rt->stream_start : &rt->src_start[source];
    if (*start == INT64_MIN) {
        *start = ev->time_ms;
        if (start == &rt->stream_start)
            rt->pl->stream_start_ms = *start; /* read after the run, when it is saved */
        else
            tw_pipeline_set_src_start(rt->pl, source, *start); /* read by checkpoints */
    }
    ev->stream_start_ms = *start;
    bool late = *max != INT64_MIN && ev->time_ms < *max - lateness;
    if (ev->time_ms > *max)
        *max = ev->time_ms;
    return late;
}

static void report_problems(router *rt, const tw_batch *batch)
{
    tw_pipeline *pl = rt->pl;
    if (batch->input != rt->cur_input) {
        rt->cur_input = batch->input;
        rt->cur_input_problems = 0;
        rt->cur_input_had_problem = false;
    }
    const char *path = tw_source_input_name(pl->source, batch->input);
    for (uint32_t i = 0; i < batch->problems.n; i++) {
        const tw_problem *pr = &batch->problems.v[i];
        pl->router.problems++;
        if (!rt->cur_input_had_problem) {
            rt->cur_input_had_problem = true;
            pl->router.inputs_with_problems++;
        }
        rt->cur_input_problems++;
        bool show = pl->conf->verbosity > 0 ||
                    (pl->conf->verbosity == 0 && rt->cur_input_problems <= PROBLEMS_PER_INPUT);
        if (show) {
            tw_log("%s: %s [%s]", strcmp(path, "-") ? path : "(stdin)",
                   pr->text ? pr->text : "(out of memory)", tw_reject_name(pr->reason));
        }
    }
    if (batch->last_of_input && pl->conf->verbosity == 0 &&
        rt->cur_input_problems > PROBLEMS_PER_INPUT)
        tw_log("%s: %llu more problems not shown (-v shows all)",
               strcmp(path, "-") ? path : "(stdin)",
               (unsigned long long)(rt->cur_input_problems - PROBLEMS_PER_INPUT));
}

/* A live stream (consume): a copy of the router's counters (and the grant book's) for --stats
 * on SIGUSR1. */
static void router_publish(tw_pipeline *pl)
{
    if (!(pl->source_flags & TW_SOURCE_ARRIVAL_ORDER))
        return;
    tw_grants_stats gs = { 0 };
    tw_audit_stats as = { 0 };
    if (pl->grants)
        tw_pipeline_grants_stats(pl, &gs);
    if (pl->audit)
        tw_audit_book_get_stats(pl->audit, &as);
    pthread_mutex_lock(&pl->stats_mu);
    pl->router_pub = pl->router;
    pl->grants_pub = gs;
    pl->audit_pub = as;
    pthread_mutex_unlock(&pl->stats_mu);
}

static void chunk_routed(tw_pipeline *pl, uint64_t chunk, uint64_t seq_end)
{
    if (pl->chunk_routed)
        pl->chunk_routed(pl->chunk_routed_ud, chunk, seq_end);
}

static void add_counts(tw_batch_counts *to, const tw_batch_counts *from)
{
    to->records += from->records;
    to->events += from->events;
    to->skipped += from->skipped;
    to->unknown_actions += from->unknown_actions;
    to->bytes += from->bytes;
    for (int i = 0; i < TW_REJ_COUNT_; i++) {
        to->rejected[i] += from->rejected[i];
        to->input_problems[i] += from->input_problems[i];
    }
}

/* consume --state-topic: a restored partition's stream records (keys starting with NUL) into
 * the router's detectors, merged; the workers take the identities. */
static void restore_streams(tw_pipeline *pl, tw_state_op *op)
{
    uint16_t source = tw_source_of_part(op->part);
    tw_wire_reader r = { (const unsigned char *)op->records.p,
                         (const unsigned char *)op->records.p + op->records.len, false };
    tw_ckpt_rec rec;
    while (r.p < r.end && tw_ckpt_get_rec(&r, &rec)) {
        if (!rec.key.len || rec.key.p[0] != '\0')
            continue;
        tw_err err = tw_ckpt_apply_stream(pl, &rec, source);
        if (err == TW_ERR_INVALID)
            atomic_fetch_add(&op->foreign, 1);
        else if (err == TW_ERR_CORRUPT)
            atomic_fetch_add(&op->damaged, 1);
        else if (err)
            atomic_fetch_add(&op->failed, 1);
    }
}

void *tw_router_main(void *arg)
{
    tw_pipeline *pl = arg;
    router rt = { 0 };
    rt.pl = pl;
    rt.cur_input = UINT32_MAX;
    rt.max_routed = INT64_MIN;
    rt.stream_start = pl->stream_start_ms; /* INT64_MIN, or restored */
    rt.max_seen = INT64_MIN;
    bool ok = true;
    rt.cur = calloc((size_t)pl->n_workers, sizeof *rt.cur);
    if (!rt.cur)
        ok = false;
    for (int w = 0; ok && w < pl->n_workers; w++)
        if (!(rt.cur[w] = tw_work_new()))
            ok = false;
    if (ok && pl->n_streams && !(rt.res = tw_result_new()))
        ok = false;
    /* --grants: the inventory's grants count from the first event: wait for them */
    pthread_mutex_lock(&pl->grants_mu);
    while (pl->grants_ready == 0)
        pthread_cond_wait(&pl->grants_cv, &pl->grants_mu);
    if (pl->grants_ready < 0)
        ok = false;
    pthread_mutex_unlock(&pl->grants_mu);
    int64_t lateness = pl->conf->lateness_ms;
    /* a source that says so (consume): applied as they arrive, no reordering */
    bool arrival = (pl->source_flags & TW_SOURCE_ARRIVAL_ORDER) != 0;
    uint64_t flushed_at = 0;
    for (uint64_t s = 0; ok; s++) {
        tw_ring *in = pl->batch_rings[s % (uint64_t)pl->n_parsers];
        void *item = NULL;
        tw_batch *batch;
        if (arrival && tw_ring_try_pop(in, &item) == TW_OK) {
            batch = item;
        } else {
            /* consume, and nothing waiting: hand the workers what is routed (a tick that also
             * carries the watermark to quiet ones), so a quiet stream still yields findings
             * and commits */
            if (arrival && rt.next_seq != flushed_at) {
                if (!(ok = flush_all(&rt, false)))
                    break;
                flushed_at = rt.next_seq;
            }
            router_publish(pl);
            batch = tw_ring_pop(in);
        }
        if (!batch)
            break;
        report_problems(&rt, batch);
        add_counts(&pl->router.ingest, &batch->counts);
        if (batch->last_of_input) {
            pl->router.inputs++;
            atomic_store(&pl->progress_inputs, pl->router.inputs);
        }
        if (batch->checkpoint) {
            /* consume's barrier: every event before it is routed; the stream detectors' state
             * and every worker's shard are saved right here, in their own threads */
            if (pl->n_streams && rt.res)
                rt.res->checkpoint =
                    pl->changelog ? tw_ckpt_stream_records(pl) : tw_ckpt_router(pl);
            for (int w = 0; w < pl->n_workers; w++)
                rt.cur[w]->checkpoint = true;
            ok = flush_all(&rt, false);
            flushed_at = rt.next_seq;
            chunk_routed(pl, batch->seq, rt.next_seq);
            tw_batch_destroy(batch);
            continue;
        }
        if (batch->state_op) {
            /* consume: a partition's restored state or its leaving, after every event routed
             * before it (the work batches it comes in hold them) and before any after */
            tw_state_op *op = batch->state_op;
            if (!op->drop)
                restore_streams(pl, op);
            else
                for (uint32_t i = 0; i < pl->n_streams; i++)
                    if (pl->streams[i].drop_source)
                        pl->streams[i].drop_source(pl->streams[i].self,
                                                   tw_source_of_part(op->part));
            atomic_store(&op->refs, pl->n_workers);
            for (int w = 0; w < pl->n_workers; w++)
                rt.cur[w]->state_op = op;
            ok = flush_all(&rt, false);
            flushed_at = rt.next_seq;
            chunk_routed(pl, batch->seq, rt.next_seq);
            tw_batch_destroy(batch);
            continue;
        }
        if (batch->n == 0) {
            if (arrival)
                chunk_routed(pl, batch->seq, rt.next_seq);
            tw_batch_destroy(batch);
            continue;
        }
        uint64_t chunk = batch->seq; /* the batch may be gone once its events are routed */
        uint32_t n = batch->n;
        atomic_store(&batch->refs, n);
        for (uint32_t i = 0; i < n && ok; i++) {
            tw_event *ev = &batch->ev[i];
            if (is_late(&rt, ev, lateness)) {
                ev->flags |= TW_EV_LATE;
                pl->router.late++;
            }
            if (arrival) {
                /* consume: each event as it came, never sorted. A chunk holds whatever poll
                 * had at hand, so sorting within one would reorder two records of a partition
                 * only when they happen to share a chunk: findings would depend on timing.
                 * In partition order they depend on the partitions' records alone. */
                ok = route(&rt, (held){ ev->time_ms, 0, rt.arrival++, ev, batch });
                continue;
            }
            held h = { ev->time_ms, tw_hash64(ev->event_id.p, ev->event_id.len, 0), rt.arrival++,
                       ev, batch };
            if (!heap_push(&rt, h)) {
                tw_log("out of memory ordering events");
                ok = false;
            }
        }
        if (rt.n > pl->router.max_held)
            pl->router.max_held = rt.n;
        if (ok)
            ok = release(&rt, arrival ? INT64_MAX : rt.max_seen - lateness);
        if (ok && arrival) {
            chunk_routed(pl, chunk, rt.next_seq);
            router_publish(pl);
        }
    }
    if (ok)
        ok = release(&rt, INT64_MAX);
    if (ok)
        ok = flush_all(&rt, true);
    if (!ok) {
        if (!atomic_load(&pl->failed))
            tw_pipeline_abort(pl);
        /* release what is still held */
        while (rt.n) {
            held h = heap_pop(&rt);
            tw_batch_release(h.batch, 1);
        }
        for (int w = 0; rt.cur && w < pl->n_workers; w++)
            tw_work_destroy(rt.cur[w]);
    }
    tw_result_destroy(rt.res);
    if (pl->n_streams)
        tw_ring_close(pl->result_rings[pl->n_workers]);
    free(rt.cur);
    free(rt.heap);
    free(rt.src_max);
    free(rt.src_start);
    return NULL;
}
