/* conn.c — one client connection: reading and parsing requests (persistent, pipelined,
 * partial), routing them, answering them (complete responses here, streams in gen.c) and
 * closing. The bytes go out through the connection's output path (cork.c); the files
 * below reach back here only through the operations in OPS, never by calling up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "sim/openai.h"
#include "sim/sim_int.h"
#include "sim/wire.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"  /* gin's c.String */
#define GIN_PLAIN "text/plain"                   /* gin's own 404 and 405 bodies */
#define TEXT_HTML "text/html; charset=utf-8"     /* net/http's redirect bodies */
#define APP_JSON "application/json; charset=utf-8"
#define OAI_JSON "application/json"                 /* set by openai.go's writers */
/* Go's response writer buffers this much of a handler's output: a response that fits
 * is sent with Content-Length, a larger one goes out chunked (HTTP/1.1) or delimited by
 * closing the connection (HTTP/1.0). */
#define GO_CHUNKING_BUFFER 2048
/* After answering "Connection: close" we wait this long for the client's FIN before
 * closing, so unread request bytes cannot turn our close into a reset that destroys
 * the response in flight. */
#define LINGER_MS 2000

static void conn_process(tdm_sim_conn *c, int64_t t);

static void on_handle_closed(uv_handle_t *h)
{
    tdm_sim_conn *c = h->data;
    if (--c->handles > 0)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    tdm_buf_free(&c->in);
    tdm_buf_free(&c->out);
    tdm_buf_free(&c->line);
    tdm_buf_free(&c->delayed_body);
    tdm_buf_free(&c->gen.whole);
    tdm_sim_genreq_free(&c->gen.rq);
    tdm_sim_cork_free(c);
    free(c);
}

void tdm_sim_conn_close(tdm_sim_conn *c)
{
    if (c->state == C_CLOSING)
        return;
    /* Tokens held back in this device run (cork.c) were made before the close; a failed
     * flush has closed the connection already. */
    if (tdm_sim_cork_flush(c) != 0 || c->state == C_CLOSING)
        return;
    /* Closing first: aborting the stream runs its device up to now, which may fire this
     * connection's own due token, whose failed write would close it again. */
    c->state = C_CLOSING;
    if (c->gen.phase != GEN_IDLE)
        tdm_sim_gen_abort(c, tdm_now_ns(), c->srv->stopping ? "shutdown" : "cancel");
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

static void on_linger_timeout(uv_timer_t *h)
{
    tdm_sim_conn_close(h->data);
}

static void on_shutdown(uv_shutdown_t *s, int status)
{
    tdm_sim_conn *c = s->data;
    if (c->state == C_CLOSING)
        return;
    if (status < 0 || !c->reading) {
        tdm_sim_conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, on_linger_timeout, LINGER_MS, 0);
}

/* Sends FIN after the queued bytes, then waits briefly for the client to close. */
static void conn_close_graceful(tdm_sim_conn *c)
{
    if (c->state == C_CLOSING || c->state == C_LINGER)
        return;
    c->state = C_LINGER;
    tdm_buf_reset(&c->in);
    c->shut.data = c;
    if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
        tdm_sim_conn_close(c);
}

static void start_reading(tdm_sim_conn *c);

static void conn_done(tdm_sim_conn *c, int64_t t)
{
    if (c->state == C_CLOSING || c->state == C_LINGER || c->state == C_STALLED)
        return;
    if (c->close_after) {
        conn_close_graceful(c);
        return;
    }
    c->state = C_READ;
    if (!c->reading)
        start_reading(c);
    if (!c->in_process)
        conn_process(c, t);
}

/* Answers with a complete response (head + body in one write) and finishes the request;
 * tokens and reason go into the emission log's end line. Handler headers sort before
 * (e.g. Allow) and after (e.g. Location) Content-Type; ctype may be NULL. */
static void respond_h(tdm_sim_conn *c, int64_t t, int status, const char *before,
                      const char *ctype, const char *after, const char *body, size_t len,
                      int64_t tokens, const char *reason)
{
    char date[32];
    tdm_sim_http_date(date);
    tdm_buf_reset(&c->out);
    bool head_only = strcmp(c->req.method, "HEAD") == 0;
    bool http11 = c->req.minor >= 1;
    /* Content-Length when the whole body fit in Go's buffer (for HEAD: when a body was
     * written at all); otherwise chunked on HTTP/1.1, or nothing and a close. */
    bool fits = len <= GO_CHUNKING_BUFFER;
    int64_t cl = fits && !(head_only && len == 0) ? (int64_t)len : -1;
    bool chunked = !fits && !head_only && http11;
    const char *connection = NULL;
    if (http11) {
        connection = c->close_after ? "close" : NULL;
    } else if (c->req.keep_alive && cl >= 0 && !c->close_after) {
        connection = "keep-alive"; /* an HTTP/1.0 keep-alive request, honoured */
    } else {
        c->close_after = true;     /* HTTP/1.0 without keep-alive: closed, and not said */
    }
    if (!http11 && cl < 0)
        c->close_after = true;
    tdm_sim_http_head_spec h = {.minor = c->req.minor, .status = status, .handler_before = before,
                                .content_type = ctype, .handler_after = after, .date = date,
                                .content_length = cl, .connection = connection,
                                .chunked = chunked};
    int r = tdm_sim_http_head(&c->out, &h);
    if (!r && !head_only && len > 0)
        r = chunked ? tdm_sim_http_chunk(&c->out, body, len) : tdm_buf_append(&c->out, body, len);
    if (!r && chunked)
        r = tdm_buf_append_str(&c->out, TDM_SIM_HTTP_LAST_CHUNK);
    if (r) {
        tdm_sim_conn_close(c);
        return;
    }
    if (tdm_sim_conn_send(c, c->out.data, c->out.len, -1, 0) != 0)
        return;
    tdm_sim_emitlog_end(&c->srv->log, c->port->port, c->id, c->nreq, tdm_now_ns(), status,
                        tokens, reason);
    conn_done(c, t);
}

static void respond(tdm_sim_conn *c, int64_t t, int status, const char *ctype, const char *body,
                    size_t len, int64_t tokens, const char *reason)
{
    respond_h(c, t, status, NULL, ctype, NULL, body, len, tokens, reason);
}

static void respond_json(tdm_sim_conn *c, int64_t t, int status, tdm_buf *body,
                         const char *reason)
{
    respond(c, t, status, APP_JSON, tdm_buf_str(body), body->len, 0, reason);
}

static void respond_error(tdm_sim_conn *c, int64_t t, int status, const char *msg)
{
    tdm_buf_reset(&c->line);
    tdm_sim_wire_error(&c->line, msg);
    respond_json(c, t, status, &c->line, "error");
}

/* A request head Go's server would not hand to Ollama: answered the way net/http does
 * (its own raw format, see tdm_sim_http_go_error), then closed. */
static void respond_protocol_error(tdm_sim_conn *c, int result)
{
    c->nreq++;
    tdm_sim_emitlog_start(&c->srv->log, c->port->port, c->id, c->nreq, tdm_now_ns(), "-", "-");
    c->close_after = true;
    c->state = C_BUSY;
    tdm_buf_reset(&c->out);
    if (tdm_sim_http_go_error(&c->out, result) != 0) {
        tdm_sim_conn_close(c);
        return;
    }
    if (tdm_sim_conn_send(c, c->out.data, c->out.len, -1, 0) != 0)
        return;
    tdm_sim_emitlog_end(&c->srv->log, c->port->port, c->id, c->nreq, tdm_now_ns(),
                        tdm_sim_http_error_status(result), 0, "protocol");
    conn_done(c, tdm_now_ns());
}

/* The routes the simulator serves, with the methods each one takes and gin's Allow
 * header for the others (gin lists the method trees in registration order). A param
 * route is gin's "/v1/models/:model": the path, then one non-empty segment. */
enum { M_GET = 1, M_HEAD = 2, M_POST = 4 };
static const struct route {
    const char *path;
    unsigned methods;
    const char *allow;
    bool param;
} ROUTES[] = {
    {"/", M_GET | M_HEAD, "Allow: HEAD, GET\r\n", false},
    {"/api/version", M_GET | M_HEAD, "Allow: HEAD, GET\r\n", false},
    {"/api/tags", M_GET | M_HEAD, "Allow: HEAD, GET\r\n", false},
    {"/api/ps", M_GET, "Allow: GET\r\n", false},
    {"/api/show", M_POST, "Allow: POST\r\n", false},
    {"/api/generate", M_POST, "Allow: POST\r\n", false},
    {"/api/chat", M_POST, "Allow: POST\r\n", false},
    {"/v1/chat/completions", M_POST, "Allow: POST\r\n", false},
    {"/v1/models", M_GET, "Allow: GET\r\n", false},
    {"/v1/models/", M_GET, "Allow: GET\r\n", true},
};

static const struct route *find_route(const char *path)
{
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        const struct route *r = &ROUTES[i];
        size_t n = strlen(r->path);
        if (r->param ? !strncmp(r->path, path, n) && path[n] && !strchr(path + n, '/')
                     : !strcmp(r->path, path))
            return r;
    }
    return NULL;
}

/* GET /v1/models/NAME: Ollama's show handler behind openai.go's RetrieveMiddleware. */
static void respond_v1_model(tdm_sim_conn *c, int64_t t, const char *name)
{
    tdm_sim_server *s = c->srv;
    tdm_buf *b = &c->line;
    int status = 200;
    char msg[TDM_SIM_HTTP_MAX_PATH + 32];
    if (!tdm_sim_model_name_valid(name)) {
        status = 400;
        snprintf(msg, sizeof msg, "invalid model name");
    } else if (tdm_sim_model_find(s->models, s->nmodels, name) < 0) {
        status = 404;
        snprintf(msg, sizeof msg, "model '%s' not found", name);
    }
    int r = status == 200 ? tdm_sim_oai_model(b, name) : tdm_sim_oai_error(b, "api_error", msg);
    if (!r && status != 200)
        r = tdm_buf_append_str(b, "\n");
    if (r) {
        tdm_sim_conn_close(c);
        return;
    }
    respond(c, t, status, OAI_JSON, tdm_buf_str(b), b->len, 0, status == 200 ? "ok" : "error");
}

static unsigned method_bit(const char *m)
{
    return !strcmp(m, "GET") ? M_GET : !strcmp(m, "HEAD") ? M_HEAD : !strcmp(m, "POST") ? M_POST : 0;
}

/* net/http's Redirect: Location, and for GET a small HTML body naming the status. */
static void respond_redirect(tdm_sim_conn *c, int64_t t, int status, const char *location)
{
    const char *m = c->req.method;
    bool get = !strcmp(m, "GET"), head = !strcmp(m, "HEAD");
    char loc[TDM_SIM_HTTP_MAX_PATH + 16];
    snprintf(loc, sizeof loc, "Location: %s\r\n", location);
    tdm_buf *b = &c->line;
    tdm_buf_reset(b);
    if (get)
        tdm_buf_printf(b, "<a href=\"%s\">%s</a>.\n\n", location, tdm_sim_http_reason(status));
    respond_h(c, t, status, NULL, get || head ? TEXT_HTML : NULL, loc, tdm_buf_str(b), b->len,
              0, "redirect");
}

/* The request's handler, chosen by path and method the way Ollama's stack does: Go's
 * ServeMux redirects unclean paths (307), gin redirects a trailing slash (301 for GET,
 * 307 otherwise), Ollama's middleware refuses foreign Host headers (403) on loopback,
 * then the handler, or gin's 405 (with Allow) or 404. */
static void route(tdm_sim_conn *c, int64_t t, const char *body, size_t blen)
{
    tdm_sim_server *s = c->srv;
    const char *m = c->req.method, *p = c->req.path;
    bool get = !strcmp(m, "GET");
    tdm_buf *b = &c->line;
    tdm_buf_reset(b);
    if (p[0] == '/') {
        char clean[TDM_SIM_HTTP_MAX_PATH + 2];
        tdm_sim_http_clean_path(p, clean, sizeof clean);
        if (strcmp(clean, p) != 0) {
            respond_redirect(c, t, 307, clean);
            return;
        }
        size_t n = strlen(p);
        if (n > 1 && p[n - 1] == '/') {
            char bare[TDM_SIM_HTTP_MAX_PATH];
            snprintf(bare, sizeof bare, "%.*s", (int)(n - 1), p);
            const struct route *r = find_route(bare);
            if (r && (r->methods & method_bit(m))) {
                respond_redirect(c, t, get ? 301 : 307, bare);
                return;
            }
        }
    }
    const struct route *r = find_route(p);
    bool allowed = r && (r->methods & method_bit(m));
    if (s->loopback && !tdm_sim_http_host_allowed(c->req.host, s->hostname)) {
        /* The middleware runs for 404 and 405 too (after gin set Allow). */
        respond_h(c, t, 403, r && !allowed ? r->allow : NULL, NULL, NULL, "", 0, 0,
                  "forbidden-host");
        return;
    }
    if (!r) {
        respond(c, t, 404, GIN_PLAIN, "404 page not found", 18, 0, "not-found");
        return;
    }
    if (!allowed) {
        respond_h(c, t, 405, r->allow, GIN_PLAIN, NULL, "405 method not allowed", 22, 0,
                  "method");
        return;
    }
    if (!strcmp(p, "/")) {
        respond(c, t, 200, TEXT_PLAIN, "Ollama is running", 17, 0, "ok");
    } else if (!strcmp(p, "/api/version")) {
        tdm_buf_printf(b, "{\"version\":\"%s\"}", s->cfg->version);
        respond_json(c, t, 200, b, "ok");
    } else if (!strcmp(p, "/api/tags")) {
        tdm_sim_wire_tags(b, s->models, s->nmodels);
        respond_json(c, t, 200, b, "ok");
    } else if (!strcmp(p, "/api/ps")) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        tdm_sim_wire_ps(b, s->models, c->port->loaded, s->nmodels, t,
                        (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec, s->cfg->vram_pct);
        respond_json(c, t, 200, b, "ok");
    } else if (!strcmp(p, "/api/show")) {
        char err[256], *model = NULL;
        if (tdm_sim_showreq_parse(body, blen, &model, err, sizeof err) != 0) {
            respond_error(c, t, 400, err);
            return;
        }
        int i = tdm_sim_model_find(s->models, s->nmodels, model);
        if (i < 0) {
            char msg[300];
            snprintf(msg, sizeof msg, "model '%.200s' not found", model);
            free(model);
            respond_error(c, t, 404, msg);
            return;
        }
        free(model);
        tdm_sim_wire_show(b, &s->models[i]);
        respond_json(c, t, 200, b, "ok");
    } else if (!strcmp(p, "/v1/models")) {
        tdm_sim_oai_models(b, s->models, s->nmodels);
        respond(c, t, 200, OAI_JSON, tdm_buf_str(b), b->len, 0, "ok");
    } else if (r->param) {
        respond_v1_model(c, t, p + strlen(r->path));
    } else {
        int api = !strcmp(p, "/api/generate") ? TDM_SIM_API_GENERATE
                  : !strcmp(p, "/api/chat")   ? TDM_SIM_API_CHAT
                                              : TDM_SIM_API_OPENAI;
        tdm_sim_gen_dispatch(c, t, api, body, blen);
    }
}

static void on_delay_done(uv_timer_t *h)
{
    tdm_sim_conn *c = h->data;
    if (c->state != C_DELAY)
        return;
    c->state = C_BUSY;
    int64_t t = tdm_now_ns();
    c->in_process = true; /* route may finish at once; conn_process below continues */
    route(c, t, tdm_buf_str(&c->delayed_body), c->delayed_body.len);
    c->in_process = false;
    tdm_buf_free(&c->delayed_body);
    if (c->state == C_READ)
        conn_process(c, t);
}

/* A complete request (head parsed, body present) arrives at model time t. */
static void dispatch(tdm_sim_conn *c, int64_t t, const char *body, size_t blen)
{
    c->nreq++;
    if (c->port->cfg->faults.drop_reused && c->nreq > 1) {
        /* what a client meets when a server closed an idle kept-alive connection just as
         * the next request went out: the request is never answered */
        tdm_sim_conn_close(c);
        return;
    }
    /* HTTP/1.0 keep-alive holds only for answers with a Content-Length (decided when
     * the answer is written); a stream to an HTTP/1.0 client ends with the connection. */
    c->close_after = !c->req.keep_alive;
    c->chunked = c->req.minor >= 1;
    tdm_sim_emitlog_start(&c->srv->log, c->port->port, c->id, c->nreq, tdm_now_ns(),
                          c->req.method, c->req.path);
    int64_t delay = c->port->cfg->faults.slow_headers_ms;
    if (delay > 0) {
        tdm_buf_reset(&c->delayed_body);
        if (tdm_buf_append(&c->delayed_body, body, blen) != 0) {
            tdm_sim_conn_close(c);
            return;
        }
        c->state = C_DELAY;
        uv_timer_start(&c->timer, on_delay_done, (uint64_t)delay, 0);
        return;
    }
    c->state = C_BUSY;
    route(c, t, body, blen);
}

/* Answers every complete request buffered, one at a time, while the connection is idle. */
static void conn_process(tdm_sim_conn *c, int64_t t)
{
    c->in_process = true;
    while (c->state == C_READ && c->in.len > 0) {
        int r = tdm_sim_http_parse(c->in.data, c->in.len, &c->scanned, TDM_SIM_MAX_HEAD, &c->req);
        if (r == TDM_SIM_HTTP_NEED_MORE)
            break;
        if (r < 0) {
            respond_protocol_error(c, r);
            break;
        }
        size_t head = (size_t)r;
        if (c->req.content_length > c->srv->cfg->max_body) {
            char msg[128];
            snprintf(msg, sizeof msg, "request body too large: %llu bytes, the limit is %zu",
                     (unsigned long long)c->req.content_length, c->srv->cfg->max_body);
            c->nreq++;
            tdm_sim_emitlog_start(&c->srv->log, c->port->port, c->id, c->nreq, tdm_now_ns(),
                                  c->req.method, c->req.path);
            c->close_after = true;
            c->state = C_BUSY;
            respond_error(c, tdm_now_ns(), 413, msg);
            break;
        }
        size_t total = head + (size_t)c->req.content_length;
        if (c->in.len < total) {
            if (c->req.expect_continue && !c->continue_sent) {
                c->continue_sent = true;
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                if (tdm_sim_conn_send(c, cont, sizeof cont - 1, -1, 0) != 0)
                    break;
            }
            break;
        }
        dispatch(c, t, c->in.data + head, (size_t)c->req.content_length);
        if (c->state == C_CLOSING)
            break;
        if (c->state != C_LINGER)
            tdm_buf_consume(&c->in, total);
        c->scanned = 0;
        c->continue_sent = false;
    }
    c->in_process = false;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    tdm_sim_conn *c = h->data;
    *buf = uv_buf_init(c->srv->readbuf, sizeof c->srv->readbuf);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    tdm_sim_conn *c = stream->data;
    if (nread == 0 || c->state == C_CLOSING)
        return;
    if (nread < 0) {
        /* EOF or reset: Ollama cancels the request when its client goes away. */
        tdm_sim_conn_close(c);
        return;
    }
    if (c->state == C_STALLED || c->state == C_LINGER)
        return; /* nothing more will be answered: drop what arrives */
    if (tdm_buf_append(&c->in, buf->base, (size_t)nread) != 0) {
        tdm_sim_conn_close(c);
        return;
    }
    if (c->state == C_READ) {
        conn_process(c, tdm_now_ns());
    } else if (c->in.len > TDM_SIM_MAX_HEAD + c->srv->cfg->max_body) {
        /* Busy and the client keeps pipelining: stop reading until we catch up. */
        uv_read_stop(stream);
        c->reading = false;
    }
}

static void start_reading(tdm_sim_conn *c)
{
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
        c->reading = true;
}

/* What cork.c and gen.c may ask of a connection they were handed. */
static const tdm_sim_conn_ops OPS = {
    .close = tdm_sim_conn_close,
    .respond = respond,
    .done = conn_done,
};

void tdm_sim_conn_accept(tdm_sim_port *p)
{
    tdm_sim_server *s = p->srv;
    tdm_sim_conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->ops = &OPS;
    c->srv = s;
    c->port = p;
    c->tcp.data = c;
    c->timer.data = c;
    if (uv_tcp_init(&s->loop, &c->tcp) != 0) {
        free(c);
        return;
    }
    uv_timer_init(&s->loop, &c->timer);
    c->handles = 2;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    tdm_sim_job_init(&c->job, tdm_sim_job_due, c);
    if (uv_accept((uv_stream_t *)&p->tcp, (uv_stream_t *)&c->tcp) != 0) {
        tdm_sim_conn_close(c);
        return;
    }
    c->id = ++s->next_conn_id;
    /* Each token line must leave as its own segment, as Ollama's Go server sends it. */
    uv_tcp_nodelay(&c->tcp, 1);
    c->state = C_READ;
    start_reading(c);
}
