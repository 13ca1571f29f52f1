/* app_run: `trailwarden replay` and `trailwarden consume`: builds the pipeline (its threads,
 * rings, rules, grants, the checkpoint restored), runs the output stage on the main thread
 * (app_output.c), saves the state (replay --state-dir), prints --stats (app_stats.c), and picks
 * the exit status. The stages themselves are in app_stages.c, app_router.c and app_kafka.c. */
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

#include "app_changelog.h"
#include "app_checkpoint.h"
#include "ingest_source_kafka.h"
#include "app_pipeline.h"
#include "tw_time.h"
#include "app_shipped.h"
#include "ingest_inventory.h"
#include "tw_arena.h"
#include "tw_log.h"

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

size_t tw_app_grant_metas(const tw_rule_meta *metas[2])
{
    metas[0] = &unused_grant_meta;
    metas[1] = tw_grants_training_telemetry_meta();
    return 2;
}

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

/* consume --state-topic: whether route gave key the partition of source (the grant books'
 * owners). */
static bool partition_owns(void *ud, uint16_t source, tw_str key)
{
    const tw_pipeline *pl = ud;
    if (!source || !pl->source)
        return false;
    tw_source_part sp;
    tw_source_kafka_part_get(pl->source, source - 1u, &sp);
    return tw_changelog_partition_of(key, pl->input_partitions) == (uint32_t)sp.partition;
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

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        tw_stats_requested = 1;
    else
        tw_stop_requested = 1;
}

/* replay --state-dir: the state a previous run saved, before any thread starts. */
static tw_err restore_replay(tw_pipeline *pl, const tw_app_conf *conf, char *errstr,
                             size_t errstr_size)
{
    tw_ckpt_read got;
    tw_err err = tw_ckpt_restore(conf->state_dir, pl, pl->fingerprint, NULL, NULL, &got, errstr,
                                 errstr_size);
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
    tw_buf *router = pl->n_streams ? tw_ckpt_router(pl) : NULL;
    bool ok = shards && (router || !pl->n_streams);
    for (int w = 0; ok && w < pl->n_workers; w++)
        ok = (shards[w] = tw_ckpt_shard(pl->engine, pl->workers[w].state, pl->fingerprint, false,
                                        NULL)) != NULL;
    char errstr[512];
    tw_err err = ok ? tw_ckpt_write(conf->state_dir, pl->fingerprint, pl->stream_start_ms, NULL, 0,
                                    router, shards, (uint32_t)pl->n_workers, errstr, sizeof errstr)
                    : TW_ERR_NOMEM;
    if (err == TW_ERR_NOMEM)
        tw_log("--state-dir %s: out of memory saving the state", conf->state_dir);
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

/* replay's source: the files, directories and streams named, in DESIGN §2's order; small
 * regular files whole, for the parsers to decompress in parallel. */
static tw_err open_files(tw_pipeline *pl, const tw_app_conf *conf, char *errstr, size_t errstr_size)
{
    const tw_source_conf sc = {
        .verbosity = conf->verbosity,
        .paths = (const char *const *)conf->paths,
        .n_paths = conf->n_paths,
        .whole_inputs = true,
    };
    tw_err err = tw_source_open(&tw_source_file, &sc, &pl->source, errstr, errstr_size);
    if (!err)
        pl->source_flags = tw_source_flags(pl->source);
    return err;
}

static void destroy_chunk(void *p)
{
    tw_chunk_destroy(p);
}
static void destroy_batch(void *p)
{
    tw_batch_destroy(p);
}
static void destroy_work(void *p)
{
    tw_work_destroy(p);
}
static void destroy_result(void *p)
{
    tw_result_destroy(p);
}

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

int tw_app_run(const tw_app_conf *conf)
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
    tw_output_stage os = { 0 };
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
    pl.streams[pl.n_streams++] = tw_audit_book_stream(pl.audit);
    if (pl.grants && conf->consume && conf->state_topic) {
        /* a book per partition, to follow it through the changelog (grants.h) */
        if (!(pl.grant_parts = tw_grant_parts_new(pl.grants, partition_owns, &pl))) {
            tw_log("out of memory");
            goto out;
        }
        pl.streams[pl.n_streams++] = tw_grant_parts_stream(pl.grant_parts);
    } else if (pl.grants) {
        pl.streams[pl.n_streams++] = tw_grants_stream(pl.grants);
    }
    if ((rc = setup_policy_reader(&pl)) != TW_EXIT_OK)
        goto out;
    rc = TW_EXIT_USAGE;
    if (conf->exceptions_path &&
        !(pl.exceptions = tw_app_load_exceptions(conf->exceptions_path, pl.rules->rs,
                                                 (uint32_t)pl.n_workers + 1, conf->verbosity))) {
        tw_log("broken --exceptions %s; nothing read", conf->exceptions_path);
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
    pl.fingerprint = pl.rules ? tw_rules_fingerprint(pl.rules) : 0;
    pl.changelog = conf->state_topic != NULL;
    pl.stats_slots = tw_engine_count(pl.engine) + (pl.rules ? pl.rules->n_rules : 0);
    if (pl.stats_slots > TW_MAX_DETECTORS)
        pl.stats_slots = TW_MAX_DETECTORS;
    if (conf->consume) {
        pl.encode.processed_time = true; /* each finding carries its detection time */
        if (conf->state_dir && !state_dir_usable(conf->state_dir, errstr, sizeof errstr)) {
            tw_log("%s; nothing read", errstr);
            goto out;
        }
        tw_err kerr = tw_kafka_new(&pl, conf, &pl.kafka, errstr, sizeof errstr);
        if (kerr == TW_ERR_STOPPED) { /* SIGTERM before any broker answered: a clean stop */
            rc = TW_EXIT_OK;
            goto out;
        }
        if (kerr != TW_OK) {
            tw_log("%s", errstr);
            if (kerr == TW_ERR_IO) /* no broker answered: not the command line's fault */
                rc = TW_EXIT_INPUT;
            goto out;
        }
    } else if (open_files(&pl, conf, errstr, sizeof errstr) != TW_OK) {
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
    pl.n_producers = pl.n_workers + (pl.n_streams ? 1 : 0);
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
        .max_identities =
            (conf->max_identities + (uint64_t)pl.n_workers - 1) / (uint64_t)pl.n_workers,
        .idle_ms = tw_engine_horizon(pl.engine),
        .expire_margin_ms = conf->lateness_ms,
        .slot_bytes = tw_engine_state_bytes(pl.engine),
        .release = tw_worker_release,
        .removed = conf->state_topic ? tw_worker_removed : NULL,
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
        if (pthread_create(&parsers[started_parsers], NULL, tw_parser_main,
                           &pargs[started_parsers]))
            break;
    }
    if (!pthread_create(&reader, NULL, pl.kafka ? tw_kafka_main : tw_reader_main, &pl))
        reader_started = true;
    if (!pl.grants_ready) {
        /* the inventory, while the reader and parsers get going; the router waits */
        int irc = tw_app_load_inventory(&pl, conf);
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
        if (!tw_output_run(&os, started))
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
            tw_output_sink_broke(&os, s, "flush");
    if (pl.kafka && !atomic_load(&pl.failed) && !os.sink_failed)
        tw_kafka_close(pl.kafka); /* commit what is stored, leave the group */
    bool saved = true;
    if (!pl.kafka && conf->state_dir && !atomic_load(&pl.failed) && !os.sink_failed &&
        !inventory_failed)
        saved = save_replay(&pl, conf);
    if (conf->stats && !inventory_failed) /* exit 2: a configuration error, nothing counted */
        tw_app_print_stats(&pl, tw_now_s() - started, false);
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
    for (int w = 0; pl.workers && w < pl.n_workers; w++) {
        tw_state_destroy(pl.workers[w].state);
        tw_buf_free(&pl.workers[w].tombstones);
    }
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
    tw_kafka_destroy(pl.kafka); /* and the Kafka source it opened */
    if (!conf->consume)
        tw_source_destroy(pl.source);
    tw_engine_destroy(pl.engine);
    tw_grant_parts_destroy(pl.grant_parts);
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
