/* outputs/output_sink_kafka.c: what `-o kafka:TOPIC[@BROKERS]` promises and `replay` cannot
 * show (it has no -X): the spec's and -X's errors, the key taken from a finding line (escapes
 * included), and that a delivery that fails is an ERROR from flush and from every write after,
 * named on stderr, never silent. A librdkafka mock cluster in this process is the broker; the
 * failing case waits for message.timeout.ms (set to 300 ms through the env's -X). */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tw_test.h"

#include "output.h"

typedef struct mock {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mcluster;
    const char *bootstraps;
} mock;

static void mock_start(mock *mk, const char *topic)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err), RD_KAFKA_CONF_OK);
    mk->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(mk->rk);
    mk->mcluster = rd_kafka_mock_cluster_new(mk->rk, 1);
    assert_non_null(mk->mcluster);
    assert_int_equal(rd_kafka_mock_topic_create(mk->mcluster, topic, 1, 1), 0);
    mk->bootstraps = rd_kafka_mock_cluster_bootstraps(mk->mcluster);
}

static void mock_stop(mock *mk)
{
    rd_kafka_mock_cluster_destroy(mk->mcluster);
    rd_kafka_destroy(mk->rk);
}

/* Reads `want` messages of partition 0 from the start: keys and values, one string each. */
static void read_back(const char *bootstraps, const char *topic, int want, char keys[][128],
                      char values[][256])
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, err, sizeof err),
                     RD_KAFKA_CONF_OK);
    /* assign() needs a group, though nothing is committed */
    assert_int_equal(rd_kafka_conf_set(conf, "group.id", "tw-test", err, sizeof err),
                     RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    assert_non_null(rk);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(parts);
    int got = 0;
    for (int tries = 0; got < want && tries < 100; tries++) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 100);
        if (!msg)
            continue;
        if (!msg->err) {
            snprintf(keys[got], 128, "%.*s", (int)msg->key_len, (const char *)msg->key);
            snprintf(values[got], 256, "%.*s", (int)msg->len, (const char *)msg->payload);
            got++;
        }
        rd_kafka_message_destroy(msg);
    }
    assert_int_equal(got, want);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* Sends stderr to a temporary file until capture_stderr_end, which returns what came. */
static char *capture_stderr_begin(int *saved, char *path, size_t path_size)
{
    snprintf(path, path_size, "/tmp/tw_sink_kafka_err_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    *saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    return path;
}

static char *capture_stderr_end(int saved, const char *path)
{
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    static char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    text[n] = 0;
    fclose(fp);
    unlink(path);
    return text;
}

static void spec_errors_name_the_spec(void **state)
{
    (void)state;
    tw_sink sink;
    char err[512];
    /* no brokers: neither @BROKERS nor the command's */
    assert_int_equal(tw_sink_open("kafka:findings", &sink, err, sizeof err), TW_ERR_INVALID);
    assert_non_null(strstr(err, "kafka:findings"));
    assert_non_null(strstr(err, "no brokers"));
    tw_sink_env env = { NULL, NULL, 0 };
    assert_int_equal(tw_sink_open_env("kafka:findings", &env, &sink, err, sizeof err),
                     TW_ERR_INVALID);
    assert_int_equal(tw_sink_open("kafka:findings@", &sink, err, sizeof err), TW_ERR_INVALID);
    /* topic names */
    assert_int_equal(tw_sink_open("kafka:", &sink, err, sizeof err), TW_ERR_INVALID);
    assert_non_null(strstr(err, "topic"));
    assert_int_equal(tw_sink_open("kafka:@127.0.0.1:9092", &sink, err, sizeof err), TW_ERR_INVALID);
    assert_int_equal(tw_sink_open("kafka:a/b@127.0.0.1:9092", &sink, err, sizeof err),
                     TW_ERR_INVALID);
    assert_non_null(strstr(err, "kafka:a/b@127.0.0.1:9092"));
    tw_sink_close(&sink); /* a failed open leaves nothing to close */
}

static void props_errors_are_librdkafkas(void **state)
{
    (void)state;
    tw_sink sink;
    char err[512];
    const char *unknown[] = { "no.such.property=secret-value" };
    tw_sink_env env = { "127.0.0.1:9", unknown, 1 };
    assert_int_equal(tw_sink_open_env("kafka:findings", &env, &sink, err, sizeof err),
                     TW_ERR_INVALID);
    /* librdkafka's own words, naming the property, and never echoing the value */
    assert_non_null(strstr(err, "No such configuration property"));
    assert_non_null(strstr(err, "no.such.property"));
    assert_null(strstr(err, "secret-value"));
    const char *bad_value[] = { "message.timeout.ms=soon" };
    env.props = bad_value;
    assert_int_equal(tw_sink_open_env("kafka:findings", &env, &sink, err, sizeof err),
                     TW_ERR_INVALID);
    assert_non_null(strstr(err, "message.timeout.ms"));
    const char *no_eq[] = { "acks" };
    env.props = no_eq;
    assert_int_equal(tw_sink_open_env("kafka:findings", &env, &sink, err, sizeof err),
                     TW_ERR_INVALID);
    assert_non_null(strstr(err, "name=value"));
    /* -X cannot weaken the sink: idempotence and acks=all are set after it (opening works, and
     * librdkafka would refuse acks=1 with idempotence) */
    const char *weak[] = { "acks=1", "enable.idempotence=false", "client.id=tw-test" };
    env.props = weak;
    env.n_props = 3;
    assert_int_equal(tw_sink_open_env("kafka:findings", &env, &sink, err, sizeof err), TW_OK);
    tw_sink_close(&sink);
}

static void keys_come_from_the_caller_or_the_line(void **state)
{
    (void)state;
    mock mk;
    mock_start(&mk, "keys");
    tw_sink sink;
    char err[512], spec[256];
    snprintf(spec, sizeof spec, "kafka:keys@%s", mk.bootstraps);
    assert_int_equal(tw_sink_open(spec, &sink, err, sizeof err), TW_OK);
    /* OCSF: actor.user.uid, after a string field that holds the same words escaped */
    const char *ocsf = "{\"class_uid\":2004,\"message\":\"\\\"actor\\\":{\\\"user\\\":x\","
                       "\"actor\":{\"user\":{\"uid\":\"arn:aws:iam::1:role/a\",\"name\":\"a\"}}}\n";
    /* compact: identity, with escapes (\" \\ \u00e9 and a surrogate pair) */
    const char *compact = "{\"time\":\"t\",\"rule\":\"r\",\"identity\":\"arn:aws:iam::1:user/"
                          "q\\\"b\\\\\\u00e9\\ud83d\\ude00\",\"kind\":\"agent\"}\n";
    const char *plain = "{\"a\":1}\n";
    assert_int_equal(tw_sink_write(&sink, ocsf, strlen(ocsf)), TW_SINK_OK);
    assert_int_equal(tw_sink_write(&sink, compact, strlen(compact)), TW_SINK_OK);
    assert_int_equal(tw_sink_write(&sink, plain, strlen(plain)), TW_SINK_OK);
    assert_int_equal(tw_sink_write_keyed(&sink, tw_str_c("given-key"), plain, strlen(plain)),
                     TW_SINK_OK);
    assert_int_equal(tw_sink_flush(&sink), TW_SINK_OK);
    tw_sink_close(&sink);

    char keys[4][128], values[4][256];
    read_back(mk.bootstraps, "keys", 4, keys, values);
    assert_string_equal(keys[0], "arn:aws:iam::1:role/a");
    assert_string_equal(keys[1], "arn:aws:iam::1:user/q\"b\\\xc3\xa9\xf0\x9f\x98\x80");
    assert_string_equal(keys[2], ""); /* no identity in the line: no key */
    assert_string_equal(keys[3], "given-key");
    /* the value is the line without its newline */
    assert_int_equal(strlen(values[0]), strlen(ocsf) - 1);
    assert_memory_equal(values[0], ocsf, strlen(ocsf) - 1);
    assert_string_equal(values[2], "{\"a\":1}");
    mock_stop(&mk);
}

static void a_failed_delivery_is_an_error_not_silence(void **state)
{
    (void)state;
    mock mk;
    mock_start(&mk, "lost");
    tw_sink sink;
    char err[512];
    const char *props[] = { "message.timeout.ms=300", "log_level=0" };
    tw_sink_env env = { mk.bootstraps, props, 2 };
    assert_int_equal(tw_sink_open_env("kafka:lost", &env, &sink, err, sizeof err), TW_OK);
    const char *line = "{\"identity\":\"arn:aws:iam::1:role/a\"}\n";
    assert_int_equal(tw_sink_write(&sink, line, strlen(line)), TW_SINK_OK);
    assert_int_equal(tw_sink_flush(&sink), TW_SINK_OK);

    /* the only broker goes away for longer than message.timeout.ms */
    assert_int_equal(rd_kafka_mock_broker_set_down(mk.mcluster, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    int saved;
    char path[64];
    capture_stderr_begin(&saved, path, sizeof path);
    tw_sink_rc rc = tw_sink_write(&sink, line, strlen(line));
    tw_sink_rc flushed = tw_sink_flush(&sink);
    tw_sink_rc after = tw_sink_write(&sink, line, strlen(line));
    tw_sink_rc flushed_again = tw_sink_flush(&sink);
    tw_sink_close(&sink);
    char *text = capture_stderr_end(saved, path);
    assert_int_equal(rc, TW_SINK_OK);
    assert_int_equal(flushed, TW_SINK_ERROR);
    assert_int_equal(after, TW_SINK_ERROR); /* the sink stays failed */
    assert_int_equal(flushed_again, TW_SINK_ERROR);
    assert_non_null(strstr(text, "kafka:lost: 1 finding(s) not delivered"));
    assert_non_null(strstr(text, "timed out"));
    mock_stop(&mk);
}

static void a_bad_bootstrap_fails_the_flush(void **state)
{
    (void)state;
    tw_sink sink;
    char err[512];
    const char *props[] = { "message.timeout.ms=300", "log_level=0" };
    tw_sink_env env = { "127.0.0.1:1", props, 2 };
    assert_int_equal(tw_sink_open_env("kafka:nowhere", &env, &sink, err, sizeof err), TW_OK);
    int saved;
    char path[64];
    capture_stderr_begin(&saved, path, sizeof path);
    const char *line = "{\"identity\":\"arn:aws:iam::1:role/a\"}\n";
    tw_sink_rc rc = tw_sink_write(&sink, line, strlen(line));
    tw_sink_rc flushed = tw_sink_flush(&sink);
    tw_sink_close(&sink);
    char *text = capture_stderr_end(saved, path);
    assert_int_equal(rc, TW_SINK_OK);
    assert_int_equal(flushed, TW_SINK_ERROR);
    assert_non_null(strstr(text, "not delivered"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_errors_name_the_spec),
        cmocka_unit_test(props_errors_are_librdkafkas),
        cmocka_unit_test(keys_come_from_the_caller_or_the_line),
        cmocka_unit_test(a_failed_delivery_is_an_error_not_silence),
        cmocka_unit_test(a_bad_bootstrap_fails_the_flush),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
