/* detect/rules_match over real records: a rule from YAML text, records as JSON lines through the
 * parser (tw_json, tw_normalize) with the rules' hook, as replay runs them; each case checks
 * which records the rule matched. What it pins (issue 17): '' / null / exists on the fields the
 * normalized event carries exactly as on the fields read from the record's JSON; every value of
 * a field examined, however many; keys written with escapes matched by their text (RFC 8259);
 * string matchers on an object-valued field read its compact JSON text. The Sigma
 * specification's own examples of '', null, exists and '*' come first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_test.h"

#include "ingest_parse.h"
#include "rules.h"
#include "rules_match.h"
#include "rules_run.h"
#include "schema_catalog.h"

#define HEAD "title: T\nid: r\nlevel: low\nlogsource: {product: aws, service: cloudtrail}\n"
#define SEL1(match) HEAD "detection:\n  sel:\n    " match "\n  condition: sel\n"

/* A record of eventName `name` with the other fields given (JSON members, each with a leading
 * comma, or ""). */
#define REC(name, rest)                                                  \
    "{\"eventVersion\":\"1.09\",\"eventTime\":\"2026-09-01T00:00:00Z\"," \
    "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"" name "\","   \
    "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/u\"}" rest "}\n"

/* The verdict of the rule on each record of ndjson, one '1' (matched) or '0' a record, into
 * out; a record that is not an event gives '-'. */
static void verdicts(const char *rule, const char *ndjson, char *out, size_t size)
{
    tw_catalog *cat;
    char err[128];
    assert_int_equal(tw_catalog_new(&cat, err, sizeof err), TW_OK);
    tw_ruleset *rs = tw_ruleset_new();
    assert_non_null(rs);
    tw_ruleset_add_buffer(rs, "t.yml", rule, strlen(rule));
    tw_ruleset_finish(rs);
    for (size_t i = 0; i < tw_ruleset_diag_count(rs); i++)
        fprintf(stderr, "  diag: %s\n", tw_ruleset_diag(rs, i));
    assert_int_equal(tw_ruleset_diag_count(rs), 0);
    tw_rules_rt *rt;
    assert_int_equal(tw_rules_rt_new(rs, cat, &rt), TW_OK);
    tw_rules_ctx *cx = tw_rules_ctx_new(rt, NULL);
    assert_non_null(cx);
    tw_normalize_conf conf = { cat, NULL, 0, NULL };
    tw_parser *ps = tw_parser_new(&conf);
    assert_non_null(ps);
    tw_parser_set_hook(ps, tw_rules_hook, cx);

    size_t len = strlen(ndjson);
    tw_chunk *chunk = tw_chunk_new(len);
    memcpy(chunk->buf, ndjson, len);
    chunk->len = len;
    memset(chunk->buf + len, ' ', TW_JSON_PADDING);
    chunk->first_line = 1;
    tw_batch *batch = tw_batch_new(16);
    tw_parser_run(ps, chunk, batch);
    for (size_t i = 0; i < batch->problems.n; i++)
        fprintf(stderr, "  problem: %s\n", batch->problems.v[i].text);
    size_t n = 0;
    for (uint32_t i = 0; i < batch->n && n + 1 < size; i++)
        out[n++] = batch->ev[i].n_rules ? '1' : '0';
    for (uint64_t r = batch->n; r < batch->counts.records && n + 1 < size; r++)
        out[n++] = '-';
    out[n] = '\0';
    tw_batch_destroy(batch);
    tw_chunk_destroy(chunk);
    tw_parser_destroy(ps);
    tw_rules_ctx_destroy(cx);
    tw_rules_rt_destroy(rt);
    tw_catalog_destroy(cat);
}

#define EXPECT(rule, records, want)                     \
    do {                                                \
        char got_[64];                                  \
        verdicts((rule), (records), got_, sizeof got_); \
        if (strcmp(got_, (want)))                       \
            fprintf(stderr, "  rule: %s\n", (rule));    \
        assert_string_equal(got_, (want));              \
    } while (0)

/* The verdicts of `<field><match>` on five records: the field absent, null, "", a value, 5. */
static void field_states(const char *field, const char *match, const char *want)
{
    static const char *const members[] = { "", ",\"%s\":null", ",\"%s\":\"\"",
                                           ",\"%s\":\"AccessDenied\"", ",\"%s\":5" };
    char rule[256], recs[2048] = "", member[128], rec[512], got[16];
    snprintf(rule, sizeof rule, HEAD "detection:\n  sel:\n    %s%s\n  condition: sel\n", field,
             match);
    for (size_t i = 0; i < sizeof members / sizeof *members; i++) {
        snprintf(member, sizeof member, members[i], field);
        snprintf(rec, sizeof rec, REC("GetObject", "%s"), member);
        strcat(recs, rec);
    }
    verdicts(rule, recs, got, sizeof got);
    if (strcmp(got, want))
        fprintf(stderr, "  %s%s\n", field, match);
    assert_string_equal(got, want);
}

/* The Sigma specification (its "Value" and "Modifiers" sections): '' is an empty value, null
 * an absent field (or a JSON null), `exists` tests presence, and '*' is any string, the
 * empty one included. The same on the fields the event carries and on one read from the
 * record's JSON (errorMessage). */
static void empty_null_exists_on_event_fields(void **state)
{
    (void)state;
    static const char *const fields[] = { "errorCode",       "errorMessage", "userAgent",
                                          "sourceIPAddress", "awsRegion",    "eventID" };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        /*                                   absent null "" value 5 */
        field_states(fields[i], ": null", "11000");
        field_states(fields[i], ": ''", "00100");
        field_states(fields[i], "|exists: true", "01111");
        field_states(fields[i], "|exists: false", "10000");
        field_states(fields[i], "|contains: '*'", "00111");
        field_states(fields[i], ": '*'", "00111");
        field_states(fields[i], ": AccessDenied", "00010");
        field_states(fields[i], ": 5", "00001");
    }
}

/* A condition over '' and null together: an errorCode that is absent or empty is a success
 * (a filter written both ways, as SigmaHQ's rules write it). */
static void not_of_empty_and_null(void **state)
{
    (void)state;
    EXPECT(HEAD "detection:\n  sel:\n    eventName: GetObject\n  ok_null:\n    errorCode: null\n"
                "  ok_empty:\n    errorCode: ''\n  condition: sel and not 1 of ok_*\n",
           REC("GetObject", "") REC("GetObject", ",\"errorCode\":\"\"")
               REC("GetObject", ",\"errorCode\":\"NoSuchKey\"")
                   REC("GetObject", ",\"errorCode\":null"),
           "0010");
    /* only '' is the empty string: an absent or null errorCode is not */
    EXPECT(HEAD "detection:\n  sel:\n    eventName: GetObject\n  ok_empty:\n    errorCode: ''\n"
                "  condition: sel and not ok_empty\n",
           REC("GetObject", "") REC("GetObject", ",\"errorCode\":\"\"")
               REC("GetObject", ",\"errorCode\":\"NoSuchKey\"")
                   REC("GetObject", ",\"errorCode\":null"),
           "1011");
}

/* ECS task definitions: the credential endpoint query in the 9th container, and after more
 * than 64 values of the field: every value is examined. */
static void every_value_of_a_field(void **state)
{
    (void)state;
    const char *rule = SEL1("requestParameters.containerDefinitions.command|contains: "
                            "'$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'");
    /* containers before the one that matters, with `per` commands each: the 9th container,
     * past 64 values, past the size the buffer is given back at (5,000), then again after */
    static const struct {
        int before, per;
    } shapes[] = { { 0, 1 }, { 8, 1 }, { 8, 8 }, { 20, 5 }, { 300, 1 }, { 5000, 1 }, { 70, 1 } };
    size_t cap = 1u << 20, len = 0;
    char *recs = malloc(cap);
    assert_non_null(recs);
    recs[0] = '\0';
#define PUT(text) (len += (size_t)snprintf(recs + len, cap - len, "%s", (text)))
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        PUT("{\"eventTime\":\"2026-09-01T00:00:00Z\",\"eventSource\":\"ecs.amazonaws.com\","
            "\"eventName\":\"RegisterTaskDefinition\",\"userIdentity\":{\"type\":\"IAMUser\","
            "\"arn\":\"arn:aws:iam::1:user/u\"},\"requestParameters\":{\"family\":\"f\","
            "\"containerDefinitions\":[");
        for (int c = 0; c < shapes[s].before; c++) {
            PUT("{\"name\":\"c\",\"command\":[");
            for (int k = 0; k < shapes[s].per; k++)
                PUT(k ? ",\"sleep\"" : "\"sleep\"");
            PUT("]},");
        }
        PUT("{\"name\":\"x\",\"command\":[\"sh\",\"-c\",\"curl "
            "169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI\"]}]}}\n");
    }
#undef PUT
    assert_true(len < cap - 1);
    EXPECT(rule, recs, "1111111");
    free(recs);
}

/* RFC 8259: "Console\u004cogin" is the key ConsoleLogin, for the fields the normalizer takes
 * (eventName, errorCode) and for those read from the record's JSON. */
static void keys_written_with_escapes(void **state)
{
    (void)state;
    EXPECT(SEL1("responseElements.ConsoleLogin: Success"),
           REC("ConsoleLogin", ",\"responseElements\":{\"Console\\u004cogin\":\"Success\"}")
               REC("ConsoleLogin", ",\"responseElements\":{\"ConsoleLogin\":\"Success\"}")
                   REC("ConsoleLogin", ",\"responseElements\":{\"Console\\u004cogin\":\"Failure\"}")
                       REC("ConsoleLogin",
                           ",\"responseElements\":{\"ConsoleLogi\\u006e2\":\"Success\"}")
                           REC("ConsoleLogin",
                               ",\"responseElements\":{\"\\u0043onsoleLogin\":\"Success\"}"),
           "11001");
    /* eventName as a key with an escape: the record is an event at all, and matches */
    EXPECT(SEL1("eventName: ConsoleLogin"),
           "{\"eventTime\":\"2026-09-01T00:00:00Z\",\"eventSource\":\"signin.amazonaws.com\","
           "\"event\\u004eame\":\"ConsoleLogin\",\"userIdentity\":{\"type\":\"IAMUser\","
           "\"arn\":\"arn:aws:iam::1:user/u\"}}\n",
           "1");
    EXPECT(SEL1("errorCode: AccessDenied"),
           REC("GetObject", ",\"error\\u0043ode\":\"AccessDenied\"")
               REC("GetObject", ",\"errorCod\\u0065\":\"Other\""),
           "10");
    /* and the value's escapes, as before */
    EXPECT(SEL1("eventName: ConsoleLogin"), REC("Console\\u004cogin", ""), "1");
}

/* String matchers on an object-valued field read its compact JSON text (docs/rules.md). */
static void objects_as_json_text(void **state)
{
    (void)state;
    const char *versioning =
        ",\"requestParameters\":{\"bucketName\":\"b\",\"VersioningConfiguration\":"
        "{\"Status\": \"%s\", \"xmlns\":\"http://s3.amazonaws.com/doc/\"}}";
    char recs[2048] = "", rec[512], params[256];
    static const char *const status[] = { "Suspended", "Enabled" };
    for (int i = 0; i < 2; i++) {
        snprintf(params, sizeof params, versioning, status[i]);
        snprintf(rec, sizeof rec, REC("PutBucketVersioning", "%s"), params);
        strcat(recs, rec);
    }
    strcat(recs, REC("PutBucketVersioning", ""));
    strcat(recs, REC("PutBucketVersioning", ",\"requestParameters\":null"));
    EXPECT(SEL1("requestParameters|contains: 'Suspended'"), recs, "1000");
    /* the text has no blanks and its strings are written again: an escape in the record is
     * its character in the text */
    EXPECT(SEL1("requestParameters|contains: '\"Status\":\"Suspended\"'"), recs, "1000");
    EXPECT(SEL1("requestParameters|contains: '{\"bucketName\":\"b\",'"), recs, "1100");
    EXPECT(SEL1("requestParameters|contains: 'doc/\"}}'"), recs, "1100");
    EXPECT(SEL1("requestParameters|exists: true"), recs, "1101");
    EXPECT(SEL1("requestParameters: null"), recs, "0011");

    const char *rule = SEL1("requestParameters|contains|all:\n"
                            "      - '\"arn:aws:s3:::<YOUR-BUCKET-NAME>/*\"'\n"
                            "      - '\"s3:GetObject\"'\n      - '\"Allow\"'");
    EXPECT(rule,
           REC("PutUserPolicy",
               ",\"requestParameters\":{\"userName\":\"u\",\"policy\":{\"Statement\":[{\"Effect\":"
               "\"Allow\",\"Action\":[\"s3:GetObject\"],\"Resource\":\"arn:aws:s3:::\\u003cYOUR-"
               "BUCKET-NAME>/*\"}]}}")
               REC("PutUserPolicy",
                   ",\"requestParameters\":{\"userName\":\"u\",\"policy\":{\"Statement\":[{"
                   "\"Effect\":\"Deny\",\"Action\":[\"s3:GetObject\"],\"Resource\":\"arn:aws:s3:::"
                   "<YOUR-BUCKET-NAME>/*\"}]}}")
                   REC("PutUserPolicy",
                       ",\"requestParameters\":{\"userName\":\"u\",\"policyDocument\":\"{"
                       "\\\"Effect\\\":"
                       "\\\"Allow\\\",\\\"Action\\\":\\\"s3:GetObject\\\",\\\"Resource\\\":"
                       "\\\"arn:aws:s3:::<YOUR-BUCKET-NAME>/*\\\"}\"}"),
           "100");
    /* inside a string value, quotes stay escaped in the JSON text: the same words without
     * the quotes match it */
    EXPECT(SEL1("requestParameters|contains|all:\n      - 'arn:aws:s3:::<YOUR-BUCKET-NAME>/*'\n"
                "      - 's3:GetObject'\n      - 'Allow'"),
           REC("PutUserPolicy",
               ",\"requestParameters\":{\"userName\":\"u\",\"policyDocument\":\"{\\\"Effect\\\":"
               "\\\"Allow\\\",\\\"Action\\\":\\\"s3:GetObject\\\",\\\"Resource\\\":"
               "\\\"arn:aws:s3:::<YOUR-BUCKET-NAME>/*\\\"}\"}"),
           "1");
    /* equality with the whole text; elements of an array stay values of their own */
    EXPECT(SEL1("requestParameters: '{\"a\":[1,true,null,\"x\"]}'"),
           REC("GetObject", ",\"requestParameters\":{ \"a\" : [ 1 , true , null , \"x\" ] }"), "1");
    EXPECT(SEL1("requestParameters.a: x"),
           REC("GetObject", ",\"requestParameters\":{\"a\":[\"x\"]}"), "1");
    EXPECT(SEL1("requestParameters.a|contains: '\"k\":'"),
           REC("GetObject", ",\"requestParameters\":{\"a\":[{\"k\":1},\"x\"]}"), "1");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_null_exists_on_event_fields),
        cmocka_unit_test(not_of_empty_and_null),
        cmocka_unit_test(every_value_of_a_field),
        cmocka_unit_test(keys_written_with_escapes),
        cmocka_unit_test(objects_as_json_text),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
