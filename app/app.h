/* app: the command line and the wiring of threads, the only place that knows every module. */
#ifndef APP_H
#define APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include "ingest_audit.h"
#include "output.h"

#define TW_EXIT_OK 0
#define TW_EXIT_INPUT 1 /* some input unreadable or corrupt; everything else processed */
#define TW_EXIT_USAGE 2 /* usage or configuration error; nothing processed */

/* --max-identities' largest value: each worker's store indexes its records with 32 bits */
#define TW_MAX_IDENTITIES_LIMIT 4000000000ULL

typedef struct tw_app_conf {
    const char **paths;
    size_t n_paths;
    const char **outputs;
    size_t n_outputs;
    const char **rules; /* -r: rule files or directories */
    size_t n_rules;
    bool no_default_rules;       /* leave the shipped rules out */
    const char **agent_patterns; /* lower-cased */
    size_t n_agent_patterns;
    tw_audit_patterns audit; /* --audit-log-group, --audit-bucket */
    tw_format format;
    int threads;
    int64_t lateness_ms;
    uint64_t max_identities; /* 1..TW_MAX_IDENTITIES_LIMIT */
    bool stats;
    int verbosity;               /* -1 quiet, 0 normal, 1 verbose */
    const char *grants_path;     /* --grants: an authorization-details inventory */
    int64_t unused_after_ms;     /* --unused-after */
    int64_t learn_ms;            /* --learn: when an identity's past is known (DESIGN §5) */
    int64_t report_from_ms;      /* --report-from: findings before it are not written
                                  * (INT64_MIN: all are) */
    const char *exceptions_path; /* --exceptions: findings not to write (detect/exceptions.h) */
    /* consume (Kafka) */
    bool consume;
    const char *brokers; /* -b */
    const char **topics; /* -t, split at commas */
    size_t n_topics;
    const char *group;        /* -G (default "trailwarden") */
    const char **kafka_props; /* -X name=value, as given */
    size_t n_kafka_props;
    bool exit_at_end;          /* --exit-at-end: stop when every assigned partition is read */
    const char *state_dir;     /* --state-dir: checkpoints */
    const char *state_topic;   /* consume --state-topic: the changelog (app_changelog.h) */
    int64_t checkpoint_ms;     /* --checkpoint-every */
    int64_t broker_timeout_ms; /* --broker-timeout: give up when no broker answers this long
                                  * (0: wait forever; -1 not given: 60 s with --exit-at-end,
                                  * else forever) */
} tw_app_conf;

/* Parses replay's options; prints usage errors itself. Returns TW_EXIT_OK to run, or the exit
 * status to leave with (0 after --help/--version). */
int tw_app_parse_replay(int argc, char **argv, tw_app_conf *conf);
/* The same for consume's options (app_cli.c). */
int tw_app_parse_consume(int argc, char **argv, tw_app_conf *conf);
/* consume: refuses a -X that would change a property trailwarden's guarantees rest on
 * (at-least-once, --exit-at-end, the findings producer), naming it and why (app_kafka.c). */
tw_err tw_kafka_check_props(const tw_app_conf *conf, char *errstr, size_t errstr_size);
void tw_app_conf_free(tw_app_conf *conf);
/* Appends s to a growing argument list (app_cli.c); -1 when out of memory. */
int tw_app_push(const char ***v, size_t *n, const char *s);
/* SIGTERM, SIGINT and SIGUSR1 to handler, which only sets flags (consume, route; app_cli.c). */
void tw_app_catch_signals(void (*handler)(int));

/* `trailwarden replay` and `trailwarden consume` (app_run.c): runs the pipeline over files or
 * over Kafka topics (conf->consume); returns the process exit status. */
int tw_app_run(const tw_app_conf *conf);

/* `trailwarden route`: one message per record, keyed by identity (app_route.c); returns the
 * exit status. */
int tw_app_route(int argc, char **argv);
/* `trailwarden state export|import` (app_state_cmd.c): exit status. */
int tw_app_state(int argc, char **argv);

/* `trailwarden rules check|list PATH...` (app_rules.c); returns the exit status. */
int tw_app_rules(int argc, char **argv);

/* The grant tracker's findings that no rule file defines (app_run.c): unused-privileged-grant
 * and training-telemetry-granted, for `rules list`. Fills metas[0..1]; returns 2. */
size_t tw_app_grant_metas(const tw_rule_meta *metas[2]);

void tw_app_usage(FILE *out);

#endif
