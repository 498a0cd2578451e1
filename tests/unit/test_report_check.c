/* test_report_check.c — the records checker of `tandem-report check` (report/check*.c):
 * a record written by the core passes; each broken field is reported once, naming the
 * file, the run, the call index and the field; provenance's required keys and the
 * scenario rebuilt from it; the problem list's limit; and the run directory reader
 * agreeing with the core's reader. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/fileio.h"
#include "core/rundata.h"
#include "core/scenario.h"
#include "report/check.h"
#include "report/check_dir.h"

/* A run of two agents, one warm-up call, one sequential call with two token events and
 * one failed concurrent call, written by the core's own writer. */
static json_t *good_doc(void)
{
    char *names[] = {"a", "b"};
    tdm_run_data d;
    assert_int_equal(tdm_run_data_init(&d, 1, 2, names), 0);
    d.has_sequential = d.has_concurrent = true;
    for (int i = 0; i < 2; i++) {
        d.seq[i] = (tdm_agent_timing){1000, 1100, 5000};
        d.conc[i] = (tdm_agent_timing){6000, 6000, 9000};
    }
    tdm_call_record r[3];
    tdm_record_init(&r[0], 1, TDM_PHASE_WARMUP, 0, 0);
    tdm_record_init(&r[1], 1, TDM_PHASE_SEQUENTIAL, 1, 0);
    tdm_record_init(&r[2], 1, TDM_PHASE_CONCURRENT, 0, 0);
    for (int i = 0; i < 3; i++) {
        r[i].t_begin = 1000 + 100 * i;
        r[i].t_start = r[i].t_begin + 10;
        r[i].t_first_byte = r[i].t_begin + 20;
        r[i].t_done = r[i].t_begin + 90;
        r[i].http_status = 200;
        r[i].ok = i != 2;
        r[i].request_url = strdup("http://127.0.0.1:1/api/generate");
    }
    tdm_record_add_event(&r[1], r[1].t_begin + 30, 5, 0);
    tdm_record_add_event(&r[1], r[1].t_begin + 40, 3, 0);
    r[1].have_final = true;
    r[1].server.eval_count = 2;
    snprintf(r[1].done_reason, sizeof r[1].done_reason, "length");
    r[2].error_kind = TDM_ERR_SERVER;
    r[2].error_message = strdup("boom");
    assert_int_equal(tdm_run_data_take_calls(&d, r, 3), 0);
    json_t *doc = tdm_run_data_to_json(&d);
    tdm_run_data_free(&d);
    return doc;
}

static json_t *call(json_t *doc, size_t i)
{
    return json_array_get(json_object_get(doc, "calls"), i);
}

/* Checks doc; asserts exactly `want` problems and that the text holds every needle. */
static void expect(json_t *doc, size_t want, const char *const *needles)
{
    tdm_rep_problems p = {0};
    size_t n = tdm_rep_check_records(doc, "d/run_1/records.json", 1, NULL, &p);
    const char *text = tdm_rep_problems_text(&p);
    if (n != want)
        fprintf(stderr, "%s", text);
    assert_int_equal(n, want);
    assert_int_equal(p.n, want);
    for (size_t i = 0; needles && needles[i]; i++)
        if (!strstr(text, needles[i])) {
            fprintf(stderr, "wanted '%s' in:\n%s", needles[i], text);
            fail();
        }
    tdm_rep_problems_free(&p);
    json_decref(doc);
}

static void test_core_record_passes(void **state)
{
    (void)state;
    expect(good_doc(), 0, NULL);
}

static void test_wrong_type(void **state)
{
    (void)state;
    json_t *doc = good_doc();
    json_object_set_new(call(doc, 1), "bytes", json_string("12"));
    const char *const n[] = {"d/run_1/records.json: run 1, calls[1] (sequential, agent 1, step 0): field 'bytes' is a "
                             "string; expected",
                             NULL};
    expect(doc, 1, n);
}

static void test_missing_key(void **state)
{
    (void)state;
    json_t *doc = good_doc();
    json_object_del(call(doc, 0), "t_first_byte_ns");
    const char *const n[] = {"calls[0] (warmup, agent 0, step 0): field 't_first_byte_ns' is missing", NULL};
    expect(doc, 1, n);
}

static void test_event_before_the_call(void **state)
{
    (void)state;
    json_t *doc = good_doc();
    json_array_set_new(json_object_get(json_object_get(call(doc, 1), "events"), "dt_ns"), 0, json_integer(-5));
    const char *const n[] = {"calls[1]", "'events.dt_ns[0]' is -5: the token event is before the call began", NULL};
    expect(doc, 1, n);
    /* after t_begin but before the request was sent (t_start is t_begin + 10) */
    doc = good_doc();
    json_array_set_new(json_object_get(json_object_get(call(doc, 1), "events"), "dt_ns"), 0, json_integer(5));
    const char *const m[] = {"'events.dt_ns[0]' is 5: the token event is before the request was sent", NULL};
    expect(doc, 1, m);
    /* out of arrival order */
    doc = good_doc();
    json_array_set_new(json_object_get(json_object_get(call(doc, 1), "events"), "dt_ns"), 1, json_integer(25));
    const char *const o[] = {"'events.dt_ns[1]' is 25, before the event ahead of it (30)", NULL};
    expect(doc, 1, o);
}

static void test_negative_count_and_bad_counters(void **state)
{
    (void)state;
    json_t *doc = good_doc();
    json_object_set_new(call(doc, 2), "reads", json_integer(-1));
    json_object_set_new(json_object_get(call(doc, 1), "server"), "eval_count", json_integer(-2));
    json_array_set_new(json_object_get(json_object_get(call(doc, 1), "events"), "content_bytes"), 1,
                       json_integer(-3));
    const char *const n[] = {"calls[2] (concurrent, agent 0, step 0): field 'reads' is -1",
                             "calls[1] (sequential, agent 1, step 0): field 'server.eval_count' is -2",
                             "field 'events.content_bytes[1]' is the integer -3", NULL};
    expect(doc, 3, n);
}

static void test_schema_and_run(void **state)
{
    (void)state;
    json_t *doc = good_doc();
    json_object_set_new(doc, "schema", json_string("tandem.run/2"));
    const char *const n[] = {"d/run_1/records.json: run 1: field 'schema' is 'tandem.run/2'; expected \"tandem.run/1\"",
                             NULL};
    expect(doc, 1, n); /* and nothing else is judged against a format it is not */
    doc = good_doc();
    json_object_set_new(doc, "run", json_integer(2));
    json_object_set_new(call(doc, 0), "run", json_integer(3));
    const char *const m[] = {"run 1: field 'run' is 2", "calls[0] (warmup, agent 0, step 0): field 'run' is 3", NULL};
    expect(doc, 2, m);
}

static void test_outcome_and_timeline(void **state)
{
    (void)state;
    json_t *doc = good_doc();
    json_object_set_new(call(doc, 0), "error", json_pack("{s:s, s:s}", "kind", "server_error", "message", "x"));
    json_object_set_new(json_object_get(call(doc, 2), "error"), "kind", json_string("oops"));
    json_object_set_new(call(doc, 1), "t_done_ns", json_integer(1105));
    json_object_set_new(call(doc, 1), "agent", json_integer(2));
    json_object_set_new(call(doc, 1), "phase", json_string("parallel"));
    const char *const n[] = {"calls[0] (warmup, agent 0, step 0): field 'error' is an object; expected null",
                             "field 'error.kind' is 'oops'; expected one of: connect,",
                             "field 't_done_ns' is 1105, before 't_first_byte_ns' (1120)",
                             "calls[1] (parallel, agent 2, step 0): field 'phase' is 'parallel'",
                             "field 'agent' is 2; expected an index into the file's 'agents' (an integer from 0 to 1)",
                             NULL};
    expect(doc, 5, n);
}

static void test_phases(void **state)
{
    (void)state;
    json_t *doc = good_doc();
    json_t *order = json_object_get(json_object_get(doc, "sequential"), "order");
    json_array_set_new(order, 1, json_integer(0));
    json_object_del(json_array_get(json_object_get(json_object_get(doc, "concurrent"), "agents"), 1), "end_ns");
    json_object_set_new(doc, "agents", json_pack("[s, i]", "a", 7));
    const char *const n[] = {"field 'agents[1]' is the integer 7", "field 'sequential.order[1]' is the integer 0",
                             "field 'concurrent.agents[1].end_ns' is missing", NULL};
    expect(doc, 3, n);
    expect(json_string("x"), 1, (const char *const[]){"field '(document)' is a string", NULL});
}

static void test_problem_limit(void **state)
{
    (void)state;
    tdm_rep_problems p = {.limit = 2};
    for (int i = 0; i < 5; i++)
        tdm_rep_problem(&p, "problem %d", i);
    assert_int_equal(p.n, 5);
    assert_string_equal(tdm_rep_problems_text(&p), "problem 0\nproblem 1\n... and 3 more problem(s) not shown\n");
    assert_string_equal(tdm_rep_problems_text(&p), "problem 0\nproblem 1\n... and 3 more problem(s) not shown\n");
    tdm_rep_problems_free(&p);
}

static json_t *good_provenance(tdm_scenario *s)
{
    tdm_scenario_init(s);
    s->name = strdup("t");
    s->n_agents = 2;
    s->agents = calloc(2, sizeof *s->agents);
    for (int i = 0; i < 2; i++) {
        tdm_agent *a = &s->agents[i];
        tdm_agent_init(a);
        a->name = strdup(i ? "b" : "a");
        a->url = strdup("http://127.0.0.1:1");
        a->model = strdup("m");
        tdm_options_set(&a->options, TDM_OPT_NUM_PREDICT, 3);
        a->n_steps = 1;
        a->steps = calloc(1, sizeof *a->steps);
        a->steps[0].prompt = strdup("hello");
    }
    char err[256];
    assert_int_equal(tdm_scenario_complete(s, err, sizeof err), 0);
    return json_pack("{s:s, s:s, s:s, s:{s:s}, s:o}", "schema", "tandem.provenance/1", "variant", "x", "started_at",
                     "2026-01-01T00:00:00Z", "runtime", "runtime", "one loop", "scenario", tdm_scenario_to_json(s));
}

static void test_provenance_and_scenario(void **state)
{
    (void)state;
    tdm_scenario want, got;
    json_t *prov = good_provenance(&want);
    tdm_rep_problems p = {0};
    assert_int_equal(tdm_rep_check_provenance(prov, "d/provenance.json", &got, &p), 0);
    /* the scenario rebuilt serialises as the one that was written */
    json_t *a = tdm_scenario_to_json(&want), *b = tdm_scenario_to_json(&got);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    /* records are judged against it: agent names and step counts */
    json_t *doc = good_doc();
    json_object_set_new(call(doc, 1), "step", json_integer(1));
    json_array_set_new(json_object_get(doc, "agents"), 0, json_string("z"));
    assert_int_equal(tdm_rep_check_records(doc, "r", 1, &got, &p), 2);
    assert_non_null(strstr(tdm_rep_problems_text(&p), "field 'agents[0]' is 'z'; expected 'a'"));
    assert_non_null(strstr(tdm_rep_problems_text(&p), "field 'step' is 1; expected an index into the agent's steps"));
    json_decref(doc);
    tdm_rep_problems_free(&p);
    tdm_scenario_free(&got);

    json_object_del(prov, "variant");
    json_object_set_new(json_object_get(prov, "runtime"), "runtime", json_integer(1));
    json_t *ag0 = json_array_get(json_object_get(json_object_get(prov, "scenario"), "agents"), 0);
    json_object_set_new(json_object_get(ag0, "options"), "num_predikt", json_integer(3));
    assert_int_equal(tdm_rep_check_provenance(prov, "d/provenance.json", &got, &p), 3);
    const char *text = tdm_rep_problems_text(&p);
    assert_non_null(strstr(text, "d/provenance.json: field 'variant' is missing"));
    assert_non_null(strstr(text, "field 'runtime.runtime' is the integer 1"));
    assert_non_null(strstr(text, "field 'scenario.agents[0].options.num_predikt' is the integer 3"));
    assert_null(got.agents);
    tdm_rep_problems_free(&p);

    /* a scenario that reads but does not validate */
    json_object_set_new(prov, "variant", json_string("x"));
    json_object_set_new(json_object_get(prov, "runtime"), "runtime", json_string("r"));
    json_object_del(json_object_get(ag0, "options"), "num_predikt");
    json_object_set_new(json_object_get(prov, "scenario"), "runs", json_integer(0));
    assert_int_equal(tdm_rep_check_provenance(prov, "d/provenance.json", &got, &p), 1);
    assert_non_null(strstr(tdm_rep_problems_text(&p), "field 'scenario' is not a valid scenario"));
    tdm_rep_problems_free(&p);
    json_decref(prov);
    tdm_scenario_free(&want);
}

/* A directory on disk: good, then with a gap in the runs. */
static void test_rundir(void **state)
{
    (void)state;
    char dir[] = "/tmp/tdm-check-XXXXXX", path[256], err[256];
    assert_non_null(mkdtemp(dir));
    tdm_scenario s;
    json_t *prov = good_provenance(&s);
    snprintf(path, sizeof path, "%s/provenance.json", dir);
    assert_int_equal(tdm_write_json_atomic(path, prov, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/run_1", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    json_t *doc = good_doc();
    snprintf(path, sizeof path, "%s/run_1/records.json", dir);
    assert_int_equal(tdm_write_json_atomic(path, doc, err, sizeof err), 0);
    tdm_rep_rundir rd;
    tdm_rep_problems p = {0};
    assert_int_equal(tdm_rep_rundir_load(dir, &rd, &p), 0);
    assert_int_equal(rd.n_runs, 1);
    assert_int_equal(rd.runs[0].n_calls, 3);
    assert_int_equal(rd.scenario.n_agents, 2);
    tdm_rep_rundir_free(&rd);

    snprintf(path, sizeof path, "%s/run_3", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(tdm_rep_rundir_load(dir, &rd, &p), 1);
    assert_non_null(strstr(tdm_rep_problems_text(&p), "run_2/records.json: missing, yet run_3 exists"));
    assert_null(rd.runs);
    tdm_rep_rundir_free(&rd);
    tdm_rep_problems_free(&p);

    assert_int_equal(rmdir(path), 0);
    snprintf(path, sizeof path, "%s/run_1/records.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/run_1", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/provenance.json", dir);
    unlink(path);
    rmdir(dir);
    json_decref(doc);
    json_decref(prov);
    tdm_scenario_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_record_passes),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_missing_key),
        cmocka_unit_test(test_event_before_the_call),
        cmocka_unit_test(test_negative_count_and_bad_counters),
        cmocka_unit_test(test_schema_and_run),
        cmocka_unit_test(test_outcome_and_timeline),
        cmocka_unit_test(test_phases),
        cmocka_unit_test(test_problem_limit),
        cmocka_unit_test(test_provenance_and_scenario),
        cmocka_unit_test(test_rundir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
