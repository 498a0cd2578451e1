/* group.c — cells from run directories: variant and configuration keys, pin checks,
 * and the stable orders every output follows (see group.h). */
#include "report/group.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* Follows a dotted path ("a.b.0.c") through objects and arrays; NULL when absent. */
static json_t *json_path(json_t *doc, const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    json_t *cur = doc;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save)) {
        if (json_is_object(cur)) {
            cur = json_object_get(cur, tok);
        } else if (json_is_array(cur)) {
            char *end;
            unsigned long i = strtoul(tok, &end, 10);
            cur = (*tok && !*end) ? json_array_get(cur, i) : NULL;
        } else {
            cur = NULL;
        }
    }
    free(copy);
    return cur;
}

static void append_value(tdm_buf *b, json_t *v)
{
    if (json_is_string(v)) {
        tdm_buf_append_str(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        tdm_buf_printf(b, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        tdm_buf_printf(b, "%g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        tdm_buf_append_str(b, json_is_true(v) ? "true" : "false");
    } else if (v && !json_is_null(v)) {
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
        tdm_buf_append_str(b, s ? s : "-");
        free(s);
    } else {
        tdm_buf_append_str(b, "-");
    }
}

static const char *scenario_name(json_t *prov)
{
    return json_string_value(json_object_get(json_object_get(prov, "scenario"), "name"));
}

char *tdm_rep_variant_of(json_t *prov, json_t *cell)
{
    const char *v = json_string_value(json_object_get(cell, "variant"));
    if (!v || !*v)
        v = json_string_value(json_object_get(prov, "variant"));
    return tdm_rep_strdup(v && *v ? v : "unknown");
}

char *tdm_rep_config_key(json_t *prov, json_t *cell, const char *group_by)
{
    tdm_buf b = {0};
    if (!group_by || !*group_by) {
        const char *c = json_string_value(json_object_get(cell, "configuration"));
        if (!c || !*c)
            c = scenario_name(prov);
        tdm_buf_append_str(&b, c && *c ? c : "unknown");
        /* a sweep point ("axes": {"agents": 4, "num_parallel": 2}) is its own configuration:
         * runs at different operating points are never pooled into one cell */
        json_t *axes = json_object_get(cell, "axes");
        const char *k;
        json_t *v;
        if (json_is_object(axes))
            json_object_foreach(axes, k, v) {
                tdm_buf_printf(&b, ", %s=", k);
                append_value(&b, v);
            }
        return tdm_buf_steal(&b);
    }
    char *copy = strdup(group_by);
    if (!copy)
        return NULL;
    char *save = NULL;
    int parts = 0;
    for (char *key = strtok_r(copy, ",", &save); key; key = strtok_r(NULL, ",", &save)) {
        while (*key == ' ')
            key++;
        if (!*key)
            continue;
        if (parts++)
            tdm_buf_append_str(&b, ", ");
        if (strcmp(key, "configuration") == 0) {
            char *c = tdm_rep_config_key(prov, cell, NULL);
            tdm_buf_append_str(&b, c ? c : "-");
            free(c);
        } else if (strcmp(key, "scenario") == 0) {
            const char *s = scenario_name(prov);
            tdm_buf_append_str(&b, s && *s ? s : "-");
        } else if (strcmp(key, "variant") == 0) {
            char *v = tdm_rep_variant_of(prov, cell);
            tdm_buf_append_str(&b, v ? v : "-");
            free(v);
        } else {
            bool in_cell = strncmp(key, "cell.", 5) == 0;
            json_t *v = in_cell ? json_path(cell, key + 5) : json_path(prov, key);
            const char *last = strrchr(key, '.');
            tdm_buf_printf(&b, "%s=", last ? last + 1 : key);
            append_value(&b, v);
        }
    }
    free(copy);
    if (parts == 0)
        tdm_buf_append_str(&b, "unknown");
    return tdm_buf_steal(&b);
}

char *tdm_rep_unpinned_reason(json_t *prov)
{
    tdm_buf b = {0};
    json_t *servers = json_object_get(prov, "servers");
    if (!json_is_array(servers) || json_array_size(servers) == 0) {
        tdm_buf_append_str(&b, "no server versions or model digests recorded");
        return tdm_buf_steal(&b);
    }
    /* A sweep notes a pin mismatch it was told to accept. */
    json_t *pins = json_object_get(prov, "pins");
    json_t *mismatch = json_object_get(pins, "mismatch");
    if (json_is_true(json_object_get(prov, "unpinned")) || json_is_false(json_object_get(pins, "matched")) ||
        (mismatch && !json_is_null(mismatch) && !json_is_false(mismatch) &&
         !(json_is_array(mismatch) && json_array_size(mismatch) == 0))) {
        tdm_buf_append_str(&b, "runs accepted despite a pin mismatch");
        return tdm_buf_steal(&b);
    }
    size_t i;
    json_t *s;
    json_array_foreach(servers, i, s)
    {
        const char *url = json_string_value(json_object_get(s, "url"));
        const char *ver = json_string_value(json_object_get(s, "version"));
        if (!ver || !*ver) {
            tdm_buf_printf(&b, "server %s: version not recorded", url ? url : "?");
            return tdm_buf_steal(&b);
        }
    }
    /* Every model an agent used must have a recorded digest on the agent's server. */
    json_t *agents = json_object_get(json_object_get(prov, "scenario"), "agents");
    json_t *a;
    json_array_foreach(agents, i, a)
    {
        const char *url = json_string_value(json_object_get(a, "url"));
        const char *model = json_string_value(json_object_get(a, "model"));
        if (!model)
            continue;
        bool found = false;
        size_t k;
        json_array_foreach(servers, k, s)
        {
            const char *surl = json_string_value(json_object_get(s, "url"));
            if (url && surl && strcmp(url, surl) != 0)
                continue;
            const char *dg = json_string_value(json_object_get(json_object_get(s, "models"), model));
            if (dg && *dg)
                found = true;
        }
        if (!found) {
            tdm_buf_printf(&b, "model %s on %s: digest not recorded", model, url ? url : "?");
            return tdm_buf_steal(&b);
        }
    }
    return NULL;
}

/* ---- checking the names a user gives ------------------------------------------- */

/* How the report labels an imported variant: "smol-1kb (seed)". */
static const char seed_suffix[] = " (seed)";

/* Longest string value listed as a --group-by example: longer ones are prompts and
 * descriptions, which make poor configuration names. */
enum { EXAMPLE_MAX_TEXT = 40 };

bool tdm_rep_group_key_held(json_t *prov, json_t *cell, const char *key)
{
    if (strcmp(key, "configuration") == 0 || strcmp(key, "scenario") == 0 || strcmp(key, "variant") == 0)
        return true;
    bool in_cell = strncmp(key, "cell.", 5) == 0;
    const char *path = in_cell ? key + 5 : key;
    /* an empty component ("a..b", ".a", "a.") names nothing json_path could tell apart */
    size_t len = strlen(path);
    if (len == 0 || path[0] == '.' || path[len - 1] == '.' || strstr(path, ".."))
        return false;
    return json_path(in_cell ? cell : prov, path) != NULL;
}

/* Appends to b the dotted paths (path[0..plen) is v's own) of v's scalar values, depth
 * first, arrays by their first element, while fewer than max are listed: the string
 * values when strings is true, the others (numbers and flags: the usual knobs) when it
 * is false. Keys holding a '.' or ',' cannot be named in --group-by and are left out.
 * Returns -1 when memory ran out. */
static int key_paths(tdm_buf *b, json_t *v, char *path, size_t plen, size_t cap, size_t *n, size_t max,
                     bool strings)
{
    if (*n >= max)
        return 0;
    if (json_is_object(v) || json_is_array(v)) {
        const char *k;
        json_t *child;
        char idx[] = "0";
        void *iter = json_is_object(v) ? json_object_iter(v) : NULL;
        bool first = true;
        while (*n < max) {
            if (json_is_array(v)) {
                if (!first || json_array_size(v) == 0)
                    break;
                k = idx;
                child = json_array_get(v, 0);
            } else {
                if (!iter)
                    break;
                k = json_object_iter_key(iter);
                child = json_object_iter_value(iter);
                iter = json_object_iter_next(v, iter);
            }
            first = false;
            if (strchr(k, '.') || strchr(k, ','))
                continue;
            int w = snprintf(path + plen, cap - plen, ".%s", k);
            if (w > 0 && (size_t)w < cap - plen && key_paths(b, child, path, plen + (size_t)w, cap, n, max, strings) != 0)
                return -1;
            path[plen] = '\0';
        }
        return 0;
    }
    if (!v || json_is_null(v) || json_is_string(v) != strings ||
        (json_is_string(v) && strlen(json_string_value(v)) > EXAMPLE_MAX_TEXT))
        return 0;
    if (tdm_buf_printf(b, "%s%s", *n ? ", " : "", path) != 0)
        return -1;
    (*n)++;
    return 0;
}

char *tdm_rep_group_key_examples(json_t *prov, json_t *cell, size_t max)
{
    tdm_buf b = {0};
    char path[256];
    size_t n = 0;
    int rc = 0;
    /* numbers and flags first: they are what configurations usually differ in */
    for (int strings = 0; strings < 2 && rc == 0; strings++) {
        strcpy(path, "cell");
        if (cell)
            rc = key_paths(&b, cell, path, strlen(path), sizeof path, &n, max, strings);
        strcpy(path, "scenario");
        if (rc == 0)
            rc = key_paths(&b, json_object_get(prov, "scenario"), path, strlen(path), sizeof path, &n, max, strings);
    }
    if (rc != 0) {
        tdm_buf_free(&b);
        return NULL;
    }
    return b.data ? tdm_buf_steal(&b) : tdm_rep_strdup("");
}

const char *tdm_rep_reference_resolve(const tdm_rep_dataset *ds, const char *given)
{
    if (!given)
        return NULL;
    for (size_t i = 0; i < ds->n_dirs; i++)
        if (strcmp(ds->dirs[i].variant, given) == 0)
            return ds->dirs[i].variant;
    /* the label as printed: "name (seed)" means the imported variant name */
    for (size_t i = 0; i < ds->n_dirs; i++) {
        const tdm_rep_dir *d = &ds->dirs[i];
        size_t n = strlen(d->variant);
        if (d->legacy && strncmp(given, d->variant, n) == 0 && strcmp(given + n, seed_suffix) == 0)
            return d->variant;
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *tdm_rep_variant_labels(const tdm_rep_dataset *ds)
{
    char **labels = calloc(ds->n_dirs ? ds->n_dirs : 1, sizeof *labels);
    if (!labels)
        return NULL;
    size_t n = 0;
    bool oom = false;
    for (size_t i = 0; i < ds->n_dirs && !oom; i++) {
        tdm_buf lb = {0};
        char *l = tdm_buf_printf(&lb, "%s%s", ds->dirs[i].variant, ds->dirs[i].legacy ? seed_suffix : "") == 0
                      ? tdm_buf_steal(&lb)
                      : NULL;
        bool have = !l;
        oom = !l;
        for (size_t k = 0; k < n && !have; k++)
            have = strcmp(labels[k], l) == 0;
        if (have)
            free(l);
        else
            labels[n++] = l;
    }
    qsort(labels, n, sizeof *labels, cmp_str);
    tdm_buf b = {0};
    for (size_t k = 0; k < n; k++) {
        if (tdm_buf_printf(&b, "%s%s", k ? ", " : "", labels[k]) != 0)
            oom = true;
        free(labels[k]);
    }
    free(labels);
    if (oom) {
        tdm_buf_free(&b);
        return NULL;
    }
    return b.data ? tdm_buf_steal(&b) : tdm_rep_strdup("");
}

/* ---- grouping ------------------------------------------------------------------- */

/* Variants: tandem's own first, then imports; the reference first within each; then by name. */
static int cmp_variant(const tdm_rep_variant *x, const tdm_rep_variant *y, const char *reference)
{
    if (x->legacy != y->legacy)
        return x->legacy ? 1 : -1;
    bool rx = reference && strcmp(x->name, reference) == 0, ry = reference && strcmp(y->name, reference) == 0;
    if (rx != ry)
        return rx ? -1 : 1;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->source, y->source);
}

static int find_variant(const tdm_rep_dataset *ds, const char *name, const char *source)
{
    for (size_t i = 0; i < ds->n_variants; i++)
        if (strcmp(ds->variants[i].name, name) == 0 && strcmp(ds->variants[i].source, source) == 0)
            return (int)i;
    return -1;
}

/* Runs within a cell: by repetition, then directory path, then run number. */
static const tdm_rep_dataset *g_ds; /* qsort has no context argument in C17 */

static int cmp_run_idx(const void *a, const void *b)
{
    const tdm_rep_run *x = &g_ds->runs[*(const size_t *)a], *y = &g_ds->runs[*(const size_t *)b];
    const tdm_rep_dir *dx = &g_ds->dirs[x->dir], *dy = &g_ds->dirs[y->dir];
    if (dx->repetition != dy->repetition)
        return dx->repetition < dy->repetition ? -1 : 1;
    int c = strcmp(dx->path, dy->path);
    if (c)
        return c;
    return (x->run > y->run) - (x->run < y->run);
}

int tdm_rep_group(tdm_rep_dataset *ds, const char *reference)
{
    /* variants */
    ds->variants = calloc(ds->n_dirs ? ds->n_dirs : 1, sizeof *ds->variants);
    ds->configs = calloc(ds->n_dirs ? ds->n_dirs : 1, sizeof *ds->configs);
    if (!ds->variants || !ds->configs)
        return -1;
    for (size_t i = 0; i < ds->n_dirs; i++) {
        tdm_rep_dir *d = &ds->dirs[i];
        if (find_variant(ds, d->variant, d->source) < 0) {
            tdm_rep_variant *v = &ds->variants[ds->n_variants++];
            v->name = tdm_rep_strdup(d->variant);
            v->source = tdm_rep_strdup(d->source);
            v->legacy = d->legacy;
            tdm_buf lb = {0};
            tdm_buf_printf(&lb, "%s%s", d->variant, d->legacy ? seed_suffix : "");
            v->label = tdm_buf_steal(&lb);
            if (!v->name || !v->source || !v->label)
                return -1;
        }
        bool have = false;
        for (size_t k = 0; k < ds->n_configs && !have; k++)
            have = strcmp(ds->configs[k], d->configuration) == 0;
        if (!have && !(ds->configs[ds->n_configs++] = tdm_rep_strdup(d->configuration)))
            return -1;
    }
    /* insertion sort: few variants, and a comparator with context */
    for (size_t i = 1; i < ds->n_variants; i++)
        for (size_t j = i; j > 0 && cmp_variant(&ds->variants[j - 1], &ds->variants[j], reference) > 0; j--) {
            tdm_rep_variant t = ds->variants[j];
            ds->variants[j] = ds->variants[j - 1];
            ds->variants[j - 1] = t;
        }
    qsort(ds->configs, ds->n_configs, sizeof *ds->configs, cmp_str);
    for (size_t i = 0; i < ds->n_dirs; i++)
        ds->dirs[i].variant_idx = find_variant(ds, ds->dirs[i].variant, ds->dirs[i].source);

    /* cells: by configuration, then variant */
    size_t max_cells = ds->n_configs * ds->n_variants;
    ds->cells = calloc(max_cells ? max_cells : 1, sizeof *ds->cells);
    if (!ds->cells)
        return -1;
    for (size_t c = 0; c < ds->n_configs; c++)
        for (size_t v = 0; v < ds->n_variants; v++) {
            size_t n = 0;
            for (size_t r = 0; r < ds->n_runs; r++) {
                const tdm_rep_dir *d = &ds->dirs[ds->runs[r].dir];
                n += d->variant_idx == (int)v && strcmp(d->configuration, ds->configs[c]) == 0;
            }
            if (n == 0)
                continue;
            tdm_rep_cell *cell = &ds->cells[ds->n_cells];
            cell->runs = malloc(n * sizeof *cell->runs);
            if (!cell->runs)
                return -1;
            cell->variant = (int)v;
            cell->config = (int)c;
            for (size_t r = 0; r < ds->n_runs; r++) {
                const tdm_rep_dir *d = &ds->dirs[ds->runs[r].dir];
                if (d->variant_idx == (int)v && strcmp(d->configuration, ds->configs[c]) == 0)
                    cell->runs[cell->n_runs++] = r;
            }
            g_ds = ds;
            qsort(cell->runs, cell->n_runs, sizeof *cell->runs, cmp_run_idx);
            g_ds = NULL;
            for (size_t k = 0; k < cell->n_runs; k++)
                ds->runs[cell->runs[k]].cell = (int)ds->n_cells;
            ds->n_cells++;
        }
    return 0;
}
