/* table.c — tandem-calibrate's output: the tables on stdout, the goals of the variants
 * issue judged from them (met or not, with the numbers), and the same as JSON. */
#include "calibrate/calibrate.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The goals (issue 3). */
#define GOAL_VS_PYTHON 20.0
#define GOAL_VS_RAW 0.5
#define GOAL_TTFT_P99_MS 1.0
#define GOAL_EFF_PCT 99.0
#define GOAL_AT_N 32
/* Issue 15: the harness must not bend the curve at hundreds of agents either. */
#define GOAL_SCALE_N 512

static bool is_python(const tdm_cal_row *r)
{
    return strstr(r->name, "python") != NULL; /* python-httpx and the SDK clients */
}

static bool is_c_variant(const tdm_cal_row *r)
{
    return !r->raw && !is_python(r);
}

/* Events per CPU-second while streaming: the measure the goals are judged on. */
static double ev_per_cpu(const tdm_cal_tp *t)
{
    return t->stream_cpu_s > 0 ? (double)t->events / t->stream_cpu_s : NAN;
}

/* The same over the whole process: start-up, preflight, metrics and result files too. */
static double proc_ev_per_cpu(const tdm_cal_tp *t)
{
    return t->cpu_s > 0 ? (double)t->events / t->cpu_s : NAN;
}

static double per_1k(double x, uint64_t tokens)
{
    return tokens ? 1000.0 * x / (double)tokens : NAN;
}

static const tdm_cal_eff *eff_at(const tdm_cal_row *r, int n)
{
    for (size_t i = 0; i < r->n_eff; i++)
        if (r->eff[i].n == n)
            return &r->eff[i];
    return NULL;
}

/* The largest agent count asked for: where memory per agent is shown. */
static void print_end_split(const tdm_cal_opts *o, const tdm_cal_row *rows, size_t n);

static int max_n(const tdm_cal_opts *o)
{
    int m = 0;
    for (size_t k = 0; k < o->n_eff; k++)
        m = o->eff_n[k] > m ? o->eff_n[k] : m;
    return m;
}

static void num(char *out, size_t len, double v, const char *fmt)
{
    if (isnan(v))
        snprintf(out, len, "-");
    else
        snprintf(out, len, fmt, v);
}

/* Best C variant by events per CPU-second (streaming, or whole process). */
static const tdm_cal_row *best_c(const tdm_cal_row *rows, size_t n, bool process)
{
    double (*f)(const tdm_cal_tp *) = process ? proc_ev_per_cpu : ev_per_cpu;
    const tdm_cal_row *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!is_c_variant(&rows[i]) || !rows[i].tp.ok)
            continue;
        if (!best || f(&rows[i].tp) > f(&best->tp))
            best = &rows[i];
    }
    return best;
}

/* kind: 0 python-httpx, 1 the plain raw reader, 2 the SO_RCVLOWAT one. */
static const tdm_cal_row *find_row(const tdm_cal_row *rows, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++) {
        const tdm_cal_row *r = &rows[i];
        if (r->tp.ok && (kind == 0 ? strcmp(r->name, "python-httpx") == 0 : r->raw && r->lowat == (kind == 2)))
            return r;
    }
    return NULL;
}

static long cpus(void)
{
    return sysconf(_SC_NPROCESSORS_ONLN);
}

void tdm_cal_print_table(const tdm_cal_opts *o, const tdm_cal_row *rows, size_t n)
{
    char a[32], b[32], c[32], d[32], e[32], f[32];
    printf("tandem-calibrate: client cost against tandem-sim on this machine (%ld online CPUs).\n"
           "NOTE: the simulator and the client share these %ld cores; every number below includes that.\n\n",
           cpus(), cpus());
    printf("=== client cost, instant tokens (decode %g tok/s, prefill 1e8 tok/s): %d agents x %d tokens, "
           "%d run(s) of sequential + concurrent; median of %d ===\n",
           o->tp_decode_tps, o->tp_agents, o->tp_tokens, o->tp_runs, o->tp_repeat);
    printf("%-16s %12s %15s %14s %8s %12s %12s %10s %7s\n", "variant", "events/cpu-s", "(min-max)", "process ev/cpu-s",
           "MB/s", "cpu ms/1k tk", "reads/1k tk", "bytes/read", "other");
    for (size_t i = 0; i < n; i++) {
        const tdm_cal_tp *t = &rows[i].tp;
        if (!t->ok) {
            printf("%-16s failed: %s\n", rows[i].name, t->error);
            continue;
        }
        num(a, sizeof a, ev_per_cpu(t), "%.0f");
        num(b, sizeof b, proc_ev_per_cpu(t), "%.0f");
        num(c, sizeof c, t->stream_wall_s > 0 ? (double)t->bytes / 1e6 / t->stream_wall_s : NAN, "%.1f");
        num(d, sizeof d, per_1k(t->stream_cpu_s * 1e3, t->tokens), "%.3f");
        num(e, sizeof e, per_1k((double)t->reads, t->tokens), "%.1f");
        num(f, sizeof f, t->reads ? (double)t->bytes / (double)t->reads : NAN, "%.0f");
        double lo = INFINITY, hi = 0;
        for (size_t k = 0; k < rows[i].n_rep; k++) {
            double v = ev_per_cpu(&rows[i].tp_rep[k]);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        char g[48];
        snprintf(g, sizeof g, "%.0fk-%.0fk", lo / 1e3, hi / 1e3);
        printf("%-16s %12s %15s %14s %8s %12s %12s %10s %7.2f\n", rows[i].name, a, g, b, c, d, e, f,
               t->foreign_cores);
    }
    printf("events/cpu-s: token events / the client's CPU (user+sys, all threads) inside its sequential and concurrent\n"
           "phases, as records.json `client_cpu` has it (the raw reader: around its streams); the median of the\n"
           "repetitions (min-max: all of them); cpu ms/1k tk is the same CPU per 1,000 tokens. process: the same events\n"
           "over the whole process's CPU (wait4): start-up, preflight, metrics and result files included.\n"
           "MB/s: body bytes / streaming wall time (the raw reader counts raw bytes, framing included). reads:\n"
           "records.json `reads`. other: cores kept busy by processes calibration did not start (other users of the\n"
           "machine), averaged over the median run.\n\n");

    printf("=== independent simulated devices (one port per agent), decode %g tok/s, %d tokens per call ===\n",
           o->eff_decode_tps, o->eff_tokens);
    printf("%-16s", "variant");
    for (size_t k = 0; k < o->n_eff; k++) {
        char h[24];
        snprintf(h, sizeof h, "eff%% N=%d", o->eff_n[k]);
        printf(" %10s", h);
    }
    int nmax = max_n(o);
    char h_lost[32], h_rss[32], h_per[32];
    snprintf(h_lost, sizeof h_lost, "lost ms @%d", nmax);
    snprintf(h_rss, sizeof h_rss, "RSS MB @%d", nmax);
    snprintf(h_per, sizeof h_per, "KB/agent @%d", nmax);
    printf(" %11s %9s  %-25s %-25s %-19s %12s %12s %13s\n", "lost ms @32", "other @32", "TTFT err p50/p99 ms @32",
           "token delay p50/p99 @32", "ITL p50/p99 ms @32", h_lost, h_rss, h_per);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].raw)
            continue;
        printf("%-16s", rows[i].name);
        for (size_t k = 0; k < rows[i].n_eff; k++) {
            const tdm_cal_eff *x = &rows[i].eff[k];
            num(a, sizeof a, x->efficiency_pct > 0 ? x->efficiency_pct : NAN, "%.2f");
            printf(" %10s", a);
        }
        const tdm_cal_eff *x = eff_at(&rows[i], GOAL_AT_N);
        char t0[40] = "-", t1[40] = "-", t2[40] = "-", t3[40] = "-", t4[40] = "-";
        if (x && x->efficiency_pct > 0) {
            snprintf(t0, sizeof t0, "%.1f", x->lost_ms);
            snprintf(t4, sizeof t4, "%.2f", x->foreign_cores);
        }
        if (x && x->ok) {
            snprintf(t1, sizeof t1, "%.3f / %.3f", x->ttft_err_p50_ms, x->ttft_err_p99_ms);
            snprintf(t2, sizeof t2, "%.3f / %.3f", x->tok_delay_p50_ms, x->tok_delay_p99_ms);
            snprintf(t3, sizeof t3, "%.2f / %.2f", x->itl_p50_ms, x->itl_p99_ms);
        }
        const tdm_cal_eff *y = eff_at(&rows[i], nmax);
        char t5[40] = "-", t6[40] = "-", t7[40] = "-";
        if (y && y->efficiency_pct > 0)
            snprintf(t5, sizeof t5, "%.1f", y->lost_ms);
        if (y && y->max_rss_kb > 0) {
            snprintf(t6, sizeof t6, "%.1f", (double)y->max_rss_kb / 1024.0);
            snprintf(t7, sizeof t7, "%.1f", y->rss_per_agent_kb);
        }
        printf(" %11s %9s  %-25s %-25s %-19s %12s %12s %13s\n", t0, t4, t1, t2, t3, t5, t6, t7);
        for (size_t k = 0; k < rows[i].n_eff; k++)
            if (!rows[i].eff[k].ok && rows[i].eff[k].error[0])
                printf("%-16s   N=%d: %s\n", "", rows[i].eff[k].n, rows[i].eff[k].error);
    }
    printf("efficiency = T_seq / T_conc / N, mean of %d runs (1 run above 64 agents): ideal is 100%% (every device\n"
           "its own); lost ms = T_conc - T_seq / N. A call streams %d tokens at %g tok/s (%.0f ms): a fixed loss weighs\n"
           "less on longer calls. other: cores busy with processes calibration did not start.\n"
           "TTFT err: client arrival of the first token minus the simulator's write of it (emission log), concurrent\n"
           "phase; token delay: the same for every token. ideal ITL = %.2f ms. RSS: the client process's peak\n"
           "resident set over the whole run (wait4 ru_maxrss, its records included); KB/agent: that RSS / N.\n\n",
           o->eff_runs, o->eff_tokens, o->eff_decode_tps, 1e3 * o->eff_tokens / o->eff_decode_tps,
           1000.0 / o->eff_decode_tps);
    print_end_split(o, rows, n);

    printf("=== goals ===\n");
    const tdm_cal_row *best = best_c(rows, n, false), *py = find_row(rows, n, 0), *raw = find_row(rows, n, 1),
                      *low = find_row(rows, n, 2);
    if (!best) {
        printf("no C variant measured\n");
        return;
    }
    double bv = ev_per_cpu(&best->tp);
    if (py)
        printf("best C variant %s: %.0f events/cpu-s = %.1fx python-httpx (%.0f); goal >= %.0fx: %s\n", best->name, bv,
               bv / ev_per_cpu(&py->tp), ev_per_cpu(&py->tp), GOAL_VS_PYTHON,
               bv / ev_per_cpu(&py->tp) >= GOAL_VS_PYTHON ? "MET" : "NOT MET");
    else
        printf("vs python-httpx: NOT EVALUATED (python-httpx not measured: not selected, or no tandem-python-httpx in %s)\n",
               o->bindir);
    if (raw)
        printf("best C variant %s: %.2fx the raw reader (%.0f events/cpu-s); goal >= %.1fx: %s\n", best->name,
               bv / ev_per_cpu(&raw->tp), ev_per_cpu(&raw->tp), GOAL_VS_RAW,
               bv / ev_per_cpu(&raw->tp) >= GOAL_VS_RAW ? "MET" : "NOT MET");
    if (low)
        printf("  against the SO_RCVLOWAT raw reader (every read() a full 8 KB: the floor of CPU per token): %.2fx "
               "(%.0f events/cpu-s)\n",
               bv / ev_per_cpu(&low->tp), ev_per_cpu(&low->tp));
    const tdm_cal_row *bproc = best_c(rows, n, true);
    if (bproc && py)
        printf("  whole process: best %s %.0f vs python-httpx %.0f events/cpu-s = %.1fx\n", bproc->name,
               proc_ev_per_cpu(&bproc->tp), proc_ev_per_cpu(&py->tp),
               proc_ev_per_cpu(&bproc->tp) / proc_ev_per_cpu(&py->tp));
    if (bproc && raw)
        printf("  whole process: best %s %.0f vs raw reader %.0f events/cpu-s = %.2fx\n", bproc->name,
               proc_ev_per_cpu(&bproc->tp), proc_ev_per_cpu(&raw->tp),
               proc_ev_per_cpu(&bproc->tp) / proc_ev_per_cpu(&raw->tp));
    for (size_t i = 0; i < n; i++) {
        const tdm_cal_eff *x = eff_at(&rows[i], GOAL_AT_N);
        if (rows[i].raw || !x)
            continue;
        bool t_ok = x->ok && x->ttft_err_p99_ms < GOAL_TTFT_P99_MS;
        bool e_ok = x->efficiency_pct >= GOAL_EFF_PCT;
        printf("%-16s N=%d: TTFT err p99 %.3f ms (goal < %.0f ms): %-7s  efficiency %.2f%% (goal >= %.0f%%): %s\n",
               rows[i].name, GOAL_AT_N, x->ttft_err_p99_ms, GOAL_TTFT_P99_MS, t_ok ? "MET" : "NOT MET",
               x->efficiency_pct, GOAL_EFF_PCT, e_ok ? "MET" : "NOT MET");
    }
    for (size_t i = 0; i < n; i++) {
        const tdm_cal_eff *x = eff_at(&rows[i], GOAL_SCALE_N);
        if (rows[i].raw || !x)
            continue;
        printf("%-16s N=%d: efficiency %.2f%% (goal >= %.0f%%): %-7s  lost %.1f ms  peak RSS %.1f MB = %.1f KB per "
               "agent\n",
               rows[i].name, GOAL_SCALE_N, x->efficiency_pct, GOAL_EFF_PCT,
               x->efficiency_pct >= GOAL_EFF_PCT ? "MET" : "NOT MET", x->lost_ms, (double)x->max_rss_kb / 1024.0,
               x->rss_per_agent_kb);
    }
}

/* Where the call that ended the concurrent phase lost its time, at the largest N: the
 * part the client owns (dispatch, read) apart from the part the simulator owns (writing
 * late because it shares the cores), so a harness that bends the curve is told from a
 * simulator that cannot keep its own schedule. */
static void print_end_split(const tdm_cal_opts *o, const tdm_cal_row *rows, size_t n)
{
    int nmax = max_n(o);
    printf("=== where the last call's time went, N=%d (ms past its model duration, mean over runs) ===\n", nmax);
    printf("%-16s %9s %9s %9s %9s %9s   %-21s\n", "variant", "lost", "dispatch", "reach", "sim late", "read",
           "sim late p50/p99 all");
    for (size_t i = 0; i < n; i++) {
        const tdm_cal_eff *x = eff_at(&rows[i], nmax);
        if (rows[i].raw || !x || !x->ok || x->end_runs == 0)
            continue;
        char all[40];
        snprintf(all, sizeof all, "%.2f / %.2f", x->sim_late_p50_ms, x->sim_late_p99_ms);
        printf("%-16s %9.2f %9.2f %9.2f %9.2f %9.2f   %-21s\n", rows[i].name, x->lost_ms, x->end_dispatch_ms,
               x->end_reach_ms, x->end_sim_late_ms, x->end_read_ms, all);
    }
    printf("dispatch: the release to that call's first request byte (the client); reach: that byte to the\n"
           "simulator's start of the request (loopback, accept, parse); sim late: its last token written after\n"
           "the model's instant for it (the simulator short of CPU); read: that token's arrival at the client\n"
           "after the write. lost (T_conc - T_seq / N) also holds the sequential calls' own overhead.\n\n");
}

static json_t *real_or_null(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static json_t *tp_json(const tdm_cal_tp *t)
{
    if (!t->ok)
        return json_pack("{s:b, s:s}", "ok", 0, "error", t->error);
    json_t *j = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f}", "ok", 1, "calls",
                          (json_int_t)t->calls, "events", (json_int_t)t->events, "tokens", (json_int_t)t->tokens,
                          "bytes", (json_int_t)t->bytes, "reads", (json_int_t)t->reads, "stream_cpu_s",
                          t->stream_cpu_s, "process_cpu_user_s", t->user_s, "process_cpu_sys_s", t->sys_s,
                          "process_cpu_s", t->cpu_s, "stream_wall_s", t->stream_wall_s);
    json_object_set_new(j, "events_per_cpu_s", real_or_null(ev_per_cpu(t)));
    json_object_set_new(j, "process_events_per_cpu_s", real_or_null(proc_ev_per_cpu(t)));
    json_object_set_new(j, "mb_per_s",
                        real_or_null(t->stream_wall_s > 0 ? (double)t->bytes / 1e6 / t->stream_wall_s : NAN));
    json_object_set_new(j, "cpu_ms_per_1k_tokens", real_or_null(per_1k(t->stream_cpu_s * 1e3, t->tokens)));
    json_object_set_new(j, "process_cpu_ms_per_1k_tokens", real_or_null(per_1k(t->cpu_s * 1e3, t->tokens)));
    json_object_set_new(j, "involuntary_context_switches", json_integer(t->nivcsw));
    json_object_set_new(j, "foreign_load_cores", real_or_null(t->foreign_cores));
    json_object_set_new(j, "reads_per_1k_tokens", real_or_null(per_1k((double)t->reads, t->tokens)));
    return j;
}

static json_t *eff_json(const tdm_cal_eff *x)
{
    json_t *j = json_pack("{s:i, s:i, s:b}", "n", x->n, "runs", x->runs, "ok", x->ok);
    if (x->error[0])
        json_object_set_new(j, "error", json_string(x->error));
    json_object_set_new(j, "efficiency_pct", real_or_null(x->efficiency_pct));
    json_object_set_new(j, "speedup", real_or_null(x->speedup));
    json_object_set_new(j, "legacy_efficiency_pct", real_or_null(x->legacy_efficiency_pct));
    json_object_set_new(j, "efficiency_min_pct", real_or_null(x->efficiency_min_pct));
    json_object_set_new(j, "efficiency_max_pct", real_or_null(x->efficiency_max_pct));
    json_object_set_new(j, "lost_ms", real_or_null(x->lost_ms));
    json_object_set_new(j, "involuntary_context_switches", json_integer(x->nivcsw));
    json_object_set_new(j, "foreign_load_cores", real_or_null(x->foreign_cores));
    json_object_set_new(j, "cpu_s", real_or_null(x->cpu_s));
    /* the client's peak RSS over the whole run (records of every call included) */
    json_object_set_new(j, "max_rss_kb", json_integer(x->max_rss_kb));
    json_object_set_new(j, "rss_per_agent_kb", real_or_null(x->max_rss_kb > 0 ? x->rss_per_agent_kb : NAN));
    json_object_set_new(j, "matched_calls", json_integer((json_int_t)x->matched_calls));
    json_object_set_new(j, "ttft_err_ms", json_pack("{s:o, s:o, s:o}", "p50", real_or_null(x->ttft_err_p50_ms), "p99",
                                                    real_or_null(x->ttft_err_p99_ms), "max",
                                                    real_or_null(x->ttft_err_max_ms)));
    json_object_set_new(j, "token_delay_ms", json_pack("{s:o, s:o}", "p50", real_or_null(x->tok_delay_p50_ms), "p99",
                                                       real_or_null(x->tok_delay_p99_ms)));
    json_object_set_new(j, "itl_ms", json_pack("{s:o, s:o}", "p50", real_or_null(x->itl_p50_ms), "p99",
                                               real_or_null(x->itl_p99_ms)));
    json_object_set_new(j, "ttft_ms_p50", real_or_null(x->ttft_p50_ms));
    json_object_set_new(j, "sim_late_ms", json_pack("{s:o, s:o}", "p50", real_or_null(x->sim_late_p50_ms), "p99",
                                                    real_or_null(x->sim_late_p99_ms)));
    if (x->end_runs > 0)
        json_object_set_new(j, "end_split_ms",
                            json_pack("{s:i, s:o, s:o, s:o, s:o}", "runs", x->end_runs, "dispatch",
                                      real_or_null(x->end_dispatch_ms), "reach", real_or_null(x->end_reach_ms),
                                      "sim_late", real_or_null(x->end_sim_late_ms), "read",
                                      real_or_null(x->end_read_ms)));
    return j;
}

json_t *tdm_cal_json(const tdm_cal_opts *o, const tdm_cal_row *rows, size_t n)
{
    json_t *ns = json_array();
    for (size_t k = 0; k < o->n_eff; k++)
        json_array_append_new(ns, json_integer(o->eff_n[k]));
    json_t *doc = json_pack(
        "{s:s, s:{s:I, s:b, s:s}, s:{s:{s:i, s:i, s:i, s:i, s:f, s:f}, s:{s:o, s:i, s:i, s:f, s:f, s:s}}}", "schema",
        "tandem.calibrate/1", "host", "cpus", (json_int_t)cpus(), "simulator_shares_cores", 1, "note",
        "tandem-sim and the measured client run on the same cores of this machine", "settings", "throughput",
        "agents", o->tp_agents, "tokens", o->tp_tokens, "runs", o->tp_runs, "repetitions", o->tp_repeat, "decode_tps", o->tp_decode_tps,
        "prefill_tps", 1e8, "efficiency", "agents", ns, "tokens", o->eff_tokens, "runs_up_to_64_agents",
        o->eff_runs, "decode_tps", o->eff_decode_tps,
        "prefill_tps", 1e8, "devices", "one port per agent, each its own simulated device");
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *effs = json_array();
        for (size_t k = 0; k < rows[i].n_eff; k++)
            json_array_append_new(effs, eff_json(&rows[i].eff[k]));
        json_t *reps = json_array();
        for (size_t k = 0; k < rows[i].n_rep; k++)
            json_array_append_new(reps, tp_json(&rows[i].tp_rep[k]));
        json_t *r = json_pack("{s:s, s:s, s:o, s:o, s:o}", "variant", rows[i].name, "kind",
                              rows[i].raw ? "raw-reader" : is_python(&rows[i]) ? "python" : "c-variant", "throughput",
                              tp_json(&rows[i].tp), "throughput_repetitions", reps, "efficiency", effs);
        if (rows[i].info)
            json_object_set(r, "info", rows[i].info);
        json_array_append_new(arr, r);
    }
    json_object_set_new(doc, "rows", arr);

    json_t *goals = json_object();
    const tdm_cal_row *best = best_c(rows, n, false), *py = find_row(rows, n, 0), *raw = find_row(rows, n, 1),
                      *low = find_row(rows, n, 2);
    if (best) {
        double bv = ev_per_cpu(&best->tp);
        json_object_set_new(goals, "best_c_variant", json_string(best->name));
        json_object_set_new(goals, "best_c_events_per_cpu_s", real_or_null(bv));
        json_object_set_new(goals, "measure", json_string("token events per client CPU-second inside the measured "
                                                          "phases (records.json client_cpu)"));
        if (py)
            json_object_set_new(goals, "vs_python_httpx",
                                json_pack("{s:o, s:f, s:b}", "ratio", real_or_null(bv / ev_per_cpu(&py->tp)), "goal",
                                          GOAL_VS_PYTHON, "met", bv / ev_per_cpu(&py->tp) >= GOAL_VS_PYTHON));
        else
            json_object_set_new(goals, "vs_python_httpx", json_pack("{s:s}", "status", "not evaluated: not built"));
        if (raw)
            json_object_set_new(goals, "vs_raw_reader",
                                json_pack("{s:o, s:f, s:b}", "ratio", real_or_null(bv / ev_per_cpu(&raw->tp)), "goal",
                                          GOAL_VS_RAW, "met", bv / ev_per_cpu(&raw->tp) >= GOAL_VS_RAW));
        if (low)
            json_object_set_new(goals, "vs_raw_reader_lowat",
                                json_pack("{s:o, s:s}", "ratio", real_or_null(bv / ev_per_cpu(&low->tp)), "note",
                                          "not a goal: the floor of CPU per token, every read() a full 8 KB"));
    }
    const tdm_cal_row *bproc = best_c(rows, n, true);
    if (bproc && py)
        json_object_set_new(goals, "whole_process_vs_python_httpx",
                            json_pack("{s:s, s:o}", "best", bproc->name, "ratio",
                                      real_or_null(proc_ev_per_cpu(&bproc->tp) / proc_ev_per_cpu(&py->tp))));
    if (bproc && raw)
        json_object_set_new(goals, "whole_process_vs_raw_reader",
                            json_pack("{s:s, s:o}", "best", bproc->name, "ratio",
                                      real_or_null(proc_ev_per_cpu(&bproc->tp) / proc_ev_per_cpu(&raw->tp))));
    json_t *per = json_object();
    for (size_t i = 0; i < n; i++) {
        const tdm_cal_eff *x = eff_at(&rows[i], GOAL_AT_N), *y = eff_at(&rows[i], GOAL_SCALE_N);
        if (rows[i].raw || (!x && !y))
            continue;
        json_t *g = json_object();
        if (x) {
            json_object_set_new(g, "ttft_err_p99_below_1ms_at_32",
                                json_boolean(x->ok && x->ttft_err_p99_ms < GOAL_TTFT_P99_MS));
            json_object_set_new(g, "efficiency_at_32_ge_99", json_boolean(x->efficiency_pct >= GOAL_EFF_PCT));
        }
        if (y) {
            json_object_set_new(g, "efficiency_at_512_ge_99", json_boolean(y->efficiency_pct >= GOAL_EFF_PCT));
            json_object_set_new(g, "efficiency_pct_at_512", real_or_null(y->efficiency_pct));
            json_object_set_new(g, "rss_per_agent_kb_at_512",
                                real_or_null(y->max_rss_kb > 0 ? y->rss_per_agent_kb : NAN));
        }
        json_object_set_new(per, rows[i].name, g);
    }
    json_object_set_new(goals, "per_variant", per);
    json_object_set_new(doc, "goals", goals);
    return doc;
}
