/* rules_yaml: rule files into trees of YAML nodes that keep their line numbers, through
 * libyaml's event API (not its document loader) so that the loader can refuse what rules have
 * no use for before it costs anything: aliases (and the "billion laughs" they allow), tags,
 * nesting deeper than RULES_MAX_DEPTH. Duplicate keys, which YAML loaders usually let the
 * last one win silently, are reported. */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "rules_internal.h"

typedef struct frame {
    yn *node;
    yn **items;
    uint32_t n, cap;
} frame;

typedef struct builder {
    rules_ctx *ctx;
    tw_arena *arena;
    const char *buf;
    size_t len;
    frame stack[RULES_MAX_DEPTH + 1];
    int depth;
    yn **docs;
    uint32_t n_docs, cap_docs;
    yn *root;
    bool failed;
} builder;

static uint32_t line_at_offset(const char *buf, size_t len, size_t offset)
{
    uint32_t line = 1;
    if (offset > len)
        offset = len;
    for (size_t i = 0; i < offset; i++)
        line += buf[i] == '\n';
    return line;
}

static yn *node_new(builder *b, yn_type type, const yaml_mark_t *mark)
{
    yn *node = tw_arena_alloc(b->arena, sizeof *node);
    if (!node) {
        b->ctx->rs->nomem = true;
        return NULL;
    }
    memset(node, 0, sizeof *node);
    node->type = type;
    node->line = (uint32_t)mark->line + 1;
    node->col = (uint32_t)mark->column + 1;
    return node;
}

static bool push_item(builder *b, yn *node)
{
    if (b->depth == 0) {
        b->root = node;
        return true;
    }
    frame *f = &b->stack[b->depth - 1];
    if (f->n == f->cap) {
        uint32_t cap = f->cap ? f->cap * 2 : 8;
        yn **items = realloc(f->items, cap * sizeof *items);
        if (!items) {
            b->ctx->rs->nomem = true;
            return false;
        }
        f->items = items;
        f->cap = cap;
    }
    f->items[f->n++] = node;
    return true;
}

typedef struct key_ref {
    const yn *key;
    uint32_t order;
} key_ref;

static int cmp_key(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->key->text, y->key->text);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Every key of a mapping is a scalar, and none is given twice. */
static void check_keys(builder *b, const yn *map)
{
    key_ref *refs = malloc((map->n ? map->n : 1) * sizeof *refs);
    if (!refs) {
        b->ctx->rs->nomem = true;
        return;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < map->n; i++) {
        const yn *key = map->kids[2 * i];
        if (key->type != YN_SCALAR) {
            rules_diag(b->ctx, key->line, "a mapping key must be a plain string, not %s",
                       yn_describe(key));
            b->ctx->yaml_bad = true;
            continue;
        }
        refs[n].key = key;
        refs[n].order = i;
        n++;
    }
    qsort(refs, n, sizeof *refs, cmp_key);
    for (uint32_t i = 1; i < n; i++)
        if (!strcmp(refs[i].key->text, refs[i - 1].key->text)) {
            rules_diag(b->ctx, refs[i].key->line, "duplicate key '%s' (first at line %u)",
                       refs[i].key->text, refs[i - 1].key->line);
            b->ctx->yaml_bad = true;
        }
    free(refs);
}

static bool close_container(builder *b)
{
    frame *f = &b->stack[--b->depth];
    yn *node = f->node;
    bool ok = true;
    if (node->type == YN_MAP && f->n % 2) {
        ok = false; /* libyaml never produces this */
    } else if (f->n) {
        node->kids = tw_arena_alloc(b->arena, f->n * sizeof *node->kids);
        if (!node->kids) {
            b->ctx->rs->nomem = true;
            ok = false;
        } else {
            memcpy(node->kids, f->items, f->n * sizeof *node->kids);
        }
    }
    node->n = node->type == YN_MAP ? f->n / 2 : f->n;
    free(f->items);
    memset(f, 0, sizeof *f);
    if (ok && node->type == YN_MAP)
        check_keys(b, node);
    return ok && push_item(b, node);
}

static bool open_container(builder *b, yn_type type, const yaml_event_t *ev)
{
    if (b->depth >= RULES_MAX_DEPTH) {
        rules_diag(b->ctx, (uint32_t)ev->start_mark.line + 1, "YAML nested deeper than %d levels",
                   RULES_MAX_DEPTH);
        return false;
    }
    yn *node = node_new(b, type, &ev->start_mark);
    if (!node)
        return false;
    b->stack[b->depth++] = (frame){ .node = node };
    return true;
}

static bool tag_ok(builder *b, const yaml_event_t *ev, const yaml_char_t *tag, const char *allowed)
{
    if (!tag || !strcmp((const char *)tag, allowed))
        return true;
    rules_diag(b->ctx, (uint32_t)ev->start_mark.line + 1, "YAML tag '%s' is not supported",
               (const char *)tag);
    return false;
}

static bool on_scalar(builder *b, const yaml_event_t *ev)
{
    if (!tag_ok(b, ev, ev->data.scalar.tag, YAML_STR_TAG))
        return false;
    yn *node = node_new(b, YN_SCALAR, &ev->start_mark);
    if (!node)
        return false;
    size_t len = ev->data.scalar.length;
    if (len > UINT32_MAX - 1)
        return false;
    char *text = tw_arena_alloc(b->arena, len + 1);
    if (!text) {
        b->ctx->rs->nomem = true;
        return false;
    }
    memcpy(text, ev->data.scalar.value, len);
    text[len] = '\0';
    if (memchr(text, '\0', len)) {
        rules_diag(b->ctx, node->line, "a NUL character in a string");
        b->ctx->yaml_bad = true;
    }
    node->text = text;
    node->len = (uint32_t)len;
    node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
    return push_item(b, node);
}

static bool push_doc(builder *b)
{
    yn *root = b->root;
    b->root = NULL;
    if (!root || (root->type == YN_SCALAR && root->plain && root->len == 0))
        return true; /* an empty document: nothing to load */
    if (b->n_docs == b->cap_docs) {
        uint32_t cap = b->cap_docs ? b->cap_docs * 2 : 4;
        yn **docs = realloc(b->docs, cap * sizeof *docs);
        if (!docs) {
            b->ctx->rs->nomem = true;
            return false;
        }
        b->docs = docs;
        b->cap_docs = cap;
    }
    b->docs[b->n_docs++] = root;
    return true;
}

static void yaml_problem(builder *b, const yaml_parser_t *parser)
{
    uint32_t line;
    if (parser->error == YAML_READER_ERROR)
        line = line_at_offset(b->buf, b->len, parser->problem_offset);
    else
        line = (uint32_t)parser->problem_mark.line + 1;
    const char *problem = parser->problem ? parser->problem : "malformed YAML";
    if (parser->error == YAML_READER_ERROR)
        rules_diag(b->ctx, line, "not a YAML text file: %s", problem);
    else if (parser->context)
        rules_diag(b->ctx, line, "YAML: %s (%s at line %u)", problem, parser->context,
                   (unsigned)parser->context_mark.line + 1);
    else
        rules_diag(b->ctx, line, "YAML: %s", problem);
}

tw_err rules_yaml_parse(rules_ctx *ctx, tw_arena *arena, const char *buf, size_t len, yn ***docs,
                        uint32_t *n_docs)
{
    builder b = { .ctx = ctx, .arena = arena, .buf = buf, .len = len };
    yaml_parser_t parser;
    tw_err err = TW_OK;
    *docs = NULL;
    *n_docs = 0;
    if (!yaml_parser_initialize(&parser))
        return TW_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    for (bool done = false; !done && err == TW_OK;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            if (parser.error == YAML_MEMORY_ERROR) {
                err = TW_ERR_NOMEM;
            } else {
                yaml_problem(&b, &parser);
                err = TW_ERR_PARSE;
            }
            break;
        }
        bool ok = true;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_END_EVENT:
            ok = push_doc(&b);
            break;
        case YAML_ALIAS_EVENT:
            rules_diag(ctx, (uint32_t)ev.start_mark.line + 1,
                       "YAML aliases (*%s) are not supported", (const char *)ev.data.alias.anchor);
            ok = false;
            break;
        case YAML_SCALAR_EVENT:
            ok = on_scalar(&b, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            ok = tag_ok(&b, &ev, ev.data.sequence_start.tag, YAML_SEQ_TAG) &&
                 open_container(&b, YN_SEQ, &ev);
            break;
        case YAML_MAPPING_START_EVENT:
            ok = tag_ok(&b, &ev, ev.data.mapping_start.tag, YAML_MAP_TAG) &&
                 open_container(&b, YN_MAP, &ev);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            ok = close_container(&b);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (!ok)
            err = ctx->rs->nomem ? TW_ERR_NOMEM : TW_ERR_PARSE;
    }
    yaml_parser_delete(&parser);
    while (b.depth > 0)
        free(b.stack[--b.depth].items);
    if (err != TW_OK) {
        free(b.docs);
        return err;
    }
    if (b.n_docs) {
        *docs = tw_arena_alloc(arena, b.n_docs * sizeof **docs);
        if (!*docs) {
            free(b.docs);
            return TW_ERR_NOMEM;
        }
        memcpy(*docs, b.docs, b.n_docs * sizeof **docs);
    }
    *n_docs = b.n_docs;
    free(b.docs);
    return TW_OK;
}

static bool all_digits(const char *s, const char *digits)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr(digits, *s))
            return false;
    return true;
}

/* YAML 1.2 core schema: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+, and
 * [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?. */
static bool is_number(const char *s, double *number)
{
    if (s[0] == '0' && s[1] == 'o' && all_digits(s + 2, "01234567")) {
        *number = (double)strtoull(s + 2, NULL, 8);
        return true;
    }
    if (s[0] == '0' && s[1] == 'x' && all_digits(s + 2, "0123456789abcdefABCDEF")) {
        *number = (double)strtoull(s + 2, NULL, 16);
        return true;
    }
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    size_t int_digits = strspn(p, "0123456789");
    p += int_digits;
    size_t frac_digits = 0;
    if (*p == '.') {
        p++;
        frac_digits = strspn(p, "0123456789");
        p += frac_digits;
    }
    if (int_digits == 0 && frac_digits == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        size_t exp_digits = strspn(p, "0123456789");
        if (!exp_digits)
            return false;
        p += exp_digits;
    }
    if (*p)
        return false;
    *number = strtod(s, NULL);
    return true;
}

yn_kind yn_resolve(const yn *node, double *number, bool *boolean)
{
    if (node->type != YN_SCALAR || !node->plain)
        return YS_STRING;
    const char *s = node->text;
    if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
        return YS_NULL;
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        if (boolean)
            *boolean = true;
        return YS_BOOL;
    }
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
        if (boolean)
            *boolean = false;
        return YS_BOOL;
    }
    double v;
    if (is_number(s, &v)) {
        if (number)
            *number = v;
        return YS_NUMBER;
    }
    return YS_STRING;
}

const char *yn_describe(const yn *node)
{
    switch (node->type) {
    case YN_SEQ:
        return "a list";
    case YN_MAP:
        return "a map";
    case YN_SCALAR:
        break;
    }
    switch (yn_resolve(node, NULL, NULL)) {
    case YS_NUMBER:
        return "a number";
    case YS_BOOL:
        return "a boolean";
    case YS_NULL:
        return "null";
    case YS_STRING:
        break;
    }
    return "a string";
}
