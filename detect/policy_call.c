/* policy_call: see policy_call.h. */
#include "policy_call.h"

#include <stdlib.h>
#include <string.h>

struct tw_policy_reader {
    const tw_privtab *pt;
    const tw_managed *mg;
    uint32_t words;
    uint64_t *iam;  /* the privileged actions of IAM */
    uint64_t *priv; /* the privileged actions (the table holds telemetry reads too) */
};

tw_policy_reader *tw_policy_reader_new(const tw_privtab *pt, const tw_managed *mg)
{
    tw_policy_reader *pr = calloc(1, sizeof *pr);
    if (!pr)
        return NULL;
    pr->pt = pt;
    pr->mg = mg;
    pr->words = tw_privtab_words(pt) ? tw_privtab_words(pt) : 1;
    pr->iam = calloc(pr->words, sizeof *pr->iam);
    pr->priv = calloc(pr->words, sizeof *pr->priv);
    if (!pr->iam || !pr->priv) {
        tw_policy_reader_destroy(pr);
        return NULL;
    }
    for (uint32_t i = 0; i < tw_privtab_count(pt); i++) {
        if (!(tw_privtab_classes(pt, i) & TW_CLASS_PRIVILEGED))
            continue;
        tw_bits_set(pr->priv, i);
        if (tw_str_starts(tw_privtab_name(pt, i), "iam:"))
            tw_bits_set(pr->iam, i);
    }
    return pr;
}

void tw_policy_reader_destroy(tw_policy_reader *pr)
{
    if (!pr)
        return;
    free(pr->iam);
    free(pr->priv);
    free(pr);
}

/* Where a call's document is. */
enum {
    DOC_AT = 1,  /* the member at path (a string holding JSON, or an object) */
    DOC_MANAGED, /* an AWS managed policy named by the member at path */
    DOC_SNS_ATTR
}; /* SetTopicAttributes: attributeValue when attributeName is Policy */

typedef struct doc_row {
    const char *source, *name;
    int where;
    const char *path[3];
} doc_row;

static const doc_row k_docs[] = {
    /* IAM identity and trust policies */
    { "iam.amazonaws.com", "PutRolePolicy", DOC_AT, { "policyDocument" } },
    { "iam.amazonaws.com", "PutUserPolicy", DOC_AT, { "policyDocument" } },
    { "iam.amazonaws.com", "PutGroupPolicy", DOC_AT, { "policyDocument" } },
    { "iam.amazonaws.com", "CreatePolicy", DOC_AT, { "policyDocument" } },
    { "iam.amazonaws.com", "CreatePolicyVersion", DOC_AT, { "policyDocument" } },
    { "iam.amazonaws.com", "UpdateAssumeRolePolicy", DOC_AT, { "policyDocument" } },
    { "iam.amazonaws.com", "CreateRole", DOC_AT, { "assumeRolePolicyDocument" } },
    { "iam.amazonaws.com", "AttachRolePolicy", DOC_MANAGED, { "policyArn" } },
    { "iam.amazonaws.com", "AttachUserPolicy", DOC_MANAGED, { "policyArn" } },
    { "iam.amazonaws.com", "AttachGroupPolicy", DOC_MANAGED, { "policyArn" } },
    /* resource policies */
    { "s3.amazonaws.com", "PutBucketPolicy", DOC_AT, { "bucketPolicy" } },
    { "kms.amazonaws.com", "PutKeyPolicy", DOC_AT, { "policy" } },
    { "kms.amazonaws.com", "CreateKey", DOC_AT, { "policy" } },
    { "sqs.amazonaws.com", "SetQueueAttributes", DOC_AT, { "attributes", "Policy" } },
    { "sqs.amazonaws.com", "CreateQueue", DOC_AT, { "attributes", "Policy" } },
    { "sns.amazonaws.com", "SetTopicAttributes", DOC_SNS_ATTR, { "attributeValue" } },
    { "sns.amazonaws.com", "CreateTopic", DOC_AT, { "attributes", "Policy" } },
    { "secretsmanager.amazonaws.com", "PutResourcePolicy", DOC_AT, { "resourcePolicy" } },
    { "ecr.amazonaws.com", "SetRepositoryPolicy", DOC_AT, { "policyText" } },
    { "ecr-public.amazonaws.com", "SetRepositoryPolicy", DOC_AT, { "policyText" } },
    { "elasticfilesystem.amazonaws.com", "PutFileSystemPolicy", DOC_AT, { "policy" } },
    { "glue.amazonaws.com", "PutResourcePolicy", DOC_AT, { "policyInJson" } },
    { "backup.amazonaws.com", "PutBackupVaultAccessPolicy", DOC_AT, { "policy" } },
    { "es.amazonaws.com", "CreateDomain", DOC_AT, { "accessPolicies" } },
    { "es.amazonaws.com", "UpdateDomainConfig", DOC_AT, { "accessPolicies" } },
    { "es.amazonaws.com", "CreateElasticsearchDomain", DOC_AT, { "accessPolicies" } },
    { "es.amazonaws.com", "UpdateElasticsearchDomainConfig", DOC_AT, { "accessPolicies" } },
    { "events.amazonaws.com", "PutPermission", DOC_AT, { "policy" } },
};

static const doc_row *row_of(const tw_event *ev)
{
    for (size_t i = 0; i < sizeof k_docs / sizeof k_docs[0]; i++)
        if (tw_str_eq_c(ev->event_name, k_docs[i].name) &&
            tw_str_eq_c(ev->event_source, k_docs[i].source))
            return &k_docs[i];
    return NULL;
}

/* An AWS managed policy's ARN: arn:PARTITION:iam::aws:policy/... (a customer's is not). */
static bool aws_managed_arn(tw_str arn)
{
    if (!tw_str_starts(arn, "arn:"))
        return false;
    const char *p = memchr(arn.p + 4, ':', arn.len - 4); /* past the partition */
    return p && (size_t)(arn.p + arn.len - p) > 17 && !memcmp(p, ":iam::aws:policy/", 17);
}

/* What the document grants: privileged, and admin (every IAM privileged action, plainly). */
static void judge_actions(const tw_policy_reader *pr, tw_json *js, tw_arena *arena,
                          const tw_jnode *node, tw_str text, tw_call_policy *out)
{
    uint64_t *mem = tw_arena_alloc(arena, 2 * pr->words * sizeof *mem);
    if (!mem)
        return;
    memset(mem, 0, 2 * pr->words * sizeof *mem);
    tw_policy_grant g = { mem, mem + pr->words, NULL };
    char errstr[160];
    tw_err err = node ? tw_policy_expand_node(pr->pt, js, node, &g, errstr, sizeof errstr)
                      : tw_policy_expand_text(pr->pt, js, text, &g, errstr, sizeof errstr);
    if (err)
        return; /* the facts reader judged the document already */
    bool any = false, admin = true;
    for (uint32_t w = 0; w < pr->words; w++) {
        any |= (g.allowed[w] & pr->priv[w]) != 0;
        uint64_t plain = g.allowed[w] & ~g.conditional[w];
        admin &= (plain & pr->iam[w]) == pr->iam[w];
    }
    out->privileged = any;
    out->admin = admin;
}

void tw_policy_reader_read(const tw_policy_reader *pr, tw_json *js, tw_arena *arena,
                           const tw_event *ev, tw_str params, tw_call_policy *out)
{
    memset(out, 0, sizeof *out);
    const doc_row *row = row_of(ev);
    if (!row || !params.len)
        return;
    tw_json_error jerr = { 0 };
    const tw_jnode *root =
        tw_jdom_parse(js, arena, params.p, params.len, params.len + TW_JSON_PADDING, 32, &jerr);
    if (!root)
        return;
    const tw_jnode *node = root;
    for (int i = 0; i < 3 && row->path[i] && node; i++)
        node = tw_jnode_get(node, row->path[i]);
    if (row->where == DOC_SNS_ATTR) {
        const tw_jnode *name = tw_jnode_get(root, "attributeName");
        if (!name || name->type != TW_JV_STRING || !tw_str_eq_c(name->text, "Policy"))
            return;
    }
    if (!node || node->type == TW_JV_NULL)
        return;
    char errstr[200];
    if (row->where == DOC_MANAGED) {
        tw_str doc;
        if (node->type != TW_JV_STRING || !aws_managed_arn(node->text) || !pr->mg ||
            !tw_managed_find(pr->mg, node->text, &doc))
            return; /* a customer managed policy: its document is not in the call */
        out->state =
            tw_policy_facts_text(js, doc, ev->account, &out->facts, errstr, sizeof errstr) == TW_OK
                ? TW_CALL_POLICY_READ
                : TW_CALL_POLICY_REFUSED;
        if (out->state == TW_CALL_POLICY_READ)
            judge_actions(pr, js, arena, NULL, doc, out);
        return;
    }
    if (tw_policy_facts_node(js, node, ev->account, &out->facts, errstr, sizeof errstr) != TW_OK) {
        out->state = TW_CALL_POLICY_REFUSED;
        return;
    }
    out->state = TW_CALL_POLICY_READ;
    judge_actions(pr, js, arena, node, TW_STR_NULL, out);
}
