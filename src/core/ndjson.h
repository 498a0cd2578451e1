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
 * by tdm_ndjson_feed). */
typedef int (*tdm_ndjson_line_fn)(void *ctx, const char *line, size_t len);

typedef struct tdm_ndjson {
    tdm_buf pending;  /* bytes of the line not yet terminated */
    size_t max_line;  /* longest line accepted, in bytes */
    size_t lines;     /* complete non-empty lines delivered so far */
} tdm_ndjson;

void tdm_ndjson_init(tdm_ndjson *f, size_t max_line);
/* Feeds len bytes. Returns TDM_NDJSON_OK, a TDM_NDJSON_ERR_* code, or the callback's
 * non-zero return value. After an error the framer must not be fed again. */
int tdm_ndjson_feed(tdm_ndjson *f, const char *data, size_t len, tdm_ndjson_line_fn fn, void *ctx);
/* Bytes held after the last '\n' (a truncated line when the stream has ended). */
size_t tdm_ndjson_pending(const tdm_ndjson *f);
void tdm_ndjson_free(tdm_ndjson *f);

#endif
