/* tw_kafka_conf: librdkafka settings as trailwarden takes them (kcat's -X name=value), shared
 * by the Kafka source (ingest/ingest_source_kafka.c: consume's and route's consumer) and the
 * kafka: sink's producer (outputs/output_sink_kafka.c); and the check that no -X changes a
 * property a guarantee rests on. Errors are librdkafka's words with the property named; a
 * value is never echoed (it may be a password).
 *
 * Why in common/: the source (ingest/) and the sink (outputs/) both need it and neither may
 * depend on the other. rd_kafka_conf_t is only named here, so a library that links tw_common
 * without using these needs no librdkafka header. */
#ifndef TW_KAFKA_CONF_H
#define TW_KAFKA_CONF_H

#include <stddef.h>

#include "tw_err.h"

/* The header route puts on the copies of a grant call it writes to every partition of its
 * topic (value TW_KAFKA_COPY_GRANTS): consume's grant books read them, nothing else does. */
#define TW_KAFKA_COPY_HEADER "trailwarden-copy"
#define TW_KAFKA_COPY_GRANTS "grants"

typedef struct rd_kafka_conf_s rd_kafka_conf_t; /* <librdkafka/rdkafka.h> */

/* One property. TW_ERR_INVALID with errstr "NAME: librdkafka's reason". */
tw_err tw_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr,
                         size_t errstr_size);
/* "name=value" entries, in order (a later one overrides). TW_ERR_INVALID as above, or for an
 * entry that is not name=value. */
tw_err tw_kafka_conf_apply(rd_kafka_conf_t *conf, const char *const *props, size_t n_props,
                           char *errstr, size_t errstr_size);

/* A property trailwarden sets whatever -X says, and why (said when a -X would change it). */
typedef struct tw_kafka_guard {
    const char *name;
    const char *value;
    const char *why;
} tw_kafka_guard;

/* Sets each guarded property to its value (after the -X, so that none can weaken it). */
tw_err tw_kafka_conf_guard(rd_kafka_conf_t *conf, const tw_kafka_guard *guards, size_t n,
                           char *errstr, size_t errstr_size);
/* Refuses (TW_ERR_INVALID) a -X that changes a guarded property, naming the -X, the property,
 * its value and why; each -X is applied alone over the guarded values and librdkafka's own
 * parsing says what it changes, so an alias, a synonym (latest, largest, end) or another
 * spelling (1, T) is caught too. A -X librdkafka refuses is left for the client's
 * construction to say, in librdkafka's words. */
tw_err tw_kafka_conf_check(const char *const *props, size_t n_props, const tw_kafka_guard *guards,
                           size_t n_guards, char *errstr, size_t errstr_size);

#endif
