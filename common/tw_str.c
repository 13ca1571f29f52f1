#include "tw_str.h"

static inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool tw_str_contains_ci(tw_str hay, const char *needle_lower)
{
    size_t n = strlen(needle_lower);
    if (n == 0)
        return true;
    if (hay.len < n)
        return false;
    for (size_t i = 0; i + n <= hay.len; i++) {
        if (lower(hay.p[i]) != needle_lower[0])
            continue;
        size_t j = 1;
        while (j < n && lower(hay.p[i + j]) == needle_lower[j])
            j++;
        if (j == n)
            return true;
    }
    return false;
}

int tw_str_cmp(tw_str a, tw_str b)
{
    uint32_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}
