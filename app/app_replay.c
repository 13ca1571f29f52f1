/* app_replay: `trailwarden replay`: builds the pipeline, runs the output stage on the main
 * thread (findings in stream order to every sink), prints --stats, and picks the exit
 * status. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app_checkpoint.h"
#include "app_pipeline.h"
#include "tw_time.h"
#include "app_shipped.h"
#include "ingest_inventory.h"
#include "tw_arena.h"
#include "tw_log.h"

typedef struct pending {
    uint64_t seq;
    uint64_t arrival;     /* ties of seq and detector (one producer's findings of one event,
                           * e.g. many grants passing their deadline at once) keep their order:
                           * qsort is not stable */
    uint32_t detector;
    char *text;
    uint32_t len;
} pending;

typedef struct output_stage {
    tw_pipeline *pl;
    tw_sink *sinks;
    bool *broken;           /* the sink failed: nothing more goes to it */
    size_t n_sinks;
    pending *v;
    size_t n, cap;
    uint64_t arrivals;      /* findings kept so far: their arrival order */
    uint64_t *progress;
    bool *done;
    uint64_t written;
    uint64_t pushed;        /* consume: written when the sinks were last pushed */
    bool sink_failed;
    uint64_t released_upto; /* every finding below this seq is written */
    tw_buf **ckpt;          /* consume --state-dir: each producer's saved state, at a barrier */
    int n_ckpt;
} output_stage;

static void print_stats(tw_pipeline *pl, double wall, bool live);

static int cmp_pending(const void *a, const void *b)
{
    const pending *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    if (x->detector != y->detector)
        return x->detector < y->detector ? -1 : 1;
    return x->arrival < y->arrival ? -1 : x->arrival > y->arrival;
}

/* A sink failed: named with the reason; the run stops after the finding being written, which
 * the healthy sinks still get (they hold every finding up to the failure, flushed at the end). */
static void sink_broke(output_stage *os, size_t s, const char *doing)
{
    const char *why = tw_sink_error(&os->sinks[s]);
    tw_log("output %s: %s failed%s%s; stopping%s", os->sinks[s].spec,
            doing, *why ? ": " : "", why,
            os->n_sinks > 1 ? " (the other outputs hold every finding up to this one)" : "");
    os->broken[s] = true;
    os->sink_failed = true;
}

/* One finding to every healthy sink. */
static void write_finding(output_stage *os, const char *text, uint32_t len)
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
            sink_broke(os, s, "write");
    }
    os->written++;
}

static bool keep_result(output_stage *os, int w, tw_result *res)
{
    for (uint32_t i = 0; i < res->n && res->leading; i++)
        write_finding(os, res->text.p + res->found[i].off, res->found[i].len);
    for (uint32_t i = 0; i < res->n && !res->leading; i++) {
        if (os->n == os->cap) {
            size_t cap = os->cap ? os->cap * 2 : 64;
            pending *v = realloc(os->v, cap * sizeof *v);
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
        os->v[os->n++] = (pending){ f->seq, os->arrivals++, f->detector, text, f->len };
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
            tw_kafka_write_checkpoint(os->pl->kafka, os->ckpt, os->n_ckpt);
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

/* Writes, in (seq, detector) order, every pending finding below every worker's progress. */
static void release_findings(output_stage *os, bool all)
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
    fprintf(stderr, "\r\033[Ktrailwarden: inputs %" PRIu64 "/%zu  events %" PRIu64 "  %.0f events/s",
            inputs, pl->inputs.n, events, dt > 0 ? (double)events / dt : 0.0);
    fflush(stderr);
}

static bool run_output(output_stage *os, double started)
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
        if (pl->kafka && !tw_kafka_progress(pl->kafka, os->released_upto, os->sinks, os->n_sinks,
                                            all_done)) {
            os->sink_failed = true;
            return false;
        }
        if (tw_stats_requested) {
            tw_stats_requested = 0;
            print_stats(pl, tw_now_s() - started, true);
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

/* unused-privileged-grant: the tracker's own finding (DESIGN §5). */
static const tw_rule_meta unused_grant_meta = {
    .id = "unused-privileged-grant",
    .title = "Privileged grant not used",
    .description = "A privileged grant to an identity (permissions management, model training, "
                   "logging control, guardrails, credentials, iam:PassRole) was not used within "
                   "--unused-after of event time: a standing privilege nobody needs, and what an "
                   "attacker holding the identity would use first.",
    .type = "grant",
    .severity = TW_SEV_MEDIUM,
    .types = (const char *const[]){ "Excessive Permissions", NULL },
};

/* Grants are tracked with the shipped detections (or with --grants): the privileged actions,
 * the AWS managed policies and the tracker; the inventory's grants come in load_inventory. */
static int setup_grants(tw_pipeline *pl, const tw_app_conf *conf)
{
    char errstr[512];
    if (conf->no_default_rules && !conf->grants_path)
        return TW_EXIT_OK;
    if (tw_privtab_new(pl->catalog, &pl->privtab) != TW_OK ||
        tw_managed_new(&pl->managed, errstr, sizeof errstr) != TW_OK) {
        tw_log("cannot load the privileged actions or AWS managed policies");
        return TW_EXIT_USAGE;
    }
    tw_grants_conf gc = {
        .privtab = pl->privtab,
        .catalog = pl->catalog,
        .managed = pl->managed,
        .unused_after_ms = conf->unused_after_ms,
        .unused_meta = &unused_grant_meta,
        .unused_detector = TW_RULES_MAX,
        .dormant_detector = TW_RULES_MAX + 1,
    };
    for (uint32_t i = 0; pl->rules && i < pl->rules->n_rules; i++)
        if (!strcmp(pl->rules->meta[i].id, "dormant-privilege-used"))
            gc.dormant_meta = &pl->rules->meta[i];
    if (!(pl->grants = tw_grants_new(&gc))) {
        tw_log("out of memory");
        return TW_EXIT_USAGE;
    }
    return TW_EXIT_OK;
}

/* The reader of the rules' policy.* fields, when a rule reads one: the privileged actions and
 * the AWS managed policies (grant tracking's, or loaded for it). */
static int setup_policy_reader(tw_pipeline *pl)
{
    bool reads = false;
    for (size_t i = 0; pl->rules && i < tw_ruleset_field_count(pl->rules->rs); i++)
        reads |= tw_field_is_policy(tw_ruleset_field(pl->rules->rs, i)->kind);
    if (!reads)
        return TW_EXIT_OK;
    char errstr[512];
    if ((!pl->privtab && tw_privtab_new(pl->catalog, &pl->privtab) != TW_OK) ||
        (!pl->managed && tw_managed_new(&pl->managed, errstr, sizeof errstr) != TW_OK) ||
        !(pl->policy_reader = tw_policy_reader_new(pl->privtab, pl->managed))) {
        tw_log("cannot load the privileged actions or AWS managed policies");
        return TW_EXIT_USAGE;
    }
    return TW_EXIT_OK;
}

/* A grant of a managed policy the tracker cannot expand yet: "Policies" may define it further
 * on in the file (kept to the end: a few strings). */
typedef struct inv_held {
    tw_str identity, source, arn;
} inv_held;

/* load_inventory's sink: each grant and policy into the tracker as the file is read. */
typedef struct inv_load {
    tw_pipeline *pl;
    const tw_app_conf *conf;
    tw_json *js;
    uint64_t *sets;     /* allowed, conditional, denied: words each */
    uint32_t words;
    tw_arena strings;   /* held grants' strings, failed policies' ARNs and messages */
    inv_held *held;
    size_t n_held, cap_held;
    inv_held *failed;   /* policies of the file that did not expand: arn, and why (source) */
    size_t n_failed, cap_failed;
    char errstr[512];
} inv_load;

static tw_err inv_keep(inv_load *il, inv_held **v, size_t *n, size_t *cap, tw_str a, tw_str b,
                       tw_str c)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        inv_held *nv = realloc(*v, ncap * sizeof *nv);
        if (!nv)
            return TW_ERR_NOMEM;
        *v = nv;
        *cap = ncap;
    }
    int failed = 0;
    inv_held h = { tw_arena_dup(&il->strings, a, &failed), tw_arena_dup(&il->strings, b, &failed),
                   tw_arena_dup(&il->strings, c, &failed) };
    if (failed)
        return TW_ERR_NOMEM;
    (*v)[(*n)++] = h;
    return TW_OK;
}

static const inv_held *inv_failed(const inv_load *il, tw_str arn)
{
    for (size_t i = 0; i < il->n_failed; i++)
        if (tw_str_eq(il->failed[i].arn, arn))
            return &il->failed[i];
    return NULL;
}

/* A document's privileged actions into il->sets; errstr says why not. */
static tw_err inv_expand(inv_load *il, const tw_jnode *doc)
{
    memset(il->sets, 0, 3 * (size_t)il->words * sizeof *il->sets);
    if (!doc) {
        snprintf(il->errstr, sizeof il->errstr, "no policy document");
        return TW_ERR_PARSE;
    }
    tw_policy_grant pg = { il->sets, il->sets + il->words, il->sets + 2 * il->words };
    return tw_policy_expand_node(il->pl->privtab, il->js, doc, &pg, il->errstr, sizeof il->errstr);
}

static void inv_unparseable(inv_load *il, tw_str source, const char *why)
{
    tw_grants_note_unparseable(il->pl->grants);
    if (il->conf->verbosity > 0)
        tw_log("--grants %s: %.*s: %s", il->conf->grants_path,
                (int)source.len, source.p, why);
}

/* Why a document over the bound is not read, into il->errstr. */
static void inv_too_large(inv_load *il, uint64_t size)
{
    snprintf(il->errstr, sizeof il->errstr,
             "a policy document of %" PRIu64 " bytes, over the %zu-byte bound (AWS allows "
             "10,240 characters at most): not read",
             size, TW_INV_DOC_MAX);
}

/* A managed policy the file defines: expanded once, however many identities hold it. The
 * first listed wins, and AWS's own over the file's copy. */
static tw_err inv_on_policy(void *ud, tw_str arn, const tw_jnode *doc, uint64_t refused)
{
    inv_load *il = ud;
    if (tw_grants_knows_policy(il->pl->grants, arn) || inv_failed(il, arn))
        return TW_OK;
    if (refused) {
        inv_too_large(il, refused);
        return inv_keep(il, &il->failed, &il->n_failed, &il->cap_failed, TW_STR_NULL,
                        tw_str_c(il->errstr), arn);
    }
    tw_err err = doc ? inv_expand(il, doc) : TW_ERR_PARSE;
    if (err == TW_OK)
        return tw_grants_define_policy(il->pl->grants, arn,
                                       &(tw_policy_grant){ il->sets, il->sets + il->words,
                                                           il->sets + 2 * il->words });
    if (err == TW_ERR_NOMEM)
        return err;
    /* said for each grant of it, at the end */
    tw_str why = doc ? tw_str_c(il->errstr) : tw_str_c("a managed policy unknown to this build");
    return inv_keep(il, &il->failed, &il->n_failed, &il->cap_failed, TW_STR_NULL, why, arn);
}

static tw_err inv_on_grant(void *ud, const tw_inv_grant *g)
{
    inv_load *il = ud;
    if (g->policy_arn.len && tw_grants_knows_policy(il->pl->grants, g->policy_arn))
        return tw_grants_add_inventory(il->pl->grants, g->identity, g->source, NULL,
                                       g->policy_arn);
    if (g->policy_arn.len)
        return inv_keep(il, &il->held, &il->n_held, &il->cap_held, g->identity, g->source,
                        g->policy_arn);
    if (g->document_refused) {
        inv_too_large(il, g->document_refused);
        inv_unparseable(il, g->source, il->errstr);
        return TW_OK;
    }
    tw_err err = inv_expand(il, g->document);
    if (err == TW_OK)
        return tw_grants_add_inventory(il->pl->grants, g->identity, g->source,
                                       &(tw_policy_grant){ il->sets, il->sets + il->words,
                                                           il->sets + 2 * il->words },
                                       TW_STR_NULL);
    if (err != TW_ERR_NOMEM) {
        inv_unparseable(il, g->source, il->errstr);
        err = TW_OK;
    }
    return err;
}

/* The held grants, the whole file read: a policy neither AWS managed nor defined by the file
 * holds nothing (counted as unparseable, as a document that does not parse). */
static tw_err inv_release_held(inv_load *il)
{
    for (size_t i = 0; i < il->n_held; i++) {
        const inv_held *h = &il->held[i];
        if (tw_grants_knows_policy(il->pl->grants, h->arn)) {
            tw_err err = tw_grants_add_inventory(il->pl->grants, h->identity, h->source, NULL,
                                                 h->arn);
            if (err)
                return err;
            continue;
        }
        const inv_held *f = inv_failed(il, h->arn);
        char why[512];
        snprintf(why, sizeof why, "%.*s", f ? (int)f->source.len : 0, f ? f->source.p : "");
        inv_unparseable(il, h->source, f ? why : "a managed policy unknown to this build");
    }
    return TW_OK;
}

/* --grants: the inventory's grants into the tracker, read as a stream (no tree of the file).
 * It runs on the main thread while the reader and parsers start (the router waits for it
 * before its first event, so the grants count from the first event all the same). Exit 2 on a
 * bad inventory: nothing is routed (what was added before the error is never used). */
static int load_inventory(tw_pipeline *pl, const tw_app_conf *conf)
{
    char errstr[512];
    if (!conf->grants_path || !pl->grants || tw_grants_restored(pl->grants))
        return TW_EXIT_OK; /* a checkpoint's book holds them already */
    inv_load il = { .pl = pl, .conf = conf, .js = tw_json_new() };
    il.words = tw_privtab_words(pl->privtab) ? tw_privtab_words(pl->privtab) : 1;
    il.sets = calloc(3 * (size_t)il.words, sizeof *il.sets);
    tw_arena_init(&il.strings, 64 * 1024);
    tw_inv_sink sink = { .ud = &il, .grant = inv_on_grant, .policy = inv_on_policy };
    tw_err err = il.js && il.sets ? tw_inventory_stream(conf->grants_path, &sink, NULL, errstr,
                                                        sizeof errstr)
                                  : TW_ERR_NOMEM;
    if (err == TW_OK)
        err = inv_release_held(&il);
    if (err == TW_ERR_NOMEM)
        tw_log("out of memory reading --grants %s", conf->grants_path);
    else if (err != TW_OK)
        tw_log("--grants %s; nothing read", errstr);
    free(il.sets);
    free(il.held);
    free(il.failed);
    tw_arena_free(&il.strings);
    tw_json_destroy(il.js);
    malloc_trim(0); /* the reading's buffers are gone: give their pages back */
    return err == TW_OK ? TW_EXIT_OK : TW_EXIT_USAGE;
}

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        tw_stats_requested = 1;
    else
        tw_stop_requested = 1;
}

/* The grant tracker's findings of one kind less those --exceptions kept from the output (the
 * router's; while consume runs the two are read at different moments, hence the floor). */
static uint64_t grant_written(const tw_pipeline *pl, uint64_t raised, const char *rule_id)
{
    uint64_t suppressed = tw_exceptions_suppressed(pl->exceptions, pl->n_workers, rule_id);
    return raised > suppressed ? raised - suppressed : 0;
}

/* live: the stages are running (consume's SIGUSR1): the copies they publish, not their
 * counters; else the run is over and its threads joined. */
static void print_stats(tw_pipeline *pl, double wall, bool live)
{
    const tw_router_stats *r = &pl->router;
    tw_router_stats r_copy;
    tw_grants_stats g_copy = { 0 };
    tw_audit_stats a_copy = { 0 };
    tw_worker_stats *w_copy = NULL;
    if (live) {
        w_copy = malloc((size_t)pl->n_workers * sizeof *w_copy);
        if (!w_copy) {
            tw_log("out of memory for --stats");
            return;
        }
        pthread_mutex_lock(&pl->stats_mu);
        r_copy = pl->router_pub;
        g_copy = pl->grants_pub;
        a_copy = pl->audit_pub;
        for (int w = 0; w < pl->n_workers; w++)
            w_copy[w] = pl->workers[w].pub;
        pthread_mutex_unlock(&pl->stats_mu);
        r = &r_copy;
    }
#define WSTATS(w) (live ? &w_copy[w] : &pl->workers[w].stats)
    const tw_batch_counts *c = &r->ingest;
    FILE *o = stderr;
    uint64_t rejected = 0;
    for (int i = 0; i < TW_REJ_COUNT_; i++)
        rejected += c->rejected[i];
    tw_state_stats st = { 0 };
    uint64_t failures = 0, group_events = 0, split_identities = 0;
    size_t record_size = 0;
    for (int w = 0; w < pl->n_workers; w++) {
        const tw_worker_stats *ws = WSTATS(w);
        st.live += ws->state.live;
        st.peak_live += ws->state.peak_live;
        st.created += ws->state.created;
        st.expired += ws->state.expired;
        st.evicted += ws->state.evicted;
        st.reset_idle += ws->state.reset_idle;
        st.bytes += ws->state.bytes;
        failures += ws->state_failures;
        group_events += ws->group_events;
        split_identities += ws->split_identities;
        record_size = ws->record_size;
    }
    fprintf(o, "trailwarden stats\n");
    fprintf(o, "  ingest.inputs                %" PRIu64 "\n", r->inputs);
    fprintf(o, "  ingest.inputs_with_problems  %" PRIu64 "\n", r->inputs_with_problems);
    fprintf(o, "  ingest.bytes                 %" PRIu64 "\n", c->bytes);
    fprintf(o, "  ingest.records               %" PRIu64 "\n", c->records);
    fprintf(o, "  ingest.events                %" PRIu64 "\n", c->events);
    fprintf(o, "  ingest.skipped               %" PRIu64 "\n", c->skipped);
    fprintf(o, "  ingest.rejected              %" PRIu64 "\n", rejected);
    for (int i = 0; i < TW_REJ_COUNT_; i++)
        if (c->rejected[i])
            fprintf(o, "  ingest.rejected.%-12s %" PRIu64 "\n", tw_reject_name((tw_reject)i),
                    c->rejected[i]);
    for (int i = 0; i < TW_REJ_COUNT_; i++)
        if (c->input_problems[i])
            fprintf(o, "  ingest.input_problems.%-6s %" PRIu64 "\n", tw_reject_name((tw_reject)i),
                    c->input_problems[i]);
    fprintf(o, "  ingest.late                  %" PRIu64 "\n", r->late);
    fprintf(o, "  ingest.reorder_peak          %" PRIu64 "\n", r->max_held);
    fprintf(o, "  catalog.unknown_actions      %" PRIu64 "\n", c->unknown_actions);
    fprintf(o, "  state.identities.live        %" PRIu64 "\n", st.live);
    fprintf(o, "  state.identities.peak        %" PRIu64 "\n", st.peak_live);
    fprintf(o, "  state.identities.created     %" PRIu64 "\n", st.created);
    fprintf(o, "  state.expired                %" PRIu64 "\n", st.expired);
    fprintf(o, "  state.evicted                %" PRIu64 "\n", st.evicted);
    fprintf(o, "  state.restarted_after_idle   %" PRIu64 "\n", st.reset_idle);
    if (failures)
        fprintf(o, "  state.store_failures         %" PRIu64 "\n", failures);
    if (pl->rules && pl->rules->n_shared_run) /* their records count as identities above */
        fprintf(o, "  state.group_events           %" PRIu64 "\n", group_events);
    fprintf(o, "  state.bytes                  %" PRIu64 "\n", st.bytes);
    fprintf(o, "  state.record_bytes           %zu\n", record_size);
    for (uint32_t d = 0; d < tw_engine_count(pl->engine); d++) {
        const tw_detector *det = tw_engine_detector(pl->engine, d);
        if (det->ops == &tw_detect_rules) {
            /* one line a detection rule, its findings counted under index d + rule */
            for (uint32_t ri = 0; ri < pl->rules->n_rules; ri++) {
                const tw_rule *rule = tw_ruleset_rule(pl->rules->rs, ri);
                if (!tw_rules_raises(pl->rules, ri))
                    continue;
                uint64_t n = 0;
                for (int w = 0; w < pl->n_workers; w++)
                    n += WSTATS(w)->findings[d + ri];
                fprintf(o, "  findings.%-28s %" PRIu64 "\n", rule->id, n);
            }
            continue;
        }
        uint64_t n = 0;
        for (int w = 0; w < pl->n_workers; w++)
            n += WSTATS(w)->findings[d];
        fprintf(o, "  findings.%-28s %" PRIu64 "\n", det->ops->meta->id, n);
    }
    if (pl->rules) {
        /* drift held back while an identity's past was unknown (or its history short) */
        uint64_t held = 0;
        for (uint32_t ri = 0; ri < pl->rules->n_rules; ri++)
            for (int w = 0; w < pl->n_workers; w++)
                held += WSTATS(w)->held_learning[pl->rules_detector + ri];
        fprintf(o, "  suppressed.learning          %" PRIu64 "\n", held);
        for (uint32_t ri = 0; held && ri < pl->rules->n_rules; ri++) {
            uint64_t n = 0;
            for (int w = 0; w < pl->n_workers; w++)
                n += WSTATS(w)->held_learning[pl->rules_detector + ri];
            if (n)
                fprintf(o, "  suppressed.learning.%-17s %" PRIu64 "\n",
                        tw_ruleset_rule(pl->rules->rs, ri)->id, n);
        }
        /* matching events suppression periods held back: they update their findings */
        uint64_t rep = 0, upd = 0;
        for (int w = 0; w < pl->n_workers; w++)
            upd += WSTATS(w)->updates;
        for (uint32_t ri = 0; ri < pl->rules->n_rules; ri++)
            for (int w = 0; w < pl->n_workers; w++)
                rep += WSTATS(w)->held_repeats[pl->rules_detector + ri];
        fprintf(o, "  suppressed.repeats           %" PRIu64 "\n", rep);
        for (uint32_t ri = 0; rep && ri < pl->rules->n_rules; ri++) {
            uint64_t n = 0;
            for (int w = 0; w < pl->n_workers; w++)
                n += WSTATS(w)->held_repeats[pl->rules_detector + ri];
            if (n)
                fprintf(o, "  suppressed.repeats.%-18s %" PRIu64 "\n",
                        tw_ruleset_rule(pl->rules->rs, ri)->id, n);
        }
        fprintf(o, "  findings.updates             %" PRIu64 "\n", upd);
        if (pl->conf->report_from_ms != INT64_MIN)
            fprintf(o, "  suppressed.report_from       %" PRIu64 "\n",
                    (uint64_t)atomic_load(&pl->before_report));
        /* regular expressions cut by PCRE2's limits: the total, and each rule that had any */
        uint64_t total = 0;
        for (uint32_t ri = 0; ri < pl->rules->n_rules; ri++)
            total += atomic_load_explicit(&pl->rules->match_limit[ri], memory_order_relaxed);
        fprintf(o, "  rules.match_limit            %" PRIu64 "\n", total);
        for (uint32_t ri = 0; total && ri < pl->rules->n_rules; ri++) {
            uint64_t n = atomic_load_explicit(&pl->rules->match_limit[ri], memory_order_relaxed);
            if (n)
                fprintf(o, "  rules.match_limit.%-19s %" PRIu64 "\n",
                        tw_ruleset_rule(pl->rules->rs, ri)->id, n);
        }
    }
    if (pl->grants) {
        tw_grants_stats gs = g_copy;
        if (!live)
            tw_grants_get_stats(pl->grants, &gs);
        fprintf(o, "  grants.from_stream           %" PRIu64 "\n", gs.grants_stream);
        fprintf(o, "  grants.from_inventory        %" PRIu64 "\n", gs.grants_inventory);
        fprintf(o, "  grants.revoked               %" PRIu64 "\n", gs.revoked);
        fprintf(o, "  grants.unparseable           %" PRIu64 "\n", gs.unparseable);
        fprintf(o, "  grants.unknown_policy        %" PRIu64 "\n", gs.unresolved);
        fprintf(o, "  grants.identities            %" PRIu64 "\n", gs.principals);
        fprintf(o, "  grants.privileged_uses       %" PRIu64 "\n", gs.uses);
        /* the tracker counts what it raises: written ones, as the rules' (an exception's
         * are counted below, under suppressed.exception) */
        fprintf(o, "  findings.%-28s %" PRIu64 "\n", "unused-privileged-grant",
                grant_written(pl, gs.findings_unused, "unused-privileged-grant"));
        fprintf(o, "  findings.%-28s %" PRIu64 "\n", "dormant-privilege-used(grant)",
                grant_written(pl, gs.findings_dormant, "dormant-privilege-used"));
        fprintf(o, "  findings.%-28s %" PRIu64 "\n", "training-telemetry-granted",
                grant_written(pl, gs.findings_training_telemetry, "training-telemetry-granted"));
    }
    if (pl->exceptions)
        tw_exceptions_print_stats(pl->exceptions, o);
    if (pl->audit) {
        tw_audit_stats as = a_copy;
        if (!live)
            tw_audit_book_get_stats(pl->audit, &as);
        fprintf(o, "  audit.destinations           %" PRIu64 "\n", as.destinations);
        fprintf(o, "  audit.deletions              %" PRIu64 "\n", as.deletions);
    }
    if (pl->kafka) {
        fprintf(o, "  kafka.split_identities       %" PRIu64 "\n", split_identities);
        tw_kafka_print_stats(pl->kafka, o);
    }
    fprintf(o, "  threads.parsers              %d\n", pl->n_parsers);
    fprintf(o, "  threads.workers              %d\n", pl->n_workers);
    fprintf(o, "  wall_seconds                 %.3f\n", wall);
    fprintf(o, "  events_per_second            %.0f\n", wall > 0 ? (double)c->events / wall : 0.0);
    fprintf(o, "  mb_per_second                %.1f\n",
            wall > 0 ? (double)c->bytes / wall / 1e6 : 0.0);
#undef WSTATS
    free(w_copy);
}

/* consume --state-dir: made if missing, and it must be a directory this process can create
 * files in (checkpoint.tmp, then renamed), checked before the consumer exists: an unusable
 * directory is a usage error at start, not a warning at every checkpoint after joining the
 * group. The probe is the checkpoint's own temp file, which is never read (a leftover of a
 * crash mid-write is garbage anyway). */
/* replay --state-dir: the state a previous run saved, before any thread starts. */
static tw_err restore_replay(tw_pipeline *pl, const tw_app_conf *conf, char *errstr,
                             size_t errstr_size)
{
    tw_ckpt_read got;
    uint64_t fp = pl->rules ? tw_rules_fingerprint(pl->rules) : 0;
    tw_err err = tw_ckpt_restore(conf->state_dir, pl, fp, NULL, NULL, &got, errstr, errstr_size);
    if (err)
        return err;
    if (got.foreign)
        tw_log("--state-dir %s/checkpoint: written with other rules or "
                        "another build; its state is not restored (this run's replaces it)",
                conf->state_dir);
    if (got.restored)
        pl->stream_start_ms = got.stream_start_ms;
    return TW_OK;
}

/* replay --state-dir: the state at the end, for the next run (the threads are done). */
static bool save_replay(tw_pipeline *pl, const tw_app_conf *conf)
{
    tw_buf **shards = calloc((size_t)pl->n_workers, sizeof *shards);
    tw_buf *router = pl->grants || pl->audit ? tw_ckpt_router(pl) : NULL;
    bool ok = shards && (router || (!pl->grants && !pl->audit));
    for (int w = 0; ok && w < pl->n_workers; w++)
        ok = (shards[w] = tw_ckpt_shard(pl->engine, pl->workers[w].state)) != NULL;
    char errstr[512];
    uint64_t fp = pl->rules ? tw_rules_fingerprint(pl->rules) : 0;
    tw_err err = ok ? tw_ckpt_write(conf->state_dir, fp, pl->stream_start_ms, NULL, 0, router,
                                    shards, (uint32_t)pl->n_workers, errstr, sizeof errstr)
                    : TW_ERR_NOMEM;
    if (err == TW_ERR_NOMEM)
        tw_log("--state-dir %s: out of memory saving the state",
                conf->state_dir);
    else if (err)
        tw_log("%s", errstr);
    for (int w = 0; shards && w < pl->n_workers; w++) {
        if (shards[w])
            tw_buf_free(shards[w]);
        free(shards[w]);
    }
    free(shards);
    if (router)
        tw_buf_free(router);
    free(router);
    return err == TW_OK;
}

static bool state_dir_usable(const char *dir, char *errstr, size_t errstr_size)
{
    struct stat st;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(errstr, errstr_size, "--state-dir %s: %s", dir, strerror(errno));
        return false;
    }
    if (stat(dir, &st) != 0) {
        snprintf(errstr, errstr_size, "--state-dir %s: %s", dir, strerror(errno));
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(errstr, errstr_size, "--state-dir %s: not a directory", dir);
        return false;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/checkpoint.tmp", dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "--state-dir %s: cannot write in it: %s", dir,
                 strerror(errno));
        return false;
    }
    close(fd);
    unlink(tmp);
    return true;
}

static void destroy_chunk(void *p) { tw_chunk_destroy(p); }
static void destroy_batch(void *p) { tw_batch_destroy(p); }
static void destroy_work(void *p) { tw_work_destroy(p); }
static void destroy_result(void *p) { tw_result_destroy(p); }

static tw_ring **rings_new(int n, size_t cap, tw_notify *nt)
{
    tw_ring **v = calloc((size_t)n, sizeof *v);
    if (!v)
        return NULL;
    for (int i = 0; i < n; i++)
        if (!(v[i] = tw_ring_new(cap, nt)))
            return v; /* caller checks each */
    return v;
}

static void rings_free(tw_ring **v, int n, void (*destroy)(void *))
{
    if (!v)
        return;
    for (int i = 0; i < n; i++) {
        tw_ring_drain(v[i], destroy);
        tw_ring_destroy(v[i]);
    }
    free(v);
}

static bool rings_ok(tw_ring **v, int n)
{
    if (!v)
        return false;
    for (int i = 0; i < n; i++)
        if (!v[i])
            return false;
    return true;
}

int tw_app_replay(const tw_app_conf *conf)
{
    int rc = TW_EXIT_USAGE;
    double started = tw_now_s();
    char errstr[256];
    tw_pipeline pl;
    memset(&pl, 0, sizeof pl);
    pl.conf = conf;
    pl.n_parsers = conf->threads;
    pl.n_workers = conf->threads;
    pl.encode.format = conf->format;
    tw_notify_init(&pl.out_notify);
    pthread_mutex_init(&pl.grants_mu, NULL);
    pthread_mutex_init(&pl.stats_mu, NULL);
    pthread_mutex_init(&pl.src_start_mu, NULL);
    pthread_cond_init(&pl.grants_cv, NULL);
    pl.grants_ready = conf->grants_path ? 0 : 1;
    pl.stream_start_ms = INT64_MIN;
    output_stage os = { 0 };
    os.pl = &pl;
    pthread_t reader, router, *parsers = NULL, *workers = NULL;
    tw_parser_arg *pargs = NULL;
    int started_parsers = 0, started_workers = 0;
    bool reader_started = false, router_started = false, inventory_failed = false;

    /* first: a SIGTERM while the rules load or the group is joined stops the run cleanly,
     * and a SIGUSR1 then (a supervisor asking for --stats) must not kill it */
    if (conf->consume)
        tw_app_catch_signals(on_signal);

    /* configuration: everything that can fail before any input is read (exit 2) */
    size_t n_out = conf->n_outputs ? conf->n_outputs : 1;
    os.sinks = calloc(n_out, sizeof *os.sinks);
    os.broken = calloc(n_out, sizeof *os.broken);
    if (!os.sinks || !os.broken)
        goto out;
    for (size_t i = 0; i < n_out; i++) {
        const char *spec = conf->n_outputs ? conf->outputs[i] : "stdout";
        /* consume's kafka: outputs write to the brokers it reads, with its -X */
        const tw_sink_env env = { conf->brokers, conf->kafka_props, conf->n_kafka_props };
        if (tw_sink_open_env(spec, conf->consume ? &env : NULL, &os.sinks[i], errstr,
                             sizeof errstr) != TW_OK) {
            tw_log("output %s: %s", spec, errstr);
            goto out;
        }
        os.n_sinks++;
    }
    if (tw_catalog_new(&pl.catalog, errstr, sizeof errstr) != TW_OK) {
        tw_log("action catalog: %s", errstr);
        goto out;
    }
    pl.norm.catalog = pl.catalog;
    pl.norm.agent_patterns = conf->agent_patterns;
    pl.norm.n_agent_patterns = conf->n_agent_patterns;
    pl.norm.audit = &conf->audit;
    if (!(pl.audit = tw_audit_book_new())) {
        tw_log("out of memory");
        goto out;
    }
    {
        tw_ruleset *rs = NULL;
        tw_err err = tw_app_load_rules(!conf->no_default_rules, conf->rules, conf->n_rules, &rs);
        if (err == TW_OK && tw_ruleset_count(rs) > TW_RULES_MAX) {
            tw_log("more than %d rules", TW_RULES_MAX);
            tw_ruleset_destroy(rs);
            goto out;
        }
        if (err != TW_OK) {
            for (size_t i = 0; rs && i < tw_ruleset_diag_count(rs); i++)
                fprintf(stderr, "%s\n", tw_ruleset_diag(rs, i));
            tw_log("%s; nothing read",
                    err == TW_ERR_NOMEM ? "out of memory loading rules" : "broken rules");
            tw_ruleset_destroy(rs);
            goto out;
        }
        if (tw_rules_rt_new(rs, pl.catalog, &pl.rules) != TW_OK) {
            tw_log("out of memory loading rules; nothing read");
            goto out;
        }
        uint32_t runs = pl.rules->n_corr_run + pl.rules->n_shared_run;
        if (pl.rules->n_correlations > runs)
            tw_log("%u correlation rules loaded and checked, but not evaluated "
                    "(replay counts with a lower bound, gt or gte, of at most 128; across "
                    "identities, a correlation names detection rules only, and is no "
                    "baseline_then_trigger or quiet_then_trigger)",
                    pl.rules->n_correlations - runs);
    }
    if ((rc = setup_grants(&pl, conf)) != TW_EXIT_OK)
        goto out;
    if ((rc = setup_policy_reader(&pl)) != TW_EXIT_OK)
        goto out;
    rc = TW_EXIT_USAGE;
    if (conf->exceptions_path &&
        !(pl.exceptions = tw_app_load_exceptions(conf->exceptions_path, pl.rules->rs,
                                                 (uint32_t)pl.n_workers + 1, conf->verbosity))) {
        tw_log("broken --exceptions %s; nothing read",
                conf->exceptions_path);
        goto out;
    }
    pl.engine = tw_engine_new();
    pl.rules_detector = 0; /* the engine's only detector */
    if (!pl.engine || tw_engine_add(pl.engine, &tw_detect_rules, pl.rules) ||
        tw_engine_compile(pl.engine)) {
        tw_log("cannot build the detection engine");
        goto out;
    }
    /* the engine's detectors, the rules' findings counted from rules_detector on */
    pl.stats_slots = tw_engine_count(pl.engine) + (pl.rules ? pl.rules->n_rules : 0);
    if (pl.stats_slots > TW_MAX_DETECTORS)
        pl.stats_slots = TW_MAX_DETECTORS;
    if (conf->consume) {
        /* one input, the topics: problems are named "kafka" and the message number */
        static char kafka_name[] = "kafka";
        static char *kafka_paths[] = { kafka_name };
        pl.inputs.paths = kafka_paths;
        pl.inputs.n = 1;
        pl.encode.processed_time = true; /* each finding carries its detection time */
        if (conf->state_dir && !state_dir_usable(conf->state_dir, errstr, sizeof errstr)) {
            tw_log("%s; nothing read", errstr);
            goto out;
        }
        if (tw_kafka_new(&pl, conf, &pl.kafka, errstr, sizeof errstr) != TW_OK) {
            tw_log("%s", errstr);
            goto out;
        }
    } else if (tw_inputs_collect(conf->paths, conf->n_paths, conf->verbosity, &pl.inputs, errstr,
                                 sizeof errstr)) {
        tw_log("%s", errstr);
        goto out;
    } else if (conf->state_dir && !state_dir_usable(conf->state_dir, errstr, sizeof errstr)) {
        tw_log("%s; nothing read", errstr);
        goto out;
    }

    rc = TW_EXIT_INPUT;
    pl.chunk_rings = rings_new(pl.n_parsers, 4, NULL);
    pl.batch_rings = rings_new(pl.n_parsers, 4, NULL);
    pl.work_rings = rings_new(pl.n_workers, 8, NULL);
    pl.spare_rings = rings_new(pl.n_workers, 8 + 4, NULL);
    pl.n_producers = pl.n_workers + (pl.grants ? 1 : 0);
    pl.result_rings = rings_new(pl.n_producers, 64, &pl.out_notify);
    pl.workers = calloc((size_t)pl.n_workers, sizeof *pl.workers);
    parsers = calloc((size_t)pl.n_parsers, sizeof *parsers);
    workers = calloc((size_t)pl.n_workers, sizeof *workers);
    pargs = calloc((size_t)pl.n_parsers, sizeof *pargs);
    os.progress = calloc((size_t)pl.n_producers, sizeof *os.progress);
    os.ckpt = calloc((size_t)pl.n_producers, sizeof *os.ckpt);
    os.done = calloc((size_t)pl.n_producers, sizeof *os.done);
    if (!rings_ok(pl.chunk_rings, pl.n_parsers) || !rings_ok(pl.batch_rings, pl.n_parsers) ||
        !rings_ok(pl.work_rings, pl.n_workers) || !rings_ok(pl.spare_rings, pl.n_workers) ||
        !rings_ok(pl.result_rings, pl.n_producers) || !pl.workers || !parsers || !workers ||
        !pargs || !os.progress || !os.done || !os.ckpt) {
        tw_log("out of memory");
        goto out;
    }
    tw_state_conf sc = {
        .max_identities = (conf->max_identities + (uint64_t)pl.n_workers - 1) / (uint64_t)pl.n_workers,
        .idle_ms = tw_engine_horizon(pl.engine),
        .expire_margin_ms = conf->lateness_ms,
        .slot_bytes = tw_engine_state_bytes(pl.engine),
        .release = tw_worker_release,
    };
    for (int w = 0; w < pl.n_workers; w++) {
        pl.workers[w].pl = &pl;
        pl.workers[w].index = w;
        sc.seed = (uint64_t)w + 1;
        sc.release_ud = &pl.workers[w];
        pl.workers[w].state = tw_state_new(&sc, errstr, sizeof errstr);
        if (!pl.workers[w].state) {
            tw_log("%s", errstr);
            goto out;
        }
    }

    if (pl.kafka && tw_kafka_restore(pl.kafka, errstr, sizeof errstr) != TW_OK) {
        tw_log("%s; nothing read", errstr);
        rc = TW_EXIT_USAGE;
        goto out;
    }
    if (!pl.kafka && conf->state_dir && restore_replay(&pl, conf, errstr, sizeof errstr) != TW_OK) {
        tw_log("%s; nothing read", errstr);
        rc = TW_EXIT_USAGE;
        goto out;
    }
    if (pl.kafka && tw_kafka_subscribe(pl.kafka, errstr, sizeof errstr) != TW_OK) {
        tw_log("%s", errstr);
        rc = TW_EXIT_USAGE;
        goto out;
    }

    for (; started_workers < pl.n_workers; started_workers++)
        if (pthread_create(&workers[started_workers], NULL, tw_worker_main,
                           &pl.workers[started_workers]))
            break;
    if (!pthread_create(&router, NULL, tw_router_main, &pl))
        router_started = true;
    for (; started_parsers < pl.n_parsers; started_parsers++) {
        pargs[started_parsers] = (tw_parser_arg){ &pl, started_parsers };
        if (pthread_create(&parsers[started_parsers], NULL, tw_parser_main, &pargs[started_parsers]))
            break;
    }
    if (!pthread_create(&reader, NULL, pl.kafka ? tw_kafka_main : tw_reader_main, &pl))
        reader_started = true;
    if (!pl.grants_ready) {
        /* the inventory, while the reader and parsers get going; the router waits */
        int irc = load_inventory(&pl, conf);
        pthread_mutex_lock(&pl.grants_mu);
        pl.grants_ready = irc == TW_EXIT_OK ? 1 : -1;
        pthread_cond_broadcast(&pl.grants_cv);
        pthread_mutex_unlock(&pl.grants_mu);
        if (irc != TW_EXIT_OK) {
            tw_pipeline_abort(&pl);
            inventory_failed = true;
        }
    }
    if (!reader_started || !router_started || started_parsers < pl.n_parsers ||
        started_workers < pl.n_workers) {
        tw_log("cannot start threads");
        tw_pipeline_abort(&pl);
    } else if (!inventory_failed) {
        if (!run_output(&os, started))
            tw_pipeline_abort(&pl);
    }

    if (reader_started)
        pthread_join(reader, NULL);
    for (int i = 0; i < started_parsers; i++)
        pthread_join(parsers[i], NULL);
    if (router_started)
        pthread_join(router, NULL);
    for (int i = 0; i < started_workers; i++)
        pthread_join(workers[i], NULL);

    /* every healthy sink, also when another failed: what it was given is made durable */
    for (size_t s = 0; s < os.n_sinks; s++)
        if (!os.broken[s] && tw_sink_flush(&os.sinks[s]) != TW_SINK_OK)
            sink_broke(&os, s, "flush");
    if (pl.kafka && !atomic_load(&pl.failed) && !os.sink_failed)
        tw_kafka_close(pl.kafka); /* commit what is stored, leave the group */
    bool saved = true;
    if (!pl.kafka && conf->state_dir && !atomic_load(&pl.failed) && !os.sink_failed &&
        !inventory_failed)
        saved = save_replay(&pl, conf);
    if (conf->stats && !inventory_failed) /* exit 2: a configuration error, nothing counted */
        print_stats(&pl, tw_now_s() - started, false);
    if (pl.exceptions && conf->verbosity > 0 && !inventory_failed)
        tw_exceptions_print_hits(pl.exceptions, stderr); /* entries that suppress nothing */
    if (inventory_failed)
        rc = TW_EXIT_USAGE;
    else if (atomic_load(&pl.failed) || os.sink_failed || !saved)
        rc = TW_EXIT_INPUT;
    else
        /* consume: a poison record is counted and skipped, not a failure of the run */
        rc = pl.kafka ? (tw_kafka_failed(pl.kafka) ? TW_EXIT_INPUT : TW_EXIT_OK)
                      : (pl.router.problems ? TW_EXIT_INPUT : TW_EXIT_OK);

out:
    rings_free(pl.chunk_rings, pl.n_parsers, destroy_chunk);
    rings_free(pl.batch_rings, pl.n_parsers, destroy_batch);
    rings_free(pl.work_rings, pl.n_workers, destroy_work);
    rings_free(pl.spare_rings, pl.n_workers, destroy_work);
    rings_free(pl.result_rings, pl.n_producers, destroy_result);
    for (int w = 0; pl.workers && w < pl.n_workers; w++)
        tw_state_destroy(pl.workers[w].state);
    free(pl.workers);
    free(parsers);
    free(workers);
    free(pargs);
    for (size_t i = 0; i < os.n; i++)
        free(os.v[i].text);
    free(os.v);
    free(os.progress);
    free(os.done);
    for (int i = 0; os.ckpt && i < pl.n_producers; i++) {
        if (os.ckpt[i]) {
            tw_buf_free(os.ckpt[i]);
            free(os.ckpt[i]);
        }
    }
    free(os.ckpt);
    for (size_t s = 0; s < os.n_sinks; s++)
        tw_sink_close(&os.sinks[s]);
    free(os.sinks);
    free(os.broken);
    tw_kafka_destroy(pl.kafka);
    if (conf->consume)
        memset(&pl.inputs, 0, sizeof pl.inputs); /* static: not ours to free */
    tw_inputs_free(&pl.inputs);
    tw_engine_destroy(pl.engine);
    tw_grants_destroy(pl.grants);
    tw_audit_book_destroy(pl.audit);
    tw_exceptions_destroy(pl.exceptions);
    tw_policy_reader_destroy(pl.policy_reader);
    tw_managed_destroy(pl.managed);
    tw_privtab_destroy(pl.privtab);
    tw_rules_rt_destroy(pl.rules);
    tw_catalog_destroy(pl.catalog);
    tw_notify_destroy(&pl.out_notify);
    pthread_mutex_destroy(&pl.grants_mu);
    pthread_mutex_destroy(&pl.stats_mu);
    pthread_mutex_destroy(&pl.src_start_mu);
    free(pl.src_start);
    pthread_cond_destroy(&pl.grants_cv);
    return rc;
}
