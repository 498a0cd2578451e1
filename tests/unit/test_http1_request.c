/* test_http1_request.c — the exact bytes of the requests the own client sends, and the
 * refusals that keep a path or method from injecting headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http1/http1.h"

static tdm_http1_url url(const char *text)
{
    tdm_http1_url u;
    char err[256];
    assert_int_equal(tdm_http1_url_parse(text, &u, err, sizeof err), 0);
    return u;
}

static void test_post_generate(void **state)
{
    (void)state;
    tdm_http1_url u = url("http://127.0.0.1:11434");
    tdm_buf out = {0};
    const char *body = "{\"model\":\"m\",\"prompt\":\"hi\"}";
    assert_int_equal(tdm_http1_request_write(&out, "POST", &u, "/api/generate", body, strlen(body),
                                             NULL, 0), 0);
    assert_string_equal(tdm_buf_str(&out),
                        "POST /api/generate HTTP/1.1\r\n"
                        "Host: 127.0.0.1:11434\r\n"
                        "Content-Type: application/json\r\n"
                        "Content-Length: 27\r\n"
                        "Connection: keep-alive\r\n"
                        "Accept: application/x-ndjson\r\n"
                        "\r\n"
                        "{\"model\":\"m\",\"prompt\":\"hi\"}");
    tdm_buf_free(&out);
}

static void test_get_and_defaults(void **state)
{
    (void)state;
    tdm_http1_url u = url("http://[::1]/api/version");
    tdm_buf out = {0};
    assert_int_equal(tdm_http1_request_write(&out, "GET", &u, NULL, NULL, 0, NULL, 0), 0);
    assert_string_equal(tdm_buf_str(&out), "GET /api/version HTTP/1.1\r\nHost: [::1]\r\n"
                                           "Connection: keep-alive\r\nAccept: */*\r\n\r\n");
    tdm_buf_reset(&out);
    /* POST without a body still states its length; appending keeps what was there */
    assert_int_equal(tdm_buf_append_str(&out, "X"), 0);
    assert_int_equal(tdm_http1_request_write(&out, "POST", &u, "/api/x", NULL, 0, NULL, 0), 0);
    assert_string_equal(tdm_buf_str(&out), "XPOST /api/x HTTP/1.1\r\nHost: [::1]\r\n"
                                           "Content-Length: 0\r\n"
                                           "Connection: keep-alive\r\nAccept: */*\r\n\r\n");
    tdm_buf_free(&out);
}

static void test_body_with_nul(void **state)
{
    (void)state;
    tdm_http1_url u = url("http://h:1/");
    tdm_buf out = {0};
    assert_int_equal(tdm_http1_request_write(&out, "PUT", &u, NULL, "a\0b", 3, NULL, 0), 0);
    assert_non_null(strstr(out.data, "Content-Length: 3\r\n"));
    assert_memory_equal(out.data + out.len - 3, "a\0b", 3);
    tdm_buf_free(&out);
}

static void test_refusals(void **state)
{
    (void)state;
    tdm_http1_url u = url("http://h/");
    tdm_buf out = {0};
    char err[128];
    const char *bad_methods[] = {"", "GE T", "GET\r\nX: y", "G(T", "AVERYLONGMETHODNAMETHATKEEPSGOINGON"};
    for (size_t i = 0; i < sizeof bad_methods / sizeof bad_methods[0]; i++) {
        err[0] = '\0';
        assert_int_equal(tdm_http1_request_write(&out, bad_methods[i], &u, "/", NULL, 0, err, sizeof err),
                         TDM_HTTP1_ERR_ARG);
        assert_non_null(strstr(err, "method"));
    }
    const char *bad_paths[] = {"", "api", "/a b", "/a\r\nX: y", "/\x7f", "/caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
        err[0] = '\0';
        assert_int_equal(tdm_http1_request_write(&out, "GET", &u, bad_paths[i], NULL, 0, err, sizeof err),
                         TDM_HTTP1_ERR_ARG);
        assert_non_null(strstr(err, "path"));
    }
    assert_int_equal(out.len, 0);
    assert_int_equal(tdm_http1_request_write(NULL, "GET", &u, "/", NULL, 0, err, sizeof err),
                     TDM_HTTP1_ERR_ARG);
    tdm_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_generate),
        cmocka_unit_test(test_get_and_defaults),
        cmocka_unit_test(test_body_with_nul),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
