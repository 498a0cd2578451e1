/* http.c — a minimal blocking HTTP/1.0 client for the sweep's own requests (see http.h).
 * One deadline covers resolving, connecting, sending and reading; every wait is a
 * poll() bounded by what is left of it. */
#include "sweep/http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_RESPONSE (16u << 20)

int tdm_sweep_url_split(const char *url, char *host, size_t hostlen, char *port, size_t portlen, char *prefix,
                        size_t prefixlen)
{
    if (strncmp(url, "http://", 7) != 0)
        return -1;
    const char *p = url + 7;
    const char *h_end;
    const char *h = p;
    if (*p == '[') {
        h = p + 1;
        h_end = strchr(h, ']');
        if (!h_end)
            return -1;
        p = h_end + 1;
    } else {
        h_end = p + strcspn(p, ":/");
        p = h_end;
    }
    size_t hl = (size_t)(h_end - h);
    if (hl == 0 || hl >= hostlen)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    const char *pt = "80";
    size_t pl = 2;
    if (*p == ':') {
        p++;
        pt = p;
        pl = strcspn(p, "/");
        p += pl;
        if (pl == 0)
            return -1;
        for (size_t i = 0; i < pl; i++)
            if (pt[i] < '0' || pt[i] > '9')
                return -1;
    }
    if (pl >= portlen)
        return -1;
    memcpy(port, pt, pl);
    port[pl] = '\0';
    if (*p && *p != '/')
        return -1;
    size_t rl = strlen(p);
    while (rl > 0 && p[rl - 1] == '/')
        rl--;
    if (rl >= prefixlen)
        return -1;
    memcpy(prefix, p, rl);
    prefix[rl] = '\0';
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
    int64_t l = deadline - now_ms();
    return l < 0 ? 0 : (int)l;
}

/* Waits for events on fd until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, left_ms(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? -1 : r;
    }
}

static int connect_to(const char *host, const char *port, int64_t deadline, int timeout_ms, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(g));
        return -1;
    }
    int fd = -1;
    char last[256] = "no address";
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            snprintf(last, sizeof last, "socket: %s", strerror(errno));
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            int w = wait_fd(fd, POLLOUT, deadline);
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (w == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
                break;
            if (w == 0)
                snprintf(last, sizeof last, "connect timed out after %d ms", timeout_ms);
            else
                snprintf(last, sizeof last, "%s", strerror(soerr ? soerr : errno));
        } else {
            snprintf(last, sizeof last, "%s", strerror(errno));
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        /* strerror(ECONNREFUSED) is "Connection refused": keep it recognisable. */
        snprintf(err, errlen, "cannot connect to %s:%s: %s", host, port, last);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *data, size_t len, int64_t deadline, char *err, size_t errlen)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, data + off, len - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(fd, POLLOUT, deadline) == 1)
                continue;
            snprintf(err, errlen, "timed out sending the request");
            return -1;
        }
        snprintf(err, errlen, "send failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Decodes a chunked body in place (an HTTP/1.1 server might chunk even for us). */
static int dechunk(tdm_buf *b)
{
    tdm_buf out = {0};
    const char *p = tdm_buf_str(b), *end = p + b->len;
    for (;;) {
        char *e;
        unsigned long n = strtoul(p, &e, 16);
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (e == p || !nl)
            break;
        p = nl + 1;
        if (n == 0 || (size_t)(end - p) < n)
            break;
        if (tdm_buf_append(&out, p, n) != 0) {
            tdm_buf_free(&out);
            return -1;
        }
        p += n;
        if (p < end && *p == '\r')
            p++;
        if (p < end && *p == '\n')
            p++;
    }
    tdm_buf_free(b);
    *b = out;
    return 0;
}

int tdm_sweep_http(const char *url, const char *method, const char *path, const char *json_body, int timeout_ms,
                   long *status, tdm_buf *body, char *err, size_t errlen)
{
    char host[256], port[16], prefix[512];
    *status = 0;
    tdm_buf_reset(body);
    if (tdm_sweep_url_split(url, host, sizeof host, port, sizeof port, prefix, sizeof prefix) != 0) {
        snprintf(err, errlen, "'%s' is not an http://host[:port] URL", url);
        return -1;
    }
    int64_t deadline = now_ms() + timeout_ms;
    int fd = connect_to(host, port, deadline, timeout_ms, err, errlen);
    if (fd < 0)
        return -1;
    tdm_buf req = {0};
    size_t blen = json_body ? strlen(json_body) : 0;
    bool v6 = strchr(host, ':') != NULL;
    tdm_buf_printf(&req, "%s %s%s HTTP/1.0\r\nHost: %s%s%s:%s\r\nUser-Agent: tandem-sweep\r\nAccept: "
                         "application/json\r\nConnection: close\r\n",
                   method, prefix, path, v6 ? "[" : "", host, v6 ? "]" : "", port);
    if (json_body)
        tdm_buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
    tdm_buf_append_str(&req, "\r\n");
    if (json_body)
        tdm_buf_append(&req, json_body, blen);
    int rc = send_all(fd, tdm_buf_str(&req), req.len, deadline, err, errlen);
    tdm_buf_free(&req);
    tdm_buf resp = {0};
    while (rc == 0) {
        char chunk[16384];
        ssize_t r = recv(fd, chunk, sizeof chunk, 0);
        if (r > 0) {
            if (resp.len + (size_t)r > MAX_RESPONSE || tdm_buf_append(&resp, chunk, (size_t)r) != 0) {
                snprintf(err, errlen, "response larger than %u MiB", MAX_RESPONSE >> 20);
                rc = -1;
            }
            continue;
        }
        if (r == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_fd(fd, POLLIN, deadline) == 1)
                continue;
            snprintf(err, errlen, "no complete answer within %d ms", timeout_ms);
            rc = -1;
            continue;
        }
        snprintf(err, errlen, "receive failed: %s", strerror(errno));
        rc = -1;
    }
    close(fd);
    if (rc == 0) {
        const char *s = tdm_buf_str(&resp);
        const char *hdr_end = strstr(s, "\r\n\r\n");
        int major, minor;
        long st;
        if (!hdr_end || sscanf(s, "HTTP/%d.%d %ld", &major, &minor, &st) != 3) {
            snprintf(err, errlen, "not an HTTP response from %s", url);
            rc = -1;
        } else {
            *status = st;
            size_t hlen = (size_t)(hdr_end - s) + 4;
            bool chunked = false;
            for (const char *l = strstr(s, "\r\n"); l && l < hdr_end; l = strstr(l + 2, "\r\n"))
                if (strncasecmp(l + 2, "transfer-encoding:", 18) == 0 && strstr(l + 2, "chunked") &&
                    strstr(l + 2, "chunked") < hdr_end)
                    chunked = true;
            if (tdm_buf_append(body, s + hlen, resp.len - hlen) != 0 || (chunked && dechunk(body) != 0)) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
            }
        }
    }
    tdm_buf_free(&resp);
    return rc;
}
