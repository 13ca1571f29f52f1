#include "tw_event.h"

const char *tw_kind_name(tw_kind kind)
{
    switch (kind) {
    case TW_KIND_SERVICE:
        return "service";
    case TW_KIND_AWS_SERVICE:
        return "aws-service";
    case TW_KIND_AGENT:
        return "agent";
    case TW_KIND_HUMAN:
        return "human";
    case TW_KIND_ROOT:
        return "root";
    case TW_KIND_COUNT_:
        break;
    }
    return "service";
}

const char *tw_class_name(uint32_t class_bit)
{
    switch (class_bit) {
    case TW_CLASS_READ:
        return "read";
    case TW_CLASS_WRITE:
        return "write";
    case TW_CLASS_DESTRUCTIVE:
        return "destructive";
    case TW_CLASS_PERMISSIONS:
        return "permissions";
    case TW_CLASS_MODEL_TRAINING:
        return "model-training";
    case TW_CLASS_TELEMETRY:
        return "telemetry";
    case TW_CLASS_LOGGING_CONTROL:
        return "logging-control";
    case TW_CLASS_GUARDRAIL:
        return "guardrail";
    case TW_CLASS_CREDENTIAL:
        return "credential";
    case TW_CLASS_PASSROLE:
        return "passrole";
    case TW_CLASS_IDENTITY:
        return "identity";
    case TW_CLASS_CODE_EXECUTION:
        return "code-execution";
    case TW_CLASS_ACCOUNT:
        return "account";
    case TW_CLASS_KEY_DESTRUCTION:
        return "key-destruction";
    case TW_CLASS_ESCALATION:
        return "escalation";
    default:
        return "?";
    }
}

#include "tw_finding.h"

const char *tw_severity_name(tw_severity sev)
{
    switch (sev) {
    case TW_SEV_INFO:
        return "Informational";
    case TW_SEV_LOW:
        return "Low";
    case TW_SEV_MEDIUM:
        return "Medium";
    case TW_SEV_HIGH:
        return "High";
    case TW_SEV_CRITICAL:
        return "Critical";
    }
    return "Unknown";
}
