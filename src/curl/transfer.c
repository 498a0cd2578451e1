/* transfer.c — libcurl easy-transfer glue to the core's call consumer (see transfer.h). */
#include "curl/transfer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"

/* Longest idle time of a kept connection (CURLOPT_MAXAGE_CONN, seconds): 30 days, in
 * effect "never" for a run, and within an int for every libcurl version. */
#define TDM_CURL_MAX_IDLE_S 2592000L

/* One decoded slice of the current read goes to the core; non-zero stops the decoder
 * (and so the transfer) once the core has settled the call as failed. */
static int on_slice(void *ud, const char *data, size_t len)
{
    tdm_curl_transfer *t = ud;
    return tdm_call_slice(&t->call, data, len) == TDM_CALL_FAILED ? 1 : 0;
}

/* One delivery = one recv()'s raw body bytes (transfer decoding is off): count the
 * read and take its arrival time once, before any parsing, then de-chunk. Returning
 * anything but len makes curl abort the transfer with CURLE_WRITE_ERROR. */
static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
    tdm_curl_transfer *t = ud;
    size_t len = size * nmemb;
    int64_t now = tdm_now_ns();
    tdm_call_read(&t->call, now);
    if (!t->chunked)
        return tdm_call_slice(&t->call, data, len) == TDM_CALL_FAILED ? 0 : len;
    size_t used;
    int rc = tdm_http1_chunked_feed(&t->dechunk, data, len, &used, on_slice, t);
    if (rc == TDM_HTTP1_ERR_ABORTED)
        return 0; /* the core already recorded why */
    if (rc < 0) {
        if (!t->call.finished) {
            char msg[256];
            snprintf(msg, sizeof msg, "malformed chunked response from %s: %s", t->job->agent->url,
                     tdm_http1_chunked_error(&t->dechunk));
            tdm_call_fail(&t->call, TDM_ERR_PROTOCOL, now, msg);
        }
        return 0;
    }
    return len; /* bytes after the terminating chunk (none expected) are ignored */
}

/* True when a Transfer-Encoding value ends in the chunked coding (RFC 9112 6.1: chunked
 * is always the last coding applied). value runs to the end of the header line. */
static bool ends_chunked(const char *value, size_t len)
{
    while (len > 0 && isspace((unsigned char)value[len - 1]))
        len--;
    size_t start = len;
    while (start > 0 && value[start - 1] != ',' && !isspace((unsigned char)value[start - 1]))
        start--;
    return len - start == 7 && strncasecmp(value + start, "chunked", 7) == 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    tdm_curl_transfer *t = ud;
    size_t len = size * nmemb;
    int status;
    static const char te[] = "transfer-encoding:";
    /* Only final status lines count; "HTTP/1.1 100 Continue" is not the response. Each
     * status line starts a response, whose own headers then say how it is framed. */
    if (len > 5 && memcmp(data, "HTTP/", 5) == 0) {
        t->chunked = false;
        tdm_http1_chunked_init(&t->dechunk);
        if (sscanf(data, "HTTP/%*s %d", &status) == 1 && status >= 200)
            tdm_call_status(&t->call, status, tdm_now_ns());
    } else if (len > sizeof te - 1 && strncasecmp(data, te, sizeof te - 1) == 0) {
        t->chunked = ends_chunked(data + sizeof te - 1, len - (sizeof te - 1));
    }
    return len;
}

/* Called when the connection is ready and the request is about to be written. */
static int on_prereq(void *ud, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port,
                     int conn_local_port)
{
    (void)conn_primary_ip;
    (void)conn_local_ip;
    (void)conn_primary_port;
    (void)conn_local_port;
    tdm_curl_transfer *t = ud;
    tdm_call_request_started(&t->call, tdm_now_ns(), 0, false);
    return CURL_PREREQFUNC_OK;
}

int tdm_curl_transfer_init(tdm_curl_transfer *t, tdm_agent_job *job, long buffer_size)
{
    memset(t, 0, sizeof *t);
    t->job = job;
    t->buffer_size = buffer_size > 0 ? buffer_size : TDM_CURL_DEFAULT_BUFFER;
    t->easy = curl_easy_init();
    if (!t->easy)
        return -1;
    /* No "Expect: 100-continue": curl would wait for it on bodies over 1 KB. */
    t->headers = curl_slist_append(NULL, "Content-Type: application/json");
    t->headers = curl_slist_append(t->headers, "Expect:");
    return t->headers ? 0 : -1;
}

void tdm_curl_transfer_cleanup(tdm_curl_transfer *t)
{
    if (t->active)
        tdm_call_free(&t->call);
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->url);
    free(t->body);
    memset(t, 0, sizeof *t);
}

bool tdm_curl_transfer_next(tdm_curl_transfer *t, int64_t now)
{
    free(t->url);
    free(t->body);
    t->url = t->body = NULL;
    tdm_call_record *rec = tdm_job_next(t->job, &t->url, &t->body, now);
    if (!rec)
        return false;
    const tdm_scenario *s = t->job->scenario;
    tdm_call_init(&t->call, rec, &s->timeouts, (size_t)s->max_line_bytes);
    t->active = true;
    t->chunked = false;
    tdm_http1_chunked_init(&t->dechunk);

    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(t->body));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, t);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, t->buffer_size);
    /* Raw body bytes, one delivery per recv(): see transfer.h. */
    curl_easy_setopt(e, CURLOPT_HTTP_TRANSFER_DECODING, 0L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)s->timeouts.connect_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->timeouts.total_ms);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 0L); /* set for one retry only (retry_stale) */
    /* Keep an idle connection however long the agent waits for its turn. curl closes one
     * idle for more than 118 s by default: at 512 agents the sequential phase lasts over
     * four minutes, so most agents' connections were gone by the release and 287 of 512
     * concurrent calls began with a TCP connect. A server that did close one is met by
     * the stale-connection retry (tdm_curl_transfer_retry_stale). */
    curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, TDM_CURL_MAX_IDLE_S);
    tdm_call_begin(&t->call, now);
    return true;
}

bool tdm_curl_transfer_retry_stale(tdm_curl_transfer *t, CURLcode rc)
{
    tdm_call_record *r = t->call.rec;
    long connects = 1;
    curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
    bool before_answer = r->t_first_byte == 0 && r->http_status == 0 && r->bytes == 0 && !t->call.finished;
    if (r->retried_stale_connection || connects != 0 || !before_answer ||
        (rc != CURLE_SEND_ERROR && rc != CURLE_RECV_ERROR && rc != CURLE_GOT_NOTHING))
        return false;
    char msg[300];
    snprintf(msg, sizeof msg, "%s on a reused connection to %s before any response byte", curl_easy_strerror(rc),
             t->job->agent->url);
    r->retried_stale_connection = true;
    r->first_error = strdup(msg);
    /* the same call again, on a new connection; t_begin stays: the retry is part of it */
    t->chunked = false;
    tdm_http1_chunked_init(&t->dechunk);
    curl_easy_setopt(t->easy, CURLOPT_FRESH_CONNECT, 1L);
    return true;
}

/* Maps curl's verdict to the record, unless the core already recorded why. */
static void settle(tdm_curl_transfer *t, CURLcode rc, int64_t now)
{
    tdm_call *c = &t->call;
    tdm_call_record *r = c->rec;
    long connects = 0;
    curl_off_t connect_us = 0;
    curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo(t->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
    r->reused_connection = connects == 0 && r->t_start != 0;
    r->connect_ns = connects > 0 ? (int64_t)connect_us * 1000 : 0;

    if (rc == CURLE_OK) {
        tdm_call_end(c, now);
        return;
    }
    if (c->finished)
        return; /* e.g. the write callback stopped the transfer after a recorded failure */
    char msg[600];
    const char *why = curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(msg, sizeof msg,
                 "cannot connect to %s (%s); is Ollama running there? Start it with 'ollama serve' "
                 "(or 'just sim' for the simulator), or fix the agent's url",
                 t->job->agent->url, why);
        tdm_call_fail(c, TDM_ERR_CONNECT, now, msg);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        if (r->t_start == 0) {
            snprintf(msg, sizeof msg, "no connection to %s within timeouts.connect_ms = %lld ms",
                     t->job->agent->url, (long long)t->job->scenario->timeouts.connect_ms);
            tdm_call_fail(c, TDM_ERR_TIMEOUT_CONNECT, now, msg);
        } else {
            snprintf(msg, sizeof msg, "the call took longer than timeouts.total_ms = %lld ms",
                     (long long)t->job->scenario->timeouts.total_ms);
            tdm_call_fail(c, TDM_ERR_TIMEOUT_TOTAL, now, msg);
        }
        break;
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        /* Let the core decide: a complete final line may already be in. */
        tdm_call_end(c, now);
        if (!r->ok && r->error_message && r->error_kind == TDM_ERR_DISCONNECTED) {
            free(r->error_message);
            snprintf(msg, sizeof msg, "the connection to %s dropped mid-response (%s)", t->job->agent->url, why);
            r->error_message = strdup(msg);
        }
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_WEIRD_SERVER_REPLY:
        /* The URL was checked before the run: here libcurl could not read the reply as
         * HTTP (a garbage status line), which is what the own HTTP/1.1 client says too. */
        snprintf(msg, sizeof msg,
                 "malformed HTTP response from %s: malformed status line (expected 'HTTP/1.x NNN'; libcurl: %s); "
                 "is this an Ollama server?",
                 t->url, why);
        tdm_call_fail(c, TDM_ERR_PROTOCOL, now, msg);
        break;
    default:
        snprintf(msg, sizeof msg, "HTTP transfer to %s failed: %s", t->url, why);
        tdm_call_fail(c, TDM_ERR_PROTOCOL, now, msg);
        break;
    }
}

bool tdm_curl_transfer_done(tdm_curl_transfer *t, CURLcode rc, int64_t now)
{
    settle(t, rc, now);
    tdm_call_free(&t->call);
    t->active = false;
    return !tdm_job_call_finished(t->job, now);
}
