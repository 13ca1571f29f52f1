/* schema_json_dispatch: picks the simdjson kernel once, by CPU (see schema_json.cpp). */

#include <stdlib.h>

#include "schema_json.h"

#define TW_JSON_DECLARE(v)                                                                      \
    void *tw_json_new_##v(void);                                                                \
    void tw_json_destroy_##v(void *js);                                                         \
    tw_err tw_json_parse_##v(void *js, const char *buf, size_t len, size_t capacity,            \
                             tw_json_record_cb cb, void *ud, tw_json_error *err);               \
    int tw_json_lookup_##v(void *js, const char *text, size_t len, size_t capacity,             \
                           const tw_str *path, uint32_t n_path, tw_json_value_cb cb, void *ud); \
    tw_err tw_json_walk_##v(void *js, const char *text, size_t len, size_t capacity,            \
                            uint32_t max_depth, tw_json_walk_cb cb, void *ud, tw_json_error *err);
TW_JSON_DECLARE(haswell)
TW_JSON_DECLARE(generic)

/* A handle remembers its kernel, so the choice is made once per parser. */
struct tw_json {
    void *impl;
    int haswell;
};

static int cpu_has_haswell(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
           __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("pclmul") &&
           __builtin_cpu_supports("popcnt");
}

bool tw_json_haswell(void)
{
    return cpu_has_haswell();
}

tw_json *tw_json_new(void)
{
    tw_json *js = malloc(sizeof *js);
    if (!js)
        return NULL;
    js->haswell = cpu_has_haswell();
    js->impl = js->haswell ? tw_json_new_haswell() : tw_json_new_generic();
    if (!js->impl) {
        free(js);
        return NULL;
    }
    return js;
}

void tw_json_destroy(tw_json *js)
{
    if (!js)
        return;
    if (js->haswell)
        tw_json_destroy_haswell(js->impl);
    else
        tw_json_destroy_generic(js->impl);
    free(js);
}

tw_err tw_json_parse(tw_json *js, const char *buf, size_t len, size_t capacity,
                     tw_json_record_cb cb, void *ud, tw_json_error *err)
{
    return js->haswell ? tw_json_parse_haswell(js->impl, buf, len, capacity, cb, ud, err)
                       : tw_json_parse_generic(js->impl, buf, len, capacity, cb, ud, err);
}

int tw_json_lookup(tw_json *js, const char *text, size_t len, size_t capacity, const tw_str *path,
                   uint32_t n_path, tw_json_value_cb cb, void *ud)
{
    return js->haswell
               ? tw_json_lookup_haswell(js->impl, text, len, capacity, path, n_path, cb, ud)
               : tw_json_lookup_generic(js->impl, text, len, capacity, path, n_path, cb, ud);
}

tw_err tw_json_walk(tw_json *js, const char *text, size_t len, size_t capacity, uint32_t max_depth,
                    tw_json_walk_cb cb, void *ud, tw_json_error *err)
{
    return js->haswell
               ? tw_json_walk_haswell(js->impl, text, len, capacity, max_depth, cb, ud, err)
               : tw_json_walk_generic(js->impl, text, len, capacity, max_depth, cb, ud, err);
}
