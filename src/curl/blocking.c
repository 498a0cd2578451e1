/* blocking.c — an agent's calls as blocking libcurl easy transfers, one after another
 * on the calling thread (async-std's threadpool workers use it). First-byte and idle
 * timeouts are checked from curl's progress callback, which curl calls at least once a
 * second while a transfer waits, so they fire within about a second of their limit. */
#include "curl/blocking.h"

#include "core/clock.h"

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    tdm_curl_transfer *t = ud;
    return tdm_call_check_timeouts(&t->call, tdm_now_ns()) ? 1 : 0; /* non-zero aborts */
}

void tdm_curl_run_job_blocking(tdm_curl_transfer *t)
{
    while (tdm_curl_transfer_next(t, tdm_now_ns())) {
        curl_easy_setopt(t->easy, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(t->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(t->easy, CURLOPT_XFERINFODATA, t);
        CURLcode rc = curl_easy_perform(t->easy);
        if (!tdm_curl_transfer_done(t, rc, tdm_now_ns()))
            break;
    }
    tdm_job_call_finished(t->job, tdm_now_ns());
}
