/* verdict_advice.c — what to choose and how sure that is, in words. A recommendation
 * names a variant only when it was significantly better pooled, and says how the gain
 * stands against what was set to matter; otherwise "choose the simplest" of those never
 * significantly worse. "How sure" gives the test, the CIs of the differences that were
 * not significant (what the data can still hide) and whether Mann-Whitney agrees. Only
 * decided facts (verdict_decide.c) are phrased here. */
#include <math.h>

#include "report/verdict_phrase.h"
#include "report/verdict_words.h"

static const char *label(const tdm_rep_analysis *an, int v)
{
    return an->ds->variants[v].label;
}

static double level(const tdm_rep_analysis *an)
{
    return 100.0 * (1.0 - an->settings.alpha);
}

/* The best significantly better variant, its gain with CI, against the margin. */
static void recommend_best(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt)
{
    int P = vd->metric;
    const tdm_rep_comparison *c = vd->cmp[vd->best];
    tdm_buf_printf(b, "Recommendation: %s, whose %s is %s than %s's by ", label(an, vd->best), tdm_rep_vw_label(P),
                   c->gap.diff > 0 ? "higher" : "lower", label(an, vd->ref));
    tdm_rep_vw_diff(b, fabs(c->gap.diff), P);
    tdm_buf_printf(b, " (%.0f%% CI ", level(an));
    tdm_rep_vw_diff(b, c->gap.lo, P);
    tdm_buf_append_str(b, " to ");
    tdm_rep_vw_diff(b, c->gap.hi, P);
    tdm_buf_append_str(b, "), significant after Holm's correction");
    if (mt && c->equiv == TDM_REP_EQ_WITHIN)
        tdm_buf_printf(b, ", but within the %s equivalence margin: if a gain that small does not matter for "
                          "your use, the others will do as well",
                       mt);
    else if (mt && c->equiv == TDM_REP_EQ_BEYOND)
        tdm_buf_printf(b, " and larger than the %s equivalence margin", mt);
    else if (mt && c->equiv == TDM_REP_EQ_MAYBE_BEYOND)
        tdm_buf_printf(b, ", possibly larger than the %s equivalence margin", mt);
    tdm_buf_append_str(b, ".");
}

/* " (x was significantly higher in some configurations, by at most d)" and the like. */
static void configs_aside(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd)
{
    bool higher_better = tdm_rep_metric(vd->metric)->higher_is_better;
    if (vd->nh) {
        tdm_buf_append_str(b, " (");
        tdm_rep_vw_list(b, an->ds, vd->higher, vd->nh);
        tdm_buf_printf(b, " %s significantly %s in some configurations, by at most ", vd->nh == 1 ? "was" : "were",
                       higher_better ? "higher" : "lower");
        tdm_rep_vw_diff(b, vd->higher_max, vd->metric);
        tdm_buf_append_str(b, ")");
    }
    if (vd->nl) {
        tdm_buf_append_str(b, "; ");
        tdm_rep_vw_list(b, an->ds, vd->lower, vd->nl);
        tdm_buf_printf(b, " %s significantly %s than %s in some configurations (by at most ",
                       vd->nl == 1 ? "was" : "were", higher_better ? "lower" : "higher", label(an, vd->ref));
        tdm_rep_vw_diff(b, vd->lower_max, vd->metric);
        tdm_buf_append_str(b, ")");
    }
}

/* No variant better pooled: only those shown equivalent are recommended; the
 * inconclusive ones are named as such, with the runs that would settle them. */
static void recommend_equivalent(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt)
{
    const char *pooled = vd->configs_max > 1 ? " pooled over configurations" : "";
    if (vd->nshown > 1) {
        tdm_buf_printf(b, "Recommendation: no variant is significantly better than %s%s; ", label(an, vd->ref),
                       pooled);
        tdm_rep_vw_list(b, an->ds, vd->shown, vd->nshown);
        tdm_buf_printf(b, " were shown equivalent within the %s margin, so any of them will do: choose on other "
                          "grounds (dependencies, code you already have)",
                       mt);
    } else if (mt) {
        tdm_buf_printf(b, "Recommendation: none yet: no variant is significantly better than %s%s, and none was "
                          "shown equivalent to it within the %s margin",
                       label(an, vd->ref), pooled, mt);
    } else {
        tdm_buf_printf(b, "Recommendation: none on this metric: no variant is significantly better than %s%s, and "
                          "without an equivalence margin the data cannot show that any of them is as good",
                       label(an, vd->ref), pooled);
    }
    configs_aside(b, an, vd);
    if (vd->ninc) {
        tdm_buf_append_str(b, "; inconclusive (neither significantly different nor shown equivalent): ");
        for (size_t i = 0; i < vd->ninc; i++) {
            tdm_buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == vd->ninc ? " and " : ", ", label(an, vd->incon[i]));
            if (isfinite(vd->runs_needed[i]))
                tdm_buf_printf(b, " (about %.0f runs per variant would settle it)", vd->runs_needed[i]);
            else
                tdm_buf_append_str(b, " (its observed difference already reaches the margin: more runs would "
                                      "sooner show a difference than equivalence)");
        }
        tdm_buf_append_str(b, ", by a power calculation for TOST at 80% power from the observed difference and "
                              "spread");
    }
    if (vd->nunj) {
        tdm_buf_append_str(b, "; ");
        tdm_rep_vw_list(b, an->ds, vd->unjudged, vd->nunj);
        tdm_buf_printf(b, " did not differ significantly from %s (no margin set to judge equivalence)",
                       label(an, vd->ref));
    }
}

/* Those significantly worse pooled. Significant is not the same as large: say which.
 * With a margin the data say whether the difference is smaller than what matters;
 * without one (or when they cannot tell), leave the size to the comparisons table
 * rather than telling the reader to avoid a variant. */
static void recommend_against(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt,
                              int *scratch)
{
    size_t nw = vd->nw;
    size_t within = mt ? tdm_rep_vw_pick(vd, vd->worse, nw, TDM_REP_EQ_WITHIN, scratch) : 0;
    size_t beyond = mt ? tdm_rep_vw_pick(vd, vd->worse, nw, TDM_REP_EQ_BEYOND, scratch) : 0;
    tdm_buf_append_str(b, "; ");
    tdm_rep_vw_list(b, an->ds, vd->worse, nw);
    tdm_buf_printf(b, " %s significantly %s%s", nw == 1 ? "was" : "were",
                   tdm_rep_metric(vd->metric)->higher_is_better ? "lower" : "higher",
                   vd->configs_max > 1 ? " pooled over configurations" : "");
    if (within == nw)
        tdm_buf_printf(b, ", but within the %s equivalence margin: prefer the others only if a difference "
                          "smaller than that matters for your use",
                       mt);
    else if (beyond == nw)
        tdm_buf_printf(b, ", by more than the %s equivalence margin", mt);
    else
        tdm_buf_append_str(b, "; prefer the others only if a difference of that size (see the comparisons) "
                              "matters for your use");
}

void tdm_rep_verdict_recommend(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt,
                               int *scratch)
{
    if (vd->n == 1) {
        tdm_buf_printf(b, "Recommendation: none can be made from these data; measure at least one more variant "
                          "under the same conditions.");
        return;
    }
    if (vd->best >= 0) {
        recommend_best(b, an, vd, mt);
        return;
    }
    recommend_equivalent(b, an, vd, mt);
    if (vd->nw)
        recommend_against(b, an, vd, mt, scratch);
    tdm_buf_append_str(b, ".");
}

/* Legacy efficiency measures overlap, not gain: say so, and name the variants whose
 * agents ran one after the other. */
static void sure_legacy(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd)
{
    for (size_t i = 1; i < vd->nserial; i++) /* the first is the baseline, in the summary */
        tdm_buf_printf(b, "%s's legacy efficiency never exceeded %.0f%% (= 100/N): its agents did not "
                          "overlap at all, they ran one after the other. ",
                       label(an, vd->serial[i]), 100.0 / (double)vd->serial_agents[i]);
    if (vd->nserial)
        tdm_buf_append_str(b, "Legacy efficiency measures overlap, not a gain from running together; the speedups "
                              "against the serial variant above are what these runs can say about the gain.");
    else
        tdm_buf_append_str(b, "Legacy efficiency measures overlap, not a gain from running together: these runs "
                              "cannot show whether concurrency was faster than running the agents one by one.");
}

void tdm_rep_verdict_sure(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt)
{
    if (vd->n == 1)
        return;
    tdm_buf_printf(b, "How sure: each variant is compared with %s over the runs of the configurations both ran "
                      "(Welch's t-test, Holm-adjusted across the %zu pooled comparisons of this metric). ",
                   label(an, vd->ref), vd->tested);
    if (isfinite(vd->ci_lo) && isfinite(vd->ci_hi)) {
        tdm_buf_printf(b, "For the variants that did not differ significantly, the %.0f%% CIs of the differences "
                          "run from ",
                       level(an));
        tdm_rep_vw_diff(b, vd->ci_lo, vd->metric);
        tdm_buf_append_str(b, " to ");
        tdm_rep_vw_diff(b, vd->ci_hi, vd->metric);
        tdm_buf_append_str(b, ": a true difference beyond that range is unlikely, one inside it cannot be "
                              "excluded. ");
    }
    if (vd->tested)
        tdm_buf_printf(b,
                       vd->mw_disagree ? "Mann-Whitney's test disagrees with Welch's on %zu of the pooled comparisons. "
                                       : "Mann-Whitney's test agrees with Welch's on every pooled comparison. ",
                       vd->mw_disagree);
    if (mt && vd->tested)
        tdm_buf_printf(b, "A difference counts as within the %s equivalence margin when its %.0f%% CI lies inside "
                          "it (two one-sided tests, TOST, at alpha = %g; see Method). ",
                       mt, 100.0 * (1.0 - 2.0 * an->settings.alpha), an->settings.alpha);
    if (vd->metric == TDM_M_LEGACY_EFFICIENCY)
        sure_legacy(b, an, vd);
}
