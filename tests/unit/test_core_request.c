/* test_core_request.c — what agents send (src/core/request.c) and how an agent's steps
 * follow each other (src/core/job.c): options only when set, "{previous}" filled with
 * the previous step's text, the warm-up's short call, and the rest skipped after a
 * failure. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/job.h"
#include "core/request.h"
#include "core/scenario.h"

static const char YAML[] = "name: req-test\n"
                           "warmup_num_predict: 2\n"
                           "agents:\n"
                           "  - name: a\n"
                           "    url: http://127.0.0.1:11434/\n"
                           "    model: m1\n"
                           "    keep_alive: 5m\n"
                           "    options: {num_ctx: 1024, temperature: 0.5}\n"
                           "    steps:\n"
                           "      - {name: analysis, prompt: \"look\"}\n"
                           "      - {name: report, prompt: \"about: {previous}!\", system: \"be brief\"}\n"
                           "  - name: b\n"
                           "    url: http://127.0.0.1:11435\n"
                           "    model: m2\n"
                           "    api: chat\n"
                           "    keep_alive: \"0\"\n"
                           "    prompt: hi\n";

static json_t *parse(char *body)
{
    json_t *j = json_loads(body, 0, NULL);
    free(body);
    assert_non_null(j);
    return j;
}

static void test_bodies(void **state)
{
    (void)state;
    tdm_scenario s;
    char err[512];
    if (tdm_scenario_load_string(YAML, sizeof YAML - 1, "test", &s, err, sizeof err) != 0)
        fail_msg("%s", err);

    char *url = tdm_request_url(&s.agents[0]);
    assert_string_equal(url, "http://127.0.0.1:11434/api/generate");
    free(url);
    url = tdm_request_url(&s.agents[1]);
    assert_string_equal(url, "http://127.0.0.1:11435/api/chat");
    free(url);

    json_t *g = parse(tdm_request_body(&s.agents[0], &s.agents[0].steps[1], "the analysis", NULL));
    assert_string_equal(json_string_value(json_object_get(g, "model")), "m1");
    assert_string_equal(json_string_value(json_object_get(g, "prompt")), "about: the analysis!");
    assert_string_equal(json_string_value(json_object_get(g, "system")), "be brief");
    assert_true(json_is_true(json_object_get(g, "stream")));
    assert_string_equal(json_string_value(json_object_get(g, "keep_alive")), "5m");
    json_t *o = json_object_get(g, "options");
    assert_int_equal(json_object_size(o), 2);
    assert_true(json_is_integer(json_object_get(o, "num_ctx")));
    assert_int_equal(json_integer_value(json_object_get(o, "num_ctx")), 1024);
    assert_float_equal(json_real_value(json_object_get(o, "temperature")), 0.5, 1e-12);
    json_decref(g);

    tdm_options extra = {0};
    tdm_options_set(&extra, TDM_OPT_NUM_PREDICT, 1);
    json_t *c = parse(tdm_request_body(&s.agents[1], &s.agents[1].steps[0], NULL, &extra));
    json_t *msgs = json_object_get(c, "messages");
    assert_int_equal(json_array_size(msgs), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 0), "role")), "user");
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 0), "content")), "hi");
    assert_null(json_object_get(c, "prompt"));
    assert_int_equal(json_integer_value(json_object_get(c, "keep_alive")), 0); /* "0" goes as a number */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "options"), "num_predict")), 1);
    json_decref(c);
    tdm_scenario_free(&s);
}

static void test_previous_placeholder(void **state)
{
    (void)state;
    char *p = tdm_request_prompt("{previous}+{previous}", "x");
    assert_string_equal(p, "x+x");
    free(p);
    p = tdm_request_prompt("none here", "x");
    assert_string_equal(p, "none here");
    free(p);
}

static void test_job_sequence_and_skip(void **state)
{
    (void)state;
    tdm_scenario s;
    char err[512];
    assert_int_equal(tdm_scenario_load_string(YAML, sizeof YAML - 1, "test", &s, err, sizeof err), 0);
    tdm_call_record recs[2];
    for (int k = 0; k < 2; k++)
        tdm_record_init(&recs[k], 1, TDM_PHASE_SEQUENTIAL, 0, k);
    tdm_agent_job j;
    tdm_job_init(&j, &s, 0, false, recs, 2);

    char *url, *body;
    tdm_call_record *r = tdm_job_next(&j, &url, &body, 50);
    assert_ptr_equal(r, &recs[0]);
    assert_int_equal(j.t_begin, 50);
    assert_string_equal(r->request_url, "http://127.0.0.1:11434/api/generate");
    assert_int_equal(r->request_bytes, strlen(body));
    free(url);
    free(body);
    /* the first call succeeds with some text; the second's prompt embeds it */
    recs[0].ok = true;
    tdm_buf_append_str(&recs[0].text, "ANALYSIS");
    assert_false(tdm_job_call_finished(&j, 60));
    r = tdm_job_next(&j, &url, &body, 61);
    assert_ptr_equal(r, &recs[1]);
    json_t *b = parse(body);
    assert_string_equal(json_string_value(json_object_get(b, "prompt")), "about: ANALYSIS!");
    json_decref(b);
    free(url);
    recs[1].ok = true;
    assert_true(tdm_job_call_finished(&j, 70));
    assert_int_equal(j.t_end, 70);
    assert_null(tdm_job_next(&j, &url, &body, 71));
    for (int k = 0; k < 2; k++)
        tdm_record_free(&recs[k]);

    /* a failed first call: the second is recorded as skipped, never sent */
    for (int k = 0; k < 2; k++)
        tdm_record_init(&recs[k], 1, TDM_PHASE_CONCURRENT, 0, k);
    tdm_job_init(&j, &s, 0, false, recs, 2);
    r = tdm_job_next(&j, &url, &body, 100);
    free(url);
    free(body);
    tdm_record_fail(r, TDM_ERR_CONNECT, 110, "refused");
    assert_true(tdm_job_call_finished(&j, 110));
    assert_int_equal(j.t_end, 110);
    assert_int_equal(recs[1].error_kind, TDM_ERR_SKIPPED);
    assert_non_null(strstr(recs[1].error_message, "agent 'a'"));
    assert_null(tdm_job_next(&j, &url, &body, 120));
    for (int k = 0; k < 2; k++)
        tdm_record_free(&recs[k]);

    /* warm-up: one call with num_predict from the scenario */
    tdm_record_init(&recs[0], 1, TDM_PHASE_WARMUP, 0, 0);
    tdm_job_init(&j, &s, 0, true, recs, 1);
    r = tdm_job_next(&j, &url, &body, 1);
    b = parse(body);
    free(url);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(b, "options"), "num_predict")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(b, "options"), "num_ctx")), 1024);
    /* its own prompt: Ollama's prompt cache must not favour the first measured call */
    assert_string_equal(json_string_value(json_object_get(b, "prompt")), TDM_WARMUP_PROMPT);
    json_decref(b);
    tdm_record_free(&recs[0]);
    tdm_scenario_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_previous_placeholder),
        cmocka_unit_test(test_job_sequence_and_skip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
