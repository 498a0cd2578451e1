/* source.h — choosing and opening the telemetry source: NVML, else nvidia-smi.
 *
 * Opening a source also reads the device facts, which proves the source really sees a
 * GPU before anything is written. */
#ifndef TDM_GPU_SOURCE_H
#define TDM_GPU_SOURCE_H

#include <stddef.h>

#include "gpu/gpu.h"
#include "gpu/nvml.h"

typedef struct tdm_gpu_source {
    tdm_gpu_src_kind kind; /* TDM_GPU_SRC_NVML or TDM_GPU_SRC_SMI once open */
    tdm_gpu_nvml *nvml;    /* open NVML (kind NVML) */
    const char *smi_cmd;   /* the nvidia-smi command (kind SMI) */
    tdm_gpu_info info;
} tdm_gpu_source;

/* Opens the source `want` names (auto: NVML, then nvidia-smi). Returns 0, 3 when no
 * source sees a GPU (reason says why for each one tried and what to do), -1 when memory
 * ran out. */
int tdm_gpu_source_open(tdm_gpu_src_kind want, tdm_gpu_source *src, char *reason, size_t cap);
void tdm_gpu_source_close(tdm_gpu_source *src);

#endif
