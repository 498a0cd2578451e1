/* sweep_int.h — what the sweep's modes share: the loaded experiment, the resolved
 * output and binary directories, the seed and the plan. Not for other modules. */
#ifndef TDM_SWEEP_SWEEP_INT_H
#define TDM_SWEEP_SWEEP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sweep/experiment.h"
#include "sweep/manifest.h"
#include "sweep/plan.h"
#include "sweep/sweep.h"

typedef struct tdm_sweep_ctx {
    const tdm_sweep_opts *o;
    tdm_experiment e;
    char *out;              /* absolute output directory */
    char *bin_dir;          /* absolute when it exists */
    char **binaries;        /* per variant: the binary to run */
    bool *bin_found;        /* per variant: it exists and is executable */
    uint64_t seed;
    const char *seed_from;  /* "--seed", "the experiment", "the manifest", "random" */
    tdm_sweep_order order;
    tdm_sweep_cell *cells;
    size_t n_cells;
    char **urls;            /* every distinct server of every configuration */
    size_t n_urls;
    tdm_manifest prior;     /* the manifest found in out, if any (has_prior) */
    bool has_prior;
    char prior_err[1024];   /* why a manifest found there cannot be used ("" if none) */
} tdm_sweep_ctx;

/* The modes (each returns an exit status; ctx is set up). */
int tdm_sweep_dry_run(tdm_sweep_ctx *c);
int tdm_sweep_validate(tdm_sweep_ctx *c);
int tdm_sweep_emit_jobs(tdm_sweep_ctx *c, const char *dir);
int tdm_sweep_execute(tdm_sweep_ctx *c);

/* Progress on stderr unless --quiet (progress.c). */
void tdm_sweep_progress(const tdm_sweep_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The file-system helpers the modes share (absolute paths, rm -rf, the binary's own
 * path) are the core's: core/fileio.h. */

#endif
