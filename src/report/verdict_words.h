/* verdict_words.h — the pieces every sentence of the verdict is built from: a metric's
 * short name, a value or a difference in its unit, a list of variant names, the margin in
 * words, and the variants of a list with one equivalence verdict. One leaf file, so the
 * finding and the advice print numbers and names alike without calling each other. */
#ifndef TDM_REPORT_VERDICT_WORDS_H
#define TDM_REPORT_VERDICT_WORDS_H

#include <stddef.h>

#include "core/buf.h"
#include "report/analysis.h"
#include "report/verdict_decide.h"

/* "efficiency", "legacy efficiency", or the metric's key. */
const char *tdm_rep_vw_label(int metric);
/* A value with its unit: "12.34%", "1.234 s". */
void tdm_rep_vw_value(tdm_buf *b, double v, int metric);
/* A difference in the metric's unit: percentage points for percentages ("1.2 pp"). */
void tdm_rep_vw_diff(tdm_buf *b, double v, int metric);
/* "a", "a and b", "a, b, and c". */
void tdm_rep_vw_list(tdm_buf *b, const tdm_rep_dataset *ds, const int *v, size_t n);
/* The metric's margin for people ("±1 pp") in buf, or NULL when it has none. */
const char *tdm_rep_vw_margin(const tdm_rep_analysis *an, int metric, char *buf, size_t len);
/* Of variants v[0..n), those whose pooled comparison has verdict want, into out. */
size_t tdm_rep_vw_pick(const tdm_rep_verdict *vd, const int *v, size_t n, tdm_rep_equiv_verdict want, int *out);

#endif
