/* rules_match: see rules_match.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_match.h"

#include "detect_evidence.h"
#include "tw_hash.h"
#include "tw_log.h"

/* ---- evaluation on the parser thread --------------------------------------------------- */

/* The gathering buffer's first size, and the size past which it is given back (gather_room). */
#define GATHER_FIRST 64
#define GATHER_KEEP 4096

struct tw_rules_ctx {
    const tw_rules_rt *rt;
    const tw_policy_reader *pr;
    uint32_t policy_epoch; /* the epoch `policy` was read in */
    tw_call_policy policy; /* the policy the event's call writes (policy.* fields) */
    tw_regex_scratch *scratch;
    tw_arena arena; /* this event's field values and copied strings */
    uint32_t epoch; /* bumped per event: a field's cache entry is valid for one */
    uint32_t *seen; /* per field: the epoch its values were fetched in */
    uint32_t *n_vals;
    const tw_field_value **vals;
    tw_field_value *single; /* per field: the value, when there is exactly one (no arena) */
    uint32_t *candidates;
    uint32_t *if_audit; /* an audit-destination candidate's matches with logging-control */
    /* the event being evaluated */
    const tw_event *ev;
    tw_str raw;    /* the record's JSON text */
    tw_str params; /* its requestParameters: most rule fields live there */
    tw_json *js;
    /* a lookup's values, gathered before they are copied */
    tw_field_value *gather;
    uint32_t n_gather, cap_gather;
    bool failed;
    bool warned_gather; /* a field's values were cut short by a failed allocation: said once */
};

tw_rules_ctx *tw_rules_ctx_new(const tw_rules_rt *rt, const tw_policy_reader *pr)
{
    tw_rules_ctx *cx = calloc(1, sizeof *cx);
    if (!cx)
        return NULL;
    cx->pr = pr;
    size_t n_fields = tw_ruleset_field_count(rt->rs);
    cx->rt = rt;
    cx->scratch = tw_regex_scratch_new();
    cx->seen = calloc(n_fields + 1, sizeof *cx->seen);
    cx->n_vals = calloc(n_fields + 1, sizeof *cx->n_vals);
    cx->vals = calloc(n_fields + 1, sizeof *cx->vals);
    cx->single = calloc(n_fields + 1, sizeof *cx->single);
    cx->candidates = calloc(tw_rules_index_capacity(rt->index) + 1, sizeof *cx->candidates);
    cx->if_audit = calloc(2 * (tw_rules_index_capacity(rt->index) + 1), sizeof *cx->if_audit);
    cx->cap_gather = GATHER_FIRST;
    cx->gather = calloc(cx->cap_gather, sizeof *cx->gather);
    tw_arena_init(&cx->arena, 16384);
    if (!cx->scratch || !cx->seen || !cx->n_vals || !cx->vals || !cx->single || !cx->candidates ||
        !cx->if_audit || !cx->gather) {
        tw_rules_ctx_destroy(cx);
        return NULL;
    }
    return cx;
}

void tw_rules_ctx_destroy(tw_rules_ctx *cx)
{
    if (!cx)
        return;
    tw_regex_scratch_destroy(cx->scratch);
    tw_arena_free(&cx->arena);
    free(cx->seen);
    free(cx->n_vals);
    free(cx->vals);
    free(cx->single);
    free(cx->candidates);
    free(cx->if_audit);
    free(cx->gather);
    free(cx);
}

/* Room for one more gathered value. The buffer grows with the field: a record's values are
 * bounded by its size (a value and its separator take two bytes at least: 512k values for the
 * 1 MiB limit of a record), and a buffer grown past GATHER_KEEP goes back to its first size
 * once the field's values are copied. Only a failed allocation loses values, said once. */
static bool gather_room(tw_rules_ctx *cx)
{
    if (cx->n_gather < cx->cap_gather)
        return true;
    uint32_t cap = cx->cap_gather * 2;
    tw_field_value *grown = cap > cx->cap_gather ? realloc(cx->gather, cap * sizeof *grown) : NULL;
    if (!grown) {
        if (!cx->warned_gather)
            tw_log("rules: out of memory: a field's values beyond %u were not examined",
                   cx->cap_gather);
        cx->warned_gather = cx->failed = true;
        return false;
    }
    cx->gather = grown;
    cx->cap_gather = cap;
    return true;
}

static void gather_value(void *ud, const tw_json_value *v)
{
    tw_rules_ctx *cx = ud;
    if (!gather_room(cx))
        return;
    tw_field_value *fv = &cx->gather[cx->n_gather++];
    memset(fv, 0, sizeof *fv);
    int failed = 0;
    switch (v->type) {
    case TW_JV_NULL:
        fv->type = TW_FV_NULL;
        break;
    case TW_JV_BOOL:
        fv->type = TW_FV_BOOL;
        fv->boolean = v->boolean;
        fv->text = v->text;
        break;
    case TW_JV_NUMBER:
        fv->type = TW_FV_NUMBER;
        fv->number = v->number;
        fv->text = tw_arena_dup(&cx->arena, v->text, &failed); /* the parser reuses its buffer */
        break;
    case TW_JV_STRING:
        fv->type = TW_FV_STRING;
        fv->text = tw_arena_dup(&cx->arena, v->text, &failed);
        break;
    case TW_JV_OBJECT:
    case TW_JV_ARRAY: /* lookups yield an array's elements, never the array */
        fv->type = TW_FV_OBJECT;
        if (v->text.p) /* its compact JSON: what string matchers read */
            fv->text = tw_arena_dup(&cx->arena, v->text, &failed);
        break;
    }
    if (failed)
        cx->failed = true;
}

/* Record fields the normalized event already holds, with the same meaning: *present false
 * when the record has no such key. False when the record's JSON must be read instead (another
 * field; a value the event does not hold, null or of another type). */
static bool event_field(const tw_event *ev, const tw_field *field, tw_str *out, bool *present)
{
    if (field->n_path != 1 || (ev->flags & TW_EV_INVOCATION_LOG))
        return false;
    tw_str k = field->path[0];
    unsigned bit;
    if (tw_str_eq_c(k, "eventName"))
        *out = ev->event_name, bit = TW_EVF_EVENT_NAME;
    else if (tw_str_eq_c(k, "eventSource"))
        *out = ev->event_source, bit = TW_EVF_EVENT_SOURCE;
    else if (tw_str_eq_c(k, "awsRegion"))
        *out = ev->region, bit = TW_EVF_REGION;
    else if (tw_str_eq_c(k, "errorCode"))
        *out = ev->error_code, bit = TW_EVF_ERROR_CODE;
    else if (tw_str_eq_c(k, "sourceIPAddress"))
        *out = ev->source_ip, bit = TW_EVF_SOURCE_IP;
    else if (tw_str_eq_c(k, "userAgent"))
        *out = ev->user_agent, bit = TW_EVF_USER_AGENT;
    else if (tw_str_eq_c(k, "eventID"))
        *out = ev->event_id, bit = TW_EVF_EVENT_ID;
    else
        return false;
    if (ev->odd_fields & bit)
        return false;
    /* "" is a value (Sigma's ''), an absent key none (null) */
    *present = out->len || (ev->str_fields & bit);
    return true;
}

/* A policy.* field's value for the event (false: absent), the call's policy read once. */
static bool policy_value(tw_rules_ctx *cx, tw_field_kind kind, tw_field_value *out)
{
    if (!cx->pr)
        return false;
    if (cx->policy_epoch != cx->epoch) {
        tw_policy_reader_read(cx->pr, cx->js, &cx->arena, cx->ev, cx->params, &cx->policy);
        cx->policy_epoch = cx->epoch;
    }
    const tw_call_policy *cp = &cx->policy;
    bool v;
    if (cp->state == TW_CALL_POLICY_NONE)
        return false;
    if (cp->state == TW_CALL_POLICY_REFUSED) {
        if (kind != TW_FIELD_POLICY_UNREADABLE)
            return false;
        v = true;
    } else {
        const tw_policy_facts *f = &cp->facts;
        switch (kind) {
        case TW_FIELD_POLICY_ALLOWS:
            v = f->allows;
            break;
        case TW_FIELD_POLICY_DENIES_ALL:
            v = f->denies_all;
            break;
        case TW_FIELD_POLICY_PUBLIC:
            v = f->anyone;
            break;
        case TW_FIELD_POLICY_PUBLIC_RESTRICTED:
            v = f->anyone_restricted;
            break;
        case TW_FIELD_POLICY_AWS_PRINCIPAL:
            v = f->aws_principal;
            break;
        case TW_FIELD_POLICY_WHOLE_ACCOUNT:
            v = f->whole_account;
            break;
        case TW_FIELD_POLICY_OTHER_ACCOUNT:
            v = f->other_account;
            break;
        case TW_FIELD_POLICY_SERVICE:
            v = f->service_principal;
            break;
        case TW_FIELD_POLICY_FEDERATED:
            v = f->federated;
            break;
        case TW_FIELD_POLICY_PRIVILEGED:
            v = cp->privileged;
            break;
        case TW_FIELD_POLICY_ADMIN:
            v = cp->admin;
            break;
        default:
            v = false;
            break; /* unreadable: it was read */
        }
    }
    memset(out, 0, sizeof *out);
    out->type = TW_FV_BOOL;
    out->boolean = v;
    out->text = v ? TW_STR_LIT("true") : TW_STR_LIT("false");
    return true;
}

static uint32_t source_get(void *ctx, const tw_field *field, const tw_field_value **values)
{
    tw_rules_ctx *cx = ctx;
    uint32_t i = field->index;
    if (cx->seen[i] == cx->epoch) {
        *values = cx->vals[i];
        return cx->n_vals[i];
    }
    const tw_event *ev = cx->ev;
    tw_field_value one;
    memset(&one, 0, sizeof one);
    cx->n_gather = 0;
    tw_str s;
    bool present;
    switch (field->kind) {
    case TW_FIELD_ACTION:
        one.type = TW_FV_STRING;
        one.text = ev->action;
        cx->gather[cx->n_gather++] = one;
        break;
    case TW_FIELD_IDENTITY_KEY:
        one.type = TW_FV_STRING;
        one.text = ev->identity;
        cx->gather[cx->n_gather++] = one;
        break;
    case TW_FIELD_ACTION_LEVEL:
        one.type = TW_FV_BITS;
        one.bits = ev->level;
        cx->gather[cx->n_gather++] = one;
        break;
    case TW_FIELD_ACTION_CLASS:
        one.type = TW_FV_BITS;
        one.bits = ev->classes;
        cx->gather[cx->n_gather++] = one;
        break;
    case TW_FIELD_IDENTITY_KIND:
        one.type = TW_FV_BITS;
        one.bits = 1u << ev->kind;
        cx->gather[cx->n_gather++] = one;
        break;
    case TW_FIELD_ERROR_DENIED:
    case TW_FIELD_CALL_ON_BEHALF:
        one.type = TW_FV_BOOL;
        one.boolean = (ev->flags & (field->kind == TW_FIELD_ERROR_DENIED ? TW_EV_DENIED
                                                                         : TW_EV_ON_BEHALF)) != 0;
        one.text = one.boolean ? TW_STR_LIT("true") : TW_STR_LIT("false");
        cx->gather[cx->n_gather++] = one;
        break;
    default:
        if (tw_field_is_policy(field->kind) && policy_value(cx, field->kind, &one))
            cx->gather[cx->n_gather++] = one;
        break;
    case TW_FIELD_RECORD:
        if (event_field(ev, field, &s, &present)) {
            if (present) {
                one.type = TW_FV_STRING;
                one.text = s;
                cx->gather[cx->n_gather++] = one;
            }
        } else if (field->n_path > 1 && tw_str_eq_c(field->path[0], "requestParameters")) {
            /* a few hundred bytes to parse rather than the whole record */
            if (cx->params.len)
                tw_json_lookup(cx->js, cx->params.p, cx->params.len,
                               cx->params.len + TW_JSON_PADDING, field->path + 1, field->n_path - 1,
                               gather_value, cx);
        } else if (cx->raw.len) {
            tw_json_lookup(cx->js, cx->raw.p, cx->raw.len, cx->raw.len + TW_JSON_PADDING,
                           field->path, field->n_path, gather_value, cx);
        }
        break;
    }
    tw_field_value *kept = NULL;
    if (cx->n_gather == 1) {
        kept = &cx->single[i];
        *kept = cx->gather[0];
    } else if (cx->n_gather) {
        kept = tw_arena_alloc(&cx->arena, cx->n_gather * sizeof *kept);
        if (kept)
            memcpy(kept, cx->gather, cx->n_gather * sizeof *kept);
        else
            cx->failed = true;
    }
    if (cx->cap_gather > GATHER_KEEP) {
        tw_field_value *small = realloc(cx->gather, GATHER_FIRST * sizeof *small);
        if (small) {
            cx->gather = small;
            cx->cap_gather = GATHER_FIRST;
        }
    }
    cx->seen[i] = cx->epoch;
    cx->vals[i] = kept;
    cx->n_vals[i] = kept ? cx->n_gather : 0;
    *values = kept;
    return cx->n_vals[i];
}

/* Whether the event feeds correlation rule c: it matched a detection rule that c names,
 * directly or through the correlations c names (or c reads every event). */
bool tw_rules_feeds(const tw_rules_rt *rt, const tw_event *ev, uint32_t c)
{
    const tw_corr_plan *plan = &rt->plan[c];
    if (plan->every_event || plan->deps_every)
        return true;
    for (uint32_t k = 0; k < ev->n_rules; k++)
        if (plan->deps[ev->rules[k] / 64] & (1ull << (ev->rules[k] % 64)))
            return true;
    return false;
}

uint64_t tw_rules_value_hash(const tw_field_value *v)
{
    if (v->type == TW_FV_BITS)
        return tw_hash_mix(v->bits);
    return tw_hash64_lower(v->text.p, v->text.len, 0x7661);
}

uint32_t tw_rules_corr_values(const tw_rules_rt *rt, const tw_event *ev, const tw_field_source *src,
                              tw_arena *arena, tw_corr_value *out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t v = 0; v < rt->n_field_corrs && n < cap; v++) {
        uint32_t c = rt->field_corrs[v];
        if (!tw_rules_feeds(rt, ev, c))
            continue;
        const tw_corr *corr = tw_ruleset_rule(rt->rs, c)->correlation;
        tw_corr_value cv = { .rule = c };
        const tw_field_value *vals;
        uint64_t group = 0;
        for (uint32_t g = 0; g < corr->n_group_by; g++) {
            const tw_field *f = corr->group_by[g];
            if (f->kind == TW_FIELD_IDENTITY_KEY)
                continue;
            uint64_t h = src->get(src->ctx, f, &vals) ? tw_rules_value_hash(&vals[0]) : 0x9e37;
            group = tw_hash_mix(group ^ h ^ g);
        }
        cv.group = group;
        if (corr->field && src->get(src->ctx, corr->field, &vals)) {
            cv.has_value = true;
            cv.hash = tw_rules_value_hash(&vals[0]);
            if (vals[0].type == TW_FV_STRING || vals[0].type == TW_FV_NUMBER) {
                if (!arena) {
                    cv.text = vals[0].text;
                } else {
                    char *text = tw_arena_alloc(arena, vals[0].text.len + 1);
                    if (text) {
                        memcpy(text, vals[0].text.p, vals[0].text.len);
                        cv.text = (tw_str){ text, vals[0].text.len };
                    }
                }
            }
        }
        out[n++] = cv;
    }
    return n;
}

/* The correlation values of the event (tw_rules_corr_values), kept in the batch's arena. */
static void collect_corr_values(tw_rules_ctx *cx, tw_event *ev, const tw_field_source *src,
                                tw_arena *arena)
{
    tw_corr_value found[32];
    uint32_t n = tw_rules_corr_values(cx->rt, ev, src, arena, found, 32);
    if (!n)
        return;
    tw_corr_value *keep = tw_arena_alloc(arena, n * sizeof *keep);
    if (!keep)
        return;
    memcpy(keep, found, n * sizeof *keep);
    ev->corr_values = keep;
    ev->n_corr_values = n;
}

/* A new epoch: every field's cached values are fetched again. */
/* Whether rule i holds for the event; an evaluation cut by PCRE2's limits is counted for
 * the rule and named once a rule on stderr (it counts as no match). */
static bool rule_holds(tw_rules_ctx *cx, uint32_t i, const tw_field_source *src)
{
    const tw_rules_rt *rt = cx->rt;
    uint64_t before = tw_regex_scratch_limits(cx->scratch);
    bool hold = tw_rules_eval_rule(rt->eval, tw_ruleset_rule(rt->rs, i), src, cx->scratch);
    if (tw_regex_scratch_limits(cx->scratch) != before &&
        atomic_fetch_add_explicit(&rt->match_limit[i], 1, memory_order_relaxed) == 0) {
        const char *id = tw_ruleset_rule(rt->rs, i)->id;
        tw_log("rule %s: a regular expression hit PCRE2's match limit; such an "
               "event counts as not matching (rules.match_limit.%s in --stats counts them)",
               id, id);
    }
    return hold;
}

static void next_epoch(tw_rules_ctx *cx)
{
    if (++cx->epoch == 0) {
        memset(cx->seen, 0, (tw_ruleset_field_count(cx->rt->rs) + 1) * sizeof *cx->seen);
        cx->epoch = 1;
    }
}

/* Copies n rule indices into the batch's arena (NULL when out of memory: the matches are lost
 * for this event, nothing else). */
static const uint32_t *keep_rules(tw_arena *arena, const uint32_t *rules, uint32_t n)
{
    uint32_t *keep = tw_arena_alloc(arena, n * sizeof *keep);
    if (keep)
        memcpy(keep, rules, n * sizeof *keep);
    return keep;
}

/* The sorted union of two ascending lists into out; its length. */
static uint32_t rules_union(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb,
                            uint32_t *out)
{
    uint32_t i = 0, j = 0, n = 0;
    while (i < na || j < nb) {
        if (j == nb || (i < na && a[i] < b[j]))
            out[n++] = a[i++];
        else if (i == na || b[j] < a[i])
            out[n++] = b[j++];
        else
            out[n++] = a[i++], j++;
    }
    return n;
}

void tw_rules_hook(void *ud, tw_event *ev, const tw_raw_record *rec, tw_json *js, tw_arena *arena)
{
    tw_rules_ctx *cx = ud;
    const tw_rules_rt *rt = cx->rt;
    uint32_t n = tw_rules_index_lookup_event(rt->index, ev, rec->raw, cx->candidates, NULL);
    if (!n && !rt->n_field_corrs)
        return;
    next_epoch(cx);
    tw_arena_reset(&cx->arena);
    cx->ev = ev;
    cx->raw = rec->raw;
    cx->params = rec->request_params;
    cx->js = js;
    const tw_field_source src = { source_get, cx, ev };
    /* a deletion of a log group or bucket that the stream may have named an audit
     * destination: what it matches as logging-control too, for the router to choose */
    uint32_t n_audit = 0;
    if (ev->flags & TW_EV_AUDIT_CANDIDATE) {
        uint32_t classes = ev->classes;
        ev->classes |= TW_CLASS_LOGGING_CONTROL;
        for (uint32_t k = 0; k < n; k++)
            if (rule_holds(cx, cx->candidates[k], &src))
                cx->if_audit[n_audit++] = cx->candidates[k];
        ev->classes = classes;
        next_epoch(cx); /* action.class was read with the class added */
        if (n_audit && !(ev->rules_if_audit = keep_rules(arena, cx->if_audit, n_audit)))
            n_audit = 0;
        ev->n_rules_if_audit = n_audit;
    }
    uint32_t matched = 0;
    for (uint32_t k = 0; k < n; k++)
        if (rule_holds(cx, cx->candidates[k], &src))
            cx->candidates[matched++] = cx->candidates[k];
    if (matched) {
        if (!(ev->rules = keep_rules(arena, cx->candidates, matched)))
            return;
        ev->n_rules = matched;
    }
    if (!rt->n_field_corrs)
        return;
    if (n_audit) {
        /* the values of the correlations either choice feeds (a value for one it ends up
         * not feeding is never looked at) */
        const uint32_t *rules = ev->rules;
        uint32_t n_rules = ev->n_rules;
        uint32_t *both = cx->if_audit + n_audit;
        ev->rules = both;
        ev->n_rules = rules_union(rules, n_rules, cx->if_audit, n_audit, both);
        collect_corr_values(cx, ev, &src, arena);
        ev->rules = rules;
        ev->n_rules = n_rules;
    } else {
        collect_corr_values(cx, ev, &src, arena);
    }
}
