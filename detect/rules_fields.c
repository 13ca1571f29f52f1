/* rules_fields: the fields a rule may read, one table: CloudTrail's record fields, the Bedrock
 * model invocation log's, and trailwarden's virtual fields. A rule naming anything else is
 * refused with the closest known name. Fields are interned in the ruleset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_internal.h"
#include "tw_event.h"

enum { CT = RULES_SRC_CLOUDTRAIL, BR = RULES_SRC_BEDROCK, ALL = CT | BR };

typedef struct known_field {
    const char *name;
    uint8_t sources;
    bool any_below; /* any sub-path below the name is a field too */
    tw_field_kind kind;
} known_field;

static const known_field known_fields[] = {
    /* virtual (DESIGN §3, §4) */
    { "action", ALL, false, TW_FIELD_ACTION },
    { "action.level", ALL, false, TW_FIELD_ACTION_LEVEL },
    { "action.class", ALL, false, TW_FIELD_ACTION_CLASS },
    { "identity.key", ALL, false, TW_FIELD_IDENTITY_KEY },
    { "identity.kind", ALL, false, TW_FIELD_IDENTITY_KIND },
    { "error.denied", ALL, false, TW_FIELD_ERROR_DENIED },
    { "call.on_behalf", ALL, false, TW_FIELD_CALL_ON_BEHALF },
    { "policy.allows", CT, false, TW_FIELD_POLICY_ALLOWS },
    { "policy.denies_all", CT, false, TW_FIELD_POLICY_DENIES_ALL },
    { "policy.public", CT, false, TW_FIELD_POLICY_PUBLIC },
    { "policy.public_restricted", CT, false, TW_FIELD_POLICY_PUBLIC_RESTRICTED },
    { "policy.aws_principal", CT, false, TW_FIELD_POLICY_AWS_PRINCIPAL },
    { "policy.whole_account", CT, false, TW_FIELD_POLICY_WHOLE_ACCOUNT },
    { "policy.other_account", CT, false, TW_FIELD_POLICY_OTHER_ACCOUNT },
    { "policy.service_principal", CT, false, TW_FIELD_POLICY_SERVICE },
    { "policy.federated", CT, false, TW_FIELD_POLICY_FEDERATED },
    { "policy.privileged", CT, false, TW_FIELD_POLICY_PRIVILEGED },
    { "policy.admin", CT, false, TW_FIELD_POLICY_ADMIN },
    { "policy.unreadable", CT, false, TW_FIELD_POLICY_UNREADABLE },
    /* CloudTrail record contents */
    { "eventVersion", CT, false, TW_FIELD_RECORD },
    { "userIdentity", CT, false, TW_FIELD_RECORD },
    { "userIdentity.type", CT, false, TW_FIELD_RECORD },
    { "userIdentity.principalId", CT, false, TW_FIELD_RECORD },
    { "userIdentity.arn", CT, false, TW_FIELD_RECORD },
    { "userIdentity.accountId", CT, false, TW_FIELD_RECORD },
    { "userIdentity.accessKeyId", CT, false, TW_FIELD_RECORD },
    { "userIdentity.userName", CT, false, TW_FIELD_RECORD },
    { "userIdentity.invokedBy", CT, false, TW_FIELD_RECORD },
    { "userIdentity.identityProvider", CT, false, TW_FIELD_RECORD },
    { "userIdentity.credentialId", CT, false, TW_FIELD_RECORD },
    { "userIdentity.sourceIdentity", CT, false, TW_FIELD_RECORD },
    { "userIdentity.onBehalfOf", CT, true, TW_FIELD_RECORD },
    { "userIdentity.sessionContext", CT, true, TW_FIELD_RECORD },
    { "userIdentity.attributes", CT, true, TW_FIELD_RECORD },
    { "userIdentity.webIdFederationData", CT, true, TW_FIELD_RECORD },
    { "eventTime", CT, false, TW_FIELD_RECORD },
    { "eventSource", CT, false, TW_FIELD_RECORD },
    { "eventName", CT, false, TW_FIELD_RECORD },
    { "awsRegion", CT, false, TW_FIELD_RECORD },
    { "sourceIPAddress", CT, false, TW_FIELD_RECORD },
    { "userAgent", CT, false, TW_FIELD_RECORD },
    { "errorCode", ALL, false, TW_FIELD_RECORD },
    { "errorMessage", CT, false, TW_FIELD_RECORD },
    { "requestParameters", CT, true, TW_FIELD_RECORD },
    { "responseElements", CT, true, TW_FIELD_RECORD },
    { "additionalEventData", CT, true, TW_FIELD_RECORD },
    { "requestID", CT, false, TW_FIELD_RECORD },
    { "eventID", CT, false, TW_FIELD_RECORD },
    { "readOnly", CT, false, TW_FIELD_RECORD },
    { "resources", CT, false, TW_FIELD_RECORD },
    { "resources.ARN", CT, false, TW_FIELD_RECORD },
    { "resources.accountId", CT, false, TW_FIELD_RECORD },
    { "resources.type", CT, false, TW_FIELD_RECORD },
    { "eventType", CT, false, TW_FIELD_RECORD },
    { "apiVersion", CT, false, TW_FIELD_RECORD },
    { "managementEvent", CT, false, TW_FIELD_RECORD },
    { "recipientAccountId", CT, false, TW_FIELD_RECORD },
    { "serviceEventDetails", CT, true, TW_FIELD_RECORD },
    { "sharedEventID", CT, false, TW_FIELD_RECORD },
    { "vpcEndpointId", CT, false, TW_FIELD_RECORD },
    { "vpcEndpointAccountId", CT, false, TW_FIELD_RECORD },
    { "eventCategory", CT, false, TW_FIELD_RECORD },
    { "tlsDetails", CT, true, TW_FIELD_RECORD },
    { "sessionCredentialFromConsole", CT, false, TW_FIELD_RECORD },
    { "edgeDeviceDetails", CT, true, TW_FIELD_RECORD },
    { "insightDetails", CT, true, TW_FIELD_RECORD },
    /* Bedrock model invocation log records */
    { "schemaType", BR, false, TW_FIELD_RECORD },
    { "schemaVersion", BR, false, TW_FIELD_RECORD },
    { "timestamp", BR, false, TW_FIELD_RECORD },
    { "accountId", BR, false, TW_FIELD_RECORD },
    { "identity.arn", BR, false, TW_FIELD_RECORD },
    { "region", BR, false, TW_FIELD_RECORD },
    { "requestId", BR, false, TW_FIELD_RECORD },
    { "operation", BR, false, TW_FIELD_RECORD },
    { "modelId", BR, false, TW_FIELD_RECORD },
    { "input", BR, true, TW_FIELD_RECORD },
    { "output", BR, true, TW_FIELD_RECORD },
    { "inferenceRegion", BR, false, TW_FIELD_RECORD },
};
#define N_KNOWN (sizeof known_fields / sizeof known_fields[0])

unsigned rules_source_bits(tw_rule_source source)
{
    switch (source) {
    case TW_SOURCE_CLOUDTRAIL:
        return CT;
    case TW_SOURCE_BEDROCK:
        return BR;
    case TW_SOURCE_NONE:
        break;
    }
    return ALL;
}

static char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* A path's segments are non-empty and hold no blank or control character. */
static bool well_formed(const char *name)
{
    if (!*name || *name == '.')
        return false;
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c == 0x7f || c == '|')
            return false;
        if (c == '.' && (p[1] == '.' || p[1] == '\0'))
            return false;
    }
    return true;
}

static const known_field *lookup(const char *name, unsigned sources)
{
    for (size_t i = 0; i < N_KNOWN; i++) {
        const known_field *k = &known_fields[i];
        if (!(k->sources & sources))
            continue;
        size_t klen = strlen(k->name);
        if (!strncmp(name, k->name, klen) &&
            (name[klen] == '\0' || (k->any_below && name[klen] == '.')))
            return k;
    }
    return NULL;
}

bool rules_field_known(const char *name, unsigned sources)
{
    return well_formed(name) && lookup(name, sources);
}

/* Optimal string alignment distance (a swap of two neighbours is one edit), ASCII case
 * folded: "titel" is one edit from "title", "eventname" none from "eventName". */
size_t rules_edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    if (la > 64 || lb > 64)
        return (size_t)-1;
    size_t rows[3][65];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            char ca = fold(a[i - 1]), cb = fold(b[j - 1]);
            size_t best = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ca == fold(b[j - 2]) && fold(a[i - 2]) == cb &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

/* Close enough to be a typo: case aside, about one edit in four characters, at most 3. */
static size_t tolerance(size_t len)
{
    size_t t = len / 4;
    if (t < 1)
        t = 1;
    return t > 3 ? 3 : t;
}

const char *rules_suggest(const char *word, const char *const *names)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, lw = strlen(word);
    for (size_t i = 0; names[i]; i++) {
        size_t d = rules_edit_distance(word, lw, names[i], strlen(names[i]));
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best && best_d <= tolerance(lw) ? best : NULL;
}

void rules_field_suggest(const char *name, unsigned sources, char *out, size_t size)
{
    out[0] = '\0';
    size_t best_d = (size_t)-1, len = strlen(name);
    for (size_t i = 0; i < N_KNOWN; i++) {
        const known_field *k = &known_fields[i];
        if (!(k->sources & sources))
            continue;
        size_t klen = strlen(k->name);
        /* the whole name against the known name, and (for names with anything below them) each
         * head of the name, keeping its tail: "requestParameter.policyArn" */
        for (size_t cut = 1; cut <= len; cut++) {
            if (cut < len && (name[cut] != '.' || !k->any_below))
                continue;
            size_t d = rules_edit_distance(name, cut, k->name, klen);
            if (d < best_d && d <= tolerance(cut)) {
                best_d = d;
                snprintf(out, size, "%s%s", k->name, name + cut);
            }
        }
    }
}

static tw_field *intern(rules_ctx *ctx, const char *name, tw_field_kind kind)
{
    tw_ruleset *rs = ctx->rs;
    for (size_t i = 0; i < rs->n_fields; i++)
        if (!strcmp(rs->fields[i]->name, name))
            return rs->fields[i];
    if (rs->n_fields == rs->cap_fields) {
        size_t cap = rs->cap_fields ? rs->cap_fields * 2 : 32;
        tw_field **v = realloc(rs->fields, cap * sizeof *v);
        if (!v) {
            rs->nomem = true;
            return NULL;
        }
        rs->fields = v;
        rs->cap_fields = cap;
    }
    tw_field *field = rules_alloc(ctx, sizeof *field);
    if (!field)
        return NULL;
    field->name = rules_strdup(ctx, name, strlen(name));
    field->kind = kind;
    field->index = (uint32_t)rs->n_fields;
    if (kind == TW_FIELD_RECORD) {
        uint32_t n = 1;
        for (const char *p = name; *p; p++)
            n += *p == '.';
        tw_str *path = rules_alloc(ctx, n * sizeof *path);
        if (!path)
            return NULL;
        const char *start = field->name;
        for (uint32_t i = 0; i < n; i++) {
            const char *dot = strchr(start, '.');
            size_t seg = dot ? (size_t)(dot - start) : strlen(start);
            path[i] = (tw_str){ start, (uint32_t)seg };
            start += seg + 1;
        }
        field->path = path;
        field->n_path = n;
    }
    rs->fields[rs->n_fields++] = field;
    return field;
}

const tw_field *rules_field(rules_ctx *ctx, const char *name, uint32_t line, unsigned sources)
{
    const known_field *k = well_formed(name) ? lookup(name, sources) : NULL;
    if (k)
        return intern(ctx, name, k->kind);
    if (!well_formed(name)) {
        rules_diag(ctx, line, "malformed field name '%s'", name);
        return NULL;
    }
    char hint[256];
    rules_field_suggest(name, sources, hint, sizeof hint);
    const char *where = sources == BR   ? " of Bedrock model invocation logs"
                        : sources == CT ? " of CloudTrail"
                                        : "";
    if (hint[0])
        rules_diag(ctx, line, "unknown field '%s'%s (did you mean '%s'?)", name, where, hint);
    else if (sources == CT && lookup(name, BR))
        rules_diag(ctx, line,
                   "unknown field '%s' of CloudTrail (a field of Bedrock model invocation logs: "
                   "logsource service bedrock)",
                   name);
    else if (sources == BR && lookup(name, CT))
        rules_diag(ctx, line,
                   "unknown field '%s' of Bedrock model invocation logs (a field of CloudTrail: "
                   "logsource service cloudtrail)",
                   name);
    else
        rules_diag(ctx, line, "unknown field '%s'%s", name, where);
    return NULL;
}

/* ---- the names of the virtual fields' values ---- */

const char *const rules_class_names[] = {
    "read",
    "write",
    "destructive",
    "permissions",
    "model-training",
    "telemetry",
    "logging-control",
    "guardrail",
    "credential",
    "passrole",
    "identity",
    "code-execution",
    "account",
    "key-destruction",
    "escalation",
    "privileged",
    NULL,
};
static const uint32_t class_bits[] = {
    TW_CLASS_READ,
    TW_CLASS_WRITE,
    TW_CLASS_DESTRUCTIVE,
    TW_CLASS_PERMISSIONS,
    TW_CLASS_MODEL_TRAINING,
    TW_CLASS_TELEMETRY,
    TW_CLASS_LOGGING_CONTROL,
    TW_CLASS_GUARDRAIL,
    TW_CLASS_CREDENTIAL,
    TW_CLASS_PASSROLE,
    TW_CLASS_IDENTITY,
    TW_CLASS_CODE_EXECUTION,
    TW_CLASS_ACCOUNT,
    TW_CLASS_KEY_DESTRUCTION,
    TW_CLASS_ESCALATION,
    TW_CLASS_PRIVILEGED,
};

const char *const rules_level_names[] = {
    "Read", "List", "Write", "Permissions management", "Tagging", NULL,
};
static const uint32_t level_bits[] = {
    TW_LEVEL_READ, TW_LEVEL_LIST, TW_LEVEL_WRITE, TW_LEVEL_PERMISSIONS, TW_LEVEL_TAGGING,
};

const char *const rules_kind_names[] = { "service", "aws-service", "human", "agent", "root", NULL };
static const uint32_t kind_bits[] = {
    1u << TW_KIND_SERVICE, 1u << TW_KIND_AWS_SERVICE, 1u << TW_KIND_HUMAN,
    1u << TW_KIND_AGENT,   1u << TW_KIND_ROOT,
};

static bool name_lookup(const char *name, const char *const *names, const uint32_t *bits,
                        uint32_t *out)
{
    for (size_t i = 0; names[i]; i++)
        if (!strcasecmp(name, names[i])) {
            *out = bits[i];
            return true;
        }
    return false;
}

bool rules_class_lookup(const char *name, uint32_t *bits)
{
    return name_lookup(name, rules_class_names, class_bits, bits);
}

bool rules_level_lookup(const char *name, uint32_t *bits)
{
    return name_lookup(name, rules_level_names, level_bits, bits);
}

bool rules_kind_lookup(const char *name, uint32_t *bits)
{
    return name_lookup(name, rules_kind_names, kind_bits, bits);
}

void rules_diag_unknown(rules_ctx *ctx, uint32_t line, const char *what, const char *prefix,
                        const char *word, const char *const *names, const char *choices)
{
    const char *hint = rules_suggest(word, names);
    if (hint)
        rules_diag(ctx, line, "%s '%s%s' (did you mean '%s'?)", what, prefix, word, hint);
    else if (choices)
        rules_diag(ctx, line, "%s '%s%s' (%s)", what, prefix, word, choices);
    else
        rules_diag(ctx, line, "%s '%s%s'", what, prefix, word);
}
