/* test_core_openai_scenario.c — api: openai from the scenario to the wire and back: the
 * YAML (agents, defaults, templates, endpoints given as {url, api}), validation that names
 * the cause and the fix, the URL and body a call sends (request.c), the plan a Python
 * client gets (plan.c), and the records' "api" (rundata_json.c). */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/cli.h"
#include "core/job.h"
#include "core/plan.h"
#include "core/request.h"
#include "core/rundata.h"
#include "core/scenario.h"

static char err[1024];

static void load_ok(const char *yaml, tdm_scenario *s)
{
    if (tdm_scenario_load_string(yaml, strlen(yaml), "t.yaml", s, err, sizeof err) != 0)
        fail_msg("%s", err);
}

static const char *load_bad(const char *yaml)
{
    tdm_scenario s;
    assert_int_equal(tdm_scenario_load_string(yaml, strlen(yaml), "t.yaml", &s, err, sizeof err), -1);
    return err;
}

static json_t *body_of(const tdm_agent *a, size_t step, const tdm_request_inputs *in, const tdm_options *extra)
{
    char *body = tdm_request_body_in(a, &a->steps[step], in, extra);
    assert_non_null(body);
    json_t *j = json_loads(body, 0, NULL);
    free(body);
    assert_non_null(j);
    return j;
}

static void test_openai_agent_url_and_body(void **state)
{
    (void)state;
    tdm_scenario s;
    load_ok("name: oa\n"
            "agents:\n"
            "  - name: a\n"
            "    url: http://127.0.0.1:8080/\n"
            "    model: tiny\n"
            "    api: openai\n"
            "    history: true\n"
            "    options: {num_predict: 8, temperature: 0, top_p: 0.5, seed: 3, presence_penalty: 0.5}\n"
            "    steps:\n"
            "      - {prompt: hello, system: be brief}\n"
            "      - {prompt: \"and {previous}\"}\n"
            "  - name: b\n"
            "    url: http://127.0.0.1:8080\n"
            "    model: tiny\n"
            "    api: openai\n"
            "    stream: false\n"
            "    prompt: hi\n",
            &s);
    const tdm_agent *a = &s.agents[0];
    assert_int_equal(a->api, TDM_API_OPENAI);
    char *url = tdm_request_url(a);
    assert_string_equal(url, "http://127.0.0.1:8080/v1/chat/completions");
    free(url);

    /* the second step with its history: messages exactly as for api: chat */
    const char *prompts[] = {"hello"}, *replies[] = {"Hi!"};
    tdm_request_inputs in = {.previous = "Hi!", .n_turns = 1, .turn_prompts = prompts, .turn_replies = replies};
    json_t *b = body_of(a, 1, &in, NULL);
    assert_string_equal(json_string_value(json_object_get(b, "model")), "tiny");
    json_t *msgs = json_object_get(b, "messages");
    assert_int_equal(json_array_size(msgs), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 0), "role")), "user");
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 1), "content")), "Hi!");
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 2), "content")), "and Hi!");
    assert_true(json_is_true(json_object_get(b, "stream")));
    assert_true(json_is_true(json_object_get(json_object_get(b, "stream_options"), "include_usage")));
    /* options at the top level under the OpenAI API's names; nothing of Ollama's own */
    assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 8);
    assert_true(json_is_real(json_object_get(b, "temperature")));
    assert_true(json_is_real(json_object_get(b, "top_p")));
    assert_int_equal(json_integer_value(json_object_get(b, "seed")), 3);
    assert_true(json_is_real(json_object_get(b, "presence_penalty")));
    assert_null(json_object_get(b, "options"));
    assert_null(json_object_get(b, "keep_alive"));
    assert_null(json_object_get(b, "num_predict"));
    json_decref(b);

    /* the first step: the system prompt first */
    tdm_request_inputs none = {0};
    b = body_of(a, 0, &none, NULL);
    msgs = json_object_get(b, "messages");
    assert_int_equal(json_array_size(msgs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 0), "role")), "system");
    json_decref(b);

    /* the warm-up's num_predict becomes max_tokens */
    tdm_step warm;
    tdm_options extra;
    tdm_job_warmup_step(&s, &a->steps[0], &warm, &extra);
    char *wb = tdm_request_body(a, &warm, NULL, &extra);
    assert_non_null(strstr(wb, "\"max_tokens\":1"));
    free(wb);

    /* stream: false asks for a whole reply, and no stream_options (OpenAI refuses them) */
    b = body_of(&s.agents[1], 0, &none, NULL);
    assert_true(json_is_false(json_object_get(b, "stream")));
    assert_null(json_object_get(b, "stream_options"));
    json_decref(b);

    /* provenance's scenario says openai */
    json_t *sj = tdm_scenario_to_json(&s);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(sj, "agents"), 0), "api")),
                        "openai");
    json_decref(sj);
    tdm_scenario_free(&s);
}

static void test_validation_names_cause_and_fix(void **state)
{
    (void)state;
    const char *e = load_bad("agents:\n  - {name: a, url: http://h:1, model: m, api: openai, prompt: p,\n"
                             "     options: {num_ctx: 2048}}\n");
    assert_non_null(strstr(e, "agents[0].options.num_ctx"));
    assert_non_null(strstr(e, "Ollama-only"));
    assert_non_null(strstr(e, "use api: chat"));
    /* from defaults: as well */
    e = load_bad("defaults: {model: m, options: {repeat_penalty: 1.1}}\n"
                 "agents:\n  - {name: a, url: http://h:1, api: openai, prompt: p}\n");
    assert_non_null(strstr(e, "options.repeat_penalty"));
    e = load_bad("agents:\n  - {name: a, url: http://h:1, model: m, api: openai, keep_alive: 5m, prompt: p}\n");
    assert_non_null(strstr(e, "agents[0].keep_alive"));
    assert_non_null(strstr(e, "remove keep_alive"));
    e = load_bad("agents:\n  - {name: a, url: http://h:1, model: m, api: open-ai, prompt: p}\n");
    assert_non_null(strstr(e, "agents[0].api"));
    assert_non_null(strstr(e, "openai (/v1/chat/completions)"));
    /* history needs messages: generate has none */
    e = load_bad("agents:\n  - {name: a, url: http://h:1, model: m, history: true, prompt: p}\n");
    assert_non_null(strstr(e, "chat or openai"));
    /* the new options have OpenAI's range */
    e = load_bad("agents:\n  - {name: a, url: http://h:1, model: m, prompt: p, options: {frequency_penalty: 3}}\n");
    assert_non_null(strstr(e, "from -2 to 2"));
}

/* endpoints: may mix URLs and {url, api}; an agent's api: its own, else its endpoint's,
 * else defaults.api, else generate. */
static void test_endpoints_give_their_api(void **state)
{
    (void)state;
    tdm_scenario s;
    load_ok("name: eps\n"
            "defaults: {model: m, api: chat}\n"
            "agent_template: {name: w, prompt: p}\n"
            "agent_count: 4\n"
            "endpoints:\n"
            "  - http://a:1\n"
            "  - {url: \"http://b:2\", api: openai}\n",
            &s);
    assert_int_equal(s.n_agents, 4);
    const tdm_api want[] = {TDM_API_CHAT, TDM_API_OPENAI, TDM_API_CHAT, TDM_API_OPENAI};
    const char *urls[] = {"http://a:1", "http://b:2", "http://a:1", "http://b:2"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(s.agents[i].api, want[i]);
        assert_string_equal(s.agents[i].url, urls[i]);
    }
    tdm_scenario_free(&s);
    /* flow style, and the template's own api wins over the endpoint's */
    load_ok("name: eps\ndefaults: {model: m}\nagent_template: {prompt: p, api: generate}\nagent_count: 2\n"
            "endpoints: [\"http://a:1\", {url: http://b:2, api: openai}]\n",
            &s);
    assert_int_equal(s.agents[1].api, TDM_API_GENERATE);
    assert_string_equal(s.agents[1].url, "http://b:2");
    tdm_scenario_free(&s);
    /* an endpoint's api over defaults.api */
    load_ok("name: eps\ndefaults: {model: m, api: openai}\nagent_template: {prompt: p}\nagent_count: 2\n"
            "endpoints: [http://a:1, {url: http://b:2, api: generate}]\n",
            &s);
    assert_int_equal(s.agents[0].api, TDM_API_OPENAI);
    assert_int_equal(s.agents[1].api, TDM_API_GENERATE);
    tdm_scenario_free(&s);
    /* an Ollama-only option on an agent that becomes openai through its endpoint */
    const char *e = load_bad("defaults: {model: m, options: {num_ctx: 512}}\nagent_template: {prompt: p}\n"
                             "agent_count: 2\nendpoints: [http://a:1, {url: http://b:2, api: openai}]\n");
    assert_non_null(strstr(e, "agents[1].options.num_ctx"));
    e = load_bad("defaults: {model: m}\nagent_template: {prompt: p}\nagent_count: 1\nendpoints: [{api: openai}]\n");
    assert_non_null(strstr(e, "endpoints[0].url"));
    e = load_bad("defaults: {model: m}\nagent_template: {prompt: p}\nagent_count: 1\n"
                 "endpoints: [{url: http://a:1, api: vllm}]\n");
    assert_non_null(strstr(e, "endpoints[0].api"));
    e = load_bad("defaults: {model: m}\nagent_template: {prompt: p}\nagent_count: 1\n"
                 "endpoints: [{url: http://a:1, port: 3}]\n");
    assert_non_null(strstr(e, "port"));
}

/* A sweep's rewrite keeps every endpoint's api. */
static void test_override_keeps_endpoint_apis(void **state)
{
    (void)state;
    const char *y = "defaults: {model: m}\nagent_template: {prompt: p}\nagent_count: 1\n"
                    "endpoints: [{url: http://b:2, api: openai}, http://a:1]\n";
    tdm_scenario_override ov = {.agent_count = 3, .endpoints_limit = 1};
    char *out = NULL;
    size_t n = 0;
    assert_int_equal(tdm_scenario_yaml_override(y, strlen(y), "o.yaml", &ov, &out, &n, err, sizeof err), 0);
    tdm_scenario s;
    load_ok(out, &s);
    assert_int_equal(s.n_agents, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(s.agents[i].api, TDM_API_OPENAI);
        assert_string_equal(s.agents[i].url, "http://b:2");
    }
    tdm_scenario_free(&s);
    free(out);
}

/* The plan gives each agent its api, the POST URL and bodies in the OpenAI form. */
static void test_plan_has_api_url_and_bodies(void **state)
{
    (void)state;
    static const char yaml[] = "name: plan-oa\nagents:\n"
                               "  - {name: a, url: http://127.0.0.1:8080, model: tiny, api: openai, prompt: hi}\n"
                               "  - {name: b, url: http://127.0.0.1:11434, model: tiny, prompt: hi}\n";
    char file[] = "/tmp/tandem-plan-oa-XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, sizeof yaml - 1), (ssize_t)(sizeof yaml - 1));
    close(fd);
    char *argv[] = {"plan", "--scenario-file", file, "--output-dir", "/tmp/x", NULL};
    tdm_cli cli;
    if (tdm_cli_parse(5, argv, "unit", &cli, err, sizeof err) != 0)
        fail_msg("%s", err);
    unlink(file);
    json_t *plan = tdm_plan_json(&cli, "unit", err, sizeof err);
    assert_non_null(plan);
    json_t *a = json_array_get(json_object_get(plan, "agents"), 0), *b = json_array_get(json_object_get(plan, "agents"), 1);
    assert_string_equal(json_string_value(json_object_get(a, "api")), "openai");
    assert_string_equal(json_string_value(json_object_get(a, "url")), "http://127.0.0.1:8080/v1/chat/completions");
    assert_string_equal(json_string_value(json_object_get(b, "api")), "generate");
    const char *before = json_string_value(json_object_get(json_array_get(json_object_get(a, "steps"), 0), "body_before"));
    assert_non_null(strstr(before, "\"messages\":[{\"role\":\"user\",\"content\":"));
    const char *after = json_string_value(json_object_get(json_object_get(a, "warmup"), "body_after"));
    assert_non_null(strstr(after, "\"stream_options\":{\"include_usage\":true}"));
    assert_non_null(strstr(after, "\"max_tokens\":1"));
    json_decref(plan);
    tdm_cli_free(&cli);
}

/* records.json: "api": "openai" on an openai call, absent otherwise, read back either way. */
static void test_record_api_round_trip(void **state)
{
    (void)state;
    const char *urls[] = {"http://h:1/v1/chat/completions", "http://h:1/api/chat", "http://h:1/api/generate"};
    const tdm_api apis[] = {TDM_API_OPENAI, TDM_API_CHAT, TDM_API_GENERATE};
    for (int i = 0; i < 3; i++) {
        tdm_call_record r, back;
        tdm_record_init(&r, 1, TDM_PHASE_SEQUENTIAL, 0, 0);
        r.api = apis[i];
        r.request_url = strdup(urls[i]);
        json_t *j = tdm_record_to_json(&r);
        json_t *api = json_object_get(j, "api");
        if (apis[i] == TDM_API_OPENAI)
            assert_string_equal(json_string_value(api), "openai");
        else
            assert_null(api);
        assert_int_equal(tdm_record_from_json(j, &back, err, sizeof err), 0);
        assert_int_equal(back.api, apis[i]);
        json_decref(j);
        tdm_record_free(&r);
        tdm_record_free(&back);
    }
    /* a job marks every record of an openai agent, skipped ones too */
    tdm_scenario s;
    load_ok("agents:\n  - {name: a, url: http://h:1, model: m, api: openai, steps: [{prompt: x}, {prompt: y}]}\n", &s);
    tdm_call_record recs[2];
    tdm_record_init(&recs[0], 1, TDM_PHASE_SEQUENTIAL, 0, 0);
    tdm_record_init(&recs[1], 1, TDM_PHASE_SEQUENTIAL, 0, 1);
    tdm_agent_job job;
    tdm_job_init(&job, &s, 0, false, recs, 2);
    assert_int_equal(recs[0].api, TDM_API_OPENAI);
    assert_int_equal(recs[1].api, TDM_API_OPENAI);
    tdm_record_free(&recs[0]);
    tdm_record_free(&recs[1]);
    tdm_scenario_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openai_agent_url_and_body),
        cmocka_unit_test(test_validation_names_cause_and_fix),
        cmocka_unit_test(test_endpoints_give_their_api),
        cmocka_unit_test(test_override_keeps_endpoint_apis),
        cmocka_unit_test(test_plan_has_api_url_and_bodies),
        cmocka_unit_test(test_record_api_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
