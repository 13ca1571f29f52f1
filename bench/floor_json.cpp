/* floor_json.cpp: the floor's four fields with simdjson On Demand (floor_json.h). Compiled
 * twice, like the product's wrapper (CMakeLists.txt): with the AVX2 kernel and generic;
 * floor_json_dispatch.c picks the one the product picks. */
#include <cstring>
#include <new>
#include <string_view>

#include <simdjson.h>

#include "tw_str.h"

#ifndef TW_FLOOR_VARIANT
#define TW_FLOOR_VARIANT generic
#endif
#define TW_CAT2(a, b) a##_##b
#define TW_CAT(a, b) TW_CAT2(a, b)
#define TW_FLOOR_FN(name) TW_CAT(name, TW_FLOOR_VARIANT)

using namespace simdjson;

namespace {

/* CloudTrail keys carry no escapes: the raw key is the name, then its closing quote */
inline bool key_is(const char *raw, const char *name)
{
    size_t n = std::strlen(name);
    return std::memcmp(raw, name, n) == 0 && raw[n] == '"';
}

inline tw_str view(std::string_view sv)
{
    return tw_str{ sv.data(), (uint32_t)sv.size() };
}

} // namespace

extern "C" {

void *TW_FLOOR_FN(tw_floor_json_new)(void);
void TW_FLOOR_FN(tw_floor_json_destroy)(void *fj);
int TW_FLOOR_FN(tw_floor_json_extract)(void *fj, const char *buf, size_t len, size_t capacity,
                                       tw_str *arn, tw_str *event_time, tw_str *event_source,
                                       tw_str *event_name);

void *TW_FLOOR_FN(tw_floor_json_new)(void)
{
    return new (std::nothrow) ondemand::parser();
}

void TW_FLOOR_FN(tw_floor_json_destroy)(void *fj)
{
    delete static_cast<ondemand::parser *>(fj);
}

int TW_FLOOR_FN(tw_floor_json_extract)(void *fj, const char *buf, size_t len, size_t capacity,
                                       tw_str *arn, tw_str *event_time, tw_str *event_source,
                                       tw_str *event_name)
{
    ondemand::parser *parser = static_cast<ondemand::parser *>(fj);
    ondemand::document doc;
    ondemand::object obj;
    if (parser->iterate(buf, len, capacity).get(doc) || doc.get_object().get(obj))
        return -1;
    for (auto f : obj) {
        ondemand::field field;
        if (std::move(f).get(field))
            return -1;
        const char *k = field.key().raw();
        std::string_view sv;
        tw_str *into = key_is(k, "eventTime")     ? event_time
                       : key_is(k, "eventSource") ? event_source
                       : key_is(k, "eventName")   ? event_name
                                                  : nullptr;
        if (into) {
            if (field.value().get_string().get(sv))
                return -1;
            *into = view(sv);
        } else if (key_is(k, "userIdentity")) {
            ondemand::object ui;
            if (field.value().get_object().get(ui))
                return -1;
            for (auto g : ui) {
                ondemand::field uf;
                if (std::move(g).get(uf))
                    return -1;
                if (key_is(uf.key().raw(), "arn")) {
                    if (uf.value().get_string().get(sv))
                        return -1;
                    *arn = view(sv);
                }
            }
        }
    }
    return 0;
}

} // extern "C"
