/* test_core_plan.c — the plan an external client runs (src/core/plan.c): each request
 * body, rebuilt from its two halves around the prompt, is byte for byte the body the C
 * variants send (tdm_request_body, with job.c's warm-up rule); the sequential orders are
 * the runner's shuffles; the command line and settings are those given. */
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
#include "core/prng.h"
#include "core/request.h"

static const char YAML[] = "name: plan-test\n"
                           "runs: 3\n"
                           "seed: 8\n"
                           "agents:\n"
                           "  - name: a\n"
                           "    url: http://127.0.0.1:11434/\n"
                           "    model: m1\n"
                           "    keep_alive: 5m\n"
                           "    options: {num_ctx: 1024, temperature: 0.1}\n"
                           "    steps:\n"
                           "      - {prompt: \"tab\\t quote\\\" é \\u001f end\", system: \"sys \\\\ \"}\n"
                           "      - {prompt: \"about: {previous}! {previous}\"}\n"
                           "  - name: b\n"
                           "    url: http://127.0.0.1:11435\n"
                           "    model: m2\n"
                           "    api: chat\n"
                           "    prompt: hi\n";

/* body_before + the prompt (previous replaced) as jansson writes a string + body_after */
static char *rebuild(const json_t *t, const char *prev)
{
    const char *prompt = json_string_value(json_object_get(t, "prompt"));
    size_t n = strlen(prompt) + (prev ? 2 * strlen(prev) : 0) + 1;
    char *filled = calloc(1, n);
    for (const char *p = prompt; *p;) {
        if (strncmp(p, "{previous}", 10) == 0) {
            strcat(filled, prev ? prev : "");
            p += 10;
        } else {
            strncat(filled, p++, 1);
        }
    }
    json_t *s = json_string(filled);
    char *quoted = json_dumps(s, JSON_ENCODE_ANY | JSON_COMPACT);
    const char *before = json_string_value(json_object_get(t, "body_before"));
    const char *after = json_string_value(json_object_get(t, "body_after"));
    char *out = malloc(strlen(before) + strlen(quoted) + strlen(after) + 1);
    strcpy(out, before);
    strcat(out, quoted);
    strcat(out, after);
    free(quoted);
    json_decref(s);
    free(filled);
    return out;
}

static json_t *plan_of(char **argv, int argc, tdm_cli *cli)
{
    char err[1024] = "";
    if (tdm_cli_parse(argc, argv, "unit", cli, err, sizeof err) != 0)
        fail_msg("%s", err);
    json_t *plan = tdm_plan_json(cli, "unit", err, sizeof err);
    if (!plan)
        fail_msg("%s", err);
    return plan;
}

static void test_bodies_are_the_variants_bodies(void **state)
{
    (void)state;
    char file[] = "/tmp/tandem-plan-test-XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, YAML, sizeof YAML - 1), (ssize_t)(sizeof YAML - 1));
    close(fd);
    char *argv[] = {"plan", "--scenario-file", file, "--output-dir", "/tmp/x", "--read-buf", "4096", NULL};
    tdm_cli cli;
    json_t *plan = plan_of(argv, 7, &cli);
    unlink(file);
    const tdm_scenario *s = &cli.scenario;

    assert_string_equal(json_string_value(json_object_get(plan, "schema")), TDM_PLAN_SCHEMA);
    assert_memory_equal(json_string_value(json_object_get(plan, "command")), "run --scenario-file /tmp/", 25);
    assert_string_equal(json_string_value(json_object_get(plan, "output_dir")), "/tmp/x");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(plan, "settings"), "read_buf")), 4096);

    const char *prevs[] = {NULL, "the \"analysis\"\n"};
    json_t *agents = json_object_get(plan, "agents");
    assert_int_equal(json_array_size(agents), s->n_agents);
    for (size_t i = 0; i < s->n_agents; i++) {
        const tdm_agent *a = &s->agents[i];
        json_t *pa = json_array_get(agents, i);
        char *url = tdm_request_url(a);
        assert_string_equal(json_string_value(json_object_get(pa, "url")), url);
        free(url);
        for (size_t k = 0; k < a->n_steps; k++) {
            const char *prev = prevs[k % 2];
            char *want = tdm_request_body(a, &a->steps[k], prev, NULL);
            char *got = rebuild(json_array_get(json_object_get(pa, "steps"), k), prev);
            assert_string_equal(got, want);
            free(want);
            free(got);
        }
        tdm_step warm;
        tdm_options extra;
        tdm_job_warmup_step(s, &a->steps[0], &warm, &extra);
        char *want = tdm_request_body(a, &warm, NULL, &extra);
        char *got = rebuild(json_object_get(pa, "warmup"), NULL);
        assert_string_equal(got, want);
        assert_non_null(strstr(got, "\"num_predict\":1"));
        free(want);
        free(got);
    }

    json_t *orders = json_object_get(plan, "sequential_orders");
    assert_int_equal(json_array_size(orders), 3);
    for (int run = 1; run <= 3; run++) {
        int order[2] = {0, 1};
        tdm_shuffle_ints(order, 2, s->seed + (uint64_t)run);
        for (size_t i = 0; i < 2; i++)
            assert_int_equal(json_integer_value(json_array_get(json_array_get(orders, (size_t)run - 1), i)),
                             order[i]);
    }
    json_decref(plan);
    tdm_cli_free(&cli);
}

static void test_no_sequential_no_orders(void **state)
{
    (void)state;
    char *argv[] = {"plan", "--scenario", "chimera-homo", "--phases", "concurrent", "--runs", "2", NULL};
    tdm_cli cli;
    json_t *plan = plan_of(argv, 7, &cli);
    assert_int_equal(json_array_size(json_object_get(plan, "sequential_orders")), 0);
    assert_true(json_is_false(json_object_get(plan, "sequential")));
    assert_string_equal(json_string_value(json_object_get(plan, "command")),
                        "run --scenario chimera-homo --phases concurrent --runs 2");
    json_decref(plan);
    tdm_cli_free(&cli);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bodies_are_the_variants_bodies),
        cmocka_unit_test(test_no_sequential_no_orders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
