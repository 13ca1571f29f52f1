/* ingest_inventory: grants from `aws iam get-account-authorization-details` (--grants), read
 * as a stream into a sink, on the real samples in ../shared/data (CloudMapper's demo account,
 * Cloudsplaining's fixtures) and on small texts for the shapes the samples lack (lists in any
 * order, members in any order); every kind of bad input gives TW_ERR_PARSE with the file, line
 * and column. The counts below were taken from the files with jq. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tw_test.h"

#include "ingest_inventory.h"
#include "tw_arena.h"
#include "tw_buf.h"

#define DATA TW_SOURCE_DIR "/../shared/data/"
#define CLOUDMAPPER DATA "cloudmapper-demo-iam/iam-get-account-authorization-details.json"
#define CSPL DATA "cloudsplaining-authz-details/"

/* What the sink got, kept past the callbacks (documents copied), with each attached grant's
 * document resolved against the file's "Policies" (first listed wins) as a caller would. */
typedef struct collected {
    tw_inv_grant *grants;
    size_t n_grants, cap_grants;
    size_t n_users, n_roles, n_groups, n_policies, n_unresolved_groups;
    tw_str *pol_arns;
    const tw_jnode **pol_docs;
    uint64_t *pol_refused;
    size_t n_pols, cap_pols;
    tw_arena arena;
} collected;

static tw_str keep(collected *c, tw_str s)
{
    int failed = 0;
    tw_str k = tw_arena_dup(&c->arena, s, &failed);
    assert_false(failed);
    return k;
}

static tw_jnode *copy_node(collected *c, const tw_jnode *n)
{
    if (!n)
        return NULL;
    tw_jnode *k = tw_arena_alloc(&c->arena, sizeof *k);
    assert_non_null(k);
    *k = *n;
    k->key = keep(c, n->key);
    k->text = keep(c, n->text);
    k->child = copy_node(c, n->child);
    k->next = copy_node(c, n->next);
    return k;
}

static tw_err on_grant(void *ud, const tw_inv_grant *g)
{
    collected *c = ud;
    if (c->n_grants == c->cap_grants) {
        c->cap_grants = c->cap_grants ? 2 * c->cap_grants : 16;
        c->grants = realloc(c->grants, c->cap_grants * sizeof *c->grants);
        assert_non_null(c->grants);
    }
    /* an attached policy's document is the caller's to find */
    if (g->policy_arn.len)
        assert_null(g->document);
    c->grants[c->n_grants++] = (tw_inv_grant){ .identity = keep(c, g->identity),
                                               .source = keep(c, g->source),
                                               .policy_arn = keep(c, g->policy_arn),
                                               .document = copy_node(c, g->document),
                                               .document_refused = g->document_refused,
                                               .via_group = keep(c, g->via_group) };
    return TW_OK;
}

static tw_err on_policy(void *ud, tw_str arn, const tw_jnode *doc, uint64_t refused)
{
    collected *c = ud;
    if (c->n_pols == c->cap_pols) {
        c->cap_pols = c->cap_pols ? 2 * c->cap_pols : 16;
        c->pol_arns = realloc(c->pol_arns, c->cap_pols * sizeof *c->pol_arns);
        c->pol_docs = realloc(c->pol_docs, c->cap_pols * sizeof *c->pol_docs);
        c->pol_refused = realloc(c->pol_refused, c->cap_pols * sizeof *c->pol_refused);
        assert_true(c->pol_arns && c->pol_docs && c->pol_refused);
    }
    if (refused)
        assert_null(doc);
    c->pol_refused[c->n_pols] = refused;
    c->pol_arns[c->n_pols] = keep(c, arn);
    c->pol_docs[c->n_pols++] = copy_node(c, doc);
    return TW_OK;
}

static void collected_destroy(collected *c)
{
    if (!c)
        return;
    tw_arena_free(&c->arena);
    free(c->grants);
    free(c->pol_arns);
    free(c->pol_docs);
    free(c->pol_refused);
    free(c);
}

/* Streams path (text NULL) or text into a new collection; NULL with errstr on failure. */
static collected *collect(const char *path, const char *text, size_t len, tw_err *rc, char *errstr,
                          size_t size)
{
    collected *c = calloc(1, sizeof *c);
    assert_non_null(c);
    tw_arena_init(&c->arena, 64 * 1024);
    tw_inv_sink sink = { .ud = c, .grant = on_grant, .policy = on_policy };
    tw_inv_counts n = { 99, 99, 99, 99, 99, 99 };
    *rc = text ? tw_inventory_stream_text(path, text, len, &sink, &n, errstr, size)
               : tw_inventory_stream(path, &sink, &n, errstr, size);
    if (*rc != TW_OK) {
        collected_destroy(c);
        return NULL;
    }
    assert_int_equal(n.n_grants, c->n_grants);
    c->n_users = n.n_users;
    c->n_roles = n.n_roles;
    c->n_groups = n.n_groups;
    c->n_policies = n.n_policies;
    c->n_unresolved_groups = n.n_unresolved_groups;
    assert_int_equal(c->n_pols, c->n_policies);
    for (size_t i = 0; i < c->n_grants; i++) {
        tw_inv_grant *g = &c->grants[i];
        for (size_t k = 0; g->policy_arn.len && k < c->n_pols; k++) {
            if (tw_str_eq(c->pol_arns[k], g->policy_arn)) {
                g->document = c->pol_docs[k];
                break;
            }
        }
    }
    return c;
}

static collected *load_ok(const char *path)
{
    char errstr[256] = "";
    tw_err rc;
    collected *inv = collect(path, NULL, 0, &rc, errstr, sizeof errstr);
    if (rc != TW_OK)
        fail_msg("%s", errstr);
    assert_non_null(inv);
    return inv;
}

static collected *text_ok(const char *text)
{
    char errstr[256] = "";
    tw_err rc;
    collected *inv = collect("t.json", text, strlen(text), &rc, errstr, sizeof errstr);
    if (rc != TW_OK)
        fail_msg("%s", errstr);
    return inv;
}

/* The error text of a text that must fail with TW_ERR_PARSE. */
static void text_fails(const char *text, size_t len, char *errstr, size_t size)
{
    tw_err rc;
    collected *inv = collect("t.json", text, len, &rc, errstr, size);
    assert_int_equal(rc, TW_ERR_PARSE);
    assert_null(inv);
}

/* The grant with this source, or NULL. */
static const tw_inv_grant *by_source(const collected *inv, const char *source)
{
    for (size_t i = 0; i < inv->n_grants; i++)
        if (tw_str_eq_c(inv->grants[i].source, source))
            return &inv->grants[i];
    return NULL;
}

static size_t count_with_doc(const collected *inv)
{
    size_t n = 0;
    for (size_t i = 0; i < inv->n_grants; i++)
        n += inv->grants[i].document != NULL;
    return n;
}

static size_t count_via_group(const collected *inv)
{
    size_t n = 0;
    for (size_t i = 0; i < inv->n_grants; i++)
        n += inv->grants[i].via_group.len != 0;
    return n;
}

static const tw_jnode *nth(const tw_jnode *arr, size_t i)
{
    assert_non_null(arr);
    const tw_jnode *c = arr->child;
    while (c && i--)
        c = c->next;
    assert_non_null(c);
    return c;
}

static void cloudmapper_demo(void **state)
{
    (void)state;
    TW_NEED_FILE(CLOUDMAPPER);
    collected *inv = load_ok(CLOUDMAPPER);
    /* jq: 2 users, 4 roles, 1 group, 2 policies; 5 inline + 2 attached to entities + 1 through
     * the group = 7 grants (4 role inline, 1 role attached, 1 user attached, 1 via group) */
    assert_int_equal(inv->n_users, 2);
    assert_int_equal(inv->n_roles, 4);
    assert_int_equal(inv->n_groups, 1);
    assert_int_equal(inv->n_policies, 2);
    assert_int_equal(inv->n_grants, 7);
    assert_int_equal(count_with_doc(inv), 7);
    assert_int_equal(count_via_group(inv), 1);
    assert_int_equal(inv->n_unresolved_groups, 0);

    const tw_inv_grant *g = by_source(inv, "inventory role/bad_role inline dostuff");
    assert_non_null(g);
    assert_true(tw_str_eq_c(g->identity, "arn:aws:iam::123456789012:role/bad_role"));
    assert_int_equal(g->policy_arn.len, 0);
    assert_int_equal(g->via_group.len, 0);
    assert_non_null(g->document);
    assert_int_equal(g->document->type, TW_JV_OBJECT);
    const tw_jnode *st = nth(tw_jnode_get(g->document, "Statement"), 0);
    assert_true(tw_str_eq_c(tw_jnode_get(st, "Effect")->text, "Allow"));
    assert_true(tw_str_eq_c(nth(tw_jnode_get(st, "Action"), 0)->text, "*"));
    assert_true(tw_str_eq_c(tw_jnode_get(st, "Resource")->text, "*"));

    /* the AWS managed policy is listed in this file, so its document comes along */
    g = by_source(
        inv, "inventory role/bad_role arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM");
    assert_non_null(g);
    assert_true(
        tw_str_eq_c(g->policy_arn, "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"));
    assert_non_null(g->document);
    assert_int_equal(g->document->type, TW_JV_OBJECT);

    /* the role path (/service-role/) is dropped from the key */
    g = by_source(inv, "inventory role/level1 inline level1");
    assert_non_null(g);
    assert_true(tw_str_eq_c(g->identity, "arn:aws:iam::123456789012:role/level1"));

    /* the demo's users carry the account "aws" in their Arn; the key takes it as written */
    g = by_source(inv, "inventory user/USER via group/GROUP_WITH_BAD_INLINE_POLICY "
                       "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM");
    assert_non_null(g);
    assert_true(tw_str_eq_c(g->identity, "arn:aws:iam::aws:user/USER"));
    assert_true(tw_str_eq_c(g->via_group, "GROUP_WITH_BAD_INLINE_POLICY"));
    assert_non_null(g->document);
    collected_destroy(inv);
}

static void cloudsplaining_examples(void **state)
{
    (void)state;
    TW_NEED_FILE(CSPL "example.json");
    /* jq, per file: users, groups, roles, policies; grants, of them via a group */
    collected *inv = load_ok(CSPL "example.json");
    assert_int_equal(inv->n_users, 44);
    assert_int_equal(inv->n_groups, 5);
    assert_int_equal(inv->n_roles, 78);
    assert_int_equal(inv->n_policies, 84);
    assert_int_equal(inv->n_grants, 146);
    assert_int_equal(count_via_group(inv), 5);
    assert_int_equal(count_with_doc(inv), 146);
    assert_int_equal(inv->n_unresolved_groups, 0);
    collected_destroy(inv);

    inv = load_ok(CSPL "example-authz-details.json");
    assert_int_equal(inv->n_users, 3);
    assert_int_equal(inv->n_groups, 2);
    assert_int_equal(inv->n_roles, 3);
    assert_int_equal(inv->n_policies, 32);
    assert_int_equal(inv->n_grants, 12);
    assert_int_equal(count_via_group(inv), 4);
    assert_int_equal(count_with_doc(inv), 12);
    const tw_inv_grant *g = by_source(inv, "inventory user/biden via group/biden inline "
                                           "InlinePolicyForBidenGroup");
    assert_non_null(g);
    assert_true(tw_str_eq_c(g->identity, "arn:aws:iam::012345678901:user/biden"));
    assert_true(tw_str_eq_c(g->via_group, "biden"));
    assert_int_equal(g->policy_arn.len, 0);
    assert_non_null(g->document);
    g = by_source(
        inv, "inventory user/biden via group/biden arn:aws:iam::aws:policy/AmazonRDSFullAccess");
    assert_non_null(g);
    assert_true(tw_str_eq_c(g->via_group, "biden"));
    assert_true(tw_str_eq_c(g->policy_arn, "arn:aws:iam::aws:policy/AmazonRDSFullAccess"));
    assert_non_null(g->document);
    g = by_source(
        inv, "inventory user/obama via group/admin arn:aws:iam::aws:policy/AdministratorAccess");
    assert_non_null(g);
    assert_true(tw_str_eq_c(g->via_group, "admin"));
    g = by_source(inv, "inventory user/obama arn:aws:iam::aws:policy/AdministratorAccess");
    assert_non_null(g); /* attached directly too: a second grant, not via the group */
    assert_int_equal(g->via_group.len, 0);
    collected_destroy(inv);
}

static void aws_managed_not_listed(void **state)
{
    (void)state;
    TW_NEED_FILE(CSPL "example_authz_v2.json");
    /* example_authz_v2.json: BlakeBortles is in GOAT, which has AdministratorAccess, and the
     * file's Policies list only two customer managed policies */
    collected *inv = load_ok(CSPL "example_authz_v2.json");
    assert_int_equal(inv->n_users, 1);
    assert_int_equal(inv->n_groups, 1);
    assert_int_equal(inv->n_roles, 2);
    assert_int_equal(inv->n_policies, 2);
    assert_int_equal(inv->n_grants, 3);
    assert_int_equal(count_with_doc(inv), 2);
    const tw_inv_grant *g = by_source(inv, "inventory user/BlakeBortles via group/GOAT "
                                           "arn:aws:iam::aws:policy/AdministratorAccess");
    assert_non_null(g);
    assert_true(tw_str_eq_c(g->identity, "arn:aws:iam::012345678901:user/BlakeBortles"));
    assert_true(tw_str_eq_c(g->policy_arn, "arn:aws:iam::aws:policy/AdministratorAccess"));
    assert_null(g->document);
    collected_destroy(inv);

    /* a role, in another partition, with a path */
    inv = text_ok("{\"RoleDetailList\":[{\"RoleName\":\"r\",\"Arn\":\"arn:aws-cn:iam::111122223333:"
                  "role/p/q/r\","
                  "\"AttachedManagedPolicies\":[{\"PolicyName\":\"ReadOnlyAccess\","
                  "\"PolicyArn\":\"arn:aws-cn:iam::aws:policy/ReadOnlyAccess\"}]}]}");
    assert_int_equal(inv->n_grants, 1);
    g = &inv->grants[0];
    assert_true(tw_str_eq_c(g->identity, "arn:aws-cn:iam::111122223333:role/r"));
    assert_true(
        tw_str_eq_c(g->source, "inventory role/r arn:aws-cn:iam::aws:policy/ReadOnlyAccess"));
    assert_true(tw_str_eq_c(g->policy_arn, "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"));
    assert_null(g->document);
    assert_int_equal(g->via_group.len, 0);
    collected_destroy(inv);
}

static void default_version(void **state)
{
    (void)state;
    /* p1: the flagged default is the second version; p2: no flags, DefaultVersionId decides;
     * p3: an older CLI's URL-encoded string document is handed over as it is */
    collected *inv = text_ok(
        "{\"UserDetailList\":[{\"UserName\":\"u\",\"Arn\":\"arn:aws:iam::111122223333:user/u\","
        "\"AttachedManagedPolicies\":[{\"PolicyArn\":\"arn:aws:iam::111122223333:policy/p1\"},"
        "{\"PolicyArn\":\"arn:aws:iam::111122223333:policy/p2\"},"
        "{\"PolicyArn\":\"arn:aws:iam::111122223333:policy/p3\"}],"
        "\"UserPolicyList\":[{\"PolicyName\":\"enc\",\"PolicyDocument\":\"%7B%22Version%22%7D\"}]}]"
        ","
        "\"Policies\":["
        "{\"Arn\":\"arn:aws:iam::111122223333:policy/"
        "p1\",\"DefaultVersionId\":\"v2\",\"PolicyVersionList\":["
        "{\"VersionId\":\"v1\",\"IsDefaultVersion\":false,\"Document\":{\"Id\":\"old\"}},"
        "{\"VersionId\":\"v2\",\"IsDefaultVersion\":true,\"Document\":{\"Id\":\"new\"}}]},"
        "{\"Arn\":\"arn:aws:iam::111122223333:policy/"
        "p2\",\"DefaultVersionId\":\"v7\",\"PolicyVersionList\":["
        "{\"VersionId\":\"v6\",\"Document\":{\"Id\":\"six\"}},{\"VersionId\":\"v7\",\"Document\":{"
        "\"Id\":\"seven\"}}]},"
        "{\"Arn\":\"arn:aws:iam::111122223333:policy/p3\",\"PolicyVersionList\":["
        "{\"IsDefaultVersion\":true,\"Document\":\"%7B%7D\"}]}]}");
    assert_int_equal(inv->n_grants, 4);
    assert_int_equal(inv->n_policies, 3);
    /* inline first, then attached, in file order */
    assert_true(tw_str_eq_c(inv->grants[0].source, "inventory user/u inline enc"));
    assert_int_equal(inv->grants[0].document->type, TW_JV_STRING);
    assert_true(tw_str_eq_c(inv->grants[0].document->text, "%7B%22Version%22%7D"));
    assert_true(tw_str_eq_c(tw_jnode_get(inv->grants[1].document, "Id")->text, "new"));
    assert_true(tw_str_eq_c(tw_jnode_get(inv->grants[2].document, "Id")->text, "seven"));
    assert_int_equal(inv->grants[3].document->type, TW_JV_STRING);
    assert_true(tw_str_eq_c(inv->grants[3].document->text, "%7B%7D"));
    collected_destroy(inv);
}

/* A document over TW_INV_DOC_MAX (AWS's own cap is 10,240 characters) is not read: the grant
 * comes with no document and its size, the documents around it read as usual, wherever it
 * is (a user's or a group's inline policy, a managed policy's default version). */
static char *huge_document(size_t statements)
{
    tw_buf b;
    tw_buf_init(&b);
    tw_buf_puts(&b, "{\"Version\":\"2012-10-17\",\"Statement\":[");
    for (size_t i = 0; i < statements; i++)
        tw_buf_printf(&b,
                      "%s{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
                      "\"Resource\":\"arn:aws:s3:::bucket-%zu/*\"}",
                      i ? "," : "", i);
    tw_buf_puts(&b, "]}");
    assert_false(b.failed);
    return b.p;
}

static void documents_over_the_bound(void **state)
{
    (void)state;
    char *big = huge_document(20000); /* about 1.7 MB */
    size_t big_len = strlen(big);
    assert_true(big_len > TW_INV_DOC_MAX);
    char *small = huge_document(3);
    tw_buf t;
    tw_buf_init(&t);
    tw_buf_printf(
        &t,
        "{\"UserDetailList\":[{\"UserName\":\"u\",\"Arn\":\"arn:aws:iam::111122223333:user/u\","
        "\"GroupList\":[\"g\"],"
        "\"UserPolicyList\":[{\"PolicyName\":\"huge\",\"PolicyDocument\":%s},"
        "{\"PolicyName\":\"fine\",\"PolicyDocument\":%s}]}],"
        "\"GroupDetailList\":[{\"GroupName\":\"g\",\"GroupPolicyList\":["
        "{\"PolicyName\":\"ghuge\",\"PolicyDocument\":%s}]}],"
        "\"Policies\":[{\"Arn\":\"arn:aws:iam::111122223333:policy/p\",\"PolicyVersionList\":["
        "{\"VersionId\":\"v1\",\"IsDefaultVersion\":true,\"Document\":%s}]},"
        "{\"Arn\":\"arn:aws:iam::111122223333:policy/q\",\"PolicyVersionList\":["
        "{\"VersionId\":\"v1\",\"IsDefaultVersion\":true,\"Document\":%s}]}]}",
        big, small, big, big, small);
    assert_false(t.failed);
    collected *inv = text_ok(t.p);
    assert_int_equal(inv->n_grants, 3);
    assert_true(tw_str_eq_c(inv->grants[0].source, "inventory user/u inline huge"));
    assert_null(inv->grants[0].document);
    assert_int_equal(inv->grants[0].document_refused, big_len);
    assert_true(tw_str_eq_c(inv->grants[1].source, "inventory user/u inline fine"));
    assert_non_null(inv->grants[1].document);
    assert_int_equal(inv->grants[1].document_refused, 0);
    assert_true(tw_str_eq_c(inv->grants[2].source, "inventory user/u via group/g inline ghuge"));
    assert_null(inv->grants[2].document);
    assert_int_equal(inv->grants[2].document_refused, big_len);
    assert_int_equal(inv->n_pols, 2);
    assert_null(inv->pol_docs[0]);
    assert_int_equal(inv->pol_refused[0], big_len);
    assert_non_null(inv->pol_docs[1]);
    assert_int_equal(inv->pol_refused[1], 0);
    collected_destroy(inv);

    /* one byte under the bound is read (a string document, padded with blanks inside) */
    tw_buf_reset(&t);
    tw_buf_puts(&t, "{\"RoleDetailList\":[{\"RoleName\":\"r\",\"Arn\":\"arn:aws:iam::1:role/r\","
                    "\"RolePolicyList\":[{\"PolicyName\":\"edge\",\"PolicyDocument\":\"");
    for (size_t i = 0; i < TW_INV_DOC_MAX - 2; i++)
        tw_buf_puts(&t, "x");
    tw_buf_puts(&t, "\"}]}]}");
    assert_false(t.failed);
    inv = text_ok(t.p);
    assert_int_equal(inv->n_grants, 1);
    assert_non_null(inv->grants[0].document);
    assert_int_equal(inv->grants[0].document->text.len, TW_INV_DOC_MAX - 2);
    collected_destroy(inv);
    tw_buf_free(&t);
    free(big);
    free(small);
}

/* A name listed again for one entity grants once, where it is first listed: a user in the same
 * group 1,000 times (the groups read before and after it), an ARN attached twice, an inline
 * name twice (the first document counts). */
static void repeats_grant_once(void **state)
{
    (void)state;
    for (int groups_first = 0; groups_first < 2; groups_first++) {
        tw_buf t;
        tw_buf_init(&t);
        const char *groups =
            "\"GroupDetailList\":[{\"GroupName\":\"g\","
            "\"AttachedManagedPolicies\":[{\"PolicyArn\":\"arn:aws:iam::aws:policy/A\"},"
            "{\"PolicyArn\":\"arn:aws:iam::aws:policy/A\"}]},"
            "{\"GroupName\":\"h\",\"GroupPolicyList\":[{\"PolicyName\":\"hp\","
            "\"PolicyDocument\":{\"Id\":\"h\"}}]}]";
        tw_buf_puts(&t, "{");
        if (groups_first)
            tw_buf_printf(&t, "%s,", groups);
        tw_buf_puts(&t, "\"UserDetailList\":[{\"UserName\":\"u\",\"Arn\":\"arn:aws:iam::1:user/u\","
                        "\"GroupList\":[");
        for (int i = 0; i < 1000; i++)
            tw_buf_printf(&t, "%s\"%s\"", i ? "," : "", i == 500 ? "h" : "g");
        tw_buf_puts(
            &t,
            "],\"UserPolicyList\":[{\"PolicyName\":\"p\",\"PolicyDocument\":{\"Id\":\"first\"}},"
            "{\"PolicyName\":\"p\",\"PolicyDocument\":{\"Id\":\"second\"}}],"
            "\"AttachedManagedPolicies\":[{\"PolicyArn\":\"arn:aws:iam::aws:policy/B\"},"
            "{\"PolicyArn\":\"arn:aws:iam::aws:policy/C\"},"
            "{\"PolicyArn\":\"arn:aws:iam::aws:policy/B\"}]}]");
        if (!groups_first)
            tw_buf_printf(&t, ",%s", groups);
        tw_buf_puts(&t, "}");
        assert_false(t.failed);
        collected *inv = text_ok(t.p);
        const char *want[] = { "inventory user/u inline p",
                               "inventory user/u arn:aws:iam::aws:policy/B",
                               "inventory user/u arn:aws:iam::aws:policy/C",
                               "inventory user/u via group/g arn:aws:iam::aws:policy/A",
                               "inventory user/u via group/h inline hp" };
        assert_int_equal(inv->n_grants, 5);
        for (size_t i = 0; i < 5; i++)
            if (!tw_str_eq_c(inv->grants[i].source, want[i]))
                fail_msg("grant %zu: %.*s, expected %s", i, (int)inv->grants[i].source.len,
                         inv->grants[i].source.p, want[i]);
        assert_true(tw_str_eq_c(tw_jnode_get(inv->grants[0].document, "Id")->text, "first"));
        collected_destroy(inv);
        tw_buf_free(&t);
    }
}

static void lenient_shapes(void **state)
{
    (void)state;
    collected *inv = text_ok("{}");
    assert_int_equal(inv->n_grants, 0);
    assert_int_equal(inv->n_users + inv->n_roles + inv->n_groups + inv->n_policies, 0);
    collected_destroy(inv);
    /* unknown keys anywhere, null lists, a user in a group the file does not hold (a
     * filtered export), an inline policy without its document */
    inv = text_ok(
        "{\"Marker\":\"x\",\"IsTruncated\":false,\"Policies\":null,"
        "\"UserDetailList\":[{\"UserName\":\"u\",\"Arn\":\"arn:aws:iam::111122223333:user/u\","
        "\"NewField\":{\"a\":[1,2]},\"GroupList\":[\"elsewhere\"],\"AttachedManagedPolicies\":null,"
        "\"UserPolicyList\":[{\"PolicyName\":\"p\",\"Extra\":1}]}]}");
    assert_int_equal(inv->n_users, 1);
    assert_int_equal(inv->n_grants, 1);
    assert_int_equal(inv->n_unresolved_groups, 1);
    assert_null(inv->grants[0].document);
    collected_destroy(inv);
    collected_destroy(NULL);
}

/* Loads the first cut bytes of text from a temporary file; the error text must start with
 * the file's path. Returns the error text after "PATH:". */
static const char *load_cut(const char *text, size_t cut, char *errstr, size_t size)
{
    char path[] = "/tmp/tw_inventory_truncXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, cut), (ssize_t)cut);
    close(fd);
    tw_err rc;
    collected *inv = collect(path, NULL, 0, &rc, errstr, size);
    unlink(path);
    assert_int_equal(rc, TW_ERR_PARSE);
    assert_null(inv);
    size_t plen = strlen(path);
    assert_memory_equal(errstr, path, plen);
    assert_int_equal(errstr[plen], ':');
    return errstr + plen + 1;
}

static void error_truncated(void **state)
{
    (void)state;
    TW_NEED_FILE(CLOUDMAPPER);
    FILE *in = fopen(CLOUDMAPPER, "rb");
    assert_non_null(in);
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, 1 << 20, in);
    fclose(in);
    assert_int_equal(n, 18895);
    char errstr[512];
    /* cut in half, inside an array of strings: the place is where the text ends (line 198
     * holds 5 blanks), nothing before it being wrong */
    const char *e = load_cut(buf, n / 2, errstr, sizeof errstr);
    assert_true(strncmp(e, "198:6: not JSON: ", 17) == 0);
    /* cut inside a string (the first 100 bytes end in
     * "arn:aws:iam::aws:group/GROUP_WITH_BAD_INLIN"): the place is its opening quote */
    e = load_cut(buf, 100, errstr, sizeof errstr);
    assert_string_equal(e, "4:20: not JSON: the string that starts here is never closed (is "
                           "the file cut short?)");
    free(buf);
}

static void error_not_json(void **state)
{
    (void)state;
    char errstr[256];
    text_fails("{\"UserDetailList\": [nope]}", 25, errstr, sizeof errstr);
    assert_true(strncmp(errstr, "t.json:1:", 9) == 0);
    text_fails("\n  hello", 8, errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:2:3: expected an object (the output of aws iam "
                                "get-account-authorization-details), found text that is not JSON");
    text_fails("42", 2, errstr, sizeof errstr);
    assert_non_null(strstr(errstr, "t.json:1:1: expected an object"));
    /* a top level that is not an object */
    text_fails("[1,2]", 5, errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:1:1: expected an object (the output of aws iam "
                                "get-account-authorization-details), found an array");
    text_fails("{\"a\":\"line\nbreak\"}", 18, errstr, sizeof errstr);
    assert_string_equal(errstr,
                        "t.json:1:11: not JSON: a raw control character (0x0A) in a string");
    text_fails("{} {}", 5, errstr, sizeof errstr);
    assert_true(strncmp(errstr, "t.json:1:", 9) == 0);
}

static void error_wrong_types(void **state)
{
    (void)state;
    char errstr[256];
    const char *t = "{\n  \"UserDetailList\": [],\n  \"RoleDetailList\": 42\n}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:3:21: RoleDetailList: expected an array, found a number");

    t = "{\"RoleDetailList\":[{\"RoleName\":\"a\",\"Arn\":\"arn:aws:iam::1:role/a\"},\n"
        "{\"RoleName\":7,\"Arn\":\"arn:aws:iam::1:role/b\"}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:2:13: RoleDetailList[1].RoleName: expected a non-empty "
                                "string, found a number");

    t = "{\"RoleDetailList\":[{\"RoleName\":\"a\",\"Arn\":\"arn:aws:iam::1:role/a\",\n"
        "\"RolePolicyList\":[{\"PolicyName\":\"p\",\"PolicyDocument\":3}]}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:2:54: RoleDetailList[0].RolePolicyList[0].PolicyDocument: "
                                "expected an object or a string, found a number");

    t = "{\"UserDetailList\":[{\"UserName\":\"a\",\"Arn\":\"arn:aws:iam::1:user/a\",\n"
        "\"AttachedManagedPolicies\":[{\"PolicyName\":\"x\"}]}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:2:28: UserDetailList[0].AttachedManagedPolicies[0]: "
                                "missing \"PolicyArn\" (a non-empty string)");

    /* a group no user is in is still checked */
    t = "{\"GroupDetailList\":[{\"GroupName\":\"g\",\"GroupPolicyList\":[\"x\"]}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:1:57: GroupDetailList[0].GroupPolicyList[0]: expected an "
                                "object, found a string");

    t = "{\"UserDetailList\":[{\"UserName\":\"a\",\"Arn\":\"arn:aws:iam::1:user/"
        "a\",\"GroupList\":[1]}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:1:79: UserDetailList[0].GroupList[0]: expected a group "
                                "name, found a number");

    t = "{\"UserDetailList\":[{\"UserName\":\"a\",\"Arn\":\"AIDA123\"}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:1:42: UserDetailList[0].Arn: expected an IAM ARN "
                                "(arn:PARTITION:iam::ACCOUNT:...)");

    t = "{\"Policies\":[{\"Arn\":\"arn:aws:iam::1:policy/p\",\"PolicyVersionList\":"
        "[{\"IsDefaultVersion\":\"yes\"}]}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:1:88: Policies[0].PolicyVersionList[0].IsDefaultVersion: "
                                "expected a boolean, found a string");
}

static void error_utf8(void **state)
{
    (void)state;
    char errstr[256];
    const char t[] =
        "{\"UserDetailList\":[{\"UserName\":\"a\xff\xfe\",\"Arn\":\"arn:aws:iam::1:user/a\"}]}";
    text_fails(t, sizeof t - 1, errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:1:34: invalid UTF-8 (byte 0xFF)");
    /* an overlong "/" (C0 AF) on line 2, after valid two- and three-byte characters */
    const char t2[] = "{\"a\":\"\xc3\xa9\xe2\x82\xac\",\n\"b\":\"\xc0\xaf\"}";
    text_fails(t2, sizeof t2 - 1, errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:2:6: invalid UTF-8 (byte 0xC0)");
    /* UTF-16 (PowerShell 5's redirection) is named as such; a UTF-8 byte order mark is fine */
    const char t3[] = "\xff\xfe{\0}\0";
    text_fails(t3, sizeof t3 - 1, errstr, sizeof errstr);
    assert_string_equal(errstr,
                        "t.json: UTF-16 text (as PowerShell's > writes it): convert it to UTF-8");
    collected *inv = text_ok("\xef\xbb\xbf{\"RoleDetailList\":[]}");
    assert_int_equal(inv->n_roles, 0);
    collected_destroy(inv);
    text_fails("\xef\xbb\xbf{\"RoleDetailList\":1}", 23, errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:1:19: RoleDetailList: expected an array, found a number");
}

static void error_deep(void **state)
{
    (void)state;
    char errstr[256];
    char t[2 * 100 + 160];
    /* read in one pass, the first problem is the one told: the nesting is put where nothing
     * else is wrong, in a member that is skipped and in a policy document */
    const char *prefix[] = { "{\"Marker\":",
                             "{\"RoleDetailList\":[{\"RoleName\":\"r\",\"RolePolicyList\":[{"
                             "\"PolicyName\":\"p\",\"PolicyDocument\":{\"Statement\":" };
    const char *suffix[] = { "}", "}}]}]}" };
    for (int k = 0; k < 2; k++) {
        size_t n = 0;
        n += (size_t)snprintf(t, sizeof t, "%s", prefix[k]);
        for (int i = 0; i < 100; i++)
            t[n++] = '[';
        for (int i = 0; i < 100; i++)
            t[n++] = ']';
        n += (size_t)snprintf(t + n, sizeof t - n, "%s", suffix[k]);
        text_fails(t, n, errstr, sizeof errstr);
        assert_true(strncmp(errstr, "t.json:1:", 9) == 0);
        assert_non_null(strstr(errstr, "deeper"));
    }
}

static void error_files(void **state)
{
    (void)state;
    collected *inv;
    tw_err rc;
    char errstr[256] = "";
    /* a directory */
    char dir[] = "/tmp/tw_inventory_dirXXXXXX";
    assert_non_null(mkdtemp(dir));
    inv = collect(dir, NULL, 0, &rc, errstr, sizeof errstr);
    rmdir(dir);
    assert_int_equal(rc, TW_ERR_IO);
    assert_null(inv);
    assert_non_null(strstr(errstr, ": is a directory"));
    assert_memory_equal(errstr, dir, strlen(dir));
    /* missing */
    inv = collect("/nonexistent/grants.json", NULL, 0, &rc, errstr, sizeof errstr);
    assert_int_equal(rc, TW_ERR_IO);
    assert_null(inv);
    assert_string_equal(errstr, "/nonexistent/grants.json: No such file or directory");
    /* empty, and only blanks */
    char path[] = "/tmp/tw_inventory_emptyXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    inv = collect(path, NULL, 0, &rc, errstr, sizeof errstr);
    assert_int_equal(rc, TW_ERR_PARSE);
    assert_null(inv);
    assert_memory_equal(errstr, path, strlen(path));
    assert_non_null(strstr(errstr, ": empty file"));
    assert_int_equal(write(fd, " \n", 2), 2);
    close(fd);
    inv = collect(path, NULL, 0, &rc, errstr, sizeof errstr);
    assert_int_equal(rc, TW_ERR_PARSE);
    assert_non_null(strstr(errstr, ": empty file"));
    unlink(path);
}

/* Users before the groups they are in (the real files' order), a user after them, a group
 * nobody names, a group named twice (the first counts): each user gets its groups' grants. */
static void groups_after_users(void **state)
{
    (void)state;
    collected *inv = text_ok(
        "{\"UserDetailList\":[{\"UserName\":\"early\",\"Arn\":\"arn:aws:iam::111122223333:user/"
        "early\","
        "\"GroupList\":[\"g\",\"missing\"],\"UserPolicyList\":[{\"PolicyName\":\"own\","
        "\"PolicyDocument\":{\"Id\":\"own\"}}]}],"
        "\"GroupDetailList\":[{\"GroupName\":\"g\",\"AttachedManagedPolicies\":[{\"PolicyArn\":"
        "\"arn:aws:iam::111122223333:policy/gp\"}],\"GroupPolicyList\":[{\"PolicyName\":\"gi\","
        "\"PolicyDocument\":{\"Id\":\"group inline\"}}]},{\"GroupName\":\"lonely\"},"
        "{\"GroupName\":\"g\",\"GroupPolicyList\":[{\"PolicyName\":\"second\"}]}],"
        "\"RoleDetailList\":[],"
        "\"Policies\":[{\"Arn\":\"arn:aws:iam::111122223333:policy/gp\",\"PolicyVersionList\":"
        "[{\"IsDefaultVersion\":true,\"Document\":{\"Id\":\"gp\"}}]}]}");
    assert_int_equal(inv->n_users, 1);
    assert_int_equal(inv->n_groups, 3);
    assert_int_equal(inv->n_unresolved_groups, 1);
    assert_int_equal(inv->n_grants, 3);
    assert_true(tw_str_eq_c(inv->grants[0].source, "inventory user/early inline own"));
    /* the group's grants come when the group does: its inline one first, then attached */
    const tw_inv_grant *g = &inv->grants[1];
    assert_true(tw_str_eq_c(g->source, "inventory user/early via group/g inline gi"));
    assert_true(tw_str_eq_c(g->identity, "arn:aws:iam::111122223333:user/early"));
    assert_true(tw_str_eq_c(g->via_group, "g"));
    assert_true(tw_str_eq_c(tw_jnode_get(g->document, "Id")->text, "group inline"));
    g = &inv->grants[2];
    assert_true(tw_str_eq_c(g->source, "inventory user/early via group/g "
                                       "arn:aws:iam::111122223333:policy/gp"));
    assert_true(tw_str_eq_c(tw_jnode_get(g->document, "Id")->text, "gp"));
    collected_destroy(inv);

    /* groups first, then a user: resolved at once; the lists' keys in any order */
    inv = text_ok(
        "{\"Policies\":[],\"GroupDetailList\":[{\"GroupPolicyList\":[{\"PolicyDocument\":"
        "{\"Id\":\"d\"},\"PolicyName\":\"p\"}],\"GroupName\":\"g\"}],"
        "\"UserDetailList\":[{\"GroupList\":[\"g\",\"g\"],\"Arn\":\"arn:aws:iam::1:user/u\","
        "\"UserName\":\"u\"}]}");
    assert_int_equal(inv->n_grants, 1); /* g listed twice grants once */
    assert_int_equal(inv->n_unresolved_groups, 0);
    assert_true(tw_str_eq_c(inv->grants[0].source, "inventory user/u via group/g inline p"));
    assert_true(tw_str_eq_c(tw_jnode_get(inv->grants[0].document, "Id")->text, "d"));
    collected_destroy(inv);

    /* no GroupDetailList at all: every group named is unresolved, at the end */
    inv = text_ok("{\"UserDetailList\":[{\"UserName\":\"u\",\"Arn\":\"arn:aws:iam::1:user/u\","
                  "\"GroupList\":[\"a\",\"b\"]}],\"GroupDetailList\":null}");
    assert_int_equal(inv->n_unresolved_groups, 2);
    assert_int_equal(inv->n_grants, 0);
    collected_destroy(inv);
}

/* A policy listed before the user who attaches it, and one after; members of an entity in
 * any order (its policies before its name and Arn); a repeated key: the first counts. */
static void order_of_members(void **state)
{
    (void)state;
    collected *inv =
        text_ok("{\"Policies\":[{\"PolicyVersionList\":[{\"Document\":{\"Id\":\"before\"},"
                "\"VersionId\":\"v1\"}],\"DefaultVersionId\":\"v1\",\"Arn\":\"arn:aws:iam::1:"
                "policy/before\"}],"
                "\"RoleDetailList\":[{\"AttachedManagedPolicies\":[{\"PolicyArn\":\"arn:aws:iam::1:"
                "policy/before\"},"
                "{\"PolicyArn\":\"arn:aws:iam::1:policy/after\"}],"
                "\"RolePolicyList\":[{\"PolicyDocument\":{\"Id\":\"in\"},\"PolicyName\":\"in\"}],"
                "\"RoleName\":\"r\",\"RoleName\":7,\"Arn\":\"arn:aws:iam::1:role/x/r\"}],"
                "\"Policies\":\"a repeated key: skipped\"}");
    assert_int_equal(inv->n_policies, 1);
    assert_int_equal(inv->n_grants, 3);
    assert_true(tw_str_eq_c(inv->grants[0].source, "inventory role/r inline in"));
    assert_true(tw_str_eq_c(inv->grants[0].identity, "arn:aws:iam::1:role/r"));
    assert_true(
        tw_str_eq_c(inv->grants[1].source, "inventory role/r arn:aws:iam::1:policy/before"));
    assert_true(tw_str_eq_c(tw_jnode_get(inv->grants[1].document, "Id")->text, "before"));
    /* not defined by the file: no document */
    assert_null(inv->grants[2].document);
    collected_destroy(inv);

    inv = text_ok(
        "{\"UserDetailList\":[{\"UserName\":\"u\",\"Arn\":\"arn:aws:iam::1:user/u\","
        "\"AttachedManagedPolicies\":[{\"PolicyArn\":\"arn:aws:iam::1:policy/later\"}]}],"
        "\"Policies\":[{\"Arn\":\"arn:aws:iam::1:policy/later\",\"PolicyVersionList\":"
        "[{\"VersionId\":\"v2\",\"Document\":{\"Id\":\"v2\"}}],\"DefaultVersionId\":\"v2\"}]}");
    assert_int_equal(inv->n_grants, 1);
    assert_true(tw_str_eq_c(tw_jnode_get(inv->grants[0].document, "Id")->text, "v2"));
    collected_destroy(inv);
}

/* Wrong types and bad JSON deep inside: the place is the value's own. A document's content
 * is the caller's to judge (a Statement of the wrong type loads), its JSON is not. */
static void error_deep_inside(void **state)
{
    (void)state;
    char errstr[256];
    const char *t = "{\"Policies\":[{\"Arn\":\"arn:aws:iam::1:policy/a\"},\n"
                    " {\"Arn\":\"arn:aws:iam::1:policy/b\",\"PolicyVersionList\":[{},{},\n"
                    "   {\"VersionId\":\"v3\",\"Document\":42}]}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:3:33: Policies[1].PolicyVersionList[2].Document: expected "
                                "an object or a string, found a number");

    t = "{\"RoleDetailList\":[{\"RoleName\":\"r\",\"Arn\":\"arn:aws:iam::1:role/r\",\n"
        "\"RolePolicyList\":[{\"PolicyName\":\"p\",\"PolicyDocument\":{\"Statement\":[{\n"
        "  \"Action\":[\"s3:GetObject\" \"s3:PutObject\"]}]}}]}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_true(strncmp(errstr, "t.json:3:28: not JSON: ", 23) == 0);

    t = "{\"RoleDetailList\":[{\"RoleName\":\"r\",\"Arn\":\"arn:aws:iam::1:role/r\","
        "\"RolePolicyList\":[{\"PolicyName\":\"p\",\"PolicyDocument\":{\"Statement\":17}}]}]}";
    collected *inv = text_ok(t);
    assert_int_equal(inv->n_grants, 1);
    assert_int_equal(tw_jnode_get(inv->grants[0].document, "Statement")->type, TW_JV_NUMBER);
    collected_destroy(inv);

    /* a document that is a list is refused where it starts, not read whole first */
    t = "{\"UserDetailList\":[{\"UserPolicyList\":[{\"PolicyName\":\"p\",\"PolicyDocument\":[1,[2]]"
        "}]}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:1:74: UserDetailList[0].UserPolicyList[0].PolicyDocument: "
                                "expected an object or a string, found an array");

    /* required members, missing: the place is the object's */
    t = "{\"GroupDetailList\":[{\"GroupPolicyList\":[]}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr,
                        "t.json:1:21: GroupDetailList[0]: missing \"GroupName\" (a non-empty "
                        "string)");
    t = "{\"UserDetailList\":[{\"UserName\":\"u\"}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr,
                        "t.json:1:20: UserDetailList[0]: missing \"Arn\" (a non-empty string)");
    t = "{\"Policies\":[{\"Arn\":\"\"}]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr,
                        "t.json:1:21: Policies[0].Arn: expected a non-empty string, found an "
                        "empty string");
    /* an element of a list that is no object, and the stream cut after a member's colon */
    t = "{\"UserDetailList\":[[]]}";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_string_equal(errstr,
                        "t.json:1:20: UserDetailList[0]: expected an object, found an array");
    t = "{\"UserDetailList\":";
    text_fails(t, strlen(t), errstr, sizeof errstr);
    assert_true(strncmp(errstr, "t.json:1:19: not JSON: ", 23) == 0);
}

/* A sink that stops: the read stops with its error. */
static tw_err stop_at_first(void *ud, const tw_inv_grant *g)
{
    (void)g;
    (*(int *)ud)++;
    return TW_ERR_STOPPED;
}

static void sink_stops(void **state)
{
    (void)state;
    TW_NEED_FILE(CLOUDMAPPER);
    int calls = 0;
    char errstr[128];
    tw_inv_sink sink = { .ud = &calls, .grant = stop_at_first };
    tw_err rc = tw_inventory_stream(CLOUDMAPPER, &sink, NULL, errstr, sizeof errstr);
    assert_int_equal(rc, TW_ERR_STOPPED);
    assert_int_equal(calls, 1);
    assert_non_null(strstr(errstr, "iam-get-account-authorization-details.json: "));
    /* no sink at all: counted, nothing handed over */
    tw_inv_counts n;
    assert_int_equal(tw_inventory_stream(CLOUDMAPPER, NULL, &n, errstr, sizeof errstr), TW_OK);
    assert_int_equal(n.n_grants, 7);
    assert_int_equal(n.n_users, 2);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(cloudmapper_demo),
    cmocka_unit_test(cloudsplaining_examples),
    cmocka_unit_test(aws_managed_not_listed),
    cmocka_unit_test(default_version),
    cmocka_unit_test(documents_over_the_bound),
    cmocka_unit_test(repeats_grant_once),
    cmocka_unit_test(lenient_shapes),
    cmocka_unit_test(error_truncated),
    cmocka_unit_test(error_not_json),
    cmocka_unit_test(error_wrong_types),
    cmocka_unit_test(error_utf8),
    cmocka_unit_test(error_deep),
    cmocka_unit_test(error_files),
    cmocka_unit_test(groups_after_users),
    cmocka_unit_test(order_of_members),
    cmocka_unit_test(error_deep_inside),
    cmocka_unit_test(sink_stops),
};

TW_TEST_MAIN(tests)
