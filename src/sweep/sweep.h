/* sweep.h — tandem-sweep's modes behind its command line: run (resumable), --dry-run,
 * --validate, --emit-jobs and --cell. main.c parses the flags into tdm_sweep_opts; each
 * mode returns the process's exit status. */
#ifndef TDM_SWEEP_SWEEP_H
#define TDM_SWEEP_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "sweep/experiment.h"

/* Exit statuses of tandem-sweep. */
enum {
    TDM_SWEEP_EXIT_OK = 0,          /* every cell ok (or: plan printed, nothing wrong found) */
    TDM_SWEEP_EXIT_ERROR = 1,       /* nothing run: bad experiment, pins refused, problems found */
    TDM_SWEEP_EXIT_USAGE = 2,       /* bad command line */
    TDM_SWEEP_EXIT_INCOMPLETE = 3,  /* the sweep ran to the end, but some cells failed or are incomplete */
    TDM_SWEEP_EXIT_BUSY = 4,        /* --no-wait: a server was measuring for another process; nothing lost */
    TDM_SWEEP_EXIT_INTERRUPTED = 130, /* stopped by SIGINT (143 for SIGTERM): re-run to continue */
};

typedef struct tdm_sweep_opts {
    const char *experiment;   /* the experiment file */
    const char *out;          /* --out; NULL: the experiment's output: */
    bool dry_run;
    bool validate;
    bool allow_unpinned;
    bool retry_failed;
    bool quiet;
    bool no_wait;             /* --no-wait: a cell whose server is locked by another process stops the sweep */
    bool has_order;
    tdm_sweep_order order;
    bool has_seed;
    uint64_t seed;
    const char *bin_dir;      /* --bin-dir; NULL: $TANDEM_BIN, else tandem-sweep's own directory */
    const char *emit_jobs;    /* --emit-jobs DIR */
    const char *cell;         /* --cell ID: run only this cell (what emitted jobs do) */
    /* --emit-jobs: what slurm-array.sh asks Slurm for (NULL / 0: its default) */
    const char *slurm_partition;
    const char *slurm_gres;   /* e.g. gpu:1 */
    const char *slurm_teardown; /* shell command after each cell, e.g. "just ollama-down" */
    int slurm_time_min;       /* 0: from the cells' estimate */
    int slurm_max_parallel;   /* the array's %K; 0: no cap */
    bool slurm_shared;        /* no --exclusive */
} tdm_sweep_opts;

int tdm_sweep_main(const tdm_sweep_opts *o);

#endif
