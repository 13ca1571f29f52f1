/* gen_internal: what the synthetic trail generator's files share (bench/gen_*.c only).
 *
 * The generator never stores an identity: everything stable about one (name, account, user
 * agent, keys) is derived from (seed, index) when a record needs it, so a million identities
 * cost only the 12 bytes of gen_track each. Records are written straight into the sink's
 * buffers; nothing is allocated per record. */
#ifndef GEN_INTERNAL_H
#define GEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tw_buf.h"
#include "tw_err.h"
#include "tw_hash.h"

enum { GEN_FMT_NDJSON = 0, GEN_FMT_ZSTD = 1, GEN_FMT_S3 = 2 };

/* --profile: the default estate (fixed by its output: benches and tests depend on its bytes)
 * or the realistic one (gen_real_*.c: the routine of real estates, for precision). */
enum { GEN_PROFILE_DEFAULT = 0, GEN_PROFILE_REALISTIC = 1 };

/* Scenarios (--scenario), one bit each. The first two exist in both profiles (the realistic
 * profile injects its own story for each); the others only in the realistic one. */
enum {
    GEN_SCN_READ_TO_DESTRUCTIVE = 1u << 0,
    GEN_SCN_TRAINING_TELEMETRY = 1u << 1,
    GEN_SCN_ALL = (1u << 2) - 1,
    GEN_SCN_RETENTION_TRAIL = 1u << 2,
    GEN_SCN_DORMANT_ADMIN = 1u << 3,
    GEN_SCN_OBSERVABILITY_TRAINING = 1u << 4,
    GEN_SCN_LLM_JACKING = 1u << 5,
    GEN_SCN_REAL_ALL = (1u << 6) - 1,
    GEN_SCN_ALL_ASKED = 1u << 30, /* "all": resolved once the profile is known */
};

/* Near-misses join the estate only from this many records on: below it they would crowd a
 * tiny sample that someone asked for by size. */
#define GEN_NEAR_MISS_MIN_RECORDS 1000u

/* Largest estate: identity name suffixes are a bijection on 24 bits, so they never collide. */
#define GEN_MAX_IDENTITIES (1u << 24)
#define GEN_MAX_ACCOUNTS 1000u

/* The permission sets of the realistic profile's SSO roles (gen_real_estate.c). */
enum {
    GEN_PERMSET_ADMIN = 0,
    GEN_PERMSET_POWER = 1,
    GEN_PERMSET_READONLY = 2,
    GEN_PERMSET_DATA = 3,
    GEN_PERMSET_DEVELOPER = 4,
    GEN_PERMSET_SECURITY = 5
};

typedef struct gen_opts {
    uint64_t records;    /* estate records; scripted ones come on top */
    uint32_t identities; /* estate identities; scripted ones come on top */
    uint64_t seed;
    int64_t start_ms;
    int64_t span_ms;
    uint32_t scenarios; /* GEN_SCN_* */
    int format;         /* GEN_FMT_* */
    const char *out;    /* NULL or "-": stdout (ndjson, zstd); the directory for s3 */
    int zstd_level;
    uint32_t accounts;
    bool quiet;
    int profile;          /* GEN_PROFILE_* */
    bool records_given;   /* -n was on the command line */
    bool scenarios_given; /* --scenario was (realistic: none given means all) */
    const char *truth;    /* --truth FILE, or NULL */
} gen_opts;

#define GEN_N_OF(a) (sizeof(a) / sizeof((a)[0]))
/* The element of array list that h picks. */
#define GEN_PICK(list, h) ((list)[(h) % GEN_N_OF(list)])

static inline uint64_t gen_mix(uint64_t a, uint64_t b)
{
    return tw_hash_mix(a ^ tw_hash_mix(b + 0x9e3779b97f4a7c15ULL));
}

/* ---- actions (gen_actions.c) ---------------------------------------------------------- */

enum { GEN_K_READ = 0, GEN_K_WRITE = 1, GEN_K_DESTRUCTIVE = 2 };

enum {
    GEN_AF_DATA = 1u << 0,    /* a data event (eventCategory Data, managementEvent false) */
    GEN_AF_GLOBAL = 1u << 1,  /* served from us-east-1 whatever the caller's region (IAM) */
    GEN_AF_LOGIN = 1u << 2,   /* signin:ConsoleLogin, an AwsConsoleSignIn event */
    GEN_AF_SERVICE = 1u << 3, /* made by the AWS service that assumes the role (AWSService) */
    GEN_AF_RO = 1u << 4,      /* CloudTrail says readOnly: true though the call is no read
                               * (kms:Decrypt, GenerateDataKey); the realistic profile writes it */
};

/* The shape of requestParameters (and responseElements) an action gets. */
typedef enum gen_par {
    GEN_PAR_NONE = 0,
    GEN_PAR_S3_OBJECT,
    GEN_PAR_S3_LIST,
    GEN_PAR_S3_BUCKET,
    GEN_PAR_S3_SERVICE,
    GEN_PAR_EC2_DESCRIBE,
    GEN_PAR_EC2_INSTANCES,
    GEN_PAR_EC2_RUN,
    GEN_PAR_EC2_TAGS,
    GEN_PAR_IAM_ROLE,
    GEN_PAR_IAM_ROLE_POLICY,
    GEN_PAR_IAM_LIST,
    GEN_PAR_LOGS_GROUP,
    GEN_PAR_LOGS_FILTER,
    GEN_PAR_LOGS_QUERY,
    GEN_PAR_METRICS,
    GEN_PAR_ALARMS,
    GEN_PAR_BEDROCK_MODEL,
    GEN_PAR_BEDROCK_INVOKE,
    GEN_PAR_BEDROCK_CONVERSE,
    GEN_PAR_BEDROCK_CUSTOMIZE,
    GEN_PAR_BEDROCK_JOB,
    GEN_PAR_MANTLE_FINETUNE,
    GEN_PAR_SM_TRAINING,
    GEN_PAR_SM_JOB,
    GEN_PAR_SM_LIST,
    GEN_PAR_DDB_TABLE,
    GEN_PAR_DDB_ITEM,
    GEN_PAR_DDB_QUERY,
    GEN_PAR_DDB_BATCH,
    GEN_PAR_LAMBDA_FN,
    GEN_PAR_LAMBDA_CODE,
    GEN_PAR_LAMBDA_LIST,
    GEN_PAR_KMS,
    GEN_PAR_CFN_STACK,
    GEN_PAR_CFN_CHANGESET,
    GEN_PAR_RDS_INSTANCE,
    GEN_PAR_TRAIL,
    GEN_PAR_TRAIL_LOOKUP,
    GEN_PAR_LOGIN,
    GEN_PAR_STS_ASSUME,
    /* realistic profile (gen_real_params.c) */
    GEN_PAR_S3_POLICY,
    GEN_PAR_SECRET,
    GEN_PAR_LOGS_STREAM,
    GEN_PAR_LOGS_RETENTION,
    GEN_PAR_LOGS_GROUP_ONLY,
    GEN_PAR_XRAY,
    GEN_PAR_BEDROCK_AVAILABILITY,
    GEN_PAR_BEDROCK_USE_CASE,
    GEN_PAR_CFN_DEPLOY,
    GEN_PAR_LAMBDA_CREATE,
    GEN_PAR_ECS_TASKDEF,
    GEN_PAR_ECS_SERVICE,
    GEN_PAR_IAM_CREATE_ROLE,
    GEN_PAR_IAM_INLINE,
    GEN_PAR_IAM_USER,
    GEN_PAR_STS_SESSION,
    GEN_PAR_TRAIL_UPDATE,
    GEN_PAR_EC2_FLOW_LOGS,
    GEN_PAR_ELB_TARGETS,
    GEN_PAR_GLUE_TABLE,
} gen_par;

typedef struct gen_action {
    const char *source; /* eventSource */
    const char *name;   /* eventName */
    const char *iam;    /* the IAM action, for error messages ("ec2:TerminateInstances") */
    uint8_t kind;       /* GEN_K_* */
    uint8_t par;        /* gen_par */
    uint8_t flags;      /* GEN_AF_* */
} gen_action;

/* Action ids: indexes into gen_actions[]. */
typedef enum gen_act {
    GEN_ACT_S3_GET_OBJECT,
    GEN_ACT_S3_HEAD_OBJECT,
    GEN_ACT_S3_LIST_OBJECTS,
    GEN_ACT_S3_PUT_OBJECT,
    GEN_ACT_S3_DELETE_OBJECT,
    GEN_ACT_S3_LIST_BUCKETS,
    GEN_ACT_S3_GET_BUCKET_POLICY,
    GEN_ACT_S3_GET_BUCKET_LOCATION,
    GEN_ACT_S3_CREATE_BUCKET,
    GEN_ACT_S3_PUT_BUCKET_POLICY,
    GEN_ACT_S3_DELETE_BUCKET,
    GEN_ACT_EC2_DESCRIBE_INSTANCES,
    GEN_ACT_EC2_DESCRIBE_SECURITY_GROUPS,
    GEN_ACT_EC2_DESCRIBE_VOLUMES,
    GEN_ACT_EC2_RUN_INSTANCES,
    GEN_ACT_EC2_START_INSTANCES,
    GEN_ACT_EC2_STOP_INSTANCES,
    GEN_ACT_EC2_TERMINATE_INSTANCES,
    GEN_ACT_EC2_CREATE_TAGS,
    GEN_ACT_IAM_GET_ROLE,
    GEN_ACT_IAM_LIST_ROLES,
    GEN_ACT_IAM_LIST_ATTACHED_ROLE_POLICIES,
    GEN_ACT_IAM_ATTACH_ROLE_POLICY,
    GEN_ACT_STS_GET_CALLER_IDENTITY,
    GEN_ACT_LOGS_DESCRIBE_LOG_GROUPS,
    GEN_ACT_LOGS_DESCRIBE_LOG_STREAMS,
    GEN_ACT_LOGS_FILTER_LOG_EVENTS,
    GEN_ACT_LOGS_GET_LOG_EVENTS,
    GEN_ACT_LOGS_START_QUERY,
    GEN_ACT_LOGS_GET_QUERY_RESULTS,
    GEN_ACT_LOGS_CREATE_LOG_STREAM,
    GEN_ACT_CW_GET_METRIC_DATA,
    GEN_ACT_CW_LIST_METRICS,
    GEN_ACT_CW_DESCRIBE_ALARMS,
    GEN_ACT_CW_GET_METRIC_STATISTICS,
    GEN_ACT_BR_INVOKE_MODEL,
    GEN_ACT_BR_INVOKE_MODEL_STREAM,
    GEN_ACT_BR_CONVERSE,
    GEN_ACT_BR_CONVERSE_STREAM,
    GEN_ACT_BR_LIST_FOUNDATION_MODELS,
    GEN_ACT_BR_GET_FOUNDATION_MODEL,
    GEN_ACT_BR_CREATE_CUSTOMIZATION_JOB,
    GEN_ACT_BR_GET_CUSTOMIZATION_JOB,
    GEN_ACT_BR_LIST_CUSTOM_MODELS,
    GEN_ACT_MANTLE_CREATE_FINE_TUNING_JOB,
    GEN_ACT_SM_LIST_TRAINING_JOBS,
    GEN_ACT_SM_DESCRIBE_TRAINING_JOB,
    GEN_ACT_SM_CREATE_TRAINING_JOB,
    GEN_ACT_SM_DESCRIBE_ENDPOINT,
    GEN_ACT_SM_LIST_MODELS,
    GEN_ACT_DDB_DESCRIBE_TABLE,
    GEN_ACT_DDB_LIST_TABLES,
    GEN_ACT_DDB_GET_ITEM,
    GEN_ACT_DDB_QUERY,
    GEN_ACT_DDB_SCAN,
    GEN_ACT_DDB_PUT_ITEM,
    GEN_ACT_DDB_UPDATE_ITEM,
    GEN_ACT_DDB_BATCH_WRITE_ITEM,
    GEN_ACT_DDB_DELETE_ITEM,
    GEN_ACT_DDB_DELETE_TABLE,
    GEN_ACT_LAMBDA_LIST_FUNCTIONS,
    GEN_ACT_LAMBDA_GET_FUNCTION,
    GEN_ACT_LAMBDA_UPDATE_CODE,
    GEN_ACT_LAMBDA_UPDATE_CONFIG,
    GEN_ACT_LAMBDA_DELETE_FUNCTION,
    GEN_ACT_KMS_DECRYPT,
    GEN_ACT_KMS_GENERATE_DATA_KEY,
    GEN_ACT_CFN_DESCRIBE_STACKS,
    GEN_ACT_CFN_CREATE_CHANGE_SET,
    GEN_ACT_CFN_DESCRIBE_CHANGE_SET,
    GEN_ACT_CFN_EXECUTE_CHANGE_SET,
    GEN_ACT_CFN_DELETE_STACK,
    GEN_ACT_RDS_DESCRIBE_DB_INSTANCES,
    GEN_ACT_RDS_DELETE_DB_INSTANCE,
    GEN_ACT_CT_LOOKUP_EVENTS,
    GEN_ACT_CT_DESCRIBE_TRAILS,
    GEN_ACT_CT_GET_TRAIL_STATUS,
    GEN_ACT_SIGNIN_CONSOLE_LOGIN,
    GEN_ACT_STS_ASSUME_ROLE_BY_SERVICE,
    /* the realistic profile's (the default profile never calls them) */
    GEN_ACT_SECRETS_GET_SECRET_VALUE,
    GEN_ACT_SECRETS_DESCRIBE_SECRET,
    GEN_ACT_LOGS_DELETE_LOG_STREAM,
    GEN_ACT_LOGS_PUT_RETENTION_POLICY,
    GEN_ACT_LOGS_CREATE_LOG_GROUP,
    GEN_ACT_LOGS_DELETE_LOG_GROUP,
    GEN_ACT_XRAY_BATCH_GET_TRACES,
    GEN_ACT_XRAY_GET_TRACE_SUMMARIES,
    GEN_ACT_BR_GET_MODEL_AVAILABILITY,
    GEN_ACT_BR_PUT_USE_CASE,
    GEN_ACT_BR_LIST_CUSTOMIZATION_JOBS,
    GEN_ACT_CFN_CREATE_STACK,
    GEN_ACT_CFN_UPDATE_STACK,
    GEN_ACT_CFN_DESCRIBE_STACK_EVENTS,
    GEN_ACT_LAMBDA_CREATE_FUNCTION,
    GEN_ACT_ECS_REGISTER_TASK_DEFINITION,
    GEN_ACT_ECS_UPDATE_SERVICE,
    GEN_ACT_ECS_DESCRIBE_SERVICES,
    GEN_ACT_IAM_CREATE_ROLE,
    GEN_ACT_IAM_PUT_ROLE_POLICY,
    GEN_ACT_IAM_PUT_USER_POLICY,
    GEN_ACT_IAM_CREATE_USER,
    GEN_ACT_IAM_LIST_USERS,
    GEN_ACT_STS_GET_SESSION_TOKEN,
    GEN_ACT_CT_STOP_LOGGING,
    GEN_ACT_CT_UPDATE_TRAIL,
    GEN_ACT_EC2_DELETE_FLOW_LOGS,
    GEN_ACT_EC2_DESCRIBE_NETWORK_INTERFACES,
    GEN_ACT_ELB_REGISTER_TARGETS,
    GEN_ACT_ELB_DEREGISTER_TARGETS,
    GEN_ACT_ELB_DESCRIBE_TARGET_HEALTH,
    GEN_ACT_GLUE_GET_TABLE,
    GEN_ACT_GLUE_BATCH_CREATE_PARTITION,
    GEN_ACT_COUNT
} gen_act;

extern const gen_action gen_actions[GEN_ACT_COUNT];

/* S3 actions come first in gen_act: their records share host names and S3's extra fields. */
static inline bool gen_act_is_s3(unsigned act)
{
    return act <= GEN_ACT_S3_DELETE_BUCKET;
}

/* ---- identities (gen_estate.c) -------------------------------------------------------- */

/* Behaviour profiles of the estate. */
typedef enum gen_profile {
    GEN_PROF_AGENT_RO = 0, /* read-only AI agents */
    GEN_PROF_AGENT_RW,     /* agents that read and write, never delete */
    GEN_PROF_ETL,          /* pipelines that read, write and delete every hour */
    GEN_PROF_CI,           /* CI deploy roles */
    GEN_PROF_HUMAN,        /* AWS SSO console users */
    GEN_PROF_IAM_USER,     /* IAM users with long-term access keys */
    GEN_PROF_BEDROCK_KEY,  /* Bedrock API keys (IAM users BedrockAPIKey-xxxx) */
    GEN_PROF_ML,           /* ML engineers' roles: Bedrock and SageMaker */
    GEN_PROF_MONITOR,      /* observability roles reading logs and metrics */
    GEN_PROF_COUNT
} gen_profile;

/* One identity, described on demand. */
typedef struct gen_ident {
    uint32_t index;
    uint8_t profile;     /* gen_profile */
    uint8_t region;      /* home region, index into gen_regions[] */
    bool iam_user;       /* IAMUser; else an assumed role */
    bool console;        /* its sessions come from the console (sessionCredentialFromConsole) */
    bool bearer;         /* Bedrock API key: callWithBearerToken */
    uint32_t ua_family;  /* which of its profile's user agents (also picks session naming) */
    uint64_t h;          /* every stable choice about the identity derives from it */
    uint32_t account_ix; /* index of its account */
    const char *account; /* 12 digits */
    const char *path;    /* role path: "/", "/service-role/", ... */
    const char *user_agent;
    char name[80];       /* role or user name */
    char unique_id[24];  /* AROA... or AIDA... */
    char access_key[24]; /* AKIA... (IAM users; roles get one per session) */
    char ip[16];
    bool tls12;             /* an old SDK that still negotiates TLS 1.2 */
    const char *assumed_by; /* the AWS service that assumes the role ("lambda.amazonaws.com"),
                             * or NULL */
    int64_t session_ms;     /* how long its sessions last */
    /* the realistic profile's (gen_real_estate.c); zero in the default profile */
    uint8_t rclass;         /* gen_rclass */
    uint8_t flavour;        /* within the class: permission set, service, ... */
    bool mfa;               /* its sessions are MFA-authenticated */
    bool user_session;      /* an IAM user on session credentials (console, GetSessionToken) */
    const char *invoked_by; /* a service-linked role: the service that acts with it */
    int8_t tz;              /* people: hours from UTC of their working day */
} gen_ident;

/* A script identity (scenarios, near-misses): fixed name and profile, picked user agent. */
typedef struct gen_script_ident {
    uint8_t profile;
    uint8_t ua_family;
    const char *name;
    const char *path;
} gen_script_ident;

typedef struct gen_estate {
    uint64_t seed;
    uint32_t identities; /* estate identities; script ones are numbered after them */
    uint32_t accounts;
    char (*account_ids)[13];
    const gen_script_ident *script;
    uint32_t script_count;
} gen_estate;

extern const char *const gen_regions[];
#define GEN_REGION_US_EAST_1 0

/* Name parts and user agents that both estates draw from (gen_estate.c). */
extern const char *const gen_teams[10];
extern const char *const gen_datasets[10];
extern const char *const gen_stages[6];
extern const char *const gen_repos[8];
extern const char *const gen_ro_tasks[8];
extern const char *const gen_rw_tasks[6];
extern const char *const gen_monitor_names[4];
/* People's names: the realistic estate takes all 20, the default one the first 12. */
extern const char *const gen_firsts[20];
extern const char *const gen_lasts[20];
extern const char *const gen_ua_ci[3]; /* GEN_UA_CI_* */
extern const char *const gen_ua_monitor[4];
extern const char *const gen_ua_browser[4];
extern const char *const gen_ua_key_user[4]; /* IAM users with long-term keys */
extern const char *const gen_ua_bedrock_key[4];
enum { GEN_UA_CI_GITHUB = 0, GEN_UA_CI_TERRAFORM = 1, GEN_UA_CI_GITLAB = 2 };

/* The 6-hex tag that ends estate names: a bijection of the index on 24 bits, keyed by the
 * seed, so tags are unique but not sequential. */
uint32_t gen_name_tag(uint64_t seed, uint32_t index);
/* A home region drawn from h (most estates live in us-east-1). */
uint8_t gen_home_region(uint64_t h);
/* The parts of an identity that derive from its hash alike in both estates: unique id and
 * access key, the TLS version of its user agent, its address (an office's, or AWS's). */
void gen_ident_finish(gen_ident *id, bool office);
/* The role names both estates give AI agents and data pipelines (a pipeline's path too). */
void gen_agent_role_name(char *n, size_t size, bool read_only, uint64_t h, uint32_t tag);
void gen_pipeline_role_name(gen_ident *id, uint64_t h, uint32_t tag);
/* A CI deploy role's name and a CI run's session name, by user agent (GEN_UA_CI_*). */
void gen_ci_role_name(char *n, size_t size, uint32_t ua_family, uint64_t h, uint32_t tag);
void gen_ci_session_name(char *n, size_t size, uint32_t ua_family, uint64_t h, long long unix_s);
/* prefix (4 characters) and n characters of AWS's key alphabet, drawn from h. */
void gen_make_key(char *out, const char *prefix, size_t n, uint64_t h);

tw_err gen_estate_init(gen_estate *es, const gen_opts *opt);
void gen_estate_free(gen_estate *es);
void gen_estate_describe(const gen_estate *es, uint32_t index, gen_ident *id);
/* The estate profile of identity index (cheap: used to weigh identities at start-up). */
gen_profile gen_estate_profile(const gen_estate *es, uint32_t index);
/* How busy an estate identity is, relative to the others (> 0). */
double gen_estate_weight(const gen_estate *es, uint32_t index);
/* The action of an estate identity's k-th event: see the cycles in gen_actions.c. */
gen_act gen_profile_action(uint8_t profile, uint32_t k, uint64_t h);

/* A session at event time t: its name and key change at the identity's pace. */
typedef struct gen_session {
    uint64_t epoch;
    int64_t start_ms;
    char name[72];
    char access_key[24];
    /* the realistic profile's: people of a permission set come by console or by CLI */
    const char *user_agent; /* NULL: the identity's */
    bool console;
} gen_session;

void gen_session_at(const gen_ident *id, int64_t t_ms, gen_session *ss);
/* Just the session number at t (0 for long-term keys): cheap, to spot a new session. */
uint64_t gen_session_epoch(const gen_ident *id, int64_t t_ms);

/* Writes "arn:aws:iam::ACCOUNT:role/PATH/NAME" or ".../user/NAME" into buf. */
size_t gen_ident_arn(const gen_ident *id, char *buf, size_t size);

/* ---- records (gen_record.c) ----------------------------------------------------------- */

enum {
    GEN_EV_NO_ERROR = 1u << 0, /* scripted calls must succeed: the rules key on success */
    GEN_EV_INTERNAL = 1u << 1, /* realistic: the service gives "AWS Internal" as the source */
    GEN_EV_BROWSER = 1u << 2,  /* realistic console call: from the browser itself */
    GEN_EV_NO_CONSOLE_FLAG = 1u << 3, /* realistic console call without
                                       * sessionCredentialFromConsole */
};

/* A record's randomness: its eventID and every per-record choice derive from it. */
static inline uint64_t gen_record_rand(uint64_t seed, uint64_t serial)
{
    return gen_mix(seed ^ 0xEC0Du, serial);
}

/* Who acts for an identity in the realistic profile (an on-behalf record: userIdentity's
 * invokedBy, the service as source and user agent; DESIGN §3). */
enum { GEN_VIA_NONE = 0, GEN_VIA_S3, GEN_VIA_SECRETS, GEN_VIA_CFN };

/* A forced outcome (realistic profile); 0 leaves it to the usual ~2% draw. */
enum {
    GEN_ERR_DRAW = 0,
    GEN_ERR_TRAIL_NOT_FOUND,   /* cloudtrail: TrailNotFoundException */
    GEN_ERR_INVALID_PARAMETER, /* ec2: Client.InvalidParameterValue */
};

typedef struct gen_event {
    int64_t time_ms;
    uint32_t ident;
    uint16_t action; /* gen_act */
    uint16_t flags;  /* GEN_EV_* */
    /* the realistic profile's; zero in the default profile */
    uint32_t target;  /* 1 + the identity acted on (AttachRolePolicy's role, ...); 0: none */
    uint8_t via;      /* GEN_VIA_* */
    uint8_t variant;  /* which shape of parameters (policy documents, ...) */
    uint8_t err;      /* GEN_ERR_* */
    uint64_t link;    /* the per-record randomness of the call this one serves (so a Decrypt
                      * names the object its GetObject read), or 0 */
    uint32_t session; /* realistic scripted calls of people and CI runs: their session
                       * (1-based, gen_real_script.sessions), or 0 */
} gen_event;

/* An identity in its current session: all a record's userIdentity needs. gen_run caches
 * actors, so names and keys are formatted once a session rather than once a record. */
typedef struct gen_actor {
    gen_ident id;
    gen_session ss;
    uint64_t epoch_key;   /* 1 + ss.epoch once ss is filled; 0 before */
    char caller_arn[192]; /* what calls are made as: the assumed-role session, or the user */
} gen_actor;

void gen_actor_init(gen_actor *ac, const gen_estate *es, uint32_t index);
/* Moves the actor into the session current at t (nothing to do within the same one). */
void gen_actor_at(gen_actor *ac, int64_t t_ms);

/* Event-time formatting that remembers the date: tw_time_format_iso once a day, not twice a
 * record. */
typedef struct gen_clock {
    int64_t day;
    char date[12]; /* "YYYY-MM-DDT" */
} gen_clock;

#define GEN_CLOCK_INIT \
    {                  \
        INT64_MIN, ""  \
    }
/* Writes "2026-09-01T08:15:02Z" (21 bytes with the NUL) for a time in whole seconds. */
void gen_clock_format(gen_clock *clk, int64_t ms, char *out);

/* Appends one CloudTrail record (one JSON object, no newline) to out. serial numbers the
 * record within the run: its eventID and every per-record choice derive from (seed, serial).
 * The actor must be in the session of ev->time_ms (gen_actor_at). */
void gen_record_write(const gen_estate *es, const gen_actor *ac, const gen_event *ev,
                      uint64_t serial, gen_clock *clk, tw_buf *out);

/* What the parts of one record share (gen_record.c writes the frame, gen_params.c the
 * action-specific parts). All strings are generated ASCII without quotes or backslashes, so
 * they are written without escaping. */
typedef struct gen_call {
    const gen_estate *es;
    const gen_ident *id;
    const gen_session *ss;
    const char *caller_arn;
    const gen_action *act;
    uint16_t act_id;
    const char *region;
    int64_t t_ms;      /* whole seconds */
    char time_iso[32]; /* eventTime */
    uint64_t r;        /* per-record randomness */
    bool error;
    uint64_t r_own;     /* realistic: the record's own randomness (ids, errors) when r is its
                          * cause's */
    const char *org_id; /* realistic: the organization */
    char res[96];       /* the action's main resource: bucket, table, function, ... */
    char sub[128];      /* its part: object key, log stream, ... */
} gen_call;

/* About 2% of an identity's own calls fail, as in a real estate. */
#define GEN_ERROR_PER_MILLE 20

/* The frame's parts, which both profiles write alike (gen_record.c), in the record's order. */

/* Fills everything of c but time_iso, res and sub; r and r_own are the record's randomness. */
void gen_call_init(gen_call *c, const gen_estate *es, const gen_actor *ac, const gen_event *ev,
                   uint64_t serial);

/* What a record's userIdentity says beyond the identity itself. */
typedef struct gen_principal {
    const char *created;    /* the session's creationDate */
    const char *key;        /* accessKeyId, or NULL (a console sign-in is made with a password) */
    bool mfa;               /* the session's mfaAuthenticated */
    bool user_session;      /* an IAM user on session credentials: a sessionContext too */
    bool web_id;            /* webIdFederationData:{}, as CloudTrail writes it (realistic) */
    const char *invoked_by; /* the AWS service that made the call for the identity, or NULL */
} gen_principal;

void gen_put_user_identity(const gen_call *c, const gen_principal *pr, tw_buf *b);
/* ,"eventTime" to ,"userAgent" */
void gen_put_call_head(const gen_call *c, const char *ip, const char *ua, tw_buf *b);
/* ,"errorCode":code,"errorMessage":message */
void gen_put_error(tw_buf *b, const char *code, const char *message);
/* A denial in the spelling of the service that answers: S3's AccessDenied, EC2's
 * Client.UnauthorizedOperation, AccessDenied of IAM, STS and plain_too (a service prefix, or
 * NULL), AccessDeniedException of the others. */
void gen_put_denial(const gen_call *c, const char *plain_too, tw_buf *b);
/* Whether IAM action iam ("ec2:RunInstances") is of service svc ("ec2"). */
bool gen_iam_service_is(const char *iam, const char *svc);
/* ,"requestID", ,"eventID" (from c->r_own) and ,"readOnly" */
void gen_put_ids(const gen_call *c, bool read_only, tw_buf *b);
/* ,"eventType", ,"managementEvent" and ,"recipientAccountId" */
void gen_put_event_type(const gen_call *c, tw_buf *b);
void gen_put_category(const gen_call *c, tw_buf *b);
/* ,"tlsDetails" with the host name the client asked for */
void gen_put_tls(const gen_call *c, tw_buf *b);

/* gen_params.c: fills c->res and c->sub for the action; writes requestParameters' value. */
void gen_params_prepare(gen_call *c);
void gen_params_request(const gen_call *c, tw_buf *b);
/* gen_replies.c: the responseElements value. */
void gen_params_response(const gen_call *c, tw_buf *b);
/* Writes ,"additionalEventData":{...} when the action has any. */
void gen_params_additional(const gen_call *c, tw_buf *b);
/* Writes ,"resources":[...] when the action names any. */
void gen_params_resources(const gen_call *c, tw_buf *b);

/* lit must be a string literal (the "" makes anything else a compile error). */
#define GEN_PUT(b, lit) tw_buf_put((b), "" lit, sizeof("" lit) - 1)
/* "arn:aws:iam::ACCOUNT:role/" + role, in the caller's account. */
void gen_put_role_arn(const gen_call *c, tw_buf *b, const char *role);
/* "arn:aws:iam::ACCOUNT:role/PATH/NAME" of a role identity. */
void gen_put_ident_role_arn(tw_buf *b, const gen_ident *role);
/* The caller's own role ARN, path included. */
void gen_put_issuer_arn(const gen_call *c, tw_buf *b);
/* The role a deployed resource runs as: that of run_as (a CI run deploying an application),
 * or, when NULL, the caller's account's role named fallback. */
void gen_put_run_role(const gen_call *c, const gen_ident *run_as, const char *fallback, tw_buf *b);
/* "arn:aws:SERVICE:REGION:ACCOUNT", the head of the regional ARNs a call names. */
void gen_put_arn_head(tw_buf *b, const char *service, const gen_call *c);
/* A time as STS and IAM write it, the console's way: "Sep 1, 2026, 9:15:02 AM". */
void gen_put_console_time(tw_buf *b, int64_t ms);
/* Lambda's FunctionConfiguration answer: after an update ($LATEST, update in progress) or a
 * create (version 1, pending). run_as as for gen_put_run_role. */
void gen_put_lambda_config(const gen_call *c, const gen_ident *run_as, bool created, tw_buf *b);
/* The additionalEventData of a console sign-in; mfa: whether AWS asked for the MFA code. */
void gen_put_login_details(const gen_call *c, bool mfa, tw_buf *b);
/* {"key":"value"}: the requestParameters of a call that only names its resource. */
void gen_put_name_only(tw_buf *b, const char *key, const char *value);
/* "BUCKET.s3.REGION.amazonaws.com": the virtual host of c->res, the call's bucket. */
void gen_put_s3_host(const gen_call *c, tw_buf *b);
/* "s3Bucket":"...","s3Key":"builds/...zip": where a deploy put a function's code. */
void gen_put_code_location(const gen_call *c, tw_buf *b);
/* The ARN of c->res's CloudFormation stack (its id: one per deploying identity). */
void gen_put_stack_arn(const gen_call *c, tw_buf *b);
/* The organisation prefix of an account's resource names: "acme", ..., "acme1", ... */
void gen_org_name(char *buf, size_t size, uint32_t account_ix);
void gen_put_uuid(tw_buf *b, uint64_t h);
void gen_put_hex(tw_buf *b, uint64_t v, int digits, bool upper);

/* ---- scripts (gen_script.c) ----------------------------------------------------------- */

/* One line of the stderr summary: what was injected, by whom, when. */
typedef struct gen_script_note {
    const char *what; /* "scenario read-to-destructive", "near-miss etl-hourly" */
    uint32_t ident;   /* script identity (0-based) */
    uint32_t ident2;  /* a second one, or UINT32_MAX */
    int64_t time_ms;  /* the decisive event */
    char detail[192];
    const char *expect; /* the rule id that must fire, or NULL: nothing may fire */
} gen_script_note;

#define GEN_SCRIPT_MAX_NOTES 16

/* Scripted calls, of either profile's script. */
typedef struct gen_events {
    gen_event *ev;
    size_t count;
    size_t cap;
} gen_events;

/* Adds a call of identity ident at t_ms (whole seconds): a copy of proto (or of nothing),
 * which must succeed (the rules key on success). */
tw_err gen_events_add(gen_events *evs, const gen_event *proto, uint32_t ident, int64_t t_ms,
                      gen_act act);
/* A call of a scripted story: its action, dt from the story's moment. */
typedef struct gen_script_call {
    int64_t dt;
    gen_act act;
} gen_script_call;
/* Adds identity ident's calls[0..n) around t_ms, in that order (as gen_events_add). */
tw_err gen_events_add_calls(gen_events *evs, const gen_event *proto, uint32_t ident, int64_t t_ms,
                            const gen_script_call *calls, size_t n);
/* Sorts by time, then identity, then action: each identity's calls are at distinct seconds,
 * so this order is their story's. */
void gen_events_sort(gen_events *evs);
/* The event at *next if it is due by until_ms (and moves *next past it), else NULL. */
const gen_event *gen_events_next(const gen_events *evs, size_t *next, int64_t until_ms);
void gen_events_free(gen_events *evs);

/* Scenario and near-miss events, sorted by time, and their identities. */
typedef struct gen_script {
    gen_events events;
    gen_script_ident idents[GEN_SCRIPT_MAX_NOTES * 2];
    uint32_t ident_count;
    gen_script_note notes[GEN_SCRIPT_MAX_NOTES];
    uint32_t note_count;
    uint32_t first_ident; /* script identity k is identity first_ident + k */
} gen_script;

/* Builds the scripted events. Script identities are numbered from opt->identities. */
tw_err gen_script_build(gen_script *sc, const gen_opts *opt);
void gen_script_free(gen_script *sc);
/* Prints what was injected (identity ARNs need the estate's accounts). */
void gen_script_report(const gen_script *sc, const gen_estate *es, FILE *to);

/* ---- the realistic profile (gen_real_*.c) -------------------------------------------- */

/* Identity classes: each the routine of one kind of identity of a real estate. */
typedef enum gen_rclass {
    GEN_RC_APP_KMS = 0,   /* applications reading (and writing) SSE-KMS buckets */
    GEN_RC_APP_SECRETS,   /* applications reading Secrets Manager secrets, then DynamoDB */
    GEN_RC_ETL,           /* nightly batches that also clean their log streams */
    GEN_RC_LOG_RETENTION, /* a Lambda role deleting old log streams every night */
    GEN_RC_TRAINING,      /* pipelines fine-tuning a model every night */
    GEN_RC_OBSERVABILITY, /* telemetry readers, all day */
    GEN_RC_BEDROCK_APP,   /* applications invoking models from their first hour */
    GEN_RC_BEDROCK_KEY,   /* Bedrock API keys (IAM users BedrockAPIKey-xxxx) */
    GEN_RC_AGENT_RO,      /* AI agents that only read */
    GEN_RC_AGENT_RW,      /* AI agents that read and write */
    GEN_RC_CI,            /* CI/CD deploy roles */
    GEN_RC_DATA_SHARING,  /* a data-sharing team's publisher: org-wide bucket policies */
    GEN_RC_IAM_CONSOLE,   /* people as IAM users at the console (MFA) */
    GEN_RC_IAM_CLI,       /* people as IAM users with the CLI after MFA */
    GEN_RC_IAM_SERVICE,   /* IAM users with long-term keys: backups, file transfers */
    GEN_RC_SSO,           /* AWS SSO permission-set roles, one per set and account */
    GEN_RC_SLR,           /* service-linked roles: AWS acting for itself */
    GEN_RC_COUNT
} gen_rclass;

/* A scenario identity of the realistic profile: a member of an estate class (so it looks
 * like its peers), with what its story fixes. */
typedef struct gen_real_scenario_ident {
    uint8_t flavour;     /* SSO permission set, service-linked role (classes that have one) */
    int8_t ua_family;    /* -1: drawn like its peers' */
    uint32_t account_ix; /* UINT32_MAX: drawn like its peers' */
    uint32_t ordinal;    /* among the scenario identities of its class */
    int64_t from_ms;     /* its routine starts then (its first event may be scripted earlier) */
    int64_t until_ms;    /* and ends then (INT64_MAX: never) */
    double busy;         /* 0: drawn like its peers' */
} gen_real_scenario_ident;

/* Realistic estates keep two more things per identity: its class (1 byte) and its ordinal in
 * the class (people's names come from it), so the run never has to ask a hash twice. */
typedef struct gen_real_estate {
    gen_estate es;
    uint8_t *rclass;                    /* per identity, scenario ones included */
    uint32_t *ordinal;                  /* per identity: its rank in its class */
    uint32_t class_count[GEN_RC_COUNT]; /* estate identities per class */
    uint32_t *by_account;    /* application roles (targets of CI grants), grouped by account */
    uint32_t *account_first; /* accounts + 1 offsets into by_account */
    uint32_t fixed_accounts; /* accounts that have SSO and service-linked roles */
    char org_id[16];         /* "o-" and 10 characters: the organization of every account */
    gen_real_scenario_ident *scenario; /* identities after the estate's (gen_real_script.c) */
    uint32_t scenario_count;
} gen_real_estate;

/* extra: room for that many scenario identities after the estate's. */
tw_err gen_real_estate_init(gen_real_estate *re, const gen_opts *opt, uint32_t extra);
/* The estate's SSO role of a permission set (slr false) or its service-linked role (slr true)
 * in an account; UINT32_MAX when the account has none. */
uint32_t gen_real_fixed_index(const gen_real_estate *re, uint32_t account_ix, bool slr,
                              uint32_t which);
const char *gen_real_permset(uint8_t flavour);
const char *gen_real_slr_session(uint8_t flavour);
/* Whether a person's session epoch of identity id is at the console (else the CLI). */
bool gen_real_console_session(const gen_ident *id, uint64_t epoch);
void gen_real_estate_free(gen_real_estate *re);
/* Describes identity index (estate or scenario); a scenario identity's class comes from
 * re->rclass too (gen_real_estate_init leaves room for extra of them). */
void gen_real_describe(const gen_real_estate *re, uint32_t index, gen_ident *id);
/* A session of a realistic identity: number epoch, started at start_ms. */
void gen_real_session(const gen_ident *id, uint64_t epoch, int64_t start_ms, gen_session *ss);
/* An application role of the account (for CI's grants), chosen by h; UINT32_MAX if none. */
uint32_t gen_real_app_role(const gen_real_estate *re, uint32_t account_ix, uint64_t h);

/* Parameter variants of the realistic profile (gen_event.variant). */
enum {
    GEN_VAR_APP = 0,       /* the usual: an application's grants, deploys, ... */
    GEN_VAR_DENY_INSECURE, /* PutBucketPolicy: Deny of requests without TLS */
    GEN_VAR_ORG_SHARE,     /* PutBucketPolicy: Principal "*" held to the organization */
    GEN_VAR_ADMIN,         /* AttachRolePolicy: AdministratorAccess */
    GEN_VAR_READONLY,      /* AttachRolePolicy: ReadOnlyAccess */
    GEN_VAR_DENY_ALL,      /* Put{Role,User}Policy: the quarantine, Deny "*" on "*" */
    GEN_VAR_SELF_LOCK,     /* PutUserPolicy: a person denies themselves destructive calls */
};

/* How an identity's sessions come (gen_real_routine.c). */
enum {
    GEN_SESS_NONE = 0, /* long-term keys */
    GEN_SESS_CLOCK,    /* a new session every hour, whatever it does (workloads) */
    GEN_SESS_EPISODE,  /* a session an episode (people, CI runs) */
};

/* Where an identity is in its episode. */
typedef struct gen_rstate {
    uint8_t tpl;   /* template */
    uint8_t ph;    /* phase */
    uint16_t left; /* steps left in the phase */
    bool console;  /* SSO: the session is the console's (else the CLI's) */
} gen_rstate;

/* One step of a routine. */
typedef struct gen_real_step {
    gen_act action;
    uint8_t via;     /* GEN_VIA_* */
    uint8_t variant; /* GEN_VAR_* */
    bool target;     /* acts on an application role of the account */
    int64_t gap_ms;  /* until the identity's next step */
} gen_real_step;

int gen_real_session_kind(const gen_ident *id);
double gen_real_busy(const gen_ident *id);
/* When episode ep (1-based) starts, after after_ms. */
int64_t gen_real_next_episode(const gen_ident *id, double busy, uint32_t ep, int64_t after_ms);
/* Begins episode ep; false when it has no step at all. */
bool gen_real_episode_begin(const gen_ident *id, uint32_t ep, bool console, gen_rstate *st);
/* The current step; k counts the identity's steps (the candidate draw). */
void gen_real_episode_step(const gen_ident *id, const gen_rstate *st, uint64_t k,
                           gen_real_step *out);
/* Moves to the next step; false at the end of the episode. */
bool gen_real_episode_advance(const gen_ident *id, uint32_t ep, gen_rstate *st);

/* gen_real_record.c: one record of the realistic profile. Returns true when the call failed
 * (so the records it would have caused, the on-behalf ones, are not written). target is the
 * identity acted on, or NULL. */
bool gen_real_record_write(const gen_real_estate *re, const gen_actor *ac, const gen_ident *target,
                           const gen_event *ev, uint64_t serial, gen_clock *clk, tw_buf *out);

/* gen_real_params.c: the realistic parts of a record (each falls back to the shared shapes). */
void gen_real_params_prepare(gen_call *c, const gen_event *ev, const gen_ident *target);
void gen_real_params_request(const gen_call *c, const gen_event *ev, const gen_ident *target,
                             tw_buf *b);
void gen_real_params_response(const gen_call *c, const gen_event *ev, const gen_ident *target,
                              tw_buf *b);
void gen_real_params_additional(const gen_call *c, const gen_event *ev, tw_buf *b);
/* The S3 bucket and object key a call with randomness r names (shared with gen_params.c, so
 * an on-behalf Decrypt names the object of its GetObject). */
void gen_params_s3_names(const gen_ident *id, uint64_t r, const char *time_iso, bool object,
                         char *bucket, size_t bucket_size, char *key, size_t key_size);

/* gen_real_script.c: drift and look-alikes, and the truth file. */
#define GEN_REAL_MAX_SCENARIO_IDENTS 32
#define GEN_REAL_MAX_SESSIONS 32
#define GEN_REAL_MAX_TRUTH 32
/* Scripted sessions' numbers start here, far from any routine session's. */
#define GEN_REAL_SCRIPT_EPOCH (UINT64_C(1) << 40)

typedef struct gen_real_session_def {
    int64_t start_ms;
    bool console;
} gen_real_session_def;

/* One line of the truth file. */
typedef struct gen_real_truth {
    const char *scenario;
    bool drift;             /* else a look-alike */
    uint32_t ident;         /* the identity; UINT32_MAX: an AWSService principal */
    const char *service;    /* that principal's service (filled at the end of the run) */
    uint32_t account_ix;    /* and its account */
    const char *rules[3];   /* the rules that must fire (drift) or stay quiet (look-alike) */
    const char *expect;     /* "fire", "info" or "silent" */
    const char *severity;   /* a severity the finding must have, or NULL */
    int64_t from_ms, to_ms; /* when the findings are due (or must not come) */
    char note[320];         /* JSON-ready text */
} gen_real_truth;

typedef struct gen_real_script {
    gen_events events; /* sorted by time */
    gen_real_scenario_ident idents[GEN_REAL_MAX_SCENARIO_IDENTS];
    uint32_t ident_count;
    gen_real_session_def sessions[GEN_REAL_MAX_SESSIONS];
    uint32_t session_count;
    gen_real_truth truth[GEN_REAL_MAX_TRUTH];
    uint32_t truth_count;
} gen_real_script;

/* What the run counted, for the truth file. */
typedef struct gen_real_totals {
    uint64_t records;
    uint32_t service_principals; /* AWSService principals (service and account) seen */
} gen_real_totals;

/* Builds the scenarios of opt->scenarios and the look-alikes into sc; their identities join
 * re (which must have room for GEN_REAL_MAX_SCENARIO_IDENTS). */
tw_err gen_real_script_build(gen_real_script *sc, gen_real_estate *re, const gen_opts *opt);
void gen_real_script_free(gen_real_script *sc);
void gen_real_script_report(const gen_real_script *sc, const gen_real_estate *re, FILE *to);
tw_err gen_real_truth_write(const gen_real_script *sc, const gen_real_estate *re,
                            const gen_opts *opt, const gen_real_totals *tot, FILE *f);
const char *gen_real_class_name(gen_rclass rc);

/* gen_real_run.c: the realistic profile's whole run; returns the exit status. */
int gen_real_run(const gen_opts *opt);

/* ---- the run (gen_run.c) -------------------------------------------------------------- */

/* Generates everything; returns the exit status (0, or 1 on an I/O error). */
int gen_run(const gen_opts *opt);
/* Monotonic seconds, for the summary's speed. */
double gen_wall_seconds(void);
/* Sets the actor's caller ARN: the IAM user, or its role's assumed-role session. */
void gen_actor_set_caller(gen_actor *ac);

/* Both runs' actors, direct-mapped by identity: busy identities stay in the cache, so their
 * names and keys are formatted once a session, not once a record. */
typedef struct gen_actor_cache {
    gen_actor *slot;
    uint32_t *held; /* 1 + the identity in each slot; 0: empty */
} gen_actor_cache;

tw_err gen_actor_cache_init(gen_actor_cache *cache);
/* Identity index's slot; *fresh when it held another identity (or none): describe it. */
gen_actor *gen_actor_cache_get(gen_actor_cache *cache, uint32_t index, bool *fresh);
void gen_actor_cache_free(gen_actor_cache *cache);

/* ---- output (gen_sink.c) -------------------------------------------------------------- */

typedef struct gen_sink gen_sink;

tw_err gen_sink_open(gen_sink **sk, const gen_opts *opt, char *errstr, size_t errstr_size);
/* The buffer to append the next record to (account and region matter for s3 only). */
tw_buf *gen_sink_begin(gen_sink *sk, uint32_t account, const char *account_id, uint8_t region,
                       int64_t time_ms);
tw_err gen_sink_end(gen_sink *sk);
/* Generation has reached now_ms: s3 files of periods well behind it can be written. */
tw_err gen_sink_advance(gen_sink *sk, int64_t now_ms);
/* Writes out everything buffered; returns the first error seen. */
tw_err gen_sink_finish(gen_sink *sk);
/* Finishes (if not done) and frees sk; returns the first error seen. NULL-safe. */
tw_err gen_sink_close(gen_sink *sk, char *errstr, size_t errstr_size);
uint64_t gen_sink_bytes(const gen_sink *sk);
uint64_t gen_sink_files(const gen_sink *sk);

/* What both profiles' runs do with a sink; each says on stderr what failed. */
/* Opens the sink of opt. */
tw_err gen_sink_start(gen_sink **sk, const gen_opts *opt);
/* Begins the record of a call of identity id: in its region, or us-east-1 for global
 * services. */
tw_buf *gen_sink_begin_call(gen_sink *sk, const gen_ident *id, const gen_event *ev);
/* Finishes and closes *sk (NULL afterwards) once the run ended with err; gives what it wrote. */
tw_err gen_sink_done(gen_sink **sk, tw_err err, uint64_t *bytes, uint64_t *files);
/* Unless --quiet, sums the run up (extra: more to say after the speed, or ""). */
void gen_sink_report(const gen_opts *opt, uint64_t records, uint64_t bytes, uint64_t files,
                     double seconds, const char *extra);

#endif
