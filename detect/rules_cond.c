/* rules_cond: Sigma conditions into trees. Grammar (precedence not > and > or):
 *
 *   cond    := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := 'not' unary | '(' cond ')' | quant | NAME
 *   quant   := ('1' | 'all') 'of' (PATTERN | 'them')
 *
 * NAME is a selection of the rule; PATTERN may hold '*' and stands for every selection it
 * matches; 'them' is every selection whose name does not start with '_'. Quantifiers are
 * resolved here into OR (1 of) and AND (all of) of the selections, so the tree holds only
 * SEL, NOT, AND and OR. Errors name the token where the parse stopped. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"

#define COND_MAX_DEPTH 64

typedef enum tok_type { T_END = 0, T_LPAREN, T_RPAREN, T_WORD, T_PIPE, T_BAD } tok_type;

typedef struct token {
    tok_type type;
    const char *p;
    size_t len;
    size_t pos; /* 0-based offset in the condition */
} token;

typedef struct parser {
    rules_ctx *ctx;
    const char *text;
    size_t len;
    uint32_t line;
    const tw_rule_selection *sels;
    uint32_t n_sels;
    bool *used;
    token tok; /* the current token */
    size_t at; /* where the next token starts */
    int depth;
    bool failed;
} parser;

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '*' || c == '.';
}

static void next(parser *ps)
{
    size_t i = ps->at;
    while (i < ps->len && (ps->text[i] == ' ' || ps->text[i] == '\t' || ps->text[i] == '\n' ||
                           ps->text[i] == '\r'))
        i++;
    token t = { T_END, ps->text + i, 0, i };
    if (i < ps->len) {
        char c = ps->text[i];
        if (c == '(' || c == ')' || c == '|') {
            t.type = c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : T_PIPE;
            t.len = 1;
        } else if (word_char(c)) {
            t.type = T_WORD;
            while (i + t.len < ps->len && word_char(ps->text[i + t.len]))
                t.len++;
        } else {
            t.type = T_BAD;
            t.len = 1;
        }
    }
    ps->tok = t;
    ps->at = i + t.len;
}

static bool is_word(const token *t, const char *w)
{
    return t->type == T_WORD && t->len == strlen(w) && !memcmp(t->p, w, t->len);
}

static bool is_keyword(const token *t)
{
    return is_word(t, "and") || is_word(t, "or") || is_word(t, "not") || is_word(t, "of") ||
           is_word(t, "them");
}

/* "condition: expected X, found 'or' (character 7)" */
static void expected(parser *ps, const char *what)
{
    if (ps->failed)
        return;
    ps->failed = true;
    if (ps->tok.type == T_BAD)
        rules_diag(ps->ctx, ps->line, "condition: unexpected character '%.*s' (character %zu)",
                   (int)ps->tok.len, ps->tok.p, ps->tok.pos + 1);
    else if (ps->tok.type == T_END)
        rules_diag(ps->ctx, ps->line, "condition: expected %s, found the end", what);
    else
        rules_diag(ps->ctx, ps->line, "condition: expected %s, found '%.*s' (character %zu)", what,
                   (int)(ps->tok.len > 60 ? 60 : ps->tok.len), ps->tok.p, ps->tok.pos + 1);
}

/* "condition: MESSAGE (character N)", N where token t starts */
static void fail_at(parser *ps, const token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_at(parser *ps, const token *t, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = true;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rules_diag(ps->ctx, ps->line, "condition: %s (character %zu)", msg, t->pos + 1);
}

#define TOK(t) (int)((t)->len > 60 ? 60 : (t)->len), (t)->p

static tw_cond *node(parser *ps, tw_cond_op op)
{
    tw_cond *c = rules_alloc(ps->ctx, sizeof *c);
    if (c)
        c->op = op;
    else
        ps->failed = true;
    return c;
}

static tw_cond *sel_node(parser *ps, uint32_t sel)
{
    tw_cond *c = node(ps, TW_COND_SEL);
    if (c) {
        c->sel = sel;
        ps->used[sel] = true;
    }
    return c;
}

/* A growing list of kids, copied into the arena when done. */
typedef struct kids {
    const tw_cond **v;
    uint32_t n, cap;
} kids;

static bool kids_push(parser *ps, kids *k, const tw_cond *c, tw_cond_op flatten)
{
    /* (a and b) and c is a and b and c */
    if (c->op == flatten && (flatten == TW_COND_AND || flatten == TW_COND_OR)) {
        for (uint32_t i = 0; i < c->n_kids; i++)
            if (!kids_push(ps, k, c->kids[i], flatten))
                return false;
        return true;
    }
    if (k->n == k->cap) {
        uint32_t cap = k->cap ? k->cap * 2 : 4;
        const tw_cond **v = realloc(k->v, cap * sizeof *v);
        if (!v) {
            ps->ctx->rs->nomem = true;
            ps->failed = true;
            return false;
        }
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n++] = c;
    return true;
}

static const tw_cond *kids_done(parser *ps, kids *k, tw_cond_op op)
{
    const tw_cond *out = NULL;
    if (k->n == 1) {
        out = k->v[0];
    } else if (k->n > 1) {
        tw_cond *c = node(ps, op);
        const tw_cond **v = rules_alloc(ps->ctx, k->n * sizeof *v);
        if (c && v) {
            memcpy(v, k->v, k->n * sizeof *v);
            c->kids = v;
            c->n_kids = k->n;
            out = c;
        }
    }
    free(k->v);
    return out;
}

static bool glob_match(const char *pat, size_t plen, const char *s)
{
    size_t p = 0, i = 0, star = (size_t)-1, mark = 0, slen = strlen(s);
    while (i < slen) {
        if (p < plen && pat[p] == '*') {
            star = p++;
            mark = i;
        } else if (p < plen && pat[p] == s[i]) {
            p++;
            i++;
        } else if (star != (size_t)-1) {
            p = star + 1;
            i = ++mark;
        } else {
            return false;
        }
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}

static const tw_cond *parse_or(parser *ps);

static const tw_cond *parse_quant(parser *ps, bool all)
{
    token quant = ps->tok;
    next(ps);
    if (!is_word(&ps->tok, "of")) {
        expected(ps, all ? "'of' after 'all'" : "'of' after '1'");
        return NULL;
    }
    next(ps);
    if (ps->tok.type != T_WORD || (is_keyword(&ps->tok) && !is_word(&ps->tok, "them"))) {
        expected(ps, "a selection name, a pattern or 'them'");
        return NULL;
    }
    token target = ps->tok;
    bool them = is_word(&target, "them");
    kids k = { 0 };
    for (uint32_t i = 0; i < ps->n_sels && !ps->failed; i++) {
        const char *name = ps->sels[i].name;
        bool hit = them ? name[0] != '_' : glob_match(target.p, target.len, name);
        if (hit) {
            const tw_cond *c = sel_node(ps, i);
            if (c)
                kids_push(ps, &k, c, TW_COND_SEL);
        }
    }
    if (!ps->failed && k.n == 0) {
        free(k.v);
        fail_at(ps, &quant, "'%.*s of %.*s' matches no selection", TOK(&quant), TOK(&target));
        return NULL;
    }
    next(ps);
    return kids_done(ps, &k, all ? TW_COND_AND : TW_COND_OR);
}

static const tw_cond *parse_unary(parser *ps)
{
    if (ps->failed)
        return NULL;
    if (++ps->depth > COND_MAX_DEPTH) {
        fail_at(ps, &ps->tok, "nested deeper than %d levels", COND_MAX_DEPTH);
        return NULL;
    }
    const tw_cond *out = NULL;
    token t = ps->tok;
    if (is_word(&t, "not")) {
        next(ps);
        const tw_cond *kid = parse_unary(ps);
        tw_cond *c = kid ? node(ps, TW_COND_NOT) : NULL;
        const tw_cond **v = c ? rules_alloc(ps->ctx, sizeof *v) : NULL;
        if (v) {
            v[0] = kid;
            c->kids = v;
            c->n_kids = 1;
            out = c;
        }
    } else if (t.type == T_LPAREN) {
        next(ps);
        out = parse_or(ps);
        if (out && ps->tok.type != T_RPAREN) {
            expected(ps, "')', 'and' or 'or'");
            out = NULL;
        } else if (out) {
            next(ps);
        }
    } else if (is_word(&t, "1") || is_word(&t, "all")) {
        out = parse_quant(ps, is_word(&t, "all"));
    } else if (t.type == T_WORD && !is_keyword(&t)) {
        size_t save = ps->at;
        next(ps);
        bool before_of = is_word(&ps->tok, "of");
        ps->at = save;
        ps->tok = t;
        if (before_of) {
            fail_at(ps, &t, "'%.*s of' is not supported: only '1 of' and 'all of'", TOK(&t));
            ps->depth--;
            return NULL;
        }
        for (uint32_t i = 0; i < ps->n_sels; i++)
            if (strlen(ps->sels[i].name) == t.len && !memcmp(ps->sels[i].name, t.p, t.len)) {
                out = sel_node(ps, i);
                break;
            }
        if (!out && !ps->failed) {
            if (memchr(t.p, '*', t.len))
                fail_at(ps, &t, "'%.*s' is a pattern: write '1 of %.*s' or 'all of %.*s'", TOK(&t),
                        TOK(&t), TOK(&t));
            else if (is_word(&t, "AND") || is_word(&t, "OR") || is_word(&t, "NOT"))
                fail_at(ps, &t, "unknown selection '%.*s' (operators are lower case: and, or, not)",
                        TOK(&t));
            else
                fail_at(ps, &t, "unknown selection '%.*s'", TOK(&t));
            ps->depth--;
            return NULL;
        }
        next(ps);
    } else if (t.type == T_PIPE) {
        fail_at(ps, &t,
                "aggregations ('| count() ...') are not supported: write a correlation rule");
    } else {
        expected(ps, "a selection, '(', 'not', '1 of' or 'all of'");
    }
    ps->depth--;
    return out;
}

static const tw_cond *parse_and(parser *ps)
{
    kids k = { 0 };
    const tw_cond *c = parse_unary(ps);
    if (c)
        kids_push(ps, &k, c, TW_COND_AND);
    while (!ps->failed && is_word(&ps->tok, "and")) {
        next(ps);
        c = parse_unary(ps);
        if (c)
            kids_push(ps, &k, c, TW_COND_AND);
    }
    if (ps->failed) {
        free(k.v);
        return NULL;
    }
    return kids_done(ps, &k, TW_COND_AND);
}

static const tw_cond *parse_or(parser *ps)
{
    kids k = { 0 };
    const tw_cond *c = parse_and(ps);
    if (c)
        kids_push(ps, &k, c, TW_COND_OR);
    while (!ps->failed && is_word(&ps->tok, "or")) {
        next(ps);
        c = parse_and(ps);
        if (c)
            kids_push(ps, &k, c, TW_COND_OR);
    }
    if (ps->failed) {
        free(k.v);
        return NULL;
    }
    return kids_done(ps, &k, TW_COND_OR);
}

const tw_cond *rules_cond_parse(rules_ctx *ctx, const char *text, uint32_t line,
                                const tw_rule_selection *sels, uint32_t n_sels, bool *used)
{
    parser ps = { .ctx = ctx,
                  .text = text,
                  .len = strlen(text),
                  .line = line,
                  .sels = sels,
                  .n_sels = n_sels,
                  .used = used };
    next(&ps);
    if (ps.tok.type == T_END) {
        rules_diag(ctx, line, "condition: empty");
        return NULL;
    }
    const tw_cond *c = parse_or(&ps);
    if (c && !ps.failed && ps.tok.type != T_END) {
        if (ps.tok.type == T_PIPE)
            fail_at(&ps, &ps.tok,
                    "aggregations ('| count() ...') are not supported: write a correlation rule");
        else if (ps.tok.type == T_RPAREN)
            fail_at(&ps, &ps.tok, "unbalanced ')'");
        else
            expected(&ps, "'and', 'or' or the end");
        return NULL;
    }
    return ps.failed ? NULL : c;
}
