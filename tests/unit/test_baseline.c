/* state/baseline: an identity's profile of its own calls. What is learnt from which call, the
 * exact values and the sketch past them (no false "new", rare false "known"), networks, growth
 * from 32 bytes, the learning period's formula, and what a checkpoint may hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_test.h"

#include "baseline.h"

#define DAY (86400000LL)

static tw_event call(const char *source, const char *region, const char *ip, uint32_t classes)
{
    tw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.event_source = tw_str_c(source);
    ev.region = tw_str_c(region);
    ev.source_ip = tw_str_c(ip);
    ev.classes = classes;
    ev.error_code = TW_STR_LIT("");
    return ev;
}

/* A baseline on the heap, grown as rules_run grows it in the sparse state. */
static tw_baseline *fresh(void)
{
    tw_baseline *b = calloc(1, TW_BASELINE_INITIAL);
    assert_non_null(b);
    tw_baseline_init(b);
    return b;
}

static tw_baseline *learn(tw_baseline *b, const tw_event *ev)
{
    while (!tw_baseline_learn(b, ev)) {
        uint32_t old = tw_baseline_size(b), bytes = tw_baseline_grown_size(b);
        assert_true(bytes > old);
        b = realloc(b, bytes);
        assert_non_null(b);
        memset((char *)b + old, 0, bytes - old);
        tw_baseline_grown(b, bytes);
        assert_int_equal(tw_baseline_size(b), bytes);
    }
    return b;
}

static bool has(const tw_baseline *b, tw_baseline_kind kind, const tw_event *ev)
{
    uint32_t v;
    assert_true(tw_baseline_value(kind, ev, &v));
    return tw_baseline_has(b, kind, v);
}

/* An identity that makes one kind of call costs 32 bytes; more values, 4 at a time. */
static void sized_to_what_it_does(void **state)
{
    (void)state;
    tw_baseline *b = fresh();
    assert_int_equal(tw_baseline_size(b), 32);
    tw_event s3 = call("s3.amazonaws.com", "us-east-1", "198.51.100.23", TW_CLASS_READ);
    for (int i = 0; i < 100; i++)
        b = learn(b, &s3);
    assert_int_equal(tw_baseline_size(b), 32); /* service, region, network: 3 of 4 */
    tw_event sqs = call("sqs.amazonaws.com", "us-east-1", "198.51.100.23", TW_CLASS_READ);
    b = learn(b, &sqs);
    tw_event kms = call("kms.amazonaws.com", "us-east-1", "198.51.100.23", TW_CLASS_READ);
    b = learn(b, &kms);
    assert_int_equal(tw_baseline_size(b), 48);
    free(b);
}

static void learns_own_calls(void **state)
{
    (void)state;
    tw_baseline *b = fresh();
    tw_event s3 = call("s3.amazonaws.com", "us-east-1", "198.51.100.23", TW_CLASS_READ);
    assert_false(has(b, TW_BASELINE_SERVICE, &s3));
    assert_false(has(NULL, TW_BASELINE_SERVICE, &s3)); /* no baseline yet: nothing known */
    b = learn(b, &s3);
    assert_true(has(b, TW_BASELINE_SERVICE, &s3));
    assert_true(has(b, TW_BASELINE_REGION, &s3));
    assert_true(has(b, TW_BASELINE_NETWORK, &s3));
    assert_true(tw_baseline_has_classes(b, TW_CLASS_READ));
    /* another address of the same /24 is the same network; another /24 is not */
    tw_event near = call("s3.amazonaws.com", "us-east-1", "198.51.100.200", TW_CLASS_READ);
    tw_event far = call("s3.amazonaws.com", "us-east-1", "198.51.101.23", TW_CLASS_READ);
    assert_true(has(b, TW_BASELINE_NETWORK, &near));
    assert_false(has(b, TW_BASELINE_NETWORK, &far));
    /* IPv6: the /48 */
    tw_event v6a = call("s3.amazonaws.com", "us-east-1", "2001:db8:1:1::5", TW_CLASS_READ);
    tw_event v6b = call("s3.amazonaws.com", "us-east-1", "2001:db8:1:ffff::9", TW_CLASS_READ);
    tw_event v6c = call("s3.amazonaws.com", "us-east-1", "2001:db8:2::5", TW_CLASS_READ);
    b = learn(b, &v6a);
    assert_true(has(b, TW_BASELINE_NETWORK, &v6b));
    assert_false(has(b, TW_BASELINE_NETWORK, &v6c));
    /* a model id, when the call names one */
    tw_event invoke = call("bedrock.amazonaws.com", "us-west-2", "198.51.100.23", TW_CLASS_READ);
    uint32_t v;
    assert_false(tw_baseline_value(TW_BASELINE_MODEL, &invoke, &v));
    invoke.model_id = TW_STR_LIT("anthropic.claude-3-haiku-20240307-v1:0");
    assert_false(has(b, TW_BASELINE_MODEL, &invoke));
    b = learn(b, &invoke);
    assert_true(has(b, TW_BASELINE_MODEL, &invoke));
    assert_true(has(b, TW_BASELINE_REGION, &invoke));
    /* a value of one kind is not one of another: the region "s3.amazonaws.com" is new */
    tw_event odd = call("", "s3.amazonaws.com", "", 0);
    assert_false(has(b, TW_BASELINE_REGION, &odd));
    free(b);
}

/* Failed calls show the scope an identity reaches for (service, region, network), but not
 * what it did: their classes and privileged actions are not learnt. Calls an AWS service made
 * on its behalf are not its behaviour at all. */
static void what_failed_and_on_behalf_calls_teach(void **state)
{
    (void)state;
    tw_baseline *b = fresh();
    tw_event denied = call("bedrock.amazonaws.com", "us-east-1", "198.51.100.23",
                           TW_CLASS_MODEL_TRAINING | TW_CLASS_WRITE);
    denied.flags = TW_EV_FAILED | TW_EV_DENIED | TW_EV_ACTION_KNOWN;
    denied.action_id = 42;
    denied.error_code = TW_STR_LIT("AccessDeniedException");
    b = learn(b, &denied);
    assert_true(has(b, TW_BASELINE_SERVICE, &denied));
    assert_false(tw_baseline_has_classes(b, TW_CLASS_MODEL_TRAINING));
    assert_false(has(b, TW_BASELINE_PRIVILEGED, &denied));
    denied.flags = TW_EV_ACTION_KNOWN; /* the same call, successful: learnt though its
                                        * service, region and network repeat the last call's */
    b = learn(b, &denied);
    assert_true(tw_baseline_has_classes(b, TW_CLASS_MODEL_TRAINING | TW_CLASS_WRITE));
    assert_true(has(b, TW_BASELINE_PRIVILEGED, &denied));

    tw_baseline *c = fresh();
    tw_event decrypt = call("kms.amazonaws.com", "us-east-1", "AWS Internal", TW_CLASS_READ);
    decrypt.flags = TW_EV_ON_BEHALF;
    c = learn(c, &decrypt);
    assert_false(has(c, TW_BASELINE_SERVICE, &decrypt));
    assert_int_equal(c->classes, 0);
    free(b);
    free(c);
}

/* Past TW_BASELINE_MAX_VALUES, values go to the sketch: every value learnt is still known (no
 * false "new"), and values never learnt are new but for a few sketch collisions. */
static void sketch_past_the_exact_values(void **state)
{
    (void)state;
    tw_baseline *b = fresh();
    char name[64];
    for (int i = 0; i < 90; i++) {
        snprintf(name, sizeof name, "svc%d.amazonaws.com", i);
        tw_event ev = call(name, "", "", 0);
        b = learn(b, &ev);
    }
    bool over;
    assert_int_equal(tw_baseline_count(b, TW_BASELINE_SERVICE, &over), TW_BASELINE_MAX_VALUES);
    assert_true(over);
    assert_int_equal(tw_baseline_size(b),
                     16 + 4 * TW_BASELINE_MAX_VALUES + TW_BASELINE_SKETCH_BYTES);
    assert_true(tw_baseline_valid(b, tw_baseline_size(b)));
    for (int i = 0; i < 90; i++) {
        snprintf(name, sizeof name, "svc%d.amazonaws.com", i);
        tw_event ev = call(name, "", "", 0);
        assert_true(has(b, TW_BASELINE_SERVICE, &ev));
    }
    int false_known = 0;
    for (int i = 1000; i < 3000; i++) {
        snprintf(name, sizeof name, "svc%d.amazonaws.com", i);
        tw_event ev = call(name, "", "", 0);
        false_known += has(b, TW_BASELINE_SERVICE, &ev);
    }
    /* 50 values in 512 bits, 3 bits each: (1 - e^(-150/512))^3 = 1.6% expected */
    assert_true(false_known < 2000 / 20);
    /* the other kinds have nothing in the sketch: a region is not a service */
    tw_event r = call("", "svc1.amazonaws.com", "", 0);
    assert_false(has(b, TW_BASELINE_REGION, &r));
    free(b);
}

/* Learning (DESIGN §5): one first seen within the stream's first --learn is known once
 * observed that long; one first seen later is new and known at once; --learn 0 knows all. */
static void known_from(void **state)
{
    (void)state;
    int64_t start = 100 * DAY, learn = 7 * DAY;
    assert_true(tw_baseline_known_from(start, start, learn) == start + 7 * DAY);
    assert_true(tw_baseline_known_from(start + 6 * DAY, start, learn) == start + 13 * DAY);
    assert_true(tw_baseline_known_from(start + 7 * DAY - 1, start, learn) == start + 14 * DAY - 1);
    assert_true(tw_baseline_known_from(start + 7 * DAY, start, learn) == start + 7 * DAY);
    assert_true(tw_baseline_known_from(start + 20 * DAY, start, learn) == start + 20 * DAY);
    assert_true(tw_baseline_known_from(start, start, 0) == start);
    /* restored state: the stream covers from the earlier run's start */
    assert_true(tw_baseline_known_from(start + 40 * DAY, start, learn) == start + 40 * DAY);
}

static void checkpoint_bytes_checked(void **state)
{
    (void)state;
    tw_baseline *b = fresh();
    assert_true(tw_baseline_valid(b, TW_BASELINE_INITIAL));
    assert_false(tw_baseline_valid(b, 8)); /* shorter than its header */
    b->n = 5;                              /* more values than room */
    assert_false(tw_baseline_valid(b, TW_BASELINE_INITIAL));
    b->n = 0;
    b->cap = 8; /* more room than bytes */
    assert_false(tw_baseline_valid(b, TW_BASELINE_INITIAL));
    b->cap = 4;
    b->overflow = 1; /* a sketch it does not have */
    assert_false(tw_baseline_valid(b, TW_BASELINE_INITIAL));
    b->overflow = 0;
    b->classes = 1u << 31;
    assert_false(tw_baseline_valid(b, TW_BASELINE_INITIAL));
    b->classes = 0;
    b->n = 1;
    b->v[0] = 7u << 29; /* a kind that does not exist */
    assert_false(tw_baseline_valid(b, TW_BASELINE_INITIAL));
    free(b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sized_to_what_it_does),
        cmocka_unit_test(learns_own_calls),
        cmocka_unit_test(what_failed_and_on_behalf_calls_teach),
        cmocka_unit_test(sketch_past_the_exact_values),
        cmocka_unit_test(known_from),
        cmocka_unit_test(checkpoint_bytes_checked),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
