/* test_core_ollama_fastline.c — holds the tree-free line reader (src/core/ollama_fastline.c)
 * to its promise: every line it accepts, jansson's tree path accepts with the very same
 * result, and it takes the lines a stream is made of. Real lines, lines it must leave to
 * the tree path, and tens of thousands of seeded mutations of real lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ollama_proto.h"
#include "support/json_mutation.h"

/* Lines as Ollama 0.11.4 writes them, and valid variations it could write. */
static const char *const accepted[] = {
    "{\"model\":\"gemma3:latest\",\"created_at\":\"2025-08-14T10:21:33.123456789Z\",\"response\":\" the\",\"done\":false}",
    "{\"model\":\"tiny:latest\",\"created_at\":\"2025-08-14T10:21:33.1Z\",\"response\":\"\",\"done\":true,\"done_reason\":\"length\","
    "\"context\":[105,2364,107,3048,1,0,262144],\"total_duration\":123456789,\"load_duration\":2345678,"
    "\"prompt_eval_count\":26,\"prompt_eval_duration\":3456789,\"eval_count\":60,\"eval_duration\":98765432}",
    "{\"model\":\"qwen3:0.6b\",\"created_at\":\"2025-08-14T10:21:33Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"Let me\"},\"done\":false}",
    "{\"model\":\"qwen3:0.6b\",\"created_at\":\"2025-08-14T10:21:33Z\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},"
    "\"done_reason\":\"stop\",\"done\":true,\"total_duration\":1,\"load_duration\":0,\"eval_count\":1,\"eval_duration\":5}",
    "{\"model\":\"m\",\"response\":\"\",\"thinking\":\"hmm\",\"done\":false}",
    "{\"response\":\"line\\nbreak \\\"quoted\\\" back\\\\slash \\/ \\b\\f\\r\\t\",\"done\":false}",
    "{\"response\":\"\\u00e9\\u4e2d\\ud83d\\ude00 and \\u0000 nul\",\"done\":false}",
    "{\"response\":\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\",\"done\":false}",
    "{\"model\":null,\"response\":null,\"done\":null,\"eval_count\":null}",
    "  {  \"response\" : \"x\" ,\r\n\t\"done\" : false }  \r\n",
    "{}",
    "{\"message\":null,\"response\":\"top\",\"thinking\":null}",
    "{\"message\":{\"content\":\"chat\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{\"a\":[1,-2,3.25,-0.5,0,true,false,null,\"s\"]}}}]},\"done\":false}",
    "{\"response\":\"top wins\",\"message\":{\"content\":\"chat loses\",\"thinking\":\"t\"}}",
    "{\"extra\":{\"nested\":{\"deeper\":[[[]],{}]}},\"num\":-0,\"big\":123456789012345678,\"r\":0.000001,\"response\":\"a\"}",
    "{\"model\":\"a-model-name-that-is-longer-than-the-label-field-of-one-hundred-and-twenty-eight-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx:latest\"}",
    "{\"done_reason\":\"a done reason longer than thirty-one bytes\",\"done\":true}",
    "{\"model\":\"esc\\u0061ped \\\"label\\\"\",\"done_reason\":\"st\\u006fp\"}",
    "{\"\":1,\"response\":\"empty key\"}",
    "{\"unknown\":\"\\ud83d\\ude00\",\"response\":\"\x7f\"}",
};

/* Valid or invalid lines the reader must leave to the tree path. */
static const char *const declined[] = {
    "{\"error\":\"model 'x' not found\"}",
    "{\"error\":null,\"response\":\"x\"}",
    "{\"response\":\"a\",\"response\":\"b\"}",
    "{\"message\":{\"content\":\"a\",\"content\":\"b\"}}",
    "{\"eval_count\":1,\"eval_count\":2}",
    "{\"respons\\u0065\":\"escaped key\"}",
    "{\"x\":1e3,\"response\":\"a\"}",
    "{\"x\":1234567890123456789,\"response\":\"a\"}",
    "{\"eval_count\":-1}",
    "{\"eval_count\":-0}",
    "{\"eval_count\":1.0}",
    "{\"eval_count\":\"1\"}",
    "{\"response\":\"\\ud83d\"}",
    "{\"response\":\"\\ude00\"}",
    "{\"response\":\"\\ud83d\\u0041\"}",
    "{\"response\":\"\xc3\"}",
    "{\"response\":\"\xc0\xaf\"}",
    "{\"response\":\"\xed\xa0\x80\"}",
    "{\"response\":\"tab\there\"}",
    "{\"response\":\"a\\x\"}",
    "{\"response\":\"a\"} x",
    "{\"response\":\"a\",}",
    "{\"response\":\"a\"",
    "{\"response\":01}",
    "{\"x\":01,\"response\":\"a\"}",
    "{\"x\":1.,\"response\":\"a\"}",
    "{\"x\":-,\"response\":\"a\"}",
    "{\"x\":truex}",
    "{\"done\":\"true\"}",
    "{\"done\":1}",
    "{\"message\":\"text\"}",
    "{\"message\":[]}",
    "{\"model\":7}",
    "[1,2]",
    "\"string\"",
    "",
    "   ",
    "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
};

static void assert_same(const tdm_ollama_line *a, const tdm_ollama_line *b, const char *line)
{
    if (a->done != b->done || a->content_len != b->content_len || a->thinking_len != b->thinking_len ||
        memcmp(a->content, b->content, a->content_len + 1) != 0 ||
        memcmp(a->thinking, b->thinking, a->thinking_len + 1) != 0 || (a->error != NULL) != (b->error != NULL) ||
        strcmp(a->done_reason, b->done_reason) != 0 || strcmp(a->model, b->model) != 0 ||
        memcmp(&a->counters, &b->counters, sizeof a->counters) != 0)
        fail_msg("fast and tree paths differ on: %s", line);
}

static void assert_cleared(const tdm_ollama_line *l)
{
    assert_null(l->content);
    assert_null(l->thinking);
    assert_null(l->error);
    assert_false(l->done);
    assert_int_equal(l->counters.eval_count, -1);
}

/* Compares both paths on one line; returns whether the fast path took it. When it did,
 * the tree path must have accepted the line with the same result. */
static bool compare(const char *line, size_t len)
{
    tdm_ollama_line fast, tree, app;
    char err[256];
    bool took = tdm_ollama_parse_fast(line, len, &fast);
    int rc = tdm_ollama_parse_tree(line, len, &tree, err, sizeof err);
    /* The appending form, onto text already there, must take the same lines. */
    tdm_buf text = {0};
    tdm_buf_append_str(&text, "before");
    bool took_app = tdm_ollama_parse_fast_append(line, len, &app, &text);
    if (took_app != took)
        fail_msg("the two fast forms disagree on: %.*s", (int)len, line);
    if (took) {
        if (rc != 0)
            fail_msg("fast path accepted a line jansson refuses (%s): %.*s", err, (int)len, line);
        assert_same(&fast, &tree, line);
        assert_null(app.content);
        assert_null(app.thinking);
        assert_int_equal(app.content_len, tree.content_len);
        assert_int_equal(app.thinking_len, tree.thinking_len);
        assert_int_equal(text.len, 6 + tree.content_len);
        assert_memory_equal(text.data, "before", 6);
        assert_memory_equal(text.data + 6, tree.content, tree.content_len + 1);
        assert_true(app.done == tree.done);
        assert_memory_equal(&app.counters, &tree.counters, sizeof app.counters);
        assert_string_equal(app.model, tree.model);
        assert_string_equal(app.done_reason, tree.done_reason);
    } else {
        assert_cleared(&fast);
        assert_cleared(&app);
        assert_int_equal(text.len, 6);
    }
    tdm_buf_free(&text);
    tdm_ollama_line_clear(&fast);
    tdm_ollama_line_clear(&tree);
    tdm_ollama_line_clear(&app);
    return took;
}

static void test_real_lines_take_the_fast_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++)
        if (!compare(accepted[i], strlen(accepted[i])))
            fail_msg("fast path declined line %zu: %s", i, accepted[i]);
}

static void test_values_read(void **state)
{
    (void)state;
    tdm_ollama_line l;
    const char *final = accepted[1];
    assert_true(tdm_ollama_parse_fast(final, strlen(final), &l));
    assert_true(l.done);
    assert_string_equal(l.done_reason, "length");
    assert_string_equal(l.model, "tiny:latest");
    assert_int_equal(l.counters.total_duration_ns, 123456789);
    assert_int_equal(l.counters.eval_count, 60);
    assert_int_equal(l.content_len, 0);
    tdm_ollama_line_clear(&l);

    const char *esc = accepted[6];
    assert_true(tdm_ollama_parse_fast(esc, strlen(esc), &l));
    static const char want[] = "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80 and \0 nul";
    assert_int_equal(l.content_len, sizeof want - 1);
    assert_memory_equal(l.content, want, sizeof want);
    tdm_ollama_line_clear(&l);

    const char *chat = accepted[2];
    assert_true(tdm_ollama_parse_fast(chat, strlen(chat), &l));
    assert_string_equal(l.thinking, "Let me");
    assert_string_equal(l.content, "");
    tdm_ollama_line_clear(&l);
}

/* The whole line, with its length: bytes after a line's end are not looked at. */
static void test_length_bounds_the_line(void **state)
{
    (void)state;
    const char buf[] = "{\"response\":\"ab\"}{\"response\":\"cd\"}";
    tdm_ollama_line l;
    assert_true(tdm_ollama_parse_fast(buf, 17, &l));
    assert_string_equal(l.content, "ab");
    tdm_ollama_line_clear(&l);
    assert_false(tdm_ollama_parse_fast(buf, 16, &l)); /* cut before the brace */
    assert_cleared(&l);
}

static void test_declined_lines_go_to_the_tree_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++)
        if (compare(declined[i], strlen(declined[i])))
            fail_msg("fast path took line %zu, which it must leave to jansson: %s", i, declined[i]);
    /* And the public parser still gives jansson's messages for them. */
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(tdm_ollama_parse_line(declined[0], strlen(declined[0]), &l, err, sizeof err), 0);
    assert_string_equal(l.error, "model 'x' not found");
    tdm_ollama_line_clear(&l);
    assert_int_equal(tdm_ollama_parse_line(declined[11], strlen(declined[11]), &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"eval_count\" is a string, expected a non-negative integer"));
}

/* Seeded mutations of the accepted lines: flips, insertions, deletions, cuts and
 * duplicated spans. Whatever the fast path takes, the tree path must agree with. */
static void test_mutations_agree_with_jansson(void **state)
{
    (void)state;
    size_t total = 40000;
    size_t taken = test_mutation_rounds(accepted, sizeof accepted / sizeof accepted[0], 20261127, (int)total, compare);
    /* A mutation often leaves the line valid (inside a string, a changed key): some
     * must take the fast path, or this test exercised nothing. */
    assert_true(taken > total / 20);
    assert_true(taken < total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_lines_take_the_fast_path),
        cmocka_unit_test(test_values_read),
        cmocka_unit_test(test_length_bounds_the_line),
        cmocka_unit_test(test_declined_lines_go_to_the_tree_path),
        cmocka_unit_test(test_mutations_agree_with_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
