/* run_endpoints.c — a cell's servers to itself: the host-wide lock of each of them
 * (endpoint_lock.h) before anything touches them, and the cool-down after another
 * process's measurement on them. Without it, cells of emitted jobs (xargs -P, several
 * Slurm tasks on one node) measure each other's load as their own. */
#include <stdio.h>
#include <stdlib.h>

#include "sweep/child.h"
#include "sweep/plan.h"
#include "sweep/run_int.h"

static tdm_sweep_cell_outcome keep_cooldown(tdm_sweep_runner *r, const tdm_endpoint_locks *l)
{
    int64_t cool_ns = r->c->e.run.cooldown_ms * 1000000;
    if (cool_ns <= 0 || l->last_release_ns <= 0)
        return TDM_SWEEP_CELL_DONE;
    int64_t left_ms = (l->last_release_ns + cool_ns - tdm_endpoint_lock_now_ns()) / 1000000;
    /* This process's own last cell gets its cool-down in run_cell.c; what is left here is
     * the part owed to a measurement some other process made. */
    if (left_ms <= 0)
        return TDM_SWEEP_CELL_DONE;
    return tdm_sweep_sleep_ms(left_ms) ? TDM_SWEEP_CELL_STOP_INTERRUPT : TDM_SWEEP_CELL_DONE;
}

/* Said even with --quiet: a sweep that seems to hang must say why. */
static void say_waiting(const char *holder, void *ctx)
{
    fprintf(stderr, "tandem-sweep: cell %s waits for its server: %s\n", (const char *)ctx, holder);
}

/* What the lock files say is measuring, and the provenance's taken_by. */
static void describe_cell(const tdm_sweep_ctx *c, const char *id, char *out, size_t len)
{
    snprintf(out, len, "tandem-sweep %s cell %s", c->e.name ? c->e.name : "?", id);
}

json_t *tdm_sweep_lock_json(tdm_sweep_runner *r, size_t i, const tdm_endpoint_locks *l)
{
    char *id = tdm_sweep_cell_id(&r->c->e, &r->c->cells[i]);
    char what[512];
    describe_cell(r->c, id ? id : "?", what, sizeof what);
    free(id);
    return tdm_endpoint_locks_json(l, what);
}

tdm_sweep_cell_outcome tdm_sweep_lock_servers(tdm_sweep_runner *r, size_t i, tdm_endpoint_locks *l)
{
    tdm_sweep_ctx *c = r->c;
    const tdm_sweep_point *pt = tdm_sweep_cell_point(c, i);
    char *id = tdm_sweep_cell_id(&c->e, &c->cells[i]);
    const char *name = id ? id : "?";
    char what[512], holder[1024] = "", err[1024] = "";
    describe_cell(c, name, what, sizeof what);
    tdm_lock_wait w = {.no_wait = c->o->no_wait, .pause_ms = tdm_sweep_sleep_ms, .waiting = say_waiting,
                       .ctx = (void *)name};
    tdm_sweep_cell_outcome out = TDM_SWEEP_CELL_DONE;
    switch (tdm_endpoint_locks_take(l, pt->urls, pt->n_urls, what, &w, holder, sizeof holder, err, sizeof err)) {
    case TDM_LOCKS_HELD: break;
    case TDM_LOCKS_BUSY:
        fprintf(stderr,
                "tandem-sweep: cell %s not run: its server is measuring for another process (%s); run it "
                "again later, or without --no-wait to wait for it\n",
                name, holder);
        out = TDM_SWEEP_CELL_STOP_BUSY;
        break;
    case TDM_LOCKS_INTERRUPTED: out = TDM_SWEEP_CELL_STOP_INTERRUPT; break;
    default:
        fprintf(stderr, "tandem-sweep: cell %s: %s\n", name, err);
        out = TDM_SWEEP_CELL_STOP_ERROR;
        break;
    }
    free(id);
    if (out == TDM_SWEEP_CELL_DONE && (out = keep_cooldown(r, l)) != TDM_SWEEP_CELL_DONE)
        tdm_endpoint_locks_release(l);
    return out;
}
