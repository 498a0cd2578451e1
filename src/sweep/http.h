/* http.h — the sweep's own few requests to Ollama (version, model list, loaded models,
 * unload). They go through tandem's HTTP/1.1 client (src/http1) in its blocking mode;
 * this layer adds only what the sweep needs on top: a URL that may carry a path prefix,
 * one deadline for the whole request, and the sweep's wording of failures. The measured
 * traffic never goes through here: each variant's own HTTP path does that. */
#ifndef TDM_SWEEP_HTTP_H
#define TDM_SWEEP_HTTP_H

#include <stddef.h>

#include "core/buf.h"

/* Splits "http://host[:port][/prefix]" into host, port and path prefix ("" or
 * "/prefix" without a trailing slash). IPv6 hosts in brackets. Returns 0 or -1. */
int tdm_sweep_url_split(const char *url, char *host, size_t hostlen, char *port, size_t portlen, char *prefix,
                        size_t prefixlen);

/* method path (appended to the URL's prefix) with an optional JSON body; timeout_ms
 * bounds the whole request (<= 0: no bound). Fills *status and body (at most 16 MiB).
 * Returns 0 when a response came, -1 with err naming the cause otherwise
 * ("cannot connect to h:p: Connection refused", "no complete answer within 10000 ms",
 * ...). */
int tdm_sweep_http(const char *url, const char *method, const char *path, const char *json_body, int timeout_ms,
                   long *status, tdm_buf *body, char *err, size_t errlen);

#endif
