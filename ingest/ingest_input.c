#include "ingest_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#define RAW_BUF_SIZE (256u * 1024u)
#define WHOLE_MAX ((size_t)256 << 20) /* largest gzip input inflated at once */

struct tw_input {
    int fd; /* -1 for memory inputs */
    bool own_fd;
    tw_compression comp;
    const unsigned char *mem; /* memory input */
    size_t mem_len, mem_pos;
    unsigned char *raw; /* compressed bytes read but not yet consumed */
    size_t raw_len, raw_pos;
    bool raw_eof;
    uint64_t raw_offset; /* compressed bytes consumed so far */
    z_stream zs;
    bool zs_init, gz_member_done;
    ZSTD_DStream *zd;
    size_t zstd_hint; /* 0 when the last frame finished */
    char *whole;      /* a memory gzip input inflated at once (libdeflate) */
    size_t whole_len, whole_pos;
};

/* A gzip input held whole in memory is inflated in one call by libdeflate, several times
 * faster than zlib's streaming inflate and its CRC. Any member that does not inflate cleanly
 * (truncated, corrupt) sends the input back to the streaming path, which keeps the records
 * before the damage and says where it is. */
static bool inflate_whole(tw_input *in)
{
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    if (!d)
        return false;
    const unsigned char *src = in->mem;
    size_t src_len = in->mem_len;
    /* ISIZE, the last member's size mod 2^32, is a good first guess for the whole; but it is
     * only a claim, so the buffer never grows past what deflate can produce from this input
     * (at most 1032:1) nor past WHOLE_MAX: beyond that the input is streamed instead */
    size_t limit = src_len * 1032 + 4096;
    if (limit > WHOLE_MAX)
        limit = WHOLE_MAX;
    size_t cap = src_len >= 4 ? (size_t)src[src_len - 4] | (size_t)src[src_len - 3] << 8 |
                                    (size_t)src[src_len - 2] << 16 | (size_t)src[src_len - 1] << 24
                              : 0;
    if (cap < src_len * 4)
        cap = src_len * 4;
    cap += 4096;
    if (cap > limit)
        cap = limit;
    char *out = NULL;
    size_t out_len = 0, pos = 0;
    bool ok = false;
    while (pos < src_len) {
        if (!out || cap - out_len < 4096) {
            char *grown = realloc(out, cap);
            if (!grown)
                break;
            out = grown;
        }
        size_t used_in = 0, produced = 0;
        enum libdeflate_result rc = libdeflate_gzip_decompress_ex(
            d, src + pos, src_len - pos, out + out_len, cap - out_len, &used_in, &produced);
        if (rc == LIBDEFLATE_INSUFFICIENT_SPACE) {
            if (cap >= limit)
                break;
            cap = cap * 2 < limit ? cap * 2 : limit;
            char *grown = realloc(out, cap);
            if (!grown)
                break;
            out = grown;
            continue;
        }
        if (rc != LIBDEFLATE_SUCCESS)
            break;
        out_len += produced;
        pos += used_in;
        ok = pos == src_len; /* another member may follow */
        if (!ok && (src_len - pos < 2 || src[pos] != 0x1f || src[pos + 1] != 0x8b))
            break; /* trailing garbage: the streaming path names it */
    }
    libdeflate_free_decompressor(d);
    if (!ok) {
        free(out);
        return false;
    }
    in->whole = out;
    in->whole_len = out_len;
    return true;
}

static tw_err fill_raw(tw_input *in, char *errstr, size_t errstr_size)
{
    if (in->raw_pos < in->raw_len || in->raw_eof)
        return TW_OK;
    if (in->fd < 0) {
        size_t n = in->mem_len - in->mem_pos;
        if (n > RAW_BUF_SIZE)
            n = RAW_BUF_SIZE;
        memcpy(in->raw, in->mem + in->mem_pos, n);
        in->mem_pos += n;
        in->raw_len = n;
        in->raw_pos = 0;
        if (n == 0)
            in->raw_eof = true;
        return TW_OK;
    }
    for (;;) {
        ssize_t n = read(in->fd, in->raw, RAW_BUF_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(errstr, errstr_size, "offset %llu: read failed: %s",
                     (unsigned long long)in->raw_offset, strerror(errno));
            return TW_ERR_IO;
        }
        in->raw_len = (size_t)n;
        in->raw_pos = 0;
        if (n == 0)
            in->raw_eof = true;
        return TW_OK;
    }
}

static tw_err start(tw_input *in, char *errstr, size_t errstr_size)
{
    in->raw = malloc(RAW_BUF_SIZE);
    if (!in->raw) {
        snprintf(errstr, errstr_size, "out of memory");
        return TW_ERR_NOMEM;
    }
    /* Sniff the magic from the first bytes; short reads (pipes) are topped up. */
    while (!in->raw_eof && in->raw_len < 4) {
        if (in->fd < 0) {
            tw_err err = fill_raw(in, errstr, errstr_size);
            if (err)
                return err;
            break;
        }
        ssize_t n = read(in->fd, in->raw + in->raw_len, RAW_BUF_SIZE - in->raw_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(errstr, errstr_size, "read failed: %s", strerror(errno));
            return TW_ERR_IO;
        }
        if (n == 0)
            in->raw_eof = true;
        in->raw_len += (size_t)n;
    }
    const unsigned char *m = in->raw;
    if (in->raw_len >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
        in->comp = TW_COMP_GZIP;
        memset(&in->zs, 0, sizeof in->zs);
        if (inflateInit2(&in->zs, 15 + 16) != Z_OK) {
            snprintf(errstr, errstr_size, "cannot start the gzip decoder");
            return TW_ERR_NOMEM;
        }
        in->zs_init = true;
    } else if (in->raw_len >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
        in->comp = TW_COMP_ZSTD;
        in->zd = ZSTD_createDStream();
        if (!in->zd || ZSTD_isError(ZSTD_initDStream(in->zd))) {
            snprintf(errstr, errstr_size, "cannot start the zstd decoder");
            return TW_ERR_NOMEM;
        }
        in->zstd_hint = 1;
    }
    return TW_OK;
}

tw_err tw_input_open(const char *path, tw_input **inp, char *errstr, size_t errstr_size)
{
    *inp = NULL;
    tw_input *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(errstr, errstr_size, "out of memory");
        return TW_ERR_NOMEM;
    }
    if (strcmp(path, "-") == 0) {
        in->fd = STDIN_FILENO;
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            snprintf(errstr, errstr_size, "cannot open: %s", strerror(errno));
            free(in);
            return TW_ERR_IO;
        }
        in->own_fd = true;
#ifdef POSIX_FADV_SEQUENTIAL
        (void)posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    }
    tw_err err = start(in, errstr, errstr_size);
    if (err) {
        tw_input_close(in);
        return err;
    }
    *inp = in;
    return TW_OK;
}

tw_err tw_input_open_mem(const void *data, size_t len, tw_input **inp, char *errstr,
                         size_t errstr_size)
{
    *inp = NULL;
    tw_input *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(errstr, errstr_size, "out of memory");
        return TW_ERR_NOMEM;
    }
    in->fd = -1;
    in->mem = data;
    in->mem_len = len;
    tw_err err = start(in, errstr, errstr_size);
    if (err) {
        tw_input_close(in);
        return err;
    }
    if (in->comp == TW_COMP_GZIP)
        (void)inflate_whole(in); /* else: streaming */
    *inp = in;
    return TW_OK;
}

static tw_err read_plain(tw_input *in, char *buf, size_t cap, size_t *got, char *errstr,
                         size_t errstr_size)
{
    tw_err err = fill_raw(in, errstr, errstr_size);
    if (err)
        return err;
    size_t n = in->raw_len - in->raw_pos;
    if (n > cap)
        n = cap;
    memcpy(buf, in->raw + in->raw_pos, n);
    in->raw_pos += n;
    in->raw_offset += n;
    *got = n;
    return TW_OK;
}

static tw_err read_gzip(tw_input *in, char *buf, size_t cap, size_t *got, char *errstr,
                        size_t errstr_size)
{
    z_stream *zs = &in->zs;
    zs->next_out = (unsigned char *)buf;
    zs->avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
    while (zs->avail_out > 0) {
        tw_err err = fill_raw(in, errstr, errstr_size);
        if (err)
            return err;
        size_t avail = in->raw_len - in->raw_pos;
        if (avail == 0) {
            if (!in->gz_member_done) {
                if ((size_t)(zs->next_out - (unsigned char *)buf) > 0)
                    break; /* hand out what we have; report the truncation next time */
                snprintf(errstr, errstr_size,
                         "offset %llu: truncated gzip stream (unexpected end of file)",
                         (unsigned long long)in->raw_offset);
                return TW_ERR_CORRUPT;
            }
            break;
        }
        if (in->gz_member_done) {
            /* another gzip member follows (concatenated gzip files are valid gzip) */
            if (avail >= 2 && in->raw[in->raw_pos] == 0x1f && in->raw[in->raw_pos + 1] == 0x8b) {
                inflateReset(zs);
                in->gz_member_done = false;
            } else {
                snprintf(errstr, errstr_size, "offset %llu: trailing garbage after gzip data",
                         (unsigned long long)in->raw_offset);
                in->raw_pos = in->raw_len;
                in->raw_eof = true;
                return TW_ERR_CORRUPT;
            }
        }
        zs->next_in = in->raw + in->raw_pos;
        zs->avail_in = (uInt)avail;
        int rc = inflate(zs, Z_NO_FLUSH);
        size_t used = avail - zs->avail_in;
        in->raw_pos += used;
        in->raw_offset += used;
        if (rc == Z_STREAM_END) {
            in->gz_member_done = true;
            continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            snprintf(errstr, errstr_size, "offset %llu: corrupt gzip data (%s)",
                     (unsigned long long)in->raw_offset, zs->msg ? zs->msg : "inflate error");
            in->raw_eof = true;
            in->raw_pos = in->raw_len;
            return TW_ERR_CORRUPT;
        }
        if (rc == Z_BUF_ERROR && used == 0 && zs->avail_in > 0)
            break;
    }
    *got = (size_t)(zs->next_out - (unsigned char *)buf);
    return TW_OK;
}

static tw_err read_zstd(tw_input *in, char *buf, size_t cap, size_t *got, char *errstr,
                        size_t errstr_size)
{
    ZSTD_outBuffer out = { buf, cap, 0 };
    while (out.pos < out.size) {
        tw_err err = fill_raw(in, errstr, errstr_size);
        if (err)
            return err;
        size_t avail = in->raw_len - in->raw_pos;
        if (avail == 0) {
            if (in->zstd_hint != 0 && out.pos == 0) {
                snprintf(errstr, errstr_size,
                         "offset %llu: truncated zstd frame (unexpected end of file)",
                         (unsigned long long)in->raw_offset);
                in->zstd_hint = 0;
                return TW_ERR_CORRUPT;
            }
            if (in->zstd_hint == 0 || out.pos == 0)
                break;
            /* flush what the decoder still holds before reporting truncation */
        }
        ZSTD_inBuffer inb = { in->raw + in->raw_pos, avail, 0 };
        size_t before = out.pos;
        size_t rc = ZSTD_decompressStream(in->zd, &out, &inb);
        in->raw_pos += inb.pos;
        in->raw_offset += inb.pos;
        if (ZSTD_isError(rc)) {
            snprintf(errstr, errstr_size, "offset %llu: corrupt zstd data (%s)",
                     (unsigned long long)in->raw_offset, ZSTD_getErrorName(rc));
            in->raw_eof = true;
            in->raw_pos = in->raw_len;
            in->zstd_hint = 0;
            return TW_ERR_CORRUPT;
        }
        in->zstd_hint = rc;
        if (avail == 0 && out.pos == before)
            break;
    }
    *got = out.pos;
    return TW_OK;
}

tw_err tw_input_read(tw_input *in, char *buf, size_t cap, size_t *got, char *errstr,
                     size_t errstr_size)
{
    *got = 0;
    if (in->whole) {
        size_t n = in->whole_len - in->whole_pos;
        if (n > cap)
            n = cap;
        memcpy(buf, in->whole + in->whole_pos, n);
        in->whole_pos += n;
        in->raw_offset = in->whole_pos == in->whole_len ? in->mem_len : 0;
        *got = n;
        return TW_OK;
    }
    switch (in->comp) {
    case TW_COMP_GZIP:
        return read_gzip(in, buf, cap, got, errstr, errstr_size);
    case TW_COMP_ZSTD:
        return read_zstd(in, buf, cap, got, errstr, errstr_size);
    case TW_COMP_NONE:
        break;
    }
    return read_plain(in, buf, cap, got, errstr, errstr_size);
}

tw_compression tw_input_compression(const tw_input *in)
{
    return in->comp;
}

uint64_t tw_input_raw_offset(const tw_input *in)
{
    return in->raw_offset;
}

void tw_input_close(tw_input *in)
{
    if (!in)
        return;
    if (in->own_fd && in->fd >= 0)
        close(in->fd);
    if (in->zs_init)
        inflateEnd(&in->zs);
    ZSTD_freeDStream(in->zd);
    free(in->whole);
    free(in->raw);
    free(in);
}
