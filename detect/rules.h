/* rules: the front end of trailwarden's rule language. It loads Sigma detection rules, Sigma
 * correlation rules and trailwarden's extensions from YAML, validates them strictly (every
 * problem of every file, each as "file:line: message"), and compiles them into the immutable
 * model below: fields resolved and interned, values unescaped and classified, regular
 * expressions compiled (JIT when available), networks parsed, conditions parsed into trees,
 * correlations resolved to the rules they name. Nothing is re-parsed at run time.
 *
 * Who calls it: `trailwarden rules check|list` (app/app_rules.c) and, later, the rule compiler
 * and evaluator of detect/, which walk the model to build per-action candidate lists, the
 * field projection for the parser (tw_ruleset_field) and the per-identity state layout.
 *
 * Ownership: a tw_ruleset owns every rule, string, node and compiled pattern reachable from it;
 * all of it is read-only and lives until tw_ruleset_destroy. The model may be shared by every
 * worker thread; only tw_regex_match needs per-thread scratch. */
#ifndef RULES_H
#define RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_err.h"
#include "tw_finding.h"
#include "tw_str.h"

typedef struct tw_ruleset tw_ruleset;
typedef struct tw_rule tw_rule;

/* ---- fields --------------------------------------------------------------------------- */

/* A field a rule reads. Record fields are dotted paths into the CloudTrail record (or the
 * Bedrock model invocation log record); the others are trailwarden's virtual fields, computed
 * by ingest (DESIGN §3, §4). */
typedef enum tw_field_kind {
    TW_FIELD_RECORD = 0,     /* "requestParameters.policyArn": path[] below */
    TW_FIELD_ACTION,         /* "service:Name" */
    TW_FIELD_ACTION_LEVEL,   /* TW_LEVEL_* of the action */
    TW_FIELD_ACTION_CLASS,   /* TW_CLASS_* of the action */
    TW_FIELD_IDENTITY_KEY,   /* the identity key */
    TW_FIELD_IDENTITY_KIND,  /* tw_kind */
    TW_FIELD_ERROR_DENIED,   /* the call was denied (boolean) */
    TW_FIELD_CALL_ON_BEHALF, /* an AWS service made the call for the identity (boolean) */
    /* The policy document the call writes or attaches, read (detect/policy_call.h); absent
     * when the call carries none the reader knows. Booleans, in this order: */
    TW_FIELD_POLICY_ALLOWS,            /* an Allow statement */
    TW_FIELD_POLICY_DENIES_ALL,        /* a Deny of everything (a quarantine) */
    TW_FIELD_POLICY_PUBLIC,            /* an Allow to anyone, held in by nothing */
    TW_FIELD_POLICY_PUBLIC_RESTRICTED, /* an Allow to anyone held in by a condition */
    TW_FIELD_POLICY_AWS_PRINCIPAL,     /* an Allow naming an AWS principal */
    TW_FIELD_POLICY_WHOLE_ACCOUNT,     /* ... a whole account */
    TW_FIELD_POLICY_OTHER_ACCOUNT,     /* ... a principal of another account */
    TW_FIELD_POLICY_SERVICE,           /* ... a service principal */
    TW_FIELD_POLICY_FEDERATED,         /* ... a federated (SAML/OIDC) principal */
    TW_FIELD_POLICY_PRIVILEGED,        /* grants a privileged action after its Denies */
    TW_FIELD_POLICY_ADMIN,             /* grants every privileged IAM action, everywhere */
    TW_FIELD_POLICY_UNREADABLE,        /* there, but no readable policy (then the only one) */
} tw_field_kind;

static inline bool tw_field_is_policy(tw_field_kind kind)
{
    return kind >= TW_FIELD_POLICY_ALLOWS && kind <= TW_FIELD_POLICY_UNREADABLE;
}

/* Virtual fields that are true or false. */
static inline bool tw_field_is_bool(tw_field_kind kind)
{
    return kind == TW_FIELD_ERROR_DENIED || kind == TW_FIELD_CALL_ON_BEHALF ||
           tw_field_is_policy(kind);
}

/* Interned: one tw_field per distinct name in a ruleset, so pointers compare equal and
 * `index` numbers the parser's projection (0 .. tw_ruleset_field_count - 1). */
typedef struct tw_field {
    const char *name; /* as written: "userIdentity.sessionContext.sessionIssuer.arn" */
    tw_field_kind kind;
    uint32_t index;
    uint32_t n_path; /* RECORD: the name split at '.' (no empty segment) */
    const tw_str *path;
} tw_field;

/* ---- values and matches --------------------------------------------------------------- */

/* How one value is tested against a field. Strings compare ASCII case-insensitively unless
 * the value is `cased` (Sigma's default); regular expressions are case-sensitive unless
 * compiled with `re|i`. */
typedef enum tw_match_op {
    TW_MATCH_EQ = 0,   /* the field equals text */
    TW_MATCH_CONTAINS, /* text occurs in the field */
    TW_MATCH_PREFIX,   /* the field starts with text */
    TW_MATCH_SUFFIX,   /* the field ends with text */
    TW_MATCH_GLOB,     /* Sigma wildcards that no simpler op expresses: glob[] */
    TW_MATCH_REGEX,    /* re: PCRE2, unanchored (Sigma) */
    TW_MATCH_CIDR,     /* the field is an IP address inside cidr */
    TW_MATCH_NUMBER,   /* a JSON number equal to number, or a string equal to text */
    TW_MATCH_BOOL,     /* a JSON boolean (or the string "true"/"false") equal to boolean */
    TW_MATCH_NULL,     /* the field is null or absent (`field: null`) */
    TW_MATCH_EXISTS,   /* exists: the field is present (boolean true) or absent (false) */
    TW_MATCH_FIELDREF, /* fieldref: the field equals the value of field `ref` */
    TW_MATCH_BITS,     /* action.class, action.level, identity.kind: the event's bits meet bits */
} tw_match_op;

/* A compiled Sigma wildcard pattern: a sequence of tokens. */
typedef enum tw_glob_kind {
    TW_GLOB_LIT = 0, /* lit, matched as the value's `cased` says */
    TW_GLOB_ONE,     /* '?': exactly one character (one UTF-8 sequence) */
    TW_GLOB_ANY,     /* '*': any run, empty included */
} tw_glob_kind;

typedef struct tw_glob_tok {
    tw_glob_kind kind;
    tw_str lit;
} tw_glob_tok;

typedef struct tw_cidr {
    uint8_t family;   /* 4 or 6 */
    uint8_t prefix;   /* 0..32 or 0..128; host bits are zero (checked at load) */
    uint8_t addr[16]; /* network byte order; IPv4 in the first 4 bytes */
} tw_cidr;

typedef struct tw_regex tw_regex; /* a compiled PCRE2 pattern */

typedef struct tw_rule_value {
    tw_match_op op;
    uint32_t line;
    bool cased;      /* string ops and GLOB: compare bytes exactly */
    tw_str text;     /* EQ/CONTAINS/PREFIX/SUFFIX: the literal, wildcard escapes
                              * removed; REGEX: the pattern; NUMBER: as written; others: the
                              * value as written (for messages) */
    uint32_t n_glob; /* GLOB */
    const tw_glob_tok *glob;
    const tw_regex *re;  /* REGEX */
    tw_cidr cidr;        /* CIDR */
    double number;       /* NUMBER */
    bool boolean;        /* BOOL, EXISTS */
    uint32_t bits;       /* BITS: TW_CLASS_*, TW_LEVEL_* or 1u << tw_kind; any bit meets */
    const tw_field *ref; /* FIELDREF */
} tw_rule_value;

/* `field|modifiers: value` or `field|modifiers: [values]`: any value holds, or every value
 * with `all`. */
typedef struct tw_rule_match {
    const tw_field *field;
    const char *key; /* as written, for messages: "eventName|startswith" */
    uint32_t line;
    bool all;
    uint32_t n_values;
    const tw_rule_value *values;
} tw_rule_match;

/* One map of matches: every match holds. */
typedef struct tw_rule_group {
    uint32_t line;
    uint32_t n_matches;
    const tw_rule_match *matches;
} tw_rule_group;

/* A named selection: a map (one group) or a list of maps (any group holds). */
typedef struct tw_rule_selection {
    const char *name;
    uint32_t line;
    uint32_t n_groups;
    const tw_rule_group *groups;
} tw_rule_selection;

/* ---- conditions ----------------------------------------------------------------------- */

/* The condition tree. `1 of P` and `all of P` are resolved at load into OR and AND of the
 * selections that P names; a list of conditions is an OR. AND and OR are n-ary. */
typedef enum tw_cond_op {
    TW_COND_SEL = 0, /* selection `sel` of the rule */
    TW_COND_NOT,     /* kids[0] */
    TW_COND_AND,     /* every kid */
    TW_COND_OR,      /* any kid */
} tw_cond_op;

typedef struct tw_cond {
    tw_cond_op op;
    uint32_t sel;
    uint32_t n_kids;
    const struct tw_cond *const *kids;
} tw_cond;

/* ---- correlations --------------------------------------------------------------------- */

typedef enum tw_corr_type {
    TW_CORR_EVENT_COUNT = 0,       /* Sigma */
    TW_CORR_VALUE_COUNT,           /* Sigma */
    TW_CORR_TEMPORAL,              /* Sigma */
    TW_CORR_TEMPORAL_ORDERED,      /* Sigma */
    TW_CORR_BASELINE_THEN_TRIGGER, /* trailwarden extension */
    TW_CORR_FIRST_SEEN,            /* trailwarden extension */
    TW_CORR_QUIET_THEN_TRIGGER,    /* trailwarden extension */
    TW_CORR_TYPE_COUNT_
} tw_corr_type;

const char *tw_corr_type_name(tw_corr_type type);

typedef struct tw_corr {
    tw_corr_type type;
    uint32_t line;
    /* The rules whose matches feed the correlation, in the order written (temporal_ordered
     * depends on it); detection or correlation rules. Extensions: optional, none = every
     * event of the group. */
    uint32_t n_rules;
    const tw_rule *const *rules;
    const char *const *rule_refs; /* as written (id or name) */
    /* Grouping. None written: the identity key (state lives per identity). */
    uint32_t n_group_by;
    const tw_field *const *group_by;
    int64_t timespan_ms; /* Sigma types; > 0 */
    /* The count condition (event_count, value_count; temporal types: distinct rules that
     * matched, default all of them): it holds when count_min <= count <= count_max. */
    bool has_count;
    uint64_t count_min, count_max;
    const tw_field *field; /* value_count: the field whose distinct values count;
                                     * first_seen: the field whose new values fire */
    bool generate;         /* Sigma `generate`: the referenced rules fire too */
    /* baseline_then_trigger: at least min_events events in the window before the trigger,
     * every one of them of a class in `classes` (TW_CLASS_*); then a trigger event of a class
     * in trigger_classes (if non-zero) that matches trigger_rule (if set). */
    struct {
        uint32_t min_events;
        int64_t window_ms;
        uint32_t classes;
    } baseline;
    struct {
        uint32_t classes;
        const tw_rule *rule;
        const char *rule_ref;
    } trigger;
    /* first_seen: how long an identity's values are learnt before new ones fire. */
    int64_t first_seen_baseline_ms;
    /* quiet_then_trigger: how long the group must have been silent (no event at all) before
     * a matching event fires. */
    int64_t quiet_ms;
} tw_corr;

/* ---- rules ---------------------------------------------------------------------------- */

/* trailwarden.learning: whether a rule waits for an identity's past to be known. */
typedef enum tw_rule_learning {
    TW_LEARNING_DEFAULT = 0, /* yes for first_seen and quiet_then_trigger, which compare with
                              * the identity's past; no otherwise */
    TW_LEARNING_ON,
    TW_LEARNING_OFF,
} tw_rule_learning;

/* trailwarden.level_if: an entry. */
typedef struct tw_level_if {
    const char *rule_ref; /* as written */
    uint32_t line;
    const tw_rule *rule; /* resolved once every file is loaded: a detection rule */
    tw_severity level;
} tw_level_if;

typedef enum tw_rule_status {
    TW_RULE_STATUS_NONE = 0,
    TW_RULE_STATUS_STABLE,
    TW_RULE_STATUS_TEST,
    TW_RULE_STATUS_EXPERIMENTAL,
    TW_RULE_STATUS_DEPRECATED,
    TW_RULE_STATUS_UNSUPPORTED,
} tw_rule_status;

typedef enum tw_rule_source {
    TW_SOURCE_NONE = 0, /* correlation rules: no log source of their own */
    TW_SOURCE_CLOUDTRAIL,
    TW_SOURCE_BEDROCK, /* Bedrock model invocation logs */
} tw_rule_source;

struct tw_rule {
    uint32_t index; /* in the ruleset */
    const char *file;
    uint32_t line; /* where the rule's document starts */
    /* metadata */
    const char *id;   /* a UUID or a trailwarden id like agent-read-to-destructive */
    const char *name; /* Sigma `name` (correlations may refer to it), or NULL */
    const char *title;
    const char *description; /* NULL when absent (likewise below) */
    const char *author;
    const char *date;
    const char *modified;
    tw_rule_status status;
    tw_severity level; /* 0 only for a building block that a correlation uses */
    uint32_t n_tags;
    const char *const *tags;
    tw_rule_source source;
    const char *category; /* logsource.category, or NULL */
    /* detection rules */
    uint32_t n_selections;
    const tw_rule_selection *selections;
    const tw_cond *condition;
    uint32_t condition_line;
    /* correlation rules (detection fields empty) */
    const tw_corr *correlation;
    /* trailwarden extensions (the `trailwarden:` block) */
    int64_t suppress_ms;      /* one finding per group (identity) per period; 0: none */
    tw_severity denied_level; /* the level when the triggering call was denied; 0: `level` */
    tw_severity failed_level; /* the level when it failed for another reason (it changed
                               * nothing); 0: `level`, at most low (DESIGN §5) */
    uint32_t kinds;           /* 1u << tw_kind of the identities the rule raises findings for,
                               * by the identity's kind (the strongest its events showed);
                               * 0: every kind */
    uint32_t n_finding_types; /* OCSF finding_info.types */
    const char *const *finding_types;
    /* drift (DESIGN §5): the rule holds only for an identity whose past is known (--learn)
     * and whose own history is at least history_ms; what it holds back is counted */
    tw_rule_learning learning;
    int64_t history_ms;
    /* first_seen: the level of a value the baseline already holds (routine work recorded,
     * not alerted; also while the past is unknown); 0: such a value raises nothing */
    tw_severity routine_level;
    /* the level when the triggering event also matched a named detection rule (the first
     * that did), instead of `level` (before denied_level and failed_level apply) */
    uint32_t n_level_if;
    const tw_level_if *level_if;
};

const char *tw_rule_status_name(tw_rule_status status);
const char *tw_rule_type_name(const tw_rule *rule); /* "detection" or the correlation type */

/* What an event gives a correlation that reads fields (by rule index): the hash of its
 * `field` value (value_count, first_seen; has_value) with the value's text, and the hash of
 * its group-by values other than the identity (0 when it groups by identity only). The
 * fields are read on the parser's thread, where the record is; the worker counts. A
 * correlation grouped across identities (no identity.key) keys a state of its own by
 * (rule, group): the router delivers the event to the worker that owns that key too. */
typedef struct tw_corr_value {
    uint32_t rule;
    uint64_t group;
    uint64_t hash;
    tw_str text; /* in the batch's arena */
    bool has_value;
} tw_corr_value;

/* ---- the ruleset ---------------------------------------------------------------------- */

tw_ruleset *tw_ruleset_new(void);        /* NULL when out of memory */
void tw_ruleset_destroy(tw_ruleset *rs); /* NULL-safe */

/* Adds a rule file, or a directory (recursed, in name order; *.yml and *.yaml files, hidden
 * entries skipped). Returns TW_OK, TW_ERR_INVALID when the path or a rule in it has a
 * problem (see the diagnostics; the valid rules are kept), or TW_ERR_NOMEM. */
tw_err tw_ruleset_add_path(tw_ruleset *rs, const char *path);

/* Adds rules from a buffer that `name` stands for in messages (embedded rules, tests, fuzz). */
tw_err tw_ruleset_add_buffer(tw_ruleset *rs, const char *name, const char *buf, size_t len);

/* Marks the rules added so far as the defaults (the shipped rules): a rule added later with
 * the id or name of a default replaces that default instead of clashing with it. */
void tw_ruleset_mark_defaults(tw_ruleset *rs);
/* Defaults replaced that way (known after finish). */
size_t tw_ruleset_replaced_count(const tw_ruleset *rs);

/* Checks what spans files: unique ids and names, the rules that correlations name, cycles.
 * Call once, after the last add; the model is complete after it. TW_OK when no problem was
 * found in any file, TW_ERR_INVALID otherwise. */
tw_err tw_ruleset_finish(tw_ruleset *rs);

/* new + add_path for each path + finish. *rs is set whenever the result is not
 * TW_ERR_NOMEM, so the caller can read the diagnostics; the caller destroys it. */
tw_err tw_ruleset_load(const char *const *paths, size_t n_paths, tw_ruleset **rs);

/* Every problem found, as "file:line: message", in file order then line order. */
size_t tw_ruleset_diag_count(const tw_ruleset *rs);
const char *tw_ruleset_diag(const tw_ruleset *rs, size_t i);

/* Warnings about valid rules, which load and run (known after finish): a detection rule
 * over CloudTrail that can never match a CloudTrail record, as "file:line: warning: ...". */
size_t tw_ruleset_warning_count(const tw_ruleset *rs);
const char *tw_ruleset_warning(const tw_ruleset *rs, size_t i);

/* The valid rules, in load order (rules with a problem are left out). */
size_t tw_ruleset_count(const tw_ruleset *rs);
const tw_rule *tw_ruleset_rule(const tw_ruleset *rs, size_t i);
const tw_rule *tw_ruleset_find(const tw_ruleset *rs, const char *id_or_name);
size_t tw_ruleset_file_count(const tw_ruleset *rs); /* rule files read */

/* Every distinct field the valid rules read (matches, fieldrefs, group-by, correlation
 * fields), by tw_field.index. */
size_t tw_ruleset_field_count(const tw_ruleset *rs);
const tw_field *tw_ruleset_field(const tw_ruleset *rs, size_t i);

/* ---- regular expressions at run time -------------------------------------------------- */

/* Match data for tw_regex_match: one per thread. */
typedef struct tw_regex_scratch tw_regex_scratch;
tw_regex_scratch *tw_regex_scratch_new(void);
void tw_regex_scratch_destroy(tw_regex_scratch *scratch); /* NULL-safe */

/* Unanchored search; subjects may hold invalid UTF-8. A match that hits PCRE2's limits (a
 * million backtracking steps, depth 10,000: a pattern such as (a+)+$ on a long subject)
 * counts as no match and adds one to the scratch's count of them. */
bool tw_regex_match(const tw_regex *re, tw_str subject, tw_regex_scratch *scratch);
/* Matches cut by PCRE2's limits on this scratch so far. */
uint64_t tw_regex_scratch_limits(const tw_regex_scratch *scratch);

#endif
