/* verdict_finding.c — the finding in words: what was measured, which variants differed
 * significantly from the reference and by how much, and how those differences stand
 * against the metric's equivalence margin. Readers take "significant" for "matters";
 * with many runs a fraction of a point is significant. So wherever the finding names a
 * significant difference it also says how it stands against the margin, and for the
 * rest whether they were shown equivalent. Only decided facts (verdict_decide.c) are
 * phrased here. */
#include <stdio.h>
#include <string.h>

#include "report/format.h"
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

/* After the significant variants, when all have one verdict: ", but all within the ±1 pp
 * equivalence margin". */
static const struct {
    tdm_rep_equiv_verdict v;
    const char *first, *again;
} kinds[] = {{TDM_REP_EQ_WITHIN, "within the %s equivalence margin", "within it"},
             {TDM_REP_EQ_BEYOND, "by more than the %s equivalence margin", "by more than it"},
             {TDM_REP_EQ_MAYBE_BEYOND, "possibly by more than the %s equivalence margin", "possibly by more than it"}};

/* Otherwise each verdict with its variants: ": a within the ±1 pp equivalence margin, b
 * by more than it". */
static void significant_by_kind(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt,
                                int *scratch)
{
    bool named = false;
    tdm_buf_append_str(b, ": ");
    for (size_t i = 0, shown = 0; i < 3; i++) {
        size_t m = tdm_rep_vw_pick(vd, vd->sig, vd->nsig, kinds[i].v, scratch);
        if (!m)
            continue;
        tdm_buf_append_str(b, shown++ ? ", " : "");
        tdm_rep_vw_list(b, an->ds, scratch, m);
        tdm_buf_append_str(b, " ");
        if (named) {
            tdm_buf_append_str(b, kinds[i].again);
        } else {
            tdm_buf_printf(b, kinds[i].first, mt);
            named = true;
        }
    }
}

/* The significant variants against the margin. Returns whether the margin was named. */
static bool significant_vs_margin(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt,
                                  int *scratch)
{
    size_t counts[3], present = 0, which = 0;
    for (size_t i = 0; i < 3; i++) {
        counts[i] = tdm_rep_vw_pick(vd, vd->sig, vd->nsig, kinds[i].v, scratch);
        if (counts[i]) {
            present++;
            which = i;
        }
    }
    if (present == 0)
        return false;
    if (present == 1 && counts[which] == vd->nsig) {
        size_t m = counts[which];
        const char *each = m == 1 ? "" : which == 0 ? (m == 2 ? "both " : "all ") : "each ";
        tdm_buf_printf(b, ", %s%s", which == 0 ? "but " : "", each);
        tdm_buf_printf(b, kinds[which].first, mt);
        return true;
    }
    significant_by_kind(b, an, vd, mt, scratch);
    return true;
}

/* The variants v[0..n) that did not differ significantly, against the margin: ";
 * tokio-localset did not differ significantly and was equivalent to tokio-default within
 * the margin" (restate: say again that they did not differ, when the sentence so far was
 * about those that did). Returns false (nothing written) when none of them has a verdict. */
static bool others_vs_margin(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt,
                             bool named, bool restate, int *scratch)
{
    size_t ne = tdm_rep_vw_pick(vd, vd->nonsig, vd->nns, TDM_REP_EQ_EQUIVALENT, scratch);
    int *inc = scratch + ne;
    size_t ni = tdm_rep_vw_pick(vd, vd->nonsig, vd->nns, TDM_REP_EQ_INCONCLUSIVE, inc);
    if (ne + ni == 0)
        return false;
    char the[96];
    snprintf(the, sizeof the, named ? "the margin" : "the %s equivalence margin", mt);
    tdm_buf_append_str(b, "; ");
    if (ne) {
        tdm_rep_vw_list(b, an->ds, scratch, ne);
        tdm_buf_printf(b, "%s %s equivalent to %s within %s", restate ? " did not differ significantly and" : "",
                       ne == 1 ? "was" : "were", label(an, vd->ref), the);
        snprintf(the, sizeof the, "it");
    }
    if (ni) {
        tdm_buf_append_str(b, ne ? "; " : "");
        tdm_rep_vw_list(b, an->ds, inc, ni);
        if (restate)
            tdm_buf_printf(b, " did not differ significantly%s, yet %s not shown to be within %s either (inconclusive)",
                           ne ? " either" : "", ni == 1 ? "was" : "were", the);
        else
            tdm_buf_printf(b, " %s not shown to be within %s (inconclusive)", ni == 1 ? "was" : "were", the);
    }
    return true;
}

/* " (12 within the margin, 3 by more than it)" ("; 12 within ..." inside parentheses). */
static void config_counts(tdm_buf *b, const tdm_rep_verdict *vd, char *the, size_t len, bool in_parens)
{
    const char *sep = in_parens ? "; " : " (";
    if (vd->cfg_within) {
        tdm_buf_printf(b, "%s%zu within %s", sep, vd->cfg_within, the);
        sep = ", ";
        snprintf(the, len, "it");
    }
    if (vd->cfg_beyond) {
        tdm_buf_printf(b, "%s%zu by more than %s", sep, vd->cfg_beyond, the);
        sep = ", ";
        snprintf(the, len, "it");
    }
    if (vd->cfg_maybe)
        tdm_buf_printf(b, "%s%zu possibly by more than %s", sep, vd->cfg_maybe, the);
    tdm_buf_append_str(b, in_parens ? "" : ")");
}

/* Within single configurations, the significant differences against the margin:
 * ", all within the margin", or their counts by verdict. */
static void config_vs_margin(tdm_buf *b, const tdm_rep_verdict *vd, const char *mt, bool named, bool in_parens)
{
    size_t total = vd->cfg_within + vd->cfg_beyond + vd->cfg_maybe;
    if (total == 0)
        return;
    char the[96];
    snprintf(the, sizeof the, named ? "the margin" : "the %s equivalence margin", mt);
    const char *all = total == 1 ? "" : total == 2 ? "both " : "all ";
    const char *each = total == 1 ? "" : "each ";
    /* "all" only when every significant one has a verdict (a relative margin of a zero
     * mean has none); otherwise the counts say how many */
    bool every = total == vd->cfg_sig;
    if (every && vd->cfg_within == total)
        tdm_buf_printf(b, ", %swithin %s", all, the);
    else if (every && vd->cfg_beyond == total)
        tdm_buf_printf(b, ", %sby more than %s", each, the);
    else if (every && vd->cfg_maybe == total)
        tdm_buf_printf(b, ", %spossibly by more than %s", each, the);
    else
        config_counts(b, vd, the, sizeof the, in_parens);
}

/* A single variant: its mean and CI, and that nothing can be compared. */
static void single(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd)
{
    int P = vd->metric;
    tdm_buf_printf(b, "Only %s was measured (%zu runs in %zu configuration%s): its mean %s was ", label(an, vd->ref),
                   vd->runs, vd->configs_max, vd->configs_max == 1 ? "" : "s", tdm_rep_vw_label(P));
    tdm_rep_vw_value(b, vd->ref_pooled->desc.mean, P);
    /* a percentage is bounded: its bootstrap CI stays in range where Student's may not */
    bool bounded = strcmp(tdm_rep_metric(P)->unit, "%") == 0;
    const tdm_stats_ci *ci = bounded ? &vd->ref_pooled->ci_boot : &vd->ref_pooled->ci_t;
    tdm_buf_printf(b, " (%.0f%% %sCI ", level(an), bounded ? "bootstrap " : "");
    tdm_rep_vw_value(b, ci->lo, P);
    tdm_buf_append_str(b, " to ");
    tdm_rep_vw_value(b, ci->hi, P);
    tdm_buf_append_str(b, "), and there is no other variant to compare it with.");
}

/* What was measured and the range of the means; what the scale means, when every run
 * had the same number of agents. */
static void range(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd)
{
    int P = vd->metric;
    if (vd->configs_max == 1)
        tdm_buf_printf(b, "Over %zu runs of %d variants in one configuration, mean %s ranged from ", vd->runs, vd->n,
                       tdm_rep_vw_label(P));
    else
        tdm_buf_printf(b, "Over %zu runs of %d variants in up to %zu configurations, mean %s ranged from ", vd->runs,
                       vd->n, vd->configs_max, tdm_rep_vw_label(P));
    tdm_rep_vw_value(b, vd->lo_mean, P);
    tdm_buf_printf(b, " (%s) to ", label(an, vd->lo_v));
    tdm_rep_vw_value(b, vd->hi_mean, P);
    tdm_buf_printf(b, " (%s)", label(an, vd->hi_v));
    if (P == TDM_M_EFFICIENCY && vd->same_agents && vd->agents > 1)
        tdm_buf_printf(b, " (100%% is perfect parallelism, %.0f%% no gain at all with %zu agents)",
                       100.0 / (double)vd->agents, vd->agents);
    tdm_buf_append_str(b, "; ");
}

/* No variant differed pooled; perhaps some pairs within single configurations did. */
static void none_significant(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt,
                             int *scratch)
{
    bool several = vd->configs_max > 1;
    tdm_buf_printf(b, "%sno variant differed significantly from %s after Holm's correction (alpha = %g)",
                   several ? "pooled over configurations, " : "", label(an, vd->ref), an->settings.alpha);
    bool named = mt && others_vs_margin(b, an, vd, mt, false, false, scratch);
    if (several && vd->cfg_sig) {
        tdm_buf_printf(b, "%s within single configurations %zu of %zu pairwise differences did (none larger than ",
                       named ? "; but" : ", but", vd->cfg_sig, vd->cfg_total);
        tdm_rep_vw_diff(b, vd->cfg_max, vd->metric);
        if (mt)
            config_vs_margin(b, vd, mt, named, true);
        tdm_buf_append_str(b, ")");
    } else if (several && vd->cfg_total) {
        tdm_buf_printf(b, "%s of the %zu pairs within single configurations", named ? "; nor did any" : ", nor did any",
                       vd->cfg_total);
    }
    tdm_buf_append_str(b, ".");
}

/* "a 1.2 pp, p = 0.0123; b -0.8 pp, p < 0.0001": the better ones first, then the worse. */
static void differences(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd)
{
    for (size_t j = 0; j < vd->nb + vd->nw; j++) {
        int v = j < vd->nb ? vd->better[j] : vd->worse[j - vd->nb];
        const tdm_rep_comparison *c = vd->cmp[v];
        char p[32];
        tdm_buf_printf(b, "%s%s ", j ? "; " : "", label(an, v));
        tdm_rep_vw_diff(b, c->gap.diff, vd->metric);
        tdm_rep_fmt_p(p, sizeof p, c->p_welch_holm);
        tdm_buf_printf(b, ", p %s%s", p[0] == '<' ? "< " : "= ", p[0] == '<' ? p + 1 : p);
    }
}

/* Some variants differed pooled: which, by how much, against the margin; the rest. */
static void some_significant(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt,
                             int *scratch)
{
    tdm_rep_vw_list(b, an->ds, vd->sig, vd->nsig);
    tdm_buf_printf(b, " differed significantly from %s after Holm's correction (alpha = %g; ", label(an, vd->ref),
                   an->settings.alpha);
    differences(b, an, vd);
    tdm_buf_append_str(b, ")");
    bool named = mt && significant_vs_margin(b, an, vd, mt, scratch);
    bool said = mt && others_vs_margin(b, an, vd, mt, named, true, scratch);
    named |= said;
    if (!said && vd->ns > 1)
        tdm_buf_append_str(b, ", the others did not");
    if (vd->configs_max > 1 && vd->cfg_total) {
        tdm_buf_printf(b, "; within single configurations %zu of %zu pairwise differences were significant",
                       vd->cfg_sig, vd->cfg_total);
        if (mt)
            config_vs_margin(b, vd, mt, named, false);
    }
    tdm_buf_append_str(b, ".");
}

void tdm_rep_verdict_finding(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt,
                             int *scratch)
{
    if (vd->n == 1) {
        single(b, an, vd);
        return;
    }
    tdm_rep_verdict_beyond_words(b, an, vd);
    range(b, an, vd);
    if (vd->nsig == 0)
        none_significant(b, an, vd, mt, scratch);
    else
        some_significant(b, an, vd, mt, scratch);
    tdm_rep_verdict_serial_words(b, an, vd);
}
