/* schema_resource: see schema_resource.h. */
#include "schema_resource.h"

#include <string.h>

/* The keys that name what a service's calls act on, most telling first. One row a service,
 * by its eventSource's first label; a service without a row names no resource (guessing with
 * generic keys such as "name" costs a scan of every such call for names that mislead). */
typedef struct res_key {
    const char *name;
    uint32_t len;
} res_key;

typedef struct resource_keys {
    const char *service;
    uint32_t service_len;
    res_key keys[8];
} resource_keys;

#define K(s)             \
    {                    \
        s, sizeof(s) - 1 \
    }
#define S(s) s, sizeof(s) - 1

static const resource_keys k_table[] = {
    /* sorted by service: found by binary search */
    { S("account"), { K("accountId"), K("alternateContactType"), K("regionName") } },
    { S("bedrock"),
      { K("modelId"), K("modelIdentifier"), K("baseModelIdentifier"), K("customModelName"),
        K("jobName"), K("guardrailIdentifier"), K("name") } },
    { S("bedrock-mantle"), { K("model"), K("training_file") } },
    { S("cloudformation"), { K("stackName"), K("stackSetName") } },
    { S("cloudtrail"), { K("name"), K("trailName"), K("eventDataStore"), K("trailARN") } },
    { S("codebuild"), { K("projectName"), K("name") } },
    { S("config"),
      { K("configurationRecorderName"), K("deliveryChannelName"), K("configRuleName") } },
    { S("dynamodb"), { K("tableName") } },
    { S("ec2"),
      { K("snapshotId"), K("imageId"), K("instanceId"), K("groupId"), K("volumeId"), K("FlowLogId"),
        K("keyName"), K("vpcId") } },
    { S("ec2-instance-connect"), { K("instanceId") } },
    { S("ecr"), { K("repositoryName") } },
    { S("ecs"), { K("cluster"), K("taskDefinition"), K("family"), K("serviceName") } },
    { S("glue"), { K("name"), K("jobName"), K("endpointName") } },
    { S("guardduty"), { K("detectorId"), K("name") } },
    { S("iam"),
      { K("roleName"), K("userName"), K("groupName"), K("policyArn"), K("instanceProfileName"),
        K("policyName"), K("roleArn"), K("name") } },
    { S("kms"), { K("keyId"), K("targetKeyId"), K("aliasName") } },
    { S("lambda"), { K("functionName"), K("layerName") } },
    { S("logs"), { K("logGroupName"), K("logGroupIdentifier"), K("resourceArn") } },
    { S("organizations"), { K("accountId"), K("targetId"), K("policyId") } },
    { S("rds"),
      { K("dBInstanceIdentifier"), K("dBClusterIdentifier"), K("dBSnapshotIdentifier"),
        K("dBClusterSnapshotIdentifier"), K("resourceArn") } },
    { S("rolesanywhere"), { K("name"), K("trustAnchorId") } },
    { S("route53"), { K("id"), K("hostedZoneId") } },
    { S("route53resolver"), { K("resolverQueryLogConfigId"), K("name") } },
    { S("s3"), { K("bucketName"), K("Bucket") } },
    { S("sagemaker"),
      { K("trainingJobName"), K("notebookInstanceName"), K("processingJobName"), K("modelName") } },
    { S("secretsmanager"), { K("secretId"), K("name") } },
    { S("securityhub"), { K("standardsArn") } },
    { S("sns"), { K("topicArn"), K("name") } },
    { S("sqs"), { K("queueUrl"), K("queueName") } },
    { S("ssm"), { K("name"), K("documentName"), K("target"), K("sessionId") } },
    { S("sts"), { K("roleArn"), K("name") } },
    { S("wafv2"), { K("resourceArn"), K("name") } },
};

/* Decodes the JSON string that starts just after an opening quote at p (end: the text's
 * end) into buf (TW_RESOURCE_MAX bytes): escapes resolved (\uXXXX outside ASCII becomes '?':
 * names are ASCII in practice), cut on a character boundary at TW_RESOURCE_MAX - 1 bytes. */
static tw_str decode_string(const char *p, const char *end, char *buf)
{
    /* most names hold no escape: copied at once (names are short: a loop beats a call) */
    const char *stop = (size_t)(end - p) < TW_RESOURCE_MAX ? end : p + TW_RESOURCE_MAX;
    const char *q = p;
    while (q < stop && *q != '"' && *q != '\\')
        q++;
    if (q < stop && *q == '"') {
        uint32_t len = (uint32_t)(q - p);
        memcpy(buf, p, len);
        buf[len] = '\0';
        return (tw_str){ buf, len };
    }
    uint32_t n = 0;
    while (p < end && *p != '"') {
        char c = *p++;
        if (c == '\\' && p < end) {
            char e = *p++;
            switch (e) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'u': {
                int v = 0;
                for (int i = 0; i < 4 && p < end; i++, p++) {
                    int d = tw_hex_digit((unsigned char)*p);
                    v = v * 16 + (d < 0 ? 0 : d);
                }
                c = v > 0 && v < 0x80 ? (char)v : '?';
                break;
            }
            default:
                c = e;
                break; /* \" \\ \/ */
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

/* The row of a service, by its eventSource's first label, or NULL (this runs on most events:
 * evidence keeps a resource). */
static const resource_keys *row_of(tw_str event_source)
{
    const char *dot = memchr(event_source.p, '.', event_source.len);
    uint32_t n = dot ? (uint32_t)(dot - event_source.p) : event_source.len;
    size_t lo = 0, hi = sizeof k_table / sizeof k_table[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const resource_keys *r = &k_table[mid];
        uint32_t m = r->service_len < n ? r->service_len : n;
        int c = memcmp(r->service, event_source.p, m);
        if (!c)
            c = r->service_len < n ? -1 : r->service_len > n ? 1 : 0;
        if (!c)
            return r;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

tw_str tw_resource_of(tw_str event_source, tw_str request_params, char *buf)
{
    buf[0] = '\0';
    if (!request_params.len || !event_source.len)
        return (tw_str){ buf, 0 };
    const resource_keys *row = row_of(event_source);
    if (!row)
        return (tw_str){ buf, 0 };
    const res_key *keys = row->keys;
    size_t n_keys = 0;
    while (n_keys < 8 && keys[n_keys].name)
        n_keys++;
    /* the keys' first bytes (all below 128), to pass over most quotes at a glance */
    uint64_t first[2] = { 0, 0 };
    for (size_t k = 0; k < n_keys; k++)
        first[(unsigned char)keys[k].name[0] >> 6 & 1] |= 1ull
                                                          << ((unsigned char)keys[k].name[0] & 63);
    /* one pass over the quotes: each that opens a name of the list followed by ':' and a string
     * is a candidate; the list's earliest wins, the first of the list ends the search */
    const char *p = request_params.p, *end = p + request_params.len, *best_at = NULL;
    size_t best = n_keys;
    while (p < end && best) {
        while (p < end && *p != '"')
            p++;
        if (++p >= end)
            break;
        unsigned char c = (unsigned char)*p;
        if (c >= 128 || !((first[c >> 6] >> (c & 63)) & 1))
            continue;
        for (size_t k = 0; k < best; k++) {
            const res_key *key = &keys[k];
            if (key->name[0] != *p || (size_t)(end - p) < key->len + 2 ||
                memcmp(p, key->name, key->len) != 0 || p[key->len] != '"')
                continue;
            const char *v = p + key->len + 1;
            while (v < end && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'))
                v++;
            if (v >= end || *v != ':')
                break; /* a value equal to the key's name, not the key */
            v++;
            while (v < end && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'))
                v++;
            if (v < end && *v == '"' && v + 1 < end && v[1] != '"') {
                best = k;
                best_at = v + 1;
            }
            break;
        }
    }
    return best_at ? decode_string(best_at, end, buf) : (tw_str){ buf, 0 };
}
