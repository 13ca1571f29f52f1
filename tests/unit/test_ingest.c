/* ingest/: JSON envelopes, normalization (identity key and kind, denials), decompression and
 * splitting of memory inputs, including corrupt and truncated ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "tw_test.h"

#include "schema_catalog.h"
#include "schema_json.h"
#include "ingest_normalize.h"
#include "ingest_parse.h"
#include "ingest_split.h"

/* ---- JSON wrapper ---- */

typedef struct seen {
    int n;
    char names[8][64];
    char times[8][40];
    uint32_t envelope[8];
    uint32_t bad[8];
} seen;

static int collect(void *ud, const tw_raw_record *r)
{
    seen *s = ud;
    if (s->n < 8) {
        snprintf(s->names[s->n], 64, "%.*s", (int)r->event_name.len, r->event_name.p);
        snprintf(s->times[s->n], 40, "%.*s", (int)r->event_time.len, r->event_time.p);
        s->envelope[s->n] = r->envelope;
        s->bad[s->n] = r->bad_types;
    }
    s->n++;
    return 0;
}

static tw_err parse(const char *text, seen *s, tw_json_error *err)
{
    size_t len = strlen(text);
    char *buf = malloc(len + TW_JSON_PADDING);
    memcpy(buf, text, len);
    memset(buf + len, ' ', TW_JSON_PADDING);
    tw_json *js = tw_json_new();
    memset(s, 0, sizeof *s);
    tw_err rc = tw_json_parse(js, buf, len, len + TW_JSON_PADDING, collect, s, err);
    tw_json_destroy(js);
    free(buf);
    return rc;
}

static void json_envelopes(void **state)
{
    (void)state;
    seen s;
    tw_json_error err;
    assert_int_equal(parse("{\"eventName\":\"A\",\"eventTime\":\"t1\"}", &s, &err), TW_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.names[0], "A");
    assert_int_equal(parse("{\"Records\":[{\"eventName\":\"A\"},{\"eventName\":\"B\"}]}", &s, &err),
                     TW_OK);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[1], "B");
    assert_int_equal(s.envelope[0], 1);
    assert_int_equal(
        parse("[{\"eventName\":\"A\"},{\"eventName\":\"B\"},{\"eventName\":\"C\"}]", &s, &err),
        TW_OK);
    assert_int_equal(s.n, 3);
    assert_int_equal(parse("{\"version\":\"0\",\"detail-type\":\"AWS API Call via CloudTrail\","
                           "\"detail\":{\"eventName\":\"E\",\"eventTime\":\"t\"}}",
                           &s, &err),
                     TW_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.names[0], "E");
    assert_int_equal(s.envelope[0], 3);
    assert_int_equal(
        parse("{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"id\":\"1\",\"message\":"
              "\"{\\\"eventName\\\":\\\"L\\\"}\"},{\"id\":\"2\",\"message\":\"not json\"}]}",
              &s, &err),
        TW_OK);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[0], "L");
    assert_int_equal(s.envelope[0], 4);
    assert_true(s.bad[1] != 0); /* the broken message is that record's problem */
    assert_int_equal(
        parse(
            "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"2026-09-01T00:00:00Z\","
            "\"operation\":\"Converse\",\"identity\":{\"arn\":\"arn:aws:sts::1:assumed-role/r/s\"},"
            "\"modelId\":\"m\"}",
            &s, &err),
        TW_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.names[0], "Converse");
    assert_string_equal(s.times[0], "2026-09-01T00:00:00Z");
    /* @timestamp stands in for a missing eventTime (Logstash exports) */
    assert_int_equal(parse("{\"eventName\":\"A\",\"@timestamp\":\"x\"}", &s, &err), TW_OK);
    assert_string_equal(s.times[0], "x");
}

static void json_errors(void **state)
{
    (void)state;
    seen s;
    tw_json_error err;
    assert_int_equal(parse("{\"eventName\":", &s, &err), TW_ERR_PARSE);
    assert_int_equal(parse("not json", &s, &err), TW_ERR_PARSE);
    assert_int_equal(parse("\"a string\"", &s, &err), TW_ERR_PARSE);
    assert_string_equal(err.reason, "not_object");
    assert_int_equal(parse("{\"eventName\":\"\xff\xfe\"}", &s, &err), TW_ERR_PARSE);
    assert_string_equal(err.reason, "utf8");
    assert_int_equal(parse("{\"Records\":5}", &s, &err), TW_ERR_PARSE);
    /* wrong types are flagged on the record, not fatal to the document */
    assert_int_equal(
        parse("{\"eventName\":\"A\",\"eventTime\":123,\"userIdentity\":\"x\"}", &s, &err), TW_OK);
    assert_int_equal(s.n, 1);
    assert_true(s.bad[0] & TW_RAW_BAD_EVENT_TIME);
    assert_true(s.bad[0] & TW_RAW_BAD_USER_IDENTITY);
    /* 100,000 nested arrays */
    size_t n = 100000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    tw_err rc = parse(deep, &s, &err);
    free(deep);
    assert_true(rc == TW_ERR_PARSE || s.bad[0] != 0);
}

/* ---- record spans and lookups ---- */

typedef struct looked {
    int n;
    char text[8][64];
    tw_json_vtype type[8];
    double number[8];
} looked;

static void keep_value(void *ud, const tw_json_value *v)
{
    looked *l = ud;
    if (l->n < 8) {
        snprintf(l->text[l->n], 64, "%.*s", (int)v->text.len, v->text.p ? v->text.p : "");
        l->type[l->n] = v->type;
        l->number[l->n] = v->number;
    }
    l->n++;
}

static int split_path(const char *dotted, tw_str *segs)
{
    int n = 0;
    const char *p = dotted;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        segs[n++] = (tw_str){ p, (uint32_t)len };
        p += len + (dot ? 1 : 0);
    }
    return n;
}

typedef struct span_check {
    tw_json *js;
    int n;
    char names[4][32];
    looked bucket[4];
} span_check;

/* Runs inside tw_json_parse: a lookup on the record's own span, with the same tw_json. */
static int check_span(void *ud, const tw_raw_record *r)
{
    span_check *sc = ud;
    if (sc->n < 4 && r->raw.len) {
        assert_int_equal(r->raw.p[0], '{');
        assert_int_equal(r->raw.p[r->raw.len - 1], '}');
        tw_str segs[4];
        int n = split_path("requestParameters.bucketName", segs);
        tw_json_lookup(sc->js, r->raw.p, r->raw.len, r->raw.len + TW_JSON_PADDING, segs,
                       (uint32_t)n, keep_value, &sc->bucket[sc->n]);
        snprintf(sc->names[sc->n], 32, "%.*s", (int)r->event_name.len, r->event_name.p);
    }
    sc->n++;
    return 0;
}

static void record_spans_and_lookups(void **state)
{
    (void)state;
    const char *doc =
        "{\"Records\": [ {\"eventName\":\"A\",\"requestParameters\":{\"bucketName\":\"b1\"}} ,\n"
        "  "
        "{\"eventName\":\"B\",\"requestParameters\":{\"bucketName\":\"b2\"},\"x\":[1,{\"y\":2}]}]}";
    size_t len = strlen(doc);
    char *buf = malloc(len + TW_JSON_PADDING);
    memcpy(buf, doc, len);
    memset(buf + len, ' ', TW_JSON_PADDING);
    span_check sc = { 0 };
    sc.js = tw_json_new();
    tw_json_error err;
    assert_int_equal(tw_json_parse(sc.js, buf, len, len + TW_JSON_PADDING, check_span, &sc, &err),
                     TW_OK);
    assert_int_equal(sc.n, 2); /* the outer scan went on after the nested lookups */
    assert_string_equal(sc.names[1], "B");
    assert_int_equal(sc.bucket[0].n, 1);
    assert_string_equal(sc.bucket[0].text[0], "b1");
    assert_string_equal(sc.bucket[1].text[0], "b2");

    /* arrays are walked, scalars typed, absent paths give nothing */
    const char *rec =
        "{\"resources\":[{\"ARN\":\"arn:1\"},{\"ARN\":\"arn:2\"},{\"type\":\"t\"}],"
        "\"n\":42.5,\"ok\":true,\"none\":null,\"s\":\"a\\\"b\",\"tags\":[\"x\",\"y\"]}";
    size_t rlen = strlen(rec);
    char *rbuf = malloc(rlen + TW_JSON_PADDING);
    memcpy(rbuf, rec, rlen);
    memset(rbuf + rlen, ' ', TW_JSON_PADDING);
    struct {
        const char *path;
        int n;
        const char *first;
        tw_json_vtype type;
    } cases[] = {
        { "resources.ARN", 2, "arn:1", TW_JV_STRING },
        { "n", 1, "42.5", TW_JV_NUMBER },
        { "ok", 1, "true", TW_JV_BOOL },
        { "none", 1, "", TW_JV_NULL },
        { "s", 1, "a\"b", TW_JV_STRING },
        { "tags", 2, "x", TW_JV_STRING },
        { "missing", 0, NULL, 0 },
        { "resources.type.deeper", 0, NULL, 0 },
        { "resources", 3, "{\"ARN\":\"arn:1\"}", TW_JV_OBJECT },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tw_str segs[8];
        int n = split_path(cases[i].path, segs);
        looked l = { 0 };
        int found = tw_json_lookup(sc.js, rbuf, rlen, rlen + TW_JSON_PADDING, segs, (uint32_t)n,
                                   keep_value, &l);
        assert_int_equal(found, cases[i].n);
        assert_int_equal(l.n, cases[i].n);
        if (cases[i].n) {
            assert_string_equal(l.text[0], cases[i].first);
            assert_int_equal(l.type[0], cases[i].type);
        }
    }
    /* keys with escapes match their text (RFC 8259); an object's text is compact JSON with
     * its strings written again (escapes of the record undone, only '"', '\\' and controls
     * escaped), numbers as written */
    const char *esc = "{\"Console\\u004cogin\":\"ok\",\"a\\\\b\":1,\"o\":{ \"k\\u0041\" : [ 1.50 , "
                      "\"q\\\"\\u00e9\\n\\/\" , {} , [] , null , false ] }}";
    size_t elen = strlen(esc);
    char *ebuf = malloc(elen + TW_JSON_PADDING);
    memcpy(ebuf, esc, elen);
    memset(ebuf + elen, ' ', TW_JSON_PADDING);
    struct {
        const char *path;
        const char *first;
    } keyed[] = {
        { "ConsoleLogin", "ok" },
        { "a\\b", "1" },
        { "o", "{\"kA\":[1.50,\"q\\\"\xc3\xa9\\n/\",{},[],null,false]}" },
        { "o.kA", "1.50" },
    };
    for (size_t i = 0; i < sizeof keyed / sizeof *keyed; i++) {
        tw_str segs[4];
        int n = split_path(keyed[i].path, segs);
        looked l = { 0 };
        tw_json_lookup(sc.js, ebuf, elen, elen + TW_JSON_PADDING, segs, (uint32_t)n, keep_value,
                       &l);
        assert_true(l.n >= 1);
        assert_string_equal(l.text[0], keyed[i].first);
    }
    tw_str miss[] = { TW_STR_LIT("ConsoleLogi"), TW_STR_LIT("Console") };
    for (size_t i = 0; i < 2; i++) {
        looked l = { 0 };
        assert_int_equal(
            tw_json_lookup(sc.js, ebuf, elen, elen + TW_JSON_PADDING, &miss[i], 1, keep_value, &l),
            0);
    }
    free(ebuf);

    tw_str seg = TW_STR_LIT("a");
    looked l = { 0 };
    char nope[4 + TW_JSON_PADDING];
    memset(nope, ' ', sizeof nope);
    memcpy(nope, "nope", 4);
    assert_int_equal(tw_json_lookup(sc.js, nope, 4, sizeof nope, &seg, 1, keep_value, &l), -1);
    tw_json_destroy(sc.js);
    free(rbuf);
    free(buf);
}

/* ---- normalization ---- */

static tw_raw_record raw_role(const char *arn, const char *issuer)
{
    tw_raw_record r = { 0 };
    r.ui_type = tw_str_c("AssumedRole");
    r.ui_arn = tw_str_c(arn);
    r.issuer_arn = tw_str_c(issuer);
    return r;
}

static void identity_keys(void **state)
{
    (void)state;
    char key[256];
    tw_raw_record r = raw_role("arn:aws:sts::123:assumed-role/Agent/s-1",
                               "arn:aws:iam::123:role/service-role/Agent");
    tw_identity_key(&r, key, sizeof key);
    assert_string_equal(key, "arn:aws:iam::123:role/Agent");
    r = raw_role("arn:aws:sts::123:assumed-role/Agent/other-session", "");
    tw_identity_key(&r, key, sizeof key);
    assert_string_equal(key, "arn:aws:iam::123:role/Agent");
    r = (tw_raw_record){ 0 };
    r.ui_type = tw_str_c("IAMUser");
    r.ui_arn = tw_str_c("arn:aws:iam::123:user/division/bob");
    tw_identity_key(&r, key, sizeof key);
    assert_string_equal(key, "arn:aws:iam::123:user/bob");
    r = (tw_raw_record){ 0 };
    r.ui_type = tw_str_c("Root");
    r.ui_arn = tw_str_c("arn:aws:iam::123:root");
    r.ui_account_id = tw_str_c("123");
    tw_identity_key(&r, key, sizeof key);
    assert_string_equal(key, "arn:aws:iam::123:root");
    r = raw_role("arn:aws-us-gov:sts::9:assumed-role/R/x", "");
    tw_identity_key(&r, key, sizeof key);
    assert_string_equal(key, "arn:aws-us-gov:iam::9:role/R");
    r = (tw_raw_record){ 0 };
    r.ui_type = tw_str_c("AWSService");
    r.ui_invoked_by = tw_str_c("cloudtrail.amazonaws.com");
    tw_identity_key(&r, key, sizeof key);
    assert_string_equal(key, "cloudtrail.amazonaws.com"); /* no account in the record */
    r.recipient_account = tw_str_c("123");
    tw_identity_key(&r, key, sizeof key);
    assert_string_equal(key, "cloudtrail.amazonaws.com@123");
}

static void identity_kinds(void **state)
{
    (void)state;
    tw_normalize_conf conf = { 0 };
    tw_raw_record r = raw_role("arn:aws:sts::1:assumed-role/R/s", "arn:aws:iam::1:role/R");
    r.user_agent = tw_str_c("Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux");
    assert_int_equal(tw_identity_kind(&conf, &r), TW_KIND_SERVICE);
    r.user_agent = tw_str_c("strands-agents/0.1.0 Boto3/1.34");
    assert_int_equal(tw_identity_kind(&conf, &r), TW_KIND_AGENT);
    r.user_agent = tw_str_c("aws-sdk-js/3 ua/2.1 app/mcp");
    assert_int_equal(tw_identity_kind(&conf, &r), TW_KIND_AGENT);
    r.user_agent = tw_str_c("aws-sdk-js/3 ua/2.1 app/mcpx"); /* not the word mcp */
    assert_int_equal(tw_identity_kind(&conf, &r), TW_KIND_SERVICE);
    r.session_from_console = tw_str_c("true");
    assert_int_equal(tw_identity_kind(&conf, &r), TW_KIND_HUMAN);
    r = raw_role("arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_abc/alice",
                 "arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc");
    assert_int_equal(tw_identity_kind(&conf, &r), TW_KIND_HUMAN);
    r = (tw_raw_record){ 0 };
    r.ui_type = tw_str_c("Root");
    assert_int_equal(tw_identity_kind(&conf, &r), TW_KIND_ROOT);
    const char *patterns[] = { "my-agent" };
    tw_normalize_conf custom = { NULL, patterns, 1, NULL };
    r = raw_role("arn:aws:sts::1:assumed-role/My-Agent-Role/s", "");
    assert_int_equal(tw_identity_kind(&custom, &r), TW_KIND_AGENT);
}

static void denials(void **state)
{
    (void)state;
    assert_true(tw_error_is_denial(tw_str_c("AccessDenied")));
    assert_true(tw_error_is_denial(tw_str_c("AccessDeniedException")));
    assert_true(tw_error_is_denial(tw_str_c("Client.UnauthorizedOperation")));
    assert_true(tw_error_is_denial(tw_str_c("UnauthorizedAccess")));
    assert_false(tw_error_is_denial(tw_str_c("BucketNotEmpty")));
    assert_false(tw_error_is_denial(tw_str_c("ThrottlingException")));
    assert_false(tw_error_is_denial(TW_STR_NULL));
}

/* ---- inputs and splitting ---- */

typedef struct chunks {
    int n;
    size_t bytes;
    uint64_t dropped;
    uint32_t problems;
    tw_reject reasons[8];
    bool last_seen;
    bool document;
} chunks;

static bool count_chunk(void *ud, tw_chunk *chunk)
{
    chunks *c = ud;
    c->n++;
    c->bytes += chunk->len;
    c->dropped += chunk->dropped;
    for (uint32_t i = 0; i < chunk->problems.n; i++)
        if (c->problems < 8)
            c->reasons[c->problems++] = chunk->problems.v[i].reason;
    c->last_seen = chunk->last;
    c->document |= chunk->document;
    tw_chunk_destroy(chunk);
    return true;
}

static char *ndjson_lines(int n, size_t *len)
{
    char *buf = malloc((size_t)n * 64);
    size_t off = 0;
    for (int i = 0; i < n; i++)
        off += (size_t)snprintf(buf + off, 64, "{\"eventName\":\"GetObject\",\"i\":%d}\n", i);
    *len = off;
    return buf;
}

static void split_plain_gzip_zstd(void **state)
{
    (void)state;
    size_t len;
    char *text = ndjson_lines(20000, &len);
    tw_split_conf conf = { 4096, 1 << 20 };
    uint64_t seq = 0;
    chunks c = { 0 };
    assert_int_equal(tw_split_mem(text, len, 0, &conf, &seq, count_chunk, &c), TW_OK);
    assert_int_equal(c.bytes, len);
    assert_true(c.n > 10);
    assert_true(c.last_seen);
    assert_int_equal(c.problems, 0);

    /* gzip */
    uLongf glen = compressBound(len) + 64;
    unsigned char *gz = malloc(glen);
    z_stream zs = { 0 };
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (unsigned char *)text;
    zs.avail_in = (uInt)len;
    zs.next_out = gz;
    zs.avail_out = (uInt)glen;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t gz_len = zs.total_out;
    deflateEnd(&zs);
    c = (chunks){ 0 };
    assert_int_equal(tw_split_mem(gz, gz_len, 0, &conf, &seq, count_chunk, &c), TW_OK);
    assert_int_equal(c.bytes, len);
    assert_int_equal(c.problems, 0);
    /* a gzip trailer claiming 4 GiB (ISIZE is only a claim): no giant buffer, a clean
     * error from the CRC/length check, and no crash */
    unsigned char *liar = malloc(gz_len);
    memcpy(liar, gz, gz_len);
    memset(liar + gz_len - 4, 0xff, 4);
    c = (chunks){ 0 };
    assert_int_equal(tw_split_mem(liar, gz_len, 0, &conf, &seq, count_chunk, &c), TW_OK);
    assert_int_equal(c.problems, 1);
    assert_int_equal(c.reasons[0], TW_REJ_TRUNCATED);
    free(liar);
    /* truncated gzip: a problem named, whole lines before the cut kept */
    c = (chunks){ 0 };
    assert_int_equal(tw_split_mem(gz, gz_len / 2, 0, &conf, &seq, count_chunk, &c), TW_OK);
    assert_int_equal(c.problems, 1);
    assert_int_equal(c.reasons[0], TW_REJ_TRUNCATED);
    assert_true(c.bytes > 0 && c.bytes < len);
    assert_true(c.last_seen);

    /* zstd */
    size_t zcap = ZSTD_compressBound(len);
    unsigned char *zst = malloc(zcap);
    /* as the zstd tool writes it: with a content checksum, so corruption is detectable */
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    size_t z_len = ZSTD_compress2(cctx, zst, zcap, text, len);
    ZSTD_freeCCtx(cctx);
    assert_false(ZSTD_isError(z_len));
    c = (chunks){ 0 };
    assert_int_equal(tw_split_mem(zst, z_len, 0, &conf, &seq, count_chunk, &c), TW_OK);
    assert_int_equal(c.bytes, len);
    assert_int_equal(c.problems, 0);
    /* corrupt zstd frame */
    for (size_t i = z_len / 3; i < z_len / 3 + 16; i++)
        zst[i] ^= 0x5a;
    c = (chunks){ 0 };
    assert_int_equal(tw_split_mem(zst, z_len, 0, &conf, &seq, count_chunk, &c), TW_OK);
    assert_int_equal(c.problems, 1);
    assert_int_equal(c.reasons[0], TW_REJ_TRUNCATED);
    free(zst);
    free(gz);
    free(text);
}

/* A line over the limit is skipped, and its bytes still count as read (ingest.bytes): kept and
 * dropped bytes add up to the input's, plain, gzip and zstd; the lines around it are kept. */
static void split_counts_dropped_bytes(void **state)
{
    (void)state;
    size_t head_len, tail_len;
    char *head = ndjson_lines(50, &head_len);
    char *tail = ndjson_lines(30, &tail_len);
    size_t long_len = 100000;
    size_t len = head_len + long_len + 1 + tail_len;
    char *text = malloc(len);
    memcpy(text, head, head_len);
    memset(text + head_len, 'x', long_len);
    text[head_len + long_len] = '\n';
    memcpy(text + head_len + long_len + 1, tail, tail_len);
    tw_split_conf conf = { 4096, 16384 };

    size_t zcap = ZSTD_compressBound(len);
    unsigned char *zst = malloc(zcap);
    size_t z_len = ZSTD_compress(zst, zcap, text, len, 3);
    assert_false(ZSTD_isError(z_len));
    uLongf glen = compressBound(len) + 64;
    unsigned char *gz = malloc(glen);
    z_stream zs = { 0 };
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (unsigned char *)text;
    zs.avail_in = (uInt)len;
    zs.next_out = gz;
    zs.avail_out = (uInt)glen;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t gz_len = zs.total_out;
    deflateEnd(&zs);

    const void *forms[] = { text, gz, zst };
    size_t form_len[] = { len, gz_len, z_len };
    for (int f = 0; f < 3; f++) {
        uint64_t seq = 0;
        chunks c = { 0 };
        assert_int_equal(tw_split_mem(forms[f], form_len[f], 0, &conf, &seq, count_chunk, &c),
                         TW_OK);
        assert_int_equal(c.problems, 1);
        assert_int_equal(c.reasons[0], TW_REJ_TOO_LARGE);
        assert_int_equal(c.bytes, head_len + tail_len);
        assert_int_equal(c.bytes + c.dropped, len);
    }
    /* the long line last, with no newline after it */
    uint64_t seq = 0;
    chunks c = { 0 };
    assert_int_equal(tw_split_mem(text, head_len + long_len, 0, &conf, &seq, count_chunk, &c),
                     TW_OK);
    assert_int_equal(c.bytes, head_len);
    assert_int_equal(c.bytes + c.dropped, head_len + long_len);
    free(gz);
    free(zst);
    free(text);
    free(head);
    free(tail);
}

static void split_detects_documents_and_empties(void **state)
{
    (void)state;
    uint64_t seq = 0;
    chunks c = { 0 };
    const char *pretty = "{\n  \"Records\": [\n    {\"eventName\": \"A\"}\n  ]\n}\n";
    assert_int_equal(tw_split_mem(pretty, strlen(pretty), 0, NULL, &seq, count_chunk, &c), TW_OK);
    assert_true(c.document);
    c = (chunks){ 0 };
    const char *arr = "[\n{\"eventName\": \"A\"}\n]";
    assert_int_equal(tw_split_mem(arr, strlen(arr), 0, NULL, &seq, count_chunk, &c), TW_OK);
    assert_true(c.document);
    c = (chunks){ 0 };
    const char *lines = "{\"eventName\":\"A\"}\n{\"eventName\":\"B\"}\n";
    assert_int_equal(tw_split_mem(lines, strlen(lines), 0, NULL, &seq, count_chunk, &c), TW_OK);
    assert_false(c.document);
    c = (chunks){ 0 };
    assert_int_equal(tw_split_mem("", 0, 0, NULL, &seq, count_chunk, &c), TW_OK);
    assert_int_equal(c.problems, 1);
    assert_int_equal(c.reasons[0], TW_REJ_EMPTY);
    assert_true(c.last_seen);
}

/* A parser over the real catalog (*cat: for the caller to destroy after the parser). The
 * parser keeps a pointer to its configuration: one lives here, for one parser at a time. */
static tw_parser *parser_new(tw_catalog **cat)
{
    static tw_normalize_conf conf;
    char err[128];
    assert_int_equal(tw_catalog_new(cat, err, sizeof err), TW_OK);
    conf = (tw_normalize_conf){ *cat, NULL, 0, NULL };
    tw_parser *ps = tw_parser_new(&conf);
    assert_non_null(ps);
    return ps;
}

static void parse_chunk_counts_and_names_lines(void **state)
{
    (void)state;
    tw_catalog *cat;
    tw_parser *ps = parser_new(&cat);
    const char *text =
        "{\"eventTime\":\"2026-09-01T00:00:00Z\",\"eventSource\":\"s3.amazonaws.com\","
        "\"eventName\":\"GetObject\","
        "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/"
        "u\"},\"eventID\":\"e1\"}\n"
        "garbage\n"
        "\n"
        "{\"eventTime\":\"2026-09-01T00:00:01Z\",\"eventSource\":\"s3.amazonaws.com\","
        "\"eventName\":\"DeleteBucket\","
        "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/"
        "u\"},\"errorCode\":\"AccessDenied\"}\n"
        "{\"eventTime\":123,\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}\n"
        "{\"eventTime\":\"2026-09-01T00:00:02Z\",\"eventSource\":\"bedrock.amazonaws.com\","
        "\"eventName\":\"Converse\","
        "\"requestParameters\":{\"guardrailConfig\":{\"modelId\":\"nested\"},\"modelId\":"
        "\"anthropic.claude\\u002dv3\"}}\n";
    tw_chunk *chunk = tw_chunk_new(strlen(text));
    memcpy(chunk->buf, text, strlen(text));
    chunk->len = strlen(text);
    memset(chunk->buf + chunk->len, ' ', TW_JSON_PADDING);
    chunk->first_line = 1;
    tw_batch *batch = tw_batch_new(4);
    tw_parser_run(ps, chunk, batch);
    assert_int_equal(batch->counts.records, 5);
    assert_int_equal(batch->counts.events, 3);
    assert_int_equal(batch->counts.rejected[TW_REJ_NOT_JSON], 1);
    assert_int_equal(batch->counts.rejected[TW_REJ_WRONG_TYPE], 1);
    assert_int_equal(batch->problems.n, 2);
    assert_non_null(strstr(batch->problems.v[0].text, "line 2"));
    assert_non_null(strstr(batch->problems.v[1].text, "line 5"));
    const tw_event *ev = &batch->ev[1];
    assert_true(tw_str_eq_c(ev->identity, "arn:aws:iam::1:user/u"));
    assert_true(tw_str_eq_c(ev->action, "s3:DeleteBucket"));
    assert_true(ev->classes & TW_CLASS_DESTRUCTIVE);
    assert_true(ev->flags & TW_EV_DENIED);
    assert_int_equal(ev->time_ms - batch->ev[0].time_ms, 1000);
    /* the model is requestParameters.modelId itself, unescaped, not a nested "modelId" */
    assert_true(tw_str_eq_c(batch->ev[2].model_id, "anthropic.claude-v3"));
    tw_batch_destroy(batch);
    tw_chunk_destroy(chunk);
    tw_parser_destroy(ps);
    tw_catalog_destroy(cat);
}

/* consume's chunks hold several partitions' messages, a line each, with each line's partition
 * beside them: every event carries its own, an empty line (a tombstone) keeps the count, and
 * a chunk of one partition gives its own to all. */
static void parse_chunk_gives_each_line_its_partition(void **state)
{
    (void)state;
    tw_catalog *cat;
    tw_parser *ps = parser_new(&cat);
#define REC(T, U)                                                                       \
    "{\"eventTime\":\"2026-09-01T00:00:0" T "Z\",\"eventSource\":\"s3.amazonaws.com\"," \
    "\"eventName\":\"GetObject\",\"userIdentity\":{\"type\":\"IAMUser\","               \
    "\"arn\":\"arn:aws:iam::1:user/" U "\"}}\n"
    const char *text = REC("0", "a") REC("1", "b") "\n"
                                                   "not json\n" REC("2", "c") REC("3", "d");
#undef REC
    const uint16_t sources[] = { 3, 7, 7, 5, 3, 9 };
    tw_chunk *chunk = tw_chunk_new(strlen(text));
    memcpy(chunk->buf, text, strlen(text));
    chunk->len = strlen(text);
    memset(chunk->buf + chunk->len, ' ', TW_JSON_PADDING);
    chunk->first_line = 41; /* message 41 of the run */
    chunk->line_source = malloc(sizeof sources);
    assert_non_null(chunk->line_source);
    memcpy(chunk->line_source, sources, sizeof sources);
    chunk->n_line_source = 6;
    tw_batch *batch = tw_batch_new(4);
    tw_parser_run(ps, chunk, batch);
    assert_int_equal(batch->counts.events, 4);
    assert_int_equal(batch->ev[0].source, 3);
    assert_int_equal(batch->ev[1].source, 7);
    assert_int_equal(batch->ev[2].source, 3);
    assert_int_equal(batch->ev[3].source, 9);
    assert_true(tw_str_eq_c(batch->ev[3].identity, "arn:aws:iam::1:user/d"));
    assert_int_equal(batch->problems.n, 1);
    assert_non_null(strstr(batch->problems.v[0].text, "line 44")); /* the fourth message */
    tw_batch_destroy(batch);

    /* one partition's chunk: no list, its source for every event */
    free(chunk->line_source);
    chunk->line_source = NULL;
    chunk->n_line_source = 0;
    chunk->source = 12;
    batch = tw_batch_new(4);
    tw_parser_run(ps, chunk, batch);
    assert_int_equal(batch->counts.events, 4);
    for (uint32_t i = 0; i < batch->n; i++)
        assert_int_equal(batch->ev[i].source, 12);
    tw_batch_destroy(batch);
    tw_chunk_destroy(chunk);
    tw_parser_destroy(ps);
    tw_catalog_destroy(cat);
}

/* A batch lives as long as any of its events waits, so a small file's batch must cost about
 * what its few events hold (issue 13: 1,024 slots and a 256 KiB arena, whatever it held). */
static void batch_fits_what_it_holds(void **state)
{
    (void)state;
    tw_catalog *cat;
    tw_parser *ps = parser_new(&cat);
    const char *text =
        "{\"Records\":[{\"eventTime\":\"2026-09-01T00:00:00Z\",\"eventSource\":\"s3.amazonaws."
        "com\","
        "\"eventName\":\"GetObject\",\"userIdentity\":{\"type\":\"IAMUser\","
        "\"arn\":\"arn:aws:iam::1:user/u\"},\"eventID\":\"e1\"},"
        "{\"eventTime\":\"2026-09-01T00:00:01Z\",\"eventSource\":\"s3.amazonaws.com\","
        "\"eventName\":\"DeleteBucket\",\"userIdentity\":{\"type\":\"IAMUser\","
        "\"arn\":\"arn:aws:iam::1:user/v\"},\"eventID\":\"e2\"}]}\n";
    tw_chunk *chunk = tw_chunk_new(strlen(text));
    memcpy(chunk->buf, text, strlen(text));
    chunk->len = strlen(text);
    memset(chunk->buf + chunk->len, ' ', TW_JSON_PADDING);
    chunk->first_line = 1;
    chunk->whole_input = true; /* a small file, as the reader hands it on */
    tw_batch *batch = tw_batch_new(1024);
    tw_parser_run(ps, chunk, batch);
    tw_chunk_destroy(chunk); /* the events hold copies */
    assert_int_equal(batch->n, 2);
    tw_batch_fit(batch);
    assert_int_equal(batch->cap, 2);
    /* its strings took one first-size block: the next one would be 4 KiB */
    assert_true(batch->arena.used_total < 2048);
    assert_int_equal(batch->arena.block_size, 4096);
    assert_true(tw_str_eq_c(batch->ev[0].identity, "arn:aws:iam::1:user/u"));
    assert_true(tw_str_eq_c(batch->ev[1].identity, "arn:aws:iam::1:user/v"));
    assert_true(tw_str_eq_c(batch->ev[1].event_id, "e2"));
    /* more events than expected: the slots grow */
    tw_event *ev = tw_batch_push(batch);
    assert_non_null(ev);
    assert_int_equal(batch->n, 3);
    assert_true(batch->cap >= 3);
    assert_true(tw_str_eq_c(batch->ev[1].event_id, "e2"));
    tw_batch_destroy(batch);
    tw_parser_destroy(ps);
    tw_catalog_destroy(cat);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_envelopes),
        cmocka_unit_test(json_errors),
        cmocka_unit_test(record_spans_and_lookups),
        cmocka_unit_test(identity_keys),
        cmocka_unit_test(identity_kinds),
        cmocka_unit_test(denials),
        cmocka_unit_test(split_plain_gzip_zstd),
        cmocka_unit_test(split_counts_dropped_bytes),
        cmocka_unit_test(split_detects_documents_and_empties),
        cmocka_unit_test(parse_chunk_counts_and_names_lines),
        cmocka_unit_test(parse_chunk_gives_each_line_its_partition),
        cmocka_unit_test(batch_fits_what_it_holds),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
