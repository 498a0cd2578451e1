/* request.c — writes the bytes of one HTTP/1.1 request (see http1.h).
 *
 * The header set is fixed and small, like what curl sends for the same call, so the
 * variants differ in how they read, not in what they ask for. */
#include "http1/http1.h"

#include <stdio.h>
#include <string.h>

/* RFC 9110 tchar. */
static bool token_char(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return true;
    if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')
        return true;
    return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static int arg_error(char *err, size_t errlen, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", what);
    return TDM_HTTP1_ERR_ARG;
}

/* What the reply will be: an OpenAI chat completion (POST .../chat/completions) streams
 * Server-Sent Events, Ollama's POSTs NDJSON, and a GET takes anything. */
static const char *accept_for(const char *path, bool has_body)
{
    static const char sse_path[] = "/chat/completions";
    size_t n = strlen(path), k = sizeof sse_path - 1;
    if (!has_body)
        return "*/*";
    return n >= k && strcmp(path + n - k, sse_path) == 0 ? "text/event-stream" : "application/x-ndjson";
}

int tdm_http1_request_write(tdm_buf *out, const char *method, const tdm_http1_url *url,
                            const char *path, const char *body, size_t body_len, char *err,
                            size_t errlen)
{
    if (!out || !url || !method)
        return arg_error(err, errlen, "request: missing buffer, URL or method");
    if (!*method || strlen(method) > 32)
        return arg_error(err, errlen, "request: the method must be 1 to 32 characters");
    for (const char *m = method; *m; m++) {
        if (!token_char((unsigned char)*m))
            return arg_error(err, errlen, "request: the method is not an HTTP token");
    }
    if (!path)
        path = url->path;
    if (path[0] != '/')
        return arg_error(err, errlen, "request: the path must start with '/'");
    for (const unsigned char *q = (const unsigned char *)path; *q; q++) {
        if (*q <= 0x20 || *q >= 0x7f)
            return arg_error(err, errlen,
                             "request: space, control or non-ASCII character in the path");
    }

    size_t before = out->len;
    bool is_post = strcmp(method, "POST") == 0;
    int rc = tdm_buf_printf(out, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, url->authority);
    if (rc == 0 && body)
        rc = tdm_buf_printf(out, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                            body_len);
    else if (rc == 0 && is_post)
        rc = tdm_buf_append_str(out, "Content-Length: 0\r\n");
    if (rc == 0)
        rc = tdm_buf_printf(out, "Connection: keep-alive\r\nAccept: %s\r\n\r\n", accept_for(path, body != NULL));
    if (rc == 0 && body && body_len)
        rc = tdm_buf_append(out, body, body_len);
    if (rc != 0) {
        /* Leave out as it was. */
        out->len = before;
        if (out->data)
            out->data[before] = '\0';
        if (err && errlen)
            snprintf(err, errlen, "request: out of memory");
        return TDM_HTTP1_ERR_NOMEM;
    }
    return 0;
}
