/* cork.c — a connection's output path: hands bytes to the socket so that each token's
 * moment is known, queues what the socket cannot take at once, and writes the tokens one
 * device run makes for one stream in as few write()s as possible.
 *
 * At a real decode rate a run of the device makes at most one token per stream, and
 * that token goes out at once, exactly as before the cork existed. When tokens are due
 * faster than the loop turns (calibration's "instant tokens": 1e6 tok/s), one run makes
 * many tokens per stream. Writing each with its own write() made the simulator, not
 * the client, the bottleneck: a fast client then woke for every token and paid one
 * read() per token, a slow one (Python) found many waiting, so client cost depended on
 * which side was slower. Here the first token of a stream in a run still goes out at
 * once; the rest wait in the connection's cork buffer and leave in one write() when the
 * outermost run ends, each stamped in the emission log with that write's moment (when
 * its bytes reached the kernel). Anything else written on the connection (headers,
 * final line, fault bytes) first sends what is held, so the byte order never changes.
 *
 * A write that fails closes the connection through c->ops (conn.c owns closing), so this
 * file never calls back into the files that call it. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "sim/sim_int.h"

/* A client that stops reading may make us queue at most this much (plus one line). */
#define MAX_QUEUED (64u * 1024u * 1024u)

typedef struct wreq {
    uv_write_t w;
    tdm_sim_conn *c;
    size_t len;
    int64_t token, due;
    uint64_t req;
    char data[];
} wreq;

static void on_write(uv_write_t *w, int status)
{
    wreq *r = (wreq *)w;
    tdm_sim_conn *c = r->c;
    c->queued -= r->len;
    /* A token the socket could not take at once is stamped when its last byte went in. */
    if (status == 0 && r->token >= 0)
        tdm_sim_emitlog_token(&c->srv->log, c->port->port, c->id, r->req, r->token,
                              tdm_now_ns(), r->due);
    free(r);
    if (status < 0 && status != UV_ECANCELED)
        c->ops->close(c);
}

/* Queues bytes libuv could not write at once; token >= 0 is logged when they reach the
 * kernel. Returns 0, or -1 after closing the connection. */
static int queue(tdm_sim_conn *c, const char *data, size_t len, int64_t token, int64_t due,
                 uint64_t req)
{
    if (c->queued + len > MAX_QUEUED + (size_t)c->port->cfg->faults.oversized) {
        c->ops->close(c); /* the client stopped reading */
        return -1;
    }
    wreq *r = malloc(sizeof *r + len);
    if (!r) {
        c->ops->close(c);
        return -1;
    }
    memcpy(r->data, data, len);
    r->c = c;
    r->len = len;
    r->token = token;
    r->due = due;
    r->req = req;
    uv_buf_t rb = uv_buf_init(r->data, (unsigned)len);
    if (uv_write(&r->w, (uv_stream_t *)&c->tcp, &rb, 1, on_write) != 0) {
        free(r);
        c->ops->close(c);
        return -1;
    }
    c->queued += len;
    return 0;
}

void tdm_sim_run_begin(tdm_sim_server *s)
{
    if (s->run_depth++ == 0)
        s->run_seq++;
}

void tdm_sim_run_end(tdm_sim_server *s)
{
    if (--s->run_depth > 0)
        return;
    /* Detached first: a flush that fails closes its connection, and that may run a
     * device again, which can hold back new tokens on a new list. */
    tdm_sim_conn *list = s->cork_list;
    s->cork_list = NULL;
    while (list) {
        tdm_sim_conn *c = list;
        list = c->cork_next;
        c->cork_next = NULL;
        c->cork_listed = false;
        tdm_sim_cork_flush(c);
    }
}

/* Whether tdm_sim_conn_send should hold this token line back (and, if so, holds it):
 * returns 1 when held, 0 to write it now, -1 when out of memory. */
static int cork_token(tdm_sim_conn *c, const char *data, size_t len, int64_t token, int64_t due)
{
    tdm_sim_server *s = c->srv;
    if (s->run_depth == 0)
        return 0;
    if (c->n_corked == 0 && c->wrote_in_run != s->run_seq) {
        c->wrote_in_run = s->run_seq; /* the run's first token of this stream: now */
        return 0;
    }
    if (c->n_corked == c->cap_corked) {
        size_t cap = c->cap_corked ? 2 * c->cap_corked : 64;
        tdm_sim_corked *v = realloc(c->corked, cap * sizeof *v);
        if (!v)
            return -1;
        c->corked = v;
        c->cap_corked = cap;
    }
    if (tdm_buf_append(&c->cork, data, len) != 0)
        return -1;
    c->corked[c->n_corked++] = (tdm_sim_corked){token, due, c->nreq, c->cork.len};
    if (!c->cork_listed) {
        c->cork_listed = true;
        c->cork_next = s->cork_list;
        s->cork_list = c;
    }
    return 1;
}

int tdm_sim_cork_flush(tdm_sim_conn *c)
{
    if (c->n_corked == 0)
        return 0;
    size_t n_tok = c->n_corked, total = c->cork.len;
    c->n_corked = 0;
    if (c->state == C_CLOSING) {
        tdm_buf_reset(&c->cork);
        return -1;
    }
    uv_buf_t b = uv_buf_init(c->cork.data, (unsigned)total);
    int64_t t = tdm_now_ns();
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n < 0 && n != UV_EAGAIN) {
        tdm_buf_reset(&c->cork);
        c->ops->close(c);
        return -1;
    }
    size_t written = n > 0 ? (size_t)n : 0;
    int rc = 0;
    size_t start = 0;
    for (size_t i = 0; i < n_tok && rc == 0; i++) {
        const tdm_sim_corked *k = &c->corked[i];
        if (k->end <= written) {
            tdm_sim_emitlog_token(&c->srv->log, c->port->port, c->id, k->req, k->token, t, k->due);
        } else {
            /* The rest of this token, and each later one, queued whole: each is logged
             * when its last byte reaches the kernel, as tdm_sim_conn_send does. */
            size_t from = written > start ? written : start;
            rc = queue(c, c->cork.data + from, k->end - from, k->token, k->due, k->req);
        }
        start = k->end;
    }
    tdm_buf_reset(&c->cork);
    return rc;
}

void tdm_sim_cork_free(tdm_sim_conn *c)
{
    tdm_buf_free(&c->cork);
    free(c->corked);
    c->corked = NULL;
    c->n_corked = c->cap_corked = 0;
}

int tdm_sim_conn_send(tdm_sim_conn *c, const char *data, size_t len, int64_t token,
                      int64_t due)
{
    if (c->state == C_CLOSING)
        return -1;
    if (len == 0)
        return 0;
    if (token >= 0) {
        int held = cork_token(c, data, len, token, due);
        if (held != 0) {
            if (held < 0)
                c->ops->close(c);
            return held > 0 ? 0 : -1;
        }
    }
    if (tdm_sim_cork_flush(c) != 0) /* what was held back goes first */
        return -1;
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    /* Stamped as the bytes are handed over: the client cannot see them earlier, so
     * client arrival minus this time is the transport and client delay, never < 0. */
    int64_t t = tdm_now_ns();
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n >= 0 && (size_t)n == len) {
        if (token >= 0)
            tdm_sim_emitlog_token(&c->srv->log, c->port->port, c->id, c->nreq, token, t, due);
        return 0;
    }
    if (n < 0 && n != UV_EAGAIN) {
        c->ops->close(c);
        return -1;
    }
    size_t done = n > 0 ? (size_t)n : 0;
    return queue(c, data + done, len - done, token, due, c->nreq);
}
