/* libFuzzer target: one input is an IAM inventory (--grants) and, the same bytes, a policy
 * document (as a stream call's policyDocument string, URL-encoded or not). Both readers must
 * either accept or refuse with a message: nothing may crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grants_policy.h"
#include "schema_catalog.h"
#include "ingest_inventory.h"

static tw_catalog *catalog;
static tw_privtab *privtab;
static tw_json *js;
static uint64_t *scratch;

/* Each document the inventory hands over is expanded at once (it lives for the call only). */
static void expand(const tw_jnode *doc)
{
    char err[512];
    uint32_t words = tw_privtab_words(privtab);
    if (!doc)
        return;
    memset(scratch, 0, 3 * (size_t)words * sizeof *scratch);
    tw_policy_grant pg = { scratch, scratch + words, scratch + 2 * words };
    tw_policy_expand_node(privtab, js, doc, &pg, err, sizeof err);
}

static tw_err on_grant(void *ud, const tw_inv_grant *g)
{
    (void)ud;
    if (g->policy_arn.len && g->document)
        abort(); /* an attached policy's document comes from "Policies" */
    if (!g->identity.len || !g->source.len)
        abort();
    expand(g->document);
    return TW_OK;
}

static tw_err on_policy(void *ud, tw_str arn, const tw_jnode *doc, uint64_t refused)
{
    (void)ud;
    if (refused && doc)
        abort(); /* a document over the bound is not read */
    if (!arn.len)
        abort();
    expand(doc);
    return TW_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!catalog) {
        char err[128];
        if (tw_catalog_new(&catalog, err, sizeof err) != TW_OK ||
            tw_privtab_new(catalog, &privtab) != TW_OK || !(js = tw_json_new()) ||
            !(scratch = calloc(3 * (size_t)tw_privtab_words(privtab) + 2, sizeof *scratch)))
            abort();
    }
    char err[512];
    err[0] = '\0';
    tw_inv_sink sink = { .grant = on_grant, .policy = on_policy };
    tw_inv_counts counts;
    if (tw_inventory_stream_text("fuzz.json", (const char *)data, size, &sink, &counts, err,
                                 sizeof err) != TW_OK &&
        !err[0])
        abort(); /* a refusal says why */
    uint32_t words = tw_privtab_words(privtab);
    uint64_t *sets = calloc(3 * (size_t)words, sizeof *sets);
    if (sets) {
        tw_policy_grant pg = { sets, sets + words, sets + 2 * words };
        tw_policy_expand_text(privtab, js, (tw_str){ (const char *)data, size }, &pg, err,
                              sizeof err);
        /* conditional actions are granted ones; what a policy denies everywhere it does not
         * grant */
        for (uint32_t w = 0; w < words; w++)
            if ((sets[words + w] & ~sets[w]) || (sets[2 * words + w] & sets[w]))
                abort();
        free(sets);
    }
    return 0;
}
