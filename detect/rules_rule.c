/* rules_rule: one YAML document into one rule: Sigma's rule keys (and no others), the log
 * source, the detection (selections, then the condition over them), the correlation, and
 * trailwarden's `trailwarden:` block. Every problem is reported; a rule with one is kept out
 * of the published set but still takes part in the checks across files (ids, references). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"
#include "tw_time.h"

/* ---- helpers shared by the rules_*.c files ---- */

const yn *yn_get(const yn *map, const char *key)
{
    if (!map || map->type != YN_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->n; i++) {
        const yn *k = map->kids[2 * i];
        if (k->type == YN_SCALAR && !strcmp(k->text, key))
            return map->kids[2 * i + 1];
    }
    return NULL;
}

/* Any non-null scalar, as written (`title: 2024` is the string "2024"). */
const char *rules_get_string(rules_ctx *ctx, const yn *node, const char *what)
{
    if (node->type != YN_SCALAR) {
        rules_diag(ctx, node->line, "'%s' must be a string, not %s", what, yn_describe(node));
        return NULL;
    }
    if (yn_resolve(node, NULL, NULL) == YS_NULL) {
        rules_diag(ctx, node->line, "'%s' is empty", what);
        return NULL;
    }
    return rules_strdup(ctx, node->text, node->len);
}

/* Sigma's durations: a number and one of s, m, h, d ("90s", "15m", "24h", "30d"). */
bool rules_get_duration(rules_ctx *ctx, const yn *node, const char *what, int64_t *ms)
{
    if (node->type == YN_SCALAR) {
        size_t digits = strspn(node->text, "0123456789");
        if (digits >= 1 && digits <= 9 && node->len == digits + 1 &&
            strchr("smhd", node->text[digits]) && tw_time_parse_duration(node->text, ms) == TW_OK) {
            if (*ms > 0)
                return true;
            rules_diag(ctx, node->line, "'%s' must be longer than 0", what);
            return false;
        }
    }
    rules_diag(ctx, node->line, "'%s' must be a duration like 90s, 15m, 24h or 30d, not %s%s%s",
               what, node->type == YN_SCALAR ? "'" : "",
               node->type == YN_SCALAR ? node->text : yn_describe(node),
               node->type == YN_SCALAR ? "'" : "");
    return false;
}

bool rules_get_uint(rules_ctx *ctx, const yn *node, const char *what, uint64_t *v)
{
    if (node->type == YN_SCALAR && node->plain && node->len >= 1 && node->len <= 15 &&
        strspn(node->text, "0123456789") == node->len) {
        *v = strtoull(node->text, NULL, 10);
        return true;
    }
    rules_diag(ctx, node->line, "'%s' must be a whole number, not %s%s%s", what,
               node->type == YN_SCALAR ? "'" : "",
               node->type == YN_SCALAR ? node->text : yn_describe(node),
               node->type == YN_SCALAR ? "'" : "");
    return false;
}

/* A non-empty list of names into bits, through lookup; 0 after a diagnostic per bad item. */
static uint32_t name_bits(rules_ctx *ctx, const yn *list, const char *what, const char *noun,
                          const char *nouns, const char *examples, const char *const *names,
                          bool (*lookup)(const char *, uint32_t *))
{
    if (list->type != YN_SEQ || list->n == 0) {
        rules_diag(ctx, list->line, "'%s' must be a list of %s (%s)", what, nouns, examples);
        return 0;
    }
    uint32_t bits = 0;
    bool ok = true;
    for (uint32_t i = 0; i < list->n; i++) {
        const yn *item = list->kids[i];
        uint32_t b;
        if (item->type == YN_SCALAR && lookup(item->text, &b)) {
            bits |= b;
            continue;
        }
        const char *hint = item->type == YN_SCALAR ? rules_suggest(item->text, names) : NULL;
        if (hint)
            rules_diag(ctx, item->line, "'%s': unknown %s '%s' (did you mean '%s'?)", what, noun,
                       item->text, hint);
        else
            rules_diag(ctx, item->line, "'%s': unknown %s %s%s%s", what, noun,
                       item->type == YN_SCALAR ? "'" : "",
                       item->type == YN_SCALAR ? item->text : yn_describe(item),
                       item->type == YN_SCALAR ? "'" : "");
        ok = false;
    }
    return ok ? bits : 0;
}

uint32_t rules_class_bits(rules_ctx *ctx, const yn *list, const char *what)
{
    return name_bits(ctx, list, what, "action class", "action classes", "read, destructive, ...",
                     rules_class_names, rules_class_lookup);
}

static bool one_of(const char *s, const char *const *names, int *index)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(s, names[i])) {
            *index = i;
            return true;
        }
    return false;
}

/* A string from a fixed list; -1 after a diagnostic. */
static int get_enum(rules_ctx *ctx, const yn *node, const char *what, const char *const *names,
                    const char *list)
{
    int i = -1;
    if (node->type == YN_SCALAR && one_of(node->text, names, &i))
        return i;
    const char *hint = node->type == YN_SCALAR ? rules_suggest(node->text, names) : NULL;
    if (hint)
        rules_diag(ctx, node->line, "unknown %s '%s' (did you mean '%s'?)", what, node->text, hint);
    else
        rules_diag(ctx, node->line, "unknown %s %s%s%s (%s)", what,
                   node->type == YN_SCALAR ? "'" : "",
                   node->type == YN_SCALAR ? node->text : yn_describe(node),
                   node->type == YN_SCALAR ? "'" : "", list);
    return -1;
}

/* A list of strings (a single string too, where `single` allows it). */
static const char *const *get_strings(rules_ctx *ctx, const yn *node, const char *what, bool single,
                                      uint32_t *n)
{
    const yn *const *items = (const yn *const *)&node;
    uint32_t count = 1;
    if (node->type == YN_SEQ) {
        items = (const yn *const *)node->kids;
        count = node->n;
    } else if (node->type != YN_SCALAR || !single) {
        rules_diag(ctx, node->line, "'%s' must be a list of strings, not %s", what,
                   yn_describe(node));
        return NULL;
    }
    const char **v = rules_alloc(ctx, (count + 1) * sizeof *v);
    if (!v)
        return NULL;
    bool ok = true;
    for (uint32_t i = 0; i < count; i++) {
        if (items[i]->type != YN_SCALAR || yn_resolve(items[i], NULL, NULL) == YS_NULL) {
            rules_diag(ctx, items[i]->line, "'%s' holds strings, not %s", what,
                       yn_describe(items[i]));
            ok = false;
            continue;
        }
        v[i] = rules_strdup(ctx, items[i]->text, items[i]->len);
    }
    *n = count;
    return ok ? v : NULL;
}

static const char *const level_names[] = {
    "informational", "low", "medium", "high", "critical", NULL,
};
static const tw_severity level_sev[] = {
    TW_SEV_INFO, TW_SEV_LOW, TW_SEV_MEDIUM, TW_SEV_HIGH, TW_SEV_CRITICAL,
};
static const char *const status_names[] = {
    "stable", "test", "experimental", "deprecated", "unsupported", NULL,
};

const char *tw_rule_status_name(tw_rule_status status)
{
    return status >= TW_RULE_STATUS_STABLE && status <= TW_RULE_STATUS_UNSUPPORTED
               ? status_names[status - 1]
               : "";
}

const char *tw_rule_type_name(const tw_rule *rule)
{
    return rule->correlation ? tw_corr_type_name(rule->correlation->type) : "detection";
}

/* ---- identifiers ---- */

static bool is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
            return false;
    }
    return true;
}

/* trailwarden ids and Sigma names: letters, digits, '-', '_', '.', starting with a letter or
 * digit; ids are lower case. */
static bool is_slug(const char *s, bool lower_only)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 ||
        !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9') ||
          (!lower_only && s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  c == '.' || (!lower_only && c >= 'A' && c <= 'Z');
        if (!ok)
            return false;
    }
    return true;
}

static bool is_date(const char *s)
{
    if (strlen(s) != 10 || (s[4] != '-' && s[4] != '/') || s[7] != s[4])
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/* ---- sections ---- */

static bool load_logsource(rules_ctx *ctx, const yn *node, tw_rule *rule)
{
    if (node->type != YN_MAP) {
        rules_diag(ctx, node->line, "'logsource' must be a map (product, service), not %s",
                   yn_describe(node));
        return false;
    }
    static const char *const keys[] = { "product", "service", "category", "definition", NULL };
    bool ok = true, product = false;
    rule->source = TW_SOURCE_CLOUDTRAIL;
    for (uint32_t i = 0; i < node->n; i++) {
        const yn *key = node->kids[2 * i], *value = node->kids[2 * i + 1];
        if (key->type != YN_SCALAR)
            continue;
        int k = -1;
        if (!one_of(key->text, keys, &k)) {
            rules_diag_unknown(ctx, key->line, "unknown key", "logsource.", key->text, keys,
                               "product, service, category");
            ok = false;
            continue;
        }
        const char *s = rules_get_string(ctx, value, key->text);
        if (!s) {
            ok = false;
            continue;
        }
        if (k == 0) {
            product = true;
            if (strcmp(s, "aws")) {
                rules_diag(ctx, value->line, "logsource product '%s' is not supported (aws)", s);
                ok = false;
            }
        } else if (k == 1) {
            if (!strcmp(s, "cloudtrail")) {
                rule->source = TW_SOURCE_CLOUDTRAIL;
            } else if (!strcmp(s, "bedrock")) {
                rule->source = TW_SOURCE_BEDROCK;
            } else {
                rules_diag(ctx, value->line,
                           "logsource service '%s' is not supported (cloudtrail, bedrock)", s);
                ok = false;
            }
        } else if (k == 2) {
            rule->category = s;
        }
    }
    if (!product) {
        rules_diag(ctx, node->line, "logsource needs 'product: aws'");
        ok = false;
    }
    return ok;
}

/* trailwarden.level_if: a list of {rule: ID, level: LEVEL}; the rules are resolved once every
 * file is in (rules_ext_link). */
static bool load_level_if(rules_ctx *ctx, const yn *node, tw_rule *rule)
{
    if (node->type != YN_SEQ || !node->n) {
        rules_diag(ctx, node->line,
                   "trailwarden.level_if must be a list of {rule: ID, level: LEVEL}, not %s",
                   yn_describe(node));
        return false;
    }
    tw_level_if *v = rules_alloc(ctx, node->n * sizeof *v);
    if (!v)
        return false;
    bool ok = true;
    for (uint32_t i = 0; i < node->n; i++) {
        const yn *item = node->kids[i];
        const yn *r = item->type == YN_MAP ? yn_get(item, "rule") : NULL;
        const yn *l = item->type == YN_MAP ? yn_get(item, "level") : NULL;
        if (!r || !l || item->n != 2) {
            rules_diag(ctx, item->line,
                       "trailwarden.level_if: each entry is {rule: ID, level: LEVEL}, no more");
            ok = false;
            continue;
        }
        int lv =
            get_enum(ctx, l, "level", level_names, "informational, low, medium, high, critical");
        v[i].rule_ref = rules_get_string(ctx, r, "trailwarden.level_if rule");
        v[i].line = r->line;
        if (lv < 0 || !v[i].rule_ref)
            ok = false;
        else
            v[i].level = level_sev[lv];
    }
    rule->level_if = v;
    rule->n_level_if = ok ? node->n : 0;
    return ok;
}

static bool load_extensions(rules_ctx *ctx, const yn *node, tw_rule *rule)
{
#define EXT_KEYS                                                             \
    "suppress, denied_level, failed_level, finding_types, kinds, learning, " \
    "history, routine_level, level_if"
    if (node->type != YN_MAP) {
        rules_diag(ctx, node->line, "'trailwarden' must be a map (" EXT_KEYS "), not %s",
                   yn_describe(node));
        return false;
    }
    static const char *const keys[] = {
        "suppress", "denied_level", "finding_types", "failed_level", "kinds",
        "learning", "history",      "routine_level", "level_if",     NULL
    };
    bool ok = true;
    for (uint32_t i = 0; i < node->n; i++) {
        const yn *key = node->kids[2 * i], *value = node->kids[2 * i + 1];
        if (key->type != YN_SCALAR)
            continue;
        int k = -1;
        if (!one_of(key->text, keys, &k)) {
            rules_diag_unknown(ctx, key->line, "unknown key", "trailwarden.", key->text, keys,
                               EXT_KEYS);
            ok = false;
            continue;
        }
        if (k == 0) {
            ok &= rules_get_duration(ctx, value, "trailwarden.suppress", &rule->suppress_ms);
        } else if (k == 1 || k == 3 || k == 7) {
            int lv = get_enum(ctx, value, "level", level_names,
                              "informational, low, medium, high, critical");
            if (lv < 0)
                ok = false;
            else if (k == 1)
                rule->denied_level = level_sev[lv];
            else if (k == 3)
                rule->failed_level = level_sev[lv];
            else
                rule->routine_level = level_sev[lv];
        } else if (k == 5) {
            bool b;
            if (yn_resolve(value, NULL, &b) != YS_BOOL) {
                rules_diag(ctx, value->line, "trailwarden.learning must be true or false, not %s",
                           yn_describe(value));
                ok = false;
            } else {
                rule->learning = b ? TW_LEARNING_ON : TW_LEARNING_OFF;
            }
        } else if (k == 6) {
            ok &= rules_get_duration(ctx, value, "trailwarden.history", &rule->history_ms);
        } else if (k == 8) {
            ok &= load_level_if(ctx, value, rule);
        } else if (k == 4) {
            rule->kinds = name_bits(ctx, value, "trailwarden.kinds", "identity kind",
                                    "identity kinds", "service, aws-service, human, agent, root",
                                    rules_kind_names, rules_kind_lookup);
            ok &= rule->kinds != 0;
        } else {
            uint32_t n = 0;
            const char *const *types =
                get_strings(ctx, value, "trailwarden.finding_types", false, &n);
            if (!types)
                ok = false;
            rule->finding_types = types;
            rule->n_finding_types = types ? n : 0;
        }
    }
    return ok;
}

static bool load_related(rules_ctx *ctx, const yn *node)
{
    static const char *const types[] = {
        "derived", "obsolete", "merged", "renamed", "similar", NULL
    };
    if (node->type != YN_SEQ) {
        rules_diag(ctx, node->line, "'related' must be a list of {id, type}, not %s",
                   yn_describe(node));
        return false;
    }
    bool ok = true;
    for (uint32_t i = 0; i < node->n; i++) {
        const yn *item = node->kids[i];
        if (item->type != YN_MAP) {
            rules_diag(ctx, item->line, "'related' holds maps of id and type, not %s",
                       yn_describe(item));
            ok = false;
            continue;
        }
        bool id = false, type = false;
        for (uint32_t k = 0; k < item->n; k++) {
            const yn *key = item->kids[2 * k], *value = item->kids[2 * k + 1];
            if (key->type != YN_SCALAR)
                continue;
            if (!strcmp(key->text, "id")) {
                id = true;
                ok &= rules_get_string(ctx, value, "related.id") != NULL;
            } else if (!strcmp(key->text, "type")) {
                type = true;
                ok &= get_enum(ctx, value, "related type", types,
                               "derived, obsolete, merged, renamed, similar") >= 0;
            } else {
                rules_diag(ctx, key->line, "unknown key 'related.%s' (id, type)", key->text);
                ok = false;
            }
        }
        if (!id || !type) {
            rules_diag(ctx, item->line, "'related' entries need 'id' and 'type'");
            ok = false;
        }
    }
    return ok;
}

static bool selection_name_ok(rules_ctx *ctx, const yn *key)
{
    static const char *const reserved[] = { "and", "or", "not", "of", "them", "all", "1", NULL };
    int i;
    if (one_of(key->text, reserved, &i)) {
        rules_diag(ctx, key->line, "'%s' cannot name a selection: it is a word of conditions",
                   key->text);
        return false;
    }
    bool ok = key->len > 0 && key->len <= 128;
    for (uint32_t k = 0; k < key->len && ok; k++) {
        char c = key->text[k];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-';
    }
    if (!ok)
        rules_diag(ctx, key->line, "selection name '%s' may only hold letters, digits, '_' and '-'",
                   key->text);
    return ok;
}

static bool load_group(rules_ctx *ctx, const yn *map, unsigned sources, tw_rule_group *group)
{
    group->line = map->line;
    if (map->n == 0) {
        rules_diag(ctx, map->line, "an empty selection");
        return false;
    }
    tw_rule_match *matches = rules_alloc(ctx, map->n * sizeof *matches);
    if (!matches)
        return false;
    bool ok = true;
    uint32_t n = 0;
    for (uint32_t i = 0; i < map->n; i++) {
        const yn *key = map->kids[2 * i], *value = map->kids[2 * i + 1];
        if (key->type != YN_SCALAR) {
            ok = false; /* reported by the YAML layer */
            continue;
        }
        ok &= rules_match_compile(ctx, key, value, sources, &matches[n++]);
    }
    group->matches = matches;
    group->n_matches = n;
    return ok;
}

static bool load_selection(rules_ctx *ctx, const yn *key, const yn *value, unsigned sources,
                           tw_rule_selection *sel)
{
    sel->name = rules_strdup(ctx, key->text, key->len);
    sel->line = key->line;
    if (value->type == YN_MAP) {
        tw_rule_group *group = rules_alloc(ctx, sizeof *group);
        if (!group)
            return false;
        sel->groups = group;
        sel->n_groups = 1;
        return load_group(ctx, value, sources, group);
    }
    if (value->type != YN_SEQ || value->n == 0) {
        rules_diag(ctx, value->line,
                   "selection '%s' must be a map of field: value, or a list of such maps, not %s",
                   key->text, value->type == YN_SEQ ? "an empty list" : yn_describe(value));
        return false;
    }
    tw_rule_group *groups = rules_alloc(ctx, value->n * sizeof *groups);
    if (!groups)
        return false;
    bool ok = true, keywords = false;
    for (uint32_t i = 0; i < value->n; i++) {
        const yn *item = value->kids[i];
        if (item->type == YN_MAP) {
            ok &= load_group(ctx, item, sources, &groups[i]);
        } else if (item->type == YN_SCALAR) {
            if (!keywords)
                rules_diag(ctx, item->line,
                           "selection '%s': keyword lists (bare values without a field) are not "
                           "supported; name a field",
                           key->text);
            keywords = true;
            ok = false;
        } else {
            rules_diag(ctx, item->line, "selection '%s': a list of selections holds maps, not %s",
                       key->text, yn_describe(item));
            ok = false;
        }
    }
    sel->groups = groups;
    sel->n_groups = value->n;
    return ok;
}

static bool load_detection(rules_ctx *ctx, uint32_t key_line, const yn *node, tw_rule *rule)
{
    if (node->type != YN_MAP) {
        rules_diag(ctx, node->line,
                   "'detection' must be a map of selections and a condition, not %s",
                   yn_describe(node));
        return false;
    }
    unsigned sources = rules_source_bits(rule->source);
    tw_rule_selection *sels = rules_alloc(ctx, node->n * sizeof *sels);
    bool *used = calloc(node->n + 1, sizeof *used);
    if (!sels || !used) {
        free(used);
        ctx->rs->nomem = true;
        return false;
    }
    bool ok = true;
    uint32_t n = 0, named = 0;
    const yn *cond = NULL;
    for (uint32_t i = 0; i < node->n; i++) {
        const yn *key = node->kids[2 * i], *value = node->kids[2 * i + 1];
        if (key->type != YN_SCALAR) {
            ok = false;
            continue;
        }
        if (!strcmp(key->text, "condition")) {
            cond = value;
            rule->condition_line = value->line;
            continue;
        }
        if (!strcmp(key->text, "timeframe")) {
            rules_diag(ctx, key->line,
                       "'timeframe' is not supported: write a correlation rule with a timespan");
            ok = false;
            continue;
        }
        named++;
        if (!selection_name_ok(ctx, key)) {
            ok = false;
            continue;
        }
        ok &= load_selection(ctx, key, value, sources, &sels[n++]);
    }
    rule->selections = sels;
    rule->n_selections = n;
    if (!cond) {
        rules_diag(ctx, key_line, "detection needs a 'condition'");
        free(used);
        return false;
    }
    if (named == 0)
        rules_diag(ctx, key_line, "detection needs at least one selection");
    if (n == 0) {
        free(used);
        return false;
    }
    bool cond_ok = true;
    if (cond->type == YN_SCALAR && yn_resolve(cond, NULL, NULL) == YS_STRING) {
        rule->condition = rules_cond_parse(ctx, cond->text, cond->line, sels, n, used);
        cond_ok = rule->condition != NULL;
    } else if (cond->type == YN_SEQ && cond->n > 0) {
        /* a list of conditions: any of them */
        const tw_cond **kids = rules_alloc(ctx, cond->n * sizeof *kids);
        tw_cond *any = rules_alloc(ctx, sizeof *any);
        for (uint32_t i = 0; kids && any && i < cond->n; i++) {
            const yn *item = cond->kids[i];
            if (item->type != YN_SCALAR || yn_resolve(item, NULL, NULL) != YS_STRING) {
                rules_diag(ctx, item->line, "a list of conditions holds strings, not %s",
                           yn_describe(item));
                cond_ok = false;
                continue;
            }
            kids[i] = rules_cond_parse(ctx, item->text, item->line, sels, n, used);
            cond_ok &= kids[i] != NULL;
        }
        if (cond_ok && kids && any) {
            any->op = TW_COND_OR;
            any->kids = kids;
            any->n_kids = cond->n;
            rule->condition = cond->n == 1 ? kids[0] : any;
        }
    } else {
        rules_diag(ctx, cond->line, "'condition' must be a string or a list of strings, not %s",
                   cond->type == YN_SEQ ? "an empty list" : yn_describe(cond));
        cond_ok = false;
    }
    /* Only when the condition parsed: otherwise every selection would look unused. */
    if (cond_ok)
        for (uint32_t i = 0; i < n; i++)
            if (!used[i]) {
                rules_diag(ctx, sels[i].line, "selection '%s' is not used in the condition",
                           sels[i].name);
                ok = false;
            }
    free(used);
    return ok && cond_ok;
}

/* ---- the rule ---- */

enum {
    R_TITLE,
    R_ID,
    R_NAME,
    R_STATUS,
    R_LEVEL,
    R_DESCRIPTION,
    R_AUTHOR,
    R_DATE,
    R_MODIFIED,
    R_REFERENCES,
    R_TAGS,
    R_FALSEPOSITIVES,
    R_FIELDS,
    R_RELATED,
    R_LICENSE,
    R_TAXONOMY,
    R_LOGSOURCE,
    R_DETECTION,
    R_CORRELATION,
    R_TRAILWARDEN,
    R_COUNT
};
static const char *const rule_keys[] = {
    "title",   "id",       "name",       "status",    "level",          "description", "author",
    "date",    "modified", "references", "tags",      "falsepositives", "fields",      "related",
    "license", "taxonomy", "logsource",  "detection", "correlation",    "trailwarden", NULL,
};

void rules_rule_load(rules_ctx *ctx, const yn *doc)
{
    ctx->bad = ctx->yaml_bad;
    ctx->pending = NULL;
    if (doc->type != YN_MAP) {
        rules_diag(ctx, doc->line, "a rule must be a map of keys (title, id, level, ...), not %s",
                   yn_describe(doc));
        return;
    }
    tw_rule *rule = rules_alloc(ctx, sizeof *rule);
    if (!rule)
        return;
    rule->file = ctx->file;
    rule->line = doc->line;
    const yn *at[R_COUNT] = { NULL };
    uint32_t key_line[R_COUNT] = { 0 };
    for (uint32_t i = 0; i < doc->n; i++) {
        const yn *key = doc->kids[2 * i];
        if (key->type != YN_SCALAR)
            continue;
        int k = -1;
        if (one_of(key->text, rule_keys, &k)) {
            at[k] = doc->kids[2 * i + 1];
            key_line[k] = key->line;
            continue;
        }
        if (!strcmp(key->text, "action"))
            rules_diag(ctx, key->line,
                       "'action' (Sigma rule collections: global, reset, repeat) is not supported: "
                       "write whole rules");
        else
            rules_diag_unknown(ctx, key->line, "unknown key", "", key->text, rule_keys, NULL);
    }

    uint32_t id_line = 0, name_line = 0;
    if (!at[R_TITLE]) {
        rules_diag(ctx, doc->line, "missing 'title'");
    } else if ((rule->title = rules_get_string(ctx, at[R_TITLE], "title")) &&
               strlen(rule->title) > 256) {
        rules_diag(ctx, at[R_TITLE]->line, "'title' is longer than 256 characters");
    }
    if (!at[R_ID]) {
        rules_diag(ctx, doc->line,
                   "missing 'id' (a UUID, or a rule id like agent-read-to-destructive)");
    } else if ((rule->id = rules_get_string(ctx, at[R_ID], "id"))) {
        id_line = at[R_ID]->line;
        if (!is_uuid(rule->id) && !is_slug(rule->id, true))
            rules_diag(ctx, id_line,
                       "id '%s' must be a UUID, or lower-case letters, digits, '-', '_' and '.'",
                       rule->id);
    }
    if (at[R_NAME] && (rule->name = rules_get_string(ctx, at[R_NAME], "name"))) {
        name_line = at[R_NAME]->line;
        if (!is_uuid(rule->name) && !is_slug(rule->name, false))
            rules_diag(ctx, name_line, "name '%s' may only hold letters, digits, '-', '_' and '.'",
                       rule->name);
    }
    if (at[R_STATUS]) {
        int st = get_enum(ctx, at[R_STATUS], "status", status_names,
                          "stable, test, experimental, deprecated, unsupported");
        rule->status = st < 0 ? TW_RULE_STATUS_NONE : (tw_rule_status)(st + 1);
    }
    if (at[R_LEVEL]) {
        int lv = get_enum(ctx, at[R_LEVEL], "level", level_names,
                          "informational, low, medium, high, critical");
        if (lv >= 0)
            rule->level = level_sev[lv];
    }
    if (at[R_DESCRIPTION])
        rule->description = rules_get_string(ctx, at[R_DESCRIPTION], "description");
    if (at[R_AUTHOR])
        rule->author = rules_get_string(ctx, at[R_AUTHOR], "author");
    if (at[R_LICENSE])
        (void)rules_get_string(ctx, at[R_LICENSE], "license");
    if (at[R_TAXONOMY])
        (void)rules_get_string(ctx, at[R_TAXONOMY], "taxonomy");
    const struct {
        int key;
        const char **out;
    } dates[] = {
        { R_DATE, &rule->date },
        { R_MODIFIED, &rule->modified },
    };
    for (int i = 0; i < 2; i++) {
        const yn *node = at[dates[i].key];
        if (!node)
            continue;
        const char *s = rules_get_string(ctx, node, rule_keys[dates[i].key]);
        if (s && !is_date(s))
            rules_diag(ctx, node->line, "'%s' must be a date like 2026-09-01, not '%s'",
                       rule_keys[dates[i].key], s);
        *dates[i].out = s;
    }
    uint32_t n = 0;
    if (at[R_TAGS]) {
        const char *const *tags = get_strings(ctx, at[R_TAGS], "tags", false, &n);
        for (uint32_t i = 0; tags && i < n; i++)
            if (strpbrk(tags[i], " \t") || !tags[i][0])
                rules_diag(ctx, at[R_TAGS]->kids[i]->line, "tag '%s' holds a blank", tags[i]);
        rule->tags = tags;
        rule->n_tags = tags ? n : 0;
    }
    if (at[R_REFERENCES])
        (void)get_strings(ctx, at[R_REFERENCES], "references", false, &n);
    if (at[R_FALSEPOSITIVES])
        (void)get_strings(ctx, at[R_FALSEPOSITIVES], "falsepositives", true, &n);
    if (at[R_FIELDS])
        (void)get_strings(ctx, at[R_FIELDS], "fields", false, &n);
    if (at[R_RELATED])
        (void)load_related(ctx, at[R_RELATED]);
    if (at[R_TRAILWARDEN])
        (void)load_extensions(ctx, at[R_TRAILWARDEN], rule);

    tw_corr *corr = NULL;
    if (at[R_DETECTION] && at[R_CORRELATION]) {
        rules_diag(ctx, key_line[R_CORRELATION],
                   "a rule has 'detection' or 'correlation', not both");
    } else if (at[R_DETECTION]) {
        if (!at[R_LOGSOURCE])
            rules_diag(ctx, doc->line,
                       "missing 'logsource' (product: aws, service: cloudtrail or bedrock)");
        else
            (void)load_logsource(ctx, at[R_LOGSOURCE], rule);
        if (!at[R_LOGSOURCE] || rule->source == TW_SOURCE_NONE)
            rule->source = TW_SOURCE_CLOUDTRAIL;
        (void)load_detection(ctx, key_line[R_DETECTION], at[R_DETECTION], rule);
    } else if (at[R_CORRELATION]) {
        if (at[R_LOGSOURCE])
            rules_diag(ctx, key_line[R_LOGSOURCE],
                       "a correlation rule has no 'logsource': the rules it uses have theirs");
        rule->source = TW_SOURCE_NONE;
        corr = (tw_corr *)rules_corr_load(ctx, key_line[R_CORRELATION], at[R_CORRELATION]);
        rule->correlation = corr;
    } else {
        rules_diag(
            ctx, doc->line,
            "a rule needs 'detection' (a detection rule) or 'correlation' (a correlation rule)");
    }

    rules_entry *e = rules_entry_add(ctx, rule);
    if (!e)
        return;
    e->bad = ctx->bad;
    e->corr = corr;
    e->pending = corr ? ctx->pending : NULL;
    e->id_line = id_line;
    e->name_line = name_line;
    e->no_level = !at[R_LEVEL];
}
