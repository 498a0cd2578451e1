/* summary_text.c — report.md and the stdout table from summary.json (see summary_text.h). */
#include "core/summary_text.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* Agents listed in the console table; the rest are in summary.json. */
#define AGENTS_SHOWN 20

static double get(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A number with fixed decimals, or "n/a" for an undefined value. */
static const char *fmt(char *buf, size_t len, double v, int decimals, const char *suffix)
{
    if (isnan(v))
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.*f%s", decimals, v, suffix);
    return buf;
}

void tdm_md_escape(tdm_buf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (strchr("\\`*_[]<>|", *p))
            tdm_buf_append(b, "\\", 1);
        if (*p == '\n' || *p == '\r')
            tdm_buf_append_str(b, " ");
        else
            tdm_buf_append(b, p, 1);
    }
}

static void md_agents(tdm_buf *b, const tdm_scenario *s)
{
    tdm_buf_append_str(b, "| agent | server | model | api | steps | options |\n|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < s->n_agents; i++) {
        const tdm_agent *a = &s->agents[i];
        tdm_buf_append_str(b, "| ");
        tdm_md_escape(b, a->name);
        tdm_buf_append_str(b, " | ");
        tdm_md_escape(b, a->url);
        tdm_buf_append_str(b, " | ");
        tdm_md_escape(b, a->model);
        tdm_buf_printf(b, " | %s | %zu | ", tdm_api_name(a->api), a->n_steps);
        bool any = false;
        for (int k = 0; k < TDM_OPT_COUNT; k++) {
            if (!tdm_options_has(&a->options, (tdm_option_id)k))
                continue;
            tdm_buf_printf(b, "%s%s=%g", any ? ", " : "", tdm_option_name((tdm_option_id)k), a->options.value[k]);
            any = true;
        }
        tdm_buf_append_str(b, any ? " |\n" : "Ollama defaults |\n");
    }
}

/* A run flagged by an anomaly rule is marked with '!' wherever it is listed. */
static const char *flag_mark(json_t *run)
{
    return json_array_size(json_object_get(run, "anomalies")) ? " !" : "";
}

static void md_runs(tdm_buf *b, json_t *runs)
{
    char x[7][32];
    tdm_buf_append_str(b, "| run | T_seq (s) | T_conc (s) | speedup | efficiency | throughput gain | legacy efficiency "
                          "| contention | failed calls |\n|---|---|---|---|---|---|---|---|---|\n");
    size_t i;
    json_t *r;
    json_array_foreach(runs, i, r)
    {
        tdm_buf_printf(b, "| %lld%s | %s | %s | %s | %s | %s | %s | %s | %lld |\n",
                       (long long)json_integer_value(json_object_get(r, "run")), flag_mark(r),
                       fmt(x[0], 32, get(r, "t_seq_s"), 3, ""), fmt(x[1], 32, get(r, "t_conc_s"), 3, ""),
                       fmt(x[2], 32, get(r, "speedup"), 3, ""), fmt(x[3], 32, get(r, "efficiency_pct"), 1, "%"),
                       fmt(x[4], 32, get(r, "throughput_gain"), 3, ""),
                       fmt(x[5], 32, get(r, "legacy_efficiency_pct"), 1, "%"),
                       json_is_true(json_object_get(r, "contention_detected")) ? "yes" : "no",
                       (long long)json_integer_value(json_object_get(r, "failed_calls")));
    }
}

static void md_agent_runs(tdm_buf *b, json_t *runs)
{
    char x[8][32];
    tdm_buf_append_str(b, "| run | agent | T alone (s) | T together (s) | slowdown | TTFT alone (ms) | TTFT together "
                          "(ms) | decode alone (tok/s) | decode together (tok/s) | decode drop |\n"
                          "|---|---|---|---|---|---|---|---|---|---|\n");
    size_t i, k;
    json_t *r, *a;
    json_array_foreach(runs, i, r)
    {
        json_array_foreach(json_object_get(r, "agents"), k, a)
        {
            tdm_buf_printf(b, "| %lld | ", (long long)json_integer_value(json_object_get(r, "run")));
            tdm_md_escape(b, json_string_value(json_object_get(a, "name")));
            tdm_buf_printf(b, " | %s | %s | %s | %s | %s | %s | %s | %s |\n", fmt(x[0], 32, get(a, "t_seq_s"), 3, ""),
                           fmt(x[1], 32, get(a, "t_conc_s"), 3, ""), fmt(x[2], 32, get(a, "slowdown"), 3, ""),
                           fmt(x[3], 32, get(a, "ttft_seq_ms"), 1, ""), fmt(x[4], 32, get(a, "ttft_conc_ms"), 1, ""),
                           fmt(x[5], 32, get(a, "decode_tps_seq"), 1, ""),
                           fmt(x[6], 32, get(a, "decode_tps_conc"), 1, ""),
                           fmt(x[7], 32, get(a, "decode_drop_pct"), 1, "%"));
        }
    }
}

static void md_calls(tdm_buf *b, json_t *calls)
{
    static const char *const keys[] = {"ttft_ms", "client_gap_ms", "ttfb_ms", "itl_p50_ms", "itl_p99_ms",
                                       "tpot_ms", "e2e_ms", "decode_tps", "decode_tps_client"};
    char x[4][32];
    tdm_buf_append_str(b, "| metric | sequential median | sequential p90 | concurrent median | concurrent p90 |\n"
                          "|---|---|---|---|---|\n");
    json_t *seq = json_object_get(calls, "sequential"), *conc = json_object_get(calls, "concurrent");
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        json_t *s = json_object_get(seq, keys[k]), *c = json_object_get(conc, keys[k]);
        tdm_buf_printf(b, "| `%s` | %s | %s | %s | %s |\n", keys[k], fmt(x[0], 32, get(s, "median"), 2, ""),
                       fmt(x[1], 32, get(s, "p90"), 2, ""), fmt(x[2], 32, get(c, "median"), 2, ""),
                       fmt(x[3], 32, get(c, "p90"), 2, ""));
    }
}

/* Each flag with its evidence, then the run-level means with and without the flagged runs. */
static void md_anomalies(tdm_buf *b, json_t *summary)
{
    static const char *const keys[] = {"efficiency_pct", "speedup", "throughput_gain", "legacy_efficiency_pct",
                                       "t_seq_s", "t_conc_s"};
    json_t *flags = json_object_get(summary, "anomalies");
    if (!json_array_size(flags))
        return;
    json_t *all = json_object_get(summary, "aggregate"), *kept = json_object_get(summary, "aggregate_unflagged");
    char x[4][32];
    tdm_buf_append_str(b, "\n## Anomalies\n\nRuns marked ! broke a rule no sound measurement breaks (ARTIFACT.md, "
                          "Metrics). They stay in the raw records and in every table above; the means are given "
                          "both ways.\n\n");
    size_t i;
    json_t *f;
    json_array_foreach(flags, i, f)
    {
        tdm_buf_printf(b, "- `%s`: ", json_string_value(json_object_get(f, "kind")));
        tdm_md_escape(b, json_string_value(json_object_get(f, "evidence")));
        tdm_buf_append_str(b, "\n");
    }
    tdm_buf_append_str(b, "\n| metric | mean, all runs | n | mean without flagged runs | n |\n|---|---|---|---|---|\n");
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        json_t *a = json_object_get(all, keys[k]), *w = json_object_get(kept, keys[k]);
        tdm_buf_printf(b, "| `%s` | %s | %lld | %s | %lld |\n", keys[k], fmt(x[0], 32, get(a, "mean"), 3, ""),
                       (long long)json_integer_value(json_object_get(a, "n")), fmt(x[1], 32, get(w, "mean"), 3, ""),
                       (long long)json_integer_value(json_object_get(w, "n")));
    }
}

static void md_failures(tdm_buf *b, const tdm_summary_inputs *in)
{
    bool any = false;
    for (size_t r = 0; r < in->n_runs; r++)
        for (size_t i = 0; i < in->runs[r].n_calls; i++) {
            const tdm_call_record *c = &in->runs[r].calls[i];
            if (c->ok)
                continue;
            if (!any)
                tdm_buf_append_str(b, "\n## Failed calls\n\n| run | phase | agent | step | kind | message |\n"
                                      "|---|---|---|---|---|---|\n");
            any = true;
            tdm_buf_printf(b, "| %d | %s | ", c->run, tdm_phase_name(c->phase));
            tdm_md_escape(b, in->runs[r].agent_names[c->agent]);
            tdm_buf_printf(b, " | %d | %s | ", c->step + 1, tdm_error_kind_name(c->error_kind));
            tdm_md_escape(b, c->error_message ? c->error_message : "");
            tdm_buf_append_str(b, " |\n");
        }
}

/* Whether another measurement on this host could have shared the servers (provenance
 * "server_lock"; runs from before it existed, and clients that do not record it, get no
 * line). */
static void md_server_lock(tdm_buf *b, json_t *prov)
{
    json_t *lock = json_object_get(prov, "server_lock");
    if (!json_is_object(lock))
        return;
    const char *by = json_string_value(json_object_get(lock, "taken_by"));
    if (!by) {
        tdm_buf_append_str(b, "- The servers were not locked by this run (`--no-lock`): in a sweep, the sweep holds "
                              "them and says so in `provenance.json` once the cell ends; otherwise another "
                              "measurement on this host may have shared them.\n");
        return;
    }
    tdm_buf_printf(b, "- The servers were locked for the whole measurement (%zu lock file(s), by ",
                   json_array_size(json_object_get(lock, "files")));
    tdm_md_escape(b, by);
    tdm_buf_append_str(b, "): no other tandem measurement on this host used them meanwhile");
    const char *waited_for = json_string_value(json_object_get(lock, "waited_for"));
    if (waited_for) {
        char w[32];
        tdm_buf_printf(b, "; it first waited %s for ",
                       fmt(w, sizeof w, json_number_value(json_object_get(lock, "waited_s")), 1, " s"));
        tdm_md_escape(b, waited_for);
    }
    tdm_buf_append_str(b, ".\n");
}

char *tdm_summary_markdown(const tdm_summary_inputs *in, json_t *summary)
{
    const tdm_scenario *s = in->scenario;
    json_t *prov = in->provenance;
    json_t *agg = json_object_get(summary, "aggregate");
    char x[4][32];
    tdm_buf b = {0};
    tdm_buf_append_str(&b, "# tandem run: ");
    tdm_md_escape(&b, s->name);
    tdm_buf_printf(&b, "\n\nVariant **%s** (%s), %zu agents, %lld of %d run(s) recorded, started %s.\n\n",
                   json_string_value(json_object_get(prov, "variant")),
                   json_string_value(json_object_get(json_object_get(prov, "runtime"), "runtime")), s->n_agents,
                   (long long)json_integer_value(json_object_get(summary, "runs_recorded")), s->runs,
                   json_string_value(json_object_get(prov, "started_at")));
    json_t *eff = json_object_get(agg, "efficiency_pct"), *leg = json_object_get(agg, "legacy_efficiency_pct");
    tdm_buf_printf(&b,
                   "**Parallel efficiency %s** (mean over runs; sd %s; 100%% = N times faster together): the "
                   "agents together took %s of the time they took one after another. The seed harness's metric, legacy efficiency, "
                   "reads %s here; it measures only how evenly the agents' runs overlapped, not any gain "
                   "(two agents sharing one device at half speed each still score ~100%%).\n\n",
                   fmt(x[0], 32, get(eff, "mean"), 1, "%"), fmt(x[1], 32, get(eff, "sd"), 2, " pp"),
                   fmt(x[2], 32, 100.0 / get(json_object_get(agg, "speedup"), "mean"), 1, "%"),
                   fmt(x[3], 32, get(leg, "mean"), 1, "%"));
    json_t *flagged = json_object_get(summary, "flagged_runs");
    if (json_array_size(flagged)) {
        json_t *kept = json_object_get(json_object_get(summary, "aggregate_unflagged"), "efficiency_pct");
        tdm_buf_printf(&b, "**Anomalies:** %zu of %zu run(s) flagged (run", json_array_size(flagged),
                       json_array_size(json_object_get(summary, "runs")));
        size_t i;
        json_t *r;
        json_array_foreach(flagged, i, r)
        tdm_buf_printf(&b, "%s %lld", i ? "," : "", (long long)json_integer_value(r));
        tdm_buf_printf(&b, "; see *Anomalies*). The mean above includes them; without them parallel efficiency "
                           "is %s (mean over %lld run(s); sd %s).\n\n",
                       fmt(x[0], 32, get(kept, "mean"), 1, "%"), (long long)json_integer_value(json_object_get(kept, "n")),
                       fmt(x[1], 32, get(kept, "sd"), 2, " pp"));
    }
    if (!json_is_true(json_object_get(summary, "complete")))
        tdm_buf_printf(&b, "**Incomplete:** %lld call(s) failed or runs are missing; see *Failed calls*.\n\n",
                       (long long)json_integer_value(json_object_get(summary, "failed_calls")));
    tdm_buf_append_str(&b, "## Agents\n\n");
    md_agents(&b, s);
    tdm_buf_append_str(&b, "\n## Runs\n\nT_seq: the agents one after another, each alone (sum). T_conc: all "
                           "released together, until the last finished.\n\n");
    md_runs(&b, json_object_get(summary, "runs"));
    tdm_buf_append_str(&b, "\n## Agents per run\n\n");
    md_agent_runs(&b, json_object_get(summary, "runs"));
    tdm_buf_append_str(&b, "\n## Calls (pooled over runs; cold loads excluded)\n\n");
    md_calls(&b, json_object_get(summary, "calls"));
    md_anomalies(&b, summary);
    md_failures(&b, in);
    tdm_buf_append_str(&b, "\n## Caveats\n\n");
    tdm_buf_printf(&b, "- Runs flagged as anomalous (marked !): %zu; the means are given with and without them.\n",
                   json_array_size(json_object_get(summary, "flagged_runs")));
    bool fixed_len = true;
    for (size_t i = 0; i < s->n_agents; i++)
        fixed_len = fixed_len && tdm_options_has(&s->agents[i].options, TDM_OPT_NUM_PREDICT);
    if (!fixed_len)
        tdm_buf_append_str(&b, "- `num_predict` is not fixed for every agent: output lengths may differ between "
                               "phases; compare `throughput_gain` as well as `speedup`.\n");
    json_t *cs = json_object_get(json_object_get(summary, "calls"), "sequential");
    json_t *cc = json_object_get(json_object_get(summary, "calls"), "concurrent");
    long long cold = json_integer_value(json_object_get(cs, "cold_loads_excluded")) +
                     json_integer_value(json_object_get(cc, "cold_loads_excluded"));
    long long mism = json_integer_value(json_object_get(cs, "token_mismatches")) +
                     json_integer_value(json_object_get(cc, "token_mismatches"));
    tdm_buf_printf(&b, "- Cold model loads in measured phases: %lld (excluded from call statistics).\n", cold);
    tdm_buf_printf(&b, "- Calls whose server `eval_count` differs from the client's token events: %lld.\n", mism);
    long long untimed = json_integer_value(json_object_get(cs, "no_server_timings")) +
                        json_integer_value(json_object_get(cc, "no_server_timings"));
    if (untimed)
        tdm_buf_printf(&b,
                       "- Calls whose server gives no timings (api: openai; its usage block has token counts only): "
                       "%lld. Server TTFT, client gap and the server's decode rate are not measured for them.\n",
                       untimed);
    md_server_lock(&b, prov);
    tdm_buf_append_str(&b, "\nRaw records: `run_*/records.json`; every number here is recomputed from them "
                           "(`summary.json`). Provenance: `provenance.json`.\n");
    return tdm_buf_steal(&b);
}

/* A workflow's runs: what the dependencies allow (critical path) against what the
 * concurrent phase achieved (makespan). */
static void print_workflow(json_t *runs, FILE *out)
{
    char x[5][32];
    size_t i;
    json_t *r;
    bool header = false;
    json_array_foreach(runs, i, r)
    {
        json_t *w = json_object_get(r, "workflow");
        if (!w)
            continue;
        if (!header)
            fprintf(out, "\n%-4s %13s %11s %14s %17s %12s\n", "run", "crit.path(s)", "makespan(s)", "ideal speedup",
                    "achieved speedup", "wf eff.");
        header = true;
        fprintf(out, "%-4lld %13s %11s %14s %17s %12s\n", (long long)json_integer_value(json_object_get(r, "run")),
                fmt(x[0], 32, get(w, "critical_path_s"), 3, ""), fmt(x[1], 32, get(w, "makespan_s"), 3, ""),
                fmt(x[2], 32, get(w, "ideal_speedup"), 3, ""), fmt(x[3], 32, get(w, "achieved_speedup"), 3, ""),
                fmt(x[4], 32, get(w, "workflow_efficiency_pct"), 1, "%"));
    }
    if (header)
        fprintf(out, "workflow efficiency = critical path / makespan (100%% = every step ran as soon as its inputs "
                     "existed)\n");
}

/* Under the runs table: the mean without the flagged runs, and each flag's evidence. */
static void print_flags(json_t *summary, FILE *out)
{
    enum { SHOWN = 10 }; /* the rest are in report.md and summary.json */
    json_t *flags = json_object_get(summary, "anomalies");
    if (!json_array_size(flags))
        return;
    json_t *kept = json_object_get(summary, "aggregate_unflagged");
    char x[6][32];
    if (json_integer_value(json_object_get(json_object_get(kept, "t_seq_s"), "n")) > 0 ||
        json_integer_value(json_object_get(json_object_get(kept, "t_conc_s"), "n")) > 0)
        fprintf(out, "%-4s %10s %10s %8s %11s %11s %10s\n", "no!",
                fmt(x[0], 32, get(json_object_get(kept, "t_seq_s"), "mean"), 3, ""),
                fmt(x[1], 32, get(json_object_get(kept, "t_conc_s"), "mean"), 3, ""),
                fmt(x[2], 32, get(json_object_get(kept, "speedup"), "mean"), 3, ""),
                fmt(x[3], 32, get(json_object_get(kept, "efficiency_pct"), "mean"), 1, "%"),
                fmt(x[4], 32, get(json_object_get(kept, "legacy_efficiency_pct"), "mean"), 1, "%"),
                fmt(x[5], 32, get(json_object_get(kept, "throughput_gain"), "mean"), 3, ""));
    fprintf(out, "! anomalous run%s (kept in the data and the mean; row no! is the mean without them):\n",
            json_array_size(json_object_get(summary, "flagged_runs")) == 1 ? "" : "s");
    size_t i;
    json_t *f;
    json_array_foreach(flags, i, f)
    {
        if (i == SHOWN) {
            fprintf(out, "  ... and %zu more (report.md, summary.json)\n", json_array_size(flags) - SHOWN);
            break;
        }
        fprintf(out, "  %s: %s\n", json_string_value(json_object_get(f, "kind")),
                json_string_value(json_object_get(f, "evidence")));
    }
}

void tdm_summary_print_table(const tdm_summary_inputs *in, json_t *summary, FILE *out)
{
    char x[8][32];
    json_t *runs = json_object_get(summary, "runs");
    fprintf(out, "\n%-4s %10s %10s %8s %11s %11s %10s %10s\n", "run", "T_seq(s)", "T_conc(s)", "speedup",
            "efficiency", "legacy_eff", "tput_gain", "contention");
    size_t i;
    json_t *r;
    json_array_foreach(runs, i, r)
    {
        char run[32];
        snprintf(run, sizeof run, "%lld%s", (long long)json_integer_value(json_object_get(r, "run")),
                 *flag_mark(r) ? "!" : "");
        fprintf(out, "%-4s %10s %10s %8s %11s %11s %10s %10s\n", run, fmt(x[0], 32, get(r, "t_seq_s"), 3, ""),
                fmt(x[1], 32, get(r, "t_conc_s"), 3, ""), fmt(x[2], 32, get(r, "speedup"), 3, ""),
                fmt(x[3], 32, get(r, "efficiency_pct"), 1, "%"), fmt(x[4], 32, get(r, "legacy_efficiency_pct"), 1, "%"),
                fmt(x[5], 32, get(r, "throughput_gain"), 3, ""),
                json_is_true(json_object_get(r, "contention_detected")) ? "yes" : "no");
    }
    json_t *agg = json_object_get(summary, "aggregate");
    if (json_array_size(runs) > 1)
        fprintf(out, "%-4s %10s %10s %8s %11s %11s %10s\n", "mean",
                fmt(x[0], 32, get(json_object_get(agg, "t_seq_s"), "mean"), 3, ""),
                fmt(x[1], 32, get(json_object_get(agg, "t_conc_s"), "mean"), 3, ""),
                fmt(x[2], 32, get(json_object_get(agg, "speedup"), "mean"), 3, ""),
                fmt(x[3], 32, get(json_object_get(agg, "efficiency_pct"), "mean"), 1, "%"),
                fmt(x[4], 32, get(json_object_get(agg, "legacy_efficiency_pct"), "mean"), 1, "%"),
                fmt(x[5], 32, get(json_object_get(agg, "throughput_gain"), "mean"), 3, ""));
    print_flags(summary, out);
    print_workflow(runs, out);

    fprintf(out, "\n%-16s %12s %12s %12s %12s %10s\n", "agent (last run)", "TTFT seq ms", "TTFT conc ms",
            "tok/s seq", "tok/s conc", "slowdown");
    json_t *last = json_array_get(runs, json_array_size(runs) - 1);
    json_t *agents = json_object_get(last, "agents"), *a;
    /* Hundreds of agents (open-loop arrivals, large N) would bury the rest of the output. */
    size_t n_agents = json_array_size(agents), shown = n_agents > AGENTS_SHOWN + 4 ? AGENTS_SHOWN : n_agents;
    json_array_foreach(agents, i, a)
    {
        if (i == shown) {
            fprintf(out, "... and %zu more agents (summary.json)\n", n_agents - shown);
            break;
        }
        fprintf(out, "%-16.16s %12s %12s %12s %12s %10s\n", json_string_value(json_object_get(a, "name")),
                fmt(x[0], 32, get(a, "ttft_seq_ms"), 1, ""), fmt(x[1], 32, get(a, "ttft_conc_ms"), 1, ""),
                fmt(x[2], 32, get(a, "decode_tps_seq"), 1, ""), fmt(x[3], 32, get(a, "decode_tps_conc"), 1, ""),
                fmt(x[4], 32, get(a, "slowdown"), 3, ""));
    }
    fprintf(out, "\nefficiency = T_seq / T_conc / N (100%% = perfect parallelism); legacy_eff is the seed's overlap "
                 "metric, not a gain.\nresults: %s (summary.json, report.md, run_*/records.json)\n",
            in->output_dir);
}
