/* schema_jstream: see schema_jstream.h. */
#include "schema_jstream.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* simdjson's words for a structural error, kept so messages (and tests/e2e) read as before */
#define IMPROPER                                                         \
    "not JSON: The JSON document has an improper structure: missing or " \
    "superfluous commas, braces, missing keys, etc."
#define NOT_CLOSED "not JSON: the string that starts here is never closed (is the file cut short?)"

/* What may come next. */
enum { ST_VALUE, ST_ELEM_OR_END, ST_KEY, ST_KEY_OR_END, ST_AFTER, ST_DONE };

struct tw_jstream {
    int fd; /* -1: reading mem */
    const char *mem;
    size_t mem_len, mem_off;
    char *buf;
    size_t cap, pos, end;
    bool started, at_eof;
    uint64_t offset, line, col; /* of buf[pos] */
    tw_jpos tokpos;
    tw_buf text;     /* the last string or number */
    bool discard;    /* skipping: strings are checked, not kept */
    tw_buf *cap_out; /* capturing: buf[cap_from..) goes there before a refill */
    size_t cap_from;
    size_t cap_base, cap_max; /* out's length before the capture; the most it may add */
    uint64_t cap_start;       /* offset of the value captured */
    uint8_t stack[TW_JSTREAM_MAX_DEPTH];
    uint32_t depth;
    int state;
    bool root_seen;
    tw_err rc;
    bool err_placed;
    tw_jpos err_pos;
    char msg[192];
};

static tw_err fail(tw_jstream *s, tw_jpos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static tw_err fail(tw_jstream *s, tw_jpos at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->msg, sizeof s->msg, fmt, ap);
    va_end(ap);
    s->rc = TW_ERR_PARSE;
    s->err_placed = true;
    s->err_pos = at;
    return s->rc;
}

/* An error about the whole input (no place in it). */
static tw_err fail_whole(tw_jstream *s, tw_err rc, const char *msg)
{
    snprintf(s->msg, sizeof s->msg, "%s", msg);
    s->rc = rc;
    s->err_placed = false;
    return rc;
}

static tw_jpos here(const tw_jstream *s)
{
    return (tw_jpos){ s->offset, s->line, s->col };
}

static size_t read_some(tw_jstream *s, char *to, size_t room)
{
    if (s->fd < 0) {
        size_t n = s->mem_len - s->mem_off < room ? s->mem_len - s->mem_off : room;
        memcpy(to, s->mem + s->mem_off, n);
        s->mem_off += n;
        return n;
    }
    for (;;) {
        ssize_t n = read(s->fd, to, room);
        if (n >= 0)
            return (size_t)n;
        if (errno != EINTR) {
            fail_whole(s, TW_ERR_IO, strerror(errno));
            return 0;
        }
    }
}

/* The first bytes: UTF-16 is refused, a UTF-8 byte order mark skipped. */
static void check_start(tw_jstream *s)
{
    const unsigned char *u = (const unsigned char *)s->buf;
    s->started = true;
    if (s->end >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
        fail_whole(s, TW_ERR_PARSE,
                   "UTF-16 text (as PowerShell's > writes it): convert it to UTF-8");
    else if (s->end >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
        s->pos = 3;
}

/* Refills the buffer (buf[pos..end) is all read); false at the end or on an error. */
static bool fill(tw_jstream *s)
{
    if (s->rc)
        return false;
    if (s->cap_out) {
        if (s->cap_out->len - s->cap_base + (s->end - s->cap_from) > s->cap_max) {
            /* over the bound: the rest is checked, not kept */
            s->cap_out->len = s->cap_base;
            s->cap_out = NULL;
        } else {
            tw_buf_put(s->cap_out, s->buf + s->cap_from, s->end - s->cap_from);
            s->cap_from = 0;
            if (s->cap_out->failed) {
                fail_whole(s, TW_ERR_NOMEM, "out of memory");
                return false;
            }
        }
    }
    s->pos = s->end = 0;
    if (s->at_eof)
        return false;
    /* the first fill takes 3 bytes at least (a short read from a pipe): the byte order mark */
    do {
        size_t n = read_some(s, s->buf + s->end, s->cap - s->end);
        if (s->rc)
            return false;
        if (!n) {
            s->at_eof = true;
            break;
        }
        s->end += n;
    } while (!s->started && s->end < 3);
    if (!s->started)
        check_start(s);
    return !s->rc && s->pos < s->end;
}

static inline int peekc(tw_jstream *s)
{
    if (s->pos < s->end || fill(s))
        return (unsigned char)s->buf[s->pos];
    return -1;
}

static inline void advance(tw_jstream *s)
{
    s->pos++;
    s->offset++;
    s->col++;
}

/* Skips blanks; the next byte, or -1. */
static int skip_blanks(tw_jstream *s)
{
    for (;;) {
        int c = peekc(s);
        if (c == '\n') {
            s->pos++;
            s->offset++;
            s->line++;
            s->col = 1;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            advance(s);
        } else {
            return c;
        }
    }
}

static void put(tw_jstream *s, const void *p, size_t n)
{
    if (!s->discard)
        tw_buf_put(&s->text, p, n);
}

/* A byte that cannot be here: a byte that starts no UTF-8 sequence is named as such. */
static tw_err unexpected(tw_jstream *s, int c, const char *what)
{
    if (c >= 0x80 && (c < 0xC2 || c > 0xF4))
        return fail(s, here(s), "invalid UTF-8 (byte 0x%02X)", (unsigned)c);
    return fail(s, here(s), "%s", what);
}

static tw_err read_hex4(tw_jstream *s, tw_jpos start, tw_jpos esc, uint32_t *cp)
{
    *cp = 0;
    for (int i = 0; i < 4; i++) {
        int c = peekc(s);
        if (c < 0)
            return s->rc ? s->rc : fail(s, start, NOT_CLOSED);
        if (tw_hex_digit(c) < 0)
            return fail(s, esc, "not JSON: an invalid \\u escape in a string");
        *cp = *cp << 4 | (uint32_t)tw_hex_digit(c);
        advance(s);
    }
    return TW_OK;
}

static void put_utf8(tw_jstream *s, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12);
        b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18);
        b[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        b[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    put(s, b, n);
}

/* After the backslash of a string that started at start. */
static tw_err read_escape(tw_jstream *s, tw_jpos start)
{
    tw_jpos esc = here(s);
    advance(s);
    int c = peekc(s);
    if (c < 0)
        return s->rc ? s->rc : fail(s, start, NOT_CLOSED);
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *e = c ? strchr(from, c) : NULL;
    if (e) {
        advance(s);
        put(s, &to[e - from], 1);
        return TW_OK;
    }
    if (c != 'u')
        return fail(s, esc, "not JSON: an invalid escape (\\%c) in a string", c);
    advance(s);
    uint32_t cp, lo;
    tw_err rc = read_hex4(s, start, esc, &cp);
    if (rc)
        return rc;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail(s, esc, "not JSON: a lone surrogate (\\u%04X) in a string", (unsigned)cp);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        /* a high surrogate must be followed by a low one: together, one code point */
        if (peekc(s) != '\\')
            return s->rc ? s->rc
                         : fail(s, esc, "not JSON: a lone surrogate (\\u%04X) in a string",
                                (unsigned)cp);
        advance(s);
        if (peekc(s) != 'u')
            return s->rc ? s->rc
                         : fail(s, esc, "not JSON: a lone surrogate (\\u%04X) in a string",
                                (unsigned)cp);
        advance(s);
        if ((rc = read_hex4(s, start, esc, &lo)))
            return rc;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(s, esc, "not JSON: a lone surrogate (\\u%04X) in a string", (unsigned)cp);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    put_utf8(s, cp);
    return TW_OK;
}

/* One UTF-8 sequence of two to four bytes, checked (no overlong forms, surrogates or code
 * points past U+10FFFF), its lead byte c at buf[pos]. */
static tw_err read_utf8(tw_jstream *s, int c)
{
    tw_jpos at = here(s);
    size_t n;
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        min = 0x10000;
    } else {
        return fail(s, at, "invalid UTF-8 (byte 0x%02X)", (unsigned)c);
    }
    unsigned char b[4] = { (unsigned char)c };
    uint32_t cp = (uint32_t)c & (0x3Fu >> n);
    advance(s);
    for (size_t k = 1; k <= n; k++) {
        int d = peekc(s);
        if (d < 0 && s->rc)
            return s->rc;
        if (d < 0 || (d & 0xC0) != 0x80)
            return fail(s, at, "invalid UTF-8 (byte 0x%02X)", (unsigned)c);
        b[k] = (unsigned char)d;
        cp = cp << 6 | ((uint32_t)d & 0x3F);
        advance(s);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return fail(s, at, "invalid UTF-8 (byte 0x%02X)", (unsigned)c);
    put(s, b, n + 1);
    return TW_OK;
}

/* A string, its opening quote at buf[pos]: unescaped into text. */
static tw_err read_string(tw_jstream *s)
{
    tw_jpos start = here(s);
    tw_buf_reset(&s->text);
    advance(s);
    for (;;) {
        /* the plain run first, in one copy */
        size_t i = s->pos;
        while (i < s->end) {
            unsigned char c = (unsigned char)s->buf[i];
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
                break;
            i++;
        }
        size_t k = i - s->pos;
        put(s, s->buf + s->pos, k);
        s->pos = i;
        s->offset += k;
        s->col += k;
        int c = peekc(s);
        tw_err rc = TW_OK;
        if (c < 0)
            return s->rc ? s->rc : fail(s, start, NOT_CLOSED);
        if (c == '"') {
            advance(s);
            break;
        }
        if (c == '\\')
            rc = read_escape(s, start);
        else if (c >= 0x80)
            rc = read_utf8(s, c);
        else if (c < 0x20)
            rc = fail(s, here(s), "not JSON: a raw control character (0x%02X) in a string",
                      (unsigned)c);
        if (rc)
            return rc;
    }
    if (s->text.failed)
        return fail_whole(s, TW_ERR_NOMEM, "out of memory");
    if (s->text.len > UINT32_MAX)
        return fail(s, start, "a string longer than 4 GiB");
    return TW_OK;
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Takes the byte c, which is part of a number. */
static int take(tw_jstream *s, int c)
{
    char b = (char)c;
    put(s, &b, 1);
    advance(s);
    return peekc(s);
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, as written, into text */
static tw_err read_number(tw_jstream *s, int c)
{
    tw_jpos start = here(s);
    tw_buf_reset(&s->text);
    if (c == '-')
        c = take(s, c);
    if (c == '0') {
        c = take(s, c);
    } else if (is_digit(c)) {
        while (is_digit(c))
            c = take(s, c);
    } else {
        goto bad;
    }
    if (c == '.') {
        c = take(s, c);
        if (!is_digit(c))
            goto bad;
        while (is_digit(c))
            c = take(s, c);
    }
    if (c == 'e' || c == 'E') {
        c = take(s, c);
        if (c == '+' || c == '-')
            c = take(s, c);
        if (!is_digit(c))
            goto bad;
        while (is_digit(c))
            c = take(s, c);
    }
    if (s->rc)
        return s->rc;
    if (s->text.failed)
        return fail_whole(s, TW_ERR_NOMEM, "out of memory");
    return TW_OK;
bad:
    return s->rc ? s->rc : fail(s, start, "not JSON: a malformed number");
}

static tw_err read_literal(tw_jstream *s, const char *word)
{
    tw_jpos start = here(s);
    for (const char *w = word; *w; w++) {
        if (peekc(s) != (unsigned char)*w)
            return s->rc ? s->rc
                         : fail(s, start,
                                "not JSON: expected a value (a string, a number, an "
                                "object, an array, true, false or null)");
        advance(s);
    }
    return TW_OK;
}

static void after_value(tw_jstream *s)
{
    s->state = s->depth ? ST_AFTER : ST_DONE;
    s->root_seen = true;
}

static tw_err open_container(tw_jstream *s, uint8_t c, tw_jtok *tok)
{
    if (s->depth >= TW_JSTREAM_MAX_DEPTH)
        return fail(s, s->tokpos, "nested deeper than %d levels", TW_JSTREAM_MAX_DEPTH);
    s->stack[s->depth++] = c;
    advance(s);
    s->state = c == '{' ? ST_KEY_OR_END : ST_ELEM_OR_END;
    *tok = c == '{' ? TW_JT_OBJECT : TW_JT_ARRAY;
    return TW_OK;
}

static tw_err close_container(tw_jstream *s, tw_jtok *tok)
{
    advance(s);
    *tok = s->stack[--s->depth] == '{' ? TW_JT_OBJECT_END : TW_JT_ARRAY_END;
    after_value(s);
    return TW_OK;
}

/* A value that starts with the byte c (at tokpos). */
static tw_err read_value(tw_jstream *s, int c, tw_jtok *tok)
{
    tw_err rc;
    if (c == '{' || c == '[')
        return open_container(s, (uint8_t)c, tok);
    if (c == '"') {
        rc = read_string(s);
        *tok = TW_JT_STRING;
    } else if (c == '-' || is_digit(c)) {
        rc = read_number(s, c);
        *tok = TW_JT_NUMBER;
    } else if (c == 't' || c == 'f' || c == 'n') {
        const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
        rc = read_literal(s, word);
        *tok = c == 't' ? TW_JT_TRUE : c == 'f' ? TW_JT_FALSE : TW_JT_NULL;
    } else {
        return unexpected(s, c,
                          "not JSON: expected a value (a string, a number, an object, "
                          "an array, true, false or null)");
    }
    if (!rc)
        after_value(s);
    return rc;
}

/* A member's name and its colon. */
static tw_err read_key(tw_jstream *s, tw_jtok *tok)
{
    tw_err rc = read_string(s);
    if (rc)
        return rc;
    int c = skip_blanks(s);
    if (c != ':')
        return s->rc ? s->rc : unexpected(s, c, IMPROPER);
    advance(s);
    s->state = ST_VALUE;
    *tok = TW_JT_KEY;
    return TW_OK;
}

tw_err tw_jstream_next(tw_jstream *s, tw_jtok *tok)
{
    *tok = TW_JT_EOF;
    while (!s->rc) {
        int c = skip_blanks(s);
        s->tokpos = here(s);
        if (c < 0 && s->rc)
            break;
        switch (s->state) {
        case ST_DONE:
            if (c < 0)
                return TW_OK;
            return unexpected(s, c, "not JSON: unexpected content after the JSON value");
        case ST_AFTER: {
            uint8_t top = s->stack[s->depth - 1];
            if (c == ',') {
                advance(s);
                s->state = top == '{' ? ST_KEY : ST_VALUE;
                continue;
            }
            if (c == (top == '{' ? '}' : ']'))
                return close_container(s, tok);
            return unexpected(s, c, IMPROPER);
        }
        case ST_KEY_OR_END:
        case ST_KEY:
            if (c == '}' && s->state == ST_KEY_OR_END)
                return close_container(s, tok);
            if (c != '"')
                return unexpected(s, c, IMPROPER);
            return read_key(s, tok);
        default: /* ST_VALUE, ST_ELEM_OR_END */
            if (c == ']' && s->state == ST_ELEM_OR_END)
                return close_container(s, tok);
            if (c < 0 && !s->depth && !s->root_seen)
                return TW_OK; /* nothing but blanks */
            if (c < 0)
                return fail(s, s->tokpos, IMPROPER);
            return read_value(s, c, tok);
        }
    }
    return s->rc;
}

tw_err tw_jstream_peek(tw_jstream *s, int *c)
{
    *c = -1;
    if (s->rc)
        return s->rc;
    *c = skip_blanks(s);
    s->tokpos = here(s);
    return s->rc;
}

tw_str tw_jstream_text(const tw_jstream *s)
{
    return (tw_str){ s->text.p ? s->text.p : "", (uint32_t)s->text.len };
}

tw_jpos tw_jstream_pos(const tw_jstream *s)
{
    return s->tokpos;
}

uint32_t tw_jstream_depth(const tw_jstream *s)
{
    return s->depth;
}

tw_err tw_jstream_skip(tw_jstream *s, tw_jtok *first)
{
    bool was = s->discard;
    s->discard = true;
    tw_jtok t;
    tw_err rc = tw_jstream_next(s, &t);
    if (first)
        *first = t;
    if (!rc && (t == TW_JT_OBJECT || t == TW_JT_ARRAY)) {
        tw_jpos start = s->tokpos;
        uint32_t depth = s->depth - 1;
        while (!rc && s->depth > depth)
            rc = tw_jstream_next(s, &t);
        s->tokpos = start;
    }
    s->discard = was;
    return rc;
}

tw_err tw_jstream_capture(tw_jstream *s, tw_buf *out, size_t max, tw_jtok *first, uint64_t *size)
{
    int c;
    *size = 0;
    tw_err rc = tw_jstream_peek(s, &c);
    if (rc)
        return rc;
    s->cap_out = out;
    s->cap_from = s->pos;
    s->cap_base = out->len;
    s->cap_max = max;
    s->cap_start = s->offset;
    rc = tw_jstream_skip(s, first);
    if (!rc) {
        *size = s->offset - s->cap_start;
        if (s->cap_out && *size <= max)
            tw_buf_put(out, s->buf + s->cap_from, s->pos - s->cap_from);
        else if (s->cap_out)
            out->len = s->cap_base;
    }
    s->cap_out = NULL;
    if (!rc && out->failed)
        rc = fail_whole(s, TW_ERR_NOMEM, "out of memory");
    return rc;
}

const char *tw_jstream_error(const tw_jstream *s, tw_jpos *pos, bool *placed)
{
    if (pos)
        *pos = s->err_pos;
    if (placed)
        *placed = s->err_placed;
    return s->rc ? s->msg : "";
}

static tw_err open_stream(int fd, const char *text, size_t len, size_t buf_size, tw_jstream **out)
{
    *out = NULL;
    tw_jstream *s = calloc(1, sizeof *s);
    if (!s)
        return TW_ERR_NOMEM;
    s->cap = buf_size ? buf_size : TW_JSTREAM_BUF;
    if (s->cap < 4)
        s->cap = 4; /* a byte order mark fits in the first fill */
    if (!(s->buf = malloc(s->cap))) {
        free(s);
        return TW_ERR_NOMEM;
    }
    s->fd = fd;
    s->mem = text;
    s->mem_len = len;
    s->line = s->col = 1;
    s->state = ST_VALUE;
    tw_buf_init(&s->text);
    *out = s;
    return TW_OK;
}

tw_err tw_jstream_open_fd(int fd, size_t buf_size, tw_jstream **out)
{
    if (fd < 0) {
        *out = NULL;
        return TW_ERR_INVALID;
    }
    return open_stream(fd, NULL, 0, buf_size, out);
}

tw_err tw_jstream_open_mem(const char *text, size_t len, size_t buf_size, tw_jstream **out)
{
    return open_stream(-1, text, len, buf_size, out);
}

void tw_jstream_destroy(tw_jstream *s)
{
    if (!s)
        return;
    tw_buf_free(&s->text);
    free(s->buf);
    free(s);
}
