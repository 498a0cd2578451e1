/* test_sweep_http.c — the sweep's own requests (src/sweep/http.c) through tandem's HTTP/1.1
 * client: what the server receives (the URL's prefix kept), the body and status the sweep
 * gets back (plain, chunked, close-delimited), and the sweep's wording of every failure
 * (its logs and the integration tests read those), against a one-connection server
 * thread on an OS-picked port. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/test_server.h"
#include "sweep/http.h"

/* Accepts one connection, reads one request, sends `reply` (repeat_bytes more 'x's after
 * it when set) and closes; with no reply it waits until the client hangs up. */
typedef struct one_shot {
    int lfd;
    uint16_t port;
    const char *reply;
    size_t repeat_bytes;
    char request[4096];
    pthread_t thread;
} one_shot;

static void *serve(void *arg)
{
    one_shot *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    size_t got = 0;
    for (;;) { /* the head, then as many bytes as Content-Length says */
        ssize_t n = recv(fd, s->request + got, sizeof s->request - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        s->request[got] = '\0';
        const char *end = strstr(s->request, "\r\n\r\n");
        const char *cl = strstr(s->request, "Content-Length: ");
        if (end && (size_t)(end + 4 - s->request) + (cl ? strtoul(cl + 16, NULL, 10) : 0) <= got)
            break;
    }
    if (s->reply) {
        (void)!send(fd, s->reply, strlen(s->reply), MSG_NOSIGNAL);
        static char xs[65536];
        memset(xs, 'x', sizeof xs);
        for (size_t left = s->repeat_bytes; left > 0;) {
            ssize_t n = send(fd, xs, left < sizeof xs ? left : sizeof xs, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            left -= (size_t)n;
        }
    } else {
        char sink[256];
        while (recv(fd, sink, sizeof sink, 0) > 0) {
        }
    }
    close(fd);
    return NULL;
}

static void start(one_shot *s, const char *reply, size_t repeat_bytes)
{
    memset(s, 0, sizeof *s);
    s->reply = reply;
    s->repeat_bytes = repeat_bytes;
    s->lfd = bind_local(&s->port);
    assert_int_equal(listen(s->lfd, 4), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void finish(one_shot *s)
{
    pthread_join(s->thread, NULL);
    close(s->lfd);
}

static void test_get_with_prefix(void **state)
{
    (void)state;
    one_shot s;
    start(&s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 18\r\n\r\n{\"version\":\"0.1\"}\n", 0);
    char url[64], err[256] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%u/ollama/", (unsigned)s.port);
    long status = -1;
    tdm_buf body = {0};
    assert_int_equal(tdm_sweep_http(url, "GET", "/api/version", NULL, 5000, &status, &body, err, sizeof err), 0);
    finish(&s);
    assert_int_equal(status, 200);
    assert_string_equal(tdm_buf_str(&body), "{\"version\":\"0.1\"}\n");
    assert_true(strncmp(s.request, "GET /ollama/api/version HTTP/1.1\r\n", 34) == 0);
    tdm_buf_free(&body);
}

static void test_post_chunked(void **state)
{
    (void)state;
    one_shot s;
    start(&s, "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
              "5\r\n{\"err\r\n8\r\nor\":\"x\"}\r\n0\r\n\r\n", 0);
    char url[64], err[256] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)s.port);
    long status = -1;
    tdm_buf body = {0};
    assert_int_equal(tdm_sweep_http(url, "POST", "/api/show", "{\"model\":\"m\"}", 5000, &status, &body, err,
                                    sizeof err),
                     0);
    finish(&s);
    assert_int_equal(status, 404);
    assert_string_equal(tdm_buf_str(&body), "{\"error\":\"x\"}");
    assert_true(strncmp(s.request, "POST /api/show HTTP/1.1\r\n", 25) == 0);
    assert_non_null(strstr(s.request, "Content-Type: application/json\r\n"));
    assert_non_null(strstr(s.request, "\r\n\r\n{\"model\":\"m\"}"));
    tdm_buf_free(&body);
}

static void test_http10_body_until_close(void **state)
{
    (void)state;
    one_shot s;
    start(&s, "HTTP/1.0 200 OK\r\n\r\n{\"models\":[]}", 0);
    char url[64], err[256] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)s.port);
    long status = -1;
    tdm_buf body = {0};
    assert_int_equal(tdm_sweep_http(url, "GET", "/api/ps", NULL, 5000, &status, &body, err, sizeof err), 0);
    finish(&s);
    assert_int_equal(status, 200);
    assert_string_equal(tdm_buf_str(&body), "{\"models\":[]}");
    tdm_buf_free(&body);
}

/* Runs one failing request and returns its message; status and body stay empty. */
static const char *failure(const char *url, int timeout_ms)
{
    static char err[512];
    long status = -1;
    tdm_buf body = {0};
    assert_int_equal(tdm_sweep_http(url, "GET", "/api/version", NULL, timeout_ms, &status, &body, err, sizeof err),
                     -1);
    assert_int_equal(status, 0);
    assert_int_equal(body.len, 0);
    tdm_buf_free(&body);
    return err;
}

static void test_failures_worded_as_before(void **state)
{
    (void)state;
    assert_string_equal(failure("ftp://127.0.0.1:1", 1000), "'ftp://127.0.0.1:1' is not an http://host[:port] URL");
    assert_string_equal(failure("http://127.0.0.1:x", 1000), "'http://127.0.0.1:x' is not an http://host[:port] URL");

    uint16_t port;
    int lfd = bind_local(&port);
    close(lfd); /* nobody listens there now */
    char url[64], want[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)port);
    snprintf(want, sizeof want, "cannot connect to 127.0.0.1:%u: Connection refused", (unsigned)port);
    assert_string_equal(failure(url, 1000), want);

    assert_true(strncmp(failure("http://no-such-host.invalid:11434", 1000), "cannot resolve no-such-host.invalid: ",
                        37) == 0);

    one_shot s;
    start(&s, NULL, 0); /* accepts, reads, never answers */
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)s.port);
    assert_string_equal(failure(url, 150), "no complete answer within 150 ms");
    finish(&s);

    start(&s, "SSH-2.0-OpenSSH_9.2\r\n\r\n", 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)s.port);
    snprintf(want, sizeof want, "not an HTTP response from %s", url);
    assert_string_equal(failure(url, 5000), want);
    finish(&s);

    start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 20000000\r\n\r\n", 20000000); /* more than the sweep needs */
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)s.port);
    assert_string_equal(failure(url, 5000), "response larger than 16 MiB");
    finish(&s);
}

static void test_url_split(void **state)
{
    (void)state;
    char h[64], p[16], pre[64];
    assert_int_equal(tdm_sweep_url_split("http://h.example:8080/a/b//", h, sizeof h, p, sizeof p, pre, sizeof pre), 0);
    assert_string_equal(h, "h.example");
    assert_string_equal(p, "8080");
    assert_string_equal(pre, "/a/b");
    assert_int_equal(tdm_sweep_url_split("http://[::1]:11434/", h, sizeof h, p, sizeof p, pre, sizeof pre), 0);
    assert_string_equal(h, "::1");
    assert_string_equal(p, "11434");
    assert_string_equal(pre, "");
    assert_int_equal(tdm_sweep_url_split("http://127.0.0.1", h, sizeof h, p, sizeof p, pre, sizeof pre), 0);
    assert_string_equal(p, "80");
    const char *bad[] = {"https://h:1", "HTTP://h:1", "http://:1", "http://h:", "http://h:1x", "http://[::1",
                         "http://h:99999", "127.0.0.1:11434"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(tdm_sweep_url_split(bad[i], h, sizeof h, p, sizeof p, pre, sizeof pre), -1);
    /* a host that does not fit the caller's buffer */
    assert_int_equal(tdm_sweep_url_split("http://h.example:1", h, 4, p, sizeof p, pre, sizeof pre), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_with_prefix),           cmocka_unit_test(test_post_chunked),
        cmocka_unit_test(test_http10_body_until_close),   cmocka_unit_test(test_failures_worded_as_before),
        cmocka_unit_test(test_url_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
