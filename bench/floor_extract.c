/* floor_extract (tw_floor): the throughput floor of bench/run_throughput.sh.
 *
 * The least work any CloudTrail analyzer must do per NDJSON line: find the line, and have
 * simdjson On Demand pull userIdentity.arn, eventTime, eventSource and eventName
 * (floor_json.h). No routing, no state, no rules, one thread. `trailwarden replay`
 * is measured against it, so this loop stays lean: large reads into one padded block, lines
 * parsed in place (simdjson may read TW_JSON_PADDING bytes past a line; the next line's bytes
 * or the block's own padding are there), no allocation per line. A checksum of the field
 * lengths is printed so the compiler cannot drop the work.
 *
 * Usage: tw_floor [FILE]   (stdin when absent or '-')
 * Prints: lines=N bytes=B checksum=C   (lines: records extracted; errors, if any, on stderr) */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "floor_json.h"
#include "schema_json.h"
#include "tw_str.h"

#define BLOCK_BYTES (16u << 20)

typedef struct floor_count {
    uint64_t lines;
    uint64_t errors;
    uint64_t checksum;
} floor_count;

static void extract_line(tw_floor_json *js, const char *p, size_t len, size_t capacity,
                         floor_count *fc)
{
    while (len && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    if (!len)
        return;
    /* Absent fields (an AWSService caller has no arn) may be left untouched: start empty. */
    tw_str arn = TW_STR_NULL, event_time = TW_STR_NULL, event_source = TW_STR_NULL,
           event_name = TW_STR_NULL;
    if (tw_floor_json_extract(js, p, len, capacity, &arn, &event_time, &event_source,
                              &event_name) != 0) {
        fc->errors++;
        return;
    }
    fc->lines++;
    fc->checksum += (uint64_t)arn.len + event_time.len + event_source.len + event_name.len;
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-' && argv[1][1])) {
        fputs("usage: tw_floor [FILE]   (NDJSON; stdin when absent or '-')\n", stderr);
        return 2;
    }
    int fd = STDIN_FILENO;
    const char *name = "(stdin)";
    if (argc == 2 && strcmp(argv[1], "-") != 0) {
        name = argv[1];
        fd = open(name, O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "tw_floor: %s: %s\n", name, strerror(errno));
            return 1;
        }
    }
    size_t cap = BLOCK_BYTES;
    char *buf = malloc(cap + TW_JSON_PADDING);
    tw_floor_json *js = tw_floor_json_new();
    if (!buf || !js) {
        fputs("tw_floor: out of memory\n", stderr);
        return 1;
    }
    floor_count fc = { 0, 0, 0 };
    uint64_t bytes = 0;
    size_t len = 0; /* bytes held in buf: a partial line, then what was read */
    int status = 0;
    for (;;) {
        /* Fill at least half the block before scanning, so lines are found in long runs
         * even when a pipe hands over 64 KiB at a time. */
        bool eof = false;
        while (len < cap / 2) {
            ssize_t n = read(fd, buf + len, cap - len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                fprintf(stderr, "tw_floor: %s: %s\n", name, strerror(errno));
                status = 1;
                eof = true;
                break;
            }
            if (n == 0) {
                eof = true;
                break;
            }
            len += (size_t)n;
            bytes += (uint64_t)n;
        }
        memset(buf + len, 0, TW_JSON_PADDING); /* defined bytes after the last line */
        const char *p = buf, *end = buf + len, *limit = buf + cap + TW_JSON_PADDING;
        const char *nl;
        while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            extract_line(js, p, (size_t)(nl - p), (size_t)(limit - p), &fc);
            p = nl + 1;
        }
        size_t rest = (size_t)(end - p);
        if (eof) {
            extract_line(js, p, rest, (size_t)(limit - p), &fc);
            break;
        }
        memmove(buf, p, rest);
        len = rest;
        if (len >= cap / 2) { /* a line longer than half a block: make room */
            char *grown = realloc(buf, cap * 2 + TW_JSON_PADDING);
            if (!grown) {
                fputs("tw_floor: out of memory\n", stderr);
                status = 1;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    printf("lines=%" PRIu64 " bytes=%" PRIu64 " checksum=%" PRIu64 "\n", fc.lines, bytes,
           fc.checksum);
    if (fc.errors)
        fprintf(stderr, "tw_floor: %" PRIu64 " lines were not JSON records\n", fc.errors);
    tw_floor_json_destroy(js);
    free(buf);
    if (fd != STDIN_FILENO)
        close(fd);
    return status;
}
