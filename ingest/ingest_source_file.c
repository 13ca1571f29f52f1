/* ingest_source_file: the file source (ingest_source.h). Opening lists the inputs
 * (ingest_inputs.c: files, directories walked, stdin and other streams, in DESIGN §2's order);
 * next hands over their chunks in that order, numbered across inputs. A small regular file goes
 * whole into one chunk (whole_inputs) for a parser to decompress and cut, so decompression runs
 * in parallel; anything else is cut here (ingest_split.c). Replay's reader thread and route's
 * PATH mode drive it. */
#include <stdlib.h>

#include "ingest_inputs.h"
#include "ingest_source.h"
#include "ingest_split.h"

typedef struct file_source {
    tw_input_list inputs;
    bool whole_inputs;
    size_t next_input; /* the next one to open */
    uint32_t cur;      /* the one being read */
    tw_splitter *sp;   /* ...when it is cut here */
    uint64_t seq;      /* chunk numbers, across inputs */
} file_source;

static tw_err file_open(const tw_source_conf *conf, void **ctx, char *errstr, size_t errstr_size)
{
    file_source *fs = calloc(1, sizeof *fs);
    if (!fs)
        return TW_ERR_NOMEM;
    if (tw_inputs_collect(conf->paths, conf->n_paths, conf->verbosity, &fs->inputs, errstr,
                          errstr_size)) {
        tw_inputs_free(&fs->inputs);
        free(fs);
        return TW_ERR_NOMEM;
    }
    fs->whole_inputs = conf->whole_inputs;
    *ctx = fs;
    return TW_OK;
}

static tw_err file_next(void *ctx, tw_raw *raw, int timeout_ms)
{
    (void)timeout_ms; /* a file has its bytes at hand, or blocks for them (a stream) */
    file_source *fs = ctx;
    *raw = (tw_raw){ 0 };
    for (;;) {
        raw->input = fs->cur;
        if (fs->sp) {
            tw_err err = tw_splitter_next(fs->sp, &raw->chunk);
            if (err != TW_ERR_EOF)
                return err;
            tw_splitter_close(fs->sp);
            fs->sp = NULL;
            continue;
        }
        if (fs->next_input == fs->inputs.n)
            return TW_ERR_EOF;
        size_t i = fs->next_input++;
        const char *path = fs->inputs.paths[i];
        raw->input = fs->cur = (uint32_t)i;
        /* a stream is never opened twice: a FIFO opened and closed to look at it would cut its
         * writer off (SIGPIPE), and the second open would wait for a writer forever */
        bool stream = fs->inputs.stream && fs->inputs.stream[i];
        if (fs->whole_inputs && !stream) {
            tw_err err =
                tw_split_whole_input(path, fs->cur, TW_WHOLE_INPUT_MAX, &fs->seq, &raw->chunk);
            if (err != TW_ERR_TOO_LARGE)
                return err;
        }
        tw_err err = tw_splitter_open(path, fs->cur, NULL, &fs->seq, &fs->sp);
        if (err)
            return err;
    }
}

static void file_destroy(void *ctx)
{
    file_source *fs = ctx;
    tw_splitter_close(fs->sp);
    tw_inputs_free(&fs->inputs);
    free(fs);
}

static uint32_t file_n_inputs(void *ctx)
{
    const file_source *fs = ctx;
    return (uint32_t)fs->inputs.n;
}

static const char *file_input_name(void *ctx, uint32_t input)
{
    const file_source *fs = ctx;
    return fs->inputs.paths[input];
}

const tw_source_ops tw_source_file = {
    .name = "file",
    .flags = 0, /* reordered by event time within --lateness; one stream, with an end */
    .open = file_open,
    .next = file_next,
    .destroy = file_destroy,
    .n_inputs = file_n_inputs,
    .input_name = file_input_name,
};
