/* manifest.c — cell states, their transitions, and manifest.json (see manifest.h). */
#include "sweep/manifest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fileio.h"

#define MANIFEST_FORMAT "tandem-sweep-manifest/1"

static const char *const state_names[TDM_CELL_STATE_COUNT] = {"pending", "running", "ok",
                                                               "incomplete", "failed", "interrupted"};

const char *tdm_cell_state_name(tdm_cell_state s)
{
    return (unsigned)s < TDM_CELL_STATE_COUNT ? state_names[s] : "?";
}

int tdm_cell_state_parse(const char *name, tdm_cell_state *out)
{
    for (int i = 0; name && i < TDM_CELL_STATE_COUNT; i++)
        if (strcmp(name, state_names[i]) == 0) {
            *out = (tdm_cell_state)i;
            return 0;
        }
    return -1;
}

bool tdm_cell_state_finished(tdm_cell_state s)
{
    return s == TDM_CELL_OK || s == TDM_CELL_INCOMPLETE;
}

bool tdm_cell_should_run(tdm_cell_state s, bool retry_failed)
{
    switch (s) {
    case TDM_CELL_PENDING:
    case TDM_CELL_INTERRUPTED:
    case TDM_CELL_RUNNING: /* only seen in a manifest whose sweep died: run it again */
        return true;
    case TDM_CELL_FAILED:
        return retry_failed;
    default:
        return false;
    }
}

bool tdm_cell_transition_ok(tdm_cell_state from, tdm_cell_state to)
{
    switch (from) {
    case TDM_CELL_PENDING:
    case TDM_CELL_INTERRUPTED:
    case TDM_CELL_FAILED:
        return to == TDM_CELL_RUNNING;
    case TDM_CELL_RUNNING:
        return to == TDM_CELL_OK || to == TDM_CELL_INCOMPLETE || to == TDM_CELL_FAILED ||
               to == TDM_CELL_INTERRUPTED || to == TDM_CELL_PENDING || to == TDM_CELL_RUNNING;
    default:
        return false; /* ok and incomplete are final */
    }
}

void tdm_sweep_utc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *tdm_manifest_inputs_hash(const tdm_experiment *e)
{
    tdm_buf b = {0};
    tdm_buf_printf(&b, "experiment:%s", e->sha256);
    for (size_t i = 0; i < e->n_configs; i++)
        if (e->configs[i].scenario_path)
            tdm_buf_printf(&b, " %s:%s", e->configs[i].name, e->configs[i].scenario_sha256);
    return tdm_buf_steal(&b);
}

void tdm_manifest_free(tdm_manifest *m)
{
    for (size_t i = 0; m->cells && i < m->n_cells; i++) {
        free(m->cells[i].id);
        free(m->cells[i].reason);
    }
    free(m->cells);
    free(m->path);
    free(m->inputs_sha256);
    json_decref(m->info);
    memset(m, 0, sizeof *m);
}

int tdm_manifest_init(tdm_manifest *m, const char *path, const tdm_experiment *e, const tdm_sweep_cell *cells,
                      size_t n, uint64_t seed, tdm_sweep_order order)
{
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    m->inputs_sha256 = tdm_manifest_inputs_hash(e);
    memcpy(m->experiment_sha256, e->sha256, sizeof m->experiment_sha256);
    m->seed = seed;
    m->order = order;
    tdm_sweep_utc_now(m->created_at);
    m->cells = calloc(n ? n : 1, sizeof *m->cells);
    if (!m->path || !m->inputs_sha256 || !m->cells) {
        tdm_manifest_free(m);
        return -1;
    }
    m->n_cells = n;
    for (size_t i = 0; i < n; i++) {
        m->cells[i].exit_status = -1;
        if (!(m->cells[i].id = tdm_sweep_cell_id(e, &cells[i]))) {
            tdm_manifest_free(m);
            return -1;
        }
    }
    return 0;
}

int tdm_manifest_set_state(tdm_manifest *m, size_t i, tdm_cell_state to)
{
    if (i >= m->n_cells || !tdm_cell_transition_ok(m->cells[i].state, to))
        return -1;
    m->cells[i].state = to;
    return 0;
}

int tdm_manifest_set_reason(tdm_manifest *m, size_t i, const char *reason)
{
    char *r = NULL;
    if (reason && !(r = strdup(reason)))
        return -1;
    free(m->cells[i].reason);
    m->cells[i].reason = r;
    return 0;
}

void tdm_manifest_counts(const tdm_manifest *m, size_t counts[TDM_CELL_STATE_COUNT])
{
    memset(counts, 0, TDM_CELL_STATE_COUNT * sizeof counts[0]);
    for (size_t i = 0; i < m->n_cells; i++)
        counts[m->cells[i].state]++;
}

/* ---- JSON ------------------------------------------------------------------------ */

static const char *order_name(tdm_sweep_order o)
{
    return o == TDM_SWEEP_ORDER_SEQUENTIAL ? "sequential" : "blocks";
}

int tdm_manifest_save(const tdm_manifest *m, char *err, size_t errlen)
{
    char now[32], seed[32];
    tdm_sweep_utc_now(now);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)m->seed);
    size_t counts[TDM_CELL_STATE_COUNT];
    tdm_manifest_counts(m, counts);
    json_t *c = json_object();
    for (int s = 0; s < TDM_CELL_STATE_COUNT; s++)
        json_object_set_new(c, state_names[s], json_integer((json_int_t)counts[s]));
    json_t *cells = json_array();
    for (size_t i = 0; i < m->n_cells; i++) {
        const tdm_cell_rec *r = &m->cells[i];
        json_t *o = json_pack("{s:s, s:I, s:s, s:i, s:i}", "id", r->id, "order_index", (json_int_t)i, "state",
                              state_names[r->state], "attempts", r->attempts, "exit_status", r->exit_status);
        if (!o)
            continue;
        json_object_set_new(o, "reason", r->reason ? json_string(r->reason) : json_null());
        json_object_set_new(o, "started_at", r->started_at[0] ? json_string(r->started_at) : json_null());
        json_object_set_new(o, "finished_at", r->finished_at[0] ? json_string(r->finished_at) : json_null());
        json_object_set_new(o, "duration_s", json_real(r->duration_s));
        if (r->state == TDM_CELL_RUNNING && r->child_pid > 0)
            json_object_set_new(o, "child_pid", json_integer(r->child_pid));
        json_array_append_new(cells, o);
    }
    /* The seed is a string: JSON readers lose integers above 2^53. */
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:o, s:o}", "format", MANIFEST_FORMAT,
                            "experiment_sha256", m->experiment_sha256, "inputs_sha256", m->inputs_sha256, "seed",
                            seed, "order", order_name(m->order), "created_at", m->created_at[0] ? m->created_at : now,
                            "experiment", m->info ? m->info : json_null(), "counts", c, "cells", cells);
    if (!doc) {
        snprintf(err, errlen, "out of memory building %s", m->path);
        return -1;
    }
    json_object_set_new(doc, "updated_at", json_string(now));
    int rc = tdm_write_json_atomic(m->path, doc, err, errlen);
    json_decref(doc);
    return rc;
}

int tdm_manifest_load(tdm_manifest *m, const char *path, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 1;
    fclose(f);
    json_t *doc = tdm_read_json_file(path, err, errlen);
    if (!doc)
        return -1;
    const char *fmt = json_string_value(json_object_get(doc, "format"));
    const char *sha = json_string_value(json_object_get(doc, "experiment_sha256"));
    const char *inputs = json_string_value(json_object_get(doc, "inputs_sha256"));
    const char *seed = json_string_value(json_object_get(doc, "seed"));
    const char *order = json_string_value(json_object_get(doc, "order"));
    const char *created = json_string_value(json_object_get(doc, "created_at"));
    json_t *cells = json_object_get(doc, "cells");
    if (!fmt || strcmp(fmt, MANIFEST_FORMAT) != 0 || !sha || strlen(sha) != 64 || !inputs || !seed || !order ||
        !json_is_array(cells)) {
        snprintf(err, errlen,
                 "%s is not a %s manifest (or is damaged); choose another --out, or move that directory away", path,
                 MANIFEST_FORMAT);
        json_decref(doc);
        return -1;
    }
    m->path = strdup(path);
    m->inputs_sha256 = strdup(inputs);
    memcpy(m->experiment_sha256, sha, 65);
    m->seed = strtoull(seed, NULL, 10);
    m->order = strcmp(order, "sequential") == 0 ? TDM_SWEEP_ORDER_SEQUENTIAL : TDM_SWEEP_ORDER_BLOCKS;
    snprintf(m->created_at, sizeof m->created_at, "%s", created ? created : "");
    json_t *info = json_object_get(doc, "experiment");
    m->info = json_is_object(info) ? json_incref(info) : NULL;
    size_t n = json_array_size(cells);
    m->cells = calloc(n ? n : 1, sizeof *m->cells);
    if (!m->path || !m->inputs_sha256 || !m->cells) {
        json_decref(doc);
        tdm_manifest_free(m);
        snprintf(err, errlen, "out of memory reading %s", path);
        return -1;
    }
    m->n_cells = n;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(cells, i);
        tdm_cell_rec *r = &m->cells[i];
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *st = json_string_value(json_object_get(o, "state"));
        const char *reason = json_string_value(json_object_get(o, "reason"));
        const char *sa = json_string_value(json_object_get(o, "started_at"));
        const char *fa = json_string_value(json_object_get(o, "finished_at"));
        if (!id || tdm_cell_state_parse(st, &r->state) != 0 || !(r->id = strdup(id))) {
            snprintf(err, errlen, "%s: cell %zu has no id or an unknown state; the manifest is damaged: move the "
                                  "directory away and start again, or restore the manifest", path, i);
            json_decref(doc);
            tdm_manifest_free(m);
            return -1;
        }
        r->attempts = (int)json_integer_value(json_object_get(o, "attempts"));
        json_t *es = json_object_get(o, "exit_status");
        r->exit_status = json_is_integer(es) ? (int)json_integer_value(es) : -1;
        r->reason = reason ? strdup(reason) : NULL;
        snprintf(r->started_at, sizeof r->started_at, "%s", sa ? sa : "");
        snprintf(r->finished_at, sizeof r->finished_at, "%s", fa ? fa : "");
        r->duration_s = json_number_value(json_object_get(o, "duration_s"));
        r->child_pid = (long)json_integer_value(json_object_get(o, "child_pid"));
    }
    json_decref(doc);
    return 0;
}

int tdm_manifest_check_resume(const tdm_manifest *m, const tdm_experiment *e, const tdm_sweep_cell *cells, size_t n,
                              char *err, size_t errlen)
{
    if (strcmp(m->experiment_sha256, e->sha256) != 0) {
        snprintf(err, errlen,
                 "the experiment file %s changed since this sweep started (sha256 %.12s... recorded in %s, now "
                 "%.12s...); a resumed sweep must measure what it started with. Restore the file, or start a new "
                 "sweep with another --out",
                 e->path, m->experiment_sha256, m->path, e->sha256);
        return -1;
    }
    char *inputs = tdm_manifest_inputs_hash(e);
    if (!inputs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    bool same = strcmp(inputs, m->inputs_sha256) == 0;
    free(inputs);
    if (!same) {
        snprintf(err, errlen,
                 "a scenario file the experiment uses changed since this sweep started (hashes in %s differ); "
                 "restore it, or start a new sweep with another --out",
                 m->path);
        return -1;
    }
    if (n != m->n_cells) {
        snprintf(err, errlen, "%s plans %zu cells, this run %zu; resume with the same command, or use another --out",
                 m->path, m->n_cells, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char *id = tdm_sweep_cell_id(e, &cells[i]);
        bool eq = id && strcmp(id, m->cells[i].id) == 0;
        free(id);
        if (!eq) {
            snprintf(err, errlen,
                     "the cell order differs from the one recorded in %s (seed %llu, order %s) at position %zu; "
                     "resume without --seed/--order, or with the recorded ones",
                     m->path, (unsigned long long)m->seed, order_name(m->order), i + 1);
            return -1;
        }
    }
    return 0;
}
