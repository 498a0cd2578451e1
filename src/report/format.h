/* format.h — how the report prints a number, a p-value and text taken from results, in
 * one place so the verdict's sentences and every Markdown table print them alike. */
#ifndef TDM_REPORT_FORMAT_H
#define TDM_REPORT_FORMAT_H

#include <stddef.h>

#include "core/buf.h"

/* Formats a number for people with the metric's decimals ("n/a" for NaN). */
const char *tdm_rep_fmt(char *buf, size_t len, double v, int decimals);
/* A p-value for people: "<0.0001" or 4 decimals. */
const char *tdm_rep_fmt_p(char *buf, size_t len, double p);
/* Escapes text from results for Markdown (table cells and paragraphs): the core's
 * tdm_md_escape, plus control characters as spaces and '&' as an entity. */
void tdm_rep_md_text(tdm_buf *b, const char *s);

#endif
