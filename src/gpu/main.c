/* main.c — tandem-gpu-telemetry: GPU facts for provenance (`info`) and readings over a
 * run (`sample` into gpu.csv), from NVML or nvidia-smi. Parses the command line and turns
 * results into exit statuses: 0 fine, 1 failed while sampling, 2 bad usage, 3 no GPU
 * telemetry on this host. */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "gpu/info_json.h"
#include "gpu/sampler.h"
#include "gpu/source.h"

#define EXIT_USAGE 2
#define EXIT_NO_GPU 3

static void usage(FILE *f)
{
    fprintf(f,
            "tandem-gpu-telemetry — what the GPUs did during a tandem run: utilisation, memory, power, SM clock,\n"
            "temperature and energy of every GPU, read through NVML (loaded at run time) or nvidia-smi.\n"
            "\n"
            "Usage:\n"
            "  tandem-gpu-telemetry info [--source auto|nvml|nvidia-smi]\n"
            "  tandem-gpu-telemetry sample --out FILE [--interval-ms N] [--source S] [--ready-file F]\n"
            "  tandem-gpu-telemetry --help | --version\n"
            "\n"
            "info     prints one JSON object: source, driver_version, cuda_driver_version and per GPU index, name,\n"
            "         uuid, memory_total_mib, compute_cap, power_limit_w (null where the source cannot tell).\n"
            "         Without any GPU source: {\"source\": null, \"reason\": \"...\", \"gpus\": []} and exit 3.\n"
            "sample   reads every GPU every N ms until SIGTERM or SIGINT, then exits 0. Writes FILE.partial as it\n"
            "         goes (flushed each sample) and renames it to FILE when stopped. One line per GPU per sample:\n"
            "           t_mono_ns,gpu,util_pct,mem_used_mib,power_w,sm_clock_mhz,temp_c,energy_mj\n"
            "         t_mono_ns is CLOCK_MONOTONIC (the clock of records.json) right after the reading; a value\n"
            "         the source cannot read is empty (energy_mj always, with nvidia-smi).\n"
            "\n"
            "Options:\n"
            "  --source S         auto (default: NVML, else nvidia-smi), nvml or nvidia-smi\n"
            "  --out FILE         the CSV to write (sample)\n"
            "  --interval-ms N    sampling period, 1..3600000 (default 100)\n"
            "  --ready-file F     created once the first sample is on disk, so a caller can wait for it\n"
            "\n"
            "Environment:\n"
            "  TANDEM_NVML_LIB    the NVML library to load (default libnvidia-ml.so.1 from the loader's path)\n"
            "  TANDEM_NVIDIA_SMI  the nvidia-smi command to run (default nvidia-smi from PATH)\n"
            "\n"
            "Examples:\n"
            "  tandem-gpu-telemetry info                                   # is there a GPU, which one\n"
            "  tandem-gpu-telemetry info --source nvidia-smi               # the same through nvidia-smi\n"
            "  tandem-gpu-telemetry sample --out gpu.csv &  PID=$!         # sample at 10 Hz ...\n"
            "  kill -TERM $PID; wait $PID                                  # ... stop: gpu.csv is complete\n"
            "  tandem-gpu-telemetry sample --out run_1/gpu.csv --interval-ms 50 --ready-file run_1/.gpu-ready\n"
            "\n"
            "Exit status: 0 fine; 1 failed while sampling (cannot write FILE, nvidia-smi died); 2 bad usage;\n"
            "3 no GPU telemetry on this host (the reason is printed).\n");
}

static int bad_usage(const char *msg)
{
    fprintf(stderr, "tandem-gpu-telemetry: %s; see tandem-gpu-telemetry --help\n", msg);
    return EXIT_USAGE;
}

/* getopt's own messages are off (opterr = 0): this names the option and the fix. */
static int bad_option(const char *sub, char **argv)
{
    fprintf(stderr, "tandem-gpu-telemetry: unknown option or missing value '%s' to %s; see tandem-gpu-telemetry --help\n",
            argv[optind - 1], sub);
    return EXIT_USAGE;
}

static int parse_source(const char *s, tdm_gpu_src_kind *k)
{
    if (tdm_gpu_src_parse(s, k) == 0)
        return 0;
    fprintf(stderr, "tandem-gpu-telemetry: unknown --source '%s'; use auto, nvml or nvidia-smi\n", s);
    return -1;
}

static int print_json(json_t *doc)
{
    if (!doc || json_dumpf(doc, stdout, 0) != 0) {
        json_decref(doc);
        fprintf(stderr, "tandem-gpu-telemetry: cannot print the JSON (out of memory or stdout closed)\n");
        return -1;
    }
    json_decref(doc);
    fputc('\n', stdout);
    return fflush(stdout) == 0 ? 0 : -1;
}

static int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {{"source", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    tdm_gpu_src_kind kind = TDM_GPU_SRC_AUTO;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c != 's')
            return bad_option("info", argv);
        if (parse_source(optarg, &kind) != 0)
            return EXIT_USAGE;
    }
    if (optind < argc)
        return bad_usage("info takes no arguments");
    tdm_gpu_source src;
    char reason[1200];
    int rc = tdm_gpu_source_open(kind, &src, reason, sizeof reason);
    if (rc == EXIT_NO_GPU)
        return print_json(tdm_gpu_unavailable_json(reason)) == 0 ? EXIT_NO_GPU : 1;
    if (rc != 0) {
        fprintf(stderr, "tandem-gpu-telemetry: %s\n", reason);
        return 1;
    }
    rc = print_json(tdm_gpu_info_json(&src.info));
    tdm_gpu_source_close(&src);
    return rc == 0 ? 0 : 1;
}

static int parse_interval(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > 3600000)
        return -1;
    *out = (int)v;
    return 0;
}

static int cmd_sample(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"interval-ms", required_argument, NULL, 'i'},
                                         {"source", required_argument, NULL, 's'},
                                         {"ready-file", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    tdm_gpu_sampler_opts o = {.interval_ms = 100};
    tdm_gpu_src_kind kind = TDM_GPU_SRC_AUTO;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return 0;
        case 'o':
            o.out = optarg;
            break;
        case 'r':
            o.ready_file = optarg;
            break;
        case 'i':
            if (parse_interval(optarg, &o.interval_ms) != 0)
                return bad_usage("--interval-ms takes a whole number of milliseconds from 1 to 3600000");
            break;
        case 's':
            if (parse_source(optarg, &kind) != 0)
                return EXIT_USAGE;
            break;
        default:
            return bad_option("sample", argv);
        }
    }
    if (optind < argc)
        return bad_usage("sample takes no arguments besides its options");
    if (!o.out || !*o.out)
        return bad_usage("sample needs --out FILE");
    tdm_gpu_sampler_catch_signals();
    /* A sampler must not outlive the run it measures: when its parent dies (killed outright,
     * not through its process group), it is told to stop like any SIGTERM, and so still
     * renames what it has. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    tdm_gpu_source src;
    char reason[1200];
    int rc = tdm_gpu_source_open(kind, &src, reason, sizeof reason);
    if (rc != 0) {
        fprintf(stderr, rc == EXIT_NO_GPU ? "no GPU telemetry: %s\n" : "tandem-gpu-telemetry: %s\n", reason);
        return rc == EXIT_NO_GPU ? EXIT_NO_GPU : 1;
    }
    uint64_t lines = 0;
    char err[1024];
    rc = tdm_gpu_sampler_run(&src, &o, &lines, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "tandem-gpu-telemetry: %s\n", err);
    else
        fprintf(stderr, "tandem-gpu-telemetry: %" PRIu64 " readings of %zu GPU(s) from %s written to %s\n", lines,
                src.info.n_gpus, src.info.source, o.out);
    tdm_gpu_source_close(&src);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    opterr = 0;
    if (argc < 2)
        return bad_usage("missing subcommand (info or sample)");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("tandem-gpu-telemetry %s\n", TDM_VERSION);
        return 0;
    }
    if (strcmp(cmd, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(cmd, "sample") == 0)
        return cmd_sample(argc - 1, argv + 1);
    fprintf(stderr, "tandem-gpu-telemetry: unknown subcommand '%s'; use info or sample (see --help)\n", cmd);
    return EXIT_USAGE;
}
