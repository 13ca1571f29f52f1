/* outputs/: the OCSF and compact encoders (fields downstream relies on, escaping, stable
 * uids) and the file sink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tw_test.h"

#include "output.h"

static const char *const k_types[] = { "Scope Drift", NULL };
static const tw_rule_meta k_rule = { .id = "agent-read-to-destructive",
                                     .title = "A title",
                                     .description = "A description",
                                     .type = "baseline",
                                     .severity = TW_SEV_HIGH,
                                     .types = k_types };

static tw_event sample_event(void)
{
    tw_event ev = { 0 };
    ev.time_ms = 1788250502000LL;
    ev.identity = tw_str_c("arn:aws:iam::111122223333:role/agent");
    ev.event_id = tw_str_c("e-1");
    ev.account = tw_str_c("111122223333");
    ev.region = tw_str_c("us-east-1");
    ev.action = tw_str_c("s3:DeleteBucket");
    ev.source_ip = tw_str_c("10.0.0.1");
    ev.user_agent = (tw_str){ "ua\"\n\x01\xff", 6 };
    ev.session_name = tw_str_c("sess");
    ev.principal_arn = tw_str_c("arn:aws:sts::111122223333:assumed-role/agent/sess");
    ev.access_key = tw_str_c("ASIAX");
    ev.user_type = tw_str_c("AssumedRole");
    return ev;
}

static tw_finding sample_finding(const tw_event *ev)
{
    tw_finding f = { 0 };
    f.rule = &k_rule;
    f.ev = ev;
    f.kind = TW_KIND_AGENT;
    f.first_seen_ms = ev->time_ms - 1000;
    f.evidence[f.n_evidence++] =
        (tw_evidence){ ev->time_ms - 1000, tw_str_c("e-0"), tw_str_c("s3:GetObject"), TW_STR_NULL,
                       tw_str_c("reports-bucket") };
    f.evidence[f.n_evidence++] = (tw_evidence){ ev->time_ms, ev->event_id, ev->action,
                                                tw_str_c("AccessDenied"), TW_STR_NULL };
    snprintf(f.summary, sizeof f.summary, "summary");
    return f;
}

static void ocsf_carries_the_contract_fields(void **state)
{
    (void)state;
    tw_event ev = sample_event();
    tw_finding f = sample_finding(&ev);
    tw_buf b;
    tw_buf_init(&b);
    tw_encode_opts opts = { TW_FORMAT_OCSF, false, 0 };
    tw_finding_encode(&opts, &f, &b);
    assert_false(b.failed);
    assert_int_equal(b.p[b.len - 1], '\n');
    assert_int_equal(memchr(b.p, '\n', b.len - 1), NULL); /* one line */
    const char *want[] = {
        "\"class_uid\":2004",
        "\"severity_id\":4",
        "\"time\":1788250502000",
        "\"analytic\":{\"uid\":\"agent-read-to-destructive\"",
        "\"user\":{\"uid\":\"arn:aws:iam::111122223333:role/"
        "agent\",\"name\":\"agent\",\"type\":\"agent\"",
        "\"cloud\":{\"provider\":\"AWS\",\"account\":{\"uid\":\"111122223333\"},\"region\":\"us-"
        "east-1\"}",
        "\"product\":{\"name\":\"trailwarden\"",
        "\"version\":\"1.3.0\"",
        "\"operation\":\"DeleteBucket\"",
        "\"request\":{\"uid\":\"e-1\"}",
        "\"response\":{\"error\":\"AccessDenied\"}",
        "\"user_agent\":\"ua\\\"\\n\\u0001\xEF\xBF\xBD\"",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_non_null(strstr(b.p, want[i]));
    assert_null(strstr(b.p, "processed_time"));
    tw_buf_reset(&b);
    opts.processed_time = true;
    opts.processed_ms = 42;
    tw_finding_encode(&opts, &f, &b);
    assert_non_null(strstr(b.p, "\"processed_time\":42"));
    tw_buf_free(&b);
}

static void compact_line(void **state)
{
    (void)state;
    tw_event ev = sample_event();
    tw_finding f = sample_finding(&ev);
    tw_buf b;
    tw_buf_init(&b);
    tw_encode_opts opts = { TW_FORMAT_COMPACT, false, 0 };
    tw_finding_encode(&opts, &f, &b);
    assert_non_null(
        strstr(b.p, "{\"time\":\"2026-09-01T08:15:02Z\",\"rule\":\"agent-read-to-destructive\""));
    assert_non_null(
        strstr(b.p, "\"evidence\":[{\"time\":\"2026-09-01T08:15:01Z\",\"action\":\"s3:GetObject\","
                    "\"event_id\":\"e-0\",\"resource\":\"reports-bucket\"}"));
    char uid[33];
    tw_finding_uid(k_rule.id, ev.identity, ev.event_id, uid);
    assert_non_null(strstr(b.p, uid));
    tw_buf_free(&b);
}

/* A user agent and a detection's own facts share OCSF's "unmapped": one object, both keys
 * (two "unmapped" keys would leave a parser one of them). */
static void ocsf_unmapped_once(void **state)
{
    (void)state;
    tw_event ev = sample_event();
    tw_finding f = sample_finding(&ev);
    f.details = TW_STR_LIT("{\"model_change\":{\"job\":\"j\"}}");
    tw_buf b;
    tw_buf_init(&b);
    tw_encode_opts opts = { TW_FORMAT_OCSF, false, 0 };
    tw_finding_encode(&opts, &f, &b);
    const char *first = strstr(b.p, "\"unmapped\"");
    assert_non_null(first);
    assert_null(strstr(first + 1, "\"unmapped\""));
    assert_non_null(strstr(b.p, "\"unmapped\":{\"user_agent\":"));
    assert_non_null(strstr(b.p, ",\"trailwarden\":{\"model_change\":{\"job\":\"j\"}}}"));
    tw_buf_free(&b);
}

/* The rule's author is credited in "unmapped" (OCSF's analytic has no author), escaped, with
 * the user agent and the detection's facts in the same object; no author, no key. */
static void ocsf_names_the_rule_author(void **state)
{
    (void)state;
    tw_event ev = sample_event();
    tw_finding f = sample_finding(&ev);
    tw_rule_meta meta = k_rule;
    meta.author = "Jane \"JD\" Doe, Nasreddine Bencherchali";
    f.rule = &meta;
    f.details = TW_STR_LIT("{\"k\":1}");
    tw_buf b;
    tw_buf_init(&b);
    tw_encode_opts opts = { TW_FORMAT_OCSF, false, 0 };
    tw_finding_encode(&opts, &f, &b);
    assert_non_null(strstr(b.p, ",\"rule_author\":\"Jane \\\"JD\\\" Doe, Nasreddine "
                                "Bencherchali\",\"trailwarden\":{\"k\":1}}"));
    tw_buf_free(&b);
    /* alone in unmapped: no leading comma */
    ev.user_agent = TW_STR_NULL;
    f.details = TW_STR_NULL;
    tw_buf_init(&b);
    tw_finding_encode(&opts, &f, &b);
    assert_non_null(strstr(b.p, ",\"unmapped\":{\"rule_author\":\"Jane "));
    tw_buf_free(&b);
    /* none: no key */
    meta.author = NULL;
    tw_buf_init(&b);
    tw_finding_encode(&opts, &f, &b);
    assert_null(strstr(b.p, "rule_author"));
    assert_null(strstr(b.p, "\"unmapped\""));
    tw_buf_free(&b);
}

/* An update of an earlier finding: the same uid, activity Update, the count, both times. */
static void update_records(void **state)
{
    (void)state;
    tw_rule_meta meta = k_rule;
    tw_finding f = { 0 };
    f.rule = &meta;
    f.kind = TW_KIND_AGENT;
    f.update = true;
    f.count = 4;
    f.first_seen_ms = 1788250502000;
    f.last_seen_ms = 1788250562000;
    f.uid = "0123456789abcdef0123456789abcdef";
    f.identity = TW_STR_LIT("arn:aws:iam::111122223333:role/agent");
    tw_buf b;
    tw_buf_init(&b);
    tw_encode_opts opts = { TW_FORMAT_OCSF, false, 0 };
    tw_finding_encode(&opts, &f, &b);
    const char *want[] = { "\"activity_id\":2",
                           "\"type_uid\":200402",
                           "\"count\":4",
                           "\"time\":1788250562000",
                           "\"finding_info\":{\"uid\":\"0123456789abcdef0123456789abcdef\"",
                           "\"first_seen_time\":1788250502000",
                           "\"last_seen_time\":1788250562000",
                           "\"user\":{\"uid\":\"arn:aws:iam::111122223333:role/agent\"" };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(b.p, want[i]))
            fail_msg("missing %s in %s", want[i], b.p);
    assert_int_equal(b.p[b.len - 1], '\n');
    tw_buf_reset(&b);
    opts.format = TW_FORMAT_COMPACT;
    tw_finding_encode(&opts, &f, &b);
    assert_non_null(
        strstr(b.p, "\"update\":true,\"count\":4,\"first_time\":\"2026-09-01T08:15:02Z\""));
    assert_non_null(strstr(b.p, "{\"time\":\"2026-09-01T08:16:02Z\""));
    tw_buf_free(&b);
}

static void uid_depends_on_rule_identity_and_event(void **state)
{
    (void)state;
    char a[33], b[33], c[33], d[33], e[33];
    tw_finding_uid("r", tw_str_c("id"), tw_str_c("ev"), a);
    tw_finding_uid("r", tw_str_c("id"), tw_str_c("ev"), b);
    tw_finding_uid("r2", tw_str_c("id"), tw_str_c("ev"), c);
    tw_finding_uid("r", tw_str_c("id2"), tw_str_c("ev"), d);
    tw_finding_uid("r", tw_str_c("i"), tw_str_c("dev"), e); /* same bytes, other split */
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 32);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    assert_string_not_equal(a, e);
}

static void file_sink_appends_and_flushes(void **state)
{
    (void)state;
    char path[] = "/tmp/tw_sink_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char spec[64];
    snprintf(spec, sizeof spec, "file:%s", path);
    tw_sink sink;
    char err[128];
    assert_int_equal(tw_sink_open(spec, &sink, err, sizeof err), TW_OK);
    assert_int_equal(tw_sink_write(&sink, "{\"a\":1}\n", 8), TW_SINK_OK);
    assert_int_equal(tw_sink_flush(&sink), TW_SINK_OK);
    tw_sink_close(&sink);
    FILE *fp = fopen(path, "r");
    char line[32] = { 0 };
    assert_non_null(fgets(line, sizeof line, fp));
    fclose(fp);
    unlink(path);
    assert_string_equal(line, "{\"a\":1}\n");
    /* kafka:TOPIC needs brokers: consume's, or @BROKERS */
    assert_int_equal(tw_sink_open("kafka:x", &sink, err, sizeof err), TW_ERR_INVALID);
    assert_non_null(strstr(err, "no brokers"));
    assert_int_equal(tw_sink_open("carrier-pigeon:x", &sink, err, sizeof err), TW_ERR_INVALID);
    assert_non_null(strstr(err, "unknown output"));
    assert_int_equal(tw_sink_open("file:/nonexistent-dir/x", &sink, err, sizeof err), TW_ERR_IO);
    tw_sink_close(NULL);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ocsf_carries_the_contract_fields),
        cmocka_unit_test(compact_line),
        cmocka_unit_test(ocsf_unmapped_once),
        cmocka_unit_test(ocsf_names_the_rule_author),
        cmocka_unit_test(update_records),
        cmocka_unit_test(uid_depends_on_rule_identity_and_event),
        cmocka_unit_test(file_sink_appends_and_flushes),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
