/* nvml.h — GPU readings through NVML, loaded with dlopen at run time.
 *
 * Loading at run time keeps the build free of any NVIDIA dependency and lets the same
 * binary run on machines without a GPU (where it then reports that none is there). A
 * function the library lacks, or a call that fails, leaves that value absent. */
#ifndef TDM_GPU_NVML_H
#define TDM_GPU_NVML_H

#include <stddef.h>

#include "gpu/gpu.h"

typedef struct tdm_gpu_nvml tdm_gpu_nvml;

/* Loads the library at `path`, initialises NVML and finds every device. Returns NULL
 * with err saying why (library missing, driver not loaded, no device) and what to do. */
tdm_gpu_nvml *tdm_gpu_nvml_open(const char *path, char *err, size_t errlen);
unsigned tdm_gpu_nvml_count(const tdm_gpu_nvml *n);
/* The static facts; -1 only when memory ran out. */
int tdm_gpu_nvml_info(tdm_gpu_nvml *n, tdm_gpu_info *out);
/* One reading of device i (< count); t_mono_ns is left for the caller. */
void tdm_gpu_nvml_read(tdm_gpu_nvml *n, unsigned i, tdm_gpu_sample *out);
/* Shuts NVML down and unloads the library; NULL is fine. */
void tdm_gpu_nvml_close(tdm_gpu_nvml *n);

#endif
