/* test_http1_url.c — which URLs the own client accepts, what it makes of them, and that
 * every refusal says why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http1/http1.h"

typedef struct good {
    const char *url, *host, *authority, *path;
    unsigned port;
    bool ipv6;
} good;

static const good goods[] = {
    {"http://127.0.0.1:11434", "127.0.0.1", "127.0.0.1:11434", "/", 11434, false},
    {"http://127.0.0.1:11434/", "127.0.0.1", "127.0.0.1:11434", "/", 11434, false},
    {"http://localhost:11435/api/generate", "localhost", "localhost:11435", "/api/generate", 11435, false},
    {"HTTP://Example.COM/x", "Example.COM", "Example.COM", "/x", 80, false},
    {"http://host", "host", "host", "/", 80, false},
    {"http://host:80/", "host", "host", "/", 80, false},
    {"http://my_host-1.lan:1/", "my_host-1.lan", "my_host-1.lan:1", "/", 1, false},
    {"http://h:65535/a?b=c&d=e", "h", "h:65535", "/a?b=c&d=e", 65535, false},
    {"http://h?x=1", "h", "h", "/?x=1", 80, false},
    {"http://h/p#frag", "h", "h", "/p", 80, false},
    {"http://h#frag", "h", "h", "/", 80, false},
    {"http://[::1]:11434/api/tags", "::1", "[::1]:11434", "/api/tags", 11434, true},
    {"http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "/", 80, true},
    {"http://h:08080/", "h", "h:8080", "/", 8080, false},
    {"http://h/%7Euser/a%20b", "h", "h", "/%7Euser/a%20b", 80, false},
};

typedef struct bad {
    const char *url, *why; /* why: a substring the message must hold */
} bad;

static const bad bads[] = {
    {"https://127.0.0.1:11434", "https is not supported"},
    {"HTTPS://h/", "https is not supported"},
    {"ftp://h/", "unsupported scheme 'ftp'"},
    {"127.0.0.1:11434", "must start with http://"},
    {"", "must start with http://"},
    {"http://", "host is empty"},
    {"http:///path", "host is empty"},
    {"http://:80/", "host is empty"},
    {"http://h:/", "port after ':' is empty"},
    {"http://h:0/", "port is not a number"},
    {"http://h:65536/", "port is not a number"},
    {"http://h:123456/", "port is not a number"},
    {"http://h:-1/", "port is not a number"},
    {"http://h:8a/", "port is not a number"},
    {"http://h:0011434/", "port is not a number"},
    {"http://h:1:2/", "port is not a number"},
    {"http://user@h/", "user info"},
    {"http://user:pw@h/", "user info"},
    {"http://h o/", "bad character in the host"},
    {"http://h\tx/", "bad character in the host"},
    {"http://h/a b", "in the path"},
    {"http://h/a\r\nX: y", "in the path"},
    {"http://h/caf\xc3\xa9", "in the path"},
    {"http://[::1/", "missing ']'"},
    {"http://[]/", "host is empty"},
    {"http://[::1]x/", "unexpected text after the IPv6"},
    {"http://[fe80::1%eth0]/", "bad character in the IPv6"},
    {"http://h/#a b", "fragment"},
};

static void test_good_urls(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof goods / sizeof goods[0]; i++) {
        const good *g = &goods[i];
        tdm_http1_url u;
        char err[256] = "";
        int rc = tdm_http1_url_parse(g->url, &u, err, sizeof err);
        if (rc != 0)
            fail_msg("'%s' refused: %s", g->url, err);
        assert_string_equal(u.host, g->host);
        assert_string_equal(u.authority, g->authority);
        assert_string_equal(u.path, g->path);
        assert_int_equal(u.port, g->port);
        assert_int_equal(u.ipv6, g->ipv6);
        char port[8];
        snprintf(port, sizeof port, "%u", g->port);
        assert_string_equal(u.port_str, port);
    }
}

static void test_bad_urls(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        tdm_http1_url u;
        char err[256] = "";
        int rc = tdm_http1_url_parse(bads[i].url, &u, err, sizeof err);
        if (rc != TDM_HTTP1_ERR_URL)
            fail_msg("'%s' accepted (rc %d)", bads[i].url, rc);
        if (!strstr(err, bads[i].why))
            fail_msg("'%s': message '%s' lacks '%s'", bads[i].url, err, bads[i].why);
        assert_non_null(strstr(err, "bad URL"));
    }
}

static void test_limits_and_null(void **state)
{
    (void)state;
    tdm_http1_url u;
    char err[64];
    assert_int_equal(tdm_http1_url_parse(NULL, &u, err, sizeof err), TDM_HTTP1_ERR_URL);
    assert_int_equal(tdm_http1_url_parse("http://h/", &u, NULL, 0), 0);
    /* a tiny err buffer is truncated, not overrun */
    char tiny[8];
    assert_int_equal(tdm_http1_url_parse("https://h/", &u, tiny, sizeof tiny), TDM_HTTP1_ERR_URL);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);

    char long_url[TDM_HTTP1_HOST_MAX + TDM_HTTP1_PATH_MAX + 64];
    strcpy(long_url, "http://");
    memset(long_url + 7, 'a', TDM_HTTP1_HOST_MAX);
    strcpy(long_url + 7 + TDM_HTTP1_HOST_MAX, "/");
    assert_int_equal(tdm_http1_url_parse(long_url, &u, err, sizeof err), TDM_HTTP1_ERR_URL);
    memset(long_url + 7, 'a', TDM_HTTP1_HOST_MAX - 1);
    strcpy(long_url + 7 + TDM_HTTP1_HOST_MAX - 1, "/");
    assert_int_equal(tdm_http1_url_parse(long_url, &u, err, sizeof err), 0);
    assert_int_equal(strlen(u.host), TDM_HTTP1_HOST_MAX - 1);

    strcpy(long_url, "http://h/");
    memset(long_url + 9, 'p', TDM_HTTP1_PATH_MAX);
    long_url[9 + TDM_HTTP1_PATH_MAX] = '\0';
    assert_int_equal(tdm_http1_url_parse(long_url, &u, err, sizeof err), TDM_HTTP1_ERR_URL);
    long_url[9 + TDM_HTTP1_PATH_MAX - 2] = '\0';
    assert_int_equal(tdm_http1_url_parse(long_url, &u, err, sizeof err), 0);
    assert_int_equal(strlen(u.path), TDM_HTTP1_PATH_MAX - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_urls),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_limits_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
