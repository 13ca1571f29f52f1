/* app_inventory: --grants FILE, the inventory's grants into the tracker (ingest_inventory
 * reads the file as a stream; each policy document is expanded here into privileged actions). */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_pipeline.h"
#include "ingest_inventory.h"
#include "tw_arena.h"
#include "tw_log.h"

/* A grant of a managed policy the tracker cannot expand yet: "Policies" may define it further
 * on in the file (kept to the end: a few strings). */
typedef struct inv_held {
    tw_str identity, source, arn;
} inv_held;

/* load_inventory's sink: each grant and policy into the tracker as the file is read. */
typedef struct inv_load {
    tw_pipeline *pl;
    const tw_app_conf *conf;
    tw_json *js;
    uint64_t *sets; /* allowed, conditional, denied: words each */
    uint32_t words;
    tw_arena strings; /* held grants' strings, failed policies' ARNs and messages */
    inv_held *held;
    size_t n_held, cap_held;
    inv_held *failed; /* policies of the file that did not expand: arn, and why (source) */
    size_t n_failed, cap_failed;
    char errstr[512];
} inv_load;

static tw_err inv_keep(inv_load *il, inv_held **v, size_t *n, size_t *cap, tw_str a, tw_str b,
                       tw_str c)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        inv_held *nv = realloc(*v, ncap * sizeof *nv);
        if (!nv)
            return TW_ERR_NOMEM;
        *v = nv;
        *cap = ncap;
    }
    int failed = 0;
    inv_held h = { tw_arena_dup(&il->strings, a, &failed), tw_arena_dup(&il->strings, b, &failed),
                   tw_arena_dup(&il->strings, c, &failed) };
    if (failed)
        return TW_ERR_NOMEM;
    (*v)[(*n)++] = h;
    return TW_OK;
}

static const inv_held *inv_failed(const inv_load *il, tw_str arn)
{
    for (size_t i = 0; i < il->n_failed; i++)
        if (tw_str_eq(il->failed[i].arn, arn))
            return &il->failed[i];
    return NULL;
}

/* A document's privileged actions into il->sets; errstr says why not. */
static tw_err inv_expand(inv_load *il, const tw_jnode *doc)
{
    memset(il->sets, 0, 3 * (size_t)il->words * sizeof *il->sets);
    if (!doc) {
        snprintf(il->errstr, sizeof il->errstr, "no policy document");
        return TW_ERR_PARSE;
    }
    tw_policy_grant pg = { il->sets, il->sets + il->words, il->sets + 2 * il->words };
    return tw_policy_expand_node(il->pl->privtab, il->js, doc, &pg, il->errstr, sizeof il->errstr);
}

static void inv_unparseable(inv_load *il, tw_str source, const char *why)
{
    tw_grants_note_unparseable(il->pl->grants);
    if (il->conf->verbosity > 0)
        tw_log("--grants %s: %.*s: %s", il->conf->grants_path, (int)source.len, source.p, why);
}

/* Why a document over the bound is not read, into il->errstr. */
static void inv_too_large(inv_load *il, uint64_t size)
{
    snprintf(il->errstr, sizeof il->errstr,
             "a policy document of %" PRIu64 " bytes, over the %zu-byte bound (AWS allows "
             "10,240 characters at most): not read",
             size, TW_INV_DOC_MAX);
}

/* A managed policy the file defines: expanded once, however many identities hold it. The
 * first listed wins, and AWS's own over the file's copy. */
static tw_err inv_on_policy(void *ud, tw_str arn, const tw_jnode *doc, uint64_t refused)
{
    inv_load *il = ud;
    if (tw_grants_knows_policy(il->pl->grants, arn) || inv_failed(il, arn))
        return TW_OK;
    if (refused) {
        inv_too_large(il, refused);
        return inv_keep(il, &il->failed, &il->n_failed, &il->cap_failed, TW_STR_NULL,
                        tw_str_c(il->errstr), arn);
    }
    tw_err err = doc ? inv_expand(il, doc) : TW_ERR_PARSE;
    if (err == TW_OK)
        return tw_grants_define_policy(
            il->pl->grants, arn,
            &(tw_policy_grant){ il->sets, il->sets + il->words, il->sets + 2 * il->words });
    if (err == TW_ERR_NOMEM)
        return err;
    /* said for each grant of it, at the end */
    tw_str why = doc ? tw_str_c(il->errstr) : tw_str_c("a managed policy unknown to this build");
    return inv_keep(il, &il->failed, &il->n_failed, &il->cap_failed, TW_STR_NULL, why, arn);
}

static tw_err inv_on_grant(void *ud, const tw_inv_grant *g)
{
    inv_load *il = ud;
    if (g->policy_arn.len && tw_grants_knows_policy(il->pl->grants, g->policy_arn))
        return tw_grants_add_inventory(il->pl->grants, g->identity, g->source, NULL, g->policy_arn);
    if (g->policy_arn.len)
        return inv_keep(il, &il->held, &il->n_held, &il->cap_held, g->identity, g->source,
                        g->policy_arn);
    if (g->document_refused) {
        inv_too_large(il, g->document_refused);
        inv_unparseable(il, g->source, il->errstr);
        return TW_OK;
    }
    tw_err err = inv_expand(il, g->document);
    if (err == TW_OK)
        return tw_grants_add_inventory(
            il->pl->grants, g->identity, g->source,
            &(tw_policy_grant){ il->sets, il->sets + il->words, il->sets + 2 * il->words },
            TW_STR_NULL);
    if (err != TW_ERR_NOMEM) {
        inv_unparseable(il, g->source, il->errstr);
        err = TW_OK;
    }
    return err;
}

/* The held grants, the whole file read: a policy neither AWS managed nor defined by the file
 * holds nothing (counted as unparseable, as a document that does not parse). */
static tw_err inv_release_held(inv_load *il)
{
    for (size_t i = 0; i < il->n_held; i++) {
        const inv_held *h = &il->held[i];
        if (tw_grants_knows_policy(il->pl->grants, h->arn)) {
            tw_err err =
                tw_grants_add_inventory(il->pl->grants, h->identity, h->source, NULL, h->arn);
            if (err)
                return err;
            continue;
        }
        const inv_held *f = inv_failed(il, h->arn);
        char why[512];
        snprintf(why, sizeof why, "%.*s", f ? (int)f->source.len : 0, f ? f->source.p : "");
        inv_unparseable(il, h->source, f ? why : "a managed policy unknown to this build");
    }
    return TW_OK;
}

/* --grants: the inventory's grants into the tracker, read as a stream (no tree of the file).
 * It runs on the main thread while the reader and parsers start (the router waits for it
 * before its first event, so the grants count from the first event all the same). Exit 2 on a
 * bad inventory: nothing is routed (what was added before the error is never used). */
int tw_app_load_inventory(tw_pipeline *pl, const tw_app_conf *conf)
{
    char errstr[512];
    if (!conf->grants_path || !pl->grants || tw_grants_restored(pl->grants))
        return TW_EXIT_OK; /* a checkpoint's book holds them already */
    inv_load il = { .pl = pl, .conf = conf, .js = tw_json_new() };
    il.words = tw_privtab_words(pl->privtab) ? tw_privtab_words(pl->privtab) : 1;
    il.sets = calloc(3 * (size_t)il.words, sizeof *il.sets);
    tw_arena_init(&il.strings, 64 * 1024);
    tw_inv_sink sink = { .ud = &il, .grant = inv_on_grant, .policy = inv_on_policy };
    tw_err err = il.js && il.sets
                     ? tw_inventory_stream(conf->grants_path, &sink, NULL, errstr, sizeof errstr)
                     : TW_ERR_NOMEM;
    if (err == TW_OK)
        err = inv_release_held(&il);
    if (err == TW_ERR_NOMEM)
        tw_log("out of memory reading --grants %s", conf->grants_path);
    else if (err != TW_OK)
        tw_log("--grants %s; nothing read", errstr);
    free(il.sets);
    free(il.held);
    free(il.failed);
    tw_arena_free(&il.strings);
    tw_json_destroy(il.js);
    malloc_trim(0); /* the reading's buffers are gone: give their pages back */
    return err == TW_OK ? TW_EXIT_OK : TW_EXIT_USAGE;
}
