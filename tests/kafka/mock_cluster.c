/* tw_mock_kafka: librdkafka's mock cluster in a process of its own, for the Kafka tests.
 *
 *   tw_mock_kafka [--brokers N] [--topic NAME:PARTITIONS]... [--debug CONTEXTS]
 *
 * Prints the bootstrap servers (127.0.0.1:PORT,...) as the first line of stdout, then reads
 * one command a line from stdin and answers each with one line, "ok" or "error: MESSAGE":
 *
 *   down ID                       rd_kafka_mock_broker_set_down (-1: every broker)
 *   up ID                         rd_kafka_mock_broker_set_up   (-1: every broker)
 *   topic NAME PARTITIONS         create another topic
 *   leader TOPIC PARTITION ID     move a partition's leader (-1: leaderless); set_down does not
 *   quit                          tear down and exit 0
 *
 * It also exits 0 on stdin EOF, SIGTERM and SIGINT (after a clean teardown), and gets SIGTERM
 * when the process that started it dies, so a killed test leaves nothing behind. Usage errors
 * exit 2, a cluster that cannot start exits 1. Errors from librdkafka are printed as it words
 * them.
 *
 * The mock cluster runs on threads of its own (one for its brokers, plus the creating handle's):
 * the handle is never polled and need not be. Signals are blocked in every thread and read
 * through a signalfd next to stdin, so none of librdkafka's threads can take them.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MOCK_MAX_BROKERS 64
#define MOCK_LINE_MAX 4096

typedef struct mock_ctx {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mcluster;
    int brokers;
} mock_ctx;

static void usage(FILE *out)
{
    fputs("usage: tw_mock_kafka [--brokers N] [--topic NAME:PARTITIONS]... [--debug CONTEXTS]\n"
          "  Starts librdkafka's mock cluster (N brokers, default 3), prints its bootstrap\n"
          "  servers as the first line, then reads commands from stdin, one a line:\n"
          "    down ID | up ID | topic NAME PARTITIONS | leader TOPIC PARTITION ID | quit\n"
          "  Each command is answered by 'ok' or 'error: MESSAGE'. --debug sets librdkafka's\n"
          "  debug property (e.g. mock,broker; logged on stderr).\n",
          out);
}

/* A whole number in [lo, hi]; the edge where user input enters. */
static int parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    long v;

    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static void reply(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static int topic_create(mock_ctx *ctx, const char *name, int partitions, char *errstr,
                        size_t errstr_size)
{
    rd_kafka_resp_err_t err;

    err = rd_kafka_mock_topic_create(ctx->mcluster, name, partitions, ctx->brokers);
    if (err) {
        snprintf(errstr, errstr_size, "%s", rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char errstr[512];

    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "tw_mock_kafka: %s\n", errstr);
        return -1;
    }
    return 0;
}

/* Runs one command line; returns 1 on quit, else 0 (after answering). */
static int run_command(mock_ctx *ctx, char *line)
{
    char *argv[8];
    int argc = 0;
    char errstr[512];
    rd_kafka_resp_err_t err;
    int id, part, n;

    /* Split on blanks, in place; a ninth word makes the command unknown. */
    for (char *p = line; *p && argc < 8;) {
        p += strspn(p, " \t\r");
        if (!*p)
            break;
        argv[argc++] = p;
        p += strcspn(p, " \t\r");
        if (*p)
            *p++ = '\0';
    }
    if (argc == 8) {
        reply("error: too many words");
        return 0;
    }
    if (argc == 0) {
        reply("error: empty command");
        return 0;
    }
    if (!strcmp(argv[0], "quit") && argc == 1) {
        reply("ok");
        return 1;
    }
    if ((!strcmp(argv[0], "down") || !strcmp(argv[0], "up")) && argc == 2) {
        if (parse_int(argv[1], -1, INT32_MAX, &id)) {
            reply("error: bad broker id '%s'", argv[1]);
            return 0;
        }
        err = argv[0][0] == 'd' ? rd_kafka_mock_broker_set_down(ctx->mcluster, id)
                                : rd_kafka_mock_broker_set_up(ctx->mcluster, id);
        if (err)
            reply("error: %s", rd_kafka_err2str(err));
        else
            reply("ok");
        return 0;
    }
    if (!strcmp(argv[0], "topic") && argc == 3) {
        if (parse_int(argv[2], 1, 100000, &n)) {
            reply("error: bad partition count '%s'", argv[2]);
            return 0;
        }
        if (topic_create(ctx, argv[1], n, errstr, sizeof(errstr)))
            reply("error: %s", errstr);
        else
            reply("ok");
        return 0;
    }
    if (!strcmp(argv[0], "leader") && argc == 4) {
        if (parse_int(argv[2], 0, INT32_MAX, &part) || parse_int(argv[3], -1, INT32_MAX, &id)) {
            reply("error: usage: leader TOPIC PARTITION BROKER_ID");
            return 0;
        }
        err = rd_kafka_mock_partition_set_leader(ctx->mcluster, argv[1], part, id);
        if (err)
            reply("error: %s", rd_kafka_err2str(err));
        else
            reply("ok");
        return 0;
    }
    reply("error: unknown command '%s' (down ID, up ID, topic NAME PARTITIONS, "
          "leader TOPIC PARTITION ID, quit)",
          argv[0]);
    return 0;
}

/* Reads stdin and the signals until quit, EOF or SIGTERM/SIGINT. Returns 0, or -1 on a read
 * error. */
static int serve(mock_ctx *ctx, int sigfd)
{
    static char buf[MOCK_LINE_MAX];
    size_t used = 0;
    int discarding = 0; /* inside an over-long line */

    for (;;) {
        struct pollfd pfd[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
                                 { .fd = sigfd, .events = POLLIN } };
        ssize_t got;
        char *start, *nl;

        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("tw_mock_kafka: poll");
            return -1;
        }
        if (pfd[1].revents & POLLIN) {
            struct signalfd_siginfo si;

            if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                fprintf(stderr, "tw_mock_kafka: %s, shutting down\n", strsignal((int)si.ssi_signo));
            return 0;
        }
        if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        got = read(STDIN_FILENO, buf + used, sizeof(buf) - 1 - used);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            perror("tw_mock_kafka: read");
            return -1;
        }
        if (got == 0) /* EOF: whoever drove us is gone; a last line without '\n' is dropped */
            return 0;
        used += (size_t)got;
        buf[used] = '\0';
        start = buf;
        while ((nl = memchr(start, '\n', used - (size_t)(start - buf)))) {
            *nl = '\0';
            if (discarding)
                discarding = 0;
            else if (run_command(ctx, start))
                return 0;
            start = nl + 1;
        }
        used -= (size_t)(start - buf);
        memmove(buf, start, used);
        if (used == sizeof(buf) - 1) {
            if (!discarding)
                reply("error: command line too long");
            discarding = 1;
            used = 0;
        }
    }
}

int main(int argc, char **argv)
{
    mock_ctx ctx = { .brokers = 3 };
    const char **topics = NULL;
    int n_topics = 0;
    const char *debug = NULL; /* librdkafka's debug contexts, e.g. "mock,broker" */
    rd_kafka_conf_t *conf = NULL;
    char errstr[512];
    sigset_t sigs;
    int sigfd = -1;
    int rc = 1;

    topics = calloc((size_t)argc, sizeof(*topics));
    if (!topics) {
        fputs("tw_mock_kafka: out of memory\n", stderr);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if (!strcmp(arg, "--brokers") && i + 1 < argc) {
            if (parse_int(argv[++i], 1, MOCK_MAX_BROKERS, &ctx.brokers)) {
                fprintf(stderr, "tw_mock_kafka: --brokers: expected 1..%d, got '%s'\n",
                        MOCK_MAX_BROKERS, argv[i]);
                rc = 2;
                goto out;
            }
        } else if (!strcmp(arg, "--debug") && i + 1 < argc) {
            debug = argv[++i];
        } else if (!strcmp(arg, "--topic") && i + 1 < argc) {
            const char *colon = strrchr(argv[++i], ':');
            int n;

            if (!colon || colon == argv[i] || parse_int(colon + 1, 1, 100000, &n)) {
                fprintf(stderr, "tw_mock_kafka: --topic: expected NAME:PARTITIONS, got '%s'\n",
                        argv[i]);
                rc = 2;
                goto out;
            }
            topics[n_topics++] = argv[i];
        } else {
            fprintf(stderr, "tw_mock_kafka: unknown or incomplete argument '%s'\n", arg);
            usage(stderr);
            rc = 2;
            goto out;
        }
    }

    /* Block the signals before librdkafka starts a thread, so every thread inherits the mask
     * and only the signalfd sees them. A closed stdout (the test went away) must not kill us
     * halfway through a teardown either. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0 ||
        (sigfd = signalfd(-1, &sigs, SFD_CLOEXEC)) < 0) {
        perror("tw_mock_kafka: signalfd");
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Die with the parent: a test killed by SIGKILL cannot run its cleanup. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
        perror("tw_mock_kafka: prctl(PR_SET_PDEATHSIG)");
    if (getppid() == 1) {
        fputs("tw_mock_kafka: parent already gone\n", stderr);
        goto out;
    }

    /* The handle only hosts the cluster and never connects: its notice that no
     * bootstrap.servers is set (log level 5) is noise; warnings and errors still show. */
    conf = rd_kafka_conf_new();
    if (conf_set(conf, "client.id", "tw_mock_kafka") ||
        conf_set(conf, "log_level", debug ? "7" : "4") || (debug && conf_set(conf, "debug", debug)))
        goto out;
    ctx.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!ctx.rk) {
        fprintf(stderr, "tw_mock_kafka: %s\n", errstr);
        goto out;
    }
    conf = NULL; /* owned by ctx.rk now */
    ctx.mcluster = rd_kafka_mock_cluster_new(ctx.rk, ctx.brokers);
    if (!ctx.mcluster) {
        fputs("tw_mock_kafka: rd_kafka_mock_cluster_new failed\n", stderr);
        goto out;
    }
    for (int i = 0; i < n_topics; i++) {
        const char *colon = strrchr(topics[i], ':');
        char name[256];
        int n;

        if ((size_t)(colon - topics[i]) >= sizeof(name)) {
            fprintf(stderr, "tw_mock_kafka: topic name too long: '%s'\n", topics[i]);
            rc = 2;
            goto out;
        }
        memcpy(name, topics[i], (size_t)(colon - topics[i]));
        name[colon - topics[i]] = '\0';
        (void)parse_int(colon + 1, 1, 100000, &n); /* checked while parsing the arguments */
        if (topic_create(&ctx, name, n, errstr, sizeof(errstr))) {
            fprintf(stderr, "tw_mock_kafka: topic '%s': %s\n", name, errstr);
            goto out;
        }
    }

    printf("%s\n", rd_kafka_mock_cluster_bootstraps(ctx.mcluster));
    fflush(stdout);

    rc = serve(&ctx, sigfd) ? 1 : 0;

out:
    /* The cluster first: it belongs to the handle, whose destroy would otherwise wait on it. */
    if (ctx.mcluster)
        rd_kafka_mock_cluster_destroy(ctx.mcluster);
    if (ctx.rk)
        rd_kafka_destroy(ctx.rk);
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (sigfd >= 0)
        close(sigfd);
    free(topics);
    return rc;
}
