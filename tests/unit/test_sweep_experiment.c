/* test_sweep_experiment.c — the experiment file: every field read, defaults, strict
 * keys (an unknown key is named with the keys allowed), every problem reported at once
 * with the field and the fix, built-in and file scenarios, and the shipped experiments.
 * Run from the repository root (the shipped experiments are read by relative path). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sweep/experiment.h"
#include "sweep/pins.h"

static tdm_buf probs;

static int load(const char *yaml, tdm_experiment *e)
{
    tdm_buf_free(&probs);
    return tdm_experiment_load_string(yaml, strlen(yaml), "t.yaml", "/nonexistent-dir", e, &probs);
}

/* Loading must fail, and the problems must hold every given substring. */
static void expect_problems_(const char *yaml, const char *file, int line, ...)
{
    tdm_experiment e;
    if (load(yaml, &e) == 0) {
        tdm_experiment_free(&e);
        fail_msg("%s:%d: loaded, but should have failed:\n%s", file, line, yaml);
    }
    va_list ap;
    va_start(ap, line);
    for (const char *sub; (sub = va_arg(ap, const char *)) != NULL;)
        if (!strstr(tdm_buf_str(&probs), sub))
            fail_msg("%s:%d: problems lack \"%s\":\n%s", file, line, sub, tdm_buf_str(&probs));
    va_end(ap);
    assert_null(e.name);
    assert_null(e.configs);
}
#define expect_problems(yaml, ...) expect_problems_(yaml, __FILE__, __LINE__, __VA_ARGS__, (const char *)NULL)

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

#define PINS "pins: {ollama_version: '0.11.4', model: gemma3:latest, model_digest: 'sha256:0123456789abcdef'}\n"
#define ENDPOINTS "endpoints: {collector: 'http://127.0.0.1:11434', insight: 'http://127.0.0.1:11435/'}\n"
#define MINIMAL                                                                                                      \
    "name: t\n" PINS ENDPOINTS "variants: [smol]\n"                                                                  \
    "configurations:\n  - {name: homo, scenario: chimera-homo}\n"

static void test_full(void **state)
{
    (void)state;
    static const char yaml[] =
        "name: full\n"
        "description: every field\n"
        "output: out/full\n"
        "seed: 99\n"
        "order: sequential\n"
        "repetitions: 3\n"
        "pins: {ollama_version: '0.11.4', model: gemma3, model_digest: abcdef012345, gpu: RTX 4080}\n" ENDPOINTS
        "variants: [tokio-default, smol-1kb]\n"
        "run:\n"
        "  runs_per_cell: 2\n  warmup: false\n  num_predict: 64\n  seed: -3\n  num_thread: 1\n"
        "  calls_per_agent: 1\n  keep_alive: 5m\n  cooldown_ms: 250\n  unload_between_cells: no\n"
        "  cell_timeout_ms: 60000\n  http_timeout_ms: 2000\n  retries: 0\n  retry_backoff_ms: 10\n"
        "  expected_decode_tps: 40.5\n  estimate_cell_s: 12\n"
        "configurations:\n"
        "  - name: het\n"
        "    description: two settings\n"
        "    scenario: chimera_hetero\n"
        "    chimera: {num_gpu: 80, num_ctx: 512, temperature: 1.0, top_p: 0.9, top_k: 40, repeat_penalty: 1.1}\n"
        "    chimera2: {num_gpu: 100, num_ctx: 1024}\n"
        "    endpoints: {insight: 'http://127.0.0.1:9/'}\n";
    tdm_experiment e;
    if (load(yaml, &e) != 0)
        fail_msg("%s", tdm_buf_str(&probs));
    assert_string_equal(e.name, "full");
    assert_string_equal(e.description, "every field");
    assert_string_equal(e.output, "out/full");
    assert_true(e.has_seed);
    assert_int_equal(e.seed, 99);
    assert_int_equal(e.order, TDM_SWEEP_ORDER_SEQUENTIAL);
    assert_int_equal(e.repetitions, 3);
    assert_string_equal(e.pins.gpu, "RTX 4080");
    assert_int_equal(e.n_variants, 2);
    assert_string_equal(e.variants[1], "smol-1kb");
    assert_int_equal(e.run.runs_per_cell, 2);
    assert_false(e.run.warmup);
    assert_true(e.run.has_num_predict && e.run.num_predict == 64);
    assert_true(e.run.has_seed && e.run.seed == -3);
    assert_true(e.run.has_num_thread && e.run.num_thread == 1);
    assert_int_equal(e.run.calls_per_agent, 1);
    assert_string_equal(e.run.keep_alive, "5m");
    assert_int_equal(e.run.cooldown_ms, 250);
    assert_false(e.run.unload_between_cells);
    assert_int_equal(e.run.cell_timeout_ms, 60000);
    assert_int_equal(e.run.http_timeout_ms, 2000);
    assert_int_equal(e.run.retries, 0);
    assert_int_equal(e.run.retry_backoff_ms, 10);
    assert_true(e.run.expected_decode_tps == 40.5);
    assert_true(e.run.estimate_cell_s == 12);
    assert_int_equal(e.n_configs, 1);
    const tdm_sweep_config *c = &e.configs[0];
    assert_string_equal(c->builtin, "chimera-hetero");
    assert_null(c->scenario_path);
    assert_true(c->chimera.value[TDM_OPT_NUM_GPU] == 80 && c->chimera.value[TDM_OPT_REPEAT_PENALTY] == 1.1);
    assert_true(tdm_options_has(&c->chimera2, TDM_OPT_NUM_CTX) && c->chimera2.value[TDM_OPT_NUM_CTX] == 1024);
    assert_string_equal(c->collector_url, "http://127.0.0.1:11434");
    assert_string_equal(c->insight_url, "http://127.0.0.1:9"); /* the configuration's own, slash trimmed */
    assert_int_equal(c->n_urls, 2);
    assert_int_equal(c->n_agents, 2);
    assert_int_equal(c->calls_per_run, 2); /* calls_per_agent 1 */
    assert_int_equal(tdm_experiment_cell_count(&e), 2 * 1 * 3);
    assert_int_equal(strlen(e.sha256), 64);
    tdm_experiment_free(&e);
}

static void test_defaults(void **state)
{
    (void)state;
    tdm_experiment e;
    if (load(MINIMAL, &e) != 0)
        fail_msg("%s", tdm_buf_str(&probs));
    assert_string_equal(e.output, "results/t");
    assert_false(e.has_seed);
    assert_int_equal(e.order, TDM_SWEEP_ORDER_BLOCKS);
    assert_int_equal(e.repetitions, 1);
    assert_int_equal(e.run.runs_per_cell, 1);
    assert_true(e.run.warmup);
    assert_true(e.run.unload_between_cells);
    assert_int_equal(e.run.retries, 3);
    assert_int_equal(e.run.retry_backoff_ms, 1000);
    assert_int_equal(e.run.cell_timeout_ms, 3600000);
    assert_false(e.run.has_num_predict);
    assert_int_equal(e.run.gpu_telemetry, TDM_GPU_AUTO);
    assert_int_equal(e.configs[0].calls_per_run, 4); /* two agents, two calls each */
    assert_string_equal(e.insight_url, "http://127.0.0.1:11435");
    tdm_experiment_free(&e);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_problems(MINIMAL "colour: blue\n", "unknown key 'colour'", "pins", "configurations");
    expect_problems("name: t\n" PINS ENDPOINTS "variants: [smol]\nconfigurations:\n"
                    "  - {name: a, scenario: chimera-homo, chimera: {num_gpus: 80}}\n",
                    "unknown key 'num_gpus'", "num_gpu", "repeat_penalty");
    expect_problems(MINIMAL "run: {retry: 3}\n", "unknown key 'retry'", "retries");
    /* An alias gets the experiment's own hint, not the scenario's "defaults:". */
    expect_problems("name: &n t\ndescription: *n\n" PINS ENDPOINTS "variants: [smol]\n"
                    "configurations:\n  - {name: homo, scenario: chimera-homo}\n",
                    "aliases (*name) are not supported; write the value out, or give each configuration its own values");
    expect_problems("name: t\npins: {ollama: x}\n", "unknown key 'ollama'", "ollama_version");
    expect_problems("name: 'unterminated\n", "not valid YAML");
    expect_problems("", "empty");
    expect_problems("[]", "an experiment file is a mapping");
    expect_problems("name: t\n" PINS "endpoints: {collector: 'http://a:99999', insight: 'http://[::1'}\n"
                    "variants: [smol]\nconfigurations:\n  - {name: homo, scenario: chimera-homo}\n",
                    "'http://a:99999' is not an http://HOST:PORT URL", "'http://[::1' is not an http://HOST:PORT URL");
    expect_problems(MINIMAL "name: u\n", "given twice");
    expect_problems(MINIMAL "run: {gpu_telemetry: yes}\n", "run.gpu_telemetry: 'yes' is not auto, on or off");
}

static void test_gpu_telemetry_modes(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        tdm_gpu_mode m;
    } cases[] = {{"auto", TDM_GPU_AUTO}, {"on", TDM_GPU_ON}, {"off", TDM_GPU_OFF}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml, MINIMAL "run: {gpu_telemetry: %s}\n", cases[i].v);
        tdm_experiment e;
        if (load(yaml, &e) != 0)
            fail_msg("%s", tdm_buf_str(&probs));
        assert_int_equal(e.run.gpu_telemetry, cases[i].m);
        tdm_experiment_free(&e);
    }
}

/* Every problem, each with its field and fix, in one message. */
static void test_all_problems_at_once(void **state)
{
    (void)state;
    static const char yaml[] = "name: 'bad name'\n"
                               "order: random\n"
                               "repetitions: 0\n"
                               "pins: {model: gemma3}\n"
                               "endpoints: {collector: 'https://x:1'}\n"
                               "variants: [smol, smol, '../x']\n"
                               "run: {num_predict: lots, warmup: maybe, cooldown_ms: 1.5}\n"
                               "configurations:\n"
                               "  - {name: a, scenario: chimera-homo, chimera2: {num_ctx: 1024}}\n"
                               "  - {name: a, scenario: nonsense}\n"
                               "  - {name: c, scenario: missing/file.yaml, chimera: {num_gpu: 1}}\n"
                               "  - {scenario: chimera-homo, chimera: {temperature: hot}}\n";
    tdm_experiment e;
    assert_int_not_equal(load(yaml, &e), 0);
    const char *p = tdm_buf_str(&probs);
    static const char *const want[] = {
        "name: 'bad name' may use only",
        "order: 'random' is not an order; write blocks",
        "repetitions: 0 is out of range",
        "pins.ollama_version: missing",
        "pins.model_digest: missing",
        "endpoints.collector: 'https://x:1' is not an http://HOST:PORT URL",
        "variants[1]: 'smol' is listed twice",
        "variants[2]: '../x' is not a variant name",
        "run.num_predict: 'lots' is not a whole number",
        "run.warmup: 'maybe' is not a boolean",
        "run.cooldown_ms: '1.5' is not a whole number of milliseconds",
        "configurations[0].endpoints.insight: no URL for the insight agent",
        "chimera2: is used only by the chimera-hetero scenario",
        "configurations[1]: name 'a' is used twice",
        "scenario 'nonsense' is neither a built-in",
        "apply to the built-in scenarios only",
        "cannot read the scenario file /nonexistent-dir/missing/file.yaml",
        "configurations[3].chimera.temperature: 'hot' is not a number",
        "configurations[3]: has no name",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(p, want[i]))
            fail_msg("problems lack \"%s\":\n%s", want[i], p);
    assert_true(count_lines(p) >= sizeof want / sizeof want[0]);
    /* each line names the source */
    for (const char *l = p; *l; l = strchr(l, '\n') + 1)
        assert_memory_equal(l, "t.yaml: ", 8);
}

static void test_file_scenario(void **state)
{
    (void)state;
    char dir[] = "/tmp/tdm-sweep-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/scen.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("name: s\nagents:\n"
          "  - {name: a, url: 'http://127.0.0.1:7001', model: gemma3, steps: [{prompt: x}, {prompt: y}, {prompt: z}]}\n"
          "  - {name: b, url: 'http://127.0.0.1:7002', model: gemma3:latest, prompt: p}\n"
          "  - {name: c, url: 'http://127.0.0.1:7001', model: gemma3:latest, prompt: p}\n",
          f);
    fclose(f);
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "name: t\n" PINS "variants: [smol]\nconfigurations:\n  - {name: f, scenario: scen.yaml}\n");
    tdm_experiment e;
    tdm_buf_free(&probs);
    if (tdm_experiment_load_string(yaml, strlen(yaml), "t.yaml", dir, &e, &probs) != 0)
        fail_msg("%s", tdm_buf_str(&probs));
    const tdm_sweep_config *c = &e.configs[0];
    assert_null(c->builtin);
    assert_string_equal(c->scenario_path, path); /* relative to the experiment's directory */
    assert_int_equal(strlen(c->scenario_sha256), 64);
    assert_int_equal(c->n_agents, 3);
    assert_int_equal(c->calls_per_run, 5);
    assert_int_equal(c->n_urls, 2); /* distinct servers */
    tdm_experiment_free(&e);

    /* an agent on another model than the pinned one */
    snprintf(yaml, sizeof yaml,
             "name: t\npins: {ollama_version: x, model: llama3, model_digest: abcdefabcdef}\nvariants: [smol]\n"
             "configurations:\n  - {name: f, scenario: scen.yaml}\n");
    tdm_buf_free(&probs);
    assert_int_not_equal(tdm_experiment_load_string(yaml, strlen(yaml), "t.yaml", dir, &e, &probs), 0);
    assert_non_null(strstr(tdm_buf_str(&probs), "agent 'a' uses model 'gemma3' but the experiment pins 'llama3'"));
    unlink(path);
    rmdir(dir);
}

static void test_helpers(void **state)
{
    (void)state;
    assert_true(tdm_sweep_same_model("gemma3", "gemma3:latest"));
    assert_true(tdm_sweep_same_model("gemma3:4b", "gemma3:4b"));
    assert_false(tdm_sweep_same_model("gemma3:4b", "gemma3"));
    assert_false(tdm_sweep_same_model("gemma", "gemma3"));
    assert_true(tdm_sweep_safe_name("chimera_homo-1.2"));
    assert_false(tdm_sweep_safe_name(".hidden"));
    assert_false(tdm_sweep_safe_name("a/b"));
    assert_false(tdm_sweep_safe_name(""));
    assert_true(tdm_sweep_digest_well_formed("sha256:54e006facfbc"));
    assert_true(tdm_sweep_digest_well_formed("54E006FACFBC17"));
    assert_false(tdm_sweep_digest_well_formed("54e006facfb")); /* 11 digits: too short to be unique */
    assert_false(tdm_sweep_digest_well_formed("FILL-IN-ON-THE-GPU-HOST"));
    const char *full = "54e006facfbc17678e45d429d199d090bcabf4e76bff3be16a847d6550ecfa6a";
    assert_true(tdm_sweep_digest_matches("sha256:54e006facfbc", full));
    assert_true(tdm_sweep_digest_matches("54E006FACFBC17678e45d429d199d090bcabf4e76bff3be16a847d6550ecfa6a", full));
    assert_false(tdm_sweep_digest_matches("54e006facfbd", full));
    assert_false(tdm_sweep_digest_matches("FILL-IN", full));
}

static void test_shipped_experiments(void **state)
{
    (void)state;
    const char *files[] = {"experiments/tr115.yaml", "experiments/sim.yaml"};
    for (size_t i = 0; i < 2; i++) {
        tdm_experiment e;
        tdm_buf_free(&probs);
        if (tdm_experiment_load_file(files[i], &e, &probs) != 0)
            fail_msg("%s: %s", files[i], tdm_buf_str(&probs));
        assert_int_equal(tdm_experiment_cell_count(&e), 150);
        assert_int_equal(e.n_variants, 5);
        assert_int_equal(e.n_configs, 6);
        assert_int_equal(e.repetitions, 5);
        assert_string_equal(e.pins.model, "gemma3:latest");
        assert_string_equal(e.collector_url, "http://127.0.0.1:11434");
        assert_string_equal(e.insight_url, "http://127.0.0.1:11435");
        tdm_experiment_free(&e);
    }
    tdm_buf_free(&probs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_gpu_telemetry_modes),
        cmocka_unit_test(test_all_problems_at_once),
        cmocka_unit_test(test_file_scenario),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_shipped_experiments),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tdm_buf_free(&probs);
    return rc;
}
