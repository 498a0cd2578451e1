/* test_sim_http.c — the simulator's request-head parser and response framing
 * (src/sim/http.c).
 *
 * Every request is parsed at once, then fed as it would arrive split at every byte:
 * prefix by prefix with the resume offset kept between calls (one byte at a time), and
 * each prefix again from a fresh start. The head must be found exactly when its last
 * byte arrives, with the same result every way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim/http.h"

#define MAX_HEAD 65536

/* Parses raw at every split point; returns the one-shot result and fills *out. */
static int parse_every_way(const char *raw, size_t len, tdm_sim_http_req *out)
{
    size_t scanned = 0;
    int whole = tdm_sim_http_parse(raw, len, &scanned, MAX_HEAD, out);
    size_t inc_scanned = 0;
    int first_done = -1;
    for (size_t l = 0; l <= len; l++) {
        tdm_sim_http_req r;
        size_t fresh = 0;
        int a = tdm_sim_http_parse(raw, l, &fresh, MAX_HEAD, &r);
        int b = tdm_sim_http_parse(raw, l, &inc_scanned, MAX_HEAD, &r);
        assert_int_equal(a, b);
        if (a != TDM_SIM_HTTP_NEED_MORE) {
            if (first_done < 0)
                first_done = (int)l;
            assert_int_equal(a, whole);
            if (a > 0) {
                assert_string_equal(r.method, out->method);
                assert_string_equal(r.path, out->path);
                assert_int_equal(r.content_length, out->content_length);
                assert_int_equal(r.keep_alive, out->keep_alive);
            }
            break; /* a connection stops parsing at the first result */
        }
    }
    if (whole > 0)
        assert_int_equal(first_done, whole); /* complete exactly at the blank line's end */
    return whole;
}

static int parse_str(const char *raw, tdm_sim_http_req *out)
{
    return parse_every_way(raw, strlen(raw), out);
}

static void test_simple_get(void **state)
{
    (void)state;
    tdm_sim_http_req r;
    const char *raw = "GET /api/tags HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(parse_str(raw, &r), (int)strlen(raw));
    assert_string_equal(r.method, "GET");
    assert_string_equal(r.path, "/api/tags");
    assert_int_equal(r.minor, 1);
    assert_true(r.keep_alive);
    assert_int_equal(r.content_length, 0);
    assert_false(r.expect_continue);
}

static void test_post_with_body_and_pipelined(void **state)
{
    (void)state;
    tdm_sim_http_req r;
    const char *head = "POST /api/generate?x=1#f HTTP/1.1\r\nHost: 127.0.0.1:11434\r\n"
                       "Content-Type: application/json\r\ncontent-LENGTH:  16 \r\n"
                       "Expect: 100-Continue\r\n\r\n";
    char raw[512];
    snprintf(raw, sizeof raw, "%s{\"model\":\"tiny\"}GET / HTTP/1.1\r\nHost: x\r\n\r\n", head);
    assert_int_equal(parse_str(raw, &r), (int)strlen(head));
    assert_string_equal(r.path, "/api/generate");
    assert_int_equal(r.content_length, 16);
    assert_true(r.expect_continue);
    /* The next request starts after the body. */
    const char *next = raw + strlen(head) + 16;
    assert_int_equal(parse_str(next, &r), (int)strlen(next));
    assert_string_equal(r.method, "GET");
    assert_string_equal(r.path, "/");
}

static void test_bare_lf_and_leading_crlf(void **state)
{
    (void)state;
    tdm_sim_http_req r;
    const char *raw = "\r\nGET / HTTP/1.1\nHost: x\n\n";
    assert_int_equal(parse_str(raw, &r), (int)strlen(raw));
    assert_string_equal(r.path, "/");
    const char *many = "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(parse_str(many, &r), TDM_SIM_HTTP_BAD);
}

static void test_keep_alive_rules(void **state)
{
    (void)state;
    tdm_sim_http_req r;
    assert_true(parse_str("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r) > 0);
    assert_false(r.keep_alive);
    assert_true(parse_str("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, CLOSE\r\n\r\n", &r) > 0);
    assert_false(r.keep_alive);
    assert_true(parse_str("GET / HTTP/1.0\r\n\r\n", &r) > 0);
    assert_false(r.keep_alive);
    assert_int_equal(r.minor, 0);
    assert_true(parse_str("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r) > 0);
    assert_true(r.keep_alive);
}

static void test_absolute_form(void **state)
{
    (void)state;
    tdm_sim_http_req r;
    assert_true(parse_str("GET http://h:1/api/ps?q HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0);
    assert_string_equal(r.path, "/api/ps");
    assert_true(parse_str("GET http://h:1 HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0);
    assert_string_equal(r.path, "/");
}

static void test_errors(void **state)
{
    (void)state;
    tdm_sim_http_req r;
    static const struct { const char *raw; int want; } cases[] = {
        {"GET / HTTP/1.1\r\n\r\n", TDM_SIM_HTTP_NO_HOST},
        {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", TDM_SIM_HTTP_BAD_VERSION},
        {"GET / HTTX/1.1\r\nHost: x\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"GET relative HTTP/1.1\r\nHost: x\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"GET / HTTP/1.1\r\n\r\n", TDM_SIM_HTTP_NO_HOST},
        {"GET /\r\nHost: x\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", TDM_SIM_HTTP_TE_UNSUPPORTED},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"GET / HTTP/1.1\r\nHost x\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"GET / HTTP/1.1\r\n: x\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"GET / HTTP/1.1\r\nBad Name: x\r\nHost: x\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"GET / HTTP/1.1\r\nHost: x\x01y\r\n\r\n", TDM_SIM_HTTP_BAD},
        {"\r\n", TDM_SIM_HTTP_NEED_MORE},
        {"VERYVERYLONGMETHODNAME / HTTP/1.1\r\nHost: x\r\n\r\n", TDM_SIM_HTTP_BAD},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = parse_str(cases[i].raw, &r);
        if (got != cases[i].want)
            fail_msg("case %zu (%s): got %d, want %d", i, cases[i].raw, got, cases[i].want);
    }
    /* Duplicate identical Content-Length is allowed. */
    assert_true(parse_str("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n", &r) > 0);
    /* A NUL byte anywhere in the head. */
    const char nul[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
    assert_int_equal(parse_every_way(nul, sizeof nul - 1, &r), TDM_SIM_HTTP_BAD);
    assert_int_equal(tdm_sim_http_error_status(TDM_SIM_HTTP_HEAD_TOO_LARGE), 431);
    assert_int_equal(tdm_sim_http_error_status(TDM_SIM_HTTP_TE_UNSUPPORTED), 501);
    assert_int_equal(tdm_sim_http_error_status(TDM_SIM_HTTP_BAD_VERSION), 505);
    assert_int_equal(tdm_sim_http_error_status(TDM_SIM_HTTP_URI_TOO_LONG), 414);
    assert_int_equal(tdm_sim_http_error_status(TDM_SIM_HTTP_BAD), 400);
}

static void test_limits(void **state)
{
    (void)state;
    tdm_sim_http_req r;
    static char big[200000];
    /* A head that never ends: too large once past the limit, not before. */
    memset(big, 'a', sizeof big);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    size_t scanned = 0;
    assert_int_equal(tdm_sim_http_parse(big, MAX_HEAD, &scanned, MAX_HEAD, &r), TDM_SIM_HTTP_NEED_MORE);
    assert_int_equal(tdm_sim_http_parse(big, MAX_HEAD + 1, &scanned, MAX_HEAD, &r),
                     TDM_SIM_HTTP_HEAD_TOO_LARGE);
    /* Too many headers. */
    size_t n = (size_t)snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 120; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "X-%d: y\r\n", i);
    n += (size_t)snprintf(big + n, sizeof big - n, "\r\n");
    scanned = 0;
    assert_int_equal(tdm_sim_http_parse(big, n, &scanned, MAX_HEAD, &r), TDM_SIM_HTTP_HEAD_TOO_LARGE);
    /* A path longer than the buffer. */
    n = (size_t)snprintf(big, sizeof big, "GET /");
    memset(big + n, 'p', 2000);
    n += 2000;
    n += (size_t)snprintf(big + n, sizeof big - n, " HTTP/1.1\r\nHost: x\r\n\r\n");
    scanned = 0;
    assert_int_equal(tdm_sim_http_parse(big, n, &scanned, MAX_HEAD, &r), TDM_SIM_HTTP_URI_TOO_LONG);
}

static void test_response_head(void **state)
{
    (void)state;
    tdm_buf b = {0};
    /* A stream: Go's order is handler headers, Date, then Transfer-Encoding. */
    tdm_sim_http_head_spec h = {.minor = 1, .status = 200, .content_type = "application/x-ndjson",
                                .date = "Sun, 06 Nov 1994 08:49:37 GMT", .content_length = -1,
                                .chunked = true};
    assert_int_equal(tdm_sim_http_head(&b, &h), 0);
    assert_string_equal(tdm_buf_str(&b), "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                                         "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                                         "Transfer-Encoding: chunked\r\n\r\n");
    /* Connection comes after Date/Content-Length and before Transfer-Encoding. */
    tdm_buf_reset(&b);
    h.connection = "close";
    assert_int_equal(tdm_sim_http_head(&b, &h), 0);
    assert_string_equal(tdm_buf_str(&b), "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                                         "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                                         "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n");
    /* gin's 405: Allow sorts before Content-Type. */
    tdm_buf_reset(&b);
    tdm_sim_http_head_spec e = {.minor = 1, .status = 405, .handler_before = "Allow: POST\r\n",
                                .content_type = "text/plain", .content_length = 22};
    assert_int_equal(tdm_sim_http_head(&b, &e), 0);
    assert_string_equal(tdm_buf_str(&b), "HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\n"
                                         "Content-Type: text/plain\r\nContent-Length: 22\r\n\r\n");
    /* A redirect: Location sorts after Content-Type; an HTTP/1.0 keep-alive answer. */
    tdm_buf_reset(&b);
    tdm_sim_http_head_spec r = {.minor = 0, .status = 301, .content_type = "text/html; charset=utf-8",
                                .handler_after = "Location: /api/tags\r\n", .content_length = 44,
                                .connection = "keep-alive"};
    assert_int_equal(tdm_sim_http_head(&b, &r), 0);
    assert_string_equal(tdm_buf_str(&b), "HTTP/1.0 301 Moved Permanently\r\n"
                                         "Content-Type: text/html; charset=utf-8\r\n"
                                         "Location: /api/tags\r\nContent-Length: 44\r\n"
                                         "Connection: keep-alive\r\n\r\n");
    tdm_buf_reset(&b);
    assert_int_equal(tdm_sim_http_chunk(&b, "{\"a\":1}\n", 8), 0);
    assert_int_equal(tdm_sim_http_chunk(&b, "0123456789abcdefghij", 20), 0);
    assert_string_equal(tdm_buf_str(&b), "8\r\n{\"a\":1}\n\r\n14\r\n0123456789abcdefghij\r\n");
    tdm_buf_free(&b);
    char date[32];
    tdm_sim_http_date(date);
    assert_int_equal(strlen(date), 29);
    assert_string_equal(date + 25, " GMT");
    assert_string_equal(tdm_sim_http_reason(431), "Request Header Fields Too Large");
}

/* Go's net/http answers, byte for byte as Ollama 0.11.4 sent them. */
static void test_go_protocol_errors(void **state)
{
    (void)state;
    static const struct { int result; const char *want; } cases[] = {
        {TDM_SIM_HTTP_BAD, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                           "Connection: close\r\n\r\n400 Bad Request"},
        {TDM_SIM_HTTP_NO_HOST, "HTTP/1.1 400 Bad Request: missing required Host header\r\n"
                               "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
                               "400 Bad Request: missing required Host header"},
        {TDM_SIM_HTTP_BAD_VERSION, "HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version\r\n"
                                   "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
                                   "505 HTTP Version Not Supported: unsupported protocol version"},
        {TDM_SIM_HTTP_HEAD_TOO_LARGE, "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                      "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
                                      "431 Request Header Fields Too Large"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tdm_buf b = {0};
        assert_int_equal(tdm_sim_http_go_error(&b, cases[i].result), 0);
        assert_string_equal(tdm_buf_str(&b), cases[i].want);
        tdm_buf_free(&b);
    }
}

static void test_host_header_kept(void **state)
{
    (void)state;
    tdm_sim_http_req r;
    assert_true(parse_str("GET / HTTP/1.1\r\nHost: 127.0.0.1:11434\r\n\r\n", &r) > 0);
    assert_true(r.has_host);
    assert_string_equal(r.host, "127.0.0.1:11434");
    assert_true(parse_str("GET http://evil.example:1/api/ps HTTP/1.1\r\nHost: localhost\r\n\r\n", &r) > 0);
    assert_string_equal(r.host, "evil.example:1"); /* Go: an absolute-form target's host wins */
    assert_true(parse_str("GET / HTTP/1.0\r\n\r\n", &r) > 0);
    assert_false(r.has_host);
    assert_string_equal(r.host, "");
}

/* Ollama's allowedHostsMiddleware on a loopback listener. */
static void test_host_allowed(void **state)
{
    (void)state;
    static const char *const ok[] = {"", "localhost", "LOCALHOST:11434", "127.0.0.1", "127.0.0.1:11434",
                                     "127.9.9.9", "[::1]:11434", "::1", "0.0.0.0:1", "10.1.2.3",
                                     "172.16.0.1", "172.31.255.255:80", "192.168.1.1", "[fd00::1]:5",
                                     "::ffff:127.0.0.1", "x.localhost", "printer.local", "svc.internal:8",
                                     "myhost", "MyHost:11434"};
    static const char *const bad[] = {"evil.example", "evil.example:11434", "8.8.8.8", "172.32.0.1",
                                      "[2001:db8::1]:80", "localhost.evil", "local", "[::1]",
                                      "myhost.example"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!tdm_sim_http_host_allowed(ok[i], "myhost"))
            fail_msg("'%s' refused", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tdm_sim_http_host_allowed(bad[i], "myhost"))
            fail_msg("'%s' allowed", bad[i]);
}

/* net/http's cleanPath. */
static void test_clean_path(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        {"/", "/"}, {"/api/tags", "/api/tags"}, {"//api/tags", "/api/tags"},
        {"/api//tags", "/api/tags"}, {"/api/tags/", "/api/tags/"}, {"/api/tags//", "/api/tags/"},
        {"//api/tags/", "/api/tags/"}, {"/./api/tags", "/api/tags"}, {"/api/../api/tags", "/api/tags"},
        {"/..", "/"}, {"/../..", "/"}, {"/a/b/../../c", "/c"}, {"/a/.", "/a"}, {"/a/./", "/a/"},
        {"/a/..", "/"}, {"/.../x", "/.../x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        tdm_sim_http_clean_path(cases[i].in, out, sizeof out);
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("'%s': got '%s', want '%s'", cases[i].in, out, cases[i].out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_post_with_body_and_pipelined),
        cmocka_unit_test(test_bare_lf_and_leading_crlf),
        cmocka_unit_test(test_keep_alive_rules),
        cmocka_unit_test(test_absolute_form),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_response_head),
        cmocka_unit_test(test_go_protocol_errors),
        cmocka_unit_test(test_host_header_kept),
        cmocka_unit_test(test_host_allowed),
        cmocka_unit_test(test_clean_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
