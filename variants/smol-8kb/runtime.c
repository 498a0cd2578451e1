/* runtime.c — smol-8kb: a control for smol-1kb. The same architecture exactly (one
 * thread, tandem's epoll reactor, tandem's own HTTP/1.1 client) reading 8,192 bytes per
 * read(), libcurl's and hyper's buffer size: comparing it with smol-1kb isolates the
 * read size, comparing it with smol isolates the client. --read-buf overrides the size. */
#include "core/runtime.h"
#include "reactorhttp/smol_runtime.h"

static tdm_runtime *create(const tdm_runtime_config *cfg, char *err, size_t errlen)
{
    return tdm_smolhttp_create(cfg, 8192, err, errlen);
}

const tdm_runtime_ops tdm_variant_runtime = {
    .variant = "smol-8kb",
    .summary = "single thread: tandem's epoll reactor driving tandem's own HTTP/1.1 client, 8 KB reads (read-size control)",
    .create = create,
    .run_jobs = tdm_smolhttp_run_jobs,
    .fetch = tdm_smolhttp_fetch,
    .describe = tdm_smolhttp_describe,
    .run_stats = tdm_smolhttp_run_stats,
    .destroy = tdm_smolhttp_destroy,
};
