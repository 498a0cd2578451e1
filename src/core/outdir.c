/* outdir.c — choosing and preparing a run's folder (see outdir.h). */
#include "core/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/fileio.h"

/* The files a run writes at the top of its folder (run_* folders aside). */
static const char *const run_files[] = {"provenance.json", "summary.json", "report.md"};

static bool is_run_entry(const char *name)
{
    return strncmp(name, "run_", 4) == 0;
}

bool tdm_outdir_has_results(const char *dir, char *what, size_t whatlen)
{
    char *prov = tdm_path_join(dir, "provenance.json");
    bool found = prov && tdm_path_exists(prov);
    free(prov);
    if (found) {
        if (what)
            snprintf(what, whatlen, "provenance.json");
        return true;
    }
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (is_run_entry(e->d_name)) {
            found = true;
            if (what)
                snprintf(what, whatlen, "%s", e->d_name);
        }
    }
    closedir(d);
    return found;
}

/* --force: the earlier run's files go; anything else in the folder stays. */
static int clear_results(const char *dir, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++) {
        char *p = tdm_path_join(dir, run_files[i]);
        int rc = p ? tdm_rmtree(p, err, errlen) : -1;
        free(p);
        if (rc != 0)
            return -1;
    }
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!is_run_entry(e->d_name))
            continue;
        char *p = tdm_path_join(dir, e->d_name);
        rc = p ? tdm_rmtree(p, err, errlen) : -1;
        free(p);
    }
    closedir(d);
    return rc;
}

/* The default folder: the stamped name, else the first free numbered one. */
static char *claim_default(const char *dir, char *err, size_t errlen)
{
    char *parent = strdup(dir);
    if (!parent) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (tdm_mkdirs(parent, err, errlen) != 0) {
            free(parent);
            return NULL;
        }
    }
    free(parent);
    for (int k = 1; k < 1000; k++) {
        tdm_buf b = {0};
        if (k == 1)
            tdm_buf_append_str(&b, dir);
        else
            tdm_buf_printf(&b, "%s-%d", dir, k);
        char *path = tdm_buf_steal(&b);
        if (!path) {
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        if (mkdir(path, 0777) == 0)
            return path;
        int e = errno;
        free(path);
        if (e != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s; choose a folder with --output-dir", dir, strerror(e));
            return NULL;
        }
    }
    snprintf(err, errlen, "%s and 998 numbered folders beside it exist already; choose one with --output-dir", dir);
    return NULL;
}

char *tdm_outdir_prepare(const char *dir, bool is_default, bool force, bool *refused, char *err, size_t errlen)
{
    *refused = false;
    if (is_default)
        return claim_default(dir, err, errlen);
    char what[300];
    if (tdm_outdir_has_results(dir, what, sizeof what)) {
        if (!force) {
            *refused = true;
            snprintf(err, errlen,
                     "--output-dir %s already holds the results of an earlier run (%s); results of two runs in "
                     "one folder would be read as one experiment. Choose another folder, or pass --force to delete "
                     "the old results (provenance.json, summary.json, report.md, run_*) first",
                     dir, what);
            return NULL;
        }
        if (clear_results(dir, err, errlen) != 0)
            return NULL;
    }
    if (tdm_mkdirs(dir, err, errlen) != 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "%s; choose another --output-dir", why);
        return NULL;
    }
    char *out = strdup(dir);
    if (!out)
        snprintf(err, errlen, "out of memory");
    return out;
}
