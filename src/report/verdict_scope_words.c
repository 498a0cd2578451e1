/* verdict_scope_words.c — verdict_scope.c's decisions in words: the differences beyond
 * their margins (named first in the summary, whatever the metric) and the serial
 * baseline (a variant whose agents never overlapped, and what the others gained against
 * it, explained by overlap rather than by runtime). Only decided facts are phrased. */
#include <math.h>
#include <stdio.h>

#include "report/format.h"
#include "report/verdict_phrase.h"
#include "report/verdict_words.h"

static const char *label(const tdm_rep_analysis *an, int v)
{
    return an->ds->variants[v].label;
}

void tdm_rep_verdict_beyond_words(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd)
{
    if (vd->nbeyond == 0)
        return;
    tdm_buf_printf(b, "Differences beyond their margins (pooled, against %s): ", label(an, vd->ref));
    for (size_t i = 0; i < vd->nbeyond; i++) {
        const tdm_rep_comparison *c = vd->beyond[i];
        char mt[64] = "", p[32];
        tdm_rep_vw_margin(an, c->metric, mt, sizeof mt);
        tdm_rep_fmt_p(p, sizeof p, c->p_welch_holm);
        tdm_buf_printf(b, "%s%s's %s %s by ", i ? "; " : "", label(an, c->a), tdm_rep_vw_label(c->metric),
                       c->gap.diff > 0 ? "higher" : "lower");
        tdm_rep_vw_diff(b, fabs(c->gap.diff), c->metric);
        tdm_buf_printf(b, " (%s the %s margin; Welch p %s%s, Holm)",
                       c->equiv == TDM_REP_EQ_BEYOND ? "beyond" : "possibly beyond", mt, p[0] == '<' ? "< " : "= ",
                       p[0] == '<' ? p + 1 : p);
    }
    tdm_buf_append_str(b, ". ");
}

void tdm_rep_verdict_serial_words(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd)
{
    if (vd->nserial == 0)
        return;
    int s = vd->serial[0];
    tdm_buf_printf(b, " %s's agents never overlapped (its legacy efficiency never exceeded %.0f%% = 100/N): they "
                      "ran one after the other, so its runs are this data's sequential baseline",
                   label(an, s), 100.0 / (double)vd->serial_agents[0]);
    if (vd->ngains == 0) {
        tdm_buf_append_str(b, ", though no other variant ran its configurations with enough runs to compare.");
        return;
    }
    tdm_buf_printf(b, ". Against it, the speedups of running the agents together (its wall time / theirs, "
                      "geometric mean over the configurations both ran, %.0f%% CI) were ",
                   100.0 * (1.0 - an->settings.alpha));
    size_t slower = 0, faster = 0;
    for (size_t i = 0; i < vd->ngains; i++) {
        const tdm_rep_serial_gain *g = &vd->gains[i];
        tdm_buf_printf(b, "%s%.2f [%.2f, %.2f] for %s", i == 0 ? "" : i + 1 == vd->ngains ? " and " : ", ",
                       g->speedup, g->lo, g->hi, label(an, g->variant));
        slower += g->hi < 1.0;
        faster += g->lo > 1.0;
    }
    if (slower)
        tdm_buf_printf(b, "; for %zu of them the whole CI lies below 1: together was slower than one after the "
                          "other",
                       slower);
    if (faster)
        tdm_buf_printf(b, "; for %zu of them the whole CI lies above 1: together was faster", faster);
    tdm_buf_printf(b, ". Its per-call numbers (decode rate, TTFT) differ because each of its agents had the server "
                      "to itself, not because its runtime is faster or slower.");
}
