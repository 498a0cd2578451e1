/* legacy.h — the seed harness's results ("chimera-legacy") in tandem's result format.
 *
 * The seed (Chimeraforge TR115) wrote runtime-<variant>/<config>/run_<k>/summary.json
 * and run_<k>/run_<j>/metrics.json: per agent its concurrent execution_time_s, its
 * end timestamp, and per LLM call the server's counters in ms and a client TTFT — one
 * call per agent in the first generation, two ("analysis", "report") in the second.
 * It never ran a sequential phase. An import becomes one run directory per seed run
 * directory: provenance.json (source "chimera-legacy", what is missing, the seed's own
 * summaries), cell.json, and run_<j>/records.json with the concurrent phase rebuilt:
 *   - each agent's concurrent wall time is its execution_time_s, ending at its end
 *     timestamp; the barrier is placed concurrent_wall_time_s before the last agent's
 *     end, so T_conc is the seed's concurrent_wall_time_s and
 *     legacy efficiency = (exec_a + exec_b) / concurrent_wall / 2 * 100, the seed's
 *     efficiency_percent, recomputed by the core's metrics code;
 *   - each call's counters converted to ns, one token event at its TTFT, its stage and
 *     (second generation) its response text; calls follow one another from the agent's
 *     start (after the ingest step when the seed timed one). */
#ifndef TDM_REPORT_LEGACY_H
#define TDM_REPORT_LEGACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/rundata.h"

struct json_t;

typedef struct tdm_legacy_run {
    int run;                    /* j of run_<j> */
    tdm_run_data data;          /* the rebuilt records */
    struct json_t *scenario;    /* the scenario as the seed ran it (agents, options, steps) */
    struct json_t *servers;     /* one entry per server URL: nothing pinned */
    struct json_t *host;        /* the seed's system_info */
    struct json_t *summary;     /* the seed's own summary of this run */
    char *rust_version;         /* "" when absent */
    char *generation;           /* "v1" (one call per agent) or "v2" (stages) */
    bool synthetic_timeline;    /* no end timestamps: agents placed as if released together */
    char started_at[40];        /* the barrier, RFC 3339 UTC ("" when synthetic) */
    double reported_efficiency; /* the seed's efficiency_percent (NaN when absent) */
} tdm_legacy_run;

/* Parses one metrics.json document. Returns 0, or -1 with err naming the field. */
int tdm_legacy_parse_run(struct json_t *metrics, int run_no, tdm_legacy_run *out, char *err, size_t errlen);
void tdm_legacy_run_free(tdm_legacy_run *r);

/* The provenance.json of a run directory holding runs[0..n). original: the seed's
 * directory, relative to the imported tree. */
struct json_t *tdm_legacy_provenance(const char *variant, const char *original, const tdm_legacy_run *runs,
                                     size_t n);

/* "2025-11-14T00:24:26.580622200Z" (any number of fraction digits, Z or +hh:mm) to
 * nanoseconds since the epoch. Returns 0 or -1. */
int tdm_legacy_parse_time(const char *s, int64_t *ns);

typedef struct tdm_legacy_stats {
    size_t dirs, runs, v1, v2, skipped;
    size_t reproduced;          /* runs whose recomputed legacy efficiency matches the seed's within 1e-6 pp */
    size_t checked;
    double max_abs_diff;        /* pp */
} tdm_legacy_stats;

/* Imports every seed run under legacy_dir into out_dir (<variant>/<config>/run_<k>/),
 * and writes out_dir/import.json listing what was imported and skipped. Malformed
 * files are skipped with their path and the reason (to log). Returns 0, or -1 with err
 * when nothing could be imported or out_dir cannot be written. */
int tdm_legacy_import(const char *legacy_dir, const char *out_dir, FILE *log, tdm_legacy_stats *st, char *err,
                      size_t errlen);

#endif
