/* test_core_scenario.c — the scenario module: YAML loading (every field, defaults,
 * the shorthand), each validation rule's message, libcyaml errors turned into ours,
 * the seed's built-in scenarios, JSON provenance, deep copy, and the example files.
 * Run from the repository root (the example files are read by relative path). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <jansson.h>

#include "core/scenario.h"
#include "core/scenario_builtin.h"
#include "core/seed_prompts.h"

/* ---- helpers ----------------------------------------------------------------------- */

static char err[4096];

static int load(const char *yaml, tdm_scenario *s)
{
    err[0] = '\0';
    return tdm_scenario_load_string(yaml, strlen(yaml), "t.yaml", s, err, sizeof err);
}

/* Loading must fail, and the message must hold every given substring. */
static void expect_error_(const char *yaml, const char *file, int line, ...)
{
    tdm_scenario s;
    int rc = load(yaml, &s);
    if (rc == 0) {
        tdm_scenario_free(&s);
        fail_msg("%s:%d: loaded, but should have failed:\n%s", file, line, yaml);
    }
    va_list ap;
    va_start(ap, line);
    for (const char *sub; (sub = va_arg(ap, const char *)) != NULL;)
        if (!strstr(err, sub))
            fail_msg("%s:%d: message lacks \"%s\":\n  %s", file, line, sub, err);
    va_end(ap);
    /* Nothing left to free on failure. */
    assert_null(s.agents);
    assert_null(s.name);
}
#define expect_error(yaml, ...) expect_error_(yaml, __FILE__, __LINE__, __VA_ARGS__, (const char *)NULL)

static void expect_ok(const char *yaml)
{
    tdm_scenario s;
    if (load(yaml, &s) != 0)
        fail_msg("should load:\n%s\n-> %s", yaml, err);
    tdm_scenario_free(&s);
}

/* One valid agent, to which a test adds the field under test. */
#define AGENT_A "  - {name: a, url: 'http://127.0.0.1:11434', model: m, prompt: p}\n"
#define AGENTS "agents:\n" AGENT_A

static double opt(const tdm_agent *a, tdm_option_id id)
{
    assert_true(tdm_options_has(&a->options, id));
    return a->options.value[id];
}

/* ---- loading ------------------------------------------------------------------------- */

static const char full_yaml[] =
    "name: full-test\n"
    "description: every field set\n"
    "runs: 3\n"
    "seed: 1234\n"
    "warmup: false\n"
    "warmup_num_predict: 2\n"
    "phases: [concurrent]\n"
    "contention_threshold_pct: 12.5\n"
    "max_line_bytes: 4096\n"
    "timeouts: {connect_ms: 1000, first_byte_ms: 2000, idle_ms: 3000, total_ms: 4000}\n"
    "defaults:\n"
    "  url: http://10.0.0.1:9999\n"
    "  model: gemma3:latest\n"
    "  api: chat\n"
    "  stream: false\n"
    "  keep_alive: 5m\n"
    "  options: {num_predict: 128, temperature: 1.0, seed: 7, top_p: 0.5}\n"
    "agents:\n"
    "  - name: collector\n"
    "    label: Baseline Collector\n"
    "    url: http://127.0.0.1:11434\n"
    "    options: {num_gpu: 80, num_ctx: 512, top_p: 0.9, top_k: 40, repeat_penalty: 1.1, num_thread: 1}\n"
    "    steps:\n"
    "      - {name: analysis, prompt: \"Analyse this.\"}\n"
    "      - {name: report, prompt: \"Report on: {previous}\", system: \"Be brief.\"}\n"
    "  - name: insight\n"
    "    url: http://[::1]:11435/\n"
    "    model: llama3.2:1b\n"
    "    api: generate\n"
    "    stream: yes\n"
    "    keep_alive: 0\n"
    "    prompt: \"shorthand: a single step named 'main'\"\n";

static void test_full_yaml_every_field(void **state)
{
    (void)state;
    tdm_scenario s;
    assert_int_equal(load(full_yaml, &s), 0);
    assert_string_equal(s.name, "full-test");
    assert_string_equal(s.description, "every field set");
    assert_int_equal(s.runs, 3);
    assert_int_equal(s.seed, 1234);
    assert_false(s.warmup);
    assert_int_equal(s.warmup_num_predict, 2);
    assert_false(s.sequential);
    assert_true(s.concurrent);
    assert_true(s.contention_threshold_pct == 12.5);
    assert_int_equal(s.max_line_bytes, 4096);
    assert_int_equal(s.timeouts.connect_ms, 1000);
    assert_int_equal(s.timeouts.first_byte_ms, 2000);
    assert_int_equal(s.timeouts.idle_ms, 3000);
    assert_int_equal(s.timeouts.total_ms, 4000);
    assert_int_equal(s.n_agents, 2);

    const tdm_agent *c = &s.agents[0];
    assert_string_equal(c->name, "collector");
    assert_string_equal(c->label, "Baseline Collector");
    assert_string_equal(c->url, "http://127.0.0.1:11434"); /* the agent's own url wins */
    assert_string_equal(c->model, "gemma3:latest");        /* from defaults */
    assert_int_equal(c->api, TDM_API_CHAT);
    assert_false(c->stream);
    assert_string_equal(c->keep_alive, "5m");
    /* defaults' options merged, the agent's own win option by option */
    assert_true(opt(c, TDM_OPT_NUM_PREDICT) == 128);
    assert_true(opt(c, TDM_OPT_TEMPERATURE) == 1.0);
    assert_true(opt(c, TDM_OPT_SEED) == 7);
    assert_true(opt(c, TDM_OPT_TOP_P) == 0.9);
    assert_true(opt(c, TDM_OPT_NUM_GPU) == 80);
    assert_true(opt(c, TDM_OPT_NUM_CTX) == 512);
    assert_true(opt(c, TDM_OPT_TOP_K) == 40);
    assert_true(opt(c, TDM_OPT_REPEAT_PENALTY) == 1.1);
    assert_true(opt(c, TDM_OPT_NUM_THREAD) == 1);
    assert_int_equal(c->n_steps, 2);
    assert_string_equal(c->steps[0].name, "analysis");
    assert_string_equal(c->steps[0].prompt, "Analyse this.");
    assert_null(c->steps[0].system);
    assert_string_equal(c->steps[1].name, "report");
    assert_string_equal(c->steps[1].prompt, "Report on: {previous}");
    assert_string_equal(c->steps[1].system, "Be brief.");

    const tdm_agent *in = &s.agents[1];
    assert_string_equal(in->name, "insight");
    assert_string_equal(in->label, "insight"); /* defaults to the name */
    assert_string_equal(in->url, "http://[::1]:11435/");
    assert_string_equal(in->model, "llama3.2:1b");
    assert_int_equal(in->api, TDM_API_GENERATE);
    assert_true(in->stream);
    assert_string_equal(in->keep_alive, "0"); /* a number in YAML, kept as the string */
    assert_false(tdm_options_has(&in->options, TDM_OPT_NUM_GPU));
    assert_true(opt(in, TDM_OPT_TOP_P) == 0.5);
    assert_int_equal(in->n_steps, 1);
    assert_string_equal(in->steps[0].name, "main");
    assert_string_equal(in->steps[0].prompt, "shorthand: a single step named 'main'");
    tdm_scenario_free(&s);
}

static void test_defaults_apply(void **state)
{
    (void)state;
    tdm_scenario s;
    const char *yaml = "agents:\n"
                       "  - name: solo\n"
                       "    url: http://127.0.0.1:11434\n"
                       "    model: m\n"
                       "    steps: [{prompt: one}, {prompt: 'two {previous}'}]\n";
    assert_int_equal(tdm_scenario_load_string(yaml, strlen(yaml), "dir/my-scenario.yaml", &s, err, sizeof err), 0);
    assert_string_equal(s.name, "my-scenario"); /* from the file name */
    assert_null(s.description);
    assert_int_equal(s.runs, 1);
    assert_int_equal(s.seed, 42);
    assert_true(s.warmup);
    assert_int_equal(s.warmup_num_predict, 1);
    assert_true(s.sequential);
    assert_true(s.concurrent);
    assert_true(s.contention_threshold_pct == 10.0);
    assert_int_equal(s.max_line_bytes, 8u << 20);
    assert_int_equal(s.timeouts.connect_ms, 5000);
    assert_int_equal(s.timeouts.first_byte_ms, 300000);
    assert_int_equal(s.timeouts.idle_ms, 60000);
    assert_int_equal(s.timeouts.total_ms, 1800000);
    const tdm_agent *a = &s.agents[0];
    assert_string_equal(a->label, "solo");
    assert_int_equal(a->api, TDM_API_GENERATE);
    assert_true(a->stream);
    assert_null(a->keep_alive);
    assert_int_equal(a->options.set, 0); /* nothing set: nothing sent */
    assert_string_equal(a->steps[0].name, "step1");
    assert_string_equal(a->steps[1].name, "step2");
    tdm_scenario_free(&s);

    /* init + apply_defaults directly */
    tdm_scenario_init(&s);
    assert_int_equal(s.runs, 1);
    tdm_agent a2;
    tdm_agent_init(&a2);
    assert_true(a2.stream);
    assert_int_equal(a2.api, TDM_API_GENERATE);
}

static void test_shorthand_prompt(void **state)
{
    (void)state;
    tdm_scenario s;
    assert_int_equal(load("name: x\n" AGENTS, &s), 0);
    assert_int_equal(s.agents[0].n_steps, 1);
    assert_string_equal(s.agents[0].steps[0].name, "main");
    assert_string_equal(s.agents[0].steps[0].prompt, "p");
    assert_null(s.agents[0].steps[0].system);
    tdm_scenario_free(&s);
}

static void test_scalar_forms(void **state)
{
    (void)state;
    tdm_scenario s;
    /* keep_alive as a number or a string, booleans in their YAML spellings, empty
     * mappings (every line commented out) */
    assert_int_equal(load("warmup: off\n"
                          "timeouts:\n"
                          "defaults:\n"
                          "  keep_alive: -1\n"
                          "  stream: False\n"
                          "  options:\n" AGENTS,
                          &s),
                     0);
    assert_false(s.warmup);
    assert_string_equal(s.agents[0].keep_alive, "-1");
    assert_false(s.agents[0].stream);
    assert_int_equal(s.agents[0].options.set, 0);
    tdm_scenario_free(&s);

    const char *ok_keep[] = {"5m", "1h30m", "300ms", "1.5h", "0", "-1", "3600", "'5m'"};
    for (size_t i = 0; i < sizeof ok_keep / sizeof ok_keep[0]; i++) {
        char y[512];
        snprintf(y, sizeof y, "defaults: {keep_alive: %s}\n" AGENTS, ok_keep[i]);
        expect_ok(y);
    }
    /* every option the schema knows reaches tdm_options under Ollama's name */
    for (int i = 0; i < TDM_OPT_COUNT; i++) {
        char y[512];
        snprintf(y, sizeof y, "defaults: {options: {%s: 1}}\n" AGENTS, tdm_option_name((tdm_option_id)i));
        assert_int_equal(load(y, &s), 0);
        assert_true(opt(&s.agents[0], (tdm_option_id)i) == 1);
        tdm_scenario_free(&s);
    }
}

/* ---- validation: one message per rule, naming the field -------------------------- */

static void test_validation_messages(void **state)
{
    (void)state;
    expect_error("name: x\n", "t.yaml", "agents:", "at least one agent");
    expect_error("agents: []\n", "agents:", "at least one agent");
    expect_error("name: 'has space'\n" AGENTS, "name:", "not a valid scenario name");
    expect_error("runs: 0\n" AGENTS, "runs:", "1 to 10000");
    expect_error("runs: 10001\n" AGENTS, "runs:", "1 to 10000");
    expect_error("runs: 1.5\n" AGENTS, "runs:", "'1.5' is not a whole number");
    expect_error("runs: 12abc\n" AGENTS, "runs:", "not a whole number");
    expect_error("runs: 99999999999\n" AGENTS, "runs:", "out of range");
    expect_error("seed: -1\n" AGENTS, "seed:", "not a whole number");
    expect_error("seed: 18446744073709551615\n" AGENTS, "seed:", "too large");
    expect_error("warmup_num_predict: 0\n" AGENTS, "warmup_num_predict", "at least 1");
    expect_error("warmup: maybe\n" AGENTS, "warmup:", "not a boolean");
    expect_error("phases: []\n" AGENTS, "phases:", "sequential and/or concurrent");
    expect_error("phases: [sequential, later]\n" AGENTS, "phases", "'later' is not a phase");
    expect_error("contention_threshold_pct: 150\n" AGENTS, "contention_threshold_pct", "0 to 100");
    expect_error("contention_threshold_pct: nan\n" AGENTS, "contention_threshold_pct", "not a number");
    expect_error("max_line_bytes: 10\n" AGENTS, "max_line_bytes", "out of range");
    expect_error("timeouts: {connect_ms: 0}\n" AGENTS, "timeouts.connect_ms", "> 0");
    expect_error("timeouts: {first_byte_ms: -5}\n" AGENTS, "timeouts.first_byte_ms", "> 0");
    expect_error("timeouts: {idle_ms: 0}\n" AGENTS, "timeouts.idle_ms", "> 0");
    expect_error("timeouts: {total_ms: 0}\n" AGENTS, "timeouts.total_ms", "> 0");
    expect_error("timeouts: {total_ms: 5s}\n" AGENTS, "timeouts.total_ms", "milliseconds");

    /* agent names */
    expect_error("agents:\n  - {url: 'http://h:1', model: m, prompt: p}\n", "agents[0].name", "missing");
    expect_error("agents:\n  - {name: 'a/b', url: 'http://h:1', model: m, prompt: p}\n", "agents[0].name",
                 "letters, digits, '-' and '_'");
    expect_error("agents:\n" AGENT_A AGENT_A, "agents[1].name", "already used by agents[0]", "unique");
    expect_error("agents:\n  - {name: a, label: '', url: 'http://h:1', model: m, prompt: p}\n", "agents[0].label");

    /* URLs: the brief's example, https, and the rest */
    expect_error("agents:\n" AGENT_A "  - {name: b, url: 'localhost:11435', model: m, prompt: p}\n",
                 "t.yaml: agents[1].url: 'localhost:11435' is not an http:// URL; write it as http://HOST:PORT");
    expect_error("agents:\n  - {name: a, url: 'https://h:443', model: m, prompt: p}\n", "agents[0].url",
                 "https", "not supported");
    expect_error("agents:\n  - {name: a, model: m, prompt: p}\n", "agents[0].url", "missing");
    expect_error("agents:\n  - {name: a, url: 'http://h', model: m, prompt: p}\n", "agents[0].url", "port");
    expect_error("agents:\n  - {name: a, url: 'http://h:0', model: m, prompt: p}\n", "agents[0].url", "port");
    expect_error("agents:\n  - {name: a, url: 'http://h:70000', model: m, prompt: p}\n", "agents[0].url", "port");
    expect_error("agents:\n  - {name: a, url: 'http://:11434', model: m, prompt: p}\n", "agents[0].url", "host");
    expect_error("agents:\n  - {name: a, url: 'http://h:1/x?y=1', model: m, prompt: p}\n", "agents[0].url");
    expect_error("agents:\n  - {name: a, url: 'ftp://h:1', model: m, prompt: p}\n", "agents[0].url",
                 "not an http:// URL");

    /* model, api, stream, keep_alive */
    expect_error("agents:\n  - {name: a, url: 'http://h:1', prompt: p}\n", "agents[0].model", "missing",
                 "defaults:");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: '', prompt: p}\n", "agents[0].model");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m, api: completion, prompt: p}\n",
                 "agents[0].api", "generate", "chat");
    expect_error("defaults: {api: rest}\n" AGENTS, "defaults.api", "generate");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m, stream: 2, prompt: p}\n",
                 "agents[0].stream", "true or false");
    const char *bad_keep[] = {"5 minutes", "m", "1.5", "5x", "''"};
    for (size_t i = 0; i < sizeof bad_keep / sizeof bad_keep[0]; i++) {
        char y[512];
        snprintf(y, sizeof y, "agents:\n  - {name: a, url: 'http://h:1', model: m, keep_alive: %s, prompt: p}\n",
                 bad_keep[i]);
        expect_error(y, "agents[0].keep_alive", "not a duration");
    }

    /* steps and prompts */
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m}\n", "agents[0].steps", "prompt:");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m, steps: []}\n", "agents[0].steps");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m, prompt: ''}\n", "agents[0].steps[0].prompt",
                 "empty");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m, steps: [{name: s}]}\n",
                 "agents[0].steps[0].prompt", "missing");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m, prompt: p, steps: [{prompt: q}]}\n",
                 "agents[0]", "both prompt: and steps:");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m, prompt: 'go on from {previous}'}\n",
                 "agents[0].steps[0].prompt", "{previous}", "first step");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m, steps: [{prompt: x}, {prompt: y, system: "
                 "'{previous}'}]}\n",
                 "agents[0].steps[1].system", "{previous}");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m, steps: [{name: s, prompt: x}, {name: s, "
                 "prompt: y}]}\n",
                 "agents[0].steps[1].name", "unique");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m, steps: [{name: 'a b', prompt: x}]}\n",
                 "agents[0].steps[0].name");
    /* {previous} after the first step is fine */
    expect_ok("agents:\n  - {name: a, url: 'http://h:1', model: m, steps: [{prompt: x}, {prompt: '{previous}'}]}\n");

    /* option ranges and types */
    struct {
        const char *opts, *field, *why;
    } o[] = {
        {"num_predict: -3", "options.num_predict", "out of range"},
        {"num_predict: 12.5", "options.num_predict", "not a whole number"},
        {"temperature: -0.1", "options.temperature", "out of range"},
        {"temperature: hot", "options.temperature", "not a number"},
        {"temperature: .inf", "options.temperature", "not a number"},
        {"top_p: 1.5", "options.top_p", "0 to 1"},
        {"top_p: -0.5", "options.top_p", "0 to 1"},
        {"num_ctx: 0", "options.num_ctx", "out of range"},
        {"num_gpu: -2", "options.num_gpu", "out of range"},
        {"num_thread: -1", "options.num_thread", "out of range"},
        {"top_k: -1", "options.top_k", "out of range"},
        {"repeat_penalty: -1", "options.repeat_penalty", "out of range"},
        {"seed: 0x10", "options.seed", "not a whole number"},
        {"num_ctx: 99999999999999999999", "options.num_ctx", "out of range (from -9007199254740992"},
        {"num_ctx: 12x", "options.num_ctx", "not a whole number"},
    };
    for (size_t i = 0; i < sizeof o / sizeof o[0]; i++) {
        char y[512];
        snprintf(y, sizeof y, "agents:\n  - {name: a, url: 'http://h:1', model: m, prompt: p, options: {%s}}\n",
                 o[i].opts);
        expect_error(y, "agents[0]", o[i].field, o[i].why);
        snprintf(y, sizeof y, "defaults: {options: {%s}}\n" AGENTS, o[i].opts);
        expect_error(y, o[i].field, o[i].why);
    }
    expect_ok("defaults: {options: {num_predict: -2, num_gpu: -1, temperature: 0, top_p: 1, seed: -1}}\n" AGENTS);
}

/* Rules a YAML file cannot reach, checked on a scenario built in code. */
static void test_validate_direct(void **state)
{
    (void)state;
    tdm_builtin_args b;
    tdm_builtin_args_init(&b);
    b.scenario = "chimera-homo";
    tdm_scenario s;
    assert_int_equal(tdm_scenario_builtin(&b, &s, err, sizeof err), 0);
    assert_int_equal(tdm_scenario_validate(&s, err, sizeof err), 0);

    s.agents[1].api = (tdm_api)7;
    assert_int_equal(tdm_scenario_validate(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "agents[1].api"));
    s.agents[1].api = TDM_API_GENERATE;

    tdm_options_set(&s.agents[0].options, TDM_OPT_NUM_CTX, 512.5);
    assert_int_equal(tdm_scenario_validate(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "agents[0].options.num_ctx"));
    assert_non_null(strstr(err, "whole number"));
    tdm_options_set(&s.agents[0].options, TDM_OPT_NUM_CTX, 512);

    s.contention_threshold_pct = NAN;
    assert_int_equal(tdm_scenario_validate(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "contention_threshold_pct"));
    s.contention_threshold_pct = 10;

    s.sequential = s.concurrent = false;
    assert_int_equal(tdm_scenario_validate(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "phases"));
    s.sequential = true;

    s.seed = UINT64_MAX;
    assert_int_equal(tdm_scenario_validate(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "seed"));
    s.seed = 42;

    free(s.agents[0].model);
    s.agents[0].model = NULL;
    assert_int_equal(tdm_scenario_validate(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "agents[0].model"));
    tdm_scenario_free(&s);

    /* a zeroed scenario is rejected, not crashed on */
    memset(&s, 0, sizeof s);
    assert_int_equal(tdm_scenario_complete(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "name"));
    tdm_scenario_free(&s);
}

/* ---- what libcyaml rejects, in our words --------------------------------------------- */

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_error("bogus: 1\n" AGENTS, "t.yaml", "(top level)", "unknown key 'bogus'", "agents", "libcyaml");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m, prompt: p, promt: q}\n", "agents[0]",
                 "unknown key 'promt'", "prompt");
    expect_error("agents:\n" AGENT_A "  - {name: b, url: 'http://h:1', model: m, prompt: p, options: {top_q: 1}}\n",
                 "agents[1].options", "unknown key 'top_q'", "top_p");
    expect_error("agents:\n  - {name: a, url: 'http://h:1', model: m, steps: [{prompt: x, sytem: y}]}\n",
                 "agents[0].steps[0]", "unknown key 'sytem'", "system");
    expect_error("timeouts: {connect: 5}\n" AGENTS, "timeouts", "unknown key 'connect'", "connect_ms");
    expect_error("defaults: {modle: x}\n" AGENTS, "defaults", "unknown key 'modle'", "model");
    /* keys are case-sensitive */
    expect_error("Name: x\n" AGENTS, "unknown key 'Name'");
}

static void test_malformed_yaml(void **state)
{
    (void)state;
    expect_error("name: a: b\n", "t.yaml", "not valid YAML");
    expect_error("name: \"unterminated\n", "t.yaml", "not valid YAML");
    expect_error("\tname: x\n", "t.yaml", "not valid YAML", "tabs");
    expect_error("{", "t.yaml", "not valid YAML");
    expect_error("", "t.yaml", "empty");
    expect_error("# only a comment\n", "t.yaml", "empty");
    expect_error("- a\n- b\n", "t.yaml", "expected a mapping");
    expect_error("just a string\n", "t.yaml", "expected a mapping");
    expect_error("agents:\n", "agents", "expected a list");
    expect_error("agents: {a: 1}\n", "agents", "expected a list");
    expect_error("name: [1, 2]\n" AGENTS, "name", "expected a single value");
    expect_error("agents:\n  - {name: [x], url: 'http://h:1', model: m, prompt: p}\n", "agents[0].name",
                 "expected a single value");
    expect_error("name: x\nname: y\n" AGENTS, "'name' is given twice");
    expect_error("name: &n x\ndescription: *n\n" AGENTS, "aliases");
    expect_error("name: x\n---\nname: y\n", "more than one YAML document");
    expect_error("name: \"\xff\xfe\"\n" AGENTS, "t.yaml", "not valid YAML");

    /* No input crashes or leaks (ASan and valgrind runs check the "or leaks"): every
     * prefix of a full file, and seeded byte flips of it. */
    size_t n = strlen(full_yaml);
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    tdm_scenario s;
    for (size_t cut = 0; cut <= n; cut++) {
        if (tdm_scenario_load_string(full_yaml, cut, "cut.yaml", &s, err, sizeof err) == 0)
            tdm_scenario_free(&s);
        else
            assert_true(strncmp(err, "cut.yaml", 8) == 0);
    }
    uint32_t x = 12345;
    for (int round = 0; round < 400; round++) {
        memcpy(buf, full_yaml, n + 1);
        for (int k = 0; k < 3; k++) {
            x = x * 1664525u + 1013904223u;
            size_t at = (x >> 8) % n;
            x = x * 1664525u + 1013904223u;
            buf[at] = (char)(x >> 24);
        }
        if (tdm_scenario_load_string(buf, n, "flip.yaml", &s, err, sizeof err) == 0)
            tdm_scenario_free(&s);
        else
            assert_true(strncmp(err, "flip.yaml", 9) == 0);
    }
    free(buf);
    /* a NULL err buffer and a NULL source are allowed */
    assert_int_equal(tdm_scenario_load_string("x: 1", 4, NULL, &s, NULL, 0), -1);
    assert_int_equal(tdm_scenario_load_string("x: 1", 4, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "<scenario>"));
}

static void test_missing_file(void **state)
{
    (void)state;
    tdm_scenario s;
    const char *path = "experiments/scenarios/does-not-exist.yaml";
    assert_int_equal(tdm_scenario_load_file(path, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "No such file"));
    assert_null(s.agents);
    /* a directory is not a scenario file either */
    assert_int_equal(tdm_scenario_load_file("experiments", &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "experiments"));
}

/* ---- built-in scenarios ----------------------------------------------------------------- */

static void build(const char *name, tdm_builtin_args *b, tdm_scenario *s)
{
    b->scenario = name;
    if (tdm_scenario_builtin(b, s, err, sizeof err) != 0)
        fail_msg("builtin %s: %s", name, err);
}

static void assert_chimera(const tdm_agent *a, double gpu, double ctx, double temp)
{
    assert_true(opt(a, TDM_OPT_NUM_GPU) == gpu);
    assert_true(opt(a, TDM_OPT_NUM_CTX) == ctx);
    assert_true(opt(a, TDM_OPT_TEMPERATURE) == temp);
}

static void test_builtin_baseline(void **state)
{
    (void)state;
    tdm_builtin_args b;
    tdm_builtin_args_init(&b);
    tdm_scenario s;
    build("baseline-vs-chimera", &b, &s);
    assert_string_equal(s.name, "baseline-vs-chimera");
    assert_int_equal(s.runs, 1);
    assert_int_equal(s.n_agents, 2);
    const tdm_agent *c = &s.agents[0], *in = &s.agents[1];
    assert_string_equal(c->name, "collector");
    assert_string_equal(c->label, "Baseline Collector");
    assert_string_equal(c->url, "http://localhost:11434");
    assert_string_equal(c->model, "gemma3:latest");
    assert_int_equal(c->options.set, 0); /* Ollama's defaults: nothing sent */
    assert_null(c->keep_alive);
    assert_string_equal(in->name, "insight");
    assert_string_equal(in->label, "Chimera Insight");
    assert_string_equal(in->url, "http://localhost:11435");
    assert_chimera(in, 80, 512, 1.0);
    assert_int_equal(__builtin_popcount(in->options.set), 3);
    /* the seed's prompts, and its second generation's two calls */
    assert_int_equal(c->n_steps, 2);
    assert_string_equal(c->steps[0].name, "analysis");
    assert_string_equal(c->steps[0].prompt, tdm_seed_collector_prompt);
    assert_string_equal(c->steps[1].name, "report");
    assert_string_equal(c->steps[1].prompt, tdm_seed_report_prompt);
    assert_non_null(strstr(c->steps[1].prompt, "{previous}"));
    assert_null(strstr(c->steps[0].prompt, "{previous}"));
    assert_string_equal(in->steps[0].prompt, tdm_seed_insight_prompt);
    assert_non_null(strstr(tdm_seed_collector_prompt, "DataCollector-9000"));
    assert_non_null(strstr(tdm_seed_insight_prompt, "InsightAgent"));
    tdm_scenario_free(&s);

    /* common options reach every agent, the baseline included; --chimera-* beats them */
    tdm_options_set(&b.common, TDM_OPT_NUM_PREDICT, 128);
    tdm_options_set(&b.common, TDM_OPT_TEMPERATURE, 0.0);
    tdm_options_set(&b.chimera, TDM_OPT_TEMPERATURE, 0.7);
    b.runs = 5;
    b.model = "llama3.2:1b";
    b.keep_alive = "10m";
    build("baseline_vs_chimera", &b, &s); /* the seed's spelling */
    assert_int_equal(s.runs, 5);
    assert_int_equal(s.agents[0].options.set, (1u << TDM_OPT_NUM_PREDICT) | (1u << TDM_OPT_TEMPERATURE));
    assert_true(opt(&s.agents[0], TDM_OPT_NUM_PREDICT) == 128);
    assert_true(opt(&s.agents[0], TDM_OPT_TEMPERATURE) == 0.0);
    assert_true(opt(&s.agents[1], TDM_OPT_NUM_PREDICT) == 128);
    assert_chimera(&s.agents[1], 80, 512, 0.7);
    assert_string_equal(s.agents[1].model, "llama3.2:1b");
    assert_string_equal(s.agents[0].keep_alive, "10m");
    tdm_scenario_free(&s);
}

static void test_builtin_hetero_homo(void **state)
{
    (void)state;
    tdm_builtin_args b;
    tdm_builtin_args_init(&b);
    tdm_scenario s;

    /* the seed's hetero cell gpu80-100_ctx512-1024: chimera2 sets gpu and ctx, inherits temperature */
    tdm_options_set(&b.chimera2, TDM_OPT_NUM_GPU, 100);
    tdm_options_set(&b.chimera2, TDM_OPT_NUM_CTX, 1024);
    tdm_options_set(&b.chimera, TDM_OPT_TOP_P, 0.9);
    build("chimera-hetero", &b, &s);
    assert_string_equal(s.agents[0].label, "Chimera Agent A");
    assert_string_equal(s.agents[1].label, "Chimera Agent B");
    assert_chimera(&s.agents[0], 80, 512, 1.0);
    assert_chimera(&s.agents[1], 100, 1024, 1.0);
    assert_true(opt(&s.agents[1], TDM_OPT_TOP_P) == 0.9); /* from chimera */
    assert_true(opt(&s.agents[0], TDM_OPT_TOP_P) == 0.9);
    tdm_scenario_free(&s);

    /* homo: both agents the chimera options; chimera2 plays no part */
    tdm_builtin_args_init(&b);
    tdm_options_set(&b.chimera, TDM_OPT_NUM_CTX, 2048);
    tdm_options_set(&b.chimera2, TDM_OPT_NUM_GPU, 100);
    b.collector_url = "http://127.0.0.1:21434";
    b.insight_url = "http://127.0.0.1:21435";
    build("Chimera_Homo", &b, &s);
    assert_string_equal(s.name, "chimera-homo");
    assert_chimera(&s.agents[0], 80, 2048, 1.0);
    assert_chimera(&s.agents[1], 80, 2048, 1.0);
    assert_string_equal(s.agents[0].url, "http://127.0.0.1:21434");
    assert_string_equal(s.agents[1].url, "http://127.0.0.1:21435");
    tdm_scenario_free(&s);

    /* the first generation: one call per agent */
    tdm_builtin_args_init(&b);
    b.calls_per_agent = 1;
    build("chimera-homo", &b, &s);
    assert_int_equal(s.agents[0].n_steps, 1);
    assert_int_equal(s.agents[1].n_steps, 1);
    assert_string_equal(s.agents[1].steps[0].prompt, tdm_seed_insight_prompt);
    tdm_scenario_free(&s);
}

static void test_builtin_errors(void **state)
{
    (void)state;
    tdm_builtin_args b;
    tdm_builtin_args_init(&b);
    tdm_scenario s;
    b.scenario = "chimera-triple";
    assert_int_equal(tdm_scenario_builtin(&b, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "chimera-triple"));
    assert_non_null(strstr(err, "baseline-vs-chimera"));
    assert_non_null(strstr(err, "chimera-hetero"));
    assert_non_null(strstr(err, "chimera-homo"));
    assert_null(s.agents);
    b.scenario = NULL;
    assert_int_equal(tdm_scenario_builtin(&b, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "chimera-homo"));
    b.scenario = "chimera-homo-x";
    assert_int_equal(tdm_scenario_builtin(&b, &s, err, sizeof err), -1);

    b.scenario = "chimera-homo";
    b.calls_per_agent = 3;
    assert_int_equal(tdm_scenario_builtin(&b, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "calls_per_agent"));
    b.calls_per_agent = 2;

    b.insight_url = "localhost:11435";
    assert_int_equal(tdm_scenario_builtin(&b, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "chimera-homo"));
    assert_non_null(strstr(err, "agents[1].url"));
    assert_null(s.agents);
    b.insight_url = NULL; /* NULL: the default */
    assert_int_equal(tdm_scenario_builtin(&b, &s, err, sizeof err), 0);
    assert_string_equal(s.agents[1].url, "http://localhost:11435");
    tdm_scenario_free(&s);

    tdm_options_set(&b.chimera, TDM_OPT_TOP_P, 2.0);
    assert_int_equal(tdm_scenario_builtin(&b, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "options.top_p"));
    tdm_builtin_args_init(&b);
    b.scenario = "chimera-homo";
    b.runs = 0;
    assert_int_equal(tdm_scenario_builtin(&b, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "runs"));
    assert_string_equal(tdm_builtin_scenario_names[0], "baseline-vs-chimera");
    assert_null(tdm_builtin_scenario_names[3]);
}

/* ---- JSON and copy ------------------------------------------------------------------- */

static void test_to_json(void **state)
{
    (void)state;
    tdm_scenario s;
    assert_int_equal(load(full_yaml, &s), 0);
    json_t *j = tdm_scenario_to_json(&s);
    assert_non_null(j);
    /* through text and back, as a results file is read */
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    json_error_t je;
    j = json_loads(text, 0, &je);
    free(text);
    assert_non_null(j);

    assert_string_equal(json_string_value(json_object_get(j, "name")), "full-test");
    assert_string_equal(json_string_value(json_object_get(j, "description")), "every field set");
    assert_true(json_is_integer(json_object_get(j, "runs")));
    assert_int_equal(json_integer_value(json_object_get(j, "runs")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "seed")), 1234);
    assert_true(json_is_false(json_object_get(j, "warmup")));
    assert_int_equal(json_integer_value(json_object_get(j, "warmup_num_predict")), 2);
    json_t *ph = json_object_get(j, "phases");
    assert_int_equal(json_array_size(ph), 1);
    assert_string_equal(json_string_value(json_array_get(ph, 0)), "concurrent");
    assert_true(json_real_value(json_object_get(j, "contention_threshold_pct")) == 12.5);
    assert_int_equal(json_integer_value(json_object_get(j, "max_line_bytes")), 4096);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "timeouts"), "idle_ms")), 3000);

    json_t *agents = json_object_get(j, "agents");
    assert_int_equal(json_array_size(agents), 2);
    json_t *c = json_array_get(agents, 0);
    assert_string_equal(json_string_value(json_object_get(c, "name")), "collector");
    assert_string_equal(json_string_value(json_object_get(c, "label")), "Baseline Collector");
    assert_string_equal(json_string_value(json_object_get(c, "url")), "http://127.0.0.1:11434");
    assert_string_equal(json_string_value(json_object_get(c, "model")), "gemma3:latest");
    assert_string_equal(json_string_value(json_object_get(c, "api")), "chat");
    assert_true(json_is_false(json_object_get(c, "stream")));
    assert_string_equal(json_string_value(json_object_get(c, "keep_alive")), "5m");
    json_t *o = json_object_get(c, "options");
    assert_int_equal(json_object_size(o), 9);
    assert_true(json_is_integer(json_object_get(o, "num_ctx")));
    assert_int_equal(json_integer_value(json_object_get(o, "num_ctx")), 512);
    assert_true(json_is_integer(json_object_get(o, "num_predict")));
    assert_true(json_is_real(json_object_get(o, "top_p")));
    assert_true(json_real_value(json_object_get(o, "top_p")) == 0.9);
    json_t *steps = json_object_get(c, "steps");
    assert_int_equal(json_array_size(steps), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(steps, 1), "prompt")),
                        "Report on: {previous}");
    assert_string_equal(json_string_value(json_object_get(json_array_get(steps, 1), "system")), "Be brief.");
    assert_true(json_is_null(json_object_get(json_array_get(steps, 0), "system")));
    json_t *in = json_array_get(agents, 1);
    assert_string_equal(json_string_value(json_object_get(in, "keep_alive")), "0");
    /* options only when set */
    assert_null(json_object_get(json_object_get(in, "options"), "num_gpu"));
    json_decref(j);
    tdm_scenario_free(&s);

    /* the baseline collector sends no options: an empty object */
    tdm_builtin_args b;
    tdm_builtin_args_init(&b);
    build("baseline-vs-chimera", &b, &s);
    j = tdm_scenario_to_json(&s);
    assert_non_null(j);
    json_t *bo = json_object_get(json_array_get(json_object_get(j, "agents"), 0), "options");
    assert_true(json_is_object(bo));
    assert_int_equal(json_object_size(bo), 0);
    assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "agents"), 0), "keep_alive")));
    json_decref(j);
    tdm_scenario_free(&s);
}

static void test_copy_free(void **state)
{
    (void)state;
    tdm_scenario s, c;
    assert_int_equal(load(full_yaml, &s), 0);
    assert_int_equal(tdm_scenario_copy(&c, &s), 0);
    tdm_scenario_free(&s);
    assert_null(s.agents); /* free zeroes */
    tdm_scenario_free(&s); /* twice is harmless */
    assert_string_equal(c.name, "full-test");
    assert_int_equal(c.n_agents, 2);
    assert_string_equal(c.agents[0].steps[1].system, "Be brief.");
    assert_string_equal(c.agents[1].keep_alive, "0");
    assert_true(opt(&c.agents[0], TDM_OPT_TOP_P) == 0.9);
    assert_int_equal(tdm_scenario_validate(&c, err, sizeof err), 0);
    tdm_scenario z;
    assert_int_equal(tdm_scenario_copy(&z, &c), 0);
    tdm_scenario_free(&c);
    tdm_scenario_free(&z);

    memset(&s, 0, sizeof s);
    assert_int_equal(tdm_scenario_copy(&c, &s), 0);
    assert_null(c.agents);
    tdm_scenario_free(&c);
    tdm_scenario_free(NULL);
}

/* ---- the example files ---------------------------------------------------------------- */

static void test_example_files(void **state)
{
    (void)state;
    tdm_scenario s;
    if (tdm_scenario_load_file("experiments/scenarios/chimera-homo.yaml", &s, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_string_equal(s.name, "chimera-homo");
    assert_int_equal(s.n_agents, 2);
    assert_string_equal(s.agents[0].name, "collector");
    assert_string_equal(s.agents[1].name, "insight");
    assert_string_equal(s.agents[0].url, "http://127.0.0.1:11434");
    assert_string_equal(s.agents[1].url, "http://127.0.0.1:11435");
    for (size_t i = 0; i < 2; i++) {
        const tdm_agent *a = &s.agents[i];
        assert_string_equal(a->model, "gemma3:latest");
        assert_chimera(a, 80, 512, 1.0);
        assert_false(tdm_options_has(&a->options, TDM_OPT_NUM_PREDICT)); /* as the seed: not set */
        assert_int_equal(a->n_steps, 2);
        assert_string_equal(a->steps[1].prompt, tdm_seed_report_prompt);
    }
    /* the file carries the seed's prompts verbatim, as the built-in does */
    assert_string_equal(s.agents[0].steps[0].prompt, tdm_seed_collector_prompt);
    assert_string_equal(s.agents[1].steps[0].prompt, tdm_seed_insight_prompt);
    tdm_scenario_free(&s);

    if (tdm_scenario_load_file("experiments/scenarios/sim-two-agents.yaml", &s, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.n_agents, 2);
    assert_string_equal(s.agents[0].url, "http://127.0.0.1:11434");
    assert_string_equal(s.agents[1].url, "http://127.0.0.1:11435");
    for (size_t i = 0; i < 2; i++)
        assert_true(opt(&s.agents[i], TDM_OPT_NUM_PREDICT) == 64);
    tdm_scenario_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_yaml_every_field),
        cmocka_unit_test(test_defaults_apply),
        cmocka_unit_test(test_shorthand_prompt),
        cmocka_unit_test(test_scalar_forms),
        cmocka_unit_test(test_validation_messages),
        cmocka_unit_test(test_validate_direct),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_malformed_yaml),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_builtin_baseline),
        cmocka_unit_test(test_builtin_hetero_homo),
        cmocka_unit_test(test_builtin_errors),
        cmocka_unit_test(test_to_json),
        cmocka_unit_test(test_copy_free),
        cmocka_unit_test(test_example_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
