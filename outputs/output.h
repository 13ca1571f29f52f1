/* outputs: finding encoders (OCSF 1.3 Detection Finding, compact) and sinks (stdout, file,
 * kafka). Encoders run in the worker that raised the finding (it owns the event's bytes); sinks
 * run in the output stage, which writes findings in stream order. A sink answers OK, RETRY or
 * ERROR and never sleeps inside write; flush may wait, since it promises durability. */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "tw_buf.h"
#include "tw_err.h"
#include "tw_finding.h"
#include "tw_kafka_conf.h"

typedef enum tw_format {
    TW_FORMAT_OCSF = 0,
    TW_FORMAT_COMPACT = 1,
} tw_format;

typedef struct tw_encode_opts {
    tw_format format;
    bool processed_time; /* consume: metadata.processed_time (wall clock) */
    int64_t processed_ms;
} tw_encode_opts;

/* Appends one finding as a JSON line (with the newline). */
void tw_finding_encode(const tw_encode_opts *opts, const tw_finding *f, tw_buf *out);

typedef enum tw_sink_rc {
    TW_SINK_OK = 0,
    TW_SINK_RETRY = 1,
    TW_SINK_ERROR = 2,
} tw_sink_rc;

/* What a sink may need from the command that opens it: `consume` passes its brokers and its
 * -X properties so that `-o kafka:TOPIC` writes to the cluster it reads from, with the same
 * security settings. Borrowed for the duration of tw_sink_open_env only. */
typedef struct tw_sink_env {
    const char *brokers;      /* NULL: none (kafka:TOPIC then needs @BROKERS) */
    const char *const *props; /* "name=value" as given to -X */
    size_t n_props;
} tw_sink_env;

typedef struct tw_sink_ops {
    const char *name; /* the SPEC prefix: "stdout", "file", "kafka" */
    /* arg: the SPEC after "NAME:" (NULL if none); env may be NULL */
    tw_err (*open)(const char *arg, const tw_sink_env *env, void **sink, char *errstr,
                   size_t errstr_size);
    /* key: the finding's identity key, or empty when the caller has none; json: one line with
     * its newline. The sink copies what it keeps. */
    tw_sink_rc (*write)(void *sink, tw_str key, const char *json, size_t len);
    tw_sink_rc (*flush)(void *sink); /* after flush, what was written is durable */
    void (*close)(void *sink);
    /* Optional: hands what is buffered on now (to the OS, to the broker) without waiting for
     * durability: a quiet consume shows each finding at once rather than at the next flush. */
    tw_sink_rc (*push)(void *sink);
    /* Optional: why the last ERROR ("No space left on device"), for the message naming it. */
    const char *(*error)(void *sink);
    /* Optional (kafka): json to every partition of the topic, each copy with the header
     * name=value. RETRY: the partitions written stay written, the next call with the same
     * arguments goes on from the first one not written. */
    tw_sink_rc (*write_all)(void *sink, const char *name, const char *value, const char *json,
                            size_t len);
} tw_sink_ops;

typedef struct tw_sink {
    const tw_sink_ops *ops;
    void *ctx;
    char spec[256];
} tw_sink;

/* The producer properties a kafka: sink sets after its -X, whatever they say (consume refuses
 * a -X that would change one beforehand: tw_kafka_conf_check). */
extern const tw_kafka_guard tw_sink_kafka_guards[];
extern const size_t tw_sink_kafka_n_guards;

/* Opens "stdout", "file:PATH", "kafka:TOPIC" or "kafka:TOPIC@BROKERS"; errstr names the spec
 * on failure. kafka:TOPIC takes env->brokers; without them it is an error. env's -X properties
 * apply to a kafka sink either way. */
tw_err tw_sink_open_env(const char *spec, const tw_sink_env *env, tw_sink *sink, char *errstr,
                        size_t errstr_size);
/* tw_sink_open_env with no env. */
tw_err tw_sink_open(const char *spec, tw_sink *sink, char *errstr, size_t errstr_size);
/* Writes one finding keyed by its identity key (Kafka's message key; stdout and file ignore
 * it). RETRY: nothing was taken, call again (after doing other work; the sink does not sleep). */
tw_sink_rc tw_sink_write_keyed(tw_sink *sink, tw_str key, const char *json, size_t len);
/* tw_sink_write_keyed with an empty key: the kafka sink then takes the key from the line
 * (actor.user.uid in OCSF, identity in compact). */
tw_sink_rc tw_sink_write(tw_sink *sink, const char *json, size_t len);
/* Waits until everything written is durable (Kafka: acknowledged by all in-sync replicas).
 * ERROR if anything written could not be made so; a kafka sink stays failed after that. */
tw_sink_rc tw_sink_flush(tw_sink *sink);
/* Whether the sink has partitions to write a copy to each of (kafka). */
bool tw_sink_partitioned(const tw_sink *sink);
/* The sink's write_all (ERROR, saying so, for a sink without partitions). */
tw_sink_rc tw_sink_write_all(tw_sink *sink, const char *name, const char *value, const char *json,
                             size_t len);
tw_sink_rc tw_sink_push(tw_sink *sink); /* OK when the sink has nothing of the kind */
void tw_sink_close(tw_sink *sink);      /* NULL-safe; a kafka sink flushes (bounded) first */
/* Why the sink's last write or flush answered ERROR: "" when it cannot say. */
const char *tw_sink_error(const tw_sink *sink);

#endif
