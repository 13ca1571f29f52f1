/* ingest_resource: see ingest_resource.h. */
#include "ingest_resource.h"

#include <string.h>

/* The keys that name what a service's calls act on, most telling first. One row a service,
 * by its eventSource's first label; services without a row are tried with the generic keys. */
typedef struct resource_keys {
    const char *service;
    const char *keys[8];
} resource_keys;

static const resource_keys k_table[] = {
    { "cloudtrail", { "name", "trailName", "eventDataStore", "trailARN" } },
    { "logs", { "logGroupName", "logGroupIdentifier", "resourceArn" } },
    { "s3", { "bucketName", "Bucket" } },
    { "ec2",
      { "snapshotId", "imageId", "instanceId", "groupId", "volumeId", "FlowLogId", "keyName",
        "vpcId" } },
    { "kms", { "keyId", "targetKeyId", "aliasName" } },
    { "bedrock",
      { "modelId", "modelIdentifier", "baseModelIdentifier", "customModelName", "jobName",
        "guardrailIdentifier", "name" } },
    { "bedrock-mantle", { "model", "training_file" } },
    { "iam",
      { "roleName", "userName", "groupName", "policyArn", "instanceProfileName", "policyName",
        "roleArn", "name" } },
    { "sts", { "roleArn", "name" } },
    { "organizations", { "accountId", "targetId", "policyId" } },
    { "account", { "accountId", "alternateContactType", "regionName" } },
    { "rds",
      { "dBInstanceIdentifier", "dBClusterIdentifier", "dBSnapshotIdentifier",
        "dBClusterSnapshotIdentifier", "resourceArn" } },
    { "lambda", { "functionName", "layerName" } },
    { "secretsmanager", { "secretId", "name" } },
    { "ssm", { "name", "documentName", "target", "sessionId" } },
    { "guardduty", { "detectorId", "name" } },
    { "config", { "configurationRecorderName", "deliveryChannelName", "configRuleName" } },
    { "route53resolver", { "resolverQueryLogConfigId", "name" } },
    { "route53", { "id", "hostedZoneId" } },
    { "securityhub", { "standardsArn" } },
    { "sagemaker", { "trainingJobName", "notebookInstanceName", "processingJobName", "modelName" } },
    { "dynamodb", { "tableName" } },
    { "sns", { "topicArn", "name" } },
    { "sqs", { "queueUrl", "queueName" } },
    { "ecr", { "repositoryName" } },
    { "cloudformation", { "stackName", "stackSetName" } },
    { "glue", { "name", "jobName", "endpointName" } },
    { "codebuild", { "projectName", "name" } },
    { "ecs", { "cluster", "taskDefinition", "family", "serviceName" } },
    { "wafv2", { "resourceArn", "name" } },
    { "rolesanywhere", { "name", "trustAnchorId" } },
    { "ec2-instance-connect", { "instanceId" } },
};

static const char *const k_generic[] = { "name", "resourceArn", "arn", "resourceId", NULL };

/* Decodes the JSON string that starts just after an opening quote at p (end: the text's
 * end) into buf (TW_RESOURCE_MAX bytes): escapes resolved (\uXXXX outside ASCII becomes '?':
 * names are ASCII in practice), cut on a character boundary at TW_RESOURCE_MAX - 1 bytes. */
static tw_str decode_string(const char *p, const char *end, char *buf)
{
    uint32_t n = 0;
    while (p < end && *p != '"') {
        char c = *p++;
        if (c == '\\' && p < end) {
            char e = *p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                int v = 0;
                for (int i = 0; i < 4 && p < end; i++, p++) {
                    int d = tw_hex_digit((unsigned char)*p);
                    v = v * 16 + (d < 0 ? 0 : d);
                }
                c = v > 0 && v < 0x80 ? (char)v : '?';
                break;
            }
            default: c = e; break; /* \" \\ \/ */
            }
        }
        if (n == TW_RESOURCE_MAX)
            break;
        buf[n++] = c;
    }
    /* one byte past what fits is decoded, so the cut can see whether it splits a character */
    n = tw_utf8_fit(buf, n, TW_RESOURCE_MAX - 1);
    buf[n] = '\0';
    return (tw_str){ buf, n };
}

tw_str tw_resource_key(tw_str json, const char *key, char *buf)
{
    uint32_t at = 0;
    return tw_resource_key_next(json, key, buf, &at);
}

tw_str tw_resource_key_next(tw_str json, const char *key, char *buf, uint32_t *at)
{
    size_t klen = strlen(key);
    const char *p = json.p + (*at < json.len ? *at : json.len), *end = json.p + json.len;
    while (p && p + klen + 2 < end) {
        const char *hit = memchr(p, '"', (size_t)(end - p));
        if (!hit || hit + klen + 2 > end)
            break;
        p = hit + 1;
        if (memcmp(p, key, klen) != 0 || p[klen] != '"')
            continue;
        const char *q = p + klen + 1;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
            q++;
        if (q >= end || *q != ':')
            continue; /* a value equal to the key's name, not the key */
        q++;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
            q++;
        if (q < end && *q == '"') {
            tw_str v = decode_string(q + 1, end, buf);
            /* past the closing quote (the decoded length can be shorter than the text) */
            const char *r = q + 1;
            while (r < end && *r != '"')
                r += *r == '\\' && r + 1 < end ? 2 : 1;
            *at = (uint32_t)(r - json.p) + (r < end);
            return v;
        }
        p = q; /* not a string (an object, a list): look further */
    }
    *at = json.len;
    buf[0] = '\0';
    return (tw_str){ buf, 0 };
}

static const resource_keys *row_of(tw_str event_source)
{
    const char *dot = memchr(event_source.p, '.', event_source.len);
    uint32_t n = dot ? (uint32_t)(dot - event_source.p) : event_source.len;
    for (size_t i = 0; i < sizeof k_table / sizeof k_table[0]; i++)
        if (strlen(k_table[i].service) == n && !memcmp(k_table[i].service, event_source.p, n))
            return &k_table[i];
    return NULL;
}

tw_str tw_resource_of(tw_str event_source, tw_str request_params, char *buf)
{
    buf[0] = '\0';
    if (!request_params.len || !event_source.len)
        return (tw_str){ buf, 0 };
    const resource_keys *row = row_of(event_source);
    const char *const *keys = row ? row->keys : k_generic;
    size_t n = row ? sizeof row->keys / sizeof row->keys[0] : 4;
    for (size_t i = 0; i < n && keys[i]; i++) {
        tw_str r = tw_resource_key(request_params, keys[i], buf);
        if (r.len)
            return r;
    }
    return (tw_str){ buf, 0 };
}
