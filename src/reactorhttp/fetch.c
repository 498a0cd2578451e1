/* fetch.c — the fetch op and the counters' JSON of the variants that use tandem's own
 * HTTP/1.1 client (smol-1kb, smol-8kb, blocking): kept apart from transfer.c so that the
 * probe path (preflight's /api/version and /api/tags) uses the same client as the
 * measured calls, and never libcurl. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "reactorhttp/transfer.h"

int tdm_h1call_fetch_op(tdm_runtime *rt, const char *url, const char *body, long timeout_ms, long *status,
                        tdm_buf *out, char *err, size_t errlen)
{
    (void)rt; /* probes never share the measured connections */
    int st = 0;
    int ms = timeout_ms <= 0 ? 0 : timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms;
    int rc = tdm_http1_fetch(url, body ? "POST" : "GET", body, ms, &st, out, err, errlen);
    if (rc != 0) {
        if (err && errlen && !*err)
            snprintf(err, errlen, "%s", tdm_http1_error_name(rc));
        return -1;
    }
    *status = st;
    return 0;
}

json_t *tdm_h1call_stats_json(const tdm_http1_conn_stats *s)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "reads", (json_int_t)s->reads,
                     "reads_empty", (json_int_t)s->reads_empty, "bytes_read", (json_int_t)s->bytes_read, "writes",
                     (json_int_t)s->writes, "bytes_written", (json_int_t)s->bytes_written, "connects",
                     (json_int_t)s->connects, "reuses", (json_int_t)s->reuses, "retries", (json_int_t)s->retries,
                     "requests", (json_int_t)s->requests, "responses", (json_int_t)s->responses);
}
