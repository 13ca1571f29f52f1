/* tw_rng: a small deterministic PRNG (splitmix64), for the generator and sampled eviction.
 * Seeded explicitly, so runs repeat exactly; never use rand(). */
#ifndef TW_RNG_H
#define TW_RNG_H

#include <stdint.h>

typedef struct tw_rng {
    uint64_t s;
} tw_rng;

static inline void tw_rng_seed(tw_rng *rng, uint64_t seed)
{
    rng->s = seed;
}

static inline uint64_t tw_rng_next(tw_rng *rng)
{
    uint64_t z = (rng->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; the tiny bias is irrelevant here). */
static inline uint64_t tw_rng_below(tw_rng *rng, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)tw_rng_next(rng) * n) >> 64);
}

static inline double tw_rng_unit(tw_rng *rng)
{
    return (double)(tw_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
