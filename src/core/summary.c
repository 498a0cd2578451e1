/* summary.c — summary.json from the runs' raw data (see summary.h). */
#include "core/summary.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/metrics.h"
#include "core/quantile.h"
#include "core/summary_text.h"

/* NaN (undefined) is written as null, never as a number. */
static json_t *num(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static json_t *describe_values(double *v, size_t n)
{
    json_t *o = json_object();
    json_object_set_new(o, "n", json_integer((json_int_t)n));
    json_object_set_new(o, "mean", num(tdm_mean(v, n)));
    json_object_set_new(o, "sd", num(tdm_sd(v, n)));
    json_object_set_new(o, "median", num(tdm_quantile_inplace(v, n, 0.5)));
    json_object_set_new(o, "p90", num(tdm_quantile_inplace(v, n, 0.9)));
    json_object_set_new(o, "min", num(n ? v[0] : NAN));
    json_object_set_new(o, "max", num(n ? v[n - 1] : NAN));
    return o;
}

static json_t *agent_json(const char *name, const tdm_agent_run_metrics *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "t_seq_s", num(a->t_seq_s));
    json_object_set_new(o, "t_conc_s", num(a->t_conc_s));
    json_object_set_new(o, "slowdown", num(a->slowdown));
    json_object_set_new(o, "decode_tps_seq", num(a->decode_tps_seq));
    json_object_set_new(o, "decode_tps_conc", num(a->decode_tps_conc));
    json_object_set_new(o, "decode_drop_pct", num(a->decode_drop_pct));
    json_object_set_new(o, "ttft_seq_ms", num(a->ttft_seq_ms));
    json_object_set_new(o, "ttft_conc_ms", num(a->ttft_conc_ms));
    json_object_set_new(o, "tokens_seq", json_integer(a->tokens_seq));
    json_object_set_new(o, "tokens_conc", json_integer(a->tokens_conc));
    return o;
}

static json_t *run_json(const tdm_run_data *d, const tdm_run_metrics *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "run", json_integer(d->run));
    json_object_set_new(o, "t_seq_s", num(m->t_seq_s));
    json_object_set_new(o, "t_conc_s", num(m->t_conc_s));
    json_object_set_new(o, "speedup", num(m->speedup));
    json_object_set_new(o, "efficiency_pct", num(m->efficiency_pct));
    json_object_set_new(o, "throughput_gain", num(m->throughput_gain));
    json_object_set_new(o, "imbalance", num(m->imbalance));
    json_object_set_new(o, "legacy_speedup", num(m->legacy_speedup));
    json_object_set_new(o, "legacy_efficiency_pct", num(m->legacy_efficiency_pct));
    json_object_set_new(o, "contention_detected", json_boolean(m->contention_detected));
    json_object_set_new(o, "legacy_contention", json_boolean(m->legacy_contention));
    json_object_set_new(o, "calls", json_integer((json_int_t)m->calls));
    json_object_set_new(o, "failed_calls", json_integer((json_int_t)m->failed_calls));
    json_object_set_new(o, "cold_loads", json_integer((json_int_t)m->cold_loads));
    json_object_set_new(o, "token_mismatches", json_integer((json_int_t)m->token_mismatches));
    json_object_set_new(o, "complete", json_boolean(m->complete));
    json_t *ag = json_array();
    for (size_t i = 0; i < m->n_agents; i++)
        json_array_append_new(ag, agent_json(d->agent_names[i], &m->agents[i]));
    json_object_set_new(o, "agents", ag);
    return o;
}

/* Run-level metrics summarised across runs (the run is the unit). */
static json_t *aggregate_json(const json_t *runs)
{
    static const char *const keys[] = {"efficiency_pct", "speedup", "throughput_gain", "legacy_efficiency_pct",
                                       "t_seq_s", "t_conc_s", "imbalance"};
    json_t *agg = json_object();
    size_t n = json_array_size(runs);
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t k = 0; v && k < sizeof keys / sizeof keys[0]; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *x = json_object_get(json_array_get(runs, i), keys[k]);
            if (json_is_number(x))
                v[m++] = json_number_value(x);
        }
        json_object_set_new(agg, keys[k], describe_values(v, m));
    }
    free(v);
    return agg;
}

/* Per-call metrics pooled per phase over successful calls (cold loads excluded). */
static json_t *calls_json(const tdm_run_data *runs, size_t n_runs, tdm_phase phase)
{
    static const char *const keys[] = {"ttft_ms", "client_gap_ms", "ttfb_ms", "itl_p50_ms", "itl_p99_ms",
                                       "tpot_ms", "e2e_ms", "decode_tps", "decode_tps_client"};
    enum { K = sizeof keys / sizeof keys[0] };
    size_t total = 0;
    for (size_t r = 0; r < n_runs; r++)
        total += runs[r].n_calls;
    double *v[K];
    size_t cnt[K] = {0};
    for (size_t k = 0; k < K; k++)
        v[k] = malloc((total ? total : 1) * sizeof(double));
    size_t ok = 0, failed = 0, cold = 0, mismatch = 0;
    for (size_t r = 0; r < n_runs; r++)
        for (size_t i = 0; i < runs[r].n_calls; i++) {
            const tdm_call_record *c = &runs[r].calls[i];
            if (c->phase != phase)
                continue;
            tdm_call_metrics m;
            tdm_call_metrics_compute(c, &m);
            if (!c->ok) {
                failed++;
                continue;
            }
            ok++;
            mismatch += m.token_mismatch;
            if (m.cold_load) {
                cold++;
                continue;
            }
            double vals[K] = {m.ttft_ms, m.client_gap_ms, m.ttfb_ms, m.itl_p50_ms, m.itl_p99_ms,
                              m.tpot_ms, m.e2e_ms,        m.decode_tps, m.decode_tps_client};
            for (size_t k = 0; k < K; k++)
                if (v[k] && !isnan(vals[k]))
                    v[k][cnt[k]++] = vals[k];
        }
    json_t *o = json_object();
    json_object_set_new(o, "ok", json_integer((json_int_t)ok));
    json_object_set_new(o, "failed", json_integer((json_int_t)failed));
    json_object_set_new(o, "cold_loads_excluded", json_integer((json_int_t)cold));
    json_object_set_new(o, "token_mismatches", json_integer((json_int_t)mismatch));
    for (size_t k = 0; k < K; k++) {
        json_object_set_new(o, keys[k], v[k] ? describe_values(v[k], cnt[k]) : json_null());
        free(v[k]);
    }
    return o;
}

json_t *tdm_summary_json(const tdm_summary_inputs *in)
{
    const tdm_scenario *s = in->scenario;
    json_t *doc = json_object();
    json_object_set_new(doc, "schema", json_string("tandem.summary/1"));
    json_object_set_new(doc, "variant", json_deep_copy(json_object_get(in->provenance, "variant")));
    json_object_set_new(doc, "scenario", json_string(s->name));
    json_object_set_new(doc, "n_agents", json_integer((json_int_t)s->n_agents));
    json_object_set_new(doc, "runs_planned", json_integer(s->runs));
    json_object_set_new(doc, "runs_recorded", json_integer((json_int_t)in->n_runs));
    json_t *runs = json_array();
    size_t failed = 0;
    bool complete = in->n_runs == (size_t)s->runs;
    for (size_t r = 0; r < in->n_runs; r++) {
        tdm_run_metrics m;
        if (tdm_run_metrics_compute(&in->runs[r], s->contention_threshold_pct, &m) != 0)
            continue;
        failed += m.failed_calls;
        complete = complete && m.complete && in->runs[r].has_concurrent == s->concurrent &&
                   in->runs[r].has_sequential == s->sequential;
        json_array_append_new(runs, run_json(&in->runs[r], &m));
        tdm_run_metrics_free(&m);
    }
    json_object_set_new(doc, "complete", json_boolean(complete));
    json_object_set_new(doc, "failed_calls", json_integer((json_int_t)failed));
    json_object_set_new(doc, "aggregate", aggregate_json(runs));
    json_object_set_new(doc, "runs", runs);
    json_object_set_new(doc, "calls", json_pack("{s:o, s:o}", "sequential",
                                                 calls_json(in->runs, in->n_runs, TDM_PHASE_SEQUENTIAL), "concurrent",
                                                 calls_json(in->runs, in->n_runs, TDM_PHASE_CONCURRENT)));
    return doc;
}

int tdm_summary_write(const tdm_summary_inputs *in, FILE *out, char *err, size_t errlen)
{
    json_t *doc = tdm_summary_json(in);
    char *path = tdm_path_join(in->output_dir, "summary.json");
    int rc = tdm_write_json_atomic(path, doc, err, errlen);
    free(path);
    if (rc == 0) {
        char *md = tdm_summary_markdown(in, doc);
        path = tdm_path_join(in->output_dir, "report.md");
        rc = md ? tdm_write_file_atomic(path, md, strlen(md), err, errlen) : -1;
        free(path);
        free(md);
    }
    if (rc == 0 && out)
        tdm_summary_print_table(in, doc, out);
    json_decref(doc);
    return rc;
}
