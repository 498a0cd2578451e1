/* model.c — the report's data model: the metric table, growing the dataset's arrays,
 * freeing it, and name look-ups (see model.h). */
#include "report/model.h"

#include "core/utf8.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const tdm_rep_metric_def metrics[TDM_M_COUNT] = {
    [TDM_M_EFFICIENCY] = {"efficiency_pct", "efficiency (T_seq / T_conc / N)", "%", 2, true, false},
    [TDM_M_SPEEDUP] = {"speedup", "speedup (T_seq / T_conc)", "", 3, true, false},
    [TDM_M_THROUGHPUT_GAIN] = {"throughput_gain", "throughput gain (tokens/s together / alone)", "", 3, true, false},
    [TDM_M_LEGACY_EFFICIENCY] = {"legacy_efficiency_pct", "legacy efficiency (sum T_conc_i / (N T_conc))", "%", 2,
                                 true, false},
    [TDM_M_T_SEQ] = {"t_seq_s", "sequential wall time T_seq", "s", 3, false, false},
    [TDM_M_T_CONC] = {"t_conc_s", "concurrent wall time T_conc", "s", 3, false, false},
    [TDM_M_CLIENT_CPU] = {"client_cpu_us_per_token", "client CPU per token, concurrent phase (the harness's own cost)",
                          "us", 3, false, false},
    [TDM_M_TTFT] = {"ttft_ms", "time to first token (client)", "ms", 1, false, true},
    [TDM_M_ITL_P50] = {"itl_p50_ms", "inter-token latency, median per call", "ms", 2, false, true},
    [TDM_M_DECODE_TPS] = {"decode_tps", "decode rate (server: eval_count / eval_duration)", "tokens/s", 1, true,
                          true},
    [TDM_M_CLIENT_GAP] = {"client_gap_ms", "client gap (TTFT - server TTFT)", "ms", 1, false, true},
};

const tdm_rep_metric_def *tdm_rep_metric(int id)
{
    return id >= 0 && id < TDM_M_COUNT ? &metrics[id] : NULL;
}

int tdm_rep_metric_find(const char *key)
{
    for (int i = 0; key && i < TDM_M_COUNT; i++)
        if (strcmp(metrics[i].key, key) == 0)
            return i;
    return -1;
}

const char *tdm_rep_phase_key(int ph)
{
    return ph == TDM_REP_SEQ ? "sequential" : "concurrent";
}

char *tdm_rep_strdup(const char *s)
{
    return strdup(s ? s : "");
}

char *tdm_rep_utf8_clean(const char *s)
{
    size_t n;
    s = s ? s : "";
    return tdm_utf8_sanitize(s, strlen(s), &n); /* the core's decoder: one for the project */
}

uint64_t tdm_rep_hash(uint64_t h, const char *s)
{
    if (h == 0)
        h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        h ^= *p;
        h *= UINT64_C(0x100000001b3);
    }
    /* a separator, so ("ab", "c") and ("a", "bc") differ */
    h ^= 0xff;
    h *= UINT64_C(0x100000001b3);
    return h;
}

/* Grows an array of elements of size `size` to hold one more; returns the new slot. */
static void *grow(void **arr, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        void *p = realloc(*arr, nc * size);
        if (!p)
            return NULL;
        *arr = p;
        *cap = nc;
    }
    void *slot = (char *)*arr + *n * size;
    memset(slot, 0, size);
    (*n)++;
    return slot;
}

tdm_rep_dir *tdm_rep_add_dir(tdm_rep_dataset *ds)
{
    tdm_rep_dir *d = grow((void **)&ds->dirs, &ds->n_dirs, &ds->cap_dirs, sizeof *ds->dirs);
    if (d)
        d->repetition = -1;
    return d;
}

tdm_rep_run *tdm_rep_add_run(tdm_rep_dataset *ds)
{
    tdm_rep_run *r = grow((void **)&ds->runs, &ds->n_runs, &ds->cap_runs, sizeof *ds->runs);
    if (!r)
        return NULL;
    r->cell = -1;
    for (int ph = 0; ph < TDM_REP_NPHASE; ph++)
        r->gpu.util_pct[ph] = r->gpu.energy_j[ph] = r->gpu.j_per_token[ph] = NAN;
    r->critical_path_s = r->makespan_s = r->ideal_speedup = r->achieved_speedup = NAN;
    r->workflow_efficiency_pct = NAN;
    return r;
}

tdm_rep_call *tdm_rep_add_call(tdm_rep_dataset *ds)
{
    return grow((void **)&ds->calls, &ds->n_calls, &ds->cap_calls, sizeof *ds->calls);
}

void tdm_rep_add_skip(tdm_rep_dataset *ds, const char *path, const char *reason)
{
    tdm_rep_skip *s = grow((void **)&ds->skipped, &ds->n_skipped, &ds->cap_skipped, sizeof *ds->skipped);
    if (!s)
        return;
    s->path = tdm_rep_strdup(path);
    s->reason = tdm_rep_strdup(reason);
}

const char *tdm_rep_agent_name(const tdm_rep_dataset *ds, const tdm_rep_run *r, int agent)
{
    (void)ds;
    if (agent >= 0 && (size_t)agent < r->n_agents && r->agents && r->agents[agent] && r->agents[agent][0])
        return r->agents[agent];
    return "?";
}

const char *tdm_rep_step_name(const tdm_rep_dataset *ds, const tdm_rep_run *r, int agent, int step)
{
    if (agent < 0 || step < 0 || r->dir >= ds->n_dirs)
        return "";
    json_t *agents = json_object_get(json_object_get(ds->dirs[r->dir].prov, "scenario"), "agents");
    json_t *steps = json_object_get(json_array_get(agents, (size_t)agent), "steps");
    const char *name = json_string_value(json_object_get(json_array_get(steps, (size_t)step), "name"));
    return name ? name : "";
}

void tdm_rep_dataset_free(tdm_rep_dataset *ds)
{
    for (size_t i = 0; i < ds->n_dirs; i++) {
        tdm_rep_dir *d = &ds->dirs[i];
        free(d->path);
        json_decref(d->prov);
        free(d->variant);
        free(d->source);
        free(d->configuration);
        free(d->scenario);
        free(d->unpinned);
    }
    free(ds->dirs);
    for (size_t i = 0; i < ds->n_runs; i++) {
        for (size_t a = 0; ds->runs[i].agents && a < ds->runs[i].n_agents; a++)
            free(ds->runs[i].agents[a]);
        free(ds->runs[i].agents);
        free(ds->runs[i].gpu.path);
    }
    free(ds->runs);
    free(ds->calls);
    for (size_t i = 0; i < ds->n_skipped; i++) {
        free(ds->skipped[i].path);
        free(ds->skipped[i].reason);
    }
    free(ds->skipped);
    for (size_t i = 0; i < ds->n_variants; i++) {
        free(ds->variants[i].name);
        free(ds->variants[i].source);
        free(ds->variants[i].label);
    }
    free(ds->variants);
    for (size_t i = 0; i < ds->n_configs; i++)
        free(ds->configs[i]);
    free(ds->configs);
    for (size_t i = 0; i < ds->n_cells; i++)
        free(ds->cells[i].runs);
    free(ds->cells);
    memset(ds, 0, sizeof *ds);
}

double tdm_rep_client_us_per_token(const tdm_rep_run *r)
{
    if (isnan(r->client_cpu_conc_ms) || r->tokens_conc <= 0)
        return NAN;
    return r->client_cpu_conc_ms * 1e3 / (double)r->tokens_conc;
}

bool tdm_rep_dir_open_loop(const tdm_rep_dir *d, double *rate, const char **process)
{
    json_t *arr = json_object_get(json_object_get(d->prov, "scenario"), "arrivals");
    json_t *r = json_object_get(arr, "rate");
    if (!json_is_object(arr) || !json_is_number(r) || !(json_number_value(r) > 0))
        return false;
    if (rate)
        *rate = json_number_value(r);
    if (process) {
        const char *p = json_string_value(json_object_get(arr, "process"));
        *process = p && *p ? p : "unknown";
    }
    return true;
}
