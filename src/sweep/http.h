/* http.h — the sweep's own few requests to Ollama (version, model list, loaded models,
 * unload): a minimal blocking HTTP/1.0 client over a plain socket. HTTP/1.0 makes the
 * server send the body as it is and close (no chunked encoding), which keeps this small;
 * the measured traffic never goes through here: each variant's own HTTP path does that. */
#ifndef TDM_SWEEP_HTTP_H
#define TDM_SWEEP_HTTP_H

#include <stddef.h>

#include "core/buf.h"

/* Splits "http://host[:port][/prefix]" into host, port and path prefix ("" or
 * "/prefix" without a trailing slash). IPv6 hosts in brackets. Returns 0 or -1. */
int tdm_sweep_url_split(const char *url, char *host, size_t hostlen, char *port, size_t portlen, char *prefix,
                        size_t prefixlen);

/* method path (appended to the URL's prefix) with an optional JSON body. Fills *status
 * and body. Returns 0 when a response came, -1 with err naming the cause otherwise
 * ("connection refused", "timed out after 10000 ms", ...). */
int tdm_sweep_http(const char *url, const char *method, const char *path, const char *json_body, int timeout_ms,
                   long *status, tdm_buf *body, char *err, size_t errlen);

#endif
