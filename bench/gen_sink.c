/* gen_sink: where generated records go: NDJSON, a zstd stream, or an S3-style tree of
 * CloudTrail files.
 *
 * Records are appended to large buffers and written in big blocks, never one by one. The s3
 * layout keeps one open file per (account, region, 5-minute period), the way CloudTrail
 * delivers, and writes it once generation is well past the period: records reach a period
 * only a few minutes late, so each file holds the records of its period in the generator's
 * (locally unsorted) order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include "gen_internal.h"
#include "tw_time.h"

#define FLUSH_BYTES (4u << 20)            /* ndjson/zstd: write in blocks of this size */
#define S3_PERIOD_MS (5 * TW_MS_MINUTE)   /* CloudTrail delivers about every 5 minutes */
#define S3_HORIZON_MS (15 * TW_MS_MINUTE) /* a period is complete this long after it ends */
#define S3_MAX_FILE_BYTES (32u << 20)     /* split a busy period, as CloudTrail does */
#define S3_OPEN_PER_SLOT 8                /* open periods per (account, region) */
#define N_REGIONS 6

typedef struct s3_file {
    int64_t period; /* period number; the file is open when buf != NULL */
    tw_buf *buf;
} s3_file;

typedef struct s3_slot {
    s3_file open[S3_OPEN_PER_SLOT];
    const char *account_id;
} s3_slot;

struct gen_sink {
    int format;
    uint64_t seed;
    FILE *fp;
    bool own_fp;
    const char *name; /* for messages */
    tw_buf buf;
    uint64_t bytes; /* uncompressed record bytes, newlines and framing included */
    uint64_t files;
    tw_err err;
    bool finished;
    char errstr[1200];
    /* zstd */
    ZSTD_CCtx *zc;
    tw_buf zout;
    /* s3 */
    const char *dir;
    s3_slot *slots;
    uint32_t accounts;
    tw_buf **pool; /* buffers of written files, kept for the next ones */
    uint32_t pool_n, pool_cap;
    tw_buf *cur; /* the buffer the current record goes to */
    z_stream zs;
    bool zs_ready;
    tw_buf gz;
    tw_buf path;
    tw_buf made_dir; /* the last directory created, to skip repeated mkdirs */
};

static void fail(gen_sink *sk, tw_err err, const char *what, const char *path)
{
    if (sk->err)
        return;
    sk->err = err;
    snprintf(sk->errstr, sizeof sk->errstr, "%s%s%s: %s", what, path ? " " : "", path ? path : "",
             err == TW_ERR_NOMEM ? "out of memory" : strerror(errno));
}

static void write_out(gen_sink *sk, const void *p, size_t n)
{
    if (sk->err || !n)
        return;
    if (fwrite(p, 1, n, sk->fp) != n)
        fail(sk, TW_ERR_IO, "write", sk->name);
}

static void compress_out(gen_sink *sk, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = { sk->buf.p, sk->buf.len, 0 };
    for (;;) {
        ZSTD_outBuffer out = { sk->zout.p, sk->zout.cap, 0 };
        size_t left = ZSTD_compressStream2(sk->zc, &out, &in, mode);
        if (ZSTD_isError(left)) {
            errno = EIO;
            fail(sk, TW_ERR_IO, "zstd", ZSTD_getErrorName(left));
            return;
        }
        write_out(sk, out.dst, out.pos);
        if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
            break;
    }
}

static void flush_stream(gen_sink *sk, bool last)
{
    if (sk->format == GEN_FMT_ZSTD)
        compress_out(sk, last ? ZSTD_e_end : ZSTD_e_continue);
    else
        write_out(sk, sk->buf.p, sk->buf.len);
    tw_buf_reset(&sk->buf);
}

/* mkdir -p, remembering the last directory made. */
static bool make_dirs(gen_sink *sk, const char *dir, size_t len)
{
    if (sk->made_dir.len == len && memcmp(sk->made_dir.p, dir, len) == 0)
        return true;
    char tmp[1024];
    if (len >= sizeof tmp) {
        errno = ENAMETOOLONG;
        fail(sk, TW_ERR_IO, "mkdir", dir);
        return false;
    }
    memcpy(tmp, dir, len);
    tmp[len] = '\0';
    for (size_t i = 1; i <= len; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0')
            continue;
        char c = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
            fail(sk, TW_ERR_IO, "mkdir", tmp);
            return false;
        }
        tmp[i] = c;
    }
    tw_buf_reset(&sk->made_dir);
    tw_buf_put(&sk->made_dir, dir, len);
    return !sk->made_dir.failed;
}

static void s3_write_file(gen_sink *sk, const s3_slot *slot, uint32_t region, s3_file *f)
{
    tw_buf *b = f->buf;
    GEN_PUT(b, "]}");
    sk->bytes += 2;
    if (b->failed) {
        fail(sk, TW_ERR_NOMEM, "buffer", NULL);
        return;
    }
    /* Named by delivery time, the end of the period, like CloudTrail's files. */
    int64_t t = (f->period + 1) * S3_PERIOD_MS;
    char iso[32];
    tw_time_format_iso(t, iso, sizeof iso);
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char unique[17];
    uint64_t h = gen_mix(sk->seed ^ 0xF11Eu, sk->files);
    for (int i = 0; i < 16; i++) {
        if (i == 8)
            h = tw_hash_mix(h + 1);
        unique[i] = alnum[h % 62];
        h /= 62;
    }
    unique[16] = '\0';
    const char *acct = slot->account_id, *reg = gen_regions[region];
    tw_buf_reset(&sk->path);
    tw_buf_printf(&sk->path, "%s/AWSLogs/%s/CloudTrail/%s/%.4s/%.2s/%.2s", sk->dir, acct, reg, iso,
                  iso + 5, iso + 8);
    size_t dir_len = sk->path.len;
    tw_buf_printf(&sk->path, "/%s_CloudTrail_%s_%.4s%.2s%.2sT%.2s%.2sZ_%s.json.gz", acct, reg, iso,
                  iso + 5, iso + 8, iso + 11, iso + 14, unique);
    if (sk->path.failed) {
        fail(sk, TW_ERR_NOMEM, "path", NULL);
        return;
    }
    if (!make_dirs(sk, sk->path.p, dir_len))
        return;

    if (deflateReset(&sk->zs) != Z_OK) {
        errno = EIO;
        fail(sk, TW_ERR_IO, "deflate", NULL);
        return;
    }
    uLong bound = deflateBound(&sk->zs, (uLong)b->len);
    tw_buf_reset(&sk->gz);
    if (!tw_buf_reserve(&sk->gz, (size_t)bound)) {
        fail(sk, TW_ERR_NOMEM, "gzip", NULL);
        return;
    }
    sk->zs.next_in = (Bytef *)b->p;
    sk->zs.avail_in = (uInt)b->len;
    sk->zs.next_out = (Bytef *)sk->gz.p;
    sk->zs.avail_out = (uInt)bound;
    if (deflate(&sk->zs, Z_FINISH) != Z_STREAM_END) {
        errno = EIO;
        fail(sk, TW_ERR_IO, "deflate", sk->path.p);
        return;
    }
    FILE *fp = fopen(sk->path.p, "wb");
    if (!fp) {
        fail(sk, TW_ERR_IO, "open", sk->path.p);
        return;
    }
    size_t n = bound - sk->zs.avail_out;
    bool ok = fwrite(sk->gz.p, 1, n, fp) == n;
    if (fclose(fp) != 0)
        ok = false;
    if (!ok)
        fail(sk, TW_ERR_IO, "write", sk->path.p);
    sk->files++;
}

static void s3_close_file(gen_sink *sk, s3_slot *slot, uint32_t region, s3_file *f)
{
    s3_write_file(sk, slot, region, f);
    tw_buf_reset(f->buf);
    if (sk->pool_n == sk->pool_cap) {
        uint32_t cap = sk->pool_cap ? sk->pool_cap * 2 : 16;
        tw_buf **pool = realloc(sk->pool, cap * sizeof *pool);
        if (!pool) {
            tw_buf_free(f->buf);
            free(f->buf);
            f->buf = NULL;
            fail(sk, TW_ERR_NOMEM, "buffer pool", NULL);
            return;
        }
        sk->pool = pool;
        sk->pool_cap = cap;
    }
    sk->pool[sk->pool_n++] = f->buf;
    f->buf = NULL;
}

static tw_buf *s3_take_buf(gen_sink *sk)
{
    if (sk->pool_n)
        return sk->pool[--sk->pool_n];
    tw_buf *b = malloc(sizeof *b);
    if (b)
        tw_buf_init(b);
    return b;
}

static tw_buf *s3_begin(gen_sink *sk, uint32_t account, const char *account_id, uint8_t region,
                        int64_t time_ms)
{
    s3_slot *slot = &sk->slots[(size_t)account * N_REGIONS + region];
    slot->account_id = account_id;
    int64_t period = time_ms / S3_PERIOD_MS;
    s3_file *f = NULL, *free_f = NULL, *oldest = NULL;
    for (int i = 0; i < S3_OPEN_PER_SLOT; i++) {
        s3_file *o = &slot->open[i];
        if (!o->buf) {
            if (!free_f)
                free_f = o;
            continue;
        }
        if (o->period == period) {
            f = o;
            break;
        }
        if (!oldest || o->period < oldest->period)
            oldest = o;
    }
    if (f && f->buf->len > S3_MAX_FILE_BYTES) {
        s3_close_file(sk, slot, region, f);
        free_f = f;
        f = NULL;
    }
    if (!f) {
        if (!free_f) { /* cannot happen with the horizon; stay bounded anyway */
            s3_close_file(sk, slot, region, oldest);
            free_f = oldest;
        }
        f = free_f;
        f->period = period;
        f->buf = s3_take_buf(sk);
        if (!f->buf) {
            fail(sk, TW_ERR_NOMEM, "buffer", NULL);
            return NULL;
        }
        GEN_PUT(f->buf, "{\"Records\":[");
        sk->bytes += 12;
    } else {
        tw_buf_putc(f->buf, ',');
        sk->bytes++;
    }
    return f->buf;
}

tw_err gen_sink_open(gen_sink **skp, const gen_opts *opt, char *errstr, size_t errstr_size)
{
    gen_sink *sk = calloc(1, sizeof *sk);
    if (!sk) {
        snprintf(errstr, errstr_size, "out of memory");
        return TW_ERR_NOMEM;
    }
    sk->format = opt->format;
    sk->seed = opt->seed;
    tw_buf_init(&sk->buf);
    tw_buf_init(&sk->zout);
    tw_buf_init(&sk->gz);
    tw_buf_init(&sk->path);
    tw_buf_init(&sk->made_dir);
    tw_err err = TW_OK;
    if (opt->format == GEN_FMT_S3) {
        sk->dir = opt->out;
        sk->accounts = opt->accounts;
        sk->slots = calloc((size_t)opt->accounts * N_REGIONS, sizeof *sk->slots);
        /* Level 1: three times faster than gzip's default for files a tenth larger, and a
         * reader inflates both alike. The header carries no time, so files are
         * byte-identical between runs. */
        if (!sk->slots ||
            deflateInit2(&sk->zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            snprintf(errstr, errstr_size, "out of memory");
            err = TW_ERR_NOMEM;
            goto out;
        }
        sk->zs_ready = true;
        if (!make_dirs(sk, opt->out, strlen(opt->out))) {
            snprintf(errstr, errstr_size, "%s", sk->errstr);
            err = TW_ERR_IO;
        }
        goto out;
    }
    if (!tw_buf_reserve(&sk->buf, FLUSH_BYTES + (1u << 16))) {
        snprintf(errstr, errstr_size, "out of memory");
        err = TW_ERR_NOMEM;
        goto out;
    }
    if (!opt->out || strcmp(opt->out, "-") == 0) {
        sk->fp = stdout;
        sk->name = "(stdout)";
    } else {
        sk->fp = fopen(opt->out, "wb");
        if (!sk->fp) {
            snprintf(errstr, errstr_size, "%s: %s", opt->out, strerror(errno));
            err = TW_ERR_IO;
            goto out;
        }
        sk->own_fp = true;
        sk->name = opt->out;
    }
    if (opt->format == GEN_FMT_ZSTD) {
        sk->zc = ZSTD_createCCtx();
        if (!sk->zc || !tw_buf_reserve(&sk->zout, ZSTD_CStreamOutSize() * 8)) {
            snprintf(errstr, errstr_size, "out of memory");
            err = TW_ERR_NOMEM;
            goto out;
        }
        size_t rc = ZSTD_CCtx_setParameter(sk->zc, ZSTD_c_compressionLevel, opt->zstd_level);
        if (!ZSTD_isError(rc))
            ZSTD_CCtx_setParameter(sk->zc, ZSTD_c_checksumFlag, 1);
        if (ZSTD_isError(rc)) {
            snprintf(errstr, errstr_size, "zstd level %d: %s", opt->zstd_level,
                     ZSTD_getErrorName(rc));
            err = TW_ERR_INVALID;
            goto out;
        }
        /* Compress beside the generator. zstd's output is the same for any number of
         * workers >= 1, so the file does not depend on the machine; a libzstd built without
         * threads refuses, and compresses inline. */
        ZSTD_CCtx_setParameter(sk->zc, ZSTD_c_nbWorkers, 2);
    }
out:
    if (err) {
        gen_sink_close(sk, NULL, 0);
        return err;
    }
    *skp = sk;
    return TW_OK;
}

tw_buf *gen_sink_begin(gen_sink *sk, uint32_t account, const char *account_id, uint8_t region,
                       int64_t time_ms)
{
    if (sk->format == GEN_FMT_S3)
        sk->cur = s3_begin(sk, account, account_id, region, time_ms);
    else
        sk->cur = &sk->buf;
    if (sk->cur)
        sk->bytes -= sk->cur->len; /* end() adds the record's length */
    return sk->cur ? sk->cur : &sk->buf;
}

tw_err gen_sink_end(gen_sink *sk)
{
    if (!sk->cur)
        return sk->err;
    if (sk->format != GEN_FMT_S3)
        tw_buf_putc(sk->cur, '\n');
    sk->bytes += sk->cur->len;
    if (sk->cur->failed)
        fail(sk, TW_ERR_NOMEM, "buffer", NULL);
    else if (sk->format != GEN_FMT_S3 && sk->buf.len >= FLUSH_BYTES)
        flush_stream(sk, false);
    sk->cur = NULL;
    return sk->err;
}

tw_err gen_sink_advance(gen_sink *sk, int64_t now_ms)
{
    if (sk->format != GEN_FMT_S3)
        return sk->err;
    int64_t done = (now_ms - S3_HORIZON_MS) / S3_PERIOD_MS; /* periods before it are complete */
    for (size_t s = 0; s < (size_t)sk->accounts * N_REGIONS; s++) {
        s3_slot *slot = &sk->slots[s];
        for (int i = 0; i < S3_OPEN_PER_SLOT; i++)
            if (slot->open[i].buf && slot->open[i].period < done)
                s3_close_file(sk, slot, (uint32_t)(s % N_REGIONS), &slot->open[i]);
    }
    return sk->err;
}

tw_err gen_sink_finish(gen_sink *sk)
{
    if (sk->finished)
        return sk->err;
    sk->finished = true;
    if (sk->format == GEN_FMT_S3) {
        if (sk->slots)
            gen_sink_advance(sk, INT64_MAX / 2);
    } else if (sk->fp) {
        flush_stream(sk, true);
        if (!sk->err && fflush(sk->fp) != 0)
            fail(sk, TW_ERR_IO, "write", sk->name);
    }
    return sk->err;
}

tw_err gen_sink_close(gen_sink *sk, char *errstr, size_t errstr_size)
{
    if (!sk)
        return TW_OK;
    gen_sink_finish(sk);
    if (sk->format == GEN_FMT_S3) {
        for (uint32_t i = 0; i < sk->pool_n; i++) {
            tw_buf_free(sk->pool[i]);
            free(sk->pool[i]);
        }
        free(sk->pool);
        free(sk->slots);
        if (sk->zs_ready)
            deflateEnd(&sk->zs);
    } else if (sk->own_fp && fclose(sk->fp) != 0) {
        fail(sk, TW_ERR_IO, "close", sk->name);
    }
    ZSTD_freeCCtx(sk->zc);
    tw_buf_free(&sk->buf);
    tw_buf_free(&sk->zout);
    tw_buf_free(&sk->gz);
    tw_buf_free(&sk->path);
    tw_buf_free(&sk->made_dir);
    tw_err err = sk->err;
    if (err && errstr)
        snprintf(errstr, errstr_size, "%s", sk->errstr);
    free(sk);
    return err;
}

uint64_t gen_sink_bytes(const gen_sink *sk)
{
    return sk->bytes;
}

uint64_t gen_sink_files(const gen_sink *sk)
{
    return sk->files;
}

tw_err gen_sink_start(gen_sink **skp, const gen_opts *opt)
{
    char errstr[1280] = "";
    tw_err err = gen_sink_open(skp, opt, errstr, sizeof errstr);
    if (err)
        fprintf(stderr, "trailwarden gen: %s\n", errstr);
    return err;
}

tw_buf *gen_sink_begin_call(gen_sink *sk, const gen_ident *id, const gen_event *ev)
{
    const gen_action *act = &gen_actions[ev->action];
    uint8_t region = (act->flags & GEN_AF_GLOBAL) ? GEN_REGION_US_EAST_1 : id->region;
    return gen_sink_begin(sk, id->account_ix, id->account, region, ev->time_ms);
}

tw_err gen_sink_done(gen_sink **skp, tw_err err, uint64_t *bytes, uint64_t *files)
{
    char errstr[1280] = "";
    if (!err)
        err = gen_sink_finish(*skp);
    *bytes = gen_sink_bytes(*skp);
    *files = gen_sink_files(*skp);
    tw_err cerr = gen_sink_close(*skp, errstr, sizeof errstr);
    *skp = NULL;
    if (err || cerr) {
        fprintf(stderr, "trailwarden gen: %s\n", errstr[0] ? errstr : tw_err_str(err ? err : cerr));
        return err ? err : cerr;
    }
    return TW_OK;
}

void gen_sink_report(const gen_opts *opt, uint64_t records, uint64_t bytes, uint64_t files,
                     double seconds, const char *extra)
{
    if (opt->quiet)
        return;
    fprintf(stderr,
            "trailwarden gen: wrote %llu records, %.1f MB of JSON (%.0f B a record) in %.2f s: "
            "%.0f records/s%s\n",
            (unsigned long long)records, (double)bytes / 1e6,
            records ? (double)bytes / (double)records : 0.0, seconds,
            seconds > 0 ? (double)records / seconds : 0.0, extra);
    if (opt->format == GEN_FMT_S3)
        fprintf(stderr, "trailwarden gen: %llu files under %s/AWSLogs/\n",
                (unsigned long long)files, opt->out);
}
