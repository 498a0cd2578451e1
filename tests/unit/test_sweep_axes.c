/* test_sweep_axes.c — an experiment's axes: their product expanded into cells, server
 * groups kept together (one restart each) and shuffled within, ids naming each axis, a
 * template scenario rewritten per agent count and per server count, child commands
 * carrying the point's num_predict and rewritten scenario, the estimate per point, a
 * sweep without axes planned as before, and each misuse reported with its fix. */
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
#include "sweep/plan.h"

static tdm_buf probs;
static char dir[64];

#define PINS "pins: {ollama_version: '0.11.4', model: gemma3:latest, model_digest: 'sha256:0123456789abcdef'}\n"
#define GAIN                                                                                                         \
    "name: axes\n" PINS "variants: [smol, tokio-default]\nrepetitions: 2\n"                                          \
    "configurations:\n  - {name: gain, scenario: gain.yaml}\n"

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/tdm-axes-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char p[128];
    snprintf(p, sizeof p, "%s/gain.yaml", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("defaults: {model: gemma3:latest}\n"
          "agent_template: {name: w, prompt: hello}\n"
          "agent_count: 1\n"
          "endpoints: [http://127.0.0.1:11434, http://127.0.0.1:11435]\n",
          f);
    fclose(f);
    snprintf(p, sizeof p, "%s/fixed.yaml", dir);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs("agents:\n  - {name: a, url: http://127.0.0.1:11434, model: gemma3:latest, prompt: p}\n", f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof p, "%s/gain.yaml", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/fixed.yaml", dir);
    unlink(p);
    rmdir(dir);
    tdm_buf_free(&probs);
    return 0;
}

static int load(const char *yaml, tdm_experiment *e)
{
    tdm_buf_free(&probs);
    return tdm_experiment_load_string(yaml, strlen(yaml), "t.yaml", dir, e, &probs);
}

static void expect_problems(const char *yaml, const char *a, const char *b)
{
    tdm_experiment e;
    if (load(yaml, &e) == 0) {
        tdm_experiment_free(&e);
        fail_msg("loaded, but should have failed:\n%s", yaml);
    }
    if (!strstr(tdm_buf_str(&probs), a) || (b && !strstr(tdm_buf_str(&probs), b)))
        fail_msg("problems lack \"%s\" / \"%s\":\n%s", a, b ? b : "", tdm_buf_str(&probs));
}

static void test_points_and_values(void **state)
{
    (void)state;
    tdm_experiment e;
    if (load(GAIN "axes: {agents: [1, 2, 4], num_parallel: [1, 2]}\nserver_launcher: ./up.sh\n", &e) != 0)
        fail_msg("%s", tdm_buf_str(&probs));
    assert_int_equal(e.n_points, 6);
    assert_int_equal(e.n_client_points, 3);
    assert_int_equal(tdm_experiment_cell_count(&e), 2 * 1 * 6 * 2);
    int64_t v;
    /* client axes fastest: points 0..2 are num_parallel 1, 3..5 num_parallel 2 */
    assert_true(tdm_sweep_point_value(&e, 4, TDM_AXIS_AGENTS, &v));
    assert_int_equal(v, 2);
    assert_true(tdm_sweep_point_value(&e, 4, TDM_AXIS_NUM_PARALLEL, &v));
    assert_int_equal(v, 2);
    assert_false(tdm_sweep_point_value(&e, 4, TDM_AXIS_NUM_PREDICT, &v));
    assert_true(tdm_sweep_has_server_axes(&e));
    /* every point's scenario was rewritten and loaded: agent count and calls follow */
    const tdm_sweep_config *cf = &e.configs[0];
    for (size_t p = 0; p < 6; p++) {
        assert_non_null(cf->points[p].yaml);
        size_t want = (size_t[]){1, 2, 4}[p % 3];
        assert_int_equal(cf->points[p].n_agents, want);
        assert_int_equal(cf->points[p].calls_per_run, want);
        assert_int_equal(cf->points[p].n_urls, want == 1 ? 1 : 2);
    }
    tdm_experiment_free(&e);
}

static void test_groups_contiguous_and_shuffled(void **state)
{
    (void)state;
    tdm_experiment e;
    if (load(GAIN "axes: {agents: [1, 2, 4], num_parallel: [1, 2]}\nserver_launcher: ./up.sh\n", &e) != 0)
        fail_msg("%s", tdm_buf_str(&probs));
    tdm_sweep_cell *cells;
    size_t n;
    assert_int_equal(tdm_sweep_plan(&e, TDM_SWEEP_ORDER_BLOCKS, 7, &cells, &n), 0);
    assert_int_equal(n, 24);
    /* one change of group in the whole plan: one restart between groups */
    size_t changes = 0;
    for (size_t i = 1; i < n; i++)
        changes += cells[i].group != cells[i - 1].group;
    assert_int_equal(changes, 1);
    assert_int_equal(cells[0].group, 0);
    /* every (variant, point, repetition) exactly once; blocks inside a group hold each
     * (variant, client point) once */
    int seen[2][6][3] = {{{0}}};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(cells[i].order_index, i);
        assert_int_equal(cells[i].group, cells[i].point / 3);
        seen[cells[i].variant][cells[i].point][cells[i].repetition]++;
        assert_int_equal(cells[i].repetition, (int)((i % 12) / 6) + 1);
    }
    for (int v = 0; v < 2; v++)
        for (int p = 0; p < 6; p++)
            for (int r = 1; r <= 2; r++)
                assert_int_equal(seen[v][p][r], 1);
    /* shuffled: the first block is not in plain order for this seed */
    bool plain = true;
    for (size_t i = 1; i < 6; i++)
        plain = plain && cells[i].point * 2 + cells[i].variant > cells[i - 1].point * 2 + cells[i - 1].variant;
    assert_false(plain);
    /* ids, directories and the child's command */
    char *id = tdm_sweep_cell_id(&e, &(tdm_sweep_cell){1, 0, 2, 2, 0, 4, 1});
    assert_string_equal(id, "gain.agents2.np2/tokio-default/rep2");
    free(id);
    tdm_sweep_cell c = {0, 0, 1, 1, 0, 5, 1};
    char *tmp = tdm_sweep_cell_dir("/o", &e, &c, TDM_SWEEP_DIR_TMP);
    assert_string_equal(tmp, "/o/gain.agents4.np2/smol/.rep1.tmp");
    char *sp = tdm_sweep_point_scenario_path(&e, &c, tmp);
    assert_string_equal(sp, "/o/gain.agents4.np2/.scenario/gain.yaml");
    char **argv = tdm_sweep_child_argv(&e, &c, "/bin/tandem-smol", tmp);
    char *cmd = tdm_sweep_shell_join(argv);
    assert_non_null(strstr(cmd, "--scenario-file /o/gain.agents4.np2/.scenario/gain.yaml"));
    char *desc = tdm_sweep_point_desc(&e, 5, false);
    assert_string_equal(desc, "agents=4 num_parallel=2");
    free(desc);
    desc = tdm_sweep_point_desc(&e, 5, true);
    assert_string_equal(desc, "num_parallel=2");
    free(desc);
    free(cmd);
    tdm_sweep_argv_free(argv);
    free(sp);
    free(tmp);
    free(cells);
    /* sequential order keeps groups together too */
    assert_int_equal(tdm_sweep_plan(&e, TDM_SWEEP_ORDER_SEQUENTIAL, 7, &cells, &n), 0);
    changes = 0;
    for (size_t i = 1; i < n; i++)
        changes += cells[i].group != cells[i - 1].group;
    assert_int_equal(changes, 1);
    free(cells);
    tdm_experiment_free(&e);
}

static void test_num_predict_axis_and_estimate(void **state)
{
    (void)state;
    tdm_experiment e;
    if (load(GAIN "axes: {agents: [2], num_predict: [10, 40]}\nrun: {expected_decode_tps: 10, warmup: false}\n",
             &e) != 0)
        fail_msg("%s", tdm_buf_str(&probs));
    assert_int_equal(e.n_points, 2);
    assert_false(tdm_sweep_has_server_axes(&e));
    tdm_sweep_cell c = {0, 0, 1, 1, 0, 1, 0};
    char **argv = tdm_sweep_child_argv(&e, &c, "/bin/tandem-smol", "/o/x/smol/.rep1.tmp");
    char *cmd = tdm_sweep_shell_join(argv);
    assert_non_null(strstr(cmd, "--num-predict 40"));
    free(cmd);
    tdm_sweep_argv_free(argv);
    /* 2 calls of 40 tokens at 10 tok/s, two phases, +1 s */
    double s = tdm_sweep_estimate_point_s(&e, 0, 1);
    assert_true(s > 16.999 && s < 17.001);
    char *id = tdm_sweep_cell_id(&e, &c);
    assert_string_equal(id, "gain.agents2.predict40/smol/rep1");
    free(id);
    tdm_experiment_free(&e);
}

static void test_servers_per_gpu_keeps_first_endpoints(void **state)
{
    (void)state;
    tdm_experiment e;
    if (load(GAIN "axes: {agents: [4], servers_per_gpu: [1, 2]}\nserver_launcher: ./up.sh\n", &e) != 0)
        fail_msg("%s", tdm_buf_str(&probs));
    assert_int_equal(e.configs[0].points[0].n_urls, 1);
    assert_string_equal(e.configs[0].points[0].urls[0], "http://127.0.0.1:11434");
    assert_int_equal(e.configs[0].points[1].n_urls, 2);
    tdm_experiment_free(&e);
}

static void test_without_axes_plans_as_before(void **state)
{
    (void)state;
    tdm_experiment e;
    if (load(GAIN, &e) != 0)
        fail_msg("%s", tdm_buf_str(&probs));
    assert_int_equal(e.n_points, 1);
    assert_null(e.configs[0].points[0].yaml); /* the file runs as it is */
    tdm_sweep_cell *cells;
    size_t n;
    assert_int_equal(tdm_sweep_plan(&e, TDM_SWEEP_ORDER_BLOCKS, 7, &cells, &n), 0);
    assert_int_equal(n, 4);
    char *id = tdm_sweep_cell_id(&e, &cells[0]);
    assert_non_null(strstr(id, "gain/"));
    free(id);
    char **argv = tdm_sweep_child_argv(&e, &cells[0], "/bin/x", "/o/gain/smol/.rep1.tmp");
    char *cmd = tdm_sweep_shell_join(argv);
    assert_non_null(strstr(cmd, "/gain.yaml"));
    assert_null(strstr(cmd, ".scenario"));
    free(cmd);
    tdm_sweep_argv_free(argv);
    free(cells);
    tdm_experiment_free(&e);
}

static void test_misuse_reported(void **state)
{
    (void)state;
    expect_problems(GAIN "axes: {num_parallel: [1, 2]}\n", "server_launcher", "OLLAMA_NUM_PARALLEL");
    expect_problems(GAIN "axes: {agents: [1, 1]}\n", "axes.agents[1]", "twice");
    expect_problems(GAIN "axes: {agents: [0]}\n", "axes.agents[0]", "out of range");
    expect_problems(GAIN "axes: {agents: [x]}\n", "axes.agents[0]", "whole number");
    expect_problems(GAIN "axes: {num_predict: [8]}\nrun: {num_predict: 8}\n", "run.num_predict", "remove");
    expect_problems(GAIN "axes: {servers_per_gpu: [3]}\nserver_launcher: x\n", "endpoints", "at least 3");
    expect_problems(GAIN "axes: {colour: [1]}\n", "colour", NULL);
    expect_problems("name: axes\n" PINS "variants: [smol]\nconfigurations:\n  - {name: f, scenario: fixed.yaml}\n"
                    "axes: {agents: [2]}\n",
                    "agent_template", NULL);
    expect_problems("name: axes\n" PINS "endpoints: {collector: 'http://h:1', insight: 'http://h:2'}\n"
                    "variants: [smol]\nconfigurations:\n  - {name: b, scenario: chimera-homo}\n"
                    "axes: {agents: [2]}\n",
                    "built-in", "agent_template");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_points_and_values),
        cmocka_unit_test(test_groups_contiguous_and_shuffled),
        cmocka_unit_test(test_num_predict_axis_and_estimate),
        cmocka_unit_test(test_servers_per_gpu_keeps_first_endpoints),
        cmocka_unit_test(test_without_axes_plans_as_before),
        cmocka_unit_test(test_misuse_reported),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
