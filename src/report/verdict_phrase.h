/* verdict_phrase.h — the verdict of one source group in words: the finding, the
 * recommendation and how sure, each written from a decided tdm_rep_verdict
 * (verdict_decide.h) and never from the comparisons directly, so the words cannot claim
 * what the decision did not. mt is the primary metric's margin in words, or NULL when it
 * has none; scratch holds 2 * n_variants ints. */
#ifndef TDM_REPORT_VERDICT_PHRASE_H
#define TDM_REPORT_VERDICT_PHRASE_H

#include "core/buf.h"
#include "report/analysis.h"
#include "report/verdict_decide.h"

/* verdict_finding.c: what was measured and which variants differed. */
void tdm_rep_verdict_finding(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt,
                             int *scratch);
/* verdict_advice.c: what to choose ("Recommendation: ..."). */
void tdm_rep_verdict_recommend(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt,
                               int *scratch);
/* verdict_advice.c: how sure ("How sure: ..."); nothing with a single variant. */
void tdm_rep_verdict_sure(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd, const char *mt);

/* verdict_scope_words.c: the differences beyond their margins, any metric (a sentence,
 * nothing when none); the serial baseline and the gains against it (nothing without one). */
void tdm_rep_verdict_beyond_words(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd);
void tdm_rep_verdict_serial_words(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd);

/* verdict_grid.c: every metric with a margin, per variant against the reference, as a
 * Markdown table, labels escaped. Nothing with one variant. */
void tdm_rep_verdict_grid(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_verdict *vd);
/* verdict_json.c: the decision as data (a new reference; json null when nothing was decided). */
struct json_t *tdm_rep_verdict_json(const tdm_rep_analysis *an, const tdm_rep_verdict *vd);

#endif
