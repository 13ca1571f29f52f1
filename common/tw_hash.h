/* tw_hash: the 64-bit hash used for identity sharding, catalog lookup and finding uids.
 * Stable across runs and machines (finding uids depend on it): never change it lightly. */
#ifndef TW_HASH_H
#define TW_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t tw_hash64(const void *data, size_t len, uint64_t seed);

/* Hash of the ASCII-lowercased bytes (catalog lookups are case-insensitive, like IAM). */
uint64_t tw_hash64_lower(const void *data, size_t len, uint64_t seed);

static inline uint64_t tw_hash_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

#endif
