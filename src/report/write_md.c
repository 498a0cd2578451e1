/* write_md.c — the Technical Report in Markdown: summary and recommendation, method
 * (what was measured, N, phases, controls, versions and pins, and what the equivalence
 * verdicts mean), a table per metric, the GPU section (write_md_gpu.c), comparisons in
 * words and against their margins, baselines, caveats found in the data, provenance and
 * figures.
 * Every number comes from the analysis; every string from results is escaped. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/output.h"

#define PROMPT_CHARS 80

static void md(tdm_buf *b, const char *s)
{
    tdm_rep_md_text(b, s);
}

static void fmt(tdm_buf *b, double v, int decimals)
{
    char x[64];
    tdm_buf_append_str(b, tdm_rep_fmt(x, sizeof x, v, decimals));
}

static void ci(tdm_buf *b, double lo, double hi, int decimals)
{
    if (isnan(lo) || isnan(hi)) {
        tdm_buf_append_str(b, "n/a");
        return;
    }
    fmt(b, lo, decimals);
    tdm_buf_append_str(b, " – ");
    fmt(b, hi, decimals);
}

static void pval(tdm_buf *b, double p)
{
    char x[32];
    tdm_buf_append_str(b, tdm_rep_fmt_p(x, sizeof x, p));
}

static const char *unit_suffix(const tdm_rep_metric_def *d)
{
    return strcmp(d->unit, "%") == 0 ? "pp" : d->unit;
}

static bool metric_has_data(const tdm_rep_analysis *an, int m)
{
    for (size_t v = 0; v < an->ds->n_variants; v++)
        for (int ph = 0; ph < TDM_REP_NPHASE; ph++)
            if (an->variants[v].pooled.m[m][ph].desc.n > 0)
                return true;
    return false;
}

static const tdm_rep_dir *first_dir_of_config(const tdm_rep_dataset *ds, int config)
{
    for (size_t c = 0; c < ds->n_cells; c++)
        if (ds->cells[c].config == config && ds->cells[c].n_runs > 0)
            return &ds->dirs[ds->runs[ds->cells[c].runs[0]].dir];
    return NULL;
}

/* ---- sections ------------------------------------------------------------------- */

static void summary_section(tdm_buf *b, const tdm_rep_analysis *an)
{
    tdm_buf_append_str(b, "## Summary\n\n");
    /* open-loop runs and workflows first: their findings are what the efficiency verdict
     * below cannot say (nothing at all in reports without them) */
    tdm_rep_md_open_loop_summary(b, an);
    tdm_rep_md_workflows_summary(b, an);
    md(b, an->summary);
    tdm_buf_append_str(b, "\n\n");
    if (an->verdict_grid)
        tdm_buf_append_str(b, an->verdict_grid); /* Markdown already, its labels escaped (verdict_grid.c) */
    if (an->confidence && *an->confidence) {
        md(b, an->confidence);
        tdm_buf_append_str(b, "\n\n");
    }
    if (an->legacy_note) {
        md(b, an->legacy_note);
        tdm_buf_append_str(b, "\n\n");
    }
    if (an->n_caveats)
        tdm_buf_printf(b, "%zu caveats found in the data limit these findings; see [Caveats](#caveats).\n\n",
                       an->n_caveats);
}

/* What the equivalence verdicts mean, once, with the margins this report used. */
static void method_equivalence(tdm_buf *b, const tdm_rep_analysis *an)
{
    double a = an->settings.alpha;
    int ci = (int)lround(100.0 * (1.0 - 2.0 * a));
    tdm_buf_append_str(b, "- **Practical size:** significant is not the same as large: with enough runs, a difference "
                          "of a fraction of a percentage point is significant. So each metric with an equivalence "
                          "margin ±M (the largest difference too small to matter) is also judged by Schuirmann's two "
                          "one-sided tests (TOST) on Welch's t: ");
    tdm_buf_printf(b, "the difference is shown to lie within ±M when its %d%% CI lies entirely inside ±M, i.e. when "
                      "both one-sided tests reject at alpha = %g (TOST p, the larger of their two p-values, < %g; "
                      "not Holm-adjusted, so each such statement holds at alpha on its own). With the significance "
                      "test, that gives one verdict per comparison: ",
                   ci, a, a);
    tdm_buf_printf(b, "*equivalent within ±M* (no significant difference, and shown within ±M); *different, but "
                      "within ±M* (significant, yet shown smaller than the margin: real, but too small to matter at "
                      "that margin); *different by more than ±M* (significant, and the %d%% CI lies entirely outside "
                      "±M); *different, possibly by more than ±M* (significant, and the %d%% CI reaches across the "
                      "margin); *inconclusive at ±M* (neither: the data cannot tell whether the difference exists or "
                      "whether it matters). Margins used: ",
                   ci, ci);
    bool any = false;
    tdm_buf none = {0};
    for (int m = 0; m < TDM_M_COUNT; m++) {
        const tdm_rep_margin *mg = &an->settings.margin[m];
        if (!(mg->value > 0.0)) {
            tdm_buf_printf(&none, "%s%s", none.len ? ", " : "", tdm_rep_metric(m)->key);
            continue;
        }
        char t[64];
        tdm_buf_printf(b, "%s%s %s%s", any ? ", " : "", tdm_rep_metric(m)->key,
                       tdm_rep_margin_text(t, sizeof t, m, mg), mg->relative ? " (of the compared-with variant's mean)" : "");
        any = true;
    }
    if (!any)
        tdm_buf_append_str(b, "none");
    if (none.len)
        tdm_buf_printf(b, "; none for %s (no verdict is given for them)", tdm_buf_str(&none));
    tdm_buf_append_str(b, ". Change them with --margin KEY=VALUE.\n\n");
    tdm_buf_free(&none);
}

static void method_measured(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    size_t both = 0, legacy = 0, tandem = 0, calls = 0;
    for (size_t r = 0; r < ds->n_runs; r++) {
        if (ds->dirs[ds->runs[r].dir].legacy)
            legacy++;
        else
            tandem++;
        both += ds->runs[r].has_sequential && ds->runs[r].has_concurrent;
        calls += ds->runs[r].calls;
    }
    tdm_buf_append_str(b, "## Method\n\n### What was measured\n\n");
    tdm_buf_printf(b,
                   "- **Data:** %zu runs in %zu cells (%zu variants x %zu configurations) from %zu run directories: "
                   "%zu runs measured by tandem, %zu imported from the seed harness; %zu measured calls.\n",
                   ds->n_runs, ds->n_cells, ds->n_variants, ds->n_configs, ds->n_dirs, tandem, legacy, calls);
    tdm_buf_printf(b,
                   "- **Phases:** a tandem run makes a warm-up call per agent (kept, not measured), then a "
                   "sequential phase (each agent alone, in a seeded shuffled order: T_seq = sum of the agents' "
                   "times) and a concurrent phase (all agents released from one barrier: T_conc = barrier to last "
                   "agent done). %zu of %zu runs have both phases. The seed harness ran only the concurrent phase.\n",
                   both, ds->n_runs);
    tdm_buf_append_str(b,
                       "- **Run-level metrics** (one value per run; the run is the unit): speedup = T_seq / T_conc; "
                       "efficiency = 100 x speedup / N; throughput gain = (tokens/s together) / (tokens/s alone); "
                       "legacy efficiency = 100 x sum T_conc_i / (N x T_conc), the seed's overlap measure, not a "
                       "gain. All are recomputed here from each run's raw records.json with the same code the run "
                       "used (summary.json is never read).\n");
    tdm_buf_append_str(b,
                       "- **Per-call metrics** (pooled over the calls of a cell and phase; failed calls and cold "
                       "loads, load_duration > 1 s, left out): client TTFT, median inter-token latency per call, "
                       "server decode rate (eval_count / eval_duration) and client gap (TTFT - server TTFT). Calls "
                       "are never used as samples of a run-level metric.\n");
    tdm_buf_printf(b,
                   "- **Statistics:** per cell n, mean, median, sample sd, CV, min, max, p5/p95; %.0f%% CIs of the "
                   "mean by Student t and by a seeded percentile bootstrap (%u resamples, seed %llu, one stream per "
                   "sample). Differences: Welch's t-test (with the CI of the difference) and Mann-Whitney U (exact "
                   "without ties up to 20 per group, else normal with tie correction), Holm-adjusted within each "
                   "family (one per scope, metric and phase), with Hedges' g and Cliff's delta as effect sizes. A "
                   "difference is called significant only when the Holm-adjusted Welch p < %g.\n",
                   100.0 * (1.0 - an->settings.alpha), an->settings.resamples,
                   (unsigned long long)an->settings.seed, an->settings.alpha);
    method_equivalence(b, an);
}

static void options_text(tdm_buf *b, json_t *opts)
{
    const char *k;
    json_t *v;
    int n = 0;
    json_object_foreach(opts, k, v)
    {
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        tdm_buf_printf(b, "%s", n++ ? ", " : "");
        md(b, k);
        tdm_buf_append_str(b, "=");
        md(b, s ? s : "?");
        free(s);
    }
    if (n == 0)
        tdm_buf_append_str(b, "server defaults");
}

/* Agents generated from one template (an open-loop scenario's arrivals, or a template
 * copied N times) are listed as one row once there are more than this many: hundreds of
 * identical rows would bury the configurations. Hand-written scenarios have a few agents. */
#define TEMPLATE_ROWS 8

/* How many agents from index i on were generated from one template: named <t>-1, <t>-2,
 * ... in order, with the same server, model, API and options (their steps are drawn from
 * the template's pool). 1 when agents[i] does not start such a run. */
static size_t template_run(json_t *agents, size_t i)
{
    json_t *a0 = json_array_get(agents, i);
    const char *name = json_string_value(json_object_get(a0, "name"));
    size_t len = name ? strlen(name) : 0;
    if (len < 3 || strcmp(name + len - 2, "-1") != 0)
        return 1;
    size_t plen = len - 2, n = 1;
    static const char *const same[] = {"url", "model", "api", "options"};
    for (json_t *a; (a = json_array_get(agents, i + n)) != NULL; n++) {
        const char *nm = json_string_value(json_object_get(a, "name"));
        char *end;
        /* digits only from 1 on: strtoul alone would take " 2", "+2" or "02" */
        if (!nm || strncmp(nm, name, plen) != 0 || nm[plen] != '-' || nm[plen + 1] < '1' || nm[plen + 1] > '9' ||
            strtoul(nm + plen + 1, &end, 10) != n + 1 || *end)
            break;
        bool alike = true;
        for (size_t k = 0; k < sizeof same / sizeof *same; k++) {
            json_t *x = json_object_get(a0, same[k]), *y = json_object_get(a, same[k]);
            alike = alike && (x == y || (x && y && json_equal(x, y)));
        }
        if (!alike)
            break;
    }
    return n;
}

/* Whether a step name already appears among agents [first, i) or earlier in agent i. */
static bool step_listed(json_t *agents, size_t first, size_t i, size_t k, const char *name)
{
    for (size_t j = first; j <= i; j++) {
        json_t *steps = json_object_get(json_array_get(agents, j), "steps");
        size_t n = j < i ? json_array_size(steps) : k;
        for (size_t s = 0; s < n; s++) {
            const char *o = json_string_value(json_object_get(json_array_get(steps, s), "name"));
            if (o && name && strcmp(o, name) == 0)
                return true;
        }
    }
    return false;
}

/* One row: agents [i, i + n) of a configuration, one agent when n is 1; a template's run
 * as its first and last names and its steps' pool, each name once in the order drawn. */
static void agent_row(tdm_buf *b, const char *config, const char *scenario, json_t *sc, size_t i, size_t n)
{
    json_t *agents = json_object_get(sc, "agents");
    json_t *a = json_array_get(agents, i);
    tdm_buf_append_str(b, "| ");
    md(b, config);
    tdm_buf_append_str(b, " | ");
    md(b, scenario);
    tdm_buf_append_str(b, " | ");
    md(b, json_string_value(json_object_get(a, "name")));
    if (n > 1) {
        tdm_buf_append_str(b, " .. ");
        md(b, json_string_value(json_object_get(json_array_get(agents, i + n - 1), "name")));
        tdm_buf_printf(b, " (%zu %s)", n,
                       json_is_object(json_object_get(sc, "arrivals")) ? "open-loop arrivals" : "agents from one template");
    }
    tdm_buf_append_str(b, " | ");
    md(b, json_string_value(json_object_get(a, "url")));
    tdm_buf_append_str(b, " | ");
    md(b, json_string_value(json_object_get(a, "model")));
    tdm_buf_append_str(b, " | ");
    options_text(b, json_object_get(a, "options"));
    tdm_buf_append_str(b, " | ");
    bool any = false;
    for (size_t j = i; j < i + n; j++) {
        size_t k;
        json_t *st;
        json_array_foreach(json_object_get(json_array_get(agents, j), "steps"), k, st)
        {
            const char *name = json_string_value(json_object_get(st, "name"));
            if (n > 1 && step_listed(agents, i, j, k, name))
                continue;
            if (any)
                tdm_buf_append_str(b, ", ");
            any = true;
            md(b, name);
        }
    }
    tdm_buf_append_str(b, " | ");
    const char *prompt = json_string_value(json_object_get(json_array_get(json_object_get(a, "steps"), 0), "prompt"));
    if (prompt) {
        /* cut on a character boundary */
        size_t len = strlen(prompt), cut = len > PROMPT_CHARS ? PROMPT_CHARS : len;
        while (cut < len && ((unsigned char)prompt[cut] & 0xc0) == 0x80)
            cut++;
        char *p = strndup(prompt, cut);
        md(b, p);
        free(p);
        if (cut < len)
            tdm_buf_append_str(b, "...");
    }
    tdm_buf_append_str(b, " |\n");
}

static void method_configs(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf_append_str(b, "### Configurations and agents\n\n");
    tdm_buf_append_str(b, "As recorded in the provenance of the first run directory of each configuration (prompts "
                          "cut to their first " "80 characters).\n\n");
    tdm_buf_append_str(b, "| configuration | scenario | agent | server | model | options | steps | first prompt |\n"
                          "|---|---|---|---|---|---|---|---|\n");
    for (size_t c = 0; c < ds->n_configs; c++) {
        const tdm_rep_dir *d = first_dir_of_config(ds, (int)c);
        if (!d)
            continue;
        json_t *sc = json_object_get(d->prov, "scenario");
        size_t n_agents = json_array_size(json_object_get(sc, "agents"));
        for (size_t i = 0; i < n_agents;) {
            size_t n = template_run(json_object_get(sc, "agents"), i);
            n = n > TEMPLATE_ROWS ? n : 1;
            agent_row(b, ds->configs[c], d->scenario, sc, i, n);
            i += n;
        }
    }
    tdm_buf_append_str(b, "\n");
}

static const char *jstr(json_t *doc, const char *a, const char *b2, const char *c)
{
    json_t *v = json_object_get(doc, a);
    if (b2)
        v = json_object_get(v, b2);
    if (c)
        v = json_object_get(v, c);
    return json_string_value(v);
}

static void method_versions(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf_append_str(b, "### Versions and pins\n\n");
    tdm_buf_append_str(b, "One row per variant and distinct build, from provenance.json.\n\n");
    tdm_buf_append_str(b, "| variant | runtime | HTTP client | libuv | jansson | libcyaml | compiler, flags | tandem "
                          "| Ollama | run dirs | pinned |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t v = 0; v < ds->n_variants; v++) {
        /* distinct builds of the variant, in directory order */
        const tdm_rep_dir *seen[64];
        size_t n_seen = 0, counts[64] = {0}, pinned[64] = {0};
        for (size_t i = 0; i < ds->n_dirs; i++) {
            const tdm_rep_dir *d = &ds->dirs[i];
            if (d->variant_idx != (int)v)
                continue;
            size_t k;
            for (k = 0; k < n_seen; k++) {
                json_t *x = seen[k]->prov, *y = d->prov;
                static const char *const keys[] = {"runtime", "build", "libraries", "tandem_version"};
                bool same = true;
                for (size_t q = 0; q < 4 && same; q++)
                    same = json_equal(json_object_get(x, keys[q]), json_object_get(y, keys[q])) ||
                           (!json_object_get(x, keys[q]) && !json_object_get(y, keys[q]));
                if (same)
                    break;
            }
            if (k == n_seen && n_seen < 64)
                seen[n_seen++] = d;
            if (k < 64) {
                counts[k]++;
                pinned[k] += d->unpinned == NULL;
            }
        }
        for (size_t k = 0; k < n_seen; k++) {
            json_t *p = seen[k]->prov;
            bool legacy = seen[k]->legacy;
            tdm_buf_append_str(b, "| ");
            md(b, ds->variants[v].label);
            tdm_buf_append_str(b, " | ");
            const char *rt = jstr(p, "runtime", "runtime", NULL);
            md(b, rt ? rt : "?");
            json_t *threads = json_object_get(json_object_get(p, "runtime"), "threads");
            if (json_is_integer(threads))
                tdm_buf_printf(b, " (%lld thread%s)", (long long)json_integer_value(threads),
                               json_integer_value(threads) == 1 ? "" : "s");
            const char *rust = jstr(p, "runtime", "rust_version", NULL);
            if (legacy && rust && *rust) {
                tdm_buf_append_str(b, ", Rust ");
                md(b, rust);
            }
            tdm_buf_append_str(b, " | ");
            const char *cl = jstr(p, "runtime", "http", "client"), *cv = jstr(p, "runtime", "http", "version");
            json_t *bs = json_object_get(json_object_get(json_object_get(p, "runtime"), "http"), "buffer_size");
            md(b, cl ? cl : "not recorded");
            if (cv) {
                tdm_buf_append_str(b, " ");
                md(b, cv);
            }
            if (json_is_integer(bs))
                tdm_buf_printf(b, ", %lld-byte reads", (long long)json_integer_value(bs));
            tdm_buf_append_str(b, " | ");
            const char *uv = jstr(p, "runtime", "libuv_version", NULL);
            md(b, uv ? uv : "-");
            tdm_buf_append_str(b, " | ");
            const char *ja = jstr(p, "libraries", "jansson", NULL), *cy = jstr(p, "libraries", "libcyaml", NULL);
            md(b, ja ? ja : "-");
            tdm_buf_append_str(b, " | ");
            md(b, cy ? cy : "-");
            tdm_buf_append_str(b, " | ");
            const char *cc = jstr(p, "build", "compiler", NULL), *fl = jstr(p, "build", "flags", NULL);
            md(b, cc ? cc : "not recorded");
            if (fl) {
                tdm_buf_append_str(b, ", ");
                md(b, fl);
            }
            tdm_buf_append_str(b, " | ");
            const char *tv = jstr(p, "tandem_version", NULL, NULL);
            if (legacy)
                tdm_buf_append_str(b, "imported");
            else
                md(b, tv ? tv : "-");
            tdm_buf_append_str(b, " | ");
            size_t i;
            json_t *s;
            tdm_buf vers = {0};
            json_array_foreach(json_object_get(p, "servers"), i, s)
            {
                const char *ver = json_string_value(json_object_get(s, "version"));
                if (ver && !strstr(tdm_buf_str(&vers), ver)) {
                    tdm_buf_append_str(&vers, vers.len ? ", " : "");
                    tdm_buf_append_str(&vers, ver);
                }
            }
            md(b, vers.len ? tdm_buf_str(&vers) : "not recorded");
            tdm_buf_free(&vers);
            tdm_buf_printf(b, " | %zu | %zu of %zu |\n", counts[k], pinned[k], counts[k]);
        }
    }
    tdm_buf_append_str(b, "\n");
}

static void sample_cells(tdm_buf *b, const tdm_rep_sample *s, int dec)
{
    tdm_buf_printf(b, " | %zu | ", s->desc.n);
    fmt(b, s->desc.mean, dec);
    tdm_buf_append_str(b, " | ");
    ci(b, s->ci_t.lo, s->ci_t.hi, dec);
    tdm_buf_append_str(b, " | ");
    ci(b, s->ci_boot.lo, s->ci_boot.hi, dec);
    tdm_buf_append_str(b, " | ");
    fmt(b, s->desc.sd, dec);
    tdm_buf_append_str(b, " | ");
    fmt(b, s->desc.median, dec);
    tdm_buf_append_str(b, " | ");
    fmt(b, s->desc.min, dec);
    tdm_buf_append_str(b, " | ");
    fmt(b, s->desc.max, dec);
    tdm_buf_append_str(b, " |\n");
}

static void metric_tables(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    int level = (int)lround(100.0 * (1.0 - an->settings.alpha));
    tdm_buf_append_str(b, "## Results\n\n");
    tdm_buf missing = {0};
    for (int m = 0; m < TDM_M_COUNT; m++) {
        const tdm_rep_metric_def *d = tdm_rep_metric(m);
        if (!metric_has_data(an, m)) {
            tdm_buf_printf(&missing, "%s%s", missing.len ? ", " : "", d->key);
            continue;
        }
        int ph = d->per_call ? TDM_REP_CONC : 0;
        tdm_buf_printf(b, "### %s", d->label);
        if (*d->unit)
            tdm_buf_printf(b, ", %s", d->unit);
        tdm_buf_append_str(b, "\n\n");
        if (d->per_call)
            tdm_buf_append_str(b, "Concurrent phase, pooled over the calls of each cell (failed calls and cold loads "
                                  "left out; the sequential phase is in cells.csv and analysis.json).\n\n");
        else
            tdm_buf_append_str(b, "One value per run.\n\n");
        tdm_buf_printf(b, "| variant | configuration | n | mean | %d%% CI (t) | %d%% CI (bootstrap) | sd | median | "
                          "min | max |\n|---|---|---|---|---|---|---|---|---|---|\n",
                       level, level);
        for (size_t c = 0; c < ds->n_cells; c++) {
            const tdm_rep_sample *s = &an->cells[c].m[m][ph];
            if (s->desc.n == 0)
                continue;
            tdm_buf_append_str(b, "| ");
            md(b, ds->variants[ds->cells[c].variant].label);
            tdm_buf_append_str(b, " | ");
            md(b, ds->configs[ds->cells[c].config]);
            sample_cells(b, s, d->decimals);
        }
        for (size_t v = 0; v < ds->n_variants; v++) {
            const tdm_rep_sample *s = &an->variants[v].pooled.m[m][ph];
            /* a variant of one configuration: its pooled row repeats its cell */
            if (s->desc.n == 0 || an->variants[v].n_configs < 2)
                continue;
            tdm_buf_append_str(b, "| **");
            md(b, ds->variants[v].label);
            tdm_buf_append_str(b, "** | all");
            sample_cells(b, s, d->decimals);
        }
        tdm_buf_append_str(b, "\n");
        if (!d->per_call && ds->n_configs > 1) {
            tdm_buf_append_str(b, "Over the per-configuration means of each variant (each configuration weighs "
                                  "the same):\n\n| variant | configurations | max | mean | sd | min |\n"
                                  "|---|---|---|---|---|---|\n");
            for (size_t v = 0; v < ds->n_variants; v++) {
                const tdm_stats_desc *cm = &an->variants[v].config_means[m];
                if (cm->n == 0)
                    continue;
                tdm_buf_append_str(b, "| ");
                md(b, ds->variants[v].label);
                tdm_buf_printf(b, " | %zu | ", cm->n);
                fmt(b, cm->max, d->decimals);
                tdm_buf_append_str(b, " | ");
                fmt(b, cm->mean, d->decimals);
                tdm_buf_append_str(b, " | ");
                fmt(b, cm->sd, d->decimals);
                tdm_buf_append_str(b, " | ");
                fmt(b, cm->min, d->decimals);
                tdm_buf_append_str(b, " |\n");
            }
            tdm_buf_append_str(b, "\n");
        }
    }
    if (missing.len)
        tdm_buf_printf(b, "Not available in these data (undefined for every run or call): %s.\n\n",
                       tdm_buf_str(&missing));
    tdm_buf_free(&missing);
}

/* An effect size, or "—" where it is undefined (one side constant, or too few values):
 * a blank that says so, never a number that looks measured. */
static void effect(tdm_buf *b, double v)
{
    if (isfinite(v))
        fmt(b, v, 2);
    else
        tdm_buf_append_str(b, "—");
}

static void verdict_words(tdm_buf *b, const tdm_rep_comparison *c)
{
    bool significant = c->significant, mw_significant = c->mw_significant;
    double diff = c->gap.diff, p_holm = c->p_welch_holm;
    if (isnan(p_holm))
        tdm_buf_append_str(b, "not testable (fewer than 2 values)");
    else if (significant)
        tdm_buf_printf(b, "significantly %s", diff > 0 ? "higher" : "lower");
    else
        tdm_buf_append_str(b, "no significant difference");
    /* a test that could not have found anything at these sizes did not disagree */
    if (!isnan(p_holm) && significant != mw_significant)
        tdm_buf_printf(b, " (%s)", mw_significant           ? "Mann-Whitney finds a significant difference"
                                   : !c->mw_reachable ? "too few runs for Mann–Whitney at this correction"
                                                      : "Mann-Whitney does not");
}

static void cmp_row(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_comparison *c, int dec)
{
    tdm_buf_printf(b, " | %zu / %zu | ", c->n_a, c->n_b);
    fmt(b, c->gap.diff, dec);
    tdm_buf_append_str(b, " [");
    ci(b, c->gap.lo, c->gap.hi, dec);
    tdm_buf_append_str(b, "] | ");
    pval(b, c->gap.p);
    tdm_buf_append_str(b, " (");
    pval(b, c->p_welch_holm);
    tdm_buf_append_str(b, ") | ");
    pval(b, c->mw.p);
    tdm_buf_append_str(b, " (");
    pval(b, c->p_mw_holm);
    tdm_buf_append_str(b, ") | ");
    effect(b, c->hedges_g);
    tdm_buf_append_str(b, " | ");
    effect(b, c->cliffs_delta);
    tdm_buf_append_str(b, " | ");
    verdict_words(b, c);
    tdm_buf_append_str(b, " | ");
    if (isnan(c->tost.p))
        tdm_buf_append_str(b, "–");
    else
        pval(b, c->tost.p);
    char w[128];
    tdm_buf_append_str(b, " | ");
    md(b, tdm_rep_equiv_text(w, sizeof w, an, c));
    tdm_buf_append_str(b, " |\n");
}

/* " Against the ±1 pp equivalence margin: 33 equivalent within it; 27 different, but
 * within it." */
static void config_margin_counts(tdm_buf *b, const tdm_rep_analysis *an, int g, int metric)
{
    static const struct {
        tdm_rep_equiv_verdict v;
        const char *words;
    } kinds[] = {{TDM_REP_EQ_EQUIVALENT, "equivalent within it"},
                 {TDM_REP_EQ_WITHIN, "different, but within it"},
                 {TDM_REP_EQ_BEYOND, "different by more than it"},
                 {TDM_REP_EQ_MAYBE_BEYOND, "different, possibly by more than it"},
                 {TDM_REP_EQ_INCONCLUSIVE, "inconclusive"},
                 {TDM_REP_EQ_UNTESTABLE, "not testable"}};
    const tdm_rep_margin *mg = &an->settings.margin[metric];
    if (!(mg->value > 0.0))
        return;
    char t[64];
    tdm_buf_printf(b, " Against the %s equivalence margin:", tdm_rep_margin_text(t, sizeof t, metric, mg));
    size_t shown = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t n = 0;
        for (size_t i = 0; i < an->n_cmp; i++) {
            const tdm_rep_comparison *c = &an->cmp[i];
            n += c->scope == TDM_REP_SCOPE_CONFIG && c->metric == metric && an->ds->variants[c->a].legacy == g &&
                 c->equiv == kinds[k].v;
        }
        if (n)
            tdm_buf_printf(b, "%s %zu %s", shown++ ? ";" : "", n, kinds[k].words);
    }
    tdm_buf_append_str(b, ".");
}

static void comparisons_section(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf_append_str(b, "## Comparisons\n\n");
    bool any = false;
    for (size_t i = 0; i < an->n_cmp && !any; i++)
        any = an->cmp[i].scope == TDM_REP_SCOPE_POOLED;
    if (!any) {
        tdm_buf_append_str(b, "There is only one variant per source, so there is nothing to compare.\n\n");
        return;
    }
    tdm_buf_append_str(b, "### Each variant against its reference, pooled over configurations\n\n");
    tdm_buf_append_str(b, "Differences are variant minus reference, over the configurations both ran; p-values "
                      "are raw with the Holm-adjusted value in parentheses (family: all pooled comparisons of "
                          "the metric). The last two columns judge the difference against the metric's equivalence "
                          "margin (TOST p, and the verdict explained under Method); relative margins are of the "
                          "reference's mean.\n\n");
    tdm_buf_append_str(b, "| metric | variant | reference | n | difference [CI] | Welch p (Holm) | Mann-Whitney p "
                          "(Holm) | Hedges' g | Cliff's delta | verdict | TOST p | practical verdict |\n"
                          "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int m = 0; m < TDM_M_COUNT; m++)
        for (size_t i = 0; i < an->n_cmp; i++) {
            const tdm_rep_comparison *c = &an->cmp[i];
            if (c->scope != TDM_REP_SCOPE_POOLED || c->metric != m)
                continue;
            const tdm_rep_metric_def *d = tdm_rep_metric(m);
            tdm_buf_printf(b, "| %s", d->key);
            if (*d->unit)
                tdm_buf_printf(b, " (%s)", unit_suffix(d));
            tdm_buf_append_str(b, " | ");
            md(b, ds->variants[c->a].label);
            tdm_buf_append_str(b, " | ");
            md(b, ds->variants[c->b].label);
            cmp_row(b, an, c, d->decimals);
        }
    tdm_buf_append_str(b, "\n");
    for (int g = 0; g < 2; g++) {
        int P = an->primary[g];
        if (P < 0)
            continue;
        size_t total = 0, sig = 0;
        for (size_t i = 0; i < an->n_cmp; i++) {
            const tdm_rep_comparison *c = &an->cmp[i];
            if (c->scope == TDM_REP_SCOPE_CONFIG && c->metric == P && ds->variants[c->a].legacy == g) {
                total++;
                sig += c->significant;
            }
        }
        if (total == 0)
            continue;
        const tdm_rep_metric_def *d = tdm_rep_metric(P);
        tdm_buf_printf(b, "### Within each configuration: %s%s\n\n", d->key, g ? " (imported seed runs)" : "");
        tdm_buf_printf(b, "Every pair of variants in each configuration (family: all %zu such comparisons of this "
                          "metric). %zu of them %s significant after Holm's correction.",
                       total, sig, sig == 1 ? "is" : "are");
        config_margin_counts(b, an, g, P);
        tdm_buf_append_str(b, " The same comparisons for every other metric are in comparisons.csv and "
                              "analysis.json.\n\n");
        tdm_buf_append_str(b, "| configuration | a | b | n | a - b [CI] | Welch p (Holm) | Mann-Whitney p (Holm) | "
                              "Hedges' g | Cliff's delta | verdict | TOST p | practical verdict |\n"
                              "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < an->n_cmp; i++) {
            const tdm_rep_comparison *c = &an->cmp[i];
            if (c->scope != TDM_REP_SCOPE_CONFIG || c->metric != P || ds->variants[c->a].legacy != g)
                continue;
            tdm_buf_append_str(b, "| ");
            md(b, ds->configs[c->config]);
            tdm_buf_append_str(b, " | ");
            md(b, ds->variants[c->a].label);
            tdm_buf_append_str(b, " | ");
            md(b, ds->variants[c->b].label);
            cmp_row(b, an, c, d->decimals);
        }
        tdm_buf_append_str(b, "\n");
    }
}

/* Whether a baseline table would have a row: a result of a cell (a configuration), or of
 * a variant pooled over more than one. None when no run has a value of the metric. */
static bool baseline_result_shown(const tdm_rep_analysis *an, const tdm_rep_baseline_result *r)
{
    return r->config >= 0 || an->variants[r->variant].n_configs >= 2;
}

static bool baseline_rows(const tdm_rep_analysis *an)
{
    for (size_t i = 0; i < an->n_base; i++)
        if (baseline_result_shown(an, &an->base[i]))
            return true;
    return false;
}

static void baselines_section(tdm_buf *b, const tdm_rep_analysis *an)
{
    if (an->n_baselines == 0)
        return;
    const tdm_rep_dataset *ds = an->ds;
    const tdm_rep_metric_def *d = tdm_rep_metric(an->settings.baseline_metric);
    tdm_buf_append_str(b, "## Baselines\n\n");
    if (!baseline_rows(an)) {
        /* tables of headers alone would read as a comparison that found nothing */
        tdm_buf_printf(b, "No run has a defined %s (choose another metric with --baseline-metric), so the "
                          "baselines (",
                       d->key);
        for (size_t bi = 0; bi < an->n_baselines; bi++) {
            tdm_buf_append_str(b, bi ? ", " : "");
            md(b, an->baselines[bi].name);
        }
        tdm_buf_append_str(b, ") cannot be compared.\n\n");
        return;
    }
    tdm_buf_printf(b, "Compared on %s (choose with --baseline-metric). A value quoted from another report compares "
                      "like with like only if it was computed with the same definition. Gaps are this data minus "
                      "the baseline; Holm families: each baseline's cells, and each baseline's pooled variants.\n\n",
                   d->key);
    const char *note = tdm_rep_baseline_metric_note(an->settings.baseline_metric);
    if (note)
        tdm_buf_printf(b, "%s\n\n", note);
    for (size_t bi = 0; bi < an->n_baselines; bi++) {
        const tdm_rep_baseline *bl = &an->baselines[bi];
        tdm_buf_append_str(b, "### ");
        md(b, bl->name);
        tdm_buf_append_str(b, "\n\n");
        if (!bl->dir) {
            tdm_buf_append_str(b, "Value ");
            fmt(b, bl->value, d->decimals);
            tdm_buf_printf(b, "%s", strcmp(d->unit, "%") == 0 ? "%" : "");
            if (bl->provenance && *bl->provenance) {
                tdm_buf_append_str(b, " (");
                md(b, bl->provenance);
                tdm_buf_append_str(b, ")");
            }
            tdm_buf_append_str(b, "; one-sample t-test of the runs against it.\n\n");
            tdm_buf_append_str(b, "| variant | configuration | n | mean | gap [CI] | p (Holm) | verdict |\n"
                                  "|---|---|---|---|---|---|---|\n");
        } else {
            tdm_buf_append_str(b, "Results set ");
            md(b, bl->dir);
            tdm_buf_printf(b, " (%zu runs); its runs of the same configuration when it has them, else all of its "
                              "runs.\n\n",
                           bl->set.n_runs);
            tdm_buf_append_str(b, "| variant | configuration | n | mean | baseline n | baseline mean | gap [CI] | "
                                  "Welch p (Holm) | Mann-Whitney p (Holm) | Hedges' g | Cliff's delta | verdict |\n"
                                  "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        }
        for (size_t i = 0; i < an->n_base; i++) {
            const tdm_rep_baseline_result *r = &an->base[i];
            if (r->baseline != (int)bi || !baseline_result_shown(an, r))
                continue;
            tdm_buf_append_str(b, "| ");
            md(b, ds->variants[r->variant].label);
            tdm_buf_append_str(b, " | ");
            if (r->config >= 0)
                md(b, ds->configs[r->config]);
            else
                tdm_buf_append_str(b, "**all**");
            tdm_buf_printf(b, " | %zu | ", r->n);
            fmt(b, r->mean, d->decimals);
            tdm_buf_append_str(b, " | ");
            if (bl->dir) {
                tdm_buf_printf(b, "%zu%s | ", r->n_base, r->matched_config || r->config < 0 ? "" : " (all)");
                fmt(b, r->mean_base, d->decimals);
                tdm_buf_append_str(b, " | ");
            }
            fmt(b, r->gap.diff, d->decimals);
            tdm_buf_append_str(b, " [");
            ci(b, r->gap.lo, r->gap.hi, d->decimals);
            tdm_buf_append_str(b, "] | ");
            pval(b, r->gap.p);
            tdm_buf_append_str(b, " (");
            pval(b, r->p_holm);
            tdm_buf_append_str(b, ") | ");
            if (bl->dir) {
                pval(b, r->mw.p);
                tdm_buf_append_str(b, " (");
                pval(b, r->p_mw_holm);
                tdm_buf_append_str(b, ") | ");
                effect(b, r->hedges_g);
                tdm_buf_append_str(b, " | ");
                effect(b, r->cliffs_delta);
                tdm_buf_append_str(b, " | ");
            }
            if (isnan(r->p_holm))
                tdm_buf_append_str(b, "not testable (fewer than 2 runs)");
            else if (r->significant)
                tdm_buf_printf(b, "significantly %s than the baseline", r->gap.diff > 0 ? "higher" : "lower");
            else
                tdm_buf_append_str(b, "no significant difference from the baseline");
            tdm_buf_append_str(b, " |\n");
        }
        tdm_buf_append_str(b, "\n");
    }
}

static void caveats_section(tdm_buf *b, const tdm_rep_analysis *an)
{
    tdm_buf_append_str(b, "## Caveats\n\n");
    if (an->n_caveats == 0)
        tdm_buf_append_str(b, "None found in the data.\n");
    for (size_t i = 0; i < an->n_caveats; i++) {
        tdm_buf_append_str(b, "- ");
        md(b, an->caveats[i].text);
        tdm_buf_append_str(b, "\n");
    }
    tdm_buf_append_str(b, "\n");
}

static void provenance_section(tdm_buf *b, const tdm_rep_analysis *an, const tdm_rep_meta *meta)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf_append_str(b, "## Provenance\n\n");
    tdm_buf_append_str(b, "Inputs: ");
    for (size_t i = 0; i < meta->n_inputs; i++) {
        tdm_buf_append_str(b, i ? ", " : "");
        md(b, meta->inputs[i]);
    }
    tdm_buf_append_str(b, meta->group_by ? ". Configurations grouped by: " : ".\n\n");
    if (meta->group_by) {
        md(b, meta->group_by);
        tdm_buf_append_str(b, ".\n\n");
    }
    if (an->legacy_checked)
        tdm_buf_printf(b, "The legacy efficiency recomputed from the imported records matches the seed's own "
                          "efficiency_percent in all %zu imported runs to within %.1e pp (largest difference).\n\n",
                       an->legacy_checked, an->legacy_max_abs_diff);
    tdm_buf_append_str(b, "| run directory | variant | configuration | runs | source | started | pinned |\n"
                          "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < ds->n_dirs; i++) {
        const tdm_rep_dir *d = &ds->dirs[i];
        size_t runs = 0;
        for (size_t r = 0; r < ds->n_runs; r++)
            runs += ds->runs[r].dir == i;
        tdm_buf_append_str(b, "| ");
        md(b, d->path);
        tdm_buf_append_str(b, " | ");
        md(b, d->variant);
        tdm_buf_append_str(b, " | ");
        md(b, d->configuration);
        tdm_buf_printf(b, " | %zu | ", runs);
        md(b, d->source);
        tdm_buf_append_str(b, " | ");
        const char *st = json_string_value(json_object_get(d->prov, "started_at"));
        md(b, st ? st : "-");
        tdm_buf_append_str(b, " | ");
        if (d->unpinned) {
            tdm_buf_append_str(b, "no: ");
            md(b, d->unpinned);
        } else {
            tdm_buf_append_str(b, "yes");
        }
        tdm_buf_append_str(b, " |\n");
    }
    tdm_buf_append_str(b, "\n");
    tdm_rep_md_gpu_provenance(b, an);
    if (ds->n_skipped) {
        tdm_buf_append_str(b, "Skipped:\n\n");
        for (size_t i = 0; i < ds->n_skipped; i++) {
            tdm_buf_append_str(b, "- ");
            md(b, ds->skipped[i].path);
            tdm_buf_append_str(b, ": ");
            md(b, ds->skipped[i].reason);
            tdm_buf_append_str(b, "\n");
        }
        tdm_buf_append_str(b, "\n");
    }
}

static void figures_section(tdm_buf *b, const tdm_rep_figures *figs, const tdm_rep_meta *meta)
{
    tdm_buf_append_str(b, "## Figures\n\n");
    if (!figs || figs->n == 0) {
        tdm_buf_append_str(b, meta->no_plots ? "No figures: the report was made with --no-plots.\n\n"
                                             : "No figures: the data hold nothing to plot.\n\n");
        return;
    }
    if (!figs->gnuplot)
        tdm_buf_append_str(b, "gnuplot was not found, so the figures were not rendered; their data files are "
                              "written and each can be rendered later with the command shown.\n\n");
    for (size_t i = 0; i < figs->n; i++) {
        const tdm_rep_figure *f = &figs->f[i];
        tdm_buf cap = {0};
        if (f->caption_from_results)
            md(&cap, f->caption);
        else
            tdm_buf_append_str(&cap, f->caption);
        const char *caption = tdm_buf_str(&cap);
        if (f->rendered) {
            tdm_buf_printf(b, "![%s](%s.svg)\n\n", caption, f->name);
            tdm_buf_printf(b, "*%s.* [SVG](%s.svg), [PNG](%s.png); data: ", caption, f->name, f->name);
        } else {
            tdm_buf_printf(b, "- *%s* (%s): not rendered", caption, f->name);
            if (f->problem) {
                tdm_buf_append_str(b, " — ");
                md(b, f->problem);
            }
            tdm_buf_append_str(b, "; data: ");
        }
        md(b, f->data);
        tdm_buf_printf(b, "; script: plots/%s.gp.\n\n", f->script);
        tdm_buf_free(&cap);
    }
    bool any = false;
    for (size_t i = 0; i < figs->n; i++)
        any |= figs->f[i].vars != NULL;
    if (any) {
        tdm_buf_append_str(b, "To render the figures from their data files, run these commands in this directory, "
                              "with PLOTS set to the artifact's plots/ directory:\n\n```sh\n");
        for (size_t i = 0; i < figs->n; i++)
            if (figs->f[i].vars)
                tdm_buf_printf(b, "gnuplot -e \"dir='$PLOTS/'; %s\" \"$PLOTS/%s.gp\"\n", figs->f[i].vars,
                               figs->f[i].script);
        tdm_buf_append_str(b, "```\n\n");
    }
}

char *tdm_rep_markdown(const tdm_rep_analysis *an, const tdm_rep_meta *meta, const tdm_rep_figures *figs)
{
    tdm_buf b = {0};
    tdm_buf_append_str(&b, "# ");
    md(&b, meta->title);
    tdm_buf_printf(&b, "\n\n*Generated by tandem-report %s from the raw records of %zu runs. Metrics are defined in "
                       "the artifact's metrics section (ARTIFACT.md); the same numbers are in analysis.json, "
                       "cells.csv, runs.csv, calls.csv, comparisons.csv, tails.csv and contention.csv beside this "
                       "file.*\n\n",
                   TDM_VERSION, an->ds->n_runs);
    summary_section(&b, an);
    method_measured(&b, an);
    method_configs(&b, an);
    method_versions(&b, an);
    metric_tables(&b, an);
    tdm_rep_md_tails_section(&b, an);
    tdm_rep_md_curve_section(&b, an);
    tdm_rep_md_open_loop_section(&b, an);
    tdm_rep_md_workflows_section(&b, an);
    tdm_rep_md_gpu_section(&b, an);
    tdm_rep_md_hosts_section(&b, an);
    comparisons_section(&b, an);
    baselines_section(&b, an);
    caveats_section(&b, an);
    provenance_section(&b, an, meta);
    figures_section(&b, figs, meta);
    return tdm_buf_steal(&b);
}
