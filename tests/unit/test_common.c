/* common/: time parsing and formatting, durations, hashing, JSON string escaping, arena. */
#include <string.h>

#include "tw_test.h"

#include "tw_arena.h"
#include "tw_array.h"
#include "tw_buf.h"
#include "tw_hash.h"
#include "tw_time.h"

static int64_t iso(const char *s)
{
    int64_t ms = -1;
    assert_int_equal(tw_time_parse_iso(s, strlen(s), &ms), TW_OK);
    return ms;
}

static void time_parses_cloudtrail_forms(void **state)
{
    (void)state;
    assert_int_equal(iso("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(iso("2026-09-01T08:15:02Z"), 1788250502000LL);
    assert_int_equal(iso("2026-09-01T08:15:02.123Z"), 1788250502123LL);
    /* the space-separated nanosecond form real exports contain */
    assert_int_equal(iso("2025-03-26 16:43:57.000000000"), iso("2025-03-26T16:43:57Z"));
    assert_int_equal(iso("2026-09-01T10:15:02+02:00"), iso("2026-09-01T08:15:02Z"));
    assert_int_equal(iso("2024-02-29T00:00:00Z") + 86400000LL, iso("2024-03-01T00:00:00Z"));
}

static void time_rejects_garbage(void **state)
{
    (void)state;
    const char *bad[] = { "",
                          "redacted",
                          "...",
                          "2026-13-01T00:00:00Z",
                          "2026-09-01T25:00:00Z",
                          "2026-09-01T08:15:02Zjunk",
                          "2026-09-01T08:15:02.Z",
                          "2026/09/01 08:15:02" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t ms;
        assert_int_equal(tw_time_parse_iso(bad[i], strlen(bad[i]), &ms), TW_ERR_PARSE);
    }
}

static void time_formats_round_trip(void **state)
{
    (void)state;
    char buf[40];
    tw_time_format_iso(1788250502000LL, buf, sizeof buf);
    assert_string_equal(buf, "2026-09-01T08:15:02Z");
    tw_time_format_iso(1788250502123LL, buf, sizeof buf);
    assert_string_equal(buf, "2026-09-01T08:15:02.123Z");
    tw_time_format_iso(-1000, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59Z");
}

static void durations(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(tw_time_parse_duration("90s", &ms), TW_OK);
    assert_int_equal(ms, 90000);
    assert_int_equal(tw_time_parse_duration("15m", &ms), TW_OK);
    assert_int_equal(ms, 900000);
    assert_int_equal(tw_time_parse_duration("24h", &ms), TW_OK);
    assert_int_equal(ms, 86400000);
    assert_int_equal(tw_time_parse_duration("30d", &ms), TW_OK);
    assert_int_equal(ms, 30LL * 86400000);
    assert_int_equal(tw_time_parse_duration("250ms", &ms), TW_OK);
    assert_int_equal(ms, 250);
    assert_int_equal(tw_time_parse_duration("12", &ms), TW_OK);
    assert_int_equal(ms, 12000);
    assert_int_equal(tw_time_parse_duration("5x", &ms), TW_ERR_INVALID);
    assert_int_equal(tw_time_parse_duration("-5m", &ms), TW_ERR_INVALID);
    assert_int_equal(tw_time_parse_duration("", &ms), TW_ERR_INVALID);
    /* out of range, and what strtod takes that is no duration: refused, never cast */
    assert_int_equal(tw_time_parse_duration("nan", &ms), TW_ERR_INVALID);
    assert_int_equal(tw_time_parse_duration("nanm", &ms), TW_ERR_INVALID);
    assert_int_equal(tw_time_parse_duration("inf", &ms), TW_ERR_INVALID);
    assert_int_equal(tw_time_parse_duration("1e300d", &ms), TW_ERR_INVALID);
    assert_int_equal(tw_time_parse_duration("1e400", &ms), TW_ERR_INVALID);
}

static void hash_is_stable(void **state)
{
    (void)state;
    /* finding uids depend on these values: a change breaks deduplication downstream */
    assert_true(tw_hash64("", 0, 0) == tw_hash64("", 0, 0));
    assert_true(tw_hash64("a", 1, 0) != tw_hash64("a\0", 2, 0));
    assert_true(tw_hash64("abc", 3, 0) != tw_hash64("abc", 3, 1));
    assert_true(tw_hash64_lower("S3:GetObject", 12, 7) == tw_hash64_lower("s3:getobject", 12, 7));
    assert_true(tw_hash64_lower("s3:getobject", 12, 7) == tw_hash64("s3:getobject", 12, 7));
}

static void json_escape_any_bytes(void **state)
{
    (void)state;
    tw_buf b;
    tw_buf_init(&b);
    const char in[] = "a\"b\\c\n\t\x01\x00z\xff\xc3\xa9\xe2\x82";
    tw_buf_put_json_str(&b, (tw_str){ in, sizeof in - 1 });
    assert_false(b.failed);
    assert_string_equal(
        b.p, "\"a\\\"b\\\\c\\n\\t\\u0001\\u0000z\xEF\xBF\xBD\xc3\xa9\xEF\xBF\xBD\xEF\xBF\xBD\"");
    tw_buf_reset(&b);
    tw_buf_put_i64(&b, -9223372036854775807LL - 1);
    assert_string_equal(b.p, "-9223372036854775808");
    tw_buf_free(&b);
}

static void arena_reuses_first_block(void **state)
{
    (void)state;
    tw_arena ar;
    tw_arena_init(&ar, 64);
    int failed = 0;
    tw_str s = tw_arena_dup(&ar, TW_STR_LIT("hello"), &failed);
    assert_int_equal(failed, 0);
    assert_true(tw_str_eq_c(s, "hello"));
    for (int i = 0; i < 100; i++)
        assert_non_null(tw_arena_alloc(&ar, 50));
    tw_arena_reset(&ar);
    assert_int_equal(ar.used_total, 0);
    tw_str e = tw_arena_dup(&ar, TW_STR_NULL, &failed);
    assert_int_equal(e.len, 0);
    tw_arena_free(&ar);
}

/* A growing arena's blocks double from the first size up to the largest, so what it costs
 * follows what it holds (issue 13: a small file's batch held a 256 KiB block). */
static void arena_grows_to_what_it_holds(void **state)
{
    (void)state;
    tw_arena ar;
    tw_arena_init_growing(&ar, 64, 1024);
    assert_int_equal(ar.block_size, 64);
    assert_non_null(tw_arena_alloc(&ar, 40));
    assert_int_equal(ar.block_size, 128);     /* one block of 64: the next one is twice it */
    assert_non_null(tw_arena_alloc(&ar, 16)); /* still in the first block */
    assert_int_equal(ar.block_size, 128);
    for (int i = 0; i < 100; i++)
        assert_non_null(tw_arena_alloc(&ar, 40));
    assert_int_equal(ar.block_size, 1024);
    assert_int_equal(ar.used_total, 101 * 40 + 16);
    char *big = tw_arena_alloc(&ar, 5000); /* larger than any block: a block of its own */
    assert_non_null(big);
    memset(big, 'x', 5000);
    tw_arena_free(&ar);
    tw_arena_init(&ar, 64); /* a fixed arena stays fixed */
    for (int i = 0; i < 10; i++)
        assert_non_null(tw_arena_alloc(&ar, 40));
    assert_int_equal(ar.block_size, 64);
    tw_arena_free(&ar);
}

/* An array grows by doubling, keeps what it held, and refuses a size that would overflow
 * without touching what the caller owns. */
static void array_grows_and_refuses_overflow(void **state)
{
    (void)state;
    int *v = NULL;
    size_t cap = 0;
    for (size_t n = 0; n < 100; n++) {
        assert_true(tw_array_grow((void **)&v, &cap, n, sizeof *v));
        assert_true(cap > n);
        v[n] = (int)n;
    }
    assert_int_equal(cap, 128);
    for (size_t n = 0; n < 100; n++)
        assert_int_equal(v[n], (int)n);
    int *before = v;
    size_t huge = SIZE_MAX / 2 + 1;
    size_t hcap = huge;
    assert_false(tw_array_grow((void **)&v, &hcap, huge, sizeof *v));
    assert_ptr_equal(v, before);
    assert_int_equal(hcap, huge);
    free(v);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(time_parses_cloudtrail_forms),
        cmocka_unit_test(time_rejects_garbage),
        cmocka_unit_test(time_formats_round_trip),
        cmocka_unit_test(durations),
        cmocka_unit_test(hash_is_stable),
        cmocka_unit_test(json_escape_any_bytes),
        cmocka_unit_test(arena_reuses_first_block),
        cmocka_unit_test(arena_grows_to_what_it_holds),
        cmocka_unit_test(array_grows_and_refuses_overflow),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
