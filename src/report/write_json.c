/* write_json.c — analysis.json: everything the report computed, machine-readable
 * (schema "tandem.analysis/1"; equivalence judgements are added fields, so readers of
 * the earlier files keep working). Undefined numbers are null, never 0 or NaN. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gpu_samples.h"
#include "report/output.h"

/* The shared value writers (json_values.c) under the short names every line here uses. */
static json_t *num(double v)
{
    return tdm_rep_json_num(v);
}

static json_t *str(const char *s)
{
    return tdm_rep_json_str(s);
}

static json_t *curve_value_json(const tdm_rep_curve_value *v, const char *ci)
{
    return tdm_rep_json_curve_value(v, ci);
}

static json_t *desc_json(const tdm_stats_desc *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "n", json_integer((json_int_t)d->n));
    json_object_set_new(o, "mean", num(d->mean));
    json_object_set_new(o, "sd", num(d->sd));
    json_object_set_new(o, "cv", num(d->cv));
    json_object_set_new(o, "median", num(d->median));
    json_object_set_new(o, "min", num(d->min));
    json_object_set_new(o, "max", num(d->max));
    json_object_set_new(o, "p5", num(d->p5));
    json_object_set_new(o, "p95", num(d->p95));
    return o;
}

static json_t *ci_json(const tdm_stats_ci *ci)
{
    return json_pack("{s:o, s:o, s:o}", "level", num(ci->level), "lo", num(ci->lo), "hi", num(ci->hi));
}

static json_t *sample_json(const tdm_rep_sample *s)
{
    json_t *o = desc_json(&s->desc);
    json_object_set_new(o, "n_undefined", json_integer((json_int_t)s->n_undefined));
    json_object_set_new(o, "ci_t", ci_json(&s->ci_t));
    json_object_set_new(o, "ci_bootstrap", ci_json(&s->ci_boot));
    return o;
}

static json_t *counts_json(const tdm_rep_callcounts *c)
{
    return json_pack("{s:I, s:I, s:I, s:I}", "ok", (json_int_t)c->ok, "failed", (json_int_t)c->failed,
                     "cold_loads_excluded", (json_int_t)c->cold_excluded, "token_mismatches",
                     (json_int_t)c->token_mismatches);
}

static json_t *stats_json(const tdm_rep_cell_stats *cs)
{
    json_t *o = json_object();
    for (int m = 0; m < TDM_M_COUNT; m++) {
        const tdm_rep_metric_def *d = tdm_rep_metric(m);
        json_t *x = json_object();
        if (!d->per_call)
            json_object_set_new(x, "run", sample_json(&cs->m[m][0]));
        else
            for (int ph = 0; ph < TDM_REP_NPHASE; ph++)
                json_object_set_new(x, tdm_rep_phase_key(ph), sample_json(&cs->m[m][ph]));
        json_object_set_new(o, d->key, x);
    }
    return o;
}

static json_t *gap_json(const tdm_stats_gap_result *g)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "diff", num(g->diff), "ci_lo", num(g->lo), "ci_hi",
                     num(g->hi), "se", num(g->se), "t", num(g->t), "df", num(g->df), "p", num(g->p));
}

static json_t *mw_json(const tdm_stats_mw_result *mw)
{
    const char *method = mw->method == TDM_STATS_MW_EXACT    ? "exact"
                         : mw->method == TDM_STATS_MW_NORMAL ? "normal"
                                                             : NULL;
    return json_pack("{s:o, s:o, s:o, s:o}", "u", num(mw->u1), "z", num(mw->z), "p", num(mw->p), "method",
                     str(method));
}

static json_t *variants_json(const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    json_t *a = json_array();
    for (size_t v = 0; v < ds->n_variants; v++) {
        const tdm_rep_variant_stats *vs = &an->variants[v];
        json_t *cm = json_object();
        for (int m = 0; m < TDM_M_N_RUN; m++)
            json_object_set_new(cm, tdm_rep_metric(m)->key, desc_json(&vs->config_means[m]));
        json_t *o = json_object();
        json_object_set_new(o, "name", str(ds->variants[v].name));
        json_object_set_new(o, "source", str(ds->variants[v].source));
        json_object_set_new(o, "label", str(ds->variants[v].label));
        json_object_set_new(o, "legacy", json_boolean(ds->variants[v].legacy));
        json_object_set_new(o, "reference", str(ds->variants[an->reference[v]].label));
        json_object_set_new(o, "n_runs", json_integer((json_int_t)vs->n_runs));
        json_object_set_new(o, "n_configurations", json_integer((json_int_t)vs->n_configs));
        json_object_set_new(o, "calls", json_pack("{s:o, s:o}", "sequential", counts_json(&vs->pooled.counts[0]),
                                                  "concurrent", counts_json(&vs->pooled.counts[1])));
        json_object_set_new(o, "stats", stats_json(&vs->pooled));
        json_object_set_new(o, "configuration_means", cm);
        json_array_append_new(a, o);
    }
    return a;
}

/* A run's GPU numbers; null when the run has no readable gpu.csv. */
static json_t *gpu_run_json(const tdm_rep_gpu_run *g)
{
    if (!g->has_file)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "file", str(g->path));
    json_object_set_new(o, "gpus", json_integer((json_int_t)g->n_gpus));
    for (int ph = 0; ph < TDM_REP_NPHASE; ph++) {
        bool ran = g->span_ns[ph][1] != 0;
        json_t *p = json_object();
        json_object_set_new(p, "t0_ns", ran ? json_integer(g->span_ns[ph][0]) : json_null());
        json_object_set_new(p, "t1_ns", ran ? json_integer(g->span_ns[ph][1]) : json_null());
        json_object_set_new(p, "samples", json_integer((json_int_t)g->n_samples[ph]));
        json_object_set_new(p, "tokens", json_integer(g->tokens[ph]));
        json_object_set_new(p, "util_pct", num(g->util_pct[ph]));
        json_object_set_new(p, "energy_j", num(g->energy_j[ph]));
        json_object_set_new(p, "j_per_token", num(g->j_per_token[ph]));
        json_object_set_new(p, "energy_method", json_string(tdm_gpu_energy_method_name(g->method[ph])));
        json_object_set_new(p, "no_energy_reason", ran && isnan(g->energy_j[ph])
                                                       ? json_string(tdm_gpu_reason_text(g->reason[ph]))
                                                       : json_null());
        json_object_set_new(o, tdm_rep_phase_key(ph), p);
    }
    return o;
}

/* A cell's GPU means; null when none of its runs has telemetry. */
static json_t *gpu_cell_json(const tdm_rep_gpu_cell *gc)
{
    if (!gc || gc->n_runs == 0)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "n_runs", json_integer((json_int_t)gc->n_runs));
    for (int ph = 0; ph < TDM_REP_NPHASE; ph++)
        json_object_set_new(o, tdm_rep_phase_key(ph),
                            json_pack("{s:o, s:I, s:o, s:I, s:o, s:I}", "util_pct", num(gc->util_pct[ph]), "n_util",
                                      (json_int_t)gc->n_util[ph], "energy_j", num(gc->energy_j[ph]), "n_energy",
                                      (json_int_t)gc->n_energy[ph], "j_per_token", num(gc->j_per_token[ph]),
                                      "n_j_per_token", (json_int_t)gc->n_jpt[ph]));
    return o;
}

/* A cell's latency tails per phase, and its contention and outlier judgement (tails.c). */
static json_t *tails_cell_json(const tdm_rep_tails_cell *tc)
{
    json_t *tails = json_object();
    for (int ph = 0; ph < TDM_REP_NPHASE; ph++) {
        json_t *p = json_object();
        for (int t = 0; t < TDM_REP_NTAIL; t++) {
            const tdm_rep_tail *q = &tc->q[t][ph];
            json_object_set_new(p, tdm_rep_tail_key(t),
                                json_pack("{s:I, s:o, s:o, s:o}", "n", (json_int_t)q->n, "p50", num(q->p50), "p90",
                                          num(q->p90), "p99", num(q->p99)));
        }
        json_object_set_new(tails, tdm_rep_phase_key(ph), p);
    }
    json_t *metric = tc->metric >= 0 ? json_string(tdm_rep_metric(tc->metric)->key) : json_null();
    json_t *o = json_object();
    json_object_set_new(o, "tails", tails);
    json_object_set_new(o, "contention",
                        json_pack("{s:O, s:o, s:I, s:I, s:o}", "metric", metric, "threshold_pct",
                                  num(TDM_REP_CONTENTION_PCT), "n_judged", (json_int_t)tc->n_judged, "n_contended",
                                  (json_int_t)tc->n_contended, "rate", num(tc->contention_rate)));
    json_object_set_new(o, "outliers",
                        json_pack("{s:o, s:o, s:o, s:o, s:b, s:I}", "metric", metric, "median", num(tc->median),
                                  "mad_scaled", num(tc->mad_scaled), "threshold_mads", num(TDM_REP_OUTLIER_MADS),
                                  "judged", tc->outliers_judged, "n_flagged", (json_int_t)tc->n_outliers));
    return o;
}

static json_t *cells_json(const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    json_t *a = json_array();
    for (size_t c = 0; c < ds->n_cells; c++) {
        const tdm_rep_cell *cell = &ds->cells[c];
        json_t *runs = json_array();
        for (size_t k = 0; k < cell->n_runs; k++) {
            const tdm_rep_run *r = &ds->runs[cell->runs[k]];
            json_array_append_new(runs, json_pack("{s:o, s:i}", "dir", str(ds->dirs[r->dir].path), "run", r->run));
        }
        json_t *o = json_object();
        json_object_set_new(o, "variant", str(ds->variants[cell->variant].name));
        json_object_set_new(o, "source", str(ds->variants[cell->variant].source));
        json_object_set_new(o, "label", str(ds->variants[cell->variant].label));
        json_object_set_new(o, "configuration", str(ds->configs[cell->config]));
        json_object_set_new(o, "n_runs", json_integer((json_int_t)cell->n_runs));
        json_object_set_new(o, "runs", runs);
        json_object_set_new(o, "calls", json_pack("{s:o, s:o}", "sequential", counts_json(&an->cells[c].counts[0]),
                                                  "concurrent", counts_json(&an->cells[c].counts[1])));
        json_object_set_new(o, "stats", stats_json(&an->cells[c]));
        json_object_set_new(o, "gpu", gpu_cell_json(an->gpu ? &an->gpu[c] : NULL));
        if (an->tails) {
            json_t *t = tails_cell_json(&an->tails[c]);
            json_object_update(o, t);
            json_decref(t);
        }
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *runs_json(const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    json_t *a = json_array();
    for (size_t c = 0; c < ds->n_cells; c++)
        for (size_t k = 0; k < ds->cells[c].n_runs; k++) {
            const tdm_rep_run *r = &ds->runs[ds->cells[c].runs[k]];
            const tdm_rep_dir *d = &ds->dirs[r->dir];
            json_t *m = json_object();
            for (int i = 0; i < TDM_M_N_RUN; i++)
                json_object_set_new(m, tdm_rep_metric(i)->key, num(r->v[i]));
            json_object_set_new(m, "imbalance", num(r->imbalance));
            json_object_set_new(m, "legacy_speedup", num(r->legacy_speedup));
            json_t *o = json_object();
            json_object_set_new(o, "variant", str(d->variant));
            json_object_set_new(o, "source", str(d->source));
            json_object_set_new(o, "configuration", str(d->configuration));
            json_object_set_new(o, "repetition", d->repetition >= 0 ? json_integer(d->repetition) : json_null());
            json_object_set_new(o, "run", json_integer(r->run));
            json_object_set_new(o, "dir", str(d->path));
            json_object_set_new(o, "n_agents", json_integer((json_int_t)r->n_agents));
            json_object_set_new(o, "has_sequential", json_boolean(r->has_sequential));
            json_object_set_new(o, "has_concurrent", json_boolean(r->has_concurrent));
            json_object_set_new(o, "metrics", m);
            json_object_set_new(o, "calls", json_integer((json_int_t)r->calls));
            json_object_set_new(o, "failed_calls", json_integer((json_int_t)r->failed_calls));
            json_object_set_new(o, "cold_loads", json_integer((json_int_t)r->cold_loads));
            json_object_set_new(o, "token_mismatches", json_integer((json_int_t)r->token_mismatches));
            json_object_set_new(o, "complete", json_boolean(r->complete));
            json_object_set_new(o, "tokens_seq", json_integer(r->tokens_seq));
            json_object_set_new(o, "tokens_conc", json_integer(r->tokens_conc));
            json_object_set_new(o, "reported_legacy_efficiency_pct", num(r->reported_legacy_eff));
            json_object_set_new(o, "client_cpu_seq_ms", num(r->client_cpu_seq_ms));
            json_object_set_new(o, "client_cpu_conc_ms", num(r->client_cpu_conc_ms));
            json_object_set_new(o, "gpu", gpu_run_json(&r->gpu));
            /* tails.c: null when the run has no value of its cell's metric */
            const tdm_rep_tails_run *tr = an->tails_runs ? &an->tails_runs[ds->cells[c].runs[k]] : NULL;
            json_object_set_new(o, "contended", tr && tr->judged ? json_boolean(tr->contended) : json_null());
            json_object_set_new(o, "outlier", tr && tr->judged ? json_boolean(tr->outlier) : json_null());
            json_object_set_new(o, "outlier_mads", num(tr ? tr->mads : NAN));
            json_array_append_new(a, o);
        }
    return a;
}

/* A comparison against its metric's equivalence margin; null when the metric has none. */
static json_t *equivalence_json(const tdm_rep_analysis *an, const tdm_rep_comparison *c)
{
    const tdm_rep_margin *m = &an->settings.margin[c->metric];
    if (c->equiv == TDM_REP_EQ_NONE)
        return json_null();
    char words[128];
    json_t *o = json_object();
    json_object_set_new(o, "margin", num(c->margin));
    json_object_set_new(o, "margin_relative_pct", m->relative ? num(m->value) : json_null());
    json_object_set_new(o, "tost_p", num(c->tost.p));
    json_object_set_new(o, "p_lower", num(c->tost.p_lower));
    json_object_set_new(o, "p_upper", num(c->tost.p_upper));
    json_object_set_new(o, "ci_level", num(1.0 - 2.0 * an->settings.alpha));
    json_object_set_new(o, "ci_lo", num(c->tost.lo));
    json_object_set_new(o, "ci_hi", num(c->tost.hi));
    json_object_set_new(o, "equivalent", json_boolean(c->equivalent));
    json_object_set_new(o, "verdict", str(tdm_rep_equiv_key(c->equiv)));
    json_object_set_new(o, "text", str(tdm_rep_equiv_text(words, sizeof words, an, c)));
    return o;
}

/* The margins the report used, by metric key (null: none). */
static json_t *margins_json(const tdm_rep_analysis *an)
{
    json_t *o = json_object();
    for (int m = 0; m < TDM_M_COUNT; m++) {
        const tdm_rep_margin *mg = &an->settings.margin[m];
        const tdm_rep_metric_def *d = tdm_rep_metric(m);
        if (!(mg->value > 0.0))
            json_object_set_new(o, d->key, json_null());
        else if (mg->relative)
            json_object_set_new(o, d->key, json_pack("{s:o, s:s}", "value", num(mg->value), "unit",
                                                     "% of the compared-with mean"));
        else
            json_object_set_new(o, d->key, json_pack("{s:o, s:s}", "value", num(mg->value), "unit",
                                                     strcmp(d->unit, "%") == 0 ? "pp" : d->unit));
    }
    return o;
}

static json_t *comparisons_json(const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    json_t *a = json_array();
    for (size_t i = 0; i < an->n_cmp; i++) {
        const tdm_rep_comparison *c = &an->cmp[i];
        const tdm_rep_metric_def *d = tdm_rep_metric(c->metric);
        json_t *o = json_object();
        json_object_set_new(o, "scope", json_string(c->scope == TDM_REP_SCOPE_POOLED ? "pooled" : "configuration"));
        json_object_set_new(o, "configuration", c->config >= 0 ? str(ds->configs[c->config]) : json_null());
        json_object_set_new(o, "metric", json_string(d->key));
        json_object_set_new(o, "phase", json_string(d->per_call ? tdm_rep_phase_key(c->phase) : "run"));
        json_object_set_new(o, "a", str(ds->variants[c->a].name));
        json_object_set_new(o, "b", str(ds->variants[c->b].name));
        json_object_set_new(o, "source", str(ds->variants[c->a].source));
        json_object_set_new(o, "n_a", json_integer((json_int_t)c->n_a));
        json_object_set_new(o, "n_b", json_integer((json_int_t)c->n_b));
        json_object_set_new(o, "mean_a", num(c->mean_a));
        json_object_set_new(o, "mean_b", num(c->mean_b));
        json_object_set_new(o, "welch", gap_json(&c->gap));
        json_object_set_new(o, "p_welch_holm", num(c->p_welch_holm));
        json_object_set_new(o, "mann_whitney", mw_json(&c->mw));
        json_object_set_new(o, "p_mw_holm", num(c->p_mw_holm));
        json_object_set_new(o, "hedges_g", num(c->hedges_g));
        json_object_set_new(o, "cliffs_delta", num(c->cliffs_delta));
        json_object_set_new(o, "significant", json_boolean(c->significant));
        json_object_set_new(o, "mw_significant", json_boolean(c->mw_significant));
        /* false: at these sizes and this correction Mann-Whitney could not reach alpha */
        json_object_set_new(o, "mw_reachable", json_boolean(c->mw_reachable));
        json_object_set_new(o, "equivalence", equivalence_json(an, c));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *baselines_json(const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    json_t *a = json_array();
    for (size_t b = 0; b < an->n_baselines; b++) {
        const tdm_rep_baseline *bl = &an->baselines[b];
        json_t *res = json_array();
        for (size_t i = 0; i < an->n_base; i++) {
            const tdm_rep_baseline_result *r = &an->base[i];
            if (r->baseline != (int)b)
                continue;
            json_t *o = json_object();
            json_object_set_new(o, "variant", str(ds->variants[r->variant].name));
            json_object_set_new(o, "source", str(ds->variants[r->variant].source));
            json_object_set_new(o, "configuration", r->config >= 0 ? str(ds->configs[r->config]) : json_null());
            json_object_set_new(o, "n", json_integer((json_int_t)r->n));
            json_object_set_new(o, "mean", num(r->mean));
            json_object_set_new(o, bl->dir ? "welch" : "one_sample_t", gap_json(&r->gap));
            json_object_set_new(o, "p_holm", num(r->p_holm));
            json_object_set_new(o, "significant", json_boolean(r->significant));
            if (bl->dir) {
                json_object_set_new(o, "n_baseline", json_integer((json_int_t)r->n_base));
                json_object_set_new(o, "mean_baseline", num(r->mean_base));
                json_object_set_new(o, "matched_configuration", json_boolean(r->matched_config));
                json_object_set_new(o, "mann_whitney", mw_json(&r->mw));
                json_object_set_new(o, "p_mw_holm", num(r->p_mw_holm));
                json_object_set_new(o, "hedges_g", num(r->hedges_g));
                json_object_set_new(o, "cliffs_delta", num(r->cliffs_delta));
            }
            json_array_append_new(res, o);
        }
        json_t *o = json_object();
        json_object_set_new(o, "name", str(bl->name));
        json_object_set_new(o, "provenance", str(bl->provenance));
        json_object_set_new(o, "value", num(bl->value));
        json_object_set_new(o, "dir", str(bl->dir));
        json_object_set_new(o, "runs", json_integer((json_int_t)bl->set.n_runs));
        json_object_set_new(o, "metric", json_string(tdm_rep_metric(an->settings.baseline_metric)->key));
        json_object_set_new(o, "results", res);
        json_array_append_new(a, o);
    }
    return a;
}

/* The facts of a run directory a reader needs to judge comparability. */
static json_t *provenance_json(const tdm_rep_dataset *ds)
{
    static const char *const keys[] = {"tandem_version", "started_at", "command", "runtime", "build",
                                       "libraries",      "host",       "servers", "legacy",
                                       "gpu",            "server_memory"};
    json_t *a = json_array();
    for (size_t i = 0; i < ds->n_dirs; i++) {
        const tdm_rep_dir *d = &ds->dirs[i];
        json_t *o = json_object();
        json_object_set_new(o, "dir", str(d->path));
        json_object_set_new(o, "variant", str(d->variant));
        json_object_set_new(o, "source", str(d->source));
        json_object_set_new(o, "configuration", str(d->configuration));
        json_object_set_new(o, "scenario", str(d->scenario));
        json_object_set_new(o, "repetition", d->repetition >= 0 ? json_integer(d->repetition) : json_null());
        json_object_set_new(o, "pinned", json_boolean(d->unpinned == NULL));
        json_object_set_new(o, "unpinned_reason", str(d->unpinned));
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            json_t *v = json_object_get(d->prov, keys[k]);
            if (!v)
                continue;
            if (json_is_object(v) && json_object_get(v, "runs") && k == 8) {
                /* the seed's per-run summaries are in the run directory; keep the rest */
                json_t *copy = json_deep_copy(v);
                json_object_del(copy, "runs");
                json_object_set_new(o, keys[k], copy);
            } else {
                json_object_set_new(o, keys[k], json_deep_copy(v));
            }
        }
        json_array_append_new(a, o);
    }
    return a;
}


/* The gain curve (gain_curve.c): per line and N the points, and each line's knee and best
 * point as indices into its points and as N; the key is absent when the runs share one N. */
static json_t *gain_curve_json(const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    json_t *lines = json_array();
    for (size_t i = 0; i < an->curve.n_lines; i++) {
        const tdm_rep_curve_line *l = &an->curve.lines[i];
        json_t *pts = json_array();
        for (size_t k = 0; k < l->n_points; k++) {
            const tdm_rep_curve_point *p = &l->points[k];
            json_array_append_new(
                pts, json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:{s:I, s:o, s:o, s:o}}", "n_agents",
                               (json_int_t)p->n_agents, "runs", (json_int_t)p->n_runs, "efficiency_pct",
                               curve_value_json(&p->efficiency, "bootstrap"), "tokens_per_s",
                               curve_value_json(&p->tokens_s, "t"), "growth_per_doubling_pct", num(p->growth_pct),
                               "slowdown", curve_value_json(&p->slowdown, "t"), "ttft_ms", "n",
                               (json_int_t)p->ttft.n, "p50", num(p->ttft.p50), "p90", num(p->ttft.p90), "p99",
                               num(p->ttft.p99)));
        }
        json_array_append_new(
            lines, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o}", "variant",
                             str(ds->variants[l->variant].name), "source", str(ds->variants[l->variant].source),
                             "layout", str(l->layout), "label", str(l->label), "points", pts, "knee_n_agents",
                             l->knee >= 0 ? json_integer((json_int_t)l->points[l->knee].n_agents) : json_null(),
                             "knee_reason", tdm_rep_knee_key(l->knee_reason), "best_n_agents",
                             l->best >= 0 ? json_integer((json_int_t)l->points[l->best].n_agents) : json_null()));
    }
    char knee[300];
    snprintf(knee, sizeof knee,
             "the smallest N whose mean efficiency_pct is below %.0f, or failing that whose mean tokens/s grew by "
             "less than %.0f%% per doubling of N since the previous N ((b/a)^(1/log2(N_b/N_a)) - 1)",
             TDM_REP_KNEE_EFF_PCT, TDM_REP_KNEE_GROWTH_PCT);
    char best[200];
    snprintf(best, sizeof best,
             "the N with the highest mean tokens/s whose mean efficiency_pct is at least %.0f (ties: the smaller N)",
             TDM_REP_KNEE_EFF_PCT);
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "knee", knee, "best", best, "tokens_per_s",
                     "server-counted output tokens of the concurrent phase / T_conc, per run", "slowdown",
                     "per run, the mean over agents of T_conc_i / T_seq_i (each the sum of the agent's call e2e "
                     "times in the phase)",
                     "lines", lines);
}

/* Latency against offered load (open_loop.c): per line and nominal rate the points, each
 * line's knee and best point as rates, and every open-loop run's own numbers; the key is
 * absent when no run is open-loop. */
static json_t *tail_json(const tdm_rep_tail *q)
{
    return json_pack("{s:I, s:o, s:o, s:o}", "n", (json_int_t)q->n, "p50", num(q->p50), "p90", num(q->p90), "p99",
                     num(q->p99));
}

static void ol_lats(json_t *o, const tdm_rep_tail q[TDM_REP_OL_NLAT])
{
    for (int k = 0; k < TDM_REP_OL_NLAT; k++)
        json_object_set_new(o, tdm_rep_ol_lat_key(k), tail_json(&q[k]));
}

static json_t *open_loop_json(const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    const tdm_rep_open_loop *ol = &an->open_loop;
    json_t *lines = json_array();
    for (size_t i = 0; i < ol->n_lines; i++) {
        const tdm_rep_ol_line *l = &ol->lines[i];
        json_t *pts = json_array();
        for (size_t k = 0; k < l->n_points; k++) {
            const tdm_rep_ol_point *p = &l->points[k];
            json_t *o = json_pack("{s:o, s:I, s:I, s:I, s:o, s:o, s:o, s:b}", "rate", num(p->rate), "runs",
                                  (json_int_t)p->n_runs, "calls", (json_int_t)p->n_due, "ok_calls",
                                  (json_int_t)p->n_ok, "offered_per_s", curve_value_json(&p->offered, "t"),
                                  "achieved_per_s", curve_value_json(&p->achieved, "t"), "ok_pct",
                                  curve_value_json(&p->ok_pct, "bootstrap"), "keeps_up", tdm_rep_ol_keeps_up(p));
            ol_lats(o, p->q);
            json_array_append_new(pts, o);
        }
        json_array_append_new(
            lines, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o}", "variant",
                             str(ds->variants[l->variant].name), "source", str(ds->variants[l->variant].source),
                             "process", str(l->process), "layout", str(l->layout), "label", str(l->label), "points",
                             pts, "knee_rate", l->knee >= 0 ? num(l->points[l->knee].rate) : json_null(),
                             "knee_reason", tdm_rep_ol_knee_key(l->knee_reason), "best_rate",
                             l->best >= 0 ? num(l->points[l->best].rate) : json_null()));
    }
    json_t *runs = json_array();
    for (size_t i = 0; i < ol->n_runs; i++) {
        const tdm_rep_ol_run *o = &ol->runs[i];
        const tdm_rep_run *r = &ds->runs[o->run];
        json_t *j = json_pack("{s:o, s:i, s:o, s:o, s:I, s:I, s:o, s:o, s:o}", "dir", str(ds->dirs[r->dir].path), "run",
                              r->run, "line", str(ol->lines[o->line].label), "rate", num(o->rate), "calls",
                              (json_int_t)o->n_due, "ok_calls", (json_int_t)o->n_ok, "offered_per_s", num(o->offered_s),
                              "achieved_per_s", num(o->achieved_s), "ok_pct", num(o->ok_pct));
        ol_lats(j, o->q);
        json_array_append_new(runs, j);
    }
    char knee[400], best[200];
    snprintf(knee, sizeof knee,
             "the lowest rate past the line's lowest whose mean achieved_per_s is below %.0f%% of its mean "
             "offered_per_s, or failing that whose p99 ttft_from_due_ms is more than %.0fx the lowest rate's",
             TDM_REP_OL_KEEP_UP_PCT, TDM_REP_OL_P99_FACTOR);
    snprintf(best, sizeof best,
             "the highest rate below the knee (every rate without one) whose mean achieved_per_s is at least %.0f%% "
             "of its mean offered_per_s",
             TDM_REP_OL_KEEP_UP_PCT);
    json_t *defs = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "calls",
        "the run's concurrent calls with a due time (t_due_ns > 0): one per arrival", "rate",
        "the nominal offered rate, calls/s (the scenario's arrivals.rate)", "offered_per_s",
        "per run, (calls - 1) / (last t_due - first t_due): the realised offered rate", "achieved_per_s",
        "per run, (ok_calls - 1) / (last t_done - first t_done) over the successful calls", "ok_pct",
        "per run, 100 * ok_calls / calls", "ttft_from_due_ms",
        "first token - t_due: what the user waits (p50/p90/p99 over the successful non-cold calls; pooled over "
        "the runs at a point)",
        "client_wait_ms", "t_start - t_due: the client's own lag before the first request byte went out",
        "ttft_from_send_ms", "first token - t_start: the server's and the network's part (the client's ttft_ms)",
        "e2e_from_due_ms", "t_done - t_due", "knee", knee);
    json_object_set_new(defs, "best", json_string(best));
    return json_pack("{s:o, s:o, s:o}", "definitions", defs, "lines", lines, "runs", runs);
}

/* The machines (hosts.c): each with its runs and identity, and the host-effect check. */
static json_t *hosts_json(const tdm_rep_hosts *h)
{
    json_t *list = json_array();
    for (size_t i = 0; i < h->n; i++)
        json_array_append_new(list, json_pack("{s:s, s:I, s:s}", "host", h->hosts[i].name, "runs",
                                              (json_int_t)h->hosts[i].n_runs, "identity", h->hosts[i].identity));
    json_t *effect = h->metric >= 0 && h->n > 1
                         ? json_pack("{s:s, s:I, s:o, s:o}", "metric", tdm_rep_metric(h->metric)->key,
                                     "variants_on_two_or_more_hosts", (json_int_t)h->n_variants, "host_effect",
                                     tdm_rep_json_num(h->host_effect), "variant_effect",
                                     tdm_rep_json_num(h->variant_effect))
                         : json_null();
    return json_pack("{s:o, s:I, s:b, s:o}", "hosts", list, "identities", (json_int_t)h->n_identities, "pooled",
                     h->pooled, "effect", effect);
}

json_t *tdm_rep_analysis_json(const tdm_rep_analysis *an, const tdm_rep_meta *meta, const tdm_rep_figures *figs)
{
    const tdm_rep_dataset *ds = an->ds;
    json_t *doc = json_object();
    json_object_set_new(doc, "schema", json_string("tandem.analysis/1"));
    json_object_set_new(doc, "tandem_version", json_string(TDM_VERSION));
    json_object_set_new(doc, "title", str(meta->title));
    json_t *inputs = json_array();
    for (size_t i = 0; i < meta->n_inputs; i++)
        json_array_append_new(inputs, str(meta->inputs[i]));
    json_object_set_new(doc, "inputs", inputs);
    /* the seed as a string: a uint64 may not fit a JSON integer */
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)an->settings.seed);
    json_object_set_new(
        doc, "settings",
        json_pack("{s:o, s:o, s:I, s:s, s:o, s:o, s:s, s:s}", "alpha", num(an->settings.alpha), "ci_level",
                  num(1.0 - an->settings.alpha), "resamples", (json_int_t)an->settings.resamples, "seed", seed,
                  "reference", str(an->settings.reference), "group_by", str(meta->group_by), "baseline_metric",
                  tdm_rep_metric(an->settings.baseline_metric)->key, "significance",
                  "Holm-adjusted Welch p < alpha, within each family (scope, metric, phase)"));
    json_object_set_new(json_object_get(doc, "settings"), "equivalence",
                        json_pack("{s:s, s:o, s:o}", "method",
                                  "Schuirmann's TOST on Welch's t at alpha, not Holm-adjusted: equivalent when the "
                                  "(1 - 2 alpha) CI of the difference lies inside +-margin",
                                  "ci_level", num(1.0 - 2.0 * an->settings.alpha), "margins", margins_json(an)));
    json_t *metrics = json_array();
    for (int m = 0; m < TDM_M_COUNT; m++) {
        const tdm_rep_metric_def *d = tdm_rep_metric(m);
        json_array_append_new(metrics, json_pack("{s:s, s:s, s:s, s:s, s:b}", "key", d->key, "label", d->label,
                                                 "unit", d->unit, "level", d->per_call ? "call" : "run",
                                                 "higher_is_better", d->higher_is_better));
    }
    json_object_set_new(doc, "metrics", metrics);
    json_t *summary = json_object();
    json_object_set_new(summary, "text", str(an->summary));
    json_object_set_new(summary, "recommendation", str(an->recommendation));
    json_object_set_new(summary, "confidence", str(an->confidence));
    json_object_set_new(summary, "legacy_note", str(an->legacy_note));
    json_object_set(summary, "decision", an->decision ? an->decision : json_null());
    json_object_set_new(summary, "primary_metric",
                        json_pack("{s:o, s:o}", "tandem",
                                  an->primary[0] >= 0 ? json_string(tdm_rep_metric(an->primary[0])->key) : json_null(),
                                  "legacy",
                                  an->primary[1] >= 0 ? json_string(tdm_rep_metric(an->primary[1])->key)
                                                      : json_null()));
    json_object_set_new(doc, "summary", summary);
    json_t *configs = json_array();
    for (size_t c = 0; c < ds->n_configs; c++)
        json_array_append_new(configs, str(ds->configs[c]));
    json_object_set_new(doc, "configurations", configs);
    json_object_set_new(doc, "variants", variants_json(an));
    json_object_set_new(doc, "cells", cells_json(an));
    json_object_set_new(doc, "comparisons", comparisons_json(an));
    json_object_set_new(doc, "baselines", baselines_json(an));
    json_t *cav = json_array();
    for (size_t i = 0; i < an->n_caveats; i++)
        json_array_append_new(cav, json_pack("{s:o, s:o}", "kind", str(an->caveats[i].kind), "text",
                                             str(an->caveats[i].text)));
    json_object_set_new(doc, "caveats", cav);
    json_object_set_new(doc, "legacy_check",
                        json_pack("{s:I, s:o, s:o}", "runs_checked", (json_int_t)an->legacy_checked, "max_abs_diff_pp",
                                  an->legacy_checked ? num(an->legacy_max_abs_diff) : json_null(), "tolerance_pp",
                                  json_real(1e-6)));
    json_object_set_new(doc, "runs", runs_json(an));
    json_object_set_new(doc, "gpu",
                        json_pack("{s:I, s:s}", "runs_with_telemetry", (json_int_t)an->gpu_runs, "definition",
                                  "per phase span on CLOCK_MONOTONIC (sequential: first release to last end; "
                                  "concurrent: common release to last end): time-weighted mean utilisation "
                                  "(mean over GPUs), energy summed over GPUs (energy_mj counter difference when "
                                  "every sample has it, else the trapezoid integral of power_w), J per "
                                  "server-counted output token (eval_count)"));
    json_object_set_new(
        doc, "tails",
        json_pack("{s:s, s:s, s:s}", "quantiles",
                  "p50/p90/p99 (linear interpolation, R type 7) per cell and phase, pooled over the successful "
                  "non-cold calls of the cell's runs; itl_p50_ms is each call's median inter-token gap",
                  "contention",
                  "a run is contended when its efficiency_pct is below 75 (the seed's rule, speedup below 1.5 at "
                  "N = 2, generalised); cells without efficiency_pct are judged on legacy_efficiency_pct; rate = "
                  "contended / judged runs",
                  "outliers",
                  "a run is an outlier when |value - cell median| > 3 * 1.4826 * MAD on the cell's contention "
                  "metric; needs 3 runs and MAD > 0; flagged runs are kept in every statistic"));
    if (an->curve.n_lines)
        json_object_set_new(doc, "gain_curve", gain_curve_json(an));
    if (an->open_loop.n_runs)
        json_object_set_new(doc, "open_loop", open_loop_json(an));
    if (an->workflows.n_runs)
        json_object_set_new(doc, "workflows", tdm_rep_workflows_json(an));
    json_object_set_new(doc, "hosts", hosts_json(&an->hosts));
    json_t *fig = json_array();
    for (size_t i = 0; figs && i < figs->n; i++) {
        const tdm_rep_figure *f = &figs->f[i];
        json_array_append_new(fig, json_pack("{s:o, s:o, s:o, s:o, s:b, s:o}", "name", str(f->name), "caption",
                                             str(f->caption), "script", str(f->script), "data", str(f->data),
                                             "rendered", f->rendered, "problem", str(f->problem)));
    }
    json_object_set_new(doc, "figures", fig);
    json_object_set_new(doc, "gnuplot", str(figs ? figs->gnuplot : NULL));
    json_t *sk = json_array();
    for (size_t i = 0; i < ds->n_skipped; i++)
        json_array_append_new(sk, json_pack("{s:o, s:o}", "path", str(ds->skipped[i].path), "reason",
                                            str(ds->skipped[i].reason)));
    json_object_set_new(doc, "skipped", sk);
    json_object_set_new(doc, "provenance", provenance_json(ds));
    return doc;
}
