/* ndjson.h — turns a byte stream into complete NDJSON lines, whatever the split.
 *
 * Bytes arrive as the transport delivers them: a read may end mid-line, mid-UTF-8
 * sequence, or hold many lines. The framer keeps the partial tail and hands out each
 * complete line exactly once, without its '\n' (a trailing '\r' is dropped too). Empty
 * lines are skipped. A line longer than max_line bytes is an error, so a server that
 * never sends '\n' cannot make the client buffer without bound. */
#ifndef TDM_NDJSON_H
#define TDM_NDJSON_H

#include <stddef.h>

#include "core/buf.h"

/* Ollama's own Go client accepts lines up to 8 MB; we default to the same. */
#define TDM_NDJSON_DEFAULT_MAX_LINE (8u * 1024u * 1024u)

enum {
    TDM_NDJSON_OK = 0,
    TDM_NDJSON_ERR_TOO_LONG = -1, /* a line exceeded max_line */
    TDM_NDJSON_ERR_NOMEM = -2,
};

/* Called once per complete line; line is NUL-terminated at line[len] and valid only
 * during the call. Return 0 to go on, non-zero to stop feeding (that value is returned
 * by tdm_ndjson_feed; use positive values, so they cannot be taken for an error code). */
typedef int (*tdm_ndjson_line_fn)(void *ctx, const char *line, size_t len);

typedef struct tdm_ndjson {
    tdm_buf pending;  /* bytes of the line not yet terminated */
    size_t max_line;  /* longest line accepted, in bytes, not counting "\r\n" or "\n" */
    size_t lines;     /* complete non-empty lines delivered so far */
    int error;        /* sticky TDM_NDJSON_ERR_* once a feed failed, else 0 */
} tdm_ndjson;

/* max_line 0 means TDM_NDJSON_DEFAULT_MAX_LINE. */
void tdm_ndjson_init(tdm_ndjson *f, size_t max_line);
/* Feeds len bytes. Returns TDM_NDJSON_OK, a TDM_NDJSON_ERR_* code, or the callback's
 * non-zero return value. After an error the framer must not be fed again (it keeps
 * returning that error). When the callback stops the feed, the rest of that feed is
 * dropped and nothing stays pending.
 *
 * data is const, so a line cannot be NUL-terminated where it lies: each line is copied
 * once into the framer's own buffer (its capacity is kept, so no allocation once warm). */
int tdm_ndjson_feed(tdm_ndjson *f, const char *data, size_t len, tdm_ndjson_line_fn fn, void *ctx);
/* The same, without copying: lines that lie whole in data are handed out in place, by
 * overwriting their '\n' (or the '\r' before it) with '\0'. Only a line that began in an
 * earlier feed is assembled in the framer's buffer. data must be the caller's scratch
 * memory (e.g. its read buffer); only those terminator bytes are written. */
int tdm_ndjson_feed_inplace(tdm_ndjson *f, char *data, size_t len, tdm_ndjson_line_fn fn, void *ctx);
/* Called once per complete line, which is NOT NUL-terminated: only line[0..len) is
 * the line (valid during the call). Returns as tdm_ndjson_line_fn. */
typedef int (*tdm_ndjson_span_fn)(void *ctx, const char *line, size_t len);
/* The same as tdm_ndjson_feed for a consumer that reads lines by length: lines that lie
 * whole in data are handed out where they lie, neither copied nor terminated (a line
 * begun in an earlier feed is assembled in the framer's buffer, as always). This is the
 * per-token path of every call: it saves a copy of each line. */
int tdm_ndjson_feed_spans(tdm_ndjson *f, const char *data, size_t len, tdm_ndjson_span_fn fn, void *ctx);
/* Bytes held after the last '\n' (a truncated line when the stream has ended).
 * Unspecified while a callback runs. */
size_t tdm_ndjson_pending(const tdm_ndjson *f);
void tdm_ndjson_free(tdm_ndjson *f);

#endif
