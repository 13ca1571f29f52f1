/* libFuzzer target: bytes as a rule file through the YAML loader, validation and the
 * condition parser, and as an --exceptions file (the same YAML tree) whose entries, when it
 * loads, are matched against a finding. Nothing may crash or leak; a broken file yields
 * diagnostics, not a rule or an exception. */
#include <stdint.h>
#include <stdlib.h>

#include "exceptions.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t fixed_clock(void)
{
    return 1788220800000; /* 2026-09-01: deterministic expiry */
}

static void exceptions_one(const uint8_t *data, size_t size)
{
    static const char *const ids[] = { "model-customization", "logging-tampered", "llm-jacking",
                                       "training-telemetry-granted" };
    tw_exc_conf conf = {
        .rule_ids = ids, .n_rule_ids = 4, .n_threads = 1, .clock_ms = fixed_clock
    };
    tw_exceptions *ex = NULL;
    if (tw_exceptions_load_buffer("fuzz.yml", (const char *)data, size, &conf, &ex) == TW_OK) {
        tw_rule_meta meta = { .id = "model-customization" };
        tw_event ev = {
            .identity = TW_STR_LIT("arn:aws:iam::111122223333:role/ml-pipeline-nightly"),
            .event_source = TW_STR_LIT("bedrock.amazonaws.com"),
            .event_name = TW_STR_LIT("CreateModelCustomizationJob"),
            .request_params = TW_STR_LIT("{\"baseModelIdentifier\":\"amazon.titan-text\","
                                         "\"a\":{\"b\":[1,\"x\",null,{\"c\":true}]}}"),
        };
        tw_finding f = { .rule = &meta, .ev = &ev };
        (void)tw_exceptions_match(ex, 0, &f);
    }
    for (size_t i = 0; ex && i < tw_exceptions_diag_count(ex); i++)
        if (!tw_exceptions_diag(ex, i))
            abort();
    tw_exceptions_destroy(ex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tw_ruleset *rs = tw_ruleset_new();
    if (!rs)
        return 0;
    (void)tw_ruleset_add_buffer(rs, "fuzz.yml", (const char *)data, size);
    (void)tw_ruleset_finish(rs);
    for (size_t i = 0; i < tw_ruleset_diag_count(rs); i++)
        if (!tw_ruleset_diag(rs, i))
            abort();
    tw_ruleset_destroy(rs);
    exceptions_one(data, size);
    return 0;
}
