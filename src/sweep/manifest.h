/* manifest.h — the sweep's memory across crashes: <out>/manifest.json, rewritten
 * atomically after every change of a cell's state, records what was planned (the
 * experiment's hash, the seed, the order, every cell in run order) and what became of
 * each cell. A re-run of the same command reads it, checks that the experiment and plan
 * are unchanged, reconciles it with the directories on disk (they are the truth: a cell
 * renamed into place counts as done even if the manifest write after it was lost) and
 * goes on from there.
 *
 * A cell's life:
 *
 *   pending -> running -> ok | incomplete | failed | interrupted
 *   interrupted -> running        (always, on the next run)
 *   failed -> running             (only with --retry-failed)
 *   running found on start -> pending  (the sweep died under it; its temp dir is removed)
 *   ok, incomplete: final; never run again, never overwritten. */
#ifndef TDM_SWEEP_MANIFEST_H
#define TDM_SWEEP_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "sweep/experiment.h"
#include "sweep/plan.h"

struct json_t;

typedef enum tdm_cell_state {
    TDM_CELL_PENDING = 0,
    TDM_CELL_RUNNING,
    TDM_CELL_OK,          /* child exit 0: every call succeeded */
    TDM_CELL_INCOMPLETE,  /* child exit 3: measured, some calls failed (their records say why) */
    TDM_CELL_FAILED,      /* nothing usable: the reason says why */
    TDM_CELL_INTERRUPTED, /* the sweep was stopped (Ctrl-C, SIGTERM) while it ran */
    TDM_CELL_STATE_COUNT
} tdm_cell_state;

const char *tdm_cell_state_name(tdm_cell_state s);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int tdm_cell_state_parse(const char *name, tdm_cell_state *out);
/* Whether a cell in state s is run by this invocation. */
bool tdm_cell_should_run(tdm_cell_state s, bool retry_failed);
/* Whether from -> to is one of the transitions above. */
bool tdm_cell_transition_ok(tdm_cell_state from, tdm_cell_state to);
/* ok and incomplete: the cell's directory is final. */
bool tdm_cell_state_finished(tdm_cell_state s);

typedef struct tdm_cell_rec {
    char *id;               /* "<configuration>/<variant>/rep<k>" */
    tdm_cell_state state;
    int attempts;           /* child processes started for this cell, over all sweeps */
    int exit_status;        /* last child's exit code; -1 none; 128+N killed by signal N */
    char *reason;           /* why it failed or was interrupted; NULL when ok */
    char started_at[32];    /* RFC 3339 UTC of the last attempt; "" before */
    char finished_at[32];
    double duration_s;      /* of the last attempt */
    long child_pid;         /* while running: the child's pid (= its process group); 0 otherwise */
} tdm_cell_rec;

typedef struct tdm_manifest {
    char *path;                 /* <out>/manifest.json */
    char experiment_sha256[65]; /* of the experiment file */
    char *inputs_sha256;        /* every input's hash, one string: experiment + scenario files */
    uint64_t seed;
    tdm_sweep_order order;
    char created_at[32];
    struct json_t *info;        /* experiment name, path, pins, host: written as given */
    tdm_cell_rec *cells;        /* in run order, parallel to the plan */
    size_t n_cells;
} tdm_manifest;

/* The inputs' combined hash: the experiment file's and each scenario file's sha256,
 * joined. Heap; NULL on out of memory. */
char *tdm_manifest_inputs_hash(const tdm_experiment *e);

/* A fresh manifest for a plan: every cell pending. Returns 0 or -1 (OOM). */
int tdm_manifest_init(tdm_manifest *m, const char *path, const tdm_experiment *e, const tdm_sweep_cell *cells,
                      size_t n, uint64_t seed, tdm_sweep_order order);
void tdm_manifest_free(tdm_manifest *m);

/* Reads path into m. Returns 1 when there is no manifest, 0 when read, -1 with err when
 * it cannot be used (unreadable, not a tandem-sweep manifest). */
int tdm_manifest_load(tdm_manifest *m, const char *path, char *err, size_t errlen);

/* Checks that a loaded manifest belongs to this experiment and plan: same inputs, and
 * (unless seed_given is false, when the recorded seed is simply used) the same seed and
 * order, and the same cells in the same order. Returns 0, or -1 with err saying what
 * changed and what to do. */
int tdm_manifest_check_resume(const tdm_manifest *m, const tdm_experiment *e, const tdm_sweep_cell *cells, size_t n,
                              char *err, size_t errlen);

/* Moves cell i to state to; returns 0, or -1 when that transition is not allowed. */
int tdm_manifest_set_state(tdm_manifest *m, size_t i, tdm_cell_state to);
/* Replaces the reason (NULL clears it). Returns 0 or -1 (OOM). */
int tdm_manifest_set_reason(tdm_manifest *m, size_t i, const char *reason);

/* Counts of cells per state. */
void tdm_manifest_counts(const tdm_manifest *m, size_t counts[TDM_CELL_STATE_COUNT]);

/* Writes the manifest atomically. Returns 0 or -1 with err. */
int tdm_manifest_save(const tdm_manifest *m, char *err, size_t errlen);

/* Now as RFC 3339 UTC ("2025-01-31T12:00:00Z"). */
void tdm_sweep_utc_now(char out[32]);

#endif
