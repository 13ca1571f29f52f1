/* libFuzzer target: bytes as a rule file through the YAML loader, validation and the
 * condition parser. Nothing may crash or leak; a broken file yields diagnostics, not a rule. */
#include <stdint.h>
#include <stdlib.h>

#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    return 0;
}
