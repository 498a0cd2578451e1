/* gpu.h — a run's GPU numbers as the report reads them: the phase spans and
 * server-counted tokens from the run's records, and run_<k>/gpu.csv read with the core's
 * parser and evaluated over those spans (utilisation, energy, J per output token). The
 * arithmetic is the core's (core/gpu_samples.h); this only places it on the run. */
#ifndef TDM_REPORT_GPU_H
#define TDM_REPORT_GPU_H

#include <stddef.h>

#include "core/rundata.h"
#include "report/model.h"

/* Sets g's phase spans and per-phase tokens from the run's records. */
void tdm_rep_gpu_spans(tdm_rep_gpu_run *g, const tdm_run_data *d);

/* Reads the gpu.csv at path into g (which keeps path). Returns 0, or -1 with err naming
 * the file, the line and the fix: the run then has no GPU numbers (g->has_file false). */
int tdm_rep_gpu_read(tdm_rep_gpu_run *g, const char *path, char *err, size_t errlen);

#endif
