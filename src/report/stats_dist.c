/* stats_dist.c — the distribution functions behind the tests and intervals: the
 * regularized incomplete beta (continued fraction, modified Lentz), Student t CDF,
 * two-sided tail and quantile, and the standard normal CDF and quantile.
 *
 * Hand-written on libm (erfc, lgamma, log, exp) rather than linked from GSL or
 * Rmath: the report binary then needs no numerical library, the code is small
 * enough to read, and tests/unit/test_report_stats.c (scipy golden values) and
 * tests/oracle/test_stats_gsl.c (GSL over a grid) check every function.
 *
 * lgamma writes the global signgam; the report stage is single-threaded. */
#include "report/stats.h"

#include <float.h>
#include <math.h>

#define SQRT2 1.41421356237309504880
#define LOG_SQRT_2PI 0.91893853320467274178

double tdm_stats_lgamma(double x)
{
    return x > 0.0 ? lgamma(x) : NAN;
}

/* The continued fraction for I_x(a,b) (Numerical Recipes' betacf form, DLMF 8.17.22),
 * evaluated forward with the modified Lentz method. It converges quickly for
 * x < (a+1)/(a+b+2); the caller swaps to the complement otherwise. */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-16;
    /* Worst case grows like sqrt(max(a, b)); this cap is far above any df in use. */
    const int max_iter = 1000000;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= max_iter; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < eps)
            break;
    }
    return h;
}

/* The remainder of Stirling's series, lgamma(x) - ((x - 1/2) log x - x + log sqrt(2 pi)),
 * for x >= 10: terms B_2k / (2k (2k-1) x^(2k-1)) up to k = 7; the first one left
 * out is below 3e-17 there. */
static double stirling_rest(double x)
{
    double r = 1.0 / (x * x);
    return (1.0 / 12 +
            r * (-1.0 / 360 +
                 r * (1.0 / 1260 +
                      r * (-1.0 / 1680 +
                           r * (1.0 / 1188 + r * (-691.0 / 360360 + r * (1.0 / 156))))))) /
           x;
}

/* log B(a,b). Summing lgammas loses about log(a)*1e-16 absolute to cancellation
 * (1e-9 at a = 5e5, i.e. a t-test with a million degrees of freedom), so once an
 * argument reaches 10 the large parts are cancelled analytically (the same split
 * as R's lbeta) and only the small Stirling remainders are subtracted. */
static double log_beta(double a, double b)
{
    double p = a < b ? a : b, q = a < b ? b : a;
    if (q < 10.0)
        return lgamma(p) + lgamma(q) - lgamma(p + q);
    double corr = stirling_rest(q) - stirling_rest(p + q), r = p / (p + q);
    if (p >= 10.0)
        return -0.5 * log(q) + LOG_SQRT_2PI + corr + stirling_rest(p) + (p - 0.5) * log(r) +
               q * log1p(-r);
    return lgamma(p) + corr + p - p * log(p + q) + (q - 0.5) * log1p(-r);
}

/* I_x(a,b) given x, y = 1 - x and their logs, so callers that know y or the logs
 * more precisely than 1 - x and log(x) (the t tails) lose nothing to cancellation. */
static double ibeta_core(double a, double b, double x, double y, double log_x, double log_y)
{
    if (log_x == -INFINITY)
        return 0.0;
    if (log_y == -INFINITY)
        return 1.0;
    double front = exp(a * log_x + b * log_y - log_beta(a, b)); /* x^a y^b / B(a,b) */
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, y) / b;
}

double tdm_stats_ibeta(double a, double b, double x)
{
    if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0 && x <= 1.0) || isinf(a) || isinf(b))
        return NAN;
    double y = 1.0 - x;
    return ibeta_core(a, b, x, y, log(x), log1p(-x));
}

/* log(1 + t^2/df) and log(1 + df/t^2), the t distribution's recurring terms, without
 * overflow or underflow of t^2: once the ratio passes 1e300 (or is infinite) the log
 * of the ratio itself is used, correct there to far below a double's resolution. */
static double log1p_t2_df(double t, double df)
{
    double u = t * t / df;
    return u < 1e300 ? log1p(u) : 2.0 * log(fabs(t)) - log(df);
}

static double log1p_df_t2(double t, double df)
{
    double v = df / (t * t);
    return v < 1e300 ? log1p(v) : log(df) - 2.0 * log(fabs(t));
}

/* The incomplete beta arguments of the t distribution: x = df/(df+t^2) and
 * y = t^2/(df+t^2) with their logs, formed so that nothing overflows or cancels
 * (t = +-inf gives x = 0, t = 0 gives y = 0; x may underflow while log x stays
 * finite, which ibeta_core uses). */
typedef struct t_args {
    double x, y, log_x, log_y;
} t_args;

static t_args t_beta_args(double t, double df)
{
    t_args r;
    r.log_x = -log1p_t2_df(t, df);
    r.log_y = -log1p_df_t2(t, df); /* -inf at t = 0 */
    r.x = exp(r.log_x);
    r.y = exp(r.log_y);
    return r;
}

/* From this many degrees of freedom on, P(|T| >= |t|) comes from Hill's normalising
 * transformation rather than the incomplete beta. The continued fraction works on
 * x = df/(df+t^2), and near x = 1 its terms cancel: relative error grows like
 * 3e-17 * df (3e-12 at df = 1e5, 1e-3 at df = 1e15). Hill's error falls like df^-3:
 * against 50-digit mpmath it is below 4e-15 at df = 2e4 and 1e-18 at df = 1e5 for
 * every tail above 1e-300, so the switch keeps both sides below ~1e-12. */
#define T_HILL_MIN_DF 2e4

/* G. W. Hill, "Algorithm 395: Student's t-distribution", CACM 13(10), 1970: with
 * a = df - 1/2 and y = a log(1 + t^2/df), z = sqrt(y) corrected by a rational term in
 * y and 1/(48 a^2) is standard normal to O(df^-3), so P(|T| >= |t|) = erfc(z / sqrt 2)
 * and P(|T| < |t|) = erf(z / sqrt 2). */
static double t_hill_z(double t, double df)
{
    double a = df - 0.5, b = 48.0 * a * a, y = a * log1p_t2_df(t, df);
    double c = ((((-0.4 * y - 3.3) * y - 24.0) * y - 85.5) / (0.8 * y * y + 100.0 + b) + y +
                3.0) / b + 1.0;
    return c * sqrt(y);
}

/* P(|T| >= |t|) = I_x(df/2, 1/2), and its complement P(|T| < |t|) = I_y(1/2, df/2). */
static double t_two_tail(double t, double df)
{
    if (df >= T_HILL_MIN_DF)
        return erfc(t_hill_z(t, df) / SQRT2);
    t_args r = t_beta_args(t, df);
    return ibeta_core(0.5 * df, 0.5, r.x, r.y, r.log_x, r.log_y);
}

static double t_central(double t, double df)
{
    if (df >= T_HILL_MIN_DF)
        return erf(t_hill_z(t, df) / SQRT2);
    t_args r = t_beta_args(t, df);
    return ibeta_core(0.5, 0.5 * df, r.y, r.x, r.log_y, r.log_x);
}

double tdm_stats_t_p2(double t, double df)
{
    if (isnan(t) || !(df > 0.0))
        return NAN;
    if (isinf(df))
        return erfc(fabs(t) / SQRT2);
    return t_two_tail(t, df);
}

double tdm_stats_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0.0))
        return NAN;
    if (isinf(df))
        return tdm_stats_norm_cdf(t);
    double tail = 0.5 * t_two_tail(t, df); /* P(T >= |t|) */
    return t > 0.0 ? 1.0 - tail : tail;
}

/* log of the t density: (1 + t^2/df)^(-(df+1)/2) / (sqrt(df) B(1/2, df/2)). */
static double t_log_pdf(double t, double df)
{
    return -0.5 * log(df) - log_beta(0.5, 0.5 * df) - 0.5 * (df + 1.0) * log1p_t2_df(t, df);
}

/* Starting point: the Cornish-Fisher expansion of t in powers of 1/df around the
 * normal quantile z (Abramowitz & Stegun 26.7.5). Poor for df near 1 in the far
 * tail; the bracketed solver below does not depend on it being good. */
static double t_start(double z, double df)
{
    double z2 = z * z;
    double g1 = (z2 + 1.0) * z / 4.0;
    double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    double g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z /
                92160.0;
    double t = z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
    return isfinite(t) && t > 0.0 ? t : 1.0;
}

/* Solves P(T >= t) = q for t > 0 (0 < q < 0.5) by Newton's method from the
 * Cornish-Fisher start, on whichever form of the equation is well conditioned:
 * - in the tail (q <= 0.25), on log P(T >= t) against log t: a step is exact for a
 *   power-law tail (small df, far out) and quadratic near the root for any df, so a
 *   few steps suffice even at q = 1e-300;
 * - near the centre, on (0.5 - q) - P(0 < T < t), where 0.5 - q is exact (Sterbenz)
 *   and nothing cancels; logs there would lose the digits of a t near 0.
 * A bracket [lo, hi] that always holds the root catches a step that would leave it
 * and bisects instead (geometrically while it spans decades). Returns +inf when the
 * root is beyond the doubles. */
static double t_upper_quantile(double q, double df)
{
    const int centre = q > 0.25;
    double log_q = log(q), lo = 0.0, hi = INFINITY;
    double t = t_start(-tdm_stats_norm_quantile(q), df);
    for (int i = 0; i < 500; i++) {
        double excess, next; /* excess: P(T >= t) - q, or its log-ratio */
        if (centre) {
            excess = (0.5 - q) - 0.5 * t_central(t, df);
            next = t + excess / exp(t_log_pdf(t, df));
        } else {
            double s = 0.5 * t_two_tail(t, df);
            excess = log(s) - log_q;             /* -inf when s underflowed */
            double slope = t * exp(t_log_pdf(t, df)) / s; /* -d log S / d log t */
            next = t + t * expm1(excess / slope);
        }
        if (excess == 0.0)
            return t;
        if (excess > 0.0)
            lo = t;
        else
            hi = t;
        if (!(next > lo && next < hi)) {
            if (isinf(hi))
                next = 4.0 * t;
            else
                next = (lo > 0.0 && hi > 4.0 * lo) ? sqrt(lo * hi) : 0.5 * (lo + hi);
        }
        if (next > DBL_MAX / 8.0)
            return INFINITY;
        /* A Newton step this small leaves an error of order step^2. */
        if (fabs(next - t) <= 1e-14 * next ||
            (hi < INFINITY && hi - lo <= 8.0 * DBL_EPSILON * hi))
            return next;
        t = next;
    }
    return t;
}

double tdm_stats_t_quantile(double p, double df)
{
    if (!(p > 0.0 && p < 1.0) || !(df > 0.0))
        return NAN;
    if (isinf(df))
        return tdm_stats_norm_quantile(p);
    if (p == 0.5)
        return 0.0;
    /* 1 - p is exact for p >= 0.5 (Sterbenz). */
    return p < 0.5 ? -t_upper_quantile(p, df) : t_upper_quantile(1.0 - p, df);
}

double tdm_stats_norm_cdf(double z)
{
    if (isnan(z))
        return NAN;
    return 0.5 * erfc(-z / SQRT2);
}

/* Upper-tail quantile x > 0 with P(Z >= x) = q, 0 < q <= 0.5: start from
 * Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4) and refine with Halley steps on
 * the upper tail 0.5 erfc(x / sqrt 2); each step roughly triples the correct digits,
 * so two or three reach full double precision. */
static double norm_upper_quantile(double q)
{
    double s = sqrt(-2.0 * log(q));
    double x = s - (2.515517 + s * (0.802853 + s * 0.010328)) /
                       (1.0 + s * (1.432788 + s * (0.189269 + s * 0.001308)));
    for (int i = 0; i < 8; i++) {
        double pdf = exp(-0.5 * x * x - LOG_SQRT_2PI);
        /* P(Z >= x) - q; near the centre as 0.5 - q - P(0 < Z < x), which keeps
         * relative accuracy for x near 0 (0.5 - q is exact for q > 0.25). */
        double f = q > 0.25 ? (0.5 - q) - 0.5 * erf(x / SQRT2) : 0.5 * erfc(x / SQRT2) - q;
        double dx = f / pdf;
        if (!isfinite(dx))
            break;
        double step = dx / (1.0 - 0.5 * dx * x);
        x += step;
        if (fabs(step) <= 1e-16 * fabs(x))
            break;
    }
    return x;
}

double tdm_stats_norm_quantile(double p)
{
    if (!(p > 0.0 && p < 1.0))
        return NAN;
    if (p == 0.5)
        return 0.0;
    return p < 0.5 ? -norm_upper_quantile(p) : norm_upper_quantile(1.0 - p);
}
