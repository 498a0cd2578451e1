/* verdict_decide.h — the verdict of one source group as data: which variants differ
 * significantly from the reference on the primary metric (after Holm), which way, which
 * to choose, and how far the data can be trusted. Its own file, apart from the words
 * (verdict_finding.c, verdict_advice.c), so the decision can be read, tested and changed
 * without the English and the English without the statistics. */
#ifndef TDM_REPORT_VERDICT_DECIDE_H
#define TDM_REPORT_VERDICT_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "report/analysis.h"

/* A variant's speedup against the variant whose agents ran one after the other: the
 * ratio of concurrent wall times, pooled over the configurations both ran. */
typedef struct tdm_rep_serial_gain {
    int variant;
    size_t configs;                 /* configurations both ran */
    double speedup, lo, hi;         /* T(serial) / T(variant), its CI at 1 - alpha */
} tdm_rep_serial_gain;

/* Variant lists hold variant indices; each is in dataset order unless said otherwise. */
typedef struct tdm_rep_verdict {
    int metric;                     /* the group's primary metric; < 0: nothing to decide */
    int ref;                        /* the reference every variant is compared with */
    int *vs;                        /* the group's variants */
    int n;
    size_t runs, configs_max;       /* runs of the group; most configurations of one variant */
    const tdm_rep_sample *ref_pooled; /* the reference's pooled sample of the metric */
    int lo_v, hi_v;                 /* the variants of the lowest and highest pooled mean */
    double lo_mean, hi_mean;        /* those means */
    const tdm_rep_comparison **cmp; /* by variant index: its pooled comparison, or NULL */
    int *better, *worse;            /* significant, and better / worse than ref */
    size_t nb, nw;
    int *sig;                       /* better and worse together */
    size_t nsig;
    int *same;                      /* ref first, then the untested and the non-significant */
    size_t ns;
    int *nonsig;                    /* tested, not significant */
    size_t nns;
    double ci_lo, ci_hi;            /* span of nonsig's CIs of the difference; +-INFINITY: none */
    size_t tested, mw_disagree;     /* pooled comparisons; those where Mann-Whitney disagrees */
    size_t agents;                  /* agents per run when every run had the same number (same_agents) */
    bool same_agents;
    size_t cfg_total, cfg_sig;      /* pairs within single configurations; significant ones */
    size_t cfg_within, cfg_beyond, cfg_maybe; /* of cfg_sig: their verdicts against the margin */
    double cfg_max;                 /* largest |difference| of cfg_sig */
    int best;                       /* the better variant with the largest gain; -1 when nb == 0 */
    /* when nb == 0: the candidates (never significantly worse than ref, pooled or in a
     * configuration), those worse in some configuration, and those of the candidates
     * better in some; the largest such differences */
    int *cand, *lower, *higher;
    size_t nc, nl, nh;
    double lower_max, higher_max;
    /* legacy efficiency only: variants whose agents never overlapped (max <= 100/N) */
    int *serial;
    size_t *serial_agents;
    size_t nserial;
    /* verdict_scope.c. The candidates (cand) split by what the data showed: shown
     * equivalent to ref within the margin (ref first), inconclusive (neither significant
     * nor equivalent; runs_needed per variant: the runs a TOST power calculation asks
     * for, INFINITY when more runs cannot show it), and not judged (no margin). */
    int *shown, *incon, *unjudged;
    size_t nshown, ninc, nunj;
    double *runs_needed;
    /* every pooled comparison with ref, any metric, beyond or possibly beyond its margin */
    const tdm_rep_comparison **beyond;
    size_t nbeyond, cap_beyond;
    /* with a serial variant (serial[0]): every other variant's speedup against it */
    tdm_rep_serial_gain *gains;
    size_t ngains;
} tdm_rep_verdict;

/* verdict_scope.c, called by tdm_rep_verdict_decide. */
void tdm_rep_verdict_settle(const tdm_rep_analysis *an, tdm_rep_verdict *vd);
void tdm_rep_verdict_beyond(const tdm_rep_analysis *an, int g, tdm_rep_verdict *vd);
void tdm_rep_verdict_serial_baseline(const tdm_rep_analysis *an, tdm_rep_verdict *vd);

/* Decides the verdict of source group g (0 tandem, 1 imported seed runs) into *vd, which
 * borrows from an. Returns 0 (n == 0 or metric < 0 when there is nothing to decide), or
 * -1 when memory ran out. Free with tdm_rep_verdict_free in either case. */
int tdm_rep_verdict_decide(const tdm_rep_analysis *an, int g, tdm_rep_verdict *vd);
void tdm_rep_verdict_free(tdm_rep_verdict *vd);

#endif
