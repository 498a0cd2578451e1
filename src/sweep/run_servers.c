/* run_servers.c — the servers of a server group (axes num_parallel, servers_per_gpu):
 * before the first cell of a group other than the one up, the experiment's
 * server_launcher runs with the group's settings in its environment, then the sweep
 * waits until every server the group's cells talk to answers, and checks the pins again
 * (a restarted server may be another version). The plan keeps a group's cells together,
 * so this happens once per group; in --cell mode, once per cell.
 *
 * The launcher gets, for the group's values:
 *   OLLAMA_NUM_PARALLEL, TANDEM_OLLAMA_NUM_PARALLEL, TANDEM_NUM_PARALLEL   (num_parallel)
 *   TANDEM_SERVERS                                                          (servers_per_gpu)
 *   TANDEM_SWEEP_GROUP                                                      (1, 2, ...)
 * Its output goes to <out>/.servers/group<g>.{stdout,stderr}.log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "sweep/child.h"
#include "sweep/http.h"
#include "sweep/run_int.h"

#define READY_POLL_MS 200

/* Every server some cell of group g talks to. */
static int group_urls(const tdm_experiment *e, size_t g, char ***urls, size_t *n)
{
    size_t ncp = e->n_client_points;
    for (size_t k = 0; k < e->n_configs; k++)
        for (size_t p = g * ncp; p < (g + 1) * ncp && p < e->n_points; p++) {
            const tdm_sweep_point *pt = &e->configs[k].points[p];
            for (size_t u = 0; u < pt->n_urls; u++) {
                bool seen = false;
                for (size_t j = 0; j < *n && !seen; j++)
                    seen = strcmp((*urls)[j], pt->urls[u]) == 0;
                if (seen)
                    continue;
                char **v = realloc(*urls, (*n + 1) * sizeof *v);
                if (!v)
                    return -1;
                *urls = v;
                v[(*n)++] = pt->urls[u]; /* borrowed */
            }
        }
    return 0;
}

/* "export OLLAMA_NUM_PARALLEL=2 ...; <launcher>" for /bin/sh -c. */
static char *launcher_script(const tdm_experiment *e, size_t g)
{
    char *env = tdm_sweep_group_env(e, g);
    tdm_buf b = {0};
    tdm_buf_printf(&b, "export %s; %s", env ? env : "", e->server_launcher);
    free(env);
    return tdm_buf_steal(&b);
}

/* Waits until every url answers GET /api/version, or the deadline: 0, or -1 with why. */
static int wait_ready(tdm_sweep_runner *r, char **urls, size_t n, int64_t budget_ms, char *why, size_t whylen)
{
    const tdm_experiment *e = &r->c->e;
    for (size_t u = 0; u < n; u++) {
        for (;;) {
            long status = 0;
            tdm_buf body = {0};
            char err[512] = "";
            int rc = tdm_sweep_http(urls[u], "GET", "/api/version", NULL, (int)e->run.http_timeout_ms, &status,
                                    &body, err, sizeof err);
            tdm_buf_free(&body);
            if (rc == 0 && status == 200)
                break;
            if (budget_ms <= 0) {
                snprintf(why, whylen, "%s did not answer within server_ready_timeout_ms (%s)", urls[u],
                         rc ? err : "not HTTP 200");
                return -1;
            }
            if (tdm_sweep_sleep_ms(READY_POLL_MS))
                return 1;
            budget_ms -= READY_POLL_MS;
        }
    }
    return 0;
}

tdm_sweep_cell_outcome tdm_sweep_servers_for(tdm_sweep_runner *r, size_t i)
{
    tdm_sweep_ctx *c = r->c;
    const tdm_experiment *e = &c->e;
    size_t g = c->cells[i].group;
    if (!e->server_launcher || r->group_up == (long)g)
        return TDM_SWEEP_CELL_DONE;
    char *script = launcher_script(e, g);
    char *desc = tdm_sweep_point_desc(e, g * e->n_client_points, true);
    char **urls = NULL;
    size_t n = 0;
    tdm_buf out = {0}, errp = {0};
    tdm_buf_printf(&out, "%s/.servers/group%zu.stdout.log", c->out, g + 1);
    tdm_buf_printf(&errp, "%s/.servers/group%zu.stderr.log", c->out, g + 1);
    tdm_sweep_cell_outcome outcome = TDM_SWEEP_CELL_STOP_ERROR;
    char err[1024] = "";
    char *dir = tdm_path_join(c->out, ".servers");
    if (!script || !desc || !dir || !out.data || !errp.data || group_urls(e, g, &urls, &n) != 0) {
        fprintf(stderr, "tandem-sweep: out of memory\n");
        goto done;
    }
    if (tdm_mkdirs(dir, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-sweep: %s\n", err);
        goto done;
    }
    tdm_sweep_progress(c, "servers: group %zu (%s): running the launcher: %s\n", g + 1, desc, e->server_launcher);
    char *argv[] = {"/bin/sh", "-c", script, NULL};
    tdm_child_result res;
    if (tdm_child_run(argv, out.data, errp.data, e->server_ready_timeout_ms, NULL, NULL, &res, err, sizeof err) !=
        0) {
        fprintf(stderr, "tandem-sweep: cannot run server_launcher: %s\n", err);
        goto done;
    }
    if (res.interrupted_by) {
        outcome = TDM_SWEEP_CELL_STOP_INTERRUPT;
        goto done;
    }
    r->restarts++;
    if (res.timed_out || res.exit_status != 0) {
        fprintf(stderr,
                "tandem-sweep: server_launcher for group %zu (%s) %s; its output is in %s; fix the launcher (or "
                "raise server_ready_timeout_ms) and re-run to continue\n",
                g + 1, desc, res.timed_out ? "ran past server_ready_timeout_ms" : "failed", errp.data);
        if (!res.timed_out)
            fprintf(stderr, "  (exit status %d)\n", res.exit_status);
        goto done;
    }
    int64_t left = e->server_ready_timeout_ms - (int64_t)(res.duration_s * 1000.0);
    int w = wait_ready(r, urls, n, left, err, sizeof err);
    if (w > 0) {
        outcome = TDM_SWEEP_CELL_STOP_INTERRUPT;
        goto done;
    }
    if (w < 0) {
        fprintf(stderr, "tandem-sweep: servers of group %zu (%s): %s; see %s\n", g + 1, desc, err, errp.data);
        goto done;
    }
    int bad = tdm_sweep_check_pins(r, urls, n, e->pins.vram != TDM_VRAM_UNCHECKED, true);
    if (bad && !c->o->allow_unpinned) {
        tdm_sweep_print_refusal(r, urls, n);
        goto done;
    }
    r->group_up = (long)g;
    /* the servers as this group checked them, in the manifest (no pins before a launcher ran) */
    if (r->save) {
        tdm_sweep_set_info(r);
        if (!tdm_sweep_runner_save(r))
            goto done;
    }
    outcome = TDM_SWEEP_CELL_DONE;
done:
    free(urls);
    free(script);
    free(desc);
    free(dir);
    tdm_buf_free(&out);
    tdm_buf_free(&errp);
    return outcome;
}
