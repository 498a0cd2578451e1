/* main.c — tandem-sweep's command line: parses the flags into tdm_sweep_opts and turns
 * the chosen mode's result into the exit status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep.h"

static void usage(FILE *out)
{
    fprintf(out,
            "tandem-sweep — runs an experiment: every variant x configuration x repetition as its own child process\n"
            "of the variant's binary, against pinned Ollama servers, in randomised blocks, resumable after a crash.\n"
            "\n"
            "Usage:\n"
            "  tandem-sweep EXPERIMENT.yaml [options]\n"
            "\n"
            "Modes (default: run the sweep):\n"
            "  --dry-run             print the plan: cell count, order, the exact command of each child and an\n"
            "                        estimated duration; contacts no server, writes nothing\n"
            "  --validate            check every variant binary, server, pin (version, model digest, GPU) and the\n"
            "                        output directory; report every problem at once (exit 0: ready to run)\n"
            "  --emit-jobs DIR       write DIR/jobs.sh (one independent command per cell) and DIR/slurm-array.sh\n"
            "                        (a Slurm job array over those lines), to spread a sweep over several hosts\n"
            "  --cell ID             run only cell ID (<configuration>/<variant>/rep<k>), as an emitted job does\n"
            "\n"
            "Slurm (with --emit-jobs; written into slurm-array.sh, where comments say when to change each):\n"
            "  --slurm-partition P   the partition (default: the cluster's default)\n"
            "  --slurm-gres SPEC     generic resources per task, e.g. gpu:1 (default: none requested)\n"
            "  --slurm-time MIN      time limit per task (default: 3x the longest cell's estimate + 10 min, or\n"
            "                        60 min without an estimate)\n"
            "  --slurm-max-parallel K  at most K tasks at once (the array's %%K; default: no cap)\n"
            "  --slurm-shared        do not ask for an exclusive node (default: exclusive, as each task talks to\n"
            "                        its node's own servers; the host-wide server lock still serialises cells)\n"
            "  --slurm-teardown CMD  run CMD after each cell, even a failed one (e.g. 'just ollama-down'), to leave\n"
            "                        the node clean\n"
            "\n"
            "Options:\n"
            "  --out DIR             results directory (default: the experiment's output:, else results/<name>)\n"
            "  --allow-unpinned      measure even when a server's Ollama version or model digest differs from the\n"
            "                        pins; every cell then records the mismatch (cell.json pin_mismatches)\n"
            "  --retry-failed        run cells that failed in an earlier run again (otherwise they are kept)\n"
            "  --order blocks|sequential\n"
            "                        blocks (default): each block runs every variant x configuration once, shuffled;\n"
            "                        sequential: variant by variant (drift then looks like a runtime effect)\n"
            "  --seed N              seed of the block shuffle (default: when resuming, the one recorded in\n"
            "                        DIR/manifest.json; else the experiment's seed:; else random, and recorded)\n"
            "  --bin-dir DIR         where the tandem-<variant> binaries are (default: $TANDEM_BIN, else the\n"
            "                        directory of tandem-sweep itself, e.g. build/bin; then PATH)\n"
            "  --no-wait             when another process is measuring on one of a cell's servers, stop (exit 4)\n"
            "                        instead of waiting for it (every cell locks its servers host-wide, under\n"
            "                        $TANDEM_LOCK_DIR, default /tmp/tandem-locks, so no two cells measure at once)\n"
            "  --quiet               no progress on stderr\n"
            "  --help, --version\n"
            "\n"
            "Resuming: re-run the same command. Finished cells are never run again or overwritten; a cell that was\n"
            "running when the sweep died is run again from scratch; failed cells only with --retry-failed. A\n"
            "changed experiment file (or scenario file) is refused: start a new sweep with another --out.\n"
            "\n"
            "Output (DIR):\n"
            "  manifest.json                          every cell's state, attempts and reason; rewritten atomically\n"
            "  experiment.yaml                        the experiment as run\n"
            "  <configuration>/<variant>/rep<k>/      one finished cell: the variant's run directory + cell.json\n"
            "  <configuration>/<variant>/.rep<k>.failed/  a failed cell, kept with cell.json (reason) and stderr.log\n"
            "\n"
            "Examples:\n"
            "  tandem-sweep experiments/tr115.yaml --dry-run            # 150 cells and their commands\n"
            "  tandem-sweep experiments/tr115.yaml --validate           # on the GPU host, Ollama up\n"
            "  tandem-sweep experiments/tr115.yaml                      # run (hours); Ctrl-C, then the same to resume\n"
            "  tandem-sweep experiments/sim.yaml --out results/sim-1    # against tandem-sim (just sweep-sim)\n"
            "  tandem-sweep experiments/tr115.yaml --emit-jobs jobs/    # for a scheduler\n"
            "  tandem-sweep experiments/tr115.yaml --emit-jobs jobs/ --slurm-gres gpu:1 --slurm-max-parallel 4 \\\n"
            "      --slurm-teardown 'just ollama-down' && sbatch jobs/slurm-array.sh\n"
            "\n"
            "Exit status: 0 every cell ok; 1 could not run (bad experiment, pins refused, problems found); 2 bad\n"
            "command line; 3 the sweep ended with failed or incomplete cells; 4 --no-wait and a server was busy with\n"
            "another process's measurement (nothing lost: re-run later); 130/143 stopped by SIGINT/SIGTERM\n"
            "(re-run to continue).\n");
}

enum {
    OPT_OUT = 1000,
    OPT_DRY_RUN,
    OPT_VALIDATE,
    OPT_ALLOW_UNPINNED,
    OPT_RETRY_FAILED,
    OPT_ORDER,
    OPT_SEED,
    OPT_BIN_DIR,
    OPT_EMIT_JOBS,
    OPT_QUIET,
    OPT_CELL,
    OPT_VERSION,
    OPT_NO_WAIT,
    OPT_SLURM_PARTITION,
    OPT_SLURM_GRES,
    OPT_SLURM_TIME,
    OPT_SLURM_MAX_PARALLEL,
    OPT_SLURM_SHARED,
    OPT_SLURM_TEARDOWN,
};

/* A whole number in [1, max] for flag, or -1 (said on stderr). */
static int positive(const char *flag, const char *v, int max)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > max) {
        fprintf(stderr, "tandem-sweep: %s: '%s' is not a whole number from 1 to %d\n", flag, v, max);
        return -1;
    }
    return (int)n;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, OPT_OUT},
        {"dry-run", no_argument, 0, OPT_DRY_RUN},
        {"validate", no_argument, 0, OPT_VALIDATE},
        {"allow-unpinned", no_argument, 0, OPT_ALLOW_UNPINNED},
        {"retry-failed", no_argument, 0, OPT_RETRY_FAILED},
        {"order", required_argument, 0, OPT_ORDER},
        {"seed", required_argument, 0, OPT_SEED},
        {"bin-dir", required_argument, 0, OPT_BIN_DIR},
        {"emit-jobs", required_argument, 0, OPT_EMIT_JOBS},
        {"quiet", no_argument, 0, OPT_QUIET},
        {"cell", required_argument, 0, OPT_CELL},
        {"version", no_argument, 0, OPT_VERSION},
        {"no-wait", no_argument, 0, OPT_NO_WAIT},
        {"slurm-partition", required_argument, 0, OPT_SLURM_PARTITION},
        {"slurm-gres", required_argument, 0, OPT_SLURM_GRES},
        {"slurm-time", required_argument, 0, OPT_SLURM_TIME},
        {"slurm-max-parallel", required_argument, 0, OPT_SLURM_MAX_PARALLEL},
        {"slurm-shared", no_argument, 0, OPT_SLURM_SHARED},
        {"slurm-teardown", required_argument, 0, OPT_SLURM_TEARDOWN},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    tdm_sweep_opts o;
    memset(&o, 0, sizeof o);
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        const char *flag = optind > 1 ? argv[optind - 1] : "";
        switch (c) {
        case 'h':
            usage(stdout);
            return TDM_SWEEP_EXIT_OK;
        case OPT_VERSION:
            printf("tandem-sweep %s\n", TDM_VERSION);
            return TDM_SWEEP_EXIT_OK;
        case OPT_OUT: o.out = optarg; break;
        case OPT_DRY_RUN: o.dry_run = true; break;
        case OPT_VALIDATE: o.validate = true; break;
        case OPT_ALLOW_UNPINNED: o.allow_unpinned = true; break;
        case OPT_RETRY_FAILED: o.retry_failed = true; break;
        case OPT_BIN_DIR: o.bin_dir = optarg; break;
        case OPT_EMIT_JOBS: o.emit_jobs = optarg; break;
        case OPT_QUIET: o.quiet = true; break;
        case OPT_NO_WAIT: o.no_wait = true; break;
        case OPT_SLURM_PARTITION: o.slurm_partition = optarg; break;
        case OPT_SLURM_GRES: o.slurm_gres = optarg; break;
        case OPT_SLURM_SHARED: o.slurm_shared = true; break;
        case OPT_SLURM_TEARDOWN: o.slurm_teardown = optarg; break;
        case OPT_SLURM_TIME:
            if ((o.slurm_time_min = positive(flag, optarg, 525600)) < 0)
                return TDM_SWEEP_EXIT_USAGE;
            break;
        case OPT_SLURM_MAX_PARALLEL:
            if ((o.slurm_max_parallel = positive(flag, optarg, 100000)) < 0)
                return TDM_SWEEP_EXIT_USAGE;
            break;
        case OPT_CELL: o.cell = optarg; break;
        case OPT_ORDER:
            o.has_order = true;
            if (strcmp(optarg, "blocks") == 0)
                o.order = TDM_SWEEP_ORDER_BLOCKS;
            else if (strcmp(optarg, "sequential") == 0)
                o.order = TDM_SWEEP_ORDER_SEQUENTIAL;
            else {
                fprintf(stderr, "tandem-sweep: --order: '%s' is not an order; use blocks or sequential\n", optarg);
                return TDM_SWEEP_EXIT_USAGE;
            }
            break;
        case OPT_SEED: {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-') {
                fprintf(stderr, "tandem-sweep: --seed: '%s' is not a whole number >= 0\n", optarg);
                return TDM_SWEEP_EXIT_USAGE;
            }
            o.has_seed = true;
            o.seed = v;
            break;
        }
        case ':':
            fprintf(stderr, "tandem-sweep: %s needs a value; see --help\n", flag);
            return TDM_SWEEP_EXIT_USAGE;
        default:
            fprintf(stderr, "tandem-sweep: unknown option '%s'; see --help\n", flag);
            return TDM_SWEEP_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "tandem-sweep: which experiment? e.g. tandem-sweep experiments/sim.yaml --dry-run (see "
                        "--help)\n");
        return TDM_SWEEP_EXIT_USAGE;
    }
    if (optind + 1 < argc) {
        fprintf(stderr, "tandem-sweep: one experiment at a time; unexpected '%s'\n", argv[optind + 1]);
        return TDM_SWEEP_EXIT_USAGE;
    }
    o.experiment = argv[optind];
    int modes = (o.emit_jobs != NULL) + (o.cell != NULL) + (o.dry_run || o.validate);
    if (!o.emit_jobs && (o.slurm_partition || o.slurm_gres || o.slurm_teardown || o.slurm_time_min ||
                         o.slurm_max_parallel || o.slurm_shared)) {
        fprintf(stderr, "tandem-sweep: the --slurm-* options shape the script --emit-jobs writes; add --emit-jobs DIR\n");
        return TDM_SWEEP_EXIT_USAGE;
    }
    if (modes > 1) {
        fprintf(stderr, "tandem-sweep: --emit-jobs, --cell and --dry-run/--validate do not combine; give one\n");
        return TDM_SWEEP_EXIT_USAGE;
    }
    return tdm_sweep_main(&o);
}
