/* smol_runtime.h — the runtime of the smol and curl-1kb variants: one thread, the
 * tandem reactor (epoll + timerfd) driving libcurl's multi_socket API. It is the
 * treatment standing for Rust's smol with its default HTTP stack.
 *
 * The two variants differ only in libcurl's receive buffer (CURLOPT_BUFFERSIZE: 8 KB in
 * smol, 1 KB in curl-1kb, which separates the read size from the client
 * implementation), so the runtime lives here once and each variant's runtime.c is a few
 * lines naming itself and its default buffer:
 *
 *   static tdm_runtime *create(const tdm_runtime_config *cfg, char *err, size_t errlen)
 *   {
 *       return tdm_smolcurl_create(cfg, 8192, err, errlen);
 *   }
 *   const tdm_runtime_ops tdm_variant_runtime = {.variant = "smol", ..., .create = create,
 *       .run_jobs = tdm_smolcurl_run_jobs, .fetch = tdm_smolcurl_fetch,
 *       .describe = tdm_smolcurl_describe,
 *       .run_stats = tdm_smolcurl_run_stats, .destroy = tdm_smolcurl_destroy}; */
#ifndef TDM_REACTORCURL_SMOL_RUNTIME_H
#define TDM_REACTORCURL_SMOL_RUNTIME_H

#include "core/runtime.h"

/* default_buffer is CURLOPT_BUFFERSIZE unless --read-buf (cfg->read_buf) says otherwise. */
tdm_runtime *tdm_smolcurl_create(const tdm_runtime_config *cfg, long default_buffer, char *err, size_t errlen);
int tdm_smolcurl_run_jobs(tdm_runtime *rt, tdm_agent_job *jobs, size_t n, int64_t *t_release, char *err,
                          size_t errlen);
int tdm_smolcurl_fetch(tdm_runtime *rt, const char *url, const char *body, long timeout_ms, long *status,
                       tdm_buf *out, char *err, size_t errlen);
struct json_t *tdm_smolcurl_describe(tdm_runtime *rt);
/* The reactor's counts (and the client's, where it is tandem's own) once the runs are
 * over: the runtime_stats of provenance.json. */
struct json_t *tdm_smolcurl_run_stats(tdm_runtime *rt);
void tdm_smolcurl_destroy(tdm_runtime *rt);

#endif
