/* app_route: `trailwarden route`, stateless re-partitioning for scale-out (issue 5 item 8).
 *
 * A `consume` instance keeps each identity's state, so several instances in one group find
 * each finding once only if every record of an identity reaches one partition. CloudTrail
 * producers do not key their messages that way (and a {"Records":[...]} body or a CloudWatch
 * Logs batch mixes identities), so route reads any format consume accepts and writes ONE
 * message per CloudTrail record: the value is the record's own JSON text (the span the parser
 * gives, made one line), the key its identity key, computed by the same parser and normalizer
 * as the pipeline (tw_parser_run and tw_normalize, through the parser's event hook), so the
 * producer's partitioner puts every record of an identity in one partition. Records the
 * pipeline would reject are counted and named, not forwarded; Insights events (no API call)
 * are counted as skipped.
 *
 * At-least-once, like consume: a consumer group member (cooperative-sticky unless -X says
 * otherwise) with enable.auto.offset.store=false. A message's offset is stored only after every
 * record it held was written and the sink flushed (at most every STORE_EVERY_MS, on revocation
 * and at the end); librdkafka commits stored offsets. A crash re-routes, never loses.
 *
 * Why one thread: per record the work is one simdjson parse, the identity key, and a copy into
 * librdkafka's queue; the network I/O of both the consumer and the producer runs on librdkafka's
 * own threads. One loop keeps the bookkeeping exact for free: when poll returns (and when the
 * rebalance callback runs inside poll) every earlier message is wholly handed to the sink, so
 * "flush, then store what was polled" is correct with no log of chunks in flight. Scale-out is
 * by running more route instances in the group (the RAW topic's partition count bounds it). */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "tw_time.h"
#include "schema_catalog.h"
#include "ingest_normalize.h"
#include "ingest_parse.h"
#include "ingest_source_kafka.h"
#include "grants_parse.h"
#include "tw_kafka_conf.h"
#include "tw_buf.h"
#include "tw_log.h"

#define STORE_EVERY_MS 200 /* the sink flushed and offsets stored at most this often */
#define PROBLEMS_SHOWN 20  /* problems named on stderr without -v */
#define RETRY_SLEEP_NS 1000000L
#define BROKER_TIMEOUT_AT_END_MS 60000 /* --broker-timeout's default with --exit-at-end */

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stats_requested;

typedef struct route_conf {
    const char *brokers;
    const char **topics;
    size_t n_topics;
    const char *group;
    const char **props; /* -X name=value, as given */
    size_t n_props;
    const char *output;
    const char **paths; /* files mode */
    size_t n_paths;
    bool exit_at_end;
    int64_t broker_timeout_ms; /* --broker-timeout (-1: not given) */
    bool stats;
    int verbosity; /* -1 quiet, 0 normal, 1 verbose */
} route_conf;

/* What route keeps of a partition, by the source's index of it. */
typedef struct rpart {
    int64_t written; /* highest offset whose records are all handed to the sink */
    int64_t stored;  /* highest offset stored for commit */
} rpart;

typedef struct out_rec {
    size_t key_off, val_off;
    uint32_t key_len;
    size_t val_len;  /* with its newline */
    bool grant_call; /* a copy goes to every partition too (tw_grants_is_grant_call) */
} out_rec;

typedef struct route_counts {
    uint64_t messages, bytes, records, written, skipped, rejected, no_span, problems, shown;
    uint64_t grant_copies, copies_passed; /* grant calls copied; copies read, not routed */
    uint64_t rejected_by[TW_REJ_COUNT_];
    uint64_t input_problems, retries;
} route_counts;

typedef struct route_ctx {
    const route_conf *rc;
    tw_catalog *cat;
    tw_normalize_conf nconf;
    tw_parser *ps;
    tw_batch *batch;
    tw_chunk *chunk; /* reused for each message value */
    tw_sink sink;
    bool sink_open;
    /* the records of the value being routed: keys and values in out */
    tw_buf out;
    out_rec *recs;
    size_t n_recs, cap_recs;
    bool oom;
    tw_source *src; /* the Kafka source (-t), or the files */
    /* Kafka mode */
    rpart *parts;
    uint32_t n_parts, cap_parts;
    uint32_t last_pi; /* the partition of the last message, its topic and number */
    const char *last_topic;
    int32_t last_partition;
    double last_store;
    bool failed;         /* the sink or the consumer failed: exit 1 */
    bool stopped_midway; /* a signal while the sink's queue was full */
    double started;
    double first_at; /* the first message (Kafka) or the start (files) */
    route_counts n;
} route_ctx;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        stats_requested = 1;
    else
        stop_requested = 1;
}

/* ---- the command line ------------------------------------------------------------------- */

static void route_usage(FILE *o)
{
    fputs(
        "usage: trailwarden route -b BROKERS -t RAW[,RAW...] [-G GROUP] [-X prop=value]...\n"
        "                         -o kafka:KEYED[@BROKERS] [--exit-at-end] [--broker-timeout DUR]\n"
        "                         [--stats] [-q|-v]\n"
        "       trailwarden route [-b BROKERS] [-X prop=value]... -o kafka:KEYED[@BROKERS] "
        "PATH...\n"
        "\n"
        "Re-partitions CloudTrail for scale-out: reads anything replay and consume accept (one\n"
        "record, an EventBridge envelope, a {\"Records\":[...]} body, a CloudWatch Logs batch,\n"
        "gzip or zstd) and writes one message per record to KEYED: the record's JSON as its\n"
        "value, its identity key as the key, so each identity's records share one partition\n"
        "and `consume` instances in one group each see whole identities. An IAM call that\n"
        "grants or revokes is also copied to every partition of a kafka: output (header\n"
        "trailwarden-copy: grants), for the grant books of `consume --state-topic`.\n"
        "\n"
        "  -b, --brokers LIST     bootstrap servers, host:port[,host:port...]\n"
        "  -t, --topic LIST       topics to read, comma-separated (repeatable)\n"
        "  -G, --group ID         consumer group (default trailwarden-route)\n"
        "  -X name=value          repeatable: any librdkafka property, for the consumer and the\n"
        "                         producer of -o kafka:\n"
        "  -o, --output SPEC      kafka:TOPIC[@BROKERS] (or file:PATH, stdout: one record a line)\n"
        "      --exit-at-end      stop once every assigned partition has been read to its end\n"
        "      --broker-timeout DUR\n"
        "                         give up (exit 1) when no broker has answered this long\n"
        "                         (default 60s with --exit-at-end, else 0: wait forever)\n"
        "      --stats            a summary on stderr at the end (and on SIGUSR1)\n"
        "  -q, --quiet            no per-record problems (counts stay)\n"
        "  -v, --verbose          every problem, not only the first 20\n"
        "  PATH...                files or directories ('-' is stdin) instead of -t\n"
        "\n"
        "At-least-once: a message's offset is committed only after its records are written and\n"
        "the output flushed. SIGTERM/SIGINT: stop, flush, commit, leave the group, exit 0.\n"
        "Exit status: 0 ran to the end (records that do not parse are counted and skipped);\n"
        "1 the output or the consumer failed (no broker answered within --broker-timeout, too),\n"
        "or (PATH mode) some input had problems; 2 usage.\n",
        o);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "trailwarden route: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\ntry 'trailwarden route --help'\n");
    return TW_EXIT_USAGE;
}

/* Splits "a,b,c" (argv's own storage) into topics. */
static int push_topics(route_conf *rc, char *list)
{
    char *p = list;
    while (p) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p && tw_app_push(&rc->topics, &rc->n_topics, p))
            return -1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

/* TW_EXIT_OK to run, -1 after --help, else the exit status. */
static int parse_route(int argc, char **argv, route_conf *rc)
{
    enum { OPT_EXIT_AT_END = 256, OPT_STATS, OPT_BROKER_TIMEOUT };
    static const struct option opts[] = {
        { "brokers", required_argument, NULL, 'b' },
        { "topic", required_argument, NULL, 't' },
        { "group", required_argument, NULL, 'G' },
        { "output", required_argument, NULL, 'o' },
        { "exit-at-end", no_argument, NULL, OPT_EXIT_AT_END },
        { "broker-timeout", required_argument, NULL, OPT_BROKER_TIMEOUT },
        { "stats", no_argument, NULL, OPT_STATS },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    memset(rc, 0, sizeof *rc);
    rc->group = "trailwarden-route";
    rc->broker_timeout_ms = -1;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":b:t:G:X:o:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            rc->brokers = optarg;
            break;
        case 'G':
            rc->group = optarg;
            break;
        case 't':
            if (push_topics(rc, optarg))
                return usage_error("%s", "out of memory");
            break;
        case 'X':
            if (!strchr(optarg, '=') || optarg[0] == '=')
                return usage_error("-X needs name=value, not '%s'", optarg);
            if (tw_app_push(&rc->props, &rc->n_props, optarg))
                return usage_error("%s", "out of memory");
            break;
        case 'o':
            if (rc->output)
                return usage_error("route writes to one output; a second -o '%s'", optarg);
            rc->output = optarg;
            break;
        case OPT_EXIT_AT_END:
            rc->exit_at_end = true;
            break;
        case OPT_BROKER_TIMEOUT:
            if (tw_time_parse_duration(optarg, &rc->broker_timeout_ms) != TW_OK ||
                rc->broker_timeout_ms < 0)
                return usage_error("--broker-timeout needs a duration like 30s or 2m (0: wait "
                                   "forever), not '%s'",
                                   optarg);
            break;
        case OPT_STATS:
            rc->stats = true;
            break;
        case 'q':
            rc->verbosity = -1;
            break;
        case 'v':
            rc->verbosity = 1;
            break;
        case 'h':
            route_usage(stdout);
            return -1;
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    for (int i = optind; i < argc; i++)
        if (tw_app_push(&rc->paths, &rc->n_paths, argv[i]))
            return usage_error("%s", "out of memory");
    if (!rc->output)
        return usage_error("%s", "route needs -o kafka:TOPIC[@BROKERS]");
    if (rc->n_topics && rc->n_paths)
        return usage_error("route reads either topics (-t) or files, not both ('%s')",
                           rc->paths[0]);
    if (!rc->n_topics && !rc->n_paths)
        return usage_error("%s", "route needs -t TOPIC[,TOPIC...] or PATH...");
    if (rc->n_topics && !rc->brokers)
        return usage_error("%s", "route needs -b BROKERS (host:port[,host:port...]) to read -t");
    if (rc->n_paths && rc->exit_at_end)
        return usage_error("%s", "--exit-at-end is for topics (-t); files end by themselves");
    if (rc->n_paths && rc->broker_timeout_ms >= 0)
        return usage_error("%s", "--broker-timeout is for topics (-t); files need no broker");
    return TW_EXIT_OK;
}

static void route_conf_free(route_conf *rc)
{
    free(rc->topics);
    free(rc->props);
    free(rc->paths);
}

/* ---- routing one value ------------------------------------------------------------------ */

/* The parser's event hook: a record the pipeline accepts, with its identity key (ev) and its
 * own JSON text (rec->raw). Both are copied: they live only during the callback. */
static void on_event(void *ud, tw_event *ev, const tw_raw_record *rec, tw_json *js, tw_arena *arena)
{
    (void)js;
    (void)arena;
    route_ctx *rt = ud;
    if (!rec->raw.len) { /* the parser found no '{'...'}' span: cannot forward it */
        rt->n.no_span++;
        return;
    }
    if (rt->n_recs == rt->cap_recs) {
        size_t cap = rt->cap_recs ? rt->cap_recs * 2 : 256;
        out_rec *v = realloc(rt->recs, cap * sizeof *v);
        if (!v) {
            rt->oom = true;
            return;
        }
        rt->recs = v;
        rt->cap_recs = cap;
    }
    out_rec *r = &rt->recs[rt->n_recs++];
    r->key_off = rt->out.len;
    r->key_len = ev->identity.len;
    r->grant_call = tw_grants_is_grant_call(ev); /* copied if the output has partitions */
    tw_buf_put(&rt->out, ev->identity.p, ev->identity.len);
    r->val_off = rt->out.len;
    r->val_len = (size_t)rec->raw.len + 1;
    if (!tw_buf_reserve(&rt->out, r->val_len)) {
        rt->oom = true;
        rt->n_recs--;
        return;
    }
    /* one line: a raw CR or LF in valid JSON is whitespace between tokens (inside a string
     * they must be escaped), so a pretty-printed record becomes one line unchanged */
    char *dst = rt->out.p + rt->out.len;
    memcpy(dst, rec->raw.p, rec->raw.len);
    for (char *p = dst, *end = dst + rec->raw.len; p < end; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    dst[rec->raw.len] = '\n';
    rt->out.len += r->val_len;
}

/* Names a problem on stderr (within the -q/-v limits). */
static void show_problem(route_ctx *rt, const char *where, const char *text)
{
    rt->n.problems++;
    if (rt->rc->verbosity < 0 || (rt->rc->verbosity == 0 && rt->n.shown >= PROBLEMS_SHOWN))
        return;
    rt->n.shown++;
    tw_log("route: %s: %s", where, text);
}

typedef enum write_rc { WRITE_OK, WRITE_FAILED, WRITE_STOPPED } write_rc;

/* Writes one record keyed by its identity key; to_all: a copy to every partition instead. */
static write_rc write_record(route_ctx *rt, tw_str key, const char *val, size_t len, bool to_all)
{
    for (;;) {
        tw_sink_rc src = to_all ? tw_sink_write_all(&rt->sink, TW_KAFKA_COPY_HEADER,
                                                    TW_KAFKA_COPY_GRANTS, val, len)
                                : tw_sink_write_keyed(&rt->sink, key, val, len);
        if (src == TW_SINK_OK)
            return WRITE_OK;
        if (src == TW_SINK_ERROR)
            return WRITE_FAILED;
        /* RETRY: the producer's queue is full; its delivery reports (served by write) free it.
         * A signal meanwhile gives up on this value: its offset is not stored, it is routed
         * again by whoever reads the partition next. */
        if (stop_requested)
            return WRITE_STOPPED;
        rt->n.retries++;
        nanosleep(&(struct timespec){ 0, RETRY_SLEEP_NS }, NULL);
    }
}

/* Parses one chunk (a message value, or a piece of a file) and writes its records. where
 * names it in problems. */
static write_rc route_chunk(route_ctx *rt, tw_chunk *chunk, const char *where)
{
    tw_batch *batch = rt->batch;
    tw_batch_reset(batch);
    rt->n_recs = 0;
    tw_buf_reset(&rt->out);
    rt->oom = false;
    tw_parser_run(rt->ps, chunk, batch);
    const tw_batch_counts *c = &batch->counts;
    rt->n.records += c->records;
    rt->n.skipped += c->skipped;
    for (int i = 0; i < TW_REJ_COUNT_; i++) {
        rt->n.rejected += c->rejected[i];
        rt->n.rejected_by[i] += c->rejected[i];
        rt->n.input_problems += c->input_problems[i];
    }
    for (uint32_t i = 0; i < batch->problems.n; i++)
        show_problem(rt, where, batch->problems.v[i].text ? batch->problems.v[i].text : "");
    if (rt->oom || rt->out.failed) {
        tw_log("route: %s: out of memory", where);
        return WRITE_FAILED;
    }
    for (size_t i = 0; i < rt->n_recs; i++) {
        const out_rec *r = &rt->recs[i];
        tw_str key = { rt->out.p + r->key_off, r->key_len };
        write_rc wr = write_record(rt, key, rt->out.p + r->val_off, r->val_len, false);
        if (wr != WRITE_OK)
            return wr;
        rt->n.written++;
        /* a grant call: after it, a copy in every partition, so that each partition's grant
         * book (consume --state-topic) sees it in order with its own identities' calls */
        if (r->grant_call && tw_sink_partitioned(&rt->sink)) {
            if ((wr = write_record(rt, key, rt->out.p + r->val_off, r->val_len, true)) != WRITE_OK)
                return wr;
            rt->n.grant_copies++;
        }
    }
    return WRITE_OK;
}

/* Routes a value held in memory: a line goes straight to the parser; anything else (several
 * lines, a pretty-printed document, gzip, zstd) is decompressed and split by it first. */
static write_rc route_value(route_ctx *rt, const char *v, size_t len, bool one_line,
                            const char *where)
{
    tw_chunk *chunk = rt->chunk;
    if (chunk->cap < len + TW_JSON_PADDING) {
        char *buf = realloc(chunk->buf, len + TW_JSON_PADDING);
        if (!buf) {
            tw_log("route: %s: out of memory", where);
            return WRITE_FAILED;
        }
        chunk->buf = buf;
        chunk->cap = len + TW_JSON_PADDING;
    }
    TW_SOURCE_READS_BEGIN();
    memcpy(chunk->buf, v, len);
    TW_SOURCE_READS_END();
    memset(chunk->buf + len, ' ', TW_JSON_PADDING);
    chunk->len = len;
    chunk->input = 0;
    chunk->seq = 0;
    chunk->first_line = 1;
    chunk->offset = 0;
    chunk->document = false;
    chunk->last = true;
    chunk->whole_input = !one_line;
    return route_chunk(rt, chunk, where);
}

/* ---- Kafka: partitions, offsets, the group ---------------------------------------------- */

/* What route keeps of the source's partition pi, made if new (NULL: out of memory). */
static rpart *part_at(route_ctx *rt, uint32_t pi)
{
    if (pi >= rt->cap_parts) {
        uint32_t cap = rt->cap_parts ? rt->cap_parts * 2 : 16;
        while (cap <= pi)
            cap *= 2;
        rpart *v = realloc(rt->parts, cap * sizeof *v);
        if (!v)
            return NULL;
        rt->parts = v;
        rt->cap_parts = cap;
    }
    for (; rt->n_parts <= pi; rt->n_parts++)
        rt->parts[rt->n_parts] = (rpart){ -1, -1 };
    return &rt->parts[pi];
}

/* Flushes the sink, then stores for commit the offsets of the messages wholly written.
 * force: now; else at most every STORE_EVERY_MS. False if the sink failed. */
static bool store_offsets(route_ctx *rt, bool force)
{
    double t = tw_now_s();
    if (!force && t - rt->last_store < STORE_EVERY_MS / 1000.0)
        return true;
    rt->last_store = t;
    bool pending = false;
    for (uint32_t i = 0; i < rt->n_parts && !pending; i++)
        pending =
            rt->parts[i].written > rt->parts[i].stored && tw_source_kafka_assigned(rt->src, i);
    if (!pending)
        return true;
    /* the records must be durable on KEYED before their source offsets may be committed */
    if (tw_sink_flush(&rt->sink) != TW_SINK_OK) {
        tw_log("route: output %s: flush failed: %s; offsets not committed", rt->sink.spec,
               tw_sink_error(&rt->sink));
        rt->failed = true;
        return false;
    }
    tw_source_pos *done = malloc(rt->n_parts * sizeof *done);
    if (!done) {
        rt->failed = true;
        return false;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < rt->n_parts; i++) {
        rpart *p = &rt->parts[i];
        if (p->written > p->stored && tw_source_kafka_assigned(rt->src, i)) {
            done[n++] = (tw_source_pos){ i, p->written };
            p->stored = p->written;
        }
    }
    tw_source_commit(rt->src, done, n);
    free(done);
    return true;
}

/* The source's on_assign hook: the partition resumes from the group's committed offset, so
 * nothing of ours is pending. */
static void on_assign(void *ud, uint32_t pi, int64_t *offset)
{
    (void)offset;
    route_ctx *rt = ud;
    rpart *p = part_at(rt, pi);
    if (!p)
        rt->failed = true;
    else
        *p = (rpart){ -1, -1 };
}

/* The source's on_revoke hook: every message handed over so far is wholly written (one
 * thread), so flush and store; the source then commits before letting go. */
static bool on_revoke(void *ud)
{
    return store_offsets(ud, true);
}

static void handle_message(route_ctx *rt, const tw_raw *raw)
{
    uint32_t pi = raw->pos.part;
    rpart *p = part_at(rt, pi);
    if (!p) {
        rt->failed = true;
        return;
    }
    if (!rt->last_topic || pi != rt->last_pi) {
        tw_source_part sp;
        tw_source_kafka_part_get(rt->src, pi, &sp);
        rt->last_pi = pi;
        rt->last_topic = sp.topic; /* the source's, for its life */
        rt->last_partition = sp.partition;
    }
    if (!rt->n.messages)
        rt->first_at = tw_now_s();
    rt->n.messages++;
    rt->n.bytes += raw->len;
    write_rc wr = WRITE_OK;
    if (raw->grant_copy) /* a keyed topic's copy of a grant call: its original is routed */
        rt->n.copies_passed++;
    else if (raw->len) { /* an empty value (a tombstone) holds nothing; it moves on */
        char where[320];
        snprintf(where, sizeof where, "%s[%" PRId32 "] offset %" PRId64, rt->last_topic,
                 rt->last_partition, raw->pos.offset);
        wr = route_value(rt, raw->p, raw->len, raw->one_line, where);
    }
    if (wr == WRITE_OK) {
        if (raw->pos.offset > p->written)
            p->written = raw->pos.offset;
    } else if (wr == WRITE_FAILED) {
        rt->failed = true;
    } else {
        rt->stopped_midway = true;
    }
}

/* ---- stats ------------------------------------------------------------------------------ */

static void print_stats(const route_ctx *rt)
{
    FILE *o = stderr;
    const route_counts *n = &rt->n;
    double t = tw_now_s(), secs = t - rt->started;
    /* the rate from the first message on: joining the group is not routing */
    double active = rt->first_at > 0 ? t - rt->first_at : 0;
    fprintf(o, "trailwarden route: summary\n");
    if (rt->rc->n_topics) {
        fprintf(o, "  route.messages               %" PRIu64 "\n", n->messages);
        fprintf(o, "  route.bytes                  %" PRIu64 "\n", n->bytes);
    }
    fprintf(o, "  route.records                %" PRIu64 "\n", n->records);
    fprintf(o, "  route.written                %" PRIu64 "\n", n->written);
    fprintf(o, "  route.skipped                %" PRIu64 "\n", n->skipped);
    fprintf(o, "  route.grant_copies           %" PRIu64 "\n", n->grant_copies);
    if (n->copies_passed)
        fprintf(o, "  route.copies_passed          %" PRIu64 "\n", n->copies_passed);
    fprintf(o, "  route.rejected               %" PRIu64 "\n", n->rejected + n->no_span);
    for (int i = 0; i < TW_REJ_COUNT_; i++)
        if (n->rejected_by[i])
            fprintf(o, "  route.rejected.%-13s %" PRIu64 "\n", tw_reject_name((tw_reject)i),
                    n->rejected_by[i]);
    if (n->no_span)
        fprintf(o, "  route.rejected.no_span       %" PRIu64 "\n", n->no_span);
    fprintf(o, "  route.input_problems         %" PRIu64 "\n", n->input_problems);
    fprintf(o, "  route.problems               %" PRIu64 "\n", n->problems);
    fprintf(o, "  route.output_retries         %" PRIu64 "\n", n->retries);
    if (rt->rc->n_topics && rt->src) {
        tw_source_kafka_stats st;
        tw_source_kafka_get_stats(rt->src, &st);
        fprintf(o, "  route.offset_stores          %" PRIu64 "\n", st.offset_stores);
        fprintf(o, "  route.assignments            %" PRIu64 "\n", st.assignments);
        fprintf(o, "  route.revocations            %" PRIu64 "\n", st.revocations);
        fprintf(o, "  route.errors                 %" PRIu64 "\n", st.errors);
        for (uint32_t i = 0; i < rt->n_parts; i++) {
            const rpart *p = &rt->parts[i];
            tw_source_part sp;
            tw_source_kafka_part_get(rt->src, i, &sp);
            fprintf(
                o, "  route.partition.%s[%" PRId32 "]  messages %" PRIu64 " stored %" PRId64 "%s\n",
                sp.topic, sp.partition, sp.messages, p->stored,
                sp.assigned ? "" : " (not assigned)");
        }
    }
    fprintf(o, "  route.seconds                %.3f\n", secs);
    fprintf(o, "  route.records_per_s          %.0f\n",
            active > 0 ? (double)n->written / active : 0.0);
}

/* ---- the two modes ---------------------------------------------------------------------- */

static int run_kafka(route_ctx *rt)
{
    const route_conf *rc = rt->rc;
    const tw_source_conf sc = {
        .verbosity = rc->verbosity,
        .brokers = rc->brokers,
        .group = rc->group,
        .topics = rc->topics,
        .n_topics = rc->n_topics,
        .props = rc->props,
        .n_props = rc->n_props,
        .exit_at_end = rc->exit_at_end,
        .guarded = false, /* the user's -X last: they may override any default */
        .log_prefix = "route: ",
        .broker_timeout_ms =
            rc->broker_timeout_ms >= 0
                ? (int)(rc->broker_timeout_ms > INT32_MAX ? INT32_MAX : rc->broker_timeout_ms)
            : rc->exit_at_end ? BROKER_TIMEOUT_AT_END_MS
                              : 0,
        .hook_ud = rt,
        .on_assign = on_assign,
        .on_revoke = on_revoke,
    };
    char errstr[512];
    tw_err err = tw_source_open(&tw_source_kafka, &sc, &rt->src, errstr, sizeof errstr);
    if (!err)
        err = tw_source_start(rt->src, errstr, sizeof errstr);
    else if (err == TW_ERR_INVALID) {
        tw_log("route: -X %s", errstr);
        return TW_EXIT_USAGE;
    }
    if (err) {
        tw_log("route: %s", errstr);
        return TW_EXIT_USAGE;
    }
    rt->started = tw_now_s();
    rt->last_store = rt->started;
    while (!stop_requested && !rt->failed) {
        tw_raw raw;
        err = tw_source_next(rt->src, &raw, 100);
        if (err == TW_OK)
            handle_message(rt, &raw);
        else if (err != TW_ERR_AGAIN && err != TW_ERR_EOF)
            rt->failed = true; /* the source failed: said on stderr */
        if (rt->failed || rt->stopped_midway)
            break;
        if (!store_offsets(rt, false))
            break;
        if (stats_requested) {
            stats_requested = 0;
            print_stats(rt);
        }
        if (err == TW_ERR_EOF) /* --exit-at-end: every assigned partition at its end */
            break;
    }
    /* stop: flush, store, commit, leave the group (its revocation commits once more) */
    bool ok = !rt->failed && store_offsets(rt, true);
    tw_source_close(rt->src, ok);
    return rt->failed ? TW_EXIT_INPUT : TW_EXIT_OK;
}

static int run_files(route_ctx *rt)
{
    const tw_source_conf sc = {
        .verbosity = rt->rc->verbosity,
        .paths = rt->rc->paths,
        .n_paths = rt->rc->n_paths,
        .whole_inputs = false, /* cut here: route parses on its one thread */
    };
    char errstr[512];
    if (tw_source_open(&tw_source_file, &sc, &rt->src, errstr, sizeof errstr)) {
        tw_log("route: %s", errstr);
        return TW_EXIT_USAGE;
    }
    rt->started = rt->first_at = tw_now_s();
    while (!stop_requested && !rt->failed) {
        tw_raw raw;
        tw_err err = tw_source_next(rt->src, &raw, -1);
        if (err == TW_ERR_EOF)
            break;
        if (err) {
            rt->failed = true; /* out of memory */
            break;
        }
        write_rc wr = route_chunk(rt, raw.chunk, tw_source_input_name(rt->src, raw.input));
        tw_chunk_destroy(raw.chunk);
        if (wr == WRITE_FAILED)
            rt->failed = true;
        if (stats_requested) {
            stats_requested = 0;
            print_stats(rt);
        }
    }
    if (!rt->failed && tw_sink_flush(&rt->sink) != TW_SINK_OK) {
        tw_log("route: output %s: flush failed: %s", rt->sink.spec, tw_sink_error(&rt->sink));
        rt->failed = true;
    }
    if (rt->failed)
        return TW_EXIT_INPUT;
    return rt->n.problems && !stop_requested ? TW_EXIT_INPUT : TW_EXIT_OK;
}

int tw_app_route(int argc, char **argv)
{
    route_conf rc;
    int status = parse_route(argc, argv, &rc);
    if (status != TW_EXIT_OK) {
        route_conf_free(&rc);
        return status < 0 ? TW_EXIT_OK : status;
    }
    route_ctx rt = { .rc = &rc };
    tw_buf_init(&rt.out);
    char errstr[512];
    status = TW_EXIT_USAGE;
    if (tw_catalog_new(&rt.cat, errstr, sizeof errstr) != TW_OK) {
        tw_log("route: %s", errstr);
        goto out;
    }
    rt.nconf = (tw_normalize_conf){ .catalog = rt.cat };
    rt.ps = tw_parser_new(&rt.nconf);
    rt.batch = tw_batch_new(1024);
    rt.chunk = tw_chunk_new(64 << 10);
    if (!rt.ps || !rt.batch || !rt.chunk) {
        tw_log("route: out of memory");
        goto out;
    }
    tw_parser_set_hook(rt.ps, on_event, &rt);
    tw_sink_env env = { rc.brokers, rc.props, rc.n_props };
    if (tw_sink_open_env(rc.output, &env, &rt.sink, errstr, sizeof errstr) != TW_OK) {
        tw_log("route: %s", errstr);
        goto out;
    }
    rt.sink_open = true;
    tw_app_catch_signals(on_signal);

    status = rc.n_topics ? run_kafka(&rt) : run_files(&rt);
    if (rt.n.problems > rt.n.shown && rc.verbosity == 0)
        tw_log("route: %" PRIu64 " more problems not shown (-v shows all)",
               rt.n.problems - rt.n.shown);
    if (rc.stats && status != TW_EXIT_USAGE) /* a configuration error: nothing counted */
        print_stats(&rt);
out:
    if (rt.sink_open)
        tw_sink_close(&rt.sink);
    tw_source_destroy(rt.src); /* not closed (a failed start): without a commit */
    free(rt.parts);
    free(rt.recs);
    tw_buf_free(&rt.out);
    tw_chunk_destroy(rt.chunk);
    tw_batch_destroy(rt.batch);
    tw_parser_destroy(rt.ps);
    tw_catalog_destroy(rt.cat);
    route_conf_free(&rc);
    return status;
}
