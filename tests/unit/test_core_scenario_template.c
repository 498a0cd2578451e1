/* test_core_scenario_template.c — N agents from one template: names, placement (round
 * robin, packed, a repeating list), defaults merged, agents listed beside the template,
 * each error naming its field, and the sweep's rewrite of a file (agent_count and the
 * first k endpoints) reading back as the same scenario with another count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/scenario.h"

static char err[4096];

#define HEAD "name: g\ndefaults: {model: m, options: {num_predict: 8}}\n"
#define TEMPLATE "agent_template: {name: w, prompt: \"say hi\"}\n"

static int load(const char *yaml, tdm_scenario *s)
{
    err[0] = '\0';
    return tdm_scenario_load_string(yaml, strlen(yaml), "t.yaml", s, err, sizeof err);
}

static void expect_error(const char *yaml, const char *a, const char *b)
{
    tdm_scenario s;
    if (load(yaml, &s) == 0) {
        tdm_scenario_free(&s);
        fail_msg("loaded, but should have failed:\n%s", yaml);
    }
    if (!strstr(err, a) || (b && !strstr(err, b)))
        fail_msg("message lacks \"%s\" / \"%s\":\n  %s", a, b ? b : "", err);
    assert_null(s.agents);
}

static void test_round_robin_names_and_urls(void **state)
{
    (void)state;
    tdm_scenario s;
    int rc = load(HEAD TEMPLATE "agent_count: 5\nendpoints: [http://a:1, http://b:2]\n", &s);
    assert_int_equal(rc, 0);
    assert_int_equal(s.n_agents, 5);
    const char *urls[] = {"http://a:1", "http://b:2", "http://a:1", "http://b:2", "http://a:1"};
    for (size_t i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "w-%zu", i + 1);
        assert_string_equal(s.agents[i].name, name);
        assert_string_equal(s.agents[i].label, name); /* defaults: the name */
        assert_string_equal(s.agents[i].url, urls[i]);
        assert_string_equal(s.agents[i].model, "m");
        assert_int_equal(s.agents[i].n_steps, 1);
        assert_string_equal(s.agents[i].steps[0].prompt, "say hi");
        assert_true(tdm_options_has(&s.agents[i].options, TDM_OPT_NUM_PREDICT));
    }
    /* Every agent owns its strings. */
    assert_ptr_not_equal(s.agents[0].steps[0].prompt, s.agents[1].steps[0].prompt);
    tdm_scenario_free(&s);
}

static void test_unnamed_template_and_defaults_url(void **state)
{
    (void)state;
    tdm_scenario s;
    int rc = load("defaults: {model: m, url: http://one:1}\nagent_template: {prompt: p, label: Worker}\n"
                  "agent_count: 2\n",
                  &s);
    assert_int_equal(rc, 0);
    assert_int_equal(s.n_agents, 2);
    assert_string_equal(s.agents[0].name, "agent-1");
    assert_string_equal(s.agents[1].name, "agent-2");
    assert_string_equal(s.agents[1].label, "Worker 2");
    assert_string_equal(s.agents[0].url, "http://one:1");
    assert_string_equal(s.agents[1].url, "http://one:1");
    tdm_scenario_free(&s);
}

static void test_packed_and_list_placement(void **state)
{
    (void)state;
    tdm_scenario s;
    assert_int_equal(load(HEAD TEMPLATE "agent_count: 5\nendpoints: [http://a:1, http://b:2]\nplacement: packed\n",
                          &s),
                     0);
    /* ceil(5/2) = 3 on the first, 2 on the second */
    const char *packed[] = {"http://a:1", "http://a:1", "http://a:1", "http://b:2", "http://b:2"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(s.agents[i].url, packed[i]);
    tdm_scenario_free(&s);
    assert_int_equal(load(HEAD TEMPLATE "agent_count: 4\nendpoints: [http://a:1, http://b:2, http://c:3]\n"
                                        "placement_list: [2, 2, 0]\n",
                          &s),
                     0);
    const char *listed[] = {"http://c:3", "http://c:3", "http://a:1", "http://c:3"}; /* the list repeats */
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(s.agents[i].url, listed[i]);
    tdm_scenario_free(&s);
}

static void test_template_beside_listed_agents(void **state)
{
    (void)state;
    tdm_scenario s;
    int rc = load(HEAD "agents:\n  - {name: boss, url: http://z:9, prompt: lead}\n" TEMPLATE
                       "agent_count: 2\nendpoints: [http://a:1]\n",
                  &s);
    assert_int_equal(rc, 0);
    assert_int_equal(s.n_agents, 3);
    assert_string_equal(s.agents[0].name, "boss");
    assert_string_equal(s.agents[1].name, "w-1");
    assert_string_equal(s.agents[2].name, "w-2");
    tdm_scenario_free(&s);
}

static void test_errors_name_field_and_fix(void **state)
{
    (void)state;
    expect_error(HEAD TEMPLATE "endpoints: [http://a:1]\n", "agent_count", "missing");
    expect_error(HEAD "agent_count: 3\nagents:\n  - {name: a, url: http://a:1, prompt: p}\n", "agent_count",
                 "agent_template");
    expect_error(HEAD "endpoints: [http://a:1]\nagents:\n  - {name: a, url: http://a:1, prompt: p}\n", "endpoints",
                 "agent_template");
    expect_error(HEAD "agent_template: {name: w, url: http://x:1, prompt: p}\nagent_count: 2\n",
                 "agent_template.url", "endpoints");
    expect_error(HEAD TEMPLATE "agent_count: 0\nendpoints: [http://a:1]\n", "agent_count", "1 to 65536");
    expect_error(HEAD TEMPLATE "agent_count: 2x\nendpoints: [http://a:1]\n", "agent_count", "whole number");
    expect_error(HEAD TEMPLATE "agent_count: 70000\nendpoints: [http://a:1]\n", "agent_count", "65536");
    expect_error(HEAD TEMPLATE "agent_count: 2\n", "endpoints", "defaults.url");
    expect_error(HEAD TEMPLATE "agent_count: 2\nendpoints: [http://a:1]\nplacement: random\n", "placement",
                 "round_robin");
    expect_error(HEAD TEMPLATE "agent_count: 2\nendpoints: [http://a:1]\nplacement_list: [1]\n", "placement_list",
                 "index");
    expect_error(HEAD TEMPLATE "agent_count: 2\nendpoints: [http://a:1]\nplacement_list: [-1]\n",
                 "placement_list[0]", NULL);
    expect_error(HEAD TEMPLATE "agent_count: 2\nendpoints: [http://a:1]\nplacement: packed\nplacement_list: [0]\n",
                 "placement_list", "keep one");
    /* a listed agent with a generated name */
    expect_error(HEAD "agents:\n  - {name: w-2, url: http://z:9, prompt: p}\n" TEMPLATE
                      "agent_count: 3\nendpoints: [http://a:1]\n",
                 "agent_template.name", "w-2");
    /* the template's own problems are reported as the template's */
    expect_error(HEAD "agent_template: {name: w, prompt: p, api: soap}\nagent_count: 2\nendpoints: [http://a:1]\n",
                 "agent_template.api", "generate");
}

static void test_direct_expansion_keeps_scenario_on_error(void **state)
{
    (void)state;
    tdm_scenario s;
    tdm_scenario_init(&s);
    tdm_agent a;
    tdm_agent_init(&a);
    char *eps[] = {"http://a:1"};
    tdm_agent_template t = {.agent = &a, .count = 3, .endpoints = eps, .n_endpoints = 1};
    assert_int_equal(tdm_scenario_expand_template(&s, &t, err, sizeof err), 0);
    assert_int_equal(s.n_agents, 3);
    size_t list[] = {4};
    t.placement = TDM_PLACE_LIST;
    t.list = list;
    t.n_list = 1;
    assert_int_equal(tdm_scenario_expand_template(&s, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "placement_list"));
    assert_int_equal(s.n_agents, 3);
    tdm_scenario_free(&s);
}

static void test_override_rewrites_count_and_endpoints(void **state)
{
    (void)state;
    const char *y = "description: \"x: y\"\ndefaults: {model: m}\n"
                    "agent_template:\n  steps:\n    - {name: a, prompt: \"one\\ntwo: three\"}\n"
                    "agent_count: 1\nendpoints: [http://a:1, http://b:2]\nphases: [concurrent]\n";
    tdm_scenario_override ov = {.agent_count = 4, .endpoints_limit = 1};
    char *out = NULL;
    size_t n = 0;
    assert_int_equal(tdm_scenario_yaml_override(y, strlen(y), "dir/gain.yaml", &ov, &out, &n, err, sizeof err), 0);
    assert_int_equal(strlen(out), n);
    tdm_scenario s;
    assert_int_equal(tdm_scenario_load_string(out, n, "elsewhere/copy.yaml", &s, err, sizeof err), 0);
    assert_string_equal(s.name, "gain"); /* the original file's name, written into the copy */
    assert_string_equal(s.description, "x: y");
    assert_int_equal(s.n_agents, 4);
    assert_false(s.sequential);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(s.agents[i].url, "http://a:1");
        assert_string_equal(s.agents[i].steps[0].prompt, "one\ntwo: three");
    }
    tdm_scenario_free(&s);
    free(out);

    /* more servers than the file lists; a count for a file without a template */
    ov = (tdm_scenario_override){.endpoints_limit = 3};
    assert_int_equal(tdm_scenario_yaml_override(y, strlen(y), "g.yaml", &ov, &out, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "endpoints"));
    assert_null(out);
    const char *plain = "agents:\n  - {name: a, url: http://a:1, model: m, prompt: p}\n";
    ov = (tdm_scenario_override){.agent_count = 2};
    assert_int_equal(tdm_scenario_yaml_override(plain, strlen(plain), "g.yaml", &ov, &out, &n, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "agent_template"));
    /* not YAML at all */
    assert_int_equal(tdm_scenario_yaml_override("[", 1, "g.yaml", &ov, &out, &n, err, sizeof err), -1);
}

/* arrivals: one agent per arrival, its start the arrival's instant, one prompt each from
 * the template's steps in turn; a sweep's arrival rate rewrites arrivals.rate. */
static void test_arrivals_generate_one_call_per_arrival(void **state)
{
    (void)state;
    const char *y = "defaults: {model: m}\narrivals: {process: constant, rate: 2, duration_s: 2.1}\n"
                    "agent_template:\n  steps:\n    - {name: a, prompt: one}\n    - {name: b, prompt: two}\n"
                    "endpoints: [http://a:1]\n";
    tdm_scenario s;
    assert_int_equal(tdm_scenario_load_string(y, strlen(y), "open.yaml", &s, err, sizeof err), 0);
    assert_int_equal(s.arrivals.process, TDM_ARRIVALS_CONSTANT);
    assert_int_equal(s.arrivals.count, 5); /* 0, 0.5, 1, 1.5, 2 s: all before 2.1 s */
    assert_int_equal(s.n_agents, 5);
    for (size_t k = 0; k < 5; k++) {
        assert_int_equal(s.agents[k].start_ns, (int64_t)k * 500000000LL);
        assert_int_equal(s.agents[k].n_steps, 1);
        assert_string_equal(s.agents[k].steps[0].name, k % 2 ? "b" : "a");
    }
    tdm_scenario_free(&s);

    tdm_scenario_override ov = {.arrival_rate = 4};
    char *out = NULL;
    size_t n = 0;
    assert_int_equal(tdm_scenario_yaml_override(y, strlen(y), "open.yaml", &ov, &out, &n, err, sizeof err), 0);
    assert_int_equal(tdm_scenario_load_string(out, n, "open.yaml", &s, err, sizeof err), 0);
    assert_int_equal(s.arrivals.count, 9); /* every 0.25 s before 2.1 s */
    assert_true(s.arrivals.rate == 4.0);
    tdm_scenario_free(&s);
    free(out);

    /* a rate for a file without arrivals */
    const char *closed = "defaults: {model: m}\nagent_template: {prompt: p}\nagent_count: 2\nendpoints: [http://a:1]\n";
    assert_int_equal(tdm_scenario_yaml_override(closed, strlen(closed), "c.yaml", &ov, &out, &n, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "arrivals"));
    assert_null(out);
}

/* Poisson instants: increasing, inside the duration, the same for the same seed. */
static void test_poisson_offsets_are_seeded(void **state)
{
    (void)state;
    tdm_arrivals a = {.process = TDM_ARRIVALS_POISSON, .rate = 50, .duration_s = 10};
    int64_t *t1 = NULL, *t2 = NULL, *t3 = NULL;
    size_t n1 = 0, n2 = 0, n3 = 0;
    assert_int_equal(tdm_arrivals_offsets(&a, 42, &t1, &n1, err, sizeof err), 0);
    assert_int_equal(tdm_arrivals_offsets(&a, 42, &t2, &n2, err, sizeof err), 0);
    assert_int_equal(tdm_arrivals_offsets(&a, 43, &t3, &n3, err, sizeof err), 0);
    assert_int_equal(n1, n2);
    assert_memory_equal(t1, t2, n1 * sizeof *t1);
    assert_true(n1 != n3 || memcmp(t1, t3, n1 * sizeof *t1) != 0);
    assert_in_range(n1, 400, 600); /* 500 expected, sd 22 */
    for (size_t k = 1; k < n1; k++)
        assert_true(t1[k] > t1[k - 1]);
    assert_true(t1[0] >= 0 && t1[n1 - 1] < 10000000000LL);
    free(t1);
    free(t2);
    free(t3);
    /* too many for a scenario */
    a.rate = 1e6;
    assert_int_equal(tdm_arrivals_offsets(&a, 42, &t1, &n1, err, sizeof err), -1);
    assert_non_null(strstr(err, "lower the rate"));
    assert_null(t1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_robin_names_and_urls),
        cmocka_unit_test(test_unnamed_template_and_defaults_url),
        cmocka_unit_test(test_packed_and_list_placement),
        cmocka_unit_test(test_template_beside_listed_agents),
        cmocka_unit_test(test_errors_name_field_and_fix),
        cmocka_unit_test(test_direct_expansion_keeps_scenario_on_error),
        cmocka_unit_test(test_override_rewrites_count_and_endpoints),
        cmocka_unit_test(test_arrivals_generate_one_call_per_arrival),
        cmocka_unit_test(test_poisson_offsets_are_seeded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
