#include "ingest_parse.h"

#include <stdlib.h>
#include <string.h>

#include "schema_json.h"
#include "ingest_split.h"

struct tw_parser {
    const tw_normalize_conf *conf;
    tw_json *js;
    tw_event_hook hook;
    void *hook_ud;
};

typedef struct parse_ctx {
    tw_parser *ps;
    tw_batch *batch;
    tw_chunk *chunk;
    uint64_t line;   /* line of the current document */
    const char *doc; /* the current document */
    uint64_t doc_len;
    uint64_t record_no; /* records of the current document so far */
} parse_ctx;

tw_parser *tw_parser_new(const tw_normalize_conf *conf)
{
    tw_parser *ps = calloc(1, sizeof *ps);
    if (!ps)
        return NULL;
    ps->conf = conf;
    ps->js = tw_json_new();
    if (!ps->js) {
        free(ps);
        return NULL;
    }
    return ps;
}

void tw_parser_set_hook(tw_parser *ps, tw_event_hook hook, void *ud)
{
    ps->hook = hook;
    ps->hook_ud = ud;
}

void tw_parser_destroy(tw_parser *ps)
{
    if (!ps)
        return;
    tw_json_destroy(ps->js);
    free(ps);
}

static uint64_t line_of(const parse_ctx *ctx, uint64_t offset)
{
    uint64_t line = ctx->line;
    const char *p = ctx->doc, *end = ctx->doc + (offset < ctx->doc_len ? offset : ctx->doc_len);
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        line++;
        p++;
    }
    return line;
}

/* The partition of the line being read (consume), 0 in replay. */
static uint16_t line_source(const parse_ctx *ctx)
{
    const tw_chunk *c = ctx->chunk;
    uint64_t i = ctx->line - c->first_line;
    return c->line_source ? (i < c->n_line_source ? c->line_source[i] : 0) : c->source;
}

/* The event's partition (consume), and whether it is a copy of a grant call. */
static void mark_source(const parse_ctx *ctx, tw_event *ev)
{
    uint16_t ls = line_source(ctx);
    ev->source = (uint16_t)(ls & ~TW_LINE_GRANT_COPY);
    if ((ls & TW_LINE_GRANT_COPY) || ctx->chunk->grant_copy)
        ev->flags |= TW_EV_GRANT_COPY;
}

static void first_string(void *ud, const tw_json_value *v)
{
    tw_str *out = ud;
    if (!out->len && v->type == TW_JV_STRING)
        *out = v->text;
}

static int on_record(void *ud, const tw_raw_record *raw)
{
    parse_ctx *ctx = ud;
    tw_batch *batch = ctx->batch;
    ctx->record_no++;
    batch->counts.records++;
    tw_raw_record r = *raw;
    if (r.envelope == 0)
        r.size = ctx->doc_len; /* a bare record is the whole line */
    if (!r.model_id.len && r.request_params.len && tw_str_starts(r.event_source, "bedrock")) {
        /* a Bedrock call's model: requestParameters.modelId, not any nested "modelId" */
        static const tw_str path = { "modelId", 7 };
        tw_json_lookup(ctx->ps->js, r.request_params.p, r.request_params.len,
                       r.request_params.len + TW_JSON_PADDING, &path, 1, first_string, &r.model_id);
    }
    tw_reject reason;
    char why[200];
    switch (tw_normalize(ctx->ps->conf, &r, batch, &reason, why, sizeof why)) {
    case TW_NORM_EVENT:
        batch->counts.events++;
        mark_source(ctx, &batch->ev[batch->n - 1]);
        if (!(batch->ev[batch->n - 1].flags & TW_EV_ACTION_KNOWN))
            batch->counts.unknown_actions++;
        if (ctx->ps->hook)
            ctx->ps->hook(ctx->ps->hook_ud, &batch->ev[batch->n - 1], &r, ctx->ps->js,
                          &batch->arena);
        break;
    case TW_NORM_SKIPPED:
        batch->counts.skipped++;
        break;
    case TW_NORM_REJECTED:
        batch->counts.rejected[reason]++;
        if (ctx->chunk->document || r.envelope)
            tw_problems_add(&batch->problems, reason, "line %llu: record %llu: %s",
                            (unsigned long long)line_of(ctx, r.doc_offset),
                            (unsigned long long)ctx->record_no, why);
        else
            tw_problems_add(&batch->problems, reason, "line %llu: %s",
                            (unsigned long long)ctx->line, why);
        break;
    }
    return 0;
}

static void parse_doc(parse_ctx *ctx, const char *p, size_t len, size_t capacity)
{
    ctx->doc = p;
    ctx->doc_len = len;
    ctx->record_no = 0;
    tw_json_error jerr = { 0 };
    if (tw_json_parse(ctx->ps->js, p, len, capacity, on_record, ctx, &jerr) != TW_OK) {
        tw_reject reason = tw_reject_from_json_reason(jerr.reason);
        ctx->batch->counts.records++;
        ctx->batch->counts.rejected[reason]++;
        uint64_t line = line_of(ctx, jerr.offset);
        if (ctx->record_no)
            tw_problems_add(&ctx->batch->problems, reason,
                            "line %llu: JSON error after record %llu: %s", (unsigned long long)line,
                            (unsigned long long)ctx->record_no, jerr.message);
        else
            tw_problems_add(&ctx->batch->problems, reason, "line %llu: %s",
                            (unsigned long long)line, jerr.message);
    }
}

static void parse_chunk(tw_parser *ps, tw_chunk *chunk, tw_batch *batch);

typedef struct whole_ctx {
    tw_parser *ps;
    tw_batch *batch;
    uint16_t source;
    bool grant_copy;
} whole_ctx;

static bool parse_part(void *ud, tw_chunk *part)
{
    whole_ctx *wc = ud;
    part->source = wc->source;
    part->grant_copy = wc->grant_copy;
    parse_chunk(wc->ps, part, wc->batch);
    tw_chunk_destroy(part);
    return true;
}

void tw_parser_run(tw_parser *ps, tw_chunk *chunk, tw_batch *batch)
{
    batch->input = chunk->input;
    batch->seq = chunk->seq;
    batch->last_of_input = chunk->last;
    if (chunk->whole_input) {
        /* the parts' own sequence numbers stay local: the batch keeps the chunk's place */
        uint64_t part_seq = 0;
        whole_ctx wc = { ps, batch, chunk->source, chunk->grant_copy };
        if (tw_split_mem(chunk->buf, chunk->len, chunk->input, NULL, &part_seq, parse_part, &wc) ==
            TW_ERR_NOMEM) {
            tw_problems_add(&batch->problems, TW_REJ_TRUNCATED,
                            "offset 0: out of memory decompressing the input");
            batch->counts.input_problems[TW_REJ_TRUNCATED]++;
        }
        return;
    }
    parse_chunk(ps, chunk, batch);
}

static void parse_chunk(tw_parser *ps, tw_chunk *chunk, tw_batch *batch)
{
    batch->counts.bytes += chunk->len + chunk->dropped;
    for (uint32_t i = 0; i < chunk->problems.n; i++) {
        tw_problems_add(&batch->problems, chunk->problems.v[i].reason, "%s",
                        chunk->problems.v[i].text ? chunk->problems.v[i].text : "");
        tw_reject reason = chunk->problems.v[i].reason;
        if (reason == TW_REJ_TOO_LARGE) {
            /* an over-long line: a record, rejected */
            batch->counts.records++;
            batch->counts.rejected[reason]++;
        } else {
            batch->counts.input_problems[reason]++;
        }
    }
    parse_ctx ctx = { ps, batch, chunk, chunk->first_line, NULL, 0, 0 };
    const char *buf = chunk->buf, *end = chunk->buf + chunk->len;
    size_t cap_end = chunk->cap; /* padding lies beyond len */
    if (chunk->document) {
        const char *p = buf;
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            p++;
        if (p < end) {
            ctx.line = chunk->first_line;
            parse_doc(&ctx, buf, chunk->len, cap_end);
        }
        return;
    }
    const char *p = buf;
    uint64_t line = chunk->first_line;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *s = p, *e = line_end;
        while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        if (line == 1 && e - s >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF)
            s += 3; /* a UTF-8 byte order mark */
        if (s < e) {
            ctx.line = line;
            parse_doc(&ctx, s, (size_t)(e - s), (size_t)(buf + cap_end - s));
        }
        line++;
        p = nl ? nl + 1 : end;
    }
}
