/* measure.c — one variant's calibration runs: a scenario written as YAML, the variant
 * binary run once per measurement as a child (its CPU from wait4), and the numbers read
 * back from the run directory it wrote (records.json per run, summary.json) — the same
 * raw records every report is computed from. */
#include "calibrate/calibrate.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/fileio.h"
#include "core/quantile.h"

/* One agent per port; every agent makes one call of num_predict tokens per phase. */
/* The API a client speaks in the scenarios: openai-python only speaks OpenAI's, the
 * others what --api says (NULL: the scenario default, generate). */
static const char *api_of(const tdm_cal_opts *o, const tdm_cal_row *row)
{
    return strcmp(row->name, "openai-python") == 0 ? "openai" : o->api;
}

static int write_scenario(const char *path, const char *name, const tdm_cal_sim *sim, int runs, bool warmup,
                          const char *api, int num_predict, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    fprintf(f, "# written by tandem-calibrate\nname: %s\nruns: %d\nseed: 7\nwarmup: %s\n", name, runs,
            warmup ? "true" : "false");
    fprintf(f, "defaults:\n  model: gemma3:latest\n");
    if (api)
        fprintf(f, "  api: %s\n", api);
    fprintf(f, "  options: {num_predict: %d, temperature: 0}\nagents:\n", num_predict);
    for (size_t i = 0; i < sim->n_ports; i++)
        fprintf(f,
                "  - name: agent%zu\n    url: http://127.0.0.1:%d\n    steps:\n"
                "      - {name: generate, prompt: \"Calibrate stream %zu.\"}\n",
                i, sim->ports[i], i);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    return 0;
}

/* Runs `tandem-<variant> run` on the scenario into out_dir, noting the foreign load
 * on the machine meanwhile (sim: the simulator serving it). */
static int run_variant(const tdm_cal_opts *o, const char *variant, const char *scen, const char *out_dir,
                       const tdm_cal_sim *sim, tdm_cal_child *res, char *err, size_t errlen)
{
    char *bin = tdm_cal_strdup_printf("%s/tandem-%s", o->bindir, variant);
    char *errp = tdm_cal_strdup_printf("%s.stderr", out_dir);
    /* --no-lock: the simulator is calibration's own, on ports nobody else was given, and
     * at N = 512 the locks would be 512 more files for nothing. */
    char *argv[] = {bin,  "run", "--scenario-file", (char *)scen, "--output-dir", (char *)out_dir, "--quiet",
                    "--no-lock", NULL};
    tdm_cal_load load;
    tdm_cal_load_begin(&load, sim);
    int rc = tdm_cal_run(argv, NULL, errp, o->timeout_s, res, err, errlen);
    if (rc == 0)
        res->foreign_cores = tdm_cal_load_end(&load, sim, res->user_s + res->sys_s, res->wall_s);
    if (rc == 0 && (res->timed_out || res->exit_status != 0)) {
        snprintf(err, errlen, "tandem-%s %s (exit %d); see %s", variant,
                 res->timed_out ? "timed out" : "failed", res->exit_status, errp);
        rc = -1;
    }
    free(bin);
    free(errp);
    return rc;
}

static json_t *load(const char *dir, const char *name, char *err, size_t errlen)
{
    char *p = tdm_cal_strdup_printf("%s/%s", dir, name);
    json_t *j = tdm_read_json_file(p, err, errlen);
    free(p);
    return j;
}

static int64_t jint(const json_t *o, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(o, key));
}

/* Adds up the measured (non-warm-up) calls of every run of out_dir. */
static int count_calls(const char *out_dir, int runs, tdm_cal_tp *tp, char *err, size_t errlen)
{
    json_t *sum = load(out_dir, "summary.json", err, errlen);
    if (!sum)
        return -1;
    json_t *r;
    size_t i;
    tp->stream_wall_s = 0;
    json_array_foreach(json_object_get(sum, "runs"), i, r)
        tp->stream_wall_s += json_real_value(json_object_get(r, "t_seq_s")) +
                             json_real_value(json_object_get(r, "t_conc_s"));
    json_decref(sum);
    tp->calls = tp->events = tp->tokens = tp->bytes = tp->reads = 0;
    tp->stream_cpu_s = 0;
    for (int k = 1; k <= runs; k++) {
        char name[64];
        snprintf(name, sizeof name, "run_%d/records.json", k);
        json_t *rec = load(out_dir, name, err, errlen);
        if (!rec)
            return -1;
        static const char *const phases[] = {"sequential", "concurrent"};
        for (int p = 0; p < 2; p++) {
            json_t *cpu = json_object_get(json_object_get(rec, phases[p]), "client_cpu");
            if (!json_is_object(cpu)) {
                snprintf(err, errlen, "%s/%s has no %s.client_cpu: the client does not record its CPU per phase",
                         out_dir, name, phases[p]);
                json_decref(rec);
                return -1;
            }
            tp->stream_cpu_s += (double)(jint(cpu, "user_ns") + jint(cpu, "sys_ns")) / 1e9;
        }
        json_t *c;
        json_array_foreach(json_object_get(rec, "calls"), i, c)
        {
            if (strcmp(json_string_value(json_object_get(c, "phase")), "warmup") == 0)
                continue;
            tp->calls++;
            tp->events += json_array_size(json_object_get(json_object_get(c, "events"), "dt_ns"));
            tp->tokens += (uint64_t)jint(json_object_get(c, "server"), "eval_count");
            tp->bytes += (uint64_t)jint(c, "bytes");
            tp->reads += (uint64_t)jint(c, "reads");
        }
        json_decref(rec);
    }
    return 0;
}

static void tp_fail(tdm_cal_tp *tp, const char *msg)
{
    tp->ok = false;
    snprintf(tp->error, sizeof tp->error, "%s", msg);
}

void tdm_cal_measure_throughput(const tdm_cal_opts *o, const tdm_cal_row *row, int rep, tdm_cal_tp *tp)
{
    memset(tp, 0, sizeof *tp);
    char err[512] = "";
    char rate[32];
    snprintf(rate, sizeof rate, "%g", o->tp_decode_tps);
    const char *extra[] = {"--decode-tps", rate, "--prefill-tps", "1e8", "--max-tokens", "10000000", NULL};
    tdm_cal_sim sim;
    char *label = tdm_cal_strdup_printf("%s-throughput-%d", row->name, rep + 1);
    int started = tdm_cal_sim_start(o, label, (size_t)o->tp_agents, extra, false, &sim, err, sizeof err);
    free(label);
    if (started != 0) {
        tp_fail(tp, err);
        return;
    }
    if (row->raw) {
        tdm_cal_load load;
        tdm_cal_load_begin(&load, &sim);
        int64_t t0 = tdm_now_ns();
        if (tdm_cal_raw_run(sim.ports, sim.n_ports, o->tp_runs, o->tp_tokens, row->lowat, tp, err, sizeof err) != 0) {
            tp_fail(tp, err);
        } else {
            tp->foreign_cores = tdm_cal_load_end(&load, &sim, tp->cpu_s, (double)(tdm_now_ns() - t0) / 1e9);
            tp->ok = true;
        }
        tdm_cal_sim_free(&sim);
        return;
    }
    char *scen = tdm_cal_strdup_printf("%s/%s-throughput.yaml", o->workdir, row->name);
    char *out = tdm_cal_strdup_printf("%s/%s-throughput-%d", o->workdir, row->name, rep + 1);
    tdm_cal_child res;
    if (write_scenario(scen, "calibrate-throughput", &sim, o->tp_runs, false, api_of(o, row), o->tp_tokens, err,
                       sizeof err) != 0 ||
        run_variant(o, row->name, scen, out, &sim, &res, err, sizeof err) != 0 ||
        count_calls(out, o->tp_runs, tp, err, sizeof err) != 0) {
        tp_fail(tp, err);
    } else {
        tp->ok = true;
        tp->user_s = res.user_s;
        tp->sys_s = res.sys_s;
        tp->cpu_s = res.user_s + res.sys_s;
        tp->nivcsw = res.nivcsw;
        tp->foreign_cores = res.foreign_cores;
    }
    tdm_cal_sim_free(&sim);
    free(scen);
    free(out);
}

typedef struct samples {
    double *v;
    size_t n, cap;
    bool oom;
} samples;

static void push(samples *s, double x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        double *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            s->oom = true;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
}

/* Adds one run's concurrent-phase client TTFT and ITL samples. */
static void add_timing(const json_t *rec, samples *ttft, samples *itl)
{
    json_t *c;
    size_t i;
    json_array_foreach(json_object_get(rec, "calls"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "phase")), "concurrent") != 0)
            continue;
        json_t *dt = json_object_get(json_object_get(c, "events"), "dt_ns");
        size_t n = json_array_size(dt);
        if (n == 0)
            continue;
        int64_t first = jint(c, "t_begin_ns") + (int64_t)json_integer_value(json_array_get(dt, 0));
        push(ttft, (double)(first - jint(c, "t_start_ns")) / 1e6);
        for (size_t m = 1; m < n; m++)
            push(itl, (double)(json_integer_value(json_array_get(dt, m)) - json_integer_value(json_array_get(dt, m - 1))) /
                          1e6);
    }
}

/* Client-side TTFT and pooled ITL of the concurrent phases (from the records alone). */
static void client_timing(const char *out_dir, int runs, tdm_cal_eff *e)
{
    samples ttft = {0}, itl = {0};
    for (int k = 1; k <= runs; k++) {
        char name[64], err[256];
        snprintf(name, sizeof name, "run_%d/records.json", k);
        json_t *rec = load(out_dir, name, err, sizeof err);
        if (!rec)
            break;
        add_timing(rec, &ttft, &itl);
        json_decref(rec);
    }
    if (itl.n && !itl.oom) {
        e->itl_p50_ms = tdm_quantile_inplace(itl.v, itl.n, 0.5);
        e->itl_p99_ms = tdm_quantile_inplace(itl.v, itl.n, 0.99);
    }
    if (ttft.n && !ttft.oom)
        e->ttft_p50_ms = tdm_quantile_inplace(ttft.v, ttft.n, 0.5);
    free(itl.v);
    free(ttft.v);
}

void tdm_cal_measure_efficiency(const tdm_cal_opts *o, tdm_cal_row *row, int n, tdm_cal_eff *e)
{
    memset(e, 0, sizeof *e);
    e->n = n;
    /* The sequential phase alone takes N call times: more runs only where that is short. */
    e->runs = n <= TDM_CAL_SIM_MAX_PORTS ? o->eff_runs : 1;
    char err[512] = "";
    char rate[32];
    snprintf(rate, sizeof rate, "%g", o->eff_decode_tps);
    const char *extra[] = {"--decode-tps", rate, "--prefill-tps", "1e8", NULL};
    tdm_cal_sim sim;
    char *label = tdm_cal_strdup_printf("%s-eff-%d", row->name, n);
    int started = tdm_cal_sim_start(o, label, (size_t)n, extra, true, &sim, err, sizeof err);
    free(label);
    if (started != 0) {
        snprintf(e->error, sizeof e->error, "%s", err);
        return;
    }
    char *scen = tdm_cal_strdup_printf("%s/%s-eff-%d.yaml", o->workdir, row->name, n);
    char *out = tdm_cal_strdup_printf("%s/%s-eff-%d", o->workdir, row->name, n);
    tdm_cal_child res;
    json_t *sum = NULL;
    if (write_scenario(scen, "calibrate-efficiency", &sim, e->runs, true, api_of(o, row), o->eff_tokens, err,
                       sizeof err) != 0 ||
        run_variant(o, row->name, scen, out, &sim, &res, err, sizeof err) != 0 ||
        !(sum = load(out, "summary.json", err, sizeof err))) {
        snprintf(e->error, sizeof e->error, "%s", err);
        tdm_cal_sim_free(&sim);
        free(scen);
        free(out);
        return;
    }
    tdm_cal_sim_stop(&sim); /* the emission log is complete once it has exited */
    json_t *r;
    size_t i;
    e->efficiency_min_pct = INFINITY;
    json_array_foreach(json_object_get(sum, "runs"), i, r)
    {
        double eff = json_real_value(json_object_get(r, "efficiency_pct"));
        e->efficiency_pct += eff / e->runs;
        e->efficiency_min_pct = eff < e->efficiency_min_pct ? eff : e->efficiency_min_pct;
        e->efficiency_max_pct = eff > e->efficiency_max_pct ? eff : e->efficiency_max_pct;
        e->speedup += json_real_value(json_object_get(r, "speedup")) / e->runs;
        e->legacy_efficiency_pct += json_real_value(json_object_get(r, "legacy_efficiency_pct")) / e->runs;
        e->lost_ms += 1e3 * (json_real_value(json_object_get(r, "t_conc_s")) -
                             json_real_value(json_object_get(r, "t_seq_s")) / n) / e->runs;
    }
    bool complete = json_array_size(json_object_get(sum, "runs")) == (size_t)e->runs;
    e->cpu_s = res.user_s + res.sys_s;
    e->nivcsw = res.nivcsw;
    e->max_rss_kb = res.max_rss_kb;
    e->rss_per_agent_kb = (double)res.max_rss_kb / n;
    e->foreign_cores = res.foreign_cores;
    json_decref(sum);
    client_timing(out, e->runs, e);
    if (!complete)
        snprintf(e->error, sizeof e->error, "summary.json holds fewer runs than the %d asked", e->runs);
    else if (tdm_cal_emit_match(sim.emit_paths, sim.n_procs, out, e->runs, e, err, sizeof err) != 0)
        snprintf(e->error, sizeof e->error, "%s", err);
    else
        e->ok = true;
    tdm_cal_sim_free(&sim);
    free(scen);
    free(out);
}

json_t *tdm_cal_variant_info(const tdm_cal_opts *o, const char *variant)
{
    char *bin = tdm_cal_strdup_printf("%s/tandem-%s", o->bindir, variant);
    char *outp = tdm_cal_strdup_printf("%s/%s-info.json", o->workdir, variant);
    char *argv[] = {bin, "info", NULL};
    tdm_cal_child res;
    char err[256];
    json_t *j = NULL;
    if (tdm_cal_run(argv, outp, NULL, 30, &res, err, sizeof err) == 0 && res.exit_status == 0)
        j = tdm_read_json_file(outp, err, sizeof err);
    free(bin);
    free(outp);
    return j;
}
