/* legacy_import.c — `tandem-report import-chimera`: walks a seed result tree, rebuilds
 * each run (legacy_parse.c), checks that the core's metrics code recomputes the seed's
 * own efficiency_percent from the rebuilt records, and writes one tandem run directory
 * per seed run directory (see legacy.h). */
#include <dirent.h>
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
#include "report/legacy.h"
#include "report/model.h"

#define MAX_DEPTH 16
#define TOLERANCE_PP 1e-6

/* One metrics.json found, and where it belongs. */
typedef struct found {
    char *path;      /* full path */
    char *variant;
    char *config;
    char *original;  /* the seed's run directory, relative to the root */
    int rep, run;    /* run_<rep>/run_<run>/metrics.json */
} found;

typedef struct found_list {
    found *v;
    size_t n, cap;
} found_list;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* k of "run_<k>", else 0 */
static int run_k(const char *name)
{
    if (!name || strncmp(name, "run_", 4) != 0 || !name[4])
        return 0;
    long k = 0;
    for (const char *p = name + 4; *p; p++) {
        if (*p < '0' || *p > '9' || k > INT_MAX / 10)
            return 0;
        k = k * 10 + (*p - '0');
    }
    return (int)k;
}

/* Works out variant, configuration, repetition and run from the path's components. */
static void classify(found *f, const char *root_base, char **comps, size_t n)
{
    /* comps: directories from the root down to the one holding metrics.json */
    int last = n > 0 ? run_k(comps[n - 1]) : 0, prev = n > 1 ? run_k(comps[n - 2]) : 0;
    size_t cfg_at;
    if (last && prev) { /* <config>/run_<rep>/run_<run>/ */
        f->rep = prev;
        f->run = last;
        cfg_at = n - 2;
    } else if (last) { /* <config>/run_<rep>/ */
        f->rep = last;
        f->run = 1;
        cfg_at = n - 1;
    } else { /* <config>/ */
        f->rep = 1;
        f->run = 1;
        cfg_at = n;
    }
    f->config = tdm_rep_strdup(cfg_at > 0 ? comps[cfg_at - 1] : root_base);
    size_t dir_end = last && prev ? n - 1 : n;
    tdm_buf o = {0};
    for (size_t i = 0; i < dir_end; i++)
        tdm_buf_printf(&o, "%s%s", i ? "/" : "", comps[i]);
    if (dir_end == 0)
        tdm_buf_append_str(&o, ".");
    f->original = tdm_buf_steal(&o);
    const char *variant = NULL;
    for (size_t i = cfg_at > 0 ? cfg_at - 1 : 0; i-- > 0;)
        if (strncmp(comps[i], "runtime-", 8) == 0 && comps[i][8]) {
            variant = comps[i] + 8;
            break;
        }
    if (!variant && root_base && strncmp(root_base, "runtime-", 8) == 0 && root_base[8])
        variant = root_base + 8;
    f->variant = tdm_rep_strdup(variant ? variant : "unknown");
}

static void walk(const char *root_base, const char *dir, char **comps, size_t depth, found_list *out)
{
    if (depth > MAX_DEPTH)
        return;
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    size_t n = 0, cap = 16;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    while (names && (e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **p = realloc(names, cap * 2 * sizeof *p);
            if (!p)
                break;
            names = p;
            cap *= 2;
        }
        if ((names[n] = strdup(e->d_name)))
            n++;
    }
    closedir(dp);
    if (!names)
        return;
    qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        char *full = tdm_path_join(dir, names[i]);
        struct stat st;
        if (!full || lstat(full, &st) != 0) {
            free(full);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            comps[depth] = names[i];
            walk(root_base, full, comps, depth + 1, out);
        } else if (S_ISREG(st.st_mode) && strcmp(names[i], "metrics.json") == 0) {
            if (out->n == out->cap) {
                size_t nc = out->cap ? out->cap * 2 : 64;
                found *p = realloc(out->v, nc * sizeof *p);
                if (!p) {
                    free(full);
                    continue;
                }
                out->v = p;
                out->cap = nc;
            }
            found *f = &out->v[out->n++];
            memset(f, 0, sizeof *f);
            f->path = full;
            full = NULL;
            classify(f, root_base, comps, depth);
        }
        free(full);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void skip(json_t *skipped, FILE *log, const char *path, const char *reason, tdm_legacy_stats *st)
{
    st->skipped++;
    json_array_append_new(skipped, json_pack("{s:s, s:s}", "path", path, "reason", reason));
    if (log)
        fprintf(log, "tandem-report: skipped %s: %s\n", path, reason);
}

/* Writes one run directory from runs[0..n) of one seed directory. */
static int write_dir(const char *out_dir, const found *f, tdm_legacy_run *runs, size_t n, json_t *dirs, char *err,
                     size_t errlen)
{
    tdm_buf d = {0};
    tdm_buf_printf(&d, "%s/%s/%s/run_%d", out_dir, f->variant, f->config, f->rep);
    const char *o = f->original;
    const char *rel = tdm_buf_str(&d) + strlen(out_dir) + 1;
    size_t k;
    json_t *x;
    json_array_foreach(dirs, k, x)
    if (strcmp(json_string_value(json_object_get(x, "dir")), rel) == 0) {
        snprintf(err, errlen, "%s and %s would both become %s", json_string_value(json_object_get(x, "original")), o,
                 rel);
        tdm_buf_free(&d);
        return 1;
    }
    int rc = tdm_mkdirs(tdm_buf_str(&d), err, errlen);
    if (rc == 0) {
        json_t *prov = tdm_legacy_provenance(f->variant, o, runs, n);
        char *p = tdm_path_join(tdm_buf_str(&d), "provenance.json");
        rc = prov && p ? tdm_write_json_atomic(p, prov, err, errlen) : -1;
        free(p);
        json_decref(prov);
    }
    if (rc == 0) {
        json_t *cell = json_pack("{s:s, s:s, s:i, s:s}", "variant", f->variant, "configuration", f->config,
                                 "repetition", f->rep, "source", "chimera-legacy");
        char *p = tdm_path_join(tdm_buf_str(&d), "cell.json");
        rc = cell && p ? tdm_write_json_atomic(p, cell, err, errlen) : -1;
        free(p);
        json_decref(cell);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        tdm_buf rd = {0};
        tdm_buf_printf(&rd, "%s/run_%d", tdm_buf_str(&d), runs[i].run);
        rc = tdm_mkdirs(tdm_buf_str(&rd), err, errlen);
        if (rc == 0) {
            json_t *doc = tdm_run_data_to_json(&runs[i].data);
            char *p = tdm_path_join(tdm_buf_str(&rd), "records.json");
            rc = doc && p ? tdm_write_json_atomic(p, doc, err, errlen) : -1;
            free(p);
            json_decref(doc);
        }
        tdm_buf_free(&rd);
    }
    if (rc == 0)
        json_array_append_new(dirs, json_pack("{s:s, s:s, s:i}", "dir", rel, "original", o, "runs", (int)n));
    tdm_buf_free(&d);
    return rc;
}

int tdm_legacy_import(const char *legacy_dir, const char *out_dir, FILE *log, tdm_legacy_stats *st, char *err,
                      size_t errlen)
{
    memset(st, 0, sizeof *st);
    struct stat sb;
    if (stat(legacy_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "%s is not a readable directory", legacy_dir);
        return -1;
    }
    char *root = tdm_rep_strdup(legacy_dir);
    if (!root)
        return -1;
    size_t len = strlen(root);
    while (len > 1 && root[len - 1] == '/')
        root[--len] = '\0';
    const char *base = strrchr(root, '/') ? strrchr(root, '/') + 1 : root;
    char *comps[MAX_DEPTH + 2];
    found_list fl = {0};
    walk(base, root, comps, 0, &fl);
    json_t *skipped = json_array(), *dirs = json_array();
    int rc = 0;
    if (tdm_mkdirs(out_dir, err, errlen) != 0)
        rc = -1;
    /* found entries come sorted by path, so the runs of one seed directory are adjacent */
    for (size_t i = 0; rc == 0 && i < fl.n;) {
        size_t j = i;
        while (j < fl.n && strcmp(fl.v[j].variant, fl.v[i].variant) == 0 &&
               strcmp(fl.v[j].config, fl.v[i].config) == 0 && fl.v[j].rep == fl.v[i].rep)
            j++;
        tdm_legacy_run *runs = calloc(j - i, sizeof *runs);
        size_t nr = 0;
        for (size_t k = i; runs && k < j; k++) {
            char e2[512];
            json_t *doc = tdm_read_json_file(fl.v[k].path, e2, sizeof e2);
            if (!doc) {
                skip(skipped, log, fl.v[k].path, e2, st);
                continue;
            }
            bool dup = false;
            for (size_t q = 0; q < nr; q++)
                dup |= runs[q].run == fl.v[k].run;
            if (dup) {
                skip(skipped, log, fl.v[k].path, "a second metrics.json for the same run", st);
                json_decref(doc);
                continue;
            }
            if (tdm_legacy_parse_run(doc, fl.v[k].run, &runs[nr], e2, sizeof e2) != 0) {
                tdm_legacy_run_free(&runs[nr]);
                skip(skipped, log, fl.v[k].path, e2, st);
                json_decref(doc);
                continue;
            }
            json_decref(doc);
            /* the check the import exists for: the core recomputes the seed's figure */
            tdm_run_metrics m;
            if (tdm_run_metrics_compute(&runs[nr].data, 10.0, &m) == 0) {
                if (isfinite(runs[nr].reported_efficiency)) {
                    double d = fabs(m.legacy_efficiency_pct - runs[nr].reported_efficiency);
                    st->checked++;
                    st->reproduced += d <= TOLERANCE_PP;
                    if (!(d <= st->max_abs_diff))
                        st->max_abs_diff = d;
                }
                tdm_run_metrics_free(&m);
            }
            if (strcmp(runs[nr].generation, "v2") == 0)
                st->v2++;
            else
                st->v1++;
            nr++;
        }
        if (nr > 0) {
            int w = write_dir(out_dir, &fl.v[i], runs, nr, dirs, err, errlen);
            if (w < 0) {
                rc = -1;
            } else if (w > 0) {
                skip(skipped, log, fl.v[i].path, err, st);
            } else {
                st->dirs++;
                st->runs += nr;
            }
        }
        for (size_t k = 0; k < nr; k++)
            tdm_legacy_run_free(&runs[k]);
        free(runs);
        i = j;
    }
    if (rc == 0 && st->runs == 0) {
        snprintf(err, errlen, "no seed run (.../run_<k>/metrics.json) could be imported from %s", legacy_dir);
        rc = -1;
    }
    if (rc == 0) {
        json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:I, s:{s:I, s:I, s:o, s:f}, s:o, s:o}", "schema",
                                "tandem.import/1", "source", "chimera-legacy", "imported_from", legacy_dir, "runs",
                                (json_int_t)st->runs, "run_directories", (json_int_t)st->dirs,
                                "legacy_efficiency_check",
                                "runs_checked", (json_int_t)st->checked, "reproduced", (json_int_t)st->reproduced,
                                "max_abs_diff_pp", json_real(st->max_abs_diff), "tolerance_pp", TOLERANCE_PP,
                                "directories", json_incref(dirs), "skipped", json_incref(skipped));
        char *p = tdm_path_join(out_dir, "import.json");
        rc = doc && p ? tdm_write_json_atomic(p, doc, err, errlen) : -1;
        free(p);
        json_decref(doc);
    }
    json_decref(skipped);
    json_decref(dirs);
    for (size_t i = 0; i < fl.n; i++) {
        free(fl.v[i].path);
        free(fl.v[i].variant);
        free(fl.v[i].config);
        free(fl.v[i].original);
    }
    free(fl.v);
    free(root);
    return rc;
}
