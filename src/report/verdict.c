/* verdict.c — the report's summary in words, written only from the comparisons that
 * were computed: which variants differ significantly from the reference on the primary
 * metric after Holm's correction, whether those differences lie within the metric's
 * equivalence margin (TOST), what to choose, and how sure that is (the CIs of the
 * differences bound what the data can still hide). It never claims more: "no
 * significant difference; choose the simplest" is a finding like any other, and
 * "significant" is never left to be read as "large" when a margin can say which.
 *
 * This file only puts the parts together: the decision is made in verdict_decide.c and
 * phrased in verdict_finding.c and verdict_advice.c, so a change of words cannot change
 * a decision and the other way round. */
#include <jansson.h>
#include <stdlib.h>

#include "core/buf.h"
#include "report/analysis.h"
#include "report/verdict_decide.h"
#include "report/verdict_phrase.h"
#include "report/verdict_words.h"

/* The finding, the recommendation and how sure, for one source group; nothing when the
 * group has no variant or no primary metric, or memory ran out. */
static void group_verdict(const tdm_rep_analysis *an, int g, tdm_buf *finding, tdm_buf *rec, tdm_buf *sure,
                          tdm_buf *grid, json_t **decision)
{
    size_t nv = an->ds->n_variants;
    int *scratch = malloc((nv ? 2 * nv : 1) * sizeof *scratch);
    tdm_rep_verdict vd;
    if (tdm_rep_verdict_decide(an, g, &vd) == 0 && scratch && vd.n > 0 && vd.metric >= 0) {
        char mtb[64];
        const char *mt = tdm_rep_vw_margin(an, vd.metric, mtb, sizeof mtb);
        tdm_rep_verdict_finding(finding, an, &vd, mt, scratch);
        tdm_rep_verdict_recommend(rec, an, &vd, mt, scratch);
        tdm_rep_verdict_sure(sure, an, &vd, mt);
        if (grid)
            tdm_rep_verdict_grid(grid, an, &vd);
        if (decision)
            *decision = tdm_rep_verdict_json(an, &vd);
    }
    tdm_rep_verdict_free(&vd);
    free(scratch);
}

int tdm_rep_write_verdict(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    bool has[2] = {false, false};
    for (size_t v = 0; v < ds->n_variants; v++)
        has[ds->variants[v].legacy] = true;
    int main_g = has[0] ? 0 : 1;
    tdm_buf f = {0}, r = {0}, s = {0}, grid = {0};
    if (!has[0] && !has[1]) {
        tdm_buf_append_str(&f, "No runs were found, so nothing was measured.");
        tdm_buf_append_str(&r, "Recommendation: none; point the report at directories holding run results.");
    } else if (an->primary[main_g] < 0 && an->open_loop.n_lines > 0) {
        /* open-loop runs have no sequential phase by design: the Summary leads with their
         * latency findings (write_md_open_loop.c), which this must not contradict */
        tdm_buf_append_str(&f, "No run has a defined efficiency, so the runtimes are not ranked on it; the "
                               "open-loop runs are compared on latency against offered load instead.");
        tdm_buf_append_str(&r, "Recommendation: none on efficiency; on latency, compare each line's knee and "
                               "best operating point.");
    } else if (an->primary[main_g] < 0) {
        tdm_buf_append_str(&f, "No run has a defined efficiency (neither sequential and concurrent phases nor "
                               "agent timelines), so the runtimes cannot be ranked.");
        tdm_buf_append_str(&r, "Recommendation: none can be made from these data.");
    } else {
        group_verdict(an, main_g, &f, &r, &s, &grid, &an->decision);
    }
    tdm_buf sum = {0};
    tdm_buf_printf(&sum, "%s %s", tdm_buf_str(&f), tdm_buf_str(&r));
    an->summary = tdm_buf_steal(&sum);
    an->recommendation = tdm_buf_steal(&r);
    an->confidence = tdm_buf_steal(&s);
    an->verdict_grid = tdm_buf_steal(&grid);
    tdm_buf_free(&f);
    if (has[0] && has[1] && an->primary[1] >= 0) {
        tdm_buf lf = {0}, lr = {0}, ls = {0}, all = {0};
        group_verdict(an, 1, &lf, &lr, &ls, NULL, NULL);
        tdm_buf_printf(&all, "Imported seed runs: %s %s %s", tdm_buf_str(&lf), tdm_buf_str(&lr), tdm_buf_str(&ls));
        an->legacy_note = tdm_buf_steal(&all);
        tdm_buf_free(&lf);
        tdm_buf_free(&lr);
        tdm_buf_free(&ls);
    }
    return an->summary && an->recommendation && an->confidence ? 0 : -1;
}
