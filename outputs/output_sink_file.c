/* output_sink_file: the stdout and file sinks (buffered; flush makes them durable), and the
 * table of sinks that tw_sink_open_env picks from by the SPEC's prefix. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "tw_log.h"

typedef struct file_sink {
    int fd;
    bool own;
    bool is_file;
    char *buf;
    size_t len, cap;
    int err; /* errno of the last ERROR */
} file_sink;

static tw_sink_rc write_all(file_sink *fs, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fs->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return TW_SINK_RETRY;
        if (w <= 0) {
            fs->err = w < 0 ? errno : ENOSPC; /* write(2) takes nothing only when full */
            return TW_SINK_ERROR;
        }
        p += w;
        n -= (size_t)w;
    }
    return TW_SINK_OK;
}

static tw_err open_common(int fd, bool own, bool is_file, void **sink, char *errstr,
                          size_t errstr_size)
{
    file_sink *fs = calloc(1, sizeof *fs);
    if (fs)
        fs->buf = malloc(1 << 16);
    if (!fs || !fs->buf) {
        if (fs)
            free(fs);
        snprintf(errstr, errstr_size, "out of memory");
        return TW_ERR_NOMEM;
    }
    fs->fd = fd;
    fs->own = own;
    fs->is_file = is_file;
    fs->cap = 1 << 16;
    *sink = fs;
    return TW_OK;
}

static tw_err stdout_open(const char *arg, const tw_sink_env *env, void **sink, char *errstr,
                          size_t errstr_size)
{
    (void)arg;
    (void)env;
    return open_common(STDOUT_FILENO, false, false, sink, errstr, errstr_size);
}

static tw_err file_open(const char *arg, const tw_sink_env *env, void **sink, char *errstr,
                        size_t errstr_size)
{
    (void)env;
    if (!arg || !*arg) {
        snprintf(errstr, errstr_size, "file: needs a path (file:PATH)");
        return TW_ERR_INVALID;
    }
    int fd = open(arg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "cannot open %s: %s", arg, strerror(errno));
        return TW_ERR_IO;
    }
    tw_err err = open_common(fd, true, true, sink, errstr, errstr_size);
    if (err)
        close(fd);
    return err;
}

static tw_sink_rc fs_flush(void *sink)
{
    file_sink *fs = sink;
    tw_sink_rc rc = write_all(fs, fs->buf, fs->len);
    if (rc != TW_SINK_OK)
        return rc;
    fs->len = 0;
    if (fs->is_file && fsync(fs->fd) != 0 && errno != EINVAL) {
        fs->err = errno;
        return TW_SINK_ERROR;
    }
    return TW_SINK_OK;
}

static tw_sink_rc fs_push(void *sink)
{
    file_sink *fs = sink;
    tw_sink_rc rc = write_all(fs, fs->buf, fs->len);
    if (rc == TW_SINK_OK)
        fs->len = 0;
    return rc;
}

static tw_sink_rc fs_write(void *sink, tw_str key, const char *json, size_t len)
{
    file_sink *fs = sink;
    (void)key;
    if (fs->len + len > fs->cap) {
        tw_sink_rc rc = write_all(fs, fs->buf, fs->len);
        if (rc != TW_SINK_OK)
            return rc;
        fs->len = 0;
        if (len > fs->cap)
            return write_all(fs, json, len);
    }
    memcpy(fs->buf + fs->len, json, len);
    fs->len += len;
    return TW_SINK_OK;
}

static void fs_close(void *sink)
{
    file_sink *fs = sink;
    if (!fs)
        return;
    if (fs->own)
        close(fs->fd);
    free(fs->buf);
    free(fs);
}

static const char *fs_error(void *sink)
{
    file_sink *fs = sink;
    return fs->err ? strerror(fs->err) : "";
}

const tw_sink_ops tw_sink_stdout = { "stdout", stdout_open, fs_write, fs_flush,
                                     fs_close, fs_push,     fs_error, NULL };
const tw_sink_ops tw_sink_file = { "file",   file_open, fs_write, fs_flush,
                                   fs_close, fs_push,   fs_error, NULL };

extern const tw_sink_ops tw_sink_kafka; /* output_sink_kafka.c */

static const tw_sink_ops *const k_sinks[] = { &tw_sink_stdout, &tw_sink_file, &tw_sink_kafka };

tw_err tw_sink_open_env(const char *spec, const tw_sink_env *env, tw_sink *sink, char *errstr,
                        size_t errstr_size)
{
    memset(sink, 0, sizeof *sink);
    snprintf(sink->spec, sizeof sink->spec, "%s", spec);
    const char *colon = strchr(spec, ':');
    size_t name_len = colon ? (size_t)(colon - spec) : strlen(spec);
    for (size_t i = 0; i < sizeof k_sinks / sizeof *k_sinks; i++) {
        const tw_sink_ops *ops = k_sinks[i];
        if (strlen(ops->name) == name_len && strncmp(ops->name, spec, name_len) == 0) {
            sink->ops = ops;
            tw_err err = ops->open(colon ? colon + 1 : NULL, env, &sink->ctx, errstr, errstr_size);
            if (err)
                sink->ops = NULL; /* so that tw_sink_close of a failed open does nothing */
            return err;
        }
    }
    snprintf(errstr, errstr_size,
             "unknown output '%s' (expected stdout, file:PATH or kafka:TOPIC[@BROKERS])", spec);
    return TW_ERR_INVALID;
}

tw_err tw_sink_open(const char *spec, tw_sink *sink, char *errstr, size_t errstr_size)
{
    return tw_sink_open_env(spec, NULL, sink, errstr, errstr_size);
}

tw_sink_rc tw_sink_write_keyed(tw_sink *sink, tw_str key, const char *json, size_t len)
{
    return sink->ops->write(sink->ctx, key, json, len);
}

tw_sink_rc tw_sink_write(tw_sink *sink, const char *json, size_t len)
{
    return sink->ops->write(sink->ctx, TW_STR_NULL, json, len);
}

tw_sink_rc tw_sink_flush(tw_sink *sink)
{
    return sink->ops->flush(sink->ctx);
}

bool tw_sink_partitioned(const tw_sink *sink)
{
    return sink->ops && sink->ops->write_all;
}

tw_sink_rc tw_sink_write_all(tw_sink *sink, const char *name, const char *value, const char *json,
                             size_t len)
{
    if (!sink->ops->write_all) {
        tw_log("output %s: has no partitions to write a copy to each of", sink->spec);
        return TW_SINK_ERROR;
    }
    return sink->ops->write_all(sink->ctx, name, value, json, len);
}

tw_sink_rc tw_sink_push(tw_sink *sink)
{
    return sink->ops->push ? sink->ops->push(sink->ctx) : TW_SINK_OK;
}

const char *tw_sink_error(const tw_sink *sink)
{
    return sink->ops && sink->ops->error ? sink->ops->error(sink->ctx) : "";
}

void tw_sink_close(tw_sink *sink)
{
    if (!sink || !sink->ops)
        return;
    sink->ops->close(sink->ctx);
    sink->ops = NULL;
}
