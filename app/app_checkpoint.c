/* app_checkpoint: see app_checkpoint.h. */
#include "app_checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "tw_hash.h"
#include "tw_wire.h"

#define CKPT_MAGIC "TWCKPT05"    /* identities as state records (the changelog's) */
#define CKPT_MAGIC_V4 "TWCKPT04" /* the router's state by stream detector */
#define CKPT_MAGIC_V3 "TWCKPT03" /* with the streams' starts; the CRC-32 last */
#define CKPT_MAGIC_V2 "TWCKPT02" /* without the starts: offsets only */
#define CKPT_MAGIC_V1 "TWCKPT01" /* without the CRC either: offsets only */

/* ---- state records --------------------------------------------------------------------- */

void tw_ckpt_value(const tw_engine *eng, uint64_t fingerprint, const tw_ident *ident, tw_buf *out)
{
    tw_buf_put(out, TW_STATE_RECORD_MAGIC, 4);
    tw_wire_u64(out, fingerprint);
    tw_wire_u64(out, ident->hash);
    tw_wire_u64(out, (uint64_t)ident->first_seen);
    tw_wire_u64(out, (uint64_t)ident->last_seen);
    /* what this consumer noticed of it (split, changed) is not its state */
    tw_wire_u32(out, (uint32_t)ident->kind);
    tw_engine_save(eng, ident, out);
}

tw_err tw_ckpt_apply(const tw_engine *eng, tw_state *st, uint64_t fingerprint,
                     const tw_ckpt_rec *rec, uint16_t source)
{
    uint64_t hash = tw_hash64(rec->key.p, rec->key.len, 0);
    if (!rec->has_value) { /* a tombstone: the identity expired or was evicted */
        tw_state_remove(st, hash, rec->key);
        return TW_OK;
    }
    tw_wire_reader r = { (const unsigned char *)rec->value.p,
                         (const unsigned char *)rec->value.p + rec->value.len, false };
    char magic[4];
    if (!tw_wire_take(&r, magic, 4) || memcmp(magic, TW_STATE_RECORD_MAGIC, 4))
        return TW_ERR_CORRUPT;
    uint64_t fp = tw_wire_get_u64(&r);
    uint64_t saved_hash = tw_wire_get_u64(&r);
    int64_t first = (int64_t)tw_wire_get_u64(&r);
    int64_t last = (int64_t)tw_wire_get_u64(&r);
    uint32_t kind = tw_wire_get_u32(&r);
    if (r.failed || saved_hash != hash || kind > UINT8_MAX)
        return TW_ERR_CORRUPT;
    if (fp != fingerprint)
        return TW_ERR_INVALID; /* other rules or another build: it means something else */
    /* the newest record of a key is its state: what this store had of it goes first */
    tw_state_remove(st, hash, rec->key);
    bool created;
    tw_ident *ident = tw_state_get(st, hash, rec->key, last, &created);
    if (!ident)
        return TW_ERR_NOMEM;
    ident->first_seen = first;
    ident->last_seen = last;
    ident->kind = (uint8_t)kind;
    ident->source = source;
    if (!tw_engine_load(eng, ident, &r) || r.p != r.end) {
        tw_err err = r.failed || r.p != r.end ? TW_ERR_CORRUPT : TW_ERR_NOMEM;
        tw_state_remove(st, hash, rec->key); /* half a state is none */
        return err;
    }
    return TW_OK;
}

void tw_ckpt_put_rec(tw_buf *out, const tw_ckpt_rec *rec)
{
    tw_wire_u32(out, rec->source);
    tw_wire_str(out, rec->key);
    tw_wire_u32(out, rec->has_value);
    if (rec->has_value)
        tw_wire_str(out, rec->value);
}

bool tw_ckpt_get_rec(tw_wire_reader *in, tw_ckpt_rec *rec)
{
    rec->source = tw_wire_get_u32(in);
    rec->key = tw_wire_get_str(in);
    rec->has_value = tw_wire_get_u32(in) != 0;
    rec->value = rec->has_value ? tw_wire_get_str(in) : (tw_str){ NULL, 0 };
    return !in->failed;
}

/* ---- stream records (consume --state-topic) --------------------------------------------- */

typedef struct stream_ctx {
    tw_pipeline *pl;
    const tw_stream_detector *sd;
    tw_buf *out;
    uint64_t n;
} stream_ctx;

static void save_stream_source(void *ud, uint16_t source)
{
    stream_ctx *sc = ud;
    tw_buf value, key;
    tw_buf_init(&value);
    tw_buf_init(&key);
    tw_buf_put(&value, TW_STREAM_RECORD_MAGIC, 4);
    tw_wire_u64(&value, sc->pl->fingerprint);
    sc->sd->save_source(sc->sd->self, source, &value);
    tw_buf_put(&key, "", 1); /* a NUL first: no identity key starts so */
    tw_buf_put(&key, sc->sd->name, strlen(sc->sd->name));
    tw_ckpt_rec rec = {
        source, { key.p, (uint32_t)key.len }, true, { value.p, (uint32_t)value.len }
    };
    tw_ckpt_put_rec(sc->out, &rec);
    sc->out->failed |= value.failed || key.failed;
    sc->n++;
    tw_buf_free(&value);
    tw_buf_free(&key);
}

tw_buf *tw_ckpt_stream_records(tw_pipeline *pl)
{
    tw_buf *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    tw_buf_init(b);
    tw_wire_u64(b, 0);
    stream_ctx sc = { pl, NULL, b, 0 };
    for (uint32_t i = 0; i < pl->n_streams; i++) {
        sc.sd = &pl->streams[i];
        if (sc.sd->changed_sources && sc.sd->save_source)
            sc.sd->changed_sources(sc.sd->self, save_stream_source, &sc);
    }
    if (!b->failed)
        memcpy(b->p, &sc.n, sizeof sc.n);
    return b;
}

tw_err tw_ckpt_apply_stream(tw_pipeline *pl, const tw_ckpt_rec *rec, uint16_t source)
{
    if (!rec->has_value || !rec->key.len || rec->key.p[0] != '\0')
        return TW_ERR_CORRUPT;
    tw_str name = { rec->key.p + 1, rec->key.len - 1 };
    tw_wire_reader r = { (const unsigned char *)rec->value.p,
                         (const unsigned char *)rec->value.p + rec->value.len, false };
    char magic[4];
    if (!tw_wire_take(&r, magic, 4) || memcmp(magic, TW_STREAM_RECORD_MAGIC, 4))
        return TW_ERR_CORRUPT;
    uint64_t fp = tw_wire_get_u64(&r);
    if (r.failed)
        return TW_ERR_CORRUPT;
    if (fp != pl->fingerprint)
        return TW_ERR_INVALID;
    for (uint32_t i = 0; i < pl->n_streams; i++) {
        const tw_stream_detector *sd = &pl->streams[i];
        if (!sd->merge_source || !tw_str_eq(name, tw_str_c(sd->name)))
            continue;
        tw_err err = sd->merge_source(sd->self, source, &r);
        if (err)
            return err;
        return r.failed || r.p != r.end ? TW_ERR_CORRUPT : TW_OK;
    }
    return TW_OK; /* a detector this run has not: passed over */
}

/* ---- saving ------------------------------------------------------------------------------ */

typedef struct save_ctx {
    const tw_engine *engine;
    uint64_t fingerprint;
    bool changed_only;
    tw_buf *out;
    tw_buf value;
    uint64_t n;
} save_ctx;

static void save_ident(void *ud, tw_ident *ident)
{
    save_ctx *sc = ud;
    if (sc->changed_only && !(ident->flags & TW_IDENT_DIRTY))
        return;
    ident->flags &= (uint8_t)~TW_IDENT_DIRTY;
    sc->value.len = 0;
    tw_ckpt_value(sc->engine, sc->fingerprint, ident, &sc->value);
    sc->out->failed |= sc->value.failed;
    tw_ckpt_rec rec = {
        ident->source, { ident->key, ident->key_len }, true, { sc->value.p, sc->value.len }
    };
    tw_ckpt_put_rec(sc->out, &rec);
    sc->n++;
}

tw_buf *tw_ckpt_shard(const tw_engine *eng, tw_state *st, uint64_t fingerprint, bool changed_only,
                      const tw_buf *tombstones)
{
    tw_buf *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    tw_buf_init(b);
    tw_wire_u64(b, 0); /* the count, known at the end */
    save_ctx sc = { eng, fingerprint, changed_only, b, { 0 }, 0 };
    tw_buf_init(&sc.value);
    if (tombstones && tombstones->len) {
        /* before the states: a key removed and seen again since is the state that follows */
        tw_wire_reader r = { (const unsigned char *)tombstones->p,
                             (const unsigned char *)tombstones->p + tombstones->len, false };
        tw_ckpt_rec rec;
        while (r.p < r.end && tw_ckpt_get_rec(&r, &rec)) {
            tw_ckpt_put_rec(b, &rec);
            sc.n++;
        }
    }
    tw_state_foreach(st, save_ident, &sc);
    tw_buf_free(&sc.value);
    if (!b->failed)
        memcpy(b->p, &sc.n, sizeof sc.n);
    return b;
}

/* The router's state: each stream detector's, under its name, its length first. */
tw_buf *tw_ckpt_router(tw_pipeline *pl)
{
    tw_buf *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    tw_buf_init(b);
    tw_wire_u32(b, pl->n_streams);
    for (uint32_t i = 0; i < pl->n_streams; i++) {
        const tw_stream_detector *sd = &pl->streams[i];
        tw_buf one;
        tw_buf_init(&one);
        sd->save(sd->self, &one);
        tw_wire_str(b, tw_str_c(sd->name));
        tw_wire_u64(b, one.len);
        tw_buf_put(b, one.p, one.len);
        b->failed |= one.failed;
        tw_buf_free(&one);
    }
    return b;
}

/* ---- writing ----------------------------------------------------------------------------- */

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

/* zlib's CRC-32 of n bytes folded into crc (zlib takes at most 4 GiB a call). */
static uLong crc_add(uLong crc, const void *p, size_t n)
{
    for (size_t off = 0; off < n;) {
        uInt part = (uInt)(n - off < (1u << 30) ? n - off : (1u << 30));
        crc = crc32(crc, (const Bytef *)p + off, part);
        off += part;
    }
    return crc;
}

/* Writes all of p and folds it into *crc. */
static bool write_crc(int fd, const void *p, size_t n, uLong *crc)
{
    *crc = crc_add(*crc, p, n);
    return write_all(fd, p, n);
}

static bool write_part(int fd, const tw_buf *b, uLong *crc)
{
    uint64_t len = b->len;
    return write_crc(fd, &len, 8, crc) && write_crc(fd, b->p, b->len, crc);
}

tw_err tw_ckpt_write(const char *dir, uint64_t fingerprint, int64_t stream_start_ms,
                     const tw_ckpt_part *parts, uint32_t n_parts, const tw_buf *router,
                     tw_buf *const *shards, uint32_t n_shards, char *errstr, size_t errstr_size)
{
    tw_buf head;
    tw_buf_init(&head);
    tw_buf_put(&head, CKPT_MAGIC, 8);
    tw_wire_u64(&head, fingerprint);
    tw_wire_u64(&head, (uint64_t)stream_start_ms);
    tw_wire_u32(&head, n_parts);
    for (uint32_t i = 0; i < n_parts; i++) {
        tw_wire_str(&head, tw_str_c(parts[i].topic ? parts[i].topic : ""));
        tw_wire_u32(&head, (uint32_t)parts[i].partition);
        tw_wire_u64(&head, (uint64_t)parts[i].offset);
        tw_wire_u64(&head, (uint64_t)parts[i].start_ms);
    }
    tw_wire_u32(&head, router != NULL);
    tw_wire_u32(&head, n_shards);
    bool ok = !head.failed && (!router || !router->failed);
    for (uint32_t i = 0; i < n_shards; i++)
        ok &= shards[i] && !shards[i]->failed;
    char tmp[4096], final[4096];
    snprintf(tmp, sizeof tmp, "%s/checkpoint.tmp", dir);
    snprintf(final, sizeof final, "%s/checkpoint", dir);
    int fd = ok ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    int open_errno = errno;
    uLong crc = crc32(0, Z_NULL, 0);
    ok = fd >= 0 && write_crc(fd, head.p, head.len, &crc);
    if (ok && router)
        ok = write_part(fd, router, &crc);
    for (uint32_t i = 0; ok && i < n_shards; i++)
        ok = write_part(fd, shards[i], &crc);
    /* a checksum last: a byte changed anywhere (a disk, a copy) is found before restoring */
    ok = ok && write_all(fd, &(uint32_t){ (uint32_t)crc }, 4);
    int write_errno = errno;
    /* temp file, fsync, rename, fsync the directory: the old checkpoint or the new, whole */
    if (fd >= 0) {
        ok = ok && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
    }
    ok = ok && rename(tmp, final) == 0;
    if (ok) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    } else {
        if (fd >= 0)
            unlink(tmp);
        snprintf(errstr, errstr_size, "--state-dir %s: cannot write the checkpoint: %s", dir,
                 head.failed ? "out of memory"
                 : fd < 0    ? strerror(open_errno)
                             : strerror(write_errno ? write_errno : EIO));
    }
    tw_buf_free(&head);
    return ok ? TW_OK : TW_ERR_IO;
}

/* ---- reading ----------------------------------------------------------------------------- */

static tw_err restore_router(tw_pipeline *pl, tw_wire_reader *in)
{
    uint64_t len = tw_wire_get_u64(in);
    if (in->failed || (uint64_t)(in->end - in->p) < len)
        return TW_ERR_CORRUPT;
    tw_wire_reader rs = { in->p, in->p + len, false };
    in->p += len;
    /* each stream detector's state under its name; one this run has not (the grant book of
     * a run with --grants, now without) is passed over */
    uint32_t n = tw_wire_get_u32(&rs);
    for (uint32_t k = 0; k < n && !rs.failed; k++) {
        tw_str name = tw_wire_get_str(&rs);
        uint64_t slen = tw_wire_get_u64(&rs);
        if (rs.failed || (uint64_t)(rs.end - rs.p) < slen)
            return TW_ERR_CORRUPT;
        tw_wire_reader one = { rs.p, rs.p + slen, false };
        rs.p += slen;
        for (uint32_t i = 0; i < pl->n_streams; i++) {
            const tw_stream_detector *sd = &pl->streams[i];
            if (!tw_str_eq(name, tw_str_c(sd->name)))
                continue;
            tw_err err = sd->load(sd->self, &one);
            if (err)
                return err;
            if (one.failed || one.p != one.end)
                return TW_ERR_CORRUPT; /* cut, or bytes behind its state */
        }
    }
    return rs.failed || rs.p != rs.end ? TW_ERR_CORRUPT : TW_OK;
}

/* One shard's section: its records, each to fn (TW_ERR_CORRUPT when cut short or with bytes
 * behind its last record; or fn's error). */
static tw_err each_shard_record(tw_wire_reader *in, tw_err (*fn)(void *ud, const tw_ckpt_rec *rec),
                                void *ud)
{
    uint64_t len = tw_wire_get_u64(in);
    if (in->failed || (uint64_t)(in->end - in->p) < len)
        return TW_ERR_CORRUPT;
    tw_wire_reader r = { in->p, in->p + len, false };
    in->p += len;
    uint64_t n = tw_wire_get_u64(&r);
    tw_ckpt_rec rec;
    for (uint64_t i = 0; i < n; i++) {
        if (!tw_ckpt_get_rec(&r, &rec))
            return TW_ERR_CORRUPT;
        tw_err err = fn(ud, &rec);
        if (err)
            return err;
    }
    return r.failed || r.p != r.end ? TW_ERR_CORRUPT : TW_OK;
}

typedef struct restore_ctx {
    tw_pipeline *pl;
    uint64_t fingerprint;
} restore_ctx;

/* A record of the file into the store of this run's worker for it (-j may differ from the run
 * that wrote it). */
static tw_err restore_record(void *ud, const tw_ckpt_rec *rec)
{
    const restore_ctx *rc = ud;
    uint64_t hash = tw_hash64(rec->key.p, rec->key.len, 0);
    tw_state *st = rc->pl->workers[hash % (uint64_t)rc->pl->n_workers].state;
    tw_err err = tw_ckpt_apply(rc->pl->engine, st, rc->fingerprint, rec, 0);
    return err == TW_ERR_INVALID ? TW_ERR_CORRUPT : err; /* the file said it was ours */
}

/* The whole file into b; TW_ERR_IO with errno kept, or TW_OK (found false when missing). */
static tw_err read_file(const char *path, tw_buf *b, bool *found)
{
    *found = false;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? TW_OK : TW_ERR_IO;
    *found = true;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        tw_buf_put(b, chunk, got);
    bool bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        errno = e;
        return TW_ERR_IO;
    }
    return b->failed ? TW_ERR_NOMEM : TW_OK;
}

/* DIR/checkpoint (named in path) whole into b, its magic and (from version 2) its checksum
 * checked; in reads what follows the magic, the checksum left out. TW_OK with *version (1 to 5),
 * or with *found false when there is none; TW_ERR_IO, TW_ERR_NOMEM, TW_ERR_CORRUPT (not a
 * checkpoint, or damaged) with errstr naming the file. */
static tw_err load_checked(const char *path, tw_buf *b, tw_wire_reader *in, bool *found,
                           int *version, char *errstr, size_t errstr_size)
{
    *version = 0;
    tw_err err = read_file(path, b, found);
    if (err || !*found) {
        if (err == TW_ERR_IO)
            snprintf(errstr, errstr_size, "--state-dir %s: %s", path, strerror(errno));
        else if (err)
            snprintf(errstr, errstr_size, "--state-dir %s: out of memory reading it", path);
        return err;
    }
    *in = (tw_wire_reader){ (const unsigned char *)b->p, (const unsigned char *)b->p + b->len,
                            false };
    char magic[8];
    if (tw_wire_take(in, magic, 8))
        *version = !memcmp(magic, CKPT_MAGIC, 8)      ? 5
                   : !memcmp(magic, CKPT_MAGIC_V4, 8) ? 4
                   : !memcmp(magic, CKPT_MAGIC_V3, 8) ? 3
                   : !memcmp(magic, CKPT_MAGIC_V2, 8) ? 2
                   : !memcmp(magic, CKPT_MAGIC_V1, 8) ? 1
                                                      : 0;
    if (!*version) {
        snprintf(errstr, errstr_size, "--state-dir %s: not a trailwarden checkpoint", path);
        return TW_ERR_CORRUPT;
    }
    if (*version >= 2) {
        /* the CRC-32 of all before it, in its last 4 bytes */
        uint32_t want = 0;
        bool whole = b->len >= 12;
        if (whole) {
            memcpy(&want, b->p + b->len - 4, 4);
            in->end -= 4;
        }
        if (!whole || (uint32_t)crc_add(crc32(0, Z_NULL, 0), b->p, b->len - 4) != want) {
            snprintf(errstr, errstr_size,
                     "--state-dir %s: damaged checkpoint (its checksum does not match: cut short "
                     "or changed since it was written)",
                     path);
            return TW_ERR_CORRUPT;
        }
    }
    return TW_OK;
}

/* What follows the magic up to the router's state. */
typedef struct ckpt_head {
    uint64_t fingerprint;
    int64_t stream_start_ms; /* INT64_MIN before version 3 */
    bool router;             /* the router's state follows */
    uint32_t shards;
} ckpt_head;

/* Reads the head, each partition to part (may be NULL). TW_ERR_CORRUPT when cut short, or
 * part's error. */
static tw_err read_head(tw_wire_reader *in, int version, ckpt_head *h,
                        tw_err (*part)(void *ud, const tw_ckpt_part *p), void *ud)
{
    *h = (ckpt_head){ .stream_start_ms = INT64_MIN };
    h->fingerprint = tw_wire_get_u64(in);
    if (version >= 3)
        h->stream_start_ms = (int64_t)tw_wire_get_u64(in);
    uint32_t n_parts = tw_wire_get_u32(in);
    tw_err err = TW_OK;
    for (uint32_t i = 0; !err && i < n_parts && !in->failed; i++) {
        tw_str topic = tw_wire_get_str(in);
        tw_ckpt_part p = { NULL, (int32_t)tw_wire_get_u32(in), (int64_t)tw_wire_get_u64(in),
                           INT64_MIN };
        if (version >= 3)
            p.start_ms = (int64_t)tw_wire_get_u64(in);
        if (in->failed || !part)
            continue;
        char *t = strndup(topic.p, topic.len);
        p.topic = t;
        err = !t ? TW_ERR_NOMEM : part(ud, &p);
        free(t);
    }
    h->router = tw_wire_get_u32(in) != 0;
    h->shards = tw_wire_get_u32(in);
    return err ? err : in->failed ? TW_ERR_CORRUPT : TW_OK;
}

tw_err tw_ckpt_each_record(const char *dir, tw_err (*fn)(void *ud, const tw_ckpt_rec *rec),
                           void *ud, uint64_t *fingerprint, char *errstr, size_t errstr_size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    tw_buf b;
    tw_buf_init(&b);
    tw_wire_reader in;
    bool found;
    int version;
    ckpt_head h;
    tw_err err = load_checked(path, &b, &in, &found, &version, errstr, errstr_size);
    if (!err && !found) {
        snprintf(errstr, errstr_size, "--state-dir %s: no checkpoint there", path);
        err = TW_ERR_IO;
    } else if (!err && version < 5) {
        snprintf(errstr, errstr_size,
                 "--state-dir %s: written by an older trailwarden (its identities are not state "
                 "records): run the replay again to write it",
                 path);
        err = TW_ERR_INVALID;
    }
    if (!err)
        err = read_head(&in, version, &h, NULL, NULL);
    if (!err && h.router) { /* the stream detectors' state is not records: passed over */
        uint64_t len = tw_wire_get_u64(&in);
        if (in.failed || (uint64_t)(in.end - in.p) < len)
            err = TW_ERR_CORRUPT;
        else
            in.p += len;
    }
    for (uint32_t sh = 0; !err && sh < h.shards; sh++)
        err = each_shard_record(&in, fn, ud);
    if (!err && in.p != in.end)
        err = TW_ERR_CORRUPT; /* bytes behind the last shard */
    if (!err)
        *fingerprint = h.fingerprint;
    else if (err == TW_ERR_CORRUPT && found && version == 5)
        snprintf(errstr, errstr_size, "--state-dir %s: damaged checkpoint", path);
    tw_buf_free(&b);
    return err;
}

tw_err tw_ckpt_restore(const char *dir, tw_pipeline *pl, uint64_t fingerprint,
                       tw_err (*part)(void *ud, const tw_ckpt_part *p), void *ud, tw_ckpt_read *out,
                       char *errstr, size_t errstr_size)
{
    *out = (tw_ckpt_read){ .stream_start_ms = INT64_MIN };
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(errstr, errstr_size, "--state-dir %s: %s", dir, strerror(errno));
        return TW_ERR_IO;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    tw_buf b;
    tw_buf_init(&b);
    tw_wire_reader in;
    int version;
    tw_err err = load_checked(path, &b, &in, &out->found, &version, errstr, errstr_size);
    if (err || !out->found) {
        tw_buf_free(&b);
        return err;
    }
    ckpt_head h;
    err = read_head(&in, version, &h, part, ud);
    if (!err && (version < 5 || h.fingerprint != fingerprint)) {
        /* other rules, another build, or an older layout: the state would mean something
         * else */
        out->foreign = true;
    } else if (!err) {
        out->stream_start_ms = h.stream_start_ms;
        if (h.router)
            err = restore_router(pl, &in);
        restore_ctx rc = { pl, fingerprint };
        for (uint32_t s = 0; !err && s < h.shards; s++)
            err = each_shard_record(&in, restore_record, &rc);
        if (!err && (in.failed || in.p != in.end))
            err = TW_ERR_CORRUPT; /* cut, or bytes behind the last state */
        out->restored = err == TW_OK;
    }
    if (err == TW_ERR_CORRUPT)
        snprintf(errstr, errstr_size, "--state-dir %s: damaged checkpoint", path);
    else if (err == TW_ERR_NOMEM)
        snprintf(errstr, errstr_size, "--state-dir %s: out of memory restoring", path);
    else if (err)
        snprintf(errstr, errstr_size, "--state-dir %s: %s", path, tw_err_str(err));
    tw_buf_free(&b);
    return err;
}
