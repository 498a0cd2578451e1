/* write_md_workflows.c — the Technical Report's "Workflows: makespan against critical path"
 * section: per workflow (a configuration) a table of each variant's critical path,
 * makespan, ideal and achieved speedups and workflow efficiency, then a sentence naming
 * what the dependencies allow and how close each variant came, or that the workflow is a
 * chain with nothing to gain; the same sentences lead the Summary. Nothing at all when no
 * run is a workflow (workflows.c finds none), so other reports read as before. */
#include <math.h>
#include <stdio.h>

#include "report/output.h"

static void fmt(tdm_buf *b, double v, int decimals)
{
    char x[64];
    tdm_buf_append_str(b, tdm_rep_fmt(x, sizeof x, v, decimals));
}

/* decimals per value, in the order of workflows.h: seconds to the millisecond, speedups
 * and the efficiency as their tables print them */
static const int DECIMALS[TDM_REP_WF_NVAL] = {3, 3, 3, 3, 3, 2};

static void wf_table(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_wf_config *g)
{
    const tdm_rep_dataset *ds = an->ds;
    double level = 100.0 * (1.0 - an->settings.alpha);
    tdm_buf_append_str(b, "### ");
    tdm_rep_md_text(b, ds->configs[g->config]);
    tdm_buf_printf(b, "\n\n| variant | runs | T_seq s [%.0f%% t CI] | critical path s [%.0f%% t CI] | makespan s "
                      "[%.0f%% t CI] | ideal speedup [%.0f%% t CI] | achieved speedup [%.0f%% t CI] | workflow "
                      "efficiency %% [%.0f%% bootstrap CI] |\n"
                      "|---|---|---|---|---|---|---|---|\n",
                   level, level, level, level, level, level);
    for (size_t i = g->first; i < g->first + g->n_cells; i++) {
        const tdm_rep_wf_cell *c = &an->workflows.cells[i];
        tdm_buf_append_str(b, "| ");
        tdm_rep_md_text(b, ds->variants[c->variant].label);
        tdm_buf_printf(b, " | %zu", c->n_runs);
        if (c->n_incomplete)
            tdm_buf_printf(b, " (%zu with a failed call)", c->n_incomplete);
        for (int v = 0; v < TDM_REP_WF_NVAL; v++) {
            tdm_buf_append_str(b, " | ");
            tdm_rep_md_mean_ci(b, &c->v[v], DECIMALS[v]);
        }
        tdm_buf_append_str(b, " |\n");
    }
    tdm_buf_append_str(b, "\n");
}

/* "smol 99.96 % (achieved 1.75×)" */
static void reached(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_wf_cell *c)
{
    tdm_rep_md_text(b, an->ds->variants[c->variant].label);
    tdm_buf_append_str(b, " ");
    fmt(b, c->v[TDM_REP_WF_EFFICIENCY].mean, DECIMALS[TDM_REP_WF_EFFICIENCY]);
    tdm_buf_append_str(b, " % (achieved ");
    fmt(b, c->v[TDM_REP_WF_ACHIEVED].mean, 2);
    tdm_buf_append_str(b, "×)");
}

/* Whether every other variant's efficiency interval reaches the closest one's: then
 * naming the closest would read more into the means than the runs hold. */
static bool all_overlap(const tdm_rep_wf_cell *cells, const tdm_rep_wf_config *g)
{
    const tdm_rep_curve_value *best = &cells[g->closest].v[TDM_REP_WF_EFFICIENCY];
    if (!isfinite(best->lo))
        return false;
    for (size_t i = g->first; i < g->first + g->n_cells; i++) {
        const tdm_rep_curve_value *e = &cells[i].v[TDM_REP_WF_EFFICIENCY];
        if ((long)i != g->closest && !(isfinite(e->hi) && e->hi >= best->lo))
            return false;
    }
    return true;
}

/* How close each variant came: the closest first, then the others in table order; in
 * table order alone when the intervals do not tell them apart. Means within
 * TDM_REP_WF_CLOSE_PP of one another are said to be too close to matter. */
static void how_close(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_wf_config *g)
{
    const tdm_rep_wf_cell *cells = an->workflows.cells;
    if (g->n_cells == 1) {
        tdm_buf_append_str(b, "It reached ");
        reached(b, an, &cells[g->first]);
        tdm_buf_append_str(b, " of the ideal.");
        return;
    }
    bool overlap = all_overlap(cells, g);
    tdm_buf_append_str(b, "Share of the ideal reached (workflow efficiency): ");
    if (!overlap) {
        reached(b, an, &cells[g->closest]);
        tdm_buf_append_str(b, ", the closest");
    }
    bool first = overlap;
    for (size_t i = g->first; i < g->first + g->n_cells; i++) {
        if (!overlap && (long)i == g->closest)
            continue;
        tdm_buf_append_str(b, first ? "" : "; ");
        first = false;
        reached(b, an, &cells[i]);
    }
    tdm_buf_append_str(b, ".");
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = g->first; i < g->first + g->n_cells; i++) {
        double e = cells[i].v[TDM_REP_WF_EFFICIENCY].mean;
        lo = isfinite(e) ? fmin(lo, e) : lo;
        hi = isfinite(e) ? fmax(hi, e) : hi;
    }
    if (hi - lo < TDM_REP_WF_CLOSE_PP)
        tdm_buf_printf(b, " All lie within %.0f pp of one another, too close to matter.", TDM_REP_WF_CLOSE_PP);
    else if (overlap)
        tdm_buf_append_str(b, " Their intervals overlap: these runs do not tell the variants apart.");
}

/* What the dependencies allow, and how close each variant came, in a sentence or two,
 * without the paragraph's end: the section and the Summary each end it their own way. */
static void wf_verdict(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_wf_config *g)
{
    const char *name = an->ds->configs[g->config];
    size_t runs = 0;
    for (size_t i = g->first; i < g->first + g->n_cells; i++)
        runs += an->workflows.cells[i].n_runs;
    if (!isfinite(g->ideal.mean)) {
        tdm_buf_append_str(b, "**");
        tdm_rep_md_text(b, name);
        tdm_buf_append_str(b, ": no ideal speedup**: no run has a critical path (each needs a sequential phase "
                              "and every call to succeed).");
        return;
    }
    tdm_buf_append_str(b, "**");
    tdm_rep_md_text(b, name);
    if (g->chain) {
        tdm_buf_append_str(b, ": nothing to gain**: its ideal speedup is ");
        tdm_rep_md_mean_ci(b, &g->ideal, DECIMALS[TDM_REP_WF_IDEAL]);
        tdm_buf_printf(b, " (mean over %zu runs), below %.2f: its steps form a chain, each waiting for the one "
                          "before, so running the agents together cannot shorten it; a variant can only lose time "
                          "between the steps. ",
                       g->ideal.n, TDM_REP_WF_CHAIN_SPEEDUP);
    } else {
        tdm_buf_append_str(b, ": the dependencies allow ");
        fmt(b, g->ideal.mean, 2);
        tdm_buf_append_str(b, "×** (the ideal speedup T_seq / critical path: ");
        tdm_rep_md_mean_ci(b, &g->ideal, DECIMALS[TDM_REP_WF_IDEAL]);
        tdm_buf_printf(b, ", mean over %zu runs). ", g->ideal.n);
    }
    if (g->ideal.n < runs)
        tdm_buf_printf(b, "%zu of its %zu runs had a failed call and no speedups. ", runs - g->ideal.n, runs);
    if (g->closest >= 0)
        how_close(b, an, g);
}

void tdm_rep_md_workflows_section(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_workflows *wf = &an->workflows;
    if (wf->n_configs == 0)
        return;
    tdm_buf_append_str(b,
                       "## Workflows: makespan against critical path\n\n"
                       "Some runs are workflows: a step waits for other agents' steps (`after:`), embeds what they "
                       "produced or pauses to think, so the agents cannot all run at once. The sequential phase runs "
                       "one step at a time in an order the dependencies allow (T_seq: its span); the concurrent "
                       "phase runs each step as soon as its inputs exist. Per run, as the core computes them "
                       "(summary.json, `workflow`): the **critical path**, the longest chain of dependent steps, "
                       "each weighed by its own time in the sequential phase (its think time included); the "
                       "**makespan**, the concurrent phase from the release to the last step done (T_conc); the "
                       "**ideal speedup** T_seq / critical path, what the dependencies allow; the **achieved "
                       "speedup** T_seq / makespan; and the **workflow efficiency** 100 × critical path / makespan, "
                       "the share of the ideal reached. 100 % means every step ran as soon as its inputs existed "
                       "and no slower than alone; below it, steps waited after their inputs existed, or ran slower "
                       "beside others (sharing a server), which these numbers do not tell apart. Per workflow "
                       "(configuration) and variant: the means over runs with their t CIs (the efficiency's a "
                       "percentile bootstrap, which stays within the values observed); a workflow's ideal speedup in the "
                       "sentence below its table is over every variant's runs. The same numbers are in "
                       "workflows.csv and analysis.json (`workflows`, with each run's own), and figure "
                       "fig\\_workflows plots each run's makespan against its critical path.\n\n");
    for (size_t i = 0; i < wf->n_configs; i++) {
        wf_table(b, an, &wf->configs[i]);
        wf_verdict(b, an, &wf->configs[i]);
        tdm_buf_append_str(b, "\n\n");
    }
}

void tdm_rep_md_workflows_summary(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_workflows *wf = &an->workflows;
    if (wf->n_configs == 0)
        return;
    tdm_buf_append_str(b, "A workflow's dependencies cap its speedup at its ideal (T_seq / critical path), and so "
                          "its efficiency (speedup / N) at 100 × ideal / N %, whatever the runtime; the workflow "
                          "efficiency, the share of that ideal reached, tells how well each runtime ran it (see "
                          "[Workflows: makespan against critical "
                          "path](#workflows-makespan-against-critical-path)):\n\n");
    for (size_t i = 0; i < wf->n_configs; i++) {
        tdm_buf_append_str(b, "- ");
        wf_verdict(b, an, &wf->configs[i]);
        tdm_buf_append_str(b, "\n");
    }
    tdm_buf_append_str(b, "\n");
}
