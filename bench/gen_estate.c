/* gen_estate: the synthetic estate's identities, described on demand from (seed, index).
 *
 * Nothing per identity is stored: a role's name, account, user agent, keys and address all
 * derive from a hash of its index, so an estate of a million identities costs no memory and
 * two runs with the same seed name everyone the same. Names end in a tag that is a bijection
 * of the index, so no two identities ever share a key (DESIGN §3). The realistic estate
 * (gen_real_estate.c) draws from what is here too: name parts, user agents, name tags, keys,
 * home regions and addresses. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"
#include "tw_time.h"

const char *const gen_regions[] = { "us-east-1",    "us-west-2",      "eu-west-1",
                                    "eu-central-1", "ap-southeast-2", "ap-northeast-1" };
/* Home regions, in percent (same order): most estates live in us-east-1. */
static const uint8_t region_pct[] = { 40, 20, 15, 10, 8, 7 };

/* Profiles in blocks of 20 identities; the first nine are all different, so even a tiny
 * estate shows every behaviour. */
static const uint8_t profile_slots[20] = {
    GEN_PROF_AGENT_RO,    GEN_PROF_ETL,      GEN_PROF_HUMAN,    GEN_PROF_MONITOR,
    GEN_PROF_ML,          GEN_PROF_AGENT_RW, GEN_PROF_CI,       GEN_PROF_IAM_USER,
    GEN_PROF_BEDROCK_KEY, GEN_PROF_AGENT_RO, GEN_PROF_ETL,      GEN_PROF_AGENT_RO,
    GEN_PROF_HUMAN,       GEN_PROF_ETL,      GEN_PROF_MONITOR,  GEN_PROF_AGENT_RW,
    GEN_PROF_ML,          GEN_PROF_AGENT_RO, GEN_PROF_IAM_USER, GEN_PROF_HUMAN,
};

/* Relative busyness of a profile: pipelines and monitors call all day, CI now and then. */
static const double profile_activity[GEN_PROF_COUNT] = {
    [GEN_PROF_AGENT_RO] = 1.0,    [GEN_PROF_AGENT_RW] = 1.0, [GEN_PROF_ETL] = 1.5,
    [GEN_PROF_CI] = 0.5,          [GEN_PROF_HUMAN] = 1.0,    [GEN_PROF_IAM_USER] = 0.6,
    [GEN_PROF_BEDROCK_KEY] = 2.0, [GEN_PROF_ML] = 1.0,       [GEN_PROF_MONITOR] = 2.5,
};

static const int64_t profile_session_ms[GEN_PROF_COUNT] = {
    [GEN_PROF_AGENT_RO] = TW_MS_HOUR,  [GEN_PROF_AGENT_RW] = TW_MS_HOUR,
    [GEN_PROF_ETL] = TW_MS_HOUR,       [GEN_PROF_CI] = 30 * TW_MS_MINUTE,
    [GEN_PROF_HUMAN] = 8 * TW_MS_HOUR, [GEN_PROF_IAM_USER] = 0,
    [GEN_PROF_BEDROCK_KEY] = 0,        [GEN_PROF_ML] = 4 * TW_MS_HOUR,
    [GEN_PROF_MONITOR] = TW_MS_HOUR,
};

/* ---- user agents: the family index also picks the session naming below ---------------- */

static const char *const ua_agent[] = {
    "strands-agents/1.2.0 Boto3/1.40.11 ua/2.1 os/linux#6.1.141 md/arch#x86_64 lang/python#3.12.11 "
    "exec-env/AWS_ECS_FARGATE Botocore/1.40.11",
    "Boto3/1.39.4 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.11.9 Botocore/1.39.4 "
    "langchain-aws/0.2.18",
    "bedrock-agentcore/0.1.2 Boto3/1.40.6 ua/2.1 os/linux#5.10.238 md/arch#aarch64 "
    "lang/python#3.13.5 exec-env/AWS_Lambda_python3.13 Botocore/1.40.6",
    "openai-agents/0.2.9 Boto3/1.40.11 ua/2.1 os/linux#6.1.0 md/arch#x86_64 lang/python#3.12.4 "
    "Botocore/1.40.11",
    "crewai/0.152.0 Boto3/1.38.46 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.10 "
    "Botocore/1.38.46",
    "autogen-ext/0.7.1 Boto3/1.40.0 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.11.13 "
    "Botocore/1.40.0",
    "Boto3/1.40.11 ua/2.1 os/linux#6.1.141 md/arch#x86_64 lang/python#3.12.11 Botocore/1.40.11 "
    "md/awslabs.aws-api-mcp-server#1.0.6 mcp-client/1.12.4",
};
enum { UA_AGENT_STRANDS = 0, UA_AGENT_AGENTCORE = 2 };

static const char *const ua_etl[] = {
    "aws-sdk-go-v2/1.36.5 ua/2.1 os/linux lang/go#1.24.4 md/GOOS#linux md/GOARCH#amd64 "
    "api/s3#1.83.0 m/E,Z,g",
    "Boto3/1.38.36 ua/2.1 os/linux#5.10.237 md/arch#x86_64 lang/python#3.12.11 "
    "exec-env/AWS_Lambda_python3.12 Botocore/1.38.36",
    "aws-sdk-java/2.31.78 md/io#sync md/http#Apache ua/2.1 os/Linux#5.10.238 lang/java#17.0.15 "
    "exec-env/AWS_ECS_EC2 m/D,N",
    "aws-sdk-java/1.12.773 Linux/5.10.237 OpenJDK_64-Bit_Server_VM/17.0.15+6-LTS java/17.0.15 "
    "scala/2.12.18 AWS-Glue/4.0",
};
enum { UA_ETL_GO = 0, UA_ETL_LAMBDA = 1 };

const char *const gen_ua_ci[] = {
    "aws-cli/2.27.50 md/awscrt#0.26.1 ua/2.1 os/linux#6.11.0-1018-azure md/arch#x86_64 "
    "lang/python#3.13.4 exec-env/GitHubActions md/installer#exe md/distrib#ubuntu.24 "
    "md/command#cloudformation.deploy",
    "APN/1.0 HashiCorp/1.0 Terraform/1.12.2 (+https://www.terraform.io) "
    "terraform-provider-aws/6.4.0 aws-sdk-go-v2/1.36.5 ua/2.1 os/linux lang/go#1.24.4 m/C,g",
    "aws-cdk/2.1020.2 aws-sdk-js/3.840.0 ua/2.1 os/linux#6.8.0-1029-aws lang/js md/nodejs#20.19.2 "
    "api/cloudformation#3.840.0 m/E,N exec-env/GitLabCI",
};

const char *const gen_ua_browser[] = {
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/139.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/139.0.0.0 Safari/537.36 Edg/139.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:142.0) Gecko/20100101 Firefox/142.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 "
    "Safari/537.36",
};

const char *const gen_ua_key_user[] = {
    "aws-cli/2.27.41 md/awscrt#0.26.1 ua/2.1 os/linux#6.1.0-37-amd64 md/arch#x86_64 "
    "lang/python#3.13.4 md/installer#exe md/distrib#debian.12 md/command#s3.cp",
    "Boto3/1.34.162 ua/2.0 os/linux#5.15.0-1071-aws md/arch#x86_64 lang/python#3.10.12 "
    "cfg/retry-mode#legacy Botocore/1.34.162",
    "rclone/v1.70.3",
    "Veeam/12.3 aws-sdk-cpp/1.11.400 Windows/10.0.20348 AMD64 MSVC/1938",
};

const char *const gen_ua_bedrock_key[] = {
    "python-requests/2.32.4",
    "Boto3/1.40.11 ua/2.1 os/macos#24.6.0 md/arch#arm64 lang/python#3.13.5 cfg/retry-mode#legacy "
    "Botocore/1.40.11",
    "curl/8.7.1",
    "axios/1.11.0",
};

static const char *const ua_ml[] = {
    "Boto3/1.40.4 ua/2.1 os/linux#5.10.238 md/arch#x86_64 lang/python#3.11.13 "
    "exec-env/AWS_SageMaker_Studio Botocore/1.40.4 sagemaker-python-sdk/2.249.0",
    "Boto3/1.39.14 ua/2.1 os/macos#24.5.0 md/arch#arm64 lang/python#3.12.11 Botocore/1.39.14 "
    "Jupyter/7.4.4",
    "aws-cli/2.27.60 md/awscrt#0.26.1 ua/2.1 os/macos#24.5.0 md/arch#arm64 lang/python#3.13.4 "
    "md/installer#source md/command#bedrock.list-foundation-models",
};
enum { UA_ML_STUDIO = 0 };

const char *const gen_ua_monitor[] = {
    "aws-sdk-go/1.55.7 (go1.23.10; linux; amd64) Datadog/7.68.2",
    "aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.24.2 api/cloudwatch#1.45.0 m/E grafana/12.0.2",
    "Boto3/1.38.0 ua/2.1 os/linux#5.15.0-1084-aws lang/python#3.9.21 Botocore/1.38.0 "
    "splunk-add-on-for-aws/7.11.0",
    "aws-sdk-java/2.31.50 md/io#sync md/http#Apache ua/2.1 os/Linux#6.1.141 lang/java#21.0.7 m/D "
    "newrelic-infra/1.64.0",
};
enum { UA_MONITOR_DATADOG = 0 };

typedef struct ua_list {
    const char *const *ua;
    uint32_t count;
} ua_list;

#define UAS(a)                   \
    {                            \
        a, (uint32_t)GEN_N_OF(a) \
    }
static const ua_list profile_uas[GEN_PROF_COUNT] = {
    [GEN_PROF_AGENT_RO] = UAS(ua_agent),
    [GEN_PROF_AGENT_RW] = UAS(ua_agent),
    [GEN_PROF_ETL] = UAS(ua_etl),
    [GEN_PROF_CI] = UAS(gen_ua_ci),
    [GEN_PROF_HUMAN] = UAS(gen_ua_browser),
    [GEN_PROF_IAM_USER] = UAS(gen_ua_key_user),
    [GEN_PROF_BEDROCK_KEY] = UAS(gen_ua_bedrock_key),
    [GEN_PROF_ML] = UAS(ua_ml),
    [GEN_PROF_MONITOR] = UAS(gen_ua_monitor),
};
#undef UAS

/* ---- name parts ---------------------------------------------------------------------- */

const char *const gen_teams[] = { "support", "finops", "secops", "platform", "sales",
                                  "data",    "infra",  "legal",  "growth",   "payments" };
const char *const gen_ro_tasks[] = { "triage",  "research",   "inventory", "compliance",
                                     "copilot", "summarizer", "retrieval", "analyst" };
const char *const gen_rw_tasks[] = { "ticketing",    "writer",    "workflow",
                                     "orchestrator", "scheduler", "enrichment" };
const char *const gen_datasets[] = { "orders",   "clickstream", "billing", "inventory", "customers",
                                     "payments", "shipments",   "ledger",  "sessions",  "catalog" };
const char *const gen_stages[] = { "etl", "ingest", "compaction", "loader", "transform", "export" };
const char *const gen_repos[] = { "api",    "web",        "infra",         "payments",
                                  "search", "mobile-bff", "data-platform", "auth" };
const char *const gen_monitor_names[] = { "datadog-integration", "grafana-cloudwatch",
                                          "splunk-aws-addon", "newrelic-metric-stream" };
const char *const gen_firsts[] = { "priya", "jonas",  "maria", "wei",    "oluwaseun",
                                   "sofia", "dmitri", "aiko",  "carlos", "fatima",
                                   "liam",  "noor",   "ana",   "kenji",  "lucia",
                                   "omar",  "hannah", "rahul", "elif",   "mateo" };
const char *const gen_lasts[] = { "raman",  "berg",   "garcia", "zhang",  "adeyemi",
                                  "rossi",  "volkov", "tanaka", "mendes", "haddad",
                                  "obrien", "khan",   "novak",  "silva",  "larsen",
                                  "okafor", "dubois", "kim",    "yilmaz", "costa" };
/* The default estate's people take the first 12 names of each list (its output predates the
 * others). */
#define DEFAULT_NAMES 12u
static const char *const permsets[] = { "AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess",
                                        "DataEngineer",        "Developer",       "SecurityAudit" };
static const char *const svc_users[] = { "svc-backup", "jenkins",       "svc-reporting",
                                         "terraform",  "svc-sftp-sync", "legacy-app" };
static const char *const ml_names[] = { "ml-engineer", "ml-research-bedrock", "genai-experiments",
                                        "recsys-training" };

uint32_t gen_name_tag(uint64_t seed, uint32_t index)
{
    const uint32_t mask = 0xFFFFFFu;
    uint32_t x = (index ^ (uint32_t)(seed * 0x9E3779B1u)) & mask;
    x = (x * 0x2C1B3Du) & mask;
    x ^= x >> 12;
    x = (x * 0x9E3779u) & mask;
    x ^= x >> 11;
    return x;
}

void gen_make_key(char *out, const char *prefix, size_t n, uint64_t h)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    uint64_t h1 = h, h2 = tw_hash_mix(h + 1);
    memcpy(out, prefix, 4);
    for (size_t i = 0; i < n; i++) {
        uint64_t *p = i < 12 ? &h1 : &h2;
        out[4 + i] = alphabet[*p & 31];
        *p >>= 5;
    }
    out[4 + n] = '\0';
}

uint8_t gen_home_region(uint64_t h)
{
    uint32_t pct = (uint32_t)((h >> 8) % 100), acc = 0, r;
    for (r = 0; r + 1 < GEN_N_OF(region_pct); r++) {
        acc += region_pct[r];
        if (pct < acc)
            break;
    }
    return (uint8_t)r;
}

void gen_ident_finish(gen_ident *id, bool office)
{
    gen_make_key(id->unique_id, id->iam_user ? "AIDA" : "AROA", 17, tw_hash_mix(id->h ^ 0x1D));
    gen_make_key(id->access_key, id->bearer ? "ACCA" : "AKIA", 16, tw_hash_mix(id->h ^ 0x4B));
    id->tls12 = strstr(id->user_agent, "aws-sdk-java/1.") || strstr(id->user_agent, "aws-sdk-cpp");
    uint64_t hi = tw_hash_mix(id->h ^ 0x1F);
    static const uint8_t aws_first[] = { 3, 18, 34, 35, 44, 52, 54 };
    static const char *const offices[] = { "198.51.100", "203.0.113", "192.0.2" };
    if (office)
        snprintf(id->ip, sizeof id->ip, "%s.%u", offices[hi % 3], (unsigned)(1 + (hi >> 8) % 254));
    else
        snprintf(id->ip, sizeof id->ip, "%u.%u.%u.%u", aws_first[hi % GEN_N_OF(aws_first)],
                 (unsigned)((hi >> 8) & 255), (unsigned)((hi >> 16) & 255),
                 (unsigned)(1 + (hi >> 24) % 254));
}

void gen_agent_role_name(char *n, size_t size, bool read_only, uint64_t h, uint32_t tag)
{
    snprintf(n, size, "%s-agent-%06x",
             read_only ? GEN_PICK(gen_ro_tasks, h >> 8) : GEN_PICK(gen_rw_tasks, h >> 8), tag);
}

void gen_pipeline_role_name(gen_ident *id, uint64_t h, uint32_t tag)
{
    snprintf(id->name, sizeof id->name, "%s-%s-%06x", GEN_PICK(gen_datasets, h),
             GEN_PICK(gen_stages, h >> 8), tag);
    if ((h >> 16) % 3 == 0)
        id->path = "/service-role/";
}

void gen_ci_role_name(char *n, size_t size, uint32_t ua_family, uint64_t h, uint32_t tag)
{
    if (ua_family == GEN_UA_CI_TERRAFORM)
        snprintf(n, size, "terraform-apply-%s-%06x", GEN_PICK(gen_repos, h), tag);
    else
        snprintf(n, size, "%s-deploy-%s-%06x",
                 ua_family == GEN_UA_CI_GITHUB ? "github-actions" : "gitlab-ci",
                 GEN_PICK(gen_repos, h), tag);
}

void gen_ci_session_name(char *n, size_t size, uint32_t ua_family, uint64_t h, long long unix_s)
{
    if (ua_family == GEN_UA_CI_GITHUB)
        snprintf(n, size, "GitHubActions-%llu", 16000000000ULL + h % 1000000000ULL);
    else if (ua_family == GEN_UA_CI_TERRAFORM)
        snprintf(n, size, "terraform-%lld", unix_s);
    else
        snprintf(n, size, "gitlab-pipeline-%llu", 1900000000ULL + h % 100000000ULL);
}

/* Workloads get their role from the service they run on; CloudTrail shows that service's
 * AssumeRole (an AWSService identity) as each session begins. */
static const char *find_assumer(const gen_ident *id)
{
    switch (id->profile) {
    case GEN_PROF_ETL: {
        static const char *const by[] = { "ec2.amazonaws.com", "lambda.amazonaws.com",
                                          "ecs-tasks.amazonaws.com", "glue.amazonaws.com" };
        return by[id->ua_family % GEN_N_OF(by)];
    }
    case GEN_PROF_AGENT_RO:
    case GEN_PROF_AGENT_RW:
        if (id->ua_family == UA_AGENT_STRANDS)
            return "ecs-tasks.amazonaws.com";
        if (id->ua_family == UA_AGENT_AGENTCORE)
            return "bedrock-agentcore.amazonaws.com";
        return NULL;
    case GEN_PROF_ML:
        return id->ua_family == UA_ML_STUDIO ? "sagemaker.amazonaws.com" : NULL;
    default:
        return NULL;
    }
}

tw_err gen_estate_init(gen_estate *es, const gen_opts *opt)
{
    memset(es, 0, sizeof *es);
    es->seed = opt->seed;
    es->identities = opt->identities;
    es->accounts = opt->accounts;
    es->account_ids = calloc(opt->accounts, sizeof *es->account_ids);
    if (!es->account_ids)
        return TW_ERR_NOMEM;
    for (uint32_t a = 0; a < opt->accounts; a++) {
        uint64_t h = gen_mix(opt->seed ^ 0xACC0u, a);
        for (;;) {
            uint64_t id = 100000000000ULL + h % 900000000000ULL;
            snprintf(es->account_ids[a], sizeof es->account_ids[a], "%012llu",
                     (unsigned long long)id);
            uint32_t b = 0;
            while (b < a && strcmp(es->account_ids[b], es->account_ids[a]) != 0)
                b++;
            if (b == a)
                break;
            h = tw_hash_mix(h + 1); /* astronomically rare; keep accounts distinct anyway */
        }
    }
    return TW_OK;
}

void gen_estate_free(gen_estate *es)
{
    if (!es)
        return;
    free(es->account_ids);
    es->account_ids = NULL;
}

gen_profile gen_estate_profile(const gen_estate *es, uint32_t index)
{
    if (index >= es->identities)
        return (gen_profile)es->script[index - es->identities].profile;
    return (gen_profile)profile_slots[index % GEN_N_OF(profile_slots)];
}

double gen_estate_weight(const gen_estate *es, uint32_t index)
{
    uint64_t h = gen_mix(es->seed ^ 0x3E16u, index);
    double u = (double)(h >> 11) * (1.0 / 9007199254740992.0);
    /* Heavy-tailed: most identities are quiet, a few are 30 times busier. */
    return profile_activity[gen_estate_profile(es, index)] / (0.03 + u);
}

static void name_estate(const gen_estate *es, gen_ident *id)
{
    uint64_t h = tw_hash_mix(id->h ^ 0x4E414D45u);
    uint32_t tag = gen_name_tag(es->seed, id->index);
    char *n = id->name;
    const size_t sz = sizeof id->name;
    id->path = "/";
    switch (id->profile) {
    case GEN_PROF_AGENT_RO:
    case GEN_PROF_AGENT_RW:
        gen_agent_role_name(n, sz, id->profile == GEN_PROF_AGENT_RO, h, tag);
        break;
    case GEN_PROF_ETL:
        gen_pipeline_role_name(id, h, tag);
        break;
    case GEN_PROF_CI:
        gen_ci_role_name(n, sz, id->ua_family, h, tag);
        break;
    case GEN_PROF_HUMAN:
        /* AWS SSO names its roles with 16 hex digits; ours end with the unique tag. */
        snprintf(n, sz, "AWSReservedSSO_%s_%010llx%06x", GEN_PICK(permsets, h),
                 (unsigned long long)((h >> 8) & 0xFFFFFFFFFFULL), tag);
        id->path = (h >> 60) % 4 == 0 ? "/aws-reserved/sso.amazonaws.com/eu-west-1/"
                                      : "/aws-reserved/sso.amazonaws.com/";
        break;
    case GEN_PROF_IAM_USER:
        snprintf(n, sz, "%s-%06x", GEN_PICK(svc_users, h), tag);
        break;
    case GEN_PROF_BEDROCK_KEY:
        snprintf(n, sz, "BedrockAPIKey-%06x", tag);
        break;
    case GEN_PROF_ML:
        if (id->ua_family == UA_ML_STUDIO) {
            snprintf(n, sz, "AmazonSageMaker-ExecutionRole-2026%04u-%06x",
                     (unsigned)(101 + (h >> 8) % 28 + 100 * ((h >> 16) % 8)), tag);
            id->path = "/service-role/";
        } else {
            snprintf(n, sz, "%s-%s-%06x", GEN_PICK(gen_teams, h), GEN_PICK(ml_names, h >> 8), tag);
        }
        break;
    case GEN_PROF_MONITOR:
        snprintf(n, sz, "%s-%06x", gen_monitor_names[id->ua_family % GEN_N_OF(gen_monitor_names)],
                 tag);
        break;
    default:
        assert(0);
    }
}

void gen_estate_describe(const gen_estate *es, uint32_t index, gen_ident *id)
{
    uint64_t h = gen_mix(es->seed ^ 0x1DE47u, index);
    const gen_script_ident *sid =
        index >= es->identities ? &es->script[index - es->identities] : NULL;
    id->index = index;
    id->h = h;
    id->profile = (uint8_t)gen_estate_profile(es, index);
    const ua_list *uas = &profile_uas[id->profile];
    id->ua_family = sid ? sid->ua_family % uas->count : (uint32_t)((h >> 24) % uas->count);
    id->user_agent = uas->ua[id->ua_family];
    id->assumed_by = find_assumer(id);
    id->iam_user = id->profile == GEN_PROF_IAM_USER || id->profile == GEN_PROF_BEDROCK_KEY;
    id->console = id->profile == GEN_PROF_HUMAN;
    id->bearer = id->profile == GEN_PROF_BEDROCK_KEY;
    id->session_ms = profile_session_ms[id->profile];
    /* Script identities live in the first account and region, where a reader looks first. */
    id->account_ix = sid ? 0 : (uint32_t)((h >> 32) % es->accounts);
    id->account = es->account_ids[id->account_ix];
    id->region = sid ? GEN_REGION_US_EAST_1 : gen_home_region(h);
    if (sid) {
        snprintf(id->name, sizeof id->name, "%s", sid->name);
        id->path = sid->path ? sid->path : "/";
    } else {
        name_estate(es, id);
    }
    /* Workloads call from AWS address space; people and long-term keys from offices. */
    gen_ident_finish(id, id->console || id->iam_user);
}

size_t gen_ident_arn(const gen_ident *id, char *buf, size_t size)
{
    int n = id->iam_user
                ? snprintf(buf, size, "arn:aws:iam::%s:user/%s", id->account, id->name)
                : snprintf(buf, size, "arn:aws:iam::%s:role%s%s", id->account, id->path, id->name);
    return n < 0 ? 0 : (size_t)n;
}

uint64_t gen_session_epoch(const gen_ident *id, int64_t t_ms)
{
    if (id->session_ms <= 0)
        return 0;
    return (uint64_t)((t_ms + (int64_t)(id->h % (uint64_t)id->session_ms)) / id->session_ms);
}

void gen_session_at(const gen_ident *id, int64_t t_ms, gen_session *ss)
{
    if (id->session_ms <= 0) { /* long-term keys: no session */
        ss->epoch = 0;
        ss->start_ms = 0;
        ss->name[0] = '\0';
        snprintf(ss->access_key, sizeof ss->access_key, "%s", id->access_key);
        return;
    }
    int64_t len = id->session_ms, phase = (int64_t)(id->h % (uint64_t)len);
    int64_t epoch = (t_ms + phase) / len;
    ss->epoch = (uint64_t)epoch;
    ss->start_ms = epoch * len - phase;
    /* Real session starts are not on the second boundary of the hour: keep whole seconds. */
    ss->start_ms -= ss->start_ms % TW_MS_SECOND;
    uint64_t h = gen_mix(id->h, ss->epoch);
    long long unix_s = (long long)(ss->start_ms / TW_MS_SECOND);
    char *n = ss->name;
    const size_t sz = sizeof ss->name;
    switch (id->profile) {
    case GEN_PROF_AGENT_RO:
    case GEN_PROF_AGENT_RW:
        if (id->ua_family == UA_AGENT_STRANDS)
            snprintf(n, sz, "strands-agent-%08llx", (unsigned long long)(h & 0xFFFFFFFFu));
        else if (id->ua_family == UA_AGENT_AGENTCORE)
            snprintf(n, sz, "BedrockAgentCore-%08llx-%04llx", (unsigned long long)(h & 0xFFFFFFFFu),
                     (unsigned long long)(h >> 48));
        else
            snprintf(n, sz, "botocore-session-%lld", unix_s);
        break;
    case GEN_PROF_ETL:
        if (id->ua_family == UA_ETL_GO)
            snprintf(n, sz, "aws-go-sdk-%lld%09llu", unix_s, (unsigned long long)(h % 1000000000u));
        else if (id->ua_family == UA_ETL_LAMBDA)
            snprintf(n, sz, "%.48s-handler", id->name);
        else
            snprintf(n, sz, "aws-sdk-java-%lld%03llu", unix_s, (unsigned long long)(h % 1000u));
        break;
    case GEN_PROF_CI:
        gen_ci_session_name(n, sz, id->ua_family, h, unix_s);
        break;
    case GEN_PROF_HUMAN:
        /* Several people share one permission set: who signs in changes session by session. */
        snprintf(n, sz, "%s.%s@example.com", gen_firsts[h % DEFAULT_NAMES],
                 gen_lasts[(h >> 8) % DEFAULT_NAMES]);
        break;
    case GEN_PROF_ML:
        if (id->ua_family == UA_ML_STUDIO)
            snprintf(n, sz, "SageMaker");
        else
            snprintf(n, sz, "%s.%s", gen_firsts[id->h % DEFAULT_NAMES],
                     gen_lasts[(id->h >> 8) % DEFAULT_NAMES]);
        break;
    case GEN_PROF_MONITOR:
        if (id->ua_family == UA_MONITOR_DATADOG)
            snprintf(n, sz, "DatadogAWSIntegration");
        else
            snprintf(n, sz, "%.20s-%lld",
                     gen_monitor_names[id->ua_family % GEN_N_OF(gen_monitor_names)], unix_s);
        break;
    default:
        snprintf(n, sz, "session-%lld", unix_s);
    }
    gen_make_key(ss->access_key, "ASIA", 16, h);
}

void gen_actor_init(gen_actor *ac, const gen_estate *es, uint32_t index)
{
    gen_estate_describe(es, index, &ac->id);
    ac->epoch_key = 0;
    ac->caller_arn[0] = '\0';
}

void gen_actor_at(gen_actor *ac, int64_t t_ms)
{
    uint64_t key = gen_session_epoch(&ac->id, t_ms) + 1;
    if (key == ac->epoch_key)
        return;
    ac->epoch_key = key;
    gen_session_at(&ac->id, t_ms, &ac->ss);
    gen_actor_set_caller(ac);
}

void gen_actor_set_caller(gen_actor *ac)
{
    if (ac->id.iam_user)
        gen_ident_arn(&ac->id, ac->caller_arn, sizeof ac->caller_arn);
    else
        snprintf(ac->caller_arn, sizeof ac->caller_arn, "arn:aws:sts::%s:assumed-role/%s/%s",
                 ac->id.account, ac->id.name, ac->ss.name);
}
