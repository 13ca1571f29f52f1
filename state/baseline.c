/* baseline: see baseline.h. */
#include "baseline.h"

#include <arpa/inet.h>
#include <string.h>

#include "tw_hash.h"

#define VALUE_BITS 29
#define VALUE_MASK ((1u << VALUE_BITS) - 1)

_Static_assert(TW_BASELINE_KINDS_ <= 8, "a kind fits the 3 tag bits");
_Static_assert(sizeof(tw_baseline) == 16, "the header stays small");

int64_t tw_baseline_known_from(int64_t first_ms, int64_t start_ms, int64_t learn_ms)
{
    if (learn_ms <= 0 || first_ms >= start_ms + learn_ms)
        return first_ms;
    return first_ms + learn_ms;
}

void tw_baseline_init(tw_baseline *b)
{
    memset(b, 0, TW_BASELINE_INITIAL);
    b->cap = TW_BASELINE_GROWTH;
}

static uint32_t hash29(tw_str s, uint64_t seed)
{
    uint64_t h = tw_hash64(s.p, s.len, seed);
    return (uint32_t)(h ^ (h >> 32)) & VALUE_MASK;
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
            return hash29((tw_str){ (const char *)addr, 3 }, 4);
        if (inet_pton(AF_INET6, text, addr) == 1)
            return hash29((tw_str){ (const char *)addr, 6 }, 6);
    }
    return hash29(ip, 0);
}

bool tw_baseline_value(tw_baseline_kind kind, const tw_event *ev, uint32_t *value)
{
    switch (kind) {
    case TW_BASELINE_SERVICE:
        *value = hash29(ev->event_source, 1);
        return ev->event_source.len > 0;
    case TW_BASELINE_PRIVILEGED:
        *value = ev->action_id & VALUE_MASK;
        return (ev->flags & TW_EV_ACTION_KNOWN) && (ev->classes & TW_CLASS_PRIVILEGED);
    case TW_BASELINE_REGION:
        *value = hash29(ev->region, 2);
        return ev->region.len > 0;
    case TW_BASELINE_MODEL:
        *value = hash29(ev->model_id, 3);
        return ev->model_id.len > 0;
    case TW_BASELINE_NETWORK:
        *value = network_of(ev->source_ip);
        return ev->source_ip.len > 0;
    case TW_BASELINE_KINDS_:
        break;
    }
    return false;
}

static inline uint32_t tagged(tw_baseline_kind kind, uint32_t value)
{
    return (uint32_t)kind << VALUE_BITS | (value & VALUE_MASK);
}

static inline uint64_t *sketch_of(const tw_baseline *b)
{
    return (uint64_t *)(void *)(b->v + b->cap);
}

/* The sketch's three bits for a tagged value. */
static void sketch_bits(uint32_t t, uint32_t bit[3])
{
    uint64_t h = tw_hash_mix((uint64_t)t ^ 0x9e3779b97f4a7c15ull);
    for (int i = 0; i < 3; i++)
        bit[i] = (uint32_t)(h >> (20 * i)) % (8u * TW_BASELINE_SKETCH_BYTES);
}

bool tw_baseline_has(const tw_baseline *b, tw_baseline_kind kind, uint32_t value)
{
    if (!b || (unsigned)kind >= TW_BASELINE_KINDS_)
        return false;
    uint32_t t = tagged(kind, value);
    for (uint32_t i = 0; i < b->n; i++)
        if (b->v[i] == t)
            return true;
    if (!((b->overflow >> kind) & 1u))
        return false;
    const uint64_t *sk = sketch_of(b);
    uint32_t bit[3];
    sketch_bits(t, bit);
    for (int i = 0; i < 3; i++)
        if (!((sk[bit[i] / 64] >> (bit[i] % 64)) & 1u))
            return false;
    return true;
}

/* Adds a value: false when there is no room (the caller grows the baseline). */
static bool add(tw_baseline *b, tw_baseline_kind kind, uint32_t value)
{
    if (tw_baseline_has(b, kind, value))
        return true;
    if (b->n < b->cap) {
        b->v[b->n++] = tagged(kind, value);
        return true;
    }
    if (!b->sketch)
        return false;
    uint64_t *sk = sketch_of(b);
    uint32_t bit[3];
    sketch_bits(tagged(kind, value), bit);
    for (int i = 0; i < 3; i++)
        sk[bit[i] / 64] |= 1ull << (bit[i] % 64);
    b->overflow |= (uint8_t)(1u << kind);
    return true;
}

bool tw_baseline_learn(tw_baseline *b, const tw_event *ev)
{
    if (ev->flags & TW_EV_ON_BEHALF)
        return true;
    static const tw_baseline_kind any_outcome[] = { TW_BASELINE_SERVICE, TW_BASELINE_REGION,
                                                    TW_BASELINE_MODEL, TW_BASELINE_NETWORK };
    uint32_t v[4];
    bool has[4];
    uint64_t h = 0x6261;
    for (int i = 0; i < 4; i++) {
        has[i] = tw_baseline_value(any_outcome[i], ev, &v[i]);
        h = tw_hash_mix(h ^ (has[i] ? v[i] + 1u : 0u) ^ ((uint64_t)i << 40));
    }
    uint32_t last = (uint32_t)h | 1u; /* never 0: a fresh baseline's "no call yet" */
    if (last != b->last) {
        for (int i = 0; i < 4; i++)
            if (has[i] && !add(b, any_outcome[i], v[i]))
                return false;
        b->last = last;
    }
    if (ev->flags & TW_EV_FAILED)
        return true;
    uint32_t p;
    if (tw_baseline_value(TW_BASELINE_PRIVILEGED, ev, &p) && !add(b, TW_BASELINE_PRIVILEGED, p))
        return false;
    b->classes |= ev->classes;
    return true;
}

uint32_t tw_baseline_size(const tw_baseline *b)
{
    return (uint32_t)(sizeof *b + b->cap * sizeof(uint32_t) +
                      (b->sketch ? TW_BASELINE_SKETCH_BYTES : 0));
}

uint32_t tw_baseline_grown_size(const tw_baseline *b)
{
    if (b->cap < TW_BASELINE_MAX_VALUES) {
        uint32_t cap = b->cap + TW_BASELINE_GROWTH;
        return (uint32_t)(sizeof *b +
                          (cap > TW_BASELINE_MAX_VALUES ? TW_BASELINE_MAX_VALUES : cap) *
                              sizeof(uint32_t));
    }
    return tw_baseline_size(b) + (b->sketch ? 0 : TW_BASELINE_SKETCH_BYTES);
}

void tw_baseline_grown(tw_baseline *b, uint32_t bytes)
{
    uint32_t room = (uint32_t)((bytes - sizeof *b) / sizeof(uint32_t));
    if (b->cap < TW_BASELINE_MAX_VALUES) {
        b->cap = (uint16_t)(room > TW_BASELINE_MAX_VALUES ? TW_BASELINE_MAX_VALUES : room);
        return;
    }
    b->sketch = 1; /* the new bytes, zeroed, after the values */
}

uint32_t tw_baseline_count(const tw_baseline *b, tw_baseline_kind kind, bool *overflow)
{
    uint32_t n = 0;
    *overflow = b && ((b->overflow >> kind) & 1u);
    for (uint32_t i = 0; b && i < b->n; i++)
        n += b->v[i] >> VALUE_BITS == (uint32_t)kind;
    return n;
}

bool tw_baseline_valid(const tw_baseline *b, uint32_t bytes)
{
    if (bytes < sizeof *b || b->cap > TW_BASELINE_MAX_VALUES || b->n > b->cap || b->sketch > 1 ||
        (b->sketch && b->cap != TW_BASELINE_MAX_VALUES) || (b->overflow && !b->sketch) ||
        (b->overflow >> TW_BASELINE_KINDS_) || b->classes >= (1u << TW_CLASS_COUNT_) ||
        tw_baseline_size(b) > bytes)
        return false;
    for (uint32_t i = 0; i < b->n; i++)
        if (b->v[i] >> VALUE_BITS >= TW_BASELINE_KINDS_)
            return false;
    return true;
}
