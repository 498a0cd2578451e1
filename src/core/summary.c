/* summary.c — summary.json from the runs' raw data (see summary.h). */
#include "core/summary.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/anomaly.h"
#include "core/buf.h"
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
    if (m->workflow) /* only a workflow's runs: other summaries keep their shape */
        json_object_set_new(o, "workflow",
                            json_pack("{s:o, s:o, s:o, s:o, s:o}", "critical_path_s", num(m->critical_path_s),
                                      "makespan_s", num(m->makespan_s), "ideal_speedup", num(m->ideal_speedup),
                                      "achieved_speedup", num(m->achieved_speedup), "workflow_efficiency_pct",
                                      num(m->workflow_efficiency_pct)));
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
    size_t ok = 0, failed = 0, cold = 0, mismatch = 0, untimed = 0;
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
            untimed += m.no_server_timings;
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
    /* Only when there are such calls: summaries of Ollama runs keep their keys. */
    if (untimed)
        json_object_set_new(o, "no_server_timings", json_integer((json_int_t)untimed));
    for (size_t k = 0; k < K; k++) {
        json_object_set_new(o, keys[k], v[k] ? describe_values(v[k], cnt[k]) : json_null());
        free(v[k]);
    }
    return o;
}

/* The runs' anomaly flags (anomaly.h) with their evidence in words. Each run object of
 * runs gets the kinds of its own flags ("anomalies"), and unflagged collects the runs
 * without any, for the means without them; nothing is taken out of runs. */
static json_t *anomalies_json(const tdm_summary_inputs *in, double threshold_pct, json_t *runs, json_t *unflagged,
                              json_t *flagged_runs)
{
    json_t *out = json_array();
    tdm_anomaly_run *ar = calloc(in->n_runs ? in->n_runs : 1, sizeof *ar);
    tdm_anomaly_list l = {0};
    int rc = ar ? 0 : -1;
    for (size_t r = 0; rc == 0 && r < in->n_runs; r++) {
        const tdm_run_data *d = &in->runs[r];
        tdm_run_metrics m;
        ar[r] = (tdm_anomaly_run){d->run, d->n_agents, NAN, NAN, NAN};
        if (tdm_run_metrics_compute(d, threshold_pct, &m) == 0) {
            ar[r].efficiency_pct = m.efficiency_pct;
            ar[r].t_seq_s = m.t_seq_s;
            ar[r].t_conc_s = m.t_conc_s;
            tdm_run_metrics_free(&m);
        }
        for (size_t i = 0; rc == 0 && i < d->n_calls; i++) {
            const tdm_call_record *c = &d->calls[i];
            tdm_call_metrics cm;
            tdm_call_metrics_compute(c, &cm);
            rc = tdm_anomaly_find_call(&cm, r, d->run, c->phase, c->agent, c->step, &l);
        }
    }
    if (rc == 0)
        rc = tdm_anomaly_find_runs(ar, in->n_runs, &l);
    tdm_anomaly_list_sort(&l);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        const tdm_anomaly *a = &l.v[i];
        const tdm_run_data *d = &in->runs[a->run_index];
        const char *agent = a->agent >= 0 && (size_t)a->agent < d->n_agents ? d->agent_names[a->agent] : NULL;
        tdm_buf words = {0};
        tdm_anomaly_describe(a, agent, &words);
        json_array_append_new(out, json_pack("{s:s, s:i, s:s, s:o, s:o, s:o, s:o, s:s}", "kind",
                                             tdm_anomaly_kind_name(a->kind), "run", a->run, "phase",
                                             tdm_phase_name(a->phase), "agent", agent ? json_string(agent) : json_null(),
                                             "step", a->step >= 0 ? json_integer(a->step + 1) : json_null(), "value",
                                             num(a->value), "bound", num(a->bound), "evidence", tdm_buf_str(&words)));
        tdm_buf_free(&words);
    }
    size_t i;
    json_t *ro;
    json_array_foreach(runs, i, ro)
    {
        json_t *kinds = json_array();
        json_int_t no = json_integer_value(json_object_get(ro, "run"));
        for (size_t r = 0; r < in->n_runs; r++) {
            if (in->runs[r].run != no)
                continue;
            for (int k = 0; k < TDM_ANOMALY_KIND_COUNT; k++)
                for (size_t f = 0; f < l.n; f++)
                    if (l.v[f].run_index == r && (int)l.v[f].kind == k) {
                        json_array_append_new(kinds, json_string(tdm_anomaly_kind_name((tdm_anomaly_kind)k)));
                        break;
                    }
        }
        json_object_set_new(ro, "anomalies", kinds);
        if (json_array_size(kinds))
            json_array_append_new(flagged_runs, json_integer(no));
        else
            json_array_append(unflagged, ro);
    }
    tdm_anomaly_list_free(&l);
    free(ar);
    return out;
}

/* The run an interrupt cut short (0: none) and the inputs without it: a partial run's
 * phases are not comparable with whole ones. Only the last run can be the one. */
static int split_interrupted(const tdm_summary_inputs *all, tdm_summary_inputs *finished)
{
    *finished = *all;
    if (all->n_runs == 0 || !all->runs[all->n_runs - 1].interrupted)
        return 0;
    finished->n_runs--;
    return all->runs[all->n_runs - 1].run;
}

json_t *tdm_summary_json(const tdm_summary_inputs *all)
{
    tdm_summary_inputs finished;
    int interrupted_run = split_interrupted(all, &finished);
    const tdm_summary_inputs *in = &finished;
    const tdm_scenario *s = in->scenario;
    json_t *doc = json_object();
    json_object_set_new(doc, "schema", json_string("tandem.summary/1"));
    json_object_set_new(doc, "variant", json_deep_copy(json_object_get(in->provenance, "variant")));
    json_object_set_new(doc, "scenario", json_string(s->name));
    json_object_set_new(doc, "n_agents", json_integer((json_int_t)s->n_agents));
    json_object_set_new(doc, "runs_planned", json_integer(s->runs));
    json_object_set_new(doc, "runs_recorded", json_integer((json_int_t)in->n_runs));
    if (interrupted_run > 0) {
        /* Only when it happened, so uninterrupted summaries stay as they were. */
        json_object_set_new(doc, "interrupted", json_true());
        json_object_set_new(doc, "interrupted_run", json_integer(interrupted_run));
        json_object_set_new(doc, "interrupted_note",
                            json_sprintf("run %d was interrupted; its partial records (run_%d/records.json) are "
                                         "not part of this summary, which covers the %zu finished run(s)",
                                         interrupted_run, interrupted_run, in->n_runs));
    }
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
    /* Anomalies are named, never silently averaged: the means above are over every run,
     * aggregate_unflagged's over the runs without a flag. */
    json_t *unflagged = json_array(), *flagged_runs = json_array();
    json_object_set_new(doc, "anomalies",
                        anomalies_json(in, s->contention_threshold_pct, runs, unflagged, flagged_runs));
    json_object_set_new(doc, "flagged_runs", flagged_runs);
    json_object_set_new(doc, "aggregate_unflagged", aggregate_json(unflagged));
    json_decref(unflagged);
    json_object_set_new(doc, "runs", runs);
    json_object_set_new(doc, "calls", json_pack("{s:o, s:o}", "sequential",
                                                 calls_json(in->runs, in->n_runs, TDM_PHASE_SEQUENTIAL), "concurrent",
                                                 calls_json(in->runs, in->n_runs, TDM_PHASE_CONCURRENT)));
    return doc;
}

/* report.md of an interrupted invocation says so under its title (takes md). */
static char *with_interrupt_note(const tdm_summary_inputs *all, char *md)
{
    tdm_summary_inputs in;
    int run = split_interrupted(all, &in);
    if (!md || run <= 0)
        return md;
    const char *nl = strchr(md, '\n');
    size_t head = nl ? (size_t)(nl - md) + 1 : 0;
    tdm_buf b = {0};
    tdm_buf_append(&b, md, head);
    tdm_buf_printf(&b,
                   "\n> **Interrupted.** Run %d of %d was cut short by SIGINT/SIGTERM. Its partial records are in "
                   "`run_%d/records.json` (marked `\"interrupted\": true`) and are left out of everything below, "
                   "which covers the %zu finished run(s).\n",
                   run, in.scenario->runs, run, in.n_runs);
    tdm_buf_append(&b, md + head, strlen(md + head));
    free(md);
    return tdm_buf_steal(&b);
}

int tdm_summary_write(const tdm_summary_inputs *in, FILE *out, char *err, size_t errlen)
{
    tdm_summary_inputs finished;
    split_interrupted(in, &finished);
    json_t *doc = tdm_summary_json(in);
    char *path = tdm_path_join(in->output_dir, "summary.json");
    int rc = tdm_write_json_atomic(path, doc, err, errlen);
    free(path);
    if (rc == 0) {
        char *md = with_interrupt_note(in, tdm_summary_markdown(&finished, doc));
        path = tdm_path_join(in->output_dir, "report.md");
        rc = md ? tdm_write_file_atomic(path, md, strlen(md), err, errlen) : -1;
        free(path);
        free(md);
    }
    if (rc == 0 && out)
        tdm_summary_print_table(&finished, doc, out);
    json_decref(doc);
    return rc;
}
