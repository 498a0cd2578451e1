/* test_core_openai_fastchunk.c — holds the tree-free event reader
 * (src/core/openai_fastchunk.c) to its promise: every object it accepts, jansson's tree
 * path accepts with the very same fields, and it takes the chunks a stream is made of.
 * Chunks as Ollama, llama-server and vLLM send them, objects it must leave to the tree
 * path, and tens of thousands of seeded mutations of the real ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/openai_proto.h"
#include "support/json_mutation.h"

/* Objects the fast path must take: real chunks, and valid variations a server could send. */
static const char *const accepted[] = {
    /* Ollama 0.11.4 (tests/e2e/captures/openai-chat-stream.txt) */
    "{\"id\":\"chatcmpl-661\",\"object\":\"chat.completion.chunk\",\"created\":1796652116,\"model\":\"tiny\","
    "\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\" ru\"},"
    "\"finish_reason\":null}]}",
    "{\"id\":\"chatcmpl-661\",\"object\":\"chat.completion.chunk\",\"created\":1796652116,\"model\":\"tiny\","
    "\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
    "\"finish_reason\":\"stop\"}]}",
    /* a whole reply without usage */
    "{\"id\":\"chatcmpl-420\",\"object\":\"chat.completion\",\"created\":1796652116,\"model\":\"tiny\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\" ru wp tn?o th\"},\"finish_reason\":\"stop\"}]}",
    /* llama-server: reasoning_content, null content, usage and timings given as null */
    "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"reasoning_content\":\"Let me\",\"content\":null}}],"
    "\"created\":1765000000,\"id\":\"chatcmpl-x\",\"model\":\"gpt-3.5-turbo\",\"system_fingerprint\":\"b1-de3ff81\","
    "\"object\":\"chat.completion.chunk\",\"usage\":null,\"timings\":null}",
    /* vLLM: a logprobs member, "reasoning" beside "reasoning_content" (the first wins) */
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"reasoning\":\"r1\",\"reasoning_content\":\"r2\"},\"logprobs\":{\"content\":[{\"token\":\"a\","
    "\"logprob\":-0.25,\"bytes\":[97],\"top_logprobs\":[]}]},\"finish_reason\":null,\"stop_reason\":null}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"line\\nbreak \\\"q\\\" \\\\ \\/ \\b\\f\\r\\t\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"\\u00e9\\u4e2d\\ud83d\\ude00 and \\u0000 nul\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"}}]}",
    "{\"choices\":[{\"delta\":null,\"message\":{\"content\":\"whole\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"delta wins\"},\"message\":{\"content\":\"whole loses\"}}]}",
    "{\"choices\":[{\"delta\":{}},{\"delta\":{\"content\":\"second choice ignored\"}},7,\"x\"]}",
    "{\"choices\":[],\"model\":null}",
    "{\"choices\":null}",
    "{}",
    "  {  \"choices\" : [ { \"delta\" : { \"content\" : \"x\" } } ] ,\r\n\t\"model\" : \"m\" }  \r\n",
    "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}",
    "{\"model\":\"a-model-name-that-is-longer-than-the-label-field-of-one-hundred-and-twenty-eight-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx:latest\"}",
    "{\"choices\":[{\"finish_reason\":\"a finish reason longer than thirty-one bytes\"}]}",
    "{\"model\":\"esc\\u0061ped \\\"label\\\"\",\"choices\":[{\"finish_reason\":\"st\\u006fp\"}]}",
    "{\"\":1,\"x\":{\"nested\":[[[]],{}]},\"num\":-0,\"big\":123456789012345678,\"r\":0.000001,\"choices\":[{\"delta\":{\"content\":\"a\"}}]}",
};

/* Valid or invalid objects the fast path must leave to the tree path. */
static const char *const declined[] = {
    "{\"error\":{\"message\":\"model \\\"x\\\" not found\",\"type\":\"api_error\",\"param\":null,\"code\":null}}",
    "{\"error\":null,\"choices\":[{\"delta\":{\"content\":\"x\"}}]}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":9,\"total_tokens\":11}}",
    "{\"choices\":[{\"delta\":{}}],\"timings\":{\"prompt_n\":1,\"predicted_ms\":2.5}}",
    "{\"choices\":[{\"delta\":{\"content\":\"a\",\"content\":\"b\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"a\"},\"delta\":{\"content\":\"b\"}}]}",
    "{\"choices\":[],\"choices\":[{\"delta\":{\"content\":\"b\"}}]}",
    "{\"model\":\"a\",\"model\":\"b\"}",
    "{\"usage\":null,\"usage\":{\"completion_tokens\":3}}",
    "{\"choices\":[{\"delta\":{\"cont\\u0065nt\":\"escaped key\"}}]}",
    "{\"x\":1e3,\"choices\":[]}",
    "{\"x\":1234567890123456789}",
    "{\"choices\":[{\"delta\":{\"content\":7}}]}",
    "{\"choices\":[{\"delta\":{\"reasoning\":true}}]}",
    "{\"choices\":[{\"delta\":\"text\"}]}",
    "{\"choices\":[{\"message\":[]}]}",
    "{\"choices\":[{\"finish_reason\":1}]}",
    "{\"choices\":[7]}",
    "{\"choices\":{}}",
    "{\"model\":7}",
    "{\"choices\":[{\"delta\":{\"content\":\"\\ud83d\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"\xc3\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"tab\there\"}}]}",
    "{\"choices\":[]} x",
    "{\"choices\":[],}",
    "{\"choices\":[{\"delta\":{}},]}",
    "{\"choices\":[{\"delta\":{}}]",
    "[1,2]",
    "\"string\"",
    "",
    "   ",
    "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
};

static void assert_cleared(const tdm_openai_chunk *c)
{
    assert_null(c->content);
    assert_null(c->reasoning);
    assert_null(c->error);
    assert_false(c->whole);
    assert_string_equal(c->model, "");
    assert_string_equal(c->finish_reason, "");
    assert_int_equal(c->counters.eval_count, -1);
}

/* Compares both paths on one object; returns whether the fast path took it. When it did,
 * the tree path must have accepted it with the same fields. */
static bool compare(const char *data, size_t len)
{
    tdm_openai_chunk fast, tree;
    char err[256];
    bool took = tdm_openai_parse_fast(data, len, &fast);
    int rc = tdm_openai_parse_tree(data, len, &tree, err, sizeof err);
    if (took) {
        if (rc != 0)
            fail_msg("fast path accepted an object jansson refuses (%s): %.*s", err, (int)len, data);
        if (fast.content_len != tree.content_len || fast.reasoning_len != tree.reasoning_len ||
            memcmp(fast.content, tree.content, fast.content_len + 1) != 0 ||
            memcmp(fast.reasoning, tree.reasoning, fast.reasoning_len + 1) != 0 || fast.error || tree.error ||
            fast.whole != tree.whole || strcmp(fast.model, tree.model) != 0 ||
            strcmp(fast.finish_reason, tree.finish_reason) != 0 ||
            memcmp(&fast.counters, &tree.counters, sizeof fast.counters) != 0)
            fail_msg("fast and tree paths differ on: %.*s", (int)len, data);
    } else {
        assert_cleared(&fast);
    }
    tdm_openai_chunk_clear(&fast);
    tdm_openai_chunk_clear(&tree);
    return took;
}

static void test_real_chunks_take_the_fast_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++)
        if (!compare(accepted[i], strlen(accepted[i])))
            fail_msg("fast path declined object %zu: %s", i, accepted[i]);
}

static void test_values_read(void **state)
{
    (void)state;
    tdm_openai_chunk c;
    assert_true(tdm_openai_parse_fast(accepted[0], strlen(accepted[0]), &c));
    assert_string_equal(c.content, " ru");
    assert_string_equal(c.model, "tiny");
    assert_string_equal(c.finish_reason, "");
    assert_false(c.whole);
    tdm_openai_chunk_clear(&c);

    assert_true(tdm_openai_parse_fast(accepted[2], strlen(accepted[2]), &c));
    assert_true(c.whole);
    assert_string_equal(c.content, " ru wp tn?o th");
    assert_string_equal(c.finish_reason, "stop");
    tdm_openai_chunk_clear(&c);

    assert_true(tdm_openai_parse_fast(accepted[3], strlen(accepted[3]), &c));
    assert_string_equal(c.reasoning, "Let me");
    assert_int_equal(c.content_len, 0);
    tdm_openai_chunk_clear(&c);

    assert_true(tdm_openai_parse_fast(accepted[4], strlen(accepted[4]), &c));
    assert_string_equal(c.reasoning, "r1");
    tdm_openai_chunk_clear(&c);

    assert_true(tdm_openai_parse_fast(accepted[6], strlen(accepted[6]), &c));
    static const char want[] = "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80 and \0 nul";
    assert_int_equal(c.content_len, sizeof want - 1);
    assert_memory_equal(c.content, want, sizeof want);
    tdm_openai_chunk_clear(&c);
}

/* Bytes after the given length are not looked at. */
static void test_length_bounds_the_object(void **state)
{
    (void)state;
    const char buf[] = "{\"choices\":[{\"delta\":{\"content\":\"ab\"}}]}{\"choices\":[]}";
    tdm_openai_chunk c;
    assert_true(tdm_openai_parse_fast(buf, 40, &c));
    assert_string_equal(c.content, "ab");
    tdm_openai_chunk_clear(&c);
    assert_false(tdm_openai_parse_fast(buf, 39, &c));
    assert_cleared(&c);
}

static void test_declined_objects_go_to_the_tree_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++)
        if (compare(declined[i], strlen(declined[i])))
            fail_msg("fast path took object %zu, which it must leave to jansson: %s", i, declined[i]);
    /* And the public parser still gives the tree path's results for them. */
    tdm_openai_chunk c;
    char err[256];
    assert_int_equal(tdm_openai_parse(declined[0], strlen(declined[0]), &c, err, sizeof err), 0);
    assert_string_equal(c.error, "model \"x\" not found");
    tdm_openai_chunk_clear(&c);
    assert_int_equal(tdm_openai_parse(declined[2], strlen(declined[2]), &c, err, sizeof err), 0);
    assert_int_equal(c.counters.eval_count, 9);
    tdm_openai_chunk_clear(&c);
    assert_int_equal(tdm_openai_parse(declined[12], strlen(declined[12]), &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"choices[0].delta.content\" is an integer, expected a string or null"));
}

/* Seeded mutations of the accepted objects: flips, insertions, deletions, cuts and
 * duplicated spans. Whatever the fast path takes, the tree path must agree with. */
static void test_mutations_agree_with_jansson(void **state)
{
    (void)state;
    size_t total = 40000;
    size_t taken = test_mutation_rounds(accepted, sizeof accepted / sizeof accepted[0], 20261207, (int)total, compare);
    /* Many mutations leave the object valid (inside a string, a changed key): some must
     * take the fast path, or this test exercised nothing. */
    assert_true(taken > total / 20);
    assert_true(taken < total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_chunks_take_the_fast_path),
        cmocka_unit_test(test_values_read),
        cmocka_unit_test(test_length_bounds_the_object),
        cmocka_unit_test(test_declined_objects_go_to_the_tree_path),
        cmocka_unit_test(test_mutations_agree_with_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
