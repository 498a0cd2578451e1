/* summary_text.h — the human views of summary.json: report.md and the stdout table.
 * Both read only the summary document, so they can never disagree with it. */
#ifndef TDM_SUMMARY_TEXT_H
#define TDM_SUMMARY_TEXT_H

#include <stdio.h>

#include "core/summary.h"

struct json_t;

/* report.md (heap string). */
char *tdm_summary_markdown(const tdm_summary_inputs *in, struct json_t *summary);
void tdm_summary_print_table(const tdm_summary_inputs *in, struct json_t *summary, FILE *out);
/* Escapes text for a Markdown table cell or paragraph (appends to b). */
void tdm_md_escape(tdm_buf *b, const char *text);

#endif
