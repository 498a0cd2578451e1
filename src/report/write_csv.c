/* write_csv.c — the tidy tables: runs.csv (one row per run, run-level metrics, the
 * GPU numbers of runs with telemetry, and its contention and outlier flags),
 * cells.csv (one row per cell or variant, metric and phase: the descriptive statistics
 * and CIs), calls.csv (one row per call, per-call metrics) and comparisons.csv (with
 * each comparison's equivalence judgement, empty where its metric has no margin),
 * tails.csv (one row per cell, latency and phase: p50/p90/p99) and contention.csv (one
 * row per cell: contention rate, median, scaled MAD, outliers); gain_curve.csv,
 * open_loop.csv and workflows.csv when the runs have such data. Each
 * has one header row and loads with one line of pandas or R; an undefined value is an
 * empty field. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "report/output.h"

void tdm_rep_csv_field(tdm_buf *b, const char *s)
{
    if (!s)
        return;
    size_t len = strlen(s);
    bool quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ' || strpbrk(s, ",\"\r\n"));
    if (!quote) {
        tdm_buf_append(b, s, len);
        return;
    }
    tdm_buf_append_str(b, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            tdm_buf_append_str(b, "\"");
        tdm_buf_append(b, p, 1);
    }
    tdm_buf_append_str(b, "\"");
}

void tdm_rep_csv_num(tdm_buf *b, double v)
{
    if (!isfinite(v))
        return;
    /* the shortest of 15 or 17 significant digits that reads back as the same double */
    char x[40];
    snprintf(x, sizeof x, "%.15g", v == 0.0 ? 0.0 : v);
    if (strtod(x, NULL) != v)
        snprintf(x, sizeof x, "%.17g", v);
    tdm_buf_append_str(b, x);
}

static void sep(tdm_buf *b)
{
    tdm_buf_append_str(b, ",");
}

static void str(tdm_buf *b, const char *s)
{
    sep(b);
    tdm_rep_csv_field(b, s);
}

static void num(tdm_buf *b, double v)
{
    sep(b);
    tdm_rep_csv_num(b, v);
}

static void integer(tdm_buf *b, long long v)
{
    tdm_buf_printf(b, ",%lld", v);
}

static void boolean(tdm_buf *b, bool v)
{
    tdm_buf_append_str(b, v ? ",true" : ",false");
}

/* The identity columns of a run: variant,source,configuration,repetition,run,dir */
static void run_id(tdm_buf *b, const tdm_rep_dataset *ds, const tdm_rep_run *r)
{
    const tdm_rep_dir *d = &ds->dirs[r->dir];
    tdm_rep_csv_field(b, d->variant);
    str(b, d->source);
    str(b, d->configuration);
    if (d->repetition >= 0)
        integer(b, d->repetition);
    else
        sep(b);
    integer(b, r->run);
    str(b, d->path);
}

static int write(const char *dir, const char *name, tdm_buf *b, char *err, size_t errlen)
{
    char *path = tdm_path_join(dir, name);
    int rc = path ? tdm_write_file_atomic(path, tdm_buf_str(b), b->len, err, errlen) : -1;
    free(path);
    tdm_buf_free(b);
    return rc;
}

static int runs_csv(const tdm_rep_analysis *an, const char *dir, char *err, size_t errlen)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf b = {0};
    tdm_buf_append_str(&b, "variant,source,configuration,repetition,run,dir,n_agents");
    for (int m = 0; m < TDM_M_N_RUN; m++)
        tdm_buf_printf(&b, ",%s", tdm_rep_metric(m)->key);
    tdm_buf_append_str(&b, ",imbalance,legacy_speedup,calls,failed_calls,cold_loads,token_mismatches,complete,"
                           "tokens_seq,tokens_conc,reported_legacy_efficiency_pct,client_cpu_seq_ms,"
                           "client_cpu_conc_ms,gpu_util_seq_pct,gpu_util_conc_pct,energy_seq_j,energy_conc_j,"
                           "j_per_token_seq,j_per_token_conc,contended,outlier,outlier_mads,host\n");
    for (size_t c = 0; c < ds->n_cells; c++)
        for (size_t k = 0; k < ds->cells[c].n_runs; k++) {
            const tdm_rep_run *r = &ds->runs[ds->cells[c].runs[k]];
            run_id(&b, ds, r);
            integer(&b, (long long)r->n_agents);
            for (int m = 0; m < TDM_M_N_RUN; m++)
                num(&b, r->v[m]);
            num(&b, r->imbalance);
            num(&b, r->legacy_speedup);
            integer(&b, (long long)r->calls);
            integer(&b, (long long)r->failed_calls);
            integer(&b, (long long)r->cold_loads);
            integer(&b, (long long)r->token_mismatches);
            boolean(&b, r->complete);
            integer(&b, (long long)r->tokens_seq);
            integer(&b, (long long)r->tokens_conc);
            num(&b, r->reported_legacy_eff);
            num(&b, r->client_cpu_seq_ms);
            num(&b, r->client_cpu_conc_ms);
            /* GPU telemetry (gpu.csv): empty when the run has none */
            num(&b, r->gpu.util_pct[TDM_REP_SEQ]);
            num(&b, r->gpu.util_pct[TDM_REP_CONC]);
            num(&b, r->gpu.energy_j[TDM_REP_SEQ]);
            num(&b, r->gpu.energy_j[TDM_REP_CONC]);
            num(&b, r->gpu.j_per_token[TDM_REP_SEQ]);
            num(&b, r->gpu.j_per_token[TDM_REP_CONC]);
            /* tails.c: empty when the run has no value of its cell's metric */
            const tdm_rep_tails_run *tr = &an->tails_runs[ds->cells[c].runs[k]];
            if (tr->judged) {
                boolean(&b, tr->contended);
                boolean(&b, tr->outlier);
            } else {
                sep(&b);
                sep(&b);
            }
            num(&b, tr->mads);
            str(&b, tdm_rep_dir_host(ds, r->dir));
            tdm_buf_append_str(&b, "\n");
        }
    return write(dir, "runs.csv", &b, err, errlen);
}

static void sample_row(tdm_buf *b, const char *scope, const tdm_rep_variant *v, const char *config, int m, int ph,
                       const tdm_rep_sample *s, double level)
{
    const tdm_rep_metric_def *d = tdm_rep_metric(m);
    tdm_rep_csv_field(b, scope);
    str(b, v->name);
    str(b, v->source);
    str(b, config);
    str(b, d->key);
    str(b, d->unit);
    str(b, d->per_call ? tdm_rep_phase_key(ph) : "run");
    integer(b, (long long)s->desc.n);
    integer(b, (long long)s->n_undefined);
    num(b, s->desc.mean);
    num(b, s->desc.sd);
    num(b, s->desc.cv);
    num(b, s->desc.median);
    num(b, s->desc.min);
    num(b, s->desc.max);
    num(b, s->desc.p5);
    num(b, s->desc.p95);
    num(b, level);
    num(b, s->ci_t.lo);
    num(b, s->ci_t.hi);
    num(b, s->ci_boot.lo);
    num(b, s->ci_boot.hi);
    tdm_buf_append_str(b, "\n");
}

static void stats_rows(tdm_buf *b, const char *scope, const tdm_rep_variant *v, const char *config,
                       const tdm_rep_cell_stats *cs, double level)
{
    for (int m = 0; m < TDM_M_COUNT; m++) {
        if (!tdm_rep_metric(m)->per_call) {
            sample_row(b, scope, v, config, m, 0, &cs->m[m][0], level);
            continue;
        }
        for (int ph = 0; ph < TDM_REP_NPHASE; ph++)
            sample_row(b, scope, v, config, m, ph, &cs->m[m][ph], level);
    }
}

static int cells_csv(const tdm_rep_analysis *an, const char *dir, char *err, size_t errlen)
{
    const tdm_rep_dataset *ds = an->ds;
    double level = 1.0 - an->settings.alpha;
    tdm_buf b = {0};
    tdm_buf_append_str(&b, "scope,variant,source,configuration,metric,unit,phase,n,n_undefined,mean,sd,cv,median,"
                           "min,max,p5,p95,ci_level,ci_t_lo,ci_t_hi,ci_boot_lo,ci_boot_hi\n");
    for (size_t c = 0; c < ds->n_cells; c++)
        stats_rows(&b, "cell", &ds->variants[ds->cells[c].variant], ds->configs[ds->cells[c].config], &an->cells[c],
                   level);
    for (size_t v = 0; v < ds->n_variants; v++)
        stats_rows(&b, "variant", &ds->variants[v], "", &an->variants[v].pooled, level);
    return write(dir, "cells.csv", &b, err, errlen);
}

static int calls_csv(const tdm_rep_analysis *an, const char *dir, char *err, size_t errlen)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf b = {0};
    tdm_buf_append_str(&b, "variant,source,configuration,repetition,run,dir,agent,phase,step,stage,ok,error_kind,"
                           "cold_load,token_mismatch,tokens,events,ttft_ms,ttft_content_ms,ttfb_ms,server_ttft_ms,"
                           "client_gap_ms,itl_p50_ms,itl_p90_ms,itl_p99_ms,tpot_ms,e2e_ms,decode_tps,"
                           "decode_tps_client,bytes,reads,frames\n");
    for (size_t c = 0; c < ds->n_cells; c++)
        for (size_t k = 0; k < ds->cells[c].n_runs; k++) {
            const tdm_rep_run *r = &ds->runs[ds->cells[c].runs[k]];
            for (size_t i = r->first_call; i < r->first_call + r->n_calls; i++) {
                const tdm_rep_call *call = &ds->calls[i];
                const tdm_call_metrics *m = &call->m;
                run_id(&b, ds, r);
                str(&b, tdm_rep_agent_name(ds, r, call->agent));
                str(&b, tdm_phase_name(call->phase));
                integer(&b, call->step);
                str(&b, tdm_rep_step_name(ds, r, call->agent, call->step));
                boolean(&b, call->ok);
                str(&b, call->ok ? "" : tdm_error_kind_name(call->error_kind));
                boolean(&b, m->cold_load);
                boolean(&b, m->token_mismatch);
                integer(&b, (long long)m->tokens);
                integer(&b, (long long)m->events);
                num(&b, m->ttft_ms);
                num(&b, m->ttft_content_ms);
                num(&b, m->ttfb_ms);
                num(&b, m->server_ttft_ms);
                num(&b, m->client_gap_ms);
                num(&b, m->itl_p50_ms);
                num(&b, m->itl_p90_ms);
                num(&b, m->itl_p99_ms);
                num(&b, m->tpot_ms);
                num(&b, m->e2e_ms);
                num(&b, m->decode_tps);
                num(&b, m->decode_tps_client);
                integer(&b, (long long)call->bytes);
                integer(&b, (long long)call->reads);
                integer(&b, (long long)call->frames);
                tdm_buf_append_str(&b, "\n");
            }
        }
    return write(dir, "calls.csv", &b, err, errlen);
}

static int comparisons_csv(const tdm_rep_analysis *an, const char *dir, char *err, size_t errlen)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf b = {0};
    tdm_buf_append_str(&b, "scope,configuration,metric,phase,a,b,source,n_a,n_b,mean_a,mean_b,diff,diff_ci_lo,"
                           "diff_ci_hi,welch_t,welch_df,p_welch,p_welch_holm,mw_u,p_mw,p_mw_holm,mw_method,hedges_g,"
                           "cliffs_delta,significant,margin,margin_relative_pct,tost_ci_lo,tost_ci_hi,tost_p,equivalent,"
                           "equivalence,mw_reachable\n");
    for (size_t i = 0; i < an->n_cmp; i++) {
        const tdm_rep_comparison *c = &an->cmp[i];
        const tdm_rep_metric_def *d = tdm_rep_metric(c->metric);
        tdm_rep_csv_field(&b, c->scope == TDM_REP_SCOPE_POOLED ? "pooled" : "configuration");
        str(&b, c->config >= 0 ? ds->configs[c->config] : "");
        str(&b, d->key);
        str(&b, d->per_call ? tdm_rep_phase_key(c->phase) : "run");
        str(&b, ds->variants[c->a].name);
        str(&b, ds->variants[c->b].name);
        str(&b, ds->variants[c->a].source);
        integer(&b, (long long)c->n_a);
        integer(&b, (long long)c->n_b);
        num(&b, c->mean_a);
        num(&b, c->mean_b);
        num(&b, c->gap.diff);
        num(&b, c->gap.lo);
        num(&b, c->gap.hi);
        num(&b, c->gap.t);
        num(&b, c->gap.df);
        num(&b, c->gap.p);
        num(&b, c->p_welch_holm);
        num(&b, c->mw.u1);
        num(&b, c->mw.p);
        num(&b, c->p_mw_holm);
        str(&b, c->mw.method == TDM_STATS_MW_EXACT ? "exact" : c->mw.method == TDM_STATS_MW_NORMAL ? "normal" : "");
        num(&b, c->hedges_g);
        num(&b, c->cliffs_delta);
        boolean(&b, c->significant);
        /* empty when the metric has no margin: no judgement was made */
        bool judged = c->equiv != TDM_REP_EQ_NONE;
        const tdm_rep_margin *mg = &an->settings.margin[c->metric];
        num(&b, judged ? c->margin : NAN);
        num(&b, judged && mg->relative ? mg->value : NAN);
        num(&b, c->tost.lo);
        num(&b, c->tost.hi);
        num(&b, c->tost.p);
        if (judged)
            boolean(&b, c->equivalent);
        else
            sep(&b);
        str(&b, judged ? tdm_rep_equiv_key(c->equiv) : "");
        boolean(&b, c->mw_reachable); /* false: too few runs for Mann-Whitney at this correction */
        tdm_buf_append_str(&b, "\n");
    }
    return write(dir, "comparisons.csv", &b, err, errlen);
}

static int tails_csv(const tdm_rep_analysis *an, const char *dir, char *err, size_t errlen)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf b = {0};
    tdm_buf_append_str(&b, "variant,source,configuration,metric,unit,phase,n,p50,p90,p99\n");
    for (size_t c = 0; c < ds->n_cells; c++) {
        const tdm_rep_variant *v = &ds->variants[ds->cells[c].variant];
        for (int t = 0; t < TDM_REP_NTAIL; t++)
            for (int ph = 0; ph < TDM_REP_NPHASE; ph++) {
                const tdm_rep_tail *q = &an->tails[c].q[t][ph];
                tdm_rep_csv_field(&b, v->name);
                str(&b, v->source);
                str(&b, ds->configs[ds->cells[c].config]);
                str(&b, tdm_rep_tail_key(t));
                str(&b, "ms");
                str(&b, tdm_rep_phase_key(ph));
                integer(&b, (long long)q->n);
                num(&b, q->p50);
                num(&b, q->p90);
                num(&b, q->p99);
                tdm_buf_append_str(&b, "\n");
            }
    }
    return write(dir, "tails.csv", &b, err, errlen);
}

static int contention_csv(const tdm_rep_analysis *an, const char *dir, char *err, size_t errlen)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf b = {0};
    tdm_buf_append_str(&b, "variant,source,configuration,metric,threshold_pct,n_runs,n_judged,n_contended,"
                           "contention_rate,median,mad_scaled,outlier_mads,outliers_judged,n_outliers\n");
    for (size_t c = 0; c < ds->n_cells; c++) {
        const tdm_rep_variant *v = &ds->variants[ds->cells[c].variant];
        const tdm_rep_tails_cell *tc = &an->tails[c];
        tdm_rep_csv_field(&b, v->name);
        str(&b, v->source);
        str(&b, ds->configs[ds->cells[c].config]);
        str(&b, tc->metric >= 0 ? tdm_rep_metric(tc->metric)->key : "");
        num(&b, TDM_REP_CONTENTION_PCT);
        integer(&b, (long long)ds->cells[c].n_runs);
        integer(&b, (long long)tc->n_judged);
        integer(&b, (long long)tc->n_contended);
        num(&b, tc->contention_rate);
        num(&b, tc->median);
        num(&b, tc->mad_scaled);
        num(&b, TDM_REP_OUTLIER_MADS);
        boolean(&b, tc->outliers_judged);
        integer(&b, (long long)tc->n_outliers);
        tdm_buf_append_str(&b, "\n");
    }
    return write(dir, "contention.csv", &b, err, errlen);
}

/* gain_curve.csv: one row per line and agent count (gain_curve.c); not written when the
 * runs share one N, so such reports keep their files as they were. */
static int gain_curve_csv(const tdm_rep_analysis *an, const char *dir, char *err, size_t errlen)
{
    if (an->curve.n_lines == 0)
        return 0;
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf b = {0};
    tdm_buf_append_str(&b, "variant,source,layout,n_agents,runs,efficiency_pct,efficiency_ci_lo,efficiency_ci_hi,"
                           "tokens_per_s,tokens_per_s_ci_lo,tokens_per_s_ci_hi,growth_per_doubling_pct,ttft_p50_ms,"
                           "ttft_p99_ms,slowdown,slowdown_ci_lo,slowdown_ci_hi,knee,knee_reason,best\n");
    for (size_t i = 0; i < an->curve.n_lines; i++) {
        const tdm_rep_curve_line *l = &an->curve.lines[i];
        for (size_t k = 0; k < l->n_points; k++) {
            const tdm_rep_curve_point *p = &l->points[k];
            tdm_rep_csv_field(&b, ds->variants[l->variant].name);
            str(&b, ds->variants[l->variant].source);
            str(&b, l->layout);
            integer(&b, (long long)p->n_agents);
            integer(&b, (long long)p->n_runs);
            const tdm_rep_curve_value *v[] = {&p->efficiency, &p->tokens_s};
            for (int j = 0; j < 2; j++) {
                num(&b, v[j]->mean);
                num(&b, v[j]->lo);
                num(&b, v[j]->hi);
            }
            num(&b, p->growth_pct);
            num(&b, p->ttft.p50);
            num(&b, p->ttft.p99);
            num(&b, p->slowdown.mean);
            num(&b, p->slowdown.lo);
            num(&b, p->slowdown.hi);
            boolean(&b, l->knee == (long)k);
            str(&b, l->knee == (long)k ? tdm_rep_knee_key(l->knee_reason) : "");
            boolean(&b, l->best == (long)k);
            tdm_buf_append_str(&b, "\n");
        }
    }
    return write(dir, "gain_curve.csv", &b, err, errlen);
}

/* open_loop.csv: one row per line and offered rate (open_loop.c); not written when no run
 * is open-loop, so other reports keep their files as they were. */
static int open_loop_csv(const tdm_rep_analysis *an, const char *dir, char *err, size_t errlen)
{
    const tdm_rep_open_loop *ol = &an->open_loop;
    if (ol->n_lines == 0)
        return 0;
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf b = {0};
    tdm_buf_append_str(&b, "variant,source,layout,process,rate,runs,calls,ok_calls,offered_per_s,offered_ci_lo,"
                           "offered_ci_hi,achieved_per_s,achieved_ci_lo,achieved_ci_hi,ok_pct,ok_pct_ci_lo,"
                           "ok_pct_ci_hi");
    for (int k = 0; k < TDM_REP_OL_NLAT; k++) {
        const char *key = tdm_rep_ol_lat_key(k); /* "ttft_from_due_ms" -> ttft_from_due_p50_ms, ... */
        int stem = (int)(strlen(key) - 3);
        tdm_buf_printf(&b, ",%.*s_p50_ms,%.*s_p90_ms,%.*s_p99_ms", stem, key, stem, key, stem, key);
    }
    tdm_buf_append_str(&b, ",keeps_up,knee,knee_reason,best\n");
    for (size_t i = 0; i < ol->n_lines; i++) {
        const tdm_rep_ol_line *l = &ol->lines[i];
        for (size_t k = 0; k < l->n_points; k++) {
            const tdm_rep_ol_point *p = &l->points[k];
            tdm_rep_csv_field(&b, ds->variants[l->variant].name);
            str(&b, ds->variants[l->variant].source);
            str(&b, l->layout);
            str(&b, l->process);
            num(&b, p->rate);
            integer(&b, (long long)p->n_runs);
            integer(&b, (long long)p->n_due);
            integer(&b, (long long)p->n_ok);
            const tdm_rep_curve_value *v[] = {&p->offered, &p->achieved, &p->ok_pct};
            for (int j = 0; j < 3; j++) {
                num(&b, v[j]->mean);
                num(&b, v[j]->lo);
                num(&b, v[j]->hi);
            }
            for (int j = 0; j < TDM_REP_OL_NLAT; j++) {
                num(&b, p->q[j].p50);
                num(&b, p->q[j].p90);
                num(&b, p->q[j].p99);
            }
            boolean(&b, tdm_rep_ol_keeps_up(p));
            boolean(&b, l->knee == (long)k);
            str(&b, l->knee == (long)k ? tdm_rep_ol_knee_key(l->knee_reason) : "");
            boolean(&b, l->best == (long)k);
            tdm_buf_append_str(&b, "\n");
        }
    }
    return write(dir, "open_loop.csv", &b, err, errlen);
}

/* workflows.csv: one row per workflow (configuration) and variant (workflows.c), each
 * number's mean and CI, then the workflow's ideal speedup over every variant's runs,
 * whether it is a chain, and whether this variant came closest; not written when no run is
 * a workflow, so other reports keep their files as they were. */
static int workflows_csv(const tdm_rep_analysis *an, const char *dir, char *err, size_t errlen)
{
    const tdm_rep_workflows *wf = &an->workflows;
    if (wf->n_configs == 0)
        return 0;
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf b = {0};
    tdm_buf_append_str(&b, "configuration,variant,source,runs,incomplete_runs");
    for (int v = 0; v < TDM_REP_WF_NVAL; v++)
        tdm_buf_printf(&b, ",%s,%s_ci_lo,%s_ci_hi", tdm_rep_wf_key(v), tdm_rep_wf_key(v), tdm_rep_wf_key(v));
    tdm_buf_append_str(&b, ",workflow_ideal_speedup,workflow_ideal_speedup_ci_lo,workflow_ideal_speedup_ci_hi,chain,"
                           "closest\n");
    for (size_t i = 0; i < wf->n_configs; i++) {
        const tdm_rep_wf_config *g = &wf->configs[i];
        for (size_t k = g->first; k < g->first + g->n_cells; k++) {
            const tdm_rep_wf_cell *c = &wf->cells[k];
            tdm_rep_csv_field(&b, ds->configs[g->config]);
            str(&b, ds->variants[c->variant].name);
            str(&b, ds->variants[c->variant].source);
            integer(&b, (long long)c->n_runs);
            integer(&b, (long long)c->n_incomplete);
            for (int v = 0; v < TDM_REP_WF_NVAL; v++) {
                num(&b, c->v[v].mean);
                num(&b, c->v[v].lo);
                num(&b, c->v[v].hi);
            }
            num(&b, g->ideal.mean);
            num(&b, g->ideal.lo);
            num(&b, g->ideal.hi);
            boolean(&b, g->chain);
            boolean(&b, g->closest == (long)k);
            tdm_buf_append_str(&b, "\n");
        }
    }
    return write(dir, "workflows.csv", &b, err, errlen);
}

int tdm_rep_write_csvs(const tdm_rep_analysis *an, const char *out_dir, char *err, size_t errlen)
{
    if (runs_csv(an, out_dir, err, errlen) || cells_csv(an, out_dir, err, errlen) ||
        calls_csv(an, out_dir, err, errlen) || comparisons_csv(an, out_dir, err, errlen) ||
        tails_csv(an, out_dir, err, errlen) || contention_csv(an, out_dir, err, errlen) ||
        gain_curve_csv(an, out_dir, err, errlen) || open_loop_csv(an, out_dir, err, errlen) ||
        workflows_csv(an, out_dir, err, errlen))
        return -1;
    return 0;
}
