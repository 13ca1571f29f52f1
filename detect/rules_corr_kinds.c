/* rules_corr_kinds: the table of correlation kinds (rules_corr_kind.h), and what the kinds
 * share. */
#include "rules_corr_kind.h"

static const corr_kind *const kinds[] = {
    [TW_CORR_EVENT_COUNT] = &rules_corr_event_count,
    [TW_CORR_VALUE_COUNT] = &rules_corr_value_count,
    [TW_CORR_TEMPORAL] = &rules_corr_temporal,
    [TW_CORR_TEMPORAL_ORDERED] = &rules_corr_temporal_ordered,
    [TW_CORR_BASELINE_THEN_TRIGGER] = &rules_corr_baseline_then_trigger,
    [TW_CORR_FIRST_SEEN] = &rules_corr_first_seen,
    [TW_CORR_QUIET_THEN_TRIGGER] = &rules_corr_quiet_then_trigger,
};

const corr_kind *rules_corr_kind(tw_corr_type type)
{
    return (unsigned)type < sizeof kinds / sizeof kinds[0] ? kinds[type] : NULL;
}

const char *tw_corr_type_name(tw_corr_type type)
{
    const corr_kind *k = rules_corr_kind(type);
    return k ? k->name : "?";
}

bool rules_event_matched(const tw_event *ev, const tw_rule *rule)
{
    for (uint32_t k = 0; k < ev->n_rules; k++)
        if (ev->rules[k] == rule->index)
            return true;
    return false;
}

bool rules_matched(const corr_event *ce, const tw_rule *rule)
{
    if (rule->correlation)
        return (ce->held[rule->index / 64] >> (rule->index % 64)) & 1u;
    return rules_event_matched(ce->ev, rule);
}

bool rules_any_matched(const corr_event *ce, const tw_corr *corr)
{
    for (uint32_t k = 0; k < corr->n_rules; k++)
        if (rules_matched(ce, corr->rules[k]))
            return true;
    return false;
}

/* "90s", "15m", "24h", "7d": the largest unit that divides the duration. */
const char *rules_duration_text(int64_t ms, char *buf, size_t size)
{
    static const struct {
        int64_t ms;
        char unit;
    } units[] = {
        { 86400000, 'd' },
        { 3600000, 'h' },
        { 60000, 'm' },
        { 1000, 's' },
    };
    if (ms == 0)
        return "0s";
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms >= units[i].ms && ms % units[i].ms == 0 && (i || ms >= 2 * units[0].ms)) {
            snprintf(buf, size, "%" PRId64 "%c", ms / units[i].ms, units[i].unit);
            return buf;
        }
    snprintf(buf, size, "%" PRId64 "ms", ms);
    return buf;
}

/* "read", "read or write": the names of class bits. */
void rules_class_words(uint32_t bits, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; rules_class_names[i]; i++) {
        uint32_t bit;
        if (!rules_class_lookup(rules_class_names[i], &bit) || (bits & bit) != bit)
            continue;
        int w = snprintf(buf + len, size - len, "%s%s", len ? " or " : "", rules_class_names[i]);
        if (w < 0 || (size_t)w >= size - len)
            break;
        len += (size_t)w;
    }
}

/* The class names of bits, "model-training" or "read, write". */
void rules_class_list(uint32_t bits, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < TW_CLASS_COUNT_ && len < size; i++)
        if (bits & (1u << i)) {
            int w =
                snprintf(buf + len, size - len, "%s%s", len ? ", " : "", tw_class_name(1u << i));
            if (w < 0)
                break;
            len += (size_t)w;
        }
}

int64_t rules_period_timespan(const tw_corr *corr)
{
    return corr->timespan_ms;
}

int64_t rules_period_none(const tw_corr *corr)
{
    (void)corr;
    return 0;
}
