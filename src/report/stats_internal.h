/* stats_internal.h — helpers shared by the stats_*.c files and by nothing else
 * (not part of the report module's API; see stats.h for that). */
#ifndef TDM_STATS_INTERNAL_H
#define TDM_STATS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* 1 when every x[i] is finite (also for n == 0), else 0. */
int tdm_stats_priv_all_finite(const double *x, size_t n);
/* qsort comparator for finite doubles, ascending. */
int tdm_stats_priv_cmp_double(const void *a, const void *b);
/* A malloc'd ascending copy of x (n > 0), or NULL when memory ran out. */
double *tdm_stats_priv_sorted_copy(const double *x, size_t n);

/* 1 when both samples are usable: a non-NULL array wherever n > 0, all finite. */
int tdm_stats_priv_samples_ok(const double *x1, size_t n1, const double *x2, size_t n2);

/* ---- stats_rng.c: xoshiro256** seeded by splitmix64 ---- */
typedef struct tdm_stats_priv_rng {
    uint64_t s[4];
} tdm_stats_priv_rng;

/* One splitmix64 step: advances *state and returns the next output. */
uint64_t tdm_stats_priv_splitmix64(uint64_t *state);
/* s[0..3] = the first four splitmix64 outputs from `seed`. */
void tdm_stats_priv_rng_seed(tdm_stats_priv_rng *r, uint64_t seed);
uint64_t tdm_stats_priv_rng_next(tdm_stats_priv_rng *r);
/* Uniform in [0, n) for n >= 1, without modulo bias. */
size_t tdm_stats_priv_rng_below(tdm_stats_priv_rng *r, size_t n);

#endif
