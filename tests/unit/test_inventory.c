/* ingest_inventory: grants from `aws iam get-account-authorization-details` (--grants), on the
 * real samples in ../shared/data (CloudMapper's demo account, Cloudsplaining's fixtures) and
 * on small texts for the shapes the samples lack; every kind of bad input gives TW_ERR_PARSE
 * with the file, line and column. The counts below were taken from the files with jq. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tw_test.h"

#include "ingest_inventory.h"

#define DATA TW_SOURCE_DIR "/../shared/data/"
#define CLOUDMAPPER DATA "cloudmapper-demo-iam/iam-get-account-authorization-details.json"
#define CSPL DATA "cloudsplaining-authz-details/"

static tw_inventory *load_ok(const char *path)
{
    tw_inventory *inv = NULL;
    char errstr[256] = "";
    tw_err rc = tw_inventory_load(path, &inv, errstr, sizeof errstr);
    if (rc != TW_OK)
        fail_msg("%s", errstr);
    assert_non_null(inv);
    return inv;
}

static tw_inventory *text_ok(const char *text)
{
    tw_inventory *inv = NULL;
    char errstr[256] = "";
    tw_err rc = tw_inventory_load_text("t.json", text, strlen(text), &inv, errstr, sizeof errstr);
    if (rc != TW_OK)
        fail_msg("%s", errstr);
    return inv;
}

/* The error text of a text that must fail with TW_ERR_PARSE. */
static void text_fails(const char *text, size_t len, char *errstr, size_t size)
{
    tw_inventory *inv = (tw_inventory *)1;
    assert_int_equal(tw_inventory_load_text("t.json", text, len, &inv, errstr, size), TW_ERR_PARSE);
    assert_null(inv);
}

/* The grant with this source, or NULL. */
static const tw_inv_grant *by_source(const tw_inventory *inv, const char *source)
{
    for (size_t i = 0; i < inv->n_grants; i++)
        if (tw_str_eq_c(inv->grants[i].source, source))
            return &inv->grants[i];
    return NULL;
}

static size_t count_with_doc(const tw_inventory *inv)
{
    size_t n = 0;
    for (size_t i = 0; i < inv->n_grants; i++)
        n += inv->grants[i].document != NULL;
    return n;
}

static size_t count_via_group(const tw_inventory *inv)
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
    tw_inventory *inv = load_ok(CLOUDMAPPER);
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
    g = by_source(inv, "inventory role/bad_role arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM");
    assert_non_null(g);
    assert_true(tw_str_eq_c(g->policy_arn, "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"));
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
    tw_inventory_destroy(inv);
}

static void cloudsplaining_examples(void **state)
{
    (void)state;
    /* jq, per file: users, groups, roles, policies; grants, of them via a group */
    tw_inventory *inv = load_ok(CSPL "example.json");
    assert_int_equal(inv->n_users, 44);
    assert_int_equal(inv->n_groups, 5);
    assert_int_equal(inv->n_roles, 78);
    assert_int_equal(inv->n_policies, 84);
    assert_int_equal(inv->n_grants, 146);
    assert_int_equal(count_via_group(inv), 5);
    assert_int_equal(count_with_doc(inv), 146);
    assert_int_equal(inv->n_unresolved_groups, 0);
    tw_inventory_destroy(inv);

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
    g = by_source(inv, "inventory user/biden via group/biden arn:aws:iam::aws:policy/AmazonRDSFullAccess");
    assert_non_null(g);
    assert_true(tw_str_eq_c(g->via_group, "biden"));
    assert_true(tw_str_eq_c(g->policy_arn, "arn:aws:iam::aws:policy/AmazonRDSFullAccess"));
    assert_non_null(g->document);
    g = by_source(inv, "inventory user/obama via group/admin arn:aws:iam::aws:policy/AdministratorAccess");
    assert_non_null(g);
    assert_true(tw_str_eq_c(g->via_group, "admin"));
    g = by_source(inv, "inventory user/obama arn:aws:iam::aws:policy/AdministratorAccess");
    assert_non_null(g); /* attached directly too: a second grant, not via the group */
    assert_int_equal(g->via_group.len, 0);
    tw_inventory_destroy(inv);
}

static void aws_managed_not_listed(void **state)
{
    (void)state;
    /* example_authz_v2.json: BlakeBortles is in GOAT, which has AdministratorAccess, and the
     * file's Policies list only two customer managed policies */
    tw_inventory *inv = load_ok(CSPL "example_authz_v2.json");
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
    tw_inventory_destroy(inv);

    /* a role, in another partition, with a path */
    inv = text_ok("{\"RoleDetailList\":[{\"RoleName\":\"r\",\"Arn\":\"arn:aws-cn:iam::111122223333:role/p/q/r\","
                  "\"AttachedManagedPolicies\":[{\"PolicyName\":\"ReadOnlyAccess\","
                  "\"PolicyArn\":\"arn:aws-cn:iam::aws:policy/ReadOnlyAccess\"}]}]}");
    assert_int_equal(inv->n_grants, 1);
    g = &inv->grants[0];
    assert_true(tw_str_eq_c(g->identity, "arn:aws-cn:iam::111122223333:role/r"));
    assert_true(tw_str_eq_c(g->source, "inventory role/r arn:aws-cn:iam::aws:policy/ReadOnlyAccess"));
    assert_true(tw_str_eq_c(g->policy_arn, "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"));
    assert_null(g->document);
    assert_int_equal(g->via_group.len, 0);
    tw_inventory_destroy(inv);
}

static void default_version(void **state)
{
    (void)state;
    /* p1: the flagged default is the second version; p2: no flags, DefaultVersionId decides;
     * p3: an older CLI's URL-encoded string document is handed over as it is */
    tw_inventory *inv = text_ok(
        "{\"UserDetailList\":[{\"UserName\":\"u\",\"Arn\":\"arn:aws:iam::111122223333:user/u\","
        "\"AttachedManagedPolicies\":[{\"PolicyArn\":\"arn:aws:iam::111122223333:policy/p1\"},"
        "{\"PolicyArn\":\"arn:aws:iam::111122223333:policy/p2\"},"
        "{\"PolicyArn\":\"arn:aws:iam::111122223333:policy/p3\"}],"
        "\"UserPolicyList\":[{\"PolicyName\":\"enc\",\"PolicyDocument\":\"%7B%22Version%22%7D\"}]}],"
        "\"Policies\":["
        "{\"Arn\":\"arn:aws:iam::111122223333:policy/p1\",\"DefaultVersionId\":\"v2\",\"PolicyVersionList\":["
        "{\"VersionId\":\"v1\",\"IsDefaultVersion\":false,\"Document\":{\"Id\":\"old\"}},"
        "{\"VersionId\":\"v2\",\"IsDefaultVersion\":true,\"Document\":{\"Id\":\"new\"}}]},"
        "{\"Arn\":\"arn:aws:iam::111122223333:policy/p2\",\"DefaultVersionId\":\"v7\",\"PolicyVersionList\":["
        "{\"VersionId\":\"v6\",\"Document\":{\"Id\":\"six\"}},{\"VersionId\":\"v7\",\"Document\":{\"Id\":\"seven\"}}]},"
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
    tw_inventory_destroy(inv);
}

static void lenient_shapes(void **state)
{
    (void)state;
    tw_inventory *inv = text_ok("{}");
    assert_int_equal(inv->n_grants, 0);
    assert_int_equal(inv->n_users + inv->n_roles + inv->n_groups + inv->n_policies, 0);
    tw_inventory_destroy(inv);
    /* unknown keys anywhere, null lists, a user in a group the file does not hold (a
     * filtered export), an inline policy without its document */
    inv = text_ok("{\"Marker\":\"x\",\"IsTruncated\":false,\"Policies\":null,"
                  "\"UserDetailList\":[{\"UserName\":\"u\",\"Arn\":\"arn:aws:iam::111122223333:user/u\","
                  "\"NewField\":{\"a\":[1,2]},\"GroupList\":[\"elsewhere\"],\"AttachedManagedPolicies\":null,"
                  "\"UserPolicyList\":[{\"PolicyName\":\"p\",\"Extra\":1}]}]}");
    assert_int_equal(inv->n_users, 1);
    assert_int_equal(inv->n_grants, 1);
    assert_int_equal(inv->n_unresolved_groups, 1);
    assert_null(inv->grants[0].document);
    tw_inventory_destroy(inv);
    tw_inventory_destroy(NULL);
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
    tw_inventory *inv = (tw_inventory *)1;
    tw_err rc = tw_inventory_load(path, &inv, errstr, size);
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
    assert_string_equal(errstr, "t.json:1:11: not JSON: a raw control character (0x0A) in a string");
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

    t = "{\"UserDetailList\":[{\"UserName\":\"a\",\"Arn\":\"arn:aws:iam::1:user/a\",\"GroupList\":[1]}]}";
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
    const char t[] = "{\"UserDetailList\":[{\"UserName\":\"a\xff\xfe\",\"Arn\":\"arn:aws:iam::1:user/a\"}]}";
    text_fails(t, sizeof t - 1, errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:1:34: invalid UTF-8 (byte 0xFF)");
    /* an overlong "/" (C0 AF) on line 2, after valid two- and three-byte characters */
    const char t2[] = "{\"a\":\"\xc3\xa9\xe2\x82\xac\",\n\"b\":\"\xc0\xaf\"}";
    text_fails(t2, sizeof t2 - 1, errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:2:6: invalid UTF-8 (byte 0xC0)");
    /* UTF-16 (PowerShell 5's redirection) is named as such; a UTF-8 byte order mark is fine */
    const char t3[] = "\xff\xfe{\0}\0";
    text_fails(t3, sizeof t3 - 1, errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json: UTF-16 text (as PowerShell's > writes it): convert it to UTF-8");
    tw_inventory *inv = text_ok("\xef\xbb\xbf{\"RoleDetailList\":[]}");
    assert_int_equal(inv->n_roles, 0);
    tw_inventory_destroy(inv);
    text_fails("\xef\xbb\xbf{\"RoleDetailList\":1}", 23, errstr, sizeof errstr);
    assert_string_equal(errstr, "t.json:1:19: RoleDetailList: expected an array, found a number");
}

static void error_deep(void **state)
{
    (void)state;
    char errstr[256];
    char t[2 * 100 + 32];
    size_t n = 0;
    n += (size_t)snprintf(t, sizeof t, "{\"Policies\":");
    for (int i = 0; i < 100; i++)
        t[n++] = '[';
    for (int i = 0; i < 100; i++)
        t[n++] = ']';
    t[n++] = '}';
    text_fails(t, n, errstr, sizeof errstr);
    assert_true(strncmp(errstr, "t.json:1:", 9) == 0);
    assert_non_null(strstr(errstr, "deeper"));
}

static void error_files(void **state)
{
    (void)state;
    tw_inventory *inv = (tw_inventory *)1;
    char errstr[256] = "";
    /* a directory */
    assert_int_equal(tw_inventory_load(DATA "cloudmapper-demo-iam", &inv, errstr, sizeof errstr),
                     TW_ERR_IO);
    assert_null(inv);
    assert_non_null(strstr(errstr, "cloudmapper-demo-iam: is a directory"));
    /* missing */
    assert_int_equal(tw_inventory_load("/nonexistent/grants.json", &inv, errstr, sizeof errstr),
                     TW_ERR_IO);
    assert_string_equal(errstr, "/nonexistent/grants.json: No such file or directory");
    /* empty, and only blanks */
    char path[] = "/tmp/tw_inventory_emptyXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(tw_inventory_load(path, &inv, errstr, sizeof errstr), TW_ERR_PARSE);
    assert_null(inv);
    assert_memory_equal(errstr, path, strlen(path));
    assert_non_null(strstr(errstr, ": empty file"));
    assert_int_equal(write(fd, " \n", 2), 2);
    close(fd);
    assert_int_equal(tw_inventory_load(path, &inv, errstr, sizeof errstr), TW_ERR_PARSE);
    assert_non_null(strstr(errstr, ": empty file"));
    unlink(path);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cloudmapper_demo),
        cmocka_unit_test(cloudsplaining_examples),
        cmocka_unit_test(aws_managed_not_listed),
        cmocka_unit_test(default_version),
        cmocka_unit_test(lenient_shapes),
        cmocka_unit_test(error_truncated),
        cmocka_unit_test(error_not_json),
        cmocka_unit_test(error_wrong_types),
        cmocka_unit_test(error_utf8),
        cmocka_unit_test(error_deep),
        cmocka_unit_test(error_files),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
