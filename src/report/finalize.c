/* finalize.c — a run directory's derived files from its raw ones (see finalize.h). */
#include "report/finalize.h"

#include <stdio.h>

#include "core/summary.h"
#include "report/check_dir.h"

int tdm_rep_finalize(const char *dir, FILE *table, tdm_rep_problems *p, char *err, size_t errlen)
{
    tdm_rep_rundir rd;
    long found = tdm_rep_rundir_load(dir, &rd, p);
    if (found != 0) {
        tdm_rep_rundir_free(&rd);
        if (found < 0)
            snprintf(err, errlen, "out of memory reading %s", dir);
        return found < 0 ? -1 : 1;
    }
    /* what core/runner.c hands tdm_summary_write at the end of a run */
    tdm_summary_inputs in = {.scenario = &rd.scenario, .provenance = rd.prov, .runs = rd.runs,
                             .n_runs = rd.n_runs, .output_dir = dir};
    int rc = tdm_summary_write(&in, table, err, errlen);
    tdm_rep_rundir_free(&rd);
    return rc == 0 ? 0 : -1;
}
