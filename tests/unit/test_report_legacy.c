/* test_report_legacy.c — importing the seed harness's results (src/report/legacy_*.c)
 * from a small tree written here: a first-generation run (one call per agent), a
 * second-generation run (two staged calls per agent), a run without end timestamps and
 * a malformed file. The rebuilt records, read back with the core's reader and measured
 * with the core's metrics code, must give the seed's own efficiency_percent. */
#include <jansson.h>
#include <math.h>
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
#include "core/metrics.h"
#include "core/rundata.h"
#include "report/legacy.h"

/* ---- the tree ----------------------------------------------------------------------- */

static const char *V1 =
    "{\"collector\": {\"config\": {\"base_url\": \"http://localhost:11434\", \"id\": \"chimera_a\","
    "  \"label\": \"Chimera Agent A\", \"model\": \"gemma3:latest\", \"options\": {\"num_ctx\": 512},"
    "  \"prompt\": \"Collect | *data* <now>\"},"
    " \"execution_time_s\": 4.6039522999999996,"
    " \"result\": {\"individual_runs\": [{\"eval_duration_ms\": 3554.0051, \"load_duration_ms\": 441.6788,"
    "   \"prompt_eval_duration_ms\": 12.7479, \"tokens_generated\": 374, \"total_duration_ms\": 4603.9523,"
    "   \"ttft_ms\": 777.6566}],"
    "  \"system_info\": {\"os\": \"windows\", \"arch\": \"x86_64\", \"rust_version\": \"1.90.0\"},"
    "  \"timestamp\": \"2025-11-14T00:24:26.580622200Z\"}},"
    " \"insight\": {\"config\": {\"base_url\": \"http://localhost:11435\", \"model\": \"gemma3:latest\","
    "  \"options\": {\"num_ctx\": 512}, \"prompt\": \"Insight\"},"
    " \"execution_time_s\": 12.4807105,"
    " \"result\": {\"individual_runs\": [{\"eval_duration_ms\": 6155.9012, \"load_duration_ms\": 5440.3357,"
    "   \"prompt_eval_duration_ms\": 23.0416, \"tokens_generated\": 695, \"total_duration_ms\": 12480.7105,"
    "   \"ttft_ms\": 5810.2225}],"
    "  \"timestamp\": \"2025-11-14T00:24:34.457535100Z\"}},"
    " \"run_number\": 1, \"scenario\": \"chimera_homo\","
    " \"summary\": {\"concurrent_wall_time_s\": 12.4812233, \"efficiency_percent\": 68.44145958032816}}";

static const char *V2_AGENT =
    "{\"config\": {\"base_url\": \"%s\", \"model\": \"gemma3:latest\", \"options\": {}, \"prompt\": \"p\"},"
    " \"execution_time_s\": %s,"
    " \"result\": {\"llm_calls\": ["
    "   {\"stage\": \"analysis\", \"prompt\": \"Analyse\", \"response\": \"Okay, here's the analysis\","
    "    \"metrics\": {\"eval_duration_ms\": 16940.1576, \"load_duration_ms\": 158.9552,"
    "     \"prompt_eval_duration_ms\": 76.4389, \"tokens_generated\": 974, \"total_duration_ms\": 17941.186,"
    "     \"ttft_ms\": 556.8972}},"
    "   {\"stage\": \"report\", \"prompt\": \"Report on {previous}\", \"response\": \"# Report\","
    "    \"metrics\": {\"eval_duration_ms\": 26000.0, \"load_duration_ms\": 100.0,"
    "     \"prompt_eval_duration_ms\": 500.0, \"tokens_generated\": 1088, \"total_duration_ms\": 27600.0,"
    "     \"ttft_ms\": 755.5141}}],"
    "  \"workflow\": {\"ingest_seconds\": 0.013738, \"analysis_seconds\": 17.941197, \"report_seconds\": 27.6531176},"
    "  \"timestamp\": \"%s\"}}";

static char root[64];

static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    char err[256];
    assert_int_equal(tdm_mkdirs(path, err, sizeof err), 0);
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/tdm-legacy-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    put("seed/runtime-tokio-default/chimera_homo_gpu80_ctx512/run_1/run_1/metrics.json", V1);
    put("seed/runtime-tokio-default/chimera_homo_gpu80_ctx512/run_1/summary.json", "{}");
    char a[4096], b[4096], doc[9000];
    snprintf(a, sizeof a, V2_AGENT, "http://localhost:11434", "45.6094541", "2025-11-15T19:24:32.431106700Z");
    snprintf(b, sizeof b, V2_AGENT, "http://localhost:11435", "50.9055197", "2025-11-15T19:24:37.727173Z");
    snprintf(doc, sizeof doc,
             "{\"collector\": %s, \"insight\": %s, \"run_number\": 1, \"scenario\": \"chimera_homo\","
             " \"summary\": {\"concurrent_wall_time_s\": 50.9069239, \"efficiency_percent\": 94.79552721511033}}",
             a, b);
    put("seed/runtime-smol/chimera_homo_gpu80_ctx512/run_2/run_1/metrics.json", doc);
    /* no end timestamps: the agents are placed as if released together */
    char *nots = strdup(V1);
    for (char *p; (p = strstr(nots, "\"timestamp\""));)
        memcpy(p, "\"timestamX\"", 11);
    put("seed/runtime-smol/chimera_homo_gpu80_ctx512/run_3/run_1/metrics.json", nots);
    free(nots);
    put("seed/runtime-smol/chimera_homo_gpu80_ctx512/run_4/run_1/metrics.json", "{\"collector\": [1, 2");
    put("seed/runtime-smol/chimera_homo_gpu80_ctx512/run_5/run_1/metrics.json", "{\"collector\": {}}");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- helpers --------------------------------------------------------------------------- */

static json_t *read_json(const char *rel)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    json_t *d = tdm_read_json_file(path, err, sizeof err);
    if (!d)
        fail_msg("%s", err);
    return d;
}

static void load_run(const char *rel, tdm_run_data *d, tdm_run_metrics *m)
{
    json_t *doc = read_json(rel);
    char err[256];
    if (tdm_run_data_from_json(doc, d, err, sizeof err) != 0)
        fail_msg("%s: %s", rel, err);
    json_decref(doc);
    assert_int_equal(tdm_run_metrics_compute(d, 10.0, m), 0);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_parse_time(void **state)
{
    (void)state;
    int64_t ns;
    assert_int_equal(tdm_legacy_parse_time("2025-11-14T00:24:26.580622200Z", &ns), 0);
    assert_true(ns == INT64_C(1763079866580622200));
    /* the same instant, written with an offset and fewer fraction digits */
    assert_int_equal(tdm_legacy_parse_time("2025-11-14T02:54:26.5806222+02:30", &ns), 0);
    assert_true(ns == INT64_C(1763079866580622200));
    assert_int_equal(tdm_legacy_parse_time("2025-11-14T00:24:26Z", &ns), 0);
    assert_true(ns % 1000000000 == 0);
    const char *bad[] = {"", "2025-11-14", "2025-11-14T00:24:26", "2025-13-14T00:24:26Z", "2025-11-14T00:24:26.Z",
                         "2025-11-14T00:24:26Zjunk", "1800-01-01T00:00:00Z", NULL};
    for (size_t i = 0; bad[i]; i++)
        assert_int_equal(tdm_legacy_parse_time(bad[i], &ns), -1);
    assert_int_equal(tdm_legacy_parse_time(NULL, &ns), -1);
}

static void test_import(void **state)
{
    (void)state;
    char in[128], out[128], err[512] = "";
    snprintf(in, sizeof in, "%s/seed", root);
    snprintf(out, sizeof out, "%s/out", root);
    tdm_legacy_stats st;
    FILE *log = fopen("/dev/null", "w");
    assert_int_equal(tdm_legacy_import(in, out, log, &st, err, sizeof err), 0);
    fclose(log);
    assert_int_equal(st.runs, 3);
    assert_int_equal(st.dirs, 3);
    assert_int_equal(st.v1, 2);
    assert_int_equal(st.v2, 1);
    assert_int_equal(st.skipped, 2); /* the truncated file and the one without agents */
    assert_int_equal(st.checked, 3);
    assert_int_equal(st.reproduced, 3);
    assert_true(st.max_abs_diff <= 1e-6);

    /* first generation: one call per agent, no sequential phase, the seed's efficiency */
    tdm_run_data d;
    tdm_run_metrics m;
    load_run("out/tokio-default/chimera_homo_gpu80_ctx512/run_1/run_1/records.json", &d, &m);
    assert_false(d.has_sequential);
    assert_true(d.has_concurrent);
    assert_int_equal(d.n_agents, 2);
    assert_string_equal(d.agent_names[0], "collector");
    assert_int_equal(d.n_calls, 2);
    assert_true(isnan(m.efficiency_pct) && isnan(m.speedup) && isnan(m.t_seq_s));
    double want = (4.6039522999999996 + 12.4807105) / 12.4812233 / 2 * 100;
    assert_true(fabs(m.legacy_efficiency_pct - want) < 1e-6);
    assert_true(fabs(m.legacy_efficiency_pct - 68.44145958032816) < 1e-6);
    assert_true(fabs(m.t_conc_s - 12.4812233) < 1e-9);
    assert_true(fabs(m.agents[0].t_conc_s - 4.6039523) < 1e-9);
    /* the agents' order in time comes from their end timestamps */
    assert_true(d.conc[1].end_ns - d.conc[0].end_ns == INT64_C(7876912900));
    tdm_call_metrics cm;
    tdm_call_metrics_compute(&d.calls[0], &cm);
    assert_true(fabs(cm.ttft_ms - 777.6566) < 1e-6);
    assert_int_equal(cm.tokens, 374);
    assert_true(fabs(cm.decode_tps - 374 / 3.5540051) < 1e-6);
    assert_true(fabs(cm.server_ttft_ms - (441.6788 + 12.7479)) < 1e-6);
    assert_false(cm.cold_load);
    tdm_call_metrics_compute(&d.calls[1], &cm);
    assert_true(cm.cold_load); /* load_duration 5.4 s */
    assert_int_equal(d.calls[0].phase, TDM_PHASE_CONCURRENT);
    tdm_run_metrics_free(&m);
    tdm_run_data_free(&d);

    /* second generation: two calls per agent, stages kept */
    load_run("out/smol/chimera_homo_gpu80_ctx512/run_2/run_1/records.json", &d, &m);
    assert_int_equal(d.n_calls, 4);
    assert_true(fabs(m.legacy_efficiency_pct - 94.79552721511033) < 1e-6);
    assert_int_equal(d.calls[0].step, 0);
    assert_int_equal(d.calls[1].step, 1);
    assert_int_equal(d.calls[1].agent, 0);
    /* the report call starts when the analysis call ended, after the ingest step */
    assert_true(d.calls[1].t_start == d.calls[0].t_done);
    assert_true(d.calls[0].t_start - d.conc[0].begin_ns == 13738000);
    assert_string_equal(d.calls[0].text.data, "Okay, here's the analysis");
    tdm_run_metrics_free(&m);
    tdm_run_data_free(&d);
    json_t *prov = read_json("out/smol/chimera_homo_gpu80_ctx512/run_2/provenance.json");
    assert_string_equal(json_string_value(json_object_get(prov, "source")), "chimera-legacy");
    assert_string_equal(json_string_value(json_object_get(prov, "variant")), "smol");
    json_t *legacy = json_object_get(prov, "legacy");
    assert_string_equal(json_string_value(json_object_get(legacy, "generation")), "v2");
    assert_string_equal(json_string_value(json_object_get(legacy, "original")),
                        "runtime-smol/chimera_homo_gpu80_ctx512/run_2");
    assert_true(json_array_size(json_object_get(legacy, "missing")) > 0);
    json_t *steps = json_object_get(json_array_get(json_object_get(json_object_get(prov, "scenario"), "agents"), 1),
                                    "steps");
    assert_int_equal(json_array_size(steps), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(steps, 0), "name")), "analysis");
    assert_string_equal(json_string_value(json_object_get(json_array_get(steps, 1), "name")), "report");
    assert_true(json_is_null(json_object_get(json_array_get(json_object_get(prov, "servers"), 0), "version")));
    json_decref(prov);
    json_t *cell = read_json("out/smol/chimera_homo_gpu80_ctx512/run_2/cell.json");
    assert_string_equal(json_string_value(json_object_get(cell, "configuration")), "chimera_homo_gpu80_ctx512");
    assert_int_equal(json_integer_value(json_object_get(cell, "repetition")), 2);
    json_decref(cell);

    /* no timestamps: still the seed's figure, and said so */
    load_run("out/smol/chimera_homo_gpu80_ctx512/run_3/run_1/records.json", &d, &m);
    assert_true(fabs(m.legacy_efficiency_pct - 68.44145958032816) < 1e-6);
    tdm_run_metrics_free(&m);
    tdm_run_data_free(&d);
    prov = read_json("out/smol/chimera_homo_gpu80_ctx512/run_3/provenance.json");
    const char *tl = json_string_value(json_object_get(json_object_get(prov, "legacy"), "timeline"));
    assert_non_null(tl);
    assert_int_equal(strncmp(tl, "synthetic", 9), 0);
    json_decref(prov);

    /* the manifest lists the skipped files with their reasons */
    json_t *man = read_json("out/import.json");
    assert_int_equal(json_array_size(json_object_get(man, "skipped")), 2);
    assert_int_equal(json_integer_value(json_object_get(man, "runs")), 3);
    json_decref(man);
}

static void test_import_nothing(void **state)
{
    (void)state;
    char in[128], out[128], err[512] = "";
    snprintf(in, sizeof in, "%s/seed/runtime-smol/chimera_homo_gpu80_ctx512/run_4", root);
    snprintf(out, sizeof out, "%s/out-nothing", root);
    tdm_legacy_stats st;
    assert_int_equal(tdm_legacy_import(in, out, NULL, &st, err, sizeof err), -1);
    assert_non_null(strstr(err, "no seed run"));
    assert_int_equal(tdm_legacy_import("/nonexistent/tdm", out, NULL, &st, err, sizeof err), -1);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "[]",
        "{}",
        "{\"collector\": {\"result\": {}}, \"summary\": {\"concurrent_wall_time_s\": 1}}",
        "{\"collector\": {\"execution_time_s\": 1, \"result\": {\"individual_runs\": [{}]}}}",
        "{\"collector\": {\"execution_time_s\": -1, \"result\": {\"individual_runs\": [{}]}},"
        " \"summary\": {\"concurrent_wall_time_s\": 1}}",
        "{\"collector\": {\"execution_time_s\": 1e300, \"result\": {\"individual_runs\": [{}]}},"
        " \"summary\": {\"concurrent_wall_time_s\": 1}}",
        "{\"collector\": {\"execution_time_s\": 1, \"result\": {\"individual_runs\": [7]}},"
        " \"summary\": {\"concurrent_wall_time_s\": 1}}",
        NULL};
    for (size_t i = 0; bad[i]; i++) {
        json_t *doc = json_loads(bad[i], 0, NULL);
        assert_non_null(doc);
        tdm_legacy_run r;
        char err[256] = "";
        assert_int_equal(tdm_legacy_parse_run(doc, 1, &r, err, sizeof err), -1);
        assert_true(err[0] != '\0');
        tdm_legacy_run_free(&r);
        json_decref(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_import),
        cmocka_unit_test(test_import_nothing),
        cmocka_unit_test(test_parse_rejects),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
