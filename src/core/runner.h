/* runner.h — one invocation of `tandem-<variant> run`: preflight, then for each
 * repetition a warm-up (first run only), a sequential phase (agents alone, in a seeded
 * shuffled order) and a concurrent phase (all agents released together), each run's raw
 * records written atomically as soon as it ends; then the summary, the run report and
 * the table on stdout. Around the phases, outside their measured spans: Ollama's
 * /api/ps of every server before and after each phase, and (when asked) a GPU sampler
 * child per run; both land in provenance.json, rewritten after every run. */
#ifndef TDM_RUNNER_H
#define TDM_RUNNER_H

#include <stdbool.h>

#include "core/gpu_telemetry.h"
#include "core/runtime.h"
#include "core/scenario.h"

/* Exit codes of `run` (only main turns them into the process status). */
enum {
    TDM_EXIT_OK = 0,          /* every call succeeded */
    TDM_EXIT_ERROR = 1,       /* nothing measured: bad input, servers not ready */
    TDM_EXIT_USAGE = 2,       /* bad command line */
    TDM_EXIT_INCOMPLETE = 3,  /* measured, but some calls failed (all records kept) */
    TDM_EXIT_BUSY = 4,        /* --no-wait and a server was measuring for another process */
    TDM_EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM: finished runs summarised, the partial one marked */
};

typedef struct tdm_run_settings {
    const char *output_dir;   /* the run directory (created; see core/outdir.h) */
    bool default_output_dir;  /* output_dir is the timestamped default: numbered when taken */
    bool force;               /* --force: delete an earlier run's results in output_dir first */
    bool quiet;               /* no progress lines on stderr */
    bool preflight;           /* check servers and models first (default true) */
    bool lock_servers;        /* take the servers' host-wide locks first (core/endpoint_lock.h; default true) */
    bool no_wait;             /* a busy server stops the run (TDM_EXIT_BUSY) instead of being waited for */
    bool json_stdout;         /* print summary.json instead of the table */
    tdm_gpu_mode gpu_telemetry; /* GPU samples per run (gpu_telemetry.h); default off */
    int argc;                 /* the command line, for provenance */
    char **argv;
} tdm_run_settings;

int tdm_runner_execute(const tdm_runtime_ops *ops, tdm_runtime *rt, const tdm_scenario *s,
                       const tdm_run_settings *set);

#endif
