#include "ingest_batch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_json.h"

static const char *const k_reject_names[TW_REJ_COUNT_] = {
    [TW_REJ_NOT_JSON] = "not_json",     [TW_REJ_UTF8] = "invalid_utf8",
    [TW_REJ_DEPTH] = "too_deep",        [TW_REJ_CONTROL_CHAR] = "control_char",
    [TW_REJ_TOO_LARGE] = "too_large",   [TW_REJ_NOT_OBJECT] = "not_object",
    [TW_REJ_WRONG_TYPE] = "wrong_type", [TW_REJ_MISSING_FIELD] = "missing_field",
    [TW_REJ_BAD_TIME] = "bad_time",     [TW_REJ_TRUNCATED] = "truncated",
    [TW_REJ_EMPTY] = "empty_input",     [TW_REJ_UNREADABLE] = "unreadable",
};

const char *tw_reject_name(tw_reject r)
{
    return (unsigned)r < TW_REJ_COUNT_ ? k_reject_names[r] : "other";
}

tw_reject tw_reject_from_json_reason(const char *reason)
{
    if (!reason)
        return TW_REJ_NOT_JSON;
    if (!strcmp(reason, "utf8"))
        return TW_REJ_UTF8;
    if (!strcmp(reason, "depth"))
        return TW_REJ_DEPTH;
    if (!strcmp(reason, "control_char"))
        return TW_REJ_CONTROL_CHAR;
    if (!strcmp(reason, "too_large"))
        return TW_REJ_TOO_LARGE;
    if (!strcmp(reason, "not_object") || !strcmp(reason, "wrong_shape"))
        return TW_REJ_NOT_OBJECT;
    if (!strcmp(reason, "wrong_type"))
        return TW_REJ_WRONG_TYPE;
    return TW_REJ_NOT_JSON;
}

void tw_problems_add(tw_problems *pl, tw_reject reason, const char *fmt, ...)
{
    if (pl->n == pl->cap) {
        uint32_t cap = pl->cap ? pl->cap * 2 : 4;
        tw_problem *v = realloc(pl->v, cap * sizeof *v);
        if (!v)
            return;
        pl->v = v;
        pl->cap = cap;
    }
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    pl->v[pl->n].reason = reason;
    pl->v[pl->n].text = strdup(tmp);
    pl->n++;
}

void tw_problems_clear(tw_problems *pl)
{
    for (uint32_t i = 0; i < pl->n; i++)
        free(pl->v[i].text);
    free(pl->v);
    pl->v = NULL;
    pl->n = pl->cap = 0;
}

tw_chunk *tw_chunk_new(size_t cap)
{
    tw_chunk *chunk = calloc(1, sizeof *chunk);
    if (!chunk)
        return NULL;
    chunk->buf = malloc(cap + TW_JSON_PADDING);
    if (!chunk->buf) {
        free(chunk);
        return NULL;
    }
    chunk->cap = cap + TW_JSON_PADDING;
    return chunk;
}

void tw_chunk_destroy(tw_chunk *chunk)
{
    if (!chunk)
        return;
    tw_problems_clear(&chunk->problems);
    free(chunk->buf);
    free(chunk->line_source);
    free(chunk);
}

/* A batch's strings: about 600 bytes an event. The first block fits a small file's few
 * events; a 1 MiB chunk's grow to blocks of 256 KiB, a few mallocs more than starting there. */
#define ARENA_FIRST_BLOCK 2048
#define ARENA_MAX_BLOCK (256 * 1024)

tw_batch *tw_batch_new(uint32_t cap)
{
    tw_batch *batch = calloc(1, sizeof *batch);
    if (!batch)
        return NULL;
    batch->ev = malloc((size_t)(cap ? cap : 1) * sizeof *batch->ev);
    if (!batch->ev) {
        free(batch);
        return NULL;
    }
    batch->cap = cap ? cap : 1;
    tw_arena_init_growing(&batch->arena, ARENA_FIRST_BLOCK, ARENA_MAX_BLOCK);
    return batch;
}

void tw_batch_fit(tw_batch *batch)
{
    if (batch->n == batch->cap || batch->n == 0)
        return;
    tw_event *ev = realloc(batch->ev, (size_t)batch->n * sizeof *ev);
    if (ev) { /* else it keeps its slots: only memory */
        batch->ev = ev;
        batch->cap = batch->n;
    }
}

void tw_batch_reset(tw_batch *batch)
{
    batch->n = 0;
    tw_arena_reset(&batch->arena);
    tw_problems_clear(&batch->problems);
    memset(&batch->counts, 0, sizeof batch->counts);
    atomic_store(&batch->refs, 0);
    batch->last_of_input = false;
}

void tw_batch_destroy(tw_batch *batch)
{
    if (!batch)
        return;
    tw_arena_free(&batch->arena);
    tw_problems_clear(&batch->problems);
    free(batch->ev);
    free(batch);
}

tw_event *tw_batch_push(tw_batch *batch)
{
    if (batch->n == batch->cap) {
        uint32_t cap = batch->cap ? batch->cap * 2 : 16;
        tw_event *ev = realloc(batch->ev, (size_t)cap * sizeof *ev);
        if (!ev)
            return NULL;
        batch->ev = ev;
        batch->cap = cap;
    }
    tw_event *ev = &batch->ev[batch->n++];
    memset(ev, 0, sizeof *ev);
    return ev;
}

void tw_batch_release(tw_batch *batch, uint32_t n)
{
    if (atomic_fetch_sub(&batch->refs, n) == n)
        tw_batch_destroy(batch);
}
