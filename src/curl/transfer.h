/* transfer.h — one Ollama call as a libcurl easy transfer, shared by every curl-based
 * variant (tokio-default, tokio-localset, async-std, smol, curl-1kb).
 *
 * It wires curl's callbacks to the core's tdm_call: the request-start instant
 * (CURLOPT_PREREQFUNCTION: connection ready, request not yet written), the status line
 * (header callback), every write-callback delivery as one read, and the transfer's
 * outcome mapped to a tdm_error_kind with a message that names the fix. How the
 * transfer is driven — multi_socket on libuv, on our reactor, or blocking in a thread —
 * is the variant's business.
 *
 * Reads: libcurl's own chunked decoding is off (CURLOPT_HTTP_TRANSFER_DECODING = 0).
 * With it on, libcurl calls the write callback once per HTTP chunk, so a "read" would
 * be a chunk (one token line) whatever CURLOPT_BUFFERSIZE is. With it off, libcurl hands
 * each recv()'s raw body bytes to the write callback in one call (it still parses the
 * chunks itself, so the transfer ends at the terminating chunk and the connection is
 * reused), and this file de-chunks them with tandem's own decoder (src/http1) when the
 * response says Transfer-Encoding: chunked: one tdm_call_read per delivery, one
 * tdm_call_slice per decoded slice — exactly what the own client does per read(). */
#ifndef TDM_CURL_TRANSFER_H
#define TDM_CURL_TRANSFER_H

#include <curl/curl.h>
#include <stdbool.h>

#include "core/call.h"
#include "core/job.h"
#include "core/runtime.h"
#include "http1/http1.h"

/* libcurl's receive buffer for the curl variants: 8 KB, hyper/reqwest's default. */
#define TDM_CURL_DEFAULT_BUFFER 8192

typedef struct tdm_curl_transfer {
    CURL *easy;              /* reused for every call of one agent: keeps its connection */
    struct curl_slist *headers;
    tdm_agent_job *job;
    tdm_call call;
    bool active;             /* a call is in flight */
    char *url;
    char *body;
    long buffer_size;        /* CURLOPT_BUFFERSIZE */
    bool chunked;            /* the current response is Transfer-Encoding: chunked */
    tdm_http1_chunked dechunk; /* its decoder (libcurl passes the raw framing through) */
    void *owner;             /* the runtime's own per-transfer data */
    int64_t held_until;      /* the next call waits for this instant (an open-loop arrival); 0: none */
} tdm_curl_transfer;

/* Creates the easy handle; returns 0 or -1. */
int tdm_curl_transfer_init(tdm_curl_transfer *t, tdm_agent_job *job, long buffer_size);
void tdm_curl_transfer_cleanup(tdm_curl_transfer *t);

/* Takes the job's next call and configures the easy handle for it. Returns true when
 * a call is ready to run, false when the agent has nothing more to do. */
bool tdm_curl_transfer_next(tdm_curl_transfer *t, int64_t now);

/* When curl failed the current call with a send/receive error on a reused connection
 * before any response byte (the server had closed the kept-alive connection: legal, and
 * no fault of the server's), records the first error on the call and sets the handle up
 * to send the same request once more on a fresh connection; the caller runs it again.
 * Returns false (nothing changed) in every other case, and for a call already retried. */
bool tdm_curl_transfer_retry_stale(tdm_curl_transfer *t, CURLcode rc);

/* Settles the current call after curl finished it with result rc (or after the
 * runtime removed it because tdm_call_check_timeouts recorded a timeout). Returns true
 * when the agent has another call to make (call tdm_curl_transfer_next). */
bool tdm_curl_transfer_done(tdm_curl_transfer *t, CURLcode rc, int64_t now);

/* curl_version_info as JSON for provenance. */
struct json_t *tdm_curl_describe(long buffer_size);

/* A blocking request outside measured phases. */
int tdm_curl_fetch(const char *url, const char *body, long timeout_ms, long *status, tdm_buf *out,
                   char *err, size_t errlen);
/* The same with the runtime op's signature, so curl variants can name it directly as
 * their .fetch (the runtime is not needed: probes never share the measured handles). */
int tdm_curl_fetch_op(tdm_runtime *rt, const char *url, const char *body, long timeout_ms, long *status,
                      tdm_buf *out, char *err, size_t errlen);

#endif
