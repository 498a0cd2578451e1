/* gpu.h — what GPU telemetry reads, whichever source it comes from.
 *
 * tandem-gpu-telemetry reads a GPU either through NVML (the driver's library, loaded at
 * run time so the build needs nothing from NVIDIA) or through the nvidia-smi command.
 * Both give the same two things: the static facts of each device (tdm_gpu_info, for
 * provenance) and periodic readings (tdm_gpu_sample, one gpu.csv line each). A value a
 * source cannot read is absent (its bit in `have` is clear) and is written empty. */
#ifndef TDM_GPU_H
#define TDM_GPU_H

#include <stddef.h>
#include <stdint.h>

/* Bits of tdm_gpu_sample.have: which readings are present. */
enum {
    TDM_GPU_HAVE_UTIL = 1u << 0,
    TDM_GPU_HAVE_MEM = 1u << 1,
    TDM_GPU_HAVE_POWER = 1u << 2,
    TDM_GPU_HAVE_CLOCK = 1u << 3,
    TDM_GPU_HAVE_TEMP = 1u << 4,
    TDM_GPU_HAVE_ENERGY = 1u << 5,
};

/* One reading of one GPU: one line of gpu.csv. */
typedef struct tdm_gpu_sample {
    int64_t t_mono_ns;      /* CLOCK_MONOTONIC right after the reading */
    unsigned gpu;           /* NVML index */
    unsigned have;          /* TDM_GPU_HAVE_* bits */
    unsigned util_pct;      /* GPU utilisation over the driver's last period, 0..100 */
    uint64_t mem_used_mib;  /* device memory in use */
    double power_w;         /* board power draw */
    unsigned sm_clock_mhz;  /* current SM clock */
    int temp_c;             /* GPU core temperature */
    uint64_t energy_mj;     /* total energy since the driver loaded (Volta and later) */
} tdm_gpu_sample;

/* Static facts of one device. Empty strings and clear have_* flags mean "unknown" (null). */
typedef struct tdm_gpu_dev {
    unsigned index;
    char name[96];
    char uuid[96];
    char compute_cap[24];   /* "9.0" */
    int have_memory_total;
    uint64_t memory_total_mib;
    int have_power_limit;
    double power_limit_w;   /* enforced power limit */
} tdm_gpu_dev;

typedef struct tdm_gpu_info {
    const char *source;          /* "nvml" or "nvidia-smi" */
    char driver_version[96];     /* "550.54.15"; empty when unknown */
    char cuda_driver_version[24]; /* "12.4"; empty when unknown */
    size_t n_gpus;
    tdm_gpu_dev *gpus;           /* heap, n_gpus entries */
} tdm_gpu_info;

void tdm_gpu_info_free(tdm_gpu_info *info);

/* Which source to use; auto tries NVML, then nvidia-smi. */
typedef enum { TDM_GPU_SRC_AUTO, TDM_GPU_SRC_NVML, TDM_GPU_SRC_SMI } tdm_gpu_src_kind;

/* "auto", "nvml" or "nvidia-smi" -> kind; -1 for anything else. */
int tdm_gpu_src_parse(const char *s, tdm_gpu_src_kind *out);

/* The NVML library to load: $TANDEM_NVML_LIB when set and not empty, else libnvidia-ml.so.1. */
const char *tdm_gpu_nvml_path(void);
/* The nvidia-smi command: $TANDEM_NVIDIA_SMI when set and not empty, else nvidia-smi (PATH). */
const char *tdm_gpu_smi_command(void);

#endif
