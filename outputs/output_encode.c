/* output_encode: OCSF 1.3 Detection Finding (class_uid 2004) and the compact line. */
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "tw_hash.h"
#include "tw_time.h"

/* The name shown for an identity: the role or user name, else the key. */
static tw_str identity_name(tw_str key)
{
    const char *markers[] = { ":role/", ":user/" };
    for (int i = 0; i < 2; i++) {
        const char *hit = memmem(key.p, key.len, markers[i], 6);
        if (hit)
            return (tw_str){ hit + 6, (uint32_t)(key.p + key.len - hit - 6) };
    }
    if (tw_str_ends(key, ":root"))
        return TW_STR_LIT("root");
    return key;
}

static void put_key(tw_buf *out, const char *key)
{
    tw_buf_putc(out, '"');
    tw_buf_puts(out, key);
    tw_buf_put(out, "\":", 2);
}

static void put_str_field(tw_buf *out, const char *key, tw_str v, bool comma)
{
    if (comma)
        tw_buf_putc(out, ',');
    put_key(out, key);
    tw_buf_put_json_str(out, v);
}

static void put_iso(tw_buf *out, int64_t ms)
{
    char t[40];
    tw_time_format_iso(ms, t, sizeof t);
    tw_buf_put_json_cstr(out, t);
}

static void encode_ocsf(const tw_encode_opts *opts, const tw_finding *f, tw_buf *out)
{
    const tw_event *ev = f->ev;
    const tw_rule_meta *rule = f->rule;
    char uid[33];
    tw_finding_uid(rule->id, ev->identity, ev->event_id, uid);
    tw_buf_puts(out, "{\"class_uid\":2004,\"class_name\":\"Detection Finding\","
                     "\"category_uid\":2,\"category_name\":\"Findings\","
                     "\"activity_id\":1,\"activity_name\":\"Create\",\"type_uid\":200401,"
                     "\"type_name\":\"Detection Finding: Create\",");
    tw_buf_printf(out, "\"severity_id\":%d,\"severity\":\"%s\",", (int)rule->severity,
                  tw_severity_name(rule->severity));
    tw_buf_puts(out, "\"status_id\":1,\"status\":\"New\",\"time\":");
    tw_buf_put_i64(out, ev->time_ms);
    put_str_field(out, "message", tw_str_c(f->summary), true);

    tw_buf_puts(out, ",\"finding_info\":{\"uid\":\"");
    tw_buf_puts(out, uid);
    tw_buf_puts(out, "\"");
    put_str_field(out, "title", tw_str_c(rule->title), true);
    put_str_field(out, "desc", tw_str_c(rule->description), true);
    tw_buf_puts(out, ",\"types\":[");
    for (int i = 0; rule->types && rule->types[i]; i++) {
        if (i)
            tw_buf_putc(out, ',');
        tw_buf_put_json_cstr(out, rule->types[i]);
    }
    tw_buf_puts(out, "],\"analytic\":{\"uid\":");
    tw_buf_put_json_cstr(out, rule->id);
    put_str_field(out, "name", tw_str_c(rule->title), true);
    tw_buf_puts(out, ",\"type_id\":1,\"type\":\"Rule\"},\"first_seen_time\":");
    tw_buf_put_i64(out, f->first_seen_ms ? f->first_seen_ms : ev->time_ms);
    tw_buf_puts(out, ",\"last_seen_time\":");
    tw_buf_put_i64(out, ev->time_ms);
    tw_buf_puts(out, "}");

    tw_buf_puts(out, ",\"actor\":{\"user\":{");
    put_str_field(out, "uid", ev->identity, false);
    put_str_field(out, "name", identity_name(ev->identity), true);
    put_str_field(out, "type", tw_str_c(tw_kind_name(f->kind)), true);
    tw_buf_puts(out, ",\"type_id\":99");
    if (ev->account.len) {
        tw_buf_puts(out, ",\"account\":{");
        put_str_field(out, "uid", ev->account, false);
        tw_buf_puts(out, ",\"type_id\":10,\"type\":\"AWS Account\"}");
    }
    if (ev->access_key.len)
        put_str_field(out, "credential_uid", ev->access_key, true);
    tw_buf_putc(out, '}');
    if (ev->session_name.len || ev->principal_arn.len) {
        tw_buf_puts(out, ",\"session\":{");
        bool comma = false;
        if (ev->session_name.len) {
            put_str_field(out, "name", ev->session_name, false);
            comma = true;
        }
        if (ev->principal_arn.len)
            put_str_field(out, "uid", ev->principal_arn, comma);
        tw_buf_putc(out, '}');
    }
    if (ev->user_type.len) {
        tw_buf_puts(out, ",\"idp\":{");
        put_str_field(out, "name", ev->user_type, false);
        tw_buf_putc(out, '}');
    }
    tw_buf_putc(out, '}');

    tw_buf_puts(out, ",\"cloud\":{\"provider\":\"AWS\"");
    if (ev->account.len) {
        tw_buf_puts(out, ",\"account\":{");
        put_str_field(out, "uid", ev->account, false);
        tw_buf_putc(out, '}');
    }
    if (ev->region.len)
        put_str_field(out, "region", ev->region, true);
    tw_buf_putc(out, '}');

    if (ev->source_ip.len) {
        tw_buf_puts(out, ",\"src_endpoint\":{");
        put_str_field(out, "ip", ev->source_ip, false);
        tw_buf_putc(out, '}');
    }

    tw_buf_puts(out, ",\"evidences\":[");
    for (uint32_t i = 0; i < f->n_evidence; i++) {
        const tw_evidence *e = &f->evidence[i];
        if (i)
            tw_buf_putc(out, ',');
        tw_buf_puts(out, "{\"api\":{");
        tw_str action = e->action;
        const char *colon = memchr(action.p, ':', action.len);
        tw_str op =
            colon ? (tw_str){ colon + 1, (uint32_t)(action.p + action.len - colon - 1) } : action;
        tw_str svc = colon ? (tw_str){ action.p, (uint32_t)(colon - action.p) } : TW_STR_NULL;
        put_str_field(out, "operation", op, false);
        tw_buf_puts(out, ",\"service\":{");
        put_str_field(out, "name", svc, false);
        tw_buf_puts(out, "},\"request\":{");
        put_str_field(out, "uid", e->event_id, false);
        tw_buf_putc(out, '}');
        if (e->error_code.len) {
            tw_buf_puts(out, ",\"response\":{");
            put_str_field(out, "error", e->error_code, false);
            tw_buf_putc(out, '}');
        }
        tw_buf_puts(out, "},\"data\":{");
        put_str_field(out, "event_id", e->event_id, false);
        tw_buf_puts(out, ",\"event_time\":");
        put_iso(out, e->time_ms);
        put_str_field(out, "action", action, true);
        if (e->resource.len)
            put_str_field(out, "resource", e->resource, true);
        tw_buf_puts(out, "}}");
    }
    tw_buf_putc(out, ']');
    /* OCSF has no user-agent field on this class, no author for an analytic (a rule's licence
     * may ask for its credit), nor a place for a detection's own facts: "unmapped" holds them
     * (one object: a key twice would lose one of them) */
    bool author = rule->author && rule->author[0];
    if (ev->user_agent.len || author || f->details.len) {
        bool comma = false;
        tw_buf_puts(out, ",\"unmapped\":{");
        if (ev->user_agent.len) {
            put_str_field(out, "user_agent", ev->user_agent, false);
            comma = true;
        }
        if (author) {
            put_str_field(out, "rule_author", tw_str_c(rule->author), comma);
            comma = true;
        }
        if (f->details.len) {
            tw_buf_puts(out, comma ? ",\"trailwarden\":" : "\"trailwarden\":");
            tw_buf_put(out, f->details.p, f->details.len);
        }
        tw_buf_putc(out, '}');
    }

    tw_buf_puts(out, ",\"metadata\":{\"version\":\"1.3.0\",\"product\":{\"name\":\"trailwarden\","
                     "\"vendor_name\":\"trailwarden\",\"version\":\"" TW_VERSION "\"}");
    if (opts->processed_time) {
        tw_buf_puts(out, ",\"processed_time\":");
        tw_buf_put_i64(out, opts->processed_ms);
    }
    tw_buf_puts(out, "}}\n");
}

static void encode_compact(const tw_encode_opts *opts, const tw_finding *f, tw_buf *out)
{
    const tw_event *ev = f->ev;
    char uid[33];
    tw_finding_uid(f->rule->id, ev->identity, ev->event_id, uid);
    tw_buf_puts(out, "{\"time\":");
    put_iso(out, ev->time_ms);
    tw_buf_puts(out, ",\"rule\":");
    tw_buf_put_json_cstr(out, f->rule->id);
    tw_buf_puts(out, ",\"severity\":");
    tw_buf_put_json_cstr(out, tw_severity_name(f->rule->severity));
    put_str_field(out, "identity", ev->identity, true);
    put_str_field(out, "kind", tw_str_c(tw_kind_name(f->kind)), true);
    put_str_field(out, "account", ev->account, true);
    put_str_field(out, "region", ev->region, true);
    put_str_field(out, "summary", tw_str_c(f->summary), true);
    tw_buf_puts(out, ",\"evidence\":[");
    for (uint32_t i = 0; i < f->n_evidence; i++) {
        const tw_evidence *e = &f->evidence[i];
        if (i)
            tw_buf_putc(out, ',');
        tw_buf_puts(out, "{\"time\":");
        put_iso(out, e->time_ms);
        put_str_field(out, "action", e->action, true);
        put_str_field(out, "event_id", e->event_id, true);
        if (e->error_code.len)
            put_str_field(out, "error", e->error_code, true);
        if (e->resource.len)
            put_str_field(out, "resource", e->resource, true);
        tw_buf_putc(out, '}');
    }
    tw_buf_putc(out, ']');
    if (f->details.len) {
        tw_buf_puts(out, ",\"details\":");
        tw_buf_put(out, f->details.p, f->details.len);
    }
    tw_buf_puts(out, ",\"uid\":\"");
    tw_buf_puts(out, uid);
    tw_buf_putc(out, '"');
    if (opts->processed_time) {
        tw_buf_puts(out, ",\"processed_time\":");
        tw_buf_put_i64(out, opts->processed_ms);
    }
    tw_buf_puts(out, "}\n");
}

/* An update of an earlier finding: its uid, how many matching events, the last one's time. */
static void encode_update(const tw_encode_opts *opts, const tw_finding *f, tw_buf *out)
{
    const tw_rule_meta *rule = f->rule;
    char msg[160];
    snprintf(msg, sizeof msg,
             "%u matching events: the finding and %u more its suppression period held back",
             f->count, f->count ? f->count - 1 : 0);
    if (opts->format == TW_FORMAT_COMPACT) {
        tw_buf_puts(out, "{\"time\":");
        put_iso(out, f->last_seen_ms);
        tw_buf_puts(out, ",\"rule\":");
        tw_buf_put_json_cstr(out, rule->id);
        tw_buf_puts(out, ",\"severity\":");
        tw_buf_put_json_cstr(out, tw_severity_name(rule->severity));
        put_str_field(out, "identity", f->identity, true);
        tw_buf_printf(out, ",\"update\":true,\"count\":%u,\"first_time\":", f->count);
        put_iso(out, f->first_seen_ms);
        put_str_field(out, "summary", tw_str_c(msg), true);
        tw_buf_puts(out, ",\"uid\":");
        tw_buf_put_json_cstr(out, f->uid);
    } else {
        tw_buf_puts(out, "{\"class_uid\":2004,\"class_name\":\"Detection Finding\","
                         "\"category_uid\":2,\"category_name\":\"Findings\","
                         "\"activity_id\":2,\"activity_name\":\"Update\",\"type_uid\":200402,"
                         "\"type_name\":\"Detection Finding: Update\",");
        tw_buf_printf(out, "\"severity_id\":%d,\"severity\":\"%s\",", (int)rule->severity,
                      tw_severity_name(rule->severity));
        tw_buf_puts(out, "\"status_id\":1,\"status\":\"New\",\"time\":");
        tw_buf_put_i64(out, f->last_seen_ms);
        tw_buf_printf(out, ",\"count\":%u", f->count);
        put_str_field(out, "message", tw_str_c(msg), true);
        tw_buf_puts(out, ",\"finding_info\":{\"uid\":");
        tw_buf_put_json_cstr(out, f->uid);
        put_str_field(out, "title", tw_str_c(rule->title), true);
        tw_buf_puts(out, ",\"analytic\":{\"uid\":");
        tw_buf_put_json_cstr(out, rule->id);
        put_str_field(out, "name", tw_str_c(rule->title), true);
        tw_buf_puts(out, ",\"type_id\":1,\"type\":\"Rule\"},\"first_seen_time\":");
        tw_buf_put_i64(out, f->first_seen_ms);
        tw_buf_puts(out, ",\"last_seen_time\":");
        tw_buf_put_i64(out, f->last_seen_ms);
        tw_buf_puts(out, "},\"actor\":{\"user\":{");
        put_str_field(out, "uid", f->identity, false);
        put_str_field(out, "name", identity_name(f->identity), true);
        put_str_field(out, "type", tw_str_c(tw_kind_name(f->kind)), true);
        tw_buf_puts(out, ",\"type_id\":99}}");
        tw_buf_puts(out,
                    ",\"metadata\":{\"version\":\"1.3.0\",\"product\":{\"name\":\"trailwarden\","
                    "\"vendor_name\":\"trailwarden\",\"version\":\"" TW_VERSION "\"}");
    }
    if (opts->processed_time) {
        tw_buf_puts(out, ",\"processed_time\":");
        tw_buf_put_i64(out, opts->processed_ms);
    }
    tw_buf_puts(out, opts->format == TW_FORMAT_COMPACT ? "}\n" : "}}\n");
}

void tw_finding_encode(const tw_encode_opts *opts, const tw_finding *f, tw_buf *out)
{
    if (f->update) {
        encode_update(opts, f, out);
        return;
    }
    if (opts->format == TW_FORMAT_COMPACT)
        encode_compact(opts, f, out);
    else
        encode_ocsf(opts, f, out);
}
