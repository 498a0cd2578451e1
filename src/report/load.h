/* load.h — finding and reading results: every run directory under a path (a directory
 * holding provenance.json, with run_<k>/records.json beside it), its runs' raw records
 * read back with the core's reader, and every metric recomputed with the core's own
 * metrics code (never taken from summary.json). A file that cannot be used is recorded
 * in the dataset's skipped list with its path and the reason, and loading goes on. */
#ifndef TDM_REPORT_LOAD_H
#define TDM_REPORT_LOAD_H

#include <stdio.h>

#include "report/model.h"

struct json_t;

/* Adds every run directory under root (searched recursively; directories are visited
 * in byte order of their names; a symbolic link is followed only when it is an entry of
 * root itself, so a tree of links cannot loop). group_by:
 * see tdm_rep_config_key. Problems are also printed to log when it is not NULL.
 * Returns the number of runs added, or -1 when root cannot be read at all or memory
 * ran out. */
long tdm_rep_load_tree(tdm_rep_dataset *ds, const char *root, const char *group_by, FILE *log);

/* Reads one records.json document into the dataset as a run of directory `dir`.
 * Returns 0, or -1 with err naming the problem (nothing is added then). */
int tdm_rep_load_records(tdm_rep_dataset *ds, size_t dir, int run_no, struct json_t *doc, double threshold_pct,
                         char *err, size_t errlen);

/* Integers beyond these cannot be honest clock readings or counters, and would
 * overflow the core's int64 arithmetic on differences and sums: a file holding one is
 * rejected, not read (load.c), and named by `tandem-report check`. Times are nanoseconds
 * (2^61 ns is 73 years). */
#define TDM_REP_MAX_ABS_INT ((json_int_t)1 << 61)
#define TDM_REP_MAX_COUNTER ((json_int_t)1 << 40)

#endif
