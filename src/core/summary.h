/* summary.h — the derived outputs of one `run` invocation: summary.json (every metric
 * of every run, and means across runs), report.md (the same, for people) and the table
 * on stdout. All three are computed from the runs' raw records by metrics.c. */
#ifndef TDM_SUMMARY_H
#define TDM_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "core/rundata.h"
#include "core/scenario.h"

struct json_t;

typedef struct tdm_summary_inputs {
    const tdm_scenario *scenario;
    struct json_t *provenance;   /* borrowed */
    const tdm_run_data *runs;
    size_t n_runs;
    const char *output_dir;
} tdm_summary_inputs;

/* A last run marked interrupted (records.json "interrupted": true) is left out of
 * every number, and the summary and report.md say so. */

/* Builds summary.json's document. */
struct json_t *tdm_summary_json(const tdm_summary_inputs *in);
/* Writes summary.json and report.md into output_dir; prints the table to out unless
 * out is NULL. Returns 0 or -1 with err. */
int tdm_summary_write(const tdm_summary_inputs *in, FILE *out, char *err, size_t errlen);

#endif
