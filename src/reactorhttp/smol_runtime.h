/* smol_runtime.h — the runtime of the smol-1kb and smol-8kb variants: one thread, the
 * tandem reactor (epoll + timerfd) driving tandem's own HTTP/1.1 client, no libcurl. It
 * is the treatment standing for Rust's smol with the seed's custom client, done right:
 * every readable event is one read() of exactly read_buf bytes at most, and every byte
 * read goes straight to the parser (nothing is held back).
 *
 * The two variants differ only in the read size (1,024 or 8,192 bytes; --read-buf
 * overrides either), so the runtime lives here once and each variant's runtime.c is a
 * few lines naming itself and its default:
 *
 *   static tdm_runtime *create(const tdm_runtime_config *cfg, char *err, size_t errlen)
 *   {
 *       return tdm_smolhttp_create(cfg, 1024, err, errlen);
 *   }
 *   const tdm_runtime_ops tdm_variant_runtime = {.variant = "smol-1kb", ..., .create = create,
 *       .run_jobs = tdm_smolhttp_run_jobs, .fetch = tdm_smolhttp_fetch,
 *       .describe = tdm_smolhttp_describe,
 *       .run_stats = tdm_smolhttp_run_stats, .destroy = tdm_smolhttp_destroy}; */
#ifndef TDM_REACTORHTTP_SMOL_RUNTIME_H
#define TDM_REACTORHTTP_SMOL_RUNTIME_H

#include "core/runtime.h"

/* default_read_buf is the read() size unless --read-buf (cfg->read_buf) says otherwise. */
tdm_runtime *tdm_smolhttp_create(const tdm_runtime_config *cfg, size_t default_read_buf, char *err,
                                 size_t errlen);
int tdm_smolhttp_run_jobs(tdm_runtime *rt, tdm_agent_job *jobs, size_t n, int64_t *t_release, char *err,
                          size_t errlen);
/* tdm_http1_fetch: a blocking request on a fresh connection of the same client. */
int tdm_smolhttp_fetch(tdm_runtime *rt, const char *url, const char *body, long timeout_ms, long *status,
                       tdm_buf *out, char *err, size_t errlen);
struct json_t *tdm_smolhttp_describe(tdm_runtime *rt);
/* The reactor's counts (and the client's, where it is tandem's own) once the runs are
 * over: the runtime_stats of provenance.json. */
struct json_t *tdm_smolhttp_run_stats(tdm_runtime *rt);
void tdm_smolhttp_destroy(tdm_runtime *rt);

#endif
