/* check_dir.h — one run directory (provenance.json beside run_1/records.json,
 * run_2/records.json, ...) checked and read: the field checks of check.h first, then the
 * core's own reader (tdm_run_data_from_json), the one the report and the variants use.
 * `tandem-report check` prints the problems; `finalize` derives from what was read. */
#ifndef TDM_REPORT_CHECK_DIR_H
#define TDM_REPORT_CHECK_DIR_H

#include <stddef.h>

#include "core/rundata.h"
#include "core/scenario.h"
#include "report/check.h"

struct json_t;

typedef struct tdm_rep_rundir {
    struct json_t *prov;    /* provenance.json */
    tdm_scenario scenario;  /* rebuilt from provenance "scenario" */
    tdm_run_data *runs;     /* run_1 .. run_<n_runs>, read by the core's reader */
    size_t n_runs;
} tdm_rep_rundir;

/* Checks and reads dir. Returns the number of problems added to p (0: rd is complete;
 * otherwise rd holds nothing), or -1 when memory ran out. Free rd with
 * tdm_rep_rundir_free in every case. */
long tdm_rep_rundir_load(const char *dir, tdm_rep_rundir *rd, tdm_rep_problems *p);
void tdm_rep_rundir_free(tdm_rep_rundir *rd);

#endif
