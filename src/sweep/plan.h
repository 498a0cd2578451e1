/* plan.h — the cells of a sweep and the order they run in, the directory each one is
 * written to, and the exact command line of each one's child process.
 *
 * A cell is one (variant, configuration, repetition): one child process of the
 * variant's own binary. In blocks order (the default), block b holds every
 * (variant, configuration) pair once, for repetition b, in an order shuffled with a
 * seed derived from the sweep's recorded seed and b, so slow drift of the host (thermal
 * state, background load, a server warming up) spreads over every variant instead of
 * masquerading as a runtime effect. Sequential order runs variant by variant,
 * configuration by configuration, repetition by repetition.
 *
 * With axes, a cell also has a point of their product. Points that differ in a
 * server-side axis (num_parallel, servers_per_gpu) form groups run one after the other,
 * so the servers are restarted once per group; inside a group the blocks (or the
 * sequential order) go over every (variant, configuration, client-side point), the
 * first group with the seeds a sweep without axes would use. */
#ifndef TDM_SWEEP_PLAN_H
#define TDM_SWEEP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sweep/experiment.h"

typedef struct tdm_sweep_cell {
    size_t variant;      /* index into e->variants */
    size_t config;       /* index into e->configs */
    int repetition;      /* 1.. */
    int block;           /* 1..; = repetition in blocks order */
    size_t order_index;  /* 0-based position in the run order */
    size_t point;        /* index of its point of the axes (experiment.h); 0 without axes */
    size_t group;        /* its server group: point / n_client_points */
} tdm_sweep_cell;

/* Fills *cells (heap, in run order) and *n. Returns 0, or -1 on out of memory. */
int tdm_sweep_plan(const tdm_experiment *e, tdm_sweep_order order, uint64_t seed, tdm_sweep_cell **cells, size_t *n);

/* The block's shuffle seed: every block gets its own, derived from the sweep's seed. */
uint64_t tdm_sweep_block_seed(uint64_t seed, int block);

/* "<configuration>/<variant>/rep<k>": the cell's id and its directory under the output
 * directory. Heap; NULL on out of memory. */
char *tdm_sweep_cell_id(const tdm_experiment *e, const tdm_sweep_cell *c);

/* Where a cell is run (a hidden sibling, so a report never reads it half-written),
 * where it ends up when it is done, and where a failed one is kept with its reason:
 *   <out>/<configuration>/<variant>/.rep<k>.tmp
 *   <out>/<configuration>/<variant>/rep<k>
 *   <out>/<configuration>/<variant>/.rep<k>.failed */
typedef enum tdm_sweep_dir_kind { TDM_SWEEP_DIR_FINAL, TDM_SWEEP_DIR_TMP, TDM_SWEEP_DIR_FAILED } tdm_sweep_dir_kind;
char *tdm_sweep_cell_dir(const char *out, const tdm_experiment *e, const tdm_sweep_cell *c, tdm_sweep_dir_kind kind);
/* The first part of a cell's id: the configuration's name, then each axis as label and
 * value ("gain.agents4.np2"). Heap; NULL on out of memory. */
char *tdm_sweep_cell_config_part(const tdm_experiment *e, const tdm_sweep_cell *c);
/* Where a cell's rewritten scenario (points that change it) is written, beside the
 * variants' directories: <out>/<configuration part>/.scenario/<file name>. NULL when the
 * cell runs the scenario file as it is (or on out of memory). cell_dir: any of its dirs. */
char *tdm_sweep_point_scenario_path(const tdm_experiment *e, const tdm_sweep_cell *c, const char *cell_dir);

/* The child's argv (NULL-terminated, heap strings; free with tdm_sweep_argv_free):
 *   <binary> run (--scenario NAME --model M --collector-ollama-url U --insight-ollama-url U
 *   --chimera-* ... --chimera2-* ... | --scenario-file PATH) --runs R [--num-predict N]
 *   [--seed S] [--num-thread T] [--calls-per-agent C] [--keep-alive K] [--no-warmup]
 *   --gpu-telemetry=auto|on|off --output-dir DIR --quiet */
char **tdm_sweep_child_argv(const tdm_experiment *e, const tdm_sweep_cell *c, const char *binary,
                            const char *outdir);
void tdm_sweep_argv_free(char **argv);

/* argv as one shell line, each word quoted only when it needs to be. Heap. */
char *tdm_sweep_shell_join(char *const *argv);
/* One word quoted for a POSIX shell when needed. Appends to b; returns 0 or -1 (OOM). */
int tdm_sweep_shell_quote(tdm_buf *b, const char *word);

/* Estimated seconds for one cell of configuration k, or -1 when the experiment gives
 * nothing to estimate from (run.estimate_cell_s, or run.expected_decode_tps with
 * run.num_predict). The decode-rate estimate assumes no gain from running together
 * (the concurrent phase as long as the sequential one): an upper bound on one GPU. */
double tdm_sweep_estimate_cell_s(const tdm_experiment *e, size_t k);
/* The same at point p of the axes (its agents and num_predict). */
double tdm_sweep_estimate_point_s(const tdm_experiment *e, size_t k, size_t p);

/* "2h05m", "3m12s", "45s". */
void tdm_sweep_format_duration(double s, char *out, size_t outlen);

#endif
