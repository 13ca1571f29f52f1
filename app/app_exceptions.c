/* app_exceptions: --exceptions FILE for replay, consume and `rules check` (detect/exceptions.h):
 * the file checked against the rule ids this run can raise, its problems and warnings on
 * stderr. */
#include <stdio.h>
#include <stdlib.h>

#include "app_shipped.h"
#include "tw_log.h"

/* The grant tracker's own findings (app_run.c, detect/grants_report.c): not rules, but ids
 * an exception may name. */
static const char *const k_tracker_ids[] = { "unused-privileged-grant",
                                             "training-telemetry-granted" };
#define N_TRACKER (sizeof k_tracker_ids / sizeof k_tracker_ids[0])

tw_exceptions *tw_app_load_exceptions(const char *path, const tw_ruleset *rs, uint32_t n_threads,
                                      int verbosity)
{
    size_t n_rules = rs ? tw_ruleset_count(rs) : 0;
    const char **ids = calloc(n_rules + N_TRACKER, sizeof *ids);
    if (!ids) {
        tw_log("out of memory loading --exceptions %s", path);
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < n_rules; i++)
        ids[n++] = tw_ruleset_rule(rs, i)->id;
    for (size_t i = 0; i < N_TRACKER; i++)
        ids[n++] = k_tracker_ids[i];
    tw_exc_conf conf = { .rule_ids = ids,
                         .n_rule_ids = n,
                         .n_threads = n_threads,
                         .warn = verbosity >= 0 ? stderr : NULL };
    tw_exceptions *ex = NULL;
    tw_err err = tw_exceptions_load(path, &conf, &ex);
    free(ids);
    if (err == TW_ERR_NOMEM) {
        tw_log("out of memory loading --exceptions %s", path);
        tw_exceptions_destroy(ex);
        return NULL;
    }
    for (size_t i = 0; i < tw_exceptions_diag_count(ex); i++)
        fprintf(stderr, "%s\n", tw_exceptions_diag(ex, i));
    for (size_t i = 0; verbosity >= 0 && i < tw_exceptions_warning_count(ex); i++)
        tw_log("warning: %s", tw_exceptions_warning(ex, i));
    if (err != TW_OK) {
        tw_exceptions_destroy(ex);
        return NULL;
    }
    return ex;
}
