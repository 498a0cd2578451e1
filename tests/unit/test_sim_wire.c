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

/* What Go's encoding/json writes for invalid UTF-8: one \ufffd per byte that
 * utf8.DecodeRune refuses (overlong forms, surrogates, beyond U+10FFFF, stray or missing
 * continuation bytes), while a well-formed U+FFFD passes through as its bytes. */
static void test_invalid_utf8_as_go(void **state)
{
    (void)state;
    struct {
        const char *in, *out;
    } cases[] = {
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},
        {"\xc1\xbf", "\"\\ufffd\\ufffd\""},
        {"\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""},
        {"\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
        {"\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\""},
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
        {"\xf5\x80<", "\"\\ufffd\\ufffd\\u003c\""},
        {"\xfe\xff", "\"\\ufffd\\ufffd\""},
        {"\xe2\x82x", "\"\\ufffd\\ufffdx\""},
        {"\xe6\x41\x97", "\"\\ufffdA\\ufffd\""},
        {"\xef\xbf\xbd\xe2\x80\xa9", "\"\xef\xbf\xbd\\u2029\""},
        {"\xf4\x8f\xbf\xbf\xed\x9f\xbf", "\"\xf4\x8f\xbf\xbf\xed\x9f\xbf\""},
    };
    tdm_buf b = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tdm_buf_reset(&b);
        assert_int_equal(tdm_sim_json_str(&b, cases[i].in, strlen(cases[i].in)), 0);
        assert_string_equal(tdm_buf_str(&b), cases[i].out);
    }
    tdm_buf_free(&b);
}

/* A token line cut at every byte of the text (utf8-split does this on purpose): each
 * byte of the cut character becomes one \ufffd, in whichever line holds it, and every
 * whole character is escaped as it would be uncut. */
static void test_split_at_every_byte(void **state)
{
    (void)state;
    const char text[] = "a<\xc3\xa9\xe2\x80\xa8\xe6\x97\xa5\xf0\x9f\x99\x82\"";
    const size_t len = sizeof text - 1;
    const int boundary[] = {1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1};
    tdm_buf got = {0}, want = {0}, part = {0};
    for (size_t k = 0; k <= len; k++) {
        size_t start = k, end = k;
        while (!boundary[start])
            start--;
        while (!boundary[end])
            end++;
        tdm_buf_reset(&got);
        assert_int_equal(tdm_sim_json_str(&got, text, k), 0);
        assert_int_equal(tdm_sim_json_str(&got, text + k, len - k), 0);
        tdm_buf_reset(&want);
        tdm_buf_reset(&part);
        assert_int_equal(tdm_sim_json_str(&part, text, start), 0);
        tdm_buf_append(&want, part.data, part.len - 1); /* without the closing quote */
        for (size_t i = start; i < end; i++) {
            if (i == k)
                tdm_buf_append_str(&want, "\"\"");
            tdm_buf_append_str(&want, "\\ufffd");
        }
        if (start == end)
            tdm_buf_append_str(&want, "\"\"");
        tdm_buf_reset(&part);
        assert_int_equal(tdm_sim_json_str(&part, text + end, len - end), 0);
        tdm_buf_append(&want, part.data + 1, part.len - 1); /* without the opening quote */
        assert_string_equal(tdm_buf_str(&got), tdm_buf_str(&want));
    }
    tdm_buf_free(&got);
    tdm_buf_free(&want);
    tdm_buf_free(&part);
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
        cmocka_unit_test(test_rfc3339nano),    cmocka_unit_test(test_invalid_utf8_as_go),
        cmocka_unit_test(test_split_at_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
