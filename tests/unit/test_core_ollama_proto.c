/* test_core_ollama_proto.c — unit tests for the Ollama response parser
 * (src/core/ollama_proto.c), on lines written as the real server writes them (see
 * OLLAMA-WIRE): member order, RFC 3339 nanosecond timestamps, counters omitted when zero,
 * the generate "context" array, chat "message" objects, thinking and error lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ndjson.h"
#include "core/ollama_proto.h"

static int parse(const char *line, tdm_ollama_line *out, char *err, size_t errlen)
{
    return tdm_ollama_parse_line(line, strlen(line), out, err, errlen);
}

static void assert_counters_absent(const tdm_server_counters *c)
{
    assert_int_equal(c->total_duration_ns, -1);
    assert_int_equal(c->load_duration_ns, -1);
    assert_int_equal(c->prompt_eval_count, -1);
    assert_int_equal(c->prompt_eval_duration_ns, -1);
    assert_int_equal(c->eval_count, -1);
    assert_int_equal(c->eval_duration_ns, -1);
}

/* After a failure *out holds nothing: no heap, counters absent. */
static void assert_cleared(const tdm_ollama_line *l)
{
    assert_false(l->done);
    assert_null(l->content);
    assert_null(l->thinking);
    assert_null(l->error);
    assert_int_equal(l->content_len, 0);
    assert_int_equal(l->thinking_len, 0);
    assert_string_equal(l->done_reason, "");
    assert_string_equal(l->model, "");
    assert_counters_absent(&l->counters);
}

static void test_counters_init(void **state)
{
    (void)state;
    tdm_server_counters c;
    memset(&c, 0x5a, sizeof c);
    tdm_server_counters_init(&c);
    assert_counters_absent(&c);
}

static void test_generate_token(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(parse("{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.123456789Z\","
                           "\"response\":\"Hel\",\"done\":false}",
                           &l, err, sizeof err),
                     0);
    assert_string_equal(err, "");
    assert_false(l.done);
    assert_string_equal(l.content, "Hel");
    assert_int_equal(l.content_len, 3);
    assert_string_equal(l.thinking, "");
    assert_int_equal(l.thinking_len, 0);
    assert_null(l.error);
    assert_string_equal(l.model, "llama3.2");
    assert_string_equal(l.done_reason, "");
    assert_counters_absent(&l.counters);
    tdm_ollama_line_clear(&l);
    assert_cleared(&l);
}

static void test_generate_final(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(
        parse("{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:04.987654321Z\",\"response\":\"\","
              "\"done\":true,\"done_reason\":\"stop\",\"context\":[128006,9125,128007,271,38766,1303,"
              "33025,2696,25,6790,220,2366,18,198],\"total_duration\":5191566416,\"load_duration\":2154458,"
              "\"prompt_eval_count\":26,\"prompt_eval_duration\":383809000,\"eval_count\":298,"
              "\"eval_duration\":4799921000}",
              &l, err, sizeof err),
        0);
    assert_true(l.done);
    assert_string_equal(l.done_reason, "stop");
    assert_string_equal(l.content, "");
    assert_int_equal(l.content_len, 0);
    assert_string_equal(l.model, "llama3.2");
    assert_null(l.error);
    assert_int_equal(l.counters.total_duration_ns, 5191566416LL);
    assert_int_equal(l.counters.load_duration_ns, 2154458);
    assert_int_equal(l.counters.prompt_eval_count, 26);
    assert_int_equal(l.counters.prompt_eval_duration_ns, 383809000);
    assert_int_equal(l.counters.eval_count, 298);
    assert_int_equal(l.counters.eval_duration_ns, 4799921000LL);
    tdm_ollama_line_clear(&l);
}

/* Counters that are zero are omitted by the server (omitempty): those read -1. A cached
 * prompt gives no prompt_eval_*; a warm model often gives no load_duration. */
static void test_generate_final_omitted_counters(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(parse("{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:04Z\",\"response\":\"\","
                           "\"done\":true,\"done_reason\":\"length\",\"total_duration\":812345678,"
                           "\"eval_count\":128,\"eval_duration\":800000000}",
                           &l, err, sizeof err),
                     0);
    assert_true(l.done);
    assert_string_equal(l.done_reason, "length");
    assert_int_equal(l.counters.total_duration_ns, 812345678);
    assert_int_equal(l.counters.load_duration_ns, -1);
    assert_int_equal(l.counters.prompt_eval_count, -1);
    assert_int_equal(l.counters.prompt_eval_duration_ns, -1);
    assert_int_equal(l.counters.eval_count, 128);
    assert_int_equal(l.counters.eval_duration_ns, 800000000);
    tdm_ollama_line_clear(&l);
}

/* An empty prompt only loads the model; keep_alive 0 unloads it. */
static void test_load_and_unload(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(parse("{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.5Z\",\"response\":\"\","
                           "\"done\":true,\"done_reason\":\"load\"}",
                           &l, err, sizeof err),
                     0);
    assert_true(l.done);
    assert_string_equal(l.done_reason, "load");
    assert_counters_absent(&l.counters);
    tdm_ollama_line_clear(&l);
    assert_int_equal(parse("{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.5Z\",\"response\":\"\","
                           "\"done\":true,\"done_reason\":\"unload\"}",
                           &l, err, sizeof err),
                     0);
    assert_string_equal(l.done_reason, "unload");
    tdm_ollama_line_clear(&l);
}

static void test_chat_token_and_final(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(parse("{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.123456789Z\","
                           "\"message\":{\"role\":\"assistant\",\"content\":\"The\"},\"done\":false}",
                           &l, err, sizeof err),
                     0);
    assert_false(l.done);
    assert_string_equal(l.content, "The");
    assert_int_equal(l.content_len, 3);
    assert_string_equal(l.thinking, "");
    assert_string_equal(l.model, "llama3.2");
    assert_counters_absent(&l.counters);
    tdm_ollama_line_clear(&l);

    assert_int_equal(parse("{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:05.1Z\","
                           "\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\","
                           "\"done\":true,\"total_duration\":4883583458,\"load_duration\":1334875,"
                           "\"prompt_eval_count\":26,\"prompt_eval_duration\":342546000,\"eval_count\":282,"
                           "\"eval_duration\":4535599000}",
                           &l, err, sizeof err),
                     0);
    assert_true(l.done);
    assert_string_equal(l.done_reason, "stop");
    assert_string_equal(l.content, "");
    assert_int_equal(l.counters.total_duration_ns, 4883583458LL);
    assert_int_equal(l.counters.load_duration_ns, 1334875);
    assert_int_equal(l.counters.prompt_eval_count, 26);
    assert_int_equal(l.counters.prompt_eval_duration_ns, 342546000);
    assert_int_equal(l.counters.eval_count, 282);
    assert_int_equal(l.counters.eval_duration_ns, 4535599000LL);
    tdm_ollama_line_clear(&l);
}

/* tool_calls and images are ignored, as are members we do not know. */
static void test_chat_tool_calls_ignored(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(parse("{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00Z\","
                           "\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":"
                           "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}}],\"images\":null},"
                           "\"done\":false,\"some_future_member\":{\"x\":[1,2]}}",
                           &l, err, sizeof err),
                     0);
    assert_string_equal(l.content, "");
    assert_false(l.done);
    tdm_ollama_line_clear(&l);
}

static void test_thinking(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    /* generate: top-level "thinking", empty "response" */
    assert_int_equal(parse("{\"model\":\"qwen3:8b\",\"created_at\":\"2025-01-01T00:00:00.1Z\",\"response\":\"\","
                           "\"thinking\":\"Let me think\",\"done\":false}",
                           &l, err, sizeof err),
                     0);
    assert_string_equal(l.thinking, "Let me think");
    assert_int_equal(l.thinking_len, 12);
    assert_string_equal(l.content, "");
    assert_string_equal(l.model, "qwen3:8b");
    tdm_ollama_line_clear(&l);
    /* chat: message.thinking */
    assert_int_equal(parse("{\"model\":\"qwen3:8b\",\"created_at\":\"2025-01-01T00:00:00.1Z\","
                           "\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"Hmm,\"},"
                           "\"done\":false}",
                           &l, err, sizeof err),
                     0);
    assert_string_equal(l.thinking, "Hmm,");
    assert_int_equal(l.thinking_len, 4);
    assert_string_equal(l.content, "");
    tdm_ollama_line_clear(&l);
}

static void test_error_lines(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    /* before streaming (a 404 body) */
    assert_int_equal(parse("{\"error\":\"model 'x' not found\"}", &l, err, sizeof err), 0);
    assert_non_null(l.error);
    assert_string_equal(l.error, "model 'x' not found");
    assert_false(l.done);
    assert_string_equal(l.content, "");
    tdm_ollama_line_clear(&l);
    assert_null(l.error);
    /* mid-stream, status 200 */
    assert_int_equal(parse("{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n",
                           &l, err, sizeof err),
                     0);
    assert_string_equal(l.error, "an error was encountered while running the model: unexpected EOF");
    tdm_ollama_line_clear(&l);
    /* an empty message is still an error line */
    assert_int_equal(parse("{\"error\":\"\"}", &l, err, sizeof err), 0);
    assert_non_null(l.error);
    assert_string_equal(l.error, "");
    tdm_ollama_line_clear(&l);
}

/* Escapes decode to UTF-8; "\u0000" is kept, hence the lengths. */
static void test_unicode_content(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(parse("{\"response\":\"h\\u00e9llo \\u65e5\\u672c \\ud83c\\udf89\",\"done\":false}", &l, err,
                           sizeof err),
                     0);
    assert_string_equal(l.content, "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89");
    assert_int_equal(l.content_len, strlen("h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89"));
    tdm_ollama_line_clear(&l);
    /* raw UTF-8, as Go's encoder writes it */
    assert_int_equal(parse("{\"response\":\"h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89\\n\\\"q\\\"\"}", &l,
                           err, sizeof err),
                     0);
    assert_string_equal(l.content, "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89\n\"q\"");
    tdm_ollama_line_clear(&l);
    assert_int_equal(parse("{\"response\":\"a\\u0000b\"}", &l, err, sizeof err), 0);
    assert_int_equal(l.content_len, 3);
    assert_memory_equal(l.content, "a\0b", 4);
    tdm_ollama_line_clear(&l);
}

/* A non-streamed response: one whole (here pretty-printed) body with the full text. */
static void test_whole_body(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(parse("{\n  \"model\": \"llama3.2\",\n  \"created_at\": \"2025-01-01T00:00:03Z\",\n"
                           "  \"response\": \"The sky is blue because of Rayleigh scattering.\",\n"
                           "  \"done\": true,\n  \"done_reason\": \"stop\",\n  \"context\": [1, 2, 3],\n"
                           "  \"total_duration\": 10706818083,\n  \"load_duration\": 6338219291,\n"
                           "  \"prompt_eval_count\": 26,\n  \"prompt_eval_duration\": 130079000,\n"
                           "  \"eval_count\": 259,\n  \"eval_duration\": 4232710000\n}\n",
                           &l, err, sizeof err),
                     0);
    assert_true(l.done);
    assert_string_equal(l.content, "The sky is blue because of Rayleigh scattering.");
    assert_string_equal(l.done_reason, "stop");
    assert_int_equal(l.counters.total_duration_ns, 10706818083LL);
    assert_int_equal(l.counters.load_duration_ns, 6338219291LL);
    assert_int_equal(l.counters.eval_count, 259);
    tdm_ollama_line_clear(&l);

    assert_int_equal(parse("{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:03Z\",\"message\":"
                           "{\"role\":\"assistant\",\"content\":\"Hello! How can I help?\"},\"done_reason\":\"stop\","
                           "\"done\":true,\"eval_count\":8}",
                           &l, err, sizeof err),
                     0);
    assert_true(l.done);
    assert_string_equal(l.content, "Hello! How can I help?");
    assert_int_equal(l.counters.eval_count, 8);
    tdm_ollama_line_clear(&l);
}

/* A final line with a context of several thousand token ids. */
static void test_large_context(void **state)
{
    (void)state;
    size_t cap = 64 * 1024;
    char *line = malloc(cap);
    assert_non_null(line);
    size_t n = (size_t)snprintf(line, cap, "{\"model\":\"llama3.2\",\"response\":\"\",\"done\":true,"
                                           "\"done_reason\":\"stop\",\"context\":[");
    for (int i = 0; i < 5000; i++)
        n += (size_t)snprintf(line + n, cap - n, "%s%d", i ? "," : "", 100000 + i);
    n += (size_t)snprintf(line + n, cap - n, "],\"eval_count\":5000}");
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(tdm_ollama_parse_line(line, n, &l, err, sizeof err), 0);
    assert_true(l.done);
    assert_int_equal(l.counters.eval_count, 5000);
    tdm_ollama_line_clear(&l);
    free(line);
}

/* Only len bytes are read: the line need not be NUL-terminated. */
static void test_respects_len(void **state)
{
    (void)state;
    const char buf[] = "{\"response\":\"ok\"}GARBAGE{";
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(tdm_ollama_parse_line(buf, 17, &l, err, sizeof err), 0);
    assert_string_equal(l.content, "ok");
    tdm_ollama_line_clear(&l);
}

/* Both shapes on one line (no real server does this): the top-level members win. */
static void test_generate_members_win(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(parse("{\"response\":\"g\",\"thinking\":\"T\",\"message\":{\"content\":\"c\",\"thinking\":\"t\"}}",
                           &l, err, sizeof err),
                     0);
    assert_string_equal(l.content, "g");
    assert_string_equal(l.thinking, "T");
    tdm_ollama_line_clear(&l);
    /* and each falls back to the message on its own */
    assert_int_equal(parse("{\"response\":\"g\",\"message\":{\"content\":\"c\",\"thinking\":\"t\"}}", &l, err,
                           sizeof err),
                     0);
    assert_string_equal(l.content, "g");
    assert_string_equal(l.thinking, "t");
    tdm_ollama_line_clear(&l);
}

/* null members count as absent (some proxies write them). */
static void test_null_members(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(parse("{\"model\":null,\"response\":null,\"thinking\":null,\"done\":null,\"done_reason\":null,"
                           "\"error\":null,\"message\":null,\"eval_count\":null}",
                           &l, err, sizeof err),
                     0);
    assert_string_equal(l.content, "");
    assert_string_equal(l.thinking, "");
    assert_null(l.error);
    assert_false(l.done);
    assert_counters_absent(&l.counters);
    tdm_ollama_line_clear(&l);
}

static void test_labels_truncated(void **state)
{
    (void)state;
    char line[700];
    char longname[300];
    memset(longname, 'm', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    snprintf(line, sizeof line, "{\"model\":\"%s\",\"done_reason\":\"%s\"}", longname, longname);
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(parse(line, &l, err, sizeof err), 0);
    assert_int_equal(strlen(l.model), sizeof l.model - 1);
    assert_int_equal(strlen(l.done_reason), sizeof l.done_reason - 1);
    assert_memory_equal(l.model, longname, sizeof l.model - 1);
    tdm_ollama_line_clear(&l);
}

/* Each malformed line fails with -1, names what is wrong, quotes the line, and leaves
 * *out empty. */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *expect; /* must appear in err */
    } cases[] = {
        {"", "not valid JSON"},
        {"not json", "not valid JSON"},
        {"{\"response\":\"Hel\"", "not valid JSON"},
        {"{\"response\":\"Hel\"}{}", "not valid JSON"},
        {"{\"response\":\"\xff\xfe\"}", "not valid JSON"}, /* invalid UTF-8 */
        {"{\"eval_count\":99999999999999999999999}", "not valid JSON"},
        {"[1,2]", "expected a JSON object, got an array"},
        {"\"str\"", "expected a JSON object, got a string"},
        {"5", "expected a JSON object, got an integer"},
        {"null", "expected a JSON object, got null"},
        {"{\"response\":5}", "\"response\" is an integer, expected a string"},
        {"{\"done\":\"yes\"}", "\"done\" is a string, expected true or false"},
        {"{\"done\":1}", "\"done\" is an integer"},
        {"{\"thinking\":[]}", "\"thinking\" is an array"},
        {"{\"message\":\"hi\"}", "\"message\" is a string, expected an object"},
        {"{\"message\":{\"content\":3}}", "\"message.content\" is an integer"},
        {"{\"message\":{\"content\":\"\",\"thinking\":false}}", "\"message.thinking\" is false"},
        {"{\"eval_count\":\"3\"}", "\"eval_count\" is a string, expected a non-negative integer"},
        {"{\"total_duration\":1.5}", "\"total_duration\" is a real number"},
        {"{\"load_duration\":-3}", "\"load_duration\" is an integer, expected a non-negative"},
        {"{\"error\":42}", "\"error\" is an integer, expected a string"},
        {"{\"error\":{\"message\":\"x\"}}", "\"error\" is an object"},
        {"{\"model\":5}", "\"model\" is an integer"},
        {"{\"done_reason\":true}", "\"done_reason\" is true"},
        /* an error member allocated before a later member fails: no leak */
        {"{\"error\":\"boom\",\"response\":\"x\",\"done\":\"no\"}", "\"done\" is a string"},
        {"{\"response\":\"abc\",\"eval_count\":\"x\"}", "\"eval_count\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tdm_ollama_line l;
        char err[256];
        int rc = parse(cases[i].line, &l, err, sizeof err);
        if (rc != -1 || !strstr(err, cases[i].expect) || !strstr(err, "; line: "))
            fail_msg("case %zu (%s): rc %d, err \"%s\", expected \"%s\"", i, cases[i].line, rc, err,
                     cases[i].expect);
        assert_cleared(&l);
        /* the quote is the line itself when it is short and printable */
        if (strlen(cases[i].line) < 80 && !strchr(cases[i].line, '\xff'))
            assert_non_null(strstr(err, cases[i].line));
        tdm_ollama_line_clear(&l); /* safe, and a no-op */
    }
}

/* Long lines are quoted by their first 80 bytes at most, cut at a character boundary,
 * with control bytes masked. */
static void test_error_quote(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[512];
    char line[300];
    /* 78 ASCII bytes then a 3-byte character straddling byte 80, then more. */
    memset(line, 'x', 78);
    memcpy(line + 78, "\xe6\x97\xa5", 3);
    memset(line + 81, 'y', 100);
    line[181] = '\0';
    assert_int_equal(parse(line, &l, err, sizeof err), -1);
    const char *q = strstr(err, "; line: ");
    assert_non_null(q);
    q += strlen("; line: ");
    char want[90];
    memset(want, 'x', 78);
    memcpy(want + 78, "...", 4);
    assert_string_equal(q, want);

    /* exactly 80 bytes ending on a whole character: quoted whole */
    memset(line, 'x', 77);
    memcpy(line + 77, "\xe6\x97\xa5", 3);
    line[80] = '\0';
    assert_int_equal(parse(line, &l, err, sizeof err), -1);
    q = strstr(err, "; line: ") + strlen("; line: ");
    assert_string_equal(q, line);

    /* control bytes */
    assert_int_equal(parse("{\"a\":\x01\t}\n", &l, err, sizeof err), -1);
    q = strstr(err, "; line: ") + strlen("; line: ");
    assert_string_equal(q, "{\"a\":??}?");
    assert_cleared(&l);

    /* invalid UTF-8: stray bytes, an overlong form, a surrogate, a truncated character */
    assert_int_equal(parse("{\"r\":\"\xff\xfe\xc0\x80\xed\xa0\x80\xc3\xa9\xe6\x97", &l, err, sizeof err), -1);
    q = strstr(err, "; line: ") + strlen("; line: ");
    assert_string_equal(q, "{\"r\":\"???????\xc3\xa9??");
}

/* err may be tiny or absent; nothing overflows. */
static void test_small_err_buffer(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[12];
    memset(err, '#', sizeof err);
    assert_int_equal(parse("{\"done\":\"yes\"}", &l, err, 10), -1);
    assert_int_equal(strlen(err), 9);
    assert_int_equal(err[10], '#');
    assert_int_equal(parse("{\"done\":\"yes\"}", &l, NULL, 0), -1);
    assert_int_equal(parse("{\"done\":\"yes\"}", &l, err, 1), -1);
    assert_string_equal(err, "");
    assert_int_equal(tdm_ollama_parse_line(NULL, 0, &l, err, sizeof err), -1);
    assert_cleared(&l);
}

/* Parse, clear, parse again: a struct reused across the lines of a stream. */
static void test_reuse_and_clear_twice(void **state)
{
    (void)state;
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(parse("{\"response\":\"a\",\"thinking\":\"b\",\"error\":\"c\"}", &l, err, sizeof err), 0);
    tdm_ollama_line_clear(&l);
    tdm_ollama_line_clear(&l);
    assert_cleared(&l);
    assert_int_equal(parse("{\"response\":\"d\"}", &l, err, sizeof err), 0);
    assert_string_equal(l.content, "d");
    assert_null(l.error);
    tdm_ollama_line_clear(&l);
}

/* End to end with the framer: a streamed generate response, cut one byte at a time. */
typedef struct stream_ctx {
    char text[256];
    size_t text_len;
    int done;
    tdm_server_counters counters;
    char done_reason[32];
} stream_ctx;

static int on_line(void *ctx, const char *line, size_t len)
{
    stream_ctx *s = ctx;
    tdm_ollama_line l;
    char err[256];
    assert_int_equal(tdm_ollama_parse_line(line, len, &l, err, sizeof err), 0);
    assert_true(s->text_len + l.content_len < sizeof s->text);
    memcpy(s->text + s->text_len, l.content, l.content_len);
    s->text_len += l.content_len;
    s->text[s->text_len] = '\0';
    if (l.done) {
        s->done = 1;
        s->counters = l.counters;
        memcpy(s->done_reason, l.done_reason, sizeof s->done_reason);
    }
    tdm_ollama_line_clear(&l);
    return s->done ? 1 : 0;
}

static void test_stream_through_framer(void **state)
{
    (void)state;
    const char *stream =
        "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.1Z\",\"response\":\"H\xc3\xa9\",\"done\":false}\n"
        "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.2Z\",\"response\":\"llo \xf0\x9f\x8e\x89\",\"done\":false}\n"
        "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.3Z\",\"response\":\"\",\"done\":true,"
        "\"done_reason\":\"stop\",\"context\":[1,2],\"total_duration\":300000000,\"load_duration\":1000,"
        "\"prompt_eval_count\":5,\"prompt_eval_duration\":2000,\"eval_count\":2,\"eval_duration\":3000}\n";
    size_t len = strlen(stream);
    tdm_ndjson f;
    stream_ctx s = {0};
    tdm_ndjson_init(&f, 0);
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0; i++)
        rc = tdm_ndjson_feed(&f, stream + i, 1, on_line, &s);
    assert_int_equal(rc, 1); /* stopped by the done line */
    assert_int_equal(f.lines, 3);
    assert_string_equal(s.text, "H\xc3\xa9llo \xf0\x9f\x8e\x89");
    assert_true(s.done);
    assert_string_equal(s.done_reason, "stop");
    assert_int_equal(s.counters.total_duration_ns, 300000000);
    assert_int_equal(s.counters.load_duration_ns, 1000);
    assert_int_equal(s.counters.prompt_eval_count, 5);
    assert_int_equal(s.counters.prompt_eval_duration_ns, 2000);
    assert_int_equal(s.counters.eval_count, 2);
    assert_int_equal(s.counters.eval_duration_ns, 3000);
    tdm_ndjson_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counters_init),
        cmocka_unit_test(test_generate_token),
        cmocka_unit_test(test_generate_final),
        cmocka_unit_test(test_generate_final_omitted_counters),
        cmocka_unit_test(test_load_and_unload),
        cmocka_unit_test(test_chat_token_and_final),
        cmocka_unit_test(test_chat_tool_calls_ignored),
        cmocka_unit_test(test_thinking),
        cmocka_unit_test(test_error_lines),
        cmocka_unit_test(test_unicode_content),
        cmocka_unit_test(test_whole_body),
        cmocka_unit_test(test_large_context),
        cmocka_unit_test(test_respects_len),
        cmocka_unit_test(test_generate_members_win),
        cmocka_unit_test(test_null_members),
        cmocka_unit_test(test_labels_truncated),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_error_quote),
        cmocka_unit_test(test_small_err_buffer),
        cmocka_unit_test(test_reuse_and_clear_twice),
        cmocka_unit_test(test_stream_through_framer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
