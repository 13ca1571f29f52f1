/* gen_cli: the command line of `trailwarden gen`: one table of options, validated at the
 * edge, then gen_run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "gen.h"
#include "gen_internal.h"
#include "tw_time.h"

enum {
    OPT_RECORDS,
    OPT_IDENTITIES,
    OPT_SEED,
    OPT_START,
    OPT_SPAN,
    OPT_SCENARIO,
    OPT_FORMAT,
    OPT_OUTPUT,
    OPT_ZSTD_LEVEL,
    OPT_ACCOUNTS,
    OPT_QUIET,
    OPT_HELP,
    OPT_PROFILE,
    OPT_TRUTH,
};

static const struct gen_option {
    const char *long_name;
    char short_name;
    bool has_arg;
    int id;
} options[] = {
    { "records", 'n', true, OPT_RECORDS },
    { "identities", 0, true, OPT_IDENTITIES },
    { "seed", 0, true, OPT_SEED },
    { "start", 0, true, OPT_START },
    { "span", 0, true, OPT_SPAN },
    { "scenario", 0, true, OPT_SCENARIO },
    { "format", 0, true, OPT_FORMAT },
    { "output", 'o', true, OPT_OUTPUT },
    { "zstd-level", 0, true, OPT_ZSTD_LEVEL },
    { "accounts", 0, true, OPT_ACCOUNTS },
    { "quiet", 'q', false, OPT_QUIET },
    { "help", 'h', false, OPT_HELP },
    { "profile", 0, true, OPT_PROFILE },
    { "truth", 0, true, OPT_TRUTH },
};

static const struct {
    const char *name;
    uint32_t bit;
} scenarios[] = {
    { "read-to-destructive", GEN_SCN_READ_TO_DESTRUCTIVE },
    { "training-telemetry", GEN_SCN_TRAINING_TELEMETRY },
    { "all", GEN_SCN_ALL_ASKED },
    { "none", 0 },
    /* the realistic profile's (the first two above are its agent-kms-read-then-delete and
     * first-training-with-telemetry) */
    { "retention-stops-trail", GEN_SCN_RETENTION_TRAIL },
    { "dormant-admin-grant", GEN_SCN_DORMANT_ADMIN },
    { "observability-training", GEN_SCN_OBSERVABILITY_TRAINING },
    { "llm-jacking", GEN_SCN_LLM_JACKING },
};

/* The words an option takes, and what each means. */
typedef struct gen_choice {
    const char *name;
    int value;
} gen_choice;

static const gen_choice profiles[] = { { "default", GEN_PROFILE_DEFAULT },
                                       { "realistic", GEN_PROFILE_REALISTIC } };
static const gen_choice formats[] = { { "ndjson", GEN_FMT_NDJSON },
                                      { "zstd", GEN_FMT_ZSTD },
                                      { "s3", GEN_FMT_S3 } };

static void print_help(FILE *to)
{
    fputs("Usage: trailwarden gen [OPTIONS]\n"
          "\n"
          "Writes a synthetic CloudTrail trail: an estate of AI agents, pipelines, CI roles,\n"
          "console users, IAM users, Bedrock API keys, ML and monitoring roles, with optional\n"
          "injected scenarios. The same seed and options give byte-identical output.\n"
          "\n"
          "  -n, --records N      estate records (default 100000; k and M suffixes: 500k, 1M);\n"
          "                       scenario and near-miss records come on top\n"
          "      --identities N   estate identities (default 1000, at most 16M); each appears\n"
          "                       at least once when records >= identities\n"
          "      --seed S         seed (default 1)\n"
          "      --start ISO      first event time (default 2026-09-01T00:00:00Z)\n"
          "      --span DUR       event-time span: 90s, 15m, 24h, 30d (default 24h)\n"
          "      --scenario NAME  inject a scenario, repeatable or comma-separated:\n"
          "                         read-to-destructive  an agent reads for hours, then deletes\n"
          "                                              (expect agent-read-to-destructive)\n"
          "                         training-telemetry   a role fine-tunes a model, then reads\n"
          "                                              logs and metrics (expect\n"
          "                                              training-telemetry-combined)\n"
          "                         all                  every scenario\n"
          "      --format FMT     ndjson (default): one record a line\n"
          "                       zstd: the same, zstd-compressed\n"
          "                       s3: CloudTrail's layout under the -o directory,\n"
          "                         AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz,\n"
          "                         one {\"Records\":[...]} file a region and 5 minutes\n"
          "  -o, --output PATH    ndjson, zstd: a file, '-' or absent for stdout;\n"
          "                       s3: the directory (required)\n"
          "      --zstd-level N   1..22 (default 3)\n"
          "      --accounts N     AWS accounts the estate spreads over (default 1, at most 1000)\n"
          "      --profile P      default, or realistic: the routine of a real estate\n"
          "                       (below); its volume follows from --identities and --span,\n"
          "                       so -n does not apply\n"
          "      --truth FILE     realistic: write the injected drift and look-alikes there\n"
          "                       (NDJSON; the first line describes the estate)\n"
          "  -q, --quiet          no summary on stderr\n"
          "  -h, --help           this help\n"
          "\n"
          "With --profile realistic, --scenario names the drift to inject (default: all):\n"
          "  read-to-destructive     an AI agent reads SSE-KMS data for days, then deletes\n"
          "  retention-stops-trail   a log-retention job stops the CloudTrail trail\n"
          "  dormant-admin-grant     AdministratorAccess granted on day 1, used a week later\n"
          "  observability-training  a telemetry reader's first fine-tuning job\n"
          "  llm-jacking             a new identity enables Bedrock models, invokes days later\n"
          "  training-telemetry      first training and telemetry reads within hours\n"
          "  all, none               every scenario, or only the estate and its look-alikes\n"
          "\n"
          "From 1000 records on, the estate also holds near-misses that must not fire: an agent\n"
          "that reads then writes, a pipeline that writes and deletes every hour, a console user\n"
          "who deletes, training and telemetry by two different roles, and (with --span of 26h or\n"
          "more) training and telemetry more than 24h apart. The summary on stderr names every\n"
          "scripted identity, its time and the finding to expect.\n"
          "\n"
          "Exit status: 0 done, 1 I/O error, 2 usage error.\n",
          to);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("trailwarden gen: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'trailwarden gen --help'.\n", stderr);
    return 2;
}

/* A count with an optional k (thousand) or M (million) suffix, in [min, max]. */
static bool parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return false;
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1000, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1000000, end++;
    if (*end != '\0' || v > max / mul || v * mul < min)
        return false;
    *out = v * mul;
    return true;
}

static bool parse_choice(const char *s, const gen_choice *choices, size_t n, int *out)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, choices[i].name) == 0) {
            *out = choices[i].value;
            return true;
        }
    return false;
}

static bool parse_scenarios(const char *s, uint32_t *bits)
{
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        size_t i = 0;
        while (i < sizeof scenarios / sizeof scenarios[0] &&
               !(strlen(scenarios[i].name) == len && memcmp(scenarios[i].name, s, len) == 0))
            i++;
        if (i == sizeof scenarios / sizeof scenarios[0])
            return false;
        *bits |= scenarios[i].bit;
        s += len + (comma ? 1 : 0);
    }
    return true;
}

/* Applies one option; returns -1 to go on, else the exit status. */
static int apply_option(gen_opts *opt, int id, const char *name, const char *val)
{
    uint64_t v;
    switch (id) {
    case OPT_RECORDS:
        if (!parse_count(val, 0, UINT64_C(1) << 40, &opt->records))
            return usage_error("--records wants a count, not '%s'", val);
        opt->records_given = true;
        break;
    case OPT_IDENTITIES:
        if (!parse_count(val, 1, GEN_MAX_IDENTITIES, &v))
            return usage_error("--identities wants a count from 1 to 16M, not '%s'", val);
        opt->identities = (uint32_t)v;
        break;
    case OPT_SEED:
        if (!parse_count(val, 0, UINT64_MAX, &opt->seed))
            return usage_error("--seed wants a number, not '%s'", val);
        break;
    case OPT_START:
        if (tw_time_parse_iso(val, strlen(val), &opt->start_ms) != TW_OK || opt->start_ms < 0)
            return usage_error("--start wants a time like 2026-09-01T00:00:00Z, not '%s'", val);
        break;
    case OPT_SPAN:
        if (tw_time_parse_duration(val, &opt->span_ms) != TW_OK || opt->span_ms < TW_MS_SECOND ||
            opt->span_ms > 3650 * TW_MS_DAY)
            return usage_error("--span wants a duration like 90s, 15m, 24h or 30d, not '%s'", val);
        break;
    case OPT_SCENARIO:
        if (!parse_scenarios(val, &opt->scenarios))
            return usage_error("unknown scenario '%s' (read-to-destructive, training-telemetry, "
                               "all; with --profile realistic also retention-stops-trail, "
                               "dormant-admin-grant, observability-training, llm-jacking, none)",
                               val);
        opt->scenarios_given = true;
        break;
    case OPT_PROFILE:
        if (!parse_choice(val, profiles, GEN_N_OF(profiles), &opt->profile))
            return usage_error("--profile is default or realistic, not '%s'", val);
        break;
    case OPT_TRUTH:
        opt->truth = val;
        break;
    case OPT_FORMAT:
        if (!parse_choice(val, formats, GEN_N_OF(formats), &opt->format))
            return usage_error("--format is ndjson, zstd or s3, not '%s'", val);
        break;
    case OPT_OUTPUT:
        opt->out = val;
        break;
    case OPT_ZSTD_LEVEL:
        if (!parse_count(val, 1, (uint64_t)ZSTD_maxCLevel(), &v))
            return usage_error("--zstd-level wants 1 to 22, not '%s'", val);
        opt->zstd_level = (int)v;
        break;
    case OPT_ACCOUNTS:
        if (!parse_count(val, 1, GEN_MAX_ACCOUNTS, &v))
            return usage_error("--accounts wants 1 to 1000, not '%s'", val);
        opt->accounts = (uint32_t)v;
        break;
    case OPT_QUIET:
        opt->quiet = true;
        break;
    case OPT_HELP:
        print_help(stdout);
        return 0;
    default:
        return usage_error("unknown option '%s'", name);
    }
    return -1;
}

static const struct gen_option *find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (strlen(options[i].long_name) == len && memcmp(options[i].long_name, name, len) == 0)
            return &options[i];
    return NULL;
}

static const struct gen_option *find_short(char c)
{
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (options[i].short_name && options[i].short_name == c)
            return &options[i];
    return NULL;
}

/* Parses argv into opt; returns -1 to run, else the exit status. */
static int parse_args(int argc, char **argv, gen_opts *opt)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        const struct gen_option *o;
        if (arg[0] == '-' && arg[1] == '-' && arg[2]) {
            const char *eq = strchr(arg + 2, '=');
            size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
            o = find_long(arg + 2, len);
            if (!o)
                return usage_error("unknown option '%s'", arg);
            if (eq && !o->has_arg)
                return usage_error("option '%s' takes no value", arg);
            val = eq ? eq + 1 : NULL;
        } else if (arg[0] == '-' && arg[1] && arg[1] != '-') {
            o = find_short(arg[1]);
            if (!o)
                return usage_error("unknown option '%s'", arg);
            if (arg[2]) {
                if (!o->has_arg)
                    return usage_error("option '%s' takes no value", arg);
                val = arg + 2;
            }
        } else {
            return usage_error("unexpected argument '%s'", arg);
        }
        if (o->has_arg && !val) {
            if (i + 1 >= argc)
                return usage_error("option '%s' needs a value", arg);
            val = argv[++i];
        }
        int rc = apply_option(opt, o->id, arg, val);
        if (rc >= 0)
            return rc;
    }
    if (opt->profile == GEN_PROFILE_REALISTIC) {
        if (opt->records_given)
            return usage_error("%s", "-n/--records does not apply to --profile realistic: its "
                                     "volume follows from --identities and --span");
        if (!opt->scenarios_given || (opt->scenarios & GEN_SCN_ALL_ASKED))
            opt->scenarios = GEN_SCN_REAL_ALL;
    } else {
        if (opt->truth)
            return usage_error("%s", "--truth needs --profile realistic");
        if (opt->scenarios & ~(GEN_SCN_ALL | GEN_SCN_ALL_ASKED))
            return usage_error("%s", "that scenario needs --profile realistic");
        if (opt->scenarios & GEN_SCN_ALL_ASKED)
            opt->scenarios = GEN_SCN_ALL;
    }
    bool to_stdout = !opt->out || strcmp(opt->out, "-") == 0;
    if (opt->format == GEN_FMT_S3 && to_stdout)
        return usage_error("%s", "--format s3 writes a directory tree: give it with -o DIR");
    if (opt->format == GEN_FMT_ZSTD && to_stdout && isatty(STDOUT_FILENO))
        return usage_error("%s", "not writing zstd to a terminal: use -o FILE or a pipe");
    return -1;
}

int tw_gen_main(int argc, char **argv)
{
    gen_opts opt = {
        .records = 100000,
        .identities = 1000,
        .seed = 1,
        .span_ms = 24 * TW_MS_HOUR,
        .format = GEN_FMT_NDJSON,
        .zstd_level = 3,
        .accounts = 1,
    };
    tw_time_parse_iso("2026-09-01T00:00:00Z", 20, &opt.start_ms);
    int rc = parse_args(argc, argv, &opt);
    if (rc >= 0)
        return rc;
    return opt.profile == GEN_PROFILE_REALISTIC ? gen_real_run(&opt) : gen_run(&opt);
}
