/* test_report_group.c — which cell a run belongs to (src/report/group.c): the
 * configuration key (cell.json, scenario name, --group-by paths), the variant, the pin
 * check, and the grouping of a dataset into variants, configurations and cells in a
 * stable order whatever order the runs were found in. */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/group.h"
#include "report/model.h"

static json_t *doc(const char *text)
{
    json_error_t e;
    json_t *d = json_loads(text, 0, &e);
    if (!d)
        fail_msg("bad test JSON: %s", e.text);
    return d;
}

static const char *PROV = "{\"variant\": \"smol\", \"scenario\": {\"name\": \"chimera-homo\", \"agents\": ["
                          "{\"name\": \"collector\", \"url\": \"http://h:1\", \"model\": \"m\","
                          " \"options\": {\"num_ctx\": 512, \"temperature\": 1.0}},"
                          "{\"name\": \"insight\", \"url\": \"http://h:2\", \"model\": \"m\", \"options\": {}}]},"
                          " \"servers\": [{\"url\": \"http://h:1\", \"version\": \"0.12.6\","
                          " \"models\": {\"m\": \"sha256:aa\"}},"
                          " {\"url\": \"http://h:2\", \"version\": \"0.12.6\", \"models\": {\"m\": \"sha256:aa\"}}]}";

static void expect_key(json_t *prov, json_t *cell, const char *group_by, const char *want)
{
    char *k = tdm_rep_config_key(prov, cell, group_by);
    assert_non_null(k);
    assert_string_equal(k, want);
    free(k);
}

static void test_config_key(void **state)
{
    (void)state;
    json_t *prov = doc(PROV);
    json_t *cell = doc("{\"variant\": \"tokio-default\", \"configuration\": \"chimera_homo_gpu80_ctx512\", "
                       "\"repetition\": 3}");
    /* default: cell.json first, else the scenario name, else "unknown" */
    expect_key(prov, cell, NULL, "chimera_homo_gpu80_ctx512");
    expect_key(prov, NULL, NULL, "chimera-homo");
    expect_key(prov, NULL, "", "chimera-homo");
    json_t *empty = json_object();
    expect_key(empty, NULL, NULL, "unknown");
    /* named keys */
    expect_key(prov, cell, "scenario", "chimera-homo");
    expect_key(prov, cell, "configuration", "chimera_homo_gpu80_ctx512");
    expect_key(prov, cell, "variant", "tokio-default");
    expect_key(prov, cell, "scenario.agents.0.options.num_ctx", "num_ctx=512");
    expect_key(prov, cell, "scenario, scenario.agents.0.options.temperature", "chimera-homo, temperature=1");
    expect_key(prov, cell, "cell.repetition", "repetition=3");
    expect_key(prov, cell, "scenario.agents.1.options.num_ctx", "num_ctx=-");
    expect_key(prov, cell, "scenario.agents.9.name", "name=-");
    expect_key(prov, cell, "scenario.agents.1.options", "options={}");
    expect_key(prov, cell, ",,", "unknown");
    json_decref(empty);
    json_decref(cell);
    json_decref(prov);
}

static void test_variant_of(void **state)
{
    (void)state;
    json_t *prov = doc(PROV);
    json_t *cell = doc("{\"variant\": \"tokio-default\"}");
    char *v = tdm_rep_variant_of(prov, cell);
    assert_string_equal(v, "tokio-default");
    free(v);
    v = tdm_rep_variant_of(prov, NULL);
    assert_string_equal(v, "smol");
    free(v);
    v = tdm_rep_variant_of(NULL, NULL);
    assert_string_equal(v, "unknown");
    free(v);
    json_decref(cell);
    json_decref(prov);
}

static void test_unpinned(void **state)
{
    (void)state;
    json_t *prov = doc(PROV);
    assert_null(tdm_rep_unpinned_reason(prov));
    /* a digest missing for the model an agent used */
    json_object_set_new(json_object_get(json_array_get(json_object_get(prov, "servers"), 1), "models"), "m",
                        json_null());
    char *why = tdm_rep_unpinned_reason(prov);
    assert_non_null(why);
    assert_non_null(strstr(why, "digest"));
    free(why);
    json_decref(prov);
    prov = doc(PROV);
    json_object_set_new(json_array_get(json_object_get(prov, "servers"), 0), "version", json_null());
    why = tdm_rep_unpinned_reason(prov);
    assert_non_null(strstr(why, "version"));
    free(why);
    json_decref(prov);
    prov = doc(PROV);
    json_object_set_new(prov, "pins", json_pack("{s:b}", "matched", 0));
    why = tdm_rep_unpinned_reason(prov);
    assert_non_null(strstr(why, "mismatch"));
    free(why);
    json_decref(prov);
    prov = doc("{\"servers\": null}");
    why = tdm_rep_unpinned_reason(prov);
    assert_non_null(why);
    free(why);
    json_decref(prov);
}

/* A dataset as the loader would leave it, runs added in a scrambled order. */
static void add(tdm_rep_dataset *ds, const char *path, const char *variant, const char *config, bool legacy, long rep,
                int runs)
{
    tdm_rep_dir *d = tdm_rep_add_dir(ds);
    assert_non_null(d);
    d->path = strdup(path);
    d->prov = json_object();
    d->variant = strdup(variant);
    d->source = strdup(legacy ? "chimera-legacy" : "tandem");
    d->legacy = legacy;
    d->configuration = strdup(config);
    d->scenario = strdup("");
    d->repetition = rep;
    for (int k = runs; k >= 1; k--) {
        tdm_rep_run *r = tdm_rep_add_run(ds);
        assert_non_null(r);
        r->dir = ds->n_dirs - 1;
        r->run = k;
        for (int m = 0; m < TDM_M_N_RUN; m++)
            r->v[m] = NAN;
    }
}

static void test_group(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    add(&ds, "r/smol/b/rep2", "smol", "b", false, 2, 1);
    add(&ds, "r/legacy/tokio-default/b", "tokio-default", "b", true, 1, 1);
    add(&ds, "r/smol/b/rep1", "smol", "b", false, 1, 2);
    add(&ds, "r/tokio-default/a", "tokio-default", "a", false, -1, 3);
    add(&ds, "r/async-std/a", "async-std", "a", false, -1, 1);
    add(&ds, "r/legacy/async-std/b", "async-std", "b", true, 1, 1);
    assert_int_equal(tdm_rep_group(&ds, "tokio-default"), 0);

    /* tandem's variants first with the reference leading, then the imports the same way */
    assert_int_equal(ds.n_variants, 5);
    const char *want[] = {"tokio-default", "async-std", "smol", "tokio-default", "async-std"};
    bool legacy[] = {false, false, false, true, true};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(ds.variants[i].name, want[i]);
        assert_int_equal(ds.variants[i].legacy, legacy[i]);
    }
    assert_string_equal(ds.variants[3].label, "tokio-default (seed)");
    assert_string_equal(ds.variants[0].label, "tokio-default");

    /* configurations sorted; cells by configuration, then variant */
    assert_int_equal(ds.n_configs, 2);
    assert_string_equal(ds.configs[0], "a");
    assert_string_equal(ds.configs[1], "b");
    assert_int_equal(ds.n_cells, 5);
    int cells[][2] = {{0, 0}, {1, 0}, {2, 1}, {3, 1}, {4, 1}}; /* variant, config */
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(ds.cells[i].variant, cells[i][0]);
        assert_int_equal(ds.cells[i].config, cells[i][1]);
    }
    /* tokio-default in a: its three runs in run order although added 3, 2, 1 */
    assert_int_equal(ds.cells[0].n_runs, 3);
    for (size_t k = 0; k < 3; k++)
        assert_int_equal(ds.runs[ds.cells[0].runs[k]].run, (int)k + 1);
    /* smol in b: repetition 1 (runs 1, 2) before repetition 2 */
    const tdm_rep_cell *smol = &ds.cells[2];
    assert_int_equal(smol->n_runs, 3);
    assert_int_equal(ds.dirs[ds.runs[smol->runs[0]].dir].repetition, 1);
    assert_int_equal(ds.runs[smol->runs[0]].run, 1);
    assert_int_equal(ds.runs[smol->runs[1]].run, 2);
    assert_int_equal(ds.dirs[ds.runs[smol->runs[2]].dir].repetition, 2);
    /* every run knows its cell */
    for (size_t r = 0; r < ds.n_runs; r++)
        assert_true(ds.runs[r].cell >= 0 && (size_t)ds.runs[r].cell < ds.n_cells);
    tdm_rep_dataset_free(&ds);
}

static void test_group_without_reference(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    add(&ds, "x/zeta", "zeta", "c", false, -1, 1);
    add(&ds, "x/alpha", "alpha", "c", false, -1, 1);
    assert_int_equal(tdm_rep_group(&ds, "tokio-default"), 0);
    assert_string_equal(ds.variants[0].name, "alpha");
    assert_string_equal(ds.variants[1].name, "zeta");
    tdm_rep_dataset_free(&ds);
    /* an empty dataset groups into nothing */
    tdm_rep_dataset empty = {0};
    assert_int_equal(tdm_rep_group(&empty, NULL), 0);
    assert_int_equal(empty.n_cells, 0);
    tdm_rep_dataset_free(&empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_key),
        cmocka_unit_test(test_variant_of),
        cmocka_unit_test(test_unpinned),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_group_without_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
