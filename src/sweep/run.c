/* run.c — running a sweep (or, with --cell, one cell of it): the output directory is
 * locked, the manifest read or started and reconciled with the directories on disk,
 * binaries and pins checked before anything is measured, then each cell still to do is
 * run as a child process into a hidden temporary directory, which is renamed into place
 * only once the cell is finished (ok or incomplete) or set aside as failed. Progress goes
 * to stderr only between cells; the summary and the report command to stdout. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "sweep/child.h"
#include "sweep/pins.h"
#include "sweep/sweep_int.h"

#define TAIL_BYTES 4096
#define TAIL_LINES 6
#define REASON_MAX 900

typedef enum cell_outcome { CELL_DONE, CELL_STOP_INTERRUPT, CELL_STOP_ERROR } cell_outcome;

typedef struct runner {
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
    int lock_fd;
} runner;

/* ---- small helpers ------------------------------------------------------------ */

static size_t url_index(const tdm_sweep_ctx *c, const char *u)
{
    for (size_t i = 0; i < c->n_urls; i++)
        if (strcmp(c->urls[i], u) == 0)
            return i;
    return 0;
}

static bool save(runner *r)
{
    if (!r->save)
        return true;
    char err[1024];
    if (tdm_manifest_save(&r->m, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-sweep: cannot write the manifest: %s\n", err);
        return false;
    }
    return true;
}

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

/* One line for a terminal: newlines become " | ", cut at max. */
static void one_line(const char *s, char *out, size_t max)
{
    size_t o = 0;
    for (; s && *s && o + 4 < max; s++) {
        if (*s == '\n') {
            out[o++] = ' ';
            out[o++] = '|';
            out[o++] = ' ';
        } else
            out[o++] = *s;
    }
    out[o] = '\0';
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

/* ---- pins -------------------------------------------------------------------------- */

static bool cell_pins_ok(const runner *r, const tdm_sweep_config *cf)
{
    if (!r->gpu_ok)
        return false;
    for (size_t u = 0; u < cf->n_urls; u++) {
        const tdm_pincheck *p = &r->pins[url_index(r->c, cf->urls[u])];
        if (!p->reachable || p->n_mismatches)
            return false;
    }
    return true;
}

static json_t *cell_pin_mismatches(const runner *r, const tdm_sweep_config *cf)
{
    json_t *a = json_array();
    if (!r->gpu_ok)
        json_array_append_new(a, json_string(r->gpu_why));
    for (size_t u = 0; u < cf->n_urls; u++) {
        const tdm_pincheck *p = &r->pins[url_index(r->c, cf->urls[u])];
        if (!p->reachable) {
            char msg[1400];
            snprintf(msg, sizeof msg, "%s: not verified, unreachable when checked (%s)", p->url,
                     p->unreachable_reason ? p->unreachable_reason : "?");
            json_array_append_new(a, json_string(msg));
        }
        const char *s = tdm_buf_str(&p->mismatches);
        while (*s) {
            size_t n = strcspn(s, "\n");
            json_array_append_new(a, json_stringn(s, n));
            s += n + (s[n] == '\n');
        }
    }
    return a;
}

static json_t *pins_expected(const tdm_experiment *e)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "ollama_version", e->pins.ollama_version, "model", e->pins.model,
                          "model_digest", e->pins.model_digest);
    json_object_set_new(o, "gpu", e->pins.gpu ? json_string(e->pins.gpu) : json_null());
    return o;
}

/* Checks urls (all of them when n is the full list); returns the number of reachable
 * servers that do not match. Refusal messages name both sides. */
static int check_pins(runner *r, char **urls, size_t n, bool gpu, bool announce)
{
    tdm_sweep_ctx *c = r->c;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = url_index(c, urls[i]);
        long long vram = r->pins[k].size_vram; /* measured once, at the start: keep it */
        tdm_pincheck_free(&r->pins[k]);
        tdm_pincheck_run(&r->pins[k], &c->e, urls[i], gpu);
        if (!gpu && vram > 0 && r->pins[k].reachable)
            r->pins[k].size_vram = vram;
        const tdm_pincheck *p = &r->pins[k];
        if (p->reachable && p->n_mismatches)
            bad++;
        else if (!p->reachable && announce)
            tdm_sweep_progress(c,
                               "warning: %s is unreachable (%s); its pins cannot be checked now. Cells that use it "
                               "will be tried (with retries) and recorded as failed if it stays down.\n",
                               urls[i], p->unreachable_reason ? p->unreachable_reason : "?");
        else if (announce)
            tdm_sweep_progress(c, "%s: Ollama %s, %s @ %s%.12s...: pins hold%s\n", urls[i], p->version,
                               c->e.pins.model, p->weights_digest ? "weights " : "",
                               p->weights_digest ? p->weights_digest : p->digest ? p->digest : "?",
                               p->size_vram > 0 ? " (in VRAM)" : "");
    }
    return bad;
}

static void print_refusal(runner *r, char **urls, size_t n)
{
    fprintf(stderr, "tandem-sweep: refusing to measure: the servers do not match the experiment's pins:\n");
    for (size_t i = 0; i < n; i++) {
        const tdm_pincheck *p = &r->pins[url_index(r->c, urls[i])];
        const char *s = tdm_buf_str(&p->mismatches);
        while (*s) {
            size_t len = strcspn(s, "\n");
            fprintf(stderr, "  - %.*s\n", (int)len, s);
            s += len + (s[len] == '\n');
        }
    }
    if (!r->gpu_ok)
        fprintf(stderr, "  - %s\n", r->gpu_why);
    fprintf(stderr, "Start the pinned Ollama and model, or change the pins in %s, or pass --allow-unpinned to "
                    "measure anyway (every cell then records the mismatch).\n",
            r->c->e.path);
}

/* ---- reconcile the manifest with the disk ------------------------------------------ */

/* Reads the status a finished cell's cell.json records. */
static int read_cell_status(const char *dir, tdm_cell_state *st, char **reason)
{
    char *p = tdm_path_join(dir, "cell.json");
    char err[512];
    json_t *doc = p ? tdm_read_json_file(p, err, sizeof err) : NULL;
    free(p);
    if (!doc)
        return -1;
    int rc = tdm_cell_state_parse(json_string_value(json_object_get(doc, "status")), st);
    const char *why = json_string_value(json_object_get(doc, "reason"));
    if (reason)
        *reason = why ? strdup(why) : NULL;
    json_decref(doc);
    return rc;
}

static int reconcile_one(runner *r, size_t i)
{
    tdm_sweep_ctx *c = r->c;
    tdm_cell_rec *rec = &r->m.cells[i];
    char *fin = tdm_sweep_cell_dir(c->out, &c->e, &c->cells[i], TDM_SWEEP_DIR_FINAL);
    char *tmp = tdm_sweep_cell_dir(c->out, &c->e, &c->cells[i], TDM_SWEEP_DIR_TMP);
    char *fail = tdm_sweep_cell_dir(c->out, &c->e, &c->cells[i], TDM_SWEEP_DIR_FAILED);
    int rc = 0;
    char err[1024];
    if (!fin || !tmp || !fail) {
        rc = -1;
        goto out;
    }
    if (tdm_path_exists(tmp)) {
        tdm_sweep_progress(c, "%s: removing the half-done %s left by an earlier run; the cell runs again\n", rec->id,
                           tmp);
        if (tdm_rmtree(tmp, err, sizeof err) != 0) {
            fprintf(stderr, "tandem-sweep: %s\n", err);
            rc = -1;
            goto out;
        }
    }
    tdm_cell_state st;
    char *why = NULL;
    if (tdm_path_exists(fin)) {
        if (read_cell_status(fin, &st, NULL) != 0 || !tdm_cell_state_finished(st)) {
            fprintf(stderr,
                    "tandem-sweep: %s exists but holds no finished cell.json; tandem-sweep did not put it there and "
                    "will not overwrite it. Move it away, then re-run.\n",
                    fin);
            rc = -1;
            goto out;
        }
        rec->state = st; /* the disk is the truth, even if the manifest write was lost */
        rec->child_pid = 0;
        if (tdm_rmtree(fail, err, sizeof err) != 0) /* a stale failure of a since-finished cell */
            tdm_sweep_progress(c, "warning: %s\n", err);
    } else if (tdm_cell_state_finished(rec->state)) {
        tdm_sweep_progress(c, "%s: the manifest says %s but %s is gone; the cell runs again\n", rec->id,
                           tdm_cell_state_name(rec->state), fin);
        rec->state = TDM_CELL_PENDING;
    } else if (tdm_path_exists(fail) && read_cell_status(fail, &st, &why) == 0 && st == TDM_CELL_FAILED) {
        rec->state = TDM_CELL_FAILED;
        if (!rec->reason && why)
            tdm_manifest_set_reason(&r->m, i, why);
    } else if (rec->state == TDM_CELL_RUNNING || rec->state == TDM_CELL_FAILED) {
        /* died under it (running), or its failed directory is gone: run it again */
        rec->state = rec->state == TDM_CELL_RUNNING ? TDM_CELL_INTERRUPTED : TDM_CELL_PENDING;
        if (!rec->reason)
            tdm_manifest_set_reason(&r->m, i, "the sweep stopped while this cell ran (crash or kill)");
        rec->child_pid = 0;
    }
    free(why);
out:
    free(fin);
    free(tmp);
    free(fail);
    return rc;
}

/* ---- one cell --------------------------------------------------------------------- */

typedef struct started_arg {
    runner *r;
    size_t i;
} started_arg;

static void on_started(pid_t pid, void *arg)
{
    started_arg *a = arg;
    a->r->m.cells[a->i].child_pid = (long)pid;
    save(a->r); /* so a reader of the manifest sees which child runs the cell */
}

static json_t *cell_json(runner *r, size_t i, char **argv, const char *status, const char *reason)
{
    tdm_sweep_ctx *c = r->c;
    const tdm_sweep_cell *cell = &c->cells[i];
    const tdm_sweep_config *cf = &c->e.configs[cell->config];
    const tdm_cell_rec *rec = &r->m.cells[i];
    char *cmd = tdm_sweep_shell_join(argv);
    json_t *av = json_array();
    for (size_t k = 0; argv[k]; k++)
        json_array_append_new(av, json_string(argv[k]));
    json_t *servers = json_array();
    for (size_t u = 0; u < cf->n_urls; u++)
        json_array_append_new(servers, tdm_pincheck_json(&r->pins[url_index(c, cf->urls[u])]));
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:s, s:o}", "id", rec->id, "variant",
                          c->e.variants[cell->variant], "configuration", cf->name, "repetition", cell->repetition,
                          "block", cell->block, "order_index", (json_int_t)cell->order_index, "command",
                          cmd ? cmd : "", "argv", av);
    free(cmd);
    if (!o)
        return NULL;
    json_object_set_new(o, "scenario", json_string(cf->builtin ? cf->builtin : cf->scenario_path));
    json_object_set_new(o, "started_at", json_string(rec->started_at));
    json_object_set_new(o, "finished_at", json_string(rec->finished_at));
    json_object_set_new(o, "duration_s", json_real(rec->duration_s));
    json_object_set_new(o, "exit_status", json_integer(rec->exit_status));
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "reason", reason ? json_string(reason) : json_null());
    json_object_set_new(o, "attempts", json_integer(rec->attempts));
    json_object_set_new(o, "pins_ok", json_boolean(cell_pins_ok(r, cf)));
    json_object_set_new(o, "pin_mismatches", cell_pin_mismatches(r, cf));
    json_object_set_new(o, "allow_unpinned", json_boolean(c->o->allow_unpinned));
    json_object_set_new(o, "pins", pins_expected(&c->e));
    json_object_set_new(o, "servers", servers);
    json_object_set_new(o, "experiment", json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", c->e.name, "path",
                                                   c->e.path, "sha256", c->e.sha256, "seed", seed, "order",
                                                   c->order == TDM_SWEEP_ORDER_SEQUENTIAL ? "sequential" : "blocks"));
    json_object_set_new(o, "tandem_sweep_version", json_string(TDM_VERSION));
    return o;
}

/* Adds the sweep's pin verdict to the run's provenance.json, where the report looks
 * for runs accepted despite a mismatch. */
static void annotate_provenance(runner *r, size_t i, const char *dir)
{
    const tdm_sweep_config *cf = &r->c->e.configs[r->c->cells[i].config];
    char *p = tdm_path_join(dir, "provenance.json");
    char err[512];
    json_t *prov = p && tdm_path_exists(p) ? tdm_read_json_file(p, err, sizeof err) : NULL;
    if (json_is_object(prov)) {
        json_t *mm = cell_pin_mismatches(r, cf);
        json_object_set_new(prov, "pins", json_pack("{s:b, s:o, s:o, s:s}", "matched", cell_pins_ok(r, cf),
                                                    "mismatch", mm, "expected", pins_expected(&r->c->e),
                                                    "checked_by", "tandem-sweep"));
        if (tdm_write_json_atomic(p, prov, err, sizeof err) != 0)
            tdm_sweep_progress(r->c, "warning: %s\n", err);
    }
    json_decref(prov);
    free(p);
}

static void eta_text(const runner *r, size_t cfg, char *out, size_t outlen)
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

static cell_outcome run_cell(runner *r, size_t i, size_t done_before, size_t failed_before)
{
    tdm_sweep_ctx *c = r->c;
    const tdm_experiment *e = &c->e;
    const tdm_sweep_cell *cell = &c->cells[i];
    const tdm_sweep_config *cf = &e->configs[cell->config];
    tdm_cell_rec *rec = &r->m.cells[i];
    cell_outcome outcome = CELL_DONE;
    char err[1024];
    char *fin = tdm_sweep_cell_dir(c->out, e, cell, TDM_SWEEP_DIR_FINAL);
    char *tmp = tdm_sweep_cell_dir(c->out, e, cell, TDM_SWEEP_DIR_TMP);
    char *fail = tdm_sweep_cell_dir(c->out, e, cell, TDM_SWEEP_DIR_FAILED);
    char *out_log = tmp ? tdm_path_join(tmp, "stdout.log") : NULL;
    char *err_log = tmp ? tdm_path_join(tmp, "stderr.log") : NULL;
    char **argv = tmp ? tdm_sweep_child_argv(e, cell, c->binaries[cell->variant], tmp) : NULL;
    char *tail = NULL;
    if (!fin || !tmp || !fail || !out_log || !err_log || !argv) {
        fprintf(stderr, "tandem-sweep: out of memory\n");
        outcome = CELL_STOP_ERROR;
        goto out;
    }

    /* Between cells: cool-down, pins again (a server restarted mid-sweep may be another
     * version), then the unload, so each cell starts from the same state. */
    if (r->child_ran && e->run.cooldown_ms > 0 && tdm_sweep_sleep_ms(e->run.cooldown_ms)) {
        outcome = CELL_STOP_INTERRUPT;
        goto out;
    }
    /* With a VRAM pin the model is loaded and /api/ps read again: another process may have
     * taken GPU memory since the last cell. */
    if (check_pins(r, cf->urls, cf->n_urls, e->pins.vram != TDM_VRAM_UNCHECKED, false) > 0 &&
        !c->o->allow_unpinned) {
        print_refusal(r, cf->urls, cf->n_urls);
        outcome = CELL_STOP_ERROR;
        goto out;
    }
    if (e->run.unload_between_cells)
        for (size_t u = 0; u < cf->n_urls; u++)
            if (r->pins[url_index(c, cf->urls[u])].reachable &&
                tdm_sweep_unload(cf->urls[u], e->pins.model, (int)e->run.http_timeout_ms, err, sizeof err) != 0)
                tdm_sweep_progress(c, "warning: %s: unload failed: %s\n", cf->urls[u], err);

    int64_t backoff = e->run.retry_backoff_ms;
    tdm_child_result res;
    const char *status = NULL;
    tdm_cell_state final_state = TDM_CELL_FAILED;
    for (int attempt = 0;; attempt++) {
        if (tdm_sweep_interrupted()) {
            outcome = CELL_STOP_INTERRUPT;
            goto out;
        }
        char *parent = parent_of(tmp);
        if (tdm_rmtree(tmp, err, sizeof err) != 0 || !parent || tdm_mkdirs(tmp, err, sizeof err) != 0) {
            free(parent);
            fprintf(stderr, "tandem-sweep: %s\n", err);
            outcome = CELL_STOP_ERROR;
            goto out;
        }
        free(parent);
        tdm_manifest_set_state(&r->m, i, TDM_CELL_RUNNING);
        tdm_manifest_set_reason(&r->m, i, NULL);
        rec->attempts++;
        rec->exit_status = -1;
        rec->finished_at[0] = '\0';
        tdm_sweep_utc_now(rec->started_at);
        char eta[32];
        eta_text(r, cell->config, eta, sizeof eta);
        tdm_sweep_progress(c, "[%zu/%zu] %s (block %d)%s: running; %zu done, %zu failed, ETA %s\n", done_before + 1,
                           c->n_cells, rec->id, cell->block, attempt ? " retry" : "", done_before, failed_before,
                           eta);
        started_arg sa = {r, i};
        free(tail);
        tail = NULL;
        if (tdm_child_run(argv, out_log, err_log, e->run.cell_timeout_ms, on_started, &sa, &res, err, sizeof err) !=
            0) {
            rec->child_pid = 0;
            tail = strdup(err);
            res.exit_status = -1;
            res.duration_s = 0;
            status = "failed";
            break;
        }
        rec->child_pid = 0;
        rec->exit_status = res.exit_status;
        rec->duration_s = res.duration_s;
        tail = file_tail(err_log);
        if (res.interrupted_by) {
            char why[160];
            snprintf(why, sizeof why, "interrupted by %s after %.1f s; re-run the same command to continue",
                     res.interrupted_by == SIGINT ? "SIGINT (Ctrl-C)" : "SIGTERM", res.duration_s);
            tdm_manifest_set_state(&r->m, i, TDM_CELL_INTERRUPTED);
            tdm_manifest_set_reason(&r->m, i, why);
            tdm_sweep_utc_now(rec->finished_at);
            tdm_rmtree(tmp, err, sizeof err);
            save(r);
            outcome = CELL_STOP_INTERRUPT;
            goto out;
        }
        if (res.timed_out) {
            status = "failed";
            char why[REASON_MAX + 200];
            snprintf(why, sizeof why, "timed out after %.0f s (run.cell_timeout_ms) and was stopped%s%s",
                     res.duration_s, tail && *tail ? "; its stderr ended: " : "", tail ? tail : "");
            free(tail);
            tail = strdup(why);
            break;
        }
        if (res.exit_status == 0) {
            status = "ok";
            final_state = TDM_CELL_OK;
            break;
        }
        if (res.exit_status == 3) {
            status = "incomplete";
            final_state = TDM_CELL_INCOMPLETE;
            break;
        }
        if (transient(res.exit_status, tail) && attempt < e->run.retries) {
            char line[300];
            one_line(tail, line, sizeof line);
            tdm_sweep_progress(c, "%s: could not reach a server (%s); retry %d/%d in %.1f s\n", rec->id, line,
                               attempt + 1, e->run.retries, (double)backoff / 1000.0);
            if (tdm_sweep_sleep_ms(backoff)) {
                tdm_manifest_set_state(&r->m, i, TDM_CELL_INTERRUPTED);
                tdm_manifest_set_reason(&r->m, i, "interrupted while waiting to retry; re-run to continue");
                tdm_rmtree(tmp, err, sizeof err);
                save(r);
                outcome = CELL_STOP_INTERRUPT;
                goto out;
            }
            backoff = backoff * 2 > 600000 ? 600000 : backoff * 2;
            continue;
        }
        status = "failed";
        char why[REASON_MAX + 200];
        if (res.exit_status > 128)
            snprintf(why, sizeof why, "killed by signal %d%s%s", res.exit_status - 128,
                     tail && *tail ? "; its stderr ended: " : "", tail ? tail : "");
        else
            snprintf(why, sizeof why, "exit status %d%s%s%s", res.exit_status,
                     transient(res.exit_status, tail) ? " (a server stayed unreachable through every retry)" : "",
                     tail && *tail ? ": " : "", tail && *tail ? tail : "");
        free(tail);
        tail = strdup(why);
        break;
    }

    /* The cell's own /api/ps snapshots (taken around each phase, with the cell's num_ctx and
     * num_gpu) are the evidence of where the model sat while it was measured. */
    char vram_why[1024];
    if (final_state != TDM_CELL_FAILED &&
        !tdm_sweep_cell_vram_ok(tmp, e->pins.vram, e->pins.model, vram_why, sizeof vram_why)) {
        if (c->o->allow_unpinned) {
            tdm_sweep_progress(c, "warning: %s: %s (kept: --allow-unpinned)\n", rec->id, vram_why);
        } else {
            final_state = TDM_CELL_FAILED;
            status = "failed";
            free(tail);
            tail = strdup(vram_why);
        }
    }

    /* Record the outcome in the cell's directory, then put the directory in place. */
    tdm_sweep_utc_now(rec->finished_at);
    const char *reason = final_state == TDM_CELL_OK ? NULL
                         : final_state == TDM_CELL_INCOMPLETE
                             ? "some calls failed; their records say why (exit status 3)"
                             : tail;
    json_t *cj = cell_json(r, i, argv, status, reason);
    char *cpath = tdm_path_join(tmp, "cell.json");
    if (!cj || !cpath || tdm_write_json_atomic(cpath, cj, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-sweep: cannot write %s: %s\n", cpath ? cpath : "cell.json", err);
        json_decref(cj);
        free(cpath);
        outcome = CELL_STOP_ERROR;
        goto out;
    }
    json_decref(cj);
    free(cpath);
    annotate_provenance(r, i, tmp);
    const char *dest = final_state == TDM_CELL_FAILED ? fail : fin;
    if (final_state == TDM_CELL_FAILED && tdm_rmtree(fail, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-sweep: %s\n", err);
        outcome = CELL_STOP_ERROR;
        goto out;
    }
    if (rename_noreplace(tmp, dest) != 0) {
        fprintf(stderr,
                "tandem-sweep: cannot move %s to %s: %s; a finished cell is never overwritten - is another sweep "
                "writing into %s?\n",
                tmp, dest, strerror(errno), c->out);
        outcome = CELL_STOP_ERROR;
        goto out;
    }
    /* A retried cell that now finished: its earlier failure is history (the manifest's
     * attempts count it), not a second copy of the cell. */
    if (final_state != TDM_CELL_FAILED && tdm_rmtree(fail, err, sizeof err) != 0)
        tdm_sweep_progress(c, "warning: %s\n", err);
    char *pd = parent_of(dest);
    if (pd)
        sync_dir(pd);
    free(pd);
    tdm_manifest_set_state(&r->m, i, final_state);
    tdm_manifest_set_reason(&r->m, i, reason);
    if (!save(r)) {
        outcome = CELL_STOP_ERROR;
        goto out;
    }
    r->ran++;
    r->ran_s += res.duration_s + (r->child_ran ? (double)e->run.cooldown_ms / 1000.0 : 0);
    r->child_ran = true;
    if (final_state == TDM_CELL_FAILED) {
        char line[400];
        one_line(reason, line, sizeof line);
        tdm_sweep_progress(c, "[%zu/%zu] %s: FAILED after %d attempt%s: %s\n", done_before + 1, c->n_cells, rec->id,
                           rec->attempts, rec->attempts == 1 ? "" : "s", line);
    } else {
        tdm_sweep_progress(c, "[%zu/%zu] %s: %s in %.1f s\n", done_before + 1, c->n_cells, rec->id, status,
                           res.duration_s);
    }
out:
    free(tail);
    tdm_sweep_argv_free(argv);
    free(out_log);
    free(err_log);
    free(fin);
    free(tmp);
    free(fail);
    return outcome;
}

/* ---- the sweep -------------------------------------------------------------------- */

static int lock_out(runner *r)
{
    char *p = tdm_path_join(r->c->out, ".sweep.lock");
    r->lock_fd = p ? open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
    free(p);
    if (r->lock_fd < 0 || flock(r->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr,
                "tandem-sweep: another tandem-sweep is running on %s (its lock .sweep.lock is held); wait for it, "
                "or choose another --out\n",
                r->c->out);
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(r->lock_fd, 0) == 0)
        (void)!write(r->lock_fd, pid, (size_t)n);
    return 0;
}

static void set_info(runner *r)
{
    tdm_sweep_ctx *c = r->c;
    json_t *servers = json_array();
    for (size_t i = 0; i < c->n_urls; i++)
        json_array_append_new(servers, tdm_pincheck_json(&r->pins[i]));
    json_t *vars = json_array(), *cfgs = json_array();
    for (size_t i = 0; i < c->e.n_variants; i++)
        json_array_append_new(vars, json_pack("{s:s, s:s}", "name", c->e.variants[i], "binary", c->binaries[i]));
    for (size_t i = 0; i < c->e.n_configs; i++)
        json_array_append_new(cfgs, json_string(c->e.configs[i].name));
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    json_t *info = json_pack("{s:s, s:s, s:o, s:b, s:s, s:s, s:o, s:o, s:i, s:o, s:s}", "name", c->e.name, "path",
                             c->e.path, "pins", pins_expected(&c->e), "allow_unpinned", c->o->allow_unpinned, "out",
                             c->out, "bin_dir", c->bin_dir, "variants", vars, "configurations", cfgs, "repetitions",
                             c->e.repetitions, "servers", servers, "host", host);
    json_decref(r->m.info);
    r->m.info = info;
}

static void copy_experiment(const tdm_sweep_ctx *c)
{
    char *dst = tdm_path_join(c->out, "experiment.yaml");
    FILE *f = dst && !tdm_path_exists(dst) ? fopen(c->e.path, "rb") : NULL;
    if (f) {
        tdm_buf b = {0};
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            tdm_buf_append(&b, chunk, n);
        fclose(f);
        char err[512];
        tdm_write_file_atomic(dst, b.data ? b.data : "", b.len, err, sizeof err);
        tdm_buf_free(&b);
    }
    free(dst);
}

static int summary(runner *r, int stop_signal, double wall_s, bool cell_mode, size_t only)
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
    size_t shown = 0;
    for (size_t i = 0; i < r->m.n_cells && shown < 10; i++)
        if (r->m.cells[i].state == TDM_CELL_FAILED) {
            char line[400];
            one_line(r->m.cells[i].reason ? r->m.cells[i].reason : "", line, sizeof line);
            printf("  failed: %s: %s\n", r->m.cells[i].id, line);
            shown++;
        }
    if (n[TDM_CELL_FAILED] > shown)
        printf("  ... and %zu more failed cells (manifest.json lists them)\n", n[TDM_CELL_FAILED] - shown);
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

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tdm_sweep_execute(tdm_sweep_ctx *c)
{
    const tdm_sweep_opts *o = c->o;
    int64_t t0 = mono_ms();
    runner r;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.lock_fd = -1;
    r.gpu_ok = true;
    r.save = o->cell == NULL;
    int rc = TDM_SWEEP_EXIT_ERROR;
    char err[2048];
    size_t only = 0;
    bool cell_mode = o->cell != NULL;
    if (cell_mode) {
        bool found = false;
        for (size_t i = 0; i < c->n_cells && !found; i++) {
            char *id = tdm_sweep_cell_id(&c->e, &c->cells[i]);
            if (id && strcmp(id, o->cell) == 0) {
                found = true;
                only = i;
            }
            free(id);
        }
        if (!found) {
            char *ex = c->n_cells ? tdm_sweep_cell_id(&c->e, &c->cells[0]) : NULL;
            fprintf(stderr, "tandem-sweep: --cell %s: no such cell in %s; ids look like %s (see --dry-run)\n",
                    o->cell, c->e.path, ex ? ex : "<configuration>/<variant>/rep<k>");
            free(ex);
            return TDM_SWEEP_EXIT_USAGE;
        }
    }
    tdm_sweep_signals_init();
    if (tdm_mkdirs(c->out, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-sweep: %s; choose another --out\n", err);
        return TDM_SWEEP_EXIT_ERROR;
    }
    if (!cell_mode && lock_out(&r) != 0)
        goto done;
    char *mpath = tdm_path_join(c->out, "manifest.json");
    if (c->prior_err[0]) {
        fprintf(stderr, "tandem-sweep: %s\n", c->prior_err);
        free(mpath);
        goto done;
    }
    if (c->has_prior) {
        if (tdm_manifest_check_resume(&c->prior, &c->e, c->cells, c->n_cells, err, sizeof err) != 0) {
            fprintf(stderr, "tandem-sweep: cannot resume the sweep in %s: %s\n", c->out, err);
            free(mpath);
            goto done;
        }
        r.m = c->prior; /* taken over */
        c->has_prior = false;
        tdm_sweep_progress(c, "resuming the sweep in %s (seed %llu)\n", c->out, (unsigned long long)c->seed);
    } else if (tdm_manifest_init(&r.m, mpath, &c->e, c->cells, c->n_cells, c->seed, c->order) != 0) {
        fprintf(stderr, "tandem-sweep: out of memory\n");
        free(mpath);
        goto done;
    }
    free(mpath);
    for (size_t i = cell_mode ? only : 0; i < (cell_mode ? only + 1 : c->n_cells); i++)
        if (reconcile_one(&r, i) != 0)
            goto done;

    /* What this invocation runs; the binaries it needs. */
    bool *runs = calloc(c->n_cells ? c->n_cells : 1, sizeof *runs);
    if (!runs)
        goto done;
    tdm_buf missing = {0};
    for (size_t i = cell_mode ? only : 0; i < (cell_mode ? only + 1 : c->n_cells); i++) {
        runs[i] = tdm_cell_should_run(r.m.cells[i].state, o->retry_failed);
        if (runs[i]) {
            r.to_run++;
            size_t v = c->cells[i].variant;
            if (!c->bin_found[v] && !strstr(tdm_buf_str(&missing), c->binaries[v]))
                tdm_buf_printf(&missing, "  - %s (variant %s)\n", c->binaries[v], c->e.variants[v]);
        }
    }
    if (missing.len) {
        fprintf(stderr,
                "tandem-sweep: variant binaries not found:\n%sBuild them (make, or make VARIANT=<v>), or point "
                "--bin-dir / TANDEM_BIN at the directory holding them.\n",
                tdm_buf_str(&missing));
        tdm_buf_free(&missing);
        free(runs);
        goto done;
    }
    if (cell_mode && r.to_run == 0) {
        tdm_cell_rec *rec = &r.m.cells[only];
        printf("tandem-sweep: cell %s is %s already%s\n", rec->id, tdm_cell_state_name(rec->state),
               rec->state == TDM_CELL_FAILED ? "; pass --retry-failed to run it again" : "; nothing to do");
        rc = rec->state == TDM_CELL_OK ? TDM_SWEEP_EXIT_OK : TDM_SWEEP_EXIT_INCOMPLETE;
        free(runs);
        goto done;
    }

    /* Pins, before anything is measured. */
    r.pins = calloc(c->n_urls ? c->n_urls : 1, sizeof *r.pins);
    if (!r.pins) {
        free(runs);
        goto done;
    }
    if (r.to_run > 0) {
        char **urls = cell_mode ? c->e.configs[c->cells[only].config].urls : c->urls;
        size_t nu = cell_mode ? c->e.configs[c->cells[only].config].n_urls : c->n_urls;
        int bad = check_pins(&r, urls, nu, c->e.pins.vram != TDM_VRAM_UNCHECKED, true);
        if (c->e.pins.gpu)
            r.gpu_ok = tdm_sweep_gpu_name_matches(c->e.pins.gpu, r.gpu_why, sizeof r.gpu_why);
        if ((bad || !r.gpu_ok) && !o->allow_unpinned) {
            print_refusal(&r, urls, nu);
            free(runs);
            goto done;
        }
        if (bad || !r.gpu_ok)
            tdm_sweep_progress(c, "warning: measuring despite pin mismatches (--allow-unpinned); every cell records "
                                  "them (cell.json pin_mismatches)\n");
    }
    if (r.save) {
        set_info(&r);
        if (!save(&r)) {
            free(runs);
            goto done;
        }
        copy_experiment(c);
    }

    size_t n0[TDM_CELL_STATE_COUNT];
    tdm_manifest_counts(&r.m, n0);
    if (r.to_run == 0)
        tdm_sweep_progress(c, "nothing to run: every cell is finished%s\n",
                           n0[TDM_CELL_FAILED] ? " or failed (--retry-failed runs failed cells again)" : "");
    else
        tdm_sweep_progress(c, "%zu of %zu cells to run (%s order, seed %llu) -> %s\n", r.to_run, c->n_cells,
                           c->order == TDM_SWEEP_ORDER_SEQUENTIAL ? "sequential" : "blocks",
                           (unsigned long long)c->seed, c->out);
    int stop = 0;
    bool error = false;
    for (size_t i = 0; i < c->n_cells && !stop && !error; i++) {
        if (!runs[i])
            continue;
        size_t n[TDM_CELL_STATE_COUNT];
        tdm_manifest_counts(&r.m, n);
        cell_outcome out = run_cell(&r, i, n[TDM_CELL_OK] + n[TDM_CELL_INCOMPLETE] + n[TDM_CELL_FAILED],
                                    n[TDM_CELL_FAILED]);
        if (out == CELL_STOP_INTERRUPT)
            stop = tdm_sweep_interrupted();
        else if (out == CELL_STOP_ERROR)
            error = true;
        if (!stop)
            stop = tdm_sweep_interrupted();
    }
    free(runs);
    save(&r);
    rc = summary(&r, stop, (double)(mono_ms() - t0) / 1000.0, cell_mode, only);
    if (error)
        rc = TDM_SWEEP_EXIT_ERROR;
done:
    for (size_t i = 0; r.pins && i < c->n_urls; i++)
        tdm_pincheck_free(&r.pins[i]);
    free(r.pins);
    tdm_manifest_free(&r.m);
    if (r.lock_fd >= 0)
        close(r.lock_fd);
    return rc;
}
