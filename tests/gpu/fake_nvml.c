/* fake_nvml.c — a stand-in libnvidia-ml.so.1 for tests on machines without a GPU.
 *
 * It exports the NVML entry points tandem-gpu-telemetry looks up, with NVML's C ABI, and
 * answers from environment variables read at each call:
 *   FAKE_NVML_GPUS=N         devices (default 2; 0: none)
 *   FAKE_NVML_INIT_FAIL=1    nvmlInit_v2 fails with NVML_ERROR_DRIVER_NOT_LOADED
 *   FAKE_NVML_FAIL=a,b,...   these calls fail with NVML_ERROR_NOT_SUPPORTED: util, memory,
 *                            power, clock, temp, energy, name, uuid, cc, power_limit,
 *                            driver, cuda, handle (device handles)
 *   FAKE_NVML_NO_ENERGY=1    same as FAKE_NVML_FAIL=energy (a pre-Volta GPU)
 *   FAKE_NVML_NAME=...       device name (default "NVIDIA H100 80GB HBM3")
 * Readings are deterministic and change from call to call: device d's k-th reading has
 * util (10 + 7k + d) % 101 %, memory used 1000 + k MiB, power 100 + d + k/100 W, SM clock
 * 1980 MHz, temperature 40 + d C, energy 1000 * k + d mJ. Static facts: 81559 MiB,
 * compute capability 9.0, power limit 700 W, driver "550.54.15", CUDA 12.4.
 * Built with -DFAKE_NVML_OLD it lacks nvmlSystemGetCudaDriverVersion_v2 (only the old
 * name) and nvmlDeviceGetTotalEnergyConsumption, like an old driver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_DRIVER_NOT_LOADED 9

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct {
    unsigned long long total, free, used;
} nvmlMemory_t;
typedef struct {
    unsigned int gpu, memory;
} nvmlUtilization_t;

#define MAX_GPUS 16
#define MIB (1024ull * 1024ull)

/* The handles are pointers into this array; their contents are never read. */
static char devices[MAX_GPUS];
static unsigned long long calls[MAX_GPUS];
static int initialised;

#define EXPORT __attribute__((visibility("default")))

static unsigned n_gpus(void)
{
    const char *v = getenv("FAKE_NVML_GPUS");
    long n = v && *v ? strtol(v, NULL, 10) : 2;
    return n < 0 ? 0 : n > MAX_GPUS ? MAX_GPUS : (unsigned)n;
}

/* Whether `what` is in the comma-separated FAKE_NVML_FAIL list. */
static int fails(const char *what)
{
    if (strcmp(what, "energy") == 0 && getenv("FAKE_NVML_NO_ENERGY") && strcmp(getenv("FAKE_NVML_NO_ENERGY"), "1") == 0)
        return 1;
    const char *list = getenv("FAKE_NVML_FAIL");
    size_t n = strlen(what);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, what, n) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* The device's index, or -1 for a handle that is not ours. */
static int index_of(nvmlDevice_t d)
{
    char *c = (char *)d;
    if (!initialised || c < devices || c >= devices + n_gpus())
        return -1;
    return (int)(c - devices);
}

#define CHECK(d, what)                                                                                                 \
    int idx = index_of(d);                                                                                             \
    if (idx < 0)                                                                                                       \
        return initialised ? NVML_ERROR_INVALID_ARGUMENT : NVML_ERROR_UNINITIALIZED;                                  \
    if (fails(what))                                                                                                   \
        return NVML_ERROR_NOT_SUPPORTED

EXPORT nvmlReturn_t nvmlInit_v2(void);
EXPORT nvmlReturn_t nvmlInit_v2(void)
{
    const char *f = getenv("FAKE_NVML_INIT_FAIL");
    if (f && strcmp(f, "1") == 0)
        return NVML_ERROR_DRIVER_NOT_LOADED;
    initialised = 1;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlShutdown(void);
EXPORT nvmlReturn_t nvmlShutdown(void)
{
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    initialised = 0;
    return NVML_SUCCESS;
}

EXPORT const char *nvmlErrorString(nvmlReturn_t rc);
EXPORT const char *nvmlErrorString(nvmlReturn_t rc)
{
    switch (rc) {
    case NVML_SUCCESS:
        return "Success";
    case NVML_ERROR_UNINITIALIZED:
        return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT:
        return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED:
        return "Not Supported";
    case NVML_ERROR_DRIVER_NOT_LOADED:
        return "Driver Not Loaded";
    default:
        return "Unknown Error";
    }
}

EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count);
EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    *count = n_gpus();
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d);
EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d)
{
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    if (i >= n_gpus())
        return NVML_ERROR_INVALID_ARGUMENT;
    if (fails("handle"))
        return NVML_ERROR_NOT_SUPPORTED;
    *d = (nvmlDevice_t)(void *)&devices[i];
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned int len);
EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned int len)
{
    CHECK(d, "name");
    const char *v = getenv("FAKE_NVML_NAME");
    snprintf(name, len, "%s", v && *v ? v : "NVIDIA H100 80GB HBM3");
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *uuid, unsigned int len);
EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *uuid, unsigned int len)
{
    CHECK(d, "uuid");
    snprintf(uuid, len, "GPU-fa4e0000-0000-4000-8000-%012d", idx);
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m);
EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m)
{
    CHECK(d, "memory");
    m->total = 81559ull * MIB;
    m->used = (1000ull + calls[idx]) * MIB;
    m->free = m->total - m->used;
    return NVML_SUCCESS;
}

/* Each utilisation reading is one "call" of the device: it advances the counter the
 * other readings follow. */
EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u);
EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u)
{
    CHECK(d, "util");
    calls[idx]++;
    u->gpu = (unsigned)((10 + 7 * calls[idx] + (unsigned)idx) % 101);
    u->memory = u->gpu / 2;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw);
EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw)
{
    CHECK(d, "power");
    *mw = (unsigned)(100000 + 1000 * idx + 10 * (calls[idx] % 100000));
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned int *mhz);
EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned int *mhz)
{
    CHECK(d, "clock");
    *mhz = type == 1 /* NVML_CLOCK_SM */ ? 1980 : 1593;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *c);
EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *c)
{
    CHECK(d, "temp");
    if (sensor != 0)
        return NVML_ERROR_INVALID_ARGUMENT;
    *c = 40 + (unsigned)idx;
    return NVML_SUCCESS;
}

#ifndef FAKE_NVML_OLD
EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *mj);
EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *mj)
{
    CHECK(d, "energy");
    *mj = 1000ull * calls[idx] + (unsigned)idx;
    return NVML_SUCCESS;
}
#endif

EXPORT nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t d, int *major, int *minor);
EXPORT nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t d, int *major, int *minor)
{
    CHECK(d, "cc");
    *major = 9;
    *minor = 0;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned int *mw);
EXPORT nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned int *mw)
{
    CHECK(d, "power_limit");
    *mw = 700000;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *v, unsigned int len);
EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *v, unsigned int len)
{
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    if (fails("driver"))
        return NVML_ERROR_NOT_SUPPORTED;
    snprintf(v, len, "550.54.15");
    return NVML_SUCCESS;
}

static nvmlReturn_t cuda_version(int *v)
{
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    if (fails("cuda"))
        return NVML_ERROR_NOT_SUPPORTED;
    *v = 12040;
    return NVML_SUCCESS;
}

#ifndef FAKE_NVML_OLD
EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *v);
EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *v)
{
    return cuda_version(v);
}
#endif

EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *v);
EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *v)
{
    return cuda_version(v);
}
