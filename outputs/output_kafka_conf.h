/* output_kafka_conf: librdkafka settings as trailwarden takes them (kcat's -X name=value),
 * shared by consume's consumer, route's consumer and the kafka: sink's producer. Errors are
 * librdkafka's words with the property named; a value is never echoed (it may be a password). */
#ifndef OUTPUT_KAFKA_CONF_H
#define OUTPUT_KAFKA_CONF_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "tw_err.h"

/* One property. TW_ERR_INVALID with errstr "NAME: librdkafka's reason". */
tw_err tw_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                         char *errstr, size_t errstr_size);
/* "name=value" entries, in order (a later one overrides). TW_ERR_INVALID as above, or for an
 * entry that is not name=value. */
tw_err tw_kafka_conf_apply(rd_kafka_conf_t *conf, const char *const *props, size_t n_props,
                           char *errstr, size_t errstr_size);

#endif
