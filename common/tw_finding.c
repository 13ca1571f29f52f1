/* tw_finding: finding uids (outputs and the detectors that update a finding). */
#include "tw_finding.h"

#include <stdio.h>
#include <string.h>

#include "tw_hash.h"

void tw_finding_uid(const char *rule_id, tw_str identity, tw_str event_id, char out[33])
{
    /* length-prefixed parts, so ("ab","c") and ("a","bc") differ */
    unsigned char buf[1024];
    size_t n = 0;
    tw_str parts[3] = { tw_str_c(rule_id), identity, event_id };
    for (int i = 0; i < 3; i++) {
        uint32_t len = parts[i].len;
        if (n + 4 + len > sizeof buf)
            len = (uint32_t)(sizeof buf - n - 4);
        memcpy(buf + n, &len, 4);
        memcpy(buf + n + 4, parts[i].p, len);
        n += 4 + len;
    }
    uint64_t a = tw_hash64(buf, n, 0x7472616977617264ULL); /* "traiward" */
    uint64_t b = tw_hash64(buf, n, a ^ 0x656e00000000ULL);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}
