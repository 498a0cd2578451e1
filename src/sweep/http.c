/* http.c — the sweep's requests through src/http1 (see http.h): one fresh connection in
 * blocking mode per request, the body collected in a buffer, and the client's error
 * kinds worded as the sweep has always printed them (its logs and tests read them). */
#include "sweep/http.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "http1/http1.h"

#define MAX_BODY (16u << 20)

/* Parses url with the client's parser; *prefix_len gets the length of its path without
 * trailing slashes ("/" alone is no prefix). */
static int parse(const char *url, tdm_http1_url *u, size_t *prefix_len)
{
    char why[320];
    if (strncmp(url, "http://", 7) != 0 || tdm_http1_url_parse(url, u, why, sizeof why) != 0)
        return -1;
    size_t n = strlen(u->path);
    while (n > 0 && u->path[n - 1] == '/')
        n--;
    *prefix_len = n;
    return 0;
}

int tdm_sweep_url_split(const char *url, char *host, size_t hostlen, char *port, size_t portlen, char *prefix,
                        size_t prefixlen)
{
    tdm_http1_url u;
    size_t pl;
    if (parse(url, &u, &pl) != 0 || strlen(u.host) >= hostlen || strlen(u.port_str) >= portlen || pl >= prefixlen)
        return -1;
    snprintf(host, hostlen, "%s", u.host);
    snprintf(port, portlen, "%s", u.port_str);
    memcpy(prefix, u.path, pl);
    prefix[pl] = '\0';
    return 0;
}

typedef struct collect {
    tdm_buf *body;
    int status;
    bool too_large, nomem;
    char why[256]; /* the client's message when the request failed */
} collect;

static int on_status(void *ud, int status)
{
    ((collect *)ud)->status = status;
    return 0;
}

static int on_body(void *ud, const char *data, size_t len)
{
    collect *x = ud;
    x->too_large = len > MAX_BODY - x->body->len;
    x->nomem = !x->too_large && tdm_buf_append(x->body, data, len) != 0;
    return x->too_large || x->nomem; /* non-zero stops the transfer */
}

static void on_error(void *ud, int kind, const char *message)
{
    (void)kind;
    snprintf(((collect *)ud)->why, sizeof ((collect *)ud)->why, "%s", message);
}

/* The system's reason at the end of a client message ("send to h:p: Broken pipe"). */
static const char *cause(const char *why)
{
    const char *c = strrchr(why, ':');
    return c && c[1] == ' ' ? c + 2 : why;
}

static void word(int kind, const collect *x, const tdm_http1_conn *c, const tdm_http1_url *u, const char *url,
                 int timeout_ms, char *err, size_t errlen)
{
    const tdm_http1_timing *t = tdm_http1_conn_timing(c);
    const char *why = x->why;
    switch (kind) {
    case TDM_HTTP1_ERR_RESOLVE: /* "resolve h: <getaddrinfo's reason>" */
        snprintf(err, errlen, "cannot %s", why);
        break;
    case TDM_HTTP1_ERR_CONNECT: /* "connect to h:p: Connection refused" */
        snprintf(err, errlen, "cannot %s%s", strncmp(why, "connect to ", 11) == 0 ? "" : "connect: ", why);
        break;
    case TDM_HTTP1_ERR_TIMEOUT:
        if (t->connected_ns == 0)
            snprintf(err, errlen, "cannot connect to %s:%s: connect timed out after %d ms", u->host, u->port_str,
                     timeout_ms);
        else if (t->sent_ns == 0)
            snprintf(err, errlen, "timed out sending the request");
        else
            snprintf(err, errlen, "no complete answer within %d ms", timeout_ms);
        break;
    case TDM_HTTP1_ERR_WRITE:
        snprintf(err, errlen, "send failed: %s", cause(why));
        break;
    case TDM_HTTP1_ERR_READ:
        snprintf(err, errlen, "receive failed: %s", cause(why));
        break;
    default:
        if (x->too_large)
            snprintf(err, errlen, "response larger than %u MiB", MAX_BODY >> 20);
        else if (x->nomem || kind == TDM_HTTP1_ERR_NOMEM)
            snprintf(err, errlen, "out of memory");
        else if (kind == TDM_HTTP1_ERR_CLOSED && tdm_http1_conn_response(c)->headers_done)
            snprintf(err, errlen, "the answer from %s was cut short: %s", url, why);
        else if (kind == TDM_HTTP1_ERR_ARG)
            snprintf(err, errlen, "%s", why);
        else
            snprintf(err, errlen, "not an HTTP response from %s", url);
    }
}

int tdm_sweep_http(const char *url, const char *method, const char *path, const char *json_body, int timeout_ms,
                   long *status, tdm_buf *body, char *err, size_t errlen)
{
    *status = 0;
    tdm_buf_reset(body);
    tdm_http1_url u;
    size_t pl;
    if (parse(url, &u, &pl) != 0) {
        snprintf(err, errlen, "'%s' is not an http://host[:port] URL", url);
        return -1;
    }
    char target[TDM_HTTP1_PATH_MAX + 512];
    snprintf(target, sizeof target, "%.*s%s", (int)pl, u.path, path);
    tdm_http1_conn_opts opts = {.read_buf = 16384, .io_timeout_ms = timeout_ms > 0 ? timeout_ms : 0, .blocking = true};
    tdm_http1_conn *c = tdm_http1_conn_new(&u, &opts);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int64_t deadline = timeout_ms > 0 ? tdm_now_ns() + (int64_t)timeout_ms * 1000000 : 0;
    collect x = {.body = body};
    tdm_http1_cbs cbs = {.on_status = on_status, .on_body = on_body, .on_error = on_error};
    int rc = tdm_http1_conn_request(c, method, target, json_body, json_body ? strlen(json_body) : 0, &cbs, &x, x.why,
                                    sizeof x.why);
    if (rc == 0)
        rc = tdm_http1_conn_wait(c, deadline);
    if (rc != 0) {
        word(rc, &x, c, &u, url, timeout_ms, err, errlen);
        tdm_buf_reset(body); /* a failed request gives neither status nor body */
    }
    tdm_http1_conn_free(c);
    *status = rc == 0 ? x.status : 0;
    return rc == 0 ? 0 : -1;
}
