#include "tw_buf.h"

#include <errno.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void tw_buf_init(tw_buf *buf)
{
    buf->p = NULL;
    buf->len = buf->cap = 0;
    buf->failed = false;
}

void tw_buf_free(tw_buf *buf)
{
    if (!buf)
        return;
    free(buf->p);
    tw_buf_init(buf);
}

bool tw_buf_reserve(tw_buf *buf, size_t extra)
{
    if (buf->failed)
        return false;
    if (buf->len + extra + 1 <= buf->cap)
        return true;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < buf->len + extra + 1)
        cap *= 2;
    char *p = realloc(buf->p, cap);
    if (!p) {
        buf->failed = true;
        return false;
    }
    buf->p = p;
    buf->cap = cap;
    return true;
}

void tw_buf_put(tw_buf *buf, const void *p, size_t n)
{
    if (!n || !tw_buf_reserve(buf, n))
        return;
    memcpy(buf->p + buf->len, p, n);
    buf->len += n;
    buf->p[buf->len] = '\0';
}

void tw_buf_puts(tw_buf *buf, const char *s)
{
    tw_buf_put(buf, s, strlen(s));
}

void tw_buf_putc(tw_buf *buf, char c)
{
    if (!tw_buf_reserve(buf, 1))
        return;
    buf->p[buf->len++] = c;
    buf->p[buf->len] = '\0';
}

void tw_buf_printf(tw_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        buf->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        tw_buf_put(buf, small, (size_t)n);
        return;
    }
    if (!tw_buf_reserve(buf, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(buf->p + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
}

void tw_buf_put_i64(tw_buf *buf, int64_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--i] = '-';
    tw_buf_put(buf, tmp + i, sizeof tmp - (size_t)i);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not valid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (n >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && p[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && p[1] > 0x9F)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90)
            return 0;
        if (c == 0xF4 && p[1] > 0x8F)
            return 0;
        return 4;
    }
    return 0;
}

void tw_buf_put_json_str(tw_buf *buf, tw_str s)
{
    static const char hex[] = "0123456789abcdef";
    if (!tw_buf_reserve(buf, (size_t)s.len + 2))
        return;
    tw_buf_putc(buf, '"');
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i = 0, run = 0;
    while (i < s.len) {
        unsigned char c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            run++;
            continue;
        }
        if (run) {
            tw_buf_put(buf, p + i - run, run);
            run = 0;
        }
        if (c >= 0x80) {
            size_t n = utf8_seq(p + i, s.len - i);
            if (n) {
                tw_buf_put(buf, p + i, n);
                i += n;
            } else {
                tw_buf_put(buf, "\xEF\xBF\xBD", 3);
                i++;
            }
            continue;
        }
        switch (c) {
        case '"':
            tw_buf_put(buf, "\\\"", 2);
            break;
        case '\\':
            tw_buf_put(buf, "\\\\", 2);
            break;
        case '\n':
            tw_buf_put(buf, "\\n", 2);
            break;
        case '\r':
            tw_buf_put(buf, "\\r", 2);
            break;
        case '\t':
            tw_buf_put(buf, "\\t", 2);
            break;
        default: {
            char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            tw_buf_put(buf, esc, 6);
        }
        }
        i++;
    }
    if (run)
        tw_buf_put(buf, p + i - run, run);
    tw_buf_putc(buf, '"');
}

int tw_buf_read_stream(tw_buf *buf, FILE *f, size_t max)
{
    size_t left = max + 1;
    char chunk[64 * 1024];
    while (left && !buf->failed) {
        size_t got = fread(chunk, 1, left < sizeof chunk ? left : sizeof chunk, f);
        tw_buf_put(buf, chunk, got);
        left -= got;
        if (got == 0)
            break;
    }
    return ferror(f) ? (errno ? errno : EIO) : 0;
}
