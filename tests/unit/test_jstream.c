/* schema_jstream: the pull tokenizer under --grants. Every text is read through several buffer
 * sizes (4 bytes, the smallest, makes tokens span refills), and must give the same tokens;
 * errors must say where (line:col, columns in bytes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tw_test.h"

#include "schema_jstream.h"

static const size_t sizes[] = { 4, 5, 7, 64, 0 }; /* 0: the default, 64 KiB */
#define N_SIZES (sizeof sizes / sizeof sizes[0])

static const char *tok_str(tw_jtok t)
{
    static const char *const names[] = { "EOF", "{", "}",    "[",     "]",   "K",
                                         "S",   "N", "true", "false", "null" };
    return names[t];
}

/* The tokens of text as one string: "{ K:a S:b }", strings with their text; or the error as
 * "LINE:COL: message" ("-: message" when it has no place). */
static char *tokens(const char *text, size_t len, size_t buf_size)
{
    tw_jstream *s;
    assert_int_equal(tw_jstream_open_mem(text, len, buf_size, &s), TW_OK);
    tw_buf out;
    tw_buf_init(&out);
    for (;;) {
        tw_jtok t;
        tw_err rc = tw_jstream_next(s, &t);
        if (rc) {
            tw_jpos at;
            if (out.len)
                tw_buf_putc(&out, ' ');
            bool placed;
            const char *msg = tw_jstream_error(s, &at, &placed);
            if (placed)
                tw_buf_printf(&out, "%llu:%llu: %s", (unsigned long long)at.line,
                              (unsigned long long)at.col, msg);
            else
                tw_buf_printf(&out, "-: %s", msg);
            /* sticky */
            assert_int_equal(tw_jstream_next(s, &t), rc);
            break;
        }
        if (out.len)
            tw_buf_putc(&out, ' ');
        tw_buf_puts(&out, tok_str(t));
        if (t == TW_JT_KEY || t == TW_JT_STRING || t == TW_JT_NUMBER) {
            tw_str x = tw_jstream_text(s);
            tw_buf_putc(&out, ':');
            tw_buf_put(&out, x.p, x.len);
        }
        if (t == TW_JT_EOF)
            break;
    }
    tw_jstream_destroy(s);
    assert_false(out.failed);
    return out.p;
}

/* The same through every buffer size; all must agree. */
static void expect(const char *text, size_t len, const char *want)
{
    for (size_t i = 0; i < N_SIZES; i++) {
        char *got = tokens(text, len, sizes[i]);
        if (strcmp(got, want))
            fail_msg("buffer %zu: \"%s\" != \"%s\"", sizes[i], got, want);
        free(got);
    }
}
#define EXPECT(text, want) expect(text, sizeof text - 1, want)

static void token_kinds(void **state)
{
    (void)state;
    EXPECT("{\"a\": [1, -0.5e+3, 0, 12E-2, true, false, null, \"x\"], \"b\": {}, \"c\": []}",
           "{ K:a [ N:1 N:-0.5e+3 N:0 N:12E-2 true false null S:x ] K:b { } K:c [ ] } EOF");
    EXPECT("  42  ", "N:42 EOF");
    EXPECT("\"only\"", "S:only EOF");
    EXPECT("", "EOF");
    EXPECT(" \n\t\r ", "EOF");
    EXPECT("[[[]],[{}]]", "[ [ [ ] ] [ { } ] ] EOF");
}

static void long_strings_across_refills(void **state)
{
    (void)state;
    /* a string of 200 KiB: longer than the default buffer, let alone 4 bytes */
    size_t n = 200 * 1024;
    char *text = malloc(n + 16);
    char *want = malloc(n + 16);
    assert_true(text && want);
    text[0] = '[';
    text[1] = '"';
    for (size_t i = 0; i < n; i++)
        text[2 + i] = (char)('a' + i % 26);
    memcpy(text + 2 + n, "\",7]", 4);
    size_t len = n + 6;
    strcpy(want, "[ S:");
    memcpy(want + 4, text + 2, n);
    strcpy(want + 4 + n, " N:7 ] EOF");
    expect(text, len, want);
    free(text);
    free(want);
}

static void escapes_and_surrogates(void **state)
{
    (void)state;
    EXPECT("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"", "S:a\"b\\c/d\be\ff\ng\rh\ti EOF");
    /* é, the euro sign, an emoji as a surrogate pair (upper and lower case hex) */
    EXPECT("\"\\u00e9\\u20AC\\ud83d\\uDE00\"", "S:\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 EOF");
    EXPECT("{\"k\\u0041\":1}", "{ K:kA N:1 } EOF");
    /* \u0000 is a byte of the text, counted */
    tw_jstream *s;
    assert_int_equal(tw_jstream_open_mem("\"a\\u0000b\"", 10, 4, &s), TW_OK);
    tw_jtok t;
    assert_int_equal(tw_jstream_next(s, &t), TW_OK);
    assert_int_equal(t, TW_JT_STRING);
    assert_int_equal(tw_jstream_text(s).len, 3);
    assert_memory_equal(tw_jstream_text(s).p, "a\0b", 3);
    tw_jstream_destroy(s);
    /* lone or broken surrogates, bad escapes: the place is the backslash */
    EXPECT("[\"ab\\ud800x\"]", "[ 1:5: not JSON: a lone surrogate (\\uD800) in a string");
    EXPECT("[\"\\udc00\"]", "[ 1:3: not JSON: a lone surrogate (\\uDC00) in a string");
    EXPECT("[\"\\ud800\\u0041\"]", "[ 1:3: not JSON: a lone surrogate (\\uD800) in a string");
    EXPECT("\"\\x\"", "1:2: not JSON: an invalid escape (\\x) in a string");
    EXPECT("\"\\u12g4\"", "1:2: not JSON: an invalid \\u escape in a string");
}

static void utf8(void **state)
{
    (void)state;
    /* valid two-, three- and four-byte characters, raw */
    EXPECT("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
           "S:\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 EOF");
    /* the place is the sequence's first byte; columns count bytes */
    EXPECT("\"\xc3\xa9x\xff\"", "1:5: invalid UTF-8 (byte 0xFF)");
    EXPECT("\"\xc0\xaf\"", "1:2: invalid UTF-8 (byte 0xC0)");         /* overlong '/' */
    EXPECT("\"\xe0\x80\xaf\"", "1:2: invalid UTF-8 (byte 0xE0)");     /* overlong, 3 bytes */
    EXPECT("\"\xed\xa0\x80\"", "1:2: invalid UTF-8 (byte 0xED)");     /* a surrogate */
    EXPECT("\"\xf4\x90\x80\x80\"", "1:2: invalid UTF-8 (byte 0xF4)"); /* past U+10FFFF */
    EXPECT("\"ab\xe2\x82\"", "1:4: invalid UTF-8 (byte 0xE2)");       /* cut short */
    EXPECT("\"ab\xe2\x82", "1:4: invalid UTF-8 (byte 0xE2)");         /* and the text too */
    EXPECT("[1,\xff]", "[ N:1 1:4: invalid UTF-8 (byte 0xFF)");       /* outside strings */
    /* a raw control character in a string */
    EXPECT("{\"a\":\"line\nbreak\"}", "{ K:a 1:11: not JSON: a raw control character (0x0A) "
                                      "in a string");
    /* a byte order mark is skipped and not counted; UTF-16 is refused, with no place */
    EXPECT("\xef\xbb\xbf[\n x]", "[ 2:2: not JSON: expected a value (a string, a number, an "
                                 "object, an array, true, false or null)");
    EXPECT("\xef\xbb\xbf", "EOF");
    EXPECT("\xff\xfe[\0]\0", "-: UTF-16 text (as PowerShell's > writes it): convert it to UTF-8");
    EXPECT("\xfe\xff\0[\0]", "-: UTF-16 text (as PowerShell's > writes it): convert it to UTF-8");
}

static void depth(void **state)
{
    (void)state;
    char t[200];
    for (int n = 64; n <= 65; n++) {
        memset(t, '[', (size_t)n);
        memset(t + n, ']', (size_t)n);
        tw_jstream *s;
        assert_int_equal(tw_jstream_open_mem(t, 2 * (size_t)n, 4, &s), TW_OK);
        tw_jtok tok;
        tw_err rc;
        uint32_t max = 0;
        while (!(rc = tw_jstream_next(s, &tok)) && tok != TW_JT_EOF)
            max = tw_jstream_depth(s) > max ? tw_jstream_depth(s) : max;
        if (n == 64) {
            assert_int_equal(rc, TW_OK);
            assert_int_equal(max, 64);
        } else {
            tw_jpos at;
            assert_int_equal(rc, TW_ERR_PARSE);
            assert_string_equal(tw_jstream_error(s, &at, NULL), "nested deeper than 64 levels");
            assert_int_equal(at.col, 65);
        }
        tw_jstream_destroy(s);
    }
}

#define IMPROPER                                                                     \
    "not JSON: The JSON document has an improper structure: missing or superfluous " \
    "commas, braces, missing keys, etc."

static void structure_errors(void **state)
{
    (void)state;
    /* truncated: the place is the end of the text, or a string's opening quote */
    EXPECT("{\"a\":[1,\n  ", "{ K:a [ N:1 2:3: " IMPROPER);
    EXPECT("{\"a\":", "{ K:a 1:6: " IMPROPER);
    EXPECT("{\"a\"", "{ 1:5: " IMPROPER);
    EXPECT("[\"abc", "[ 1:2: not JSON: the string that starts here is never closed (is the file "
                     "cut short?)");
    EXPECT("[\"ab\\", "[ 1:2: not JSON: the string that starts here is never closed (is the file "
                      "cut short?)");
    /* trailing content after the root */
    EXPECT("{} {}", "{ } 1:4: not JSON: unexpected content after the JSON value");
    EXPECT("[1]\n\n x", "[ N:1 ] 3:2: not JSON: unexpected content after the JSON value");
    EXPECT("01", "N:0 1:2: not JSON: unexpected content after the JSON value");
    /* missing and superfluous commas, colons */
    EXPECT("[1 2]", "[ N:1 1:4: " IMPROPER);
    EXPECT("{\"a\":1 \"b\":2}", "{ K:a N:1 1:8: " IMPROPER);
    EXPECT("{\"a\" 1}", "{ 1:6: " IMPROPER);
    EXPECT("[1,]", "[ N:1 1:4: not JSON: expected a value (a string, a number, an object, an "
                   "array, true, false or null)");
    EXPECT("{\"a\":1,}", "{ K:a N:1 1:8: " IMPROPER);
    EXPECT("{,}", "{ 1:2: " IMPROPER);
    EXPECT("[1}", "[ N:1 1:3: " IMPROPER);
    EXPECT("{1:2}", "{ 1:2: " IMPROPER);
    /* bad values */
    EXPECT("[tru]", "[ 1:2: not JSON: expected a value (a string, a number, an object, an array, "
                    "true, false or null)");
    EXPECT("[nul", "[ 1:2: not JSON: expected a value (a string, a number, an object, an array, "
                   "true, false or null)");
    EXPECT("[-]", "[ 1:2: not JSON: a malformed number");
    EXPECT("[1.]", "[ 1:2: not JSON: a malformed number");
    EXPECT("[1e+]", "[ 1:2: not JSON: a malformed number");
    EXPECT("[.5]", "[ 1:2: not JSON: expected a value (a string, a number, an object, an array, "
                   "true, false or null)");
    EXPECT("[truex]", "[ true 1:6: " IMPROPER);
}

static void positions(void **state)
{
    (void)state;
    const char *t = "{\n  \"key\": [\n    \"v\",\n\t7\n  ]\n}";
    tw_jstream *s;
    assert_int_equal(tw_jstream_open_mem(t, strlen(t), 4, &s), TW_OK);
    static const struct {
        tw_jtok tok;
        uint64_t line, col, offset;
    } want[] = {
        { TW_JT_OBJECT, 1, 1, 0 },      { TW_JT_KEY, 2, 3, 4 },     { TW_JT_ARRAY, 2, 10, 11 },
        { TW_JT_STRING, 3, 5, 17 },     { TW_JT_NUMBER, 4, 2, 23 }, { TW_JT_ARRAY_END, 5, 3, 27 },
        { TW_JT_OBJECT_END, 6, 1, 29 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        tw_jtok tok;
        assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
        assert_int_equal(tok, want[i].tok);
        tw_jpos p = tw_jstream_pos(s);
        assert_int_equal(p.line, want[i].line);
        assert_int_equal(p.col, want[i].col);
        assert_int_equal(p.offset, want[i].offset);
    }
    int c;
    assert_int_equal(tw_jstream_peek(s, &c), TW_OK);
    assert_int_equal(c, -1);
    tw_jstream_destroy(s);
}

/* Skips the value of key "skip" and captures that of "doc", through each buffer size. */
static void skip_and_capture(void **state)
{
    (void)state;
    const char *t = "{\"skip\": {\"a\": [1, {\"b\": \"\\u00e9\"}], \"c\": null}, \"doc\" :  "
                    "{\"Statement\": [ {\"Action\" : \"s3:*\"} ], \"x\": \"\\\"q\\\"\"} ,"
                    " \"str\": \"%7B%7D\", \"n\": -1.5, \"after\": true}";
    for (size_t i = 0; i < N_SIZES; i++) {
        tw_jstream *s;
        assert_int_equal(tw_jstream_open_mem(t, strlen(t), sizes[i], &s), TW_OK);
        tw_jtok tok;
        tw_buf cap;
        uint64_t size;
        tw_buf_init(&cap);
        assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
        assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
        assert_true(tw_str_eq_c(tw_jstream_text(s), "skip"));
        assert_int_equal(tw_jstream_skip(s, &tok), TW_OK);
        assert_int_equal(tok, TW_JT_OBJECT);
        assert_int_equal(tw_jstream_depth(s), 1);
        assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
        assert_true(tw_str_eq_c(tw_jstream_text(s), "doc"));
        assert_int_equal(tw_jstream_capture(s, &cap, 1024, &tok, &size), TW_OK);
        assert_int_equal(tok, TW_JT_OBJECT);
        assert_int_equal(tw_jstream_pos(s).col, 59);
        assert_string_equal(cap.p, "{\"Statement\": [ {\"Action\" : \"s3:*\"} ], "
                                   "\"x\": \"\\\"q\\\"\"}");
        /* a string, captured as written; a number */
        assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
        tw_buf_reset(&cap);
        assert_int_equal(tw_jstream_capture(s, &cap, 1024, &tok, &size), TW_OK);
        assert_int_equal(tok, TW_JT_STRING);
        assert_string_equal(cap.p, "\"%7B%7D\"");
        assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
        tw_buf_reset(&cap);
        assert_int_equal(tw_jstream_capture(s, &cap, 1024, &tok, &size), TW_OK);
        assert_int_equal(tok, TW_JT_NUMBER);
        assert_string_equal(cap.p, "-1.5");
        assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
        assert_true(tw_str_eq_c(tw_jstream_text(s), "after"));
        assert_int_equal(tw_jstream_skip(s, &tok), TW_OK);
        assert_int_equal(tok, TW_JT_TRUE);
        assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
        assert_int_equal(tok, TW_JT_OBJECT_END);
        assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
        assert_int_equal(tok, TW_JT_EOF);
        tw_buf_free(&cap);
        tw_jstream_destroy(s);
    }
    /* what is skipped is checked all the same */
    const char *bad = "{\"skip\": [1, {\"b\": \"\xff\"}], \"c\": 1}";
    tw_jstream *s;
    assert_int_equal(tw_jstream_open_mem(bad, strlen(bad), 4, &s), TW_OK);
    tw_jtok tok;
    assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
    assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
    assert_int_equal(tw_jstream_skip(s, &tok), TW_ERR_PARSE);
    tw_jpos at;
    assert_string_equal(tw_jstream_error(s, &at, NULL), "invalid UTF-8 (byte 0xFF)");
    assert_int_equal(at.col, 21);
    tw_jstream_destroy(s);
}

/* A value over the capture's bound is checked to its end but nothing of it is kept: the
 * buffer holds what it held before, the size says how long the value was, and the next value
 * reads as usual (the bound falls before, at and after a refill). */
static void capture_bounded(void **state)
{
    (void)state;
    const char *t = "{\"k\": \"kept\", \"o\": {\"a\": [1, 2, \"\\u00e9t\u00e9\"]}, "
                    "\"s\": \"abcdefghij\", \"n\": 7}";
    for (size_t i = 0; i < N_SIZES; i++) {
        for (size_t max = 0; max < 30; max++) {
            tw_jstream *s;
            assert_int_equal(tw_jstream_open_mem(t, strlen(t), sizes[i], &s), TW_OK);
            tw_jtok tok;
            uint64_t size;
            tw_buf cap;
            tw_buf_init(&cap);
            tw_buf_puts(&cap, "before|");
            for (int k = 0; k < 4; k++) /* {, "k", "kept", "o" */
                assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
            /* {"a": [1, 2, "\u00e9t\u00e9"]} is 26 bytes as written (the é of été is 2) */
            assert_int_equal(tw_jstream_capture(s, &cap, max, &tok, &size), TW_OK);
            assert_int_equal(tok, TW_JT_OBJECT);
            assert_int_equal(size, 26);
            if (max >= 26)
                assert_string_equal(cap.p, "before|{\"a\": [1, 2, \"\\u00e9t\u00e9\"]}");
            else
                assert_int_equal(cap.len, strlen("before|"));
            tw_buf_reset(&cap);
            assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
            assert_int_equal(tw_jstream_capture(s, &cap, max, &tok, &size), TW_OK);
            assert_int_equal(tok, TW_JT_STRING);
            assert_int_equal(size, 12);
            assert_int_equal(cap.len, max >= 12 ? 12 : 0);
            assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
            assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
            assert_int_equal(tok, TW_JT_NUMBER);
            assert_true(tw_str_eq_c(tw_jstream_text(s), "7"));
            assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
            assert_int_equal(tok, TW_JT_OBJECT_END);
            assert_int_equal(tw_jstream_next(s, &tok), TW_OK);
            assert_int_equal(tok, TW_JT_EOF);
            tw_buf_free(&cap);
            tw_jstream_destroy(s);
        }
    }
}

static void from_fd(void **state)
{
    (void)state;
    char path[] = "/tmp/tw_jstream_fdXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *t = "\xef\xbb\xbf{\"a\": [\"xyz\", 1]}\n";
    assert_int_equal(write(fd, t, strlen(t)), (ssize_t)strlen(t));
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    tw_jstream *s;
    assert_int_equal(tw_jstream_open_fd(fd, 4, &s), TW_OK);
    tw_jtok tok;
    int n = 0;
    tw_err rc;
    while (!(rc = tw_jstream_next(s, &tok)) && tok != TW_JT_EOF)
        n++;
    assert_int_equal(rc, TW_OK);
    assert_int_equal(n, 7);
    tw_jstream_destroy(s);
    close(fd);
    unlink(path);
    assert_int_equal(tw_jstream_open_fd(-1, 0, &s), TW_ERR_INVALID);
    assert_null(s);
    tw_jstream_destroy(NULL);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_kinds),
        cmocka_unit_test(long_strings_across_refills),
        cmocka_unit_test(escapes_and_surrogates),
        cmocka_unit_test(utf8),
        cmocka_unit_test(depth),
        cmocka_unit_test(structure_errors),
        cmocka_unit_test(positions),
        cmocka_unit_test(skip_and_capture),
        cmocka_unit_test(capture_bounded),
        cmocka_unit_test(from_fd),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
