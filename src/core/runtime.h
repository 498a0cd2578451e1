/* runtime.h — the one interface a variant implements: its concurrency runtime and
 * HTTP path. Everything else (framing, parsing, records, metrics, phases, results) is
 * the core's, identical in every binary, so a diff between two variant folders is the
 * experimental treatment and nothing else.
 *
 * This header includes no event-loop header on purpose: the core must not depend on
 * how a variant waits for I/O. */
#ifndef TDM_RUNTIME_H
#define TDM_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/job.h"
#include "core/scenario.h"

struct json_t;

typedef struct tdm_runtime_config {
    const tdm_scenario *scenario;
    size_t read_buf;  /* receive-buffer bytes asked with --read-buf; 0: the variant's default */
    int threads;      /* worker threads asked with --threads; 0: the variant's default */
} tdm_runtime_config;

typedef struct tdm_runtime tdm_runtime;

typedef struct tdm_runtime_ops {
    const char *variant;  /* "tokio-localset" */
    const char *summary;  /* one line: what this variant is */

    tdm_runtime *(*create)(const tdm_runtime_config *cfg, char *err, size_t errlen);

    /* Runs every job to completion, all released together: it sets *t_release to the
     * client-clock instant the jobs were let go and returns when all are done. Failed
     * calls are recorded in the jobs' records and are not an error here; -1 (with err)
     * means the runtime itself could not run. */
    int (*run_jobs)(tdm_runtime *rt, tdm_agent_job *jobs, size_t n, int64_t *t_release,
                    char *err, size_t errlen);

    /* A small request outside any measured phase (/api/version, /api/tags): body NULL
     * for GET, else POST with that JSON. Returns 0 with *status and out set, or -1
     * with err saying why the server could not be reached. */
    int (*fetch)(tdm_runtime *rt, const char *url, const char *body, long timeout_ms, long *status,
                 tdm_buf *out, char *err, size_t errlen);

    /* What actually runs: threads, loop, HTTP client, read size, library versions. */
    struct json_t *(*describe)(tdm_runtime *rt);

    /* What the runtime counted while the runs ran (e.g. how many agents each worker
     * thread took), asked once every run is over and recorded in provenance.json as
     * "runtime_stats". describe() is recorded before the first run, when such counts are
     * still zero, and must stay the same for every run of one build. NULL: nothing to add. */
    struct json_t *(*run_stats)(tdm_runtime *rt);

    void (*destroy)(tdm_runtime *rt);
} tdm_runtime_ops;

/* Defined once in each variant binary: by the runtime design variants/<v>/variant.mk
 * names (src/runtime/<RUNTIME>.c), compiled with that variant's name and read size. */
extern const tdm_runtime_ops tdm_variant_runtime;

#endif
