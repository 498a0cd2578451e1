/* test_sim_openai.c — the OpenAI-compatible API's bodies and JSON (src/sim/openai_*.c,
 * src/sim/genwire.c): what a /v1/chat/completions body becomes, which layer refuses a bad
 * one, and the exact bytes of chunks, the end of a stream, whole answers and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/genwire.h"
#include "sim/openai.h"

static char err[512];

static int parse(const char *body, tdm_sim_genreq *r)
{
    err[0] = '\0';
    return tdm_sim_oai_parse(body, strlen(body), r, err, sizeof err);
}

static void test_parse(void **state)
{
    (void)state;
    tdm_sim_genreq r;
    assert_int_equal(parse("{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}]}", &r),
                     TDM_SIM_OAI_OK);
    assert_int_equal(r.api, TDM_SIM_API_OPENAI);
    assert_true(r.chat);
    assert_false(r.stream); /* a plain bool in ChatCompletionRequest */
    assert_false(r.include_usage);
    assert_false(r.empty);
    assert_int_equal(r.num_predict, 0);
    assert_string_equal(r.model, "tiny");
    /* The same message through /api/chat counts and seeds the same. */
    tdm_sim_genreq c;
    const char *chat = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}]}";
    assert_int_equal(tdm_sim_genreq_parse(chat, strlen(chat), true, &c, err, sizeof err), 0);
    assert_int_equal(r.prompt_tokens, c.prompt_tokens);
    assert_true(r.prompt_hash == c.prompt_hash);
    tdm_sim_genreq_free(&c);
    tdm_sim_genreq_free(&r);

    assert_int_equal(parse("{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                           "\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                           "\"max_tokens\":12,\"seed\":7,\"stop\":[\"a\"],\"temperature\":0.5}", &r),
                     TDM_SIM_OAI_OK);
    assert_true(r.stream);
    assert_true(r.include_usage);
    assert_int_equal(r.num_predict, 12);
    assert_true(r.has_seed);
    assert_int_equal(r.seed, 7);
    tdm_sim_genreq_free(&r);
    /* max_tokens 0 or below: no limit, as num_predict. */
    assert_int_equal(parse("{\"model\":\"t\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":-1}", &r),
                     TDM_SIM_OAI_OK);
    assert_int_equal(r.num_predict, 0);
    tdm_sim_genreq_free(&r);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct { const char *body; int kind; const char *msg; } cases[] = {
        {"", TDM_SIM_OAI_MIDDLEWARE_ERROR, "EOF"},
        {"{\"model\":", TDM_SIM_OAI_MIDDLEWARE_ERROR, "unexpected EOF"},
        {"{\"model\":\"t\"}", TDM_SIM_OAI_MIDDLEWARE_ERROR, "[] is too short - 'messages'"},
        {"{\"model\":\"t\",\"messages\":[{\"role\":\"user\"}]}", TDM_SIM_OAI_MIDDLEWARE_ERROR,
         "invalid message content type: <nil>"},
        {"{\"model\":\"t\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}",
         TDM_SIM_OAI_MIDDLEWARE_ERROR, "invalid message format"},
        {"{\"max_tokens\":1.5,\"model\":5,\"messages\":[]}", TDM_SIM_OAI_MIDDLEWARE_ERROR,
         "json: cannot unmarshal number 1.5 into Go struct field ChatCompletionRequest.max_tokens of type int"},
        {"{\"model\":\"t\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":{\"include_usage\":\"y\"}}",
         TDM_SIM_OAI_MIDDLEWARE_ERROR,
         "json: cannot unmarshal string into Go struct field StreamOptions.stream_options.include_usage of type bool"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", TDM_SIM_OAI_HANDLER_ERROR, "model is required"},
        {"{\"model\":\"a b\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", TDM_SIM_OAI_HANDLER_ERROR,
         "model is required"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tdm_sim_genreq r;
        int got = parse(cases[i].body, &r);
        if (got != cases[i].kind || strcmp(err, cases[i].msg) != 0)
            fail_msg("%s: got %d '%s', want %d '%s'", cases[i].body, got, err, cases[i].kind, cases[i].msg);
        assert_null(r.model);
    }
}

static void test_owner(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"tiny:latest", "library"}, {"tiny", "library"}, {"user/m:7b", "user"},
        {"host.io/ns/m:1", "ns"}, {"host:5000/ns/m", "ns"}, {"a/b/c/d", "c"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        tdm_sim_oai_owner(cases[i][0], out, sizeof out);
        if (strcmp(out, cases[i][1]) != 0)
            fail_msg("%s: owner '%s', want '%s'", cases[i][0], out, cases[i][1]);
    }
}

static void test_bytes(void **state)
{
    (void)state;
    tdm_buf b = {0};
    assert_int_equal(tdm_sim_oai_chunk(&b, 482, 1795808203, "tiny", " <w>", 4, NULL), 0);
    assert_string_equal(tdm_buf_str(&b),
                        "{\"id\":\"chatcmpl-482\",\"object\":\"chat.completion.chunk\",\"created\":1795808203,"
                        "\"model\":\"tiny\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,"
                        "\"delta\":{\"role\":\"assistant\",\"content\":\" \\u003cw\\u003e\"},\"finish_reason\":null}]}");
    tdm_buf_reset(&b);
    assert_int_equal(tdm_sim_oai_models(&b, NULL, 0), 0);
    assert_string_equal(tdm_buf_str(&b), "{\"object\":\"list\",\"data\":null}\n");
    tdm_buf_reset(&b);
    assert_int_equal(tdm_sim_oai_error(&b, "invalid_request_error", "EOF"), 0);
    assert_string_equal(tdm_buf_str(&b), "{\"error\":{\"message\":\"EOF\",\"type\":\"invalid_request_error\","
                                         "\"param\":null,\"code\":null}}");

    /* The end of a stream: finish, usage and [DONE] in one payload. */
    tdm_sim_genreq rq = {.api = TDM_SIM_API_OPENAI, .chat = true, .stream = true,
                         .include_usage = true, .model = "tiny"};
    tdm_sim_counters k = {.prompt_eval_count = 2, .eval_count = 8};
    tdm_sim_genend e = {.done_reason = "length", .counters = &k};
    tdm_buf_reset(&b);
    assert_int_equal(tdm_sim_genwire_end(&b, &rq, 7, &e), 0);
    const char *s = tdm_buf_str(&b);
    assert_non_null(strstr(s, "\"finish_reason\":\"length\"}]}\n\ndata: {\"id\":\"chatcmpl-7\""));
    assert_non_null(strstr(s, "\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":8,"
                              "\"total_tokens\":10}}\n\ndata: [DONE]\n\n"));
    assert_int_equal(strncmp(s, "data: {", 7), 0);
    /* Ollama's lost mid-stream error: an empty chunk, model "". */
    tdm_buf_reset(&b);
    assert_int_equal(tdm_sim_genwire_failure(&b, &rq, 7, "boom", false), 0);
    assert_non_null(strstr(tdm_buf_str(&b), "\"model\":\"\",\"system_fingerprint\""));
    assert_null(strstr(tdm_buf_str(&b), "boom"));
    tdm_buf_reset(&b);
    assert_int_equal(tdm_sim_genwire_failure(&b, &rq, 7, "boom", true), 0);
    assert_string_equal(tdm_buf_str(&b), "data: {\"error\":{\"message\":\"boom\",\"type\":\"api_error\","
                                         "\"param\":null,\"code\":null}}\n\n");
    /* A whole answer: the completion object, json.Encoder's newline. */
    rq.stream = false;
    e.whole = true;
    e.text = "hi";
    e.text_len = 2;
    tdm_buf_reset(&b);
    assert_int_equal(tdm_sim_genwire_end(&b, &rq, 7, &e), 0);
    s = tdm_buf_str(&b);
    assert_non_null(strstr(s, "\"object\":\"chat.completion\","));
    assert_non_null(strstr(s, "\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"length\"}],"
                              "\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":8,\"total_tokens\":10}}\n"));
    tdm_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_owner),
        cmocka_unit_test(test_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
