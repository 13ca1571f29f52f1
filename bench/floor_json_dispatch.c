/* floor_json_dispatch: the floor's kernel, the one the product's JSON wrapper runs here. */
#include <stdlib.h>

#include "floor_json.h"
#include "schema_json.h"

#define TW_FLOOR_DECLARE(v)                                                               \
    void *tw_floor_json_new_##v(void);                                                    \
    void tw_floor_json_destroy_##v(void *fj);                                             \
    int tw_floor_json_extract_##v(void *fj, const char *buf, size_t len, size_t capacity, \
                                  tw_str *arn, tw_str *event_time, tw_str *event_source,  \
                                  tw_str *event_name);
TW_FLOOR_DECLARE(haswell)
TW_FLOOR_DECLARE(generic)

struct tw_floor_json {
    void *impl;
    int haswell;
};

tw_floor_json *tw_floor_json_new(void)
{
    tw_floor_json *fj = malloc(sizeof *fj);
    if (!fj)
        return NULL;
    fj->haswell = tw_json_haswell();
    fj->impl = fj->haswell ? tw_floor_json_new_haswell() : tw_floor_json_new_generic();
    if (!fj->impl) {
        free(fj);
        return NULL;
    }
    return fj;
}

void tw_floor_json_destroy(tw_floor_json *fj)
{
    if (!fj)
        return;
    if (fj->haswell)
        tw_floor_json_destroy_haswell(fj->impl);
    else
        tw_floor_json_destroy_generic(fj->impl);
    free(fj);
}

int tw_floor_json_extract(tw_floor_json *fj, const char *buf, size_t len, size_t capacity,
                          tw_str *arn, tw_str *event_time, tw_str *event_source, tw_str *event_name)
{
    return fj->haswell ? tw_floor_json_extract_haswell(fj->impl, buf, len, capacity, arn,
                                                       event_time, event_source, event_name)
                       : tw_floor_json_extract_generic(fj->impl, buf, len, capacity, arn,
                                                       event_time, event_source, event_name);
}
