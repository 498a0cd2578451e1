/* jobs.c — `tandem-sweep --emit-jobs DIR`: the cells as independent commands for a
 * scheduler, so several GPU hosts can share a sweep.
 *
 *   DIR/jobs.sh          one line per cell, in the planned order:
 *                        tandem-sweep EXPERIMENT --out OUT --seed S --order O --cell ID
 *                        Each runs one cell exactly as the sweep would (pins checked,
 *                        the variant's own binary in its own process, written into place
 *                        atomically, cell.json, retries); a cell already done is skipped.
 *                        `sh jobs.sh` runs them all, one after another.
 *   DIR/slurm-array.sh   a Slurm job array over those lines (task i runs line i).
 *
 * Paths are absolute so the commands work from any directory; the report stage merges
 * the result directories afterwards. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "sweep/plan.h"
#include "sweep/sweep_int.h"

/* Minutes a task may take: 3x the longest cell's estimate (a slow node, retries) plus
 * 10 for the servers' start and the model's load; 60 when nothing can be estimated. */
static int task_minutes(const tdm_sweep_ctx *c)
{
    double longest = 0;
    for (size_t i = 0; i < c->n_cells; i++) {
        double s = tdm_sweep_estimate_point_s(&c->e, c->cells[i].config, c->cells[i].point);
        if (s > longest)
            longest = s;
    }
    return longest > 0 ? (int)ceil(3 * longest / 60.0) + 10 : 60;
}

/* slurm-array.sh: task i runs line i of jobs.sh. Every request is commented with when to
 * change it, since the right values depend on the cluster. */
static void slurm_script(const tdm_sweep_ctx *c, const char *dir, const char *jobs, tdm_buf *s)
{
    const tdm_experiment *e = &c->e;
    const tdm_sweep_opts *o = c->o;
    tdm_buf_printf(s,
                   "#!/bin/sh\n"
                   "# Slurm job array for experiment %s: task i runs line i of jobs.sh (one cell).\n"
                   "#   sbatch %s/slurm-array.sh\n"
                   "# Each node needs the variant binaries in jobs.sh's --bin-dir and a pinned Ollama on the\n"
                   "# experiment's endpoints: localhost endpoints are the node's own servers, started by the\n"
                   "# experiment's server_launcher if it has one; the cell checks the pins before measuring.\n"
                   "# Every cell locks its servers on its node ($TANDEM_LOCK_DIR, default /tmp/tandem-locks), so\n"
                   "# tasks sharing a node take turns on a server instead of measuring each other's load.\n"
                   "#SBATCH --job-name=tandem-%s\n",
                   e->name, dir, e->name);
    if (o->slurm_max_parallel > 0)
        tdm_buf_printf(s,
                       "# %%%d: at most %d tasks at once. Lower it when the nodes share servers or a file system\n"
                       "# that the result writes would crowd.\n"
                       "#SBATCH --array=1-%zu%%%d\n",
                       o->slurm_max_parallel, o->slurm_max_parallel, c->n_cells, o->slurm_max_parallel);
    else
        tdm_buf_printf(s,
                       "# No cap on tasks at once (--slurm-max-parallel K adds %%K): each node serialises its own cells.\n"
                       "#SBATCH --array=1-%zu\n",
                       c->n_cells);
    tdm_buf_append_str(s, "#SBATCH --ntasks=1\n");
    if (!o->slurm_shared)
        tdm_buf_append_str(s, "# The whole node: a cell measures the node's own servers and GPU, and anything else\n"
                              "# on the node is load the cell would take for its own. Drop it (--slurm-shared) only\n"
                              "# where nodes are too scarce to give a sweep alone.\n"
                              "#SBATCH --exclusive\n");
    else
        tdm_buf_append_str(s, "# Shared nodes (--slurm-shared): other jobs may run beside a cell; the server lock keeps\n"
                              "# tandem's own cells apart, not other users' work.\n");
    if (o->slurm_gres)
        tdm_buf_printf(s, "# The GPUs the experiment's servers use; match the layout (servers per GPU).\n"
                          "#SBATCH --gres=%s\n",
                       o->slurm_gres);
    if (o->slurm_partition)
        tdm_buf_printf(s, "#SBATCH --partition=%s\n", o->slurm_partition);
    if (o->slurm_time_min > 0)
        tdm_buf_printf(s, "# Set with --slurm-time.\n#SBATCH --time=%d\n", o->slurm_time_min);
    else
        tdm_buf_printf(s,
                       "# 3x the longest cell's estimate + 10 min (servers' start, model load); raise it if tasks end\n"
                       "# in TIMEOUT (a cell stopped this way is marked interrupted and runs again on resubmission).\n"
                       "#SBATCH --time=%d\n",
                       task_minutes(c));
    tdm_buf_append_str(s, "#SBATCH --output=slurm-%A_%a.out\n"
                          "set -u\n"
                          "jobs=");
    tdm_sweep_shell_quote(s, jobs);
    tdm_buf_append_str(s, "\n"
                          "line=$(grep -v '^#' \"$jobs\" | sed -n \"${SLURM_ARRAY_TASK_ID:?run me with sbatch}p\")\n"
                          "[ -n \"$line\" ] || { echo \"no cell $SLURM_ARRAY_TASK_ID in $jobs\" >&2; exit 2; }\n");
    if (o->slurm_teardown) {
        tdm_buf_append_str(s, "# Leaves the node clean after the cell, whatever became of it.\n"
                              "teardown() { sh -c ");
        tdm_sweep_shell_quote(s, o->slurm_teardown);
        tdm_buf_append_str(s, " || echo \"tandem: teardown failed on $(hostname)\" >&2; }\n"
                              "trap 'teardown; exit 143' TERM INT\n"
                              "rc=0\n"
                              "sh -c \"$line\" || rc=$?\n"
                              "teardown\n"
                              "exit $rc\n");
    } else {
        tdm_buf_append_str(s, "exec sh -c \"$line\"\n");
    }
}

int tdm_sweep_emit_jobs(tdm_sweep_ctx *c, const char *dir)
{
    const tdm_experiment *e = &c->e;
    char err[1024];
    if (tdm_mkdirs(dir, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-sweep: --emit-jobs: %s\n", err);
        return TDM_SWEEP_EXIT_ERROR;
    }
    char *self = tdm_self_path("tandem-sweep");
    char *exp = tdm_path_absolute(e->path, TDM_PATH_RESOLVED);
    tdm_buf jobs = {0}, common = {0};
    tdm_sweep_shell_quote(&common, self ? self : "tandem-sweep");
    tdm_buf_append_str(&common, " ");
    tdm_sweep_shell_quote(&common, exp ? exp : e->path);
    tdm_buf_append_str(&common, " --out ");
    tdm_sweep_shell_quote(&common, c->out);
    tdm_buf_printf(&common, " --seed %llu --order %s --bin-dir ", (unsigned long long)c->seed,
                   c->order == TDM_SWEEP_ORDER_SEQUENTIAL ? "sequential" : "blocks");
    tdm_sweep_shell_quote(&common, c->bin_dir);
    if (c->o->allow_unpinned)
        tdm_buf_append_str(&common, " --allow-unpinned");
    if (c->o->retry_failed)
        tdm_buf_append_str(&common, " --retry-failed");

    tdm_buf_printf(&jobs,
                   "#!/bin/sh\n"
                   "# %zu cells of experiment %s (%s, sha256 %.16s...), one command per line, in the planned\n"
                   "# order (seed %llu). Each line runs one cell through tandem-sweep --cell: pins checked, the\n"
                   "# variant's own binary in its own process, the cell written atomically into\n"
                   "# %s/<configuration>/<variant>/rep<k> with its cell.json; a cell already done is skipped.\n"
                   "# Lines are independent: spread them over hosts (slurm-array.sh runs line i as task i).\n"
                   "# Afterwards: tandem-report %s --out %s/report\n",
                   c->n_cells, e->name, exp ? exp : e->path, e->sha256, (unsigned long long)c->seed, c->out, c->out,
                   c->out);
    for (size_t i = 0; i < c->n_cells; i++) {
        char *id = tdm_sweep_cell_id(e, &c->cells[i]);
        tdm_buf_printf(&jobs, "%s --quiet --cell %s\n", tdm_buf_str(&common), id ? id : "?");
        free(id);
    }
    char *jobs_path = tdm_path_join(dir, "jobs.sh");
    char *jobs_abs = NULL;
    int rc = jobs_path ? tdm_write_file_atomic(jobs_path, jobs.data ? jobs.data : "", jobs.len, err, sizeof err) : -1;
    if (rc == 0) {
        jobs_abs = tdm_path_absolute(jobs_path, TDM_PATH_RESOLVED);
        tdm_buf s = {0};
        slurm_script(c, dir, jobs_abs ? jobs_abs : jobs_path, &s);
        char *sp = tdm_path_join(dir, "slurm-array.sh");
        rc = sp ? tdm_write_file_atomic(sp, s.data, s.len, err, sizeof err) : -1;
        if (rc == 0) {
            chmod(sp, 0755);
            chmod(jobs_path, 0755);
        }
        free(sp);
        tdm_buf_free(&s);
    }
    if (rc == 0)
        printf("tandem-sweep: wrote %zu jobs to %s/jobs.sh and a Slurm array script to %s/slurm-array.sh\n",
               c->n_cells, dir, dir);
    else
        fprintf(stderr, "tandem-sweep: --emit-jobs: %s\n", err);
    free(jobs_path);
    free(jobs_abs);
    free(self);
    free(exp);
    tdm_buf_free(&jobs);
    tdm_buf_free(&common);
    return rc == 0 ? TDM_SWEEP_EXIT_OK : TDM_SWEEP_EXIT_ERROR;
}
