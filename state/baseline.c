/* baseline: see baseline.h. */
#include "baseline.h"

#include <arpa/inet.h>
#include <string.h>

#include "tw_hash.h"

_Static_assert(sizeof(tw_baseline) <= 256, "the baseline stays within a quarter of the budget");

int64_t tw_baseline_known_from(int64_t first_ms, int64_t start_ms, int64_t learn_ms)
{
    if (learn_ms <= 0 || first_ms >= start_ms + learn_ms)
        return first_ms;
    return first_ms + learn_ms;
}

static uint32_t hash32(tw_str s, uint64_t seed)
{
    uint64_t h = tw_hash64(s.p, s.len, seed);
    return (uint32_t)(h ^ (h >> 32));
}

/* The source's network: an IPv4 address's /24, an IPv6 address's /48; anything else (a
 * service host name) as written. */
static uint32_t network_of(tw_str ip)
{
    char text[64];
    unsigned char addr[16];
    if (ip.len && ip.len < sizeof text) {
        memcpy(text, ip.p, ip.len);
        text[ip.len] = '\0';
        if (inet_pton(AF_INET, text, addr) == 1)
            return hash32((tw_str){ (const char *)addr, 3 }, 4);
        if (inet_pton(AF_INET6, text, addr) == 1)
            return hash32((tw_str){ (const char *)addr, 6 }, 6);
    }
    return hash32(ip, 0);
}

bool tw_baseline_value(tw_baseline_kind kind, const tw_event *ev, uint32_t *value)
{
    switch (kind) {
    case TW_BASELINE_SERVICE:
        *value = hash32(ev->event_source, 1);
        return ev->event_source.len > 0;
    case TW_BASELINE_PRIVILEGED:
        *value = ev->action_id;
        return (ev->flags & TW_EV_ACTION_KNOWN) && (ev->classes & TW_CLASS_PRIVILEGED);
    case TW_BASELINE_REGION:
        *value = hash32(ev->region, 2);
        return ev->region.len > 0;
    case TW_BASELINE_MODEL:
        *value = hash32(ev->model_id, 3);
        return ev->model_id.len > 0;
    case TW_BASELINE_NETWORK:
        *value = network_of(ev->source_ip);
        return ev->source_ip.len > 0;
    case TW_BASELINE_KINDS_: break;
    }
    return false;
}

static uint32_t *exact_set(tw_baseline *b, tw_baseline_kind kind, uint32_t *cap)
{
    switch (kind) {
    case TW_BASELINE_SERVICE: *cap = TW_BASELINE_MAX_SERVICES; return b->services;
    case TW_BASELINE_PRIVILEGED: *cap = TW_BASELINE_MAX_PRIVILEGED; return b->privileged;
    case TW_BASELINE_REGION: *cap = TW_BASELINE_MAX_REGIONS; return b->regions;
    case TW_BASELINE_MODEL: *cap = TW_BASELINE_MAX_MODELS; return b->models;
    case TW_BASELINE_NETWORK: *cap = TW_BASELINE_MAX_NETWORKS; return b->networks;
    case TW_BASELINE_KINDS_: break;
    }
    *cap = 0;
    return NULL;
}

/* The sketch's three bits for (kind, value). */
static void sketch_bits(tw_baseline_kind kind, uint32_t value, uint32_t bit[3])
{
    uint64_t h = tw_hash_mix(((uint64_t)kind << 32 | value) ^ 0x9e3779b97f4a7c15ull);
    for (int i = 0; i < 3; i++)
        bit[i] = (uint32_t)(h >> (20 * i)) % (64u * TW_BASELINE_SKETCH_WORDS);
}

bool tw_baseline_has(const tw_baseline *b, tw_baseline_kind kind, uint32_t value)
{
    if ((unsigned)kind >= TW_BASELINE_KINDS_)
        return false;
    uint32_t cap;
    const uint32_t *set = exact_set((tw_baseline *)b, kind, &cap);
    for (uint32_t i = 0; set && i < b->n[kind]; i++)
        if (set[i] == value)
            return true;
    if (!((b->overflow >> kind) & 1u))
        return false;
    uint32_t bit[3];
    sketch_bits(kind, value, bit);
    for (int i = 0; i < 3; i++)
        if (!((b->sketch[bit[i] / 64] >> (bit[i] % 64)) & 1u))
            return false;
    return true;
}

static void add(tw_baseline *b, tw_baseline_kind kind, uint32_t value)
{
    if ((unsigned)kind >= TW_BASELINE_KINDS_ || tw_baseline_has(b, kind, value))
        return;
    uint32_t cap;
    uint32_t *set = exact_set(b, kind, &cap);
    if (b->n[kind] < cap) {
        set[b->n[kind]++] = value;
        return;
    }
    uint32_t bit[3];
    sketch_bits(kind, value, bit);
    for (int i = 0; i < 3; i++)
        b->sketch[bit[i] / 64] |= 1ull << (bit[i] % 64);
    b->overflow |= (uint8_t)(1u << kind);
}

void tw_baseline_learn(tw_baseline *b, const tw_event *ev)
{
    if (ev->flags & TW_EV_ON_BEHALF)
        return;
    static const tw_baseline_kind any_outcome[] = { TW_BASELINE_SERVICE, TW_BASELINE_REGION,
                                                    TW_BASELINE_MODEL, TW_BASELINE_NETWORK };
    uint32_t v;
    for (size_t i = 0; i < sizeof any_outcome / sizeof any_outcome[0]; i++)
        if (tw_baseline_value(any_outcome[i], ev, &v))
            add(b, any_outcome[i], v);
    if (ev->flags & TW_EV_FAILED)
        return;
    b->classes |= ev->classes;
    if (tw_baseline_value(TW_BASELINE_PRIVILEGED, ev, &v))
        add(b, TW_BASELINE_PRIVILEGED, v);
}

bool tw_baseline_valid(const tw_baseline *b)
{
    for (int k = 0; k < TW_BASELINE_KINDS_; k++) {
        uint32_t cap;
        exact_set((tw_baseline *)b, (tw_baseline_kind)k, &cap);
        if (b->n[k] > cap)
            return false;
    }
    return !(b->overflow >> TW_BASELINE_KINDS_) && b->classes < (1u << TW_CLASS_COUNT_);
}
