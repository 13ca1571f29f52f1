/* gen_real_routine: what each identity class of the realistic profile does, and when.
 *
 * An identity works in episodes: a person's console session, a pipeline's nightly batch, a
 * monitor's poll, a CI deploy. An episode follows a template of phases; a phase is a run of
 * steps (one API call each) drawn from a pool of candidates, with a gap after each step; a
 * phase may run only now and then (pct). Rhythms say when the next episode starts: all day
 * (as a Poisson process that follows the working day of the identity's region, or flat for
 * machines), every night at the identity's hour, or in a person's (or a team's) working hours.
 * Everything derives from (identity hash, episode number, step number): nothing is stored
 * but the few counters of gen_rstate.
 *
 * The routine is what real estates do and is not made to avoid the shipped rules: pipelines
 * delete log streams, training pipelines start a job every night, monitors read telemetry all
 * day, people delete things now and then. Only the drift the realistic scenarios inject
 * (gen_real_script.c) is absent from it: no identity of the estate both trains models and
 * reads telemetry, no read-only agent deletes, nobody touches CloudTrail or flow logs. */
#include <assert.h>
#include <math.h>

#include "gen_internal.h"
#include "tw_time.h"

#define ACT(x) GEN_ACT_##x

enum { PH_RARE = 1u << 0 }; /* a person's rare change: people of read-only sets never make it */

typedef struct gen_rphase {
    uint8_t min, max;          /* steps */
    uint8_t pct;               /* chance, in percent, that the phase runs at all */
    uint8_t via;               /* GEN_VIA_* of its calls */
    uint16_t gap_min, gap_max; /* seconds after each step */
    uint8_t variant;           /* parameters' variant of its calls (GEN_VAR_*) */
    uint8_t target;            /* its calls act on an application role of the account */
    uint8_t flags;             /* PH_* */
    uint8_t n;                 /* candidates */
    uint16_t pool[10];         /* gen_act; a candidate repeated weighs more */
} gen_rphase;

#define MAX_PHASES 10
typedef struct gen_rtemplate {
    uint8_t weight;
    uint8_t n;
    gen_rphase ph[MAX_PHASES];
} gen_rtemplate;

#define POOL(...) \
    .n = (uint8_t)(sizeof((uint16_t[]){ __VA_ARGS__ }) / sizeof(uint16_t)), .pool = { __VA_ARGS__ }
/* A phase: steps min..max, pct, gap in seconds, candidates. */
#define PH(lo, hi, p, g0, g1, ...)                                                      \
    {                                                                                   \
        .min = lo, .max = hi, .pct = p, .gap_min = g0, .gap_max = g1, POOL(__VA_ARGS__) \
    }
/* The same with on-behalf service, parameters' variant, target and flags. */
#define PHX(lo, hi, p, g0, g1, v, var, tgt, fl, ...)                                            \
    {                                                                                           \
        .min = lo, .max = hi, .pct = p, .gap_min = g0, .gap_max = g1, .via = v, .variant = var, \
        .target = tgt, .flags = fl, POOL(__VA_ARGS__)                                           \
    }
#define TPL(w, ...)                                                                              \
    {                                                                                            \
        .weight = w, .n = (uint8_t)(sizeof((gen_rphase[]){ __VA_ARGS__ }) / sizeof(gen_rphase)), \
        .ph = {                                                                                  \
            __VA_ARGS__                                                                          \
        }                                                                                        \
    }

/* ---- templates ----------------------------------------------------------------------- */

static const gen_rtemplate tpl_app_kms[] = {
    TPL(8, PH(1, 1, 30, 1, 4, ACT(S3_LIST_OBJECTS)),
        PH(1, 4, 100, 1, 20, ACT(S3_GET_OBJECT), ACT(S3_GET_OBJECT), ACT(S3_GET_OBJECT),
           ACT(S3_HEAD_OBJECT)),
        PH(1, 2, 25, 1, 5, ACT(DDB_QUERY), ACT(DDB_GET_ITEM))),
    TPL(2, PH(1, 2, 100, 1, 10, ACT(S3_GET_OBJECT)), PH(1, 3, 100, 1, 10, ACT(S3_PUT_OBJECT))),
};

static const gen_rtemplate tpl_app_secrets[] = {
    TPL(1, PH(1, 1, 35, 1, 3, ACT(SECRETS_GET_SECRET_VALUE)),
        PH(2, 5, 100, 1, 30, ACT(DDB_GET_ITEM), ACT(DDB_QUERY), ACT(DDB_PUT_ITEM),
           ACT(DDB_UPDATE_ITEM), ACT(DDB_GET_ITEM)),
        PH(1, 1, 15, 1, 5, ACT(S3_PUT_OBJECT))),
};

static const gen_rtemplate tpl_etl[] = {
    TPL(1, PH(1, 3, 100, 2, 10, ACT(S3_LIST_OBJECTS)), PH(8, 30, 100, 1, 8, ACT(S3_GET_OBJECT)),
        PH(1, 2, 50, 1, 3, ACT(GLUE_GET_TABLE)), PH(4, 16, 100, 1, 8, ACT(S3_PUT_OBJECT)),
        PH(1, 1, 50, 1, 3, ACT(GLUE_BATCH_CREATE_PARTITION)),
        PH(3, 12, 100, 1, 4, ACT(S3_DELETE_OBJECT)), PH(2, 6, 40, 1, 3, ACT(DDB_BATCH_WRITE_ITEM)),
        PH(1, 2, 100, 1, 3, ACT(LOGS_DESCRIBE_LOG_STREAMS)),
        PH(2, 12, 100, 1, 3, ACT(LOGS_DELETE_LOG_STREAM)),
        PH(1, 1, 25, 1, 3, ACT(LOGS_PUT_RETENTION_POLICY))),
};

static const gen_rtemplate tpl_log_retention[] = {
    TPL(1, PH(1, 3, 100, 1, 2, ACT(LOGS_DESCRIBE_LOG_GROUPS)),
        PH(1, 2, 100, 1, 2, ACT(LOGS_DESCRIBE_LOG_STREAMS)),
        PH(5, 30, 100, 0, 2, ACT(LOGS_DELETE_LOG_STREAM)),
        PH(1, 1, 70, 1, 2, ACT(LOGS_DESCRIBE_LOG_STREAMS)),
        PH(3, 20, 70, 0, 2, ACT(LOGS_DELETE_LOG_STREAM)),
        PH(1, 3, 40, 1, 2, ACT(LOGS_PUT_RETENTION_POLICY))),
};

static const gen_rtemplate tpl_training_bedrock[] = {
    TPL(1, PH(1, 1, 100, 2, 5, ACT(S3_LIST_OBJECTS)), PH(2, 6, 100, 1, 5, ACT(S3_GET_OBJECT)),
        PH(1, 1, 100, 2, 10, ACT(S3_PUT_OBJECT)),
        PH(1, 1, 100, 30, 60, ACT(BR_CREATE_CUSTOMIZATION_JOB)),
        PH(6, 14, 100, 600, 1200, ACT(BR_GET_CUSTOMIZATION_JOB)),
        PH(1, 1, 100, 5, 10, ACT(BR_LIST_CUSTOM_MODELS))),
};

static const gen_rtemplate tpl_training_mantle[] = {
    TPL(1, PH(1, 1, 100, 2, 5, ACT(S3_LIST_OBJECTS)), PH(2, 6, 100, 1, 5, ACT(S3_GET_OBJECT)),
        PH(1, 1, 100, 30, 60, ACT(MANTLE_CREATE_FINE_TUNING_JOB)),
        PH(3, 8, 100, 900, 1800, ACT(S3_LIST_OBJECTS))),
};

static const gen_rtemplate tpl_observability[] = {
    TPL(3, PH(1, 3, 100, 1, 5, ACT(LOGS_FILTER_LOG_EVENTS))),
    TPL(2, PH(1, 1, 100, 2, 5, ACT(LOGS_START_QUERY)),
        PH(1, 3, 100, 2, 10, ACT(LOGS_GET_QUERY_RESULTS))),
    TPL(3, PH(1, 3, 100, 1, 3, ACT(CW_GET_METRIC_DATA)),
        PH(1, 1, 30, 1, 3, ACT(CW_LIST_METRICS), ACT(CW_GET_METRIC_STATISTICS))),
    TPL(1, PH(1, 1, 100, 1, 3, ACT(XRAY_GET_TRACE_SUMMARIES)),
        PH(1, 2, 100, 1, 3, ACT(XRAY_BATCH_GET_TRACES))),
    TPL(1, PH(1, 1, 100, 1, 2, ACT(LOGS_DESCRIBE_LOG_GROUPS)),
        PH(1, 2, 100, 1, 2, ACT(LOGS_DESCRIBE_LOG_STREAMS)),
        PH(1, 3, 100, 1, 3, ACT(LOGS_GET_LOG_EVENTS))),
    TPL(1, PH(1, 1, 100, 1, 3, ACT(CW_DESCRIBE_ALARMS), ACT(CT_LOOKUP_EVENTS),
              ACT(CT_GET_TRAIL_STATUS))),
};

static const gen_rtemplate tpl_bedrock_app[] = {
    TPL(1, PH(1, 4, 100, 1, 20, ACT(BR_CONVERSE), ACT(BR_CONVERSE), ACT(BR_CONVERSE_STREAM),
              ACT(BR_INVOKE_MODEL), ACT(BR_INVOKE_MODEL_STREAM))),
};

static const gen_rtemplate tpl_bedrock_key[] = {
    TPL(1, PH(1, 3, 100, 1, 30, ACT(BR_INVOKE_MODEL), ACT(BR_INVOKE_MODEL), ACT(BR_CONVERSE),
              ACT(BR_CONVERSE_STREAM), ACT(BR_INVOKE_MODEL_STREAM))),
};

/* An agent's tools: a model, its S3 data (SSE-KMS), a table, and who it is; every agent uses
 * them all from its first days, so its services are known before its past is. */
#define AGENT_READS                                                                       \
    PH(1, 2, 100, 2, 8, ACT(BR_CONVERSE), ACT(BR_CONVERSE_STREAM), ACT(BR_INVOKE_MODEL)), \
        PH(1, 1, 50, 1, 4, ACT(S3_LIST_OBJECTS)),                                         \
        PH(1, 4, 100, 1, 6, ACT(S3_GET_OBJECT), ACT(S3_GET_OBJECT), ACT(S3_HEAD_OBJECT)), \
        PH(1, 2, 40, 1, 4, ACT(DDB_QUERY), ACT(DDB_GET_ITEM)),                            \
        PH(1, 1, 60, 1, 4, ACT(STS_GET_CALLER_IDENTITY))

static const gen_rtemplate tpl_agent_ro[] = {
    TPL(1, AGENT_READS, PH(1, 1, 100, 2, 8, ACT(BR_CONVERSE))),
};

static const gen_rtemplate tpl_agent_rw[] = {
    TPL(1, AGENT_READS, PH(1, 2, 60, 1, 6, ACT(S3_PUT_OBJECT)),
        PH(1, 2, 50, 1, 4, ACT(DDB_PUT_ITEM), ACT(DDB_UPDATE_ITEM)),
        PH(1, 1, 100, 2, 8, ACT(BR_CONVERSE))),
};

/* What CloudFormation does with a deployer's credentials while it deploys a stack. */
#define CFN_WORK                                                                           \
    PHX(2, 8, 100, 3, 20, GEN_VIA_CFN, GEN_VAR_APP, 1, 0, ACT(LAMBDA_UPDATE_CODE),         \
        ACT(LAMBDA_UPDATE_CONFIG), ACT(LAMBDA_CREATE_FUNCTION), ACT(IAM_CREATE_ROLE),      \
        ACT(IAM_PUT_ROLE_POLICY), ACT(IAM_ATTACH_ROLE_POLICY), ACT(LOGS_CREATE_LOG_GROUP), \
        ACT(ECS_REGISTER_TASK_DEFINITION))
/* and the deletions of a stack update that replaces resources */
#define CFN_DELETES                                                                   \
    PHX(1, 2, 35, 3, 20, GEN_VIA_CFN, GEN_VAR_APP, 1, 0, ACT(LAMBDA_DELETE_FUNCTION), \
        ACT(LOGS_DELETE_LOG_GROUP), ACT(LAMBDA_DELETE_FUNCTION))

static const gen_rtemplate tpl_ci[] = {
    TPL(4, PH(1, 1, 100, 2, 5, ACT(STS_GET_CALLER_IDENTITY)),
        PH(1, 2, 100, 1, 5, ACT(S3_PUT_OBJECT)), PH(1, 1, 100, 3, 8, ACT(CFN_CREATE_CHANGE_SET)),
        PH(2, 4, 100, 5, 15, ACT(CFN_DESCRIBE_CHANGE_SET)),
        PH(1, 1, 100, 5, 20, ACT(CFN_EXECUTE_CHANGE_SET)), CFN_WORK, CFN_DELETES,
        PHX(1, 1, 20, 3, 10, GEN_VIA_CFN, GEN_VAR_DENY_INSECURE, 0, 0, ACT(S3_PUT_BUCKET_POLICY)),
        PH(2, 4, 100, 10, 30, ACT(CFN_DESCRIBE_STACKS)),
        PH(1, 2, 100, 2, 5, ACT(CFN_DESCRIBE_STACK_EVENTS))),
    TPL(2, PH(1, 1, 100, 2, 5, ACT(STS_GET_CALLER_IDENTITY)),
        PH(1, 1, 100, 3, 10, ACT(CFN_UPDATE_STACK), ACT(CFN_UPDATE_STACK), ACT(CFN_CREATE_STACK)),
        CFN_WORK, CFN_DELETES, PH(2, 3, 100, 10, 30, ACT(CFN_DESCRIBE_STACKS))),
    TPL(2, PH(1, 1, 100, 2, 5, ACT(S3_PUT_OBJECT)), PH(1, 3, 100, 5, 20, ACT(LAMBDA_UPDATE_CODE)),
        PH(1, 1, 100, 2, 5, ACT(LAMBDA_GET_FUNCTION)),
        PH(1, 1, 30, 2, 5, ACT(LAMBDA_UPDATE_CONFIG))),
    TPL(2, PH(1, 1, 100, 2, 5, ACT(STS_GET_CALLER_IDENTITY)),
        PHX(1, 1, 100, 2, 5, 0, GEN_VAR_APP, 1, 0, ACT(ECS_REGISTER_TASK_DEFINITION)),
        PH(1, 1, 100, 2, 5, ACT(ECS_UPDATE_SERVICE)),
        PH(2, 4, 100, 10, 30, ACT(ECS_DESCRIBE_SERVICES))),
    TPL(1, PHX(1, 2, 100, 1, 3, 0, GEN_VAR_APP, 1, 0, ACT(IAM_GET_ROLE)),
        PHX(1, 1, 30, 1, 3, 0, GEN_VAR_APP, 1, 0, ACT(IAM_CREATE_ROLE)),
        PHX(1, 1, 70, 1, 3, 0, GEN_VAR_APP, 1, 0, ACT(IAM_ATTACH_ROLE_POLICY)),
        PHX(1, 1, 60, 1, 3, 0, GEN_VAR_APP, 1, 0, ACT(IAM_PUT_ROLE_POLICY)),
        PHX(1, 1, 20, 1, 3, 0, GEN_VAR_APP, 1, 0, ACT(LAMBDA_CREATE_FUNCTION)),
        PH(1, 1, 30, 1, 3, ACT(S3_GET_BUCKET_POLICY)),
        PHX(1, 1, 30, 1, 3, 0, GEN_VAR_DENY_INSECURE, 0, 0, ACT(S3_PUT_BUCKET_POLICY))),
};

static const gen_rtemplate tpl_data_sharing[] = {
    TPL(1, PH(1, 1, 100, 2, 5, ACT(S3_GET_BUCKET_POLICY)),
        PHX(1, 1, 60, 2, 5, 0, GEN_VAR_ORG_SHARE, 0, 0, ACT(S3_PUT_BUCKET_POLICY)),
        PH(2, 10, 100, 1, 10, ACT(S3_PUT_OBJECT)), PH(1, 1, 100, 1, 5, ACT(S3_LIST_OBJECTS))),
};

/* A person at the console: reads, now and then a change, more reads. */
#define CONSOLE_READS_A                                                                    \
    ACT(EC2_DESCRIBE_INSTANCES), ACT(S3_LIST_BUCKETS), ACT(S3_LIST_OBJECTS),               \
        ACT(CW_DESCRIBE_ALARMS), ACT(LOGS_FILTER_LOG_EVENTS), ACT(IAM_LIST_ROLES),         \
        ACT(CT_LOOKUP_EVENTS), ACT(LAMBDA_LIST_FUNCTIONS), ACT(RDS_DESCRIBE_DB_INSTANCES), \
        ACT(S3_GET_BUCKET_POLICY)
#define CONSOLE_READS_B                                                                    \
    ACT(EC2_DESCRIBE_INSTANCES), ACT(EC2_DESCRIBE_VOLUMES), ACT(S3_GET_OBJECT),            \
        ACT(CW_GET_METRIC_DATA), ACT(LOGS_DESCRIBE_LOG_GROUPS), ACT(IAM_GET_ROLE),         \
        ACT(DDB_LIST_TABLES), ACT(CFN_DESCRIBE_STACKS), ACT(EC2_DESCRIBE_SECURITY_GROUPS), \
        ACT(IAM_LIST_USERS)
#define CLI_READS                                                                                \
    ACT(S3_LIST_BUCKETS), ACT(S3_LIST_OBJECTS), ACT(S3_GET_OBJECT), ACT(EC2_DESCRIBE_INSTANCES), \
        ACT(LOGS_FILTER_LOG_EVENTS), ACT(CFN_DESCRIBE_STACKS), ACT(STS_GET_CALLER_IDENTITY),     \
        ACT(LAMBDA_GET_FUNCTION), ACT(LOGS_GET_LOG_EVENTS), ACT(DDB_QUERY)

static const gen_rtemplate tpl_console[] = {
    TPL(1, PH(1, 1, 100, 5, 30, ACT(SIGNIN_CONSOLE_LOGIN)), PH(8, 40, 100, 5, 90, CONSOLE_READS_A),
        PHX(1, 2, 15, 5, 60, 0, 0, 0, PH_RARE, ACT(EC2_STOP_INSTANCES), ACT(EC2_START_INSTANCES),
            ACT(S3_DELETE_OBJECT), ACT(EC2_CREATE_TAGS), ACT(S3_DELETE_BUCKET),
            ACT(EC2_TERMINATE_INSTANCES), ACT(S3_PUT_OBJECT), ACT(LAMBDA_UPDATE_CONFIG)),
        PH(2, 10, 100, 5, 90, CONSOLE_READS_B)),
};

static const gen_rtemplate tpl_cli[] = {
    TPL(1, PH(1, 1, 100, 2, 10, ACT(STS_GET_CALLER_IDENTITY)), PH(3, 15, 100, 3, 60, CLI_READS),
        PHX(1, 3, 25, 3, 30, 0, 0, 0, PH_RARE, ACT(S3_PUT_OBJECT), ACT(S3_DELETE_OBJECT),
            ACT(LAMBDA_UPDATE_CONFIG), ACT(EC2_CREATE_TAGS), ACT(EC2_STOP_INSTANCES)),
        PH(1, 5, 100, 3, 60, CLI_READS)),
};

/* IAM users on the CLI begin each session with GetSessionToken and their MFA code. */
static const gen_rtemplate tpl_iam_cli[] = {
    TPL(1, PH(1, 1, 100, 2, 10, ACT(STS_GET_SESSION_TOKEN)), PH(3, 15, 100, 3, 60, CLI_READS),
        PHX(1, 3, 25, 3, 30, 0, 0, 0, PH_RARE, ACT(S3_PUT_OBJECT), ACT(S3_DELETE_OBJECT),
            ACT(LAMBDA_UPDATE_CONFIG), ACT(EC2_CREATE_TAGS), ACT(EC2_STOP_INSTANCES)),
        PH(1, 5, 100, 3, 60, CLI_READS)),
};

static const gen_rtemplate tpl_iam_service[] = {
    TPL(1, PH(1, 2, 100, 2, 10, ACT(S3_LIST_OBJECTS)), PH(5, 25, 100, 1, 10, ACT(S3_PUT_OBJECT)),
        PH(1, 3, 30, 1, 5, ACT(S3_GET_OBJECT)), PH(2, 8, 50, 1, 3, ACT(S3_DELETE_OBJECT))),
};

static const gen_rtemplate tpl_slr_autoscaling[] = {
    TPL(1, PH(1, 1, 100, 5, 30, ACT(EC2_RUN_INSTANCES)), PH(1, 1, 100, 1, 5, ACT(EC2_CREATE_TAGS))),
    TPL(1, PH(1, 1, 100, 1, 5, ACT(EC2_TERMINATE_INSTANCES))),
    TPL(2, PH(1, 2, 100, 1, 5, ACT(EC2_DESCRIBE_INSTANCES))),
};
static const gen_rtemplate tpl_slr_ecs[] = {
    TPL(2, PH(1, 1, 100, 1, 5, ACT(ELB_REGISTER_TARGETS)),
        PH(1, 3, 100, 5, 30, ACT(ELB_DESCRIBE_TARGET_HEALTH))),
    TPL(1, PH(1, 1, 100, 1, 5, ACT(ELB_DEREGISTER_TARGETS))),
    TPL(1, PH(1, 2, 100, 1, 5, ACT(EC2_DESCRIBE_NETWORK_INTERFACES))),
};
static const gen_rtemplate tpl_slr_elb[] = {
    TPL(1, PH(1, 2, 100, 1, 5, ACT(EC2_DESCRIBE_NETWORK_INTERFACES), ACT(EC2_DESCRIBE_INSTANCES))),
};
static const gen_rtemplate tpl_slr_config[] = {
    TPL(1, PH(3, 10, 100, 0, 3, ACT(EC2_DESCRIBE_INSTANCES), ACT(EC2_DESCRIBE_SECURITY_GROUPS),
              ACT(EC2_DESCRIBE_VOLUMES), ACT(EC2_DESCRIBE_NETWORK_INTERFACES), ACT(IAM_GET_ROLE),
              ACT(IAM_LIST_ROLES), ACT(S3_GET_BUCKET_POLICY), ACT(LAMBDA_GET_FUNCTION))),
};
static const gen_rtemplate tpl_slr_guardduty[] = {
    TPL(1, PH(1, 3, 100, 1, 5, ACT(EC2_DESCRIBE_INSTANCES), ACT(EC2_DESCRIBE_VOLUMES),
              ACT(EC2_DESCRIBE_SECURITY_GROUPS))),
};

typedef struct tpl_set {
    const gen_rtemplate *tpl;
    uint8_t n;
} tpl_set;
#define SET(a)                  \
    {                           \
        a, (uint8_t)GEN_N_OF(a) \
    }

static const tpl_set slr_sets[] = { SET(tpl_slr_autoscaling), SET(tpl_slr_ecs), SET(tpl_slr_elb),
                                    SET(tpl_slr_config), SET(tpl_slr_guardduty) };
static const double slr_per_day[] = { 8, 20, 10, 24, 6 };

/* ---- rhythms ------------------------------------------------------------------------- */

enum { RHY_ALL_DAY, RHY_NIGHTLY, RHY_WORKDAY };

typedef struct rclass_def {
    uint8_t rhythm;
    bool diurnal;             /* all day: busier in the working hours of its region */
    double per_day;           /* episodes a day (all day, workday) */
    uint8_t hour_lo, hour_hi; /* nightly: the start hour (UTC) lies in [lo, hi] */
    uint8_t session;          /* GEN_SESS_* */
    tpl_set set;
} rclass_def;

static const rclass_def classes[GEN_RC_COUNT] = {
    [GEN_RC_APP_KMS] = { RHY_ALL_DAY, true, 12, 0, 0, GEN_SESS_CLOCK, SET(tpl_app_kms) },
    [GEN_RC_APP_SECRETS] = { RHY_ALL_DAY, true, 12, 0, 0, GEN_SESS_CLOCK, SET(tpl_app_secrets) },
    [GEN_RC_ETL] = { RHY_NIGHTLY, false, 0, 0, 4, GEN_SESS_CLOCK, SET(tpl_etl) },
    [GEN_RC_LOG_RETENTION] = { RHY_NIGHTLY, false, 0, 2, 4, GEN_SESS_CLOCK,
                               SET(tpl_log_retention) },
    [GEN_RC_TRAINING] = { RHY_NIGHTLY, false, 0, 0, 2, GEN_SESS_CLOCK, SET(tpl_training_bedrock) },
    [GEN_RC_OBSERVABILITY] = { RHY_ALL_DAY, false, 60, 0, 0, GEN_SESS_CLOCK,
                               SET(tpl_observability) },
    [GEN_RC_BEDROCK_APP] = { RHY_ALL_DAY, true, 30, 0, 0, GEN_SESS_CLOCK, SET(tpl_bedrock_app) },
    [GEN_RC_BEDROCK_KEY] = { RHY_ALL_DAY, true, 20, 0, 0, GEN_SESS_NONE, SET(tpl_bedrock_key) },
    [GEN_RC_AGENT_RO] = { RHY_ALL_DAY, true, 10, 0, 0, GEN_SESS_CLOCK, SET(tpl_agent_ro) },
    [GEN_RC_AGENT_RW] = { RHY_ALL_DAY, true, 10, 0, 0, GEN_SESS_CLOCK, SET(tpl_agent_rw) },
    [GEN_RC_CI] = { RHY_WORKDAY, false, 3, 0, 0, GEN_SESS_EPISODE, SET(tpl_ci) },
    [GEN_RC_DATA_SHARING] = { RHY_WORKDAY, false, 1, 0, 0, GEN_SESS_EPISODE,
                              SET(tpl_data_sharing) },
    [GEN_RC_IAM_CONSOLE] = { RHY_WORKDAY, false, 1.2, 0, 0, GEN_SESS_EPISODE, SET(tpl_console) },
    [GEN_RC_IAM_CLI] = { RHY_WORKDAY, false, 1.5, 0, 0, GEN_SESS_EPISODE, SET(tpl_iam_cli) },
    [GEN_RC_IAM_SERVICE] = { RHY_NIGHTLY, false, 0, 0, 5, GEN_SESS_NONE, SET(tpl_iam_service) },
    [GEN_RC_SSO] = { RHY_WORKDAY, false, 0, 0, 0, GEN_SESS_EPISODE, SET(tpl_console) },
    [GEN_RC_SLR] = { RHY_ALL_DAY, false, 0, 0, 0, GEN_SESS_CLOCK, SET(tpl_slr_config) },
};

/* Hours from UTC of the working day of each home region (gen_regions[] order). */
static const int8_t region_tz[] = { -5, -8, 0, 1, 10, 9 };

int gen_real_session_kind(const gen_ident *id)
{
    return classes[id->rclass].session;
}

double gen_real_busy(const gen_ident *id)
{
    /* Heavy-tailed: most identities are quiet, a few three times busier than the mean. */
    double u = (double)(tw_hash_mix(id->h ^ 0xB05Cu) >> 11) * (1.0 / 9007199254740992.0);
    return 0.3 + 2.8 * u * u * u;
}

static double unit(uint64_t h)
{
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

/* -ln(1 - u) for u in [0, 1): an exponential draw. Computed with + - * / and frexp only (all
 * exact or correctly rounded in IEEE 754), not libm's log, whose last bit may differ between
 * libm versions: the trail must be the same bytes on every machine. */
static double exp_draw(double u)
{
    int e;
    double m = frexp(1.0 - u, &e); /* 1 - u = m * 2^e, m in [0.5, 1) */
    double z = (m - 1.0) / (m + 1.0), z2 = z * z, term = z, sum = 0;
    for (int k = 1; k < 40; k += 2) { /* ln m = 2 atanh z; |z| <= 1/3 */
        sum += term / k;
        term *= z2;
    }
    return -(2.0 * sum + (double)e * 0.69314718055994530942);
}

/* Days since 1970-01-01 (a Thursday) to weekday, 0 = Sunday. */
static int weekday(int64_t day)
{
    int w = (int)((day + 4) % 7);
    return w < 0 ? w + 7 : w;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static double diurnal_shape(int local_hour)
{
    if (local_hour < 6)
        return 0.3;
    if (local_hour < 8)
        return 0.8;
    if (local_hour < 18)
        return 1.7;
    if (local_hour < 22)
        return 0.9;
    return 0.5;
}

static const tpl_set *templates_of(const gen_ident *id)
{
    static const tpl_set mantle = SET(tpl_training_mantle), cli = SET(tpl_cli);
    switch ((gen_rclass)id->rclass) {
    case GEN_RC_SLR:
        return &slr_sets[id->flavour % GEN_N_OF(slr_sets)];
    case GEN_RC_TRAINING: /* three pipelines in ten fine-tune through bedrock-mantle */
        return (id->h >> 30) % 10 < 3 ? &mantle : &classes[id->rclass].set;
    case GEN_RC_SSO:
        return &cli; /* the console one is the class's: chosen per session in begin */
    default:
        return &classes[id->rclass].set;
    }
}

static double per_day_of(const gen_ident *id)
{
    if (id->rclass == GEN_RC_SLR)
        return slr_per_day[id->flavour % GEN_N_OF(slr_per_day)];
    if (id->rclass == GEN_RC_SSO) /* the people of the set: 2 to 9, one session a day or so */
        return 0.8 * (double)(2 + id->h % 8);
    return classes[id->rclass].per_day;
}

/* The start of the working time `need` ms of a person's working time after `after`: weekdays
 * 08:30-18:00 local, and a short stint on one weekend day in twelve. */
static int64_t workday_after(const gen_ident *id, int64_t after, int64_t need)
{
    const int64_t tz = (int64_t)id->tz * TW_MS_HOUR;
    int64_t t = after;
    for (int guard = 0; guard < 400; guard++) {
        int64_t day = floor_div(t + tz, TW_MS_DAY);
        int64_t local0 = day * TW_MS_DAY - tz;
        int w = weekday(day);
        int64_t ws, we;
        if (w >= 1 && w <= 5) {
            ws = local0 + 8 * TW_MS_HOUR + 30 * TW_MS_MINUTE;
            we = local0 + 18 * TW_MS_HOUR;
        } else if (gen_mix(id->h ^ 0x3EEu, (uint64_t)day) % 12 == 0) {
            ws = local0 + 10 * TW_MS_HOUR;
            we = local0 + 12 * TW_MS_HOUR;
        } else {
            ws = we = local0;
        }
        if (t < we) {
            int64_t s = t > ws ? t : ws;
            if (need <= we - s)
                return s + need;
            need -= we - s;
        }
        t = local0 + TW_MS_DAY;
    }
    return INT64_MAX;
}

int64_t gen_real_next_episode(const gen_ident *id, double busy, uint32_t ep, int64_t after_ms)
{
    const rclass_def *cd = &classes[id->rclass];
    uint64_t h = gen_mix(id->h ^ 0xE915u, ep);
    switch (cd->rhythm) {
    case RHY_NIGHTLY: {
        /* Its hour, its minute, a few minutes of jitter; some ETL batches run twice a day. */
        uint64_t hours = (uint64_t)(cd->hour_hi - cd->hour_lo + 1);
        int64_t hour = cd->hour_lo + (int64_t)((id->h >> 12) % hours);
        int64_t minute = (int64_t)((id->h >> 20) % 60);
        bool twice = id->rclass == GEN_RC_ETL && (id->h >> 28) % 3 == 0;
        int64_t day = floor_div(after_ms, TW_MS_DAY);
        for (;; day++) {
            for (int slot = 0; slot < (twice ? 2 : 1); slot++) {
                int64_t jitter = (int64_t)(gen_mix(h, (uint64_t)(day * 2 + slot)) % 900) - 450;
                int64_t s = day * TW_MS_DAY + (hour + 11 * slot) * TW_MS_HOUR +
                            minute * TW_MS_MINUTE + jitter * TW_MS_SECOND;
                if (s > after_ms)
                    return s;
            }
        }
    }
    case RHY_WORKDAY: {
        double mean_ms = 9.5 * (double)TW_MS_HOUR / (per_day_of(id) * busy);
        double need = exp_draw(unit(h)) * mean_ms;
        return workday_after(id, after_ms, (int64_t)need + TW_MS_SECOND);
    }
    default: {                                                   /* all day */
        double rate = per_day_of(id) * busy / (double)TW_MS_DAY; /* episodes per ms */
        if (cd->diurnal) {
            int64_t tz = (int64_t)region_tz[id->region] * TW_MS_HOUR;
            int64_t local = after_ms + tz;
            int hour = (int)(floor_div(local, TW_MS_HOUR) % 24);
            int w = weekday(floor_div(local, TW_MS_DAY));
            rate *= diurnal_shape(hour) * (w == 0 || w == 6 ? 0.5 : 1.0);
        }
        double gap = exp_draw(unit(h)) / rate;
        if (gap > 30.0 * (double)TW_MS_DAY)
            gap = 30.0 * (double)TW_MS_DAY;
        return after_ms + (int64_t)gap + TW_MS_SECOND;
    }
    }
}

/* ---- episodes ------------------------------------------------------------------------ */

static const gen_rtemplate *template_of(const gen_ident *id, const gen_rstate *st)
{
    if (id->rclass == GEN_RC_SSO && st->console)
        return &tpl_console[0];
    return &templates_of(id)->tpl[st->tpl];
}

/* Steps of phase ph in episode ep: 0 when the phase does not run this time. */
static uint16_t phase_steps(const gen_ident *id, uint32_t ep, uint8_t ph, const gen_rphase *p)
{
    uint64_t h = gen_mix(id->h ^ 0x9A5Eu, (uint64_t)ep * 16 + ph);
    if (h % 100 >= p->pct)
        return 0;
    if (p->flags & PH_RARE) {
        /* people of the read-only sets change nothing; security admins rarely */
        if (id->rclass == GEN_RC_SSO &&
            (id->flavour == GEN_PERMSET_READONLY || (id->flavour == GEN_PERMSET_SECURITY && h % 4)))
            return 0;
    }
    return (uint16_t)(p->min + (h >> 8) % (uint64_t)(p->max - p->min + 1));
}

static bool seek_phase(const gen_ident *id, uint32_t ep, gen_rstate *st)
{
    const gen_rtemplate *tp = template_of(id, st);
    for (; st->ph < tp->n; st->ph++) {
        st->left = phase_steps(id, ep, st->ph, &tp->ph[st->ph]);
        if (st->left)
            return true;
    }
    return false;
}

bool gen_real_episode_begin(const gen_ident *id, uint32_t ep, bool console, gen_rstate *st)
{
    const tpl_set *set = templates_of(id);
    uint32_t total = 0;
    for (uint8_t i = 0; i < set->n; i++)
        total += set->tpl[i].weight;
    uint32_t pick = (uint32_t)(gen_mix(id->h ^ 0x7E3Bu, ep) % total);
    st->tpl = 0;
    while (pick >= set->tpl[st->tpl].weight) {
        pick -= set->tpl[st->tpl].weight;
        st->tpl++;
    }
    st->console = console;
    st->ph = 0;
    return seek_phase(id, ep, st);
}

void gen_real_episode_step(const gen_ident *id, const gen_rstate *st, uint64_t k,
                           gen_real_step *out)
{
    const gen_rphase *p = &template_of(id, st)->ph[st->ph];
    uint64_t h = gen_mix(id->h ^ 0x57E9u, k);
    out->action = (gen_act)p->pool[h % p->n];
    out->via = p->via;
    out->variant = p->variant;
    out->target = p->target;
    int64_t g = p->gap_min + (int64_t)((h >> 16) % (uint64_t)(p->gap_max - p->gap_min + 1));
    out->gap_ms = g * TW_MS_SECOND;
}

bool gen_real_episode_advance(const gen_ident *id, uint32_t ep, gen_rstate *st)
{
    assert(st->left > 0);
    if (--st->left)
        return true;
    st->ph++;
    return seek_phase(id, ep, st);
}
