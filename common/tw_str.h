/* tw_str: a length-delimited view into bytes owned elsewhere (a batch, the catalog, a rule).
 * Views may hold any byte, NUL included; nothing here allocates. */
#ifndef TW_STR_H
#define TW_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct tw_str {
    const char *p;
    uint32_t len;
} tw_str;

#define TW_STR_LIT(s) ((tw_str){ (s), (uint32_t)(sizeof(s) - 1) })
#define TW_STR_NULL ((tw_str){ NULL, 0 })

/* The value of a hexadecimal digit (either case), or -1 for any other byte (and for EOF). */
static inline int tw_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static inline tw_str tw_str_c(const char *s)
{
    return (tw_str){ s, s ? (uint32_t)strlen(s) : 0 };
}

static inline bool tw_str_eq(tw_str a, tw_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool tw_str_eq_c(tw_str a, const char *b)
{
    return tw_str_eq(a, tw_str_c(b));
}

static inline bool tw_str_starts(tw_str a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a.len >= n && memcmp(a.p, prefix, n) == 0;
}

static inline bool tw_str_ends(tw_str a, const char *suffix)
{
    size_t n = strlen(suffix);
    return a.len >= n && memcmp(a.p + a.len - n, suffix, n) == 0;
}

/* The most bytes of p[0..len) that fit in max without cutting a UTF-8 sequence in two: a cut
 * falls before a lead byte (or a byte that is no continuation), never before a continuation
 * byte (10xxxxxx). */
static inline uint32_t tw_utf8_fit(const char *p, uint32_t len, uint32_t max)
{
    if (len <= max)
        return len;
    uint32_t n = max;
    while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
        n--;
    return n;
}

/* The length of the UTF-8 character at p (at most avail bytes): 1 for a byte that starts none,
 * and a sequence cut short ends where its continuation bytes do (pattern matchers step by it). */
static inline uint32_t tw_utf8_len(const char *p, uint32_t avail)
{
    unsigned char c = (unsigned char)p[0];
    uint32_t n = c < 0x80             ? 1
                 : (c & 0xe0) == 0xc0 ? 2
                 : (c & 0xf0) == 0xe0 ? 3
                 : (c & 0xf8) == 0xf0 ? 4
                                      : 1;
    if (n > avail)
        n = avail;
    for (uint32_t i = 1; i < n; i++)
        if (((unsigned char)p[i] & 0xc0) != 0x80)
            return i;
    return n;
}

/* Case-insensitive (ASCII) substring search; needle must be lower case. */
bool tw_str_contains_ci(tw_str hay, const char *needle_lower);

int tw_str_cmp(tw_str a, tw_str b);

#endif
