/* check_dir.c — a run directory checked and read (see check_dir.h). Runs are
 * run_1, run_2, ... up to the first missing one, as the run itself writes them; a
 * run_<k> further on is a problem, since no derived number would include it. */
#include "report/check_dir.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static char *records_path(const char *dir, int k)
{
    size_t n = strlen(dir) + 40;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/run_%d/records.json", dir, k);
    return p;
}

/* The largest k of a run_<k> directory entry, 0 when none. */
static long last_run_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    long best = 0;
    struct dirent *e;
    while (dp && (e = readdir(dp))) {
        char *end;
        if (strncmp(e->d_name, "run_", 4) != 0 || e->d_name[4] < '1' || e->d_name[4] > '9')
            continue;
        long k = strtol(e->d_name + 4, &end, 10);
        if (!*end && k > best && k < 1000000)
            best = k;
    }
    if (dp)
        closedir(dp);
    return best;
}

static int read_runs(const char *dir, tdm_rep_rundir *rd, tdm_rep_problems *p, size_t *found)
{
    long last = last_run_dir(dir);
    for (int k = 1; k <= last; k++) {
        char *path = records_path(dir, k);
        if (!path)
            return -1;
        if (!exists(path)) {
            (*found)++;
            tdm_rep_problem(p, "%s: missing, yet run_%ld exists; expected run_1 .. run_%ld each with its records.json "
                               "(derived numbers read the runs in order up to the first missing one)",
                            path, last, last);
            free(path);
            break;
        }
        char err[1024];
        json_t *doc = tdm_read_json_file(path, err, sizeof err);
        if (!doc) {
            (*found)++;
            tdm_rep_problem(p, "%s: run %d: not readable JSON: %s", path, k, err);
            free(path);
            continue;
        }
        size_t n = tdm_rep_check_records(doc, path, k, rd->scenario.n_agents ? &rd->scenario : NULL, p);
        *found += n;
        if (n == 0) {
            tdm_run_data *r = realloc(rd->runs, (rd->n_runs + 1) * sizeof *r);
            if (!r) {
                json_decref(doc);
                free(path);
                return -1;
            }
            rd->runs = r;
            /* the core's reader: what the report and finalize derive from */
            if (tdm_run_data_from_json(doc, &rd->runs[rd->n_runs], err, sizeof err) != 0) {
                (*found)++;
                tdm_rep_problem(p, "%s: run %d: the core's reader refuses it: %s", path, k, err);
            } else {
                rd->n_runs++;
            }
        }
        json_decref(doc);
        free(path);
    }
    if (last == 0) {
        (*found)++;
        tdm_rep_problem(p, "%s/run_1/records.json: missing; expected one run_<k>/records.json per run, k from 1", dir);
    }
    return 0;
}

long tdm_rep_rundir_load(const char *dir, tdm_rep_rundir *rd, tdm_rep_problems *p)
{
    memset(rd, 0, sizeof *rd);
    size_t found = 0;
    char err[1024];
    char *ppath = tdm_path_join(dir, "provenance.json");
    if (!ppath)
        return -1;
    rd->prov = tdm_read_json_file(ppath, err, sizeof err);
    if (!rd->prov) {
        found++;
        tdm_rep_problem(p, "%s: %s", ppath, err);
    } else {
        found += tdm_rep_check_provenance(rd->prov, ppath, &rd->scenario, p);
    }
    free(ppath);
    if (read_runs(dir, rd, p, &found) != 0)
        return -1;
    if (found)
        tdm_rep_rundir_free(rd);
    return (long)found;
}

void tdm_rep_rundir_free(tdm_rep_rundir *rd)
{
    json_decref(rd->prov);
    tdm_scenario_free(&rd->scenario);
    for (size_t i = 0; i < rd->n_runs; i++)
        tdm_run_data_free(&rd->runs[i]);
    free(rd->runs);
    memset(rd, 0, sizeof *rd);
}
