/* cli.c — parsing of `tandem-<variant> run` (see cli.h).
 *
 * Two ways to say what to run: --scenario-file FILE (N agents, YAML) or the seed
 * harness's --scenario NAME with its flags (--collector-ollama-url, --chimera-num-gpu,
 * ...), kept under the same names so the seed's scripts carry over. Flags given next to
 * a YAML file override it (--runs, --num-predict, ...). */
#include "core/cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/scalar.h"
#include "core/scenario_builtin.h"

enum {
    OPT_SCENARIO = 1000,
    OPT_SCENARIO_FILE,
    OPT_MODEL,
    OPT_RUNS,
    OPT_OUTPUT_DIR,
    OPT_COLLECTOR_URL,
    OPT_INSIGHT_URL,
    OPT_CALLS,
    OPT_KEEP_ALIVE,
    OPT_NO_WARMUP,
    OPT_PHASES,
    OPT_ORDER_SEED,
    OPT_READ_BUF,
    OPT_THREADS,
    OPT_NO_PREFLIGHT,
    OPT_NO_LOCK,
    OPT_NO_WAIT,
    OPT_QUIET,
    OPT_JSON,
    OPT_NUM_PREDICT,
    OPT_SEED,
    OPT_NUM_THREAD,
    OPT_GPU_TELEMETRY,
    OPT_FORCE,
    /* --chimera-<option> and --chimera2-<option>: base + option id */
    OPT_CHIMERA = 1100,
    OPT_CHIMERA2 = 1200,
};

/* The seed's per-agent option flags, in its naming. */
static const struct {
    const char *flag;
    tdm_option_id id;
} chimera_flags[] = {
    {"num-gpu", TDM_OPT_NUM_GPU}, {"num-ctx", TDM_OPT_NUM_CTX},   {"temperature", TDM_OPT_TEMPERATURE},
    {"top-p", TDM_OPT_TOP_P},     {"top-k", TDM_OPT_TOP_K},       {"repeat-penalty", TDM_OPT_REPEAT_PENALTY},
};
#define N_CHIMERA (sizeof chimera_flags / sizeof chimera_flags[0])

void tdm_cli_usage(FILE *out, const char *prog, const tdm_runtime_ops *ops)
{
    fprintf(out,
            "%s — %s\n\n"
            "Measures how well several LLM agents run at once against Ollama servers: each run times the\n"
            "agents one after another (sequential phase) and all together (concurrent phase), and reports\n"
            "speedup, parallel efficiency, TTFT, ITL and decode rates from raw per-token records.\n\n"
            "Usage:\n"
            "  %s run [--scenario NAME | --scenario-file FILE] [options]\n"
            "  %s info [--threads N] [--read-buf BYTES]\n"
            "                what this binary's runtime is with those flags (JSON)\n"
            "  %s plan [the flags of run]\n"
            "                what run would do with those flags, as JSON (docs/own-client.md)\n"
            "  %s --version | --help\n\n"
            "What to run:\n"
            "  --scenario-file FILE        YAML scenario with N agents (see experiments/scenarios/); an\n"
            "                              agent's api: generate, chat (Ollama's own) or openai\n"
            "  --scenario NAME             the seed harness's scenarios: baseline-vs-chimera,\n"
            "                              chimera-hetero, chimera-homo (default: chimera-homo)\n"
            "  --model NAME                model of both seed agents (default gemma3:latest)\n"
            "  --collector-ollama-url URL  first agent's server (default http://localhost:11434)\n"
            "  --insight-ollama-url URL    second agent's server (default http://localhost:11435)\n"
            "  --chimera-num-gpu N, --chimera-num-ctx N, --chimera-temperature T, --chimera-top-p P,\n"
            "  --chimera-top-k K, --chimera-repeat-penalty R\n"
            "                              Chimera-optimised agent options (defaults 80, 512, 1.0)\n"
            "  --chimera2-*                the same for the second agent of chimera-hetero\n"
            "  --calls-per-agent 1|2       seed scenarios: analysis only, or analysis then report (2)\n\n"
            "Run settings (override the scenario file):\n"
            "  --runs K                    repetitions of (sequential, concurrent) (default 1)\n"
            "  --num-predict N             fix every agent's output length (strongly recommended)\n"
            "  --seed N                    Ollama sampling seed for every agent\n"
            "  --num-thread N              Ollama num_thread for every agent (1 on small CPUs)\n"
            "  --keep-alive DUR            Ollama keep_alive for every call (e.g. 5m, 0, -1)\n"
            "  --phases LIST               sequential,concurrent (default both)\n"
            "  --no-warmup                 skip the warm-up call (cold loads are then measured)\n"
            "  --order-seed N              seed of the shuffled sequential order (default 42)\n"
            "  --output-dir DIR            run directory (default results/<variant>/<scenario>-<UTC time>,\n"
            "                              with -2, -3, ... when taken); one that holds results is refused\n"
            "  --force                     delete the results already in --output-dir first\n"
            "  --read-buf BYTES            receive buffer per read (default: the variant's own)\n"
            "  --threads N                 worker threads, for variants that have them\n"
            "  --no-preflight              do not check servers and models before measuring\n"
            "  --no-wait                   when another tandem measurement on this host is using one of the\n"
            "                              servers, stop (exit 4) instead of waiting for it\n"
            "  --no-lock                   measure without taking the servers' host-wide locks\n"
            "                              ($TANDEM_LOCK_DIR, default /tmp/tandem-locks): for a run\n"
            "                              inside a sweep that holds them, or to measure contention on purpose\n"
            "  --gpu-telemetry[=auto|on|off]\n"
            "                              GPU samples every 100 ms during each run (run_<k>/gpu.csv) by\n"
            "                              tandem-gpu-telemetry; auto (the flag alone): only when a GPU can\n"
            "                              be read, on: refuse to measure without one (default off)\n"
            "  --json                      print summary.json on stdout instead of the table\n"
            "  --quiet                     no progress on stderr\n\n"
            "Examples:\n"
            "  %s run --scenario chimera-homo --num-predict 128 --runs 5\n"
            "  %s run --scenario chimera-hetero --chimera2-num-gpu 100 --chimera2-num-ctx 1024\n"
            "  %s run --scenario-file experiments/scenarios/sim-two-agents.yaml --runs 3\n"
            "  %s run --scenario chimera-homo --num-predict 128 --gpu-telemetry\n"
            "  %s run --scenario-file experiments/scenarios/openai-two-agents.yaml\n"
            "      (api: openai: any OpenAI-compatible server, e.g. Ollama's /v1, llama-server, vLLM)\n\n"
            "Exit status:\n"
            "  0    every call succeeded\n"
            "  1    nothing measured: bad scenario, servers not ready, the runtime failed\n"
            "  2    bad command line (flag, flag value, or an --output-dir that holds results)\n"
            "  3    measured, but some calls failed (even all of them): records kept, reasons inside\n"
            "  4    --no-wait, and a server was measuring for another process (nothing measured)\n"
            "  130  interrupted (SIGINT/SIGTERM): finished runs summarised, the partial run marked\n",
            prog, ops->summary, prog, prog, prog, prog, prog, prog, prog, prog, prog);
}


/* One numeric flag value; the message says which of three things is wrong: not a number
 * at all, not whole, or outside [lo, hi]. */
static int parse_num(const char *flag, const char *v, double lo, double hi, bool integer, double *out, char *err,
                     size_t errlen)
{
    char *end;
    char a[40], b[40];
    errno = 0;
    double d = strtod(v, &end);
    tdm_scalar_plain(a, sizeof a, lo);
    tdm_scalar_plain(b, sizeof b, hi);
    if (end == v || *end || isnan(d)) {
        snprintf(err, errlen, "%s: '%s' is not a number; give %s from %s to %s", flag, v,
                 integer ? "an integer" : "a number", a, b);
        return -1;
    }
    if (integer && isfinite(d) && d != floor(d)) {
        snprintf(err, errlen, "%s: '%s' is not a whole number; give an integer from %s to %s", flag, v, a, b);
        return -1;
    }
    if (errno == ERANGE || d < lo || d > hi) {
        snprintf(err, errlen, "%s: '%s' is out of range (from %s to %s)", flag, v, a, b);
        return -1;
    }
    *out = d;
    return 0;
}

static char *default_output_dir(const char *variant, const char *scenario)
{
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    tdm_buf b = {0};
    tdm_buf_printf(&b, "results/%s/%s-%s", variant, scenario, stamp);
    return tdm_buf_steal(&b);
}

int tdm_cli_parse(int argc, char **argv, const char *variant, tdm_cli *cli, char *err, size_t errlen)
{
    memset(cli, 0, sizeof *cli);
    struct option opts[64];
    size_t n = 0;
    static const struct option base[] = {
        {"scenario", required_argument, 0, OPT_SCENARIO},
        {"scenario-file", required_argument, 0, OPT_SCENARIO_FILE},
        {"model", required_argument, 0, OPT_MODEL},
        {"runs", required_argument, 0, OPT_RUNS},
        {"output-dir", required_argument, 0, OPT_OUTPUT_DIR},
        {"collector-ollama-url", required_argument, 0, OPT_COLLECTOR_URL},
        {"insight-ollama-url", required_argument, 0, OPT_INSIGHT_URL},
        {"calls-per-agent", required_argument, 0, OPT_CALLS},
        {"keep-alive", required_argument, 0, OPT_KEEP_ALIVE},
        {"no-warmup", no_argument, 0, OPT_NO_WARMUP},
        {"phases", required_argument, 0, OPT_PHASES},
        {"order-seed", required_argument, 0, OPT_ORDER_SEED},
        {"read-buf", required_argument, 0, OPT_READ_BUF},
        {"threads", required_argument, 0, OPT_THREADS},
        {"no-preflight", no_argument, 0, OPT_NO_PREFLIGHT},
        {"no-lock", no_argument, 0, OPT_NO_LOCK},
        {"no-wait", no_argument, 0, OPT_NO_WAIT},
        {"quiet", no_argument, 0, OPT_QUIET},
        {"json", no_argument, 0, OPT_JSON},
        {"num-predict", required_argument, 0, OPT_NUM_PREDICT},
        {"seed", required_argument, 0, OPT_SEED},
        {"num-thread", required_argument, 0, OPT_NUM_THREAD},
        {"gpu-telemetry", optional_argument, 0, OPT_GPU_TELEMETRY},
        {"force", no_argument, 0, OPT_FORCE},
        {"help", no_argument, 0, 'h'},
    };
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        opts[n++] = base[i];
    static char names[2][N_CHIMERA][48];
    for (size_t i = 0; i < N_CHIMERA; i++) {
        snprintf(names[0][i], sizeof names[0][i], "chimera-%s", chimera_flags[i].flag);
        snprintf(names[1][i], sizeof names[1][i], "chimera2-%s", chimera_flags[i].flag);
        opts[n++] = (struct option){names[0][i], required_argument, 0, OPT_CHIMERA + (int)i};
        opts[n++] = (struct option){names[1][i], required_argument, 0, OPT_CHIMERA2 + (int)i};
    }
    opts[n] = (struct option){0, 0, 0, 0};

    tdm_builtin_args b;
    tdm_builtin_args_init(&b);
    const char *file = NULL, *phases = NULL;
    int runs = 0;
    bool no_warmup = false, have_order_seed = false;
    double order_seed = 0, v;
    tdm_options common = {0};
    cli->settings.preflight = true;
    cli->settings.lock_servers = true;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        const char *flag = optind > 1 ? argv[optind - 1] : "";
        switch (c) {
        case 'h':
            cli->help = true;
            return TDM_EXIT_OK;
        case OPT_SCENARIO: b.scenario = optarg; break;
        case OPT_SCENARIO_FILE: file = optarg; break;
        case OPT_MODEL: b.model = optarg; break;
        case OPT_COLLECTOR_URL: b.collector_url = optarg; break;
        case OPT_INSIGHT_URL: b.insight_url = optarg; break;
        case OPT_KEEP_ALIVE: b.keep_alive = optarg; break;
        case OPT_OUTPUT_DIR: cli->output_dir = strdup(optarg); break;
        case OPT_NO_WARMUP: no_warmup = true; break;
        case OPT_PHASES: phases = optarg; break;
        case OPT_NO_PREFLIGHT: cli->settings.preflight = false; break;
        case OPT_NO_LOCK: cli->settings.lock_servers = false; break;
        case OPT_NO_WAIT: cli->settings.no_wait = true; break;
        case OPT_FORCE: cli->settings.force = true; break;
        case OPT_QUIET: cli->settings.quiet = true; break;
        case OPT_JSON: cli->settings.json_stdout = true; break;
        case OPT_GPU_TELEMETRY:
            /* Bare --gpu-telemetry: sample when there is a GPU, measure anyway when not. */
            if (!optarg) {
                cli->settings.gpu_telemetry = TDM_GPU_AUTO;
            } else if (tdm_gpu_mode_parse(optarg, &cli->settings.gpu_telemetry) != 0) {
                snprintf(err, errlen, "--gpu-telemetry: '%s' is not auto, on or off; write --gpu-telemetry=auto",
                         optarg);
                return TDM_EXIT_USAGE;
            }
            break;
        case OPT_RUNS:
            if (parse_num("--runs", optarg, 1, 10000, true, &v, err, errlen))
                return TDM_EXIT_USAGE;
            runs = (int)v;
            break;
        case OPT_CALLS:
            if (parse_num("--calls-per-agent", optarg, 1, 2, true, &v, err, errlen))
                return TDM_EXIT_USAGE;
            b.calls_per_agent = (int)v;
            break;
        case OPT_ORDER_SEED:
            if (parse_num("--order-seed", optarg, 0, 9007199254740992.0, true, &order_seed, err, errlen))
                return TDM_EXIT_USAGE;
            have_order_seed = true;
            break;
        case OPT_READ_BUF:
            if (parse_num("--read-buf", optarg, 1, 16 * 1024 * 1024, true, &v, err, errlen))
                return TDM_EXIT_USAGE;
            cli->runtime.read_buf = (size_t)v;
            break;
        case OPT_THREADS:
            if (parse_num("--threads", optarg, 1, 1024, true, &v, err, errlen))
                return TDM_EXIT_USAGE;
            cli->runtime.threads = (int)v;
            break;
        case OPT_NUM_PREDICT:
            if (parse_num("--num-predict", optarg, -2, 1e9, true, &v, err, errlen))
                return TDM_EXIT_USAGE;
            tdm_options_set(&common, TDM_OPT_NUM_PREDICT, v);
            break;
        case OPT_SEED:
            if (parse_num("--seed", optarg, -2147483648.0, 2147483647.0, true, &v, err, errlen))
                return TDM_EXIT_USAGE;
            tdm_options_set(&common, TDM_OPT_SEED, v);
            break;
        case OPT_NUM_THREAD:
            if (parse_num("--num-thread", optarg, 1, 4096, true, &v, err, errlen))
                return TDM_EXIT_USAGE;
            tdm_options_set(&common, TDM_OPT_NUM_THREAD, v);
            break;
        case ':':
            snprintf(err, errlen, "%s needs a value; see --help", flag);
            return TDM_EXIT_USAGE;
        case '?':
            snprintf(err, errlen, "unknown option '%s'; see --help", flag);
            return TDM_EXIT_USAGE;
        default:
            if (c >= OPT_CHIMERA && c < OPT_CHIMERA2 + (int)N_CHIMERA) {
                bool second = c >= OPT_CHIMERA2;
                size_t i = (size_t)(c - (second ? OPT_CHIMERA2 : OPT_CHIMERA));
                tdm_option_id id = chimera_flags[i].id;
                /* the flag's name, not argv[optind - 1] (that is the value when it came apart) */
                char name[64];
                snprintf(name, sizeof name, "--%s", names[second][i]);
                if (parse_num(name, optarg, id == TDM_OPT_NUM_GPU ? -1 : 0, 1e9, tdm_option_is_int(id), &v, err,
                              errlen))
                    return TDM_EXIT_USAGE;
                tdm_options_set(second ? &b.chimera2 : &b.chimera, id, v);
            }
            break;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s'; see --help", argv[optind]);
        return TDM_EXIT_USAGE;
    }
    if (file && b.scenario) {
        snprintf(err, errlen, "give --scenario or --scenario-file, not both");
        return TDM_EXIT_USAGE;
    }

    int rc;
    if (file) {
        rc = tdm_scenario_load_file(file, &cli->scenario, err, errlen);
    } else {
        if (!b.scenario)
            b.scenario = "chimera-homo";
        b.common = common;
        rc = tdm_scenario_builtin(&b, &cli->scenario, err, errlen);
        /* --scenario NAME that names nothing is a bad flag value, like any other. */
        if (rc != 0 && !tdm_scenario_builtin_exists(b.scenario))
            return TDM_EXIT_USAGE;
    }
    if (rc != 0)
        return TDM_EXIT_ERROR;

    /* Command-line settings win over the file's. */
    tdm_scenario *s = &cli->scenario;
    if (runs)
        s->runs = runs;
    if (no_warmup)
        s->warmup = false;
    if (have_order_seed)
        s->seed = (uint64_t)order_seed;
    if (file) {
        for (size_t i = 0; i < s->n_agents; i++) {
            tdm_options_merge(&s->agents[i].options, &common);
            if (b.keep_alive) {
                free(s->agents[i].keep_alive);
                s->agents[i].keep_alive = strdup(b.keep_alive);
            }
        }
    }
    if (phases) {
        s->sequential = strstr(phases, "seq") != NULL;
        s->concurrent = strstr(phases, "conc") != NULL;
        if (!s->sequential && !s->concurrent) {
            snprintf(err, errlen, "--phases: '%s' names no phase; use sequential, concurrent or both", phases);
            return TDM_EXIT_USAGE;
        }
    }
    if (tdm_scenario_validate(s, err, errlen) != 0)
        return TDM_EXIT_ERROR;
    if (!cli->output_dir) {
        cli->output_dir = default_output_dir(variant, s->name);
        cli->settings.default_output_dir = true;
    }
    cli->settings.output_dir = cli->output_dir;
    cli->settings.argc = argc;
    cli->settings.argv = argv;
    cli->runtime.scenario = s;
    return TDM_EXIT_OK;
}

void tdm_cli_free(tdm_cli *cli)
{
    tdm_scenario_free(&cli->scenario);
    free(cli->output_dir);
    memset(cli, 0, sizeof *cli);
}
