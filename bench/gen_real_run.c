/* gen_real_run: the generation loop of the realistic profile.
 *
 * Each identity lives by its class's rhythm (gen_real_routine.c): a min-heap orders the
 * identities by the time of their next step, so the trail comes out in time order and every
 * identity's calls keep their episode's order. What the run remembers per identity is a
 * gen_real_track (~48 bytes) and a heap slot; records are written straight into the sink's
 * buffers, nothing is kept per record. Around each call the loop adds what AWS adds:
 * - the AssumeRole of the AWS service that hosts a workload (an AWSService principal) when
 *   the workload's hourly session changes;
 * - the kms:Decrypt (GenerateDataKey) that S3 makes for a reader (writer) of an SSE-KMS
 *   object, and the Decrypt Secrets Manager makes for a reader of a secret: the caller's
 *   identity with invokedBy, written only when the call they serve succeeded.
 * Scripted calls (gen_real_script.c) are merged in at their time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"
#include "tw_time.h"

#define ADVANCE_EVERY 1024u

typedef struct gen_real_track {
    int64_t next_ms;     /* its next step */
    int64_t ep_start_ms; /* its episode's start (the session of people and CI runs) */
    int64_t until_ms;    /* its routine ends */
    uint32_t ep;         /* episodes begun */
    uint32_t steps;      /* steps taken: the candidate draws */
    uint32_t epoch1;     /* 1 + low bits of the session of its last call; 0: none */
    float busy;
    bool in_episode;
    gen_rstate st;
} gen_real_track;

/* The services that host workloads and assume their roles, for the AWSService counts. */
static const char *const hosts[] = { "lambda.amazonaws.com",    "ecs-tasks.amazonaws.com",
                                     "ec2.amazonaws.com",       "glue.amazonaws.com",
                                     "sagemaker.amazonaws.com", "bedrock-agentcore.amazonaws.com" };
#define N_HOSTS (sizeof hosts / sizeof hosts[0])

typedef struct gen_real_loop {
    const gen_opts *opt;
    gen_real_estate re;
    gen_real_script sc;
    gen_sink *sk;
    gen_real_track *track;
    uint32_t *heap;
    uint32_t heap_n;
    uint32_t total; /* estate and scenario identities */
    gen_actor_cache actors;
    gen_clock clk;
    uint64_t serial;
    uint64_t *assumes; /* N_HOSTS x accounts */
    int64_t end_ms;
} gen_real_loop;

/* ---- the heap: by (next_ms, index), so ties break the same way every run ------------- */

static bool before(const gen_real_loop *lp, uint32_t a, uint32_t b)
{
    int64_t ta = lp->track[a].next_ms, tb = lp->track[b].next_ms;
    return ta < tb || (ta == tb && a < b);
}

static void heap_push(gen_real_loop *lp, uint32_t ix)
{
    uint32_t i = lp->heap_n++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!before(lp, ix, lp->heap[parent]))
            break;
        lp->heap[i] = lp->heap[parent];
        i = parent;
    }
    lp->heap[i] = ix;
}

static uint32_t heap_pop(gen_real_loop *lp)
{
    uint32_t top = lp->heap[0], last = lp->heap[--lp->heap_n], i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = last;
        uint32_t at = UINT32_MAX;
        if (l < lp->heap_n && before(lp, lp->heap[l], m))
            m = lp->heap[l], at = l;
        if (r < lp->heap_n && before(lp, lp->heap[r], m))
            m = lp->heap[r], at = r;
        if (at == UINT32_MAX)
            break;
        lp->heap[i] = m;
        i = at;
    }
    if (lp->heap_n)
        lp->heap[i] = last;
    return top;
}

/* ---- actors -------------------------------------------------------------------------- */

static gen_actor *get_actor(gen_real_loop *lp, uint32_t ix)
{
    bool fresh;
    gen_actor *ac = gen_actor_cache_get(&lp->actors, ix, &fresh);
    if (fresh) {
        gen_real_describe(&lp->re, ix, &ac->id);
        ac->epoch_key = 0;
    }
    return ac;
}

/* Puts the actor in session epoch (started at start_ms). */
static void actor_session(gen_actor *ac, uint64_t epoch, int64_t start_ms)
{
    if (ac->epoch_key == epoch + 1)
        return;
    ac->epoch_key = epoch + 1;
    gen_real_session(&ac->id, epoch, start_ms, &ac->ss);
    gen_actor_set_caller(ac);
}

/* The session a call of identity ix at t belongs to. */
static void session_of(const gen_real_loop *lp, const gen_ident *id, const gen_real_track *tr,
                       const gen_event *ev, uint64_t *epoch, int64_t *start_ms)
{
    if (ev->session) {
        const gen_real_session_def *sd = &lp->sc.sessions[ev->session - 1];
        *epoch = GEN_REAL_SCRIPT_EPOCH + 2 * (uint64_t)ev->session + (sd->console ? 1 : 0);
        *start_ms = sd->start_ms;
        return;
    }
    switch (gen_real_session_kind(id)) {
    case GEN_SESS_CLOCK: {
        int64_t len = TW_MS_HOUR, phase = (int64_t)(id->h % (uint64_t)len);
        int64_t e = (ev->time_ms + phase) / len;
        *epoch = (uint64_t)e;
        *start_ms = e * len - phase;
        return;
    }
    case GEN_SESS_EPISODE:
        if (tr->in_episode || tr->ep) {
            *epoch = tr->ep;
            *start_ms = tr->ep_start_ms;
        } else { /* a scripted call outside any episode: a session of its own */
            *epoch = GEN_REAL_SCRIPT_EPOCH / 2 + (uint64_t)(ev->time_ms / (8 * TW_MS_HOUR));
            *start_ms = ev->time_ms - ev->time_ms % (8 * TW_MS_HOUR);
        }
        return;
    default:
        *epoch = 0;
        *start_ms = 0;
    }
}

/* ---- records ------------------------------------------------------------------------- */

static tw_err write_one(gen_real_loop *lp, const gen_actor *ac, const gen_event *ev, bool *failed,
                        uint64_t *r)
{
    gen_ident target, *tp = NULL;
    if (ev->target) {
        gen_real_describe(&lp->re, ev->target - 1, &target);
        tp = &target;
    }
    tw_buf *b = gen_sink_begin_call(lp->sk, &ac->id, ev);
    *r = gen_record_rand(lp->re.es.seed, lp->serial);
    *failed = gen_real_record_write(&lp->re, ac, tp, ev, lp->serial++, &lp->clk, b);
    tw_err err = gen_sink_end(lp->sk);
    if (!err && lp->serial % ADVANCE_EVERY == 0)
        err = gen_sink_advance(lp->sk, ev->time_ms);
    return err;
}

static void count_assume(gen_real_loop *lp, const gen_ident *id)
{
    for (size_t h = 0; h < N_HOSTS; h++)
        if (strcmp(hosts[h], id->assumed_by) == 0) {
            lp->assumes[h * lp->opt->accounts + id->account_ix]++;
            return;
        }
}

/* One call of identity ev->ident, with what AWS writes around it. */
static tw_err emit_call(gen_real_loop *lp, gen_real_track *tr, const gen_event *ev)
{
    gen_actor *ac = get_actor(lp, ev->ident);
    uint64_t epoch;
    int64_t start;
    session_of(lp, &ac->id, tr, ev, &epoch, &start);
    actor_session(ac, epoch, start);
    bool failed;
    uint64_t r;
    tw_err err = TW_OK;
    if (ac->id.assumed_by && gen_real_session_kind(&ac->id) == GEN_SESS_CLOCK &&
        (uint32_t)(epoch + 1) != tr->epoch1) {
        /* the hosting service assumes the role for the new session */
        gen_event as = { .time_ms = ev->time_ms,
                         .ident = ev->ident,
                         .action = GEN_ACT_STS_ASSUME_ROLE_BY_SERVICE,
                         .flags = GEN_EV_NO_ERROR };
        err = write_one(lp, ac, &as, &failed, &r);
        count_assume(lp, &ac->id);
    }
    tr->epoch1 = (uint32_t)(epoch + 1);
    if (!err)
        err = write_one(lp, ac, ev, &failed, &r);
    if (err || failed || ev->via || ac->id.invoked_by)
        return err;
    gen_event f = {
        .time_ms = ev->time_ms, .ident = ev->ident, .flags = GEN_EV_NO_ERROR, .link = r
    };
    switch (ev->action) {
    case GEN_ACT_S3_GET_OBJECT:
        f.action = GEN_ACT_KMS_DECRYPT;
        f.via = GEN_VIA_S3;
        break;
    case GEN_ACT_S3_PUT_OBJECT:
        f.action = GEN_ACT_KMS_GENERATE_DATA_KEY;
        f.via = GEN_VIA_S3;
        break;
    case GEN_ACT_SECRETS_GET_SECRET_VALUE:
        f.action = GEN_ACT_KMS_DECRYPT;
        f.via = GEN_VIA_SECRETS;
        break;
    default:
        return TW_OK;
    }
    if (f.via == GEN_VIA_S3 && (r >> 56) % 10 == 0)
        f.flags |= GEN_EV_INTERNAL; /* S3 gives "AWS Internal" as the source now and then */
    return write_one(lp, ac, &f, &failed, &r);
}

static tw_err emit_scripted_until(gen_real_loop *lp, size_t *next, int64_t until_ms)
{
    const gen_event *ev;
    while ((ev = gen_events_next(&lp->sc.events, next, until_ms))) {
        tw_err err = emit_call(lp, &lp->track[ev->ident], ev);
        if (err)
            return err;
    }
    return TW_OK;
}

/* The identity's next step: a call of its routine. */
static tw_err step(gen_real_loop *lp, uint32_t ix)
{
    gen_real_track *tr = &lp->track[ix];
    const gen_ident *id = &get_actor(lp, ix)->id;
    int64_t t = tr->next_ms;
    if (!tr->in_episode) {
        tr->ep++;
        tr->ep_start_ms = t;
        bool console = gen_real_console_session(id, tr->ep);
        if (!gen_real_episode_begin(id, tr->ep, console, &tr->st)) {
            tr->next_ms = gen_real_next_episode(id, tr->busy, tr->ep + 1, t);
            return TW_OK;
        }
        tr->in_episode = true;
    }
    gen_real_step st;
    gen_real_episode_step(id, &tr->st, tr->steps++, &st);
    gen_event ev = { .time_ms = t,
                     .ident = ix,
                     .action = (uint16_t)st.action,
                     .via = st.via,
                     .variant = st.variant };
    if (st.target) {
        uint32_t app = gen_real_app_role(&lp->re, id->account_ix, gen_mix(id->h, tr->steps));
        ev.target = app == UINT32_MAX || app == ix ? 0 : app + 1;
    }
    tw_err err = emit_call(lp, tr, &ev);
    if (gen_real_episode_advance(id, tr->ep, &tr->st)) {
        tr->next_ms = t + st.gap_ms;
    } else {
        tr->in_episode = false;
        tr->next_ms = gen_real_next_episode(id, tr->busy, tr->ep + 1, t + st.gap_ms);
    }
    return err;
}

static tw_err prepare(gen_real_loop *lp)
{
    const gen_opts *opt = lp->opt;
    tw_err err = gen_real_estate_init(&lp->re, opt, GEN_REAL_MAX_SCENARIO_IDENTS);
    if (!err)
        err = gen_real_script_build(&lp->sc, &lp->re, opt);
    if (err)
        return err;
    lp->total = opt->identities + lp->sc.ident_count;
    lp->end_ms = opt->start_ms + opt->span_ms;
    lp->track = calloc(lp->total, sizeof *lp->track);
    lp->heap = malloc((size_t)lp->total * sizeof *lp->heap);
    lp->assumes = calloc(N_HOSTS * (size_t)opt->accounts, sizeof *lp->assumes);
    lp->clk = (gen_clock)GEN_CLOCK_INIT;
    if (!lp->track || !lp->heap || gen_actor_cache_init(&lp->actors) || !lp->assumes)
        return TW_ERR_NOMEM;
    for (uint32_t ix = 0; ix < lp->total; ix++) {
        gen_real_track *tr = &lp->track[ix];
        const gen_ident *id = &get_actor(lp, ix)->id;
        const gen_real_scenario_ident *sid =
            ix >= opt->identities ? &lp->re.scenario[ix - opt->identities] : NULL;
        int64_t from = opt->start_ms;
        tr->until_ms = INT64_MAX;
        tr->busy = (float)(sid && sid->busy > 0 ? sid->busy : gen_real_busy(id));
        if (sid) {
            from = sid->from_ms > from ? sid->from_ms : from;
            tr->until_ms = sid->until_ms;
        }
        tr->next_ms = gen_real_next_episode(id, tr->busy, 1, from - 1);
        if (tr->next_ms < lp->end_ms && tr->next_ms < tr->until_ms)
            heap_push(lp, ix);
    }
    return TW_OK;
}

static tw_err generate(gen_real_loop *lp)
{
    size_t next = 0;
    tw_err err = TW_OK;
    while (lp->heap_n && !err) {
        uint32_t ix = lp->heap[0];
        err = emit_scripted_until(lp, &next, lp->track[ix].next_ms);
        if (err)
            break;
        heap_pop(lp);
        err = step(lp, ix);
        gen_real_track *tr = &lp->track[ix];
        if (tr->next_ms < lp->end_ms && tr->next_ms < tr->until_ms)
            heap_push(lp, ix);
    }
    if (!err)
        err = emit_scripted_until(lp, &next, INT64_MAX);
    return err;
}

/* The AWSService principal of the first account that assumed roles most: the look-alike. */
static void finish_truth(gen_real_loop *lp, gen_real_totals *tot)
{
    uint32_t accounts = lp->opt->accounts;
    size_t best = 0;
    for (size_t h = 0; h < N_HOSTS; h++) {
        for (uint32_t a = 0; a < accounts; a++)
            tot->service_principals += lp->assumes[h * accounts + a] > 0;
        if (lp->assumes[h * accounts] > lp->assumes[best * accounts])
            best = h;
    }
    for (uint32_t i = 0; i < lp->sc.truth_count; i++) {
        gen_real_truth *t = &lp->sc.truth[i];
        if (t->ident != UINT32_MAX)
            continue;
        t->service = hosts[best];
        t->account_ix = 0;
        t->rules[0] = NULL;
        snprintf(t->note, sizeof t->note,
                 "AWSService principal %s assumed workload roles %llu times in account %s "
                 "(one AssumeRole a new hourly session); any rule",
                 hosts[best], (unsigned long long)lp->assumes[best * accounts],
                 lp->re.es.account_ids[0]);
    }
    tot->records = lp->serial;
}

static void print_header(const gen_real_loop *lp)
{
    const gen_opts *opt = lp->opt;
    char start[32];
    tw_time_format_iso(opt->start_ms, start, sizeof start);
    fprintf(stderr,
            "trailwarden gen: realistic estate of %u identities (+%u scenario identities), %u "
            "account%s (%u with SSO and service-linked roles), from %s over %.1f days, seed %llu\n",
            opt->identities, lp->sc.ident_count, opt->accounts, opt->accounts == 1 ? "" : "s",
            lp->re.fixed_accounts, start, (double)opt->span_ms / TW_MS_DAY,
            (unsigned long long)opt->seed);
    gen_real_script_report(&lp->sc, &lp->re, stderr);
}

int gen_real_run(const gen_opts *opt)
{
    gen_real_loop loop = { .opt = opt };
    gen_real_loop *lp = &loop;
    int status = 1;
    FILE *truth = NULL;
    uint64_t bytes, files;
    double t0 = gen_wall_seconds();
    tw_err err = prepare(lp);
    if (err) {
        fprintf(stderr, "trailwarden gen: %s\n", tw_err_str(err));
        goto out;
    }
    if (opt->truth) {
        truth = fopen(opt->truth, "w");
        if (!truth) {
            fprintf(stderr, "trailwarden gen: %s: cannot write the truth file\n", opt->truth);
            goto out;
        }
    }
    if (gen_sink_start(&lp->sk, opt))
        goto out;
    if (!opt->quiet)
        print_header(lp);
    if (gen_sink_done(&lp->sk, generate(lp), &bytes, &files))
        goto out;
    gen_real_totals tot = { 0 };
    finish_truth(lp, &tot);
    if (truth) {
        err = gen_real_truth_write(&lp->sc, &lp->re, opt, &tot, truth);
        int cl = fclose(truth);
        truth = NULL;
        if (err || cl) {
            fprintf(stderr, "trailwarden gen: %s: write error\n", opt->truth);
            goto out;
        }
    }
    status = 0;
    char principals[48];
    snprintf(principals, sizeof principals, "; %u AWSService principals", tot.service_principals);
    gen_sink_report(opt, tot.records, bytes, files, gen_wall_seconds() - t0, principals);
out:
    if (truth)
        fclose(truth);
    gen_sink_close(lp->sk, NULL, 0);
    free(lp->track);
    free(lp->heap);
    gen_actor_cache_free(&lp->actors);
    free(lp->assumes);
    gen_real_script_free(&lp->sc);
    gen_real_estate_free(&lp->re);
    return status;
}
