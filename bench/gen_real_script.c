/* gen_real_script: the drift and the look-alikes injected into the realistic estate, and the
 * truth file that lists them (--truth).
 *
 * Every scenario identity is a member of an estate class (its name, account, user agent and
 * routine are its peers'), so it does not stand out by name; people who act in a scenario
 * (an SSO administrator, a security admin) are the estate's own permission-set roles when the
 * account has them. A scenario adds scripted calls to the routine at fixed times, scaled to
 * the span (a 14-day and a 30-day trail put them on different days; the truth file says
 * which). Drift must be found; look-alikes are routine that a naive rule mistakes for drift
 * and must stay silent (no finding of Medium or more of the rules listed), or, for a training
 * pipeline's nightly job, be at most an informational record. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"
#include "tw_time.h"

#define NO_TARGET 0u

static tw_err add_event(gen_real_script *sc, uint32_t ident, int64_t t_ms, gen_act act,
                        const gen_event *proto)
{
    return gen_events_add(&sc->events, proto, ident, t_ms, act);
}

/* A scenario identity of class rc; returns its index. */
static uint32_t add_ident(gen_real_script *sc, gen_real_estate *re, gen_rclass rc, int ua_family,
                          uint32_t account_ix, int64_t from_ms, int64_t until_ms)
{
    assert(sc->ident_count < GEN_REAL_MAX_SCENARIO_IDENTS);
    uint32_t k = sc->ident_count++;
    uint32_t same = 0;
    for (uint32_t j = 0; j < k; j++)
        same += re->rclass[re->es.identities + j] == rc;
    sc->idents[k] = (gen_real_scenario_ident){ .ua_family = (int8_t)ua_family,
                                               .account_ix = account_ix,
                                               .ordinal = same,
                                               .from_ms = from_ms,
                                               .until_ms = until_ms,
                                               .busy = 1.0 };
    re->rclass[re->es.identities + k] = (uint8_t)rc;
    re->scenario = sc->idents;
    re->scenario_count = sc->ident_count;
    return re->es.identities + k;
}

/* The account's SSO role of a permission set: the estate's, or (estates too small to have
 * one) a scenario identity of the same name. */
static uint32_t sso_role(gen_real_script *sc, gen_real_estate *re, uint32_t account_ix,
                         uint8_t permset, int64_t start_ms)
{
    uint32_t ix = gen_real_fixed_index(re, account_ix, false, permset);
    if (ix != UINT32_MAX)
        return ix;
    ix = add_ident(sc, re, GEN_RC_SSO, -1, account_ix, start_ms, start_ms);
    sc->idents[ix - re->es.identities].flavour = permset;
    return ix;
}

/* A scripted session of a person or a CI run (its number for gen_event.session). */
static uint32_t add_session(gen_real_script *sc, int64_t start_ms, bool console)
{
    assert(sc->session_count < GEN_REAL_MAX_SESSIONS);
    sc->sessions[sc->session_count] = (gen_real_session_def){ start_ms, console };
    return ++sc->session_count;
}

static gen_real_truth *add_truth(gen_real_script *sc, const char *scenario, bool drift,
                                 uint32_t ident, const char *expect, int64_t from, int64_t to)
{
    assert(sc->truth_count < GEN_REAL_MAX_TRUTH);
    gen_real_truth *t = &sc->truth[sc->truth_count++];
    *t = (gen_real_truth){ .scenario = scenario,
                           .drift = drift,
                           .ident = ident,
                           .expect = expect,
                           .from_ms = from,
                           .to_ms = to };
    return t;
}

static void set_rules(gen_real_truth *t, const char *a, const char *b, const char *c)
{
    t->rules[0] = a;
    t->rules[1] = b;
    t->rules[2] = c;
}

typedef struct plan {
    const gen_opts *opt;
    gen_real_estate *re;
    gen_real_script *sc;
    int64_t day0;   /* midnight (UTC) of the first day */
    int64_t end_ms; /* the span's end */
    double days;
    uint32_t next_account;
} plan;

static int64_t at(const plan *p, double day, int hh, int mm)
{
    int64_t t = p->day0 + (int64_t)(day * (double)TW_MS_DAY) + hh * TW_MS_HOUR + mm * TW_MS_MINUTE;
    if (t < p->opt->start_ms)
        t = p->opt->start_ms + 90 * TW_MS_MINUTE;
    if (t > p->end_ms - 2 * TW_MS_HOUR)
        t = p->end_ms - 2 * TW_MS_HOUR;
    return t;
}

/* A scenario day: round(frac * days) held to [lo, days - margin] (short spans scale down). */
static double day_of(const plan *p, double frac, double lo, double margin)
{
    double d = (double)(int64_t)(frac * p->days + 0.5);
    if (d < lo)
        d = lo;
    if (d > p->days - margin)
        d = p->days - margin;
    if (d < 0)
        d = 0;
    return d;
}

/* Scenario accounts go round the estate's accounts; those that need the people of an account
 * take one with SSO roles. */
static uint32_t next_account(plan *p)
{
    return (uint32_t)((p->opt->seed + p->next_account++) % p->opt->accounts);
}

static uint32_t sso_account(plan *p)
{
    uint32_t fixed = p->re->fixed_accounts;
    if (!fixed)
        return next_account(p);
    return (uint32_t)((p->opt->seed + p->next_account++) % fixed);
}

#define EV(...) (&(gen_event){ __VA_ARGS__ })
#define TRY(x)             \
    do {                   \
        tw_err err_ = (x); \
        if (err_)          \
            return err_;   \
    } while (0)

/* A member of class rc in account acct, part of the estate from the start. */
static uint32_t add_member_in(plan *p, gen_rclass rc, int ua_family, uint32_t acct)
{
    return add_ident(p->sc, p->re, rc, ua_family, acct, p->opt->start_ms, INT64_MAX);
}

/* The same in the next scenario account. */
static uint32_t add_member(plan *p, gen_rclass rc, int ua_family)
{
    return add_member_in(p, rc, ua_family, next_account(p));
}

/* ident's calls around t_ms, each a copy of proto. */
static tw_err add_calls(gen_real_script *sc, uint32_t ident, const gen_event *proto, int64_t t_ms,
                        const gen_script_call *calls, size_t n)
{
    return gen_events_add_calls(&sc->events, proto, ident, t_ms, calls, n);
}

/* n calls of ident from t_ms, one every every_ms, going round pool[0..pool_n). */
static tw_err add_round(gen_real_script *sc, uint32_t ident, const gen_event *proto, int64_t t_ms,
                        int64_t every_ms, int n, const gen_act *pool, size_t pool_n)
{
    for (int j = 0; j < n; j++)
        TRY(add_event(sc, ident, t_ms + j * every_ms, pool[j % pool_n], proto));
    return TW_OK;
}

/* ---- drift --------------------------------------------------------------------------- */

/* An AI agent reads SSE-KMS data for days (S3 decrypts for it), then deletes. */
static tw_err drift_agent_delete(plan *p)
{
    gen_real_script *sc = p->sc;
    double d = day_of(p, 0.7, 8, 2);
    int64_t t = at(p, d, 14, 20);
    uint32_t a = add_member(p, GEN_RC_AGENT_RO, (int)(p->opt->seed % 2));
    sc->idents[a - p->re->es.identities].busy = 1.5;
    static const gen_act reads[] = { GEN_ACT_S3_GET_OBJECT, GEN_ACT_S3_LIST_OBJECTS,
                                     GEN_ACT_S3_GET_OBJECT, GEN_ACT_BR_CONVERSE,
                                     GEN_ACT_S3_GET_OBJECT, GEN_ACT_S3_HEAD_OBJECT };
    static const gen_script_call deletes[] = { { 0, GEN_ACT_S3_DELETE_OBJECT },
                                               { 40 * TW_MS_SECOND, GEN_ACT_S3_DELETE_OBJECT },
                                               { 80 * TW_MS_SECOND, GEN_ACT_S3_DELETE_OBJECT },
                                               { 3 * TW_MS_MINUTE, GEN_ACT_S3_DELETE_BUCKET } };
    TRY(add_round(sc, a, NULL, t - 3 * TW_MS_HOUR, 14 * TW_MS_MINUTE, 12, reads, GEN_N_OF(reads)));
    TRY(add_calls(sc, a, NULL, t, deletes, GEN_N_OF(deletes)));
    gen_real_truth *tr = add_truth(sc, "agent-kms-read-then-delete", true, a, "fire",
                                   t - TW_MS_MINUTE, t + TW_MS_HOUR);
    set_rules(tr, "agent-read-to-destructive", NULL, NULL);
    snprintf(
        tr->note, sizeof tr->note,
        "AI agent (%s) reading SSE-KMS objects since day 0 (each GetObject with the kms:Decrypt "
        "S3 makes for it), then s3:DeleteObject x3 and s3:DeleteBucket on day %.0f",
        p->opt->seed % 2 ? "langchain" : "strands-agents", d);
    return TW_OK;
}

/* A log-retention job, that deletes log streams every night, stops the CloudTrail trail. */
static tw_err drift_retention_trail(plan *p)
{
    gen_real_script *sc = p->sc;
    double d = day_of(p, 0.55, 8, 2);
    int64_t t = at(p, d, 5, 40);
    uint32_t a = add_member(p, GEN_RC_LOG_RETENTION, -1);
    static const gen_script_call calls[] = { { -4 * TW_MS_MINUTE, GEN_ACT_CT_DESCRIBE_TRAILS },
                                             { -2 * TW_MS_MINUTE, GEN_ACT_CT_GET_TRAIL_STATUS },
                                             { 0, GEN_ACT_CT_STOP_LOGGING } };
    TRY(add_calls(sc, a, NULL, t, calls, GEN_N_OF(calls)));
    gen_real_truth *tr = add_truth(sc, "log-retention-stops-trail", true, a, "fire",
                                   t - TW_MS_MINUTE, t + TW_MS_HOUR);
    set_rules(tr, "logging-tampered", NULL, NULL);
    snprintf(tr->note, sizeof tr->note,
             "log-retention Lambda role (deletes log streams every night) calls "
             "cloudtrail:StopLogging on day %.0f",
             d);
    return TW_OK;
}

/* A human SSO admin grants AdministratorAccess to an application role on day 1; the role
 * keeps working without privileged calls; a week and more later it creates a user. */
static tw_err drift_dormant_admin(plan *p)
{
    gen_real_script *sc = p->sc;
    uint32_t acct = sso_account(p);
    int64_t t = at(p, 1, 10, 20);
    uint32_t role = add_member_in(p, GEN_RC_APP_KMS, -1, acct);
    uint32_t admin = sso_role(sc, p->re, acct, GEN_PERMSET_ADMIN, p->opt->start_ms);
    uint32_t s = add_session(sc, t - 9 * TW_MS_MINUTE, true);
    TRY(add_event(sc, admin, t - 8 * TW_MS_MINUTE, GEN_ACT_SIGNIN_CONSOLE_LOGIN, EV(.session = s)));
    static const gen_act reads[] = { GEN_ACT_IAM_LIST_ROLES, GEN_ACT_EC2_DESCRIBE_INSTANCES,
                                     GEN_ACT_IAM_LIST_ROLES, GEN_ACT_S3_LIST_BUCKETS };
    TRY(add_round(sc, admin, EV(.session = s), t - 7 * TW_MS_MINUTE, TW_MS_MINUTE, 4, reads,
                  GEN_N_OF(reads)));
    TRY(add_event(sc, admin, t - 2 * TW_MS_MINUTE, GEN_ACT_IAM_GET_ROLE,
                  EV(.session = s, .target = role + 1)));
    TRY(add_event(sc, admin, t, GEN_ACT_IAM_ATTACH_ROLE_POLICY,
                  EV(.session = s, .target = role + 1, .variant = GEN_VAR_ADMIN)));
    TRY(add_event(sc, admin, t + TW_MS_MINUTE, GEN_ACT_IAM_LIST_ATTACHED_ROLE_POLICIES,
                  EV(.session = s, .target = role + 1)));
    double dc = 1 + (p->days * 0.4 > 9 ? (double)(int64_t)(p->days * 0.4 + 0.5) : 9);
    if (dc > p->days - 1)
        dc = p->days - 1;
    int64_t tc = at(p, dc, 15, 40);
    static const gen_script_call uses[] = { { -2 * TW_MS_MINUTE, GEN_ACT_STS_GET_CALLER_IDENTITY },
                                            { 0, GEN_ACT_IAM_CREATE_USER } };
    TRY(add_calls(sc, role, NULL, tc, uses, GEN_N_OF(uses)));
    gen_real_truth *tr =
        add_truth(sc, "dormant-admin-grant-used", true, role, "fire", t, tc + TW_MS_HOUR);
    set_rules(tr, "unused-privileged-grant", "dormant-privilege-used", NULL);
    snprintf(tr->note, sizeof tr->note,
             "AdministratorAccess attached to this application role by a human SSO admin on day 1; "
             "the role keeps reading and writing (nothing privileged), then calls iam:CreateUser "
             "on day %.0f (%.1f days later; harness: --unused-after 7d)",
             dc, (double)(tc - t) / (double)TW_MS_DAY);
    tr = add_truth(sc, "dormant-admin-grant-used", true, admin, "fire", t - TW_MS_MINUTE,
                   t + TW_MS_HOUR);
    set_rules(tr, "admin-policy-attached", NULL, NULL);
    snprintf(tr->note, sizeof tr->note,
             "the human SSO admin who attached AdministratorAccess to an application role");
    return TW_OK;
}

/* A telemetry reader starts its first fine-tuning job, a week and more into the trail. */
static tw_err drift_observability_training(plan *p)
{
    gen_real_script *sc = p->sc;
    double d = day_of(p, 0.6, 11, 1);
    int64_t t = at(p, d, 13, 5);
    uint32_t a = add_member(p, GEN_RC_OBSERVABILITY, -1);
    static const gen_script_call calls[] = {
        { -7 * TW_MS_MINUTE, GEN_ACT_BR_LIST_FOUNDATION_MODELS },
        { -5 * TW_MS_MINUTE, GEN_ACT_S3_LIST_OBJECTS },
        { -4 * TW_MS_MINUTE, GEN_ACT_S3_GET_OBJECT },
        { 0, GEN_ACT_BR_CREATE_CUSTOMIZATION_JOB },
        { 20 * TW_MS_MINUTE, GEN_ACT_BR_GET_CUSTOMIZATION_JOB },
        { 50 * TW_MS_MINUTE, GEN_ACT_BR_GET_CUSTOMIZATION_JOB },
    };
    TRY(add_calls(sc, a, NULL, t, calls, GEN_N_OF(calls)));
    gen_real_truth *tr = add_truth(sc, "observability-role-first-fine-tuning", true, a, "fire",
                                   t - TW_MS_MINUTE, t + 3 * TW_MS_HOUR);
    set_rules(tr, "model-customization", "training-telemetry-combined", NULL);
    tr->severity = "High";
    snprintf(tr->note, sizeof tr->note,
             "observability role (reads telemetry all day since day 0) starts its first "
             "bedrock:CreateModelCustomizationJob on day %.0f: model-customization must be High "
             "(drift), and training plus telemetry within 24h is training-telemetry-combined",
             d);
    return TW_OK;
}

/* A new identity probes Bedrock and enables model access, then invokes days later. */
static tw_err drift_llm_jacking(plan *p)
{
    gen_real_script *sc = p->sc;
    double d = p->days >= 26 ? 20 : p->days >= 12 ? 10 : (double)(int64_t)(0.6 * p->days);
    double later = p->days - d - 1 < 5 ? p->days - d - 1 : 5;
    if (later < 0)
        later = 0;
    int64_t t = at(p, d, 9, 12), ti = at(p, d + later, 10, 30);
    uint32_t a =
        add_ident(sc, p->re, GEN_RC_IAM_SERVICE, 1, next_account(p), t + 2 * TW_MS_HOUR, INT64_MAX);
    static const gen_script_call probes[] = {
        { 0, GEN_ACT_BR_LIST_FOUNDATION_MODELS },
        { 1 * TW_MS_MINUTE, GEN_ACT_BR_GET_MODEL_AVAILABILITY },
        { 2 * TW_MS_MINUTE, GEN_ACT_BR_GET_MODEL_AVAILABILITY },
        { 4 * TW_MS_MINUTE, GEN_ACT_BR_PUT_USE_CASE },
        { 6 * TW_MS_MINUTE, GEN_ACT_BR_LIST_FOUNDATION_MODELS },
    };
    static const gen_act invokes[] = { GEN_ACT_BR_INVOKE_MODEL, GEN_ACT_BR_INVOKE_MODEL,
                                       GEN_ACT_BR_CONVERSE };
    TRY(add_calls(sc, a, NULL, t, probes, GEN_N_OF(probes)));
    TRY(add_round(sc, a, NULL, ti, 3 * TW_MS_MINUTE, 12, invokes, GEN_N_OF(invokes)));
    gen_real_truth *tr = add_truth(sc, "new-identity-llm-jacking", true, a, "fire", t,
                                   ti + 36 * TW_MS_MINUTE + TW_MS_HOUR);
    set_rules(tr, "llm-jacking", NULL, NULL);
    snprintf(tr->note, sizeof tr->note,
             "IAM user first seen on day %.0f: ListFoundationModels, "
             "GetFoundationModelAvailability, PutUseCaseForModelAccess; invokes models %.0f days "
             "later",
             d, later);
    return TW_OK;
}

/* A role that never trained nor read telemetry does both within hours. */
static tw_err drift_training_telemetry(plan *p)
{
    gen_real_script *sc = p->sc;
    double d = day_of(p, 0.45, 9, 1);
    int64_t t = at(p, d, 11, 0);
    uint32_t a = add_member(p, GEN_RC_APP_KMS, -1);
    gen_act train = p->opt->seed % 3 == 2 ? GEN_ACT_MANTLE_CREATE_FINE_TUNING_JOB
                                          : GEN_ACT_BR_CREATE_CUSTOMIZATION_JOB;
    const gen_script_call calls[] = {
        { 0, train },
        { 20 * TW_MS_MINUTE, GEN_ACT_BR_LIST_CUSTOMIZATION_JOBS },
        { 2 * TW_MS_HOUR, GEN_ACT_LOGS_FILTER_LOG_EVENTS },
        { 2 * TW_MS_HOUR + 3 * TW_MS_MINUTE, GEN_ACT_LOGS_GET_LOG_EVENTS },
        { 2 * TW_MS_HOUR + 6 * TW_MS_MINUTE, GEN_ACT_CW_GET_METRIC_DATA },
    };
    TRY(add_calls(sc, a, NULL, t, calls, GEN_N_OF(calls)));
    gen_real_truth *tr = add_truth(sc, "first-training-with-telemetry", true, a, "fire",
                                   t - TW_MS_MINUTE, t + 3 * TW_MS_HOUR);
    set_rules(tr, "training-telemetry-combined", "model-customization", NULL);
    snprintf(tr->note, sizeof tr->note,
             "application role that never trained nor read telemetry: %s on day %.0f, then "
             "logs:FilterLogEvents, logs:GetLogEvents, cloudwatch:GetMetricData 2h later",
             gen_actions[train].iam, d);
    return TW_OK;
}

/* ---- look-alikes --------------------------------------------------------------------- */

static tw_err like_agent_write(plan *p)
{
    gen_real_script *sc = p->sc;
    double d = day_of(p, 0.5, 7, 2);
    int64_t t = at(p, d, 15, 10);
    uint32_t a = add_member(p, GEN_RC_AGENT_RO, 1 - (int)(p->opt->seed % 2));
    sc->idents[a - p->re->es.identities].busy = 1.5;
    static const gen_act reads[] = { GEN_ACT_S3_GET_OBJECT, GEN_ACT_S3_GET_OBJECT,
                                     GEN_ACT_S3_GET_OBJECT, GEN_ACT_S3_LIST_OBJECTS };
    static const gen_script_call writes[] = { { 0, GEN_ACT_S3_PUT_OBJECT },
                                              { TW_MS_MINUTE, GEN_ACT_S3_PUT_OBJECT },
                                              { 2 * TW_MS_MINUTE, GEN_ACT_DDB_PUT_ITEM } };
    TRY(add_round(sc, a, NULL, t - 2 * TW_MS_HOUR, 11 * TW_MS_MINUTE, 10, reads, GEN_N_OF(reads)));
    TRY(add_calls(sc, a, NULL, t, writes, GEN_N_OF(writes)));
    gen_real_truth *tr = add_truth(sc, "agent-kms-read-then-write", false, a, "silent",
                                   t - TW_MS_MINUTE, t + TW_MS_HOUR);
    set_rules(tr, "agent-read-to-destructive", NULL, NULL);
    snprintf(tr->note, sizeof tr->note,
             "AI agent reading SSE-KMS data (with S3's Decrypts), then s3:PutObject (with S3's "
             "GenerateDataKey) and dynamodb:PutItem on day %.0f: writes, no delete",
             d);
    return TW_OK;
}

static tw_err like_log_retention(plan *p)
{
    uint32_t a = add_member(p, GEN_RC_LOG_RETENTION, -1);
    gen_real_truth *tr =
        add_truth(p->sc, "log-retention-job", false, a, "silent", p->opt->start_ms, p->end_ms);
    set_rules(tr, "logging-tampered", "agent-read-to-destructive", NULL);
    snprintf(tr->note, sizeof tr->note,
             "Lambda role deleting old log streams (logs:DeleteLogStream) and setting retention "
             "every night: housekeeping, not tampering");
    return TW_OK;
}

static tw_err like_failed_trail_calls(plan *p)
{
    gen_real_script *sc = p->sc;
    double d = day_of(p, 0.35, 3, 2);
    int64_t t = at(p, d, 11, 0);
    uint32_t a = add_member(p, GEN_RC_CI, 1);
    uint32_t s = add_session(sc, t - 3 * TW_MS_MINUTE, false);
    TRY(add_event(sc, a, t - 2 * TW_MS_MINUTE, GEN_ACT_CT_DESCRIBE_TRAILS, EV(.session = s)));
    TRY(add_event(sc, a, t, GEN_ACT_CT_UPDATE_TRAIL,
                  EV(.session = s, .err = GEN_ERR_TRAIL_NOT_FOUND)));
    TRY(add_event(sc, a, t + 2 * TW_MS_MINUTE, GEN_ACT_EC2_DELETE_FLOW_LOGS,
                  EV(.session = s, .err = GEN_ERR_INVALID_PARAMETER)));
    gen_real_truth *tr = add_truth(sc, "pipeline-failed-trail-and-flow-log-calls", false, a,
                                   "silent", t - TW_MS_MINUTE, t + TW_MS_HOUR);
    set_rules(tr, "logging-tampered", NULL, NULL);
    snprintf(tr->note, sizeof tr->note,
             "Terraform pipeline: cloudtrail:UpdateTrail failed with TrailNotFoundException and "
             "ec2:DeleteFlowLogs failed with Client.InvalidParameterValue on day %.0f: changed "
             "nothing (at most Low)",
             d);
    return TW_OK;
}

static tw_err like_org_bucket_policy(plan *p)
{
    gen_real_script *sc = p->sc;
    double d = day_of(p, 0.25, 2, 2);
    int64_t t = at(p, d, 10, 0);
    uint32_t a = add_member(p, GEN_RC_DATA_SHARING, -1);
    uint32_t s = add_session(sc, t - 2 * TW_MS_MINUTE, false);
    TRY(add_event(sc, a, t - TW_MS_MINUTE, GEN_ACT_S3_GET_BUCKET_POLICY, EV(.session = s)));
    TRY(add_event(sc, a, t, GEN_ACT_S3_PUT_BUCKET_POLICY,
                  EV(.session = s, .variant = GEN_VAR_ORG_SHARE)));
    gen_real_truth *tr =
        add_truth(sc, "org-shared-bucket-policy", false, a, "silent", p->opt->start_ms, p->end_ms);
    set_rules(tr, "resource-shared-out", NULL, NULL);
    snprintf(tr->note, sizeof tr->note,
             "data-sharing team's routine s3:PutBucketPolicy: Principal \\\"*\\\" held to the "
             "organization by aws:PrincipalOrgID, plus a Deny of insecure transport");
    return TW_OK;
}

static tw_err like_quarantine(plan *p)
{
    gen_real_script *sc = p->sc;
    uint32_t acct = sso_account(p);
    double d = day_of(p, 0.4, 5, 2);
    int64_t t = at(p, d, 16, 5);
    uint32_t sec = sso_role(sc, p->re, acct, GEN_PERMSET_SECURITY, p->opt->start_ms);
    uint32_t bad_role = add_ident(sc, p->re, GEN_RC_APP_KMS, -1, acct, p->opt->start_ms, t);
    uint32_t bad_user = add_ident(sc, p->re, GEN_RC_IAM_SERVICE, -1, acct, p->opt->start_ms, t);
    uint32_t s = add_session(sc, t - 8 * TW_MS_MINUTE, true);
    static const gen_script_call looks[] = { { -7 * TW_MS_MINUTE, GEN_ACT_SIGNIN_CONSOLE_LOGIN },
                                             { -5 * TW_MS_MINUTE, GEN_ACT_CT_LOOKUP_EVENTS },
                                             { -4 * TW_MS_MINUTE, GEN_ACT_IAM_LIST_USERS } };
    TRY(add_calls(sc, sec, EV(.session = s), t, looks, GEN_N_OF(looks)));
    TRY(add_event(sc, sec, t - 2 * TW_MS_MINUTE, GEN_ACT_IAM_GET_ROLE,
                  EV(.session = s, .target = bad_role + 1)));
    TRY(add_event(sc, sec, t, GEN_ACT_IAM_PUT_ROLE_POLICY,
                  EV(.session = s, .target = bad_role + 1, .variant = GEN_VAR_DENY_ALL)));
    TRY(add_event(sc, sec, t + 2 * TW_MS_MINUTE, GEN_ACT_IAM_PUT_USER_POLICY,
                  EV(.session = s, .target = bad_user + 1, .variant = GEN_VAR_DENY_ALL)));
    gen_real_truth *tr = add_truth(sc, "deny-all-quarantine", false, sec, "silent",
                                   t - TW_MS_MINUTE, t + TW_MS_HOUR);
    set_rules(tr, "admin-policy-attached", "self-privilege-escalation", NULL);
    snprintf(tr->note, sizeof tr->note,
             "security admin (SSO) quarantines a role (PutRolePolicy) and a user (PutUserPolicy) "
             "with an inline Deny of \\\"*\\\" on \\\"*\\\" on day %.0f: grants nothing",
             d);
    tr = add_truth(sc, "deny-all-quarantine", false, bad_role, "silent", t, p->end_ms);
    set_rules(tr, "unused-privileged-grant", NULL, NULL);
    snprintf(tr->note, sizeof tr->note, "the quarantined role: a Deny is no grant");
    tr = add_truth(sc, "deny-all-quarantine", false, bad_user, "silent", t, p->end_ms);
    set_rules(tr, "unused-privileged-grant", NULL, NULL);
    snprintf(tr->note, sizeof tr->note, "the quarantined user: a Deny is no grant");
    return TW_OK;
}

static tw_err like_self_lock(plan *p)
{
    gen_real_script *sc = p->sc;
    double d = day_of(p, 0.3, 3, 2);
    int64_t t = at(p, d, 10, 30);
    uint32_t a = add_member(p, GEN_RC_IAM_CLI, -1);
    uint32_t s = add_session(sc, t - 3 * TW_MS_MINUTE, false);
    TRY(add_event(sc, a, t - 2 * TW_MS_MINUTE, GEN_ACT_STS_GET_SESSION_TOKEN, EV(.session = s)));
    TRY(add_event(sc, a, t - TW_MS_MINUTE, GEN_ACT_STS_GET_CALLER_IDENTITY, EV(.session = s)));
    TRY(add_event(sc, a, t, GEN_ACT_IAM_PUT_USER_POLICY,
                  EV(.session = s, .variant = GEN_VAR_SELF_LOCK)));
    TRY(add_event(sc, a, t + 2 * TW_MS_MINUTE, GEN_ACT_S3_LIST_OBJECTS, EV(.session = s)));
    gen_real_truth *tr =
        add_truth(sc, "iam-user-locks-own-user", false, a, "silent", t - TW_MS_MINUTE, p->end_ms);
    set_rules(tr, "self-privilege-escalation", "admin-policy-attached", "unused-privileged-grant");
    snprintf(tr->note, sizeof tr->note,
             "a person (IAM user, CLI with MFA) puts an inline Deny of destructive actions on "
             "their own user on day %.0f",
             d);
    return TW_OK;
}

static tw_err like_admin_stops_instance(plan *p)
{
    gen_real_script *sc = p->sc;
    uint32_t acct = sso_account(p);
    double d = day_of(p, 0.65, 4, 2);
    int64_t t = at(p, d, 14, 0);
    uint32_t admin = sso_role(sc, p->re, acct, GEN_PERMSET_ADMIN, p->opt->start_ms);
    static const gen_act reads[] = {
        GEN_ACT_EC2_DESCRIBE_INSTANCES, GEN_ACT_CW_GET_METRIC_DATA,
        GEN_ACT_EC2_DESCRIBE_VOLUMES,   GEN_ACT_CW_DESCRIBE_ALARMS,
        GEN_ACT_LOGS_FILTER_LOG_EVENTS, GEN_ACT_EC2_DESCRIBE_SECURITY_GROUPS,
        GEN_ACT_S3_LIST_BUCKETS
    };
    uint32_t s = add_session(sc, t - 11 * TW_MS_MINUTE, true);
    TRY(add_event(sc, admin, t - 10 * TW_MS_MINUTE, GEN_ACT_SIGNIN_CONSOLE_LOGIN,
                  EV(.session = s)));
    static const gen_script_call stops[] = { { 0, GEN_ACT_EC2_STOP_INSTANCES },
                                             { TW_MS_MINUTE, GEN_ACT_EC2_DESCRIBE_INSTANCES } };
    TRY(add_round(sc, admin, EV(.session = s), t - 9 * TW_MS_MINUTE, 35 * TW_MS_SECOND, 14, reads,
                  GEN_N_OF(reads)));
    TRY(add_calls(sc, admin, EV(.session = s), t, stops, GEN_N_OF(stops)));
    gen_real_truth *tr = add_truth(sc, "human-sso-admin-reads-then-stops", false, admin, "silent",
                                   t - TW_MS_MINUTE, t + TW_MS_HOUR);
    set_rules(tr, "agent-read-to-destructive", NULL, NULL);
    snprintf(tr->note, sizeof tr->note,
             "a person on the AdministratorAccess permission set: console sign-in, 14 reads, then "
             "ec2:StopInstances on day %.0f",
             d);
    return TW_OK;
}

static tw_err like_console_user_deletes(plan *p)
{
    gen_real_script *sc = p->sc;
    double d = day_of(p, 0.5, 4, 2);
    int64_t t = at(p, d, 15, 30);
    uint32_t a = add_member(p, GEN_RC_IAM_CONSOLE, -1);
    static const gen_act reads[] = { GEN_ACT_S3_LIST_BUCKETS,        GEN_ACT_S3_LIST_OBJECTS,
                                     GEN_ACT_S3_GET_BUCKET_POLICY,   GEN_ACT_S3_GET_OBJECT,
                                     GEN_ACT_EC2_DESCRIBE_INSTANCES, GEN_ACT_CW_DESCRIBE_ALARMS,
                                     GEN_ACT_S3_LIST_OBJECTS };
    /* from the browser, without sessionCredentialFromConsole: only its user agent and MFA
     * say it is a person */
    const uint16_t fl = GEN_EV_BROWSER | GEN_EV_NO_CONSOLE_FLAG;
    uint32_t s = add_session(sc, t - 11 * TW_MS_MINUTE, true);
    TRY(add_event(sc, a, t - 10 * TW_MS_MINUTE, GEN_ACT_SIGNIN_CONSOLE_LOGIN, EV(.session = s)));
    static const gen_script_call deletes[] = { { 0, GEN_ACT_S3_DELETE_OBJECT },
                                               { 30 * TW_MS_SECOND, GEN_ACT_S3_DELETE_OBJECT },
                                               { 2 * TW_MS_MINUTE, GEN_ACT_S3_DELETE_BUCKET } };
    TRY(add_round(sc, a, EV(.session = s, .flags = fl), t - 9 * TW_MS_MINUTE, 35 * TW_MS_SECOND, 14,
                  reads, GEN_N_OF(reads)));
    TRY(add_calls(sc, a, EV(.session = s, .flags = fl), t, deletes, GEN_N_OF(deletes)));
    gen_real_truth *tr = add_truth(sc, "iam-console-user-reads-then-deletes", false, a, "silent",
                                   t - TW_MS_MINUTE, t + TW_MS_HOUR);
    set_rules(tr, "agent-read-to-destructive", NULL, NULL);
    snprintf(tr->note, sizeof tr->note,
             "a person as an IAM user at the console (browser user agent, MFA, no "
             "sessionCredentialFromConsole on these calls): 14 reads, then s3:DeleteObject x2 and "
             "s3:DeleteBucket on day %.0f",
             d);
    return TW_OK;
}

/* The same with the CLI after MFA, on a Monday morning (nothing of theirs in the 24h before
 * but the session's reads). */
static tw_err like_cli_user_deletes(plan *p)
{
    gen_real_script *sc = p->sc;
    double d = day_of(p, 0.45, 4, 2);
    int64_t t0 = at(p, d, 9, 40);
    int64_t day = t0 / TW_MS_DAY, back = (day + 3) % 7; /* days since Monday (1970-01-01: Thu) */
    int64_t t = t0 - back * TW_MS_DAY;
    if (t < p->opt->start_ms + 2 * TW_MS_DAY)
        t += 7 * TW_MS_DAY;
    uint32_t a = add_member(p, GEN_RC_IAM_CLI, -1);
    /* listings and describes (no GetObject: S3's Decrypts would hide what this tests) */
    static const gen_act reads[] = { GEN_ACT_S3_LIST_BUCKETS,      GEN_ACT_S3_LIST_OBJECTS,
                                     GEN_ACT_EC2_DESCRIBE_VOLUMES, GEN_ACT_EC2_DESCRIBE_INSTANCES,
                                     GEN_ACT_S3_LIST_OBJECTS,      GEN_ACT_LOGS_FILTER_LOG_EVENTS };
    uint32_t s = add_session(sc, t - 21 * TW_MS_MINUTE, false);
    TRY(add_event(sc, a, t - 20 * TW_MS_MINUTE, GEN_ACT_STS_GET_SESSION_TOKEN, EV(.session = s)));
    static const gen_script_call deletes[] = {
        { 0, GEN_ACT_S3_DELETE_OBJECT },
        { 20 * TW_MS_SECOND, GEN_ACT_S3_DELETE_OBJECT },
        { 3 * TW_MS_MINUTE, GEN_ACT_EC2_TERMINATE_INSTANCES },
    };
    TRY(add_round(sc, a, EV(.session = s), t - 18 * TW_MS_MINUTE, 80 * TW_MS_SECOND, 12, reads,
                  GEN_N_OF(reads)));
    TRY(add_calls(sc, a, EV(.session = s), t, deletes, GEN_N_OF(deletes)));
    gen_real_truth *tr = add_truth(sc, "iam-cli-user-reads-then-deletes", false, a, "silent",
                                   t - TW_MS_MINUTE, t + TW_MS_HOUR);
    set_rules(tr, "agent-read-to-destructive", NULL, NULL);
    double dd = (double)((t - p->day0) / TW_MS_DAY);
    snprintf(tr->note, sizeof tr->note,
             "a person as an IAM user with the CLI after MFA (GetSessionToken, mfaAuthenticated "
             "true): 12 reads, then s3:DeleteObject x2 and ec2:TerminateInstances on Monday, day "
             "%.0f",
             dd);
    return TW_OK;
}

static tw_err like_ci_readonly_grant(plan *p)
{
    gen_real_script *sc = p->sc;
    double d = day_of(p, 0.2, 2, 2);
    int64_t t = at(p, d, 11, 20);
    uint32_t acct = next_account(p);
    uint32_t a = add_member_in(p, GEN_RC_CI, 0, acct);
    uint32_t app = gen_real_app_role(p->re, acct, gen_mix(p->opt->seed, 0xC1));
    if (app == UINT32_MAX)
        app = add_member_in(p, GEN_RC_APP_KMS, -1, acct);
    uint32_t s = add_session(sc, t - 3 * TW_MS_MINUTE, false);
    TRY(add_event(sc, a, t - 2 * TW_MS_MINUTE, GEN_ACT_STS_GET_CALLER_IDENTITY, EV(.session = s)));
    TRY(add_event(sc, a, t - TW_MS_MINUTE, GEN_ACT_IAM_GET_ROLE,
                  EV(.session = s, .target = app + 1)));
    TRY(add_event(sc, a, t, GEN_ACT_IAM_ATTACH_ROLE_POLICY,
                  EV(.session = s, .target = app + 1, .variant = GEN_VAR_READONLY)));
    gen_real_truth *tr = add_truth(sc, "ci-attaches-read-only-policy", false, a, "silent",
                                   t - TW_MS_MINUTE, t + TW_MS_HOUR);
    set_rules(tr, "admin-policy-attached", "self-privilege-escalation", NULL);
    snprintf(tr->note, sizeof tr->note,
             "CI role attaches arn:aws:iam::aws:policy/ReadOnlyAccess to an application role on "
             "day %.0f",
             d);
    tr = add_truth(sc, "ci-attaches-read-only-policy", false, app, "silent", t, p->end_ms);
    set_rules(tr, "unused-privileged-grant", NULL, NULL);
    snprintf(tr->note, sizeof tr->note,
             "the application role granted ReadOnlyAccess: reading policies is no privilege");
    return TW_OK;
}

static tw_err like_training_pipeline(plan *p)
{
    uint32_t a = add_member(p, GEN_RC_TRAINING, 0);
    gen_real_truth *tr = add_truth(p->sc, "nightly-fine-tuning-pipeline", false, a, "info",
                                   p->opt->start_ms, p->end_ms);
    set_rules(tr, "model-customization", "training-telemetry-combined", NULL);
    snprintf(tr->note, sizeof tr->note,
             "training pipeline starting bedrock:CreateModelCustomizationJob every night and "
             "polling it: routine, an informational model-change record at most");
    return TW_OK;
}

static tw_err like_aws_service(plan *p)
{
    /* Filled in at the end (gen_real_script_finish): the AWSService principal with the most
     * AssumeRole calls in the first account. */
    gen_real_truth *tr = add_truth(p->sc, "aws-service-assumes-roles", false, UINT32_MAX, "silent",
                                   p->opt->start_ms, p->end_ms);
    tr->account_ix = 0;
    return TW_OK;
}

tw_err gen_real_script_build(gen_real_script *sc, gen_real_estate *re, const gen_opts *opt)
{
    memset(sc, 0, sizeof *sc);
    plan pl = { .opt = opt, .re = re, .sc = sc };
    pl.day0 = opt->start_ms - opt->start_ms % TW_MS_DAY;
    pl.end_ms = opt->start_ms + opt->span_ms;
    pl.days = (double)opt->span_ms / (double)TW_MS_DAY;
    plan *p = &pl;
    tw_err err = TW_OK;
    uint32_t s = opt->scenarios;
    if (s & GEN_SCN_READ_TO_DESTRUCTIVE)
        err = drift_agent_delete(p);
    if (!err && (s & GEN_SCN_RETENTION_TRAIL))
        err = drift_retention_trail(p);
    if (!err && (s & GEN_SCN_DORMANT_ADMIN))
        err = drift_dormant_admin(p);
    if (!err && (s & GEN_SCN_OBSERVABILITY_TRAINING))
        err = drift_observability_training(p);
    if (!err && (s & GEN_SCN_LLM_JACKING))
        err = drift_llm_jacking(p);
    if (!err && (s & GEN_SCN_TRAINING_TELEMETRY))
        err = drift_training_telemetry(p);
    tw_err (*const likes[])(plan *) = {
        like_agent_write,          like_log_retention,        like_failed_trail_calls,
        like_org_bucket_policy,    like_quarantine,           like_self_lock,
        like_admin_stops_instance, like_console_user_deletes, like_cli_user_deletes,
        like_ci_readonly_grant,    like_training_pipeline,    like_aws_service,
    };
    for (size_t i = 0; i < sizeof likes / sizeof likes[0] && !err; i++)
        err = likes[i](p);
    if (err) {
        gen_real_script_free(sc);
        return err;
    }
    gen_events_sort(&sc->events);
    return TW_OK;
}

void gen_real_script_free(gen_real_script *sc)
{
    if (sc)
        gen_events_free(&sc->events);
}

/* ---- the truth file ------------------------------------------------------------------ */

static void put_time(FILE *f, int64_t ms)
{
    char iso[32];
    tw_time_format_iso(ms - ms % TW_MS_SECOND, iso, sizeof iso);
    fputs(iso, f);
}

/* The identity key of DESIGN §3: roles and users without their path. */
static void identity_key(const gen_real_estate *re, const gen_real_truth *t, char *out, size_t size)
{
    if (t->ident == UINT32_MAX) {
        /* an AWSService principal: its service within the account (DESIGN §3) */
        snprintf(out, size, "%s@%s", t->service ? t->service : "",
                 re->es.account_ids[t->account_ix]);
        return;
    }
    gen_ident id;
    gen_real_describe(re, t->ident, &id);
    snprintf(out, size, "arn:aws:iam::%s:%s/%s", id.account, id.iam_user ? "user" : "role",
             id.name);
}

static const char *kind_of(const gen_ident *id)
{
    if (id->rclass == GEN_RC_SSO || id->rclass == GEN_RC_IAM_CONSOLE ||
        id->rclass == GEN_RC_IAM_CLI)
        return "human";
    if (id->rclass == GEN_RC_SLR)
        return "aws-service";
    if (id->rclass == GEN_RC_AGENT_RO || id->rclass == GEN_RC_AGENT_RW)
        return "agent";
    return "service";
}

tw_err gen_real_truth_write(const gen_real_script *sc, const gen_real_estate *re,
                            const gen_opts *opt, const gen_real_totals *tot, FILE *f)
{
    char start[32], key[256];
    tw_time_format_iso(opt->start_ms, start, sizeof start);
    fprintf(f,
            "{\"estate\":{\"identities\":%u,\"days\":%.3g,\"accounts\":%u,\"start\":\"%s\","
            "\"profile\":\"realistic\",\"seed\":%llu,\"records\":%llu,\"estate_identities\":%u,"
            "\"scenario_identities\":%u,\"aws_service_principals\":%u,\"classes\":{",
            re->es.identities + sc->ident_count + tot->service_principals,
            (double)opt->span_ms / (double)TW_MS_DAY, opt->accounts, start,
            (unsigned long long)opt->seed, (unsigned long long)tot->records, re->es.identities,
            sc->ident_count, tot->service_principals);
    for (int c = 0; c < GEN_RC_COUNT; c++)
        fprintf(f, "%s\"%s\":%u", c ? "," : "", gen_real_class_name((gen_rclass)c),
                re->class_count[c]);
    fputs("}}}\n", f);
    for (uint32_t i = 0; i < sc->truth_count; i++) {
        const gen_real_truth *t = &sc->truth[i];
        identity_key(re, t, key, sizeof key);
        fprintf(f, "{\"scenario\":\"%s\",\"kind\":\"%s\",\"identity\":\"%s\",\"rules\":[",
                t->scenario, t->drift ? "drift" : "lookalike", key);
        for (int r = 0; r < 3 && t->rules[r]; r++)
            fprintf(f, "%s\"%s\"", r ? "," : "", t->rules[r]);
        fprintf(f, "],\"expect\":\"%s\"", t->expect);
        if (t->severity)
            fprintf(f, ",\"severity\":\"%s\"", t->severity);
        fputs(",\"from\":\"", f);
        put_time(f, t->from_ms);
        fputs("\",\"to\":\"", f);
        put_time(f, t->to_ms);
        fputc('"', f);
        if (t->ident != UINT32_MAX) {
            gen_ident id;
            gen_real_describe(re, t->ident, &id);
            fprintf(f, ",\"account\":\"%s\",\"identity_kind\":\"%s\",\"class\":\"%s\"", id.account,
                    kind_of(&id), gen_real_class_name((gen_rclass)id.rclass));
        } else {
            fprintf(f, ",\"account\":\"%s\",\"identity_kind\":\"aws-service\"",
                    re->es.account_ids[t->account_ix]);
        }
        fprintf(f, ",\"note\":\"%s\"}\n", t->note);
    }
    return ferror(f) ? TW_ERR_IO : TW_OK;
}

void gen_real_script_report(const gen_real_script *sc, const gen_real_estate *re, FILE *to)
{
    char key[256], when[32];
    for (uint32_t i = 0; i < sc->truth_count; i++) {
        const gen_real_truth *t = &sc->truth[i];
        identity_key(re, t, key, sizeof key);
        tw_time_format_iso(t->from_ms, when, sizeof when);
        fprintf(to, "  %s %s: %s from %s: expect %s%s%s\n", t->drift ? "drift" : "look-alike",
                t->scenario, key[0] ? key : "(an AWSService principal)", when, t->expect,
                t->rules[0] ? " of " : "", t->rules[0] ? t->rules[0] : "");
    }
}
