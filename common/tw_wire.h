/* tw_wire: the little binary encoding of checkpoints (consume --state-dir): fixed-width
 * integers in the machine's byte order (a checkpoint is read back by the same build on the same
 * machine; its header says which build wrote it), strings and blobs length-first. Writing
 * appends to a tw_buf; reading checks every length against what is left and stays failed
 * after the first short read, so a damaged file is refused, never overrun. */
#ifndef TW_WIRE_H
#define TW_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tw_buf.h"
#include "tw_str.h"

static inline void tw_wire_u64(tw_buf *b, uint64_t v)
{
    tw_buf_put(b, &v, sizeof v);
}
static inline void tw_wire_u32(tw_buf *b, uint32_t v)
{
    tw_buf_put(b, &v, sizeof v);
}
static inline void tw_wire_bytes(tw_buf *b, const void *p, uint32_t n)
{
    tw_wire_u32(b, n);
    tw_buf_put(b, p, n);
}
static inline void tw_wire_str(tw_buf *b, tw_str s)
{
    tw_wire_bytes(b, s.p, (uint32_t)s.len);
}

typedef struct tw_wire_reader {
    const unsigned char *p, *end;
    bool failed;
} tw_wire_reader;

static inline bool tw_wire_take(tw_wire_reader *r, void *out, size_t n)
{
    if (r->failed || (size_t)(r->end - r->p) < n) {
        r->failed = true;
        memset(out, 0, n);
        return false;
    }
    memcpy(out, r->p, n);
    r->p += n;
    return true;
}
static inline uint64_t tw_wire_get_u64(tw_wire_reader *r)
{
    uint64_t v;
    tw_wire_take(r, &v, sizeof v);
    return v;
}
static inline uint32_t tw_wire_get_u32(tw_wire_reader *r)
{
    uint32_t v;
    tw_wire_take(r, &v, sizeof v);
    return v;
}
/* A view of the next length-first bytes (valid while the reader's buffer is). */
static inline tw_str tw_wire_get_str(tw_wire_reader *r)
{
    uint32_t n = tw_wire_get_u32(r);
    if (r->failed || (size_t)(r->end - r->p) < n) {
        r->failed = true;
        return TW_STR_NULL;
    }
    tw_str s = { (const char *)r->p, n };
    r->p += n;
    return s;
}

#endif
