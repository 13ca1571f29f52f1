/* tw_err: the one error enum of trailwarden. Functions that can fail return it and hand
 * results back through pointers; parsers of user input also fill an errstr. */
#ifndef TW_ERR_H
#define TW_ERR_H

typedef enum tw_err {
    TW_OK = 0,
    TW_ERR_NOMEM = -1,
    TW_ERR_INVALID = -2,
    TW_ERR_PARSE = -3,
    TW_ERR_IO = -4,
    TW_ERR_AGAIN = -5,
    TW_ERR_MEMCAP = -6,
    TW_ERR_EOF = -7,
    TW_ERR_TOO_LARGE = -8,
    TW_ERR_CORRUPT = -9,
    TW_ERR_STOPPED = -10, /* a callback asked to stop */
} tw_err;

const char *tw_err_str(tw_err err);

#endif
