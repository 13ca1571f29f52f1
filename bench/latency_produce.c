/* tw_latency_produce: the producer of the latency bench (bench/run_latency.sh).
 *
 *   tw_latency_produce -b BROKERS -t TOPIC -r RATE -i FILE [-o SENDLOG] [-n N] [-k]
 *                      [-X prop=value]...
 *   tw_latency_produce --follow FILE
 *
 * Produce mode: reads FILE (NDJSON, one CloudTrail record a line; '-' for stdin) into memory,
 * then produces its first N lines (all by default) to TOPIC, one message a line, at RATE
 * records/s (0: as fast as librdkafka takes them). Pacing follows an absolute schedule: record
 * i is due at t0 + i / RATE, and the producer sleeps (clock_nanosleep, TIMER_ABSTIME, on
 * CLOCK_MONOTONIC) only when it is ahead of it, so a late wake-up is caught up on, not carried
 * forward. Each message is keyed by its identity, as tests/kafka/consume.sh keys them:
 * userIdentity.sessionContext.sessionIssuer.arn, else userIdentity.arn, else
 * userIdentity.invokedBy, else userIdentity.principalId, else "none" (so an identity's records
 * share a partition); -k: no key, each message to a random partition (an even spread, for
 * preloading many partitions up to the mock's ~5 MB a partition). Event times are left as they are: latency is measured on the wall clock.
 * With -o, writes "eventID<TAB>send_unix_ms" a record (ms with three decimals, CLOCK_REALTIME
 * read just before the record is handed to librdkafka). Defaults: acks=1, linger.ms=0, no
 * idempotence; -X overrides any librdkafka property. On stderr: the records sent, the achieved
 * rate, how far sends fell behind the schedule, and delivery failures (exit 1 if any).
 *
 * Follow mode: waits for FILE to exist, then reads what is appended to it (every millisecond
 * when there is nothing new) and prints "LINE_NUMBER<TAB>unix_ms" for each complete line the
 * moment it is seen, until SIGTERM or SIGINT: when each finding became readable in the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *o)
{
    fputs("usage: tw_latency_produce -b BROKERS -t TOPIC -r RATE -i FILE [-o SENDLOG] [-n N]\n"
          "                          [-k] [-X prop=value]...\n"
          "       tw_latency_produce --follow FILE\n"
          "  Produces FILE's lines at RATE records/s (0: unpaced), keyed by identity (-k: not\n"
          "  keyed, a random partition each); SENDLOG\n"
          "  gets eventID<TAB>send_unix_ms a record. --follow prints LINE<TAB>unix_ms for each\n"
          "  line appended to FILE, as it appears, until SIGTERM.\n",
          o);
}

static double realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- a few JSON keys, without a parser ---------------------------------------------------- */

/* p points at '"': returns the character after the closing quote (or end). */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return end;
}

/* p points at a value: returns the character after it (strings, objects, arrays, scalars). */
static const char *skip_value(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end)
        return end;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; p < end; p++) {
            if (*p == '"') {
                p = skip_string(p, end) - 1;
            } else if (*p == '{' || *p == '[') {
                depth++;
            } else if (*p == '}' || *p == ']') {
                if (--depth == 0)
                    return p + 1;
            }
        }
        return end;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']')
        p++;
    return p;
}

/* obj points at '{': finds the member named key (no escapes in it) directly in that object;
 * *val_end is set after its value. NULL if absent. */
static const char *member(const char *obj, const char *end, const char *key, const char **val_end)
{
    size_t klen = strlen(key);
    const char *p = obj + 1;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n' || *p == '\r'))
            p++;
        if (p >= end || *p != '"')
            return NULL; /* '}' or malformed */
        const char *name = p + 1;
        const char *after = skip_string(p, end);
        bool match = (size_t)(after - 1 - name) == klen && !memcmp(name, key, klen);
        p = after;
        while (p < end && (*p == ' ' || *p == ':'))
            p++;
        const char *vend = skip_value(p, end);
        if (match) {
            *val_end = vend;
            return p;
        }
        p = vend;
    }
    return NULL;
}

/* A member's string value (without quotes), or false. */
static bool member_str(const char *obj, const char *end, const char *key, const char **s,
                       size_t *len)
{
    const char *vend, *v = member(obj, end, key, &vend);
    if (!v || *v != '"' || vend - v < 2)
        return false;
    *s = v + 1;
    *len = (size_t)(vend - v - 2);
    return true;
}

static void identity_key(const char *line, const char *end, const char **k, size_t *klen)
{
    const char *uend, *ui = member(line, end, "userIdentity", &uend);
    if (ui && *ui == '{') {
        const char *cend, *ctx = member(ui, uend, "sessionContext", &cend);
        const char *iend,
            *iss = ctx && *ctx == '{' ? member(ctx, cend, "sessionIssuer", &iend) : NULL;
        if (iss && *iss == '{' && member_str(iss, iend, "arn", k, klen))
            return;
        if (member_str(ui, uend, "arn", k, klen) || member_str(ui, uend, "invokedBy", k, klen) ||
            member_str(ui, uend, "principalId", k, klen))
            return;
    }
    *k = "none";
    *klen = 4;
}

/* ---- produce ------------------------------------------------------------------------------ */

typedef struct line {
    const char *p;
    size_t len;
} line;

static char *read_all(const char *path, size_t *len)
{
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
    if (fd < 0) {
        fprintf(stderr, "tw_latency_produce: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 24, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fprintf(stderr, "tw_latency_produce: out of memory reading %s\n", path);
            break;
        }
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                continue;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fprintf(stderr, "tw_latency_produce: %s: %s\n", path, strerror(errno));
            free(buf);
            buf = NULL;
            break;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    if (fd != STDIN_FILENO)
        close(fd);
    *len = n;
    return buf;
}

static uint64_t delivered, failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err) {
        if (failed++ < 5)
            fprintf(stderr, "tw_latency_produce: delivery failed: %s\n", rd_kafka_err2str(m->err));
    } else {
        delivered++;
    }
}

static bool set(rd_kafka_conf_t *c, const char *name, const char *value)
{
    char err[512];
    if (rd_kafka_conf_set(c, name, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "tw_latency_produce: %s=%s: %s\n", name, value, err);
        return false;
    }
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int produce(const char *brokers, const char *topic, double rate, const char *in,
                   const char *sendlog, uint64_t limit, bool keyless, char **props, int n_props)
{
    size_t len;
    char *buf = read_all(in, &len);
    if (!buf)
        return 1;
    size_t n = 0, cap = 1 << 16;
    line *lines = malloc(cap * sizeof *lines);
    for (char *p = buf, *end = buf + len; lines && p < end && n < limit;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        if (le > p) {
            if (n == cap) {
                line *nls = realloc(lines, cap * 2 * sizeof *lines);
                if (!nls) {
                    free(lines);
                    lines = NULL;
                    break;
                }
                lines = nls;
                cap *= 2;
            }
            lines[n++] = (line){ p, (size_t)(le - p) };
        }
        p = le + 1;
    }
    if (!lines) {
        fprintf(stderr, "tw_latency_produce: out of memory\n");
        return 1;
    }
    FILE *log = NULL;
    if (sendlog && !(log = fopen(sendlog, "w"))) {
        fprintf(stderr, "tw_latency_produce: %s: %s\n", sendlog, strerror(errno));
        return 1;
    }

    rd_kafka_conf_t *c = rd_kafka_conf_new();
    bool ok = set(c, "bootstrap.servers", brokers) && set(c, "acks", "1") &&
              set(c, "linger.ms", "0") && set(c, "enable.idempotence", "false") &&
              set(c, "queue.buffering.max.messages", "1000000") &&
              set(c, "queue.buffering.max.kbytes", "1048576") &&
              (!keyless || set(c, "sticky.partitioning.linger.ms", "0"));
    for (int i = 0; ok && i < n_props; i++) {
        char *eq = strchr(props[i], '=');
        if (!eq) {
            fprintf(stderr, "tw_latency_produce: -X %s: expected prop=value\n", props[i]);
            ok = false;
            break;
        }
        *eq = '\0';
        ok = set(c, props[i], eq + 1);
        *eq = '=';
    }
    if (!ok) {
        rd_kafka_conf_destroy(c);
        return 2;
    }
    rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "tw_latency_produce: %s\n", err);
        return 1;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);

    /* lateness of each send behind its schedule, sampled (every record up to 1M) */
    size_t n_late = n < 1000000 ? n : 1000000;
    double *late = malloc((n_late ? n_late : 1) * sizeof *late);
    size_t late_every = n / (n_late ? n_late : 1) + 1;

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double start = (double)t0.tv_sec + (double)t0.tv_nsec / 1e9;
    size_t sent = 0, n_lat = 0;
    uint64_t queue_full = 0;
    for (size_t i = 0; i < n && !stop; i++) {
        double due = rate > 0 ? start + (double)i / rate : 0;
        if (rate > 0 && mono_s() < due) {
            struct timespec ts = { (time_t)due, (long)((due - (double)(time_t)due) * 1e9) };
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
                ;
        }
        const char *k, *id;
        size_t klen, idlen;
        const char *le = lines[i].p + lines[i].len;
        if (keyless) {
            k = NULL;
            klen = 0;
        } else {
            identity_key(lines[i].p, le, &k, &klen);
        }
        if (!member_str(lines[i].p, le, "eventID", &id, &idlen)) {
            id = "-";
            idlen = 1;
        }
        double now = realtime_ms();
        if (rate > 0 && i % late_every == 0 && n_lat < n_late)
            late[n_lat++] = mono_s() - due;
        while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)lines[i].p,
                                lines[i].len, k, klen, NULL) == -1) {
            rd_kafka_resp_err_t e = rd_kafka_last_error();
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "tw_latency_produce: produce: %s\n", rd_kafka_err2str(e));
                stop = 1;
                break;
            }
            queue_full++;
            rd_kafka_poll(rk, 1);
            now = realtime_ms();
        }
        if (stop)
            break;
        if (log)
            fprintf(log, "%.*s\t%.3f\n", (int)idlen, id, now);
        sent++;
        if ((i & 63) == 0)
            rd_kafka_poll(rk, 0);
    }
    double elapsed = mono_s() - start;
    rd_kafka_resp_err_t fe = rd_kafka_flush(rk, 60000);
    double flushed = mono_s() - start;
    if (log && fclose(log) != 0) {
        fprintf(stderr, "tw_latency_produce: %s: %s\n", sendlog, strerror(errno));
        failed++;
    }
    if (fe)
        fprintf(stderr, "tw_latency_produce: flush: %s (%d messages left)\n", rd_kafka_err2str(fe),
                rd_kafka_outq_len(rk));
    double p50 = 0, p99 = 0, mx = 0;
    if (n_lat) {
        qsort(late, n_lat, sizeof *late, cmp_double);
        p50 = late[n_lat / 2];
        p99 = late[(size_t)((double)n_lat * 0.99)];
        mx = late[n_lat - 1];
    }
    fprintf(stderr,
            "tw_latency_produce: sent=%zu seconds=%.3f rate=%.0f target=%.0f delivered=%" PRIu64
            " failed=%" PRIu64 " flushed_after=%.3f behind_schedule_ms p50=%.3f p99=%.3f "
            "max=%.3f queue_full=%" PRIu64 "\n",
            sent, elapsed, elapsed > 0 ? (double)sent / elapsed : 0.0, rate, delivered, failed,
            flushed, p50 * 1e3, p99 * 1e3, mx * 1e3, queue_full);
    free(late);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    free(lines);
    free(buf);
    return failed || fe || delivered != sent ? 1 : 0;
}

/* ---- follow ------------------------------------------------------------------------------- */

static int follow(const char *path)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    const struct timespec ms = { 0, 1000000 };
    int fd = -1;
    while (!stop && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        nanosleep(&ms, NULL);
    if (fd < 0)
        return 0;
    static char buf[1 << 16];
    uint64_t lineno = 0;
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    /* after the stop, one more read picks up what came last */
    for (int last = 0; last < 2;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            perror("tw_latency_produce: read");
            return 1;
        }
        if (got == 0) {
            if (stop)
                last++;
            else
                nanosleep(&ms, NULL);
            continue;
        }
        double now = realtime_ms();
        for (ssize_t i = 0; i < got; i++)
            if (buf[i] == '\n')
                printf("%" PRIu64 "\t%.3f\n", ++lineno, now);
    }
    fflush(stdout);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    const char *brokers = NULL, *topic = NULL, *in = NULL, *sendlog = NULL;
    double rate = -1;
    uint64_t limit = UINT64_MAX;
    bool keyless = false;
    char **props = calloc((size_t)argc, sizeof *props);
    int n_props = 0;

    if (argc == 3 && !strcmp(argv[1], "--follow"))
        return follow(argv[2]);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "-k")) {
            keyless = true;
            continue;
        }
        if (i + 1 >= argc || a[0] != '-' || strlen(a) != 2) {
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        char *end;
        switch (a[1]) {
        case 'b':
            brokers = v;
            break;
        case 't':
            topic = v;
            break;
        case 'i':
            in = v;
            break;
        case 'o':
            sendlog = v;
            break;
        case 'X':
            props[n_props++] = argv[i];
            break;
        case 'r':
            rate = strtod(v, &end);
            if (*end || rate < 0) {
                fprintf(stderr, "tw_latency_produce: -r %s: records/s, 0 for unpaced\n", v);
                return 2;
            }
            break;
        case 'n':
            errno = 0;
            limit = strtoull(v, &end, 10);
            if (errno || *end || !*v) {
                fprintf(stderr, "tw_latency_produce: -n %s: a count\n", v);
                return 2;
            }
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!brokers || !topic || !in || rate < 0) {
        usage(stderr);
        return 2;
    }
    int rc = produce(brokers, topic, rate, in, sendlog, limit, keyless, props, n_props);
    free(props);
    return rc;
}
