/* gpu_telemetry.h — GPU samples beside every run, taken by the separate program
 * tandem-gpu-telemetry (docs: its `info` and `sample` commands). The core never loads
 * NVML itself: the measured process gets no extra thread or library, only a child
 * process started before a run's first phase and stopped after its concurrent phase.
 *
 * The program is found as $TANDEM_GPU_TELEMETRY, else tandem-gpu-telemetry beside the
 * running binary, else on PATH. */
#ifndef TDM_GPU_TELEMETRY_H
#define TDM_GPU_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct json_t;

typedef enum tdm_gpu_mode {
    TDM_GPU_OFF = 0, /* no sampler; provenance says "off" */
    TDM_GPU_AUTO,    /* sample when a GPU can be read, else say why and measure anyway */
    TDM_GPU_ON,      /* sample, or refuse to measure */
} tdm_gpu_mode;

#define TDM_GPU_INTERVAL_MS 100

/* "auto" | "on" | "off" -> mode; -1 on anything else. */
int tdm_gpu_mode_parse(const char *s, tdm_gpu_mode *out);
const char *tdm_gpu_mode_name(tdm_gpu_mode m);

/* Where the program is: heap path, or NULL with err saying where it was looked for and
 * how to provide it. self_exe: the running binary's path (NULL: /proc/self/exe). */
char *tdm_gpu_tool_find(const char *self_exe, char *err, size_t errlen);

typedef struct tdm_gpu_telemetry {
    tdm_gpu_mode mode;
    char *tool;          /* heap; NULL unless runs are sampled */
    int interval_ms;
    struct json_t *doc;  /* provenance "gpu" (owned) */
    char reason[512];    /* why there is no telemetry, when unavailable */
} tdm_gpu_telemetry;

/* Asks `tandem-gpu-telemetry info` (unless mode is off) and fills t, t->doc included.
 * Returns 0 (runs are sampled when t->tool is set), or -1 when mode is on and no GPU can
 * be read, with err naming the cause and the fix. */
int tdm_gpu_telemetry_open(tdm_gpu_telemetry *t, tdm_gpu_mode mode, char *err, size_t errlen);
void tdm_gpu_telemetry_close(tdm_gpu_telemetry *t);

/* Adds one line to doc's "errors" (a sampler that failed during a run). */
void tdm_gpu_telemetry_add_error(tdm_gpu_telemetry *t, const char *msg);

/* One run's sampler. */
typedef struct tdm_gpu_sampler {
    pid_t pid;     /* 0: not running */
    char *out;     /* <run dir>/gpu.csv */
    char *ready;   /* its --ready-file */
    char *log;     /* its stderr, read back for error messages */
} tdm_gpu_sampler;

/* Starts `sample --out <out_csv>` and waits (bounded) for its first sample. Returns 0,
 * or -1 with err when it could not start or never became ready (it is then stopped). */
int tdm_gpu_sampler_start(const tdm_gpu_telemetry *t, const char *out_csv, tdm_gpu_sampler *s, char *err,
                          size_t errlen);
/* SIGTERM, bounded wait (then SIGKILL), reap. Returns 0 when it ended cleanly and
 * gpu.csv is there, else -1 with err. Safe to call on a sampler that never started. */
int tdm_gpu_sampler_stop(tdm_gpu_sampler *s, char *err, size_t errlen);

#endif
