/* timing.h — the sampling schedule: deadlines on a fixed grid start + k * period.
 *
 * Sleeping to absolute deadlines keeps the period from drifting by the time each reading
 * takes; a reading that overruns skips the missed grid points instead of bunching up. */
#ifndef TDM_GPU_TIMING_H
#define TDM_GPU_TIMING_H

#include <stdint.h>
#include <time.h>

/* The first grid point start + k * period (k >= 1) strictly after now; period > 0. */
int64_t tdm_gpu_next_deadline(int64_t start, int64_t period, int64_t now);
/* Nanoseconds (>= 0) as a timespec. */
struct timespec tdm_gpu_timespec(int64_t ns);

#endif
