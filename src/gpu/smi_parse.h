/* smi_parse.h — nvidia-smi's CSV output read into readings and device facts.
 *
 * nvidia-smi writes "[N/A]" or "[Not Supported]" (and on some drivers other bracketed
 * words) for values it cannot read; every such field becomes an absent value, never a
 * zero. Pure functions: no I/O, so they are tested on their own. */
#ifndef TDM_GPU_SMI_PARSE_H
#define TDM_GPU_SMI_PARSE_H

#include <stddef.h>

#include "gpu/gpu.h"

/* The fields the sampler asks for, in this order. */
#define TDM_GPU_SMI_SAMPLE_FIELDS "index,utilization.gpu,memory.used,power.draw,clocks.sm,temperature.gpu"
#define TDM_GPU_SMI_INFO_FIELDS "index,name,uuid,memory.total,compute_cap,power.limit,driver_version"

/* One line of the sample query (csv,noheader,nounits) -> s (t_mono_ns 0, energy always
 * absent). Returns -1 when the line is not a reading (wrong field count, no index). */
int tdm_gpu_smi_parse_sample(const char *line, tdm_gpu_sample *s);
/* One line of the info query -> g, and the driver version into driver (cap bytes).
 * Returns -1 when the line is not a device line. */
int tdm_gpu_smi_parse_dev(const char *line, tdm_gpu_dev *g, char *driver, size_t cap);
/* "CUDA Version: 12.4" anywhere in nvidia-smi's banner -> "12.4"; -1 when absent. */
int tdm_gpu_smi_cuda_version(const char *text, char *out, size_t cap);

#endif
