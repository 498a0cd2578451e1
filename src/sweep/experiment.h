/* experiment.h — what a sweep measures: the pins (Ollama version, model and digest,
 * optionally the GPU), the endpoints, the variants, the configurations (a built-in seed
 * scenario with per-agent options, or a scenario YAML), the repetitions and the run
 * settings. Loaded from YAML with libcyaml (experiment_yaml.c), strictly: an unknown key
 * is an error naming it, and every semantic problem is reported, not just the first.
 *
 * The shape (experiments/tr115.yaml is the worked example):
 *
 *   name, description, output, seed, order: blocks|sequential, repetitions,
 *   pins: {ollama_version, model, model_digest, gpu},
 *   endpoints: {collector: URL, insight: URL},
 *   variants: [tokio-default, ...],
 *   configurations:
 *     - {name, description, scenario: <built-in name | path.yaml>,
 *        chimera: {num_gpu, num_ctx, temperature, top_p, top_k, repeat_penalty},
 *        chimera2: {...}, endpoints: {collector, insight}}
 *   run: {runs_per_cell, warmup, num_predict, seed, num_thread, calls_per_agent,
 *         keep_alive, cooldown_ms, unload_between_cells, cell_timeout_ms,
 *         http_timeout_ms, retries, retry_backoff_ms, expected_decode_tps,
 *         estimate_cell_s, gpu_telemetry: auto|on|off}
 *   axes: {agents: [1, 2, 4], num_predict: [...], num_parallel: [1, 2], servers_per_gpu: [1, 2]}
 *   server_launcher: "just ollama-up", server_ready_timeout_ms
 *
 * Axes multiply the cells: every (variant, configuration) runs at every point of their
 * product. agents sets a template scenario's agent_count and num_predict the cells'
 * --num-predict; num_parallel and servers_per_gpu are the servers' own settings, so the
 * cells are grouped by them and the servers_launcher is run before each group with them
 * in its environment (OLLAMA_NUM_PARALLEL, TANDEM_SERVERS; run_servers.c). */
#ifndef TDM_SWEEP_EXPERIMENT_H
#define TDM_SWEEP_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/gpu_telemetry.h"
#include "core/options.h"

typedef enum tdm_sweep_order { TDM_SWEEP_ORDER_BLOCKS = 0, TDM_SWEEP_ORDER_SEQUENTIAL = 1 } tdm_sweep_order;

/* pins.model_in_vram: none (not checked; the default without a GPU pin), some (size_vram
 * > 0; the default with one), full (size_vram == size: nothing of the model on the CPU). */
typedef enum tdm_vram_pin { TDM_VRAM_UNCHECKED = 0, TDM_VRAM_SOME, TDM_VRAM_FULL } tdm_vram_pin;

typedef struct tdm_sweep_pins {
    char *ollama_version; /* what /api/version must say, exactly */
    char *model;          /* "gemma3:latest"; "gemma3" means the same */
    char *model_digest;   /* the /api/tags (manifest) digest, or the weights blob's sha256 (the
                           * GGUF's own hash: /api/show FROM line), optionally "sha256:"-
                           * prefixed; a prefix of at least 12 hex digits is accepted */
    char *gpu;            /* optional: the GPU's name as nvidia-smi prints it, or a
                           * case-insensitive glob ("*H100*"); when set the model must also be
                           * resident in VRAM (/api/ps size_vram > 0) */
    tdm_vram_pin vram;    /* pins.model_in_vram: how much of the model must sit in VRAM */
} tdm_sweep_pins;

/* The axes, client-side first. Server-side ones need the servers restarted. */
typedef enum tdm_sweep_axis_id {
    TDM_AXIS_AGENTS = 0,      /* a template scenario's agent_count */
    TDM_AXIS_NUM_PREDICT,     /* the cells' --num-predict */
    TDM_AXIS_ARRIVAL_RATE,    /* an open-loop scenario's arrivals.rate, held in thousandths of calls/s */
    TDM_AXIS_NUM_PARALLEL,    /* the servers' OLLAMA_NUM_PARALLEL */
    TDM_AXIS_SERVERS_PER_GPU, /* how many servers the launcher starts (the scenario's first k endpoints) */
    TDM_AXIS_COUNT
} tdm_sweep_axis_id;
#define TDM_AXIS_FIRST_SERVER TDM_AXIS_NUM_PARALLEL

typedef struct tdm_sweep_axis {
    int64_t *values; /* as listed; NULL when the experiment has no such axis */
    size_t n;
} tdm_sweep_axis;

/* What one configuration is at one point of the axes. */
typedef struct tdm_sweep_point {
    char *yaml;            /* the rewritten scenario file (agents / servers axes), NULL: the file as is */
    size_t yaml_len;
    char **urls;           /* the servers it talks to there */
    size_t n_urls;
    size_t n_agents;
    size_t calls_per_run;
} tdm_sweep_point;

typedef struct tdm_sweep_config {
    char *name;
    char *description;     /* may be NULL */
    char *scenario;        /* as written in the experiment */
    char *builtin;         /* canonical built-in name ("chimera-homo"), or NULL for a file */
    char *scenario_path;   /* a file scenario's path, resolved against the experiment's
                            * directory; NULL for a built-in */
    char scenario_sha256[65]; /* of the file; "" for a built-in */
    tdm_options chimera;   /* built-ins only: --chimera-* flags */
    tdm_options chimera2;  /* chimera-hetero only: --chimera2-* flags */
    bool has_chimera, has_chimera2, has_endpoints; /* given in the file (files may not) */
    char *collector_url;   /* built-ins: the effective endpoints (configuration overrides the
                            * experiment's); NULL for a file */
    char *insight_url;
    char **urls;           /* every distinct server this configuration talks to */
    size_t n_urls;
    size_t n_agents;       /* for the duration estimate */
    size_t calls_per_run;  /* calls in one phase: sum of every agent's steps */
    tdm_sweep_point *points; /* per point of the axes (e->n_points of them) */
} tdm_sweep_config;

typedef struct tdm_sweep_run {
    int runs_per_cell;         /* --runs of each child (default 1: one cell = one run) */
    bool warmup;               /* default true; false passes --no-warmup */
    bool has_num_predict;      /* --num-predict (strongly recommended) */
    int64_t num_predict;
    bool has_seed;             /* --seed: Ollama's sampling seed */
    int64_t seed;
    bool has_num_thread;       /* --num-thread */
    int64_t num_thread;
    int calls_per_agent;       /* built-ins: 1 or 2; 0 = the child's default (2) */
    char *keep_alive;          /* --keep-alive; NULL: not passed */
    int64_t cooldown_ms;       /* pause between two cells (default 0) */
    bool unload_between_cells; /* POST keep_alive 0 to every endpoint before each cell (default true) */
    int64_t cell_timeout_ms;   /* a child running longer is stopped and the cell failed (default 1 h) */
    int64_t http_timeout_ms;   /* the sweep's own requests: pins, unload (default 10 s) */
    int retries;               /* extra attempts after a transient failure (default 3) */
    int64_t retry_backoff_ms;  /* first back-off, doubled each time (default 1000) */
    double expected_decode_tps; /* with num_predict: the dry-run's estimate (0: unset) */
    double estimate_cell_s;    /* or a flat estimate per cell (0: unset) */
    tdm_gpu_mode gpu_telemetry; /* every cell's --gpu-telemetry (default auto: GPU samples
                                 * wherever a GPU can be read, the cell measured anyway) */
} tdm_sweep_run;

typedef struct tdm_experiment {
    char *path;             /* as given */
    char *dir;              /* its directory: relative scenario paths start here */
    char sha256[65];        /* of the experiment file's bytes */
    char *name;
    char *description;
    char *output;           /* default output directory (relative: to the current directory) */
    bool has_seed;          /* the block-shuffle seed */
    uint64_t seed;
    tdm_sweep_order order;
    int repetitions;
    tdm_sweep_pins pins;
    char *collector_url;
    char *insight_url;
    char **variants;
    size_t n_variants;
    tdm_sweep_config *configs;
    size_t n_configs;
    tdm_sweep_run run;
    tdm_sweep_axis axes[TDM_AXIS_COUNT];
    size_t n_points;        /* product of the axes' lengths (1 without axes) */
    size_t n_client_points; /* product of the client-side axes: points per server group */
    char *server_launcher;  /* shell command that (re)starts the servers; NULL: none */
    int64_t server_ready_timeout_ms; /* launcher + readiness (default 120000) */
} tdm_experiment;

/* The axis' name in the experiment ("num_parallel"), and its short label in cell ids ("np"). */
const char *tdm_sweep_axis_name(tdm_sweep_axis_id a);
const char *tdm_sweep_axis_label(tdm_sweep_axis_id a);
/* A value of axis a as people write it: arrival_rate in calls/s ("2.5"), the others whole
 * numbers. for_id writes no '.', which separates the parts of a cell id ("2p5"). */
const char *tdm_sweep_axis_value_text(tdm_sweep_axis_id a, int64_t v, bool for_id, char *buf, size_t len);
/* "agents=4 num_parallel=2" (or "" without axes) for a point, only its server-side axes
 * with server_only. Heap; NULL on out of memory. */
char *tdm_sweep_point_desc(const tdm_experiment *e, size_t point, bool server_only);
/* The value as a number in the axis' unit (calls/s for arrival_rate). */
double tdm_sweep_axis_value_number(tdm_sweep_axis_id a, int64_t v);
/* The value of axis a at point p; false when the experiment has no such axis. Points run
 * with the client-side axes fastest: group = p / n_client_points. */
bool tdm_sweep_point_value(const tdm_experiment *e, size_t p, tdm_sweep_axis_id a, int64_t *v);
/* "TANDEM_SWEEP_GROUP=1 OLLAMA_NUM_PARALLEL=2 ...": the environment the launcher gets for
 * server group g (heap), what the run exports and --dry-run shows. */
char *tdm_sweep_group_env(const tdm_experiment *e, size_t g);
/* True when some server-side axis is given (the cells form groups). */
bool tdm_sweep_has_server_axes(const tdm_experiment *e);

/* Loads and validates an experiment. Returns 0, or -1 with every problem found appended
 * to problems, one per line ("path: field: problem; fix"). On failure e holds nothing
 * that needs freeing. base_dir resolves relative scenario paths (NULL: the current
 * directory). */
int tdm_experiment_load_file(const char *path, tdm_experiment *e, tdm_buf *problems);
int tdm_experiment_load_string(const char *yaml, size_t len, const char *source, const char *base_dir,
                               tdm_experiment *e, tdm_buf *problems);
void tdm_experiment_free(tdm_experiment *e);

/* Number of cells: variants x configurations x points x repetitions. */
size_t tdm_experiment_cell_count(const tdm_experiment *e);

/* "gemma3" and "gemma3:latest" name the same model. */
bool tdm_sweep_same_model(const char *a, const char *b);

/* True when s is a usable name for a directory: [A-Za-z0-9._-], 1..64, not starting
 * with '.' or '-'. Cell directories are built from variant and configuration names. */
bool tdm_sweep_safe_name(const char *s);

/* Checks the form of a digest pin: "sha256:" optional, then 12..64 hex digits. */
bool tdm_sweep_digest_well_formed(const char *d);

#endif
