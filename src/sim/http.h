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
#define TDM_SIM_HTTP_MAX_HOST 256
/* Go's net/http reads at most http.DefaultMaxHeaderBytes (1 MiB) plus 4096 bytes of
 * slack for a request head before it answers 431. */
#define TDM_SIM_HTTP_GO_MAX_HEAD ((1u << 20) + 4096u)

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
    bool has_host;                    /* a Host header (or an absolute-form target) */
    char host[TDM_SIM_HTTP_MAX_HOST]; /* its value, truncated; port included */
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

/* A response head as Go's net/http writes it: the status line (in the request's HTTP
 * version), the handler's headers sorted by name (handler_before: those sorting before
 * Content-Type, such as "Allow: POST\r\n"; Content-Type; handler_after: those sorting
 * after it, such as "Location: /x\r\n"), then the server's own: Date, Content-Length,
 * Connection, Transfer-Encoding, and the blank line. NULL or < 0 omits a field. */
typedef struct tdm_sim_http_head_spec {
    int minor;                 /* HTTP/1.<minor> of the status line: the request's */
    int status;
    const char *handler_before;
    const char *content_type;
    const char *handler_after;
    const char *date;          /* an IMF-fixdate */
    int64_t content_length;
    const char *connection;    /* "close", "keep-alive" or NULL */
    bool chunked;
} tdm_sim_http_head_spec;
int tdm_sim_http_head(tdm_buf *out, const tdm_sim_http_head_spec *h);

/* Go's own answer to a request it cannot parse, written before any handler runs and
 * then the connection is closed: no Date, no Content-Length, the detail (if any) in the
 * reason phrase and the body, e.g. "HTTP/1.1 400 Bad Request: missing required Host
 * header". result is a TDM_SIM_HTTP_* error. */
int tdm_sim_http_go_error(tdm_buf *out, int result);

/* Ollama's allowedHostsMiddleware for a server listening on a loopback address: the
 * Host header's host (port removed) must be an IP address that is loopback, private or
 * unspecified, or "", "localhost", this machine's hostname, or end in .localhost,
 * .local or .internal; anything else is answered 403 (DNS rebinding protection).
 * hostname may be NULL. (Ollama also accepts the addresses of local interfaces.) */
bool tdm_sim_http_host_allowed(const char *host, const char *hostname);
/* Go's cleanPath (net/http): path.Clean, with a trailing slash kept. out has room for
 * strlen(path) + 2 bytes. */
void tdm_sim_http_clean_path(const char *path, char *out, size_t outlen);

/* Appends one chunk: "<hex len>\r\n" data "\r\n". len must be > 0. */
int tdm_sim_http_chunk(tdm_buf *out, const void *data, size_t len);
/* The chunked body's terminator. */
#define TDM_SIM_HTTP_LAST_CHUNK "0\r\n\r\n"
/* Writes the current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"). */
void tdm_sim_http_date(char out[32]);

#endif
