/* hosts.c — the machines results come from (see hosts.h). */
#include "report/hosts.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

const char *tdm_rep_dir_host(const tdm_rep_dataset *ds, size_t d)
{
    const char *h = json_string_value(json_object_get(json_object_get(ds->dirs[d].prov, "host"), "hostname"));
    return h && *h ? h : "unknown";
}

/* Appends s to a sorted list of distinct strings. */
static void add_sorted(char ***v, size_t *n, const char *s)
{
    size_t i = 0;
    while (i < *n && strcmp((*v)[i], s) < 0)
        i++;
    if (i < *n && strcmp((*v)[i], s) == 0)
        return;
    char **p = realloc(*v, (*n + 1) * sizeof *p);
    char *copy = strdup(s);
    if (!p || !copy) {
        free(copy);
        if (p)
            *v = p;
        return;
    }
    memmove(p + i + 1, p + i, (*n - i) * sizeof *p);
    p[i] = copy;
    *v = p;
    (*n)++;
}

/* The digest a server reported for a model, shortened as Ollama shows it. */
static const char *digest_of(json_t *servers, const char *url, const char *model)
{
    size_t i;
    json_t *s;
    json_array_foreach(servers, i, s)
    {
        const char *u = json_string_value(json_object_get(s, "url"));
        if (u && url && strcmp(u, url) == 0)
            return json_string_value(json_object_get(json_object_get(s, "models"), model));
    }
    return NULL;
}

/* What must match to pool two directories' runs (hosts.h): "key: value" facts, sorted.
 * A fact the provenance cannot give (no GPU telemetry, say) is left out, not "unknown":
 * it then matches whatever another run of the host says. */
static char **facts_of(json_t *prov, size_t *n)
{
    json_t *host = json_object_get(prov, "host"), *gpu = json_object_get(prov, "gpu");
    json_t *servers = json_object_get(prov, "servers");
    char **facts = NULL;
    *n = 0;
    char line[512];
    const char *cpu = json_string_value(json_object_get(host, "cpu_model"));
    json_int_t cpus = json_integer_value(json_object_get(host, "cpus_online"));
    if (cpu) {
        snprintf(line, sizeof line, "cpu: %s x %lld", cpu, (long long)cpus);
        add_sorted(&facts, n, line);
    }
    size_t i;
    json_t *g;
    const char *driver = json_string_value(json_object_get(gpu, "driver_version"));
    json_array_foreach(json_object_get(gpu, "gpus"), i, g)
    {
        const char *name = json_string_value(json_object_get(g, "name"));
        snprintf(line, sizeof line, "gpu %zu: %s, driver %s", i, name ? name : "unknown", driver ? driver : "unknown");
        add_sorted(&facts, n, line);
    }
    json_t *a;
    json_array_foreach(json_object_get(json_object_get(prov, "scenario"), "agents"), i, a)
    {
        const char *url = json_string_value(json_object_get(a, "url"));
        const char *model = json_string_value(json_object_get(a, "model"));
        json_t *s;
        size_t k;
        json_array_foreach(servers, k, s)
        {
            const char *u = json_string_value(json_object_get(s, "url"));
            const char *v = json_string_value(json_object_get(s, "version"));
            if (!u || !url || !v || strcmp(u, url) != 0)
                continue;
            snprintf(line, sizeof line, "server version: %s", v);
            add_sorted(&facts, n, line);
        }
        const char *d = model ? digest_of(servers, url, model) : NULL;
        if (d) {
            snprintf(line, sizeof line, "model %s: %.12s", model, d);
            add_sorted(&facts, n, line);
        }
    }
    return facts;
}

/* "key" of "key: value": the text before the last ": " (model names hold colons). */
static size_t key_len(const char *fact)
{
    const char *p = NULL;
    for (const char *q = strstr(fact, ": "); q; q = strstr(q + 1, ": "))
        p = q;
    return p ? (size_t)(p - fact) : strlen(fact);
}

/* Two sets of facts conflict when they give one key different values. Several server
 * versions are several facts of one key; they conflict only when the sets differ. */
static bool conflict(char *const *a, size_t na, char *const *b, size_t nb)
{
    for (size_t i = 0; i < na; i++) {
        size_t ka = key_len(a[i]);
        bool key_in_b = false, same = false;
        for (size_t j = 0; j < nb; j++) {
            if (key_len(b[j]) != ka || strncmp(a[i], b[j], ka) != 0)
                continue;
            key_in_b = true;
            same = same || strcmp(a[i], b[j]) == 0;
        }
        if (key_in_b && !same)
            return true;
    }
    return false;
}

static void free_facts(char **f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(f[i]);
    free(f);
}

static char *join_facts(char *const *f, size_t n)
{
    tdm_buf b = {0};
    for (size_t k = 0; k < n; k++)
        tdm_buf_printf(&b, "%s%s", k ? "; " : "", f[k]);
    if (!n)
        tdm_buf_append_str(&b, "unknown");
    return tdm_buf_steal(&b);
}

void tdm_rep_hosts_free(tdm_rep_hosts *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->hosts[i].name);
        free(h->hosts[i].identity);
        free_facts(h->hosts[i].facts, h->hosts[i].n_facts);
    }
    free(h->hosts);
    free(h->run_host);
    memset(h, 0, sizeof *h);
}

/* The entry of a run: its host's name, with facts that do not conflict (merged into it). */
static long place_run(tdm_rep_hosts *h, const char *name, char **facts, size_t n)
{
    for (size_t i = 0; i < h->n; i++) {
        tdm_rep_host *e = &h->hosts[i];
        if (strcmp(e->name, name) != 0 || conflict(e->facts, e->n_facts, facts, n))
            continue;
        for (size_t k = 0; k < n; k++)
            add_sorted(&e->facts, &e->n_facts, facts[k]);
        free_facts(facts, n);
        return (long)i;
    }
    tdm_rep_host *p = realloc(h->hosts, (h->n + 1) * sizeof *p);
    if (p)
        h->hosts = p;
    char *copy = p ? strdup(name) : NULL;
    if (!copy) {
        free_facts(facts, n);
        return -1;
    }
    h->hosts[h->n] = (tdm_rep_host){.name = copy, .facts = facts, .n_facts = n};
    return (long)h->n++;
}

int tdm_rep_hosts_find(const tdm_rep_dataset *ds, bool pool, tdm_rep_hosts *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    h->metric = -1;
    h->host_effect = h->variant_effect = NAN;
    h->run_host = malloc((ds->n_runs ? ds->n_runs : 1) * sizeof *h->run_host);
    if (!h->run_host)
        return -1;
    for (size_t r = 0; r < ds->n_runs; r++) {
        size_t n;
        char **facts = facts_of(ds->dirs[ds->runs[r].dir].prov, &n);
        long k = place_run(h, tdm_rep_dir_host(ds, ds->runs[r].dir), facts, n);
        if (k < 0)
            return -1;
        h->run_host[r] = k;
        h->hosts[k].n_runs++;
    }
    bool conflicts = false;
    for (size_t i = 0; i < h->n; i++) {
        if (!(h->hosts[i].identity = join_facts(h->hosts[i].facts, h->hosts[i].n_facts)))
            return -1;
        for (size_t j = 0; j < i; j++)
            conflicts = conflicts || conflict(h->hosts[i].facts, h->hosts[i].n_facts, h->hosts[j].facts,
                                              h->hosts[j].n_facts);
    }
    h->n_identities = 1;
    if (!conflicts)
        return 0;
    for (size_t i = 1; i < h->n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(h->hosts[i].identity, h->hosts[j].identity) == 0;
        h->n_identities += !seen;
    }
    if (pool) {
        h->pooled = true;
        return 0;
    }
    tdm_buf b = {0};
    tdm_buf_printf(&b, "the results come from %zu kinds of host, and pooling them would credit the hosts' "
                       "difference to the variants:",
                   h->n_identities);
    for (size_t i = 0; i < h->n; i++)
        tdm_buf_printf(&b, "\n  - %s (%zu runs): %s", h->hosts[i].name, h->hosts[i].n_runs, h->hosts[i].identity);
    tdm_buf_append_str(&b, "\nreport each kind of host on its own (one results directory per host), or pass "
                           "--pool-hosts to pool them anyway (the report then says so)");
    snprintf(err, errlen, "%s", b.data ? b.data : "hosts differ");
    tdm_buf_free(&b);
    return 1;
}

/* The mean of metric over a cell's runs on host k (k < 0: every host); NaN: none. */
static double cell_mean(const tdm_rep_dataset *ds, const tdm_rep_cell *cell, int metric, const long *host_of,
                        long k)
{
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < cell->n_runs; i++) {
        const tdm_rep_run *r = &ds->runs[cell->runs[i]];
        if (isnan(r->v[metric]) || ds->dirs[r->dir].legacy || (k >= 0 && host_of[cell->runs[i]] != k))
            continue;
        sum += r->v[metric];
        n++;
    }
    return n ? sum / (double)n : NAN;
}

/* Within each configuration, so hosts that ran different configurations are not
 * mistaken for a host effect: per cell, the spread of its host means; per configuration,
 * the spread of its variants' means. Each averaged. */
void tdm_rep_hosts_effect(const tdm_rep_dataset *ds, int metric, tdm_rep_hosts *h)
{
    h->metric = metric;
    if (metric < 0 || h->n < 2 || ds->n_cells == 0 || !h->run_host)
        return;
    const long *host_of = h->run_host;
    double host_sum = 0, var_sum = 0;
    size_t host_n = 0, var_n = 0;
    bool *counted = calloc((size_t)ds->n_variants + 1, sizeof *counted);
    for (size_t c = 0; c < ds->n_cells && counted; c++) {
        double lo = INFINITY, hi = -INFINITY;
        size_t hosts = 0;
        for (size_t k = 0; k < h->n; k++) {
            double m = cell_mean(ds, &ds->cells[c], metric, host_of, (long)k);
            if (isnan(m))
                continue;
            lo = m < lo ? m : lo;
            hi = m > hi ? m : hi;
            hosts++;
        }
        if (hosts >= 2) {
            host_sum += hi - lo;
            host_n++;
            counted[ds->cells[c].variant] = true;
        }
        /* the first cell of each configuration: the spread of its variants' means */
        if (c > 0 && ds->cells[c - 1].config == ds->cells[c].config)
            continue;
        double vlo = INFINITY, vhi = -INFINITY;
        size_t nv = 0;
        for (size_t d = c; d < ds->n_cells && ds->cells[d].config == ds->cells[c].config; d++) {
            double m = cell_mean(ds, &ds->cells[d], metric, host_of, -1);
            if (isnan(m))
                continue;
            vlo = m < vlo ? m : vlo;
            vhi = m > vhi ? m : vhi;
            nv++;
        }
        if (nv >= 2) {
            var_sum += vhi - vlo;
            var_n++;
        }
    }
    for (size_t v = 0; counted && v < ds->n_variants; v++)
        h->n_variants += counted[v];
    if (host_n)
        h->host_effect = host_sum / (double)host_n;
    if (var_n)
        h->variant_effect = var_sum / (double)var_n;
    free(counted);
}
