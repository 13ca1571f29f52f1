/* app_output: the output stage, on the main thread: findings from every producer (workers,
 * and the router's grant tracker), written in stream order, (seq, detector) then arrival, to
 * every healthy sink; consume's commits and checkpoints at the barriers it sees. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_pipeline.h"
#include "tw_log.h"
#include "tw_time.h"

static int cmp_pending(const void *a, const void *b)
{
    const tw_output_pending *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    if (x->detector != y->detector)
        return x->detector < y->detector ? -1 : 1;
    return x->arrival < y->arrival ? -1 : x->arrival > y->arrival;
}

/* A sink failed: named with the reason; the run stops after the finding being written, which
 * the healthy sinks still get (they hold every finding up to the failure, flushed at the end). */
void tw_output_sink_broke(tw_output_stage *os, size_t s, const char *doing)
{
    const char *why = tw_sink_error(&os->sinks[s]);
    tw_log("output %s: %s failed%s%s; stopping%s", os->sinks[s].spec, doing, *why ? ": " : "", why,
           os->n_sinks > 1 ? " (the other outputs hold every finding up to this one)" : "");
    os->broken[s] = true;
    os->sink_failed = true;
}

/* One finding to every healthy sink. */
static void write_finding(tw_output_stage *os, const char *text, uint32_t len)
{
    if (os->sink_failed)
        return; /* the run is stopping: a later finding would reach only some outputs */
    for (size_t s = 0; s < os->n_sinks; s++) {
        if (os->broken[s])
            continue;
        tw_sink_rc rc;
        do
            rc = tw_sink_write(&os->sinks[s], text, len);
        while (rc == TW_SINK_RETRY);
        if (rc != TW_SINK_OK)
            tw_output_sink_broke(os, s, "write");
    }
    os->written++;
}

static bool keep_result(tw_output_stage *os, int w, tw_result *res)
{
    for (uint32_t i = 0; i < res->n && res->leading; i++)
        write_finding(os, res->text.p + res->found[i].off, res->found[i].len);
    for (uint32_t i = 0; i < res->n && !res->leading; i++) {
        if (os->n == os->cap) {
            size_t cap = os->cap ? os->cap * 2 : 64;
            tw_output_pending *v = realloc(os->v, cap * sizeof *v);
            if (!v)
                return false;
            os->v = v;
            os->cap = cap;
        }
        const tw_found *f = &res->found[i];
        char *text = malloc(f->len);
        if (!text)
            return false;
        memcpy(text, res->text.p + f->off, f->len);
        os->v[os->n++] = (tw_output_pending){ f->seq, os->arrivals++, f->detector, text, f->len };
    }
    os->progress[w] = res->upto_seq;
    if (res->final)
        os->done[w] = true;
    if (res->checkpoint) {
        /* a barrier: once every worker (and the router's grant book) has sent its state, the
         * checkpoint is written with the offsets it covers */
        os->ckpt[w] = res->checkpoint;
        res->checkpoint = NULL;
        if (++os->n_ckpt == os->pl->n_producers) {
            tw_kafka_write_checkpoint(os->pl->kafka, os->ckpt, os->n_ckpt, os->sinks, os->n_sinks);
            for (int i = 0; i < os->n_ckpt; i++) {
                tw_buf_free(os->ckpt[i]);
                free(os->ckpt[i]);
                os->ckpt[i] = NULL;
            }
            os->n_ckpt = 0;
        }
    }
    return true;
}

/* Writes, in (seq, detector) order, every tw_output_pending finding below every worker's progress. */
static void release_findings(tw_output_stage *os, bool all)
{
    uint64_t limit = UINT64_MAX;
    if (!all)
        for (int w = 0; w < os->pl->n_producers; w++)
            if (!os->done[w] && os->progress[w] < limit)
                limit = os->progress[w];
    os->released_upto = limit;
    if (!os->n)
        return;
    qsort(os->v, os->n, sizeof *os->v, cmp_pending);
    size_t k = 0;
    for (; k < os->n && os->v[k].seq < limit; k++) {
        write_finding(os, os->v[k].text, os->v[k].len);
        free(os->v[k].text);
    }
    memmove(os->v, os->v + k, (os->n - k) * sizeof *os->v);
    os->n -= k;
}

static void show_progress(tw_pipeline *pl, double started, bool final)
{
    uint64_t inputs = atomic_load(&pl->progress_inputs);
    uint64_t events = atomic_load(&pl->progress_events);
    double dt = tw_now_s() - started;
    if (final) {
        fputs("\r\033[K", stderr);
        return;
    }
    fprintf(stderr,
            "\r\033[Ktrailwarden: inputs %" PRIu64 "/%zu  events %" PRIu64 "  %.0f events/s",
            inputs, (uint64_t)tw_source_n_inputs(pl->source), events,
            dt > 0 ? (double)events / dt : 0.0);
    fflush(stderr);
}

bool tw_output_run(tw_output_stage *os, double started)
{
    tw_pipeline *pl = os->pl;
    bool progress = pl->conf->verbosity >= 0 && isatty(STDERR_FILENO);
    double next_progress = started + 0.5;
    for (;;) {
        uint64_t seen = tw_notify_count(&pl->out_notify);
        bool got = false, all_done = true;
        for (int w = 0; w < pl->n_producers; w++) {
            void *item;
            tw_err err;
            while ((err = tw_ring_try_pop(pl->result_rings[w], &item)) == TW_OK) {
                got = true;
                bool ok = keep_result(os, w, item);
                tw_result_destroy(item);
                if (!ok) {
                    tw_log("out of memory holding findings");
                    return false;
                }
            }
            if (err == TW_ERR_EOF)
                os->done[w] = true;
            if (!os->done[w])
                all_done = false;
        }
        release_findings(os, all_done);
        if (os->sink_failed)
            return false;
        /* consume: offsets of what is wholly written may be committed (sinks flushed first) */
        if (pl->kafka &&
            !tw_kafka_progress(pl->kafka, os->released_upto, os->sinks, os->n_sinks, all_done)) {
            os->sink_failed = true;
            return false;
        }
        if (tw_stats_requested) {
            tw_stats_requested = 0;
            tw_app_print_stats(pl, tw_now_s() - started, true);
        }
        if (all_done || atomic_load(&pl->failed))
            break;
        if (progress && tw_now_s() >= next_progress) {
            show_progress(pl, started, false);
            next_progress = tw_now_s() + 0.5;
        }
        if (!got) {
            /* consume, and nothing more to write now: what is written goes out at once
             * (durability waits for the next flush) */
            if (pl->kafka && os->written != os->pushed) {
                for (size_t sk = 0; sk < os->n_sinks; sk++)
                    tw_sink_push(&os->sinks[sk]);
                os->pushed = os->written;
            }
            tw_notify_wait(&pl->out_notify, seen, 250);
        }
    }
    if (progress)
        show_progress(pl, started, true);
    return !atomic_load(&pl->failed);
}
