/* source.c — opens NVML or nvidia-smi, whichever `--source` asks for (see source.h). */
#include "gpu/source.h"

#include <stdio.h>
#include <string.h>

#include "gpu/smi.h"

static int open_nvml(tdm_gpu_source *src, char *why, size_t cap)
{
    src->nvml = tdm_gpu_nvml_open(tdm_gpu_nvml_path(), why, cap);
    if (!src->nvml)
        return 3;
    if (tdm_gpu_nvml_info(src->nvml, &src->info) != 0) {
        tdm_gpu_nvml_close(src->nvml);
        src->nvml = NULL;
        snprintf(why, cap, "out of memory");
        return -1;
    }
    src->kind = TDM_GPU_SRC_NVML;
    return 0;
}

static int open_smi(tdm_gpu_source *src, char *why, size_t cap)
{
    src->smi_cmd = tdm_gpu_smi_command();
    if (tdm_gpu_smi_info(src->smi_cmd, &src->info, why, cap) != 0)
        return 3;
    src->kind = TDM_GPU_SRC_SMI;
    return 0;
}

int tdm_gpu_source_open(tdm_gpu_src_kind want, tdm_gpu_source *src, char *reason, size_t cap)
{
    memset(src, 0, sizeof *src);
    if (want == TDM_GPU_SRC_NVML)
        return open_nvml(src, reason, cap);
    if (want == TDM_GPU_SRC_SMI)
        return open_smi(src, reason, cap);
    char why_nvml[512], why_smi[512];
    int rc = open_nvml(src, why_nvml, sizeof why_nvml);
    if (rc != 3)
        return rc;
    rc = open_smi(src, why_smi, sizeof why_smi);
    if (rc == 3)
        snprintf(reason, cap, "NVML: %s. nvidia-smi: %s", why_nvml, why_smi);
    return rc;
}

void tdm_gpu_source_close(tdm_gpu_source *src)
{
    tdm_gpu_nvml_close(src->nvml);
    src->nvml = NULL;
    tdm_gpu_info_free(&src->info);
}
