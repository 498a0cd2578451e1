/* test_http1_conn.c — a conn driven by the tandem reactor against a tiny server living in
 * the same reactor on 127.0.0.1:0, which writes a chunked NDJSON response in odd-sized
 * pieces; and in blocking mode (plus tdm_http1_fetch) against a server thread. Checks the
 * body, that the number of read() calls fits read_buf, keep-alive reuse, the retry when an
 * idle connection was closed, EOF mid-body, refusals, aborts, and freeing from callbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "http1/http1.h"
#include "reactor/reactor.h"

#define MS 1000000LL

/* ---- responses -------------------------------------------------------------------------- */

/* A streamed /api/generate answer: one NDJSON object per chunk, body >= min_body bytes. */
static void make_stream(tdm_buf *resp, tdm_buf *body, size_t min_body, const char *extra_header)
{
    tdm_buf_reset(resp);
    tdm_buf_reset(body);
    tdm_buf_printf(resp, "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                         "Date: Fri, 14 Nov 2025 00:29:24 GMT\r\n%s"
                         "Transfer-Encoding: chunked\r\n\r\n",
                   extra_header ? extra_header : "");
    for (int i = 0; body->len < min_body; i++) {
        char line[200];
        int n = snprintf(line, sizeof line,
                         "{\"model\":\"llama3.2:1b\",\"created_at\":\"2025-11-14T00:29:24.%09dZ\","
                         "\"response\":\" tok%d\",\"done\":false}\n",
                         i, i);
        tdm_buf_printf(resp, "%x\r\n%s\r\n", n, line);
        tdm_buf_append(body, line, (size_t)n);
    }
    const char *last = "{\"model\":\"llama3.2:1b\",\"created_at\":\"2025-11-14T00:29:25.0Z\","
                       "\"response\":\"\",\"done\":true,\"done_reason\":\"stop\",\"eval_count\":99}\n";
    tdm_buf_printf(resp, "%zx\r\n%s\r\n0\r\n\r\n", strlen(last), last);
    tdm_buf_append_str(body, last);
}

/* Length of the first complete request in b (header + Content-Length body), or 0. */
static size_t request_length(const tdm_buf *b)
{
    const char *end = b->data ? strstr(b->data, "\r\n\r\n") : NULL;
    if (!end)
        return 0;
    size_t head = (size_t)(end - b->data) + 4;
    size_t cl = 0;
    const char *h = strstr(b->data, "Content-Length: ");
    if (h && h < end)
        cl = strtoul(h + 16, NULL, 10);
    return b->len >= head + cl ? head + cl : 0;
}

static int listen_local(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 8), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static tdm_http1_url local_url(uint16_t port)
{
    char text[64];
    snprintf(text, sizeof text, "http://127.0.0.1:%u/api/generate", (unsigned)port);
    tdm_http1_url u;
    char err[256];
    assert_int_equal(tdm_http1_url_parse(text, &u, err, sizeof err), 0);
    return u;
}

/* ---- the server inside the reactor ----------------------------------------------------------- */

enum { SEND_ALL, SEND_PIECES };

typedef struct server {
    tdm_reactor *r;
    int lfd;
    uint16_t port;
    int cfd;
    int accepts;
    int requests;
    tdm_buf in;
    tdm_buf last_request;
    const tdm_buf *resp;
    int mode;
    size_t sent;
    size_t stop_at;       /* then close (EOF mid-body) or stall */
    bool stall;           /* at stop_at, just stop writing */
    bool close_after;     /* close once the response is out (no Connection: close said) */
    unsigned piece;
    tdm_reactor_timer tick;
} server;

static const size_t odd_pieces[] = {1, 7, 3, 61, 13, 2, 113, 5, 250, 31, 977, 4, 1500, 17};

static void server_close_conn(server *s)
{
    if (s->cfd < 0)
        return;
    tdm_reactor_timer_stop(s->r, &s->tick);
    tdm_reactor_remove_fd(s->r, s->cfd);
    close(s->cfd);
    s->cfd = -1;
    tdm_buf_reset(&s->in);
}

static void server_tick(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    (void)t;
    server *s = ud;
    size_t end = s->stop_at ? s->stop_at : s->resp->len;
    size_t n = end - s->sent;
    if (s->mode == SEND_PIECES) {
        size_t k = odd_pieces[s->piece++ % (sizeof odd_pieces / sizeof odd_pieces[0])];
        if (k < n)
            n = k;
    }
    ssize_t w = write(s->cfd, s->resp->data + s->sent, n);
    if (w > 0)
        s->sent += (size_t)w;
    if (s->sent < end) {
        /* Every 5th piece waits a millisecond so reads catch up and pieces stay apart. */
        tdm_reactor_timer_start(r, &s->tick, s->piece % 5 == 0 ? 1 * MS : 0, 0, server_tick, s);
        return;
    }
    if (s->stall)
        return;
    if (s->stop_at || s->close_after)
        server_close_conn(s);
}

static void server_conn_cb(tdm_reactor *r, int fd, unsigned events, void *ud)
{
    (void)r;
    (void)events;
    server *s = ud;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            server_close_conn(s);
        return;
    }
    tdm_buf_append(&s->in, buf, (size_t)n);
    size_t len = request_length(&s->in);
    if (!len)
        return;
    s->requests++;
    tdm_buf_reset(&s->last_request);
    tdm_buf_append(&s->last_request, s->in.data, len);
    tdm_buf_consume(&s->in, len);
    s->sent = 0;
    tdm_reactor_timer_start(s->r, &s->tick, 0, 0, server_tick, s);
}

static void server_accept_cb(tdm_reactor *r, int fd, unsigned events, void *ud)
{
    (void)events;
    server *s = ud;
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0)
        return;
    server_close_conn(s); /* one client connection at a time */
    s->cfd = c;
    s->accepts++;
    assert_int_equal(tdm_reactor_add_fd(r, c, TDM_REACTOR_READ, server_conn_cb, s), 0);
}

static void server_start(server *s, tdm_reactor *r, const tdm_buf *resp, int mode)
{
    memset(s, 0, sizeof *s);
    s->r = r;
    s->cfd = -1;
    s->resp = resp;
    s->mode = mode;
    s->lfd = listen_local(&s->port);
    assert_int_equal(tdm_reactor_add_fd(r, s->lfd, TDM_REACTOR_READ, server_accept_cb, s), 0);
}

static void server_stop(server *s)
{
    server_close_conn(s);
    tdm_reactor_remove_fd(s->r, s->lfd);
    close(s->lfd);
    tdm_buf_free(&s->in);
    tdm_buf_free(&s->last_request);
}

/* ---- the client side -------------------------------------------------------------------------- */

typedef struct client {
    tdm_reactor *r;
    tdm_http1_conn *c;
    int status;
    tdm_buf body;
    tdm_buf headers;
    int completes;
    int errors;
    int err_kind;
    char err_msg[256];
    int more_requests;    /* issued from on_complete */
    bool abort_in_body;   /* on_body returns 1 */
    bool defer_abort;     /* on_body calls tdm_http1_conn_abort */
    bool free_in_body;
    int removes;          /* watch REMOVE notifications */
    bool safety_fired;
    tdm_reactor_timer safety;
    tdm_reactor_timer aborter;
} client;

static const tdm_http1_cbs client_cbs;

static void conn_ready(tdm_reactor *r, int fd, unsigned events, void *ud)
{
    (void)r;
    (void)fd;
    tdm_http1_conn_on_ready(ud, events);
}

static void watch(void *ud, int fd, unsigned want)
{
    client *cl = ud;
    if (want & TDM_HTTP1_WANT_REMOVE) {
        cl->removes++;
        assert_int_equal(tdm_reactor_remove_fd(cl->r, fd), 0);
    } else {
        assert_int_equal(tdm_reactor_watch_fd(cl->r, fd, want, conn_ready, cl->c), 0);
    }
}

static int c_status(void *ud, int status)
{
    client *cl = ud;
    cl->status = status;
    return 0;
}

static int c_header(void *ud, const char *name, const char *value)
{
    client *cl = ud;
    tdm_buf_printf(&cl->headers, "%s: %s\n", name, value);
    return 0;
}

static int c_body(void *ud, const char *data, size_t len)
{
    client *cl = ud;
    tdm_buf_append(&cl->body, data, len);
    if (cl->free_in_body) {
        tdm_http1_conn_free(cl->c);
        cl->c = NULL;
        tdm_reactor_stop(cl->r);
        return 0;
    }
    if (cl->defer_abort) {
        tdm_http1_conn_abort(cl->c, TDM_HTTP1_ERR_TIMEOUT, "deferred abort");
        return 0;
    }
    return cl->abort_in_body ? 1 : 0;
}

static void c_complete(void *ud)
{
    client *cl = ud;
    cl->completes++;
    if (cl->more_requests > 0) {
        cl->more_requests--;
        char err[256];
        const char *body = "{\"model\":\"llama3.2:1b\",\"prompt\":\"again\"}";
        assert_int_equal(tdm_http1_conn_request(cl->c, "POST", "/api/generate", body, strlen(body),
                                                &client_cbs, cl, err, sizeof err),
                         0);
        return;
    }
    tdm_reactor_stop(cl->r);
}

static void c_error(void *ud, int kind, const char *message)
{
    client *cl = ud;
    cl->errors++;
    cl->err_kind = kind;
    snprintf(cl->err_msg, sizeof cl->err_msg, "%s", message);
    tdm_reactor_stop(cl->r);
}

static const tdm_http1_cbs client_cbs = {.on_status = c_status, .on_header = c_header,
                                         .on_body = c_body, .on_complete = c_complete,
                                         .on_error = c_error};

static void safety_cb(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    (void)t;
    ((client *)ud)->safety_fired = true;
    tdm_reactor_stop(r);
}

static void client_init(client *cl, tdm_reactor *r, uint16_t port, size_t read_buf)
{
    memset(cl, 0, sizeof *cl);
    cl->r = r;
    tdm_http1_url u = local_url(port);
    tdm_http1_conn_opts o = {.read_buf = read_buf, .watch = watch, .watch_ud = cl};
    cl->c = tdm_http1_conn_new(&u, &o);
    assert_non_null(cl->c);
    assert_int_equal(tdm_http1_conn_read_buf(cl->c), read_buf ? read_buf : TDM_HTTP1_DEFAULT_READ_BUF);
}

static void client_send(client *cl)
{
    char err[256] = "";
    const char *body = "{\"model\":\"llama3.2:1b\",\"prompt\":\"Why is the sky blue?\"}";
    int rc = tdm_http1_conn_request(cl->c, "POST", "/api/generate", body, strlen(body), &client_cbs,
                                    cl, err, sizeof err);
    if (rc != 0)
        fail_msg("request refused: %s", err);
}

static void run_until_done(client *cl)
{
    tdm_reactor_timer_start(cl->r, &cl->safety, 5000 * MS, 0, safety_cb, cl);
    assert_int_equal(tdm_reactor_run(cl->r), 0);
    tdm_reactor_timer_stop(cl->r, &cl->safety);
    assert_false(cl->safety_fired);
}

static void client_free(client *cl)
{
    tdm_http1_conn_free(cl->c);
    tdm_buf_free(&cl->body);
    tdm_buf_free(&cl->headers);
}

static size_t ceil_div(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

/* ---- tests: reactor-driven ---------------------------------------------------------------------- */

static void stream_once(size_t read_buf, int mode)
{
    tdm_reactor *r = tdm_reactor_create();
    tdm_buf resp = {0}, body = {0};
    make_stream(&resp, &body, 5000, NULL);
    server s;
    server_start(&s, r, &resp, mode);
    client cl;
    client_init(&cl, r, s.port, read_buf);
    client_send(&cl);
    run_until_done(&cl);

    assert_int_equal(cl.errors, 0);
    assert_int_equal(cl.completes, 1);
    assert_int_equal(cl.status, 200);
    assert_int_equal(cl.body.len, body.len);
    assert_memory_equal(cl.body.data, body.data, body.len);
    assert_non_null(strstr(tdm_buf_str(&cl.headers), "Transfer-Encoding: chunked\n"));

    const tdm_http1_conn_stats *st = tdm_http1_conn_get_stats(cl.c);
    size_t rb = read_buf ? read_buf : TDM_HTTP1_DEFAULT_READ_BUF;
    uint64_t data_reads = st->reads - st->reads_empty;
    assert_int_equal(st->bytes_read, resp.len);
    assert_true(data_reads >= ceil_div(resp.len, rb)); /* no read() took more than read_buf */
    if (rb == 1024)
        assert_true(data_reads >= 5);
    if (mode == SEND_ALL) /* everything was queued at once: exactly one read per read_buf */
        assert_int_equal(data_reads, ceil_div(resp.len, rb));
    assert_true(tdm_reactor_wakeups(r) >= data_reads);
    assert_int_equal(st->connects, 1);
    assert_int_equal(st->requests, 1);
    assert_int_equal(st->responses, 1);
    assert_true(st->bytes_written > 100);

    const tdm_http1_timing *t = tdm_http1_conn_timing(cl.c);
    assert_true(t->start_ns > 0 && t->start_ns <= t->connected_ns);
    assert_true(t->connected_ns <= t->sent_ns && t->sent_ns <= t->first_byte_ns);
    assert_true(t->first_byte_ns <= t->headers_ns && t->headers_ns <= t->done_ns);

    /* what the server received */
    const char *req = tdm_buf_str(&s.last_request);
    char host[64];
    snprintf(host, sizeof host, "Host: 127.0.0.1:%u\r\n", (unsigned)s.port);
    assert_true(strncmp(req, "POST /api/generate HTTP/1.1\r\n", 29) == 0);
    assert_non_null(strstr(req, host));
    assert_non_null(strstr(req, "Content-Type: application/json\r\n"));
    assert_non_null(strstr(req, "Connection: keep-alive\r\n"));
    assert_non_null(strstr(req, "Accept: application/x-ndjson\r\n"));

    /* the connection stays open and idle, registered with no interest */
    assert_true(tdm_http1_conn_fd(cl.c) >= 0);
    assert_int_equal(tdm_http1_conn_want(cl.c), 0);
    assert_false(tdm_http1_conn_busy(cl.c));
    assert_true(tdm_reactor_has_fd(r, tdm_http1_conn_fd(cl.c)));

    client_free(&cl);
    server_stop(&s);
    assert_int_equal(tdm_reactor_fd_count(r), 0); /* free told the reactor */
    tdm_reactor_destroy(r);
    tdm_buf_free(&resp);
    tdm_buf_free(&body);
}

static void test_stream_1kb_odd_pieces(void **state)
{
    (void)state;
    stream_once(1024, SEND_PIECES);
}

static void test_stream_read_sizes_all_at_once(void **state)
{
    (void)state;
    stream_once(0, SEND_ALL); /* default: 1024 */
    stream_once(8192, SEND_ALL);
    stream_once(100, SEND_ALL);
    stream_once(1, SEND_PIECES);
}

static void test_keep_alive_reuse(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_buf resp = {0}, body = {0};
    make_stream(&resp, &body, 3000, NULL);
    server s;
    server_start(&s, r, &resp, SEND_PIECES);
    client cl;
    client_init(&cl, r, s.port, 1024);
    cl.more_requests = 2;
    client_send(&cl);
    run_until_done(&cl);
    assert_int_equal(cl.errors, 0);
    assert_int_equal(cl.completes, 3);
    assert_int_equal(cl.body.len, 3 * body.len);
    for (int i = 0; i < 3; i++)
        assert_memory_equal(cl.body.data + i * body.len, body.data, body.len);
    const tdm_http1_conn_stats *st = tdm_http1_conn_get_stats(cl.c);
    assert_int_equal(st->connects, 1);
    assert_int_equal(st->reuses, 2);
    assert_int_equal(st->retries, 0);
    assert_int_equal(st->requests, 3);
    assert_int_equal(st->responses, 3);
    assert_int_equal(s.accepts, 1);
    assert_int_equal(s.requests, 3);
    assert_non_null(strstr(tdm_buf_str(&s.last_request), "\"prompt\":\"again\""));
    /* on reuse, connected == start */
    const tdm_http1_timing *t = tdm_http1_conn_timing(cl.c);
    assert_int_equal(t->connected_ns, t->start_ns);
    client_free(&cl);
    server_stop(&s);
    tdm_reactor_destroy(r);
    tdm_buf_free(&resp);
    tdm_buf_free(&body);
}

/* "Connection: close" from the server: the next request opens a new connection. */
static void test_connection_close_reconnects(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_buf resp = {0}, body = {0};
    make_stream(&resp, &body, 2000, "Connection: close\r\n");
    server s;
    server_start(&s, r, &resp, SEND_PIECES);
    s.close_after = true;
    client cl;
    client_init(&cl, r, s.port, 1024);
    cl.more_requests = 1;
    client_send(&cl);
    run_until_done(&cl);
    assert_int_equal(cl.errors, 0);
    assert_int_equal(cl.completes, 2);
    const tdm_http1_conn_stats *st = tdm_http1_conn_get_stats(cl.c);
    assert_int_equal(st->connects, 2);
    assert_int_equal(st->reuses, 0);
    assert_int_equal(s.accepts, 2);
    assert_false(tdm_http1_conn_response(cl.c)->keep_alive);
    assert_int_equal(tdm_http1_conn_fd(cl.c), -1); /* closed after the last one */
    assert_true(cl.removes >= 2);
    client_free(&cl);
    server_stop(&s);
    tdm_reactor_destroy(r);
    tdm_buf_free(&resp);
    tdm_buf_free(&body);
}

/* The server silently closes the idle keep-alive connection: the next request is resent
 * once on a fresh connection and succeeds. */
static void test_retry_after_idle_close(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_buf resp = {0}, body = {0};
    make_stream(&resp, &body, 2000, NULL);
    server s;
    server_start(&s, r, &resp, SEND_ALL);
    s.close_after = true;
    client cl;
    client_init(&cl, r, s.port, 1024);
    cl.more_requests = 1;
    client_send(&cl);
    run_until_done(&cl);
    assert_int_equal(cl.errors, 0);
    assert_int_equal(cl.completes, 2);
    assert_int_equal(cl.body.len, 2 * body.len);
    const tdm_http1_conn_stats *st = tdm_http1_conn_get_stats(cl.c);
    assert_int_equal(st->reuses, 1);
    assert_int_equal(st->retries, 1);
    assert_int_equal(st->connects, 2);
    assert_int_equal(s.accepts, 2);
    client_free(&cl);
    server_stop(&s);
    tdm_reactor_destroy(r);
    tdm_buf_free(&resp);
    tdm_buf_free(&body);
}

static void test_eof_mid_body(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_buf resp = {0}, body = {0};
    make_stream(&resp, &body, 5000, NULL);
    server s;
    server_start(&s, r, &resp, SEND_PIECES);
    s.stop_at = resp.len / 2;
    client cl;
    client_init(&cl, r, s.port, 1024);
    client_send(&cl);
    run_until_done(&cl);
    assert_int_equal(cl.completes, 0);
    assert_int_equal(cl.errors, 1);
    assert_int_equal(cl.err_kind, TDM_HTTP1_ERR_CLOSED);
    assert_string_equal(cl.err_msg, "connection closed mid-response");
    assert_true(cl.body.len > 0 && cl.body.len < body.len);
    assert_memory_equal(cl.body.data, body.data, cl.body.len);
    assert_int_equal(tdm_http1_conn_get_stats(cl.c)->retries, 0);
    assert_int_equal(tdm_http1_conn_fd(cl.c), -1);
    /* the conn is usable again: a full response follows on a new connection */
    s.stop_at = 0;
    tdm_buf_reset(&cl.body);
    client_send(&cl);
    run_until_done(&cl);
    assert_int_equal(cl.completes, 1);
    assert_int_equal(cl.body.len, body.len);
    client_free(&cl);
    server_stop(&s);
    tdm_reactor_destroy(r);
    tdm_buf_free(&resp);
    tdm_buf_free(&body);
}

static void test_malformed_response_is_an_error(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_buf resp = {0};
    tdm_buf_append_str(&resp, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX");
    server s;
    server_start(&s, r, &resp, SEND_PIECES);
    s.stall = true;
    client cl;
    client_init(&cl, r, s.port, 16);
    client_send(&cl);
    run_until_done(&cl);
    assert_int_equal(cl.errors, 1);
    assert_int_equal(cl.err_kind, TDM_HTTP1_ERR_PROTOCOL);
    assert_string_equal(cl.err_msg, "chunk data not followed by CRLF");
    assert_string_equal(tdm_buf_str(&cl.body), "hello");
    client_free(&cl);
    server_stop(&s);
    tdm_reactor_destroy(r);
    tdm_buf_free(&resp);
}

static void test_http_error_status_completes(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_buf resp = {0};
    tdm_buf_append_str(&resp, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json; charset=utf-8\r\n"
                              "Content-Length: 32\r\n\r\n{\"error\":\"model 'x' not found\"}\n");
    server s;
    server_start(&s, r, &resp, SEND_PIECES);
    client cl;
    client_init(&cl, r, s.port, 1024);
    client_send(&cl);
    run_until_done(&cl);
    assert_int_equal(cl.errors, 0);
    assert_int_equal(cl.completes, 1);
    assert_int_equal(cl.status, 404);
    assert_string_equal(tdm_buf_str(&cl.body), "{\"error\":\"model 'x' not found\"}\n");
    assert_int_equal(tdm_http1_conn_response(cl.c)->content_length, 32);
    client_free(&cl);
    server_stop(&s);
    tdm_reactor_destroy(r);
    tdm_buf_free(&resp);
}

static void test_connect_refused(void **state)
{
    (void)state;
    uint16_t port;
    close(listen_local(&port)); /* a port nobody listens on */
    tdm_reactor *r = tdm_reactor_create();
    client cl;
    client_init(&cl, r, port, 1024);
    char err[256] = "";
    const char *body = "{}";
    int rc = tdm_http1_conn_request(cl.c, "POST", NULL, body, 2, &client_cbs, &cl, err, sizeof err);
    char want[64];
    snprintf(want, sizeof want, "connect to 127.0.0.1:%u", (unsigned)port);
    if (rc == 0) { /* refused asynchronously */
        run_until_done(&cl);
        assert_int_equal(cl.errors, 1);
        assert_int_equal(cl.err_kind, TDM_HTTP1_ERR_CONNECT);
        assert_non_null(strstr(cl.err_msg, want));
    } else {
        assert_int_equal(rc, TDM_HTTP1_ERR_CONNECT);
        assert_non_null(strstr(err, want));
        assert_int_equal(cl.errors, 0); /* no callback for a refused request */
    }
    assert_non_null(strstr(rc ? err : cl.err_msg, "refused"));
    assert_int_equal(tdm_reactor_fd_count(r), 0);
    client_free(&cl);
    tdm_reactor_destroy(r);
}

static void test_abort_from_body_callback(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_buf resp = {0}, body = {0};
    make_stream(&resp, &body, 3000, NULL);
    server s;
    server_start(&s, r, &resp, SEND_PIECES);
    client cl;
    client_init(&cl, r, s.port, 1024);
    cl.abort_in_body = true;
    client_send(&cl);
    run_until_done(&cl);
    assert_int_equal(cl.errors, 1);
    assert_int_equal(cl.err_kind, TDM_HTTP1_ERR_ABORTED);
    assert_int_equal(tdm_http1_conn_fd(cl.c), -1);
    /* tdm_http1_conn_abort inside a callback takes effect when it returns */
    cl.abort_in_body = false;
    cl.defer_abort = true;
    cl.errors = 0;
    client_send(&cl);
    run_until_done(&cl);
    assert_int_equal(cl.errors, 1);
    assert_int_equal(cl.err_kind, TDM_HTTP1_ERR_TIMEOUT);
    assert_string_equal(cl.err_msg, "deferred abort");
    assert_int_equal(cl.completes, 0);
    client_free(&cl);
    server_stop(&s);
    tdm_reactor_destroy(r);
    tdm_buf_free(&resp);
    tdm_buf_free(&body);
}

/* A reactor timer aborts a stalled stream, as a variant's request timeout would. */
static void abort_cb(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    (void)r;
    (void)t;
    client *cl = ud;
    tdm_http1_conn_abort(cl->c, TDM_HTTP1_ERR_TIMEOUT, "no token for 20 ms");
}

static void test_abort_from_timer(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_buf resp = {0}, body = {0};
    make_stream(&resp, &body, 3000, NULL);
    server s;
    server_start(&s, r, &resp, SEND_PIECES);
    s.stop_at = 1000;
    s.stall = true;
    client cl;
    client_init(&cl, r, s.port, 1024);
    client_send(&cl);
    tdm_reactor_timer_start(r, &cl.aborter, 20 * MS, 0, abort_cb, &cl);
    run_until_done(&cl);
    assert_int_equal(cl.errors, 1);
    assert_int_equal(cl.err_kind, TDM_HTTP1_ERR_TIMEOUT);
    assert_string_equal(cl.err_msg, "no token for 20 ms");
    assert_false(tdm_http1_conn_busy(cl.c));
    tdm_http1_conn_abort(cl.c, TDM_HTTP1_ERR_TIMEOUT, "nothing in flight: no-op");
    assert_int_equal(cl.errors, 1);
    client_free(&cl);
    server_stop(&s);
    tdm_reactor_destroy(r);
    tdm_buf_free(&resp);
    tdm_buf_free(&body);
}

static void test_free_inside_callback(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_buf resp = {0}, body = {0};
    make_stream(&resp, &body, 3000, NULL);
    server s;
    server_start(&s, r, &resp, SEND_PIECES);
    client cl;
    client_init(&cl, r, s.port, 1024);
    cl.free_in_body = true;
    client_send(&cl);
    run_until_done(&cl);
    assert_null(cl.c);
    assert_int_equal(cl.completes + cl.errors, 0); /* freed: no more callbacks */
    assert_int_equal(cl.removes, 1);
    client_free(&cl);
    server_stop(&s);
    assert_int_equal(tdm_reactor_fd_count(r), 0);
    tdm_reactor_destroy(r);
    tdm_buf_free(&resp);
    tdm_buf_free(&body);
}

static void test_misuse(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_buf resp = {0}, body = {0};
    make_stream(&resp, &body, 100, NULL);
    server s;
    server_start(&s, r, &resp, SEND_ALL);
    client cl;
    client_init(&cl, r, s.port, 0);
    char err[256];
    assert_int_equal(tdm_http1_conn_wait(cl.c, 0), TDM_HTTP1_ERR_ARG); /* nothing in flight */
    assert_int_equal(tdm_http1_conn_request(cl.c, "BAD METHOD", NULL, NULL, 0, &client_cbs, &cl,
                                            err, sizeof err),
                     TDM_HTTP1_ERR_ARG);
    client_send(&cl);
    assert_true(tdm_http1_conn_busy(cl.c));
    assert_int_equal(tdm_http1_conn_request(cl.c, "GET", NULL, NULL, 0, &client_cbs, &cl, err, sizeof err),
                     TDM_HTTP1_ERR_ARG);
    assert_non_null(strstr(err, "in flight"));
    assert_int_equal(tdm_http1_conn_set_blocking(cl.c, true), TDM_HTTP1_ERR_ARG);
    assert_int_equal(tdm_http1_conn_wait(cl.c, 0), TDM_HTTP1_ERR_ARG); /* not blocking */
    assert_true(tdm_http1_conn_want(cl.c) & TDM_HTTP1_WANT_WRITE);
    run_until_done(&cl);
    assert_int_equal(cl.completes, 1);
    tdm_http1_conn_close(cl.c);
    assert_int_equal(tdm_http1_conn_fd(cl.c), -1);
    client_free(&cl);
    server_stop(&s);
    tdm_reactor_destroy(r);
    tdm_buf_free(&resp);
    tdm_buf_free(&body);
    tdm_http1_conn_free(NULL);
}

/* ---- blocking mode against a server thread ------------------------------------------------------ */

typedef struct tserver {
    int lfd;
    uint16_t port;
    const tdm_buf *resp;
    int requests;   /* answer this many on one connection, then close */
    bool silent;    /* read the request, never answer, wait for the client to go */
    pthread_t th;
} tserver;

static void *tserver_main(void *arg)
{
    tserver *s = arg;
    int c = accept(s->lfd, NULL, NULL);
    if (c < 0)
        return NULL;
    tdm_buf in = {0};
    for (int i = 0; i < s->requests || s->silent; i++) {
        size_t len;
        while (!(len = request_length(&in))) {
            char buf[4096];
            ssize_t n = read(c, buf, sizeof buf);
            if (n <= 0)
                goto out;
            tdm_buf_append(&in, buf, (size_t)n);
        }
        tdm_buf_consume(&in, len);
        if (s->silent)
            continue; /* read() above returns 0 once the client gave up */
        for (size_t off = 0, k = 0; off < s->resp->len; k++) {
            size_t n = odd_pieces[k % (sizeof odd_pieces / sizeof odd_pieces[0])];
            if (n > s->resp->len - off)
                n = s->resp->len - off;
            ssize_t w = write(c, s->resp->data + off, n);
            if (w <= 0)
                goto out;
            off += (size_t)w;
        }
    }
out:
    tdm_buf_free(&in);
    close(c);
    return NULL;
}

static void tserver_start(tserver *s, const tdm_buf *resp, int requests)
{
    s->resp = resp;
    s->requests = requests;
    s->lfd = listen_local(&s->port);
    assert_int_equal(pthread_create(&s->th, NULL, tserver_main, s), 0);
}

static void tserver_stop(tserver *s)
{
    pthread_join(s->th, NULL);
    close(s->lfd);
}

typedef struct bclient {
    int status;
    tdm_buf body;
    int completes, errors, err_kind;
} bclient;

static int b_status(void *ud, int status)
{
    ((bclient *)ud)->status = status;
    return 0;
}

static int b_body(void *ud, const char *data, size_t len)
{
    return tdm_buf_append(&((bclient *)ud)->body, data, len);
}

static void b_complete(void *ud)
{
    ((bclient *)ud)->completes++;
}

static void b_error(void *ud, int kind, const char *message)
{
    (void)message;
    ((bclient *)ud)->errors++;
    ((bclient *)ud)->err_kind = kind;
}

static const tdm_http1_cbs bcbs = {.on_status = b_status, .on_body = b_body,
                                   .on_complete = b_complete, .on_error = b_error};

static void test_blocking_mode(void **state)
{
    (void)state;
    tdm_buf resp = {0}, body = {0};
    make_stream(&resp, &body, 5000, NULL);
    tserver s = {0};
    tserver_start(&s, &resp, 2);
    tdm_http1_url u = local_url(s.port);
    tdm_http1_conn *c = tdm_http1_conn_new(&u, NULL);
    assert_non_null(c);
    assert_int_equal(tdm_http1_conn_set_blocking(c, true), 0);
    bclient b = {0};
    char err[256];
    for (int i = 0; i < 2; i++) {
        tdm_buf_reset(&b.body);
        assert_int_equal(tdm_http1_conn_request(c, "POST", NULL, "{}", 2, &bcbs, &b, err, sizeof err), 0);
        assert_int_equal(tdm_http1_conn_wait(c, 0), 0);
        assert_int_equal(b.completes, i + 1);
        assert_int_equal(b.status, 200);
        assert_int_equal(b.body.len, body.len);
        assert_memory_equal(b.body.data, body.data, body.len);
    }
    const tdm_http1_conn_stats *st = tdm_http1_conn_get_stats(c);
    assert_int_equal(st->bytes_read, 2 * resp.len);
    assert_true(st->reads - st->reads_empty >= 2 * ceil_div(resp.len, 1024));
    assert_int_equal(st->reads_empty, 0); /* blocking reads never come back empty-handed */
    assert_int_equal(st->connects, 1);
    assert_int_equal(st->reuses, 1);
    tdm_http1_conn_free(c);
    tserver_stop(&s);
    tdm_buf_free(&b.body);
    tdm_buf_free(&resp);
    tdm_buf_free(&body);
}

static void test_blocking_timeout(void **state)
{
    (void)state;
    tserver s = {0};
    s.silent = true;
    tserver_start(&s, NULL, 0);
    tdm_http1_url u = local_url(s.port);
    tdm_http1_conn_opts o = {.blocking = true, .io_timeout_ms = 50};
    tdm_http1_conn *c = tdm_http1_conn_new(&u, &o);
    bclient b = {0};
    char err[256];
    assert_int_equal(tdm_http1_conn_request(c, "GET", "/api/version", NULL, 0, &bcbs, &b, err, sizeof err), 0);
    int64_t t0 = tdm_now_ns();
    assert_int_equal(tdm_http1_conn_wait(c, 0), TDM_HTTP1_ERR_TIMEOUT);
    int64_t waited = tdm_now_ns() - t0;
    assert_true(waited >= 40 * MS && waited < 2000 * MS);
    assert_int_equal(b.errors, 1);
    assert_int_equal(b.err_kind, TDM_HTTP1_ERR_TIMEOUT);
    tdm_http1_conn_free(c); /* closes: the silent server's read returns 0 */
    tserver_stop(&s);
    tdm_buf_free(&b.body);
}

static void test_fetch(void **state)
{
    (void)state;
    tdm_buf resp = {0};
    tdm_buf_append_str(&resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                              "Content-Length: 20\r\n\r\n{\"version\":\"0.11.4\"}");
    tserver s = {0};
    tserver_start(&s, &resp, 1);
    char url[64], err[256] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/version", (unsigned)s.port);
    int status = -1;
    tdm_buf out = {0};
    assert_int_equal(tdm_http1_fetch(url, "GET", NULL, 2000, &status, &out, err, sizeof err), 0);
    assert_int_equal(status, 200);
    assert_string_equal(tdm_buf_str(&out), "{\"version\":\"0.11.4\"}");
    tserver_stop(&s);

    /* refusals and failures come back as kinds with messages */
    assert_int_equal(tdm_http1_fetch("https://127.0.0.1/", "GET", NULL, 100, &status, &out, err, sizeof err),
                     TDM_HTTP1_ERR_URL);
    assert_non_null(strstr(err, "https"));
    uint16_t port;
    close(listen_local(&port));
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/tags", (unsigned)port);
    assert_int_equal(tdm_http1_fetch(url, NULL, NULL, 1000, &status, &out, err, sizeof err),
                     TDM_HTTP1_ERR_CONNECT);
    assert_non_null(strstr(err, "refused"));
    assert_int_equal(tdm_http1_fetch("http://no-such-host.invalid/", "GET", NULL, 1000, &status, &out,
                                     err, sizeof err),
                     TDM_HTTP1_ERR_RESOLVE);
    assert_int_equal(tdm_http1_fetch(url, "GET", NULL, 100, &status, NULL, err, sizeof err),
                     TDM_HTTP1_ERR_ARG);

    /* a server that never answers: the whole call is bounded by timeout_ms */
    tserver q = {0};
    q.silent = true;
    tserver_start(&q, NULL, 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/show", (unsigned)q.port);
    int64_t t0 = tdm_now_ns();
    assert_int_equal(tdm_http1_fetch(url, "POST", "{\"model\":\"m\"}", 80, &status, &out, err, sizeof err),
                     TDM_HTTP1_ERR_TIMEOUT);
    assert_true(tdm_now_ns() - t0 < 2000 * MS);
    tserver_stop(&q);
    tdm_buf_free(&out);
    tdm_buf_free(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_1kb_odd_pieces),
        cmocka_unit_test(test_stream_read_sizes_all_at_once),
        cmocka_unit_test(test_keep_alive_reuse),
        cmocka_unit_test(test_connection_close_reconnects),
        cmocka_unit_test(test_retry_after_idle_close),
        cmocka_unit_test(test_eof_mid_body),
        cmocka_unit_test(test_malformed_response_is_an_error),
        cmocka_unit_test(test_http_error_status_completes),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_abort_from_body_callback),
        cmocka_unit_test(test_abort_from_timer),
        cmocka_unit_test(test_free_inside_callback),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_blocking_mode),
        cmocka_unit_test(test_blocking_timeout),
        cmocka_unit_test(test_fetch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
