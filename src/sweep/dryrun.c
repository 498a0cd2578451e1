/* dryrun.c — `tandem-sweep --dry-run`: the whole plan on stdout without touching a
 * server or the output directory: cell count, order and seed, the axes and the server
 * groups with their restarts, the exact command of every child, and an estimated
 * duration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep_int.h"

static void print_header(const tdm_sweep_ctx *c, const tdm_manifest *m)
{
    const tdm_experiment *e = &c->e;
    printf("experiment: %s%s%s\n", e->name, e->description ? " - " : "", e->description ? e->description : "");
    printf("  file:      %s (sha256 %s)\n", e->path, e->sha256);
    if (m) {
        size_t n[TDM_CELL_STATE_COUNT];
        tdm_manifest_counts(m, n);
        printf("  output:    %s (resuming: %zu ok, %zu incomplete, %zu failed, %zu interrupted, %zu pending)\n",
               c->out, n[TDM_CELL_OK], n[TDM_CELL_INCOMPLETE], n[TDM_CELL_FAILED], n[TDM_CELL_INTERRUPTED],
               n[TDM_CELL_PENDING] + n[TDM_CELL_RUNNING]);
    } else {
        printf("  output:    %s%s\n", c->out, c->prior_err[0] ? " (its manifest cannot be used; see below)" : " (new)");
    }
    static const char *const vram[] = {"not checked", "some of it in VRAM", "all of it in VRAM"};
    printf("  pins:      Ollama %s; %s @ %s; GPU %s; model %s\n", e->pins.ollama_version, e->pins.model,
           e->pins.model_digest, e->pins.gpu ? e->pins.gpu : "not pinned", vram[e->pins.vram]);
    printf("  GPU telemetry: %s in every cell (run.gpu_telemetry)\n", tdm_gpu_mode_name(e->run.gpu_telemetry));
    printf("  servers:  ");
    for (size_t i = 0; i < c->n_urls; i++)
        printf(" %s", c->urls[i]);
    printf("\n  variants:  %zu from %s:", e->n_variants, c->bin_dir);
    for (size_t i = 0; i < e->n_variants; i++)
        printf(" %s%s", e->variants[i], c->bin_found[i] ? "" : " (NOT FOUND)");
    printf("\n  configurations: %zu:", e->n_configs);
    for (size_t i = 0; i < e->n_configs; i++)
        printf(" %s", e->configs[i].name);
    printf("\n");
    if (c->order == TDM_SWEEP_ORDER_BLOCKS)
        printf("  order:     blocks of %zu cells (every variant x configuration%s once per block%s), shuffled "
               "with seed %llu (%s)\n",
               e->n_variants * e->n_configs * (e->n_client_points ? e->n_client_points : 1),
               e->n_client_points > 1 ? " x client-side point" : "",
               e->server_launcher ? ", within each server group" : "", (unsigned long long)c->seed, c->seed_from);
    else
        printf("  order:     sequential (variant by variant; drift can masquerade as a runtime effect)\n");
}

/* The axes, and the server groups with the launcher's environment for each. */
static void print_axes(const tdm_experiment *e, size_t groups)
{
    for (int a = 0; a < TDM_AXIS_COUNT; a++) {
        if (!e->axes[a].n)
            continue;
        printf("  axis %s:", tdm_sweep_axis_name((tdm_sweep_axis_id)a));
        char t[48];
        for (size_t k = 0; k < e->axes[a].n; k++)
            printf(" %s", tdm_sweep_axis_value_text((tdm_sweep_axis_id)a, e->axes[a].values[k], false, t, sizeof t));
        printf("%s\n", a >= TDM_AXIS_FIRST_SERVER ? "  (server side)" : "");
    }
    if (!e->server_launcher)
        return;
    printf("server groups: %zu, so %zu restart%s of the servers (server_launcher: %s), each waited for up to %lld ms "
           "(not in the estimate):\n",
           groups, groups, groups == 1 ? "" : "s", e->server_launcher, (long long)e->server_ready_timeout_ms);
    for (size_t g = 0; g < groups; g++) {
        char *desc = tdm_sweep_point_desc(e, g * e->n_client_points, true);
        char *env = tdm_sweep_group_env(e, g);
        printf("  group %zu: %s  env: %s\n", g + 1, desc && *desc ? desc : "(no server axis)", env ? env : "");
        free(env);
        free(desc);
    }
}

int tdm_sweep_dry_run(tdm_sweep_ctx *c)
{
    const tdm_experiment *e = &c->e;
    const tdm_manifest *m = NULL;
    char err[1024] = "";
    if (c->has_prior && tdm_manifest_check_resume(&c->prior, e, c->cells, c->n_cells, err, sizeof err) == 0)
        m = &c->prior;
    print_header(c, m);

    double total = 0, remaining = 0;
    bool known = true;
    for (size_t i = 0; i < c->n_cells; i++) {
        double s = tdm_sweep_estimate_point_s(e, c->cells[i].config, c->cells[i].point);
        if (s < 0)
            known = false;
        double cell = s + (i + 1 < c->n_cells ? (double)e->run.cooldown_ms / 1000.0 : 0);
        total += cell;
        if (!m || tdm_cell_should_run(m->cells[i].state, c->o->retry_failed))
            remaining += cell;
    }
    size_t groups = e->n_points / (e->n_client_points ? e->n_client_points : 1);
    if (e->n_points > 1)
        printf("cells: %zu (%zu variants x %zu configurations x %zu points of the axes x %d repetitions)\n",
               c->n_cells, e->n_variants, e->n_configs, e->n_points, e->repetitions);
    else
        printf("cells: %zu (%zu variants x %zu configurations x %d repetitions)\n", c->n_cells, e->n_variants,
               e->n_configs, e->repetitions);
    print_axes(e, groups);
    if (known) {
        char a[32], b[32];
        tdm_sweep_format_duration(total, a, sizeof a);
        tdm_sweep_format_duration(remaining, b, sizeof b);
        printf("estimated duration: %s in all%s%s%s (%s)\n", a, m ? ", " : "", m ? b : "", m ? " still to run" : "",
               e->run.estimate_cell_s > 0 ? "run.estimate_cell_s per cell"
                                          : "num_predict / expected_decode_tps per call, no gain from concurrency "
                                            "assumed: an upper bound");
    } else {
        printf("estimated duration: unknown (set run.expected_decode_tps with run.num_predict, or "
               "run.estimate_cell_s)\n");
    }
    if (!tdm_sweep_digest_well_formed(e->pins.model_digest))
        printf("warning: pins.model_digest '%s' is not a digest yet: a real run refuses to measure until it holds "
               "the digest the server reports (GET /api/tags), unless --allow-unpinned\n",
               e->pins.model_digest);
    if (c->prior_err[0] || (c->has_prior && !m))
        printf("warning: %s\n", c->prior_err[0] ? c->prior_err : err);
    printf("\n");

    for (size_t i = 0; i < c->n_cells; i++) {
        const tdm_sweep_cell *cell = &c->cells[i];
        char *id = tdm_sweep_cell_id(e, cell);
        char *tmp = tdm_sweep_cell_dir(c->out, e, cell, TDM_SWEEP_DIR_TMP);
        char **argv = tmp ? tdm_sweep_child_argv(e, cell, c->binaries[cell->variant], tmp) : NULL;
        char *cmd = argv ? tdm_sweep_shell_join(argv) : NULL;
        if (!id || !cmd) {
            free(id);
            free(tmp);
            tdm_sweep_argv_free(argv);
            fprintf(stderr, "tandem-sweep: out of memory\n");
            return TDM_SWEEP_EXIT_ERROR;
        }
        if (e->server_launcher && (i == 0 || c->cells[i - 1].group != cell->group)) {
            char *desc = tdm_sweep_point_desc(e, cell->group * e->n_client_points, true);
            printf("== server group %zu/%zu%s%s%s: restart: %s\n", cell->group + 1, groups, desc && *desc ? " (" : "",
                   desc ? desc : "", desc && *desc ? ")" : "", e->server_launcher);
            free(desc);
        }
        printf("[%zu/%zu] block %d  %s%s%s%s\n    %s\n", i + 1, c->n_cells, cell->block, id, m ? "  (" : "",
               m ? tdm_cell_state_name(m->cells[i].state) : "", m ? ")" : "", cmd);
        free(id);
        free(tmp);
        free(cmd);
        tdm_sweep_argv_free(argv);
    }
    printf("\nEach command runs into the hidden .rep<k>.tmp directory shown; the sweep renames it to rep<k> once "
           "the cell is done.\n");
    return TDM_SWEEP_EXIT_OK;
}
