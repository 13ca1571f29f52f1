#include "tw_time.h"

#include <time.h>

#include <stdio.h>
#include <stdlib.h>

/* Howard Hinnant's days_from_civil: proleptic Gregorian date to days since 1970-01-01. */
int64_t tw_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

tw_err tw_time_parse_iso(const char *s, size_t len, int64_t *ms)
{
    int y, mo, d, h, mi, sec;
    if (len < 19 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return TW_ERR_PARSE;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return TW_ERR_PARSE;
    size_t i = 19;
    int frac_ms = 0;
    if (i < len && (s[i] == '.' || s[i] == ',')) {
        i++;
        size_t start = i;
        int scale = 100;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            frac_ms += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start)
            return TW_ERR_PARSE;
    }
    int64_t offset_ms = 0;
    if (i < len) {
        if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
            i++;
        } else if ((s[i] == '+' || s[i] == '-') && len - i == 6 && s[i + 3] == ':') {
            int oh, om;
            if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
                return TW_ERR_PARSE;
            offset_ms = ((int64_t)oh * 60 + om) * TW_MS_MINUTE;
            if (s[i] == '+')
                offset_ms = -offset_ms;
            i = len;
        } else {
            return TW_ERR_PARSE;
        }
    }
    if (i != len)
        return TW_ERR_PARSE;
    int64_t days = tw_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *ms = ((days * 24 + h) * 60 + mi) * TW_MS_MINUTE + (int64_t)sec * TW_MS_SECOND + frac_ms +
          offset_ms;
    return TW_OK;
}

size_t tw_time_format_iso(int64_t ms, char *buf, size_t size)
{
    int64_t days = ms >= 0 ? ms / TW_MS_DAY : -((-ms + TW_MS_DAY - 1) / TW_MS_DAY);
    int64_t rem = ms - days * TW_MS_DAY;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int h = (int)(rem / TW_MS_HOUR), mi = (int)(rem / TW_MS_MINUTE % 60),
        sec = (int)(rem / TW_MS_SECOND % 60), frac = (int)(rem % 1000);
    int n;
    if (frac)
        n = snprintf(buf, size, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d, h, mi,
                     sec, frac);
    else
        n = snprintf(buf, size, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, h, mi, sec);
    return n < 0 ? 0 : (size_t)n;
}

tw_err tw_time_parse_duration(const char *s, int64_t *ms)
{
    if (!s || !*s)
        return TW_ERR_INVALID;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v >= 0)) /* NaN too */
        return TW_ERR_INVALID;
    int64_t unit;
    if (*end == '\0' || (end[0] == 's' && end[1] == '\0'))
        unit = TW_MS_SECOND;
    else if (end[0] == 'm' && end[1] == 's' && end[2] == '\0')
        unit = 1;
    else if (end[0] == 'm' && end[1] == '\0')
        unit = TW_MS_MINUTE;
    else if (end[0] == 'h' && end[1] == '\0')
        unit = TW_MS_HOUR;
    else if (end[0] == 'd' && end[1] == '\0')
        unit = TW_MS_DAY;
    else
        return TW_ERR_INVALID;
    if (!(v * (double)unit <= 9.0e15)) /* infinity too */
        return TW_ERR_INVALID;
    *ms = (int64_t)(v * (double)unit);
    return TW_OK;
}

double tw_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
