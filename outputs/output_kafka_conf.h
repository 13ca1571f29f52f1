/* output_kafka_conf: librdkafka settings as trailwarden takes them (kcat's -X name=value),
 * shared by consume's consumer, route's consumer and the kafka: sink's producer; and how a
 * consumed message's payload is read under ThreadSanitizer. Errors are
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

/* Reading a consumed message's payload. It is librdkafka's: one of its threads frees it after
 * rd_kafka_message_destroy drops the last reference, ordered by reference counts inside the
 * library, which is not instrumented. ThreadSanitizer cannot see that order and takes our earlier reads for a race
 * with the free; it is told to ignore these reads only (writes around them are still checked). */
#ifdef __SANITIZE_THREAD__
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define PAYLOAD_READS_BEGIN() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define PAYLOAD_READS_END() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define PAYLOAD_READS_BEGIN() ((void)0)
#define PAYLOAD_READS_END() ((void)0)
#endif

#endif
