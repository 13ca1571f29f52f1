/* tw_time: event time. Everything is milliseconds since the Unix epoch, UTC. */
#ifndef TW_TIME_H
#define TW_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "tw_err.h"

#define TW_MS_SECOND 1000LL
#define TW_MS_MINUTE (60LL * TW_MS_SECOND)
#define TW_MS_HOUR (60LL * TW_MS_MINUTE)
#define TW_MS_DAY (24LL * TW_MS_HOUR)

/* Parses "2026-09-01T08:15:02Z", with optional fraction ("...02.123Z"), a numeric offset
 * ("+02:00"), or the space-separated form real data holds ("2025-03-26 16:43:57.000000000").
 * A missing zone means UTC. */
tw_err tw_time_parse_iso(const char *s, size_t len, int64_t *ms);

/* Writes "2026-09-01T08:15:02.123Z" (24 bytes + NUL; the fraction only if non-zero). */
size_t tw_time_format_iso(int64_t ms, char *buf, size_t size);

/* "90s", "15m", "24h", "30d", "250ms"; a bare number is seconds. */
tw_err tw_time_parse_duration(const char *s, int64_t *ms);

int64_t tw_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Seconds of the monotonic clock (wall time of a run, rates, timeouts). */
double tw_now_s(void);

#endif
