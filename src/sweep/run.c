/* run.c — running a sweep (or, with --cell, one cell of it): the output directory is
 * locked, the manifest read or started and reconciled with the directories on disk,
 * binaries and pins checked before anything is measured, then each cell still to do is
 * run as a child process into a hidden temporary directory, which is renamed into place
 * only once the cell is finished (ok or incomplete) or set aside as failed. Progress goes
 * to stderr only between cells; the summary and the report command to stdout. This file
 * is the order of those steps; each step's work is in a run_*.c file (see run_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "sweep/child.h"
#include "sweep/run_int.h"

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --cell ID: the index of that cell, or a usage error that shows what ids look like. */
static int find_cell(const tdm_sweep_ctx *c, const char *want, size_t *only)
{
    for (size_t i = 0; i < c->n_cells; i++) {
        char *id = tdm_sweep_cell_id(&c->e, &c->cells[i]);
        bool found = id && strcmp(id, want) == 0;
        free(id);
        if (found) {
            *only = i;
            return 0;
        }
    }
    char *ex = c->n_cells ? tdm_sweep_cell_id(&c->e, &c->cells[0]) : NULL;
    fprintf(stderr, "tandem-sweep: --cell %s: no such cell in %s; ids look like %s (see --dry-run)\n", want,
            c->e.path, ex ? ex : "<configuration>/<variant>/rep<k>");
    free(ex);
    return -1;
}

/* What this invocation runs (runs[i]), and the binaries it needs: -1 when one is missing. */
static int plan_runs(tdm_sweep_runner *r, size_t from, size_t to, bool *runs)
{
    tdm_sweep_ctx *c = r->c;
    tdm_buf missing = {0};
    for (size_t i = from; i < to; i++) {
        runs[i] = tdm_cell_should_run(r->m.cells[i].state, c->o->retry_failed);
        if (runs[i]) {
            r->to_run++;
            size_t v = c->cells[i].variant;
            if (!c->bin_found[v] && !strstr(tdm_buf_str(&missing), c->binaries[v]))
                tdm_buf_printf(&missing, "  - %s (variant %s)\n", c->binaries[v], c->e.variants[v]);
        }
    }
    if (!missing.len)
        return 0;
    fprintf(stderr,
            "tandem-sweep: variant binaries not found:\n%sBuild them (make, or make VARIANT=<v>), or point "
            "--bin-dir / TANDEM_BIN at the directory holding them.\n",
            tdm_buf_str(&missing));
    tdm_buf_free(&missing);
    return -1;
}

/* Pins, before anything is measured: -1 when they do not hold and --allow-unpinned is not
 * given (the refusal is printed). */
static int pins_first(tdm_sweep_runner *r, bool cell_mode, size_t only)
{
    tdm_sweep_ctx *c = r->c;
    r->pins = calloc(c->n_urls ? c->n_urls : 1, sizeof *r->pins);
    if (!r->pins)
        return -1;
    if (r->to_run == 0)
        return 0;
    /* With a launcher the servers are (re)started before the first cell, and checked then. */
    if (c->e.server_launcher)
        return 0;
    char **urls = cell_mode ? tdm_sweep_cell_point(c, only)->urls : c->urls;
    size_t nu = cell_mode ? tdm_sweep_cell_point(c, only)->n_urls : c->n_urls;
    int bad = tdm_sweep_check_pins(r, urls, nu, c->e.pins.vram != TDM_VRAM_UNCHECKED, true);
    if (c->e.pins.gpu)
        r->gpu_ok = tdm_sweep_gpu_name_matches(c->e.pins.gpu, r->gpu_why, sizeof r->gpu_why);
    if ((bad || !r->gpu_ok) && !c->o->allow_unpinned) {
        tdm_sweep_print_refusal(r, urls, nu);
        return -1;
    }
    if (bad || !r->gpu_ok)
        tdm_sweep_progress(c, "warning: measuring despite pin mismatches (--allow-unpinned); every cell records "
                              "them (cell.json pin_mismatches)\n");
    return 0;
}

/* Everything before the first cell: lock, manifest, reconciliation, plan, binaries, pins,
 * the manifest's info. 0 to go on; otherwise -1 with *rc the exit status. */
static int prepare(tdm_sweep_runner *r, bool cell_mode, size_t only, bool *runs, int *rc)
{
    tdm_sweep_ctx *c = r->c;
    size_t from = cell_mode ? only : 0, to = cell_mode ? only + 1 : c->n_cells;
    if (!cell_mode && tdm_sweep_lock_out(r) != 0)
        return -1;
    if (tdm_sweep_open_manifest(r) != 0)
        return -1;
    for (size_t i = from; i < to; i++)
        if (tdm_sweep_reconcile_one(r, i) != 0)
            return -1;
    if (plan_runs(r, from, to, runs) != 0)
        return -1;
    if (cell_mode && r->to_run == 0) {
        tdm_cell_rec *rec = &r->m.cells[only];
        printf("tandem-sweep: cell %s is %s already%s\n", rec->id, tdm_cell_state_name(rec->state),
               rec->state == TDM_CELL_FAILED ? "; pass --retry-failed to run it again" : "; nothing to do");
        *rc = rec->state == TDM_CELL_OK ? TDM_SWEEP_EXIT_OK : TDM_SWEEP_EXIT_INCOMPLETE;
        return -1;
    }
    if (pins_first(r, cell_mode, only) != 0)
        return -1;
    if (r->save) {
        tdm_sweep_set_info(r);
        if (!tdm_sweep_runner_save(r))
            return -1;
        tdm_sweep_copy_experiment(c);
    }
    return 0;
}

/* The cells in the plan's order until the last, a signal or an error: the signal's number
 * (0 if none), *error when one stopped the sweep. */
static int run_cells(tdm_sweep_runner *r, const bool *runs, bool *error)
{
    tdm_sweep_ctx *c = r->c;
    int stop = 0;
    for (size_t i = 0; i < c->n_cells && !stop && !*error; i++) {
        if (!runs[i])
            continue;
        size_t n[TDM_CELL_STATE_COUNT];
        tdm_manifest_counts(&r->m, n);
        tdm_sweep_cell_outcome out = tdm_sweep_run_cell(
            r, i, n[TDM_CELL_OK] + n[TDM_CELL_INCOMPLETE] + n[TDM_CELL_FAILED], n[TDM_CELL_FAILED]);
        if (out == TDM_SWEEP_CELL_STOP_INTERRUPT)
            stop = tdm_sweep_interrupted();
        else if (out == TDM_SWEEP_CELL_STOP_ERROR)
            *error = true;
        else if (out == TDM_SWEEP_CELL_STOP_BUSY)
            *error = r->busy = true;
        if (!stop)
            stop = tdm_sweep_interrupted();
    }
    return stop;
}

int tdm_sweep_execute(tdm_sweep_ctx *c)
{
    const tdm_sweep_opts *o = c->o;
    int64_t t0 = mono_ms();
    tdm_sweep_runner r;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.lock_fd = -1;
    r.group_up = -1;
    r.gpu_ok = true;
    r.save = o->cell == NULL;
    int rc = TDM_SWEEP_EXIT_ERROR;
    char err[2048];
    size_t only = 0;
    bool cell_mode = o->cell != NULL;
    if (cell_mode && find_cell(c, o->cell, &only) != 0)
        return TDM_SWEEP_EXIT_USAGE;
    tdm_sweep_signals_init();
    if (tdm_mkdirs(c->out, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-sweep: %s; choose another --out\n", err);
        return TDM_SWEEP_EXIT_ERROR;
    }
    bool *runs = calloc(c->n_cells ? c->n_cells : 1, sizeof *runs);
    if (runs && prepare(&r, cell_mode, only, runs, &rc) == 0) {
        tdm_sweep_report_start(&r);
        bool error = false;
        int stop = run_cells(&r, runs, &error);
        tdm_sweep_runner_save(&r);
        rc = tdm_sweep_summary(&r, stop, (double)(mono_ms() - t0) / 1000.0, cell_mode, only);
        if (error)
            rc = r.busy ? TDM_SWEEP_EXIT_BUSY : TDM_SWEEP_EXIT_ERROR;
    }
    free(runs);
    for (size_t i = 0; r.pins && i < c->n_urls; i++)
        tdm_pincheck_free(&r.pins[i]);
    free(r.pins);
    tdm_manifest_free(&r.m);
    if (r.lock_fd >= 0)
        close(r.lock_fd);
    return rc;
}
