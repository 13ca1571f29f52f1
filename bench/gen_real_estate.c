/* gen_real_estate: the identities of the realistic profile (`gen --profile realistic`),
 * described on demand from (seed, index) like the default estate's (gen_estate.c).
 *
 * An estate is a mix of identity classes (gen_rclass), each the routine of one kind of real
 * identity: applications, pipelines, agents, CI, people, AWS itself. Per account it also holds
 * what real accounts hold once: one role per AWS SSO permission set, shared by the people of
 * that set, and one service-linked role per AWS service in use. The rest of the estate comes in
 * blocks of 100 slots with the class mix below. What the run keeps per identity is its class
 * (1 byte) and its ordinal within the class (4 bytes): people's names are drawn from the
 * ordinal so that they read like names and never collide. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"
#include "tw_time.h"

/* Per 100 slots of the estate outside the per-account roles. */
static const uint8_t class_mix[GEN_RC_COUNT] = {
    [GEN_RC_APP_KMS] = 16,      [GEN_RC_APP_SECRETS] = 11, [GEN_RC_ETL] = 11,
    [GEN_RC_LOG_RETENTION] = 3, [GEN_RC_TRAINING] = 3,     [GEN_RC_OBSERVABILITY] = 4,
    [GEN_RC_BEDROCK_APP] = 9,   [GEN_RC_BEDROCK_KEY] = 3,  [GEN_RC_AGENT_RO] = 9,
    [GEN_RC_AGENT_RW] = 6,      [GEN_RC_CI] = 9,           [GEN_RC_DATA_SHARING] = 1,
    [GEN_RC_IAM_CONSOLE] = 5,   [GEN_RC_IAM_CLI] = 6,      [GEN_RC_IAM_SERVICE] = 4,
};

/* Per account: the permission sets of AWS SSO, then the service-linked roles. */
static const char *const permsets[] = { "AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess",
                                        "DataEngineer",        "Developer",       "SecurityAdmin" };
#define GEN_REAL_PERMSETS 6
#define SLR(role, svc, session)                                                         \
    {                                                                                   \
        role, svc ".amazonaws.com", "/aws-service-role/" svc ".amazonaws.com/", session \
    }
static const struct {
    const char *role; /* AWSServiceRoleFor... */
    const char *host; /* the service: invokedBy, source and user agent */
    const char *path;
    const char *session;
} slrs[] = {
    SLR("AWSServiceRoleForAutoScaling", "autoscaling", "AutoScaling"),
    SLR("AWSServiceRoleForECS", "ecs", "ecs-service-scheduler"),
    SLR("AWSServiceRoleForElasticLoadBalancing", "elasticloadbalancing", "ElasticLoadBalancing"),
    SLR("AWSServiceRoleForConfig", "config", "AWSConfig-Describe"),
    SLR("AWSServiceRoleForAmazonGuardDuty", "guardduty", "GuardDutyMalwareScan"),
};
#undef SLR
#define GEN_REAL_SLRS 5
#define PER_ACCOUNT (GEN_REAL_PERMSETS + GEN_REAL_SLRS)

/* ---- user agents --------------------------------------------------------------------- */

/* A workload's user agent and the service it runs on (that assumes its role), or NULL: it
 * runs outside AWS. */
typedef struct hosted_ua {
    const char *ua;
    const char *host;
} hosted_ua;

/* Applications: the family also says where they run. */
static const hosted_ua ua_app[] = {
    { "Boto3/1.38.36 md/Botocore#1.38.36 ua/2.1 os/linux#5.10.237 md/arch#x86_64 "
      "lang/python#3.12.11 exec-env/AWS_ECS_FARGATE cfg/retry-mode#standard Botocore/1.38.36",
      "ecs-tasks.amazonaws.com" },
    { "aws-sdk-java/2.31.78 md/io#sync md/http#Apache ua/2.1 os/Linux#5.10.238 lang/java#17.0.15 "
      "exec-env/AWS_ECS_EC2 m/D,N",
      "ecs-tasks.amazonaws.com" },
    { "aws-sdk-js/3.840.0 ua/2.1 os/linux#5.10.238 lang/js md/nodejs#20.19.2 api/s3#3.840.0 "
      "exec-env/AWS_Lambda_nodejs20.x m/E,N",
      "lambda.amazonaws.com" },
    { "Boto3/1.38.36 ua/2.1 os/linux#5.10.237 md/arch#x86_64 lang/python#3.12.11 "
      "exec-env/AWS_Lambda_python3.12 Botocore/1.38.36",
      "lambda.amazonaws.com" },
    { "aws-sdk-go-v2/1.36.5 ua/2.1 os/linux lang/go#1.24.4 md/GOOS#linux md/GOARCH#amd64 "
      "api/s3#1.83.0 m/E,Z,g",
      "ec2.amazonaws.com" },
};

static const hosted_ua ua_etl[] = {
    { "aws-sdk-java/1.12.773 Linux/5.10.237 OpenJDK_64-Bit_Server_VM/17.0.15+6-LTS java/17.0.15 "
      "scala/2.12.18 AWS-Glue/4.0",
      "glue.amazonaws.com" },
    { "Boto3/1.38.36 ua/2.1 os/linux#5.10.237 md/arch#x86_64 lang/python#3.12.11 "
      "exec-env/AWS_Lambda_python3.12 Botocore/1.38.36",
      "lambda.amazonaws.com" },
    { "aws-sdk-java/2.31.78 md/io#sync md/http#Apache ua/2.1 os/Linux#5.10.238 lang/java#17.0.15 "
      "exec-env/AWS_ECS_EC2 m/D,N",
      "ecs-tasks.amazonaws.com" },
    { "aws-sdk-go-v2/1.36.5 ua/2.1 os/linux lang/go#1.24.4 md/GOOS#linux md/GOARCH#amd64 "
      "api/s3#1.83.0 m/E,Z,g",
      "ec2.amazonaws.com" },
};

static const hosted_ua ua_retention[] = {
    { "Boto3/1.38.36 ua/2.1 os/linux#5.10.237 md/arch#x86_64 lang/python#3.12.11 "
      "exec-env/AWS_Lambda_python3.12 Botocore/1.38.36",
      "lambda.amazonaws.com" },
};

static const hosted_ua ua_training[] = {
    { "Boto3/1.40.4 ua/2.1 os/linux#5.10.238 md/arch#x86_64 lang/python#3.11.13 "
      "exec-env/AWS_SageMaker_Pipelines Botocore/1.40.4 sagemaker-python-sdk/2.249.0",
      "sagemaker.amazonaws.com" },
    { "Boto3/1.40.6 ua/2.1 os/linux#5.10.238 md/arch#x86_64 lang/python#3.12.11 "
      "exec-env/AWS_Lambda_python3.12 Botocore/1.40.6",
      "lambda.amazonaws.com" },
};

/* AI agents; 0 and 1 are the ones scenarios pick (strands-agents, langchain). */
static const hosted_ua ua_agent[] = {
    { "strands-agents/1.2.0 Boto3/1.40.11 ua/2.1 os/linux#6.1.141 md/arch#x86_64 "
      "lang/python#3.12.11 exec-env/AWS_ECS_FARGATE Botocore/1.40.11",
      "ecs-tasks.amazonaws.com" },
    { "Boto3/1.39.4 ua/2.1 os/linux#5.10.238 md/arch#x86_64 lang/python#3.11.9 "
      "exec-env/AWS_Lambda_python3.11 Botocore/1.39.4 langchain-aws/0.2.18",
      "lambda.amazonaws.com" },
    { "bedrock-agentcore/0.1.2 Boto3/1.40.6 ua/2.1 os/linux#5.10.238 md/arch#aarch64 "
      "lang/python#3.13.5 Botocore/1.40.6",
      "bedrock-agentcore.amazonaws.com" },
    { "openai-agents/0.2.9 Boto3/1.40.11 ua/2.1 os/linux#6.1.0 md/arch#x86_64 lang/python#3.12.4 "
      "Botocore/1.40.11",
      NULL },
    { "crewai/0.152.0 Boto3/1.38.46 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.10 "
      "Botocore/1.38.46",
      NULL },
    { "Boto3/1.40.11 ua/2.1 os/linux#6.1.141 md/arch#x86_64 lang/python#3.12.11 Botocore/1.40.11 "
      "md/awslabs.aws-api-mcp-server#1.0.6 mcp-client/1.12.4",
      NULL },
};

/* People at a terminal (the others' user agents are gen_estate.c's: CI, monitors, browsers,
 * long-term keys, Bedrock API keys). */
static const char *const ua_cli[] = {
    "aws-cli/2.27.41 md/awscrt#0.26.1 ua/2.1 os/linux#6.1.0-37-amd64 md/arch#x86_64 "
    "lang/python#3.13.4 md/installer#exe md/distrib#debian.12 md/prompt#off md/command#s3.ls",
    "aws-cli/2.27.60 md/awscrt#0.26.1 ua/2.1 os/macos#24.5.0 md/arch#arm64 lang/python#3.13.4 "
    "md/installer#source md/prompt#off md/command#ec2.describe-instances",
    "aws-cli/2.26.3 md/awscrt#0.25.4 ua/2.1 os/windows#11 md/arch#amd64 lang/python#3.13.2 "
    "md/installer#exe md/prompt#off md/command#logs.tail",
    "Boto3/1.39.14 ua/2.1 os/macos#24.5.0 md/arch#arm64 lang/python#3.12.11 Botocore/1.39.14",
};

/* What the identities of a class are: their user agents (workloads' with their hosts) and
 * their credentials. SSO and service-linked roles are described on their own. */
enum {
    CK_IAM_USER = 1u << 0,    /* an IAM user, else a role */
    CK_KEYS = 1u << 1,        /* long-term keys only: no sessions */
    CK_BEARER = 1u << 2,      /* a Bedrock API key */
    CK_CONSOLE = 1u << 3,     /* signs in at the console */
    CK_MFA_SESSION = 1u << 4, /* on session credentials after MFA */
};
typedef struct class_kind {
    const hosted_ua *hosted; /* or, for the others, */
    const char *const *uas;
    uint32_t n_uas;
    uint8_t flags; /* CK_* */
} class_kind;

#define HOSTED(list)                            \
    {                                           \
        .hosted = list, .n_uas = GEN_N_OF(list) \
    }
#define UAS(list, fl)                                     \
    {                                                     \
        .uas = list, .n_uas = GEN_N_OF(list), .flags = fl \
    }
static const class_kind class_kinds[GEN_RC_COUNT] = {
    [GEN_RC_APP_KMS] = HOSTED(ua_app),
    [GEN_RC_APP_SECRETS] = HOSTED(ua_app),
    [GEN_RC_ETL] = HOSTED(ua_etl),
    [GEN_RC_LOG_RETENTION] = HOSTED(ua_retention),
    [GEN_RC_TRAINING] = HOSTED(ua_training),
    [GEN_RC_OBSERVABILITY] = UAS(gen_ua_monitor, 0),
    [GEN_RC_BEDROCK_APP] = HOSTED(ua_app),
    [GEN_RC_BEDROCK_KEY] = UAS(gen_ua_bedrock_key, CK_IAM_USER | CK_KEYS | CK_BEARER),
    [GEN_RC_AGENT_RO] = HOSTED(ua_agent),
    [GEN_RC_AGENT_RW] = HOSTED(ua_agent),
    [GEN_RC_CI] = UAS(gen_ua_ci, 0),
    [GEN_RC_DATA_SHARING] = UAS(gen_ua_ci, 0), /* Terraform's (below) */
    [GEN_RC_IAM_CONSOLE] = UAS(gen_ua_browser, CK_IAM_USER | CK_CONSOLE | CK_MFA_SESSION),
    [GEN_RC_IAM_CLI] = UAS(ua_cli, CK_IAM_USER | CK_MFA_SESSION),
    [GEN_RC_IAM_SERVICE] = UAS(gen_ua_key_user, CK_IAM_USER | CK_KEYS),
};
#undef HOSTED
#undef UAS

/* ---- names --------------------------------------------------------------------------- */

static const char *const app_kinds[] = { "api",      "reader",   "reporting", "search-indexer",
                                         "exporter", "dashboard" };
static const char *const svc_kinds[] = { "service", "worker", "backend", "sync", "scheduler" };
static const char *const genai_apps[] = { "chatbot",         "summarizer", "rag-api",
                                          "copilot-backend", "classifier", "support-assistant" };
static const char *const svc_users[] = { "svc-backup",  "svc-sftp-sync", "veeam-backup",
                                         "rclone-sync", "svc-reporting", "legacy-app" };
static const char *const retention_names[] = { "log-retention", "cw-logs-janitor",
                                               "logs-retention-enforcer", "log-cleanup" };
/* Working-day time zones of people and teams (hours from UTC). */
static const int8_t tzs[] = { -8, -5, -5, 0, 1, 1, 2, 5, 9, 10 };

/* A person's name, different for every ordinal (20 x 20 names, then a number). */
static void person_name(uint32_t ordinal, char sep, char *out, size_t size)
{
    const uint32_t nf = GEN_N_OF(gen_firsts), nl = GEN_N_OF(gen_lasts);
    uint32_t f = ordinal % nf, l = (ordinal / nf + ordinal) % nl;
    uint32_t round = ordinal / (nf * nl);
    if (round)
        snprintf(out, size, "%s%c%s%u", gen_firsts[f], sep, gen_lasts[l], round + 1);
    else
        snprintf(out, size, "%s%c%s", gen_firsts[f], sep, gen_lasts[l]);
}

/* ---- the estate ---------------------------------------------------------------------- */

tw_err gen_real_estate_init(gen_real_estate *re, const gen_opts *opt, uint32_t extra)
{
    memset(re, 0, sizeof *re);
    tw_err err = gen_estate_init(&re->es, opt);
    if (err)
        return err;
    uint32_t n = opt->identities, total = n + extra;
    re->es.identities = n;
    re->rclass = calloc((size_t)total, 1);
    re->ordinal = calloc((size_t)total, sizeof *re->ordinal);
    re->account_first = calloc((size_t)opt->accounts + 1, sizeof *re->account_first);
    re->by_account = calloc((size_t)n + 1, sizeof *re->by_account);
    if (!re->rclass || !re->ordinal || !re->account_first || !re->by_account)
        return TW_ERR_NOMEM;
    /* Per-account roles for as many accounts as the estate can afford (a quarter of it). */
    uint32_t fixed = n / 4 / PER_ACCOUNT;
    re->fixed_accounts = fixed < opt->accounts ? fixed : opt->accounts;
    uint32_t first_block = re->fixed_accounts * PER_ACCOUNT;
    /* A block of 100: one of each class first (so small estates show every class), then the
     * rest round-robin, so classes are spread and not grouped. */
    uint8_t block[100], left[GEN_RC_COUNT];
    uint32_t bn = 0;
    memcpy(left, class_mix, sizeof left);
    while (bn < 100) {
        for (int c = 0; c < GEN_RC_COUNT && bn < 100; c++)
            if (left[c]) {
                block[bn++] = (uint8_t)c;
                left[c]--;
            }
    }
    uint32_t count[GEN_RC_COUNT] = { 0 };
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c;
        if (i < first_block)
            c = (i % PER_ACCOUNT) < GEN_REAL_PERMSETS ? GEN_RC_SSO : GEN_RC_SLR;
        else
            c = block[(i - first_block) % 100];
        re->rclass[i] = c;
        re->ordinal[i] = count[c]++;
    }
    memcpy(re->class_count, count, sizeof count);
    /* Application roles by account: what CI grants policies to and deploys. */
    for (uint32_t pass = 0; pass < 2; pass++) {
        uint32_t *fill = pass ? calloc((size_t)opt->accounts, sizeof *fill) : NULL;
        if (pass && !fill)
            return TW_ERR_NOMEM;
        for (uint32_t i = first_block; i < n; i++) {
            uint8_t c = re->rclass[i];
            if (c != GEN_RC_APP_KMS && c != GEN_RC_APP_SECRETS && c != GEN_RC_BEDROCK_APP)
                continue;
            uint32_t a = (uint32_t)((gen_mix(opt->seed ^ 0x1DE47u, i) >> 32) % opt->accounts);
            if (!pass)
                re->account_first[a + 1]++;
            else
                re->by_account[re->account_first[a] + fill[a]++] = i;
        }
        if (!pass)
            for (uint32_t a = 0; a < opt->accounts; a++)
                re->account_first[a + 1] += re->account_first[a];
        free(fill);
    }
    static const char org_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t h = gen_mix(opt->seed, 0x0C6u);
    memcpy(re->org_id, "o-", 2);
    for (int i = 0; i < 10; i++, h /= 36)
        re->org_id[2 + i] = org_chars[h % 36];
    re->org_id[12] = '\0';
    return TW_OK;
}

void gen_real_estate_free(gen_real_estate *re)
{
    if (!re)
        return;
    gen_estate_free(&re->es);
    free(re->rclass);
    free(re->ordinal);
    free(re->by_account);
    free(re->account_first);
    re->rclass = NULL;
    re->ordinal = re->by_account = re->account_first = NULL;
}

uint32_t gen_real_app_role(const gen_real_estate *re, uint32_t account_ix, uint64_t h)
{
    uint32_t lo = re->account_first[account_ix], hi = re->account_first[account_ix + 1];
    if (lo == hi)
        return UINT32_MAX;
    return re->by_account[lo + h % (hi - lo)];
}

uint32_t gen_real_fixed_index(const gen_real_estate *re, uint32_t account_ix, bool slr,
                              uint32_t which)
{
    if (account_ix >= re->fixed_accounts)
        return UINT32_MAX;
    return account_ix * PER_ACCOUNT + (slr ? GEN_REAL_PERMSETS : 0) + which;
}

static void name_identity(const gen_real_estate *re, gen_ident *id, uint32_t ordinal)
{
    uint64_t h = tw_hash_mix(id->h ^ 0x4E414D45u);
    uint32_t tag = gen_name_tag(re->es.seed, id->index);
    char *n = id->name;
    const size_t sz = sizeof id->name;
    id->path = "/";
    switch ((gen_rclass)id->rclass) {
    case GEN_RC_APP_KMS:
        snprintf(n, sz, "%s-%s-%06x", GEN_PICK(gen_datasets, h), GEN_PICK(app_kinds, h >> 8), tag);
        if ((h >> 16) % 3 == 0)
            id->path = "/service-role/";
        break;
    case GEN_RC_APP_SECRETS:
        snprintf(n, sz, "%s-%s-%06x", GEN_PICK(gen_datasets, h), GEN_PICK(svc_kinds, h >> 8), tag);
        break;
    case GEN_RC_ETL:
        gen_pipeline_role_name(id, h, tag);
        break;
    case GEN_RC_LOG_RETENTION:
        if ((h >> 8) % 4 == 3)
            snprintf(n, sz, "%s-%s-%06x", GEN_PICK(gen_teams, h), retention_names[3], tag);
        else
            snprintf(n, sz, "%s-%06x", retention_names[(h >> 8) % 3], tag);
        id->path = "/service-role/";
        break;
    case GEN_RC_TRAINING:
        if (id->ua_family == 0)
            snprintf(n, sz, "%s-finetune-pipeline-%06x", GEN_PICK(gen_datasets, h), tag);
        else
            snprintf(n, sz, "%s-nightly-training-%06x", GEN_PICK(gen_teams, h), tag);
        break;
    case GEN_RC_OBSERVABILITY:
        snprintf(n, sz, "%s-%06x", gen_monitor_names[id->ua_family % GEN_N_OF(gen_monitor_names)],
                 tag);
        break;
    case GEN_RC_BEDROCK_APP:
        snprintf(n, sz, "%s-%s-%06x", GEN_PICK(gen_teams, h), GEN_PICK(genai_apps, h >> 8), tag);
        break;
    case GEN_RC_BEDROCK_KEY:
        snprintf(n, sz, "BedrockAPIKey-%06x", tag);
        break;
    case GEN_RC_AGENT_RO:
    case GEN_RC_AGENT_RW:
        gen_agent_role_name(n, sz, id->rclass == GEN_RC_AGENT_RO, h, tag);
        break;
    case GEN_RC_CI:
        gen_ci_role_name(n, sz, id->ua_family, h, tag);
        break;
    case GEN_RC_DATA_SHARING:
        snprintf(n, sz, "%s-data-sharing-%06x", GEN_PICK(gen_teams, h), tag);
        break;
    case GEN_RC_IAM_CONSOLE: /* people: even ordinals at the console, odd ones with the CLI */
        person_name(2 * ordinal, '.', n, sz);
        break;
    case GEN_RC_IAM_CLI:
        person_name(2 * ordinal + 1, '.', n, sz);
        break;
    case GEN_RC_IAM_SERVICE:
        snprintf(n, sz, "%s-%06x", GEN_PICK(svc_users, h), tag);
        break;
    case GEN_RC_SSO: {
        /* AWS SSO names the role of a permission set with 16 hex digits, one per account */
        uint64_t hx = gen_mix(re->es.seed ^ 0x550u, id->account_ix * 16u + id->flavour);
        snprintf(n, sz, "AWSReservedSSO_%s_%016llx", permsets[id->flavour], (unsigned long long)hx);
        id->path = (re->es.seed & 3) == 0 ? "/aws-reserved/sso.amazonaws.com/eu-west-1/"
                                          : "/aws-reserved/sso.amazonaws.com/";
        break;
    }
    case GEN_RC_SLR:
        snprintf(n, sz, "%s", slrs[id->flavour].role);
        id->path = slrs[id->flavour].path;
        break;
    case GEN_RC_COUNT:
        assert(0);
    }
}

const char *gen_real_permset(uint8_t flavour)
{
    return permsets[flavour % GEN_REAL_PERMSETS];
}

/* An identity's user agent (drawn by fam) and credentials, as its class's kind says. */
static void set_kind(gen_ident *id, const class_kind *k, uint32_t fam)
{
    if (k->n_uas) {
        id->ua_family = fam % k->n_uas;
        id->user_agent = k->hosted ? k->hosted[id->ua_family].ua : k->uas[id->ua_family];
        id->assumed_by = k->hosted ? k->hosted[id->ua_family].host : NULL;
    }
    id->iam_user = k->flags & CK_IAM_USER;
    id->bearer = k->flags & CK_BEARER;
    id->console = k->flags & CK_CONSOLE;
    id->mfa = id->user_session = k->flags & CK_MFA_SESSION;
    id->session_ms = (k->flags & CK_KEYS) ? 0 : TW_MS_HOUR;
}

void gen_real_describe(const gen_real_estate *re, uint32_t index, gen_ident *id)
{
    const gen_estate *es = &re->es;
    uint64_t h = gen_mix(es->seed ^ 0x1DE47u, index);
    const gen_real_scenario_ident *sid =
        index >= es->identities ? &re->scenario[index - es->identities] : NULL;
    memset(id, 0, sizeof *id);
    id->index = index;
    id->h = h;
    id->rclass = re->rclass[index];
    uint32_t ordinal = re->ordinal[index];
    uint32_t fixed_n = re->fixed_accounts * PER_ACCOUNT;
    bool fixed = index < fixed_n;
    id->account_ix = fixed ? index / PER_ACCOUNT : (uint32_t)((h >> 32) % es->accounts);
    if (sid && sid->account_ix != UINT32_MAX)
        id->account_ix = sid->account_ix;
    id->account = es->account_ids[id->account_ix];
    id->region = gen_home_region(h);
    uint32_t fam = (uint32_t)(h >> 24);
    if (sid && sid->ua_family >= 0)
        fam = (uint32_t)sid->ua_family;
    id->tz = tzs[(h >> 44) % GEN_N_OF(tzs)];
    set_kind(id, &class_kinds[id->rclass], fam);
    switch ((gen_rclass)id->rclass) {
    case GEN_RC_DATA_SHARING: /* a team's Terraform pipeline */
        id->ua_family = GEN_UA_CI_TERRAFORM;
        id->user_agent = gen_ua_ci[id->ua_family];
        break;
    case GEN_RC_SSO:
        id->flavour = (uint8_t)(fixed ? index % PER_ACCOUNT : (sid ? sid->flavour : 0));
        id->user_agent = gen_ua_browser[0]; /* each session picks its own */
        break;
    case GEN_RC_SLR:
        id->flavour =
            (uint8_t)(fixed ? index % PER_ACCOUNT - GEN_REAL_PERMSETS : (sid ? sid->flavour : 0));
        id->invoked_by = slrs[id->flavour].host;
        id->user_agent = id->invoked_by;
        id->region = 0;
        break;
    default:
        break;
    }
    if (sid)
        ordinal = re->class_count[id->rclass] + sid->ordinal;
    name_identity(re, id, ordinal);
    /* Workloads call from AWS address space; people, CI runners and long-term keys from
     * offices; AWS acting for itself from inside. */
    gen_ident_finish(id, id->iam_user || id->rclass == GEN_RC_SSO || id->rclass == GEN_RC_CI ||
                             id->rclass == GEN_RC_DATA_SHARING);
    if (id->invoked_by)
        snprintf(id->ip, sizeof id->ip, "AWS Internal");
}

const char *gen_real_slr_session(uint8_t flavour)
{
    return slrs[flavour % GEN_REAL_SLRS].session;
}

bool gen_real_console_session(const gen_ident *id, uint64_t epoch)
{
    if (id->rclass == GEN_RC_IAM_CONSOLE)
        return true;
    if (id->rclass != GEN_RC_SSO)
        return false;
    if (epoch >= GEN_REAL_SCRIPT_EPOCH) /* a scripted session says (gen_real_run.c) */
        return epoch & 1;
    return gen_mix(id->h ^ 0xC0u, epoch) % 10 < 6;
}

const char *gen_real_class_name(gen_rclass rc)
{
    static const char *const names[GEN_RC_COUNT] = {
        [GEN_RC_APP_KMS] = "app-kms-reader",
        [GEN_RC_APP_SECRETS] = "app-secrets-reader",
        [GEN_RC_ETL] = "etl",
        [GEN_RC_LOG_RETENTION] = "log-retention",
        [GEN_RC_TRAINING] = "training-pipeline",
        [GEN_RC_OBSERVABILITY] = "observability",
        [GEN_RC_BEDROCK_APP] = "bedrock-app",
        [GEN_RC_BEDROCK_KEY] = "bedrock-api-key",
        [GEN_RC_AGENT_RO] = "agent-read-only",
        [GEN_RC_AGENT_RW] = "agent-read-write",
        [GEN_RC_CI] = "ci-deploy",
        [GEN_RC_DATA_SHARING] = "data-sharing",
        [GEN_RC_IAM_CONSOLE] = "person-iam-console",
        [GEN_RC_IAM_CLI] = "person-iam-cli",
        [GEN_RC_IAM_SERVICE] = "iam-user-service",
        [GEN_RC_SSO] = "person-sso",
        [GEN_RC_SLR] = "service-linked-role",
    };
    return rc < GEN_RC_COUNT ? names[rc] : "?";
}

void gen_real_session(const gen_ident *id, uint64_t epoch, int64_t start_ms, gen_session *ss)
{
    uint64_t h = gen_mix(id->h, epoch);
    long long unix_s = (long long)(start_ms / TW_MS_SECOND);
    char *n = ss->name;
    const size_t sz = sizeof ss->name;
    ss->epoch = epoch;
    ss->start_ms = start_ms - start_ms % TW_MS_SECOND;
    ss->user_agent = NULL;
    ss->console = id->console;
    n[0] = '\0';
    if (id->iam_user) {
        if (id->user_session)
            gen_make_key(ss->access_key, "ASIA", 16, h);
        else
            snprintf(ss->access_key, sizeof ss->access_key, "%s", id->access_key);
        return;
    }
    const char *host = id->assumed_by;
    switch ((gen_rclass)id->rclass) {
    case GEN_RC_CI:
        gen_ci_session_name(n, sz, id->ua_family, h, unix_s);
        break;
    case GEN_RC_DATA_SHARING:
        snprintf(n, sz, "terraform-%lld", unix_s);
        break;
    case GEN_RC_OBSERVABILITY:
        if (id->ua_family == 0)
            snprintf(n, sz, "DatadogAWSIntegration");
        else
            snprintf(n, sz, "%.24s-%lld",
                     gen_monitor_names[id->ua_family % GEN_N_OF(gen_monitor_names)], unix_s);
        break;
    case GEN_RC_SSO: {
        /* The people of a permission set (2 to 9) take turns; who signs in changes by session. */
        uint32_t people = 2 + (uint32_t)(id->h % 8);
        uint32_t who = (uint32_t)(id->account_ix * 61u + id->flavour * 17u + h % people);
        char person[48];
        person_name(who, '.', person, sizeof person);
        snprintf(n, sz, "%s@example.com", person);
        ss->console = gen_real_console_session(id, epoch);
        ss->user_agent = ss->console ? GEN_PICK(gen_ua_browser, h) : GEN_PICK(ua_cli, h >> 8);
        break;
    }
    case GEN_RC_SLR:
        snprintf(n, sz, "%s", slrs[id->flavour].session);
        break;
    default:
        if (!host)
            snprintf(n, sz, "botocore-session-%lld", unix_s);
        else if (strcmp(host, "lambda.amazonaws.com") == 0)
            snprintf(n, sz, "%.56s", id->name); /* Lambda names the session after the function */
        else if (strcmp(host, "ecs-tasks.amazonaws.com") == 0)
            snprintf(n, sz, "%016llx%016llx", (unsigned long long)h,
                     (unsigned long long)tw_hash_mix(h));
        else if (strcmp(host, "ec2.amazonaws.com") == 0)
            snprintf(n, sz, "i-0%016llx",
                     (unsigned long long)(tw_hash_mix(id->h ^ (epoch / 24)) >> 4));
        else if (strcmp(host, "glue.amazonaws.com") == 0)
            snprintf(n, sz, "GlueJobRunnerSession");
        else if (strcmp(host, "sagemaker.amazonaws.com") == 0)
            snprintf(n, sz, "SageMaker");
        else
            snprintf(n, sz, "BedrockAgentCore-%08llx-%04llx", (unsigned long long)(h & 0xFFFFFFFFu),
                     (unsigned long long)(h >> 48));
    }
    gen_make_key(ss->access_key, "ASIA", 16, h);
}
