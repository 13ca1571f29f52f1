/* libFuzzer target: one input is a policy document as a rule meets it (JSON, a JSON string
 * holding one, URL-encoded), read for who it lets in, with the resource's account known and
 * unknown, and, when it parses, as a node. Either facts or a refusal that says why: nothing may
 * crash, leak or read out of bounds, and the facts must agree with each other. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema_jdom.h"
#include "policy_facts.h"

static tw_json *js;

/* Facts that imply others; a refusal leaves none and says why. */
static void check(tw_err err, const tw_policy_facts *f, const char *errstr)
{
    static const tw_policy_facts none;
    if (err != TW_OK) {
        if (err != TW_ERR_PARSE && err != TW_ERR_NOMEM)
            abort();
        if (memcmp(f, &none, sizeof none) || (err == TW_ERR_PARSE && !errstr[0]))
            abort();
        return;
    }
    bool principal = f->anyone || f->anyone_restricted || f->aws_principal || f->whole_account ||
                     f->other_account || f->service_principal || f->federated || f->canonical_user;
    if (principal && !f->allows)
        abort(); /* principal facts come from Allow statements */
    if ((f->whole_account || f->other_account || f->anyone || f->anyone_restricted) &&
        !f->aws_principal)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!js && !(js = tw_json_new()))
        abort();
    if (size > UINT32_MAX)
        return 0;
    tw_str text = { (const char *)data, (uint32_t)size };
    char errstr[512];
    tw_policy_facts own, unknown;
    errstr[0] = '\0';
    tw_err err =
        tw_policy_facts_text(js, text, tw_str_c("111122223333"), &own, errstr, sizeof errstr);
    check(err, &own, errstr);
    errstr[0] = '\0';
    tw_err err2 = tw_policy_facts_text(js, text, TW_STR_NULL, &unknown, errstr, sizeof errstr);
    check(err2, &unknown, errstr);
    if (err != err2)
        abort(); /* the account changes facts, not whether it is a policy */
    if (!err) {
        /* with the account unknown, every named account is another: nothing else changes */
        if (own.other_account && !unknown.other_account)
            abort();
        tw_policy_facts a = own, b = unknown;
        a.other_account = b.other_account = false;
        if (memcmp(&a, &b, sizeof a))
            abort();
    }
    /* the same bytes parsed by the caller, handed over as a node */
    char *buf = malloc(size + TW_JSON_PADDING);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    memset(buf + size, ' ', TW_JSON_PADDING);
    tw_arena arena;
    tw_arena_init(&arena, 4096);
    tw_json_error jerr = { 0 };
    tw_jnode *root = tw_jdom_parse(js, &arena, buf, size, size + TW_JSON_PADDING, 64, &jerr);
    if (root) {
        tw_policy_facts nf;
        errstr[0] = '\0';
        tw_err nerr =
            tw_policy_facts_node(js, root, tw_str_c("111122223333"), &nf, errstr, sizeof errstr);
        check(nerr, &nf, errstr);
    }
    tw_arena_free(&arena);
    free(buf);
    return 0;
}
