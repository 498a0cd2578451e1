/* verdict.c — the report's summary in words, written only from the comparisons that
 * were computed: which variants differ significantly from the reference on the primary
 * metric after Holm's correction, whether those differences lie within the metric's
 * equivalence margin (TOST), what to choose, and how sure that is (the CIs of the
 * differences bound what the data can still hide). It never claims more: "no
 * significant difference; choose the simplest" is a finding like any other, and
 * "significant" is never left to be read as "large" when a margin can say which. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "report/analysis.h"
#include "report/format.h"

static const char *short_label(int metric)
{
    switch (metric) {
    case TDM_M_EFFICIENCY:
        return "efficiency";
    case TDM_M_LEGACY_EFFICIENCY:
        return "legacy efficiency";
    default:
        return tdm_rep_metric(metric)->key;
    }
}

/* "12.34%" or "1.234 s" */
static void value_unit(tdm_buf *b, double v, int metric)
{
    const tdm_rep_metric_def *d = tdm_rep_metric(metric);
    char x[64];
    tdm_rep_fmt(x, sizeof x, v, d->decimals);
    if (!*d->unit || strcmp(d->unit, "%") == 0)
        tdm_buf_printf(b, "%s%s", x, d->unit);
    else
        tdm_buf_printf(b, "%s %s", x, d->unit);
}

/* A difference in the metric's unit: percentage points for percentages. */
static void diff_unit(tdm_buf *b, double v, int metric)
{
    const tdm_rep_metric_def *d = tdm_rep_metric(metric);
    char x[64];
    tdm_rep_fmt(x, sizeof x, v, d->decimals);
    if (strcmp(d->unit, "%") == 0)
        tdm_buf_printf(b, "%s pp", x);
    else if (*d->unit)
        tdm_buf_printf(b, "%s %s", x, d->unit);
    else
        tdm_buf_append_str(b, x);
}

static const tdm_rep_comparison *pooled_cmp(const tdm_rep_analysis *an, int v, int metric)
{
    for (size_t i = 0; i < an->n_cmp; i++) {
        const tdm_rep_comparison *c = &an->cmp[i];
        if (c->scope == TDM_REP_SCOPE_POOLED && c->metric == metric && c->a == v)
            return c;
    }
    return NULL;
}

static void list_join(tdm_buf *b, const tdm_rep_dataset *ds, const int *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tdm_buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == n ? (n == 2 ? " and " : ", and ") : ", ",
                       ds->variants[v[i]].label);
}

/* ---- equivalence in words ---------------------------------------------------------
 * Readers take "significant" for "matters"; with many runs a fraction of a point is
 * significant. So wherever the summary names a significant difference it also says how
 * it stands against the margin, and for the rest whether they were shown equivalent. */

/* The primary metric's margin for people ("±1 pp"), or NULL when it has none. */
static const char *margin_words(const tdm_rep_analysis *an, int metric, char *buf, size_t len)
{
    if (!(an->settings.margin[metric].value > 0.0))
        return NULL;
    return tdm_rep_margin_text(buf, len, metric, &an->settings.margin[metric]);
}

/* Of the verdicts of variants v[0..n) on the metric (pooled), those equal to want. */
static size_t pick(const tdm_rep_analysis *an, int metric, const int *v, size_t n, tdm_rep_equiv_verdict want,
                   int *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const tdm_rep_comparison *c = pooled_cmp(an, v[i], metric);
        if (c && c->equiv == want)
            out[k++] = v[i];
    }
    return k;
}

/* After the significant variants: ", but all within the ±1 pp equivalence margin", or
 * each verdict with its variants when they differ. Returns whether the margin was named. */
static bool significant_vs_margin(tdm_buf *b, const tdm_rep_analysis *an, int metric, const int *sig, size_t k,
                                  const char *mt, int *scratch)
{
    static const struct {
        tdm_rep_equiv_verdict v;
        const char *first, *again;
    } kinds[] = {{TDM_REP_EQ_WITHIN, "within the %s equivalence margin", "within it"},
                 {TDM_REP_EQ_BEYOND, "by more than the %s equivalence margin", "by more than it"},
                 {TDM_REP_EQ_MAYBE_BEYOND, "possibly by more than the %s equivalence margin",
                  "possibly by more than it"}};
    size_t counts[3], present = 0, which = 0;
    for (size_t i = 0; i < 3; i++) {
        counts[i] = pick(an, metric, sig, k, kinds[i].v, scratch);
        if (counts[i]) {
            present++;
            which = i;
        }
    }
    if (present == 0)
        return false;
    if (present == 1 && counts[which] == k) {
        /* one verdict for all of them */
        size_t m = counts[which];
        const char *each = m == 1 ? "" : which == 0 ? (m == 2 ? "both " : "all ") : "each ";
        tdm_buf_printf(b, ", %s%s", which == 0 ? "but " : "", each);
        tdm_buf_printf(b, kinds[which].first, mt);
        return true;
    }
    bool named = false;
    tdm_buf_append_str(b, ": ");
    for (size_t i = 0, shown = 0; i < 3; i++) {
        size_t m = pick(an, metric, sig, k, kinds[i].v, scratch);
        if (!m)
            continue;
        tdm_buf_append_str(b, shown++ ? ", " : "");
        list_join(b, an->ds, scratch, m);
        tdm_buf_append_str(b, " ");
        if (named) {
            tdm_buf_append_str(b, kinds[i].again);
        } else {
            tdm_buf_printf(b, kinds[i].first, mt);
            named = true;
        }
    }
    return true;
}

/* The variants that did not differ significantly, against the margin: "; tokio-localset
 * did not differ significantly and was equivalent to tokio-default within the margin"
 * (restate: say again that they did not differ, when the sentence so far was about those
 * that did). Returns false (nothing written) when none of them has a verdict. */
static bool others_vs_margin(tdm_buf *b, const tdm_rep_analysis *an, int metric, const int *v, size_t n, int ref,
                             const char *mt, bool named, bool restate, int *scratch)
{
    const tdm_rep_dataset *ds = an->ds;
    size_t ne = pick(an, metric, v, n, TDM_REP_EQ_EQUIVALENT, scratch);
    int *inc = scratch + ne;
    size_t ni = pick(an, metric, v, n, TDM_REP_EQ_INCONCLUSIVE, inc);
    if (ne + ni == 0)
        return false;
    char the[96];
    snprintf(the, sizeof the, named ? "the margin" : "the %s equivalence margin", mt);
    tdm_buf_append_str(b, "; ");
    if (ne) {
        list_join(b, ds, scratch, ne);
        tdm_buf_printf(b, "%s %s equivalent to %s within %s", restate ? " did not differ significantly and" : "",
                       ne == 1 ? "was" : "were", ds->variants[ref].label, the);
        snprintf(the, sizeof the, "it");
    }
    if (ni) {
        tdm_buf_append_str(b, ne ? "; " : "");
        list_join(b, ds, inc, ni);
        if (restate)
            tdm_buf_printf(b, " did not differ significantly%s, yet %s not shown to be within %s either (inconclusive)",
                           ne ? " either" : "", ni == 1 ? "was" : "were", the);
        else
            tdm_buf_printf(b, " %s not shown to be within %s (inconclusive)", ni == 1 ? "was" : "were", the);
    }
    return true;
}

/* Within single configurations, the significant differences against the margin:
 * ", all within the margin" or " (12 within the margin, 3 by more than it)" ("; 12
 * within ..." when already inside parentheses). */
static void config_vs_margin(tdm_buf *b, const tdm_rep_analysis *an, int g, int metric, const char *mt, bool named,
                             bool in_parens)
{
    size_t w = 0, by = 0, maybe = 0, sig = 0;
    for (size_t i = 0; i < an->n_cmp; i++) {
        const tdm_rep_comparison *c = &an->cmp[i];
        if (c->scope != TDM_REP_SCOPE_CONFIG || c->metric != metric || an->ds->variants[c->a].legacy != g ||
            !c->significant)
            continue;
        sig++;
        w += c->equiv == TDM_REP_EQ_WITHIN;
        by += c->equiv == TDM_REP_EQ_BEYOND;
        maybe += c->equiv == TDM_REP_EQ_MAYBE_BEYOND;
    }
    size_t total = w + by + maybe;
    if (total == 0)
        return;
    char the[96];
    snprintf(the, sizeof the, named ? "the margin" : "the %s equivalence margin", mt);
    const char *all = total == 1 ? "" : total == 2 ? "both " : "all ";
    /* "all" only when every significant one has a verdict (a relative margin of a zero
     * mean has none); otherwise the counts say how many */
    bool every = total == sig;
    if (every && w == total)
        tdm_buf_printf(b, ", %swithin %s", all, the);
    else if (every && by == total)
        tdm_buf_printf(b, ", %sby more than %s", total == 1 ? "" : "each ", the);
    else if (every && maybe == total)
        tdm_buf_printf(b, ", %spossibly by more than %s", total == 1 ? "" : "each ", the);
    else {
        const char *sep = in_parens ? "; " : " (";
        if (w) {
            tdm_buf_printf(b, "%s%zu within %s", sep, w, the);
            sep = ", ";
            snprintf(the, sizeof the, "it");
        }
        if (by) {
            tdm_buf_printf(b, "%s%zu by more than %s", sep, by, the);
            sep = ", ";
            snprintf(the, sizeof the, "it");
        }
        if (maybe)
            tdm_buf_printf(b, "%s%zu possibly by more than %s", sep, maybe, the);
        tdm_buf_append_str(b, in_parens ? "" : ")");
    }
}

/* The finding, the recommendation and how sure, for one source group. */
static void group_verdict(const tdm_rep_analysis *an, int g, tdm_buf *finding, tdm_buf *rec, tdm_buf *sure)
{
    const tdm_rep_dataset *ds = an->ds;
    int P = an->primary[g];
    const tdm_rep_metric_def *pd = tdm_rep_metric(P);
    int n = 0, ref = -1;
    int *vs = malloc((ds->n_variants ? ds->n_variants : 1) * sizeof *vs);
    int *better = malloc((ds->n_variants ? ds->n_variants : 1) * sizeof *better);
    int *worse = malloc((ds->n_variants ? ds->n_variants : 1) * sizeof *worse);
    int *same = malloc((ds->n_variants ? ds->n_variants : 1) * sizeof *same);
    int *nonsig = malloc((ds->n_variants ? ds->n_variants : 1) * sizeof *nonsig);
    int *scratch = malloc((ds->n_variants ? 2 * ds->n_variants : 1) * sizeof *scratch);
    int *sig = malloc((ds->n_variants ? ds->n_variants : 1) * sizeof *sig);
    if (!vs || !better || !worse || !same || !nonsig || !scratch || !sig)
        goto out;
    char mtb[64];
    const char *mt = margin_words(an, P < 0 ? 0 : P, mtb, sizeof mtb);
    size_t runs = 0, configs_max = 0;
    for (size_t v = 0; v < ds->n_variants; v++)
        if (ds->variants[v].legacy == g) {
            vs[n++] = (int)v;
            if (ref < 0)
                ref = an->reference[v];
            runs += an->variants[v].n_runs;
            if (an->variants[v].n_configs > configs_max)
                configs_max = an->variants[v].n_configs;
        }
    if (n == 0 || P < 0)
        goto out;
    double level = 100.0 * (1.0 - an->settings.alpha);
    const tdm_rep_sample *rs = &an->variants[ref].pooled.m[P][0];
    if (n == 1) {
        tdm_buf_printf(finding, "Only %s was measured (%zu runs in %zu configuration%s): its mean %s was ",
                       ds->variants[ref].label, runs, configs_max, configs_max == 1 ? "" : "s", short_label(P));
        value_unit(finding, rs->desc.mean, P);
        tdm_buf_printf(finding, " (%.0f%% CI ", level);
        value_unit(finding, rs->ci_t.lo, P);
        tdm_buf_append_str(finding, " to ");
        value_unit(finding, rs->ci_t.hi, P);
        tdm_buf_append_str(finding, "), and there is no other variant to compare it with.");
        tdm_buf_printf(rec, "Recommendation: none can be made from these data; measure at least one more variant "
                            "under the same conditions.");
        goto out;
    }
    /* range of the pooled means */
    int lo_v = vs[0], hi_v = vs[0];
    for (int i = 0; i < n; i++) {
        double m = an->variants[vs[i]].pooled.m[P][0].desc.mean;
        if (m < an->variants[lo_v].pooled.m[P][0].desc.mean)
            lo_v = vs[i];
        if (m > an->variants[hi_v].pooled.m[P][0].desc.mean)
            hi_v = vs[i];
    }
    size_t nb = 0, nw = 0, ns = 0, nns = 0;
    double ci_lo = INFINITY, ci_hi = -INFINITY;
    size_t mw_disagree = 0, tested = 0;
    same[ns++] = ref;
    for (int i = 0; i < n; i++) {
        if (vs[i] == ref)
            continue;
        const tdm_rep_comparison *c = pooled_cmp(an, vs[i], P);
        if (!c || isnan(c->p_welch_holm)) {
            same[ns++] = vs[i];
            continue;
        }
        tested++;
        mw_disagree += c->significant != c->mw_significant;
        bool higher = c->gap.diff > 0;
        if (c->significant && higher == pd->higher_is_better)
            better[nb++] = vs[i];
        else if (c->significant)
            worse[nw++] = vs[i];
        else {
            same[ns++] = vs[i];
            nonsig[nns++] = vs[i];
            ci_lo = fmin(ci_lo, c->gap.lo);
            ci_hi = fmax(ci_hi, c->gap.hi);
        }
    }
    if (configs_max == 1)
        tdm_buf_printf(finding, "Over %zu runs of %d variants in one configuration, mean %s ranged from ", runs, n,
                       short_label(P));
    else
        tdm_buf_printf(finding, "Over %zu runs of %d variants in up to %zu configurations, mean %s ranged from ", runs,
                       n, configs_max, short_label(P));
    value_unit(finding, an->variants[lo_v].pooled.m[P][0].desc.mean, P);
    tdm_buf_printf(finding, " (%s) to ", ds->variants[lo_v].label);
    value_unit(finding, an->variants[hi_v].pooled.m[P][0].desc.mean, P);
    tdm_buf_printf(finding, " (%s)", ds->variants[hi_v].label);
    /* what the scale means, when every run had the same number of agents */
    size_t agents = 0;
    bool same_n = true;
    for (size_t r = 0; r < ds->n_runs; r++) {
        if (ds->variants[ds->dirs[ds->runs[r].dir].variant_idx].legacy != g)
            continue;
        if (agents && agents != ds->runs[r].n_agents)
            same_n = false;
        agents = ds->runs[r].n_agents;
    }
    if (P == TDM_M_EFFICIENCY && same_n && agents > 1)
        tdm_buf_printf(finding, " (100%% is perfect parallelism, %.0f%% no gain at all with %zu agents)",
                       100.0 / (double)agents, agents);
    tdm_buf_append_str(finding, "; ");
    /* within single configurations: how many pairs differ, and by how much at most */
    size_t cfg_total = 0, cfg_sig = 0;
    double cfg_max = 0;
    for (size_t i = 0; i < an->n_cmp; i++) {
        const tdm_rep_comparison *c = &an->cmp[i];
        if (c->scope != TDM_REP_SCOPE_CONFIG || c->metric != P || ds->variants[c->a].legacy != g)
            continue;
        cfg_total++;
        if (c->significant) {
            cfg_sig++;
            cfg_max = fmax(cfg_max, fabs(c->gap.diff));
        }
    }
    bool several = configs_max > 1;
    if (nb + nw == 0) {
        tdm_buf_printf(finding, "%sno variant differed significantly from %s after Holm's correction (alpha = %g)",
                       several ? "pooled over configurations, " : "", ds->variants[ref].label, an->settings.alpha);
        bool named = mt && others_vs_margin(finding, an, P, nonsig, nns, ref, mt, false, false, scratch);
        if (several && cfg_sig) {
            tdm_buf_printf(finding, "%s within single configurations %zu of %zu pairwise differences did (none "
                                    "larger than ",
                           named ? "; but" : ", but", cfg_sig, cfg_total);
            diff_unit(finding, cfg_max, P);
            if (mt)
                config_vs_margin(finding, an, g, P, mt, named, true);
            tdm_buf_append_str(finding, ")");
        } else if (several && cfg_total) {
            tdm_buf_printf(finding, "%s of the %zu pairs within single configurations", named ? "; nor did any" :
                                                                                               ", nor did any",
                           cfg_total);
        }
        tdm_buf_append_str(finding, ".");
    } else {
        size_t k = 0;
        for (int i = 0; i < n; i++)
            for (size_t j = 0; j < nb + nw; j++)
                if ((j < nb ? better[j] : worse[j - nb]) == vs[i])
                    sig[k++] = vs[i];
        list_join(finding, ds, sig, k);
        tdm_buf_printf(finding, " differed significantly from %s after Holm's correction (alpha = %g; ",
                       ds->variants[ref].label, an->settings.alpha);
        for (size_t j = 0; j < nb + nw; j++) {
            int v = j < nb ? better[j] : worse[j - nb];
            const tdm_rep_comparison *c = pooled_cmp(an, v, P);
            char p[32];
            tdm_buf_printf(finding, "%s%s ", j ? "; " : "", ds->variants[v].label);
            diff_unit(finding, c->gap.diff, P);
            tdm_rep_fmt_p(p, sizeof p, c->p_welch_holm);
            tdm_buf_printf(finding, ", p %s%s", p[0] == '<' ? "< " : "= ", p[0] == '<' ? p + 1 : p);
        }
        tdm_buf_append_str(finding, ")");
        bool named = mt && significant_vs_margin(finding, an, P, sig, k, mt, scratch);
        bool said = mt && others_vs_margin(finding, an, P, nonsig, nns, ref, mt, named, true, scratch);
        named |= said;
        if (!said && ns > 1)
            tdm_buf_append_str(finding, ", the others did not");
        if (several && cfg_total) {
            tdm_buf_printf(finding, "; within single configurations %zu of %zu pairwise differences were significant",
                           cfg_sig, cfg_total);
            if (mt)
                config_vs_margin(finding, an, g, P, mt, named, false);
        }
        tdm_buf_append_str(finding, ".");
    }
    if (nb > 0) {
        int best = better[0];
        for (size_t j = 1; j < nb; j++)
            if (fabs(pooled_cmp(an, better[j], P)->gap.diff) > fabs(pooled_cmp(an, best, P)->gap.diff))
                best = better[j];
        const tdm_rep_comparison *c = pooled_cmp(an, best, P);
        tdm_buf_printf(rec, "Recommendation: %s, whose %s is %s than %s's by ", ds->variants[best].label,
                       short_label(P), c->gap.diff > 0 ? "higher" : "lower", ds->variants[ref].label);
        diff_unit(rec, fabs(c->gap.diff), P);
        tdm_buf_printf(rec, " (%.0f%% CI ", level);
        diff_unit(rec, c->gap.lo, P);
        tdm_buf_append_str(rec, " to ");
        diff_unit(rec, c->gap.hi, P);
        tdm_buf_append_str(rec, "), significant after Holm's correction");
        /* how the gain stands against what was set to matter */
        if (mt && c->equiv == TDM_REP_EQ_WITHIN)
            tdm_buf_printf(rec, ", but within the %s equivalence margin: if a gain that small does not matter for "
                                "your use, choose the simplest variant instead",
                           mt);
        else if (mt && c->equiv == TDM_REP_EQ_BEYOND)
            tdm_buf_printf(rec, " and larger than the %s equivalence margin", mt);
        else if (mt && c->equiv == TDM_REP_EQ_MAYBE_BEYOND)
            tdm_buf_printf(rec, ", possibly larger than the %s equivalence margin", mt);
        tdm_buf_append_str(rec, ".");
    } else {
        /* candidates: the reference and every variant never significantly worse than it,
         * pooled or within a configuration */
        int *cand = calloc(ds->n_variants ? ds->n_variants : 1, sizeof *cand);
        int *lower = calloc(ds->n_variants ? ds->n_variants : 1, sizeof *lower);
        int *higher = calloc(ds->n_variants ? ds->n_variants : 1, sizeof *higher);
        size_t nc = 0, nl = 0, nh = 0;
        double lower_max = 0, higher_max = 0;
        if (!cand || !lower || !higher) {
            free(cand);
            free(lower);
            free(higher);
            goto out;
        }
        for (size_t k = 0; k < ns; k++) {
            int v = same[k];
            bool worse_somewhere = false, better_somewhere = false;
            for (size_t i = 0; v != ref && i < an->n_cmp; i++) {
                const tdm_rep_comparison *c = &an->cmp[i];
                if (c->scope != TDM_REP_SCOPE_CONFIG || c->metric != P || c->a != v || c->b != ref ||
                    !c->significant)
                    continue;
                if ((c->gap.diff > 0) == pd->higher_is_better) {
                    better_somewhere = true;
                    higher_max = fmax(higher_max, fabs(c->gap.diff));
                } else {
                    worse_somewhere = true;
                    lower_max = fmax(lower_max, fabs(c->gap.diff));
                }
            }
            if (worse_somewhere)
                lower[nl++] = v;
            else
                cand[nc++] = v;
            if (better_somewhere && !worse_somewhere)
                higher[nh++] = v;
        }
        tdm_buf_printf(rec, "Recommendation: no variant is significantly better than %s%s, so choose the simplest of ",
                       ds->variants[ref].label, several ? " pooled over configurations" : "");
        list_join(rec, ds, cand, nc);
        if (nh) {
            tdm_buf_append_str(rec, " (");
            list_join(rec, ds, higher, nh);
            tdm_buf_printf(rec, " %s significantly %s in some configurations, by at most ", nh == 1 ? "was" : "were",
                           pd->higher_is_better ? "higher" : "lower");
            diff_unit(rec, higher_max, P);
            tdm_buf_append_str(rec, ")");
        }
        if (nl) {
            tdm_buf_append_str(rec, "; ");
            list_join(rec, ds, lower, nl);
            tdm_buf_printf(rec, " %s significantly %s than %s in some configurations (by at most ",
                           nl == 1 ? "was" : "were", pd->higher_is_better ? "lower" : "higher",
                           ds->variants[ref].label);
            diff_unit(rec, lower_max, P);
            tdm_buf_append_str(rec, ")");
        }
        if (nw) {
            /* Significant is not the same as large: say which. With a margin the data say
             * whether the difference is smaller than what matters; without one (or when
             * they cannot tell), leave the size to the comparisons table rather than
             * telling the reader to avoid a variant. */
            size_t within = mt ? pick(an, P, worse, nw, TDM_REP_EQ_WITHIN, scratch) : 0;
            size_t beyond = mt ? pick(an, P, worse, nw, TDM_REP_EQ_BEYOND, scratch) : 0;
            tdm_buf_append_str(rec, "; ");
            list_join(rec, ds, worse, nw);
            tdm_buf_printf(rec, " %s significantly %s%s", nw == 1 ? "was" : "were",
                           pd->higher_is_better ? "lower" : "higher", several ? " pooled over configurations" : "");
            if (within == nw)
                tdm_buf_printf(rec, ", but within the %s equivalence margin: prefer the others only if a difference "
                                    "smaller than that matters for your use",
                               mt);
            else if (beyond == nw)
                tdm_buf_printf(rec, ", by more than the %s equivalence margin", mt);
            else
                tdm_buf_append_str(rec, "; prefer the others only if a difference of that size (see the comparisons) "
                                        "matters for your use");
        }
        tdm_buf_append_str(rec, ".");
        free(cand);
        free(lower);
        free(higher);
    }
    /* how sure */
    tdm_buf_printf(sure, "How sure: each variant is compared with %s over the runs of the configurations both ran "
                         "(Welch's t-test, Holm-adjusted across the %zu pooled comparisons of this metric). ",
                   ds->variants[ref].label, tested);
    if (isfinite(ci_lo) && isfinite(ci_hi)) {
        tdm_buf_printf(sure, "For the variants that did not differ significantly, the %.0f%% CIs of the differences "
                             "run from ",
                       level);
        diff_unit(sure, ci_lo, P);
        tdm_buf_append_str(sure, " to ");
        diff_unit(sure, ci_hi, P);
        tdm_buf_append_str(sure, ": a true difference beyond that range is unlikely, one inside it cannot be "
                                 "excluded. ");
    }
    if (tested)
        tdm_buf_printf(sure,
                       mw_disagree ? "Mann-Whitney's test disagrees with Welch's on %zu of the pooled comparisons. "
                                   : "Mann-Whitney's test agrees with Welch's on every pooled comparison. ",
                       mw_disagree);
    if (mt && tested)
        tdm_buf_printf(sure, "A difference counts as within the %s equivalence margin when its %.0f%% CI lies inside "
                             "it (two one-sided tests, TOST, at alpha = %g; see Method). ",
                       mt, 100.0 * (1.0 - 2.0 * an->settings.alpha), an->settings.alpha);
    /* Legacy efficiency at 100/N: the agents did not overlap at all. */
    if (P == TDM_M_LEGACY_EFFICIENCY)
        for (int i = 0; i < n; i++) {
            const tdm_rep_sample *s = &an->variants[vs[i]].pooled.m[P][0];
            size_t na = 0;
            for (size_t r = 0; r < ds->n_runs && !na; r++)
                if (ds->dirs[ds->runs[r].dir].variant_idx == vs[i])
                    na = ds->runs[r].n_agents;
            if (na > 1 && s->desc.n > 0 && s->desc.max <= 100.0 / (double)na + 0.1)
                tdm_buf_printf(sure, "%s's legacy efficiency never exceeded %.0f%% (= 100/N): its agents did not "
                                     "overlap at all, they ran one after the other. ",
                               ds->variants[vs[i]].label, 100.0 / (double)na);
        }
    if (P == TDM_M_LEGACY_EFFICIENCY)
        tdm_buf_append_str(sure, "Legacy efficiency measures overlap, not a gain from running together: these runs "
                                 "cannot show whether concurrency was faster than running the agents one by one.");
out:
    free(vs);
    free(better);
    free(worse);
    free(same);
    free(nonsig);
    free(scratch);
    free(sig);
}

int tdm_rep_write_verdict(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    bool has[2] = {false, false};
    for (size_t v = 0; v < ds->n_variants; v++)
        has[ds->variants[v].legacy] = true;
    int main_g = has[0] ? 0 : 1;
    tdm_buf f = {0}, r = {0}, s = {0};
    if (!has[0] && !has[1]) {
        tdm_buf_append_str(&f, "No runs were found, so nothing was measured.");
        tdm_buf_append_str(&r, "Recommendation: none; point the report at directories holding run results.");
    } else if (an->primary[main_g] < 0) {
        tdm_buf_append_str(&f, "No run has a defined efficiency (neither sequential and concurrent phases nor "
                               "agent timelines), so the runtimes cannot be ranked.");
        tdm_buf_append_str(&r, "Recommendation: none can be made from these data.");
    } else {
        group_verdict(an, main_g, &f, &r, &s);
    }
    tdm_buf sum = {0};
    tdm_buf_printf(&sum, "%s %s", tdm_buf_str(&f), tdm_buf_str(&r));
    an->summary = tdm_buf_steal(&sum);
    an->recommendation = tdm_buf_steal(&r);
    an->confidence = tdm_buf_steal(&s);
    tdm_buf_free(&f);
    if (has[0] && has[1] && an->primary[1] >= 0) {
        tdm_buf lf = {0}, lr = {0}, ls = {0}, all = {0};
        group_verdict(an, 1, &lf, &lr, &ls);
        tdm_buf_printf(&all, "Imported seed runs: %s %s %s", tdm_buf_str(&lf), tdm_buf_str(&lr), tdm_buf_str(&ls));
        an->legacy_note = tdm_buf_steal(&all);
        tdm_buf_free(&lf);
        tdm_buf_free(&lr);
        tdm_buf_free(&ls);
    }
    return an->summary && an->recommendation && an->confidence ? 0 : -1;
}
