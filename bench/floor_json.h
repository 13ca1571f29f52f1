/* floor_json: the throughput floor's JSON access (bench/floor_extract.c): simdjson On Demand
 * pulling four fields from a line and nothing else, with the kernel the product's wrapper
 * picks on this machine (schema_json.h, tw_json_haswell), so that the floor and replay parse
 * alike. A bench tool's, not the product's. */
#ifndef FLOOR_JSON_H
#define FLOOR_JSON_H

#include <stddef.h>

#include "tw_str.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tw_floor_json tw_floor_json;

tw_floor_json *tw_floor_json_new(void); /* NULL when out of memory */
void tw_floor_json_destroy(tw_floor_json *fj);

/* userIdentity.arn, eventTime, eventSource and eventName of the line buf[0..len) (readable
 * to capacity, at least len + the simdjson padding); an absent field is left as it was.
 * Returns 0, or -1 when the line is no JSON object or a field has the wrong type. */
int tw_floor_json_extract(tw_floor_json *fj, const char *buf, size_t len, size_t capacity,
                          tw_str *arn, tw_str *event_time, tw_str *event_source,
                          tw_str *event_name);

#ifdef __cplusplus
}
#endif

#endif
