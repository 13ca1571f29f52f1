/* output_sink_kafka: findings to a Kafka topic (`-o kafka:TOPIC[@BROKERS]`), one message a
 * finding, keyed by the identity key, through an idempotent librdkafka producer with acks=all.
 *
 * Why this shape: idempotence makes librdkafka retry a failed produce itself without
 * duplicating or reordering a partition, and the key puts every finding of an identity in one
 * partition, so a key's findings stay in order. What librdkafka could not deliver in
 * message.timeout.ms comes back as a failed delivery report: it is counted, named on stderr, and
 * from then on the sink answers ERROR, so a lost finding is never silent and never followed by a
 * flush that claims durability. Delivery reports are served in the caller's thread (write polls
 * without waiting, flush and close wait), so nothing here needs a lock. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "tw_kafka_conf.h"
#include "tw_log.h"

/* How long close waits for what nobody flushed before purging it (and saying so). */
#define KAFKA_CLOSE_FLUSH_MS 10000
/* One rd_kafka_flush call in the flush loop; the loop runs until the queue is empty. */
#define KAFKA_FLUSH_STEP_MS 500
/* How long write_all waits for the topic's partition count (once). */
#define KAFKA_METADATA_MS 10000

typedef struct kafka_sink {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    char spec[256];       /* "kafka:TOPIC[@BROKERS]", for messages */
    uint64_t delivered;   /* delivery reports: success */
    uint64_t failed;      /* delivery reports: failure (counted from the callback) */
    uint64_t reported;    /* failures already named on stderr */
    char failed_err[512]; /* the first failure's error */
    bool fatal;           /* rd_kafka_fatal_error was raised: the producer is done */
    char *key_buf;        /* the unescaped key taken from a line, when it had escapes */
    size_t key_cap;
    int32_t n_partitions; /* write_all: the topic's, asked once (0: not yet) */
    int32_t all_next;     /* write_all: the next partition to write the pending copy to */
} kafka_sink;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    kafka_sink *ks = opaque;
    if (!msg->err) {
        ks->delivered++;
        return;
    }
    if (ks->failed++ == 0)
        /* not rd_kafka_message_errstr: for a delivery report it gives the payload */
        snprintf(ks->failed_err, sizeof ks->failed_err, "%s", rd_kafka_err2str(msg->err));
}

/* Names on stderr what failed since the last report; true if the sink is broken. */
static bool check_broken(kafka_sink *ks)
{
    if (!ks->fatal) {
        char err[512];
        if (rd_kafka_fatal_error(ks->rk, err, sizeof err) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            ks->fatal = true;
            tw_log("output %s: fatal producer error: %s", ks->spec, err);
        }
    }
    if (ks->failed > ks->reported) {
        tw_log("output %s: %llu finding(s) not delivered (first: %s)", ks->spec,
               (unsigned long long)(ks->failed - ks->reported), ks->failed_err);
        ks->reported = ks->failed;
    }
    return ks->fatal || ks->failed;
}

static int read_u4(const char *p, const char *end)
{
    if (end - p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = tw_hex_digit((unsigned char)p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The JSON string starting at p (just after its opening quote), unescaped: a view into the line
 * when it has no escapes, else a copy in ks->key_buf. Empty if it is not a well-formed string. */
static tw_str json_string_at(kafka_sink *ks, const char *p, const char *end)
{
    const char *q = p;
    bool escaped = false;
    while (q < end && *q != '"') {
        if (*q == '\\') {
            escaped = true;
            q++;
        }
        q++;
    }
    if (q >= end || q - p > UINT32_MAX)
        return TW_STR_NULL;
    if (!escaped)
        return (tw_str){ p, (uint32_t)(q - p) };
    size_t need = (size_t)(q - p) + 4; /* an escape never grows: \uXXXX is 6 bytes for <= 4 */
    if (need > ks->key_cap) {
        char *buf = realloc(ks->key_buf, need);
        if (!buf)
            return TW_STR_NULL;
        ks->key_buf = buf;
        ks->key_cap = need;
    }
    char *out = ks->key_buf;
    size_t n = 0;
    for (const char *s = p; s < q; s++) {
        if (*s != '\\') {
            out[n++] = *s;
            continue;
        }
        s++;
        switch (*s) {
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'u': {
            int cp = read_u4(s + 1, q);
            if (cp < 0)
                return TW_STR_NULL;
            s += 4;
            unsigned u = (unsigned)cp;
            if (u >= 0xD800 && u < 0xDC00 && q - s > 6 && s[1] == '\\' && s[2] == 'u') {
                int lo = read_u4(s + 3, q);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    u = 0x10000 + ((u - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
                    s += 6;
                }
            }
            n += put_utf8(out + n, u);
            break;
        }
        default:
            out[n++] = *s;
            break; /* \" \\ \/ */
        }
    }
    return (tw_str){ out, (uint32_t)n };
}

/* The identity key of a finding line, for callers that write without one: the first of
 * "actor":{"user":{"uid":" (OCSF) and "identity":" (compact). Inside a JSON string a quote is
 * escaped, so neither pattern can match within a string value; the first match is the field. */
static tw_str key_from_line(kafka_sink *ks, const char *json, size_t len)
{
    static const char ocsf[] = "\"actor\":{\"user\":{\"uid\":\"";
    static const char compact[] = "\"identity\":\"";
    const char *end = json + len;
    const char *a = memmem(json, len, ocsf, sizeof ocsf - 1);
    const char *c = memmem(json, len, compact, sizeof compact - 1);
    if (a && (!c || a < c))
        return json_string_at(ks, a + sizeof ocsf - 1, end);
    if (c)
        return json_string_at(ks, c + sizeof compact - 1, end);
    return TW_STR_NULL;
}

/* Kafka's legal topic names: [a-zA-Z0-9._-]{1,249}. */
static bool topic_ok(const char *topic, size_t len)
{
    if (len == 0 || len > 249)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = topic[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

const tw_kafka_guard tw_sink_kafka_guards[] = {
    { "enable.idempotence", "true",
      "findings written to Kafka (-o kafka:) are sent by an idempotent producer: retried "
      "without loss, duplicates or reordering" },
    { "acks", "all",
      "findings written to Kafka (-o kafka:) count as written once every in-sync replica has "
      "them (acks=all), and only then are offsets committed" },
};
const size_t tw_sink_kafka_n_guards = sizeof tw_sink_kafka_guards / sizeof tw_sink_kafka_guards[0];

static void ks_close(void *sink);

static tw_err kafka_open(const char *arg, const tw_sink_env *env, void **sink, char *errstr,
                         size_t errstr_size)
{
    tw_err err = TW_ERR_INVALID;
    rd_kafka_conf_t *conf = NULL;
    char *topic = NULL;
    kafka_sink *ks = NULL;
    const char *at = arg ? strchr(arg, '@') : NULL;
    size_t topic_len = at ? (size_t)(at - arg) : arg ? strlen(arg) : 0;
    const char *brokers = at ? at + 1 : env ? env->brokers : NULL;

    if (!arg || !topic_ok(arg, topic_len)) {
        snprintf(errstr, errstr_size,
                 "kafka:%s: needs a topic name of [a-zA-Z0-9._-] (kafka:TOPIC[@BROKERS])",
                 arg ? arg : "");
        goto out;
    }
    if (!brokers || !*brokers) {
        snprintf(errstr, errstr_size,
                 "kafka:%s: no brokers (write kafka:TOPIC@HOST:PORT[,HOST:PORT...], or use it "
                 "with consume -b BROKERS)",
                 arg);
        goto out;
    }
    ks = calloc(1, sizeof *ks);
    topic = strndup(arg, topic_len);
    conf = rd_kafka_conf_new();
    if (!ks || !topic || !conf) {
        snprintf(errstr, errstr_size, "out of memory");
        err = TW_ERR_NOMEM;
        goto out;
    }
    snprintf(ks->spec, sizeof ks->spec, "kafka:%s", arg);

    /* -X first, then what this sink's promise rests on, so that no -X can weaken it */
    if ((env && tw_kafka_conf_apply(conf, env->props, env->n_props, errstr, errstr_size)) ||
        tw_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, errstr_size) != TW_OK ||
        tw_kafka_conf_guard(conf, tw_sink_kafka_guards, tw_sink_kafka_n_guards, errstr,
                            errstr_size) != TW_OK)
        goto out;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, ks);

    char rderr[512];
    ks->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rderr, sizeof rderr);
    if (!ks->rk) {
        snprintf(errstr, errstr_size, "%s", rderr);
        goto out;
    }
    conf = NULL; /* rd_kafka_new owns it now */
    ks->rkt = rd_kafka_topic_new(ks->rk, topic, NULL);
    if (!ks->rkt) {
        snprintf(errstr, errstr_size, "topic %s: %s", topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
        goto out;
    }
    *sink = ks;
    ks = NULL;
    err = TW_OK;
out:
    if (conf)
        rd_kafka_conf_destroy(conf);
    free(topic);
    ks_close(ks);
    return err;
}

static tw_sink_rc ks_write(void *sink, tw_str key, const char *json, size_t len)
{
    kafka_sink *ks = sink;
    if (ks->fatal || ks->failed)
        return TW_SINK_ERROR;
    if (len && json[len - 1] == '\n')
        len--;
    if (!key.len)
        key = key_from_line(ks, json, len);
    rd_kafka_resp_err_t err =
        rd_kafka_producev(ks->rk, RD_KAFKA_V_RKT(ks->rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_KEY(key.len ? key.p : NULL, key.len),
                          RD_KAFKA_V_VALUE((void *)json, len), RD_KAFKA_V_END);
    /* serve delivery reports without waiting: they free the queue and surface failures */
    rd_kafka_poll(ks->rk, 0);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        return check_broken(ks) ? TW_SINK_ERROR : TW_SINK_RETRY;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        check_broken(ks);
        tw_log("output %s: %s", ks->spec, rd_kafka_err2str(err));
        return TW_SINK_ERROR;
    }
    return check_broken(ks) ? TW_SINK_ERROR : TW_SINK_OK;
}

/* The topic's partition count, from the cluster's metadata (asked once, bounded). */
static bool topic_partitions(kafka_sink *ks)
{
    if (ks->n_partitions > 0)
        return true;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(ks->rk, 0, ks->rkt, &md, KAFKA_METADATA_MS);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 && !md->topics[0].err)
        ks->n_partitions = md->topics[0].partition_cnt;
    else
        tw_log("output %s: cannot learn the topic's partitions: %s", ks->spec,
               rd_kafka_err2str(err                  ? err
                                : md->topic_cnt == 1 ? md->topics[0].err
                                                     : err));
    if (md)
        rd_kafka_metadata_destroy(md);
    return ks->n_partitions > 0;
}

static tw_sink_rc ks_write_all(void *sink, const char *name, const char *value, const char *json,
                               size_t len)
{
    kafka_sink *ks = sink;
    if (ks->fatal || ks->failed || !topic_partitions(ks))
        return TW_SINK_ERROR;
    if (len && json[len - 1] == '\n')
        len--;
    for (; ks->all_next < ks->n_partitions; ks->all_next++) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            ks->rk, RD_KAFKA_V_RKT(ks->rkt), RD_KAFKA_V_PARTITION(ks->all_next),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE((void *)json, len),
            RD_KAFKA_V_HEADER(name, value, (ssize_t)strlen(value)), RD_KAFKA_V_END);
        rd_kafka_poll(ks->rk, 0);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return check_broken(ks) ? TW_SINK_ERROR : TW_SINK_RETRY;
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            check_broken(ks);
            tw_log("output %s: partition %d: %s", ks->spec, (int)ks->all_next,
                   rd_kafka_err2str(err));
            return TW_SINK_ERROR;
        }
    }
    ks->all_next = 0;
    return check_broken(ks) ? TW_SINK_ERROR : TW_SINK_OK;
}

/* The producer sends on its own threads (linger.ms): serve delivery reports, no waiting. */
static tw_sink_rc ks_push(void *sink)
{
    kafka_sink *ks = sink;
    rd_kafka_poll(ks->rk, 0);
    return TW_SINK_OK;
}

static tw_sink_rc ks_flush(void *sink)
{
    kafka_sink *ks = sink;
    /* every message ends in a delivery report within message.timeout.ms, so this ends; a
     * fatal error fails what is queued, but stop waiting at once anyway */
    while (rd_kafka_outq_len(ks->rk) > 0 && !check_broken(ks))
        rd_kafka_flush(ks->rk, KAFKA_FLUSH_STEP_MS);
    rd_kafka_poll(ks->rk, 0);
    return check_broken(ks) ? TW_SINK_ERROR : TW_SINK_OK;
}

static void ks_close(void *sink)
{
    kafka_sink *ks = sink;
    if (!ks)
        return;
    if (ks->rk) {
        if (ks->fatal ||
            rd_kafka_flush(ks->rk, KAFKA_CLOSE_FLUSH_MS) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            /* what is left becomes failed delivery reports, which check_broken names */
            rd_kafka_purge(ks->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            rd_kafka_flush(ks->rk, 100);
        }
        rd_kafka_poll(ks->rk, 0);
        check_broken(ks);
        if (ks->rkt)
            rd_kafka_topic_destroy(ks->rkt);
        rd_kafka_destroy(ks->rk);
    }
    free(ks->key_buf);
    free(ks);
}

static const char *ks_error(void *sink)
{
    const kafka_sink *ks = sink;
    return ks->failed ? ks->failed_err : ks->fatal ? "fatal producer error" : "";
}

const tw_sink_ops tw_sink_kafka = { "kafka",  kafka_open, ks_write, ks_flush,
                                    ks_close, ks_push,    ks_error, ks_write_all };
