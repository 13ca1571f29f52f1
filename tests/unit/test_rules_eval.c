/* detect/rules_eval and detect/rules_index: every match op (positive and negative), case,
 * globs, regular expressions, networks, typed values, null and absence, exists, fieldref, the
 * virtual fields' bits, arrays, `all`, lists of maps, the condition grammar's precedence and
 * quantifiers; then the index of rules by eventName / eventSource / action: which rules are
 * candidates, which are always, and the order they come out in. Rules are loaded from YAML
 * text; events are a fake field source over a small table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_test.h"

#include "rules.h"
#include "rules_eval.h"
#include "rules_index.h"
#include "tw_event.h"
#include "tw_rng.h"

/* ---- a fake event: field name -> values ---- */

typedef struct fake_field {
    const char *name;
    uint32_t n;
    tw_field_value v[6];
} fake_field;

static uint32_t fake_get(void *ctx, const tw_field *field, const tw_field_value **values)
{
    for (const fake_field *f = ctx; f->name; f++)
        if (!strcmp(f->name, field->name)) {
            *values = f->v;
            return f->n;
        }
    *values = NULL;
    return 0;
}

#define TEXT(s)                        \
    {                                  \
        (s), (uint32_t)(sizeof(s) - 1) \
    }
#define S(s)                                  \
    {                                         \
        .type = TW_FV_STRING, .text = TEXT(s) \
    }
#define NUM(x)                                                \
    {                                                         \
        .type = TW_FV_NUMBER, .number = (x), .text = TEXT(#x) \
    }
#define TRUE_                               \
    {                                       \
        .type = TW_FV_BOOL, .boolean = true \
    }
#define FALSE_                               \
    {                                        \
        .type = TW_FV_BOOL, .boolean = false \
    }
#define NUL                \
    {                      \
        .type = TW_FV_NULL \
    }
#define OBJ                                             \
    {                                                   \
        .type = TW_FV_OBJECT, .text = TEXT("{\"a\":1}") \
    }
#define BITS(b)                         \
    {                                   \
        .type = TW_FV_BITS, .bits = (b) \
    }
#define KIND(k) BITS(1u << (k))

/* A field with its values, and an event: fields, then the end. */
#define N_VALUES(...) \
    ((uint32_t)(sizeof((tw_field_value[]){ __VA_ARGS__ }) / sizeof(tw_field_value)))
#define F(name, ...)                 \
    {                                \
        name, N_VALUES(__VA_ARGS__), \
        {                            \
            __VA_ARGS__              \
        }                            \
    }
#define EV(...) ((const fake_field[]){ __VA_ARGS__, { NULL, 0, { { 0 } } } })
#define EMPTY ((const fake_field[]){ { NULL, 0, { { 0 } } } })

/* ---- loading and evaluating ---- */

#define HEAD "title: T\nid: r\nlevel: low\nlogsource: {product: aws, service: cloudtrail}\n"
/* A rule whose one selection `sel` holds `match`. */
#define SEL1(match) HEAD "detection:\n  sel:\n    " match "\n  condition: sel\n"

typedef struct fx {
    tw_ruleset *rs;
    tw_rules_eval *rev;
    tw_regex_scratch *scratch;
} fx;

static tw_ruleset *load_ok(const char *yaml)
{
    tw_ruleset *rs = tw_ruleset_new();
    assert_non_null(rs);
    tw_ruleset_add_buffer(rs, "t.yml", yaml, strlen(yaml));
    tw_ruleset_finish(rs);
    for (size_t i = 0; i < tw_ruleset_diag_count(rs); i++)
        fprintf(stderr, "  diag: %s\n", tw_ruleset_diag(rs, i));
    assert_int_equal(tw_ruleset_diag_count(rs), 0);
    return rs;
}

static fx fx_new(const char *yaml)
{
    fx f = { load_ok(yaml), NULL, tw_regex_scratch_new() };
    assert_non_null(f.scratch);
    assert_int_equal(tw_rules_eval_new(f.rs, &f.rev), TW_OK);
    return f;
}

static void fx_free(fx *f)
{
    tw_rules_eval_destroy(f->rev);
    tw_regex_scratch_destroy(f->scratch);
    tw_ruleset_destroy(f->rs);
}

static bool eval_rule(const fx *f, size_t rule, const fake_field *ev)
{
    tw_field_source src = { fake_get, (void *)ev, NULL };
    return tw_rules_eval_rule(f->rev, tw_ruleset_rule(f->rs, rule), &src, f->scratch);
}

/* The first rule against an event with one field `name` of one value. */
static bool one(const fx *f, const char *name, tw_field_value v)
{
    fake_field ev[2] = { { name, 1, { v } }, { NULL, 0, { { 0 } } } };
    return eval_rule(f, 0, ev);
}

#define YES(f, name, ...) assert_true(one(&(f), name, (tw_field_value)__VA_ARGS__))
#define NO(f, name, ...) assert_false(one(&(f), name, (tw_field_value)__VA_ARGS__))
#define YES_EV(f, ev) assert_true(eval_rule(&(f), 0, ev))
#define NO_EV(f, ev) assert_false(eval_rule(&(f), 0, ev))

/* ---- strings ---- */

static void eq_uncased_and_cased(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("eventName: DeleteBucket"));
    YES(f, "eventName", S("DeleteBucket"));
    YES(f, "eventName", S("deletebucket"));
    YES(f, "eventName", S("DELETEBUCKET"));
    NO(f, "eventName", S("DeleteBucketPolicy"));
    NO(f, "eventName", S("Delete"));
    NO(f, "eventName", S(""));
    NO(f, "eventName", NUL);
    NO(f, "eventName", OBJ);
    NO_EV(f, EMPTY);
    fx_free(&f);

    f = fx_new(SEL1("eventName|cased: DeleteBucket"));
    YES(f, "eventName", S("DeleteBucket"));
    NO(f, "eventName", S("deletebucket"));
    NO(f, "eventName", S("DeleteBucketX"));
    fx_free(&f);

    /* longer than a word, folded eight bytes at a time; only ASCII folds */
    f = fx_new(SEL1("userAgent: 'Boto3/1.34.0 Python/3.12 strands-agents/0.1 café'"));
    YES(f, "userAgent", S("BOTO3/1.34.0 PYTHON/3.12 STRANDS-AGENTS/0.1 CAFé"));
    NO(f, "userAgent", S("BOTO3/1.34.0 PYTHON/3.12 STRANDS-AGENTS/0.1 CAFÉ"));
    NO(f, "userAgent", S("Boto3/1.34.0 Python/3.12 strands-agents/0.2 café"));
    fx_free(&f);

    /* an empty string is a value: it does not match absence */
    f = fx_new(SEL1("errorCode: ''"));
    YES(f, "errorCode", S(""));
    NO(f, "errorCode", NUL);
    NO_EV(f, EMPTY);
    fx_free(&f);
}

static void contains_prefix_suffix(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("userAgent|contains: Strands"));
    YES(f, "userAgent", S("aws-sdk-python strands-agents/1.0"));
    YES(f, "userAgent", S("STRANDS"));
    YES(f, "userAgent", S("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxStRaNdS"));
    NO(f, "userAgent", S("strand"));
    NO(f, "userAgent", S("s-t-r-a-n-d-s"));
    NO(f, "userAgent", S(""));
    fx_free(&f);

    f = fx_new(SEL1("userAgent|contains: '/1.2'")); /* a first byte that is no letter */
    YES(f, "userAgent", S("agent/1.2.3"));
    YES(f, "userAgent", S("a/1/1.2"));
    NO(f, "userAgent", S("agent/1.3/2"));
    fx_free(&f);

    f = fx_new(SEL1("userAgent|contains|cased: Strands"));
    YES(f, "userAgent", S("my Strands agent"));
    NO(f, "userAgent", S("my strands agent"));
    fx_free(&f);

    f = fx_new(SEL1("eventName|startswith: Delete"));
    YES(f, "eventName", S("DeleteBucket"));
    YES(f, "eventName", S("delete"));
    NO(f, "eventName", S("BatchDelete"));
    NO(f, "eventName", S("Delet"));
    fx_free(&f);

    f = fx_new(SEL1("eventSource|endswith: .Amazonaws.com"));
    YES(f, "eventSource", S("s3.amazonaws.com"));
    NO(f, "eventSource", S("s3.amazonaws.com.evil"));
    NO(f, "eventSource", S("amazonaws.com"));
    fx_free(&f);

    f = fx_new(SEL1("eventSource|endswith|cased: .amazonaws.com"));
    YES(f, "eventSource", S("s3.amazonaws.com"));
    NO(f, "eventSource", S("s3.AMAZONAWS.com"));
    fx_free(&f);

    /* strings meet a number as written and a boolean as true/false */
    f = fx_new(SEL1("requestParameters.maxResults: '50'"));
    YES(f, "requestParameters.maxResults", NUM(50));
    NO(f, "requestParameters.maxResults", NUM(50.0));
    fx_free(&f);
    f = fx_new(SEL1("readOnly: 'TRUE'"));
    YES(f, "readOnly", TRUE_);
    NO(f, "readOnly", FALSE_);
    fx_free(&f);
}

/* ---- globs ---- */

static void glob_star_alone(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("userAgent: '*'"));
    YES(f, "userAgent", S(""));
    YES(f, "userAgent", S("anything at all"));
    YES(f, "userAgent", NUM(5));
    YES(f, "userAgent", FALSE_);
    NO(f, "userAgent", NUL);
    YES(f, "userAgent", OBJ); /* its JSON text, as any string */
    NO_EV(f, EMPTY);
    fx_free(&f);
}

static void glob_question_utf8(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("userAgent: 'a?c'"));
    YES(f, "userAgent", S("abc"));
    YES(f, "userAgent", S("AxC"));
    YES(f, "userAgent",
        S("a\xc3\xa9"
          "c")); /* é: 2 bytes */
    YES(f, "userAgent",
        S("a\xe2\x82\xac"
          "c")); /* €: 3 bytes */
    YES(f, "userAgent",
        S("a\xf0\x9f\x98\x80"
          "c")); /* 😀: 4 bytes */
    NO(f, "userAgent", S("ac"));
    NO(f, "userAgent", S("abbc"));
    NO(f, "userAgent",
       S("a\xc3\xa9\xc3\xa9"
         "c"));
    fx_free(&f);

    f = fx_new(SEL1("userAgent: '?'"));
    YES(f, "userAgent", S("x"));
    YES(f, "userAgent", S("\xc3\xa9"));
    YES(f, "userAgent", S("\xff")); /* a byte that starts no character is one */
    NO(f, "userAgent", S(""));
    NO(f, "userAgent", S("ab"));
    NO(f, "userAgent", S("\xc3\xa9\xc3\xa9"));
    fx_free(&f);

    /* a star backs off by characters: at least two characters after it */
    f = fx_new(SEL1("userAgent: 'x*?"
                    "?'"));
    YES(f, "userAgent", S("x\xc3\xa9\xc3\xa9"));
    YES(f, "userAgent", S("xab"));
    NO(f, "userAgent", S("x\xc3\xa9"));
    NO(f, "userAgent", S("x\xe2\x82\xac")); /* one character, though three bytes */
    NO(f, "userAgent", S("xa"));
    fx_free(&f);
}

static void glob_stars_and_backtracking(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("userAgent: 'a*b?d*'"));
    YES(f, "userAgent", S("aXXbYd"));
    YES(f, "userAgent", S("abyd"));
    YES(f, "userAgent", S("AB_D_tail"));
    YES(f, "userAgent", S("abxbyd"));
    NO(f, "userAgent", S("abd"));
    NO(f, "userAgent", S("a_b"));
    NO(f, "userAgent", S("xabyd"));
    fx_free(&f);

    f = fx_new(SEL1("userAgent: '*ab*abc'"));
    YES(f, "userAgent", S("xxabyyababc"));
    YES(f, "userAgent", S("ababc"));
    NO(f, "userAgent", S("abab"));
    NO(f, "userAgent", S("abcab"));
    NO(f, "userAgent", S("abc"));
    fx_free(&f);

    f = fx_new(SEL1("userIdentity.arn: 'arn:aws:iam::*:role/CI-*'"));
    YES(f, "userIdentity.arn", S("arn:aws:iam::123456789012:role/ci-deploy"));
    NO(f, "userIdentity.arn", S("arn:aws:iam::123456789012:user/ci-deploy"));
    fx_free(&f);

    f = fx_new(SEL1("eventName|cased: 'Get*Policy?'"));
    YES(f, "eventName", S("GetRolePolicyX"));
    NO(f, "eventName", S("getRolePolicyX"));
    NO(f, "eventName", S("GetRolePolicy"));
    fx_free(&f);
}

static void glob_escapes(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("errorMessage: 'a\\*b'")); /* literal a*b */
    YES(f, "errorMessage", S("a*b"));
    YES(f, "errorMessage", S("A*B"));
    NO(f, "errorMessage", S("axb"));
    NO(f, "errorMessage", S("ab"));
    fx_free(&f);

    f = fx_new(SEL1("errorMessage: '\\?x*'")); /* starts with ?x */
    YES(f, "errorMessage", S("?xyz"));
    NO(f, "errorMessage", S("axyz"));
    fx_free(&f);

    f = fx_new(SEL1("errorMessage: 'a\\\\*'")); /* starts with a backslash */
    YES(f, "errorMessage", S("a\\bc"));
    NO(f, "errorMessage", S("abc"));
    fx_free(&f);

    f = fx_new(SEL1("errorMessage: '*\\?*x?'")); /* a literal ? somewhere, then x and one */
    YES(f, "errorMessage", S("why?  x!"));
    NO(f, "errorMessage", S("why!  x!"));
    fx_free(&f);
}

/* Every string op and glob against a plain reference (recursive, one byte or character at a
 * time) over random subjects from a small alphabet chosen to sit on the edges of ASCII case
 * folding ('@' 'A', 'Z' '[', '`' 'a', 'z' '{') and of UTF-8 (2, 3 bytes, a stray 0xff). */
static bool ref_eq(char a, char b, bool cased)
{
    unsigned char x = (unsigned char)a, y = (unsigned char)b;
    if (!cased) {
        x = (x >= 'A' && x <= 'Z') ? (unsigned char)(x + 32) : x;
        y = (y >= 'A' && y <= 'Z') ? (unsigned char)(y + 32) : y;
    }
    return x == y;
}

static uint32_t ref_clen(const char *s, uint32_t n)
{
    unsigned char c = (unsigned char)s[0];
    uint32_t len = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf8 ? 4 : 1;
    return len < n ? len : n;
}

static bool ref_glob(const char *p, const char *s, uint32_t n, bool cased)
{
    if (!*p)
        return n == 0;
    if (*p == '*') {
        for (uint32_t k = 0;; k += ref_clen(s + k, n - k)) {
            if (ref_glob(p + 1, s + k, n - k, cased))
                return true;
            if (k >= n)
                return false;
        }
    }
    if (*p == '?')
        return n > 0 && ref_glob(p + 1, s + ref_clen(s, n), n - ref_clen(s, n), cased);
    return n > 0 && ref_eq(*p, *s, cased) && ref_glob(p + 1, s + 1, n - 1, cased);
}

static void strings_match_reference(void **state)
{
    (void)state;
    static const char *const patterns[] = {
        "*aB*",  "@[*",   "*{\xc3\xa9",   "a`",         "*zZ[*",
        "*a?b*", "a*b*?", "?*\xc3\xa9*a", "*a*b*a*",    "*\xe2\x82\xac?*",
        "??",    "*a*A",  "A?*?a",        "*abababab*", "*@A@A@A@A@A*",
    };
    static const char *const alphabet[] = {
        "a", "A", "b", "B", "z", "Z", "@", "[", "`", "{", "\xc3\xa9", "\xe2\x82\xac", "\xff",
    };
    const size_t n_pat = sizeof patterns / sizeof *patterns;
    const size_t n_alpha = sizeof alphabet / sizeof *alphabet;
    size_t cap = 16 * 1024, len = 0;
    char *yaml = malloc(cap);
    assert_non_null(yaml);
    for (size_t i = 0; i < 2 * n_pat; i++)
        len +=
            (size_t)snprintf(yaml + len, cap - len,
                             "title: T\nid: r%zu\nlevel: low\n"
                             "logsource: {product: aws, service: cloudtrail}\n"
                             "detection:\n  sel:\n    userAgent%s: '%s'\n  condition: sel\n---\n",
                             i, i % 2 ? "|cased" : "", patterns[i / 2]);
    assert_true(len < cap);
    fx f = fx_new(yaml);
    free(yaml);
    assert_int_equal(tw_ruleset_count(f.rs), 2 * n_pat);

    tw_rng rng;
    tw_rng_seed(&rng, 42);
    char subject[128];
    unsigned hits[64] = { 0 };
    assert_true(2 * n_pat <= 64);
    for (unsigned round = 0; round < 3000; round++) {
        uint32_t n = 0;
        /* a pattern's own literal bytes now and then, so matches are not rare */
        unsigned parts = round % 16 == 0 ? 1 : (unsigned)tw_rng_below(&rng, 24);
        for (unsigned k = 0; k < parts; k++) {
            const char *piece = round % 16 == 0 || tw_rng_below(&rng, 8) == 0
                                    ? patterns[tw_rng_below(&rng, n_pat)]
                                    : alphabet[tw_rng_below(&rng, n_alpha)];
            bool flip = tw_rng_below(&rng, 2);
            for (const char *c = piece; *c && n < sizeof subject - 1; c++)
                if (*c != '*' && *c != '?')
                    subject[n++] = flip && *c >= 'a' && *c <= 'z' ? (char)(*c - 32) : *c;
        }
        fake_field ev[2] = {
            { "userAgent", 1, { { .type = TW_FV_STRING, .text = { subject, n } } } },
            { NULL, 0, { { 0 } } }
        };
        for (size_t i = 0; i < 2 * n_pat; i++) {
            bool want = ref_glob(patterns[i / 2], subject, n, i % 2);
            bool got = eval_rule(&f, i, ev);
            if (got != want)
                fprintf(stderr, "  '%s'%s against '%.*s': got %d\n", patterns[i / 2],
                        i % 2 ? " cased" : "", (int)n, subject, got);
            assert_int_equal(got, want);
            hits[i] += got;
        }
    }
    /* the subjects reached both outcomes of every rule */
    for (size_t i = 0; i < 2 * n_pat; i++) {
        if (hits[i] == 0 || hits[i] == 3000)
            fprintf(stderr, "  '%s'%s: %u matches of 3000\n", patterns[i / 2],
                    i % 2 ? " cased" : "", hits[i]);
        assert_true(hits[i] > 0 && hits[i] < 3000);
    }
    fx_free(&f);
}

/* ---- regular expressions ---- */

static void regex_ops(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("eventName|re: '^Delete.*Bucket$'"));
    YES(f, "eventName", S("DeleteBucket"));
    YES(f, "eventName", S("DeleteFooBucket"));
    NO(f, "eventName", S("deletebucket"));
    NO(f, "eventName", S("DeleteBucketPolicy"));
    NO_EV(f, EMPTY);
    fx_free(&f);

    f = fx_new(SEL1("eventName|re|i: '^delete.*bucket$'"));
    YES(f, "eventName", S("DeleteBucket"));
    fx_free(&f);

    f = fx_new(SEL1("eventName|re: Bucket")); /* unanchored */
    YES(f, "eventName", S("PutBucketPolicy"));
    YES(f, "eventName",
        S("\xff\xfe"
          "Bucket")); /* invalid UTF-8 in the subject */
    NO(f, "eventName", S("PutObject"));
    fx_free(&f);

    f = fx_new(SEL1("requestParameters.maxResults|re: '^5\\d$'"));
    YES(f, "requestParameters.maxResults", NUM(50));
    NO(f, "requestParameters.maxResults", NUM(500));
    NO(f, "requestParameters.maxResults", NUL);
    fx_free(&f);
}

/* ---- networks ---- */

static void cidr_v4(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("sourceIPAddress|cidr: 10.0.0.0/8"));
    YES(f, "sourceIPAddress", S("10.1.2.3"));
    YES(f, "sourceIPAddress", S("10.255.255.255"));
    YES(f, "sourceIPAddress", S("::ffff:10.0.0.1")); /* IPv4-mapped */
    NO(f, "sourceIPAddress", S("11.0.0.1"));
    NO(f, "sourceIPAddress", S("9.255.255.255"));
    NO(f, "sourceIPAddress", S("AWS Internal"));
    NO(f, "sourceIPAddress", S("ec2.amazonaws.com"));
    NO(f, "sourceIPAddress", S(""));
    NO(f, "sourceIPAddress", S("10.1.2"));
    NO(f, "sourceIPAddress", S("10.1.2.3.4"));
    NO(f, "sourceIPAddress", S("10.1.2.3 "));
    NO(f, "sourceIPAddress", S("10.1.2.300"));
    NO(f, "sourceIPAddress", S("10.0.0.1.this.is.a.rather.long.host.name.example.com"));
    NO(f, "sourceIPAddress", S("::a00:1")); /* not mapped: IPv6 */
    NO(f, "sourceIPAddress", NUM(10));
    NO_EV(f, EMPTY);
    fx_free(&f);

    f = fx_new(SEL1("sourceIPAddress|cidr: [172.16.0.0/12, 192.168.1.7]"));
    YES(f, "sourceIPAddress", S("172.31.255.255"));
    YES(f, "sourceIPAddress", S("172.16.0.0"));
    YES(f, "sourceIPAddress", S("192.168.1.7"));
    NO(f, "sourceIPAddress", S("172.32.0.0"));
    NO(f, "sourceIPAddress", S("192.168.1.8"));
    fx_free(&f);

    f = fx_new(SEL1("sourceIPAddress|cidr: 0.0.0.0/0"));
    YES(f, "sourceIPAddress", S("1.2.3.4"));
    NO(f, "sourceIPAddress", S("::1"));
    NO(f, "sourceIPAddress", S("bedrock.amazonaws.com"));
    fx_free(&f);
}

static void cidr_v6(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("sourceIPAddress|cidr: 2001:db8::/32"));
    YES(f, "sourceIPAddress", S("2001:db8::1"));
    YES(f, "sourceIPAddress", S("2001:DB8:ffff::"));
    YES(f, "sourceIPAddress", S("2001:0db8:0000:0000:0000:0000:0000:0001"));
    NO(f, "sourceIPAddress", S("2001:db9::1"));
    NO(f, "sourceIPAddress", S("10.0.0.1"));
    NO(f, "sourceIPAddress", S("fe80::1%eth0"));
    NO(f, "sourceIPAddress", S("2001:db8::1::2"));
    NO(f, "sourceIPAddress", S("2001:db8:::1"));
    fx_free(&f);

    f = fx_new(SEL1("sourceIPAddress|cidr: '2001:db8:8000::/33'"));
    YES(f, "sourceIPAddress", S("2001:db8:8000::1"));
    YES(f, "sourceIPAddress", S("2001:db8:ffff::1"));
    NO(f, "sourceIPAddress", S("2001:db8:7fff::1"));
    fx_free(&f);

    f = fx_new(SEL1("sourceIPAddress|cidr: '::ffff:0:0/96'")); /* IPv4 text, the other way */
    YES(f, "sourceIPAddress", S("1.2.3.4"));
    YES(f, "sourceIPAddress", S("::ffff:1.2.3.4"));
    NO(f, "sourceIPAddress", S("::1"));
    fx_free(&f);
}

/* ---- typed values ---- */

static void numbers(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("requestParameters.maxResults: 50"));
    YES(f, "requestParameters.maxResults", NUM(50));
    YES(f, "requestParameters.maxResults", NUM(50.0));
    YES(f, "requestParameters.maxResults", NUM(5e1));
    YES(f, "requestParameters.maxResults", S("50"));
    NO(f, "requestParameters.maxResults", S("50.0"));
    NO(f, "requestParameters.maxResults", S(" 50"));
    NO(f, "requestParameters.maxResults", NUM(51));
    NO(f, "requestParameters.maxResults", TRUE_);
    NO(f, "requestParameters.maxResults", NUL);
    NO_EV(f, EMPTY);
    fx_free(&f);

    f = fx_new(SEL1("eventVersion: 1.08"));
    YES(f, "eventVersion", S("1.08"));
    YES(f, "eventVersion", NUM(1.08));
    NO(f, "eventVersion", S("1.080"));
    NO(f, "eventVersion", NUM(1.8));
    fx_free(&f);

    /* twelve digits: an account id written bare is a number, and meets the string */
    f = fx_new(SEL1("recipientAccountId: 123456789012"));
    YES(f, "recipientAccountId", S("123456789012"));
    NO(f, "recipientAccountId", S("023456789012"));
    fx_free(&f);
}

static void booleans(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("readOnly: true"));
    YES(f, "readOnly", TRUE_);
    YES(f, "readOnly", S("true"));
    YES(f, "readOnly", S("TRUE"));
    NO(f, "readOnly", FALSE_);
    NO(f, "readOnly", S("yes"));
    NO(f, "readOnly", S("false"));
    NO(f, "readOnly", NUM(1));
    NO(f, "readOnly", NUL);
    NO_EV(f, EMPTY);
    fx_free(&f);

    f = fx_new(SEL1("readOnly: false"));
    YES(f, "readOnly", FALSE_);
    YES(f, "readOnly", S("False"));
    NO(f, "readOnly", TRUE_);
    NO_EV(f, EMPTY); /* absent is not false */
    fx_free(&f);

    f = fx_new(SEL1("error.denied: true"));
    YES(f, "error.denied", TRUE_);
    NO(f, "error.denied", FALSE_);
    fx_free(&f);
}

static void null_and_absent(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("errorCode: null"));
    YES_EV(f, EMPTY);
    YES(f, "errorCode", NUL);
    YES_EV(f, EV(F("errorCode", S("AccessDenied"), NUL)));
    NO(f, "errorCode", S(""));
    NO(f, "errorCode", S("null"));
    NO(f, "errorCode", S("AccessDenied"));
    NO(f, "errorCode", OBJ);
    fx_free(&f);

    /* Sigma: NOT of a selection over an absent field holds */
    f = fx_new(HEAD "detection:\n  sel:\n    eventName: GetObject\n  filter:\n"
                    "    errorCode: AccessDenied\n  condition: sel and not filter\n");
    YES_EV(f, EV(F("eventName", S("GetObject"))));
    YES_EV(f, EV(F("eventName", S("GetObject")), F("errorCode", NUL)));
    NO_EV(f, EV(F("eventName", S("GetObject")), F("errorCode", S("accessdenied"))));
    fx_free(&f);
}

static void exists(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("errorCode|exists: true"));
    YES(f, "errorCode", S("AccessDenied"));
    YES(f, "errorCode", S(""));
    YES(f, "errorCode", NUL);
    YES(f, "errorCode", OBJ);
    NO_EV(f, EMPTY);
    NO_EV(f, EV(F("eventName", S("errorCode"))));
    fx_free(&f);

    f = fx_new(SEL1("errorCode|exists: false"));
    YES_EV(f, EMPTY);
    NO(f, "errorCode", S("x"));
    NO(f, "errorCode", NUL);
    fx_free(&f);

    f = fx_new(SEL1("userIdentity.sessionContext|exists: true"));
    YES(f, "userIdentity.sessionContext", OBJ);
    NO_EV(f, EMPTY);
    fx_free(&f);

    f = fx_new(SEL1("identity.kind|exists: true"));
    YES(f, "identity.kind", KIND(TW_KIND_SERVICE));
    NO_EV(f, EMPTY);
    fx_free(&f);
}

static void fieldref(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("requestParameters.userName|fieldref: userIdentity.userName"));
    YES_EV(f,
           EV(F("requestParameters.userName", S("alice")), F("userIdentity.userName", S("Alice"))));
    NO_EV(f, EV(F("requestParameters.userName", S("alice")), F("userIdentity.userName", S("bob"))));
    NO_EV(f, EV(F("requestParameters.userName", S("alice"))));
    NO_EV(f, EV(F("userIdentity.userName", S("alice"))));
    NO_EV(f, EMPTY);
    /* any pair */
    YES_EV(f, EV(F("requestParameters.userName", S("a"), S("b")),
                 F("userIdentity.userName", S("c"), S("B"))));
    NO_EV(f, EV(F("requestParameters.userName", S("a"), S("b")),
                F("userIdentity.userName", S("c"), S("d"))));
    /* numbers by value, a number and a string by text; null equals nothing */
    YES_EV(f, EV(F("requestParameters.userName", NUM(1)), F("userIdentity.userName", NUM(1.0))));
    YES_EV(f, EV(F("requestParameters.userName", NUM(1)), F("userIdentity.userName", S("1"))));
    NO_EV(f, EV(F("requestParameters.userName", NUM(1)), F("userIdentity.userName", S("1.0"))));
    NO_EV(f, EV(F("requestParameters.userName", NUL), F("userIdentity.userName", NUL)));
    NO_EV(f, EV(F("requestParameters.userName", OBJ), F("userIdentity.userName", OBJ)));
    /* longer than a word on both sides */
    YES_EV(f, EV(F("requestParameters.userName", S("Deploy-Pipeline-Role-2024")),
                 F("userIdentity.userName", S("deploy-pipeline-role-2024"))));
    fx_free(&f);

    /* to a virtual field */
    f = fx_new(SEL1("userIdentity.arn|fieldref: identity.key"));
    YES_EV(f, EV(F("userIdentity.arn", S("arn:aws:iam::1:user/a")),
                 F("identity.key", S("arn:aws:iam::1:user/a"))));
    NO_EV(f, EV(F("userIdentity.arn", S("arn:aws:sts::1:assumed-role/r/s")),
                F("identity.key", S("arn:aws:iam::1:role/r"))));
    fx_free(&f);
}

/* ---- the virtual fields' bits ---- */

static void bits_class_level_kind(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("action.class: destructive"));
    YES(f, "action.class", BITS(TW_CLASS_DESTRUCTIVE | TW_CLASS_WRITE));
    NO(f, "action.class", BITS(TW_CLASS_READ));
    NO(f, "action.class", BITS(0));
    NO(f, "action.class", S("destructive"));
    NO_EV(f, EMPTY);
    fx_free(&f);

    f = fx_new(SEL1("action.class: privileged"));
    YES(f, "action.class", BITS(TW_CLASS_PERMISSIONS));
    YES(f, "action.class", BITS(TW_CLASS_PASSROLE));
    YES(f, "action.class", BITS(TW_CLASS_LOGGING_CONTROL | TW_CLASS_WRITE));
    NO(f, "action.class", BITS(TW_CLASS_READ | TW_CLASS_WRITE | TW_CLASS_DESTRUCTIVE));
    fx_free(&f);

    f = fx_new(SEL1("action.class|all: [read, telemetry]"));
    YES(f, "action.class", BITS(TW_CLASS_READ | TW_CLASS_TELEMETRY));
    NO(f, "action.class", BITS(TW_CLASS_READ));
    NO(f, "action.class", BITS(TW_CLASS_TELEMETRY));
    fx_free(&f);

    f = fx_new(SEL1("identity.kind: [agent, service]"));
    YES(f, "identity.kind", KIND(TW_KIND_AGENT));
    YES(f, "identity.kind", KIND(TW_KIND_SERVICE));
    NO(f, "identity.kind", KIND(TW_KIND_HUMAN));
    NO(f, "identity.kind", KIND(TW_KIND_ROOT));
    fx_free(&f);

    f = fx_new(SEL1("action.level: [Write, Permissions management]"));
    YES(f, "action.level", BITS(TW_LEVEL_WRITE));
    YES(f, "action.level", BITS(TW_LEVEL_PERMISSIONS));
    NO(f, "action.level", BITS(TW_LEVEL_READ));
    NO(f, "action.level", BITS(0));
    fx_free(&f);

    f = fx_new(SEL1("action: 's3:Delete*'"));
    YES(f, "action", S("s3:DeleteBucket"));
    YES(f, "action", S("S3:deleteobjects"));
    NO(f, "action", S("s3:PutObject"));
    NO(f, "action", S("s3control:DeleteJob"));
    fx_free(&f);
}

/* ---- arrays, all, lists of maps ---- */

static void arrays_any_element(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("resources.ARN|endswith: ':trail/main'"));
    YES_EV(f, EV(F("resources.ARN", S("arn:aws:s3:::b"),
                   S("arn:aws:cloudtrail:us-east-1:1:trail/main"), S("arn:x"))));
    NO_EV(f, EV(F("resources.ARN", S("arn:aws:s3:::b"), S("arn:x"))));
    NO_EV(f, EMPTY); /* an empty array: absent */
    fx_free(&f);

    /* a filter that any element meets removes the event */
    f = fx_new(HEAD "detection:\n  sel:\n    eventName: DeleteObjects\n  filter:\n"
                    "    resources.type: 'AWS::S3::Bucket'\n  condition: sel and not filter\n");
    NO_EV(f, EV(F("eventName", S("DeleteObjects")),
                F("resources.type", S("AWS::S3::Object"), S("AWS::S3::Bucket"))));
    YES_EV(f, EV(F("eventName", S("DeleteObjects")), F("resources.type", S("AWS::S3::Object"))));
    fx_free(&f);
}

static void all_modifier(void **state)
{
    (void)state;
    fx f = fx_new(SEL1("userAgent|contains|all: [boto3, strands]"));
    YES(f, "userAgent", S("Boto3/1.3 strands-agents/0.1"));
    YES(f, "userAgent", S("strands boto3"));
    NO(f, "userAgent", S("boto3 only"));
    NO(f, "userAgent", S("strands only"));
    NO_EV(f, EMPTY);
    /* each rule value may be met by a different element */
    YES_EV(f, EV(F("userAgent", S("boto3"), S("strands"))));
    fx_free(&f);

    f = fx_new(SEL1("resources.type|all: ['AWS::S3::Bucket', 'AWS::S3::Object']"));
    YES_EV(f, EV(F("resources.type", S("AWS::S3::Object"), S("AWS::S3::Bucket"))));
    NO_EV(f, EV(F("resources.type", S("AWS::S3::Object"))));
    fx_free(&f);

    /* without all: any value */
    f = fx_new(SEL1("eventName: [StopLogging, DeleteTrail, UpdateTrail]"));
    YES(f, "eventName", S("deletetrail"));
    NO(f, "eventName", S("CreateTrail"));
    fx_free(&f);
}

static void lists_of_maps(void **state)
{
    (void)state;
    fx f = fx_new(HEAD "detection:\n  sel:\n"
                       "    - eventName: CreateAccessKey\n"
                       "      requestParameters.userName|exists: true\n"
                       "    - eventName: CreateLoginProfile\n"
                       "  condition: sel\n");
    YES_EV(f, EV(F("eventName", S("CreateAccessKey")), F("requestParameters.userName", S("bob"))));
    NO_EV(f, EV(F("eventName", S("CreateAccessKey"))));
    YES_EV(f, EV(F("eventName", S("CreateLoginProfile"))));
    NO_EV(f, EV(F("eventName", S("CreateUser")), F("requestParameters.userName", S("bob"))));
    fx_free(&f);
}

/* ---- conditions ---- */

#define ABC_SELS                                                                       \
    "detection:\n  a:\n    requestParameters.a: x\n  b:\n    requestParameters.b: x\n" \
    "  c:\n    requestParameters.c: x\n"

/* Every truth assignment of selections a, b, c against `want` (bit 0 a, 1 b, 2 c). */
static void truth_table(const char *yaml, bool (*want)(bool a, bool b, bool c))
{
    fx f = fx_new(yaml);
    for (unsigned m = 0; m < 8; m++) {
        bool a = m & 1, b = m & 2, c = m & 4;
        fake_field ev[4] = { { 0 } };
        unsigned n = 0;
        if (a)
            ev[n++] = (fake_field)F("requestParameters.a", S("x"));
        if (b)
            ev[n++] = (fake_field)F("requestParameters.b", S("x"));
        if (c)
            ev[n++] = (fake_field)F("requestParameters.c", S("x"));
        bool got = eval_rule(&f, 0, ev);
        if (got != want(a, b, c))
            fprintf(stderr, "  a=%d b=%d c=%d: got %d\n", a, b, c, got);
        assert_int_equal(got, want(a, b, c));
    }
    fx_free(&f);
}

static bool want_and_not_or(bool a, bool b, bool c)
{
    return (a && !b) || c;
}
static bool want_and_paren(bool a, bool b, bool c)
{
    return a && (!b || c);
}
static bool want_not_or(bool a, bool b, bool c)
{
    return !(a || b) && c;
}
static bool want_not_not(bool a, bool b, bool c)
{
    return !!a || (b && c);
}
static bool want_reuse(bool a, bool b, bool c)
{
    return (a && b) || (a && c) || (!a && !c && b);
}
static bool want_list(bool a, bool b, bool c)
{
    return (a && b) || c;
}

static void condition_precedence(void **state)
{
    (void)state;
    truth_table(HEAD ABC_SELS "  condition: a and not b or c\n", want_and_not_or);
    truth_table(HEAD ABC_SELS "  condition: a and (not b or c)\n", want_and_paren);
    truth_table(HEAD ABC_SELS "  condition: not (a or b) and c\n", want_not_or);
    truth_table(HEAD ABC_SELS "  condition: not not a or b and c\n", want_not_not);
    /* a selection named several times (evaluated once, remembered) */
    truth_table(HEAD ABC_SELS "  condition: (a and b) or (a and c) or (not a and not c and b)\n",
                want_reuse);
    /* a list of conditions: any */
    truth_table(HEAD ABC_SELS "  condition:\n    - a and b\n    - c\n", want_list);
}

static bool want_one_of(bool a, bool b, bool c)
{
    return (a || b) && !c;
}
static bool want_all_of(bool a, bool b, bool c)
{
    return a && b && !c;
}

static void quantifiers(void **state)
{
    (void)state;
    const char *sels = "detection:\n  sel_a:\n    requestParameters.a: x\n"
                       "  sel_b:\n    requestParameters.b: x\n"
                       "  _filter:\n    requestParameters.c: x\n";
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%s%s  condition: 1 of sel_* and not _filter\n", HEAD, sels);
    truth_table(yaml, want_one_of);
    snprintf(yaml, sizeof yaml, "%s%s  condition: all of sel_* and not _filter\n", HEAD, sels);
    truth_table(yaml, want_all_of);
    /* them: every selection not starting with '_' */
    snprintf(yaml, sizeof yaml, "%s%s  condition: 1 of them and not 1 of _*\n", HEAD, sels);
    truth_table(yaml, want_one_of);
    snprintf(yaml, sizeof yaml, "%s%s  condition: all of them and not all of _*\n", HEAD, sels);
    truth_table(yaml, want_all_of);
}

/* Several rules in one set, a correlation among them: each evaluates on its own. */
static void several_rules_and_correlation(void **state)
{
    (void)state;
    fx f = fx_new("title: A\nid: a\nname: denied\nlevel: low\n"
                  "logsource: {product: aws, service: cloudtrail}\n"
                  "detection:\n  sel:\n    error.denied: true\n  condition: sel\n"
                  "---\n"
                  "title: B\nid: b\nlevel: low\nlogsource: {product: aws, service: cloudtrail}\n"
                  "detection:\n  sel:\n    eventName|startswith: Stop\n  condition: sel\n"
                  "---\n"
                  "title: C\nid: c\nlevel: high\ncorrelation:\n  type: event_count\n"
                  "  rules: [denied]\n  timespan: 15m\n  condition: {gte: 3}\n");
    assert_int_equal(tw_ruleset_count(f.rs), 3);
    const fake_field *ev = EV(F("error.denied", TRUE_), F("eventName", S("StopLogging")));
    assert_true(eval_rule(&f, 0, ev));
    assert_true(eval_rule(&f, 1, ev));
    assert_false(eval_rule(&f, 2, ev));
    ev = EV(F("error.denied", FALSE_), F("eventName", S("StartLogging")));
    assert_false(eval_rule(&f, 0, ev));
    assert_false(eval_rule(&f, 1, ev));
    fx_free(&f);
}

/* ---- the index ---- */

typedef struct ix_fx {
    tw_ruleset *rs;
    tw_rules_index *ix;
    uint32_t *out;
} ix_fx;

static ix_fx ix_new(const char *yaml)
{
    ix_fx x = { load_ok(yaml), NULL, NULL };
    assert_int_equal(tw_rules_index_new(x.rs, &x.ix), TW_OK);
    x.out = calloc(tw_rules_index_capacity(x.ix) + 1, sizeof *x.out);
    assert_non_null(x.out);
    return x;
}

static void ix_free(ix_fx *x)
{
    free(x->out);
    tw_rules_index_destroy(x->ix);
    tw_ruleset_destroy(x->rs);
}

/* The candidates for a CloudTrail event are exactly want (rule indices, -1 ends). */
static void expect_candidates(ix_fx *x, tw_rule_source source, const char *name,
                              const char *evsource, const char *action, const int *want)
{
    uint32_t n = tw_rules_index_lookup(x->ix, source, tw_str_c(name), tw_str_c(evsource),
                                       tw_str_c(action), x->out);
    uint32_t n_want = 0;
    while (want[n_want] >= 0)
        n_want++;
    bool same = n == n_want;
    for (uint32_t i = 0; same && i < n; i++)
        same = x->out[i] == (uint32_t)want[i];
    if (!same) {
        fprintf(stderr, "  %s/%s/%s: got", name, evsource, action);
        for (uint32_t i = 0; i < n; i++)
            fprintf(stderr, " %u", x->out[i]);
        fprintf(stderr, ", want");
        for (uint32_t i = 0; i < n_want; i++)
            fprintf(stderr, " %d", want[i]);
        fprintf(stderr, "\n");
    }
    assert_true(same);
}

#define CANDS(x, name, src, action, ...) \
    expect_candidates(&(x), TW_SOURCE_CLOUDTRAIL, name, src, action, (const int[]){ __VA_ARGS__ })

#define RULE(id, det)                                                                    \
    "title: T\nid: " id "\nlevel: low\nlogsource: {product: aws, service: cloudtrail}\n" \
    "detection:\n" det "---\n"

static void stats_are(const ix_fx *x, uint32_t indexed, uint32_t always, uint32_t never)
{
    tw_rules_index_stats st;
    tw_rules_index_stats_get(x->ix, &st);
    assert_int_equal(st.rules, indexed + always + never);
    assert_int_equal(st.indexed, indexed);
    assert_int_equal(st.always, always);
    assert_int_equal(st.never, never);
}

static void index_event_names(void **state)
{
    (void)state;
    ix_fx x =
        ix_new(RULE("r0", "  sel:\n    eventName: [StopLogging, DeleteTrail]\n  condition: sel\n")
                   RULE("r1", "  sel:\n    identity.kind: agent\n  condition: sel\n")
                       RULE("r2", "  sel:\n    eventName|cased: StopLogging\n  condition: sel\n"));
    CANDS(x, "StopLogging", "cloudtrail.amazonaws.com", "cloudtrail:StopLogging", 0, 1, 2, -1);
    CANDS(x, "stoplogging", "", "", 0, 1, 2, -1);
    CANDS(x, "DELETETRAIL", "", "", 0, 1, -1);
    CANDS(x, "CreateTrail", "", "", 1, -1);
    CANDS(x, "", "", "", 1, -1);
    CANDS(x, "StopLoggingX", "", "", 1, -1);
    stats_are(&x, 2, 1, 0);
    tw_rules_index_stats st;
    tw_rules_index_stats_get(x.ix, &st);
    assert_int_equal(st.keys, 2); /* stoplogging, deletetrail */
    assert_int_equal(tw_rules_index_capacity(x.ix), 3);
    ix_free(&x);
}

static void index_not_and_patterns_always(void **state)
{
    (void)state;
    ix_fx x = ix_new(
        RULE("r0", "  sel:\n    eventName: StopLogging\n  condition: not sel\n")
            RULE("r1", "  sel:\n    eventName|re: '^Stop'\n  condition: sel\n")
                RULE("r2", "  sel:\n    eventName|startswith: Stop\n  condition: sel\n")
                    RULE("r3", "  sel:\n    eventName: [StopLogging, null]\n  condition: sel\n")
                        RULE("r4", "  sel:\n    eventName: 'Stop*Logging'\n  condition: sel\n")
                            RULE("r5", "  sel:\n    eventName|all: [StopLogging, DeleteTrail]\n"
                                       "  condition: sel\n"));
    CANDS(x, "StopLogging", "", "", 0, 1, 2, 3, 4, 5, -1);
    CANDS(x, "GetObject", "", "", 0, 1, 2, 3, 4, 5, -1);
    stats_are(&x, 0, 6, 0);
    ix_free(&x);
}

static void index_condition_derivation(void **state)
{
    (void)state;
    ix_fx x = ix_new(
        /* r0: AND with a NOT: what the positive side requires */
        RULE("r0", "  sel:\n    eventName: A\n  filter:\n    eventName: B\n"
                   "  condition: sel and not filter\n")
        /* r1: OR: the union */
        RULE("r1", "  a:\n    eventName: A\n  b:\n    eventName: B\n  condition: a or b\n")
        /* r2: OR with a branch that requires nothing: always */
        RULE("r2", "  a:\n    eventName: A\n  c:\n    userAgent: x\n  condition: a or c\n")
        /* r3: AND: the intersection */
        RULE("r3",
             "  a:\n    eventName: [A, B]\n  b:\n    eventName: [b, C]\n  condition: a and b\n")
        /* r4: AND of disjoint requirements: never */
        RULE("r4", "  a:\n    eventName: A\n  b:\n    eventName: B\n  condition: a and b\n")
        /* r5: a list of maps, each requiring a name: the union */
        RULE("r5", "  sel:\n    - eventName: C\n      userAgent: x\n    - eventName: D\n"
                   "  condition: sel\n")
        /* r6: a list of maps, one requiring nothing: always */
        RULE("r6", "  sel:\n    - eventName: C\n    - userAgent: x\n  condition: sel\n")
        /* r7: a requirement next to other matches in the group */
        RULE("r7", "  sel:\n    eventName: E\n    userAgent|contains: boto\n  condition: sel\n")
        /* r8: 1 of / all of */
        RULE("r8", "  s_a:\n    eventName: F\n  s_b:\n    eventName: G\n  condition: 1 of s_*\n")
            RULE("r9",
                 "  s_a:\n    eventName: F\n  s_b:\n    userAgent: x\n  condition: all of s_*\n"));
    CANDS(x, "A", "", "", 0, 1, 2, 6, -1);
    CANDS(x, "b", "", "", 1, 2, 3, 6, -1);
    CANDS(x, "C", "", "", 2, 5, 6, -1);
    CANDS(x, "D", "", "", 2, 5, 6, -1);
    CANDS(x, "E", "", "", 2, 6, 7, -1);
    CANDS(x, "F", "", "", 2, 6, 8, 9, -1);
    CANDS(x, "G", "", "", 2, 6, 8, -1);
    CANDS(x, "Z", "", "", 2, 6, -1);
    stats_are(&x, 7, 2, 1);
    ix_free(&x);
}

static void index_source_and_action(void **state)
{
    (void)state;
    ix_fx x = ix_new(
        RULE("r0", "  sel:\n    eventSource: cloudtrail.amazonaws.com\n  condition: sel\n")
            RULE("r1", "  sel:\n    action: 'iam:AttachRolePolicy'\n  condition: sel\n")
        /* both action and eventName: keyed by action */
        RULE("r2", "  sel:\n    action: 'iam:AttachRolePolicy'\n    eventName: AttachRolePolicy\n"
                   "  condition: sel\n")
        /* a pattern on action: keyed by eventName */
        RULE("r3", "  sel:\n    action: 'iam:*'\n    eventName: X\n  condition: sel\n")
            RULE("r4", "  sel:\n    action.class: destructive\n  condition: sel\n"));
    CANDS(x, "AttachRolePolicy", "iam.amazonaws.com", "iam:AttachRolePolicy", 1, 2, 4, -1);
    CANDS(x, "attachrolepolicy", "IAM.amazonaws.com", "IAM:ATTACHROLEPOLICY", 1, 2, 4, -1);
    CANDS(x, "StopLogging", "cloudtrail.amazonaws.com", "cloudtrail:StopLogging", 0, 4, -1);
    CANDS(x, "X", "iam.amazonaws.com", "iam:X", 3, 4, -1);
    CANDS(x, "X", "cloudtrail.amazonaws.com", "cloudtrail:X", 0, 3, 4, -1);
    /* the action is matched as given: eventName alone does not make r1 a candidate */
    CANDS(x, "AttachRolePolicy", "iam.amazonaws.com", "", 4, -1);
    stats_are(&x, 4, 1, 0);
    ix_free(&x);
}

static void index_log_source(void **state)
{
    (void)state;
    ix_fx x = ix_new(RULE(
        "r0",
        "  sel:\n    eventName: InvokeModel\n  condition: sel\n") "title: T\nid: r1\nlevel: "
                                                                  "low\nlogsource: {product: aws, "
                                                                  "service: bedrock}\n"
                                                                  "detection:\n  sel:\n    "
                                                                  "operation: InvokeModel\n  "
                                                                  "condition: sel\n---\n"
                                                                  "title: T\nid: r2\nlevel: "
                                                                  "low\nlogsource: {product: aws, "
                                                                  "service: bedrock}\n"
                                                                  "detection:\n  sel:\n    action: "
                                                                  "'bedrock:InvokeModel'\n  "
                                                                  "condition: sel\n---\n" RULE(
                                                                      "r3",
                                                                      "  sel:\n    identity.kind: "
                                                                      "agent\n  condition: sel\n"));
    CANDS(x, "InvokeModel", "bedrock.amazonaws.com", "bedrock:InvokeModel", 0, 3, -1);
    expect_candidates(&x, TW_SOURCE_BEDROCK, "InvokeModel", "bedrock.amazonaws.com",
                      "bedrock:InvokeModel", (const int[]){ 1, 2, -1 });
    expect_candidates(&x, TW_SOURCE_BEDROCK, "", "", "bedrock:Converse", (const int[]){ 1, -1 });
    ix_free(&x);
}

/* Candidates come out in load order, the same on every lookup, and every rule that matches
 * an event is among them. */
static void index_order_and_soundness(void **state)
{
    (void)state;
    static const char *const names[] = { "StopLogging", "DeleteTrail", "GetObject" };
    char *yaml = malloc(64 * 1024);
    assert_non_null(yaml);
    size_t len = 0;
    for (unsigned i = 0; i < 30; i++) {
        const char *det;
        char buf[512];
        switch (i % 5) {
        case 0:
            det = "  sel:\n    eventName: StopLogging\n  condition: sel\n";
            break;
        case 1:
            det = "  sel:\n    error.denied: true\n  condition: sel\n";
            break;
        case 2:
            det = "  sel:\n    eventName: [DeleteTrail, StopLogging]\n    error.denied: true\n"
                  "  condition: sel\n";
            break;
        case 3:
            det = "  sel:\n    action: 'cloudtrail:DeleteTrail'\n  condition: sel\n";
            break;
        default:
            det = "  sel:\n    eventName: GetObject\n  f:\n    error.denied: true\n"
                  "  condition: sel and not f\n";
            break;
        }
        snprintf(buf, sizeof buf,
                 "title: T\nid: r%u\nlevel: low\nlogsource: {product: aws, service: cloudtrail}\n"
                 "detection:\n%s---\n",
                 i, det);
        memcpy(yaml + len, buf, strlen(buf));
        len += strlen(buf);
    }
    yaml[len] = '\0';
    ix_fx x = ix_new(yaml);
    free(yaml);
    fx f = { x.rs, NULL, tw_regex_scratch_new() };
    assert_int_equal(tw_rules_eval_new(f.rs, &f.rev), TW_OK);
    uint32_t *again = calloc(tw_rules_index_capacity(x.ix), sizeof *again);
    assert_non_null(again);

    for (unsigned k = 0; k < 3; k++) {
        for (unsigned denied = 0; denied < 2; denied++) {
            char action[64];
            snprintf(action, sizeof action, "cloudtrail:%s", names[k]);
            uint32_t n = tw_rules_index_lookup(x.ix, TW_SOURCE_CLOUDTRAIL, tw_str_c(names[k]),
                                               TW_STR_LIT("cloudtrail.amazonaws.com"),
                                               tw_str_c(action), x.out);
            uint32_t n2 = tw_rules_index_lookup(x.ix, TW_SOURCE_CLOUDTRAIL, tw_str_c(names[k]),
                                                TW_STR_LIT("cloudtrail.amazonaws.com"),
                                                tw_str_c(action), again);
            assert_int_equal(n, n2);
            assert_memory_equal(x.out, again, n * sizeof *again);
            for (uint32_t i = 1; i < n; i++)
                assert_true(x.out[i - 1] < x.out[i]);
            fake_field ev[4] = {
                { "eventName", 1, { { .type = TW_FV_STRING, .text = tw_str_c(names[k]) } } },
                { "action", 1, { { .type = TW_FV_STRING, .text = tw_str_c(action) } } },
                { "error.denied", 1, { { .type = TW_FV_BOOL, .boolean = denied } } },
                { NULL, 0, { { 0 } } },
            };
            for (uint32_t r = 0; r < tw_ruleset_count(x.rs); r++) {
                if (!eval_rule(&f, r, ev))
                    continue;
                bool found = false;
                for (uint32_t i = 0; i < n; i++)
                    found |= x.out[i] == r;
                if (!found)
                    fprintf(stderr, "  rule %u matches %s but is no candidate\n", r, names[k]);
                assert_true(found);
            }
        }
    }
    /* StopLogging: r0, r1, r2 of every five (0, 1, 2, 5, 6, 7, ...) */
    uint32_t n = tw_rules_index_lookup(x.ix, TW_SOURCE_CLOUDTRAIL, TW_STR_LIT("StopLogging"),
                                       TW_STR_NULL, TW_STR_NULL, x.out);
    assert_int_equal(n, 18);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(x.out[i], (i / 3) * 5 + i % 3);
    stats_are(&x, 24, 6, 0);
    free(again);
    tw_rules_eval_destroy(f.rev);
    tw_regex_scratch_destroy(f.scratch);
    ix_free(&x);
}

/* An empty ruleset: no candidates, nothing to evaluate. */
static void index_empty(void **state)
{
    (void)state;
    tw_ruleset *rs = tw_ruleset_new();
    assert_non_null(rs);
    tw_ruleset_finish(rs);
    tw_rules_index *ix = NULL;
    assert_int_equal(tw_rules_index_new(rs, &ix), TW_OK);
    uint32_t out[1];
    assert_int_equal(tw_rules_index_lookup(ix, TW_SOURCE_CLOUDTRAIL, TW_STR_LIT("x"), TW_STR_NULL,
                                           TW_STR_NULL, out),
                     0);
    assert_int_equal(tw_rules_index_capacity(ix), 0);
    tw_rules_eval *rev = NULL;
    assert_int_equal(tw_rules_eval_new(rs, &rev), TW_OK);
    tw_rules_eval_destroy(rev);
    tw_rules_index_destroy(ix);
    tw_rules_index_destroy(NULL);
    tw_rules_eval_destroy(NULL);
    tw_ruleset_destroy(rs);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(eq_uncased_and_cased),
    cmocka_unit_test(contains_prefix_suffix),
    cmocka_unit_test(glob_star_alone),
    cmocka_unit_test(glob_question_utf8),
    cmocka_unit_test(glob_stars_and_backtracking),
    cmocka_unit_test(glob_escapes),
    cmocka_unit_test(strings_match_reference),
    cmocka_unit_test(regex_ops),
    cmocka_unit_test(cidr_v4),
    cmocka_unit_test(cidr_v6),
    cmocka_unit_test(numbers),
    cmocka_unit_test(booleans),
    cmocka_unit_test(null_and_absent),
    cmocka_unit_test(exists),
    cmocka_unit_test(fieldref),
    cmocka_unit_test(bits_class_level_kind),
    cmocka_unit_test(arrays_any_element),
    cmocka_unit_test(all_modifier),
    cmocka_unit_test(lists_of_maps),
    cmocka_unit_test(condition_precedence),
    cmocka_unit_test(quantifiers),
    cmocka_unit_test(several_rules_and_correlation),
    cmocka_unit_test(index_event_names),
    cmocka_unit_test(index_not_and_patterns_always),
    cmocka_unit_test(index_condition_derivation),
    cmocka_unit_test(index_source_and_action),
    cmocka_unit_test(index_log_source),
    cmocka_unit_test(index_order_and_soundness),
    cmocka_unit_test(index_empty),
};

TW_TEST_MAIN(tests)
