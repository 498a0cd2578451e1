/* stats_tests.c — comparisons between two samples and across a family of them:
 * Welch's t-test, the Mann-Whitney U test (exact or normal approximation) and the
 * Holm-Bonferroni adjustment (see stats.h for each one's conventions).
 *
 * Hand-written on libm for the same reasons as the rest of stats_*.c: a few hundred
 * lines, no numerical library in the report binary, and every p-value checked
 * against scipy/statsmodels golden values in tests/unit/test_report_stats.c. */
#include "report/stats.h"

#include <math.h>
#include <stdlib.h>

#include "report/stats_internal.h"

/* ---- Welch ------------------------------------------------------------------ */

int tdm_stats_welch(const double *x1, size_t n1, const double *x2, size_t n2,
                    tdm_stats_welch_result *out)
{
    if (!out)
        return TDM_STATS_EINVAL;
    out->t = out->df = out->p = out->mean_diff = NAN;
    if (!tdm_stats_priv_samples_ok(x1, n1, x2, n2))
        return TDM_STATS_EINVAL;
    if (n1 == 0 || n2 == 0)
        return TDM_STATS_OK;
    double diff = tdm_stats_mean(x1, n1) - tdm_stats_mean(x2, n2);
    out->mean_diff = diff;
    if (n1 < 2 || n2 < 2)
        return TDM_STATS_OK;
    double v1 = tdm_stats_var(x1, n1) / (double)n1, v2 = tdm_stats_var(x2, n2) / (double)n2;
    double se2 = v1 + v2;
    if (se2 == 0.0) {
        /* Both samples constant: the limit of the test (documented in stats.h). */
        out->df = (double)(n1 + n2 - 2);
        out->t = diff == 0.0 ? 0.0 : copysign(INFINITY, diff);
        out->p = diff == 0.0 ? 1.0 : 0.0;
        return TDM_STATS_OK;
    }
    /* Welch-Satterthwaite, with each term scaled by se2 so nothing under- or
     * overflows when squared. */
    double r1 = v1 / se2, r2 = v2 / se2;
    out->df = 1.0 / (r1 * r1 / (double)(n1 - 1) + r2 * r2 / (double)(n2 - 1));
    out->t = diff / sqrt(se2);
    out->p = tdm_stats_t_p2(out->t, out->df);
    return TDM_STATS_OK;
}

/* ---- Mann-Whitney U ------------------------------------------------------- */

typedef struct tagged {
    double v;
    int group; /* 1 or 2 */
} tagged;

static int cmp_tagged(const void *a, const void *b)
{
    const tagged *x = a, *y = b;
    if (x->v != y->v)
        return (x->v > y->v) - (x->v < y->v);
    return x->group - y->group;
}

/* P(U <= u) under the null for samples of n1 and n2 distinct values: f(m,n,k), the
 * number of orderings of m values of sample 1 and n of sample 2 in which k pairs
 * have the sample-1 value larger, obeys f(m,n,k) = f(m-1,n,k-n) + f(m,n-1,k)
 * (the largest value is from sample 1, beating all n, or from sample 2). Every
 * count is an integer <= C(n1+n2, n1), exact in a double for n1, n2 <= 20.
 * Returns NaN when memory ran out. */
static double mw_exact_cdf(size_t n1, size_t n2, size_t u)
{
    size_t width = n1 * n2 + 1;
    double *f = calloc((n1 + 1) * width, sizeof *f);
    if (!f)
        return NAN;
    for (size_t m = 0; m <= n1; m++)
        f[m * width] = 1.0; /* n = 0: only k = 0 */
    for (size_t n = 1; n <= n2; n++)
        for (size_t m = 1; m <= n1; m++) /* row m-1 already holds n */
            for (size_t k = n; k < width; k++)
                f[m * width + k] += f[(m - 1) * width + k - n];
    double below = 0.0, total = 0.0;
    for (size_t k = 0; k < width; k++) {
        total += f[n1 * width + k];
        if (k <= u)
            below += f[n1 * width + k];
    }
    free(f);
    return below / total;
}

int tdm_stats_mann_whitney(const double *x1, size_t n1, const double *x2, size_t n2,
                           tdm_stats_mw_result *out)
{
    if (!out)
        return TDM_STATS_EINVAL;
    out->u1 = out->u2 = out->p = out->z = NAN;
    out->method = 0;
    if (!tdm_stats_priv_samples_ok(x1, n1, x2, n2))
        return TDM_STATS_EINVAL;
    if (n1 == 0 || n2 == 0)
        return TDM_STATS_OK;
    size_t n = n1 + n2;
    tagged *all = malloc(n * sizeof *all);
    if (!all)
        return TDM_STATS_ENOMEM;
    for (size_t i = 0; i < n1; i++)
        all[i] = (tagged){x1[i], 1};
    for (size_t i = 0; i < n2; i++)
        all[n1 + i] = (tagged){x2[i], 2};
    qsort(all, n, sizeof *all, cmp_tagged);
    /* Midranks: a run of equal values at 0-based positions i..j-1 all get the mean
     * of ranks i+1..j. tie_term is sum(t^3 - t) over runs of length t. */
    double r1 = 0.0, tie_term = 0.0;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && all[j].v == all[i].v; j++)
            ;
        double rank = 0.5 * (double)(i + 1 + j), t = (double)(j - i);
        for (size_t k = i; k < j; k++)
            if (all[k].group == 1)
                r1 += rank;
        tie_term += t * t * t - t;
    }
    free(all);
    double nn = (double)n1 * (double)n2;
    out->u1 = r1 - 0.5 * (double)n1 * (double)(n1 + 1);
    out->u2 = nn - out->u1;
    double u_hi = fmax(out->u1, out->u2);
    if (tie_term == 0.0 && n1 <= TDM_STATS_MW_EXACT_MAX && n2 <= TDM_STATS_MW_EXACT_MAX) {
        /* Symmetric null: P(U >= u_hi) = P(U <= nn - u_hi). */
        double tail = mw_exact_cdf(n1, n2, (size_t)(nn - u_hi));
        if (isnan(tail))
            return TDM_STATS_ENOMEM;
        out->method = TDM_STATS_MW_EXACT;
        out->p = fmin(1.0, 2.0 * tail);
        return TDM_STATS_OK;
    }
    out->method = TDM_STATS_MW_NORMAL;
    double var = nn / 12.0 * ((double)(n + 1) - tie_term / ((double)n * (double)(n - 1)));
    if (!(var > 0.0)) { /* every value tied: no evidence either way */
        out->z = 0.0;
        out->p = 1.0;
        return TDM_STATS_OK;
    }
    out->z = (u_hi - 0.5 * nn - 0.5) / sqrt(var);
    out->p = fmin(1.0, erfc(out->z / sqrt(2.0))); /* 2 P(Z >= z) */
    return TDM_STATS_OK;
}

double tdm_stats_mw_min_p(size_t n1, size_t n2)
{
    if (n1 == 0 || n2 == 0)
        return NAN;
    double best = 1.0;
    if (n1 <= TDM_STATS_MW_EXACT_MAX && n2 <= TDM_STATS_MW_EXACT_MAX) {
        /* one arrangement of C(n1+n2, n1) in each tail; lgamma keeps it finite */
        double log_c = lgamma((double)(n1 + n2 + 1)) - lgamma((double)(n1 + 1)) - lgamma((double)(n2 + 1));
        best = fmin(best, 2.0 * exp(-log_c));
    }
    /* The normal path at its most extreme: u_hi = n1 n2, and each sample one tie run,
     * which makes the variance (so the p) as small as it gets. */
    double n = (double)(n1 + n2), nn = (double)n1 * (double)n2;
    double t1 = (double)n1, t2 = (double)n2;
    double tie_term = t1 * t1 * t1 - t1 + t2 * t2 * t2 - t2;
    double var = nn / 12.0 * ((n + 1.0) - (n > 1.0 ? tie_term / (n * (n - 1.0)) : 0.0));
    if (var > 0.0)
        best = fmin(best, erfc((0.5 * nn - 0.5) / sqrt(var) / sqrt(2.0)));
    return best;
}

/* ---- Holm-Bonferroni ------------------------------------------------------- */

typedef struct indexed {
    double p;
    size_t i;
} indexed;

static int cmp_indexed(const void *a, const void *b)
{
    const indexed *x = a, *y = b;
    if (x->p != y->p)
        return (x->p > y->p) - (x->p < y->p);
    return (x->i > y->i) - (x->i < y->i);
}

int tdm_stats_holm(const double *p, size_t m, double *adj)
{
    if ((m > 0 && (!p || !adj)))
        return TDM_STATS_EINVAL;
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        if (isnan(p[i]))
            continue;
        if (!(p[i] >= 0.0 && p[i] <= 1.0))
            return TDM_STATS_EINVAL;
        k++;
    }
    indexed *s = malloc((k ? k : 1) * sizeof *s);
    if (!s)
        return TDM_STATS_ENOMEM;
    for (size_t i = 0, j = 0; i < m; i++)
        if (!isnan(p[i]))
            s[j++] = (indexed){p[i], i};
    qsort(s, k, sizeof *s, cmp_indexed);
    /* The r-th smallest (0-based) is multiplied by k - r; a running maximum keeps
     * the adjusted values in the order of the raw ones. Computed in s before adj is
     * written, so adj may alias p. */
    double run = 0.0;
    for (size_t r = 0; r < k; r++) {
        double v = fmin(1.0, (double)(k - r) * s[r].p);
        run = fmax(run, v);
        s[r].p = run;
    }
    for (size_t i = 0; i < m; i++)
        if (isnan(p[i]))
            adj[i] = NAN;
    for (size_t r = 0; r < k; r++)
        adj[s[r].i] = s[r].p;
    free(s);
    return TDM_STATS_OK;
}
