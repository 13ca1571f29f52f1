/* tw_log: what trailwarden says on stderr. One line a message, "trailwarden: " first, the
 * newline added; a message is written in one call, so lines of two threads never interleave.
 * Findings go to outputs (stdout by default), never here; --stats counters are a block of
 * their own (app_stats.c). */
#ifndef TW_LOG_H
#define TW_LOG_H

#include <stdarg.h>

void tw_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tw_vlog(const char *fmt, va_list ap);

#endif
