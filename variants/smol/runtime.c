/* runtime.c — smol: the analog of Rust's smol runtime with its default HTTP stack.
 *
 * One thread runs tandem's own epoll + timerfd reactor, which drives libcurl's
 * multi_socket API (src/reactorcurl); libcurl reads into its 8 KB receive buffer
 * (hyper/reqwest's default). Only the name and the buffer size are this folder's; the
 * runtime is shared with curl-1kb. */
#include "core/runtime.h"
#include "curl/transfer.h"
#include "reactorcurl/smol_runtime.h"

static tdm_runtime *create(const tdm_runtime_config *cfg, char *err, size_t errlen)
{
    return tdm_smolcurl_create(cfg, TDM_CURL_DEFAULT_BUFFER, err, errlen);
}

const tdm_runtime_ops tdm_variant_runtime = {
    .variant = "smol",
    .summary = "single thread: tandem's epoll reactor driving libcurl multi_socket, 8 KB buffer (smol analog)",
    .create = create,
    .run_jobs = tdm_smolcurl_run_jobs,
    .fetch = tdm_smolcurl_fetch,
    .describe = tdm_smolcurl_describe,
    .run_stats = tdm_smolcurl_run_stats,
    .destroy = tdm_smolcurl_destroy,
};
