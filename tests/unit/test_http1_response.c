/* test_http1_response.c — the status line + header parser and body framing on every
 * vector at once, split at every point (and every pair of points for short vectors), and
 * one byte at a time: the events (status, headers), the decoded body, where the message
 * ended and what the peer's close means must never depend on the split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http1/http1.h"

#define S(lit) lit, sizeof(lit) - 1

typedef struct vec {
    const char *name;
    const char *in;
    size_t len;
    int rc;            /* after feeding everything: DONE, MORE or an error kind */
    const char *events; /* "status|name=value|..." (NULL: don't check) */
    const char *body;
    size_t trailing;   /* bytes after the end of the message */
    int eof_rc;        /* what response_eof says afterwards (0: don't call it) */
    int keep_alive;    /* -1: don't check */
    bool head;
    size_t max_header;
} vec;

typedef struct result {
    int rc;
    int eof_rc;
    tdm_buf events;
    tdm_buf body;
    size_t consumed;
    bool keep_alive;
    int64_t content_length;
    const char *why;
    int abort_at; /* on_body returns non-zero once body reaches this many bytes (0: never) */
    bool abort_status;
} result;

static int on_status(void *ud, int status)
{
    result *r = ud;
    assert_int_equal(r->events.len, 0);
    tdm_buf_printf(&r->events, "%d", status);
    return r->abort_status ? 1 : 0;
}

static int on_header(void *ud, const char *name, const char *value)
{
    result *r = ud;
    tdm_buf_printf(&r->events, "|%s=%s", name, value);
    return 0;
}

static int on_body(void *ud, const char *data, size_t len)
{
    result *r = ud;
    assert_true(len > 0);
    tdm_buf_append(&r->body, data, len);
    return r->abort_at && r->body.len >= (size_t)r->abort_at ? 1 : 0;
}

static const tdm_http1_cbs cbs = {.on_status = on_status, .on_header = on_header, .on_body = on_body};

static void parse_cuts(const vec *v, const size_t *cuts, size_t ncuts, result *r)
{
    tdm_http1_response p;
    int abort_at = r->abort_at;
    bool abort_status = r->abort_status;
    memset(r, 0, sizeof *r);
    r->abort_at = abort_at;
    r->abort_status = abort_status;
    tdm_http1_response_init(&p, v->max_header, &cbs, r);
    tdm_http1_response_reset(&p, v->head);
    size_t pos = 0;
    r->rc = TDM_HTTP1_MORE;
    for (size_t k = 0; k <= ncuts && r->rc == TDM_HTTP1_MORE; k++) {
        size_t end = k < ncuts ? cuts[k] : v->len;
        size_t used = 0;
        r->rc = tdm_http1_response_feed(&p, v->in + pos, end - pos, &used);
        assert_true(used <= end - pos);
        if (r->rc == TDM_HTTP1_MORE)
            assert_int_equal(used, end - pos);
        pos += used;
    }
    r->consumed = pos;
    if (r->rc >= 0)
        assert_int_equal(p.bytes_in, pos);
    if (v->eof_rc)
        r->eof_rc = tdm_http1_response_eof(&p);
    r->keep_alive = p.keep_alive;
    r->content_length = p.content_length;
    if (r->rc < 0 || r->eof_rc < 0) {
        assert_true(strlen(tdm_http1_response_error(&p)) > 0);
        static char why[200];
        snprintf(why, sizeof why, "%s", tdm_http1_response_error(&p));
        r->why = why;
        size_t used = 7;
        assert_true(tdm_http1_response_feed(&p, "x", 1, &used) < 0); /* sticky */
        assert_int_equal(used, 0);
    } else {
        assert_string_equal(tdm_http1_response_error(&p), "");
    }
    tdm_http1_response_free(&p);
}

static void same_result(const vec *v, const result *a, const result *b, size_t split)
{
    if (a->rc != b->rc || a->consumed != b->consumed || a->eof_rc != b->eof_rc ||
        a->events.len != b->events.len || a->body.len != b->body.len ||
        memcmp(tdm_buf_str(&a->events), tdm_buf_str(&b->events), a->events.len) != 0 ||
        (a->body.len && memcmp(a->body.data, b->body.data, a->body.len) != 0) ||
        a->keep_alive != b->keep_alive)
        fail_msg("%s: split at %zu differs: rc %d/%d consumed %zu/%zu events '%s'/'%s'", v->name,
                 split, a->rc, b->rc, a->consumed, b->consumed, tdm_buf_str(&a->events),
                 tdm_buf_str(&b->events));
}

static void check_vector(const vec *v, const result *r)
{
    if (r->rc != v->rc)
        fail_msg("%s: rc %d (%s), expected %d", v->name, r->rc, r->why ? r->why : "", v->rc);
    if (v->events && strcmp(tdm_buf_str(&r->events), v->events) != 0)
        fail_msg("%s: events '%s', expected '%s'", v->name, tdm_buf_str(&r->events), v->events);
    if (v->body && strcmp(tdm_buf_str(&r->body), v->body) != 0)
        fail_msg("%s: body '%s', expected '%s'", v->name, tdm_buf_str(&r->body), v->body);
    if (v->rc == TDM_HTTP1_DONE && r->consumed != v->len - v->trailing)
        fail_msg("%s: consumed %zu, expected %zu", v->name, r->consumed, v->len - v->trailing);
    if (v->eof_rc && r->eof_rc != v->eof_rc)
        fail_msg("%s: eof gave %d (%s), expected %d", v->name, r->eof_rc, r->why ? r->why : "",
                 v->eof_rc);
    if (v->keep_alive >= 0 && (v->rc == TDM_HTTP1_DONE || v->rc == TDM_HTTP1_MORE) &&
        r->keep_alive != (v->keep_alive == 1))
        fail_msg("%s: keep_alive %d, expected %d", v->name, r->keep_alive, v->keep_alive);
}

static void free_result(result *r)
{
    tdm_buf_free(&r->events);
    tdm_buf_free(&r->body);
}

static void run_all_splits(const vec *v)
{
    result once = {0}, r = {0};
    parse_cuts(v, NULL, 0, &once);
    check_vector(v, &once);
    for (size_t i = 0; i <= v->len; i++) {
        size_t cuts[1] = {i};
        parse_cuts(v, cuts, 1, &r);
        same_result(v, &once, &r, i);
        free_result(&r);
    }
    if (v->len <= 200) {
        for (size_t i = 0; i <= v->len; i++) {
            for (size_t j = i; j <= v->len; j++) {
                size_t cuts[2] = {i, j};
                parse_cuts(v, cuts, 2, &r);
                same_result(v, &once, &r, i * 1000 + j);
                free_result(&r);
            }
        }
    }
    size_t *cuts = malloc((v->len + 1) * sizeof *cuts);
    assert_non_null(cuts);
    for (size_t i = 0; i < v->len; i++)
        cuts[i] = i + 1;
    parse_cuts(v, cuts, v->len ? v->len - 1 : 0, &r);
    same_result(v, &once, &r, (size_t)-1);
    free_result(&r);
    free(cuts);
    free_result(&once);
}

#define OK200 "HTTP/1.1 200 OK\r\n"

static const vec valid[] = {
    {"ollama stream",
     S(OK200 "Content-Type: application/x-ndjson\r\nDate: Fri, 14 Nov 2025 00:29:24 GMT\r\n"
             "Transfer-Encoding: chunked\r\n\r\n"
             "f\r\n{\"done\":false}\n\r\n"
             "e\r\n{\"done\":true}\n\r\n0\r\n\r\n"),
     TDM_HTTP1_DONE,
     "200|Content-Type=application/x-ndjson|Date=Fri, 14 Nov 2025 00:29:24 GMT|"
     "Transfer-Encoding=chunked",
     "{\"done\":false}\n{\"done\":true}\n", 0, 0, 1, false, 0},
    {"content-length", S(OK200 "Content-Length: 5\r\n\r\nhello"), TDM_HTTP1_DONE,
     "200|Content-Length=5", "hello", 0, 0, 1, false, 0},
    {"content-length 0", S(OK200 "Content-Length: 0\r\n\r\n"), TDM_HTTP1_DONE,
     "200|Content-Length=0", "", 0, 0, 1, false, 0},
    {"bytes after the body", S(OK200 "Content-Length: 2\r\n\r\nhiHTTP/1.1 200"), TDM_HTTP1_DONE,
     "200|Content-Length=2", "hi", 12, 0, 1, false, 0},
    {"close-delimited", S(OK200 "Connection: close\r\n\r\nuntil the end"), TDM_HTTP1_MORE,
     "200|Connection=close", "until the end", 0, TDM_HTTP1_DONE, 0, false, 0},
    {"no length, no close header", S(OK200 "X: y\r\n\r\nrest"), TDM_HTTP1_MORE, "200|X=y", "rest",
     0, TDM_HTTP1_DONE, 0, false, 0},
    {"connection close with length", S(OK200 "Connection: keep-alive, Close\r\nContent-Length: 1\r\n\r\nx"),
     TDM_HTTP1_DONE, NULL, "x", 0, 0, 0, false, 0},
    {"HTTP/1.0 defaults to close", S("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx"),
     TDM_HTTP1_DONE, "200|Content-Length=1", "x", 0, 0, 0, false, 0},
    {"HTTP/1.0 keep-alive", S("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx"),
     TDM_HTTP1_DONE, NULL, "x", 0, 0, 1, false, 0},
    {"folded header", S(OK200 "X-Folded: a\r\n  b\r\n\tc \r\nContent-Length: 0\r\n\r\n"),
     TDM_HTTP1_DONE, "200|X-Folded=a b c|Content-Length=0", "", 0, 0, 1, false, 0},
    {"folded after empty value", S(OK200 "X-E:\r\n value\r\n \r\nContent-Length: 0\r\n\r\n"),
     TDM_HTTP1_DONE, "200|X-E=value|Content-Length=0", "", 0, 0, 1, false, 0},
    {"empty value and OWS", S(OK200 "X-Empty:\r\nX-Pad: \t v \t\r\ncontent-length:0\r\n\r\n"),
     TDM_HTTP1_DONE, "200|X-Empty=|X-Pad=v|content-length=0", "", 0, 0, 1, false, 0},
    {"case-insensitive names and codings",
     S(OK200 "TRANSFER-ENCODING: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), TDM_HTTP1_DONE,
     "200|TRANSFER-ENCODING=Chunked", "abc", 0, 0, 1, false, 0},
    {"100 continue first",
     S("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: 1\r\n\r\n" OK200
       "Content-Length: 2\r\n\r\nok"),
     TDM_HTTP1_DONE, "200|Content-Length=2", "ok", 0, 0, 1, false, 0},
    {"204 has no body", S("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\nHTTP"),
     TDM_HTTP1_DONE, "204|Content-Length=10", "", 4, 0, 1, false, 0},
    {"304 has no body", S("HTTP/1.1 304 Not Modified\r\n\r\n"), TDM_HTTP1_DONE, "304", "", 0, 0,
     1, false, 0},
    {"HEAD has no body", S(OK200 "Content-Length: 10\r\n\r\n"), TDM_HTTP1_DONE,
     "200|Content-Length=10", "", 0, 0, 1, true, 0},
    {"bare LF line ends", S("HTTP/1.1 200 OK\nContent-Length: 2\n\nhi"), TDM_HTTP1_DONE,
     "200|Content-Length=2", "hi", 0, 0, 1, false, 0},
    {"no reason phrase", S("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"), TDM_HTTP1_DONE,
     "404|Content-Length=0", "", 0, 0, 1, false, 0},
    {"empty reason phrase", S("HTTP/1.1 500 \r\nContent-Length: 0\r\n\r\n"), TDM_HTTP1_DONE,
     "500|Content-Length=0", "", 0, 0, 1, false, 0},
    {"ollama 404",
     S("HTTP/1.1 404 Not Found\r\nContent-Type: application/json; charset=utf-8\r\n"
       "Content-Length: 34\r\n\r\n{\"error\":\"model 'x' not found\"}\n\n\n"),
     TDM_HTTP1_DONE, "404|Content-Type=application/json; charset=utf-8|Content-Length=34",
     "{\"error\":\"model 'x' not found\"}\n\n\n", 0, 0, 1, false, 0},
    {"repeated equal content-length", S(OK200 "Content-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc"),
     TDM_HTTP1_DONE, NULL, "abc", 0, 0, 1, false, 0},
    {"chunked wins over length, no reuse",
     S(OK200 "Content-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n"),
     TDM_HTTP1_DONE, NULL, "z", 0, 0, 0, false, 0},
    {"obs-text in values", S(OK200 "X: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n"), TDM_HTTP1_DONE,
     "200|X=caf\xc3\xa9|Content-Length=0", "", 0, 0, 1, false, 0},
    {"truncated in header", S(OK200 "Content-Le"), TDM_HTTP1_MORE, "", "", 0,
     TDM_HTTP1_ERR_CLOSED, -1, false, 0},
    {"truncated in chunked body", S(OK200 "Transfer-Encoding: chunked\r\n\r\n5\r\nhel"),
     TDM_HTTP1_MORE, "200|Transfer-Encoding=chunked", "hel", 0, TDM_HTTP1_ERR_CLOSED, -1, false, 0},
    {"truncated in sized body", S(OK200 "Content-Length: 5\r\n\r\nhel"), TDM_HTTP1_MORE,
     "200|Content-Length=5", "hel", 0, TDM_HTTP1_ERR_CLOSED, -1, false, 0},
    {"nothing at all", S(""), TDM_HTTP1_MORE, "", "", 0, TDM_HTTP1_ERR_CLOSED, -1, false, 0},
};

static const vec malformed[] = {
    {"bad status code", S("HTTP/1.1 2OO OK\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"HTTP/2", S("HTTP/2 200 OK\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"not HTTP", S("ICY 200 OK\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"short status line", S("HTTP/1.1 20\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"code 099", S("HTTP/1.1 099 X\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"code then junk", S("HTTP/1.1 2000 OK\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"101", S("HTTP/1.1 101 Switching Protocols\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"empty status line", S("\r\nHTTP/1.1 200 OK\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"control char in reason", S("HTTP/1.1 200 O\x01K\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"bare CR in status", S("HTTP/1.1 200 O\rK\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"no colon", S(OK200 "Bad Header\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"space in name", S(OK200 "Bad Name: x\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"space before colon", S(OK200 "Content-Length : 1\r\n\r\nx"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"empty name", S(OK200 ": x\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"continuation first", S(OK200 " folded\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"NUL in header", S(OK200 "X: a\0b\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"bare CR in header", S(OK200 "X: a\rb\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"control char in value", S(OK200 "X: a\x7f\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"negative length", S(OK200 "Content-Length: -5\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"overflowing length", S(OK200 "Content-Length: 99999999999999999999\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"length 2^63", S(OK200 "Content-Length: 9223372036854775808\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"hex length", S(OK200 "Content-Length: 0x10\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"empty length", S(OK200 "Content-Length: \r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"conflicting lengths", S(OK200 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"conflicting list", S(OK200 "Content-Length: 5, 6\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"gzip coding", S(OK200 "Transfer-Encoding: gzip\r\n\r\n"), TDM_HTTP1_ERR_UNSUPPORTED, "", "", 0, 0, -1, false, 0},
    {"chunked not last", S(OK200 "Transfer-Encoding: chunked, gzip\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"chunked twice", S(OK200 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, "", "", 0, 0, -1, false, 0},
    {"bad chunk in body", S(OK200 "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX"), TDM_HTTP1_ERR_PROTOCOL,
     "200|Transfer-Encoding=chunked", "hello", 0, 0, -1, false, 0},
    {"bad chunk size in body", S(OK200 "Transfer-Encoding: chunked\r\n\r\nzz\r\n"), TDM_HTTP1_ERR_PROTOCOL,
     "200|Transfer-Encoding=chunked", "", 0, 0, -1, false, 0},
    {"header over a small limit", S(OK200 "X-Long: 0123456789012345678901234567890123456789\r\n\r\n"),
     TDM_HTTP1_ERR_TOO_LARGE, "", "", 0, 0, -1, false, 48},
    {"status line over a small limit", S("HTTP/1.1 200 OK and a very long reason phrase indeed"),
     TDM_HTTP1_ERR_TOO_LARGE, "", "", 0, 0, -1, false, 32},
};

static void test_valid_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        run_all_splits(&valid[i]);
}

static void test_malformed_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        run_all_splits(&malformed[i]);
}

/* A header block exactly at the limit passes; one byte more fails. */
static void test_header_limit_boundary(void **state)
{
    (void)state;
    static const char in[] = OK200 "Content-Length: 0\r\n\r\n";
    size_t n = sizeof in - 1;
    vec at = {"at the limit", in, n, TDM_HTTP1_DONE, "200|Content-Length=0", "", 0, 0, 1, false, n};
    run_all_splits(&at);
    vec over = {"one over", in, n, TDM_HTTP1_ERR_TOO_LARGE, "", "", 0, 0, -1, false, n - 1};
    run_all_splits(&over);
}

/* Headers larger than the default limit (100 KiB): an error, never unbounded buffering. */
static void test_default_header_limit(void **state)
{
    (void)state;
    tdm_buf in = {0};
    assert_int_equal(tdm_buf_append_str(&in, OK200), 0);
    for (int i = 0; i < 2100; i++)
        assert_int_equal(tdm_buf_printf(&in, "X-%04d: %040d\r\n", i, i), 0);
    assert_int_equal(tdm_buf_append_str(&in, "\r\n"), 0);
    result r = {0};
    vec v = {"huge header", in.data, in.len, TDM_HTTP1_ERR_TOO_LARGE, "", "", 0, 0, -1, false, 0};
    parse_cuts(&v, NULL, 0, &r);
    check_vector(&v, &r);
    assert_true(r.consumed <= TDM_HTTP1_DEFAULT_MAX_HEADER);
    free_result(&r);
    /* byte at a time gives the same */
    size_t *cuts = malloc(in.len * sizeof *cuts);
    for (size_t i = 0; i + 1 < in.len; i++)
        cuts[i] = i + 1;
    parse_cuts(&v, cuts, in.len - 1, &r);
    check_vector(&v, &r);
    free_result(&r);
    free(cuts);
    tdm_buf_free(&in);
}

/* A 5000-byte NDJSON body in odd-sized chunks, every split. */
static void test_large_chunked_response(void **state)
{
    (void)state;
    tdm_buf body = {0}, in = {0};
    for (int i = 0; body.len < 5000; i++)
        tdm_buf_printf(&body, "{\"model\":\"m\",\"response\":\"tok%d\",\"done\":false}\n", i);
    assert_int_equal(tdm_buf_append_str(&in, OK200 "Content-Type: application/x-ndjson\r\n"
                                              "Transfer-Encoding: chunked\r\n\r\n"), 0);
    for (size_t off = 0, k = 0; off < body.len; k++) {
        size_t n = 1 + (k * 53) % 211;
        if (n > body.len - off)
            n = body.len - off;
        tdm_buf_printf(&in, "%zx\r\n", n);
        tdm_buf_append(&in, body.data + off, n);
        tdm_buf_append_str(&in, "\r\n");
        off += n;
    }
    tdm_buf_append_str(&in, "0\r\n\r\n");
    vec v = {"large", in.data, in.len, TDM_HTTP1_DONE,
             "200|Content-Type=application/x-ndjson|Transfer-Encoding=chunked", body.data, 0, 0, 1,
             false, 0};
    run_all_splits(&v);
    tdm_buf_free(&body);
    tdm_buf_free(&in);
}

static void test_callback_abort(void **state)
{
    (void)state;
    static const vec v = {"abort", S(OK200 "Content-Length: 5\r\n\r\nhello"), 0, NULL, NULL, 0, 0, -1, false, 0};
    result r = {0};
    r.abort_status = true;
    parse_cuts(&v, NULL, 0, &r);
    assert_int_equal(r.rc, TDM_HTTP1_ERR_ABORTED);
    assert_int_equal(r.body.len, 0);
    free_result(&r);
    memset(&r, 0, sizeof r);
    r.abort_at = 2;
    size_t cuts[1] = {sizeof(OK200 "Content-Length: 5\r\n\r\n") - 1 + 2};
    parse_cuts(&v, cuts, 1, &r);
    assert_int_equal(r.rc, TDM_HTTP1_ERR_ABORTED);
    assert_string_equal(tdm_buf_str(&r.body), "he");
    free_result(&r);
}

/* Reuse: one parser, two responses back to back, reset in between. */
static void test_reset_between_responses(void **state)
{
    (void)state;
    static const char two[] = OK200 "Content-Length: 3\r\n\r\nabc" OK200
                                    "Transfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n";
    result r = {0};
    tdm_http1_response p;
    tdm_http1_response_init(&p, 0, &cbs, &r);
    size_t used;
    assert_int_equal(tdm_http1_response_feed(&p, two, sizeof two - 1, &used), TDM_HTTP1_DONE);
    assert_int_equal(p.content_length, 3);
    assert_true(p.keep_alive);
    tdm_buf_reset(&r.events);
    tdm_http1_response_reset(&p, false);
    size_t used2;
    assert_int_equal(tdm_http1_response_feed(&p, two + used, sizeof two - 1 - used, &used2),
                     TDM_HTTP1_DONE);
    assert_int_equal(used + used2, sizeof two - 1);
    assert_true(p.chunked);
    assert_int_equal(p.content_length, -1);
    assert_int_equal(p.body_bytes, 2);
    assert_string_equal(tdm_buf_str(&r.body), "abcde");
    assert_int_equal(tdm_http1_response_eof(&p), TDM_HTTP1_DONE);
    tdm_http1_response_free(&p);
    free_result(&r);
}

/* Mutated responses never crash, and the outcome never depends on the split. */
static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_mutations_never_depend_on_split(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789abcdefHTP/. :\t\r\n\0,;-";
    char buf[400];
    for (int round = 0; round < 3000; round++) {
        const vec *src = &valid[next_rand() % (sizeof valid / sizeof valid[0])];
        size_t len = src->len < sizeof buf ? src->len : sizeof buf;
        memcpy(buf, src->in, len);
        int edits = 1 + (int)(next_rand() % 3);
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = next_rand() % len;
            switch (next_rand() % 3) {
            case 0: buf[at] = alphabet[next_rand() % (sizeof alphabet - 1)]; break;
            case 1: buf[at] = (char)(next_rand() & 0xff); break;
            default:
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            }
        }
        vec v = {"mutant", buf, len, 0, NULL, NULL, 0, TDM_HTTP1_DONE, -1, src->head, 0};
        result once = {0}, r = {0};
        parse_cuts(&v, NULL, 0, &once);
        size_t cut[2] = {next_rand() % (len + 1), 0};
        cut[1] = cut[0] + next_rand() % (len - cut[0] + 1);
        parse_cuts(&v, cut, 2, &r);
        same_result(&v, &once, &r, cut[0]);
        free_result(&r);
        size_t bytes[400];
        for (size_t i = 0; i < len; i++)
            bytes[i] = i + 1;
        parse_cuts(&v, bytes, len ? len - 1 : 0, &r);
        same_result(&v, &once, &r, (size_t)-1);
        free_result(&r);
        free_result(&once);
    }
}

static void test_error_names(void **state)
{
    (void)state;
    assert_string_equal(tdm_http1_error_name(0), "ok");
    assert_string_equal(tdm_http1_error_name(TDM_HTTP1_ERR_CLOSED), "closed");
    assert_string_equal(tdm_http1_error_name(TDM_HTTP1_ERR_PROTOCOL), "protocol");
    assert_string_equal(tdm_http1_error_name(12345), "?");
    for (int k = TDM_HTTP1_ERR_NOMEM; k < 0; k++)
        assert_string_not_equal(tdm_http1_error_name(k), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_vectors),
        cmocka_unit_test(test_malformed_vectors),
        cmocka_unit_test(test_header_limit_boundary),
        cmocka_unit_test(test_default_header_limit),
        cmocka_unit_test(test_large_chunked_response),
        cmocka_unit_test(test_callback_abort),
        cmocka_unit_test(test_reset_between_responses),
        cmocka_unit_test(test_mutations_never_depend_on_split),
        cmocka_unit_test(test_error_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
