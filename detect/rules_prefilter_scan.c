/* rules_prefilter_scan: the per-event half of rules_prefilter.h: looking for a literal in a
 * record's text, and for the escapes that may hide one. */
#include "rules_prefilter.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_SCAN 1 /* compiled for AVX2 on its own, used when the CPU has it */
#endif

static inline unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* p[0..len) (any case) equals lit (lower case). */
static bool eq_fold(const char *p, const char *lit, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (fold((unsigned char)p[i]) != (unsigned char)lit[i])
            return false;
    return true;
}

/* How rarely a (lower-case) byte occurs in a CloudTrail record's text, roughly: JSON's own
 * punctuation is everywhere, common letters and digits often; the scan anchors on the two
 * rarest bytes of a literal so that few places need a full comparison. */
static unsigned rarity(unsigned char c)
{
    if (c == '"' || c == ':' || c == ',')
        return 0;
    if (c == ' ' || c == '{' || c == '}' || c == '[' || c == ']')
        return 1;
    if ((c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        (c >= 'a' && memchr("etaoinsrcmdlu", c, 13)))
        return 2;
    if (c == '/')
        return 3;
    return c >= 'a' && c <= 'z' ? 4 : 5;
}

/* The two places of lit the scan compares first: the rarest byte (its first place), then the
 * rarest of the others (its last place, so that ties spread out); in order. */
static void anchors(tw_str lit, uint32_t *p0, uint32_t *p1)
{
    uint32_t a = 0, b;
    for (uint32_t i = 1; i < lit.len; i++)
        if (rarity((unsigned char)lit.p[i]) > rarity((unsigned char)lit.p[a]))
            a = i;
    b = a == lit.len - 1 ? 0 : lit.len - 1;
    for (uint32_t i = 0; i < lit.len; i++)
        if (i != a && rarity((unsigned char)lit.p[i]) >= rarity((unsigned char)lit.p[b]))
            b = i;
    *p0 = a < b ? a : b;
    *p1 = a < b ? b : a;
}

void tw_rules_prefilter_lit_init(tw_prefilter_lit *pl, tw_str lit)
{
    pl->text = lit;
    pl->p0 = pl->p1 = 0;
    if (lit.len > 1)
        anchors(lit, &pl->p0, &pl->p1);
}

#if HAVE_AVX2_SCAN
/* The SSE2 scan below, 32 places at once: the starts i .. while i + 31 <= last; *at: where it
 * stopped. */
__attribute__((target("avx2"))) static bool scan_avx2(tw_str text, const tw_prefilter_lit *pl,
                                                      uint32_t last, uint32_t *at)
{
    tw_str lit = pl->text;
    unsigned char f = (unsigned char)lit.p[pl->p0], l = (unsigned char)lit.p[pl->p1];
    const __m256i vf = _mm256_set1_epi8((char)f), vl = _mm256_set1_epi8((char)l);
    const __m256i mf = _mm256_set1_epi8((f >= 'a' && f <= 'z') ? 0x20 : 0);
    const __m256i ml = _mm256_set1_epi8((l >= 'a' && l <= 'z') ? 0x20 : 0);
    uint32_t i = *at;
    for (; i + 31 <= last; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(text.p + i + pl->p0));
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(text.p + i + pl->p1));
        __m256i hit = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(a, mf), vf),
                                       _mm256_cmpeq_epi8(_mm256_or_si256(b, ml), vl));
        unsigned bits = (unsigned)_mm256_movemask_epi8(hit);
        while (bits) {
            unsigned k = (unsigned)__builtin_ctz(bits);
            if (eq_fold(text.p + i + k, lit.p, lit.len))
                return true;
            bits &= bits - 1;
        }
    }
    *at = i;
    return false;
}
#endif

bool tw_rules_prefilter_find(tw_str text, const tw_prefilter_lit *pl)
{
    tw_str lit = pl->text;
    uint32_t n = lit.len;
    if (n == 0)
        return true;
    if (text.len < n)
        return false;
    uint32_t last = text.len - n; /* the last place the literal may start */
    uint32_t i = 0;
#if HAVE_AVX2_SCAN
    if (__builtin_cpu_supports("avx2") && scan_avx2(text, pl, last, &i))
        return true;
#endif
#if defined(__SSE2__)
    /* Two of its bytes compared at 16 places at once (a letter in either case: the byte with
     * 0x20 set equals the lower-case letter only for the letter's two cases). */
    uint32_t p0 = pl->p0, p1 = pl->p1;
    unsigned char f = (unsigned char)lit.p[p0], l = (unsigned char)lit.p[p1];
    const __m128i vf = _mm_set1_epi8((char)f), vl = _mm_set1_epi8((char)l);
    const __m128i mf = _mm_set1_epi8((f >= 'a' && f <= 'z') ? 0x20 : 0);
    const __m128i ml = _mm_set1_epi8((l >= 'a' && l <= 'z') ? 0x20 : 0);
    for (; i + 15 <= last; i += 16) {
        /* p1 <= n - 1: the loads end at text.p[last + n - 1] at most */
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(text.p + i + p0));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(text.p + i + p1));
        __m128i hit = _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(a, mf), vf),
                                    _mm_cmpeq_epi8(_mm_or_si128(b, ml), vl));
        unsigned bits = (unsigned)_mm_movemask_epi8(hit);
        while (bits) {
            unsigned k = (unsigned)__builtin_ctz(bits);
            if (eq_fold(text.p + i + k, lit.p, n))
                return true;
            bits &= bits - 1;
        }
    }
#endif
    unsigned char first = (unsigned char)lit.p[0];
    for (; i <= last; i++)
        if (fold((unsigned char)text.p[i]) == first && eq_fold(text.p + i, lit.p, n))
            return true;
    return false;
}

unsigned tw_rules_prefilter_escapes(tw_str text)
{
    unsigned found = 0;
    const char *p = text.p, *end = text.p + text.len;
    while (p < end && (p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
        if (p + 1 < end && p[1] == 'u')
            return found | TW_PREFILTER_ESC_U; /* passes everything: look no further */
        if (p + 1 < end && p[1] == '/')
            found |= TW_PREFILTER_ESC_SLASH;
        p += 2; /* the escaped byte is not the start of another escape */
    }
    return found;
}
