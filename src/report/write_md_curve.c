/* write_md_curve.c — the Technical Report's "Gain curve" section: per line (a variant,
 * and the server layout where the runs tell layouts apart) a table of efficiency,
 * aggregate tokens/s, TTFT p50/p99 and per-agent slowdown against the number of agents
 * N, then a sentence naming the knee and the best operating point with their
 * definitions. Nothing at all when every run has the same N (gain_curve.c finds no line),
 * so reports of one agent count read as before. */
#include <math.h>
#include <stdio.h>

#include "report/output.h"

static void fmt(tdm_buf *b, double v, int decimals)
{
    char x[64];
    tdm_buf_append_str(b, tdm_rep_fmt(x, sizeof x, v, decimals));
}

void tdm_rep_md_mean_ci(tdm_buf *b, const tdm_rep_curve_value *v, int decimals)
{
    fmt(b, v->mean, decimals);
    if (isfinite(v->lo) && isfinite(v->hi)) {
        tdm_buf_append_str(b, " [");
        fmt(b, v->lo, decimals);
        tdm_buf_append_str(b, " – ");
        fmt(b, v->hi, decimals);
        tdm_buf_append_str(b, "]");
    }
}

static void line_table(tdm_buf *b, const tdm_rep_curve_line *l, double level)
{
    tdm_buf_append_str(b, "### ");
    tdm_rep_md_text(b, l->label);
    tdm_buf_printf(b, "\n\n| N | runs | efficiency %% [%.0f%% bootstrap CI] | tokens/s [%.0f%% t CI] | growth per "
                      "doubling | TTFT p50 ms | TTFT p99 ms | slowdown T_conc_i / T_seq_i |\n"
                      "|---|---|---|---|---|---|---|---|\n",
                   100.0 * level, 100.0 * level);
    for (size_t i = 0; i < l->n_points; i++) {
        const tdm_rep_curve_point *p = &l->points[i];
        tdm_buf_printf(b, "| %zu | %zu | ", p->n_agents, p->n_runs);
        tdm_rep_md_mean_ci(b, &p->efficiency, 1);
        tdm_buf_append_str(b, " | ");
        tdm_rep_md_mean_ci(b, &p->tokens_s, 1);
        tdm_buf_append_str(b, " | ");
        if (isfinite(p->growth_pct))
            tdm_buf_printf(b, "%+.1f %%", p->growth_pct);
        else
            tdm_buf_append_str(b, "–");
        tdm_buf_append_str(b, " | ");
        fmt(b, p->ttft.p50, 1);
        tdm_buf_append_str(b, " | ");
        fmt(b, p->ttft.p99, 1);
        tdm_buf_append_str(b, " | ");
        tdm_rep_md_mean_ci(b, &p->slowdown, 2);
        tdm_buf_append_str(b, " |\n");
    }
    tdm_buf_append_str(b, "\n");
}

/* The knee and best point of a line, in one sentence each. */
static void line_verdict(tdm_buf *b, const tdm_rep_curve_line *l)
{
    size_t n_max = l->points[l->n_points - 1].n_agents;
    if (l->knee >= 0) {
        const tdm_rep_curve_point *k = &l->points[l->knee];
        tdm_buf_printf(b, "**Knee: N = %zu**", k->n_agents);
        if (l->knee_reason == TDM_REP_KNEE_EFFICIENCY) {
            tdm_buf_append_str(b, " (efficiency ");
            fmt(b, k->efficiency.mean, 1);
            tdm_buf_printf(b, " %% is below %.0f %%). ", TDM_REP_KNEE_EFF_PCT);
        } else {
            tdm_buf_printf(b, " (tokens/s grew by %.1f %% per doubling of N since N = %zu, below %.0f %%). ",
                           k->growth_pct, l->points[l->knee - 1].n_agents, TDM_REP_KNEE_GROWTH_PCT);
        }
    } else {
        tdm_buf_printf(b, "**No knee up to N = %zu**: efficiency stays at %.0f %% or above and tokens/s grows by "
                          "%.0f %% or more per doubling. ",
                       n_max, TDM_REP_KNEE_EFF_PCT, TDM_REP_KNEE_GROWTH_PCT);
    }
    if (l->best >= 0) {
        const tdm_rep_curve_point *p = &l->points[l->best];
        tdm_buf_printf(b, "**Best operating point: N = %zu**, ", p->n_agents);
        fmt(b, p->tokens_s.mean, 1);
        tdm_buf_append_str(b, " tokens/s at ");
        fmt(b, p->efficiency.mean, 1);
        tdm_buf_append_str(b, " % efficiency.\n\n");
    } else {
        tdm_buf_printf(b, "**No best operating point**: no N keeps the efficiency at %.0f %% or above.\n\n",
                       TDM_REP_KNEE_EFF_PCT);
    }
}

void tdm_rep_md_curve_section(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_curve *cv = &an->curve;
    if (cv->n_lines == 0)
        return;
    tdm_buf_printf(b, "## Gain curve\n\n"
                      "The runs span several agent counts N. Per variant (and server layout or num\\_parallel, "
                      "where the runs tell them apart; a one-agent run belongs to every layout) and N: the "
                      "efficiency (100 × T_seq / (N × T_conc)), the aggregate output tokens/s of the concurrent "
                      "phase (server-counted tokens / T_conc), its growth per doubling of N since the previous N "
                      "((tps_b / tps_a)^(1 / log2(N_b / N_a)) − 1), TTFT p50/p99 over the concurrent phase's "
                      "calls (failed calls and cold loads left out), and each agent's slowdown T_conc_i / T_seq_i "
                      "(its summed call times together over alone; 1 = no slowdown, N = no gain on a shared "
                      "device). 100/N %% efficiency is no gain at all. "
                      "**Knee**: the smallest N whose mean efficiency is below %.0f %% (the contention rule "
                      "above), or, failing that, whose tokens/s grew by less than %.0f %% per doubling. **Best "
                      "operating point**: the N with the highest mean tokens/s whose mean efficiency is still "
                      "%.0f %% or more (ties go to the smaller N). The same numbers are in gain\\_curve.csv and "
                      "analysis.json (`gain_curve`).\n\n",
                   TDM_REP_KNEE_EFF_PCT, TDM_REP_KNEE_GROWTH_PCT, TDM_REP_KNEE_EFF_PCT);
    for (size_t i = 0; i < cv->n_lines; i++) {
        line_table(b, &cv->lines[i], 1.0 - an->settings.alpha);
        line_verdict(b, &cv->lines[i]);
    }
}
