/* main.c — tandem-calibrate: every variant binary against tandem-sim on this machine,
 * side by side with python-httpx (when built) and a raw reader, to show what the client
 * itself costs and how much of the ideal parallelism the harness keeps (see
 * calibrate.h for what is measured). Prints tables and writes one JSON file. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate/calibrate.h"
#include "core/clock.h"
#include "core/fileio.h"

static const char *const TOOLS[] = {"sim", "report", "sweep", "calibrate", "gpu-telemetry", NULL};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: tandem-calibrate [options]\n\n"
            "Runs every variant binary found beside it (tandem-<variant>; python-httpx, ollama-python\n"
            "and openai-python too when their tandem-<name> is there: make SDK_CLIENTS=1) and a raw\n"
            "reader against tandem-sim on this machine:\n"
            "  client cost  instant tokens, long outputs: events per client CPU-second while it\n"
            "               streams (the CPU its records give for its phases; the whole process\n"
            "               beside it), MB/s, CPU and read() calls per 1,000 tokens;\n"
            "  efficiency   N agents on N independent simulated devices (one port each) at a\n"
            "               GPU-like decode rate: efficiency_pct, and TTFT / per-token measurement\n"
            "               error (client arrival minus the simulator's emission log), and the\n"
            "               client's peak RSS (wait4) per agent; at N = 512 a goal line.\n"
            "The simulator and the clients share this machine's cores; the output says so.\n\n"
            "Options:\n"
            "  --bin DIR            where the binaries are (default: this program's directory)\n"
            "  --variants LIST      comma-separated names (default: all found, then raw-reader and\n"
            "                       raw-reader-lowat)\n"
            "  --no-raw             leave out the raw readers\n"
            "  --work DIR           scenarios, run directories, logs (default results/calibrate-<UTC>)\n"
            "  --json FILE          the JSON result (default <work>/calibrate.json)\n"
            "  --agents LIST        agent counts of the efficiency runs (default 2,8,32,128)\n"
            "  --eff-tokens N       tokens per call in the efficiency runs (default 50)\n"
            "  --eff-runs K         runs (sequential + concurrent) per N up to 64 agents; one above,\n"
            "                       where the sequential phase alone is long (default 3)\n"
            "  --eff-decode-tps R   decode rate of each simulated device (default 100)\n"
            "  --tp-agents N        agents in the client-cost runs (default 4)\n"
            "  --tp-tokens N        tokens per call in the client-cost runs (default 10000)\n"
            "  --tp-runs K          runs (each sequential + concurrent) of the client-cost scenario (default 2)\n"
            "  --tp-repeat R        client-cost measurements per variant, interleaved; the median is\n"
            "                       reported (default 5)\n"
            "  --tp-decode-tps R    decode rate for \"instant\" tokens (default 1e6, the simulator's maximum)\n"
            "  --api API            the API the clients speak: generate (default), chat or openai;\n"
            "                       openai-python always speaks openai, ollama-python refuses it\n"
            "  --timeout S          limit per child run in seconds (default 900)\n"
            "  --quiet              no progress on stderr\n\n"
            "Examples:\n"
            "  tandem-calibrate                                  # everything, ~30 min on 2 cores\n"
            "  tandem-calibrate --variants smol,smol-1kb --agents 2,8 --tp-tokens 2000\n"
            "  tandem-calibrate --variants smol,python-httpx,ollama-python,openai-python --agents 1,8,32,128\n\n"
            "Exit status: 0 every measurement ran (goals met or not); 1 some measurement failed; 2 bad usage.\n");
}

static bool is_tool(const char *name)
{
    for (int i = 0; TOOLS[i]; i++)
        if (strcmp(name, TOOLS[i]) == 0)
            return true;
    return false;
}

/* C variants first (alphabetical), then python ones, then the raw reader. */
static double eps(const tdm_cal_tp *t)
{
    return t->stream_cpu_s > 0 ? (double)t->events / t->stream_cpu_s : 0.0;
}

static int cmp_eps(const void *a, const void *b)
{
    double x = eps(a), y = eps(b);
    return (x > y) - (x < y);
}

/* row->tp = the median repetition by events per CPU-second (the lower middle one of an
 * even count); -1 when any repetition failed. */
static int pick_median(tdm_cal_row *r)
{
    tdm_cal_tp sorted[TDM_CAL_MAX_REPEAT];
    for (size_t k = 0; k < r->n_rep; k++) {
        if (!r->tp_rep[k].ok)
            return -1;
        sorted[k] = r->tp_rep[k];
    }
    if (r->n_rep == 0)
        return -1;
    qsort(sorted, r->n_rep, sizeof *sorted, cmp_eps);
    r->tp = sorted[(r->n_rep - 1) / 2];
    return 0;
}

static bool is_raw(const char *n)
{
    return strcmp(n, TDM_CAL_RAW_NAME) == 0 || strcmp(n, TDM_CAL_RAW_LOWAT_NAME) == 0;
}

static int rank(const char *n)
{
    return is_raw(n) ? 2 : strstr(n, "python") ? 1 : 0; /* python-httpx and the SDK clients */
}

static int cmp_names(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int rx = rank(x), ry = rank(y);
    return rx != ry ? rx - ry : strcmp(x, y);
}

static int add_name(tdm_cal_opts *o, size_t *cap, const char *name)
{
    if (o->n_variants == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        char **v = realloc(o->variants, *cap * sizeof *v);
        if (!v)
            return -1;
        o->variants = v;
    }
    o->variants[o->n_variants] = strdup(name);
    return o->variants[o->n_variants++] ? 0 : -1;
}

static int discover(tdm_cal_opts *o, size_t *cap)
{
    DIR *d = opendir(o->bindir);
    if (!d) {
        fprintf(stderr, "tandem-calibrate: cannot read %s: %s; build with make or pass --bin\n", o->bindir,
                strerror(errno));
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "tandem-", 7) != 0 || is_tool(e->d_name + 7))
            continue;
        char *p = tdm_cal_strdup_printf("%s/%s", o->bindir, e->d_name);
        bool exe = access(p, X_OK) == 0;
        free(p);
        if (exe && add_name(o, cap, e->d_name + 7) != 0) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    return 0;
}

static int parse_list(const char *s, int *out, size_t max, size_t *n)
{
    *n = 0;
    char *copy = strdup(s), *save = NULL;
    if (!copy)
        return -1;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *end;
        long v = strtol(t, &end, 10);
        if (*end || v < 1 || v > 1000 || *n == max) {
            free(copy);
            return -1;
        }
        out[(*n)++] = (int)v;
    }
    free(copy);
    return *n ? 0 : -1;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_rate(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end || !(v > 0) || v > 1e6)
        return -1;
    *out = v;
    return 0;
}

static char *self_dir(void)
{
    char *d = tdm_self_dir();
    return d ? d : strdup(".");
}

int main(int argc, char **argv)
{
    tdm_cal_opts o = {.tp_agents = 4, .tp_tokens = 10000, .tp_runs = 2, .tp_repeat = 5, .tp_decode_tps = 1e6,
                      .eff_n = {2, 8, 32, 128}, .n_eff = 4, .eff_tokens = 50, .eff_runs = 3, .eff_decode_tps = 100,
                      .timeout_s = 900};
    char *bindir = NULL, *work = NULL, *json_out = NULL, *list = NULL;
    bool raw = true;
    enum { O_BIN = 256, O_VARIANTS, O_NORAW, O_WORK, O_JSON, O_AGENTS, O_EFFTOK, O_EFFRUNS, O_EFFTPS, O_TPAG, O_TPTOK, O_TPRUNS,
           O_TPREP, O_TPTPS, O_TIMEOUT, O_QUIET, O_HELP, O_API };
    static const struct option opts[] = {
        {"bin", required_argument, 0, O_BIN},           {"variants", required_argument, 0, O_VARIANTS},
        {"no-raw", no_argument, 0, O_NORAW},             {"work", required_argument, 0, O_WORK},
        {"json", required_argument, 0, O_JSON},         {"agents", required_argument, 0, O_AGENTS},
        {"eff-tokens", required_argument, 0, O_EFFTOK}, {"eff-runs", required_argument, 0, O_EFFRUNS},
        {"eff-decode-tps", required_argument, 0, O_EFFTPS},
        {"tp-agents", required_argument, 0, O_TPAG},    {"tp-tokens", required_argument, 0, O_TPTOK},
        {"tp-runs", required_argument, 0, O_TPRUNS},    {"tp-repeat", required_argument, 0, O_TPREP},
        {"tp-decode-tps", required_argument, 0, O_TPTPS},
        {"timeout", required_argument, 0, O_TIMEOUT},   {"quiet", no_argument, 0, O_QUIET},
        {"help", no_argument, 0, O_HELP},               {"api", required_argument, 0, O_API},
        {0, 0, 0, 0}};
    int c, bad = 0;
    while (!bad && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_BIN: free(bindir); bindir = strdup(optarg); break;
        case O_VARIANTS: free(list); list = strdup(optarg); break;
        case O_NORAW: raw = false; break;
        case O_WORK: free(work); work = strdup(optarg); break;
        case O_JSON: free(json_out); json_out = strdup(optarg); break;
        case O_AGENTS: bad = parse_list(optarg, o.eff_n, TDM_CAL_MAX_N, &o.n_eff); break;
        case O_EFFTOK: bad = parse_int(optarg, 1, 100000, &o.eff_tokens); break;
        case O_EFFRUNS: bad = parse_int(optarg, 1, 100, &o.eff_runs); break;
        case O_EFFTPS: bad = parse_rate(optarg, &o.eff_decode_tps); break;
        case O_TPAG: bad = parse_int(optarg, 1, 1000, &o.tp_agents); break;
        case O_TPTOK: bad = parse_int(optarg, 1, 10000000, &o.tp_tokens); break;
        case O_TPRUNS: bad = parse_int(optarg, 1, 100, &o.tp_runs); break;
        case O_TPREP: bad = parse_int(optarg, 1, TDM_CAL_MAX_REPEAT, &o.tp_repeat); break;
        case O_TPTPS: bad = parse_rate(optarg, &o.tp_decode_tps); break;
        case O_TIMEOUT: bad = parse_int(optarg, 1, 86400, &o.timeout_s); break;
        case O_QUIET: o.quiet = true; break;
        case O_API:
            if (strcmp(optarg, "generate") && strcmp(optarg, "chat") && strcmp(optarg, "openai")) {
                fprintf(stderr, "tandem-calibrate: --api: '%s' is not an API; use generate, chat or openai\n", optarg);
                bad = 1;
            }
            o.api = optarg;
            break;
        case O_HELP: usage(stdout); return 0;
        default: bad = 1; break;
        }
        if (bad && c != '?' && c != ':')
            for (const struct option *p = opts; p->name; p++)
                if (p->val == c)
                    fprintf(stderr, "tandem-calibrate: bad value '%s' for --%s\n", optarg ? optarg : "", p->name);
    }
    if (bad || optind < argc) {
        if (optind < argc && !bad)
            fprintf(stderr, "tandem-calibrate: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        free(bindir);
        free(work);
        free(json_out);
        free(list);
        return 2;
    }
    o.bindir = bindir ? bindir : (bindir = self_dir());
    if (!work) {
        char stamp[TDM_RFC3339_LEN];
        tdm_wall_rfc3339(stamp, sizeof stamp);
        stamp[19] = '\0'; /* 2025-11-14T00:29:24 */
        for (char *p = stamp; *p; p++)
            if (*p == ':')
                *p = '-';
        work = tdm_cal_strdup_printf("results/calibrate-%sZ", stamp);
    }
    o.workdir = work;
    if (!json_out)
        json_out = tdm_cal_strdup_printf("%s/calibrate.json", work);
    o.json_out = json_out;

    size_t cap = 0;
    int rc = 0;
    if (list) {
        char *save = NULL;
        for (char *t = strtok_r(list, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save))
            rc = add_name(&o, &cap, t);
    } else {
        rc = discover(&o, &cap);
        if (rc == 0 && raw)
            rc = add_name(&o, &cap, TDM_CAL_RAW_NAME);
        if (rc == 0 && raw)
            rc = add_name(&o, &cap, TDM_CAL_RAW_LOWAT_NAME);
    }
    char err[512];
    if (rc != 0 || o.n_variants == 0 || tdm_mkdirs(o.workdir, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-calibrate: %s\n",
                rc != 0 ? "cannot list the variants" : o.n_variants == 0 ? "no variant binaries found" : err);
        rc = 1;
        goto out;
    }
    qsort(o.variants, o.n_variants, sizeof *o.variants, cmp_names);
    for (size_t i = 0; i < o.n_variants; i++) {
        if (is_raw(o.variants[i]))
            continue;
        char *p = tdm_cal_strdup_printf("%s/tandem-%s", o.bindir, o.variants[i]);
        bool ok = access(p, X_OK) == 0;
        free(p);
        if (!ok) {
            fprintf(stderr, "tandem-calibrate: no tandem-%s in %s\n", o.variants[i], o.bindir);
            rc = 1;
            goto out;
        }
    }

    tdm_cal_block_sigchld();
    tdm_cal_row *rows = calloc(o.n_variants, sizeof *rows);
    if (!rows) {
        rc = 1;
        goto out;
    }
    int failures = 0;
    for (size_t i = 0; i < o.n_variants; i++) {
        tdm_cal_row *r = &rows[i];
        snprintf(r->name, sizeof r->name, "%s", o.variants[i]);
        r->raw = is_raw(r->name);
        r->lowat = strcmp(r->name, TDM_CAL_RAW_LOWAT_NAME) == 0;
        if (!r->raw)
            r->info = tdm_cal_variant_info(&o, r->name);
    }
    /* Client cost: repetitions interleaved across variants, so drift in the machine's
     * state (frequency, other load) spreads over all of them rather than one. */
    for (int rep = 0; rep < o.tp_repeat; rep++) {
        tdm_cal_log(&o, "client cost, repetition %d/%d:", rep + 1, o.tp_repeat);
        for (size_t i = 0; i < o.n_variants; i++) {
            tdm_cal_row *r = &rows[i];
            tdm_cal_tp *t = &r->tp_rep[rep];
            tdm_cal_measure_throughput(&o, r, rep, t);
            r->n_rep = (size_t)rep + 1;
            if (t->ok)
                tdm_cal_log(&o, " %s %.0f", r->name, eps(t));
            else
                tdm_cal_log(&o, " %s FAILED (%s)", r->name, t->error);
        }
        tdm_cal_log(&o, " events/cpu-s\n");
    }
    for (size_t i = 0; i < o.n_variants; i++) {
        tdm_cal_row *r = &rows[i];
        if (pick_median(r) != 0) {
            failures++;
            r->tp = r->tp_rep[0]; /* a failed one, with its reason */
        }
    }
    for (size_t i = 0; i < o.n_variants; i++) {
        tdm_cal_row *r = &rows[i];
        if (r->raw)
            continue;
        int64_t t0 = tdm_now_ns();
        tdm_cal_log(&o, "efficiency %s:", r->name);
        for (size_t k = 0; k < o.n_eff; k++) {
            tdm_cal_measure_efficiency(&o, r, o.eff_n[k], &r->eff[k]);
            r->n_eff = k + 1;
            failures += !r->eff[k].ok;
            if (r->eff[k].ok)
                tdm_cal_log(&o, " N=%d %.2f%%", o.eff_n[k], r->eff[k].efficiency_pct);
            else
                tdm_cal_log(&o, " N=%d FAILED (%s)", o.eff_n[k], r->eff[k].error);
        }
        tdm_cal_log(&o, " (%.0f s)\n", (double)(tdm_now_ns() - t0) / 1e9);
    }
    tdm_cal_print_table(&o, rows, o.n_variants);
    json_t *doc = tdm_cal_json(&o, rows, o.n_variants);
    if (tdm_write_json_atomic(o.json_out, doc, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-calibrate: %s\n", err);
        failures++;
    } else {
        printf("\nJSON: %s\n", o.json_out);
    }
    json_decref(doc);
    for (size_t i = 0; i < o.n_variants; i++)
        json_decref(rows[i].info);
    free(rows);
    rc = failures ? 1 : 0;
out:
    for (size_t i = 0; i < o.n_variants; i++)
        free(o.variants[i]);
    free(o.variants);
    free(bindir);
    free(work);
    free(json_out);
    free(list);
    return rc;
}
