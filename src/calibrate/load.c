/* load.c — how busy the machine was besides what calibration itself ran.
 *
 * The client, the simulator and this program share the machine's cores with whatever
 * else runs on it. Around each measured run the machine's busy CPU time (/proc/stat)
 * is compared with the CPU of the processes calibration started (the client from
 * wait4, each simulator process from /proc/<pid>/stat, this process from getrusage):
 * the rest is foreign load, reported in average cores so a noisy number can be told
 * from a real one. Resolution is the kernel's clock tick (usually 10 ms). */
#include "calibrate/calibrate.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static double tick_s(void)
{
    long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? 1.0 / (double)hz : 0.01;
}

double tdm_cal_busy_s(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    unsigned long long v[10] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6], &v[7], &v[8], &v[9]);
    fclose(f);
    if (n < 8)
        return 0;
    /* user nice system [idle] [iowait] irq softirq steal; guest time is inside user. */
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return (double)busy * tick_s();
}

double tdm_cal_proc_cpu_s(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name, which may hold spaces: skip to its last ')'. */
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) * tick_s();
}

double tdm_cal_self_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

void tdm_cal_load_begin(tdm_cal_load *l, const tdm_cal_sim *sim)
{
    memset(l, 0, sizeof *l);
    l->busy0 = tdm_cal_busy_s();
    l->self0 = tdm_cal_self_cpu_s();
    for (size_t p = 0; sim && p < sim->n_procs; p++)
        l->sim0 += tdm_cal_proc_cpu_s(sim->pids[p]);
}

double tdm_cal_load_end(const tdm_cal_load *l, const tdm_cal_sim *sim, double client_cpu_s, double wall_s)
{
    double sim1 = 0;
    for (size_t p = 0; sim && p < sim->n_procs; p++)
        sim1 += tdm_cal_proc_cpu_s(sim->pids[p]);
    double foreign = (tdm_cal_busy_s() - l->busy0) - client_cpu_s - (sim1 - l->sim0) -
                     (tdm_cal_self_cpu_s() - l->self0);
    if (foreign < 0)
        foreign = 0; /* tick rounding */
    return wall_s > 0 ? foreign / wall_s : 0;
}
