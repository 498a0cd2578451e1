/* run_cell.c — one cell of a sweep: before it the cool-down, the pins again and the
 * unload, so each cell starts from the same state; then the child process in a hidden
 * temporary directory, retried while a server cannot be reached and stopped at the
 * cell's timeout; the VRAM check of the cell's own snapshots; its cell.json; and the
 * rename that puts the directory in place (finished) or aside (failed), never over an
 * existing one. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "sweep/child.h"
#include "sweep/plan.h"
#include "sweep/run_int.h"

#define TAIL_BYTES 4096
#define TAIL_LINES 6
#define REASON_MAX 900


/* The last few non-empty lines of a file, joined with "\n" (heap; "" when empty). */
static char *file_tail(const char *path)
{
    tdm_buf b = {0};
    FILE *f = fopen(path, "rb");
    if (f) {
        char buf[TAIL_BYTES + 1];
        if (fseek(f, 0, SEEK_END) == 0) {
            long size = ftell(f);
            fseek(f, size > TAIL_BYTES ? size - TAIL_BYTES : 0, SEEK_SET);
        }
        size_t n = fread(buf, 1, TAIL_BYTES, f);
        buf[n] = '\0';
        fclose(f);
        /* keep the last TAIL_LINES non-empty lines */
        const char *lines[TAIL_LINES];
        size_t lens[TAIL_LINES], k = 0;
        for (char *p = buf; *p;) {
            size_t len = strcspn(p, "\n");
            size_t t = len;
            while (t > 0 && (p[t - 1] == ' ' || p[t - 1] == '\r'))
                t--;
            if (t > 0) {
                if (k == TAIL_LINES) {
                    memmove(lines, lines + 1, (TAIL_LINES - 1) * sizeof lines[0]);
                    memmove(lens, lens + 1, (TAIL_LINES - 1) * sizeof lens[0]);
                    k--;
                }
                lines[k] = p;
                lens[k++] = t;
            }
            p += len + (p[len] == '\n');
        }
        for (size_t i = 0; i < k; i++)
            tdm_buf_printf(&b, "%s%.*s", i ? "\n" : "", (int)lens[i], lines[i]);
    }
    char *s = tdm_buf_steal(&b);
    if (s && strlen(s) > REASON_MAX)
        memmove(s, s + strlen(s) - REASON_MAX, REASON_MAX + 1);
    return s;
}

/* The child could not reach a server (refused, reset, unresolvable for now): worth a
 * retry, since a server may be restarting. */
static bool transient(int exit_status, const char *tail)
{
    if (exit_status != 1 || !tail)
        return false;
    return strcasestr(tail, "cannot reach Ollama") || strcasestr(tail, "connection refused") ||
           strcasestr(tail, "couldn't connect") || strcasestr(tail, "connection reset");
}

static void sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static char *parent_of(const char *path)
{
    char *p = strdup(path);
    char *slash = p ? strrchr(p, '/') : NULL;
    if (slash && slash != p)
        *slash = '\0';
    return p;
}

/* rename that never replaces an existing target (renameat2 RENAME_NOREPLACE where the
 * kernel and file system have it; otherwise a check first). */
static int rename_noreplace(const char *from, const char *to)
{
#ifdef RENAME_NOREPLACE
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
#endif
    if (tdm_path_exists(to)) {
        errno = EEXIST;
        return -1;
    }
    return rename(from, to);
}

typedef struct started_arg {
    tdm_sweep_runner *r;
    size_t i;
} started_arg;

static void on_started(pid_t pid, void *arg)
{
    started_arg *a = arg;
    a->r->m.cells[a->i].child_pid = (long)pid;
    tdm_sweep_runner_save(a->r); /* so a reader of the manifest sees which child runs the cell */
}

/* One cell's paths, command and outcome as its attempts go. */
typedef struct cell_job {
    size_t i;
    char *fin, *tmp, *fail;     /* its final, temporary and failed directories */
    char *out_log, *err_log;
    char **argv;
    char *tail;                 /* why it failed, or the end of the child's stderr */
    tdm_child_result res;
    const char *status;         /* cell.json's status */
    tdm_cell_state final_state;
    const tdm_endpoint_locks *locks; /* the cell's servers, held by this process */
} cell_job;

typedef enum attempt_end { ATTEMPT_FINAL, ATTEMPT_RETRY, ATTEMPT_INTERRUPT } attempt_end;

/* Between cells: cool-down, pins again (a server restarted mid-sweep may be another
 * version), then the unload, so each cell starts from the same state. */
static tdm_sweep_cell_outcome before_cell(tdm_sweep_runner *r, const tdm_sweep_point *cf)
{
    tdm_sweep_ctx *c = r->c;
    const tdm_experiment *e = &c->e;
    char err[1024];
    /* The cool-down counts from the end of this process's last cell (the servers' lock may
     * already have kept it: run_endpoints.c). */
    if (r->child_ran && e->run.cooldown_ms > 0) {
        int64_t left_ms = (r->last_cell_end_ns - tdm_endpoint_lock_now_ns()) / 1000000 + e->run.cooldown_ms;
        if (left_ms > 0 && tdm_sweep_sleep_ms(left_ms))
            return TDM_SWEEP_CELL_STOP_INTERRUPT;
    }
    /* With a VRAM pin the model is loaded and /api/ps read again: another process may have
     * taken GPU memory since the last cell. */
    if (tdm_sweep_check_pins(r, cf->urls, cf->n_urls, e->pins.vram != TDM_VRAM_UNCHECKED, false) > 0 &&
        !c->o->allow_unpinned) {
        tdm_sweep_print_refusal(r, cf->urls, cf->n_urls);
        return TDM_SWEEP_CELL_STOP_ERROR;
    }
    if (e->run.unload_between_cells)
        for (size_t u = 0; u < cf->n_urls; u++)
            if (r->pins[tdm_sweep_url_index(c, cf->urls[u])].reachable &&
                tdm_sweep_unload(cf->urls[u], e->pins.model, (int)e->run.http_timeout_ms, err, sizeof err) != 0)
                tdm_sweep_progress(c, "warning: %s: unload failed: %s\n", cf->urls[u], err);
    return TDM_SWEEP_CELL_DONE;
}

/* A point that rewrites the scenario: its text, written where the child's
 * --scenario-file points (the same for every variant and repetition of the point). */
static tdm_sweep_cell_outcome write_scenario(tdm_sweep_runner *r, size_t i, const char *cell_dir)
{
    tdm_sweep_ctx *c = r->c;
    const tdm_sweep_point *pt = tdm_sweep_cell_point(c, i);
    char *path = tdm_sweep_point_scenario_path(&c->e, &c->cells[i], cell_dir);
    if (!path)
        return TDM_SWEEP_CELL_DONE;
    char err[1024] = "";
    char *dir = parent_of(path);
    int rc = dir ? tdm_mkdirs(dir, err, sizeof err) : -1;
    if (rc == 0)
        rc = tdm_write_file_atomic(path, pt->yaml, pt->yaml_len, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "tandem-sweep: cannot write the scenario %s: %s; check the output directory\n", path, err);
    free(dir);
    free(path);
    return rc == 0 ? TDM_SWEEP_CELL_DONE : TDM_SWEEP_CELL_STOP_ERROR;
}

/* Stops the cell for a signal: the manifest says so and why, the temporary directory goes. */
static void stop_interrupted(tdm_sweep_runner *r, cell_job *j, const char *why, bool finished_now)
{
    char err[1024];
    tdm_manifest_set_state(&r->m, j->i, TDM_CELL_INTERRUPTED);
    tdm_manifest_set_reason(&r->m, j->i, why);
    if (finished_now)
        tdm_sweep_utc_now(r->m.cells[j->i].finished_at);
    tdm_rmtree(j->tmp, err, sizeof err);
    tdm_sweep_runner_save(r);
}

/* A fresh temporary directory, and the manifest's record of a new attempt. */
static int start_attempt(tdm_sweep_runner *r, cell_job *j, int attempt, size_t done_before, size_t failed_before)
{
    tdm_cell_rec *rec = &r->m.cells[j->i];
    char err[1024] = "";
    char *parent = parent_of(j->tmp);
    if (tdm_rmtree(j->tmp, err, sizeof err) != 0 || !parent || tdm_mkdirs(j->tmp, err, sizeof err) != 0) {
        free(parent);
        fprintf(stderr, "tandem-sweep: %s\n", err);
        return -1;
    }
    free(parent);
    tdm_manifest_set_state(&r->m, j->i, TDM_CELL_RUNNING);
    tdm_manifest_set_reason(&r->m, j->i, NULL);
    rec->attempts++;
    rec->exit_status = -1;
    rec->finished_at[0] = '\0';
    tdm_sweep_utc_now(rec->started_at);
    tdm_sweep_report_running(r, j->i, attempt, done_before, failed_before);
    return 0;
}

/* Runs the child once. 0: it ran (j->res; j->tail the end of its stderr); -1: it could
 * not be run, and the cell failed (j->tail says why). */
static int spawn(tdm_sweep_runner *r, cell_job *j)
{
    const tdm_experiment *e = &r->c->e;
    tdm_cell_rec *rec = &r->m.cells[j->i];
    char err[1024];
    started_arg sa = {r, j->i};
    free(j->tail);
    j->tail = NULL;
    if (tdm_child_run(j->argv, j->out_log, j->err_log, e->run.cell_timeout_ms, on_started, &sa, &j->res, err,
                      sizeof err) != 0) {
        rec->child_pid = 0;
        j->tail = strdup(err);
        j->res.exit_status = -1;
        j->res.duration_s = 0;
        j->status = "failed";
        return -1;
    }
    rec->child_pid = 0;
    rec->exit_status = j->res.exit_status;
    rec->duration_s = j->res.duration_s;
    j->tail = file_tail(j->err_log);
    return 0;
}

/* A server could not be reached: wait (doubling the back-off, at most 10 min), then retry. */
static attempt_end wait_retry(tdm_sweep_runner *r, cell_job *j, int attempt, int64_t *backoff)
{
    const tdm_experiment *e = &r->c->e;
    char line[300];
    tdm_sweep_one_line(j->tail, line, sizeof line);
    tdm_sweep_progress(r->c, "%s: could not reach a server (%s); retry %d/%d in %.1f s\n", r->m.cells[j->i].id, line,
                       attempt + 1, e->run.retries, (double)*backoff / 1000.0);
    if (tdm_sweep_sleep_ms(*backoff)) {
        stop_interrupted(r, j, "interrupted while waiting to retry; re-run to continue", false);
        return ATTEMPT_INTERRUPT;
    }
    *backoff = *backoff * 2 > 600000 ? 600000 : *backoff * 2;
    return ATTEMPT_RETRY;
}

/* The reason of a child that failed for good: its signal or exit status, and the end of
 * its stderr. */
static void failed_reason(cell_job *j)
{
    const tdm_child_result *res = &j->res;
    const char *tail = j->tail;
    j->status = "failed";
    char why[REASON_MAX + 200];
    if (res->exit_status > 128)
        snprintf(why, sizeof why, "killed by signal %d%s%s", res->exit_status - 128,
                 tail && *tail ? "; its stderr ended: " : "", tail ? tail : "");
    else
        snprintf(why, sizeof why, "exit status %d%s%s%s", res->exit_status,
                 transient(res->exit_status, tail) ? " (a server stayed unreachable through every retry)" : "",
                 tail && *tail ? ": " : "", tail && *tail ? tail : "");
    free(j->tail);
    j->tail = strdup(why);
}

/* What the child's end means: a status for the cell, another try, or a stop. */
static attempt_end judge(tdm_sweep_runner *r, cell_job *j, int attempt, int64_t *backoff)
{
    const tdm_child_result *res = &j->res;
    if (res->interrupted_by) {
        char why[160];
        snprintf(why, sizeof why, "interrupted by %s after %.1f s; re-run the same command to continue",
                 res->interrupted_by == SIGINT ? "SIGINT (Ctrl-C)" : "SIGTERM", res->duration_s);
        stop_interrupted(r, j, why, true);
        return ATTEMPT_INTERRUPT;
    }
    if (res->timed_out) {
        j->status = "failed";
        char why[REASON_MAX + 200];
        snprintf(why, sizeof why, "timed out after %.0f s (run.cell_timeout_ms) and was stopped%s%s",
                 res->duration_s, j->tail && *j->tail ? "; its stderr ended: " : "", j->tail ? j->tail : "");
        free(j->tail);
        j->tail = strdup(why);
        return ATTEMPT_FINAL;
    }
    if (res->exit_status == 0 || res->exit_status == 3) {
        j->status = res->exit_status == 0 ? "ok" : "incomplete";
        j->final_state = res->exit_status == 0 ? TDM_CELL_OK : TDM_CELL_INCOMPLETE;
        return ATTEMPT_FINAL;
    }
    if (transient(res->exit_status, j->tail) && attempt < r->c->e.run.retries)
        return wait_retry(r, j, attempt, backoff);
    failed_reason(j);
    return ATTEMPT_FINAL;
}

/* Runs the child until it ends for good: ok, incomplete or failed (j->status, j->tail). */
static tdm_sweep_cell_outcome run_attempts(tdm_sweep_runner *r, cell_job *j, size_t done_before,
                                           size_t failed_before)
{
    int64_t backoff = r->c->e.run.retry_backoff_ms;
    for (int attempt = 0;; attempt++) {
        if (tdm_sweep_interrupted())
            return TDM_SWEEP_CELL_STOP_INTERRUPT;
        if (start_attempt(r, j, attempt, done_before, failed_before) != 0)
            return TDM_SWEEP_CELL_STOP_ERROR;
        if (spawn(r, j) != 0)
            return TDM_SWEEP_CELL_DONE;
        attempt_end end = judge(r, j, attempt, &backoff);
        if (end == ATTEMPT_INTERRUPT)
            return TDM_SWEEP_CELL_STOP_INTERRUPT;
        if (end == ATTEMPT_FINAL)
            return TDM_SWEEP_CELL_DONE;
    }
}

/* The cell's own /api/ps snapshots (taken around each phase, with the cell's num_ctx and
 * num_gpu) are the evidence of where the model sat while it was measured. */
static void check_vram(tdm_sweep_runner *r, cell_job *j)
{
    const tdm_sweep_ctx *c = r->c;
    const tdm_experiment *e = &c->e;
    char vram_why[1024];
    if (j->final_state == TDM_CELL_FAILED ||
        tdm_sweep_cell_vram_ok(j->tmp, e->pins.vram, e->pins.model, vram_why, sizeof vram_why))
        return;
    if (c->o->allow_unpinned) {
        tdm_sweep_progress(c, "warning: %s: %s (kept: --allow-unpinned)\n", r->m.cells[j->i].id, vram_why);
    } else {
        j->final_state = TDM_CELL_FAILED;
        j->status = "failed";
        free(j->tail);
        j->tail = strdup(vram_why);
    }
}

/* cell.json and the provenance's pin verdict, written into the temporary directory. */
static int write_record(tdm_sweep_runner *r, cell_job *j, const char *reason)
{
    char err[1024] = "";
    json_t *cj = tdm_sweep_cell_json(r, j->i, j->argv, j->status, reason);
    char *cpath = tdm_path_join(j->tmp, "cell.json");
    if (!cj || !cpath || tdm_write_json_atomic(cpath, cj, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-sweep: cannot write %s: %s\n", cpath ? cpath : "cell.json", err);
        json_decref(cj);
        free(cpath);
        return -1;
    }
    json_decref(cj);
    free(cpath);
    tdm_sweep_annotate_provenance(r, j->i, j->tmp, tdm_sweep_lock_json(r, j->i, j->locks));
    return 0;
}

/* Puts the temporary directory in place: the final one, or the failed one (replacing an
 * earlier failure); never over a finished cell. */
static int place(tdm_sweep_runner *r, cell_job *j)
{
    tdm_sweep_ctx *c = r->c;
    char err[1024];
    const char *dest = j->final_state == TDM_CELL_FAILED ? j->fail : j->fin;
    if (j->final_state == TDM_CELL_FAILED && tdm_rmtree(j->fail, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-sweep: %s\n", err);
        return -1;
    }
    if (rename_noreplace(j->tmp, dest) != 0) {
        fprintf(stderr,
                "tandem-sweep: cannot move %s to %s: %s; a finished cell is never overwritten - is another sweep "
                "writing into %s?\n",
                j->tmp, dest, strerror(errno), c->out);
        return -1;
    }
    /* A retried cell that now finished: its earlier failure is history (the manifest's
     * attempts count it), not a second copy of the cell. */
    if (j->final_state != TDM_CELL_FAILED && tdm_rmtree(j->fail, err, sizeof err) != 0)
        tdm_sweep_progress(c, "warning: %s\n", err);
    char *pd = parent_of(dest);
    if (pd)
        sync_dir(pd);
    free(pd);
    return 0;
}

/* Records the outcome in the cell's directory, puts the directory in place, then the
 * manifest and the ETA's counters follow. */
static tdm_sweep_cell_outcome finish_cell(tdm_sweep_runner *r, cell_job *j, size_t done_before)
{
    const tdm_experiment *e = &r->c->e;
    tdm_cell_rec *rec = &r->m.cells[j->i];
    tdm_sweep_utc_now(rec->finished_at);
    const char *reason = j->final_state == TDM_CELL_OK ? NULL
                         : j->final_state == TDM_CELL_INCOMPLETE
                             ? "some calls failed; their records say why (exit status 3)"
                             : j->tail;
    if (write_record(r, j, reason) != 0 || place(r, j) != 0)
        return TDM_SWEEP_CELL_STOP_ERROR;
    tdm_manifest_set_state(&r->m, j->i, j->final_state);
    tdm_manifest_set_reason(&r->m, j->i, reason);
    if (!tdm_sweep_runner_save(r))
        return TDM_SWEEP_CELL_STOP_ERROR;
    r->ran++;
    r->ran_s += j->res.duration_s + (r->child_ran ? (double)e->run.cooldown_ms / 1000.0 : 0);
    r->child_ran = true;
    tdm_sweep_report_finished(r, j->i, done_before, j->final_state, j->status, reason, j->res.duration_s);
    return TDM_SWEEP_CELL_DONE;
}

tdm_sweep_cell_outcome tdm_sweep_run_cell(tdm_sweep_runner *r, size_t i, size_t done_before, size_t failed_before)
{
    tdm_sweep_ctx *c = r->c;
    const tdm_sweep_cell *cell = &c->cells[i];
    cell_job j = {.i = i, .final_state = TDM_CELL_FAILED};
    j.fin = tdm_sweep_cell_dir(c->out, &c->e, cell, TDM_SWEEP_DIR_FINAL);
    j.tmp = tdm_sweep_cell_dir(c->out, &c->e, cell, TDM_SWEEP_DIR_TMP);
    j.fail = tdm_sweep_cell_dir(c->out, &c->e, cell, TDM_SWEEP_DIR_FAILED);
    j.out_log = j.tmp ? tdm_path_join(j.tmp, "stdout.log") : NULL;
    j.err_log = j.tmp ? tdm_path_join(j.tmp, "stderr.log") : NULL;
    j.argv = j.tmp ? tdm_sweep_child_argv(&c->e, cell, c->binaries[cell->variant], j.tmp) : NULL;
    tdm_sweep_cell_outcome outcome = TDM_SWEEP_CELL_STOP_ERROR;
    tdm_endpoint_locks locks = {0};
    j.locks = &locks;
    if (!j.fin || !j.tmp || !j.fail || !j.out_log || !j.err_log || !j.argv)
        fprintf(stderr, "tandem-sweep: out of memory\n");
    else if ((outcome = tdm_sweep_lock_servers(r, i, &locks)) == TDM_SWEEP_CELL_DONE &&
             (outcome = tdm_sweep_servers_for(r, i)) == TDM_SWEEP_CELL_DONE &&
             (outcome = write_scenario(r, i, j.tmp)) == TDM_SWEEP_CELL_DONE &&
             (outcome = before_cell(r, tdm_sweep_cell_point(c, i))) == TDM_SWEEP_CELL_DONE &&
             (outcome = run_attempts(r, &j, done_before, failed_before)) == TDM_SWEEP_CELL_DONE) {
        check_vram(r, &j);
        outcome = finish_cell(r, &j, done_before);
    }
    if (locks.n) {
        r->last_cell_end_ns = tdm_endpoint_lock_now_ns();
        tdm_endpoint_locks_release(&locks);
    }
    free(j.tail);
    tdm_sweep_argv_free(j.argv);
    free(j.out_log);
    free(j.err_log);
    free(j.fin);
    free(j.tmp);
    free(j.fail);
    return outcome;
}
