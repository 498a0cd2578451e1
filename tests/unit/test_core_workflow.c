/* test_core_workflow.c — agents that depend on each other: after: resolved to steps, the
 * sequential phase's topological order (the agents' order among the steps ready), the
 * board's gating (inputs, serial turns, failed inputs), {output:} and history in the
 * request, and the critical path computed from records alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/metrics.h"
#include "core/request.h"
#include "core/rundata.h"
#include "core/scenario.h"
#include "core/workflow_board.h"

static char err[4096];

/* a -> (b after a.x) ; c independent ; d.y after b.y and c.z */
#define FLOW                                                                                                      \
    "name: w\ndefaults: {url: http://h:1, model: m}\nagents:\n"                                                   \
    "  - {name: a, steps: [{name: x, prompt: one}]}\n"                                                            \
    "  - {name: b, steps: [{name: y, after: [a.x], prompt: \"two {output:a.x}\"}]}\n"                            \
    "  - {name: c, steps: [{name: z, prompt: three}]}\n"                                                          \
    "  - {name: d, steps: [{name: y, after: [b.y, c.z], think_ms: 5, prompt: \"{output:b.y}+{output:c.z}\"}]}\n"

static void load(tdm_scenario *s, const char *yaml)
{
    if (tdm_scenario_load_string(yaml, strlen(yaml), "w.yaml", s, err, sizeof err) != 0)
        fail_msg("%s", err);
}

static void test_after_resolves_and_marks_a_workflow(void **state)
{
    (void)state;
    tdm_scenario s;
    load(&s, FLOW);
    assert_true(s.workflow);
    const tdm_step *d = &s.agents[3].steps[0];
    assert_int_equal(d->n_after, 2);
    assert_int_equal(d->deps[0].agent, 1);
    assert_int_equal(d->deps[1].agent, 2);
    assert_int_equal(d->think_ns, 5000000);
    /* a copy keeps the resolved graph */
    tdm_scenario c;
    assert_int_equal(tdm_scenario_copy(&c, &s), 0);
    assert_int_equal(c.agents[3].steps[0].deps[1].agent, 2);
    assert_string_equal(c.agents[3].steps[0].after[0], "b.y");
    tdm_scenario_free(&c);
    tdm_scenario_free(&s);
    /* no workflow key: not a workflow */
    load(&s, "name: p\nagents:\n  - {name: a, url: http://h:1, model: m, prompt: p}\n");
    assert_false(s.workflow);
    tdm_scenario_free(&s);
}

static void test_order_is_topological_in_the_agents_order(void **state)
{
    (void)state;
    tdm_scenario s;
    load(&s, FLOW);
    tdm_step_ref out[4];
    /* d first and b second in the agents' order: each still waits for its inputs */
    int order[4] = {3, 1, 2, 0};
    assert_int_equal(tdm_workflow_order(&s, order, out), 4);
    size_t want[4] = {2, 0, 1, 3}; /* c (ready), a (ready), then b, then d */
    for (int i = 0; i < 4; i++)
        assert_int_equal(out[i].agent, want[i]);
    int plain[4] = {0, 1, 2, 3};
    assert_int_equal(tdm_workflow_order(&s, plain, out), 4);
    size_t want2[4] = {0, 1, 2, 3};
    for (int i = 0; i < 4; i++)
        assert_int_equal(out[i].agent, want2[i]);
    tdm_scenario_free(&s);
}

static void finished(tdm_call_record *r, int agent, int64_t t_done, bool ok, const char *text)
{
    tdm_record_init(r, 1, TDM_PHASE_CONCURRENT, agent, 0);
    r->ok = ok;
    r->t_done = t_done;
    tdm_buf_append_str(&r->text, text);
}

static void test_board_gates_on_inputs_turns_and_failures(void **state)
{
    (void)state;
    tdm_scenario s;
    load(&s, FLOW);
    tdm_board *b = tdm_board_new(&s, NULL, 0);
    assert_non_null(b);
    tdm_step_ref failed;
    bool bad;
    assert_true(tdm_board_inputs_at(b, 0, 0, &failed, &bad) == 0 && !bad);
    assert_true(tdm_board_inputs_at(b, 3, 0, &failed, &bad) == TDM_DUE_WAIT);
    tdm_call_record rb, rc;
    finished(&rb, 1, 700, true, "B");
    finished(&rc, 2, 900, true, "C");
    uint64_t gen = tdm_board_generation(b);
    tdm_board_step_done(b, 1, 0, &rb);
    assert_true(tdm_board_generation(b) == gen + 1);
    assert_true(tdm_board_inputs_at(b, 3, 0, &failed, &bad) == TDM_DUE_WAIT);
    tdm_board_step_done(b, 2, 0, &rc);
    assert_true(tdm_board_inputs_at(b, 3, 0, &failed, &bad) == 900); /* the later input */
    assert_string_equal(tdm_board_text(b, 1, 0), "B");
    tdm_board_free(b);

    /* a failed input: the step cannot run, and says which */
    b = tdm_board_new(&s, NULL, 0);
    rb.ok = false;
    tdm_board_step_done(b, 1, 0, &rb);
    assert_true(tdm_board_inputs_at(b, 3, 0, &failed, &bad) == 0 && bad);
    assert_int_equal(failed.agent, 1);
    tdm_board_free(b);

    /* serial: only the step whose turn it is, due when the one before it finished */
    tdm_step_ref order[4] = {{2, 0}, {0, 0}, {1, 0}, {3, 0}};
    b = tdm_board_new(&s, order, 4);
    assert_true(tdm_board_inputs_at(b, 0, 0, &failed, &bad) == TDM_DUE_WAIT);
    assert_true(tdm_board_inputs_at(b, 2, 0, &failed, &bad) == 0);
    tdm_board_step_done(b, 2, 0, &rc);
    assert_true(tdm_board_inputs_at(b, 0, 0, &failed, &bad) == 900);
    tdm_board_free(b);
    tdm_record_free(&rb);
    tdm_record_free(&rc);
    tdm_scenario_free(&s);
}

static void test_outputs_and_history_in_the_body(void **state)
{
    (void)state;
    tdm_scenario s;
    load(&s, "name: h\ndefaults: {url: http://h:1, model: m, api: chat}\nagents:\n"
             "  - {name: a, steps: [{name: x, prompt: one}]}\n"
             "  - {name: b, history: true, steps: [{name: p, prompt: first},\n"
             "      {name: q, after: [a.x], prompt: \"see {output:a.x} and {previous}\"}]}\n");
    const char *outs[1] = {"A\"said"};
    const char *prompts[1] = {"first"}, *replies[1] = {"R1"};
    tdm_request_inputs in = {.previous = "R1", .outputs = outs, .n_turns = 1, .turn_prompts = prompts,
                             .turn_replies = replies};
    char *p = tdm_request_prompt_in(&s.agents[1].steps[1], &in);
    assert_string_equal(p, "see A\"said and R1");
    free(p);
    char *body = tdm_request_body_in(&s.agents[1], &s.agents[1].steps[1], &in, NULL);
    assert_non_null(strstr(body, "\"messages\":[{\"role\":\"user\",\"content\":\"first\"},{\"role\":\"assistant\","
                                 "\"content\":\"R1\"},{\"role\":\"user\",\"content\":\"see A\\\"said and R1\"}]"));
    free(body);
    tdm_scenario_free(&s);
}

static void seq_call(tdm_run_data *d, int agent, int step, int64_t begin, int64_t done, const tdm_step_ref *after,
                     size_t n_after, int64_t think)
{
    tdm_call_record r;
    tdm_record_init(&r, 1, TDM_PHASE_SEQUENTIAL, agent, step);
    r.ok = true;
    r.t_begin = r.t_start = begin;
    r.t_done = done;
    r.think_ns = think;
    if (n_after) {
        r.after = malloc(n_after * sizeof *r.after);
        memcpy(r.after, after, n_after * sizeof *after);
        r.n_after = n_after;
    }
    assert_int_equal(tdm_run_data_take_calls(d, &r, 1), 0);
}

/* Critical path from records alone: a (1 s) -> b (2 s); c (4 s); d (1 s + 0.5 s think)
 * after b and c: the longest chain is c + d = 5.5 s; T_seq = the one batch's span. */
static void test_critical_path_from_records(void **state)
{
    (void)state;
    char *names[4] = {"a", "b", "c", "d"};
    tdm_run_data d;
    assert_int_equal(tdm_run_data_init(&d, 1, 4, names), 0);
    const int64_t S = 1000000000LL;
    tdm_step_ref to_a = {0, 0}, to_bc[2] = {{1, 0}, {2, 0}};
    seq_call(&d, 0, 0, 1 * S, 2 * S, NULL, 0, 0);
    seq_call(&d, 1, 0, 2 * S, 4 * S, &to_a, 1, 0);
    seq_call(&d, 2, 0, 4 * S, 8 * S, NULL, 0, 0);
    seq_call(&d, 3, 0, 8 * S + S / 2, 9 * S + S / 2, to_bc, 2, S / 2);
    d.has_sequential = d.seq_one_batch = true;
    d.has_concurrent = true;
    for (int i = 0; i < 4; i++) {
        d.seq[i] = (tdm_agent_timing){S / 2, S, 9 * S + S / 2};
        d.conc[i] = (tdm_agent_timing){100 * S, 100 * S, 100 * S + 6 * S};
    }
    tdm_run_metrics m;
    assert_int_equal(tdm_run_metrics_compute(&d, 10.0, &m), 0);
    assert_true(m.workflow);
    assert_float_equal(m.t_seq_s, 9.0, 1e-9);
    assert_float_equal(m.critical_path_s, 5.5, 1e-9);
    assert_float_equal(m.makespan_s, 6.0, 1e-9);
    assert_float_equal(m.ideal_speedup, 9.0 / 5.5, 1e-9);
    assert_float_equal(m.achieved_speedup, 1.5, 1e-9);
    assert_float_equal(m.workflow_efficiency_pct, 100.0 * 5.5 / 6.0, 1e-9);
    assert_float_equal(m.agents[3].t_seq_s, 1.5, 1e-9); /* its own call and think time */
    tdm_run_metrics_free(&m);
    tdm_run_data_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_after_resolves_and_marks_a_workflow),
        cmocka_unit_test(test_order_is_topological_in_the_agents_order),
        cmocka_unit_test(test_board_gates_on_inputs_turns_and_failures),
        cmocka_unit_test(test_outputs_and_history_in_the_body),
        cmocka_unit_test(test_critical_path_from_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
