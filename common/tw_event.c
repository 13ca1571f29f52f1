#include "tw_event.h"

const char *tw_kind_name(tw_kind kind)
{
    switch (kind) {
    case TW_KIND_SERVICE: return "service";
    case TW_KIND_AGENT: return "agent";
    case TW_KIND_HUMAN: return "human";
    case TW_KIND_ROOT: return "root";
    }
    return "service";
}

const char *tw_class_name(uint32_t class_bit)
{
    switch (class_bit) {
    case TW_CLASS_READ: return "read";
    case TW_CLASS_WRITE: return "write";
    case TW_CLASS_DESTRUCTIVE: return "destructive";
    case TW_CLASS_PERMISSIONS: return "permissions";
    case TW_CLASS_MODEL_TRAINING: return "model-training";
    case TW_CLASS_TELEMETRY: return "telemetry";
    case TW_CLASS_LOGGING_CONTROL: return "logging-control";
    case TW_CLASS_GUARDRAIL: return "guardrail";
    case TW_CLASS_CREDENTIAL: return "credential";
    case TW_CLASS_PASSROLE: return "passrole";
    default: return "?";
    }
}

#include "tw_finding.h"

const char *tw_severity_name(tw_severity sev)
{
    switch (sev) {
    case TW_SEV_INFO: return "Informational";
    case TW_SEV_LOW: return "Low";
    case TW_SEV_MEDIUM: return "Medium";
    case TW_SEV_HIGH: return "High";
    case TW_SEV_CRITICAL: return "Critical";
    }
    return "Unknown";
}

#include "tw_arena.h"

int tw_event_copy(tw_event *dst, const tw_event *src, tw_arena *arena)
{
    /* one allocation for all the strings */
    const tw_str *from[] = { &src->identity,     &src->event_id,    &src->event_name,
                             &src->event_source, &src->account,     &src->region,
                             &src->user_type,    &src->principal_arn, &src->session_name,
                             &src->access_key,   &src->source_ip,   &src->user_agent,
                             &src->error_code,   &src->request_params, &src->model_id,
                             &src->action };
    tw_str *to[] = { &dst->identity,     &dst->event_id,    &dst->event_name,
                     &dst->event_source, &dst->account,     &dst->region,
                     &dst->user_type,    &dst->principal_arn, &dst->session_name,
                     &dst->access_key,   &dst->source_ip,   &dst->user_agent,
                     &dst->error_code,   &dst->request_params, &dst->model_id,
                     &dst->action };
    size_t n_fields = sizeof from / sizeof *from;
    if (src->flags & TW_EV_ACTION_KNOWN)
        n_fields--; /* the action is the catalog's */
    size_t total = 0;
    for (size_t i = 0; i < n_fields; i++)
        total += from[i]->len;
    *dst = *src;
    char *p = total ? tw_arena_alloc(arena, total) : NULL;
    if (total && !p)
        return -1;
    for (size_t i = 0; i < n_fields; i++) {
        uint32_t len = from[i]->len;
        if (!len) {
            *to[i] = (tw_str){ "", 0 };
            continue;
        }
        memcpy(p, from[i]->p, len);
        *to[i] = (tw_str){ p, len };
        p += len;
    }
    return 0;
}
