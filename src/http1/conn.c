/* conn.c — one client TCP connection carrying one request at a time (see http1.h).
 *
 * The point of this file is the read discipline: every readable event (or, in blocking
 * mode, every step) performs exactly one read() of at most read_buf bytes, and the bytes
 * go straight to the response parser, so read_buf alone decides how many reads a
 * response costs. Everything else is kept plain: non-blocking connect trying each
 * resolved address in turn, TCP_NODELAY, send() with MSG_NOSIGNAL, keep-alive reuse when
 * the response ended cleanly, and one transparent retry on a fresh connection when a
 * reused one turns out to have been closed by the server before it answered (as curl
 * does). Callbacks may start the next request or free the conn; all state changes are
 * made before a callback runs, and the watch callback hears about fd/interest changes. */
#include "http1/http1.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/clock.h"

#define MAX_ADDRS 8

enum { C_CLOSED, C_CONNECTING, C_IDLE, C_SENDING, C_RECEIVING };

struct tdm_http1_conn {
    tdm_http1_url origin;
    tdm_http1_conn_opts opts;
    int fd;
    int state;
    bool busy;    /* a request is in flight */
    bool reused;  /* ... and went over a connection opened for an earlier one */
    bool retried;
    bool reusable;
    struct sockaddr_storage addrs[MAX_ADDRS];
    socklen_t addrlens[MAX_ADDRS];
    int naddrs;
    int addr_idx;
    int last_errno;
    tdm_buf req;
    size_t req_off;
    char *rbuf;
    tdm_http1_response resp;
    tdm_http1_cbs ucbs; /* the caller's, copied */
    void *uud;
    tdm_http1_cbs pcbs; /* what the parser calls: wrappers around ucbs */
    int w_fd;           /* what the watch callback was last told */
    unsigned w_want;
    int depth;          /* nesting of public entry points on the stack */
    bool doomed;        /* freed from inside a callback: release on the way out */
    bool in_cb;         /* inside a parser callback (abort is deferred) */
    int pending_kind;
    char pending_msg[160];
    uint64_t req_seq;
    int sock_ms;        /* blocking mode: what SO_RCVTIMEO/SO_SNDTIMEO hold (-1: none) */
    int last_result;
    tdm_http1_conn_stats stats;
    tdm_http1_timing timing;
    char errmsg[256];
};

const char *tdm_http1_error_name(int kind)
{
    switch (kind) {
    case 0: return "ok";
    case TDM_HTTP1_ERR_URL: return "url";
    case TDM_HTTP1_ERR_ARG: return "arg";
    case TDM_HTTP1_ERR_RESOLVE: return "resolve";
    case TDM_HTTP1_ERR_CONNECT: return "connect";
    case TDM_HTTP1_ERR_WRITE: return "write";
    case TDM_HTTP1_ERR_READ: return "read";
    case TDM_HTTP1_ERR_TIMEOUT: return "timeout";
    case TDM_HTTP1_ERR_CLOSED: return "closed";
    case TDM_HTTP1_ERR_PROTOCOL: return "protocol";
    case TDM_HTTP1_ERR_TOO_LARGE: return "too_large";
    case TDM_HTTP1_ERR_UNSUPPORTED: return "unsupported";
    case TDM_HTTP1_ERR_ABORTED: return "aborted";
    case TDM_HTTP1_ERR_NOMEM: return "nomem";
    default: return "?";
    }
}

/* ---- bookkeeping ----------------------------------------------------------------------- */

static unsigned want_of(const tdm_http1_conn *c)
{
    switch (c->state) {
    case C_CONNECTING:
    case C_SENDING: return TDM_HTTP1_WANT_WRITE;
    case C_RECEIVING: return TDM_HTTP1_WANT_READ;
    default: return 0;
    }
}

static void sync_watch(tdm_http1_conn *c)
{
    if (!c->opts.watch || c->fd < 0)
        return;
    unsigned want = want_of(c);
    if (c->w_fd != c->fd || c->w_want != want) {
        c->w_fd = c->fd;
        c->w_want = want;
        c->opts.watch(c->opts.watch_ud, c->fd, want);
    }
}

/* The watcher hears REMOVE before the fd is closed, so a new socket that gets the same
 * number can never be confused with this one. */
static void close_socket(tdm_http1_conn *c)
{
    if (c->fd < 0)
        return;
    if (c->w_fd == c->fd && c->opts.watch)
        c->opts.watch(c->opts.watch_ud, c->fd, TDM_HTTP1_WANT_REMOVE);
    c->w_fd = -1;
    c->w_want = 0;
    close(c->fd);
    c->fd = -1;
    c->state = C_CLOSED;
}

static void destroy(tdm_http1_conn *c)
{
    close_socket(c);
    tdm_http1_response_free(&c->resp);
    tdm_buf_free(&c->req);
    free(c->rbuf);
    free(c);
}

static void enter(tdm_http1_conn *c)
{
    c->depth++;
}

/* Returns false when the conn was released and must not be touched again. */
static bool leave(tdm_http1_conn *c)
{
    if (--c->depth > 0)
        return true;
    if (c->doomed) {
        destroy(c);
        return false;
    }
    sync_watch(c);
    return true;
}

/* Ends the request in flight: state first, then exactly one callback. */
static void finish(tdm_http1_conn *c, int kind, const char *msg)
{
    tdm_http1_cbs cbs = c->ucbs;
    void *ud = c->uud;
    c->busy = false;
    c->last_result = kind;
    c->timing.done_ns = tdm_now_ns();
    if (kind == 0) {
        c->stats.responses++;
        if (c->reusable && c->state == C_RECEIVING)
            c->state = C_IDLE;
        else
            close_socket(c);
    } else {
        close_socket(c);
        snprintf(c->errmsg, sizeof c->errmsg, "%s", msg && *msg ? msg : tdm_http1_error_name(kind));
    }
    if (c->doomed)
        return;
    if (kind == 0) {
        if (cbs.on_complete)
            cbs.on_complete(ud);
    } else if (cbs.on_error) {
        cbs.on_error(ud, kind, c->errmsg);
    }
}

static void failf(tdm_http1_conn *c, int kind, const char *what, int err)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s %.100s:%s: %s", what, c->origin.host, c->origin.port_str,
             strerror(err));
    finish(c, kind, msg);
}

/* ---- parser callbacks ---------------------------------------------------------------------- */

/* Non-zero stops the parser: the caller's wish, a deferred abort, or a free. */
static int stop_wanted(const tdm_http1_conn *c, int rc)
{
    return rc != 0 || c->doomed || c->pending_kind != 0;
}

static int p_status(void *ud, int status)
{
    tdm_http1_conn *c = ud;
    c->timing.headers_ns = tdm_now_ns();
    int rc = 0;
    if (c->ucbs.on_status) {
        c->in_cb = true;
        rc = c->ucbs.on_status(c->uud, status);
        c->in_cb = false;
    }
    return stop_wanted(c, rc);
}

static int p_header(void *ud, const char *name, const char *value)
{
    tdm_http1_conn *c = ud;
    int rc = 0;
    if (c->ucbs.on_header) {
        c->in_cb = true;
        rc = c->ucbs.on_header(c->uud, name, value);
        c->in_cb = false;
    }
    return stop_wanted(c, rc);
}

static int p_body(void *ud, const char *data, size_t len)
{
    tdm_http1_conn *c = ud;
    int rc = 0;
    if (c->ucbs.on_body) {
        c->in_cb = true;
        rc = c->ucbs.on_body(c->uud, data, len);
        c->in_cb = false;
    }
    return stop_wanted(c, rc);
}

/* ---- connecting ------------------------------------------------------------------------------ */

static int resolve(tdm_http1_conn *c, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int g = getaddrinfo(c->origin.host, c->origin.port_str, &hints, &res);
    if (g != 0) {
        if (err && errlen)
            snprintf(err, errlen, "resolve %s: %s", c->origin.host, gai_strerror(g));
        return TDM_HTTP1_ERR_RESOLVE;
    }
    c->naddrs = 0;
    for (struct addrinfo *ai = res; ai && c->naddrs < MAX_ADDRS; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof c->addrs[0])
            continue;
        memcpy(&c->addrs[c->naddrs], ai->ai_addr, ai->ai_addrlen);
        c->addrlens[c->naddrs++] = ai->ai_addrlen;
    }
    freeaddrinfo(res);
    if (c->naddrs == 0) {
        if (err && errlen)
            snprintf(err, errlen, "resolve %s: no usable address", c->origin.host);
        return TDM_HTTP1_ERR_RESOLVE;
    }
    return 0;
}

/* ms < 0: no timeout. */
static void set_timeouts(tdm_http1_conn *c, int ms)
{
    int v = ms > 0 ? ms : 0;
    struct timeval tv = {.tv_sec = v / 1000, .tv_usec = (v % 1000) * 1000};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    c->sock_ms = ms > 0 ? ms : -1;
}

static void apply_mode(tdm_http1_conn *c)
{
    int fl = fcntl(c->fd, F_GETFL);
    if (fl < 0)
        return;
    fcntl(c->fd, F_SETFL, c->opts.blocking ? (fl & ~O_NONBLOCK) : (fl | O_NONBLOCK));
    if (c->opts.blocking)
        set_timeouts(c, c->opts.io_timeout_ms);
}

static void connected(tdm_http1_conn *c)
{
    c->state = C_SENDING;
    c->timing.connected_ns = tdm_now_ns();
    if (c->opts.blocking)
        apply_mode(c);
}

/* Starts a non-blocking connect to the first address from `from` that takes it. Returns
 * 0 (connecting or connected) or TDM_HTTP1_ERR_CONNECT with c->errmsg set. */
static int start_connect(tdm_http1_conn *c, int from)
{
    for (int i = from; i < c->naddrs; i++) {
        const struct sockaddr *sa = (const struct sockaddr *)&c->addrs[i];
        int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            c->last_errno = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int rc = connect(fd, sa, c->addrlens[i]);
        if (rc == 0 || errno == EINPROGRESS) {
            c->fd = fd;
            c->addr_idx = i;
            c->stats.connects++;
            if (rc == 0)
                connected(c);
            else
                c->state = C_CONNECTING;
            return 0;
        }
        c->last_errno = errno;
        close(fd);
    }
    snprintf(c->errmsg, sizeof c->errmsg, "connect to %.100s:%s: %s", c->origin.host,
             c->origin.port_str, strerror(c->last_errno ? c->last_errno : ECONNREFUSED));
    return TDM_HTTP1_ERR_CONNECT;
}

static void finish_connect(tdm_http1_conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err == 0) {
        connected(c);
        return;
    }
    c->last_errno = err;
    int next = c->addr_idx + 1;
    close_socket(c);
    if (start_connect(c, next) != 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", c->errmsg);
        finish(c, TDM_HTTP1_ERR_CONNECT, msg);
    }
}

/* A reused connection that fails before any byte of the answer was probably closed by
 * the server while idle: resend once on a fresh one. */
static bool can_retry(const tdm_http1_conn *c)
{
    return c->reused && !c->retried && c->timing.first_byte_ns == 0;
}

static void retry(tdm_http1_conn *c)
{
    c->stats.retries++;
    c->retried = true;
    c->reused = false;
    c->req_off = 0;
    close_socket(c);
    if (start_connect(c, 0) != 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", c->errmsg);
        finish(c, TDM_HTTP1_ERR_CONNECT, msg);
    }
}

/* ---- I/O ------------------------------------------------------------------------------------- */

static void do_send(tdm_http1_conn *c)
{
    ssize_t n = send(c->fd, c->req.data + c->req_off, c->req.len - c->req_off, MSG_NOSIGNAL);
    c->stats.writes++;
    if (n >= 0) {
        c->stats.bytes_written += (uint64_t)n;
        c->req_off += (size_t)n;
        if (c->req_off == c->req.len) {
            c->state = C_RECEIVING;
            c->timing.sent_ns = tdm_now_ns();
        }
        return;
    }
    int e = errno;
    if (e == EINTR)
        return;
    if (e == EAGAIN || e == EWOULDBLOCK) {
        if (c->opts.blocking)
            failf(c, TDM_HTTP1_ERR_TIMEOUT, "send timed out to", ETIMEDOUT);
        return;
    }
    if ((e == EPIPE || e == ECONNRESET) && can_retry(c)) {
        retry(c);
        return;
    }
    failf(c, TDM_HTTP1_ERR_WRITE, "send to", e);
}

/* An idle kept-alive connection can take the request at once, without waiting a loop
 * round trip for the socket to be reported writable (and two epoll_ctl calls): at a
 * release of hundreds of agents that wait is what spreads the requests out. Whatever
 * this does not write, and any error, is left to do_send on the next writable or error
 * event, so no callback runs from inside tdm_http1_conn_request. */
static void send_now(tdm_http1_conn *c)
{
    if (c->opts.blocking)
        return;
    ssize_t n = send(c->fd, c->req.data, c->req.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0)
        return;
    c->stats.writes++;
    c->stats.bytes_written += (uint64_t)n;
    c->req_off = (size_t)n;
    if (c->req_off == c->req.len) {
        c->state = C_RECEIVING;
        c->timing.sent_ns = tdm_now_ns();
    }
}

static void do_read(tdm_http1_conn *c)
{
    ssize_t n = read(c->fd, c->rbuf, c->opts.read_buf);
    c->stats.reads++;
    if (n > 0) {
        c->stats.bytes_read += (uint64_t)n;
        if (c->timing.first_byte_ns == 0)
            c->timing.first_byte_ns = tdm_now_ns();
        size_t used = 0;
        int rc = tdm_http1_response_feed(&c->resp, c->rbuf, (size_t)n, &used);
        if (c->doomed)
            return;
        if (rc == TDM_HTTP1_DONE) {
            /* Bytes after the end of a response we did not pipeline: don't trust the rest. */
            c->reusable = c->resp.keep_alive && used == (size_t)n;
            finish(c, 0, NULL);
        } else if (rc < 0) {
            if (c->pending_kind)
                finish(c, c->pending_kind, c->pending_msg);
            else
                finish(c, rc, tdm_http1_response_error(&c->resp));
        }
        return;
    }
    if (n == 0) {
        if (can_retry(c)) {
            retry(c);
            return;
        }
        c->reusable = false;
        int rc = tdm_http1_response_eof(&c->resp);
        if (rc == TDM_HTTP1_DONE)
            finish(c, 0, NULL);
        else
            finish(c, rc, tdm_http1_response_error(&c->resp));
        return;
    }
    int e = errno;
    if (e == EINTR)
        return;
    if (e == EAGAIN || e == EWOULDBLOCK) {
        if (c->opts.blocking) {
            failf(c, TDM_HTTP1_ERR_TIMEOUT, "no response data in time from", ETIMEDOUT);
        } else {
            c->stats.reads_empty++;
        }
        return;
    }
    if ((e == ECONNRESET || e == EPIPE) && can_retry(c)) {
        retry(c);
        return;
    }
    failf(c, TDM_HTTP1_ERR_READ, "read from", e);
}

/* One step of whatever the state needs, given the events that are ready. */
static void step(tdm_http1_conn *c, unsigned events)
{
    const unsigned err = 4u; /* TDM_REACTOR_ERROR */
    if (c->state == C_CONNECTING && (events & (TDM_HTTP1_WANT_WRITE | err)))
        finish_connect(c);
    if (c->state == C_SENDING && (events & (TDM_HTTP1_WANT_WRITE | err)))
        do_send(c);
    else if (c->state == C_RECEIVING && (events & (TDM_HTTP1_WANT_READ | err)))
        do_read(c);
    else if (c->state == C_IDLE && (events & err))
        close_socket(c); /* the idle connection died */
}

/* ---- public ----------------------------------------------------------------------------------- */

tdm_http1_conn *tdm_http1_conn_new(const tdm_http1_url *origin, const tdm_http1_conn_opts *opts)
{
    if (!origin)
        return NULL;
    tdm_http1_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->origin = *origin;
    if (opts)
        c->opts = *opts;
    if (c->opts.read_buf == 0)
        c->opts.read_buf = TDM_HTTP1_DEFAULT_READ_BUF;
    if (c->opts.max_header == 0)
        c->opts.max_header = TDM_HTTP1_DEFAULT_MAX_HEADER;
    c->rbuf = malloc(c->opts.read_buf);
    if (!c->rbuf) {
        free(c);
        return NULL;
    }
    c->fd = -1;
    c->w_fd = -1;
    c->sock_ms = -1;
    c->state = C_CLOSED;
    c->pcbs.on_status = p_status;
    c->pcbs.on_header = p_header;
    c->pcbs.on_body = p_body;
    tdm_http1_response_init(&c->resp, c->opts.max_header, &c->pcbs, c);
    return c;
}

void tdm_http1_conn_free(tdm_http1_conn *c)
{
    if (!c)
        return;
    if (c->depth > 0) {
        c->doomed = true;
        c->busy = false;
        close_socket(c);
        return;
    }
    destroy(c);
}

int tdm_http1_conn_set_blocking(tdm_http1_conn *c, bool blocking)
{
    if (c->busy)
        return TDM_HTTP1_ERR_ARG;
    c->opts.blocking = blocking;
    if (c->fd >= 0)
        apply_mode(c);
    return 0;
}

int tdm_http1_conn_request(tdm_http1_conn *c, const char *method, const char *path,
                           const char *body, size_t body_len, const tdm_http1_cbs *cbs, void *ud,
                           char *err, size_t errlen)
{
    if (c->busy || c->doomed) {
        if (err && errlen)
            snprintf(err, errlen, "request: the connection already has a request in flight");
        return TDM_HTTP1_ERR_ARG;
    }
    tdm_buf_reset(&c->req);
    int rc = tdm_http1_request_write(&c->req, method, &c->origin, path, body, body_len, err, errlen);
    if (rc != 0)
        return rc;
    if (c->naddrs == 0 && (rc = resolve(c, err, errlen)) != 0)
        return rc;

    tdm_http1_response_reset(&c->resp, strcmp(method, "HEAD") == 0);
    memset(&c->ucbs, 0, sizeof c->ucbs);
    if (cbs)
        c->ucbs = *cbs;
    c->uud = ud;
    c->req_off = 0;
    c->retried = false;
    c->reusable = false;
    c->pending_kind = 0;
    memset(&c->timing, 0, sizeof c->timing);
    c->timing.start_ns = tdm_now_ns();

    enter(c);
    if (c->state == C_IDLE && c->fd >= 0) {
        c->reused = true;
        c->stats.reuses++;
        c->state = C_SENDING;
        c->timing.connected_ns = c->timing.start_ns;
        send_now(c);
    } else {
        c->reused = false;
        close_socket(c);
        rc = start_connect(c, 0);
        if (rc != 0) {
            if (err && errlen)
                snprintf(err, errlen, "%s", c->errmsg);
            leave(c);
            return rc;
        }
    }
    c->busy = true;
    c->req_seq++;
    c->stats.requests++;
    leave(c);
    return 0;
}

int tdm_http1_conn_fd(const tdm_http1_conn *c)
{
    return c->fd;
}

unsigned tdm_http1_conn_want(const tdm_http1_conn *c)
{
    return want_of(c);
}

void tdm_http1_conn_on_ready(tdm_http1_conn *c, unsigned events)
{
    enter(c);
    step(c, events);
    leave(c);
}

/* The limit of the wait the conn is in (blocking mode): its stage's own when set, else
 * io_timeout_ms; -1 for none. */
static int stage_ms(const tdm_http1_conn *c)
{
    int ms = c->opts.io_timeout_ms;
    if (c->state == C_CONNECTING && c->opts.connect_timeout_ms > 0)
        ms = c->opts.connect_timeout_ms;
    else if (c->state == C_RECEIVING && c->timing.first_byte_ns == 0 && c->opts.first_byte_timeout_ms > 0)
        ms = c->opts.first_byte_timeout_ms;
    return ms > 0 ? ms : -1;
}

/* Milliseconds to wait for in blocking mode: the stage's limit and the deadline, -1 for
 * none, 0 when the deadline has passed. */
static int wait_ms(const tdm_http1_conn *c, int64_t deadline_ns)
{
    int ms = stage_ms(c);
    if (deadline_ns > 0) {
        int64_t left = (deadline_ns - tdm_now_ns() + 999999) / 1000000;
        if (left <= 0)
            return 0;
        if (ms < 0 || left < ms)
            ms = left > 86400000 ? 86400000 : (int)left;
    }
    return ms;
}

int tdm_http1_conn_wait(tdm_http1_conn *c, int64_t deadline_ns)
{
    if (!c->opts.blocking || !c->busy)
        return TDM_HTTP1_ERR_ARG;
    enter(c);
    uint64_t seq = c->req_seq;
    while (c->busy && c->req_seq == seq && !c->doomed) {
        int ms = wait_ms(c, deadline_ns);
        if (ms == 0) {
            finish(c, TDM_HTTP1_ERR_TIMEOUT, "request deadline passed");
            break;
        }
        if (c->state == C_CONNECTING) {
            struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
            int n = poll(&pfd, 1, ms);
            if (n == 0)
                failf(c, TDM_HTTP1_ERR_TIMEOUT, "connect timed out to", ETIMEDOUT);
            else if (n > 0)
                finish_connect(c);
            else if (errno != EINTR)
                failf(c, TDM_HTTP1_ERR_CONNECT, "poll while connecting to", errno);
            continue;
        }
        if (ms != c->sock_ms) /* a syscall only when the stage or the deadline changes it */
            set_timeouts(c, ms);
        step(c, TDM_HTTP1_WANT_READ | TDM_HTTP1_WANT_WRITE);
    }
    int rc = c->doomed ? TDM_HTTP1_ERR_ABORTED : c->last_result;
    if (c->busy && c->req_seq == seq)
        rc = TDM_HTTP1_ERR_ABORTED;
    leave(c);
    return rc;
}

void tdm_http1_conn_abort(tdm_http1_conn *c, int kind, const char *message)
{
    if (!c->busy)
        return;
    if (kind >= 0)
        kind = TDM_HTTP1_ERR_ABORTED;
    if (c->in_cb) {
        c->pending_kind = kind;
        snprintf(c->pending_msg, sizeof c->pending_msg, "%s", message ? message : "aborted");
        return;
    }
    enter(c);
    finish(c, kind, message ? message : "aborted");
    leave(c);
}

void tdm_http1_conn_close(tdm_http1_conn *c)
{
    if (c->busy)
        return;
    enter(c);
    close_socket(c);
    leave(c);
}

bool tdm_http1_conn_busy(const tdm_http1_conn *c)
{
    return c->busy;
}

size_t tdm_http1_conn_read_buf(const tdm_http1_conn *c)
{
    return c->opts.read_buf;
}

const tdm_http1_conn_stats *tdm_http1_conn_get_stats(const tdm_http1_conn *c)
{
    return &c->stats;
}

const tdm_http1_timing *tdm_http1_conn_timing(const tdm_http1_conn *c)
{
    return &c->timing;
}

const tdm_http1_response *tdm_http1_conn_response(const tdm_http1_conn *c)
{
    return &c->resp;
}
