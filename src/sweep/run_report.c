/* run_report.c — what a sweep tells its user: the progress lines between cells (on
 * stderr, never while a cell runs), the ETA they carry, and the final summary with the
 * command that makes the report (on stdout). */
#include <stdio.h>

#include "core/buf.h"
#include "sweep/plan.h"
#include "sweep/run_int.h"

/* The time left: the mean of the cells run so far, or the experiment's estimate before
 * the first one. */
static void eta_text(const tdm_sweep_runner *r, size_t cfg, char *out, size_t outlen)
{
    const tdm_experiment *e = &r->c->e;
    size_t left = r->to_run > r->ran ? r->to_run - r->ran : 0;
    double per = r->ran ? r->ran_s / (double)r->ran
                        : tdm_sweep_estimate_cell_s(e, cfg) + (double)e->run.cooldown_ms / 1000.0;
    if (per < 0) {
        snprintf(out, outlen, "unknown");
        return;
    }
    tdm_sweep_format_duration(per * (double)left, out, outlen);
}

/* The line before the first cell: how many are to run, in which order, or that none is. */
void tdm_sweep_report_start(const tdm_sweep_runner *r)
{
    const tdm_sweep_ctx *c = r->c;
    size_t n0[TDM_CELL_STATE_COUNT];
    tdm_manifest_counts(&r->m, n0);
    if (r->to_run == 0)
        tdm_sweep_progress(c, "nothing to run: every cell is finished%s\n",
                           n0[TDM_CELL_FAILED] ? " or failed (--retry-failed runs failed cells again)" : "");
    else
        tdm_sweep_progress(c, "%zu of %zu cells to run (%s order, seed %llu) -> %s\n", r->to_run, c->n_cells,
                           c->order == TDM_SWEEP_ORDER_SEQUENTIAL ? "sequential" : "blocks",
                           (unsigned long long)c->seed, c->out);
}

/* The line as an attempt at cell i starts. */
void tdm_sweep_report_running(const tdm_sweep_runner *r, size_t i, int attempt, size_t done_before,
                              size_t failed_before)
{
    const tdm_sweep_ctx *c = r->c;
    const tdm_sweep_cell *cell = &c->cells[i];
    char eta[32];
    eta_text(r, cell->config, eta, sizeof eta);
    tdm_sweep_progress(c, "[%zu/%zu] %s (block %d)%s: running; %zu done, %zu failed, ETA %s\n", done_before + 1,
                       c->n_cells, r->m.cells[i].id, cell->block, attempt ? " retry" : "", done_before, failed_before,
                       eta);
}

/* The line once cell i is in place: its status and time, or why it failed. */
void tdm_sweep_report_finished(const tdm_sweep_runner *r, size_t i, size_t done_before, tdm_cell_state final_state,
                               const char *status, const char *reason, double duration_s)
{
    const tdm_sweep_ctx *c = r->c;
    const tdm_cell_rec *rec = &r->m.cells[i];
    if (final_state == TDM_CELL_FAILED) {
        char line[400];
        tdm_sweep_one_line(reason, line, sizeof line);
        tdm_sweep_progress(c, "[%zu/%zu] %s: FAILED after %d attempt%s: %s\n", done_before + 1, c->n_cells, rec->id,
                           rec->attempts, rec->attempts == 1 ? "" : "s", line);
    } else {
        tdm_sweep_progress(c, "[%zu/%zu] %s: %s in %.1f s\n", done_before + 1, c->n_cells, rec->id, status,
                           duration_s);
    }
}

/* The first ten failed cells with their reasons; the manifest lists the rest. */
static void print_failed(const tdm_sweep_runner *r, size_t n_failed)
{
    size_t shown = 0;
    for (size_t i = 0; i < r->m.n_cells && shown < 10; i++)
        if (r->m.cells[i].state == TDM_CELL_FAILED) {
            char line[400];
            tdm_sweep_one_line(r->m.cells[i].reason ? r->m.cells[i].reason : "", line, sizeof line);
            printf("  failed: %s: %s\n", r->m.cells[i].id, line);
            shown++;
        }
    if (n_failed > shown)
        printf("  ... and %zu more failed cells (manifest.json lists them)\n", n_failed - shown);
}

/* The summary on stdout, and the exit status it implies. */
int tdm_sweep_summary(tdm_sweep_runner *r, int stop_signal, double wall_s, bool cell_mode, size_t only)
{
    tdm_sweep_ctx *c = r->c;
    size_t n[TDM_CELL_STATE_COUNT];
    tdm_manifest_counts(&r->m, n);
    if (cell_mode) {
        tdm_cell_rec *rec = &r->m.cells[only];
        printf("tandem-sweep: cell %s: %s%s%s\n", rec->id, tdm_cell_state_name(rec->state), rec->reason ? ": " : "",
               rec->reason ? rec->reason : "");
        if (stop_signal)
            return 128 + stop_signal;
        return rec->state == TDM_CELL_OK ? TDM_SWEEP_EXIT_OK : TDM_SWEEP_EXIT_INCOMPLETE;
    }
    size_t finished = n[TDM_CELL_OK] + n[TDM_CELL_INCOMPLETE];
    char wall[32];
    tdm_sweep_format_duration(wall_s, wall, sizeof wall);
    printf("tandem-sweep: %s: %zu/%zu cells finished (%zu ok, %zu incomplete), %zu failed, %zu not run; this run "
           "took %s -> %s\n",
           stop_signal ? "interrupted" : "done", finished, c->n_cells, n[TDM_CELL_OK], n[TDM_CELL_INCOMPLETE],
           n[TDM_CELL_FAILED], n[TDM_CELL_PENDING] + n[TDM_CELL_INTERRUPTED] + n[TDM_CELL_RUNNING], wall, c->out);
    print_failed(r, n[TDM_CELL_FAILED]);
    if (stop_signal)
        printf("tandem-sweep: re-run the same command to continue where it stopped.\n");
    else if (n[TDM_CELL_FAILED])
        printf("tandem-sweep: re-run with --retry-failed to run the %zu failed cell%s again.\n", n[TDM_CELL_FAILED],
               n[TDM_CELL_FAILED] == 1 ? "" : "s");
    if (finished) {
        tdm_buf cmd = {0};
        tdm_buf_append_str(&cmd, "tandem-report ");
        tdm_sweep_shell_quote(&cmd, c->out);
        tdm_buf_append_str(&cmd, " --out ");
        tdm_buf_printf(&cmd, "%s/report", c->out);
        printf("make the report: %s\n", tdm_buf_str(&cmd));
        tdm_buf_free(&cmd);
    }
    if (stop_signal)
        return 128 + stop_signal;
    return finished == c->n_cells && n[TDM_CELL_INCOMPLETE] == 0 ? TDM_SWEEP_EXIT_OK : TDM_SWEEP_EXIT_INCOMPLETE;
}
