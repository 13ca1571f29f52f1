/* rules_never: warnings about detection rules over CloudTrail that can never match a CloudTrail
 * record, though they load and run: a test that no record can pass (null or `exists: false` on
 * a field every accepted record has, '' on one that is never empty, a network, number, boolean
 * or field reference on a field that CloudTrail writes as an object) in a place where the
 * condition needs it. Such a rule is most often a mistake or a rule written for another log
 * schema; `rules check` names it, replay runs it all the same.
 *
 * The condition is judged in three values (never, always, maybe) from what each value test
 * can be on any record; `not` of never is always. Only certainties are reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"
#include "tw_array.h"

typedef enum verdict { V_MAYBE = 0, V_NEVER, V_ALWAYS } verdict;

/* Fields every record that becomes an event has, as non-empty strings (ingest_normalize
 * rejects a record without them). */
static const char *const always_fields[] = { "eventName", "eventSource", "eventTime", NULL };
/* Fields CloudTrail writes as objects (or arrays of them), or null. */
static const char *const object_fields[] = {
    "userIdentity",
    "userIdentity.sessionContext",
    "userIdentity.sessionContext.sessionIssuer",
    "userIdentity.sessionContext.attributes",
    "userIdentity.sessionContext.webIdFederationData",
    "userIdentity.onBehalfOf",
    "userIdentity.webIdFederationData",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
    "tlsDetails",
    "edgeDeviceDetails",
    "insightDetails",
    "resources",
    NULL,
};

static bool in_list(const char *name, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(name, list[i]))
            return true;
    return false;
}

typedef struct why {
    const tw_rule_value *value; /* the first test found that never holds */
    const tw_rule_match *match;
    const char *reason;
} why;

/* The test as a rule writes it, for messages: "null", "''", "exists: false", the value. */
static void value_words(const tw_rule_value *v, char *out, size_t size)
{
    if (v->op == TW_MATCH_NULL)
        snprintf(out, size, "null");
    else if (v->op == TW_MATCH_EXISTS)
        snprintf(out, size, "%s", v->boolean ? "true" : "false");
    else if (v->op == TW_MATCH_FIELDREF && v->ref)
        snprintf(out, size, "%s", v->ref->name);
    else if (v->text.len == 0)
        snprintf(out, size, "''");
    else
        snprintf(out, size, "%.*s", (int)(v->text.len > 80 ? 80 : v->text.len), v->text.p);
}

static verdict value_verdict(const tw_rule_match *m, const tw_rule_value *v, why *w)
{
    const tw_field *f = m->field;
    if (f->kind != TW_FIELD_RECORD)
        return V_MAYBE;
    const char *reason = NULL;
    verdict out = V_MAYBE;
    if (in_list(f->name, always_fields)) {
        if (v->op == TW_MATCH_NULL || (v->op == TW_MATCH_EXISTS && !v->boolean))
            reason = "every CloudTrail record has this field", out = V_NEVER;
        else if (v->op == TW_MATCH_EQ && v->text.len == 0)
            reason = "this field is never empty in a CloudTrail record", out = V_NEVER;
        else if (v->op == TW_MATCH_EXISTS && v->boolean)
            out = V_ALWAYS;
    } else if (in_list(f->name, object_fields)) {
        if (v->op == TW_MATCH_CIDR || v->op == TW_MATCH_NUMBER || v->op == TW_MATCH_BOOL ||
            v->op == TW_MATCH_FIELDREF)
            reason = "CloudTrail writes this field as an object", out = V_NEVER;
    }
    if (out == V_NEVER && !w->value) {
        w->value = v;
        w->match = m;
        w->reason = reason;
    }
    return out;
}

static verdict match_verdict(const tw_rule_match *m, why *w)
{
    uint32_t never = 0, always = 0;
    for (uint32_t i = 0; i < m->n_values; i++) {
        verdict v = value_verdict(m, &m->values[i], w);
        never += v == V_NEVER;
        always += v == V_ALWAYS;
    }
    if (m->all)
        return never ? V_NEVER : always == m->n_values ? V_ALWAYS : V_MAYBE;
    return always ? V_ALWAYS : never == m->n_values ? V_NEVER : V_MAYBE;
}

static verdict selection_verdict(const tw_rule_selection *s, why *w)
{
    uint32_t never = 0;
    bool always = false;
    for (uint32_t g = 0; g < s->n_groups; g++) {
        const tw_rule_group *grp = &s->groups[g];
        uint32_t n_always = 0;
        bool gnever = false;
        for (uint32_t k = 0; k < grp->n_matches; k++) {
            verdict v = match_verdict(&grp->matches[k], w);
            gnever |= v == V_NEVER;
            n_always += v == V_ALWAYS;
        }
        never += gnever;
        always |= !gnever && n_always == grp->n_matches;
    }
    return always ? V_ALWAYS : never == s->n_groups ? V_NEVER : V_MAYBE;
}

static verdict cond_verdict(const tw_rule *rule, const tw_cond *c, why *w)
{
    switch (c->op) {
    case TW_COND_SEL:
        return selection_verdict(&rule->selections[c->sel], w);
    case TW_COND_NOT: {
        /* a `not` over a test that never holds hides it: its reasons are not the rule's */
        why inner = { 0 };
        verdict v = cond_verdict(rule, c->kids[0], &inner);
        return v == V_NEVER ? V_ALWAYS : v == V_ALWAYS ? V_NEVER : V_MAYBE;
    }
    case TW_COND_AND:
    case TW_COND_OR: {
        bool is_and = c->op == TW_COND_AND;
        uint32_t hits = 0; /* kids that decide: never for AND, always for OR */
        uint32_t others = 0;
        for (uint32_t i = 0; i < c->n_kids; i++) {
            verdict v = cond_verdict(rule, c->kids[i], w);
            hits += v == (is_and ? V_NEVER : V_ALWAYS);
            others += v == (is_and ? V_ALWAYS : V_NEVER);
        }
        if (hits)
            return is_and ? V_NEVER : V_ALWAYS;
        return others == c->n_kids ? (is_and ? V_ALWAYS : V_NEVER) : V_MAYBE;
    }
    }
    return V_MAYBE;
}

static void add_warning(tw_ruleset *rs, const char *text)
{
    char *copy = strdup(text);
    if (!copy || !tw_array_grow((void **)&rs->warnings, &rs->cap_warnings, rs->n_warnings,
                                sizeof *rs->warnings)) {
        free(copy);
        rs->nomem = true;
        return;
    }
    rs->warnings[rs->n_warnings++] = copy;
}

void rules_never_check(tw_ruleset *rs)
{
    for (size_t i = 0; i < rs->n_rules; i++) {
        const tw_rule *rule = rs->rules[i];
        if (rule->source != TW_SOURCE_CLOUDTRAIL || !rule->condition)
            continue;
        why w = { 0 };
        if (cond_verdict(rule, rule->condition, &w) != V_NEVER)
            continue;
        char text[1024], words[96];
        if (w.value) {
            value_words(w.value, words, sizeof words);
            snprintf(text, sizeof text,
                     "%s:%u: warning: rule %s can never match a CloudTrail record: '%s: %s' "
                     "never holds (%s)",
                     rule->file, w.value->line ? w.value->line : w.match->line, rule->id,
                     w.match->key, words, w.reason);
        } else {
            snprintf(text, sizeof text,
                     "%s:%u: warning: rule %s can never match a CloudTrail record: its "
                     "condition holds on no record",
                     rule->file, rule->condition_line, rule->id);
        }
        add_warning(rs, text);
    }
}

size_t tw_ruleset_warning_count(const tw_ruleset *rs)
{
    return rs->n_warnings;
}

const char *tw_ruleset_warning(const tw_ruleset *rs, size_t i)
{
    return i < rs->n_warnings ? rs->warnings[i] : NULL;
}
