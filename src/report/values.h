/* values.h — the samples every statistic of the report is computed from: the finite
 * values of one metric for one variant, picked out of the grouped dataset. Its own file
 * so the analysis and the parts it runs (comparisons, baselines) and the figures share
 * one definition of a sample without calling each other. */
#ifndef TDM_REPORT_VALUES_H
#define TDM_REPORT_VALUES_H

#include <stdbool.h>
#include <stddef.h>

#include "report/model.h"

/* The finite values of a metric for one variant in one configuration (a cell), or in
 * every configuration (config < 0), or in those configurations where `also` has runs
 * too (config < 0, also >= 0). Run-level metrics give one value per run; per-call
 * metrics one per successful, non-cold call of the phase. Values come in cell order,
 * then run order. Returns a heap array, NULL with *n = 0 when empty or out of memory;
 * *n_undefined counts values left out for being undefined. */
/* Whether a call enters the per-call statistics of phase (TDM_REP_SEQ or TDM_REP_CONC):
 * of that phase, successful, not a cold load. The one rule every per-call sample follows
 * (tdm_rep_values, the tails, the gain curve, the figures). */
bool tdm_rep_call_counts(const tdm_rep_call *c, int phase);

double *tdm_rep_values(const tdm_rep_dataset *ds, int variant, int config, int also, int metric, int phase,
                       size_t *n, size_t *n_undefined);

#endif
