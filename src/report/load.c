/* load.c — run directories found and read, metrics recomputed from raw records with
 * the core's code (see load.h). */
#include "report/load.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "core/metrics.h"
#include "core/rundata.h"
#include "report/gpu.h"
#include "report/group.h"

#define MAX_DEPTH 32

static void warn(tdm_rep_dataset *ds, FILE *log, const char *path, const char *reason)
{
    tdm_rep_add_skip(ds, path, reason);
    if (log)
        fprintf(log, "tandem-report: skipped %s: %s\n", path, reason);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Rejects integers no honest records file holds (see TDM_REP_MAX_ABS_INT). */
static int check_ranges(json_t *v, json_int_t limit, char *err, size_t errlen, int depth)
{
    if (depth > 64) {
        snprintf(err, errlen, "nested too deeply");
        return -1;
    }
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x > limit || x < -limit) {
            snprintf(err, errlen, "integer %lld is out of range", (long long)x);
            return -1;
        }
    } else if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            bool counter = strcmp(k, "server") == 0 || strcmp(k, "bytes") == 0 || strcmp(k, "reads") == 0 ||
                           strcmp(k, "frames") == 0 || strcmp(k, "request_bytes") == 0;
            if (check_ranges(c, counter ? TDM_REP_MAX_COUNTER : limit, err, errlen, depth + 1))
                return -1;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        if (check_ranges(c, limit, err, errlen, depth + 1))
            return -1;
    }
    return 0;
}

/* The seed's reported efficiency of run k of an imported directory, or NaN. */
static double reported_legacy_eff(json_t *prov, int run_no)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(json_object_get(prov, "legacy"), "runs"), i, r)
    {
        if (json_integer_value(json_object_get(r, "run")) != run_no)
            continue;
        json_t *v = json_object_get(json_object_get(r, "summary"), "efficiency_percent");
        if (json_is_number(v))
            return json_number_value(v);
    }
    return NAN;
}

int tdm_rep_load_records(tdm_rep_dataset *ds, size_t dir, int run_no, json_t *doc, double threshold_pct, char *err,
                         size_t errlen)
{
    if (check_ranges(doc, TDM_REP_MAX_ABS_INT, err, errlen, 0))
        return -1;
    tdm_run_data d;
    if (tdm_run_data_from_json(doc, &d, err, errlen) != 0)
        return -1;
    tdm_run_metrics m;
    if (tdm_run_metrics_compute(&d, threshold_pct, &m) != 0) {
        tdm_run_data_free(&d);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t calls_before = ds->n_calls;
    tdm_rep_run *r = tdm_rep_add_run(ds);
    char **names = calloc(d.n_agents ? d.n_agents : 1, sizeof *names);
    if (!r || !names) {
        free(names);
        if (r)
            ds->n_runs--;
        tdm_run_metrics_free(&m);
        tdm_run_data_free(&d);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->dir = dir;
    r->run = run_no;
    r->n_agents = d.n_agents;
    r->agents = names;
    for (size_t a = 0; a < d.n_agents; a++)
        names[a] = tdm_rep_strdup(d.agent_names[a]);
    r->has_sequential = d.has_sequential;
    r->has_concurrent = d.has_concurrent;
    r->v[TDM_M_EFFICIENCY] = m.efficiency_pct;
    r->v[TDM_M_SPEEDUP] = m.speedup;
    r->v[TDM_M_THROUGHPUT_GAIN] = m.throughput_gain;
    r->v[TDM_M_LEGACY_EFFICIENCY] = m.legacy_efficiency_pct;
    r->v[TDM_M_T_SEQ] = m.t_seq_s;
    r->v[TDM_M_T_CONC] = m.t_conc_s;
    r->imbalance = m.imbalance;
    r->legacy_speedup = m.legacy_speedup;
    r->calls = m.calls;
    r->failed_calls = m.failed_calls;
    r->cold_loads = m.cold_loads;
    r->token_mismatches = m.token_mismatches;
    r->complete = m.complete;
    r->workflow = m.workflow;
    r->critical_path_s = m.critical_path_s;
    r->makespan_s = m.makespan_s;
    r->ideal_speedup = m.ideal_speedup;
    r->achieved_speedup = m.achieved_speedup;
    r->workflow_efficiency_pct = m.workflow_efficiency_pct;
    int64_t tmin = INT64_MAX, tmax = 0;
    for (size_t a = 0; a < m.n_agents; a++) {
        r->tokens_seq += m.agents[a].tokens_seq;
        r->tokens_conc += m.agents[a].tokens_conc;
        if (m.agents[a].tokens_conc < tmin)
            tmin = m.agents[a].tokens_conc;
        if (m.agents[a].tokens_conc > tmax)
            tmax = m.agents[a].tokens_conc;
    }
    r->tokens_agent_ratio = d.has_concurrent && m.n_agents > 1 && tmin > 0 ? (double)tmax / (double)tmin : NAN;
    r->reported_legacy_eff = ds->dirs[dir].legacy ? reported_legacy_eff(ds->dirs[dir].prov, run_no) : NAN;
    r->client_cpu_seq_ms = d.has_seq_cpu ? (double)(d.seq_cpu.user_ns + d.seq_cpu.sys_ns) / 1e6 : NAN;
    r->client_cpu_conc_ms = d.has_conc_cpu ? (double)(d.conc_cpu.user_ns + d.conc_cpu.sys_ns) / 1e6 : NAN;
    r->v[TDM_M_CLIENT_CPU] = tdm_rep_client_us_per_token(r);
    tdm_rep_gpu_spans(&r->gpu, &d);
    size_t run_idx = ds->n_runs - 1;
    r->first_call = calls_before;
    for (size_t i = 0; i < d.n_calls; i++) {
        const tdm_call_record *rec = &d.calls[i];
        tdm_rep_call *c = tdm_rep_add_call(ds);
        if (!c)
            break;
        c->run = run_idx;
        c->agent = rec->agent;
        c->step = rec->step;
        c->phase = rec->phase;
        c->ok = rec->ok;
        c->error_kind = rec->error_kind;
        c->bytes = rec->bytes;
        c->reads = rec->reads;
        c->frames = rec->frames;
        c->t_due = rec->t_due;
        c->t_start = rec->t_start;
        c->t_done = rec->t_done;
        tdm_call_metrics_compute(rec, &c->m);
    }
    ds->runs[run_idx].n_calls = ds->n_calls - calls_before;
    tdm_run_metrics_free(&m);
    tdm_run_data_free(&d);
    return 0;
}

/* k of a directory named run_<k> (k >= 1), else 0. */
static int run_number(const char *name)
{
    if (strncmp(name, "run_", 4) != 0 || !name[4])
        return 0;
    long k = 0;
    for (const char *p = name + 4; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        k = k * 10 + (*p - '0');
        if (k > INT_MAX / 10)
            return 0;
    }
    return (int)k;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* Sorted names of the subdirectories of path (not following links). */
static char **list_subdirs(const char *path, size_t *n, bool follow)
{
    *n = 0;
    DIR *dp = opendir(path);
    if (!dp)
        return NULL;
    size_t cap = 16;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    while (names && (e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        char *full = tdm_path_join(path, e->d_name);
        struct stat st;
        int rc = full ? (follow ? stat(full, &st) : lstat(full, &st)) : -1;
        free(full);
        if (rc != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (*n == cap) {
            char **p = realloc(names, cap * 2 * sizeof *names);
            if (!p)
                break;
            names = p;
            cap *= 2;
        }
        if ((names[*n] = strdup(e->d_name)))
            (*n)++;
    }
    closedir(dp);
    if (names)
        qsort(names, *n, sizeof *names, cmp_name);
    return names;
}

/* The GPU telemetry beside the run just added (run_<k>/gpu.csv), when there is one. A
 * file that cannot be read is listed as skipped: the run keeps every other number. */
static void load_gpu(tdm_rep_dataset *ds, const char *path, int k, FILE *log)
{
    tdm_buf gp = {0};
    tdm_buf_printf(&gp, "%s/run_%d/gpu.csv", path, k);
    const char *gpath = tdm_buf_str(&gp);
    if (is_file(gpath)) {
        char err[1024];
        if (tdm_rep_gpu_read(&ds->runs[ds->n_runs - 1].gpu, gpath, err, sizeof err) != 0) {
            char msg[1200];
            snprintf(msg, sizeof msg, "GPU telemetry not used for this run: %s", err);
            warn(ds, log, gpath, msg);
        }
    }
    tdm_buf_free(&gp);
}

/* Reads one run directory: provenance.json, cell.json when present, every
 * run_<k>/records.json (and run_<k>/gpu.csv beside it). */
static long load_dir(tdm_rep_dataset *ds, const char *path, const char *group_by, FILE *log)
{
    char err[1024];
    char *prov_path = tdm_path_join(path, "provenance.json");
    char *cell_path = tdm_path_join(path, "cell.json");
    if (!prov_path || !cell_path) {
        free(prov_path);
        free(cell_path);
        return -1;
    }
    json_t *prov = tdm_read_json_file(prov_path, err, sizeof err);
    if (prov && !json_is_object(prov)) {
        json_decref(prov);
        prov = NULL;
        snprintf(err, sizeof err, "not a JSON object");
    }
    if (!prov) {
        warn(ds, log, prov_path, err);
        free(prov_path);
        free(cell_path);
        return 0;
    }
    json_t *cell = NULL;
    if (is_file(cell_path)) {
        cell = tdm_read_json_file(cell_path, err, sizeof err);
        if (cell && !json_is_object(cell)) {
            json_decref(cell);
            cell = NULL;
            snprintf(err, sizeof err, "not a JSON object");
        }
        if (!cell)
            warn(ds, log, cell_path, err);
    }
    free(prov_path);
    free(cell_path);

    tdm_rep_dir *d = tdm_rep_add_dir(ds);
    if (!d) {
        json_decref(prov);
        json_decref(cell);
        return -1;
    }
    size_t dir_idx = ds->n_dirs - 1;
    d->path = tdm_rep_strdup(path);
    d->prov = prov;
    d->variant = tdm_rep_variant_of(prov, cell);
    const char *src = json_string_value(json_object_get(prov, "source"));
    d->source = tdm_rep_strdup(src && *src ? src : "tandem");
    d->legacy = d->source && strcmp(d->source, "chimera-legacy") == 0;
    d->configuration = tdm_rep_config_key(prov, cell, group_by);
    const char *sc = json_string_value(json_object_get(json_object_get(prov, "scenario"), "name"));
    d->scenario = tdm_rep_strdup(sc);
    json_t *rep = json_object_get(cell, "repetition");
    d->repetition = json_is_integer(rep) && json_integer_value(rep) >= 0 && json_integer_value(rep) < LONG_MAX
                        ? (long)json_integer_value(rep)
                        : -1;
    d->unpinned = tdm_rep_unpinned_reason(prov);
    json_decref(cell);
    if (!d->path || !d->variant || !d->source || !d->configuration || !d->scenario)
        return -1;
    json_t *thr = json_object_get(json_object_get(prov, "scenario"), "contention_threshold_pct");
    double threshold = json_is_number(thr) ? json_number_value(thr) : 10.0;

    size_t n_sub;
    char **subs = list_subdirs(path, &n_sub, false);
    /* numeric order of k, not byte order: run_10 after run_9 */
    int *ks = calloc(n_sub ? n_sub : 1, sizeof *ks);
    size_t n_k = 0;
    for (size_t i = 0; ks && i < n_sub; i++) {
        int k = run_number(subs[i]);
        if (k > 0)
            ks[n_k++] = k;
    }
    for (size_t i = 1; i < n_k; i++)
        for (size_t j = i; j > 0 && ks[j - 1] > ks[j]; j--) {
            int t = ks[j];
            ks[j] = ks[j - 1];
            ks[j - 1] = t;
        }
    free_names(subs, n_sub);
    long added = 0, partial = 0;
    for (size_t i = 0; i < n_k; i++) {
        tdm_buf rp = {0};
        tdm_buf_printf(&rp, "%s/run_%d/records.json", path, ks[i]);
        const char *rpath = tdm_buf_str(&rp);
        if (!is_file(rpath)) {
            warn(ds, log, rpath, "missing (the run did not finish writing?)");
            tdm_buf_free(&rp);
            continue;
        }
        json_t *doc = tdm_read_json_file(rpath, err, sizeof err);
        if (!doc) {
            warn(ds, log, rpath, err);
        } else if (json_is_true(json_object_get(doc, "interrupted"))) {
            /* a partial run: its phases were cut, so its wall times say nothing of the runtime */
            warn(ds, log, rpath, "interrupted (partial run, marked \"interrupted\": true): left out, as the run's "
                                 "own summary leaves it out");
            partial++;
        } else if (tdm_rep_load_records(ds, dir_idx, ks[i], doc, threshold, err, sizeof err) != 0) {
            warn(ds, log, rpath, err);
        } else {
            added++;
            load_gpu(ds, path, ks[i], log);
        }
        json_decref(doc);
        tdm_buf_free(&rp);
    }
    free(ks);
    if (added == 0) {
        if (partial < (long)n_k) /* a directory holding only a partial run was named above */
            warn(ds, log, path, "no usable run_<k>/records.json in this run directory");
        /* drop the directory again: nothing refers to it */
        tdm_rep_dir *last = &ds->dirs[dir_idx];
        free(last->path);
        json_decref(last->prov);
        free(last->variant);
        free(last->source);
        free(last->configuration);
        free(last->scenario);
        free(last->unpinned);
        ds->n_dirs--;
    }
    return added;
}

/* A sweep keeps a failed cell as a hidden .rep<k>.failed/ beside the finished ones: it is
 * not analysed, but the report lists it with the sweep's reason. */
static void note_failed_cells(tdm_rep_dataset *ds, const char *path, FILE *log)
{
    DIR *dp = opendir(path);
    if (!dp)
        return;
    size_t n = 0, cap = 0;
    char **names = NULL;
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] != '.' || len < 8 || strcmp(e->d_name + len - 7, ".failed") != 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            char **p = realloc(names, nc * sizeof *p);
            if (!p)
                break;
            names = p;
            cap = nc;
        }
        if ((names[n] = strdup(e->d_name)))
            n++;
    }
    closedir(dp);
    if (names)
        qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        char *dir = tdm_path_join(path, names[i]);
        char *cell = dir ? tdm_path_join(dir, "cell.json") : NULL;
        char err[512];
        json_t *doc = cell && is_file(cell) ? tdm_read_json_file(cell, err, sizeof err) : NULL;
        if (doc) {
            const char *why = json_string_value(json_object_get(doc, "reason"));
            char msg[1024];
            snprintf(msg, sizeof msg, "a failed sweep cell, not analysed (%s)", why ? why : "no reason recorded");
            warn(ds, log, dir, msg);
        }
        json_decref(doc);
        free(cell);
        free(dir);
    }
    free_names(names, n);
}

static long walk(tdm_rep_dataset *ds, const char *path, const char *group_by, FILE *log, int depth)
{
    char *prov = tdm_path_join(path, "provenance.json");
    bool is_run_dir = prov && is_file(prov);
    free(prov);
    if (is_run_dir)
        return load_dir(ds, path, group_by, log);
    /* A run's records without the provenance that says what ran: counted as skipped with
     * the fix, never dropped without a word. */
    char *rec = tdm_path_join(path, "run_1/records.json");
    bool orphan = rec && is_file(rec);
    free(rec);
    if (orphan) {
        warn(ds, log, path,
             "run_1/records.json without provenance.json beside it, so what ran is unknown and its runs are left "
             "out; the client must write provenance.json (docs/records.md; tandem-report check names what is "
             "missing)");
        return 0;
    }
    if (depth >= MAX_DEPTH)
        return 0;
    note_failed_cells(ds, path, log);
    size_t n;
    char **subs = list_subdirs(path, &n, depth == 0);
    long total = 0;
    for (size_t i = 0; i < n && total >= 0; i++) {
        char *child = tdm_path_join(path, subs[i]);
        long r = child ? walk(ds, child, group_by, log, depth + 1) : -1;
        free(child);
        total = r < 0 ? -1 : total + r;
    }
    free_names(subs, n);
    return total;
}

long tdm_rep_load_tree(tdm_rep_dataset *ds, const char *root, const char *group_by, FILE *log)
{
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        char msg[256];
        int e = errno;
        snprintf(msg, sizeof msg, "not a readable directory (%s)",
                 stat(root, &st) != 0 ? strerror(e) : "not a directory");
        warn(ds, log, root, msg);
        return -1;
    }
    /* strip trailing slashes so paths print the same however the argument was typed */
    char *r = tdm_rep_strdup(root);
    if (!r)
        return -1;
    size_t len = strlen(r);
    while (len > 1 && r[len - 1] == '/')
        r[--len] = '\0';
    long n = walk(ds, r, group_by, log, 0);
    free(r);
    return n;
}
