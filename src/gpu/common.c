/* common.c — the small shared pieces of gpu.h: freeing device facts, naming a source,
 * and where the NVML library and the nvidia-smi command are looked for. */
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu.h"

void tdm_gpu_info_free(tdm_gpu_info *info)
{
    free(info->gpus);
    info->gpus = NULL;
    info->n_gpus = 0;
}

int tdm_gpu_src_parse(const char *s, tdm_gpu_src_kind *out)
{
    if (strcmp(s, "auto") == 0)
        *out = TDM_GPU_SRC_AUTO;
    else if (strcmp(s, "nvml") == 0)
        *out = TDM_GPU_SRC_NVML;
    else if (strcmp(s, "nvidia-smi") == 0)
        *out = TDM_GPU_SRC_SMI;
    else
        return -1;
    return 0;
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

const char *tdm_gpu_nvml_path(void)
{
    return env_or("TANDEM_NVML_LIB", "libnvidia-ml.so.1");
}

const char *tdm_gpu_smi_command(void)
{
    return env_or("TANDEM_NVIDIA_SMI", "nvidia-smi");
}
