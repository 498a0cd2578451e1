/* runtime.c — curl-1kb: a control for smol-1kb. The smol architecture exactly (one
 * thread, tandem's epoll reactor driving libcurl multi_socket) but with libcurl's
 * receive buffer set to 1,024 bytes (CURLOPT_BUFFERSIZE), so comparing it with smol
 * isolates the read size and comparing it with smol-1kb isolates the HTTP client. */
#include "core/runtime.h"
#include "reactorcurl/smol_runtime.h"

static tdm_runtime *create(const tdm_runtime_config *cfg, char *err, size_t errlen)
{
    return tdm_smolcurl_create(cfg, 1024, err, errlen);
}

const tdm_runtime_ops tdm_variant_runtime = {
    .variant = "curl-1kb",
    .summary = "single thread: tandem's epoll reactor driving libcurl multi_socket, 1 KB buffer (read-size control)",
    .create = create,
    .run_jobs = tdm_smolcurl_run_jobs,
    .fetch = tdm_smolcurl_fetch,
    .describe = tdm_smolcurl_describe,
    .run_stats = tdm_smolcurl_run_stats,
    .destroy = tdm_smolcurl_destroy,
};
