/* Unit tests of grants (issue 4): the privileged-action table over the real catalog, IAM policy
 * expansion (wildcards, NotAction, Deny, conditions, the text forms of policyDocument), AWS
 * managed policies expanded, and the grant tracker fed hand-built events in time order
 * (unused-privileged-grant at its deadline, uses, revocations, groups, customer policy
 * versions, dormant-privilege-used, inventory grants, training-telemetry-granted). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_test.h"

#include "grants.h"
#include "grants_managed.h"
#include "grants_policy.h"
#include "schema_catalog.h"
#include "schema_jdom.h"
#include "tw_hash.h"
#include "tw_wire.h"

#define HOUR (3600 * 1000LL)
#define DAY (24 * HOUR)
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define UNUSED_AFTER (30 * DAY)
#define UNUSED_DET 10u
#define DORMANT_DET 11u

#define ACCT "111122223333"
#define ADMIN "arn:aws:iam::" ACCT ":user/admin"
#define ROLE_R "arn:aws:iam::" ACCT ":role/R"
#define ROLE_S "arn:aws:iam::" ACCT ":role/S"
#define USER_U "arn:aws:iam::" ACCT ":user/U"
#define GROUP_G "arn:aws:iam::" ACCT ":group/G"
#define IAM_FULL "arn:aws:iam::aws:policy/IAMFullAccess"
#define ADMIN_ACCESS "arn:aws:iam::aws:policy/AdministratorAccess"
#define CUST_P "arn:aws:iam::" ACCT ":policy/P"

/* ---- the table and the catalog file, read independently -------------------------------- */

typedef struct catfile {
    char **priv; /* privileged names as the file spells them */
    size_t n_priv, n_priv_iam, n_table;
} catfile;

static bool class_in(const char *classes, const char *want)
{
    size_t wl = strlen(want);
    for (const char *c = classes; *c;) {
        const char *e = strchr(c, ',');
        size_t l = e ? (size_t)(e - c) : strlen(c);
        if (l == wl && !memcmp(c, want, l))
            return true;
        c += l + (e ? 1 : 0);
    }
    return false;
}

/* rules/actions.catalog: service:Name TAB LEVELS TAB CLASSES. */
static void catfile_read(catfile *cf)
{
    static const char *const privileged[] = {
        "permissions", "model-training",  "logging-control", "guardrail",
        "credential",  "passrole",        "identity",        "code-execution",
        "account",     "key-destruction", "escalation"
    };
    memset(cf, 0, sizeof *cf);
    FILE *fp = fopen(TW_SOURCE_DIR "/rules/actions.catalog", "r");
    assert_non_null(fp);
    char line[512];
    size_t cap = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        char *t1 = strchr(line, '\t');
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2)
            continue;
        *t1 = '\0';
        const char *classes = t2 + 1;
        bool priv = false;
        for (size_t i = 0; i < sizeof privileged / sizeof privileged[0]; i++)
            priv |= class_in(classes, privileged[i]);
        if (priv || class_in(classes, "telemetry"))
            cf->n_table++;
        if (!priv)
            continue;
        if (!strncmp(line, "iam:", 4))
            cf->n_priv_iam++;
        if (cf->n_priv == cap) {
            cap = cap ? cap * 2 : 256;
            cf->priv = realloc(cf->priv, cap * sizeof *cf->priv);
            assert_non_null(cf->priv);
        }
        size_t len = strlen(line);
        cf->priv[cf->n_priv] = malloc(len + 1);
        assert_non_null(cf->priv[cf->n_priv]);
        memcpy(cf->priv[cf->n_priv], line, len + 1);
        cf->n_priv++;
    }
    fclose(fp);
}

static void catfile_free(catfile *cf)
{
    for (size_t i = 0; i < cf->n_priv; i++)
        free(cf->priv[i]);
    free(cf->priv);
}

/* ---- fixture ----------------------------------------------------------------------------- */

typedef struct pset {
    uint64_t *mem;
    tw_policy_grant g;
} pset;

typedef struct caught {
    char rule[64];
    char summary[320];
    char *details;
    char identity[128];
    char event_id[128];
    char ev0[64], ev1[64];
    int64_t time_ms, first_seen_ms;
    uint32_t n_evidence, det;
} caught;

#define MAX_CAUGHT 16
#define MAX_OPS 32

typedef struct fixture {
    tw_catalog *cat;
    tw_privtab *pt;
    tw_managed *managed;
    tw_json *js;
    uint32_t words, n;
    tw_grants *g;
    tw_rule_meta unused_meta, dormant_meta;
    caught f[MAX_CAUGHT];
    uint32_t n_f;
    tw_grant_op ops[MAX_OPS];
    pset op_sets[MAX_OPS];
    uint32_t n_ops;
    char ids[64][24];
    uint32_t n_ids;
    /* a book per partition (tw_grant_parts): events go through its stream detector, from
     * source (partition + 1), as copies of grant calls when copy */
    const tw_stream_detector *sd;
    uint16_t source;
    bool copy;
} fixture;

static void fx_init(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    char errstr[256] = "";
    if (tw_catalog_new(&fx->cat, errstr, sizeof errstr) != TW_OK)
        fail_msg("tw_catalog_new: %s", errstr);
    assert_int_equal(tw_privtab_new(fx->cat, &fx->pt), TW_OK);
    if (tw_managed_new(&fx->managed, errstr, sizeof errstr) != TW_OK)
        fail_msg("tw_managed_new: %s", errstr);
    fx->js = tw_json_new();
    assert_non_null(fx->js);
    fx->words = tw_privtab_words(fx->pt);
    fx->n = tw_privtab_count(fx->pt);
    assert_true(fx->words > 0);
}

static void fx_free(fixture *fx)
{
    tw_grants_destroy(fx->g);
    for (uint32_t i = 0; i < fx->n_f; i++)
        free(fx->f[i].details);
    for (uint32_t i = 0; i < fx->n_ops; i++)
        free(fx->op_sets[i].mem);
    tw_json_destroy(fx->js);
    tw_managed_destroy(fx->managed);
    tw_privtab_destroy(fx->pt);
    tw_catalog_destroy(fx->cat);
}

static pset pset_new(const fixture *fx)
{
    pset s;
    s.mem = calloc(3 * (size_t)fx->words, sizeof *s.mem);
    assert_non_null(s.mem);
    s.g.allowed = s.mem;
    s.g.conditional = s.mem + fx->words;
    s.g.denied = s.mem + 2 * fx->words;
    return s;
}

static uint32_t idx(const fixture *fx, const char *name)
{
    uint32_t i = tw_privtab_find(fx->pt, tw_str_c(name));
    if (i == TW_PRIV_NONE)
        fail_msg("%s: not in the privileged table", name);
    return i;
}

/* Expands a policy text that must parse. */
static pset expand_ok(fixture *fx, const char *text)
{
    pset s = pset_new(fx);
    char errstr[256] = "";
    tw_err err = tw_policy_expand_text(fx->pt, fx->js, tw_str_c(text), &s.g, errstr, sizeof errstr);
    if (err != TW_OK)
        fail_msg("expand %s: %d %s", text, (int)err, errstr);
    return s;
}

static void expand_fails(fixture *fx, const char *text)
{
    pset s = pset_new(fx);
    char errstr[256] = "";
    tw_err err = tw_policy_expand_text(fx->pt, fx->js, tw_str_c(text), &s.g, errstr, sizeof errstr);
    free(s.mem);
    if (err != TW_ERR_PARSE)
        fail_msg("expand %s: want TW_ERR_PARSE, got %d", text, (int)err);
    if (!errstr[0])
        fail_msg("expand %s: TW_ERR_PARSE without a message", text);
}

/* The names set in bits, exactly: every other table entry clear. */
static void bits_exactly(const fixture *fx, const uint64_t *bits, const char *const *names,
                         size_t n_names)
{
    assert_int_equal(tw_bits_count(bits, fx->words), n_names);
    for (size_t i = 0; i < n_names; i++)
        if (!tw_bits_test(bits, idx(fx, names[i])))
            fail_msg("%s: not set", names[i]);
}

static uint32_t count_priv(const fixture *fx, const uint64_t *bits)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < fx->n; i++)
        if (tw_bits_test(bits, i) && (tw_privtab_classes(fx->pt, i) & TW_CLASS_PRIVILEGED))
            n++;
    return n;
}

static bool is_iam(const fixture *fx, uint32_t i)
{
    return tw_str_starts(tw_privtab_name(fx->pt, i), "iam:");
}

#define POLICY(stmts) "{\"Version\":\"2012-10-17\",\"Statement\":" stmts "}"
#define ALLOW_STAR(action) "{\"Effect\":\"Allow\",\"Action\":" action ",\"Resource\":\"*\"}"

/* ---- the table ----------------------------------------------------------------------------- */

static void privtab_matches_catalog(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    catfile cf;
    catfile_read(&cf);
    print_message("catalog: %zu privileged (%zu iam), %zu with telemetry\n", cf.n_priv,
                  cf.n_priv_iam, cf.n_table);
    assert_true(cf.n_priv > 400);
    assert_int_equal(fx.n, cf.n_table);
    uint32_t n_priv = 0, n_tele_only = 0;
    for (uint32_t i = 0; i < fx.n; i++) {
        uint32_t c = tw_privtab_classes(fx.pt, i);
        if (c & TW_CLASS_PRIVILEGED)
            n_priv++;
        else if (c & TW_CLASS_TELEMETRY)
            n_tele_only++;
        else
            fail_msg("table entry %u holds neither privileged nor telemetry classes", i);
    }
    assert_int_equal(n_priv, cf.n_priv);
    assert_int_equal(n_priv + n_tele_only, cf.n_table);
    for (size_t k = 0; k < cf.n_priv; k++)
        assert_true(tw_privtab_classes(fx.pt, idx(&fx, cf.priv[k])) & TW_CLASS_PRIVILEGED);
    /* telemetry reads are in the table, not privileged */
    assert_false(tw_privtab_classes(fx.pt, idx(&fx, "logs:GetLogEvents")) & TW_CLASS_PRIVILEGED);
    assert_true(tw_privtab_classes(fx.pt, idx(&fx, "logs:GetLogEvents")) & TW_CLASS_TELEMETRY);
    /* a plain read or write is not */
    assert_int_equal(tw_privtab_find(fx.pt, tw_str_c("s3:GetObject")), TW_PRIV_NONE);
    assert_int_equal(tw_privtab_find(fx.pt, tw_str_c("s3:PutObject")), TW_PRIV_NONE);
    /* PassRole, and the catalog id -> table index */
    uint32_t pr = tw_privtab_passrole(fx.pt);
    assert_int_not_equal(pr, TW_PRIV_NONE);
    assert_true(tw_str_eq_c(tw_privtab_name(fx.pt, pr), "iam:PassRole"));
    tw_action a;
    assert_true(tw_catalog_find(fx.cat, tw_str_c("iam:PassRole"), &a));
    assert_int_equal(tw_privtab_index(fx.pt, a.id), pr);
    assert_true(tw_catalog_find(fx.cat, tw_str_c("s3:GetObject"), &a));
    assert_int_equal(tw_privtab_index(fx.pt, a.id), TW_PRIV_NONE);
    catfile_free(&cf);
    fx_free(&fx);
}

/* The unobservable list marks exactly its names that are in the table. */
static void privtab_unobservable_from_list(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    FILE *fp = fopen(TW_SOURCE_DIR "/rules/unobservable-actions.txt", "r");
    assert_non_null(fp);
    char line[256];
    uint32_t listed = 0;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        uint32_t i = tw_privtab_find(fx.pt, tw_str_c(line));
        if (i == TW_PRIV_NONE)
            continue;
        listed++;
        if (!tw_privtab_unobservable(fx.pt, i))
            fail_msg("%s: listed but not unobservable", line);
    }
    fclose(fp);
    assert_true(listed > 50);
    uint32_t marked = 0;
    for (uint32_t i = 0; i < fx.n; i++)
        marked += tw_privtab_unobservable(fx.pt, i);
    assert_int_equal(marked, listed);
    assert_false(tw_privtab_unobservable(fx.pt, idx(&fx, "iam:AttachRolePolicy")));
    /* a given list replaces the embedded one */
    tw_privtab *pt2 = NULL;
    const char *list = "# test\niam:AttachRolePolicy\nnot:There\n";
    assert_int_equal(tw_privtab_new_from_text(fx.cat, list, strlen(list), &pt2), TW_OK);
    uint32_t n2 = 0;
    for (uint32_t i = 0; i < tw_privtab_count(pt2); i++)
        n2 += tw_privtab_unobservable(pt2, i);
    assert_int_equal(n2, 1);
    assert_true(
        tw_privtab_unobservable(pt2, tw_privtab_find(pt2, tw_str_c("IAM:attachrolepolicy"))));
    tw_privtab_destroy(pt2);
    fx_free(&fx);
}

/* ---- expansion ----------------------------------------------------------------------------- */

static void expand_iam_star(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    catfile cf;
    catfile_read(&cf);
    pset s = expand_ok(&fx, POLICY("[" ALLOW_STAR("\"iam:*\"") "]"));
    assert_true(cf.n_priv_iam > 20);
    assert_int_equal(tw_bits_count(s.g.allowed, fx.words), cf.n_priv_iam);
    for (size_t k = 0; k < cf.n_priv; k++)
        if (!strncmp(cf.priv[k], "iam:", 4) && !tw_bits_test(s.g.allowed, idx(&fx, cf.priv[k])))
            fail_msg("iam:* misses %s", cf.priv[k]);
    assert_int_equal(tw_bits_count(s.g.conditional, fx.words), 0);
    free(s.mem);
    catfile_free(&cf);
    fx_free(&fx);
}

static void expand_wildcards(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    pset s = expand_ok(&fx, POLICY("[" ALLOW_STAR("\"iam:Put*Policy\"") "]"));
    static const char *const put[] = { "iam:PutGroupPolicy", "iam:PutRolePolicy",
                                       "iam:PutUserPolicy" };
    bits_exactly(&fx, s.g.allowed, put, 3);
    free(s.mem);

    s = expand_ok(&fx, POLICY("[" ALLOW_STAR("\"iam:?ttachRolePolicy\"") "]"));
    static const char *const attach[] = { "iam:AttachRolePolicy" };
    bits_exactly(&fx, s.g.allowed, attach, 1);
    free(s.mem);

    /* '?' is one character, never none or two */
    s = expand_ok(&fx, POLICY("[" ALLOW_STAR("[\"iam:?AttachRolePolicy\",\"iam:PassRol?\","
                                             "\"iam:PassRo?\"]") "]"));
    static const char *const pass[] = { "iam:PassRole" };
    bits_exactly(&fx, s.g.allowed, pass, 1);
    free(s.mem);

    /* case does not matter, in the service or the name */
    s = expand_ok(&fx, POLICY("[" ALLOW_STAR("\"IAM:passrole\"") "]"));
    bits_exactly(&fx, s.g.allowed, pass, 1);
    free(s.mem);

    /* "*" is every entry of the table, telemetry reads included */
    s = expand_ok(&fx, POLICY("[" ALLOW_STAR("\"*\"") "]"));
    assert_int_equal(tw_bits_count(s.g.allowed, fx.words), fx.n);
    assert_int_equal(tw_bits_count(s.g.conditional, fx.words), 0);
    free(s.mem);

    /* a wildcard in the service: every service's Put*Policy */
    s = expand_ok(&fx, POLICY("[" ALLOW_STAR("\"*:PutRolePolicy\"") "]"));
    assert_true(tw_bits_test(s.g.allowed, idx(&fx, "iam:PutRolePolicy")));
    assert_false(tw_bits_test(s.g.allowed, idx(&fx, "iam:PutUserPolicy")));
    free(s.mem);

    /* an action that is not privileged, an unknown service: nothing */
    s = expand_ok(&fx, POLICY("[" ALLOW_STAR("[\"s3:GetObject\",\"s3:Get*\",\"nosuch:*\"]") "]"));
    assert_int_equal(tw_bits_count(s.g.allowed, fx.words), 0);
    assert_int_equal(tw_bits_count(s.g.conditional, fx.words), 0);
    free(s.mem);
    fx_free(&fx);
}

static void expand_not_action(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    catfile cf;
    catfile_read(&cf);
    pset s = expand_ok(&fx, POLICY("[{\"Effect\":\"Allow\",\"NotAction\":[\"iam:*\"],"
                                   "\"Resource\":\"*\"}]"));
    for (uint32_t i = 0; i < fx.n; i++)
        if (tw_bits_test(s.g.allowed, i) == is_iam(&fx, i))
            fail_msg("NotAction iam:*: %.*s wrongly %s", (int)tw_privtab_name(fx.pt, i).len,
                     tw_privtab_name(fx.pt, i).p, is_iam(&fx, i) ? "granted" : "left out");
    assert_int_equal(count_priv(&fx, s.g.allowed), cf.n_priv - cf.n_priv_iam);
    assert_int_equal(tw_bits_count(s.g.conditional, fx.words), 0);
    /* no bit past the table's end */
    uint32_t tail = fx.n % 64;
    if (tail)
        assert_int_equal(s.g.allowed[fx.words - 1] >> tail, 0);
    free(s.mem);

    /* a Deny of everything but PassRole leaves PassRole alone */
    s = expand_ok(&fx, POLICY("[" ALLOW_STAR("\"*\"") ",{\"Effect\":\"Deny\",\"NotAction\":"
                                                      "\"iam:PassRole\",\"Resource\":\"*\"}]"));
    static const char *const pass[] = { "iam:PassRole" };
    bits_exactly(&fx, s.g.allowed, pass, 1);
    free(s.mem);
    catfile_free(&cf);
    fx_free(&fx);
}

static void expand_deny(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    uint32_t pr = idx(&fx, "iam:PassRole");
    pset iam = expand_ok(&fx, POLICY("[" ALLOW_STAR("\"iam:*\"") "]"));
    uint32_t n_iam = tw_bits_count(iam.g.allowed, fx.words);

    /* an unconditional Deny on every resource subtracts, whichever order */
    pset s = expand_ok(&fx, POLICY("[{\"Effect\":\"Deny\",\"Action\":\"iam:PassRole\","
                                   "\"Resource\":[\"*\"]}," ALLOW_STAR("\"iam:*\"") "]"));
    assert_int_equal(tw_bits_count(s.g.allowed, fx.words), n_iam - 1);
    assert_false(tw_bits_test(s.g.allowed, pr));
    assert_int_equal(tw_bits_count(s.g.conditional, fx.words), 0);
    free(s.mem);

    /* a Deny under a Condition may not apply: granted, conditionally */
    s = expand_ok(
        &fx, POLICY("[" ALLOW_STAR(
                 "\"iam:*\"") ",{\"Effect\":\"Deny\",\"Action\":"
                              "\"iam:PassRole\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":"
                              "{\"aws:RequestedRegion\":\"eu-west-1\"}}}]"));
    assert_int_equal(tw_bits_count(s.g.allowed, fx.words), n_iam);
    static const char *const pass[] = { "iam:PassRole" };
    bits_exactly(&fx, s.g.conditional, pass, 1);
    free(s.mem);

    /* likewise a Deny on some resources only */
    s = expand_ok(&fx,
                  POLICY("[" ALLOW_STAR(
                      "\"iam:*\"") ",{\"Effect\":\"Deny\",\"Action\":"
                                   "\"iam:PassRole\",\"Resource\":\"arn:aws:iam::1:role/x\"}]"));
    assert_true(tw_bits_test(s.g.allowed, pr));
    bits_exactly(&fx, s.g.conditional, pass, 1);
    free(s.mem);

    /* a Deny of what was never allowed grants nothing */
    s = expand_ok(&fx, POLICY("[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]"));
    assert_int_equal(tw_bits_count(s.g.allowed, fx.words), 0);
    free(s.mem);
    free(iam.mem);
    fx_free(&fx);
}

static void expand_conditional_allow(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    static const char *const pass[] = { "iam:PassRole" };
    /* on a specific resource: granted, conditionally */
    pset s = expand_ok(&fx, POLICY("[{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\","
                                   "\"Resource\":\"arn:aws:iam::1:role/x\"}]"));
    bits_exactly(&fx, s.g.allowed, pass, 1);
    bits_exactly(&fx, s.g.conditional, pass, 1);
    free(s.mem);
    /* under a Condition */
    s = expand_ok(&fx, POLICY("[{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\",\"Resource\":"
                              "\"*\",\"Condition\":{\"Bool\":{\"aws:MultiFactorAuthPresent\":"
                              "\"true\"}}}]"));
    bits_exactly(&fx, s.g.conditional, pass, 1);
    free(s.mem);
    /* NotResource */
    s = expand_ok(&fx, POLICY("[{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\","
                              "\"NotResource\":\"arn:aws:iam::1:role/x\"}]"));
    bits_exactly(&fx, s.g.conditional, pass, 1);
    free(s.mem);
    /* the same action also allowed on "*" without condition, in either order: not conditional */
    s = expand_ok(
        &fx, POLICY("[{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\","
                    "\"Resource\":\"arn:aws:iam::1:role/x\"}," ALLOW_STAR("\"iam:PassRole\"") "]"));
    bits_exactly(&fx, s.g.allowed, pass, 1);
    assert_int_equal(tw_bits_count(s.g.conditional, fx.words), 0);
    free(s.mem);
    s = expand_ok(
        &fx, POLICY("[" ALLOW_STAR(
                 "\"iam:Pass*\"") ",{\"Effect\":\"Allow\",\"Action\":"
                                  "\"iam:PassRole\",\"Resource\":\"arn:aws:iam::1:role/x\"}]"));
    assert_int_equal(tw_bits_count(s.g.conditional, fx.words), 0);
    free(s.mem);
    fx_free(&fx);
}

static void expand_shapes(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    static const char *const two[] = { "iam:PassRole", "iam:CreateAccessKey" };
    /* Statement as a single object, Action as a string */
    pset s = expand_ok(&fx, "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\","
                            "\"Resource\":\"*\"}}");
    bits_exactly(&fx, s.g.allowed, two, 1);
    free(s.mem);
    /* several statements add up; no Resource at all counts as every resource */
    s = expand_ok(&fx,
                  POLICY("[{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\"},"
                         "{\"Sid\":\"x\",\"Effect\":\"Allow\",\"Action\":[\"iam:CreateAccessKey\"],"
                         "\"Resource\":[\"arn:aws:s3:::b\",\"*\"]}]"));
    bits_exactly(&fx, s.g.allowed, two, 2);
    assert_int_equal(tw_bits_count(s.g.conditional, fx.words), 0);
    free(s.mem);
    /* results add to what the sets already hold (the caller zeroes them) */
    s = expand_ok(&fx, POLICY("[" ALLOW_STAR("\"iam:PassRole\"") "]"));
    char errstr[128];
    tw_str t = tw_str_c(POLICY("[" ALLOW_STAR("\"iam:CreateAccessKey\"") "]"));
    assert_int_equal(tw_policy_expand_text(fx.pt, fx.js, t, &s.g, errstr, sizeof errstr), TW_OK);
    bits_exactly(&fx, s.g.allowed, two, 2);
    free(s.mem);
    fx_free(&fx);
}

static void expand_errors(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    expand_fails(&fx, POLICY("[{\"Effect\":\"Maybe\",\"Action\":\"iam:*\",\"Resource\":\"*\"}]"));
    expand_fails(&fx, POLICY("[{\"Action\":\"iam:*\",\"Resource\":\"*\"}]"));
    expand_fails(&fx, POLICY("[{\"Effect\":\"Allow\",\"Action\":42,\"Resource\":\"*\"}]"));
    expand_fails(&fx,
                 POLICY("[{\"Effect\":\"Allow\",\"Action\":[\"iam:*\",7],\"Resource\":\"*\"}]"));
    expand_fails(&fx, POLICY("[{\"Effect\":\"Allow\",\"Resource\":\"*\"}]"));
    expand_fails(&fx,
                 POLICY("[{\"Effect\":\"Allow\",\"Action\":\"iam:*\",\"NotAction\":\"s3:*\"}]"));
    expand_fails(&fx, POLICY("[\"iam:*\"]"));
    expand_fails(&fx, POLICY("\"iam:*\""));
    expand_fails(&fx, "{\"Version\":\"2012-10-17\"}");
    expand_fails(&fx, "[1,2]");
    expand_fails(&fx, "not json at all");
    expand_fails(&fx, "{\"Statement\":[");
    expand_fails(&fx, "\"{}\"");
    expand_fails(&fx, "");
    /* the message says what is wrong */
    pset s = pset_new(&fx);
    char errstr[256] = "";
    tw_str t = tw_str_c(POLICY("[{\"Effect\":\"Maybe\",\"Action\":\"iam:*\"}]"));
    assert_int_equal(tw_policy_expand_text(fx.pt, fx.js, t, &s.g, errstr, sizeof errstr),
                     TW_ERR_PARSE);
    assert_non_null(strstr(errstr, "Effect"));
    t = tw_str_c("{\"Version\":\"2012-10-17\"}");
    assert_int_equal(tw_policy_expand_text(fx.pt, fx.js, t, &s.g, errstr, sizeof errstr),
                     TW_ERR_PARSE);
    assert_non_null(strstr(errstr, "Statement"));
    /* an error in a later statement grants nothing of the earlier ones */
    t = tw_str_c(POLICY("[" ALLOW_STAR("\"iam:*\"") ",{\"Effect\":\"Allow\",\"Action\":1}]"));
    assert_int_equal(tw_policy_expand_text(fx.pt, fx.js, t, &s.g, errstr, sizeof errstr),
                     TW_ERR_PARSE);
    assert_int_equal(tw_bits_count(s.g.allowed, fx.words), 0);
    free(s.mem);
    fx_free(&fx);
}

/* ---- policyDocument text forms ----------------------------------------------------------- */

#define DOC_TWO                                                                    \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":" \
    "[\"iam:PassRole\",\"iam:CreateAccessKey\"],\"Resource\":\"*\"}]}"
/* DOC_TWO URL-encoded (every reserved character), and with '+' for the spaces of a pretty
 * copy, as get-account-authorization-details and older CLIs give it */
#define DOC_TWO_URL                                                                            \
    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22" \
    "%2C%22Action%22%3A%5B%22iam%3APassRole%22%2C%22iam%3ACreateAccessKey%22%5D%2C%22Resource" \
    "%22%3A%22%2A%22%7D%5D%7D"
#define DOC_TWO_PLUS                                                                            \
    "%7B%0A++%22Version%22%3A+%222012-10-17%22%2C%0A++%22Statement%22%3A+%5B%7B%22Effect%22%3A" \
    "+%22Allow%22%2C+%22Action%22%3A+%5B%22iam%3APassRole%22%2C+%22iam%3ACreateAccessKey%22%5D" \
    "%2C+%22Resource%22%3A+%22*%22%7D%5D%0A%7D"

static void check_two(const fixture *fx, const pset *s)
{
    static const char *const two[] = { "iam:PassRole", "iam:CreateAccessKey" };
    bits_exactly(fx, s->g.allowed, two, 2);
    assert_int_equal(tw_bits_count(s->g.conditional, fx->words), 0);
}

static void policy_text_forms(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    pset s = expand_ok(&fx, DOC_TWO);
    check_two(&fx, &s);
    free(s.mem);
    s = expand_ok(&fx, DOC_TWO_URL);
    check_two(&fx, &s);
    free(s.mem);
    s = expand_ok(&fx, DOC_TWO_PLUS);
    check_two(&fx, &s);
    free(s.mem);
    s = expand_ok(&fx, " \n\t" DOC_TWO);
    check_two(&fx, &s);
    free(s.mem);
    s = expand_ok(&fx, "  " DOC_TWO_URL);
    check_two(&fx, &s);
    free(s.mem);
    /* a '+' in plain JSON stays a '+': it is not decoded (here it breaks the action name) */
    s = expand_ok(&fx, POLICY("[" ALLOW_STAR("[\"iam:Pass+Role\",\"iam:CreateAccessKey\"]") "]"));
    static const char *const key[] = { "iam:CreateAccessKey" };
    bits_exactly(&fx, s.g.allowed, key, 1);
    free(s.mem);
    /* URL-encoded garbage is still no policy */
    expand_fails(&fx, "%7B%22Statement%22%3A");
    fx_free(&fx);
}

/* requestParameters.policyDocument as CloudTrail gives it: a JSON string holding the policy
 * (escaped), or the policy as an object. */
static void policy_node_forms(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    static const char *const params[] = {
        "{\"policyName\":\"p\",\"policyDocument\":\"{\\\"Version\\\":\\\"2012-10-17\\\","
        "\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Action\\\":[\\\"iam:PassRole\\\","
        "\\\"iam:CreateAccessKey\\\"],\\\"Resource\\\":\\\"*\\\"}]}\"}",
        "{\"policyName\":\"p\",\"policyDocument\":\"" DOC_TWO_URL "\"}",
        "{\"policyName\":\"p\",\"policyDocument\":\"\\n  " DOC_TWO_PLUS "\"}",
        "{\"policyName\":\"p\",\"policyDocument\":" DOC_TWO "}",
    };
    for (size_t k = 0; k < sizeof params / sizeof params[0]; k++) {
        size_t len = strlen(params[k]);
        char *buf = calloc(len + TW_JSON_PADDING + 1, 1);
        assert_non_null(buf);
        memcpy(buf, params[k], len);
        memset(buf + len, ' ', TW_JSON_PADDING);
        tw_arena arena;
        tw_arena_init(&arena, 4096);
        tw_json_error jerr = { 0 };
        tw_jnode *root = tw_jdom_parse(fx.js, &arena, buf, len, len + TW_JSON_PADDING, 16, &jerr);
        if (!root)
            fail_msg("params %zu: %s", k, jerr.message);
        const tw_jnode *doc = tw_jnode_get(root, "policyDocument");
        assert_non_null(doc);
        pset s = pset_new(&fx);
        char errstr[256] = "";
        tw_err err = tw_policy_expand_node(fx.pt, fx.js, doc, &s.g, errstr, sizeof errstr);
        if (err != TW_OK)
            fail_msg("params %zu: %d %s", k, (int)err, errstr);
        check_two(&fx, &s);
        free(s.mem);
        /* the name is no policy */
        s = pset_new(&fx);
        assert_int_equal(tw_policy_expand_node(fx.pt, fx.js, tw_jnode_get(root, "policyName"), &s.g,
                                               errstr, sizeof errstr),
                         TW_ERR_PARSE);
        free(s.mem);
        tw_arena_free(&arena);
        free(buf);
    }
    fx_free(&fx);
}

/* ---- managed ------------------------------------------------------------------------------- */

static pset expand_managed(fixture *fx, const char *name)
{
    tw_str doc;
    if (!tw_managed_find(fx->managed, tw_str_c(name), &doc))
        fail_msg("%s: not found", name);
    pset s = pset_new(fx);
    char errstr[256] = "";
    if (tw_policy_expand_text(fx->pt, fx->js, doc, &s.g, errstr, sizeof errstr) != TW_OK)
        fail_msg("%s: %s", name, errstr);
    return s;
}

static void managed_expanded(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx);
    catfile cf;
    catfile_read(&cf);
    pset admin = expand_managed(&fx, "AdministratorAccess");
    assert_int_equal(count_priv(&fx, admin.g.allowed), cf.n_priv);
    assert_int_equal(tw_bits_count(admin.g.allowed, fx.words), fx.n);
    assert_int_equal(tw_bits_count(admin.g.conditional, fx.words), 0);
    pset iam = expand_managed(&fx, IAM_FULL);
    assert_int_equal(count_priv(&fx, iam.g.allowed), cf.n_priv_iam);
    for (uint32_t i = 0; i < fx.n; i++) {
        bool in_iam = is_iam(&fx, i) && (tw_privtab_classes(fx.pt, i) & TW_CLASS_PRIVILEGED);
        if (in_iam != tw_bits_test(iam.g.allowed, i) &&
            !tw_str_starts(tw_privtab_name(fx.pt, i), "organizations:"))
            fail_msg("IAMFullAccess and %.*s", (int)tw_privtab_name(fx.pt, i).len,
                     tw_privtab_name(fx.pt, i).p);
        if (tw_str_starts(tw_privtab_name(fx.pt, i), "bedrock"))
            assert_false(tw_bits_test(iam.g.allowed, i));
    }
    free(admin.mem);
    free(iam.mem);
    catfile_free(&cf);
    fx_free(&fx);
}

/* ---- the tracker --------------------------------------------------------------------------- */

static void capture(void *ud, const tw_finding *f, uint32_t det)
{
    fixture *fx = ud;
    assert_true(fx->n_f < MAX_CAUGHT);
    caught *c = &fx->f[fx->n_f++];
    memset(c, 0, sizeof *c);
    assert_non_null(f->rule);
    assert_non_null(f->ev);
    snprintf(c->rule, sizeof c->rule, "%s", f->rule->id);
    snprintf(c->summary, sizeof c->summary, "%s", f->summary);
    if (f->details.len) {
        c->details = malloc(f->details.len + 1);
        assert_non_null(c->details);
        memcpy(c->details, f->details.p, f->details.len);
        c->details[f->details.len] = '\0';
    }
    snprintf(c->identity, sizeof c->identity, "%.*s", (int)f->ev->identity.len, f->ev->identity.p);
    snprintf(c->event_id, sizeof c->event_id, "%.*s", (int)f->ev->event_id.len, f->ev->event_id.p);
    c->n_evidence = f->n_evidence;
    if (f->n_evidence > 0)
        snprintf(c->ev0, sizeof c->ev0, "%.*s", (int)f->evidence[0].event_id.len,
                 f->evidence[0].event_id.p);
    if (f->n_evidence > 1)
        snprintf(c->ev1, sizeof c->ev1, "%.*s", (int)f->evidence[1].event_id.len,
                 f->evidence[1].event_id.p);
    c->time_ms = f->ev->time_ms;
    c->first_seen_ms = f->first_seen_ms;
    c->det = det;
}

static void tracker_init(fixture *fx, bool dormant)
{
    fx_init(fx);
    fx->unused_meta = (tw_rule_meta){ .id = "unused-privileged-grant",
                                      .title = "Unused grant",
                                      .severity = TW_SEV_LOW };
    fx->dormant_meta = (tw_rule_meta){ .id = "dormant-privilege-used",
                                       .title = "Dormant privilege used",
                                       .severity = TW_SEV_HIGH };
    tw_grants_conf conf = { .privtab = fx->pt,
                            .catalog = fx->cat,
                            .managed = fx->managed,
                            .unused_after_ms = UNUSED_AFTER,
                            .unused_meta = &fx->unused_meta,
                            .dormant_meta = dormant ? &fx->dormant_meta : NULL,
                            .unused_detector = UNUSED_DET,
                            .dormant_detector = DORMANT_DET };
    fx->g = tw_grants_new(&conf);
    assert_non_null(fx->g);
}

/* An event by identity, of action, at t. */
static void feed_op(fixture *fx, int64_t t, const char *identity, const char *action, uint8_t flags,
                    const char *event_id, const tw_grant_op *op)
{
    tw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.time_ms = t;
    ev.identity = tw_str_c(identity);
    ev.identity_hash = tw_hash64(identity, strlen(identity), 0); /* as the normalizer sets it */
    ev.action = tw_str_c(action);
    ev.flags = flags;
    ev.kind = TW_KIND_SERVICE;
    tw_action a;
    if (tw_catalog_find(fx->cat, ev.action, &a)) {
        ev.action_id = a.id;
        ev.classes = a.classes;
        ev.flags |= TW_EV_ACTION_KNOWN;
    } else {
        ev.action_id = TW_ACTION_UNKNOWN;
    }
    if (!event_id) {
        assert_true(fx->n_ids < sizeof fx->ids / sizeof fx->ids[0]);
        snprintf(fx->ids[fx->n_ids], sizeof fx->ids[0], "ev-%u", fx->n_ids);
        event_id = fx->ids[fx->n_ids++];
    }
    ev.event_id = tw_str_c(event_id);
    /* as the parser gives it: never a NULL pointer */
    ev.error_code = flags & TW_EV_FAILED ? TW_STR_LIT("AccessDenied") : TW_STR_LIT("");
    ev.grant_op = op;
    tw_emit emit = { .fn = capture, .ud = fx };
    if (fx->sd) {
        ev.source = fx->source;
        if (fx->copy) {
            ev.flags |= TW_EV_GRANT_COPY;
            fx->sd->on_copy(fx->sd->self, &ev, &emit);
        } else {
            fx->sd->on_event(fx->sd->self, &ev, &emit);
        }
        return;
    }
    tw_grants_event(fx->g, &ev, &emit);
}

static void feed(fixture *fx, int64_t t, const char *identity, const char *action, uint8_t flags)
{
    feed_op(fx, t, identity, action, flags, NULL, NULL);
}

/* A tick: an unrelated event that moves event time. */
static void tick(fixture *fx, int64_t t)
{
    feed(fx, t, "arn:aws:iam::" ACCT ":user/bystander", "s3:GetObject", 0);
}

static tw_grant_op *op_new(fixture *fx, tw_grant_opcode code, tw_grant_target tt,
                           const char *target)
{
    assert_true(fx->n_ops < MAX_OPS);
    tw_grant_op *op = &fx->ops[fx->n_ops++];
    memset(op, 0, sizeof *op);
    op->op = code;
    op->target_type = tt;
    op->target = target ? tw_str_c(target) : TW_STR_NULL;
    return op;
}

static void op_document(fixture *fx, tw_grant_op *op, const char *text)
{
    pset *s = &fx->op_sets[fx->n_ops - 1];
    *s = pset_new(fx);
    op->has_document = true;
    char errstr[256] = "";
    if (tw_policy_expand_text(fx->pt, fx->js, tw_str_c(text), &s->g, errstr, sizeof errstr) !=
        TW_OK)
        op->unparseable = true;
    op->set = s->g;
}

static void attach(fixture *fx, int64_t t, tw_grant_target tt, const char *target, const char *arn,
                   const char *event_id)
{
    tw_grant_op *op = op_new(fx, TW_GOP_ATTACH, tt, target);
    op->policy_arn = tw_str_c(arn);
    const char *action = tt == TW_GT_ROLE   ? "iam:AttachRolePolicy"
                         : tt == TW_GT_USER ? "iam:AttachUserPolicy"
                                            : "iam:AttachGroupPolicy";
    feed_op(fx, t, ADMIN, action, 0, event_id, op);
}

static void detach(fixture *fx, int64_t t, tw_grant_target tt, const char *target, const char *arn)
{
    tw_grant_op *op = op_new(fx, TW_GOP_DETACH, tt, target);
    op->policy_arn = tw_str_c(arn);
    feed_op(fx, t, ADMIN, tt == TW_GT_ROLE ? "iam:DetachRolePolicy" : "iam:DetachGroupPolicy", 0,
            NULL, op);
}

static void put_inline(fixture *fx, int64_t t, tw_grant_target tt, const char *target,
                       const char *name, const char *doc, const char *event_id)
{
    tw_grant_op *op = op_new(fx, TW_GOP_PUT_INLINE, tt, target);
    op->policy_name = tw_str_c(name);
    op_document(fx, op, doc);
    feed_op(fx, t, ADMIN, tt == TW_GT_ROLE ? "iam:PutRolePolicy" : "iam:PutUserPolicy", 0, event_id,
            op);
}

static void membership(fixture *fx, int64_t t, bool add, const char *group, const char *user)
{
    tw_grant_op *op =
        op_new(fx, add ? TW_GOP_ADD_MEMBER : TW_GOP_REMOVE_MEMBER, TW_GT_GROUP, group);
    op->member = tw_str_c(user);
    feed_op(fx, t, ADMIN, add ? "iam:AddUserToGroup" : "iam:RemoveUserFromGroup", 0, NULL, op);
}

static const caught *only(const fixture *fx, const char *rule)
{
    const caught *c = NULL;
    for (uint32_t i = 0; i < fx->n_f; i++)
        if (!strcmp(fx->f[i].rule, rule)) {
            if (c)
                fail_msg("two %s findings", rule);
            c = &fx->f[i];
        }
    if (!c)
        fail_msg("no %s finding", rule);
    return c;
}

static uint32_t count_rule(const fixture *fx, const char *rule)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < fx->n_f; i++)
        n += !strcmp(fx->f[i].rule, rule);
    return n;
}

static void has(const char *text, const char *want)
{
    if (!text || !strstr(text, want))
        fail_msg("'%s' does not hold '%s'", text ? text : "(null)", want);
}

static void lacks(const char *text, const char *want)
{
    if (text && strstr(text, want))
        fail_msg("'%s' holds '%s'", text, want);
}

/* Observable privileged actions of IAMFullAccess, the count of its unused list when nothing
 * was used. */
static uint32_t iam_full_observable(fixture *fx, uint32_t *n_priv)
{
    pset s = expand_managed(fx, IAM_FULL);
    uint32_t n = 0, p = 0;
    for (uint32_t i = 0; i < fx->n; i++)
        if (tw_bits_test(s.g.allowed, i) && (tw_privtab_classes(fx->pt, i) & TW_CLASS_PRIVILEGED)) {
            p++;
            n += !tw_privtab_unobservable(fx->pt, i);
        }
    free(s.mem);
    *n_priv = p;
    return n;
}

static void unused_at_deadline(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    uint32_t n_priv, n_obs = iam_full_observable(&fx, &n_priv);
    attach(&fx, T0, TW_GT_ROLE, ROLE_R, IAM_FULL, "grant-1");
    /* past the first hour (a use within it is dormant_fresh's) */
    feed(&fx, T0 + 2 * HOUR, ROLE_R, "iam:AttachRolePolicy", 0);
    feed(&fx, T0 + 3 * HOUR, ROLE_R, "iam:AttachRolePolicy", 0); /* twice: one used action */
    tick(&fx, T0 + UNUSED_AFTER - 1);
    assert_int_equal(fx.n_f, 0);
    tick(&fx, T0 + UNUSED_AFTER);
    assert_int_equal(fx.n_f, 1);
    const caught *c = only(&fx, "unused-privileged-grant");
    assert_int_equal(c->det, UNUSED_DET);
    assert_string_equal(c->identity, ROLE_R);
    assert_string_equal(c->event_id, "grant-1");
    assert_int_equal(c->time_ms, T0 + UNUSED_AFTER);
    assert_int_equal(c->first_seen_ms, T0);
    assert_int_equal(c->n_evidence, 1);
    assert_string_equal(c->ev0, "grant-1");
    char want[160];
    snprintf(want, sizeof want, "%u of %u privileged actions unused for 30 days", n_obs - 1,
             n_priv);
    has(c->summary, want);
    has(c->summary, "iam:AttachRolePolicy " IAM_FULL);
    has(c->summary, "; 1 used");
    has(c->details, "\"grant\":{\"source\":\"iam:AttachRolePolicy " IAM_FULL "\"");
    has(c->details, "\"policy_arn\":\"" IAM_FULL "\"");
    has(c->details, "\"granted\":\"2026-01-01T00:00:00Z\"");
    snprintf(want, sizeof want, "\"privileged_granted\":%u,\"unused_count\":%u,", n_priv,
             n_obs - 1);
    has(c->details, want);
    has(c->details, "\"used_count\":1,\"used\":[\"iam:AttachRolePolicy\"]");
    has(c->details, "\"iam:CreateAccessKey\"");
    has(c->details, "\"observed_to\":\"2026-01-31T00:00:00Z\"");
    has(c->details, "\"unused_after_days\":30}");
    /* the used action is in no unused list */
    const char *unused = strstr(c->details, "\"unused\":[");
    const char *used = strstr(c->details, "\"used_count\"");
    assert_non_null(unused);
    assert_non_null(used);
    const char *hit = strstr(unused, "\"iam:AttachRolePolicy\"");
    assert_true(hit > used);
    lacks(c->details, "via_group");
    /* once per grant */
    tick(&fx, T0 + 2 * UNUSED_AFTER + 1);
    assert_int_equal(fx.n_f, 1);
    tw_grants_stats st;
    tw_grants_get_stats(fx.g, &st);
    assert_int_equal(st.grants_stream, 1);
    assert_int_equal(st.findings_unused, 1);
    assert_int_equal(st.uses, 2);
    fx_free(&fx);
}

/* A Deny in any of the identity's policies takes the action from all of them (DESIGN §5): an
 * inline guard denying two IAM actions on every resource leaves IAMFullAccess granting the
 * rest; a Deny under a condition narrows nothing it can be sure of; a policy that only
 * denies grants nothing (no finding of its own). */
static void deny_from_another_policy_applies(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    uint32_t n_priv, n_obs = iam_full_observable(&fx, &n_priv);
    attach(&fx, T0, TW_GT_ROLE, ROLE_R, IAM_FULL, "grant-1");
    put_inline(&fx, T0 + 1, TW_GT_ROLE, ROLE_R, "guard",
               POLICY("[{\"Effect\":\"Deny\",\"Action\":[\"iam:CreateAccessKey\","
                      "\"iam:CreateUser\"],\"Resource\":\"*\"},{\"Effect\":\"Deny\","
                      "\"Action\":\"iam:CreateRole\",\"Resource\":\"*\",\"Condition\":{"
                      "\"Bool\":{\"aws:MultiFactorAuthPresent\":\"false\"}}}]"),
               "guard-1");
    tick(&fx, T0 + UNUSED_AFTER + 1);
    assert_int_equal(fx.n_f, 1);
    const caught *c = only(&fx, "unused-privileged-grant");
    assert_string_equal(c->event_id, "grant-1");
    char want[160];
    snprintf(want, sizeof want, "%u of %u privileged actions unused", n_obs - 2, n_priv - 2);
    has(c->summary, want);
    lacks(c->details, "\"iam:CreateAccessKey\"");
    lacks(c->details, "\"iam:CreateUser\"");
    has(c->details, "\"iam:CreateRole\""); /* the conditional Deny takes nothing away */
    fx_free(&fx);
}

/* Actions CloudTrail never records are counted apart, never listed unused (nobody could see
 * them used); conditional grants are counted. */
static void unobservable_and_conditional(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    uint32_t bypass = idx(&fx, "s3:BypassGovernanceRetention");
    assert_true(tw_privtab_unobservable(fx.pt, bypass));
    assert_true(tw_privtab_classes(fx.pt, bypass) & TW_CLASS_PRIVILEGED);
    put_inline(
        &fx, T0, TW_GT_ROLE, ROLE_R, "mixed",
        POLICY("[" ALLOW_STAR("[\"iam:CreateAccessKey\",\"s3:BypassGovernanceRetention\"]") "]"),
        NULL);
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_S, "blind",
               POLICY("[" ALLOW_STAR("\"s3:BypassGovernanceRetention\"") "]"), NULL);
    put_inline(&fx, T0, TW_GT_USER, USER_U, "cond",
               POLICY("[{\"Effect\":\"Allow\",\"Action\":\"iam:CreateAccessKey\",\"Resource\":"
                      "\"arn:aws:iam::1:user/x\"}," ALLOW_STAR("\"iam:PassRole\"") "]"),
               NULL);
    tick(&fx, T0 + UNUSED_AFTER);
    assert_int_equal(fx.n_f, 2); /* nothing for S: nothing it holds could be seen used */
    for (uint32_t i = 0; i < fx.n_f; i++) {
        const caught *c = &fx.f[i];
        assert_string_equal(c->rule, "unused-privileged-grant");
        if (!strcmp(c->identity, ROLE_R)) {
            has(c->details, "\"privileged_granted\":2,\"unused_count\":1,\"unused\":"
                            "[\"iam:CreateAccessKey\"]");
            has(c->details, "\"unobservable_count\":1,\"conditional_unused_count\":0");
            has(c->summary, "1 of 2 privileged actions unused");
            has(c->summary, "; 1 unrecorded by CloudTrail");
            lacks(c->summary, "conditionally");
        } else {
            assert_string_equal(c->identity, USER_U);
            has(c->details, "\"unused_count\":2,");
            has(c->details, "\"unobservable_count\":0,\"conditional_unused_count\":1");
            has(c->summary, "; some granted only conditionally");
        }
    }
    fx_free(&fx);
}

/* Every observable privileged action used: the grant is judged and nothing is said. */
static void all_used_no_finding(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_R, "two", DOC_TWO, NULL);
    feed(&fx, T0 + DAY, ROLE_R, "iam:PassRole", 0);
    feed(&fx, T0 + 2 * DAY, ROLE_R, "iam:CreateAccessKey", 0);
    tick(&fx, T0 + UNUSED_AFTER + DAY);
    assert_int_equal(fx.n_f, 0);
    /* nor later: a use after the judgement is no dormant use */
    feed(&fx, T0 + UNUSED_AFTER + 2 * DAY, ROLE_R, "iam:CreateAccessKey", 0);
    assert_int_equal(fx.n_f, 0);
    fx_free(&fx);
}

static void use_before_grant_not_counted(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    /* R holds a grant already (so its uses are booked), uses PassRole, then gets DOC_TWO */
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_R, "first", POLICY("[" ALLOW_STAR("\"iam:PassRole\"") "]"),
               NULL);
    feed(&fx, T0 + DAY, ROLE_R, "iam:PassRole", 0);
    /* S has no grant yet when it uses CreateAccessKey */
    feed(&fx, T0 + DAY, ROLE_S, "iam:CreateAccessKey", 0);
    put_inline(&fx, T0 + 2 * DAY, TW_GT_ROLE, ROLE_R, "two", DOC_TWO, "grant-r");
    put_inline(&fx, T0 + 2 * DAY, TW_GT_ROLE, ROLE_S, "two", DOC_TWO, "grant-s");
    tick(&fx, T0 + UNUSED_AFTER + 2 * DAY);
    /* "first" was used: nothing; R's and S's "two" report both actions unused */
    assert_int_equal(fx.n_f, 2);
    for (uint32_t i = 0; i < 2; i++) {
        const caught *c = &fx.f[i];
        assert_string_equal(c->rule, "unused-privileged-grant");
        assert_string_equal(c->event_id, !strcmp(c->identity, ROLE_R) ? "grant-r" : "grant-s");
        has(c->details, "\"policy_name\":\"two\"");
        has(c->details, "\"privileged_granted\":2,\"unused_count\":2,");
        has(c->details, "\"used_count\":0,\"used\":[]");
        has(c->summary, "inline policy two");
    }
    fx_free(&fx);
}

static void denied_use_not_counted(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_R, "two", DOC_TWO, NULL);
    feed(&fx, T0 + DAY, ROLE_R, "iam:PassRole", TW_EV_FAILED | TW_EV_DENIED);
    feed(&fx, T0 + DAY, ROLE_R, "iam:CreateAccessKey", TW_EV_FAILED);
    tick(&fx, T0 + UNUSED_AFTER);
    const caught *c = only(&fx, "unused-privileged-grant");
    has(c->details, "\"unused_count\":2,");
    has(c->details, "\"used_count\":0,");
    tw_grants_stats st;
    tw_grants_get_stats(fx.g, &st);
    assert_int_equal(st.uses, 0);
    fx_free(&fx);
}

/* A call that hands a role to a service uses iam:PassRole, whatever its own action. */
static void passes_role_marks_passrole(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_R, "two", DOC_TWO, NULL);
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_S, "two", DOC_TWO, NULL);
    feed(&fx, T0 + DAY, ROLE_R, "lambda:CreateFunction", TW_EV_PASSES_ROLE);
    feed(&fx, T0 + DAY, ROLE_S, "lambda:CreateFunction", 0);
    tick(&fx, T0 + UNUSED_AFTER);
    assert_int_equal(fx.n_f, 2);
    for (uint32_t i = 0; i < 2; i++) {
        const caught *c = &fx.f[i];
        if (!strcmp(c->identity, ROLE_R)) {
            has(c->details, "\"unused_count\":1,\"unused\":[\"iam:CreateAccessKey\"]");
            has(c->details, "\"used_count\":1,\"used\":[\"iam:PassRole\"]");
        } else {
            assert_string_equal(c->identity, ROLE_S);
            has(c->details, "\"unused_count\":2,");
            has(c->details, "\"used_count\":0,");
        }
    }
    fx_free(&fx);
}

static void detach_before_deadline(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    attach(&fx, T0, TW_GT_ROLE, ROLE_R, IAM_FULL, NULL);
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_R, "two", DOC_TWO, NULL);
    detach(&fx, T0 + DAY, TW_GT_ROLE, ROLE_R, IAM_FULL);
    tw_grant_op *op = op_new(&fx, TW_GOP_DELETE_INLINE, TW_GT_ROLE, ROLE_R);
    op->policy_name = tw_str_c("two");
    feed_op(&fx, T0 + DAY, ADMIN, "iam:DeleteRolePolicy", 0, NULL, op);
    tick(&fx, T0 + UNUSED_AFTER + DAY);
    assert_int_equal(fx.n_f, 0);
    tw_grants_stats st;
    tw_grants_get_stats(fx.g, &st);
    assert_int_equal(st.revoked, 2);
    /* a detach of another policy, or a failed detach, revokes nothing */
    attach(&fx, T0 + 40 * DAY, TW_GT_ROLE, ROLE_S, IAM_FULL, NULL);
    detach(&fx, T0 + 41 * DAY, TW_GT_ROLE, ROLE_S, ADMIN_ACCESS);
    op = op_new(&fx, TW_GOP_DETACH, TW_GT_ROLE, ROLE_S);
    op->policy_arn = tw_str_c(IAM_FULL);
    feed_op(&fx, T0 + 41 * DAY, ADMIN, "iam:DetachRolePolicy", TW_EV_FAILED | TW_EV_DENIED, NULL,
            op);
    tick(&fx, T0 + 40 * DAY + UNUSED_AFTER);
    assert_string_equal(only(&fx, "unused-privileged-grant")->identity, ROLE_S);
    fx_free(&fx);
}

/* DeleteRole takes every grant with it; a failed attach grants nothing. */
static void delete_principal_and_failed_grant(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    attach(&fx, T0, TW_GT_ROLE, ROLE_R, IAM_FULL, NULL);
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_R, "two", DOC_TWO, NULL);
    feed_op(&fx, T0 + DAY, ADMIN, "iam:DeleteRole", 0, NULL,
            op_new(&fx, TW_GOP_DELETE_PRINCIPAL, TW_GT_ROLE, ROLE_R));
    tw_grant_op *op = op_new(&fx, TW_GOP_ATTACH, TW_GT_ROLE, ROLE_S);
    op->policy_arn = tw_str_c(IAM_FULL);
    feed_op(&fx, T0 + DAY, ADMIN, "iam:AttachRolePolicy", TW_EV_FAILED | TW_EV_DENIED, NULL, op);
    tick(&fx, T0 + UNUSED_AFTER + 2 * DAY);
    assert_int_equal(fx.n_f, 0);
    tw_grants_stats st;
    tw_grants_get_stats(fx.g, &st);
    assert_int_equal(st.grants_stream, 2);
    assert_int_equal(st.revoked, 2);
    fx_free(&fx);
}

static void reattach_restarts_period(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    attach(&fx, T0, TW_GT_ROLE, ROLE_R, IAM_FULL, "grant-1");
    attach(&fx, T0 + 10 * DAY, TW_GT_ROLE, ROLE_R, IAM_FULL, "grant-2");
    tick(&fx, T0 + UNUSED_AFTER);
    assert_int_equal(fx.n_f, 0);
    tick(&fx, T0 + 10 * DAY + UNUSED_AFTER - 1);
    assert_int_equal(fx.n_f, 0);
    tick(&fx, T0 + 10 * DAY + UNUSED_AFTER);
    const caught *c = only(&fx, "unused-privileged-grant");
    assert_string_equal(c->event_id, "grant-2");
    assert_string_equal(c->ev0, "grant-2");
    assert_int_equal(c->first_seen_ms, T0 + 10 * DAY);
    has(c->details, "\"granted\":\"2026-01-11T00:00:00Z\"");
    fx_free(&fx);
}

/* A group's policy reaches a member added later, from the membership on. */
static void group_policy_reaches_member(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    attach(&fx, T0, TW_GT_GROUP, GROUP_G, IAM_FULL, "grant-g");
    membership(&fx, T0 + 5 * DAY, true, GROUP_G, USER_U);
    tick(&fx, T0 + UNUSED_AFTER);
    assert_int_equal(fx.n_f, 0);
    tick(&fx, T0 + 5 * DAY + UNUSED_AFTER);
    const caught *c = only(&fx, "unused-privileged-grant");
    assert_string_equal(c->identity, USER_U);
    assert_int_equal(c->first_seen_ms, T0 + 5 * DAY);
    has(c->details, "\"via_group\":\"" GROUP_G "\"");
    has(c->details, "\"policy_arn\":\"" IAM_FULL "\"");
    has(c->summary, "iam:AddUserToGroup " IAM_FULL " via " GROUP_G);
    fx_free(&fx);
}

/* Members use the group's grants as their own, and a member's use counts for the member only. */
static void group_member_use(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    membership(&fx, T0, true, GROUP_G, USER_U);
    membership(&fx, T0, true, GROUP_G, "arn:aws:iam::" ACCT ":user/V");
    tw_grant_op *op = op_new(&fx, TW_GOP_PUT_INLINE, TW_GT_GROUP, GROUP_G);
    op->policy_name = tw_str_c("gtwo");
    op_document(&fx, op, DOC_TWO);
    feed_op(&fx, T0 + DAY, ADMIN, "iam:PutGroupPolicy", 0, NULL, op);
    feed(&fx, T0 + 2 * DAY, USER_U, "iam:CreateAccessKey", 0);
    tick(&fx, T0 + DAY + UNUSED_AFTER);
    assert_int_equal(fx.n_f, 2);
    for (uint32_t i = 0; i < 2; i++) {
        const caught *c = &fx.f[i];
        has(c->details, "\"policy_name\":\"gtwo\"");
        has(c->details, "\"via_group\":\"" GROUP_G "\"");
        if (!strcmp(c->identity, USER_U))
            has(c->details, "\"unused_count\":1,\"unused\":[\"iam:PassRole\"]");
        else
            has(c->details, "\"unused_count\":2,");
    }
    fx_free(&fx);
}

static void remove_from_group_revokes(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    attach(&fx, T0, TW_GT_GROUP, GROUP_G, IAM_FULL, NULL);
    membership(&fx, T0 + DAY, true, GROUP_G, USER_U);
    membership(&fx, T0 + 2 * DAY, false, GROUP_G, USER_U);
    tick(&fx, T0 + DAY + UNUSED_AFTER + 1);
    assert_int_equal(fx.n_f, 0);
    /* and a detach from the group revokes the members' grant */
    membership(&fx, T0 + 40 * DAY, true, GROUP_G, USER_U);
    detach(&fx, T0 + 41 * DAY, TW_GT_GROUP, GROUP_G, IAM_FULL);
    tick(&fx, T0 + 40 * DAY + UNUSED_AFTER + 1);
    assert_int_equal(fx.n_f, 0);
    /* a member removed keeps the grants it holds of its own */
    attach(&fx, T0 + 80 * DAY, TW_GT_GROUP, GROUP_G, IAM_FULL, NULL);
    attach(&fx, T0 + 80 * DAY, TW_GT_USER, USER_U, IAM_FULL, "direct");
    membership(&fx, T0 + 80 * DAY, false, GROUP_G, USER_U);
    tick(&fx, T0 + 80 * DAY + UNUSED_AFTER);
    const caught *c = only(&fx, "unused-privileged-grant");
    assert_string_equal(c->event_id, "direct");
    lacks(c->details, "via_group");
    fx_free(&fx);
}

#define DOC_TRAIN POLICY("[" ALLOW_STAR("\"bedrock:CreateModelCustomizationJob\"") "]")

static void policy_create(fixture *fx, int64_t t, tw_grant_opcode code, const char *version,
                          bool set_default, const char *doc)
{
    tw_grant_op *op = op_new(fx, code, TW_GT_POLICY, NULL);
    op->policy_arn = tw_str_c(CUST_P);
    op->version_id = version ? tw_str_c(version) : TW_STR_NULL;
    op->set_default = set_default;
    if (doc)
        op_document(fx, op, doc);
    const char *action = code == TW_GOP_CREATE_POLICY    ? "iam:CreatePolicy"
                         : code == TW_GOP_CREATE_VERSION ? "iam:CreatePolicyVersion"
                                                         : "iam:SetDefaultPolicyVersion";
    feed_op(fx, t, ADMIN, action, 0, NULL, op);
}

/* A customer policy is judged by its default version at the deadline. */
static void customer_policy_versions(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    policy_create(&fx, T0, TW_GOP_CREATE_POLICY, "v1", false, DOC_TWO);
    attach(&fx, T0 + 1, TW_GT_ROLE, ROLE_R, CUST_P, "grant-p");
    attach(&fx, T0 + 1, TW_GT_ROLE, ROLE_S, CUST_P, "grant-q");
    policy_create(&fx, T0 + DAY, TW_GOP_CREATE_VERSION, "v2", true, DOC_TRAIN);
    /* a version that is not made the default changes nothing */
    policy_create(&fx, T0 + 2 * DAY, TW_GOP_CREATE_VERSION, "v3", false,
                  POLICY("[" ALLOW_STAR("\"iam:*\"") "]"));
    tick(&fx, T0 + 1 + UNUSED_AFTER);
    assert_int_equal(count_rule(&fx, "unused-privileged-grant"), 2);
    for (uint32_t i = 0; i < fx.n_f; i++) {
        const caught *c = &fx.f[i];
        if (strcmp(c->rule, "unused-privileged-grant"))
            continue;
        has(c->details, "\"policy_arn\":\"" CUST_P "\"");
        has(c->details, "\"privileged_granted\":1,\"unused_count\":1,\"unused\":"
                        "[\"bedrock:CreateModelCustomizationJob\"]");
        lacks(c->details, "iam:CreateAccessKey");
    }
    fx_free(&fx);
}

/* SetDefaultPolicyVersion back to v1 before the deadline: v1 is judged. */
static void customer_policy_set_default(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    policy_create(&fx, T0, TW_GOP_CREATE_POLICY, "v1", false, DOC_TWO);
    policy_create(&fx, T0, TW_GOP_CREATE_VERSION, "v2", true, DOC_TRAIN);
    attach(&fx, T0 + 1, TW_GT_ROLE, ROLE_R, CUST_P, NULL);
    policy_create(&fx, T0 + DAY, TW_GOP_SET_DEFAULT, "v1", false, NULL);
    tick(&fx, T0 + 1 + UNUSED_AFTER);
    const caught *c = only(&fx, "unused-privileged-grant");
    has(c->details, "\"privileged_granted\":2,\"unused_count\":2,");
    lacks(c->details, "bedrock:");
    fx_free(&fx);
}

/* A customer policy the tracker never saw created is unknown: nothing to say (and a customer
 * ARN that shares an AWS policy's name is not AWS's). */
static void unknown_policy_silent(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    attach(&fx, T0, TW_GT_ROLE, ROLE_R, "arn:aws:iam::" ACCT ":policy/AdministratorAccess", NULL);
    attach(&fx, T0, TW_GT_ROLE, ROLE_R, "arn:aws:iam::" ACCT ":policy/Unknown", NULL);
    tick(&fx, T0 + UNUSED_AFTER + 1);
    assert_int_equal(fx.n_f, 0);
    tw_grants_stats st;
    tw_grants_get_stats(fx.g, &st);
    assert_int_equal(st.unresolved, 2);
    assert_int_equal(st.findings_unused, 0);
    fx_free(&fx);
}

static void dormant_after_report(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_R, "two", DOC_TWO, "grant-1");
    tick(&fx, T0 + UNUSED_AFTER);
    assert_int_equal(fx.n_f, 1);
    feed_op(&fx, T0 + UNUSED_AFTER + DAY, ROLE_R, "iam:CreateAccessKey", 0, "use-1", NULL);
    assert_int_equal(fx.n_f, 2);
    const caught *c = &fx.f[1];
    assert_string_equal(c->rule, "dormant-privilege-used");
    assert_int_equal(c->det, DORMANT_DET);
    assert_string_equal(c->identity, ROLE_R);
    assert_string_equal(c->event_id, "grant-1+use-1");
    assert_int_equal(c->time_ms, T0 + UNUSED_AFTER + DAY);
    assert_int_equal(c->first_seen_ms, T0);
    assert_int_equal(c->n_evidence, 2);
    assert_string_equal(c->ev0, "grant-1");
    assert_string_equal(c->ev1, "use-1");
    has(c->summary, "Dormant privilege used: iam:CreateAccessKey used after the grant was "
                    "reported unused");
    /* once per grant: neither a second dormant nor a second unused finding */
    feed(&fx, T0 + UNUSED_AFTER + 2 * DAY, ROLE_R, "iam:PassRole", 0);
    feed(&fx, T0 + UNUSED_AFTER + 2 * DAY, ROLE_R, "iam:CreateAccessKey", 0);
    tick(&fx, T0 + 3 * UNUSED_AFTER);
    assert_int_equal(fx.n_f, 2);
    assert_int_equal(count_rule(&fx, "unused-privileged-grant"), 1);
    tw_grants_stats st;
    tw_grants_get_stats(fx.g, &st);
    assert_int_equal(st.findings_dormant, 1);
    assert_int_equal(st.findings_unused, 1);
    fx_free(&fx);
}

/* Only an action reported unused is dormant; with no dormant rule, nothing is raised. */
static void dormant_only_reported_actions(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_R, "two", DOC_TWO, NULL);
    feed(&fx, T0 + DAY, ROLE_R, "iam:PassRole", 0);
    tick(&fx, T0 + UNUSED_AFTER);
    assert_int_equal(fx.n_f, 1);
    feed(&fx, T0 + UNUSED_AFTER + DAY, ROLE_R, "iam:PassRole", 0); /* used before: not dormant */
    feed(&fx, T0 + UNUSED_AFTER + DAY, ROLE_R, "iam:CreateAccessKey", TW_EV_FAILED | TW_EV_DENIED);
    assert_int_equal(fx.n_f, 1);
    fx_free(&fx);

    tracker_init(&fx, false);
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_R, "two", DOC_TWO, NULL);
    tick(&fx, T0 + UNUSED_AFTER);
    feed(&fx, T0 + UNUSED_AFTER + DAY, ROLE_R, "iam:CreateAccessKey", 0);
    assert_int_equal(fx.n_f, 1);
    assert_string_equal(fx.f[0].rule, "unused-privileged-grant");
    fx_free(&fx);
}

/* The first use of an action within the hour of a grant from the stream (escalate, then use)
 * raises dormant-privilege-used once per grant; the grant is still judged at its deadline. */
static void dormant_fresh_use(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    attach(&fx, T0, TW_GT_ROLE, ROLE_R, IAM_FULL, "grant-1");
    attach(&fx, T0, TW_GT_ROLE, ROLE_S, IAM_FULL, "grant-2");
    feed_op(&fx, T0 + 30 * 60000, ROLE_R, "iam:CreateAccessKey", 0, "use-1", NULL);
    assert_int_equal(fx.n_f, 1);
    const caught *c = &fx.f[0];
    assert_string_equal(c->rule, "dormant-privilege-used");
    assert_int_equal(c->det, DORMANT_DET);
    assert_string_equal(c->identity, ROLE_R);
    assert_string_equal(c->event_id, "grant-1+use-1");
    assert_int_equal(c->n_evidence, 2);
    assert_string_equal(c->ev0, "grant-1");
    assert_string_equal(c->ev1, "use-1");
    has(c->summary, "iam:CreateAccessKey used 30 minutes after it was granted");
    /* once per grant */
    feed(&fx, T0 + 40 * 60000, ROLE_R, "iam:PassRole", 0);
    /* a denied attempt is no use; past the hour is no fresh use */
    feed(&fx, T0 + 50 * 60000, ROLE_S, "iam:CreateAccessKey", TW_EV_FAILED | TW_EV_DENIED);
    feed(&fx, T0 + HOUR + 1, ROLE_S, "iam:CreateAccessKey", 0);
    assert_int_equal(fx.n_f, 1);
    /* still judged at the deadline, its uses counted */
    tick(&fx, T0 + UNUSED_AFTER);
    assert_int_equal(count_rule(&fx, "unused-privileged-grant"), 2);
    for (uint32_t i = 0; i < fx.n_f; i++)
        if (!strcmp(fx.f[i].rule, "unused-privileged-grant") && !strcmp(fx.f[i].identity, ROLE_R))
            has(fx.f[i].details, "\"used_count\":2,\"used\":[");
    /* and an action reported unused, used later, is dormant still */
    feed(&fx, T0 + UNUSED_AFTER + DAY, ROLE_R, "iam:AttachRolePolicy", 0);
    assert_int_equal(count_rule(&fx, "dormant-privilege-used"), 2);
    has(fx.f[fx.n_f - 1].summary, "used after the grant was reported unused");
    fx_free(&fx);
}

/* DeleteGroup: the group's grants go, for its members and for whoever is added to a group of
 * that name later (a new group, created after).
 * (AWS refuses the delete while policies or members remain; a trail that starts mid-history
 * can still show it.) */
static void delete_group_grants_go(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    attach(&fx, T0, TW_GT_GROUP, GROUP_G, IAM_FULL, NULL);
    membership(&fx, T0, true, GROUP_G, USER_U);
    feed_op(&fx, T0 + DAY, ADMIN, "iam:DeleteGroup", 0, NULL,
            op_new(&fx, TW_GOP_DELETE_PRINCIPAL, TW_GT_GROUP, GROUP_G));
    tick(&fx, T0 + UNUSED_AFTER + 1);
    assert_int_equal(fx.n_f, 0);
    membership(&fx, T0 + 40 * DAY, true, GROUP_G, "arn:aws:iam::" ACCT ":user/V");
    tick(&fx, T0 + 40 * DAY + UNUSED_AFTER + 1);
    assert_int_equal(fx.n_f, 0);
    fx_free(&fx);
}

/* DeleteUser: every grant of the user goes, those its groups would bring later included. */
static void delete_user_grants_go(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    membership(&fx, T0, true, GROUP_G, USER_U);
    feed_op(&fx, T0 + DAY, ADMIN, "iam:DeleteUser", 0, NULL,
            op_new(&fx, TW_GOP_DELETE_PRINCIPAL, TW_GT_USER, USER_U));
    attach(&fx, T0 + 2 * DAY, TW_GT_GROUP, GROUP_G, IAM_FULL, NULL);
    tick(&fx, T0 + 2 * DAY + UNUSED_AFTER + 1);
    assert_int_equal(fx.n_f, 0);
    fx_free(&fx);
}

/* A grant detached after its report is held no more: a later use of the action, through
 * another grant, is not that grant's dormant privilege. */
static void dormant_not_for_revoked_grant(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    attach(&fx, T0, TW_GT_ROLE, ROLE_R, IAM_FULL, "grant-1");
    tick(&fx, T0 + UNUSED_AFTER);
    assert_int_equal(count_rule(&fx, "unused-privileged-grant"), 1);
    detach(&fx, T0 + UNUSED_AFTER + DAY, TW_GT_ROLE, ROLE_R, IAM_FULL);
    put_inline(&fx, T0 + UNUSED_AFTER + 2 * DAY, TW_GT_ROLE, ROLE_R, "two", DOC_TWO, NULL);
    feed(&fx, T0 + UNUSED_AFTER + 3 * DAY, ROLE_R, "iam:CreateAccessKey", 0);
    assert_int_equal(count_rule(&fx, "dormant-privilege-used"), 0);
    fx_free(&fx);
}

/* A checkpoint of the book (consume --state-dir) and back: an inline grant of two actions (kept
 * as a list), one of every action ("*": kept as bitsets), one of a conditional statement and a
 * managed one; the restored tracker saves the same bytes and reports what the first would. */
#define DOC_COND                                                                                   \
    "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:CreateAccessKey\",\"Resource\":\"*\"," \
    "\"Condition\":{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}}]}"
static void checkpoint_round_trip(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    const char *docs[] = { DOC_TWO,
                           "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
                           "\"Resource\":\"*\"}}",
                           DOC_COND };
    for (int i = 0; i < 3; i++) {
        pset s = expand_ok(&fx, docs[i]);
        char src[32];
        snprintf(src, sizeof src, "role R policy %d", i);
        assert_int_equal(tw_grants_add_inventory(fx.g, tw_str_c(i == 1 ? ROLE_S : ROLE_R),
                                                 tw_str_c(src), &s.g, TW_STR_NULL),
                         TW_OK);
        free(s.mem);
    }
    assert_int_equal(tw_grants_add_inventory(fx.g, tw_str_c(USER_U), tw_str_c("user U managed"),
                                             NULL, tw_str_c(IAM_FULL)),
                     TW_OK);
    /* a customer managed policy whose version denies: the denied set travels too */
    pset guard = expand_ok(&fx, POLICY("[{\"Effect\":\"Deny\",\"Action\":\"iam:CreateUser\","
                                       "\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":"
                                       "\"iam:PassRole\",\"Resource\":\"*\"}]"));
    assert_int_equal(
        tw_grants_define_policy(fx.g, tw_str_c("arn:aws:iam::" ACCT ":policy/guard"), &guard.g),
        TW_OK);
    free(guard.mem);
    assert_int_equal(tw_grants_add_inventory(fx.g, tw_str_c(USER_U), tw_str_c("user U guard"), NULL,
                                             tw_str_c("arn:aws:iam::" ACCT ":policy/guard")),
                     TW_OK);
    tick(&fx, T0);
    feed(&fx, T0 + 1000, ROLE_R, "iam:PassRole", 0);
    tw_buf one, two;
    tw_buf_init(&one);
    tw_buf_init(&two);
    tw_grants_save(fx.g, &one);
    assert_true(one.len > 0);

    fixture fy;
    tracker_init(&fy, true);
    tw_wire_reader in = { (const unsigned char *)one.p, (const unsigned char *)one.p + one.len,
                          false };
    assert_int_equal(tw_grants_load(fy.g, &in), TW_OK);
    assert_true(tw_grants_restored(fy.g));
    tw_grants_save(fy.g, &two);
    assert_int_equal(two.len, one.len);
    assert_memory_equal(two.p, one.p, one.len);

    /* both report the same unused grants, ROLE_R's naming only the unused action */
    tick(&fx, T0 + UNUSED_AFTER);
    tick(&fy, T0 + UNUSED_AFTER);
    assert_int_equal(fy.n_f, fx.n_f);
    assert_int_equal(count_rule(&fy, "unused-privileged-grant"), 5);
    /* the guard's Deny takes iam:CreateUser from IAMFullAccess after the restore too */
    for (uint32_t i = 0; i < fy.n_f; i++)
        if (strstr(fy.f[i].details, "\"source\":\"user U managed\""))
            lacks(fy.f[i].details, "\"iam:CreateUser\"");
    for (uint32_t i = 0; i < fx.n_f; i++) {
        assert_string_equal(fy.f[i].identity, fx.f[i].identity);
        assert_string_equal(fy.f[i].details, fx.f[i].details);
    }
    bool seen_two = false, seen_cond = false;
    for (uint32_t i = 0; i < fy.n_f; i++)
        if (strstr(fy.f[i].details, "\"source\":\"role R policy 0\"")) {
            has(fy.f[i].details, "\"unused\":[\"iam:CreateAccessKey\"]");
            has(fy.f[i].details, "\"used\":[\"iam:PassRole\"]");
            seen_two = true;
        } else if (strstr(fy.f[i].details, "\"source\":\"role R policy 2\"")) {
            has(fy.f[i].details, "\"conditional_unused_count\":1");
            seen_cond = true;
        }
    assert_true(seen_two);
    assert_true(seen_cond);

    /* a cut record is refused */
    tw_grants_destroy(fy.g);
    fy.g = NULL;
    fixture fz;
    tracker_init(&fz, true);
    tw_wire_reader cut = { (const unsigned char *)one.p, (const unsigned char *)one.p + one.len / 2,
                           false };
    assert_int_equal(tw_grants_load(fz.g, &cut), TW_ERR_CORRUPT);
    tw_buf_free(&one);
    tw_buf_free(&two);
    fx_free(&fz);
    fx_free(&fy);
    fx_free(&fx);
}

/* Inventory grants keep only what their principal's key and policy cannot say (the loader's
 * sources: "inventory role/R ARN", "inventory user/U inline NAME", "... via group/G ARN"); the
 * findings, their uids and a checkpoint's restore give the sources as they were given, and a
 * source of another form is kept whole. */
static void inventory_sources_said_again(void **state)
{
    (void)state;
    static const char *const sources[] = {
        "inventory role/R " IAM_FULL,
        "inventory user/U inline ops-inline",
        "inventory user/U via group/G " ADMIN_ACCESS,
        "hand-written source for S",
    };
    fixture fx;
    tracker_init(&fx, true);
    pset s = expand_ok(&fx, DOC_TWO);
    assert_int_equal(tw_grants_add_inventory(fx.g, tw_str_c(ROLE_R), tw_str_c(sources[0]), NULL,
                                             tw_str_c(IAM_FULL)),
                     TW_OK);
    assert_int_equal(
        tw_grants_add_inventory(fx.g, tw_str_c(USER_U), tw_str_c(sources[1]), &s.g, TW_STR_NULL),
        TW_OK);
    assert_int_equal(tw_grants_add_inventory(fx.g, tw_str_c(USER_U), tw_str_c(sources[2]), NULL,
                                             tw_str_c(ADMIN_ACCESS)),
                     TW_OK);
    assert_int_equal(tw_grants_add_inventory(fx.g, tw_str_c(ROLE_S), tw_str_c(sources[3]), NULL,
                                             tw_str_c(IAM_FULL)),
                     TW_OK);
    free(s.mem);
    tick(&fx, T0);
    tw_buf saved;
    tw_buf_init(&saved);
    tw_grants_save(fx.g, &saved);
    fixture fy;
    tracker_init(&fy, true);
    tw_wire_reader in = { (const unsigned char *)saved.p,
                          (const unsigned char *)saved.p + saved.len, false };
    assert_int_equal(tw_grants_load(fy.g, &in), TW_OK);
    tick(&fx, T0 + UNUSED_AFTER);
    tick(&fy, T0 + UNUSED_AFTER);
    fixture *both[] = { &fx, &fy };
    for (int b = 0; b < 2; b++) {
        fixture *f = both[b];
        assert_int_equal(count_rule(f, "unused-privileged-grant"), 4);
        for (int i = 0; i < 4; i++) {
            char want[256], uid[256];
            snprintf(want, sizeof want, "\"source\":\"%s\"", sources[i]);
            snprintf(uid, sizeof uid, "inventory:%s", sources[i]);
            int found = 0;
            for (uint32_t k = 0; k < f->n_f; k++)
                if (f->f[k].details && strstr(f->f[k].details, want)) {
                    found++;
                    assert_string_equal(f->f[k].event_id, uid);
                    assert_non_null(strstr(f->f[k].summary, sources[i]));
                }
            if (found != 1)
                fail_msg("%s: %d findings with source %s", b ? "restored" : "first", found,
                         sources[i]);
        }
    }
    tw_buf_free(&saved);
    fx_free(&fy);
    fx_free(&fx);
}

static void inventory_counts_from_first_event(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    pset s = expand_ok(&fx, DOC_TWO);
    assert_int_equal(tw_grants_add_inventory(fx.g, tw_str_c(ROLE_R), tw_str_c("role R policy two"),
                                             &s.g, TW_STR_NULL),
                     TW_OK);
    free(s.mem); /* copied */
    int64_t first = T0 + 100 * DAY;
    tick(&fx, first);
    /* within the first hour, but an inventory grant is not "just received" */
    feed(&fx, first + 60000, ROLE_R, "iam:PassRole", 0);
    assert_int_equal(fx.n_f, 0);
    tick(&fx, first + UNUSED_AFTER - 1);
    assert_int_equal(fx.n_f, 0);
    tick(&fx, first + UNUSED_AFTER);
    const caught *c = only(&fx, "unused-privileged-grant");
    assert_string_equal(c->identity, ROLE_R);
    assert_string_equal(c->event_id, "inventory:role R policy two");
    assert_int_equal(c->n_evidence, 0);
    assert_int_equal(c->first_seen_ms, first);
    has(c->details, "\"source\":\"role R policy two\"");
    has(c->details, "\"unused_count\":1,\"unused\":[\"iam:CreateAccessKey\"]");
    has(c->details, "\"used\":[\"iam:PassRole\"]");
    has(c->summary, "unused for 30 days");
    tw_grants_stats st;
    tw_grants_get_stats(fx.g, &st);
    assert_int_equal(st.grants_inventory, 1);
    assert_int_equal(st.grants_stream, 0);
    fx_free(&fx);
}

#define DOC_TRAIN_TELE \
    POLICY("[" ALLOW_STAR("[\"bedrock:CreateModelCustomizationJob\",\"logs:GetLogEvents\"]") "]")

static void training_telemetry_granted(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_R, "tt", DOC_TRAIN_TELE, "grant-tt");
    assert_int_equal(fx.n_f, 1);
    const caught *c = &fx.f[0];
    assert_string_equal(c->rule, "training-telemetry-granted");
    assert_string_equal(c->identity, ROLE_R);
    assert_int_equal(c->time_ms, T0);
    assert_int_equal(c->det, UNUSED_DET + 2);
    assert_int_equal(c->n_evidence, 1);
    assert_string_equal(c->ev0, "grant-tt");
    has(c->summary, "iam:PutRolePolicy");
    /* once per identity */
    put_inline(&fx, T0 + 1, TW_GT_ROLE, ROLE_R, "tt2", DOC_TRAIN_TELE, NULL);
    assert_int_equal(fx.n_f, 1);
    /* AdministratorAccess holds both, but that is another rule's */
    attach(&fx, T0 + 2, TW_GT_ROLE, ROLE_S, ADMIN_ACCESS, NULL);
    /* training alone, telemetry alone: nothing */
    put_inline(&fx, T0 + 3, TW_GT_USER, USER_U, "t", DOC_TRAIN, NULL);
    put_inline(&fx, T0 + 3, TW_GT_USER, "arn:aws:iam::" ACCT ":user/V", "l",
               POLICY("[" ALLOW_STAR("\"logs:*\"") "]"), NULL);
    assert_int_equal(fx.n_f, 1);
    /* two grants that bring them together */
    put_inline(&fx, T0 + 4, TW_GT_USER, USER_U, "l", POLICY("[" ALLOW_STAR("\"logs:Get*\"") "]"),
               NULL);
    assert_int_equal(fx.n_f, 2);
    assert_string_equal(fx.f[1].rule, "training-telemetry-granted");
    assert_string_equal(fx.f[1].identity, USER_U);
    tw_grants_stats st;
    tw_grants_get_stats(fx.g, &st);
    assert_int_equal(st.findings_training_telemetry, 2);
    fx_free(&fx);
}

/* An inline policy that did not parse grants nothing and is counted. */
static void unparseable_counted(void **state)
{
    (void)state;
    fixture fx;
    tracker_init(&fx, true);
    put_inline(&fx, T0, TW_GT_ROLE, ROLE_R, "bad",
               POLICY("[{\"Effect\":\"Maybe\",\"Action\":\"iam:*\"}]"), NULL);
    tick(&fx, T0 + UNUSED_AFTER + 1);
    assert_int_equal(fx.n_f, 0);
    tw_grants_stats st;
    tw_grants_get_stats(fx.g, &st);
    assert_int_equal(st.unparseable, 1);
    assert_int_equal(st.grants_stream, 0);
    fx_free(&fx);
}

/* route's partitioner, as the test has it: S, U and the admin in partition 1, the rest in 0 */
static bool part_of_key(void *ud, uint16_t source, tw_str key)
{
    (void)ud;
    bool one = tw_str_eq_c(key, ROLE_S) || tw_str_eq_c(key, USER_U) || tw_str_eq_c(key, ADMIN);
    return source == (one ? 2 : 1);
}

static void note_source(void *ud, uint16_t source)
{
    uint32_t *mask = ud;
    *mask |= 1u << source;
}

/* consume --state-topic: a book per partition. The same events as one tracker sees them in
 * one stream, dealt to two partitions as route writes them (each identity's calls in its own
 * partition, a grant call in its caller's and a copy of it in every partition), give the same
 * findings; each principal lives in its partition's book only; the call itself is no grant
 * (its copies are), a copy no use; and a book saved, dropped and restored goes on. */
static void partition_books(void **state)
{
    (void)state;
    fixture fx, fy; /* fx: the books; fy: one tracker */
    tracker_init(&fx, true);
    tracker_init(&fy, true);
    fixture *both[] = { &fx, &fy };
    for (int i = 0; i < 2; i++) {
        pset s = expand_ok(both[i], DOC_TWO);
        assert_int_equal(tw_grants_add_inventory(both[i]->g, tw_str_c(ROLE_R),
                                                 tw_str_c("inventory role/R two"), &s.g,
                                                 TW_STR_NULL),
                         TW_OK);
        assert_int_equal(tw_grants_add_inventory(both[i]->g, tw_str_c(ROLE_S),
                                                 tw_str_c("inventory role/S two"), &s.g,
                                                 TW_STR_NULL),
                         TW_OK);
        free(s.mem);
    }
    tw_grant_parts *gp = tw_grant_parts_new(fx.g, part_of_key, NULL);
    assert_non_null(gp);
    tw_stream_detector sd = tw_grant_parts_stream(gp);
    fx.sd = &sd;
    fx.source = 1;
    tick(&fx, T0);
    fx.source = 2;
    tick(&fx, T0);
    tick(&fy, T0);
    /* R uses iam:PassRole in its partition, S iam:CreateAccessKey in its own */
    fx.source = 1;
    feed(&fx, T0 + 1000, ROLE_R, "iam:PassRole", 0);
    feed(&fy, T0 + 1000, ROLE_R, "iam:PassRole", 0);
    fx.source = 2;
    feed(&fx, T0 + 2000, ROLE_S, "iam:CreateAccessKey", 0);
    feed(&fy, T0 + 2000, ROLE_S, "iam:CreateAccessKey", 0);
    /* the admin gives S IAMFullAccess: the call in the admin's partition (S's too), then a
     * copy in each partition */
    attach(&fx, T0 + 3000, TW_GT_ROLE, ROLE_S, IAM_FULL, "grant-s");
    fx.copy = true;
    for (uint16_t s = 1; s <= 2; s++) {
        fx.source = s;
        attach(&fx, T0 + 3000, TW_GT_ROLE, ROLE_S, IAM_FULL, "grant-s");
    }
    fx.copy = false;
    attach(&fy, T0 + 3000, TW_GT_ROLE, ROLE_S, IAM_FULL, "grant-s");
    fx.source = 2;
    feed(&fx, T0 + 2 * HOUR, ROLE_S, "iam:CreateUser", 0);
    feed(&fy, T0 + 2 * HOUR, ROLE_S, "iam:CreateUser", 0);

    /* both books changed; S's partition moves: saved, dropped, restored */
    uint32_t changed = 0;
    sd.changed_sources(sd.self, note_source, &changed);
    assert_int_equal(changed, (1u << 1) | (1u << 2));
    changed = 0;
    sd.changed_sources(sd.self, note_source, &changed);
    assert_int_equal(changed, 0); /* nothing since */
    tw_buf saved;
    tw_buf_init(&saved);
    sd.save_source(sd.self, 2, &saved);
    assert_false(saved.failed);
    sd.drop_source(sd.self, 2);
    tw_grants_stats st;
    tw_grant_parts_get_stats(gp, &st);
    assert_int_equal(st.principals, 1); /* R, in book 1 */
    /* a cut record, or one whose size lies, is refused */
    tw_wire_reader cut = { (const unsigned char *)saved.p,
                           (const unsigned char *)saved.p + saved.len - 9, false };
    assert_int_equal(sd.merge_source(sd.self, 2, &cut), TW_ERR_CORRUPT);
    saved.p[0] ^= 1;
    tw_wire_reader lying = { (const unsigned char *)saved.p,
                             (const unsigned char *)saved.p + saved.len, false };
    assert_int_equal(sd.merge_source(sd.self, 2, &lying), TW_ERR_CORRUPT);
    saved.p[0] ^= 1;
    tw_wire_reader in = { (const unsigned char *)saved.p,
                          (const unsigned char *)saved.p + saved.len, false };
    assert_int_equal(sd.merge_source(sd.self, 2, &in), TW_OK);
    tw_buf_free(&saved);

    /* past every deadline, in both partitions */
    for (uint16_t s = 1; s <= 2; s++) {
        fx.source = s;
        tick(&fx, T0 + UNUSED_AFTER + HOUR);
    }
    tick(&fy, T0 + UNUSED_AFTER + HOUR);
    assert_int_equal(count_rule(&fy, "unused-privileged-grant"), 3);
    assert_int_equal(fx.n_f, fy.n_f);
    for (uint32_t i = 0; i < fy.n_f; i++) {
        bool found = false;
        for (uint32_t j = 0; j < fx.n_f && !found; j++)
            found = !strcmp(fx.f[j].rule, fy.f[i].rule) &&
                    !strcmp(fx.f[j].identity, fy.f[i].identity) &&
                    !strcmp(fx.f[j].event_id, fy.f[i].event_id) && fx.f[j].details &&
                    fy.f[i].details && !strcmp(fx.f[j].details, fy.f[i].details);
        if (!found)
            fail_msg("the books miss %s of %s (%s)", fy.f[i].rule, fy.f[i].identity,
                     fy.f[i].event_id);
    }
    tw_grant_parts_get_stats(gp, &st);
    assert_int_equal(st.principals, 2);
    assert_int_equal(st.grants_stream, 1); /* the copy in S's partition, not the call too */
    assert_int_equal(st.grants_inventory, 2);
    assert_int_equal(st.findings_unused, 3);
    fx.sd = NULL;
    tw_grant_parts_destroy(gp);
    fx_free(&fy);
    fx_free(&fx);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(privtab_matches_catalog),
    cmocka_unit_test(privtab_unobservable_from_list),
    cmocka_unit_test(expand_iam_star),
    cmocka_unit_test(expand_wildcards),
    cmocka_unit_test(expand_not_action),
    cmocka_unit_test(expand_deny),
    cmocka_unit_test(expand_conditional_allow),
    cmocka_unit_test(expand_shapes),
    cmocka_unit_test(expand_errors),
    cmocka_unit_test(policy_text_forms),
    cmocka_unit_test(policy_node_forms),
    cmocka_unit_test(managed_expanded),
    cmocka_unit_test(unused_at_deadline),
    cmocka_unit_test(unobservable_and_conditional),
    cmocka_unit_test(deny_from_another_policy_applies),
    cmocka_unit_test(all_used_no_finding),
    cmocka_unit_test(use_before_grant_not_counted),
    cmocka_unit_test(denied_use_not_counted),
    cmocka_unit_test(passes_role_marks_passrole),
    cmocka_unit_test(detach_before_deadline),
    cmocka_unit_test(delete_principal_and_failed_grant),
    cmocka_unit_test(reattach_restarts_period),
    cmocka_unit_test(group_policy_reaches_member),
    cmocka_unit_test(group_member_use),
    cmocka_unit_test(remove_from_group_revokes),
    cmocka_unit_test(customer_policy_versions),
    cmocka_unit_test(customer_policy_set_default),
    cmocka_unit_test(unknown_policy_silent),
    cmocka_unit_test(dormant_after_report),
    cmocka_unit_test(dormant_only_reported_actions),
    cmocka_unit_test(dormant_fresh_use),
    cmocka_unit_test(inventory_sources_said_again),
    cmocka_unit_test(inventory_counts_from_first_event),
    cmocka_unit_test(training_telemetry_granted),
    cmocka_unit_test(unparseable_counted),
    cmocka_unit_test(delete_group_grants_go),
    cmocka_unit_test(delete_user_grants_go),
    cmocka_unit_test(dormant_not_for_revoked_grant),
    cmocka_unit_test(checkpoint_round_trip),
    cmocka_unit_test(partition_books),
};

TW_TEST_MAIN(tests)
