/* axes.c — the points of an experiment's axes (see experiment.h): the value of each axis
 * at a point, and what every configuration is at every point, worked out once when the
 * experiment is loaded. A point that changes the scenario (agents: sets a template's
 * agent_count, servers_per_gpu: keeps the first k endpoints) gets its own rewritten
 * scenario text, loaded and validated here, so a count the template cannot take is
 * reported before the sweep starts, and each point's servers are known for its pins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/scenario.h"
#include "sweep/experiment.h"
#include "sweep/experiment_int.h"

static const char *const axis_names[TDM_AXIS_COUNT] = {"agents", "num_predict", "arrival_rate", "num_parallel",
                                                        "servers_per_gpu"};
static const char *const axis_labels[TDM_AXIS_COUNT] = {"agents", "predict", "rate", "np", "spg"};

const char *tdm_sweep_axis_name(tdm_sweep_axis_id a)
{
    return a < TDM_AXIS_COUNT ? axis_names[a] : "?";
}

const char *tdm_sweep_axis_label(tdm_sweep_axis_id a)
{
    return a < TDM_AXIS_COUNT ? axis_labels[a] : "?";
}

double tdm_sweep_axis_value_number(tdm_sweep_axis_id a, int64_t v)
{
    return a == TDM_AXIS_ARRIVAL_RATE ? (double)v / 1000.0 : (double)v;
}

const char *tdm_sweep_axis_value_text(tdm_sweep_axis_id a, int64_t v, bool for_id, char *buf, size_t len)
{
    if (a != TDM_AXIS_ARRIVAL_RATE) {
        snprintf(buf, len, "%lld", (long long)v);
        return buf;
    }
    snprintf(buf, len, "%lld", (long long)(v / 1000));
    int64_t frac = v % 1000;
    if (frac) {
        /* the thousandths without trailing zeros: 2500 -> "2.5", 125 -> "0.125" */
        char digits[8];
        snprintf(digits, sizeof digits, "%03lld", (long long)frac);
        for (size_t k = strlen(digits); k > 0 && digits[k - 1] == '0'; k--)
            digits[k - 1] = '\0';
        size_t used = strlen(buf);
        snprintf(buf + used, len > used ? len - used : 0, "%s%s", for_id ? "p" : ".", digits);
    }
    return buf;
}

char *tdm_sweep_point_desc(const tdm_experiment *e, size_t point, bool server_only)
{
    tdm_buf b = {0};
    tdm_buf_append_str(&b, "");
    for (int a = server_only ? TDM_AXIS_FIRST_SERVER : 0; a < TDM_AXIS_COUNT; a++) {
        int64_t val;
        char t[48];
        if (tdm_sweep_point_value(e, point, (tdm_sweep_axis_id)a, &val))
            tdm_buf_printf(&b, "%s%s=%s", b.len ? " " : "", tdm_sweep_axis_name((tdm_sweep_axis_id)a),
                           tdm_sweep_axis_value_text((tdm_sweep_axis_id)a, val, false, t, sizeof t));
    }
    return tdm_buf_steal(&b);
}

bool tdm_sweep_has_server_axes(const tdm_experiment *e)
{
    for (int a = TDM_AXIS_FIRST_SERVER; a < TDM_AXIS_COUNT; a++)
        if (e->axes[a].n)
            return true;
    return false;
}

/* Mixed radix over the axes given, the first axis fastest; the server-side axes come
 * after the client-side ones, so they change slowest and p / n_client_points is the group. */
bool tdm_sweep_point_value(const tdm_experiment *e, size_t p, tdm_sweep_axis_id a, int64_t *v)
{
    if (a >= TDM_AXIS_COUNT || !e->axes[a].n)
        return false;
    for (int k = 0; k < (int)a; k++)
        if (e->axes[k].n)
            p /= e->axes[k].n;
    *v = e->axes[a].values[p % e->axes[a].n];
    return true;
}

void tdm_sweep_count_points(tdm_experiment *e)
{
    e->n_points = 1;
    e->n_client_points = 1;
    for (int a = 0; a < TDM_AXIS_COUNT; a++) {
        size_t n = e->axes[a].n ? e->axes[a].n : 1;
        e->n_points *= n;
        if (a < TDM_AXIS_FIRST_SERVER)
            e->n_client_points *= n;
    }
}

void tdm_sweep_points_free(tdm_sweep_config *cf, size_t n_points)
{
    for (size_t p = 0; cf->points && p < n_points; p++) {
        tdm_sweep_point *pt = &cf->points[p];
        free(pt->yaml);
        for (size_t u = 0; u < pt->n_urls; u++)
            free(pt->urls[u]);
        free(pt->urls);
    }
    free(cf->points);
    cf->points = NULL;
}

static int add_url(char ***urls, size_t *n, const char *u)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*urls)[i], u) == 0)
            return 0;
    char **v = realloc(*urls, (*n + 1) * sizeof *v);
    if (!v)
        return -1;
    *urls = v;
    if (!(v[*n] = strdup(u)))
        return -1;
    (*n)++;
    return 0;
}

/* Trailing slashes off, as the experiment's own URLs. */
static int add_trimmed(char ***urls, size_t *n, const char *u)
{
    char *t = strdup(u);
    if (!t)
        return -1;
    size_t len = strlen(t);
    while (len > 8 && t[len - 1] == '/')
        t[--len] = '\0';
    int rc = add_url(urls, n, t);
    free(t);
    return rc;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    tdm_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (tdm_buf_append(&b, chunk, n) != 0)
            break;
    bool bad = ferror(f) || !feof(f);
    fclose(f);
    if (bad) {
        tdm_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    if (!b.data && tdm_buf_append(&b, "", 0) != 0)
        return NULL;
    return tdm_buf_steal(&b);
}

/* One point of a scenario file the axes rewrite: the text, then the scenario it loads as. */
static int file_point(tdm_experiment *e, tdm_sweep_config *cf, const char *text, size_t len, size_t p,
                      const char *f, const char *src, tdm_buf *problems)
{
    tdm_sweep_point *pt = &cf->points[p];
    tdm_scenario_override ov = {0, 0, 0.0};
    int64_t v;
    if (tdm_sweep_point_value(e, p, TDM_AXIS_AGENTS, &v))
        ov.agent_count = (long)v;
    if (tdm_sweep_point_value(e, p, TDM_AXIS_SERVERS_PER_GPU, &v))
        ov.endpoints_limit = (size_t)v;
    if (tdm_sweep_point_value(e, p, TDM_AXIS_ARRIVAL_RATE, &v))
        ov.arrival_rate = tdm_sweep_axis_value_number(TDM_AXIS_ARRIVAL_RATE, v);
    char err[2048];
    if (tdm_scenario_yaml_override(text, len, cf->scenario_path, &ov, &pt->yaml, &pt->yaml_len, err, sizeof err)) {
        tdm_buf_printf(problems, "%s: %s.scenario: %s\n", src, f, err);
        return 1;
    }
    tdm_scenario s;
    if (tdm_scenario_load_string(pt->yaml, pt->yaml_len, cf->scenario_path, &s, err, sizeof err) != 0) {
        char *at = tdm_sweep_point_desc(e, p, false);
        tdm_buf_printf(problems, "%s: %s.scenario: at %s: %s\n", src, f, at ? at : "this point", err);
        free(at);
        return 1;
    }
    pt->n_agents = s.n_agents;
    for (size_t i = 0; i < s.n_agents; i++) {
        pt->calls_per_run += s.agents[i].n_steps;
        if (add_trimmed(&pt->urls, &pt->n_urls, s.agents[i].url) != 0 ||
            add_trimmed(&cf->urls, &cf->n_urls, s.agents[i].url) != 0) {
            tdm_scenario_free(&s);
            return -1;
        }
    }
    tdm_scenario_free(&s);
    return 0;
}

int tdm_sweep_resolve_points(tdm_experiment *e, tdm_sweep_config *cf, const char *f, const char *src,
                             tdm_buf *problems)
{
    if (!(cf->points = calloc(e->n_points, sizeof *cf->points)))
        return -1;
    bool rewrite =
        e->axes[TDM_AXIS_AGENTS].n || e->axes[TDM_AXIS_SERVERS_PER_GPU].n || e->axes[TDM_AXIS_ARRIVAL_RATE].n;
    if (rewrite && cf->builtin) {
        tdm_buf_printf(problems,
                       "%s: %s: the built-in scenario %s has two fixed agents, so axes agents: and servers_per_gpu: "
                       "cannot change it; use a scenario file with agent_template:, agent_count: and endpoints: "
                       "(experiments/scenarios/gain-sim.yaml)\n",
                       src, f, cf->builtin);
        return 1;
    }
    if (!rewrite || !cf->scenario_path) {
        /* Every point is the configuration as loaded. */
        for (size_t p = 0; p < e->n_points; p++) {
            tdm_sweep_point *pt = &cf->points[p];
            pt->n_agents = cf->n_agents;
            pt->calls_per_run = cf->calls_per_run;
            for (size_t u = 0; u < cf->n_urls; u++)
                if (add_url(&pt->urls, &pt->n_urls, cf->urls[u]) != 0)
                    return -1;
        }
        return 0;
    }
    size_t len = 0;
    char *text = read_all(cf->scenario_path, &len);
    if (!text) {
        tdm_buf_printf(problems, "%s: %s.scenario: cannot read %s again; check it is a readable file\n", src, f,
                       cf->scenario_path);
        return 1;
    }
    int bad = 0;
    for (size_t p = 0; p < e->n_points; p++) {
        int rc = file_point(e, cf, text, len, p, f, src, problems);
        if (rc < 0) {
            free(text);
            return -1;
        }
        if (rc > 0) {
            bad = 1; /* one message per configuration is enough: the next points fail alike */
            break;
        }
    }
    free(text);
    return bad;
}

char *tdm_sweep_group_env(const tdm_experiment *e, size_t g)
{
    size_t p = g * e->n_client_points;
    tdm_buf b = {0};
    int64_t v;
    tdm_buf_printf(&b, "TANDEM_SWEEP_GROUP=%zu", g + 1);
    if (tdm_sweep_point_value(e, p, TDM_AXIS_NUM_PARALLEL, &v))
        tdm_buf_printf(&b, " OLLAMA_NUM_PARALLEL=%lld TANDEM_OLLAMA_NUM_PARALLEL=%lld TANDEM_NUM_PARALLEL=%lld",
                       (long long)v, (long long)v, (long long)v);
    if (tdm_sweep_point_value(e, p, TDM_AXIS_SERVERS_PER_GPU, &v))
        tdm_buf_printf(&b, " TANDEM_SERVERS=%lld", (long long)v);
    return tdm_buf_steal(&b);
}
