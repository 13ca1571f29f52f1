/* app_changelog: see app_changelog.h. */
#include "app_changelog.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "app_checkpoint.h"
#include "app_pipeline.h"
#include "tw_kafka_conf.h"
#include "tw_log.h"
#include "tw_time.h"

#define METADATA_STEP_MS 1000     /* one metadata request (a SIGTERM waits for it); retried */
#define METADATA_DEFAULT_MS 60000 /* ...which, when consume has none, is this */
#define DESCRIBE_MS 3000          /* the compaction check */
#define RESTORE_STALL_MS 30000    /* a restore that gets nothing for this long has failed */
#define RESTORE_BATCH 1024
#define FLUSH_STEP_MS 500
#define TOO_LARGE_SAID 10 /* records over the bound said on stderr; the rest counted */

typedef struct job {
    uint32_t part;
    int32_t partition;
    uint64_t ticket;
} job;

struct tw_changelog {
    char *topic;
    int n_partitions; /* the input topic's (and the changelog's) */
    rd_kafka_t *producer;
    rd_kafka_topic_t *producer_topic;
    size_t bound;       /* a record's key and value at most (message.max.bytes less framing) */
    rd_kafka_t *reader; /* restores: a consumer outside the group (simple consumer API) */
    rd_kafka_topic_t *reader_topic;
    /* the restore thread and its queue of jobs and answers */
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stop;
    job *jobs;
    size_t n_jobs, cap_jobs;
    tw_restored *done;
    size_t n_done, cap_done;
    atomic_bool any_done;
    /* the restore in progress (under mu) */
    bool busy;
    int32_t cur_partition;
    uint64_t cur_records, cur_bytes;
    double cur_started;
    /* writing: delivery reports are served on the writer's thread (flush, put) */
    atomic_uint_fast64_t records, tombstones, bytes, too_large, failed, flushes;
    uint64_t failed_at_flush; /* failed as of the last flush */
    char first_error[256];
};

const char *tw_changelog_topic(const tw_changelog *cl)
{
    return cl->topic;
}

/* ---- opening ----------------------------------------------------------------------------- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    tw_changelog *cl = opaque;
    if (m->err) {
        if (atomic_fetch_add(&cl->failed, 1) == 0)
            snprintf(cl->first_error, sizeof cl->first_error, "%s", rd_kafka_err2str(m->err));
        return;
    }
    atomic_fetch_add(&cl->records, 1);
    if (!m->payload)
        atomic_fetch_add(&cl->tombstones, 1);
    atomic_fetch_add(&cl->bytes, m->key_len + m->len);
}

/* The -X of the group's consumer that a reader outside the group must not take. */
static bool group_only(const char *prop)
{
    static const char *const names[] = { "group.",
                                         "partition.assignment.strategy",
                                         "session.timeout.ms",
                                         "heartbeat.interval.ms",
                                         "enable.auto.commit",
                                         "auto.commit.interval.ms",
                                         "enable.auto.offset.store",
                                         "max.poll.interval.ms",
                                         "enable.partition.eof",
                                         "auto.offset.reset" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strncmp(prop, names[i], strlen(names[i])))
            return true;
    return false;
}

/* The Kafka settings of the changelog's clients: consume's -b and -X, or the state command's. */
typedef struct client_conf {
    const char *brokers;
    const char *const *props;
    size_t n_props;
} client_conf;

/* A client's configuration: the -X that are not the group consumer's, the brokers; NULL with
 * errstr when one is refused or memory runs out. */
static rd_kafka_conf_t *client_conf_new(const client_conf *conf, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (!c) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < conf->n_props; i++)
        if (!group_only(conf->props[i]))
            ok = !tw_kafka_conf_apply(c, &conf->props[i], 1, errstr, errstr_size);
    if (ok && !tw_kafka_conf_set(c, "bootstrap.servers", conf->brokers, errstr, errstr_size))
        return c;
    rd_kafka_conf_destroy(c);
    return NULL;
}

/* The client of c (which it takes), or NULL with errstr. */
static rd_kafka_t *client_new(rd_kafka_type_t type, rd_kafka_conf_t *c, char *errstr,
                              size_t errstr_size)
{
    char rderr[512];
    rd_kafka_t *rk = rd_kafka_new(type, c, rderr, sizeof rderr);
    if (!rk) {
        snprintf(errstr, errstr_size, "kafka: --state-topic: %s", rderr);
        rd_kafka_conf_destroy(c);
    }
    return rk;
}

static rd_kafka_t *new_reader(const client_conf *conf, char *errstr, size_t errstr_size)
{
    static const char *const fixed[] = { "enable.auto.commit=false",
                                         "enable.auto.offset.store=false",
                                         "enable.partition.eof=true",
                                         /* the end is known by offset: no waiting for more */
                                         "fetch.wait.max.ms=10" };
    rd_kafka_conf_t *c = client_conf_new(conf, errstr, errstr_size);
    if (c && tw_kafka_conf_apply(c, fixed, sizeof fixed / sizeof fixed[0], errstr, errstr_size)) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    return c ? client_new(RD_KAFKA_CONSUMER, c, errstr, errstr_size) : NULL;
}

static rd_kafka_t *new_producer(tw_changelog *cl, const client_conf *conf, char *errstr,
                                size_t errstr_size)
{
    static const tw_kafka_guard guards[] = {
        { "acks", "all", "the changelog's records count once every in-sync replica has them" },
        { "enable.idempotence", "true", "the changelog is written without loss or reordering" },
    };
    rd_kafka_conf_t *c = client_conf_new(conf, errstr, errstr_size);
    if (c &&
        tw_kafka_conf_guard(c, guards, sizeof guards / sizeof guards[0], errstr, errstr_size)) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    if (!c)
        return NULL;
    char value[32];
    size_t value_len = sizeof value;
    size_t max_bytes = 1000000;
    if (rd_kafka_conf_get(c, "message.max.bytes", value, &value_len) == RD_KAFKA_CONF_OK)
        max_bytes = (size_t)strtoull(value, NULL, 10);
    cl->bound = max_bytes > 4096 ? max_bytes - 1024 : max_bytes / 2; /* the batch's framing */
    rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
    rd_kafka_conf_set_opaque(c, cl);
    return client_new(RD_KAFKA_PRODUCER, c, errstr, errstr_size);
}

/* The partition counts of two topics (0: it does not exist), from the cluster's list of all
 * topics (asking for one by name may create it: brokers with auto.create.topics.enable, and
 * librdkafka's mock, which ignores allow.auto.create.topics), asked until a broker answers or
 * the time is up (timeout_ms; 0: until a SIGTERM) (TW_ERR_IO). */
static tw_err partition_counts(rd_kafka_t *rk, const char *a, const char *b, int64_t timeout_ms,
                               int *count_a, int *count_b, char *why, size_t why_size)
{
    double until = tw_now_s() + (double)timeout_ms / 1000.0;
    snprintf(why, why_size, "no broker answered");
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, METADATA_STEP_MS);
        if (!e && md) {
            *count_a = *count_b = 0;
            for (int i = 0; i < md->topic_cnt; i++) {
                const rd_kafka_metadata_topic_t *t = &md->topics[i];
                if (t->err)
                    continue;
                if (!strcmp(t->topic, a))
                    *count_a = t->partition_cnt;
                if (!strcmp(t->topic, b))
                    *count_b = t->partition_cnt;
            }
            rd_kafka_metadata_destroy(md);
            return TW_OK;
        }
        if (md)
            rd_kafka_metadata_destroy(md);
        snprintf(why, why_size, "%s", rd_kafka_err2str(e));
        if (atomic_load(&tw_stop_requested))
            return TW_ERR_STOPPED;
        if (timeout_ms > 0 && tw_now_s() >= until)
            return TW_ERR_IO;
    }
}

/* Whether the topic is compacted, as the cluster says (DescribeConfigs): warned about when
 * it is not, or cannot be confirmed (a cluster that does not answer the request). */
static void check_compacted(rd_kafka_t *rk, const char *topic)
{
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    char why[256] = "no answer";
    const char *policy = NULL;
    char policy_buf[64];
    if (res && q && opts) {
        rd_kafka_AdminOptions_set_request_timeout(opts, DESCRIBE_MS, NULL, 0);
        rd_kafka_DescribeConfigs(rk, &res, 1, opts, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, DESCRIBE_MS + 1000);
        const rd_kafka_DescribeConfigs_result_t *r =
            ev ? rd_kafka_event_DescribeConfigs_result(ev) : NULL;
        if (ev && rd_kafka_event_error(ev)) {
            snprintf(why, sizeof why, "%s", rd_kafka_event_error_string(ev));
        } else if (r) {
            size_t n_res = 0;
            const rd_kafka_ConfigResource_t **rs =
                rd_kafka_DescribeConfigs_result_resources(r, &n_res);
            if (n_res == 1 && rd_kafka_ConfigResource_error(rs[0])) {
                snprintf(why, sizeof why, "%s", rd_kafka_ConfigResource_error_string(rs[0]));
            } else if (n_res == 1) {
                size_t n_cfg = 0;
                const rd_kafka_ConfigEntry_t **cfg = rd_kafka_ConfigResource_configs(rs[0], &n_cfg);
                for (size_t i = 0; i < n_cfg; i++)
                    if (!strcmp(rd_kafka_ConfigEntry_name(cfg[i]), "cleanup.policy") &&
                        rd_kafka_ConfigEntry_value(cfg[i])) {
                        snprintf(policy_buf, sizeof policy_buf, "%s",
                                 rd_kafka_ConfigEntry_value(cfg[i]));
                        policy = policy_buf;
                    }
                if (!policy)
                    snprintf(why, sizeof why, "cleanup.policy not in the answer");
            }
        }
        if (ev)
            rd_kafka_event_destroy(ev);
    }
    if (opts)
        rd_kafka_AdminOptions_destroy(opts);
    if (q)
        rd_kafka_queue_destroy(q);
    if (res)
        rd_kafka_ConfigResource_destroy(res);
    if (policy && strstr(policy, "compact"))
        return;
    if (policy)
        tw_log("kafka: --state-topic %s has cleanup.policy=%s, not compact: the brokers will "
               "delete its old records by retention and a restore then misses the identities "
               "that did not change since; create it with cleanup.policy=compact",
               topic, policy);
    else
        tw_log("kafka: --state-topic %s: cannot confirm that it is compacted "
               "(cleanup.policy=compact): %s",
               topic, why);
}

static void *restore_main(void *arg);

/* A changelog with its two clients, not checked against anything yet (NULL with errstr;
 * *err the error). */
static tw_changelog *changelog_new(const char *topic, const client_conf *cc, tw_err *err,
                                   char *errstr, size_t errstr_size)
{
    tw_changelog *cl = calloc(1, sizeof *cl);
    if (!cl || !(cl->topic = strdup(topic))) {
        free(cl);
        snprintf(errstr, errstr_size, "out of memory");
        *err = TW_ERR_NOMEM;
        return NULL;
    }
    pthread_mutex_init(&cl->mu, NULL);
    pthread_cond_init(&cl->cond, NULL);
    if (!(cl->reader = new_reader(cc, errstr, errstr_size)) ||
        !(cl->producer = new_producer(cl, cc, errstr, errstr_size))) {
        tw_changelog_destroy(cl);
        *err = TW_ERR_INVALID;
        return NULL;
    }
    return cl;
}

int tw_changelog_partitions(const tw_changelog *cl)
{
    return cl->n_partitions;
}

uint32_t tw_changelog_partition_of(tw_str key, int n)
{
    if (n <= 0 || !key.len)
        return UINT32_MAX;
    return (uint32_t)rd_kafka_msg_partitioner_consistent(NULL, key.p, key.len, n, NULL, NULL);
}

tw_err tw_changelog_open(const tw_app_conf *conf, tw_changelog **out, char *errstr,
                         size_t errstr_size)
{
    *out = NULL;
    if (conf->n_topics != 1) {
        snprintf(errstr, errstr_size,
                 "--state-topic %s: consume reads one topic with it (-t TOPIC): the changelog's "
                 "partitions are the input topic's",
                 conf->state_topic);
        return TW_ERR_INVALID;
    }
    const client_conf cc = { conf->brokers, conf->kafka_props, conf->n_kafka_props };
    tw_err err;
    tw_changelog *cl = changelog_new(conf->state_topic, &cc, &err, errstr, errstr_size);
    if (!cl)
        return err;
    err = TW_ERR_INVALID;
    /* as consume waits for its brokers (--broker-timeout): 0 is as long as it runs */
    int64_t timeout_ms = conf->broker_timeout_ms >= 0 ? conf->broker_timeout_ms
                         : conf->exit_at_end          ? METADATA_DEFAULT_MS
                                                      : 0;
    int n_input = 0, n_state = 0;
    char why[256];
    err = partition_counts(cl->reader, conf->topics[0], cl->topic, timeout_ms, &n_input, &n_state,
                           why, sizeof why);
    if (err == TW_ERR_STOPPED) { /* SIGTERM while waiting for the cluster: nothing done */
        snprintf(errstr, errstr_size, "stopped before any broker answered");
        goto fail;
    }
    if (err) {
        snprintf(errstr, errstr_size,
                 "kafka: --state-topic %s: cannot read the topics' metadata from %s: %s "
                 "(--broker-timeout)",
                 cl->topic, conf->brokers, why);
        goto fail;
    }
    err = TW_ERR_INVALID;
    if (!n_input) {
        snprintf(errstr, errstr_size,
                 "kafka: --state-topic %s: the input topic %s does not exist on %s: the "
                 "changelog's partitions cannot be checked against it",
                 cl->topic, conf->topics[0], conf->brokers);
        goto fail;
    }
    if (!n_state) {
        snprintf(errstr, errstr_size,
                 "kafka: --state-topic %s does not exist on %s; create it with %d partitions "
                 "(the input topic %s's) and cleanup.policy=compact",
                 cl->topic, conf->brokers, n_input, conf->topics[0]);
        goto fail;
    }
    if (n_state != n_input) {
        snprintf(errstr, errstr_size,
                 "kafka: --state-topic %s has %d partitions and the input topic %s has %d: an "
                 "identity's state must be in the changelog partition with its input "
                 "partition's number; create the changelog with %d partitions",
                 cl->topic, n_state, conf->topics[0], n_input, n_input);
        goto fail;
    }
    cl->n_partitions = n_input;
    check_compacted(cl->reader, cl->topic);
    cl->producer_topic = rd_kafka_topic_new(cl->producer, cl->topic, NULL);
    cl->reader_topic = rd_kafka_topic_new(cl->reader, cl->topic, NULL);
    if (!cl->producer_topic || !cl->reader_topic) {
        snprintf(errstr, errstr_size, "kafka: --state-topic %s: %s", cl->topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
        goto fail;
    }
    if (pthread_create(&cl->thread, NULL, restore_main, cl)) {
        snprintf(errstr, errstr_size, "cannot start a thread");
        err = TW_ERR_NOMEM;
        goto fail;
    }
    cl->thread_started = true;
    *out = cl;
    return TW_OK;
fail:
    tw_changelog_destroy(cl);
    return err;
}

tw_err tw_changelog_open_tool(const char *brokers, const char *const *props, size_t n_props,
                              const char *topic, int64_t timeout_ms, int *n_partitions,
                              tw_changelog **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    const client_conf cc = { brokers, props, n_props };
    tw_err err;
    tw_changelog *cl = changelog_new(topic, &cc, &err, errstr, errstr_size);
    if (!cl)
        return err;
    err = TW_ERR_INVALID;
    int unused = 0;
    char why[256];
    if (partition_counts(cl->reader, topic, topic, timeout_ms, n_partitions, &unused, why,
                         sizeof why)) {
        snprintf(errstr, errstr_size, "kafka: %s: cannot read the topics' metadata from %s: %s",
                 topic, brokers, why);
        err = TW_ERR_IO;
        goto fail;
    }
    if (!*n_partitions) {
        snprintf(errstr, errstr_size, "kafka: topic %s does not exist on %s", topic, brokers);
        goto fail;
    }
    cl->producer_topic = rd_kafka_topic_new(cl->producer, topic, NULL);
    cl->reader_topic = rd_kafka_topic_new(cl->reader, topic, NULL);
    if (!cl->producer_topic || !cl->reader_topic) {
        snprintf(errstr, errstr_size, "kafka: %s: %s", topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
        goto fail;
    }
    *out = cl;
    return TW_OK;
fail:
    tw_changelog_destroy(cl);
    return err;
}

void tw_changelog_destroy(tw_changelog *cl)
{
    if (!cl)
        return;
    if (cl->thread_started) {
        pthread_mutex_lock(&cl->mu);
        cl->stop = true;
        pthread_cond_broadcast(&cl->cond);
        pthread_mutex_unlock(&cl->mu);
        pthread_join(cl->thread, NULL);
    }
    for (size_t i = 0; i < cl->n_done; i++)
        tw_buf_free(&cl->done[i].records);
    free(cl->done);
    free(cl->jobs);
    if (cl->producer_topic)
        rd_kafka_topic_destroy(cl->producer_topic);
    if (cl->reader_topic)
        rd_kafka_topic_destroy(cl->reader_topic);
    if (cl->producer) {
        rd_kafka_flush(cl->producer, 10000);
        rd_kafka_destroy(cl->producer);
    }
    if (cl->reader)
        rd_kafka_destroy(cl->reader);
    pthread_mutex_destroy(&cl->mu);
    pthread_cond_destroy(&cl->cond);
    free(cl->topic);
    free(cl);
}

/* ---- writing ----------------------------------------------------------------------------- */

bool tw_changelog_put(tw_changelog *cl, int32_t partition, tw_str key, const void *value,
                      size_t len)
{
    if (key.len + len > cl->bound) {
        if (atomic_fetch_add(&cl->too_large, 1) >= TOO_LARGE_SAID)
            return false; /* counted: kafka.changelog.too_large */
        tw_log("kafka: --state-topic %s: the state of identity %.*s is %zu bytes, over the "
               "bound of %zu (message.max.bytes): not written, refused whole; it does not "
               "follow its partition (a new owner starts it afresh)%s",
               cl->topic, (int)(key.len > 200 ? 200 : key.len), key.p, key.len + len, cl->bound,
               atomic_load(&cl->too_large) == TOO_LARGE_SAID
                   ? "; more like it are counted, not said (kafka.changelog.too_large)"
                   : "");
        return false;
    }
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            cl->producer, RD_KAFKA_V_RKT(cl->producer_topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key.p, key.len),
            RD_KAFKA_V_VALUE((void *)value, value ? len : 0), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(cl->producer, 100); /* room comes with delivery reports */
            continue;
        }
        rd_kafka_poll(cl->producer, 0);
        if (err) {
            if (atomic_fetch_add(&cl->failed, 1) == 0)
                snprintf(cl->first_error, sizeof cl->first_error, "%s", rd_kafka_err2str(err));
            return false;
        }
        return true;
    }
}

tw_err tw_changelog_flush(tw_changelog *cl, char *errstr, size_t errstr_size)
{
    /* every record ends in a delivery report within message.timeout.ms */
    while (rd_kafka_outq_len(cl->producer) > 0)
        rd_kafka_flush(cl->producer, FLUSH_STEP_MS);
    rd_kafka_poll(cl->producer, 0);
    atomic_fetch_add(&cl->flushes, 1);
    uint64_t failed = atomic_load(&cl->failed);
    if (failed == cl->failed_at_flush)
        return TW_OK;
    snprintf(errstr, errstr_size,
             "kafka: --state-topic %s: %" PRIu64 " state records not acknowledged (%s)", cl->topic,
             failed - cl->failed_at_flush, cl->first_error);
    cl->failed_at_flush = failed;
    return TW_ERR_IO;
}

/* ---- restoring --------------------------------------------------------------------------- */

bool tw_changelog_restore(tw_changelog *cl, uint32_t part, int32_t partition, uint64_t ticket)
{
    pthread_mutex_lock(&cl->mu);
    bool ok = true;
    if (cl->n_jobs == cl->cap_jobs) {
        size_t cap = cl->cap_jobs ? cl->cap_jobs * 2 : 16;
        job *v = realloc(cl->jobs, cap * sizeof *v);
        if (v) {
            cl->jobs = v;
            cl->cap_jobs = cap;
        }
        ok = v != NULL;
    }
    /* room for its answer now: the restore thread must never lose one (a partition waits) */
    size_t need = cl->n_done + cl->n_jobs + 2;
    if (ok && cl->cap_done < need) {
        tw_restored *v = realloc(cl->done, need * 2 * sizeof *v);
        if (v) {
            cl->done = v;
            cl->cap_done = need * 2;
        }
        ok = v != NULL;
    }
    if (ok) {
        cl->jobs[cl->n_jobs++] = (job){ part, partition, ticket };
        pthread_cond_broadcast(&cl->cond);
    }
    pthread_mutex_unlock(&cl->mu);
    return ok;
}

bool tw_changelog_take(tw_changelog *cl, tw_restored *out)
{
    if (!atomic_load(&cl->any_done))
        return false;
    pthread_mutex_lock(&cl->mu);
    bool got = cl->n_done > 0;
    if (got) {
        *out = cl->done[0];
        memmove(cl->done, cl->done + 1, (cl->n_done - 1) * sizeof *cl->done);
        cl->n_done--;
    }
    atomic_store(&cl->any_done, cl->n_done > 0);
    pthread_mutex_unlock(&cl->mu);
    return got;
}

bool tw_changelog_progress(tw_changelog *cl, int32_t *partition, uint64_t *records, uint64_t *bytes,
                           double *seconds)
{
    pthread_mutex_lock(&cl->mu);
    bool busy = cl->busy;
    *partition = cl->cur_partition;
    *records = cl->cur_records;
    *bytes = cl->cur_bytes;
    *seconds = busy ? tw_now_s() - cl->cur_started : 0;
    pthread_mutex_unlock(&cl->mu);
    return busy;
}

static bool stopping(tw_changelog *cl)
{
    pthread_mutex_lock(&cl->mu);
    bool stop = cl->stop;
    pthread_mutex_unlock(&cl->mu);
    return stop;
}

/* One message of the changelog into the restore's records. */
static void take_message(tw_changelog *cl, tw_restored *r, const rd_kafka_message_t *m)
{
    bool state = m->key && m->key_len && m->key_len <= UINT32_MAX &&
                 (!m->payload || (m->len >= 4 && m->len <= UINT32_MAX &&
                                  (!memcmp(m->payload, TW_STATE_RECORD_MAGIC, 4) ||
                                   !memcmp(m->payload, TW_STREAM_RECORD_MAGIC, 4))));
    r->bytes += m->key_len + m->len;
    if (!state) {
        if (r->damaged++ == 0)
            tw_log("kafka: --state-topic %s[%" PRId32 "] offset %" PRId64
                   ": not a trailwarden state record; skipped (others like it are counted: "
                   "kafka.restore.damaged)",
                   cl->topic, r->partition, m->offset);
        return;
    }
    tw_ckpt_rec rec = { 0,
                        { m->key, (uint32_t)m->key_len },
                        m->payload != NULL,
                        { m->payload, (uint32_t)(m->payload ? m->len : 0) } };
    tw_ckpt_put_rec(&r->records, &rec);
    r->n_records++;
}

/* One partition of a round of restores. */
typedef struct reading {
    job j;
    tw_restored r;
    int64_t hi;
    bool active; /* being consumed */
    bool over;   /* read to its end (or failed): its answer given */
} reading;

static void finish_reading(tw_changelog *cl, reading *rd, double started,
                           void (*give)(tw_changelog *cl, tw_restored *r, void *ud), void *ud)
{
    if (rd->active)
        rd_kafka_consume_stop(cl->reader_topic, rd->j.partition);
    rd->active = false;
    rd->over = true;
    if (rd->r.records.failed) {
        tw_log("kafka: --state-topic %s[%" PRId32 "]: out of memory restoring it", cl->topic,
               rd->j.partition);
        tw_buf_free(&rd->r.records);
        tw_buf_init(&rd->r.records);
        rd->r.n_records = 0;
        rd->r.failed = true;
    }
    rd->r.seconds = tw_now_s() - started;
    give(cl, &rd->r, ud);
}

/* Reads n changelog partitions at once, each from its start to its high watermark (as its
 * restore began), into one queue; each is given as soon as it is whole (its partition then
 * waits for the others: app_kafka.c release_restored). */
static void restore_round(tw_changelog *cl, const job *jobs, size_t n,
                          void (*give)(tw_changelog *cl, tw_restored *r, void *ud), void *ud)
{
    reading *rds = calloc(n, sizeof *rds);
    rd_kafka_queue_t *q = rd_kafka_queue_new(cl->reader);
    double started = tw_now_s();
    size_t open = 0;
    for (size_t i = 0; i < n; i++) {
        tw_restored fail = { .part = jobs[i].part,
                             .partition = jobs[i].partition,
                             .ticket = jobs[i].ticket,
                             .failed = true };
        if (!rds || !q) {
            tw_buf_init(&fail.records);
            tw_log("kafka: --state-topic %s[%" PRId32 "]: out of memory restoring it", cl->topic,
                   jobs[i].partition);
            give(cl, &fail, ud);
            continue;
        }
        reading *rd = &rds[i];
        rd->j = jobs[i];
        rd->r = (tw_restored){ .part = jobs[i].part,
                               .partition = jobs[i].partition,
                               .ticket = jobs[i].ticket };
        tw_buf_init(&rd->r.records);
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
        for (int tries = 0; tries < 6 && e && !stopping(cl); tries++)
            e = rd_kafka_query_watermark_offsets(cl->reader, cl->topic, rd->j.partition, &lo, &hi,
                                                 5000);
        if (e) {
            tw_log("kafka: --state-topic %s[%" PRId32 "]: cannot learn its offsets: %s; the "
                   "partition's identities start without their history",
                   cl->topic, rd->j.partition, rd_kafka_err2str(e));
            rd->r.failed = true;
        } else if (hi > lo &&
                   rd_kafka_consume_start_queue(cl->reader_topic, rd->j.partition, lo, q) == -1) {
            tw_log("kafka: --state-topic %s[%" PRId32 "]: cannot read it: %s", cl->topic,
                   rd->j.partition, rd_kafka_err2str(rd_kafka_last_error()));
            rd->r.failed = true;
        } else if (hi > lo) {
            rd->hi = hi;
            rd->active = true;
            open++;
            continue;
        }
        finish_reading(cl, rd, started, give, ud); /* empty, or failed */
    }
    rd_kafka_message_t *msgs[RESTORE_BATCH];
    double last_got = tw_now_s();
    while (open && !stopping(cl)) {
        ssize_t got = rd_kafka_consume_batch_queue(q, 100, msgs, RESTORE_BATCH);
        for (ssize_t i = 0; i < got; i++) {
            rd_kafka_message_t *m = msgs[i];
            reading *rd = NULL;
            for (size_t k = 0; k < n && !rd; k++)
                if (rds[k].active && rds[k].j.partition == m->partition)
                    rd = &rds[k];
            if (rd && !m->err)
                take_message(cl, &rd->r, m);
            else if (rd && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                tw_log("kafka: --state-topic %s[%" PRId32 "]: %s", cl->topic, m->partition,
                       rd_kafka_message_errstr(m));
            if (rd && m->offset >= rd->hi - 1 &&
                (!m->err || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)) {
                finish_reading(cl, rd, started, give, ud);
                open--;
            }
            rd_kafka_message_destroy(m);
        }
        uint64_t records = 0, bytes = 0;
        int32_t first = -1;
        for (size_t k = 0; k < n; k++)
            if (rds[k].active) {
                records += rds[k].r.n_records;
                bytes += rds[k].r.bytes;
                if (first < 0)
                    first = rds[k].j.partition;
            }
        pthread_mutex_lock(&cl->mu);
        cl->cur_partition = first;
        cl->cur_records = records;
        cl->cur_bytes = bytes;
        pthread_mutex_unlock(&cl->mu);
        if (got > 0)
            last_got = tw_now_s();
        else if (tw_now_s() - last_got > RESTORE_STALL_MS / 1000.0)
            break;
    }
    for (size_t k = 0; rds && k < n; k++)
        if (!rds[k].over) { /* stalled, or stopping: restored as far as it went */
            if (!stopping(cl))
                tw_log("kafka: --state-topic %s[%" PRId32 "]: nothing came for %d s at %" PRIu64
                       " records; restored as far as it went",
                       cl->topic, rds[k].j.partition, RESTORE_STALL_MS / 1000, rds[k].r.n_records);
            rds[k].r.failed = true;
            finish_reading(cl, &rds[k], started, give, ud);
        }
    if (q)
        rd_kafka_queue_destroy(q);
    free(rds);
}

static void give_back(tw_changelog *cl, tw_restored *r, void *ud)
{
    (void)ud;
    pthread_mutex_lock(&cl->mu);
    cl->done[cl->n_done++] = *r; /* room made when it was asked for */
    atomic_store(&cl->any_done, true);
    pthread_mutex_unlock(&cl->mu);
}

static void give_here(tw_changelog *cl, tw_restored *r, void *ud)
{
    (void)cl;
    *(tw_restored *)ud = *r;
}

void tw_changelog_read(tw_changelog *cl, int32_t partition, tw_restored *out)
{
    job j = { 0, partition, 0 };
    *out = (tw_restored){ .partition = partition, .failed = true };
    tw_buf_init(&out->records);
    restore_round(cl, &j, 1, give_here, out);
}

static void *restore_main(void *arg)
{
    tw_changelog *cl = arg;
    pthread_mutex_lock(&cl->mu);
    for (;;) {
        while (!cl->stop && !cl->n_jobs)
            pthread_cond_wait(&cl->cond, &cl->mu);
        if (cl->stop)
            break;
        /* every partition asked for so far, in one round */
        size_t n = cl->n_jobs;
        job *jobs = malloc(n * sizeof *jobs);
        if (!jobs)
            n = 1, jobs = NULL;
        job one = cl->jobs[0];
        if (jobs)
            memcpy(jobs, cl->jobs, n * sizeof *jobs);
        memmove(cl->jobs, cl->jobs + n, (cl->n_jobs - n) * sizeof *cl->jobs);
        cl->n_jobs -= n;
        cl->busy = true;
        cl->cur_partition = one.partition;
        cl->cur_records = cl->cur_bytes = 0;
        cl->cur_started = tw_now_s();
        pthread_mutex_unlock(&cl->mu);
        restore_round(cl, jobs ? jobs : &one, n, give_back, NULL);
        free(jobs);
        pthread_mutex_lock(&cl->mu);
        cl->busy = false;
    }
    pthread_mutex_unlock(&cl->mu);
    return NULL;
}

void tw_changelog_get_stats(tw_changelog *cl, tw_changelog_stats *st)
{
    *st = (tw_changelog_stats){
        .records = atomic_load(&cl->records),
        .tombstones = atomic_load(&cl->tombstones),
        .bytes = atomic_load(&cl->bytes),
        .too_large = atomic_load(&cl->too_large),
        .failed = atomic_load(&cl->failed),
        .flushes = atomic_load(&cl->flushes),
    };
}
