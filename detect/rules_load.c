/* rules_load: the ruleset's life: files and directories in, diagnostics collected, the
 * checks that span files (unique ids and names, references, levels), the published set of
 * valid rules and the field table. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules_internal.h"
#include "tw_array.h"
#include "tw_buf.h"

/* ---- allocation and diagnostics ---- */

void *rules_alloc(rules_ctx *ctx, size_t n)
{
    void *p = tw_arena_alloc(&ctx->rs->arena, n ? n : 1);
    if (!p) {
        ctx->rs->nomem = true;
        return NULL;
    }
    memset(p, 0, n ? n : 1);
    return p;
}

const char *rules_strdup(rules_ctx *ctx, const char *s, size_t len)
{
    char *p = rules_alloc(ctx, len + 1);
    if (!p)
        return "";
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

bool rules_keep_regex(rules_ctx *ctx, void *code)
{
    tw_ruleset *rs = ctx->rs;
    if (!tw_array_grow((void **)&rs->regexes, &rs->cap_regexes, rs->n_regexes,
                       sizeof *rs->regexes)) {
        rs->nomem = true;
        return false;
    }
    rs->regexes[rs->n_regexes++] = code;
    return true;
}

static void diag_text(tw_ruleset *rs, uint32_t file_index, const char *file, uint32_t line,
                      const char *msg)
{
    char head[32];
    if (line)
        snprintf(head, sizeof head, ":%u: ", line);
    else
        snprintf(head, sizeof head, ": ");
    size_t n = strlen(file) + strlen(head) + strlen(msg) + 1;
    char *text = malloc(n);
    if (!text ||
        !tw_array_grow((void **)&rs->diags, &rs->cap_diags, rs->n_diags, sizeof *rs->diags)) {
        free(text);
        rs->nomem = true;
        return;
    }
    snprintf(text, n, "%s%s%s", file, head, msg);
    rs->diags[rs->n_diags] = (rules_note){ file_index, line, (uint32_t)rs->n_diags, text };
    rs->n_diags++;
}

void rules_vdiag(tw_ruleset *rs, uint32_t file_index, const char *file, uint32_t line,
                 const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    diag_text(rs, file_index, file, line, msg);
}

static void vdiag_ctx(rules_ctx *ctx, uint32_t line, const char *fmt, va_list ap)
{
    ctx->bad = true;
    ctx->n_diags++;
    if (ctx->n_diags < RULES_MAX_DIAGS_PER_FILE) {
        rules_vdiag(ctx->rs, ctx->file_index, ctx->file, line, fmt, ap);
    } else if (ctx->n_diags == RULES_MAX_DIAGS_PER_FILE) {
        char msg[80];
        snprintf(msg, sizeof msg, "%d problems: the rest of this file is not reported",
                 RULES_MAX_DIAGS_PER_FILE);
        diag_text(ctx->rs, ctx->file_index, ctx->file, line, msg);
    }
}

void rules_diag(rules_ctx *ctx, uint32_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag_ctx(ctx, line, fmt, ap);
    va_end(ap);
}

/* ---- the ruleset ---- */

tw_ruleset *tw_ruleset_new(void)
{
    tw_ruleset *rs = calloc(1, sizeof *rs);
    if (!rs)
        return NULL;
    tw_arena_init(&rs->arena, 64 * 1024);
    return rs;
}

void tw_ruleset_destroy(tw_ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n_regexes; i++)
        pcre2_code_free(rs->regexes[i]);
    free(rs->regexes);
    for (size_t i = 0; i < rs->n_diags; i++)
        free(rs->diags[i].text);
    free(rs->diags);
    for (size_t i = 0; i < rs->n_warnings; i++)
        free(rs->warnings[i]);
    free(rs->warnings);
    free(rs->entries);
    free(rs->rules);
    free(rs->fields);
    tw_arena_free(&rs->arena);
    free(rs);
}

/* Names a source (a file, a directory, a path given) for messages; returns its order. */
static uint32_t add_file(tw_ruleset *rs, const char *name, const char **stored)
{
    rules_ctx tmp = { .rs = rs };
    *stored = rules_strdup(&tmp, name, strlen(name));
    return rs->n_sources++;
}

rules_entry *rules_entry_add(rules_ctx *ctx, tw_rule *rule)
{
    tw_ruleset *rs = ctx->rs;
    if (!tw_array_grow((void **)&rs->entries, &rs->cap_entries, rs->n_entries,
                       sizeof *rs->entries)) {
        rs->nomem = true;
        return NULL;
    }
    rules_entry *e = &rs->entries[rs->n_entries++];
    memset(e, 0, sizeof *e);
    e->rule = rule;
    rule->index = (uint32_t)(rs->n_entries - 1); /* the entry, until published */
    e->file_index = ctx->file_index;
    return e;
}

tw_err tw_ruleset_add_buffer(tw_ruleset *rs, const char *name, const char *buf, size_t len)
{
    if (rs->finished)
        return TW_ERR_INVALID; /* the set is complete: finish resolved it */
    size_t before = rs->n_diags;
    rules_ctx ctx = { .rs = rs };
    ctx.file_index = add_file(rs, name, &ctx.file);
    rs->n_files++;
    if (len > RULES_MAX_FILE_BYTES) {
        rules_diag(&ctx, 1, "larger than %u KiB, the limit for a rule file",
                   RULES_MAX_FILE_BYTES / 1024);
        return rs->nomem ? TW_ERR_NOMEM : TW_ERR_INVALID;
    }
    tw_arena yaml_arena;
    tw_arena_init(&yaml_arena, 64 * 1024);
    yn **docs = NULL;
    uint32_t n_docs = 0;
    tw_err err = rules_yaml_parse(&ctx, &yaml_arena, buf, len, &docs, &n_docs);
    if (err == TW_OK) {
        if (n_docs == 0 && !ctx.yaml_bad)
            rules_diag(&ctx, 1, "no rule in this file (it is empty)");
        for (uint32_t i = 0; i < n_docs && !rs->nomem; i++)
            rules_rule_load(&ctx, docs[i]);
    }
    tw_arena_free(&yaml_arena);
    if (rs->nomem || err == TW_ERR_NOMEM)
        return TW_ERR_NOMEM;
    return rs->n_diags > before ? TW_ERR_INVALID : TW_OK;
}

static tw_err add_file_path(tw_ruleset *rs, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        rules_ctx ctx = { .rs = rs };
        ctx.file_index = add_file(rs, path, &ctx.file);
        rules_diag(&ctx, 0, "cannot read: %s", strerror(e));
        return TW_ERR_INVALID;
    }
    tw_buf b;
    tw_buf_init(&b);
    int read_error = tw_buf_read_stream(&b, f, RULES_MAX_FILE_BYTES);
    fclose(f);
    tw_err err;
    if (b.failed) {
        err = TW_ERR_NOMEM;
    } else if (read_error) {
        rules_ctx ctx = { .rs = rs };
        ctx.file_index = add_file(rs, path, &ctx.file);
        rules_diag(&ctx, 0, "cannot read: %s", strerror(read_error));
        err = TW_ERR_INVALID;
    } else {
        err = tw_ruleset_add_buffer(rs, path, b.p ? b.p : "", b.len);
    }
    tw_buf_free(&b);
    return err;
}

static bool rule_file_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && !strcmp(name + n - 4, ".yml")) || (n > 5 && !strcmp(name + n - 5, ".yaml"));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directories being walked, to stop at a symbolic link back up the tree. */
typedef struct dir_path {
    dev_t dev[RULES_MAX_DIR_DEPTH + 1];
    ino_t ino[RULES_MAX_DIR_DEPTH + 1];
} dir_path;

/* Adds the rule files under dir (at depth in *walk); *found counts them. */
static tw_err add_dir(tw_ruleset *rs, const char *dir, int depth, dir_path *walk, size_t *found)
{
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        rules_ctx ctx = { .rs = rs };
        ctx.file_index = add_file(rs, dir, &ctx.file);
        rules_diag(&ctx, 0, "cannot read the directory: %s", strerror(e));
        return TW_ERR_INVALID;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    tw_err err = TW_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (!tw_array_grow((void **)&names, &cap, n, sizeof *names) ||
            !(names[n] = strdup(de->d_name))) {
            err = TW_ERR_NOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && err != TW_ERR_NOMEM; i++) {
        size_t plen = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(plen);
        if (!path) {
            err = TW_ERR_NOMEM;
            break;
        }
        bool slash = dir[0] && dir[strlen(dir) - 1] == '/';
        snprintf(path, plen, "%s%s%s", dir, slash ? "" : "/", names[i]);
        struct stat st;
        tw_err e = TW_OK;
        if (stat(path, &st) != 0) {
            /* a dangling link: not a rule file we were asked for */
        } else if (S_ISDIR(st.st_mode)) {
            bool loop = false;
            for (int k = 0; k <= depth; k++)
                loop |= walk->dev[k] == st.st_dev && walk->ino[k] == st.st_ino;
            if (loop) {
                /* a link back up the tree: its files are read already */
            } else if (depth >= RULES_MAX_DIR_DEPTH) {
                rules_ctx ctx = { .rs = rs };
                ctx.file_index = add_file(rs, path, &ctx.file);
                rules_diag(&ctx, 0, "directories nested deeper than %d levels: not read",
                           RULES_MAX_DIR_DEPTH);
                e = TW_ERR_INVALID;
            } else {
                walk->dev[depth + 1] = st.st_dev;
                walk->ino[depth + 1] = st.st_ino;
                e = add_dir(rs, path, depth + 1, walk, found);
            }
        } else if (S_ISREG(st.st_mode) && rule_file_name(names[i])) {
            (*found)++;
            e = add_file_path(rs, path);
        }
        free(path);
        if (e == TW_ERR_NOMEM || (e != TW_OK && err == TW_OK))
            err = e;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return err;
}

tw_err tw_ruleset_add_path(tw_ruleset *rs, const char *path)
{
    if (rs->finished)
        return TW_ERR_INVALID;
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        rules_ctx ctx = { .rs = rs };
        ctx.file_index = add_file(rs, path, &ctx.file);
        rules_diag(&ctx, 0, "%s", strerror(e));
        return rs->nomem ? TW_ERR_NOMEM : TW_ERR_INVALID;
    }
    if (!S_ISDIR(st.st_mode))
        return add_file_path(rs, path);
    size_t found = 0;
    dir_path walk;
    walk.dev[0] = st.st_dev;
    walk.ino[0] = st.st_ino;
    tw_err err = add_dir(rs, path, 0, &walk, &found);
    if (err == TW_OK && found == 0) {
        rules_ctx ctx = { .rs = rs };
        ctx.file_index = add_file(rs, path, &ctx.file);
        rules_diag(&ctx, 0, "no rule file (*.yml, *.yaml) in this directory");
        err = TW_ERR_INVALID;
    }
    return rs->nomem ? TW_ERR_NOMEM : err;
}

/* ---- what spans files ---- */

rules_entry *rules_lookup(tw_ruleset *rs, const char *ref)
{
    for (size_t i = 0; i < rs->n_entries; i++) {
        const tw_rule *rule = rs->entries[i].rule;
        if ((rule->id && !strcmp(rule->id, ref)) || (rule->name && !strcmp(rule->name, ref)))
            return &rs->entries[i];
    }
    return NULL;
}

static void entry_diag(tw_ruleset *rs, rules_entry *e, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void entry_diag(tw_ruleset *rs, rules_entry *e, uint32_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rules_vdiag(rs, e->file_index, e->rule->file, line, fmt, ap);
    va_end(ap);
    e->bad = true;
}

typedef struct key_ref {
    const char *key;
    size_t entry;
    uint32_t line;
    bool is_name;
} key_ref;

static int cmp_key_ref(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* Ids and names are one namespace: correlations refer to either. */
static void check_unique(tw_ruleset *rs)
{
    key_ref *refs = malloc((2 * rs->n_entries + 1) * sizeof *refs);
    if (!refs) {
        rs->nomem = true;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < rs->n_entries; i++) {
        const tw_rule *rule = rs->entries[i].rule;
        if (rule->id)
            refs[n++] = (key_ref){ rule->id, i, rs->entries[i].id_line, false };
        if (rule->name && !(rule->id && !strcmp(rule->name, rule->id)))
            refs[n++] = (key_ref){ rule->name, i, rs->entries[i].name_line, true };
    }
    qsort(refs, n, sizeof *refs, cmp_key_ref);
    for (size_t i = 1; i < n; i++) {
        size_t first = i - 1;
        while (first > 0 && !strcmp(refs[first - 1].key, refs[i].key))
            first--;
        if (strcmp(refs[first].key, refs[i].key))
            continue;
        rules_entry *e = &rs->entries[refs[i].entry];
        const rules_entry *f = &rs->entries[refs[first].entry];
        entry_diag(rs, e, refs[i].line, "duplicate %s '%s' (already the %s of the rule at %s:%u)",
                   refs[i].is_name ? "name" : "id", refs[i].key,
                   refs[first].is_name ? "name" : "id", f->rule->file, refs[first].line);
    }
    free(refs);
}

static void mark_field(const tw_field *field, bool *used)
{
    if (field)
        used[field->index] = true;
}

/* The published field table: the fields of valid rules, numbered densely. */
static void build_fields(tw_ruleset *rs)
{
    bool *used = calloc(rs->n_fields + 1, sizeof *used);
    if (!used) {
        rs->nomem = true;
        return;
    }
    for (size_t r = 0; r < rs->n_rules; r++) {
        const tw_rule *rule = rs->rules[r];
        for (uint32_t s = 0; s < rule->n_selections; s++)
            for (uint32_t g = 0; g < rule->selections[s].n_groups; g++) {
                const tw_rule_group *grp = &rule->selections[s].groups[g];
                for (uint32_t m = 0; m < grp->n_matches; m++) {
                    mark_field(grp->matches[m].field, used);
                    for (uint32_t v = 0; v < grp->matches[m].n_values; v++)
                        mark_field(grp->matches[m].values[v].ref, used);
                }
            }
        if (rule->correlation) {
            for (uint32_t i = 0; i < rule->correlation->n_group_by; i++)
                mark_field(rule->correlation->group_by[i], used);
            mark_field(rule->correlation->field, used);
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < rs->n_fields; i++)
        if (used[rs->fields[i]->index])
            rs->fields[n++] = rs->fields[i];
    /* The fields only rules with problems read drop out of the table (still owned by the
     * arena); the others are renumbered densely. */
    for (size_t i = 0; i < n; i++)
        rs->fields[i]->index = (uint32_t)i;
    rs->n_fields = n;
    free(used);
}

static int cmp_diag(const void *a, const void *b)
{
    const rules_note *x = a, *y = b;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void tw_ruleset_mark_defaults(tw_ruleset *rs)
{
    rs->n_defaults = rs->n_entries;
}

size_t tw_ruleset_replaced_count(const tw_ruleset *rs)
{
    return rs->n_replaced;
}

static bool same_key(const tw_rule *a, const tw_rule *b)
{
    const char *ka[2] = { a->id, a->name }, *kb[2] = { b->id, b->name };
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            if (ka[i] && kb[j] && !strcmp(ka[i], kb[j]))
                return true;
    return false;
}

/* A default (shipped) rule that a later rule names by id or name is dropped: the user's
 * version replaces it. Entries are renumbered (rule->index is the entry until published). */
static void replace_defaults(tw_ruleset *rs)
{
    size_t out = 0;
    for (size_t i = 0; i < rs->n_entries; i++) {
        bool replaced = false;
        for (size_t j = rs->n_defaults; i < rs->n_defaults && j < rs->n_entries && !replaced; j++)
            replaced = same_key(rs->entries[i].rule, rs->entries[j].rule);
        if (replaced) {
            rs->n_replaced++;
            continue;
        }
        rs->entries[out] = rs->entries[i];
        rs->entries[out].rule->index = (uint32_t)out;
        out++;
    }
    rs->n_entries = out;
}

tw_err tw_ruleset_finish(tw_ruleset *rs)
{
    if (rs->finished)
        return rs->n_diags ? TW_ERR_INVALID : TW_OK;
    rs->finished = true;
    if (rs->n_defaults)
        replace_defaults(rs);
    check_unique(rs);
    rules_corr_link(rs);
    rules_ext_link(rs);
    for (size_t i = 0; i < rs->n_entries; i++) {
        rules_entry *e = &rs->entries[i];
        if (e->no_level && !e->referenced)
            entry_diag(rs, e, e->rule->line,
                       "missing 'level' (informational, low, medium, high or critical)");
    }
    /* A correlation over a rule with a problem cannot run either. */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < rs->n_entries; i++) {
            rules_entry *e = &rs->entries[i];
            if (e->bad || !e->corr)
                continue;
            bool dep_bad = false;
            for (uint32_t k = 0; k < e->corr->n_rules; k++)
                dep_bad |= !e->corr->rules[k] || rs->entries[e->corr->rules[k]->index].bad;
            const tw_rule *trig = e->corr->trigger.rule;
            dep_bad |= trig && rs->entries[trig->index].bad;
            if (dep_bad) {
                e->bad = true;
                changed = true;
            }
        }
    }
    rs->rules = malloc((rs->n_entries + 1) * sizeof *rs->rules);
    if (!rs->rules) {
        rs->nomem = true;
        return TW_ERR_NOMEM;
    }
    for (size_t i = 0; i < rs->n_entries; i++)
        if (!rs->entries[i].bad)
            rs->rules[rs->n_rules++] = rs->entries[i].rule;
    for (size_t i = 0; i < rs->n_rules; i++)
        ((tw_rule *)rs->rules[i])->index = (uint32_t)i;
    build_fields(rs);
    rules_never_check(rs);
    if (rs->n_diags)
        qsort(rs->diags, rs->n_diags, sizeof *rs->diags, cmp_diag);
    if (rs->nomem)
        return TW_ERR_NOMEM;
    return rs->n_diags ? TW_ERR_INVALID : TW_OK;
}

tw_err tw_ruleset_load(const char *const *paths, size_t n_paths, tw_ruleset **out)
{
    tw_ruleset *rs = tw_ruleset_new();
    *out = rs;
    if (!rs)
        return TW_ERR_NOMEM;
    for (size_t i = 0; i < n_paths; i++)
        if (tw_ruleset_add_path(rs, paths[i]) == TW_ERR_NOMEM)
            return TW_ERR_NOMEM;
    return tw_ruleset_finish(rs);
}

size_t tw_ruleset_diag_count(const tw_ruleset *rs)
{
    return rs->n_diags;
}

const char *tw_ruleset_diag(const tw_ruleset *rs, size_t i)
{
    return i < rs->n_diags ? rs->diags[i].text : NULL;
}

size_t tw_ruleset_count(const tw_ruleset *rs)
{
    return rs->n_rules;
}

const tw_rule *tw_ruleset_rule(const tw_ruleset *rs, size_t i)
{
    return i < rs->n_rules ? rs->rules[i] : NULL;
}

const tw_rule *tw_ruleset_find(const tw_ruleset *rs, const char *id_or_name)
{
    for (size_t i = 0; i < rs->n_rules; i++) {
        const tw_rule *rule = rs->rules[i];
        if (!strcmp(rule->id, id_or_name) || (rule->name && !strcmp(rule->name, id_or_name)))
            return rule;
    }
    return NULL;
}

size_t tw_ruleset_file_count(const tw_ruleset *rs)
{
    return rs->n_files;
}

size_t tw_ruleset_field_count(const tw_ruleset *rs)
{
    return rs->finished ? rs->n_fields : 0;
}

const tw_field *tw_ruleset_field(const tw_ruleset *rs, size_t i)
{
    return rs->finished && i < rs->n_fields ? rs->fields[i] : NULL;
}
