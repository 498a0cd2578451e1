/* main.c — tandem-report's command line: `tandem-report RESULTS_DIR... --out DIR` makes
 * the Technical Report; `tandem-report import-chimera LEGACY_DIR --out DIR` imports the
 * seed harness's results; `check RUN_DIR` judges a run directory's raw files against the
 * records format and `finalize RUN_DIR` derives its summary.json and report.md. Parsing
 * and exit codes only; the work is in report.c, legacy_import.c, check*.c, finalize.c. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hold_servers.h"
#include "core/plan.h"
#include "report/analysis.h"
#include "report/baselines_yaml.h"
#include "report/check_dir.h"
#include "report/finalize.h"
#include "report/legacy.h"
#include "report/report.h"

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

/* "[defaults: a=1, b=2, ...; others none]" broken at commas into lines of the help's
 * right-hand column (the list comes from the defaults themselves, so it cannot drift). */
static void wrap_defaults(char *out, size_t len, const char *list)
{
    static const char indent[] = "                          ";
    const size_t width = 62;
    size_t used = 0, col = 0;
    char item[128];
    const char *p = list;
    out[0] = '\0';
    bool first = true;
    while (*p && used < len) {
        const char *comma = strstr(p, ", ");
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        snprintf(item, sizeof item, "%s%.*s%s", first ? "[defaults: " : "", (int)n, p,
                 comma ? "," : "; others none]");
        size_t need = strlen(item) + (first ? 0 : 1);
        int k;
        if (first || col + need > width) {
            k = snprintf(out + used, len - used, "%s%s%s", first ? "" : "\n", indent, item);
            col = strlen(item);
        } else {
            k = snprintf(out + used, len - used, " %s", item);
            col += need;
        }
        if (k < 0)
            break;
        used += (size_t)k;
        first = false;
        p = comma ? comma + 2 : p + n;
    }
    if (used < len)
        snprintf(out + used, len - used, "\n");
}

/* The subcommands' descriptions: in the general help and in each subcommand's own. */
static const char import_text[] =
    "import-chimera reads the seed harness's result trees (runtime-<variant>/<config>/run_<k>/\n"
    "summary.json and run_<j>/metrics.json, both generations) and writes one run directory per\n"
    "seed run under DIR/<variant>/<config>/run_<k>/, marked \"source\": \"chimera-legacy\": no\n"
    "sequential phase (efficiency_pct is null; only legacy_efficiency_pct), the agents' concurrent\n"
    "timelines and each call's counters and TTFT. It checks that the legacy efficiency recomputed\n"
    "from the records matches the seed's efficiency_percent. Then: tandem-report DIR --out REPORT.\n";
static const char check_text[] =
    "check judges one run directory (provenance.json beside run_1/records.json, run_2/...)\n"
    "against the records format (docs/records.md, docs/records.schema.json; schema\n"
    "\"tandem.run/1\") and provenance.json's required keys, then reads it with the core's own\n"
    "reader. Each problem is one line naming the file, the run, the call index and the field,\n"
    "what it holds and what it should hold. Exit status: 0 valid, 1 problems found, 2 usage.\n"
    "  tandem-report check results/my-client/run-01\n";
static const char finalize_text[] =
    "finalize checks the directory the same way, then writes its summary.json and report.md\n"
    "with the core's code (the very code a C variant runs at the end of its run) and prints\n"
    "the console table (not with --quiet). A client in any language writes only\n"
    "provenance.json and run_<k>/records.json, then calls it once. Exit status: 0 written,\n"
    "1 problems found (nothing written) or writing failed, 2 usage.\n"
    "  tandem-report finalize results/my-client/run-01\n"
    "  tandem-report finalize --quiet results/my-client/run-01\n"
    "With --json it prints summary.json instead of the table.\n";

static void usage(FILE *out)
{
    tdm_rep_margin m[TDM_M_COUNT];
    char list[512], margins[1024];
    tdm_rep_margins_default(m);
    wrap_defaults(margins, sizeof margins, tdm_rep_margins_list(list, sizeof list, m));
    fprintf(out,
            "usage: tandem-report RESULTS_DIR... --out DIR [options]\n"
            "       tandem-report import-chimera LEGACY_DIR --out DIR\n"
            "       tandem-report check RUN_DIR\n"
            "       tandem-report finalize RUN_DIR [--quiet | --json]\n"
            "       tandem-report plan [--variant NAME] [the flags of run]   (plan --help)\n"
            "       tandem-report hold-servers [--variant NAME] [the flags of run]   (hold-servers --help)\n"
            "\n"
            "Makes the Technical Report from run results: finds every run directory under each\n"
            "RESULTS_DIR (provenance.json beside run_<k>/records.json), recomputes every metric from\n"
            "the raw records, groups runs into cells (variant x configuration), and writes into DIR:\n"
            "  TR115.md          the report: summary and recommendation, method, a table per metric,\n"
            "                    comparisons, baselines, caveats found in the data, provenance, figures\n"
            "  analysis.json     everything computed, machine-readable (undefined values are null)\n"
            "  cells.csv runs.csv calls.csv comparisons.csv   tidy tables with a header row\n"
            "  tails.csv         p50/p90/p99 of TTFT, ITL and end-to-end latency per cell and phase\n"
            "  contention.csv    per cell: contended runs (efficiency below 75%%) and outlier runs\n"
            "  gain_curve.csv    when the runs span several agent counts N: efficiency, tokens/s, TTFT\n"
            "                    and slowdown against N, the knee and the best operating point\n"
            "                    (figures fig_gain_curve, fig_gain_latency)\n"
            "  open_loop.csv     when runs have open-loop arrivals: offered and achieved rate, TTFT and\n"
            "                    e2e from the due instant, client wait, against the offered rate; the\n"
            "                    knee and the sustainable rate (figure fig_open_loop)\n"
            "  workflows.csv     when runs are workflows (after:, think_ms): per workflow and variant the\n"
            "                    critical path, makespan, ideal and achieved speedups and the workflow\n"
            "                    efficiency (critical path / makespan) (figure fig_workflows)\n"
            "  fig_*.svg fig_*.png and their fig_*.dat data   rendered by gnuplot from plots/*.gp\n"
            "\n"
            "options:\n"
            "  --out DIR               where to write (created if missing)        [required]\n"
            "  --name FILE             the report's file name                     [%s]\n"
            "  --title TEXT            the report's title\n"
            "  --reference VARIANT     the variant the others are compared with   [%s]\n"
            "                          (named: one of the runs' variants, as 'smol' or 'smol (seed)')\n"
            "  --group-by KEYS         what makes a configuration: comma-separated keys, each\n"
            "                          'configuration' (cell.json, else the scenario name: the\n"
            "                          default), 'scenario', 'variant', 'cell.FIELD', or a dotted path\n"
            "                          into provenance.json, e.g. scenario.agents.0.options.num_ctx;\n"
            "                          a key no run holds is refused\n"
            "  --alpha A               significance level; CIs are at 1 - A       [0.05]\n"
            "  --resamples N           bootstrap resamples                        [10000]\n"
            "  --seed N                bootstrap seed                             [%u]\n"
            "  --baseline SPEC         a baseline value with its provenance, e.g.\n"
            "                          \"TR110 Python=99.25 (mean of 5 runs)\"; repeatable\n"
            "  --baselines FILE        the baselines listed in FILE (experiments/baselines.yaml), each\n"
            "                          compared on the metric it was measured with\n"
            "  --baseline-dir NAME=DIR another results set as a baseline; repeatable\n"
            "  --baseline-metric KEY   the run-level metric baselines are compared on\n"
            "                          [%s]\n"
            "  --margin KEY=VALUE      the equivalence margin of a metric (repeatable): a difference\n"
            "                          inside +-VALUE is too small to matter. Each comparison is\n"
            "                          also judged by two one-sided tests (TOST): within the margin\n"
            "                          when the (1 - 2 alpha) CI of the difference lies inside it.\n"
            "                          VALUE is in the metric's unit (percentage points for *_pct),\n"
            "                          or N%% of the mean of the variant compared with (not for\n"
            "                          *_pct); KEY=none makes no judgement for that metric. E.g.\n"
            "                          --margin efficiency_pct=0.5 --margin t_conc_s=2%%\n"
            "                          --margin ttft_ms=none\n"
            "%s"
            "  --plots-dir DIR         the gnuplot scripts (default: $TANDEM_PLOTS_DIR, else found\n"
            "                          beside the binary)\n"
            "  --no-plots              write no figures\n"
            "  --pool-hosts            pool results from hosts that differ (CPU, GPU and driver, server\n"
            "                          version, model digest); without it such results are refused\n"
            "  -h, --help              this text\n"
            "\n"
            "%s\n%s\n%s\n"
            "Exit status: 0 done, 1 nothing could be reported or imported, 2 bad command line.\n",
            TDM_REPORT_DEFAULT_NAME, TDM_REPORT_DEFAULT_REFERENCE, TDM_REPORT_DEFAULT_SEED,
            TDM_REPORT_DEFAULT_BASELINE_METRIC, margins, import_text, check_text, finalize_text);
}

static void usage_import(FILE *out)
{
    fprintf(out,
            "usage: tandem-report import-chimera LEGACY_DIR --out DIR\n"
            "\n"
            "%s"
            "\n"
            "options:\n"
            "  --out DIR     where to write the run directories (created if missing)   [required]\n"
            "  -h, --help    this text\n"
            "\n"
            "Example:\n"
            "  tandem-report import-chimera ../chimera/results --out results/seed\n"
            "  tandem-report results/seed --out report/seed\n"
            "\n"
            "Exit status: 0 imported, 1 nothing could be imported, 2 bad command line.\n",
            import_text);
}

static void usage_rundir(FILE *out, bool finalize)
{
    if (finalize)
        fprintf(out,
                "usage: tandem-report finalize RUN_DIR [--quiet | --json]\n"
                "\n"
                "%s"
                "\n"
                "options:\n"
                "  -q, --quiet   print nothing when all went well\n"
                "  --json        print the summary.json written instead of the console table\n"
                "  -h, --help    this text\n",
                finalize_text);
    else
        fprintf(out,
                "usage: tandem-report check RUN_DIR\n"
                "\n"
                "%s"
                "\n"
                "options:\n"
                "  -h, --help    this text\n",
                check_text);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int cmd_import(int argc, char **argv)
{
    const char *out = NULL, *in = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strncmp(argv[i], "--out=", 6) == 0) {
            out = argv[i] + 6;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage_import(stdout);
            return EXIT_OK;
        } else if (argv[i][0] == '-' || in) {
            fprintf(stderr, "tandem-report import-chimera: unexpected argument '%s' (usage: tandem-report "
                            "import-chimera LEGACY_DIR --out DIR)\n",
                    argv[i]);
            return EXIT_USAGE;
        } else {
            in = argv[i];
        }
    }
    if (!in || !out) {
        fprintf(stderr, "tandem-report import-chimera: name the seed's result tree and --out DIR\n");
        return EXIT_USAGE;
    }
    tdm_legacy_stats st;
    char err[1024] = "";
    if (tdm_legacy_import(in, out, stderr, &st, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-report import-chimera: %s\n", err);
        return EXIT_ERR;
    }
    printf("imported %zu seed runs (first generation: %zu, second: %zu) into %zu run directories under %s; "
           "%zu files skipped\n",
           st.runs, st.v1, st.v2, st.dirs, out, st.skipped);
    printf("legacy efficiency recomputed from the imported records matches the seed's efficiency_percent in %zu of "
           "%zu runs (largest difference %.2g pp)\n",
           st.reproduced, st.checked, st.max_abs_diff);
    printf("next: tandem-report %s --out REPORT_DIR\n", out);
    return EXIT_OK;
}

/* Prints the summary.json that finalize wrote into dir. */
static int print_summary_json(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "tandem-report finalize: cannot read %s back: %s\n", path, strerror(errno));
        return -1;
    }
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, stdout);
    fclose(f);
    return 0;
}

/* `check RUN_DIR` and `finalize RUN_DIR [--quiet | --json]`: one run directory each. */
static int cmd_rundir(int argc, char **argv, bool finalize)
{
    const char *dir = NULL, *name = finalize ? "finalize" : "check";
    bool quiet = false, json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage_rundir(stdout, finalize);
            return EXIT_OK;
        } else if (finalize && (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)) {
            quiet = true;
        } else if (finalize && strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, "tandem-report %s: unexpected argument '%s' (usage: tandem-report %s RUN_DIR%s)\n", name,
                    argv[i], name, finalize ? " [--quiet | --json]" : "");
            return EXIT_USAGE;
        } else {
            dir = argv[i];
        }
    }
    if (!dir) {
        fprintf(stderr, "tandem-report %s: name the run directory (usage: tandem-report %s RUN_DIR%s)\n", name,
                name, finalize ? " [--quiet | --json]" : "");
        return EXIT_USAGE;
    }
    tdm_rep_problems p = {0};
    char err[1024] = "";
    int rc;
    if (finalize) {
        rc = tdm_rep_finalize(dir, quiet || json ? NULL : stdout, &p, err, sizeof err);
        if (rc < 0)
            fprintf(stderr, "tandem-report finalize: %s\n", err);
        else if (rc == 0 && json && print_summary_json(dir) != 0)
            rc = -1;
    } else {
        tdm_rep_rundir rd;
        long found = tdm_rep_rundir_load(dir, &rd, &p);
        tdm_rep_rundir_free(&rd);
        if (found < 0)
            fprintf(stderr, "tandem-report check: out of memory reading %s\n", dir);
        rc = found == 0 ? 0 : 1;
        if (found == 0)
            printf("%s: valid (provenance.json and every run_<k>/records.json; schema tandem.run/1)\n", dir);
    }
    if (p.n) {
        fputs(tdm_rep_problems_text(&p), stderr);
        fprintf(stderr, "tandem-report %s: %zu problem(s) in %s; see docs/records.md for the format%s\n", name, p.n,
                dir, finalize ? " (nothing written)" : "");
    }
    tdm_rep_problems_free(&p);
    return rc == 0 ? EXIT_OK : EXIT_ERR;
}

/* `plan [--variant NAME] [run flags]`: the plan of `run` with those flags (core/plan.h). */
/* The client a `plan` or `hold-servers` command line is for: --variant NAME right after
 * the command (taken out of argv), else "external". */
static const char *take_variant(int *argc, char ***argv)
{
    if (*argc > 2 && strcmp((*argv)[1], "--variant") == 0) {
        const char *variant = (*argv)[2];
        (*argv)[2] = (*argv)[0];
        *argc -= 2;
        *argv += 2;
        return variant;
    }
    return "external";
}

static int cmd_hold_servers(int argc, char **argv)
{
    const char *variant = take_variant(&argc, &argv);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("Usage: tandem-report hold-servers [--variant NAME] [the flags of `run`]\n\n"
                   "Takes the host-wide lock of every server the run talks to, as `tandem-<variant> run`\n"
                   "does before it measures, prints \"held\" and, on the same line, the JSON object to record\n"
                   "as provenance.json's \"server_lock\", and keeps the locks until its standard input ends\n"
                   "(with --no-lock it holds none, and the object says so). For a client outside C\n"
                   "(docs/own-client.md): start it on a pipe before the preflight and close the pipe once\n"
                   "the results are written. It waits for a server another measurement holds, saying for\n"
                   "whom, unless --no-wait is given. On a pipe it ignores SIGINT and SIGTERM once the locks\n"
                   "are held (the client's own interrupt handling decides when the run ends); on a\n"
                   "terminal, ^C or ^D lets them go.\n\n"
                   "Example:\n"
                   "  tandem-report hold-servers --variant my-client --scenario-file experiments/scenarios/sim-two-agents.yaml\n\n"
                   "Exit status: 0 held and let go; 1 a lock could not be taken; 2 bad command line;\n"
                   "4 --no-wait and a server was busy; 130 interrupted while waiting.\n");
            return EXIT_OK;
        }
    char err[2048] = "";
    int rc = tdm_hold_servers(variant, argc, argv, err, sizeof err);
    if (err[0])
        fprintf(stderr, "tandem-report hold-servers: %s\n", err);
    return rc;
}

static int cmd_plan(int argc, char **argv)
{
    const char *variant = take_variant(&argc, &argv);
    bool help = false;
    char err[2048] = "";
    int rc = tdm_plan_print(variant, argc, argv, stdout, &help, err, sizeof err);
    if (help) {
        printf("Usage: tandem-report plan [--variant NAME] [the flags of `run`]\n\n"
               "Prints, as JSON (schema tandem.plan/1), the run that `tandem-<variant> run` with the same\n"
               "flags would make: the validated scenario, the settings, each run's sequential order and\n"
               "every request body. A client outside C reads it instead of parsing YAML, runs the phases,\n"
               "writes provenance.json and run_<k>/records.json and calls `tandem-report finalize`\n"
               "(docs/own-client.md). NAME (default \"external\") names the default output folder.\n\n"
               "Examples:\n"
               "  tandem-report plan --variant my-client --scenario-file experiments/scenarios/sim-two-agents.yaml\n"
               "  tandem-report plan --scenario chimera-homo --num-predict 128 --runs 5\n\n"
               "The flags are those of every variant binary's `run --help`. Exit status: 0 printed,\n"
               "1 bad scenario, 2 bad command line.\n");
        return EXIT_OK;
    }
    if (rc != 0)
        fprintf(stderr, "tandem-report plan: %s\n", err);
    return rc;
}

/* Parses one --baseline value to refuse a malformed one before any data is read, with
 * the form to write when the parser's message does not already give it. */
static int check_baseline(const char *spec)
{
    tdm_rep_baseline b;
    char err[1024] = "";
    int rc = tdm_rep_baseline_parse(spec, &b, err, sizeof err);
    if (rc == 0) {
        tdm_rep_baseline_free(&b);
        return 0;
    }
    fprintf(stderr, "tandem-report: --baseline: %s%s\n", err,
            strstr(err, "write NAME=VALUE") ? ""
                                            : "; write NAME=VALUE (provenance), e.g. --baseline \"TR110 Python=99.25 "
                                              "(mean of 5 runs)\"");
    return -1;
}

/* Grows a list of option values. */
static int push(const char ***list, size_t *n, const char *v)
{
    const char **p = realloc(*list, (*n + 1) * sizeof *p);
    if (!p)
        return -1;
    p[(*n)++] = v;
    *list = p;
    return 0;
}

/* --baselines FILE: its entries join the --baseline values, and the baselines are
 * compared on the metric the file says they were measured with; a --baseline-metric
 * that names another is refused rather than comparing unlike with unlike. */
static int add_baseline_file(const char *path, tdm_rep_baseline_file *f, tdm_report_options *o, const char ***list)
{
    char err[2048] = "";
    if (tdm_rep_baselines_yaml_load(path, f, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-report: --baselines %s\n", err);
        return EXIT_USAGE;
    }
    if (strcmp(o->baseline_metric, TDM_REPORT_DEFAULT_BASELINE_METRIC) == 0) {
        o->baseline_metric = f->metric;
    } else if (strcmp(o->baseline_metric, f->metric) != 0) {
        fprintf(stderr, "tandem-report: --baselines %s: its baselines were measured with %s, but --baseline-metric "
                        "asks for %s; a baseline compares only on its own metric: drop --baseline-metric\n",
                path, f->metric, o->baseline_metric);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < f->n; i++) {
        if (check_baseline(f->specs[i]) != 0)
            return EXIT_USAGE;
        if (push(list, &o->n_baselines, f->specs[i]))
            return EXIT_ERR;
    }
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "import-chimera") == 0)
        return cmd_import(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "plan") == 0)
        return cmd_plan(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "hold-servers") == 0)
        return cmd_hold_servers(argc - 1, argv + 1);
    if (argc > 1 && (strcmp(argv[1], "check") == 0 || strcmp(argv[1], "finalize") == 0))
        return cmd_rundir(argc - 1, argv + 1, strcmp(argv[1], "finalize") == 0);
    tdm_report_options o = {
        .name = TDM_REPORT_DEFAULT_NAME,
        .title = TDM_REPORT_DEFAULT_TITLE,
        .seed = TDM_REPORT_DEFAULT_SEED,
        .alpha = 0.05,
        .resamples = 10000,
        .reference = NULL, /* the default, which the data need not hold; a named one must be there */
        .baseline_metric = TDM_REPORT_DEFAULT_BASELINE_METRIC,
        .argv0 = argv[0],
    };
    const char **inputs = NULL, **baselines = NULL, **bdirs = NULL, **margins = NULL;
    const char *bfile_path = NULL;
    tdm_rep_baseline_file bfile = {0};
    enum { O_OUT = 1, O_NAME, O_TITLE, O_REF, O_GROUP, O_ALPHA, O_RES, O_SEED, O_BASE, O_BDIR, O_BMETRIC, O_PLOTS,
           O_NOPLOTS, O_MARGIN, O_BFILE, O_POOL_HOSTS };
    static const struct option opts[] = {
        {"out", required_argument, NULL, O_OUT},           {"name", required_argument, NULL, O_NAME},
        {"title", required_argument, NULL, O_TITLE},       {"reference", required_argument, NULL, O_REF},
        {"group-by", required_argument, NULL, O_GROUP},    {"alpha", required_argument, NULL, O_ALPHA},
        {"resamples", required_argument, NULL, O_RES},     {"seed", required_argument, NULL, O_SEED},
        {"baseline", required_argument, NULL, O_BASE},     {"baseline-dir", required_argument, NULL, O_BDIR},
        {"baseline-metric", required_argument, NULL, O_BMETRIC}, {"plots-dir", required_argument, NULL, O_PLOTS},
        {"no-plots", no_argument, NULL, O_NOPLOTS},        {"margin", required_argument, NULL, O_MARGIN},
        {"baselines", required_argument, NULL, O_BFILE},  {"pool-hosts", no_argument, NULL, O_POOL_HOSTS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int rc = EXIT_OK, c;
    opterr = 0;
    while (rc == EXIT_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        uint64_t u;
        switch (c) {
        case O_OUT:
            o.out_dir = optarg;
            break;
        case O_NAME:
            if (!*optarg || strchr(optarg, '/')) {
                fprintf(stderr, "tandem-report: --name takes a file name, not a path ('%s')\n", optarg);
                rc = EXIT_USAGE;
            }
            o.name = optarg;
            break;
        case O_TITLE:
            o.title = optarg;
            break;
        case O_REF:
            o.reference = optarg;
            break;
        case O_GROUP:
            o.group_by = optarg;
            break;
        case O_ALPHA:
            errno = 0;
            o.alpha = strtod(optarg, &end);
            if (errno || *end || !(o.alpha > 0 && o.alpha < 0.5)) {
                fprintf(stderr, "tandem-report: --alpha must be a number between 0 and 0.5 ('%s')\n", optarg);
                rc = EXIT_USAGE;
            }
            break;
        case O_RES:
            if (parse_u64(optarg, &u) || u < 100 || u > 10000000) {
                fprintf(stderr, "tandem-report: --resamples must be an integer from 100 to 10000000 ('%s')\n",
                        optarg);
                rc = EXIT_USAGE;
            }
            o.resamples = (unsigned)u;
            break;
        case O_SEED:
            if (parse_u64(optarg, &o.seed)) {
                fprintf(stderr, "tandem-report: --seed must be a non-negative integer ('%s')\n", optarg);
                rc = EXIT_USAGE;
            }
            break;
        case O_BASE:
            /* checked here, like --margin: a typo should not cost a long load */
            if (check_baseline(optarg) != 0)
                rc = EXIT_USAGE;
            else if (push(&baselines, &o.n_baselines, optarg))
                rc = EXIT_ERR;
            break;
        case O_BDIR: {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1]) {
                fprintf(stderr, "tandem-report: --baseline-dir '%s': write NAME=DIR, e.g. --baseline-dir "
                                "\"seed=results/seed\"\n",
                        optarg);
                rc = EXIT_USAGE;
            } else if (push(&bdirs, &o.n_baseline_dirs, optarg)) {
                rc = EXIT_ERR;
            }
            break;
        }
        case O_BFILE:
            bfile_path = optarg;
            break;
        case O_BMETRIC:
            o.baseline_metric = optarg;
            break;
        case O_PLOTS:
            o.plots_dir = optarg;
            break;
        case O_NOPLOTS:
            o.no_plots = true;
            break;
        case O_POOL_HOSTS:
            o.pool_hosts = true;
            break;
        case O_MARGIN: {
            /* checked here, so a bad margin is a usage error before any data is read */
            tdm_rep_margin scratch[TDM_M_COUNT];
            char err[1024];
            tdm_rep_margins_default(scratch);
            if (tdm_rep_margin_parse(optarg, scratch, err, sizeof err) != 0) {
                fprintf(stderr, "tandem-report: %s\n", err);
                rc = EXIT_USAGE;
            } else if (push(&margins, &o.n_margins, optarg)) {
                rc = EXIT_ERR;
            }
            break;
        }
        case 'h':
            usage(stdout);
            free(inputs);
            free(baselines);
            free(bdirs);
            free(margins);
            return EXIT_OK;
        default:
            fprintf(stderr, "tandem-report: unknown option or missing value: '%s' (see --help)\n",
                    argv[optind - 1]);
            rc = EXIT_USAGE;
        }
    }
    if (rc == EXIT_OK && bfile_path)
        rc = add_baseline_file(bfile_path, &bfile, &o, &baselines);
    for (int i = optind; rc == EXIT_OK && i < argc; i++)
        if (push(&inputs, &o.n_inputs, argv[i]))
            rc = EXIT_ERR;
    if (rc == EXIT_OK && (o.n_inputs == 0 || !o.out_dir)) {
        fprintf(stderr, "tandem-report: name at least one RESULTS_DIR and --out DIR (see --help)\n");
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK) {
        o.inputs = inputs;
        o.baselines = baselines;
        o.baseline_dirs = bdirs;
        o.margins = margins;
        char err[2048] = "";
        rc = tdm_report_generate(&o, stderr, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "tandem-report: %s\n", err);
    }
    free(inputs);
    free(baselines);
    free(bdirs);
    free(margins);
    tdm_rep_baseline_file_free(&bfile);
    return rc;
}
