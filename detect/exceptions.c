/* exceptions: --exceptions FILE (exceptions.h): loaded strictly through the rules front end's
 * YAML tree and diagnostics (rules_internal.h), matched against findings in the threads that
 * raise them. Findings are rare, so matching favours simplicity: the entries that can match a
 * rule id are listed once at load, and requestParameters is read only when an entry that
 * got that far names one of its paths. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exceptions.h"
#include "ingest_json.h"
#include "rules_internal.h"
#include "tw_time.h"

/* ---- the model ---- */

typedef enum exc_field_kind {
    XF_EVENT_SOURCE = 0, XF_EVENT_NAME, XF_REGION, XF_SOURCE_IP, XF_USER_AGENT, XF_ERROR_CODE,
    XF_ACCOUNT, XF_ACTION, XF_KIND, XF_MODEL_ID, XF_USER_TYPE, XF_PRINCIPAL_ARN, XF_ACCESS_KEY,
    XF_PARAMS, /* requestParameters.<path>: read from the event's raw requestParameters */
} exc_field_kind;

/* By exc_field_kind; what the worker has in tw_event without the record. */
static const char *const k_field_names[] = {
    "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "errorCode",
    "recipientAccountId", "action", "identity.kind", "modelId", "userIdentity.type",
    "userIdentity.arn", "userIdentity.accessKeyId", NULL,
};
#define FIELD_CHOICES                                                                          \
    "eventSource, eventName, awsRegion, sourceIPAddress, userAgent, errorCode, "             \
    "recipientAccountId, action, identity.kind, modelId, userIdentity.type, userIdentity.arn, " \
    "userIdentity.accessKeyId, requestParameters.PATH"
#define PARAMS_PREFIX "requestParameters."

static const char *const k_kind_names[] = { "service", "aws-service", "human", "agent", "root",
                                            NULL };

/* A pattern, lower-cased at load (escapes kept), with the line it was written on. */
typedef struct exc_pat {
    tw_str s;
    uint32_t line;
} exc_pat;

typedef struct exc_field {
    exc_field_kind kind;
    const tw_str *path;  /* XF_PARAMS: the segments after requestParameters */
    uint32_t n_path;
    const exc_pat *vals; /* any holds */
    uint32_t n_vals;
    bool absent;         /* `null` among the values: holds when the field is absent */
} exc_field;

typedef struct exc_entry {
    uint32_t line;
    const exc_pat *rules;
    uint32_t n_rules;
    const exc_pat *idents; /* none: any identity */
    uint32_t n_idents;
    const exc_field *fields;
    uint32_t n_fields;
    int64_t until_ms;      /* the last instant it holds (INT64_MAX: no until) */
    const char *until;     /* as written */
    const char *reason;
} exc_entry;

typedef struct exc_id {
    const char *id;
    uint32_t index; /* in ids */
} exc_id;

/* One thread's: written by that thread only. */
typedef struct exc_scratch {
    _Atomic uint64_t *by_rule;  /* by known id; the last slot: ids not known */
    _Atomic uint64_t *by_entry;
    tw_json *js;                /* made on first use, on the thread's own side */
    char *buf;                  /* requestParameters, padded for the parser */
    size_t cap;
} exc_scratch;

struct tw_exceptions {
    tw_ruleset *rs;           /* the loading context: strings, diagnostics */
    const char *file;
    exc_entry *entries;
    size_t n_entries, cap_entries;
    char **warnings;
    size_t n_warnings, cap_warnings;
    const char **ids;         /* known rule ids, as given (deduplicated), NULL-terminated */
    uint32_t n_ids;
    struct exc_id *by_name;   /* the same, sorted by name (lookup) */
    uint32_t *cand_start;     /* per id: its entries in cand[cand_start[i] .. [i + 1]) */
    uint32_t *cand;           /* (NULL: every entry is tried) */
    atomic_bool *expiry_said; /* per entry: its expiry during the run was said */
    exc_scratch *scratch;
    uint32_t n_threads;
    int64_t (*clock_ms)(void);
    FILE *warn;
};

/* ---- patterns: Sigma's wildcards, ASCII case-insensitive ---- */

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static uint32_t utf8_len(const char *p, uint32_t avail)
{
    unsigned char c = (unsigned char)p[0];
    uint32_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                            : (c & 0xf8) == 0xf0 ? 4 : 1;
    if (n > avail)
        n = avail;
    for (uint32_t i = 1; i < n; i++)
        if (((unsigned char)p[i] & 0xc0) != 0x80)
            return i;
    return n;
}

static bool escaped(tw_str pat, uint32_t i)
{
    return pat.p[i] == '\\' && i + 1 < pat.len &&
           (pat.p[i + 1] == '*' || pat.p[i + 1] == '?' || pat.p[i + 1] == '\\');
}

/* pat (lower-cased) against s, remembering only the last '*': when a later token fails, that
 * star takes one more character and the rest is tried again (enough for '*' and '?'). */
static bool glob_match(tw_str pat, tw_str s)
{
    uint32_t pi = 0, si = 0, star_pi = UINT32_MAX, star_si = 0;
    for (;;) {
        if (pi < pat.len) {
            char c = pat.p[pi];
            if (c == '*') {
                star_pi = ++pi;
                star_si = si;
                continue;
            }
            if (c == '?') {
                if (si < s.len) {
                    si += utf8_len(s.p + si, s.len - si);
                    pi++;
                    continue;
                }
            } else {
                uint32_t step = escaped(pat, pi) ? 2 : 1;
                if (step == 2)
                    c = pat.p[pi + 1];
                if (si < s.len && lower((unsigned char)s.p[si]) == (unsigned char)c) {
                    si++;
                    pi += step;
                    continue;
                }
            }
        } else if (si == s.len) {
            return true;
        }
        if (star_pi == UINT32_MAX || star_si >= s.len)
            return false;
        star_si += utf8_len(s.p + star_si, s.len - star_si);
        si = star_si;
        pi = star_pi;
    }
}

static bool any_match(const exc_pat *v, uint32_t n, tw_str s)
{
    for (uint32_t i = 0; i < n; i++)
        if (glob_match(v[i].s, s))
            return true;
    return false;
}

static bool has_wildcard(tw_str pat)
{
    for (uint32_t i = 0; i < pat.len; i++) {
        if (escaped(pat, i))
            i++;
        else if (pat.p[i] == '*' || pat.p[i] == '?')
            return true;
    }
    return false;
}

static bool only_stars(tw_str pat)
{
    for (uint32_t i = 0; i < pat.len; i++)
        if (pat.p[i] != '*')
            return false;
    return pat.len > 0;
}

/* ---- loading ---- */

typedef struct loader {
    tw_exceptions *ex;
    rules_ctx ctx;
    int64_t now_ms;
} loader;

#define DIAG(ld, line, ...) rules_diag(&(ld)->ctx, (line), __VA_ARGS__)

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *nv = realloc(*v, ncap * size);
    if (!nv)
        return false;
    *v = nv;
    *cap = ncap;
    return true;
}

/* One pattern from a non-null scalar, lower-cased into the set's strings. */
static bool get_pattern(loader *ld, const yn *node, const char *what, exc_pat *out)
{
    if (node->len == 0) {
        DIAG(ld, node->line, "'%s' holds an empty string", what);
        return false;
    }
    if (node->len > TW_EXC_MAX_PATTERN) {
        DIAG(ld, node->line, "'%s': a value longer than %d bytes", what, TW_EXC_MAX_PATTERN);
        return false;
    }
    char *p = rules_alloc(&ld->ctx, node->len + 1);
    if (!p)
        return false;
    for (uint32_t i = 0; i < node->len; i++)
        p[i] = (char)lower((unsigned char)node->text[i]);
    *out = (exc_pat){ { p, node->len }, node->line };
    return true;
}

/* A string or a list of strings; with allow_null (field values) a `null` among them sets
 * *absent instead of adding a pattern. */
static bool get_patterns(loader *ld, const yn *node, const char *what, bool allow_null,
                         const exc_pat **out, uint32_t *n_out, bool *absent)
{
    const yn *const *items = &node;
    uint32_t n = 1;
    if (node->type == YN_SEQ) {
        if (node->n == 0) {
            DIAG(ld, node->line, "'%s' is an empty list", what);
            return false;
        }
        if (node->n > TW_EXC_MAX_VALUES) {
            DIAG(ld, node->line, "'%s' has more than %d values", what, TW_EXC_MAX_VALUES);
            return false;
        }
        items = (const yn *const *)node->kids;
        n = node->n;
    }
    exc_pat *v = rules_alloc(&ld->ctx, n * sizeof *v);
    if (!v)
        return false;
    uint32_t k = 0;
    bool ok = true;
    for (uint32_t i = 0; i < n; i++) {
        const yn *it = items[i];
        if (it->type != YN_SCALAR) {
            DIAG(ld, it->line, "'%s' must be a string or a list of strings, not %s%s", what,
                 node->type == YN_SEQ ? "a list holding " : "", yn_describe(it));
            ok = false;
        } else if (yn_resolve(it, NULL, NULL) == YS_NULL) {
            if (allow_null) {
                *absent = true;
            } else {
                DIAG(ld, it->line, "'%s' is empty", what);
                ok = false;
            }
        } else if (it->len == 0 && allow_null) {
            DIAG(ld, it->line, "'%s' holds an empty string (write null for an absent field)",
                 what);
            ok = false;
        } else if (get_pattern(ld, it, what, &v[k])) {
            k++;
        } else {
            ok = false;
        }
    }
    *out = v;
    *n_out = k;
    return ok;
}

/* Each rule pattern names a rule that can raise findings (when the ids are known). */
static bool check_rules(loader *ld, const exc_pat *v, uint32_t n)
{
    const tw_exceptions *ex = ld->ex;
    if (!ex->ids)
        return true;
    bool ok = true;
    for (uint32_t i = 0; i < n; i++) {
        bool found = false;
        for (uint32_t r = 0; r < ex->n_ids && !found; r++)
            found = glob_match(v[i].s, tw_str_c(ex->ids[r]));
        if (found)
            continue;
        ok = false;
        char word[TW_EXC_MAX_PATTERN + 1];
        memcpy(word, v[i].s.p, v[i].s.len);
        word[v[i].s.len] = '\0';
        const char *hint = has_wildcard(v[i].s) ? NULL : rules_suggest(word, ex->ids);
        if (has_wildcard(v[i].s))
            DIAG(ld, v[i].line, "rule '%s' matches no loaded rule", word);
        else if (hint)
            DIAG(ld, v[i].line, "rule '%s': no loaded rule has this id (did you mean '%s'?)",
                 word, hint);
        else
            DIAG(ld, v[i].line, "rule '%s': no loaded rule has this id", word);
    }
    return ok;
}

/* requestParameters.a.b.c into its segments. */
static bool params_path(loader *ld, const yn *key, exc_field *fd)
{
    /* into the set's strings: the YAML tree goes at the end of the load */
    size_t plen = key->len - strlen(PARAMS_PREFIX);
    const char *p = rules_strdup(&ld->ctx, key->text + strlen(PARAMS_PREFIX), plen);
    if (strpbrk(p, "*?")) {
        DIAG(ld, key->line, "field '%s': a requestParameters path has no wildcards", key->text);
        return false;
    }
    tw_str seg[TW_EXC_MAX_PATH];
    uint32_t n = 0;
    for (const char *s = p;; s++) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        if (len == 0) {
            DIAG(ld, key->line, "field '%s': an empty name in the path", key->text);
            return false;
        }
        if (n == TW_EXC_MAX_PATH) {
            DIAG(ld, key->line, "field '%s': a path deeper than %d names", key->text,
                 TW_EXC_MAX_PATH);
            return false;
        }
        seg[n++] = (tw_str){ s, (uint32_t)len };
        if (!dot)
            break;
        s = dot;
    }
    tw_str *path = rules_alloc(&ld->ctx, n * sizeof *path);
    if (!path)
        return false;
    memcpy(path, seg, n * sizeof *path);
    fd->path = path;
    fd->n_path = n;
    return true;
}

static bool field_name(loader *ld, const yn *key, exc_field *fd)
{
    for (int i = 0; k_field_names[i]; i++)
        if (!strcmp(key->text, k_field_names[i])) {
            fd->kind = (exc_field_kind)i;
            return true;
        }
    if (!strncmp(key->text, PARAMS_PREFIX, strlen(PARAMS_PREFIX))) {
        fd->kind = XF_PARAMS;
        return params_path(ld, key, fd);
    }
    const char *dot = strchr(key->text, '.');
    if (dot && rules_edit_distance(key->text, (size_t)(dot - key->text), "requestParameters",
                                   strlen("requestParameters")) <= 2) {
        DIAG(ld, key->line, "field '%s' is not supported (did you mean 'requestParameters%s'?)",
             key->text, dot);
        return false;
    }
    const char *hint = rules_suggest(key->text, k_field_names);
    if (hint)
        DIAG(ld, key->line, "field '%s' is not supported (did you mean '%s'?)", key->text, hint);
    else
        DIAG(ld, key->line, "field '%s' is not supported (" FIELD_CHOICES ")", key->text);
    return false;
}

/* identity.kind: a value without wildcards must be a kind. */
static bool check_kinds(loader *ld, const exc_field *fd)
{
    bool ok = true;
    for (uint32_t i = 0; i < fd->n_vals; i++) {
        const exc_pat *v = &fd->vals[i];
        if (has_wildcard(v->s))
            continue;
        bool known = false;
        for (int k = 0; k_kind_names[k] && !known; k++)
            known = tw_str_eq_c(v->s, k_kind_names[k]);
        if (!known) {
            DIAG(ld, v->line, "identity.kind '%.*s' is no kind (service, aws-service, human, "
                              "agent, root)", (int)v->s.len, v->s.p);
            ok = false;
        }
    }
    return ok;
}

static bool get_fields(loader *ld, const yn *node, exc_entry *e)
{
    if (node->type != YN_MAP) {
        DIAG(ld, node->line, "'fields' must be a map of field names to values, not %s",
             yn_describe(node));
        return false;
    }
    if (node->n == 0) {
        DIAG(ld, node->line, "'fields' is empty (leave it out to match any event)");
        return false;
    }
    if (node->n > TW_EXC_MAX_FIELDS) {
        DIAG(ld, node->line, "'fields' has more than %d fields", TW_EXC_MAX_FIELDS);
        return false;
    }
    exc_field *v = rules_alloc(&ld->ctx, node->n * sizeof *v);
    if (!v)
        return false;
    bool ok = true;
    for (uint32_t i = 0; i < node->n; i++) {
        const yn *key = node->kids[2 * i], *val = node->kids[2 * i + 1];
        exc_field *fd = &v[i];
        if (key->type != YN_SCALAR) {
            ok = false; /* said by the YAML reader */
            continue;
        }
        bool named = field_name(ld, key, fd);
        if (!get_patterns(ld, val, key->text, true, &fd->vals, &fd->n_vals, &fd->absent) ||
            !named || (fd->kind == XF_KIND && !check_kinds(ld, fd)))
            ok = false;
    }
    e->fields = v;
    e->n_fields = node->n;
    return ok;
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYY-MM-DD at s (10 characters), the day checked against its month. */
static bool parse_date(const char *s, int64_t *y, unsigned *m, unsigned *d)
{
    static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return false;
    *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    *m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    *d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    if (*m < 1 || *m > 12 || *d < 1)
        return false;
    return *d <= mdays[*m - 1] + (*m == 2 && leap(*y));
}

/* A date holds through its whole day (UTC); a time up to that instant. */
static bool get_until(loader *ld, const yn *node, exc_entry *e)
{
    int64_t y;
    unsigned m, d;
    if (node->type == YN_SCALAR && node->len >= 10 && parse_date(node->text, &y, &m, &d)) {
        if (node->len == 10) {
            e->until_ms = (tw_days_from_civil(y, m, d) + 1) * TW_MS_DAY - 1;
            e->until = rules_strdup(&ld->ctx, node->text, node->len);
            return true;
        }
        if (node->len >= 19 && (node->text[10] == 'T' || node->text[10] == 't') &&
            tw_time_parse_iso(node->text, node->len, &e->until_ms) == TW_OK) {
            e->until = rules_strdup(&ld->ctx, node->text, node->len);
            return true;
        }
    }
    if (node->type == YN_SCALAR)
        DIAG(ld, node->line, "until '%s' is not a date (2027-03-31) or an RFC 3339 time "
                             "(2027-03-31T18:00:00Z)", node->text);
    else
        DIAG(ld, node->line, "until must be a date (2027-03-31) or an RFC 3339 time, not %s",
             yn_describe(node));
    return false;
}

static bool add_warning(tw_exceptions *ex, const char *text)
{
    char *copy = strdup(text);
    if (!copy || !grow((void **)&ex->warnings, &ex->cap_warnings, ex->n_warnings,
                       sizeof *ex->warnings)) {
        free(copy);
        ex->rs->nomem = true;
        return false;
    }
    ex->warnings[ex->n_warnings++] = copy;
    return true;
}

enum { K_RULE, K_IDENTITY, K_FIELDS, K_UNTIL, K_REASON, K_COUNT_ };
static const char *const k_entry_keys[] = { "rule", "identity", "fields", "until", "reason",
                                            NULL };

static void load_entry(loader *ld, const yn *node)
{
    if (node->type != YN_MAP) {
        DIAG(ld, node->line, "an exception must be a map (rule, identity, fields, until, "
                             "reason), not %s", yn_describe(node));
        return;
    }
    const yn *at[K_COUNT_] = { 0 };
    bool ok = true;
    for (uint32_t i = 0; i < node->n; i++) {
        const yn *key = node->kids[2 * i];
        int k = 0;
        while (key->type == YN_SCALAR && k_entry_keys[k] && strcmp(key->text, k_entry_keys[k]))
            k++;
        if (key->type != YN_SCALAR) {
            ok = false;
        } else if (!k_entry_keys[k]) {
            rules_diag_unknown(&ld->ctx, key->line, "unknown key", "", key->text, k_entry_keys,
                               "rule, identity, fields, until, reason");
            ok = false;
        } else {
            at[k] = node->kids[2 * i + 1];
        }
    }
    exc_entry e = { .line = node->line, .until_ms = INT64_MAX };
    if (!at[K_RULE]) {
        DIAG(ld, node->line, "an exception needs 'rule' (a rule id or a list of ids; '*' for "
                             "every rule)");
        ok = false;
    } else if (!get_patterns(ld, at[K_RULE], "rule", false, &e.rules, &e.n_rules, NULL) ||
               !check_rules(ld, e.rules, e.n_rules)) {
        ok = false;
    }
    if (at[K_IDENTITY] &&
        !get_patterns(ld, at[K_IDENTITY], "identity", false, &e.idents, &e.n_idents, NULL))
        ok = false;
    if (at[K_FIELDS] && !get_fields(ld, at[K_FIELDS], &e))
        ok = false;
    if (at[K_UNTIL] && !get_until(ld, at[K_UNTIL], &e))
        ok = false;
    if (!at[K_REASON]) {
        DIAG(ld, node->line, "an exception needs 'reason' (why the findings are expected, and "
                             "who owns the exception)");
        ok = false;
    } else if (!(e.reason = rules_get_string(&ld->ctx, at[K_REASON], "reason"))) {
        ok = false;
    } else if (strspn(e.reason, " \t\r\n") == strlen(e.reason)) {
        DIAG(ld, at[K_REASON]->line, "'reason' is empty");
        ok = false;
    }
    for (uint32_t i = 0; ok && i < e.n_rules; i++)
        if (only_stars(e.rules[i].s) && !e.n_idents && !e.n_fields) {
            DIAG(ld, e.rules[i].line, "an exception for every rule needs 'identity' or "
                                      "'fields': alone it would suppress every finding");
            ok = false;
        }
    if (!ok)
        return;
    tw_exceptions *ex = ld->ex;
    if (e.until_ms < ld->now_ms) {
        char msg[1400];
        snprintf(msg, sizeof msg, "%s:%u: exception expired on %s (reason: %.1024s): ignored",
                 ex->file, e.line, e.until, e.reason);
        add_warning(ex, msg);
        return;
    }
    if (!grow((void **)&ex->entries, &ex->cap_entries, ex->n_entries, sizeof *ex->entries)) {
        ex->rs->nomem = true;
        return;
    }
    ex->entries[ex->n_entries++] = e;
}

static void load_doc(loader *ld, const yn *doc)
{
    if (doc->type != YN_MAP) {
        DIAG(ld, doc->line, "an exceptions file is a map with the key 'exceptions' (a list of "
                            "entries), not %s", yn_describe(doc));
        return;
    }
    static const char *const top_keys[] = { "exceptions", NULL };
    const yn *list = NULL;
    for (uint32_t i = 0; i < doc->n; i++) {
        const yn *key = doc->kids[2 * i];
        if (key->type != YN_SCALAR)
            continue;
        if (!strcmp(key->text, "exceptions"))
            list = doc->kids[2 * i + 1];
        else
            rules_diag_unknown(&ld->ctx, key->line, "unknown key", "", key->text, top_keys,
                               "exceptions");
    }
    if (!list) {
        DIAG(ld, doc->line, "missing 'exceptions' (a list of entries)");
        return;
    }
    if (list->type == YN_SCALAR && yn_resolve(list, NULL, NULL) == YS_NULL)
        return; /* `exceptions:` with every entry commented out */
    if (list->type != YN_SEQ) {
        DIAG(ld, list->line, "'exceptions' must be a list of entries, not %s",
             yn_describe(list));
        return;
    }
    if (list->n > TW_EXC_MAX_ENTRIES) {
        DIAG(ld, list->line, "more than %d exceptions", TW_EXC_MAX_ENTRIES);
        return;
    }
    for (uint32_t i = 0; i < list->n && !ld->ex->rs->nomem; i++)
        load_entry(ld, list->kids[i]);
}

static int cmp_note(const void *a, const void *b)
{
    const rules_note *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int64_t clock_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(((const exc_id *)a)->id, ((const exc_id *)b)->id);
}

/* The known ids, deduplicated, and their lookup order. */
static bool keep_ids(tw_exceptions *ex, const tw_exc_conf *conf)
{
    if (!conf->rule_ids)
        return true;
    ex->ids = calloc(conf->n_rule_ids + 1, sizeof *ex->ids);
    ex->by_name = calloc(conf->n_rule_ids + 1, sizeof *ex->by_name);
    if (!ex->ids || !ex->by_name)
        return false;
    rules_ctx ctx = { .rs = ex->rs };
    for (size_t i = 0; i < conf->n_rule_ids; i++) {
        bool dup = false;
        for (uint32_t k = 0; k < ex->n_ids && !dup; k++)
            dup = !strcmp(ex->ids[k], conf->rule_ids[i]);
        if (dup)
            continue;
        const char *id = rules_strdup(&ctx, conf->rule_ids[i], strlen(conf->rule_ids[i]));
        ex->by_name[ex->n_ids] = (exc_id){ id, ex->n_ids };
        ex->ids[ex->n_ids++] = id;
    }
    qsort(ex->by_name, ex->n_ids, sizeof *ex->by_name, cmp_id);
    return !ex->rs->nomem;
}

/* The index of id among the known ids, or n_ids. */
static uint32_t find_id(const tw_exceptions *ex, const char *id)
{
    uint32_t lo = 0, hi = ex->n_ids;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ex->by_name[mid].id, id);
        if (c == 0)
            return ex->by_name[mid].index;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return ex->n_ids;
}

#define MAX_CANDIDATES (1u << 22) /* past it (a '*' on thousands of entries): try them all */

/* Per known id, the entries whose rule patterns match it. */
static bool list_candidates(tw_exceptions *ex)
{
    if (!ex->ids)
        return true;
    uint64_t total = 0;
    for (uint32_t r = 0; r < ex->n_ids; r++)
        for (size_t i = 0; i < ex->n_entries; i++)
            total += any_match(ex->entries[i].rules, ex->entries[i].n_rules,
                               tw_str_c(ex->ids[r]));
    if (total > MAX_CANDIDATES)
        return true;
    ex->cand_start = malloc((ex->n_ids + 1) * sizeof *ex->cand_start);
    ex->cand = malloc((total ? total : 1) * sizeof *ex->cand);
    if (!ex->cand_start || !ex->cand)
        return false;
    uint32_t n = 0;
    for (uint32_t r = 0; r < ex->n_ids; r++) {
        ex->cand_start[r] = n;
        for (size_t i = 0; i < ex->n_entries; i++)
            if (any_match(ex->entries[i].rules, ex->entries[i].n_rules, tw_str_c(ex->ids[r])))
                ex->cand[n++] = (uint32_t)i;
    }
    ex->cand_start[ex->n_ids] = n;
    return true;
}

static bool make_scratch(tw_exceptions *ex, uint32_t n_threads)
{
    ex->n_threads = n_threads;
    ex->scratch = calloc(n_threads ? n_threads : 1, sizeof *ex->scratch);
    ex->expiry_said = calloc(ex->n_entries ? ex->n_entries : 1, sizeof *ex->expiry_said);
    if (!ex->scratch || !ex->expiry_said)
        return false;
    for (size_t i = 0; i < ex->n_entries; i++)
        atomic_init(&ex->expiry_said[i], false);
    for (uint32_t t = 0; t < n_threads; t++) {
        exc_scratch *sc = &ex->scratch[t];
        sc->by_rule = calloc(ex->n_ids + 1, sizeof *sc->by_rule);
        sc->by_entry = calloc(ex->n_entries ? ex->n_entries : 1, sizeof *sc->by_entry);
        if (!sc->by_rule || !sc->by_entry)
            return false;
        for (uint32_t r = 0; r <= ex->n_ids; r++)
            atomic_init(&sc->by_rule[r], 0);
        for (size_t i = 0; i < ex->n_entries; i++)
            atomic_init(&sc->by_entry[i], 0);
    }
    return true;
}

/* A set with no entry yet, and its loader. */
static tw_err load_begin(const char *name, const tw_exc_conf *conf, tw_exceptions **out,
                         loader *ld)
{
    *out = NULL;
    tw_exceptions *ex = calloc(1, sizeof *ex);
    if (!ex)
        return TW_ERR_NOMEM;
    if (!(ex->rs = tw_ruleset_new())) {
        free(ex);
        return TW_ERR_NOMEM;
    }
    *out = ex;
    ex->clock_ms = conf->clock_ms ? conf->clock_ms : clock_real;
    ex->warn = conf->warn;
    *ld = (loader){ .ex = ex, .ctx = { .rs = ex->rs }, .now_ms = ex->clock_ms() };
    ex->file = rules_strdup(&ld->ctx, name, strlen(name));
    ld->ctx.file = ex->file;
    return keep_ids(ex, conf) ? TW_OK : TW_ERR_NOMEM;
}

static tw_err load_end(loader *ld, const tw_exc_conf *conf)
{
    tw_exceptions *ex = ld->ex;
    if (ex->rs->nomem || !list_candidates(ex) || !make_scratch(ex, conf->n_threads))
        return TW_ERR_NOMEM;
    if (ex->rs->n_diags)
        qsort(ex->rs->diags, ex->rs->n_diags, sizeof *ex->rs->diags, cmp_note);
    return ex->rs->n_diags ? TW_ERR_INVALID : TW_OK;
}

tw_err tw_exceptions_load_buffer(const char *name, const char *buf, size_t len,
                                 const tw_exc_conf *conf, tw_exceptions **out)
{
    loader ld;
    tw_err err = load_begin(name, conf, out, &ld);
    if (err)
        return err;
    if (len > TW_EXC_MAX_FILE_BYTES) {
        DIAG(&ld, 1, "larger than %u KiB, the limit for an exceptions file",
             TW_EXC_MAX_FILE_BYTES / 1024);
        return load_end(&ld, conf);
    }
    tw_arena yaml_arena;
    tw_arena_init(&yaml_arena, 64 * 1024);
    yn **docs = NULL;
    uint32_t n_docs = 0;
    err = rules_yaml_parse(&ld.ctx, &yaml_arena, buf, len, &docs, &n_docs);
    if (err == TW_OK && n_docs == 0 && !ld.ctx.yaml_bad)
        DIAG(&ld, 1, "empty (an exceptions file holds 'exceptions:' and a list of entries)");
    if (err == TW_OK && n_docs > 1)
        DIAG(&ld, docs[1]->line, "a second YAML document (a file holds one 'exceptions:' list)");
    if (err == TW_OK && n_docs >= 1)
        load_doc(&ld, docs[0]);
    tw_arena_free(&yaml_arena);
    if (err == TW_ERR_NOMEM)
        return err;
    return load_end(&ld, conf);
}

tw_err tw_exceptions_load(const char *path, const tw_exc_conf *conf, tw_exceptions **out)
{
    /* at most one byte past the limit: enough to know the file is too large */
    FILE *f = fopen(path, "rb");
    int read_error = f ? 0 : errno;
    size_t cap = 64 * 1024, len = 0;
    char *buf = f ? malloc(cap) : NULL;
    while (buf) {
        if (len == cap) {
            if (cap > TW_EXC_MAX_FILE_BYTES)
                break;
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (f) {
        if (ferror(f))
            read_error = errno ? errno : EIO;
        fclose(f);
        if (!buf) {
            *out = NULL;
            return TW_ERR_NOMEM;
        }
    }
    tw_err err;
    if (read_error) {
        loader ld;
        if ((err = load_begin(path, conf, out, &ld)) == TW_OK) {
            DIAG(&ld, 0, "cannot read: %s", strerror(read_error));
            err = load_end(&ld, conf);
        }
    } else {
        err = tw_exceptions_load_buffer(path, buf, len, conf, out);
    }
    free(buf);
    return err;
}

void tw_exceptions_destroy(tw_exceptions *ex)
{
    if (!ex)
        return;
    for (uint32_t t = 0; ex->scratch && t < ex->n_threads; t++) {
        free(ex->scratch[t].by_rule);
        free(ex->scratch[t].by_entry);
        tw_json_destroy(ex->scratch[t].js);
        free(ex->scratch[t].buf);
    }
    free(ex->scratch);
    free(ex->expiry_said);
    for (size_t i = 0; i < ex->n_warnings; i++)
        free(ex->warnings[i]);
    free(ex->warnings);
    free(ex->entries);
    free(ex->ids);
    free(ex->by_name);
    free(ex->cand_start);
    free(ex->cand);
    tw_ruleset_destroy(ex->rs);
    free(ex);
}

size_t tw_exceptions_diag_count(const tw_exceptions *ex)
{
    return tw_ruleset_diag_count(ex->rs);
}

const char *tw_exceptions_diag(const tw_exceptions *ex, size_t i)
{
    return tw_ruleset_diag(ex->rs, i);
}

size_t tw_exceptions_warning_count(const tw_exceptions *ex)
{
    return ex->n_warnings;
}

const char *tw_exceptions_warning(const tw_exceptions *ex, size_t i)
{
    return i < ex->n_warnings ? ex->warnings[i] : NULL;
}

size_t tw_exceptions_entry_count(const tw_exceptions *ex)
{
    return ex->n_entries;
}

/* ---- matching ---- */

typedef struct params_probe {
    const exc_field *fd;
    bool present; /* a value other than null */
    bool hit;
} params_probe;

static void params_value(void *ud, const tw_json_value *v)
{
    params_probe *pp = ud;
    if (v->type == TW_JV_NULL)
        return;
    pp->present = true;
    if (!pp->hit)
        pp->hit = any_match(pp->fd->vals, pp->fd->n_vals,
                            v->type == TW_JV_OBJECT ? TW_STR_LIT("") : v->text);
}

/* requestParameters.<path> of the event: any value there matches, or none is there and the
 * field allows absence. */
static bool params_hold(exc_scratch *sc, const exc_field *fd, tw_str params)
{
    params_probe pp = { fd, false, false };
    if (params.len) {
        size_t need = (size_t)params.len + TW_JSON_PADDING;
        if (need > sc->cap) {
            char *nb = realloc(sc->buf, need);
            if (!nb)
                return false; /* out of memory: the finding is written */
            sc->buf = nb;
            sc->cap = need;
        }
        if (!sc->js && !(sc->js = tw_json_new()))
            return false;
        memcpy(sc->buf, params.p, params.len);
        memset(sc->buf + params.len, 0, TW_JSON_PADDING);
        tw_json_lookup(sc->js, sc->buf, params.len, need, fd->path, fd->n_path, params_value,
                       &pp);
    }
    return pp.present ? pp.hit : fd->absent;
}

static tw_str event_field(const exc_field *fd, const tw_finding *f)
{
    const tw_event *ev = f->ev;
    switch (fd->kind) {
    case XF_EVENT_SOURCE: return ev->event_source;
    case XF_EVENT_NAME: return ev->event_name;
    case XF_REGION: return ev->region;
    case XF_SOURCE_IP: return ev->source_ip;
    case XF_USER_AGENT: return ev->user_agent;
    case XF_ERROR_CODE: return ev->error_code;
    case XF_ACCOUNT: return ev->account;
    case XF_ACTION: return ev->action;
    case XF_KIND: return tw_str_c(tw_kind_name(f->kind));
    case XF_MODEL_ID: return ev->model_id;
    case XF_USER_TYPE: return ev->user_type;
    case XF_PRINCIPAL_ARN: return ev->principal_arn;
    case XF_ACCESS_KEY: return ev->access_key;
    case XF_PARAMS: break;
    }
    return TW_STR_NULL;
}

static bool fields_hold(exc_scratch *sc, const exc_entry *e, const tw_finding *f)
{
    if (!e->n_fields)
        return true;
    /* no call behind it (unused-privileged-grant's event only carries the identity) */
    if (!f->ev || !f->ev->event_name.len)
        return false;
    for (uint32_t i = 0; i < e->n_fields; i++) {
        const exc_field *fd = &e->fields[i];
        bool holds;
        if (fd->kind == XF_PARAMS) {
            holds = params_hold(sc, fd, f->ev->request_params);
        } else {
            tw_str v = event_field(fd, f);
            holds = v.len ? any_match(fd->vals, fd->n_vals, v) : fd->absent;
        }
        if (!holds)
            return false;
    }
    return true;
}

static void say_expired(const tw_exceptions *ex, size_t i)
{
    if (!ex->warn || atomic_exchange(&ex->expiry_said[i], true))
        return;
    const exc_entry *e = &ex->entries[i];
    fprintf(ex->warn, "trailwarden: warning: %s:%u: exception expired on %s during the run "
                      "(reason: %.1024s): its findings are written from now on\n",
            ex->file, e->line, e->until, e->reason);
}

bool tw_exceptions_match(const tw_exceptions *ex, uint32_t thread, const tw_finding *f)
{
    if (!ex || !ex->n_entries)
        return false;
    assert(thread < ex->n_threads);
    exc_scratch *sc = &ex->scratch[thread];
    tw_str id = tw_str_c(f->rule->id);
    uint32_t r = ex->ids ? find_id(ex, f->rule->id) : 0;
    const uint32_t *cand = NULL;
    size_t n = ex->n_entries;
    if (ex->cand && r < ex->n_ids) {
        cand = ex->cand + ex->cand_start[r];
        n = ex->cand_start[r + 1] - ex->cand_start[r];
    }
    tw_str identity = f->ev ? f->ev->identity : TW_STR_NULL;
    int64_t now = INT64_MIN;
    for (size_t k = 0; k < n; k++) {
        size_t i = cand ? cand[k] : k;
        const exc_entry *e = &ex->entries[i];
        if (!cand && !any_match(e->rules, e->n_rules, id))
            continue;
        if (e->n_idents && !any_match(e->idents, e->n_idents, identity))
            continue;
        if (!fields_hold(sc, e, f))
            continue;
        if (e->until_ms != INT64_MAX) {
            if (now == INT64_MIN)
                now = ex->clock_ms();
            if (now > e->until_ms) {
                say_expired(ex, i);
                continue;
            }
        }
        atomic_fetch_add_explicit(&sc->by_rule[ex->ids ? r : 0], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&sc->by_entry[i], 1, memory_order_relaxed);
        return true;
    }
    return false;
}

/* ---- counts ---- */

static uint64_t count_of(const tw_exceptions *ex, int thread, uint32_t slot)
{
    uint64_t n = 0;
    for (uint32_t t = 0; t < ex->n_threads; t++)
        if (thread < 0 || (uint32_t)thread == t)
            n += atomic_load_explicit(&ex->scratch[t].by_rule[slot], memory_order_relaxed);
    return n;
}

uint64_t tw_exceptions_suppressed(const tw_exceptions *ex, int thread, const char *rule_id)
{
    if (!ex)
        return 0;
    uint64_t n = 0;
    if (rule_id) {
        uint32_t r = ex->ids ? find_id(ex, rule_id) : 0;
        return ex->ids && r == ex->n_ids ? 0 : count_of(ex, thread, r);
    }
    for (uint32_t r = 0; r <= ex->n_ids; r++)
        n += count_of(ex, thread, r);
    return n;
}

void tw_exceptions_print_stats(const tw_exceptions *ex, FILE *o)
{
    uint64_t total = tw_exceptions_suppressed(ex, -1, NULL);
    fprintf(o, "  suppressed.exception         %" PRIu64 "\n", total);
    for (uint32_t r = 0; total && r < ex->n_ids; r++) {
        uint64_t n = count_of(ex, -1, r);
        if (n)
            fprintf(o, "  suppressed.exception.%-16s %" PRIu64 "\n", ex->ids[r], n);
    }
}

void tw_exceptions_print_hits(const tw_exceptions *ex, FILE *o)
{
    for (size_t i = 0; i < ex->n_entries; i++) {
        uint64_t n = 0;
        for (uint32_t t = 0; t < ex->n_threads; t++)
            n += atomic_load_explicit(&ex->scratch[t].by_entry[i], memory_order_relaxed);
        fprintf(o, "trailwarden: %s:%u: exception suppressed %" PRIu64 " finding%s (reason: "
                   "%.200s)\n", ex->file, ex->entries[i].line, n, n == 1 ? "" : "s",
                ex->entries[i].reason);
    }
}
