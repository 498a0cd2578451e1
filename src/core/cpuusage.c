/* cpuusage.c — the process's CPU time (see cpuusage.h). getrusage covers every thread
 * of the process, which the threaded variants need; its resolution is the kernel's
 * accounting tick or better, fine for phases that last tenths of a second and more. */
#include "core/cpuusage.h"

#include <sys/resource.h>

static int64_t tv_ns(struct timeval tv)
{
    return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

tdm_cpu_usage tdm_cpu_now(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return (tdm_cpu_usage){0, 0};
    return (tdm_cpu_usage){tv_ns(ru.ru_utime), tv_ns(ru.ru_stime)};
}

tdm_cpu_usage tdm_cpu_since(tdm_cpu_usage start)
{
    tdm_cpu_usage now = tdm_cpu_now();
    int64_t u = now.user_ns - start.user_ns, s = now.sys_ns - start.sys_ns;
    return (tdm_cpu_usage){u > 0 ? u : 0, s > 0 ? s : 0};
}
