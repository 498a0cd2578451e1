/* http.c — request-head parsing and response framing (see http.h). */
#include "sim/http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* RFC 9112 lets a server skip empty lines before a request line; a few bytes suffice
 * for the one CRLF some clients send after a POST body, and a bound keeps it linear. */
#define MAX_LEADING_EMPTY 4
#define MAX_HEADERS 100

static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Case-insensitive comparison of s[0..n) with the lowercase literal lit. */
static bool ieq(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return false;
    return true;
}

/* Finds the end of the head; returns the index just past the blank line, or 0. */
static size_t find_head_end(const char *data, size_t len, size_t start, size_t *scanned)
{
    size_t i = *scanned > start ? *scanned : start;
    for (; i < len; i++) {
        if (data[i] != '\n')
            continue;
        if (i >= start + 1 && data[i - 1] == '\n')
            return i + 1;
        if (i >= start + 2 && data[i - 1] == '\r' && data[i - 2] == '\n')
            return i + 1;
    }
    *scanned = len;
    return 0;
}

static int parse_request_line(const char *s, size_t n, tdm_sim_http_req *req)
{
    size_t i = 0;
    while (i < n && s[i] != ' ') {
        if (!is_tchar((unsigned char)s[i]))
            return TDM_SIM_HTTP_BAD;
        i++;
    }
    if (i == 0 || i >= sizeof req->method || i >= n)
        return TDM_SIM_HTTP_BAD;
    memcpy(req->method, s, i);
    req->method[i] = '\0';
    size_t t0 = ++i;
    while (i < n && s[i] != ' ') {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c == 0x7f)
            return TDM_SIM_HTTP_BAD;
        i++;
    }
    size_t t1 = i;
    if (t1 == t0 || i >= n)
        return TDM_SIM_HTTP_BAD;
    const char *v = s + i + 1;
    size_t vn = n - i - 1;
    if (vn == 8 && memcmp(v, "HTTP/1.1", 8) == 0)
        req->minor = 1;
    else if (vn == 8 && memcmp(v, "HTTP/1.0", 8) == 0)
        req->minor = 0;
    else if (vn == 8 && memcmp(v, "HTTP/", 5) == 0 && v[5] >= '0' && v[5] <= '9' &&
             v[6] == '.' && v[7] >= '0' && v[7] <= '9')
        return TDM_SIM_HTTP_BAD_VERSION;
    else
        return TDM_SIM_HTTP_BAD;

    /* Target: origin-form "/p?q", absolute-form "http://host/p", or "*". */
    const char *t = s + t0;
    size_t tn = t1 - t0;
    if (tn >= 7 && (ieq(t, 7, "http://") || (tn >= 8 && ieq(t, 8, "https://")))) {
        size_t skip = ieq(t, 7, "http://") ? 7 : 8;
        const char *slash = memchr(t + skip, '/', tn - skip);
        /* Go takes the request's host from an absolute-form target, not from Host. */
        size_t hn = (slash ? (size_t)(slash - t) : tn) - skip;
        if (hn >= sizeof req->host)
            hn = sizeof req->host - 1;
        memcpy(req->host, t + skip, hn);
        req->host[hn] = '\0';
        req->has_host = true;
        if (!slash) {
            t = "/";
            tn = 1;
        } else {
            tn -= (size_t)(slash - t);
            t = slash;
        }
    } else if (!(t[0] == '/' || (tn == 1 && t[0] == '*'))) {
        return TDM_SIM_HTTP_BAD;
    }
    size_t pn = 0;
    while (pn < tn && t[pn] != '?' && t[pn] != '#')
        pn++;
    if (pn >= sizeof req->path)
        return TDM_SIM_HTTP_URI_TOO_LONG;
    memcpy(req->path, t, pn);
    req->path[pn] = '\0';
    return 0;
}

/* Parses one comma-separated Connection header value. */
static void parse_connection(const char *v, size_t n, bool *close, bool *ka)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (ieq(v + s, e - s, "close"))
            *close = true;
        else if (ieq(v + s, e - s, "keep-alive"))
            *ka = true;
    }
}

static int parse_header(const char *s, size_t n, tdm_sim_http_req *req, bool *seen_cl,
                        bool *close, bool *ka, bool *host, bool *te)
{
    if (n == 0 || s[0] == ' ' || s[0] == '\t') /* obsolete line folding */
        return TDM_SIM_HTTP_BAD;
    const char *colon = memchr(s, ':', n);
    if (!colon || colon == s)
        return TDM_SIM_HTTP_BAD;
    size_t nn = (size_t)(colon - s);
    for (size_t i = 0; i < nn; i++)
        if (!is_tchar((unsigned char)s[i]))
            return TDM_SIM_HTTP_BAD;
    const char *v = colon + 1;
    size_t vn = n - nn - 1;
    while (vn && (*v == ' ' || *v == '\t'))
        v++, vn--;
    while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
        vn--;
    for (size_t i = 0; i < vn; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return TDM_SIM_HTTP_BAD;
    }
    if (ieq(s, nn, "content-length")) {
        if (vn == 0 || vn > 18) /* 18 digits cannot overflow uint64 */
            return TDM_SIM_HTTP_BAD;
        uint64_t cl = 0;
        for (size_t i = 0; i < vn; i++) {
            if (v[i] < '0' || v[i] > '9')
                return TDM_SIM_HTTP_BAD;
            cl = cl * 10 + (uint64_t)(v[i] - '0');
        }
        if (*seen_cl && cl != req->content_length)
            return TDM_SIM_HTTP_BAD;
        *seen_cl = true;
        req->content_length = cl;
    } else if (ieq(s, nn, "transfer-encoding")) {
        *te = true;
    } else if (ieq(s, nn, "connection")) {
        parse_connection(v, vn, close, ka);
    } else if (ieq(s, nn, "expect")) {
        if (ieq(v, vn, "100-continue"))
            req->expect_continue = true;
    } else if (ieq(s, nn, "host")) {
        *host = true;
        if (!req->has_host) { /* an absolute-form target's host wins */
            size_t hn = vn < sizeof req->host ? vn : sizeof req->host - 1;
            memcpy(req->host, v, hn);
            req->host[hn] = '\0';
        }
    }
    return 0;
}

int tdm_sim_http_parse(const char *data, size_t len, size_t *scanned, size_t max_head,
                       tdm_sim_http_req *req)
{
    size_t start = 0;
    while (start < len && (data[start] == '\r' || data[start] == '\n')) {
        if (++start > MAX_LEADING_EMPTY)
            return TDM_SIM_HTTP_BAD;
    }
    size_t end = find_head_end(data, len, start, scanned);
    if (end == 0)
        return len - start > max_head ? TDM_SIM_HTTP_HEAD_TOO_LARGE : TDM_SIM_HTTP_NEED_MORE;
    if (end - start > max_head)
        return TDM_SIM_HTTP_HEAD_TOO_LARGE;
    if (memchr(data, '\0', end))
        return TDM_SIM_HTTP_BAD;

    memset(req, 0, sizeof *req);
    bool seen_cl = false, close = false, ka = false, host = false, te = false;
    size_t nheaders = 0;
    size_t pos = start;
    bool first = true;
    while (pos < end) {
        const char *nl = memchr(data + pos, '\n', end - pos);
        size_t n = (size_t)(nl - (data + pos)); /* nl exists: the head ends with '\n' */
        const char *line = data + pos;
        pos += n + 1;
        if (n && line[n - 1] == '\r')
            n--;
        if (memchr(line, '\r', n)) /* a bare CR inside a line */
            return TDM_SIM_HTTP_BAD;
        if (n == 0) /* the blank line that ends the head */
            break;
        int r;
        if (first) {
            r = parse_request_line(line, n, req);
            first = false;
        } else {
            if (++nheaders > MAX_HEADERS)
                return TDM_SIM_HTTP_HEAD_TOO_LARGE;
            r = parse_header(line, n, req, &seen_cl, &close, &ka, &host, &te);
        }
        if (r < 0)
            return r;
    }
    if (first)
        return TDM_SIM_HTTP_BAD;
    if (te)
        return TDM_SIM_HTTP_TE_UNSUPPORTED;
    if (req->minor == 1 && !host) /* Go wants the header even with an absolute-form target */
        return TDM_SIM_HTTP_NO_HOST;
    req->has_host = req->has_host || host;
    req->keep_alive = req->minor == 1 ? !close : (ka && !close);
    req->head_len = end;
    return end > (size_t)0x7fffffff ? TDM_SIM_HTTP_HEAD_TOO_LARGE : (int)end;
}

int tdm_sim_http_error_status(int result)
{
    switch (result) {
    case TDM_SIM_HTTP_HEAD_TOO_LARGE:
        return 431;
    case TDM_SIM_HTTP_URI_TOO_LONG:
        return 414;
    case TDM_SIM_HTTP_BAD_VERSION:
        return 505;
    case TDM_SIM_HTTP_TE_UNSUPPORTED:
        return 501;
    default:
        return 400;
    }
}

const char *tdm_sim_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 307: return "Temporary Redirect";
    case 403: return "Forbidden";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

int tdm_sim_http_head(tdm_buf *out, const tdm_sim_http_head_spec *h)
{
    int r = tdm_buf_printf(out, "HTTP/1.%d %d %s\r\n", h->minor ? 1 : 0, h->status,
                           tdm_sim_http_reason(h->status));
    if (!r && h->handler_before)
        r = tdm_buf_append_str(out, h->handler_before);
    if (!r && h->content_type)
        r = tdm_buf_printf(out, "Content-Type: %s\r\n", h->content_type);
    if (!r && h->handler_after)
        r = tdm_buf_append_str(out, h->handler_after);
    if (!r && h->date)
        r = tdm_buf_printf(out, "Date: %s\r\n", h->date);
    if (!r && h->content_length >= 0)
        r = tdm_buf_printf(out, "Content-Length: %lld\r\n", (long long)h->content_length);
    if (!r && h->connection)
        r = tdm_buf_printf(out, "Connection: %s\r\n", h->connection);
    if (!r && h->chunked && h->content_length < 0)
        r = tdm_buf_append_str(out, "Transfer-Encoding: chunked\r\n");
    if (!r)
        r = tdm_buf_append_str(out, "\r\n");
    return r;
}

int tdm_sim_http_go_error(tdm_buf *out, int result)
{
    /* net/http's server.go: most failures are a bare "400 Bad Request"; a few carry
     * their reason after a colon (statusError). 414 and 501 are the simulator's own
     * refusals (Go has no URI limit apart from the head's, and accepts chunked bodies). */
    const char *detail = NULL;
    int status = tdm_sim_http_error_status(result);
    switch (result) {
    case TDM_SIM_HTTP_NO_HOST:
        detail = "missing required Host header";
        break;
    case TDM_SIM_HTTP_BAD_VERSION:
        detail = "unsupported protocol version";
        break;
    case TDM_SIM_HTTP_TE_UNSUPPORTED:
        detail = "unsupported transfer encoding";
        break;
    default:
        break;
    }
    char phrase[160];
    snprintf(phrase, sizeof phrase, "%d %s%s%s", status, tdm_sim_http_reason(status),
             detail ? ": " : "", detail ? detail : "");
    return tdm_buf_printf(out, "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                               "Connection: close\r\n\r\n%s", phrase, phrase);
}

int tdm_sim_http_chunk(tdm_buf *out, const void *data, size_t len)
{
    if (tdm_buf_printf(out, "%zx\r\n", len) != 0 || tdm_buf_append(out, data, len) != 0)
        return -1;
    return tdm_buf_append(out, "\r\n", 2);
}

void tdm_sim_http_date(char out[32])
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

bool tdm_sim_http_host_allowed(const char *host, const char *hostname)
{
    char h[TDM_SIM_HTTP_MAX_HOST];
    size_t n = strlen(host);
    if (n >= sizeof h)
        return false;
    memcpy(h, host, n + 1);
    /* net.SplitHostPort: "[v6]:port" or "host:port"; without a port, the whole value. */
    if (h[0] == '[') {
        char *close = strchr(h, ']');
        if (close && close[1] == ':' && !strchr(close + 2, ':')) {
            *close = '\0';
            memmove(h, h + 1, strlen(h + 1) + 1);
        }
    } else {
        char *colon = strchr(h, ':');
        if (colon && !strchr(colon + 1, ':'))
            *colon = '\0';
    }
    unsigned char a[16];
    if (inet_pton(AF_INET, h, a) == 1) {
        return a[0] == 127 || a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
               (a[0] == 192 && a[1] == 168) || (a[0] | a[1] | a[2] | a[3]) == 0;
    }
    if (inet_pton(AF_INET6, h, a) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, mapped, 12) == 0) { /* ::ffff:a.b.c.d is judged as a.b.c.d */
            unsigned char *v4 = a + 12;
            return v4[0] == 127 || v4[0] == 10 || (v4[0] == 172 && (v4[1] & 0xf0) == 16) ||
                   (v4[0] == 192 && v4[1] == 168) || (v4[0] | v4[1] | v4[2] | v4[3]) == 0;
        }
        bool zero = true, loop = true;
        for (int i = 0; i < 16; i++) {
            zero = zero && a[i] == 0;
            loop = loop && a[i] == (i == 15 ? 1 : 0);
        }
        return zero || loop || (a[0] & 0xfe) == 0xfc;
    }
    if (h[0] == '\0' || strcasecmp(h, "localhost") == 0)
        return true;
    if (hostname && *hostname && strcasecmp(h, hostname) == 0)
        return true;
    return ends_with_ci(h, ".localhost") || ends_with_ci(h, ".local") || ends_with_ci(h, ".internal");
}

void tdm_sim_http_clean_path(const char *path, char *out, size_t outlen)
{
    /* path.Clean's lexical rules: collapse "//", drop ".", resolve ".." (never above /). */
    size_t n = strlen(path), w = 0;
    if (outlen < 2) {
        if (outlen)
            out[0] = '\0';
        return;
    }
    out[w++] = '/';
    size_t i = 0;
    while (i < n) {
        while (i < n && path[i] == '/')
            i++;
        size_t s = i;
        while (i < n && path[i] != '/')
            i++;
        size_t len = i - s;
        if (len == 0 || (len == 1 && path[s] == '.'))
            continue;
        if (len == 2 && path[s] == '.' && path[s + 1] == '.') {
            while (w > 1 && out[w - 1] != '/')
                w--;
            if (w > 1)
                w--; /* the slash before the removed element */
            continue;
        }
        if (w > 1 && w < outlen - 1)
            out[w++] = '/';
        for (size_t k = 0; k < len && w < outlen - 1; k++)
            out[w++] = path[s + k];
    }
    /* cleanPath puts back a trailing slash the original had. */
    if (n > 0 && path[n - 1] == '/' && w > 1 && w < outlen - 1)
        out[w++] = '/';
    out[w] = '\0';
}
