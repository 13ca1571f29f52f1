/* detect_params: the parameters of the shipped detections (DESIGN §5 defaults). */
#ifndef DETECT_PARAMS_H
#define DETECT_PARAMS_H

#include <stdint.h>

typedef struct tw_read_destructive_params {
    uint32_t min_events;  /* events in the window, all reads (10); at most 1024 */
    int64_t window_ms;    /* 24 h */
    int64_t suppress_ms;  /* once per identity per 24 h */
} tw_read_destructive_params;

typedef struct tw_training_telemetry_params {
    int64_t window_ms;    /* 24 h */
    int64_t suppress_ms;  /* 24 h */
} tw_training_telemetry_params;

extern const tw_read_destructive_params tw_read_destructive_defaults;
extern const tw_training_telemetry_params tw_training_telemetry_defaults;

#endif
