/* schema_jstream: a pull tokenizer for JSON read through a fixed buffer, for files read once
 * and too large to hold as a tree (the inventory of --grants). It reads from a file
 * descriptor or from memory (tests) and hands out one token at a time; a string's text is
 * unescaped into a buffer of its own, so tokens may span buffer refills. Strict JSON (RFC
 * 8259): invalid UTF-8, raw control characters in strings, lone surrogates, a missing comma,
 * trailing content after the root, a truncated text are errors that say where (line and
 * column, 1-based, columns in bytes as tw_text_position counts them). A UTF-8 byte order mark
 * is skipped (positions count from after it); UTF-16 is refused.
 *
 * Memory: the buffer, the longest string or number seen, and what the caller captures. */
#ifndef INGEST_JSTREAM_H
#define INGEST_JSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_buf.h"
#include "tw_err.h"
#include "tw_str.h"

#define TW_JSTREAM_BUF (64 * 1024)
#define TW_JSTREAM_MAX_DEPTH 64 /* open objects and arrays; the 65th is an error */

typedef enum tw_jtok {
    TW_JT_EOF = 0,    /* the end of the text: after the root value, or before any (empty) */
    TW_JT_OBJECT,     /* '{' */
    TW_JT_OBJECT_END, /* '}' */
    TW_JT_ARRAY,      /* '[' */
    TW_JT_ARRAY_END,  /* ']' */
    TW_JT_KEY,        /* a member's name (its ':' read too); text unescaped */
    TW_JT_STRING,     /* text unescaped */
    TW_JT_NUMBER,     /* text as written */
    TW_JT_TRUE,
    TW_JT_FALSE,
    TW_JT_NULL,
} tw_jtok;

typedef struct tw_jpos {
    uint64_t offset; /* bytes from the start of the text (after a byte order mark) */
    uint64_t line, col;
} tw_jpos;

typedef struct tw_jstream tw_jstream;

/* Reads fd (not closed here) through a buffer of buf_size bytes (0: TW_JSTREAM_BUF). */
tw_err tw_jstream_open_fd(int fd, size_t buf_size, tw_jstream **out);
/* Reads text[0..len) (not copied: it must outlive the stream), through a buffer of buf_size
 * bytes all the same, so a test with a tiny buffer sees every refill. */
tw_err tw_jstream_open_mem(const char *text, size_t len, size_t buf_size, tw_jstream **out);
void tw_jstream_destroy(tw_jstream *s); /* NULL-safe */

/* The next token. TW_OK; TW_ERR_PARSE (not JSON, placed: tw_jstream_error), TW_ERR_IO,
 * TW_ERR_NOMEM. An error is sticky: later calls return it again. */
tw_err tw_jstream_next(tw_jstream *s, tw_jtok *tok);
/* The next byte that is not a blank, without reading it: -1 at the end of the text.
 * tw_jstream_pos then gives its place. */
tw_err tw_jstream_peek(tw_jstream *s, int *c);
/* The text of the last KEY, STRING or NUMBER, valid until the next call (NUL-terminated; a
 * string may hold NUL bytes of its own, from \u0000). */
tw_str tw_jstream_text(const tw_jstream *s);
/* Where the last token (or peeked byte) starts. */
tw_jpos tw_jstream_pos(const tw_jstream *s);
/* Open objects and arrays. */
uint32_t tw_jstream_depth(const tw_jstream *s);

/* Reads the next value whole, with all it holds, checking it and allocating nothing; *first
 * (may be NULL) gets its first token. */
tw_err tw_jstream_skip(tw_jstream *s, tw_jtok *first);
/* The same, appending the value's raw text (from its first byte to its last, escapes as
 * written) to out: a member's value, its key read (an array's later elements would carry
 * their comma). *first gets its first token, tw_jstream_pos its place and *size its length in
 * bytes. A value longer than max bytes is checked all the same but nothing of it is kept (out
 * as it was: the caller sees *size > max), so memory stays bounded by max. */
tw_err tw_jstream_capture(tw_jstream *s, tw_buf *out, size_t max, tw_jtok *first, uint64_t *size);

/* After an error: its message, and whether it has a place (*pos; else it is about the whole
 * input: unreadable, UTF-16, out of memory). */
const char *tw_jstream_error(const tw_jstream *s, tw_jpos *pos, bool *placed);

#endif
