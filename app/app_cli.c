/* app_cli: the command lines of replay and consume (DESIGN §6), their help pages and the
 * overview (trailwarden --help). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "tw_time.h"

/* trailwarden --help: the commands; each one's options are on its own page. */
void tw_app_usage(FILE *out)
{
    fputs("usage: trailwarden COMMAND [OPTIONS]\n"
          "\n"
          "Watches AWS CloudTrail and Amazon Bedrock audit events for scope drift of non-human\n"
          "identities and writes findings as OCSF Detection Findings (or compact JSON).\n"
          "\n"
          "  replay [OPTIONS] PATH...   files or directories (recursed; '-' is stdin): archived\n"
          "                             trails, gzip, zstd or plain\n"
          "  consume [OPTIONS] -b BROKERS -t TOPIC[,TOPIC...]\n"
          "                             a Kafka consumer group member, findings as records come\n"
          "  route -b BROKERS -t RAW -o kafka:KEYED\n"
          "                             one message a record, keyed by identity, for consume's\n"
          "                             scale-out\n"
          "  state export|import        identity state between a --state-dir and a changelog\n"
          "                             topic (consume --state-topic)\n"
          "  rules check|list [PATH...] validate or list Sigma rule files (the shipped ones too)\n"
          "  gen [OPTIONS]              synthetic trails with injected drift scenarios\n"
          "\n"
          "trailwarden COMMAND --help shows a command's options (replay --help, consume --help,\n"
          "route --help, state --help, rules --help, gen --help).\n"
          "  -h, --help                 this text\n"
          "  -V, --version              the version\n",
          out);
}

/* The options replay and consume share, in three blocks around the lines that differ. */
static const char k_rules_opts[] =
    "  -r, --rules PATH          repeatable: a Sigma rule file or directory to load after\n"
    "                            the shipped rules (a rule with a shipped rule's id or name\n"
    "                            replaces it; a broken rule stops the start, exit 2)\n"
    "      --no-default-rules    leave the shipped rules out, and grant tracking unless\n"
    "                            --grants is given\n";
static const char k_detect_opts[] =
    "  -f, --format ocsf|compact one JSON object a line (default ocsf)\n"
    "      --grants FILE         IAM inventory: the JSON of `aws iam\n"
    "                            get-account-authorization-details`; its grants count\n"
    "                            from the first event\n"
    "      --unused-after DUR    a privileged grant not used for this long is reported\n"
    "                            (unused-privileged-grant; default 30d)\n"
    "      --learn DUR           how long an identity seen from the stream's start is\n"
    "                            observed before drift rules judge it (default 7d; 0:\n"
    "                            every identity's past is known at once)\n";
static const char k_run_opts[] =
    "      --exceptions FILE     findings not to write: YAML entries of rule ids, identity\n"
    "                            globs, field values, until and reason (docs/rules.md:\n"
    "                            Exceptions); counted in --stats\n"
    "  -j, --threads N           parser and worker threads (default: number of CPUs)\n"
    "      --max-identities N    cap on identities kept in memory, 1 to 4000000000\n"
    "                            (default 4000000);\n"
    "                            beyond it the least recently seen are evicted\n"
    "      --agent-pattern TEXT  repeatable: a user-agent or ARN substring that marks an\n"
    "                            identity as an AI agent (case-insensitive)\n"
    "      --audit-log-group PATTERN  repeatable: log groups that are audit destinations\n"
    "                            (deleting one is logging-control); '*' matches any run\n"
    "      --audit-bucket PATTERN     repeatable: the same for S3 buckets\n";
static const char k_end_opts[] =
    "  -q, --quiet               no progress line, no per-record problems (counts stay)\n"
    "  -v, --verbose             every problem, not only the first 20 of each input\n"
    "  -h, --help                this text\n"
    "  -V, --version             the version\n";

static void replay_usage(FILE *out)
{
    fputs("usage: trailwarden replay [OPTIONS] PATH...\n"
          "\n"
          "Reads CloudTrail and Bedrock audit records from files or directories (recursed;\n"
          "'-' is stdin): CloudTrail's S3 layout, NDJSON, JSON arrays, EventBridge and\n"
          "CloudWatch Logs envelopes, gzip, zstd or plain. Records are applied in event time\n"
          "order; the output does not depend on -j or on the order of the inputs.\n"
          "\n",
          out);
    fputs(k_rules_opts, out);
    fputs("  -o, --output SPEC         repeatable: 'stdout' (default), 'file:PATH' (appends),\n"
          "                            'kafka:TOPIC@BROKERS' (one message a finding, keyed by\n"
          "                            identity)\n",
          out);
    fputs(k_detect_opts, out);
    fputs("      --lateness DUR        allowed event-time disorder (default 15m)\n"
          "      --report-from TIME    learn from the events before TIME, write findings from\n"
          "                            TIME on (2026-02-01 or 2026-02-01T00:00:00Z)\n"
          "      --state-dir DIR       restore identity state from DIR/checkpoint at the start,\n"
          "                            save it there at the end\n",
          out);
    fputs(k_run_opts, out);
    fputs("      --stats               a summary on stderr at the end\n", out);
    fputs(k_end_opts, out);
    fputs("\n"
          "DUR: 90s, 15m, 24h, 30d.  Exit status: 0 ran to the end; 1 some input was\n"
          "unreadable or corrupt (everything else processed), or an output failed; 2 usage or\n"
          "configuration error, nothing processed.\n",
          out);
}

static void consume_usage(FILE *out)
{
    fputs(
        "usage: trailwarden consume [OPTIONS] -b BROKERS -t TOPIC[,TOPIC...] [-G GROUP]\n"
        "                           [-X prop=value]...\n"
        "\n"
        "A member of a Kafka consumer group: reads what replay reads, one record or a file\n"
        "body a message, and writes findings as the records come, applied in arrival order.\n"
        "Offsets are committed once the findings are written (at-least-once).\n"
        "\n"
        "  -b, --brokers LIST        bootstrap servers, host:port[,host:port...]\n"
        "  -t, --topic LIST          topics to consume, comma-separated; repeatable\n"
        "  -G, --group ID            consumer group (default trailwarden)\n"
        "  -X name=value             repeatable: any librdkafka property (SASL, SSL, timeouts),\n"
        "                            for the consumer and for kafka: outputs\n"
        "      --exit-at-end         stop once every assigned partition has been read to its end\n"
        "      --broker-timeout DUR  give up (exit 1) when no broker has answered this long after\n"
        "                            the start (default 60s with --exit-at-end, else 0: wait\n"
        "                            for the cluster forever)\n"
        "      --state-dir DIR       checkpoint identity state with the offsets it covers; a\n"
        "                            restart resumes from it (nothing lost after kill -9)\n"
        "      --state-topic TOPIC   keep identity state in a compacted Kafka topic with the\n"
        "                            input's partitions: it follows each partition to the\n"
        "                            member that owns it (several instances in one group)\n"
        "      --checkpoint-every DUR  how often (default 1m; also at shutdown and rebalance);\n"
        "                            with --state-topic, offsets are committed then\n",
        out);
    fputs(k_rules_opts, out);
    fputs("  -o, --output SPEC         repeatable: 'stdout' (default), 'file:PATH' (appends),\n"
          "                            'kafka:TOPIC[@BROKERS]' (one message a finding, keyed by\n"
          "                            identity; without @BROKERS, to -b with the -X properties)\n",
          out);
    fputs(k_detect_opts, out);
    fputs("      --lateness DUR        a record this far behind its partition's newest is\n"
          "                            counted late, and applied (default 2m)\n",
          out);
    fputs(k_run_opts, out);
    fputs("      --stats               a summary on stderr at the end (and on SIGUSR1)\n", out);
    fputs(k_end_opts, out);
    fputs("\n"
          "SIGTERM/SIGINT: stop fetching, drain, flush, commit, leave the group, exit 0.\n"
          "DUR: 90s, 15m, 24h, 30d.  Exit status: 0 stopped cleanly (records that do not parse\n"
          "are counted and skipped); 1 a fatal consumer error or a failed output; 2 usage or\n"
          "configuration error, nothing read.\n",
          out);
}

void tw_app_catch_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

int tw_app_push(const char ***v, size_t *n, const char *s)
{
    const char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return -1;
    nv[(*n)++] = s;
    *v = nv;
    return 0;
}

/* The command whose line parse() reads, for usage_error's pointer to its page. */
static const char *usage_command = "replay";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "trailwarden: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\ntry 'trailwarden %s --help'\n", usage_command);
    return TW_EXIT_USAGE;
}

static int parse(int argc, char **argv, tw_app_conf *conf, bool consume)
{
    enum {
        OPT_LATENESS = 256,
        OPT_STATS,
        OPT_MAX_IDENT,
        OPT_AGENT,
        OPT_NO_DEFAULT_RULES,
        OPT_GRANTS,
        OPT_UNUSED_AFTER,
        OPT_EXIT_AT_END,
        OPT_STATE_DIR,
        OPT_CHECKPOINT,
        OPT_LEARN,
        OPT_REPORT_FROM,
        OPT_BROKER_TIMEOUT,
        OPT_AUDIT_LOG_GROUP,
        OPT_AUDIT_BUCKET,
        OPT_EXCEPTIONS,
        OPT_STATE_TOPIC
    };
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "rules", required_argument, NULL, 'r' },
        { "format", required_argument, NULL, 'f' },
        { "threads", required_argument, NULL, 'j' },
        { "lateness", required_argument, NULL, OPT_LATENESS },
        { "max-identities", required_argument, NULL, OPT_MAX_IDENT },
        { "agent-pattern", required_argument, NULL, OPT_AGENT },
        { "audit-log-group", required_argument, NULL, OPT_AUDIT_LOG_GROUP },
        { "audit-bucket", required_argument, NULL, OPT_AUDIT_BUCKET },
        { "stats", no_argument, NULL, OPT_STATS },
        { "no-default-rules", no_argument, NULL, OPT_NO_DEFAULT_RULES },
        { "grants", required_argument, NULL, OPT_GRANTS },
        { "unused-after", required_argument, NULL, OPT_UNUSED_AFTER },
        { "learn", required_argument, NULL, OPT_LEARN },
        { "report-from", required_argument, NULL, OPT_REPORT_FROM },
        { "exceptions", required_argument, NULL, OPT_EXCEPTIONS },
        { "brokers", required_argument, NULL, 'b' },
        { "topic", required_argument, NULL, 't' },
        { "group", required_argument, NULL, 'G' },
        { "exit-at-end", no_argument, NULL, OPT_EXIT_AT_END },
        { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "state-topic", required_argument, NULL, OPT_STATE_TOPIC },
        { "checkpoint-every", required_argument, NULL, OPT_CHECKPOINT },
        { "broker-timeout", required_argument, NULL, OPT_BROKER_TIMEOUT },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    usage_command = consume ? "consume" : "replay";
    memset(conf, 0, sizeof *conf);
    conf->format = TW_FORMAT_OCSF;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    conf->threads = ncpu > 0 ? (int)ncpu : 1;
    conf->consume = consume;
    conf->lateness_ms = (consume ? 2 : 15) * TW_MS_MINUTE;
    conf->group = "trailwarden";
    conf->checkpoint_ms = 60 * 1000;
    conf->broker_timeout_ms = -1; /* not given: by --exit-at-end */
    conf->max_identities = 4000000;
    conf->unused_after_ms = 30 * 24 * 60 * TW_MS_MINUTE;
    conf->learn_ms = 7 * 24 * 60 * TW_MS_MINUTE;
    conf->report_from_ms = INT64_MIN;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, consume ? ":o:r:f:j:b:t:G:X:qvhV" : ":o:r:f:j:qvhV", opts,
                            NULL)) != -1) {
        /* the option's own word: its value, when given apart, is the last one read */
        const char *opt = argv[optind - (optarg && optarg == argv[optind - 1] ? 2 : 1)];
        if (!consume && (c == 'b' || c == 't' || c == 'G' || c == OPT_EXIT_AT_END ||
                         c == OPT_CHECKPOINT || c == OPT_BROKER_TIMEOUT || c == OPT_STATE_TOPIC))
            return usage_error("option '%s' belongs to consume", opt);
        if (consume && c == OPT_REPORT_FROM)
            return usage_error("option '%s' belongs to replay (consume reports as it reads)", opt);
        switch (c) {
        case 'b':
            conf->brokers = optarg;
            break;
        case 'G':
            conf->group = optarg;
            break;
        case 'X':
            if (!strchr(optarg, '=') || optarg[0] == '=')
                return usage_error("-X needs name=value, not '%s'", optarg);
            if (tw_app_push(&conf->kafka_props, &conf->n_kafka_props, optarg))
                return usage_error("%s", "out of memory");
            break;
        case 't': {
            /* TOPIC[,TOPIC...]: split in place (optarg is argv's) */
            char *save = NULL;
            for (char *tok = strtok_r(optarg, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                if (tw_app_push(&conf->topics, &conf->n_topics, tok))
                    return usage_error("%s", "out of memory");
            break;
        }
        case OPT_EXIT_AT_END:
            conf->exit_at_end = true;
            break;
        case OPT_STATE_DIR:
            conf->state_dir = optarg;
            break;
        case OPT_STATE_TOPIC:
            if (!*optarg || strlen(optarg) > 249 ||
                strspn(optarg,
                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                    strlen(optarg))
                return usage_error("--state-topic needs a topic name of [a-zA-Z0-9._-], not '%s'",
                                   optarg);
            conf->state_topic = optarg;
            break;
        case OPT_CHECKPOINT:
            if (tw_time_parse_duration(optarg, &conf->checkpoint_ms) != TW_OK ||
                conf->checkpoint_ms <= 0)
                return usage_error("--checkpoint-every needs a duration like 30s or 5m, not '%s'",
                                   optarg);
            break;
        case OPT_BROKER_TIMEOUT:
            if (tw_time_parse_duration(optarg, &conf->broker_timeout_ms) != TW_OK ||
                conf->broker_timeout_ms < 0)
                return usage_error("--broker-timeout needs a duration like 30s or 2m (0: wait "
                                   "forever), not '%s'",
                                   optarg);
            break;
        case 'o':
            if (tw_app_push(&conf->outputs, &conf->n_outputs, optarg))
                return usage_error("%s", "out of memory");
            break;
        case 'r':
            if (tw_app_push(&conf->rules, &conf->n_rules, optarg))
                return usage_error("%s", "out of memory");
            break;
        case 'f':
            if (!strcmp(optarg, "ocsf"))
                conf->format = TW_FORMAT_OCSF;
            else if (!strcmp(optarg, "compact"))
                conf->format = TW_FORMAT_COMPACT;
            else
                return usage_error("unknown format '%s' (expected ocsf or compact)", optarg);
            break;
        case 'j': {
            char *end;
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (*end || end == optarg || errno || n < 1 || n > 256)
                return usage_error("-j needs a number of threads from 1 to 256, not '%s'", optarg);
            conf->threads = (int)n;
            break;
        }
        case OPT_LATENESS:
            if (tw_time_parse_duration(optarg, &conf->lateness_ms) != TW_OK)
                return usage_error("--lateness needs a duration like 90s, 15m, 24h, not '%s'",
                                   optarg);
            break;
        case OPT_GRANTS:
            conf->grants_path = optarg;
            break;
        case OPT_LEARN:
            if (tw_time_parse_duration(optarg, &conf->learn_ms) != TW_OK)
                return usage_error("--learn needs a duration like 7d, 24h or 0, not '%s'", optarg);
            break;
        case OPT_REPORT_FROM: {
            char when[40];
            /* a date alone is its midnight, UTC */
            snprintf(when, sizeof when, "%s%s", optarg, strlen(optarg) == 10 ? "T00:00:00Z" : "");
            if (strlen(optarg) >= sizeof when - 12 ||
                tw_time_parse_iso(when, strlen(when), &conf->report_from_ms) != TW_OK)
                return usage_error("--report-from needs a time like 2026-02-01T00:00:00Z or "
                                   "2026-02-01, not '%s'",
                                   optarg);
            break;
        }
        case OPT_EXCEPTIONS:
            conf->exceptions_path = optarg;
            break;
        case OPT_UNUSED_AFTER:
            if (tw_time_parse_duration(optarg, &conf->unused_after_ms) != TW_OK ||
                conf->unused_after_ms <= 0)
                return usage_error("--unused-after needs a duration like 24h or 30d, not '%s'",
                                   optarg);
            break;
        case OPT_MAX_IDENT: {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(optarg, &end, 10);
            /* strtoull takes "-1" as ULLONG_MAX and saturates silently but for errno */
            if (*end || end == optarg || errno || n < 1 || n > TW_MAX_IDENTITIES_LIMIT ||
                optarg[0] == '-' || optarg[0] == '+' || optarg[0] == ' ')
                return usage_error("--max-identities needs a number from 1 to 4000000000, not '%s'",
                                   optarg);
            conf->max_identities = n;
            break;
        }
        case OPT_AGENT: {
            char *lower = strdup(optarg);
            if (!lower || !*lower)
                return usage_error("--agent-pattern needs a non-empty text%s", "");
            for (char *p = lower; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p + 32);
            if (tw_app_push(&conf->agent_patterns, &conf->n_agent_patterns, lower)) {
                free(lower);
                return usage_error("%s", "out of memory");
            }
            break;
        }
        case OPT_AUDIT_LOG_GROUP:
        case OPT_AUDIT_BUCKET: {
            bool group = c == OPT_AUDIT_LOG_GROUP;
            const char *what = group ? "--audit-log-group" : "--audit-bucket";
            size_t len = strlen(optarg);
            if (!len || len > 512)
                return usage_error("%s needs a name or pattern of 1 to 512 characters", what);
            for (const char *p = optarg; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                    return usage_error("%s: a control character in the pattern", what);
            if (tw_app_push(group ? (const char ***)&conf->audit.log_groups
                                  : (const char ***)&conf->audit.buckets,
                            group ? &conf->audit.n_log_groups : &conf->audit.n_buckets, optarg))
                return usage_error("%s", "out of memory");
            break;
        }
        case OPT_STATS:
            conf->stats = true;
            break;
        case OPT_NO_DEFAULT_RULES:
            conf->no_default_rules = true;
            break;
        case 'q':
            conf->verbosity = -1;
            break;
        case 'v':
            conf->verbosity = 1;
            break;
        case 'h':
            (consume ? consume_usage : replay_usage)(stdout);
            return -1;
        case 'V':
            printf("trailwarden %s\n", TW_VERSION);
            return -1;
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: {
            /* an unknown letter inside a cluster (-bx) leaves optind on the cluster's word */
            char letter[3] = { '-', (char)optopt, '\0' };
            return usage_error("unknown option '%s'", optopt ? letter : argv[optind - 1]);
        }
        }
    }
    if (consume) {
        if (optind < argc)
            return usage_error("consume reads Kafka topics, not '%s' (-t TOPIC)", argv[optind]);
        if (!conf->brokers)
            return usage_error("%s", "consume needs -b BROKERS (host:port[,host:port...])");
        if (!conf->n_topics)
            return usage_error("%s", "consume needs -t TOPIC[,TOPIC...]");
        if (conf->state_topic && conf->state_dir)
            return usage_error("%s",
                               "--state-topic and --state-dir both keep consume's state: one of "
                               "them (to seed a changelog from a directory: trailwarden state "
                               "export)");
        if (conf->state_topic && conf->n_topics != 1)
            return usage_error("--state-topic %s: consume reads one topic with it (-t TOPIC): the "
                               "changelog's partitions are the input topic's",
                               conf->state_topic);
        char errstr[768];
        if (tw_kafka_check_props(conf, errstr, sizeof errstr) != TW_OK)
            return usage_error("%s", errstr);
        return TW_EXIT_OK;
    }
    for (int i = optind; i < argc; i++)
        if (tw_app_push(&conf->paths, &conf->n_paths, argv[i]))
            return usage_error("%s", "out of memory");
    if (conf->n_paths == 0)
        return usage_error("%s",
                           "replay needs at least one PATH (a file, a directory, or - for stdin)");
    return TW_EXIT_OK;
}

int tw_app_parse_replay(int argc, char **argv, tw_app_conf *conf)
{
    return parse(argc, argv, conf, false);
}

int tw_app_parse_consume(int argc, char **argv, tw_app_conf *conf)
{
    return parse(argc, argv, conf, true);
}

void tw_app_conf_free(tw_app_conf *conf)
{
    free(conf->paths);
    free(conf->outputs);
    free(conf->rules);
    free(conf->topics);
    free(conf->kafka_props);
    for (size_t i = 0; i < conf->n_agent_patterns; i++)
        free((char *)conf->agent_patterns[i]);
    free(conf->agent_patterns);
    free((void *)conf->audit.log_groups);
    free((void *)conf->audit.buckets);
    memset(conf, 0, sizeof *conf);
}
