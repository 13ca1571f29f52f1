/* libFuzzer target: one input is an IAM inventory (--grants) and, the same bytes, a policy
 * document (as a stream call's policyDocument string, URL-encoded or not). Both readers must
 * either accept or refuse with a message: nothing may crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grants_policy.h"
#include "ingest_catalog.h"
#include "ingest_inventory.h"

static tw_catalog *catalog;
static tw_privtab *privtab;
static tw_json *js;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!catalog) {
        char err[128];
        if (tw_catalog_new(&catalog, err, sizeof err) != TW_OK ||
            tw_privtab_new(catalog, &privtab) != TW_OK || !(js = tw_json_new()))
            abort();
    }
    char err[512];
    err[0] = '\0';
    tw_inventory *inv = NULL;
    if (tw_inventory_load_text("fuzz.json", (const char *)data, size, &inv, err, sizeof err) ==
        TW_OK) {
        uint32_t words = tw_privtab_words(privtab);
        uint64_t *sets = calloc(2 * (size_t)words, sizeof *sets);
        for (size_t i = 0; sets && i < inv->n_grants; i++) {
            if (!inv->grants[i].document)
                continue;
            memset(sets, 0, 2 * (size_t)words * sizeof *sets);
            tw_policy_grant pg = { sets, sets + words };
            tw_policy_expand_node(privtab, js, inv->grants[i].document, &pg, err, sizeof err);
        }
        free(sets);
        tw_inventory_destroy(inv);
    } else if (!err[0]) {
        abort(); /* a refusal says why */
    }
    uint32_t words = tw_privtab_words(privtab);
    uint64_t *sets = calloc(2 * (size_t)words, sizeof *sets);
    if (sets) {
        tw_policy_grant pg = { sets, sets + words };
        tw_policy_expand_text(privtab, js, (tw_str){ (const char *)data, size }, &pg, err,
                              sizeof err);
        /* conditional actions are granted ones */
        for (uint32_t w = 0; w < words; w++)
            if (sets[words + w] & ~sets[w])
                abort();
        free(sets);
    }
    return 0;
}
