#include "tw_hash.h"

#include <string.h>

/* Eight bytes at a time, each word multiplied in and folded; the tail is zero-padded and the
 * length mixed in, so "a" and "a\0" differ. */
static inline uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t fold(uint64_t h, uint64_t w)
{
    h ^= w * 0x9e3779b97f4a7c15ULL;
    h = (h << 27) | (h >> 37);
    return h * 0xbf58476d1ce4e5b9ULL + 0x94d049bb133111ebULL;
}

uint64_t tw_hash64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
    size_t i = 0;
    for (; i + 8 <= len; i += 8)
        h = fold(h, load64(p + i));
    if (i < len) {
        unsigned char tail[8] = { 0 };
        memcpy(tail, p + i, len - i);
        h = fold(h, load64(tail));
    }
    return tw_hash_mix(h);
}

uint64_t tw_hash64_lower(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
    unsigned char w[8];
    size_t i = 0;
    while (i < len) {
        size_t n = len - i < 8 ? len - i : 8;
        memset(w, 0, sizeof w);
        for (size_t k = 0; k < n; k++) {
            unsigned char c = p[i + k];
            w[k] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
        }
        h = fold(h, load64(w));
        i += n;
    }
    return tw_hash_mix(h);
}
