/* test_core_interrupt.c — an interrupted run (src/core/interrupt.c) seen by the parts of
 * the core every runtime goes through: the job hands out no new call and records the
 * rest as not run (job.c), a call in flight gets one more deadline and is cut when it
 * passes (call.c); and a non-Ollama server's error page is quoted short, on one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/call.h"
#include "core/interrupt.h"
#include "core/job.h"
#include "core/scenario_builtin.h"

static const tdm_timeouts T = {.connect_ms = 1000, .first_byte_ms = 5000, .idle_ms = 500, .total_ms = 10000};

static int reset(void **state)
{
    (void)state;
    tdm_interrupt_reset();
    return 0;
}

static void test_requests_count_and_the_first_fixes_the_deadline(void **state)
{
    (void)state;
    assert_false(tdm_interrupt_requested());
    assert_int_equal(tdm_interrupt_deadline(), 0);
    assert_int_equal(tdm_interrupt_request(1000), 1);
    assert_true(tdm_interrupt_requested());
    assert_int_equal(tdm_interrupt_deadline(), 1000 + TDM_INTERRUPT_GRACE_NS);
    assert_int_equal(tdm_interrupt_request(5000), 2);
    assert_int_equal(tdm_interrupt_deadline(), 1000 + TDM_INTERRUPT_GRACE_NS);
}

static void test_a_call_in_flight_is_cut_at_the_interrupt_deadline(void **state)
{
    (void)state;
    tdm_call_record rec;
    tdm_call call;
    tdm_record_init(&rec, 1, TDM_PHASE_SEQUENTIAL, 0, 0);
    tdm_call_init(&call, &rec, &T, 0);
    tdm_call_begin(&call, 1000);
    tdm_call_request_started(&call, 2000, 0, false);
    int64_t before = tdm_call_deadline(&call);
    assert_int_equal(before, 2000 + 5000 * 1000000LL); /* first_byte_ms */
    tdm_interrupt_request(3000);
    assert_int_equal(tdm_call_deadline(&call), 3000 + TDM_INTERRUPT_GRACE_NS);
    assert_false(tdm_call_check_timeouts(&call, 3000 + TDM_INTERRUPT_GRACE_NS - 1));
    assert_true(tdm_call_check_timeouts(&call, 3000 + TDM_INTERRUPT_GRACE_NS));
    assert_false(rec.ok);
    assert_int_equal(rec.error_kind, TDM_ERR_TIMEOUT_TOTAL);
    assert_non_null(strstr(rec.error_message, "interrupted"));
    tdm_call_free(&call);
    tdm_record_free(&rec);
}

static void test_an_earlier_timeout_still_wins(void **state)
{
    (void)state;
    tdm_call_record rec;
    tdm_call call;
    tdm_record_init(&rec, 1, TDM_PHASE_SEQUENTIAL, 0, 0);
    tdm_call_init(&call, &rec, &T, 0);
    tdm_call_begin(&call, 1000);
    tdm_interrupt_request(1000);
    /* connect_ms = 1 s < the 2 s grace */
    assert_int_equal(tdm_call_deadline(&call), 1000 + 1000 * 1000000LL);
    assert_true(tdm_call_check_timeouts(&call, 1000 + 1000 * 1000000LL));
    assert_int_equal(rec.error_kind, TDM_ERR_TIMEOUT_CONNECT);
    tdm_call_free(&call);
    tdm_record_free(&rec);
}

static void test_the_job_hands_out_nothing_after_an_interrupt(void **state)
{
    (void)state;
    tdm_builtin_args b;
    tdm_builtin_args_init(&b);
    b.scenario = "chimera-homo";
    b.calls_per_agent = 2;
    tdm_scenario s;
    char err[512];
    assert_int_equal(tdm_scenario_builtin(&b, &s, err, sizeof err), 0);
    tdm_call_record recs[2];
    for (int k = 0; k < 2; k++)
        tdm_record_init(&recs[k], 1, TDM_PHASE_SEQUENTIAL, 0, k);
    tdm_agent_job j;
    tdm_job_init(&j, &s, 0, false, recs, 2);
    char *url = NULL, *body = NULL;
    tdm_call_record *r = tdm_job_next(&j, &url, &body, 10);
    assert_ptr_equal(r, &recs[0]);
    free(url);
    free(body);
    recs[0].ok = true;
    tdm_interrupt_request(20);
    assert_true(tdm_job_call_finished(&j, 30));
    assert_int_equal(j.t_end, 30);
    assert_null(tdm_job_next(&j, &url, &body, 40));
    assert_int_equal(recs[1].error_kind, TDM_ERR_SKIPPED);
    assert_non_null(strstr(recs[1].error_message, "interrupted"));
    for (int k = 0; k < 2; k++)
        tdm_record_free(&recs[k]);
    tdm_scenario_free(&s);
}

static void test_cancel_marks_every_call_not_run(void **state)
{
    (void)state;
    tdm_builtin_args b;
    tdm_builtin_args_init(&b);
    b.scenario = "chimera-homo";
    tdm_scenario s;
    char err[512];
    assert_int_equal(tdm_scenario_builtin(&b, &s, err, sizeof err), 0);
    tdm_call_record rec;
    tdm_record_init(&rec, 2, TDM_PHASE_SEQUENTIAL, 1, 0);
    tdm_agent_job j;
    tdm_job_init(&j, &s, 1, false, &rec, 1);
    tdm_job_cancel(&j, 5);
    assert_false(rec.ok);
    assert_int_equal(rec.error_kind, TDM_ERR_SKIPPED);
    assert_int_equal(j.next, 1);
    tdm_record_free(&rec);
    tdm_scenario_free(&s);
}

static void test_an_html_error_page_is_quoted_short_on_one_line(void **state)
{
    (void)state;
    tdm_call_record rec;
    tdm_call call;
    tdm_record_init(&rec, 1, TDM_PHASE_SEQUENTIAL, 0, 0);
    tdm_call_init(&call, &rec, &T, 0);
    tdm_call_begin(&call, 1);
    tdm_call_status(&call, 502, 3);
    char page[4096];
    size_t n = 0;
    n += (size_t)snprintf(page + n, sizeof page - n, "<html>\r\n<head>\t<title>502</title></head>\n");
    while (n < 3000)
        n += (size_t)snprintf(page + n, sizeof page - n, "<p>upstream \xc3\xa9 gone</p>\n");
    tdm_call_body(&call, page, n, 4);
    assert_int_equal(tdm_call_end(&call, 6), TDM_CALL_FAILED);
    assert_int_equal(rec.error_kind, TDM_ERR_HTTP_STATUS);
    const char *m = rec.error_message;
    assert_true(strncmp(m, "HTTP 502: <html> <head> <title>502</title></head> <p>upstream", 61) == 0);
    assert_null(strchr(m, '\n'));
    assert_null(strchr(m, '\t'));
    assert_true(strlen(m) <= strlen("HTTP 502: ") + 200 + 3);
    assert_string_equal(m + strlen(m) - 3, "...");
    tdm_call_free(&call);
    tdm_record_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_requests_count_and_the_first_fixes_the_deadline, reset, reset),
        cmocka_unit_test_setup_teardown(test_a_call_in_flight_is_cut_at_the_interrupt_deadline, reset, reset),
        cmocka_unit_test_setup_teardown(test_an_earlier_timeout_still_wins, reset, reset),
        cmocka_unit_test_setup_teardown(test_the_job_hands_out_nothing_after_an_interrupt, reset, reset),
        cmocka_unit_test_setup_teardown(test_cancel_marks_every_call_not_run, reset, reset),
        cmocka_unit_test_setup_teardown(test_an_html_error_page_is_quoted_short_on_one_line, reset, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
