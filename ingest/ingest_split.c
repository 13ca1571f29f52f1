#include "ingest_split.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest_input.h"
#include "schema_json.h"

struct tw_splitter {
    const tw_split_conf *conf;
    uint32_t input;
    uint64_t *seq;
    tw_input *in; /* NULL: it could not be opened (open_error says why) */
    char open_error[256];
    tw_chunk *cur;   /* being filled */
    tw_chunk *ready; /* cut, for tw_splitter_next to hand over */
    bool done;       /* the last chunk is cut */
    bool decided;    /* lines or document, from the first bytes */
    bool document;
    bool failed;         /* a read failed (corrupt, truncated): the input ends there */
    uint64_t line;       /* line number of cur->buf[0] */
    uint64_t offset;     /* decompressed offset of cur->buf[0] */
    uint64_t total;      /* decompressed bytes so far */
    bool any_content;    /* a non-blank byte seen */
    bool skipping;       /* discarding the rest of an over-long line */
    size_t no_newline;   /* leading bytes of cur known to hold no newline */
    tw_problems pending; /* problems to attach to the next chunk cut */
    uint64_t dropped;    /* bytes read and not kept (an over-long line), for the next chunk */
};
typedef struct tw_splitter splitter;

static bool grow(tw_chunk *chunk, size_t need)
{
    if (need + TW_JSON_PADDING <= chunk->cap)
        return true;
    size_t cap = chunk->cap;
    while (cap < need + TW_JSON_PADDING)
        cap *= 2;
    char *p = realloc(chunk->buf, cap);
    if (!p)
        return false;
    chunk->buf = p;
    chunk->cap = cap;
    return true;
}

static uint64_t count_lines(const char *p, size_t n)
{
    uint64_t c = 0;
    const char *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        c++;
        p++;
    }
    return c;
}

static void move_problems(tw_problems *to, tw_problems *from)
{
    for (uint32_t i = 0; i < from->n; i++) {
        tw_problems_add(to, from->v[i].reason, "%s", from->v[i].text ? from->v[i].text : "");
    }
    tw_problems_clear(from);
}

/* Cuts cur[0..len) as the ready chunk; the tail [len..cur->len) moves to a fresh chunk. */
static tw_err emit_upto(splitter *sp, size_t len, bool document, bool last)
{
    tw_chunk *chunk = sp->cur;
    size_t tail = chunk->len - len;
    tw_chunk *next = NULL;
    if (!last) {
        next = tw_chunk_new(sp->conf->chunk_size > tail ? sp->conf->chunk_size : tail);
        if (!next)
            return TW_ERR_NOMEM;
        memcpy(next->buf, chunk->buf + len, tail);
        next->len = tail;
    }
    chunk->len = len;
    memset(chunk->buf + len, ' ', TW_JSON_PADDING);
    chunk->input = sp->input;
    chunk->seq = (*sp->seq)++;
    chunk->first_line = sp->line;
    chunk->offset = sp->offset;
    chunk->document = document;
    chunk->last = last;
    move_problems(&chunk->problems, &sp->pending);
    chunk->dropped = sp->dropped;
    sp->dropped = 0;
    sp->line += count_lines(chunk->buf, len);
    sp->offset += len;
    sp->cur = next;
    sp->no_newline = tail;
    sp->ready = chunk;
    sp->done = last;
    return TW_OK;
}

/* Decides, from the first bytes, whether the input is lines or one document. */
static bool looks_like_document(const char *p, size_t n, bool at_eof)
{
    size_t i = 0;
    if (n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i >= n)
        return false;
    if (p[i] == '[')
        return true;
    if (p[i] != '{')
        return false;
    const char *nl = memchr(p + i, '\n', n - i);
    if (!nl)
        return false; /* one long line (or the whole file is one line) */
    (void)at_eof;
    const char *e = nl;
    while (e > p + i && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    return e > p + i && e[-1] != '}';
}

/* Reads until a chunk is cut (sp->ready): one of lines once enough is read, or the last. */
static tw_err step(splitter *sp)
{
    char errstr[256];
    for (;;) {
        tw_chunk *chunk = sp->cur;
        size_t want = sp->conf->chunk_size;
        if (!grow(chunk, chunk->len + want))
            return TW_ERR_NOMEM;
        size_t got = 0;
        tw_err rerr =
            tw_input_read(sp->in, chunk->buf + chunk->len, want, &got, errstr, sizeof errstr);
        if (rerr) {
            tw_problems_add(&sp->pending, TW_REJ_TRUNCATED, "%s", errstr);
            sp->failed = true;
        }
        if (got == 0 || rerr) {
            chunk->len += got;
            sp->total += got;
            break;
        }
        if (!sp->any_content) {
            for (size_t i = 0; i < got && !sp->any_content; i++) {
                char c = chunk->buf[chunk->len + i];
                sp->any_content = !(c == ' ' || c == '\t' || c == '\r' || c == '\n');
            }
        }
        chunk->len += got;
        sp->total += got;
        if (!sp->decided && (chunk->len >= 4096 || memchr(chunk->buf, '\n', chunk->len))) {
            sp->document = looks_like_document(chunk->buf, chunk->len, false);
            sp->decided = true;
        }
        if (!sp->decided)
            continue;
        if (sp->document) {
            if (chunk->len > sp->conf->max_document) {
                tw_problems_add(&sp->pending, TW_REJ_TOO_LARGE,
                                "offset 0: a JSON document larger than %llu MiB; skipped",
                                (unsigned long long)(sp->conf->max_document >> 20));
                sp->dropped += chunk->len; /* the rest is not read */
                chunk->len = 0;
                return emit_upto(sp, 0, false, true);
            }
            continue;
        }
        if (sp->skipping) {
            char *nl = memchr(chunk->buf, '\n', chunk->len);
            if (!nl) {
                sp->offset += chunk->len;
                sp->dropped += chunk->len;
                chunk->len = 0;
                sp->no_newline = 0;
                continue;
            }
            size_t drop = (size_t)(nl - chunk->buf) + 1;
            sp->offset += drop;
            sp->dropped += drop;
            sp->line++;
            memmove(chunk->buf, nl + 1, chunk->len - drop);
            chunk->len -= drop;
            sp->skipping = false;
            sp->no_newline = 0;
        }
        if (chunk->len < sp->conf->chunk_size)
            continue;
        /* cut after the last newline; only bytes not searched before can hold one, so a long
         * line costs one pass, not one per read */
        char *last_nl = memrchr(chunk->buf + sp->no_newline, '\n', chunk->len - sp->no_newline);
        sp->no_newline = last_nl ? 0 : chunk->len;
        if (last_nl)
            return emit_upto(sp, (size_t)(last_nl - chunk->buf) + 1, false, false);
        if (chunk->len > sp->conf->max_document) {
            tw_problems_add(
                &sp->pending, TW_REJ_TOO_LARGE, "line %llu: longer than %llu MiB; skipped",
                (unsigned long long)sp->line, (unsigned long long)(sp->conf->max_document >> 20));
            sp->offset += chunk->len;
            sp->dropped += chunk->len;
            chunk->len = 0;
            sp->no_newline = 0;
            sp->skipping = true;
        }
    }
    tw_chunk *chunk = sp->cur;
    if (!sp->decided)
        sp->document = looks_like_document(chunk->buf, chunk->len, true);
    if (sp->failed && !sp->document) {
        /* the bytes after the last newline were cut by the corruption: not a record */
        size_t keep = 0;
        for (size_t i = chunk->len; i > 0; i--) {
            if (chunk->buf[i - 1] == '\n') {
                keep = i;
                break;
            }
        }
        sp->dropped += chunk->len - keep;
        chunk->len = keep;
    }
    if (sp->failed && sp->document) {
        /* a document cut short cannot be parsed; the problem is already named */
        sp->dropped += chunk->len;
        chunk->len = 0;
    }
    if (sp->skipping) {
        sp->dropped += chunk->len;
        chunk->len = 0;
    }
    if (!sp->any_content && !sp->failed && sp->total == 0)
        tw_problems_add(&sp->pending, TW_REJ_EMPTY, "offset 0: empty input, no records");
    else if (!sp->any_content && !sp->failed)
        tw_problems_add(&sp->pending, TW_REJ_EMPTY, "offset 0: blank input, no records");
    return emit_upto(sp, chunk->len, sp->document, true);
}

static tw_err splitter_new(tw_input *in, const char *open_error, uint32_t input,
                           const tw_split_conf *conf, uint64_t *chunk_seq, splitter **out)
{
    static const tw_split_conf defaults = { TW_CHUNK_SIZE, TW_MAX_DOCUMENT };
    splitter *sp = calloc(1, sizeof *sp);
    if (!sp)
        return TW_ERR_NOMEM;
    sp->conf = conf ? conf : &defaults;
    sp->input = input;
    sp->seq = chunk_seq;
    sp->in = in;
    sp->line = 1;
    snprintf(sp->open_error, sizeof sp->open_error, "%s", open_error);
    sp->cur = tw_chunk_new(sp->conf->chunk_size);
    if (!sp->cur) {
        free(sp);
        return TW_ERR_NOMEM;
    }
    *out = sp;
    return TW_OK;
}

tw_err tw_splitter_open(const char *path, uint32_t input, const tw_split_conf *conf,
                        uint64_t *chunk_seq, tw_splitter **sp)
{
    char errstr[256] = "";
    tw_input *in = NULL;
    *sp = NULL;
    tw_err oerr = tw_input_open(path, &in, errstr, sizeof errstr);
    if (oerr == TW_ERR_NOMEM)
        return oerr;
    tw_err err = splitter_new(in, errstr, input, conf, chunk_seq, sp);
    if (err)
        tw_input_close(in);
    return err;
}

tw_err tw_splitter_next(tw_splitter *sp, tw_chunk **chunk)
{
    if (sp->done)
        return TW_ERR_EOF;
    tw_err err;
    if (!sp->in) {
        tw_problems_add(&sp->pending, TW_REJ_UNREADABLE, "offset 0: %s", sp->open_error);
        err = emit_upto(sp, 0, false, true);
    } else {
        err = step(sp);
    }
    if (err)
        return err;
    *chunk = sp->ready;
    sp->ready = NULL;
    return TW_OK;
}

void tw_splitter_close(tw_splitter *sp)
{
    if (!sp)
        return;
    tw_input_close(sp->in);
    tw_chunk_destroy(sp->cur);
    tw_chunk_destroy(sp->ready);
    tw_problems_clear(&sp->pending);
    free(sp);
}

tw_err tw_split_mem(const void *data, size_t len, uint32_t input, const tw_split_conf *conf,
                    uint64_t *chunk_seq, tw_split_emit emit, void *ud)
{
    char errstr[256] = "";
    tw_input *in = NULL;
    tw_err err = tw_input_open_mem(data, len, &in, errstr, sizeof errstr);
    if (err == TW_ERR_NOMEM)
        return err;
    splitter *sp;
    if ((err = splitter_new(in, errstr, input, conf, chunk_seq, &sp)) != TW_OK) {
        tw_input_close(in);
        return err;
    }
    tw_chunk *chunk;
    while ((err = tw_splitter_next(sp, &chunk)) == TW_OK)
        if (!emit(ud, chunk)) {
            err = TW_ERR_AGAIN;
            break;
        }
    tw_splitter_close(sp);
    return err == TW_ERR_EOF ? TW_OK : err;
}

tw_err tw_split_whole_input(const char *path, uint32_t input, size_t max_bytes, uint64_t *chunk_seq,
                            tw_chunk **out)
{
    if (strcmp(path, "-") == 0)
        return TW_ERR_TOO_LARGE;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return TW_ERR_TOO_LARGE; /* the streaming path names the problem */
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max_bytes) {
        close(fd);
        return TW_ERR_TOO_LARGE;
    }
    tw_chunk *chunk = tw_chunk_new((size_t)sb.st_size);
    if (!chunk) {
        close(fd);
        return TW_ERR_NOMEM;
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, chunk->buf + len, chunk->cap - TW_JSON_PADDING - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            /* a file that fails mid-read: let the streaming path report where */
            close(fd);
            tw_chunk_destroy(chunk);
            return TW_ERR_TOO_LARGE;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == chunk->cap - TW_JSON_PADDING)
            break; /* the file grew while we read: take what it had when we looked */
    }
    close(fd);
    chunk->len = len;
    chunk->input = input;
    chunk->seq = (*chunk_seq)++;
    chunk->first_line = 1;
    chunk->last = true;
    chunk->whole_input = true;
    *out = chunk;
    return TW_OK;
}
