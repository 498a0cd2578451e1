/* timing.c — deadline arithmetic of the sampling loop (see timing.h). */
#include "gpu/timing.h"

int64_t tdm_gpu_next_deadline(int64_t start, int64_t period, int64_t now)
{
    if (now < start)
        return start + period;
    int64_t k = (now - start) / period + 1;
    return start + k * period;
}

struct timespec tdm_gpu_timespec(int64_t ns)
{
    if (ns < 0)
        ns = 0;
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000LL), .tv_nsec = (long)(ns % 1000000000LL)};
    return ts;
}
