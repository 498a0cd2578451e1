/* run_int.h — what the files of a sweep's run share: the runner (the manifest this
 * invocation keeps, the pins as last checked, the ETA's counters) and the functions each
 * part offers the parts above it. The parts, each calling only those listed after it:
 * run.c (the orchestration), run_lock.c (lock, manifest, reconciliation with the disk),
 * run_cell.c (one cell), run_endpoints.c (the host-wide lock of a cell's servers), run_servers.c (the server launcher between groups of cells),
 * run_record.c (cell.json, provenance), run_report.c (progress and summary), run_pins.c
 * (the pins per cell), run_util.c (the leaf). Not for other modules. */
#ifndef TDM_SWEEP_RUN_INT_H
#define TDM_SWEEP_RUN_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/endpoint_lock.h"
#include "sweep/manifest.h"
#include "sweep/pins.h"
#include "sweep/sweep_int.h"

/* How a cell's turn ended: the sweep goes on, stops for a signal, or stops on an error. */
typedef enum tdm_sweep_cell_outcome {
    TDM_SWEEP_CELL_DONE,
    TDM_SWEEP_CELL_STOP_INTERRUPT,
    TDM_SWEEP_CELL_STOP_ERROR,
    TDM_SWEEP_CELL_STOP_BUSY   /* --no-wait, and a server was measuring for someone else */
} tdm_sweep_cell_outcome;

typedef struct tdm_sweep_runner {
    tdm_sweep_ctx *c;
    tdm_manifest m;
    bool save;             /* false in --cell mode: emitted jobs share no manifest */
    tdm_pincheck *pins;    /* per c->urls */
    bool gpu_ok;
    char gpu_why[1024];
    size_t to_run;         /* cells this invocation still has to run */
    size_t ran;            /* cells run by this invocation */
    double ran_s;          /* their total time, for the ETA */
    bool child_ran;        /* a cool-down is due before the next cell */
    int64_t last_cell_end_ns; /* when this process's last cell let its servers go (CLOCK_BOOTTIME) */
    int lock_fd;
    bool busy;             /* --no-wait stopped at a server another process was measuring on */
    long group_up;         /* the server group the launcher last started; -1: none yet */
    size_t restarts;       /* launcher runs by this invocation */
} tdm_sweep_runner;

/* Cell i's configuration at its point: its servers, agents and calls. */
const tdm_sweep_point *tdm_sweep_cell_point(const tdm_sweep_ctx *c, size_t i);

/* run_servers.c: before a cell of another server group than the one up, the launcher
 * with the group's settings, the servers' readiness and their pins. */
tdm_sweep_cell_outcome tdm_sweep_servers_for(tdm_sweep_runner *r, size_t i);

/* run_util.c: the leaf. */
size_t tdm_sweep_url_index(const tdm_sweep_ctx *c, const char *u);
/* Writes the manifest (not in --cell mode); false, said on stderr, when it cannot. */
bool tdm_sweep_runner_save(tdm_sweep_runner *r);
/* One line for a terminal: newlines become " | ", cut at max. */
void tdm_sweep_one_line(const char *s, char *out, size_t max);

/* run_pins.c: the pins as this run checked them, per server and per cell. */
/* A cell's servers are those of its configuration at its point (tdm_sweep_cell_point). */
bool tdm_sweep_cell_pins_ok(const tdm_sweep_runner *r, const tdm_sweep_point *pt);
json_t *tdm_sweep_cell_pin_mismatches(const tdm_sweep_runner *r, const tdm_sweep_point *pt);
json_t *tdm_sweep_pins_expected(const tdm_experiment *e);
int tdm_sweep_check_pins(tdm_sweep_runner *r, char **urls, size_t n, bool gpu, bool announce);
void tdm_sweep_print_refusal(tdm_sweep_runner *r, char **urls, size_t n);

/* run_report.c: progress lines between cells, the ETA, the final summary. */
void tdm_sweep_report_start(const tdm_sweep_runner *r);
void tdm_sweep_report_running(const tdm_sweep_runner *r, size_t i, int attempt, size_t done_before,
                              size_t failed_before);
void tdm_sweep_report_finished(const tdm_sweep_runner *r, size_t i, size_t done_before, tdm_cell_state final_state,
                               const char *status, const char *reason, double duration_s);
int tdm_sweep_summary(tdm_sweep_runner *r, int stop_signal, double wall_s, bool cell_mode, size_t only);

/* run_record.c: what a finished cell records about itself. */
json_t *tdm_sweep_cell_json(tdm_sweep_runner *r, size_t i, char **argv, const char *status, const char *reason);
/* Adds the sweep's pin verdict and server_lock (owned; may be NULL) to the run's provenance. */
void tdm_sweep_annotate_provenance(tdm_sweep_runner *r, size_t i, const char *dir, json_t *server_lock);

/* run_endpoints.c: the host-wide lock of each of cell i's servers (endpoint_lock.h), taken
 * before its servers are touched; waits for cells of other processes (with a message),
 * or with --no-wait gives up (STOP_BUSY). Then keeps the cool-down after a measurement
 * another process made on them. Release with tdm_endpoint_locks_release. */
tdm_sweep_cell_outcome tdm_sweep_lock_servers(tdm_sweep_runner *r, size_t i, struct tdm_endpoint_locks *l);
/* The locks cell i held, for its provenance's server_lock (the cell ran with --no-lock). */
json_t *tdm_sweep_lock_json(tdm_sweep_runner *r, size_t i, const struct tdm_endpoint_locks *l);

/* run_cell.c: one cell, from the checks before it to its directory in place. */
tdm_sweep_cell_outcome tdm_sweep_run_cell(tdm_sweep_runner *r, size_t i, size_t done_before, size_t failed_before);

/* run_lock.c: the output directory this invocation owns. */
int tdm_sweep_lock_out(tdm_sweep_runner *r);
int tdm_sweep_open_manifest(tdm_sweep_runner *r);
int tdm_sweep_reconcile_one(tdm_sweep_runner *r, size_t i);
void tdm_sweep_set_info(tdm_sweep_runner *r);
void tdm_sweep_copy_experiment(const tdm_sweep_ctx *c);

#endif
