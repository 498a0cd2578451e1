/* csv.c — formats one reading as a gpu.csv line (see csv.h). Integers stay integers and
 * power keeps milliwatt precision (3 decimals), so the file is exact and diffable. */
#include "gpu/csv.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

/* Appends ",<value>" or "," when absent; returns the new length. */
static size_t field_u64(char *out, size_t at, int have, uint64_t v)
{
    int n = have ? snprintf(out + at, TDM_GPU_CSV_LINE_MAX - at, ",%" PRIu64, v)
                 : snprintf(out + at, TDM_GPU_CSV_LINE_MAX - at, ",");
    return at + (size_t)n;
}

size_t tdm_gpu_csv_line(const tdm_gpu_sample *s, char *out)
{
    /* Each field is bounded (20 digits for 64-bit integers, power clamped below), so
     * the line always fits TDM_GPU_CSV_LINE_MAX. */
    size_t at = (size_t)snprintf(out, TDM_GPU_CSV_LINE_MAX, "%" PRId64 ",%u", s->t_mono_ns, s->gpu);
    at = field_u64(out, at, (s->have & TDM_GPU_HAVE_UTIL) != 0, s->util_pct);
    at = field_u64(out, at, (s->have & TDM_GPU_HAVE_MEM) != 0, s->mem_used_mib);
    double p = s->power_w;
    if ((s->have & TDM_GPU_HAVE_POWER) && isfinite(p) && p >= 0 && p < 1e9)
        at += (size_t)snprintf(out + at, TDM_GPU_CSV_LINE_MAX - at, ",%.3f", p);
    else
        at += (size_t)snprintf(out + at, TDM_GPU_CSV_LINE_MAX - at, ",");
    at = field_u64(out, at, (s->have & TDM_GPU_HAVE_CLOCK) != 0, s->sm_clock_mhz);
    if (s->have & TDM_GPU_HAVE_TEMP)
        at += (size_t)snprintf(out + at, TDM_GPU_CSV_LINE_MAX - at, ",%d", s->temp_c);
    else
        at += (size_t)snprintf(out + at, TDM_GPU_CSV_LINE_MAX - at, ",");
    at = field_u64(out, at, (s->have & TDM_GPU_HAVE_ENERGY) != 0, s->energy_mj);
    at += (size_t)snprintf(out + at, TDM_GPU_CSV_LINE_MAX - at, "\n");
    return at;
}
