/* gen_run: the generation loop.
 *
 * Record i of the estate is due at start + span * (i + 0.5) / records, plus a jitter of up to
 * 2.5 minutes either way: output is roughly in time order with local disorder, as real trails
 * are. Its identity is either the next one of a shuffled roll-call (spread evenly through the
 * run, so every identity appears once records >= identities) or a weighted draw (busy
 * identities call more). Per identity, event times never go backwards, so the cycles of
 * gen_actions.c hold in event-time order too. Scripted events are merged in at their time. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gen_internal.h"
#include "tw_rng.h"
#include "tw_time.h"

#define JITTER_MS (150 * TW_MS_SECOND)
#define ADVANCE_EVERY 1024u
#define ACTOR_CACHE 4096u

/* What the run remembers of an identity: 12 bytes, whatever the estate's size. */
typedef struct gen_track {
    uint32_t last_s; /* 1 + seconds from start of its latest event; 0: none yet */
    uint32_t count;  /* events so far: its position in its profile's cycle */
    uint32_t epoch;  /* 1 + low bits of its current session number; 0: none yet */
} gen_track;

typedef struct gen_loop {
    const gen_opts *opt;
    gen_estate es;
    gen_script sc;
    gen_sink *sk;
    gen_track *track;
    double *cum;    /* cumulative weights of the estate identities */
    uint32_t *roll; /* the shuffled roll-call */
    gen_actor_cache actors;
    gen_clock clk;
    tw_rng rng;
    uint64_t serial;
} gen_loop;

double gen_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint32_t draw_weighted(gen_loop *lp)
{
    uint32_t n = lp->opt->identities;
    double u = tw_rng_unit(&lp->rng) * lp->cum[n - 1];
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (lp->cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

tw_err gen_actor_cache_init(gen_actor_cache *cache)
{
    cache->slot = malloc(ACTOR_CACHE * sizeof *cache->slot);
    cache->held = calloc(ACTOR_CACHE, sizeof *cache->held);
    return cache->slot && cache->held ? TW_OK : TW_ERR_NOMEM;
}

gen_actor *gen_actor_cache_get(gen_actor_cache *cache, uint32_t index, bool *fresh)
{
    uint32_t i = index % ACTOR_CACHE;
    *fresh = cache->held[i] != index + 1;
    cache->held[i] = index + 1;
    return &cache->slot[i];
}

void gen_actor_cache_free(gen_actor_cache *cache)
{
    free(cache->slot);
    free(cache->held);
    *cache = (gen_actor_cache){ 0 };
}

static gen_actor *get_actor(gen_loop *lp, uint32_t index, int64_t t_ms)
{
    bool fresh;
    gen_actor *ac = gen_actor_cache_get(&lp->actors, index, &fresh);
    if (fresh)
        gen_actor_init(ac, &lp->es, index);
    gen_actor_at(ac, t_ms);
    return ac;
}

static tw_err emit(gen_loop *lp, const gen_actor *ac, const gen_event *ev)
{
    tw_buf *b = gen_sink_begin_call(lp->sk, &ac->id, ev);
    gen_record_write(&lp->es, ac, ev, lp->serial++, &lp->clk, b);
    return gen_sink_end(lp->sk);
}

static tw_err emit_estate(gen_loop *lp, uint32_t index, int64_t due_ms)
{
    const gen_opts *opt = lp->opt;
    gen_track *tr = &lp->track[index];
    int64_t t = due_ms + (int64_t)tw_rng_below(&lp->rng, 2 * JITTER_MS + 1) - JITTER_MS;
    if (t < opt->start_ms)
        t = opt->start_ms;
    if (t > opt->start_ms + opt->span_ms - TW_MS_SECOND)
        t = opt->start_ms + opt->span_ms - TW_MS_SECOND;
    uint32_t rel = (uint32_t)((t - opt->start_ms) / TW_MS_SECOND);
    if (rel + 1 < tr->last_s)
        rel = tr->last_s - 1;
    tr->last_s = rel + 1;
    t = opt->start_ms + (int64_t)rel * TW_MS_SECOND;

    const gen_actor *ac = get_actor(lp, index, t);
    gen_event ev = { .time_ms = t, .ident = index };
    uint32_t epoch = (uint32_t)ac->ss.epoch + 1;
    bool new_session = epoch != tr->epoch;
    if (ac->id.console && new_session) {
        ev.action = GEN_ACT_SIGNIN_CONSOLE_LOGIN; /* each console session starts signing in */
    } else if (new_session && tr->epoch && ac->id.assumed_by) {
        /* A service-hosted role's new session shows the service's AssumeRole first (except
         * its first: the identity itself must appear, or a roll-call slot would be lost). */
        ev.action = GEN_ACT_STS_ASSUME_ROLE_BY_SERVICE;
        ev.flags = GEN_EV_NO_ERROR;
    } else {
        ev.action = (uint16_t)gen_profile_action(ac->id.profile, tr->count++, ac->id.h);
    }
    tr->epoch = epoch;
    return emit(lp, ac, &ev);
}

static tw_err emit_scripted_until(gen_loop *lp, size_t *next, int64_t until_ms)
{
    const gen_event *ev;
    while ((ev = gen_events_next(&lp->sc.events, next, until_ms))) {
        tw_err err = emit(lp, get_actor(lp, ev->ident, ev->time_ms), ev);
        if (err)
            return err;
    }
    return TW_OK;
}

static tw_err prepare(gen_loop *lp)
{
    const gen_opts *opt = lp->opt;
    tw_err err = gen_script_build(&lp->sc, opt);
    if (err)
        return err;
    err = gen_estate_init(&lp->es, opt);
    if (err)
        return err;
    lp->es.script = lp->sc.idents;
    lp->es.script_count = lp->sc.ident_count;
    uint32_t n = opt->identities;
    lp->track = calloc((size_t)n + lp->sc.ident_count, sizeof *lp->track);
    lp->cum = malloc((size_t)n * sizeof *lp->cum);
    lp->roll = malloc((size_t)n * sizeof *lp->roll);
    lp->clk = (gen_clock)GEN_CLOCK_INIT;
    if (!lp->track || !lp->cum || !lp->roll || gen_actor_cache_init(&lp->actors))
        return TW_ERR_NOMEM;
    double total = 0;
    for (uint32_t i = 0; i < n; i++) {
        total += gen_estate_weight(&lp->es, i);
        lp->cum[i] = total;
        lp->roll[i] = i;
    }
    tw_rng_seed(&lp->rng, gen_mix(opt->seed, 0x5EEDu));
    for (uint32_t i = n; i > 1; i--) { /* Fisher-Yates */
        uint32_t j = (uint32_t)tw_rng_below(&lp->rng, i);
        uint32_t tmp = lp->roll[i - 1];
        lp->roll[i - 1] = lp->roll[j];
        lp->roll[j] = tmp;
    }
    return TW_OK;
}

static tw_err generate(gen_loop *lp)
{
    const gen_opts *opt = lp->opt;
    uint64_t n = opt->records;
    uint64_t roll_n = opt->identities < n ? opt->identities : n;
    uint64_t rolled = 0;
    size_t next = 0;
    tw_err err = TW_OK;
    for (uint64_t i = 0; i < n && !err; i++) {
        int64_t due =
            opt->start_ms + (int64_t)((double)opt->span_ms * ((double)i + 0.5) / (double)n);
        err = emit_scripted_until(lp, &next, due);
        if (err)
            break;
        /* Roll-call slots are spread evenly: slot i is one when floor(i * roll_n / n) steps. */
        bool roll_slot =
            (unsigned __int128)(i + 1) * roll_n / n > (unsigned __int128)i * roll_n / n;
        uint32_t index = roll_slot ? lp->roll[rolled++] : draw_weighted(lp);
        err = emit_estate(lp, index, due);
        if (!err && (i + 1) % ADVANCE_EVERY == 0)
            err = gen_sink_advance(lp->sk, due);
    }
    if (!err)
        err = emit_scripted_until(lp, &next, INT64_MAX);
    return err;
}

static void print_header(const gen_loop *lp)
{
    const gen_opts *opt = lp->opt;
    char start[32];
    tw_time_format_iso(opt->start_ms, start, sizeof start);
    fprintf(stderr,
            "trailwarden gen: %llu records (%llu estate + %zu scripted), %u identities "
            "(+%u scripted), %u account%s, from %s over %.1f h, seed %llu\n",
            (unsigned long long)(opt->records + lp->sc.events.count),
            (unsigned long long)opt->records, lp->sc.events.count, opt->identities,
            lp->sc.ident_count, opt->accounts, opt->accounts == 1 ? "" : "s", start,
            (double)opt->span_ms / TW_MS_HOUR, (unsigned long long)opt->seed);
    gen_script_report(&lp->sc, &lp->es, stderr);
}

int gen_run(const gen_opts *opt)
{
    gen_loop loop = { .opt = opt };
    gen_loop *lp = &loop;
    int status = 1;
    uint64_t bytes, files;
    double t0 = gen_wall_seconds();
    tw_err err = prepare(lp);
    if (err) {
        fprintf(stderr, "trailwarden gen: %s\n", tw_err_str(err));
        goto out;
    }
    if (gen_sink_start(&lp->sk, opt))
        goto out;
    if (!opt->quiet)
        print_header(lp);
    if (gen_sink_done(&lp->sk, generate(lp), &bytes, &files))
        goto out;
    status = 0;
    gen_sink_report(opt, lp->serial, bytes, files, gen_wall_seconds() - t0, "");
out:
    gen_sink_close(lp->sk, NULL, 0);
    free(lp->track);
    free(lp->cum);
    free(lp->roll);
    gen_actor_cache_free(&lp->actors);
    gen_estate_free(&lp->es);
    gen_script_free(&lp->sc);
    return status;
}
