/* state/: the identity store: lookup, idle restart, expiry, eviction under the cap. */
#include <stdio.h>
#include <string.h>

#include "tw_test.h"

#include "state.h"
#include "tw_hash.h"

static tw_state *make(uint64_t cap, int64_t idle)
{
    tw_state_conf conf = { .max_identities = cap, .idle_ms = idle, .slot_bytes = 24, .seed = 1 };
    char err[64];
    tw_state *st = tw_state_new(&conf, err, sizeof err);
    assert_non_null(st);
    return st;
}

static tw_ident *get(tw_state *st, const char *key, int64_t t, bool *created)
{
    tw_str k = tw_str_c(key);
    return tw_state_get(st, tw_hash64(k.p, k.len, 0), k, t, created);
}

static void finds_what_it_created(void **state)
{
    (void)state;
    tw_state *st = make(0, 1000000);
    bool created;
    tw_ident *a = get(st, "arn:aws:iam::1:role/a", 10, &created);
    assert_true(created);
    memset(tw_ident_slot(a, 0), 0xab, 24);
    tw_ident *b = get(st, "arn:aws:iam::1:role/b", 11, &created);
    assert_true(created);
    assert_ptr_not_equal(a, b);
    tw_ident *a2 = get(st, "arn:aws:iam::1:role/a", 12, &created);
    assert_false(created);
    assert_ptr_equal(a, a2);
    assert_int_equal(((unsigned char *)tw_ident_slot(a2, 0))[23], 0xab);
    assert_int_equal(a2->last_seen, 12);
    /* a key longer than the inline buffer */
    char longkey[300];
    memset(longkey, 'x', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    tw_ident *l = get(st, longkey, 13, &created);
    assert_true(created);
    assert_ptr_equal(get(st, longkey, 14, &created), l);
    assert_false(created);
    tw_state_destroy(st);
}

static void grows_and_keeps_every_identity(void **state)
{
    (void)state;
    tw_state *st = make(0, 1000000);
    char key[64];
    bool created;
    for (int i = 0; i < 50000; i++) {
        snprintf(key, sizeof key, "arn:aws:iam::1:role/r%d", i);
        tw_ident *id = get(st, key, i, &created);
        assert_true(created);
        *(int *)tw_ident_slot(id, 0) = i;
    }
    for (int i = 0; i < 50000; i++) {
        snprintf(key, sizeof key, "arn:aws:iam::1:role/r%d", i);
        tw_ident *id = get(st, key, 50000, &created);
        assert_false(created);
        assert_int_equal(*(int *)tw_ident_slot(id, 0), i);
    }
    tw_state_stats s;
    tw_state_get_stats(st, &s);
    assert_int_equal(s.live, 50000);
    assert_int_equal(s.evicted, 0);
    tw_state_destroy(st);
}

static void idle_identity_starts_afresh(void **state)
{
    (void)state;
    tw_state *st = make(0, 100);
    bool created;
    tw_ident *a = get(st, "k", 1000, &created);
    *(int *)tw_ident_slot(a, 0) = 42;
    a = get(st, "k", 1100, &created); /* exactly idle_ms later: still the same life */
    assert_false(created);
    assert_int_equal(*(int *)tw_ident_slot(a, 0), 42);
    a = get(st, "k", 1201, &created);
    assert_true(created);
    assert_int_equal(*(int *)tw_ident_slot(a, 0), 0);
    assert_int_equal(a->first_seen, 1201);
    tw_state_destroy(st);
}

static void expiry_removes_only_idle(void **state)
{
    (void)state;
    tw_state *st = make(0, 100);
    char key[32];
    bool created;
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        get(st, key, i % 2 ? 0 : 1000, &created);
    }
    /* budget-limited passes until the table has been swept */
    uint32_t removed = 0;
    for (int pass = 0; pass < 100; pass++)
        removed += tw_state_expire(st, 1050, 128);
    assert_int_equal(removed, 1000);
    tw_state_stats s;
    tw_state_get_stats(st, &s);
    assert_int_equal(s.live, 1000);
    assert_int_equal(s.expired, 1000);
    for (int i = 0; i < 2000; i += 2) {
        snprintf(key, sizeof key, "k%d", i);
        get(st, key, 1060, &created);
        assert_false(created); /* survivors still reachable after backward shifts */
    }
    tw_state_destroy(st);
}

static void cap_evicts_least_recently_seen(void **state)
{
    (void)state;
    tw_state *st = make(1000, 1000000000);
    char key[32];
    bool created;
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "old%d", i);
        get(st, key, i < 500 ? 0 : 5000, &created);
    }
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "new%d", i);
        get(st, key, 10000, &created);
    }
    tw_state_stats s;
    tw_state_get_stats(st, &s);
    assert_int_equal(s.live, 1000);
    assert_int_equal(s.evicted, 200);
    /* the sample picks the oldest it sees: nearly all victims come from the stale half */
    int young_lost = 0;
    for (int i = 500; i < 1000; i++) {
        snprintf(key, sizeof key, "old%d", i);
        get(st, key, 10001, &created);
        young_lost += created;
    }
    assert_true(young_lost < 20);
    tw_state_destroy(st);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_what_it_created),
        cmocka_unit_test(grows_and_keeps_every_identity),
        cmocka_unit_test(idle_identity_starts_afresh),
        cmocka_unit_test(expiry_removes_only_idle),
        cmocka_unit_test(cap_evicts_least_recently_seen),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
