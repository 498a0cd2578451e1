/* csv.h — gpu.csv lines: the header and one reading per line, absent values empty. */
#ifndef TDM_GPU_CSV_H
#define TDM_GPU_CSV_H

#include <stddef.h>

#include "core/gpu_samples.h"
#include "gpu/gpu.h"

/* The header line, newline included: the one the core's reader (core/gpu_samples.h)
 * insists on, so writer and reader cannot drift apart. */
#define TDM_GPU_CSV_HEADER TDM_GPU_SAMPLES_HEADER "\n"

/* Longest line tdm_gpu_csv_line can write, newline and NUL included. */
#define TDM_GPU_CSV_LINE_MAX 192

/* Writes s as one newline-terminated line into out (at least TDM_GPU_CSV_LINE_MAX
 * bytes); returns its length. */
size_t tdm_gpu_csv_line(const tdm_gpu_sample *s, char *out);

#endif
