/* verdict_grid.c — the verdict of every metric that has a margin, per variant against
 * the reference, as one Markdown table under the summary: a reader sees at once which
 * differences are real and large, real but small, shown negligible, or not settled,
 * whatever the metric the ranking used. Cells come from the pooled comparisons, the
 * same ones the comparisons tables list. */
#include <math.h>

#include "report/format.h"
#include "report/verdict_phrase.h"
#include "report/verdict_words.h"

static const tdm_rep_comparison *pooled(const tdm_rep_analysis *an, int v, int ref, int metric)
{
    for (size_t i = 0; i < an->n_cmp; i++) {
        const tdm_rep_comparison *c = &an->cmp[i];
        if (c->scope == TDM_REP_SCOPE_POOLED && c->metric == metric && c->a == v && c->b == ref)
            return c;
    }
    return NULL;
}

static const char *short_verdict(tdm_rep_equiv_verdict e)
{
    switch (e) {
    case TDM_REP_EQ_EQUIVALENT:
        return "equivalent";
    case TDM_REP_EQ_WITHIN:
        return "differs, within margin";
    case TDM_REP_EQ_BEYOND:
        return "**beyond margin**";
    case TDM_REP_EQ_MAYBE_BEYOND:
        return "differs, maybe beyond";
    case TDM_REP_EQ_INCONCLUSIVE:
        return "inconclusive";
    default:
        return "untestable";
    }
}

void tdm_rep_verdict_grid(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd)
{
    int cols[TDM_M_COUNT], nc = 0;
    for (int m = 0; m < TDM_M_COUNT; m++) {
        bool any = false;
        for (int i = 0; i < vd->n && !any; i++)
            any = vd->vs[i] != vd->ref && pooled(an, vd->vs[i], vd->ref, m) && an->settings.margin[m].value > 0;
        if (any)
            cols[nc++] = m;
    }
    if (nc == 0 || vd->n < 2)
        return;
    tdm_buf_append_str(b, "Each variant against ");
    tdm_rep_md_text(b, an->ds->variants[vd->ref].label);
    tdm_buf_append_str(b, ", pooled over configurations, on every metric with an equivalence margin (difference, "
                          "then the verdict; see Method):\n\n| variant |");
    for (int j = 0; j < nc; j++) {
        char mt[64] = "";
        const char *m = tdm_rep_vw_margin(an, cols[j], mt, sizeof mt);
        tdm_buf_printf(b, " %s (%s) |", tdm_rep_vw_label(cols[j]), m ? m : "no margin");
    }
    tdm_buf_append_str(b, "\n|---|");
    for (int j = 0; j < nc; j++)
        tdm_buf_append_str(b, "---|");
    tdm_buf_append_str(b, "\n");
    for (int i = 0; i < vd->n; i++) {
        int v = vd->vs[i];
        if (v == vd->ref)
            continue;
        tdm_buf_append_str(b, "| ");
        tdm_rep_md_text(b, an->ds->variants[v].label); /* from results: escaped ('|' too) */
        tdm_buf_append_str(b, " |");
        for (int j = 0; j < nc; j++) {
            const tdm_rep_comparison *c = pooled(an, v, vd->ref, cols[j]);
            if (!c || isnan(c->gap.diff)) {
                tdm_buf_append_str(b, " — |");
                continue;
            }
            tdm_buf_append_str(b, " ");
            if (c->gap.diff > 0)
                tdm_buf_append_str(b, "+");
            tdm_rep_vw_diff(b, c->gap.diff, cols[j]);
            tdm_buf_printf(b, ", %s |", short_verdict(c->equiv));
        }
        tdm_buf_append_str(b, "\n");
    }
    tdm_buf_append_str(b, "\n");
}
