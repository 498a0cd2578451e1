/* baselines_yaml.c — reads a file of quoted baselines (see baselines_yaml.h) with
 * libcyaml, the way scenario and experiment files are read (core/yaml_load.h), and
 * turns each entry into the "NAME=VALUE (provenance)" form --baseline takes, so a
 * quoted baseline has one parser and one path through the report whichever way it came.
 *
 *   baselines:
 *     - name: TR110 Python
 *       value: 99.25
 *       metric: legacy_efficiency_pct
 *       summary: mean of 5 runs          # optional
 *       source: where the number was published
 *       measured: what was run to get it */
#include "report/baselines_yaml.h"

#include <cyaml/cyaml.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/yaml_load.h"
#include "report/model.h"

#define MAX_FILE_BYTES (1u << 20) /* a list of quoted numbers; anything larger is the wrong file */

typedef struct y_entry {
    char *name, *value, *metric, *summary, *source, *measured;
} y_entry;

typedef struct y_file {
    y_entry *baselines;
    unsigned baselines_count;
} y_file;

#define OPT (CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL)
#define STR(key, member) CYAML_FIELD_STRING_PTR(key, OPT, y_entry, member, 0, CYAML_UNLIMITED)

static const cyaml_schema_field_t entry_fields[] = {
    STR("name", name),       STR("value", value),   STR("metric", metric),
    STR("summary", summary), STR("source", source), STR("measured", measured),
    CYAML_FIELD_END,
};
static const cyaml_schema_value_t entry_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, y_entry, entry_fields),
};
static const cyaml_schema_field_t file_fields[] = {
    CYAML_FIELD_SEQUENCE("baselines", OPT, y_file, baselines, &entry_schema, 0, CYAML_UNLIMITED),
    CYAML_FIELD_END,
};
static const cyaml_schema_value_t file_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, y_file, file_fields),
};
static const tdm_yaml_kind file_yaml = {
    &file_schema,
    "a baselines file is a mapping with one key, baselines:, a list of entries (name:, value:, metric:, "
    "summary:, source:, measured:; see experiments/baselines.yaml)",
    NULL,
};

void tdm_rep_baseline_file_free(tdm_rep_baseline_file *f)
{
    for (size_t i = 0; f->specs && i < f->n; i++)
        free(f->specs[i]);
    free(f->specs);
    free(f->metric);
    memset(f, 0, sizeof *f);
}

static bool blank(const char *s)
{
    return !s || !*s;
}

/* Checks one entry and appends its --baseline form; -1 with err. */
static int take(const char *src, unsigned i, const y_entry *y, tdm_rep_baseline_file *out, char *err, size_t errlen)
{
    static const char *required[] = {"name", "value", "metric", "source", "measured"};
    const char *given[] = {y->name, y->value, y->metric, y->source, y->measured};
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
        if (blank(given[k])) {
            snprintf(err, errlen, "%s: baselines[%u]: %s: missing; every baseline needs name, value, metric, source "
                                  "and measured (what was run), so a reader can check the number",
                     src, i, required[k]);
            return -1;
        }
    if (strchr(y->name, '=') || strchr(y->name, '(')) {
        snprintf(err, errlen, "%s: baselines[%u]: name '%s' holds '=' or '('; write the name without them", src, i,
                 y->name);
        return -1;
    }
    char *end;
    errno = 0;
    double v = strtod(y->value, &end);
    while (*end == ' ')
        end++;
    if (end == y->value || *end || errno || !isfinite(v)) {
        snprintf(err, errlen, "%s: baselines[%u] (%s): value '%s' is not a number; write it in the metric's unit, "
                              "e.g. 99.25 for 99.25 %%",
                 src, i, y->name, y->value);
        return -1;
    }
    int m = tdm_rep_metric_find(y->metric);
    if (m < 0 || tdm_rep_metric(m)->per_call) {
        snprintf(err, errlen, "%s: baselines[%u] (%s): metric '%s' is not a run-level metric; use one of "
                              "efficiency_pct, speedup, throughput_gain, legacy_efficiency_pct, ...",
                 src, i, y->name, y->metric);
        return -1;
    }
    if (!out->metric) {
        out->metric = strdup(y->metric);
        if (!out->metric)
            goto oom;
    } else if (strcmp(out->metric, y->metric) != 0) {
        snprintf(err, errlen, "%s: baselines[%u] (%s): metric '%s' differs from the first entry's '%s'; the report "
                              "compares one metric per run: put each metric's baselines in their own file",
                 src, i, y->name, y->metric, out->metric);
        return -1;
    }
    tdm_buf b = {0};
    tdm_buf_printf(&b, "%s=%s (", y->name, y->value);
    if (!blank(y->summary))
        tdm_buf_printf(&b, "%s; ", y->summary);
    tdm_buf_printf(&b, "source: %s; measured: %s)", y->source, y->measured);
    char **p = realloc(out->specs, (out->n + 1) * sizeof *p);
    if (!p) {
        tdm_buf_free(&b);
        goto oom;
    }
    out->specs = p;
    if (!(out->specs[out->n] = tdm_buf_steal(&b)))
        goto oom;
    out->n++;
    return 0;
oom:
    snprintf(err, errlen, "%s: out of memory", src);
    return -1;
}

int tdm_rep_baselines_yaml_parse(const char *yaml, size_t len, const char *src, tdm_rep_baseline_file *out,
                                 char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    src = src ? src : "<baselines>";
    void *data = NULL;
    tdm_yaml_warning warn;
    if (tdm_yaml_load(yaml, len, &file_yaml, src, &data, &warn, err, errlen) != 0)
        return -1;
    const y_file *y = data;
    int rc = 0;
    if (warn.text[0]) {
        snprintf(err, errlen, "%s: %s; keep one document in the file and write it so it loads without warnings",
                 src, warn.text);
        rc = -1;
    } else if (!y || y->baselines_count == 0) {
        snprintf(err, errlen, "%s: no baselines; list them under baselines: (see experiments/baselines.yaml)", src);
        rc = -1;
    }
    for (unsigned i = 0; rc == 0 && i < y->baselines_count; i++)
        rc = take(src, i, &y->baselines[i], out, err, errlen);
    tdm_yaml_free(&file_yaml, data);
    if (rc != 0)
        tdm_rep_baseline_file_free(out);
    return rc;
}

int tdm_rep_baselines_yaml_load(const char *path, tdm_rep_baseline_file *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open the baselines file: %s; check the path (e.g. "
                              "experiments/baselines.yaml)",
                 path, strerror(errno));
        return -1;
    }
    tdm_buf b = {0};
    char chunk[16384];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (b.len + n > MAX_FILE_BYTES || tdm_buf_append(&b, chunk, n) != 0) {
            snprintf(err, errlen, "%s: larger than %u KiB (or out of memory); is this a baselines file?", path,
                     MAX_FILE_BYTES >> 10);
            rc = -1;
        }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    if (rc == 0)
        rc = tdm_rep_baselines_yaml_parse(b.data ? b.data : "", b.len, path, out, err, errlen);
    tdm_buf_free(&b);
    return rc;
}
