/* Audit destinations (DESIGN §4): which deletions could remove one, the names that are one by
 * AWS's defaults or the user's patterns (ingest/ingest_audit.c), and what the stream names,
 * kept in stream order with checkpoints (detect/audit_book.c). */
#include <stdio.h>
#include <string.h>

#include "tw_test.h"

#include "audit_book.h"
#include "ingest_audit.h"

static void globs(void **state)
{
    (void)state;
    assert_true(tw_audit_glob("aws-cloudtrail-logs-*", tw_str_c("aws-cloudtrail-logs-123-ab")));
    assert_true(tw_audit_glob("aws-cloudtrail-logs-*", tw_str_c("aws-cloudtrail-logs-")));
    assert_false(tw_audit_glob("aws-cloudtrail-logs-*", tw_str_c("aws-cloudtrail-log")));
    assert_true(tw_audit_glob("/siem/*/audit", tw_str_c("/siem/prod/eu/audit")));
    assert_false(tw_audit_glob("/siem/*/audit", tw_str_c("/siem/prod/audit-x")));
    assert_true(tw_audit_glob("*", tw_str_c("")));
    assert_true(tw_audit_glob("exact", tw_str_c("exact")));
    assert_false(tw_audit_glob("exact", tw_str_c("Exact"))); /* names keep their case */
    assert_true(tw_audit_glob("a*b*c", tw_str_c("aXbYbZc")));
}

static void named_by_default_or_pattern(void **state)
{
    (void)state;
    assert_true(tw_audit_named(NULL, TW_AUDIT_LOG_GROUP,
                               tw_str_c("aws-cloudtrail-logs-111122223333-5a6b")));
    assert_true(tw_audit_named(NULL, TW_AUDIT_LOG_GROUP, tw_str_c("CloudTrail/DefaultLogGroup")));
    assert_true(
        tw_audit_named(NULL, TW_AUDIT_LOG_GROUP, tw_str_c("/aws/bedrock/modelinvocations")));
    assert_false(tw_audit_named(NULL, TW_AUDIT_LOG_GROUP, tw_str_c("/aws/lambda/orders")));
    assert_true(tw_audit_named(NULL, TW_AUDIT_BUCKET, tw_str_c("config-bucket-111122223333")));
    assert_false(tw_audit_named(NULL, TW_AUDIT_BUCKET, tw_str_c("/aws/bedrock/modelinvocations")));
    const char *groups[] = { "/siem/*" }, *buckets[] = { "*-audit" };
    tw_audit_patterns pt = { groups, 1, buckets, 1 };
    assert_true(tw_audit_named(&pt, TW_AUDIT_LOG_GROUP, tw_str_c("/siem/forwarder")));
    assert_false(tw_audit_named(&pt, TW_AUDIT_BUCKET, tw_str_c("/siem/forwarder")));
    assert_true(tw_audit_named(&pt, TW_AUDIT_BUCKET, tw_str_c("acme-audit")));
    assert_false(tw_audit_named(&pt, TW_AUDIT_LOG_GROUP, TW_STR_NULL));
}

static void deletions(void **state)
{
    (void)state;
    char buf[TW_RESOURCE_MAX];
    tw_str name;
    assert_int_equal(tw_audit_deletion(tw_str_c("logs.amazonaws.com"), tw_str_c("DeleteLogGroup"),
                                       tw_str_c("{\"logGroupName\":\"org-trail\"}"), buf, &name),
                     TW_AUDIT_LOG_GROUP);
    assert_true(tw_str_eq_c(name, "org-trail"));
    assert_int_equal(tw_audit_deletion(tw_str_c("s3.amazonaws.com"), tw_str_c("DeleteBucket"),
                                       tw_str_c("{\"bucketName\":\"logs\",\"Host\":\"x\"}"), buf,
                                       &name),
                     TW_AUDIT_BUCKET);
    assert_true(tw_str_eq_c(name, "logs"));
    /* a stream is never a destination; other calls, or no name, are nothing */
    assert_int_equal(tw_audit_deletion(tw_str_c("logs.amazonaws.com"), tw_str_c("DeleteLogStream"),
                                       tw_str_c("{\"logGroupName\":\"org-trail\"}"), buf, &name),
                     TW_AUDIT_NONE);
    assert_int_equal(tw_audit_deletion(tw_str_c("s3.amazonaws.com"), tw_str_c("DeleteBucket"),
                                       tw_str_c("{}"), buf, &name),
                     TW_AUDIT_NONE);
    assert_int_equal(tw_audit_deletion(tw_str_c("s3.amazonaws.com"), tw_str_c("DeleteObject"),
                                       tw_str_c("{\"bucketName\":\"logs\"}"), buf, &name),
                     TW_AUDIT_NONE);
}

typedef struct named {
    int n;
    tw_audit_kind kind[8];
    char name[8][64], account[8][16];
} named;

static void collect(void *ud, tw_audit_kind kind, tw_str name, tw_str account)
{
    named *nm = ud;
    if (nm->n == 8)
        return;
    nm->kind[nm->n] = kind;
    snprintf(nm->name[nm->n], 64, "%.*s", (int)name.len, name.p ? name.p : "");
    snprintf(nm->account[nm->n], 16, "%.*s", (int)account.len, account.p ? account.p : "");
    nm->n++;
}

static void calls_that_name_destinations(void **state)
{
    (void)state;
    named nm = { 0 };
    assert_true(tw_audit_destinations(
        tw_str_c("cloudtrail.amazonaws.com"), tw_str_c("CreateTrail"),
        tw_str_c("{\"name\":\"t\",\"s3BucketName\":\"trail-bucket\",\"cloudWatchLogsLogGroupArn\":"
                 "\"arn:aws:logs:us-east-1:111122223333:log-group:trail-events:*\"}"),
        collect, &nm));
    assert_int_equal(nm.n, 2);
    assert_int_equal(nm.kind[0], TW_AUDIT_BUCKET);
    assert_string_equal(nm.name[0], "trail-bucket");
    assert_int_equal(nm.kind[1], TW_AUDIT_LOG_GROUP);
    assert_string_equal(nm.name[1], "trail-events");
    assert_string_equal(nm.account[1], "111122223333");
    /* Bedrock names a bucket twice (logs and large data) and a group */
    memset(&nm, 0, sizeof nm);
    assert_true(tw_audit_destinations(
        tw_str_c("bedrock.amazonaws.com"), tw_str_c("PutModelInvocationLoggingConfiguration"),
        tw_str_c("{\"loggingConfig\":{\"cloudWatchConfig\":{\"logGroupName\":\"inv\","
                 "\"largeDataDeliveryS3Config\":{\"bucketName\":\"inv-large\"}},\"s3Config\":{"
                 "\"bucketName\":\"inv-s3\",\"keyPrefix\":\"p\"}}}"),
        collect, &nm));
    assert_int_equal(nm.n, 3);
    assert_string_equal(nm.name[0], "inv");
    assert_string_equal(nm.name[1], "inv-large");
    assert_string_equal(nm.name[2], "inv-s3");
    /* flow logs to S3 by ARN (prefix dropped); resolver query logs to a log group ARN */
    memset(&nm, 0, sizeof nm);
    assert_true(tw_audit_destinations(
        tw_str_c("ec2.amazonaws.com"), tw_str_c("CreateFlowLogs"),
        tw_str_c("{\"CreateFlowLogsRequest\":{\"LogDestinationType\":\"s3\",\"LogDestination\":"
                 "\"arn:aws:s3:::flow-archive/prod/\"}}"),
        collect, &nm));
    assert_int_equal(nm.n, 1);
    assert_int_equal(nm.kind[0], TW_AUDIT_BUCKET);
    assert_string_equal(nm.name[0], "flow-archive");
    memset(&nm, 0, sizeof nm);
    assert_true(tw_audit_destinations(
        tw_str_c("route53resolver.amazonaws.com"), tw_str_c("CreateResolverQueryLogConfig"),
        tw_str_c("{\"Name\":\"q\",\"DestinationArn\":\"arn:aws:logs:eu-west-1:444455556666:"
                 "log-group:/dns/queries\"}"),
        collect, &nm));
    assert_int_equal(nm.n, 1);
    assert_string_equal(nm.name[0], "/dns/queries");
    assert_string_equal(nm.account[0], "444455556666");
    /* a firehose destination names no log group or bucket; other calls name nothing */
    memset(&nm, 0, sizeof nm);
    assert_true(tw_audit_destinations(
        tw_str_c("route53resolver.amazonaws.com"), tw_str_c("CreateResolverQueryLogConfig"),
        tw_str_c("{\"DestinationArn\":\"arn:aws:firehose:us-east-1:1:deliverystream/x\"}"), collect,
        &nm));
    assert_int_equal(nm.n, 0);
    assert_false(tw_audit_destinations(tw_str_c("s3.amazonaws.com"), tw_str_c("CreateBucket"),
                                       tw_str_c("{\"bucketName\":\"b\"}"), collect, &nm));
}

/* An event as the parser leaves it: the hashes of what it names, or of what it deletes. */
typedef struct named_ev {
    tw_event ev;
    uint64_t names[8];
} named_ev;

static void add_name(void *ud, tw_audit_kind kind, tw_str name, tw_str account)
{
    named_ev *ne = ud;
    ne->names[ne->ev.n_audit_names++] =
        tw_audit_dest_hash(kind, account.len ? account : ne->ev.account, name);
}

static void naming(named_ev *ne, const char *source, const char *name, const char *params,
                   const char *account)
{
    memset(ne, 0, sizeof *ne);
    ne->ev.account = tw_str_c(account);
    assert_true(
        tw_audit_destinations(tw_str_c(source), tw_str_c(name), tw_str_c(params), add_name, ne));
    ne->ev.audit_names = ne->names;
    ne->ev.flags = TW_EV_AUDIT_NAMES;
}

static const uint32_t k_if_audit[] = { 3, 7 };

static bool decide(tw_audit_book *ab, tw_audit_kind kind, const char *target, const char *account)
{
    const uint32_t normal[] = { 1 };
    tw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.flags = TW_EV_AUDIT_CANDIDATE;
    ev.classes = TW_CLASS_WRITE | TW_CLASS_DESTRUCTIVE;
    ev.audit_target = tw_audit_dest_hash(kind, tw_str_c(account), tw_str_c(target));
    ev.rules = normal;
    ev.n_rules = 1;
    ev.rules_if_audit = k_if_audit;
    ev.n_rules_if_audit = 2;
    tw_audit_book_event(ab, &ev);
    bool audit = (ev.classes & TW_CLASS_LOGGING_CONTROL) != 0;
    assert_int_equal(ev.n_rules, audit ? 2 : 1);
    assert_ptr_equal(ev.rules == k_if_audit, audit);
    return audit;
}

static void book_learns_in_stream_order(void **state)
{
    (void)state;
    tw_audit_book *ab = tw_audit_book_new();
    assert_non_null(ab);
    /* before the trail names them: not destinations */
    assert_false(decide(ab, TW_AUDIT_BUCKET, "trail-bucket", "1"));
    named_ev trail;
    naming(&trail, "cloudtrail.amazonaws.com", "CreateTrail",
           "{\"s3BucketName\":\"trail-bucket\",\"cloudWatchLogsLogGroupArn\":"
           "\"arn:aws:logs:us-east-1:1:log-group:trail-events:*\"}",
           "1");
    assert_int_equal(trail.ev.n_audit_names, 2);
    tw_audit_book_event(ab, &trail.ev);
    assert_true(decide(ab, TW_AUDIT_BUCKET, "trail-bucket", "1"));
    assert_true(decide(ab, TW_AUDIT_BUCKET, "trail-bucket", "2")); /* buckets are global */
    assert_true(decide(ab, TW_AUDIT_LOG_GROUP, "trail-events", "1"));
    assert_false(decide(ab, TW_AUDIT_LOG_GROUP, "trail-events", "2")); /* groups per account */
    assert_false(decide(ab, TW_AUDIT_LOG_GROUP, "trail-bucket", "1")); /* kinds apart */
    tw_audit_stats st;
    tw_audit_book_get_stats(ab, &st);
    assert_int_equal(st.destinations, 2);
    assert_int_equal(st.deletions, 3);
    /* naming the same again adds nothing */
    tw_audit_book_event(ab, &trail.ev);
    tw_audit_book_get_stats(ab, &st);
    assert_int_equal(st.destinations, 2);
    /* a log group named by name takes the record's account */
    named_ev flow;
    naming(&flow, "ec2.amazonaws.com", "CreateFlowLogs",
           "{\"CreateFlowLogsRequest\":{\"LogGroupName\":\"vpc-flows\"}}", "7");
    tw_audit_book_event(ab, &flow.ev);
    assert_true(decide(ab, TW_AUDIT_LOG_GROUP, "vpc-flows", "7"));
    assert_false(decide(ab, TW_AUDIT_LOG_GROUP, "vpc-flows", "1"));
    tw_audit_book_destroy(ab);
    tw_audit_book_destroy(NULL);
}

static void book_checkpoint_round_trip(void **state)
{
    (void)state;
    tw_audit_book *ab = tw_audit_book_new();
    char params[128];
    for (int i = 0; i < 200; i++) { /* enough to grow the table a few times */
        snprintf(params, sizeof params, "{\"s3BucketName\":\"bucket-%d\"}", i);
        named_ev ne;
        naming(&ne, "cloudtrail.amazonaws.com", "UpdateTrail", params, "1");
        tw_audit_book_event(ab, &ne.ev);
    }
    assert_true(decide(ab, TW_AUDIT_BUCKET, "bucket-42", "1"));
    tw_buf b;
    tw_buf_init(&b);
    tw_audit_book_save(ab, &b);
    assert_false(b.failed);
    tw_audit_book *back = tw_audit_book_new();
    tw_wire_reader in = { (const unsigned char *)b.p, (const unsigned char *)b.p + b.len, false };
    assert_int_equal(tw_audit_book_load(back, &in), TW_OK);
    assert_ptr_equal(in.p, in.end);
    tw_audit_stats st;
    tw_audit_book_get_stats(back, &st);
    assert_int_equal(st.destinations, 200);
    assert_int_equal(st.deletions, 1);
    assert_true(decide(back, TW_AUDIT_BUCKET, "bucket-199", "1"));
    assert_false(decide(back, TW_AUDIT_BUCKET, "bucket-200", "1"));
    /* damaged: cut short, a zero hash, a hash twice */
    tw_audit_book *bad = tw_audit_book_new();
    in = (tw_wire_reader){ (const unsigned char *)b.p, (const unsigned char *)b.p + b.len - 3,
                           false };
    assert_int_equal(tw_audit_book_load(bad, &in), TW_ERR_CORRUPT);
    tw_audit_book_destroy(bad);
    unsigned char two[4 + 8 + 16];
    uint32_t n = 2;
    uint64_t zero = 0, h = 12345;
    memcpy(two, &n, 4);
    memcpy(two + 4, &zero, 8);
    memcpy(two + 12, &h, 8);
    memcpy(two + 20, &zero, 8);
    bad = tw_audit_book_new();
    in = (tw_wire_reader){ two, two + sizeof two, false };
    assert_int_equal(tw_audit_book_load(bad, &in), TW_ERR_CORRUPT);
    tw_audit_book_destroy(bad);
    memcpy(two + 20, &h, 8);
    bad = tw_audit_book_new();
    in = (tw_wire_reader){ two, two + sizeof two, false };
    assert_int_equal(tw_audit_book_load(bad, &in), TW_ERR_CORRUPT);
    tw_audit_book_destroy(bad);
    tw_buf_free(&b);
    tw_audit_book_destroy(back);
    tw_audit_book_destroy(ab);
}

/* consume --state-topic: destinations follow the partition (source) whose records named them:
 * each source's part, only the sources with news, merged into another book without losing what
 * it had. */
static void mark_source(void *ud, uint16_t source)
{
    uint32_t *seen = ud;
    *seen |= 1u << source;
}

static void book_parts_follow_their_source(void **state)
{
    (void)state;
    tw_audit_book *ab = tw_audit_book_new();
    char params[128];
    for (int i = 0; i < 100; i++) { /* sources 1 and 2 name 50 buckets each */
        snprintf(params, sizeof params, "{\"s3BucketName\":\"bucket-%d\"}", i);
        named_ev ne;
        naming(&ne, "cloudtrail.amazonaws.com", "UpdateTrail", params, "1");
        ne.ev.source = (uint16_t)(1 + i % 2);
        tw_audit_book_event(ab, &ne.ev);
    }
    uint32_t seen = 0;
    tw_audit_book_changed_sources(ab, mark_source, &seen);
    assert_int_equal(seen, (1u << 1) | (1u << 2));
    seen = 0;
    tw_audit_book_changed_sources(ab, mark_source, &seen);
    assert_int_equal(seen, 0); /* told once */
    tw_buf part;
    tw_buf_init(&part);
    tw_audit_book_save_source(ab, 2, &part);
    assert_int_equal(part.len, 4 + 50 * 8);
    /* another instance restores source 2's part into what it knew */
    tw_audit_book *other = tw_audit_book_new();
    named_ev own;
    naming(&own, "cloudtrail.amazonaws.com", "UpdateTrail", "{\"s3BucketName\":\"mine\"}", "1");
    own.ev.source = 5;
    tw_audit_book_event(other, &own.ev);
    tw_wire_reader in = { (const unsigned char *)part.p, (const unsigned char *)part.p + part.len,
                          false };
    assert_int_equal(tw_audit_book_merge_source(other, 7, &in), TW_OK);
    assert_ptr_equal(in.p, in.end);
    assert_true(decide(other, TW_AUDIT_BUCKET, "mine", "1"));
    assert_true(decide(other, TW_AUDIT_BUCKET, "bucket-1", "1")); /* odd i: source 2 */
    assert_false(decide(other, TW_AUDIT_BUCKET, "bucket-0", "1"));
    seen = 0;
    tw_audit_book_changed_sources(other, mark_source, &seen);
    assert_int_equal(seen, 1u << 5); /* what it restored is not news to write back */
    /* its part of the restored source: the 50, now under the source it came in on */
    tw_buf again;
    tw_buf_init(&again);
    tw_audit_book_save_source(other, 7, &again);
    assert_int_equal(again.len, 4 + 50 * 8);
    /* damaged: cut short */
    in = (tw_wire_reader){ (const unsigned char *)part.p,
                           (const unsigned char *)part.p + part.len - 1, false };
    assert_int_equal(tw_audit_book_merge_source(other, 7, &in), TW_ERR_CORRUPT);
    tw_buf_free(&part);
    tw_buf_free(&again);
    tw_audit_book_destroy(other);
    tw_audit_book_destroy(ab);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(globs),
        cmocka_unit_test(named_by_default_or_pattern),
        cmocka_unit_test(deletions),
        cmocka_unit_test(calls_that_name_destinations),
        cmocka_unit_test(book_learns_in_stream_order),
        cmocka_unit_test(book_checkpoint_round_trip),
        cmocka_unit_test(book_parts_follow_their_source),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
