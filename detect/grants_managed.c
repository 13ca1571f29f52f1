/* grants_managed: the index over rules/managed-policies.ndjson (grants_managed.h).
 *
 * The generator writes every line as
 *   {"arn":"arn:aws:iam::aws:policy/PATH/Name","version":"vN","document":{"Statement":[...]}}
 * with the keys in that order and nothing after the document, so the document's span is found
 * by position, without a JSON library: the loader checks the fixed pieces, and checks that the
 * document is one balanced JSON object (strings, escapes, nesting) that ends where the line's
 * object closes. It does not check the tokens between brackets: the file is generated, and the
 * check is there to catch a truncated or hand-edited line, not to validate JSON in general.
 *
 * Two sorted arrays, searched by halving (1594 policies: 11 steps): the entries in file order,
 * which is ARN order (checked), keyed by the ARN without its fixed prefix, and a name index for
 * bare names. The loader runs once, about 2.4 MB, in a few milliseconds. */
#include "grants_managed.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char tw_managed_text[], tw_managed_text_end[];

#define ARN_PREFIX "arn:aws:iam::aws:policy/"
#define LINE_ARN "{\"arn\":\""
/* After the ARN's closing quote (take_until_quote consumes it). */
#define LINE_VERSION ",\"version\":\""
#define LINE_DOCUMENT ",\"document\":" /* after the version's closing quote */
#define DOC_HEAD "{\"Statement\":["
#define DOC_TAIL "]}"
#define DOC_DEPTH_MAX 64 /* compact documents nest 4 deep */

static const char *const MANAGED_FILE = "managed-policies.ndjson";

typedef struct managed_entry {
    tw_str path; /* the ARN after ARN_PREFIX: "service-role/AWSLambdaRole" */
    tw_str name; /* its last segment: "AWSLambdaRole" */
    tw_str doc;  /* {"Statement":[...]} */
} managed_entry;

typedef struct managed_name {
    tw_str name;
    uint32_t ref; /* entry */
} managed_name;

struct tw_managed {
    managed_entry *entry;  /* sorted by path, which is ARN order */
    managed_name *by_name; /* sorted by name, then ref */
    uint32_t n;
};

typedef struct line_iter {
    const char *p, *end;
    unsigned no;
} line_iter;

/* ---- small helpers ---- */

static inline tw_str str_make(const char *p, size_t len)
{
    return (tw_str){ p, (uint32_t)len };
}

static inline tw_str str_skip(tw_str s, size_t n)
{
    assert(n <= s.len);
    return str_make(s.p + n, s.len - n);
}

static inline bool eat(tw_str *s, const char *lit)
{
    if (!tw_str_starts(*s, lit))
        return false;
    *s = str_skip(*s, strlen(lit));
    return true;
}

/* The bytes up to the next '"' (which is consumed); false when there is none. */
static bool take_until_quote(tw_str *s, tw_str *out)
{
    const char *q = s->len ? memchr(s->p, '"', s->len) : NULL;
    if (!q)
        return false;
    *out = str_make(s->p, (size_t)(q - s->p));
    *s = str_skip(*s, out->len + 1);
    return true;
}

static void fail_line(char *errstr, size_t errstr_size, unsigned line, const char *fmt, ...)
{
    if (!errstr || errstr_size == 0)
        return;
    int n = snprintf(errstr, errstr_size, "%s:%u: ", MANAGED_FILE, line);
    if (n < 0 || (size_t)n >= errstr_size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr + n, errstr_size - (size_t)n, fmt, ap);
    va_end(ap);
}

static bool line_next(line_iter *it, tw_str *line)
{
    if (it->p >= it->end)
        return false;
    const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    const char *stop = nl ? nl : it->end;
    *line = str_make(it->p, (size_t)(stop - it->p));
    if (line->len && line->p[line->len - 1] == '\r')
        line->len--;
    it->p = nl ? nl + 1 : it->end;
    it->no++;
    return true;
}

static uint32_t count_lines(const char *text, size_t len)
{
    uint32_t n = 0;
    for (const char *p = text, *end = text + len; p < end; n++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    return n;
}

/* ---- the line format ---- */

static bool path_ok(tw_str path)
{
    if (path.len == 0 || path.p[0] == '/' || path.p[path.len - 1] == '/')
        return false;
    for (uint32_t i = 0; i < path.len; i++) {
        unsigned char c = (unsigned char)path.p[i];
        if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '"')
            return false;
    }
    return true;
}

static bool version_ok(tw_str v)
{
    if (v.len < 2 || v.len > 8 || v.p[0] != 'v')
        return false;
    for (uint32_t i = 1; i < v.len; i++)
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
    return true;
}

/* True when doc is one JSON object, balanced and closed at its last byte (see the top). */
static bool json_object_span_ok(tw_str doc)
{
    char stack[DOC_DEPTH_MAX];
    unsigned depth = 0;
    bool in_string = false;
    if (doc.len == 0 || doc.p[0] != '{')
        return false;
    for (uint32_t i = 0; i < doc.len; i++) {
        unsigned char c = (unsigned char)doc.p[i];
        if (in_string) {
            if (c < 0x20)
                return false;
            if (c == '\\') {
                if (++i == doc.len)
                    return false;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (depth == 0 && i > 0)
            return false; /* bytes after the object closed */
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '{':
        case '[':
            if (depth == DOC_DEPTH_MAX)
                return false;
            stack[depth++] = (char)(c == '{' ? '}' : ']');
            break;
        case '}':
        case ']':
            if (depth == 0 || stack[depth - 1] != (char)c)
                return false;
            depth--;
            break;
        default:
            break;
        }
    }
    return depth == 0 && !in_string;
}

/* Parses one policy line into e; on error fills errstr and returns TW_ERR_PARSE. */
static tw_err parse_line(tw_str line, unsigned no, managed_entry *e, char *errstr,
                         size_t errstr_size)
{
    tw_str s = line, arn, version;
    if (!eat(&s, LINE_ARN) || !take_until_quote(&s, &arn)) {
        fail_line(errstr, errstr_size, no,
                  "want {\"arn\":\"...\",\"version\":\"vN\",\"document\":{\"Statement\":[...]}}");
        return TW_ERR_PARSE;
    }
    if (!tw_str_starts(arn, ARN_PREFIX) || !path_ok(str_skip(arn, strlen(ARN_PREFIX)))) {
        fail_line(errstr, errstr_size, no, "bad ARN '%.*s' (want " ARN_PREFIX "[PATH/]Name)",
                  (int)arn.len, arn.p);
        return TW_ERR_PARSE;
    }
    if (!eat(&s, LINE_VERSION) || !take_until_quote(&s, &version) || !version_ok(version)) {
        fail_line(errstr, errstr_size, no, "%.*s: want \"version\":\"vN\" after the ARN",
                  (int)arn.len, arn.p);
        return TW_ERR_PARSE;
    }
    if (!eat(&s, LINE_DOCUMENT) || s.len < 2 || s.p[s.len - 1] != '}') {
        fail_line(errstr, errstr_size, no,
                  "%.*s: want \"document\":{...} after the version, then the closing '}'",
                  (int)arn.len, arn.p);
        return TW_ERR_PARSE;
    }
    tw_str doc = str_make(s.p, s.len - 1);
    if (!tw_str_starts(doc, DOC_HEAD) || !tw_str_ends(doc, DOC_TAIL) || !json_object_span_ok(doc)) {
        fail_line(errstr, errstr_size, no,
                  "%.*s: the document is not one JSON object {\"Statement\":[...]}", (int)arn.len,
                  arn.p);
        return TW_ERR_PARSE;
    }
    e->path = str_skip(arn, strlen(ARN_PREFIX));
    const char *slash = memrchr(e->path.p, '/', e->path.len);
    e->name = slash ? str_make(slash + 1, e->path.len - (size_t)(slash + 1 - e->path.p)) : e->path;
    e->doc = doc;
    return TW_OK;
}

static int name_cmp(const void *a, const void *b)
{
    const managed_name *x = a, *y = b;
    int c = tw_str_cmp(x->name, y->name);
    if (c)
        return c;
    return x->ref < y->ref ? -1 : x->ref > y->ref;
}

/* ---- construction ---- */

tw_err tw_managed_new_from_text(const char *text, size_t len, tw_managed **out, char *errstr,
                                size_t errstr_size)
{
    assert(out);
    assert(text || len == 0);
    *out = NULL;
    if (errstr && errstr_size)
        errstr[0] = '\0';
    tw_err err = TW_ERR_NOMEM;
    tw_managed *m = calloc(1, sizeof *m);
    if (!m)
        goto out;
    uint32_t max = count_lines(text, len);
    m->entry = malloc(((size_t)max + 1) * sizeof *m->entry);
    if (!m->entry)
        goto out;

    line_iter it = { text, text + len, 0 };
    tw_str line;
    while (line_next(&it, &line)) {
        if (line.len == 0 || line.p[0] == '#')
            continue;
        if (line.len > UINT32_MAX / 2) {
            fail_line(errstr, errstr_size, it.no, "line too long");
            err = TW_ERR_PARSE;
            goto out;
        }
        managed_entry *e = &m->entry[m->n];
        if ((err = parse_line(line, it.no, e, errstr, errstr_size)) != TW_OK)
            goto out;
        if (m->n > 0) {
            int c = tw_str_cmp(m->entry[m->n - 1].path, e->path);
            if (c >= 0) {
                fail_line(errstr, errstr_size, it.no,
                          c == 0 ? ARN_PREFIX "%.*s listed twice"
                                 : ARN_PREFIX "%.*s out of order (the file is sorted by ARN)",
                          (int)e->path.len, e->path.p);
                err = TW_ERR_PARSE;
                goto out;
            }
        }
        m->n++;
    }

    err = TW_ERR_NOMEM;
    m->by_name = malloc(((size_t)m->n + 1) * sizeof *m->by_name);
    if (!m->by_name)
        goto out;
    for (uint32_t i = 0; i < m->n; i++)
        m->by_name[i] = (managed_name){ m->entry[i].name, i };
    if (m->n > 1)
        qsort(m->by_name, m->n, sizeof *m->by_name, name_cmp);
    *out = m;
    return TW_OK;
out:
    if (err == TW_ERR_NOMEM && errstr && errstr_size)
        snprintf(errstr, errstr_size, "managed policies: out of memory");
    tw_managed_destroy(m);
    return err;
}

tw_err tw_managed_new(tw_managed **out, char *errstr, size_t errstr_size)
{
    return tw_managed_new_from_text(
        tw_managed_text, (size_t)(tw_managed_text_end - tw_managed_text), out, errstr, errstr_size);
}

void tw_managed_destroy(tw_managed *m)
{
    if (!m)
        return;
    free(m->by_name);
    free(m->entry);
    free(m);
}

size_t tw_managed_count(const tw_managed *m)
{
    assert(m);
    return m->n;
}

/* ---- look-up ---- */

static bool find_path(const tw_managed *m, tw_str path, uint32_t *ref)
{
    uint32_t lo = 0, hi = m->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = tw_str_cmp(m->entry[mid].path, path);
        if (c == 0) {
            *ref = mid;
            return true;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The one policy of that name; false when none or several. */
static bool find_name(const tw_managed *m, tw_str name, uint32_t *ref)
{
    uint32_t lo = 0, hi = m->n;
    while (lo < hi) { /* the first entry not below name */
        uint32_t mid = lo + (hi - lo) / 2;
        if (tw_str_cmp(m->by_name[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == m->n || !tw_str_eq(m->by_name[lo].name, name))
        return false;
    if (lo + 1 < m->n && tw_str_eq(m->by_name[lo + 1].name, name))
        return false;
    *ref = m->by_name[lo].ref;
    return true;
}

bool tw_managed_find(const tw_managed *m, tw_str arn, tw_str *document)
{
    assert(m && document);
    *document = TW_STR_NULL;
    uint32_t ref;
    bool found;
    if (tw_str_starts(arn, "arn:")) {
        if (!tw_str_starts(arn, ARN_PREFIX))
            return false;
        found = find_path(m, str_skip(arn, strlen(ARN_PREFIX)), &ref);
    } else if (arn.len > 0 && arn.p[0] == '/') {
        found = find_path(m, str_skip(arn, 1), &ref);
    } else if (arn.len > 0 && memchr(arn.p, '/', arn.len)) {
        found = find_path(m, arn, &ref);
    } else {
        found = arn.len > 0 && find_name(m, arn, &ref);
    }
    if (!found)
        return false;
    *document = m->entry[ref].doc;
    return true;
}
