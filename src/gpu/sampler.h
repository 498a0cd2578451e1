/* sampler.h — the `sample` loop: every GPU every interval into gpu.csv until SIGTERM or
 * SIGINT. */
#ifndef TDM_GPU_SAMPLER_H
#define TDM_GPU_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "gpu/source.h"

typedef struct tdm_gpu_sampler_opts {
    const char *out;        /* FILE; FILE.partial while sampling */
    const char *ready_file; /* created after the first sample is on disk; NULL: none */
    int interval_ms;
} tdm_gpu_sampler_opts;

/* Installs the SIGTERM/SIGINT handlers and blocks both until the loop waits, so a stop
 * requested while the source is still opening ends the run cleanly instead of killing
 * it. Call it first thing; tdm_gpu_sampler_run calls it when it was not called. */
void tdm_gpu_sampler_catch_signals(void);

/* Samples src until SIGTERM/SIGINT, then renames FILE.partial
 * to FILE. *lines counts the CSV lines written. Returns 0 after a clean stop, -1 with err
 * when the file cannot be written or nvidia-smi stops on its own (FILE then still holds
 * every complete sample taken). */
int tdm_gpu_sampler_run(tdm_gpu_source *src, const tdm_gpu_sampler_opts *o, uint64_t *lines, char *err,
                        size_t errlen);

#endif
