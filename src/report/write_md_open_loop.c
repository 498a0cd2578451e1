/* write_md_open_loop.c — the Technical Report's "Latency against offered load" section:
 * per line (a variant, its arrival process, configuration and servers) a table of the
 * offered and achieved rates and the latencies from the due instant against the offered
 * rate λ, then a sentence naming the knee and the best operating point (the sustainable
 * rate) with their definitions; the same sentences lead the Summary, since efficiency
 * cannot rank open-loop runs. Nothing at all when no run is open-loop (open_loop.c finds
 * no line), so other reports read as before. */
#include <math.h>
#include <stdio.h>

#include "report/output.h"

static void fmt(tdm_buf *b, double v, int decimals)
{
    char x[64];
    tdm_buf_append_str(b, tdm_rep_fmt(x, sizeof x, v, decimals));
}

/* A rate as the scenario gave it: 2, 2.5, 3.125 (at most three decimals in a sweep). */
static void rate(tdm_buf *b, double v)
{
    tdm_buf_printf(b, "%.6g", v);
}

/* "p50 / p99" of one latency. */
static void tail(tdm_buf *b, const tdm_rep_tail *q)
{
    fmt(b, q->p50, 1);
    tdm_buf_append_str(b, " / ");
    fmt(b, q->p99, 1);
}

static void line_table(tdm_buf *b, const tdm_rep_ol_line *l, double level)
{
    tdm_buf_append_str(b, "### ");
    tdm_rep_md_text(b, l->label);
    tdm_buf_printf(b, "\n\n| λ calls/s | runs | calls (ok) | offered calls/s [%.0f%% t CI] | achieved calls/s "
                      "[%.0f%% t CI] | ok %% | TTFT from due p50 / p99 ms | client wait p50 / p99 ms | TTFT from "
                      "send p50 / p99 ms | e2e from due p50 / p99 ms |\n"
                      "|---|---|---|---|---|---|---|---|---|---|\n",
                   100.0 * level, 100.0 * level);
    for (size_t i = 0; i < l->n_points; i++) {
        const tdm_rep_ol_point *p = &l->points[i];
        tdm_buf_append_str(b, "| ");
        rate(b, p->rate);
        if (l->knee == (long)i)
            tdm_buf_append_str(b, " (knee)");
        else if (l->best == (long)i)
            tdm_buf_append_str(b, " (best)");
        tdm_buf_printf(b, " | %zu | %zu (%zu) | ", p->n_runs, p->n_due, p->n_ok);
        tdm_rep_md_mean_ci(b, &p->offered, 2);
        tdm_buf_append_str(b, " | ");
        tdm_rep_md_mean_ci(b, &p->achieved, 2);
        tdm_buf_append_str(b, " | ");
        fmt(b, p->ok_pct.mean, 1);
        for (int k = 0; k < TDM_REP_OL_NLAT; k++) {
            tdm_buf_append_str(b, " | ");
            tail(b, &p->q[k]);
        }
        tdm_buf_append_str(b, " |\n");
    }
    tdm_buf_append_str(b, "\n");
}

/* The knee and the sustainable rate of a line, in one sentence each, without the
 * paragraph's end: the section and the Summary each end it their own way. */
static void line_verdict(tdm_buf *b, const tdm_rep_ol_line *l)
{
    const tdm_rep_ol_point *lo = &l->points[0], *hi = &l->points[l->n_points - 1];
    if (l->knee >= 0) {
        const tdm_rep_ol_point *k = &l->points[l->knee];
        tdm_buf_append_str(b, "**Knee: λ = ");
        rate(b, k->rate);
        tdm_buf_append_str(b, " calls/s**");
        if (l->knee_reason == TDM_REP_OL_KNEE_THROUGHPUT) {
            tdm_buf_append_str(b, " (the calls completed at ");
            fmt(b, k->achieved.mean, 2);
            tdm_buf_append_str(b, " calls/s, ");
            fmt(b, 100.0 * k->achieved.mean / (isfinite(k->offered.mean) ? k->offered.mean : k->rate), 1);
            tdm_buf_append_str(b, " % of the ");
            fmt(b, isfinite(k->offered.mean) ? k->offered.mean : k->rate, 2);
            tdm_buf_printf(b, " calls/s offered, below %.0f %%: the queue grows for as long as calls arrive). ",
                           TDM_REP_OL_KEEP_UP_PCT);
        } else {
            tdm_buf_append_str(b, " (p99 TTFT from due ");
            fmt(b, k->q[TDM_REP_OL_TTFT_DUE].p99, 1);
            tdm_buf_append_str(b, " ms is ");
            fmt(b, k->q[TDM_REP_OL_TTFT_DUE].p99 / lo->q[TDM_REP_OL_TTFT_DUE].p99, 1);
            tdm_buf_append_str(b, "× its ");
            fmt(b, lo->q[TDM_REP_OL_TTFT_DUE].p99, 1);
            tdm_buf_append_str(b, " ms at λ = ");
            rate(b, lo->rate);
            tdm_buf_printf(b, ", more than %.0f×: calls wait in a queue). ", TDM_REP_OL_P99_FACTOR);
        }
    } else if (l->n_points == 1) {
        tdm_buf_append_str(b, "**One offered rate (λ = ");
        rate(b, lo->rate);
        tdm_buf_append_str(b, " calls/s)**: a knee needs runs at two rates or more. ");
    } else {
        tdm_buf_append_str(b, "**No knee up to λ = ");
        rate(b, hi->rate);
        tdm_buf_printf(b, " calls/s**: every rate kept up (achieved %.0f %% of offered or more) and p99 TTFT "
                          "from due stayed within %.0f× its value at λ = ",
                       TDM_REP_OL_KEEP_UP_PCT, TDM_REP_OL_P99_FACTOR);
        rate(b, lo->rate);
        tdm_buf_append_str(b, ". ");
    }
    if (l->best >= 0) {
        const tdm_rep_ol_point *p = &l->points[l->best];
        tdm_buf_append_str(b, "**Best operating point: λ = ");
        rate(b, p->rate);
        tdm_buf_append_str(b, " calls/s**, the highest sustainable rate measured");
        if (l->knee < 0 && l->n_points > 1)
            tdm_buf_append_str(b, " (the capacity may lie higher)");
        tdm_buf_append_str(b, ": ");
        fmt(b, p->achieved.mean, 2);
        tdm_buf_append_str(b, " calls/s completed, TTFT from due p50 ");
        fmt(b, p->q[TDM_REP_OL_TTFT_DUE].p50, 1);
        tdm_buf_append_str(b, " ms and p99 ");
        fmt(b, p->q[TDM_REP_OL_TTFT_DUE].p99, 1);
        tdm_buf_append_str(b, " ms.");
    } else {
        tdm_buf_append_str(b, "**No sustainable rate**: even at λ = ");
        rate(b, lo->rate);
        tdm_buf_append_str(b, " calls/s the calls completed at ");
        fmt(b, lo->achieved.mean, 2);
        tdm_buf_printf(b, " calls/s, below %.0f %% of the offered rate.", TDM_REP_OL_KEEP_UP_PCT);
    }
}

void tdm_rep_md_open_loop_section(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_open_loop *ol = &an->open_loop;
    if (ol->n_lines == 0)
        return;
    tdm_buf_printf(b, "## Latency against offered load\n\n"
                      "Some runs are open-loop: their calls arrive on their own clock (the scenario's "
                      "`arrivals:`, one call per arrival, due at the release plus its offset) whether or not "
                      "earlier calls have finished, as users' requests do. Per variant and line (the arrival "
                      "process, the configuration but its rate, the servers) and offered rate λ: the offered rate "
                      "as realised ((calls − 1) / (last due − first due)) and the achieved rate ((successful calls "
                      "− 1) / (last completion − first completion)), each the mean over runs with its t CI; the "
                      "share of calls that succeeded; and p50 / p99 over the successful calls (cold loads left "
                      "out) of the **TTFT from due** (first token − t_due: what a user waits), split into the "
                      "**client wait** (t_start − t_due: the harness's own lag before the request went out) and "
                      "the **TTFT from send** (first token − t_start: the server's queue and prefill and the "
                      "network), and of the end-to-end time from due (t_done − t_due). "
                      "**Knee**: the lowest λ past the line's lowest at which the mean achieved rate is below "
                      "%.0f %% of the offered rate (calls arrive faster than they finish, so the queue and every "
                      "wait behind it grow for as long as calls arrive), or, failing that, at which p99 TTFT from "
                      "due is more than %.0f× its value at the lowest λ. **Best operating point**: the highest λ "
                      "below the knee that keeps up, the sustainable rate. The same numbers are in open\\_loop.csv "
                      "and analysis.json (`open_loop`, with each run's own).\n\n",
                   TDM_REP_OL_KEEP_UP_PCT, TDM_REP_OL_P99_FACTOR);
    for (size_t i = 0; i < ol->n_lines; i++) {
        line_table(b, &ol->lines[i], 1.0 - an->settings.alpha);
        line_verdict(b, &ol->lines[i]);
        tdm_buf_append_str(b, "\n\n");
    }
}

void tdm_rep_md_open_loop_summary(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_open_loop *ol = &an->open_loop;
    if (ol->n_lines == 0)
        return;
    tdm_buf_append_str(b, "The open-loop runs have no sequential phase, so efficiency is not defined for them; the "
                          "runtimes are compared on latency against offered load instead (see [Latency against "
                          "offered load](#latency-against-offered-load)):\n\n");
    for (size_t i = 0; i < ol->n_lines; i++) {
        tdm_buf_append_str(b, "- ");
        tdm_rep_md_text(b, ol->lines[i].label);
        tdm_buf_append_str(b, ": ");
        line_verdict(b, &ol->lines[i]);
        tdm_buf_append_str(b, "\n");
    }
    tdm_buf_append_str(b, "\n");
}
