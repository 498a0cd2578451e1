/* outdir.h — the folder a `run` writes into, chosen so that two experiments are never
 * mixed in one folder: a named --output-dir that already holds results is refused
 * (or, with --force, emptied of them first); the default, timestamped folder gets a
 * suffix -2, -3, ... when another run took that name in the same second. */
#ifndef TDM_OUTDIR_H
#define TDM_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>

/* Whether dir holds an earlier run's results: provenance.json or a run_* entry. On
 * true, what (when not NULL) names the first such entry found. */
bool tdm_outdir_has_results(const char *dir, char *what, size_t whatlen);

/* Makes the run's folder and returns its path (a heap string), or NULL with err:
 * - is_default: dir or, when that exists, the first free "dir-2", "dir-3", ...,
 *   claimed by an exclusive mkdir so two runs started at once cannot share it;
 * - otherwise dir itself, refused when it holds results (*refused set true), unless
 *   force, which first deletes provenance.json, summary.json, report.md and run_*. */
char *tdm_outdir_prepare(const char *dir, bool is_default, bool force, bool *refused, char *err, size_t errlen);

#endif
