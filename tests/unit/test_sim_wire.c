/* test_sim_wire.c — the simulator's JSON lines byte for byte (src/sim/wire.c): Ollama's
 * field order (docs/ollama-wire.md), counters omitted when zero, Go's string escaping and
 * Go's RFC 3339 nano formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/wire.h"

#define T "2025-11-14T00:29:24.2966339Z"

static char *line(const tdm_sim_line *l)
{
    static tdm_buf b;
    tdm_buf_reset(&b);
    assert_int_equal(tdm_sim_wire_line(&b, l), 0);
    return b.data;
}

static void test_generate_token(void **state)
{
    (void)state;
    tdm_sim_line l = {.model = "gemma3", .created_at = T, .text = " the", .text_len = 4};
    assert_string_equal(line(&l), "{\"model\":\"gemma3\",\"created_at\":\"" T
                                  "\",\"response\":\" the\",\"done\":false}");
}

static void test_chat_token(void **state)
{
    (void)state;
    tdm_sim_line l = {.chat = true, .model = "gemma3:latest", .created_at = T, .text = "Hi",
                      .text_len = 2};
    assert_string_equal(line(&l), "{\"model\":\"gemma3:latest\",\"created_at\":\"" T
                                  "\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},"
                                  "\"done\":false}");
}

static void test_generate_final(void **state)
{
    (void)state;
    tdm_sim_counters k = {.total_duration = 5, .load_duration = 1, .prompt_eval_count = 26,
                          .prompt_eval_duration = 2, .eval_count = 290, .eval_duration = 3};
    int32_t ctx[3] = {1, 22, 333};
    tdm_sim_line l = {.model = "m", .created_at = T, .text = "", .done = true,
                      .done_reason = "stop", .context = ctx, .n_context = 3, .counters = &k};
    assert_string_equal(line(&l),
                        "{\"model\":\"m\",\"created_at\":\"" T "\",\"response\":\"\",\"done\":true,"
                        "\"done_reason\":\"stop\",\"context\":[1,22,333],\"total_duration\":5,"
                        "\"load_duration\":1,\"prompt_eval_count\":26,\"prompt_eval_duration\":2,"
                        "\"eval_count\":290,\"eval_duration\":3}");
}

static void test_chat_final_omits_zero(void **state)
{
    (void)state;
    /* A zero counter is omitted, as Go's omitempty does (the simulator only produces a
     * zero load_duration with --sched-ms 0); chat has no context, and its done_reason
     * comes BEFORE done (api.ChatResponse's field order; the real 0.11.4 server's
     * tests/e2e/captures/chat-stream.txt). */
    tdm_sim_counters k = {.total_duration = 9, .prompt_eval_count = 4, .prompt_eval_duration = 2,
                          .eval_count = 1, .eval_duration = 7};
    int32_t ctx[1] = {5};
    tdm_sim_line l = {.chat = true, .model = "m", .created_at = T, .text = "", .done = true,
                      .done_reason = "length", .context = ctx, .n_context = 1, .counters = &k};
    assert_string_equal(line(&l),
                        "{\"model\":\"m\",\"created_at\":\"" T "\",\"message\":{\"role\":\"assistant\","
                        "\"content\":\"\"},\"done_reason\":\"length\",\"done\":true,\"total_duration\":9,"
                        "\"prompt_eval_count\":4,\"prompt_eval_duration\":2,\"eval_count\":1,"
                        "\"eval_duration\":7}");
}

static void test_load_line(void **state)
{
    (void)state;
    tdm_sim_line l = {.model = "tiny", .created_at = T, .text = "", .done = true,
                      .done_reason = "load"};
    assert_string_equal(line(&l), "{\"model\":\"tiny\",\"created_at\":\"" T
                                  "\",\"response\":\"\",\"done\":true,\"done_reason\":\"load\"}");
    l.chat = true; /* chat-load.txt: done_reason before done here too */
    assert_string_equal(line(&l), "{\"model\":\"tiny\",\"created_at\":\"" T
                                  "\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
                                  "\"done_reason\":\"load\",\"done\":true}");
    tdm_buf b = {0};
    assert_int_equal(tdm_sim_wire_error(&b, "model 'x' not found"), 0);
    assert_string_equal(tdm_buf_str(&b), "{\"error\":\"model 'x' not found\"}");
    tdm_buf_free(&b);
}

static void test_escaping(void **state)
{
    (void)state;
    tdm_buf b = {0};
    const char in[] = "a\"b\\c\n\r\t\x01<>&\x7f\xc3\xa9\xe2\x80\xa8\xff\xc3z\xf0\x9f\x99\x82\xed\xa0\x80";
    assert_int_equal(tdm_sim_json_str(&b, in, sizeof in - 1), 0);
    assert_string_equal(tdm_buf_str(&b),
                        "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u003c\\u003e\\u0026\x7f\xc3\xa9\\u2028"
                        "\\ufffd\\ufffdz\xf0\x9f\x99\x82\\ufffd\\ufffd\\ufffd\"");
    tdm_buf_reset(&b);
    const char nul[] = "x\0y";
    assert_int_equal(tdm_sim_json_str(&b, nul, 3), 0);
    assert_string_equal(tdm_buf_str(&b), "\"x\\u0000y\"");
    tdm_buf_free(&b);
}

static void test_rfc3339nano(void **state)
{
    (void)state;
    char out[48];
    tdm_sim_rfc3339nano(1763080164, 296633900, out, sizeof out);
    assert_string_equal(out, "2025-11-14T00:29:24.2966339Z");
    tdm_sim_rfc3339nano(1763080164, 0, out, sizeof out);
    assert_string_equal(out, "2025-11-14T00:29:24Z");
    tdm_sim_rfc3339nano(1763080164, 1, out, sizeof out);
    assert_string_equal(out, "2025-11-14T00:29:24.000000001Z");
    tdm_sim_rfc3339nano(0, 500000000, out, sizeof out);
    assert_string_equal(out, "1970-01-01T00:00:00.5Z");
    tdm_sim_wall_now(out, sizeof out);
    assert_true(strlen(out) >= 20 && out[strlen(out) - 1] == 'Z' && out[10] == 'T');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_token), cmocka_unit_test(test_chat_token),
        cmocka_unit_test(test_generate_final), cmocka_unit_test(test_chat_final_omits_zero),
        cmocka_unit_test(test_load_line),      cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_rfc3339nano),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
