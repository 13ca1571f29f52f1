/* detect/rules: the front end of the rule language: YAML with line numbers, modifiers and
 * values, fields, the condition grammar, correlations, trailwarden's extensions, and the
 * diagnostics ("file:line: message") for everything a rule can get wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_test.h"

#include "rules.h"
#include "tw_event.h"
#include "tw_time.h"

/* ---- helpers ---- */

static tw_ruleset *load(const char *yaml)
{
    tw_ruleset *rs = tw_ruleset_new();
    assert_non_null(rs);
    tw_ruleset_add_buffer(rs, "t.yml", yaml, strlen(yaml));
    tw_ruleset_finish(rs);
    return rs;
}

static void print_diags(const tw_ruleset *rs)
{
    for (size_t i = 0; i < tw_ruleset_diag_count(rs); i++)
        fprintf(stderr, "  diag: %s\n", tw_ruleset_diag(rs, i));
}

/* The rules load without a problem. */
static tw_ruleset *load_ok(const char *yaml)
{
    tw_ruleset *rs = load(yaml);
    if (tw_ruleset_diag_count(rs))
        print_diags(rs);
    assert_int_equal(tw_ruleset_diag_count(rs), 0);
    return rs;
}

/* The diagnostics are exactly these, in order. */
static void expect_diags(const tw_ruleset *rs, const char *const *want)
{
    size_t n = 0;
    while (want[n])
        n++;
    bool same = tw_ruleset_diag_count(rs) == n;
    for (size_t i = 0; same && i < n; i++)
        same = !strcmp(tw_ruleset_diag(rs, i), want[i]);
    if (!same) {
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "  want: %s\n", want[i]);
        print_diags(rs);
    }
    assert_true(same);
}

/* One problem, this one. */
static void expect_one(const char *yaml, const char *diag)
{
    tw_ruleset *rs = load(yaml);
    const char *want[] = { diag, NULL };
    expect_diags(rs, want);
    tw_ruleset_destroy(rs);
}

#define HEAD "title: T\nid: r\nlevel: low\nlogsource: {product: aws, service: cloudtrail}\n"
/* A rule with one selection `sel` holding `match` (lines 6, 7...) and condition sel. */
#define SEL(match) HEAD "detection:\n  sel:\n    " match "\n  condition: sel\n"

static const tw_rule_match *first_match(const tw_ruleset *rs)
{
    const tw_rule *rule = tw_ruleset_rule(rs, 0);
    assert_non_null(rule);
    return &rule->selections[0].groups[0].matches[0];
}

static void str_is(tw_str s, const char *want)
{
    if (s.len != strlen(want) || memcmp(s.p, want, s.len)) {
        fprintf(stderr, "  got '%.*s', want '%s'\n", (int)s.len, s.p, want);
        fail();
    }
}

/* ---- the YAML loader ---- */

static void yaml_line_numbers(void **state)
{
    (void)state;
    tw_ruleset *rs = load_ok("# a comment\n"              /* 1 */
                             "\n"                         /* 2 */
                             "title: First\n"             /* 3 */
                             "id: first\n"                /* 4 */
                             "level: low\n"               /* 5 */
                             "logsource:\n"               /* 6 */
                             "  product: aws\n"           /* 7 */
                             "detection:\n"               /* 8 */
                             "  selection:\n"             /* 9 */
                             "    eventName:\n"           /* 10 */
                             "      - StopLogging\n"      /* 11 */
                             "      - DeleteTrail\n"      /* 12 */
                             "    eventSource: x\n"       /* 13 */
                             "  condition: selection\n"); /* 14 */
    const tw_rule *rule = tw_ruleset_rule(rs, 0);
    assert_int_equal(rule->line, 3);
    assert_string_equal(rule->file, "t.yml");
    const tw_rule_selection *sel = &rule->selections[0];
    assert_int_equal(sel->line, 9);
    assert_int_equal(sel->groups[0].line, 10);
    const tw_rule_match *m = &sel->groups[0].matches[0];
    assert_int_equal(m->line, 10);
    assert_int_equal(m->values[0].line, 11);
    assert_int_equal(m->values[1].line, 12);
    assert_int_equal(sel->groups[0].matches[1].line, 13);
    assert_int_equal(rule->condition_line, 14);
    tw_ruleset_destroy(rs);
}

static void yaml_multi_document(void **state)
{
    (void)state;
    tw_ruleset *rs = load_ok(
        SEL("eventName: A") "---\n"
                            "---\n" /* an empty document between two rules: skipped */
                            "title: Second\nid: second\nlevel: high\nlogsource: {product: aws}\n"
                            "detection:\n  sel:\n    eventName: B\n  condition: sel\n"
                            "...\n"
                            "---\n"
                            "title: Third\nid: third\nlevel: high\nlogsource: {product: aws}\n"
                            "detection:\n  sel:\n    eventName: C\n  condition: sel\n");
    assert_int_equal(tw_ruleset_count(rs), 3);
    assert_int_equal(tw_ruleset_file_count(rs), 1);
    assert_string_equal(tw_ruleset_rule(rs, 1)->id, "second");
    assert_int_equal(tw_ruleset_rule(rs, 1)->line, 11);
    assert_int_equal(tw_ruleset_rule(rs, 2)->line, 21);
    assert_ptr_equal(tw_ruleset_find(rs, "third"), tw_ruleset_rule(rs, 2));
    assert_null(tw_ruleset_find(rs, "fourth"));
    tw_ruleset_destroy(rs);
}

static void yaml_problems(void **state)
{
    (void)state;
    expect_one("title: T\nid: r\ndetection: [a, b\n",
               "t.yml:4: YAML: did not find expected ',' or ']' (while parsing a flow sequence at "
               "line 3)");
    expect_one("", "t.yml:1: no rule in this file (it is empty)");
    expect_one("# nothing\n---\n", "t.yml:1: no rule in this file (it is empty)");
    expect_one("\x01\x02\x03binary",
               "t.yml:1: not a YAML text file: control characters are not allowed");
    expect_one("title: T\nid: r\nx: &a [1]\ny: *a\n",
               "t.yml:4: YAML aliases (*a) are not supported");
    expect_one("title: !!binary aGk=\n",
               "t.yml:1: YAML tag 'tag:yaml.org,2002:binary' is not supported");
    expect_one("title: \"a\\0b\"\nid: r\nlevel: low\ncorrelation: {type: first_seen, field: "
               "awsRegion, baseline: 7d}\n",
               "t.yml:1: a NUL character in a string");
    /* nesting: flow and block, refused at the limit without recursing further */
    char *deep = malloc(200001);
    memset(deep, '[', 100000);
    memset(deep + 100000, ']', 100000);
    deep[200000] = '\0';
    expect_one(deep, "t.yml:1: YAML nested deeper than 32 levels");
    free(deep);
    /* every duplicate key, with the line of the first */
    tw_ruleset *rs = load(SEL("eventName: A\n    eventName: B") "level: high\n");
    const char *want[] = {
        "t.yml:8: duplicate key 'eventName' (first at line 7)",
        "t.yml:10: duplicate key 'level' (first at line 3)",
        NULL,
    };
    expect_diags(rs, want);
    assert_int_equal(tw_ruleset_count(rs), 0);
    tw_ruleset_destroy(rs);
}

static void yaml_scalar_types(void **state)
{
    (void)state;
    tw_ruleset *rs = load_ok(SEL("eventName: [42, -1.5e3, 0x1f, true, False, null, ~, '42', "
                                 "\"true\", !!str 7, 1.2.3, yes]"));
    const tw_rule_match *m = first_match(rs);
    assert_int_equal(m->n_values, 12);
    assert_int_equal(m->values[0].op, TW_MATCH_NUMBER);
    assert_true(m->values[0].number == 42.0);
    str_is(m->values[0].text, "42");
    assert_int_equal(m->values[1].op, TW_MATCH_NUMBER);
    assert_true(m->values[1].number == -1500.0);
    assert_true(m->values[2].number == 31.0);
    assert_int_equal(m->values[3].op, TW_MATCH_BOOL);
    assert_true(m->values[3].boolean);
    assert_int_equal(m->values[4].op, TW_MATCH_BOOL);
    assert_false(m->values[4].boolean);
    assert_int_equal(m->values[5].op, TW_MATCH_NULL);
    assert_int_equal(m->values[6].op, TW_MATCH_NULL);
    for (int i = 7; i < 12; i++)
        assert_int_equal(m->values[i].op, TW_MATCH_EQ); /* quoted, tagged or not a number */
    str_is(m->values[9].text, "7");
    str_is(m->values[11].text, "yes"); /* YAML 1.2: not a boolean */
    tw_ruleset_destroy(rs);
}

/* ---- values and modifiers ---- */

static void value_wildcards(void **state)
{
    (void)state;
    tw_ruleset *rs = load_ok(SEL("eventName: [Delete*, '*Bucket', '*Policy*', exact, 'a*b?c', '*', "
                                 "'lit\\*star', 'back\\\\slash\\x', 'a**b']"));
    const tw_rule_match *m = first_match(rs);
    assert_int_equal(m->values[0].op, TW_MATCH_PREFIX);
    str_is(m->values[0].text, "Delete");
    assert_int_equal(m->values[1].op, TW_MATCH_SUFFIX);
    str_is(m->values[1].text, "Bucket");
    assert_int_equal(m->values[2].op, TW_MATCH_CONTAINS);
    str_is(m->values[2].text, "Policy");
    assert_int_equal(m->values[3].op, TW_MATCH_EQ);
    assert_false(m->values[3].cased);
    const tw_rule_value *g = &m->values[4];
    assert_int_equal(g->op, TW_MATCH_GLOB);
    assert_int_equal(g->n_glob, 5);
    assert_int_equal(g->glob[0].kind, TW_GLOB_LIT);
    str_is(g->glob[0].lit, "a");
    assert_int_equal(g->glob[1].kind, TW_GLOB_ANY);
    str_is(g->glob[2].lit, "b");
    assert_int_equal(g->glob[3].kind, TW_GLOB_ONE);
    str_is(g->glob[4].lit, "c");
    assert_int_equal(m->values[5].op, TW_MATCH_GLOB);
    assert_int_equal(m->values[5].n_glob, 1);
    assert_int_equal(m->values[6].op, TW_MATCH_EQ);
    str_is(m->values[6].text, "lit*star");            /* escaped wildcard */
    str_is(m->values[7].text, "back\\slash\\x");      /* \\ is one, a lone \ stays */
    assert_int_equal(m->values[8].op, TW_MATCH_GLOB); /* ** is * */
    assert_int_equal(m->values[8].n_glob, 3);
    tw_ruleset_destroy(rs);
}

static void modifier_string_ops(void **state)
{
    (void)state;
    tw_ruleset *rs = load_ok(HEAD "detection:\n  sel:\n"
                                  "    eventName|contains: Policy\n"
                                  "    eventSource|startswith: iam\n"
                                  "    userAgent|endswith: /1.0\n"
                                  "    errorCode|contains|cased: Denied\n"
                                  "    errorMessage|contains: 'a*b'\n"
                                  "    userIdentity.arn|startswith: '*:role/'\n"
                                  "    requestParameters.x|contains|all: [a, b]\n"
                                  "  condition: sel\n");
    const tw_rule_group *grp = &tw_ruleset_rule(rs, 0)->selections[0].groups[0];
    assert_int_equal(grp->n_matches, 7);
    assert_int_equal(grp->matches[0].values[0].op, TW_MATCH_CONTAINS);
    assert_int_equal(grp->matches[1].values[0].op, TW_MATCH_PREFIX);
    assert_int_equal(grp->matches[2].values[0].op, TW_MATCH_SUFFIX);
    str_is(grp->matches[2].values[0].text, "/1.0");
    assert_int_equal(grp->matches[3].values[0].op, TW_MATCH_CONTAINS);
    assert_true(grp->matches[3].values[0].cased);
    /* wildcards inside contains and startswith: a glob for a-star-b, a substring for :role/ */
    assert_int_equal(grp->matches[4].values[0].op, TW_MATCH_GLOB);
    assert_int_equal(grp->matches[4].values[0].n_glob, 5);
    assert_int_equal(grp->matches[5].values[0].op, TW_MATCH_CONTAINS);
    str_is(grp->matches[5].values[0].text, ":role/");
    assert_true(grp->matches[6].all);
    assert_false(grp->matches[0].all);
    assert_string_equal(grp->matches[6].key, "requestParameters.x|contains|all");
    tw_ruleset_destroy(rs);
}

static void modifier_re(void **state)
{
    (void)state;
    tw_ruleset *rs = load_ok(HEAD "detection:\n  sel:\n"
                                  "    userAgent|re: '^Boto3/1\\.\\d+'\n"
                                  "    eventName|re|i: 'delete(bucket|object)$'\n"
                                  "    errorMessage|re|s|m: '^a.b$'\n"
                                  "  condition: sel\n");
    const tw_rule_group *grp = &tw_ruleset_rule(rs, 0)->selections[0].groups[0];
    tw_regex_scratch *sc = tw_regex_scratch_new();
    assert_non_null(sc);
    const tw_rule_value *v = &grp->matches[0].values[0];
    assert_int_equal(v->op, TW_MATCH_REGEX);
    str_is(v->text, "^Boto3/1\\.\\d+");
    assert_true(tw_regex_match(v->re, TW_STR_LIT("Boto3/1.34 md/x"), sc));
    assert_false(tw_regex_match(v->re, TW_STR_LIT("boto3/1.34"), sc)); /* case-sensitive */
    v = &grp->matches[1].values[0];
    assert_true(tw_regex_match(v->re, TW_STR_LIT("DeleteBucket"), sc));
    assert_false(tw_regex_match(v->re, TW_STR_LIT("DeleteBucketPolicy"), sc));
    v = &grp->matches[2].values[0];
    assert_true(tw_regex_match(v->re, TW_STR_LIT("x\na\nb"), sc)); /* m: ^ at a line, s: . is \n */
    /* subjects with invalid UTF-8 are searched safely */
    assert_false(tw_regex_match(grp->matches[0].values[0].re, (tw_str){ "\xff\xfe\x80", 3 }, sc));
    tw_regex_scratch_destroy(sc);
    tw_regex_scratch_destroy(NULL);
    tw_ruleset_destroy(rs);

    expect_one(
        SEL("userAgent|re: 'a(b'"),
        "t.yml:7: invalid regular expression 'a(b': missing closing parenthesis at character 4");
    expect_one(SEL("userAgent|re: '[z-a]'"), "t.yml:7: invalid regular expression '[z-a]': range "
                                             "out of order in character class at character 4");
    expect_one(SEL("userAgent|re: 5"), "t.yml:7: 're' needs a string value, not a number");
}

static void modifier_cidr(void **state)
{
    (void)state;
    tw_ruleset *rs = load_ok(SEL(
        "sourceIPAddress|cidr: [10.0.0.0/8, 192.168.1.7, '0.0.0.0/0', '2001:db8::/32', '::1']"));
    const tw_rule_match *m = first_match(rs);
    assert_int_equal(m->values[0].op, TW_MATCH_CIDR);
    assert_int_equal(m->values[0].cidr.family, 4);
    assert_int_equal(m->values[0].cidr.prefix, 8);
    assert_int_equal(m->values[0].cidr.addr[0], 10);
    assert_int_equal(m->values[1].cidr.prefix, 32);
    assert_int_equal(m->values[1].cidr.addr[3], 7);
    assert_int_equal(m->values[2].cidr.prefix, 0);
    assert_int_equal(m->values[3].cidr.family, 6);
    assert_int_equal(m->values[3].cidr.prefix, 32);
    assert_int_equal(m->values[3].cidr.addr[0], 0x20);
    assert_int_equal(m->values[3].cidr.addr[1], 0x01);
    assert_int_equal(m->values[4].cidr.prefix, 128);
    assert_int_equal(m->values[4].cidr.addr[15], 1);
    tw_ruleset_destroy(rs);

    expect_one(SEL("sourceIPAddress|cidr: 10.1.2.3/16"),
               "t.yml:7: '10.1.2.3/16' has host bits set (the network is 10.1.0.0/16)");
    expect_one(SEL("sourceIPAddress|cidr: 10.0.0.0/"),
               "t.yml:7: '10.0.0.0/': the prefix length must be 0 to 32");
    expect_one(SEL("sourceIPAddress|cidr: '::/129'"),
               "t.yml:7: '::/129': the prefix length must be 0 to 128");
    expect_one(SEL("sourceIPAddress|cidr: 10.0.0.256/32"),
               "t.yml:7: '10.0.0.256/32' is not an IPv4 or IPv6 network");
    expect_one(SEL("sourceIPAddress|cidr: '10.0.0.0/8 '"),
               "t.yml:7: '10.0.0.0/8 ': the prefix length must be 0 to 32");
    expect_one(SEL("sourceIPAddress|cidr|contains: 10.0.0.0/8"),
               "t.yml:7: modifier 'contains' cannot be combined with 'cidr'");
    expect_one(SEL("sourceIPAddress|cidr|all: [10.0.0.0/8]"),
               "t.yml:7: modifier 'all' cannot be combined with 'cidr'");
}

static void modifier_exists_fieldref(void **state)
{
    (void)state;
    tw_ruleset *rs =
        load_ok(HEAD "detection:\n  sel:\n"
                     "    errorCode|exists: false\n"
                     "    userIdentity.accountId|fieldref: recipientAccountId\n"
                     "    identity.key|fieldref: [userIdentity.arn, requestParameters.roleArn]\n"
                     "  condition: sel\n");
    const tw_rule_group *grp = &tw_ruleset_rule(rs, 0)->selections[0].groups[0];
    assert_int_equal(grp->matches[0].values[0].op, TW_MATCH_EXISTS);
    assert_false(grp->matches[0].values[0].boolean);
    assert_int_equal(grp->matches[1].values[0].op, TW_MATCH_FIELDREF);
    assert_string_equal(grp->matches[1].values[0].ref->name, "recipientAccountId");
    assert_int_equal(grp->matches[2].field->kind, TW_FIELD_IDENTITY_KEY);
    assert_int_equal(grp->matches[2].n_values, 2);
    tw_ruleset_destroy(rs);

    expect_one(SEL("errorCode|exists: maybe"),
               "t.yml:7: 'exists' takes true or false, not a string");
    expect_one(SEL("errorCode|exists: [true]"),
               "t.yml:7: 'exists' takes true or false, not a list");
    expect_one(SEL("errorCode|exists|contains: true"),
               "t.yml:7: modifier 'contains' cannot be combined with 'exists'");
    expect_one(SEL("userAgent|fieldref: userAgnet"),
               "t.yml:7: unknown field 'userAgnet' of CloudTrail (did you mean 'userAgent'?)");
    expect_one(SEL("userAgent|fieldref|startswith: eventName"),
               "t.yml:7: modifier 'startswith' cannot be combined with 'fieldref'");
}

static void modifier_rejected(void **state)
{
    (void)state;
    expect_one(SEL("userAgent|base64offset|contains: x"),
               "t.yml:7: unsupported modifier 'base64offset'");
    expect_one(SEL("userAgent|windash: x"), "t.yml:7: unsupported modifier 'windash'");
    expect_one(SEL("userAgent|gte: 5"), "t.yml:7: unsupported modifier 'gte'");
    expect_one(SEL("userAgent|startwith: x"),
               "t.yml:7: unknown modifier 'startwith' (did you mean 'startswith'?)");
    expect_one(SEL("userAgent|frobnicate: x"), "t.yml:7: unknown modifier 'frobnicate'");
    expect_one(SEL("userAgent||contains: x"),
               "t.yml:7: an empty modifier ('||' or a trailing '|')");
    expect_one(SEL("userAgent|startswith|endswith: x"),
               "t.yml:7: modifier 'startswith' cannot be combined with 'endswith'");
    expect_one(SEL("userAgent|re|startswith: x"),
               "t.yml:7: modifier 'startswith' cannot be combined with 're'");
    expect_one(SEL("userAgent|m: x"), "t.yml:7: modifier 'm' only follows 're' (re|m)");
    expect_one(SEL("userAgent|cased: 5"), "t.yml:7: 'cased' needs a string value, not a number");
    expect_one(SEL("userAgent|all|all: [a, b]"), "t.yml:7: modifier 'all' given twice");
    expect_one(SEL("userAgent|endswith: ''"),
               "t.yml:7: an empty value with 'endswith' matches everything");
    expect_one(SEL("'|contains': x"), "t.yml:7: '|contains': a selection key needs a field name "
                                      "(keyword searches are not supported)");
}

static void virtual_fields(void **state)
{
    (void)state;
    tw_ruleset *rs = load_ok(HEAD "detection:\n  sel:\n"
                                  "    action.class: [destructive, privileged, Read]\n"
                                  "    action.level|all: [Write, permissions management]\n"
                                  "    identity.kind: [agent, service]\n"
                                  "    error.denied: true\n"
                                  "    action: [s3:DeleteBucket, 'iam:*']\n"
                                  "  condition: sel\n");
    const tw_rule_group *grp = &tw_ruleset_rule(rs, 0)->selections[0].groups[0];
    const tw_rule_match *m = &grp->matches[0];
    assert_int_equal(m->field->kind, TW_FIELD_ACTION_CLASS);
    assert_int_equal(m->values[0].op, TW_MATCH_BITS);
    assert_int_equal(m->values[0].bits, TW_CLASS_DESTRUCTIVE);
    assert_int_equal(m->values[1].bits, TW_CLASS_PRIVILEGED);
    assert_int_equal(m->values[2].bits, TW_CLASS_READ); /* names compare case-insensitively */
    m = &grp->matches[1];
    assert_true(m->all);
    assert_int_equal(m->values[0].bits, TW_LEVEL_WRITE);
    assert_int_equal(m->values[1].bits, TW_LEVEL_PERMISSIONS);
    m = &grp->matches[2];
    assert_int_equal(m->values[0].bits, 1u << TW_KIND_AGENT);
    assert_int_equal(m->values[1].bits, 1u << TW_KIND_SERVICE);
    m = &grp->matches[3];
    assert_int_equal(m->field->kind, TW_FIELD_ERROR_DENIED);
    assert_int_equal(m->values[0].op, TW_MATCH_BOOL);
    m = &grp->matches[4];
    assert_int_equal(m->field->kind, TW_FIELD_ACTION);
    assert_int_equal(m->values[0].op, TW_MATCH_EQ);
    assert_int_equal(m->values[1].op, TW_MATCH_PREFIX);
    tw_ruleset_destroy(rs);

    expect_one(SEL("action.class: destrucive"),
               "t.yml:7: unknown action class 'destrucive' (did you mean 'destructive'?)");
    expect_one(
        SEL("action.class: destroy"),
        "t.yml:7: unknown action class 'destroy' (one of: read, write, destructive, permissions, "
        "model-training, telemetry, logging-control, guardrail, credential, passrole, identity, "
        "code-execution, account, key-destruction, escalation, privileged)");
    expect_one(SEL("action.class|startswith: de"),
               "t.yml:7: 'startswith' cannot be used on action.class: it takes names (modifiers: "
               "all, exists)");
    expect_one(SEL("identity.kind: 3"),
               "t.yml:7: identity.kind takes identity kind names, not a number");
    expect_one(SEL("error.denied: [yes]"),
               "t.yml:7: error.denied takes true or false, not a string");
    expect_one(SEL("error.denied|all: [true]"),
               "t.yml:7: 'all' cannot be used on error.denied: it is true or false");
    expect_one(SEL("action: DeleteBucket"),
               "t.yml:7: action 'DeleteBucket' is not of the form service:Name (s3:DeleteBucket)");
}

/* ---- fields ---- */

static void fields_known_and_unknown(void **state)
{
    (void)state;
    tw_ruleset *rs =
        load_ok(HEAD "detection:\n  sel:\n"
                     "    requestParameters.policyDocument.Statement.Effect: Allow\n"
                     "    userIdentity.sessionContext.sessionIssuer.arn|endswith: /ci\n"
                     "    responseElements: null\n"
                     "    resources.ARN|contains: bucket\n"
                     "  other:\n"
                     "    requestParameters.policyDocument.Statement.Effect: Deny\n"
                     "    tlsDetails.tlsVersion: TLSv1\n"
                     "  condition: sel or other\n");
    /* interned: one entry a distinct name, numbered densely, paths split */
    assert_int_equal(tw_ruleset_field_count(rs), 5);
    const tw_field *f = tw_ruleset_field(rs, 0);
    assert_string_equal(f->name, "requestParameters.policyDocument.Statement.Effect");
    assert_int_equal(f->index, 0);
    assert_int_equal(f->kind, TW_FIELD_RECORD);
    assert_int_equal(f->n_path, 4);
    str_is(f->path[0], "requestParameters");
    str_is(f->path[3], "Effect");
    const tw_rule *rule = tw_ruleset_rule(rs, 0);
    assert_ptr_equal(rule->selections[0].groups[0].matches[0].field,
                     rule->selections[1].groups[0].matches[0].field);
    assert_null(tw_ruleset_field(rs, 5));
    tw_ruleset_destroy(rs);

    expect_one(SEL("eventname: X"),
               "t.yml:7: unknown field 'eventname' of CloudTrail (did you mean 'eventName'?)");
    expect_one(SEL("requestParamters.bucketName: X"),
               "t.yml:7: unknown field 'requestParamters.bucketName' of CloudTrail (did you mean "
               "'requestParameters.bucketName'?)");
    expect_one(SEL("userIdentity.sessionIssuer.arn: X"),
               "t.yml:7: unknown field 'userIdentity.sessionIssuer.arn' of CloudTrail");
    expect_one(SEL("Records: X"), "t.yml:7: unknown field 'Records' of CloudTrail");
    expect_one(SEL("eventName.: X"), "t.yml:7: malformed field name 'eventName.'");
    expect_one(SEL("'event Name': X"), "t.yml:7: malformed field name 'event Name'");
    expect_one(SEL("modelId: X"), "t.yml:7: unknown field 'modelId' of CloudTrail (a field of "
                                  "Bedrock model invocation logs: logsource service bedrock)");
}

static void fields_bedrock(void **state)
{
    (void)state;
    tw_ruleset *rs =
        load_ok("title: T\nid: r\nlevel: low\nlogsource: {product: aws, service: bedrock}\n"
                "detection:\n  sel:\n    modelId|startswith: anthropic.\n"
                "    input.inputBodyJson.messages|contains: secret\n    identity.arn: x\n"
                "    action.class: model-training\n  condition: sel\n");
    assert_int_equal(tw_ruleset_rule(rs, 0)->source, TW_SOURCE_BEDROCK);
    tw_ruleset_destroy(rs);
    expect_one("title: T\nid: r\nlevel: low\nlogsource: {product: aws, service: bedrock}\n"
               "detection:\n  sel:\n    eventName: InvokeModel\n  condition: sel\n",
               "t.yml:7: unknown field 'eventName' of Bedrock model invocation logs (a field of "
               "CloudTrail: logsource service cloudtrail)");
}

/* ---- conditions ---- */

#define THREE \
    HEAD "detection:\n  a:\n    eventName: A\n  b:\n    eventName: B\n  c:\n    eventName: C\n"

static tw_ruleset *with_condition(const char *cond)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml, THREE "  condition: %s\n", cond);
    return load(yaml);
}

/* The tree as text: a, not(x), and(x, y), or(x, y). */
static void tree(const tw_rule *rule, const tw_cond *c, char *out, size_t size)
{
    size_t used = strlen(out);
    switch (c->op) {
    case TW_COND_SEL:
        snprintf(out + used, size - used, "%s", rule->selections[c->sel].name);
        return;
    case TW_COND_NOT:
        snprintf(out + used, size - used, "not(");
        break;
    case TW_COND_AND:
        snprintf(out + used, size - used, "and(");
        break;
    case TW_COND_OR:
        snprintf(out + used, size - used, "or(");
        break;
    }
    for (uint32_t i = 0; i < c->n_kids; i++) {
        if (i) {
            used = strlen(out);
            snprintf(out + used, size - used, ", ");
        }
        tree(rule, c->kids[i], out, size);
    }
    used = strlen(out);
    snprintf(out + used, size - used, ")");
}

static void cond_is(const char *cond, const char *want)
{
    tw_ruleset *rs = with_condition(cond);
    if (tw_ruleset_diag_count(rs))
        print_diags(rs);
    assert_int_equal(tw_ruleset_diag_count(rs), 0);
    const tw_rule *rule = tw_ruleset_rule(rs, 0);
    char got[512] = "";
    tree(rule, rule->condition, got, sizeof got);
    if (strcmp(got, want))
        fprintf(stderr, "  condition '%s': got %s, want %s\n", cond, got, want);
    assert_string_equal(got, want);
    tw_ruleset_destroy(rs);
}

static void cond_precedence(void **state)
{
    (void)state;
    cond_is("a or b and not c", "or(a, and(b, not(c)))");
    cond_is("not a and b or c", "or(and(not(a), b), c)");
    cond_is("a and b and c", "and(a, b, c)");
    cond_is("a or b or c", "or(a, b, c)");
    cond_is("not not a or b and c", "or(not(not(a)), and(b, c))");
}

static void cond_parentheses(void **state)
{
    (void)state;
    cond_is("(a or b) and c", "and(or(a, b), c)");
    cond_is("a and (b or c)", "and(a, or(b, c))");
    cond_is("((a)) or ((b and c))", "or(a, and(b, c))");
    cond_is("(a and b) and c", "and(a, b, c)"); /* flattened */
    cond_is("not (a or b) and c", "and(not(or(a, b)), c)");
}

static void cond_quantifiers(void **state)
{
    (void)state;
    tw_ruleset *rs =
        load_ok(HEAD "detection:\n"
                     "  sel_read:\n    eventName: A\n"
                     "  sel_list:\n    eventName: B\n"
                     "  filter:\n    eventName: C\n"
                     "  _helper:\n    eventName: D\n"
                     "  condition: [1 of sel_* and not filter, all of them, _helper]\n");
    const tw_rule *rule = tw_ruleset_rule(rs, 0);
    char got[512] = "";
    tree(rule, rule->condition, got, sizeof got);
    /* a list of conditions is an OR; 'them' leaves out names starting with '_' */
    assert_string_equal(
        got,
        "or(and(or(sel_read, sel_list), not(filter)), and(sel_read, sel_list, filter), _helper)");
    tw_ruleset_destroy(rs);
}

static void cond_quantifier_forms(void **state)
{
    (void)state;
    cond_is("1 of them", "or(a, b, c)");
    cond_is("all of them", "and(a, b, c)");
    cond_is("1 of *", "or(a, b, c)");
    cond_is("all of a* and not 1 of b or c",
            "or(and(a, not(b)), c)"); /* one selection: no OR/AND node */
    cond_is("1 of a or 1 of b or c", "or(a, b, c)");
}

static void cond_errors(void **state)
{
    (void)state;
    static const struct {
        const char *cond, *diag;
    } cases[] = {
        { "a and", "t.yml:12: condition: expected a selection, '(', 'not', '1 of' or 'all of', "
                   "found the end" },
        { "a b", "t.yml:12: condition: expected 'and', 'or' or the end, found 'b' (character 3)" },
        { "a and or b", "t.yml:12: condition: expected a selection, '(', 'not', '1 of' or 'all "
                        "of', found 'or' (character 7)" },
        { "(a or b", "t.yml:12: condition: expected ')', 'and' or 'or', found the end" },
        { "a or b) and c", "t.yml:12: condition: unbalanced ')' (character 7)" },
        { "a and d", "t.yml:12: condition: unknown selection 'd' (character 7)" },
        { "a AND b",
          "t.yml:12: condition: expected 'and', 'or' or the end, found 'AND' (character 3)" },
        { "AND", "t.yml:12: condition: unknown selection 'AND' (operators are lower case: and, or, "
                 "not) (character 1)" },
        { "a*",
          "t.yml:12: condition: 'a*' is a pattern: write '1 of a*' or 'all of a*' (character 1)" },
        { "2 of them",
          "t.yml:12: condition: '2 of' is not supported: only '1 of' and 'all of' (character 1)" },
        { "1 of x*", "t.yml:12: condition: '1 of x*' matches no selection (character 1)" },
        { "all them",
          "t.yml:12: condition: expected 'of' after 'all', found 'them' (character 5)" },
        { "1 of (a)", "t.yml:12: condition: expected a selection name, a pattern or 'them', found "
                      "'(' (character 6)" },
        { "a | count() > 5", "t.yml:12: condition: aggregations ('| count() ...') are not "
                             "supported: write a correlation rule (character 3)" },
        { "a & b", "t.yml:12: condition: unexpected character '&' (character 3)" },
        { "'  '", "t.yml:12: condition: empty" },
        { "a or b and c and not", "t.yml:12: condition: expected a selection, '(', 'not', '1 of' "
                                  "or 'all of', found the end" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tw_ruleset *rs = with_condition(cases[i].cond);
        const char *want[] = { cases[i].diag, NULL };
        expect_diags(rs, want);
        assert_int_equal(tw_ruleset_count(rs), 0);
        tw_ruleset_destroy(rs);
    }
    /* deep parentheses: refused, no stack exhaustion */
    char cond[400];
    memset(cond, '(', 100);
    snprintf(cond + 100, sizeof cond - 100, "a or b or c");
    tw_ruleset *rs = with_condition(cond);
    assert_int_equal(tw_ruleset_diag_count(rs), 1);
    assert_non_null(strstr(tw_ruleset_diag(rs, 0), "nested deeper than 64 levels"));
    tw_ruleset_destroy(rs);
}

static void cond_unused_selection(void **state)
{
    (void)state;
    tw_ruleset *rs = with_condition("a or c");
    const char *want[] = { "t.yml:8: selection 'b' is not used in the condition", NULL };
    expect_diags(rs, want);
    tw_ruleset_destroy(rs);
    expect_one(HEAD "detection:\n  sel:\n    eventName: A\n",
               "t.yml:5: detection needs a 'condition'");
    expect_one(HEAD "detection:\n  condition: x\n",
               "t.yml:5: detection needs at least one selection");
    expect_one(HEAD "detection:\n  not:\n    eventName: A\n  condition: 1 of them\n",
               "t.yml:6: 'not' cannot name a selection: it is a word of conditions");
    expect_one(HEAD "detection:\n  sel.x:\n    eventName: A\n  condition: 1 of them\n",
               "t.yml:6: selection name 'sel.x' may only hold letters, digits, '_' and '-'");
    expect_one(HEAD "detection:\n  sel:\n    - A\n    - B\n  condition: sel\n",
               "t.yml:7: selection 'sel': keyword lists (bare values without a field) are not "
               "supported; name a field");
}

/* ---- rules ---- */

static void rule_metadata(void **state)
{
    (void)state;
    tw_ruleset *rs =
        load_ok("title: Logging tampered\n"
                "id: 5a3f0e52-4b7c-4d5e-8f9a-0b1c2d3e4f50\n"
                "name: logging_tampered\n"
                "status: stable\n"
                "level: critical\n"
                "description: what it finds\n"
                "author: someone\n"
                "date: 2026-01-02\n"
                "modified: 2026/02/03\n"
                "tags: [attack.t1562.008, attack.defense-evasion]\n"
                "references: [https://example.invalid]\n"
                "falsepositives: Planned changes\n"
                "fields: [eventName]\n"
                "related:\n  - {id: 0e95725d-7320-415d-80f7-004da920fc11, type: derived}\n"
                "license: MIT\n"
                "logsource: {product: aws, service: cloudtrail, category: audit}\n"
                "detection:\n  sel:\n    action.class: logging-control\n  condition: sel\n"
                "trailwarden:\n  suppress: 1h\n  denied_level: low\n  failed_level: informational\n"
                "  kinds: [service, agent, aws-service]\n  finding_types: [Defense Evasion]\n");
    const tw_rule *rule = tw_ruleset_rule(rs, 0);
    assert_string_equal(rule->title, "Logging tampered");
    assert_string_equal(rule->name, "logging_tampered");
    assert_int_equal(rule->status, TW_RULE_STATUS_STABLE);
    assert_string_equal(tw_rule_status_name(rule->status), "stable");
    assert_int_equal(rule->level, TW_SEV_CRITICAL);
    assert_string_equal(rule->description, "what it finds");
    assert_string_equal(rule->date, "2026-01-02");
    assert_int_equal(rule->n_tags, 2);
    assert_string_equal(rule->tags[1], "attack.defense-evasion");
    assert_int_equal(rule->source, TW_SOURCE_CLOUDTRAIL);
    assert_string_equal(rule->category, "audit");
    assert_string_equal(tw_rule_type_name(rule), "detection");
    assert_null(rule->correlation);
    assert_int_equal(rule->suppress_ms, TW_MS_HOUR);
    assert_int_equal(rule->denied_level, TW_SEV_LOW);
    assert_int_equal(rule->failed_level, TW_SEV_INFO);
    assert_int_equal(rule->kinds,
                     (1u << TW_KIND_SERVICE) | (1u << TW_KIND_AGENT) | (1u << TW_KIND_AWS_SERVICE));
    assert_int_equal(rule->n_finding_types, 1);
    assert_string_equal(rule->finding_types[0], "Defense Evasion");
    assert_ptr_equal(tw_ruleset_find(rs, "logging_tampered"), rule);
    tw_ruleset_destroy(rs);
}

static void rule_keys_strict(void **state)
{
    (void)state;
    expect_one(SEL("eventName: A") "descripton: x\n",
               "t.yml:9: unknown key 'descripton' (did you mean 'description'?)");
    expect_one(SEL("eventName: A") "action: global\n",
               "t.yml:9: 'action' (Sigma rule collections: global, reset, repeat) is not "
               "supported: write whole rules");
    expect_one(
        "title: T\nid: Rule_One\nlevel: low\nlogsource: {product: aws}\ndetection:\n  s:\n    "
        "eventName: A\n  condition: s\n",
        "t.yml:2: id 'Rule_One' must be a UUID, or lower-case letters, digits, '-', '_' and '.'");
    expect_one("title: T\nlevel: low\nlogsource: {product: aws}\ndetection:\n  s:\n    eventName: "
               "A\n  condition: s\n",
               "t.yml:1: missing 'id' (a UUID, or a rule id like agent-read-to-destructive)");
    expect_one("title: T\nid: r\nlogsource: {product: aws}\ndetection:\n  s:\n    eventName: A\n  "
               "condition: s\n",
               "t.yml:1: missing 'level' (informational, low, medium, high or critical)");
    expect_one("title: T\nid: r\nlevel: hgih\nlogsource: {product: aws}\ndetection:\n  s:\n    "
               "eventName: A\n  condition: s\n",
               "t.yml:3: unknown level 'hgih' (did you mean 'high'?)");
    expect_one(
        "title: T\nid: r\nlevel: low\nstatus: beta\nlogsource: {product: aws}\ndetection:\n  s:\n  "
        "  eventName: A\n  condition: s\n",
        "t.yml:4: unknown status 'beta' (stable, test, experimental, deprecated, unsupported)");
    expect_one("title: T\nid: r\nlevel: low\nlogsource: {product: gcp}\ndetection:\n  s:\n    "
               "eventName: A\n  condition: s\n",
               "t.yml:4: logsource product 'gcp' is not supported (aws)");
    expect_one("title: T\nid: r\nlevel: low\nlogsource: {service: cloudtrail}\ndetection:\n  s:\n  "
               "  eventName: A\n  condition: s\n",
               "t.yml:4: logsource needs 'product: aws'");
    expect_one("title: T\nid: r\nlevel: low\ndetection:\n  s:\n    eventName: A\n  condition: s\n",
               "t.yml:1: missing 'logsource' (product: aws, service: cloudtrail or bedrock)");
    expect_one("just a string\n",
               "t.yml:1: a rule must be a map of keys (title, id, level, ...), not a string");
}

static void rule_duplicate_ids(void **state)
{
    (void)state;
    tw_ruleset *rs = tw_ruleset_new();
    const char *a = SEL("eventName: A");
    assert_int_equal(tw_ruleset_add_buffer(rs, "a.yml", a, strlen(a)), TW_OK);
    assert_int_equal(tw_ruleset_add_buffer(rs, "b.yml", a, strlen(a)), TW_OK);
    assert_int_equal(tw_ruleset_finish(rs), TW_ERR_INVALID);
    const char *want[] = { "b.yml:2: duplicate id 'r' (already the id of the rule at a.yml:2)",
                           NULL };
    expect_diags(rs, want);
    assert_int_equal(tw_ruleset_count(rs), 1); /* the first one stays */
    assert_int_equal(tw_ruleset_file_count(rs), 2);
    assert_int_equal(tw_ruleset_finish(rs), TW_ERR_INVALID); /* once is enough */
    assert_int_equal(tw_ruleset_add_buffer(rs, "c.yml", a, strlen(a)), TW_ERR_INVALID);
    tw_ruleset_destroy(rs);
}

/* ---- correlations ---- */

#define BASE(id)                                                          \
    "title: Base " id "\nid: " id                                         \
    "\nlogsource: {product: aws}\ndetection:\n  sel:\n    eventName: " id \
    "\n  condition: sel\n---\n"

static void corr_event_count(void **state)
{
    (void)state;
    tw_ruleset *rs =
        load_ok(BASE("login") "title: Burst\nid: burst\nlevel: medium\n"
                              "correlation:\n  type: event_count\n  rules: [login]\n"
                              "  group-by: [identity.key, sourceIPAddress]\n  timespan: 15m\n"
                              "  condition: {gte: 10, lt: 100}\n");
    const tw_rule *rule = tw_ruleset_find(rs, "burst");
    const tw_corr *corr = rule->correlation;
    assert_non_null(corr);
    assert_string_equal(tw_rule_type_name(rule), "event_count");
    assert_int_equal(rule->source, TW_SOURCE_NONE);
    assert_int_equal(corr->n_rules, 1);
    assert_ptr_equal(corr->rules[0], tw_ruleset_find(rs, "login"));
    assert_string_equal(corr->rule_refs[0], "login");
    assert_int_equal(corr->n_group_by, 2);
    assert_int_equal(corr->group_by[0]->kind, TW_FIELD_IDENTITY_KEY);
    assert_string_equal(corr->group_by[1]->name, "sourceIPAddress");
    assert_int_equal(corr->timespan_ms, 15 * TW_MS_MINUTE);
    assert_true(corr->has_count);
    assert_int_equal(corr->count_min, 10);
    assert_int_equal(corr->count_max, 99);
    /* the base rule needs no level: only the correlation reports */
    assert_int_equal(tw_ruleset_find(rs, "login")->level, 0);
    tw_ruleset_destroy(rs);
}

static void corr_value_count_and_temporal(void **state)
{
    (void)state;
    tw_ruleset *rs = load_ok(BASE("one") BASE(
        "two") "title: Regions\nid: regions\nname: regions_corr\nlevel: low\n"
               "correlation:\n  type: value_count\n  rules: [one]\n  timespan: 1h\n"
               "  condition: {field: awsRegion, gt: 3}\n---\n"
               "title: Regions too\nid: regions-too\nlevel: low\n"
               "correlation:\n  type: value_count\n  rules: [one]\n  timespan: 1d\n"
               "  field: awsRegion\n  condition: {eq: 2}\n---\n"
               "title: Both\nid: both\nlevel: high\n"
               "correlation:\n  type: temporal_ordered\n  rules: [two, one, regions_corr]\n"
               "  timespan: 24h\n  generate: true\n");
    const tw_corr *corr = tw_ruleset_find(rs, "regions")->correlation;
    assert_string_equal(corr->field->name, "awsRegion");
    assert_int_equal(corr->count_min, 4);
    assert_int_equal(corr->count_max, UINT64_MAX);
    assert_int_equal(corr->n_group_by, 0); /* the identity key */
    corr = tw_ruleset_find(rs, "regions-too")->correlation;
    assert_int_equal(corr->count_min, 2);
    assert_int_equal(corr->count_max, 2);
    assert_int_equal(corr->timespan_ms, TW_MS_DAY);
    corr = tw_ruleset_find(rs, "both")->correlation;
    assert_int_equal(corr->type, TW_CORR_TEMPORAL_ORDERED);
    assert_true(corr->generate);
    assert_int_equal(corr->n_rules, 3);
    assert_string_equal(corr->rules[0]->id, "two"); /* the order written */
    assert_string_equal(corr->rules[2]->id,
                        "regions");       /* by name; a correlation of a correlation */
    assert_int_equal(corr->count_min, 3); /* temporal: all of them by default */
    tw_ruleset_destroy(rs);
}

static void corr_errors(void **state)
{
    (void)state;
    /* the base rule, used by no correlation now, needs its level */
    tw_ruleset *rs =
        load(BASE("login") "title: C\nid: c\nlevel: low\ncorrelation:\n  type: event_count\n"
                           "  rules: [logn]\n  timespan: 1h\n  condition: {gte: 2}\n");
    const char *want[] = {
        "t.yml:1: missing 'level' (informational, low, medium, high or critical)",
        "t.yml:14: correlation: unknown rule 'logn' (did you mean 'login'?)",
        NULL,
    };
    expect_diags(rs, want);
    tw_ruleset_destroy(rs);
    expect_one(BASE("login") "title: C\nid: c\nlevel: low\ncorrelation:\n  type: event_count\n"
                             "  rules: [login]\n  timespan: 1 hour\n  condition: {gte: 2}\n",
               "t.yml:15: 'timespan' must be a duration like 90s, 15m, 24h or 30d, not '1 hour'");
    expect_one(BASE("login") "title: C\nid: c\nlevel: low\ncorrelation:\n  type: event_count\n"
                             "  rules: [login]\n  timespan: 3600\n  condition: {gte: 2}\n",
               "t.yml:15: 'timespan' must be a duration like 90s, 15m, 24h or 30d, not '3600'");
    expect_one(BASE("login") "title: C\nid: c\nlevel: low\ncorrelation:\n  type: value_count\n"
                             "  rules: [login]\n  timespan: 1h\n  condition: {gte: 2}\n",
               "t.yml:12: correlation: value_count needs 'field' (in its condition)");
    expect_one(BASE("login") "title: C\nid: c\nlevel: low\ncorrelation:\n  type: event_count\n"
                             "  rules: [login]\n  timespan: 1h\n",
               "t.yml:12: correlation: event_count needs 'condition'");
    expect_one(BASE("login") "title: C\nid: c\nlevel: low\ncorrelation:\n  type: event_count\n"
                             "  rules: [login]\n  timespan: 1h\n  condition: {gte: 2, eq: 3}\n",
               "t.yml:16: correlation: the condition gives a bound twice (eq stands alone; gt or "
               "gte; lt or lte)");
    expect_one(BASE("login") "title: C\nid: c\nlevel: low\ncorrelation:\n  type: event_count\n"
                             "  rules: [login]\n  timespan: 1h\n  condition: {gte: -2}\n",
               "t.yml:16: 'gte' must be a whole number, not '-2'");
    expect_one(BASE("login") "title: C\nid: c\nlevel: low\ncorrelation:\n  type: event_count\n"
                             "  rules: [login]\n  timespan: 1h\n  condition: {more: 2}\n",
               "t.yml:16: correlation: unknown condition 'more' (gt, gte, lt, lte, eq)");
    expect_one(BASE("login") "title: C\nid: c\nlevel: low\ncorrelation:\n  type: temporal\n"
                             "  rules: [login, login]\n  timespan: 1h\n",
               "t.yml:14: correlation: 'rules' names 'login' twice");
    expect_one(
        BASE("login") "title: C\nid: c\nlevel: low\ncorrelation:\n  type: event_count\n"
                      "  rules: [login]\n  group-by: [identity.kye]\n  timespan: 1h\n  condition: "
                      "{gte: 2}\n",
        "t.yml:15: unknown field 'identity.kye' of CloudTrail (did you mean 'identity.key'?)");
    expect_one(
        BASE("login") "title: C\nid: c\nlevel: low\nlogsource: {product: aws}\ncorrelation:\n"
                      "  type: event_count\n  rules: [login]\n  timespan: 1h\n  condition: {gte: "
                      "2}\n",
        "t.yml:12: a correlation rule has no 'logsource': the rules it uses have theirs");
    expect_one(
        BASE("login") "title: C\nid: c\nlevel: low\ncorrelation:\n  type: event_count\n"
                      "  rules: [login]\n  timespan: 1h\n  condition: {gte: 2}\n  aliases: {}\n",
        "t.yml:17: correlation: 'aliases' is not supported yet");
    /* a key given twice, the second one broken (found by fuzzing): reported, nothing kept */
    rs = load(BASE("login") "title: C\nid: c\nlevel: low\ncorrelation:\n  type: event_count\n"
                            "  rules: [login]\n  group-by: [identity.key]\n  timespan: 1h\n  "
                            "condition: {gte: 2}\n"
                            "  rules: x\n  group-by: 5\n");
    const char *twice[] = {
        "t.yml:1: missing 'level' (informational, low, medium, high or critical)",
        "t.yml:18: duplicate key 'rules' (first at line 14)",
        "t.yml:18: correlation: 'rules' must be a list, not a string",
        "t.yml:19: duplicate key 'group-by' (first at line 15)",
        "t.yml:19: correlation: 'group-by' must be a list, not a number",
        NULL,
    };
    expect_diags(rs, twice);
    tw_ruleset_destroy(rs);
}

static void corr_across_files(void **state)
{
    (void)state;
    tw_ruleset *rs = tw_ruleset_new();
    const char *corr = "title: C\nid: c\nlevel: low\ncorrelation:\n  type: event_count\n"
                       "  rules: [login, broken]\n  timespan: 1h\n  condition: {gte: 2}\n";
    const char *base = BASE("login") "title: B\nid: broken\nlogsource: {product: aws}\n"
                                     "detection:\n  sel:\n    eventNam: X\n  condition: sel\n";
    /* the correlation comes first: references resolve once every file is in */
    assert_int_equal(tw_ruleset_add_buffer(rs, "c.yml", corr, strlen(corr)), TW_OK);
    assert_int_equal(tw_ruleset_add_buffer(rs, "base.yml", base, strlen(base)), TW_ERR_INVALID);
    assert_int_equal(tw_ruleset_finish(rs), TW_ERR_INVALID);
    const char *want[] = {
        "base.yml:14: unknown field 'eventNam' of CloudTrail (did you mean 'eventName'?)",
        NULL,
    };
    expect_diags(rs, want);
    /* a correlation over a broken rule cannot run: out of the set, the broken rule too */
    assert_int_equal(tw_ruleset_count(rs), 1);
    assert_string_equal(tw_ruleset_rule(rs, 0)->id, "login");
    assert_int_equal(tw_ruleset_rule(rs, 0)->index, 0);
    tw_ruleset_destroy(rs);
}

static void corr_cycles(void **state)
{
    (void)state;
    tw_ruleset *rs = load("title: A\nid: a\nlevel: low\ncorrelation:\n  type: event_count\n"
                          "  rules: [b]\n  timespan: 1h\n  condition: {gte: 2}\n---\n"
                          "title: B\nid: b\nlevel: low\ncorrelation:\n  type: event_count\n"
                          "  rules: [a]\n  timespan: 1h\n  condition: {gte: 2}\n");
    const char *want[] = {
        "t.yml:4: correlation: 'a' uses itself through the rules it names (a cycle)",
        "t.yml:13: correlation: 'b' uses itself through the rules it names (a cycle)",
        NULL,
    };
    expect_diags(rs, want);
    tw_ruleset_destroy(rs);
}

/* ---- trailwarden's extensions ---- */

static void ext_baseline_then_trigger(void **state)
{
    (void)state;
    tw_ruleset *rs = load_ok(
        BASE("nonhuman") "title: R2D\nid: agent-read-to-destructive\nlevel: high\n"
                         "correlation:\n  type: baseline_then_trigger\n  rules: [nonhuman]\n"
                         "  group-by: [identity.key]\n"
                         "  baseline: {min_events: 10, window: 24h, classes: [read, telemetry]}\n"
                         "  trigger: {classes: [destructive], rule: nonhuman}\n"
                         "trailwarden: {suppress: 24h}\n---\n"
                         "title: Any\nid: any-then-privileged\nlevel: low\n"
                         "correlation:\n  type: baseline_then_trigger\n"
                         "  baseline: {min_events: 1, window: 90s, classes: [read]}\n"
                         "  trigger: {classes: [privileged]}\n");
    const tw_rule *rule = tw_ruleset_find(rs, "agent-read-to-destructive");
    const tw_corr *corr = rule->correlation;
    assert_int_equal(corr->type, TW_CORR_BASELINE_THEN_TRIGGER);
    assert_string_equal(tw_rule_type_name(rule), "baseline_then_trigger");
    assert_int_equal(corr->baseline.min_events, 10);
    assert_int_equal(corr->baseline.window_ms, TW_MS_DAY);
    assert_int_equal(corr->baseline.classes, TW_CLASS_READ | TW_CLASS_TELEMETRY);
    assert_int_equal(corr->trigger.classes, TW_CLASS_DESTRUCTIVE);
    assert_ptr_equal(corr->trigger.rule, tw_ruleset_find(rs, "nonhuman"));
    assert_int_equal(rule->suppress_ms, TW_MS_DAY);
    corr = tw_ruleset_find(rs, "any-then-privileged")->correlation;
    assert_int_equal(corr->n_rules, 0);
    assert_int_equal(corr->trigger.classes, TW_CLASS_PRIVILEGED);
    assert_null(corr->trigger.rule);
    assert_int_equal(corr->baseline.window_ms, 90 * TW_MS_SECOND);
    tw_ruleset_destroy(rs);
}

static void ext_first_seen(void **state)
{
    (void)state;
    tw_ruleset *rs =
        load_ok("title: New service\nid: agent-new-service\nlevel: medium\n"
                "correlation:\n  type: first_seen\n  field: eventSource\n  baseline: 7d\n");
    const tw_corr *corr = tw_ruleset_rule(rs, 0)->correlation;
    assert_int_equal(corr->type, TW_CORR_FIRST_SEEN);
    assert_string_equal(corr->field->name, "eventSource");
    assert_int_equal(corr->first_seen_baseline_ms, 7 * TW_MS_DAY);
    assert_int_equal(tw_ruleset_field_count(rs), 1);
    tw_ruleset_destroy(rs);
}

static void ext_errors(void **state)
{
    (void)state;
    expect_one(
        "title: T\nid: t\nlevel: low\ncorrelation:\n  type: baseline_then_trigger\n"
        "  baseline: {min_events: 0, window: 1h, classes: [read]}\n  trigger: {classes: [write]}\n",
        "t.yml:6: correlation: 'baseline.min_events' must be 1 to 1000000");
    expect_one(
        "title: T\nid: t\nlevel: low\ncorrelation:\n  type: baseline_then_trigger\n"
        "  baseline: {min_events: 3, window: 1h, classes: []}\n  trigger: {classes: [write]}\n",
        "t.yml:6: 'baseline.classes' must be a list of action classes (read, destructive, ...)");
    expect_one(
        "title: T\nid: t\nlevel: low\ncorrelation:\n  type: baseline_then_trigger\n"
        "  baseline: {min_events: 3, window: 1h, classes: [read]}\n  trigger: {}\n",
        "t.yml:7: correlation: 'trigger' must be a map with 'classes' and/or 'rule', not a map");
    expect_one("title: T\nid: t\nlevel: low\ncorrelation:\n  type: baseline_then_trigger\n"
               "  baseline: {min_events: 3, window: 1h, classes: [read]}\n",
               "t.yml:4: correlation: baseline_then_trigger needs 'trigger'");
    expect_one(
        "title: T\nid: t\nlevel: low\ncorrelation:\n  type: baseline_then_trigger\n"
        "  baseline: {min_events: 3, window: 1h, classes: [read]}\n  trigger: {rule: nope}\n",
        "t.yml:7: correlation: unknown rule 'nope' (no loaded rule has this id or name)");
    expect_one("title: T\nid: t\nlevel: low\ncorrelation:\n  type: first_seen\n  baseline: 7d\n",
               "t.yml:4: correlation: first_seen needs 'field'");
    expect_one("title: T\nid: t\nlevel: low\ncorrelation:\n  type: first_seen\n  field: awsRegion\n"
               "  baseline: 7d\n  condition: {gte: 1}\n",
               "t.yml:8: correlation: 'condition' does not apply to type first_seen");
    expect_one(SEL("eventName: A") "trailwarden:\n  suppress: 0s\n",
               "t.yml:10: 'trailwarden.suppress' must be longer than 0");
    expect_one(SEL("eventName: A") "trailwarden:\n  finding_types: Tampering\n",
               "t.yml:10: 'trailwarden.finding_types' must be a list of strings, not a string");
    expect_one(SEL("eventName: A") "trailwarden:\n  kinds: [bot]\n",
               "t.yml:10: 'trailwarden.kinds': unknown identity kind 'bot'");
    expect_one(
        SEL("eventName: A") "trailwarden:\n  kinds: [agnet]\n",
        "t.yml:10: 'trailwarden.kinds': unknown identity kind 'agnet' (did you mean 'agent'?)");
    expect_one(SEL("eventName: A") "trailwarden:\n  kinds: []\n",
               "t.yml:10: 'trailwarden.kinds' must be a list of identity kinds (service, "
               "aws-service, human, agent, root)");
    expect_one(SEL("eventName: A") "trailwarden:\n  failed_level: severe\n",
               "t.yml:10: unknown level 'severe' (informational, low, medium, high, critical)");
    expect_one(SEL("call.on_behalf: maybe"),
               "t.yml:7: call.on_behalf takes true or false, not a string");
    expect_one(SEL("policy.public|contains: x"),
               "t.yml:7: 'contains' cannot be used on policy.public: it is true or false");
    expect_one(SEL("eventName: A") "trailwarden: [suppress]\n",
               "t.yml:9: 'trailwarden' must be a map (suppress, denied_level, failed_level, "
               "finding_types, kinds, learning, history, routine_level, level_if), not a list");
}

/* ---- paths ---- */

static void paths_and_directories(void **state)
{
    (void)state;
    const char *good = TW_SOURCE_DIR "/tests/unit/rules/good";
    tw_ruleset *rs = NULL;
    assert_int_equal(tw_ruleset_load(&good, 1, &rs), TW_OK);
    assert_int_equal(tw_ruleset_file_count(rs), 5);
    assert_true(tw_ruleset_count(rs) >= 10);
    /* files in name order: bedrock.yml first */
    assert_non_null(strstr(tw_ruleset_rule(rs, 0)->file, "/good/bedrock.yml"));
    tw_ruleset_destroy(rs);

    const char *missing = TW_SOURCE_DIR "/tests/unit/rules/no-such-file.yml";
    assert_int_equal(tw_ruleset_load(&missing, 1, &rs), TW_ERR_INVALID);
    assert_int_equal(tw_ruleset_diag_count(rs), 1);
    assert_non_null(strstr(tw_ruleset_diag(rs, 0), "no-such-file.yml: No such file or directory"));
    tw_ruleset_destroy(rs);

    const char *unit = TW_SOURCE_DIR "/tests/unit/rules/bad";
    assert_int_equal(tw_ruleset_load(&unit, 1, &rs), TW_ERR_INVALID);
    assert_true(tw_ruleset_diag_count(rs) > 50);
    tw_ruleset_destroy(rs);
    tw_ruleset_destroy(NULL);
}

/* Every broken fixture gives exactly the diagnostics of its .expect file (the script test
 * checks the same through the command line). */
static void bad_fixtures(void **state)
{
    (void)state;
    static const char *const names[] = {
        "condition", "correlation", "cycle",         "duplicate_id",  "extensions",
        "modifiers", "regex_cidr",  "structure",     "unknown_field", "unknown_key",
        "values",    "yaml_alias",  "yaml_features", "yaml_syntax",   NULL,
    };
    for (size_t i = 0; names[i]; i++) {
        char path[256], expect[256];
        snprintf(path, sizeof path, "tests/unit/rules/bad/%s.yml", names[i]);
        snprintf(expect, sizeof expect, TW_SOURCE_DIR "/tests/unit/rules/bad/%s.expect", names[i]);
        const char *p = path;
        tw_ruleset *rs = NULL;
        assert_int_equal(tw_ruleset_load(&p, 1, &rs), TW_ERR_INVALID); /* run from the source dir */
        FILE *f = fopen(expect, "r");
        assert_non_null(f);
        char line[1024];
        size_t n = 0;
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            const char *got = tw_ruleset_diag(rs, n++);
            if (!got || strcmp(got, line)) {
                fprintf(stderr, "  %s: want '%s'\n  got '%s'\n", names[i], line,
                        got ? got : "(none)");
                fail();
            }
        }
        fclose(f);
        assert_int_equal(tw_ruleset_diag_count(rs), n);
        tw_ruleset_destroy(rs);
    }
}

/* Rules over CloudTrail that can never match a CloudTrail record load and run, with a warning
 * naming the test that never holds; the same tests where the condition does not need them, or
 * on a field that may be absent, give none. */
static void never_matching_rules_warned(void **state)
{
    (void)state;
#define NEVER_HEAD "title: T\nid: r\nlevel: low\nlogsource: {product: aws, service: cloudtrail}\n"
    static const struct {
        const char *detection;
        const char *warning; /* NULL: none */
    } cases[] = {
        { "  sel:\n    eventName: null\n  condition: sel\n",
          "t.yml:7: warning: rule r can never match a CloudTrail record: 'eventName: null' never "
          "holds (every CloudTrail record has this field)" },
        { "  sel:\n    eventSource|exists: false\n  condition: sel\n",
          "t.yml:7: warning: rule r can never match a CloudTrail record: 'eventSource|exists: "
          "false' never holds (every CloudTrail record has this field)" },
        { "  sel:\n    eventName: ''\n  condition: sel\n",
          "t.yml:7: warning: rule r can never match a CloudTrail record: 'eventName: ''' never "
          "holds (this field is never empty in a CloudTrail record)" },
        { "  sel:\n    eventName: GetObject\n    requestParameters|cidr: 10.0.0.0/8\n"
          "  condition: sel\n",
          "t.yml:8: warning: rule r can never match a CloudTrail record: "
          "'requestParameters|cidr: 10.0.0.0/8' never holds (CloudTrail writes this field as "
          "an object)" },
        { "  a:\n    userIdentity: 5\n  b:\n    eventTime: null\n  condition: a or b\n",
          "t.yml:7: warning: rule r can never match a CloudTrail record: 'userIdentity: 5' "
          "never holds (CloudTrail writes this field as an object)" },
        /* `not` of a test that always holds never does */
        { "  sel:\n    eventName|exists: true\n  condition: not sel\n",
          "t.yml:8: warning: rule r can never match a CloudTrail record: its condition holds on "
          "no record" },
        { "  sel:\n    eventName: null\n  condition: not sel\n", NULL },
        { "  a:\n    eventName: null\n  b:\n    eventName: x\n  condition: a or b\n", NULL },
        { "  sel:\n    - eventName: null\n    - eventName: x\n  condition: sel\n", NULL },
        { "  sel:\n    eventName:\n      - null\n      - x\n  condition: sel\n", NULL },
        { "  sel:\n    errorCode: null\n  condition: sel\n", NULL },
        { "  sel:\n    requestParameters|contains: x\n  condition: sel\n", NULL },
        { "  sel:\n    requestParameters.enable: false\n  condition: sel\n", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml, NEVER_HEAD "detection:\n%s", cases[i].detection);
        tw_ruleset *rs = load_ok(yaml);
        assert_int_equal(tw_ruleset_count(rs), 1);
        size_t want = cases[i].warning ? 1 : 0;
        if (tw_ruleset_warning_count(rs) != want)
            fprintf(stderr, "  case %zu: %s\n", i, tw_ruleset_warning(rs, 0));
        assert_int_equal(tw_ruleset_warning_count(rs), want);
        if (want)
            assert_string_equal(tw_ruleset_warning(rs, 0), cases[i].warning);
        tw_ruleset_destroy(rs);
    }
    /* Bedrock rules are not judged against CloudTrail */
    tw_ruleset *rs = load_ok("title: T\nid: r\nlevel: low\nlogsource: {product: aws, service: "
                             "bedrock}\ndetection:\n  sel:\n    modelId: null\n  condition: sel\n");
    assert_int_equal(tw_ruleset_warning_count(rs), 0);
    tw_ruleset_destroy(rs);
#undef NEVER_HEAD
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(yaml_line_numbers),
    cmocka_unit_test(yaml_multi_document),
    cmocka_unit_test(yaml_problems),
    cmocka_unit_test(yaml_scalar_types),
    cmocka_unit_test(value_wildcards),
    cmocka_unit_test(modifier_string_ops),
    cmocka_unit_test(modifier_re),
    cmocka_unit_test(modifier_cidr),
    cmocka_unit_test(modifier_exists_fieldref),
    cmocka_unit_test(modifier_rejected),
    cmocka_unit_test(virtual_fields),
    cmocka_unit_test(fields_known_and_unknown),
    cmocka_unit_test(fields_bedrock),
    cmocka_unit_test(cond_precedence),
    cmocka_unit_test(cond_parentheses),
    cmocka_unit_test(cond_quantifiers),
    cmocka_unit_test(cond_quantifier_forms),
    cmocka_unit_test(cond_errors),
    cmocka_unit_test(cond_unused_selection),
    cmocka_unit_test(rule_metadata),
    cmocka_unit_test(rule_keys_strict),
    cmocka_unit_test(rule_duplicate_ids),
    cmocka_unit_test(corr_event_count),
    cmocka_unit_test(corr_value_count_and_temporal),
    cmocka_unit_test(corr_errors),
    cmocka_unit_test(corr_across_files),
    cmocka_unit_test(corr_cycles),
    cmocka_unit_test(ext_baseline_then_trigger),
    cmocka_unit_test(ext_first_seen),
    cmocka_unit_test(ext_errors),
    cmocka_unit_test(paths_and_directories),
    cmocka_unit_test(bad_fixtures),
    cmocka_unit_test(never_matching_rules_warned),
};

TW_TEST_MAIN(tests)
