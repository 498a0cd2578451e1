/* calibrate.h — tandem-calibrate: what the client itself costs, per variant.
 *
 * Every variant binary (and python-httpx, and a raw reader that is nothing but a
 * blocking read() loop splitting lines) is run against tandem-sim on this machine:
 *
 *   throughput  instant tokens (decode 1e6 tok/s, prefill 1e8 tok/s), long outputs: the
 *               client, not the server, sets the pace (the simulator sends the tokens
 *               one device run makes for a stream in one write, sim/cork.c). Streamed
 *               events per client CPU-second while streaming (the CPU the client
 *               records for its sequential and concurrent phases; the whole process,
 *               from wait4, beside it), MB/s, CPU and read() calls per 1,000 tokens
 *               (records.json `reads`).
 *   efficiency  N agents, one port per agent and each port its own simulated device,
 *               at a GPU-like decode rate: ideal parallelism is exactly N, so whatever
 *               efficiency_pct lacks of 100% the harness (client + simulator sharing
 *               this machine's cores) lost. The simulator's emission log gives each
 *               token's write instant, so client arrival minus emission is the
 *               measurement error of TTFT (first token) and of every later token.
 *
 * Files: main.c (command line, orchestration), proc.c (children: spawn, wait4 with
 * rusage, the simulator), load.c (other load on the machine meanwhile), measure.c (one
 * variant's runs and their records), emit.c (emission log against client records),
 * raw.c (the raw-reader baselines), table.c (stdout tables, goals and the JSON file). */
#ifndef TDM_CALIBRATE_H
#define TDM_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_t;

#define TDM_CAL_MAX_N 8           /* agent counts of the efficiency sweep */
#define TDM_CAL_MAX_REPEAT 15     /* throughput measurements per variant */
#define TDM_CAL_RAW_NAME "raw-reader"         /* plain blocking 8 KB reads */
#define TDM_CAL_RAW_LOWAT_NAME "raw-reader-lowat" /* the same with SO_RCVLOWAT 8 KB */

typedef struct tdm_cal_opts {
    const char *bindir;           /* where tandem-<variant> and tandem-sim are */
    const char *workdir;          /* scenarios, run directories, logs */
    const char *json_out;         /* the JSON file written at the end */
    char **variants;              /* names without "tandem-" (raw-reader included) */
    size_t n_variants;
    int tp_agents;                /* throughput: agents, each on its own port */
    int tp_tokens;                /* throughput: num_predict of every call */
    int tp_runs;                  /* throughput: scenario runs (each seq + conc) */
    int tp_repeat;                /* throughput: measurements per variant, interleaved */
    double tp_decode_tps;         /* throughput: the simulator's decode rate */
    int eff_n[TDM_CAL_MAX_N];     /* efficiency: agent counts */
    size_t n_eff;
    int eff_tokens;               /* efficiency: num_predict of every call */
    int eff_runs;                 /* efficiency: runs per N up to 64 agents (1 above) */
    double eff_decode_tps;        /* efficiency: tokens/s of one stream on one device */
    const char *api;              /* --api: generate, chat or openai; NULL: the scenario default */
    int timeout_s;                /* per child run */
    bool quiet;
} tdm_cal_opts;

/* ---- proc.c ------------------------------------------------------------------------- */

typedef struct tdm_cal_child {
    int exit_status;              /* exit code, or 128 + signal */
    double user_s, sys_s;         /* the child's rusage (itself and its waited-for children) */
    double wall_s;
    long nvcsw, nivcsw;           /* voluntary / involuntary (preempted) context switches */
    long max_rss_kb;              /* peak resident set (wait4's ru_maxrss, KiB) */
    double foreign_cores;         /* other load on the machine meanwhile (load.c), if measured */
    bool timed_out;
} tdm_cal_child;

/* Runs argv (argv[0] is a path) to its end with stdout and stderr to the given files
 * (NULL: /dev/null), killing it after timeout_s. Returns 0 when it ran (whatever its
 * exit status), -1 with err when it could not be started. */
int tdm_cal_run(char *const argv[], const char *out_path, const char *err_path, int timeout_s,
                tdm_cal_child *res, char *err, size_t errlen);

/* tandem-sim takes at most this many ports per process; more are spread over several
 * processes (every port is its own device either way). */
#define TDM_CAL_SIM_MAX_PORTS 64

typedef struct tdm_cal_sim {
    pid_t *pids;                  /* one per process */
    size_t n_procs;
    int *ports;                   /* real port numbers, in order */
    size_t n_ports;
    char **emit_paths;            /* one per process; NULL: no emission log */
    char *dir;
} tdm_cal_sim;

/* Starts tandem-sim with n_ports ports (--port 0, each its own device) and the extra
 * args, in <workdir>/<label>.sim; returns once every port listens. */
int tdm_cal_sim_start(const tdm_cal_opts *o, const char *label, size_t n_ports, const char *const *extra,
                      bool emit_log, tdm_cal_sim *sim, char *err, size_t errlen);
/* SIGTERM and wait: the emission log is complete afterwards. */
void tdm_cal_sim_stop(tdm_cal_sim *sim);
/* Stops it if it runs and frees its memory (the files stay). */
void tdm_cal_sim_free(tdm_cal_sim *sim);

/* SIGCHLD is kept blocked in tandem-calibrate so children are awaited with
 * sigtimedwait, never by polling; a forked child restores the mask. */
void tdm_cal_block_sigchld(void);
void tdm_cal_child_unblock(void);
/* Waits for pid (started at t0), killing it after timeout_s; fills res. */
int tdm_cal_wait(pid_t pid, int64_t t0, int timeout_s, tdm_cal_child *res, char *err, size_t errlen);

/* ---- load.c ------------------------------------------------------------------------ */

typedef struct tdm_cal_load {
    double busy0, self0, sim0;
} tdm_cal_load;

double tdm_cal_busy_s(void);             /* the machine's busy CPU time so far (/proc/stat) */
double tdm_cal_proc_cpu_s(pid_t pid);    /* a live process's user+sys (/proc/<pid>/stat) */
double tdm_cal_self_cpu_s(void);
/* Around a run: begin, then end with the client's CPU and the wall time; returns the
 * average number of cores something else kept busy (sim may be NULL). */
void tdm_cal_load_begin(tdm_cal_load *l, const tdm_cal_sim *sim);
double tdm_cal_load_end(const tdm_cal_load *l, const tdm_cal_sim *sim, double client_cpu_s, double wall_s);

/* ---- measure.c ---------------------------------------------------------------------- */

typedef struct tdm_cal_tp {
    bool ok;
    char error[256];
    double cpu_s, user_s, sys_s;  /* the whole process (wait4) */
    double stream_cpu_s;          /* the client's CPU inside its measured phases (records'
                                     client_cpu; the raw reader's around its streams) */
    double stream_wall_s;         /* sum over runs of T_seq + T_conc */
    uint64_t calls, events, tokens, bytes, reads;
    long nivcsw;                  /* times the client was preempted */
    double foreign_cores;         /* other load on the machine during the run */
} tdm_cal_tp;

typedef struct tdm_cal_eff {
    int n;
    int runs;
    bool ok;
    char error[256];
    double efficiency_pct, speedup, legacy_efficiency_pct;  /* means over the runs */
    double efficiency_min_pct, efficiency_max_pct;
    long nivcsw;                  /* times the client was preempted */
    double foreign_cores;         /* other load on the machine during the run */
    double lost_ms;               /* mean of T_conc - T_seq / N: what the harness lost */
    double cpu_s;
    long max_rss_kb;              /* the client process's peak RSS (KiB), whole run */
    double rss_per_agent_kb;      /* max_rss_kb / n: memory per agent, fixed part included */
    size_t matched_calls;         /* concurrent-phase calls matched to the emission log */
    double ttft_err_p50_ms, ttft_err_p99_ms, ttft_err_max_ms;
    double tok_delay_p50_ms, tok_delay_p99_ms;  /* every token, concurrent phase */
    double itl_p50_ms, itl_p99_ms;              /* client ITL, concurrent phase, pooled */
    double ttft_p50_ms;                         /* client TTFT, concurrent phase */
    double sim_late_p50_ms, sim_late_p99_ms;    /* every token: written minus its model instant */
    /* The call that ended each run's concurrent phase, mean over runs (end_runs of them):
     * its time past the model's duration = dispatch (release to its send) + reach (send
     * to the simulator's start) + sim_late (last token written after its instant) + read
     * (that token's arrival at the client after it was written). */
    int end_runs;
    double end_dispatch_ms, end_reach_ms, end_sim_late_ms, end_read_ms;
} tdm_cal_eff;

typedef struct tdm_cal_row {
    char name[64];
    bool raw;                     /* a raw-reader baseline */
    bool lowat;                   /* ... its SO_RCVLOWAT form */
    tdm_cal_tp tp;                /* the median repetition by events per CPU-second */
    tdm_cal_tp tp_rep[TDM_CAL_MAX_REPEAT];
    size_t n_rep;
    tdm_cal_eff eff[TDM_CAL_MAX_N];
    size_t n_eff;
    struct json_t *info;          /* `tandem-<v> info` output (provenance), or NULL */
} tdm_cal_row;

/* One throughput measurement (repetition rep) of row's variant into *tp. */
void tdm_cal_measure_throughput(const tdm_cal_opts *o, const tdm_cal_row *row, int rep, tdm_cal_tp *tp);
void tdm_cal_measure_efficiency(const tdm_cal_opts *o, tdm_cal_row *row, int n, tdm_cal_eff *e);
struct json_t *tdm_cal_variant_info(const tdm_cal_opts *o, const char *variant);

/* ---- emit.c ------------------------------------------------------------------------- */

/* Matches the calls of out_dir's runs (run_1 .. run_<runs>) to the emission logs (per
 * port, in start order) and fills the error quantiles of e from the concurrent-phase
 * calls. Returns 0 or -1. */
int tdm_cal_emit_match(char *const *emit_paths, size_t n_paths, const char *out_dir, int runs, tdm_cal_eff *e,
                       char *err, size_t errlen);

/* ---- raw.c -------------------------------------------------------------------------- */

/* The raw reader: in a child process, `runs` times: one stream per port one after
 * another, then one per port all at once (a blocking thread each); every stream a
 * blocking socket with 8 KB read()s that only splits lines (lowat: SO_RCVLOWAT 8 KB,
 * so each read() waits for a full buffer). Fills counts, the streaming wall time and
 * the child's CPU time. Returns 0 or -1. */
int tdm_cal_raw_run(const int *ports, size_t n_ports, int runs, int tokens, bool lowat, tdm_cal_tp *tp, char *err,
                    size_t errlen);

/* ---- table.c ------------------------------------------------------------------------ */

void tdm_cal_print_table(const tdm_cal_opts *o, const tdm_cal_row *rows, size_t n);
struct json_t *tdm_cal_json(const tdm_cal_opts *o, const tdm_cal_row *rows, size_t n);

/* Small helpers shared by the files. */
char *tdm_cal_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tdm_cal_log(const tdm_cal_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
