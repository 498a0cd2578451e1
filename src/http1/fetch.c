/* fetch.c — one blocking request for a small, non-streamed body (see http1.h).
 *
 * Used outside measured phases (version and model checks), so it favours simplicity: a
 * fresh connection in blocking mode, 16 KB reads, the whole body collected in a buffer. */
#include "http1/http1.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"

typedef struct fetch_ctx {
    tdm_buf *out;
    int status;
    int body_error; /* why on_body stopped the transfer, 0 if it did not */
    char *err;
    size_t errlen;
} fetch_ctx;

static int f_status(void *ud, int status)
{
    ((fetch_ctx *)ud)->status = status;
    return 0;
}

static int f_body(void *ud, const char *data, size_t len)
{
    fetch_ctx *x = ud;
    if (len > TDM_HTTP1_FETCH_MAX_BODY - x->out->len) {
        x->body_error = TDM_HTTP1_ERR_TOO_LARGE;
        return 1;
    }
    if (tdm_buf_append(x->out, data, len) != 0) {
        x->body_error = TDM_HTTP1_ERR_NOMEM;
        return 1;
    }
    return 0;
}

static void f_error(void *ud, int kind, const char *message)
{
    fetch_ctx *x = ud;
    (void)kind;
    if (x->err && x->errlen)
        snprintf(x->err, x->errlen, "%s", message);
}

int tdm_http1_fetch(const char *url, const char *method, const char *body, int timeout_ms,
                    int *status, tdm_buf *out, char *err, size_t errlen)
{
    if (status)
        *status = 0;
    if (!out) {
        if (err && errlen)
            snprintf(err, errlen, "fetch: no output buffer");
        return TDM_HTTP1_ERR_ARG;
    }
    tdm_http1_url u;
    int rc = tdm_http1_url_parse(url, &u, err, errlen);
    if (rc != 0)
        return rc;
    tdm_http1_conn_opts opts = {.read_buf = 16384, .io_timeout_ms = timeout_ms > 0 ? timeout_ms : 0,
                                .blocking = true};
    tdm_http1_conn *c = tdm_http1_conn_new(&u, &opts);
    if (!c) {
        if (err && errlen)
            snprintf(err, errlen, "fetch: out of memory");
        return TDM_HTTP1_ERR_NOMEM;
    }
    int64_t deadline = timeout_ms > 0 ? tdm_now_ns() + (int64_t)timeout_ms * 1000000 : 0;
    fetch_ctx x = {.out = out, .err = err, .errlen = errlen};
    tdm_http1_cbs cbs = {.on_status = f_status, .on_body = f_body, .on_error = f_error};
    rc = tdm_http1_conn_request(c, method ? method : "GET", NULL, body, body ? strlen(body) : 0,
                                &cbs, &x, err, errlen);
    if (rc == 0)
        rc = tdm_http1_conn_wait(c, deadline);
    if (rc != 0 && x.body_error) {
        rc = x.body_error;
        if (err && errlen)
            snprintf(err, errlen, "%s from %s",
                     rc == TDM_HTTP1_ERR_NOMEM ? "out of memory for the body"
                                               : "response body larger than 64 MiB",
                     url);
    }
    tdm_http1_conn_free(c);
    if (status)
        *status = x.status;
    return rc;
}
