/* test_core_call.c — the per-call stream consumer (src/core/call.c): what every variant
 * feeds with the bytes it read. Each fault a server can commit must end the call with
 * the right kind and message while keeping every token event recorded before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/call.h"

static const tdm_timeouts T = {.connect_ms = 1000, .first_byte_ms = 2000, .idle_ms = 500, .total_ms = 10000};

#define L1 "{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00Z\",\"response\":\"Hel\",\"done\":false}\n"
#define L2 "{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00Z\",\"response\":\"lo \xc3\xa9\",\"done\":false}\n"
#define LF                                                                                                          \
    "{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00Z\",\"response\":\"\",\"done\":true,\"done_reason\":"     \
    "\"length\",\"context\":[1,2,3],\"total_duration\":900,\"load_duration\":100,\"prompt_eval_count\":7,"         \
    "\"prompt_eval_duration\":200,\"eval_count\":2,\"eval_duration\":500}\n"

typedef struct fixture {
    tdm_call_record rec;
    tdm_call call;
} fixture;

static void start(fixture *f)
{
    tdm_record_init(&f->rec, 1, TDM_PHASE_SEQUENTIAL, 0, 0);
    tdm_call_init(&f->call, &f->rec, &T, 0);
    tdm_call_begin(&f->call, 1000);
    tdm_call_request_started(&f->call, 2000, 0, true);
    tdm_call_status(&f->call, 200, 3000);
}

static void finish(fixture *f)
{
    tdm_call_free(&f->call);
    tdm_record_free(&f->rec);
}

static void test_whole_stream_at_every_split(void **state)
{
    (void)state;
    const char body[] = L1 L2 LF;
    size_t n = sizeof body - 1;
    for (size_t cut = 0; cut <= n; cut++) {
        fixture f;
        start(&f);
        int rc1 = tdm_call_body(&f.call, body, cut, 5000);
        int rc2 = tdm_call_body(&f.call, body + cut, n - cut, 6000);
        assert_int_equal(cut == n ? rc1 : rc2, TDM_CALL_DONE);
        assert_int_equal(tdm_call_end(&f.call, 7000), TDM_CALL_DONE);
        assert_true(f.rec.ok);
        assert_int_equal(f.rec.n_events, 2);
        assert_string_equal(tdm_buf_str(&f.rec.text), "Hello \xc3\xa9");
        /* An event carries the arrival time of the read that completed its line. */
        assert_int_equal(f.rec.events[0].t_ns, cut >= strlen(L1) ? 5000 : 6000);
        assert_int_equal(f.rec.events[1].content_bytes, 5);
        assert_int_equal(f.rec.server.eval_count, 2);
        assert_int_equal(f.rec.server.prompt_eval_count, 7);
        assert_int_equal(f.rec.server.load_duration_ns, 100);
        assert_string_equal(f.rec.done_reason, "length");
        assert_int_equal(f.rec.frames, 3);
        assert_int_equal(f.rec.bytes, n);
        assert_int_equal(f.rec.reads, 2);
        assert_int_equal(f.rec.t_done, cut == n ? 5000 : 6000);
        finish(&f);
    }
}

static void test_one_byte_at_a_time(void **state)
{
    (void)state;
    const char body[] = L1 L2 LF;
    fixture f;
    start(&f);
    for (size_t i = 0; i < sizeof body - 1; i++)
        tdm_call_body(&f.call, body + i, 1, 10000 + (int64_t)i);
    assert_int_equal(tdm_call_end(&f.call, 99999), TDM_CALL_DONE);
    assert_int_equal(f.rec.reads, sizeof body - 1);
    assert_int_equal(f.rec.n_events, 2);
    assert_int_equal(f.rec.events[0].t_ns, 10000 + (int64_t)strlen(L1) - 1);
    finish(&f);
}

static void test_one_read_many_slices(void **state)
{
    (void)state;
    const char body[] = L1 L2 LF;
    fixture f;
    start(&f);
    /* One socket read at t=7000, de-chunked by the transport into three slices. */
    tdm_call_read(&f.call, 7000);
    assert_int_equal(tdm_call_slice(&f.call, body, 10), TDM_CALL_MORE);
    assert_int_equal(tdm_call_slice(&f.call, body + 10, strlen(L1)), TDM_CALL_MORE);
    assert_int_equal(tdm_call_slice(&f.call, body + 10 + strlen(L1), sizeof body - 11 - strlen(L1)), TDM_CALL_DONE);
    assert_int_equal(f.rec.reads, 1);
    assert_int_equal(f.rec.bytes, sizeof body - 1);
    assert_int_equal(f.rec.n_events, 2);
    assert_int_equal(f.rec.events[0].t_ns, 7000);
    assert_int_equal(f.rec.events[1].t_ns, 7000);
    assert_int_equal(f.rec.t_done, 7000);
    finish(&f);
}

static void test_error_line_mid_stream_keeps_events(void **state)
{
    (void)state;
    const char body[] = L1 L2 "{\"error\":\"CUDA out of memory\"}\n";
    fixture f;
    start(&f);
    assert_int_equal(tdm_call_body(&f.call, body, sizeof body - 1, 5000), TDM_CALL_FAILED);
    assert_int_equal(tdm_call_end(&f.call, 6000), TDM_CALL_FAILED);
    assert_false(f.rec.ok);
    assert_int_equal(f.rec.error_kind, TDM_ERR_SERVER);
    assert_non_null(strstr(f.rec.error_message, "CUDA out of memory"));
    assert_int_equal(f.rec.n_events, 2);
    finish(&f);
}

static void test_malformed_line(void **state)
{
    (void)state;
    const char body[] = L1 "{\"response\": oops}\n";
    fixture f;
    start(&f);
    assert_int_equal(tdm_call_body(&f.call, body, sizeof body - 1, 5000), TDM_CALL_FAILED);
    assert_int_equal(f.rec.error_kind, TDM_ERR_PROTOCOL);
    assert_non_null(strstr(f.rec.error_message, "malformed line"));
    assert_int_equal(f.rec.n_events, 1);
    finish(&f);
}

static void test_line_too_long(void **state)
{
    (void)state;
    fixture f;
    tdm_record_init(&f.rec, 1, TDM_PHASE_SEQUENTIAL, 0, 0);
    tdm_call_init(&f.call, &f.rec, &T, 64);
    tdm_call_begin(&f.call, 1);
    tdm_call_request_started(&f.call, 2, 0, false);
    tdm_call_status(&f.call, 200, 3);
    char big[200];
    memset(big, 'x', sizeof big);
    assert_int_equal(tdm_call_body(&f.call, big, sizeof big, 5000), TDM_CALL_FAILED);
    assert_int_equal(f.rec.error_kind, TDM_ERR_LINE_TOO_LONG);
    assert_non_null(strstr(f.rec.error_message, "max_line_bytes"));
    finish(&f);
}

static void test_404_model_not_found(void **state)
{
    (void)state;
    fixture f;
    tdm_record_init(&f.rec, 1, TDM_PHASE_SEQUENTIAL, 0, 0);
    tdm_call_init(&f.call, &f.rec, &T, 0);
    tdm_call_begin(&f.call, 1);
    tdm_call_request_started(&f.call, 2, 0, false);
    tdm_call_status(&f.call, 404, 3);
    const char body[] = "{\"error\":\"model 'llama9' not found\"}";
    /* the error body arrives in two reads */
    assert_int_equal(tdm_call_body(&f.call, body, 10, 4), TDM_CALL_MORE);
    assert_int_equal(tdm_call_body(&f.call, body + 10, sizeof body - 11, 5), TDM_CALL_MORE);
    assert_int_equal(tdm_call_end(&f.call, 6), TDM_CALL_FAILED);
    assert_int_equal(f.rec.error_kind, TDM_ERR_MODEL_NOT_FOUND);
    assert_string_equal(f.rec.error_message, "HTTP 404: model 'llama9' not found");
    assert_int_equal(f.rec.n_events, 0);
    finish(&f);
}

static void test_500_with_plain_body(void **state)
{
    (void)state;
    fixture f;
    tdm_record_init(&f.rec, 1, TDM_PHASE_SEQUENTIAL, 0, 0);
    tdm_call_init(&f.call, &f.rec, &T, 0);
    tdm_call_begin(&f.call, 1);
    tdm_call_status(&f.call, 500, 3);
    tdm_call_body(&f.call, "boom", 4, 4);
    assert_int_equal(tdm_call_end(&f.call, 6), TDM_CALL_FAILED);
    assert_int_equal(f.rec.error_kind, TDM_ERR_HTTP_STATUS);
    assert_string_equal(f.rec.error_message, "HTTP 500: boom");
    finish(&f);
}

static void test_disconnect_mid_stream(void **state)
{
    (void)state;
    const char body[] = L1 L2 "{\"model\":\"m\",\"resp";
    fixture f;
    start(&f);
    assert_int_equal(tdm_call_body(&f.call, body, sizeof body - 1, 5000), TDM_CALL_MORE);
    assert_int_equal(tdm_call_end(&f.call, 6000), TDM_CALL_FAILED);
    assert_int_equal(f.rec.error_kind, TDM_ERR_DISCONNECTED); /* torn mid-line */
    assert_non_null(strstr(f.rec.error_message, "middle of a line (18 bytes"));
    assert_int_equal(f.rec.n_events, 2);

    fixture g;
    start(&g);
    assert_int_equal(tdm_call_body(&g.call, L1, strlen(L1), 5000), TDM_CALL_MORE);
    assert_int_equal(tdm_call_end(&g.call, 6000), TDM_CALL_FAILED);
    assert_int_equal(g.rec.error_kind, TDM_ERR_DISCONNECTED);
    assert_non_null(strstr(g.rec.error_message, "before its final"));
    assert_int_equal(g.rec.t_done, 6000);
    finish(&f);
    finish(&g);
}

static void test_non_streamed_body_without_newline(void **state)
{
    (void)state;
    const char body[] = "{\"model\":\"m\",\"response\":\"whole answer\",\"done\":true,\"done_reason\":\"stop\","
                        "\"eval_count\":2,\"eval_duration\":10}";
    fixture f;
    start(&f);
    assert_int_equal(tdm_call_body(&f.call, body, sizeof body - 1, 5000), TDM_CALL_MORE);
    assert_int_equal(tdm_call_end(&f.call, 6000), TDM_CALL_DONE);
    assert_true(f.rec.ok);
    assert_string_equal(tdm_buf_str(&f.rec.text), "whole answer");
    assert_int_equal(f.rec.n_events, 1);
    finish(&f);
}

static void test_chat_thinking_events(void **state)
{
    (void)state;
    const char body[] =
        "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"hmm\"},\"done\":false}\n"
        "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"Yes\"},\"done\":false}\n"
        "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\"}\n";
    fixture f;
    start(&f);
    assert_int_equal(tdm_call_body(&f.call, body, sizeof body - 1, 5000), TDM_CALL_DONE);
    assert_int_equal(f.rec.n_events, 2);
    assert_int_equal(f.rec.events[0].thinking_bytes, 3);
    assert_int_equal(f.rec.events[0].content_bytes, 0);
    assert_int_equal(f.rec.events[1].content_bytes, 3);
    assert_string_equal(tdm_buf_str(&f.rec.text), "Yes");
    assert_int_equal(f.rec.thinking_bytes_total, 3);
    finish(&f);
}

static void test_timeouts(void **state)
{
    (void)state;
    const int64_t ms = 1000000;
    /* connect: never started */
    fixture f;
    tdm_record_init(&f.rec, 1, TDM_PHASE_SEQUENTIAL, 0, 0);
    tdm_call_init(&f.call, &f.rec, &T, 0);
    tdm_call_begin(&f.call, 0);
    assert_int_equal(tdm_call_deadline(&f.call), 1000 * ms);
    assert_false(tdm_call_check_timeouts(&f.call, 999 * ms));
    assert_true(tdm_call_check_timeouts(&f.call, 1000 * ms));
    assert_int_equal(f.rec.error_kind, TDM_ERR_TIMEOUT_CONNECT);
    assert_non_null(strstr(f.rec.error_message, "connect_ms = 1000"));
    assert_int_equal(tdm_call_deadline(&f.call), 0);
    finish(&f);

    /* first byte */
    tdm_record_init(&f.rec, 1, TDM_PHASE_SEQUENTIAL, 0, 0);
    tdm_call_init(&f.call, &f.rec, &T, 0);
    tdm_call_begin(&f.call, 0);
    tdm_call_request_started(&f.call, 10 * ms, 0, false);
    assert_false(tdm_call_check_timeouts(&f.call, 2009 * ms));
    assert_true(tdm_call_check_timeouts(&f.call, 2010 * ms));
    assert_int_equal(f.rec.error_kind, TDM_ERR_TIMEOUT_FIRST_BYTE);
    finish(&f);

    /* idle after streaming started, events kept */
    start(&f);
    tdm_call_body(&f.call, L1, strlen(L1), 100 * ms);
    assert_int_equal(tdm_call_deadline(&f.call), 600 * ms);
    assert_false(tdm_call_check_timeouts(&f.call, 599 * ms));
    assert_true(tdm_call_check_timeouts(&f.call, 600 * ms));
    assert_int_equal(f.rec.error_kind, TDM_ERR_TIMEOUT_IDLE);
    assert_int_equal(f.rec.n_events, 1);
    /* later bytes do not revive a failed call */
    assert_int_equal(tdm_call_body(&f.call, L2, strlen(L2), 700 * ms), TDM_CALL_FAILED);
    assert_int_equal(f.rec.n_events, 1);
    finish(&f);

    /* total, even while bytes keep coming */
    start(&f);
    for (int64_t t = 100; t < 10000; t += 100)
        tdm_call_body(&f.call, L1, strlen(L1), t * ms);
    assert_true(tdm_call_check_timeouts(&f.call, 10001 * ms));
    assert_int_equal(f.rec.error_kind, TDM_ERR_TIMEOUT_TOTAL);
    finish(&f);
}

static void test_first_failure_wins(void **state)
{
    (void)state;
    fixture f;
    start(&f);
    tdm_call_fail(&f.call, TDM_ERR_CONNECT, 5, "first");
    tdm_call_fail(&f.call, TDM_ERR_INTERNAL, 6, "second");
    assert_int_equal(tdm_call_end(&f.call, 7), TDM_CALL_FAILED);
    assert_int_equal(f.rec.error_kind, TDM_ERR_CONNECT);
    assert_string_equal(f.rec.error_message, "first");
    assert_int_equal(f.rec.t_done, 5);
    finish(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_stream_at_every_split),
        cmocka_unit_test(test_one_byte_at_a_time),
        cmocka_unit_test(test_one_read_many_slices),
        cmocka_unit_test(test_error_line_mid_stream_keeps_events),
        cmocka_unit_test(test_malformed_line),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_404_model_not_found),
        cmocka_unit_test(test_500_with_plain_body),
        cmocka_unit_test(test_disconnect_mid_stream),
        cmocka_unit_test(test_non_streamed_body_without_newline),
        cmocka_unit_test(test_chat_thinking_events),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_first_failure_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
