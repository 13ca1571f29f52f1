/* tw_log: see tw_log.h. */
#include "tw_log.h"

#include <stdio.h>

void tw_vlog(const char *fmt, va_list ap)
{
    char line[2048];
    size_t n = (size_t)snprintf(line, sizeof line, "trailwarden: ");
    size_t room = sizeof line - n - 1; /* the newline's byte kept */
    int m = vsnprintf(line + n, room, fmt, ap);
    size_t len = n + (m < 0 ? 0 : (size_t)m < room ? (size_t)m : room - 1);
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}

void tw_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tw_vlog(fmt, ap);
    va_end(ap);
}
