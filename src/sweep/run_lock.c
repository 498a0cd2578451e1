/* run_lock.c — the output directory one sweep owns: its lock (so two sweeps never write
 * into it), its manifest (started, or resumed and checked against the experiment), the
 * reconciliation of that manifest with the cell directories on disk (the disk is the
 * truth), and the manifest's info and the copy of the experiment beside it. */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "sweep/run_int.h"

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

/* Sets a cell's state from what its directories hold: a finished cell.json wins over the
 * manifest; a cell the manifest calls finished or running but the disk does not runs again. */
static int reconcile_state(tdm_sweep_runner *r, size_t i, const char *fin, const char *fail)
{
    tdm_sweep_ctx *c = r->c;
    tdm_cell_rec *rec = &r->m.cells[i];
    char err[1024];
    tdm_cell_state st;
    char *why = NULL;
    if (tdm_path_exists(fin)) {
        if (read_cell_status(fin, &st, NULL) != 0 || !tdm_cell_state_finished(st)) {
            fprintf(stderr,
                    "tandem-sweep: %s exists but holds no finished cell.json; tandem-sweep did not put it there and "
                    "will not overwrite it. Move it away, then re-run.\n",
                    fin);
            return -1;
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
    return 0;
}

/* Brings cell i's manifest entry in line with the disk; a half-done temporary directory
 * left by a killed run is removed first, so the cell runs again. */
int tdm_sweep_reconcile_one(tdm_sweep_runner *r, size_t i)
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
    rc = reconcile_state(r, i, fin, fail);
out:
    free(fin);
    free(tmp);
    free(fail);
    return rc;
}

/* Takes the output directory's lock (.sweep.lock, holding this process's id) or says who
 * holds it. */
int tdm_sweep_lock_out(tdm_sweep_runner *r)
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

/* The manifest's info: the experiment, its pins, the binaries and the servers as checked. */
void tdm_sweep_set_info(tdm_sweep_runner *r)
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
                             c->e.path, "pins", tdm_sweep_pins_expected(&c->e), "allow_unpinned", c->o->allow_unpinned, "out",
                             c->out, "bin_dir", c->bin_dir, "variants", vars, "configurations", cfgs, "repetitions",
                             c->e.repetitions, "servers", servers, "host", host);
    json_decref(r->m.info);
    r->m.info = info;
}

/* A copy of the experiment beside the results, written once. */
void tdm_sweep_copy_experiment(const tdm_sweep_ctx *c)
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

/* Starts the manifest, or takes over the one found in the output directory once it is
 * checked to belong to this experiment and plan. */
int tdm_sweep_open_manifest(tdm_sweep_runner *r)
{
    tdm_sweep_ctx *c = r->c;
    char err[2048];
    char *mpath = tdm_path_join(c->out, "manifest.json");
    if (c->prior_err[0]) {
        fprintf(stderr, "tandem-sweep: %s\n", c->prior_err);
        free(mpath);
        return -1;
    }
    if (c->has_prior) {
        if (tdm_manifest_check_resume(&c->prior, &c->e, c->cells, c->n_cells, err, sizeof err) != 0) {
            fprintf(stderr, "tandem-sweep: cannot resume the sweep in %s: %s\n", c->out, err);
            free(mpath);
            return -1;
        }
        r->m = c->prior; /* taken over */
        c->has_prior = false;
        tdm_sweep_progress(c, "resuming the sweep in %s (seed %llu)\n", c->out, (unsigned long long)c->seed);
    } else if (tdm_manifest_init(&r->m, mpath, &c->e, c->cells, c->n_cells, c->seed, c->order) != 0) {
        fprintf(stderr, "tandem-sweep: out of memory\n");
        free(mpath);
        return -1;
    }
    free(mpath);
    return 0;
}
