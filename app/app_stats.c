/* app_stats: --stats, the counters of a run on stderr (at the end, and on SIGUSR1 while
 * consume runs: then from the copies the stages publish). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "app_pipeline.h"
#include "tw_log.h"

/* The grant tracker's findings of one kind less those --exceptions kept from the output (the
 * router's; while consume runs the two are read at different moments, hence the floor). */
static uint64_t grant_written(const tw_pipeline *pl, uint64_t raised, const char *rule_id)
{
    uint64_t suppressed = tw_exceptions_suppressed(pl->exceptions, pl->n_workers, rule_id);
    return raised > suppressed ? raised - suppressed : 0;
}

/* live: the stages are running (consume's SIGUSR1): the copies they publish, not their
 * counters; else the run is over and its threads joined. */
void tw_app_print_stats(tw_pipeline *pl, double wall, bool live)
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
        /* detection rules that name no action: those met by every event of their log source,
         * and those met only by records holding a literal of theirs (docs/rules.md) */
        tw_rules_index_stats is;
        tw_rules_index_stats_get(pl->rules->index, &is);
        fprintf(o, "  rules.every_event            %u\n", is.always - is.prefiltered);
        fprintf(o, "  rules.prefiltered            %u\n", is.prefiltered);
    }
    if (pl->grants) {
        tw_grants_stats gs = g_copy;
        if (!live)
            tw_pipeline_grants_stats(pl, &gs);
        fprintf(o, "  grants.from_stream           %" PRIu64 "\n", gs.grants_stream);
        fprintf(o, "  grants.from_inventory        %" PRIu64 "\n", gs.grants_inventory);
        fprintf(o, "  grants.revoked               %" PRIu64 "\n", gs.revoked);
        fprintf(o, "  grants.unparseable           %" PRIu64 "\n", gs.unparseable);
        fprintf(o, "  grants.unknown_policy        %" PRIu64 "\n", gs.unresolved);
        fprintf(o, "  grants.identities            %" PRIu64 "\n", gs.principals);
        fprintf(o, "  grants.privileged_uses       %" PRIu64 "\n", gs.uses);
        if (pl->grant_parts) /* consume --state-topic: the copies route wrote of grant calls */
            fprintf(o, "  grants.copies                %" PRIu64 "\n", r->grant_copies);
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
