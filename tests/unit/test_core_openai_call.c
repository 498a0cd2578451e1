/* test_core_openai_call.c — a call of the OpenAI API (api: openai) through the per-call
 * stream consumer (src/core/call.c, call_openai.c): the record must come out as for
 * Ollama's APIs, whatever the reads' boundaries, and each fault of the server must end
 * the call with the right kind and the server's own message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/call.h"
#include "core/metrics.h"

static const tdm_timeouts T = {.connect_ms = 1000, .first_byte_ms = 2000, .idle_ms = 500, .total_ms = 10000};

#define CHUNK(content, finish)                                                                                    \
    "data: {\"id\":\"chatcmpl-482\",\"object\":\"chat.completion.chunk\",\"created\":1795808203,\"model\":"      \
    "\"tiny\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","  \
    "\"content\":\"" content "\"},\"finish_reason\":" finish "}]}\n\n"
#define USAGE                                                                                                     \
    "data: {\"id\":\"chatcmpl-482\",\"object\":\"chat.completion.chunk\",\"created\":1795808203,\"model\":"      \
    "\"tiny\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[],\"usage\":{\"prompt_tokens\":2,"                \
    "\"completion_tokens\":8,\"total_tokens\":10}}\n\n"
#define CONTENT8                                                                                                  \
    CHUNK(" ru", "null") CHUNK(" w", "null") CHUNK("p", "null") CHUNK(" t", "null") CHUNK("n", "null")            \
        CHUNK("?", "null") CHUNK("o", "null") CHUNK(" th", "null")

/* Ollama 0.11.4's stream (tests/e2e/captures/openai-chat-stream.txt, de-chunked). */
static const char CAPTURE[] = CONTENT8 CHUNK("", "\"length\"") USAGE "data: [DONE]\n\n";

typedef struct fixture {
    tdm_call_record rec;
    tdm_call call;
} fixture;

static void start(fixture *f, int status, size_t max_line)
{
    tdm_record_init(&f->rec, 1, TDM_PHASE_SEQUENTIAL, 0, 0);
    f->rec.api = TDM_API_OPENAI;
    tdm_call_init(&f->call, &f->rec, &T, max_line);
    tdm_call_begin(&f->call, 1000);
    tdm_call_request_started(&f->call, 2000, 0, true);
    tdm_call_status(&f->call, status, 3000);
}

static void finish(fixture *f)
{
    tdm_call_free(&f->call);
    tdm_record_free(&f->rec);
}

/* Feeds body as the two reads [0, cut) at 5000 and [cut, n) at 6000, then the end. */
static int feed_two(fixture *f, const char *body, size_t n, size_t cut)
{
    int rc1 = tdm_call_body(&f->call, body, cut, 5000);
    int rc2 = rc1 == TDM_CALL_MORE ? tdm_call_body(&f->call, body + cut, n - cut, 6000) : rc1;
    int end = tdm_call_end(&f->call, 7000);
    if (rc2 != TDM_CALL_MORE)
        assert_int_equal(end, rc2);
    return end;
}

static void test_capture_at_every_split(void **state)
{
    (void)state;
    size_t n = sizeof CAPTURE - 1;
    size_t first_event_end = strlen(CHUNK(" ru", "null"));
    for (size_t cut = 0; cut <= n; cut++) {
        fixture f;
        start(&f, 200, 0);
        assert_int_equal(feed_two(&f, CAPTURE, n, cut), TDM_CALL_DONE);
        tdm_call_record *r = &f.rec;
        assert_true(r->ok);
        assert_int_equal(r->n_events, 8); /* the finish and usage events carry no text */
        assert_string_equal(tdm_buf_str(&r->text), " ru wp tn?o th");
        assert_int_equal(r->events[0].content_bytes, 3);
        assert_int_equal(r->events[0].thinking_bytes, 0);
        /* an event carries the arrival of the read that completed it */
        assert_int_equal(r->events[0].t_ns, cut >= first_event_end ? 5000 : 6000);
        assert_true(r->have_final);
        assert_string_equal(r->done_reason, "length");
        assert_int_equal(r->server.prompt_eval_count, 2);
        assert_int_equal(r->server.eval_count, 8);
        assert_int_equal(r->server.eval_duration_ns, -1);
        assert_int_equal(r->server.total_duration_ns, -1);
        assert_int_equal(r->frames, 11);
        assert_int_equal(r->bytes, n);
        assert_int_equal(r->t_done, cut == n ? 5000 : 6000);
        /* the token count is the server's, and it agrees with the events */
        tdm_call_metrics m;
        tdm_call_metrics_compute(r, &m);
        assert_int_equal(m.tokens, 8);
        assert_false(m.token_mismatch);
        assert_true(m.no_server_timings);
        assert_true(m.server_ttft_ms != m.server_ttft_ms); /* NaN: the server gives no timings */
        assert_true(m.decode_tps != m.decode_tps);
        assert_false(m.ttft_ms != m.ttft_ms);
        finish(&f);
    }
}

/* The same stream in CRLF line ends, with llama-server's comments, reasoning deltas and
 * timings: reasoning is a token event of its own kind, timings become durations. */
static void test_reasoning_and_timings(void **state)
{
    (void)state;
    const char body[] =
        ": ping\r\n\r\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\r\n\r\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"think\"}}]}\r\n\r\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\r\n\r\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
        "\"timings\":{\"prompt_n\":4,\"prompt_ms\":1.5,\"predicted_n\":2,\"predicted_ms\":20}}\r\n\r\n"
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":6,\"completion_tokens\":2,\"total_tokens\":8}}\r\n\r\n"
        "data: [DONE]\r\n\r\n";
    size_t n = sizeof body - 1;
    for (size_t cut = 0; cut <= n; cut++) {
        fixture f;
        start(&f, 200, 0);
        assert_int_equal(feed_two(&f, body, n, cut), TDM_CALL_DONE);
        assert_int_equal(f.rec.n_events, 2);
        assert_int_equal(f.rec.events[0].thinking_bytes, 5);
        assert_int_equal(f.rec.events[0].content_bytes, 0);
        assert_int_equal(f.rec.events[1].content_bytes, 2);
        assert_int_equal(f.rec.thinking_bytes_total, 5);
        assert_string_equal(tdm_buf_str(&f.rec.text), "Hi");
        assert_string_equal(f.rec.done_reason, "stop");
        assert_int_equal(f.rec.server.prompt_eval_count, 6); /* usage's, not timings' */
        assert_int_equal(f.rec.server.eval_count, 2);
        assert_int_equal(f.rec.server.prompt_eval_duration_ns, 1500000);
        assert_int_equal(f.rec.server.eval_duration_ns, 20000000);
        tdm_call_metrics m;
        tdm_call_metrics_compute(&f.rec, &m);
        assert_false(m.no_server_timings);
        assert_true(m.server_ttft_ms > 1.49 && m.server_ttft_ms < 1.51);
        assert_true(m.decode_tps > 99.9 && m.decode_tps < 100.1);
        finish(&f);
    }
}

/* An OpenAI error object mid-stream (what vLLM and the simulator send) ends the call
 * with the server's message, keeping the events before it. */
static void test_error_event_mid_stream(void **state)
{
    (void)state;
    const char body[] = CHUNK("a", "null") CHUNK("b", "null")
        "data: {\"error\":{\"message\":\"model runner has unexpectedly stopped\",\"type\":\"api_error\","
        "\"param\":null,\"code\":null}}\n\n" CHUNK("c", "null") "data: [DONE]\n\n";
    size_t n = sizeof body - 1;
    for (size_t cut = 0; cut <= n; cut++) {
        fixture f;
        start(&f, 200, 0);
        assert_int_equal(feed_two(&f, body, n, cut), TDM_CALL_FAILED);
        assert_false(f.rec.ok);
        assert_int_equal(f.rec.error_kind, TDM_ERR_SERVER);
        assert_string_equal(f.rec.error_message,
                            "server reported an error mid-stream: model runner has unexpectedly stopped");
        assert_int_equal(f.rec.n_events, 2);
        assert_string_equal(tdm_buf_str(&f.rec.text), "ab");
        finish(&f);
    }
}

/* What Ollama itself does when its runner dies mid-stream: an empty chunk, then the end
 * of the body without "data: [DONE]" (tests/e2e/captures/openai-error-midstream.txt). */
static void test_stream_cut_before_done(void **state)
{
    (void)state;
    const char body[] = CHUNK("a", "null") CHUNK("", "null");
    fixture f;
    start(&f, 200, 0);
    assert_int_equal(tdm_call_body(&f.call, body, sizeof body - 1, 5000), TDM_CALL_MORE);
    assert_int_equal(tdm_call_end(&f.call, 7000), TDM_CALL_FAILED);
    assert_int_equal(f.rec.error_kind, TDM_ERR_DISCONNECTED);
    assert_non_null(strstr(f.rec.error_message, "data: [DONE]"));
    assert_false(f.rec.have_final);
    assert_int_equal(f.rec.n_events, 1);
    finish(&f);
    /* ... and cut inside an event */
    start(&f, 200, 0);
    assert_int_equal(tdm_call_body(&f.call, body, 40, 5000), TDM_CALL_MORE);
    assert_int_equal(tdm_call_end(&f.call, 7000), TDM_CALL_FAILED);
    assert_int_equal(f.rec.error_kind, TDM_ERR_DISCONNECTED);
    assert_non_null(strstr(f.rec.error_message, "in the middle of a Server-Sent Event"));
    finish(&f);
}

/* An event over max_line_bytes is a recorded failure that says how to raise the limit. */
static void test_oversized_event(void **state)
{
    (void)state;
    size_t big = 5000;
    char *body = malloc(big + 512);
    assert_non_null(body);
    strcpy(body, CHUNK("a", "null") "data: {\"choices\":[{\"delta\":{\"content\":\"");
    size_t at = strlen(body);
    memset(body + at, 'x', big);
    strcpy(body + at + big, "\"}}]}\n\n");
    size_t n = strlen(body);
    fixture f;
    start(&f, 200, 1024);
    int rc = TDM_CALL_MORE;
    for (size_t i = 0; i < n && rc == TDM_CALL_MORE; i += 100)
        rc = tdm_call_body(&f.call, body + i, n - i < 100 ? n - i : 100, 5000 + (int64_t)i);
    assert_int_equal(rc, TDM_CALL_FAILED);
    assert_int_equal(f.rec.error_kind, TDM_ERR_LINE_TOO_LONG);
    assert_non_null(strstr(f.rec.error_message, "1024 bytes; raise max_line_bytes"));
    assert_int_equal(f.rec.n_events, 1);
    assert_int_equal(tdm_call_end(&f.call, 9000), TDM_CALL_FAILED);
    finish(&f);
    free(body);
}

/* A malformed event is a protocol failure quoting it. */
static void test_malformed_event(void **state)
{
    (void)state;
    const char body[] = "data: {\"choices\": [\n\n";
    fixture f;
    start(&f, 200, 0);
    assert_int_equal(tdm_call_body(&f.call, body, sizeof body - 1, 5000), TDM_CALL_FAILED);
    assert_int_equal(f.rec.error_kind, TDM_ERR_PROTOCOL);
    assert_non_null(strstr(f.rec.error_message, "malformed event from server"));
    finish(&f);
}

/* "stream": false: one chat.completion, one token event for all of its text (as for
 * Ollama's non-streamed replies), whatever the reads. */
static void test_whole_reply(void **state)
{
    (void)state;
    const char body[] = "{\"id\":\"chatcmpl-180\",\"object\":\"chat.completion\",\"created\":1795808203,\"model\":"
                        "\"tiny\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"message\":"
                        "{\"role\":\"assistant\",\"content\":\" ru wp tn?o th\"},\"finish_reason\":\"length\"}],"
                        "\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":8,\"total_tokens\":10}}\n";
    size_t n = sizeof body - 1;
    for (size_t cut = 0; cut <= n; cut++) {
        fixture f;
        start(&f, 200, 0);
        assert_int_equal(feed_two(&f, body, n, cut), TDM_CALL_DONE);
        assert_true(f.rec.ok);
        assert_int_equal(f.rec.n_events, 1);
        assert_int_equal(f.rec.events[0].t_ns, 7000);
        assert_string_equal(tdm_buf_str(&f.rec.text), " ru wp tn?o th");
        assert_int_equal(f.rec.server.eval_count, 8);
        assert_string_equal(f.rec.done_reason, "length");
        finish(&f);
    }
    /* a JSON reply that is no chat completion, and one that is an error with status 200 */
    const char *bad[] = {"{\"object\":\"list\",\"data\":[]}", "{\"error\":{\"message\":\"overloaded\"}}"};
    tdm_error_kind kinds[] = {TDM_ERR_PROTOCOL, TDM_ERR_SERVER};
    for (int i = 0; i < 2; i++) {
        fixture f;
        start(&f, 200, 0);
        assert_int_equal(tdm_call_body(&f.call, bad[i], strlen(bad[i]), 5000), TDM_CALL_MORE);
        assert_int_equal(tdm_call_end(&f.call, 7000), TDM_CALL_FAILED);
        assert_int_equal(f.rec.error_kind, kinds[i]);
        finish(&f);
    }
}

/* Non-2xx replies in OpenAI's shape: the failure quotes the server's message. */
static void test_error_status(void **state)
{
    (void)state;
    const char nf[] = "{\"error\":{\"message\":\"model 'nosuchmodel' not found\",\"type\":\"api_error\","
                      "\"param\":null,\"code\":null}}\n";
    fixture f;
    start(&f, 404, 0);
    assert_int_equal(tdm_call_body(&f.call, nf, sizeof nf - 1, 5000), TDM_CALL_MORE);
    assert_int_equal(tdm_call_end(&f.call, 6000), TDM_CALL_FAILED);
    assert_int_equal(f.rec.error_kind, TDM_ERR_MODEL_NOT_FOUND);
    assert_string_equal(f.rec.error_message, "HTTP 404: model 'nosuchmodel' not found");
    finish(&f);
    const char bad[] = "{\"error\":{\"message\":\"[] is too short - 'messages'\",\"type\":\"invalid_request_error\","
                       "\"param\":null,\"code\":null}}";
    start(&f, 400, 0);
    tdm_call_body(&f.call, bad, sizeof bad - 1, 5000);
    assert_int_equal(tdm_call_end(&f.call, 6000), TDM_CALL_FAILED);
    assert_int_equal(f.rec.error_kind, TDM_ERR_HTTP_STATUS);
    assert_string_equal(f.rec.error_message, "HTTP 400: [] is too short - 'messages'");
    finish(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_at_every_split),
        cmocka_unit_test(test_reasoning_and_timings),
        cmocka_unit_test(test_error_event_mid_stream),
        cmocka_unit_test(test_stream_cut_before_done),
        cmocka_unit_test(test_oversized_event),
        cmocka_unit_test(test_malformed_event),
        cmocka_unit_test(test_whole_reply),
        cmocka_unit_test(test_error_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
