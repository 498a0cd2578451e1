/* quantile.h — percentiles of a small sample, for per-call ITL and run summaries.
 * Linear interpolation between order statistics (R type 7, numpy's default), the
 * same definition the report stage uses. */
#ifndef TDM_QUANTILE_H
#define TDM_QUANTILE_H

#include <stddef.h>

/* q in [0,1]; sorts v in place; NaN when n == 0. */
double tdm_quantile_inplace(double *v, size_t n, double q);
double tdm_mean(const double *v, size_t n);
/* Sample standard deviation (n - 1); NaN when n < 2. */
double tdm_sd(const double *v, size_t n);

#endif
