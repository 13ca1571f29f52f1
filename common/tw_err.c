#include "tw_err.h"

const char *tw_err_str(tw_err err)
{
    switch (err) {
    case TW_OK:
        return "ok";
    case TW_ERR_NOMEM:
        return "out of memory";
    case TW_ERR_INVALID:
        return "invalid argument";
    case TW_ERR_PARSE:
        return "parse error";
    case TW_ERR_IO:
        return "I/O error";
    case TW_ERR_AGAIN:
        return "try again";
    case TW_ERR_MEMCAP:
        return "memory cap reached";
    case TW_ERR_EOF:
        return "end of input";
    case TW_ERR_TOO_LARGE:
        return "too large";
    case TW_ERR_CORRUPT:
        return "corrupt input";
    case TW_ERR_STOPPED:
        return "stopped";
    }
    return "unknown error";
}
