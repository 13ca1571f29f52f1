/* schema_json.cpp: the thin C-ABI wrapper around simdjson On Demand (see schema_json.h).
 *
 * One forward pass over each object: keys are matched on their raw bytes (CloudTrail writes
 * none with escapes; one that has them is unescaped before it is matched), values that the normalizer needs are taken as string views into the
 * parser's buffers, everything else is skipped by simdjson without being materialized.
 * The only C++ in trailwarden; everything it hands out is plain C. */
#include "schema_json.h"

#include <cstdio>
#include <cstring>
#include <utility>
#include <new>
#include <string>

#include <simdjson.h>

/* This file is compiled twice (CMakeLists.txt): once for AVX2 machines (simdjson's haswell
 * kernel) and once generic; schema_json_dispatch.c picks one at run time. On Demand is
 * compiled into the caller's translation unit, so the kernel follows the compiler flags. */
#ifndef TW_JSON_VARIANT
#define TW_JSON_VARIANT generic
#endif
#define TW_CAT2(a, b) a##_##b
#define TW_CAT(a, b) TW_CAT2(a, b)
#define TW_JSON_FN(name) TW_CAT(name, TW_JSON_VARIANT)

using namespace simdjson;

namespace {
struct tw_json_state {
    ondemand::parser parser; /* documents */
    ondemand::parser inner;  /* CloudWatch Logs messages: records inside JSON strings */
    ondemand::parser lookup; /* tw_json_lookup, which may run while a document is scanned */
    std::string inner_buf;   /* padded copy of one message */
    std::string obj_text;    /* tw_json_lookup: the compact text of an object found */
};
} // namespace

namespace {

/* clang-format off: a table in columns */
enum key_id {
    K_OTHER,
    K_EVENT_TIME,
    K_TIMESTAMP_AT,
    K_EVENT_SOURCE,
    K_EVENT_NAME,
    K_EVENT_TYPE,
    K_EVENT_ID,
    K_AWS_REGION,
    K_RECIPIENT,
    K_SOURCE_IP,
    K_USER_AGENT,
    K_ERROR_CODE,
    K_FROM_CONSOLE,
    K_READ_ONLY,
    K_USER_IDENTITY,
    K_REQUEST_PARAMS,
    K_ADDITIONAL,
    K_RECORDS,
    K_DETAIL,
    K_DETAIL_TYPE,
    K_LOG_EVENTS,
    K_SCHEMA_TYPE,
    K_TIMESTAMP,
    K_ACCOUNT_ID,
    K_IDENTITY,
    K_REGION,
    K_REQUEST_ID,
    K_OPERATION,
    K_MODEL_ID,
};
/* clang-format on */

struct key_entry {
    const char *name;
    key_id id;
    size_t len;
};

#define KEY(name, id)              \
    {                              \
        name, id, sizeof(name) - 1 \
    }

/* Top-level keys of records and envelopes. */
const key_entry k_record_keys[] = {
    KEY("eventTime", K_EVENT_TIME),
    KEY("@timestamp", K_TIMESTAMP_AT),
    KEY("eventSource", K_EVENT_SOURCE),
    KEY("eventName", K_EVENT_NAME),
    KEY("eventType", K_EVENT_TYPE),
    KEY("eventID", K_EVENT_ID),
    KEY("awsRegion", K_AWS_REGION),
    KEY("recipientAccountId", K_RECIPIENT),
    KEY("sourceIPAddress", K_SOURCE_IP),
    KEY("userAgent", K_USER_AGENT),
    KEY("errorCode", K_ERROR_CODE),
    KEY("sessionCredentialFromConsole", K_FROM_CONSOLE),
    KEY("readOnly", K_READ_ONLY),
    KEY("userIdentity", K_USER_IDENTITY),
    KEY("requestParameters", K_REQUEST_PARAMS),
    KEY("additionalEventData", K_ADDITIONAL),
    KEY("Records", K_RECORDS),
    KEY("detail", K_DETAIL),
    KEY("detail-type", K_DETAIL_TYPE),
    KEY("logEvents", K_LOG_EVENTS),
    KEY("schemaType", K_SCHEMA_TYPE),
    KEY("timestamp", K_TIMESTAMP),
    KEY("accountId", K_ACCOUNT_ID),
    KEY("identity", K_IDENTITY),
    KEY("region", K_REGION),
    KEY("requestId", K_REQUEST_ID),
    KEY("operation", K_OPERATION),
    KEY("modelId", K_MODEL_ID),
};

/* Returns the key's length if it is a plain (escape-free) key, -2 when it holds an escape,
 * else -1 (too long). The raw pointer is just past the opening quote; the document is padded,
 * so the scan stays in bounds. */
inline int raw_key_len(const char *raw)
{
    int n = 0;
    while (raw[n] != '"') {
        if (raw[n] == '\\')
            return -2;
        if (n > 64)
            return -1;
        n++;
    }
    return n;
}

template <size_t N> inline key_id find_key(const char *key, size_t n, const key_entry (&table)[N])
{
    for (const key_entry &k : table) {
        if (k.len == n && k.name[0] == key[0] && std::memcmp(k.name, key, n) == 0)
            return k.id;
    }
    return K_OTHER;
}

/* A key of the table, compared on its raw bytes; a key written with escapes ("event\u004eame"
 * is eventName by RFC 8259) is unescaped first, off the common path. */
template <size_t N> inline key_id match_key(ondemand::field &field, const key_entry (&table)[N])
{
    const char *raw = field.key().raw();
    int n = raw_key_len(raw);
    if (n > 0)
        return find_key(raw, (size_t)n, table);
    std::string_view key;
    if (n == -2 && field.unescaped_key().get(key) == SUCCESS && !key.empty())
        return find_key(key.data(), key.size(), table);
    return K_OTHER;
}

inline bool key_is(const char *raw, const char *name)
{
    size_t n = std::strlen(name);
    return std::memcmp(raw, name, n) == 0 && raw[n] == '"';
}

inline tw_str view(std::string_view sv)
{
    return tw_str{ sv.data(), (uint32_t)sv.size() };
}

struct scan_ctx {
    tw_json_state *js;
    const char *base; /* start of the document, for offsets (NULL: none to give) */
    tw_json_record_cb cb;
    void *ud;
    int stopped;
    const char *reason; /* a document-level problem found while scanning */
    const char *message;
    ondemand::document *doc; /* the document being scanned, for record spans */
    const char *end;         /* its end */
};

/* The JSON text of the object whose first key starts at first_key and which the iteration has
 * just finished: from its '{' to its '}'. The token after it (',' ']' '}' or the end) is where
 * the document now stands. */
tw_str record_span(scan_ctx *ctx, const char *first_key)
{
    if (!first_key || !ctx->doc)
        return tw_str{ nullptr, 0 };
    const char *start = first_key;
    while (start > ctx->base && *start != '{')
        start--;
    const char *stop = nullptr;
    if (ctx->doc->current_location().get(stop) != SUCCESS || !stop || stop > ctx->end)
        stop = ctx->end;
    while (stop > start && stop[-1] != '}')
        stop--;
    if (*start != '{' || stop <= start)
        return tw_str{ nullptr, 0 };
    return tw_str{ start, (uint32_t)(stop - start) };
}

/* A string field; wrong types are flagged, null is "absent". */
inline error_code take_string(ondemand::value v, tw_str *out, uint32_t *bad, uint32_t bad_bit)
{
    std::string_view sv;
    error_code e = v.get_string().get(sv);
    if (e == SUCCESS) {
        *out = view(sv);
        return SUCCESS;
    }
    if (e == INCORRECT_TYPE) {
        bool is_null = false;
        if (v.is_null().get(is_null) == SUCCESS && is_null)
            return SUCCESS;
        *bad |= bad_bit;
        return SUCCESS;
    }
    return e;
}

/* A top-level string field that the event carries (TW_EVF_*): whether it was present, as a
 * string or as anything else, is kept for the rules. */
inline error_code take_field(ondemand::value v, tw_str *out, uint32_t *bad, uint32_t bad_bit,
                             tw_raw_record *r, uint8_t field_bit)
{
    *out = tw_str{ nullptr, 0 };
    error_code e = take_string(v, out, bad, bad_bit);
    if (out->p) {
        r->str_fields |= field_bit;
        r->odd_fields &= (uint8_t)~field_bit;
    } else {
        r->odd_fields |= field_bit;
        r->str_fields &= (uint8_t)~field_bit;
    }
    return e;
}

/* Calls fn(raw key, value) for each field of obj, in document order; an error from the
 * iteration or from fn stops it. */
template <typename F> inline error_code each_field(ondemand::object obj, F fn)
{
    for (auto f : obj) {
        ondemand::field field;
        error_code e = std::move(f).get(field);
        if (!e)
            e = fn(field.key().raw(), field.value());
        if (e)
            return e;
    }
    return SUCCESS;
}

/* An object-valued field: absent when null, flagged when of another type. */
template <typename F>
inline error_code with_object(ondemand::value v, uint32_t *bad, uint32_t bad_bit, F fn)
{
    ondemand::object obj;
    error_code e = v.get_object().get(obj);
    if (e == INCORRECT_TYPE) {
        bool is_null = false;
        if (bad_bit && !(v.is_null().get(is_null) == SUCCESS && is_null))
            *bad |= bad_bit;
        return SUCCESS;
    }
    return e ? e : fn(obj);
}

/* A boolean as JSON true/false or as the string "true"/"false" (CloudTrail writes
 * mfaAuthenticated as a string); anything else leaves it unset. */
inline uint8_t take_flag(ondemand::value v)
{
    bool b = false;
    std::string_view sv;
    if (v.get_bool().get(b) == SUCCESS)
        return b ? TW_RAW_TRUE : TW_RAW_FALSE;
    if (v.get_string().get(sv) == SUCCESS)
        return sv == "true" ? TW_RAW_TRUE : sv == "false" ? TW_RAW_FALSE : TW_RAW_UNSET;
    return TW_RAW_UNSET;
}

error_code scan_session_context(ondemand::object obj, tw_raw_record *r)
{
    uint32_t *bad = &r->bad_types;
    const uint32_t B = TW_RAW_BAD_USER_IDENTITY;
    return each_field(obj, [&](const char *k, ondemand::value v) -> error_code {
        if (key_is(k, "sessionIssuer"))
            return with_object(v, bad, B, [&](ondemand::object issuer) {
                return each_field(issuer, [&](const char *ik, ondemand::value iv) -> error_code {
                    if (key_is(ik, "arn"))
                        return take_string(iv, &r->issuer_arn, bad, B);
                    if (key_is(ik, "type"))
                        return take_string(iv, &r->issuer_type, bad, B);
                    if (key_is(ik, "userName"))
                        return take_string(iv, &r->issuer_user_name, bad, B);
                    return SUCCESS;
                });
            });
        if (key_is(k, "sourceIdentity"))
            return take_string(v, &r->source_identity, bad, TW_RAW_BAD_OTHER);
        if (key_is(k, "attributes"))
            return with_object(v, bad, 0, [&](ondemand::object attrs) {
                return each_field(attrs, [&](const char *ak, ondemand::value av) -> error_code {
                    if (key_is(ak, "mfaAuthenticated"))
                        r->mfa = take_flag(av);
                    return SUCCESS;
                });
            });
        return SUCCESS;
    });
}

error_code scan_user_identity(ondemand::value v, tw_raw_record *r)
{
    uint32_t *bad = &r->bad_types;
    const uint32_t B = TW_RAW_BAD_USER_IDENTITY;
    return with_object(v, bad, B, [&](ondemand::object obj) {
        return each_field(obj, [&](const char *k, ondemand::value fv) -> error_code {
            switch (k[0]) {
            case 't':
                return key_is(k, "type") ? take_string(fv, &r->ui_type, bad, B) : SUCCESS;
            case 'a':
                if (key_is(k, "arn"))
                    return take_string(fv, &r->ui_arn, bad, B);
                if (key_is(k, "accountId"))
                    return take_string(fv, &r->ui_account_id, bad, B);
                if (key_is(k, "accessKeyId"))
                    return take_string(fv, &r->ui_access_key_id, bad, B);
                return SUCCESS;
            case 'p':
                return key_is(k, "principalId") ? take_string(fv, &r->ui_principal_id, bad, B)
                                                : SUCCESS;
            case 'u':
                return key_is(k, "userName") ? take_string(fv, &r->ui_user_name, bad, B) : SUCCESS;
            case 'i':
                return key_is(k, "invokedBy") ? take_string(fv, &r->ui_invoked_by, bad, B)
                                              : SUCCESS;
            case 's':
                if (key_is(k, "sessionContext"))
                    return with_object(fv, bad, 0, [&](ondemand::object sc) {
                        return scan_session_context(sc, r);
                    });
                return SUCCESS;
            default:
                return SUCCESS;
            }
        });
    });
}

/* additionalEventData.callWithBearerToken (a Bedrock API key was used); the object is
 * sometimes a string or null, which holds nothing we need. */
error_code scan_additional(ondemand::value v, tw_raw_record *r)
{
    return with_object(v, &r->bad_types, 0, [&](ondemand::object obj) {
        return each_field(obj, [&](const char *k, ondemand::value fv) -> error_code {
            if (!key_is(k, "callWithBearerToken"))
                return SUCCESS;
            bool b = false;
            std::string_view sv;
            if (fv.get_bool().get(b) == SUCCESS)
                r->bearer_token = b;
            else if (fv.get_string().get(sv) == SUCCESS)
                r->bearer_token = (sv == "true");
            return SUCCESS;
        });
    });
}

/* The Bedrock invocation log's identity: {"arn": "..."}. */
error_code scan_invocation_identity(ondemand::value v, tw_raw_record *r)
{
    uint32_t *bad = &r->bad_types;
    const uint32_t B = TW_RAW_BAD_USER_IDENTITY;
    return with_object(v, bad, B, [&](ondemand::object obj) {
        return each_field(obj, [&](const char *k, ondemand::value fv) -> error_code {
            return key_is(k, "arn") ? take_string(fv, &r->ui_arn, bad, B) : SUCCESS;
        });
    });
}

error_code scan_object(scan_ctx *ctx, ondemand::object obj, tw_raw_record *r, int level);

error_code emit(scan_ctx *ctx, const tw_raw_record *r)
{
    if (!ctx->stopped && ctx->cb(ctx->ud, r))
        ctx->stopped = 1;
    return SUCCESS;
}

/* An element of "Records" or of a top-level array: a record, or an error for that record. */
error_code scan_element(scan_ctx *ctx, ondemand::value v, uint32_t envelope, int level)
{
    ondemand::object obj;
    error_code e = v.get_object().get(obj);
    if (e == INCORRECT_TYPE) {
        tw_raw_record r{};
        r.envelope = envelope;
        r.bad_types = TW_RAW_BAD_OTHER; /* not an object: the normalizer rejects it */
        return emit(ctx, &r);
    }
    if (e)
        return e;
    tw_raw_record r{};
    r.envelope = envelope;
    e = scan_object(ctx, obj, &r, level + 1);
    if (e)
        return e;
    return SUCCESS;
}

error_code scan_records(scan_ctx *ctx, ondemand::value v, int level)
{
    ondemand::array arr;
    error_code e = v.get_array().get(arr);
    if (e == INCORRECT_TYPE) {
        ctx->reason = "wrong_type";
        ctx->message = "\"Records\" is not an array";
        return e;
    }
    if (e)
        return e;
    for (auto elem : arr) {
        ondemand::value ev;
        e = std::move(elem).get(ev);
        if (e)
            return e;
        e = scan_element(ctx, ev, 1, level);
        if (e)
            return e;
        if (ctx->stopped)
            break;
    }
    return SUCCESS;
}

/* A CloudWatch Logs message is a record serialized as a JSON string: parse it on its own. */
error_code scan_log_message(scan_ctx *ctx, std::string_view msg)
{
    tw_json_state *js = ctx->js;
    js->inner_buf.assign(msg.data(), msg.size());
    js->inner_buf.append(SIMDJSON_PADDING, ' ');
    ondemand::document doc;
    error_code e =
        js->inner.iterate(js->inner_buf.data(), msg.size(), js->inner_buf.size()).get(doc);
    tw_raw_record r{};
    r.envelope = 4;
    ondemand::object obj;
    /* the message is a document of its own: offsets and spans are within it */
    scan_ctx inner = *ctx;
    inner.base = js->inner_buf.data();
    inner.end = inner.base + msg.size();
    inner.doc = &doc;
    if (!e)
        e = doc.get_object().get(obj);
    if (!e)
        e = scan_object(&inner, obj, &r, 9); /* level 9: no further envelopes inside */
    ctx->stopped = inner.stopped;
    if (e) {
        tw_raw_record bad{};
        bad.envelope = 4;
        bad.bad_types = TW_RAW_BAD_OTHER;
        emit(ctx, &bad);
    }
    return SUCCESS; /* a bad message is that record's problem, not the batch's */
}

error_code scan_log_events(scan_ctx *ctx, ondemand::value v)
{
    ondemand::array arr;
    error_code e = v.get_array().get(arr);
    if (e)
        return e;
    for (auto elem : arr) {
        ondemand::object obj;
        e = elem.get_object().get(obj);
        if (e)
            return e;
        e = each_field(obj, [&](const char *k, ondemand::value fv) -> error_code {
            if (!key_is(k, "message"))
                return SUCCESS;
            std::string_view msg;
            error_code me = fv.get_string().get(msg);
            if (me == INCORRECT_TYPE) {
                tw_raw_record bad{};
                bad.envelope = 4;
                bad.bad_types = TW_RAW_BAD_OTHER;
                return emit(ctx, &bad);
            }
            return me ? me : scan_log_message(ctx, msg);
        });
        if (e)
            return e;
        if (ctx->stopped)
            break;
    }
    return SUCCESS;
}

/* One pass over an object's fields. level 0 is a document's top, where envelopes are
 * recognised; a record found inside ("detail", "Records", "logEvents") is emitted from here. */
error_code scan_object(scan_ctx *ctx, ondemand::object obj, tw_raw_record *r, int level)
{
    bool envelope_done = false, is_invocation_log = false, is_eventbridge = false;
    tw_str timestamp_at{}, inv_time{}, inv_account{}, inv_region{}, inv_request_id{},
        inv_operation{}, inv_model{};
    uint32_t *bad = &r->bad_types;
    const char *obj_start = nullptr; /* where the first key starts: the record's place */
    for (auto f : obj) {
        ondemand::field field;
        error_code e = std::move(f).get(field);
        if (e)
            return e;
        const char *raw_key = field.key().raw();
        if (!obj_start)
            obj_start = raw_key;
        key_id id = match_key(field, k_record_keys);
        ondemand::value v = field.value();
        switch (id) {
        case K_OTHER:
            break;
        case K_EVENT_TIME:
            e = take_string(v, &r->event_time, bad, TW_RAW_BAD_EVENT_TIME);
            break;
        case K_TIMESTAMP_AT:
            e = take_string(v, &timestamp_at, bad, TW_RAW_BAD_OTHER);
            break;
        case K_EVENT_SOURCE:
            e = take_field(v, &r->event_source, bad, TW_RAW_BAD_EVENT_SOURCE, r,
                           TW_EVF_EVENT_SOURCE);
            break;
        case K_EVENT_NAME:
            e = take_field(v, &r->event_name, bad, TW_RAW_BAD_EVENT_NAME, r, TW_EVF_EVENT_NAME);
            break;
        case K_EVENT_TYPE:
            e = take_string(v, &r->event_type, bad, TW_RAW_BAD_OTHER);
            break;
        case K_EVENT_ID:
            e = take_field(v, &r->event_id, bad, TW_RAW_BAD_OTHER, r, TW_EVF_EVENT_ID);
            break;
        case K_AWS_REGION:
            e = take_field(v, &r->aws_region, bad, TW_RAW_BAD_OTHER, r, TW_EVF_REGION);
            break;
        case K_RECIPIENT:
            e = take_string(v, &r->recipient_account, bad, TW_RAW_BAD_OTHER);
            break;
        case K_SOURCE_IP:
            e = take_field(v, &r->source_ip, bad, TW_RAW_BAD_OTHER, r, TW_EVF_SOURCE_IP);
            break;
        case K_USER_AGENT:
            e = take_field(v, &r->user_agent, bad, TW_RAW_BAD_OTHER, r, TW_EVF_USER_AGENT);
            break;
        case K_ERROR_CODE:
            e = take_field(v, &r->error_code, bad, TW_RAW_BAD_OTHER, r, TW_EVF_ERROR_CODE);
            break;
        case K_FROM_CONSOLE: {
            bool b;
            if (v.get_bool().get(b) == SUCCESS)
                r->session_from_console = b ? tw_str{ "true", 4 } : tw_str{ "false", 5 };
            else
                e = take_string(v, &r->session_from_console, bad, TW_RAW_BAD_OTHER);
            break;
        }
        case K_READ_ONLY:
            r->read_only = take_flag(v);
            break;
        case K_USER_IDENTITY:
            e = scan_user_identity(v, r);
            break;
        case K_REQUEST_PARAMS: {
            ondemand::object sub;
            e = v.get_object().get(sub);
            if (e == INCORRECT_TYPE) {
                e = SUCCESS; /* null, or a string in some exports */
            } else if (!e) {
                std::string_view sv;
                e = sub.raw_json().get(sv);
                if (!e)
                    r->request_params = view(sv);
            }
            break;
        }
        case K_ADDITIONAL:
            e = scan_additional(v, r);
            break;
        case K_RECORDS:
            if (level == 0) {
                e = scan_records(ctx, v, level);
                envelope_done = true;
            }
            break;
        case K_DETAIL_TYPE:
            if (level == 0) {
                std::string_view sv;
                if (v.get_string().get(sv) == SUCCESS)
                    is_eventbridge = true;
            }
            break;
        case K_DETAIL:
            if (level == 0) {
                ondemand::object sub;
                e = v.get_object().get(sub);
                if (e == INCORRECT_TYPE) {
                    e = SUCCESS;
                } else if (!e) {
                    tw_raw_record inner{};
                    inner.envelope = 3;
                    e = scan_object(ctx, sub, &inner, level + 1);
                    envelope_done = true;
                }
            }
            break;
        case K_LOG_EVENTS:
            if (level == 0) {
                e = scan_log_events(ctx, v);
                envelope_done = true;
            }
            break;
        case K_SCHEMA_TYPE: {
            std::string_view sv;
            if (v.get_string().get(sv) == SUCCESS && sv == "ModelInvocationLog")
                is_invocation_log = true;
            break;
        }
        case K_TIMESTAMP:
            e = take_string(v, &inv_time, bad, TW_RAW_BAD_OTHER);
            break;
        case K_ACCOUNT_ID:
            e = take_string(v, &inv_account, bad, TW_RAW_BAD_OTHER);
            break;
        case K_IDENTITY:
            e = scan_invocation_identity(v, r);
            break;
        case K_REGION:
            e = take_string(v, &inv_region, bad, TW_RAW_BAD_OTHER);
            break;
        case K_REQUEST_ID:
            e = take_string(v, &inv_request_id, bad, TW_RAW_BAD_OTHER);
            break;
        case K_OPERATION:
            e = take_string(v, &inv_operation, bad, TW_RAW_BAD_OTHER);
            break;
        case K_MODEL_ID:
            e = take_string(v, &inv_model, bad, TW_RAW_BAD_OTHER);
            break;
        }
        if (e)
            return e;
        if (ctx->stopped)
            return SUCCESS;
    }
    (void)is_eventbridge; /* the detail object is taken whatever its detail-type says */
    if (envelope_done)
        return SUCCESS;
    if (obj_start && ctx->base && obj_start >= ctx->base && obj_start < ctx->end)
        r->doc_offset = (uint64_t)(obj_start - ctx->base);
    r->raw = record_span(ctx, obj_start);
    if (is_invocation_log) {
        r->shape = TW_RAW_INVOCATION_LOG;
        r->event_time = inv_time;
        r->event_source = tw_str{ "bedrock.amazonaws.com", 21 };
        r->event_name = inv_operation;
        r->event_id = inv_request_id;
        r->aws_region = inv_region;
        r->recipient_account = inv_account;
        r->model_id = inv_model;
    } else if (r->event_time.len == 0 && timestamp_at.len) {
        r->event_time = timestamp_at;
    }
    return emit(ctx, r);
}

void fill_error(tw_json_error *err, error_code e, const char *base, const char *loc)
{
    if (!err)
        return;
    switch (e) {
    case UTF8_ERROR:
        err->reason = "utf8";
        break;
    case DEPTH_ERROR:
        err->reason = "depth";
        break;
    case CAPACITY:
        err->reason = "too_large";
        break;
    case UNESCAPED_CHARS:
        err->reason = "control_char";
        break;
    case INCORRECT_TYPE:
        err->reason = "wrong_shape";
        break;
    default:
        err->reason = "not_json";
        break;
    }
    std::snprintf(err->message, sizeof err->message, "%s%s",
                  std::strcmp(err->reason, "not_json") == 0 ? "not JSON: " : "", error_message(e));
    err->offset = (loc && base && loc >= base) ? (uint64_t)(loc - base) : 0;
}

/* tw_json_lookup: the values at path[i..] below v; arrays are transparent (each element is
 * looked into with the same remaining path), objects and arrays at the end yield nothing
 * but their scalar elements. */
struct lookup_ctx {
    const tw_str *path;
    uint32_t n_path;
    tw_json_value_cb cb;
    void *ud;
    int found;
    std::string *text; /* an object's compact JSON text is written here */
};

/* s as a JSON string: only '"', '\\' and control characters escaped, like Python's
 * json.dumps(ensure_ascii=False), so that the text is one for every spelling of the value. */
void compact_string(std::string *out, std::string_view s)
{
    static const char hex[] = "0123456789abcdef";
    out->push_back('"');
    for (unsigned char c : s) {
        switch (c) {
        case '"':
            out->append("\\\"");
            break;
        case '\\':
            out->append("\\\\");
            break;
        case '\n':
            out->append("\\n");
            break;
        case '\r':
            out->append("\\r");
            break;
        case '\t':
            out->append("\\t");
            break;
        case '\b':
            out->append("\\b");
            break;
        case '\f':
            out->append("\\f");
            break;
        default:
            if (c < 0x20) {
                out->append("\\u00");
                out->push_back(hex[c >> 4]);
                out->push_back(hex[c & 15]);
            } else {
                out->push_back((char)c);
            }
        }
    }
    out->push_back('"');
}

/* The compact JSON text of v (no blanks; keys and strings unescaped and written again;
 * numbers as written), for string matchers on an object-valued field. */
error_code compact_value(std::string *out, ondemand::value v, int depth)
{
    if (depth > 64)
        return DEPTH_ERROR;
    ondemand::json_type t;
    error_code e = v.type().get(t);
    if (e)
        return e;
    switch (t) {
    case ondemand::json_type::object: {
        ondemand::object obj;
        if ((e = v.get_object().get(obj)))
            return e;
        out->push_back('{');
        bool first = true;
        for (auto f : obj) {
            ondemand::field field;
            std::string_view key;
            if ((e = std::move(f).get(field)) || (e = field.unescaped_key().get(key)))
                return e;
            if (!first)
                out->push_back(',');
            first = false;
            compact_string(out, key);
            out->push_back(':');
            if ((e = compact_value(out, field.value(), depth + 1)))
                return e;
        }
        out->push_back('}');
        return SUCCESS;
    }
    case ondemand::json_type::array: {
        ondemand::array arr;
        if ((e = v.get_array().get(arr)))
            return e;
        out->push_back('[');
        bool first = true;
        for (auto elem : arr) {
            ondemand::value ev;
            if ((e = std::move(elem).get(ev)))
                return e;
            if (!first)
                out->push_back(',');
            first = false;
            if ((e = compact_value(out, ev, depth + 1)))
                return e;
        }
        out->push_back(']');
        return SUCCESS;
    }
    case ondemand::json_type::string: {
        std::string_view sv;
        if ((e = v.get_string().get(sv)))
            return e;
        compact_string(out, sv);
        return SUCCESS;
    }
    case ondemand::json_type::number: {
        std::string_view tok = v.raw_json_token();
        while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\r' ||
                                tok.back() == '\t'))
            tok.remove_suffix(1);
        double d;
        if ((e = v.get_double().get(d)))
            return e;
        out->append(tok.data(), tok.size());
        return SUCCESS;
    }
    case ondemand::json_type::boolean: {
        bool b;
        if ((e = v.get_bool().get(b)))
            return e;
        out->append(b ? "true" : "false");
        return SUCCESS;
    }
    default: {
        bool is_null = false;
        if ((e = v.is_null().get(is_null)))
            return e;
        out->append("null");
        return SUCCESS;
    }
    }
}

error_code lookup_emit(lookup_ctx *lc, ondemand::value v, ondemand::json_type t)
{
    tw_json_value out{};
    switch (t) {
    case ondemand::json_type::string: {
        std::string_view sv;
        error_code e = v.get_string().get(sv);
        if (e)
            return e;
        out.type = TW_JV_STRING;
        out.text = view(sv);
        break;
    }
    case ondemand::json_type::number: {
        std::string_view tok = v.raw_json_token();
        while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\r' ||
                                tok.back() == '\t'))
            tok.remove_suffix(1);
        error_code e = v.get_double().get(out.number);
        if (e)
            return e;
        out.type = TW_JV_NUMBER;
        out.text = view(tok);
        break;
    }
    case ondemand::json_type::boolean: {
        error_code e = v.get_bool().get(out.boolean);
        if (e)
            return e;
        out.type = TW_JV_BOOL;
        out.text = out.boolean ? tw_str{ "true", 4 } : tw_str{ "false", 5 };
        break;
    }
    case ondemand::json_type::null:
        out.type = TW_JV_NULL;
        break;
    case ondemand::json_type::object: {
        out.type = TW_JV_OBJECT;
        if (lc->text) {
            lc->text->clear();
            error_code e = compact_value(lc->text, v, 0);
            if (e)
                return e;
            out.text = tw_str{ lc->text->data(), (uint32_t)lc->text->size() };
        }
        break;
    }
    default:
        return SUCCESS;
    }
    lc->found++;
    lc->cb(lc->ud, &out);
    return SUCCESS;
}

/* Whether the raw key (just past its opening quote) is seg: 1 or 0 from its bytes; -1 when
 * it differs at an escape, so only its unescaped text can tell. An escape always stands for
 * fewer bytes than it takes, so a key that matches seg's bytes up to a backslash after them is
 * longer than seg: no match. */
inline int key_equals(const char *k, tw_str seg)
{
    for (uint32_t j = 0; j < seg.len; j++)
        if (k[j] != seg.p[j])
            return k[j] == '\\' ? -1 : 0;
    return k[seg.len] == '"';
}

error_code lookup_walk(lookup_ctx *lc, ondemand::value v, uint32_t i, int depth)
{
    if (depth > 64)
        return SUCCESS;
    ondemand::json_type t;
    error_code e = v.type().get(t);
    if (e)
        return e;
    if (t == ondemand::json_type::array) {
        ondemand::array arr;
        e = v.get_array().get(arr);
        for (auto elem : arr) {
            ondemand::value ev;
            if (!e)
                e = std::move(elem).get(ev);
            if (!e)
                e = lookup_walk(lc, ev, i, depth + 1);
            if (e)
                return e;
        }
        return e;
    }
    if (i == lc->n_path)
        return lookup_emit(lc, v, t);
    if (t != ondemand::json_type::object)
        return SUCCESS;
    ondemand::object obj;
    e = v.get_object().get(obj);
    if (e)
        return e;
    const tw_str seg = lc->path[i];
    for (auto f : obj) {
        ondemand::field field;
        if ((e = std::move(f).get(field)))
            return e;
        int same = key_equals(field.key().raw(), seg);
        if (same < 0) {
            std::string_view key;
            if ((e = field.unescaped_key().get(key)))
                return e;
            same = key.size() == seg.len && std::memcmp(key.data(), seg.p, seg.len) == 0;
        }
        if (same && (e = lookup_walk(lc, field.value(), i + 1, depth + 1)))
            return e;
    }
    return SUCCESS;
}

/* tw_json_walk: a depth-first walk that hands out every value. */
struct walk_ctx {
    const char *base;
    uint32_t max_depth;
    tw_json_walk_cb cb;
    void *ud;
    bool stopped;
    bool too_deep;
    const char *where; /* of a problem found here */
};

error_code walk_value(walk_ctx *wc, ondemand::value v, const tw_str *key, uint32_t depth)
{
    tw_json_walk_item it{};
    if (key) {
        it.has_key = true;
        it.key = *key;
    }
    it.depth = depth;
    std::string_view tok = v.raw_json_token();
    it.offset = tok.data() >= wc->base ? (uint64_t)(tok.data() - wc->base) : 0;
    ondemand::json_type t;
    error_code e = v.type().get(t);
    if (e) {
        wc->where = tok.data();
        return e;
    }
    if (t == ondemand::json_type::object || t == ondemand::json_type::array) {
        if (depth >= wc->max_depth) {
            wc->too_deep = true;
            wc->where = tok.data();
            return DEPTH_ERROR;
        }
        it.value.type = t == ondemand::json_type::object ? TW_JV_OBJECT : TW_JV_ARRAY;
        if (wc->cb(wc->ud, &it)) {
            wc->stopped = true;
            return SUCCESS;
        }
        if (t == ondemand::json_type::object) {
            ondemand::object obj;
            e = v.get_object().get(obj);
            for (auto f : obj) {
                if (e || wc->stopped)
                    break;
                ondemand::field field;
                e = std::move(f).get(field);
                std::string_view k;
                if (!e)
                    e = field.unescaped_key().get(k);
                if (!e) {
                    tw_str ks = view(k);
                    e = walk_value(wc, field.value(), &ks, depth + 1);
                }
            }
        } else {
            ondemand::array arr;
            e = v.get_array().get(arr);
            for (auto elem : arr) {
                if (e || wc->stopped)
                    break;
                ondemand::value ev;
                e = std::move(elem).get(ev);
                if (!e)
                    e = walk_value(wc, ev, nullptr, depth + 1);
            }
        }
        if (e || wc->stopped)
            return e;
        tw_json_walk_item end{};
        end.end = true;
        end.depth = depth;
        end.value.type = it.value.type;
        if (wc->cb(wc->ud, &end))
            wc->stopped = true;
        return SUCCESS;
    }
    switch (t) {
    case ondemand::json_type::string: {
        std::string_view sv;
        e = v.get_string().get(sv);
        it.value.type = TW_JV_STRING;
        it.value.text = view(sv);
        break;
    }
    case ondemand::json_type::number:
        e = v.get_double().get(it.value.number);
        while (!tok.empty() &&
               (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\r' ||
                tok.back() == '\t' || tok.back() == ',' || tok.back() == ']' || tok.back() == '}'))
            tok.remove_suffix(1);
        it.value.type = TW_JV_NUMBER;
        it.value.text = view(tok);
        break;
    case ondemand::json_type::boolean:
        e = v.get_bool().get(it.value.boolean);
        it.value.type = TW_JV_BOOL;
        it.value.text = it.value.boolean ? tw_str{ "true", 4 } : tw_str{ "false", 5 };
        break;
    default: {
        bool is_null = false;
        e = v.is_null().get(is_null);
        if (!e && !is_null)
            e = INCORRECT_TYPE;
        it.value.type = TW_JV_NULL;
        break;
    }
    }
    if (e) {
        wc->where = tok.data();
        /* the first byte said string, number, true, false or null, the rest did not ("nul",
         * "-"): a broken literal, not a value of another type */
        return e == INCORRECT_TYPE ? TAPE_ERROR : e;
    }
    if (wc->cb(wc->ud, &it))
        wc->stopped = true;
    return SUCCESS;
}

/* A document that is one scalar ("42", "\"text\""): On Demand reads it from the document. */
error_code walk_root_scalar(walk_ctx *wc, ondemand::document &doc, ondemand::json_type t)
{
    tw_json_walk_item it{};
    error_code e = SUCCESS;
    std::string_view raw;
    if (doc.raw_json_token().get(raw) == SUCCESS) {
        it.offset = raw.data() >= wc->base ? (uint64_t)(raw.data() - wc->base) : 0;
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' ||
                                raw.back() == '\t'))
            raw.remove_suffix(1);
    }
    switch (t) {
    case ondemand::json_type::string: {
        std::string_view sv;
        e = doc.get_string().get(sv);
        it.value.type = TW_JV_STRING;
        it.value.text = view(sv);
        break;
    }
    case ondemand::json_type::number:
        e = doc.get_double().get(it.value.number);
        it.value.type = TW_JV_NUMBER;
        it.value.text = view(raw);
        break;
    case ondemand::json_type::boolean:
        e = doc.get_bool().get(it.value.boolean);
        it.value.type = TW_JV_BOOL;
        it.value.text = it.value.boolean ? tw_str{ "true", 4 } : tw_str{ "false", 5 };
        break;
    default: {
        bool is_null = false;
        e = doc.is_null().get(is_null);
        if (!e && !is_null)
            e = TAPE_ERROR;
        it.value.type = TW_JV_NULL;
        break;
    }
    }
    if (e)
        return e == INCORRECT_TYPE ? TAPE_ERROR : e;
    if (wc->cb(wc->ud, &it))
        wc->stopped = true;
    return SUCCESS;
}

} // namespace

extern "C" {

tw_err TW_JSON_FN(tw_json_walk)(void *vjs, const char *text, size_t len, size_t capacity,
                                uint32_t max_depth, tw_json_walk_cb cb, void *ud,
                                tw_json_error *err);

tw_err TW_JSON_FN(tw_json_walk)(void *vjs, const char *text, size_t len, size_t capacity,
                                uint32_t max_depth, tw_json_walk_cb cb, void *ud,
                                tw_json_error *err)
{
    tw_json_state *js = static_cast<tw_json_state *>(vjs);
    ondemand::document doc;
    error_code e = js->lookup.iterate(text, len, capacity).get(doc);
    if (e) {
        fill_error(err, e, text, nullptr);
        return TW_ERR_PARSE;
    }
    walk_ctx wc{ text, max_depth, cb, ud, false, false, nullptr };
    ondemand::json_type t{};
    e = doc.type().get(t);
    if (!e && t != ondemand::json_type::object && t != ondemand::json_type::array) {
        e = walk_root_scalar(&wc, doc, t);
    } else if (!e) {
        ondemand::value root;
        e = doc.get_value().get(root);
        if (!e)
            e = walk_value(&wc, root, nullptr, 0);
    }
    if (wc.stopped)
        return TW_ERR_STOPPED;
    const char *loc = nullptr;
    if (!e && doc.current_location().get(loc) == SUCCESS) {
        fill_error(err, TAPE_ERROR, text, loc);
        if (err)
            std::snprintf(err->message, sizeof err->message,
                          "unexpected content after the JSON value");
        return TW_ERR_PARSE;
    }
    if (e) {
        if (!wc.where && doc.current_location().get(loc) == SUCCESS)
            wc.where = loc;
        fill_error(err, e, text, wc.where);
        if (wc.too_deep && err)
            std::snprintf(err->message, sizeof err->message, "nested deeper than %u levels",
                          max_depth);
        return TW_ERR_PARSE;
    }
    return TW_OK;
}

void *TW_JSON_FN(tw_json_new)(void);
int TW_JSON_FN(tw_json_lookup)(void *vjs, const char *text, size_t len, size_t capacity,
                               const tw_str *path, uint32_t n_path, tw_json_value_cb cb, void *ud);

int TW_JSON_FN(tw_json_lookup)(void *vjs, const char *text, size_t len, size_t capacity,
                               const tw_str *path, uint32_t n_path, tw_json_value_cb cb, void *ud)
{
    tw_json_state *js = static_cast<tw_json_state *>(vjs);
    ondemand::document doc;
    ondemand::value root;
    if (js->lookup.iterate(text, len, capacity).get(doc) || doc.get_value().get(root))
        return -1;
    lookup_ctx lc{ path, n_path, cb, ud, 0, &js->obj_text };
    if (n_path == 0 || lookup_walk(&lc, root, 0, 0) != SUCCESS)
        return lc.found ? lc.found : -1;
    return lc.found;
}
void TW_JSON_FN(tw_json_destroy)(void *js);
tw_err TW_JSON_FN(tw_json_parse)(void *vjs, const char *buf, size_t len, size_t capacity,
                                 tw_json_record_cb cb, void *ud, tw_json_error *err);

void *TW_JSON_FN(tw_json_new)(void)
{
    return new (std::nothrow) tw_json_state();
}

void TW_JSON_FN(tw_json_destroy)(void *js)
{
    delete static_cast<tw_json_state *>(js);
}

tw_err TW_JSON_FN(tw_json_parse)(void *vjs, const char *buf, size_t len, size_t capacity,
                                 tw_json_record_cb cb, void *ud, tw_json_error *err)
{
    tw_json_state *js = static_cast<tw_json_state *>(vjs);
    scan_ctx ctx{ js, buf, cb, ud, 0, nullptr, nullptr, nullptr, buf + len };
    ondemand::document doc;
    error_code e = js->parser.iterate(buf, len, capacity).get(doc);
    ctx.doc = &doc;
    if (e) {
        /* stage 1 failed (UTF-8, unclosed string...): there is no document to ask where */
        fill_error(err, e, buf, nullptr);
        return TW_ERR_PARSE;
    }
    ondemand::json_type t{};
    if (!e)
        e = doc.type().get(t);
    if (!e) {
        if (t == ondemand::json_type::object) {
            ondemand::object obj;
            e = doc.get_object().get(obj);
            tw_raw_record r{};
            if (!e)
                e = scan_object(&ctx, obj, &r, 0);
        } else if (t == ondemand::json_type::array) {
            ondemand::array arr;
            e = doc.get_array().get(arr);
            if (!e) {
                for (auto elem : arr) {
                    ondemand::value v;
                    e = std::move(elem).get(v);
                    if (!e)
                        e = scan_element(&ctx, v, 2, 0);
                    if (e || ctx.stopped)
                        break;
                }
            }
        } else {
            /* a scalar: valid JSON but no record ("42", "\"text\""), or text that merely
             * starts like one ("2026-08-30T03:05:00Z INFO ...") */
            bool valid = false;
            double d;
            std::string_view sv;
            bool b, is_null;
            switch (t) {
            case ondemand::json_type::number:
                valid = doc.get_double().get(d) == SUCCESS;
                break;
            case ondemand::json_type::string:
                valid = doc.get_string().get(sv) == SUCCESS;
                break;
            case ondemand::json_type::boolean:
                valid = doc.get_bool().get(b) == SUCCESS;
                break;
            case ondemand::json_type::null:
                valid = doc.is_null().get(is_null) == SUCCESS && is_null;
                break;
            default:
                break;
            }
            const char *loc = nullptr;
            if (valid && doc.current_location().get(loc) == SUCCESS)
                valid = false; /* something follows the scalar */
            if (err) {
                err->reason = valid ? "not_object" : "not_json";
                std::snprintf(err->message, sizeof err->message, "%s",
                              valid ? "a JSON value that is neither an object nor an array"
                                    : "not JSON");
                err->offset = 0;
            }
            return TW_ERR_PARSE;
        }
    }
    if (!e && !ctx.stopped) {
        /* trailing content after the value ("{} x") */
        const char *loc = nullptr;
        if (doc.current_location().get(loc) == SUCCESS) {
            fill_error(err, TAPE_ERROR, buf, loc);
            if (err)
                std::snprintf(err->message, sizeof err->message,
                              "unexpected content after the JSON value");
            return TW_ERR_PARSE;
        }
    }
    if (e) {
        const char *loc = nullptr;
        if (doc.current_location().get(loc) != SUCCESS)
            loc = nullptr;
        fill_error(err, e, buf, loc);
        if (ctx.reason && err) {
            err->reason = ctx.reason;
            std::snprintf(err->message, sizeof err->message, "%s", ctx.message);
        }
        return TW_ERR_PARSE;
    }
    return TW_OK;
}

} // extern "C"
