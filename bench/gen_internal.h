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

/* Scenarios (--scenario), one bit each. */
enum {
    GEN_SCN_READ_TO_DESTRUCTIVE = 1u << 0,
    GEN_SCN_TRAINING_TELEMETRY = 1u << 1,
    GEN_SCN_ALL = (1u << 2) - 1,
};

/* Near-misses join the estate only from this many records on: below it they would crowd a
 * tiny sample that someone asked for by size. */
#define GEN_NEAR_MISS_MIN_RECORDS 1000u

/* Largest estate: identity name suffixes are a bijection on 24 bits, so they never collide. */
#define GEN_MAX_IDENTITIES (1u << 24)
#define GEN_MAX_ACCOUNTS 1000u

typedef struct gen_opts {
    uint64_t records;    /* estate records; scripted ones come on top */
    uint32_t identities; /* estate identities; scripted ones come on top */
    uint64_t seed;
    int64_t start_ms;
    int64_t span_ms;
    uint32_t scenarios;  /* GEN_SCN_* */
    int format;          /* GEN_FMT_* */
    const char *out;     /* NULL or "-": stdout (ndjson, zstd); the directory for s3 */
    int zstd_level;
    uint32_t accounts;
    bool quiet;
} gen_opts;

static inline uint64_t gen_mix(uint64_t a, uint64_t b)
{
    return tw_hash_mix(a ^ tw_hash_mix(b + 0x9e3779b97f4a7c15ULL));
}

/* ---- actions (gen_actions.c) ---------------------------------------------------------- */

enum { GEN_K_READ = 0, GEN_K_WRITE = 1, GEN_K_DESTRUCTIVE = 2 };

enum {
    GEN_AF_DATA = 1u << 0,   /* a data event (eventCategory Data, managementEvent false) */
    GEN_AF_GLOBAL = 1u << 1, /* served from us-east-1 whatever the caller's region (IAM) */
    GEN_AF_LOGIN = 1u << 2,  /* signin:ConsoleLogin, an AwsConsoleSignIn event */
    GEN_AF_SERVICE = 1u << 3, /* made by the AWS service that assumes the role (AWSService) */
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
    GEN_ACT_S3_GET_OBJECT, GEN_ACT_S3_HEAD_OBJECT, GEN_ACT_S3_LIST_OBJECTS, GEN_ACT_S3_PUT_OBJECT,
    GEN_ACT_S3_DELETE_OBJECT, GEN_ACT_S3_LIST_BUCKETS, GEN_ACT_S3_GET_BUCKET_POLICY,
    GEN_ACT_S3_GET_BUCKET_LOCATION, GEN_ACT_S3_CREATE_BUCKET, GEN_ACT_S3_DELETE_BUCKET,
    GEN_ACT_EC2_DESCRIBE_INSTANCES, GEN_ACT_EC2_DESCRIBE_SECURITY_GROUPS,
    GEN_ACT_EC2_DESCRIBE_VOLUMES, GEN_ACT_EC2_RUN_INSTANCES, GEN_ACT_EC2_START_INSTANCES,
    GEN_ACT_EC2_STOP_INSTANCES, GEN_ACT_EC2_TERMINATE_INSTANCES, GEN_ACT_EC2_CREATE_TAGS,
    GEN_ACT_IAM_GET_ROLE, GEN_ACT_IAM_LIST_ROLES, GEN_ACT_IAM_LIST_ATTACHED_ROLE_POLICIES,
    GEN_ACT_IAM_ATTACH_ROLE_POLICY,
    GEN_ACT_STS_GET_CALLER_IDENTITY,
    GEN_ACT_LOGS_DESCRIBE_LOG_GROUPS, GEN_ACT_LOGS_DESCRIBE_LOG_STREAMS,
    GEN_ACT_LOGS_FILTER_LOG_EVENTS, GEN_ACT_LOGS_GET_LOG_EVENTS, GEN_ACT_LOGS_START_QUERY,
    GEN_ACT_LOGS_GET_QUERY_RESULTS, GEN_ACT_LOGS_CREATE_LOG_STREAM,
    GEN_ACT_CW_GET_METRIC_DATA, GEN_ACT_CW_LIST_METRICS, GEN_ACT_CW_DESCRIBE_ALARMS,
    GEN_ACT_CW_GET_METRIC_STATISTICS,
    GEN_ACT_BR_INVOKE_MODEL, GEN_ACT_BR_INVOKE_MODEL_STREAM, GEN_ACT_BR_CONVERSE,
    GEN_ACT_BR_CONVERSE_STREAM, GEN_ACT_BR_LIST_FOUNDATION_MODELS, GEN_ACT_BR_GET_FOUNDATION_MODEL,
    GEN_ACT_BR_CREATE_CUSTOMIZATION_JOB, GEN_ACT_BR_GET_CUSTOMIZATION_JOB,
    GEN_ACT_BR_LIST_CUSTOM_MODELS,
    GEN_ACT_MANTLE_CREATE_FINE_TUNING_JOB,
    GEN_ACT_SM_LIST_TRAINING_JOBS, GEN_ACT_SM_DESCRIBE_TRAINING_JOB, GEN_ACT_SM_CREATE_TRAINING_JOB,
    GEN_ACT_SM_DESCRIBE_ENDPOINT, GEN_ACT_SM_LIST_MODELS,
    GEN_ACT_DDB_DESCRIBE_TABLE, GEN_ACT_DDB_LIST_TABLES, GEN_ACT_DDB_GET_ITEM, GEN_ACT_DDB_QUERY,
    GEN_ACT_DDB_SCAN, GEN_ACT_DDB_PUT_ITEM, GEN_ACT_DDB_UPDATE_ITEM, GEN_ACT_DDB_BATCH_WRITE_ITEM,
    GEN_ACT_DDB_DELETE_ITEM, GEN_ACT_DDB_DELETE_TABLE,
    GEN_ACT_LAMBDA_LIST_FUNCTIONS, GEN_ACT_LAMBDA_GET_FUNCTION, GEN_ACT_LAMBDA_UPDATE_CODE,
    GEN_ACT_LAMBDA_UPDATE_CONFIG, GEN_ACT_LAMBDA_DELETE_FUNCTION,
    GEN_ACT_KMS_DECRYPT, GEN_ACT_KMS_GENERATE_DATA_KEY,
    GEN_ACT_CFN_DESCRIBE_STACKS, GEN_ACT_CFN_CREATE_CHANGE_SET, GEN_ACT_CFN_DESCRIBE_CHANGE_SET,
    GEN_ACT_CFN_EXECUTE_CHANGE_SET, GEN_ACT_CFN_DELETE_STACK,
    GEN_ACT_RDS_DESCRIBE_DB_INSTANCES, GEN_ACT_RDS_DELETE_DB_INSTANCE,
    GEN_ACT_CT_LOOKUP_EVENTS, GEN_ACT_CT_DESCRIBE_TRAILS, GEN_ACT_CT_GET_TRAIL_STATUS,
    GEN_ACT_SIGNIN_CONSOLE_LOGIN, GEN_ACT_STS_ASSUME_ROLE_BY_SERVICE,
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
    uint8_t profile;      /* gen_profile */
    uint8_t region;       /* home region, index into gen_regions[] */
    bool iam_user;        /* IAMUser; else an assumed role */
    bool console;         /* its sessions come from the console (sessionCredentialFromConsole) */
    bool bearer;          /* Bedrock API key: callWithBearerToken */
    uint32_t ua_family;   /* which of its profile's user agents (also picks session naming) */
    uint64_t h;           /* every stable choice about the identity derives from it */
    uint32_t account_ix;  /* index of its account */
    const char *account;  /* 12 digits */
    const char *path;     /* role path: "/", "/service-role/", ... */
    const char *user_agent;
    char name[80];        /* role or user name */
    char unique_id[24];   /* AROA... or AIDA... */
    char access_key[24];  /* AKIA... (IAM users; roles get one per session) */
    char ip[16];
    bool tls12;           /* an old SDK that still negotiates TLS 1.2 */
    const char *assumed_by; /* the AWS service that assumes the role ("lambda.amazonaws.com"),
                             * or NULL */
    int64_t session_ms;   /* how long its sessions last */
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
    uint32_t identities;         /* estate identities; script ones are numbered after them */
    uint32_t accounts;
    char (*account_ids)[13];
    const gen_script_ident *script;
    uint32_t script_count;
} gen_estate;

extern const char *const gen_regions[];
#define GEN_REGION_US_EAST_1 0

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
} gen_session;

void gen_session_at(const gen_ident *id, int64_t t_ms, gen_session *ss);
/* Just the session number at t (0 for long-term keys): cheap, to spot a new session. */
uint64_t gen_session_epoch(const gen_ident *id, int64_t t_ms);

/* Writes "arn:aws:iam::ACCOUNT:role/PATH/NAME" or ".../user/NAME" into buf. */
size_t gen_ident_arn(const gen_ident *id, char *buf, size_t size);

/* ---- records (gen_record.c) ----------------------------------------------------------- */

enum {
    GEN_EV_NO_ERROR = 1u << 0, /* scripted calls must succeed: the rules key on success */
};

typedef struct gen_event {
    int64_t time_ms;
    uint32_t ident;
    uint16_t action; /* gen_act */
    uint16_t flags;  /* GEN_EV_* */
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

#define GEN_CLOCK_INIT { INT64_MIN, "" }
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
    int64_t t_ms;        /* whole seconds */
    char time_iso[32];   /* eventTime */
    uint64_t r;          /* per-record randomness */
    bool error;
    char res[96];        /* the action's main resource: bucket, table, function, ... */
    char sub[128];       /* its part: object key, log stream, ... */
} gen_call;

/* gen_params.c: fills c->res and c->sub for the action; writes requestParameters' value. */
void gen_params_prepare(gen_call *c);
void gen_params_request(const gen_call *c, tw_buf *b);
/* gen_replies.c: the responseElements value. */
void gen_params_response(const gen_call *c, tw_buf *b);
/* Writes ,"additionalEventData":{...} when the action has any. */
void gen_params_additional(const gen_call *c, tw_buf *b);
/* Writes ,"resources":[...] when the action names any. */
void gen_params_resources(const gen_call *c, tw_buf *b);

#define GEN_PUT(b, lit) tw_buf_put((b), (lit), sizeof(lit) - 1)
/* "arn:aws:iam::ACCOUNT:role/" + role, in the caller's account. */
void gen_put_role_arn(const gen_call *c, tw_buf *b, const char *role);
/* The caller's own role ARN, path included. */
void gen_put_issuer_arn(const gen_call *c, tw_buf *b);
void gen_put_uuid(tw_buf *b, uint64_t h);
void gen_put_hex(tw_buf *b, uint64_t v, int digits, bool upper);

/* ---- scripts (gen_script.c) ----------------------------------------------------------- */

/* One line of the stderr summary: what was injected, by whom, when. */
typedef struct gen_script_note {
    const char *what;   /* "scenario read-to-destructive", "near-miss etl-hourly" */
    uint32_t ident;     /* script identity (0-based) */
    uint32_t ident2;    /* a second one, or UINT32_MAX */
    int64_t time_ms;    /* the decisive event */
    char detail[192];
    const char *expect; /* the rule id that must fire, or NULL: nothing may fire */
} gen_script_note;

#define GEN_SCRIPT_MAX_NOTES 16

/* Scenario and near-miss events, sorted by time, and their identities. */
typedef struct gen_script {
    gen_event *ev;
    size_t count;
    size_t cap;
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

/* ---- the run (gen_run.c) -------------------------------------------------------------- */

/* Generates everything; returns the exit status (0, or 1 on an I/O error). */
int gen_run(const gen_opts *opt);

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

#endif
