/* test_core_server_memory.c — /api/ps snapshots through a stand-in fetch: one entry per
 * distinct server (a trailing slash names the same one), the models' sizes kept, and a
 * server that is down, answers an error status or answers nonsense recorded as an error
 * instead of models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/server_memory.h"

static const char ps_body[] =
    "{\"models\":[{\"name\":\"gemma3:latest\",\"model\":\"gemma3:latest\",\"size\":3338801804,"
    "\"digest\":\"abc\",\"expires_at\":\"2026-01-01T00:00:00Z\",\"size_vram\":1000,\"context_length\":4096},"
    "{\"name\":\"x\",\"size\":\"big\"}]}";

static int calls;

/* :1 answers /api/ps, :2 is down, :3 says 404, :4 answers text. */
static int fake_fetch(tdm_runtime *rt, const char *url, const char *body, long timeout_ms, long *status,
                      tdm_buf *out, char *err, size_t errlen)
{
    (void)rt;
    (void)body;
    (void)timeout_ms;
    calls++;
    assert_non_null(strstr(url, "/api/ps"));
    if (strstr(url, ":2/")) {
        snprintf(err, errlen, "Connection refused");
        return -1;
    }
    *status = strstr(url, ":3/") ? 404 : 200;
    tdm_buf_append_str(out, strstr(url, ":4/") ? "Ollama is running" : strstr(url, ":3/") ? "404" : ps_body);
    return 0;
}

static void test_snapshot(void **state)
{
    (void)state;
    tdm_runtime_ops ops = {.fetch = fake_fetch};
    tdm_agent agents[5] = {
        {.url = "http://h:1"}, {.url = "http://h:1/"}, {.url = "http://h:2"},
        {.url = "http://h:3"}, {.url = "http://h:4"},
    };
    tdm_scenario s = {.agents = agents, .n_agents = 5};
    json_t *arr = json_array();
    calls = 0;
    tdm_server_memory_snapshot(&ops, NULL, &s, 2, TDM_PHASE_CONCURRENT, true, arr);
    assert_int_equal(calls, 4);
    assert_int_equal(json_array_size(arr), 4);
    json_t *e = json_array_get(arr, 0);
    assert_int_equal(json_integer_value(json_object_get(e, "run")), 2);
    assert_string_equal(json_string_value(json_object_get(e, "phase")), "concurrent");
    assert_string_equal(json_string_value(json_object_get(e, "when")), "after");
    assert_string_equal(json_string_value(json_object_get(e, "url")), "http://h:1");
    json_t *m = json_array_get(json_object_get(e, "models"), 0);
    assert_string_equal(json_string_value(json_object_get(m, "name")), "gemma3:latest");
    assert_int_equal(json_integer_value(json_object_get(m, "size")), 3338801804LL);
    assert_int_equal(json_integer_value(json_object_get(m, "size_vram")), 1000);
    json_t *m2 = json_array_get(json_object_get(e, "models"), 1);
    assert_true(json_is_null(json_object_get(m2, "size")) && json_is_null(json_object_get(m2, "size_vram")));
    assert_null(json_object_get(e, "error"));

    const char *want[] = {"Connection refused", "HTTP 404", "not JSON"};
    for (size_t i = 0; i < 3; i++) {
        json_t *x = json_array_get(arr, i + 1);
        assert_null(json_object_get(x, "models"));
        const char *msg = json_string_value(json_object_get(x, "error"));
        assert_non_null(msg);
        assert_non_null(strstr(msg, "/api/ps: "));
        assert_non_null(strstr(msg, want[i]));
    }
    tdm_server_memory_snapshot(&ops, NULL, &s, 1, TDM_PHASE_WARMUP, false, arr);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 4), "when")), "before");
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 4), "phase")), "warmup");
    json_decref(arr);
}

static void test_parse(void **state)
{
    (void)state;
    char err[256];
#define PARSE(text) tdm_server_memory_parse(text, strlen(text), err, sizeof err)
    json_t *m = PARSE("{\"models\":[]}");
    assert_int_equal(json_array_size(m), 0);
    json_decref(m);
    assert_null(PARSE("{\"models\":{}}"));
    assert_non_null(strstr(err, "no \"models\" list"));
    assert_null(PARSE(""));
    assert_non_null(strstr(err, "not JSON"));
    m = PARSE("{\"models\":[1, null, {\"name\": 5}]}");
    assert_int_equal(json_array_size(m), 3);
    assert_true(json_is_null(json_object_get(json_array_get(m, 2), "name")));
    json_decref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
