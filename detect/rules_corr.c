/* rules_corr: the `correlation:` block. Sigma's four types (event_count, value_count,
 * temporal, temporal_ordered) and trailwarden's three extensions (baseline_then_trigger,
 * first_seen, quiet_then_trigger), each with the keys its row in the kinds' table says it
 * takes (rules_corr_kind.h) and no other. What names other rules or fields is
 * kept as written and resolved by rules_corr_link once every file is loaded: a correlation
 * may use rules of other files, and the fields it groups by are checked against the log
 * sources of the rules it uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_corr_kind.h"

typedef struct rules_corr_pending {
    uint32_t *rule_lines;
    uint32_t n_group;
    const char **group_names;
    uint32_t *group_lines;
    const char *field_name;
    uint32_t field_line;
    uint32_t trigger_line;
} rules_corr_pending;

/* The kinds' names as a rule writes them, in enum order (NULL-terminated), and as a list. */
static void type_names(const char *names[TW_CORR_TYPE_COUNT_ + 1])
{
    for (int t = 0; t < TW_CORR_TYPE_COUNT_; t++)
        names[t] = rules_corr_kind((tw_corr_type)t)->name;
    names[TW_CORR_TYPE_COUNT_] = NULL;
}

static const char *type_list(char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int t = 0; t < TW_CORR_TYPE_COUNT_ && len < size; t++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", t ? ", " : "",
                                rules_corr_kind((tw_corr_type)t)->name);
    return buf;
}

static const char *const key_names[] = {
    "type",  "rules",    "group-by", "timespan", "condition", "generate",
    "field", "baseline", "trigger",  "aliases",  "quiet",     NULL,
};

static unsigned key_bit(const char *key)
{
    for (unsigned i = 0; key_names[i]; i++)
        if (!strcmp(key, key_names[i]))
            return 1u << i;
    return 0;
}

/* A list of strings (each a scalar), none twice; NULL after a diagnostic. */
static const char **string_list(rules_ctx *ctx, const yn *node, const char *what, uint32_t **lines,
                                uint32_t *n)
{
    *n = 0; /* also when the key was given twice and the first one loaded */
    if (node->type != YN_SEQ) {
        rules_diag(ctx, node->line, "correlation: '%s' must be a list, not %s", what,
                   yn_describe(node));
        return NULL;
    }
    if (node->n == 0) {
        rules_diag(ctx, node->line, "correlation: '%s' is an empty list", what);
        return NULL;
    }
    if (node->n > 256) {
        rules_diag(ctx, node->line, "correlation: '%s' holds more than 256 names", what);
        return NULL;
    }
    const char **v = rules_alloc(ctx, node->n * sizeof *v);
    *lines = rules_alloc(ctx, node->n * sizeof **lines);
    if (!v || !*lines)
        return NULL;
    bool ok = true;
    for (uint32_t i = 0; i < node->n; i++) {
        const yn *item = node->kids[i];
        (*lines)[i] = item->line;
        if (item->type != YN_SCALAR || yn_resolve(item, NULL, NULL) == YS_NULL) {
            rules_diag(ctx, item->line, "correlation: '%s' holds names, not %s", what,
                       yn_describe(item));
            ok = false;
            continue;
        }
        v[i] = rules_strdup(ctx, item->text, item->len);
        for (uint32_t j = 0; j < i; j++)
            if (v[j] && !strcmp(v[j], v[i]))
                rules_diag(ctx, item->line, "correlation: '%s' names '%s' twice", what, v[i]);
    }
    *n = ok ? node->n : 0;
    return ok ? v : NULL; /* a name given twice marks the rule, but the names still link */
}

/* {gt|gte|lt|lte|eq: N} (several make a range), and value_count's `field`. */
static bool load_condition(rules_ctx *ctx, const yn *node, tw_corr *corr, rules_corr_pending *pd)
{
    if (node->type != YN_MAP || node->n == 0) {
        rules_diag(ctx, node->line,
                   "correlation: 'condition' must be a map of gt, gte, lt, lte or eq to a number");
        return false;
    }
    static const char *const ops[] = { "gt", "gte", "lt", "lte", "eq", "field", NULL };
    bool ok = true, seen[5] = { false };
    uint64_t val[5] = { 0 };
    for (uint32_t i = 0; i < node->n; i++) {
        const yn *key = node->kids[2 * i], *value = node->kids[2 * i + 1];
        if (key->type != YN_SCALAR)
            continue;
        int op = -1;
        for (int k = 0; ops[k]; k++)
            if (!strcmp(key->text, ops[k]))
                op = k;
        if (op == 5) {
            if (corr->type != TW_CORR_VALUE_COUNT) {
                rules_diag(ctx, key->line,
                           "correlation: 'field' in the condition is for value_count only");
                ok = false;
            } else if (pd->field_name) {
                rules_diag(ctx, key->line, "correlation: 'field' given twice");
                ok = false;
            } else if ((pd->field_name = rules_get_string(ctx, value, "field"))) {
                pd->field_line = value->line;
            } else {
                ok = false;
            }
            continue;
        }
        if (op < 0) {
            rules_diag_unknown(ctx, key->line, "correlation: unknown condition", "", key->text, ops,
                               "gt, gte, lt, lte, eq");
            ok = false;
            continue;
        }
        seen[op] = rules_get_uint(ctx, value, ops[op], &val[op]);
        ok &= seen[op];
    }
    if (!ok)
        return false;
    enum { GT, GTE, LT, LTE, EQ };
    if ((seen[GT] && seen[GTE]) || (seen[LT] && seen[LTE]) ||
        (seen[EQ] && (seen[GT] || seen[GTE] || seen[LT] || seen[LTE]))) {
        rules_diag(ctx, node->line,
                   "correlation: the condition gives a bound twice (eq stands alone; gt or gte; lt "
                   "or lte)");
        return false;
    }
    if (!seen[GT] && !seen[GTE] && !seen[LT] && !seen[LTE] && !seen[EQ]) {
        rules_diag(ctx, node->line, "correlation: the condition needs gt, gte, lt, lte or eq");
        return false;
    }
    uint64_t min = 0, max = UINT64_MAX;
    if (seen[EQ])
        min = max = val[EQ];
    if (seen[GT])
        min = val[GT] + 1;
    if (seen[GTE])
        min = val[GTE];
    if (seen[LT]) {
        if (val[LT] == 0) {
            rules_diag(ctx, node->line, "correlation: 'lt: 0' can never hold");
            return false;
        }
        max = val[LT] - 1;
    }
    if (seen[LTE])
        max = val[LTE];
    if (min > max) {
        rules_diag(ctx, node->line,
                   "correlation: the condition can never hold (no count is in it)");
        return false;
    }
    corr->has_count = true;
    corr->count_min = min;
    corr->count_max = max;
    return true;
}

static bool load_baseline_map(rules_ctx *ctx, const yn *node, tw_corr *corr)
{
    if (node->type != YN_MAP) {
        rules_diag(ctx, node->line,
                   "correlation: 'baseline' of baseline_then_trigger must be a map (min_events, "
                   "window, classes), not %s",
                   yn_describe(node));
        return false;
    }
    static const char *const keys[] = { "min_events", "window", "classes", NULL };
    bool ok = true, have[3] = { false };
    for (uint32_t i = 0; i < node->n; i++) {
        const yn *key = node->kids[2 * i], *value = node->kids[2 * i + 1];
        if (key->type != YN_SCALAR)
            continue;
        uint64_t n = 0;
        if (!strcmp(key->text, "min_events")) {
            have[0] = true;
            if (!rules_get_uint(ctx, value, "baseline.min_events", &n)) {
                ok = false;
            } else if (n == 0 || n > 1000000) {
                rules_diag(ctx, value->line,
                           "correlation: 'baseline.min_events' must be 1 to 1000000");
                ok = false;
            } else {
                corr->baseline.min_events = (uint32_t)n;
            }
        } else if (!strcmp(key->text, "window")) {
            have[1] = true;
            ok &= rules_get_duration(ctx, value, "baseline.window", &corr->baseline.window_ms);
        } else if (!strcmp(key->text, "classes")) {
            have[2] = true;
            corr->baseline.classes = rules_class_bits(ctx, value, "baseline.classes");
            ok &= corr->baseline.classes != 0;
        } else {
            rules_diag_unknown(ctx, key->line, "correlation: unknown key", "baseline.", key->text,
                               keys, "min_events, window, classes");
            ok = false;
        }
    }
    for (int i = 0; i < 3; i++)
        if (!have[i]) {
            rules_diag(ctx, node->line, "correlation: 'baseline' needs '%s'", keys[i]);
            ok = false;
        }
    return ok;
}

static bool load_trigger(rules_ctx *ctx, const yn *node, tw_corr *corr, rules_corr_pending *pd)
{
    if (node->type != YN_MAP || node->n == 0) {
        rules_diag(ctx, node->line,
                   "correlation: 'trigger' must be a map with 'classes' and/or 'rule', not %s",
                   yn_describe(node));
        return false;
    }
    static const char *const keys[] = { "classes", "rule", NULL };
    bool ok = true;
    for (uint32_t i = 0; i < node->n; i++) {
        const yn *key = node->kids[2 * i], *value = node->kids[2 * i + 1];
        if (key->type != YN_SCALAR)
            continue;
        if (!strcmp(key->text, "classes")) {
            corr->trigger.classes = rules_class_bits(ctx, value, "trigger.classes");
            ok &= corr->trigger.classes != 0;
        } else if (!strcmp(key->text, "rule")) {
            corr->trigger.rule_ref = rules_get_string(ctx, value, "trigger.rule");
            pd->trigger_line = value->line;
            ok &= corr->trigger.rule_ref != NULL;
        } else {
            rules_diag_unknown(ctx, key->line, "correlation: unknown key", "trigger.", key->text,
                               keys, "classes, rule");
            ok = false;
        }
    }
    return ok;
}

const tw_corr *rules_corr_load(rules_ctx *ctx, uint32_t key_line, const yn *node)
{
    if (node->type != YN_MAP) {
        rules_diag(ctx, node->line, "'correlation' must be a map, not %s", yn_describe(node));
        return NULL;
    }
    tw_corr *corr = rules_alloc(ctx, sizeof *corr);
    rules_corr_pending *pd = rules_alloc(ctx, sizeof *pd);
    if (!corr || !pd)
        return NULL;
    corr->line = key_line; /* the line of `correlation:`: where what is missing is reported */
    const yn *type = yn_get(node, "type");
    if (!type) {
        char list[200];
        rules_diag(ctx, key_line, "correlation: missing 'type' (%s)", type_list(list, sizeof list));
        return NULL;
    }
    const char *names[TW_CORR_TYPE_COUNT_ + 1];
    type_names(names);
    int t = -1;
    if (type->type == YN_SCALAR)
        for (int i = 0; names[i]; i++)
            if (!strcmp(type->text, names[i]))
                t = i;
    if (t < 0) {
        char list[200];
        const char *hint = type->type == YN_SCALAR ? rules_suggest(type->text, names) : NULL;
        if (hint)
            rules_diag(ctx, type->line, "correlation: unknown type '%s' (did you mean '%s'?)",
                       type->text, hint);
        else
            rules_diag(ctx, type->line, "correlation: unknown type '%s' (%s)",
                       type->type == YN_SCALAR ? type->text : yn_describe(type),
                       type_list(list, sizeof list));
        return NULL;
    }
    corr->type = (tw_corr_type)t;
    const corr_kind *kind = rules_corr_kind(corr->type);
    unsigned allowed = kind->keys, seen = 0;
    bool ok = true;
    for (uint32_t i = 0; i < node->n; i++) {
        const yn *key = node->kids[2 * i], *value = node->kids[2 * i + 1];
        if (key->type != YN_SCALAR)
            continue;
        unsigned bit = key_bit(key->text);
        if (!bit) {
            rules_diag_unknown(ctx, key->line, "correlation: unknown key", "", key->text, key_names,
                               NULL);
            ok = false;
            continue;
        }
        if (!(allowed & bit)) {
            rules_diag(ctx, key->line, "correlation: '%s' does not apply to type %s", key->text,
                       kind->name);
            ok = false;
            continue;
        }
        seen |= bit;
        switch (bit) {
        case K_TYPE:
            break;
        case K_RULES: {
            uint32_t n = 0;
            corr->rule_refs = string_list(ctx, value, "rules", &pd->rule_lines, &n);
            corr->rules = corr->rule_refs ? rules_alloc(ctx, n * sizeof *corr->rules) : NULL;
            corr->n_rules = corr->rules ? n : 0;
            ok &= corr->rules != NULL;
            break;
        }
        case K_GROUP_BY:
            pd->group_names = string_list(ctx, value, "group-by", &pd->group_lines, &pd->n_group);
            ok &= pd->group_names != NULL;
            break;
        case K_TIMESPAN:
            ok &= rules_get_duration(ctx, value, "timespan", &corr->timespan_ms);
            break;
        case K_CONDITION:
            ok &= load_condition(ctx, value, corr, pd);
            break;
        case K_GENERATE: {
            bool b;
            if (yn_resolve(value, NULL, &b) != YS_BOOL) {
                rules_diag(ctx, value->line, "correlation: 'generate' must be true or false");
                ok = false;
            } else {
                corr->generate = b;
            }
            break;
        }
        case K_FIELD:
            if (pd->field_name) {
                rules_diag(ctx, key->line, "correlation: 'field' given twice");
                ok = false;
            } else if ((pd->field_name = rules_get_string(ctx, value, "field"))) {
                pd->field_line = value->line;
            } else {
                ok = false;
            }
            break;
        case K_BASELINE:
            if (corr->type == TW_CORR_FIRST_SEEN && value->type == YN_SCALAR &&
                (!strcmp(value->text, "0") || !strcmp(value->text, "0s")))
                corr->first_seen_baseline_ms = 0; /* no learning period: the first value fires */
            else if (corr->type == TW_CORR_FIRST_SEEN)
                ok &= rules_get_duration(ctx, value, "baseline", &corr->first_seen_baseline_ms);
            else
                ok &= load_baseline_map(ctx, value, corr);
            break;
        case K_TRIGGER:
            ok &= load_trigger(ctx, value, corr, pd);
            break;
        case K_QUIET:
            ok &= rules_get_duration(ctx, value, "quiet", &corr->quiet_ms);
            break;
        case K_ALIASES:
            rules_diag(ctx, key->line, "correlation: 'aliases' is not supported yet");
            ok = false;
            break;
        }
    }
    unsigned missing = kind->required & ~seen;
    for (unsigned i = 0; key_names[i]; i++)
        if (missing & (1u << i)) {
            rules_diag(ctx, key_line, "correlation: %s needs '%s'", kind->name, key_names[i]);
            ok = false;
        }
    if (corr->type == TW_CORR_VALUE_COUNT && !pd->field_name && (seen & K_CONDITION)) {
        rules_diag(ctx, key_line, "correlation: value_count needs 'field' (in its condition)");
        ok = false;
    }
    if ((corr->type == TW_CORR_TEMPORAL || corr->type == TW_CORR_TEMPORAL_ORDERED) &&
        corr->rule_refs) {
        if (corr->n_rules < 2) {
            rules_diag(ctx, key_line, "correlation: %s needs at least two rules", kind->name);
            ok = false;
        } else if (!corr->has_count) {
            corr->has_count = true; /* all of the rules */
            corr->count_min = corr->n_rules;
            corr->count_max = UINT64_MAX;
        } else if (corr->count_min > corr->n_rules) {
            rules_diag(ctx, key_line,
                       "correlation: the condition can never hold: it has only %u rules",
                       corr->n_rules);
            ok = false;
        }
    }
    (void)ok; /* a problem marks the rule (ctx->bad); what did load is still linked, so that
               * unknown rules and fields are reported too */
    ctx->pending = pd;
    return corr;
}

/* ---- linking, once every file is in ---- */

static void suggest_rule(tw_ruleset *rs, const char *ref, char *out, size_t size)
{
    size_t best = (size_t)-1, len = strlen(ref);
    out[0] = '\0';
    for (size_t i = 0; i < rs->n_entries; i++) {
        const char *cands[2] = { rs->entries[i].rule->id, rs->entries[i].rule->name };
        for (int k = 0; k < 2; k++) {
            if (!cands[k])
                continue;
            size_t d = rules_edit_distance(ref, len, cands[k], strlen(cands[k]));
            size_t tol = len / 4 < 1 ? 1 : len / 4 > 3 ? 3 : len / 4;
            if (d < best && d <= tol) {
                best = d;
                snprintf(out, size, "%s", cands[k]);
            }
        }
    }
}

static const tw_rule *resolve(rules_ctx *ctx, rules_entry *self, const char *ref, uint32_t line,
                              unsigned *sources)
{
    rules_entry *target = rules_lookup(ctx->rs, ref);
    if (!target) {
        char hint[160];
        suggest_rule(ctx->rs, ref, hint, sizeof hint);
        if (hint[0])
            rules_diag(ctx, line, "correlation: unknown rule '%s' (did you mean '%s'?)", ref, hint);
        else
            rules_diag(ctx, line,
                       "correlation: unknown rule '%s' (no loaded rule has this id or name)", ref);
        return NULL;
    }
    if (target == self) {
        rules_diag(ctx, line, "correlation: a rule cannot use itself");
        return NULL;
    }
    target->referenced = true;
    *sources |= rules_source_bits(target->rule->source);
    return target->rule;
}

/* Whether the rules that entry `from` uses reach entry `target` (marks: visited). */
static bool reaches(tw_ruleset *rs, size_t from, size_t target)
{
    rules_entry *e = &rs->entries[from];
    if (e->mark || !e->corr)
        return false;
    e->mark = 1;
    for (uint32_t k = 0; k <= e->corr->n_rules; k++) {
        const tw_rule *next = k < e->corr->n_rules ? e->corr->rules[k] : e->corr->trigger.rule;
        if (next && (next->index == target || reaches(rs, next->index, target)))
            return true;
    }
    return false;
}

void rules_corr_link(tw_ruleset *rs)
{
    for (size_t i = 0; i < rs->n_entries; i++) {
        rules_entry *e = &rs->entries[i];
        if (!e->corr || !e->pending)
            continue;
        tw_corr *corr = e->corr;
        rules_corr_pending *pd = e->pending;
        rules_ctx ctx = { .rs = rs, .file = e->rule->file, .file_index = e->file_index };
        unsigned sources = 0;
        for (uint32_t k = 0; k < corr->n_rules; k++)
            ((const tw_rule **)corr->rules)[k] =
                resolve(&ctx, e, corr->rule_refs[k], pd->rule_lines[k], &sources);
        if (corr->trigger.rule_ref)
            corr->trigger.rule =
                resolve(&ctx, e, corr->trigger.rule_ref, pd->trigger_line, &sources);
        if (!sources)
            sources = RULES_SRC_CLOUDTRAIL | RULES_SRC_BEDROCK;
        if (pd->n_group) {
            const tw_field **group = rules_alloc(&ctx, pd->n_group * sizeof *group);
            if (group) {
                for (uint32_t k = 0; k < pd->n_group; k++)
                    group[k] = rules_field(&ctx, pd->group_names[k], pd->group_lines[k], sources);
                corr->group_by = group;
                corr->n_group_by = pd->n_group;
            }
        }
        if (pd->field_name)
            corr->field = rules_field(&ctx, pd->field_name, pd->field_line, sources);
        if (ctx.bad)
            e->bad = true;
    }
    for (size_t i = 0; i < rs->n_entries; i++) {
        for (size_t k = 0; k < rs->n_entries; k++)
            rs->entries[k].mark = 0;
        rules_entry *e = &rs->entries[i];
        if (e->corr && reaches(rs, i, i)) {
            rules_ctx ctx = { .rs = rs, .file = e->rule->file, .file_index = e->file_index };
            rules_diag(&ctx, e->corr->line,
                       "correlation: '%s' uses itself through the rules it names (a cycle)",
                       e->rule->id ? e->rule->id : e->rule->title);
            e->bad = true;
        }
    }
}

/* The `trailwarden:` keys that need the whole set: level_if's rules (detection rules, so an
 * event's matches say at once), routine_level on first_seen only. */
void rules_ext_link(tw_ruleset *rs)
{
    for (size_t i = 0; i < rs->n_entries; i++) {
        rules_entry *e = &rs->entries[i];
        tw_rule *rule = e->rule;
        rules_ctx ctx = { .rs = rs, .file = rule->file, .file_index = e->file_index };
        if (rule->routine_level && (!e->corr || e->corr->type != TW_CORR_FIRST_SEEN))
            rules_diag(&ctx, rule->line,
                       "trailwarden.routine_level applies to first_seen correlations only (a "
                       "value the identity's baseline already holds)");
        for (uint32_t k = 0; k < rule->n_level_if; k++) {
            tw_level_if *li = (tw_level_if *)&rule->level_if[k];
            rules_entry *target = rules_lookup(rs, li->rule_ref);
            if (!target) {
                char hint[160];
                suggest_rule(rs, li->rule_ref, hint, sizeof hint);
                rules_diag(&ctx, li->line, "trailwarden.level_if: unknown rule '%s'%s%s%s",
                           li->rule_ref, hint[0] ? " (did you mean '" : "", hint,
                           hint[0] ? "'?)" : "");
            } else if (target->corr) {
                rules_diag(&ctx, li->line,
                           "trailwarden.level_if: '%s' is a correlation; name a detection rule",
                           li->rule_ref);
            } else if (target == e) {
                rules_diag(&ctx, li->line, "trailwarden.level_if: a rule cannot name itself");
            } else {
                target->referenced = true;
                li->rule = target->rule;
            }
        }
        if (ctx.bad)
            e->bad = true;
    }
}
