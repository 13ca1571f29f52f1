/* tw_buf: a growable byte buffer, and the JSON writing helpers that make any bytes a valid
 * JSON string (outputs, the generator). Allocation failure is sticky: once a write fails,
 * buf->failed is set and later writes do nothing, so callers check once at the end. */
#ifndef TW_BUF_H
#define TW_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tw_str.h"

typedef struct tw_buf {
    char *p;
    size_t len;
    size_t cap;
    bool failed;
} tw_buf;

void tw_buf_init(tw_buf *buf);
void tw_buf_free(tw_buf *buf);
static inline void tw_buf_reset(tw_buf *buf)
{
    buf->len = 0;
    buf->failed = false;
}
bool tw_buf_reserve(tw_buf *buf, size_t extra);
void tw_buf_put(tw_buf *buf, const void *p, size_t n);
void tw_buf_puts(tw_buf *buf, const char *s);
void tw_buf_putc(tw_buf *buf, char c);
void tw_buf_printf(tw_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tw_buf_put_i64(tw_buf *buf, int64_t v);

/* Appends what f holds to its end, or up to max + 1 bytes (one past max says a file is too
 * large without reading it all). Returns 0, or the errno of a read error; buf->failed when
 * out of memory. */
int tw_buf_read_stream(tw_buf *buf, FILE *f, size_t max);

/* Writes s as a quoted JSON string. Control bytes and quotes are escaped; invalid UTF-8
 * sequences become U+FFFD, so the output is valid JSON whatever bytes the input held. */
void tw_buf_put_json_str(tw_buf *buf, tw_str s);
static inline void tw_buf_put_json_cstr(tw_buf *buf, const char *s)
{
    tw_buf_put_json_str(buf, tw_str_c(s));
}

#endif
