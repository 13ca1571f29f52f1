/* app_state_cmd: `trailwarden state`, identity state between a --state-dir and a changelog
 * (consume --state-topic): the same state records both ways (app_checkpoint.h).
 *
 *   export: a replay's (or consume's) DIR/checkpoint into a changelog topic, each record keyed
 *           by identity key to the partition the producer's partitioner gives the key, which is
 *           the partition route gives that identity's records: a changelog seeded from months
 *           of archived trails before consume takes over.
 *   import: a changelog's partitions (all, or those named) into DIR/checkpoint, the newest
 *           record of each key (a tombstone removes it), for replay --state-dir or a look. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "app_changelog.h"
#include "app_checkpoint.h"
#include "tw_log.h"
#include "tw_time.h"

#define STATE_TIMEOUT_MS 60000 /* how long the brokers may take to answer first */

static void state_usage(FILE *out)
{
    fputs("usage: trailwarden state export --state-dir DIR -o kafka:TOPIC[@BROKERS] [-b BROKERS]\n"
          "                                [-X prop=value]...\n"
          "       trailwarden state import -b BROKERS --state-topic TOPIC --state-dir DIR\n"
          "                                [--partition N]... [-X prop=value]...\n"
          "\n"
          "Moves identity state between a --state-dir checkpoint (replay's, consume's) and a\n"
          "changelog topic (consume --state-topic): the same records both ways.\n"
          "\n"
          "  export   each identity of DIR/checkpoint to TOPIC, keyed by identity key, in the\n"
          "           partition route gives that identity's records (the producer's\n"
          "           partitioner: give export the -X partitioner route had, if any); seeds a\n"
          "           changelog from a replay of archived trails\n"
          "  import   TOPIC's partitions (all, or each --partition N) into DIR/checkpoint: the\n"
          "           newest record of each identity; replay --state-dir DIR starts from it\n"
          "\n"
          "  -b, --brokers LIST     bootstrap servers, host:port[,host:port...]\n"
          "  -X name=value          repeatable: any librdkafka property (SASL, SSL)\n"
          "      --state-dir DIR    the checkpoint's directory\n"
          "      --state-topic T    import: the changelog\n"
          "  -o, --output SPEC      export: kafka:TOPIC[@BROKERS]\n"
          "      --partition N      import: this partition only (repeatable)\n"
          "  -q, -h/--help\n"
          "\n"
          "The grant book and audit destinations of a checkpoint are not records: they stay in\n"
          "DIR. Exit status: 0 done; 1 the brokers or the checkpoint failed; 2 usage.\n",
          out);
}

static int state_usage_error(const char *msg, const char *arg)
{
    tw_log(msg, arg);
    fputs("Try 'trailwarden state --help'.\n", stderr);
    return TW_EXIT_USAGE;
}

/* The topic's writer and reader, or the exit status of the failure (said). */
static int open_topic(const char *brokers, const char *const *props, size_t n_props,
                      const char *topic, int *n_partitions, tw_changelog **cl)
{
    char errstr[768];
    tw_err err = tw_changelog_open_tool(brokers, props, n_props, topic, STATE_TIMEOUT_MS,
                                        n_partitions, cl, errstr, sizeof errstr);
    if (!err)
        return TW_EXIT_OK;
    tw_log("%s", errstr);
    return err == TW_ERR_IO ? TW_EXIT_INPUT : TW_EXIT_USAGE;
}

/* ---- export -------------------------------------------------------------------------- */

typedef struct export_ctx {
    tw_changelog *cl;
    uint64_t n, refused;
} export_ctx;

static tw_err export_one(void *ud, const tw_ckpt_rec *rec)
{
    export_ctx *x = ud;
    if (!rec->has_value)
        return TW_OK;
    if (tw_changelog_put(x->cl, -1, rec->key, rec->value.p, rec->value.len))
        x->n++;
    else
        x->refused++;
    return TW_OK;
}

static int state_export(const char *dir, const char *output, const char *brokers,
                        const char *const *props, size_t n_props, bool quiet)
{
    if (strncmp(output, "kafka:", 6) != 0)
        return state_usage_error("state export writes to kafka:TOPIC[@BROKERS], not '%s'", output);
    char topic[256];
    const char *spec = output + 6, *at = strchr(spec, '@');
    size_t len = at ? (size_t)(at - spec) : strlen(spec);
    if (!len || len >= sizeof topic)
        return state_usage_error("state export: '%s' names no topic", output);
    memcpy(topic, spec, len);
    topic[len] = '\0';
    if (at)
        brokers = at + 1;
    if (!brokers || !*brokers)
        return state_usage_error("state export %s: no brokers (kafka:TOPIC@BROKERS or -b)", output);
    char errstr[768];
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    if (access(path, R_OK) != 0) { /* said before any broker is asked */
        tw_log("--state-dir %s: %s", path, strerror(errno));
        return TW_EXIT_INPUT;
    }
    int n_partitions = 0;
    tw_changelog *cl = NULL;
    int rc = open_topic(brokers, props, n_props, topic, &n_partitions, &cl);
    if (rc != TW_EXIT_OK)
        return rc;
    export_ctx x = { cl, 0, 0 };
    uint64_t fingerprint = 0;
    tw_err err = tw_ckpt_each_record(dir, export_one, &x, &fingerprint, errstr, sizeof errstr);
    char ferr[512];
    tw_err flushed = tw_changelog_flush(cl, ferr, sizeof ferr);
    tw_changelog_destroy(cl);
    if (err) {
        tw_log("%s", errstr);
        return TW_EXIT_INPUT;
    }
    if (flushed) {
        tw_log("%s", ferr);
        return TW_EXIT_INPUT;
    }
    if (!quiet)
        tw_log("state export: %" PRIu64 " identities from %s/checkpoint to %s (%d partitions)%s",
               x.n, dir, topic, n_partitions, x.refused ? "; some refused (said above)" : "");
    return x.refused ? TW_EXIT_INPUT : TW_EXIT_OK;
}

/* ---- import -------------------------------------------------------------------------- */

typedef struct imported {
    tw_ckpt_rec rec;
    uint64_t order;
} imported;

static int by_key_then_order(const void *a, const void *b)
{
    const imported *x = a, *y = b;
    size_t n = x->rec.key.len < y->rec.key.len ? x->rec.key.len : y->rec.key.len;
    int c = memcmp(x->rec.key.p, y->rec.key.p, n);
    if (c)
        return c;
    if (x->rec.key.len != y->rec.key.len)
        return x->rec.key.len < y->rec.key.len ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static uint64_t fingerprint_of(const tw_ckpt_rec *rec)
{
    uint64_t fp = 0;
    if (rec->has_value && rec->value.len >= 12)
        memcpy(&fp, rec->value.p + 4, 8);
    return fp;
}

static int state_import(const char *dir, const char *topic, const char *brokers,
                        const char *const *props, size_t n_props, const int32_t *only,
                        size_t n_only, bool quiet)
{
    if (!brokers)
        return state_usage_error("%s", "state import needs -b BROKERS");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        tw_log("--state-dir %s: %s", dir, strerror(errno));
        return TW_EXIT_USAGE;
    }
    char errstr[768];
    int n_partitions = 0;
    tw_changelog *cl = NULL;
    int rc = open_topic(brokers, props, n_props, topic, &n_partitions, &cl);
    if (rc != TW_EXIT_OK)
        return rc;
    for (size_t i = 0; i < n_only; i++)
        if (only[i] >= n_partitions) {
            tw_log("--partition %" PRId32 ": %s has %d partitions (0 to %d)", only[i], topic,
                   n_partitions, n_partitions - 1);
            tw_changelog_destroy(cl);
            return TW_EXIT_USAGE;
        }
    size_t n_read = n_only ? n_only : (size_t)n_partitions;
    tw_restored *parts = calloc(n_read, sizeof *parts);
    rc = parts ? TW_EXIT_OK : TW_EXIT_INPUT;
    uint64_t total = 0, damaged = 0;
    for (size_t i = 0; parts && i < n_read; i++) {
        tw_changelog_read(cl, n_only ? only[i] : (int32_t)i, &parts[i]);
        total += parts[i].n_records;
        damaged += parts[i].damaged;
        if (parts[i].failed)
            rc = TW_EXIT_INPUT;
    }
    tw_changelog_destroy(cl);
    /* every record in order, then the newest of each key */
    imported *v = total ? calloc(total, sizeof *v) : NULL;
    size_t n = 0;
    for (size_t i = 0; parts && (v || !total) && i < n_read; i++) {
        tw_wire_reader r = { (const unsigned char *)parts[i].records.p,
                             (const unsigned char *)parts[i].records.p + parts[i].records.len,
                             false };
        while (r.p < r.end && n < total && tw_ckpt_get_rec(&r, &v[n].rec)) {
            v[n].order = n;
            n++;
        }
    }
    if (n)
        qsort(v, n, sizeof *v, by_key_then_order);
    tw_buf shard;
    tw_buf_init(&shard);
    tw_wire_u64(&shard, 0);
    uint64_t kept = 0, foreign = 0, fingerprint = 0;
    for (size_t i = 0; i < n; i++) {
        bool newest = i + 1 == n || v[i + 1].rec.key.len != v[i].rec.key.len ||
                      memcmp(v[i + 1].rec.key.p, v[i].rec.key.p, v[i].rec.key.len) != 0;
        if (!newest || !v[i].rec.has_value)
            continue;
        if (v[i].rec.key.len && v[i].rec.key.p[0] == '\0')
            continue; /* a stream detector's part (audit destinations): not an identity */
        uint64_t fp = fingerprint_of(&v[i].rec);
        if (!kept && !foreign)
            fingerprint = fp;
        if (fp != fingerprint) { /* one meaning a file: the first one's */
            foreign++;
            continue;
        }
        tw_ckpt_put_rec(&shard, &v[i].rec);
        kept++;
    }
    if (!shard.failed)
        memcpy(shard.p, &kept, sizeof kept);
    tw_buf *shards[1] = { &shard };
    tw_err err = (total && !v) || !parts || shard.failed
                     ? TW_ERR_NOMEM
                     : tw_ckpt_write(dir, fingerprint, INT64_MIN, NULL, 0, NULL, shards, 1, errstr,
                                     sizeof errstr);
    if (err) {
        tw_log("%s", err == TW_ERR_NOMEM ? "state import: out of memory" : errstr);
        rc = TW_EXIT_INPUT;
    } else if (!quiet) {
        tw_log("state import: %" PRIu64 " identities from %" PRIu64 " records of %s into "
               "%s/checkpoint%s",
               kept, total, topic, dir, damaged ? " (records not state records: skipped)" : "");
    }
    if (foreign)
        tw_log("state import: %" PRIu64 " identities written with other rules or another build "
               "than the first were left out",
               foreign);
    tw_buf_free(&shard);
    free(v);
    for (size_t i = 0; parts && i < n_read; i++)
        tw_buf_free(&parts[i].records);
    free(parts);
    return rc;
}

int tw_app_state(int argc, char **argv)
{
    enum { OPT_STATE_DIR = 256, OPT_STATE_TOPIC, OPT_PARTITION };
    static const struct option opts[] = {
        { "brokers", required_argument, NULL, 'b' },
        { "output", required_argument, NULL, 'o' },
        { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "state-topic", required_argument, NULL, OPT_STATE_TOPIC },
        { "partition", required_argument, NULL, OPT_PARTITION },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        state_usage(stdout);
        return TW_EXIT_OK;
    }
    if (argc < 2 || (strcmp(argv[1], "export") && strcmp(argv[1], "import"))) {
        state_usage(stderr);
        return TW_EXIT_USAGE;
    }
    bool export = !strcmp(argv[1], "export");
    const char *brokers = NULL, *output = NULL, *dir = NULL, *topic = NULL;
    const char **props = NULL;
    size_t n_props = 0;
    int32_t only[256];
    size_t n_only = 0;
    bool quiet = false;
    int rc = TW_EXIT_OK;
    optind = 1;
    opterr = 0;
    int c;
    while (rc == TW_EXIT_OK &&
           (c = getopt_long(argc - 1, argv + 1, ":b:o:X:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            brokers = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'X':
            if (!strchr(optarg, '=') || optarg[0] == '=')
                rc = state_usage_error("-X needs name=value, not '%s'", optarg);
            else if (tw_app_push(&props, &n_props, optarg))
                rc = state_usage_error("%s", "out of memory");
            break;
        case OPT_STATE_DIR:
            dir = optarg;
            break;
        case OPT_STATE_TOPIC:
            topic = optarg;
            break;
        case OPT_PARTITION: {
            char *end;
            long p = strtol(optarg, &end, 10);
            if (*end || end == optarg || p < 0 || p > INT32_MAX)
                rc = state_usage_error("--partition needs a partition number, not '%s'", optarg);
            else if (n_only == sizeof only / sizeof only[0])
                rc = state_usage_error("%s", "--partition: at most 256");
            else
                only[n_only++] = (int32_t)p;
            break;
        }
        case 'q':
            quiet = true;
            break;
        case 'h':
            state_usage(stdout);
            free(props);
            return TW_EXIT_OK;
        case ':':
            rc = state_usage_error("option '%s' needs a value", argv[optind]);
            break;
        default:
            rc = state_usage_error("unknown option '%s'", argv[optind]);
            break;
        }
    }
    if (rc == TW_EXIT_OK && optind + 1 < argc)
        rc = state_usage_error("state takes no argument '%s'", argv[optind + 1]);
    if (rc == TW_EXIT_OK && !dir)
        rc = state_usage_error("%s", "state needs --state-dir DIR");
    if (rc == TW_EXIT_OK && export && !output)
        rc = state_usage_error("%s", "state export needs -o kafka:TOPIC[@BROKERS]");
    if (rc == TW_EXIT_OK && !export && !topic)
        rc = state_usage_error("%s", "state import needs --state-topic TOPIC");
    if (rc == TW_EXIT_OK)
        rc = export ? state_export(dir, output, brokers, props, n_props, quiet)
                    : state_import(dir, topic, brokers, props, n_props, only, n_only, quiet);
    free(props);
    return rc;
}
