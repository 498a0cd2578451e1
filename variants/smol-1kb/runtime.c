/* runtime.c — smol-1kb: the analog of the seed's smol runtime with its custom 1 KB HTTP
 * client, done right.
 *
 * One thread runs tandem's own epoll + timerfd reactor, which drives tandem's own
 * HTTP/1.1 client (src/reactorhttp): every readable event is exactly one read() of at
 * most 1,024 bytes, and every byte read goes straight to the parser — nothing is held
 * back between reads. Only the name and the read size are this folder's; the runtime is
 * shared with smol-8kb. --read-buf overrides the size. */
#include "core/runtime.h"
#include "reactorhttp/smol_runtime.h"

static tdm_runtime *create(const tdm_runtime_config *cfg, char *err, size_t errlen)
{
    return tdm_smolhttp_create(cfg, 1024, err, errlen);
}

const tdm_runtime_ops tdm_variant_runtime = {
    .variant = "smol-1kb",
    .summary = "single thread: tandem's epoll reactor driving tandem's own HTTP/1.1 client, 1 KB reads (smol analog)",
    .create = create,
    .run_jobs = tdm_smolhttp_run_jobs,
    .fetch = tdm_smolhttp_fetch,
    .describe = tdm_smolhttp_describe,
    .run_stats = tdm_smolhttp_run_stats,
    .destroy = tdm_smolhttp_destroy,
};
