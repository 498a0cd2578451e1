/* test_sweep_plan.c — the plan: blocks hold every (variant, configuration) exactly once
 * and each block is a permutation; the order is reproducible from the seed and differs
 * with another seed; sequential order; cell ids and directories; the child's exact
 * command line; shell quoting; the duration estimate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sweep/experiment.h"
#include "sweep/plan.h"

static void load(const char *yaml, tdm_experiment *e)
{
    tdm_buf probs = {0};
    if (tdm_experiment_load_string(yaml, strlen(yaml), "t.yaml", NULL, e, &probs) != 0)
        fail_msg("%s", tdm_buf_str(&probs));
    tdm_buf_free(&probs);
}

static const char matrix[] =
    "name: m\nrepetitions: 4\n"
    "pins: {ollama_version: '0.11.4', model: gemma3:latest, model_digest: abcdefabcdef}\n"
    "endpoints: {collector: 'http://127.0.0.1:1', insight: 'http://127.0.0.1:2'}\n"
    "variants: [a, b, c]\n"
    "run: {num_predict: 100, expected_decode_tps: 50, cooldown_ms: 1000}\n"
    "configurations:\n"
    "  - {name: x, scenario: chimera-homo}\n"
    "  - {name: y, scenario: baseline-vs-chimera}\n";

static void test_blocks_are_permutations(void **state)
{
    (void)state;
    tdm_experiment e;
    load(matrix, &e);
    tdm_sweep_cell *cells;
    size_t n;
    assert_int_equal(tdm_sweep_plan(&e, TDM_SWEEP_ORDER_BLOCKS, 42, &cells, &n), 0);
    assert_int_equal(n, 3 * 2 * 4);
    size_t pairs = 6;
    for (int b = 1; b <= 4; b++) {
        int seen[6] = {0};
        for (size_t k = 0; k < pairs; k++) {
            const tdm_sweep_cell *c = &cells[(size_t)(b - 1) * pairs + k];
            assert_int_equal(c->block, b);
            assert_int_equal(c->repetition, b);
            assert_int_equal(c->order_index, (size_t)(b - 1) * pairs + k);
            seen[c->variant * 2 + c->config]++;
        }
        for (size_t p = 0; p < pairs; p++)
            assert_int_equal(seen[p], 1); /* every pair exactly once per block */
    }
    /* not all blocks in the same (identity) order: they are shuffled */
    bool any_shuffled = false;
    for (size_t k = 0; k < n; k++)
        any_shuffled |= cells[k].variant * 2 + cells[k].config != k % pairs;
    assert_true(any_shuffled);

    /* reproducible from the seed; another seed gives another order */
    tdm_sweep_cell *again, *other;
    size_t n2, n3;
    assert_int_equal(tdm_sweep_plan(&e, TDM_SWEEP_ORDER_BLOCKS, 42, &again, &n2), 0);
    assert_int_equal(tdm_sweep_plan(&e, TDM_SWEEP_ORDER_BLOCKS, 43, &other, &n3), 0);
    assert_int_equal(n2, n);
    assert_memory_equal(cells, again, n * sizeof *cells);
    assert_true(memcmp(cells, other, n * sizeof *cells) != 0);
    free(cells);
    free(again);
    free(other);
    assert_true(tdm_sweep_block_seed(1, 1) != tdm_sweep_block_seed(1, 2));
    tdm_experiment_free(&e);
}

static void test_sequential(void **state)
{
    (void)state;
    tdm_experiment e;
    load(matrix, &e);
    tdm_sweep_cell *cells;
    size_t n;
    assert_int_equal(tdm_sweep_plan(&e, TDM_SWEEP_ORDER_SEQUENTIAL, 42, &cells, &n), 0);
    /* variant by variant, configuration by configuration, repetition by repetition */
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(cells[k].variant, k / 8);
        assert_int_equal(cells[k].config, (k / 4) % 2);
        assert_int_equal(cells[k].repetition, (int)(k % 4) + 1);
    }
    free(cells);
    tdm_experiment_free(&e);
}

static void test_ids_dirs_argv(void **state)
{
    (void)state;
    tdm_experiment e;
    load("name: m\nrepetitions: 2\n"
         "pins: {ollama_version: '0.11.4', model: gemma3:latest, model_digest: abcdefabcdef}\n"
         "endpoints: {collector: 'http://127.0.0.1:1', insight: 'http://127.0.0.1:2'}\n"
         "variants: [smol-1kb]\n"
         "run: {num_predict: 5, seed: 7, warmup: false, keep_alive: 5m, runs_per_cell: 2, num_thread: 1, "
         "calls_per_agent: 1}\n"
         "configurations:\n"
         "  - {name: het, scenario: chimera-hetero, chimera: {num_gpu: 80, temperature: 0.7},"
         " chimera2: {num_ctx: 1024}}\n",
         &e);
    tdm_sweep_cell c = {0, 0, 2, 2, 1, 0, 0};
    char *id = tdm_sweep_cell_id(&e, &c);
    assert_string_equal(id, "het/smol-1kb/rep2");
    char *fin = tdm_sweep_cell_dir("/o", &e, &c, TDM_SWEEP_DIR_FINAL);
    char *tmp = tdm_sweep_cell_dir("/o", &e, &c, TDM_SWEEP_DIR_TMP);
    char *fail = tdm_sweep_cell_dir("/o", &e, &c, TDM_SWEEP_DIR_FAILED);
    assert_string_equal(fin, "/o/het/smol-1kb/rep2");
    assert_string_equal(tmp, "/o/het/smol-1kb/.rep2.tmp");
    assert_string_equal(fail, "/o/het/smol-1kb/.rep2.failed");
    char **argv = tdm_sweep_child_argv(&e, &c, "/bin/tandem-smol-1kb", tmp);
    char *cmd = tdm_sweep_shell_join(argv);
    assert_string_equal(cmd, "/bin/tandem-smol-1kb run --scenario chimera-hetero --model gemma3:latest "
                             "--collector-ollama-url http://127.0.0.1:1 --insight-ollama-url http://127.0.0.1:2 "
                             "--chimera-num-gpu 80 --chimera-temperature 0.7 --chimera2-num-ctx 1024 "
                             "--calls-per-agent 1 --runs 2 --num-predict 5 --seed 7 --num-thread 1 --keep-alive 5m "
                             "--no-warmup --gpu-telemetry=auto --output-dir /o/het/smol-1kb/.rep2.tmp --quiet --no-lock");
    free(id);
    free(fin);
    free(tmp);
    free(fail);
    free(cmd);
    tdm_sweep_argv_free(argv);
    tdm_experiment_free(&e);
}

/* run.gpu_telemetry reaches every cell's command line; auto when not given. */
static void test_argv_gpu_telemetry(void **state)
{
    (void)state;
    tdm_experiment e;
    load("name: m\n"
         "pins: {ollama_version: '0.11.4', model: gemma3:latest, model_digest: abcdefabcdef}\n"
         "endpoints: {collector: 'http://127.0.0.1:1', insight: 'http://127.0.0.1:2'}\n"
         "variants: [smol]\n"
         "run: {gpu_telemetry: 'off'}\n"
         "configurations:\n  - {name: homo, scenario: chimera-homo}\n",
         &e);
    tdm_sweep_cell c = {0, 0, 1, 1, 0, 0, 0};
    char **argv = tdm_sweep_child_argv(&e, &c, "/bin/tandem-smol", "/o");
    char *cmd = tdm_sweep_shell_join(argv);
    assert_non_null(strstr(cmd, " --gpu-telemetry=off --output-dir /o --quiet --no-lock"));
    free(cmd);
    tdm_sweep_argv_free(argv);
    e.run.gpu_telemetry = TDM_GPU_ON;
    argv = tdm_sweep_child_argv(&e, &c, "/bin/tandem-smol", "/o");
    cmd = tdm_sweep_shell_join(argv);
    assert_non_null(strstr(cmd, " --gpu-telemetry=on "));
    free(cmd);
    tdm_sweep_argv_free(argv);
    tdm_experiment_free(&e);
}

static void test_shell_quote(void **state)
{
    (void)state;
    char *argv[] = {"a b", "it's", "", "plain/path:1", "$HOME", NULL};
    char *s = tdm_sweep_shell_join(argv);
    assert_string_equal(s, "'a b' 'it'\\''s' '' plain/path:1 '$HOME'");
    free(s);
}

static void test_estimate(void **state)
{
    (void)state;
    tdm_experiment e;
    load(matrix, &e);
    /* 4 calls per phase x 100/50 s, two phases, warm-up 2 x (1/50 + 0.5), +1 s */
    double want = 2 * 4 * 2.0 + 2 * (1.0 / 50 + 0.5) + 1;
    assert_true(tdm_sweep_estimate_cell_s(&e, 0) > want - 1e-9 && tdm_sweep_estimate_cell_s(&e, 0) < want + 1e-9);
    e.run.estimate_cell_s = 30;
    assert_true(tdm_sweep_estimate_cell_s(&e, 0) == 30);
    e.run.estimate_cell_s = 0;
    e.run.expected_decode_tps = 0;
    assert_true(tdm_sweep_estimate_cell_s(&e, 0) < 0);
    char buf[32];
    tdm_sweep_format_duration(7500, buf, sizeof buf);
    assert_string_equal(buf, "2h05m");
    tdm_sweep_format_duration(192, buf, sizeof buf);
    assert_string_equal(buf, "3m12s");
    tdm_sweep_format_duration(-1, buf, sizeof buf);
    assert_string_equal(buf, "unknown");
    tdm_experiment_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_are_permutations),
        cmocka_unit_test(test_sequential),
        cmocka_unit_test(test_ids_dirs_argv),
        cmocka_unit_test(test_argv_gpu_telemetry),
        cmocka_unit_test(test_shell_quote),
        cmocka_unit_test(test_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
