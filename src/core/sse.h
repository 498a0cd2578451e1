/* sse.h — turns a byte stream into Server-Sent Events, whatever the split: the framing
 * of the OpenAI API's streamed replies (POST /v1/chat/completions with "stream": true).
 *
 * The WHATWG rules, as far as a client of that API needs them: lines end in "\r\n", "\n"
 * or "\r"; a line "data:VALUE" or "data: VALUE" (one space dropped) adds VALUE to the
 * event, several data lines joined by "\n"; a line starting with ':' is a comment; other
 * fields (event:, id:, retry:, unknown ones) are ignored; an empty line ends the event,
 * which is handed out when it has data. A read may end anywhere, between '\r' and '\n'
 * too. An event (or any line) longer than max_event bytes is an error, so a server that
 * never ends one cannot make the client buffer without bound.
 *
 * The framer knows nothing of JSON or "[DONE]": it hands out each event's data. */
#ifndef TDM_SSE_H
#define TDM_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

enum {
    TDM_SSE_OK = 0,
    TDM_SSE_ERR_TOO_LONG = -1, /* an event or a line exceeded max_event */
    TDM_SSE_ERR_NOMEM = -2,
};

/* Called once per event that has data; data[0..len) is the event's data, lines joined by
 * '\n', NOT NUL-terminated, valid only during the call. Return 0 to go on, a positive
 * value to stop feeding (tdm_sse_feed returns it). */
typedef int (*tdm_sse_event_fn)(void *ctx, const char *data, size_t len);

typedef struct tdm_sse {
    tdm_buf line;      /* a line begun in an earlier feed, not yet ended */
    tdm_buf data;      /* the data of the event being assembled */
    bool has_data;     /* the event has a data line (its data may still be "") */
    bool after_cr;     /* the last line ended in '\r': a '\n' first in the next feed belongs to it */
    size_t max_event;  /* longest event data (and line) accepted, in bytes */
    size_t events;     /* events handed out so far */
    int error;         /* sticky TDM_SSE_ERR_* once a feed failed, else 0 */
    /* The event's only data line, still where it lies in the feed being framed: handed
     * out from there when the blank line follows in the same feed, else copied into data.
     * Internal to tdm_sse_feed. */
    const char *span;
    size_t span_len;
} tdm_sse;

/* max_event 0 means TDM_NDJSON_DEFAULT_MAX_LINE (8 MiB, as for NDJSON lines). */
void tdm_sse_init(tdm_sse *f, size_t max_event);
/* Feeds len bytes. Returns TDM_SSE_OK, a TDM_SSE_ERR_* code, or the callback's non-zero
 * return value. After an error the framer keeps returning it. When the callback stops the
 * feed, the rest of that feed is dropped. data is only read. */
int tdm_sse_feed(tdm_sse *f, const char *data, size_t len, tdm_sse_event_fn fn, void *ctx);
/* Bytes held of an event or line not yet complete (a cut event when the stream has
 * ended). Unspecified while a callback runs. */
size_t tdm_sse_pending(const tdm_sse *f);
void tdm_sse_free(tdm_sse *f);

#endif
