/* Unit tests of policy_facts: who a policy document lets in, over the shapes resource policies
 * and trust policies take in the wild (bucket policies held to an organization, public-read
 * sites with a TLS Deny, the "deny unless my organization" clause, role trusts to services,
 * accounts, roles, SAML providers, quarantines), the condition operators and keys that restrict
 * an Allow to anyone and those that do not, the text forms of a document, and refusals.
 *
 * Documents are written with single quotes for readability; doc() turns them into JSON. Every
 * check names the exact set of facts expected: a fact set that should not be fails the case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tw_test.h"

#include "schema_jdom.h"
#include "schema_json.h"
#include "policy_facts.h"

#define OWN "111122223333"
#define OTHER "444455556666"

/* ---- helpers ----------------------------------------------------------------------------- */

static tw_json *js;

static int setup(void **state)
{
    (void)state;
    js = tw_json_new();
    return js ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tw_json_destroy(js);
    js = NULL;
    return 0;
}

/* single quotes to double quotes (the documents hold no other quote) */
static char *doc(const char *quoted)
{
    size_t n = strlen(quoted);
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i <= n; i++)
        s[i] = quoted[i] == '\'' ? '"' : quoted[i];
    return s;
}

static tw_policy_facts facts_own(const char *quoted, const char *own)
{
    char *text = doc(quoted);
    char errstr[256] = "";
    tw_policy_facts f;
    tw_err err = tw_policy_facts_text(js, tw_str_c(text), tw_str_c(own), &f, errstr, sizeof errstr);
    if (err != TW_OK)
        fail_msg("refused: %s\n  %s", errstr, text);
    free(text);
    return f;
}

static tw_policy_facts facts(const char *quoted)
{
    return facts_own(quoted, OWN);
}

/* The facts set must be exactly those named (comma-separated). */
static void expect(const tw_policy_facts *f, const char *set, const char *what)
{
    const struct {
        const char *name;
        bool value;
    } all[] = {
        { "allows", f->allows },
        { "denies_all", f->denies_all },
        { "anyone", f->anyone },
        { "anyone_restricted", f->anyone_restricted },
        { "aws_principal", f->aws_principal },
        { "whole_account", f->whole_account },
        { "other_account", f->other_account },
        { "service_principal", f->service_principal },
        { "federated", f->federated },
        { "canonical_user", f->canonical_user },
    };
    size_t named = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        size_t len = strlen(all[i].name);
        bool want = false;
        for (const char *p = set; *p;) {
            const char *e = strchr(p, ',');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            if (l == len && !memcmp(p, all[i].name, l))
                want = true;
            p += l + (e ? 1 : 0);
        }
        named += want;
        if (want != all[i].value)
            fail_msg("%s: %s is %s, expected %s (want {%s})", what, all[i].name,
                     all[i].value ? "set" : "clear", want ? "set" : "clear", set);
    }
    size_t commas = 0;
    for (const char *p = set; *p; p++)
        commas += *p == ',';
    if (named != (*set ? commas + 1 : 0))
        fail_msg("%s: a misspelt fact in {%s}", what, set);
}

static void expect_doc(const char *quoted, const char *set)
{
    tw_policy_facts f = facts(quoted);
    expect(&f, set, quoted);
}

/* Refused with TW_ERR_PARSE, a message holding `needle` and a byte offset, facts all clear. */
static void refused_text(tw_str text, const char *needle)
{
    char errstr[256] = "";
    tw_policy_facts f;
    memset(&f, 0xff, sizeof f);
    tw_err err = tw_policy_facts_text(js, text, tw_str_c(OWN), &f, errstr, sizeof errstr);
    if (err != TW_ERR_PARSE)
        fail_msg("accepted (%d): %.200s", (int)err, text.p);
    if (!strstr(errstr, needle))
        fail_msg("errstr \"%s\" does not say \"%s\"", errstr, needle);
    if (!strstr(errstr, "byte "))
        fail_msg("errstr \"%s\" names no byte offset", errstr);
    expect(&f, "", "refused");
}

static void refused(const char *quoted, const char *needle)
{
    char *text = doc(quoted);
    refused_text(tw_str_c(text), needle);
    free(text);
}

#define POLICY(stmts) "{'Version':'2012-10-17','Statement':" stmts "}"
#define BUCKET "arn:aws:s3:::example-bucket"
/* public read of a bucket's objects: the Allow of every static-site policy */
#define PUBLIC_READ(principal)                                    \
    "{'Sid':'PublicRead','Effect':'Allow','Principal':" principal \
    ",'Action':['s3:GetObject','s3:GetObjectVersion'],'Resource':'" BUCKET "/*'}"
#define PUBLIC_READ_IF(cond)                                                                \
    "{'Sid':'OrgRead','Effect':'Allow','Principal':'*','Action':'s3:GetObject','Resource':" \
    "'" BUCKET "/*','Condition':" cond "}"
/* the TLS-only clause AWS Config and Security Hub ask for */
#define DENY_INSECURE                                                                 \
    "{'Sid':'DenyInsecureTransport','Effect':'Deny','Principal':'*','Action':'s3:*'," \
    "'Resource':['" BUCKET "','" BUCKET                                               \
    "/*'],'Condition':{'Bool':{'aws:SecureTransport':'false'}}}"
#define DENY_IF(cond)                                                                              \
    "{'Sid':'DenyOutsideOrg','Effect':'Deny','Principal':'*','Action':'s3:*','Resource':['" BUCKET \
    "','" BUCKET "/*'],'Condition':" cond "}"
#define TRUST(principal) "{'Effect':'Allow','Principal':" principal ",'Action':'sts:AssumeRole'}"
#define TRUST_IF(principal, cond) \
    "{'Effect':'Allow','Principal':" principal ",'Action':'sts:AssumeRole','Condition':" cond "}"
#define ORG "{'StringEquals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'}}"

/* ---- resource sharing -------------------------------------------------------------------- */

static void bucket_org_restricted(void **state)
{
    (void)state;
    expect_doc(POLICY("[" PUBLIC_READ_IF(ORG) "]"), "allows,anyone_restricted,aws_principal");
    /* the list form of the value, and the statement as an object rather than a list */
    expect_doc(POLICY(PUBLIC_READ_IF("{'StringEquals':{'aws:PrincipalOrgID':['o-a1b2c3d4e5',"
                                     "'o-f6g7h8i9j0']}}")),
               "allows,anyone_restricted,aws_principal");
}

static void bucket_public_no_condition(void **state)
{
    (void)state;
    expect_doc(POLICY("[" PUBLIC_READ("'*'") "]"), "allows,anyone,aws_principal");
    /* a condition that holds no one in (TLS only, a user agent) leaves it public */
    expect_doc(POLICY("[" PUBLIC_READ_IF("{'Bool':{'aws:SecureTransport':'true'},'StringLike':"
                                         "{'aws:UserAgent':'Mozilla*'}}") "]"),
               "allows,anyone,aws_principal");
    /* one restricted Allow does not hide another that is open */
    expect_doc(POLICY("[" PUBLIC_READ_IF(ORG) "," PUBLIC_READ("'*'") "]"),
               "allows,anyone,anyone_restricted,aws_principal");
}

static void aws_star_principal(void **state)
{
    (void)state;
    expect_doc(POLICY("[" PUBLIC_READ("{'AWS':'*'}") "]"), "allows,anyone,aws_principal");
    expect_doc(POLICY("[" PUBLIC_READ("{'AWS':['arn:aws:iam::" OWN ":role/Reader','*']}") "]"),
               "allows,anyone,aws_principal");
    /* a wildcard account means every account */
    expect_doc(POLICY("[" TRUST("{'AWS':'arn:aws:iam::*:root'}") "]"),
               "allows,anyone,aws_principal");
    expect_doc(POLICY("[" TRUST("{'AWS':'arn:aws:iam::*:role/Admin'}") "]"),
               "allows,anyone,aws_principal");
    expect_doc(POLICY("[" TRUST("{'AWS':'arn:aws:iam::*'}") "]"), "allows,anyone,aws_principal");
    expect_doc(POLICY("[" TRUST("{'AWS':'4444*'}") "]"), "allows,anyone,aws_principal");
    /* a wildcard behind a fixed account names that account */
    expect_doc(POLICY("[" TRUST("{'AWS':'arn:aws:iam::" OTHER ":role/team-*'}") "]"),
               "allows,aws_principal,other_account");
    /* {'Service':'*'} is no AWS principal */
    expect_doc(POLICY("[" TRUST("{'Service':'*'}") "]"), "allows,service_principal");
}

static void public_read_with_deny_insecure(void **state)
{
    (void)state;
    expect_doc(POLICY("[" PUBLIC_READ("'*'") "," DENY_INSECURE "]"), "allows,anyone,aws_principal");
}

static void deny_unless_my_org(void **state)
{
    (void)state;
    const char *const restricting[] = {
        DENY_IF("{'StringNotEquals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'}}"),
        DENY_IF("{'StringNotEqualsIfExists':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'}}"),
        DENY_IF("{'ForAllValues:StringNotLike':{'aws:PrincipalOrgPaths':'o-a1b2c3d4e5/r-ab12/*'}}"),
        DENY_IF("{'StringNotEquals':{'aws:PrincipalAccount':['" OWN "','" OTHER "']}}"),
        DENY_IF("{'NotIpAddress':{'aws:SourceIp':['192.0.2.0/24','203.0.113.0/24']}}"),
        DENY_IF("{'ArnNotLike':{'aws:PrincipalArn':'arn:aws:iam::" OWN ":role/*'}}"),
        /* the data-perimeter shape: AWS services acting for themselves are let through */
        DENY_IF("{'StringNotEqualsIfExists':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'},"
                "'BoolIfExists':{'aws:PrincipalIsAWSService':'false'}}"),
        DENY_IF("{'StringNotEquals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5','aws:SourceVpce':"
                "'vpce-1a2b3c4d'}}"),
        "{'Effect':'Deny','Principal':{'AWS':'*'},'Action':'*','Resource':'*','Condition':"
        "{'StringNotEquals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'}}}",
    };
    for (size_t i = 0; i < sizeof restricting / sizeof restricting[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, POLICY("[" PUBLIC_READ("'*'") ",%s]"), restricting[i]);
        expect_doc(text, "allows,anyone_restricted,aws_principal");
    }
    /* the order of the statements does not matter */
    expect_doc(
        POLICY("[" DENY_IF(
            "{'StringNotEquals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'}}") "," PUBLIC_READ("'*'") "]"),
        "allows,anyone_restricted,aws_principal");
}

static void deny_that_restricts_nothing(void **state)
{
    (void)state;
    const char *const open[] = {
        /* ForAnyValue: over an absent key is false: anonymous callers are not denied */
        DENY_IF("{'ForAnyValue:StringNotEquals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'}}"),
        /* another entry ANDed in: over HTTPS, outsiders are not denied */
        DENY_IF("{'StringNotEquals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'},'Bool':"
                "{'aws:SecureTransport':'false'}}"),
        /* a positive operator in a Deny denies the insiders */
        DENY_IF("{'StringEquals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'}}"),
        /* values that are not fixed */
        DENY_IF("{'StringNotLike':{'aws:PrincipalOrgID':'*'}}"),
        DENY_IF("{'StringNotLike':{'aws:PrincipalOrgID':'o-*'}}"),
        DENY_IF("{'NotIpAddress':{'aws:SourceIp':'0.0.0.0/0'}}"),
        /* a key that is not on the list */
        DENY_IF("{'StringNotEquals':{'sts:ExternalId':'x-1234'}}"),
        /* a Deny to a named principal, with the clause */
        "{'Effect':'Deny','Principal':{'AWS':'arn:aws:iam::" OTHER ":root'},'Action':'s3:*',"
        "'Resource':'*','Condition':{'StringNotEquals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'}}}",
        /* an unconditional Deny of some actions to everyone */
        "{'Effect':'Deny','Principal':'*','Action':'s3:DeleteObject','Resource':'*'}",
    };
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, POLICY("[" PUBLIC_READ("'*'") ",%s]"), open[i]);
        expect_doc(text, "allows,anyone,aws_principal");
    }
}

static void deny_star_alone(void **state)
{
    (void)state;
    expect_doc(POLICY("[" DENY_INSECURE "]"), "");
    expect_doc(POLICY("[" DENY_IF("{'StringNotEquals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'}}") "]"),
               "");
    /* a Deny names no principal: a Deny to another account sets nothing */
    expect_doc(POLICY("[{'Effect':'Deny','Principal':{'AWS':'arn:aws:iam::" OTHER ":root',"
                      "'Service':'ec2.amazonaws.com'},'Action':'s3:*','Resource':'*'}]"),
               "");
}

/* ---- role trust policies ----------------------------------------------------------------- */

static void trust_lambda_service(void **state)
{
    (void)state;
    expect_doc(POLICY("[" TRUST("{'Service':'lambda.amazonaws.com'}") "]"),
               "allows,service_principal");
    expect_doc(
        POLICY("[" TRUST("{'Service':['lambda.amazonaws.com','edgelambda.amazonaws.com']}") "]"),
        "allows,service_principal");
    /* a service trust held to the account by aws:SourceAccount is still a service trust */
    expect_doc(POLICY("[" TRUST_IF("{'Service':'lambda.amazonaws.com'}",
                                   "{'StringEquals':{'aws:SourceAccount':'" OWN "'}}") "]"),
               "allows,service_principal");
}

static void trust_other_account_root(void **state)
{
    (void)state;
    expect_doc(POLICY("[" TRUST("{'AWS':'arn:aws:iam::" OTHER ":root'}") "]"),
               "allows,aws_principal,whole_account,other_account");
    /* other partitions */
    expect_doc(POLICY("[" TRUST("{'AWS':'arn:aws-us-gov:iam::" OTHER ":root'}") "]"),
               "allows,aws_principal,whole_account,other_account");
    /* the account's own root is the whole account, not another */
    expect_doc(POLICY("[" TRUST("{'AWS':'arn:aws:iam::" OWN ":root'}") "]"),
               "allows,aws_principal,whole_account");
    /* a role or an assumed-role session of another account: not the whole account */
    expect_doc(POLICY("[" TRUST("{'AWS':'arn:aws:iam::" OTHER ":role/deploy'}") "]"),
               "allows,aws_principal,other_account");
    expect_doc(POLICY("[" TRUST("{'AWS':'arn:aws:sts::" OTHER ":assumed-role/deploy/ci'}") "]"),
               "allows,aws_principal,other_account");
    expect_doc(POLICY("[" TRUST("{'AWS':'arn:aws:iam::" OTHER ":user/alice'}") "]"),
               "allows,aws_principal,other_account");
}

static void trust_same_account_role(void **state)
{
    (void)state;
    expect_doc(POLICY("[" TRUST("{'AWS':'arn:aws:iam::" OWN ":role/service-role/ci-runner'}") "]"),
               "allows,aws_principal");
    expect_doc(POLICY("[" TRUST("{'AWS':['arn:aws:iam::" OWN ":role/a','arn:aws:iam::" OWN
                                ":user/b']}") "]"),
               "allows,aws_principal");
    /* one foreign entry among own ones */
    expect_doc(POLICY("[" TRUST("{'AWS':['arn:aws:iam::" OWN ":role/a','arn:aws:iam::" OTHER
                                ":role/b']}") "]"),
               "allows,aws_principal,other_account");
}

static void trust_bare_account_id(void **state)
{
    (void)state;
    expect_doc(POLICY("[" TRUST("{'AWS':'" OTHER "'}") "]"),
               "allows,aws_principal,whole_account,other_account");
    expect_doc(POLICY("[" TRUST("{'AWS':'" OWN "'}") "]"), "allows,aws_principal,whole_account");
    /* not 12 digits: an AWS principal of unknown account */
    expect_doc(POLICY("[" TRUST("{'AWS':'4444555566667'}") "]"), "allows,aws_principal");
}

static void trust_external_id(void **state)
{
    (void)state;
    /* sts:ExternalId guards against a confused deputy, not against the other account */
    expect_doc(POLICY("[" TRUST_IF("{'AWS':'arn:aws:iam::" OTHER ":root'}",
                                   "{'StringEquals':{'sts:ExternalId':'Unique-ID-1234'}}") "]"),
               "allows,aws_principal,whole_account,other_account");
    /* nor does it hold in a trust to anyone */
    expect_doc(
        POLICY("[" TRUST_IF("'*'", "{'StringEquals':{'sts:ExternalId':'Unique-ID-1234'}}") "]"),
        "allows,anyone,aws_principal");
}

static void trust_saml_federated(void **state)
{
    (void)state;
    expect_doc(POLICY("[{'Effect':'Allow','Principal':{'Federated':'arn:aws:iam::" OWN
                      ":saml-provider/Okta'},'Action':'sts:AssumeRoleWithSAML','Condition':"
                      "{'StringEquals':{'SAML:aud':'https://signin.aws.amazon.com/saml'}}}]"),
               "allows,federated");
    /* GitHub's OIDC provider, with both ways of writing the audience */
    expect_doc(POLICY("[{'Effect':'Allow','Principal':{'Federated':['arn:aws:iam::" OWN
                      ":oidc-provider/token.actions.githubusercontent.com']},'Action':"
                      "'sts:AssumeRoleWithWebIdentity','Condition':{'StringLike':{"
                      "'token.actions.githubusercontent.com:sub':'repo:octo-org/*'}}}]"),
               "allows,federated");
}

static void not_principal(void **state)
{
    (void)state;
    /* an Allow to everyone but one role */
    expect_doc(POLICY("[{'Effect':'Allow','NotPrincipal':{'AWS':'arn:aws:iam::" OWN
                      ":role/Auditor'},'Action':'s3:GetObject','Resource':'" BUCKET "/*'}]"),
               "allows,anyone,aws_principal");
    /* held in by its own condition */
    expect_doc(POLICY("[{'Effect':'Allow','NotPrincipal':{'AWS':'arn:aws:iam::" OWN
                      ":role/Auditor'},'Action':'s3:GetObject','Resource':'" BUCKET "/*',"
                      "'Condition':" ORG "}]"),
               "allows,anyone_restricted,aws_principal");
    /* NotPrincipal '*' lets in nobody */
    expect_doc(POLICY("[{'Effect':'Allow','NotPrincipal':'*','Action':'s3:GetObject',"
                      "'Resource':'*'}]"),
               "allows");
    /* a Deny to everyone but the account's roles holds an Allow to anyone in */
    expect_doc(POLICY("[" PUBLIC_READ("'*'") ",{'Effect':'Deny','NotPrincipal':{'AWS':["
                                             "'arn:aws:iam::" OWN ":root','arn:aws:iam::" OWN
                                             ":role/Reader']},"
                                             "'Action':'s3:*','Resource':'" BUCKET "/*'}]"),
               "allows,anyone_restricted,aws_principal");
    /* ... but not when only insecure transport is denied */
    expect_doc(POLICY("[" PUBLIC_READ("'*'") ",{'Effect':'Deny','NotPrincipal':{'AWS':"
                                             "'arn:aws:iam::" OWN
                                             ":root'},'Action':'s3:*','Resource':'*','Condition':"
                                             "{'Bool':{'aws:SecureTransport':'false'}}}]"),
               "allows,anyone,aws_principal");
}

static void deny_all_quarantine(void **state)
{
    (void)state;
    /* an identity policy that stops everything (what responders attach to a leaked key) */
    expect_doc(POLICY("{'Effect':'Deny','Action':'*','Resource':'*'}"), "denies_all");
    expect_doc(POLICY("[{'Sid':'Quarantine','Effect':'Deny','Action':['*:*'],'Resource':['*']}]"),
               "denies_all");
    /* a resource policy that denies everyone everything: an Allow to anyone is held in */
    expect_doc(POLICY("[" PUBLIC_READ("'*'") ",{'Effect':'Deny','Principal':'*','Action':'*',"
                                             "'Resource':'*'}]"),
               "allows,denies_all,anyone_restricted,aws_principal");
    /* a trust policy has no Resource: the role itself */
    expect_doc(POLICY("[{'Effect':'Deny','Principal':{'AWS':'*'},'Action':'*'}]"), "denies_all");
    /* not a deny-all: a condition, some resources, NotAction, NotResource, a named principal */
    expect_doc(POLICY("[{'Effect':'Deny','Action':'*','Resource':'*','Condition':{'Bool':"
                      "{'aws:MultiFactorAuthPresent':'false'}}}]"),
               "");
    expect_doc(POLICY("[{'Effect':'Deny','Action':'*','Resource':'" BUCKET "'}]"), "");
    expect_doc(POLICY("[{'Effect':'Deny','NotAction':'iam:*','Resource':'*'}]"), "");
    expect_doc(POLICY("[{'Effect':'Deny','Action':'*','NotResource':'" BUCKET "'}]"), "");
    expect_doc(POLICY("[{'Effect':'Deny','Principal':{'AWS':'arn:aws:iam::" OTHER
                      ":root'},'Action':'*','Resource':'*'}]"),
               "");
    expect_doc(POLICY("[{'Effect':'Deny','Action':'s3:*','Resource':'*'}]"), "");
    /* an empty Condition is none */
    expect_doc(POLICY("[{'Effect':'Deny','Action':'*','Resource':'*','Condition':{}}]"),
               "denies_all");
}

static void identity_policy(void **state)
{
    (void)state;
    expect_doc(POLICY("[{'Effect':'Allow','Action':'s3:*','Resource':'*'}]"), "allows");
    expect_doc(POLICY("[]"), "");
}

/* ---- conditions -------------------------------------------------------------------------- */

static void like_star_not_restricting(void **state)
{
    (void)state;
    const char *const open[] = {
        "{'StringLike':{'aws:PrincipalOrgID':'*'}}",
        "{'StringLike':{'aws:PrincipalOrgID':'o-*'}}",
        "{'StringLike':{'aws:SourceVpc':'vpc-*'}}",
        "{'StringEquals':{'aws:PrincipalOrgID':['o-a1b2c3d4e5','*']}}",
        "{'StringEquals':{'aws:PrincipalAccount':'${aws:PrincipalTag/account}'}}",
        "{'StringEquals':{'aws:PrincipalOrgID':[]}}",
        "{'StringEquals':{'aws:PrincipalOrgID':''}}",
        "{'ArnLike':{'aws:PrincipalArn':'arn:aws:iam::*:role/Admin'}}",
        "{'ArnLike':{'aws:SourceArn':'arn:aws:s3:::*'}}",
        "{'Null':{'aws:PrincipalOrgID':'false'}}",
        "{'StringNotEquals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'}}",
        "{'StringEquals':{'aws:userid':'*:alice'}}",
        "{'StringEquals':{'lambda:FunctionUrlAuthType':'AWS_IAM'}}",
    };
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, POLICY("[" PUBLIC_READ_IF("%s") "]"), open[i]);
        expect_doc(text, "allows,anyone,aws_principal");
    }
}

static void restricting_keys_and_values(void **state)
{
    (void)state;
    const char *const held[] = {
        "{'StringEquals':{'aws:PrincipalAccount':'" OWN "'}}",
        "{'StringEquals':{'aws:PrincipalAccount':" OWN "}}", /* a number */
        "{'ArnEquals':{'aws:PrincipalArn':'arn:aws:iam::" OWN ":role/Reader'}}",
        "{'ArnLike':{'aws:PrincipalArn':'arn:aws:iam::" OWN ":role/team-*'}}",
        "{'StringEquals':{'aws:SourceOrgID':'o-a1b2c3d4e5'}}",
        "{'StringLike':{'aws:SourceOrgPaths':'o-a1b2c3d4e5/r-ab12/*'}}",
        "{'StringEquals':{'aws:SourceAccount':'" OWN "'}}",
        "{'ArnLike':{'aws:SourceArn':'arn:aws:cloudtrail:us-east-1:" OWN ":trail/*'}}",
        "{'ArnEquals':{'aws:SourceArn':'arn:aws:s3:::source-bucket'}}",
        "{'StringEquals':{'aws:SourceOwner':'" OWN "'}}",
        "{'StringEquals':{'aws:SourceVpce':'vpce-1a2b3c4d'}}",
        "{'StringEquals':{'aws:userid':'AROAEXAMPLEID:*'}}",
        "{'StringEquals':{'aws:ResourceOrgID':'o-a1b2c3d4e5'}}",
        "{'StringEquals':{'aws:ResourceAccount':'" OWN "'}}",
        "{'StringEquals':{'s3:DataAccessPointAccount':'" OWN "'}}",
        "{'ArnEquals':{'s3:DataAccessPointArn':'arn:aws:s3:us-east-1:" OWN ":accesspoint/ap'}}",
        "{'StringEquals':{'kms:CallerAccount':'" OWN "'}}",
        "{'StringEquals':{'kms:ViaService':'s3.us-east-1.amazonaws.com'}}",
        "{'StringEqualsIgnoreCase':{'aws:SourceVpc':'VPC-111BBB22'}}",
        "{'ForAnyValue:StringEquals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'}}",
        /* ANDed with entries that restrict nothing: one restricting entry suffices */
        "{'Bool':{'aws:SecureTransport':'true'},'StringEquals':{'aws:SourceVpc':'vpc-111bbb22',"
        "'s3:prefix':'home/'}}",
    };
    for (size_t i = 0; i < sizeof held / sizeof held[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, POLICY("[" PUBLIC_READ_IF("%s") "]"), held[i]);
        expect_doc(text, "allows,anyone_restricted,aws_principal");
    }
}

static void for_any_value_org_paths(void **state)
{
    (void)state;
    expect_doc(POLICY("[" PUBLIC_READ_IF("{'ForAnyValue:StringEquals':{'aws:PrincipalOrgPaths':"
                                         "['o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/']}}") "]"),
               "allows,anyone_restricted,aws_principal");
    expect_doc(POLICY("[" PUBLIC_READ_IF("{'ForAnyValue:StringLike':{'aws:PrincipalOrgPaths':"
                                         "['o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*']}}") "]"),
               "allows,anyone_restricted,aws_principal");
    /* ForAllValues: over an absent key (an anonymous caller) is true: it holds nothing in */
    expect_doc(POLICY("[" PUBLIC_READ_IF("{'ForAllValues:StringLike':{'aws:PrincipalOrgPaths':"
                                         "['o-a1b2c3d4e5/*']}}") "]"),
               "allows,anyone,aws_principal");
    /* the organization must be fixed */
    expect_doc(POLICY("[" PUBLIC_READ_IF("{'ForAnyValue:StringLike':{'aws:PrincipalOrgPaths':"
                                         "['o-*/r-ab12/*']}}") "]"),
               "allows,anyone,aws_principal");
}

static void if_exists_not_restricting(void **state)
{
    (void)state;
    expect_doc(
        POLICY("[" PUBLIC_READ_IF("{'StringEqualsIfExists':{'aws:SourceVpc':'vpc-111bbb22'}}") "]"),
        "allows,anyone,aws_principal");
    expect_doc(POLICY("[" PUBLIC_READ_IF("{'ForAnyValue:StringEqualsIfExists':{'aws:SourceVpc':"
                                         "'vpc-111bbb22'}}") "]"),
               "allows,anyone,aws_principal");
    expect_doc(POLICY("[" PUBLIC_READ_IF("{'StringEquals':{'aws:SourceVpc':'vpc-111bbb22'}}") "]"),
               "allows,anyone_restricted,aws_principal");
}

static void condition_key_case(void **state)
{
    (void)state;
    expect_doc(
        POLICY("[" PUBLIC_READ_IF("{'StringEquals':{'AWS:PRINCIPALORGID':'o-a1b2c3d4e5'}}") "]"),
        "allows,anyone_restricted,aws_principal");
    expect_doc(
        POLICY("[" PUBLIC_READ_IF("{'StringEquals':{'aws:sourcevpce':'vpce-1a2b3c4d'}}") "]"),
        "allows,anyone_restricted,aws_principal");
    expect_doc(POLICY("[" PUBLIC_READ("'*'") "," DENY_IF(
                   "{'StringNotEquals':{'Aws:PrincipalOrgId':'o-a1b2c3d4e5'}}") "]"),
               "allows,anyone_restricted,aws_principal");
    /* operator names are case-sensitive: 'stringequals' is no operator */
    expect_doc(
        POLICY("[" PUBLIC_READ_IF("{'stringequals':{'aws:PrincipalOrgID':'o-a1b2c3d4e5'}}") "]"),
        "allows,anyone,aws_principal");
    expect_doc(POLICY("[" PUBLIC_READ_IF("{'forAnyValue:StringEquals':{'aws:PrincipalOrgID':"
                                         "'o-a1b2c3d4e5'}}") "]"),
               "allows,anyone,aws_principal");
}

static void source_ip_cidr(void **state)
{
    (void)state;
    const char *const held[] = {
        "{'IpAddress':{'aws:SourceIp':'203.0.113.0/24'}}",
        "{'IpAddress':{'aws:SourceIp':['192.0.2.0/24','198.51.100.7']}}",
        "{'IpAddress':{'aws:SourceIp':'10.0.0.0/8'}}",
        "{'IpAddress':{'aws:SourceIp':'2001:db8::/32'}}",
    };
    for (size_t i = 0; i < sizeof held / sizeof held[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, POLICY("[" PUBLIC_READ_IF("%s") "]"), held[i]);
        expect_doc(text, "allows,anyone_restricted,aws_principal");
    }
    const char *const open[] = {
        "{'IpAddress':{'aws:SourceIp':'0.0.0.0/0'}}",
        "{'IpAddress':{'aws:SourceIp':'0.0.0.0/1'}}",
        "{'IpAddress':{'aws:SourceIp':'::/0'}}",
        "{'IpAddress':{'aws:SourceIp':'2001:db8::/31'}}",
        "{'IpAddress':{'aws:SourceIp':['203.0.113.0/24','0.0.0.0/0']}}",
        "{'IpAddress':{'aws:SourceIp':'203.0.113.0/'}}",
        "{'NotIpAddress':{'aws:SourceIp':'203.0.113.0/24'}}",
        "{'StringEquals':{'aws:SourceIp':'203.0.113.7'}}",
        "{'IpAddress':{'aws:SourceVpc':'203.0.113.0/24'}}",
    };
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, POLICY("[" PUBLIC_READ_IF("%s") "]"), open[i]);
        expect_doc(text, "allows,anyone,aws_principal");
    }
}

/* ---- principals of unknown account, own account unknown ----------------------------------- */

static void unknown_accounts(void **state)
{
    (void)state;
    /* a deleted role's unique id, a CloudFront origin access identity: account unknown */
    expect_doc(POLICY("[" TRUST("{'AWS':'AROA3XFRBF535PLBIFPI4'}") "]"), "allows,aws_principal");
    expect_doc(POLICY("[" PUBLIC_READ("{'AWS':'arn:aws:iam::cloudfront:user/CloudFront Origin "
                                      "Access Identity E2QWRUHAPOMQZL'}") "]"),
               "allows,aws_principal");
    expect_doc(POLICY("[" PUBLIC_READ("{'CanonicalUser':'79a59df900b949e55d96a1e698fbacedfd6e09d9"
                                      "8eacf8f8d5218e7cd47ef2be'}") "]"),
               "allows,canonical_user");
    /* own account unknown: every named account is another */
    tw_policy_facts f =
        facts_own(POLICY("[" TRUST("{'AWS':'arn:aws:iam::" OWN ":role/a'}") "]"), "");
    expect(&f, "allows,aws_principal,other_account", "own unknown");
    /* own account not 12 digits: unknown as well */
    f = facts_own(POLICY("[" TRUST("{'AWS':'" OWN "'}") "]"), "11112222333x");
    expect(&f, "allows,aws_principal,whole_account,other_account", "own malformed");
    f = facts_own(POLICY("[" TRUST("{'AWS':'" OWN "'}") "]"), OWN);
    expect(&f, "allows,aws_principal,whole_account", "own given");
}

/* ---- text forms -------------------------------------------------------------------------- */

/* POLICY([PUBLIC_READ_IF(ORG)]) URL-encoded, with '+' for the spaces of a pretty copy */
#define ORG_URL                                                                                  \
    "%7B%0A++%22Version%22%3A+%222012-10-17%22%2C%0A++%22Statement%22%3A+%5B%7B%22Effect%22%3A"  \
    "+%22Allow%22%2C+%22Principal%22%3A+%22%2A%22%2C+%22Action%22%3A+%22s3%3AGetObject%22%2C+"   \
    "%22Resource%22%3A+%22arn%3Aaws%3As3%3A%3A%3Aexample-bucket%2F%2A%22%2C+%22Condition%22%3A+" \
    "%7B%22StringEquals%22%3A+%7B%22aws%3APrincipalOrgID%22%3A+%22o-a1b2c3d4e5%22%7D%7D%7D%5D"   \
    "%0A%7D"
/* the same, a trust to another account */
#define TRUST_URL                                                                              \
    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22" \
    "%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A444455556666%3Aroot%22%7D%2C" \
    "%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"

static tw_policy_facts text_ok(const char *text)
{
    char errstr[256] = "";
    tw_policy_facts f;
    if (tw_policy_facts_text(js, tw_str_c(text), tw_str_c(OWN), &f, errstr, sizeof errstr))
        fail_msg("refused: %s", errstr);
    return f;
}

static void url_encoded_document(void **state)
{
    (void)state;
    tw_policy_facts f = text_ok(ORG_URL);
    expect(&f, "allows,anyone_restricted,aws_principal", "ORG_URL");
    f = text_ok("  \n" TRUST_URL);
    expect(&f, "allows,aws_principal,whole_account,other_account", "TRUST_URL");
    /* URL-encoded garbage is no policy */
    refused_text(tw_str_c("%7B%22Statement%22%3A"), "policy document");
}

/* requestParameters.policy as CloudTrail records it: a JSON string holding the document */
#define IN_STRING                                                                             \
    "\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\"," \
    "\\\"Principal\\\":{\\\"AWS\\\":\\\"arn:aws:iam::444455556666:root\\\"},\\\"Action\\\":"  \
    "\\\"s3:GetObject\\\",\\\"Resource\\\":\\\"arn:aws:s3:::example-bucket/*\\\"}]}\""

static void document_in_json_string(void **state)
{
    (void)state;
    tw_policy_facts f = text_ok(IN_STRING);
    expect(&f, "allows,aws_principal,whole_account,other_account", "in a string");
    /* the same as a node of the record, a string and an object */
    static const char *const params[] = {
        "{\"bucketName\":\"example-bucket\",\"bucketPolicy\":" IN_STRING "}",
        "{\"bucketName\":\"example-bucket\",\"bucketPolicy\":{\"Version\":\"2012-10-17\","
        "\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::"
        "444455556666:root\"},\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}}",
        "{\"bucketName\":\"example-bucket\",\"bucketPolicy\":\"" TRUST_URL "\"}",
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
        tw_jnode *root = tw_jdom_parse(js, &arena, buf, len, len + TW_JSON_PADDING, 16, &jerr);
        if (!root)
            fail_msg("params %zu: %s", k, jerr.message);
        char errstr[256] = "";
        tw_policy_facts nf;
        tw_err err = tw_policy_facts_node(js, tw_jnode_get(root, "bucketPolicy"), tw_str_c(OWN),
                                          &nf, errstr, sizeof errstr);
        if (err)
            fail_msg("params %zu: %s", k, errstr);
        expect(&nf, "allows,aws_principal,whole_account,other_account", params[k]);
        /* a node that is no document */
        err = tw_policy_facts_node(js, tw_jnode_get(root, "bucketName"), tw_str_c(OWN), &nf, errstr,
                                   sizeof errstr);
        assert_int_equal(err, TW_ERR_PARSE);
        assert_non_null(strstr(errstr, "byte"));
        tw_arena_free(&arena);
        free(buf);
    }
    /* a document in a string in a string is read; one level more is refused */
    f = text_ok("\"\\\"{\\\\\\\"Statement\\\\\\\":[]}\\\"\"");
    expect(&f, "", "string in string");
    refused_text(tw_str_c("\"\\\"\\\\\\\"{}\\\\\\\"\\\"\""), "nested too deep");
}

/* ---- refusals ---------------------------------------------------------------------------- */

static void malformed_inputs(void **state)
{
    (void)state;
    refused("not json at all", "policy document");
    refused("{'Statement':[", "policy document");
    refused("", "policy document");
    refused("[1,2]", "not an object");
    refused("{'Version':'2012-10-17'}", "no Statement");
    refused(POLICY("42"), "Statement is neither");
    refused(POLICY("[42]"), "not an object");
    refused(POLICY("[{'Effect':'Maybe','Principal':'*','Action':'s3:*'}]"), "Effect");
    refused(POLICY("[{'Effect':'allow','Principal':'*','Action':'s3:*'}]"), "Effect");
    refused(POLICY("[{'Principal':'*','Action':'s3:*'}]"), "Effect");
    refused(POLICY("[{'Effect':'Allow','Principal':42,'Action':'s3:*'}]"), "Principal");
    refused(
        POLICY("[{'Effect':'Allow','Principal':'arn:aws:iam::" OTHER ":root','Action':'s3:*'}]"),
        "Principal");
    refused(POLICY("[{'Effect':'Allow','Principal':{'Account':'" OTHER "'},'Action':'s3:*'}]"),
            "Principal key");
    refused(POLICY("[{'Effect':'Allow','Principal':{'AWS':[7]},'Action':'s3:*'}]"), "principal");
    refused(POLICY("[{'Effect':'Allow','Principal':{'AWS':{'x':1}},'Action':'s3:*'}]"),
            "principal");
    refused(POLICY("[{'Effect':'Allow','Principal':'*','NotPrincipal':'*','Action':'s3:*'}]"),
            "Principal and NotPrincipal");
    refused(POLICY("[{'Effect':'Allow','Principal':'*'}]"), "Action");
    refused(POLICY("[{'Effect':'Allow','Principal':'*','Action':7}]"), "Action");
    refused(POLICY("[{'Effect':'Allow','Principal':'*','Action':'s3:*','Resource':{}}]"),
            "Resource");
    refused(POLICY("[{'Effect':'Allow','Principal':'*','Action':'s3:*','Condition':[]}]"),
            "Condition");
    refused(POLICY("[{'Effect':'Allow','Principal':'*','Action':'s3:*','Condition':"
                   "{'StringEquals':'o-1'}}]"),
            "operator");
    refused(POLICY("[{'Effect':'Allow','Principal':'*','Action':'s3:*','Condition':"
                   "{'StringEquals':{'aws:PrincipalOrgID':{'o':1}}}}]"),
            "condition value");
    refused(POLICY("[{'Effect':'Allow','Principal':'*','Action':'s3:*','Condition':"
                   "{'StringEquals':{'aws:PrincipalOrgID':[null]}}}]"),
            "condition value");
    /* given twice: which copy IAM keeps is not ours to guess */
    refused(POLICY("[{'Effect':'Allow','Principal':{'AWS':'arn:aws:iam::" OTHER ":root'},"
                   "'Principal':{'Service':'s3.amazonaws.com'},'Action':'s3:*'}]"),
            "Principal twice");
    refused(POLICY("[{'Effect':'Allow','Principal':{'AWS':'*','AWS':'" OWN "'},'Action':'s3:*'}]"),
            "twice");
    refused(POLICY("[{'Effect':'Allow','Principal':'*','Action':'s3:*','Condition':"
                   "{'StringEquals':{'aws:SourceVpc':'vpc-1'},'StringEquals':{'aws:x':'1'}}}]"),
            "twice");
    refused(POLICY("[{'Effect':'Allow','Principal':'*','Action':'s3:*','Condition':"
                   "{'StringEquals':{'aws:SourceVpc':'vpc-1','AWS:SOURCEVPC':'*'}}}]"),
            "twice");
    refused("{'Statement':[],'Statement':[]}", "twice");
    /* nested too deep */
    char deep[200];
    size_t n = 0;
    memcpy(deep, "{'Statement':", 13);
    n = 13;
    for (int i = 0; i < 40; i++)
        deep[n++] = '[';
    for (int i = 0; i < 40; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    refused(deep, "policy document");
    /* an error in a later statement leaves no facts of the earlier ones */
    refused(POLICY("[" PUBLIC_READ("'*'") ",{'Effect':'Maybe','Action':'s3:*'}]"), "Effect");
}

static void oversized_document(void **state)
{
    (void)state;
    const char *body = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                       "\"Action\":\"s3:GetObject\"}]}";
    size_t limit = TW_POLICY_FACTS_MAX_BYTES;
    assert_int_equal(limit, 1024 * 1024);
    char *big = malloc(limit + 2);
    assert_non_null(big);
    memset(big, ' ', limit + 1);
    memcpy(big, body, strlen(body));
    big[limit + 1] = '\0';
    /* exactly 1 MiB (the document, then blanks) is read */
    char errstr[256] = "";
    tw_policy_facts f;
    tw_err err = tw_policy_facts_text(js, (tw_str){ big, (uint32_t)limit }, tw_str_c(OWN), &f,
                                      errstr, sizeof errstr);
    if (err)
        fail_msg("1 MiB refused: %s", errstr);
    expect(&f, "allows,anyone,aws_principal", "1 MiB");
    /* one byte more is refused, with a message */
    refused_text((tw_str){ big, (uint32_t)(limit + 1) }, "over the limit of 1048576");
    free(big);
}

/* Duplicates are looked for among the operators and keys that are judged only, so a document
 * of many keys reads in linear time (comparing every key with every other took minutes on a
 * 1 MiB document). The bound is generous: linear reading takes milliseconds even under ASan. */
static void large_documents_linear(void **state)
{
    (void)state;
    static const char *const shapes[] = {
        /* many keys under one operator, the restricting one last */
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
        "\"Condition\":{\"StringEquals\":{",
        /* many operators */
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
        "\"Condition\":{",
    };
    static const char *const item[] = {
        "\"k%06u\":\"v\",",
        "\"Op%06u\":{},",
    };
    static const char *const tail[] = {
        "\"aws:SourceVpc\":\"vpc-1\"}}}]}",
        "\"StringEquals\":{\"aws:SourceVpc\":\"vpc-1\"}}}]}",
    };
    size_t cap = TW_POLICY_FACTS_MAX_BYTES;
    char *text = malloc(cap);
    assert_non_null(text);
    for (size_t s = 0; s < 2; s++) {
        size_t n = (size_t)snprintf(text, cap, "%s", shapes[s]);
        unsigned i = 0;
        while (n + 64 < cap)
            n += (size_t)snprintf(text + n, cap - n, item[s], i++);
        n += (size_t)snprintf(text + n, cap - n, "%s", tail[s]);
        assert_true(n < cap && i > 50000);
        clock_t t0 = clock();
        char errstr[256] = "";
        tw_policy_facts f;
        tw_err err = tw_policy_facts_text(js, (tw_str){ text, (uint32_t)n }, tw_str_c(OWN), &f,
                                          errstr, sizeof errstr);
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        if (err)
            fail_msg("shape %zu refused: %s", s, errstr);
        expect(&f, "allows,anyone_restricted,aws_principal", "large");
        if (secs > 5.0)
            fail_msg("shape %zu: %u entries read in %.1f s", s, i, secs);
    }
    free(text);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(bucket_org_restricted, setup, teardown),
    cmocka_unit_test_setup_teardown(bucket_public_no_condition, setup, teardown),
    cmocka_unit_test_setup_teardown(aws_star_principal, setup, teardown),
    cmocka_unit_test_setup_teardown(public_read_with_deny_insecure, setup, teardown),
    cmocka_unit_test_setup_teardown(deny_unless_my_org, setup, teardown),
    cmocka_unit_test_setup_teardown(deny_that_restricts_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(deny_star_alone, setup, teardown),
    cmocka_unit_test_setup_teardown(trust_lambda_service, setup, teardown),
    cmocka_unit_test_setup_teardown(trust_other_account_root, setup, teardown),
    cmocka_unit_test_setup_teardown(trust_same_account_role, setup, teardown),
    cmocka_unit_test_setup_teardown(trust_bare_account_id, setup, teardown),
    cmocka_unit_test_setup_teardown(trust_external_id, setup, teardown),
    cmocka_unit_test_setup_teardown(trust_saml_federated, setup, teardown),
    cmocka_unit_test_setup_teardown(not_principal, setup, teardown),
    cmocka_unit_test_setup_teardown(deny_all_quarantine, setup, teardown),
    cmocka_unit_test_setup_teardown(identity_policy, setup, teardown),
    cmocka_unit_test_setup_teardown(like_star_not_restricting, setup, teardown),
    cmocka_unit_test_setup_teardown(restricting_keys_and_values, setup, teardown),
    cmocka_unit_test_setup_teardown(for_any_value_org_paths, setup, teardown),
    cmocka_unit_test_setup_teardown(if_exists_not_restricting, setup, teardown),
    cmocka_unit_test_setup_teardown(condition_key_case, setup, teardown),
    cmocka_unit_test_setup_teardown(source_ip_cidr, setup, teardown),
    cmocka_unit_test_setup_teardown(unknown_accounts, setup, teardown),
    cmocka_unit_test_setup_teardown(url_encoded_document, setup, teardown),
    cmocka_unit_test_setup_teardown(document_in_json_string, setup, teardown),
    cmocka_unit_test_setup_teardown(malformed_inputs, setup, teardown),
    cmocka_unit_test_setup_teardown(oversized_document, setup, teardown),
    cmocka_unit_test_setup_teardown(large_documents_linear, setup, teardown),
};

TW_TEST_MAIN(tests)
