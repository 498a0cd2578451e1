/* test_core_rundata.c — records.json round trip (src/core/rundata_json.c): the report
 * stage recomputes every number from these files, so what is read back must be exactly
 * what was measured, and a damaged file must be refused with a message, not misread. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/metrics.h"
#include "core/rundata.h"

static void build(tdm_run_data *d)
{
    char *names[] = {"collector", "insight"};
    assert_int_equal(tdm_run_data_init(d, 3, 2, names), 0);
    d->has_sequential = d->has_concurrent = true;
    d->seq_order[0] = 1;
    d->seq_order[1] = 0;
    d->seq[0] = (tdm_agent_timing){100, 101, 900};
    d->seq[1] = (tdm_agent_timing){1000, 1001, 1800};
    d->conc[0] = (tdm_agent_timing){2000, 2000, 2900};
    d->conc[1] = (tdm_agent_timing){2000, 2001, 2950};
    d->has_conc_cpu = true; /* and no sequential CPU: each phase's is optional */
    d->conc_cpu = (tdm_cpu_usage){123456789, 987654321};
    tdm_call_record r[2];
    tdm_record_init(&r[0], 3, TDM_PHASE_CONCURRENT, 1, 1);
    r[0].t_begin = 2001;
    r[0].t_start = 2005;
    r[0].t_first_byte = 2100;
    r[0].t_done = 2950;
    r[0].connect_ns = 0;
    r[0].reused_connection = true;
    r[0].bytes = 12345;
    r[0].reads = 17;
    r[0].frames = 16;
    r[0].http_status = 200;
    r[0].ok = true;
    r[0].have_final = true;
    r[0].server.eval_count = 2;
    r[0].server.eval_duration_ns = 500;
    r[0].server.load_duration_ns = 9;
    snprintf(r[0].done_reason, sizeof r[0].done_reason, "stop");
    r[0].request_url = strdup("http://127.0.0.1:11435/api/generate");
    r[0].request_bytes = 99;
    tdm_record_add_event(&r[0], 2200, 3, 0);
    tdm_record_add_event(&r[0], 2300, 0, 4);
    tdm_buf_append_str(&r[0].text, "h\xc3\xa9 \"quoted\"\n");
    tdm_record_init(&r[1], 3, TDM_PHASE_SEQUENTIAL, 0, 0);
    r[1].t_begin = 101;
    tdm_record_fail(&r[1], TDM_ERR_TIMEOUT_IDLE, 900, "the stream stalled");
    assert_int_equal(tdm_run_data_take_calls(d, r, 2), 0);
}

static void test_round_trip_is_exact(void **state)
{
    (void)state;
    tdm_run_data a, b;
    build(&a);
    json_t *doc = tdm_run_data_to_json(&a);
    /* through text, as on disk */
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    doc = json_loads(text, 0, NULL);
    free(text);
    char err[256];
    assert_int_equal(tdm_run_data_from_json(doc, &b, err, sizeof err), 0);
    json_decref(doc);

    assert_int_equal(b.run, 3);
    assert_int_equal(b.n_agents, 2);
    assert_string_equal(b.agent_names[1], "insight");
    assert_int_equal(b.seq_order[0], 1);
    assert_memory_equal(b.seq, a.seq, 2 * sizeof *a.seq);
    assert_memory_equal(b.conc, a.conc, 2 * sizeof *a.conc);
    assert_false(b.has_seq_cpu);
    assert_true(b.has_conc_cpu);
    assert_int_equal(b.conc_cpu.user_ns, 123456789);
    assert_int_equal(b.conc_cpu.sys_ns, 987654321);
    assert_int_equal(b.n_calls, 2);
    const tdm_call_record *x = &a.calls[0], *y = &b.calls[0];
    assert_int_equal(y->phase, TDM_PHASE_CONCURRENT);
    assert_int_equal(y->agent, 1);
    assert_int_equal(y->step, 1);
    assert_int_equal(y->t_start, x->t_start);
    assert_int_equal(y->t_first_byte, x->t_first_byte);
    assert_int_equal(y->t_done, x->t_done);
    assert_true(y->reused_connection);
    assert_int_equal(y->bytes, 12345);
    assert_int_equal(y->reads, 17);
    assert_int_equal(y->frames, 16);
    assert_int_equal(y->n_events, 2);
    assert_memory_equal(y->events, x->events, 2 * sizeof *x->events);
    assert_int_equal(y->server.eval_count, 2);
    assert_int_equal(y->server.load_duration_ns, 9);
    assert_int_equal(y->server.prompt_eval_count, -1); /* absent stays absent */
    assert_string_equal(y->done_reason, "stop");
    assert_string_equal(tdm_buf_str(&y->text), tdm_buf_str(&x->text));
    assert_string_equal(y->request_url, x->request_url);
    assert_false(b.calls[1].ok);
    assert_int_equal(b.calls[1].error_kind, TDM_ERR_TIMEOUT_IDLE);
    assert_string_equal(b.calls[1].error_message, "the stream stalled");

    /* metrics from the file equal metrics from memory */
    tdm_run_metrics ma, mb;
    tdm_run_metrics_compute(&a, 10, &ma);
    tdm_run_metrics_compute(&b, 10, &mb);
    assert_float_equal(ma.t_conc_s, mb.t_conc_s, 0);
    assert_float_equal(ma.legacy_efficiency_pct, mb.legacy_efficiency_pct, 0);
    assert_int_equal(ma.failed_calls, mb.failed_calls);
    tdm_run_metrics_free(&ma);
    tdm_run_metrics_free(&mb);
    tdm_run_data_free(&a);
    tdm_run_data_free(&b);
}

static void expect_refused(const char *json, const char *needle)
{
    json_t *doc = json_loads(json, 0, NULL);
    assert_non_null(doc);
    tdm_run_data d;
    char err[256] = "";
    assert_int_equal(tdm_run_data_from_json(doc, &d, err, sizeof err), -1);
    if (!strstr(err, needle))
        fail_msg("message '%s' lacks '%s'", err, needle);
    json_decref(doc);
}

static void test_damaged_files_are_refused(void **state)
{
    (void)state;
    expect_refused("{}", "not a tandem run file");
    expect_refused("{\"schema\":\"tandem.run/1\",\"run\":1,\"agents\":[]}", "non-empty array");
    expect_refused("{\"schema\":\"tandem.run/1\",\"run\":1,\"agents\":[\"a\"],\"sequential\":null,"
                   "\"concurrent\":null}",
                   "'calls' must be an array");
    expect_refused("{\"schema\":\"tandem.run/1\",\"run\":1,\"agents\":[\"a\"],\"sequential\":{\"order\":[5],"
                   "\"agents\":[]},\"calls\":[]}",
                   "names agent 5");
    expect_refused("{\"schema\":\"tandem.run/1\",\"run\":1,\"agents\":[\"a\"],\"calls\":[{\"run\":1,\"agent\":0,"
                   "\"step\":0,\"phase\":\"sideways\"}]}",
                   "calls[0]: 'phase'");
    expect_refused("{\"schema\":\"tandem.run/1\",\"run\":1,\"agents\":[\"a\"],\"calls\":[{\"run\":1,\"agent\":3,"
                   "\"step\":0,\"phase\":\"warmup\",\"t_begin_ns\":0,\"t_start_ns\":0,\"t_first_byte_ns\":0,"
                   "\"t_done_ns\":0,\"connect_ns\":0,\"http_status\":0,\"events\":{\"dt_ns\":[],"
                   "\"content_bytes\":[],\"thinking_bytes\":[]}}]}",
                   "agent 3 does not exist");
    expect_refused("{\"schema\":\"tandem.run/1\",\"run\":1,\"agents\":[\"a\"],\"calls\":[{\"run\":1,\"agent\":0,"
                   "\"step\":0,\"phase\":\"warmup\",\"t_begin_ns\":0,\"t_start_ns\":0,\"t_first_byte_ns\":0,"
                   "\"t_done_ns\":0,\"connect_ns\":0,\"http_status\":0,\"events\":{\"dt_ns\":[1],"
                   "\"content_bytes\":[],\"thinking_bytes\":[]}}]}",
                   "equal length");
    expect_refused("{\"schema\":\"tandem.run/1\",\"run\":1,\"agents\":[\"a\"],\"concurrent\":{\"agents\":"
                   "[{\"release_ns\":1,\"begin_ns\":1,\"end_ns\":2}],\"client_cpu\":{\"user_ns\":-5,\"sys_ns\":0}},"
                   "\"calls\":[]}",
                   "'client_cpu' needs non-negative");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_is_exact),
        cmocka_unit_test(test_damaged_files_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
