/* http.h — the simulator's HTTP/1.1 server side: an incremental request-head parser that
 * never trusts its input, and the response heads and chunk framing it writes.
 *
 * The parser is handed everything buffered so far on a connection (pipelined requests
 * included) and finds the end of the first request's head, resuming its search where the
 * previous call stopped (*scanned), so a client that trickles bytes costs linear time.
 * Only Content-Length bodies are accepted; request bodies with Transfer-Encoding are
 * refused with 501, which keeps request smuggling impossible by construction. */
#ifndef TDM_SIM_HTTP_H
#define TDM_SIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define TDM_SIM_HTTP_MAX_PATH 1024

/* Results of tdm_sim_http_parse below zero; each maps to the status to answer with. */
enum {
    TDM_SIM_HTTP_NEED_MORE = 0,
    TDM_SIM_HTTP_BAD = -1,          /* 400 */
    TDM_SIM_HTTP_HEAD_TOO_LARGE = -2, /* 431 */
    TDM_SIM_HTTP_URI_TOO_LONG = -3, /* 414 */
    TDM_SIM_HTTP_BAD_VERSION = -4,  /* 505 */
    TDM_SIM_HTTP_TE_UNSUPPORTED = -5, /* 501 */
    TDM_SIM_HTTP_NO_HOST = -6,      /* 400, as Go's server answers an HTTP/1.1 request without Host */
};

typedef struct tdm_sim_http_req {
    char method[16];
    char path[TDM_SIM_HTTP_MAX_PATH]; /* the target's path, query and fragment removed */
    int minor;                        /* HTTP/1.<minor>: 0 or 1 */
    bool keep_alive;                  /* the connection may carry another request */
    bool expect_continue;             /* "Expect: 100-continue" */
    uint64_t content_length;          /* 0 when absent */
    size_t head_len;                  /* bytes up to and including the blank line */
} tdm_sim_http_req;

/* Parses the request head at the start of data[0..len). *scanned must be 0 for a new
 * request and is kept by the caller between calls. Returns the head's length (> 0) when
 * complete and fills *req, TDM_SIM_HTTP_NEED_MORE, or a negative TDM_SIM_HTTP_* error.
 * A head longer than max_head bytes is TDM_SIM_HTTP_HEAD_TOO_LARGE. */
int tdm_sim_http_parse(const char *data, size_t len, size_t *scanned, size_t max_head,
                       tdm_sim_http_req *req);
/* The status an error result is answered with (400 for unknown values). */
int tdm_sim_http_error_status(int result);
/* "OK", "Not Found", ... ("Unknown" for codes the simulator never sends). */
const char *tdm_sim_http_reason(int status);

/* Appends a response head in Go's net/http order: status line, Content-Type (when not
 * NULL), Date, Content-Length (when content_length >= 0) or "Transfer-Encoding: chunked"
 * (when chunked), "Connection: close" (when close), extra (raw "Name: value\r\n" lines,
 * may be NULL), blank line. date is an IMF-fixdate; NULL omits the header. */
int tdm_sim_http_head(tdm_buf *out, int status, const char *content_type, const char *date,
                      int64_t content_length, bool chunked, bool close, const char *extra);
/* Appends one chunk: "<hex len>\r\n" data "\r\n". len must be > 0. */
int tdm_sim_http_chunk(tdm_buf *out, const void *data, size_t len);
/* The chunked body's terminator. */
#define TDM_SIM_HTTP_LAST_CHUNK "0\r\n\r\n"
/* Writes the current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"). */
void tdm_sim_http_date(char out[32]);

#endif
