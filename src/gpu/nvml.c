/* nvml.c — NVML through dlopen/dlsym (see nvml.h).
 *
 * The types and constants below are declared here rather than taken from nvml.h; they
 * follow NVML's public, stable C ABI (enums are int, nvmlDevice_t is an opaque pointer,
 * the _v2 entry points exist since driver 418). Only the handful of functions gpu.csv
 * and provenance need are looked up, each one optional except init and device lookup. */
#include "gpu/nvml.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- NVML's public ABI (subset) ---- */
typedef int nvmlReturn_t;
#define NVML_SUCCESS 0
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct {
    unsigned long long total, free, used; /* bytes */
} nvmlMemory_t;
typedef struct {
    unsigned int gpu, memory; /* percent */
} nvmlUtilization_t;
#define NVML_CLOCK_SM 1
#define NVML_TEMPERATURE_GPU 0
#define NVML_NAME_BUFFER 96   /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */
#define NVML_UUID_BUFFER 96   /* NVML_DEVICE_UUID_V2_BUFFER_SIZE */
#define NVML_DRIVER_BUFFER 80 /* NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE */

typedef struct nvml_fns {
    nvmlReturn_t (*init)(void);
    nvmlReturn_t (*shutdown)(void);
    const char *(*error_string)(nvmlReturn_t);
    nvmlReturn_t (*count)(unsigned int *);
    nvmlReturn_t (*handle)(unsigned int, nvmlDevice_t *);
    nvmlReturn_t (*name)(nvmlDevice_t, char *, unsigned int);
    nvmlReturn_t (*uuid)(nvmlDevice_t, char *, unsigned int);
    nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t *);
    nvmlReturn_t (*util)(nvmlDevice_t, nvmlUtilization_t *);
    nvmlReturn_t (*power)(nvmlDevice_t, unsigned int *);
    nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned int *);
    nvmlReturn_t (*temp)(nvmlDevice_t, int, unsigned int *);
    nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long *);
    nvmlReturn_t (*cc)(nvmlDevice_t, int *, int *);
    nvmlReturn_t (*power_limit)(nvmlDevice_t, unsigned int *);
    nvmlReturn_t (*driver)(char *, unsigned int);
    nvmlReturn_t (*cuda)(int *);
} nvml_fns;

struct tdm_gpu_nvml {
    void *lib;
    nvml_fns f;
    unsigned n;
    nvmlDevice_t *dev; /* NULL entries: the handle could not be had; every value absent */
};

/* dlsym into a function pointer without the object/function pointer cast warning. */
static void load(void *lib, const char *name, void *fnptr)
{
    void *sym = dlsym(lib, name);
    memcpy(fnptr, &sym, sizeof sym);
}

static void load_all(void *lib, nvml_fns *f)
{
    load(lib, "nvmlInit_v2", &f->init);
    load(lib, "nvmlShutdown", &f->shutdown);
    load(lib, "nvmlErrorString", &f->error_string);
    load(lib, "nvmlDeviceGetCount_v2", &f->count);
    load(lib, "nvmlDeviceGetHandleByIndex_v2", &f->handle);
    load(lib, "nvmlDeviceGetName", &f->name);
    load(lib, "nvmlDeviceGetUUID", &f->uuid);
    load(lib, "nvmlDeviceGetMemoryInfo", &f->memory);
    load(lib, "nvmlDeviceGetUtilizationRates", &f->util);
    load(lib, "nvmlDeviceGetPowerUsage", &f->power);
    load(lib, "nvmlDeviceGetClockInfo", &f->clock);
    load(lib, "nvmlDeviceGetTemperature", &f->temp);
    load(lib, "nvmlDeviceGetTotalEnergyConsumption", &f->energy);
    load(lib, "nvmlDeviceGetCudaComputeCapability", &f->cc);
    load(lib, "nvmlDeviceGetEnforcedPowerLimit", &f->power_limit);
    load(lib, "nvmlSystemGetDriverVersion", &f->driver);
    load(lib, "nvmlSystemGetCudaDriverVersion_v2", &f->cuda);
    if (!f->cuda) /* drivers before the _v2 name */
        load(lib, "nvmlSystemGetCudaDriverVersion", &f->cuda);
}

static const char *why(const tdm_gpu_nvml *n, nvmlReturn_t rc)
{
    const char *s = n->f.error_string ? n->f.error_string(rc) : NULL;
    return s ? s : "error";
}

static void close_lib(tdm_gpu_nvml *n)
{
    free(n->dev);
    dlclose(n->lib);
    free(n);
}

tdm_gpu_nvml *tdm_gpu_nvml_open(const char *path, char *err, size_t errlen)
{
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(err, errlen, "cannot load NVML (%s): %s; install the NVIDIA driver or point TANDEM_NVML_LIB at libnvidia-ml.so.1",
                 path, e ? e : "not found");
        return NULL;
    }
    tdm_gpu_nvml *n = calloc(1, sizeof *n);
    if (!n) {
        dlclose(lib);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    n->lib = lib;
    load_all(lib, &n->f);
    if (!n->f.init || !n->f.count || !n->f.handle) {
        snprintf(err, errlen, "%s lacks nvmlInit_v2/nvmlDeviceGetCount_v2/nvmlDeviceGetHandleByIndex_v2; "
                 "use a driver from 2019 or later (418+) or point TANDEM_NVML_LIB at its libnvidia-ml.so.1", path);
        close_lib(n);
        return NULL;
    }
    nvmlReturn_t rc = n->f.init();
    if (rc != NVML_SUCCESS) {
        snprintf(err, errlen, "NVML init failed: %s; check that the NVIDIA driver is loaded (nvidia-smi should work)",
                 why(n, rc));
        close_lib(n);
        return NULL;
    }
    unsigned count = 0;
    rc = n->f.count(&count);
    if (rc != NVML_SUCCESS || count == 0) {
        snprintf(err, errlen, "NVML sees no GPU (%s); run on a host with an NVIDIA GPU or check CUDA_VISIBLE_DEVICES/cgroup device access",
                 rc != NVML_SUCCESS ? why(n, rc) : "0 devices");
        if (n->f.shutdown)
            n->f.shutdown();
        close_lib(n);
        return NULL;
    }
    n->dev = calloc(count, sizeof *n->dev);
    if (!n->dev) {
        snprintf(err, errlen, "out of memory");
        if (n->f.shutdown)
            n->f.shutdown();
        close_lib(n);
        return NULL;
    }
    n->n = count;
    for (unsigned i = 0; i < count; i++)
        if (n->f.handle(i, &n->dev[i]) != NVML_SUCCESS)
            n->dev[i] = NULL;
    return n;
}

unsigned tdm_gpu_nvml_count(const tdm_gpu_nvml *n)
{
    return n->n;
}

/* Copies a NUL-terminated NVML string into dst, or leaves dst empty on failure. */
static void get_str(nvmlReturn_t (*fn)(nvmlDevice_t, char *, unsigned int), nvmlDevice_t d, char *dst, size_t cap)
{
    char buf[NVML_NAME_BUFFER > NVML_UUID_BUFFER ? NVML_NAME_BUFFER : NVML_UUID_BUFFER] = {0};
    dst[0] = '\0';
    if (fn && d && fn(d, buf, sizeof buf) == NVML_SUCCESS) {
        buf[sizeof buf - 1] = '\0';
        snprintf(dst, cap, "%s", buf);
    }
}

static void dev_info(tdm_gpu_nvml *n, unsigned i, tdm_gpu_dev *g)
{
    nvmlDevice_t d = n->dev[i];
    memset(g, 0, sizeof *g);
    g->index = i;
    get_str(n->f.name, d, g->name, sizeof g->name);
    get_str(n->f.uuid, d, g->uuid, sizeof g->uuid);
    nvmlMemory_t mem;
    if (d && n->f.memory && n->f.memory(d, &mem) == NVML_SUCCESS) {
        g->have_memory_total = 1;
        g->memory_total_mib = mem.total / (1024ull * 1024ull);
    }
    int major = 0, minor = 0;
    if (d && n->f.cc && n->f.cc(d, &major, &minor) == NVML_SUCCESS && major >= 0 && minor >= 0)
        snprintf(g->compute_cap, sizeof g->compute_cap, "%d.%d", major, minor);
    unsigned mw = 0;
    if (d && n->f.power_limit && n->f.power_limit(d, &mw) == NVML_SUCCESS) {
        g->have_power_limit = 1;
        g->power_limit_w = mw / 1000.0;
    }
}

int tdm_gpu_nvml_info(tdm_gpu_nvml *n, tdm_gpu_info *out)
{
    memset(out, 0, sizeof *out);
    out->source = "nvml";
    char drv[NVML_DRIVER_BUFFER] = {0};
    if (n->f.driver && n->f.driver(drv, sizeof drv) == NVML_SUCCESS) {
        drv[sizeof drv - 1] = '\0';
        snprintf(out->driver_version, sizeof out->driver_version, "%s", drv);
    }
    int cuda = 0;
    /* NVML encodes CUDA 12.4 as 12040: major * 1000 + minor * 10. */
    if (n->f.cuda && n->f.cuda(&cuda) == NVML_SUCCESS && cuda > 0)
        snprintf(out->cuda_driver_version, sizeof out->cuda_driver_version, "%d.%d", cuda / 1000, cuda % 1000 / 10);
    out->gpus = calloc(n->n, sizeof *out->gpus);
    if (!out->gpus)
        return -1;
    out->n_gpus = n->n;
    for (unsigned i = 0; i < n->n; i++)
        dev_info(n, i, &out->gpus[i]);
    return 0;
}

void tdm_gpu_nvml_read(tdm_gpu_nvml *n, unsigned i, tdm_gpu_sample *s)
{
    memset(s, 0, sizeof *s);
    s->gpu = i;
    nvmlDevice_t d = i < n->n ? n->dev[i] : NULL;
    if (!d)
        return;
    nvmlUtilization_t u;
    if (n->f.util && n->f.util(d, &u) == NVML_SUCCESS && u.gpu <= 100) {
        s->have |= TDM_GPU_HAVE_UTIL;
        s->util_pct = u.gpu;
    }
    nvmlMemory_t m;
    if (n->f.memory && n->f.memory(d, &m) == NVML_SUCCESS) {
        s->have |= TDM_GPU_HAVE_MEM;
        s->mem_used_mib = m.used / (1024ull * 1024ull);
    }
    unsigned v = 0;
    if (n->f.power && n->f.power(d, &v) == NVML_SUCCESS) {
        s->have |= TDM_GPU_HAVE_POWER;
        s->power_w = v / 1000.0;
    }
    if (n->f.clock && n->f.clock(d, NVML_CLOCK_SM, &v) == NVML_SUCCESS) {
        s->have |= TDM_GPU_HAVE_CLOCK;
        s->sm_clock_mhz = v;
    }
    if (n->f.temp && n->f.temp(d, NVML_TEMPERATURE_GPU, &v) == NVML_SUCCESS && v <= 1000) {
        s->have |= TDM_GPU_HAVE_TEMP;
        s->temp_c = (int)v;
    }
    unsigned long long e = 0;
    if (n->f.energy && n->f.energy(d, &e) == NVML_SUCCESS) {
        s->have |= TDM_GPU_HAVE_ENERGY;
        s->energy_mj = e;
    }
}

void tdm_gpu_nvml_close(tdm_gpu_nvml *n)
{
    if (!n)
        return;
    if (n->f.shutdown)
        n->f.shutdown();
    close_lib(n);
}
