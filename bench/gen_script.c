/* gen_script: the scripted stories laid over the estate.
 *
 * Scenarios are the positives a demo or an end-to-end test looks for (each in an identity of
 * its own, so a finding names it unambiguously); near-misses are the look-alikes that must
 * stay quiet, so the same run shows precision as well as recall. Every scripted call
 * succeeds (the rules key on success) and comes at a fixed time, so the summary printed on
 * stderr says exactly what to expect. The list of scripted calls (gen_events) serves the
 * realistic profile's script too. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"
#include "tw_time.h"

enum { NO_IDENT = UINT32_MAX };

/* Script identity k's call at t_ms. */
static tw_err add_event(gen_script *sc, uint32_t k, int64_t t_ms, gen_act act)
{
    return gen_events_add(&sc->events, NULL, sc->first_ident + k, t_ms, act);
}

/* Script identity k's calls around t_ms. */
static tw_err add_calls(gen_script *sc, uint32_t k, int64_t t_ms, const gen_script_call *calls,
                        size_t n)
{
    return gen_events_add_calls(&sc->events, NULL, sc->first_ident + k, t_ms, calls, n);
}

static uint32_t add_ident(gen_script *sc, gen_profile profile, uint8_t ua_family, const char *name,
                          const char *path)
{
    assert(sc->ident_count < sizeof sc->idents / sizeof sc->idents[0]);
    uint32_t k = sc->ident_count++;
    sc->idents[k] = (gen_script_ident){
        .profile = (uint8_t)profile, .ua_family = ua_family, .name = name, .path = path
    };
    return k;
}

static gen_script_note *add_note(gen_script *sc, const char *what, uint32_t k, uint32_t k2,
                                 int64_t t_ms, const char *expect)
{
    assert(sc->note_count < GEN_SCRIPT_MAX_NOTES);
    gen_script_note *n = &sc->notes[sc->note_count++];
    *n = (gen_script_note){
        .what = what, .ident = k, .ident2 = k2, .time_ms = t_ms, .expect = expect
    };
    return n;
}

static int64_t time_at(const gen_opts *opt, double frac)
{
    return opt->start_ms + (int64_t)((double)opt->span_ms * frac);
}

/* n reads of the given pool, spread evenly over [from, to). */
static tw_err add_reads(gen_script *sc, uint32_t k, int64_t from, int64_t to, uint32_t n,
                        const gen_act *pool, size_t pool_n)
{
    for (uint32_t j = 0; j < n; j++) {
        int64_t t = from + (to - from) * (int64_t)j / (int64_t)n;
        tw_err err = add_event(sc, k, t, pool[(j * 7 + j / 3) % pool_n]);
        if (err)
            return err;
    }
    return TW_OK;
}

/* An agent reads for hours, then destroys: the one story agent-read-to-destructive exists for. */
static tw_err script_read_to_destructive(gen_script *sc, const gen_opts *opt)
{
    static const struct {
        gen_act destroy;
        gen_act reads[4];
    } variants[] = {
        { GEN_ACT_S3_DELETE_BUCKET,
          { GEN_ACT_S3_LIST_OBJECTS, GEN_ACT_S3_GET_OBJECT, GEN_ACT_S3_HEAD_OBJECT,
            GEN_ACT_S3_GET_BUCKET_LOCATION } },
        { GEN_ACT_EC2_TERMINATE_INSTANCES,
          { GEN_ACT_EC2_DESCRIBE_INSTANCES, GEN_ACT_EC2_DESCRIBE_VOLUMES,
            GEN_ACT_EC2_DESCRIBE_SECURITY_GROUPS, GEN_ACT_EC2_DESCRIBE_INSTANCES } },
        { GEN_ACT_RDS_DELETE_DB_INSTANCE,
          { GEN_ACT_RDS_DESCRIBE_DB_INSTANCES, GEN_ACT_RDS_DESCRIBE_DB_INSTANCES,
            GEN_ACT_EC2_DESCRIBE_INSTANCES, GEN_ACT_RDS_DESCRIBE_DB_INSTANCES } },
        { GEN_ACT_DDB_DELETE_TABLE,
          { GEN_ACT_DDB_DESCRIBE_TABLE, GEN_ACT_DDB_QUERY, GEN_ACT_DDB_SCAN,
            GEN_ACT_DDB_GET_ITEM } },
    };
    const size_t nv = sizeof variants / sizeof variants[0];
    size_t v = (size_t)((opt->seed + nv - 1) % nv); /* seed 1: DeleteBucket */
    gen_act pool[8] = { GEN_ACT_STS_GET_CALLER_IDENTITY, GEN_ACT_S3_GET_OBJECT,
                        GEN_ACT_EC2_DESCRIBE_INSTANCES, GEN_ACT_DDB_QUERY };
    memcpy(pool + 4, variants[v].reads, sizeof variants[v].reads);
    uint32_t k = add_ident(sc, GEN_PROF_AGENT_RO, 0, "infra-cleanup-agent", "/");
    int64_t t = time_at(opt, 0.55), window = opt->span_ms / 2;
    if (window > 4 * TW_MS_HOUR)
        window = 4 * TW_MS_HOUR;
    const uint32_t reads = 36;
    tw_err err = add_reads(sc, k, t - window, t - TW_MS_SECOND, reads, pool, 8);
    if (!err)
        err = add_event(sc, k, t, variants[v].destroy);
    for (int j = 1; j <= 3 && !err; j++)
        err = add_event(sc, k, t + j * 3 * TW_MS_MINUTE, pool[4 + j]);
    if (err)
        return err;
    gen_script_note *n =
        add_note(sc, "scenario read-to-destructive", k, NO_IDENT, t, "agent-read-to-destructive");
    snprintf(n->detail, sizeof n->detail, "%u reads over the previous %lld min, then %s", reads,
             (long long)(window / TW_MS_MINUTE), gen_actions[variants[v].destroy].iam);
    return TW_OK;
}

/* Train a model, then read its telemetry within hours: training-telemetry-combined. */
static tw_err script_training_telemetry(gen_script *sc, const gen_opts *opt)
{
    static const gen_act train[] = { GEN_ACT_BR_CREATE_CUSTOMIZATION_JOB,
                                     GEN_ACT_MANTLE_CREATE_FINE_TUNING_JOB,
                                     GEN_ACT_SM_CREATE_TRAINING_JOB };
    static const gen_act follow[] = { GEN_ACT_BR_GET_CUSTOMIZATION_JOB,
                                      GEN_ACT_BR_LIST_CUSTOM_MODELS,
                                      GEN_ACT_SM_DESCRIBE_TRAINING_JOB };
    size_t v = (size_t)((opt->seed + 2) % 3); /* seed 1: bedrock CreateModelCustomizationJob */
    uint32_t k = add_ident(sc, GEN_PROF_ML, 0, "support-bot-finetune-pipeline", "/service-role/");
    int64_t t = time_at(opt, 0.40), gap = opt->span_ms / 5;
    if (gap > 2 * TW_MS_HOUR)
        gap = 2 * TW_MS_HOUR;
    const gen_script_call calls[] = {
        { -20 * TW_MS_MINUTE, GEN_ACT_BR_LIST_FOUNDATION_MODELS },
        { -12 * TW_MS_MINUTE, GEN_ACT_S3_LIST_OBJECTS },
        { -10 * TW_MS_MINUTE, GEN_ACT_S3_GET_OBJECT },
        { -5 * TW_MS_MINUTE, GEN_ACT_BR_GET_FOUNDATION_MODEL },
        { 0, train[v] },
        { 15 * TW_MS_MINUTE, follow[v] },
        { 45 * TW_MS_MINUTE, follow[v] },
        { gap, GEN_ACT_LOGS_FILTER_LOG_EVENTS },
        { gap + 3 * TW_MS_MINUTE, GEN_ACT_LOGS_GET_LOG_EVENTS },
        { gap + 6 * TW_MS_MINUTE, GEN_ACT_CW_GET_METRIC_DATA },
    };
    tw_err err = add_calls(sc, k, t, calls, GEN_N_OF(calls));
    if (err)
        return err;
    gen_script_note *n =
        add_note(sc, "scenario training-telemetry", k, NO_IDENT, t, "training-telemetry-combined");
    snprintf(
        n->detail, sizeof n->detail,
        "%s, then logs:FilterLogEvents, logs:GetLogEvents, cloudwatch:GetMetricData %lld min later",
        gen_actions[train[v]].iam, (long long)(gap / TW_MS_MINUTE));
    return TW_OK;
}

/* An agent that reads for hours then writes, without destroying anything. */
static tw_err near_agent_write(gen_script *sc, const gen_opts *opt)
{
    static const gen_act pool[] = { GEN_ACT_S3_GET_OBJECT, GEN_ACT_DDB_QUERY,
                                    GEN_ACT_S3_LIST_OBJECTS, GEN_ACT_DDB_GET_ITEM,
                                    GEN_ACT_STS_GET_CALLER_IDENTITY };
    uint32_t k = add_ident(sc, GEN_PROF_AGENT_RW, 1, "kb-sync-agent", "/");
    int64_t t = time_at(opt, 0.30), window = opt->span_ms / 4;
    if (window > 3 * TW_MS_HOUR)
        window = 3 * TW_MS_HOUR;
    static const gen_script_call writes[] = { { 0, GEN_ACT_DDB_PUT_ITEM },
                                              { 2 * TW_MS_MINUTE, GEN_ACT_S3_GET_OBJECT },
                                              { 4 * TW_MS_MINUTE, GEN_ACT_S3_PUT_OBJECT } };
    tw_err err = add_reads(sc, k, t - window, t - TW_MS_SECOND, 30, pool, 5);
    if (!err)
        err = add_calls(sc, k, t, writes, GEN_N_OF(writes));
    if (err)
        return err;
    gen_script_note *n = add_note(sc, "near-miss agent-read-then-write", k, NO_IDENT, t, NULL);
    snprintf(n->detail, sizeof n->detail, "30 reads, then dynamodb:PutItem and s3:PutObject");
    return TW_OK;
}

/* A pipeline that lists, reads, writes and deletes every hour. */
static tw_err near_etl_hourly(gen_script *sc, const gen_opts *opt)
{
    static const gen_act batch[] = {
        GEN_ACT_S3_LIST_OBJECTS,  GEN_ACT_S3_GET_OBJECT,    GEN_ACT_S3_GET_OBJECT,
        GEN_ACT_S3_GET_OBJECT,    GEN_ACT_S3_GET_OBJECT,    GEN_ACT_S3_GET_OBJECT,
        GEN_ACT_S3_GET_OBJECT,    GEN_ACT_S3_PUT_OBJECT,    GEN_ACT_S3_PUT_OBJECT,
        GEN_ACT_S3_DELETE_OBJECT, GEN_ACT_S3_DELETE_OBJECT,
    };
    uint32_t k = add_ident(sc, GEN_PROF_ETL, 0, "hourly-compaction-job", "/service-role/");
    int64_t hours = opt->span_ms / TW_MS_HOUR;
    if (hours < 1)
        hours = 1;
    if (hours > 24 * 7)
        hours = 24 * 7;
    for (int64_t h = 0; h < hours; h++) {
        int64_t t0 = opt->start_ms + h * TW_MS_HOUR + 7 * TW_MS_MINUTE;
        for (size_t j = 0; j < sizeof batch / sizeof batch[0]; j++) {
            tw_err err = add_event(sc, k, t0 + (int64_t)j * 20 * TW_MS_SECOND, batch[j]);
            if (err)
                return err;
        }
    }
    gen_script_note *n =
        add_note(sc, "near-miss etl-hourly", k, NO_IDENT, opt->start_ms + 7 * TW_MS_MINUTE, NULL);
    snprintf(n->detail, sizeof n->detail,
             "%lld hourly batches: ListObjects, 6 GetObject, 2 PutObject, 2 DeleteObject",
             (long long)hours);
    return TW_OK;
}

/* A person signs in to the console, looks around, and deletes: humans are not agents. */
static tw_err near_human_delete(gen_script *sc, const gen_opts *opt)
{
    static const gen_act pool[] = { GEN_ACT_EC2_DESCRIBE_INSTANCES,      GEN_ACT_S3_LIST_BUCKETS,
                                    GEN_ACT_EC2_DESCRIBE_VOLUMES,        GEN_ACT_CW_DESCRIBE_ALARMS,
                                    GEN_ACT_S3_GET_BUCKET_POLICY,        GEN_ACT_IAM_LIST_ROLES,
                                    GEN_ACT_EC2_DESCRIBE_SECURITY_GROUPS };
    uint32_t k =
        add_ident(sc, GEN_PROF_HUMAN, 0, "AWSReservedSSO_AdministratorAccess_5f1c0d2e9a7b3c41",
                  "/aws-reserved/sso.amazonaws.com/");
    static const gen_script_call deletes[] = {
        { 0, GEN_ACT_EC2_TERMINATE_INSTANCES },
        { TW_MS_MINUTE, GEN_ACT_S3_DELETE_BUCKET },
        { 2 * TW_MS_MINUTE, GEN_ACT_EC2_DESCRIBE_INSTANCES },
    };
    int64_t t = time_at(opt, 0.50);
    tw_err err = add_event(sc, k, t - 8 * TW_MS_MINUTE, GEN_ACT_SIGNIN_CONSOLE_LOGIN);
    if (!err)
        err = add_reads(sc, k, t - 7 * TW_MS_MINUTE, t - TW_MS_SECOND, 14, pool, 7);
    if (!err)
        err = add_calls(sc, k, t, deletes, GEN_N_OF(deletes));
    if (err)
        return err;
    gen_script_note *n = add_note(sc, "near-miss human-console-delete", k, NO_IDENT, t, NULL);
    snprintf(n->detail, sizeof n->detail,
             "ConsoleLogin, 14 reads, then ec2:TerminateInstances and s3:DeleteBucket");
    return TW_OK;
}

/* One role trains, another reads the telemetry: the rule is about one identity. */
static tw_err near_two_roles(gen_script *sc, const gen_opts *opt)
{
    uint32_t a = add_ident(sc, GEN_PROF_ML, 2, "recsys-model-trainer", "/");
    uint32_t b = add_ident(sc, GEN_PROF_MONITOR, 1, "recsys-dashboards-reader", "/");
    static const gen_script_call trains[] = {
        { -10 * TW_MS_MINUTE, GEN_ACT_BR_LIST_FOUNDATION_MODELS },
        { 0, GEN_ACT_BR_CREATE_CUSTOMIZATION_JOB },
    };
    static const gen_script_call reads[] = {
        { 30 * TW_MS_MINUTE, GEN_ACT_LOGS_FILTER_LOG_EVENTS },
        { 35 * TW_MS_MINUTE, GEN_ACT_CW_GET_METRIC_DATA },
        { 40 * TW_MS_MINUTE, GEN_ACT_LOGS_GET_LOG_EVENTS },
    };
    int64_t t = time_at(opt, 0.65);
    tw_err err = add_calls(sc, a, t, trains, GEN_N_OF(trains));
    if (!err)
        err = add_calls(sc, b, t, reads, GEN_N_OF(reads));
    if (err)
        return err;
    gen_script_note *n = add_note(sc, "near-miss training-telemetry-two-roles", a, b, t, NULL);
    snprintf(
        n->detail, sizeof n->detail,
        "bedrock:CreateModelCustomizationJob by the first, telemetry 30 min later by the second");
    return TW_OK;
}

/* Training and telemetry by one role, but more than 24 hours apart (needs a span to fit). */
static tw_err near_far_apart(gen_script *sc, const gen_opts *opt)
{
    const int64_t gap = 24 * TW_MS_HOUR + 45 * TW_MS_MINUTE;
    if (opt->span_ms < gap + 30 * TW_MS_MINUTE) {
        gen_script_note *n = add_note(sc, "near-miss training-telemetry-apart", NO_IDENT, NO_IDENT,
                                      opt->start_ms, NULL);
        snprintf(n->detail, sizeof n->detail, "skipped: needs --span of at least 26h");
        return TW_OK;
    }
    uint32_t k = add_ident(sc, GEN_PROF_ML, 1, "weekly-retrain-pipeline", "/");
    int64_t t = opt->start_ms + 10 * TW_MS_MINUTE;
    const gen_script_call calls[] = {
        { 0, GEN_ACT_SM_CREATE_TRAINING_JOB },
        { 20 * TW_MS_MINUTE, GEN_ACT_SM_DESCRIBE_TRAINING_JOB },
        { gap, GEN_ACT_LOGS_FILTER_LOG_EVENTS },
        { gap + 5 * TW_MS_MINUTE, GEN_ACT_CW_GET_METRIC_DATA },
    };
    tw_err err = add_calls(sc, k, t, calls, GEN_N_OF(calls));
    if (err)
        return err;
    gen_script_note *n = add_note(sc, "near-miss training-telemetry-apart", k, NO_IDENT, t, NULL);
    snprintf(n->detail, sizeof n->detail,
             "sagemaker:CreateTrainingJob, then telemetry 24 h 45 min later");
    return TW_OK;
}

/* ---- scripted calls, of both profiles' scripts (gen_real_script.c too) --------------- */

tw_err gen_events_add(gen_events *evs, const gen_event *proto, uint32_t ident, int64_t t_ms,
                      gen_act act)
{
    if (evs->count == evs->cap) {
        size_t cap = evs->cap ? evs->cap * 2 : 256;
        gen_event *ev = realloc(evs->ev, cap * sizeof *ev);
        if (!ev)
            return TW_ERR_NOMEM;
        evs->ev = ev;
        evs->cap = cap;
    }
    gen_event ev = proto ? *proto : (gen_event){ 0 };
    ev.time_ms = t_ms - t_ms % TW_MS_SECOND;
    ev.ident = ident;
    ev.action = (uint16_t)act;
    ev.flags |= GEN_EV_NO_ERROR;
    evs->ev[evs->count++] = ev;
    return TW_OK;
}

tw_err gen_events_add_calls(gen_events *evs, const gen_event *proto, uint32_t ident, int64_t t_ms,
                            const gen_script_call *calls, size_t n)
{
    tw_err err = TW_OK;
    for (size_t j = 0; j < n && !err; j++)
        err = gen_events_add(evs, proto, ident, t_ms + calls[j].dt, calls[j].act);
    return err;
}

static int compare_events(const void *pa, const void *pb)
{
    const gen_event *a = pa, *b = pb;
    if (a->time_ms != b->time_ms)
        return a->time_ms < b->time_ms ? -1 : 1;
    if (a->ident != b->ident)
        return a->ident < b->ident ? -1 : 1;
    return (int)a->action - (int)b->action;
}

void gen_events_sort(gen_events *evs)
{
    if (evs->count)
        qsort(evs->ev, evs->count, sizeof *evs->ev, compare_events);
}

const gen_event *gen_events_next(const gen_events *evs, size_t *next, int64_t until_ms)
{
    if (*next >= evs->count || evs->ev[*next].time_ms > until_ms)
        return NULL;
    return &evs->ev[(*next)++];
}

void gen_events_free(gen_events *evs)
{
    free(evs->ev);
    *evs = (gen_events){ 0 };
}

tw_err gen_script_build(gen_script *sc, const gen_opts *opt)
{
    memset(sc, 0, sizeof *sc);
    sc->first_ident = opt->identities;
    tw_err err = TW_OK;
    if (opt->scenarios & GEN_SCN_READ_TO_DESTRUCTIVE)
        err = script_read_to_destructive(sc, opt);
    if (!err && (opt->scenarios & GEN_SCN_TRAINING_TELEMETRY))
        err = script_training_telemetry(sc, opt);
    if (!err && opt->records >= GEN_NEAR_MISS_MIN_RECORDS) {
        err = near_agent_write(sc, opt);
        if (!err)
            err = near_etl_hourly(sc, opt);
        if (!err)
            err = near_human_delete(sc, opt);
        if (!err)
            err = near_two_roles(sc, opt);
        if (!err)
            err = near_far_apart(sc, opt);
    }
    if (err) {
        gen_script_free(sc);
        return err;
    }
    gen_events_sort(&sc->events);
    return TW_OK;
}

void gen_script_free(gen_script *sc)
{
    if (sc)
        gen_events_free(&sc->events);
}

static void print_arn(const gen_script *sc, const gen_estate *es, uint32_t k, FILE *to)
{
    gen_ident id;
    char arn[192];
    gen_estate_describe(es, sc->first_ident + k, &id);
    gen_ident_arn(&id, arn, sizeof arn);
    fputs(arn, to);
}

void gen_script_report(const gen_script *sc, const gen_estate *es, FILE *to)
{
    for (uint32_t i = 0; i < sc->note_count; i++) {
        const gen_script_note *n = &sc->notes[i];
        char when[32];
        tw_time_format_iso(n->time_ms, when, sizeof when);
        fprintf(to, "  %s: ", n->what);
        if (n->ident == NO_IDENT) { /* not injected */
            fprintf(to, "%s\n", n->detail);
            continue;
        }
        print_arn(sc, es, n->ident, to);
        if (n->ident2 != NO_IDENT) {
            fputs(" and ", to);
            print_arn(sc, es, n->ident2, to);
        }
        fprintf(to, " at %s: %s; expect %s\n", when, n->detail,
                n->expect ? n->expect : "no finding");
    }
}
