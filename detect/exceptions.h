/* exceptions: `--exceptions FILE` (DESIGN §5), how a SOC tunes without editing rules. A YAML
 * file of entries, each naming rule ids, identity key globs and event field values, with an
 * optional `until` and a required `reason`; a finding that matches an entry is not written
 * and is counted (suppressed.exception).
 *
 *   exceptions:
 *     - rule: model-customization            # an id or a list; '*' and '?' wildcards
 *       identity: "arn:aws:iam::*:role/ml-pipeline-*"   # optional: glob(s) of the identity key
 *       fields:                              # optional: every one holds on the event
 *         eventSource: bedrock.amazonaws.com
 *         requestParameters.baseModelIdentifier: ["amazon.titan-*", "meta.llama3*"]
 *       until: 2027-03-31                    # optional: a date (the whole day, UTC) or an
 *                                            # RFC 3339 time
 *       reason: nightly fine-tuning pipeline, owner ml-platform
 *
 * Values compare ASCII case-insensitively with Sigma's wildcards ('*' any run, '?' one
 * character, '\*' '\?' '\\' the character itself); a list means any; `null` means the field
 * is absent. Loading is strict: every problem is a diagnostic "file:line: message", as for
 * rules (the YAML is read by the rules front end's tree: rules_internal.h).
 *
 * Who calls it: app/ loads the file once (replay, consume, `rules check --exceptions`); each
 * thread that raises findings (every worker, and the router for grant tracking) asks
 * tw_exceptions_match before it encodes one, with its own thread index: the counters are that
 * thread's, written by it alone (relaxed atomics, so --stats may read them while it runs).
 *
 * Ownership: a tw_exceptions owns its entries, strings, diagnostics and per-thread scratch;
 * it is read-only after load but for the scratch, and lives until tw_exceptions_destroy. */
#ifndef TW_EXCEPTIONS_H
#define TW_EXCEPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tw_err.h"
#include "tw_finding.h"

/* Limits that keep a hostile file cheap (the YAML's nesting is capped by the rules' tree). */
#define TW_EXC_MAX_FILE_BYTES (1u << 20) /* 1 MiB, like a rule file */
#define TW_EXC_MAX_ENTRIES 10000
#define TW_EXC_MAX_VALUES 1000  /* patterns in one list (rule, identity, a field) */
#define TW_EXC_MAX_FIELDS 32    /* fields of one entry */
#define TW_EXC_MAX_PATTERN 1024 /* bytes of one pattern */
#define TW_EXC_MAX_PATH 16      /* segments of a requestParameters path */

typedef struct tw_exceptions tw_exceptions;

typedef struct tw_exc_conf {
    /* The rule ids findings can carry (the loaded rules', the grant tracker's): a rule
     * pattern that matches none of them is a problem (a typo would suppress nothing). NULL:
     * not checked, and --stats counts no rule by name. Copied. */
    const char *const *rule_ids;
    size_t n_rule_ids;
    uint32_t n_threads; /* threads that call tw_exceptions_match (index 0 .. n-1) */
    /* The wall clock `until` is compared with, in ms since the epoch: at load (an entry
     * already past it is ignored, with a warning) and when a finding matches (an entry that
     * expires during a long consume stops applying). NULL: CLOCK_REALTIME. */
    int64_t (*clock_ms)(void);
    /* Where an entry that expires during the run is said, once (NULL: nowhere). */
    FILE *warn;
} tw_exc_conf;

/* Loads path. *out is set whenever the result is not TW_ERR_NOMEM, so the caller can read
 * the diagnostics and warnings; the caller destroys it. TW_OK: no problem; TW_ERR_INVALID:
 * problems (see the diagnostics; such a set must not be used to filter). */
tw_err tw_exceptions_load(const char *path, const tw_exc_conf *conf, tw_exceptions **out);
/* The same from a buffer that `name` stands for in messages (tests, fuzz). */
tw_err tw_exceptions_load_buffer(const char *name, const char *buf, size_t len,
                                 const tw_exc_conf *conf, tw_exceptions **out);
void tw_exceptions_destroy(tw_exceptions *ex); /* NULL-safe */

/* Every problem, "file:line: message", in line order. */
size_t tw_exceptions_diag_count(const tw_exceptions *ex);
const char *tw_exceptions_diag(const tw_exceptions *ex, size_t i);
/* Every entry already past its `until` at load, "file:line: expired on UNTIL (reason:
 * REASON): ignored": not a problem, said once. */
size_t tw_exceptions_warning_count(const tw_exceptions *ex);
const char *tw_exceptions_warning(const tw_exceptions *ex, size_t i);
size_t tw_exceptions_entry_count(const tw_exceptions *ex); /* in force (expired ones left out) */

/* Whether finding f matches an entry in force: its rule id matches one of the entry's rule
 * patterns, its identity key (f->ev->identity) one of its identity globs, and every field of
 * the entry holds on the triggering event (a finding whose event is no call, as
 * unused-privileged-grant's, matches only entries without fields). A match is counted in
 * thread's counters (by rule and by entry). An update of a finding (f->update: its repeats)
 * matches when that finding was kept out: the latest finding of its rule and identity asked
 * on this thread (the worker that raised it), not counted again. */
bool tw_exceptions_match(const tw_exceptions *ex, uint32_t thread, const tw_finding *f);

/* Findings suppressed so far: by every thread (thread < 0) or one, for one rule id (NULL:
 * every rule). */
uint64_t tw_exceptions_suppressed(const tw_exceptions *ex, int thread, const char *rule_id);

/* The --stats lines: `suppressed.exception N`, then `suppressed.exception.<rule-id> N` for
 * each rule with any. */
void tw_exceptions_print_stats(const tw_exceptions *ex, FILE *o);
/* One line an entry in force: its file and line, how many findings it suppressed, and its
 * reason (-v at the end of a run: entries that suppress nothing may be stale). */
void tw_exceptions_print_hits(const tw_exceptions *ex, FILE *o);

#endif
