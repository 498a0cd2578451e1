/* write_md_tails.c — the Technical Report's "Tails, contention and outliers" section: per
 * cell and phase the p50/p90/p99 of TTFT, ITL and e2e; per cell the contention rate with
 * its definition; and every run flagged as an outlier, with its value. Its own file
 * because the Results tables speak of means and CIs, and this section of what they hide. */
#include <math.h>
#include <stdio.h>

#include "report/output.h"

static void fmt(tdm_buf *b, double v, int decimals)
{
    char x[64];
    tdm_buf_append_str(b, tdm_rep_fmt(x, sizeof x, v, decimals));
}

/* Three significant digits: a cell's spread can be far below the metric's own decimals. */
static void sig(tdm_buf *b, double v)
{
    if (isfinite(v))
        tdm_buf_printf(b, "%.3g", v);
    else
        tdm_buf_append_str(b, "n/a");
}

static void latency_table(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf_append_str(b, "### Latency tails, ms\n\n"
                          "Quantiles (linear interpolation, R type 7) pooled over the calls of each cell's runs, per "
                          "phase; failed calls and cold loads left out. ITL is each call's median gap between "
                          "tokens, so its p99 is the 99th percentile of the calls' medians, not of single gaps "
                          "(each call's own p90/p99 gaps are in calls.csv). The same numbers are in tails.csv.\n\n"
                          "| variant | configuration | phase | calls | TTFT p50 | TTFT p90 | TTFT p99 | ITL p50 | "
                          "ITL p90 | ITL p99 | e2e p50 | e2e p90 | e2e p99 |\n"
                          "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    static const int dec[TDM_REP_NTAIL] = {[TDM_REP_TAIL_TTFT] = 1, [TDM_REP_TAIL_ITL] = 2, [TDM_REP_TAIL_E2E] = 1};
    for (size_t c = 0; c < ds->n_cells; c++) {
        const tdm_rep_tails_cell *tc = &an->tails[c];
        for (int ph = 0; ph < TDM_REP_NPHASE; ph++) {
            if (tc->q[TDM_REP_TAIL_TTFT][ph].n == 0 && tc->q[TDM_REP_TAIL_E2E][ph].n == 0)
                continue; /* the phase did not run (or no call of it succeeded) */
            tdm_buf_append_str(b, "| ");
            tdm_rep_md_text(b, ds->variants[ds->cells[c].variant].label);
            tdm_buf_append_str(b, " | ");
            tdm_rep_md_text(b, ds->configs[ds->cells[c].config]);
            tdm_buf_printf(b, " | %s | %zu", tdm_rep_phase_key(ph), tc->q[TDM_REP_TAIL_E2E][ph].n);
            for (int t = 0; t < TDM_REP_NTAIL; t++) {
                const tdm_rep_tail *q = &tc->q[t][ph];
                tdm_buf_append_str(b, " | ");
                fmt(b, q->p50, dec[t]);
                tdm_buf_append_str(b, " | ");
                fmt(b, q->p90, dec[t]);
                tdm_buf_append_str(b, " | ");
                fmt(b, q->p99, dec[t]);
            }
            tdm_buf_append_str(b, " |\n");
        }
    }
    tdm_buf_append_str(b, "\n");
}

static void contention_table(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf_printf(b, "### Contention and outliers\n\n"
                      "**Contention rate**: the share of a cell's runs whose efficiency is below %.0f %%, the seed "
                      "harness's rule (speedup below 1.5 at N = 2) generalised to N agents, since efficiency = 100 "
                      "× speedup / N. Cells with no sequential phase (imported seed runs) are judged on the legacy "
                      "efficiency instead, where the same threshold is exactly the seed's own rule (its speedup "
                      "below 1.5 at N = 2). **Outliers**: runs more than %.0f scaled MADs (%.4f × the median "
                      "absolute deviation) from their cell's median on the same metric; they are flagged, and kept "
                      "in every statistic. A cell needs 3 runs and a MAD above 0 to be judged. Per cell in "
                      "contention.csv, per run in runs.csv (contended, outlier, outlier_mads).\n\n"
                      "| variant | configuration | metric | runs judged | contended | contention rate | median | "
                      "scaled MAD | outliers |\n|---|---|---|---|---|---|---|---|---|\n",
                   TDM_REP_CONTENTION_PCT, TDM_REP_OUTLIER_MADS, TDM_REP_MAD_SCALE);
    for (size_t c = 0; c < ds->n_cells; c++) {
        const tdm_rep_tails_cell *tc = &an->tails[c];
        if (tc->metric < 0)
            continue;
        tdm_buf_append_str(b, "| ");
        tdm_rep_md_text(b, ds->variants[ds->cells[c].variant].label);
        tdm_buf_append_str(b, " | ");
        tdm_rep_md_text(b, ds->configs[ds->cells[c].config]);
        tdm_buf_printf(b, " | `%s` | %zu | %zu | ", tdm_rep_metric(tc->metric)->key, tc->n_judged, tc->n_contended);
        if (isfinite(tc->contention_rate))
            tdm_buf_printf(b, "%.0f %%", 100.0 * tc->contention_rate);
        else
            tdm_buf_append_str(b, "n/a");
        tdm_buf_append_str(b, " | ");
        fmt(b, tc->median, 2);
        tdm_buf_append_str(b, " | ");
        sig(b, tc->mad_scaled);
        if (tc->outliers_judged)
            tdm_buf_printf(b, " | %zu |\n", tc->n_outliers);
        else
            tdm_buf_append_str(b, tc->n_judged < 3 ? " | not judged (fewer than 3 runs) |\n"
                                                   : " | not judged (MAD 0) |\n");
    }
    tdm_buf_append_str(b, "\n");
}

static void outlier_list(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    size_t n = 0;
    for (size_t c = 0; c < ds->n_cells; c++) {
        const tdm_rep_tails_cell *tc = &an->tails[c];
        for (size_t k = 0; k < ds->cells[c].n_runs; k++) {
            size_t ri = ds->cells[c].runs[k];
            const tdm_rep_tails_run *tr = &an->tails_runs[ri];
            if (!tr->outlier)
                continue;
            if (n++ == 0)
                tdm_buf_append_str(b, "Runs flagged as outliers (kept in every statistic):\n\n");
            const tdm_rep_run *r = &ds->runs[ri];
            tdm_buf_append_str(b, "- ");
            tdm_rep_md_text(b, ds->variants[ds->cells[c].variant].label);
            tdm_buf_append_str(b, ", ");
            tdm_rep_md_text(b, ds->configs[ds->cells[c].config]);
            tdm_buf_append_str(b, ", ");
            tdm_rep_md_text(b, ds->dirs[r->dir].path);
            tdm_buf_printf(b, " run\\_%d: `%s` = ", r->run, tdm_rep_metric(tc->metric)->key);
            fmt(b, r->v[tc->metric], 2);
            tdm_buf_append_str(b, " (cell median ");
            fmt(b, tc->median, 2);
            tdm_buf_append_str(b, ", ");
            fmt(b, tr->mads, 1);
            tdm_buf_append_str(b, " scaled MADs)\n");
        }
    }
    if (n == 0)
        tdm_buf_printf(b, "No run lies more than %.0f scaled MADs from its cell's median.\n", TDM_REP_OUTLIER_MADS);
    tdm_buf_append_str(b, "\n");
}

void tdm_rep_md_tails_section(tdm_buf *b, const tdm_rep_analysis *an)
{
    tdm_buf_append_str(b, "## Tails, contention and outliers\n\n");
    if (!an->tails || an->ds->n_cells == 0) {
        tdm_buf_append_str(b, "No cells: nothing to show.\n\n");
        return;
    }
    latency_table(b, an);
    contention_table(b, an);
    outlier_list(b, an);
}
