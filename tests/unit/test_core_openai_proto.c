/* test_core_openai_proto.c — the OpenAI chat completion parser (src/core/openai_proto.c)
 * on what Ollama, llama.cpp's llama-server and vLLM send: content and reasoning deltas,
 * the usage block, llama-server's timings, finish_reason, whole replies, and errors in
 * OpenAI's shape; a member of the wrong type is an error that names it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/openai_proto.h"

static tdm_openai_chunk parse_ok(const char *json)
{
    tdm_openai_chunk c;
    char err[256];
    int rc = tdm_openai_parse(json, strlen(json), &c, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    return c;
}

/* Returns the error message for json, which must not parse. */
static const char *parse_bad(const char *json)
{
    static char err[256];
    tdm_openai_chunk c;
    assert_int_equal(tdm_openai_parse(json, strlen(json), &c, err, sizeof err), -1);
    assert_null(c.content);
    tdm_openai_chunk_clear(&c);
    return err;
}

static void test_content_chunk(void **state)
{
    (void)state;
    tdm_openai_chunk c = parse_ok(
        "{\"id\":\"chatcmpl-482\",\"object\":\"chat.completion.chunk\",\"created\":1795808203,\"model\":\"tiny\","
        "\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
        "\"content\":\" r\\u00e9\"},\"finish_reason\":null}]}");
    assert_int_equal(c.content_len, 4);
    assert_string_equal(c.content, " r\xc3\xa9");
    assert_int_equal(c.reasoning_len, 0);
    assert_string_equal(c.reasoning, "");
    assert_null(c.error);
    assert_string_equal(c.finish_reason, "");
    assert_string_equal(c.model, "tiny");
    assert_false(c.whole);
    assert_int_equal(c.counters.eval_count, -1);
    assert_int_equal(c.counters.prompt_eval_count, -1);
    tdm_openai_chunk_clear(&c);

    /* the role-only first delta of vLLM and OpenAI, and a null content */
    c = parse_ok("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}");
    assert_int_equal(c.content_len, 0);
    assert_non_null(c.content);
    tdm_openai_chunk_clear(&c);
    c = parse_ok("{\"choices\":[{\"delta\":{\"content\":null}}]}");
    assert_int_equal(c.content_len, 0);
    tdm_openai_chunk_clear(&c);
    /* "\u0000" is kept: lengths, not C strings */
    c = parse_ok("{\"choices\":[{\"delta\":{\"content\":\"a\\u0000b\"}}]}");
    assert_int_equal(c.content_len, 3);
    assert_memory_equal(c.content, "a\0b", 3);
    tdm_openai_chunk_clear(&c);
}

static void test_finish_and_usage(void **state)
{
    (void)state;
    tdm_openai_chunk c = parse_ok("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                                  "\"finish_reason\":\"length\"}]}");
    assert_string_equal(c.finish_reason, "length");
    tdm_openai_chunk_clear(&c);
    /* Ollama's usage event: "choices": [] */
    c = parse_ok("{\"id\":\"chatcmpl-482\",\"object\":\"chat.completion.chunk\",\"model\":\"tiny\",\"choices\":[],"
                 "\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":8,\"total_tokens\":10}}");
    assert_int_equal(c.counters.prompt_eval_count, 2);
    assert_int_equal(c.counters.eval_count, 8);
    assert_int_equal(c.counters.eval_duration_ns, -1);
    assert_int_equal(c.counters.prompt_eval_duration_ns, -1);
    assert_int_equal(c.counters.total_duration_ns, -1);
    assert_int_equal(c.counters.load_duration_ns, -1);
    assert_int_equal(c.content_len, 0);
    tdm_openai_chunk_clear(&c);
    /* "usage": null on every chunk (vLLM with include_usage) is no usage */
    c = parse_ok("{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":null}");
    assert_int_equal(c.counters.eval_count, -1);
    tdm_openai_chunk_clear(&c);
}

/* llama-server's timings: durations in ms, counts beside them; the usage block's counts
 * win over timings' where both are there. */
static void test_timings(void **state)
{
    (void)state;
    tdm_openai_chunk c = parse_ok(
        "{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}],\"created\":1,\"model\":\"m\","
        "\"object\":\"chat.completion.chunk\",\"timings\":{\"prompt_n\":5,\"prompt_ms\":12.5,"
        "\"prompt_per_token_ms\":2.5,\"prompt_per_second\":400.0,\"predicted_n\":10,\"predicted_ms\":250.25,"
        "\"predicted_per_token_ms\":25.0,\"predicted_per_second\":40.0}}");
    assert_int_equal(c.counters.prompt_eval_count, 5);
    assert_int_equal(c.counters.eval_count, 10);
    assert_int_equal(c.counters.prompt_eval_duration_ns, 12500000);
    assert_int_equal(c.counters.eval_duration_ns, 250250000);
    assert_string_equal(c.finish_reason, "stop");
    tdm_openai_chunk_clear(&c);
    c = parse_ok("{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":10},"
                 "\"timings\":{\"prompt_n\":5,\"prompt_ms\":1,\"predicted_n\":10,\"predicted_ms\":2}}");
    assert_int_equal(c.counters.prompt_eval_count, 9);
    assert_int_equal(c.counters.eval_count, 10);
    assert_int_equal(c.counters.prompt_eval_duration_ns, 1000000);
    assert_int_equal(c.counters.eval_duration_ns, 2000000);
    tdm_openai_chunk_clear(&c);

    /* counters arriving over several events accumulate */
    tdm_server_counters acc;
    tdm_server_counters_init(&acc);
    tdm_server_counters t = {-1, -1, 5, 1000, 10, 2000}, u = {-1, -1, 9, -1, 10, -1};
    tdm_openai_merge_counters(&acc, &t);
    tdm_openai_merge_counters(&acc, &u);
    assert_int_equal(acc.prompt_eval_count, 9);
    assert_int_equal(acc.prompt_eval_duration_ns, 1000);
    assert_int_equal(acc.eval_count, 10);
    assert_int_equal(acc.eval_duration_ns, 2000);
    assert_int_equal(acc.total_duration_ns, -1);
}

static void test_reasoning_deltas(void **state)
{
    (void)state;
    /* Ollama: "reasoning"; llama-server and vLLM: "reasoning_content" */
    tdm_openai_chunk c = parse_ok("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\","
                                  "\"reasoning\":\"Let me think\"}}]}");
    assert_int_equal(c.reasoning_len, 12);
    assert_string_equal(c.reasoning, "Let me think");
    assert_int_equal(c.content_len, 0);
    tdm_openai_chunk_clear(&c);
    c = parse_ok("{\"choices\":[{\"delta\":{\"reasoning_content\":\"hm\",\"content\":null}}]}");
    assert_string_equal(c.reasoning, "hm");
    tdm_openai_chunk_clear(&c);
    /* both: "reasoning" wins */
    c = parse_ok("{\"choices\":[{\"delta\":{\"reasoning\":\"a\",\"reasoning_content\":\"b\"}}]}");
    assert_string_equal(c.reasoning, "a");
    tdm_openai_chunk_clear(&c);
}

static void test_whole_reply(void **state)
{
    (void)state;
    tdm_openai_chunk c = parse_ok(
        "{\"id\":\"chatcmpl-180\",\"object\":\"chat.completion\",\"created\":1795808203,\"model\":\"tiny\","
        "\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":\" ru wp tn?o th\"},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":2,"
        "\"completion_tokens\":8,\"total_tokens\":10}}");
    assert_true(c.whole);
    assert_string_equal(c.content, " ru wp tn?o th");
    assert_string_equal(c.finish_reason, "length");
    assert_int_equal(c.counters.eval_count, 8);
    tdm_openai_chunk_clear(&c);
}

static void test_errors(void **state)
{
    (void)state;
    /* Ollama's 404 body, and the same object as an event mid-stream */
    tdm_openai_chunk c = parse_ok("{\"error\":{\"message\":\"model 'nosuchmodel' not found\",\"type\":\"api_error\","
                                  "\"param\":null,\"code\":null}}");
    assert_string_equal(c.error, "model 'nosuchmodel' not found");
    tdm_openai_chunk_clear(&c);
    /* a bare string (some proxies), and an error object without a message */
    c = parse_ok("{\"error\":\"upstream timed out\"}");
    assert_string_equal(c.error, "upstream timed out");
    tdm_openai_chunk_clear(&c);
    c = parse_ok("{\"error\":{\"code\":500}}");
    assert_non_null(strstr(c.error, "no message"));
    tdm_openai_chunk_clear(&c);
    c = parse_ok("{\"error\":null,\"choices\":[]}");
    assert_null(c.error);
    tdm_openai_chunk_clear(&c);
}

static void test_wrong_types_name_the_member(void **state)
{
    (void)state;
    assert_non_null(strstr(parse_bad("{\"choices\":{}}"), "\"choices\" is an object, expected an array"));
    assert_non_null(strstr(parse_bad("{\"choices\":[1]}"), "\"choices[0]\" is an integer"));
    assert_non_null(strstr(parse_bad("{\"choices\":[{\"delta\":{\"content\":5}}]}"), "choices[0].delta.content"));
    assert_non_null(strstr(parse_bad("{\"choices\":[{\"message\":{\"content\":[]}}]}"),
                           "choices[0].message.content"));
    assert_non_null(strstr(parse_bad("{\"choices\":[{\"delta\":{\"reasoning_content\":1}}]}"),
                           "choices[0].delta.reasoning_content"));
    assert_non_null(strstr(parse_bad("{\"choices\":[{\"finish_reason\":1}]}"), "finish_reason"));
    assert_non_null(strstr(parse_bad("{\"usage\":{\"completion_tokens\":-1}}"), "usage.completion_tokens"));
    assert_non_null(strstr(parse_bad("{\"usage\":{\"prompt_tokens\":1.5}}"), "usage.prompt_tokens"));
    assert_non_null(strstr(parse_bad("{\"usage\":[]}"), "\"usage\""));
    assert_non_null(strstr(parse_bad("{\"timings\":{\"predicted_ms\":\"x\"}}"), "timings.predicted_ms"));
    assert_non_null(strstr(parse_bad("{\"error\":{\"message\":1}}"), "error.message"));
    assert_non_null(strstr(parse_bad("{\"error\":7}"), "\"error\""));
    assert_non_null(strstr(parse_bad("{\"model\":1}"), "\"model\""));
    /* not an object, not JSON, empty; the message quotes the start of the event */
    assert_non_null(strstr(parse_bad("[1,2]"), "expected a JSON object, got an array"));
    const char *e = parse_bad("{\"choices\": [");
    assert_non_null(strstr(e, "not valid JSON"));
    assert_non_null(strstr(e, "event: {\"choices\": ["));
    assert_non_null(strstr(parse_bad(""), "not valid JSON"));
    assert_non_null(strstr(parse_bad("[DONE]"), "not valid JSON"));
}

static void test_done_sentinel(void **state)
{
    (void)state;
    assert_true(tdm_openai_is_done("[DONE]", 6));
    assert_true(tdm_openai_is_done(" [DONE] ", 8));
    assert_false(tdm_openai_is_done("[DONE", 5));
    assert_false(tdm_openai_is_done("[done]", 6));
    assert_false(tdm_openai_is_done("\"[DONE]\"", 8));
    assert_false(tdm_openai_is_done("", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_chunk),     cmocka_unit_test(test_finish_and_usage),
        cmocka_unit_test(test_timings),           cmocka_unit_test(test_reasoning_deltas),
        cmocka_unit_test(test_whole_reply),       cmocka_unit_test(test_errors),
        cmocka_unit_test(test_wrong_types_name_the_member), cmocka_unit_test(test_done_sentinel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
