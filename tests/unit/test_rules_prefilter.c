/* detect/rules_prefilter and its use by the index: the literals a rule requires (strings,
 * globs, the literal runs of regular expressions, what conditions keep), the scan for them,
 * and the two properties that matter: a prefiltered lookup never changes a verdict (every
 * rule evaluated on every record of a varied set, with the prefilter and without it: negations,
 * null, exists, `contains: '*'`, `1 of` / `all of`, escapes, arrays), and it does leave rules
 * out (the count of rules it skipped). Records are JSON text; fields are read from it as the
 * parser's hook reads the fields the event does not hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_test.h"

#include "rules.h"
#include "rules_eval.h"
#include "rules_index.h"
#include "rules_prefilter.h"
#include "schema_json.h"
#include "tw_arena.h"
#include "tw_event.h"
#include "tw_rng.h"

#define RULE(id, det)                                                                    \
    "title: T\nid: " id "\nlevel: low\nlogsource: {product: aws, service: cloudtrail}\n" \
    "detection:\n" det "---\n"

static tw_ruleset *load_ok(const char *yaml)
{
    tw_ruleset *rs = tw_ruleset_new();
    assert_non_null(rs);
    tw_err err = tw_ruleset_add_buffer(rs, "test.yml", yaml, strlen(yaml));
    if (err == TW_OK)
        err = tw_ruleset_finish(rs);
    for (size_t i = 0; i < tw_ruleset_diag_count(rs); i++)
        fprintf(stderr, "  %s\n", tw_ruleset_diag(rs, i));
    assert_int_equal(err, TW_OK);
    return rs;
}

/* The literals rule 0 of yaml requires, joined by ' ' ("" for no prefilter). */
static void expect_lits(const char *det, const char *want)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml, RULE("r", "%s"), det);
    tw_ruleset *rs = load_ok(yaml);
    tw_arena arena;
    tw_arena_init(&arena, 4096);
    tw_str lits[TW_PREFILTER_RULE_MAX];
    uint32_t n;
    bool nomem = false;
    bool has = tw_rules_prefilter_derive(tw_ruleset_rule(rs, 0), &arena, lits, &n, &nomem);
    char got[512] = "";
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++)
        at += (size_t)snprintf(got + at, sizeof got - at, "%s%.*s", i ? " " : "", (int)lits[i].len,
                               lits[i].p);
    if (strcmp(got, want))
        fprintf(stderr, "  %s: got '%s', want '%s'\n", det, got, want);
    assert_string_equal(got, want);
    assert_int_equal(has, n > 0);
    assert_false(nomem);
    tw_arena_free(&arena);
    tw_ruleset_destroy(rs);
}

#define SEL(x) "  sel:\n    " x "\n  condition: sel\n"

static void literals_of_values(void **state)
{
    (void)state;
    expect_lits(SEL("userIdentity.type: Root"), "root");
    expect_lits(SEL("userIdentity.type: [Root, IAMUser]"), "root iamuser");
    expect_lits(SEL("requestParameters.bucketName|startswith: exfil-"), "exfil-");
    expect_lits(SEL("requestParameters.bucketName|endswith: -logs"), "-logs");
    expect_lits(SEL("userIdentity.arn|contains: ':assumed-role/aws:'"), "assumed-role/aws");
    expect_lits(SEL("userIdentity.type|cased: AssumedRole"), "assumedrole");
    /* the longest literal piece of a glob; too short: none */
    expect_lits(SEL("userIdentity.arn: 'arn:aws:iam::*:user/adm?n*'"), "user/adm");
    expect_lits(SEL("userIdentity.arn: 'ab*cd'"), "");
    /* cut at what JSON may only write escaped, and at its structure (an object-valued field
     * reads as its compact text: the record may space its tokens) */
    expect_lits(SEL("requestParameters.policy|contains: '\"s3:GetObject\"'"), "getobject");
    expect_lits(SEL("requestParameters|contains: '{\"a\":[1,true]}'"), "true");
    expect_lits(SEL("requestParameters.x|contains: 'a\\b'"), "");
    /* one value without a literal: the match requires none */
    expect_lits(SEL("userIdentity.type: [Root, ab]"), "");
    expect_lits(SEL("userIdentity.type: [Root, null]"), "");
    /* `all`: every value holds, so the longest one's literal is required */
    expect_lits(SEL("requestParameters.p|contains|all: [Allow, 's3:GetObject', ab]"), "getobject");
    /* ops that give no literal */
    expect_lits(SEL("errorMessage|contains: '*'"), "");
    expect_lits(SEL("userIdentity.userName: null"), "");
    expect_lits(SEL("userIdentity.userName|exists: true"), "");
    expect_lits(SEL("requestParameters.count: 12345"), "");
    expect_lits(SEL("requestParameters.flag: true"), "");
    expect_lits(SEL("sourceIPAddress|cidr: 10.0.0.0/8"), "");
    expect_lits(SEL("identity.kind: agent"), "");
    expect_lits(SEL("action.class: destructive"), "");
    /* a literal on a field the event holds: cheap to evaluate, no prefilter */
    expect_lits(SEL("userAgent: TruffleHog"), "");
}

static void literals_of_regexes(void **state)
{
    (void)state;
    expect_lits(SEL("userIdentity.arn|re: '.+:assumed-role/aws:.+'"), "assumed-role/aws");
    expect_lits(SEL("userIdentity.arn|re: '^arn:aws:iam::[0-9]{12}:root$'"), "root");
    expect_lits(SEL("userIdentity.arn|re: 'ab?cdef'"), "cdef");
    expect_lits(SEL("userIdentity.arn|re: 'x\\.yy\\.z'"), "x.yy.z");
    expect_lits(SEL("userIdentity.arn|re: 'abcd*ef'"), "abc");
    expect_lits(SEL("userIdentity.arn|re: 'abcd{0,3}ef'"), "abc");
    expect_lits(SEL("userIdentity.arn|re: 'abcd+efg'"), "abcd");
    expect_lits(SEL("userIdentity.arn|re: 'abcd{2}xyz'"), "abcd");
    expect_lits(SEL("userIdentity.arn|re: '[]x]+admin[^:]*'"), "admin");
    expect_lits(SEL("userIdentity.arn|re: '[[:alpha:]]admin'"), "admin");
    /* beyond the simple reader: no literal */
    expect_lits(SEL("userIdentity.arn|re: 'admin|root'"), "");
    expect_lits(SEL("userIdentity.arn|re: '(admin)+xyz'"), "");
    expect_lits(SEL("userIdentity.arn|re: '(?i)admin'"), "");
    expect_lits(SEL("userIdentity.arn|re: '\\x41dmin'"), "");
    expect_lits(SEL("userIdentity.arn|re: 'adm{,2}in'"), "");
    /* classes whose ']' hides: the members are no literal text */
    expect_lits(SEL("userIdentity.arn|re: '[\\c]abc]xy'"), "");
    expect_lits(SEL("userIdentity.arn|re: '[\\c]abc]wxyz'"), "wxyz");
    expect_lits(SEL("userIdentity.arn|re: '[\\Q]\\Eabc]wxyz'"), "");
    expect_lits(SEL("userIdentity.arn|re: '[\\]abc]wxyz'"), "wxyz");
    expect_lits(SEL("userIdentity.arn|re: '[^]abc]wxyz'"), "wxyz");
    /* caseless: PCRE2 folds beyond ASCII (K and the Kelvin sign) */
    expect_lits(SEL("userIdentity.arn|re|i: 'admin'"), "");
}

static bool find(tw_str text, tw_str lit)
{
    tw_prefilter_lit pl;
    tw_rules_prefilter_lit_init(&pl, lit);
    return tw_rules_prefilter_find(text, &pl);
}

/* Random patterns over a few atoms (letters, escapes, classes, dots, anchors, groups,
 * quantifiers) against random subjects: whenever PCRE2 matches, the subject holds the literal
 * taken from the pattern (when one was taken). */
static void regex_literal_is_in_every_match(void **state)
{
    (void)state;
    static const char *const atoms[] = { "a",    "b",    "c",    "ab",      "abc", "\\.", ".",
                                         "[ab]", "[^a]", "[]a]", "[\\c]a]", "\\d", "^",   "$",
                                         "(ab)", "a|b",  "-",    "\\-",     ":" };
    static const char *const quants[] = { "", "", "", "?", "*", "+", "{2}", "{0,1}", "{1,}", "+?" };
    static const char *const subj_pieces[] = { "a", "b", "c", "ab", "abc",  "bc", ".",
                                               "-", ":", "1", "]",  "\x1d", "x",  "aab" };
    tw_rng rng;
    tw_rng_seed(&rng, 23);
    tw_regex_scratch *scratch = tw_regex_scratch_new();
    tw_arena arena;
    tw_arena_init(&arena, 4096);
    uint32_t taken = 0, checked = 0;
    for (int round = 0; round < 10000; round++) {
        char pat[128] = "";
        size_t at = 0;
        uint64_t n = 2 + tw_rng_below(&rng, 6);
        for (uint64_t k = 0; k < n; k++)
            at += (size_t)snprintf(pat + at, sizeof pat - at, "%s%s",
                                   atoms[tw_rng_below(&rng, sizeof atoms / sizeof *atoms)],
                                   quants[tw_rng_below(&rng, sizeof quants / sizeof *quants)]);
        char yaml[512];
        snprintf(yaml, sizeof yaml, RULE("r", SEL("userIdentity.arn|re: '%s'")), pat);
        tw_ruleset *rs = tw_ruleset_new();
        assert_non_null(rs);
        if (tw_ruleset_add_buffer(rs, "t.yml", yaml, strlen(yaml)) != TW_OK ||
            tw_ruleset_finish(rs) != TW_OK) {
            tw_ruleset_destroy(rs); /* not a valid pattern (a quantifier of nothing) */
            continue;
        }
        const tw_rule *rule = tw_ruleset_rule(rs, 0);
        tw_str lits[TW_PREFILTER_RULE_MAX];
        uint32_t n_lits;
        bool nomem = false;
        tw_arena_reset(&arena);
        if (tw_rules_prefilter_derive(rule, &arena, lits, &n_lits, &nomem)) {
            taken++;
            const tw_regex *re = rule->selections[0].groups[0].matches[0].values[0].re;
            for (int s = 0; s < 300; s++) {
                /* pieces like the pattern's, so that matches are common */
                char subj[40];
                uint32_t len = 0;
                for (uint64_t k = tw_rng_below(&rng, 7); k > 0; k--) {
                    const char *piece =
                        subj_pieces[tw_rng_below(&rng, sizeof subj_pieces / sizeof *subj_pieces)];
                    size_t pl = strlen(piece);
                    memcpy(subj + len, piece, pl);
                    len += (uint32_t)pl;
                }
                if (!tw_regex_match(re, (tw_str){ subj, len }, scratch))
                    continue;
                checked++;
                if (!find((tw_str){ subj, len }, lits[0]))
                    fprintf(stderr, "  /%s/ matched '%.*s' without '%.*s'\n", pat, (int)len, subj,
                            (int)lits[0].len, lits[0].p);
                assert_true(find((tw_str){ subj, len }, lits[0]));
            }
        }
        tw_ruleset_destroy(rs);
    }
    print_message("%u patterns gave a literal, %u matches checked\n", taken, checked);
    assert_true(taken > 100);
    assert_true(checked > 1000);
    tw_arena_free(&arena);
    tw_regex_scratch_destroy(scratch);
}

static void literals_of_conditions(void **state)
{
    (void)state;
    /* NOT requires nothing */
    expect_lits("  sel:\n    userIdentity.type: Root\n  condition: not sel\n", "");
    /* AND: the best kid (the other needs nothing) */
    expect_lits("  a:\n    userIdentity.type: Root\n  b:\n    eventType: AwsServiceEvent\n"
                "  condition: a and not b\n",
                "root");
    /* a group: its best match (fewer literals, then longer) */
    expect_lits(SEL("userIdentity.type: AssumedRole\n    "
                    "userIdentity.sessionContext.sessionIssuer.type: Role"),
                "assumedrole");
    /* OR: the union; a branch with none makes none */
    expect_lits("  a:\n    userIdentity.type: Root\n  b:\n    requestParameters.x: evil\n"
                "  condition: 1 of them\n",
                "root evil");
    expect_lits("  a:\n    userIdentity.type: Root\n  b:\n    requestParameters.x: null\n"
                "  condition: a or b\n",
                "");
    expect_lits("  a:\n    userIdentity.type: Root\n  b:\n    requestParameters.x: evil\n"
                "  condition: all of them\n",
                "root");
    /* a list of maps: any map */
    expect_lits("  sel:\n    - userIdentity.type: Root\n    - requestParameters.y|contains: bad\n"
                "  condition: sel\n",
                "root bad");
    expect_lits("  sel:\n    - userIdentity.type: Root\n    - requestParameters.y|exists: true\n"
                "  condition: sel\n",
                "");
    /* a cheap branch and an expensive one: no literal covers both */
    expect_lits("  a:\n    userIdentity.type: Root\n  b:\n    userAgent: TruffleHog\n"
                "  condition: a or b\n",
                "");
    /* a group with a test of the event's name, even a prefix: cheap to reject */
    expect_lits(SEL("userIdentity.type: Root\n    eventName|startswith: Get"), "");
}

/* The scan: found wherever it lies, in either case, on the vector and the tail paths. */

static void find_any_case_anywhere(void **state)
{
    (void)state;
    char text[200];
    const char *lit = ":assumed-role/aws:";
    uint32_t n = (uint32_t)strlen(lit);
    for (uint32_t len = 0; len < 90; len++) {
        for (uint32_t at = 0; at + n <= len; at++) {
            memset(text, 'x', sizeof text);
            memcpy(text + at, ":ASSUMED-role/AwS:", n);
            assert_true(find((tw_str){ text, len }, (tw_str){ lit, n }));
            /* any one byte changed (the scan's anchors among them): not there */
            for (uint32_t k = 0; k < n; k++) {
                char keep = text[at + k];
                text[at + k] = '_';
                assert_false(find((tw_str){ text, len }, (tw_str){ lit, n }));
                text[at + k] = keep;
            }
        }
        memset(text, 'x', sizeof text);
        assert_false(find((tw_str){ text, len }, (tw_str){ lit, n }));
    }
    /* against a plain search: random texts and literals over a small alphabet, so that the
     * anchors (any two places of the literal) often meet and the tails are short or long */
    tw_rng rng;
    tw_rng_seed(&rng, 5);
    static const char alpha[] = "aAbB:/x-Zz";
    for (int round = 0; round < 20000; round++) {
        char t[80], l[8];
        uint32_t tl = (uint32_t)tw_rng_below(&rng, sizeof t),
                 ll = 1 + (uint32_t)tw_rng_below(&rng, 6);
        for (uint32_t i = 0; i < tl; i++)
            t[i] = alpha[tw_rng_below(&rng, sizeof alpha - 1)];
        for (uint32_t i = 0; i < ll; i++) {
            char c = alpha[tw_rng_below(&rng, sizeof alpha - 1)];
            l[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        bool want = false;
        for (uint32_t at = 0; !want && at + ll <= tl; at++) {
            uint32_t k = 0;
            while (k < ll &&
                   (t[at + k] >= 'A' && t[at + k] <= 'Z' ? t[at + k] + 32 : t[at + k]) == l[k])
                k++;
            want = k == ll;
        }
        assert_int_equal(find((tw_str){ t, tl }, (tw_str){ l, ll }), want);
    }
    /* 0x20 set on a non-letter is another byte: '@' is not '`' */
    assert_false(find(TW_STR_LIT("a`b`c"), TW_STR_LIT("@b@")));
    assert_false(find(TW_STR_LIT("xx[ab"), TW_STR_LIT("{ab")));
    assert_true(find(TW_STR_LIT("ROOT"), TW_STR_LIT("root")));
    assert_int_equal(tw_rules_prefilter_escapes(TW_STR_LIT("a\\\"b\\\\u")), 0);
    assert_int_equal(tw_rules_prefilter_escapes(TW_STR_LIT("a\\/b")), TW_PREFILTER_ESC_SLASH);
    assert_int_equal(tw_rules_prefilter_escapes(TW_STR_LIT("\\/\\u0041")),
                     TW_PREFILTER_ESC_U | TW_PREFILTER_ESC_SLASH);
}

/* ---- verdicts on records ---- */

/* A field source over a record's JSON text (what the hook does for fields the event does
 * not hold); virtual fields are absent. */
typedef struct json_src {
    tw_json *js;
    const char *text;
    uint32_t len;
    tw_field_value vals[512];
    uint32_t n_vals;
    char strs[16384];
    uint32_t n_strs;
    bool full;
} json_src;

static void take(void *ud, const tw_json_value *v)
{
    json_src *s = ud;
    if (s->n_vals == 512 || s->n_strs + v->text.len + 1 > sizeof s->strs) {
        s->full = true;
        return;
    }
    tw_field_value *fv = &s->vals[s->n_vals++];
    memset(fv, 0, sizeof *fv);
    if (v->text.len)
        memcpy(s->strs + s->n_strs, v->text.p, v->text.len);
    fv->text = (tw_str){ s->strs + s->n_strs, v->text.len };
    s->n_strs += v->text.len + 1;
    fv->number = v->number;
    fv->boolean = v->boolean;
    switch (v->type) {
    case TW_JV_NULL:
        fv->type = TW_FV_NULL;
        break;
    case TW_JV_BOOL:
        fv->type = TW_FV_BOOL;
        break;
    case TW_JV_NUMBER:
        fv->type = TW_FV_NUMBER;
        break;
    case TW_JV_STRING:
        fv->type = TW_FV_STRING;
        break;
    default:
        fv->type = TW_FV_OBJECT;
        break;
    }
}

static uint32_t json_get(void *ctx, const tw_field *field, const tw_field_value **values)
{
    json_src *s = ctx;
    *values = NULL;
    if (field->kind != TW_FIELD_RECORD)
        return 0;
    uint32_t first = s->n_vals;
    tw_json_lookup(s->js, s->text, s->len, s->len + TW_JSON_PADDING, field->path, field->n_path,
                   take, s);
    assert_false(s->full);
    *values = s->vals + first;
    return s->n_vals - first;
}

static tw_str first_string(json_src *s, const char *name)
{
    tw_str path = tw_str_c(name);
    tw_field f = { .name = name, .kind = TW_FIELD_RECORD, .n_path = 1, .path = &path };
    const tw_field_value *v;
    return json_get(s, &f, &v) && v->type == TW_FV_STRING ? v->text : TW_STR_NULL;
}

static const char *const verdict_rules = RULE("root",
                                              "  sel_usertype:\n    userIdentity.type: Root\n"
                                              "  sel_eventtype:\n    eventType: AwsServiceEvent\n"
                                              "  condition: sel_usertype and not sel_eventtype\n")
    RULE("imds", "  selection:\n    userIdentity.arn|re: '.+:assumed-role/aws:.+'\n"
                 "  filter_main_generic:\n    - eventSource: 'ssm.amazonaws.com'\n"
                 "    - eventName: 'RegisterManagedInstance'\n"
                 "    - sourceIPAddress: 'AWS Internal'\n"
                 "  condition: selection and not 1 of filter_main_*\n")
        RULE("assumed", SEL("userIdentity.type: AssumedRole\n    "
                            "userIdentity.sessionContext.sessionIssuer.type: Role"))
            RULE("bucket", SEL("requestParameters.bucketName|contains: exfil")) RULE(
                "anyerr", SEL("errorMessage|contains: '*'"))
                RULE("notroot", "  sel:\n    userIdentity.type: Root\n  condition: not sel\n") RULE(
                    "policy",
                    SEL("requestParameters.policy|contains|all: ['\"Allow\"', 's3:GetObject']"))
                    RULE("nouser", SEL("userIdentity.userName: null")) RULE(
                        "oneof",
                        "  sel_role:\n    requestParameters.roleName|startswith: evil\n"
                        "  sel_principal:\n    userIdentity.principalId|endswith: ':attacker'\n"
                        "  condition: 1 of sel_*\n")
                        RULE("allof", "  sel_arn:\n    resources.ARN|contains: /secret/\n"
                                      "  sel_account:\n    recipientAccountId: '111122223333'\n"
                                      "  condition: all of sel_*\n")
                            RULE("glob", SEL("userIdentity.arn: 'arn:aws:iam::*:user/adm?n*'"))
                                RULE("exists", SEL("requestParameters.name|exists: true"))
                                    RULE("trufflehog", SEL("userAgent: TruffleHog")) RULE(
                                        "caseless", SEL("userIdentity.arn|re|i: 'ADMIN-[0-9]+'"))
                                        RULE("cased", SEL("userIdentity.type|cased: IAMUser"))
                                            RULE("notnull",
                                                 "  sel:\n    requestParameters.roleName: "
                                                 "null\n  condition: not sel\n")
                                                RULE("named",
                                                     SEL("eventName: GetObject\n    "
                                                         "requestParameters.key|contains: secret"))
                                                    RULE("suffix",
                                                         SEL("tlsDetails.clientProvidedHostHeader|"
                                                             "endswith: .amazonaws.com"));

/* Pieces the records are built of: matches, near misses, case, escapes, nulls, arrays. */
static const char *const ui_pieces[] = {
    "\"userIdentity\":{\"type\":\"Root\",\"arn\":\"arn:aws:iam::111122223333:root\"}",
    "\"userIdentity\":{\"type\":\"R\\u006fot\"}",
    "\"userIdentity\":{\"type\":\"ROOT\",\"userName\":null}",
    "\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::1:assumed-role/aws:ec2-"
    "instance/i-1\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\"}}}",
    "\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::1:assumed-role\\/aws:x/"
    "y\",\"principalId\":\"AROA:attacker\"}",
    "\"userIdentity\":{\"type\":\"assumedrole\",\"sessionContext\":{\"sessionIssuer\":"
    "{\"type\":\"ROLE\"}}}",
    "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/admin\","
    "\"userName\":\"admin\"}",
    "\"userIdentity\":{\"type\":\"iamuser\",\"arn\":\"arn:aws:iam::1:user/ADMIN-42\"}",
    "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/admn-x\"}",
    "\"userIdentity\":{\"type\":null}",
    "\"userIdentity\":{\"type\":[\"Root\",\"x\"]}",
    "\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":\"ec2.amazonaws.com\"}",
    "\"userIdentity\":{\"type\":\"Rooted\"}",
    "\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::1:assumed-role/app/"
    "s\",\"principalId\":\"AROA:someone\"}",
};
static const char *const rp_pieces[] = {
    "\"requestParameters\":null",
    "\"requestParameters\":{\"bucketName\":\"my-EXFIL-bucket\"}",
    "\"requestParameters\":{\"bucketName\":\"ex\\u0066il\"}",
    "\"requestParameters\":{\"policy\":\"{\\\"Effect\\\":\\\"Allow\\\",\\\"Action\\\":"
    "\\\"s3:GetObject\\\"}\"}",
    "\"requestParameters\":{\"policy\":\"Allow s3:GetObject\"}",
    "\"requestParameters\":{\"roleName\":\"evil-role\",\"name\":\"n\"}",
    "\"requestParameters\":{\"roleName\":null,\"name\":null}",
    "\"requestParameters\":{\"key\":\"top-secret.txt\"}",
    "\"requestParameters\":{\"name\":{\"a\":1}}",
};
static const char *const rest_pieces[] = {
    "\"eventType\":\"AwsApiCall\"",
    "\"eventType\":\"AwsServiceEvent\"",
    "\"errorMessage\":\"\"",
    "\"errorMessage\":\"Access denied\"",
    "\"errorMessage\":null",
    "\"resources\":[{\"ARN\":\"arn:aws:s3:::a\"},{\"ARN\":\"arn:aws:secretsmanager:x:"
    "secret:/secret/db\"}],\"recipientAccountId\":\"111122223333\"",
    "\"resources\":[{\"ARN\":\"arn:aws:x:\\/secret\\/db\"}],\"recipientAccountId\":"
    "\"111122223333\"",
    "\"userAgent\":\"TruffleHog\"",
    "\"userAgent\":\"trufflehog v3\"",
    "\"eventSource\":\"ssm.amazonaws.com\"",
    "\"eventName\":\"RegisterManagedInstance\"",
    "\"sourceIPAddress\":\"AWS Internal\"",
    "\"tlsDetails\":{\"clientProvidedHostHeader\":\"s3.us-east-1.AMAZONAWS.com\"}",
    "\"eventName\":\"GetObject\"",
};

#define N_RECORDS 600

/* Every rule on every record, three ways: evaluated outright; among the candidates of an
 * index with the prefilter; among those of one without. The verdicts are the same. */
static void prefilter_keeps_verdicts(void **state)
{
    (void)state;
    tw_ruleset *rs = load_ok(verdict_rules);
    uint32_t n_rules = (uint32_t)tw_ruleset_count(rs);
    tw_rules_eval *rev;
    tw_rules_index *with, *without;
    assert_int_equal(tw_rules_eval_new(rs, &rev), TW_OK);
    assert_int_equal(tw_rules_index_new(rs, &with), TW_OK);
    assert_int_equal(tw_rules_index_new_ex(rs, false, &without), TW_OK);
    tw_rules_index_stats st;
    tw_rules_index_stats_get(with, &st);
    assert_true(st.prefiltered >= 8);
    uint32_t *out = calloc(tw_rules_index_capacity(with) + 1, sizeof *out);
    uint32_t *out2 = calloc(tw_rules_index_capacity(without) + 1, sizeof *out2);
    json_src *s = calloc(1, sizeof *s);
    assert_non_null(out);
    assert_non_null(out2);
    assert_non_null(s);
    s->js = tw_json_new();
    assert_non_null(s->js);
    tw_regex_scratch *scratch = tw_regex_scratch_new();
    tw_rng rng;
    tw_rng_seed(&rng, 17);
    char rec[4096];
    uint32_t matched = 0, skipped = 0, per_rule[64] = { 0 };
    for (int r = 0; r < N_RECORDS; r++) {
        /* a few pieces of each kind, in random order and number */
        size_t at = (size_t)snprintf(rec, sizeof rec, "{\"eventVersion\":\"1.08\"");
        const char *const *kinds[3] = { ui_pieces, rp_pieces, rest_pieces };
        const size_t sizes[3] = { sizeof ui_pieces / sizeof *ui_pieces,
                                  sizeof rp_pieces / sizeof *rp_pieces,
                                  sizeof rest_pieces / sizeof *rest_pieces };
        for (int k = 0; k < 3; k++) {
            uint64_t n = k == 2 ? tw_rng_below(&rng, 4) : tw_rng_below(&rng, 2) + (r % 5 != 0);
            for (uint64_t j = 0; j < n && j < 1; j++)
                at += (size_t)snprintf(rec + at, sizeof rec - at, ",%s",
                                       kinds[k][tw_rng_below(&rng, sizes[k])]);
            if (k == 2)
                for (uint64_t j = 1; j < n; j++)
                    at += (size_t)snprintf(rec + at, sizeof rec - at, ",%s",
                                           kinds[k][tw_rng_below(&rng, sizes[k])]);
        }
        at += (size_t)snprintf(rec + at, sizeof rec - at, "}");
        assert_true(at + TW_JSON_PADDING < sizeof rec);
        memset(rec + at, 0, TW_JSON_PADDING);
        s->text = rec;
        s->len = (uint32_t)at;
        s->n_vals = 0;
        s->n_strs = 0;
        tw_event ev;
        memset(&ev, 0, sizeof ev);
        ev.event_name = first_string(s, "eventName");
        ev.event_source = first_string(s, "eventSource");
        tw_field_source src = { json_get, s, NULL };
        uint32_t n1 =
            tw_rules_index_lookup_event(with, &ev, (tw_str){ rec, (uint32_t)at }, out, &skipped);
        uint32_t n2 =
            tw_rules_index_lookup_event(without, &ev, (tw_str){ rec, (uint32_t)at }, out2, NULL);
        uint32_t k1 = 0, k2 = 0;
        for (uint32_t i = 0; i < n_rules; i++) {
            bool holds = tw_rules_eval_rule(rev, tw_ruleset_rule(rs, i), &src, scratch);
            bool in1 = k1 < n1 && out[k1] == i, in2 = k2 < n2 && out2[k2] == i;
            k1 += in1;
            k2 += in2;
            if (holds && (!in1 || !in2))
                fprintf(stderr, "  rule %s holds but is no candidate (%d %d): %s\n",
                        tw_ruleset_rule(rs, i)->id, in1, in2, rec);
            assert_true(!holds || (in1 && in2)); /* the same verdicts, both ways */
            matched += holds;
            per_rule[i] += holds;
        }
        assert_int_equal(k1, n1); /* candidates ascending, each a rule */
        assert_int_equal(k2, n2);
    }
    /* the set exercises the rules: each one matched some record (but the never-matching
     * caseless pattern's near misses and the cased one's), and the prefilter skipped plenty */
    for (uint32_t i = 0; i < n_rules; i++)
        if (!per_rule[i])
            fprintf(stderr, "  rule %s matched no record\n", tw_ruleset_rule(rs, i)->id);
    for (uint32_t i = 0; i < n_rules; i++)
        assert_true(per_rule[i] > 0);
    assert_true(matched > N_RECORDS);
    assert_true(skipped > N_RECORDS * 3);
    tw_regex_scratch_destroy(scratch);
    tw_json_destroy(s->js);
    free(s);
    free(out);
    free(out2);
    tw_rules_index_destroy(with);
    tw_rules_index_destroy(without);
    tw_rules_eval_destroy(rev);
    tw_ruleset_destroy(rs);
}

/* The count of rules a lookup skipped, record by record. */
static void prefilter_skips_rules(void **state)
{
    (void)state;
    tw_ruleset *rs = load_ok(
        RULE("root", "  a:\n    userIdentity.type: Root\n  b:\n    eventType: AwsServiceEvent\n"
                     "  condition: a and not b\n")
            RULE("imds", SEL("userIdentity.arn|re: '.+:assumed-role/aws:.+'"))
                RULE("ua", SEL("userAgent: TruffleHog"))
                    RULE("named", SEL("eventName: ListBuckets\n    userIdentity.type: Root")));
    tw_rules_index *ix;
    assert_int_equal(tw_rules_index_new(rs, &ix), TW_OK);
    tw_rules_index_stats st;
    tw_rules_index_stats_get(ix, &st);
    assert_int_equal(st.always, 3);
    assert_int_equal(st.prefiltered, 2); /* root, imds: the user agent is cheap */
    assert_int_equal(st.indexed, 1);
    assert_int_equal(tw_rules_index_capacity(ix), 6);
    uint32_t out[8];
    tw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.event_name = TW_STR_LIT("ListBuckets");
    uint32_t skipped = 0;
#define LOOK(text) tw_rules_index_lookup_event(ix, &ev, TW_STR_LIT(text), out, &skipped)
    /* neither literal: both skipped; the cheap rule and the named one stay */
    assert_int_equal(LOOK("{\"userIdentity\":{\"type\":\"IAMUser\"}}"), 2);
    assert_int_equal(out[0], 2);
    assert_int_equal(out[1], 3);
    assert_int_equal(skipped, 2);
    assert_int_equal(LOOK("{\"userIdentity\":{\"type\":\"ROOT\"}}"), 3);
    assert_int_equal(out[0], 0);
    assert_int_equal(skipped, 3);
    assert_int_equal(LOOK("{\"userIdentity\":{\"arn\":\"x:Assumed-Role/aws:y\"}}"), 3);
    assert_int_equal(out[0], 1);
    assert_int_equal(skipped, 4);
    /* `\/` may write the '/' of imds's literal; `\u` any byte of either */
    assert_int_equal(LOOK("{\"userIdentity\":{\"arn\":\"x:assumed-role\\/aws:y\"}}"), 3);
    assert_int_equal(out[0], 1);
    assert_int_equal(skipped, 5);
    assert_int_equal(LOOK("{\"userIdentity\":{\"type\":\"\\u0052oot\"}}"), 4);
    assert_int_equal(skipped, 5);
    /* no text: nothing to look in, nothing skipped */
    assert_int_equal(tw_rules_index_lookup_event(ix, &ev, TW_STR_NULL, out, &skipped), 4);
    /* without the record, the old lookup lists them all */
    assert_int_equal(tw_rules_index_lookup(ix, TW_SOURCE_CLOUDTRAIL, TW_STR_LIT("ListBuckets"),
                                           TW_STR_NULL, TW_STR_NULL, out),
                     4);
    assert_int_equal(skipped, 5);
    /* an event of another name: the named rule is no candidate, whatever the text */
    ev.event_name = TW_STR_LIT("GetObject");
    assert_int_equal(LOOK("{}"), 1);
    assert_int_equal(out[0], 2);
#undef LOOK
    tw_rules_index_destroy(ix);
    tw_ruleset_destroy(rs);
}

/* More distinct literals than an index holds (TW_RULES_INDEX_ATOMS): the rules past them stay
 * candidates for every event; the others are still prefiltered. */
static void prefilter_literals_overflow(void **state)
{
    (void)state;
    enum { N = TW_RULES_INDEX_ATOMS + 6 };
    size_t cap = (size_t)N * 256;
    char *yaml = malloc(cap);
    assert_non_null(yaml);
    size_t at = 0;
    for (int i = 0; i < N; i++)
        at += (size_t)snprintf(yaml + at, cap - at,
                               RULE("r%d", "  sel:\n    requestParameters.k: lit-%03d\n"
                                           "  condition: sel\n"),
                               i, i);
    tw_ruleset *rs = load_ok(yaml);
    free(yaml);
    tw_rules_index *ix;
    assert_int_equal(tw_rules_index_new(rs, &ix), TW_OK);
    tw_rules_index_stats st;
    tw_rules_index_stats_get(ix, &st);
    assert_int_equal(st.always, N);
    assert_int_equal(st.prefiltered, TW_RULES_INDEX_ATOMS);
    uint32_t *out = calloc(tw_rules_index_capacity(ix) + 1, sizeof *out);
    assert_non_null(out);
    tw_event ev;
    memset(&ev, 0, sizeof ev);
    uint32_t skipped = 0;
    /* no literal: the rules past the atoms only */
    assert_int_equal(
        tw_rules_index_lookup_event(ix, &ev, TW_STR_LIT("{\"k\":\"x\"}"), out, &skipped),
        N - TW_RULES_INDEX_ATOMS);
    assert_int_equal(out[0], TW_RULES_INDEX_ATOMS);
    assert_int_equal(skipped, TW_RULES_INDEX_ATOMS);
    /* the literal of rule 5, then of the last rule (not prefiltered: there anyway) */
    assert_int_equal(
        tw_rules_index_lookup_event(ix, &ev, TW_STR_LIT("{\"k\":\"LIT-005\"}"), out, NULL),
        N - TW_RULES_INDEX_ATOMS + 1);
    assert_int_equal(out[0], 5);
    free(out);
    tw_rules_index_destroy(ix);
    tw_ruleset_destroy(rs);
}

/* one case a line: tests/CMakeLists.txt registers the first case of each line */
/* clang-format off */
static const struct CMUnitTest tests[] = {
    cmocka_unit_test(literals_of_values),
    cmocka_unit_test(literals_of_regexes),
    cmocka_unit_test(regex_literal_is_in_every_match),
    cmocka_unit_test(literals_of_conditions),
    cmocka_unit_test(find_any_case_anywhere),
    cmocka_unit_test(prefilter_keeps_verdicts),
    cmocka_unit_test(prefilter_skips_rules),
    cmocka_unit_test(prefilter_literals_overflow),
};
/* clang-format on */

TW_TEST_MAIN(tests)
