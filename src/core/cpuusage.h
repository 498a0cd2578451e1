/* cpuusage.h — the client process's own CPU time (user and system, all threads), read
 * around each measured phase so a run records what driving its agents cost the client:
 * the harness overhead a reader weighs against the server's work, and what
 * tandem-calibrate divides streamed events by. */
#ifndef TDM_CPUUSAGE_H
#define TDM_CPUUSAGE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct tdm_cpu_usage {
    int64_t user_ns;
    int64_t sys_ns;
} tdm_cpu_usage;

/* The process's CPU time so far (getrusage RUSAGE_SELF); zeros if it cannot be read. */
tdm_cpu_usage tdm_cpu_now(void);
/* What was spent since start (never negative). */
tdm_cpu_usage tdm_cpu_since(tdm_cpu_usage start);

#endif
