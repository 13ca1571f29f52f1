/* state/: the identity store: lookup, idle restart, expiry, eviction under the cap. */
#include <stdio.h>
#include <string.h>

#include "tw_test.h"

#include "state.h"
#include "state_sparse.h"
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

/* consume: an identity is idle by its own partition's progress, not by a faster partition's
 * (an earlier topic's partition read beside a later one would otherwise lose its state
 * between two of its records, depending on how the partitions interleave). */
static void expiry_by_each_partition(void **state)
{
    (void)state;
    tw_state *st = make(0, 100);
    bool created;
    tw_ident *slow = get(st, "slow", 0, &created);
    slow->source = 1;
    tw_ident *fast = get(st, "fast", 0, &created);
    fast->source = 2;
    tw_ident *none = get(st, "none", 0, &created); /* no source: the global watermark */
    int64_t wm[3] = { INT64_MIN, 50, 100000 };
    for (int pass = 0; pass < 10; pass++)
        tw_state_expire_sources(st, 100000, wm, 3, 128);
    (void)none;
    tw_state_stats s;
    tw_state_get_stats(st, &s);
    assert_int_equal(s.expired, 2);
    get(st, "slow", 60, &created);
    assert_false(created); /* its partition is only at 50 */
    get(st, "fast", 100000, &created);
    assert_true(created);
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

/* ---- state_sparse: entries keyed below 2^48 in one block ------------------------------- */

static bool all_bytes(const void *p, unsigned char v, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != v)
            return false;
    return true;
}

static void sparse_get_creates_zeroed_then_finds(void **state)
{
    (void)state;
    tw_sparse *sp = NULL;
    bool created = false;
    unsigned char *a = tw_sparse_get(&sp, 7, 24, &created);
    assert_non_null(a);
    assert_true(created);
    assert_true(all_bytes(a, 0, 24));
    memset(a, 0x5a, 24);
    unsigned char *b = tw_sparse_get(&sp, 8, 16, &created);
    assert_non_null(b);
    assert_true(created);
    assert_true(all_bytes(b, 0, 16));
    memset(b, 0x3c, 16);

    created = true;
    a = tw_sparse_get(&sp, 7, 24, &created);
    assert_false(created);
    assert_true(all_bytes(a, 0x5a, 24));
    /* another size asked for an existing key: the entry as it is */
    unsigned char *a2 = tw_sparse_get(&sp, 7, 200, &created);
    assert_false(created);
    assert_ptr_equal(a2, a);
    uint32_t bytes = 0;
    assert_ptr_equal(tw_sparse_find(sp, 7, &bytes), a);
    assert_int_equal(bytes, 24);
    assert_true(all_bytes(tw_sparse_find(sp, 8, NULL), 0x3c, 16));
    tw_sparse_free(&sp);
}

static void sparse_find_missing_and_rounded_bytes(void **state)
{
    (void)state;
    tw_sparse *sp = NULL;
    uint32_t bytes = 1234;
    assert_null(tw_sparse_find(NULL, 1, &bytes)); /* no block yet */
    assert_int_equal(bytes, 1234);
    bool created;
    const uint32_t asked[] = { 0, 1, 7, 8, 9, 17 };
    const uint32_t kept[] = { 0, 8, 8, 8, 16, 24 };
    for (uint32_t i = 0; i < 6; i++) {
        assert_non_null(tw_sparse_get(&sp, 100 + i, asked[i], &created));
        assert_true(created);
    }
    for (uint32_t i = 0; i < 6; i++) {
        assert_non_null(tw_sparse_find(sp, 100 + i, &bytes));
        assert_int_equal(bytes, kept[i]);
    }
    assert_true(all_bytes(tw_sparse_find(sp, 105, NULL), 0, 24)); /* rounded bytes zeroed too */
    assert_null(tw_sparse_find(sp, 99, &bytes));
    assert_null(tw_sparse_find(sp, 106, &bytes));
    assert_null(tw_sparse_find(sp, 0, &bytes));
    tw_sparse_free(&sp);
}

static void sparse_refuses_keys_of_48_bits_or_more(void **state)
{
    (void)state;
    tw_sparse *sp = NULL;
    bool created = true;
    const uint64_t top = (1ull << TW_SPARSE_KEY_BITS) - 1;
    assert_null(tw_sparse_get(&sp, 1ull << TW_SPARSE_KEY_BITS, 8, &created));
    assert_false(created);
    assert_null(sp); /* nothing allocated for a refused key */
    assert_null(tw_sparse_get(&sp, UINT64_MAX, 8, &created));
    assert_false(created);

    uint64_t *v = tw_sparse_get(&sp, top, 8, &created);
    assert_non_null(v);
    assert_true(created);
    *v = 0x1122334455667788ull;
    uint64_t *low = tw_sparse_get(&sp, 5, 8, &created);
    assert_non_null(low);
    *low = 5;
    assert_ptr_equal(tw_sparse_find(sp, top, NULL), tw_sparse_find(sp, top, NULL));
    assert_true(*(uint64_t *)tw_sparse_find(sp, top, NULL) == 0x1122334455667788ull);
    /* keys that would alias an entry's once cut to 48 bits are not found */
    assert_null(tw_sparse_find(sp, (1ull << TW_SPARSE_KEY_BITS) | 5, NULL));
    assert_null(tw_sparse_find(sp, UINT64_MAX, NULL));
    assert_null(tw_sparse_get(&sp, (1ull << TW_SPARSE_KEY_BITS) | 5, 8, &created));
    assert_false(created);
    assert_null(tw_sparse_resize(&sp, (1ull << TW_SPARSE_KEY_BITS) | 5, 64));
    assert_int_equal(tw_sparse_bytes(sp), 8 + 2 * 16);
    tw_sparse_free(&sp);
}

static void sparse_resize_grows_in_the_middle(void **state)
{
    (void)state;
    tw_sparse *sp = NULL;
    bool created;
    memset(tw_sparse_get(&sp, 1, 16, &created), 0x11, 16);
    memset(tw_sparse_get(&sp, 2, 8, &created), 0x22, 8);
    memset(tw_sparse_get(&sp, 3, 24, &created), 0x33, 24);
    memset(tw_sparse_get(&sp, 4, 8, &created), 0x44, 8);
    size_t before = tw_sparse_bytes(sp);

    unsigned char *m = tw_sparse_resize(&sp, 2, 37); /* rounds to 40 */
    assert_non_null(m);
    uint32_t bytes = 0;
    assert_ptr_equal(tw_sparse_find(sp, 2, &bytes), m);
    assert_int_equal(bytes, 40);
    assert_true(all_bytes(m, 0x22, 8));
    assert_true(all_bytes(m + 8, 0, 32));
    assert_int_equal(tw_sparse_bytes(sp), before + 32);

    assert_true(all_bytes(tw_sparse_find(sp, 1, &bytes), 0x11, 16));
    assert_int_equal(bytes, 16);
    assert_true(all_bytes(tw_sparse_find(sp, 3, &bytes), 0x33, 24));
    assert_int_equal(bytes, 24);
    assert_true(all_bytes(tw_sparse_find(sp, 4, &bytes), 0x44, 8));
    assert_int_equal(bytes, 8);

    /* the last entry grows too, and a later get appends after it */
    unsigned char *last = tw_sparse_resize(&sp, 4, 16);
    assert_non_null(last);
    assert_true(all_bytes(last, 0x44, 8));
    assert_true(all_bytes(last + 8, 0, 8));
    unsigned char *five = tw_sparse_get(&sp, 5, 8, &created);
    assert_true(created);
    assert_true(all_bytes(five, 0, 8));
    assert_true(all_bytes(tw_sparse_find(sp, 4, NULL), 0x44, 8));
    assert_null(tw_sparse_resize(&sp, 6, 64)); /* no such entry */
    assert_null(tw_sparse_find(sp, 6, NULL));
    tw_sparse_free(&sp);
}

static void sparse_resize_smaller_is_a_no_op(void **state)
{
    (void)state;
    tw_sparse *sp = NULL;
    bool created;
    memset(tw_sparse_get(&sp, 1, 32, &created), 0x77, 32);
    memset(tw_sparse_get(&sp, 2, 8, &created), 0x88, 8);
    size_t before = tw_sparse_bytes(sp);
    void *p = tw_sparse_find(sp, 1, NULL);
    const uint32_t sizes[] = { 32, 31, 25, 8, 0 };
    for (uint32_t i = 0; i < 5; i++) {
        assert_ptr_equal(tw_sparse_resize(&sp, 1, sizes[i]), p);
        uint32_t bytes = 0;
        assert_non_null(tw_sparse_find(sp, 1, &bytes));
        assert_int_equal(bytes, 32);
        assert_true(all_bytes(p, 0x77, 32));
        assert_int_equal(tw_sparse_bytes(sp), before);
    }
    assert_true(all_bytes(tw_sparse_find(sp, 2, NULL), 0x88, 8));
    tw_sparse_free(&sp);
}

/* Sizes near 4 GiB must not round up to a small entry (they would wrap at 2^32). */
static void sparse_refuses_sizes_that_would_wrap(void **state)
{
    (void)state;
    tw_sparse *sp = NULL;
    bool created = true;
    assert_null(tw_sparse_get(&sp, 1, UINT32_MAX, &created));
    assert_false(created);
    assert_null(tw_sparse_get(&sp, 1, UINT32_MAX - 6, &created));
    assert_null(sp);
    assert_non_null(tw_sparse_get(&sp, 2, 8, &created));
    assert_null(tw_sparse_resize(&sp, 2, UINT32_MAX - 3));
    uint32_t bytes = 0;
    assert_non_null(tw_sparse_find(sp, 2, &bytes));
    assert_int_equal(bytes, 8);
    tw_sparse_free(&sp);
}

typedef struct visit {
    uint64_t key[8];
    uint32_t bytes[8];
    unsigned char first[8];
    uint32_t n;
} visit;

static void record_visit(void *ud, uint64_t key, const void *data, uint32_t bytes)
{
    visit *v = ud;
    assert_true(v->n < 8);
    v->key[v->n] = key;
    v->bytes[v->n] = bytes;
    v->first[v->n] = bytes ? *(const unsigned char *)data : 0;
    assert_true(all_bytes(data, v->first[v->n], bytes));
    v->n++;
}

static void sparse_foreach_visits_in_insertion_order(void **state)
{
    (void)state;
    visit v;
    memset(&v, 0, sizeof v);
    tw_sparse_foreach(NULL, record_visit, &v);
    assert_int_equal(v.n, 0);

    tw_sparse *sp = NULL;
    bool created;
    const uint64_t keys[] = { 900, 3, (1ull << TW_SPARSE_KEY_BITS) - 1, 0, 42 };
    const uint32_t sizes[] = { 8, 24, 16, 0, 13 };
    for (uint32_t i = 0; i < 5; i++) {
        unsigned char *p = tw_sparse_get(&sp, keys[i], sizes[i], &created);
        assert_non_null(p);
        assert_true(created);
        uint32_t bytes = 0;
        tw_sparse_find(sp, keys[i], &bytes);
        memset(p, 0xa0 + (int)i, bytes);
    }
    assert_non_null(tw_sparse_resize(&sp, 3, 40)); /* grown: still visited in its place */
    memset(tw_sparse_find(sp, 3, NULL), 0xa1, 40);

    tw_sparse_foreach(sp, record_visit, &v);
    assert_int_equal(v.n, 5);
    const uint32_t kept[] = { 8, 40, 16, 0, 16 /* 13 rounded up */ };
    for (uint32_t i = 0; i < 5; i++) {
        assert_true(v.key[i] == keys[i]);
        assert_int_equal(v.bytes[i], kept[i]);
        if (kept[i])
            assert_int_equal(v.first[i], 0xa0 + i);
    }
    tw_sparse_free(&sp);
}

static void sparse_block_is_exactly_its_entries(void **state)
{
    (void)state;
    tw_sparse *sp = NULL;
    assert_int_equal(tw_sparse_bytes(NULL), 0);
    bool created;
    size_t want = 8;
    for (uint32_t i = 0; i < 40; i++) {
        uint32_t bytes = (i * 7) % 61;
        assert_non_null(tw_sparse_get(&sp, i * 1000003ull, bytes, &created));
        want += 8 + ((bytes + 7) / 8) * 8;
        assert_int_equal(tw_sparse_bytes(sp), want);
    }
    /* finding and getting existing keys does not grow it; resizing grows it by the rounded
     * difference */
    for (uint32_t i = 0; i < 40; i++)
        assert_non_null(tw_sparse_get(&sp, i * 1000003ull, 500, &created));
    assert_int_equal(tw_sparse_bytes(sp), want);
    assert_non_null(tw_sparse_resize(&sp, 1000003ull, 7 + 17)); /* 8 -> 24 */
    assert_int_equal(tw_sparse_bytes(sp), want + 16);
    tw_sparse_free(&sp);
}

static void sparse_cap_refuses_the_entry_that_would_pass_it(void **state)
{
    (void)state;
    tw_sparse *sp = NULL;
    bool created;
    /* entries of 8 + 56 bytes: (64 KiB - 8) / 64 of them fit, 1023 */
    uint32_t n = 0;
    for (;; n++) {
        unsigned char *p = tw_sparse_get(&sp, n, 56, &created);
        if (!p)
            break;
        assert_true(created);
        memset(p, (int)(n & 0xff), 56);
    }
    assert_int_equal(n, (TW_SPARSE_MAX_BYTES - 8) / 64);
    assert_false(created);
    assert_int_equal(tw_sparse_bytes(sp), 8 + (size_t)n * 64);
    assert_true(tw_sparse_bytes(sp) + 64 > TW_SPARSE_MAX_BYTES);
    /* what still fits is given: 8 + 48 bytes = 56 left, then exactly the cap */
    size_t left = TW_SPARSE_MAX_BYTES - tw_sparse_bytes(sp);
    assert_int_equal(left, 56);
    assert_null(tw_sparse_get(&sp, n, 49, &created)); /* 8 + 56 > 56 */
    assert_null(tw_sparse_resize(&sp, 0, 56 + 64));   /* a resize past it fails too */
    assert_non_null(tw_sparse_get(&sp, n, 48, &created));
    assert_true(created);
    assert_int_equal(tw_sparse_bytes(sp), TW_SPARSE_MAX_BYTES);
    assert_null(tw_sparse_get(&sp, n + 1, 0, &created));
    assert_false(created);
    assert_null(tw_sparse_resize(&sp, n, 56));
    assert_int_equal(tw_sparse_bytes(sp), TW_SPARSE_MAX_BYTES);
    /* the entries there stay whole and readable */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t bytes = 0;
        const void *p = tw_sparse_find(sp, i, &bytes);
        assert_non_null(p);
        assert_int_equal(bytes, 56);
        assert_true(all_bytes(p, (unsigned char)(i & 0xff), 56));
    }
    uint32_t bytes = 0;
    assert_true(all_bytes(tw_sparse_find(sp, n, &bytes), 0, 48));
    assert_int_equal(bytes, 48);
    tw_sparse_free(&sp);

    /* one entry as large as the cap allows, and one byte more */
    assert_non_null(tw_sparse_get(&sp, 1, TW_SPARSE_MAX_BYTES - 16, &created));
    assert_int_equal(tw_sparse_bytes(sp), TW_SPARSE_MAX_BYTES);
    tw_sparse_free(&sp);
    assert_null(tw_sparse_get(&sp, 1, TW_SPARSE_MAX_BYTES - 15, &created));
    assert_false(created);
    assert_null(sp);
}

static void sparse_free_sets_the_pointer_to_null(void **state)
{
    (void)state;
    tw_sparse *sp = NULL;
    bool created;
    assert_non_null(tw_sparse_get(&sp, 1, 8, &created));
    assert_non_null(sp);
    tw_sparse_free(&sp);
    assert_null(sp);
    tw_sparse_free(&sp); /* an empty one: nothing to free */
    assert_null(sp);
    assert_int_equal(tw_sparse_bytes(sp), 0);
    assert_null(tw_sparse_find(sp, 1, NULL));
    /* and it can be used afresh */
    assert_non_null(tw_sparse_get(&sp, 1, 8, &created));
    assert_true(created);
    tw_sparse_free(&sp);
}

/* consume --state-topic: the owner removes one identity (a changelog tombstone) or a
 * partition's (it left this consumer); neither calls the removed hook, which is for what the
 * store itself drops (expiry, eviction: those need tombstones). */
typedef struct removed_log {
    int n;
    char last[64];
} removed_log;

static void note_removed(void *ud, const tw_ident *ident)
{
    removed_log *log = ud;
    log->n++;
    snprintf(log->last, sizeof log->last, "%.*s", (int)ident->key_len, ident->key);
}

static tw_state *make_logged(uint64_t cap, int64_t idle, removed_log *log)
{
    tw_state_conf conf = { .max_identities = cap,
                           .idle_ms = idle,
                           .slot_bytes = 24,
                           .seed = 1,
                           .removed = note_removed,
                           .release_ud = log };
    char err[64];
    tw_state *st = tw_state_new(&conf, err, sizeof err);
    assert_non_null(st);
    return st;
}

static void remove_and_drop_sources(void **state)
{
    (void)state;
    removed_log log = { 0 };
    tw_state *st = make_logged(0, 1000000, &log);
    char key[32];
    bool created;
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "id%d", i);
        get(st, key, 10, &created)->source = (uint16_t)(i % 3); /* 0: no partition */
    }
    tw_str k = tw_str_c("id7");
    assert_true(tw_state_remove(st, tw_hash64(k.p, k.len, 0), k));
    assert_false(tw_state_remove(st, tw_hash64(k.p, k.len, 0), k)); /* gone already */
    bool drop[3] = { false, true, false };
    assert_int_equal(tw_state_drop_sources(st, drop, 3), 1000 - 1); /* id7 was of source 1 */
    tw_state_stats s;
    tw_state_get_stats(st, &s);
    assert_int_equal(s.live, 2000);
    for (int i = 0; i < 3000; i++) { /* the others all still there after the backward shifts */
        snprintf(key, sizeof key, "id%d", i);
        get(st, key, 11, &created);
        assert_int_equal(created, i % 3 == 1);
    }
    assert_int_equal(log.n, 0);
    tw_state_destroy(st);
    assert_int_equal(log.n, 0); /* destroy is not a removal either */
}

static void removed_hook_on_expiry_and_eviction(void **state)
{
    (void)state;
    removed_log log = { 0 };
    tw_state *st = make_logged(2, 100, &log);
    bool created;
    get(st, "old", 0, &created);
    get(st, "new", 50, &created);
    get(st, "newest", 60, &created); /* the cap: the least recently seen goes */
    assert_int_equal(log.n, 1);
    assert_string_equal(log.last, "old");
    for (int pass = 0; pass < 20; pass++)
        tw_state_expire(st, 1000, 64);
    assert_int_equal(log.n, 3);
    tw_state_destroy(st);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_what_it_created),
        cmocka_unit_test(grows_and_keeps_every_identity),
        cmocka_unit_test(idle_identity_starts_afresh),
        cmocka_unit_test(expiry_removes_only_idle),
        cmocka_unit_test(expiry_by_each_partition),
        cmocka_unit_test(cap_evicts_least_recently_seen),
        cmocka_unit_test(remove_and_drop_sources),
        cmocka_unit_test(removed_hook_on_expiry_and_eviction),
        cmocka_unit_test(sparse_get_creates_zeroed_then_finds),
        cmocka_unit_test(sparse_find_missing_and_rounded_bytes),
        cmocka_unit_test(sparse_refuses_keys_of_48_bits_or_more),
        cmocka_unit_test(sparse_resize_grows_in_the_middle),
        cmocka_unit_test(sparse_resize_smaller_is_a_no_op),
        cmocka_unit_test(sparse_refuses_sizes_that_would_wrap),
        cmocka_unit_test(sparse_foreach_visits_in_insertion_order),
        cmocka_unit_test(sparse_block_is_exactly_its_entries),
        cmocka_unit_test(sparse_cap_refuses_the_entry_that_would_pass_it),
        cmocka_unit_test(sparse_free_sets_the_pointer_to_null),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
