/* rules_internal: what the rules_*.c files share: the YAML tree with line numbers, the loading
 * context that collects diagnostics, and the entry points of each concern. Not for other
 * modules: they read the model of rules.h. */
#ifndef RULES_INTERNAL_H
#define RULES_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "tw_arena.h"

/* Limits that keep hostile files cheap: rules are small. */
#define RULES_MAX_FILE_BYTES (1u << 20) /* 1 MiB a file */
#define RULES_MAX_DEPTH 32              /* YAML nesting */
#define RULES_MAX_DIAGS_PER_FILE 100
#define RULES_MAX_DIR_DEPTH 16

/* ---- the YAML tree (rules_yaml.c) ---- */

typedef enum yn_type { YN_SCALAR = 0, YN_SEQ, YN_MAP } yn_type;

typedef struct yn {
    yn_type type;
    uint32_t line;    /* 1-based */
    uint32_t col;     /* 1-based */
    bool plain;       /* a plain (unquoted, untagged) scalar: subject to type resolution */
    const char *text; /* scalar, NUL-terminated (no NUL inside: rejected at load) */
    uint32_t len;
    uint32_t n;       /* sequence: items; mapping: pairs */
    struct yn **kids; /* sequence: items; mapping: key0, value0, key1, value1, ... */
} yn;

typedef enum yn_kind { YS_STRING = 0, YS_NUMBER, YS_BOOL, YS_NULL } yn_kind;

/* YAML 1.2 core schema resolution of a scalar; quoted scalars are strings. */
yn_kind yn_resolve(const yn *node, double *number, bool *boolean);
const char *yn_describe(const yn *node); /* "a list", "a map", "a number", ... */

/* Parses every document of buf into trees allocated from arena. A syntax error (or an alias,
 * a tag, nesting too deep) is reported through ctx and returns TW_ERR_PARSE; duplicate keys,
 * non-scalar keys and NUL characters are reported and set ctx->yaml_bad. Empty documents
 * are dropped. */
struct rules_ctx;
tw_err rules_yaml_parse(struct rules_ctx *ctx, tw_arena *arena, const char *buf, size_t len,
                        yn ***docs, uint32_t *n_docs);

/* ---- the ruleset and the loading context (rules_load.c) ---- */

typedef struct rules_note {
    uint32_t file; /* order of the file */
    uint32_t line;
    uint32_t seq;
    char *text;
} rules_note;

/* A rule as loaded, with what the cross-file checks need. */
struct rules_corr_pending;

typedef struct rules_entry {
    tw_rule *rule;
    tw_corr *corr;                      /* the rule's correlation (mutable until linked), or NULL */
    struct rules_corr_pending *pending; /* what linking resolves */
    bool bad;                           /* has a problem: left out of the published set */
    bool no_level;                      /* no `level`: allowed only for a rule a correlation uses */
    bool referenced;
    uint32_t file_index;
    uint32_t id_line, name_line;
    uint8_t mark; /* cycle search */
} rules_entry;

struct tw_ruleset {
    tw_arena arena;
    rules_entry *entries;
    size_t n_entries, cap_entries;
    const tw_rule **rules; /* published (valid) */
    size_t n_rules;
    tw_field **fields;
    size_t n_fields, cap_fields;
    rules_note *diags;
    size_t n_diags, cap_diags;
    char **warnings; /* rules_never.c: "file:line: warning: ..." */
    size_t n_warnings, cap_warnings;
    uint32_t n_sources; /* files, directories and paths named in messages */
    size_t n_files;     /* rule files read */
    void **regexes;     /* pcre2_code *, freed at destroy */
    size_t n_regexes, cap_regexes;
    size_t n_defaults; /* the first entries are the shipped rules (tw_ruleset_mark_defaults) */
    size_t n_replaced;
    bool nomem;
    bool finished;
};

typedef struct rules_ctx {
    tw_ruleset *rs;
    const char *file;
    uint32_t file_index;
    uint32_t n_diags;                   /* of this file */
    bool bad;                           /* the rule being loaded has a problem */
    bool yaml_bad;                      /* the file has a YAML-level problem (duplicate key, ...) */
    struct rules_corr_pending *pending; /* set by rules_corr_load for the rule being loaded */
} rules_ctx;

void rules_diag(rules_ctx *ctx, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rules_vdiag(tw_ruleset *rs, uint32_t file_index, const char *file, uint32_t line,
                 const char *fmt, va_list ap);
void *rules_alloc(rules_ctx *ctx, size_t n); /* zeroed; NULL (and rs->nomem) on failure */
const char *rules_strdup(rules_ctx *ctx, const char *s, size_t len);
bool rules_keep_regex(rules_ctx *ctx, void *code);

rules_entry *rules_entry_add(rules_ctx *ctx, tw_rule *rule);
rules_entry *rules_lookup(tw_ruleset *rs, const char *ref); /* by id, else name */

/* ---- one document into one rule (rules_rule.c) ---- */

void rules_rule_load(rules_ctx *ctx, const yn *doc);

/* Helpers for strict maps: the value of key in a mapping, or NULL. */
const yn *yn_get(const yn *map, const char *key);
/* A close spelling among names (NULL-terminated), or NULL: for "did you mean". */
const char *rules_suggest(const char *word, const char *const *names);

/* Reports a word that is none of names: "<what> '<prefix><word>' (did you mean '<close
 * name>'?)" when one is close, else "<what> '<prefix><word>' (<choices>)", or without the
 * parenthesis when choices is NULL. */
void rules_diag_unknown(rules_ctx *ctx, uint32_t line, const char *what, const char *prefix,
                        const char *word, const char *const *names, const char *choices);
size_t rules_edit_distance(const char *a, size_t la, const char *b, size_t lb);
/* Strings of rules: accepts a scalar string, else a diagnostic naming what. */
const char *rules_get_string(rules_ctx *ctx, const yn *node, const char *what);
bool rules_get_duration(rules_ctx *ctx, const yn *node, const char *what, int64_t *ms);
bool rules_get_uint(rules_ctx *ctx, const yn *node, const char *what, uint64_t *v);
uint32_t rules_class_bits(rules_ctx *ctx, const yn *list, const char *what);

/* ---- fields (rules_fields.c) ---- */

enum { RULES_SRC_CLOUDTRAIL = 1u << 0, RULES_SRC_BEDROCK = 1u << 1 };
unsigned rules_source_bits(tw_rule_source source);
/* Resolves and interns a field name valid for the given sources; on failure a diagnostic
 * (with a suggestion when one is close) and NULL. */
const tw_field *rules_field(rules_ctx *ctx, const char *name, uint32_t line, unsigned sources);
/* Whether name is a known field for sources (no diagnostic). */
bool rules_field_known(const char *name, unsigned sources);
void rules_field_suggest(const char *name, unsigned sources, char *out, size_t size);

/* Class, level and kind names of the virtual fields. */
bool rules_class_lookup(const char *name, uint32_t *bits);
bool rules_level_lookup(const char *name, uint32_t *bits);
bool rules_kind_lookup(const char *name, uint32_t *bits);
extern const char *const rules_class_names[];
extern const char *const rules_level_names[];
extern const char *const rules_kind_names[];

/* ---- values and modifiers (rules_values.c) ---- */

/* Compiles `key: value` of a selection into m; false (with diagnostics) on a problem. */
bool rules_match_compile(rules_ctx *ctx, const yn *key, const yn *value, unsigned sources,
                         tw_rule_match *m);

/* ---- rules that can never match (rules_never.c) ---- */

/* Adds a warning for each published detection rule over CloudTrail that no record can match. */
void rules_never_check(tw_ruleset *rs);

/* ---- conditions (rules_cond.c) ---- */

/* Parses one condition string; marks used[i] for each selection it reaches. NULL (with a
 * diagnostic at line) on a problem. */
const tw_cond *rules_cond_parse(rules_ctx *ctx, const char *text, uint32_t line,
                                const tw_rule_selection *sels, uint32_t n_sels, bool *used);

/* ---- correlations (rules_corr.c) ---- */

const tw_corr *rules_corr_load(rules_ctx *ctx, uint32_t key_line, const yn *node);
/* Cross-file: resolves referenced rules, checks fields against their sources, cycles. */
void rules_corr_link(tw_ruleset *rs);
/* Cross-file: the `trailwarden:` keys that name rules or depend on the correlation type. */
void rules_ext_link(tw_ruleset *rs);

#endif
