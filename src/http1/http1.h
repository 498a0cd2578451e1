/* http1.h — tandem's own HTTP/1.1 client for streaming Ollama responses.
 *
 * Why hand-written: the smol-1kb and smol-8kb variants measure what the size of each
 * read() costs. That needs a client where we decide exactly how many bytes every read()
 * asks for (read_buf: 1,024 in smol-1kb, 8,192 in smol-8kb) and where we know that no
 * other runtime or buffering layer hides behind it. It is also the client of the
 * `blocking` (thread per agent) control, which uses the same code in blocking mode.
 *
 * Layers, one file each:
 *   url.c      http://host[:port][/path] -> tdm_http1_url
 *   request.c  the request bytes (POST with a JSON body, or GET)
 *   response.c incremental status line + header parser and body framing
 *   chunked.c  incremental chunked transfer-coding decoder
 *   conn.c     one TCP connection: connect, send, one read() per readable event, keep-alive
 *   fetch.c    a blocking one-shot request for small bodies (/api/version, /api/tags)
 *
 * The parsers accept their input split at any byte and never read past what they were
 * given; malformed input is an error with a message, never a crash. This module never
 * includes an event-loop header: a conn exposes its fd and the events it wants, so the
 * tandem reactor (or anything else) can drive it. */
#ifndef TDM_HTTP1_H
#define TDM_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* ---- results ------------------------------------------------------------------------ */

/* Progress results of the incremental parsers (>= 0). */
enum {
    TDM_HTTP1_MORE = 0, /* everything given was consumed; feed more */
    TDM_HTTP1_DONE = 1, /* the message ended; *consumed says where */
};

/* Error kinds (< 0): how a request or a parse failed, one counter per kind. */
enum {
    TDM_HTTP1_ERR_URL = -1,          /* not an http:// URL we can use */
    TDM_HTTP1_ERR_ARG = -2,          /* misuse: bad method or path, connection busy */
    TDM_HTTP1_ERR_RESOLVE = -3,      /* getaddrinfo failed */
    TDM_HTTP1_ERR_CONNECT = -4,      /* no address accepted the connection */
    TDM_HTTP1_ERR_WRITE = -5,        /* sending the request failed */
    TDM_HTTP1_ERR_READ = -6,         /* read() failed (e.g. connection reset) */
    TDM_HTTP1_ERR_TIMEOUT = -7,      /* blocking mode: connect, send or read timed out */
    TDM_HTTP1_ERR_CLOSED = -8,       /* the peer closed before the response ended */
    TDM_HTTP1_ERR_PROTOCOL = -9,     /* malformed status line, header or chunk framing */
    TDM_HTTP1_ERR_TOO_LARGE = -10,   /* header block, chunk extension or trailers too big */
    TDM_HTTP1_ERR_UNSUPPORTED = -11, /* a transfer-coding other than chunked */
    TDM_HTTP1_ERR_ABORTED = -12,     /* a callback returned non-zero, or conn_abort */
    TDM_HTTP1_ERR_NOMEM = -13,
};

/* A short stable name per kind ("connect", "closed", ...); "ok" for 0, "?" if unknown. */
const char *tdm_http1_error_name(int kind);

/* ---- callbacks ------------------------------------------------------------------------ */

/* Every member may be NULL. The int-returning ones return 0 to go on, non-zero to abort
 * (the parse then fails with TDM_HTTP1_ERR_ABORTED). Strings and slices are valid only
 * during the call. on_complete/on_error are used by a conn only (the parsers report
 * through return values); per request exactly one of them is called. */
typedef struct tdm_http1_cbs {
    int (*on_status)(void *ud, int status); /* final status (1xx interim ones are skipped) */
    int (*on_header)(void *ud, const char *name, const char *value); /* NUL-terminated; folded
                                                lines joined by one space, OWS trimmed */
    int (*on_body)(void *ud, const char *data, size_t len); /* each decoded slice, len > 0 */
    void (*on_complete)(void *ud);
    void (*on_error)(void *ud, int kind, const char *message);
} tdm_http1_cbs;

typedef int (*tdm_http1_data_fn)(void *ud, const char *data, size_t len);

/* ---- url.c ------------------------------------------------------------------------------- */

#define TDM_HTTP1_HOST_MAX 256
#define TDM_HTTP1_PATH_MAX 2048

typedef struct tdm_http1_url {
    char host[TDM_HTTP1_HOST_MAX];           /* for getaddrinfo: IPv6 without brackets */
    char port_str[6];
    uint16_t port;                           /* 80 when the URL names none */
    bool ipv6;                               /* host was a bracketed IPv6 literal */
    char authority[TDM_HTTP1_HOST_MAX + 8];  /* the Host header: host[:port], brackets kept */
    char path[TDM_HTTP1_PATH_MAX];           /* "/" when absent; query kept, fragment dropped */
} tdm_http1_url;

/* Parses "http://host[:port][/path[?query]][#fragment]" (scheme case-insensitive).
 * Rejects https://, user info, empty hosts, bad ports, spaces and control characters.
 * Returns 0, or TDM_HTTP1_ERR_URL with a message naming the cause in err. */
int tdm_http1_url_parse(const char *text, tdm_http1_url *out, char *err, size_t errlen);

/* ---- request.c --------------------------------------------------------------------------- */

/* Appends one request to out:
 *   METHOD path HTTP/1.1 / Host / [Content-Type: application/json / Content-Length: n]
 *   / Connection: keep-alive / Accept: application/x-ndjson (with a body) or * / *
 * then the body. body == NULL means no body (a POST without one still says
 * Content-Length: 0). path NULL means url->path. Method must be an HTTP token and path
 * must start with '/' and hold no space or control character (no header injection).
 * Returns 0, TDM_HTTP1_ERR_ARG or TDM_HTTP1_ERR_NOMEM (out is then left unchanged). */
int tdm_http1_request_write(tdm_buf *out, const char *method, const tdm_http1_url *url,
                            const char *path, const char *body, size_t body_len, char *err,
                            size_t errlen);

/* ---- chunked.c ----------------------------------------------------------------------------- */

/* Longest chunk-size line extension and total trailer section accepted. */
#define TDM_HTTP1_MAX_CHUNK_EXT 4096u
#define TDM_HTTP1_MAX_TRAILERS (16u * 1024u)

typedef struct tdm_http1_chunked {
    int state;           /* private */
    uint64_t remaining;  /* private: chunk size being read, then bytes left in the chunk */
    size_t line_len;     /* private: bytes of the current extension or trailer line */
    size_t trailer_len;  /* private */
    uint64_t chunks;     /* data chunks decoded so far (the final 0 chunk excluded) */
    int error;           /* private: the sticky error kind, 0 while none */
    const char *why;     /* static message after an error, else NULL */
} tdm_http1_chunked;

void tdm_http1_chunked_init(tdm_http1_chunked *d);
/* Decodes len bytes, handing every data slice (pointing into data, len > 0) to fn.
 * *consumed is set to the bytes used: all of them unless the message ended (DONE), when
 * the rest belongs to whatever follows. Returns TDM_HTTP1_MORE, TDM_HTTP1_DONE,
 * TDM_HTTP1_ERR_PROTOCOL, TDM_HTTP1_ERR_TOO_LARGE or TDM_HTTP1_ERR_ABORTED (fn returned
 * non-zero). Errors are sticky. */
int tdm_http1_chunked_feed(tdm_http1_chunked *d, const char *data, size_t len,
                           size_t *consumed, tdm_http1_data_fn fn, void *ud);
/* "" while no error happened. */
const char *tdm_http1_chunked_error(const tdm_http1_chunked *d);

/* ---- response.c ---------------------------------------------------------------------------- */

/* Like curl's CURL_MAX_HTTP_HEADER. */
#define TDM_HTTP1_DEFAULT_MAX_HEADER (100u * 1024u)

typedef struct tdm_http1_response {
    /* Results: valid once headers_done. */
    int status;
    int minor_version;      /* 0 or 1: HTTP/1.x */
    int64_t content_length; /* -1 when absent */
    bool chunked;
    bool keep_alive;        /* the connection may carry another request afterwards */
    bool headers_done;
    uint64_t body_bytes;    /* decoded body bytes handed to on_body */
    uint64_t bytes_in;      /* raw bytes consumed, header included */
    /* Private. */
    int state;
    int body_mode;
    bool head_request;
    bool conn_close;
    bool conn_keep_alive;
    size_t max_header;
    size_t line_len;
    bool line_cr;
    uint64_t remaining;
    tdm_buf head;
    tdm_http1_chunked chunk;
    const tdm_http1_cbs *cbs;
    void *ud;
    int error;
    char why[160];
} tdm_http1_response;

/* max_header: largest status line + header block accepted (0: the default). cbs may be
 * NULL. Ready for a response to a non-HEAD request. */
void tdm_http1_response_init(tdm_http1_response *p, size_t max_header, const tdm_http1_cbs *cbs,
                             void *ud);
/* Prepares for the next response on the same connection (keeps the buffer). */
void tdm_http1_response_reset(tdm_http1_response *p, bool head_request);
/* Parses len more bytes. Returns TDM_HTTP1_MORE, TDM_HTTP1_DONE (with *consumed < len when
 * bytes followed the end of the message) or an error kind; errors are sticky. */
int tdm_http1_response_feed(tdm_http1_response *p, const char *data, size_t len,
                            size_t *consumed);
/* The peer closed the connection: TDM_HTTP1_DONE if that ends the message (a body
 * delimited by close, or already done), else TDM_HTTP1_ERR_CLOSED. */
int tdm_http1_response_eof(tdm_http1_response *p);
/* "" while no error happened. */
const char *tdm_http1_response_error(const tdm_http1_response *p);
void tdm_http1_response_free(tdm_http1_response *p);

/* ---- conn.c -------------------------------------------------------------------------------- */

#define TDM_HTTP1_DEFAULT_READ_BUF 1024u

/* What a conn wants to wait for. READ and WRITE equal TDM_REACTOR_READ/WRITE. */
enum {
    TDM_HTTP1_WANT_READ = 1u,
    TDM_HTTP1_WANT_WRITE = 2u,
    TDM_HTTP1_WANT_REMOVE = 0x100u, /* only in watch callbacks: fd is about to be closed */
};

/* Told whenever the conn's fd or wanted events change: want is READ/WRITE bits (0: keep
 * the fd registered, nothing wanted — an idle keep-alive connection), or
 * TDM_HTTP1_WANT_REMOVE just before fd is closed. For the reactor:
 *   want & REMOVE ? tdm_reactor_remove_fd(r, fd) : tdm_reactor_watch_fd(r, fd, want, cb, c)
 * and in cb: tdm_http1_conn_on_ready(c, events). */
typedef void (*tdm_http1_watch_fn)(void *ud, int fd, unsigned want);

typedef struct tdm_http1_conn_opts {
    size_t read_buf;        /* bytes asked of each read(); 0: TDM_HTTP1_DEFAULT_READ_BUF */
    size_t max_header;      /* 0: TDM_HTTP1_DEFAULT_MAX_HEADER */
    int io_timeout_ms;      /* blocking mode only: connect, and each send or read; 0: none */
    int connect_timeout_ms; /* blocking mode only: the connect instead; 0: io_timeout_ms */
    int first_byte_timeout_ms; /* blocking mode only: each read() before the response's first
                               byte instead (a server still loading a model); 0: io_timeout_ms */
    bool blocking;          /* see tdm_http1_conn_set_blocking */
    tdm_http1_watch_fn watch;
    void *watch_ud;
} tdm_http1_conn_opts;

typedef struct tdm_http1_conn_stats {
    uint64_t reads;         /* read() calls on the socket, whatever they returned */
    uint64_t reads_empty;   /* ... of which returned EAGAIN (spurious wake-ups) */
    uint64_t bytes_read;    /* raw bytes read */
    uint64_t writes;        /* send() calls */
    uint64_t bytes_written;
    uint64_t connects;      /* TCP connections opened (connect() calls that got going) */
    uint64_t reuses;        /* requests sent on an already open keep-alive connection */
    uint64_t retries;       /* requests resent on a fresh connection because the reused one
                               had been closed by the server before answering */
    uint64_t requests;      /* requests accepted by tdm_http1_conn_request */
    uint64_t responses;     /* of which completed (on_complete) */
} tdm_http1_conn_stats;

/* tdm_now_ns() instants of the current (or last) request; 0: not reached. */
typedef struct tdm_http1_timing {
    int64_t start_ns;      /* tdm_http1_conn_request accepted it */
    int64_t connected_ns;  /* TCP connected (== start_ns when a connection was reused) */
    int64_t sent_ns;       /* last request byte handed to the kernel */
    int64_t first_byte_ns; /* first response byte read */
    int64_t headers_ns;    /* status line and headers parsed */
    int64_t done_ns;       /* on_complete or on_error */
} tdm_http1_timing;

typedef struct tdm_http1_conn tdm_http1_conn;

/* A connection to origin's host and port (opened lazily by the first request, re-opened
 * when the previous response did not allow keep-alive). opts may be NULL. NULL when out
 * of memory. */
tdm_http1_conn *tdm_http1_conn_new(const tdm_http1_url *origin, const tdm_http1_conn_opts *opts);
/* Closes the socket without callbacks. Safe inside the conn's own callbacks (the memory
 * is released when the callback returns). */
void tdm_http1_conn_free(tdm_http1_conn *c);

/* Blocking mode (for the thread-per-agent control): once connected the socket is
 * blocking, and tdm_http1_conn_wait drives a request to its end with blocking send() and
 * read() calls — still at most read_buf bytes per read(). Only while no request is in
 * flight. Returns 0 or TDM_HTTP1_ERR_ARG. */
int tdm_http1_conn_set_blocking(tdm_http1_conn *c, bool blocking);

/* Starts a request (see tdm_http1_request_write for method/path/body). Never blocks and
 * does no I/O beyond starting a connect() when no connection is open (name resolution
 * uses getaddrinfo, once per conn, which may block for names not in /etc/hosts).
 * Returns 0, after which exactly one of cbs->on_complete / cbs->on_error will be called
 * (from tdm_http1_conn_on_ready, tdm_http1_conn_wait or tdm_http1_conn_abort); or an error
 * kind with a message in err, and no callback at all. Callbacks may start the next request
 * from on_complete/on_error. */
int tdm_http1_conn_request(tdm_http1_conn *c, const char *method, const char *path,
                           const char *body, size_t body_len, const tdm_http1_cbs *cbs, void *ud,
                           char *err, size_t errlen);

/* Event-driven use: the fd (-1 when none is open) and what it waits for (0 when idle). */
int tdm_http1_conn_fd(const tdm_http1_conn *c);
unsigned tdm_http1_conn_want(const tdm_http1_conn *c);
/* The fd is ready (TDM_REACTOR_* / TDM_HTTP1_WANT_* bits, ERROR = 4 included). Completes
 * a pending connect, sends, or performs exactly ONE read() of at most read_buf bytes and
 * feeds it to the parser, delivering callbacks. */
void tdm_http1_conn_on_ready(tdm_http1_conn *c, unsigned events);

/* Blocking mode: runs the request in flight to its end. deadline_ns (tdm_now_ns clock;
 * 0: none) bounds the whole request, on top of the io timeouts. Returns 0 when on_complete
 * was called, the error kind passed to on_error otherwise, TDM_HTTP1_ERR_ARG when not in
 * blocking mode or nothing is in flight. */
int tdm_http1_conn_wait(tdm_http1_conn *c, int64_t deadline_ns);

/* Fails the request in flight with on_error(kind, message) and closes the socket (e.g. a
 * reactor timer saw a timeout). Inside one of this conn's callbacks the failure happens
 * as soon as that callback returns. A no-op when nothing is in flight. */
void tdm_http1_conn_abort(tdm_http1_conn *c, int kind, const char *message);
/* Closes an idle connection (no callback); the next request reconnects. */
void tdm_http1_conn_close(tdm_http1_conn *c);

bool tdm_http1_conn_busy(const tdm_http1_conn *c);  /* a request is in flight */
size_t tdm_http1_conn_read_buf(const tdm_http1_conn *c);
const tdm_http1_conn_stats *tdm_http1_conn_get_stats(const tdm_http1_conn *c);
const tdm_http1_timing *tdm_http1_conn_timing(const tdm_http1_conn *c);
/* Status, length and framing of the current (or last) response. */
const tdm_http1_response *tdm_http1_conn_response(const tdm_http1_conn *c);

/* ---- fetch.c ------------------------------------------------------------------------------- */

/* Largest body tdm_http1_fetch collects. */
#define TDM_HTTP1_FETCH_MAX_BODY (64u * 1024u * 1024u)

/* One blocking request on a fresh connection, for small non-streamed calls
 * (GET /api/version, GET /api/tags, POST /api/show). body NULL: none. timeout_ms bounds
 * the whole call (0: no bound). The body is appended to out; *status gets the status.
 * Returns 0 whatever the status, or an error kind with a message in err. */
int tdm_http1_fetch(const char *url, const char *method, const char *body, int timeout_ms,
                    int *status, tdm_buf *out, char *err, size_t errlen);

#endif
