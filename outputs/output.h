/* outputs: finding encoders (OCSF 1.3 Detection Finding, compact) and sinks (stdout, file).
 * Encoders run in the worker that raised the finding (it owns the event's bytes); sinks run
 * in the output stage, which writes findings in stream order. A sink answers OK, RETRY or
 * ERROR and never sleeps inside. */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "tw_buf.h"
#include "tw_err.h"
#include "tw_finding.h"

typedef enum tw_format {
    TW_FORMAT_OCSF = 0,
    TW_FORMAT_COMPACT = 1,
} tw_format;

typedef struct tw_encode_opts {
    tw_format format;
    bool processed_time;     /* consume: metadata.processed_time (wall clock) */
    int64_t processed_ms;
} tw_encode_opts;

/* Appends one finding as a JSON line (with the newline). */
void tw_finding_encode(const tw_encode_opts *opts, const tw_finding *f, tw_buf *out);

/* finding_info.uid: hash of (rule id, identity key, triggering eventID), 32 hex digits. */
void tw_finding_uid(const char *rule_id, tw_str identity, tw_str event_id, char out[33]);

typedef enum tw_sink_rc {
    TW_SINK_OK = 0,
    TW_SINK_RETRY = 1,
    TW_SINK_ERROR = 2,
} tw_sink_rc;

typedef struct tw_sink_ops {
    const char *name;        /* the SPEC prefix: "stdout", "file" */
    tw_err (*open)(const char *arg, void **sink, char *errstr, size_t errstr_size);
    tw_sink_rc (*write)(void *sink, const char *json, size_t len);
    tw_sink_rc (*flush)(void *sink); /* after flush, what was written is durable */
    void (*close)(void *sink);
} tw_sink_ops;

typedef struct tw_sink {
    const tw_sink_ops *ops;
    void *ctx;
    char spec[256];
} tw_sink;

/* Opens "stdout", "file:PATH"; errstr names the spec on failure. */
tw_err tw_sink_open(const char *spec, tw_sink *sink, char *errstr, size_t errstr_size);
tw_sink_rc tw_sink_write(tw_sink *sink, const char *json, size_t len);
tw_sink_rc tw_sink_flush(tw_sink *sink);
void tw_sink_close(tw_sink *sink); /* NULL-safe */

#endif
