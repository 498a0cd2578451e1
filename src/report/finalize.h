/* finalize.h — `tandem-report finalize RUN_DIR`: summary.json and report.md (and the
 * console table) of a run directory derived from its raw records and provenance with the
 * core's own code (core/summary.c), exactly as a C variant writes them at the end of its
 * run. An external client writes only provenance.json and run_<k>/records.json, then
 * calls this once: every derived number comes from the one core. */
#ifndef TDM_REPORT_FINALIZE_H
#define TDM_REPORT_FINALIZE_H

#include <stdio.h>

#include "report/check.h"

/* Checks dir (check_dir.h) and, when no problem was found, writes summary.json and
 * report.md into it, printing the table to table unless it is NULL. Returns 0; 1 with
 * the problems in p; -1 with err when writing failed or memory ran out. */
int tdm_rep_finalize(const char *dir, FILE *table, tdm_rep_problems *p, char *err, size_t errlen);

#endif
