/* response.c — incremental HTTP/1.1 response parser: status line, headers, body framing.
 *
 * The status line and headers are collected (bounded by max_header) until the empty line
 * that ends them, then parsed as one block: a header block is small, and parsing it whole
 * makes any split point trivially equivalent, lets obs-fold continuation lines be joined,
 * and guarantees no callback runs for a head that turns out malformed. The body is then
 * framed by Transfer-Encoding: chunked, Content-Length, or the connection's close, and
 * handed out slice by slice without copying. Interim 1xx responses are skipped. Header
 * lines may end in LF or CRLF; names compare case-insensitively. */
#include "http1/http1.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { R_HEAD, R_BODY, R_DONE, R_ERROR };
enum { B_NONE, B_LENGTH, B_CHUNKED, B_CLOSE };

__attribute__((format(printf, 3, 4))) static int fail(tdm_http1_response *p, int kind,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->why, sizeof p->why, fmt, ap);
    va_end(ap);
    p->state = R_ERROR;
    p->error = kind;
    return kind;
}

void tdm_http1_response_init(tdm_http1_response *p, size_t max_header, const tdm_http1_cbs *cbs,
                             void *ud)
{
    memset(p, 0, sizeof *p);
    p->max_header = max_header ? max_header : TDM_HTTP1_DEFAULT_MAX_HEADER;
    p->cbs = cbs;
    p->ud = ud;
    tdm_http1_response_reset(p, false);
}

void tdm_http1_response_reset(tdm_http1_response *p, bool head_request)
{
    p->status = 0;
    p->minor_version = 0;
    p->content_length = -1;
    p->chunked = false;
    p->keep_alive = false;
    p->headers_done = false;
    p->body_bytes = 0;
    p->bytes_in = 0;
    p->state = R_HEAD;
    p->body_mode = B_NONE;
    p->head_request = head_request;
    p->conn_close = false;
    p->conn_keep_alive = false;
    p->line_len = 0;
    p->line_cr = false;
    p->remaining = 0;
    tdm_buf_reset(&p->head);
    tdm_http1_chunked_init(&p->chunk);
    p->error = 0;
    p->why[0] = '\0';
}

void tdm_http1_response_free(tdm_http1_response *p)
{
    tdm_buf_free(&p->head);
}

const char *tdm_http1_response_error(const tdm_http1_response *p)
{
    return p->state == R_ERROR ? p->why : "";
}

/* ---- character classes ---------------------------------------------------------------- */

static bool token_char(unsigned char ch)
{
    if ((ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z'))
        return true;
    return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static bool text_char(unsigned char ch)
{
    return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

static bool ows(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Calls fn on each comma-separated element of list, OWS-trimmed, empty ones skipped. */
typedef int (*element_fn)(tdm_http1_response *p, const char *s, size_t n);

static int each_element(tdm_http1_response *p, const char *list, element_fn fn)
{
    for (const char *s = list;;) {
        const char *comma = strchr(s, ',');
        const char *e = comma ? comma : s + strlen(s);
        const char *a = s;
        while (a < e && ows(*a))
            a++;
        const char *b = e;
        while (b > a && ows(b[-1]))
            b--;
        if (b > a) {
            int rc = fn(p, a, (size_t)(b - a));
            if (rc < 0)
                return rc;
        }
        if (!comma)
            return 0;
        s = comma + 1;
    }
}

/* ---- header semantics ----------------------------------------------------------------- */

static int content_length_element(tdm_http1_response *p, const char *s, size_t n)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return fail(p, TDM_HTTP1_ERR_PROTOCOL, "bad Content-Length (not a decimal number)");
        if (v > (INT64_MAX - (s[i] - '0')) / 10)
            return fail(p, TDM_HTTP1_ERR_PROTOCOL, "Content-Length too large");
        v = v * 10 + (s[i] - '0');
    }
    if (p->content_length >= 0 && p->content_length != v)
        return fail(p, TDM_HTTP1_ERR_PROTOCOL, "conflicting Content-Length values");
    p->content_length = v;
    return 0;
}

static int coding_element(tdm_http1_response *p, const char *s, size_t n)
{
    /* Coding parameters (";q=...") are not allowed on chunked; compare the bare name. */
    if (p->chunked)
        return fail(p, TDM_HTTP1_ERR_PROTOCOL, "chunked is not the last transfer-coding");
    if (n == 7 && strncasecmp(s, "chunked", 7) == 0) {
        p->chunked = true;
        return 0;
    }
    if (n == 8 && strncasecmp(s, "identity", 8) == 0)
        return 0;
    return fail(p, TDM_HTTP1_ERR_UNSUPPORTED, "transfer-coding '%.*s' is not supported",
                (int)(n > 40 ? 40 : n), s);
}

static int connection_element(tdm_http1_response *p, const char *s, size_t n)
{
    if (n == 5 && strncasecmp(s, "close", 5) == 0)
        p->conn_close = true;
    else if (n == 10 && strncasecmp(s, "keep-alive", 10) == 0)
        p->conn_keep_alive = true;
    return 0;
}

/* ---- the head block --------------------------------------------------------------------- */

static int parse_status_line(tdm_http1_response *p, const char *s, size_t n)
{
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != ' ')
        return fail(p, TDM_HTTP1_ERR_PROTOCOL, "malformed status line (expected 'HTTP/1.x NNN')");
    int code = 0;
    for (int i = 9; i < 12; i++) {
        if (s[i] < '0' || s[i] > '9')
            return fail(p, TDM_HTTP1_ERR_PROTOCOL, "malformed status code");
        code = code * 10 + (s[i] - '0');
    }
    if (code < 100)
        return fail(p, TDM_HTTP1_ERR_PROTOCOL, "status code %d out of range", code);
    if (n > 12 && s[12] != ' ')
        return fail(p, TDM_HTTP1_ERR_PROTOCOL, "malformed status line after the code");
    for (size_t i = 12; i < n; i++) {
        if (!text_char((unsigned char)s[i]))
            return fail(p, TDM_HTTP1_ERR_PROTOCOL, "control character in the reason phrase");
    }
    p->minor_version = s[7] - '0';
    p->status = code;
    return 0;
}

/* The block in p->head ends with its empty line. Header lines are compacted in place into
 * "name\0value\0" pairs (never overtaking the line being read), so values joined from
 * folded lines come out contiguous. Returns 0, 1 for a skipped interim response, or an
 * error. */
static int parse_head(tdm_http1_response *p)
{
    char *b = p->head.data;
    char *end = b + p->head.len;
    if (memchr(b, '\0', p->head.len))
        return fail(p, TDM_HTTP1_ERR_PROTOCOL, "NUL byte in the response header");

    char *nl = memchr(b, '\n', p->head.len);
    size_t ll = (size_t)(nl - b);
    if (ll && b[ll - 1] == '\r')
        ll--;
    if (ll == 0)
        return fail(p, TDM_HTTP1_ERR_PROTOCOL, "empty status line");
    if (memchr(b, '\r', ll))
        return fail(p, TDM_HTTP1_ERR_PROTOCOL, "bare CR in the status line");
    int rc = parse_status_line(p, b, ll);
    if (rc < 0)
        return rc;
    if (p->status == 101)
        return fail(p, TDM_HTTP1_ERR_PROTOCOL, "unexpected 101 Switching Protocols");
    if (p->status < 200)
        return 1;

    char *rd = nl + 1, *w = rd;
    char *pairs = w;
    bool have_prev = false;
    while (rd < end) {
        nl = memchr(rd, '\n', (size_t)(end - rd));
        ll = (size_t)(nl - rd);
        if (ll && rd[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            break; /* the empty line: by construction the last one */
        if (memchr(rd, '\r', ll))
            return fail(p, TDM_HTTP1_ERR_PROTOCOL, "bare CR in a header line");
        for (size_t i = 0; i < ll; i++) {
            if (!text_char((unsigned char)rd[i]))
                return fail(p, TDM_HTTP1_ERR_PROTOCOL, "control character in a header line");
        }
        char *s, *e = rd + ll;
        if (ows(rd[0])) {
            /* obs-fold: the line continues the previous value, joined by one space. */
            if (!have_prev)
                return fail(p, TDM_HTTP1_ERR_PROTOCOL, "continuation line before any header");
            s = rd;
            while (s < e && ows(*s))
                s++;
            while (e > s && ows(e[-1]))
                e--;
            if (e > s) {
                bool prev_empty = w[-2] == '\0';
                if (!prev_empty)
                    w[-1] = ' ';
                else
                    w--;
                memmove(w, s, (size_t)(e - s));
                w += e - s;
                *w++ = '\0';
            }
            rd = nl + 1;
            continue;
        }
        char *colon = memchr(rd, ':', ll);
        if (!colon)
            return fail(p, TDM_HTTP1_ERR_PROTOCOL, "header line without ':'");
        if (colon == rd)
            return fail(p, TDM_HTTP1_ERR_PROTOCOL, "empty header name");
        for (char *q = rd; q < colon; q++) {
            if (!token_char((unsigned char)*q))
                return fail(p, TDM_HTTP1_ERR_PROTOCOL, "bad character in a header name");
        }
        size_t name_len = (size_t)(colon - rd);
        s = colon + 1;
        while (s < e && ows(*s))
            s++;
        while (e > s && ows(e[-1]))
            e--;
        memmove(w, rd, name_len);
        w += name_len;
        *w++ = '\0';
        memmove(w, s, (size_t)(e - s));
        w += e - s;
        *w++ = '\0';
        have_prev = true;
        rd = nl + 1;
    }

    bool te_seen = false;
    for (char *q = pairs; q < w;) {
        const char *name = q;
        q += strlen(q) + 1;
        const char *value = q;
        q += strlen(q) + 1;
        if (strcasecmp(name, "content-length") == 0) {
            if (!*value)
                return fail(p, TDM_HTTP1_ERR_PROTOCOL, "empty Content-Length");
            rc = each_element(p, value, content_length_element);
        } else if (strcasecmp(name, "transfer-encoding") == 0) {
            te_seen = true;
            rc = each_element(p, value, coding_element);
        } else if (strcasecmp(name, "connection") == 0) {
            rc = each_element(p, value, connection_element);
        }
        if (rc < 0)
            return rc;
    }

    if (p->head_request || p->status == 204 || p->status == 304) {
        p->body_mode = B_NONE;
    } else if (p->chunked) {
        p->body_mode = B_CHUNKED;
    } else if (p->content_length >= 0) {
        p->body_mode = p->content_length ? B_LENGTH : B_NONE;
        p->remaining = (uint64_t)p->content_length;
    } else {
        p->body_mode = B_CLOSE;
    }
    /* RFC 9112 §6.3: Transfer-Encoding with Content-Length may be smuggling; don't reuse. */
    bool smuggle_risk = te_seen && p->content_length >= 0;
    p->keep_alive = !p->conn_close && (p->minor_version >= 1 || p->conn_keep_alive) &&
                    p->body_mode != B_CLOSE && !smuggle_risk;
    p->headers_done = true;

    const tdm_http1_cbs *cbs = p->cbs;
    if (cbs && cbs->on_status && cbs->on_status(p->ud, p->status) != 0)
        return fail(p, TDM_HTTP1_ERR_ABORTED, "aborted by callback");
    if (cbs && cbs->on_header) {
        for (char *q = pairs; q < w;) {
            const char *name = q;
            q += strlen(q) + 1;
            const char *value = q;
            q += strlen(q) + 1;
            if (cbs->on_header(p->ud, name, value) != 0)
                return fail(p, TDM_HTTP1_ERR_ABORTED, "aborted by callback");
        }
    }
    return 0;
}

/* ---- feeding ---------------------------------------------------------------------------- */

static int deliver(void *ud, const char *data, size_t len)
{
    tdm_http1_response *p = ud;
    p->body_bytes += len;
    if (p->cbs && p->cbs->on_body)
        return p->cbs->on_body(p->ud, data, len);
    return 0;
}

/* Consumes header bytes from data up to the end of the block. Returns the bytes taken and
 * sets *complete when the block ended; or an error (as a negative value via *err). */
static size_t take_head(tdm_http1_response *p, const char *data, size_t len, bool *complete)
{
    size_t i = 0;
    *complete = false;
    while (i < len) {
        char ch = data[i++];
        if (ch == '\n') {
            if (p->line_len == 0 || (p->line_len == 1 && p->line_cr)) {
                *complete = true;
                break;
            }
            p->line_len = 0;
            p->line_cr = false;
        } else {
            if (p->line_len == 0 && ch == '\r')
                p->line_cr = true;
            p->line_len++;
        }
    }
    return i;
}

static int feed_body(tdm_http1_response *p, const char *data, size_t len, size_t *used)
{
    *used = 0;
    switch (p->body_mode) {
    case B_LENGTH: {
        size_t n = len;
        if ((uint64_t)n > p->remaining)
            n = (size_t)p->remaining;
        p->remaining -= n;
        *used = n;
        if (p->remaining == 0)
            p->state = R_DONE;
        if (n && deliver(p, data, n) != 0)
            return fail(p, TDM_HTTP1_ERR_ABORTED, "aborted by callback");
        return 0;
    }
    case B_CLOSE:
        *used = len;
        if (len && deliver(p, data, len) != 0)
            return fail(p, TDM_HTTP1_ERR_ABORTED, "aborted by callback");
        return 0;
    case B_CHUNKED: {
        int rc = tdm_http1_chunked_feed(&p->chunk, data, len, used, deliver, p);
        if (rc == TDM_HTTP1_DONE)
            p->state = R_DONE;
        else if (rc < 0)
            return fail(p, rc, "%s", rc == TDM_HTTP1_ERR_ABORTED ? "aborted by callback"
                                                                  : tdm_http1_chunked_error(&p->chunk));
        return 0;
    }
    default:
        p->state = R_DONE;
        return 0;
    }
}

int tdm_http1_response_feed(tdm_http1_response *p, const char *data, size_t len,
                            size_t *consumed)
{
    size_t i = 0;
    int rc = 0;
    if (p->state == R_ERROR) {
        *consumed = 0;
        return p->error;
    }
    while (i < len && p->state != R_DONE) {
        if (p->state == R_HEAD) {
            bool complete;
            size_t n = take_head(p, data + i, len - i, &complete);
            if (n > p->max_header - p->head.len) {
                i += p->max_header - p->head.len; /* what fitted, whatever the split */
                rc = fail(p, TDM_HTTP1_ERR_TOO_LARGE,
                          "response header larger than %zu bytes", p->max_header);
                break;
            }
            if (tdm_buf_append(&p->head, data + i, n) != 0) {
                rc = fail(p, TDM_HTTP1_ERR_NOMEM, "out of memory for the response header");
                break;
            }
            i += n;
            if (!complete)
                break;
            p->line_len = 0;
            p->line_cr = false;
            rc = parse_head(p);
            if (rc < 0)
                break;
            tdm_buf_reset(&p->head);
            if (rc == 1) { /* interim 1xx: the real response follows */
                p->status = 0;
                rc = 0;
                continue;
            }
            p->state = p->body_mode == B_NONE ? R_DONE : R_BODY;
            if (p->body_mode == B_CHUNKED)
                tdm_http1_chunked_init(&p->chunk);
        } else {
            size_t used;
            rc = feed_body(p, data + i, len - i, &used);
            i += used;
            if (rc < 0)
                break;
        }
    }
    p->bytes_in += i;
    *consumed = i;
    if (rc < 0)
        return rc;
    return p->state == R_DONE ? TDM_HTTP1_DONE : TDM_HTTP1_MORE;
}

int tdm_http1_response_eof(tdm_http1_response *p)
{
    switch (p->state) {
    case R_ERROR:
        return p->error;
    case R_DONE:
        return TDM_HTTP1_DONE;
    case R_HEAD:
        if (p->bytes_in == 0 && p->head.len == 0)
            return fail(p, TDM_HTTP1_ERR_CLOSED, "connection closed before any response byte");
        return fail(p, TDM_HTTP1_ERR_CLOSED, "connection closed in the response header");
    default:
        if (p->body_mode == B_CLOSE) {
            p->state = R_DONE;
            return TDM_HTTP1_DONE;
        }
        return fail(p, TDM_HTTP1_ERR_CLOSED, "connection closed mid-response");
    }
}
