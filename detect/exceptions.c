/* exceptions: --exceptions FILE (exceptions.h) loaded strictly, through the rules front end's
 * YAML tree and diagnostics (rules_internal.h): every problem as "file:line: message". The
 * matching is exceptions_match.c's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exceptions_internal.h"
#include "rules_internal.h"
#include "tw_array.h"
#include "tw_buf.h"
#include "tw_time.h"

/* By exc_field_kind; what the worker has in tw_event without the record. */
static const char *const k_field_names[] = {
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "recipientAccountId",
    "action",
    "identity.kind",
    "modelId",
    "userIdentity.type",
    "userIdentity.arn",
    "userIdentity.accessKeyId",
    NULL,
};
#define FIELD_CHOICES                                                                           \
    "eventSource, eventName, awsRegion, sourceIPAddress, userAgent, errorCode, "                \
    "recipientAccountId, action, identity.kind, modelId, userIdentity.type, userIdentity.arn, " \
    "userIdentity.accessKeyId, requestParameters.PATH"
#define PARAMS_PREFIX "requestParameters."

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
        p[i] = (char)exc_lower((unsigned char)node->text[i]);
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
            DIAG(ld, it->line, "'%s' holds an empty string (write null for an absent field)", what);
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
            found = exc_glob_match(v[i].s, tw_str_c(ex->ids[r]));
        if (found)
            continue;
        ok = false;
        char word[TW_EXC_MAX_PATTERN + 1];
        memcpy(word, v[i].s.p, v[i].s.len);
        word[v[i].s.len] = '\0';
        const char *hint = exc_has_wildcard(v[i].s) ? NULL : rules_suggest(word, ex->ids);
        if (exc_has_wildcard(v[i].s))
            DIAG(ld, v[i].line, "rule '%s' matches no loaded rule", word);
        else if (hint)
            DIAG(ld, v[i].line, "rule '%s': no loaded rule has this id (did you mean '%s'?)", word,
                 hint);
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
        if (exc_has_wildcard(v->s))
            continue;
        bool known = false;
        for (int k = 0; k < TW_KIND_COUNT_ && !known; k++)
            known = tw_str_eq_c(v->s, tw_kind_name((tw_kind)k));
        if (!known) {
            DIAG(ld, v->line,
                 "identity.kind '%.*s' is no kind (service, aws-service, human, "
                 "agent, root)",
                 (int)v->s.len, v->s.p);
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
        DIAG(ld, node->line,
             "until '%s' is not a date (2027-03-31) or an RFC 3339 time "
             "(2027-03-31T18:00:00Z)",
             node->text);
    else
        DIAG(ld, node->line, "until must be a date (2027-03-31) or an RFC 3339 time, not %s",
             yn_describe(node));
    return false;
}

static bool add_warning(tw_exceptions *ex, const char *text)
{
    char *copy = strdup(text);
    if (!copy || !tw_array_grow((void **)&ex->warnings, &ex->cap_warnings, ex->n_warnings,
                                sizeof *ex->warnings)) {
        free(copy);
        ex->rs->nomem = true;
        return false;
    }
    ex->warnings[ex->n_warnings++] = copy;
    return true;
}

enum { K_RULE, K_IDENTITY, K_FIELDS, K_UNTIL, K_REASON, K_COUNT_ };
static const char *const k_entry_keys[] = { "rule", "identity", "fields", "until", "reason", NULL };

static void load_entry(loader *ld, const yn *node)
{
    if (node->type != YN_MAP) {
        DIAG(ld, node->line,
             "an exception must be a map (rule, identity, fields, until, "
             "reason), not %s",
             yn_describe(node));
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
        DIAG(ld, node->line,
             "an exception needs 'rule' (a rule id or a list of ids; '*' for "
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
        DIAG(ld, node->line,
             "an exception needs 'reason' (why the findings are expected, and "
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
            DIAG(ld, e.rules[i].line,
                 "an exception for every rule needs 'identity' or "
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
    if (!tw_array_grow((void **)&ex->entries, &ex->cap_entries, ex->n_entries,
                       sizeof *ex->entries)) {
        ex->rs->nomem = true;
        return;
    }
    ex->entries[ex->n_entries++] = e;
}

static void load_doc(loader *ld, const yn *doc)
{
    if (doc->type != YN_MAP) {
        DIAG(ld, doc->line,
             "an exceptions file is a map with the key 'exceptions' (a list of "
             "entries), not %s",
             yn_describe(doc));
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
        DIAG(ld, list->line, "'exceptions' must be a list of entries, not %s", yn_describe(list));
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

#define MAX_CANDIDATES (1u << 22) /* past it (a '*' on thousands of entries): try them all */

/* Per known id, the entries whose rule patterns match it. */
static bool list_candidates(tw_exceptions *ex)
{
    if (!ex->ids)
        return true;
    uint64_t total = 0;
    for (uint32_t r = 0; r < ex->n_ids; r++)
        for (size_t i = 0; i < ex->n_entries; i++)
            total +=
                exc_any_match(ex->entries[i].rules, ex->entries[i].n_rules, tw_str_c(ex->ids[r]));
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
            if (exc_any_match(ex->entries[i].rules, ex->entries[i].n_rules, tw_str_c(ex->ids[r])))
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
static tw_err load_begin(const char *name, const tw_exc_conf *conf, tw_exceptions **out, loader *ld)
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
    FILE *f = fopen(path, "rb");
    int read_error = f ? 0 : errno;
    tw_buf b;
    tw_buf_init(&b);
    if (f) {
        read_error = tw_buf_read_stream(&b, f, TW_EXC_MAX_FILE_BYTES);
        fclose(f);
        if (b.failed) {
            tw_buf_free(&b);
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
        err = tw_exceptions_load_buffer(path, b.p ? b.p : "", b.len, conf, out);
    }
    tw_buf_free(&b);
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
        free(ex->scratch[t].kept);
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
