/* ingest_source: the handle over a source's callbacks (ingest_source.h). */
#include <stdio.h>
#include <stdlib.h>

#include "ingest_source.h"

tw_err tw_source_open(const tw_source_ops *ops, const tw_source_conf *conf, tw_source **src,
                      char *errstr, size_t errstr_size)
{
    *src = NULL;
    tw_source *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(errstr, errstr_size, "out of memory");
        return TW_ERR_NOMEM;
    }
    s->ops = ops;
    tw_err err = ops->open(conf, &s->ctx, errstr, errstr_size);
    if (err) {
        if (err == TW_ERR_NOMEM)
            snprintf(errstr, errstr_size, "out of memory");
        free(s);
        return err;
    }
    *src = s;
    return TW_OK;
}

void tw_source_destroy(tw_source *src)
{
    if (!src)
        return;
    src->ops->destroy(src->ctx);
    free(src);
}
