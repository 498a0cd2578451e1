/* fetch.c — blocking libcurl requests outside measured phases, and curl's provenance. */
#include <jansson.h>
#include <stdio.h>

#include "curl/transfer.h"

static size_t append(char *data, size_t size, size_t nmemb, void *ud)
{
    /* Probe replies are small; cap them so a hostile server cannot exhaust memory. */
    tdm_buf *b = ud;
    size_t len = size * nmemb;
    if (b->len + len > 16u * 1024u * 1024u || tdm_buf_append(b, data, len) != 0)
        return 0;
    return len;
}

int tdm_curl_fetch(const char *url, const char *body, long timeout_ms, long *status, tdm_buf *out,
                   char *err, size_t errlen)
{
    CURL *e = curl_easy_init();
    if (!e) {
        snprintf(err, errlen, "curl_easy_init failed");
        return -1;
    }
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    if (body)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(e);
    int ret = 0;
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s", curl_easy_strerror(rc));
        ret = -1;
    } else {
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    return ret;
}

int tdm_curl_fetch_op(tdm_runtime *rt, const char *url, const char *body, long timeout_ms, long *status,
                      tdm_buf *out, char *err, size_t errlen)
{
    (void)rt;
    return tdm_curl_fetch(url, body, timeout_ms, status, out, err, errlen);
}

json_t *tdm_curl_describe(long buffer_size)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    return json_pack("{s:s, s:s, s:s?, s:I}", "client", "libcurl", "version", v->version, "ssl",
                     v->ssl_version, "buffer_size", (json_int_t)buffer_size);
}
