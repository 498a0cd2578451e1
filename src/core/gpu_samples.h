/* gpu_samples.h — a run's GPU telemetry (run_<k>/gpu.csv, written by tandem-gpu-telemetry)
 * read back strictly, and what it says about a span of time on CLOCK_MONOTONIC: each GPU's
 * time-weighted mean utilisation and energy, and the energy summed over the GPUs. It is
 * in the core so that every derived GPU number comes from one piece of code.
 *
 * Both quantities treat a series as piecewise linear between its samples and constant
 * beyond the first and last (the span is clamped to what was observed, within the
 * coverage rule below). Energy is the difference of the driver's energy counter
 * (energy_mj), interpolated at the span's ends, when every sample that takes part has it
 * and the counter never goes back; otherwise the trapezoid integral of power_w over the
 * span. A span whose ends lie more than two sampling intervals (the median gap between
 * the GPU's samples) beyond that GPU's first or last sample is not covered: it gets no
 * utilisation and no energy, and the reason says so. */
#ifndef TDM_GPU_SAMPLES_H
#define TDM_GPU_SAMPLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The exact first line of a gpu.csv. */
#define TDM_GPU_SAMPLES_HEADER "t_mono_ns,gpu,util_pct,mem_used_mib,power_w,sm_clock_mhz,temp_c,energy_mj"
/* GPU indices 0 .. TDM_GPU_MAX - 1 are accepted. */
#define TDM_GPU_MAX 64

/* One line of gpu.csv; a value the source could not read is NaN. */
typedef struct tdm_gpu_reading {
    int64_t t_ns;          /* CLOCK_MONOTONIC, ns */
    int gpu;               /* NVML index */
    double util_pct;
    double mem_used_mib;
    double power_w;
    double sm_clock_mhz;
    double temp_c;
    double energy_mj;      /* the driver's total energy counter */
} tdm_gpu_reading;

typedef struct tdm_gpu_samples {
    tdm_gpu_reading *s;    /* in file order (time never goes back) */
    size_t n, cap;
    int gpus[TDM_GPU_MAX]; /* the distinct indices seen, ascending */
    size_t n_gpus;
} tdm_gpu_samples;

/* Parses the text of a gpu.csv (len bytes; NUL bytes are an error). name is the file as
 * messages should call it. Returns 0, or -1 with err naming the file, the line, what is
 * wrong and how to fix it (nothing is kept then). A file of only the header is valid and
 * has no samples. */
int tdm_gpu_samples_parse(const char *text, size_t len, const char *name, tdm_gpu_samples *out, char *err,
                          size_t errlen);
/* Reads and parses the file at path (at most 1 GiB). Returns 0 or -1 with err. */
int tdm_gpu_samples_load(const char *path, tdm_gpu_samples *out, char *err, size_t errlen);
void tdm_gpu_samples_free(tdm_gpu_samples *s);

typedef enum tdm_gpu_energy_method {
    TDM_GPU_ENERGY_NONE = 0,    /* no energy (see the reason) */
    TDM_GPU_ENERGY_COUNTER,     /* energy_mj difference */
    TDM_GPU_ENERGY_TRAPEZOID,   /* integral of power_w */
    TDM_GPU_ENERGY_MIXED        /* summed over GPUs that used different methods */
} tdm_gpu_energy_method;

typedef enum tdm_gpu_reason {
    TDM_GPU_OK = 0,
    TDM_GPU_EMPTY_SPAN,         /* t1 <= t0 */
    TDM_GPU_NO_SAMPLES,         /* fewer than two samples of the GPU: no interval */
    TDM_GPU_START_UNCOVERED,    /* the first sample is more than 2 intervals after t0 */
    TDM_GPU_END_UNCOVERED,      /* the last sample is more than 2 intervals before t1 */
    TDM_GPU_NO_POWER            /* covered, but no sample has power_w or a usable counter */
} tdm_gpu_reason;

/* One GPU over one span. */
typedef struct tdm_gpu_span_gpu {
    int gpu;
    size_t n_samples;           /* samples with t0 <= t <= t1 */
    double interval_s;          /* median gap between the GPU's samples; NaN with < 2 */
    double util_pct;            /* time-weighted mean; NaN when not covered or never read */
    double energy_j;            /* NaN when not covered or not measurable */
    tdm_gpu_energy_method method;
    tdm_gpu_reason reason;      /* why energy_j is NaN; TDM_GPU_OK when it is not */
} tdm_gpu_span_gpu;

/* Every GPU of the file over one span, and the totals. */
typedef struct tdm_gpu_span {
    int64_t t0_ns, t1_ns;
    size_t n_gpus;
    tdm_gpu_span_gpu gpu[TDM_GPU_MAX];
    size_t n_samples;           /* over all GPUs */
    double util_pct;            /* mean over the GPUs (NaN if any GPU's is NaN) */
    double energy_j;            /* sum over the GPUs (NaN if any GPU's is NaN) */
    tdm_gpu_energy_method method;
    tdm_gpu_reason reason;      /* the first GPU's reason when energy_j is NaN */
} tdm_gpu_span;

/* Computes the span [t0_ns, t1_ns]. Returns 0, or -1 when memory ran out. A file without
 * samples gives n_gpus = 0, NaN totals and TDM_GPU_NO_SAMPLES. */
int tdm_gpu_span_compute(const tdm_gpu_samples *s, int64_t t0_ns, int64_t t1_ns, tdm_gpu_span *out);

/* "counter", "trapezoid", "mixed", "none". */
const char *tdm_gpu_energy_method_name(tdm_gpu_energy_method m);
/* A sentence fragment for people: "the samples start more than 2 intervals after the span". */
const char *tdm_gpu_reason_text(tdm_gpu_reason r);

#endif
