/* caveats.c — what in the data limits what the numbers can say, found in the data
 * itself: cold loads, failed calls, token-count mismatches, output lengths that differ
 * between phases or agents, output length not fixed, unpinned servers, differing
 * library or server versions, missing phases, legacy-only data, small cells, skipped
 * files, whether imported seed runs reproduce the seed's own efficiency figures, and
 * anomalous runs (core/anomaly.h: the same rules and words as each run's summary). */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/anomaly.h"
#include "core/buf.h"
#include "report/analysis.h"

#define PHASE_TOKEN_TOLERANCE 0.05 /* concurrent vs sequential output, relative */
#define AGENT_TOKEN_RATIO 1.5      /* longest / shortest agent output in a run */
#define LEGACY_TOLERANCE 1e-6      /* pp: the seed's efficiency_percent, recomputed */

/* Distinct string values collected for one fact (a library version, a server version). */
typedef struct strset {
    char **v;
    size_t n;
} strset;

static void strset_add(strset *s, const char *x)
{
    if (!x)
        x = "unknown";
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], x) == 0)
            return;
    char **p = realloc(s->v, (s->n + 1) * sizeof *p);
    if (!p)
        return;
    s->v = p;
    if ((s->v[s->n] = strdup(x)))
        s->n++;
}

static void strset_join(const strset *s, tdm_buf *b)
{
    for (size_t i = 0; i < s->n; i++)
        tdm_buf_printf(b, "%s%s", i ? ", " : "", s->v[i]);
}

static void strset_free(strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static const char *jstr(json_t *doc, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(doc, a);
    if (b)
        v = json_object_get(v, b);
    if (c)
        v = json_object_get(v, c);
    return json_string_value(v);
}

/* Library facts that must match for two tandem runs to be compared (STYLE.md). */
static void library_caveats(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    static const struct {
        const char *label, *a, *b, *c;
    } facts[] = {
        {"libcurl", "runtime", "http", "version"}, {"libuv", "runtime", "libuv_version", NULL},
        {"jansson", "libraries", "jansson", NULL}, {"libcyaml", "libraries", "libcyaml", NULL},
        {"compiler", "build", "compiler", NULL},   {"tandem", "tandem_version", NULL, NULL},
    };
    for (size_t f = 0; f < sizeof facts / sizeof facts[0]; f++) {
        strset all = {0};
        for (size_t i = 0; i < ds->n_dirs; i++) {
            if (ds->dirs[i].legacy)
                continue;
            const char *v = jstr(ds->dirs[i].prov, facts[f].a, facts[f].b, facts[f].c);
            /* a variant that does not use the library records none: not a difference */
            if (v)
                strset_add(&all, v);
        }
        if (all.n > 1) {
            tdm_buf b = {0};
            strset_join(&all, &b);
            tdm_rep_caveat_add(an, "library_versions",
                               "The runs were not all built against the same %s (%s): differences between "
                               "variants may come from the library, not the runtime.",
                               facts[f].label, tdm_buf_str(&b));
            tdm_buf_free(&b);
        }
        strset_free(&all);
    }
    strset sv = {0}, dg = {0};
    for (size_t i = 0; i < ds->n_dirs; i++) {
        size_t k;
        json_t *s;
        json_array_foreach(json_object_get(ds->dirs[i].prov, "servers"), k, s)
        {
            const char *v = json_string_value(json_object_get(s, "version"));
            if (v)
                strset_add(&sv, v);
            const char *key;
            json_t *d;
            json_object_foreach(json_object_get(s, "models"), key, d)
            {
                if (!json_is_string(d))
                    continue;
                tdm_buf x = {0};
                tdm_buf_printf(&x, "%s@%s", key, json_string_value(d));
                strset_add(&dg, tdm_buf_str(&x));
                tdm_buf_free(&x);
            }
        }
    }
    if (sv.n > 1) {
        tdm_buf b = {0};
        strset_join(&sv, &b);
        tdm_rep_caveat_add(an, "server_versions", "The runs were measured against different Ollama versions (%s).",
                           tdm_buf_str(&b));
        tdm_buf_free(&b);
    }
    /* the same model name with two digests means the weights changed between runs */
    for (size_t i = 0; i < dg.n; i++)
        for (size_t j = i + 1; j < dg.n; j++) {
            const char *ai = strrchr(dg.v[i], '@'), *aj = strrchr(dg.v[j], '@');
            if (ai && aj && ai - dg.v[i] == aj - dg.v[j] && strncmp(dg.v[i], dg.v[j], (size_t)(ai - dg.v[i])) == 0)
                tdm_rep_caveat_add(an, "model_digests",
                                   "The model %.*s was seen with more than one digest across the runs (%s, %s).",
                                   (int)(ai - dg.v[i]), dg.v[i], ai + 1, aj + 1);
        }
    strset_free(&sv);
    strset_free(&dg);
}

static void call_caveats(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    size_t measured = 0, cold = 0, cold_runs = 0, failed = 0, mismatch = 0, mismatch_runs = 0, no_tokens = 0,
           no_tokens_ttft = 0, untimed = 0;
    size_t kinds[TDM_ERR_KIND_COUNT] = {0};
    for (size_t r = 0; r < ds->n_runs; r++) {
        const tdm_rep_run *run = &ds->runs[r];
        bool legacy = ds->dirs[run->dir].legacy;
        size_t rc = 0, rm = 0;
        for (size_t i = run->first_call; i < run->first_call + run->n_calls; i++) {
            const tdm_rep_call *c = &ds->calls[i];
            if (c->phase == TDM_PHASE_WARMUP)
                continue;
            measured++;
            if (!c->ok) {
                failed++;
                if ((unsigned)c->error_kind < TDM_ERR_KIND_COUNT)
                    kinds[c->error_kind]++;
            }
            else if (c->m.tokens == 0) {
                no_tokens++;
                no_tokens_ttft += !isnan(c->m.ttft_ms);
            }
            rc += c->m.cold_load;
            untimed += c->ok && c->m.no_server_timings;
            /* an import keeps only the first token's arrival: its count never matches */
            rm += !legacy && c->m.token_mismatch;
        }
        cold += rc;
        cold_runs += rc > 0;
        mismatch += rm;
        mismatch_runs += rm > 0;
    }
    if (cold)
        tdm_rep_caveat_add(an, "cold_loads",
                           "%zu of %zu measured calls (in %zu run%s) had a cold model load (server load_duration > 1 "
                           "s). They are left out of the per-call statistics, but their time is inside the wall "
                           "times, speedup and efficiency of those runs.",
                           cold, measured, cold_runs, cold_runs == 1 ? "" : "s");
    if (untimed)
        tdm_rep_caveat_add(an, "no_server_timings",
                           "%zu of %zu measured calls came from a server that gives no timings (api: openai: its "
                           "usage block has token counts only; of the OpenAI-compatible servers only llama-server "
                           "sends durations). Server TTFT, client gap and the server's decode rate are not measured "
                           "for them; the client's own TTFT, inter-token latency and decode rate are.",
                           untimed, measured);
    if (failed) {
        tdm_buf b = {0};
        int k = 0;
        for (int e = 0; e < TDM_ERR_KIND_COUNT; e++)
            if (kinds[e])
                tdm_buf_printf(&b, "%s%zu %s", k++ ? ", " : "", kinds[e], tdm_error_kind_name((tdm_error_kind)e));
        tdm_rep_caveat_add(an, "failed_calls",
                           "%zu of %zu measured calls failed (%s); their runs are incomplete and their wall times "
                           "do not measure the full work.",
                           failed, measured, tdm_buf_str(&b));
        tdm_buf_free(&b);
    }
    if (no_tokens)
        tdm_rep_caveat_add(an, "no_token_calls",
                           "%zu of %zu measured calls completed without generating a token: a call without a "
                           "token has no TTFT, so they are not in the TTFT statistics, but their time is inside "
                           "their runs' wall times.%s",
                           no_tokens, measured,
                           no_tokens_ttft ? " Some of them still carry a TTFT (seed data imported before "
                                            "import-chimera left it out): import the seed's results again."
                                          : "");
    if (mismatch)
        tdm_rep_caveat_add(an, "token_mismatches",
                           "In %zu calls (%zu run%s) the server's eval_count differs from the token events the "
                           "client saw; the server's count is used as the token count.",
                           mismatch, mismatch_runs, mismatch_runs == 1 ? "" : "s");
}

static void output_length_caveats(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    size_t phase_runs = 0, phase_off = 0, agent_off = 0, with_agents = 0;
    double lo = INFINITY, hi = -INFINITY, worst_agent = 0;
    for (size_t r = 0; r < ds->n_runs; r++) {
        const tdm_rep_run *run = &ds->runs[r];
        if (run->has_sequential && run->has_concurrent && run->tokens_seq > 0 && run->tokens_conc > 0) {
            phase_runs++;
            double ratio = (double)run->tokens_conc / (double)run->tokens_seq;
            if (fabs(ratio - 1.0) > PHASE_TOKEN_TOLERANCE) {
                phase_off++;
                lo = fmin(lo, ratio);
                hi = fmax(hi, ratio);
            }
        }
        if (isfinite(run->tokens_agent_ratio)) {
            with_agents++;
            if (run->tokens_agent_ratio > AGENT_TOKEN_RATIO)
                agent_off++;
            worst_agent = fmax(worst_agent, run->tokens_agent_ratio);
        }
    }
    if (phase_off)
        tdm_rep_caveat_add(an, "phase_output_imbalance",
                           "In %zu of %zu runs the concurrent phase generated more than %.0f%% more or fewer tokens "
                           "than the sequential phase (concurrent/sequential from %.2f to %.2f): speedup and "
                           "efficiency compare unequal work there; throughput_gain corrects for it.",
                           phase_off, phase_runs, PHASE_TOKEN_TOLERANCE * 100, lo, hi);
    if (agent_off)
        tdm_rep_caveat_add(an, "agent_output_imbalance",
                           "In %zu of %zu runs one agent generated more than %.1f times the tokens of another "
                           "(up to %.2f times): the agents did unequal work, which lowers legacy efficiency and "
                           "raises imbalance regardless of the runtime.",
                           agent_off, with_agents, AGENT_TOKEN_RATIO, worst_agent);
    /* num_predict fixes the output length (METRICS.md: strongly recommended) */
    size_t unfixed = 0, tandem_dirs = 0;
    for (size_t i = 0; i < ds->n_dirs; i++) {
        json_t *agents = json_object_get(json_object_get(ds->dirs[i].prov, "scenario"), "agents");
        size_t k;
        json_t *a;
        bool all = json_array_size(agents) > 0;
        json_array_foreach(agents, k, a)
        all = all && json_is_number(json_object_get(json_object_get(a, "options"), "num_predict"));
        tandem_dirs++;
        unfixed += !all;
    }
    if (unfixed)
        tdm_rep_caveat_add(an, "num_predict_unset",
                           "%zu of %zu run directories did not fix the output length (num_predict unset for some "
                           "agent): output lengths drift between phases, agents and runs.",
                           unfixed, tandem_dirs);
}

static void provenance_caveats(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    size_t unpinned = 0;
    strset why = {0};
    for (size_t i = 0; i < ds->n_dirs; i++)
        if (ds->dirs[i].unpinned) {
            unpinned++;
            strset_add(&why, ds->dirs[i].unpinned);
        }
    if (unpinned) {
        tdm_buf b = {0};
        for (size_t i = 0; i < why.n && i < 3; i++)
            tdm_buf_printf(&b, "%s%s", i ? "; " : "", why.v[i]);
        if (why.n > 3)
            tdm_buf_printf(&b, "; and %zu more", why.n - 3);
        tdm_rep_caveat_add(an, "unpinned",
                           "%zu of %zu run directories are not pinned to a recorded server version and model digest "
                           "(%s): they cannot be tied to the exact server and weights.",
                           unpinned, ds->n_dirs, tdm_buf_str(&b));
        tdm_buf_free(&b);
    }
    strset_free(&why);
    size_t no_seq = 0, tandem_runs = 0, legacy_runs = 0;
    for (size_t r = 0; r < ds->n_runs; r++) {
        if (ds->dirs[ds->runs[r].dir].legacy) {
            legacy_runs++;
            continue;
        }
        tandem_runs++;
        no_seq += !ds->runs[r].has_sequential || !ds->runs[r].has_concurrent;
    }
    if (no_seq)
        tdm_rep_caveat_add(an, "missing_phase",
                           "%zu of %zu runs lack the sequential or the concurrent phase: their speedup and "
                           "efficiency are undefined.",
                           no_seq, tandem_runs);
    if (legacy_runs) {
        tdm_rep_caveat_add(an, "legacy_only_metric",
                           "%zu runs were imported from the seed harness, which never ran a sequential phase: for "
                           "them efficiency_pct, speedup and throughput gain are unknown, and only legacy "
                           "efficiency exists. Legacy efficiency measures how evenly the agents' runs overlap, not "
                           "a gain from running together: two agents that share one GPU and each run at half speed "
                           "still score about 100%%.",
                           legacy_runs);
        if (tandem_runs)
            tdm_rep_caveat_add(an, "mixed_sources",
                               "Imported seed runs and tandem's own runs measure different programs; variants of "
                               "the two sources are never compared with each other here (use --baseline-dir for "
                               "that).");
    }
    /* the seed's published efficiency, recomputed from the imported records */
    an->legacy_max_abs_diff = 0;
    size_t off = 0;
    for (size_t r = 0; r < ds->n_runs; r++) {
        const tdm_rep_run *run = &ds->runs[r];
        if (!isfinite(run->reported_legacy_eff))
            continue;
        an->legacy_checked++;
        double d = fabs(run->v[TDM_M_LEGACY_EFFICIENCY] - run->reported_legacy_eff);
        if (!(d <= LEGACY_TOLERANCE))
            off++;
        if (!(d <= an->legacy_max_abs_diff))
            an->legacy_max_abs_diff = d;
    }
    if (off)
        tdm_rep_caveat_add(an, "legacy_not_reproduced",
                           "For %zu of %zu imported runs the legacy efficiency recomputed from the records differs "
                           "from the seed's own efficiency_percent by more than %g pp (largest difference %g pp).",
                           off, an->legacy_checked, LEGACY_TOLERANCE, an->legacy_max_abs_diff);
    size_t synthetic = 0;
    for (size_t i = 0; i < ds->n_dirs; i++) {
        const char *t = jstr(ds->dirs[i].prov, "legacy", "timeline", NULL);
        synthetic += t && strncmp(t, "synthetic", 9) == 0;
    }
    if (synthetic)
        tdm_rep_caveat_add(an, "legacy_synthetic_timeline",
                           "%zu imported run directories had no per-agent end timestamps: their agents are placed "
                           "as if released together, which keeps legacy efficiency exact but says nothing about "
                           "the order the agents ran in.",
                           synthetic);
    size_t no_warmup = 0;
    for (size_t i = 0; i < ds->n_dirs; i++)
        no_warmup += !ds->dirs[i].legacy &&
                     json_is_false(json_object_get(json_object_get(ds->dirs[i].prov, "scenario"), "warmup"));
    if (no_warmup)
        tdm_rep_caveat_add(an, "no_warmup",
                           "%zu run directories ran without the warm-up call: the first measured call may include "
                           "a model load.",
                           no_warmup);
    /* Only an explicit "held none" counts: runs from before server_lock existed, and
     * clients that do not record it, say nothing either way. */
    size_t unlocked = 0;
    for (size_t i = 0; i < ds->n_dirs; i++) {
        json_t *lock = json_object_get(ds->dirs[i].prov, "server_lock");
        unlocked += json_is_object(lock) && json_is_null(json_object_get(lock, "taken_by"));
    }
    if (unlocked)
        tdm_rep_caveat_add(an, "unlocked_servers",
                           "%zu of %zu run directories were measured with --no-lock and no sweep holding their "
                           "servers: nothing kept another measurement on the same host off those servers meanwhile "
                           "(provenance.json server_lock).",
                           unlocked, ds->n_dirs);
}

static void design_caveats(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    size_t small = 0;
    for (size_t c = 0; c < ds->n_cells; c++)
        small += ds->cells[c].n_runs < 3;
    if (small)
        tdm_rep_caveat_add(an, "small_cells",
                           "%zu of %zu cells have fewer than 3 runs: their intervals are wide or undefined and "
                           "tests on them can detect only large differences.",
                           small, ds->n_cells);
    for (size_t v = 0; v < ds->n_variants; v++) {
        int ref = an->reference[v];
        if (ref == (int)v)
            continue;
        if (an->variants[v].n_configs != an->variants[ref].n_configs)
            tdm_rep_caveat_add(an, "unbalanced_design",
                               "%s ran %zu configurations and its reference %s ran %zu: the pooled comparison uses "
                               "only the configurations both ran.",
                               ds->variants[v].label, an->variants[v].n_configs, ds->variants[ref].label,
                               an->variants[ref].n_configs);
    }
    bool ref_found[2] = {false, false}, group_present[2] = {false, false};
    for (size_t v = 0; v < ds->n_variants; v++) {
        int g = ds->variants[v].legacy;
        group_present[g] = true;
        if (an->settings.reference && strcmp(ds->variants[v].name, an->settings.reference) == 0)
            ref_found[g] = true;
    }
    for (int g = 0; g < 2; g++)
        if (group_present[g] && !ref_found[g]) {
            for (size_t v = 0; v < ds->n_variants; v++)
                if (ds->variants[v].legacy == g) {
                    tdm_rep_caveat_add(an, "reference_missing",
                                       "The reference variant %s has no %s runs here; %s is used as the reference "
                                       "instead.",
                                       an->settings.reference ? an->settings.reference : "(none)",
                                       g ? "imported" : "tandem", ds->variants[v].label);
                    break;
                }
        }
    if (ds->n_skipped)
        tdm_rep_caveat_add(an, "skipped_files",
                           "%zu result files or directories could not be used and were skipped (listed under "
                           "Provenance).",
                           ds->n_skipped);
}

#define ANOMALIES_LISTED 3 /* per caveat: the rest are counted (a caveat is one paragraph) */

/* The flags of one cell's runs: its runs are peers (the runs averaged together), and
 * run_index in each flag is the position in the cell. Returns 0 or -1. */
static int cell_anomalies(const tdm_rep_dataset *ds, const tdm_rep_cell *cell, tdm_anomaly_list *l)
{
    tdm_anomaly_run *ar = calloc(cell->n_runs ? cell->n_runs : 1, sizeof *ar);
    if (!ar)
        return -1;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < cell->n_runs; k++) {
        const tdm_rep_run *run = &ds->runs[cell->runs[k]];
        ar[k] = (tdm_anomaly_run){run->run, run->n_agents, run->v[TDM_M_EFFICIENCY], run->v[TDM_M_T_SEQ],
                                  run->v[TDM_M_T_CONC]};
        for (size_t i = run->first_call; rc == 0 && i < run->first_call + run->n_calls; i++) {
            const tdm_rep_call *c = &ds->calls[i];
            rc = tdm_anomaly_find_call(&c->m, k, run->run, c->phase, c->agent, c->step, l);
        }
    }
    if (rc == 0)
        rc = tdm_anomaly_find_runs(ar, cell->n_runs, l);
    tdm_anomaly_list_sort(l);
    free(ar);
    return rc;
}

/* The cell's mean of one run-level metric over all its runs, or only the unflagged. */
static double cell_mean(const tdm_rep_dataset *ds, const tdm_rep_cell *cell, const tdm_anomaly_list *l, int metric,
                        bool all, size_t *n)
{
    double sum = 0;
    *n = 0;
    for (size_t k = 0; k < cell->n_runs; k++) {
        double v = ds->runs[cell->runs[k]].v[metric];
        if (isfinite(v) && (all || !tdm_anomaly_list_has_run(l, k))) {
            sum += v;
            (*n)++;
        }
    }
    return *n ? sum / (double)*n : NAN;
}

static const char *pct(char *buf, size_t len, double v)
{
    if (isfinite(v))
        snprintf(buf, len, "%.1f%%", v);
    else
        snprintf(buf, len, "undefined");
    return buf;
}

/* A caveat per kind of anomaly, naming each flagged run with its evidence, and one with
 * each affected cell's mean efficiency with and without its flagged runs. */
static void anomaly_caveats(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf kinds[TDM_ANOMALY_KIND_COUNT] = {{0}}, means = {0};
    size_t count[TDM_ANOMALY_KIND_COUNT] = {0}, runs[TDM_ANOMALY_KIND_COUNT] = {0}, cells = 0;
    for (size_t c = 0; c < ds->n_cells; c++) {
        const tdm_rep_cell *cell = &ds->cells[c];
        tdm_anomaly_list l = {0};
        if (cell_anomalies(ds, cell, &l) != 0 || l.n == 0) {
            tdm_anomaly_list_free(&l);
            continue;
        }
        for (size_t i = 0; i < l.n; i++) {
            const tdm_anomaly *a = &l.v[i];
            const tdm_rep_run *run = &ds->runs[cell->runs[a->run_index]];
            int k = (int)a->kind;
            bool new_run = true;
            for (size_t j = 0; j < i; j++)
                new_run = new_run && !(l.v[j].kind == a->kind && l.v[j].run_index == a->run_index);
            runs[k] += new_run;
            if (count[k]++ >= ANOMALIES_LISTED)
                continue;
            tdm_buf_printf(&kinds[k], "%s%s (%s, %s) ", count[k] > 1 ? " " : "", ds->dirs[run->dir].path,
                           ds->variants[cell->variant].label, ds->configs[cell->config]);
            tdm_anomaly_describe(a, a->agent >= 0 ? tdm_rep_agent_name(ds, run, a->agent) : NULL, &kinds[k]);
        }
        /* seed imports have no efficiency_pct: their cells are given on the legacy metric */
        size_t n_all, n_kept;
        int metric = TDM_M_EFFICIENCY;
        double m_all = cell_mean(ds, cell, &l, metric, true, &n_all);
        if (n_all == 0)
            m_all = cell_mean(ds, cell, &l, metric = TDM_M_LEGACY_EFFICIENCY, true, &n_all);
        double m_kept = cell_mean(ds, cell, &l, metric, false, &n_kept);
        char with[32], without[32];
        if (cells++ < 2 * ANOMALIES_LISTED)
            tdm_buf_printf(&means, "%s%s, %s: %s %s over all %zu runs, %s over the %zu without a flag",
                           cells > 1 ? "; " : "", ds->variants[cell->variant].label, ds->configs[cell->config],
                           tdm_rep_metric(metric)->key, pct(with, sizeof with, m_all), n_all,
                           pct(without, sizeof without, m_kept), n_kept);
        tdm_anomaly_list_free(&l);
    }
    static const char *const what[TDM_ANOMALY_KIND_COUNT] = {
        "efficiency above 100 %: the agents seem faster together than alone, so something else slowed the "
        "sequential phase",
        "a stalled stream: a gap between two token events far above the call's median inter-token latency",
        "a phase far longer than in the other runs of its cell",
    };
    for (int k = 0; k < TDM_ANOMALY_KIND_COUNT; k++) {
        if (count[k])
            tdm_rep_caveat_add(an, tdm_anomaly_kind_name((tdm_anomaly_kind)k) /* the summary's key */,
                               "Anomaly, %zu flag%s in %zu run%s (%s), kept in every table and mean: %s%s",
                               count[k], count[k] == 1 ? "" : "s", runs[k], runs[k] == 1 ? "" : "s", what[k],
                               tdm_buf_str(&kinds[k]),
                               count[k] > ANOMALIES_LISTED ? " And more not listed here." : "");
        tdm_buf_free(&kinds[k]);
    }
    if (cells)
        tdm_rep_caveat_add(an, "anomaly_means",
                           "The mean of the %zu cell%s with flagged runs, with and without them: %s%s.", cells,
                           cells == 1 ? "" : "s", tdm_buf_str(&means),
                           cells > 2 * ANOMALIES_LISTED ? "; and more cells" : "");
    tdm_buf_free(&means);
}

int tdm_rep_find_caveats(tdm_rep_analysis *an)
{
    anomaly_caveats(an);
    call_caveats(an);
    output_length_caveats(an);
    provenance_caveats(an);
    library_caveats(an);
    design_caveats(an);
    return 0;
}

/* Here, beside the caveats found in the data, so that the parts of the analysis that
 * add caveats of their own (gpu.c) call a file below the analysis, never the analysis. */
void tdm_rep_caveat_add(tdm_rep_analysis *an, const char *kind, const char *fmt, ...)
{
    if (an->n_caveats == an->cap_caveats) {
        size_t cap = an->cap_caveats ? an->cap_caveats * 2 : 16;
        tdm_rep_caveat *p = realloc(an->caveats, cap * sizeof *p);
        if (!p)
            return;
        an->caveats = p;
        an->cap_caveats = cap;
    }
    tdm_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    char tmp[2048];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    tdm_buf_append_str(&b, tmp);
    tdm_rep_caveat *c = &an->caveats[an->n_caveats++];
    c->kind = tdm_rep_strdup(kind);
    c->text = tdm_buf_steal(&b);
}
