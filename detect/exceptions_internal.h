/* exceptions_internal: what exceptions.c (loading) and exceptions_match.c (matching, counts)
 * share: the loaded model. Not for other modules: they use exceptions.h. */
#ifndef TW_EXCEPTIONS_INTERNAL_H
#define TW_EXCEPTIONS_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "exceptions.h"
#include "schema_json.h"
#include "rules.h"

typedef enum exc_field_kind {
    XF_EVENT_SOURCE = 0,
    XF_EVENT_NAME,
    XF_REGION,
    XF_SOURCE_IP,
    XF_USER_AGENT,
    XF_ERROR_CODE,
    XF_ACCOUNT,
    XF_ACTION,
    XF_KIND,
    XF_MODEL_ID,
    XF_USER_TYPE,
    XF_PRINCIPAL_ARN,
    XF_ACCESS_KEY,
    XF_PARAMS, /* requestParameters.<path>: read from the event's raw requestParameters */
} exc_field_kind;

/* A pattern, lower-cased at load (escapes kept), with the line it was written on. */
typedef struct exc_pat {
    tw_str s;
    uint32_t line;
} exc_pat;

typedef struct exc_field {
    exc_field_kind kind;
    const tw_str *path; /* XF_PARAMS: the segments after requestParameters */
    uint32_t n_path;
    const exc_pat *vals; /* any holds */
    uint32_t n_vals;
    bool absent; /* `null` among the values: holds when the field is absent */
} exc_field;

typedef struct exc_entry {
    uint32_t line;
    const exc_pat *rules;
    uint32_t n_rules;
    const exc_pat *idents; /* none: any identity */
    uint32_t n_idents;
    const exc_field *fields;
    uint32_t n_fields;
    int64_t until_ms;  /* the last instant it holds (INT64_MAX: no until) */
    const char *until; /* as written */
    const char *reason;
} exc_entry;

typedef struct exc_id {
    const char *id;
    uint32_t index; /* in ids */
} exc_id;

/* One thread's: written by that thread only. */
typedef struct exc_scratch {
    _Atomic uint64_t *by_rule; /* by known id; the last slot: ids not known */
    _Atomic uint64_t *by_entry;
    tw_json *js; /* made on first use, on the thread's own side */
    char *buf;   /* requestParameters, padded for the parser */
    size_t cap;
    /* (rule, identity) pairs whose latest finding an exception kept out, as hashes (0: a free
     * slot; linear probing): the update of that finding (its repeats) is kept out too. A
     * pair leaves when a finding of it is written. */
    uint64_t *kept;
    uint32_t kept_cap, kept_n;
} exc_scratch;

struct tw_exceptions {
    tw_ruleset *rs; /* the loading context: strings, diagnostics */
    const char *file;
    exc_entry *entries;
    size_t n_entries, cap_entries;
    char **warnings;
    size_t n_warnings, cap_warnings;
    const char **ids; /* known rule ids, as given (deduplicated), NULL-terminated */
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

static inline unsigned char exc_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Sigma's wildcards against s, ASCII case-insensitively (pat is lower-cased): '*' any run,
 * '?' one character, '\*' '\?' '\\' the character itself. */
bool exc_glob_match(tw_str pat, tw_str s);
bool exc_any_match(const exc_pat *v, uint32_t n, tw_str s);
bool exc_has_wildcard(tw_str pat);
/* The index of id among the known ids, or n_ids. */
uint32_t exc_find_id(const tw_exceptions *ex, const char *id);

#endif
