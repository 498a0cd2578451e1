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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "sweep/sweep_int.h"

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
        tdm_buf_printf(&s,
                       "#!/bin/sh\n"
                       "# Slurm job array for experiment %s: task i runs line i of jobs.sh (one cell).\n"
                       "#   sbatch %s/slurm-array.sh     (add --array=...%%4 to cap concurrent tasks)\n"
                       "# Each host needs the variant binaries in the --bin-dir below and a pinned Ollama on the\n"
                       "# experiment's endpoints (localhost endpoints mean the node's own servers).\n"
                       "#SBATCH --job-name=tandem-%s\n"
                       "#SBATCH --array=1-%zu\n"
                       "#SBATCH --ntasks=1\n"
                       "#SBATCH --output=slurm-%%A_%%a.out\n"
                       "set -eu\n"
                       "jobs=",
                       e->name, dir, e->name, c->n_cells);
        tdm_sweep_shell_quote(&s, jobs_abs ? jobs_abs : jobs_path);
        tdm_buf_append_str(&s, "\n"
                               "line=$(grep -v '^#' \"$jobs\" | sed -n \"${SLURM_ARRAY_TASK_ID:?run me with sbatch}p\")\n"
                               "[ -n \"$line\" ] || { echo \"no cell $SLURM_ARRAY_TASK_ID in $jobs\" >&2; exit 2; }\n"
                               "exec sh -c \"$line\"\n");
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
